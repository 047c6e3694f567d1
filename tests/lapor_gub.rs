//! Lapor Gub! end to end: the simulator over real HTTP on loopback, the connector, the
//! engine, and real stores (SQLite and PostgreSQL).

mod helpers;

use aduan_core::{PullConnector, Secret};
use aduan_lapor_gub::LaporGub;
use aduan_sim::{LaporGubConfig, LaporGubFaults, RunningSim, SimConfig, Simulator};
use aduan_sync::{NoProgress, Outcome};
use helpers::*;

async fn gub_sim(config: LaporGubConfig) -> RunningSim {
    Simulator::start(
        SimConfig {
            seed: 11,
            lapor_gub: Some(config),
            ..SimConfig::no_channels()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("simulator starts")
}

/// The connector pointed at the simulator: unspaced requests, quick retries.
fn gub(sim: &RunningSim, limit: u32) -> LaporGub {
    gub_at(sim.lapor_gub_base_url(), limit)
}

/// The connector pointed at `base_url`, as [`gub`].
fn gub_at(base_url: String, limit: u32) -> LaporGub {
    LaporGub::with_key(
        aduan_lapor_gub::Config {
            base_url,
            api_key_env: String::new(),
            kota_id: aduan_lapor_gub::KOTA_PEKALONGAN,
            limit,
            requests_per_minute: 0,
            timeout_secs: 2,
            max_attempts: 6,
            retry_base_ms: 20,
            start_from: None,
            lookback_secs: aduan_lapor_gub::DEFAULT_LOOKBACK_SECS,
        },
        Secret::new(LaporGubConfig::default().api_key),
    )
    .expect("connector builds")
}

fn no_rate_limit(reports: usize, faults: LaporGubFaults) -> LaporGubConfig {
    LaporGubConfig {
        reports,
        rate_limit_per_minute: None,
        faults,
        ..LaporGubConfig::default()
    }
}

#[tokio::test]
async fn a_full_sync_keeps_only_kota_pekalongan_and_a_second_changes_nothing() {
    let sim = gub_sim(no_rate_limit(240, LaporGubFaults::default())).await;
    let truth = sim.lapor_gub_truth();
    assert!(truth.other_kota > 0 && truth.bad == 0, "{truth:?}");
    for ts in all_stores().await {
        let engine = engine(&ts);
        let connector = gub(&sim, 50);
        let first = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(first.outcome, Outcome::Ok, "{}", first.summary_line());
        assert_eq!(
            first.counts.inserted as usize,
            truth.in_city,
            "{}: {}",
            ts.label,
            first.summary_line()
        );
        assert_eq!(
            first.faults.get("other_kota").copied().unwrap_or(0) as usize,
            truth.other_kota,
            "{}: the other kab/kota are counted: {}",
            ts.label,
            first.summary_line()
        );
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM raw_records").await as usize,
            truth.in_city,
            "{}: only the city's items are archived",
            ts.label
        );
        assert_eq!(
            count(
                &ts,
                "SELECT COUNT(*) FROM complaints WHERE channel = 'lapor_gub' AND status <> 'unknown' \
                 AND (category_method IN ('mapped', 'classified') OR category_source = 'Lainnya')"
            )
            .await as usize,
            truth.in_city,
            "{}: every status and sector maps",
            ts.label
        );
        let placed = count(
            &ts,
            "SELECT COUNT(*) FROM complaints WHERE kecamatan_code IS NOT NULL",
        )
        .await as usize;
        assert!(
            placed * 10 >= truth.in_city * 9,
            "{}: the kecamatan, as the province writes it, is found: {placed} of {}",
            ts.label,
            truth.in_city
        );
        assert_eq!(
            count(
                &ts,
                "SELECT COUNT(*) FROM complaints WHERE kind = 'non_genuine'"
            )
            .await,
            count(
                &ts,
                "SELECT COUNT(*) FROM complaints WHERE status_source = '7 Spam'"
            )
            .await,
            "{}: spam is non_genuine",
            ts.label
        );
        assert_eq!(
            count(
                &ts,
                "SELECT COUNT(*) FROM complaints WHERE kind = 'non_genuine'"
            )
            .await as usize,
            truth.spam,
            "{}",
            ts.label
        );
        assert_eq!(
            count(
                &ts,
                "SELECT COUNT(*) FROM complaints WHERE body LIKE '%<%' OR body LIKE '%&amp;%'"
            )
            .await,
            0,
            "{}: the HTML is plain text",
            ts.label
        );
        let synced = ts.store.complaints_fingerprint().await.unwrap();
        let second = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(second.outcome, Outcome::Ok, "{}", second.summary_line());
        assert_eq!(
            (second.counts.inserted, second.counts.updated),
            (0, 0),
            "{}",
            second.summary_line()
        );
        assert!(
            second.counts.fetched < 50,
            "an incremental sync re-reads only the last second: {}",
            second.summary_line()
        );
        assert_eq!(ts.store.complaints_fingerprint().await.unwrap(), synced);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_limits_expired_cursors_5xx_and_bad_items_lose_and_double_nothing() {
    let faults = LaporGubFaults {
        rate_limit_every: Some(6),
        cursor_expired_every: Some(3),
        server_error_every: Some(7),
        bad_records_every: Some(25),
        unknown_status_every: Some(20),
    };
    // Runs of 15 reports share one second: a page of 10 within one goes on from its cursor.
    let sim = gub_sim(LaporGubConfig {
        burst: 15,
        ..no_rate_limit(200, faults)
    })
    .await;
    let truth = sim.lapor_gub_truth();
    assert!(truth.bad > 0 && truth.unknown_status > 0, "{truth:?}");
    for ts in all_stores().await {
        let report = engine(&ts).sync(&gub(&sim, 10), &NoProgress).await.unwrap();
        assert_eq!(report.outcome, Outcome::Ok, "{}", report.summary_line());
        for fault in [
            "rate_limited",
            "cursor_expired",
            "server_error",
            "other_kota",
        ] {
            assert!(
                report.faults.get(fault).copied().unwrap_or(0) > 0,
                "{}: {fault} met and reported: {}",
                ts.label,
                report.summary_line()
            );
        }
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM complaints").await as usize,
            truth.in_city - truth.bad,
            "{}: {}",
            ts.label,
            report.summary_line()
        );
        assert_eq!(
            count(&ts, "SELECT COUNT(DISTINCT external_id) FROM complaints").await as usize,
            truth.in_city - truth.bad
        );
        assert_eq!(
            count(
                &ts,
                "SELECT COUNT(*) FROM quarantine WHERE resolved_at IS NULL AND raw_id IS NOT NULL"
            )
            .await as usize,
            truth.bad,
            "{}: every bad item is quarantined once, with its payload",
            ts.label
        );
        let q = ts
            .store
            .quarantine_list(Some("lapor_gub"), false, 100)
            .await
            .unwrap();
        assert!(
            q.iter()
                .all(|e| e.record.starts_with("noTiket LGWP") && !e.field.is_empty()),
            "{}: {q:?}",
            ts.label
        );
        assert_eq!(
            count(
                &ts,
                "SELECT COUNT(*) FROM complaints WHERE status = 'unknown'"
            )
            .await as usize,
            truth.unknown_status,
            "{}: an unknown status code is kept and mapped to unknown",
            ts.label
        );
        assert!(
            count(
                &ts,
                "SELECT COUNT(*) FROM complaints WHERE status = 'unknown' AND status_source LIKE '9 %'"
            )
            .await
                > 0
        );
        let reported: u64 = report
            .counts
            .unknown
            .iter()
            .filter(|(k, _)| k.starts_with("unknown status") && k.contains('9'))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(
            reported as usize, truth.unknown_status,
            "{}: the unknown code is reported: {:?}",
            ts.label, report.counts.unknown
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn updates_are_fetched_incrementally_and_change_only_their_rows() {
    let sim = gub_sim(no_rate_limit(150, LaporGubFaults::default())).await;
    for ts in all_stores().await {
        let engine = engine(&ts);
        let connector = gub(&sim, 50);
        engine.sync(&connector, &NoProgress).await.unwrap();
        let events = count(&ts, "SELECT COUNT(*) FROM complaint_events").await;
        sim.lapor_gub_update_reports(5);
        let again = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(
            (again.counts.inserted, again.counts.updated),
            (0, 5),
            "{}: {}",
            ts.label,
            again.summary_line()
        );
        assert!(count(&ts, "SELECT COUNT(*) FROM complaint_events").await > events);
    }
    sim.shutdown().await;
}

/// The connector of `sim` with the settings `with` besides (`lookback_secs` its default
/// unless given): unspaced requests, quick retries.
fn gub_with(sim: &RunningSim, with: serde_json::Value) -> LaporGub {
    let mut config = serde_json::json!({
        "base_url": sim.lapor_gub_base_url(),
        "requests_per_minute": 0,
        "timeout_secs": 2,
        "retry_base_ms": 20,
    });
    if let (Some(config), Some(with)) = (config.as_object_mut(), with.as_object()) {
        config.extend(with.clone());
    }
    let config: aduan_lapor_gub::Config = serde_json::from_value(config).expect("config");
    LaporGub::with_key(config, Secret::new(LaporGubConfig::default().api_key))
        .expect("connector builds")
}

/// The channel's saved cursor, as its rows print.
async fn saved_cursor(ts: &aduan_store::testing::TestStore) -> String {
    let rows = ts
        .store
        .query("SELECT cursor FROM sync_state WHERE channel = 'lapor_gub'")
        .await
        .unwrap()
        .rows;
    format!("{rows:?}")
}

/// Hunt (session 46): each run resumed at the newest `updated` stored (`since`, inclusive),
/// so a version the province's system committed late (its transaction committed after a
/// later-dated item was listed: dated before the saved time) was never read, and without
/// webhooks it was lost for good. The run's first request goes `lookback_secs` (10 minutes
/// unless set) before the saved time: the late version is found; the items read again are
/// unchanged (not archived again, no event), the saved time does not move back, and a run
/// with nothing new still makes one request.
#[tokio::test]
async fn a_version_committed_late_before_the_saved_time_is_found_by_the_next_run() {
    let sim = gub_sim(no_rate_limit(240, LaporGubFaults::default())).await;
    for ts in all_stores().await {
        let engine = engine(&ts);
        let connector = gub_with(&sim, serde_json::json!({}));
        let first = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(first.outcome, Outcome::Ok, "{}", first.summary_line());
        let cursor = saved_cursor(&ts).await;
        let raws = count(&ts, "SELECT COUNT(*) FROM raw_records").await;
        let events = count(&ts, "SELECT COUNT(*) FROM complaint_events").await;

        let late = sim.lapor_gub_commit_late(1, 60);
        assert_eq!(late.len(), 1, "{}", ts.label);
        let id = &late[0];
        let before = sim.lapor_gub_stats().requests;
        let second = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(second.outcome, Outcome::Ok, "{}", second.summary_line());
        let c = &second.counts;
        assert_eq!(
            (
                c.inserted,
                c.updated,
                c.quarantined,
                c.fetched - c.unchanged
            ),
            (0, 1, 0, 1),
            "{}: the version committed late is found: {}",
            ts.label,
            second.summary_line()
        );
        assert_eq!(sim.lapor_gub_stats().requests - before, 1, "{}", ts.label);
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM raw_records").await,
            raws + 1,
            "{}: the items read again are not archived again",
            ts.label
        );
        late_events_alone(&ts, id, events).await;
        assert_eq!(
            saved_cursor(&ts).await,
            cursor,
            "{}: the saved time does not move back to the late item",
            ts.label
        );

        // Nothing new: one request, the items of the window read again as unchanged.
        let before = sim.lapor_gub_stats().requests;
        let third = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(sim.lapor_gub_stats().requests - before, 1, "{}", ts.label);
        let c = &third.counts;
        assert!(c.unchanged >= 2, "{}: {}", ts.label, third.summary_line());
        assert_eq!(
            (c.inserted, c.updated, c.fetched - c.unchanged),
            (0, 0, 0),
            "{}: {}",
            ts.label,
            third.summary_line()
        );
        assert_eq!(saved_cursor(&ts).await, cursor, "{}", ts.label);
    }
    sim.shutdown().await;
}

/// Review (session 46): a cursor that expires (`410`) inside the look-back, in a second
/// before the saved time that holds more than a page (walked by cursor, then read again):
/// the walk starts again from the time the run has read up to, before the saved one, and the
/// runs find every version committed late, store none twice, read nothing else as new, and
/// never hand on a time before the one saved.
#[tokio::test]
async fn a_cursor_expired_inside_the_look_back_loses_and_doubles_nothing() {
    for ts in all_stores().await {
        // A simulator of its own for each store: the late versions and the cursors expired
        // are counted from the start.
        let sim = gub_sim(no_rate_limit(
            120,
            LaporGubFaults {
                cursor_expired_every: Some(5),
                ..LaporGubFaults::default()
            },
        ))
        .await;
        let engine = engine(&ts);
        let connector = gub_with(&sim, serde_json::json!({"limit": 10}));
        let first = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(first.outcome, Outcome::Ok, "{}", first.summary_line());
        let cursor = saved_cursor(&ts).await;
        let raws = count(&ts, "SELECT COUNT(*) FROM raw_records").await;
        let complaints = count(&ts, "SELECT COUNT(*) FROM complaints").await;

        // 25 versions committed late at one second: three pages of 10 walked by cursor.
        let mut late = sim.lapor_gub_commit_late(25, 60);
        assert_eq!(late.len(), 25, "{}", ts.label);
        let mut expired = 0;
        for run in 0..4 {
            if run == 2 {
                late.extend(sim.lapor_gub_commit_late(1, 30));
            }
            let report = engine.sync(&connector, &NoProgress).await.unwrap();
            assert_eq!(
                report.outcome,
                Outcome::Ok,
                "{}: run {run}: {}",
                ts.label,
                report.summary_line()
            );
            expired += report.faults.get("cursor_expired").copied().unwrap_or(0);
            let new = match run {
                0 => 25,
                2 => 1,
                _ => 0,
            };
            let c = &report.counts;
            assert_eq!(
                (c.inserted, c.updated, c.fetched - c.unchanged),
                (0, new, new),
                "{}: run {run}: {}",
                ts.label,
                report.summary_line()
            );
            assert_eq!(saved_cursor(&ts).await, cursor, "{}: run {run}", ts.label);
        }
        assert!(expired > 0, "{}: a cursor expired in the window", ts.label);
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM raw_records").await,
            raws + 26,
            "{}: each late version archived once",
            ts.label
        );
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM complaints").await,
            complaints,
            "{}",
            ts.label
        );
        sim.shutdown().await;
    }
}

/// `lookback_secs = 0` resumes at the saved time, as before: the late version is not read.
/// More than a day is refused.
#[tokio::test]
async fn no_lookback_resumes_at_the_saved_time() {
    let sim = gub_sim(no_rate_limit(60, LaporGubFaults::default())).await;
    let config: aduan_lapor_gub::Config = serde_json::from_value(serde_json::json!({
        "base_url": sim.lapor_gub_base_url(), "lookback_secs": 86_401,
    }))
    .expect("config");
    let e = LaporGub::with_key(config, Secret::new("k")).expect_err("refused");
    assert!(e.to_string().contains("lookback_secs 86401"), "{e}");
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let connector = gub_with(&sim, serde_json::json!({"lookback_secs": 0}));
    engine.sync(&connector, &NoProgress).await.unwrap();
    assert_eq!(sim.lapor_gub_commit_late(1, 60).len(), 1);
    let run = engine.sync(&connector, &NoProgress).await.unwrap();
    assert_eq!(
        run.counts.fetched - run.counts.unchanged,
        0,
        "{}",
        run.summary_line()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_run_out_of_time_stores_what_it_read_and_the_next_finishes_the_rest() {
    let sim = gub_sim(no_rate_limit(300, LaporGubFaults::default())).await;
    let truth = sim.lapor_gub_truth();
    for ts in all_stores().await {
        // Five requests a second, ten items a page: about six seconds for everything, of
        // which the budget leaves time for a few pages even on a busy machine.
        let connector = LaporGub::with_key(
            aduan_lapor_gub::Config {
                limit: 10,
                requests_per_minute: 300,
                ..gub(&sim, 10).config().clone()
            },
            Secret::new(LaporGubConfig::default().api_key),
        )
        .unwrap();
        let short = aduan_sync::Engine::new(
            ts.store.clone(),
            normaliser(),
            aduan_sync::EngineOptions {
                budget: Some(std::time::Duration::from_millis(1500)),
                ..Default::default()
            },
        );
        let first = short.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(first.outcome, Outcome::Partial, "{}", first.summary_line());
        let stored = count(&ts, "SELECT COUNT(*) FROM complaints").await as usize;
        assert!(
            stored > 0 && stored < truth.in_city,
            "{}: {stored} stored before the budget ended",
            ts.label
        );
        let rest = engine(&ts).sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(rest.outcome, Outcome::Ok, "{}", rest.summary_line());
        assert_eq!(
            (first.counts.inserted + rest.counts.inserted) as usize,
            truth.in_city,
            "{}: {} then {}",
            ts.label,
            first.summary_line(),
            rest.summary_line()
        );
        assert_eq!(
            count(&ts, "SELECT COUNT(DISTINCT external_id) FROM complaints").await as usize,
            truth.in_city
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn cursors_that_always_expire_do_not_matter_where_each_page_moves_the_time_on() {
    let sim = gub_sim(LaporGubConfig {
        cursor_ttl: std::time::Duration::from_millis(50),
        // Runs of five reports share one second: less than a page.
        burst: 5,
        ..no_rate_limit(100, LaporGubFaults::default())
    })
    .await;
    let truth = sim.lapor_gub_truth();
    let ts = sqlite_store().await;
    // A page every 100 ms: every cursor would be older than its 50 ms when used. Each page
    // reaches a later second than the one it was asked from, so the walk goes on by time and
    // asks for no cursor (the unit tests cover a second that holds more than a page).
    let connector = LaporGub::with_key(
        aduan_lapor_gub::Config {
            requests_per_minute: 600,
            ..gub(&sim, 10).config().clone()
        },
        Secret::new(LaporGubConfig::default().api_key),
    )
    .unwrap();
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        engine(&ts).sync(&connector, &NoProgress),
    )
    .await
    .expect("the run ends")
    .unwrap();
    assert_eq!(report.outcome, Outcome::Ok, "{}", report.summary_line());
    assert_eq!(
        report.faults.get("cursor_expired"),
        None,
        "{}",
        report.summary_line()
    );
    assert_eq!(sim.lapor_gub_stats().cursor_expired, 0);
    assert_eq!(
        count(&ts, "SELECT COUNT(DISTINCT external_id) FROM complaints").await as usize,
        truth.in_city
    );
    assert_eq!(
        count(&ts, "SELECT COUNT(*) FROM complaints").await as usize,
        truth.in_city
    );
    assert_eq!(
        report.counts.unchanged,
        0,
        "the items of a page's last second are not handed out twice: {}",
        report.summary_line()
    );
    sim.shutdown().await;
}

/// Walks the simulator's pages with the connector (20 a page) from no cursor, updating
/// `moved` reports after the third; checks that every report was read, the updated ones
/// too, and that the saved time never went back.
async fn walk_updating_after_the_third_page(sim: &RunningSim, moved: usize) {
    let truth = sim.lapor_gub_truth();
    let connector = gub(sim, 20);
    let mut pages = connector.open(None).await.expect("opens");
    let mut seen = std::collections::HashSet::new();
    let mut read = 0;
    let mut updated = Vec::new();
    let mut cursors = Vec::new();
    while let Some(batch) = pages.next_batch().await.expect("a page") {
        read += 1;
        cursors.extend(batch.cursor);
        seen.extend(batch.records.into_iter().filter_map(|r| r.external_id));
        if read == 3 {
            updated = sim.lapor_gub_update_reports(moved);
        }
        assert!(read < 200, "the walk ends");
    }
    assert_eq!(updated.len(), moved);
    assert_eq!(seen.len(), truth.in_city, "every report read");
    assert!(updated.iter().all(|t| seen.contains(t)));
    assert!(
        cursors.windows(2).all(|w| w[0] <= w[1]),
        "the saved time never goes back: {cursors:?}"
    );
}

#[tokio::test]
async fn reports_updated_mid_walk_skip_nothing_when_the_cursors_are_offsets() {
    let sim = gub_sim(LaporGubConfig {
        offset_cursors: true,
        ..no_rate_limit(200, LaporGubFaults::default())
    })
    .await;
    walk_updating_after_the_third_page(&sim, 40).await;
    sim.shutdown().await;
}

/// The same within one second that holds more than a page, where only the cursor goes on:
/// the walk's pages are read again, last to first, before the saved time moves past it.
/// (The first walk's first page moves the time on to the first second; the third page is
/// within that second's walk on cursors.)
#[tokio::test]
async fn reports_updated_mid_walk_in_a_second_of_several_pages_are_not_skipped() {
    let sim = gub_sim(LaporGubConfig {
        offset_cursors: true,
        // Runs of 60 share one second: three pages of 20 each.
        burst: 60,
        ..no_rate_limit(200, LaporGubFaults::default())
    })
    .await;
    walk_updating_after_the_third_page(&sim, 15).await;
    sim.shutdown().await;
}

/// Within a second of more than a page whose cursors expire before the walk gets through it
/// (here every second cursor), a walk that starts again re-reads only what it has: the run
/// gives up after a few such restarts, with what it read stored and a clear error, instead
/// of going round until its time runs out.
#[tokio::test]
async fn cursors_that_expire_before_a_second_is_read_through_stop_the_run_soon() {
    let sim = gub_sim(LaporGubConfig {
        burst: 30,
        ..no_rate_limit(
            100,
            LaporGubFaults {
                cursor_expired_every: Some(2),
                ..LaporGubFaults::default()
            },
        )
    })
    .await;
    let ts = sqlite_store().await;
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        engine(&ts).sync(&gub(&sim, 10), &NoProgress),
    )
    .await
    .expect("the run ends")
    .unwrap();
    assert_ne!(report.outcome, Outcome::Ok, "{}", report.summary_line());
    assert!(
        report
            .error
            .as_deref()
            .is_some_and(|e| e.contains("expired 5 times in a row with no progress")),
        "{}",
        report.summary_line()
    );
    assert_eq!(
        report.faults.get("cursor_expired"),
        Some(&4),
        "{}",
        report.summary_line()
    );
    assert!(sim.lapor_gub_stats().requests < 40);
    assert_eq!(
        count(&ts, "SELECT COUNT(*) FROM complaints").await,
        20,
        "the two pages read are stored"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn renormalise_rebuilds_the_same_table_and_reporters_never_reach_it() {
    let sim = gub_sim(no_rate_limit(120, LaporGubFaults::default())).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    engine.sync(&gub(&sim, 50), &NoProgress).await.unwrap();
    let before = ts.store.complaints_fingerprint().await.unwrap();
    engine.renormalise(&parsers(), &NoProgress).await.unwrap();
    assert_eq!(ts.store.complaints_fingerprint().await.unwrap(), before);
    let all = ts.store.query("SELECT * FROM complaints").await.unwrap();
    let text = serde_json::to_string(&all.rows).unwrap();
    // Names are common words (a street is "Jl. Agus Salim"): looked for outside the
    // citizen's own text, and outside the national categories, which are the taxonomy's own
    // words ("TRI" is in "PEMADAMAN LISTRIK").
    let outside_text = ts
        .store
        .query(
            "SELECT complaint_id, channel, external_id, kind, urgency, status, status_source, \
             agency, kecamatan, kelurahan, reporter_key FROM complaints",
        )
        .await
        .unwrap();
    let values: std::collections::HashSet<String> = outside_text
        .rows
        .iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let mut identities = 0;
    for raw in ts.store.raw_after(0, 10_000).await.unwrap() {
        let v: serde_json::Value = serde_json::from_slice(&raw.payload).unwrap();
        if let Some(hp) = v["pelapor"]["hp"].as_str() {
            identities += 1;
            let digits: String = hp.chars().filter(char::is_ascii_digit).collect();
            assert!(
                !text.contains(hp) && !text.contains(&digits[digits.len().saturating_sub(9)..]),
                "{hp:?} reached complaints"
            );
        }
        if let Some(name) = v["pelapor"]["nama"].as_str() {
            assert!(
                values.iter().all(|c| !c.contains(name)),
                "{name:?} reached complaints"
            );
        }
    }
    assert!(identities > 0, "the simulator sends reporters");
    assert!(
        count(
            &ts,
            "SELECT COUNT(*) FROM complaints WHERE reporter_key IS NOT NULL"
        )
        .await
            > 0
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_is_a_clear_error_and_stores_nothing() {
    let sim = gub_sim(no_rate_limit(20, LaporGubFaults::default())).await;
    let ts = sqlite_store().await;
    let mut config = aduan_lapor_gub::Config {
        base_url: sim.lapor_gub_base_url(),
        api_key_env: String::new(),
        kota_id: aduan_lapor_gub::KOTA_PEKALONGAN,
        limit: 50,
        requests_per_minute: 0,
        timeout_secs: 2,
        max_attempts: 2,
        retry_base_ms: 20,
        start_from: None,
        lookback_secs: aduan_lapor_gub::DEFAULT_LOOKBACK_SECS,
    };
    let wrong = LaporGub::with_key(config.clone(), Secret::new("not-the-key")).unwrap();
    let report = engine(&ts).sync(&wrong, &NoProgress).await.unwrap();
    assert_eq!(report.outcome, Outcome::Failed);
    let error = report.error.unwrap_or_default();
    assert!(
        error.contains("lapor_gub") && error.contains("401"),
        "{error}"
    );
    assert!(!error.contains("not-the-key"), "{error}");
    assert_eq!(count(&ts, "SELECT COUNT(*) FROM raw_records").await, 0);
    config.limit = 51;
    let e = LaporGub::with_key(config, Secret::new("k")).unwrap_err();
    assert!(e.to_string().contains("limit 51"), "{e}");
    sim.shutdown().await;
}

/// A Lapor Gub! stand-in on loopback whose key is used up by another client: its first
/// `limited` requests are answered `429` with `Retry-After: 0`, then one page with one item.
async fn shared_key_upstream(limited: usize) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let item = r#"{"noTiket":"LGWP14376928","judul":"Lampu PJU mati","isi":"<p>Lampu PJU di Jl. Hayam Wuruk mati sejak 3 hari.</p>","kategori":"Infrastruktur","status":3,"statusLabel":"Dalam Tindakan","jenis":1,"anonim":0,"rahasia":0,"pelapor":{"nama":"Budi","hp":"6285700011122"},"lokasi":{"kotaId":3375,"kota":"KOTA PEKALONGAN","kecamatan":"PEKALONGAN TIMUR","kelurahan":null},"opd":"DPUPR Kota Pekalongan","created":1631412000000,"updated":1631440000000,"timeline":[],"lampiran":[]}"#;
    let page = format!(r#"{{"items":[{item}],"next_cursor":null,"server_time":1631440000}}"#);
    let task = tokio::spawn(async move {
        let mut asked = 0;
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16 * 1024];
            let _ = s.read(&mut buf).await;
            asked += 1;
            let answer = if asked <= limited {
                let body = r#"{"error":"rate_limited"}"#;
                format!(
                    "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                )
            };
            let _ = s.write_all(answer.as_bytes()).await;
        }
    });
    (base, task)
}

/// The connector pointed at a stand-in server at `base` (key `k`, unspaced requests).
fn stand_in(base: String) -> LaporGub {
    LaporGub::with_key(
        aduan_lapor_gub::Config {
            base_url: base,
            api_key_env: String::new(),
            kota_id: aduan_lapor_gub::KOTA_PEKALONGAN,
            limit: 50,
            requests_per_minute: 0,
            timeout_secs: 2,
            max_attempts: 6,
            retry_base_ms: 20,
            start_from: None,
            lookback_secs: aduan_lapor_gub::DEFAULT_LOOKBACK_SECS,
        },
        Secret::new("k"),
    )
    .unwrap()
}

/// Regression: each `429` used up one of the six attempts, so seven in a row (another
/// client sharing the key) failed the run; the contract says a sync that hits the limit
/// waits and goes on.
#[tokio::test]
async fn a_sync_rate_limited_more_times_than_it_has_attempts_waits_and_goes_on() {
    let (base, server) = shared_key_upstream(7).await;
    let ts = sqlite_store().await;
    let connector = stand_in(base);
    let report = engine(&ts).sync(&connector, &NoProgress).await.unwrap();
    assert_eq!(report.outcome, Outcome::Ok, "{}", report.summary_line());
    assert_eq!(report.counts.inserted, 1, "{}", report.summary_line());
    assert_eq!(
        report.faults.get("rate_limited"),
        Some(&7),
        "{}",
        report.summary_line()
    );
    server.abort();
}

/// A Lapor Gub! stand-in on loopback answering every request with `page` (a whole JSON
/// body); its base URL and task.
async fn one_page_upstream(page: String) -> (String, tokio::task::JoinHandle<()>) {
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
        page.len()
    );
    let files: Files = std::sync::Arc::new(std::sync::Mutex::new(
        [("api/v2/aduan".to_string(), answer.into_bytes())].into(),
    ));
    file_server(files).await
}

/// A server that does not page on from `cursor` (it ignores it, as a proxy that drops the
/// parameter would, and hands out the same page and the same next cursor again): within a
/// second of more than a page, the walk followed that cursor for ever, each page handing out
/// nothing new, until the run's time budget ran out (an hour of requests at the key's limit,
/// recorded as no failure), and every run after it the same, nothing later than that second
/// ever read. The run now stops at once with an error that says so, what it read stored.
#[tokio::test]
async fn a_server_that_does_not_page_on_from_the_cursor_stops_the_run_saying_so() {
    let item = |id: &str| {
        format!(
            r#"{{"noTiket":"{id}","judul":"Lampu PJU mati","isi":"<p>Lampu mati.</p>","kategori":"Infrastruktur","status":3,"statusLabel":"Dalam Tindakan","jenis":1,"anonim":0,"rahasia":0,"pelapor":null,"lokasi":{{"kotaId":3375,"kota":"KOTA PEKALONGAN","kecamatan":"PEKALONGAN TIMUR","kelurahan":null}},"opd":"DPUPR Kota Pekalongan","created":1631412000000,"updated":1631440000000,"timeline":[],"lampiran":[]}}"#
        )
    };
    // Two reports of one second, and a cursor to more of that second.
    let page = format!(
        r#"{{"items":[{},{}],"next_cursor":"eyJvIjoyfQ","server_time":1631450000}}"#,
        item("LGWP1"),
        item("LGWP2")
    );
    let (base, server) = one_page_upstream(page).await;
    let connector = stand_in(base);
    let ts = sqlite_store().await;
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        engine(&ts).sync(&connector, &NoProgress),
    )
    .await
    .expect("the run ends")
    .unwrap();
    assert_ne!(report.outcome, Outcome::Ok, "{}", report.summary_line());
    let error = report.error.clone().unwrap_or_default();
    assert!(
        error.contains("eyJvIjoyfQ") && error.contains("does not page on"),
        "{}",
        report.summary_line()
    );
    assert_eq!(report.counts.inserted, 2, "{}", report.summary_line());
    server.abort();
}

/// An item dated in the year 10000 (a source's mistake): quarantined naming `updated`, on
/// both stores (PostgreSQL refuses such a time: the whole batch would fail, run after run),
/// the rest stored, but for an item dated years after it was received (quarantined naming
/// `updated_at`: it would stand over every correction until then); the saved time moves by neither it nor an item dated after the server's
/// clock, so the next run reads on from the newest real time instead of stopping at a cursor
/// that is no time or skipping what is updated until the year the item names.
#[tokio::test]
async fn an_item_dated_in_a_far_year_is_quarantined_and_moves_no_cursor() {
    let good = r#"{"noTiket":"LGWP1","judul":"Lampu PJU mati","isi":"<p>Lampu mati.</p>","kategori":"Infrastruktur","status":3,"statusLabel":"Dalam Tindakan","jenis":1,"anonim":0,"rahasia":0,"pelapor":{"nama":"Budi","hp":"6285700011122"},"lokasi":{"kotaId":3375,"kota":"KOTA PEKALONGAN","kecamatan":"PEKALONGAN TIMUR","kelurahan":null},"opd":"DPUPR Kota Pekalongan","created":1631412000000,"updated":1631440000000,"timeline":[],"lampiran":[]}"#;
    let far = good
        .replace("LGWP1", "LGWP2")
        .replace("\"updated\":1631440000000", "\"updated\":253402300800000");
    // Dated after the server's clock (but before it was received): stored, but the saved
    // time does not move to it.
    let ahead = good
        .replace("LGWP1", "LGWP3")
        .replace("\"updated\":1631440000000", "\"updated\":1735689600000");
    // Dated years after it was received (2099): quarantined naming `updated_at`, as it would
    // stand over every correction until then.
    let after_receipt = good
        .replace("LGWP1", "LGWP4")
        .replace("\"updated\":1631440000000", "\"updated\":4070908800000");
    let page = format!(
        r#"{{"items":[{good},{far},{ahead},{after_receipt}],"next_cursor":null,"server_time":1631450000}}"#
    );
    let (base, server) = one_page_upstream(page).await;
    let connector = stand_in(base);
    for ts in all_stores().await {
        let engine = engine(&ts);
        let first = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(
            (
                first.outcome,
                first.counts.inserted,
                first.counts.quarantined
            ),
            (Outcome::Ok, 2, 2),
            "{}: {}",
            ts.label,
            first.summary_line()
        );
        let q = ts
            .store
            .query("SELECT record, field FROM quarantine ORDER BY record")
            .await
            .unwrap()
            .rows;
        assert_eq!(
            format!("{q:?}"),
            r#"[[String("LGWP4"), String("updated_at")], [String("noTiket LGWP2"), String("updated")]]"#,
            "{}",
            ts.label
        );
        let cursor = ts
            .store
            .query("SELECT cursor FROM sync_state WHERE channel = 'lapor_gub'")
            .await
            .unwrap()
            .rows;
        assert_eq!(
            format!("{cursor:?}"),
            r#"[[String("2021-09-12T09:46:40Z")]]"#,
            "{}: the newest real time",
            ts.label
        );
        let second = engine.sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(
            (second.outcome, second.counts.inserted),
            (Outcome::Ok, 0),
            "{}: {}",
            ts.label,
            second.summary_line()
        );
        assert_eq!(count(&ts, "SELECT COUNT(*) FROM complaints").await, 2);
    }
    server.abort();
}

/// A ticket number of thousands of characters (a source's mistake): quarantined naming
/// `external_id`, on both stores (PostgreSQL's index refuses an entry that long with the
/// whole batch, run after run), the rest stored.
#[tokio::test]
async fn an_identity_too_long_to_index_is_quarantined_and_the_rest_stored() {
    let good = r#"{"noTiket":"LGWP1","judul":"Lampu PJU mati","isi":"<p>Lampu mati.</p>","kategori":"Infrastruktur","status":3,"statusLabel":"Dalam Tindakan","jenis":1,"anonim":0,"rahasia":0,"pelapor":{"nama":"Budi","hp":"6285700011122"},"lokasi":{"kotaId":3375,"kota":"KOTA PEKALONGAN","kecamatan":"PEKALONGAN TIMUR","kelurahan":null},"opd":"DPUPR Kota Pekalongan","created":1631412000000,"updated":1631440000000,"timeline":[],"lampiran":[]}"#;
    let long = incompressible(4000);
    let bad = good.replace("LGWP1", &format!("LGWP{long}"));
    let page = format!(r#"{{"items":[{good},{bad}],"next_cursor":null,"server_time":1631450000}}"#);
    let (base, server) = one_page_upstream(page).await;
    let connector = stand_in(base);
    for ts in all_stores().await {
        let first = engine(&ts).sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(
            (
                first.outcome,
                first.counts.inserted,
                first.counts.quarantined
            ),
            (Outcome::Ok, 1, 1),
            "{}: {}",
            ts.label,
            first.summary_line()
        );
        let q = ts
            .store
            .query("SELECT record, field, reason FROM quarantine")
            .await
            .unwrap()
            .rows;
        let shown = format!("{q:?}");
        assert!(
            shown.contains(r#"String("external_id")"#)
                && shown.contains("4004 bytes, longer than the 500")
                && shown.contains(r#"String("LGWP"#)
                && shown.len() < 400,
            "{}: {shown}",
            ts.label
        );
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM raw_records").await,
            2,
            "{}: both archived",
            ts.label
        );
    }
    server.abort();
}

/// One report as the API lists it, `updated` at `updated_ms`, with its `timeline` (title,
/// WIB time).
fn gub_item(updated_ms: i64, status: u8, timeline: &[(&str, &str)]) -> String {
    let entries: Vec<serde_json::Value> = timeline
        .iter()
        .map(|(judul, tanggal)| {
            serde_json::json!({"judul": judul, "tanggal": tanggal, "oleh": "Admin Provinsi", "keterangan": "-"})
        })
        .collect();
    serde_json::json!({
        "noTiket": "LGWP14376928", "judul": "Lampu PJU mati", "isi": "<p>Lampu mati</p>",
        "kategori": "Infrastruktur", "status": status, "statusLabel": "x", "jenis": 1,
        "anonim": 0, "rahasia": 0, "pelapor": {"nama": "Budi", "hp": "6285700011122"},
        "lokasi": {"kotaId": 3375, "kota": "KOTA PEKALONGAN", "kecamatan": "PEKALONGAN TIMUR",
                   "kelurahan": null},
        "opd": "DPUPR Kota Pekalongan", "created": 1_631_412_000_000_i64,
        "updated": updated_ms, "timeline": entries, "lampiran": []
    })
    .to_string()
}

/// Tuntas on 13 September; reopened on the 20th and Tuntas again on the 25th, both between
/// two syncs: resolved on the 25th, as a store that reads the report once holds it, and a
/// rebuild (a helper's randomized check found the first resolution kept: a version still
/// resolved kept the earlier time even where its timeline says when it was finished).
#[tokio::test]
async fn a_report_reopened_and_resolved_again_between_two_syncs_is_resolved_when_last_resolved() {
    let first = gub_item(
        1_631_520_000_000,
        4,
        &[
            ("Aduan diverifikasi", "2021-09-12 10:11:00"),
            ("Aduan tuntas", "2021-09-13 09:00:00"),
        ],
    );
    let again = gub_item(
        1_632_560_000_000,
        4,
        &[
            ("Aduan diverifikasi", "2021-09-12 10:11:00"),
            ("Aduan tuntas", "2021-09-13 09:00:00"),
            ("Aduan dibuka kembali", "2021-09-20 09:00:00"),
            ("Aduan tuntas", "2021-09-25 09:00:00"),
        ],
    );
    let page = |item: &str| {
        format!(r#"{{"items":[{item}],"next_cursor":null,"server_time":1700000000}}"#).into_bytes()
    };
    let files: Files = Default::default();
    let (base, task) = file_server(files.clone()).await;
    let q = "SELECT status, resolved_at FROM complaints";
    for ts in all_stores().await {
        files
            .lock()
            .unwrap()
            .insert("api/v2/aduan".into(), page(&first));
        let engine = engine(&ts);
        engine
            .sync(&gub_at(base.clone(), 50), &NoProgress)
            .await
            .unwrap();
        files
            .lock()
            .unwrap()
            .insert("api/v2/aduan".into(), page(&again));
        engine
            .sync(&gub_at(base.clone(), 50), &NoProgress)
            .await
            .unwrap();
        let synced = ts.store.query(q).await.unwrap().rows;
        let resolved = synced[0][1].as_str().unwrap_or_default();
        // 09:00 WIB is 02:00 UTC.
        assert!(
            resolved.starts_with("2021-09-25"),
            "{}: {synced:?}",
            ts.label
        );
        engine.renormalise(&parsers(), &NoProgress).await.unwrap();
        assert_eq!(
            ts.store.query(q).await.unwrap().rows,
            synced,
            "{}",
            ts.label
        );
    }
    task.abort();
}

/// as above, with a ticket of 3,000 characters that do not compress
/// (hex digits of a hash chain: `incompressible` repeats itself every 2,048 characters, which
/// PostgreSQL compresses below its index's limit). The payload's source id goes into
/// `raw_records.external_id`, indexed (`raw_records_source_id`): PostgreSQL refuses an index
/// entry over 2,704 bytes, with the whole batch, run after run. On both stores the report is
/// archived and quarantined naming `external_id`, and the rest stored.
#[tokio::test]
async fn a_ticket_too_long_to_index_in_the_archive_fails_no_batch() {
    use sha2::{Digest, Sha256};
    let good = r#"{"noTiket":"LGWP1","judul":"Lampu PJU mati","isi":"<p>Lampu mati.</p>","kategori":"Infrastruktur","status":3,"statusLabel":"Dalam Tindakan","jenis":1,"anonim":0,"rahasia":0,"pelapor":{"nama":"Budi","hp":"6285700011122"},"lokasi":{"kotaId":3375,"kota":"KOTA PEKALONGAN","kecamatan":"PEKALONGAN TIMUR","kelurahan":null},"opd":"DPUPR Kota Pekalongan","created":1631412000000,"updated":1631440000000,"timeline":[],"lampiran":[]}"#;
    let mut long = String::new();
    let mut h = Sha256::digest(b"seed").to_vec();
    while long.len() < 3_000 {
        long.push_str(&hex::encode(&h));
        h = Sha256::digest(&h).to_vec();
    }
    let bad = good.replace("LGWP1", &format!("LGWP{long}"));
    let page = format!(r#"{{"items":[{good},{bad}],"next_cursor":null,"server_time":1631450000}}"#);
    let (base, server) = one_page_upstream(page).await;
    let connector = stand_in(base);
    for ts in all_stores().await {
        let first = engine(&ts).sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(
            (
                first.outcome,
                first.counts.inserted,
                first.counts.quarantined
            ),
            (Outcome::Ok, 1, 1),
            "{}: {}",
            ts.label,
            first.summary_line()
        );
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM raw_records").await,
            2,
            "{}: both archived",
            ts.label
        );
    }
    server.abort();
}
