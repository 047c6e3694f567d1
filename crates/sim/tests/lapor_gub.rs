//! The Lapor Gub! simulator over real HTTP on loopback.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aduan_sim::{LaporGubConfig, LaporGubFaults, RunningSim, SimConfig, Simulator};
use reqwest::{Client, StatusCode};
use serde_json::Value;

const KEY: &str = "lapor-gub-sim-key";

async fn start_with(seed: u64, config: LaporGubConfig) -> RunningSim {
    let config = SimConfig {
        seed,
        lapor_gub: Some(config),
        ..SimConfig::no_channels()
    };
    Simulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator starts")
}

/// `reports` of the city and a tenth of others, no rate limit, the given faults.
fn config(reports: usize, faults: LaporGubFaults) -> LaporGubConfig {
    LaporGubConfig {
        reports,
        other_kota_reports: reports / 10,
        rate_limit_per_minute: None,
        faults,
        ..LaporGubConfig::default()
    }
}

async fn start(reports: usize, faults: LaporGubFaults) -> RunningSim {
    start_with(42, config(reports, faults)).await
}

async fn get(
    c: &Client,
    sim: &RunningSim,
    key: Option<&str>,
    query: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = c
        .get(format!("{}/api/v2/aduan", sim.lapor_gub_base_url()))
        .query(query);
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    req.send().await.expect("request")
}

async fn page(c: &Client, sim: &RunningSim, query: &[(&str, &str)]) -> Value {
    let resp = get(c, sim, Some(KEY), query).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.expect("json")
}

/// Every page from `since` (or the start) with `limit` 50, following the cursors.
async fn fetch_all(c: &Client, sim: &RunningSim, since: Option<i64>) -> (Vec<Value>, usize) {
    let since = since.map(|s| s.to_string());
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q = vec![("kota_id", "3375"), ("limit", "50")];
        if let Some(s) = &since {
            q.push(("since", s));
        }
        if let Some(cur) = &cursor {
            q.push(("cursor", cur));
        }
        let body = page(c, sim, &q).await;
        pages += 1;
        let got = body["items"].as_array().expect("items").clone();
        assert!(got.len() <= 50);
        items.extend(got);
        match &body["next_cursor"] {
            Value::Null => break,
            Value::String(s) => cursor = Some(s.clone()),
            other => panic!("next_cursor {other}"),
        }
        assert!(pages < 10_000, "paging does not end");
    }
    (items, pages)
}

/// The tickets of every page after `cursor` (limit 50), following the cursors.
async fn rest_of_walk(c: &Client, sim: &RunningSim, mut cursor: Option<String>) -> Vec<String> {
    let mut seen = Vec::new();
    while let Some(cur) = cursor {
        let body = page(
            c,
            sim,
            &[("kota_id", "3375"), ("limit", "50"), ("cursor", &cur)],
        )
        .await;
        seen.extend(
            body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|it| key(it).1),
        );
        cursor = body["next_cursor"].as_str().map(str::to_string);
    }
    seen
}

fn key(it: &Value) -> (i64, String) {
    (
        it["updated"].as_i64().expect("updated"),
        it["noTiket"].as_str().expect("noTiket").to_string(),
    )
}

#[tokio::test]
async fn paging_with_limit_50_returns_every_item_once_in_order_with_other_kota_interleaved() {
    let c = Client::new();
    let sim = start(300, LaporGubFaults::default()).await;
    let truth = sim.lapor_gub_truth();
    assert_eq!((truth.in_city, truth.other_kota), (300, 30));

    let (items, pages) = fetch_all(&c, &sim, None).await;

    assert_eq!(items.len(), 330);
    assert_eq!(pages, 7);
    let keys: Vec<(i64, String)> = items.iter().map(key).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "not ordered by (updated, noTiket)"
    );
    let tickets: HashSet<&str> = keys.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(tickets.len(), 330);
    for t in &tickets {
        assert!(
            t.len() == 12 && t.starts_with("LGWP") && t[4..].chars().all(|c| c.is_ascii_digit()),
            "{t}"
        );
    }
    let other: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, it)| it["lokasi"]["kotaId"] != 3375)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(other.len(), 30);
    assert!(other[0] < 150 && other[29] > 150, "interleaved: {other:?}");
    for i in &other {
        let kota = items[*i]["lokasi"]["kota"].as_str().expect("kota");
        assert!(
            kota.starts_with("KABUPATEN") || kota == "KOTA SEMARANG",
            "{kota}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn items_have_the_contract_shape() {
    let c = Client::new();
    let sim = start(200, LaporGubFaults::default()).await;
    let (items, _) = fetch_all(&c, &sim, None).await;
    let fields = [
        "noTiket",
        "judul",
        "isi",
        "kategori",
        "status",
        "statusLabel",
        "jenis",
        "anonim",
        "rahasia",
        "pelapor",
        "lokasi",
        "opd",
        "created",
        "updated",
        "timeline",
        "lampiran",
    ];
    let kategori = [
        "Infrastruktur",
        "Pendidikan",
        "Ketenagakerjaan",
        "ESDM",
        "Sosial",
        "Kesehatan",
        "Lingkungan Hidup",
        "Perhubungan",
        "Kependudukan",
        "Lainnya",
    ];
    let mut anonymous = 0;
    for it in &items {
        let obj = it.as_object().expect("object");
        assert_eq!(obj.len(), fields.len(), "{it}");
        for f in fields {
            assert!(obj.contains_key(f), "{f} missing in {it}");
        }
        let status = it["status"].as_i64().expect("status");
        assert!((0..=7).contains(&status));
        assert!(kategori.contains(&it["kategori"].as_str().expect("kategori")));
        assert!(it["isi"].as_str().expect("isi").starts_with("<p>"));
        let created = it["created"].as_i64().expect("created ms");
        assert!(created > 1_600_000_000_000 && it["updated"].as_i64() >= Some(created));
        for flag in ["jenis", "anonim", "rahasia"] {
            assert!(matches!(it[flag].as_u64(), Some(0 | 1)), "{flag}: {it}");
        }
        if it["anonim"] == 1 {
            anonymous += 1;
            assert_eq!(it["pelapor"], serde_json::json!({"nama": null, "hp": null}));
        }
        for e in it["timeline"].as_array().expect("timeline") {
            let t = e["tanggal"].as_str().expect("tanggal");
            assert!(
                chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").is_ok(),
                "{t}"
            );
        }
        assert!(it["lampiran"].as_array().is_some_and(|l| l.len() <= 2));
    }
    assert!(anonymous > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn since_is_inclusive_on_updated() {
    let c = Client::new();
    let sim = start(300, LaporGubFaults::default()).await;
    let (all, _) = fetch_all(&c, &sim, None).await;
    let pivot = all[200]["updated"].as_i64().expect("updated");
    let since = pivot.div_euclid(1000);

    let (from, _) = fetch_all(&c, &sim, Some(since)).await;

    let expected: Vec<(i64, String)> = all
        .iter()
        .map(key)
        .filter(|(u, _)| *u >= since * 1000)
        .collect();
    assert_eq!(from.iter().map(key).collect::<Vec<_>>(), expected);
    assert!(from.iter().any(|it| it["updated"] == pivot));
    // An item updated exactly at `since` (a whole second, in ms) is included too.
    let exact = all
        .iter()
        .skip(50)
        .filter_map(|it| it["updated"].as_i64())
        .find(|u| u % 1000 == 0)
        .expect("an item updated on a whole second");
    let body = page(
        &c,
        &sim,
        &[("kota_id", "3375"), ("since", &(exact / 1000).to_string())],
    )
    .await;
    let first = &body["items"][0];
    assert_eq!(first["updated"], exact, "{first}");
    sim.shutdown().await;
}

#[tokio::test]
async fn requests_without_the_key_get_401_and_bad_parameters_get_400() {
    let c = Client::new();
    let sim = start(20, LaporGubFaults::default()).await;
    let q = [("kota_id", "3375")];
    for key in [None, Some("wrong-key")] {
        let resp = get(&c, &sim, key, &q).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body, serde_json::json!({"error": "unauthorized"}));
    }
    let bad: [&[(&str, &str)]; 6] = [
        &[("kota_id", "3375"), ("limit", "0")],
        &[("kota_id", "3375"), ("limit", "51")],
        &[("limit", "10")],
        &[("kota_id", "pekalongan")],
        &[("kota_id", "3375"), ("since", "kemarin")],
        &[("kota_id", "3375"), ("cursor", "not-a-cursor")],
    ];
    for q in bad {
        let resp = get(&c, &sim, Some(KEY), q).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{q:?}");
        let body: Value = resp.json().await.expect("json");
        assert!(body["error"].is_string(), "{body}");
    }
    let other = page(&c, &sim, &[("kota_id", "3326")]).await;
    assert_eq!(other["items"], serde_json::json!([]));
    assert_eq!(other["next_cursor"], Value::Null);
    let body = page(&c, &sim, &[("kota_id", "3375"), ("limit", "5")]).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!((body["server_time"].as_i64().expect("server_time") - now).abs() <= 5);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(5));
    let stats = sim.lapor_gub_stats();
    assert_eq!(stats.unauthorized, 2);
    assert_eq!(stats.requests, 10);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_cursor_older_than_its_ttl_gets_410_cursor_expired() {
    let c = Client::new();
    let sim = start_with(
        1,
        LaporGubConfig {
            reports: 100,
            cursor_ttl: Duration::from_millis(200),
            rate_limit_per_minute: None,
            ..LaporGubConfig::default()
        },
    )
    .await;
    let first = page(&c, &sim, &[("kota_id", "3375"), ("limit", "10")]).await;
    let cursor = first["next_cursor"].as_str().expect("cursor").to_string();
    let fresh = get(
        &c,
        &sim,
        Some(KEY),
        &[("kota_id", "3375"), ("limit", "10"), ("cursor", &cursor)],
    )
    .await;
    assert_eq!(fresh.status(), StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(400)).await;
    let resp = get(
        &c,
        &sim,
        Some(KEY),
        &[("kota_id", "3375"), ("limit", "10"), ("cursor", &cursor)],
    )
    .await;

    assert_eq!(resp.status(), StatusCode::GONE);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body, serde_json::json!({"error": "cursor_expired"}));
    assert_eq!(sim.lapor_gub_stats().cursor_expired, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn every_nth_request_with_a_cursor_gets_410_and_a_retry_goes_on() {
    let c = Client::new();
    let sim = start(
        200,
        LaporGubFaults {
            cursor_expired_every: Some(2),
            ..LaporGubFaults::default()
        },
    )
    .await;
    let mut codes = Vec::new();
    let mut cursor = page(&c, &sim, &[("kota_id", "3375"), ("limit", "20")]).await["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_string();
    let mut seen = 20;
    for _ in 0..4 {
        let resp = get(
            &c,
            &sim,
            Some(KEY),
            &[("kota_id", "3375"), ("limit", "20"), ("cursor", &cursor)],
        )
        .await;
        codes.push(resp.status().as_u16());
        if resp.status() == StatusCode::OK {
            let body: Value = resp.json().await.expect("json");
            seen += body["items"].as_array().map_or(0, Vec::len);
            cursor = body["next_cursor"].as_str().expect("cursor").to_string();
        } else {
            let body: Value = resp.json().await.expect("json");
            assert_eq!(body["error"], "cursor_expired");
        }
    }
    assert_eq!(codes, vec![200, 410, 200, 410]);
    assert_eq!(seen, 60);
    assert_eq!(sim.lapor_gub_stats().cursor_expired, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn past_the_rate_limit_requests_get_429_with_retry_after() {
    let c = Client::new();
    let sim = start_with(
        2,
        LaporGubConfig {
            reports: 30,
            rate_limit_per_minute: Some(3),
            ..LaporGubConfig::default()
        },
    )
    .await;
    let q = [("kota_id", "3375"), ("limit", "5")];
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(get(&c, &sim, Some(KEY), &q).await.status().as_u16());
    }
    let limited = get(&c, &sim, Some(KEY), &q).await;
    codes.push(limited.status().as_u16());

    assert_eq!(codes, vec![200, 200, 200, 429]);
    let retry: u64 = limited.headers()[reqwest::header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((55..=60).contains(&retry), "Retry-After {retry}");
    // A request without the key is refused before it can take a slot.
    assert_eq!(
        get(&c, &sim, None, &q).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sim.lapor_gub_stats().rate_limited, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn scheduled_faults_answer_429_and_503_on_their_requests() {
    let c = Client::new();
    let sim = start(
        30,
        LaporGubFaults {
            rate_limit_every: Some(2),
            server_error_every: Some(3),
            ..LaporGubFaults::default()
        },
    )
    .await;
    let q = [("kota_id", "3375"), ("limit", "5")];
    let mut codes = Vec::new();
    for _ in 0..6 {
        let resp = get(&c, &sim, Some(KEY), &q).await;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(resp.headers()[reqwest::header::RETRY_AFTER], "1");
        }
        codes.push(resp.status().as_u16());
    }
    assert_eq!(codes, vec![200, 429, 503, 429, 200, 503]);
    let stats = sim.lapor_gub_stats();
    assert_eq!(
        (stats.rate_limited, stats.server_errors, stats.requests),
        (2, 2, 6)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn updated_reports_move_to_the_end_with_the_next_status_and_a_new_timeline_entry() {
    let c = Client::new();
    let sim = start(150, LaporGubFaults::default()).await;
    let (before, _) = fetch_all(&c, &sim, None).await;
    let newest = before.iter().map(|it| key(it).0).max().expect("items");

    let tickets = sim.lapor_gub_update_reports(5);

    assert_eq!(tickets.len(), 5);
    assert_eq!(tickets.iter().collect::<HashSet<_>>().len(), 5);
    let (after, _) = fetch_all(&c, &sim, None).await;
    assert_eq!(after.len(), before.len());
    let tail: Vec<String> = after[after.len() - 5..]
        .iter()
        .map(|it| key(it).1)
        .collect();
    assert_eq!(tail, tickets);
    let mut last = newest;
    for it in &after[after.len() - 5..] {
        assert_eq!(it["lokasi"]["kotaId"], 3375);
        let updated = it["updated"].as_i64().expect("updated");
        assert!(updated > last, "{updated} after {last}");
        last = updated;
        let old = before
            .iter()
            .find(|o| o["noTiket"] == it["noTiket"])
            .expect("old");
        assert_ne!(old["status"], it["status"]);
        let (old_tl, new_tl) = (
            old["timeline"].as_array().expect("tl"),
            it["timeline"].as_array().expect("tl"),
        );
        assert_eq!(new_tl.len(), old_tl.len() + 1);
        assert_eq!(&new_tl[..old_tl.len()], &old_tl[..]);
        assert_eq!(old["created"], it["created"]);
        assert_eq!(old["isi"], it["isi"]);
    }
    // A client that saved `since` as the newest second it had sees the moved ones (after
    // whatever else shares that second).
    let since = newest.div_euclid(1000);
    let (again, _) = fetch_all(&c, &sim, Some(since)).await;
    let again: Vec<String> = again.iter().map(|it| key(it).1).collect();
    assert!(again.len() < 5 + 10, "{again:?}");
    assert_eq!(&again[again.len() - 5..], &tickets[..]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_listing_in_progress_is_stable_when_reports_are_updated_meanwhile() {
    let c = Client::new();
    let sim = start(200, LaporGubFaults::default()).await;
    let first = page(&c, &sim, &[("kota_id", "3375"), ("limit", "50")]).await;
    let mut seen: Vec<String> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|it| key(it).1)
        .collect();
    let cursor = first["next_cursor"].as_str().map(str::to_string);

    let moved = sim.lapor_gub_update_reports(10);

    seen.extend(rest_of_walk(&c, &sim, cursor).await);
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), 220, "no report skipped");
    assert_eq!(&seen[seen.len() - 10..], &moved[..]);
    sim.shutdown().await;
}

/// With offset cursors (`{"o":50}`), the same walk skips reports: each update of a report
/// already read moves the unread ones back by one, past the offset.
#[tokio::test]
async fn with_offset_cursors_a_walk_on_cursors_skips_reports_updated_meanwhile() {
    let c = Client::new();
    let sim = start_with(
        42,
        LaporGubConfig {
            offset_cursors: true,
            ..config(200, LaporGubFaults::default())
        },
    )
    .await;
    let (all, _) = fetch_all(&c, &sim, None).await;
    assert_eq!(all.len(), 220, "without updates every item comes once");
    let first = page(&c, &sim, &[("kota_id", "3375"), ("limit", "50")]).await;
    let cur = first["next_cursor"].as_str().expect("a second page");
    let offset = aduan_sim::lapor_gub::cursor_json(cur).expect("the cursor is JSON");
    assert_eq!(offset["o"], 50, "{offset}");
    let mut seen: HashSet<String> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|it| key(it).1)
        .collect();
    let cursor = Some(cur.to_string());
    let moved = sim.lapor_gub_update_reports(30);
    seen.extend(rest_of_walk(&c, &sim, cursor).await);
    assert_eq!(moved.len(), 30);
    assert!(
        seen.len() < 220,
        "a report was skipped: {} seen",
        seen.len()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn in_bursts_runs_of_reports_share_one_updated_and_paging_still_returns_each_once() {
    let c = Client::new();
    let sim = start_with(
        42,
        LaporGubConfig {
            burst: 30,
            ..config(200, LaporGubFaults::default())
        },
    )
    .await;
    let (items, _) = fetch_all(&c, &sim, None).await;
    assert_eq!(items.len(), 220);
    let keys: Vec<(i64, String)> = items.iter().map(key).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "in order");
    let times: HashSet<i64> = keys.iter().map(|k| k.0).collect();
    assert_eq!(times.len(), 8, "220 in runs of 30: eight times");
    let distinct: HashSet<&String> = keys.iter().map(|k| &k.1).collect();
    assert_eq!(distinct.len(), 220);
    // A page from a run's time holds that run's reports, more than the page's limit.
    let t = keys[0].0.div_euclid(1000).to_string();
    let body = page(
        &c,
        &sim,
        &[("kota_id", "3375"), ("limit", "10"), ("since", &t)],
    )
    .await;
    let got = body["items"].as_array().expect("items");
    assert!(got.iter().all(|it| it["updated"] == keys[0].0), "{body}");
    for it in got {
        let updated = it["updated"].as_i64().expect("updated");
        let created = it["created"].as_i64().expect("created");
        assert!(created <= updated, "{it}");
    }
    sim.shutdown().await;
}

fn malformed(it: &Value) -> bool {
    let bad_tanggal = it["timeline"][0]["tanggal"]
        .as_str()
        .is_some_and(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").is_err());
    it["created"].is_string() || it["status"].is_string() || bad_tanggal
}

#[tokio::test]
async fn truth_counts_match_what_is_served() {
    let c = Client::new();
    let sim = start(
        600,
        LaporGubFaults {
            bad_records_every: Some(7),
            unknown_status_every: Some(5),
            ..LaporGubFaults::default()
        },
    )
    .await;
    let truth = sim.lapor_gub_truth();
    let (items, _) = fetch_all(&c, &sim, None).await;
    let mut served = aduan_sim::LaporGubTruth::default();
    let mut kinds = HashSet::new();
    for it in &items {
        if it["lokasi"]["kotaId"] != 3375 {
            served.other_kota += 1;
            assert!(!malformed(it), "{it}");
            continue;
        }
        served.in_city += 1;
        if malformed(it) {
            served.bad += 1;
            kinds.insert(if it["created"] == "kemarin" {
                "created"
            } else if it["status"] == "tiga" {
                "status"
            } else {
                assert_eq!(it["timeline"][0]["tanggal"], "32/13/2021");
                "tanggal"
            });
            assert!(it["noTiket"].is_string() && it["updated"].is_i64());
        } else if it["status"] == 9 {
            served.unknown_status += 1;
            assert_eq!(it["statusLabel"], "Ditinjau Ulang");
        } else if it["status"] == 7 {
            served.spam += 1;
            assert_eq!(it["statusLabel"], "Spam");
        }
    }
    assert_eq!(served, truth);
    assert_eq!(truth.bad, 600 / 7);
    assert_eq!(truth.unknown_status, 600 / 5 - 600 / 35);
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_same_seed_serves_the_same_items() {
    let c = Client::new();
    let a = start_with(
        7,
        LaporGubConfig {
            rate_limit_per_minute: None,
            ..LaporGubConfig::default()
        },
    )
    .await;
    let b = start_with(
        7,
        LaporGubConfig {
            rate_limit_per_minute: None,
            ..LaporGubConfig::default()
        },
    )
    .await;
    let other = start_with(
        8,
        LaporGubConfig {
            rate_limit_per_minute: None,
            ..LaporGubConfig::default()
        },
    )
    .await;
    let (ia, _) = fetch_all(&c, &a, None).await;
    let (ib, _) = fetch_all(&c, &b, None).await;
    let (io, _) = fetch_all(&c, &other, None).await;
    assert_eq!(ia, ib);
    assert_ne!(ia, io);
    a.shutdown().await;
    b.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn the_root_lists_the_channel() {
    let sim = start(5, LaporGubFaults::default()).await;
    let body: Value = reqwest::get(sim.base_url())
        .await
        .expect("root")
        .json()
        .await
        .expect("json");
    assert_eq!(body["channels"]["lapor_gub"], "/lapor-gub");
    assert!(sim.lapor_gub_base_url().ends_with("/lapor-gub"));
    sim.shutdown().await;
}

#[tokio::test]
#[ignore = "generates 1,000,000 reports; slow in debug builds"]
async fn a_million_reports_are_generated_and_served() {
    let c = Client::new();
    let started = Instant::now();
    let sim = start(1_000_000, LaporGubFaults::default()).await;
    eprintln!("1,000,000 reports in {:?}", started.elapsed());
    let truth = sim.lapor_gub_truth();
    assert_eq!((truth.in_city, truth.other_kota), (1_000_000, 100_000));
    let body = page(&c, &sim, &[("kota_id", "3375"), ("limit", "50")]).await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(50));
    let tickets = sim.lapor_gub_update_reports(3);
    assert_eq!(tickets.len(), 3);
    sim.shutdown().await;
}
