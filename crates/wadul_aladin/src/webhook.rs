//! The WhatsApp Business Platform webhook: `GET` and `POST /webhooks/wadul-aladin`.
//!
//! - `GET` is the subscription handshake: with `hub.mode=subscribe` and the configured
//!   `hub.verify_token` it answers `hub.challenge`, otherwise `403`.
//! - `POST` carries `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with
//!   the app secret>`; a missing or bad signature is answered `401` and nothing is stored. A
//!   signed body is stored through the [`PushSink`] (archive and inbox) before the `200`;
//!   the same body delivered again is stored once. Bodies of delivery receipts (`statuses`)
//!   are stored and acknowledged; they carry no complaint.

use std::collections::HashMap;
use std::sync::Arc;

use aduan_core::{PushSink, RawRecord, Result, Secret};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{secret_from_env, Config, CHANNEL, WEBHOOK_PATH};

/// The webhook's two secrets.
#[derive(Debug, Clone)]
pub struct Secrets {
    /// The app secret that signs deliveries.
    pub app_secret: Secret,
    /// The token the subscription handshake must present.
    pub verify_token: Secret,
}

impl Secrets {
    /// Both, read from the environment variables the configuration names; when both are
    /// missing, the error names both.
    pub fn from_env(config: &Config) -> Result<Self> {
        match (
            secret_from_env(&config.app_secret_env, "app secret"),
            secret_from_env(&config.verify_token_env, "verify token"),
        ) {
            (Ok(app_secret), Ok(verify_token)) => Ok(Self {
                app_secret,
                verify_token,
            }),
            (
                Err(aduan_core::Error::Config {
                    channel,
                    message: a,
                }),
                Err(aduan_core::Error::Config { message: b, .. }),
            ) => Err(aduan_core::Error::Config {
                channel,
                message: format!("{a}; {b}"),
            }),
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }
}

#[derive(Clone)]
struct Endpoint {
    secrets: Secrets,
    sink: Arc<dyn PushSink>,
}

/// The webhook routes.
pub fn routes(secrets: Secrets, sink: Arc<dyn PushSink>) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, get(handshake).post(receive))
        .with_state(Endpoint { secrets, sink })
}

/// `sha256=<hex HMAC-SHA256(app secret, body)>`, as the platform signs.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(app_secret, body).finalize().into_bytes())
    )
}

fn mac(key: &[u8], body: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    m.update(body);
    m
}

async fn handshake(
    State(ep): State<Endpoint>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mode = q.get("hub.mode").map(String::as_str);
    let token = q.get("hub.verify_token").map(String::as_bytes);
    let challenge = q.get("hub.challenge");
    match (mode, token, challenge) {
        (Some("subscribe"), Some(t), Some(c)) if ep.secrets.verify_token.matches(t) => {
            tracing::info!(channel = CHANNEL, "Webhook subscription verified.");
            (StatusCode::OK, c.clone()).into_response()
        }
        _ => {
            ep.sink.rejected("bad_verify_token");
            (
                StatusCode::FORBIDDEN,
                Json(serde_json::json!({ "error": "bad_verify_token" })),
            )
                .into_response()
        }
    }
}

async fn receive(State(ep): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    // A header that is there but no `sha256=<hex>` is a bad signature, not a missing one.
    let signature = headers.get("x-hub-signature-256").map(|v| {
        v.to_str()
            .ok()
            .and_then(|v| v.trim().strip_prefix("sha256="))
            .and_then(|h| hex::decode(h).ok())
    });
    let reason = match signature {
        None => Some("missing_signature"),
        Some(None) => Some("bad_signature"),
        Some(Some(sig)) => mac(ep.secrets.app_secret.expose().as_bytes(), &body)
            .verify_slice(&sig)
            .err()
            .map(|_| "bad_signature"),
    };
    if let Some(reason) = reason {
        tracing::info!(channel = CHANNEL, reason, "Webhook delivery refused.");
        ep.sink.rejected(reason);
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "error": reason })),
        )
            .into_response();
    }
    let raw = RawRecord {
        source_ref: WEBHOOK_PATH.to_string(),
        external_id: None,
        received_at: Utc::now(),
        payload: body.to_vec(),
    };
    // The Cloud API gives a delivery no id of its own: a retry is known by its bytes.
    match ep.sink.accept(raw, None).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => {
            // Not stored: the Cloud API retries the delivery later.
            tracing::error!(channel = CHANNEL, error = %e, "Could not store a webhook delivery.");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "error": "not stored, try again" })),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    /// Both secrets missing: both named at once, not one a start.
    #[test]
    fn both_missing_secrets_are_named() {
        let config: crate::Config = serde_json::from_str(
            r#"{"register_url":"http://127.0.0.1:1/r.csv",
                "app_secret_env":"ADUAN_TEST_UNSET_APP_SECRET",
                "verify_token_env":"ADUAN_TEST_UNSET_VERIFY_TOKEN"}"#,
        )
        .unwrap();
        let e = super::Secrets::from_env(&config).unwrap_err().to_string();
        assert!(
            e.contains("ADUAN_TEST_UNSET_APP_SECRET")
                && e.contains("ADUAN_TEST_UNSET_VERIFY_TOKEN"),
            "{e}"
        );
    }
}
