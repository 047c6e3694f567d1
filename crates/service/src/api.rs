//! The read API for dashboards: `GET /api/report`, the analysts' report (what `aduan report`
//! prints) as JSON. It gives counts and average times per group, never a complaint's text or a
//! reporter's key; with a token configured it answers only requests that carry it.

use std::collections::HashMap;
use std::sync::Arc;

use aduan_core::Secret;
use aduan_store::{Dimension, ReportSpec, Store};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

/// The parameters `GET /api/report` takes.
const PARAMETERS: [&str; 8] = [
    "by",
    "month",
    "from",
    "to",
    "channel",
    "kind",
    "category",
    "subcategory",
];

#[derive(Clone)]
struct Api {
    store: Store,
    token: Option<Arc<Secret>>,
}

/// The API's routes over `store`; with `token`, a request must carry `Authorization: Bearer
/// <token>`.
pub(crate) fn routes(store: Store, token: Option<Secret>) -> Router {
    Router::new()
        .route("/api/report", get(report))
        .with_state(Api {
            store,
            token: token.map(Arc::new),
        })
}

/// `GET /api/report?by=month,channel&from=2026-01&to=2026-11&channel=…&kind=…&category=…&subcategory=…`:
/// `{"columns": [...], "rows": [{column: value, ...}, ...]}`, groups in order. `by` defaults to
/// `month,channel,kind,category`; `by=` (empty) gives one row of totals.
async fn report(
    State(api): State<Api>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(token) = &api.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| token.matches(g.trim().as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(json!({ "error": "this API needs the service's bearer token" })),
            )
                .into_response();
        }
    }
    let spec = match spec(&query) {
        Ok(spec) => spec,
        Err(message) => return bad_request(message),
    };
    match api.store.report(&spec).await {
        Ok(result) => {
            let rows: Vec<Value> = result
                .rows
                .into_iter()
                .map(|row| {
                    Value::Object(
                        result
                            .columns
                            .iter()
                            .cloned()
                            .zip(row)
                            .collect::<Map<String, Value>>(),
                    )
                })
                .collect();
            Json(json!({ "columns": result.columns, "rows": rows })).into_response()
        }
        Err(aduan_store::Error::Report(message)) => bad_request(message),
        Err(e) => {
            tracing::error!(error = %e, "The report API's query failed.");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "the report failed; the service's log says why" })),
            )
                .into_response()
        }
    }
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// The report a request's parameters ask for, or what is wrong with them.
fn spec(query: &HashMap<String, String>) -> Result<ReportSpec, String> {
    if let Some(unknown) = query.keys().find(|k| !PARAMETERS.contains(&k.as_str())) {
        return Err(format!(
            "unknown parameter {unknown:?}; the report takes {}",
            PARAMETERS.join(", ")
        ));
    }
    let text = |name: &str| {
        query
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let by = match query.get("by") {
        None => Dimension::ALL.to_vec(),
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                Dimension::parse(d).ok_or_else(|| {
                    format!(
                        "by: {d:?} is not a grouping; give some of {}",
                        Dimension::NAMES.join(", ")
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let month = text("month");
    if month.is_some() && (text("from").is_some() || text("to").is_some()) {
        return Err("month: give either month or from and to, not both".into());
    }
    Ok(ReportSpec {
        by,
        from_month: month.clone().or_else(|| text("from")),
        to_month: month.or_else(|| text("to")),
        channel: text("channel"),
        kind: text("kind"),
        category_main: text("category"),
        category_sub: text("subcategory"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parameters_become_a_report_or_a_reason() {
        let s = spec(&query(&[
            ("by", "channel, subcategory"),
            ("month", "2026-11"),
            ("kind", "complaint"),
            ("subcategory", "banjir"),
        ]))
        .unwrap();
        assert_eq!(s.by, vec![Dimension::Channel, Dimension::Subcategory]);
        assert_eq!(s.from_month.as_deref(), Some("2026-11"));
        assert_eq!(s.to_month.as_deref(), Some("2026-11"));
        assert_eq!(s.kind.as_deref(), Some("complaint"));
        assert_eq!(s.category_sub.as_deref(), Some("banjir"));
        assert_eq!(spec(&query(&[])).unwrap().by, Dimension::ALL.to_vec());
        assert!(spec(&query(&[("by", "")])).unwrap().by.is_empty());
        for (bad, says) in [
            (query(&[("by", "week")]), "not a grouping"),
            (
                query(&[("month", "2026-11"), ("from", "2026-01")]),
                "not both",
            ),
            (query(&[("limit", "5")]), "unknown parameter"),
        ] {
            let e = spec(&bad).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
