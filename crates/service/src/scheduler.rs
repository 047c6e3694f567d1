//! The scheduler: one task per pull channel, each on its own cron expression.
//!
//! A tick while the channel's previous run is still going is skipped (and logged); after a
//! failed run the channel's ticks are skipped for a wait that doubles with each further
//! failure; the first tick after it tries again. A wait the source asked for (`Retry-After`)
//! longer than a run waits out holds the channel back too, also across a restart and when
//! another process's run was asked for it (the engine keeps it in the store, read by each
//! tick that would run). Channels never wait for one another. At start, a tick that
//! passed with no run (the first start, or downtime) runs at once, or once such a wait is
//! over.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aduan_core::DynPullConnector;
use aduan_sync::{
    Engine, NoProgress, Outcome, RunReport, BUDGET_USED_UP, LONGEST_ASKED_WAIT as LONGEST_ASKED,
    STOPPED_BY_SHUTDOWN,
};
use chrono::{DateTime, FixedOffset, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::metrics::{Metrics, BACKOFF, OVERLAP};
use crate::{Error, Result};

/// A pull channel and when to run it.
pub struct ScheduledChannel {
    connector: Arc<dyn DynPullConnector>,
    schedule: cron::Schedule,
    expr: String,
}

impl std::fmt::Debug for ScheduledChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledChannel")
            .field("channel", &self.connector.channel())
            .field("schedule", &self.expr)
            .finish()
    }
}

impl ScheduledChannel {
    /// `connector` run on `expr`, a cron expression with a seconds field
    /// (`0 */15 * * * *`) in the time zone `tz` (the service's `schedule_tz`); an invalid
    /// one, or one with no time to come there, is an error naming the channel and the
    /// expression.
    pub fn new(connector: Box<dyn DynPullConnector>, expr: &str, tz: FixedOffset) -> Result<Self> {
        let schedule = aduan_core::schedule::read(expr).map_err(|why| Error::Schedule {
            channel: connector.channel().to_string(),
            expr: expr.to_string(),
            message: format!("not a schedule (cron, seconds first): {why}"),
        })?;
        // One with no time to come (a year field in the past) would run the channel once, for
        // its last tick "missed", and never again.
        if !has_time_to_come(&schedule, tz, Utc::now()) {
            return Err(Error::Schedule {
                channel: connector.channel().to_string(),
                expr: expr.to_string(),
                message: "it has no time to come".into(),
            });
        }
        Ok(Self {
            connector: Arc::from(connector),
            schedule,
            expr: expr.to_string(),
        })
    }

    /// The channel id.
    pub fn channel(&self) -> &'static str {
        self.connector.channel()
    }
}

/// Whether `schedule` has a time after `now`, its fields read in the time zone `tz` as the
/// scheduler reads them. Review: it was asked in UTC, seven hours behind WIB, so a schedule
/// whose last time had passed in the city less than seven hours before (`0 0 23 31 12 * 2026`,
/// 23:00 WIB on New Year's Eve, asked at 03:00 WIB on New Year's Day) had one still to come:
/// the service started, ran the channel once for that time "missed", and never again.
pub(crate) fn has_time_to_come(
    schedule: &cron::Schedule,
    tz: FixedOffset,
    now: DateTime<Utc>,
) -> bool {
    schedule.after(&now.with_timezone(&tz)).next().is_some()
}

/// How the scheduler treats failures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
}

impl Backoff {
    /// The wait after `failures` failed runs in a row (at least one).
    pub(crate) fn after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.initial
            .saturating_mul(1u32 << doublings)
            .min(self.max.max(self.initial))
    }
}

/// `wait` after `now`; a wait too long for the clock (a backoff setting of ages) is a year.
fn later(now: Instant, wait: Duration) -> Instant {
    now.checked_add(wait)
        .unwrap_or(now + Duration::from_secs(365 * 24 * 3600))
}

/// Whether a run failed, for backing off. Stopping at the time budget or at shutdown is
/// not a failure: the progress is saved and the next tick goes on. Nor is a run that read
/// the channel to its end but left an item it could not read (a 112 file answered 404): the
/// next tick tries it again, and backing off would hold up the days after it.
pub(crate) fn failed(report: &RunReport) -> bool {
    match report.outcome {
        Outcome::Ok | Outcome::Skipped => false,
        Outcome::Failed => true,
        Outcome::Partial if report.read_to_end => false,
        Outcome::Partial => report
            .error
            .as_deref()
            .is_some_and(|e| !e.ends_with(STOPPED_BY_SHUTDOWN) && !e.ends_with(BUDGET_USED_UP)),
    }
}

/// How long the source asked to be left alone, when a run ended on a `429` or `503` whose
/// `Retry-After` was longer than the transport waits out, or on a `503` with one answered to
/// a request's last attempt ([`RunReport::asked_wait`], from the answer's header: session
/// 49, it was read from the error's words, which a body quoted after them could say).
pub(crate) fn asked_to_wait(report: &RunReport) -> Option<Duration> {
    let asked = report.asked_wait?;
    // (A day at most: a proxy's `Retry-After` of a year stops no channel.)
    Some(asked.min(LONGEST_ASKED))
}

/// How long from now until `tick` (nothing when it has passed).
pub(crate) fn until(tick: DateTime<FixedOffset>) -> Duration {
    (tick.with_timezone(&Utc) - Utc::now())
        .to_std()
        .unwrap_or_default()
}

/// The channel's loop: waits for each tick, starts a run unless one is going or the channel
/// backs off, and on stop waits for its run to end (the engine stops it after its batch).
pub(crate) async fn channel_loop(
    channel: ScheduledChannel,
    engine: Engine,
    tz: FixedOffset,
    backoff: Backoff,
    metrics: Metrics,
    mut stop: watch::Receiver<bool>,
) {
    let id = channel.channel();
    let ScheduledChannel {
        connector,
        schedule,
        expr,
    } = channel;
    metrics.scheduled(id);
    let now = Utc::now().with_timezone(&tz);
    let mut next = schedule.after(&now).next();
    tracing::info!(
        channel = id,
        schedule = %expr,
        next = %next.map_or_else(|| "never".to_string(), |t| t.to_rfc3339()),
        "Channel scheduled."
    );
    // A tick that passed with no run (the first start, or the service was down at it) is run
    // at once, not left to the next tick: a push channel's backfill catches up what its
    // webhooks could not deliver meanwhile, a pull channel what came since.
    // Until it has run (a process killed a moment ago may hold the channel's lease for a
    // while: the run is skipped), it is tried again every `CATCH_UP_RETRY` until that lease
    // has surely lapsed (a run in another process may hold it longer, and runs the tick).
    let mut catching_up = 0u32;
    let tries = catch_up_tries(engine.lease_ttl());
    let mut failures: u32 = 0;
    let mut resume_at: Option<Instant> = None;
    // What holds the channel back until `resume_at`, for the log of a tick skipped.
    let mut hold = Hold::Failures { asked: false };
    // A wait the source asked a run before this start for (kept with the channel's cursor)
    // is honoured (review, session 51: a source that asked for an hour was asked again at
    // once after a restart).
    let asked_until = match engine.asked_until(id).await {
        Ok(until) => until,
        Err(error) => {
            tracing::warn!(channel = id, %error, "Could not read until when the source asked to be left alone; the channel runs as scheduled.");
            None
        }
    };
    if let Some(until) = asked_until {
        let wait = (until - Utc::now()).to_std().unwrap_or_default();
        resume_at = Some(later(Instant::now(), wait.min(LONGEST_ASKED)));
        hold = Hold::Asked;
        tracing::info!(
            channel = id,
            until = %until.to_rfc3339(),
            wait_secs = wait.as_secs(),
            "The source asked a run before this start to be left alone until then (Retry-After); the channel waits it out."
        );
    }
    if let Some(missed) = missed_tick(&schedule, &now, &engine, id).await {
        // Once the source's wait is over, when it asked for one.
        let at = match asked_until {
            Some(until) => (until + chrono::Duration::seconds(1)).with_timezone(&tz),
            None => now,
        };
        tracing::info!(
            channel = id,
            missed = %missed.to_rfc3339(),
            at = %at.to_rfc3339(),
            "A scheduled run was missed (the service was not running, or the run was cut short); the channel runs at once, or once the wait its source asked for is over."
        );
        next = Some(at.min(next.unwrap_or(at)));
        catching_up = tries;
    }
    let mut running: Option<JoinHandle<Ended>> = None;
    // The latest tick that came.
    let mut last: Option<DateTime<FixedOffset>> = None;
    loop {
        let Some(tick) = next else {
            tracing::warn!(channel = id, schedule = %expr, "The schedule has no further time; the channel is not run again.");
            break;
        };
        tokio::select! {
            () = tokio::time::sleep(until(tick).min(REPLAN)) => {
                let now = Utc::now().with_timezone(&tz);
                if now < tick {
                    // Not yet: the wait is measured again, from the wall clock's time now.
                    next = match last {
                        Some(l) => next_tick(&schedule, l, now),
                        None => Some(schedule.after(&now).next().map_or(tick, |t| t.min(tick))),
                    };
                    continue;
                }
            }
            done = async { running.as_mut().expect("guarded by the condition").await }, if running.is_some() => {
                running = None;
                metrics.in_progress(id, false);
                // A panicking run counts as a failed one.
                let done = done.unwrap_or(Ended::Failed(None));
                catching_up = catching_up.saturating_sub(1);
                if catching_up > 0 && done == Ended::Skipped {
                    let retry = Utc::now().with_timezone(&tz)
                        + chrono::Duration::from_std(CATCH_UP_RETRY).unwrap_or_default();
                    tracing::info!(channel = id, retry_secs = CATCH_UP_RETRY.as_secs(), "The missed run was skipped (another run holds the channel); it is tried again.");
                    next = next.map(|n| n.min(retry)).or(Some(retry));
                } else {
                    catching_up = 0;
                }
                match done {
                    Ended::Failed(asked) => {
                        failures += 1;
                        // Never sooner than the source asked (a `Retry-After` longer than the
                        // transport waits out ended the run).
                        let wait = backoff.after(failures).max(asked.unwrap_or_default());
                        resume_at = Some(later(Instant::now(), wait));
                        hold = Hold::Failures {
                            asked: asked.is_some_and(|a| a >= backoff.after(failures)),
                        };
                        tracing::warn!(channel = id, failures, retry_after_secs = wait.as_secs(), "Run failed; the channel backs off.");
                    }
                    Ended::Ran(asked) => {
                        failures = 0;
                        // A wait the source asked for that the run's budget cut short is
                        // honoured, though the run is no failure (review of session 49: the
                        // next tick asked the source again).
                        resume_at = asked.map(|wait| later(Instant::now(), wait));
                        hold = Hold::Asked;
                        if let Some(wait) = asked {
                            tracing::info!(channel = id, wait_secs = wait.as_secs(), "The source asked for a wait the run's budget cut short; the channel waits it out.");
                        }
                    }
                    // Another process's run held the channel: it says nothing of the source,
                    // and the back-off goes on doubling (it started over, so two services on
                    // one store asked a failing source as often as after one failure).
                    Ended::Skipped => {}
                }
                continue;
            }
            _ = stop.wait_for(|s| *s) => break,
        }
        let now = Utc::now().with_timezone(&tz);
        last = Some(tick);
        next = next_tick(&schedule, tick, now);
        if running.is_some() {
            tracing::warn!(
                channel = id,
                tick = %tick.to_rfc3339(),
                "The channel's previous run is still going; this tick is skipped."
            );
            metrics.tick_skipped(id, OVERLAP);
            continue;
        }
        // A wait another process's run was asked for (another service on the store, an
        // operator's `aduan sync`) holds this one too (review of session 51: it was read
        // at start only, and the next tick asked the source again). Read only by a tick
        // that would run.
        if resume_at.is_none_or(|at| Instant::now() >= at) {
            if let Ok(Some(until)) = engine.asked_until(id).await {
                let wait = (until - Utc::now()).to_std().unwrap_or_default();
                resume_at = Some(later(Instant::now(), wait.min(LONGEST_ASKED)));
                hold = if failures > 0 {
                    Hold::Failures { asked: true }
                } else {
                    Hold::Asked
                };
            }
        }
        if let Some(at) = resume_at.filter(|at| Instant::now() < *at) {
            let wait_secs = at.saturating_duration_since(Instant::now()).as_secs();
            // Said as it is: a wait the source asked for holds a channel with no failure
            // (review, session 51: it was logged as backing off after failed runs).
            match hold {
                Hold::Failures { asked: false } => tracing::info!(
                    channel = id,
                    failures,
                    wait_secs,
                    "Backing off after failed runs; this tick is skipped."
                ),
                Hold::Failures { asked: true } => tracing::info!(
                    channel = id,
                    failures,
                    wait_secs,
                    "Backing off after failed runs, as long as the source asked (Retry-After); this tick is skipped."
                ),
                Hold::Asked => tracing::info!(
                    channel = id,
                    failures,
                    wait_secs,
                    "Waiting out the wait the source asked for (Retry-After), with no failed run; this tick is skipped."
                ),
            }
            metrics.tick_skipped(id, BACKOFF);
            continue;
        }
        metrics.in_progress(id, true);
        running = Some(tokio::spawn(run_once(
            engine.clone(),
            Arc::clone(&connector),
            tick,
        )));
    }
    if let Some(run) = running {
        tracing::info!(
            channel = id,
            "Waiting for the running sync to finish its batch."
        );
        let _ = run.await;
        metrics.in_progress(id, false);
    }
}

/// The tick after `tick` (the one that has just come) at `now`.
fn next_tick(
    schedule: &cron::Schedule,
    tick: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
) -> Option<DateTime<FixedOffset>> {
    // The next tick strictly after this one, even if the clock is a little behind; a clock
    // stepped back further is followed from its new time (a tick may run again then, which
    // a sync takes as any run: it goes on from its cursor).
    let behind = tick.signed_duration_since(now);
    let from = if behind <= chrono::Duration::from_std(SKEW).unwrap_or_default() {
        tick.max(now)
    } else {
        now
    };
    schedule.after(&from).next()
}

/// How far behind the tick that came the clock may be and still count as a little behind.
const SKEW: Duration = Duration::from_secs(60);

/// The longest wait before the time to the next tick is measured again on the wall clock
/// (a sleep goes by the monotonic clock: a step of the wall clock is followed within it).
const REPLAN: Duration = Duration::from_secs(30);

/// The latest tick before `now` when no run of the channel started at or after it and ended
/// its work (none ever did, the service was not running then, or the run was killed with
/// it, or stopped by a shutdown, or recorded as interrupted; a run skipped because another
/// held the channel is none: the other's is the tick's run). An unreadable store misses
/// nothing: the ticks go on as scheduled.
async fn missed_tick(
    schedule: &cron::Schedule,
    now: &DateTime<FixedOffset>,
    engine: &Engine,
    channel: &str,
) -> Option<DateTime<FixedOffset>> {
    let previous = schedule.after(now).next_back()?;
    match engine.store().last_run(channel).await {
        // (A run still without an outcome was killed, or runs in another process: then this
        // one is skipped, and tried again a few times.)
        Ok(Some(run)) if run.started_at >= previous.with_timezone(&Utc) && ended(&run) => None,
        Ok(_) => Some(previous),
        Err(error) => {
            tracing::warn!(channel, %error, "Could not read the channel's last run; it runs at its next tick.");
            None
        }
    }
}

/// Whether `run` ended its work: it has an outcome, and was neither stopped by a shutdown
/// (review: a restart after `systemctl restart` left the rest of the tick's work to the next
/// tick, a day away, where a killed process's was done at start) nor recorded as
/// interrupted.
fn ended(run: &aduan_store::RunRecord) -> bool {
    let stopped = aduan_sync::stopped_by_shutdown(&run.channel);
    let cut_short = run
        .error
        .as_deref()
        .is_some_and(|e| e == stopped || e == aduan_store::INTERRUPTED);
    run.outcome.is_some() && !cut_short
}

/// What holds a channel's ticks back, for the log of a tick skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// Failed runs in a row (the back-off); `asked` when the source asked for a wait as long
    /// as the back-off's or longer, which is then what holds it.
    Failures { asked: bool },
    /// A wait the source asked for, with no failure: one a run's budget cut short, or one a
    /// run before the service's start ended on.
    Asked,
}

/// How a scheduled run ended, for the channel's loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// It ran (or stopped short for a reason that is no failure), the channel then held back
    /// as long as the source asked, when the run's budget cut short a wait it asked for.
    Ran(Option<Duration>),
    /// Another run held the channel.
    Skipped,
    /// It failed: the channel backs off, at least as long as the source asked (a `429`'s
    /// `Retry-After` longer than honoured).
    Failed(Option<Duration>),
}

/// How a run that made its report ended, for the channel's loop.
fn how_ended(report: &RunReport) -> Ended {
    if failed(report) {
        Ended::Failed(asked_to_wait(report))
    } else if report.outcome == Outcome::Skipped {
        Ended::Skipped
    } else {
        Ended::Ran(asked_to_wait(report))
    }
}

/// How often a run of a missed tick is tried again while it is skipped.
const CATCH_UP_RETRY: Duration = Duration::from_secs(30);

/// How many times a run of a missed tick is tried: until a lease of `lease_ttl` taken just
/// before the start has lapsed, and once more.
fn catch_up_tries(lease_ttl: Duration) -> u32 {
    let retries = lease_ttl.as_secs().div_ceil(CATCH_UP_RETRY.as_secs());
    u32::try_from(retries).unwrap_or(u32::MAX).saturating_add(2)
}

/// One run.
async fn run_once(
    engine: Engine,
    connector: Arc<dyn DynPullConnector>,
    tick: DateTime<FixedOffset>,
) -> Ended {
    let channel = connector.channel();
    match engine.sync(connector.as_ref(), &NoProgress).await {
        Ok(report) => {
            tracing::debug!(channel, tick = %tick.to_rfc3339(), summary = %report.summary_line(), "Scheduled run ended.");
            how_ended(&report)
        }
        Err(error) => {
            tracing::error!(channel, %error, "Sync could not run.");
            Ended::Failed(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schedule's day of the week is numbered as crontab numbers it (the `cron` crate reads
    /// 1 as Sunday: review, `0 0 2 * * 1-5` ran from Sunday to Thursday).
    #[test]
    fn a_schedules_days_are_numbered_as_crontab_numbers_them() {
        use chrono::{Datelike, TimeZone, Weekday::*};
        let wib = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
        // A Sunday, before two in the morning.
        let sunday = wib.with_ymd_and_hms(2026, 12, 6, 0, 0, 0).unwrap();
        for (expr, days) in [
            ("0 0 2 * * 1-5", vec![Mon, Tue, Wed, Thu, Fri, Mon]),
            ("0 0 2 * * 1", vec![Mon, Mon]),
            ("0 0 2 * * 0", vec![Sun, Sun]),
            ("0 0 2 * * 7", vec![Sun, Sun]),
            ("0 0 2 * * 5-7", vec![Sun, Fri, Sat, Sun]),
            ("0 0 2 * * MON", vec![Mon, Mon]),
        ] {
            let schedule: cron::Schedule = aduan_core::schedule::unix_days(expr).parse().unwrap();
            let got: Vec<chrono::Weekday> = schedule
                .after(&sunday)
                .take(days.len())
                .map(|t| t.weekday())
                .collect();
            assert_eq!(got, days, "{expr}");
        }
    }

    /// A schedule's last time is judged in the city's time, as it is run: one whose last time
    /// (23:00 WIB on 31 December 2026) has passed has none to come, though that time read in
    /// UTC is still seven hours away (review: such a schedule started, ran the channel once
    /// for its "missed" time, and never again).
    #[test]
    fn a_schedule_s_last_time_is_judged_in_the_city_s_time() {
        use chrono::TimeZone;
        let wib = aduan_core::time::wib();
        let last: cron::Schedule = "0 0 23 31 12 * 2026".parse().unwrap();
        let at = |d, m, y, h| wib.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().to_utc();
        // An hour before it, and four hours after it (20:00 UTC on 31 December).
        assert!(has_time_to_come(&last, wib, at(31, 12, 2026, 22)));
        assert!(!has_time_to_come(&last, wib, at(1, 1, 2027, 3)));
        // In UTC, the same fields are seven hours later.
        let utc = chrono::FixedOffset::east_opt(0).unwrap();
        assert!(has_time_to_come(&last, utc, at(1, 1, 2027, 3)));
        assert!(!has_time_to_come(&last, utc, at(1, 1, 2027, 7)));
    }

    /// A channel never run (its schedule is all the test looks at).
    struct Idle;

    #[async_trait::async_trait]
    impl DynPullConnector for Idle {
        fn channel(&self) -> &'static str {
            "idle"
        }
        async fn open(
            &self,
            _cursor: Option<String>,
        ) -> aduan_core::Result<Box<dyn aduan_core::BatchSource>> {
            Err(aduan_core::Error::Config {
                channel: "idle".into(),
                message: "never opened".into(),
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

    /// The same through `ScheduledChannel::new` and `ScheduledBackup::new`, at the time the
    /// test runs: a schedule whose one time was an hour ago in WIB is refused, though its
    /// fields read in UTC name a time six hours away.
    #[test]
    fn a_schedule_whose_last_time_passed_in_the_city_is_refused() {
        use chrono::{Datelike, Timelike};
        let wib = aduan_core::time::wib();
        let past = (Utc::now() - chrono::Duration::hours(1)).with_timezone(&wib);
        let expr = format!(
            "{} {} {} {} {} * {}",
            past.second(),
            past.minute(),
            past.hour(),
            past.day(),
            past.month(),
            past.year()
        );
        let err = crate::ScheduledBackup::new(&expr, wib, "b".into(), 3).unwrap_err();
        assert!(err.to_string().contains("no time to come"), "{expr}: {err}");
        let err = ScheduledChannel::new(Box::new(Idle), &expr, wib).unwrap_err();
        assert!(err.to_string().contains("no time to come"), "{expr}: {err}");
        // An hour from now, it has.
        let soon = (Utc::now() + chrono::Duration::hours(1)).with_timezone(&wib);
        let expr = format!(
            "0 {} {} {} {} * {}",
            soon.minute(),
            soon.hour(),
            soon.day(),
            soon.month(),
            soon.year()
        );
        assert!(
            crate::ScheduledBackup::new(&expr, wib, "b".into(), 3).is_ok(),
            "{expr}"
        );
        assert!(
            ScheduledChannel::new(Box::new(Idle), &expr, wib).is_ok(),
            "{expr}"
        );
    }

    /// The wall clock stepped back (an NTP step, a restored VM) while the channel waited:
    /// the schedule goes on from the new time instead of stopping for as long as the step
    /// (review: a channel on `*/5 * * * * *` whose clock went back 10 minutes ran no more for
    /// 10 minutes, and said nothing). A clock a little behind still never runs a tick twice.
    #[test]
    fn a_clock_stepped_back_does_not_stop_the_schedule_for_the_length_of_the_step() {
        use chrono::TimeZone;
        let wib = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
        let every_5_s: cron::Schedule = "*/5 * * * * *".parse().unwrap();
        let tick = wib.with_ymd_and_hms(2026, 12, 7, 6, 40, 25).unwrap();
        // A little behind: the next tick, not this one again.
        let a_little = tick - chrono::Duration::milliseconds(200);
        assert_eq!(
            next_tick(&every_5_s, tick, a_little),
            Some(tick + chrono::Duration::seconds(5))
        );
        // Ten minutes back: the next tick of the new time, within 5 seconds.
        let stepped = tick - chrono::Duration::minutes(10);
        let next = next_tick(&every_5_s, tick, stepped).unwrap();
        assert!(
            next > stepped && next <= stepped + chrono::Duration::seconds(5),
            "the next tick {next} is {} s after the clock's time {stepped}",
            (next - stepped).num_seconds()
        );
    }

    #[test]
    fn a_backoff_too_long_for_the_clock_waits_a_year() {
        let now = Instant::now();
        let huge = Backoff {
            initial: Duration::from_secs(u64::MAX / 4),
            max: Duration::MAX,
        };
        let year = Duration::from_secs(365 * 24 * 3600);
        assert_eq!(later(now, huge.after(3)), now + year);
        assert_eq!(
            later(now, Duration::from_secs(60)),
            now + Duration::from_secs(60)
        );
    }

    /// The missed run is tried until a killed process's lease has lapsed, whatever its length
    /// (review: ten tries covered the default two minutes only).
    #[test]
    fn a_skipped_catch_up_is_tried_until_the_lease_has_lapsed() {
        for (ttl, tries) in [(120, 6), (600, 22), (1, 3)] {
            let n = catch_up_tries(Duration::from_secs(ttl));
            assert_eq!(n, tries, "{ttl} s");
            // The last try comes after the lease, taken at the start at the latest, lapsed.
            assert!(u64::from(n - 1) * CATCH_UP_RETRY.as_secs() > ttl, "{ttl} s");
        }
    }

    #[test]
    fn the_backoff_doubles_with_each_failure_up_to_its_maximum() {
        let b = Backoff {
            initial: Duration::from_secs(60),
            max: Duration::from_secs(600),
        };
        let waits: Vec<u64> = (1..=6).map(|n| b.after(n).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 600, 600]);
        assert_eq!(b.after(1_000).as_secs(), 600);
    }

    fn report(outcome: Outcome, error: Option<&str>) -> RunReport {
        RunReport {
            run_id: "r".into(),
            channel: "cc112".into(),
            outcome,
            counts: Default::default(),
            faults: Default::default(),
            error: error.map(str::to_string),
            asked_wait: None,
            left_behind: Vec::new(),
            read_to_end: false,
            elapsed: Duration::ZERO,
            stand_ins: aduan_core::StandIns::GENERAL,
        }
    }

    #[test]
    fn only_errors_count_as_failures_not_the_budget_nor_a_shutdown() {
        assert!(!failed(&report(Outcome::Ok, None)));
        assert!(!failed(&report(
            Outcome::Skipped,
            Some("cc112: another run")
        )));
        assert!(failed(&report(Outcome::Failed, Some("cc112: 500"))));
        assert!(failed(&report(Outcome::Partial, Some("cc112: 500"))));
        assert!(!failed(&report(
            Outcome::Partial,
            Some("cc112: time budget used up; the rest is fetched next run")
        )));
        assert!(!failed(&report(
            Outcome::Partial,
            Some(&format!("cc112: {STOPPED_BY_SHUTDOWN}"))
        )));
        // Read to its end, a file left for the next tick.
        let left = RunReport {
            left_behind: vec!["file 112_20210912.csv (answered 404)".into()],
            read_to_end: true,
            ..report(
                Outcome::Partial,
                Some("cc112: 1 item(s) could not be read and are tried again next run: …"),
            )
        };
        assert!(!failed(&left));
    }

    /// A run whose budget cut short a wait the source asked for is no failure, and holds
    /// the channel back for what is left of that wait (review of session 49: the next tick
    /// asked the source again).
    #[test]
    fn a_wait_the_budget_cut_short_holds_the_channel_back_without_a_failure() {
        let cut = RunReport {
            asked_wait: Some(Duration::from_secs(90)),
            ..report(
                Outcome::Partial,
                Some("cc112: a wait the source asked for (Retry-After) was cut short, 90 s of it left; time budget used up; the rest is fetched next run"),
            )
        };
        assert_eq!(how_ended(&cut), Ended::Ran(Some(Duration::from_secs(90))));
        assert_eq!(how_ended(&report(Outcome::Ok, None)), Ended::Ran(None));
        assert_eq!(
            how_ended(&RunReport {
                asked_wait: Some(Duration::from_secs(90)),
                ..report(Outcome::Failed, Some("cc112: 429"))
            }),
            Ended::Failed(Some(Duration::from_secs(90)))
        );
    }

    /// A `429`'s wait longer than a run waits out holds the channel back that long, a day at
    /// most (review: a `Retry-After` of a year stopped the channel for a year); what the
    /// error's words say is not read (session 49: a body quoted after them decided it).
    #[test]
    fn the_wait_a_source_asked_for_is_read_from_the_run_and_capped_at_a_day() {
        let asked = |secs: u64, error: &str| {
            asked_to_wait(&RunReport {
                asked_wait: Some(Duration::from_secs(secs)),
                ..report(Outcome::Failed, Some(error))
            })
        };
        assert_eq!(
            asked(
                3600,
                "sp4n_lapor: GET reports: asked to wait 1 s (Retry-After)"
            ),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(asked(31_536_000, "sp4n_lapor: 429"), Some(LONGEST_ASKED));
        assert_eq!(
            asked_to_wait(&report(
                Outcome::Failed,
                Some("cc112: answered 500 with «asked to wait 86400 s (Retry-After)»")
            )),
            None
        );
    }
}
