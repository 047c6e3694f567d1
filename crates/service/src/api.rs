//! The read API for dashboards: `GET /api/report`, the analysts' report (what `aduan report`
//! prints) as JSON. It gives counts and average times per group, never a complaint's text or a
//! reporter's key; with a token configured it answers only requests that carry it. At most
//! [`REPORTS_AT_ONCE`] reports run at once; a request that does not get its turn within
//! [`TURN_WAIT`] is answered `503` with `Retry-After` (and counted), and so is one whose
//! database is out of reach or busy. One whose SQLite store's file was removed or replaced
//! under the process is answered `503` saying the service must be restarted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aduan_core::Secret;
use aduan_store::{Dimension, InCity, ReportSpec, Store};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::metrics::Metrics;

/// How many reports run at once. On SQLite a report reads with up to a thread a core (four
/// at most) beside the blocking thread it runs on, so two keep a 2-core server answering
/// webhooks and syncing while dashboards ask.
pub(crate) const REPORTS_AT_ONCE: usize = 2;

/// How long a request waits for its report's turn before it is turned away (a report over a
/// million complaints takes well under a second).
pub(crate) const TURN_WAIT: Duration = Duration::from_secs(1);

/// The `Retry-After` (seconds) of a request turned away.
pub(crate) const RETRY_AFTER_SECS: u64 = 2;

/// The parameters `GET /api/report` takes.
const PARAMETERS: [&str; 9] = [
    "by",
    "month",
    "from",
    "to",
    "channel",
    "kind",
    "category",
    "subcategory",
    "in_city",
];

#[derive(Clone)]
struct Api {
    store: Store,
    token: Option<Arc<Secret>>,
    /// The channels there are (empty: any id is taken).
    channels: Arc<Vec<String>>,
    /// The turns of [`REPORTS_AT_ONCE`]: a report's work holds one until it ends.
    turns: Arc<Semaphore>,
    /// Where a request turned away is counted.
    metrics: Metrics,
    /// Holds each report's work, its turn taken, until the test lets it go.
    #[cfg(test)]
    hold: Option<tests::Hold>,
}

/// The API's routes over `store`; with `token`, a request must carry `Authorization: Bearer
/// <token>`.
pub(crate) fn routes(
    store: Store,
    token: Option<Secret>,
    channels: Vec<String>,
    metrics: &Metrics,
) -> Router {
    router(Api {
        store,
        token: token.map(Arc::new),
        channels: Arc::new(channels),
        turns: Arc::new(Semaphore::new(REPORTS_AT_ONCE)),
        metrics: metrics.clone(),
        #[cfg(test)]
        hold: None,
    })
}

fn router(api: Api) -> Router {
    Router::new()
        .route(
            "/api/report",
            get(report).fallback(|| async {
                (
                    StatusCode::METHOD_NOT_ALLOWED,
                    [(header::ALLOW, "GET, HEAD")],
                    Json(json!({ "error": "the report is read with GET" })),
                )
            }),
        )
        .with_state(api)
}

/// `GET /api/report?by=month,channel&from=2026-01&to=2026-11&channel=…&kind=…&category=…&subcategory=…&in_city=yes`:
/// `{"columns": [...], "rows": [{column: value, ...}, ...]}`, groups in order, each row's keys
/// in the columns' order. `by` defaults to `month,channel,kind,category`; `by=` (empty)
/// gives one row of totals. `channel` and `kind` take several values (comma-separated, or
/// the parameter repeated, as a form's multiple choice sends them); another parameter given
/// twice is refused.
async fn report(
    State(api): State<Api>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if let Some(token) = &api.token {
        if !bearer_is(&headers, token) {
            return unauthorized("this API needs the service's bearer token");
        }
    }
    let spec = match spec(&query) {
        Ok(spec) => spec,
        Err(message) => return bad_request(message),
    };
    if let Some(c) = spec
        .channels
        .iter()
        .find(|c| !api.channels.is_empty() && !api.channels.contains(c))
    {
        let mut known: Vec<&str> = api.channels.iter().map(String::as_str).collect();
        known.sort_unstable();
        return bad_request(format!(
            "channel: no channel {c:?}; the channels are {}",
            known.join(", ")
        ));
    }
    let Ok(Ok(turn)) = tokio::time::timeout(TURN_WAIT, api.turns.clone().acquire_owned()).await
    else {
        api.metrics.turned_away("/api/report");
        return busy();
    };
    // The work runs in a task of its own that holds the turn: a request stopped at the time
    // limit (`503`) leaves it running (a SQLite report's blocking threads cannot be stopped),
    // and it keeps its turn until it really ends, so that abandoned reports cannot pile up.
    let store = api.store.clone();
    #[cfg(test)]
    let hold = api.hold.clone();
    let work = tokio::spawn(async move {
        let _turn = turn;
        #[cfg(test)]
        if let Some(hold) = hold {
            hold.wait().await;
        }
        // (A SQLite store's file removed or replaced is said as such, `Error::File`.)
        store.report(&spec).await
    });
    let done = match work.await {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(error = %e, "The report API's report task ended abnormally.");
            return failed();
        }
    };
    match done {
        Ok(result) => (
            [(header::CONTENT_TYPE, "application/json")],
            in_column_order(&result.columns, &result.rows),
        )
            .into_response(),
        Err(aduan_store::Error::Report(message)) => bad_request(message),
        Err(aduan_store::Error::File { path, message }) => {
            tracing::error!(
                file = %path,
                reason = %message,
                "The report API cannot answer: the store's file was removed or replaced under this process (a restore by hand?); restart the service, removing the replaced file's log beside it (-wal, -shm) before it starts again."
            );
            restart_needed(&message)
        }
        Err(e) if e.is_unavailable() => {
            tracing::warn!(error = %e, "The report API's database is out of reach or busy.");
            unavailable()
        }
        Err(e) => {
            tracing::error!(error = %e, "The report API's query failed.");
            failed()
        }
    }
}

/// Whether `headers` carry `Authorization: Bearer <token>`, the scheme's name in any letter
/// case (RFC 9110).
pub(crate) fn bearer_is(headers: &HeaderMap, token: &Secret) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .is_some_and(|(_, given)| token.matches(given.trim().as_bytes()))
}

/// `401` saying `error`, asking for a bearer token.
pub(crate) fn unauthorized(error: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(json!({ "error": error })),
    )
        .into_response()
}

/// `{"columns": [...], "rows": [...]}` with each row's keys in the columns' order (a JSON
/// object of `serde_json` sorts its keys; a dashboard that lays out a row's keys would show
/// them shuffled).
fn in_column_order(columns: &[String], rows: &[Vec<Value>]) -> String {
    let text = |s: &str| Value::from(s).to_string();
    let names: Vec<String> = columns.iter().map(|c| text(c)).collect();
    let mut out = format!("{{\"columns\":[{}],\"rows\":[", names.join(","));
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        for (j, (name, value)) in names.iter().zip(row).enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(name);
            out.push(':');
            out.push_str(&value.to_string());
        }
        out.push('}');
    }
    out.push_str("]}");
    out
}

/// `500`, the reason logged.
fn failed() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": "the report failed; the service's log says why" })),
    )
        .into_response()
}

/// `503`: the database is out of reach or busy, or the store's file is gone (review of the
/// series: `500`, which says the server is at fault and not to ask again). Whoever reaches
/// the server may read it: it names no path, URL or the database's words; the log has them.
fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())],
        Json(json!({
            "error": format!(
                "the database is out of reach or busy; try again in {RETRY_AFTER_SECS} s (the service's log says why)"
            )
        })),
    )
        .into_response()
}

/// `503`: the SQLite store's file was removed or replaced under this process, as `message`
/// (the store's, naming no path) says: what it would read is not the store it writes, and
/// asking again does not help until the service is restarted, so there is no `Retry-After`
/// (review of session 51: "out of reach or busy; try again in 2 s", again and again). The
/// process is not made to open the file now at the name: its syncs and webhooks write into
/// the one it opened, whose log (`-wal`, by the name) is not the new file's, and the new file
/// may want migrating or its tables rebuilding, which only a start does.
fn restart_needed(message: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "error": message })),
    )
        .into_response()
}

/// `503`: every turn is taken.
fn busy() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())],
        Json(json!({
            "error": format!(
                "the service is busy: {REPORTS_AT_ONCE} reports are running, the most it runs at once; try again in {RETRY_AFTER_SECS} s"
            )
        })),
    )
        .into_response()
}

/// `400` saying `message`, cut to [`SAID_AT_MOST`] characters: it quotes what the request
/// gave, which may be as long as the longest URL the server takes (review: a parameter of
/// 10,000 characters came back whole).
fn bad_request(message: String) -> Response {
    let message = match message.char_indices().nth(SAID_AT_MOST) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message,
    };
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// The longest a `400`'s message is, in characters.
const SAID_AT_MOST: usize = 300;

/// The report a request's parameters ask for, or what is wrong with them.
fn spec(pairs: &[(String, String)]) -> Result<ReportSpec, String> {
    if let Some((unknown, _)) = pairs
        .iter()
        .find(|(k, _)| !PARAMETERS.contains(&k.as_str()))
    {
        return Err(format!(
            "unknown parameter {unknown:?}; the report takes {}",
            PARAMETERS.join(", ")
        ));
    }
    // The values of the parameters that take several (comma-separated, or repeated).
    const SEVERAL: [&str; 2] = ["channel", "kind"];
    let mut query: HashMap<&str, &str> = HashMap::new();
    let mut lists: HashMap<&str, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        if SEVERAL.contains(&k.as_str()) {
            lists.entry(k.as_str()).or_default().extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string),
            );
        } else if query.insert(k.as_str(), v.as_str()).is_some() {
            // Which of two values was meant cannot be told; one of them is not taken silently.
            return Err(format!("{k}: given more than once; give it once"));
        }
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
    let in_city = match text("in_city") {
        None => None,
        Some(v) => Some(InCity::parse(&v).map_err(|why| format!("in_city: {why}"))?),
    };
    Ok(ReportSpec {
        by,
        from_month: month.clone().or_else(|| text("from")),
        to_month: month.or_else(|| text("to")),
        channels: lists.remove("channel").unwrap_or_default(),
        kinds: lists.remove("kind").unwrap_or_default(),
        category_main: text("category"),
        category_sub: text("subcategory"),
        in_city,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::{mpsc, watch};

    /// What a report's work waits for, its turn taken: it says it has started, then waits
    /// for the gate to open.
    #[derive(Clone)]
    pub(super) struct Hold {
        entered: mpsc::UnboundedSender<()>,
        gate: watch::Receiver<bool>,
    }

    impl Hold {
        pub(super) async fn wait(mut self) {
            let _ = self.entered.send(());
            let _ = self.gate.wait_for(|open| *open).await;
        }
    }

    /// The API over an empty SQLite store on a loopback port, each report held at its start.
    struct Held {
        base: String,
        turns: Arc<Semaphore>,
        metrics: Metrics,
        entered: mpsc::UnboundedReceiver<()>,
        open: watch::Sender<bool>,
        stop: watch::Sender<bool>,
        server: tokio::task::JoinHandle<()>,
        _ts: aduan_store::testing::TestStore,
    }

    async fn serve_held(request_timeout: Duration) -> Held {
        let ts = aduan_store::testing::sqlite().await;
        let (entered_tx, entered) = mpsc::unbounded_channel();
        let (open, gate) = watch::channel(false);
        let turns = Arc::new(Semaphore::new(REPORTS_AT_ONCE));
        let metrics = Metrics::default();
        let app = router(Api {
            store: ts.store.clone(),
            token: None,
            channels: Arc::default(),
            turns: turns.clone(),
            metrics: metrics.clone(),
            hold: Some(Hold {
                entered: entered_tx,
                gate,
            }),
        })
        .layer(axum::middleware::from_fn_with_state(
            request_timeout,
            crate::time_limited,
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stop_rx) = watch::channel(false);
        let server = tokio::spawn(crate::server::serve(
            vec![listener],
            app,
            crate::server::Limits {
                head_timeout: request_timeout,
                connections: 256,
                min_send_rate: crate::server::MIN_SEND_RATE,
            },
            stop_rx,
        ));
        Held {
            base,
            turns,
            metrics,
            entered,
            open,
            stop,
            server,
            _ts: ts,
        }
    }

    /// A long bound on a wait that would otherwise hang the test when it fails.
    async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(20), f)
            .await
            .unwrap_or_else(|_| panic!("{what} did not happen"))
    }

    /// `GET /api/report?by=` in a task: its status, `Retry-After` and body.
    fn ask(base: &str) -> tokio::task::JoinHandle<(u16, Option<String>, String)> {
        let url = format!("{base}/api/report?by=");
        tokio::spawn(async move {
            let res = reqwest::get(url).await.unwrap();
            let retry_after = res
                .headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_string());
            (
                res.status().as_u16(),
                retry_after,
                res.text().await.unwrap(),
            )
        })
    }

    #[tokio::test]
    async fn reports_beyond_the_limit_at_once_are_turned_away_with_503_and_the_others_answered() {
        let mut held = serve_held(Duration::from_secs(30)).await;
        let running: Vec<_> = (0..REPORTS_AT_ONCE).map(|_| ask(&held.base)).collect();
        for _ in 0..REPORTS_AT_ONCE {
            within("a report's start", held.entered.recv()).await;
        }
        let turned_away: Vec<_> = (0..3).map(|_| ask(&held.base)).collect();
        for asked in turned_away {
            let (status, retry_after, body) = within("an answer", asked).await.unwrap();
            assert_eq!(status, 503, "{body}");
            assert_eq!(retry_after.as_deref(), Some("2"));
            assert!(body.contains("reports are running"), "{body}");
        }
        // Counted, as `/metrics`' and `/readyz`'s.
        let text = held.metrics.render(&held._ts.store, None).await;
        let line = "aduan_http_turned_away_total{path=\"/api/report\"} 3";
        assert!(text.lines().any(|l| l == line), "{line} in {text}");
        held.open.send(true).unwrap();
        for asked in running {
            let (status, _, body) = within("an answer", asked).await.unwrap();
            assert_eq!(status, 200, "{body}");
            assert!(body.contains("\"complaints\":0"), "{body}");
        }
        // Their turns are back: the next is answered.
        let (status, _, body) = within("an answer", ask(&held.base)).await.unwrap();
        assert_eq!(status, 200, "{body}");
        held.stop.send(true).unwrap();
        within("the server's end", held.server).await.unwrap();
    }

    /// A report stopped at the time limit is answered `503`, not `408` (review of session 49:
    /// `408` says the client was too slow to send its request, and a client may send it again
    /// at once; a report has no body, and the time was the server's).
    #[tokio::test]
    async fn a_report_stopped_at_the_time_limit_keeps_its_turn_until_its_work_ends() {
        let mut held = serve_held(Duration::from_millis(300)).await;
        let running: Vec<_> = (0..REPORTS_AT_ONCE).map(|_| ask(&held.base)).collect();
        for _ in 0..REPORTS_AT_ONCE {
            within("a report's start", held.entered.recv()).await;
        }
        for asked in running {
            let (status, retry_after, body) = within("an answer", asked).await.unwrap();
            assert_eq!(status, 503, "{body}");
            // As the other `503`s of the report API (review of the series: it had none).
            assert_eq!(retry_after.as_deref(), Some("1"), "{body}");
            // Review: this error alone was plain text.
            let body: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(
                body["error"],
                "the answer took longer than the time limit of 300ms"
            );
        }
        // The requests are gone, their work is not: it still holds every turn.
        assert_eq!(held.turns.available_permits(), 0);
        held.open.send(true).unwrap();
        within("the turns' return", async {
            while held.turns.available_permits() < REPORTS_AT_ONCE {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        held.stop.send(true).unwrap();
        within("the server's end", held.server).await.unwrap();
    }

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
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
        assert_eq!(s.kinds, ["complaint"]);
        assert_eq!(s.category_sub.as_deref(), Some("banjir"));
        assert_eq!(spec(&query(&[])).unwrap().by, Dimension::ALL.to_vec());
        assert!(spec(&query(&[("by", "")])).unwrap().by.is_empty());
        // Several channels and kinds: comma-separated, or the parameter repeated (a form's
        // multiple choice).
        let several = spec(&query(&[
            ("channel", "cc112, sp4n_lapor"),
            ("channel", "lapor_gub"),
            ("kind", "complaint"),
            ("kind", "aspiration"),
        ]))
        .unwrap();
        assert_eq!(several.channels, ["cc112", "sp4n_lapor", "lapor_gub"]);
        assert_eq!(several.kinds, ["complaint", "aspiration"]);
        // Where they are: as the command line's `--in-city` reads it; empty, wherever.
        for (given, place) in [
            ("yes", Some(InCity::Yes)),
            ("False", Some(InCity::No)),
            ("unknown", Some(InCity::Unknown)),
            ("", None),
        ] {
            assert_eq!(spec(&query(&[("in_city", given)])).unwrap().in_city, place);
        }
        assert_eq!(spec(&query(&[])).unwrap().in_city, None);
        for (bad, says) in [
            (query(&[("by", "week")]), "not a grouping"),
            (
                query(&[("month", "2026-11"), ("from", "2026-01")]),
                "not both",
            ),
            (query(&[("limit", "5")]), "unknown parameter"),
            (
                query(&[("in_city", "kota")]),
                "in_city: \"kota\" is not a choice",
            ),
            // Which of two was meant cannot be told (review: the last was taken silently).
            (
                query(&[("by", "channel"), ("by", "kind")]),
                "given more than once",
            ),
        ] {
            let e = spec(&bad).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
