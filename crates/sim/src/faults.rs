//! Fault injection shared by the channel simulators: "every Nth request" schedules and the
//! error responses real gateways give (JSON errors, 429 with `Retry-After`, bare 5xx, an
//! HTML maintenance page).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// True when the `n`th request (1-based) falls on an `every` schedule. `None` and `Some(0)`
/// never fire; `Some(1)` fires on every request.
pub(crate) fn fires(n: u64, every: Option<u32>) -> bool {
    match every {
        Some(e) if e > 0 => n.is_multiple_of(u64::from(e)),
        _ => false,
    }
}

/// A JSON body with the content type set.
pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// `{"status":"error","message":…}` with the given status.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "status": "error", "message": message }).to_string();
    json_response(status, body)
}

/// `429 Too Many Requests` with `Retry-After: 1`.
pub(crate) fn rate_limited() -> Response {
    let mut resp = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "Terlalu banyak permintaan, coba lagi nanti",
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

/// The `k`th injected server error (0-based): 500, 502, 504 in turn; a JSON body on even
/// `k`, an empty body on odd `k`.
pub(crate) fn server_error(k: u64) -> Response {
    let status = match k % 3 {
        0 => StatusCode::INTERNAL_SERVER_ERROR,
        1 => StatusCode::BAD_GATEWAY,
        _ => StatusCode::GATEWAY_TIMEOUT,
    };
    if k.is_multiple_of(2) {
        json_error(status, "Terjadi kesalahan pada server")
    } else {
        status.into_response()
    }
}

/// `503` with an HTML maintenance page (not JSON).
pub(crate) fn maintenance(title: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"id\">\n<head><meta charset=\"utf-8\"><title>{title} - Pemeliharaan Sistem</title></head>\n\
         <body>\n<h1>Sedang Dalam Pemeliharaan</h1>\n<p>Mohon maaf, layanan {title} sedang dalam pemeliharaan terjadwal. \
         Silakan coba beberapa saat lagi.</p>\n</body>\n</html>\n"
    );
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_fires_on_every_nth_request_only() {
        let hits: Vec<u64> = (1..=12).filter(|n| fires(*n, Some(4))).collect();
        assert_eq!(hits, vec![4, 8, 12]);
        assert!(!fires(5, None));
        assert!(!fires(5, Some(0)));
        assert!(fires(5, Some(1)));
    }
}
