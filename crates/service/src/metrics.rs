//! `GET /metrics`: the Prometheus text format.
//!
//! Sync figures come from `sync_runs` and `sync_run_totals`, so they are the database's
//! (every process on it); scheduler and webhook figures are this process's own.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use aduan_store::Store;
use chrono::DateTime;

/// Finished runs per channel and outcome with their record counts: those kept in `sync_runs`
/// (counted in `sync_run_kept` by triggers as they are written) and those moved out of it
/// into `sync_run_totals` (see `Store::prune_runs`). Rows of runs still going (or abandoned
/// by a killed process) have no outcome and are not counted, so every series only grows.
/// A few rows a channel, whatever the number of runs kept (operator review, session 48:
/// every scrape added up every kept run, 300,000 of them).
const RUNS_SQL: &str = "SELECT channel, outcome, CAST(SUM(runs) AS BIGINT) AS runs, \
     CAST(SUM(fetched) AS BIGINT) AS fetched, CAST(SUM(inserted) AS BIGINT) AS inserted, \
     CAST(SUM(updated) AS BIGINT) AS updated, CAST(SUM(unchanged) AS BIGINT) AS unchanged, \
     CAST(SUM(quarantined) AS BIGINT) AS quarantined FROM ( \
     SELECT channel, outcome, runs, fetched, inserted, updated, unchanged, quarantined \
     FROM sync_run_kept UNION ALL \
     SELECT channel, outcome, runs, fetched, inserted, updated, unchanged, quarantined \
     FROM sync_run_totals) r GROUP BY channel, outcome ORDER BY channel, outcome";

/// The end of each channel's latest successful run, kept or moved into the totals (RFC 3339
/// text on SQLite, where it sorts as time does; `timestamptz` on PostgreSQL). The channels
/// kept are walked through `sync_runs_channel_started` (one probe a channel) and each one's
/// latest success looked up at the end of `sync_runs_outcome` (`channel`, `ok`,
/// `finished_at`): `MAX(finished_at) … WHERE outcome = 'ok' GROUP BY channel` read the
/// whole index, every kept run, on each scrape.
const LAST_OK_SQL: &str = "WITH RECURSIVE c(channel) AS (SELECT MIN(channel) FROM sync_runs \
     UNION ALL SELECT (SELECT MIN(k.channel) FROM sync_runs k WHERE k.channel > c.channel) \
     FROM c WHERE c.channel IS NOT NULL) \
     SELECT channel, MAX(finished_at) AS finished_at FROM ( \
     SELECT c.channel, (SELECT MAX(o.finished_at) FROM sync_runs o \
     WHERE o.channel = c.channel AND o.outcome = 'ok') AS finished_at \
     FROM c WHERE c.channel IS NOT NULL \
     UNION ALL SELECT channel, last_finished_at FROM sync_run_totals \
     WHERE outcome = 'ok') r WHERE finished_at IS NOT NULL GROUP BY channel ORDER BY channel";

/// Webhook deliveries stored and not yet folded, per channel, with the oldest one's arrival
/// (RFC 3339 text on SQLite; `timestamptz` on PostgreSQL).
const INBOX_SQL: &str = "SELECT channel, COUNT(*) AS pending, MIN(received_at) AS oldest \
     FROM push_inbox GROUP BY channel ORDER BY channel";

/// The record counts of `sync_runs`, in the order of the metric families.
const RECORDS: [(&str, &str); 5] = [
    ("fetched", "Records received"),
    ("inserted", "Complaints inserted"),
    ("updated", "Complaints changed"),
    ("unchanged", "Records that changed nothing"),
    ("quarantined", "Records quarantined"),
];

/// This process's own counters, shared by the scheduler, the webhooks and `/metrics`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metrics {
    inner: Arc<Mutex<Local>>,
}

#[derive(Debug, Default)]
struct Local {
    /// Scheduled channels: their series exist from the start.
    scheduled: Vec<String>,
    /// Channels with webhooks.
    pushed: Vec<String>,
    ticks_skipped: BTreeMap<(String, &'static str), u64>,
    in_progress: BTreeMap<String, bool>,
    deliveries: BTreeMap<(String, &'static str, String), u64>,
    /// Scheduled backups: their series exist once they are scheduled.
    backups: Option<Backups>,
    /// Requests turned away (`503`) by path, their turn not had: see [`TURNED_AWAY_PATHS`].
    turned_away: BTreeMap<&'static str, u64>,
}

/// The paths that serve a few requests at once and turn the others away, each counted from
/// the start (an alert on the rate needs the series before the first).
pub(crate) const TURNED_AWAY_PATHS: [&str; 3] = ["/api/report", "/metrics", "/readyz"];

/// What this process's scheduled backups did.
#[derive(Debug, Default)]
struct Backups {
    written: u64,
    failed: u64,
    /// When the latest backup that was written was started (Unix time).
    last_ok: Option<i64>,
}

/// Reasons a tick is skipped.
pub(crate) const OVERLAP: &str = "overlap";
/// See [`OVERLAP`].
pub(crate) const BACKOFF: &str = "backoff";

impl Metrics {
    fn lock(&self) -> MutexGuard<'_, Local> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn scheduled(&self, channel: &str) {
        let mut l = self.lock();
        l.scheduled.push(channel.to_string());
        l.in_progress.insert(channel.to_string(), false);
        for reason in [OVERLAP, BACKOFF] {
            l.ticks_skipped.insert((channel.to_string(), reason), 0);
        }
    }

    pub(crate) fn pushed(&self, channel: &str) {
        let mut l = self.lock();
        l.pushed.push(channel.to_string());
        l.deliveries
            .entry((channel.to_string(), "accepted", String::new()))
            .or_insert(0);
    }

    pub(crate) fn tick_skipped(&self, channel: &str, reason: &'static str) {
        *self
            .lock()
            .ticks_skipped
            .entry((channel.to_string(), reason))
            .or_insert(0) += 1;
    }

    pub(crate) fn in_progress(&self, channel: &str, running: bool) {
        self.lock().in_progress.insert(channel.to_string(), running);
    }

    pub(crate) fn delivery(&self, channel: &str, outcome: &'static str, reason: &str) {
        *self
            .lock()
            .deliveries
            .entry((channel.to_string(), outcome, reason.to_string()))
            .or_insert(0) += 1;
    }

    /// A request of `path` turned away, as many of its path being answered as are at once.
    pub(crate) fn turned_away(&self, path: &'static str) {
        *self.lock().turned_away.entry(path).or_insert(0) += 1;
    }

    pub(crate) fn backups_scheduled(&self) {
        self.lock().backups.get_or_insert_with(Backups::default);
    }

    /// A scheduled backup ended: written (started at `at`), or failed (`None`).
    pub(crate) fn backup_done(&self, at: Option<chrono::DateTime<chrono::Utc>>) {
        let mut l = self.lock();
        let b = l.backups.get_or_insert_with(Backups::default);
        match at {
            Some(at) => {
                b.written += 1;
                b.last_ok = Some(at.timestamp());
            }
            None => b.failed += 1,
        }
    }

    /// The whole text of `/metrics`.
    pub(crate) async fn render(&self, store: &Store, reads_with: Option<&str>) -> String {
        let mut out = String::new();
        let db = from_store(store).await;
        if let Err(e) = &db {
            tracing::warn!(error = %e, "Metrics: the database did not answer.");
        }
        family(
            &mut out,
            "aduan_store_up",
            "gauge",
            "Whether the database answered the metrics query (1) or not (0).",
        );
        sample(&mut out, "aduan_store_up", &[], i64::from(db.is_ok()));
        if reads_with.is_some() {
            family(
                &mut out,
                "aduan_tables_built_otherwise",
                "gauge",
                "Whether the unified tables are now built with other rules, tables or reporter key than this process reads records with (1: another process rebuilt them; this one's syncs store nothing until it is restarted) or not (0).",
            );
            let otherwise = crate::tables_built_otherwise(store, reads_with).await;
            if let Err(e) = &otherwise {
                tracing::warn!(error = %e, "Metrics: what the tables are built with could not be read.");
            }
            let otherwise = matches!(otherwise, Ok(Some(_)));
            sample(
                &mut out,
                "aduan_tables_built_otherwise",
                &[],
                i64::from(otherwise),
            );
        }
        let known = db.is_ok();
        let db = db.unwrap_or_default();

        family(
            &mut out,
            "aduan_sync_runs_total",
            "counter",
            "Finished sync runs by channel and outcome (ok, partial, failed, skipped), from sync_runs and sync_run_totals: every process on this database.",
        );
        for r in &db.runs {
            sample(
                &mut out,
                "aduan_sync_runs_total",
                &[("channel", &r.channel), ("outcome", &r.outcome)],
                r.runs,
            );
        }
        for (i, (what, help)) in RECORDS.iter().enumerate() {
            let name = format!("aduan_sync_records_{what}_total");
            family(
                &mut out,
                &name,
                "counter",
                &format!(
                    "{help} by finished sync runs, by channel, from sync_runs and sync_run_totals."
                ),
            );
            let mut per_channel: BTreeMap<&str, i64> = BTreeMap::new();
            for r in &db.runs {
                *per_channel.entry(&r.channel).or_insert(0) += r.records[i];
            }
            for (channel, n) in per_channel {
                sample(&mut out, &name, &[("channel", channel)], n);
            }
        }
        family(
            &mut out,
            "aduan_sync_last_success_timestamp_seconds",
            "gauge",
            "When the channel's latest successful sync run finished (Unix time), from sync_runs and sync_run_totals.",
        );
        // A scheduled channel that never succeeded is 0 (1970), not absent: an alert on the
        // time since the last success fires for it too. (Only when the database said so.)
        let scheduled = self.lock().scheduled.clone();
        let zero_for = if known { &scheduled[..] } else { &[] };
        times(
            &mut out,
            "aduan_sync_last_success_timestamp_seconds",
            &db.last_ok,
            zero_for,
        );

        family(
            &mut out,
            "aduan_sync_running_since_timestamp_seconds",
            "gauge",
            "When the channel's run going on now started (Unix time), in this process or another on this database (the run holding the channel's lease, from sync_runs); 0 when none runs (a run whose process was killed is none).",
        );
        // (0 for a scheduled channel only when the database said so: none when it did not.)
        times(
            &mut out,
            "aduan_sync_running_since_timestamp_seconds",
            &db.running,
            zero_for,
        );

        let local = self.lock();
        // The push channels' inboxes (normally empty within seconds): deliveries accepted
        // and not folded show here, whichever process took them.
        // (Zero only when the database said so: none at all when it did not answer.)
        let mut inbox = db.inbox.clone();
        for channel in local.pushed.iter().filter(|_| known) {
            inbox.entry(channel.clone()).or_insert((0, None));
        }
        family(
            &mut out,
            "aduan_push_inbox_pending",
            "gauge",
            "Webhook deliveries stored and not yet folded into complaints, by channel, from push_inbox: every process on this database.",
        );
        for (channel, (n, _)) in &inbox {
            sample(
                &mut out,
                "aduan_push_inbox_pending",
                &[("channel", channel)],
                *n,
            );
        }
        family(
            &mut out,
            "aduan_push_inbox_oldest_timestamp_seconds",
            "gauge",
            "When the oldest delivery still waiting in the channel's inbox arrived (Unix time); none when the inbox is empty.",
        );
        for (channel, (_, oldest)) in &inbox {
            if let Some(secs) = oldest {
                let _ = writeln!(
                    out,
                    "aduan_push_inbox_oldest_timestamp_seconds{} {secs:.3}",
                    labels(&[("channel", channel)])
                );
            }
        }
        family(
            &mut out,
            "aduan_sync_in_progress",
            "gauge",
            "Whether this process is running a sync of the channel now.",
        );
        for (channel, running) in &local.in_progress {
            sample(
                &mut out,
                "aduan_sync_in_progress",
                &[("channel", channel)],
                i64::from(*running),
            );
        }
        family(
            &mut out,
            "aduan_schedule_ticks_skipped_total",
            "counter",
            "Scheduled ticks this process skipped, by channel and reason (overlap: the channel's previous run still going; backoff: waiting after failures).",
        );
        for ((channel, reason), n) in &local.ticks_skipped {
            sample(
                &mut out,
                "aduan_schedule_ticks_skipped_total",
                &[("channel", channel), ("reason", reason)],
                *n as i64,
            );
        }
        family(
            &mut out,
            "aduan_webhook_deliveries_total",
            "counter",
            "Webhook deliveries this process received, by channel, outcome (accepted, rejected) and the reason of a rejection.",
        );
        for ((channel, outcome, reason), n) in &local.deliveries {
            sample(
                &mut out,
                "aduan_webhook_deliveries_total",
                &[
                    ("channel", channel),
                    ("outcome", outcome),
                    ("reason", reason),
                ],
                *n as i64,
            );
        }
        family(
            &mut out,
            "aduan_http_turned_away_total",
            "counter",
            "Requests this process answered 503 with Retry-After, by path, because as many of that path were being answered as it serves at once (their database reads kept from crowding out webhooks and syncs).",
        );
        for path in TURNED_AWAY_PATHS {
            let n = local.turned_away.get(path).copied().unwrap_or(0);
            sample(
                &mut out,
                "aduan_http_turned_away_total",
                &[("path", path)],
                n as i64,
            );
        }
        if let Some(b) = &local.backups {
            family(
                &mut out,
                "aduan_backups_total",
                "counter",
                "Scheduled backups of the store this process ended, by outcome (written, failed).",
            );
            sample(
                &mut out,
                "aduan_backups_total",
                &[("outcome", "written")],
                b.written as i64,
            );
            sample(
                &mut out,
                "aduan_backups_total",
                &[("outcome", "failed")],
                b.failed as i64,
            );
            family(
                &mut out,
                "aduan_backup_last_success_timestamp_seconds",
                "gauge",
                "When this process's latest scheduled backup that was written started (Unix time).",
            );
            if let Some(at) = b.last_ok {
                sample(
                    &mut out,
                    "aduan_backup_last_success_timestamp_seconds",
                    &[],
                    at,
                );
            }
        }
        out
    }
}

#[derive(Debug, Default)]
struct FromStore {
    runs: Vec<RunGroup>,
    last_ok: Vec<(String, f64)>,
    /// Per channel: when its run going on now started (see `Store::runs_in_progress`).
    running: Vec<(String, f64)>,
    /// Per channel: deliveries waiting in the inbox, and the oldest one's arrival.
    inbox: BTreeMap<String, (i64, Option<f64>)>,
}

#[derive(Debug)]
struct RunGroup {
    channel: String,
    outcome: String,
    runs: i64,
    records: [i64; 5],
}

async fn from_store(store: &Store) -> aduan_store::Result<FromStore> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let int = |v: &serde_json::Value| v.as_i64().unwrap_or_default();
    let mut out = FromStore::default();
    for row in store.query(RUNS_SQL).await?.rows {
        if row.len() < 8 {
            continue;
        }
        out.runs.push(RunGroup {
            channel: text(&row[0]),
            outcome: text(&row[1]),
            runs: int(&row[2]),
            records: [
                int(&row[3]),
                int(&row[4]),
                int(&row[5]),
                int(&row[6]),
                int(&row[7]),
            ],
        });
    }
    let unix = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp() as f64 + f64::from(t.timestamp_subsec_micros()) / 1e6)
    };
    for row in store.query(LAST_OK_SQL).await?.rows {
        let [channel, finished] = row.as_slice() else {
            continue;
        };
        if let Some(secs) = unix(finished) {
            out.last_ok.push((text(channel), secs));
        }
    }
    for r in store.runs_in_progress().await? {
        let t = r.started_at;
        let secs = t.timestamp() as f64 + f64::from(t.timestamp_subsec_micros()) / 1e6;
        out.running.push((r.channel, secs));
    }
    for row in store.query(INBOX_SQL).await?.rows {
        let [channel, pending, oldest] = row.as_slice() else {
            continue;
        };
        out.inbox
            .insert(text(channel), (int(pending), unix(oldest)));
    }
    Ok(out)
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A time per channel (Unix seconds, to the millisecond), ordered by channel, with 0 for each
/// channel of `zero_for` the database gave none.
fn times(out: &mut String, name: &str, given: &[(String, f64)], zero_for: &[String]) {
    let mut per_channel: BTreeMap<&str, f64> = given
        .iter()
        .map(|(channel, secs)| (channel.as_str(), *secs))
        .collect();
    for channel in zero_for {
        per_channel.entry(channel).or_insert(0.0);
    }
    for (channel, secs) in per_channel {
        let _ = writeln!(out, "{name}{} {secs:.3}", labels(&[("channel", channel)]));
    }
}

fn sample(out: &mut String, name: &str, labels_: &[(&str, &str)], value: i64) {
    let _ = writeln!(out, "{name}{} {value}", labels(labels_));
}

fn labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// A label value as the text format wants it: `\`, `"` and line feeds escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            labels(&[("channel", "a\"b\\c\nd"), ("outcome", "ok")]),
            "{channel=\"a\\\"b\\\\c\\nd\",outcome=\"ok\"}"
        );
        assert_eq!(labels(&[]), "");
    }

    #[tokio::test]
    async fn every_family_is_there_on_an_empty_store_with_its_help_and_type() {
        let ts = aduan_store::testing::sqlite().await;
        let m = Metrics::default();
        m.scheduled("cc112");
        m.tick_skipped("cc112", OVERLAP);
        let text = m.render(&ts.store, None).await;
        for name in [
            "aduan_store_up",
            "aduan_sync_runs_total",
            "aduan_sync_records_fetched_total",
            "aduan_sync_records_quarantined_total",
            "aduan_sync_last_success_timestamp_seconds",
            "aduan_sync_in_progress",
            "aduan_sync_running_since_timestamp_seconds",
            "aduan_schedule_ticks_skipped_total",
            "aduan_webhook_deliveries_total",
            "aduan_push_inbox_pending",
            "aduan_push_inbox_oldest_timestamp_seconds",
        ] {
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}: {text}");
            assert!(text.contains(&format!("# HELP {name} ")), "{name}: {text}");
        }
        assert!(text.contains("aduan_store_up 1\n"), "{text}");
        assert!(
            text.contains(
                "aduan_schedule_ticks_skipped_total{channel=\"cc112\",reason=\"overlap\"} 1\n"
            ),
            "{text}"
        );
        // A scheduled channel that never succeeded: 0, not absent, so that an alert on the
        // time since its last success fires (helper sched, session 41: it never did).
        assert!(
            text.contains("aduan_sync_last_success_timestamp_seconds{channel=\"cc112\"} 0.000\n"),
            "{text}"
        );
        // A push channel's inbox: empty, then a delivery waiting (review: nothing showed
        // deliveries accepted and not folded).
        m.pushed("smart_city");
        let text = m.render(&ts.store, None).await;
        assert!(
            text.contains("aduan_push_inbox_pending{channel=\"smart_city\"} 0\n"),
            "{text}"
        );
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-06T01:02:03Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let raw = aduan_store::NewRaw {
            source_ref: "webhook".into(),
            external_id: None,
            received_at: at,
            content_hash: vec![7; 32],
            payload: b"{}".to_vec(),
            dictionary_id: None,
        };
        assert!(ts.store.receive("smart_city", &raw, None).await.unwrap());
        let text = m.render(&ts.store, None).await;
        assert!(
            text.contains("aduan_push_inbox_pending{channel=\"smart_city\"} 1\n")
                && text.contains(&format!(
                    "aduan_push_inbox_oldest_timestamp_seconds{{channel=\"smart_city\"}} {}.000\n",
                    at.timestamp()
                )),
            "{text}"
        );
    }

    /// A run going on shows when it started, whichever process on the store runs it (its
    /// lease held); a run left without an end by a process that crashed does not, as soon
    /// as its lease is no process's: released, a PostgreSQL session ended, or on SQLite a
    /// lease row not yet lapsed of a process of this machine that is gone, which the next
    /// run takes over at once (review: a stuck run showed only as a stale last success).
    #[tokio::test]
    async fn the_run_going_on_shows_its_start_and_a_crashed_one_does_not() {
        for ts in aduan_store::testing::all().await {
            let m = Metrics::default();
            m.scheduled("cc112");
            let gauge = |text: &str| {
                text.lines()
                    .find_map(|l| {
                        l.strip_prefix(
                            "aduan_sync_running_since_timestamp_seconds{channel=\"cc112\"} ",
                        )
                    })
                    .map(str::to_string)
            };
            let text = m.render(&ts.store, None).await;
            assert_eq!(
                gauge(&text).as_deref(),
                Some("0.000"),
                "{}: {text}",
                ts.label
            );
            let started = chrono::DateTime::parse_from_rfc3339("2026-12-06T01:02:03Z")
                .unwrap()
                .with_timezone(&chrono::Utc);
            let run = aduan_store::RunRecord {
                run_id: "run-1".into(),
                channel: "cc112".into(),
                started_at: started,
                ..Default::default()
            };
            // Another replica's run: its row and its lease (this test holds it).
            let lease = ts
                .store
                .try_lease("cc112", "run-1", std::time::Duration::from_secs(60))
                .await
                .unwrap()
                .expect("the lease is free");
            ts.store.save_run(&run).await.unwrap();
            let text = m.render(&ts.store, None).await;
            let want = format!("{}.000", started.timestamp());
            assert_eq!(gauge(&text), Some(want.clone()), "{}: {text}", ts.label);
            // Its process crashed: the row stays without an end.
            if ts.end_lease_session("cc112").await {
                // PostgreSQL frees the lock with the session.
                for _ in 0..250 {
                    if !ts.store.lease_held("cc112").await.unwrap() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                drop(lease);
            } else {
                // SQLite: the lease's row names a process of this machine that is gone,
                // and has not lapsed.
                let held = ts
                    .store
                    .query("SELECT holder FROM sync_leases WHERE channel = 'cc112'")
                    .await
                    .unwrap();
                let holder = held.rows[0][0].as_str().unwrap().to_string();
                let Some((place, started)) = holder.rsplit_once('/') else {
                    continue;
                };
                let (place, _pid) = place.rsplit_once('/').unwrap();
                let gone = format!("{place}/999999999/{started}");
                drop(lease);
                ts.execute(&format!("UPDATE sync_leases SET holder = '{gone}'"))
                    .await;
            }
            let text = m.render(&ts.store, None).await;
            assert_eq!(
                gauge(&text).as_deref(),
                Some("0.000"),
                "{}: {text}",
                ts.label
            );
            assert_eq!(
                ts.store.runs(Some("cc112")).await.unwrap()[0].outcome,
                None,
                "{}",
                ts.label
            );
        }
    }

    /// Runs moved out of `sync_runs` into `sync_run_totals` still count: the sync series are
    /// the same before and after, on both stores (review: every scrape summed all of
    /// `sync_runs`, which nothing pruned).
    #[tokio::test]
    async fn runs_moved_into_the_totals_still_count() {
        for ts in aduan_store::testing::all().await {
            let hour = |h: u32| {
                chrono::DateTime::parse_from_rfc3339(&format!("2026-01-01T{h:02}:00:00Z"))
                    .unwrap()
                    .with_timezone(&chrono::Utc)
            };
            for (id, h, outcome, fetched) in [
                ("a", 1, "ok", 5),
                ("b", 2, "failed", 7),
                ("c", 3, "ok", 11),
                // Kept alone: the latest success is one moved.
                ("d", 4, "failed", 13),
            ] {
                let run = aduan_store::RunRecord {
                    run_id: id.into(),
                    channel: "cc112".into(),
                    started_at: hour(h),
                    finished_at: Some(hour(h) + chrono::TimeDelta::minutes(1)),
                    outcome: Some(outcome.into()),
                    fetched,
                    ..Default::default()
                };
                ts.store.save_run(&run).await.unwrap();
            }
            let sync = |text: String| -> Vec<String> {
                text.lines()
                    .filter(|l| {
                        l.starts_with("aduan_sync_") && !l.starts_with("aduan_sync_in_progress")
                    })
                    .map(str::to_string)
                    .collect()
            };
            let m = Metrics::default();
            let before = sync(m.render(&ts.store, None).await);
            assert!(
                before.contains(
                    &"aduan_sync_runs_total{channel=\"cc112\",outcome=\"ok\"} 2".to_string()
                ) && before.contains(
                    &"aduan_sync_records_fetched_total{channel=\"cc112\"} 36".to_string()
                ),
                "{}: {before:?}",
                ts.label
            );
            assert_eq!(
                ts.store.prune_runs("cc112", hour(4)).await.unwrap(),
                3,
                "{}",
                ts.label
            );
            assert_eq!(
                sync(m.render(&ts.store, None).await),
                before,
                "{}",
                ts.label
            );
            assert!(
                before
                    .iter()
                    .any(|l| l.starts_with("aduan_sync_last_success_timestamp_seconds")),
                "{}: {before:?}",
                ts.label
            );
        }
    }

    /// Operator review (session 48): every scrape added up every run kept in `sync_runs`
    /// (300,000 in a year of runs kept a year), and read the whole of `sync_runs_outcome` for
    /// each channel's latest success. No step of either plan reads `sync_runs` or an index
    /// of it whole: the counts are read from `sync_run_kept`, the latest successes looked up
    /// channel by channel.
    #[tokio::test]
    async fn a_scrape_reads_no_table_of_runs_whole() {
        let ts = aduan_store::testing::sqlite().await;
        let file = aduan_store::sqlite_path(&ts.url).unwrap().to_string();
        let conn = rusqlite::Connection::open(file).unwrap();
        for sql in [RUNS_SQL, LAST_OK_SQL] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let plan: Vec<String> = stmt
                .query_map([], |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let scans: Vec<&String> = plan
                .iter()
                .filter(|l| l.starts_with("SCAN ") && l.contains("sync_runs"))
                .collect();
            assert!(scans.is_empty(), "{sql}: {plan:#?}");
        }
    }

    /// The runs' series as the metrics read them before `sync_run_kept` (every kept run added
    /// up): what a scrape must still say, whatever was written since.
    const RUNS_ADDED_UP: &str = "SELECT channel, outcome, CAST(SUM(runs) AS BIGINT) AS runs, \
     CAST(SUM(fetched) AS BIGINT) AS fetched, CAST(SUM(inserted) AS BIGINT) AS inserted, \
     CAST(SUM(updated) AS BIGINT) AS updated, CAST(SUM(unchanged) AS BIGINT) AS unchanged, \
     CAST(SUM(quarantined) AS BIGINT) AS quarantined FROM ( \
     SELECT channel, outcome, COUNT(*) AS runs, COALESCE(SUM(fetched), 0) AS fetched, \
     COALESCE(SUM(inserted), 0) AS inserted, COALESCE(SUM(updated), 0) AS updated, \
     COALESCE(SUM(unchanged), 0) AS unchanged, COALESCE(SUM(quarantined), 0) AS quarantined \
     FROM sync_runs WHERE outcome IS NOT NULL GROUP BY channel, outcome \
     UNION ALL SELECT channel, outcome, runs, fetched, inserted, updated, unchanged, quarantined \
     FROM sync_run_totals) r GROUP BY channel, outcome ORDER BY channel, outcome";
    const LAST_OK_ADDED_UP: &str = "SELECT channel, MAX(finished_at) AS finished_at FROM ( \
     SELECT channel, MAX(finished_at) AS finished_at FROM sync_runs WHERE outcome = 'ok' \
     GROUP BY channel UNION ALL SELECT channel, last_finished_at FROM sync_run_totals \
     WHERE outcome = 'ok') r WHERE finished_at IS NOT NULL GROUP BY channel ORDER BY channel";

    /// Both ways of reading the runs' series, each as its rows.
    async fn both_readings(
        store: &Store,
    ) -> [(Vec<Vec<serde_json::Value>>, Vec<Vec<serde_json::Value>>); 2] {
        let mut out = Vec::new();
        for (runs, last_ok) in [(RUNS_SQL, LAST_OK_SQL), (RUNS_ADDED_UP, LAST_OK_ADDED_UP)] {
            out.push((
                store.query(runs).await.unwrap().rows,
                store.query(last_ok).await.unwrap().rows,
            ));
        }
        let [a, b]: [_; 2] = out.try_into().unwrap();
        [a, b]
    }

    /// The counts kept by `sync_run_kept` are those of the runs kept, whatever writes them:
    /// runs written going and then ended, ended at once, closed as interrupted and then
    /// written by their process, moved into `sync_run_totals`, on both stores. A random
    /// history (a fixed seed) of 400 writes, checked after each.
    #[tokio::test]
    async fn the_kept_counts_are_those_of_the_runs_kept_whatever_writes_them() {
        for ts in aduan_store::testing::all().await {
            let mut seed: u64 = 0x5eed_4800_0000_0001;
            let mut draw = |n: u64| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (seed >> 33) % n
            };
            let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .with_timezone(&chrono::Utc);
            let mut going: Vec<aduan_store::RunRecord> = Vec::new();
            for step in 0..400u32 {
                let channel = ["cc112", "sp4n_lapor", "lapor_gub"][draw(3) as usize];
                let at = start + chrono::TimeDelta::minutes(i64::from(step) * 4);
                let outcome = ["ok", "partial", "failed", "skipped"][draw(4) as usize];
                let counts = |draw: &mut dyn FnMut(u64) -> u64| {
                    [draw(50), draw(20), draw(20), draw(30), draw(5)].map(|n| n as i64)
                };
                let run = |id: String, outcome: Option<&str>, c: [i64; 5]| aduan_store::RunRecord {
                    run_id: id,
                    channel: channel.into(),
                    started_at: at,
                    finished_at: outcome.map(|_| at + chrono::TimeDelta::minutes(1)),
                    outcome: outcome.map(str::to_string),
                    fetched: c[0],
                    inserted: c[1],
                    updated: c[2],
                    unchanged: c[3],
                    quarantined: c[4],
                    ..Default::default()
                };
                match draw(6) {
                    // A run going on; later ended (or closed as interrupted).
                    0 => {
                        let r = run(format!("run-{step}"), None, counts(&mut draw));
                        ts.store.save_run(&r).await.unwrap();
                        going.push(r);
                    }
                    1 if !going.is_empty() => {
                        let mut r = going.remove(draw(going.len() as u64) as usize);
                        r.outcome = Some(outcome.into());
                        r.finished_at = Some(at);
                        let c = counts(&mut draw);
                        r.fetched += c[0];
                        r.quarantined += c[4];
                        ts.store.save_run(&r).await.unwrap();
                    }
                    2 => {
                        let closed = ts
                            .store
                            .close_interrupted_runs(channel, "none")
                            .await
                            .unwrap();
                        // A closed run's process still writes its end and counts.
                        if closed > 0 {
                            if let Some(i) = going.iter().position(|r| r.channel == channel) {
                                let mut r = going.remove(i);
                                r.outcome = Some("ok".into());
                                r.finished_at = Some(at);
                                r.updated += 3;
                                ts.store.save_run(&r).await.unwrap();
                            }
                        }
                    }
                    3 => {
                        let before =
                            at - chrono::TimeDelta::minutes(i64::from(draw(200) as u32) * 4);
                        ts.store.prune_runs(channel, before).await.unwrap();
                    }
                    _ => {
                        let r = run(format!("run-{step}"), Some(outcome), counts(&mut draw));
                        ts.store.save_run(&r).await.unwrap();
                    }
                }
                let [now, added_up] = both_readings(&ts.store).await;
                assert_eq!(now, added_up, "{}: step {step}", ts.label);
            }
            let [now, _] = both_readings(&ts.store).await;
            assert!(
                now.0.len() > 4 && !now.1.is_empty(),
                "{}: {now:?}",
                ts.label
            );
        }
    }

    /// Review of session 49: the kept runs emptied at once by hand (an operator's `TRUNCATE
    /// sync_runs` on PostgreSQL, which fires no row or delete trigger; `DELETE FROM
    /// sync_runs` on SQLite) are no longer counted, as when every kept run was added up: they
    /// were counted on in `sync_run_kept`, and a run ended after them added to them.
    #[tokio::test]
    async fn runs_emptied_by_hand_are_no_longer_counted() {
        for ts in aduan_store::testing::all().await {
            let at = chrono::DateTime::parse_from_rfc3339("2026-01-01T01:00:00Z")
                .unwrap()
                .with_timezone(&chrono::Utc);
            let run = |id: &str| aduan_store::RunRecord {
                run_id: id.into(),
                channel: "cc112".into(),
                started_at: at,
                finished_at: Some(at),
                outcome: Some("ok".into()),
                fetched: 5,
                ..Default::default()
            };
            ts.store.save_run(&run("a")).await.unwrap();
            ts.store.save_run(&run("b")).await.unwrap();
            ts.execute(match ts.label {
                "postgres" => "TRUNCATE sync_runs",
                _ => "DELETE FROM sync_runs",
            })
            .await;
            ts.store.save_run(&run("c")).await.unwrap();
            let [now, added_up] = both_readings(&ts.store).await;
            assert_eq!(now, added_up, "{}", ts.label);
        }
    }

    /// A store upgraded with runs kept counts them as they were added up before (the
    /// migration counts the kept runs once).
    #[tokio::test]
    async fn runs_kept_before_the_upgrade_are_counted_once() {
        for ts in aduan_store::testing::all_through(18).await {
            for (id, outcome, fetched) in [
                ("a", Some("ok"), 5),
                ("b", Some("failed"), 7),
                ("c", None, 11),
                ("d", Some("ok"), 13),
            ] {
                let at = chrono::DateTime::parse_from_rfc3339("2026-01-01T01:00:00Z")
                    .unwrap()
                    .with_timezone(&chrono::Utc);
                let run = aduan_store::RunRecord {
                    run_id: id.into(),
                    channel: "cc112".into(),
                    started_at: at,
                    finished_at: outcome.map(|_| at),
                    outcome: outcome.map(str::to_string),
                    fetched,
                    ..Default::default()
                };
                ts.store.save_run(&run).await.unwrap();
            }
            ts.store.migrate().await.unwrap();
            let [now, added_up] = both_readings(&ts.store).await;
            assert_eq!(now, added_up, "{}", ts.label);
            assert_eq!(
                sample_of(
                    &Metrics::default().render(&ts.store, None).await,
                    "aduan_sync_runs_total{channel=\"cc112\",outcome=\"ok\"}"
                ),
                Some("2".to_string()),
                "{}",
                ts.label
            );
        }
    }

    fn sample_of(text: &str, series: &str) -> Option<String> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .map(str::to_string)
    }

    /// A scrape over 300,000 kept runs of five channels (a year of four-minute runs each,
    /// a third of a year kept), on both stores: how long a scrape takes, and that it says
    /// what adding them all up says. Run by hand:
    /// `cargo test -p aduan-service --lib -- --ignored --nocapture a_scrape_over_300_000_runs`.
    #[tokio::test]
    #[ignore = "a benchmark: prints timings"]
    async fn a_scrape_over_300_000_runs() {
        for ts in aduan_store::testing::all().await {
            let started = std::time::Instant::now();
            // (One statement each: a series of 300,000 rows, made by the database.)
            let series = match ts.label {
                "postgres" => "SELECT n FROM generate_series(0, 299999) AS s(n)",
                _ => "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < 299999) SELECT n FROM s",
            };
            let at = match ts.label {
                "postgres" => "TIMESTAMPTZ '2025-01-01 00:00:00+00' + n * INTERVAL '4 minutes'",
                _ => "strftime('%Y-%m-%dT%H:%M:%S.000000Z', '2025-01-01', '+' || (n * 4) || ' minutes')",
            };
            ts.execute(&format!(
                "INSERT INTO sync_runs (run_id, channel, started_at, finished_at, outcome, fetched, inserted, updated, unchanged, quarantined) \
                 SELECT 'run-' || n, 'channel_' || (n % 5), {at}, {at}, \
                 CASE WHEN n % 7 = 0 THEN 'failed' WHEN n % 11 = 0 THEN 'skipped' ELSE 'ok' END, \
                 n % 100, n % 3, n % 5, n % 90, n % 2 FROM ({series}) AS s"
            ))
            .await;
            let filled = started.elapsed();
            let m = Metrics::default();
            let mut times = Vec::new();
            for _ in 0..5 {
                let t = std::time::Instant::now();
                let text = m.render(&ts.store, None).await;
                times.push(t.elapsed());
                assert!(text.contains("aduan_store_up 1\n"), "{text}");
            }
            let t = std::time::Instant::now();
            let [now, added_up] = both_readings(&ts.store).await;
            let both = t.elapsed();
            assert_eq!(now, added_up, "{}", ts.label);
            // A backlog moved into the totals at once (`keep_runs_days` shortened): the
            // kept counts follow in the same statement.
            let t = std::time::Instant::now();
            let cut = chrono::DateTime::parse_from_rfc3339("2025-10-01T00:00:00Z")
                .unwrap()
                .with_timezone(&chrono::Utc);
            let moved = ts.store.prune_runs("channel_0", cut).await.unwrap();
            let pruned = t.elapsed();
            let [now, added_up] = both_readings(&ts.store).await;
            assert_eq!(now, added_up, "{}", ts.label);
            times.sort();
            eprintln!(
                "{}: {moved} runs of a channel moved into the totals in {:.1}s",
                ts.label,
                pruned.as_secs_f64()
            );
            eprintln!(
                "{}: 300,000 runs written in {:.1}s; a scrape: median {:.1} ms (fastest {:.1} ms); \
                 the runs' two queries and the same added up from every run: {:.1} ms",
                ts.label,
                filled.as_secs_f64(),
                times[2].as_secs_f64() * 1e3,
                times[0].as_secs_f64() * 1e3,
                both.as_secs_f64() * 1e3,
            );
        }
    }
}
