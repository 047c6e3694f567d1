//! Writing: one batch (raw payloads, complaints, events, quarantine, cursor) per transaction.

use crate::fast::{HashMap, HashSet};
use std::sync::Arc;

use aduan_core::{UnifiedComplaint, UnifiedEvent};
use chrono::{DateTime, Utc};

use crate::error::Context;
use crate::lease::Fenced;
use crate::packing::{Dictionary, Packer};
use crate::{on_pool, Backend, Error, Result, Store};

/// A raw payload to archive.
#[derive(Debug, Clone)]
pub struct NewRaw {
    /// Where it came from.
    pub source_ref: String,
    /// The record's identity, where known.
    pub external_id: Option<String>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// SHA-256 of the payload as received.
    pub content_hash: Vec<u8>,
    /// The bytes as received, or packed with dictionary `dictionary_id`.
    pub payload: Vec<u8>,
    /// The dictionary `payload` is packed with (see [`crate::packing`]); `None`: as received.
    pub dictionary_id: Option<i64>,
}

/// A complaint to insert or update, with the hash of its content.
#[derive(Debug, Clone)]
pub struct ComplaintRow {
    /// The row.
    pub complaint: UnifiedComplaint,
    /// Hash of every column but `synced_at`.
    pub row_hash: String,
}

/// An event to append (once: `(complaint_id, event_key)` is unique).
#[derive(Debug, Clone)]
pub struct EventRow {
    /// The event.
    pub event: UnifiedEvent,
    /// Hash of its content.
    pub event_key: String,
}

/// A record that could not be read or normalised.
#[derive(Debug, Clone)]
pub struct QuarantineRow {
    /// SHA-256 of the raw payload, to link the archived record.
    pub content_hash: Vec<u8>,
    /// Where it came from.
    pub source_ref: String,
    /// Which record.
    pub record: String,
    /// Which field (empty for the whole record).
    pub field: String,
    /// Why.
    pub reason: String,
    /// The raw payload.
    pub payload: Vec<u8>,
}

/// A payload's membership of a group (see `raw_groups`): the payload by its hash.
#[derive(Debug, Clone)]
pub struct GroupLink {
    /// SHA-256 of the payload (archived before or in the same batch).
    pub content_hash: Vec<u8>,
    /// The group.
    pub group_key: String,
    /// The payload came again, changed back to it (see `aduan_core::Batch::again`): the
    /// link's arrival becomes now, after every payload of the group so far.
    pub again: bool,
    /// When the payload's items of the group were made, first and last, in unix seconds
    /// (see `aduan_core::Window`); [`GroupLink::ALWAYS`] for one read with every fold of the
    /// group (it has no time); `None` for a channel that folds whole groups (a group
    /// with a link without a span is read whole, see [`Store::group_near`]).
    pub span: Option<(i64, i64)>,
    /// Where the payload's own items begin, in unix seconds, when its span reaches back
    /// further than them (see `aduan_core::Window::run_from`): runs are found from here, and
    /// the payload is read by any fold its span touches. `None`: from the span's start.
    pub run_from: Option<i64>,
}

impl GroupLink {
    /// The span of a payload read with every fold of its group (it has no time, see
    /// `aduan_core::Window::span`): it touches every part, and is no run's (see
    /// [`Store::group_near`]).
    pub const ALWAYS: (i64, i64) = (i64::MIN, i64::MAX);
}

/// Everything one batch writes, committed together.
#[derive(Debug, Default)]
pub struct WriteBatch<'a> {
    /// The channel id.
    pub channel: &'a str,
    /// The run writing it.
    pub run_id: Option<&'a str>,
    /// `synced_at` of changed rows.
    pub now: DateTime<Utc>,
    /// Raw payloads not archived before.
    pub raws: &'a [NewRaw],
    /// The dictionary `raws` are packed with, stored first if it is not yet.
    pub dictionary: Option<&'a crate::packing::Dictionary>,
    /// Complaints new or changed.
    pub complaints: &'a [ComplaintRow],
    /// Events to append.
    pub events: &'a [EventRow],
    /// Records that failed.
    pub quarantine: &'a [QuarantineRow],
    /// Payloads (by content hash) read again that now fail only in ways an admin dismissed
    /// before (see [`Store::dismiss_quarantine`]): the open entry of each, which says a
    /// failure met since, no longer says what is true and is closed. Ignored in a rebuild's
    /// batch (its quarantine is merged when it ends, and such an entry goes then).
    pub quarantine_dismissed: &'a [Vec<u8>],
    /// Payloads' groups (channels that fold payloads), after `raws`.
    pub links: &'a [GroupLink],
    /// Whether `complaints` replace the stored rows whatever their `updated_at`, and `events`
    /// their whole history: a fold of every payload of a group knows more than any earlier
    /// fold, even where the source's times do not say so (two threads split again by a case
    /// that closed between them).
    pub supersede: bool,
    /// A rebuild's batch (see [`Store::begin_rebuild`]): written into the rebuild's tables,
    /// and a complaint whose content is what the live table holds keeps its `synced_at`, not
    /// `now`.
    pub rebuild: bool,
    /// Complaints to remove with their events (folded into another one, or a stand-in
    /// another took the place of).
    pub removed: &'a [String],
    /// Stand-ins taken over (see `aduan_core::Standing`), each with the complaint that took
    /// it over (`complaint_id`s): kept (`complaint_claims`), so that a record read under
    /// one later stores nothing (see [`Store::claimed`]). Written before `removed`.
    pub claims: &'a [(String, String)],
    /// Webhook deliveries of `push_inbox` this batch folded (removed from it).
    pub inbox_done: &'a [i64],
    /// The cursor covering this batch (`None`: unchanged).
    pub cursor: Option<&'a str>,
    /// The leases this batch is written under: the transaction it is written into checks
    /// each before it commits, and is rolled back ([`Error::LeaseLost`]) if one is no longer
    /// the holder's.
    pub fences: &'a [crate::Fence],
    /// What the batch's rows were read with (the normaliser's text, see
    /// [`Store::built_with`]): the transaction checks before it commits that the unified
    /// tables are recorded as built with it, or not recorded, and is rolled back
    /// ([`Error::BuiltOtherwise`]) otherwise. `None` for a rebuild's batches (their tables
    /// are recorded when they are put in place) and writes that read nothing.
    pub built_with: Option<&'a str>,
    /// This batch's counts (fetched, inserted, updated, unchanged, quarantined), added to
    /// its run's row (`run_id`, while it has no outcome) when the transaction commits: a run
    /// killed later keeps the counts of what it committed. `None`: counted by no run.
    pub run_counts: Option<[i64; 5]>,
}

/// An open transaction batches are written into (see [`Store::begin_writes`]). Dropped
/// without [`commit`](Self::commit), it is rolled back: none of its batches is stored.
pub struct Writes {
    tx: WritesTx,
    /// SQLite: this process's turn to write (see `Store::writer_turn`), until committed or
    /// dropped. (Declared after `tx`: given back once the transaction has ended.)
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    batches: usize,
    /// The leases of the batches written, checked before the commit.
    fences: Vec<crate::Fence>,
    /// What the batches' rows were read with, checked before the commit.
    built_with: Option<String>,
    /// Whether a batch changed complaints of the live tables: the transaction then records
    /// that an incidents pass is due (see [`Writes::write`]).
    incidents_due: bool,
    /// The batches' counts by run (see [`WriteBatch::run_counts`]), added when committing.
    run_counts: Vec<(String, [i64; 5])>,
}

enum WritesTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// `$body` with `$tx` the open transaction of either store (`on_pool!`'s twin for
/// [`WritesTx`]).
macro_rules! on_tx {
    ($writes:expr, $tx:ident => $body:expr) => {
        match $writes {
            WritesTx::Sqlite($tx) => $body,
            WritesTx::Postgres($tx) => $body,
        }
    };
}

impl std::fmt::Debug for Writes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writes")
            .field("batches", &self.batches)
            .finish_non_exhaustive()
    }
}

impl Writes {
    /// Writes one batch (archive first, then complaints, events, quarantine and the
    /// cursor) into the transaction. A batch that fails leaves the transaction unusable:
    /// drop it (everything written into it since it began is rolled back).
    ///
    /// The first batch of the transaction that changes the live complaints records with
    /// them, first (before it locks any complaint, which a pass waits for), that a pass
    /// linking incidents is due (`sync_state`, `__incidents__<channel>`; the pass removes
    /// them): a process killed between its commit and its pass leaves the pass to the next
    /// run. A row a channel, which only that channel's writer writes: writers of two
    /// channels do not wait for each other.
    pub async fn write(&mut self, w: &WriteBatch<'_>) -> Result<()> {
        let changes = !w.complaints.is_empty() || !w.removed.is_empty();
        if changes && !self.incidents_due && !w.rebuild {
            let key = crate::incidents::pending_key(w.channel);
            let what = || format!("recording that {} changed complaints", w.channel);
            on_tx!(&mut self.tx, tx => sqlx::query(CURSOR_SQL)
                .bind(&key)
                .bind(INCIDENTS_LEFT)
                .bind(crate::to_the_microsecond(w.now))
                .execute(&mut **tx)
                .await
                .map(drop))
            .context(what)?;
            self.incidents_due = true;
        }
        match &mut self.tx {
            WritesTx::Sqlite(tx) => crate::sqlite_batch::write(tx, w).await?,
            WritesTx::Postgres(tx) => crate::pg_batch::write(tx, w).await?,
        }
        self.batches += 1;
        if let (Some(run), Some(counts), false) = (w.run_id, w.run_counts, w.rebuild) {
            match self.run_counts.iter_mut().find(|(r, _)| r == run) {
                Some((_, sum)) => sum.iter_mut().zip(counts).for_each(|(s, c)| *s += c),
                None => self.run_counts.push((run.to_string(), counts)),
            }
        }
        for f in w.fences {
            if !self.fences.contains(f) {
                self.fences.push(f.clone());
            }
        }
        if let (Some(with), false) = (w.built_with, w.rebuild) {
            if self.built_with.as_deref() != Some(with) {
                self.built_with = Some(with.to_string());
            }
        }
        Ok(())
    }

    /// Commits every batch written, once the leases they were written under are found to be
    /// still their holders' ([`Error::LeaseLost`] otherwise, and nothing is committed).
    pub async fn commit(mut self) -> Result<()> {
        let batches = self.batches;
        let what = || format!("committing {batches} batch(es)");
        // The runs' counts: on SQLite first, as a write that takes the write lock (waiting
        // for another writer) before the reads below; a transaction whose batches wrote
        // nothing would otherwise be refused the lock at once after them (review: a run
        // failed with "database is locked"). On PostgreSQL last, so that the run's row is
        // locked only for the commit.
        let counts: Vec<(String, [i64; 5])> = std::mem::take(&mut self.run_counts)
            .into_iter()
            .filter(|(_, c)| c.iter().any(|n| *n != 0))
            .collect();
        let sqlite = matches!(self.tx, WritesTx::Sqlite(_));
        if sqlite {
            self.add_run_counts(&counts).await?;
        }
        on_tx!(&mut self.tx, tx => tx.check_fences(&self.fences).await?);
        if let Some(expected) = self.built_with.take() {
            const SQL: &str = "SELECT cursor FROM sync_state WHERE channel = '__built_with__'";
            let stored: Option<Option<String>> =
                on_tx!(&mut self.tx, tx => sqlx::query_scalar(SQL).fetch_optional(&mut **tx).await)
                    .context(what)?;
            if let Some(stored) = stored.flatten().filter(|s| *s != expected) {
                return Err(Error::BuiltOtherwise { stored, expected });
            }
        }
        if !sqlite {
            self.add_run_counts(&counts).await?;
        }
        on_tx!(self.tx, tx => tx.commit().await.context(what))
    }

    /// Adds `counts` to their runs' rows (those still without an outcome).
    async fn add_run_counts(&mut self, counts: &[(String, [i64; 5])]) -> Result<()> {
        for (run, c) in counts {
            on_tx!(&mut self.tx, tx => sqlx::query(
                "UPDATE sync_runs SET fetched = fetched + $2, inserted = inserted + $3, \
                 updated = updated + $4, unchanged = unchanged + $5, \
                 quarantined = quarantined + $6 WHERE run_id = $1 AND outcome IS NULL",
            )
            .bind(run)
            .bind(c[0])
            .bind(c[1])
            .bind(c[2])
            .bind(c[3])
            .bind(c[4])
            .execute(&mut **tx)
            .await
            .map(drop))
            .context(|| format!("counting what run {run} commits"))?;
        }
        Ok(())
    }
}

/// `sync_runs.error` of a run that never recorded its end (see
/// [`Store::close_interrupted_runs`]).
pub const INTERRUPTED: &str = "interrupted: the run never recorded its end (its process was \
stopped or lost the store); what it committed stays, and the next run went on from there";

/// One row of `sync_runs`: a run as it is written and read back.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct RunRecord {
    /// The run's id.
    pub run_id: String,
    /// The channel.
    pub channel: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// `ok`, `partial`, `failed`, `skipped`; `None` while running.
    pub outcome: Option<String>,
    /// Records received.
    pub fetched: i64,
    /// Complaints inserted.
    pub inserted: i64,
    /// Complaints changed.
    pub updated: i64,
    /// Records that changed nothing.
    pub unchanged: i64,
    /// Records quarantined.
    pub quarantined: i64,
    /// The error, if any.
    pub error: Option<String>,
    /// JSON: faults met and unknown values.
    pub report: Option<String>,
}

pub(crate) const COMPLAINT_COLUMNS: &str = "complaint_id, channel, external_id, kind, urgency, \
    category_main, category_sub, category_source, category_method, title, body, status, \
    status_source, agency, kecamatan_code, kelurahan_code, kecamatan, kelurahan, address, \
    latitude, longitude, in_city, reporter_key, anonymous, confidential, reported_at, \
    updated_at, first_response_at, resolved_at, incident_id, synced_at, row_hash, reported_month";

/// The tables a batch writes: the live ones, or those a rebuild fills beside them and puts
/// in their place (the unified tables) or merges into them (the quarantine) when it ends (see
/// [`Store::begin_rebuild`]).
#[derive(Clone, Copy)]
pub(crate) struct Tables {
    pub(crate) complaints: &'static str,
    pub(crate) events: &'static str,
    pub(crate) quarantine: &'static str,
    /// The stand-ins taken over (see [`WriteBatch::claims`]).
    pub(crate) claims: &'static str,
}

/// The tables the analysts read.
pub(crate) const LIVE: Tables = Tables {
    complaints: "complaints",
    events: "complaint_events",
    quarantine: "quarantine",
    claims: "complaint_claims",
};

/// A rebuild's tables.
pub(crate) const REBUILT: Tables = Tables {
    complaints: "complaints_rebuild",
    events: "complaint_events_rebuild",
    quarantine: "quarantine_rebuild",
    claims: "complaint_claims_rebuild",
};

/// Each live table and the rebuild's table that takes its place.
const SWAPPED: [(&str, &str); 2] = [
    (LIVE.complaints, REBUILT.complaints),
    (LIVE.events, REBUILT.events),
];

impl Tables {
    /// A rebuild's tables, or the live ones.
    pub(crate) fn of(rebuild: bool) -> Tables {
        if rebuild {
            REBUILT
        } else {
            LIVE
        }
    }
}

/// The `ON CONFLICT` clause of the complaints upsert: every column but the key and (but in
/// a rebuild) `incident_id` is replaced; unless `supersede`, only by a version not older than
/// the stored one.
pub(crate) fn upsert_tail(supersede: bool, table: &str) -> String {
    // A new version keeps the incident it was linked to (`Store::link_incidents` decides it
    // again after the run); in a rebuild the last version carries the live row's, where its
    // content is the same.
    let rebuild = table == REBUILT.complaints;
    let sets: Vec<String> = COMPLAINT_COLUMNS
        .split(',')
        .map(str::trim)
        .filter(|c| *c != "complaint_id" && (rebuild || *c != "incident_id"))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let guard = if supersede {
        String::new()
    } else {
        // An older version never overwrites a newer one.
        format!(" WHERE {table}.updated_at <= excluded.updated_at")
    };
    format!(
        " ON CONFLICT (complaint_id) DO UPDATE SET {}{guard}",
        sets.join(", ")
    )
}

// Statements both write paths run as they are, one row at a time. Their parameters first
// appear in numeric order: SQLite numbers `$N` by first appearance, PostgreSQL by `N`.

/// How many of a channel's (`$1`) payloads are stored as received, up to `$2`: through the
/// index `raw_records_plain`, which holds them alone.
pub(crate) const PLAIN_COUNT_SQL: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM raw_records \
     WHERE channel = $1 AND dictionary_id IS NULL LIMIT $2) q";

/// Stores a dictionary payloads are packed with, if it is not yet: id, channel, bytes,
/// created_at.
pub(crate) const DICTIONARY_SQL: &str =
    "INSERT INTO raw_dictionaries (dictionary_id, channel, dictionary, created_at) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (dictionary_id) DO NOTHING";

/// Links an archived payload (by hash) to its group: channel, group key, span from, span to,
/// run from, content hash (see [`GroupLink::span`], [`GroupLink::run_from`]; parameters in
/// the order they first appear, as SQLite numbers named ones). A link linked again with a
/// span gets it: one made before spans were kept, and one whose payload is read otherwise now
/// (a rebuild with a parser put right, a retry); linked again without one, it keeps its own.
pub(crate) const LINK_SQL: &str =
    "INSERT INTO raw_groups (channel, group_key, raw_id, span_from, span_to, run_from) \
    SELECT $1, $2, raw_id, $3, $4, $5 FROM raw_records WHERE channel = $1 AND content_hash = $6 \
    ON CONFLICT (channel, group_key, raw_id) DO UPDATE SET span_from = excluded.span_from, \
    span_to = excluded.span_to, run_from = excluded.run_from \
    WHERE excluded.span_from IS NOT NULL AND (raw_groups.span_from IS NULL \
    OR raw_groups.span_from <> excluded.span_from OR raw_groups.span_to <> excluded.span_to \
    OR (raw_groups.run_from IS NULL) <> (excluded.run_from IS NULL) \
    OR raw_groups.run_from <> excluded.run_from)";

/// Links a payload that came again (see [`GroupLink::again`]) as its group's newest (see
/// migration 0007): its arrival is one more than the newest `raw_id` (after every payload
/// archived so far, before every one archived later), and among payloads that came back with
/// the same arrival it is the last (`again_seq`). Channel, group key, span from, span to,
/// run from, content hash; linked without a span, it keeps its own (and its run's start).
pub(crate) const LINK_AGAIN_SQL: &str =
    "INSERT INTO raw_groups (channel, group_key, raw_id, span_from, span_to, run_from, arrival, \
    again_seq) \
    SELECT $1, $2, raw_id, $3, $4, $5, (SELECT MAX(raw_id) + 1 FROM raw_records), \
    (SELECT COALESCE(MAX(again_seq), 0) + 1 FROM raw_groups WHERE channel = $1 \
    AND again_seq IS NOT NULL) \
    FROM raw_records WHERE channel = $1 AND content_hash = $6 \
    ON CONFLICT (channel, group_key, raw_id) DO UPDATE SET arrival = excluded.arrival, \
    again_seq = excluded.again_seq, span_from = COALESCE(excluded.span_from, raw_groups.span_from), \
    span_to = COALESCE(excluded.span_to, raw_groups.span_to), run_from = CASE \
    WHEN excluded.span_from IS NULL THEN raw_groups.run_from ELSE excluded.run_from END";

/// Keeps a stand-in another complaint took over, in `t`'s claims: the stand-in's id, the
/// other's (the first claim stays).
pub(crate) fn claim_sql(t: Tables) -> String {
    format!(
        "INSERT INTO {} (complaint_id, claimed_by) VALUES ($1, $2) \
         ON CONFLICT (complaint_id) DO NOTHING",
        t.claims
    )
}

/// A rebuild's claims, empty: the live table's columns and key. A rebuild makes the claims
/// the archive makes afresh, as it makes the complaints (see [`Store::finish_rebuild`]).
fn rebuild_claims() -> String {
    format!(
        "CREATE TABLE {} (complaint_id TEXT PRIMARY KEY NOT NULL, claimed_by TEXT NOT NULL)",
        REBUILT.claims
    )
}

/// The columns a quarantine entry is written with (its number and `resolved_at` come later).
const QUARANTINE_COLUMNS: &str =
    "channel, raw_id, source_ref, record, field, reason, payload, run_id, quarantined_at";

/// Quarantines a record with its archived payload (by hash) in `t`'s quarantine: channel,
/// content hash, source_ref, record, field, reason, payload, run_id, quarantined_at. A payload
/// already in the open quarantine keeps its one entry (see below); in a rebuild's quarantine,
/// its first.
pub(crate) fn quarantine_sql(t: Tables) -> String {
    // The live quarantine's open entry of the payload says why it fails now (a retry that
    // fails for another reason, a group folded again): failing the same way, it stays as it
    // was (its time and run); another way, it says so from now, under its number. (A
    // rebuild's quarantine is merged when it ends: an entry failing the same way stays, one
    // failing otherwise is replaced by a new entry.)
    let conflict = if t.quarantine == LIVE.quarantine {
        let q = LIVE.quarantine;
        let same = format!("{q}.field = excluded.field AND {q}.reason = excluded.reason");
        format!(
            "ON CONFLICT (raw_id) WHERE resolved_at IS NULL DO UPDATE SET \
             quarantined_at = CASE WHEN {same} THEN {q}.quarantined_at ELSE excluded.quarantined_at END, \
             run_id = CASE WHEN {same} THEN {q}.run_id ELSE excluded.run_id END, \
             source_ref = excluded.source_ref, record = excluded.record, \
             field = excluded.field, reason = excluded.reason"
        )
    } else {
        "ON CONFLICT DO NOTHING".to_string()
    };
    // A payload an admin dismissed is not quarantined again for what the admin saw (a fold
    // of its group reads it again whenever a newer version comes, a rebuild reads every
    // payload): its dismissed entry stands for it. Failing another way (another field, or
    // another reason: a newer release reads it otherwise), it is a failure no one has seen,
    // and gets an open entry that says so; the dismissed one is kept as it was. The row `v`
    // is made once, its raw record looked up once (PostgreSQL ran the sub-select once for
    // each use of `v.raw_id` when `v` was a sub-query it pulled up). (The parameters appear
    // in their order: SQLite numbers `$N` by where each first appears.)
    format!(
        "WITH v AS MATERIALIZED (SELECT $1 AS channel, \
         (SELECT raw_id FROM raw_records WHERE channel = $1 AND content_hash = $2) AS raw_id, \
         $3 AS source_ref, $4 AS record, $5 AS field, $6 AS reason, $7 AS payload, \
         $8 AS run_id, $9 AS at) \
         INSERT INTO {} ({QUARANTINE_COLUMNS}) \
         SELECT v.channel, v.raw_id, v.source_ref, v.record, v.field, v.reason, v.payload, \
         v.run_id, v.at FROM v \
         WHERE NOT EXISTS (SELECT 1 FROM {live} d WHERE d.raw_id = v.raw_id \
         AND d.dismissed_by IS NOT NULL AND d.field = v.field AND d.reason = v.reason) \
         {conflict}",
        t.quarantine,
        live = LIVE.quarantine
    )
}

/// Closes at `$1` the open quarantine entry of channel `$2`'s archived payload `$3` (its
/// content hash): the payload now fails only in ways an admin dismissed (see
/// [`WriteBatch::quarantine_dismissed`]), while an entry of it is still dismissed: a
/// dismissal undone after the batch read it ([`Store::undismiss_quarantine`]) leaves the
/// entry open. (The parameters appear in their order: SQLite numbers `$N` by where each
/// first appears.)
pub(crate) const CLOSE_DISMISSED_SQL: &str = "UPDATE quarantine SET resolved_at = $1 \
     WHERE resolved_at IS NULL AND raw_id = \
     (SELECT raw_id FROM raw_records WHERE channel = $2 AND content_hash = $3) \
     AND EXISTS (SELECT 1 FROM quarantine d WHERE d.raw_id = quarantine.raw_id \
     AND d.dismissed_by IS NOT NULL)";

/// PostgreSQL: `owner`, the role that owns table `$2` once it is renamed `$1` (see
/// [`OWNER_SQL`]): `$1`'s owner, where this role may give it the table (as `ALTER TABLE …
/// OWNER TO` asks: a member of the owner, from PostgreSQL 16 one that may `SET ROLE` to it,
/// and the owner may create in the schema, or a superuser; and this role must go on acting
/// as the owner, to give the table its comments, grants and settings: a member that has its
/// privileges, not a `NOINHERIT` one); else `$2`'s, this role. (The `SET` option is asked
/// only of a server that knows it: PostgreSQL 15 refuses the word.)
const OWNER_AFTER_SQL: &str = "owner AS (SELECT CASE WHEN l.relowner <> n.relowner \
       AND pg_has_role(l.relowner, 'USAGE') \
       AND CASE WHEN current_setting('server_version_num')::int >= 160000 \
         THEN pg_has_role(l.relowner, 'SET') ELSE true END \
       AND (has_schema_privilege(l.relowner, l.relnamespace, 'CREATE') \
         OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) \
       THEN l.relowner ELSE n.relowner END AS relowner \
     FROM pg_class l, pg_class n WHERE l.oid = to_regclass($1) AND n.oid = to_regclass($2))";

/// PostgreSQL, after `WITH` [`OWNER_AFTER_SQL`]: the statement that gives table `$2`, once
/// it is renamed `$1`, the owner of `$1` (with its identity sequence), where it is another.
const OWNER_SQL: &str = "SELECT format('ALTER TABLE %I OWNER TO %I', $1::text, \
       pg_get_userbyid(o.relowner)) \
     FROM owner o JOIN pg_class n ON n.oid = to_regclass($2) WHERE o.relowner <> n.relowner";

/// PostgreSQL, after `WITH` [`OWNER_AFTER_SQL`]: the `GRANT`s that give table `$2` (to run
/// once it is renamed `$1`, and given its owner) the privileges table `$1` and its columns
/// have, but those its owner has by owning it (the live owner's defaults when none were
/// ever granted, where it cannot be given the table).
const GRANTS_SQL: &str = ", granted (privilege, columns, grantee, grantable) AS ( \
       SELECT a.privilege_type, '', a.grantee, a.is_grantable FROM pg_class c \
       CROSS JOIN LATERAL aclexplode(COALESCE(c.relacl, acldefault('r', c.relowner))) a \
       WHERE c.oid = to_regclass($1) \
       UNION ALL \
       SELECT a.privilege_type, format(' (%I)', t.attname), a.grantee, a.is_grantable \
       FROM pg_attribute t CROSS JOIN LATERAL aclexplode(t.attacl) a \
       WHERE t.attrelid = to_regclass($1) AND t.attnum > 0 AND NOT t.attisdropped) \
     SELECT format('GRANT %s%s ON %I TO %s%s', g.privilege, g.columns, $1::text, \
       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, \
       CASE WHEN g.grantable THEN ' WITH GRANT OPTION' ELSE '' END) \
     FROM granted g LEFT JOIN pg_roles r ON r.oid = g.grantee \
     WHERE g.grantee <> (SELECT relowner FROM owner) ORDER BY 1";

/// PostgreSQL, after `WITH` [`OWNER_AFTER_SQL`]: the statements that give the identity
/// sequence of table `$2` (its `complaint_seq`), once it carries the name of `$1`'s, the
/// name, privileges and comment of `$1`'s (`LIKE` made it anew, under a name of its own; its
/// owner follows the table's). The name first: the others name it.
const SEQUENCE_SQL: &str = ", seq (l, n) AS (SELECT \
       pg_get_serial_sequence($1, 'complaint_seq')::regclass, \
       pg_get_serial_sequence($2, 'complaint_seq')::regclass) \
     SELECT s FROM seq JOIN pg_class c ON c.oid = seq.l CROSS JOIN LATERAL ( \
       SELECT 0, format('ALTER SEQUENCE %s RENAME TO %I', seq.n, c.relname) \
       WHERE seq.n IS NOT NULL \
       UNION ALL \
       SELECT 1, format('GRANT %s ON SEQUENCE %I TO %s%s', a.privilege_type, c.relname, \
         CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, \
         CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) \
       FROM aclexplode(COALESCE(c.relacl, acldefault('s', c.relowner))) a \
       WHERE seq.n IS NOT NULL AND a.grantee <> (SELECT relowner FROM owner) \
       UNION ALL \
       SELECT 2, format('COMMENT ON SEQUENCE %I IS %L', c.relname, obj_description(c.oid, 'pg_class')) \
       WHERE seq.n IS NOT NULL \
       AND obj_description(c.oid, 'pg_class') IS DISTINCT FROM obj_description(seq.n, 'pg_class') \
     ) x (step, s) ORDER BY x.step, x.s";

/// PostgreSQL, after `WITH` [`OWNER_AFTER_SQL`]: the statements that give the sequences of
/// table `$1`'s `serial` columns (an admin's), kept through the swap (see
/// [`Store::kept_through_swap`]), to the columns of table `$2` (once it is renamed `$1`)
/// whose defaults `LIKE` made `nextval` of them, where the table's owner is theirs
/// (PostgreSQL asks it; else they stay owned by no column, the defaults working as before).
const SERIAL_SQL: &str = "SELECT format('ALTER SEQUENCE %s OWNED BY %I.%I', d.objid::regclass, \
       $1::text, a.attname) \
     FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' \
     JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass \
     AND d.deptype = 'a' AND d.refobjid = to_regclass($1) \
     AND s.relowner = (SELECT relowner FROM owner) \
     AND EXISTS (SELECT 1 FROM pg_attribute n WHERE n.attrelid = to_regclass($2) \
       AND n.attname = a.attname AND n.attnum > 0 AND NOT n.attisdropped) ORDER BY 1";

/// PostgreSQL: the statements that give table `$2`, once it is renamed `$1`, the comments
/// of table `$1` and of its columns, where they differ (`LIKE … INCLUDING COMMENTS` copied
/// the columns' comments when the rebuild began, not the table's; one changed or removed
/// since is changed or removed); the same for its check constraints (those of its indexes
/// come with them: see [`Store::names_after_swap`]). A column or constraint `$2` lacks is
/// left out.
const COMMENTS_SQL: &str = "SELECT format('COMMENT ON TABLE %I IS %L', $1::text, \
       obj_description(to_regclass($1), 'pg_class')) \
     WHERE obj_description(to_regclass($1), 'pg_class') \
       IS DISTINCT FROM obj_description(to_regclass($2), 'pg_class') \
     UNION ALL \
     SELECT format('COMMENT ON COLUMN %I.%I IS %L', $1::text, n.attname, \
       col_description(o.attrelid, o.attnum)) \
     FROM pg_attribute n JOIN pg_attribute o ON o.attrelid = to_regclass($1) \
       AND o.attname = n.attname AND o.attnum > 0 AND NOT o.attisdropped \
     WHERE n.attrelid = to_regclass($2) AND n.attnum > 0 AND NOT n.attisdropped \
     AND col_description(o.attrelid, o.attnum) IS DISTINCT FROM col_description(n.attrelid, n.attnum) \
     UNION ALL \
     SELECT format('COMMENT ON CONSTRAINT %I ON %I IS %L', o.conname, $1::text, \
       obj_description(o.oid, 'pg_constraint')) \
     FROM pg_constraint o JOIN pg_constraint n ON n.conrelid = to_regclass($2) \
       AND n.conname = o.conname AND n.contype = o.contype \
     WHERE o.conrelid = to_regclass($1) AND o.contype NOT IN ('p', 'u', 'x') \
     AND obj_description(o.oid, 'pg_constraint') IS DISTINCT FROM obj_description(n.oid, 'pg_constraint')";

/// PostgreSQL: the statements that give table `$2`, once it is renamed `$1` (and its indexes
/// carry the live ones' names), the settings an admin gave table `$1` that `LIKE … INCLUDING
/// ALL` does not copy: its storage parameters (`fillfactor`, autovacuum's, also those of its
/// TOAST table: `toast.autovacuum_…`), its columns'
/// statistics targets and `n_distinct`, its replica identity (`NOTHING` where its index was
/// dropped: PostgreSQL then behaves so, and no index is named), row security enabled (without a
/// policy: a policy is refused before the rebuild starts) or forced, the index it is
/// clustered on; and where `$1`'s differ from those `$2` was made with (changed while the
/// rebuild ran), its tablespace, whether it is logged (`UNLOGGED`: its identity sequence
/// follows it; both are made so before the swap, see [`REWRITE_SQL`], and here only where
/// changed since), its columns' defaults and `NOT NULL`, and its check constraints (one dropped
/// or changed is dropped, one made or changed made, with its comment). A column `$2` lacks
/// is left out.
const SETTINGS_SQL: &str = "SELECT format('ALTER TABLE %I SET (%s)', $1::text, \
       array_to_string(l.reloptions, ', ')) \
     FROM pg_class l WHERE l.oid = to_regclass($1) AND l.reloptions IS NOT NULL \
     UNION ALL \
     SELECT format('ALTER TABLE %I SET (%s)', $1::text, \
       (SELECT string_agg('toast.' || o, ', ') FROM unnest(t.reloptions) o)) \
     FROM pg_class l JOIN pg_class t ON t.oid = l.reltoastrelid \
     WHERE l.oid = to_regclass($1) AND t.reloptions IS NOT NULL \
     UNION ALL \
     SELECT format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', $1::text) \
     FROM pg_class l WHERE l.oid = to_regclass($1) AND l.relrowsecurity \
     UNION ALL \
     SELECT format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', $1::text) \
     FROM pg_class l WHERE l.oid = to_regclass($1) AND l.relforcerowsecurity \
     UNION ALL \
     SELECT format('ALTER TABLE %I REPLICA IDENTITY %s', $1::text, \
       CASE l.relreplident WHEN 'f' THEN 'FULL' WHEN 'n' THEN 'NOTHING' \
       ELSE coalesce('USING INDEX ' || quote_ident((SELECT i.relname FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = l.oid AND x.indisreplident)), \
         'NOTHING') END) \
     FROM pg_class l WHERE l.oid = to_regclass($1) AND l.relreplident <> 'd' \
     UNION ALL \
     SELECT format('ALTER TABLE %I SET TABLESPACE %I', $1::text, \
       coalesce((SELECT spcname FROM pg_tablespace WHERE oid = l.reltablespace), \
         (SELECT t.spcname FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace \
          WHERE d.datname = current_database()))) \
     FROM pg_class l, pg_class n WHERE l.oid = to_regclass($1) AND n.oid = to_regclass($2) \
     AND l.reltablespace <> n.reltablespace \
     UNION ALL \
     SELECT format('ALTER TABLE %I SET %s', $1::text, \
       CASE l.relpersistence WHEN 'u' THEN 'UNLOGGED' ELSE 'LOGGED' END) \
     FROM pg_class l, pg_class n WHERE l.oid = to_regclass($1) AND n.oid = to_regclass($2) \
     AND l.relpersistence <> n.relpersistence \
     UNION ALL \
     SELECT format('ALTER TABLE %I CLUSTER ON %I', $1::text, i.relname) \
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
     WHERE x.indrelid = to_regclass($1) AND x.indisclustered \
     UNION ALL \
     SELECT format('ALTER TABLE %I ALTER COLUMN %I %s', $1::text, o.attname, \
       coalesce('SET DEFAULT ' || pg_get_expr(od.adbin, od.adrelid), 'DROP DEFAULT')) \
     FROM pg_attribute o JOIN pg_attribute n ON n.attrelid = to_regclass($2) \
       AND n.attname = o.attname AND n.attnum > 0 AND NOT n.attisdropped \
     LEFT JOIN pg_attrdef od ON od.adrelid = o.attrelid AND od.adnum = o.attnum \
     LEFT JOIN pg_attrdef nd ON nd.adrelid = n.attrelid AND nd.adnum = n.attnum \
     WHERE o.attrelid = to_regclass($1) AND o.attnum > 0 AND NOT o.attisdropped \
     AND o.attgenerated = '' AND n.attgenerated = '' \
     AND pg_get_expr(od.adbin, od.adrelid) IS DISTINCT FROM pg_get_expr(nd.adbin, nd.adrelid) \
     UNION ALL \
     SELECT format('ALTER TABLE %I ALTER COLUMN %I %s NOT NULL', $1::text, o.attname, \
       CASE WHEN o.attnotnull THEN 'SET' ELSE 'DROP' END) \
     FROM pg_attribute o JOIN pg_attribute n ON n.attrelid = to_regclass($2) \
       AND n.attname = o.attname AND n.attnum > 0 AND NOT n.attisdropped \
     WHERE o.attrelid = to_regclass($1) AND o.attnum > 0 AND NOT o.attisdropped \
     AND o.attnotnull <> n.attnotnull \
     UNION ALL \
     SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', $1::text, n.conname) \
     FROM pg_constraint n WHERE n.conrelid = to_regclass($2) AND n.contype = 'c' \
     AND NOT EXISTS (SELECT 1 FROM pg_constraint o WHERE o.conrelid = to_regclass($1) \
       AND o.contype = 'c' AND o.conname = n.conname \
       AND pg_get_constraintdef(o.oid) = pg_get_constraintdef(n.oid)) \
     UNION ALL \
     SELECT format('ALTER TABLE %I ADD CONSTRAINT %I %s', $1::text, o.conname, \
       pg_get_constraintdef(o.oid)) \
       || coalesce(format('; COMMENT ON CONSTRAINT %I ON %I IS %L', o.conname, $1::text, \
         obj_description(o.oid, 'pg_constraint')), '') \
     FROM pg_constraint o WHERE o.conrelid = to_regclass($1) AND o.contype = 'c' \
     AND NOT EXISTS (SELECT 1 FROM pg_constraint n WHERE n.conrelid = to_regclass($2) \
       AND n.contype = 'c' AND n.conname = o.conname \
       AND pg_get_constraintdef(o.oid) = pg_get_constraintdef(n.oid)) \
     UNION ALL \
     SELECT s FROM pg_attribute o JOIN pg_attribute n ON n.attrelid = to_regclass($2) \
       AND n.attname = o.attname AND n.attnum > 0 AND NOT n.attisdropped \
     CROSS JOIN LATERAL (SELECT format('ALTER TABLE %I ALTER COLUMN %I SET STATISTICS %s', \
         $1::text, o.attname, o.attstattarget) WHERE o.attstattarget >= 0 \
       UNION ALL \
       SELECT format('ALTER TABLE %I ALTER COLUMN %I SET (%s)', $1::text, o.attname, \
         string_agg(a, ', ')) FROM unnest(o.attoptions) a \
       WHERE split_part(a, '=', 1) IN ('n_distinct', 'n_distinct_inherited') \
       HAVING count(*) > 0) x (s) \
     WHERE o.attrelid = to_regclass($1) AND o.attnum > 0 AND NOT o.attisdropped";

/// PostgreSQL: the tables `$1` and `$2` and their indexes that are in a tablespace (not the
/// database's default, where any role may create) in which this role may not create, each
/// as `table complaints (in tablespace fast)`, and the grant that would let it; no row when
/// there is none. Before the swap (`$3` and `$4` the rebuild's tables of `$1` and `$2`,
/// else null), one the swap neither moves nor makes there is left out: a table whose
/// rebuild's table is in the same tablespace, an index whose twin (the same shape and
/// uniqueness, see [`Store::names_after_swap`]) is (a rebuild begun with a grant revoked
/// while it ran needs none at its swap).
const TABLESPACES_SQL: &str = "WITH r AS (SELECT CASE c.relkind WHEN 'i' THEN 'index' \
       ELSE 'table' END AS kind, c.oid::regclass::text AS name, t.spcname \
     FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace \
     LEFT JOIN pg_index x ON x.indexrelid = c.oid \
     WHERE (c.oid IN (to_regclass($1), to_regclass($2)) OR c.oid IN (SELECT indexrelid \
       FROM pg_index WHERE indrelid IN (to_regclass($1), to_regclass($2)))) \
     AND c.reltablespace <> (SELECT dattablespace FROM pg_database \
       WHERE datname = current_database()) \
     AND NOT has_tablespace_privilege(c.reltablespace, 'CREATE') \
     AND NOT EXISTS (SELECT 1 FROM pg_class n LEFT JOIN pg_index y ON y.indexrelid = n.oid \
       WHERE n.reltablespace = c.reltablespace AND CASE WHEN x.indexrelid IS NULL \
       THEN n.oid = CASE c.oid WHEN to_regclass($1) THEN to_regclass($3) \
         ELSE to_regclass($4) END \
       ELSE y.indrelid = CASE x.indrelid WHEN to_regclass($1) THEN to_regclass($3) \
         ELSE to_regclass($4) END AND y.indisunique = x.indisunique \
         AND regexp_replace(pg_get_indexdef(n.oid), '^.* USING ', '') \
           = regexp_replace(pg_get_indexdef(c.oid), '^.* USING ', '') END)) \
     SELECT string_agg(format('%s %s (in tablespace %I)', kind, name, spcname), ', ' \
       ORDER BY kind DESC, name), \
     format('GRANT CREATE ON TABLESPACE %s TO %I', \
       (SELECT string_agg(DISTINCT quote_ident(spcname), ', ') FROM r), current_user) \
     FROM r HAVING count(*) > 0";

/// PostgreSQL: the statements that give table `$2` the tablespace of table `$1` and make it
/// logged or unlogged as `$1` is, where they differ (an admin changed `$1` after `$2` was
/// made): the part of [`SETTINGS_SQL`] that rewrites the table, run on `$2` before the swap.
const REWRITE_SQL: &str = "SELECT format('ALTER TABLE %I SET TABLESPACE %I', $2::text, \
       coalesce((SELECT spcname FROM pg_tablespace WHERE oid = l.reltablespace), \
         (SELECT t.spcname FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace \
          WHERE d.datname = current_database()))) \
     FROM pg_class l, pg_class n WHERE l.oid = to_regclass($1) AND n.oid = to_regclass($2) \
     AND l.reltablespace <> n.reltablespace \
     UNION ALL \
     SELECT format('ALTER TABLE %I SET %s', $2::text, \
       CASE l.relpersistence WHEN 'u' THEN 'UNLOGGED' ELSE 'LOGGED' END) \
     FROM pg_class l, pg_class n WHERE l.oid = to_regclass($1) AND n.oid = to_regclass($2) \
     AND l.relpersistence <> n.relpersistence";

/// PostgreSQL: the statements that give the extended statistics `LIKE … INCLUDING ALL` gave
/// table `$2` (named after it) the names of table `$1`'s they match (by their kinds and
/// columns or expressions, in the order made) and schemas (`LIKE` made them in the table's),
/// their statistics targets (read as JSON: the
/// column is not in PostgreSQL 12), and their owners (`LIKE` made them this role's, and
/// `ALTER TABLE … OWNER TO` leaves them so), where this role may give them theirs (as for
/// the tables, see [`OWNER_AFTER_SQL`]). Those made on `$1` while the rebuild ran are made
/// (from their definitions, which name `$1`), those dropped meanwhile are dropped. To run
/// once `$1` is dropped and `$2` carries its name.
const STATISTICS_SQL: &str = "WITH x AS (SELECT s.oid, s.stxrelid, s.stxname, s.stxowner, \
       s.stxnamespace, s.stxnamespace::regnamespace::text AS space, \
       (to_jsonb(s) ->> 'stxstattarget')::int AS target, \
       row_number() OVER (PARTITION BY s.stxrelid, s.stxkind::text, \
         regexp_replace(pg_get_statisticsobjdef(s.oid), '^CREATE STATISTICS .* ON (.*) FROM .*$', '\\1') \
         ORDER BY s.oid) AS nth, \
       s.stxkind::text || ' ' \
       || regexp_replace(pg_get_statisticsobjdef(s.oid), '^CREATE STATISTICS .* ON (.*) FROM .*$', '\\1') \
         AS shape \
     FROM pg_statistic_ext s WHERE s.stxrelid IN (to_regclass($1), to_regclass($2))) \
     SELECT format('DROP STATISTICS %s.%I', n.space, n.stxname) FROM x n \
     WHERE n.stxrelid = to_regclass($2) AND NOT EXISTS (SELECT 1 FROM x l \
       WHERE l.stxrelid = to_regclass($1) AND l.shape = n.shape AND l.nth = n.nth) \
     UNION ALL \
     SELECT s FROM x l LEFT JOIN x n ON n.stxrelid = to_regclass($2) AND n.shape = l.shape \
       AND n.nth = l.nth \
     CROSS JOIN LATERAL (SELECT pg_get_statisticsobjdef(l.oid) WHERE n.oid IS NULL \
       UNION ALL \
       SELECT format('ALTER STATISTICS %s.%I RENAME TO %I', n.space, n.stxname, \
         l.stxname) WHERE n.stxname <> l.stxname \
       UNION ALL \
       SELECT format('ALTER STATISTICS %s.%I SET SCHEMA %s', n.space, l.stxname, l.space) \
       WHERE n.stxnamespace <> l.stxnamespace \
       UNION ALL \
       SELECT format('ALTER STATISTICS %s.%I SET STATISTICS %s', l.space, l.stxname, l.target) \
       WHERE l.target >= 0 \
       UNION ALL \
       SELECT format('ALTER STATISTICS %s.%I OWNER TO %I', l.space, l.stxname, \
         pg_get_userbyid(l.stxowner)) \
       WHERE l.stxowner <> coalesce(n.stxowner, \
         (SELECT oid FROM pg_roles WHERE rolname = current_user)) \
       AND pg_has_role(l.stxowner, 'MEMBER') \
       AND CASE WHEN current_setting('server_version_num')::int >= 160000 \
         THEN pg_has_role(l.stxowner, 'SET') ELSE true END \
       AND (has_schema_privilege(l.stxowner, l.stxnamespace, 'CREATE') \
         OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))) y (s) \
     WHERE l.stxrelid = to_regclass($1)";

/// PostgreSQL: `kept`, the relations a rebuild's swap must keep (`oid`, `depth`): the tables
/// `$1` and `$2` (depth 0), and the plain views that depend on them, directly or through
/// other views (their depth: the longest chain of views down to a table). A view is bound
/// to its table, not to the name, so each must be dropped before the swap and created
/// again after it, deepest first and shallowest first.
const KEPT_SQL: &str = "WITH RECURSIVE rel (oid, depth) AS ( \
       SELECT oid, 0 FROM pg_class WHERE oid IN (to_regclass($1), to_regclass($2)) \
       UNION \
       SELECT r.ev_class, rel.depth + 1 FROM rel \
       JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = rel.oid \
         AND d.classid = 'pg_rewrite'::regclass AND d.deptype = 'n' \
       JOIN pg_rewrite r ON r.oid = d.objid AND r.rulename = '_RETURN' \
       JOIN pg_class v ON v.oid = r.ev_class AND v.relkind = 'v' \
       WHERE r.ev_class <> rel.oid), \
     kept AS (SELECT oid, max(depth) AS depth FROM rel GROUP BY oid)";

/// PostgreSQL, after [`KEPT_SQL`]: what depends on the kept relations, or on their row
/// types (a function `RETURNS SETOF complaints` or taking one, another table's column of
/// that type: dropping the table or view drops its type, and PostgreSQL refuses), that the
/// swap can neither keep nor make again, named: all but the kept views and their columns'
/// defaults, the triggers (made again), and what `LIKE … INCLUDING ALL` gave the new tables
/// (their own constraints but foreign keys, indexes, identity sequence, defaults and
/// statistics); a kept view whose owner this role cannot act as (it could not drop it, nor
/// give it back its owner: to drop it, it must have the privileges of the owner or of the
/// schema's owner, not only be a member of the owner as a `NOINHERIT` role is; to give it
/// back, be a member of the owner, from PostgreSQL 16 one that may `SET ROLE` to it); a kept view this
/// role could drop but not make again (in a schema where it may not create, or owned by a
/// role that may not create in its schema, which giving it back asks); extended statistics
/// in another schema than their table's where this role may not create (it puts them back
/// there, see [`STATISTICS_SQL`]); a trigger whose
/// function this role may not execute (making it again asks it); and a kept view that is temporary (another session's, an
/// analyst's `CREATE TEMP VIEW`: no other session can make it again).
const IN_THE_WAY_SQL: &str = "SELECT DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid) \
     FROM kept k JOIN pg_class kc ON kc.oid = k.oid \
     JOIN pg_depend d ON (d.refclassid = 'pg_class'::regclass AND d.refobjid = k.oid) \
       OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (kc.reltype, \
         (SELECT typarray FROM pg_type WHERE oid = kc.reltype))) \
     WHERE d.deptype <> 'i' \
     AND NOT (d.classid = 'pg_class'::regclass \
       AND d.objid IN (SELECT oid FROM kept WHERE depth > 0)) \
     AND NOT (d.classid = 'pg_rewrite'::regclass AND EXISTS (SELECT 1 FROM pg_rewrite r \
       JOIN kept v ON v.oid = r.ev_class AND v.depth > 0 \
       WHERE r.oid = d.objid AND r.rulename = '_RETURN')) \
     AND NOT (d.classid = 'pg_trigger'::regclass AND EXISTS (SELECT 1 FROM pg_trigger t \
       WHERE t.oid = d.objid AND t.tgrelid = k.oid)) \
     AND NOT (k.depth = 0 AND d.classid = 'pg_constraint'::regclass AND EXISTS ( \
       SELECT 1 FROM pg_constraint c WHERE c.oid = d.objid AND c.conrelid = k.oid \
       AND c.contype <> 'f')) \
     AND NOT (k.depth = 0 AND d.classid = 'pg_class'::regclass AND EXISTS ( \
       SELECT 1 FROM pg_class c WHERE c.oid = d.objid AND c.relkind IN ('i', 'S'))) \
     AND NOT (k.depth = 0 AND d.classid IN ('pg_attrdef'::regclass, 'pg_statistic_ext'::regclass)) \
     AND NOT (d.classid = 'pg_attrdef'::regclass AND EXISTS (SELECT 1 FROM pg_attrdef a \
       WHERE a.oid = d.objid AND a.adrelid = k.oid)) \
     UNION \
     SELECT format('view %s (owned by %I, a role this one cannot act as)', k.oid::regclass, \
       pg_get_userbyid(c.relowner)) \
     FROM kept k JOIN pg_class c ON c.oid = k.oid \
     JOIN pg_namespace s ON s.oid = c.relnamespace \
     WHERE k.depth > 0 AND NOT ((pg_has_role(c.relowner, 'USAGE') \
         OR pg_has_role(s.nspowner, 'USAGE')) \
       AND pg_has_role(c.relowner, 'MEMBER') \
       AND CASE WHEN current_setting('server_version_num')::int >= 160000 \
         THEN pg_has_role(c.relowner, 'SET') ELSE true END) \
     UNION \
     SELECT format('view %s (in a schema where this role may not create)', k.oid::regclass) \
     FROM kept k JOIN pg_class c ON c.oid = k.oid \
     WHERE k.depth > 0 AND NOT has_schema_privilege(c.relnamespace, 'CREATE') \
     UNION \
     SELECT format('view %s (owned by %I, which may not create in its schema)', k.oid::regclass, \
       pg_get_userbyid(c.relowner)) \
     FROM kept k JOIN pg_class c ON c.oid = k.oid \
     WHERE k.depth > 0 AND pg_get_userbyid(c.relowner) <> current_user \
     AND NOT has_schema_privilege(c.relowner, c.relnamespace, 'CREATE') \
     AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) \
     UNION \
     SELECT format('statistics object %s.%I (in a schema where this role may not create)', \
       x.stxnamespace::regnamespace, x.stxname) \
     FROM kept k JOIN pg_class c ON c.oid = k.oid JOIN pg_statistic_ext x ON x.stxrelid = k.oid \
     WHERE k.depth = 0 AND x.stxnamespace <> c.relnamespace \
     AND NOT has_schema_privilege(x.stxnamespace, 'CREATE') \
     UNION \
     SELECT format('trigger %I on %s (its function %s, which this role may not execute)', \
       t.tgname, t.tgrelid::regclass, t.tgfoid::regprocedure) \
     FROM kept k JOIN pg_trigger t ON t.tgrelid = k.oid \
     WHERE NOT t.tgisinternal AND NOT has_function_privilege(t.tgfoid, 'EXECUTE') \
     UNION \
     SELECT format('view %s (temporary, of another session)', k.oid::regclass) \
     FROM kept k JOIN pg_class c ON c.oid = k.oid \
     WHERE k.depth > 0 AND c.relpersistence = 't' \
     ORDER BY 1";

/// PostgreSQL, after [`KEPT_SQL`]: the statements that drop the kept views before the swap,
/// the deepest first.
const DROP_VIEWS_SQL: &str = "SELECT format('DROP VIEW %s', k.oid::regclass) FROM kept k \
     WHERE k.depth > 0 ORDER BY k.depth DESC, 1";

/// PostgreSQL, after [`KEPT_SQL`]: the statements that make the kept views and triggers
/// again after the swap, as they were: each view (its options, such as `security_barrier`
/// or `check_option`, and definition), shallowest first; then their columns' defaults
/// (`ALTER VIEW … ALTER COLUMN … SET DEFAULT`), comments and privileges; then every trigger
/// of the kept relations (an admin's audit trigger on `complaints`), disabled or enabled as
/// it was, with its comment; and last the views' owners (this role, their owner until then,
/// may give each its comment, grants and triggers: once it has given it back, it may do so
/// only with the owner's privileges, which a `NOINHERIT` member has not).
const MAKE_AGAIN_SQL: &str = "SELECT s FROM ( \
       SELECT 0 AS step, k.depth, c.oid, format('CREATE VIEW %s%s AS %s', k.oid::regclass, \
         CASE WHEN c.reloptions IS NULL THEN '' \
           ELSE format(' WITH (%s)', array_to_string(c.reloptions, ', ')) END, \
         pg_get_viewdef(k.oid)) AS s \
       FROM kept k JOIN pg_class c ON c.oid = k.oid WHERE k.depth > 0 \
       UNION ALL \
       SELECT 7, k.depth, c.oid, format('ALTER VIEW %s OWNER TO %I', k.oid::regclass, \
         pg_get_userbyid(c.relowner)) \
       FROM kept k JOIN pg_class c ON c.oid = k.oid \
       WHERE k.depth > 0 AND pg_get_userbyid(c.relowner) <> current_user \
       UNION ALL \
       SELECT 1, k.depth, k.oid, format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT %s', \
         k.oid::regclass, a.attname, pg_get_expr(ad.adbin, ad.adrelid)) \
       FROM kept k JOIN pg_attrdef ad ON ad.adrelid = k.oid \
       JOIN pg_attribute a ON a.attrelid = k.oid AND a.attnum = ad.adnum \
       WHERE k.depth > 0 \
       UNION ALL \
       SELECT 2, k.depth, k.oid, CASE WHEN d.objsubid = 0 \
         THEN format('COMMENT ON VIEW %s IS %L', k.oid::regclass, d.description) \
         ELSE format('COMMENT ON COLUMN %s.%I IS %L', k.oid::regclass, a.attname, d.description) END \
       FROM kept k JOIN pg_description d ON d.objoid = k.oid AND d.classoid = 'pg_class'::regclass \
       LEFT JOIN pg_attribute a ON a.attrelid = k.oid AND a.attnum = d.objsubid \
       WHERE k.depth > 0 \
       UNION ALL \
       SELECT 3, k.depth, c.oid, format('GRANT %s ON %s TO %s%s', g.privilege_type, \
         k.oid::regclass, \
         CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END, \
         CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) \
       FROM kept k JOIN pg_class c ON c.oid = k.oid CROSS JOIN LATERAL aclexplode(c.relacl) g \
       WHERE k.depth > 0 AND g.grantee <> c.relowner \
       UNION ALL \
       SELECT 3, k.depth, k.oid, format('GRANT %s (%I) ON %s TO %s%s', g.privilege_type, \
         a.attname, k.oid::regclass, \
         CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END, \
         CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) \
       FROM kept k JOIN pg_class c ON c.oid = k.oid \
       JOIN pg_attribute a ON a.attrelid = k.oid AND a.attnum > 0 AND NOT a.attisdropped \
       CROSS JOIN LATERAL aclexplode(a.attacl) g \
       WHERE k.depth > 0 AND g.grantee <> c.relowner \
       UNION ALL \
       SELECT 4, k.depth, t.oid, pg_get_triggerdef(t.oid) \
       FROM kept k JOIN pg_trigger t ON t.tgrelid = k.oid WHERE NOT t.tgisinternal \
       UNION ALL \
       SELECT 5, k.depth, t.oid, format('ALTER TABLE %s %s TRIGGER %I', t.tgrelid::regclass, \
         CASE t.tgenabled WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA' \
           ELSE 'ENABLE ALWAYS' END, t.tgname) \
       FROM kept k JOIN pg_trigger t ON t.tgrelid = k.oid \
       WHERE NOT t.tgisinternal AND t.tgenabled <> 'O' \
       UNION ALL \
       SELECT 6, k.depth, t.oid, format('COMMENT ON TRIGGER %I ON %s IS %L', t.tgname, \
         t.tgrelid::regclass, d.description) \
       FROM kept k JOIN pg_trigger t ON t.tgrelid = k.oid \
       JOIN pg_description d ON d.objoid = t.oid AND d.classoid = 'pg_trigger'::regclass \
       WHERE NOT t.tgisinternal) x \
     ORDER BY step, depth, oid, s";

/// An SQL identifier (a table's, an index's) quoted, a double quote in it doubled: `a "b"`
/// is `"a ""b"""`.
fn quoted_name(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A rebuild's quarantine, empty: the live quarantine's columns, one entry a payload.
fn rebuild_quarantine() -> String {
    format!(
        "CREATE TABLE {q} AS SELECT {QUARANTINE_COLUMNS} FROM {live} WHERE 1 = 0; \
         CREATE UNIQUE INDEX {q}_raw ON {q} (raw_id)",
        q = REBUILT.quarantine,
        live = LIVE.quarantine
    )
}

/// Merges a rebuild's quarantine into the live one: an open entry of an archived payload the
/// rebuild did not quarantine again, or for another reason, goes; one it quarantined for the
/// same reason stays as it was (its number, time and run); the rest are added, but for a
/// payload an admin dismissed (also while the rebuild ran) failing as it did then (see
/// [`quarantine_sql`]). (Entries of a record that came
/// again later are settled first: see [`Store::finish_rebuild`].)
fn merge_quarantine() -> String {
    format!(
        "DELETE FROM {live} WHERE resolved_at IS NULL AND raw_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM {q} r WHERE r.raw_id = {live}.raw_id \
         AND r.record = {live}.record AND r.field = {live}.field AND r.reason = {live}.reason); \
         INSERT INTO {live} ({QUARANTINE_COLUMNS}) SELECT {QUARANTINE_COLUMNS} FROM {q} \
         WHERE NOT EXISTS (SELECT 1 FROM {live} d WHERE d.raw_id = {q}.raw_id \
         AND d.dismissed_by IS NOT NULL AND d.field = {q}.field AND d.reason = {q}.reason) \
         ON CONFLICT DO NOTHING; \
         DROP TABLE {q}",
        q = REBUILT.quarantine,
        live = LIVE.quarantine
    )
}

/// Saves a channel's cursor: channel, cursor, updated_at.
/// `sync_state.cursor` of `__incidents__<channel>`, written with a transaction's first
/// change of complaints (see [`Writes::write`]).
pub(crate) const INCIDENTS_LEFT: &str = "complaints changed";

pub(crate) const CURSOR_SQL: &str = "INSERT INTO sync_state (channel, cursor, updated_at) \
    VALUES ($1, $2, $3) \
    ON CONFLICT (channel) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at";

/// What is stored of a complaint, to tell new, changed, unchanged and stale apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentRow {
    /// Hash of the stored content.
    pub row_hash: String,
    /// The stored `updated_at`.
    pub updated_at: DateTime<Utc>,
    /// The stored `resolved_at`.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The stored `status_source`.
    pub status_source: String,
    /// The stored `first_response_at`.
    pub first_response_at: Option<DateTime<Utc>>,
}

/// What [`Store::after_bulk_write`] runs on PostgreSQL: statistics of the columns
/// `complaints` is grouped and filtered by (the monthly aggregate's and `aduan report`'s
/// dimensions and filters, the time columns, the status), of the archive's channel and
/// arrival, and of the events' complaint numbers, types and times.
pub(crate) const STATISTICS_NOW: [&str; 3] = [
    "VACUUM (ANALYZE) complaints (reported_month, reported_at, channel, kind, \
     category_main, category_sub, status)",
    "ANALYZE raw_records (channel, received_at)",
    "ANALYZE complaint_events (complaint_seq, event_type, occurred_at)",
];

impl Store {
    /// The saved cursor of a channel.
    pub async fn cursor(&self, channel: &str) -> Result<Option<String>> {
        on_pool!(self, pool => {
            let c: Option<Option<String>> =
                sqlx::query_scalar("SELECT cursor FROM sync_state WHERE channel = $1")
                    .bind(channel)
                    .fetch_optional(pool)
                    .await
                    .context(|| format!("reading the cursor of {channel}"))?;
            Ok(c.flatten())
        })
    }

    /// Sets (`None`: clears) the saved cursor of `channel` as an operator asks (`aduan
    /// cursor`), under the channel's `lease`, checked inside the transaction: no run of the
    /// channel saves its own cursor over it. Returns the cursor it replaced.
    pub async fn set_cursor(
        &self,
        channel: &str,
        cursor: Option<&str>,
        lease: &crate::Lease,
    ) -> Result<Option<String>> {
        let what = || format!("setting the cursor of {channel}");
        let fences: Vec<crate::Fence> = lease.fence().into_iter().collect();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.context(what)?;
            tx.lock_and_check_fences(&fences).await?;
            let before: Option<Option<String>> =
                sqlx::query_scalar("SELECT cursor FROM sync_state WHERE channel = $1")
                    .bind(channel)
                    .fetch_optional(&mut *tx)
                    .await
                    .context(what)?;
            sqlx::query(CURSOR_SQL)
                .bind(channel)
                .bind(cursor)
                .bind(crate::to_the_microsecond(Utc::now()))
                .execute(&mut *tx)
                .await
                .context(what)?;
            tx.commit().await.context(what)?;
            Ok(before.flatten())
        })
    }

    /// Until when `channel`'s source asked to be left alone (see
    /// [`set_asked_until`](Self::set_asked_until)), whether that time has passed or not;
    /// `None` when it asked for nothing.
    pub async fn asked_until(&self, channel: &str) -> Result<Option<DateTime<Utc>>> {
        on_pool!(self, pool => {
            let until: Option<Option<DateTime<Utc>>> =
                sqlx::query_scalar("SELECT asked_until FROM sync_state WHERE channel = $1")
                    .bind(channel)
                    .fetch_optional(pool)
                    .await
                    .context(|| format!("reading until when {channel} asked to be left alone"))?;
            Ok(until.flatten())
        })
    }

    /// Records until when `channel`'s source asked to be left alone (a `Retry-After` a run
    /// did not wait out), kept with its cursor so that a restarted service honours it;
    /// `None` clears it (a run read from the source since). The cursor is left as it is.
    pub async fn set_asked_until(&self, channel: &str, until: Option<DateTime<Utc>>) -> Result<()> {
        let what = || format!("recording until when {channel} asked to be left alone");
        on_pool!(self, pool => {
            match until {
                Some(until) => sqlx::query(
                    "INSERT INTO sync_state (channel, cursor, updated_at, asked_until) \
                     VALUES ($1, NULL, $2, $3) \
                     ON CONFLICT (channel) DO UPDATE SET asked_until = excluded.asked_until",
                )
                .bind(channel)
                .bind(crate::to_the_microsecond(Utc::now()))
                .bind(crate::to_the_microsecond(until))
                .execute(pool)
                .await
                .context(what)?,
                None => sqlx::query(
                    "UPDATE sync_state SET asked_until = NULL \
                     WHERE channel = $1 AND asked_until IS NOT NULL",
                )
                .bind(channel)
                .execute(pool)
                .await
                .context(what)?,
            };
            Ok(())
        })
    }

    /// Which of `hashes` are archived already for `channel`.
    pub async fn known_hashes(
        &self,
        channel: &str,
        hashes: &[Vec<u8>],
    ) -> Result<HashSet<Vec<u8>>> {
        let what = || format!("looking up archived payloads of {channel}");
        match &self.backend {
            Backend::Sqlite(pool) => {
                crate::sqlite_batch::known_hashes(pool, channel, hashes, what).await
            }
            // One probe of the unique index per hash. An `IN` list let the planner, on a
            // table without statistics yet (a first sync), scan the index by `channel` alone
            // and filter every row of the heap: once per lookup, ever slower as it grew.
            Backend::Postgres(pool) => {
                let found: Vec<Vec<u8>> = sqlx::query_scalar(
                    "SELECT r.content_hash FROM UNNEST($2::bytea[]) AS h (hash) \
                     CROSS JOIN LATERAL (SELECT content_hash FROM raw_records \
                     WHERE channel = $1 AND content_hash = h.hash LIMIT 1) AS r",
                )
                .bind(channel)
                .bind(hashes)
                .fetch_all(pool)
                .await
                .context(what)?;
                Ok(found.into_iter().collect())
            }
        }
    }

    /// Which of `ids` (complaints whose identity is a stand-in, see
    /// `aduan_core::Standing`) another complaint took the place of (see
    /// [`WriteBatch::claims`]): a record read under one stores nothing.
    pub async fn claimed(&self, ids: &[&str]) -> Result<HashSet<String>> {
        self.claimed_of(ids, false).await
    }

    /// [`claimed`](Self::claimed), in a rebuild's claims when `rebuild` (those the archive
    /// read so far makes: a claim the live table holds that the archive no longer makes, as
    /// the rules read it now, takes no stand-in's place).
    pub async fn claimed_of(&self, ids: &[&str], rebuild: bool) -> Result<HashSet<String>> {
        let what = || "looking up stand-ins other complaints took over".to_string();
        if ids.is_empty() {
            return Ok(HashSet::default());
        }
        let t = Tables::of(rebuild);
        match &self.backend {
            Backend::Sqlite(pool) => crate::sqlite_batch::claimed(pool, t, ids, what).await,
            // One probe of the primary key per id (see `known_hashes`).
            Backend::Postgres(pool) => {
                let found: Vec<String> = sqlx::query_scalar(&format!(
                    "SELECT c.complaint_id FROM UNNEST($1::text[]) AS i (id) \
                     CROSS JOIN LATERAL (SELECT complaint_id FROM {} \
                     WHERE complaint_id = i.id LIMIT 1) AS c",
                    t.claims
                ))
                .bind(ids)
                .fetch_all(pool)
                .await
                .context(what)?;
                Ok(found.into_iter().collect())
            }
        }
    }

    /// The stored hash and `updated_at` of each of `ids` that exists.
    pub async fn current_rows(&self, ids: &[&str]) -> Result<HashMap<String, CurrentRow>> {
        self.current_rows_of(ids, false).await
    }

    /// [`current_rows`](Self::current_rows), of a rebuild's tables with `rebuild` (see
    /// [`WriteBatch::rebuild`]).
    pub async fn current_rows_of(
        &self,
        ids: &[&str],
        rebuild: bool,
    ) -> Result<HashMap<String, CurrentRow>> {
        let what = || "looking up stored complaints".to_string();
        let t = Tables::of(rebuild);
        match &self.backend {
            Backend::Sqlite(pool) => crate::sqlite_batch::current_rows(pool, t, ids, what).await,
            // One probe of the primary key per id, whatever the planner knows (see above).
            Backend::Postgres(pool) => {
                let sql = format!(
                    "SELECT c.complaint_id, c.row_hash, c.updated_at, c.resolved_at, \
                     c.status_source, c.first_response_at FROM UNNEST($1::text[]) AS i (id) \
                     CROSS JOIN LATERAL (SELECT complaint_id, row_hash, updated_at, resolved_at, \
                     status_source, first_response_at FROM {} WHERE complaint_id = i.id LIMIT 1) \
                     AS c",
                    t.complaints
                );
                type Found = (
                    String,
                    String,
                    DateTime<Utc>,
                    Option<DateTime<Utc>>,
                    String,
                    Option<DateTime<Utc>>,
                );
                let found: Vec<Found> = sqlx::query_as(&sql)
                    .bind(ids)
                    .fetch_all(pool)
                    .await
                    .context(what)?;
                Ok(found
                    .into_iter()
                    .map(
                        |(
                            id,
                            row_hash,
                            updated_at,
                            resolved_at,
                            status_source,
                            first_response_at,
                        )| {
                            (
                                id,
                                CurrentRow {
                                    row_hash,
                                    updated_at,
                                    resolved_at,
                                    status_source,
                                    first_response_at,
                                },
                            )
                        },
                    )
                    .collect())
            }
        }
    }

    /// Writes one batch in one transaction: archive first, then complaints, events,
    /// quarantine and the cursor. Either all of it is stored or none.
    pub async fn write_batch(&self, w: &WriteBatch<'_>) -> Result<()> {
        let mut writes = self.begin_writes().await?;
        writes.write(w).await?;
        writes.commit().await
    }

    /// On SQLite, this process's turn to write (see `Store::writer_turn`); on PostgreSQL none
    /// is needed (rows are locked, not the database).
    async fn writer_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite(_) => Some(self.writer_turn.clone().lock_owned().await),
            Backend::Postgres(_) => None,
        }
    }

    /// Opens a transaction that batches are written into ([`Writes::write`]) until it is
    /// committed: what a commit costs (on SQLite, every page a batch touched is written
    /// twice, once to the log and once to the database) is then paid once for several
    /// batches. Meanwhile it holds a connection and, on SQLite, the database's write lock.
    pub async fn begin_writes(&self) -> Result<Writes> {
        let what = || "starting a transaction for batches".to_string();
        let turn = self.writer_turn().await;
        Ok(Writes {
            tx: match &self.backend {
                Backend::Sqlite(pool) => WritesTx::Sqlite(pool.begin().await.context(what)?),
                Backend::Postgres(pool) => WritesTx::Postgres(pool.begin().await.context(what)?),
            },
            _turn: turn,
            batches: 0,
            fences: Vec::new(),
            built_with: None,
            incidents_due: false,
            run_counts: Vec::new(),
        })
    }

    /// The packer of `channel`'s payloads (see [`crate::packing`]): the one this process
    /// packs with, else one of the newest dictionary stored for the channel; `None` while the
    /// channel has none, and while its newest dictionary is one found unusable before (the
    /// error is returned once, the first time: a channel's every batch would otherwise read
    /// it and fail again).
    pub async fn packer(&self, channel: &str) -> Result<Option<Arc<Packer>>> {
        if let Some(p) = self.packers_now().get(channel) {
            return Ok(Some(p.clone()));
        }
        let what = || format!("reading the dictionary of {channel}");
        let unusable = self.unusable_now().get(channel).copied();
        let newest: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT dictionary_id FROM raw_dictionaries WHERE channel = $1 \
                 ORDER BY created_at DESC, dictionary_id DESC LIMIT 1",
            )
            .bind(channel)
            .fetch_optional(pool)
            .await
            .context(what)?
        });
        let Some(id) = newest else {
            return Ok(None);
        };
        if unusable == Some(id) {
            return Ok(None);
        }
        let bytes: Vec<u8> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT dictionary FROM raw_dictionaries WHERE dictionary_id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .context(what)?
        });
        let packer = match Packer::new(Dictionary {
            id,
            channel: channel.to_string(),
            bytes,
        }) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                self.unusable_now().insert(channel.to_string(), id);
                return Err(e);
            }
        };
        Ok(Some(self.use_packer(packer)))
    }

    fn unusable_now(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, i64>> {
        self.unusable
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether another dictionary is stored under `d`'s id (zstd's 31-bit id of a new
    /// dictionary could, very rarely, be one already used): packing with `d` would then make
    /// payloads that the stored dictionary reads wrongly, so `d` must not be used.
    pub async fn dictionary_id_taken(&self, d: &Dictionary) -> Result<bool> {
        let what = || format!("checking the id of a new dictionary of {}", d.channel);
        let stored: Option<Vec<u8>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT dictionary FROM raw_dictionaries WHERE dictionary_id = $1")
                .bind(d.id)
                .fetch_optional(pool)
                .await
                .context(what)?
        });
        Ok(stored.is_some_and(|bytes| bytes != d.bytes))
    }

    /// Whether `channel`, which has no dictionary to pack with, has archived at least
    /// [`MIN_SAMPLES`](crate::packing::MIN_SAMPLES) payloads as received, counting the
    /// `adding` about to be: a dictionary is then trained on them (see
    /// [`samples`](Self::samples)). The archive is counted once in a process (up
    /// to that many, on the index of payloads stored as received), then this process adds what
    /// it archives: a batch does not count the archive.
    pub async fn plain_payloads_due(&self, channel: &str, adding: usize) -> Result<bool> {
        let known = self.plain_now().get(channel).copied();
        let stored = match known {
            Some(n) => n,
            None => {
                let counted: i64 = on_pool!(self, pool => {
                    sqlx::query_scalar(PLAIN_COUNT_SQL)
                    .bind(channel)
                    .bind(crate::packing::MIN_SAMPLES as i64)
                    .fetch_one(pool)
                    .await
                    .context(|| format!("counting the payloads of {channel} archived as received"))?
                });
                usize::try_from(counted).unwrap_or(0)
            }
        };
        let now = stored.saturating_add(adding);
        self.plain_now().insert(channel.to_string(), now);
        Ok(now >= crate::packing::MIN_SAMPLES)
    }

    /// Takes `counted` as how many of `channel`'s payloads are archived as received from now
    /// on, for [`plain_payloads_due`](Self::plain_payloads_due): those read for a dictionary
    /// when they were too few (some too large to sample), or 0 once one was tried on them
    /// (it is tried again when as many more have come).
    pub fn plain_payloads_counted(&self, channel: &str, counted: usize) {
        self.plain_now().insert(channel.to_string(), counted);
    }

    fn plain_now(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, usize>> {
        self.plain
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes `packer` the one its channel's payloads are packed with from now on, in this
    /// process (its dictionary is stored with the first batch packed with it), unless another
    /// task got there first: the packer in use is returned.
    pub fn use_packer(&self, packer: Arc<Packer>) -> Arc<Packer> {
        self.packers_now()
            .entry(packer.dictionary().channel.clone())
            .or_insert(packer)
            .clone()
    }

    /// Makes `new` the packer of its channel in place of `old` (a dictionary the channel's
    /// payloads outgrew), unless another task replaced `old` first: the packer in use is
    /// returned.
    pub fn replace_packer(&self, old: &Packer, new: Arc<Packer>) -> Arc<Packer> {
        let mut now = self.packers_now();
        let current = now
            .entry(new.dictionary().channel.clone())
            .or_insert_with(|| new.clone());
        if current.dictionary().id == old.dictionary().id {
            *current = new;
        }
        current.clone()
    }

    fn packers_now(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Arc<Packer>>> {
        self.packers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores a webhook delivery: archives it and puts it in `push_inbox`, in one
    /// transaction. Returns `false` when the same payload was archived before, or when
    /// `delivery` (the id its sender gives the delivery, the same on every retry) was stored
    /// before, whatever its bytes then: nothing of it is written.
    pub async fn receive(
        &self,
        channel: &str,
        raw: &NewRaw,
        delivery: Option<&str>,
    ) -> Result<bool> {
        // Answered as stored only where it can be read again.
        self.file_in_place()?;
        // Kept to the microsecond on both stores, as a batch's payloads are: the delivery's
        // first fold reads its receipt so cut (see `aduan_sync`'s batches), and every later
        // read of it, a rebuild's too, reads what is kept here (review: SQLite kept the
        // nanoseconds, and a payload dated a day after its receipt to within the microsecond
        // was quarantined by its first fold and not by the next).
        let received_at = crate::to_the_microsecond(raw.received_at);
        let _turn = self.writer_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool
                .begin()
                .await
                .context(|| format!("starting to store a delivery of {channel}"))?;
            // Written first, so that the transaction takes the write lock at once (on SQLite one
            // that read first could not write after another's commit). The same delivery stored
            // meanwhile by another request (a retry sent before the first was answered) waits
            // for it here, then adds nothing.
            if let Some(id) = delivery {
                let recorded = sqlx::query(
                    "INSERT INTO push_deliveries (channel, delivery_id, raw_id, received_at) \
                     VALUES ($1, $2, NULL, $3) ON CONFLICT (channel, delivery_id) DO NOTHING",
                )
                .bind(channel)
                .bind(id)
                .bind(received_at)
                .execute(&mut *tx)
                .await
                .context(|| format!("recording a delivery of {channel}"))?
                .rows_affected();
                if recorded == 0 {
                    return Ok(false);
                }
            }
            let inserted = sqlx::query(
                "INSERT INTO raw_records (channel, source_ref, external_id, received_at, content_hash, payload, dictionary_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (channel, content_hash) DO NOTHING",
            )
            .bind(channel)
            .bind(&raw.source_ref)
            .bind(&raw.external_id)
            .bind(received_at)
            .bind(&raw.content_hash)
            .bind(&raw.payload)
            .bind(raw.dictionary_id)
            .execute(&mut *tx)
            .await
            .context(|| format!("archiving a delivery of {channel}"))?
            .rows_affected();
            if let Some(id) = delivery {
                sqlx::query(
                    "UPDATE push_deliveries SET raw_id = \
                     (SELECT raw_id FROM raw_records WHERE channel = $1 AND content_hash = $2) \
                     WHERE channel = $1 AND delivery_id = $3",
                )
                .bind(channel)
                .bind(&raw.content_hash)
                .bind(id)
                .execute(&mut *tx)
                .await
                .context(|| format!("recording a delivery of {channel}"))?;
            }
            if inserted > 0 {
                sqlx::query(
                    "INSERT INTO push_inbox (raw_id, channel, received_at) \
                     SELECT raw_id, channel, received_at FROM raw_records WHERE channel = $1 AND content_hash = $2",
                )
                .bind(channel)
                .bind(&raw.content_hash)
                .execute(&mut *tx)
                .await
                .context(|| format!("queueing a delivery of {channel}"))?;
            } else if delivery.is_none() {
                return Ok(false);
            }
            tx.commit()
                .await
                .context(|| format!("committing a delivery of {channel}"))?;
            Ok(inserted > 0)
        })
    }

    /// Records the runs of `channel` other than `run_id` that never recorded their end (their
    /// process was killed, or lost its store) as `failed`, saying so; called by a run that
    /// holds the channel's lease, so that none of them is still running. Their end is not
    /// known: `finished_at` stays empty. Returns how many there were.
    pub async fn close_interrupted_runs(&self, channel: &str, run_id: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query(
                "UPDATE sync_runs SET outcome = 'failed', error = COALESCE(error, $3) \
                 WHERE channel = $1 AND run_id <> $2 AND outcome IS NULL",
            )
            .bind(channel)
            .bind(run_id)
            .bind(INTERRUPTED)
            .execute(pool)
            .await
            .context(|| format!("closing the interrupted runs of {channel}"))?;
            Ok(done.rows_affected())
        })
    }

    /// Moves the ended runs of `channel` that started before `before` out of `sync_runs`
    /// into `sync_run_totals` (added to its counts by outcome), in one transaction: the
    /// table stays bounded while the metrics' counts never go down. The channel's latest run
    /// that was not skipped stays, whatever its age (the scheduler's catch-up reads it), and
    /// so do runs whose end their process never recorded (see
    /// [`Store::close_interrupted_runs`]; one a process killed, a row each). How many were
    /// moved.
    pub async fn prune_runs(&self, channel: &str, before: DateTime<Utc>) -> Result<u64> {
        let what = || format!("moving the old runs of {channel} into sync_run_totals");
        match &self.backend {
            crate::Backend::Sqlite(pool) => {
                let mut tx = pool.begin().await.context(what)?;
                // The write lock is taken by the first statement, which writes.
                sqlx::query(&format!(
                    "INSERT INTO sync_run_totals ({TOTALS_COLUMNS}) \
                     SELECT channel, outcome, COUNT(*), SUM(fetched), SUM(inserted), SUM(updated), \
                     SUM(unchanged), SUM(quarantined), MAX(finished_at) FROM sync_runs \
                     WHERE {PRUNED_RUNS} GROUP BY channel, outcome \
                     ON CONFLICT (channel, outcome) DO UPDATE SET {TOTALS_ADDED}, \
                     last_finished_at = NULLIF(MAX(COALESCE(sync_run_totals.last_finished_at, ''), \
                     COALESCE(excluded.last_finished_at, '')), '')"
                ))
                .bind(channel)
                .bind(before)
                .execute(&mut *tx)
                .await
                .context(what)?;
                let moved = sqlx::query(&format!("DELETE FROM sync_runs WHERE {PRUNED_RUNS}"))
                    .bind(channel)
                    .bind(before)
                    .execute(&mut *tx)
                    .await
                    .context(what)?
                    .rows_affected();
                tx.commit().await.context(what)?;
                Ok(moved)
            }
            // One statement: the rows a concurrent prune deleted first are not counted twice.
            crate::Backend::Postgres(pool) => Ok(sqlx::query_scalar::<_, i64>(&format!(
                "WITH gone AS (DELETE FROM sync_runs WHERE {PRUNED_RUNS} RETURNING channel, \
                 outcome, fetched, inserted, updated, unchanged, quarantined, finished_at), \
                 added AS (INSERT INTO sync_run_totals ({TOTALS_COLUMNS}) \
                 SELECT channel, outcome, COUNT(*), SUM(fetched), SUM(inserted), SUM(updated), \
                 SUM(unchanged), SUM(quarantined), MAX(finished_at) FROM gone \
                 GROUP BY channel, outcome \
                 ON CONFLICT (channel, outcome) DO UPDATE SET {TOTALS_ADDED}, \
                 last_finished_at = GREATEST(sync_run_totals.last_finished_at, excluded.last_finished_at)) \
                 SELECT COUNT(*) FROM gone"
            ))
            .bind(channel)
            .bind(before)
            .fetch_one(pool)
            .await
            .context(what)? as u64),
        }
    }

    /// Writes a run's row (insert or update by `run_id`). A run recorded as ended keeps the
    /// outcome and error it was recorded with: one that [`Store::close_interrupted_runs`]
    /// found still running (its lease lost to another process, which took the channel) stays
    /// `failed` as interrupted, so that the metrics' counts of runs by outcome never go down;
    /// its counts and end are still written.
    pub async fn save_run(&self, run: &RunRecord) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sync_runs (run_id, channel, started_at, finished_at, outcome, fetched, inserted, updated, unchanged, quarantined, error, report) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, \
                 outcome = COALESCE(sync_runs.outcome, excluded.outcome), \
                 fetched = excluded.fetched, inserted = excluded.inserted, updated = excluded.updated, \
                 unchanged = excluded.unchanged, quarantined = excluded.quarantined, \
                 error = COALESCE(sync_runs.error, excluded.error), report = excluded.report",
            )
            .bind(&run.run_id)
            .bind(&run.channel)
            .bind(crate::to_the_microsecond(run.started_at))
            .bind(run.finished_at.map(crate::to_the_microsecond))
            .bind(&run.outcome)
            .bind(run.fetched)
            .bind(run.inserted)
            .bind(run.updated)
            .bind(run.unchanged)
            .bind(run.quarantined)
            .bind(&run.error)
            .bind(&run.report)
            .execute(pool)
            .await
            .context(|| format!("recording run {} of {}", run.run_id, run.channel))?;
            Ok(())
        })
    }

    /// Closes the open quarantine entries of `channel` whose record came again later: a later
    /// archived payload with the same source id (`raw_records.external_id`), which made a
    /// complaint (the source corrected it) or has an entry of its own (a newer version
    /// failing too: one open entry a record, its newest). For a channel each of whose
    /// payloads is its record whole (not one that folds its payloads together, whose older
    /// ones are history still missing). The number closed. (Review: an entry stayed open,
    /// and `quarantine retry` failed on it for ever, after the source had corrected its
    /// record.)
    pub async fn settle_quarantine(&self, channel: &str, at: DateTime<Utc>) -> Result<u64> {
        on_pool!(self, pool => {
            sqlx::query(&SETTLE_SQL)
                .bind(crate::to_the_microsecond(at))
                .bind(channel)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
                .context(|| format!("closing the quarantine entries of {channel} whose record came again"))
        })
    }

    /// Dismisses open entry `quarantine_id` by hand: closed at `at` (`resolved_at`), with
    /// who dismissed it and why. Its payload is not quarantined again (a fold reading its
    /// group again, a rebuild), and a retry passes it over. Whether it was open (an entry
    /// closed before, or none, is left as it is).
    pub async fn dismiss_quarantine(
        &self,
        quarantine_id: i64,
        by: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE quarantine SET resolved_at = $1, dismissed_by = $2, dismissed_reason = $3 \
                 WHERE quarantine_id = $4 AND resolved_at IS NULL",
            )
            .bind(crate::to_the_microsecond(at))
            .bind(by)
            .bind(reason)
            .bind(quarantine_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() > 0)
            .context(|| format!("dismissing quarantine entry {quarantine_id}"))
        })
    }

    /// Undoes the dismissal of entry `quarantine_id` (an admin dismissed the wrong one):
    /// open again, as it was before it was dismissed, without who dismissed it or why; a
    /// retry reads it, and its payload, read again failing as it did, keeps it open. Left
    /// dismissed while its payload has another open entry (a failure met since: a payload
    /// has one open entry at a time), and while a rebuild of the unified tables is going on
    /// or was left unfinished (its end would take the entry out of the quarantine again: the
    /// rebuild read the payload as dismissed). See [`Undismissed`].
    pub async fn undismiss_quarantine(&self, quarantine_id: i64) -> Result<Undismissed> {
        let what = || format!("undismissing quarantine entry {quarantine_id}");
        let opened = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE quarantine SET resolved_at = NULL, dismissed_by = NULL, \
                 dismissed_reason = NULL \
                 WHERE quarantine_id = $1 AND dismissed_by IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM sync_state WHERE channel = '__rebuild__') \
                 AND (raw_id IS NULL OR NOT EXISTS (SELECT 1 FROM quarantine o \
                 WHERE o.raw_id = quarantine.raw_id AND o.resolved_at IS NULL))",
            )
            .bind(quarantine_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        });
        match opened {
            Ok(n) if n > 0 => return Ok(Undismissed::Opened),
            Ok(_) => {}
            // (PostgreSQL: another open entry of the payload committed meanwhile.)
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {}
            Err(e) => return Err::<Undismissed, _>(e).context(what),
        }
        // Why not, said as it is now.
        let entry: Option<(Option<String>, Option<i64>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT dismissed_by, raw_id FROM quarantine WHERE quarantine_id = $1")
                .bind(quarantine_id)
                .fetch_optional(pool)
                .await
                .context(what)?
        });
        let Some((Some(_), raw_id)) = entry else {
            return Ok(Undismissed::NotDismissed);
        };
        if let Some(at) = self.unfinished_rebuild().await? {
            return Ok(Undismissed::Rebuilding(at));
        }
        let other: Option<i64> = match raw_id {
            None => None,
            Some(raw_id) => on_pool!(self, pool => {
                sqlx::query_scalar(
                    "SELECT quarantine_id FROM quarantine WHERE raw_id = $1 AND resolved_at IS NULL",
                )
                .bind(raw_id)
                .fetch_optional(pool)
                .await
                .context(what)?
            }),
        };
        Ok(match other {
            Some(other) => Undismissed::OtherOpen(other),
            // (Undismissed or changed meanwhile, by another process.)
            None => Undismissed::NotDismissed,
        })
    }

    /// Marks a quarantined record as dealt with.
    pub async fn resolve_quarantine(&self, quarantine_id: i64, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE quarantine SET resolved_at = $1 WHERE quarantine_id = $2")
                .bind(crate::to_the_microsecond(at))
                .bind(quarantine_id)
                .execute(pool)
                .await
                .context(|| format!("resolving quarantine entry {quarantine_id}"))?;
            Ok(())
        })
    }
}

/// What [`Store::undismiss_quarantine`] did with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Undismissed {
    /// Open again: its dismissal is undone.
    Opened,
    /// Not dismissed (open, or closed as its record was read or came again), or no such
    /// entry: left as it is.
    NotDismissed,
    /// Left dismissed: its payload has this open entry (a failure met since), and a payload
    /// has one open entry at a time.
    OtherOpen(i64),
    /// Left dismissed: a rebuild of the unified tables, begun then, is going on or was left
    /// unfinished.
    Rebuilding(DateTime<Utc>),
}

/// The condition that the archived payload `o` of a record came again later (`raw_records_source_id`
/// probed once), or that its record's identity is a stand-in another record took the place
/// of (in `claims`, see [`WriteBatch::claims`]: a 112 row without a ticket, or with a `No
/// Tiket` that is no ticket, put right with its ticket; read before or after it, the record
/// under the stand-in stores nothing).
fn came_again(claims: &str) -> String {
    format!(
        "o.external_id IS NOT NULL AND (EXISTS (SELECT 1 FROM raw_records n \
         WHERE n.channel = o.channel AND n.external_id = o.external_id AND n.raw_id > o.raw_id) \
         OR EXISTS (SELECT 1 FROM {claims} c WHERE c.complaint_id = o.channel || ':' || o.external_id))"
    )
}

/// See [`Store::settle_quarantine`]: `$1` the time, `$2` the channel.
static SETTLE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    // From the open entries (few) to their payloads by number: SQLite planned the join the
    // other way, through every payload of the archive's index.
    format!(
        "UPDATE quarantine SET resolved_at = $1 WHERE resolved_at IS NULL AND channel = $2 \
         AND EXISTS (SELECT 1 FROM raw_records o WHERE o.raw_id = quarantine.raw_id \
         AND {})",
        came_again(LIVE.claims)
    )
});

/// A rebuild's entries of `$1`'s payloads whose record came again later (see
/// [`Store::finish_rebuild`]), the rebuild's claims read.
static SETTLE_REBUILT_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "DELETE FROM {q} WHERE channel = $1 AND EXISTS (SELECT 1 FROM raw_records o \
         WHERE o.raw_id = {q}.raw_id AND {})",
        came_again(REBUILT.claims),
        q = REBUILT.quarantine
    )
});

/// The columns of `sync_run_totals` (see [`Store::prune_runs`]).
const TOTALS_COLUMNS: &str = "channel, outcome, runs, fetched, inserted, updated, unchanged, \
     quarantined, last_finished_at";

/// The counts of runs moved into `sync_run_totals`, added to its own.
const TOTALS_ADDED: &str = "runs = sync_run_totals.runs + excluded.runs, \
     fetched = sync_run_totals.fetched + excluded.fetched, \
     inserted = sync_run_totals.inserted + excluded.inserted, \
     updated = sync_run_totals.updated + excluded.updated, \
     unchanged = sync_run_totals.unchanged + excluded.unchanged, \
     quarantined = sync_run_totals.quarantined + excluded.quarantined";

/// The runs [`Store::prune_runs`] moves: of channel `$1`, ended (with their end recorded by
/// their own process: one closed as interrupted may still be alive, paused, and would write
/// its row again when it ends), started before `$2` and before the channel's latest run that
/// was not skipped.
const PRUNED_RUNS: &str = "channel = $1 AND outcome IS NOT NULL AND finished_at IS NOT NULL \
     AND started_at < $2 \
     AND started_at < (SELECT MAX(started_at) FROM sync_runs WHERE channel = $1 \
     AND (outcome IS NULL OR outcome <> 'skipped'))";

impl Store {
    /// Forgets the delivery ids received before `before` (see `receive`): a sender retries a
    /// delivery for a bounded time (Pantau Pekalongan: up to 24 hours), so older ids can
    /// never come again, and the table would otherwise grow by a row a delivery for ever.
    /// How many were forgotten.
    pub async fn forget_deliveries(&self, before: DateTime<Utc>) -> Result<u64> {
        on_pool!(self, pool => {
            Ok(sqlx::query("DELETE FROM push_deliveries WHERE received_at < $1")
                .bind(before)
                .execute(pool)
                .await
                .context(|| "forgetting old delivery ids".into())?
                .rows_affected())
        })
    }
}

/// Records what the unified tables are built with (`$1`, at `$2`).
const BUILT_WITH_SQL: &str = "INSERT INTO sync_state (channel, cursor, updated_at) \
     VALUES ('__built_with__', $1, $2) \
     ON CONFLICT (channel) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at";

impl Store {
    /// Starts rebuilding the unified tables from `raw_records`: marks the rebuild, and
    /// creates empty tables beside `complaints` and `complaint_events` with their definitions
    /// (the catalogue's), which the rebuild's batches fill ([`WriteBatch::rebuild`]) while the
    /// analysts go on reading the live ones; [`finish_rebuild`](Self::finish_rebuild) puts
    /// them in their place. What the rebuild quarantines goes into a quarantine of its own,
    /// merged into the live one when it ends (the live quarantine's open entries of archived
    /// payloads then say what the current code cannot read). A rebuild that was interrupted
    /// left the live tables and the quarantine as they were; it starts again from empty tables.
    pub async fn begin_rebuild(&self) -> Result<()> {
        let what = || "starting a rebuild".to_string();
        self.refuse_what_a_swap_cannot_keep(false).await?;
        let create = self.rebuild_tables().await?;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.context(what)?;
            sqlx::query(
                "INSERT INTO sync_state (channel, cursor, updated_at) \
                 SELECT '__rebuild__', NULL, $1 \
                 WHERE NOT EXISTS (SELECT 1 FROM sync_state WHERE channel = '__rebuild__')",
            )
            .bind(crate::to_the_microsecond(Utc::now()))
            .execute(&mut *tx)
            .await
            .context(what)?;
            // (The unified tables last: on PostgreSQL their statements set the default
            // tablespace for the rest of the transaction.)
            sqlx::raw_sql(&format!(
                "DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS {}; \
                 DROP TABLE IF EXISTS {}; {}; {}; {create}",
                REBUILT.events,
                REBUILT.complaints,
                REBUILT.quarantine,
                REBUILT.claims,
                rebuild_quarantine(),
                rebuild_claims()
            ))
            .execute(&mut *tx)
            .await
            .context(what)?;
            tx.commit().await.context(what)
        })
    }

    /// Refuses a rebuild, before it starts, when something depends on the tables it replaces
    /// that the swap at its end could not keep (PostgreSQL: a materialized view, a function
    /// whose body names them, a function or column using their row type, another table's
    /// foreign key, a rule or row security policy on them, a dependent view this role cannot
    /// own or another session's temporary one, and the tables themselves when this role
    /// cannot act as their owner nor their schema's; SQLite: another table's foreign key):
    /// the swap would fail, or lose it, only after the whole rebuild. The error names them.
    /// Views and triggers are kept (see [`kept_through_swap`](Self::kept_through_swap)).
    /// `at_swap`: checked again before the swap, once the rebuild's tables are made.
    async fn refuse_what_a_swap_cannot_keep(&self, at_swap: bool) -> Result<()> {
        let what = || "starting a rebuild".to_string();
        let in_the_way: Vec<String> = match &self.backend {
            // Another table's foreign key to them: dropping the live table deletes its rows
            // first (SQLite's implicit `DELETE` under `foreign_keys`), which the key refuses
            // as soon as a row refers to one, at the swap, after the whole rebuild.
            Backend::Sqlite(pool) => sqlx::query_scalar(
                "SELECT DISTINCT 'table ' || m.name || ' (a foreign key to ' || f.\"table\" || ')' \
                 FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' AND lower(f.\"table\") IN ($1, $2) ORDER BY 1",
            )
            .bind(LIVE.complaints)
            .bind(LIVE.events)
            .fetch_all(pool)
            .await
            .context(what)?,
            Backend::Postgres(pool) => {
                // Only their owner or their schema's (or a role that has its privileges: a
                // member of it that inherits them) may drop the tables: a role granted what
                // it writes would run the whole rebuild, and its swap then fail. (The
                // schema's owner rebuilds them as its own, their owner keeping its rights.)
                let owners: Vec<String> = sqlx::query_scalar(
                    "SELECT format('%s (owned by %I)', c.oid::regclass, pg_get_userbyid(c.relowner)) \
                     FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace \
                     WHERE c.oid IN (to_regclass($1), to_regclass($2)) \
                     AND NOT pg_has_role(c.relowner, 'USAGE') \
                     AND NOT pg_has_role(s.nspowner, 'USAGE') ORDER BY 1",
                )
                .bind(LIVE.complaints)
                .bind(LIVE.events)
                .fetch_all(pool)
                .await
                .context(what)?;
                if !owners.is_empty() {
                    return Err(Error::Rows {
                        what: what(),
                        message: format!(
                            "a rebuild replaces {}, which only their owner (or their schema's) \
                             may drop, and this role cannot act as it: renormalise as the owner \
                             or a role it is granted to",
                            owners.join(" and ")
                        ),
                    });
                }
                // The rebuild's tables and indexes are made where the live ones are (see
                // `rebuild_tables`), an index moved while it ran moved so at the swap: in a
                // tablespace where this role may not create (a superuser put them there),
                // PostgreSQL refused the start with a bare "permission denied", or the swap
                // after the whole rebuild. (Moving them to the default tablespace instead
                // would undo an admin's placement unasked.)
                // (Before the swap, only what it would move there or make there.)
                let denied: Option<(String, String)> = sqlx::query_as(TABLESPACES_SQL)
                    .bind(LIVE.complaints)
                    .bind(LIVE.events)
                    .bind(at_swap.then_some(REBUILT.complaints))
                    .bind(at_swap.then_some(REBUILT.events))
                    .fetch_optional(pool)
                    .await
                    .context(what)?;
                if let Some((places, grant)) = denied {
                    return Err(Error::Rows {
                        what: what(),
                        message: format!(
                            "a rebuild makes its tables and their indexes in the tablespaces \
                             of the live ones, and this role may not create in that of \
                             {places}: {grant}, or renormalise as a role that may"
                        ),
                    });
                }
                sqlx::query_scalar(&format!("{KEPT_SQL} {IN_THE_WAY_SQL}"))
                    .bind(LIVE.complaints)
                    .bind(LIVE.events)
                    .fetch_all(pool)
                    .await
                    .context(what)?
            }
        };
        if in_the_way.is_empty() {
            return Ok(());
        }
        Err(Error::Rows {
            what: what(),
            message: format!(
                "these depend on {} or {}, which a rebuild replaces, and cannot be kept \
                 through it: {}; drop them, renormalise, and create them again",
                LIVE.complaints,
                LIVE.events,
                in_the_way.join(", ")
            ),
        })
    }

    /// The statements that create a rebuild's tables with the live tables' definitions: on
    /// SQLite the same `CREATE` statement (the catalogue keeps it) under the rebuild's name,
    /// whose secondary indexes come when it is put in place; on PostgreSQL `LIKE … INCLUDING
    /// ALL`, `UNLOGGED` and in the tablespace where the live table is, their indexes where
    /// the live ones are (`default_tablespace` set to the database's for the rest of the
    /// transaction: `LIKE` makes an index of the database's default tablespace, and a table
    /// given none, in the role's `default_tablespace`, which the swap would then move back
    /// while it holds the tables locked).
    async fn rebuild_tables(&self) -> Result<String> {
        let mut create = Vec::new();
        match &self.backend {
            Backend::Sqlite(pool) => {
                for (live, next) in SWAPPED {
                    let sql: String = sqlx::query_scalar(
                        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1",
                    )
                    .bind(live)
                    .fetch_one(pool)
                    .await
                    .context(|| format!("reading the definition of {live}"))?;
                    let columns = sql.find('(').ok_or_else(|| Error::Rows {
                        what: "starting a rebuild".into(),
                        message: format!("the definition of {live} has no columns: {sql}"),
                    })?;
                    create.push(format!("CREATE TABLE {next} {}", &sql[columns..]));
                }
            }
            Backend::Postgres(pool) => {
                // (`LIKE` copies neither: the tables are made where and as the live ones
                // are, not moved or rewritten at the swap.)
                let kind = "SELECT CASE WHEN c.relpersistence = 'u' THEN 'UNLOGGED ' ELSE '' END, \
                     coalesce((SELECT format(' TABLESPACE %I', spcname) FROM pg_tablespace \
                       WHERE oid = c.reltablespace), '') \
                     FROM pg_class c WHERE c.oid = to_regclass($1)";
                create.push("SET LOCAL default_tablespace = ''".to_string());
                for (live, next) in SWAPPED {
                    let (unlogged, space): (String, String) = sqlx::query_as(kind)
                        .bind(live)
                        .fetch_one(pool)
                        .await
                        .context(|| format!("reading the definition of {live}"))?;
                    create.push(format!(
                        "CREATE {unlogged}TABLE {next} (LIKE {live} INCLUDING ALL){space}"
                    ));
                    // A check constraint an admin added `NOT VALID` (rows from before it
                    // unchecked): `LIKE` copies it valid, which the swap then took for
                    // another, dropped and added again at every rebuild. It is made `NOT
                    // VALID` on the empty table (no row read), with its comment.
                    let not_valid: Vec<String> = sqlx::query_scalar(
                        "SELECT format('ALTER TABLE %I DROP CONSTRAINT %I; \
                           ALTER TABLE %I ADD CONSTRAINT %I %s', $2::text, c.conname, \
                           $2::text, c.conname, pg_get_constraintdef(c.oid)) \
                         || coalesce(format('; COMMENT ON CONSTRAINT %I ON %I IS %L', \
                           c.conname, $2::text, obj_description(c.oid, 'pg_constraint')), '') \
                         FROM pg_constraint c WHERE c.conrelid = to_regclass($1) \
                         AND c.contype = 'c' AND NOT c.convalidated ORDER BY c.conname",
                    )
                    .bind(live)
                    .bind(next)
                    .fetch_all(pool)
                    .await
                    .context(|| format!("reading the definition of {live}"))?;
                    create.extend(not_valid);
                }
            }
        }
        Ok(create.join("; "))
    }

    /// What the unified tables were last built with (the engine's text, kept in
    /// `sync_state` under `__built_with__`): set by a finished rebuild, or on a store whose
    /// tables are still empty ([`built_with_if_empty`](Self::built_with_if_empty)); `None`
    /// for a store built before Aduan kept it.
    pub async fn built_with(&self) -> Result<Option<String>> {
        on_pool!(self, pool => {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT cursor FROM sync_state WHERE channel = '__built_with__'",
            )
            .fetch_optional(pool)
            .await
            .context(|| "reading what the unified tables were built with".into())
            .map(Option::flatten)
        })
    }

    /// Records that the unified tables are built with `with`, when they hold no complaint
    /// yet (a new store: whatever writes into them first builds them with it); `false`
    /// when they do, and nothing is changed.
    pub async fn built_with_if_empty(&self, with: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query(&format!(
                "INSERT INTO sync_state (channel, cursor, updated_at) \
                 SELECT '__built_with__', $1, $2 WHERE NOT EXISTS (SELECT 1 FROM {}) \
                 ON CONFLICT (channel) DO NOTHING",
                LIVE.complaints
            ))
            .bind(with)
            .bind(crate::to_the_microsecond(Utc::now()))
            .execute(pool)
            .await
            .context(|| "recording what the unified tables are built with".into())?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// When the rebuild that has not finished started: one running now, or one that was
    /// interrupted (the live tables stay as they were until a rebuild ends).
    pub async fn unfinished_rebuild(&self) -> Result<Option<DateTime<Utc>>> {
        on_pool!(self, pool => {
            sqlx::query_scalar("SELECT updated_at FROM sync_state WHERE channel = '__rebuild__'")
                .fetch_optional(pool)
                .await
                .context(|| "looking for an unfinished rebuild".into())
        })
    }

    /// Ends a rebuild: in one transaction, the quarantine of the channels `settled` is
    /// settled (see [`Store::settle_quarantine`]: in the live quarantine and the rebuild's),
    /// the rebuild's quarantine is merged into the live one (see `merge_quarantine`) and its
    /// tables replace `complaints` and `complaint_events`, under
    /// their names and with their indexes (read from the catalogue before the live tables go).
    /// The transaction checks `fences` (the rebuild's leases) first: a rebuild that lost one
    /// replaces nothing ([`Error::LeaseLost`]).
    pub async fn finish_rebuild(
        &self,
        fences: &[crate::Fence],
        built_with: &str,
        settled: &[&str],
    ) -> Result<()> {
        let what = || "finishing a rebuild".to_string();
        // Something made meanwhile that the swap cannot keep is named, as before the start.
        self.refuse_what_a_swap_cannot_keep(true).await?;
        self.rewrite_before_swap().await?;
        let names = self.names_after_swap().await?;
        let (drop_kept, make_kept) = self.kept_through_swap().await?;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.context(what)?;
            // (A fence read first, the whole rebuild would be lost at its last step.)
            tx.lock_and_check_fences(fences).await?;
            // Channels `settled` (see `settle_quarantine`): an entry of a record that came
            // again later is closed, not merged open again (nor deleted as not failing).
            let now = crate::to_the_microsecond(Utc::now());
            for channel in settled {
                sqlx::query(&SETTLE_SQL)
                    .bind(now)
                    .bind(channel)
                    .execute(&mut *tx)
                    .await
                    .context(what)?;
                sqlx::query(&SETTLE_REBUILT_SQL)
                    .bind(channel)
                    .execute(&mut *tx)
                    .await
                    .context(what)?;
            }
            // The quarantine and the claims first, while every trigger is in place (an
            // admin's audit trigger on them records these changes on both stores). Only the
            // claims the rebuild makes otherwise change: one it no longer makes (or makes
            // for another complaint) goes, a new one comes, one it makes again stays as it
            // is (replacing them all, an audit trigger recorded each claim at each rebuild).
            sqlx::raw_sql(&format!(
                "{}; DELETE FROM {ll} WHERE NOT EXISTS (SELECT 1 FROM {rl} r \
                 WHERE r.complaint_id = {ll}.complaint_id AND r.claimed_by = {ll}.claimed_by); \
                 INSERT INTO {ll} (complaint_id, claimed_by) \
                 SELECT complaint_id, claimed_by FROM {rl} WHERE NOT EXISTS \
                 (SELECT 1 FROM {ll} l WHERE l.complaint_id = {rl}.complaint_id)",
                merge_quarantine(),
                ll = LIVE.claims,
                rl = REBUILT.claims
            ))
            .execute(&mut *tx)
            .await
            .context(what)?;
            for sql in &drop_kept {
                sqlx::raw_sql(sql)
                    .execute(&mut *tx)
                    .await
                    .context(|| format!("dropping what the swap makes again: {sql}"))?;
            }
            // (`rebuild_snapshot`: what rebuilds kept before they had tables of their own.)
            sqlx::raw_sql(&format!(
                "DROP TABLE {le}; DROP TABLE {lc}; \
                 ALTER TABLE {rc} RENAME TO {lc}; ALTER TABLE {re} RENAME TO {le}; \
                 DROP TABLE {rl}; DROP TABLE IF EXISTS rebuild_snapshot",
                le = LIVE.events,
                lc = LIVE.complaints,
                re = REBUILT.events,
                rc = REBUILT.complaints,
                rl = REBUILT.claims
            ))
            .execute(&mut *tx)
            .await
            .context(what)?;
            for sql in &names {
                sqlx::raw_sql(sql)
                    .execute(&mut *tx)
                    .await
                    .context(|| format!("giving the rebuilt tables what the live ones had: {sql}"))?;
            }
            for sql in &make_kept {
                sqlx::raw_sql(sql)
                    .execute(&mut *tx)
                    .await
                    .context(|| format!("making a view or trigger again after the swap: {sql}"))?;
            }
            sqlx::query("DELETE FROM sync_state WHERE channel = '__rebuild__'")
                .execute(&mut *tx)
                .await
                .context(what)?;
            sqlx::query(BUILT_WITH_SQL)
                .bind(built_with)
                .bind(crate::to_the_microsecond(Utc::now()))
                .execute(&mut *tx)
                .await
                .context(what)?;
            tx.commit().await.context(what)
        })
    }

    /// PostgreSQL: the rebuild's tables made logged or unlogged, and moved to a tablespace,
    /// as the live ones are where an admin changed them while the rebuild ran (see
    /// [`REWRITE_SQL`]), before the swap: each rewrites the whole table, which in the swap
    /// held the live tables locked meanwhile. (One changed after this is made so in the swap.)
    async fn rewrite_before_swap(&self) -> Result<()> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(());
        };
        for (live, next) in SWAPPED {
            let statements: Vec<String> = sqlx::query_scalar(REWRITE_SQL)
                .bind(live)
                .bind(next)
                .fetch_all(pool)
                .await
                .context(|| "finishing a rebuild".to_string())?;
            for sql in &statements {
                sqlx::raw_sql(sql)
                    .execute(pool)
                    .await
                    .context(|| format!("finishing a rebuild: {sql}"))?;
            }
        }
        Ok(())
    }

    /// What an admin or analyst made on the tables that the swap keeps: the statements to
    /// run before the live tables are dropped, and those to run once the rebuild's tables
    /// carry their names (read from the catalogue before the live tables go). Dropping a
    /// table drops its triggers, and a view is bound to the table it reads (PostgreSQL
    /// refuses to drop a table under a view; SQLite's rename finds the view broken), so
    /// these are dropped and made again as they were: an analyst's view on `complaints`
    /// reads the rebuilt table, an admin's audit trigger goes on recording.
    /// SQLite: every view and trigger of the store, in the order they were made (SQLite
    /// keeps no dependencies; the same text made again is the same object). PostgreSQL: the
    /// views that depend on the tables and their triggers (see [`MAKE_AGAIN_SQL`]); what
    /// cannot be kept was refused before the rebuild started.
    async fn kept_through_swap(&self) -> Result<(Vec<String>, Vec<String>)> {
        let what = || "finishing a rebuild".to_string();
        match &self.backend {
            Backend::Sqlite(pool) => {
                let all: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT type, name, sql FROM sqlite_master \
                     WHERE type IN ('view', 'trigger') AND sql IS NOT NULL ORDER BY rowid",
                )
                .fetch_all(pool)
                .await
                .context(what)?;
                let drop = all
                    .iter()
                    .rev()
                    .map(|(kind, name, _)| {
                        format!(
                            "DROP {} IF EXISTS {}",
                            kind.to_ascii_uppercase(),
                            quoted_name(name)
                        )
                    })
                    .collect();
                let make = all.into_iter().map(|(.., sql)| sql).collect();
                Ok((drop, make))
            }
            Backend::Postgres(pool) => {
                let mut kept = Vec::new();
                for sql in [DROP_VIEWS_SQL, MAKE_AGAIN_SQL] {
                    let statements: Vec<String> = sqlx::query_scalar(&format!("{KEPT_SQL} {sql}"))
                        .bind(LIVE.complaints)
                        .bind(LIVE.events)
                        .fetch_all(pool)
                        .await
                        .context(what)?;
                    kept.push(statements);
                }
                let make = kept.pop().unwrap_or_default();
                let mut drop = kept.pop().unwrap_or_default();
                // A `serial` column's sequence (an admin's): `LIKE` gave the rebuilt table's
                // column its default, `nextval` of it, and it would go with the live table
                // (PostgreSQL refuses the drop). It is kept, owned by no column until the
                // rebuilt table's takes it (see [`SERIAL_SQL`]).
                let serial: Vec<String> = sqlx::query_scalar(
                    "SELECT format('ALTER SEQUENCE %s OWNED BY NONE', d.objid::regclass) \
                     FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' \
                     WHERE d.classid = 'pg_class'::regclass \
                     AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' \
                     AND d.refobjid IN (to_regclass($1), to_regclass($2)) ORDER BY 1",
                )
                .bind(LIVE.complaints)
                .bind(LIVE.events)
                .fetch_all(pool)
                .await
                .context(what)?;
                drop.extend(serial);
                Ok((drop, make))
            }
        }
    }

    /// What gives the rebuild's tables, once they carry the live tables' names, the live
    /// tables' indexes under their names and (PostgreSQL) their owner, privileges, comments
    /// and settings (read from the catalogue before the live tables go).
    /// SQLite: each secondary index created again (a table's own keys came with its
    /// definition). PostgreSQL: `LIKE … INCLUDING ALL` gave the new tables the same indexes and
    /// identity sequence under names of their own; each is renamed after the live one it
    /// matches (an index made or dropped while the rebuild ran is made or dropped), and given
    /// its comment and its constraint's, its columns' statistics targets and its tablespace
    /// where it was moved meanwhile.
    async fn names_after_swap(&self) -> Result<Vec<String>> {
        let what = || "finishing a rebuild".to_string();
        match &self.backend {
            Backend::Sqlite(pool) => sqlx::query_scalar(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ($1, $2)",
            )
            .bind(LIVE.complaints)
            .bind(LIVE.events)
            .fetch_all(pool)
            .await
            .context(what),
            Backend::Postgres(pool) => {
                // Each index with its comment and, where it is a constraint's, the
                // constraint's (`LIKE` copies an index's comment as it was when the rebuild
                // began, not a primary key's or unique constraint's), as literals.
                let index = "SELECT i.relname::text, \
                     regexp_replace(pg_get_indexdef(i.oid), '^.* USING ', '') AS shape, \
                     x.indisunique, format('%L', obj_description(i.oid, 'pg_class')), \
                     (SELECT format('%L', obj_description(c.oid, 'pg_constraint')) \
                       FROM pg_constraint c WHERE c.conindid = i.oid \
                       AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x')), \
                     coalesce((SELECT format('ALTER TABLE %I ADD CONSTRAINT %I %s', $1::text, \
                         c.conname, pg_get_constraintdef(c.oid)) FROM pg_constraint c \
                       WHERE c.conindid = i.oid AND c.conrelid = x.indrelid \
                       AND c.contype IN ('p', 'u', 'x')), pg_get_indexdef(i.oid)) \
                     || coalesce((SELECT format('; ALTER INDEX %I SET TABLESPACE %I', i.relname, \
                         spcname) FROM pg_tablespace WHERE oid = i.reltablespace), ''), \
                     coalesce((SELECT spcname FROM pg_tablespace WHERE oid = i.reltablespace), \
                       (SELECT t.spcname FROM pg_database d \
                        JOIN pg_tablespace t ON t.oid = d.dattablespace \
                        WHERE d.datname = current_database())), \
                     coalesce((SELECT string_agg(format('ALTER INDEX %I ALTER COLUMN %s \
                         SET STATISTICS %s', i.relname, a.attnum, a.attstattarget), '; ' \
                         ORDER BY a.attnum) FROM pg_attribute a \
                       WHERE a.attrelid = i.oid AND a.attstattarget >= 0), '') \
                     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                     WHERE x.indrelid = to_regclass($1) ORDER BY i.oid";
                type Index = (
                    String,
                    String,
                    bool,
                    String,
                    Option<String>,
                    String,
                    String,
                    String,
                );
                let mut names = Vec::new();
                for (live, next) in SWAPPED {
                    let old: Vec<Index> = sqlx::query_as(index)
                        .bind(live)
                        .fetch_all(pool)
                        .await
                        .context(what)?;
                    let mut new: Vec<Index> = sqlx::query_as(index)
                        .bind(next)
                        .fetch_all(pool)
                        .await
                        .context(what)?;
                    for (name, shape, unique, comment, constraint, made, space, targets) in old {
                        // (Each taken once: two alike, as an admin's copy of one, are two.)
                        let twin = new
                            .iter()
                            .position(|(_, s, u, ..)| *s == shape && *u == unique)
                            .map(|at| new.remove(at));
                        let (their_comment, their_constraint) = match twin {
                            Some((theirs, _, _, comment, constraint, _, their_space, _)) => {
                                names.push(format!(
                                    "ALTER INDEX {} RENAME TO {}",
                                    quoted_name(&theirs),
                                    quoted_name(&name)
                                ));
                                // (`LIKE` made it where the live one was at the start.)
                                if space != their_space {
                                    names.push(format!(
                                        "ALTER INDEX {} SET TABLESPACE {}",
                                        quoted_name(&name),
                                        quoted_name(&space)
                                    ));
                                }
                                (comment, constraint)
                            }
                            // One made while the rebuild ran (`LIKE` copied those of its
                            // start; the swap failed, after all its work): made on the
                            // rebuilt table, once it carries the name the live one's
                            // definition names (as the constraint it is, in its tablespace).
                            None => {
                                names.push(made);
                                (
                                    "NULL".to_string(),
                                    constraint.as_ref().map(|_| "NULL".to_string()),
                                )
                            }
                        };
                        // Its columns' statistics targets (an expression's: `LIKE` copies none).
                        if !targets.is_empty() {
                            names.push(targets);
                        }
                        if comment != their_comment {
                            names.push(format!(
                                "COMMENT ON INDEX {} IS {comment}",
                                quoted_name(&name)
                            ));
                        }
                        // (Renaming a constraint's index renames the constraint.)
                        if let Some(comment) =
                            constraint.filter(|c| Some(c) != their_constraint.as_ref())
                        {
                            names.push(format!(
                                "COMMENT ON CONSTRAINT {} ON {live} IS {comment}",
                                quoted_name(&name)
                            ));
                        }
                    }
                    // One dropped while the rebuild ran goes (it came under a name of `LIKE`'s).
                    for (theirs, _, _, _, constraint, ..) in new {
                        names.push(match constraint {
                            Some(_) => format!(
                                "ALTER TABLE {live} DROP CONSTRAINT {}",
                                quoted_name(&theirs)
                            ),
                            None => format!("DROP INDEX {}", quoted_name(&theirs)),
                        });
                    }
                }
                // The live tables' owner, comments, privileges and settings (`LIKE` copies
                // none of them but the columns' comments as they were at the start, and they
                // go with the tables dropped): the tables stay their owner's when another
                // role (a member of it) rebuilds them, an analysts' role granted `SELECT`
                // keeps it. (Where the owner cannot be given the tables, it keeps its
                // rights on them.)
                let owner = format!("WITH {OWNER_AFTER_SQL} {OWNER_SQL}");
                let grants = format!("WITH {OWNER_AFTER_SQL} {GRANTS_SQL}");
                let sequence = format!("WITH {OWNER_AFTER_SQL} {SEQUENCE_SQL}");
                let serial = format!("WITH {OWNER_AFTER_SQL} {SERIAL_SQL}");
                for (live, next) in SWAPPED {
                    for sql in [
                        &owner,
                        &grants,
                        &sequence,
                        &serial,
                        COMMENTS_SQL,
                        SETTINGS_SQL,
                        STATISTICS_SQL,
                    ] {
                        let statements: Vec<String> = sqlx::query_scalar(sql)
                            .bind(live)
                            .bind(next)
                            .fetch_all(pool)
                            .await
                            .context(what)?;
                        names.extend(statements);
                    }
                }
                Ok(names)
            }
        }
    }

    /// Brings the planner's picture up to date after a large write (a first sync, a
    /// rebuild). PostgreSQL: `VACUUM` of `complaints` (the visibility map an index-only scan
    /// needs: the analysts' monthly aggregate over a million rows takes 1.1 s before and 0.1 s
    /// after) with statistics of the columns the analysts' aggregates and filters group by
    /// (`STATISTICS_NOW`), and statistics of the archive's and the events' key columns, the
    /// three side by side on connections of their own. Only those columns: a table's every
    /// column took 0.6–0.7 s at 100,000 complaints (its long texts sorted), the listed ones
    /// 0.15 s; and an `ANALYZE` of listed columns leaves the table's count of changes as it
    /// was, so autovacuum still gathers every column within minutes. SQLite: `PRAGMA
    /// optimize`.
    pub async fn after_bulk_write(&self) -> Result<()> {
        let what = |sql: &str| format!("tidying after a large write: {sql}");
        match &self.backend {
            Backend::Sqlite(pool) => {
                let sql = "PRAGMA optimize";
                sqlx::query(sql).execute(pool).await.context(|| what(sql))?;
            }
            Backend::Postgres(pool) => {
                let run = |sql: &'static str| async move {
                    sqlx::query(sql).execute(pool).await.context(|| what(sql))
                };
                let [complaints, raw, events] = STATISTICS_NOW;
                tokio::try_join!(run(complaints), run(raw), run(events))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many times the plan of a live quarantine insert reads `raw_records`.
    async fn archive_reads(store: &Store) -> usize {
        let sql = quarantine_sql(LIVE);
        // SQLite: the plan's steps, each in its fourth column; PostgreSQL: its lines.
        let (explain, column) = match store.backend {
            Backend::Sqlite(_) => ("EXPLAIN QUERY PLAN", 3),
            Backend::Postgres(_) => ("EXPLAIN", 0),
        };
        let plan: Vec<String> = on_pool!(store, pool => {
            let rows = sqlx::query(&format!("{explain} {sql}"))
                .bind("sp4n_lapor")
                .bind(vec![7u8; 32])
                .bind("item 7")
                .bind("tracking_id 7")
                .bind("created_at")
                .bind("not a time")
                .bind(b"{}".to_vec())
                .bind(None::<String>)
                .bind(Utc::now())
                .fetch_all(pool)
                .await
                .unwrap();
            rows.iter()
                .map(|r| sqlx::Row::try_get::<String, _>(r, column).unwrap())
                .collect()
        });
        let step = match store.backend {
            Backend::Sqlite(_) => "raw_records",
            Backend::Postgres(_) => " on raw_records",
        };
        let reads = plan.iter().filter(|l| l.contains(step)).count();
        assert!(reads > 0, "{plan:#?}");
        reads
    }

    /// A channel's payloads stored as received are counted and sampled on their own index,
    /// not by reading the archive's other channels or its packed payloads (a batch of a
    /// channel without a dictionary counts them once a process, and reads them when a
    /// thousand have come).
    #[test]
    fn payloads_stored_as_received_are_counted_and_sampled_on_their_index() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for m in crate::migrate::SQLITE {
            conn.execute_batch(m.sql)
                .unwrap_or_else(|e| panic!("{}: {e}", m.name));
        }
        for sql in [PLAIN_COUNT_SQL.to_string(), crate::read::samples_sql(true)] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let binds = (0..stmt.parameter_count()).map(|i| match i {
                0 => rusqlite::types::Value::Text("sp4n_lapor".into()),
                _ => rusqlite::types::Value::Integer(9),
            });
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(binds), |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            assert!(
                plan.iter()
                    .any(|l| l.starts_with("SEARCH") && l.contains("raw_records_plain")),
                "{sql}: {plan:#?}"
            );
            assert!(
                !plan.iter().any(|l| l.contains("TEMP B-TREE")),
                "{sql}: {plan:#?}"
            );
        }
    }

    /// Review (session 44): PostgreSQL's plan of a quarantine insert looked the payload's
    /// raw record up twice (the sub-query `v` pulled up, its sub-select put in each place
    /// that used `v.raw_id`: two init plans). It is looked up once, on both stores.
    #[tokio::test]
    async fn a_quarantine_insert_looks_its_raw_record_up_once() {
        for ts in crate::testing::all().await {
            assert_eq!(archive_reads(&ts.store).await, 1, "{}", ts.label);
        }
    }
}
