//! Aduan's sync engine: the only place that joins connector, normaliser and store.
//!
//! A run takes the channel's lease, opens the connector at the saved cursor, and for each
//! batch: archives the raw payloads, parses and normalises the new ones, upserts complaints,
//! appends events, quarantines what fails, and saves the cursor, all in one transaction. A
//! run that fails keeps the cursor of its last committed batch; the next run resumes there.
//!
//! ```no_run
//! # async fn demo(engine: aduan_sync::Engine, connector: &dyn aduan_core::DynPullConnector) {
//! let report = engine.sync(connector, &aduan_sync::NoProgress).await.unwrap();
//! println!("{}", report.summary_line());
//! # }
//! ```
#![deny(missing_docs)]

mod batch;
mod error;
mod pipeline;
mod report;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aduan_core::{
    BatchSource as _, ChannelSpec, DynPullConnector, FieldError, RawRecord, SourceComplaint,
};
use aduan_normalise::Normaliser;
use aduan_store::{RunRecord, Store};
use chrono::Utc;
use tokio::sync::watch;
use tracing::Instrument;

pub use batch::{Counts, UNREADABLE_FIELD};
pub use error::{Error, Result};
pub use report::{Outcome, RunReport};

/// Records a batch: pages are joined up to this (a transaction takes several batches: see
/// `batch::WriteBehind`).
const BATCH_RECORDS: usize = 2_000;

/// Archived payloads read at a time by a rebuild.
const RAW_PAGE: i64 = 2_000;

/// What a run that read past `left` says about it: how many, the first few by name.
fn left_behind(channel: &str, left: &[String]) -> String {
    const NAMED: usize = 5;
    let mut named = left[..left.len().min(NAMED)].join(", ");
    if left.len() > NAMED {
        named.push_str(&format!(" and {} more", left.len() - NAMED));
    }
    format!(
        "{channel}: {} item(s) could not be read and are tried again next run: {named}",
        left.len()
    )
}

/// Gives `leases` up whatever `result` is, and returns it. A lease that cannot be given up
/// is the error when there is no other (it expires by itself, or goes with its session);
/// after another error it is only logged.
async fn given_back<T>(leases: Vec<aduan_store::Lease>, result: Result<T>) -> Result<T> {
    let mut failed = None;
    for l in leases {
        if let Err(e) = l.release().await {
            failed.get_or_insert(e);
        }
    }
    match (result, failed) {
        (Ok(t), None) => Ok(t),
        (Ok(_), Some(f)) => Err(f.into()),
        (Err(e), Some(f)) => {
            tracing::warn!(error = %f, "Could not give a lease up after a failure; it expires by itself.");
            Err(e)
        }
        (Err(e), None) => Err(e),
    }
}

/// Archived payloads as records to read again, and their content hashes.
fn stored_records(raws: Vec<aduan_store::StoredRaw>) -> (Vec<RawRecord>, Vec<Vec<u8>>) {
    raws.into_iter().map(stored_record).unzip()
}

/// An archived payload as a record to read again, and its content hash.
fn stored_record(mut r: aduan_store::StoredRaw) -> (RawRecord, Vec<u8>) {
    let hash = std::mem::take(&mut r.content_hash);
    (batch::to_record(r), hash)
}

/// Rows written by one run from which the store's statistics are brought up to date at its
/// end (see `Store::after_bulk_write`).
const BULK_ROWS: u64 = 10_000;

/// What a long job tells whoever watches it (a progress bar, or nothing).
pub trait Progress: Send + Sync {
    /// A batch of `channel` was committed; `counts` are the run's totals so far.
    fn batch(&self, channel: &str, counts: &Counts);
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn batch(&self, _: &str, _: &Counts) {}
}

/// How runs behave.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How long a SQLite lease lasts without renewal (renewed after every batch).
    pub lease_ttl: Duration,
    /// A run's time budget: past it the run saves its progress and stops (`partial`).
    pub budget: Option<Duration>,
    /// How long a run's row is kept in `sync_runs` (see `Store::prune_runs`).
    pub keep_runs: chrono::TimeDelta,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            lease_ttl: Duration::from_secs(120),
            budget: None,
            keep_runs: chrono::TimeDelta::days(90),
        }
    }
}

/// The engine: a store, the city's policy, options.
#[derive(Debug, Clone)]
pub struct Engine {
    store: Store,
    normaliser: Arc<Normaliser>,
    options: EngineOptions,
    stop: Option<watch::Receiver<bool>>,
    /// When this engine last forgot old webhook delivery ids (see `drain_inbox`).
    forgotten: Arc<std::sync::Mutex<Option<Instant>>>,
    /// Whether complaints changed since this engine last linked incidents, and when it did
    /// (see `drain_inbox`).
    incidents: Arc<std::sync::Mutex<(bool, Option<Instant>)>>,
}

/// How long a webhook delivery's id is kept to recognise its retries: a week, well past the
/// senders' retry windows (Pantau Pekalongan: 24 hours).
pub const DELIVERY_IDS_KEPT: Duration = Duration::from_secs(7 * 24 * 3600);

/// How often an engine forgets delivery ids older than [`DELIVERY_IDS_KEPT`].
const FORGET_EVERY: Duration = Duration::from_secs(3600);

/// The channels whose quarantine is settled (see [`aduan_store::Store::settle_quarantine`]):
/// those that do not fold their payloads together (each payload is its record whole).
fn settled(channels: &HashMap<&'static str, ChannelSpec>) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = channels
        .iter()
        .filter(|(_, spec)| spec.fold.is_none())
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    ids
}

/// How often at most the webhook inbox's folds link incidents (a pass groups the whole table
/// by reporter; webhooks come every few seconds).
const INCIDENTS_EVERY: Duration = Duration::from_secs(60);

/// The error of a run stopped by [`Engine::with_stop`]'s signal.
pub const STOPPED_BY_SHUTDOWN: &str = "stopped by shutdown";

/// The target of the event that logs the error a run stopped on ("Sync stopped."): a
/// service's runs are told by their log, while `aduan sync` says each run's error on its
/// channel's line and turns this target off (the error was printed twice).
pub const RUN_STOPPED_TARGET: &str = "aduan_sync::run_stopped";

/// The whole error a run of `channel` stopped by [`Engine::with_stop`]'s signal records
/// (`sync_runs.error`): what the scheduler's catch-up and `aduan sync`'s summary tell it by.
pub fn stopped_by_shutdown(channel: &str) -> String {
    format!("{channel}: {STOPPED_BY_SHUTDOWN}")
}

/// What a run stopped by its time budget records after its channel's id (`sync_runs.error`,
/// see [`budget_used_up`]): a run so stopped is no failure (the scheduler does not back off,
/// `aduan sync` does not fail for it).
pub const BUDGET_USED_UP: &str = "time budget used up; the rest is fetched next run";

/// The whole error a run of `channel` stopped by its time budget records.
pub fn budget_used_up(channel: &str) -> String {
    format!("{channel}: {BUDGET_USED_UP}")
}

/// The longest a source's `Retry-After` holds a channel back (a proxy's of a year stops no
/// channel): what is kept of it (see [`Engine::asked_until`]) and what the scheduler honours.
pub const LONGEST_ASKED_WAIT: Duration = Duration::from_secs(24 * 3600);

/// How long past a run's budget a fetch in flight may still bring its batch (the pages read
/// ahead are handed over as the budget ends): a quarter of the budget, at most a minute.
fn fetch_grace(budget: Option<Duration>) -> Duration {
    budget.map_or(Duration::ZERO, |b| (b / 4).min(Duration::from_secs(60)))
}

/// Resolves at `at`; never without one.
async fn past(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

/// Resolves once `stop` says true; never, when there is no signal or its sender is gone.
async fn stopped(stop: Option<watch::Receiver<bool>>) {
    if let Some(mut rx) = stop {
        if rx.wait_for(|s| *s).await.is_ok() {
            return;
        }
    }
    std::future::pending::<()>().await
}

impl Engine {
    /// An engine over `store` with `normaliser`.
    pub fn new(store: Store, normaliser: Arc<Normaliser>, options: EngineOptions) -> Self {
        Self {
            store,
            normaliser,
            options,
            stop: None,
            forgotten: Arc::default(),
            incidents: Arc::default(),
        }
    }

    /// Gives the engine a stop signal (a service's shutdown). Once it says `true`, a run
    /// commits no further batch: the batch being written is finished, a fetch in flight is
    /// given up (nothing of it was stored), and the run ends `partial` with the error
    /// [`STOPPED_BY_SHUTDOWN`], its cursor saved; the next run resumes there.
    pub fn with_stop(mut self, stop: watch::Receiver<bool>) -> Self {
        self.stop = Some(stop);
        self
    }

    fn stop_requested(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| *s.borrow())
    }

    /// How long a run's lease lasts without being renewed (a killed process's holds its
    /// channel that long).
    pub fn lease_ttl(&self) -> Duration {
        self.options.lease_ttl
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs one sync of a pull connector. A second run of the same channel while one is
    /// running is recorded as `skipped` and returns at once.
    pub async fn sync(
        &self,
        connector: &dyn DynPullConnector,
        progress: &dyn Progress,
    ) -> Result<RunReport> {
        let channel = connector.channel();
        let run_id = uuid::Uuid::new_v4().to_string();
        let span = tracing::info_span!("sync", channel, run_id = %run_id);
        self.sync_inner(connector, progress, run_id)
            .instrument(span)
            .await
    }

    async fn sync_inner(
        &self,
        connector: &dyn DynPullConnector,
        progress: &dyn Progress,
        run_id: String,
    ) -> Result<RunReport> {
        let channel = connector.channel();
        let started = Instant::now();
        let mut run = RunRecord {
            run_id: run_id.clone(),
            channel: channel.to_string(),
            started_at: Utc::now(),
            ..RunRecord::default()
        };
        let Some(mut lease) = self
            .store
            .try_lease(channel, &run_id, self.options.lease_ttl)
            .await?
        else {
            tracing::warn!("Another run of this channel is in progress; skipped.");
            let mut report = RunReport::new(&run, Outcome::Skipped, started.elapsed());
            report.stand_ins = connector.stand_ins();
            report.error = Some(format!(
                "{channel}: another run of this channel holds the lease"
            ));
            report.fill(&mut run);
            self.store.save_run(&run).await?;
            return Ok(report);
        };
        let report = self
            .sync_leased(connector, progress, &mut lease, run, started)
            .await;
        given_back(vec![lease], report).await
    }

    /// [`sync`](Self::sync)'s run under the channel's `lease` (renewed as it goes), recorded
    /// in `run`.
    async fn sync_leased(
        &self,
        connector: &dyn DynPullConnector,
        progress: &dyn Progress,
        lease: &mut aduan_store::Lease,
        mut run: RunRecord,
        started: Instant,
    ) -> Result<RunReport> {
        let channel = connector.channel();
        let run_id = run.run_id.clone();
        // The run starts once it holds the lease: runs of a channel never overlap in time.
        run.started_at = Utc::now();
        // Runs of the channel still "running" are none now: they were killed.
        let interrupted = self.store.close_interrupted_runs(channel, &run_id).await?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "Earlier runs of this channel ended without recording it (a killed process); recorded as failed."
            );
        }
        // Runs older than kept are added into the channel's totals (housekeeping: a failure
        // is told, and the run goes on).
        let horizon = run.started_at.checked_sub_signed(self.options.keep_runs);
        match match horizon {
            Some(before) => self.store.prune_runs(channel, before).await,
            None => Ok(0),
        } {
            Ok(0) => {}
            Ok(moved) => tracing::debug!(moved, "Old runs added into sync_run_totals."),
            Err(e) => {
                tracing::warn!(error = %e, "Old runs could not be moved into sync_run_totals.")
            }
        }
        self.store.save_run(&run).await?;
        tracing::info!("Sync started.");
        let mut counts = Counts::default();
        let mut faults = Default::default();
        let mut left: Vec<String> = Vec::new();
        let deadline = self.options.budget.map(|b| started + b);
        let mut stopped_by_shutdown = false;
        let mut behind = batch::WriteBehind::default();
        // The source's view while a fetch is in flight: a fetch given up at the budget is
        // reported with what it met.
        let mut in_flight = None;
        // A fetch in flight was given up at the budget (and a wait it met may be unknown).
        let mut held_past_budget = false;
        let result: std::result::Result<bool, Error> = async {
            // Tables another process rebuilt with another normaliser refuse every commit of
            // this one: nothing is fetched only to be refused (the channel's rate limits).
            let ours = self.reads_with();
            if let Some(stored) = self.store.built_with().await?.filter(|s| *s != ours) {
                return Err(aduan_store::Error::BuiltOtherwise {
                    stored,
                    expected: ours,
                }
                .into());
            }
            let cursor = self.store.cursor(channel).await?;
            let source = tokio::select! {
                source = connector.open(cursor) => source?,
                () = stopped(self.stop.clone()) => {
                    stopped_by_shutdown = true;
                    return Ok(false);
                }
            };
            let mut source = pipeline::prefetch(
                channel,
                source,
                pipeline::Join {
                    records: BATCH_RECORDS,
                    bytes: pipeline::JOIN_BYTES,
                    age: pipeline::JOIN_AGE,
                    deadline: deadline.map(tokio::time::Instant::from_std),
                },
            );
            in_flight = source.in_flight();
            let mut given_up = false;
            let outcome = 'run: loop {
                if self.stop_requested() {
                    stopped_by_shutdown = true;
                    break Ok(false);
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    tracing::warn!("Time budget used up; the rest is fetched next run.");
                    break Ok(false);
                }
                // A fetch in flight is given up on shutdown, and when it holds the run past its
                // budget (a rate limit waited out, retries): nothing of it is stored yet. While
                // it waits, the lease is renewed when due (what the run wrote so far committed
                // first, as the renewal waits for the database's writer): a slow channel does
                // not let the lease lapse and another run take the channel.
                let next = {
                    let fetch = source.next_batch();
                    tokio::pin!(fetch);
                    loop {
                        tokio::select! {
                            next = &mut fetch => break next,
                            () = stopped(self.stop.clone()) => {
                                stopped_by_shutdown = true;
                                given_up = true;
                                break 'run Ok(false);
                            }
                            () = past(deadline.map(|d| d + fetch_grace(self.options.budget))) => {
                                tracing::warn!("Time budget used up while a fetch was held up; it is given up and the rest is fetched next run.");
                                given_up = true;
                                held_past_budget = true;
                                break 'run Ok(false);
                            }
                            () = tokio::time::sleep(self.options.lease_ttl / 4) => {
                                if lease.due() {
                                    behind.flush(&mut counts).await?;
                                    lease.renew().await?;
                                }
                            }
                        }
                    }
                };
                faults = source.faults();
                left = source.left_behind();
                match next {
                    Ok(Some(b)) => {
                        // A fetch that waited long (retries, a Retry-After) may have outlived
                        // the lease: it is renewed, or found lost, before this batch is written.
                        if lease.due() {
                            behind.flush(&mut counts).await?;
                            lease.renew().await?;
                        }
                        let parse = |raw: &RawRecord| connector.parse(raw);
                        let reader = match connector.fold() {
                            Some(f) => batch::Reader::Fold(f),
                            None => batch::Reader::Each(&parse),
                        };
                        // Folds of one channel take turns (see `fold_lease`).
                        let fold_lease = match connector.fold() {
                            Some(_) => Some(self.fold_lease(channel, &run_id, true).await?),
                            None => None,
                        };
                        let fences = std::iter::once(&*lease)
                            .chain(fold_lease.iter().flatten())
                            .filter_map(aduan_store::Lease::fence)
                            .collect();
                        let input = batch::Input {
                            channel,
                            run_id: Some(&run_id),
                            records: b.records,
                            hashes: None,
                            cursor: b.cursor.as_deref(),
                            archive: true,
                            rebuild: false,
                            inbox_done: &[],
                            unreadable: Vec::new(),
                            fences,
                            again: b.again,
                        };
                        let done = batch::process(
                            &self.store,
                            &self.normaliser,
                            reader,
                            input,
                            &mut behind,
                            &mut counts,
                        )
                        .await;
                        match fold_lease {
                            Some(Some(l)) => given_back(vec![l], done).await?,
                            _ => done?,
                        }
                        if lease.due() {
                            behind.flush(&mut counts).await?;
                        }
                        lease.renew().await?;
                        progress.batch(channel, &counts);
                    }
                    Ok(None) => break Ok(true),
                    Err(e) => break Err(Error::from(e)),
                }
            };
            // What a fetch given up met (a `429` counted before its wait) is read from the
            // source once it has let the fetch go: a source with no view of a fetch in flight
            // tells it no other way.
            if given_up {
                source.give_up().await;
                faults = source.faults();
            }
            outcome
        }
        .await;
        // However the run ended, the batch in flight is committed (or its error told) before
        // the run is recorded.
        let flushed = behind.flush(&mut counts).await;
        let result = match (result, flushed) {
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
            (Ok(done), Ok(())) => Ok(done),
        };
        // One after the other: the pass's writes leave pages the statistics' `VACUUM` then
        // marks visible, and SQLite's `PRAGMA optimize` would not wait for its write lock.
        // Also when a pass failed before (in this process or another) and nothing changed
        // since: its complaints are linked now, not when a later run changes one.
        if counts.changed_complaints() || self.incidents_left().await {
            self.link_incidents().await;
        }
        // A record that came again closes its older quarantine entries (see
        // `Store::settle_quarantine`); left for the next run if it cannot be done now, also
        // one that reads nothing new (the query starts from the open entries: a run killed
        // after its last write left them open until a record came).
        if connector.fold().is_none() {
            self.settle_quarantine(&[connector.channel()]).await;
        }
        if counts.inserted + counts.updated >= BULK_ROWS {
            self.after_bulk_write().await;
        }
        let outcome = match &result {
            Ok(true) if left.is_empty() => Outcome::Ok,
            Ok(_) => Outcome::Partial,
            Err(_) if counts.batches > 0 => Outcome::Partial,
            Err(_) => Outcome::Failed,
        };
        // A run stopped with a fetch in flight (its budget, shutdown) met what that fetch met
        // too: the faults taken after each batch handed over are short of it (review of
        // session 49: a `429` waited out past the budget was in no report).
        let cut_short = match (&result, &in_flight) {
            (Ok(false), Some(live)) => {
                faults = live.faults();
                live.asked_wait()
            }
            _ => None,
        };
        let mut report = RunReport::new(&run, outcome, started.elapsed());
        report.stand_ins = connector.stand_ins();
        report.counts = counts;
        report.faults = faults;
        report.read_to_end = matches!(result, Ok(true));
        if let Err(e) = &result {
            tracing::error!(target: RUN_STOPPED_TARGET, error = %e, "Sync stopped.");
            report.error = Some(batch::storable(e.to_string()));
            if let Error::Connector(e) = e {
                report.asked_wait = e.asked_wait();
            }
        } else if stopped_by_shutdown {
            tracing::warn!("Stopped by shutdown; the rest is fetched next run.");
            report.error = Some(crate::stopped_by_shutdown(channel));
        } else if matches!(result, Ok(false)) {
            // A wait the source asked for, cut short, is named: the scheduler holds the
            // channel back for what is left of it, as for a run the wait stopped.
            report.error = Some(match cut_short {
                Some(wait) => format!(
                    "{channel}: a wait the source asked for (Retry-After) was cut short, {} s \
                     of it left; {BUDGET_USED_UP}",
                    wait.as_secs()
                ),
                // The source cannot tell what held its fetch up: said, not passed over (a
                // new channel whose source lacks `in_flight` looked as if its budget were
                // merely used up).
                None if held_past_budget && in_flight.is_none() => {
                    tracing::warn!("The channel's source gives no view of a fetch in flight (BatchSource::in_flight): a wait it was asked for is not known, and the channel is not held back for it.");
                    format!(
                        "{channel}: a fetch held up past the time budget was given up; whether \
                         the source asked for a wait (Retry-After) is not known (the channel's \
                         source gives no view of a fetch in flight), and the channel is not held \
                         back for one; {BUDGET_USED_UP}"
                    )
                }
                None => budget_used_up(channel),
            });
            report.asked_wait = cut_short;
        } else if !left.is_empty() {
            report.error = Some(batch::storable(left_behind(channel, &left)));
        }
        report.left_behind = left;
        report.fill(&mut run);
        self.store.save_run(&run).await?;
        self.keep_asked_wait(channel, &report).await;
        tracing::info!(summary = %report.summary_line(), "Sync finished.");
        Ok(report)
    }

    /// Keeps with the channel's cursor until when its source asked to be left alone, when
    /// the run ended on such a wait (a day at most, [`LONGEST_ASKED_WAIT`]), so that a
    /// restarted service does not ask it again before then; a run that read from the source
    /// without being asked to wait clears it. A run that reached no answer (its store, its
    /// network) leaves it as it was. A failure to write it is logged, not the run's.
    async fn keep_asked_wait(&self, channel: &str, report: &RunReport) {
        let until = match report.asked_wait {
            Some(wait) => {
                let wait = chrono::Duration::from_std(wait.min(LONGEST_ASKED_WAIT))
                    .unwrap_or_else(|_| chrono::Duration::days(1));
                Some(Utc::now() + wait)
            }
            None if report.read_to_end || report.counts.batches > 0 => None,
            None => return,
        };
        if let Err(error) = self.store.set_asked_until(channel, until).await {
            tracing::warn!(%error, "Could not record until when the source asked to be left alone; a restart may ask it sooner.");
        }
    }

    /// Until when `channel`'s source asked to be left alone, when that is still to come (a
    /// run before ended on a `Retry-After` it did not wait out; see [`RunReport::asked_wait`]).
    pub async fn asked_until(&self, channel: &str) -> Result<Option<chrono::DateTime<Utc>>> {
        let until = self.store.asked_until(channel).await?;
        Ok(until.filter(|t| *t > Utc::now()))
    }

    /// Links the complaints of one incident reported through several channels
    /// (`incident_id`, by `aduan_normalise::incidents`) after complaints were written; a
    /// failure is logged, not the run's (the next run's pass, or the inbox's within a minute,
    /// links them).
    async fn link_incidents(&self) {
        *self
            .incidents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (false, Some(Instant::now()));
        match self
            .store
            .link_incidents(false, Utc::now(), aduan_normalise::incidents)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(complaints = n, "Incidents linked."),
            Err(e) => {
                tracing::warn!(error = %e, "Could not link the complaints of one incident; the next run links them.");
                self.incidents
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0 = true;
                // For the next run of any process (this one may end first).
                if let Err(e) = self.store.incidents_pending().await {
                    tracing::warn!(error = %e, "Could not record that incidents are left to link.");
                }
            }
        }
    }

    /// Whether a pass that links incidents is due: one failed here since the last that
    /// succeeded, or the store says one is due (a failure, or writes whose pass was not made,
    /// in any process).
    async fn incidents_left(&self) -> bool {
        let here = self
            .incidents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
        here || self
            .store
            .incidents_are_pending(None)
            .await
            .unwrap_or(false)
    }

    /// Brings the store's statistics up to date after many rows were written; a failure is
    /// logged, not the run's (autovacuum gets there later).
    async fn after_bulk_write(&self) {
        if let Err(e) = self.store.after_bulk_write().await {
            tracing::warn!(error = %e, "Could not update the store's statistics after a large write.");
        }
    }

    /// Rebuilds `complaints` and `complaint_events` from `raw_records` alone (no network),
    /// with the channels given by id. Unchanged rows keep their `synced_at`.
    pub async fn renormalise(
        &self,
        channels: &HashMap<&'static str, ChannelSpec>,
        progress: &dyn Progress,
    ) -> Result<Counts> {
        let holder = format!("renormalise-{}", uuid::Uuid::new_v4());
        let mut leases = Vec::new();
        let rebuilt = match self.lease_all(channels, &holder, &mut leases).await {
            Ok(()) => self.rebuild(channels, &mut leases, progress).await,
            Err(e) => Err(e),
        };
        given_back(leases, rebuilt).await
    }

    /// What this engine's normaliser reads records with, as the store records what its
    /// unified tables are built with (see [`rebuild_if_stale`](Self::rebuild_if_stale)).
    pub fn reads_with(&self) -> String {
        self.normaliser.built_with().to_string()
    }

    /// Rebuilds the unified tables (as [`renormalise`](Self::renormalise) does) when they
    /// were built with other rules, tables or reporter key than this engine's normaliser
    /// has, or before Aduan recorded what with: a sync would otherwise store a complaint
    /// whose id changed again beside its old row, and read the rest differently by the age
    /// of the row. A store whose tables are empty is recorded as built with them. What was
    /// done: `None` when the tables were up to date, else why they were rebuilt and the
    /// rebuild's counts. [`Error::Busy`] when another process holds a channel: the tables
    /// stay as they are, and nothing should be synced into them until they are rebuilt.
    pub async fn rebuild_if_stale(
        &self,
        channels: &HashMap<&'static str, ChannelSpec>,
        progress: &dyn Progress,
    ) -> Result<Option<(String, Counts)>> {
        let now = self.normaliser.built_with();
        let text = now.to_string();
        let mut before = self.store.built_with().await?;
        if before.is_none() {
            if self.store.built_with_if_empty(&text).await? {
                return Ok(None);
            }
            // Another process may have recorded it meanwhile (two replicas starting on a
            // new store).
            before = self.store.built_with().await?;
        }
        if before.as_deref() == Some(text.as_str()) {
            return Ok(None);
        }
        let why = now.changes_since(before.as_deref());
        tracing::warn!(reason = %why, "The unified tables are rebuilt from the archive before anything is synced into them.");
        let counts = self.renormalise(channels, progress).await?;
        Ok(Some((why, counts)))
    }

    /// Takes, into `leases`, the lease of every channel with archived payloads (and a
    /// folding channel's fold lease: its webhook inbox is not folded meanwhile either);
    /// [`Error::Busy`] names the first channel another process holds.
    async fn lease_all(
        &self,
        channels: &HashMap<&'static str, ChannelSpec>,
        holder: &str,
        leases: &mut Vec<aduan_store::Lease>,
    ) -> Result<()> {
        // Every registered channel too, not only those with payloads archived: a channel's
        // first sync during the rebuild would write into the live tables the swap replaces.
        let mut all: Vec<String> = self.store.raw_channels().await?;
        for id in channels.keys() {
            if !all.iter().any(|c| c == id) {
                all.push((*id).to_string());
            }
        }
        all.sort_unstable();
        for channel in all {
            let fold = channels.get(channel.as_str()).and_then(|s| s.fold);
            let got = match self
                .store
                .try_lease(&channel, holder, self.options.lease_ttl)
                .await?
            {
                Some(l) if fold.is_some() => {
                    leases.push(l);
                    self.fold_lease(&channel, holder, false).await?
                }
                other => other,
            };
            match got {
                Some(l) => leases.push(l),
                None => return Err(Error::Busy(channel)),
            }
        }
        Ok(())
    }

    /// [`renormalise`](Self::renormalise)'s work, under `leases` (renewed as it goes).
    async fn rebuild(
        &self,
        channels: &HashMap<&'static str, ChannelSpec>,
        leases: &mut [aduan_store::Lease],
        progress: &dyn Progress,
    ) -> Result<Counts> {
        self.store.begin_rebuild().await?;
        let mut counts = Counts::default();
        let mut behind = batch::WriteBehind::default();
        // The next page is read while this one is processed.
        let read = |after: i64| {
            let store = self.store.clone();
            tokio::spawn(async move { store.raw_page(after, RAW_PAGE).await })
        };
        let mut next = read(0);
        loop {
            let page = next.await.map_err(|e| Error::Reader(e.to_string()))??;
            let Some((last, _)) = page.last() else { break };
            next = read(last.raw_id);
            // Keep arrival order, one write per run of the same channel.
            let mut rest = page.into_iter().peekable();
            while let Some(first) = rest.next() {
                let channel = first.0.channel.clone();
                let mut run = vec![first];
                while let Some(r) = rest.next_if(|(r, _)| r.channel == channel) {
                    run.push(r);
                }
                // What cannot be unpacked is quarantined as stored; the rest is rebuilt.
                let (run, unreadable): (Vec<_>, Vec<_>) =
                    run.into_iter().partition(|(_, failed)| failed.is_none());
                let (records, hashes): (Vec<_>, Vec<_>) =
                    run.into_iter().map(|(r, _)| stored_record(r)).unzip();
                let unreadable = unreadable
                    .into_iter()
                    .map(|(r, e)| {
                        let (record, hash) = stored_record(r);
                        (record, hash, e.map(|e| e.to_string()).unwrap_or_default())
                    })
                    .collect();
                // Written under the channel's leases (its own, and a folding channel's fold
                // lease), checked in each transaction.
                let fences = leases
                    .iter()
                    .filter_map(aduan_store::Lease::fence)
                    .filter(|f| {
                        let leased = f.channel();
                        leased == channel || leased.strip_suffix("#fold") == Some(channel.as_str())
                    })
                    .collect();
                let input = batch::Input {
                    rebuild: true,
                    unreadable,
                    fences,
                    ..batch::Input::again(&channel, records, Some(hashes))
                };
                self.reprocess(channels, input, &mut behind, &mut counts)
                    .await?;
            }
            if leases.iter().any(aduan_store::Lease::due) {
                behind.flush(&mut counts).await?;
            }
            for l in leases.iter_mut() {
                l.renew().await?;
            }
            progress.batch("renormalise", &counts);
        }
        behind.flush(&mut counts).await?;
        let fences: Vec<_> = leases
            .iter()
            .filter_map(aduan_store::Lease::fence)
            .collect();
        self.store
            .link_incidents(true, Utc::now(), aduan_normalise::incidents)
            .await?;
        let built_with = self.normaliser.built_with().to_string();
        self.store
            .finish_rebuild(&fences, &built_with, &settled(channels))
            .await?;
        self.after_bulk_write().await;
        Ok(counts)
    }

    /// [`aduan_store::Store::settle_quarantine`] of `channels`; a failure is logged (the next
    /// run settles them).
    async fn settle_quarantine(&self, channels: &[&str]) {
        for &channel in channels {
            match self.store.settle_quarantine(channel, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    channel,
                    closed = n,
                    "Quarantine entries closed: their records came again later."
                ),
                Err(e) => {
                    tracing::warn!(channel, error = %e, "Could not close the quarantine entries whose records came again; the next run does.")
                }
            }
        }
    }

    /// Reads archived payloads again (`input`: nothing archived twice) and hands them to
    /// `behind` to write, clearing its `inbox_done` from the webhook inbox in the same
    /// transaction.
    async fn reprocess(
        &self,
        channels: &HashMap<&'static str, ChannelSpec>,
        input: batch::Input<'_>,
        behind: &mut batch::WriteBehind,
        counts: &mut Counts,
    ) -> Result<()> {
        let channel = input.channel;
        let spec = channels.get(channel).copied();
        let parse = |raw: &RawRecord| -> std::result::Result<Vec<SourceComplaint>, FieldError> {
            match spec {
                Some(s) => (s.parse)(raw),
                None => Err(FieldError::new(
                    channel,
                    &raw.source_ref,
                    "",
                    "no connector of this channel is registered",
                )),
            }
        };
        let reader = match spec.and_then(|s| s.fold) {
            Some(f) => batch::Reader::Fold(f),
            None => batch::Reader::Each(&parse),
        };
        batch::process(&self.store, &self.normaliser, reader, input, behind, counts).await
    }

    /// [`reprocess`](Self::reprocess), committed before it returns.
    async fn reprocess_now(
        &self,
        channels: &HashMap<&'static str, ChannelSpec>,
        input: batch::Input<'_>,
        counts: &mut Counts,
    ) -> Result<()> {
        let mut behind = batch::WriteBehind::default();
        self.reprocess(channels, input, &mut behind, counts).await?;
        behind.flush(counts).await
    }

    /// Stores a verified webhook delivery of `channel` (archive and inbox, one
    /// transaction); `false` when the same payload, or the same `delivery` (the id its
    /// sender gives it), was stored before. Folding it into complaints is
    /// [`drain_inbox`](Self::drain_inbox)'s work.
    pub async fn receive(
        &self,
        channel: &str,
        raw: RawRecord,
        delivery: Option<&str>,
    ) -> Result<bool> {
        use sha2::Digest;
        let new = aduan_store::NewRaw {
            content_hash: sha2::Sha256::digest(&raw.payload).to_vec(),
            source_ref: batch::storable(raw.source_ref),
            external_id: batch::archived_id(raw.external_id),
            received_at: raw.received_at,
            payload: raw.payload,
            dictionary_id: None,
        };
        Ok(self.store.receive(channel, &new, delivery).await?)
    }

    /// The lease under which one channel's payloads are folded: a fold reads a group's
    /// stored payloads and writes what it makes of them, so two folds of a channel at once
    /// (a pull batch and a webhook inbox, or two replicas' inboxes) could each miss the
    /// other's payloads and the later write would win. With `wait`, it is waited for (a fold
    /// is short); without, `None` says another process holds it.
    async fn fold_lease(
        &self,
        channel: &str,
        holder: &str,
        wait: bool,
    ) -> Result<Option<aduan_store::Lease>> {
        let name = format!("{channel}#fold");
        let deadline = Instant::now() + self.options.lease_ttl;
        loop {
            if let Some(l) = self
                .store
                .try_lease(&name, holder, self.options.lease_ttl)
                .await?
            {
                return Ok(Some(l));
            }
            if !wait {
                return Ok(None);
            }
            if Instant::now() >= deadline {
                return Err(Error::Busy(name));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Folds the webhook deliveries of `spec`'s channel that are stored but not yet folded
    /// into complaints, a batch per transaction, until none is left. One process at a time
    /// folds a channel (see `fold_lease`); `None` when another does now (its inbox is folded
    /// by that process, or at the next try).
    pub async fn drain_inbox(&self, spec: &ChannelSpec) -> Result<Option<Counts>> {
        let channel = spec.id;
        let holder = format!("inbox-{}", uuid::Uuid::new_v4());
        let Some(mut lease) = self.fold_lease(channel, &holder, false).await? else {
            return Ok(None);
        };
        let channels = HashMap::from([(channel, *spec)]);
        let mut counts = Counts::default();
        let result = async {
            loop {
                let page = self.store.inbox(channel, 500).await?;
                if page.is_empty() {
                    return Ok(());
                }
                let ids: Vec<i64> = page.iter().map(|r| r.raw_id).collect();
                let (records, hashes) = stored_records(page);
                let input = batch::Input {
                    inbox_done: &ids,
                    fences: lease.fence().into_iter().collect(),
                    ..batch::Input::again(channel, records, Some(hashes))
                };
                // The deliveries leave the inbox with their batch: read the next page after it.
                self.reprocess_now(&channels, input, &mut counts).await?;
                lease.renew().await?;
            }
        }
        .await;
        let changed = counts.changed_complaints();
        let drained = given_back(vec![lease], result.map(|()| Some(counts))).await;
        // At most once a minute; what changed since is linked by a later drain (this is
        // called every few seconds) or run.
        let (left_here, time) = {
            let mut state = self
                .incidents
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.0 |= changed;
            (
                state.0,
                state.1.is_none_or(|last| last.elapsed() >= INCIDENTS_EVERY),
            )
        };
        // A pass left due in the store by a process stopped before its pass (its row older
        // than a lease: a writer at work refreshes its own, and makes its pass when it ends)
        // is looked for at the same pace.
        let due = time
            && (left_here || {
                let stale = chrono::Duration::from_std(self.options.lease_ttl)
                    .ok()
                    .and_then(|ttl| Utc::now().checked_sub_signed(ttl));
                let due = self
                    .store
                    .incidents_are_pending(Some(stale.unwrap_or_else(Utc::now)))
                    .await
                    .unwrap_or(false);
                if !due {
                    self.incidents
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .1 = Some(Instant::now());
                }
                due
            });
        if due {
            self.link_incidents().await;
        }
        self.forget_old_deliveries().await;
        drained
    }

    /// Forgets webhook delivery ids older than [`DELIVERY_IDS_KEPT`], once an hour at most; a
    /// failure is logged (the next drain tries again).
    async fn forget_old_deliveries(&self) {
        {
            let Ok(mut last) = self.forgotten.lock() else {
                return;
            };
            if last.is_some_and(|at| at.elapsed() < FORGET_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        let before = Utc::now()
            - chrono::Duration::from_std(DELIVERY_IDS_KEPT)
                .unwrap_or_else(|_| chrono::Duration::days(7));
        match self.store.forget_deliveries(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                forgotten = n,
                "Forgot webhook delivery ids older than a week."
            ),
            Err(e) => tracing::warn!(error = %e, "Could not forget old webhook delivery ids."),
        }
    }

    /// Reads quarantined records again with the current parsers and tables; what now reads
    /// is stored and its entry resolved. Returns (resolved, still failing).
    pub async fn retry_quarantine(
        &self,
        ids: &[i64],
        channels: &HashMap<&'static str, ChannelSpec>,
        progress: &dyn Progress,
    ) -> Result<(usize, Vec<(i64, String)>)> {
        // Entries whose record came again later are closed first, not read again (counted
        // as resolved: they are).
        let open: std::collections::HashSet<i64> = self
            .store
            .quarantine_open_ids()
            .await?
            .into_iter()
            .collect();
        self.settle_quarantine(&settled(channels)).await;
        let mut resolved = 0;
        let mut failing = Vec::new();
        // Channels another run holds: their other entries are left at once.
        let mut busy: Vec<String> = Vec::new();
        // Shown as entries read, those resolved as written, those still failing as
        // quarantined.
        let shown = |done: usize, resolved: usize, failing: usize| {
            progress.batch(
                "quarantine",
                &Counts {
                    fetched: done as u64,
                    inserted: resolved as u64,
                    quarantined: failing as u64,
                    ..Counts::default()
                },
            );
        };
        for (done, &id) in ids.iter().enumerate() {
            if done > 0 {
                shown(done, resolved, failing.len());
            }
            let Some(entry) = self.store.quarantine_get(id).await? else {
                failing.push((id, format!("quarantine entry {id} does not exist")));
                continue;
            };
            if entry.resolved_at.is_some() {
                if open.contains(&id) {
                    resolved += 1;
                }
                continue;
            }
            if !channels.contains_key(entry.channel.as_str()) {
                failing.push((
                    id,
                    format!(
                        "{}: no connector of this channel is registered",
                        entry.channel
                    ),
                ));
                continue;
            }
            // An archived payload that did not unpack is read from the archive again (its
            // bytes or dictionary may have been restored); while it still does not unpack the
            // entry stays as it is, with its reason.
            let archived = match entry.raw_id {
                Some(raw_id) if entry.field == batch::UNREADABLE_FIELD => {
                    match self.store.raw(raw_id).await {
                        Ok(stored) => stored,
                        Err(e @ aduan_store::Error::Packing { .. }) => {
                            failing.push((
                                id,
                                format!(
                                    "{}: record {}: the archived payload still cannot be read: {e}",
                                    entry.channel, entry.record
                                ),
                            ));
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                _ => None,
            };
            // The archive's own hash goes with its payload; the entry's copy is hashed again.
            let (raw, hashes) = match archived {
                Some(stored) => {
                    let (raw, hash) = stored_record(stored);
                    (raw, Some(vec![hash]))
                }
                // Read as received when it was archived (a version dated after its receipt
                // is judged by that time, as a rebuild judges it; see
                // `aduan_normalise::dated_after_receipt`), else when it was quarantined; with
                // the source's id it came with, which names the record (review: an entry
                // failing again was renamed by its source's URL).
                None => {
                    let receipt = match entry.raw_id {
                        Some(raw_id) => self.store.raw_receipt(raw_id).await?,
                        None => None,
                    };
                    let (received_at, external_id) = receipt.unzip();
                    (
                        RawRecord {
                            source_ref: entry.source_ref.clone(),
                            external_id: external_id.flatten(),
                            received_at: received_at.unwrap_or(entry.quarantined_at),
                            payload: entry.payload.clone(),
                        },
                        None,
                    )
                }
            };
            let mut counts = Counts::default();
            let mut input = batch::Input::again(&entry.channel, vec![raw], hashes);
            // A fold reads its group's payloads and writes what it makes of them: under the
            // channel's fold lease, as a sync's or a webhook inbox's fold, or a fold committed
            // meanwhile would be overwritten by this older one.
            let folds = channels
                .get(entry.channel.as_str())
                .is_some_and(|s| s.fold.is_some());
            // Any other channel's record is written under the channel's own lease: a sync
            // or a rebuild of the channel meanwhile decides from rows this write changes (a
            // rebuild would also put its tables in place of this write). That lease is held
            // for a whole run, so it is not waited for: the entry is left for a later retry.
            let holder = format!("quarantine-retry-{}", uuid::Uuid::new_v4());
            let mut leases = Vec::new();
            if busy.contains(&entry.channel) {
                failing.push((
                    id,
                    format!(
                        "{}; retry when its run ends",
                        Error::Busy(entry.channel.clone())
                    ),
                ));
                continue;
            }
            if folds {
                // A fold is short and waited for; a lease held past that (a renormalise holds
                // every fold lease for its whole run) leaves this channel's entries for later.
                match self.fold_lease(&entry.channel, &holder, true).await {
                    Ok(l) => leases.extend(l),
                    Err(e @ Error::Busy(_)) => {
                        failing.push((id, format!("{e}; retry when its run ends")));
                        busy.push(entry.channel.clone());
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            } else {
                match self
                    .store
                    .try_lease(&entry.channel, &holder, self.options.lease_ttl)
                    .await?
                {
                    Some(l) => leases.push(l),
                    None => {
                        failing.push((
                            id,
                            format!(
                                "{}; retry when its run ends",
                                Error::Busy(entry.channel.clone())
                            ),
                        ));
                        busy.push(entry.channel.clone());
                        continue;
                    }
                }
            }
            input.fences = leases
                .iter()
                .filter_map(aduan_store::Lease::fence)
                .collect();
            let done = self.reprocess_now(channels, input, &mut counts).await;
            given_back(leases, done).await?;
            if counts.quarantined == 0 {
                self.store.resolve_quarantine(id, Utc::now()).await?;
                resolved += 1;
            } else if !self.store.quarantine_closed(&[id]).await?.is_empty() {
                // Failing only as an admin dismissed before: the write closed the entry
                // (see `WriteBatch::quarantine_dismissed`).
                resolved += 1;
            } else {
                failing.push((id, counts.last_error.unwrap_or_default()));
            }
        }
        shown(ids.len(), resolved, failing.len());
        if resolved > 0 {
            self.link_incidents().await;
        }
        Ok((resolved, failing))
    }
}
