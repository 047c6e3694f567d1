//! One batch: archive, parse (or fold), normalise, decide, write.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aduan_core::{FieldError, Fold, RawRecord, SourceComplaint};
use aduan_normalise::{Normalised, Normaliser};
// CPU work (parsing, normalising, packing a batch) runs as the store runs SQLite's
// statements: without holding up the runtime's other tasks.
use aduan_store::blocking as cpu;
use aduan_store::fast::{HashMap, HashSet};
use aduan_store::packing::{self, Dictionary, Packer, MIN_SAMPLES};
use aduan_store::{
    ComplaintRow, EventRow, Fence, GroupLink, NewRaw, QuarantineRow, Store, StoredRaw, WriteBatch,
    Writes,
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::Result;

/// What a run (or a rebuild) did, record by record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Batches committed.
    pub batches: u64,
    /// Records received.
    pub fetched: u64,
    /// Complaints inserted.
    pub inserted: u64,
    /// Complaints changed.
    pub updated: u64,
    /// Records that changed nothing (payload seen before, same content, or older version).
    pub unchanged: u64,
    /// Records quarantined.
    pub quarantined: u64,
    /// Of those, archived payloads that could not be unpacked (the archive damaged: a
    /// payload's bytes or its dictionary), quarantined under the field `payload`.
    pub unreadable: u64,
    /// The first of those's reason (it names the record and the dictionary).
    pub first_unreadable: Option<String>,
    /// Complaints removed: folded into another (a thread that joined an earlier one).
    pub removed: u64,
    /// Complaints removed because the record they stood in for came under its own identity
    /// (see `aduan_core::Standing`: a 112 call without its ticket, replaced by its row with
    /// the ticket).
    pub replaced: u64,
    /// Records archived that make no complaint yet (see `aduan_core::Folded::waiting`).
    pub waiting: u64,
    /// Values the tables did not know, by value (`unknown status "X"`).
    pub unknown: BTreeMap<String, u64>,
    /// The last quarantine reason.
    pub last_error: Option<String>,
}

impl Counts {
    /// Whether complaints were written or removed.
    pub fn changed_complaints(&self) -> bool {
        self.inserted + self.updated + self.removed + self.replaced > 0
    }

    /// Adds what another part of the same run did.
    pub fn absorb(&mut self, other: Counts) {
        self.batches += other.batches;
        self.fetched += other.fetched;
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.quarantined += other.quarantined;
        self.unreadable += other.unreadable;
        if self.first_unreadable.is_none() {
            self.first_unreadable = other.first_unreadable;
        }
        self.removed += other.removed;
        self.replaced += other.replaced;
        self.waiting += other.waiting;
        for (value, n) in other.unknown {
            *self.unknown.entry(value).or_insert(0) += n;
        }
        if other.last_error.is_some() {
            self.last_error = other.last_error;
        }
    }
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// `bytes` in lower-case hex: `hex::encode`'s text, through its table-driven
/// `encode_to_slice` (`encode` goes a character at a time).
fn hex_of(bytes: &[u8]) -> String {
    let mut out = vec![0; bytes.len() * 2];
    // The buffer is exactly twice as long as the input, and hex digits are ASCII.
    match hex::encode_to_slice(bytes, &mut out) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => hex::encode(bytes),
    }
}

/// Whether a version (its content hash and `updated_at`) changes the stored row: different
/// content, and not older than what is stored, unless it `supersede`s (a fold's result).
/// Compared to the microsecond, as the stores keep `updated_at` (see [`not_older`]).
fn changes(
    stored: &aduan_store::CurrentRow,
    row_hash: &str,
    updated_at: DateTime<Utc>,
    supersede: bool,
) -> bool {
    stored.row_hash != row_hash && (supersede || not_older(stored.updated_at, updated_at))
}

/// Whether a version dated `updated_at` is not older than one dated `than`, to the
/// microsecond, as both stores keep a complaint's `updated_at` (see
/// [`aduan_store::to_the_microsecond`]): versions within one microsecond are dated alike, and
/// the one met later stands, in one batch as against a stored row (review: compared to the
/// nanosecond in a batch and to the microsecond against the store, an older version of a
/// source's 7 to 9 digits stood over a newer one when it came in a later batch only, so that
/// a rebuild, reading both in one batch, decided otherwise).
fn not_older(than: DateTime<Utc>, updated_at: DateTime<Utc>) -> bool {
    aduan_store::to_the_microsecond(than) <= aduan_store::to_the_microsecond(updated_at)
}

/// How a channel's payloads are read.
#[derive(Clone, Copy)]
pub(crate) enum Reader<'a> {
    /// Each payload on its own.
    Each(&'a (dyn Fn(&RawRecord) -> Result<Vec<SourceComplaint>, FieldError> + Sync)),
    /// Payloads folded by group.
    Fold(Fold),
}

/// One batch's input.
pub(crate) struct Input<'a> {
    pub channel: &'a str,
    pub run_id: Option<&'a str>,
    pub records: Vec<RawRecord>,
    /// The records' content hashes where they are known already (read from the archive),
    /// in the same order; otherwise they are computed.
    pub hashes: Option<Vec<Vec<u8>>>,
    pub cursor: Option<&'a str>,
    /// Archive new payloads (and skip those archived before); otherwise every record is
    /// read again and nothing is archived (rebuilds, retries, the webhook inbox).
    pub archive: bool,
    /// A rebuild's batch (see `WriteBatch::rebuild`).
    pub rebuild: bool,
    /// Webhook deliveries this batch folds, cleared from the inbox with it.
    pub inbox_done: &'a [i64],
    /// Archived payloads that could not be unpacked, as stored, with their hashes and why:
    /// quarantined with the batch (a rebuild goes on without them).
    pub unreadable: Vec<(RawRecord, Vec<u8>, String)>,
    /// The leases the batch is written under, checked in its transaction before it commits.
    pub fences: Vec<Fence>,
    /// Records (indices into `records`) read again as changed (see
    /// `aduan_core::Batch::again`): archived before, they are not skipped as seen but
    /// folded as their groups' newest payloads.
    pub again: Vec<usize>,
}

impl<'a> Input<'a> {
    /// Archived records of `channel` to read again (`hashes`: theirs, where known).
    pub fn again(channel: &'a str, records: Vec<RawRecord>, hashes: Option<Vec<Vec<u8>>>) -> Self {
        Input {
            channel,
            run_id: None,
            records,
            hashes,
            cursor: None,
            archive: false,
            rebuild: false,
            inbox_done: &[],
            unreadable: Vec::new(),
            fences: Vec::new(),
            again: Vec::new(),
        }
    }
}

/// What a batch is about to write.
#[derive(Default)]
struct Collected {
    raws: Vec<NewRaw>,
    links: Vec<GroupLink>,
    quarantine: Vec<QuarantineRow>,
    /// Latest normalised version of each complaint in this batch, in first-seen order.
    order: Vec<String>,
    latest: HashMap<String, ComplaintRow>,
    events: Vec<EventRow>,
    /// Every version kept, in the batch's order (see [`Outcome`]).
    outcomes: Vec<Outcome>,
    /// Complaints a group made before and no longer makes (threads joined, a thread's
    /// first message arrived late).
    removed: Vec<String>,
    /// The complaints are folds: they replace what is stored (see `WriteBatch::supersede`).
    supersede: bool,
    /// Stand-ins the batch's complaints take the place of (see `aduan_core::Standing`):
    /// the stand-in's id and the complaint's, in the batch's order.
    claims: Vec<(String, String)>,
    /// The batch's complaints whose identity is a stand-in.
    stand_ins: HashSet<String>,
    /// A row serialised for its hash (see `keep`), kept for the next.
    scratch: Vec<u8>,
    /// Payloads a fold read that the batch did not bring, each read under every group it
    /// falls in (a Pantau Pekalongan payload is one report's): what failed in them is all
    /// that fails, as a rebuild finds it (see `with_other_parts`).
    read_whole: HashSet<Vec<u8>>,
}

/// One version of a complaint the batch met, in the batch's order: decided against what is
/// stored and the batch's versions before it.
struct Outcome {
    id: String,
    row_hash: String,
    updated_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    /// `resolved_at` is the source's own word (see `Normalised::resolved_stated`).
    resolved_stated: bool,
    first_response_at: Option<DateTime<Utc>>,
    /// The channel's own status.
    status_source: String,
    /// Its events, in `Collected::events`.
    events: std::ops::Range<usize>,
}

/// `resolved_at` once a version whose own is `new` is stored over a row whose is `stored`:
/// when the complaint reached resolved or closed. A version still resolved (an amended
/// text, a note) leaves the earlier time; one that is not (reopened) clears it. A version
/// whose source says itself when the complaint was finished (`stated`: from the history it
/// carries, which tells a reopening and a later resolution between two reads) is taken at
/// its word. Decided here, version by version in the order they are applied, so that a
/// version in the same batch as another, or in another batch (a rebuild's page holds many),
/// gives the same.
fn resolved_since(
    stored: Option<DateTime<Utc>>,
    new: Option<DateTime<Utc>>,
    stated: bool,
) -> Option<DateTime<Utc>> {
    match (stored, new) {
        (Some(s), Some(n)) if !stated => Some(s.min(n)),
        (_, new) => new,
    }
}

/// Whether two statuses are the same words: an event's text is tidied (white space folded),
/// a `status_source` is as the channel gave it (`"Selesai "`).
fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// `first_response_at` once a version whose own is `new` is stored over a row whose is
/// `stored`: the earlier. A complaint once answered stays answered (reopened after its
/// resolution answered it, see `aduan_normalise::answered_by`), decided version by version
/// as [`resolved_since`] is.
fn earliest(stored: Option<DateTime<Utc>>, new: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (stored, new) {
        (Some(s), Some(n)) => Some(s.min(n)),
        (s, n) => s.or(n),
    }
}

/// Normalises the complaints one payload (or one group) gave: all of them, or the first error.
fn normalise_all(
    normaliser: &Normaliser,
    channel: &str,
    sources: &[SourceComplaint],
    received_at: Option<DateTime<Utc>>,
) -> Result<Vec<Normalised>, FieldError> {
    sources
        .iter()
        .map(|s| normalise_one(normaliser, channel, s, received_at))
        .collect()
}

/// Normalises one complaint, or says why not, naming it as stored (a private part of its
/// identity only as its hash). An identity too long for the stores' indexes (see
/// [`aduan_core::MAX_ID_BYTES`]) is refused here, for every channel alike; so is a version
/// read on its own whose payload was received at `received_at` and that says it was changed
/// or reported later (see [`aduan_normalise::dated_after_receipt`]). A fold's versions
/// (`None`) are not ordered by their times: the group's payloads are read again whole.
fn normalise_one(
    normaliser: &Normaliser,
    channel: &str,
    s: &SourceComplaint,
    received_at: Option<DateTime<Utc>>,
) -> Result<Normalised, FieldError> {
    let record = || normaliser.stored_external_id(&s.external_id, s.external_id_private.as_deref());
    // Its length is known without the keyed hash, which `normalise` makes (once) anyway.
    let stored_len =
        Normaliser::stored_external_id_len(&s.external_id, s.external_id_private.as_deref());
    if stored_len > aduan_core::MAX_ID_BYTES {
        aduan_core::check_id(channel, "external_id", &record())?;
    }
    let late = received_at.and_then(|at| Some((aduan_normalise::dated_after_receipt(s, at)?, at)));
    if let Some(((field, t), at)) = late {
        let harm = if field == "updated_at" {
            "a version so dated would stand over every correction sent before then"
        } else {
            "it would be counted as reported at a time still to come"
        };
        return Err(FieldError::new(
            channel,
            record(),
            field,
            aduan_core::time::after_receipt_reason(t, at, harm),
        ));
    }
    normaliser
        .normalise(s)
        .map_err(|e| FieldError::new(channel, record(), "", e.to_string()))
}

impl Collected {
    /// Keeps one normalised complaint (the newest version of each id in the batch wins).
    fn keep(&mut self, n: Normalised, counts: &mut Counts) {
        for w in &n.warnings {
            *counts.unknown.entry(w.to_string()).or_insert(0) += 1;
        }
        // A fold's history can change while its row stays the same (an older version
        // arriving late adds a status change or moves one earlier): its hash covers the
        // history too, so that the complaint is written again, its history replaced.
        // Serialised into a buffer kept from record to record, then hashed whole: the
        // serialiser's many small writes went one by one into the hash before.
        self.scratch.clear();
        let content = if self.supersede {
            serde_json::to_writer(&mut self.scratch, &(&n.complaint, &n.events))
        } else {
            serde_json::to_writer(&mut self.scratch, &n.complaint)
        };
        let row_hash = content
            .map(|()| hex_of(&Sha256::digest(&self.scratch)))
            .unwrap_or_default();
        let first_event = self.events.len();
        for e in n.events {
            // The hash of "occurred_at|kind|actor|body" (seconds since the epoch), its
            // first 16 bytes in hex.
            let mut key = Sha256::new();
            key.update(e.occurred_at.timestamp().to_string());
            key.update(b"|");
            key.update(e.kind.as_str());
            key.update(b"|");
            key.update(e.actor.as_deref().unwrap_or(""));
            key.update(b"|");
            key.update(e.body.as_deref().unwrap_or(""));
            let event_key = hex_of(&key.finalize()[..16]);
            self.events.push(EventRow {
                event: e,
                event_key,
            });
        }
        let id = n.complaint.complaint_id.clone();
        if n.stand_in {
            self.stand_ins.insert(id.clone());
        }
        if let Some(former) = n.replaces {
            self.claims.push((former, id.clone()));
        }
        self.outcomes.push(Outcome {
            id: id.clone(),
            row_hash: row_hash.clone(),
            updated_at: n.complaint.updated_at,
            resolved_at: n.complaint.resolved_at,
            resolved_stated: n.resolved_stated,
            first_response_at: n.complaint.first_response_at,
            status_source: n.complaint.status_source.clone(),
            events: first_event..self.events.len(),
        });
        let newer = match self.latest.get(&id) {
            None => {
                self.order.push(id.clone());
                true
            }
            Some(c) => not_older(c.complaint.updated_at, n.complaint.updated_at),
        };
        if newer {
            self.latest.insert(
                id,
                ComplaintRow {
                    complaint: n.complaint,
                    row_hash,
                },
            );
        }
    }

    /// Keeps a record that failed, with its payload; `counts`, when given, counts it in the
    /// run's. A payload is one entry of the quarantine (the stores keep one open entry a
    /// payload): quarantined again in the batch (a folded group's complaints failing
    /// alike, a payload of two groups), its entry gives every reason and it is counted once.
    fn quarantine(
        &mut self,
        channel: &str,
        record: &RawRecord,
        hash: &[u8],
        e: FieldError,
        counts: Option<&mut Counts>,
    ) {
        // The reason may quote the value read (a phone number where a name was due, a
        // chat's text, a link with its token): the log and the run's record show it without
        // contacts nor a link's credentials (the quarantine keeps it whole, with the
        // payload).
        let shown = aduan_core::contacts::shown(&e.to_string()).into_owned();
        tracing::info!(channel, record = %e.record, field = %e.field, error = %shown, "Record quarantined.");
        if let Some(entry) = self.quarantine.iter_mut().find(|q| q.content_hash == hash) {
            let (record, field, reason) =
                (storable(e.record), storable(e.field), storable(e.reason));
            let more = format!("; and {record}, field {field:?}: {reason}");
            // The entry's own reason comes first, before any added.
            let first = entry.record == record
                && entry.field == field
                && entry
                    .reason
                    .strip_prefix(reason.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with("; and "));
            if !first && !entry.reason.contains(&more) {
                entry.reason.push_str(&more);
            }
            return;
        }
        if let Some(counts) = counts {
            counts.quarantined += 1;
            counts.last_error = Some(shown);
        }
        self.quarantine.push(QuarantineRow {
            content_hash: hash.to_vec(),
            source_ref: storable(record.source_ref.clone()),
            record: storable(e.record),
            field: storable(e.field),
            reason: storable(e.reason),
            payload: record.payload.clone(),
        });
    }
}

/// The failures a quarantine entry names, each as `"field": reason` without its record: its
/// own, then each added to it (`; and {record}, field "…": …`, see
/// [`Collected::quarantine`]).
fn failures(field: &str, reason: &str) -> Vec<String> {
    let mut parts = reason.split("; and ");
    let first = format!("{field:?}: {}", parts.next().unwrap_or_default());
    std::iter::once(first)
        .chain(parts.map(|p| p.split_once(", field ").map_or(p, |(_, f)| f).to_string()))
        .collect()
}

/// `rows` but those whose every failure an admin dismissed already for their payload (in
/// one of its dismissed entries or across them): the same failures met again, as a fold of
/// one of the payload's groups meets only that group's part of them (a WhatsApp body holding
/// two senders' messages that fail is one entry naming both; the next message of one sender
/// reads the body again for that sender alone), stay dismissed. A failure no one dismissed
/// is quarantined with the rest (the store then opens an entry for it: see
/// `aduan_store`'s quarantine insert, which compares whole reasons only). Also the hashes of
/// the payloads left out: an open entry of one (a failure met since the admin dismissed the
/// others) no longer says what is true, and is closed with the batch (see
/// `WriteBatch::quarantine_dismissed`; review, session 45: it stayed open, saying the
/// failure met since, until a rebuild), where what was read tells so (see [`closable`]).
async fn without_dismissed(
    store: &Store,
    channel: &str,
    rows: Vec<QuarantineRow>,
) -> Result<(Vec<QuarantineRow>, Vec<QuarantineRow>)> {
    let hashes: Vec<&[u8]> = rows.iter().map(|q| q.content_hash.as_slice()).collect();
    let dismissed = store.dismissed_failures(channel, &hashes).await?;
    if dismissed.is_empty() {
        return Ok((rows, Vec::new()));
    }
    let mut seen: HashMap<Vec<u8>, HashSet<String>> = HashMap::default();
    for (hash, field, reason) in dismissed {
        seen.entry(hash)
            .or_default()
            .extend(failures(&field, &reason));
    }
    let (kept, left): (Vec<QuarantineRow>, Vec<QuarantineRow>) = rows.into_iter().partition(|q| {
        seen.get(&q.content_hash).is_none_or(|known| {
            !failures(&q.field, &q.reason)
                .iter()
                .all(|f| known.contains(f))
        })
    });
    Ok((kept, left))
}

/// The places a quarantine entry names, each once, as a record and its field (the field as
/// the reason quotes it, `"messages[1]"`): its own, then each added to it (`; and {record},
/// field "…": …`, see [`Collected::quarantine`]); `None` when a part added names none (a
/// value quoted in a reason that holds `; and `): what it names is not known. A record alone is not a place: a webhook body's message that is none, or whose
/// `from` is no number, is named by its body, the field naming its place in it
/// (`messages[1]`), the other sender's as well as this one's.
fn named_places(record: &str, field: &str, reason: &str) -> Option<HashSet<(String, String)>> {
    std::iter::once(Some((record.to_string(), format!("{field:?}"))))
        .chain(reason.split("; and ").skip(1).map(place))
        .collect()
}

/// The place (record and quoted field, see [`named_places`]) a failure added to an entry's
/// reason names (`{record}, field "…": …`).
fn place(part: &str) -> Option<(String, String)> {
    let (record, rest) = part.split_once(", field ")?;
    // The field quoted as `{:?}` quotes it, up to its closing quote before `: `.
    let end = rest.strip_prefix('"').and_then(|r| r.find("\": "))?;
    Some((record.to_string(), rest.get(..=end + 1)?.to_string()))
}

/// Of `rows`, the failures of payloads a fold read in part (`in_part`: a group it falls in,
/// touched by another payload) carry on those of their open entry met outside that part
/// (another sender's failing message in a webhook body): the entry, which the row replaces
/// (see `aduan_store`'s `quarantine_sql`), goes on naming them, as a rebuild, which reads
/// the payload whole, does (review, session 45, review7: a sender's next message left the
/// entry naming that sender's failure alone). An entry whose reason cannot be read into
/// places (see [`named_places`]) is replaced as before.
async fn with_other_parts(
    store: &Store,
    channel: &str,
    rows: &mut [QuarantineRow],
    in_part: impl Fn(&[u8]) -> bool,
) -> Result<()> {
    let hashes: Vec<&[u8]> = rows
        .iter()
        .filter(|q| in_part(&q.content_hash))
        .map(|q| q.content_hash.as_slice())
        .collect();
    if hashes.is_empty() {
        return Ok(());
    }
    for (hash, record, field, reason) in store.open_failures(channel, &hashes).await? {
        let Some(row) = rows.iter_mut().find(|q| q.content_hash == hash) else {
            continue;
        };
        let Some(met) = named_places(&row.record, &row.field, &row.reason) else {
            continue;
        };
        let mut parts = reason.split("; and ");
        let own = format!(
            "{record}, field {field:?}: {}",
            parts.next().unwrap_or_default()
        );
        let parts: Vec<String> = std::iter::once(own)
            .chain(parts.map(str::to_string))
            .collect();
        let Some(places) = parts.iter().map(|p| place(p)).collect::<Option<Vec<_>>>() else {
            continue;
        };
        for (part, at) in parts.iter().zip(places) {
            let more = format!("; and {part}");
            if !met.contains(&at) && !row.reason.contains(&more) {
                row.reason.push_str(&more);
            }
        }
    }
    Ok(())
}

/// Of the payloads `left` failing only as an admin dismissed (see [`without_dismissed`]),
/// those whose open entry is closed with the batch (see `WriteBatch::quarantine_dismissed`):
/// a payload read whole (`whole`: one of a channel that reads each payload alone, or one this
/// batch brings, whose every group a fold reads); and a payload a fold read in part (a
/// group it falls in, touched by another payload) whose open entry names only places (a
/// record and its field, see [`named_places`]) met in that part. Such a read meets only the part's failures: the entry of a failure met in
/// another part (another sender's message in a webhook body) still says what is true, as a
/// rebuild, which reads the payload whole, says too (review, session 45: a sender's next
/// message closed the entry of the other sender's failing message; review7: so it did when
/// both messages were named by their body, at two fields).
async fn closable(
    store: &Store,
    channel: &str,
    left: Vec<QuarantineRow>,
    whole: impl Fn(&[u8]) -> bool,
) -> Result<Vec<Vec<u8>>> {
    let (read_whole, in_part): (Vec<QuarantineRow>, Vec<QuarantineRow>) =
        left.into_iter().partition(|q| whole(&q.content_hash));
    let mut close: Vec<Vec<u8>> = read_whole.into_iter().map(|q| q.content_hash).collect();
    if in_part.is_empty() {
        return Ok(close);
    }
    let hashes: Vec<&[u8]> = in_part.iter().map(|q| q.content_hash.as_slice()).collect();
    let met: HashMap<&[u8], HashSet<(String, String)>> = in_part
        .iter()
        .map(|q| {
            (
                q.content_hash.as_slice(),
                named_places(&q.record, &q.field, &q.reason).unwrap_or_default(),
            )
        })
        .collect();
    for (hash, record, field, reason) in store.open_failures(channel, &hashes).await? {
        let told = met
            .get(hash.as_slice())
            .zip(named_places(&record, &field, &reason))
            .is_some_and(|(m, named)| named.is_subset(m));
        if told {
            close.push(hash);
        }
    }
    Ok(close)
}

/// The record id a payload the transport could not name is archived under
/// (`raw_records.external_id`): its complaint's, as stored (a private part only as its keyed
/// hash), when it makes one complaint, or, when it fails, the identity its parser read
/// before it met what is wrong ([`aduan_core::RecordIdentity`]). A version of the record
/// that comes right later then closes its quarantine entry (see
/// `aduan_store::Store::settle_quarantine`; review, session 45: a 112 row without a ticket,
/// or whose `No Tiket` is no ticket, had none, and its entry stayed open for ever).
fn identity(
    normaliser: &Normaliser,
    parsed: &Result<Vec<SourceComplaint>, FieldError>,
) -> Option<String> {
    let (external_id, private) = match parsed {
        Ok(list) => match &list[..] {
            [s] => (&s.external_id, s.external_id_private.as_deref()),
            _ => return None,
        },
        Err(e) => {
            let id = e.identity.as_ref()?;
            (&id.external_id, id.external_id_private.as_deref())
        }
    };
    Some(normaliser.stored_external_id(external_id, private))
}

/// A payload's record id as the archive keeps it (`raw_records.external_id`), as text both
/// stores take: none when it is longer than [`aduan_core::MAX_ID_BYTES`], too long for
/// PostgreSQL's index (`raw_records_source_id`), which refuses the payload with it; no
/// record's identity either (its complaint is quarantined naming `external_id`). For a
/// pulled payload and a pushed one alike (review, session 47: a webhook delivery named by a
/// report id of 4,000 bytes was answered `503`, for the app to retry for a day in vain).
pub(crate) fn archived_id(id: Option<String>) -> Option<String> {
    id.map(storable)
        .filter(|id| id.len() <= aduan_core::MAX_ID_BYTES)
}

/// `s` as text both stores take (see [`aduan_core::storable`]).
pub(crate) fn storable(mut s: String) -> String {
    aduan_core::storable(&mut s);
    s
}

/// The field named by the quarantine entry of an archived payload that could not be unpacked.
pub const UNREADABLE_FIELD: &str = "payload";

/// An archived payload as a record to read again, its receipt to the microsecond as
/// [`process`] reads a batch's (a webhook's delivery stored on SQLite before session 47 kept
/// its nanoseconds: a fold read it cut when it came from the inbox and whole when its group
/// was read, and decided a time a day after it both ways).
pub(crate) fn to_record(r: StoredRaw) -> RawRecord {
    RawRecord {
        source_ref: r.source_ref,
        external_id: r.external_id,
        received_at: chrono::SubsecRound::trunc_subsecs(r.received_at, 6),
        payload: r.payload,
    }
}

/// Processes one batch of raw records and commits it with its cursor.
///
/// With `archive`, payloads already archived are recognised by their hash and change
/// nothing, and new ones are archived in the same transaction. A folding channel's new
/// payloads are linked to their groups, and each group touched is read again whole.
///
/// The batch is written while the caller prepares the next one (see [`WriteBehind`]); its
/// counts are added to `counts` once it is committed. A folding channel's batch is committed
/// before this returns: a fold reads what the batch before it wrote, under a lease that ends
/// with the call.
pub(crate) async fn process(
    store: &Store,
    normaliser: &Normaliser,
    reader: Reader<'_>,
    mut input: Input<'_>,
    behind: &mut WriteBehind,
    total: &mut Counts,
) -> Result<()> {
    // A time of receipt as both stores keep it (PostgreSQL to the microsecond): what it
    // dates (a register version's status change, its resolution) and the row's hash come
    // out the same when the payload is read again from the archive.
    for r in &mut input.records {
        r.received_at = chrono::SubsecRound::trunc_subsecs(r.received_at, 6);
    }
    let folding = matches!(reader, Reader::Fold(_));
    if folding {
        behind.flush(total).await?;
    }
    let mut delta = Counts::default();
    let counts = &mut delta;
    let channel = input.channel;
    counts.fetched += input.records.len() as u64;
    let hashes: Vec<Vec<u8>> = match input.hashes {
        Some(h) if h.len() == input.records.len() => h,
        _ => input.records.iter().map(|r| sha256(&r.payload)).collect(),
    };
    let known = if input.archive {
        let mut known = store.known_hashes(channel, &hashes).await?;
        behind.known_hashes(channel, &hashes, &mut known);
        known
    } else {
        HashSet::default()
    };
    let mut seen = HashSet::default();
    let mut fresh = Vec::new();
    // Archived before and read again as changed: folded, not archived twice.
    let mut again: HashSet<Vec<u8>> = HashSet::default();
    let mut changed = input.again;
    changed.sort_unstable();
    for (i, (record, hash)) in input.records.into_iter().zip(hashes).enumerate() {
        let seen_before = known.contains(&hash);
        let back = seen_before && folding && changed.binary_search(&i).is_ok();
        if (seen_before && !back) || !seen.insert(hash.clone()) {
            counts.unchanged += 1;
            continue;
        }
        if back {
            again.insert(hash.clone());
        }
        fresh.push((record, hash));
    }
    let mut out = Collected::default();
    counts.fetched += input.unreadable.len() as u64;
    for (record, hash, reason) in &input.unreadable {
        let id = record.external_id.as_deref().unwrap_or(&record.source_ref);
        let e = FieldError::new(channel, id, UNREADABLE_FIELD, reason.as_str());
        counts.unreadable += 1;
        if counts.first_unreadable.is_none() {
            counts.first_unreadable = Some(e.to_string());
        }
        out.quarantine(channel, record, hash, e, Some(counts));
    }
    match reader {
        Reader::Each(parse) => {
            let mut named = Vec::new();
            cpu(|| {
                for (i, (record, hash)) in fresh.iter().enumerate() {
                    let received_at = Some(record.received_at);
                    let parsed = parse(record);
                    if record.external_id.is_none() {
                        named.extend(identity(normaliser, &parsed).map(|id| (i, id)));
                    }
                    match parsed.and_then(|s| normalise_all(normaliser, channel, &s, received_at)) {
                        Ok(list) => list.into_iter().for_each(|n| out.keep(n, counts)),
                        Err(e) => out.quarantine(channel, record, hash, e, Some(counts)),
                    }
                }
            });
            for (i, id) in named {
                if let Some((record, _)) = fresh.get_mut(i) {
                    record.external_id = Some(id);
                }
            }
        }
        Reader::Fold(fold) => {
            out.supersede = true;
            let groups = Groups {
                fold,
                fresh: &fresh,
                again: &again,
                rebuild: input.rebuild,
            };
            fold_groups(store, normaliser, channel, groups, &mut out, counts).await?
        }
    }
    // The payloads read whole: every one a channel that does not fold reads; of a fold, the
    // batch's own (each of its groups is read), not another payload of a group they touch.
    let brought: HashSet<Vec<u8>> = if folding {
        fresh.iter().map(|(_, hash)| hash.clone()).collect()
    } else {
        HashSet::default()
    };
    let mut packer = None;
    if input.archive {
        fresh.retain(|(_, hash)| !again.contains(hash));
        (out.raws, packer) = archived(store, channel, fresh).await?;
    }
    let (mut quarantine, left) =
        without_dismissed(store, channel, std::mem::take(&mut out.quarantine)).await?;
    // (A rebuild's entries are its own: the live ones say what the rules read before.) A
    // payload the batch did not bring but read under each of its groups is read whole too
    // (session 49: a Pantau Pekalongan item's entry, naming a date not read when it was first
    // read, went on naming it beside the failure a later copy's earlier receipt made of it,
    // where a rebuild, whose reading stops at its first failure, named the later alone).
    let read_whole = std::mem::take(&mut out.read_whole);
    with_other_parts(store, channel, &mut quarantine, |hash| {
        !input.rebuild && folding && !brought.contains(hash) && !read_whole.contains(hash)
    })
    .await?;
    out.quarantine = quarantine;
    let dismissed = closable(store, channel, left, |hash| {
        !folding || brought.contains(hash) || read_whole.contains(hash)
    })
    .await?;
    let job = Job {
        packer,
        channel: channel.to_string(),
        run_id: input.run_id.map(str::to_string),
        now: Utc::now(),
        inbox_done: input.inbox_done.to_vec(),
        cursor: input.cursor.map(str::to_string),
        rebuild: input.rebuild,
        fences: input.fences,
        built_with: (!input.rebuild).then(|| normaliser.built_with().to_string()),
        quarantine_dismissed: dismissed,
        ..decide(store, behind, out, input.rebuild, counts).await?
    };
    behind.start(store, job, delta, total).await?;
    if folding {
        behind.flush(total).await?;
    }
    Ok(())
}

/// `fresh` payloads as they are archived: packed with the channel's dictionary (one trained
/// on them when the channel has none and they are enough, or when they have outgrown the
/// one it has, see [`aduan_store::packing`]), else as received; and the packer, whose
/// dictionary is stored with them.
async fn archived(
    store: &Store,
    channel: &str,
    fresh: Vec<(RawRecord, Vec<u8>)>,
) -> Result<(Vec<NewRaw>, Option<Arc<Packer>>)> {
    if fresh.is_empty() {
        return Ok((Vec::new(), None));
    }
    let payloads: Vec<&[u8]> = fresh.iter().map(|(r, _)| r.payload.as_slice()).collect();
    // A dictionary that cannot be used (damaged in the store) stops no payload: they are
    // archived as received, or packed with a new one trained on them.
    let mut packer = match store.packer(channel).await {
        Ok(p) => p,
        Err(e @ aduan_store::Error::Packing { .. }) => {
            tracing::warn!(channel, error = %e, "The channel's archive dictionary cannot be used; payloads are archived as received, or with a new dictionary.");
            None
        }
        Err(e) => return Err(e.into()),
    };
    if packer.is_none() {
        let d = match trained(store, channel, &payloads).await? {
            Some(d) => Some(d),
            None => trained_on_archive(store, channel, &payloads).await?,
        };
        if let Some(d) = d {
            tracing::info!(
                channel,
                dictionary = d.id,
                "archived payloads packed from now on"
            );
            store.plain_payloads_counted(channel, 0);
            packer = Some(store.use_packer(Arc::new(Packer::new(d)?)));
        }
    }
    let (packed, packer) = match packer {
        Some(p) => match pack_fitting(store, channel, &payloads, p).await {
            Ok((packed, p)) => (Some(packed), Some(p)),
            Err(crate::Error::Store(e @ aduan_store::Error::Packing { .. })) => {
                tracing::warn!(channel, error = %e, "Payloads could not be packed; archived as received.");
                (None, None)
            }
            Err(e) => return Err(e),
        },
        None => (None, None),
    };
    drop(payloads);
    let mut packed = packed.map(Vec::into_iter);
    let dictionary_id = packer.as_deref().map(|p| p.dictionary().id);
    let raws = fresh
        .into_iter()
        .map(|(record, hash)| NewRaw {
            source_ref: storable(record.source_ref),
            external_id: archived_id(record.external_id),
            received_at: record.received_at,
            content_hash: hash,
            payload: packed
                .as_mut()
                .and_then(Iterator::next)
                .unwrap_or(record.payload),
            dictionary_id,
        })
        .collect();
    Ok((raws, packer))
}

/// `payloads` packed with `packer`, or with a dictionary trained on them when they have
/// outgrown its own and the new one packs them smaller (it then becomes the channel's); and
/// the packer used. Batches of fewer than [`MIN_SAMPLES`] payloads outgrow it together (see
/// [`Packer::outgrown_by`]): the new one is then trained on the channel's latest
/// [`MIN_SAMPLES`] payloads, this batch's with those archived before it.
async fn pack_fitting(
    store: &Store,
    channel: &str,
    payloads: &[&[u8]],
    packer: Arc<Packer>,
) -> Result<(Vec<Vec<u8>>, Arc<Packer>)> {
    let packed = pack_each(&packer, payloads)?;
    let plain: usize = payloads.iter().map(|p| p.len()).sum();
    let kept: usize = packed.iter().map(Vec::len).sum();
    if !packer.outgrown_by(payloads.len(), plain, kept) {
        return Ok((packed, packer));
    }
    // What outgrew it: the batch, or the latest payloads with it (archived packed, or
    // before the dictionary as received).
    let stored = if payloads.len() < MIN_SAMPLES {
        let room = packing::SAMPLE_BYTES.saturating_sub(plain);
        store
            .samples(channel, false, MIN_SAMPLES - payloads.len(), room)
            .await?
    } else {
        Vec::new()
    };
    let samples = with_stored(payloads, &stored);
    if samples.len() < MIN_SAMPLES {
        // (Batches not yet committed: judged again when as many more have come.)
        return Ok((packed, packer));
    }
    let share = if stored.is_empty() {
        share_of(payloads, &packed)
    } else {
        share_of(&samples, &pack_each(&packer, &samples)?)
    };
    let Some(d) = trained(store, channel, &samples).await? else {
        packer.settle(share);
        return Ok((packed, packer));
    };
    let candidate = Arc::new(Packer::new(d)?);
    let mut again = pack_each(&candidate, &samples)?;
    let better = share_of(&samples, &again);
    if better >= share {
        packer.settle(share);
        return Ok((packed, packer));
    }
    tracing::info!(
        channel,
        dictionary = candidate.dictionary().id,
        before = packer.dictionary().id,
        kept_before = share,
        kept_now = better,
        "archive dictionary trained again: the channel's payloads changed shape"
    );
    candidate.settle(better);
    let now = store.replace_packer(&packer, candidate.clone());
    if now.dictionary().id == candidate.dictionary().id {
        // (The batch's payloads come first among the samples.)
        again.truncate(payloads.len());
        Ok((again, now))
    } else {
        Ok((pack_each(&now, payloads)?, now))
    }
}

/// For `channel`, which has no dictionary and whose batch of `payloads` trained none (too
/// few, or too alike), one trained on them with its latest payloads archived as received,
/// once these make [`MIN_SAMPLES`]: a channel whose batches are small (a source paced to its
/// rate limit, the engine handing joined pages over after two seconds) would otherwise store
/// every payload as received, for ever. The store keeps the count, so a batch reads the
/// archive only when the count is reached; tried again after as many more when none could
/// be trained. The payloads archived before stay as received (read as they are).
async fn trained_on_archive(
    store: &Store,
    channel: &str,
    payloads: &[&[u8]],
) -> Result<Option<Dictionary>> {
    if payloads.len() >= MIN_SAMPLES {
        // Tried on the batch alone: the archive's would teach no more.
        store.plain_payloads_counted(channel, 0);
        return Ok(None);
    }
    if !store.plain_payloads_due(channel, payloads.len()).await? {
        return Ok(None);
    }
    let room = packing::SAMPLE_BYTES.saturating_sub(payloads.iter().map(|p| p.len()).sum());
    let stored = store
        .samples(channel, true, packing::MAX_SAMPLES - payloads.len(), room)
        .await?;
    let samples = with_stored(payloads, &stored);
    if samples.len() < MIN_SAMPLES {
        // Fewer than counted (a batch not committed; payloads too large to sample).
        store.plain_payloads_counted(channel, samples.len());
        return Ok(None);
    }
    let d = trained(store, channel, &samples).await?;
    if d.is_none() {
        store.plain_payloads_counted(channel, 0);
    }
    Ok(d)
}

/// A batch's `payloads`, first, with the payloads of its channel read from the archive as
/// samples (`stored`): what a dictionary is trained and judged on.
fn with_stored<'a>(payloads: &[&'a [u8]], stored: &'a [Vec<u8>]) -> Vec<&'a [u8]> {
    payloads
        .iter()
        .copied()
        .chain(stored.iter().map(Vec::as_slice))
        .collect()
}

/// A dictionary trained on `payloads`, unless none can be or its id is another's.
async fn trained(store: &Store, channel: &str, payloads: &[&[u8]]) -> Result<Option<Dictionary>> {
    let Some(d) = cpu(|| Dictionary::train(channel, payloads)) else {
        return Ok(None);
    };
    if store.dictionary_id_taken(&d).await? {
        tracing::warn!(
            channel,
            dictionary = d.id,
            "a new archive dictionary has the id of a stored one; not used"
        );
        return Ok(None);
    }
    Ok(Some(d))
}

fn pack_each(packer: &Packer, payloads: &[&[u8]]) -> Result<Vec<Vec<u8>>> {
    cpu(|| {
        let mut packing = packer.packing()?;
        payloads.iter().map(|p| Ok(packing.pack(p)?.0)).collect()
    })
}

/// The share of `plain`'s bytes `packed` keeps.
fn share_of(plain: &[&[u8]], packed: &[Vec<u8>]) -> f64 {
    let before: usize = plain.iter().map(|p| p.len()).sum();
    let after: usize = packed.iter().map(Vec::len).sum();
    after as f64 / before.max(1) as f64
}

/// Links `fresh` payloads to their groups and reads every group touched again: the payloads
/// stored before plus the fresh ones. Of a channel with a window (`Fold::window`), only the
/// runs the fresh payloads fall in (see `Store::group_near`), unless a link of the group has
/// no span (linked before spans were kept: read whole, and its span kept now) or a fresh
/// payload has no time; a rebuild reads every group whole.
async fn fold_groups(
    store: &Store,
    normaliser: &Normaliser,
    channel: &str,
    groups: Groups<'_>,
    out: &mut Collected,
    counts: &mut Counts,
) -> Result<()> {
    let Groups {
        fold,
        fresh,
        again,
        rebuild,
    } = groups;
    let mut touched: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    // Each touched group's fresh spans (see `GroupLink::span`), of a channel with a window.
    let mut spans: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    let span_of = |key: &str, record: &RawRecord| {
        fold.window.map(|w| {
            (w.span)(key, record).map_or(GroupLink::ALWAYS, |(a, b)| (a.timestamp(), b.timestamp()))
        })
    };
    // Where its run begins, when its span reaches further back (see `GroupLink::run_from`).
    let run_of = |key: &str, record: &RawRecord| {
        fold.window
            .and_then(|w| (w.run_from)(key, record))
            .map(|at| at.timestamp())
    };
    for (i, (record, hash)) in fresh.iter().enumerate() {
        match (fold.keys)(record) {
            Ok(keys) => {
                // A key too long for the stores' indexes is refused as an identity would be:
                // the payload is quarantined (named by where it came from: a key may hold a
                // sender's number), and what it holds for its other groups is still folded.
                let (keys, too_long): (Vec<String>, Vec<String>) = keys
                    .into_iter()
                    .partition(|k| k.len() <= aduan_core::MAX_ID_BYTES);
                if let Some(key) = too_long.first() {
                    let e = FieldError::new(
                        channel,
                        &record.source_ref,
                        "group key",
                        format!(
                            "a key of {} bytes, longer than the {} the stores index",
                            key.len(),
                            aduan_core::MAX_ID_BYTES
                        ),
                    );
                    out.quarantine(channel, record, hash, e, Some(counts));
                }
                for key in keys {
                    let span = span_of(&key, record);
                    out.links.push(GroupLink {
                        content_hash: hash.clone(),
                        group_key: storable(key.clone()),
                        again: again.contains(hash),
                        span,
                        run_from: run_of(&key, record),
                    });
                    if let Some(span) = span {
                        spans.entry(key.clone()).or_default().push(span);
                    }
                    touched.entry(key).or_default().push(i);
                }
            }
            Err(e) => out.quarantine(channel, record, hash, e, Some(counts)),
        }
    }
    // Groups are stored under their keys as both stores take them (see `storable`); the
    // fold is given the key as the connector made it.
    let keys: Vec<String> = touched.keys().map(|k| storable(k.clone())).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    // The part of each group to read: the runs the fresh payloads fall in, where it can be
    // told (see `Store::group_near`); `None`, the whole group.
    let mut reads: Vec<(&str, Option<(i64, i64)>)> = keys.iter().map(|k| (*k, None)).collect();
    if let Some(window) = fold.window.filter(|_| !rebuild) {
        let silence = window.silence.num_seconds();
        for ((read, (key, indices)), stored) in reads.iter_mut().zip(&touched).zip(&keys) {
            let fresh_spans = spans.get(key).map_or(&[][..], Vec::as_slice);
            // A fresh payload without a time may change any run: the whole group.
            if fresh_spans.len() == indices.len() && !fresh_spans.contains(&GroupLink::ALWAYS) {
                read.1 = store
                    .group_near(channel, stored, fresh_spans, silence)
                    .await?;
            }
        }
    }
    // The groups read in part (by the keys as the connector made them), and the keys as the
    // connector made them of those as stored.
    let windowed: HashSet<&str> = touched
        .keys()
        .zip(&reads)
        .filter(|(_, (_, n))| n.is_some())
        .map(|(k, _)| k.as_str())
        .collect();
    let made: HashMap<&str, &str> = touched
        .keys()
        .zip(&keys)
        .map(|(k, s)| (*s, k.as_str()))
        .collect();
    // Each group's stored payloads with their hashes, in arrival order.
    let mut stored: BTreeMap<String, (Vec<RawRecord>, Vec<Vec<u8>>)> = BTreeMap::new();
    for (key, span, raw) in store.group_raws_near(channel, &reads).await? {
        let hash = raw.content_hash.clone();
        let record = to_record(raw);
        // A link made before spans were kept gets its span now.
        let heal = span.is_none().then(|| made.get(key.as_str())).flatten();
        if let Some((k, span)) = heal.and_then(|k| Some((k, span_of(k, &record)?))) {
            out.links.push(GroupLink {
                content_hash: hash.clone(),
                group_key: key.clone(),
                again: false,
                span: Some(span),
                run_from: run_of(k, &record),
            });
        }
        let (members, hashes) = stored.entry(key).or_default();
        hashes.push(hash);
        members.push(record);
    }
    // Each touched group's payloads: those stored, then the batch's, in arrival order.
    let mut built: BTreeMap<&str, Members> = BTreeMap::new();
    for (key, indices) in &touched {
        let (mut members, mut hashes) = stored.remove(&storable(key.clone())).unwrap_or_default();
        // A payload that came again is the group's newest: it leaves its place for the end,
        // after the payloads this batch brings for the first time, in the order this batch
        // brings them (as `group_raws` reads them back, see migration 0007).
        let mut moved: Vec<(RawRecord, Vec<u8>)> = Vec::new();
        for &i in indices {
            let hash = &fresh[i].1;
            if !again.contains(hash) {
                continue;
            }
            if let Some(pos) = hashes.iter().position(|h| h == hash) {
                moved.push((members.remove(pos), hashes.remove(pos)));
            }
        }
        for &i in indices {
            let (record, hash) = &fresh[i];
            // Stored already (a rebuild, a retry, the webhook inbox), or moved to the end.
            if moved.iter().any(|(_, h)| h == hash) || hashes.contains(hash) {
                continue;
            }
            members.push(record.clone());
            hashes.push(hash.clone());
        }
        for (m, h) in moved {
            members.push(m);
            hashes.push(h);
        }
        built.insert(
            key,
            Members {
                records: members,
                hashes,
            },
        );
    }
    // A record's versions linked under other groups too (see `Fold::versions`), each
    // payload's read once; the groups of those versions not touched are read as stored.
    let mut version_of: HashMap<Vec<u8>, String> = HashMap::default();
    let mut versions_stored: BTreeMap<String, Members> = BTreeMap::new();
    if let Some(versions) = fold.versions {
        for m in built.values() {
            for (record, hash) in m.records.iter().zip(&m.hashes) {
                if !version_of.contains_key(hash) {
                    if let Some(k) = versions(record) {
                        version_of.insert(hash.clone(), k);
                    }
                }
            }
        }
        let wanted: BTreeSet<String> = version_of
            .values()
            .filter(|k| !built.contains_key(k.as_str()))
            .map(|k| storable(k.clone()))
            .collect();
        if !wanted.is_empty() {
            let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
            for (key, raw) in store.group_raws(channel, &wanted).await? {
                let m = versions_stored.entry(key).or_default();
                m.hashes.push(raw.content_hash.clone());
                m.records.push(to_record(raw));
            }
        }
    }
    let batch: HashSet<&[u8]> = fresh.iter().map(|(_, h)| h.as_slice()).collect();
    // The groups each older payload is read under: a group touched may be read in part, its
    // runs the batch's payloads fall in, without it (review, session 49).
    let mut read_under: HashMap<Vec<u8>, HashSet<String>> = HashMap::default();
    for (key, m) in &built {
        for hash in m.hashes.iter().filter(|h| !batch.contains(h.as_slice())) {
            read_under
                .entry(hash.clone())
                .or_default()
                .insert((*key).to_string());
        }
    }
    let keys: Vec<&str> = built.keys().copied().collect();
    // (Folding and normalising: CPU work, see `cpu`.)
    cpu(|| {
        for key in keys {
            let (
                Members {
                    records: members,
                    hashes,
                },
                own,
            ) = if fold.versions.is_some() {
                with_versions(key, &built, &versions_stored, &version_of)
            } else {
                // Nothing is folded in from elsewhere: the group's own payloads, as they are.
                let m = built.remove(key).unwrap_or_default();
                let own = vec![true; m.records.len()];
                (m, own)
            };
            // The payloads this batch brings (for the first time or again).
            let fresh_from: BTreeSet<usize> = hashes
                .iter()
                .enumerate()
                .filter(|(_, h)| batch.contains(h.as_slice()))
                .map(|(i, _)| i)
                .collect();
            // A part of a group (see `Window::parse`) makes its runs' complaints only.
            let part = fold.window.filter(|_| windowed.contains(key));
            let folded = part.map_or(fold.parse, |w| w.parse)(key, &members);
            // What the group made before these payloads: ids it no longer makes are removed.
            let before: Vec<RawRecord> = members
                .iter()
                .enumerate()
                .filter(|(i, _)| !fresh_from.contains(i))
                .map(|(_, m)| m.clone())
                .collect();
            if !before.is_empty() {
                // Told by the whole fold of what was read, before and now: of a part, what
                // stands apart from its runs too (a case standing alone under the id of its
                // first message goes when that message joins a thread that began earlier;
                // one whose thread is in a run not read stands alone both times). By the ids
                // stored: a part of the identity may be stored only as its hash.
                let made_now = part.map(|_| (fold.parse)(key, &members));
                let now: HashSet<String> = made_now
                    .as_ref()
                    .unwrap_or(&folded)
                    .complaints
                    .iter()
                    .map(|c| normaliser.complaint_id(c))
                    .collect();
                for old in (fold.parse)(key, &before).complaints {
                    let id = normaliser.complaint_id(&old);
                    if !now.contains(&id) {
                        let id = storable(id);
                        tracing::info!(channel, complaint = %id, "Complaint folded into another; removed.");
                        out.removed.push(id);
                    }
                }
            }
            for (i, why) in &folded.waiting {
                // Counted and told when new to this batch, as a quarantined payload is.
                if fresh_from.contains(i) && own.get(*i).copied().unwrap_or(false) {
                    let record = members.get(*i).map(|m| {
                        m.external_id
                            .clone()
                            .unwrap_or_else(|| m.source_ref.clone())
                    });
                    let record = record.as_deref().unwrap_or("?");
                    let said = "A record makes no complaint yet; archived, and folded in when the rest of it arrives.";
                    // A rebuild meets every such record again: told when it came, counted
                    // here (review: a warning for each at every rebuild).
                    if rebuild {
                        tracing::debug!(channel, record, reason = %why, "{said}");
                    } else {
                        tracing::warn!(channel, record, reason = %why, "{said}");
                    }
                    counts.waiting += 1;
                }
            }
            for (i, e) in folded.errors {
                let (Some(member), Some(hash)) = (members.get(i), hashes.get(i)) else {
                    continue;
                };
                // Counted when the payload is new to this batch and linked to this group (a
                // version of a record from another group is counted in its own).
                let counted = fresh_from.contains(&i) && own[i];
                // An older payload read under each of its groups is read whole (not one of a
                // group touched but read in part without it: review, session 49, a WhatsApp
                // body's entry lost one sender's failure when that sender wrote days later).
                let read = read_under.get(hash.as_slice());
                if !batch.contains(hash.as_slice())
                    && (fold.keys)(member).is_ok_and(|keys| {
                        keys.iter()
                            .all(|k| read.is_some_and(|under| under.contains(k.as_str())))
                    })
                {
                    out.read_whole.insert(hash.clone());
                }
                out.quarantine(channel, member, hash, e, counted.then_some(&mut *counts));
            }
            for source in &folded.complaints {
                match normalise_one(normaliser, channel, source, None) {
                    Ok(n) => out.keep(n, counts),
                    // The group's newest payload (what made it fold again) carries the error to
                    // quarantine: one entry, whichever of its complaints fail.
                    Err(e) => {
                        // A sync's: the batch's newest payload of the group. A rebuild's: the
                        // group's newest, the same at every page that folds the group (one
                        // entry, not one a page).
                        let newest = (0..members.len())
                            .rev()
                            .find(|i| own[*i] && (rebuild || fresh_from.contains(i)))
                            .or_else(|| own.iter().rposition(|&o| o))
                            .unwrap_or(0);
                        let (Some(member), Some(hash)) = (members.get(newest), hashes.get(newest))
                        else {
                            continue;
                        };
                        // Counted whichever payload carries it: the batch's payloads made the
                        // group fold (a retry of an older payload is told its complaint fails).
                        out.quarantine(channel, member, hash, e, Some(counts));
                    }
                }
            }
        }
    });
    Ok(())
}

/// A group's payloads in arrival order, with their content hashes.
#[derive(Default)]
struct Members {
    records: Vec<RawRecord>,
    hashes: Vec<Vec<u8>>,
}

/// The payloads group `key` is folded with: its own (`built`), where a record's versions
/// (see `Fold::versions`, `version_of` by content hash) stand at the end, all of them as
/// their own group holds them, in the order they came (`built` when that group is touched
/// too, else `stored`); and whether each is the group's own. A version linked here that its
/// group lacks (an archive linked before those groups were) stays, before the others.
fn with_versions(
    key: &str,
    built: &BTreeMap<&str, Members>,
    stored: &BTreeMap<String, Members>,
    version_of: &HashMap<Vec<u8>, String>,
) -> (Members, Vec<bool>) {
    let Some(own) = built.get(key) else {
        return (Members::default(), Vec::new());
    };
    let mut out = Members::default();
    let mut is_own = Vec::with_capacity(own.records.len());
    let mut placed: HashSet<&[u8]> = HashSet::default();
    // The records whose versions follow, in the order first met, with their versions
    // linked here.
    let mut later: Vec<&str> = Vec::new();
    let mut linked: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, (record, hash)) in own.records.iter().zip(&own.hashes).enumerate() {
        match version_of.get(hash).filter(|k| k.as_str() != key) {
            Some(k) => {
                let versions = linked.entry(k.as_str()).or_default();
                if versions.is_empty() {
                    later.push(k.as_str());
                }
                versions.push(i);
            }
            None => {
                if placed.insert(hash) {
                    out.records.push(record.clone());
                    out.hashes.push(hash.clone());
                    is_own.push(true);
                }
            }
        }
    }
    for k in later {
        let here = linked.get(k).map_or(&[][..], Vec::as_slice);
        let all = built
            .get(k)
            .or_else(|| stored.get(&storable(k.to_string())));
        let in_all: HashSet<&[u8]> = all
            .map(|m| m.hashes.iter().map(Vec::as_slice).collect())
            .unwrap_or_default();
        for &i in here {
            if !in_all.contains(own.hashes[i].as_slice()) && placed.insert(&own.hashes[i]) {
                out.records.push(own.records[i].clone());
                out.hashes.push(own.hashes[i].clone());
                is_own.push(true);
            }
        }
        let own_here: HashSet<&[u8]> = here.iter().map(|&i| own.hashes[i].as_slice()).collect();
        for (record, hash) in all.iter().flat_map(|m| m.records.iter().zip(&m.hashes)) {
            if placed.insert(hash) {
                out.records.push(record.clone());
                out.hashes.push(hash.clone());
                is_own.push(own_here.contains(hash.as_slice()));
            }
        }
    }
    (out, is_own)
}

/// What [`fold_groups`] folds: the channel's fold, the batch's fresh payloads with their
/// hashes, and those of them that came again (archived before).
struct Groups<'a> {
    fold: Fold,
    fresh: &'a [(RawRecord, Vec<u8>)],
    again: &'a HashSet<Vec<u8>>,
    /// A rebuild's page: a group is folded whole at each page that touches it.
    rebuild: bool,
}

/// Decides each collected complaint against what is stored (and what the batch in flight
/// writes): the rows of the batch's write.
async fn decide(
    store: &Store,
    behind: &WriteBehind,
    out: Collected,
    rebuild: bool,
    counts: &mut Counts,
) -> Result<Job> {
    let Collected {
        raws,
        links,
        quarantine,
        order,
        mut latest,
        events,
        outcomes,
        removed,
        supersede,
        mut claims,
        stand_ins,
        scratch: _,
        read_whole: _,
    } = out;
    // A stand-in a complaint took the place of (in this batch, in one before it, or in
    // the store) is not stored: read before the complaint or after it, the call is one.
    let mut taken: HashSet<String> = claims.iter().map(|(id, _)| id.clone()).collect();
    let open: Vec<&str> = stand_ins
        .iter()
        .filter(|id| !taken.contains(*id))
        .map(String::as_str)
        .collect();
    let mut claimed = store.claimed_of(&open, rebuild).await?;
    behind.claimed(&open, &mut claimed);
    taken.extend(claimed);
    // Decide each record against what is stored (and what this batch wrote before it); and
    // look up the stand-ins the batch's complaints take the place of, stored under them.
    let ids: Vec<&str> = order
        .iter()
        .map(String::as_str)
        .chain(claims.iter().map(|(id, _)| id.as_str()))
        .collect();
    let mut stored = store.current_rows_of(&ids, rebuild).await?;
    behind.current_rows(&ids, &mut stored);
    // Each once: two claims of the batch may name the same stand-in. (One a batch still
    // open removes is not in `stored`: see `WriteBehind::current_rows`.)
    let mut retired: Vec<String> = claims
        .iter()
        .map(|(id, _)| id)
        .filter(|id| stored.contains_key(*id))
        .cloned()
        .collect();
    retired.sort_unstable();
    retired.dedup();
    let mut current = stored.clone();
    // The events of versions applied: a version older than what is stored (or than one
    // before it in the batch) changes nothing, its events included, in one batch or two.
    let mut applied = vec![false; events.len()];
    for o in outcomes {
        if taken.contains(&o.id) {
            counts.unchanged += 1;
            continue;
        }
        // A version in the status the complaint had: its "status since" event tells nothing
        // new (a channel that carries its status without its history dates one at each
        // version's own time, see SP4N-LAPOR!'s parse).
        let (resolved_at, answered, same_status) = match current.get(&o.id) {
            None => {
                counts.inserted += 1;
                (o.resolved_at, o.first_response_at, false)
            }
            Some(c) if !changes(c, &o.row_hash, o.updated_at, supersede) => {
                counts.unchanged += 1;
                continue;
            }
            // A fold knows the whole history and says it itself.
            Some(_) if supersede => {
                counts.updated += 1;
                (o.resolved_at, o.first_response_at, false)
            }
            Some(c) => {
                counts.updated += 1;
                (
                    resolved_since(c.resolved_at, o.resolved_at, o.resolved_stated),
                    earliest(c.first_response_at, o.first_response_at),
                    same_words(&c.status_source, &o.status_source),
                )
            }
        };
        for i in o.events {
            let restated = same_status
                && events.get(i).is_some_and(|e| {
                    e.event.kind == aduan_core::EventKind::StatusChange
                        && e.event
                            .body
                            .as_deref()
                            .is_some_and(|b| same_words(b, &o.status_source))
                });
            if let Some(flag) = applied.get_mut(i) {
                *flag = !restated;
            }
        }
        current.insert(
            o.id,
            aduan_store::CurrentRow {
                row_hash: o.row_hash,
                updated_at: o.updated_at,
                resolved_at,
                status_source: o.status_source,
                first_response_at: answered,
            },
        );
    }
    for (id, row) in &mut latest {
        if let Some(c) = current.get(id).filter(|c| c.row_hash == row.row_hash) {
            row.complaint.resolved_at = c.resolved_at;
            // Each version was answered by its own resolution at the latest (the normaliser's
            // `answered_by`); not by a `resolved_at` kept from a closing, which answers
            // nothing (review: closed, then resolved, was answered when it was closed).
            row.complaint.first_response_at = c.first_response_at;
        }
    }
    // A complaint one group no longer makes and another makes now (a case that moved to its
    // sender's group under the same number) stays.
    // Each once: two groups of the batch may no longer make the same one. Counted apart from
    // the stand-ins replaced, which the summary names in other words.
    let mut removed: Vec<String> = removed
        .into_iter()
        .filter(|id| !latest.contains_key(id) && retired.binary_search(id).is_err())
        .collect();
    removed.sort_unstable();
    removed.dedup();
    counts.removed += removed.len() as u64;
    counts.replaced += retired.len() as u64;
    removed.extend(retired);
    // Only rows whose stored content differs are written.
    let complaints: Vec<ComplaintRow> = order
        .iter()
        .filter(|id| !taken.contains(*id))
        .filter_map(|id| latest.remove(id))
        .filter(|row| {
            stored
                .get(&row.complaint.complaint_id)
                .is_none_or(|c| changes(c, &row.row_hash, row.complaint.updated_at, supersede))
        })
        .collect();
    let changed: HashSet<&str> = complaints
        .iter()
        .map(|c| c.complaint.complaint_id.as_str())
        .collect();
    let events: Vec<EventRow> = events
        .into_iter()
        .zip(applied)
        .filter(|(e, applied)| *applied && changed.contains(e.event.complaint_id.as_str()))
        .map(|(e, _)| e)
        .collect();
    // Each claim is kept (the first claimer of a stand-in in the batch), also with a
    // version older than the stored one: it may name a stand-in the stored one does not.
    let mut seen = HashSet::default();
    claims.retain(|(id, _)| seen.insert(id.clone()));
    counts.batches += 1;
    Ok(Job {
        raws,
        complaints,
        events,
        quarantine,
        links,
        removed,
        claims,
        supersede,
        ..Job::default()
    })
}

/// A batch's write, owned (it runs in a task of its own).
#[derive(Default)]
struct Job {
    /// What `raws` are packed with, if anything.
    packer: Option<Arc<Packer>>,
    channel: String,
    run_id: Option<String>,
    now: DateTime<Utc>,
    raws: Vec<NewRaw>,
    complaints: Vec<ComplaintRow>,
    events: Vec<EventRow>,
    quarantine: Vec<QuarantineRow>,
    /// See `WriteBatch::quarantine_dismissed`.
    quarantine_dismissed: Vec<Vec<u8>>,
    links: Vec<GroupLink>,
    removed: Vec<String>,
    claims: Vec<(String, String)>,
    supersede: bool,
    rebuild: bool,
    inbox_done: Vec<i64>,
    cursor: Option<String>,
    fences: Vec<Fence>,
    /// What the rows were read with (see `WriteBatch::built_with`).
    built_with: Option<String>,
    /// The batch's counts, added to its run's row with it (see `WriteBatch::run_counts`).
    run_counts: Option<[i64; 5]>,
}

impl Job {
    fn records(&self) -> usize {
        self.raws.len().max(self.complaints.len()).max(1)
    }

    async fn write(&self, writes: &mut Writes) -> Result<()> {
        writes
            .write(&WriteBatch {
                channel: &self.channel,
                run_id: self.run_id.as_deref(),
                now: self.now,
                raws: &self.raws,
                dictionary: match &self.raws[..] {
                    [] => None,
                    _ => self.packer.as_deref().map(Packer::dictionary),
                },
                complaints: &self.complaints,
                events: &self.events,
                quarantine: &self.quarantine,
                quarantine_dismissed: &self.quarantine_dismissed,
                links: &self.links,
                removed: &self.removed,
                claims: &self.claims,
                supersede: self.supersede,
                rebuild: self.rebuild,
                inbox_done: &self.inbox_done,
                cursor: self.cursor.as_deref(),
                fences: &self.fences,
                built_with: self.built_with.as_deref(),
                run_counts: self.run_counts,
            })
            .await?;
        Ok(())
    }
}

/// Records written into one transaction before it commits: a commit's cost (on SQLite,
/// every page the transaction touched is written twice, to the log and then to the
/// database; in a large table most of them are index pages that the next batches touch
/// again) is paid once for several batches, while each batch's memory goes once it is
/// written.
const COMMIT_RECORDS: usize = 20_000;

/// The longest a transaction stays open: meanwhile other writers of a SQLite database (a
/// webhook, another channel's run, a lease) wait for it.
const COMMIT_AGE: Duration = Duration::from_secs(2);

/// How long an open transaction waits for another batch before it commits anyway.
const COMMIT_IDLE: Duration = Duration::from_millis(200);

/// Batches handed to the writer and not yet written: the engine prepares the next ones while
/// the writer commits or catches up (each waits for the other less), at a batch's memory
/// each.
const AHEAD: usize = 2;

/// Writes batches while the next one is read, parsed, normalised and decided: the store's
/// writing and the engine's reading then use both cores.
///
/// A writer task of its own writes the batches in order into one transaction, which commits
/// after [`COMMIT_RECORDS`] records or [`COMMIT_AGE`], when no batch follows within
/// [`COMMIT_IDLE`], and on [`flush`](Self::flush). Up to [`AHEAD`] batches wait to be
/// written, and the next batch's lookups see every batch not yet committed: the store
/// answers for what is committed, and what the open batches write (payload hashes,
/// complaints' hashes and `updated_at`) is added to the answers. A batch's counts join the
/// run's once it is committed; batches whose transaction failed count nothing, and the
/// error surfaces at the next [`start`](Self::start) or [`flush`](Self::flush). A crash loses
/// at most the open transaction, whose cursor is written with it: the next run reads those
/// records again.
#[derive(Default)]
pub(crate) struct WriteBehind {
    limits: Limits,
    writer: Option<Writer>,
    /// Batches handed to the writer and not yet known to be committed, oldest first.
    open: Vec<Pending>,
    /// Say when each batch handed over and not yet known written is written (or why not),
    /// oldest first.
    written: VecDeque<oneshot::Receiver<Result<Box<Job>>>>,
    next_seq: u64,
    /// The counts of batches committed before their writer failed (in a later transaction),
    /// for the run's at the next [`settle`](Self::settle).
    carried: Counts,
}

/// When an open transaction commits.
#[derive(Clone, Copy)]
struct Limits {
    /// Batches handed over and not yet written.
    ahead: usize,
    records: usize,
    age: Duration,
    idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ahead: AHEAD,
            records: COMMIT_RECORDS,
            age: COMMIT_AGE,
            idle: COMMIT_IDLE,
        }
    }
}

struct Writer {
    jobs: mpsc::Sender<Message>,
    /// The number of the last batch committed.
    committed: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<Result<()>>,
}

enum Message {
    /// Write a batch (its number) and say when it is written, handing the batch back.
    Write(u64, Box<Job>, oneshot::Sender<Result<Box<Job>>>),
    /// Commit what is written and say how it went.
    Commit(oneshot::Sender<Result<()>>),
}

struct Pending {
    seq: u64,
    channel: String,
    hashes: HashSet<Vec<u8>>,
    rows: HashMap<String, aduan_store::CurrentRow>,
    /// The complaints the batch removes (before it writes `rows`).
    removed: HashSet<String>,
    /// The stand-ins the batch keeps as taken over.
    claims: HashSet<String>,
    counts: Counts,
}

/// The open transaction of the writer task.
struct Open {
    writes: Writes,
    last_seq: u64,
    records: usize,
    since: tokio::time::Instant,
}

impl Open {
    async fn commit(self, committed: &AtomicU64) -> Result<()> {
        self.writes.commit().await?;
        committed.store(self.last_seq, Ordering::Release);
        Ok(())
    }
}

/// The writer task: batches from `jobs`, written in order, committed as [`WriteBehind`]
/// says. It ends when `jobs` closes (committing what is written) or at the first error
/// (what is written and not committed is rolled back).
async fn write_batches(
    store: Store,
    limits: Limits,
    mut jobs: mpsc::Receiver<Message>,
    committed: Arc<AtomicU64>,
) -> Result<()> {
    let mut open: Option<Open> = None;
    loop {
        let message = match &open {
            Some(o) => {
                let wait = limits
                    .idle
                    .min(limits.age.saturating_sub(o.since.elapsed()));
                match tokio::time::timeout(wait, jobs.recv()).await {
                    Ok(m) => m,
                    Err(_) => {
                        if let Some(o) = open.take() {
                            o.commit(&committed).await?;
                        }
                        continue;
                    }
                }
            }
            None => jobs.recv().await,
        };
        match message {
            None => {
                if let Some(o) = open.take() {
                    o.commit(&committed).await?;
                }
                return Ok(());
            }
            Some(Message::Commit(done)) => {
                let result = match open.take() {
                    Some(o) => o.commit(&committed).await,
                    None => Ok(()),
                };
                if !answer(done, result) {
                    return Ok(());
                }
            }
            Some(Message::Write(seq, job, done)) => {
                let result = write_one(&store, limits, &committed, &mut open, seq, job).await;
                if !answer(done, result) {
                    return Ok(());
                }
            }
        }
    }
}

/// Writes `job` into the open transaction (opening one if none is), and commits it once it
/// is full; `job` is handed back, to be freed by the thread that allocated it (freeing it
/// here, across threads, took an eighth of the writer's time). On an error the transaction
/// is left dropped: everything in it is rolled back.
async fn write_one(
    store: &Store,
    limits: Limits,
    committed: &AtomicU64,
    open: &mut Option<Open>,
    seq: u64,
    job: Box<Job>,
) -> Result<Box<Job>> {
    let mut o = match open.take() {
        Some(o) => o,
        None => Open {
            writes: store.begin_writes().await?,
            last_seq: seq,
            records: 0,
            since: tokio::time::Instant::now(),
        },
    };
    job.write(&mut o.writes).await?;
    o.last_seq = seq;
    o.records += job.records();
    if o.records >= limits.records || o.since.elapsed() >= limits.age {
        o.commit(committed).await?;
    } else {
        *open = Some(o);
    }
    Ok(job)
}

/// Sends `result` to whoever waits for it; `false` when it is an error (the writer task then
/// ends: its transaction is gone).
fn answer<T>(done: oneshot::Sender<Result<T>>, result: Result<T>) -> bool {
    let ok = result.is_ok();
    let _ = done.send(result);
    ok
}

impl WriteBehind {
    /// Waits until every batch handed over is written and committed; their counts are
    /// added to `counts`.
    pub(crate) async fn flush(&mut self, counts: &mut Counts) -> Result<()> {
        let flushed = self.commit_all().await;
        // Also after an error: what was committed before it counts.
        self.settle(counts);
        flushed
    }

    async fn commit_all(&mut self) -> Result<()> {
        self.written_but_uncounted(0).await?;
        let Some(writer) = &self.writer else {
            return Ok(());
        };
        let (done, result) = oneshot::channel();
        if writer.jobs.send(Message::Commit(done)).await.is_err() {
            return Err(self.stopped().await);
        }
        self.reply(result).await?;
        Ok(())
    }

    /// Waits until at most `left` batches handed over are not yet written; counts what is
    /// committed.
    async fn written_but(&mut self, left: usize, counts: &mut Counts) -> Result<()> {
        let written = self.written_but_uncounted(left).await;
        // Also after an error: what was committed before it counts.
        self.settle(counts);
        written
    }

    async fn written_but_uncounted(&mut self, left: usize) -> Result<()> {
        while self.written.len() > left {
            if let Some(written) = self.written.pop_front() {
                // Freed here, by the task that allocated it (see `write_one`).
                let spent = self.reply(written).await?;
                drop(spent);
            }
        }
        Ok(())
    }

    /// The writer task's answer: an error ends its transaction (see `abandon`).
    async fn reply<T>(&mut self, answer: oneshot::Receiver<Result<T>>) -> Result<T> {
        match answer.await {
            Ok(Ok(t)) => Ok(t),
            Ok(Err(e)) => {
                self.abandon();
                Err(e)
            }
            Err(_) => Err(self.stopped().await),
        }
    }

    /// Forgets the batches of a transaction that failed (the writer task has ended, and
    /// rolled them back): they count nothing, and the next batch starts a new writer. Those
    /// its earlier transactions committed still count.
    fn abandon(&mut self) {
        self.carry_committed();
        self.open.clear();
        self.written.clear();
        self.writer = None;
    }

    /// Moves the counts of the open batches the writer committed to `carried`.
    fn carry_committed(&mut self) {
        if let Some(writer) = &self.writer {
            self.carry(writer.committed.load(Ordering::Acquire));
        }
    }

    /// Moves the counts of the open batches up to number `committed` to `carried`.
    fn carry(&mut self, committed: u64) {
        let done = self.open.iter().take_while(|p| p.seq <= committed).count();
        for p in self.open.drain(..done) {
            self.carried.absorb(p.counts);
        }
    }

    /// Adds the counts of the batches committed to `counts`.
    fn settle(&mut self, counts: &mut Counts) {
        self.carry_committed();
        counts.absorb(std::mem::take(&mut self.carried));
    }

    /// Why the writer task stopped (it ends early only with an error); its open batches
    /// are rolled back and count nothing. The error is the task's own, or the one it
    /// answered a batch whose write failed: a batch handed over after that failure, and
    /// before its answer was read, meets a closed writer.
    async fn stopped(&mut self) -> crate::Error {
        let ended = match self.writer.take() {
            Some(w) => {
                let ended = w.task.await.map_err(|e| e.to_string());
                // The task has ended: what it committed counts.
                self.carry(w.committed.load(Ordering::Acquire));
                ended
            }
            None => Ok(Ok(())),
        };
        self.open.clear();
        // The task has ended: every answer it gave is there to read.
        let told = self
            .written
            .drain(..)
            .find_map(|mut answer| match answer.try_recv() {
                Ok(Err(e)) => Some(e),
                _ => None,
            });
        match (ended, told) {
            (Ok(Err(e)), _) => e,
            (_, Some(e)) => e,
            (Err(e), None) => crate::Error::Writer(e),
            (Ok(Ok(())), None) => crate::Error::Writer("the writer stopped".into()),
        }
    }

    /// Hands `job` to the writer once fewer than `ahead` batches wait to be written.
    async fn start(
        &mut self,
        store: &Store,
        mut job: Job,
        delta: Counts,
        counts: &mut Counts,
    ) -> Result<()> {
        // What the batch counts goes into its run's row when its transaction commits.
        if job.run_id.is_some() && !job.rebuild {
            job.run_counts = Some(
                [
                    delta.fetched,
                    delta.inserted,
                    delta.updated,
                    delta.unchanged,
                    delta.quarantined,
                ]
                .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
            );
        }
        self.written_but(self.limits.ahead.max(1) - 1, counts)
            .await?;
        let hashes = job.raws.iter().map(|r| r.content_hash.clone()).collect();
        let rows = job
            .complaints
            .iter()
            .map(|c| {
                (
                    c.complaint.complaint_id.clone(),
                    aduan_store::CurrentRow {
                        row_hash: c.row_hash.clone(),
                        updated_at: c.complaint.updated_at,
                        resolved_at: c.complaint.resolved_at,
                        status_source: c.complaint.status_source.clone(),
                        first_response_at: c.complaint.first_response_at,
                    },
                )
            })
            .collect();
        let removed = job.removed.iter().cloned().collect();
        let claims = job.claims.iter().map(|(id, _)| id.clone()).collect();
        self.next_seq += 1;
        let seq = self.next_seq;
        self.open.push(Pending {
            seq,
            channel: job.channel.clone(),
            hashes,
            rows,
            removed,
            claims,
            counts: delta,
        });
        let writer = self.writer.get_or_insert_with(|| {
            let (jobs, receiver) = mpsc::channel(self.limits.ahead.max(1));
            let committed = Arc::new(AtomicU64::new(0));
            let task = tokio::spawn(write_batches(
                store.clone(),
                self.limits,
                receiver,
                Arc::clone(&committed),
            ));
            Writer {
                jobs,
                committed,
                task,
            }
        });
        let (done, written) = oneshot::channel();
        if writer
            .jobs
            .send(Message::Write(seq, Box::new(job), done))
            .await
            .is_err()
        {
            return Err(self.stopped().await);
        }
        self.written.push_back(written);
        // A task woken from a worker waits in that worker's own slot (no other worker takes
        // it) until the waker yields: yield once, so the write starts now, beside the next
        // batch's preparation rather than after it.
        tokio::task::yield_now().await;
        Ok(())
    }

    /// Adds to `known` those of `hashes` the open batches archive for `channel`.
    fn known_hashes(&self, channel: &str, hashes: &[Vec<u8>], known: &mut HashSet<Vec<u8>>) {
        for p in self.open.iter().filter(|p| p.channel == channel) {
            known.extend(hashes.iter().filter(|h| p.hashes.contains(*h)).cloned());
        }
    }

    /// Adds to `claimed` those of `ids` the open batches keep as stand-ins taken over.
    fn claimed(&self, ids: &[&str], claimed: &mut HashSet<String>) {
        for p in &self.open {
            claimed.extend(
                ids.iter()
                    .filter(|id| p.claims.contains(**id))
                    .map(|id| (*id).to_string()),
            );
        }
    }

    /// Puts what the open batches write of `ids` over what the store returned (the latest
    /// batch last), and takes out what they remove: a stand-in an open batch replaced is gone
    /// for the next batch, as it will be once that batch commits (review: a second claim on
    /// it in the next batch found it in the store still, and counted its removal again).
    fn current_rows(&self, ids: &[&str], stored: &mut HashMap<String, aduan_store::CurrentRow>) {
        for p in &self.open {
            for id in ids {
                // As the stores write a batch: its removals before its complaints.
                if p.removed.contains(*id) {
                    stored.remove(*id);
                }
                if let Some(row) = p.rows.get(*id) {
                    stored.insert((*id).to_string(), row.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aduan_core::SourcePlace;
    use chrono::TimeZone;

    /// The places an entry names are its record and field and those of each failure added to
    /// it, as `Collected::quarantine` writes them (two messages of one body, each named by
    /// the body at its place); a part added that names none makes them unknown.
    #[test]
    fn an_entrys_places_are_its_records_with_their_fields() {
        let mut c = Collected::default();
        let raw = report("body", 0, "open");
        for field in ["messages[0]", "messages[1]", ""] {
            let e = FieldError::new("wadul_aladin", "body", field, "invalid type: integer `7`");
            c.quarantine("wadul_aladin", &raw, b"h", e, None);
        }
        let q = &c.quarantine[0];
        let places = named_places(&q.record, &q.field, &q.reason).expect("places");
        let want: HashSet<(String, String)> = ["\"messages[0]\"", "\"messages[1]\"", "\"\""]
            .into_iter()
            .map(|f| ("body".to_string(), f.to_string()))
            .collect();
        assert_eq!(places, want, "{}", q.reason);
        assert_eq!(
            named_places("body", "text", "not a text: \"a; and b\""),
            None
        );
    }

    /// A reason quoting a phone number (a number where a text was due) is shown in the log
    /// and the run's record without it; so is (item of session 50) one quoting a link the
    /// record held (a photo's signed address, a token in a query), which was shown with its
    /// credentials, which complaint texts hide. The quarantine keeps each whole.
    #[test]
    fn a_quarantined_records_reason_is_shown_without_contacts_or_links_credentials() {
        let cases = [
            (
                "report.user.phone",
                "invalid type: integer `6281390005555`, expected a string",
                "[nomor telepon]",
                "6281390005555",
            ),
            (
                "report.photos",
                "not a list: \"https://s3.example/p1.jpg?X-Amz-Signature=f00dfeed&id=5\"",
                "X-Amz-Signature=[kredensial]&id=5",
                "f00dfeed",
            ),
        ];
        for (field, reason, shown_as, hidden) in cases {
            let mut c = Collected::default();
            let mut counts = Counts::default();
            let e = FieldError::new("smart_city", "r1", field, reason);
            c.quarantine(
                "smart_city",
                &report("r1", 0, "open"),
                b"h",
                e,
                Some(&mut counts),
            );
            let shown = counts.last_error.unwrap_or_default();
            assert!(
                shown.contains(shown_as) && !shown.contains(hidden),
                "{shown}"
            );
            assert!(c.quarantine[0].reason.contains(hidden), "{field}");
        }
    }

    /// A payload quarantined twice in a batch (two complaints of its folded group failing,
    /// a payload of two groups) is one entry naming every reason, counted once: the stores
    /// keep one open entry a payload, and the run's count is of what they keep.
    #[test]
    fn a_payload_quarantined_twice_is_one_entry_with_both_reasons() {
        let mut c = Collected::default();
        let mut counts = Counts::default();
        let payload = report("r1", 0, "open");
        let e = |record: &str, reason: &str| {
            FieldError::new("wadul_aladin", record, "external_id", reason)
        };
        for (record, reason) in [("t-1", "too long"), ("t-2", "longer"), ("t-1", "too long")] {
            c.quarantine(
                "wadul_aladin",
                &payload,
                b"h",
                e(record, reason),
                Some(&mut counts),
            );
        }
        c.quarantine("wadul_aladin", &payload, b"h", e("t-2", "longer"), None);
        c.quarantine(
            "wadul_aladin",
            &report("r2", 0, "open"),
            b"g",
            e("t-3", "too"),
            Some(&mut counts),
        );
        assert_eq!(counts.quarantined, 2);
        assert_eq!(c.quarantine.len(), 2);
        assert_eq!(
            (
                c.quarantine[0].record.as_str(),
                c.quarantine[0].reason.as_str()
            ),
            ("t-1", r#"too long; and t-2, field "external_id": longer"#)
        );
        assert_eq!(c.quarantine[1].reason, "too");
    }

    fn normaliser() -> Normaliser {
        aduan_normalise::testing::sp4n_normaliser()
    }

    /// A report as a payload: the source form itself, as JSON.
    fn report(id: &str, minute: u32, status: &str) -> RawRecord {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 2, 8, minute, 0)
            .single()
            .expect("a valid time");
        let s = SourceComplaint {
            channel: "sp4n_lapor".into(),
            external_id: id.into(),
            external_id_private: None,
            standing: aduan_core::Standing::Own,
            kind_label: Some("PENGADUAN".into()),
            urgency_label: None,
            category_labels: vec![],
            category_national: true,
            title: Some("Banjir di jalan".into()),
            body: Some("Air setinggi lutut".into()),
            status_label: status.into(),
            agencies: vec![],
            place: SourcePlace::default(),
            reporter_phone: None,
            reporter_email: None,
            reporter_names: Vec::new(),
            anonymous: false,
            confidential: false,
            reported_at: at,
            updated_at: at,
            resolved_at: None,
            first_response_at: None,
            events: vec![],
        };
        RawRecord {
            source_ref: format!("test/{id}/{minute}"),
            external_id: Some(id.into()),
            received_at: Utc::now(),
            payload: serde_json::to_vec(&s).expect("serialisable"),
        }
    }

    fn parse(r: &RawRecord) -> Result<Vec<SourceComplaint>, FieldError> {
        serde_json::from_slice(&r.payload)
            .map(|s| vec![s])
            .map_err(|e| FieldError::new("sp4n_lapor", &r.source_ref, "", e.to_string()))
    }

    /// Changes `r`'s payload (the report it is) with `edit`, which gives what it says.
    fn edit_payload<T>(r: &mut RawRecord, edit: impl FnOnce(&mut SourceComplaint) -> T) -> T {
        let mut s: SourceComplaint = serde_json::from_slice(&r.payload).expect("a report");
        let said = edit(&mut s);
        r.payload = serde_json::to_vec(&s).expect("serialisable");
        said
    }

    /// The rows `sql` reads from `t`'s store.
    async fn rows(t: &aduan_store::testing::TestStore, sql: &str) -> Vec<Vec<serde_json::Value>> {
        t.store.query(sql).await.expect("read").rows
    }

    /// How many rows `table` of `t`'s store holds.
    async fn rows_in(t: &aduan_store::testing::TestStore, table: &str) -> serde_json::Value {
        rows(t, &format!("SELECT COUNT(*) FROM {table}")).await[0][0].clone()
    }

    fn input(records: Vec<RawRecord>) -> Input<'static> {
        Input {
            channel: "sp4n_lapor",
            run_id: None,
            records,
            hashes: None,
            cursor: None,
            archive: true,
            rebuild: false,
            inbox_done: &[],
            unreadable: Vec::new(),
            fences: Vec::new(),
            again: Vec::new(),
        }
    }

    /// Checks that the archive of `t` reads back as `sent`, payload for payload, in order.
    async fn reads_back_as_sent(t: &aduan_store::testing::TestStore, sent: &[Vec<u8>]) {
        let back: Vec<Vec<u8>> = t
            .store
            .raw_after(0, 10_000)
            .await
            .expect("read back")
            .into_iter()
            .map(|r| r.payload)
            .collect();
        assert!(back == sent, "{}: payloads read back differ", t.label);
    }

    /// One batch of SP4N-LAPOR! reports through `process`, written behind.
    async fn each(
        t: &aduan_store::testing::TestStore,
        n: &Normaliser,
        records: Vec<RawRecord>,
        behind: &mut WriteBehind,
        counts: &mut Counts,
    ) -> Result<()> {
        process(
            &t.store,
            n,
            Reader::Each(&parse),
            input(records),
            behind,
            counts,
        )
        .await
    }

    /// `batches` written one after another, each flushed (a run each, as the live sync meets
    /// them); the counts of them all.
    async fn written(t: &aduan_store::testing::TestStore, batches: &[Vec<RawRecord>]) -> Counts {
        let n = normaliser();
        let mut counts = Counts::default();
        for b in batches {
            let mut behind = WriteBehind::default();
            each(t, &n, b.clone(), &mut behind, &mut counts)
                .await
                .expect("a batch");
            behind.flush(&mut counts).await.expect("flush");
        }
        counts
    }

    /// Hands the writer one batch per id, each of one report.
    async fn one_report_a_batch(
        t: &aduan_store::testing::TestStore,
        n: &Normaliser,
        ids: &[&str],
        behind: &mut WriteBehind,
        counts: &mut Counts,
    ) {
        for id in ids {
            each(t, n, vec![report(id, 0, "Terverifikasi")], behind, counts)
                .await
                .expect("handed to the writer");
        }
    }

    /// A writer that lets `ahead` batches wait and commits at `records` records (never by
    /// age or idleness).
    fn committing_by_records(ahead: usize, records: usize) -> WriteBehind {
        let long = Duration::from_secs(600);
        WriteBehind {
            limits: Limits {
                ahead,
                records,
                age: long,
                idle: long,
            },
            ..WriteBehind::default()
        }
    }

    /// Makes the store refuse to insert complaint `id` ("`id` refused").
    async fn refuse_complaint(t: &aduan_store::testing::TestStore, id: &str) {
        t.execute(&format!(
            "CREATE TRIGGER refuse_{id} BEFORE INSERT ON complaints WHEN NEW.external_id = '{id}' \
             BEGIN SELECT RAISE(ABORT, '{id} refused'); END"
        ))
        .await;
    }

    /// After a failed transaction, the next batch (report "C") starts a new writer and is
    /// the only one counted.
    async fn next_batch_gets_a_new_writer(
        t: &aduan_store::testing::TestStore,
        n: &Normaliser,
        behind: &mut WriteBehind,
        counts: &mut Counts,
    ) {
        each(t, n, vec![report("C", 0, "Terverifikasi")], behind, counts)
            .await
            .expect("a new writer");
        behind.flush(counts).await.expect("flush");
        assert_eq!((counts.batches, counts.inserted), (1, 1), "{counts:?}");
    }

    /// A call-log row: payloads of another shape than reports.
    fn call_payload(n: usize) -> Vec<u8> {
        format!(
            "no;waktu;kategori;uraian;operator\n{};2026-11-{:02} {:02}:{:02}:{:02};{};{} {};OP-{:03}",
            90_000 + n * 7,
            1 + n % 28,
            n % 24,
            n % 60,
            (n * 7) % 60,
            ["Gawat Darurat", "Gawat Tidak Darurat", "Prank Call", "Informasi"][n % 4],
            ["Kebakaran gudang", "Pohon tumbang", "Kecelakaan motor", "Banjir rob"][n % 4],
            ["Podosugih", "Krapyak", "Panjang Wetan", "Kuripan Lor", "Tirto"][n % 5],
            n % 41
        )
        .into_bytes()
    }

    /// The row hash and the event keys are stored, and compared with what later runs make:
    /// they stay the bytes they were first made of (the JSON of the complaint; the
    /// "occurred_at|kind|actor|body" of an event, its hash's first 32 hex digits).
    #[test]
    fn row_hashes_and_event_keys_keep_their_form() {
        let mut r = report("K-1", 5, "Selesai");
        edit_payload(&mut r, |s| {
            s.events = vec![aduan_core::SourceEvent {
                at: s.reported_at,
                kind: aduan_core::EventKind::Disposition,
                actor: Some("Dinas PU".into()),
                text: Some("Diteruskan <b>ke</b> dinas".into()),
            }];
        });
        let n = normaliser()
            .normalise(&parse(&r).expect("parsed")[0])
            .expect("normalised");
        let complaint = n.complaint.clone();
        let events = n.events.clone();
        assert!(!events.is_empty());
        let mut out = Collected::default();
        out.keep(n, &mut Counts::default());
        let row = &out.latest[&complaint.complaint_id];
        let json = serde_json::to_vec(&complaint).expect("serialisable");
        assert_eq!(row.row_hash, hex::encode(Sha256::digest(&json)));
        assert_eq!(out.events.len(), events.len());
        for (e, kept) in events.iter().zip(&out.events) {
            let key = format!(
                "{}|{}|{}|{}",
                e.occurred_at.timestamp(),
                e.kind,
                e.actor.as_deref().unwrap_or(""),
                e.body.as_deref().unwrap_or("")
            );
            assert_eq!(
                kept.event_key,
                hex::encode(Sha256::digest(key.as_bytes()))[..32]
            );
        }
        // A fold's hash covers its history too.
        let mut folded = Collected {
            supersede: true,
            ..Collected::default()
        };
        let n = normaliser()
            .normalise(&parse(&r).expect("parsed")[0])
            .expect("normalised");
        folded.keep(n, &mut Counts::default());
        let json = serde_json::to_vec(&(&complaint, &events)).expect("serialisable");
        assert_eq!(
            folded.latest[&complaint.complaint_id].row_hash,
            hex::encode(Sha256::digest(&json))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn payloads_that_outgrow_their_dictionary_get_a_new_one_and_read_back_as_received() {
        let nothing = |_: &RawRecord| Ok(Vec::new());
        type Payloads = fn(usize) -> Vec<u8>;
        let batches: [(Payloads, usize); 4] = [
            (aduan_store::testing::report_payload, 0),
            (call_payload, 0),
            (call_payload, 5_000),
            (aduan_store::testing::report_payload, 10_000),
        ];
        for t in aduan_store::testing::all().await {
            let n = normaliser();
            let mut behind = WriteBehind::default();
            let mut counts = Counts::default();
            let mut sent = Vec::new();
            for (make, from) in batches {
                let payloads: Vec<Vec<u8>> = (from..from + 1_200).map(make).collect();
                let records = payloads
                    .iter()
                    .enumerate()
                    .map(|(i, p)| RawRecord {
                        source_ref: format!("test {from} {i}"),
                        external_id: None,
                        received_at: Utc::now(),
                        payload: p.clone(),
                    })
                    .collect();
                process(
                    &t.store,
                    &n,
                    Reader::Each(&nothing),
                    input(records),
                    &mut behind,
                    &mut counts,
                )
                .await
                .expect("archived");
                behind.flush(&mut counts).await.expect("committed");
                sent.extend(payloads);
            }
            // The first batch trains a dictionary; the call-log rows outgrow it and get
            // their own, which the next batch of them still fits; reports again outgrow that.
            let by_dictionary = t
                .store
                .query(
                    "SELECT dictionary_id, COUNT(*) FROM raw_records \
                     GROUP BY dictionary_id ORDER BY MIN(raw_id)",
                )
                .await
                .expect("counted");
            let counted: Vec<i64> = by_dictionary
                .rows
                .iter()
                .map(|r| r[1].as_i64().expect("a count"))
                .collect();
            assert_eq!(counted, [1_200, 2_400, 1_200], "{}", t.label);
            assert!(
                by_dictionary.rows.iter().all(|r| r[0].as_i64().is_some()),
                "{}: every payload packed",
                t.label
            );
            let stored = t
                .store
                .query("SELECT COUNT(*) FROM raw_dictionaries")
                .await
                .expect("counted");
            assert_eq!(stored.rows[0][0].as_i64(), Some(3), "{}", t.label);
            let packed: i64 = t
                .store
                .query("SELECT SUM(LENGTH(payload)) FROM raw_records")
                .await
                .expect("summed")
                .rows[0][0]
                .as_i64()
                .expect("a sum");
            let plain: usize = sent.iter().map(Vec::len).sum();
            assert!(
                (packed as usize) * 3 < plain,
                "{}: {packed} bytes stored of {plain}",
                t.label
            );
            reads_back_as_sent(&t, &sent).await;
        }
    }

    /// Payloads that outgrow their dictionary in batches of a hundred get a new one once a
    /// thousand of them have: the batches are judged together, and the new dictionary is
    /// trained on the channel's latest thousand payloads. Before, only one batch of a thousand
    /// could outgrow a dictionary, and a channel of small batches kept packing its new shape
    /// with the old one, for ever. Every payload reads back as received.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn payloads_that_outgrow_their_dictionary_a_hundred_a_batch_get_a_new_one() {
        let nothing = |_: &RawRecord| Ok(Vec::new());
        let records = |payloads: &[Vec<u8>]| -> Vec<RawRecord> {
            payloads
                .iter()
                .map(|p| RawRecord {
                    source_ref: "test".into(),
                    external_id: None,
                    received_at: Utc::now(),
                    payload: p.clone(),
                })
                .collect()
        };
        for t in aduan_store::testing::all().await {
            let n = normaliser();
            let mut counts = Counts::default();
            let mut batches: Vec<Vec<Vec<u8>>> = vec![(0..1_200)
                .map(aduan_store::testing::report_payload)
                .collect()];
            batches.extend((0..15).map(|b| (b * 100..(b + 1) * 100).map(call_payload).collect()));
            for payloads in &batches {
                let mut behind = WriteBehind::default();
                process(
                    &t.store,
                    &n,
                    Reader::Each(&nothing),
                    input(records(payloads)),
                    &mut behind,
                    &mut counts,
                )
                .await
                .expect("archived");
                behind.flush(&mut counts).await.expect("committed");
            }
            // The reports' dictionary packs the first nine batches of call-log rows; the
            // tenth makes a thousand that outgrew it, and is packed with their own, as those
            // after it are.
            let by_dictionary = rows(
                &t,
                "SELECT dictionary_id, COUNT(*) FROM raw_records \
                 GROUP BY dictionary_id ORDER BY MIN(raw_id)",
            )
            .await;
            let counted: Vec<i64> = by_dictionary
                .iter()
                .map(|r| r[1].as_i64().expect("a count"))
                .collect();
            assert_eq!(counted, [2_100, 600], "{}", t.label);
            assert!(
                by_dictionary.iter().all(|r| r[0].as_i64().is_some()),
                "{}: every payload packed",
                t.label
            );
            let sent: Vec<Vec<u8>> = batches.concat();
            reads_back_as_sent(&t, &sent).await;
        }
    }

    /// A channel whose batches come a hundred payloads at a time (a source paced to its rate
    /// limit, a loaded machine: the engine hands joined pages over after two seconds) gets its
    /// dictionary once a thousand of its payloads are archived as received, trained on those
    /// with the batch that makes them a thousand, and its later payloads are stored packed.
    /// Before, a dictionary was trained only on one batch of a thousand new payloads: no batch
    /// held them, and the channel's payloads stayed as received, two to four times larger,
    /// for ever. Those archived before stay as received; every one reads back as received, in
    /// a rebuild too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_channel_sending_a_hundred_payloads_a_batch_is_packed_once_a_thousand_are_archived() {
        let varied = |i: usize| {
            let statuses = [
                "Terverifikasi",
                "Selesai",
                "Belum Terverifikasi",
                "Diproses",
            ];
            let mut r = report(&format!("R-{i}"), (i % 60) as u32, statuses[i % 4]);
            edit_payload(&mut r, |s| {
                s.title = Some(format!("Jalan berlubang di RT {}", i % 17));
                s.body = Some(format!("Mohon perbaikan jalan di kelurahan {}", i % 23));
            });
            r
        };
        for t in aduan_store::testing::all().await {
            let n = normaliser();
            let mut counts = Counts::default();
            let mut sent = Vec::new();
            for b in 0..15 {
                let records: Vec<RawRecord> = (b * 100..(b + 1) * 100).map(varied).collect();
                sent.extend(records.iter().map(|r| r.payload.clone()));
                let mut behind = WriteBehind::default();
                each(&t, &n, records, &mut behind, &mut counts)
                    .await
                    .expect("a batch");
                behind.flush(&mut counts).await.expect("committed");
            }
            // The tenth batch makes the thousand: it is packed, and every one after it.
            let count = |sql: &'static str| {
                let t = &t;
                async move { rows(t, sql).await[0][0].as_i64().expect("a count") }
            };
            assert_eq!(
                count("SELECT COUNT(*) FROM raw_dictionaries").await,
                1,
                "{}",
                t.label
            );
            let plain = "SELECT COUNT(*) FROM raw_records WHERE dictionary_id IS NULL";
            assert_eq!(count(plain).await, 900, "{}", t.label);
            let packed = "SELECT COUNT(*) FROM raw_records WHERE dictionary_id IS NOT NULL \
                 AND raw_id > (SELECT MAX(raw_id) FROM raw_records WHERE dictionary_id IS NULL)";
            assert_eq!(count(packed).await, 600, "{}", t.label);
            let stored =
                "SELECT SUM(LENGTH(payload)) FROM raw_records WHERE dictionary_id IS NOT NULL";
            let kept: usize = sent[900..].iter().map(Vec::len).sum();
            let stored = count(stored).await as usize;
            assert!(stored * 2 < kept, "{}: {stored} bytes of {kept}", t.label);
            // Every payload reads back as received, those archived before packing began too.
            reads_back_as_sent(&t, &sent).await;
            // A rebuild reads them all, each the complaint it was.
            let engine = crate::Engine::new(
                t.store.clone(),
                std::sync::Arc::new(normaliser()),
                crate::EngineOptions::default(),
            );
            let specs = std::collections::HashMap::from([(
                "sp4n_lapor",
                aduan_core::ChannelSpec {
                    id: "sp4n_lapor",
                    parse,
                    fold: None,
                    build: |_| {
                        Err(aduan_core::Error::Config {
                            channel: "sp4n_lapor".into(),
                            message: "not built in this test".into(),
                        })
                    },
                    check_cursor: |c| Ok(c.to_string()),
                    read_settings: |_| Ok(()),
                },
            )]);
            let rebuilt = engine
                .renormalise(&specs, &crate::NoProgress)
                .await
                .expect("rebuilt");
            assert_eq!(
                (rebuilt.fetched, rebuilt.inserted, rebuilt.quarantined),
                (1_500, 1_500, 0),
                "{}: {rebuilt:?}",
                t.label
            );
        }
    }

    /// `report` with a status event at its own time, as SP4N-LAPOR! gives one.
    fn report_with_status_event(id: &str, minute: u32, status: &str) -> RawRecord {
        let mut r = report(id, minute, status);
        edit_payload(&mut r, |s| {
            s.events.push(aduan_core::SourceEvent {
                at: s.updated_at,
                kind: aduan_core::EventKind::StatusChange,
                actor: None,
                text: Some(status.into()),
            })
        });
        r
    }

    /// A version that says it was changed years after it was received (a source's wrong
    /// year) is quarantined, naming the field: stored, it stood over every correction sent
    /// before that year. The corrections after it are stored, in one batch or several; so
    /// is a version dated within a day of its receipt (clocks disagree, a zone's local time
    /// labelled UTC).
    #[tokio::test]
    async fn a_version_dated_years_after_its_receipt_does_not_stand_over_corrections() {
        // Report A at `minute`, its payload received at 08:`minute` + `received` minutes,
        // saying it was changed `ahead` after that.
        let version = |minute: u32, status: &str, received: i64, ahead: chrono::TimeDelta| {
            let mut r = report("A", minute, status);
            let at = Utc
                .with_ymd_and_hms(2026, 11, 2, 8, minute, 0)
                .single()
                .expect("a valid time");
            let received_at = at + chrono::TimeDelta::minutes(received);
            r.received_at = received_at;
            edit_payload(&mut r, |s| s.updated_at = received_at + ahead);
            r
        };
        let first = version(0, "Terverifikasi", 1, chrono::TimeDelta::zero());
        // Written 2062 for 2026: 36 years ahead of its receipt.
        let typo = version(10, "Diproses", 1, chrono::TimeDelta::days(36 * 365));
        let corrected = version(20, "Selesai", 1, chrono::TimeDelta::zero());
        // A local time labelled UTC by a source 14 hours ahead: still read.
        let skewed = version(30, "Ditutup", 1, chrono::TimeDelta::hours(14));
        for batches in [
            vec![
                vec![first.clone()],
                vec![typo.clone()],
                vec![corrected.clone()],
            ],
            vec![vec![first.clone(), typo.clone(), corrected.clone()]],
            vec![vec![
                first.clone(),
                typo.clone(),
                corrected.clone(),
                skewed.clone(),
            ]],
        ] {
            let with_skewed = batches
                .iter()
                .flatten()
                .any(|r| r.source_ref == skewed.source_ref);
            for t in aduan_store::testing::all().await {
                let counts = written(&t, &batches).await;
                let status = rows(&t, "SELECT status_source FROM complaints").await;
                let want = if with_skewed { "Ditutup" } else { "Selesai" };
                assert_eq!(status, vec![vec![serde_json::json!(want)]], "{}", t.label);
                let quarantined = rows(
                    &t,
                    "SELECT record, field, reason FROM quarantine WHERE resolved_at IS NULL",
                )
                .await;
                assert_eq!(quarantined.len(), 1, "{}: {quarantined:?}", t.label);
                assert_eq!(quarantined[0][0], serde_json::json!("A"));
                assert_eq!(quarantined[0][1], serde_json::json!("updated_at"));
                let reason = quarantined[0][2].as_str().unwrap_or_default();
                assert!(
                    reason.starts_with("2062-") && reason.contains("(2026-11-02 08:11 UTC)"),
                    "{reason}"
                );
                assert_eq!(counts.quarantined, 1, "{}", t.label);
            }
        }
    }

    /// Two versions of a report dated within one microsecond (a source's time of 7 to 9
    /// digits), the newer met first: the same stands whether they come in one batch or in
    /// two, as a rebuild reads them at once where the live sync met them run by run. The
    /// stored row's `updated_at` is kept to the microsecond on both stores, and the older
    /// version, compared to the nanosecond with it, was taken for a newer one and stood over
    /// it when it came in a later batch, where in one batch the newer stood (review of session
    /// 47). Dated alike to the microsecond, the one met later stands, as versions dated alike
    /// do.
    #[tokio::test]
    async fn versions_within_one_microsecond_are_ordered_alike_in_one_batch_or_several() {
        let version = |status: &str, nanos: i64| {
            let mut r = report("A", 0, status);
            let updated_at = edit_payload(&mut r, |s| {
                s.updated_at += chrono::TimeDelta::nanoseconds(nanos);
                s.updated_at
            });
            r.received_at = updated_at + chrono::TimeDelta::minutes(1);
            r
        };
        let newer = version("Selesai", 700);
        let older = version("Diproses", 300);
        for batches in [
            vec![vec![newer.clone(), older.clone()]],
            vec![vec![newer.clone()], vec![older.clone()]],
        ] {
            for t in aduan_store::testing::all().await {
                written(&t, &batches).await;
                let status = rows(&t, "SELECT status_source FROM complaints").await;
                assert_eq!(
                    status,
                    vec![vec![serde_json::json!("Diproses")]],
                    "{}: {} batch(es)",
                    t.label,
                    batches.len()
                );
            }
        }
    }

    /// `resolved_at` (when it reached resolved or closed), `first_response_at` and the events
    /// of versions are the same whether the versions come in one batch or in several, as a
    /// rebuild reads many of them at once where the live sync met them run by run: a version
    /// still resolved keeps the earlier time unless its source says when it was finished, a
    /// reopening clears it (but not the answer the resolution was), a version older than the stored one adds no events, nor does a
    /// version's restating of the status it had.
    #[tokio::test]
    async fn versions_give_the_same_row_and_events_in_one_batch_or_several() {
        type Rows = (
            Option<serde_json::Value>,
            serde_json::Value,
            Option<serde_json::Value>,
        );
        async fn stored(batches: Vec<Vec<RawRecord>>) -> Vec<Rows> {
            let mut out = Vec::new();
            for t in aduan_store::testing::all().await {
                written(&t, &batches).await;
                let row = rows(&t, "SELECT resolved_at, first_response_at FROM complaints")
                    .await
                    .remove(0);
                let minute = |v: &serde_json::Value| {
                    v.as_str()
                        .map(|s| serde_json::Value::String(s[..16].replace(' ', "T")))
                };
                let (at, answered) = (minute(&row[0]), minute(&row[1]));
                let events = rows(&t, "SELECT COUNT(*) FROM complaint_events").await[0][0].clone();
                out.push((at, events, answered));
            }
            out
        }
        let done = |minute| report_with_status_event("A", minute, "Selesai");
        let reopened = |minute| report_with_status_event("A", minute, "Terverifikasi");
        let at = |minute: u32| Some(serde_json::json!(format!("2026-11-02T08:{minute:02}")));
        // Amended while resolved: the first resolution's time, in one batch or two, and one
        // status change (the second version's restates it).
        for batches in [
            vec![vec![done(0)], vec![done(5)]],
            vec![vec![done(0), done(5)]],
        ] {
            for (resolved, events, answered) in stored(batches).await {
                assert_eq!(resolved, at(0));
                assert_eq!(events, serde_json::json!(1));
                // Answered by the resolution, the first one.
                assert_eq!(answered, at(0));
            }
        }
        // Each change of status is one.
        for batches in [
            vec![vec![reopened(0)], vec![done(5)], vec![reopened(7)]],
            vec![vec![reopened(0), done(5), reopened(7)]],
        ] {
            for (resolved, events, answered) in stored(batches).await {
                assert_eq!(resolved, None);
                assert_eq!(events, serde_json::json!(3));
                // Reopened, and answered all the same.
                assert_eq!(answered, at(5));
            }
        }
        // Reopened and resolved again in one batch: the second resolution's time.
        for batches in [
            vec![vec![done(0)], vec![reopened(5)], vec![done(10)]],
            vec![vec![done(0)], vec![reopened(5), done(10)]],
        ] {
            for (resolved, _, answered) in stored(batches).await {
                assert_eq!(resolved, at(10));
                assert_eq!(answered, at(0));
            }
        }
        // A source that says when it was finished (from the history it carries, as Lapor
        // Gub!'s timeline): reopened and resolved again between two reads, its newest word,
        // in one batch or two; a time that only stands for it (the version's) keeps the
        // earliest, as above.
        let stated = |minute, finished: u32| {
            let mut r = done(minute);
            edit_payload(&mut r, |s| {
                s.resolved_at = Utc.with_ymd_and_hms(2026, 11, 2, 8, finished, 0).single()
            });
            r
        };
        for batches in [
            vec![vec![stated(0, 0)], vec![stated(10, 8)]],
            vec![vec![stated(0, 0), stated(10, 8)]],
            vec![vec![done(0)], vec![stated(10, 8)]],
        ] {
            for (resolved, _, answered) in stored(batches).await {
                assert_eq!(resolved, at(8));
                assert_eq!(answered, at(0));
            }
        }
        // Closed without an answer, then resolved: answered by the resolution, not the
        // closing; resolved (or closed) since the closing.
        let closed = |minute| report_with_status_event("A", minute, "Selesai otomatis");
        for batches in [
            vec![vec![closed(0)], vec![done(5)]],
            vec![vec![closed(0), done(5)]],
        ] {
            for (resolved, _, answered) in stored(batches).await {
                assert_eq!(resolved, at(0));
                assert_eq!(answered, at(5));
            }
        }
        // A status given with stray spaces restates itself as the same (review: each
        // version added a status change), also after one without them.
        let spaced = |minute| report_with_status_event("A", minute, "Selesai ");
        for batches in [
            vec![vec![spaced(0)], vec![spaced(5)]],
            vec![vec![spaced(0), spaced(5)]],
            vec![vec![done(0)], vec![spaced(5)]],
            vec![vec![done(0), spaced(5)]],
        ] {
            for (_, events, _) in stored(batches).await {
                assert_eq!(events, serde_json::json!(1));
            }
        }
        // An older version after a newer one adds nothing, in one batch or two.
        for batches in [
            vec![vec![done(5)], vec![reopened(0)]],
            vec![vec![done(5), reopened(0)]],
        ] {
            for (resolved, events, answered) in stored(batches).await {
                assert_eq!(resolved, at(5));
                assert_eq!(events, serde_json::json!(1));
                assert_eq!(answered, at(5));
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_next_batch_is_decided_against_the_batch_still_being_written() {
        let t = aduan_store::testing::sqlite().await;
        let n = normaliser();
        // Another connection holds the database's write lock, so the first batch's write
        // waits (busy timeout) while the second batch is read and decided; the lock goes a
        // second later, long after the second batch's lookups.
        let blocker = t
            .hold_write_lock(std::time::Duration::from_secs(1), "")
            .expect("a SQLite store");

        let mut behind = WriteBehind::default();
        let mut counts = Counts::default();
        let first = vec![
            report("A", 0, "Terverifikasi"),
            report("B", 0, "Terverifikasi"),
        ];
        each(&t, &n, first, &mut behind, &mut counts)
            .await
            .expect("first batch");
        assert_eq!(counts.batches, 0, "the first batch is still in flight");
        // B again, unchanged, and a newer version of A.
        let second = vec![report("B", 0, "Terverifikasi"), report("A", 5, "Selesai")];
        each(&t, &n, second, &mut behind, &mut counts)
            .await
            .expect("second batch");
        behind.flush(&mut counts).await.expect("flush");
        blocker.join().expect("the blocker ends");

        assert_eq!(
            (
                counts.batches,
                counts.fetched,
                counts.inserted,
                counts.updated,
                counts.unchanged
            ),
            (2, 4, 2, 1, 1),
            "{counts:?}"
        );
        let stored = t
            .store
            .current_rows(&["sp4n_lapor:A", "sp4n_lapor:B"])
            .await
            .expect("read");
        assert_eq!(stored.len(), 2);
        let a = &stored["sp4n_lapor:A"];
        assert_eq!(
            a.updated_at.format("%M").to_string(),
            "05",
            "A's newer version is stored"
        );
        assert_eq!(
            rows_in(&t, "raw_records").await,
            serde_json::json!(3),
            "B's payload is archived once"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_open_transaction_commits_by_itself_when_no_batch_follows() {
        let t = aduan_store::testing::sqlite().await;
        let n = normaliser();
        let mut behind = WriteBehind::default();
        let mut counts = Counts::default();
        one_report_a_batch(&t, &n, &["A", "B"], &mut behind, &mut counts).await;
        // No flush: the writer commits once no batch has come for a while, so that other
        // writers of the database (a lease, a webhook) are not kept waiting.
        let mut visible = 0;
        for _ in 0..100 {
            visible = t
                .store
                .current_rows(&["sp4n_lapor:A", "sp4n_lapor:B"])
                .await
                .expect("read")
                .len();
            if visible == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(visible, 2, "both batches committed without a flush");
        t.execute("UPDATE sync_state SET cursor = cursor").await;
        behind.written_but(0, &mut counts).await.expect("written");
        assert_eq!(
            (counts.batches, counts.inserted),
            (2, 2),
            "the committed batches are counted before any flush: {counts:?}"
        );
        behind.flush(&mut counts).await.expect("flush");
        assert_eq!((counts.batches, counts.inserted), (2, 2), "{counts:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_that_fails_rolls_back_every_batch_in_it_and_counts_none() {
        let t = aduan_store::testing::sqlite().await;
        let n = normaliser();
        refuse_complaint(&t, "B").await;
        // A writer that keeps its transaction open until it is flushed.
        let mut behind = committing_by_records(1, 100_000);
        let mut counts = Counts::default();
        one_report_a_batch(&t, &n, &["A", "B"], &mut behind, &mut counts).await;
        let err = behind
            .flush(&mut counts)
            .await
            .expect_err("B's write fails");
        assert!(err.to_string().contains("B refused"), "{err}");
        assert_eq!(
            counts,
            Counts::default(),
            "nothing committed, nothing counted"
        );
        for table in ["raw_records", "complaints", "complaint_events"] {
            assert_eq!(
                rows_in(&t, table).await,
                serde_json::json!(0),
                "{table}: A's batch was in B's transaction and went with it"
            );
        }
        behind
            .flush(&mut counts)
            .await
            .expect("a failed writer leaves nothing to flush");
        // The next batch starts a new transaction.
        next_batch_gets_a_new_writer(&t, &n, &mut behind, &mut counts).await;
    }

    /// A write that fails in a transaction after another committed leaves the committed
    /// batches counted: the run's summary and record say what was written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_committed_before_a_failed_transaction_are_counted() {
        let t = aduan_store::testing::sqlite().await;
        let n = normaliser();
        refuse_complaint(&t, "C").await;
        // A and B one transaction, C the next; all three handed over while another
        // connection holds the write lock, so that every answer is read after C's failed.
        let mut behind = committing_by_records(3, 2);
        let mut counts = Counts::default();
        let blocker = t
            .hold_write_lock(Duration::from_secs(1), "")
            .expect("a SQLite store");
        one_report_a_batch(&t, &n, &["A", "B", "C"], &mut behind, &mut counts).await;
        assert_eq!(counts.batches, 0, "nothing committed yet: {counts:?}");
        let err = behind
            .flush(&mut counts)
            .await
            .expect_err("C's write fails");
        blocker.join().expect("the blocker ends");
        assert!(err.to_string().contains("C refused"), "{err}");
        assert_eq!(
            (counts.batches, counts.fetched, counts.inserted),
            (2, 2, 2),
            "A's and B's transaction was committed: {counts:?}"
        );
        let stored = t
            .store
            .current_rows(&["sp4n_lapor:A", "sp4n_lapor:B", "sp4n_lapor:C"])
            .await
            .expect("read");
        assert_eq!(stored.len(), 2, "A and B stored, C not");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_that_fails_in_flight_stops_the_batches_behind_it_and_counts_nothing() {
        let t = aduan_store::testing::sqlite().await;
        let n = normaliser();
        // The first batch's write waits behind another connection, which drops a table the
        // write needs before it lets go: the write fails after the next batches were
        // decided and handed over.
        let blocker = t
            .hold_write_lock(std::time::Duration::from_secs(1), "DROP TABLE complaints")
            .expect("a SQLite store");
        let mut behind = WriteBehind::default();
        let mut counts = Counts::default();
        let mut handed = 0;
        let mut failure = None;
        for i in 0..=AHEAD {
            let batch = vec![report(&format!("R{i}"), 0, "Terverifikasi")];
            match each(&t, &n, batch, &mut behind, &mut counts).await {
                Ok(()) => handed += 1,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let err = failure.expect("the first batch's failure surfaces");
        assert_eq!(
            handed, AHEAD,
            "batches are handed over without waiting until {AHEAD} wait to be written"
        );
        blocker.join().expect("the blocker ends");
        assert!(
            err.to_string()
                .contains("upserting complaints of sp4n_lapor"),
            "{err}"
        );
        assert_eq!(
            counts,
            Counts::default(),
            "nothing committed, nothing counted"
        );
        behind
            .flush(&mut counts)
            .await
            .expect("nothing left in flight");
        assert_eq!(
            rows_in(&t, "raw_records").await,
            serde_json::json!(0),
            "the failed batch is rolled back whole (its archived payload too), and those behind it were never written"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_handed_over_after_a_failed_write_is_told_that_write_s_error() {
        let t = aduan_store::testing::sqlite().await;
        let n = normaliser();
        refuse_complaint(&t, "A").await;
        let mut behind = WriteBehind::default();
        let mut counts = Counts::default();
        one_report_a_batch(&t, &n, &["A"], &mut behind, &mut counts).await;
        // A's write fails and the writer ends before its answer is read: the next batch
        // finds room ahead and meets a closed writer.
        for _ in 0..500 {
            if behind.writer.as_ref().is_none_or(|w| w.task.is_finished()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            behind.writer.as_ref().is_none_or(|w| w.task.is_finished()),
            "the writer ended on A's failure"
        );
        // B is handed over without waiting for A's answer.
        const { assert!(AHEAD > 1) };
        let err = each(
            &t,
            &n,
            vec![report("B", 0, "Terverifikasi")],
            &mut behind,
            &mut counts,
        )
        .await
        .expect_err("the writer has stopped");
        assert!(err.to_string().contains("A refused"), "{err}");
        assert_eq!(
            counts,
            Counts::default(),
            "nothing committed, nothing counted"
        );
        next_batch_gets_a_new_writer(&t, &n, &mut behind, &mut counts).await;
    }

    /// Report `id` as a payload whose identity stands in for one given later (see
    /// `aduan_core::Standing`): a stand-in (`claims: None`), or the record under its own id
    /// taking the place of the stand-in `claims` names, at `minute`.
    fn standing(id: &str, claims: Option<&str>, minute: u32) -> RawRecord {
        let mut r = report(id, minute, "Terverifikasi");
        edit_payload(&mut r, |s| match claims {
            None => {
                s.external_id_private = Some("081328765432".into());
                s.standing = aduan_core::Standing::StandIn;
            }
            Some(stand_in) => {
                s.standing = aduan_core::Standing::Replaces {
                    external_id: stand_in.into(),
                    external_id_private: Some("081328765432".into()),
                };
            }
        });
        r
    }

    /// A stand-in stored by an earlier run, and two batches of one run that each take its
    /// place (a 112 call with its ticket in two days' exports), the first batch not yet
    /// committed when the second is decided: the stand-in is removed once and counted once,
    /// as replaced, not as folded (review: the second batch still found it in the store,
    /// and the run's summary said "2 folded into others").
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stand_in_claimed_in_two_open_batches_of_a_run_is_replaced_once() {
        let t = aduan_store::testing::sqlite().await;
        let n = normaliser();
        let first = written(&t, &[vec![standing("S", None, 0)]]).await;
        assert_eq!(first.inserted, 1, "{first:?}");
        let stand_ins = "SELECT COUNT(*) FROM complaints WHERE external_id LIKE 'S-%'";
        assert_eq!(rows(&t, stand_ins).await[0][0], serde_json::json!(1));

        // Neither batch commits before the flush (by records, age or idleness).
        let mut behind = committing_by_records(2, 1_000);
        let mut counts = Counts::default();
        for (id, minute) in [("T", 5), ("T", 6)] {
            each(
                &t,
                &n,
                vec![standing(id, Some("S"), minute)],
                &mut behind,
                &mut counts,
            )
            .await
            .expect("handed to the writer");
        }
        assert_eq!(counts.batches, 0, "both batches are still open");
        behind.flush(&mut counts).await.expect("flush");

        assert_eq!(
            rows(&t, stand_ins).await[0][0],
            serde_json::json!(0),
            "replaced"
        );
        assert_eq!(
            (counts.batches, counts.replaced, counts.removed),
            (2, 1, 0),
            "{counts:?}"
        );
    }
}
