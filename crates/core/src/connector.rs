use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use crate::{Error, FieldError, Result, SourceComplaint};

/// A payload exactly as received (an API item, a file row, a webhook body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// Where it came from: URL and item, file and line, delivery id.
    pub source_ref: String,
    /// The source's identity of the record, where the transport knows it.
    pub external_id: Option<String>,
    /// When the aggregator received it.
    pub received_at: DateTime<Utc>,
    /// The bytes as received.
    pub payload: Vec<u8>,
}

/// Counts of what a run met on the way: retries by reason, token refreshes, items skipped.
pub type FaultCounts = BTreeMap<String, u64>;

/// Raw records plus the cursor that covers them.
#[derive(Debug, Default)]
pub struct Batch {
    /// The payloads, in the order received.
    pub records: Vec<RawRecord>,
    /// The cursor to save once these records are stored; `None` leaves it as it is.
    pub cursor: Option<String>,
    /// Records (indices into `records`) that changed since the channel was last read, from
    /// a source re-read whole whose rows can change back to an earlier version (a register
    /// edited in place: A, then B, then A again). One archived before is not skipped as seen:
    /// it is read again as the newest payload of its groups. Empty for most sources, whose
    /// payloads carry their own version (a time, a number).
    pub again: Vec<usize>,
}

/// What a pull connector hands the engine: batches, one at a time, until done.
#[async_trait]
pub trait BatchSource: Send {
    /// The next batch, or `None` when the channel has nothing more.
    async fn next_batch(&mut self) -> Result<Option<Batch>>;

    /// What the run met so far (retries, refreshed tokens, skipped items), by reason.
    fn faults(&self) -> FaultCounts;

    /// What this run read past and left for the next run to try again (a listed file that
    /// could not be read, say), each named with why; empty (the default) when nothing was.
    /// A run that left something is `partial`, and says what.
    fn left_behind(&self) -> Vec<String> {
        Vec::new()
    }

    /// What the run meets while a batch is being fetched, read without waiting for it: a
    /// run that gives up a fetch held past its time budget (a `429` waited out) reports
    /// what that fetch met, and the wait the source asked for that it cut short. `None` (the
    /// default) when the source has no such view: its faults are then those of the batches
    /// handed over.
    fn in_flight(&self) -> Option<std::sync::Arc<dyn InFlight>> {
        None
    }
}

/// A view of a source while a fetch is in flight (see [`BatchSource::in_flight`]).
pub trait InFlight: Send + Sync {
    /// What the run met so far, by reason, the fetch in flight's too.
    fn faults(&self) -> FaultCounts;

    /// What is left of a wait the source asked for (`Retry-After`) that the fetch in flight
    /// is waiting out; `None` when it waits for none.
    fn asked_wait(&self) -> Option<std::time::Duration>;
}

/// A channel that is pulled: a connector type with a serde-typed configuration.
///
/// Knows its channel's transport and format, nothing else: no SQL, no mapping tables.
#[async_trait]
pub trait PullConnector: Send + Sync + Sized + 'static {
    /// The channel id (`sp4n_lapor`, `cc112`, …).
    const CHANNEL: &'static str;
    /// The connector's settings, read from the `[channels.<id>]` table of the config.
    type Config: DeserializeOwned + Send;

    /// Builds the connector (no network yet). Secrets missing from the environment fail here,
    /// and so do settings [`check_settings`](Self::check_settings) refuses (it calls it).
    fn from_config(config: Self::Config) -> Result<Self>;

    /// Checks the settings without the secrets (reading none, no I/O): their ranges and
    /// URLs, each error naming the channel and the key ([`Error::Config`],
    /// [`check_within`](crate::check_within), `aduan_transport::check_url`). `aduan config
    /// check` and the start of `aduan sync` and `aduan serve` call it for every channel (see
    /// [`ChannelSpec::read_settings`]), so that a bad URL or a page size out of range is found
    /// where the secrets are not set, not at the first run that has them; the connector's
    /// constructor calls it too. The default checks nothing.
    fn check_settings(config: &Self::Config) -> Result<()> {
        let _ = config;
        Ok(())
    }

    /// How a run's summary calls the channel's stand-ins replaced by the records they stood
    /// in for (see [`Standing`](crate::Standing)), in the words of its operators. By default
    /// the general words, [`StandIns::GENERAL`].
    const STAND_INS: StandIns = StandIns::GENERAL;

    /// Starts reading after `cursor` (`None`: from the beginning).
    async fn open(&self, cursor: Option<String>) -> Result<Box<dyn BatchSource>>;

    /// Reads a raw payload into records in the channel's own words. Pure: no I/O.
    fn parse(raw: &RawRecord) -> Result<Vec<SourceComplaint>, FieldError>;

    /// Checks a cursor an operator sets (`aduan cursor set`) before it is saved, and gives
    /// it as it is saved: in the form the connector itself saves (what [`open`](Self::open)
    /// then sends on is what the connector would send), or an error saying why `open` would
    /// not read it. Pure: no I/O. The default takes any text as it is.
    fn check_cursor(cursor: &str) -> Result<String> {
        Ok(cursor.to_string())
    }

    /// For a channel whose complaints are folded from several payloads (a report's
    /// versions and its deletion, a message thread and its case): how. `None` (the default):
    /// each payload is read on its own by [`parse`](Self::parse).
    const FOLD: Option<Fold> = None;
}

/// What [`Fold::parse`] made of one group's payloads.
#[derive(Debug, Default)]
pub struct Folded {
    /// The group's complaints, each as it stands after every payload of the group.
    pub complaints: Vec<SourceComplaint>,
    /// Payloads that could not be read, by index into the slice given, with why; the rest
    /// were still read.
    pub errors: Vec<(usize, FieldError)>,
    /// Payloads read but making no complaint yet, by index, with why (a deletion of a
    /// report not received): kept in the archive and folded in when the rest arrives;
    /// counted (`waiting`) and logged meanwhile, so that they are not passed over in
    /// silence.
    pub waiting: Vec<(usize, String)>,
}

/// How a channel folds several payloads into its complaints.
///
/// Payloads are put in groups by [`keys`](Self::keys) when they are archived (a report id,
/// a sender); whenever a group gets a new payload, [`parse`](Self::parse) reads the whole
/// group again. Both are pure.
#[derive(Clone, Copy)]
pub struct Fold {
    /// The groups a payload belongs to; an error quarantines the payload.
    pub keys: fn(&RawRecord) -> Result<Vec<String>, FieldError>,
    /// Reads every payload of one group (given in arrival order; with
    /// [`versions`](Self::versions), each record's versions after the group's other
    /// payloads, in the order they came) into its complaints.
    pub parse: fn(&str, &[RawRecord]) -> Folded,
    /// For a payload that is one version of a record edited in place (a register's row),
    /// the key of the group holding every version of it (one of [`keys`](Self::keys)'s),
    /// when its other keys may change from version to version; `None` for others. A group
    /// is then folded with every version of such a record, in the order they came, so that
    /// an older version still linked under a group the record left (a case whose number was
    /// corrected) does not stand for it there.
    pub versions: Option<fn(&RawRecord) -> Option<String>>,
    /// For a channel whose group falls apart into runs by time (a sender's threads, each
    /// ending where the sender was silent for a while): how a group is folded from the runs
    /// a batch touches only, not the whole group. `None`: every fold reads the whole group.
    pub window: Option<Window>,
}

/// When a payload's items were made: the first time and the last.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// How a group is folded from the runs of its payloads that a batch touches (see
/// [`Fold::window`]): a sender's group grows for as long as the sender writes, and reading
/// it whole at every message makes each message cost more than the one before.
///
/// The engine puts a group's payloads with a [`span`](Self::span) into runs: each run is a
/// set of payloads whose spans (from [`run_from`](Self::run_from) where a payload has one)
/// lie less than [`silence`](Self::silence) apart, with at least that much time between it
/// and the next. It folds the runs the batch's payloads fall in (a payload's whole span),
/// with every payload whose span touches them and every payload of the group that has no
/// time (read with every fold), by [`parse`](Self::parse). A run must therefore make the same complaints alone as with the
/// rest of the group (for WhatsApp, given that a message id keeps its time: one repeated
/// with another time is read as the copy in the run read).
#[derive(Clone, Copy)]
pub struct Window {
    /// The times a payload's items of group `key` were made, first and last; `None` when it
    /// has none to read (a payload that is not timed: a case row, read with every fold).
    pub span: fn(&str, &RawRecord) -> Option<Span>,
    /// Where a payload's own items begin when its [`span`](Self::span) reaches back further
    /// than them, to items of other runs it changes (a WhatsApp deletion: back to any message
    /// it may delete); `None` when its span is its items' own. Runs are found from this to
    /// the span's end, so that such reaches do not join runs (a sender deleting a message
    /// every few days chained the reaches of their deletions, and a fold at their newest
    /// message read their whole history); a fold of a run reads every payload whose span
    /// touches it. Such a payload must make no complaint of its own, and change only what
    /// lies within its span.
    pub run_from: fn(&str, &RawRecord) -> Option<DateTime<Utc>>,
    /// The time with nothing in it that ends a run (at least: a run may hold more).
    pub silence: chrono::Duration,
    /// [`Fold::parse`] for some runs of a group and its untimed payloads: the complaints of
    /// those runs only (what stands apart from every run, such as a case whose thread has
    /// not come, may have its thread in a run not read, and is left out). What a batch
    /// removes (a complaint the part made before and no longer makes) is told by
    /// [`Fold::parse`] of the same payloads, before the batch's and with them.
    pub parse: fn(&str, &[RawRecord]) -> Folded,
}

impl std::fmt::Debug for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Window")
            .field("silence", &self.silence)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Fold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fold")
    }
}

/// What a webhook handler hands a verified delivery to: the engine's durable inbox.
#[async_trait]
pub trait PushSink: Send + Sync {
    /// Stores the payload durably (archive and inbox) and returns once it is safe to answer
    /// 2xx: `true` when it was new, `false` when the same payload, or the same `delivery`
    /// (the id the sender gives a delivery and repeats on its retries, where it gives one),
    /// was stored before. It is folded into complaints after the answer.
    async fn accept(&self, raw: RawRecord, delivery: Option<&str>) -> Result<bool>;

    /// Counts a delivery refused before anything was stored; `reason` is a short, stable
    /// word (`bad_signature`, `stale`, `malformed`), never the delivery's content.
    fn rejected(&self, reason: &'static str);
}

/// How a run's summary line calls a channel's stand-ins replaced by the records they stood
/// in for (see [`PullConnector::STAND_INS`]): the words after the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandIns {
    /// After `1`: `stand-in replaced by the record it stood in for`.
    pub one: &'static str,
    /// After a number other than 1: `stand-ins replaced by the records they stood in for`.
    pub many: &'static str,
}

impl StandIns {
    /// The words of a channel that gives none of its own.
    pub const GENERAL: StandIns = StandIns {
        one: "stand-in replaced by the record it stood in for",
        many: "stand-ins replaced by the records they stood in for",
    };

    /// `n` of them replaced, in these words: `2 stand-ins replaced by …`.
    pub fn replaced(&self, n: u64) -> String {
        format!("{n} {}", if n == 1 { self.one } else { self.many })
    }
}

/// The object-safe face of a [`PullConnector`], so that a registry can hold them all.
#[async_trait]
pub trait DynPullConnector: Send + Sync {
    /// The channel id.
    fn channel(&self) -> &'static str;
    /// See [`PullConnector::open`].
    async fn open(&self, cursor: Option<String>) -> Result<Box<dyn BatchSource>>;
    /// See [`PullConnector::parse`].
    fn parse(&self, raw: &RawRecord) -> Result<Vec<SourceComplaint>, FieldError>;
    /// See [`PullConnector::FOLD`].
    fn fold(&self) -> Option<Fold>;
    /// See [`PullConnector::STAND_INS`]; by default the general words.
    fn stand_ins(&self) -> StandIns {
        StandIns::GENERAL
    }
}

#[async_trait]
impl<C: PullConnector> DynPullConnector for C {
    fn channel(&self) -> &'static str {
        C::CHANNEL
    }
    async fn open(&self, cursor: Option<String>) -> Result<Box<dyn BatchSource>> {
        PullConnector::open(self, cursor).await
    }
    fn parse(&self, raw: &RawRecord) -> Result<Vec<SourceComplaint>, FieldError> {
        C::parse(raw)
    }
    fn fold(&self) -> Option<Fold> {
        C::FOLD
    }
    fn stand_ins(&self) -> StandIns {
        C::STAND_INS
    }
}

/// Reads a raw payload of one channel; no configuration needed (used by `renormalise`).
pub type ParseFn = fn(&RawRecord) -> Result<Vec<SourceComplaint>, FieldError>;

/// Builds a channel's connector from its configuration table.
pub type BuildFn = fn(serde_json::Value) -> Result<Box<dyn DynPullConnector>>;

/// One line of the channel registry.
#[derive(Clone, Copy)]
pub struct ChannelSpec {
    /// The channel id.
    pub id: &'static str,
    /// Its parser.
    pub parse: ParseFn,
    /// How it folds payloads into complaints, if it does.
    pub fold: Option<Fold>,
    /// Its connector factory.
    pub build: BuildFn,
    /// Its check of a cursor an operator sets ([`PullConnector::check_cursor`]).
    pub check_cursor: fn(&str) -> Result<String>,
    /// Reads a `[channels.<id>]` table as the connector's `Config` and checks it
    /// ([`PullConnector::check_settings`]: ranges and URLs), as [`build`](Self::build) does
    /// first, without building the connector: no secret is read, so a configuration's keys,
    /// types, ranges and URLs are checked where its secrets are not set (`aduan config
    /// check`, the start of `aduan sync` and `aduan serve`, a test of the shipped
    /// `config/aduan.toml`).
    pub read_settings: fn(serde_json::Value) -> Result<()>,
}

/// `channel`'s settings (its `[channels.<id>]` table) read into `T`; what does not read is
/// a configuration error naming the key at fault by its path (`per_page: invalid type: …`),
/// a value given by its kind, not quoted (a secret pasted under the wrong key stays unseen).
pub fn settings<T: serde::de::DeserializeOwned>(
    channel: &str,
    value: serde_json::Value,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let (key, reason) = crate::FieldError::serde_fault(e);
        Error::Config {
            channel: channel.to_string(),
            message: if key == "." {
                reason
            } else {
                format!("{key}: {reason}")
            },
        }
    })
}

impl ChannelSpec {
    /// The registry line for connector type `C`.
    pub fn of<C: PullConnector>() -> Self {
        Self {
            id: C::CHANNEL,
            parse: C::parse,
            fold: C::FOLD,
            check_cursor: C::check_cursor,
            read_settings: |value| C::check_settings(&settings::<C::Config>(C::CHANNEL, value)?),
            build: |value| {
                let config: C::Config = settings(C::CHANNEL, value)?;
                Ok(Box::new(C::from_config(config)?) as Box<dyn DynPullConnector>)
            },
        }
    }
}

impl std::fmt::Debug for ChannelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelSpec").field("id", &self.id).finish()
    }
}
