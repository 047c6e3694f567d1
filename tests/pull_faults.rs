//! SP4N-LAPOR! and the Pantau Pekalongan backfill against hand-made servers on loopback that
//! do what their contracts allow or real systems do: a byte that is not UTF-8 in one report,
//! deletions listed as stubs, `null` where a value is optional, edits while paging.

mod helpers;

use std::sync::{Arc, Mutex};

use aduan_core::Secret;
use aduan_sync::{NoProgress, Outcome};
use helpers::scripted::*;
use helpers::*;

// ---------------------------------------------------------------- SP4N-LAPOR!

fn sp4n_report(id: u64, updated: &str, status: &str) -> String {
    format!(
        r#"{{"tracking_id":{id},"judul":"Jalan berlubang {id}","isi":"Mohon perbaikan jalan {id}.","klasifikasi":"PENGADUAN","kategori":{{"utama":"PEKERJAAN UMUM DAN PENATAAN RUANG","sub":"JALAN BERLUBANG"}},"sumber":"Android","anonim":false,"rahasia":false,"pelapor":null,"tanggal_kejadian":"2021-09-10","lokasi":{{"provinsi":"Jawa Tengah","kota":"Kota Pekalongan","kecamatan":"Pekalongan Barat","kelurahan":"Bendan Kergon","alamat":"Jl. Sriwijaya"}},"status":"{status}","instansi_tujuan":null,"disposisi":[],"tindak_lanjut":[],"lampiran":[],"created_at":"2021-09-10T19:02:11+07:00","updated_at":"{updated}"}}"#
    )
}

fn sp4n_connector(base: String, per_page: u32) -> aduan_sp4n_lapor::Sp4nLapor {
    sp4n_looking_back(base, per_page, aduan_sp4n_lapor::DEFAULT_LOOKBACK_SECS)
}

/// [`sp4n_connector`] whose runs go `lookback_secs` before their cursor.
fn sp4n_looking_back(
    base: String,
    per_page: u32,
    lookback_secs: u64,
) -> aduan_sp4n_lapor::Sp4nLapor {
    aduan_sp4n_lapor::Sp4nLapor::with_secret(
        aduan_sp4n_lapor::Config {
            base_url: base,
            instansi_id: "pemkot".into(),
            client_id: "aduan".into(),
            client_secret_env: String::new(),
            per_page,
            timeout_secs: 2,
            max_attempts: 4,
            retry_base_ms: 10,
            start_from: None,
            lookback_secs,
        },
        Secret::new("s3cret"),
    )
    .unwrap()
}

/// Reports of the SP4N list API (tracking id, `updated_at`, status) of `listed`'s ids and
/// times, each `Terverifikasi`.
fn verified(listed: impl IntoIterator<Item = (u64, impl ToString)>) -> Vec<(u64, String, String)> {
    listed
        .into_iter()
        .map(|(id, at)| (id, at.to_string(), "Terverifikasi".to_string()))
        .collect()
}

/// The SP4N list API over `reports` (tracking_id, updated_at ISO, status): sorted by
/// (updated_at, tracking_id), `updated_from` inclusive, paged.
fn sp4n_list(reports: &[(u64, String, String)], target: &str) -> String {
    let from = query(target, "updated_from").map(|f| aduan_core::time::parse_source(&f).unwrap());
    let page: usize = query(target, "page").unwrap().parse().unwrap();
    let per: usize = query(target, "per_page").unwrap().parse().unwrap();
    let mut all: Vec<&(u64, String, String)> = reports
        .iter()
        .filter(|(_, u, _)| from.is_none_or(|f| aduan_core::time::parse_source(u).unwrap() >= f))
        .collect();
    all.sort_by_key(|(id, u, _)| (aduan_core::time::parse_source(u).unwrap(), *id));
    let items: Vec<String> = all
        .iter()
        .skip((page - 1) * per)
        .take(per)
        .map(|(id, u, s)| sp4n_report(*id, u, s))
        .collect();
    let body = format!(
        r#"{{"status":"success","data":[{}],"meta":{{"page":{page},"per_page":{per},"total":{},"total_pages":{}}}}}"#,
        items.join(","),
        all.len(),
        all.len().div_ceil(per)
    );
    ok_json(&body)
}

/// The SP4N list API's answer to `target` of `items` (reports as [`sp4n_report`] writes
/// them) on its first page, without a meta: a page after it is empty.
fn sp4n_on_one_page(target: &str, items: &[&str]) -> String {
    if query(target, "page").as_deref() != Some("1") {
        return ok_json(r#"{"status":"success","data":[],"meta":{}}"#);
    }
    ok_json(&format!(
        r#"{{"status":"success","data":[{}],"meta":{{}}}}"#,
        items.join(",")
    ))
}

/// Of `items` (reports as [`sp4n_report`] writes them), those `target`'s `updated_from` asks
/// for: updated then or later (inclusive), on the wall clock (every time here is WIB's).
fn updated_from_on_the_wall_clock<'a>(target: &str, items: &'a [String]) -> Vec<&'a str> {
    let from = query(target, "updated_from").map(|f| f[..19].to_string());
    items
        .iter()
        .filter(|i| {
            let u = i.split("\"updated_at\":\"").nth(1).unwrap_or_default();
            from.as_deref().is_none_or(|f| u[..19] >= *f)
        })
        .map(String::as_str)
        .collect()
}

fn token_answer() -> String {
    ok_json(r#"{"access_token":"tok","token_type":"Bearer","expires_in":3600}"#)
}

/// Stored complaints of `channel`: external_id → (status, status_source, title).
async fn rows(ts: &aduan_store::testing::TestStore, channel: &str) -> Vec<Vec<String>> {
    let r = ts
        .store
        .query(&format!(
            "SELECT external_id, status, status_source, COALESCE(title,''), kind FROM complaints WHERE channel = '{channel}' ORDER BY external_id"
        ))
        .await
        .unwrap();
    r.rows
        .into_iter()
        .map(|row| {
            row.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .collect()
}

async fn quarantined(ts: &aduan_store::testing::TestStore) -> Vec<Vec<String>> {
    let r = ts
        .store
        .query("SELECT channel, record, field, reason FROM quarantine ORDER BY quarantine_id")
        .await
        .unwrap();
    r.rows
        .into_iter()
        .map(|row| {
            row.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .collect()
}

/// What a page with one report that is not JSON (`bad`, at field `field`) between two good
/// ones leaves: the run `ok`, the good two stored, the bad one quarantined by its record
/// and field, and its payload archived as received (`raw`: bytes only it holds).
async fn one_report_not_json(
    ts: &aduan_store::testing::TestStore,
    report: &aduan_sync::RunReport,
    channel: &str,
    bad: &str,
    field: &str,
    raw: &[u8],
) {
    assert_eq!(
        report.outcome,
        Outcome::Ok,
        "{} {:?}",
        report.summary_line(),
        report.error
    );
    assert_eq!(
        (report.counts.inserted, report.counts.quarantined),
        (2, 1),
        "{}",
        report.summary_line()
    );
    assert_eq!(rows(ts, channel).await.len(), 2);
    let q = quarantined(ts).await;
    assert_eq!(q.len(), 1, "{q:?}");
    assert!(q[0][1].contains(bad) && q[0][2] == field, "{q:?}");
    let archived = ts
        .store
        .query(&format!(
            "SELECT COUNT(*) FROM raw_records WHERE channel = '{channel}'"
        ))
        .await
        .unwrap();
    assert_eq!(archived.rows[0][0], 3, "{archived:?}");
    let entry = ts.store.quarantine_list(None, false, 1).await.unwrap();
    assert!(
        entry[0].payload.windows(raw.len()).any(|w| w == raw),
        "the quarantined payload holds the bytes as received: {:?}",
        String::from_utf8_lossy(&entry[0].payload)
    );
}

/// One item of a page with a field of the wrong type, and one with values the contract
/// does not list: the rest is stored, the bad one quarantined naming its record and field.
#[tokio::test]
async fn sp4n_one_bad_item_and_unknown_values_do_not_stop_the_rest() {
    let handler: Handler = Arc::new(|target: &str| {
        if target.starts_with("/api/v1/auth/token") {
            return token_answer();
        }
        let bad = sp4n_report(2, "2021-09-13T14:21:00+07:00", "Terverifikasi")
            .replace("\"anonim\":false", "\"anonim\":\"ya\"");
        let odd = sp4n_report(3, "2021-09-13T14:22:00+07:00", "Dalam Proses Baru")
            .replace("\"PENGADUAN\"", "\"PENGADUAN MASYARAKAT\"");
        let items = [
            sp4n_report(1, "2021-09-13T14:20:00+07:00", "Terverifikasi"),
            bad,
            odd,
            sp4n_report(4, "2021-09-13T14:23:00+07:00", "Selesai"),
        ];
        let from = query(target, "updated_from");
        let items: Vec<&str> = items
            .iter()
            .filter(|i| {
                from.as_deref().is_none_or(|f| {
                    let u = i.split("\"updated_at\":\"").nth(1).unwrap();
                    u[..25] >= *f
                })
            })
            .map(String::as_str)
            .collect();
        sp4n_on_one_page(target, &items)
    });
    let (base, _log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let report = engine
        .sync(&sp4n_connector(base, 50), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        (report.counts.inserted, report.counts.quarantined),
        (3, 1),
        "{}",
        report.summary_line()
    );
    let q = quarantined(&ts).await;
    assert_eq!(q[0][0], "sp4n_lapor");
    assert!(q[0][1].contains('2'), "{q:?}");
    assert_eq!(q[0][2], "anonim", "{q:?}");
    let r = rows(&ts, "sp4n_lapor").await;
    assert_eq!(r.len(), 3, "{r:?}");
    eprintln!("{r:?}");
}

// ---------------------------------------------------------------- Pantau Pekalongan

fn sc_report(id: &str, version: u64, updated: &str, status: &str) -> String {
    format!(
        r#"{{"id":"{id}","version":{version},"type":"laporan","area":"infrastruktur","title":"Saluran {id}","description":"Saluran depan rumah tersumbat sampah {id}.","status":"{status}","location":{{"lat":-6.8886,"lng":109.6753,"address":"Jl. Hayam Wuruk, Kauman, Pekalongan Timur"}},"photos":[],"user":{{"id":"u_1","name":"Siti","phone":"+6281390001234"}},"created_at":"2024-02-01T03:04:05Z","updated_at":"{updated}"}}"#
    )
}

fn sc_connector(base: String, limit: u32) -> aduan_smart_city::SmartCity {
    let config: aduan_smart_city::Config = serde_json::from_value(serde_json::json!({
        "base_url": base,
        "limit": limit,
        "retry_base_ms": 10,
        "max_attempts": 4,
        "timeout_secs": 2,
    }))
    .unwrap();
    aduan_smart_city::SmartCity::with_token(config, Secret::new("tok")).unwrap()
}

/// A keyset backfill over `items` (each a report object as text, with its id and updated_at),
/// ordered by (updated_at, id).
fn sc_list(items: &[String], target: &str) -> String {
    let key = |s: &str| -> (chrono::DateTime<chrono::Utc>, String) {
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        let at = v["updated_at"]
            .as_str()
            .or_else(|| v["deleted_at"].as_str())
            .and_then(aduan_core::time::parse_source)
            .unwrap_or_default();
        let id = v["id"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v["id"].to_string());
        (at, id)
    };
    let limit: usize = query(target, "limit").unwrap().parse().unwrap();
    let after = query(target, "updated_after").map(|t| {
        (
            aduan_core::time::parse_source(&t).unwrap(),
            query(target, "after_id").unwrap_or_default(),
        )
    });
    let mut all: Vec<&String> = items
        .iter()
        .filter(|s| after.as_ref().is_none_or(|a| key(s) > *a))
        .collect();
    all.sort_by_key(|s| key(s));
    let page: Vec<&str> = all.iter().take(limit).map(|s| s.as_str()).collect();
    ok_json(&format!(
        r#"{{"reports":[{}],"has_more":{}}}"#,
        page.join(","),
        all.len() > limit
    ))
}

/// The look-back's first request names an `after_id` too, as the contract's query pairs it
/// with `updated_after` (review, session 46: it asked `updated_after` alone, and a server
/// that takes the two together, refusing one without the other, failed every run that
/// resumed from a cursor).
#[tokio::test]
async fn sc_the_look_back_asks_updated_after_with_an_after_id() {
    let items = vec![
        sc_report("a", 1, "2024-02-02T01:00:00Z", "submitted"),
        sc_report("b", 1, "2024-02-02T01:05:00Z", "submitted"),
    ];
    let handler: Handler = Arc::new(move |t: &str| {
        if query(t, "updated_after").is_some() && query(t, "after_id").is_none() {
            return answer(
                "400 Bad Request",
                "content-type: application/json\r\n",
                r#"{"error":"invalid_parameter","message":"updated_after needs after_id"}"#,
            );
        }
        sc_list(&items, t)
    });
    let (base, log) = scripted(handler).await;
    let ts = sqlite_store().await;
    for _ in 0..2 {
        let report = engine(&ts)
            .sync(&sc_connector(base.clone(), 1), &NoProgress)
            .await
            .unwrap();
        assert_eq!(
            report.outcome,
            Outcome::Ok,
            "{}: {:?}",
            report.summary_line(),
            log.lock().unwrap()
        );
    }
    assert_eq!(rows(&ts, "smart_city").await.len(), 2);
}

/// A live report the backfill lists with `"deleted_at": null` (an API that lists every
/// field) is a live report, not a deletion to quarantine.
#[tokio::test]
async fn sc_a_live_report_with_a_null_deleted_at_is_stored() {
    let items = vec![
        sc_report("a", 1, "2024-02-02T01:00:00Z", "submitted"),
        sc_report("b", 2, "2024-02-02T02:00:00Z", "in_progress")
            .replace("\"status\":", "\"deleted_at\":null,\"status\":"),
    ];
    let handler: Handler = Arc::new(move |t: &str| sc_list(&items, t));
    let (base, _log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let report = engine(&ts)
        .sync(&sc_connector(base, 50), &NoProgress)
        .await
        .unwrap();
    let r = rows(&ts, "smart_city").await;
    assert_eq!(
        r.len(),
        2,
        "{r:?} {:?} {}",
        quarantined(&ts).await,
        report.summary_line()
    );
}

/// One item whose keyset fields are of the wrong type ends a full page: the backfill goes on
/// past it (the page before it is the keyset), and the rest is stored.
#[tokio::test]
async fn sc_a_bad_last_item_of_a_page_does_not_stop_the_backfill() {
    let mut items: Vec<String> = (0..6)
        .map(|i| {
            sc_report(
                &format!("r{i}"),
                1,
                &format!("2024-02-02T0{i}:00:00Z"),
                "submitted",
            )
        })
        .collect();
    // Item 2 (the last of the first page of 3): a version that is not a number.
    items[2] = items[2].replace("\"version\":1", "\"version\":\"1\"");
    let handler: Handler = Arc::new(move |t: &str| sc_list(&items, t));
    let (base, log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let report = engine(&ts)
        .sync(&sc_connector(base, 3), &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Ok, "{}", report.summary_line());
    assert_eq!(
        rows(&ts, "smart_city").await.len(),
        5,
        "{:?}",
        log.lock().unwrap()
    );
    let q = quarantined(&ts).await;
    assert_eq!(q.len(), 1, "{q:?}");
    assert!(
        q[0][1].contains("r2") && q[0][2].contains("version"),
        "{q:?}"
    );
}

/// One report whose title holds a byte of an old Latin-1 text (the channels' "messy
/// encodings"): the page's other reports are stored, that one kept (quarantined or stored
/// with the byte replaced); the channel is not stuck at that page run after run.
#[tokio::test]
async fn sp4n_one_report_with_a_latin1_byte_does_not_stop_the_channel() {
    let mut page = format!(
        r#"{{"status":"success","data":[{},{},{}],"meta":{{"page":1,"per_page":50,"total":3,"total_pages":1}}}}"#,
        sp4n_report(1, "2021-09-13T14:20:00+07:00", "Terverifikasi"),
        sp4n_report(2, "2021-09-13T14:21:00+07:00", "Terverifikasi").replace("Jalan berlubang 2", "Jalan berlubang caf\u{e9} 2"),
        sp4n_report(3, "2021-09-13T14:22:00+07:00", "Terverifikasi"),
    )
    .into_bytes();
    // "café" as Latin-1: the two bytes of é in UTF-8 become the one byte 0xE9.
    let at = page.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
    page.splice(at..at + 2, [0xE9]);
    sp4n_page_once_bad(page, "judul", b"caf\xE9").await;
}

/// Serves SP4N-LAPOR!'s `page` and syncs it into each store twice: reports 1 and 3 stored,
/// report 2 quarantined at `field` (see [`one_report_not_json`]); the second run reads the
/// page again and changes nothing.
async fn sp4n_page_once_bad(page: Vec<u8>, field: &str, raw: &[u8]) {
    let files = Files::default();
    files.lock().unwrap().insert(
        "api/v1/auth/token".into(),
        br#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#.to_vec(),
    );
    files.lock().unwrap().insert("api/v1/laporan".into(), page);
    let (base, server) = file_server(files).await;
    for ts in all_stores().await {
        let engine = engine(&ts);
        let report = engine
            .sync(&sp4n_connector(base.clone(), 50), &NoProgress)
            .await
            .unwrap();
        one_report_not_json(&ts, &report, "sp4n_lapor", "tracking_id 2", field, raw).await;
        assert_eq!(
            report.faults.get("page_not_json"),
            Some(&1),
            "{}",
            report.summary_line()
        );
        let again = engine
            .sync(&sp4n_connector(base.clone(), 50), &NoProgress)
            .await
            .unwrap();
        assert_eq!(again.outcome, Outcome::Ok, "{:?}", again.error);
        assert_eq!(
            again.counts.inserted + again.counts.updated,
            0,
            "{}",
            again.summary_line()
        );
        assert_eq!(quarantined(&ts).await.len(), 1);
    }
    server.abort();
}

/// The same in the Pantau Pekalongan backfill.
#[tokio::test]
async fn sc_one_report_with_a_latin1_byte_does_not_stop_the_backfill() {
    let files = Files::default();
    let mut page = format!(
        r#"{{"reports":[{},{},{}],"has_more":false}}"#,
        sc_report("a", 1, "2024-02-02T01:00:00Z", "submitted"),
        sc_report("b", 1, "2024-02-02T02:00:00Z", "submitted")
            .replace("Saluran b", "Saluran caf\u{e9}"),
        sc_report("c", 1, "2024-02-02T03:00:00Z", "submitted"),
    )
    .into_bytes();
    let at = page.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
    page.splice(at..at + 2, [0xE9]);
    files.lock().unwrap().insert("api/reports".into(), page);
    let (base, server) = file_server(files).await;
    for ts in all_stores().await {
        let report = engine(&ts)
            .sync(&sc_connector(base.clone(), 50), &NoProgress)
            .await
            .unwrap();
        one_report_not_json(&ts, &report, "smart_city", "id=b", "title", b"caf\xE9").await;
    }
    server.abort();
}

/// The paging hazard at random: reports share few times (many equal across page
/// boundaries), and between requests some move to the end as edited; once the edits stop,
/// one more run must leave every report's latest version stored.
#[tokio::test]
async fn sp4n_random_edits_while_paging_lose_no_version() {
    for seed in 1..=12u64 {
        struct State {
            rng: u64,
            clock: i64,
            edits: bool,
            reports: Vec<(u64, i64, u32)>, // id, updated (unix s), version
        }
        let base = 1_631_500_000i64; // 2021-09-13
        let mut st = State {
            rng: seed * 7919,
            clock: base + 100,
            edits: true,
            reports: Vec::new(),
        };
        let next = |st: &mut State| {
            st.rng = st
                .rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (st.rng >> 33) as i64
        };
        for id in 1..=40u64 {
            let t = base + next(&mut st) % 6; // six distinct times
            st.reports.push((id, t, 1));
        }
        let state = Arc::new(Mutex::new(st));
        let s2 = Arc::clone(&state);
        let handler: Handler = Arc::new(move |target: &str| {
            if target.starts_with("/api/v1/auth/token") {
                return token_answer();
            }
            let mut st = s2.lock().unwrap();
            if st.edits {
                let rnd = |st: &mut State| {
                    st.rng = st
                        .rng
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (st.rng >> 33) as usize
                };
                let k = rnd(&mut st) % 3;
                for _ in 0..k {
                    let i = rnd(&mut st) % st.reports.len();
                    // Several edits may share a second.
                    if rnd(&mut st) % 2 == 0 {
                        st.clock += 1;
                    }
                    let clock = st.clock;
                    st.reports[i].1 = clock;
                    st.reports[i].2 += 1;
                }
            }
            let listed: Vec<(u64, String, String)> = st
                .reports
                .iter()
                .map(|(id, t, v)| {
                    let at = chrono::DateTime::from_timestamp(*t, 0)
                        .unwrap()
                        .with_timezone(&aduan_core::time::wib())
                        .to_rfc3339();
                    (*id, at, format!("Terverifikasi v{v}"))
                })
                .collect();
            sp4n_list(&listed, target)
        });
        let (base_url, log) = scripted(handler).await;
        let ts = sqlite_store().await;
        let engine = engine(&ts);
        for _ in 0..3 {
            let r = engine
                .sync(
                    &sp4n_connector(base_url.clone(), 2 + (seed % 3) as u32),
                    &NoProgress,
                )
                .await
                .unwrap();
            assert_ne!(r.outcome, Outcome::Failed, "{}", r.summary_line());
        }
        state.lock().unwrap().edits = false;
        let r = engine
            .sync(
                &sp4n_connector(base_url.clone(), 2 + (seed % 3) as u32),
                &NoProgress,
            )
            .await
            .unwrap();
        assert_eq!(r.outcome, Outcome::Ok, "{}", r.summary_line());
        let stored: std::collections::BTreeMap<String, String> = rows(&ts, "sp4n_lapor")
            .await
            .into_iter()
            .map(|r| (r[0].clone(), r[2].clone()))
            .collect();
        let want: std::collections::BTreeMap<String, String> = state
            .lock()
            .unwrap()
            .reports
            .iter()
            .map(|(id, _, v)| (id.to_string(), format!("Terverifikasi v{v}")))
            .collect();
        assert_eq!(
            stored,
            want,
            "seed {seed}: {} requests",
            log.lock().unwrap().len()
        );
    }
}

/// Deletions listed by the backfill as the contract's deletion (`{"id","version",
/// "deleted_at"}`, no `updated_at`), ordered by their `deleted_at`: a page of them only (a
/// bulk removal of spam) is no reason to stop the backfill for good; the live report after
/// them is read.
#[tokio::test]
async fn sc_a_page_of_deletion_stubs_does_not_stop_the_backfill_for_good() {
    let stub = |id: &str, at: &str| format!(r#"{{"id":"{id}","version":2,"deleted_at":"{at}"}}"#);
    let items = vec![
        sc_report("a", 1, "2024-02-02T01:00:00Z", "submitted"),
        stub("d1", "2024-02-02T02:00:00Z"),
        stub("d2", "2024-02-02T03:00:00Z"),
        stub("d3", "2024-02-02T04:00:00Z"),
        sc_report("b", 1, "2024-02-02T05:00:00Z", "submitted"),
    ];
    let handler: Handler = Arc::new(move |t: &str| sc_list(&items, t));
    let (base, log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let mut summaries = Vec::new();
    for _ in 0..3 {
        let r = engine
            .sync(&sc_connector(base.clone(), 2), &NoProgress)
            .await
            .unwrap();
        summaries.push(r.summary_line());
    }
    let stored = rows(&ts, "smart_city").await;
    assert!(
        stored.iter().any(|r| r[0] == "b"),
        "{stored:?}\n{summaries:#?}\n{:?}",
        log.lock().unwrap()
    );
}

/// The same with a raw line break inside one report's text (a hand-built JSON of an old
/// system): the other reports of the page are stored; the run is not failed at that page
/// run after run.
#[tokio::test]
async fn sp4n_one_report_with_a_raw_line_break_does_not_stop_the_channel() {
    let page = format!(
        r#"{{"status":"success","data":[{},{},{}],"meta":{{"page":1,"per_page":50,"total":3,"total_pages":1}}}}"#,
        sp4n_report(1, "2021-09-13T14:20:00+07:00", "Terverifikasi"),
        sp4n_report(2, "2021-09-13T14:21:00+07:00", "Terverifikasi")
            .replace("Mohon perbaikan jalan 2.", "Mohon perbaikan\njalan 2."),
        sp4n_report(3, "2021-09-13T14:22:00+07:00", "Terverifikasi"),
    );
    sp4n_page_once_bad(page.into_bytes(), "isi", b"perbaikan\njalan").await;
}

/// A server that pages by fewer reports than asked (a cap of its own, said in
/// `meta.per_page`): its full pages are full, and a time shared by more reports than its cap
/// is walked past (review: each run read one page and took it for the last, and five reports
/// of one time were read two at a time, run after run, never past them).
#[tokio::test]
async fn sp4n_a_server_paging_by_fewer_than_asked_is_read_to_the_end() {
    let reports = verified((1..=5).map(|id| (id, "2021-09-13T14:20:00+07:00")).chain([
        (6, "2021-09-13T15:00:00+07:00"),
        (7, "2021-09-13T16:00:00+07:00"),
    ]));
    let handler: Handler = Arc::new(move |target: &str| {
        if target.starts_with("/api/v1/auth/token") {
            return token_answer();
        }
        sp4n_list(&reports, &target.replace("per_page=50", "per_page=2"))
    });
    let (base, _log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let report = engine(&ts)
        .sync(&sp4n_connector(base, 50), &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Ok, "{}", report.summary_line());
    assert_eq!(
        rows(&ts, "sp4n_lapor").await.len(),
        7,
        "{}",
        report.summary_line()
    );
}

/// A server paging by fewer reports than asked whose `meta.per_page` says the number asked
/// (it echoes the query), its `meta.total_pages` counting the pages it gives: each of its
/// pages looked like the last, and a time shared by more reports than its cap was never
/// walked past (the walk over it ended with its first page, run after run: the reports of
/// that time after the first page and every later one were never read). A page before the
/// last the server says it has is full.
#[tokio::test]
async fn sp4n_a_server_paging_by_fewer_than_its_meta_says_is_read_to_the_end() {
    let reports = verified(
        (1..=5)
            .map(|id| (id, "2021-09-13T14:20:00+07:00"))
            .chain([(6, "2021-09-13T15:00:00+07:00")]),
    );
    let handler: Handler = Arc::new(move |target: &str| {
        if target.starts_with("/api/v1/auth/token") {
            return token_answer();
        }
        let page = sp4n_list(&reports, &target.replace("per_page=9", "per_page=2"));
        // Its meta echoes the size asked; the answer's length is the same.
        page.replace("\"per_page\":2,", "\"per_page\":9,")
    });
    let (base, _log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    for _ in 0..2 {
        let report = engine
            .sync(&sp4n_connector(base.clone(), 9), &NoProgress)
            .await
            .unwrap();
        assert_eq!(report.outcome, Outcome::Ok, "{}", report.summary_line());
    }
    assert_eq!(rows(&ts, "sp4n_lapor").await.len(), 6);
}

/// Review (session 46, rpull): a server whose `meta` counts every report of the instansi,
/// not those from `updated_from` (`total` and `total_pages` of the whole list), says it has
/// pages after the last of the walk. Since a page before the last it says it has was taken
/// as full whatever its length, the walk asked on past its last page at each run's cursor:
/// two requests more a run with nothing new (the page after it, empty, and the last read
/// again), and a server answering a page past its last with its last again (as a correct
/// one may) failed every run saying it does not page on from `page`. Its `meta.total_pages`
/// is what its `total` makes at its `per_page`: it pages as it says, and a page shorter
/// than that is the last.
#[tokio::test]
async fn sp4n_a_meta_counting_the_whole_list_does_not_page_past_the_last() {
    let reports = verified((1..=5).map(|id| (id, format!("2021-09-13T14:2{id}:00+07:00"))));
    for past_the_last in ["the last again", "empty"] {
        let reports = reports.clone();
        let handler: Handler = Arc::new(move |target: &str| {
            if target.starts_with("/api/v1/auth/token") {
                return token_answer();
            }
            let from =
                query(target, "updated_from").and_then(|f| aduan_core::time::parse_source(&f));
            let page: usize = query(target, "page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let per: usize = query(target, "per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let listed: Vec<&(u64, String, String)> = reports
                .iter()
                .filter(|(_, u, _)| {
                    from.is_none_or(|f| aduan_core::time::parse_source(u).is_some_and(|u| u >= f))
                })
                .collect();
            let last = listed.len().div_ceil(per).max(1);
            let shown = match past_the_last {
                "empty" => page,
                _ => page.min(last),
            };
            let items: Vec<String> = listed
                .iter()
                .skip((shown - 1) * per)
                .take(per)
                .map(|(id, u, s)| sp4n_report(*id, u, s))
                .collect();
            ok_json(&format!(
                r#"{{"status":"success","data":[{}],"meta":{{"page":{page},"per_page":{per},"total":{},"total_pages":{}}}}}"#,
                items.join(","),
                reports.len(),
                reports.len().div_ceil(per)
            ))
        });
        let (base, log) = scripted(handler).await;
        let ts = sqlite_store().await;
        let engine = engine(&ts);
        for run in 0..3 {
            log.lock().unwrap().clear();
            // The second run without a look-back, the third with one.
            let lookback = if run == 1 {
                0
            } else {
                aduan_sp4n_lapor::DEFAULT_LOOKBACK_SECS
            };
            let report = engine
                .sync(&sp4n_looking_back(base.clone(), 2, lookback), &NoProgress)
                .await
                .unwrap();
            assert_eq!(
                (report.outcome, report.error.as_deref()),
                (Outcome::Ok, None),
                "{past_the_last}: {}",
                report.summary_line()
            );
            let asked: Vec<String> = log
                .lock()
                .unwrap()
                .iter()
                .filter(|t| t.starts_with("/api/v1/laporan"))
                .cloned()
                .collect();
            // The second run has nothing new: its cursor's page, alone; the third walks its
            // look-back's five reports by time (each page 1), none past the last page.
            match run {
                1 => assert_eq!(asked.len(), 1, "{past_the_last}: {asked:#?}"),
                2 => assert!(
                    asked.len() <= 5 && asked.iter().all(|t| t.contains("&page=1&")),
                    "{past_the_last}: {asked:#?}"
                ),
                _ => {}
            }
        }
        assert_eq!(rows(&ts, "sp4n_lapor").await.len(), 5);
    }
}

/// A backfill server that does not page on (it ignores `updated_after` and `after_id`, and
/// gives its first page with `has_more` again and again): the run stops at once, `partial`,
/// saying so, with what the page held stored (review: it asked for the same page until its time budget
/// ran out, run after run).
#[tokio::test]
async fn sc_a_backfill_that_does_not_page_on_stops_saying_so() {
    let page = format!(
        r#"{{"reports":[{},{}],"has_more":true}}"#,
        sc_report("a", 1, "2024-02-02T01:00:00Z", "submitted"),
        sc_report("b", 1, "2024-02-02T02:00:00Z", "submitted"),
    );
    let handler: Handler = Arc::new(move |_: &str| ok_json(&page));
    let (base, log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let report = engine(&ts)
        .sync(&sc_connector(base.clone(), 2), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        report.outcome,
        Outcome::Partial,
        "{}",
        report.summary_line()
    );
    let error = report.error.clone().unwrap_or_default();
    assert!(error.contains("does not page on"), "{error}");
    assert_eq!(log.lock().unwrap().len(), 2, "{:?}", log.lock().unwrap());
    assert_eq!(rows(&ts, "smart_city").await.len(), 2);
    // From a saved cursor, with the look-back (its first page asked from before the cursor,
    // not taken for the server's failing): the run stops at once too.
    let report = engine(&ts)
        .sync(&sc_connector(base, 2), &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Failed, "{}", report.summary_line());
    let error = report.error.clone().unwrap_or_default();
    assert!(error.contains("does not page on"), "{error}");
    assert_eq!(log.lock().unwrap().len(), 3, "{:?}", log.lock().unwrap());
}

/// A backfill page with no report that says there are more (`has_more: true`): the run
/// stops `partial`, saying so, what came before stored (helper pantau, session 41: it ended
/// `ok`, the rest unread without a word).
#[tokio::test]
async fn sc_an_empty_page_that_says_there_are_more_stops_saying_so() {
    let first = format!(
        r#"{{"reports":[{}],"has_more":true}}"#,
        sc_report("a", 1, "2024-02-02T01:00:00Z", "submitted"),
    );
    let handler: Handler = Arc::new(move |target: &str| {
        if target.contains("after_id") {
            ok_json(r#"{"reports":[],"has_more":true}"#)
        } else {
            ok_json(&first)
        }
    });
    let (base, _log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let report = engine(&ts)
        .sync(&sc_connector(base, 1), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        report.outcome,
        Outcome::Partial,
        "{}",
        report.summary_line()
    );
    let error = report.error.clone().unwrap_or_default();
    assert!(error.contains("empty page says there are more"), "{error}");
    assert_eq!(rows(&ts, "smart_city").await.len(), 1);
}

/// Reports whose times carry the offset in ISO 8601's basic form (`+0700`, what PHP's
/// `DATE_ISO8601` writes) are times with an offset as the contract asks: they are stored, and
/// the cursor moves to the newest, so the next run reads only from there (h41: every such
/// report was quarantined naming `updated_at`, and the cursor never moved: each run walked
/// the whole list again and stored nothing).
#[tokio::test]
async fn sp4n_times_with_a_basic_form_offset_are_read_and_move_the_cursor() {
    let handler: Handler = Arc::new(|target: &str| {
        if target.starts_with("/api/v1/auth/token") {
            return token_answer();
        }
        let items = [
            sp4n_report(1, "2021-09-13T14:20:00+0700", "Terverifikasi")
                .replace("2021-09-10T19:02:11+07:00", "2021-09-10T19:02:11+0700"),
            sp4n_report(2, "2021-09-13T14:21:00+0700", "Selesai")
                .replace("2021-09-10T19:02:11+07:00", "2021-09-10T19:02:11+0700"),
        ];
        sp4n_on_one_page(target, &updated_from_on_the_wall_clock(target, &items))
    });
    let (base, _log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let first = engine
        .sync(&sp4n_connector(base.clone(), 50), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        (
            first.outcome,
            first.counts.inserted,
            first.counts.quarantined
        ),
        (Outcome::Ok, 2, 0),
        "{} {:?}",
        first.summary_line(),
        quarantined(&ts).await
    );
    let cursor = ts
        .store
        .query("SELECT cursor FROM sync_state WHERE channel = 'sp4n_lapor'")
        .await
        .unwrap()
        .rows;
    assert!(
        format!("{cursor:?}").contains("2021-09-13T14:21:00"),
        "the cursor moved to the newest report: {cursor:?}"
    );
    // Without a look-back, only the newest time is read again (with the default one, the
    // report a minute before it too, as unchanged).
    let second = engine
        .sync(&sp4n_looking_back(base.clone(), 50, 0), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        (second.outcome, second.counts.fetched),
        (Outcome::Ok, 1),
        "only the newest time is read again: {}",
        second.summary_line()
    );
    let third = engine
        .sync(&sp4n_connector(base, 50), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        (third.outcome, third.counts.fetched, third.counts.unchanged),
        (Outcome::Ok, 2, 2),
        "{}",
        third.summary_line()
    );
}

/// Review (session 46): the look-back of a run after the first went before `start_from` when
/// the first run's newest report was dated within `lookback_secs` of it, and stored reports
/// updated before the time the operator chose to begin at. It begins at `start_from` at the
/// earliest.
#[tokio::test]
async fn sp4n_the_look_back_goes_not_before_start_from() {
    let handler: Handler = Arc::new(|target: &str| {
        if target.starts_with("/api/v1/auth/token") {
            return token_answer();
        }
        let items = [
            sp4n_report(1, "2021-09-13T14:15:00+07:00", "Terverifikasi"),
            sp4n_report(2, "2021-09-13T14:21:00+07:00", "Selesai"),
        ];
        sp4n_on_one_page(target, &updated_from_on_the_wall_clock(target, &items))
    });
    let (base, _log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let connector = aduan_sp4n_lapor::Sp4nLapor::with_secret(
        aduan_sp4n_lapor::Config {
            base_url: base,
            instansi_id: "pemkot".into(),
            client_id: "aduan".into(),
            client_secret_env: String::new(),
            per_page: 50,
            timeout_secs: 2,
            max_attempts: 4,
            retry_base_ms: 10,
            start_from: Some("2021-09-13T14:20:00+07:00".into()),
            lookback_secs: aduan_sp4n_lapor::DEFAULT_LOOKBACK_SECS,
        },
        Secret::new("s3cret"),
    )
    .unwrap();
    for run in 0..2 {
        let report = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(report.outcome, Outcome::Ok, "{}", report.summary_line());
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM complaints").await,
            1,
            "run {run}: nothing before start_from: {}",
            report.summary_line()
        );
    }
}

/// Review (session 46): with `per_page` 1, a report updated while the walk read the pages of
/// its time, to that same second, comes into the walk's time ahead of the page it is on: the
/// page asked next holds the report of the page before it again, as a server that does not
/// page on from `page` answers. The run stopped saying so (the next run went on). The page
/// before is asked again: a server that pages on now answers it otherwise, and the walk goes
/// on, the report's new version read with the rest.
#[tokio::test]
async fn sp4n_a_report_updated_into_the_walks_second_is_no_server_that_does_not_page_on() {
    const WALK: &str = "2021-09-13T14:20:00+07:00";
    // 1: read once at its old time, then updated to the walk's second ahead of 2 and 3.
    let reports = Arc::new(Mutex::new(verified([
        (1, "2021-09-13T14:00:00+07:00"),
        (2, WALK),
        (3, WALK),
    ])));
    let listed = Arc::clone(&reports);
    let handler: Handler = Arc::new(move |target: &str| {
        if target.starts_with("/api/v1/auth/token") {
            return token_answer();
        }
        let mut reports = listed.lock().unwrap();
        // The walk over the second asks for its page 2: report 1 was updated just now.
        if query(target, "updated_from").as_deref() == Some(WALK)
            && query(target, "page").as_deref() == Some("2")
            && reports[0].1 != WALK
        {
            reports[0] = (1, WALK.to_string(), "Selesai".to_string());
        }
        sp4n_list(&reports, target)
    });
    let (base, log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let report = engine(&ts)
        .sync(&sp4n_connector(base, 1), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        (report.outcome, report.error.as_deref()),
        (Outcome::Ok, None),
        "{} {:?}",
        report.summary_line(),
        log.lock().unwrap()
    );
    let statuses: Vec<(String, String)> = rows(&ts, "sp4n_lapor")
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("1".to_string(), "Selesai".to_string()),
            ("2".to_string(), "Terverifikasi".to_string()),
            ("3".to_string(), "Terverifikasi".to_string()),
        ]
    );
}

/// Review (session 46): a JSON answer whose length is not given (sent until the connection
/// closes) and whose connection dropped half-way ends early with no error from the
/// connection: it was read as the server's answer, JSON that is not the contract's, and the
/// run failed, where a body that its length tells cut short is asked again. Every JSON the
/// channels read so is asked again, within the run's attempts: SP4N-LAPOR!'s token and
/// pages, Lapor Gub!'s and the Pantau Pekalongan backfill's pages, 112's index.
#[tokio::test]
async fn every_json_answer_cut_short_without_its_length_is_asked_again() {
    use sha2::Digest;
    // SP4N-LAPOR!: its token and its first page.
    let handler: Handler = Arc::new(|target: &str| {
        if target.starts_with("/api/v1/auth/token") {
            return token_answer();
        }
        let reports = [(1, "2021-09-13T14:20:00+07:00".into(), "Selesai".into())];
        sp4n_list(&reports, target)
    });
    let (base, _) = scripted(cutting_once(
        handler,
        &["/api/v1/auth/token", "/api/v1/laporan"],
    ))
    .await;
    let ts = sqlite_store().await;
    let sp4n = engine(&ts)
        .sync(&sp4n_connector(base, 50), &NoProgress)
        .await
        .unwrap();
    // Lapor Gub!'s page.
    let page = format!(
        r#"{{"items":[{}],"next_cursor":null,"server_time":1631450000}}"#,
        r#"{"noTiket":"LGWP1","judul":"Lampu PJU mati","isi":"<p>Lampu mati.</p>","kategori":"Infrastruktur","status":3,"statusLabel":"Dalam Tindakan","jenis":1,"anonim":0,"rahasia":0,"pelapor":{"nama":"Budi","hp":"6285700011122"},"lokasi":{"kotaId":3375,"kota":"KOTA PEKALONGAN","kecamatan":"PEKALONGAN TIMUR","kelurahan":null},"opd":"DPUPR Kota Pekalongan","created":1631412000000,"updated":1631440000000,"timeline":[],"lampiran":[]}"#
    );
    let handler: Handler = Arc::new(move |_: &str| ok_json(&page));
    let (base, _) = scripted(cutting_once(handler, &["/api/v2/aduan"])).await;
    let gub = aduan_lapor_gub::LaporGub::with_key(
        serde_json::from_value(serde_json::json!({
            "base_url": base, "requests_per_minute": 0, "retry_base_ms": 10, "timeout_secs": 2,
        }))
        .unwrap(),
        Secret::new("k3y-lapor-gub"),
    )
    .unwrap();
    let gub = engine(&ts).sync(&gub, &NoProgress).await.unwrap();
    // The Pantau Pekalongan backfill's page.
    let items = vec![sc_report("a", 1, "2024-02-02T01:00:00Z", "submitted")];
    let handler: Handler = Arc::new(move |t: &str| sc_list(&items, t));
    let (base, _) = scripted(cutting_once(handler, &["/api/reports"])).await;
    let smart_city = engine(&ts)
        .sync(&sc_connector(base, 50), &NoProgress)
        .await
        .unwrap();
    // 112's index.
    let day = "No;No Tiket;Waktu Panggilan;No Telepon;Nama Penelepon;Jenis Panggilan;Kategori;Sub Kategori;Keterangan;Alamat;Kelurahan;Kecamatan;Diteruskan Ke;Status;Durasi;Petugas;Waktu Update\r\n\
        1;112-3375-20210912-0001;12/09/2021 07:41:13;081328765432;Bu Sri;Pengaduan;Gawat Tidak Darurat;Pohon Tumbang;Pohon tumbang;Jl. Dr. Sutomo;Kel. Kauman;Pek. Timur;DPUPR/BPBD;Dalam Penanganan;02:10;Rina;12/09/2021 08:05:00\r\n";
    let index = serde_json::json!([{"name": "112_20210912.csv", "size": day.len(),
        "modified": "2021-09-13T06:00:02+07:00", "sha256": hex::encode(sha2::Sha256::digest(day))}])
    .to_string();
    let handler: Handler = Arc::new(move |t: &str| match t {
        "/index.json" => ok_json(&index),
        _ => ok_json(day),
    });
    let (base, _) = scripted(cutting_once(handler, &["/index.json"])).await;
    let cc112 = aduan_cc112::Cc112::new(
        serde_json::from_value(serde_json::json!({
            "url": base, "retry_base_ms": 10, "timeout_secs": 2, "max_attempts": 2,
        }))
        .unwrap(),
        None,
    )
    .unwrap();
    let cc112 = engine(&ts).sync(&cc112, &NoProgress).await.unwrap();
    let wrong: Vec<String> = [(sp4n, 2), (gub, 1), (smart_city, 1), (cc112, 1)]
        .into_iter()
        .filter(|(r, cut)| {
            (
                r.outcome,
                r.counts.inserted,
                r.faults.get("body_interrupted"),
            ) != (Outcome::Ok, 1, Some(cut))
        })
        .map(|(r, _)| format!("{}: {:?}", r.summary_line(), r.faults))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A list of `/api/v1/laporan` served as the contract says: `reports` (tracking id, `updated_at`,
/// status) ordered by `updated_at` then `tracking_id`, from `updated_from` (inclusive), in
/// pages of `per_page`, its `meta` counting the reports from `updated_from`.
fn sp4n_listed(reports: &[(u64, String, String)], target: &str) -> String {
    if target.starts_with("/api/v1/auth/token") {
        return token_answer();
    }
    let from = query(target, "updated_from").and_then(|f| aduan_core::time::parse_source(&f));
    let page: usize = query(target, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let per: usize = query(target, "per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100)
        .max(1);
    let mut listed: Vec<(chrono::DateTime<chrono::Utc>, u64, String)> = reports
        .iter()
        .filter_map(|(id, u, s)| {
            let at = aduan_core::time::parse_source(u)?;
            from.is_none_or(|f| at >= f)
                .then(|| (at, *id, sp4n_report(*id, u, s)))
        })
        .collect();
    listed.sort_by_key(|(at, id, _)| (*at, *id));
    let items: Vec<&str> = listed
        .iter()
        .skip((page - 1) * per)
        .take(per)
        .map(|(_, _, r)| r.as_str())
        .collect();
    ok_json(&format!(
        r#"{{"status":"success","data":[{}],"meta":{{"page":{page},"per_page":{per},"total":{},"total_pages":{}}}}}"#,
        items.join(","),
        listed.len(),
        listed.len().div_ceil(per)
    ))
}

/// The list requests in `log` (its targets), as `updated_from` and `page`.
fn sp4n_asked(log: &Mutex<Vec<String>>) -> Vec<(String, String)> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|t| t.starts_with("/api/v1/laporan"))
        .map(|t| {
            (
                query(t, "updated_from").unwrap_or_default(),
                query(t, "page").unwrap_or_default(),
            )
        })
        .collect()
}

/// The saved cursor of `channel`, as its rows print.
async fn cursor_of(ts: &aduan_store::testing::TestStore, channel: &str) -> String {
    let rows = ts
        .store
        .query(&format!(
            "SELECT cursor FROM sync_state WHERE channel = '{channel}'"
        ))
        .await
        .unwrap()
        .rows;
    format!("{rows:?}")
}

/// Lead (session 48): a look-back window holding more than a page, its first page all of one
/// time (a burst), was read from its start, then on from the cursor, then on from that
/// time's page 1, which was the window's first page asked again, and asked a third time
/// when that time's pages were read again: a run asked for one page twice. The window's
/// first page is that time's page 1: the rest of the window goes on from its page 2, and no
/// page is asked twice in a run; an edit within the window is still read, the cursor does
/// not move back, and a run with nothing new whose window fits a page makes one request.
#[tokio::test]
async fn sp4n_a_look_back_of_several_pages_asks_for_no_page_twice() {
    // Three reports updated in one second, then the report the cursor stops at.
    let reports: Arc<Mutex<Vec<(u64, String, String)>>> = Arc::new(Mutex::new(
        [
            (1, "2021-09-13T14:20:00+07:00"),
            (2, "2021-09-13T14:20:00+07:00"),
            (3, "2021-09-13T14:20:00+07:00"),
            (4, "2021-09-13T14:25:00+07:00"),
        ]
        .into_iter()
        .map(|(id, at)| (id, at.to_string(), "Terverifikasi".to_string()))
        .collect(),
    ));
    let served = Arc::clone(&reports);
    let handler: Handler =
        Arc::new(move |target: &str| sp4n_listed(&served.lock().unwrap(), target));
    let (base, log) = scripted(handler).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let run = |per_page: u32| {
        let engine = &engine;
        let connector = sp4n_connector(base.clone(), per_page);
        let log = Arc::clone(&log);
        async move {
            log.lock().unwrap().clear();
            let report = engine.sync(&connector, &NoProgress).await.unwrap();
            assert_eq!(report.outcome, Outcome::Ok, "{}", report.summary_line());
            (report, sp4n_asked(&log))
        }
    };
    run(2).await;
    let cursor = cursor_of(&ts, "sp4n_lapor").await;
    assert!(cursor.contains("14:25:00"), "{cursor}");

    // Nothing new: the window's first page (two of the burst), the cursor's page, the burst's
    // page 2, and its page 1 read again, each asked once.
    let (report, asked) = run(2).await;
    assert_eq!(
        (report.counts.fetched, report.counts.unchanged),
        (report.counts.unchanged, report.counts.fetched),
        "{}",
        report.summary_line()
    );
    let mut once = asked.clone();
    once.sort();
    once.dedup();
    assert_eq!((asked.len(), once.len()), (4, 4), "{asked:#?}");

    // A version of the third report committed late within the window: read, the cursor
    // where it was, and still no page asked twice.
    reports.lock().unwrap()[2] = (3, "2021-09-13T14:22:00+07:00".into(), "Selesai".into());
    let (report, asked) = run(2).await;
    assert_eq!(
        report.counts.fetched - report.counts.unchanged,
        1,
        "{}",
        report.summary_line()
    );
    let mut once = asked.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), asked.len(), "{asked:#?}");
    assert_eq!(
        rows(&ts, "sp4n_lapor").await[2][1],
        "resolved",
        "{:?}",
        rows(&ts, "sp4n_lapor").await
    );
    assert_eq!(cursor_of(&ts, "sp4n_lapor").await, cursor);

    // A window that fits a page, nothing new: one request.
    let (_, asked) = run(50).await;
    assert_eq!(asked.len(), 1, "{asked:#?}");
    assert_eq!(cursor_of(&ts, "sp4n_lapor").await, cursor);
}

/// Lapor Gub! on a source answering every request `429` asking for 120 s.
async fn lapor_gub_rate_limited_for_2_minutes() -> aduan_lapor_gub::LaporGub {
    let handler: Handler = Arc::new(|_: &str| {
        answer(
            "429 Too Many Requests",
            "content-type: application/json\r\nretry-after: 120\r\n",
            r#"{"error":"rate_limited"}"#,
        )
    });
    let (base, _) = scripted(handler).await;
    aduan_lapor_gub::LaporGub::with_key(
        serde_json::from_value(serde_json::json!({
            "base_url": base, "requests_per_minute": 0, "retry_base_ms": 10, "timeout_secs": 2,
        }))
        .unwrap(),
        Secret::new("k3y-lapor-gub"),
    )
    .unwrap()
}

/// A run whose time budget ran out while it waited out a `429`'s `Retry-After` gave the
/// request up and said only that its budget was used up: the `429` was not among its faults
/// (they were taken after each page the source handed over, and the request held up handed
/// none), and the wait the source asked for was not named, so that the scheduler asked the
/// source again at the next tick. The run's report counts it and names the wait left.
#[tokio::test]
async fn a_rate_limit_wait_cut_short_by_the_budget_is_in_the_runs_report() {
    let gub = lapor_gub_rate_limited_for_2_minutes().await;
    for ts in all_stores().await {
        let report = a_wait_cut_short_by_the_budget(&ts, &gub).await;
        let error = report.error.clone().unwrap_or_default();
        assert!(
            error.ends_with(aduan_sync::BUDGET_USED_UP) && error.contains("Retry-After"),
            "{}: {error}",
            ts.label
        );
        let runs = ts.store.runs(Some("lapor_gub")).await.unwrap();
        let stored = runs[0].report.clone().unwrap_or_default();
        assert!(
            stored.contains(r#""rate_limited":1"#),
            "{}: {stored}",
            ts.label
        );
    }
}

/// Review, session 51: a channel whose source gives no view of a fetch in flight (a new
/// connector that leaves `BatchSource::in_flight` to its default) said nothing when its
/// budget cut a `429`'s wait short: no fault, no wait, the run's error only that its budget
/// was used up. What the fetch met is read from the source once it is given up (the `429`
/// counted), and the error says that a wait it may have been asked for is not known.
#[tokio::test]
async fn a_wait_cut_short_on_a_source_without_a_view_in_flight_is_not_passed_over() {
    let gub = lapor_gub_rate_limited_for_2_minutes().await;
    // Its pages joined by a source of the tests' own, which has no view in flight.
    let blind = OneBatch(gub);
    let ts = sqlite_store().await;
    let engine = aduan_sync::Engine::new(
        ts.store.clone(),
        normaliser(),
        aduan_sync::EngineOptions {
            budget: Some(std::time::Duration::from_millis(400)),
            ..aduan_sync::EngineOptions::default()
        },
    );
    let report = engine.sync(&blind, &NoProgress).await.unwrap();
    let line = report.summary_line();
    assert_eq!(report.outcome, Outcome::Partial, "{line}");
    assert_eq!(report.faults.get("rate_limited"), Some(&1), "{line}");
    assert_eq!(report.asked_wait, None, "{line}");
    let error = report.error.clone().unwrap_or_default();
    assert!(
        error.ends_with(aduan_sync::BUDGET_USED_UP)
            && error.contains("no view of a fetch in flight")
            && error.contains("Retry-After"),
        "{error}"
    );
}
