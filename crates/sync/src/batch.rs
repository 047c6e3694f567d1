//! One batch: archive, parse, normalise, decide, write.

use std::collections::{BTreeMap, HashMap, HashSet};

use aduan_core::{FieldError, RawRecord, SourceComplaint};
use aduan_normalise::Normaliser;
use aduan_store::{ComplaintRow, EventRow, NewRaw, QuarantineRow, Store, WriteBatch};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

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
    /// Values the tables did not know, by value (`unknown status "X"`).
    pub unknown: BTreeMap<String, u64>,
    /// The last quarantine reason.
    pub last_error: Option<String>,
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

fn hex_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether a version (its content hash and `updated_at`) changes the stored row: different
/// content, and not older than what is stored.
fn changes(stored: &aduan_store::CurrentRow, row_hash: &str, updated_at: DateTime<Utc>) -> bool {
    stored.row_hash != row_hash && stored.updated_at <= updated_at
}

/// Processes one batch of raw records of `channel` and commits it with `cursor`.
///
/// With `archive`, payloads already archived are recognised by their hash and change
/// nothing, and new ones are archived in the same transaction. Without it (rebuilds,
/// retries) every record is processed and nothing is archived again.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn process(
    store: &Store,
    normaliser: &Normaliser,
    channel: &str,
    run_id: Option<&str>,
    parse: impl Fn(&RawRecord) -> Result<Vec<SourceComplaint>, FieldError>,
    records: Vec<RawRecord>,
    cursor: Option<&str>,
    archive: bool,
    counts: &mut Counts,
) -> Result<()> {
    counts.fetched += records.len() as u64;
    let hashes: Vec<Vec<u8>> = records.iter().map(|r| sha256(&r.payload)).collect();
    let known = if archive {
        store.known_hashes(channel, &hashes).await?
    } else {
        HashSet::new()
    };
    let mut seen = HashSet::new();
    let mut raws = Vec::new();
    let mut quarantine = Vec::new();
    // Latest normalised version of each complaint in this batch, in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut latest: HashMap<String, ComplaintRow> = HashMap::new();
    let mut events: Vec<EventRow> = Vec::new();
    let mut outcomes: Vec<(String, String, DateTime<Utc>)> = Vec::new();
    for (record, hash) in records.into_iter().zip(hashes) {
        if known.contains(&hash) || !seen.insert(hash.clone()) {
            counts.unchanged += 1;
            continue;
        }
        let parsed = parse(&record).and_then(|sources| {
            sources
                .iter()
                .map(|s| {
                    normaliser
                        .normalise(s)
                        .map_err(|e| FieldError::new(channel, &s.external_id, "", e.to_string()))
                })
                .collect::<Result<Vec<_>, FieldError>>()
        });
        match parsed {
            Ok(list) => {
                for n in list {
                    for w in &n.warnings {
                        *counts.unknown.entry(w.to_string()).or_insert(0) += 1;
                    }
                    let row_hash = serde_json::to_vec(&n.complaint)
                        .map(|b| hex_hash(&b))
                        .unwrap_or_default();
                    for e in n.events {
                        let key = format!(
                            "{}|{}|{}|{}",
                            e.occurred_at.timestamp(),
                            e.kind,
                            e.actor.as_deref().unwrap_or(""),
                            e.body.as_deref().unwrap_or("")
                        );
                        events.push(EventRow {
                            event: e,
                            event_key: hex_hash(key.as_bytes())[..32].to_string(),
                        });
                    }
                    let id = n.complaint.complaint_id.clone();
                    outcomes.push((id.clone(), row_hash.clone(), n.complaint.updated_at));
                    if !latest.contains_key(&id) {
                        order.push(id.clone());
                    }
                    let newer = latest
                        .get(&id)
                        .is_none_or(|c| c.complaint.updated_at <= n.complaint.updated_at);
                    if newer {
                        latest.insert(
                            id,
                            ComplaintRow {
                                complaint: n.complaint,
                                row_hash,
                            },
                        );
                    }
                }
            }
            Err(e) => {
                tracing::info!(channel, record = %e.record, field = %e.field, error = %e, "Record quarantined.");
                counts.quarantined += 1;
                counts.last_error = Some(e.to_string());
                quarantine.push(QuarantineRow {
                    content_hash: hash.clone(),
                    source_ref: record.source_ref.clone(),
                    record: e.record,
                    field: e.field,
                    reason: e.reason,
                    payload: record.payload.clone(),
                });
            }
        }
        if archive {
            raws.push(NewRaw {
                source_ref: record.source_ref,
                external_id: record.external_id,
                received_at: record.received_at,
                content_hash: hash,
                payload: record.payload,
            });
        }
    }
    // Decide each record against what is stored (and what this batch wrote before it).
    let ids: Vec<&str> = order.iter().map(String::as_str).collect();
    let stored = store.current_rows(&ids).await?;
    let mut current = stored.clone();
    for (id, row_hash, updated_at) in outcomes {
        match current.get(&id) {
            None => counts.inserted += 1,
            Some(c) if !changes(c, &row_hash, updated_at) => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
        }
        current.insert(
            id,
            aduan_store::CurrentRow {
                row_hash,
                updated_at,
            },
        );
    }
    // Only rows whose stored content differs are written.
    let complaints: Vec<ComplaintRow> = order
        .iter()
        .filter_map(|id| latest.remove(id))
        .filter(|row| {
            stored
                .get(&row.complaint.complaint_id)
                .is_none_or(|c| changes(c, &row.row_hash, row.complaint.updated_at))
        })
        .collect();
    let changed: HashSet<&str> = complaints
        .iter()
        .map(|c| c.complaint.complaint_id.as_str())
        .collect();
    let events: Vec<EventRow> = events
        .into_iter()
        .filter(|e| changed.contains(e.event.complaint_id.as_str()))
        .collect();
    store
        .write_batch(&WriteBatch {
            channel,
            run_id,
            now: Utc::now(),
            raws: &raws,
            complaints: &complaints,
            events: &events,
            quarantine: &quarantine,
            cursor,
        })
        .await?;
    counts.batches += 1;
    Ok(())
}
