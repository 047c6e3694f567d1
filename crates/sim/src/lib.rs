//! `aduan-sim`: a simulator of Kota Pekalongan's complaint channels, for demos, tests and
//! benchmarks.
//!
//! It serves each channel's interface contract (`shared/channels/*.md`) over real HTTP on
//! one address, each channel under its own path prefix, from generated, realistic data that
//! is deterministic for a seed. Faults of the real systems (expiring tokens, rate limits,
//! 5xx, maintenance pages, slow answers, shifting pages, malformed records, outages) are
//! injected on request and counted.
//!
//! Channels: SP4N-LAPOR! under `/sp4n-lapor` ([`sp4n_lapor`]), Call Center 112
//! under `/cc112` ([`cc112`]), the Pantau Pekalongan smart-city app under `/smart-city`
//! ([`smart_city`]: a backfill API served, signed webhooks delivered on request), the
//! Wadul Aladin WhatsApp line under `/wadul-aladin` ([`wadul_aladin`]: the case register
//! served, WhatsApp Cloud API webhooks delivered on request), and Lapor Gub!, Central Java's
//! complaint service, under `/lapor-gub` ([`lapor_gub`]: the kab/kota integration API).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use aduan_sim::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("SP4N-LAPOR! at {}", sim.sp4n_base_url());
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod cc112;
mod faults;
pub mod lapor_gub;
mod reference;
pub mod smart_city;
pub mod sp4n_lapor;
mod text;
pub mod wadul_aladin;
mod webhooks;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use cc112::{Cc112Config, Cc112Faults, Cc112Stats};
pub use lapor_gub::{LaporGubConfig, LaporGubFaults, LaporGubStats, LaporGubTruth};
pub use smart_city::{
    signature, DeliveryPlan, DeliveryStats, SmartCityConfig, SmartCityFaults, SmartCityStats,
    TruthReport,
};
pub use sp4n_lapor::{Sp4nConfig, Sp4nFaults, Sp4nStats};
pub use wadul_aladin::{
    wadul_signature, wadul_text_body, WadulConfig, WadulDeliveryPlan, WadulFaults, WadulStats,
    WadulTruth,
};

use cc112::Cc112State;
use lapor_gub::LaporGubState;
use smart_city::SmartCityState;
use sp4n_lapor::Sp4nState;
use wadul_aladin::WadulState;

/// What to simulate.
///
/// [`SimConfig::default`] serves every channel with its default configuration;
/// [`SimConfig::no_channels`] serves none. A configuration names the seed and the channels
/// it turns on and takes the rest from one of the two, so that a channel added to the
/// simulator changes no configuration that does not name it:
///
/// ```
/// use aduan_sim::{SimConfig, Sp4nConfig};
/// // SP4N-LAPOR! alone, 100 reports, seed 7.
/// let config = SimConfig {
///     seed: 7,
///     sp4n_lapor: Some(Sp4nConfig { reports: 100, ..Sp4nConfig::default() }),
///     ..SimConfig::no_channels()
/// };
/// assert!(config.cc112.is_none() && config.lapor_gub.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Seed of all generated data (default 42).
    pub seed: u64,
    /// The SP4N-LAPOR! channel, or `None` to leave it out (default on).
    pub sp4n_lapor: Option<Sp4nConfig>,
    /// Call Center 112's daily exports; `None` leaves the channel out.
    pub cc112: Option<Cc112Config>,
    /// The Pantau Pekalongan smart-city app; `None` leaves the channel out (default on).
    pub smart_city: Option<SmartCityConfig>,
    /// The Wadul Aladin WhatsApp line; `None` leaves the channel out (default on).
    pub wadul_aladin: Option<WadulConfig>,
    /// Lapor Gub!, Central Java's complaint service; `None` leaves the channel out
    /// (default on).
    pub lapor_gub: Option<LaporGubConfig>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            sp4n_lapor: Some(Sp4nConfig::default()),
            cc112: Some(Cc112Config::default()),
            smart_city: Some(SmartCityConfig::default()),
            wadul_aladin: Some(WadulConfig::default()),
            lapor_gub: Some(LaporGubConfig::default()),
        }
    }
}

impl SimConfig {
    /// Seed 42 (as [`SimConfig::default`]) and every channel left out (`None`): the base of
    /// a configuration that turns on only the channels it names, such as a test's of one
    /// channel (`SimConfig { lapor_gub: Some(…), ..SimConfig::no_channels() }`). A
    /// simulator started with it alone serves its index (`/`) and nothing else.
    pub fn no_channels() -> Self {
        Self {
            seed: 42,
            sp4n_lapor: None,
            cc112: None,
            smart_city: None,
            wadul_aladin: None,
            lapor_gub: None,
        }
    }
}

/// Starts simulators.
#[derive(Debug, Clone, Copy)]
pub struct Simulator;

impl Simulator {
    /// Binds `addr` (`127.0.0.1:0` picks a free port), generates the data and serves it in a
    /// background tokio task until [`RunningSim::shutdown`] (or the handle is dropped).
    pub async fn start(config: SimConfig, addr: SocketAddr) -> io::Result<RunningSim> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let seed = config.seed;
        let sp4n = match config.sp4n_lapor {
            Some(c) => Some(Arc::new(
                tokio::task::spawn_blocking(move || Sp4nState::new(seed, c))
                    .await
                    .map_err(io::Error::other)?,
            )),
            None => None,
        };

        let cc112 = config.cc112.map(|c| Arc::new(Cc112State::new(seed, c)));
        let smart_city = match config.smart_city {
            Some(c) => Some(Arc::new(
                tokio::task::spawn_blocking(move || SmartCityState::new(seed, c))
                    .await
                    .map_err(io::Error::other)?,
            )),
            None => None,
        };
        let wadul = match config.wadul_aladin {
            Some(c) => Some(Arc::new(
                tokio::task::spawn_blocking(move || WadulState::new(seed, c))
                    .await
                    .map_err(io::Error::other)?,
            )),
            None => None,
        };
        let lapor_gub = match config.lapor_gub {
            Some(c) => Some(Arc::new(
                tokio::task::spawn_blocking(move || LaporGubState::new(seed, c))
                    .await
                    .map_err(io::Error::other)?,
            )),
            None => None,
        };

        let mut channels = serde_json::Map::new();
        let mut app = Router::new();
        if let Some(state) = &sp4n {
            app = app.nest(
                sp4n_lapor::PATH_PREFIX,
                sp4n_lapor::router(Arc::clone(state)),
            );
            channels.insert("sp4n_lapor".into(), sp4n_lapor::PATH_PREFIX.into());
        }
        if let Some(state) = &cc112 {
            app = app.nest(cc112::PATH_PREFIX, cc112::router(Arc::clone(state)));
            channels.insert("cc112".into(), cc112::PATH_PREFIX.into());
        }
        if let Some(state) = &smart_city {
            app = app.nest(
                smart_city::PATH_PREFIX,
                smart_city::router(Arc::clone(state)),
            );
            channels.insert("smart_city".into(), smart_city::PATH_PREFIX.into());
        }
        if let Some(state) = &wadul {
            app = app.nest(
                wadul_aladin::PATH_PREFIX,
                wadul_aladin::router(Arc::clone(state)),
            );
            channels.insert("wadul_aladin".into(), wadul_aladin::PATH_PREFIX.into());
        }
        if let Some(state) = &lapor_gub {
            app = app.nest(lapor_gub::PATH_PREFIX, lapor_gub::router(Arc::clone(state)));
            channels.insert("lapor_gub".into(), lapor_gub::PATH_PREFIX.into());
        }
        let index =
            serde_json::json!({ "simulator": "aduan-sim", "seed": seed, "channels": channels });
        app = app.route("/", get(move || async move { Json(index) }));

        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "simulator server stopped");
            }
        });
        Ok(RunningSim {
            addr: local,
            sp4n,
            cc112,
            smart_city,
            wadul,
            lapor_gub,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A simulator serving in the background.
#[derive(Debug)]
pub struct RunningSim {
    addr: SocketAddr,
    sp4n: Option<Arc<Sp4nState>>,
    cc112: Option<Arc<Cc112State>>,
    smart_city: Option<Arc<SmartCityState>>,
    wadul: Option<Arc<WadulState>>,
    lapor_gub: Option<Arc<LaporGubState>>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningSim {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `{base}` of the SP4N-LAPOR! contract: [`base_url`](Self::base_url) + `/sp4n-lapor`.
    pub fn sp4n_base_url(&self) -> String {
        format!("{}{}", self.base_url(), sp4n_lapor::PATH_PREFIX)
    }

    /// Call Center 112's HTTP index (`{url}` of the contract: `{url}/index.json`).
    pub fn cc112_url(&self) -> String {
        format!("{}{}", self.base_url(), cc112::PATH_PREFIX)
    }

    /// Moves Call Center 112's clock on by `hours` (calls progress, days are rewritten);
    /// returns the files that changed.
    pub fn cc112_advance(&self, hours: i64) -> Vec<String> {
        self.cc112
            .as_ref()
            .map(|s| s.advance(hours))
            .unwrap_or_default()
    }

    /// Writes Call Center 112's exports into a folder (as the SFTP mirror would).
    pub fn cc112_write_dir(&self, dir: &std::path::Path) -> io::Result<usize> {
        match &self.cc112 {
            Some(s) => s.write_dir(dir),
            None => Ok(0),
        }
    }

    /// What Call Center 112's exports hold now.
    pub fn cc112_stats(&self) -> Cc112Stats {
        self.cc112.as_ref().map(|s| s.stats()).unwrap_or_default()
    }

    /// Replaces the SP4N-LAPOR! faults at run time; request schedules (and the outage
    /// counter of `fail_after_requests`) start again from zero.
    pub fn sp4n_set_faults(&self, faults: Sp4nFaults) {
        if let Some(s) = &self.sp4n {
            s.set_faults(faults);
        }
    }

    /// Updates `n` distinct reports as the real system would (next step of their history,
    /// new version, `updated_at` one second after the newest report each, so they move to
    /// the end of the order). Returns their tracking ids, in the order they were updated.
    pub fn sp4n_update_reports(&self, n: usize) -> Vec<u64> {
        self.sp4n
            .as_ref()
            .map(|s| s.update_reports(n))
            .unwrap_or_default()
    }

    /// Updates `n` distinct reports in one go, as a bulk job would (an automatic closing
    /// run): each gets its next version, all with the same `updated_at`, one second after
    /// the newest report. Returns their tracking ids.
    pub fn sp4n_update_reports_together(&self, n: usize) -> Vec<u64> {
        self.sp4n
            .as_ref()
            .map(|s| s.update_reports_together(n))
            .unwrap_or_default()
    }

    /// Gives `n` distinct SP4N-LAPOR! reports last updated more than `lag_secs` (at least 1)
    /// before the newest `updated_at` a new version (the next step of their history) dated
    /// `lag_secs` before it: the system's transaction that committed late, after reports dated
    /// later were listed, so the version sorts before them and before a cursor saved since.
    /// Returns their tracking ids, in the order they were updated (fewer than `n` when fewer
    /// reports qualify).
    pub fn sp4n_commit_late(&self, n: usize, lag_secs: i64) -> Vec<u64> {
        self.sp4n
            .as_ref()
            .map(|s| s.commit_late(n, lag_secs))
            .unwrap_or_default()
    }

    /// Number of distinct SP4N-LAPOR! reports (the ground truth a full sync must reach).
    pub fn sp4n_report_count(&self) -> usize {
        self.sp4n.as_ref().map_or(0, |s| s.report_count())
    }

    /// SP4N-LAPOR! request and fault counters since start.
    pub fn sp4n_stats(&self) -> Sp4nStats {
        self.sp4n.as_ref().map(|s| s.stats()).unwrap_or_default()
    }

    /// The `{base}` of the Pantau Pekalongan contract: [`base_url`](Self::base_url) +
    /// `/smart-city`, so the backfill is `{base}/api/reports`.
    pub fn smart_city_base_url(&self) -> String {
        format!("{}{}", self.base_url(), smart_city::PATH_PREFIX)
    }

    /// The latest version of every Pantau Pekalongan report, sorted by id: what an
    /// aggregator must end up with.
    pub fn smart_city_truth(&self) -> Vec<TruthReport> {
        self.smart_city
            .as_ref()
            .map(|s| s.truth())
            .unwrap_or_default()
    }

    /// Pantau Pekalongan backfill request and fault counters since start.
    pub fn smart_city_stats(&self) -> SmartCityStats {
        self.smart_city
            .as_ref()
            .map(|s| s.stats())
            .unwrap_or_default()
    }

    /// Replaces the backfill faults at run time; their request schedule starts again from
    /// zero.
    pub fn smart_city_set_faults(&self, faults: SmartCityFaults) {
        if let Some(s) = &self.smart_city {
            s.set_faults(faults);
        }
    }

    /// Gives `n` distinct Pantau Pekalongan reports that are not deleted a new version now
    /// (the next status, or a withdrawal), all with `updated_at` = the newest `updated_at` +
    /// 1 s, so they move to the end of the backfill order. Returns their ids, in the order
    /// they were updated (fewer than `n` when fewer reports are left).
    pub fn smart_city_update_reports(&self, n: usize) -> Vec<String> {
        self.smart_city
            .as_ref()
            .map(|s| s.update_reports(n))
            .unwrap_or_default()
    }

    /// Gives `n` distinct Pantau Pekalongan reports that are not deleted, last updated more
    /// than `lag_secs` (at least 1) before the newest `updated_at`, a new version (the next
    /// status, or a withdrawal) dated `lag_secs` before it: the app's transaction that
    /// committed late, after a later-dated row was already served, so it sorts before a
    /// backfill cursor saved since. No webhook is sent for it. Returns their ids, in the
    /// order they were updated (fewer than `n` when fewer reports qualify).
    pub fn smart_city_commit_late(&self, n: usize, lag_secs: i64) -> Vec<String> {
        self.smart_city
            .as_ref()
            .map(|s| s.commit_late(n, lag_secs))
            .unwrap_or_default()
    }

    /// POSTs every version of every Pantau Pekalongan report (`report.created` for version 1,
    /// `report.updated` later, `report.deleted` for withdrawals) to `url` (the aggregator's
    /// `/webhooks/smart-city`), signed with the configured secret, following `plan`.
    /// Deliveries answered 5xx or failing to connect are retried up to 5 times with a
    /// 200 ms pause; four are in flight at once.
    pub async fn smart_city_deliver(&self, url: &str, plan: &DeliveryPlan) -> DeliveryStats {
        match &self.smart_city {
            Some(s) => s.deliver(url, plan).await,
            None => DeliveryStats::default(),
        }
    }

    /// The Wadul Aladin case register: [`base_url`](Self::base_url) +
    /// `/wadul-aladin/register.csv`.
    pub fn wadul_register_url(&self) -> String {
        format!(
            "{}{}/register.csv",
            self.base_url(),
            wadul_aladin::PATH_PREFIX
        )
    }

    /// Every Wadul Aladin complaint an aggregator must end up with after a delivery run
    /// with `plan` and a full read of the register, sorted by `external_id`: one per thread
    /// (its first `wamid`; with no messages when the plan loses its webhooks) and one per
    /// case typed in by hand (its `No Aduan`). Depends on the plan only through
    /// [`WadulDeliveryPlan::lose_threads_every`].
    pub fn wadul_truth(&self, plan: &WadulDeliveryPlan) -> Vec<WadulTruth> {
        self.wadul
            .as_ref()
            .map(|s| s.truth(plan))
            .unwrap_or_default()
    }

    /// Wadul Aladin register request and fault counters since start.
    pub fn wadul_stats(&self) -> WadulStats {
        self.wadul.as_ref().map(|s| s.stats()).unwrap_or_default()
    }

    /// Replaces the register faults at run time; their request schedule starts again from
    /// zero.
    pub fn wadul_set_faults(&self, faults: WadulFaults) {
        if let Some(s) = &self.wadul {
            s.set_faults(faults);
        }
    }

    /// Moves `n` distinct open cases of the register one status step on, editing their
    /// rows in place (same `No Aduan`; later `Tanggal Diteruskan`/`Tanggal Tindak Lanjut`,
    /// `Tindak Lanjut`, `Catatan` as the step needs). Returns their `No Aduan`, in the order
    /// they moved (fewer than `n` when fewer cases are open).
    pub fn wadul_advance(&self, n: usize) -> Vec<String> {
        self.wadul
            .as_ref()
            .map(|s| s.advance(n))
            .unwrap_or_default()
    }

    /// POSTs the WhatsApp Cloud API webhook bodies of every thread (and the auto-reply's
    /// delivery receipts) to `url` (the aggregator's `/webhooks/wadul-aladin`), signed
    /// `X-Hub-Signature-256` with the app secret, following `plan`. Deliveries answered 5xx
    /// or failing to connect are retried up to 5 times with a 200 ms pause; four are in
    /// flight at once. Counted as [`smart_city_deliver`](Self::smart_city_deliver) counts.
    pub async fn wadul_deliver(&self, url: &str, plan: &WadulDeliveryPlan) -> DeliveryStats {
        match &self.wadul {
            Some(s) => s.deliver(url, plan).await,
            None => DeliveryStats::default(),
        }
    }

    /// The `{base}` of the Lapor Gub! contract: [`base_url`](Self::base_url) +
    /// `/lapor-gub`, so the listing is `{base}/api/v2/aduan`.
    pub fn lapor_gub_base_url(&self) -> String {
        format!("{}{}", self.base_url(), lapor_gub::PATH_PREFIX)
    }

    /// Lapor Gub! request and fault counters since start.
    pub fn lapor_gub_stats(&self) -> LaporGubStats {
        self.lapor_gub
            .as_ref()
            .map(|s| s.stats())
            .unwrap_or_default()
    }

    /// What the Lapor Gub! simulator serves: Kota Pekalongan reports, how many of them are
    /// malformed, of unknown status or spam, and the other kab/kota's items.
    pub fn lapor_gub_truth(&self) -> LaporGubTruth {
        self.lapor_gub
            .as_ref()
            .map(|s| s.truth())
            .unwrap_or_default()
    }

    /// Moves `n` distinct Kota Pekalongan reports of Lapor Gub! one status step on (Tuntas
    /// reopens to Dalam Tindakan, Dikembalikan returns to Diverifikasi; Tidak Layak, Spam
    /// and reports of unknown status are left alone), appending a timeline entry, with
    /// `updated` = max(now, the newest `updated` + 1 ms) each, so they move to the end of
    /// the order. Returns their `noTiket`, in the order they were updated (fewer than `n`
    /// when fewer reports can move).
    pub fn lapor_gub_update_reports(&self, n: usize) -> Vec<String> {
        self.lapor_gub
            .as_ref()
            .map(|s| s.update_reports(n))
            .unwrap_or_default()
    }

    /// Moves `n` distinct Kota Pekalongan reports of Lapor Gub! last updated more than
    /// `lag_secs` (at least 1) before the newest `updated` one status step on, as
    /// [`lapor_gub_update_reports`](Self::lapor_gub_update_reports) does, but dated `lag_secs`
    /// before the newest `updated`: the system's transaction that committed late, after items
    /// dated later were listed, so the version sorts before them and before a `since` saved
    /// since. Returns their `noTiket`, in the order they were updated (fewer than `n` when
    /// fewer reports qualify).
    pub fn lapor_gub_commit_late(&self, n: usize, lag_secs: i64) -> Vec<String> {
        self.lapor_gub
            .as_ref()
            .map(|s| s.commit_late(n, lag_secs))
            .unwrap_or_default()
    }

    /// Stops serving: open connections are closed gracefully (a delayed response is given
    /// up to 10 s, then dropped).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(10), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
