//! The signed webhook endpoint `POST /webhooks/smart-city`.
//!
//! A delivery is taken when its `X-Pantau-Signature` (`v1=<hex HMAC-SHA256(secret,
//! "{timestamp}.{raw body}")>`) matches and its `X-Pantau-Timestamp` is within five minutes
//! of now; otherwise it is answered `401` and nothing is stored. A taken delivery is stored
//! through the [`PushSink`] (archive and inbox) before the `200` is sent, so a delivery the
//! app saw answered is never lost; the same body delivered twice is stored once.

use std::sync::Arc;

use aduan_core::{PushSink, RawRecord, Result, Secret};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{secret_from_env, Config, CHANNEL, WEBHOOK_PATH};

/// How far a delivery's timestamp may be from now, in seconds (replay protection).
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Clone)]
struct Endpoint {
    secret: Secret,
    sink: Arc<dyn PushSink>,
}

/// The webhook signing secret, read from the environment variable the configuration names.
pub fn secret(config: &Config) -> Result<Secret> {
    secret_from_env(&config.webhook_secret_env, "webhook secret")
}

/// The webhook routes with their signing secret given.
pub fn routes_with_secret(secret: Secret, sink: Arc<dyn PushSink>) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(receive))
        .with_state(Endpoint { secret, sink })
}

/// `v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`, as the app signs.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    format!(
        "v1={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// Whether one of the `v1=` signatures of the header is the body's (constant time).
fn signed(secret: &[u8], timestamp: &str, body: &[u8], header: &str) -> bool {
    header
        .split(',')
        .filter_map(|s| s.trim().strip_prefix("v1="))
        .filter_map(|h| hex::decode(h).ok())
        .any(|sig| mac(secret, timestamp, body).verify_slice(&sig).is_ok())
}

fn refuse(sink: &dyn PushSink, reason: &'static str) -> Response {
    tracing::info!(channel = CHANNEL, reason, "Webhook delivery refused.");
    sink.rejected(reason);
    (
        StatusCode::UNAUTHORIZED,
        Json(serde_json::json!({ "error": reason })),
    )
        .into_response()
}

async fn receive(State(ep): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(timestamp), Some(signature)) =
        (header("x-pantau-timestamp"), header("x-pantau-signature"))
    else {
        return refuse(ep.sink.as_ref(), "missing_signature");
    };
    if !signed(ep.secret.expose().as_bytes(), timestamp, &body, signature) {
        return refuse(ep.sink.as_ref(), "bad_signature");
    }
    let fresh = timestamp
        .trim()
        .parse::<i64>()
        .is_ok_and(|t| (Utc::now().timestamp() - t).abs() <= TOLERANCE_SECS);
    if !fresh {
        return refuse(ep.sink.as_ref(), "stale");
    }
    let delivery = header("x-pantau-delivery").unwrap_or("?");
    let event = header("x-pantau-event").unwrap_or("?");
    let raw = RawRecord {
        source_ref: format!("{WEBHOOK_PATH}#delivery={delivery};event={event}"),
        external_id: None,
        received_at: Utc::now(),
        payload: body.to_vec(),
    };
    match ep.sink.accept(raw).await {
        Ok(new) => (
            StatusCode::OK,
            Json(serde_json::json!({ "ok": true, "duplicate": !new })),
        )
            .into_response(),
        Err(e) => {
            // Not stored: the app retries the delivery later.
            tracing::error!(channel = CHANNEL, error = %e, "Could not store a webhook delivery.");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "error": "not stored, try again" })),
            )
                .into_response()
        }
    }
}
