//! The Pantau Pekalongan simulator over real HTTP on loopback: the backfill API it serves
//! and the signed webhooks it delivers to a receiver started here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use aduan_sim::{
    signature, DeliveryPlan, RunningSim, SimConfig, Simulator, SmartCityConfig, SmartCityFaults,
    TruthReport,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

const TOKEN: &str = "pantau-sim-token";
const SECRET: &str = "pantau-sim-webhook-secret";

async fn start_with(seed: u64, reports: usize) -> RunningSim {
    let config = SimConfig {
        seed,
        smart_city: Some(SmartCityConfig {
            reports,
            ..SmartCityConfig::default()
        }),
        ..SimConfig::no_channels()
    };
    Simulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator starts")
}

async fn start(reports: usize) -> RunningSim {
    start_with(42, reports).await
}

async fn get(
    c: &Client,
    sim: &RunningSim,
    token: Option<&str>,
    query: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = c
        .get(format!("{}/api/reports", sim.smart_city_base_url()))
        .query(query);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("backfill request")
}

/// One page from a cursor: (rows, has_more).
async fn page(
    c: &Client,
    sim: &RunningSim,
    cursor: Option<&(String, String)>,
    limit: usize,
) -> (Vec<Value>, bool) {
    let limit = limit.to_string();
    let mut q = vec![("limit", limit.as_str())];
    if let Some((t, id)) = cursor {
        q.push(("updated_after", t));
        q.push(("after_id", id));
    }
    let resp = get(c, sim, Some(TOKEN), &q).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("page json");
    let rows = body["reports"].as_array().expect("reports").clone();
    let has_more = body["has_more"].as_bool().expect("has_more");
    (rows, has_more)
}

/// Walks the backfill from `cursor` to the end; returns the rows and the number of pages.
async fn walk(
    c: &Client,
    sim: &RunningSim,
    mut cursor: Option<(String, String)>,
    limit: usize,
) -> (Vec<Value>, usize) {
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let (rows, has_more) = page(c, sim, cursor.as_ref(), limit).await;
        pages += 1;
        assert!(rows.len() <= limit);
        if has_more {
            assert_eq!(rows.len(), limit, "a page before the end is full");
        }
        if let Some(last) = rows.last() {
            cursor = Some(key(last));
        }
        all.extend(rows);
        if !has_more {
            return (all, pages);
        }
        assert!(pages < 10_000, "paging does not end");
    }
}

fn key(r: &Value) -> (String, String) {
    (
        r["updated_at"].as_str().expect("updated_at").to_string(),
        r["id"].as_str().expect("id").to_string(),
    )
}

fn keys_of(r: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = r
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

fn ties(rows: &[Value]) -> usize {
    rows.windows(2)
        .filter(|w| w[0]["updated_at"] == w[1]["updated_at"])
        .count()
}

/// Checks a backfilled row against the truth and the contract's shape.
fn check_row(r: &Value, t: &TruthReport) {
    assert_eq!(r["id"], t.id.as_str());
    assert_eq!(r["version"], t.version);
    if t.deleted {
        assert_eq!(
            keys_of(r),
            vec!["deleted_at", "id", "updated_at", "version"]
        );
        assert_eq!(r["deleted_at"], r["updated_at"]);
        return;
    }
    assert_eq!(r["status"].as_str(), t.status.as_deref());
    assert_eq!(r["type"], t.kind.as_str());
    let mut expected = vec![
        "area",
        "created_at",
        "description",
        "id",
        "photos",
        "status",
        "title",
        "type",
        "updated_at",
        "user",
        "version",
    ];
    if r.get("location").is_some() {
        expected.push("location");
        expected.sort_unstable();
        let l = &r["location"];
        assert!(l["lat"].is_f64() && l["lng"].is_f64() && l["address"].is_string());
    }
    assert_eq!(keys_of(r), expected);
    assert!([
        "kesehatan",
        "infrastruktur",
        "ekonomi",
        "sosial_lingkungan",
        "potensi_daerah"
    ]
    .contains(&r["area"].as_str().expect("area")));
    for field in ["created_at", "updated_at"] {
        let s = r[field].as_str().expect("time");
        let parsed = chrono::DateTime::parse_from_rfc3339(s).expect("RFC 3339");
        assert_eq!(parsed.offset().local_minus_utc(), 0);
        assert!(s.ends_with('Z') && s.len() == 20, "{s}");
        assert!(("2024-01-01".."2026-01-02").contains(&s), "{s}");
    }
    assert!(r["created_at"].as_str() <= r["updated_at"].as_str());
    assert!(r["photos"].as_array().expect("photos").len() <= 3);
    let u = &r["user"];
    assert_eq!(keys_of(u), vec!["id", "name", "phone"]);
}

#[tokio::test]
async fn paging_with_limit_50_walks_every_report_exactly_once_and_matches_the_truth() {
    let c = Client::new();
    let sim = start(300).await;
    let truth = sim.smart_city_truth();
    assert_eq!(truth.len(), 300);
    assert!(
        truth.windows(2).all(|w| w[0].id < w[1].id),
        "truth sorted by id"
    );

    let (rows, pages) = walk(&c, &sim, None, 50).await;

    assert_eq!(pages, 6);
    assert_eq!(rows.len(), 300);
    let keys: Vec<_> = rows.iter().map(key).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "ordered by (updated_at, id)"
    );
    let by_id: HashMap<&str, &TruthReport> = truth.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut seen = HashSet::new();
    for r in &rows {
        let id = r["id"].as_str().expect("id");
        assert!(seen.insert(id), "{id} twice");
        check_row(r, by_id.get(id).expect("a known id"));
    }
    // The data has the contract's variety.
    assert!(truth.iter().any(|t| t.deleted));
    assert!(truth.iter().any(|t| t.kind == "usulan"));
    assert!(truth.iter().any(|t| t.version >= 4));
    assert!(rows
        .iter()
        .any(|r| r["status"].is_string() && r.get("location").is_none()));
    assert!(
        ties(&rows) >= 5,
        "reports share an updated_at: {}",
        ties(&rows)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn keyset_paging_splits_runs_of_equal_updated_at_without_losing_or_repeating_rows() {
    let c = Client::new();
    let sim = start(300).await;
    let (whole, _) = walk(&c, &sim, None, 200).await;
    assert!(ties(&whole) >= 5);

    // Every page boundary falls somewhere, including inside every run of equal updated_at.
    let (one_by_one, pages) = walk(&c, &sim, None, 1).await;
    assert_eq!(pages, 300);
    assert_eq!(one_by_one, whole);
    let (by_seven, _) = walk(&c, &sim, None, 7).await;
    assert_eq!(by_seven, whole);

    // A cursor inside a run of ties continues with the rest of the run.
    let i = (1..whole.len())
        .find(|&i| whole[i - 1]["updated_at"] == whole[i]["updated_at"])
        .expect("a tie");
    let (rest, _) = walk(&c, &sim, Some(key(&whole[i - 1])), 50).await;
    assert_eq!(rest, whole[i..].to_vec());

    // Without after_id, updated_after alone means updated_at > updated_after: the whole
    // run is skipped.
    let t = whole[i]["updated_at"].as_str().expect("time");
    let resp = get(
        &c,
        &sim,
        Some(TOKEN),
        &[("updated_after", t), ("limit", "200")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    let after: Vec<&Value> = whole
        .iter()
        .filter(|r| r["updated_at"].as_str().expect("time") > t)
        .collect();
    let got = body["reports"].as_array().expect("reports");
    let n = after.len().min(200);
    assert_eq!(got.len(), n);
    assert_eq!(got.iter().collect::<Vec<_>>(), after[..n].to_vec());
    assert_eq!(body["has_more"], after.len() > 200);

    // The same instant in another offset selects the same rows.
    let wib = chrono::DateTime::parse_from_rfc3339(t)
        .expect("time")
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("offset"))
        .to_rfc3339();
    let body: Value = get(
        &c,
        &sim,
        Some(TOKEN),
        &[("updated_after", &wib), ("limit", "200")],
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(body["reports"].as_array().map(Vec::len), Some(n));
    assert_eq!(body["reports"][0], *after[0]);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_backfill_needs_the_bearer_token() {
    let c = Client::new();
    let sim = start(20).await;

    let missing = get(&c, &sim, None, &[]).await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(missing.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("application/json"));
    let body: Value = missing.json().await.expect("json error");
    assert_eq!(body["error"], "unauthorized");
    let wrong = get(&c, &sim, Some("not-the-token"), &[]).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let basic = c
        .get(format!("{}/api/reports", sim.smart_city_base_url()))
        .basic_auth("pantau", Some(TOKEN))
        .send()
        .await
        .expect("request");
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&c, &sim, Some(TOKEN), &[]).await.status(),
        StatusCode::OK
    );

    let stats = sim.smart_city_stats();
    assert_eq!(stats.requests, 4);
    assert_eq!(stats.unauthorized, 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_get_400_json_errors() {
    let c = Client::new();
    let sim = start(20).await;
    let bad: &[&[(&str, &str)]] = &[
        &[("limit", "0")],
        &[("limit", "201")],
        &[("limit", "-5")],
        &[("limit", "lima")],
        &[("updated_after", "kemarin")],
        &[("updated_after", "2024-02-02 01:00:00")],
        &[("after_id", "5b0c2f1e-8a43-4f4e-9d56-0f7c1a2b3c4d")],
    ];
    for q in bad {
        let resp = get(&c, &sim, Some(TOKEN), q).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{q:?}");
        let body: Value = resp.json().await.expect("json error");
        assert_eq!(body["error"], "invalid_parameter", "{q:?}");
        assert!(body["message"].is_string());
    }
    for limit in ["1", "200"] {
        let resp = get(&c, &sim, Some(TOKEN), &[("limit", limit)]).await;
        assert_eq!(resp.status(), StatusCode::OK, "limit {limit}");
    }
    let (rows, more) = page(&c, &sim, None, 200).await;
    assert_eq!((rows.len(), more), (20, false));
    sim.shutdown().await;
}

#[tokio::test]
async fn after_updates_the_backfill_from_the_last_cursor_returns_exactly_the_updated_reports() {
    let c = Client::new();
    let sim = start(300).await;
    let (before, _) = walk(&c, &sim, None, 50).await;
    let cursor = key(before.last().expect("rows"));
    let old: HashMap<String, u64> = before
        .iter()
        .map(|r| (key(r).1, r["version"].as_u64().expect("version")))
        .collect();

    let updated = sim.smart_city_update_reports(25);

    assert_eq!(updated.len(), 25);
    assert_eq!(updated.iter().collect::<HashSet<_>>().len(), 25, "distinct");
    let (rows, _) = walk(&c, &sim, Some(cursor.clone()), 10).await;
    let got: HashSet<String> = rows.iter().map(|r| key(r).1).collect();
    assert_eq!(got, updated.iter().cloned().collect::<HashSet<_>>());
    assert_eq!(rows.len(), 25);
    let truth: HashMap<String, TruthReport> = sim
        .smart_city_truth()
        .into_iter()
        .map(|t| (t.id.clone(), t))
        .collect();
    for r in &rows {
        let id = key(r).1;
        assert_eq!(r["version"].as_u64(), Some(old[&id] + 1), "{id}");
        assert!(key(r).0 > cursor.0, "updated_at moved past the old newest");
        assert_eq!(key(r).0, key(&rows[0]).0, "one update time");
        check_row(r, &truth[&id]);
    }
    // Nothing else changed, and a full walk still sees every report once.
    let (after, _) = walk(&c, &sim, None, 50).await;
    assert_eq!(after.len(), 300);
    assert_eq!(
        after[..275],
        before
            .iter()
            .filter(|r| !got.contains(&key(r).1))
            .cloned()
            .collect::<Vec<_>>()[..]
    );

    // Deleted reports are not updated again; everything ends deleted eventually.
    let mut rounds = 0;
    while !sim.smart_city_update_reports(300).is_empty() {
        rounds += 1;
        assert!(rounds < 50);
    }
    assert!(sim
        .smart_city_truth()
        .iter()
        .all(|t| t.deleted && t.status.is_none()));
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_answer_429_with_retry_after_and_503_on_schedule_and_are_counted() {
    let c = Client::new();
    let sim = start(20).await;
    sim.smart_city_set_faults(SmartCityFaults {
        rate_limit_every: 3,
        server_error_every: 5,
    });
    let mut statuses = Vec::new();
    for _ in 0..15 {
        let resp = get(&c, &sim, Some(TOKEN), &[]).await;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(resp.headers()["retry-after"], "1");
        }
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(
        statuses,
        vec![200, 200, 429, 200, 503, 429, 200, 200, 429, 503, 200, 429, 200, 200, 503]
    );
    let stats = sim.smart_city_stats();
    assert_eq!(
        (stats.requests, stats.rate_limited, stats.server_errors),
        (15, 4, 3)
    );

    sim.smart_city_set_faults(SmartCityFaults::default());
    for _ in 0..6 {
        assert_eq!(
            get(&c, &sim, Some(TOKEN), &[]).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(sim.smart_city_stats().rate_limited, 4);
    sim.shutdown().await;
}

// ----- webhooks -------------------------------------------------------------------------

/// One delivery the receiver accepted.
#[derive(Clone, Debug)]
struct Received {
    delivery: String,
    event: String,
    body: Value,
    raw: Bytes,
}

#[derive(Default)]
struct Receiver {
    /// Requests answered 503 before any check (to make the sender retry).
    fail_first: Mutex<u32>,
    accepted: Mutex<Vec<Received>>,
    rejected: Mutex<u64>,
}

fn verify(headers: &HeaderMap, body: &[u8]) -> Result<(), &'static str> {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or("header missing")
    };
    let ts: i64 = h("x-pantau-timestamp")?.parse().map_err(|_| "timestamp")?;
    if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
        return Err("stale");
    }
    let sig = h("x-pantau-signature")?
        .strip_prefix("v1=")
        .ok_or("scheme")?;
    let sig = hex::decode(sig).map_err(|_| "hex")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&sig).map_err(|_| "signature")
}

async fn receive(State(st): State<Arc<Receiver>>, headers: HeaderMap, raw: Bytes) -> AxumStatus {
    {
        let mut fail = st.fail_first.lock().expect("lock");
        if *fail > 0 {
            *fail -= 1;
            return AxumStatus::SERVICE_UNAVAILABLE;
        }
    }
    if verify(&headers, &raw).is_err() {
        *st.rejected.lock().expect("lock") += 1;
        return AxumStatus::UNAUTHORIZED;
    }
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let body: Value = serde_json::from_slice(&raw).expect("a JSON body");
    st.accepted.lock().expect("lock").push(Received {
        delivery: h("x-pantau-delivery"),
        event: h("x-pantau-event"),
        body,
        raw,
    });
    AxumStatus::OK
}

async fn receiver(fail_first: u32) -> (String, Arc<Receiver>, tokio::task::JoinHandle<()>) {
    let st = Arc::new(Receiver {
        fail_first: Mutex::new(fail_first),
        ..Receiver::default()
    });
    let app = Router::new()
        .route("/webhooks/smart-city", post(receive))
        .with_state(Arc::clone(&st));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/webhooks/smart-city",
        listener.local_addr().expect("addr")
    );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("receiver");
    });
    (url, st, task)
}

#[tokio::test]
async fn webhooks_are_signed_retried_duplicated_and_out_of_order_as_planned() {
    let sim = start(300).await;
    let truth = sim.smart_city_truth();
    let versions: u64 = truth.iter().map(|t| u64::from(t.version)).sum();
    let (url, rx, task) = receiver(3).await;
    let plan = DeliveryPlan::default();

    let stats = sim.smart_city_deliver(&url, &plan).await;

    // The stats add up and match the plan.
    let (dups, bad, stale) = (versions / 7, versions / 11, versions / 13);
    assert_eq!(stats.unexpected, 0, "{stats:?}");
    assert_eq!(stats.retried, 3, "{stats:?}");
    assert_eq!(stats.accepted, versions + dups, "{stats:?}");
    assert_eq!(stats.rejected, bad + stale, "{stats:?}");
    assert_eq!(
        stats.sent,
        stats.accepted + stats.rejected + stats.unexpected + stats.retried
    );
    assert_eq!(*rx.rejected.lock().expect("lock"), stats.rejected);
    let got = rx.accepted.lock().expect("lock").clone();
    assert_eq!(got.len() as u64, stats.accepted);

    // Every version arrived, with the event it is, and the highest versions are the truth.
    let mut arrived: HashSet<(String, u64)> = HashSet::new();
    let mut highest: BTreeMap<String, (u64, bool)> = BTreeMap::new();
    for r in &got {
        assert_eq!(r.body["event"], r.event.as_str());
        let rep = &r.body["report"];
        let id = rep["id"].as_str().expect("id").to_string();
        let v = rep["version"].as_u64().expect("version");
        match r.event.as_str() {
            "report.created" => assert_eq!(v, 1),
            "report.updated" => assert!(v > 1),
            "report.deleted" => assert_eq!(keys_of(rep), vec!["deleted_at", "id", "version"]),
            other => panic!("event {other}"),
        }
        arrived.insert((id.clone(), v));
        let e = highest.entry(id).or_insert((0, false));
        if v > e.0 {
            *e = (v, r.event == "report.deleted");
        }
    }
    assert_eq!(arrived.len() as u64, versions);
    for t in &truth {
        assert_eq!(highest.get(&t.id), Some(&(u64::from(t.version), t.deleted)));
    }

    // One delivery id per version; a duplicate reuses it with the same bytes.
    let mut by_delivery: HashMap<&str, Vec<&Received>> = HashMap::new();
    for r in &got {
        by_delivery.entry(r.delivery.as_str()).or_default().push(r);
    }
    assert_eq!(by_delivery.len() as u64, versions);
    let twice: Vec<&Vec<&Received>> = by_delivery.values().filter(|v| v.len() == 2).collect();
    assert_eq!(twice.len() as u64, dups);
    assert!(by_delivery.values().all(|v| v.len() <= 2));
    for pair in twice {
        assert_eq!(pair[0].raw, pair[1].raw);
    }
    assert!(by_delivery
        .keys()
        .all(|d| d.len() == 36 && d.as_bytes()[14] == b'4'));

    // Shuffled: an update arrives before its create, an old version after a newer one.
    let mut first_seen: HashMap<String, Vec<u64>> = HashMap::new();
    for r in &got {
        let rep = &r.body["report"];
        first_seen
            .entry(rep["id"].as_str().expect("id").to_string())
            .or_default()
            .push(rep["version"].as_u64().expect("version"));
    }
    assert!(
        first_seen.values().any(|vs| vs[0] > 1),
        "an update before its create"
    );
    assert!(
        first_seen
            .values()
            .any(|vs| vs.windows(2).any(|w| w[1] < w[0])),
        "an old version after a newer one"
    );
    task.abort();
    sim.shutdown().await;
}

#[tokio::test]
async fn only_first_versions_leaves_the_later_ones_for_the_backfill_to_find() {
    let c = Client::new();
    let sim = start(120).await;
    let (url, rx, task) = receiver(0).await;
    let plan = DeliveryPlan {
        duplicate_every: 0,
        bad_signature_every: 0,
        stale_every: 0,
        shuffle: false,
        only_first_versions: true,
        seed: 9,
    };

    let stats = sim.smart_city_deliver(&url, &plan).await;

    assert_eq!(stats.sent, 120);
    assert_eq!(stats.accepted, 120);
    let got = rx.accepted.lock().expect("lock").clone();
    assert!(got.iter().all(|r| r.event == "report.created"
        && r.body["report"]["version"] == 1
        && r.body["report"]["status"] == "submitted"));
    // In order without shuffle: by updated_at of version 1 (created_at), then id.
    let created: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            (
                r.body["report"]["created_at"]
                    .as_str()
                    .expect("time")
                    .to_string(),
                r.body["report"]["id"].as_str().expect("id").to_string(),
            )
        })
        .collect();
    let mut sorted = created.clone();
    sorted.sort();
    // Four workers may swap neighbours, never more than a few places.
    let disorder = created.iter().zip(&sorted).filter(|(a, b)| a != b).count();
    assert!(disorder < 40, "{disorder}");

    let (rows, _) = walk(&c, &sim, None, 50).await;
    let newer = rows
        .iter()
        .filter(|r| r["version"].as_u64().expect("version") > 1)
        .count();
    assert!(newer > 60, "the backfill holds the lost versions: {newer}");
    task.abort();
    sim.shutdown().await;
}

#[tokio::test]
async fn a_receiver_that_rejects_good_deliveries_is_reported_as_unexpected() {
    let sim = start(10).await;
    let (url, _rx, task) = receiver(0).await;
    let wrong = SimConfig {
        seed: 42,
        smart_city: Some(SmartCityConfig {
            reports: 10,
            webhook_secret: "another-secret".into(),
            ..SmartCityConfig::default()
        }),
        ..SimConfig::no_channels()
    };
    let other = Simulator::start(wrong, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("starts");
    let plan = DeliveryPlan {
        shuffle: false,
        duplicate_every: 0,
        bad_signature_every: 0,
        stale_every: 0,
        ..DeliveryPlan::default()
    };
    let versions: u64 = other
        .smart_city_truth()
        .iter()
        .map(|t| u64::from(t.version))
        .sum();

    let stats = other.smart_city_deliver(&url, &plan).await;

    assert_eq!(stats.accepted, 0);
    assert_eq!(stats.unexpected, versions);

    // Nobody listening: every POST is retried five times, then counted unexpected.
    let dead = "http://127.0.0.1:9/webhooks/smart-city";
    let few = DeliveryPlan {
        only_first_versions: true,
        ..plan
    };
    let stats = sim.smart_city_deliver(dead, &few).await;
    assert_eq!(stats.unexpected, 10);
    assert_eq!(stats.retried, 50);
    assert_eq!(stats.sent, 60);
    task.abort();
    other.shutdown().await;
    sim.shutdown().await;
}

// ----- signatures and determinism -------------------------------------------------------

/// HMAC-SHA256 from its definition (RFC 2104), independent of the `hmac` crate.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x36)
        .chain(message.iter().copied())
        .collect();
    let inner = Sha256::digest(&inner);
    let outer: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner.iter().copied())
        .collect();
    Sha256::digest(&outer).into()
}

#[test]
fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
    // The reference implementation is right (RFC 4231, test case 2).
    assert_eq!(
        hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    // A fixed vector computed with Python's hmac module.
    assert_eq!(
        signature(
            SECRET.as_bytes(),
            1_706_835_600,
            br#"{"event":"report.created"}"#
        ),
        "v1=7085e46b091e0342d1428ad73af1d6543e4eac6f753b81385123a9893db449e3"
    );
    let body = "{\"event\":\"report.updated\",\"report\":{\"title\":\"Saluran air tersumbat\"}}";
    for (key, ts) in [(&b"k"[..], 0), (&[7u8; 100][..], 1_767_139_200)] {
        let mut msg = format!("{ts}.").into_bytes();
        msg.extend_from_slice(body.as_bytes());
        assert_eq!(
            signature(key, ts, body.as_bytes()),
            format!("v1={}", hex::encode(hmac_sha256(key, &msg)))
        );
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_reports() {
    let c = Client::new();
    let a = start_with(7, 100).await;
    let b = start_with(7, 100).await;
    let other = start_with(8, 100).await;
    assert_eq!(a.smart_city_truth(), b.smart_city_truth());
    assert_ne!(a.smart_city_truth(), other.smart_city_truth());
    assert_eq!(page(&c, &a, None, 100).await, page(&c, &b, None, 100).await);
    assert_ne!(
        page(&c, &a, None, 100).await,
        page(&c, &other, None, 100).await
    );
    a.shutdown().await;
    b.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn the_root_lists_the_channel() {
    let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("starts");
    let body: Value = reqwest::get(sim.base_url())
        .await
        .expect("root")
        .json()
        .await
        .expect("json");
    assert_eq!(body["channels"]["smart_city"], "/smart-city");
    assert!(sim.smart_city_base_url().ends_with("/smart-city"));
    assert_eq!(sim.smart_city_truth().len(), 300);
    sim.shutdown().await;
}
