//! `aduan-bench`: measures Aduan at 100,000 and 1,000,000 records and prints the figures
//! beside the machine's own limit, measured in the same run (SQLite's `.import`, PostgreSQL's
//! `COPY` of the same rows into a table with the same indexes).
//!
//! The simulator runs in this process; each measured job runs in a child process of this
//! binary (`aduan-bench worker …`), so that its peak resident memory is its own.
//! Benchmarks are not tests: nothing here asserts a time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aduan_core::{DynPullConnector, Secret};
use aduan_sim::{Cc112Config, SimConfig, Simulator, Sp4nConfig};
use aduan_store::Store;
use aduan_sync::{Engine, EngineOptions, NoProgress};
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};

/// Aduan's benchmarks.
#[derive(Debug, Parser)]
#[command(name = "aduan-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Record counts to measure at.
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    records: Vec<usize>,
    /// Parts to run: sp4n-sqlite, sp4n-postgres, cc112 (incremental, renormalise and the
    /// aggregate run after sp4n-sqlite; sp4n-postgres runs sp4n-sqlite too, whose rows its
    /// `COPY` reference loads); and, not by default, wadul-sender (one WhatsApp sender's
    /// messages, `records` of them, delivered one at a time).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "sp4n-sqlite,sp4n-postgres,cc112"
    )]
    only: Vec<String>,
    /// PostgreSQL for the PostgreSQL figures.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
    /// Working folder (default: a temporary one, removed afterwards).
    #[arg(long)]
    work: Option<PathBuf>,
    /// Rounds of each full sync and renormalise beside its reference, taken in turn (ours,
    /// then theirs): the figures are each side's median round (of an even number, the
    /// slower of the two middle ones), the ratio that of the medians, with the lowest and
    /// highest of the rounds' own ratios beside it. One run of either side alone varies by a
    /// fifth or more on a shared virtual machine.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,
}

#[derive(Debug, Clone, Subcommand)]
enum Cmd {
    /// Internal: one measured job in its own process; prints a JSON line.
    Worker {
        #[command(subcommand)]
        job: Job,
    },
}

#[derive(Debug, Clone, Subcommand)]
enum Job {
    /// Sync SP4N-LAPOR! from `url` into `db`.
    Sp4n { url: String, db: String },
    /// Sync Call Center 112 exports from the folder `dir` into `db`.
    Cc112 { dir: PathBuf, db: String },
    /// Rebuild the unified tables of `db` from its raw records.
    Renormalise { db: String },
    /// Deliver `messages` WhatsApp messages of one sender into `db`, each a webhook delivery
    /// of its own folded at once (what `aduan serve` does with each delivery it verified);
    /// `secs` times the first [`WADUL_TIMED`], `later_secs` the last as many.
    WadulSender { db: String, messages: usize },
    /// The pass that links one incident's complaints through several channels, as after
    /// every run that changed complaints (`Store::link_incidents`).
    Incidents { db: String },
    /// Run `sql` through the store's read-only query path (what `aduan query` runs).
    Query { db: String, sql: String },
    /// The analysts' report over every month, grouped by month, channel, kind and category
    /// (what `aduan report` runs).
    Report { db: String },
    /// The same through `aduan serve`'s `GET /api/report` (the service in this process, a
    /// request over loopback HTTP).
    ApiReport { db: String },
}

/// What a worker measured.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Measured {
    records: u64,
    inserted: u64,
    secs: f64,
    peak_rss_mb: f64,
    rows: u64,
    /// Bytes handed to write calls (the database's pages, WAL frames and checkpoints).
    written: u64,
    /// A second time of the same job (see `Job::WadulSender`).
    #[serde(default)]
    later_secs: f64,
}

/// The analysts' monthly aggregate, by the stored month in the city's time (same SQL on both
/// backends; the covering index `complaints_reported_month` answers it in index order).
const MONTHLY_AGGREGATE: &str = "SELECT reported_month, channel, kind, category_main, \
    COUNT(*) AS n FROM complaints GROUP BY 1, 2, 3, 4";
/// The same, with the month computed from `reported_at` (UTC) on every row, for comparison.
const MONTHLY_AGGREGATE_COMPUTED: &str = "SELECT substr(reported_at, 1, 7) AS month, channel, \
    kind, category_main, COUNT(*) AS n FROM complaints GROUP BY 1, 2, 3, 4";

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `wchar` of a `/proc/<pid>/io` text: the bytes a process (with its reaped children) handed to
/// write calls.
fn written_bytes(io: &str) -> u64 {
    io.lines()
        .find_map(|l| l.strip_prefix("wchar:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

fn engine(store: Store) -> Result<Engine> {
    let normaliser = aduan_app::tables::normaliser(
        None,
        &aduan_app::registry::registry(),
        Secret::new("bench-reporter-key"),
    )?;
    Ok(Engine::new(store, normaliser, EngineOptions::default()))
}

/// Syncs `connector` into the store at `db`, timing the sync alone; the store, to close.
async fn sync_into(connector: &dyn DynPullConnector, db: &str, m: &mut Measured) -> Result<Store> {
    let engine = engine(Store::open(db).await?)?;
    let start = Instant::now();
    let r = engine.sync(connector, &NoProgress).await?;
    m.secs = start.elapsed().as_secs_f64();
    m.records = r.counts.fetched;
    m.inserted = r.counts.inserted;
    if let Some(e) = r.error {
        bail!("sync failed: {e}");
    }
    Ok(engine.store().clone())
}

async fn worker(job: Job) -> Result<Measured> {
    let start = Instant::now();
    let mut m = Measured::default();
    // The store the job opened, closed once it is measured (as every `aduan` command closes
    // its own): the file alone then holds what the job wrote.
    let opened = match job {
        Job::Sp4n { url, db } => {
            let d = Sp4nConfig::default();
            let config = aduan_sp4n_lapor::Config {
                base_url: url,
                instansi_id: d.instansi_id,
                client_id: d.client_id,
                client_secret_env: String::new(),
                per_page: 100,
                timeout_secs: 60,
                max_attempts: 6,
                retry_base_ms: 200,
                start_from: None,
                lookback_secs: aduan_sp4n_lapor::DEFAULT_LOOKBACK_SECS,
            };
            let c = aduan_sp4n_lapor::Sp4nLapor::with_secret(config, Secret::new(d.client_secret))?;
            sync_into(&c, &db, &mut m).await?
        }
        Job::Cc112 { dir, db } => {
            let config: aduan_cc112::Config =
                serde_json::from_value(serde_json::json!({ "dir": dir, "settle_secs": 0 }))?;
            let c = aduan_cc112::Cc112::new(config, None)?;
            sync_into(&c, &db, &mut m).await?
        }
        Job::WadulSender { db, messages } => {
            let engine = engine(Store::open(&db).await?)?;
            let spec = aduan_app::registry::specs()["wadul_aladin"];
            let tail = WADUL_TIMED.min(messages / 2);
            for i in 0..messages {
                if i == tail {
                    m.secs = start.elapsed().as_secs_f64();
                }
                if i == messages - tail {
                    m.later_secs = start.elapsed().as_secs_f64();
                }
                engine
                    .receive("wadul_aladin", wadul_message(i), None)
                    .await?;
                engine
                    .drain_inbox(&spec)
                    .await?
                    .context("the inbox's fold lease is held")?;
            }
            m.later_secs = start.elapsed().as_secs_f64() - m.later_secs;
            m.records = messages as u64;
            m.rows = engine
                .store()
                .summary()
                .await?
                .iter()
                .map(|r| r.count as u64)
                .sum();
            engine.store().clone()
        }
        Job::Renormalise { db } => {
            let engine = engine(Store::open(&db).await?)?;
            let start = Instant::now();
            let c = engine
                .renormalise(&aduan_app::registry::specs(), &NoProgress)
                .await?;
            m.secs = start.elapsed().as_secs_f64();
            m.records = c.fetched;
            m.inserted = c.inserted;
            engine.store().clone()
        }
        Job::Report { db } => {
            let store = Store::open(&db).await?;
            let spec = aduan_store::ReportSpec {
                by: aduan_store::Dimension::ALL.to_vec(),
                ..Default::default()
            };
            let start = Instant::now();
            let r = store.report(&spec).await?;
            m.secs = start.elapsed().as_secs_f64();
            m.rows = r.rows.len() as u64;
            store
        }
        Job::ApiReport { db } => {
            let store = Store::open(&db).await?;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let url = format!("http://{}/api/report", listener.local_addr()?);
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let service = aduan_service::Service::new(store.clone(), Default::default());
            let server = tokio::spawn(service.run(listener, async {
                let _ = stopped.await;
            }));
            let start = Instant::now();
            let response = reqwest::get(&url).await?.error_for_status()?;
            let body: serde_json::Value = response.json().await?;
            m.secs = start.elapsed().as_secs_f64();
            m.rows = body["rows"].as_array().map_or(0, |r| r.len() as u64);
            let _ = stop.send(());
            server.await??;
            store
        }
        Job::Incidents { db } => {
            let store = Store::open(&db).await?;
            let start = Instant::now();
            m.rows = store
                .link_incidents(false, chrono::Utc::now(), aduan_normalise::incidents)
                .await?;
            m.secs = start.elapsed().as_secs_f64();
            store
        }
        Job::Query { db, sql } => {
            let store = Store::open(&db).await?;
            let start = Instant::now();
            let r = store.query(&sql).await?;
            m.secs = start.elapsed().as_secs_f64();
            m.rows = r.rows.len() as u64;
            store
        }
    };
    let _ = start;
    m.peak_rss_mb = peak_rss_mb();
    m.written = written_bytes(&std::fs::read_to_string("/proc/self/io").unwrap_or_default());
    opened.close().await;
    Ok(m)
}

/// Lets the machine finish what the previous job left it to do before the next is timed:
/// the kernel's write-back of the files just written (`sync`) and, given a PostgreSQL URL, the
/// server's dirty buffers (`CHECKPOINT`). Each figure then pays for its own writes, not for
/// the job before it. Best effort: a machine without `sync` is timed as it is.
fn settle(postgres: Option<&str>) {
    let _ = Command::new("sync").status();
    if let Some(url) = postgres {
        let _ = sh("psql", &["-q", url, "-c", "CHECKPOINT"], None);
    }
}

fn run_worker(job: &[&str]) -> Result<Measured> {
    settle(None);
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .arg("worker")
        .args(job)
        .output()
        .context("starting a worker")?;
    if !out.status.success() {
        bail!(
            "worker {:?} failed: {}",
            job.first(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(line.trim()).with_context(|| format!("worker output: {line}"))
}

/// Runs `program`, feeding it `stdin`: how long it took, and what it printed.
fn sh(program: &str, args: &[&str], stdin: Option<&str>) -> Result<(Duration, String)> {
    use std::io::Write;
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("running {program} (is it installed?)"))?;
    if let Some(input) = stdin {
        if let Some(mut s) = child.stdin.take() {
            s.write_all(input.as_bytes())?;
        }
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("{program} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((
        start.elapsed(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

const REFERENCE_COLUMNS: &str = "complaint_id TEXT PRIMARY KEY NOT NULL, channel TEXT, external_id TEXT, kind TEXT, \
    urgency TEXT, category_main TEXT, category_sub TEXT, category_source TEXT, category_method TEXT, \
    title TEXT, body TEXT, status TEXT, status_source TEXT, agency TEXT, kecamatan_code TEXT, \
    kelurahan_code TEXT, kecamatan TEXT, kelurahan TEXT, address TEXT, latitude TEXT, longitude TEXT, \
    in_city TEXT, reporter_key TEXT, anonymous TEXT, confidential TEXT, reported_at TEXT, updated_at TEXT, \
    first_response_at TEXT, resolved_at TEXT, incident_id TEXT, synced_at TEXT, row_hash TEXT, \
    reported_month TEXT, payload TEXT";
/// The indexes of `complaints` (primary key above, the monthly index covering the report,
/// channel and time, reporter and channel of those an incident may link; the incidents'
/// index is empty here, as it is in the store after a sync of one channel) and, for the archive's unique payload hash, a unique index on a hash.
/// (On PostgreSQL too the monthly index's report columns are key columns here, where the
/// store has them as `INCLUDE`d columns.)
const REFERENCE_INDEXES: &[&str] = &[
    "CREATE INDEX ref_month ON ref (reported_month, channel, kind, category_main, \
     category_sub, status, reported_at, first_response_at, resolved_at, in_city)",
    "CREATE INDEX ref_channel_reported ON ref (channel, reported_at)",
    "CREATE UNIQUE INDEX ref_hash ON ref (channel, row_hash)",
    // (A NULL is an empty field in the CSV: `.import` stores it as '', `COPY` as NULL.)
    "CREATE INDEX ref_reporter ON ref (reporter_key, channel) WHERE kind = 'complaint' \
     AND reporter_key <> '' AND category_main <> ''",
];

/// Writes every archived payload of the store `db` as received (`raw_id, payload` as CSV):
/// the store keeps most of them compressed, which neither `sqlite3` nor `psql` can read.
async fn plain_payloads(db: &Path, work: &Path) -> Result<PathBuf> {
    use std::io::Write;
    let out = work.join("payloads.csv");
    let store = aduan_store::Store::open(&format!("sqlite:{}", db.display())).await?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out)?);
    let mut after = 0;
    loop {
        let raws = store.raw_after(after, 10_000).await?;
        let Some(last) = raws.last() else { break };
        after = last.raw_id;
        for r in &raws {
            let text = String::from_utf8_lossy(&r.payload);
            writeln!(w, "{},\"{}\"", r.raw_id, text.replace('"', "\"\""))?;
        }
    }
    w.flush()?;
    store.close().await;
    Ok(out)
}

/// Exports the synced rows (every complaint column plus its raw payload as received, about
/// what a sync writes; `payloads`: from [`plain_payloads`]) as CSV: the file and its rows.
fn reference_rows(db: &Path, payloads: &Path, work: &Path) -> Result<(PathBuf, u64)> {
    let csv = work.join("rows.csv");
    // The columns named as the reference table has them: a column added to `complaints` later
    // cannot shift the payload out of place.
    let columns: Vec<String> = REFERENCE_COLUMNS
        .split(',')
        .filter_map(|c| c.split_whitespace().next())
        .map(|c| match c {
            "payload" => "p.payload".to_string(),
            c => format!("c.{c}"),
        })
        .collect();
    let export = format!(
        ".timeout 60000\nCREATE TEMP TABLE plain (raw_id INTEGER PRIMARY KEY, payload TEXT);\n.mode csv\n.import {} plain\n\
         .once {}\nSELECT {} FROM raw_records r JOIN temp.plain p ON p.raw_id = r.raw_id \
         JOIN complaints c ON c.complaint_id = r.channel || ':' || r.external_id;\n",
        payloads.display(),
        csv.display(),
        columns.join(", ")
    );
    sh("sqlite3", &[&db.display().to_string()], Some(&export))?;
    let _ = std::fs::remove_file(payloads);
    settle(None);
    let rows = std::fs::read_to_string(&csv)
        .map(|s| s.lines().count() as u64)
        .unwrap_or(0);
    Ok((csv, rows))
}

/// Times the `sqlite3` shell's `.import` of `csv` (from [`reference_rows`]) into a new WAL
/// database with a primary key and four indexes; and the bytes it wrote.
fn sqlite_reference(csv: &Path, work: &Path) -> Result<(Duration, u64)> {
    // As before each of ours: what the job before wrote is on disk first.
    settle(None);
    let target = work.join("reference.db");
    remove_database(&target);
    let mut script = format!("PRAGMA journal_mode=WAL;\nCREATE TABLE ref ({REFERENCE_COLUMNS});\n");
    for i in REFERENCE_INDEXES {
        script.push_str(i);
        script.push_str(";\n");
    }
    script.push_str(&format!(".mode csv\n.import {} ref\n", csv.display()));
    // The shell reports what it and its child (sqlite3, reaped) wrote.
    let (took, io) = sh(
        "sh",
        &[
            "-c",
            "sqlite3 \"$0\" && cat /proc/$$/io",
            &target.display().to_string(),
        ],
        Some(&script),
    )?;
    remove_database(&target);
    Ok((took, written_bytes(&io)))
}

/// The machine's limit for what `aduan renormalise` writes: the `sqlite3` shell copying the
/// renormalised store's `complaints` and `complaint_events` (`INSERT … SELECT`, in SQLite's
/// own code: nothing read from the archive, parsed or bound) into new tables of the same
/// definitions, and then creating `complaints`' secondary indexes, in one transaction, as a
/// rebuild fills its tables and puts them in place. Run on a copy of `db`, which is removed
/// after; the time and the rows copied (complaints).
fn rebuild_reference(db: &Path, work: &Path) -> Result<(Duration, u64)> {
    let copy = work.join("rebuild-reference.db");
    remove_database(&copy);
    std::fs::copy(db, &copy).context("copying the store for the rebuild reference")?;
    let file = copy.display().to_string();
    let (_, catalogue) = sh(
        "sqlite3",
        &[
            &file,
            "SELECT type || char(31) || name || char(31) || sql || char(30) \
             FROM sqlite_master WHERE tbl_name IN ('complaints', 'complaint_events') AND sql IS NOT NULL",
        ],
        None,
    )?;
    let mut tables = Vec::new();
    let mut indexes = Vec::new();
    // Definitions hold line breaks and comments: one entry a record, its fields by unit.
    for entry in catalogue.split('\u{1e}') {
        let mut parts = entry.trim_start().splitn(3, '\u{1f}');
        let (Some(kind), Some(name), Some(sql)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        match kind {
            "table" => {
                let columns = sql
                    .find('(')
                    .with_context(|| format!("the definition of {name} has no columns"))?;
                tables.push((
                    name.to_string(),
                    format!("CREATE TABLE ref_{name} {}", &sql[columns..]),
                ));
            }
            "index" => indexes.push(
                sql.replacen(&format!("INDEX {name}"), &format!("INDEX ref_{name}"), 1)
                    .replacen(" ON complaints ", " ON ref_complaints ", 1),
            ),
            _ => {}
        }
    }
    if tables.len() != 2 {
        bail!("the store has no complaints and complaint_events tables to copy");
    }
    let mut script = String::from(".timeout 60000\nPRAGMA synchronous = FULL;\nBEGIN;\n");
    for (name, create) in &tables {
        script.push_str(&format!(
            "{create};\nINSERT INTO ref_{name} SELECT * FROM {name};\n"
        ));
    }
    for i in &indexes {
        script.push_str(&format!("{i};\n"));
    }
    script.push_str("COMMIT;\n");
    settle(None);
    let (took, _) = sh("sqlite3", &[&file], Some(&script))?;
    let (_, rows) = sh(
        "sqlite3",
        &[&file, "SELECT count(*) FROM ref_complaints"],
        None,
    )?;
    remove_database(&copy);
    Ok((took, rows.trim().parse().unwrap_or(0)))
}

fn pg_reference(url: &str, csv: &Path) -> Result<Duration> {
    let schema = "aduan_bench_ref";
    let mut script = format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema};\nCREATE TABLE ref ({});\n",
        REFERENCE_COLUMNS
    );
    for i in REFERENCE_INDEXES {
        script.push_str(i);
        script.push_str(";\n");
    }
    script.push_str(&format!(
        "\\copy ref FROM '{}' WITH (FORMAT csv)\n",
        csv.display()
    ));
    settle(Some(url));
    let (took, _) = sh("psql", &["-q", "-v", "ON_ERROR_STOP=1", url], Some(&script))?;
    sh(
        "psql",
        &["-q", url, "-c", &format!("DROP SCHEMA {schema} CASCADE")],
        None,
    )?;
    Ok(took)
}

fn per_record_kb(bytes: u64, records: u64) -> f64 {
    bytes as f64 / 1024.0 / records.max(1) as f64
}

/// Removes the SQLite database `path` with its log and shared-memory files, where they are.
fn remove_database(path: &Path) {
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
}

/// Deliveries timed at the start and at the end of `Job::WadulSender`.
const WADUL_TIMED: usize = 500;

/// Message `i` of the one sender of `Job::WadulSender`, a webhook body of its own: threads of
/// five messages an hour apart, a thread every two days (from 2024-01-01).
fn wadul_message(i: usize) -> aduan_core::RawRecord {
    let i = i as i64;
    let at = 1_704_067_200 + (i / 5) * 2 * 86_400 + (i % 5) * 3600;
    let (wamid, at, text) = (
        format!("wamid.bench{i}"),
        at.to_string(),
        format!("Saluran mampet di Jl. Merdeka, pesan {i}"),
    );
    let payload = aduan_sim::wadul_text_body("6281234567890", &[(&wamid, &at, &text)]);
    aduan_core::RawRecord {
        source_ref: "/webhooks/wadul-aladin".into(),
        external_id: None,
        received_at: chrono::Utc::now(),
        payload,
    }
}

fn rate(n: u64, secs: f64) -> f64 {
    n as f64 / secs.max(1e-9)
}

/// Rounds of one job beside its reference: each round's own measure, and the reference's
/// time with one figure of its own (the bytes it wrote, or the rows it copied).
struct Rounds {
    ours: Vec<Measured>,
    theirs: Vec<(Duration, u64)>,
}

impl Rounds {
    /// Runs `rounds` rounds, each `ours` and then `theirs`.
    fn run(
        rounds: u32,
        mut ours: impl FnMut() -> Result<Measured>,
        mut theirs: impl FnMut() -> Result<(Duration, u64)>,
    ) -> Result<Self> {
        let mut r = Rounds {
            ours: Vec::new(),
            theirs: Vec::new(),
        };
        for _ in 0..rounds {
            r.ours.push(ours()?);
            r.theirs.push(theirs()?);
        }
        Ok(r)
    }

    /// Our median round (by time; of an even number, the slower middle one).
    fn ours(&self) -> &Measured {
        let mut order: Vec<&Measured> = self.ours.iter().collect();
        order.sort_by(|a, b| a.secs.total_cmp(&b.secs));
        order[order.len() / 2]
    }

    /// The reference's median round (by time; of an even number, the slower middle one).
    fn theirs(&self) -> (Duration, u64) {
        let mut order = self.theirs.clone();
        order.sort();
        order[order.len() / 2]
    }

    /// The highest peak memory of our rounds.
    fn peak_rss_mb(&self) -> f64 {
        self.ours.iter().map(|m| m.peak_rss_mb).fold(0.0, f64::max)
    }

    /// The ratio of the medians (our rate to theirs, for `n` of ours and `rows` of theirs),
    /// with the lowest and highest of the rounds' own ratios when there are several.
    fn ratio(&self, n: impl Fn(&Measured) -> u64, rows: u64) -> String {
        let of = |m: &Measured, t: Duration| rate(n(m), m.secs) / rate(rows, t.as_secs_f64());
        let median = of(self.ours(), self.theirs().0);
        let each: Vec<f64> = self
            .ours
            .iter()
            .zip(&self.theirs)
            .map(|(m, (t, _))| of(m, *t))
            .collect();
        if each.len() < 2 {
            return format!("{median:.2}");
        }
        let low = each.iter().copied().fold(f64::INFINITY, f64::min);
        let high = each.iter().copied().fold(0.0, f64::max);
        format!("{median:.2} ({low:.2}–{high:.2})")
    }

    /// How the figure was taken, for its row.
    fn how(&self) -> String {
        match self.ours.len() {
            1 => String::new(),
            n => format!(", median of {n} rounds"),
        }
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cores} cores ({cpu}), {mem:.0} GiB memory, {}",
        std::env::consts::OS
    )
}

async fn orchestrate(cli: Cli) -> Result<()> {
    let tmp;
    let work = match &cli.work {
        Some(w) => {
            std::fs::create_dir_all(w)?;
            w.clone()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    println!("# aduan-bench on {}", machine());
    println!();
    println!("| records | measure | figure | reference | ratio | peak RSS |");
    println!("|---:|---|---:|---:|---:|---:|");
    let wants = |p: &str| {
        cli.only
            .iter()
            .any(|o| o == p || (p == "sp4n-sqlite" && o == "sp4n-postgres"))
    };
    for &n in &cli.records {
        if wants("sp4n-sqlite") || wants("sp4n-postgres") {
            let sim = Simulator::start(
                SimConfig {
                    seed: 42,
                    sp4n_lapor: Some(Sp4nConfig {
                        reports: n,
                        ..Sp4nConfig::default()
                    }),
                    ..SimConfig::no_channels()
                },
                ([127, 0, 0, 1], 0).into(),
            )
            .await?;
            let url = sim.sp4n_base_url();
            if wants("sp4n-sqlite") {
                let file = work.join(format!("sp4n-{n}.db"));
                let db = format!("sqlite:{}", file.display());
                let fresh = || -> Result<Measured> {
                    remove_database(&file);
                    run_worker(&["sp4n", &url, &db])
                };
                // The first round's store is where the reference's rows come from; the last
                // round's is the one measured on below.
                let mut first = Some(fresh()?);
                let payloads = plain_payloads(&file, &work).await?;
                let (csv, rows) = reference_rows(&file, &payloads, &work)?;
                let sync = Rounds::run(
                    cli.rounds,
                    || first.take().map_or_else(fresh, Ok),
                    || sqlite_reference(&csv, &work),
                )?;
                let m = sync.ours();
                let (took, ref_written) = sync.theirs();
                let ours = rate(m.inserted, m.secs);
                let theirs = rate(rows, took.as_secs_f64());
                println!(
                    "| {n} | SP4N-LAPOR! full sync → SQLite{} | {ours:.0} rec/s ({:.1} s; {:.1} KB written a record) | `.import` {theirs:.0} rows/s ({:.1} KB written a row) | {} | {:.0} MB |",
                    sync.how(),
                    m.secs,
                    per_record_kb(m.written, m.inserted),
                    per_record_kb(ref_written, rows),
                    sync.ratio(|m| m.inserted, rows),
                    sync.peak_rss_mb()
                );
                let before = sim.sp4n_stats().data_requests;
                let inc = run_worker(&["sp4n", &url, &db])?;
                let requests = sim.sp4n_stats().data_requests - before;
                println!(
                    "| {n} | incremental sync, nothing new | {:.2} s, {requests} data request(s), {} record(s) re-read | | | {:.0} MB |",
                    inc.secs, inc.records, inc.peak_rss_mb
                );
                let pass = run_worker(&["incidents", &db])?;
                println!(
                    "| {n} | the pass linking one incident's complaints, after every run that changed complaints, `Store::link_incidents` | {:.3} s, {} changed | | | {:.0} MB |",
                    pass.secs, pass.rows, pass.peak_rss_mb
                );
                let re = Rounds::run(
                    cli.rounds,
                    || run_worker(&["renormalise", &db]),
                    || rebuild_reference(&file, &work),
                )?;
                let m = re.ours();
                let (copy, copied) = re.theirs();
                let ours = rate(m.records, m.secs);
                let theirs = rate(copied, copy.as_secs_f64());
                println!(
                    "| {n} | `aduan renormalise`{} | {ours:.0} rec/s ({:.1} s; {:.1} KB written a record) | SQLite copying the rebuilt tables {theirs:.0} rows/s ({:.1} s) | {} | {:.0} MB |",
                    re.how(),
                    m.secs,
                    per_record_kb(m.written, m.records),
                    copy.as_secs_f64(),
                    re.ratio(|m| m.records, copied),
                    re.peak_rss_mb()
                );
                for (how, sql) in [
                    ("reported_month", MONTHLY_AGGREGATE),
                    ("substr(reported_at)", MONTHLY_AGGREGATE_COMPUTED),
                ] {
                    let q = run_worker(&["query", &db, sql])?;
                    println!(
                        "| {n} | monthly aggregate (month × channel × kind × category, month by `{how}`), `Store::query` | {:.3} s, {} groups | | | {:.0} MB |",
                        q.secs, q.rows, q.peak_rss_mb
                    );
                }
                let q = run_worker(&["report", &db])?;
                println!(
                    "| {n} | `aduan report` (the same groups with open, responded and resolved counts and average hours; every row counted, read from the monthly index), `Store::report` | {:.3} s, {} groups | | | {:.0} MB |",
                    q.secs, q.rows, q.peak_rss_mb
                );
                let q = run_worker(&["api-report", &db])?;
                println!(
                    "| {n} | the same through `GET /api/report` (the service in the worker, loopback HTTP, JSON) | {:.3} s, {} groups | | | {:.0} MB |",
                    q.secs, q.rows, q.peak_rss_mb
                );
                if wants("sp4n-postgres") {
                    match pg_reference(&cli.postgres, &csv) {
                        Ok(copy) => {
                            let schema = format!("aduan_bench_{n}");
                            let sep = if cli.postgres.contains('?') { '&' } else { '?' };
                            let pg =
                                format!("{}{sep}options=-c%20search_path%3D{schema}", cli.postgres);
                            let mut first = Some(copy);
                            // The reference first in the first round (it tells whether the
                            // server answers), ours first in the others.
                            let sync = Rounds::run(
                                cli.rounds,
                                || {
                                    sh("psql", &["-q", &cli.postgres, "-c", &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")], None)?;
                                    settle(Some(&cli.postgres));
                                    run_worker(&["sp4n", &url, &pg])
                                },
                                || match first.take() {
                                    Some(t) => Ok((t, 0)),
                                    None => Ok((pg_reference(&cli.postgres, &csv)?, 0)),
                                },
                            )?;
                            let m = sync.ours();
                            let ours = rate(m.inserted, m.secs);
                            let theirs = rate(rows, sync.theirs().0.as_secs_f64());
                            println!(
                                "| {n} | SP4N-LAPOR! full sync → PostgreSQL{} | {ours:.0} rec/s ({:.1} s) | `COPY` {theirs:.0} rows/s | {} | {:.0} MB |",
                                sync.how(),
                                m.secs,
                                sync.ratio(|m| m.inserted, rows),
                                sync.peak_rss_mb()
                            );
                            let q = run_worker(&["query", &pg, MONTHLY_AGGREGATE])?;
                            println!(
                                "| {n} | monthly aggregate on PostgreSQL right after the sync, `Store::query` | {:.3} s, {} groups | | | {:.0} MB |",
                                q.secs, q.rows, q.peak_rss_mb
                            );
                            let q = run_worker(&["report", &pg])?;
                            println!(
                                "| {n} | `aduan report` on PostgreSQL right after the sync, `Store::report` | {:.3} s, {} groups | | | {:.0} MB |",
                                q.secs, q.rows, q.peak_rss_mb
                            );
                            let pass = run_worker(&["incidents", &pg])?;
                            println!(
                                "| {n} | the pass linking one incident's complaints on PostgreSQL, `Store::link_incidents` | {:.3} s, {} changed | | | {:.0} MB |",
                                pass.secs, pass.rows, pass.peak_rss_mb
                            );
                            // What autovacuum does to a table that took many inserts (within
                            // about a minute of the sync): statistics and the visibility map,
                            // which an index-only scan needs.
                            let (vacuum, _) = sh(
                                "psql",
                                &[
                                    "-q",
                                    &cli.postgres,
                                    "-c",
                                    &format!("VACUUM (ANALYZE) {schema}.complaints"),
                                ],
                                None,
                            )?;
                            let q = run_worker(&["query", &pg, MONTHLY_AGGREGATE])?;
                            println!(
                                "| {n} | monthly aggregate on PostgreSQL after `VACUUM (ANALYZE)` ({:.1} s, autovacuum's work) | {:.3} s, {} groups | | | {:.0} MB |",
                                vacuum.as_secs_f64(), q.secs, q.rows, q.peak_rss_mb
                            );
                            sh(
                                "psql",
                                &[
                                    "-q",
                                    &cli.postgres,
                                    "-c",
                                    &format!("DROP SCHEMA {schema} CASCADE"),
                                ],
                                None,
                            )?;
                        }
                        Err(e) => println!("| {n} | PostgreSQL | skipped: {e} | | | |"),
                    }
                }
            }
            sim.shutdown().await;
        }
        if wants("wadul-sender") {
            let file = work.join(format!("wadul-{n}.db"));
            remove_database(&file);
            let m = run_worker(&[
                "wadul-sender",
                &format!("sqlite:{}", file.display()),
                &n.to_string(),
            ])?;
            let timed = WADUL_TIMED.min(n / 2).max(1) as f64;
            println!(
                "| {n} | Wadul Aladin: one sender's messages, each a webhook delivery folded at once (threads of 5 an hour apart, one every 2 days; {} complaints) → SQLite | first {timed:.0}: {:.1} ms a message; last {timed:.0}: {:.1} ms a message | | | {:.0} MB |",
                m.rows,
                m.secs * 1000.0 / timed,
                m.later_secs * 1000.0 / timed,
                m.peak_rss_mb
            );
            remove_database(&file);
        }
        if wants("cc112") {
            let sim = Simulator::start(
                SimConfig {
                    seed: 42,
                    cc112: Some(Cc112Config {
                        calls_per_year: n as u32,
                        ..Cc112Config::default()
                    }),
                    ..SimConfig::no_channels()
                },
                ([127, 0, 0, 1], 0).into(),
            )
            .await?;
            let dir = work.join(format!("cc112-{n}"));
            let _ = std::fs::remove_dir_all(&dir);
            sim.cc112_write_dir(&dir)?;
            let rows = sim.cc112_stats().calls;
            let file = work.join(format!("cc112-{n}.db"));
            let _ = std::fs::remove_file(&file);
            let m = run_worker(&[
                "cc112",
                &dir.display().to_string(),
                &format!("sqlite:{}", file.display()),
            ])?;
            println!(
                "| {rows} | cc112 export (365 daily files) full sync → SQLite | {:.0} rec/s ({:.1} s) | | | {:.0} MB |",
                rate(m.inserted, m.secs), m.secs, m.peak_rss_mb
            );
            sim.shutdown().await;
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    aduan_app::tune_allocator();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("aduan-bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = match cli.command.clone() {
        Some(Cmd::Worker { job }) => rt.block_on(worker(job)).map(|m| {
            println!("{}", serde_json::to_string(&m).unwrap_or_default());
        }),
        None => rt.block_on(orchestrate(cli)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aduan-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
