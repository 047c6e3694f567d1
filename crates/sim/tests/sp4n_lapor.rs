//! The SP4N-LAPOR! simulator over real HTTP on loopback.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aduan_sim::{RunningSim, SimConfig, Simulator, Sp4nConfig, Sp4nFaults};
use reqwest::{Client, StatusCode};
use serde_json::Value;

async fn start_with(seed: u64, reports: usize, faults: Sp4nFaults) -> RunningSim {
    let config = SimConfig {
        seed,
        sp4n_lapor: Some(Sp4nConfig {
            reports,
            faults,
            ..Sp4nConfig::default()
        }),
        ..SimConfig::no_channels()
    };
    Simulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator starts")
}

async fn start(reports: usize, faults: Sp4nFaults) -> RunningSim {
    start_with(42, reports, faults).await
}

async fn token(c: &Client, sim: &RunningSim) -> String {
    let resp = c
        .post(format!("{}/api/v1/auth/token", sim.sp4n_base_url()))
        .json(&serde_json::json!({"client_id": "aduan", "client_secret": "sim-secret"}))
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("token json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    body["access_token"].as_str().expect("token").to_string()
}

async fn list(
    c: &Client,
    sim: &RunningSim,
    token: &str,
    query: &[(&str, &str)],
) -> reqwest::Response {
    c.get(format!("{}/api/v1/laporan", sim.sp4n_base_url()))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .expect("list request")
}

async fn page(c: &Client, sim: &RunningSim, token: &str, page: u32, per_page: u32) -> Value {
    let (p, pp) = (page.to_string(), per_page.to_string());
    let resp = list(
        c,
        sim,
        token,
        &[
            ("instansi_id", "pemkot-pekalongan"),
            ("page", &p),
            ("per_page", &pp),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.expect("list json")
}

fn key(r: &Value) -> (String, u64) {
    (
        r["updated_at"].as_str().expect("updated_at").to_string(),
        r["tracking_id"].as_u64().expect("tracking_id"),
    )
}

#[tokio::test]
async fn the_same_seed_gives_the_same_json_for_every_report() {
    let c = Client::new();
    let a = start_with(7, 300, Sp4nFaults::default()).await;
    let b = start_with(7, 300, Sp4nFaults::default()).await;
    let other = start_with(8, 300, Sp4nFaults::default()).await;
    let (ta, tb, to) = (
        token(&c, &a).await,
        token(&c, &b).await,
        token(&c, &other).await,
    );
    for p in 1..=3 {
        let pa = page(&c, &a, &ta, p, 100).await;
        let pb = page(&c, &b, &tb, p, 100).await;
        assert_eq!(pa, pb);
        assert_ne!(pa, page(&c, &other, &to, p, 100).await);
    }
    a.shutdown().await;
    b.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn the_listing_is_sorted_by_updated_at_then_tracking_id_and_updated_from_is_inclusive() {
    let c = Client::new();
    let sim = start(500, Sp4nFaults::default()).await;
    let t = token(&c, &sim).await;
    let mut all = Vec::new();
    for p in 1..=5 {
        let body = page(&c, &sim, &t, p, 100).await;
        assert_eq!(body["status"], "success");
        assert_eq!(
            body["meta"],
            serde_json::json!({"page": p, "per_page": 100, "total": 500, "total_pages": 5})
        );
        all.extend(body["data"].as_array().expect("data").iter().cloned());
    }
    assert_eq!(all.len(), sim.sp4n_report_count());
    let keys: Vec<_> = all.iter().map(key).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
    let ids: HashSet<u64> = keys.iter().map(|k| k.1).collect();
    assert_eq!(ids.len(), 500);
    for r in &all {
        for field in ["created_at", "updated_at"] {
            assert!(r[field].as_str().expect("time").ends_with("+07:00"));
        }
        assert!(r["created_at"].as_str() <= r["updated_at"].as_str());
    }

    // updated_from = the updated_at of report 250: that report is the first one listed.
    let from = keys[250].0.clone();
    let before = keys.iter().filter(|k| k.0 < from).count();
    let resp = list(
        &c,
        &sim,
        &t,
        &[
            ("instansi_id", "pemkot-pekalongan"),
            ("updated_from", &from),
            ("per_page", "100"),
        ],
    )
    .await;
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["meta"]["total"], (500 - before) as u64);
    assert_eq!(key(&body["data"][0]), keys[before]);
    assert_eq!(body["data"][0]["updated_at"], Value::String(from.clone()));

    // The same instant in UTC selects the same reports.
    let utc = chrono::DateTime::parse_from_rfc3339(&from)
        .expect("time")
        .with_timezone(&chrono::Utc)
        .to_rfc3339();
    let body: Value = list(
        &c,
        &sim,
        &t,
        &[("instansi_id", "pemkot-pekalongan"), ("updated_from", &utc)],
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(body["meta"]["total"], (500 - before) as u64);
    assert_eq!(body["meta"]["per_page"], 20);
    sim.shutdown().await;
}

#[tokio::test]
async fn data_calls_need_a_bearer_token_from_the_token_endpoint() {
    let c = Client::new();
    let sim = start(20, Sp4nFaults::default()).await;
    let url = format!(
        "{}/api/v1/laporan?instansi_id=pemkot-pekalongan",
        sim.sp4n_base_url()
    );

    let resp = c.get(&url).send().await.expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.json::<Value>().await.expect("json")["status"], "error");
    let resp = c
        .get(&url)
        .bearer_auth("made-up")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let token_url = format!("{}/api/v1/auth/token", sim.sp4n_base_url());
    let resp = c
        .post(&token_url)
        .json(&serde_json::json!({"client_id": "aduan", "client_secret": "wrong"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.json::<Value>().await.expect("json")["status"], "error");
    let resp = c
        .post(&token_url)
        .body("client_id=aduan")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let t1 = token(&c, &sim).await;
    let t2 = token(&c, &sim).await;
    assert_ne!(t1, t2, "a new random token per issue");
    for t in [&t1, &t2] {
        let resp = c.get(&url).bearer_auth(t).send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            resp.headers()["content-type"].to_str().expect("type"),
            "application/json"
        );
    }
    let stats = sim.sp4n_stats();
    assert_eq!((stats.token_requests, stats.data_requests), (4, 4));
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_get_400_json_errors_and_an_unknown_instansi_gets_no_data() {
    let c = Client::new();
    let sim = start(20, Sp4nFaults::default()).await;
    let t = token(&c, &sim).await;
    let bad: &[&[(&str, &str)]] = &[
        &[("instansi_id", "pemkot-pekalongan"), ("per_page", "0")],
        &[("instansi_id", "pemkot-pekalongan"), ("per_page", "101")],
        &[("instansi_id", "pemkot-pekalongan"), ("page", "0")],
        &[("instansi_id", "pemkot-pekalongan"), ("page", "dua")],
        &[
            ("instansi_id", "pemkot-pekalongan"),
            ("updated_from", "2021-09-10T19:02:11"),
        ],
        &[
            ("instansi_id", "pemkot-pekalongan"),
            ("updated_from", "10/09/2021"),
        ],
        &[("per_page", "10")],
    ];
    for q in bad {
        let resp = list(&c, &sim, &t, q).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{q:?}");
        let body: Value = resp.json().await.expect("json error");
        assert_eq!(body["status"], "error");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let resp = list(&c, &sim, &t, &[("instansi_id", "pemkab-batang")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"], serde_json::json!([]));
    assert_eq!(body["meta"]["total"], 0);
    assert_eq!(body["meta"]["total_pages"], 0);
    // A page past the end is empty, with the true totals.
    let body = page(&c, &sim, &t, 9, 10).await;
    assert_eq!(body["data"], serde_json::json!([]));
    assert_eq!(body["meta"]["total"], 20);
    assert_eq!(body["meta"]["total_pages"], 2);
    sim.shutdown().await;
}

/// Statuses of `n` data requests with one token.
async fn statuses(c: &Client, sim: &RunningSim, t: &str, n: usize) -> Vec<(u16, String, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let resp = list(
            c,
            sim,
            t,
            &[("instansi_id", "pemkot-pekalongan"), ("per_page", "5")],
        )
        .await;
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let retry = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = resp.text().await.expect("body");
        out.push((status, format!("{ctype}|{retry}"), body));
    }
    out
}

#[tokio::test]
async fn every_fifth_data_request_is_rate_limited_with_retry_after() {
    let c = Client::new();
    let sim = start(
        30,
        Sp4nFaults {
            rate_limit_every: Some(5),
            ..Sp4nFaults::default()
        },
    )
    .await;
    let t = token(&c, &sim).await;
    let got = statuses(&c, &sim, &t, 20).await;
    for (i, (status, meta, _)) in got.iter().enumerate() {
        if (i + 1) % 5 == 0 {
            assert_eq!(*status, 429);
            assert!(meta.ends_with("|1"), "Retry-After: 1, got {meta}");
        } else {
            assert_eq!(*status, 200);
        }
    }
    assert_eq!(sim.sp4n_stats().rate_limited, 4);
    sim.shutdown().await;
}

#[tokio::test]
async fn server_errors_alternate_500_502_504_with_json_or_empty_bodies() {
    let c = Client::new();
    let sim = start(
        30,
        Sp4nFaults {
            server_error_every: Some(2),
            ..Sp4nFaults::default()
        },
    )
    .await;
    let t = token(&c, &sim).await;
    let got = statuses(&c, &sim, &t, 12).await;
    let errors: Vec<_> = got.iter().skip(1).step_by(2).collect();
    let codes: Vec<u16> = errors.iter().map(|e| e.0).collect();
    assert_eq!(codes, vec![500, 502, 504, 500, 502, 504]);
    assert!(got.iter().step_by(2).all(|r| r.0 == 200));
    for (k, e) in errors.iter().enumerate() {
        if k % 2 == 0 {
            let v: Value = serde_json::from_str(&e.2).expect("json body");
            assert_eq!(v["status"], "error");
        } else {
            assert!(e.2.is_empty());
        }
    }
    assert_eq!(sim.sp4n_stats().server_error, 6);
    sim.shutdown().await;
}

#[tokio::test]
async fn every_nth_data_request_gets_the_html_maintenance_page() {
    let c = Client::new();
    let sim = start(
        30,
        Sp4nFaults {
            maintenance_every: Some(3),
            ..Sp4nFaults::default()
        },
    )
    .await;
    let t = token(&c, &sim).await;
    let got = statuses(&c, &sim, &t, 9).await;
    for (i, (status, meta, body)) in got.iter().enumerate() {
        if (i + 1) % 3 == 0 {
            assert_eq!(*status, 503);
            assert!(meta.starts_with("text/html"));
            assert!(body.starts_with("<!DOCTYPE html>"));
            assert!(serde_json::from_str::<Value>(body).is_err());
        } else {
            assert_eq!(*status, 200);
        }
    }
    assert_eq!(sim.sp4n_stats().maintenance, 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_early_expired_token_is_revoked_and_a_new_token_repeats_the_call() {
    let c = Client::new();
    let sim = start(
        30,
        Sp4nFaults {
            token_expiry_every: Some(4),
            ..Sp4nFaults::default()
        },
    )
    .await;
    let t = token(&c, &sim).await;
    let got = statuses(&c, &sim, &t, 5).await;
    let codes: Vec<u16> = got.iter().map(|g| g.0).collect();
    // The 4th call revokes the token; the 5th, with the same token, is refused too.
    assert_eq!(codes, vec![200, 200, 200, 401, 401]);
    let t2 = token(&c, &sim).await;
    let codes: Vec<u16> = statuses(&c, &sim, &t2, 4)
        .await
        .iter()
        .map(|g| g.0)
        .collect();
    // Requests 6, 7 fine, 8 expires the new token, 9 refused.
    assert_eq!(codes, vec![200, 200, 401, 401]);
    assert_eq!(sim.sp4n_stats().token_expired, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_delayed_response_arrives_only_after_the_timeout_delay() {
    let c = Client::new();
    let sim = start(
        30,
        Sp4nFaults {
            timeout_every: Some(2),
            timeout_delay: Duration::from_millis(600),
            ..Sp4nFaults::default()
        },
    )
    .await;
    let t = token(&c, &sim).await;
    let url = format!(
        "{}/api/v1/laporan?instansi_id=pemkot-pekalongan",
        sim.sp4n_base_url()
    );
    let resp = c.get(&url).bearer_auth(&t).send().await.expect("first");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(sim.sp4n_stats().timeout, 0, "the first is not held up");
    // A client with a shorter timeout gives up on the second request.
    let err = c
        .get(&url)
        .bearer_auth(&t)
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout());
    // The fourth request is delayed but then answered normally.
    let _ = c.get(&url).bearer_auth(&t).send().await.expect("third");
    let started = Instant::now();
    let resp = c.get(&url).bearer_auth(&t).send().await.expect("fourth");
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(sim.sp4n_stats().timeout, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_records_are_malformed_in_four_ways_but_keep_tracking_id_and_updated_at() {
    let c = Client::new();
    let sim = start(
        200,
        Sp4nFaults {
            bad_records_every: Some(10),
            ..Sp4nFaults::default()
        },
    )
    .await;
    let t = token(&c, &sim).await;
    let mut all = Vec::new();
    for p in 1..=2 {
        all.extend(
            page(&c, &sim, &t, p, 100).await["data"]
                .as_array()
                .expect("data")
                .clone(),
        );
    }
    let mut kinds = [0usize; 4];
    for r in &all {
        assert!(r["tracking_id"].is_u64());
        assert!(chrono::DateTime::parse_from_rfc3339(r["updated_at"].as_str().expect("u")).is_ok());
        if r["created_at"] == "kemarin sore" {
            kinds[0] += 1;
        } else if r.get("klasifikasi").is_none() {
            kinds[1] += 1;
        } else if r["tindak_lanjut"][0]["waktu"] == "31/02/2021" {
            kinds[2] += 1;
        } else if r["anonim"] == "ya" {
            kinds[3] += 1;
        }
    }
    assert_eq!(kinds, [5, 5, 5, 5]);
    assert_eq!(sim.sp4n_stats().bad_records, 20);

    // The same reports are malformed on every run.
    let again = start(
        200,
        Sp4nFaults {
            bad_records_every: Some(10),
            ..Sp4nFaults::default()
        },
    )
    .await;
    let t2 = token(&c, &again).await;
    assert_eq!(
        page(&c, &again, &t2, 1, 100).await["data"],
        Value::Array(all[..100].to_vec())
    );
    sim.shutdown().await;
    again.shutdown().await;
}

#[tokio::test]
async fn after_fail_after_requests_every_data_request_answers_500_until_faults_change() {
    let c = Client::new();
    let sim = start(
        30,
        Sp4nFaults {
            fail_after_requests: Some(3),
            ..Sp4nFaults::default()
        },
    )
    .await;
    let t = token(&c, &sim).await;
    let codes: Vec<u16> = statuses(&c, &sim, &t, 6)
        .await
        .iter()
        .map(|g| g.0)
        .collect();
    assert_eq!(codes, vec![200, 200, 200, 500, 500, 500]);
    sim.sp4n_set_faults(Sp4nFaults::default());
    let codes: Vec<u16> = statuses(&c, &sim, &t, 3)
        .await
        .iter()
        .map(|g| g.0)
        .collect();
    assert_eq!(codes, vec![200, 200, 200]);
    assert_eq!(sim.sp4n_stats().outage, 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn paging_shift_moves_a_report_already_read_to_the_end_as_the_newest() {
    let c = Client::new();
    let sim = start(
        100,
        Sp4nFaults {
            paging_shift: true,
            ..Sp4nFaults::default()
        },
    )
    .await;
    let t = token(&c, &sim).await;
    let first = page(&c, &sim, &t, 1, 10).await;
    let first_ids: Vec<u64> = first["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| key(r).1)
        .collect();
    // Before the shift, the newest report:
    sim.sp4n_set_faults(Sp4nFaults::default());
    let last_before = page(&c, &sim, &t, 10, 10).await["data"][9].clone();
    sim.sp4n_set_faults(Sp4nFaults {
        paging_shift: true,
        ..Sp4nFaults::default()
    });

    let second = page(&c, &sim, &t, 2, 10).await;
    assert_eq!(sim.sp4n_stats().paging_shift, 1);
    // The page boundary moved: page 2 now starts with what was the last item of page 1's
    // successor, so one report of page 1 is gone from the first 20 positions.
    let last = page(&c, &sim, &t, 10, 10).await; // this request shifts again
    assert_eq!(sim.sp4n_stats().paging_shift, 2);
    let data = last["data"].as_array().expect("data");
    let moved: Vec<&Value> = data
        .iter()
        .filter(|r| first_ids.contains(&key(r).1))
        .collect();
    assert!(!moved.is_empty(), "a report of page 1 is now at the end");
    let before =
        chrono::DateTime::parse_from_rfc3339(last_before["updated_at"].as_str().expect("t"))
            .expect("time");
    let newest = data.last().expect("last");
    let newest_t = chrono::DateTime::parse_from_rfc3339(newest["updated_at"].as_str().expect("t"))
        .expect("time");
    assert_eq!(newest_t - before, chrono::TimeDelta::seconds(2));
    let m = moved[0];
    let m_t =
        chrono::DateTime::parse_from_rfc3339(m["updated_at"].as_str().expect("t")).expect("t");
    assert_eq!(m_t - before, chrono::TimeDelta::seconds(1));
    let original = first["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|r| key(r).1 == key(m).1)
        .expect("in page 1");
    assert_ne!(original, m, "a new version");
    assert_eq!(original["created_at"], m["created_at"]);
    assert!(second["data"].as_array().is_some_and(|d| d.len() == 10));
    assert_eq!(sim.sp4n_report_count(), 100);
    sim.shutdown().await;
}

#[tokio::test]
async fn updated_reports_move_to_the_end_with_the_next_step_of_their_history() {
    let c = Client::new();
    let sim = start(150, Sp4nFaults::default()).await;
    let t = token(&c, &sim).await;
    let mut before = Vec::new();
    for p in 1..=2 {
        before.extend(
            page(&c, &sim, &t, p, 100).await["data"]
                .as_array()
                .expect("d")
                .clone(),
        );
    }
    let ids = sim.sp4n_update_reports(5);
    assert_eq!(ids.len(), 5);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 5);
    let mut after = Vec::new();
    for p in 1..=2 {
        after.extend(
            page(&c, &sim, &t, p, 100).await["data"]
                .as_array()
                .expect("d")
                .clone(),
        );
    }
    assert_eq!(after.len(), 150);
    let tail: Vec<u64> = after[145..].iter().map(|r| key(r).1).collect();
    assert_eq!(tail, ids);
    for r in &after[145..] {
        let old = before
            .iter()
            .find(|o| key(o).1 == key(r).1)
            .expect("old version");
        assert!(r["updated_at"].as_str() > old["updated_at"].as_str());
        let changed = r["status"] != old["status"]
            || r["tindak_lanjut"] != old["tindak_lanjut"]
            || r["disposisi"] != old["disposisi"];
        assert!(changed, "{} -> {}", old["status"], r["status"]);
        let last_event = r["tindak_lanjut"]
            .as_array()
            .into_iter()
            .chain(r["disposisi"].as_array())
            .flatten()
            .filter_map(|e| e["waktu"].as_str())
            .max();
        if let Some(w) = last_event {
            assert!(w <= r["updated_at"].as_str().expect("u"));
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
#[ignore = "generates 1,000,000 reports; slow in debug builds"]
async fn a_million_reports_are_generated_and_served() {
    let c = Client::new();
    let started = Instant::now();
    let sim = start(1_000_000, Sp4nFaults::default()).await;
    let took = started.elapsed();
    eprintln!("1,000,000 reports in {took:?}");
    assert_eq!(sim.sp4n_report_count(), 1_000_000);
    let t = token(&c, &sim).await;
    let last = page(&c, &sim, &t, 10_000, 100).await;
    assert_eq!(last["meta"]["total_pages"], 10_000);
    assert_eq!(last["data"].as_array().map(Vec::len), Some(100));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_root_lists_the_channels() {
    let sim = start(5, Sp4nFaults::default()).await;
    let body: Value = reqwest::get(sim.base_url())
        .await
        .expect("root")
        .json()
        .await
        .expect("json");
    assert_eq!(body["channels"]["sp4n_lapor"], "/sp4n-lapor");
    assert!(sim.sp4n_base_url().ends_with("/sp4n-lapor"));
    sim.shutdown().await;
}
