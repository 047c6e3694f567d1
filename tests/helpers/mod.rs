//! Shared test helpers: the simulator on a free loopback port, stores on both backends, an
//! engine wired like the binary's.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aduan_core::{ChannelSpec, PullConnector, Secret};
use aduan_sim::{Cc112Config, RunningSim, SimConfig, Simulator, Sp4nConfig, Sp4nFaults};
use aduan_sp4n_lapor::Sp4nLapor;
use aduan_store::testing::TestStore;
use aduan_sync::{Engine, EngineOptions};

pub mod scripted;
pub mod serve;

pub use aduan_store::testing::{all as all_stores, sqlite as sqlite_store};

pub const REPORTER_KEY: &str = "test-reporter-key";

/// A seeded generator (splitmix64) for the randomized checks: a seed draws the same numbers
/// on every machine, so that a failing seed can be run again.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True `p` times in a hundred.
    pub fn pct(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    /// One of `from`, which must not be empty.
    pub fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len() as u64) as usize]
    }
}

/// Runs a randomized `check` for each seed on SQLite, and for every fourth seed on
/// PostgreSQL too where there is one; `check` tells what went wrong, if anything. CI runs 40
/// seeds; `ADUAN_PROP_SEEDS` runs more, and `ADUAN_PROP_SEED` runs that seed alone, on both
/// stores (a failure's, to look into it). Fails naming each failing seed and its store (the
/// first three told at length).
pub async fn for_each_seed(mut check: impl AsyncFnMut(u64, &TestStore) -> Option<String>) {
    let var = |name: &str| std::env::var(name).ok();
    let (seeds, only) = prop_seeds(
        var("ADUAN_PROP_SEED").as_deref(),
        var("ADUAN_PROP_SEEDS").as_deref(),
    );
    let only = only.then_some(seeds.start);
    let mut failures = Vec::new();
    for seed in seeds.clone() {
        for postgres in [false, true] {
            let ts = match postgres {
                false => sqlite_store().await,
                true if seed % 4 == 0 || only.is_some() => {
                    match aduan_store::testing::postgres().await {
                        Some(ts) => ts,
                        None => continue,
                    }
                }
                true => continue,
            };
            if let Some(failure) = check(seed, &ts).await {
                failures.push((seed, format!("seed {seed} on {}:\n{failure}", ts.label)));
            }
            if let Some(schema) = &ts.schema {
                ts.execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                    .await;
            }
        }
    }
    let failed: std::collections::BTreeSet<u64> = failures.iter().map(|(seed, _)| *seed).collect();
    let told: Vec<&str> = failures.iter().take(3).map(|(_, f)| f.as_str()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed, {failed:?} (ADUAN_PROP_SEED=<seed> runs one alone):\n{}",
        failed.len(),
        seeds.end - seeds.start,
        told.join("\n")
    );
}

/// The seeds [`for_each_seed`] runs given `ADUAN_PROP_SEED` (`one`) and `ADUAN_PROP_SEEDS`
/// (`count`), and whether it is one seed alone. Either set to what is not a number stops the
/// test saying so (it ran the 40 seeds of CI instead, for a minute, the seed asked for among
/// them or not); set empty, it is not set.
pub fn prop_seeds(one: Option<&str>, count: Option<&str>) -> (std::ops::Range<u64>, bool) {
    let number = |name: &str, value: Option<&str>| {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        match value.parse::<u64>() {
            Ok(n) => Some(n),
            Err(e) => panic!("{name}={value:?} is not a number ({e})"),
        }
    };
    match number("ADUAN_PROP_SEED", one) {
        Some(seed) => (seed..seed.saturating_add(1), true),
        None => (0..number("ADUAN_PROP_SEEDS", count).unwrap_or(40), false),
    }
}

pub async fn sim(reports: usize, faults: Sp4nFaults) -> RunningSim {
    Simulator::start(
        SimConfig {
            seed: 7,
            sp4n_lapor: Some(Sp4nConfig {
                reports,
                faults,
                ..Sp4nConfig::default()
            }),
            ..SimConfig::no_channels()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("simulator starts")
}

pub fn normaliser() -> Arc<aduan_normalise::Normaliser> {
    aduan_app::tables::normaliser(
        None,
        &aduan_app::registry::registry(),
        Secret::new(REPORTER_KEY),
    )
    .expect("built-in tables load")
}

pub fn engine(ts: &TestStore) -> Engine {
    Engine::new(ts.store.clone(), normaliser(), EngineOptions::default())
}

pub fn parsers() -> HashMap<&'static str, ChannelSpec> {
    aduan_app::registry::specs()
}

/// `connector` whose whole run comes as one batch, its pages joined. The archive trains its
/// dictionary on a batch of at least `aduan_store::packing::MIN_SAMPLES` payloads new to it,
/// and the engine hands over the pages it joined once they have waited two seconds: under
/// load the simulator's pages of 100 came slower than that, no batch held a thousand new
/// payloads (a run of 1,200 reports reads a few twice), no dictionary was trained, and the
/// tests of a damaged dictionary failed now and then (`one dictionary: []`).
pub struct OneBatch<C>(pub C);

type Boxed<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl<C: aduan_core::DynPullConnector> aduan_core::DynPullConnector for OneBatch<C> {
    fn channel(&self) -> &'static str {
        self.0.channel()
    }
    // (What `#[async_trait]` makes of `async fn open`: the crate is not a dependency here.)
    fn open<'life0, 'async_trait>(
        &'life0 self,
        cursor: Option<String>,
    ) -> Boxed<'async_trait, aduan_core::Result<Box<dyn aduan_core::BatchSource>>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let inner = self.0.open(cursor).await?;
            Ok(Box::new(Joined(inner)) as Box<dyn aduan_core::BatchSource>)
        })
    }
    fn parse(
        &self,
        raw: &aduan_core::RawRecord,
    ) -> Result<Vec<aduan_core::SourceComplaint>, aduan_core::FieldError> {
        self.0.parse(raw)
    }
    fn fold(&self) -> Option<aduan_core::Fold> {
        self.0.fold()
    }
}

/// The source of a [`OneBatch`].
struct Joined(Box<dyn aduan_core::BatchSource>);

impl aduan_core::BatchSource for Joined {
    fn next_batch<'life0, 'async_trait>(
        &'life0 mut self,
    ) -> Boxed<'async_trait, aduan_core::Result<Option<aduan_core::Batch>>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let mut joined: Option<aduan_core::Batch> = None;
            while let Some(b) = self.0.next_batch().await? {
                let j = joined.get_or_insert_with(Default::default);
                let offset = j.records.len();
                j.again.extend(b.again.iter().map(|i| i + offset));
                j.records.extend(b.records);
                if b.cursor.is_some() {
                    j.cursor = b.cursor;
                }
            }
            Ok(joined)
        })
    }
    fn faults(&self) -> aduan_core::FaultCounts {
        self.0.faults()
    }
    fn left_behind(&self) -> Vec<String> {
        self.0.left_behind()
    }
}

/// A run of `connector` on `ts` with a budget of 400 ms, its source answering `429` with
/// `Retry-After: 120`: the run is `partial`, counts the `429`, and names what is left of the
/// wait it cut short (over a minute, at most the two asked). The report, for what a test
/// checks beyond.
pub async fn a_wait_cut_short_by_the_budget(
    ts: &TestStore,
    connector: &dyn aduan_core::DynPullConnector,
) -> aduan_sync::RunReport {
    let engine = Engine::new(
        ts.store.clone(),
        normaliser(),
        EngineOptions {
            budget: Some(Duration::from_millis(400)),
            ..EngineOptions::default()
        },
    );
    let report = engine
        .sync(connector, &aduan_sync::NoProgress)
        .await
        .unwrap();
    let line = report.summary_line();
    assert_eq!(
        report.outcome,
        aduan_sync::Outcome::Partial,
        "{}: {line}",
        ts.label
    );
    assert_eq!(
        report.faults.get("rate_limited"),
        Some(&1),
        "{}: {line}",
        ts.label
    );
    let asked = report.asked_wait.unwrap_or_default();
    assert!(
        asked > Duration::from_secs(60) && asked <= Duration::from_secs(120),
        "{}: {asked:?}",
        ts.label
    );
    report
}

/// The SP4N-LAPOR! connector pointed at the simulator, with quick retries and a short timeout.
pub fn sp4n(sim: &RunningSim, per_page: u32) -> Sp4nLapor {
    sp4n_at(sim.sp4n_base_url(), per_page, 2)
}

/// [`sp4n`] pointed at `base_url` (the simulator's, behind a proxy), its requests given
/// `timeout_secs`.
pub fn sp4n_at(base_url: String, per_page: u32, timeout_secs: u64) -> Sp4nLapor {
    let d = Sp4nConfig::default();
    Sp4nLapor::with_secret(
        aduan_sp4n_lapor::Config {
            base_url,
            instansi_id: d.instansi_id,
            client_id: d.client_id,
            client_secret_env: String::new(),
            per_page,
            timeout_secs,
            max_attempts: 6,
            retry_base_ms: 20,
            start_from: None,
            lookback_secs: aduan_sp4n_lapor::DEFAULT_LOOKBACK_SECS,
        },
        Secret::new(d.client_secret),
    )
    .expect("connector builds")
}

/// `n` letters with no repeated run (what PostgreSQL's index cannot compress to fit): an
/// identity too long to index.
pub fn incompressible(n: u64) -> String {
    (0..n)
        .map(|i| char::from(b'a' + (i.wrapping_mul(2_654_435_761) >> 7 & 15) as u8))
        .collect()
}

/// `engine`'s retry of the (up to ten newest) open quarantine entries of `ts`: the number
/// resolved and those still failing, with why.
pub async fn retry_open(engine: &Engine, ts: &TestStore) -> (usize, Vec<(i64, String)>) {
    let ids: Vec<i64> = ts
        .store
        .quarantine_list(None, false, 10)
        .await
        .unwrap()
        .iter()
        .map(|q| q.quarantine_id)
        .collect();
    engine
        .retry_quarantine(&ids, &parsers(), &aduan_sync::NoProgress)
        .await
        .unwrap()
}

pub async fn count(ts: &TestStore, sql: &str) -> i64 {
    let r = ts.store.query(sql).await.expect("query runs");
    r.rows[0][0].as_i64().expect("a number")
}

/// Asserts that events were written since the store held `events` (a late version's), and
/// no more than the complaint of source id `id` has: no other complaint's were written again.
pub async fn late_events_alone(ts: &TestStore, id: &str, events: i64) {
    let own = count(
        ts,
        &format!(
            "SELECT COUNT(*) FROM complaint_events e JOIN complaints c \
             ON c.complaint_seq = e.complaint_seq WHERE c.external_id = '{id}'"
        ),
    )
    .await;
    let now = count(ts, "SELECT COUNT(*) FROM complaint_events").await;
    assert!(now > events, "{}: the late version's events", ts.label);
    assert!(
        now - events <= own,
        "{}: events only of the late report ({events} → {now})",
        ts.label
    );
}

/// Cuts the stored payload of raw record `raw_id` short: packed, it no longer unpacks.
pub async fn cut_payload(ts: &TestStore, raw_id: i64) {
    ts.execute(
        "CREATE TABLE IF NOT EXISTS cut_payloads AS SELECT raw_id, payload FROM raw_records WHERE 0 = 1",
    )
    .await;
    ts.execute(&format!(
        "INSERT INTO cut_payloads SELECT raw_id, payload FROM raw_records WHERE raw_id = {raw_id}"
    ))
    .await;
    ts.execute(&format!(
        "UPDATE raw_records SET payload = substr(payload, 1, 10) WHERE raw_id = {raw_id}"
    ))
    .await;
}

/// Puts back the bytes [`cut_payload`] cut.
pub async fn restore_payload(ts: &TestStore, raw_id: i64) {
    ts.execute(&format!(
        "UPDATE raw_records SET payload = (SELECT c.payload FROM cut_payloads c WHERE c.raw_id = {raw_id}) \
         WHERE raw_id = {raw_id}"
    ))
    .await;
}

/// Renormalises `ts`, which must go on past payloads that no longer unpack, and checks that
/// `raw_id`'s is quarantined as stored (field `payload`, the reason naming it). Returns the
/// rebuild's counts.
pub async fn renormalise_past_unreadable(
    ts: &TestStore,
    channel: &str,
    raw_id: i64,
) -> aduan_sync::Counts {
    let counts = engine(ts)
        .renormalise(&parsers(), &aduan_sync::NoProgress)
        .await
        .unwrap_or_else(|e| panic!("{}: the rebuild goes on: {e}", ts.label));
    let entries = ts
        .store
        .quarantine_list(Some(channel), false, i64::MAX)
        .await
        .expect("listed");
    let entry = entries
        .iter()
        .find(|e| e.raw_id == Some(raw_id))
        .unwrap_or_else(|| panic!("{}: raw record {raw_id} quarantined", ts.label));
    assert_eq!(entry.field, "payload", "{}", ts.label);
    assert!(
        entry.reason.contains(&format!("raw record {raw_id}")),
        "{}: {}",
        ts.label,
        entry.reason
    );
    assert_eq!(entry.payload.len(), 10, "{}: kept as stored", ts.label);
    // Retried while the archive still cannot be read: it stays, with its reason.
    let (resolved, failing) = engine(ts)
        .retry_quarantine(&[entry.quarantine_id], &parsers(), &aduan_sync::NoProgress)
        .await
        .expect("retried");
    assert_eq!(resolved, 0, "{}", ts.label);
    let [(id, why)] = failing.as_slice() else {
        panic!("{}: one failing: {failing:?}", ts.label)
    };
    assert_eq!(*id, entry.quarantine_id, "{}", ts.label);
    assert!(
        why.contains("still cannot be read") && why.contains(&format!("raw record {raw_id}")),
        "{}: {why}",
        ts.label
    );
    let kept = ts
        .store
        .quarantine_get(entry.quarantine_id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(kept.reason, entry.reason, "{}", ts.label);
    assert!(kept.resolved_at.is_none(), "{}", ts.label);
    counts
}

pub const QUICK: Duration = Duration::from_millis(10);

/// Makes sure the connector type is the one the registry builds.
pub fn channel_id() -> &'static str {
    <Sp4nLapor as PullConnector>::CHANNEL
}

/// The cc112 connector reading a folder; files must be older than `settle_secs`.
pub fn cc112_dir(dir: &std::path::Path, settle_secs: u64) -> aduan_cc112::Cc112 {
    let config: aduan_cc112::Config = serde_json::from_value(serde_json::json!({
        "dir": dir,
        "settle_secs": settle_secs,
        "batch_rows": 50,
    }))
    .expect("config");
    aduan_cc112::Cc112::new(config, None).expect("connector builds")
}

/// Writes a file and dates it `age` in the past (as if mirrored earlier).
pub fn write_aged(path: &std::path::Path, bytes: &[u8], age: Duration) {
    std::fs::write(path, bytes).expect("write");
    let f = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    f.set_modified(std::time::SystemTime::now() - age)
        .expect("set mtime");
}

/// The simulator serving only Call Center 112.
pub async fn cc112_sim(config: Cc112Config) -> RunningSim {
    Simulator::start(
        SimConfig {
            seed: 7,
            cc112: Some(config),
            ..SimConfig::no_channels()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("simulator starts")
}

/// The cc112 connector reading the simulator's HTTP index.
pub fn cc112_url(sim: &RunningSim, basic_auth: Option<&str>) -> aduan_cc112::Cc112 {
    let config: aduan_cc112::Config = serde_json::from_value(serde_json::json!({
        "url": sim.cc112_url(),
        "batch_rows": 50,
        "retry_base_ms": 20,
        "timeout_secs": 5,
    }))
    .expect("config");
    aduan_cc112::Cc112::new(config, basic_auth.map(Secret::new)).expect("connector builds")
}

/// The files a [`file_server`] serves, by path without its leading `/`; changed as it runs.
pub type Files = Arc<std::sync::Mutex<HashMap<String, Vec<u8>>>>;

/// A tiny HTTP server on loopback answering every request for a path from `files` with
/// `200` and its bytes (a path asked with a query: its bytes, or else the bare path's;
/// absent: `404`; bytes that begin with `HTTP/1.1 ` are the whole answer, sent as they are),
/// whatever the method: for answers the simulator does not give.
/// Its base URL and task.
pub async fn file_server(files: Files) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16 * 1024];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            let path = request
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_string();
            let body = {
                let files = files.lock().unwrap();
                files
                    .get(&path)
                    .or_else(|| path.split_once('?').and_then(|(bare, _)| files.get(bare)))
                    .cloned()
            };
            let head = match &body {
                Some(b) if b.starts_with(b"HTTP/1.1 ") => String::new(),
                Some(b) => format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    b.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    .to_string(),
            };
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&body.unwrap_or_default()).await;
        }
    });
    (base, task)
}
