//! `aduan serve` as it is deployed: real processes, the simulator on loopback, HTTP polled
//! with deadlines, SIGTERM sent with `kill`, real SQLite files and PostgreSQL schemas.

mod helpers;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use aduan_sim::{Cc112Config, RunningSim, SimConfig, Simulator, Sp4nConfig, Sp4nFaults};
use aduan_store::testing::TestStore;
use aduan_store::RunRecord;
use helpers::serve::*;
use helpers::*;
use sqlx::Connection;

const EVERY_TWO_SECONDS: &str = "*/2 * * * * *";
const EVERY_SECOND: &str = "* * * * * *";

fn sp4n_table(sim: &RunningSim, per_page: u32, schedule: &str, extra: &str) -> String {
    let d = Sp4nConfig::default();
    format!(
        "[channels.sp4n_lapor]\nschedule = \"{schedule}\"\nbase_url = \"{}\"\ninstansi_id = \"{}\"\nclient_id = \"{}\"\nper_page = {per_page}\nretry_base_ms = 20\ntimeout_secs = 5\n{extra}\n",
        sim.sp4n_base_url(),
        d.instansi_id,
        d.client_id
    )
}

fn cc112_table(sim: &RunningSim, schedule: &str) -> String {
    format!(
        "[channels.cc112]\nschedule = \"{schedule}\"\nurl = \"{}\"\nretry_base_ms = 20\ntimeout_secs = 5\n",
        sim.cc112_url()
    )
}

async fn simulator(sp4n: Option<Sp4nConfig>, cc112_days: Option<u32>) -> RunningSim {
    Simulator::start(
        SimConfig {
            seed: 7,
            sp4n_lapor: sp4n,
            cc112: cc112_days.map(|days| Cc112Config {
                days,
                ..Cc112Config::default()
            }),
            ..SimConfig::no_channels()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("simulator starts")
}

fn sp4n_config(reports: usize, faults: Sp4nFaults) -> Sp4nConfig {
    Sp4nConfig {
        reports,
        faults,
        ..Sp4nConfig::default()
    }
}

/// Every request delayed by `delay`: runs that take a while.
fn slow(delay: Duration) -> Sp4nFaults {
    Sp4nFaults {
        timeout_every: Some(1),
        timeout_delay: delay,
        ..Sp4nFaults::default()
    }
}

async fn runs(ts: &TestStore, channel: &str) -> Vec<RunRecord> {
    ts.store.runs(Some(channel)).await.unwrap_or_default()
}

fn with_outcome<'a>(runs: &'a [RunRecord], outcome: &str) -> Vec<&'a RunRecord> {
    runs.iter()
        .filter(|r| r.outcome.as_deref() == Some(outcome))
        .collect()
}

/// `/metrics` lines as `name{labels}` → value, the families read from `sync_runs` only.
fn sync_metrics(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| {
            l.starts_with("aduan_sync_")
                && !l.starts_with("aduan_sync_in_progress")
                && !l.starts_with("aduan_sync_running_since")
        })
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What `/metrics` should say about `runs` (every channel's rows of `sync_runs`).
fn expected_metrics(runs: &[RunRecord]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut per_outcome: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut records: BTreeMap<(String, &str), i64> = BTreeMap::new();
    let mut last_ok = BTreeMap::new();
    for r in runs {
        let Some(outcome) = &r.outcome else { continue };
        *per_outcome
            .entry((r.channel.clone(), outcome.clone()))
            .or_insert(0) += 1;
        for (what, n) in [
            ("fetched", r.fetched),
            ("inserted", r.inserted),
            ("updated", r.updated),
            ("unchanged", r.unchanged),
            ("quarantined", r.quarantined),
        ] {
            *records.entry((r.channel.clone(), what)).or_insert(0) += n;
        }
        if outcome == "ok" {
            if let Some(f) = r.finished_at {
                let e = last_ok.entry(r.channel.clone()).or_insert(f);
                *e = (*e).max(f);
            }
        }
    }
    for ((channel, outcome), n) in per_outcome {
        out.insert(
            format!("aduan_sync_runs_total{{channel=\"{channel}\",outcome=\"{outcome}\"}}"),
            n.to_string(),
        );
    }
    for ((channel, what), n) in records {
        out.insert(
            format!("aduan_sync_records_{what}_total{{channel=\"{channel}\"}}"),
            n.to_string(),
        );
    }
    for (channel, t) in last_ok {
        let secs = t.timestamp() as f64 + f64::from(t.timestamp_subsec_micros()) / 1e6;
        out.insert(
            format!("aduan_sync_last_success_timestamp_seconds{{channel=\"{channel}\"}}"),
            format!("{secs:.3}"),
        );
    }
    out
}

/// Carried note (session 42): SIGHUP ended `aduan serve` at once (exit 129), its runs left
/// unrecorded and their leases held. With nothing to reload, it stops as on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stops_on_sighup_as_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = Serve::start(dir.path(), &[]).await;
    assert_eq!(serve.get("/healthz").await.0, 200, "{}", serve.log());
    serve.signal("HUP");
    let status = serve.exited(Duration::from_secs(30)).await;
    assert!(status.success(), "exit {status}:\n{}", serve.log());
    let log = serve.log();
    assert!(
        log.contains("SIGHUP received") && log.contains("Stopped."),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_no_configuration_starts_on_the_embedded_sqlite_default_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = Serve::start(dir.path(), &[]).await;
    assert_eq!(serve.get("/healthz").await, (200, "ok\n".into()));
    assert_eq!(serve.get("/readyz").await.0, 200, "{}", serve.log());
    let (status, metrics) = serve.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("aduan_store_up 1"), "{metrics}");
    assert!(
        metrics.contains("# TYPE aduan_webhook_deliveries_total counter"),
        "{metrics}"
    );
    assert!(
        dir.path().join("aduan.db").exists(),
        "the default store is aduan.db in the current folder"
    );
    // No token in the environment: the report API is open (and the store empty).
    let (status, report) = serve.get("/api/report?by=channel").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report,
        r#"{"columns":["channel","complaints","open","responded","avg_hours_to_first_response","resolved","avg_hours_to_resolution"],"rows":[]}"#
    );
    serve.stop().await;

    // With a token in the environment, a request without it is refused, and the token is in
    // no log line.
    let token = "a-dashboard-token-of-the-city";
    let mut serve = Serve::start_with_env(dir.path(), &[], &[("ADUAN_API_TOKEN", token)]).await;
    assert_eq!(serve.get("/api/report").await.0, 401);
    assert_eq!(serve.get("/healthz").await.0, 200, "the rest stays open");
    serve.stop().await;
    assert!(!serve.log().contains(token), "{}", serve.log());
}

/// `aduan serve` run in `dir` (with the configuration file `config`, if any) on `listen`,
/// the reporter key set and no database URL from the environment, expected to stop at
/// start-up: how it ended.
fn serve_once(
    dir: &std::path::Path,
    config: Option<&std::path::Path>,
    listen: &str,
) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aduan"));
    if let Some(path) = config {
        command.args(["--config", &path.display().to_string()]);
    }
    command
        .current_dir(dir)
        .args(["serve", "--listen", listen])
        .env_remove("ADUAN_DATABASE_URL")
        .env("ADUAN_REPORTER_KEY", "test-reporter-key")
        .output()
        .unwrap()
}

/// `aduan serve` with `config` as its configuration, expected to stop at start-up; what it
/// printed on stderr.
fn refused_start(config: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aduan.toml");
    std::fs::write(&path, config).unwrap();
    let out = serve_once(dir.path(), Some(&path), "127.0.0.1:0");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    // EX_CONFIG: the systemd unit does not restart on it.
    assert_eq!(out.status.code(), Some(78), "{text}");
    text
}

#[test]
fn an_invalid_schedule_stops_start_up_naming_the_channel_and_the_expression() {
    let text = refused_start("[channels.cc112]\nschedule = \"every day\"\n");
    assert!(
        text.contains("cc112") && text.contains("every day"),
        "{text}"
    );
}

/// A schedule with no time to come (a year field in the past) stops start-up as an invalid
/// one does (review: `0 0 0 1 1 * 2020` started, ready and healthy, ran the channel once for
/// the "missed" tick of 2020 and then never again, saying so in one warning).
#[test]
fn a_schedule_with_no_time_to_come_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aduan.toml");
    std::fs::write(
        &path,
        "[channels.cc112]\nschedule = \"0 0 0 1 1 * 2020\"\nurl = \"http://127.0.0.1:9/\"\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_aduan"))
        .args(["--config", &path.display().to_string()])
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("ADUAN_DATABASE_URL")
        .env("ADUAN_REPORTER_KEY", "test-reporter-key")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut text).unwrap();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(78),
        "serve started with a schedule that never comes: {text}"
    );
    assert!(text.contains("cc112") && text.contains("2020"), "{text}");
}

/// Review: a misspelt channel table was a channel that never ran (serve warned and went on;
/// `aduan sync` refuses it), and a listen address with no port it can be exited 1 (which
/// the unit restarts every 10 s) after the store was opened.
#[test]
fn an_unknown_channel_or_a_bad_listen_address_stops_start_up() {
    let text = refused_start(
        "[channels.smartcity]\nenabled = true\n\n[channels.cc112]\nschedule = \"0 0 * * * *\"\ndir = \"/nowhere\"\n",
    );
    // Said once, though every channel's check finds it.
    assert_eq!(
        text.matches("unknown channel \"smartcity\"").count(),
        1,
        "{text}"
    );
    for addr in ["127.0.0.1:80800", "::1", "localhost"] {
        let dir = tempfile::tempdir().unwrap();
        let out = serve_once(dir.path(), None, addr);
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(78), "{addr}: {text}");
        assert!(text.contains(addr), "{text}");
        assert!(!dir.path().join("aduan.db").exists(), "{text}");
    }
}

#[test]
fn a_missing_webhook_secret_stops_start_up_before_the_store_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aduan.toml");
    std::fs::write(
        &path,
        "[channels.wadul_aladin]\nregister_url = \"http://127.0.0.1:1/register.csv\"\n\
         app_secret_env = \"ADUAN_TEST_UNSET_APP_SECRET\"\n\
         verify_token_env = \"ADUAN_TEST_UNSET_VERIFY_TOKEN\"\n\n\
         [channels.lapor_gub]\nschedule = \"0 0 * * * *\"\nbase_url = \"http://127.0.0.1:1\"\n\
         api_key_env = \"ADUAN_TEST_UNSET_GUB_KEY\"\nkota_id = 3375\n",
    )
    .unwrap();
    let out = serve_once(dir.path(), Some(&path), "127.0.0.1:0");
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{text}");
    // Every missing one is named at once.
    assert!(
        text.contains("ADUAN_TEST_UNSET_APP_SECRET") && text.contains("ADUAN_TEST_UNSET_GUB_KEY"),
        "{text}"
    );
    // The default store (aduan.db in the current folder) was neither made nor migrated.
    assert!(!dir.path().join("aduan.db").exists(), "{text}");
}

/// Walk of the README (session 51): with the shipped channels and no secret set, `aduan
/// serve` named the pull sides' missing secrets one by one and then "2 channels cannot be
/// built: smart_city: … wadul_aladin: …", so Pantau Pekalongan came twice and the count
/// left out the channels named before it. Each channel is named once, with all it lacks,
/// and counted.
#[test]
fn every_channel_missing_secrets_is_named_once_and_counted() {
    let text = refused_start(
        "[channels.lapor_gub]\nschedule = \"0 0 * * * *\"\nbase_url = \"http://127.0.0.1:1\"\n\
         api_key_env = \"ADUAN_TEST_UNSET_GUB_KEY\"\nkota_id = 3375\n\n\
         [channels.smart_city]\nschedule = \"0 0 * * * *\"\nbase_url = \"http://127.0.0.1:1\"\n\
         token_env = \"ADUAN_TEST_UNSET_CITY_TOKEN\"\n\
         webhook_secret_env = \"ADUAN_TEST_UNSET_CITY_SECRET\"\n\n\
         [channels.wadul_aladin]\nschedule = \"0 0 * * * *\"\n\
         register_url = \"http://127.0.0.1:1/register.csv\"\n\
         app_secret_env = \"ADUAN_TEST_UNSET_APP_SECRET\"\n\
         verify_token_env = \"ADUAN_TEST_UNSET_VERIFY_TOKEN\"\n",
    );
    assert!(text.contains("3 channels cannot be built: "), "{text}");
    for channel in ["lapor_gub", "smart_city", "wadul_aladin"] {
        assert_eq!(
            text.matches(&format!("{channel}: configuration:")).count(),
            1,
            "{channel}: {text}"
        );
    }
    for var in [
        "ADUAN_TEST_UNSET_GUB_KEY",
        "ADUAN_TEST_UNSET_CITY_TOKEN",
        "ADUAN_TEST_UNSET_CITY_SECRET",
        "ADUAN_TEST_UNSET_APP_SECRET",
        "ADUAN_TEST_UNSET_VERIFY_TOKEN",
    ] {
        assert!(text.contains(var), "{var}: {text}");
    }
}

/// The report API's token with its file's line end would refuse every dashboard's request
/// with 401: it stops start-up as configuration (78), naming its variable, unseen, before
/// the store is made (deploy review: the service started and answered every request 401).
/// So does the metrics' token, every scrape's.
#[test]
fn a_report_api_or_metrics_token_with_its_line_end_stops_start_up() {
    for var in ["ADUAN_API_TOKEN", "ADUAN_METRICS_TOKEN"] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_aduan"))
            .current_dir(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("ADUAN_DATABASE_URL")
            .env_remove("ADUAN_CONFIG")
            .env_remove("ADUAN_API_TOKEN")
            .env_remove("ADUAN_METRICS_TOKEN")
            .env("ADUAN_REPORTER_KEY", "test-reporter-key")
            .env(var, "dashboard-token-7d1e\n")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("aduan serve started with {var} ending in a line break");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        let mut text = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut text).unwrap();
        assert_eq!(status.code(), Some(78), "{var}: {text}");
        assert!(text.contains(var) && !text.contains("7d1e"), "{text}");
        assert!(!dir.path().join("aduan.db").exists(), "{text}");
    }
}

/// A start that fails for a reason a restart may cure (here the address is taken) exits
/// with 1, which the systemd unit restarts on; a configuration file that cannot be read
/// exits with 78, which it does not.
#[test]
fn a_start_that_may_succeed_later_exits_with_1_and_a_wrong_configuration_with_78() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = serve_once(dir.path(), None, &addr);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(&addr), "{text}");
    drop(taken);
    let text = refused_start("[channels.cc112\n");
    assert!(text.contains("configuration"), "{text}");
}

#[test]
fn serve_has_help_naming_its_listen_address() {
    let out = Command::new(env!("CARGO_BIN_EXE_aduan"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("Usage: aduan serve") && text.contains("--listen"),
        "{text}"
    );
}

/// A tick that passed with no run (the first start, or the service down at it) runs at start,
/// not at the next tick (a year away here); a restart after that run runs nothing at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_missed_while_the_service_was_not_running_runs_at_start() {
    const NEW_YEAR: &str = "0 0 0 1 1 *";
    let sim = simulator(Some(sp4n_config(30, Sp4nFaults::default())), None).await;
    for ts in all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        // Runs are dated back to 2000 below: kept (not moved into the totals).
        let keep = "[sync]\nkeep_runs_days = 36500\n".to_string();
        let args = config(
            dir.path(),
            &ts,
            &[sp4n_table(&sim, 100, NEW_YEAR, ""), keep],
        );
        let ok_runs = || async { with_outcome(&runs(&ts, "sp4n_lapor").await, "ok").len() };
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        eventually(
            "the run of the missed tick",
            Duration::from_secs(60),
            || serve.log(),
            || async { (ok_runs().await == 1).then_some(()) },
        )
        .await;
        assert!(serve.log().contains("was missed"), "{}", serve.log());
        serve.stop().await;

        // Restarted: its last run was after the last tick.
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(ok_runs().await, 1, "{}: {}", ts.label, serve.log());
        assert!(!serve.log().contains("was missed"), "{}", serve.log());
        serve.stop().await;

        // Down since before the last tick.
        ts.execute("UPDATE sync_runs SET started_at = '2000-01-01T00:00:00Z'")
            .await;
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        eventually(
            "the run of the tick missed while down",
            Duration::from_secs(60),
            || serve.log(),
            || async { (ok_runs().await == 2).then_some(()) },
        )
        .await;
        serve.stop().await;

        // Killed in the middle of the tick's run: the run never recorded its end. A restart
        // runs the tick again (review: the killed run counted as the tick's, and a daily
        // channel waited a day), and the killed run is recorded as failed, saying so.
        ts.execute(
            "UPDATE sync_runs SET outcome = NULL, finished_at = NULL WHERE run_id = \
             (SELECT run_id FROM sync_runs ORDER BY started_at DESC LIMIT 1)",
        )
        .await;
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        eventually(
            "the run of the tick whose run was killed",
            Duration::from_secs(60),
            || serve.log(),
            || async { (ok_runs().await == 2).then_some(()) },
        )
        .await;
        serve.stop().await;
        let all = runs(&ts, "sp4n_lapor").await;
        let failed = with_outcome(&all, "failed");
        assert_eq!((all.len(), failed.len()), (3, 1), "{}: {all:?}", ts.label);
        assert_eq!(
            failed[0].error.as_deref(),
            Some(aduan_store::INTERRUPTED),
            "{}",
            ts.label
        );

        // Down since before the last tick, and a run skipped since (a killed process's
        // lease outlived it): a skipped run is not the tick's run.
        ts.execute("UPDATE sync_runs SET started_at = '2000-01-01T00:00:00Z'")
            .await;
        ts.execute(&format!(
            "UPDATE sync_runs SET outcome = 'skipped', started_at = '{}' WHERE run_id = \
             (SELECT MAX(run_id) FROM sync_runs WHERE outcome = 'ok')",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        ))
        .await;
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        eventually(
            "the run of the tick whose run was skipped",
            Duration::from_secs(60),
            || serve.log(),
            || async { (ok_runs().await == 2).then_some(()) },
        )
        .await;
        serve.stop().await;

        // The tick's run ended, and a run skipped after it (another replica's, say): the tick
        // is not missed (review: the skipped run hid the one that ran).
        ts.execute(&format!(
            "UPDATE sync_runs SET outcome = 'skipped', started_at = '{}' WHERE outcome = 'failed'",
            (chrono::Utc::now() + chrono::Duration::seconds(1)).format("%Y-%m-%dT%H:%M:%SZ")
        ))
        .await;
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(ok_runs().await, 2, "{}: {}", ts.label, serve.log());
        assert!(!serve.log().contains("was missed"), "{}", serve.log());
        serve.stop().await;

        // The tick's run stopped by a shutdown (a restart): its work is done at start
        // (review: the rest waited for the next tick, a year away here).
        ts.execute(&format!(
            "UPDATE sync_runs SET outcome = 'partial', error = '{}' WHERE run_id = \
             (SELECT run_id FROM sync_runs WHERE outcome = 'ok' ORDER BY started_at DESC LIMIT 1)",
            aduan_sync::stopped_by_shutdown("sp4n_lapor")
        ))
        .await;
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        eventually(
            "the run of the tick whose run a shutdown stopped",
            Duration::from_secs(60),
            || serve.log(),
            || async { (ok_runs().await == 2).then_some(()) },
        )
        .await;
        assert!(serve.log().contains("was missed"), "{}", serve.log());
        serve.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_every_two_seconds_syncs_the_pull_channels_and_metrics_match_sync_runs() {
    let sim = simulator(Some(sp4n_config(300, Sp4nFaults::default())), Some(30)).await;
    let calls = sim.cc112_stats().calls as i64;
    for ts in all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        let args = config(
            dir.path(),
            &ts,
            &[
                sp4n_table(&sim, 100, EVERY_TWO_SECONDS, ""),
                cc112_table(&sim, EVERY_TWO_SECONDS),
            ],
        );
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        eventually(
            "two successful runs of each channel",
            Duration::from_secs(90),
            || serve.log(),
            || async {
                let sp4n = runs(&ts, "sp4n_lapor").await;
                let cc112 = runs(&ts, "cc112").await;
                (with_outcome(&sp4n, "ok").len() >= 2 && with_outcome(&cc112, "ok").len() >= 2)
                    .then_some(())
            },
        )
        .await;
        assert_eq!(
            count(
                &ts,
                "SELECT COUNT(*) FROM complaints WHERE channel = 'sp4n_lapor'"
            )
            .await,
            300,
            "{}",
            ts.label
        );
        let stored_calls = count(
            &ts,
            "SELECT COUNT(*) FROM raw_records WHERE channel = 'cc112'",
        )
        .await;
        assert!(
            stored_calls >= calls && calls > 0,
            "{}: {stored_calls} rows of {calls} calls",
            ts.label
        );

        // Between two equal scrapes no run ended, so the table read in between is theirs.
        let (scraped, expected) = eventually(
            "two equal scrapes of /metrics",
            Duration::from_secs(60),
            || serve.log(),
            || async {
                let first = sync_metrics(&serve.get("/metrics").await.1);
                let all = ts.store.runs(None).await.ok()?;
                let second = sync_metrics(&serve.get("/metrics").await.1);
                (first == second).then(|| (first, expected_metrics(&all)))
            },
        )
        .await;
        assert_eq!(scraped, expected, "{}", ts.label);
        assert!(
            scraped.contains_key("aduan_sync_last_success_timestamp_seconds{channel=\"cc112\"}"),
            "{scraped:?}"
        );
        serve.stop().await;
        let unfinished = ts
            .store
            .runs(None)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.outcome.is_none())
            .count();
        assert_eq!(unfinished, 0, "{}: every run ended", ts.label);
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_when_the_database_is_gone_and_recovers() {
    for ts in all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        let args = config(dir.path(), &ts, &[]);
        let mut serve = Serve::start(dir.path(), &strs(&args)).await;
        assert_eq!(serve.get("/readyz").await.0, 200, "{}", serve.log());

        match &ts.schema {
            Some(schema) => {
                let mut conn = sqlx::PgConnection::connect(&ts.url).await.unwrap();
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            None => {
                let mut conn = sqlx::SqliteConnection::connect(&ts.url).await.unwrap();
                sqlx::query("ALTER TABLE schema_migrations RENAME TO schema_migrations_away")
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
        let body = eventually(
            "/readyz to fail",
            Duration::from_secs(30),
            || serve.log(),
            || async {
                let (status, body) = serve.get("/readyz").await;
                (status == 503).then_some(body)
            },
        )
        .await;
        assert!(body.contains("schema_migrations"), "{}: {body}", ts.label);
        assert_eq!(serve.get("/healthz").await.0, 200, "alive all the same");
        if ts.schema.is_some() {
            // The whole schema is gone, `sync_runs` with it.
            assert!(
                serve.get("/metrics").await.1.contains("aduan_store_up 0"),
                "{}",
                ts.label
            );
        }

        match &ts.schema {
            Some(schema) => {
                aduan_store::Store::open_postgres_in_schema(&ts.url, schema)
                    .await
                    .unwrap();
            }
            None => {
                let mut conn = sqlx::SqliteConnection::connect(&ts.url).await.unwrap();
                sqlx::query("ALTER TABLE schema_migrations_away RENAME TO schema_migrations")
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
        eventually(
            "/readyz to recover",
            Duration::from_secs(30),
            || serve.log(),
            || async { (serve.get("/readyz").await.0 == 200).then_some(()) },
        )
        .await;
        serve.stop().await;
    }
}

/// A `serve` left running after another process rebuilt the tables with another reporter
/// key stores nothing (its commits are refused): it says so where a supervisor looks, its
/// readiness and its metrics, and is ready again once restarted. So does one that only
/// takes webhooks (it folds them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serve_whose_tables_another_process_rebuilt_otherwise_is_not_ready() {
    let sim = simulator(Some(sp4n_config(40, Sp4nFaults::default())), None).await;
    // A schedule that does not come round while the test runs; a push channel with none.
    let scheduled = sp4n_table(&sim, 20, "0 0 0 1 1 *", "");
    let webhooks_only = "[channels.smart_city]\nbase_url = \"http://127.0.0.1:1\"\n".to_string();
    for ts in all_stores().await {
        for table in [&scheduled, &webhooks_only] {
            let dir = tempfile::tempdir().unwrap();
            let args = config(dir.path(), &ts, std::slice::from_ref(table));
            let mut serve = Serve::start(dir.path(), &strs(&args)).await;
            assert_eq!(serve.get("/readyz").await.0, 200, "{}", serve.log());
            let metrics = serve.get("/metrics").await.1;
            assert!(
                metrics.contains("aduan_tables_built_otherwise 0"),
                "{metrics}"
            );

            // (A run the serve started, a missed tick's at start, holds its channel a
            // moment: the renormalise is tried again then, as an operator would.)
            let renormalise = || {
                Command::new(env!("CARGO_BIN_EXE_aduan"))
                    .current_dir(dir.path())
                    .args(strs(&args))
                    .arg("renormalise")
                    .env_remove("ADUAN_DATABASE_URL")
                    .env_remove("ADUAN_CONFIG")
                    .env("ADUAN_REPORTER_KEY", "another-reporter-key-0123456789")
                    .output()
                    .unwrap()
            };
            let mut other = renormalise();
            for _ in 0..80 {
                let busy =
                    String::from_utf8_lossy(&other.stderr).contains("another run holds the lease");
                if !busy {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
                other = renormalise();
            }
            assert!(
                other.status.success(),
                "{}",
                String::from_utf8_lossy(&other.stderr)
            );
            let (status, body) = serve.get("/readyz").await;
            assert_eq!(status, 503, "{}: {body}", ts.label);
            assert!(
                body.contains("not ready: the unified tables are built with")
                    && body.contains("restart"),
                "{}: {body}",
                ts.label
            );
            assert!(!body.contains("another-reporter-key"), "{body}");
            // Nor the digests: a key's fingerprint, unauthenticated, lets a guess be tested.
            assert!(!body.contains("key=") && !body.contains("rules="), "{body}");
            let metrics = serve.get("/metrics").await.1;
            assert!(
                metrics.contains("aduan_tables_built_otherwise 1"),
                "{metrics}"
            );
            serve.stop().await;

            // Restarted, it rebuilds them with its own key before it listens.
            let mut serve = Serve::start(dir.path(), &strs(&args)).await;
            assert_eq!(serve.get("/readyz").await.0, 200, "{}", serve.log());
            serve.stop().await;
        }
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_in_the_middle_of_a_large_sync_leaves_a_consistent_store_and_a_restart_completes_it(
) {
    const REPORTS: i64 = 20_000;
    let sim = simulator(
        Some(sp4n_config(
            REPORTS as usize,
            slow(Duration::from_millis(50)),
        )),
        None,
    )
    .await;
    let ts = sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let args = config(
        dir.path(),
        &ts,
        &[sp4n_table(&sim, 20, EVERY_TWO_SECONDS, "")],
    );
    let mut serve = Serve::start(dir.path(), &strs(&args)).await;
    // More than a resumed run re-reads at its pages' edges (about one report a page), so that
    // resuming at the cursor shows in what it fetches.
    eventually(
        "some batches committed",
        Duration::from_secs(60),
        || serve.log(),
        || async { (count(&ts, "SELECT COUNT(*) FROM complaints").await >= 2_000).then_some(()) },
    )
    .await;
    serve.stop().await;

    let stopped = runs(&ts, "sp4n_lapor").await;
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    let first = &stopped[0];
    assert_eq!(first.outcome.as_deref(), Some("partial"), "{first:?}");
    assert!(
        first
            .error
            .as_deref()
            .is_some_and(|e| e.contains("stopped by shutdown")),
        "{first:?}"
    );
    let complaints = count(&ts, "SELECT COUNT(*) FROM complaints").await;
    assert!(
        complaints < REPORTS,
        "stopped in the middle: {complaints} stored"
    );
    assert_eq!(first.inserted, complaints, "the run row matches the table");
    assert_eq!(
        count(&ts, "SELECT COUNT(DISTINCT external_id) FROM complaints").await,
        complaints
    );
    assert_eq!(
        count(&ts, "SELECT COUNT(*) FROM raw_records").await,
        complaints,
        "every stored complaint archived, nothing archived without its complaint"
    );
    assert_eq!(
        count(&ts, "SELECT COUNT(*) FROM sync_leases").await,
        0,
        "the lease was given back"
    );
    assert!(ts.store.cursor("sp4n_lapor").await.unwrap().is_some());

    sim.sp4n_set_faults(Sp4nFaults::default());
    let mut serve = Serve::start(dir.path(), &strs(&args)).await;
    let all = eventually(
        "the restarted service to finish the sync",
        Duration::from_secs(300),
        || serve.log(),
        || async {
            let all = runs(&ts, "sp4n_lapor").await;
            (!with_outcome(&all, "ok").is_empty()).then_some(all)
        },
    )
    .await;
    serve.stop().await;
    let resumed = all
        .iter()
        .find(|r| r.run_id != first.run_id)
        .expect("a second run");
    assert!(
        resumed.fetched < REPORTS,
        "the restart resumes at the cursor: {resumed:?}"
    );
    assert_eq!(count(&ts, "SELECT COUNT(*) FROM complaints").await, REPORTS);
    assert_eq!(
        count(&ts, "SELECT COUNT(DISTINCT external_id) FROM complaints").await,
        REPORTS
    );
    assert_eq!(
        count(&ts, "SELECT COUNT(*) FROM raw_records").await,
        REPORTS
    );
    let inserted: i64 = runs(&ts, "sp4n_lapor")
        .await
        .iter()
        .map(|r| r.inserted)
        .sum();
    assert_eq!(inserted, REPORTS, "every record inserted exactly once");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgresql_never_run_the_same_channel_at_the_same_time() {
    let Some(ts) = aduan_store::testing::postgres().await else {
        return;
    };
    let sim = simulator(
        Some(sp4n_config(500, slow(Duration::from_millis(100)))),
        Some(30),
    )
    .await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut replicas = Vec::new();
    for dir in &dirs {
        let args = config(
            dir.path(),
            &ts,
            &[
                sp4n_table(&sim, 50, EVERY_SECOND, ""),
                cc112_table(&sim, EVERY_SECOND),
            ],
        );
        replicas.push(Serve::start(dir.path(), &strs(&args)).await);
    }
    let logs = || {
        replicas
            .iter()
            .map(Serve::log)
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    eventually(
        "five runs of SP4N-LAPOR! and a tick that found the other replica running",
        Duration::from_secs(120),
        logs,
        || async {
            let all = runs(&ts, "sp4n_lapor").await;
            let done = all
                .iter()
                .filter(|r| r.outcome.as_deref().is_some_and(|o| o != "skipped"))
                .count();
            (done >= 5 && !with_outcome(&all, "skipped").is_empty()).then_some(())
        },
    )
    .await;
    for serve in &mut replicas {
        serve.stop().await;
    }
    for channel in ["sp4n_lapor", "cc112"] {
        let all = runs(&ts, channel).await;
        assert!(
            all.iter().all(|r| r.outcome.is_some()),
            "{channel}: every run ended: {all:?}"
        );
        let mut ran: Vec<&RunRecord> = all
            .iter()
            .filter(|r| r.outcome.as_deref() != Some("skipped"))
            .collect();
        ran.sort_by_key(|r| r.started_at);
        for pair in ran.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let a_end = a.finished_at.expect("ended");
            assert!(
                b.started_at >= a_end,
                "{channel}: run {} [{} – {}] overlaps run {} starting {}",
                a.run_id,
                a.started_at,
                a_end,
                b.run_id,
                b.started_at
            );
        }
    }
    assert_eq!(
        count(
            &ts,
            "SELECT COUNT(*) FROM complaints WHERE channel = 'sp4n_lapor'"
        )
        .await,
        500
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_channel_backs_off_and_never_stops_the_others() {
    let sim = simulator(
        Some(sp4n_config(
            100,
            Sp4nFaults {
                fail_after_requests: Some(0),
                ..Sp4nFaults::default()
            },
        )),
        Some(30),
    )
    .await;
    let ts = sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = config(
        dir.path(),
        &ts,
        &[
            "[service]\nbackoff_initial_secs = 3\nbackoff_max_secs = 6\n".to_string(),
            sp4n_table(&sim, 50, EVERY_SECOND, "max_attempts = 2"),
            cc112_table(&sim, EVERY_SECOND),
        ],
    );
    args.extend(["--log-format".to_string(), "json".to_string()]);
    let mut serve = Serve::start(dir.path(), &strs(&args)).await;
    eventually(
        "SP4N-LAPOR! to fail and back off while 112 syncs",
        Duration::from_secs(90),
        || serve.log(),
        || async {
            let failed = with_outcome(&runs(&ts, "sp4n_lapor").await, "failed").len();
            let ok = with_outcome(&runs(&ts, "cc112").await, "ok").len();
            let metrics = serve.get("/metrics").await.1;
            let backed_off = metrics.lines().any(|l| {
                l.starts_with(
                    "aduan_schedule_ticks_skipped_total{channel=\"sp4n_lapor\",reason=\"backoff\"}",
                ) && !l.ends_with(" 0")
            });
            (failed >= 1 && ok >= 2 && backed_off).then_some(())
        },
    )
    .await;
    assert!(
        count(
            &ts,
            "SELECT COUNT(*) FROM complaints WHERE channel = 'cc112'"
        )
        .await
            > 0
    );

    sim.sp4n_set_faults(Sp4nFaults::default());
    eventually(
        "SP4N-LAPOR! to recover after its back-off",
        Duration::from_secs(60),
        || serve.log(),
        || async { (!with_outcome(&runs(&ts, "sp4n_lapor").await, "ok").is_empty()).then_some(()) },
    )
    .await;
    assert_eq!(
        count(
            &ts,
            "SELECT COUNT(*) FROM complaints WHERE channel = 'sp4n_lapor'"
        )
        .await,
        100
    );
    serve.stop().await;
    let log = serve.log();
    let first = log.lines().next().unwrap_or_default();
    assert!(
        serde_json::from_str::<serde_json::Value>(first).is_ok(),
        "--log-format json logs JSON lines: {first}"
    );
    assert!(log.contains("backs off"), "the back-off is logged: {log}");
    assert!(
        !log.contains(&Sp4nConfig::default().client_secret) && !log.contains(REPORTER_KEY),
        "a secret was logged"
    );
    sim.shutdown().await;
}

/// Review: a run skipped because another process held the channel started the back-off
/// over, so two services on one store asked a failing source as often as after one failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_skipped_on_another_s_lease_keeps_the_back_off_doubling() {
    let sim = simulator(
        Some(sp4n_config(
            20,
            Sp4nFaults {
                fail_after_requests: Some(0),
                ..Sp4nFaults::default()
            },
        )),
        None,
    )
    .await;
    let ts = sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = config(
        dir.path(),
        &ts,
        &[
            "[service]\nbackoff_initial_secs = 1\nbackoff_max_secs = 60\n".to_string(),
            sp4n_table(&sim, 50, EVERY_SECOND, "max_attempts = 1"),
        ],
    );
    args.extend(["--log-format".to_string(), "json".to_string()]);
    let mut serve = Serve::start(dir.path(), &strs(&args)).await;
    // The failures each "Run failed" line counts, in order.
    let failures = |log: &str| -> Vec<u64> {
        log.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v.to_string().contains("Run failed; the channel backs off."))
            .filter_map(|v| v["fields"]["failures"].as_u64())
            .collect()
    };
    eventually(
        "SP4N-LAPOR! to fail once",
        Duration::from_secs(60),
        || serve.log(),
        || async { (!failures(&serve.log()).is_empty()).then_some(()) },
    )
    .await;
    // Another process's run holds the channel while the back-off ends: the next run is
    // skipped.
    let other = aduan_store::Store::open(&ts.url).await.unwrap();
    let lease = other
        .try_lease("sp4n_lapor", "another-run", Duration::from_secs(120))
        .await
        .unwrap()
        .expect("the lease");
    eventually(
        "a run of SP4N-LAPOR! to be skipped on the other's lease",
        Duration::from_secs(60),
        || serve.log(),
        || async {
            (!with_outcome(&runs(&ts, "sp4n_lapor").await, "skipped").is_empty()).then_some(())
        },
    )
    .await;
    let before = failures(&serve.log()).len();
    lease.release().await.unwrap();
    eventually(
        "SP4N-LAPOR! to fail again after the skipped run",
        Duration::from_secs(60),
        || serve.log(),
        || async { (failures(&serve.log()).len() > before).then_some(()) },
    )
    .await;
    serve.stop().await;
    let counted = failures(&serve.log());
    let expected: Vec<u64> = (1..=counted.len() as u64).collect();
    assert_eq!(counted, expected, "{}", serve.log());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_keep_the_newest_and_leave_other_files_alone() {
    let sim = simulator(Some(sp4n_config(80, Sp4nFaults::default())), None).await;
    let ts = sqlite_store().await;
    engine(&ts)
        .sync(&sp4n(&sim, 50), &aduan_sync::NoProgress)
        .await
        .unwrap();
    let complaints = count(&ts, "SELECT COUNT(*) FROM complaints").await;
    assert!(complaints > 0);
    let dir = tempfile::tempdir().unwrap();
    // A relative folder is beside the store, whatever folder the service runs in (review:
    // it was the service's folder).
    let store_file = std::path::PathBuf::from(aduan_store::sqlite_path(&ts.url).unwrap());
    let folder = store_file.parent().unwrap().join("backups");
    assert_ne!(store_file.parent(), Some(dir.path()));
    std::fs::create_dir_all(&folder).unwrap();
    // An old backup, what an interrupted one left (unchanged for an hour), one being written
    // by an `aduan backup` into the folder (changed just now: left), and a file of someone
    // else's.
    let old = "aduan-20000101T000000Z.db";
    let interrupted = "aduan-20000101T000001Z.db.partial";
    let writing = "aduan-20000101T000002Z.db.partial";
    for name in [old, writing, "notes.txt"] {
        std::fs::write(folder.join(name), name).unwrap();
    }
    write_aged(
        &folder.join(interrupted),
        interrupted.as_bytes(),
        Duration::from_secs(3600),
    );
    let table = format!("[backup]\nschedule = \"{EVERY_SECOND}\"\ndir = \"backups\"\nkeep = 2\n");
    let args = config(dir.path(), &ts, &[table]);
    let mut serve = Serve::start(dir.path(), &strs(&args)).await;
    let metrics = eventually(
        "three backups written",
        Duration::from_secs(60),
        || serve.log(),
        || async {
            let text = serve.get("/metrics").await.1;
            let written = text
                .lines()
                .find_map(|l| l.strip_prefix("aduan_backups_total{outcome=\"written\"} "))
                .and_then(|n| n.trim().parse::<u64>().ok())?;
            (written >= 3).then_some(text)
        },
    )
    .await;
    assert!(
        metrics.contains("aduan_backups_total{outcome=\"failed\"} 0")
            && metrics.contains("aduan_backup_last_success_timestamp_seconds "),
        "{metrics}"
    );
    serve.stop().await;
    // No channel is scheduled, but the backups are (review, session 46: the log said it served
    // health, readiness, metrics and the report API "only").
    let log = serve.log();
    assert!(
        log.contains("No enabled channel has a schedule or webhooks; the backups are scheduled")
            && !log.contains("report API only"),
        "{log}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let backups: Vec<&String> = names.iter().filter(|n| n.ends_with("Z.db")).collect();
    assert_eq!(backups.len(), 2, "the newest two are kept: {names:?}");
    assert!(
        !names.iter().any(|n| n == old || n == interrupted),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n == "notes.txt") && names.iter().any(|n| n == writing),
        "{names:?}"
    );
    assert!(
        !dir.path().join("backups").exists(),
        "none in the service's folder"
    );
    for name in backups {
        let copy =
            aduan_store::Store::open_as_is(&format!("sqlite:{}", folder.join(name).display()))
                .await
                .unwrap();
        let rows = copy
            .query("SELECT COUNT(*) FROM complaints")
            .await
            .unwrap()
            .rows;
        assert_eq!(rows[0][0], serde_json::json!(complaints), "{name}");
        copy.close().await;
    }
    sim.shutdown().await;
}

#[test]
fn a_backup_schedule_on_a_postgresql_store_stops_start_up() {
    let text = refused_start(
        "[store]\nurl = \"postgres://aduan@127.0.0.1:1/aduan\"\n\n[backup]\nschedule = \"0 0 2 * * *\"\n",
    );
    assert!(
        text.contains("[backup] schedule is set, but the store is PostgreSQL"),
        "{text}"
    );
}

/// A source answering `429` with a `Retry-After` longer than the transport honours ends the
/// run at once (as it should); the channel then asks again no sooner than it was asked to
/// wait, whatever its back-off (review: with the default back-off of 60 s, a source that
/// asked for an hour of quiet was asked again after 1, 3, 7, 15 and 31 minutes; here, with
/// a back-off of 1 s, every few seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_asking_for_an_hour_is_not_asked_again_within_the_hour() {
    use std::sync::atomic::Ordering;
    let ServingCc112 {
        mut serve,
        args: _args,
        dir: _dir,
        ts: _ts,
        server,
        asked,
    } = serving_cc112_failed_once(TOO_MANY_FOR_AN_HOUR, 2, "the first run, answered 429").await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    let n = asked.load(Ordering::SeqCst);
    serve.stop().await;
    server.abort();
    assert_eq!(
        n,
        1,
        "asked {n} times within 8 s of being asked to wait an hour: {}",
        serve.log()
    );
}

/// A loopback server answering every request with `answer`, counting the requests.
async fn answering(
    answer: &'static str,
) -> (
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let server = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, asked, server)
}

/// A `429` asking for an hour.
const TOO_MANY_FOR_AN_HOUR: &str = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 3600\r\n\
    content-length: 2\r\nconnection: close\r\n\r\n{}";

/// `aduan serve` on a SQLite store with 112 scheduled every second on a loopback source
/// (see [`answering`]), backing off from 1 s to at most `backoff_max_secs`, after the
/// channel's first run failed.
struct ServingCc112 {
    serve: Serve,
    args: Vec<String>,
    dir: tempfile::TempDir,
    ts: TestStore,
    server: tokio::task::JoinHandle<()>,
    asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Starts [`ServingCc112`] on a source answering `answer` and waits for the first run to
/// end failed (`first_run` names it if it never does).
async fn serving_cc112_failed_once(
    answer: &'static str,
    backoff_max_secs: u64,
    first_run: &str,
) -> ServingCc112 {
    let (url, asked, server) = answering(answer).await;
    let ts = sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let args = config(
        dir.path(),
        &ts,
        &[
            format!("[service]\nbackoff_initial_secs = 1\nbackoff_max_secs = {backoff_max_secs}\n"),
            format!(
                "[channels.cc112]\nschedule = \"{EVERY_SECOND}\"\nurl = \"{url}\"\nretry_base_ms = 20\ntimeout_secs = 5\n"
            ),
        ],
    );
    let serve = Serve::start(dir.path(), &strs(&args)).await;
    eventually(
        first_run,
        Duration::from_secs(30),
        || serve.log(),
        || async { (!with_outcome(&runs(&ts, "cc112").await, "failed").is_empty()).then_some(()) },
    )
    .await;
    ServingCc112 {
        serve,
        args,
        dir,
        ts,
        server,
        asked,
    }
}

/// Session 49 (pull): the wait a source asked for was read back from the run's error, whose
/// last "asked to wait N s (Retry-After)" counted, and the error quotes the source's answer
/// after the transport's words: a body holding them decided how long the channel was held
/// back. Here a `429` asking for an hour whose body says a second is not asked again within
/// seconds (it was, every few), and a `500` without a `Retry-After` whose body says a day is
/// asked again after the back-off of a second (it was held back a day).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_a_body_names_does_not_decide_how_long_a_channel_is_held_back() {
    use std::sync::atomic::Ordering;
    let (cc112_url, cc112_asked, cc112_server) = answering(
        "HTTP/1.1 429 Too Many Requests\r\nretry-after: 3600\r\ncontent-type: application/json\r\n\
         content-length: 43\r\nconnection: close\r\n\r\n{\"error\":\"asked to wait 1 s (Retry-After)\"}",
    )
    .await;
    let (gub_url, gub_asked, gub_server) = answering(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n\
         content-length: 47\r\nconnection: close\r\n\r\n{\"error\":\"asked to wait 86400 s (Retry-After)\"}",
    )
    .await;
    let ts = sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let args = config(
        dir.path(),
        &ts,
        &[
            "[service]\nbackoff_initial_secs = 1\nbackoff_max_secs = 2\n".to_string(),
            format!(
                "[channels.cc112]\nschedule = \"{EVERY_SECOND}\"\nurl = \"{cc112_url}\"\nretry_base_ms = 20\ntimeout_secs = 5\n"
            ),
            format!(
                "[channels.lapor_gub]\nschedule = \"{EVERY_SECOND}\"\nbase_url = \"{gub_url}\"\nrequests_per_minute = 0\nmax_attempts = 1\nretry_base_ms = 20\ntimeout_secs = 5\n"
            ),
        ],
    );
    let mut serve = Serve::start_with_env(
        dir.path(),
        &strs(&args),
        &[("ADUAN_LAPOR_GUB_API_KEY", "gub-key")],
    )
    .await;
    eventually(
        "the first run of 112, answered 429, and two of Lapor Gub!, answered 500",
        Duration::from_secs(30),
        || serve.log(),
        || async {
            let cc112 = with_outcome(&runs(&ts, "cc112").await, "failed").len();
            let gub = with_outcome(&runs(&ts, "lapor_gub").await, "failed").len();
            (cc112 >= 1 && gub >= 2).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let n = cc112_asked.load(Ordering::SeqCst);
    serve.stop().await;
    cc112_server.abort();
    gub_server.abort();
    assert!(gub_asked.load(Ordering::SeqCst) >= 2);
    assert_eq!(
        n,
        1,
        "asked {n} times within 6 s of being asked to wait an hour: {}",
        serve.log()
    );
}

/// A pull channel whose every run asks `url` once through a client with `policy`, and reads
/// nothing (the answer is what the test looks at).
struct AskingOnce {
    http: aduan_transport::HttpClient,
    url: String,
}

impl aduan_core::DynPullConnector for AskingOnce {
    fn channel(&self) -> &'static str {
        "sp4n_lapor"
    }
    fn open<'life0, 'async_trait>(
        &'life0 self,
        _cursor: Option<String>,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = aduan_core::Result<Box<dyn aduan_core::BatchSource>>>
                + Send
                + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let resp = self.http.send("GET aduan", |c| c.get(&self.url)).await?;
            Err(resp.unexpected("sp4n_lapor", "GET aduan"))
        })
    }
    fn parse(
        &self,
        _raw: &aduan_core::RawRecord,
    ) -> Result<Vec<aduan_core::SourceComplaint>, aduan_core::FieldError> {
        Ok(Vec::new())
    }
    fn fold(&self) -> Option<aduan_core::Fold> {
        None
    }
}

/// A `429` asking for 30 s.
const TOO_MANY_FOR_30_S: &str = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 30\r\n\
    content-length: 2\r\nconnection: close\r\n\r\n{}";

/// Session 49 (pull): a `429` whose `Retry-After` would hold its request up past
/// `max_rate_limit_wait` stopped the run without naming the wait (a `503` on that bound
/// names it), so that the scheduler asked the source again after its own back-off, sooner
/// than asked. Both bounds hold the channel back as long as the source asked: here a source
/// asking for 30 s, on a request allowed to be held up 2 s, is asked once within 6 s, though
/// its schedule is every second and its back-off a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_held_past_its_bound_holds_the_channel_back_as_long_as_asked() {
    let (url, asked, server) = answering(TOO_MANY_FOR_30_S).await;
    let ts = sqlite_store().await;
    let options = aduan_service::ServiceOptions {
        backoff_initial: Duration::from_secs(1),
        backoff_max: Duration::from_secs(2),
        ..aduan_service::ServiceOptions::default()
    };
    let policy = aduan_transport::RetryPolicy {
        max_rate_limit_wait: Duration::from_secs(2),
        ..aduan_transport::RetryPolicy::from_settings(5, 6, 10)
    };
    let connector = AskingOnce {
        http: aduan_transport::HttpClient::new("sp4n_lapor", policy).unwrap(),
        url,
    };
    let engine = engine(&ts);
    asked_once_in_6_s(
        &ts,
        (engine, options),
        Box::new(connector),
        &asked,
        ("failed", "asked to wait 30 s (Retry-After)"),
    )
    .await;
    server.abort();
}

/// Schedules `connector` every second in a service of `engine` and `options` on `ts`, and
/// checks that 6 s after the channel's first run ended `outcome` the source, whose requests
/// `asked` counts, had been asked once (as its `429` asking for 30 s allows), and that the
/// first run's error says `said`.
async fn asked_once_in_6_s(
    ts: &TestStore,
    (engine, options): (aduan_sync::Engine, aduan_service::ServiceOptions),
    connector: Box<dyn aduan_core::DynPullConnector>,
    asked: &std::sync::atomic::AtomicUsize,
    (outcome, said): (&str, &str),
) {
    let name = connector.channel();
    let channel =
        aduan_service::ScheduledChannel::new(connector, EVERY_SECOND, options.schedule_tz).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(
        aduan_service::Service::new(ts.store.clone(), options)
            .schedule(engine, vec![channel])
            .run(listener, async {
                let _ = stopped.await;
            }),
    );
    eventually(
        &format!("the first run, {outcome}"),
        Duration::from_secs(30),
        String::new,
        || async { (!with_outcome(&runs(ts, name).await, outcome).is_empty()).then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let n = asked.load(std::sync::atomic::Ordering::SeqCst);
    let errors: Vec<String> = runs(ts, name)
        .await
        .into_iter()
        .filter_map(|r| r.error)
        .collect();
    let _ = stop.send(());
    let _ = service.await;
    assert_eq!(
        n, 1,
        "asked {n} times within 6 s of being asked to wait 30 s: {errors:?}"
    );
    assert!(errors[0].contains(said), "{errors:?}");
}

/// Review of session 49 (pull): a run whose time budget ran out while it waited out a
/// `429`'s `Retry-After` gave the request up as no failure and named no wait, so that the
/// next tick asked the source again, a second later here. The run is still no failure, and
/// the channel is held back for what is left of the wait asked: a source asking for 30 s is
/// asked once within 6 s, though the schedule is every second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_wait_the_budget_cut_short_holds_the_channel_back() {
    let (url, asked, server) = answering(TOO_MANY_FOR_30_S).await;
    let ts = sqlite_store().await;
    let options = aduan_service::ServiceOptions::default();
    let gub = aduan_lapor_gub::LaporGub::with_key(
        serde_json::from_value(serde_json::json!({
            "base_url": url, "requests_per_minute": 0,
        }))
        .unwrap(),
        aduan_core::Secret::new("k3y-lapor-gub"),
    )
    .unwrap();
    let engine = aduan_sync::Engine::new(
        ts.store.clone(),
        normaliser(),
        aduan_sync::EngineOptions {
            budget: Some(Duration::from_millis(400)),
            ..aduan_sync::EngineOptions::default()
        },
    );
    asked_once_in_6_s(
        &ts,
        (engine, options),
        Box::new(gub),
        &asked,
        ("partial", "(Retry-After) was cut short"),
    )
    .await;
    server.abort();
}

/// What a webhook answered: its status, `Retry-After` and JSON body.
async fn webhook_answer(res: reqwest::Response) -> (u16, Option<String>, serde_json::Value) {
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.unwrap_or_default();
    let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
    (status, retry_after, json)
}

/// Review (session 51): a webhook delivery the store could not take while it was out of
/// reach or busy was answered `503` without `Retry-After` (the store's file removed under the
/// process), or `408` once the request's time ran out on a store locked by another (the
/// time was the server's: the body had come), where a sender that retries is to be told
/// when; and one that failed otherwise was answered `503` as if it were of the moment. Every
/// push channel's webhook answers `503` with `Retry-After` while the store is out of reach or
/// busy, and `500` for another failure, each counted as `not_stored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_answer_503_with_retry_after_while_the_store_is_out_of_reach_and_500_otherwise() {
    let ts = sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let tables = [
        "[service]\nrequest_timeout_secs = 3\n".to_string(),
        "[channels.smart_city]\nbase_url = \"http://127.0.0.1:9/\"\n".to_string(),
        "[channels.wadul_aladin]\nregister_url = \"http://127.0.0.1:9/register.csv\"\n".to_string(),
    ];
    let args = config(dir.path(), &ts, &tables);
    let mut serve = Serve::start(dir.path(), &strs(&args)).await;
    let http = reqwest::Client::new();
    let smart_city = |n: u32| {
        let secret = aduan_sim::SmartCityConfig::default().webhook_secret;
        let body = format!(r#"{{"event":"report.created","report":{{"id":"r-{n}","version":1}}}}"#);
        let now = chrono::Utc::now().timestamp().to_string();
        let signature = aduan_smart_city::webhook::sign(secret.as_bytes(), &now, body.as_bytes());
        let sent = http
            .post(serve.url("/webhooks/smart-city"))
            .header("X-Pantau-Event", "report.created")
            .header("X-Pantau-Delivery", format!("delivery-{n}"))
            .header("X-Pantau-Timestamp", now)
            .header("X-Pantau-Signature", signature)
            .body(body)
            .send();
        async move { webhook_answer(sent.await.expect("an answer")).await }
    };
    let wadul_aladin = |n: u32| {
        let secret = aduan_sim::WadulConfig::default().app_secret;
        let body = format!(r#"{{"object":"whatsapp_business_account","entry":[],"n":{n}}}"#);
        let sent = http
            .post(serve.url("/webhooks/wadul-aladin"))
            .header(
                "X-Hub-Signature-256",
                aduan_wadul_aladin::webhook::sign(secret.as_bytes(), body.as_bytes()),
            )
            .body(body)
            .send();
        async move { webhook_answer(sent.await.expect("an answer")).await }
    };
    let of_the_moment =
        |label: &str, (status, retry_after, body): (u16, Option<String>, serde_json::Value)| {
            assert_eq!(status, 503, "{label}: {body}");
            assert_eq!(retry_after.as_deref(), Some("2"), "{label}: {body}");
            let error = body["error"].as_str().unwrap_or_default();
            assert!(error.starts_with("not stored"), "{label}: {body}");
        };
    assert_eq!(smart_city(1).await.0, 200, "{}", serve.log());
    assert_eq!(wadul_aladin(1).await.0, 200, "{}", serve.log());

    // The store locked by another past the request's time (its busy wait is longer).
    let mut other = sqlx::SqliteConnection::connect(&ts.url).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    of_the_moment("locked", smart_city(2).await);
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    // (The statement the request left waits for the lock a moment more, then is undone.)
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smart_city(3).await.0, 200, "{}", serve.log());
    // Delivered again after its `503`, as its sender does: stored then (nothing of the
    // attempt stopped was kept, not even its delivery's id), and once only.
    let stored_once = |label: &str, answers: [(u16, Option<String>, serde_json::Value); 2]| {
        let [(first, _, first_body), (again, _, again_body)] = answers;
        assert_eq!(
            (first, first_body["duplicate"].as_bool()),
            (200, Some(false)),
            "{label}: {first_body}"
        );
        assert_eq!(
            (again, again_body["duplicate"].as_bool()),
            (200, Some(true)),
            "{label}: {again_body}"
        );
    };
    stored_once("locked", [smart_city(2).await, smart_city(2).await]);

    // A failure of another kind (a table the delivery is queued in gone): `500`.
    sqlx::raw_sql("ALTER TABLE push_inbox RENAME TO push_inbox_away")
        .execute(&mut other)
        .await
        .unwrap();
    for (label, answer) in [
        ("smart_city", smart_city(4).await),
        ("wadul_aladin", wadul_aladin(4).await),
    ] {
        let (status, retry_after, body) = answer;
        assert_eq!(status, 500, "{label}: {body}");
        assert_eq!(retry_after, None, "{label}: {body}");
        assert!(body["error"].is_string(), "{label}: {body}");
    }
    sqlx::raw_sql("ALTER TABLE push_inbox_away RENAME TO push_inbox")
        .execute(&mut other)
        .await
        .unwrap();
    stored_once("failed", [smart_city(4).await, smart_city(4).await]);
    assert_eq!(wadul_aladin(4).await.0, 200, "{}", serve.log());
    other.close().await.unwrap();

    // The store's file removed under the process.
    std::fs::remove_file(ts.url.trim_start_matches("sqlite:")).unwrap();
    of_the_moment("removed: smart_city", smart_city(5).await);
    of_the_moment("removed: wadul_aladin", wadul_aladin(5).await);

    let metrics = serve.get("/metrics").await.1;
    for line in [
        "aduan_webhook_deliveries_total{channel=\"smart_city\",outcome=\"rejected\",reason=\"not_stored\"} 3",
        "aduan_webhook_deliveries_total{channel=\"wadul_aladin\",outcome=\"rejected\",reason=\"not_stored\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
    serve.stop().await;
}

/// Review, session 51: the wait a source asked for was held in the service's memory only: a
/// channel answered `429` with `Retry-After: 3600` was asked again at once when `aduan serve`
/// restarted (its missed tick ran at start). It is kept with the channel's cursor: the
/// restarted service does not ask it within the hour, and says what holds the channel (not
/// failed runs: the restarted service had none). An operator's `aduan sync` still asks,
/// saying until when the source asked to be left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_asking_for_an_hour_is_not_asked_again_after_a_restart() {
    use std::sync::atomic::Ordering;
    let ServingCc112 {
        mut serve,
        args,
        dir,
        ts: _ts,
        server,
        asked,
    } = serving_cc112_failed_once(TOO_MANY_FOR_AN_HOUR, 2, "the first run, answered 429").await;
    serve.stop().await;
    assert_eq!(asked.load(Ordering::SeqCst), 1, "{}", serve.log());
    let mut again = Serve::start(dir.path(), &strs(&args)).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let n = asked.load(Ordering::SeqCst);
    again.stop().await;
    let log = again.log();
    assert_eq!(n, 1, "asked again within 6 s of a restart: {log}");
    assert!(
        log.contains("asked a run before this start to be left alone until then")
            && log.contains(
                "Waiting out the wait the source asked for (Retry-After), with no failed run"
            )
            && !log.contains("Backing off after failed runs"),
        "{log}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_aduan"))
        .current_dir(dir.path())
        .args(strs(&args))
        .args(["sync", "--channel", "cc112"])
        .env_remove("ADUAN_DATABASE_URL")
        .env_remove("ADUAN_CONFIG")
        .env("ADUAN_REPORTER_KEY", REPORTER_KEY)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cc112: the source asked to be left alone until ")
            && stderr.contains("asked all the same"),
        "{stderr}"
    );
    assert_eq!(asked.load(Ordering::SeqCst), 2, "{stderr}");
    server.abort();
}

/// Review, session 51: a channel held back by a wait its source asked for, which the run's
/// time budget cut short (no failure), was logged at each tick skipped as "Backing off after
/// failed runs". The log says what holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_skipped_for_a_wait_the_source_asked_for_is_not_logged_as_failures() {
    let (url, _asked, server) = answering(
        "HTTP/1.1 429 Too Many Requests\r\nretry-after: 30\r\ncontent-length: 2\r\n\
         connection: close\r\n\r\n{}",
    )
    .await;
    let ts = sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let args = config(
        dir.path(),
        &ts,
        &[
            "[sync]\nbudget_secs = 1\n".to_string(),
            format!(
                "[channels.lapor_gub]\nschedule = \"{EVERY_SECOND}\"\nbase_url = \"{url}\"\nrequests_per_minute = 0\nretry_base_ms = 20\ntimeout_secs = 5\n"
            ),
        ],
    );
    let mut serve = Serve::start_with_env(
        dir.path(),
        &strs(&args),
        &[("ADUAN_LAPOR_GUB_API_KEY", "gub-key")],
    )
    .await;
    eventually(
        "a tick skipped after the run whose wait was cut short",
        Duration::from_secs(30),
        || serve.log(),
        || async {
            // A tick skipped after the run, not one while it went on.
            let log = serve.log();
            let after = log
                .split("the channel waits it out")
                .nth(1)
                .unwrap_or_default();
            after.contains("this tick is skipped").then_some(())
        },
    )
    .await;
    serve.stop().await;
    server.abort();
    let log = serve.log();
    assert!(
        log.contains("Waiting out the wait the source asked for (Retry-After), with no failed run")
            && !log.contains("Backing off after failed runs"),
        "{log}"
    );
}

/// Review of session 51: the wait a source asked for is kept in the store "so that another
/// service on it does not ask again before then", but a running service read it only at its
/// start: one sharing the store with the process whose run was answered `429` (another
/// service, an operator's `aduan sync`) asked the source again at its next tick. A tick reads
/// it before its run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_another_process_was_asked_for_holds_a_running_service_back() {
    use std::sync::atomic::Ordering;
    let ServingCc112 {
        mut serve,
        args: _args,
        dir: _dir,
        ts,
        server,
        asked,
    } = serving_cc112_failed_once(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
        1,
        "the first run, failed",
    )
    .await;
    // Another process's run on the store was asked to wait an hour.
    ts.store
        .set_asked_until(
            "cc112",
            Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        )
        .await
        .unwrap();
    // A run going on as it was written ends.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = asked.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = asked.load(Ordering::SeqCst);
    serve.stop().await;
    server.abort();
    let log = serve.log();
    assert_eq!(
        before, after,
        "asked again while another's wait held: {log}"
    );
}
