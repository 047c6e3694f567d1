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

/// At most this many `v1=` signatures of a header are looked at (a secret being rotated
/// gives two): a header of thousands must not cost thousands of passes over the body.
const MAX_SIGNATURES: usize = 4;

/// Whether one of the `v1=` signatures of the header is the body's (constant time). The body
/// is hashed once; each signature is checked against a copy of that state.
fn signed(secret: &[u8], timestamp: &str, body: &[u8], header: &str) -> bool {
    let m = mac(secret, timestamp, body);
    header
        .split(',')
        .filter_map(|s| s.trim().strip_prefix("v1="))
        .take(MAX_SIGNATURES)
        .filter_map(|h| hex::decode(h).ok())
        .any(|sig| m.clone().verify_slice(&sig).is_ok())
}

/// Whether a delivery's `X-Pantau-Timestamp` is within [`TOLERANCE_SECS`] of `now`.
fn fresh(timestamp: &str, now: i64) -> bool {
    timestamp
        .trim()
        .parse::<i64>()
        .is_ok_and(|t| now.abs_diff(t) <= TOLERANCE_SECS.unsigned_abs())
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

/// The id of the report a delivery carries (`report.id`, [`crate::parse::archived_id`]): the
/// delivery is archived under it (`raw_records.external_id`), as a backfill item is, so that
/// `aduan raw list --channel smart_city --record <id>` lists both (review, session 47:
/// deliveries had none, and only the backfill's items were listed). `None` when the body
/// names none (it is stored all the same, and the fold quarantines it naming the field).
fn report_id(body: &[u8]) -> Option<String> {
    crate::parse::archived_id(body)
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
    if !fresh(timestamp, Utc::now().timestamp()) {
        return refuse(ep.sink.as_ref(), "stale");
    }
    // A UUID; anything but a short id is no id (the payload's bytes tell a retry then).
    let delivery = header("x-pantau-delivery").filter(|d| !d.trim().is_empty() && d.len() <= 128);
    let event = header("x-pantau-event").unwrap_or("?");
    let raw = RawRecord {
        source_ref: format!(
            "{WEBHOOK_PATH}#delivery={};event={event}",
            delivery.unwrap_or("?")
        ),
        external_id: report_id(&body),
        received_at: Utc::now(),
        payload: body.to_vec(),
    };
    // A retry of a delivery repeats its id: accepted without effect, whatever its bytes.
    match ep.sink.accept(raw, delivery).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
        format!(
            "v1={}",
            hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
        )
    }

    #[test]
    fn a_signature_among_a_few_is_found_and_a_flood_of_them_is_not_read() {
        let good = signature(b"s3cret", "1700000000", b"{}");
        let wrong = signature(b"other", "1700000000", b"{}");
        assert!(signed(b"s3cret", "1700000000", b"{}", &good));
        assert!(signed(
            b"s3cret",
            "1700000000",
            b"{}",
            &format!("{wrong}, v1=, {good}")
        ));
        assert!(!signed(b"s3cret", "1700000000", b"{}", &wrong));
        assert!(!signed(b"s3cret", "1700000001", b"{}", &good));
        // Past the first few, nothing is looked at: the right one after a flood is refused.
        let flood = format!("{}{good}", "v1=,".repeat(10_000));
        assert!(!signed(b"s3cret", "1700000000", b"{}", &flood));
    }

    #[test]
    fn a_delivery_is_archived_under_its_report_s_id_when_it_names_one() {
        let id = |body: &str| report_id(body.as_bytes());
        assert_eq!(
            id(r#"{"event":"report.deleted","report":{"id":"r-1","version":2,"deleted_at":"2024-02-05T00:00:00Z"}}"#)
                .as_deref(),
            Some("r-1")
        );
        // A byte that is not UTF-8 in a title: still named.
        let mut body = br#"{"event":"report.updated","report":{"id":"r-2","title":""#.to_vec();
        body.extend_from_slice(b"\xff\"}}");
        assert_eq!(report_id(&body).as_deref(), Some("r-2"));
        for none in [
            r#"{"event":"report.created","report":{}}"#,
            r#"{"event":"report.created","report":{"id":"  "}}"#,
            r#"{"event":"report.created","report":{"id":42}}"#,
            r#"{"event":"report.created"}"#,
            "not JSON",
        ] {
            assert_eq!(id(none), None, "{none}");
        }
    }

    /// Review, session 47: a body holding `id` twice was archived under none (serde refuses a
    /// field given twice), and `aduan raw list --record` did not find it; the parser reads the
    /// last (serde_json's map keeps the last member of a name), and folds it under that.
    #[test]
    fn a_delivery_naming_its_report_twice_is_archived_under_the_id_it_is_folded_by() {
        let twice = br#"{"event":"report.updated","report":{"id":"r-1","version":2,"id":"r-2"}}"#;
        assert_eq!(report_id(twice).as_deref(), Some("r-2"));
        let twice = br#"{"event":"report.deleted","report":{"id":"r-1"},"report":{"id":"r-3"}}"#;
        assert_eq!(report_id(twice).as_deref(), Some("r-3"));
    }

    #[test]
    fn a_timestamp_far_from_now_is_stale_whatever_its_size() {
        let now = 1_700_000_000;
        assert!(fresh("1700000300", now) && fresh(" 1699999700 ", now));
        assert!(!fresh("1700000301", now) && !fresh("1699999699", now));
        for far in [i64::MIN, i64::MAX, i64::MIN + now] {
            assert!(!fresh(&far.to_string(), now), "{far}");
        }
        assert!(!fresh("kemarin", now));
    }
}
