//! The Pantau Pekalongan app end to end: the backfill over HTTP into both stores, signed
//! webhooks into `aduan serve` processes (one, and two replicas on PostgreSQL), lost webhooks
//! found by the scheduled backfill, and deliveries stored before a crash folded after it.

mod helpers;

use std::collections::BTreeMap;
use std::time::Duration;

use aduan_core::Secret;
use aduan_sim::{
    DeliveryPlan, RunningSim, SimConfig, Simulator, SmartCityConfig, SmartCityFaults, TruthReport,
};
use aduan_smart_city::SmartCity;
use aduan_store::testing::TestStore;
use aduan_sync::{NoProgress, Outcome};
use helpers::serve::*;
use helpers::*;

async fn simulator(reports: usize, faults: SmartCityFaults) -> RunningSim {
    Simulator::start(
        SimConfig {
            seed: 11,
            smart_city: Some(SmartCityConfig {
                reports,
                faults,
                ..SmartCityConfig::default()
            }),
            ..SimConfig::no_channels()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("simulator starts")
}

fn backfill(sim: &RunningSim, limit: u32) -> SmartCity {
    let config: aduan_smart_city::Config = serde_json::from_value(serde_json::json!({
        "base_url": sim.smart_city_base_url(),
        "limit": limit,
        "retry_base_ms": 20,
        "timeout_secs": 5,
    }))
    .expect("config");
    SmartCity::with_token(config, Secret::new(SmartCityConfig::default().token))
        .expect("connector builds")
}

/// The unified status a report's latest version must end up as.
fn unified(t: &TruthReport) -> &'static str {
    if t.deleted {
        return "withdrawn";
    }
    match t.status.as_deref() {
        Some("submitted") => "received",
        Some("accepted") => "verified",
        Some("in_progress") => "in_progress",
        Some("done") => "resolved",
        Some("rejected") => "rejected",
        other => panic!("the simulator's status {other:?} is not in the contract"),
    }
}

/// external_id → status of the smart_city complaints stored.
async fn stored(ts: &TestStore) -> BTreeMap<String, String> {
    let r = ts
        .store
        .query("SELECT external_id, status FROM complaints WHERE channel = 'smart_city'")
        .await
        .expect("query");
    r.rows
        .into_iter()
        .map(|row| {
            (
                row[0].as_str().unwrap_or_default().to_string(),
                row[1].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// What every report must look like once each of its versions was received.
fn expected(truth: &[TruthReport]) -> BTreeMap<String, String> {
    truth
        .iter()
        .map(|t| (t.id.clone(), unified(t).to_string()))
        .collect()
}

#[tokio::test]
async fn the_backfill_pages_every_report_into_every_store_through_rate_limits_and_errors() {
    let sim = simulator(
        300,
        SmartCityFaults {
            rate_limit_every: 5,
            server_error_every: 7,
        },
    )
    .await;
    let truth = sim.smart_city_truth();
    // The backfill serves a deleted report as its deletion stub only: with no version of its
    // content received, there is nothing to show, so it is kept in the archive and folded in
    // when a version comes.
    let mut want = expected(&truth);
    want.retain(|id, _| truth.iter().any(|t| &t.id == id && !t.deleted));
    assert!(truth.iter().any(|t| t.deleted), "the data has deletions");
    for ts in all_stores().await {
        let engine = engine(&ts);
        let connector = backfill(&sim, 50);
        let report = engine.sync(&connector, &NoProgress).await.expect("sync");
        assert_eq!(report.outcome, Outcome::Ok, "{}: {report:?}", ts.label);
        assert_eq!(report.counts.fetched as usize, truth.len(), "{}", ts.label);
        assert_eq!(report.counts.quarantined, 0, "{}", ts.label);
        assert!(report.faults.get("rate_limited").copied().unwrap_or(0) > 0);
        assert_eq!(stored(&ts).await, want, "{}", ts.label);
        // Nothing new: one request, nothing changes.
        let again = engine.sync(&connector, &NoProgress).await.expect("sync");
        assert_eq!(
            again.counts.inserted + again.counts.updated,
            0,
            "{}",
            ts.label
        );
    }
    // Updates upstream move reports to the end of the order; the next run takes just them
    // (besides the rows of its look-back before the cursor, read again as unchanged).
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let connector = backfill(&sim, 50);
    engine.sync(&connector, &NoProgress).await.expect("sync");
    let changed = sim.smart_city_update_reports(20);
    let report = engine.sync(&connector, &NoProgress).await.expect("sync");
    let c = &report.counts;
    assert_eq!(
        (c.fetched - c.unchanged) as usize,
        changed.len(),
        "{}",
        report.summary_line()
    );
    assert_eq!(c.inserted + c.updated, changed.len() as u64);
    let truth = sim.smart_city_truth();
    let now = stored(&ts).await;
    for id in &changed {
        let t = truth.iter().find(|t| &t.id == id).expect("in the truth");
        // A report whose content was stored and which is now deleted is withdrawn.
        assert_eq!(now.get(id).map(String::as_str), Some(unified(t)), "{id}");
    }
}

/// The channel's saved cursor, as stored.
async fn saved_cursor(ts: &TestStore) -> String {
    let rows = ts
        .store
        .query("SELECT cursor FROM sync_state WHERE channel = 'smart_city'")
        .await
        .expect("query")
        .rows;
    format!("{rows:?}")
}

/// The backfill of `sim` with the settings `with` besides (`lookback_secs` its default
/// unless given).
fn backfill_with(sim: &RunningSim, with: serde_json::Value) -> SmartCity {
    let mut config = serde_json::json!({
        "base_url": sim.smart_city_base_url(),
        "limit": 200,
        "retry_base_ms": 20,
        "timeout_secs": 5,
    });
    if let (Some(config), Some(with)) = (config.as_object_mut(), with.as_object()) {
        config.extend(with.clone());
    }
    let config: aduan_smart_city::Config = serde_json::from_value(config).expect("config");
    SmartCity::with_token(config, Secret::new(SmartCityConfig::default().token))
        .expect("connector builds")
}

/// Hunt (session 46): the backfill resumed exactly after its saved `(updated_at, id)`, so a
/// version of a report the app's backend committed late (its transaction committed after a
/// later-dated row was served: dated before the saved cursor) whose webhook was lost was
/// never found, against "a lost webhook is still found". The walk resumes `lookback_secs`
/// (10 minutes unless set) before its cursor: the late version is found by the next run; the
/// rows read again are unchanged (not archived again, no event, counted as unchanged only),
/// the cursor does not move back, and a run with nothing new makes one request.
#[tokio::test]
async fn a_version_committed_late_before_the_saved_cursor_is_found_by_the_next_run() {
    for ts in all_stores().await {
        let sim = simulator(60, SmartCityFaults::default()).await;
        let engine = engine(&ts);
        let connector = backfill_with(&sim, serde_json::json!({}));
        let first = engine.sync(&connector, &NoProgress).await.expect("sync");
        assert_eq!(first.outcome, Outcome::Ok, "{}: {first:?}", ts.label);
        let cursor = saved_cursor(&ts).await;
        let raws = count(&ts, "SELECT COUNT(*) FROM raw_records").await;
        let events = count(&ts, "SELECT COUNT(*) FROM complaint_events").await;

        let late = sim.smart_city_commit_late(1, 60);
        assert_eq!(late.len(), 1, "{}", ts.label);
        let id = &late[0];
        let truth = sim.smart_city_truth();
        let t = truth.iter().find(|t| &t.id == id).expect("in the truth");
        assert_ne!(
            stored(&ts).await.get(id).map(String::as_str),
            Some(unified(t)),
            "{}: the late version changes the report",
            ts.label
        );

        let second = engine.sync(&connector, &NoProgress).await.expect("sync");
        assert_eq!(second.outcome, Outcome::Ok, "{}: {second:?}", ts.label);
        assert_eq!(
            stored(&ts).await.get(id).map(String::as_str),
            Some(unified(t)),
            "{}: the version committed late is found: {}",
            ts.label,
            second.summary_line()
        );
        let c = &second.counts;
        assert_eq!(
            (
                c.inserted,
                c.updated,
                c.quarantined,
                c.fetched - c.unchanged
            ),
            (0, 1, 0, 1),
            "{}: {}",
            ts.label,
            second.summary_line()
        );
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM raw_records").await,
            raws + 1,
            "{}: the rows read again are not archived again",
            ts.label
        );
        late_events_alone(&ts, id, events).await;
        assert_eq!(
            saved_cursor(&ts).await,
            cursor,
            "{}: the cursor does not move back to the late row",
            ts.label
        );

        // Nothing new: two requests (on from the cursor, and the look-back), the rows of the
        // window read again as unchanged.
        let before = sim.smart_city_stats().requests;
        let third = engine.sync(&connector, &NoProgress).await.expect("sync");
        assert_eq!(sim.smart_city_stats().requests - before, 2, "{}", ts.label);
        let c = &third.counts;
        assert!(
            c.unchanged > 0,
            "{}: the cursor's own row is read again",
            ts.label
        );
        assert_eq!(
            (c.inserted, c.updated, c.fetched - c.unchanged),
            (0, 0, 0),
            "{}: {}",
            ts.label,
            third.summary_line()
        );
        assert_eq!(saved_cursor(&ts).await, cursor, "{}", ts.label);
    }
}

/// `lookback_secs = 0` resumes exactly after the cursor, as before: the late version is not
/// read. More than a day is refused.
#[tokio::test]
async fn no_lookback_resumes_exactly_after_the_cursor() {
    let sim = simulator(60, SmartCityFaults::default()).await;
    let config: aduan_smart_city::Config = serde_json::from_value(serde_json::json!({
        "base_url": sim.smart_city_base_url(), "lookback_secs": 86_401,
    }))
    .expect("config");
    let e = SmartCity::with_token(config, Secret::new("t")).expect_err("refused");
    assert!(e.to_string().contains("lookback_secs 86401"), "{e}");
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let connector = backfill_with(&sim, serde_json::json!({"lookback_secs": 0}));
    engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(sim.smart_city_commit_late(1, 60).len(), 1);
    let run = engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(run.counts.fetched, 0, "{}", run.summary_line());
}

/// A look-back over several pages (one report a page): the rows before the saved cursor do
/// not move it back, also when the run stops after reading them (the cursor a run that fails
/// keeps is its last batch's); a look-back whose page ends at the saved cursor pages on
/// (it was not asked from there); the late versions and the new ones are all found.
#[tokio::test]
async fn a_look_back_over_several_pages_never_moves_the_cursor_back() {
    let sim = simulator(60, SmartCityFaults::default()).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let connector = backfill_with(&sim, serde_json::json!({"limit": 1, "max_attempts": 1}));
    let run = engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(run.outcome, Outcome::Ok, "{}", run.summary_line());
    // The cursor at a report alone in its second.
    let mut changed = sim.smart_city_update_reports(1);
    engine.sync(&connector, &NoProgress).await.expect("sync");
    changed.extend(sim.smart_city_update_reports(1));
    // A second's look-back: its first page is the row at the cursor, with more after it.
    let second = backfill_with(
        &sim,
        serde_json::json!({"limit": 1, "max_attempts": 1, "lookback_secs": 1}),
    );
    let run = engine.sync(&second, &NoProgress).await.expect("sync");
    assert_eq!(run.outcome, Outcome::Ok, "{}", run.summary_line());
    let c = &run.counts;
    assert_eq!(c.fetched - c.unchanged, 1, "{}", run.summary_line());
    let cursor = saved_cursor(&ts).await;
    assert!(cursor.contains(&changed[1]), "{cursor}");

    // Two versions committed late; the run stops at its third request (the first, on from
    // the cursor, finds nothing new; the second is the look-back's first page).
    changed.extend(sim.smart_city_commit_late(2, 60));
    sim.smart_city_set_faults(SmartCityFaults {
        server_error_every: 3,
        ..SmartCityFaults::default()
    });
    let run = engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(run.outcome, Outcome::Partial, "{}", run.summary_line());
    assert_eq!(run.counts.fetched, 1, "{}", run.summary_line());
    assert_eq!(saved_cursor(&ts).await, cursor, "the cursor stays");

    sim.smart_city_set_faults(SmartCityFaults::default());
    changed.extend(sim.smart_city_update_reports(1));
    let run = engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(run.outcome, Outcome::Ok, "{}", run.summary_line());
    let truth = sim.smart_city_truth();
    let now = stored(&ts).await;
    assert_eq!(changed.len(), 5);
    for id in &changed {
        let t = truth.iter().find(|t| &t.id == id).expect("in the truth");
        assert_eq!(now.get(id).map(String::as_str), Some(unified(t)), "{id}");
    }
    let cursor = saved_cursor(&ts).await;
    assert!(cursor.contains(&changed[4]), "{cursor}");
    let run = engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(run.outcome, Outcome::Ok, "{}", run.summary_line());
    assert_eq!(
        run.counts.fetched,
        run.counts.unchanged,
        "{}",
        run.summary_line()
    );
    assert_eq!(saved_cursor(&ts).await, cursor);
}

/// Review (session 46): the look-back was read before anything after the saved cursor, and
/// its rows, all before that cursor, move no cursor: a run that stops inside it (its time
/// budget, a `429` asking longer than a run waits, a server failing now and then) saved
/// nothing, and when the window before the cursor holds more than a run can read (a burst of
/// updates: the cursor stays at its end while the app is quiet), every run read the same
/// window again and no report updated after the cursor was ever read. The walk now pages on
/// from the saved cursor first and reads the look-back after it: each run's progress is
/// saved as before.
#[tokio::test]
async fn a_run_that_stops_inside_its_look_back_still_reads_on_from_the_cursor() {
    let sim = simulator(60, SmartCityFaults::default()).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let connector = backfill_with(&sim, serde_json::json!({"limit": 1, "max_attempts": 1}));
    let run = engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(run.outcome, Outcome::Ok, "{}", run.summary_line());
    // A burst: three reports updated in one second, the cursor at the last of them.
    sim.smart_city_update_reports(3);
    let run = engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(run.outcome, Outcome::Ok, "{}", run.summary_line());
    // Each run now reads two pages (one report each) before the server fails it: fewer than
    // the look-back's window holds.
    sim.smart_city_set_faults(SmartCityFaults {
        server_error_every: 3,
        ..SmartCityFaults::default()
    });
    let new = sim.smart_city_update_reports(1);
    for _ in 0..3 {
        let run = engine.sync(&connector, &NoProgress).await.expect("sync");
        assert_ne!(run.outcome, Outcome::Failed, "{}", run.summary_line());
    }
    let truth = sim.smart_city_truth();
    let t = truth.iter().find(|t| t.id == new[0]).expect("in the truth");
    assert_eq!(
        stored(&ts).await.get(&new[0]).map(String::as_str),
        Some(unified(t)),
        "the report updated after the cursor is read"
    );
    let cursor = saved_cursor(&ts).await;
    assert!(cursor.contains(&new[0]), "{cursor}");

    // The look-back ends at the cursor the run began at: the rows after it, read by the walk
    // on from it, are not asked for again.
    sim.smart_city_set_faults(SmartCityFaults::default());
    let quiet = engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(quiet.outcome, Outcome::Ok, "{}", quiet.summary_line());
    let window = quiet.counts.unchanged;
    let more = sim.smart_city_update_reports(2);
    let run = engine.sync(&connector, &NoProgress).await.expect("sync");
    assert_eq!(run.outcome, Outcome::Ok, "{}", run.summary_line());
    let c = &run.counts;
    assert_eq!(
        (c.fetched - c.unchanged, c.unchanged),
        (more.len() as u64, window),
        "{}",
        run.summary_line()
    );
}

#[tokio::test]
async fn a_packed_payload_that_no_longer_unpacks_is_quarantined_by_a_rebuild_and_its_fold_goes_on()
{
    // Enough reports in one batch for the archive to pack them, joined whatever the load
    // (see `OneBatch`).
    let sim = simulator(1_200, SmartCityFaults::default()).await;
    for ts in all_stores().await {
        let engine = engine(&ts);
        let report = engine
            .sync(&OneBatch(backfill(&sim, 200)), &NoProgress)
            .await
            .expect("sync");
        assert_eq!(report.outcome, Outcome::Ok, "{}: {report:?}", ts.label);
        // A packed payload of a report shown in the table (not a deletion's stub).
        let victim = count(
            &ts,
            "SELECT MAX(g.raw_id) FROM raw_groups g \
             JOIN complaints c ON c.channel = g.channel AND c.external_id = g.group_key \
             JOIN raw_records r ON r.raw_id = g.raw_id WHERE r.dictionary_id IS NOT NULL",
        )
        .await;
        assert!(victim > 0, "{}: payloads packed", ts.label);
        let complaints = count(&ts, "SELECT COUNT(*) FROM complaints").await;
        let groups = count(
            &ts,
            &format!(
                "SELECT COUNT(*) FROM raw_groups WHERE group_key = \
                 (SELECT group_key FROM raw_groups WHERE raw_id = {victim})"
            ),
        )
        .await;
        assert_eq!(groups, 1, "{}: the report has one payload", ts.label);
        cut_payload(&ts, victim).await;
        let counts = renormalise_past_unreadable(&ts, "smart_city", victim).await;
        assert_eq!(counts.quarantined, 1, "{}", ts.label);
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM complaints").await,
            complaints - 1,
            "{}",
            ts.label
        );
        // A report with two versions archived, the older of which no longer unpacks: the
        // fold goes on with the newer, and the older is quarantined.
        let changed = sim.smart_city_update_reports(60);
        engine
            .sync(&backfill(&sim, 200), &NoProgress)
            .await
            .expect("sync");
        let truth = sim.smart_city_truth();
        let id = changed
            .iter()
            .find(|id| truth.iter().any(|t| &t.id == *id && !t.deleted))
            .expect("a report updated, not deleted");
        let older = count(
            &ts,
            &format!(
                "SELECT MIN(g.raw_id) FROM raw_groups g JOIN raw_records r ON r.raw_id = g.raw_id \
                 WHERE g.group_key = '{id}' AND r.dictionary_id IS NOT NULL"
            ),
        )
        .await;
        let versions = count(
            &ts,
            &format!("SELECT COUNT(*) FROM raw_groups WHERE group_key = '{id}'"),
        )
        .await;
        assert_eq!(versions, 2, "{}: {id}", ts.label);
        let complaints = count(&ts, "SELECT COUNT(*) FROM complaints").await;
        cut_payload(&ts, older).await;
        let counts = renormalise_past_unreadable(&ts, "smart_city", older).await;
        assert_eq!(counts.quarantined, 2, "{}", ts.label);
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM complaints").await,
            complaints,
            "{}",
            ts.label
        );
        let t = truth.iter().find(|t| &t.id == id).expect("in the truth");
        assert_eq!(
            stored(&ts).await.get(id).map(String::as_str),
            Some(unified(t)),
            "{}: {id}",
            ts.label
        );
    }
}

#[tokio::test]
async fn deliveries_stored_before_a_crash_are_folded_after_it_exactly_once() {
    let sim = simulator(20, SmartCityFaults::default()).await;
    let connector = backfill(&sim, 200);
    // The backfill's items, received as if pushed: stored in the inbox, not folded (the
    // process "crashed" before its folder ran).
    let mut source = aduan_core::PullConnector::open(&connector, None)
        .await
        .expect("open");
    let batch = source.next_batch().await.expect("page").expect("a page");
    for ts in all_stores().await {
        let engine = engine(&ts);
        for r in &batch.records {
            assert!(engine
                .receive("smart_city", r.clone(), None)
                .await
                .expect("stored"));
            assert!(!engine
                .receive("smart_city", r.clone(), None)
                .await
                .expect("stored"));
        }
        assert_eq!(count(&ts, "SELECT COUNT(*) FROM complaints").await, 0);
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM push_inbox").await as usize,
            batch.records.len(),
            "{}",
            ts.label
        );
        // A new process folds what the inbox holds.
        let restarted = helpers::engine(&ts);
        let spec = aduan_app::registry::specs()["smart_city"];
        let counts = restarted
            .drain_inbox(&spec)
            .await
            .expect("drain")
            .expect("lease");
        assert_eq!(counts.fetched as usize, batch.records.len());
        assert_eq!(count(&ts, "SELECT COUNT(*) FROM push_inbox").await, 0);
        let live = sim.smart_city_truth().iter().filter(|t| !t.deleted).count();
        assert_eq!(stored(&ts).await.len(), live, "{}", ts.label);
        let again = restarted
            .drain_inbox(&spec)
            .await
            .expect("drain")
            .expect("lease");
        assert_eq!(again.fetched, 0);
    }
}

fn smart_city_table(sim: &RunningSim, schedule: Option<&str>) -> String {
    let schedule = schedule
        .map(|s| format!("schedule = \"{s}\"\n"))
        .unwrap_or_default();
    format!(
        "[channels.smart_city]\n{schedule}base_url = \"{}\"\nlimit = 50\nretry_base_ms = 20\ntimeout_secs = 5\n",
        sim.smart_city_base_url()
    )
}

/// `/metrics` webhook delivery counters of smart_city, by `outcome/reason`.
async fn deliveries(serve: &Serve) -> BTreeMap<String, u64> {
    let (_, text) = serve.get("/metrics").await;
    text.lines()
        .filter(|l| l.starts_with("aduan_webhook_deliveries_total{channel=\"smart_city\""))
        .filter_map(|l| {
            let (labels, value) = l.rsplit_once(' ')?;
            let outcome = labels.split("outcome=\"").nth(1)?.split('"').next()?;
            let reason = labels.split("reason=\"").nth(1)?.split('"').next()?;
            Some((format!("{outcome}/{reason}"), value.parse().ok()?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhooks_out_of_order_with_duplicates_and_forgeries_end_as_the_truth() {
    let sim = simulator(120, SmartCityFaults::default()).await;
    let truth = sim.smart_city_truth();
    let dir = tempfile::tempdir().expect("tempdir");
    let ts = sqlite_store().await;
    let args = config(dir.path(), &ts, &[smart_city_table(&sim, None)]);
    let mut serve = Serve::start(dir.path(), &strs(&args)).await;
    let plan = DeliveryPlan::default();
    let stats = sim
        .smart_city_deliver(&serve.url("/webhooks/smart-city"), &plan)
        .await;
    assert_eq!(stats.unexpected, 0, "{stats:?}\n{}", serve.log());
    assert!(stats.rejected > 0 && stats.accepted > 0, "{stats:?}");
    let want = expected(&truth);
    // Folded into the truth and the inbox emptied: a last delivery that changes nothing (an
    // older version arriving late) can still wait in the inbox once the table is right.
    eventually(
        "the webhooks folded into the truth",
        Duration::from_secs(30),
        || serve.log(),
        || async {
            let folded = stored(&ts).await == want
                && count(&ts, "SELECT COUNT(*) FROM push_inbox").await == 0;
            folded.then_some(())
        },
    )
    .await;
    let counted = deliveries(&serve).await;
    let rejected: u64 = counted
        .iter()
        .filter(|(k, _)| k.starts_with("rejected/"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(
        counted.get("accepted/"),
        Some(&stats.accepted),
        "{counted:?}"
    );
    assert_eq!(rejected, stats.rejected, "{counted:?}");
    assert!(
        counted.contains_key("rejected/bad_signature"),
        "{counted:?}"
    );
    assert!(counted.contains_key("rejected/stale"), "{counted:?}");
    // Duplicates are stored once; nothing waits in the inbox; nothing was quarantined.
    let bodies = count(
        &ts,
        "SELECT COUNT(*) FROM raw_records WHERE channel = 'smart_city'",
    )
    .await;
    assert!(
        (bodies as u64) < stats.accepted,
        "{bodies} bodies, {stats:?}"
    );
    assert_eq!(count(&ts, "SELECT COUNT(*) FROM push_inbox").await, 0);
    assert_eq!(count(&ts, "SELECT COUNT(*) FROM quarantine").await, 0);
    // A forged delivery is refused and stores nothing.
    let forged = reqwest::Client::new()
        .post(serve.url("/webhooks/smart-city"))
        .header(
            "X-Pantau-Timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header("X-Pantau-Signature", "v1=00")
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status(), 401);
    // One with no signature or no timestamp at all (the simulator always signs).
    for (name, value) in [
        (
            "X-Pantau-Timestamp",
            chrono::Utc::now().timestamp().to_string(),
        ),
        ("X-Pantau-Signature", "v1=00".to_string()),
    ] {
        let unsigned = reqwest::Client::new()
            .post(serve.url("/webhooks/smart-city"))
            .header(name, value)
            .body("{}")
            .send()
            .await
            .expect("answer");
        assert_eq!(unsigned.status(), 401, "only {name}");
    }
    assert_eq!(
        count(
            &ts,
            "SELECT COUNT(*) FROM raw_records WHERE channel = 'smart_city'"
        )
        .await,
        bodies
    );
    // The same `X-Pantau-Delivery` twice is without effect, also when the retry's JSON is
    // written out again (other bytes, the same content).
    let secret = aduan_sim::SmartCityConfig::default().webhook_secret;
    let post = |body: String| {
        let url = serve.url("/webhooks/smart-city");
        let secret = secret.clone();
        async move {
            let now = chrono::Utc::now().timestamp().to_string();
            let answer = reqwest::Client::new()
                .post(url)
                .header("X-Pantau-Event", "report.updated")
                .header("X-Pantau-Delivery", "5d6f3b0e-retried-with-other-bytes")
                .header("X-Pantau-Timestamp", &now)
                .header(
                    "X-Pantau-Signature",
                    aduan_smart_city::webhook::sign(secret.as_bytes(), &now, body.as_bytes()),
                )
                .body(body)
                .send()
                .await
                .expect("answer");
            assert_eq!(answer.status(), 200);
            answer.json::<serde_json::Value>().await.expect("json")
        }
    };
    let stored_body: String = ts
        .store
        .raw_after(0, 1)
        .await
        .expect("the archive")
        .into_iter()
        .map(|r| String::from_utf8_lossy(&r.payload).into_owned())
        .next()
        .expect("a stored delivery");
    let mut report: serde_json::Value = serde_json::from_str(&stored_body).expect("json");
    report["report"]["version"] = 1_000.into();
    assert_eq!(post(report.to_string()).await["duplicate"], false);
    let again = serde_json::to_string_pretty(&report).expect("json");
    assert_eq!(post(again).await["duplicate"], true);
    assert_eq!(
        count(
            &ts,
            "SELECT COUNT(*) FROM raw_records WHERE channel = 'smart_city'"
        )
        .await,
        bodies + 1
    );
    serve.stop().await;
    // Whatever order the versions came in, each report's history holds every version's
    // status: the one a rebuild from the archive makes, where a report's every version is
    // folded at once.
    let history = "SELECT c.complaint_id, e.occurred_at, e.event_type, e.body \
        FROM complaint_events e JOIN complaints c ON c.complaint_seq = e.complaint_seq \
        ORDER BY 1, 2, 3, 4";
    let folded = ts.store.query(history).await.expect("history").rows;
    engine(&ts)
        .renormalise(&parsers(), &NoProgress)
        .await
        .expect("renormalise");
    let rebuilt = ts.store.query(history).await.expect("history").rows;
    assert_eq!(folded.len(), rebuilt.len(), "events folded / rebuilt");
    assert_eq!(folded, rebuilt);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_webhooks_are_found_by_the_scheduled_backfill() {
    let sim = simulator(80, SmartCityFaults::default()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ts = sqlite_store().await;
    let args = config(
        dir.path(),
        &ts,
        &[smart_city_table(&sim, Some("*/2 * * * * *"))],
    );
    let mut serve = Serve::start(dir.path(), &strs(&args)).await;
    // Only each report's first version reaches the webhook; the backfill finds the rest,
    // deletions included (their first version was received, so they show as withdrawn).
    let plan = DeliveryPlan {
        only_first_versions: true,
        ..DeliveryPlan::default()
    };
    let stats = sim
        .smart_city_deliver(&serve.url("/webhooks/smart-city"), &plan)
        .await;
    assert_eq!(stats.unexpected, 0, "{stats:?}");
    let want = expected(&sim.smart_city_truth());
    eventually(
        "webhooks and backfill together reach the truth",
        Duration::from_secs(60),
        || serve.log(),
        || async { (stored(&ts).await == want).then_some(()) },
    )
    .await;
    serve.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgresql_both_take_webhooks_and_agree() {
    let Some(ts) = aduan_store::testing::postgres().await else {
        return;
    };
    let sim = simulator(100, SmartCityFaults::default()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let args = config(dir.path(), &ts, &[smart_city_table(&sim, None)]);
    let mut a = Serve::start(dir.path(), &strs(&args)).await;
    let mut b = Serve::start(dir.path(), &strs(&args)).await;
    // Each replica gets every version, in its own order: the same bodies arrive twice,
    // concurrently, through different processes.
    let (url_a, url_b) = (a.url("/webhooks/smart-city"), b.url("/webhooks/smart-city"));
    let plan_b = DeliveryPlan {
        seed: 2,
        ..DeliveryPlan::default()
    };
    let plan_a = DeliveryPlan::default();
    let (sa, sb) = tokio::join!(
        sim.smart_city_deliver(&url_a, &plan_a),
        sim.smart_city_deliver(&url_b, &plan_b),
    );
    assert_eq!(sa.unexpected + sb.unexpected, 0, "{sa:?} {sb:?}");
    assert!(sa.accepted > 0 && sb.accepted > 0);
    let want = expected(&sim.smart_city_truth());
    eventually(
        "both replicas' deliveries folded into the truth",
        Duration::from_secs(30),
        || format!("{}\n---\n{}", a.log(), b.log()),
        || async { (stored(&ts).await == want).then_some(()) },
    )
    .await;
    // Each body archived once, whichever replica took it.
    let dupes = count(
        &ts,
        "SELECT COUNT(*) FROM (SELECT content_hash FROM raw_records GROUP BY content_hash HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(dupes, 0);
    a.stop().await;
    b.stop().await;
}

/// A quarantine retry folds a group's payloads: it waits for the channel's fold lease, as a
/// sync's or the webhook inbox's fold does, and leaves the entry, naming the lease, when
/// another holds it past that (the retry goes on with the other entries).
#[tokio::test]
async fn a_quarantine_retry_of_a_folding_channel_takes_its_fold_lease() {
    for ts in all_stores().await {
        let engine = aduan_sync::Engine::new(
            ts.store.clone(),
            normaliser(),
            aduan_sync::EngineOptions {
                lease_ttl: Duration::from_millis(300),
                ..aduan_sync::EngineOptions::default()
            },
        );
        let raw = aduan_core::RawRecord {
            source_ref: "/webhooks/smart-city".into(),
            external_id: None,
            received_at: chrono::Utc::now(),
            payload: b"{\"event\": \"report.updated\", \"report\": 1".to_vec(),
        };
        assert!(engine.receive("smart_city", raw, None).await.unwrap());
        let spec = aduan_app::registry::specs()["smart_city"];
        engine.drain_inbox(&spec).await.unwrap().unwrap();
        let ids: Vec<i64> = ts
            .store
            .query("SELECT quarantine_id FROM quarantine")
            .await
            .unwrap()
            .rows
            .iter()
            .map(|r| r[0].as_i64().expect("an id"))
            .collect();
        assert_eq!(ids.len(), 1, "{}", ts.label);
        let held = ts
            .store
            .try_lease(
                "smart_city#fold",
                "another-process",
                Duration::from_secs(60),
            )
            .await
            .unwrap()
            .expect("the fold lease is free");
        let (resolved, failing) = engine
            .retry_quarantine(&ids, &parsers(), &NoProgress)
            .await
            .unwrap();
        assert_eq!((resolved, failing.len()), (0, 1), "{}", ts.label);
        assert!(
            failing[0].1.contains("smart_city#fold"),
            "{}: {failing:?}",
            ts.label
        );
        held.release().await.unwrap();
        let (resolved, failing) = engine
            .retry_quarantine(&ids, &parsers(), &NoProgress)
            .await
            .unwrap();
        assert_eq!((resolved, failing.len()), (0, 1), "{}", ts.label);
        // Retried this time: it fails for what it holds, not for the lease.
        assert!(
            !failing[0].1.contains("smart_city#fold"),
            "{}: {failing:?}",
            ts.label
        );
    }
}

/// A webhook delivery's id is kept a week to recognise its retries (the app retries for up to
/// a day), then forgotten when the inbox is next drained: the table does not grow for ever.
#[tokio::test]
async fn delivery_ids_older_than_a_week_are_forgotten_when_the_inbox_is_drained() {
    for ts in all_stores().await {
        let engine = aduan_sync::Engine::new(
            ts.store.clone(),
            normaliser(),
            aduan_sync::EngineOptions::default(),
        );
        let delivery = |days_ago: i64, n: u32| aduan_core::RawRecord {
            source_ref: "/webhooks/smart-city".into(),
            external_id: None,
            received_at: chrono::Utc::now() - chrono::Duration::days(days_ago),
            payload: format!("{{\"event\": \"report.updated\", \"n\": {n}}}").into_bytes(),
        };
        assert!(engine
            .receive("smart_city", delivery(10, 1), Some("old-delivery"))
            .await
            .unwrap());
        assert!(engine
            .receive("smart_city", delivery(0, 2), Some("new-delivery"))
            .await
            .unwrap());
        let spec = aduan_app::registry::specs()["smart_city"];
        engine.drain_inbox(&spec).await.unwrap();
        let kept = ts
            .store
            .query("SELECT delivery_id FROM push_deliveries ORDER BY 1")
            .await
            .unwrap()
            .rows;
        assert_eq!(kept, [[serde_json::json!("new-delivery")]], "{}", ts.label);
    }
}

/// The backfill pointed at a stand-in whose every answer is `page` (`GET api/reports`).
async fn one_page_backfill(page: String) -> (SmartCity, tokio::task::JoinHandle<()>) {
    let (base, server) = file_server(Files::new(std::sync::Mutex::new(
        [("api/reports".to_string(), page.into_bytes())].into(),
    )))
    .await;
    let config: aduan_smart_city::Config = serde_json::from_value(serde_json::json!({
        "base_url": base, "retry_base_ms": 20, "timeout_secs": 5,
    }))
    .expect("config");
    let connector = SmartCity::with_token(config, Secret::new("t")).expect("connector builds");
    (connector, server)
}

/// A report dated years ahead (a source's mistake) in the backfill: quarantined naming
/// `updated_at` (more than a day after it was received), and the cursor saved for the next
/// run is the last report dated by a real clock, so the next run does not skip every report
/// updated until the year it names.
#[tokio::test]
async fn a_backfilled_report_dated_years_ahead_does_not_carry_the_cursor_past_the_rest() {
    let report = |id: &str, updated: &str| {
        format!(
            r#"{{"id":"{id}","version":1,"type":"laporan","area":"infrastruktur","title":"Saluran tersumbat","description":"Saluran depan rumah tersumbat.","status":"submitted","photos":[],"user":{{"id":"u_1","name":"Siti","phone":"+6281390001234"}},"created_at":"2024-02-01T03:04:05Z","updated_at":"{updated}"}}"#
        )
    };
    let page = format!(
        r#"{{"reports":[{},{}],"has_more":false}}"#,
        report("r-1", "2024-02-02T01:00:00Z"),
        report("r-2", "2034-02-02T01:00:00Z")
    );
    let (connector, server) = one_page_backfill(page).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let first = engine.sync(&connector, &NoProgress).await.unwrap();
    assert_eq!(
        (first.counts.inserted, first.counts.quarantined),
        (1, 1),
        "{}",
        first.summary_line()
    );
    let cursor = ts
        .store
        .query("SELECT cursor FROM sync_state WHERE channel = 'smart_city'")
        .await
        .unwrap()
        .rows;
    let cursor = format!("{cursor:?}");
    assert!(
        cursor.contains("2024-02-02T01:00:00Z") && cursor.contains("r-1"),
        "{cursor}"
    );
    server.abort();
}

/// A backfill row that is the deletion of a report never received (created and deleted while
/// the webhooks were lost: the backfill gives the deletion only) makes no complaint, but is
/// told and counted (review: it went by without a trace, and the run's figures did not add
/// up); when a version of the report arrives, the two make the withdrawn complaint.
#[tokio::test]
async fn a_deletion_of_a_report_never_received_is_told_and_folded_in_when_it_comes() {
    let full = |id: &str, version: u32, updated: &str| {
        format!(
            r#"{{"id":"{id}","version":{version},"type":"laporan","area":"infrastruktur","title":"Saluran tersumbat","description":"Saluran depan rumah tersumbat.","status":"submitted","photos":[],"user":{{"id":"u_1","name":"Siti","phone":"+6281390001234"}},"created_at":"2024-02-01T03:04:05Z","updated_at":"{updated}"}}"#
        )
    };
    let deleted = r#"{"id":"r-2","version":4,"deleted_at":"2024-02-03T00:00:00Z","updated_at":"2024-02-03T00:00:00Z"}"#;
    let page = format!(
        r#"{{"reports":[{},{deleted}],"has_more":false}}"#,
        full("r-1", 1, "2024-02-02T01:00:00Z")
    );
    let (connector, server) = one_page_backfill(page).await;
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let first = engine.sync(&connector, &NoProgress).await.unwrap();
    assert_eq!(
        (
            first.counts.fetched,
            first.counts.inserted,
            first.counts.waiting
        ),
        (2, 1, 1),
        "{}",
        first.summary_line()
    );
    assert!(
        first
            .summary_line()
            .contains("1 waiting for the rest of their record"),
        "{}",
        first.summary_line()
    );
    server.abort();
    let page = format!(
        r#"{{"reports":[{}],"has_more":false}}"#,
        full("r-2", 3, "2024-02-02T12:00:00Z")
    );
    let (connector, server) = one_page_backfill(page).await;
    let second = engine.sync(&connector, &NoProgress).await.unwrap();
    assert_eq!(
        (second.counts.inserted, second.counts.waiting),
        (1, 0),
        "{}",
        second.summary_line()
    );
    let status = ts
        .store
        .query("SELECT status FROM complaints WHERE complaint_id = 'smart_city:r-2'")
        .await
        .unwrap()
        .rows;
    assert_eq!(format!("{status:?}"), r#"[[String("withdrawn")]]"#);
    server.abort();
}

/// A report whose id has thousands of characters (a source's mistake) is quarantined naming
/// its group key, on both stores (PostgreSQL's index of the groups refuses an entry that
/// long with the whole batch, run after run); the rest is stored.
#[tokio::test]
async fn a_report_id_too_long_to_index_is_quarantined_and_the_rest_stored() {
    let report = |id: &str| {
        format!(
            r#"{{"id":"{id}","version":1,"type":"laporan","area":"infrastruktur","title":"Saluran tersumbat","description":"Saluran depan rumah tersumbat.","status":"submitted","photos":[],"user":{{"id":"u_1","name":"Siti","phone":"+6281390001234"}},"created_at":"2024-02-01T03:04:05Z","updated_at":"2024-02-02T01:00:00Z"}}"#
        )
    };
    let long = incompressible(4000);
    let page = format!(
        r#"{{"reports":[{},{}],"has_more":false}}"#,
        report("r-1"),
        report(&long)
    );
    let (connector, server) = one_page_backfill(page).await;
    for ts in all_stores().await {
        let run = engine(&ts).sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(
            (run.outcome, run.counts.inserted, run.counts.quarantined),
            (Outcome::Ok, 1, 1),
            "{}: {}",
            ts.label,
            run.summary_line()
        );
        let q = ts
            .store
            .query("SELECT field, reason FROM quarantine")
            .await
            .unwrap()
            .rows;
        let shown = format!("{q:?}");
        assert!(
            shown.contains(r#"String("group key")"#) && shown.contains("4000 bytes"),
            "{}: {shown}",
            ts.label
        );
    }
    server.abort();
}

/// A version of report `id` numbered `version`, updated at `updated` (`not a time` makes it
/// one that cannot be read).
fn report_version(id: &str, version: u32, status: &str, updated: &str) -> String {
    format!(
        r#"{{"id":"{id}","version":{version},"type":"laporan","area":"infrastruktur","title":"Saluran tersumbat","description":"Saluran depan rumah tersumbat.","status":"{status}","photos":[],"user":{{"id":"u_1","name":"Siti","phone":"+6281390001234"}},"created_at":"2024-02-01T03:04:05Z","updated_at":"{updated}"}}"#
    )
}

/// The backfill of one page holding `reports`.
async fn page_of(reports: &[String]) -> (SmartCity, tokio::task::JoinHandle<()>) {
    one_page_backfill(format!(
        r#"{{"reports":[{}],"has_more":false}}"#,
        reports.join(",")
    ))
    .await
}

/// Open quarantine entries, by record and field.
async fn open_entries(ts: &TestStore) -> Vec<Vec<serde_json::Value>> {
    ts.store
        .query("SELECT record, field FROM quarantine WHERE resolved_at IS NULL ORDER BY 1, 2")
        .await
        .unwrap()
        .rows
}

/// Carried note (sessions 41, 42): the entry of an old version of a Pantau Pekalongan report
/// that cannot be read never closed (its newer versions are stored; the fold reads the old
/// one again whenever the report changes, and a retry fails on it for ever), and there was no
/// way to close it. Dismissed by an admin, it stays closed: a newer version folding the
/// report again, a retry of everything open and a rebuild quarantine it no more.
#[tokio::test]
async fn an_old_version_dismissed_stays_closed_through_newer_versions_retries_and_rebuilds() {
    for ts in all_stores().await {
        let engine = engine(&ts);
        let (first, server) = page_of(&[
            report_version("r-1", 1, "submitted", "not a time"),
            report_version("r-1", 2, "in_progress", "2024-02-02T01:00:00Z"),
        ])
        .await;
        let run = engine.sync(&first, &NoProgress).await.unwrap();
        server.abort();
        assert_eq!(
            (run.counts.inserted, run.counts.quarantined),
            (1, 1),
            "{}: {}",
            ts.label,
            run.summary_line()
        );
        let id = ts.store.quarantine_open_ids().await.unwrap()[0];
        assert!(ts
            .store
            .dismiss_quarantine(id, "admin", Some("v2 is stored"), chrono::Utc::now())
            .await
            .unwrap());
        // Dismissed once: a second time changes nothing.
        assert!(!ts
            .store
            .dismiss_quarantine(id, "other", None, chrono::Utc::now())
            .await
            .unwrap());
        let e = ts.store.quarantine_get(id).await.unwrap().unwrap();
        assert!(e.resolved_at.is_some(), "{}", ts.label);
        assert_eq!(
            (e.dismissed_by.as_deref(), e.dismissed_reason.as_deref()),
            (Some("admin"), Some("v2 is stored")),
            "{}",
            ts.label
        );

        // A newer version folds the report again, the old one with it.
        let (second, server) =
            page_of(&[report_version("r-1", 3, "done", "2024-02-03T01:00:00Z")]).await;
        let run = engine.sync(&second, &NoProgress).await.unwrap();
        server.abort();
        assert_eq!(
            run.counts.updated,
            1,
            "{}: {}",
            ts.label,
            run.summary_line()
        );
        assert!(open_entries(&ts).await.is_empty(), "{}", ts.label);

        let (resolved, failing) = retry_open(&engine, &ts).await;
        assert_eq!((resolved, failing.len()), (0, 0), "{}", ts.label);

        engine.renormalise(&parsers(), &NoProgress).await.unwrap();
        assert!(
            open_entries(&ts).await.is_empty(),
            "{}: {:?}",
            ts.label,
            open_entries(&ts).await
        );
        assert_eq!(
            count(&ts, "SELECT COUNT(*) FROM quarantine").await,
            1,
            "{}: the dismissed entry stands for its payload",
            ts.label
        );
        let status = ts
            .store
            .query("SELECT status FROM complaints WHERE complaint_id = 'smart_city:r-1'")
            .await
            .unwrap()
            .rows;
        assert_eq!(
            format!("{status:?}"),
            r#"[[String("resolved")]]"#,
            "{}",
            ts.label
        );
    }
}

/// A look-back that brings an older version of a report than the one stored (a replica of
/// the app's database behind, or a version committed late below one folded from a webhook)
/// does not overwrite it: the highest version's status stays (the older one is news only
/// for the history, its status at its time), and the cursor stays.
#[tokio::test]
async fn an_older_version_read_again_by_the_look_back_does_not_overwrite_a_newer_one() {
    for ts in all_stores().await {
        let engine = engine(&ts);
        let (first, server) =
            page_of(&[report_version("r-1", 3, "done", "2024-02-02T01:00:00Z")]).await;
        let run = engine.sync(&first, &NoProgress).await.unwrap();
        server.abort();
        assert_eq!(
            run.counts.inserted,
            1,
            "{}: {}",
            ts.label,
            run.summary_line()
        );
        let (second, server) = page_of(&[report_version(
            "r-1",
            2,
            "in_progress",
            "2024-02-02T00:59:00Z",
        )])
        .await;
        let run = engine.sync(&second, &NoProgress).await.unwrap();
        server.abort();
        let c = &run.counts;
        assert_eq!(
            (c.fetched - c.unchanged, c.inserted, c.quarantined),
            (1, 0, 0),
            "{}: {}",
            ts.label,
            run.summary_line()
        );
        let status = ts
            .store
            .query("SELECT status FROM complaints WHERE complaint_id = 'smart_city:r-1'")
            .await
            .unwrap()
            .rows;
        assert_eq!(
            format!("{status:?}"),
            r#"[[String("resolved")]]"#,
            "{}",
            ts.label
        );
        let cursor = saved_cursor(&ts).await;
        assert!(
            cursor.contains("2024-02-02T01:00:00Z"),
            "{}: {cursor}",
            ts.label
        );
        // The older version's status joins the history as a rebuild from the archive makes it.
        let history = "SELECT c.complaint_id, c.status, e.occurred_at, e.event_type, e.body \
            FROM complaint_events e JOIN complaints c ON c.complaint_seq = e.complaint_seq \
            ORDER BY 1, 2, 3, 4, 5";
        let folded = ts.store.query(history).await.unwrap().rows;
        engine.renormalise(&parsers(), &NoProgress).await.unwrap();
        assert_eq!(
            folded,
            ts.store.query(history).await.unwrap().rows,
            "{}",
            ts.label
        );
    }
}

/// A look-back over times written with WIB's offset and fractions of a second, a deletion
/// stub (placed by its `deleted_at`) among them, from a stand-in that answers every request
/// with the same page: the look-back ends at the saved cursor, the cursor moves on to the
/// newest row and never back, and the rows read again are unchanged.
#[tokio::test]
async fn a_look_back_over_offset_times_and_a_deletion_stub_ends_at_the_saved_cursor() {
    let ts = sqlite_store().await;
    let engine = engine(&ts);
    let (first, server) = page_of(&[
        report_version("r-1", 1, "submitted", "2024-02-02T07:59:30+07:00"),
        report_version("r-2", 1, "submitted", "2024-02-02T07:59:40.125+07:00"),
    ])
    .await;
    let run = engine.sync(&first, &NoProgress).await.unwrap();
    server.abort();
    assert_eq!(run.counts.inserted, 2, "{}", run.summary_line());
    let cursor = saved_cursor(&ts).await;
    assert!(cursor.contains("r-2"), "{cursor}");
    let (second, server) = page_of(&[
        report_version("r-1", 1, "submitted", "2024-02-02T07:59:30+07:00"),
        r#"{"id":"r-2","version":2,"deleted_at":"2024-02-02T08:00:00.250+07:00"}"#.to_string(),
        report_version("r-3", 1, "submitted", "2024-02-02T08:00:00.500+07:00"),
    ])
    .await;
    let run = engine.sync(&second, &NoProgress).await.unwrap();
    assert_eq!(run.outcome, Outcome::Ok, "{}", run.summary_line());
    let c = &run.counts;
    assert_eq!(
        (c.fetched, c.unchanged, c.inserted, c.updated, c.quarantined),
        (6, 4, 1, 1, 0),
        "{}",
        run.summary_line()
    );
    let cursor = saved_cursor(&ts).await;
    assert!(
        cursor.contains("r-3") && cursor.contains("08:00:00.500+07:00"),
        "{cursor}"
    );
    let run = engine.sync(&second, &NoProgress).await.unwrap();
    server.abort();
    assert_eq!(run.outcome, Outcome::Ok, "{}", run.summary_line());
    let c = &run.counts;
    assert_eq!((c.fetched, c.unchanged), (6, 6), "{}", run.summary_line());
    assert_eq!(saved_cursor(&ts).await, cursor);
}

/// `aduan quarantine dismiss N --reason …`: the entry closed with who and why, shown as
/// dismissed by `list --all` and `show`, passed over by `retry`; a number naming no entry is
/// refused before any is dismissed.
#[tokio::test]
async fn an_admin_dismisses_an_entry_by_command_and_it_is_listed_as_dismissed() {
    let ts = sqlite_store().await;
    let (first, server) = page_of(&[
        report_version("r-1", 1, "submitted", "not a time"),
        report_version("r-1", 2, "in_progress", "2024-02-02T01:00:00Z"),
    ])
    .await;
    engine(&ts).sync(&first, &NoProgress).await.unwrap();
    server.abort();
    let id = ts.store.quarantine_open_ids().await.unwrap()[0].to_string();
    let dir = tempfile::tempdir().unwrap();
    let aduan = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_aduan"))
            .current_dir(dir.path())
            .args(["--database", ts.url.as_str()])
            .args(args)
            .env_remove("ADUAN_CONFIG")
            .env_remove("SUDO_USER")
            .env("USER", "siti")
            .env("ADUAN_REPORTER_KEY", REPORTER_KEY)
            .output()
            .expect("aduan runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };

    let (code, out) = aduan(&["quarantine", "dismiss", &id, "999999"]);
    assert!(
        code != Some(0) && out.contains("quarantine entry 999999 does not exist"),
        "{out}"
    );
    assert_eq!(ts.store.quarantine_open_ids().await.unwrap().len(), 1);

    let (code, out) = aduan(&[
        "quarantine",
        "dismiss",
        &id,
        "--reason",
        "an old version; v2 is stored",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("#{id} dismissed")) && out.contains("1 dismissed by siti"),
        "{out}"
    );
    let (_, out) = aduan(&["quarantine", "list"]);
    assert!(out.contains("0 entries"), "{out}");
    let (_, out) = aduan(&["quarantine", "list", "--all"]);
    assert!(
        out.contains("(dismissed by siti at ") && out.contains(": an old version; v2 is stored)"),
        "{out}"
    );
    let (_, out) = aduan(&["quarantine", "show", &id]);
    assert!(
        out.contains("dismissed:") && out.contains("by siti") && out.contains("v2 is stored"),
        "{out}"
    );
    let (code, out) = aduan(&["quarantine", "retry", &id]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("#{id} was dismissed by siti, at ")) && out.contains("not retried"),
        "{out}"
    );
    // Counted as dismissed in the summary, not as resolved (review: "1 resolved before" said
    // the record had come readable, for an entry an admin had closed by hand).
    assert!(
        out.contains(
            "aduan quarantine retry: 0 resolved, 0 still failing, 1 dismissed (not retried)"
        ) && !out.contains("resolved before"),
        "{out}"
    );
    let (code, out) = aduan(&["quarantine", "dismiss", &id]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("#{id} was closed already")) && out.contains("0 dismissed"),
        "{out}"
    );
}

/// A report whose photos are signed URLs, synced into both stores: no token of them reaches
/// `complaints` (the body lists each photo by its address alone), while the archive keeps
/// the payload as received (review, session 47: the body held each URL whole, and with it
/// the access to the photo, for every reader of the table and its exports).
#[tokio::test]
async fn a_signed_photo_url_reaches_complaints_without_its_token_on_both_stores() {
    let report = report_version("r-1", 1, "submitted", "2024-02-02T01:00:00Z").replace(
        r#""photos":[]"#,
        r#""photos":["https://cdn.example.org/r-1/p1.jpg?X-Amz-Signature=f00dfeed&X-Amz-Expires=600","https://up:pw-s3cret@cdn.example.org/r-1/p2.jpg#t0k3n"]"#,
    );
    let (connector, server) = page_of(&[report]).await;
    for ts in all_stores().await {
        let run = engine(&ts).sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(
            run.counts.inserted,
            1,
            "{}: {}",
            ts.label,
            run.summary_line()
        );
        let body = ts
            .store
            .query("SELECT body FROM complaints WHERE complaint_id = 'smart_city:r-1'")
            .await
            .unwrap()
            .rows;
        assert!(
            format!("{body:?}").contains(
                "Foto: https://cdn.example.org/r-1/p1.jpg https://cdn.example.org/r-1/p2.jpg"
            ),
            "{}: {body:?}",
            ts.label
        );
        for table in ["complaints", "complaint_events"] {
            let rows = ts
                .store
                .query(&format!("SELECT * FROM {table}"))
                .await
                .unwrap()
                .rows;
            let shown = format!("{rows:?}");
            for secret in ["f00dfeed", "X-Amz", "pw-s3cret", "t0k3n"] {
                assert!(!shown.contains(secret), "{}: {secret} in {table}", ts.label);
            }
        }
    }
    server.abort();
}

/// A deletion the backfill lists dated decades after it was received is quarantined naming
/// the record and `deleted_at`, on both stores, and the report is not withdrawn (review,
/// session 47: it was folded in, the complaint withdrawn and said to be changed in 2098).
#[tokio::test]
async fn a_deletion_dated_decades_ahead_is_quarantined_and_withdraws_nothing_on_both_stores() {
    let (connector, server) = page_of(&[
        report_version("r-1", 3, "in_progress", "2024-02-02T01:00:00Z"),
        r#"{"id":"r-1","version":4,"deleted_at":"2098-02-03T00:00:00Z"}"#.to_string(),
    ])
    .await;
    for ts in all_stores().await {
        let run = engine(&ts).sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(
            (run.counts.inserted, run.counts.quarantined),
            (1, 1),
            "{}: {}",
            ts.label,
            run.summary_line()
        );
        let q = ts
            .store
            .query("SELECT channel, record, field, reason FROM quarantine")
            .await
            .unwrap()
            .rows;
        let shown = format!("{q:?}");
        assert!(
            shown
                .contains(r#"[String("smart_city"), String("report r-1"), String("deleted_at"), "#)
                && shown.contains(
                    "2098-02-03 00:00 UTC is more than a day later than when it was received"
                ),
            "{}: {shown}",
            ts.label
        );
        let row = ts
            .store
            .query(
                "SELECT status, updated_at FROM complaints WHERE complaint_id = 'smart_city:r-1'",
            )
            .await
            .unwrap()
            .rows;
        let shown = format!("{row:?}");
        assert!(
            shown.contains("in_progress")
                && shown.contains("2024-02-02")
                && !shown.contains("2098"),
            "{}: {shown}",
            ts.label
        );
    }
    server.abort();
}

/// A webhook delivery is archived under its report's id, as a backfill item is: `aduan raw
/// list --channel smart_city --record <id>` lists both, on both stores (review, session 47:
/// deliveries carried no record id, and only the backfill's item was listed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_s_listing_finds_its_webhook_deliveries_and_backfill_items_on_both_stores() {
    let (connector, server) = page_of(&[report_version(
        "r-1",
        2,
        "in_progress",
        "2024-02-02T01:00:00Z",
    )])
    .await;
    let secret = aduan_sim::SmartCityConfig::default().webhook_secret;
    for ts in all_stores().await {
        // The backfill first: the service's runs, if any, then find it unchanged.
        engine(&ts).sync(&connector, &NoProgress).await.unwrap();
        let dir = tempfile::tempdir().expect("tempdir");
        let table = "[channels.smart_city]\nbase_url = \"http://127.0.0.1:9/\"\n".to_string();
        let args = config(dir.path(), &ts, &[table]);
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        let deliver = |id: String, delivery: &'static str| {
            let body = format!(
                r#"{{"event":"report.created","report":{}}}"#,
                report_version(&id, 1, "submitted", "2024-02-01T03:04:05Z")
            );
            let url = serve.url("/webhooks/smart-city");
            let secret = secret.clone();
            async move {
                let now = chrono::Utc::now().timestamp().to_string();
                reqwest::Client::new()
                    .post(url)
                    .header("X-Pantau-Event", "report.created")
                    .header("X-Pantau-Delivery", delivery)
                    .header("X-Pantau-Timestamp", &now)
                    .header(
                        "X-Pantau-Signature",
                        aduan_smart_city::webhook::sign(secret.as_bytes(), &now, body.as_bytes()),
                    )
                    .body(body)
                    .send()
                    .await
                    .expect("answer")
                    .status()
            }
        };
        let answer = deliver("r-1".into(), "0b7e5c7a-listed-by-its-report").await;
        assert_eq!(answer, 200, "{}: {}", ts.label, serve.log());
        // A report id too long for the archive's index of record ids (PostgreSQL refuses
        // it): the delivery is stored all the same, without a record id, as a backfill item
        // is, not refused with `503` for the app to retry for a day.
        let long: String = (0..63u8)
            .map(|i| hex::encode(<sha2::Sha256 as sha2::Digest>::digest([i])))
            .collect();
        let answer = deliver(long, "0b7e5c7a-an-id-too-long").await;
        assert_eq!(answer, 200, "{}: {}", ts.label, serve.log());
        let listed = ts
            .store
            .raws(&aduan_store::RawFilter {
                channel: Some("smart_city".into()),
                external_id: Some("r-1".into()),
                limit: 50,
            })
            .await
            .expect("listed");
        let refs: Vec<&str> = listed.iter().map(|r| r.source_ref.as_str()).collect();
        assert_eq!(listed.len(), 2, "{}: {refs:?}", ts.label);
        assert!(
            refs[0].starts_with("/webhooks/smart-city#delivery=0b7e5c7a-listed-by-its-report")
                && refs[1].contains("#id=r-1"),
            "{}: {refs:?}",
            ts.label
        );
        serve.stop().await;
    }
    server.abort();
}

/// A backfill item holding `id` twice is archived under the one the parser folds it by (the
/// last), so that `aduan raw list --channel smart_city --record <id>` finds it, on both stores
/// (review, session 47: serde refused the item's keyset fields given twice, and it was
/// archived under no id).
#[tokio::test]
async fn a_backfill_item_naming_its_report_twice_is_listed_under_the_id_it_is_folded_by() {
    let twice = report_version("r-1", 2, "in_progress", "2024-02-02T01:00:00Z").replacen(
        r#""id":"r-1","#,
        r#""id":"r-0","id":"r-1","#,
        1,
    );
    let (connector, server) = page_of(&[twice]).await;
    for ts in all_stores().await {
        engine(&ts).sync(&connector, &NoProgress).await.unwrap();
        assert_eq!(
            stored(&ts).await,
            BTreeMap::from([("r-1".to_string(), "in_progress".to_string())]),
            "{}",
            ts.label
        );
        let listed = ts
            .store
            .raws(&aduan_store::RawFilter {
                channel: Some("smart_city".into()),
                external_id: Some("r-1".into()),
                limit: 50,
            })
            .await
            .expect("listed");
        assert_eq!(listed.len(), 1, "{}", ts.label);
    }
    server.abort();
}

/// Versions of one report through the webhook and the backfill, out of order, two of them
/// dated more than a day after they were received (one of them only days after, and long
/// past when it is read again): one complaint, of the highest version read, the two
/// quarantined; the backfill's cursor at the last version dated by a real clock; and a
/// rebuild years after the receipts decides as the live folds did, on both stores (review of
/// session 47: "received" is the archive's time of receipt, not the rebuild's).
#[tokio::test]
async fn versions_dated_after_their_receipt_fold_alike_live_and_rebuilt_on_both_stores() {
    let (connector, server) = page_of(&[
        report_version("r-1", 3, "in_progress", "2024-02-02T01:00:00Z"),
        report_version("r-1", 6, "done", "2098-02-03T00:00:00Z"),
    ])
    .await;
    let spec = aduan_app::registry::specs()["smart_city"];
    let delivery = |event: &str, report: String, received: &str| aduan_core::RawRecord {
        source_ref: format!("/webhooks/smart-city#delivery=?;event={event}"),
        external_id: Some("r-1".into()),
        received_at: received.parse().expect("a time"),
        payload: format!(r#"{{"event":"{event}","report":{report}}}"#).into_bytes(),
    };
    for ts in all_stores().await {
        let engine = engine(&ts);
        let v5 = report_version("r-1", 5, "done", "2024-02-03T00:00:00Z");
        let v5 = delivery("report.updated", v5, "2024-02-03T00:00:01Z");
        assert!(engine.receive("smart_city", v5, None).await.unwrap());
        engine.drain_inbox(&spec).await.unwrap().unwrap();
        engine.sync(&connector, &NoProgress).await.unwrap();
        // A deletion received on 2 February saying 4 February: two days ahead.
        let v4 = r#"{"id":"r-1","version":4,"deleted_at":"2024-02-04T00:00:00Z"}"#;
        let v4 = delivery("report.deleted", v4.to_string(), "2024-02-02T00:00:00Z");
        assert!(engine.receive("smart_city", v4, None).await.unwrap());
        engine.drain_inbox(&spec).await.unwrap().unwrap();
        let cursor = ts
            .store
            .query("SELECT cursor FROM sync_state WHERE channel = 'smart_city'")
            .await
            .unwrap()
            .rows;
        assert!(
            format!("{cursor:?}").contains("2024-02-02T01:00:00Z"),
            "{}: {cursor:?}",
            ts.label
        );
        let state = "SELECT c.complaint_id, c.status, c.updated_at, c.resolved_at, \
            e.occurred_at, e.event_type, e.body FROM complaints c \
            JOIN complaint_events e ON c.complaint_seq = e.complaint_seq ORDER BY 1, 5, 6, 7";
        let live = ts.store.query(state).await.unwrap().rows;
        let shown = format!("{live:?}");
        assert!(
            shown.contains("\"resolved\"")
                && !shown.contains("2098")
                && !shown.contains("withdrawn"),
            "{}: {shown}",
            ts.label
        );
        let entries = "SELECT record, field, reason FROM quarantine WHERE resolved_at IS NULL \
            ORDER BY 1, 2";
        let quarantined = ts.store.query(entries).await.unwrap().rows;
        let fields: Vec<&str> = quarantined.iter().filter_map(|r| r[1].as_str()).collect();
        assert_eq!(fields, ["report.deleted_at", "updated_at"], "{}", ts.label);
        engine.renormalise(&parsers(), &NoProgress).await.unwrap();
        assert_eq!(
            live,
            ts.store.query(state).await.unwrap().rows,
            "{}",
            ts.label
        );
        assert_eq!(
            quarantined,
            ts.store.query(entries).await.unwrap().rows,
            "{}",
            ts.label
        );
    }
    server.abort();
}

/// A version delivered by webhook dated two days after its receipt, and the same version read
/// by the backfill within a day of that date: both copies quarantined, the complaint at the
/// version before, live and rebuilt, on both stores (review of session 47: the backfill's
/// copy was folded in, the delivery's quarantined).
#[tokio::test]
async fn a_version_late_dated_when_first_received_is_quarantined_in_the_backfill_s_copy_too() {
    // Read by the backfill now: its copy is dated within a day of this receipt.
    let soon = (chrono::Utc::now() + chrono::TimeDelta::hours(12))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (connector, server) = page_of(&[report_version("r-1", 4, "done", &soon)]).await;
    let spec = aduan_app::registry::specs()["smart_city"];
    for ts in all_stores().await {
        let engine = engine(&ts);
        for (version, status, updated, received) in [
            (
                3,
                "in_progress",
                "2024-02-02T01:00:00Z".to_string(),
                chrono::Utc::now() - chrono::TimeDelta::days(3),
            ),
            (
                4,
                "done",
                soon.clone(),
                chrono::Utc::now() - chrono::TimeDelta::days(2),
            ),
        ] {
            let report = report_version("r-1", version, status, &updated);
            let raw = aduan_core::RawRecord {
                source_ref: "/webhooks/smart-city#delivery=?;event=report.updated".into(),
                external_id: Some("r-1".into()),
                received_at: received,
                payload: format!(r#"{{"event":"report.updated","report":{report}}}"#).into_bytes(),
            };
            assert!(engine.receive("smart_city", raw, None).await.unwrap());
            engine.drain_inbox(&spec).await.unwrap().unwrap();
        }
        engine.sync(&connector, &NoProgress).await.unwrap();
        let state = "SELECT complaint_id, status_source, updated_at FROM complaints ORDER BY 1";
        let entries = "SELECT field FROM quarantine ORDER BY 1";
        let live = (
            ts.store.query(state).await.unwrap().rows,
            ts.store.query(entries).await.unwrap().rows,
        );
        assert_eq!(
            live.0[0][1],
            serde_json::json!("in_progress"),
            "{}: {live:?}",
            ts.label
        );
        assert_eq!(
            live.1,
            [
                vec![serde_json::json!("report.updated_at")],
                vec![serde_json::json!("updated_at")]
            ],
            "{}",
            ts.label
        );
        engine.renormalise(&parsers(), &NoProgress).await.unwrap();
        let rebuilt = (
            ts.store.query(state).await.unwrap().rows,
            ts.store.query(entries).await.unwrap().rows,
        );
        assert_eq!(live, rebuilt, "{}: live against rebuilt", ts.label);
    }
    server.abort();
}

/// A delivery received a fraction of a microsecond into its second, whose report says it was
/// changed a day after that to within the microsecond: the first fold read the delivery as the
/// inbox gave it, its receipt cut to the microsecond (quarantined: it lies past the day after
/// the cut time), where every later read of it, a later version's fold and a rebuild, read
/// the archive's receipt, kept to the nanosecond on SQLite (not past the day after it): the
/// same payload was decided both ways on one store (review of session 47). A receipt is read
/// to the microsecond wherever it is read from, one stored on SQLite before (to the
/// nanosecond) too.
#[tokio::test]
async fn a_delivery_s_receipt_finer_than_a_microsecond_decides_alike_live_and_rebuilt() {
    let spec = aduan_app::registry::specs()["smart_city"];
    for ts in all_stores().await {
        let engine = engine(&ts);
        // Received 900 ns into its second; dated a day and 500 ns after the second.
        let report = report_version("r-1", 1, "received", "2024-02-04T00:00:00.000000500Z");
        let raw = aduan_core::RawRecord {
            source_ref: "/webhooks/smart-city#delivery=?;event=report.updated".into(),
            external_id: Some("r-1".into()),
            received_at: "2024-02-03T00:00:00.000000900Z".parse().expect("a time"),
            payload: format!(r#"{{"event":"report.updated","report":{report}}}"#).into_bytes(),
        };
        assert!(engine.receive("smart_city", raw, None).await.unwrap());
        if ts.label == "sqlite" {
            // As a delivery was stored on SQLite before: to the nanosecond.
            ts.execute(
                "UPDATE raw_records SET received_at = '2024-02-03T00:00:00.000000900+00:00'",
            )
            .await;
            ts.execute("UPDATE push_inbox SET received_at = '2024-02-03T00:00:00.000000900+00:00'")
                .await;
        }
        engine.drain_inbox(&spec).await.unwrap().unwrap();
        let state = "SELECT complaint_id, status, updated_at FROM complaints ORDER BY 1";
        let entries =
            "SELECT record, field FROM quarantine WHERE resolved_at IS NULL ORDER BY 1, 2";
        let live = (
            ts.store.query(state).await.unwrap().rows,
            ts.store.query(entries).await.unwrap().rows,
        );
        engine.renormalise(&parsers(), &NoProgress).await.unwrap();
        let rebuilt = (
            ts.store.query(state).await.unwrap().rows,
            ts.store.query(entries).await.unwrap().rows,
        );
        assert_eq!(live, rebuilt, "{}: live against rebuilt", ts.label);
        let received = ts
            .store
            .query("SELECT received_at FROM raw_records")
            .await
            .unwrap()
            .rows;
        assert_eq!(
            format!("{received:?}").contains("000000900"),
            ts.label == "sqlite",
            "{}: {received:?}",
            ts.label
        );
    }
}

/// A delivery received a fraction of a microsecond into its second is archived to the
/// microsecond on both stores (SQLite kept the nanoseconds).
#[tokio::test]
async fn a_delivery_is_archived_received_to_the_microsecond_on_both_stores() {
    for ts in all_stores().await {
        let engine = engine(&ts);
        let report = report_version("r-1", 1, "received", "2024-02-03T00:00:00Z");
        let raw = aduan_core::RawRecord {
            source_ref: "/webhooks/smart-city#delivery=?;event=report.updated".into(),
            external_id: Some("r-1".into()),
            received_at: "2024-02-03T00:00:00.000000900Z".parse().expect("a time"),
            payload: format!(r#"{{"event":"report.updated","report":{report}}}"#).into_bytes(),
        };
        assert!(engine.receive("smart_city", raw, None).await.unwrap());
        let received = ts
            .store
            .query("SELECT received_at FROM raw_records")
            .await
            .unwrap()
            .rows;
        assert!(
            !format!("{received:?}").contains("000000900"),
            "{}: {received:?}",
            ts.label
        );
    }
}

/// Session 49 (found by the randomized check below, seed 192): a backfill item whose
/// `updated_at` is no time was quarantined naming it; a webhook's copy of the same version
/// received two days before its `created_at` came next, and the item, judged by that earlier
/// receipt, failed first on its `created_at`. Its entry named both (the failure met before
/// carried on, as if the item had been read in part), where a rebuild names the
/// `created_at` alone: an item each of whose groups a fold reads is read whole. Live and
/// rebuilt alike, on both stores.
#[tokio::test]
async fn an_item_s_entry_says_what_a_rebuild_says_once_an_earlier_copy_came_on_both_stores() {
    let item = report_version("r-1", 1, "submitted", "not a time");
    let (connector, server) = page_of(std::slice::from_ref(&item)).await;
    let spec = aduan_app::registry::specs()["smart_city"];
    for ts in all_stores().await {
        let engine = engine(&ts);
        engine.sync(&connector, &NoProgress).await.unwrap();
        let raw = aduan_core::RawRecord {
            source_ref: "/webhooks/smart-city#delivery=d1;event=report.created".into(),
            external_id: Some("r-1".into()),
            received_at: "2024-01-30T03:04:05Z".parse().expect("a time"),
            payload: format!(r#"{{"event":"report.created","report":{item}}}"#).into_bytes(),
        };
        assert!(engine.receive("smart_city", raw, None).await.unwrap());
        engine.drain_inbox(&spec).await.unwrap().unwrap();
        let entries = "SELECT record, field, reason FROM quarantine WHERE resolved_at IS NULL \
            ORDER BY 1, 2, 3";
        let live = ts.store.query(entries).await.unwrap().rows;
        let item_s = live
            .iter()
            .find(|e| e[1] == serde_json::json!("created_at"))
            .map(|e| e[2].to_string());
        assert!(
            item_s.as_deref().is_some_and(|r| !r.contains("updated_at")),
            "{}: {live:?}",
            ts.label
        );
        engine.renormalise(&parsers(), &NoProgress).await.unwrap();
        assert_eq!(
            ts.store.query(entries).await.unwrap().rows,
            live,
            "{}: rebuilt",
            ts.label
        );
    }
    server.abort();
}

/// One step of the randomized check.
enum Step {
    /// A webhook delivery, as `aduan serve` stores it after checking its signature.
    Hook(aduan_core::RawRecord),
    /// The backfill answering with these items (one page).
    Backfill(Vec<String>),
}

/// Seed `seed`'s steps: one or two reports of 2–6 versions each (statuses at random, dates a
/// minute to days apart, now and then the same date again or an earlier one, a copy of a
/// number giving other dates, an unreadable date, a deletion last), each version delivered by
/// webhook or not, some twice, received from two days before its date (late-dated: to be
/// quarantined) to two days after it, shuffled; and the backfill read between them, listing a
/// version of each report (none, the deletion's stub, or one never delivered).
fn smart_steps(seed: u64) -> Vec<Step> {
    const T0: i64 = 1_706_756_645; // 2024-02-01T03:04:05Z
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    let time = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let mut rng = Rng(seed);
    // Each version: (report, its item as the backfill lists it, the webhook's event and report
    // object, its date).
    let mut versions: Vec<(String, String, (String, String), i64)> = Vec::new();
    for r in 0..1 + rng.below(2) {
        let id = format!("r-{r}");
        let n = 2 + rng.below(5) as u32;
        let mut at = T0 + rng.below(DAY as u64) as i64;
        for v in 1..=n {
            if v > 1 {
                at += *rng.pick(&[0, 60, HOUR, 5 * HOUR, DAY, 3 * DAY, -HOUR]);
            }
            let deletion = v == n && rng.pct(25);
            let copies = if rng.pct(10) { 2 } else { 1 };
            for copy in 0..copies {
                let dated = at + copy * DAY;
                let written = if rng.pct(5) {
                    "not a time".to_string()
                } else {
                    time(dated)
                };
                let (item, event) = if deletion {
                    (
                        format!(
                            r#"{{"id":"{id}","version":{v},"deleted_at":"{written}","updated_at":"{written}"}}"#
                        ),
                        (
                            "report.deleted".to_string(),
                            format!(r#"{{"id":"{id}","version":{v},"deleted_at":"{written}"}}"#),
                        ),
                    )
                } else {
                    let status =
                        *rng.pick(&["submitted", "accepted", "in_progress", "done", "rejected"]);
                    let photos = if rng.pct(30) {
                        format!(r#"["https://pantau.example/uploads/{id}/p{v}.jpg?sig=s{v}"]"#)
                    } else {
                        "[]".to_string()
                    };
                    let report = format!(
                        r#"{{"id":"{id}","version":{v},"type":"laporan","area":"infrastruktur","title":"Saluran tersumbat {r}","description":"Versi {v}, salinan {copy}: saluran depan rumah tersumbat.","status":"{status}","photos":{photos},"user":{{"id":"u_1","name":"Siti","phone":"+6281390001234"}},"created_at":"{}","updated_at":"{written}"}}"#,
                        time(T0)
                    );
                    let event = if v == 1 {
                        "report.created"
                    } else {
                        "report.updated"
                    };
                    (report.clone(), (event.to_string(), report))
                };
                versions.push((id.clone(), item, event, dated));
            }
        }
    }
    // The webhook's deliveries: most versions once, some twice (a retry, received later), some
    // never (lost: the backfill may find them).
    let mut hooks: Vec<aduan_core::RawRecord> = Vec::new();
    for (k, (id, _, (event, report), dated)) in versions.iter().enumerate() {
        if rng.pct(20) {
            continue;
        }
        let received = dated + *rng.pick(&[1, 600, 5 * HOUR, 2 * DAY, -2 * HOUR, -2 * DAY]);
        for retry in 0..1 + u64::from(rng.pct(20)) {
            let received = received + 60 * retry as i64;
            hooks.push(aduan_core::RawRecord {
                source_ref: format!("/webhooks/smart-city#delivery=d{k}-{retry};event={event}"),
                external_id: Some(id.clone()),
                received_at: chrono::DateTime::from_timestamp(received, 0).unwrap_or_default(),
                payload: format!(r#"{{"event":"{event}","report":{report}}}"#).into_bytes(),
            });
        }
    }
    for i in (1..hooks.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        hooks.swap(i, j);
    }
    let mut out: Vec<Step> = hooks.into_iter().map(Step::Hook).collect();
    // The backfill read now and then: a version of each report (any of them: the app's state
    // when it answered), or none.
    for _ in 0..rng.below(3) {
        let mut items = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (id, ..) in &versions {
            if seen.insert(id.clone()) && rng.pct(80) {
                let of: Vec<&String> = versions
                    .iter()
                    .filter(|(other, ..)| other == id)
                    .map(|(_, item, ..)| item)
                    .collect();
                items.push(rng.pick(&of).to_string());
            }
        }
        let at = rng.below(out.len() as u64 + 1) as usize;
        out.insert(at.min(out.len()), Step::Backfill(items));
    }
    out
}

/// The complaints (`columns`), every complaint's history and the open quarantine entries:
/// what a live fold and a rebuild from the archive must both make.
async fn complaints_history_and_entries(
    ts: &TestStore,
    columns: &str,
) -> [Vec<Vec<serde_json::Value>>; 3] {
    let complaints = format!("SELECT complaint_id, {columns} FROM complaints ORDER BY 1");
    let history = "SELECT c.complaint_id, e.occurred_at, e.event_type, e.actor, e.body \
        FROM complaint_events e JOIN complaints c ON c.complaint_seq = e.complaint_seq \
        ORDER BY 1, 2, 3, 4, 5";
    let entries = "SELECT record, field, reason FROM quarantine WHERE resolved_at IS NULL \
        ORDER BY 1, 2, 3";
    [
        ts.store.query(&complaints).await.expect("complaints").rows,
        ts.store.query(history).await.expect("history").rows,
        ts.store.query(entries).await.expect("entries").rows,
    ]
}

/// Randomized (session 49; WhatsApp has had one since session 42): versions of one or two
/// Pantau Pekalongan reports delivered by webhook one at a time, out of order, some twice, some
/// late-dated, some lost, with the backfill read among them, end as a rebuild from the archive
/// makes them: every complaint, its history and the open quarantine entries. Prints each
/// failing seed (see `helpers::for_each_seed` for the seeds run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_deliveries_and_backfills_end_as_a_rebuild() {
    let files: Files = std::sync::Arc::new(std::sync::Mutex::new(Default::default()));
    let (base, server) = file_server(files.clone()).await;
    let config: aduan_smart_city::Config = serde_json::from_value(serde_json::json!({
        "base_url": base, "retry_base_ms": 20, "timeout_secs": 5,
    }))
    .expect("config");
    let connector = SmartCity::with_token(config, Secret::new("t")).expect("connector builds");
    let spec = aduan_app::registry::specs()["smart_city"];
    for_each_seed(async |seed, ts| {
        let engine = engine(ts);
        for step in smart_steps(seed) {
            match step {
                Step::Hook(raw) => {
                    engine.receive("smart_city", raw, None).await.unwrap();
                    engine.drain_inbox(&spec).await.unwrap().unwrap();
                }
                Step::Backfill(items) => {
                    let page = format!(r#"{{"reports":[{}],"has_more":false}}"#, items.join(","));
                    files
                        .lock()
                        .unwrap()
                        .insert("api/reports".into(), page.into_bytes());
                    engine.sync(&connector, &NoProgress).await.unwrap();
                }
            }
        }
        let columns = "status, status_source, title, body, updated_at, resolved_at, \
            first_response_at";
        let live = complaints_history_and_entries(ts, columns).await;
        engine.renormalise(&parsers(), &NoProgress).await.unwrap();
        let rebuilt = complaints_history_and_entries(ts, columns).await;
        (live != rebuilt).then(|| {
            format!(
                " live    {:?}\n rebuilt {:?}\n history equal: {}\n live entries    {:?}\n rebuilt entries {:?}",
                live[0], rebuilt[0], live[1] == rebuilt[1], live[2], rebuilt[2]
            )
        })
    })
    .await;
    server.abort();
}

/// Review of session 51: `ADUAN_PROP_SEED` set to what is not a number (a failure's line
/// pasted whole, `seed 7 on SQLite`) ran the 40 seeds of CI without a word; it stops the
/// check naming the variable, as `ADUAN_PROP_SEEDS` does. Set empty, each is not set.
#[test]
fn a_seed_asked_for_that_is_not_a_number_is_said() {
    let said = |one: Option<&'static str>, count: Option<&'static str>| {
        std::panic::catch_unwind(|| prop_seeds(one, count))
            .err()
            .and_then(|e| e.downcast_ref::<String>().cloned())
    };
    for (one, count, name) in [
        (Some("seed 7"), None, "ADUAN_PROP_SEED=\"seed 7\""),
        (None, Some("banyak"), "ADUAN_PROP_SEEDS=\"banyak\""),
    ] {
        let said = said(one, count);
        assert!(
            said.as_deref().is_some_and(|s| s.contains(name)),
            "{one:?} {count:?}: {said:?}"
        );
    }
    assert_eq!(prop_seeds(Some(" 7 "), Some("3")), (7..8, true));
    assert_eq!(prop_seeds(Some(""), Some("3")), (0..3, false));
    assert_eq!(prop_seeds(None, None), (0..40, false));
}
