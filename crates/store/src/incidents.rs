//! `incident_id`: the store reads each reporter's complaints in turn for a rule it is given
//! (the normaliser's), and writes back what changed.

use aduan_core::IncidentCandidate;
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::error::Context;
use crate::write::Tables;
use crate::{on_pool, Result, Store};

/// What is stored of a complaint the rule reads, beside what it reads: its reporter, its
/// `incident_id` and the content's hash.
struct Stored {
    reporter_key: String,
    incident_id: Option<String>,
    row_hash: String,
}

/// An `incident_id` to write: complaint, the content it was read with, the id.
type Change = (String, String, Option<String>);

impl Store {
    /// Gives every complaint its `incident_id` by `rule`, which is handed one reporter's
    /// complaints at a time (`kind` `complaint` with a `reporter_key` and a main category;
    /// others have none; a reporter who used one channel only is not handed over: the rule
    /// links none of theirs) and gives each its id. Only complaints whose id changes are
    /// written (`synced_at` set to `now`), and only while their content is what was read (on
    /// PostgreSQL a run may write meanwhile: its version keeps its id until the next pass).
    /// Passes run one at a time, in one transaction each. In the rebuild's tables when
    /// `rebuild`. The number of complaints whose id changed.
    ///
    /// SQL groups the whole table by reporter; one reporter's complaints are in memory at a
    /// time, and the ids to write.
    pub async fn link_incidents(
        &self,
        rebuild: bool,
        now: DateTime<Utc>,
        rule: impl Fn(&[IncidentCandidate]) -> Vec<Option<String>>,
    ) -> Result<u64> {
        let t = Tables::of(rebuild);
        let what = || "linking the complaints of one incident".to_string();
        const ELIGIBLE: &str =
            "kind = 'complaint' AND reporter_key IS NOT NULL AND category_main IS NOT NULL";
        // Only reporters who used two channels or more can have an incident, and those whose
        // complaints have one now (it may go): the rest of the table is grouped by SQL alone.
        let sql = format!(
            "SELECT reporter_key, complaint_id, channel, category_main, reported_at, incident_id, \
             row_hash FROM {c} WHERE {ELIGIBLE} AND (incident_id IS NOT NULL OR reporter_key IN \
             (SELECT reporter_key FROM {c} WHERE {ELIGIBLE} GROUP BY reporter_key \
             HAVING COUNT(DISTINCT channel) > 1)) ORDER BY reporter_key, complaint_id",
            c = t.complaints
        );
        let clear = format!(
            "UPDATE {} SET incident_id = NULL, synced_at = $1 \
             WHERE incident_id IS NOT NULL AND NOT ({ELIGIBLE})",
            t.complaints
        );
        let set = format!(
            "UPDATE {} SET incident_id = $1, synced_at = $2 \
             WHERE complaint_id = $3 AND row_hash = $4",
            t.complaints
        );
        // One pass at a time, reading what the pass before it wrote: the clearing `UPDATE`
        // first takes SQLite's write lock for the whole pass; PostgreSQL takes a lock of its
        // own for the transaction (per schema).
        let lock = match &self.backend {
            crate::Backend::Sqlite(_) => None,
            crate::Backend::Postgres(_) => Some(
                // The two-key form: a key space of its own, apart from the leases' and fences'.
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('aduan incidents'))",
            ),
        };
        let mut changes: Vec<Change> = Vec::new();
        // One reporter's complaints, as the rule reads them and as they are stored.
        let mut group: (Vec<IncidentCandidate>, Vec<Stored>) = Default::default();
        let decide = |group: &mut (Vec<IncidentCandidate>, Vec<Stored>),
                      changes: &mut Vec<Change>| {
            let ids = rule(&group.0);
            for ((candidate, stored), id) in group.0.drain(..).zip(group.1.drain(..)).zip(ids) {
                if stored.incident_id != id {
                    changes.push((candidate.complaint_id, stored.row_hash, id));
                }
            }
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.context(what)?;
            if let Some(lock) = lock {
                sqlx::query(lock).execute(&mut *tx).await.context(what)?;
            }
            // A pass of the live tables links every complaint committed before it reads
            // them: the passes left due (by a failure, or by writes whose pass was never
            // made) are done with it. Removed before the reading, not after: a failure or a
            // write recorded meanwhile is of complaints this pass may not have read, and
            // stays. And first, before the pass locks any complaint: on PostgreSQL it waits
            // here for writers holding their rows, which lock them before any complaint.
            // On PostgreSQL the pass waits here for the writers at work (a transaction of at
            // most a few seconds holds its channel's row): the complaints they write are then
            // committed, and read. Skipping their rows instead, the pass would lock
            // complaints while they still write others, and the two could wait for each
            // other (review: a deadlock, reproduced).
            if !rebuild {
                sqlx::query(&format!("DELETE FROM sync_state WHERE {PENDING_ROWS}"))
                    .execute(&mut *tx)
                    .await
                    .context(what)?;
            }
            let mut changed = sqlx::query(&clear)
                .bind(now)
                .execute(&mut *tx)
                .await
                .context(what)?
                .rows_affected();
            {
                let mut rows = sqlx::query(&sql).fetch(&mut *tx);
                while let Some(row) = std::future::poll_fn(|cx| rows.as_mut().poll_next(cx)).await
                {
                    let row = row.context(what)?;
                    let (candidate, stored) = (|| -> std::result::Result<_, sqlx::Error> {
                        Ok((
                            IncidentCandidate {
                                complaint_id: row.try_get(1)?,
                                channel: row.try_get(2)?,
                                category_main: row.try_get(3)?,
                                reported_at: row.try_get(4)?,
                            },
                            Stored {
                                reporter_key: row.try_get(0)?,
                                incident_id: row.try_get(5)?,
                                row_hash: row.try_get(6)?,
                            },
                        ))
                    })()
                    .context(what)?;
                    if group
                        .1
                        .last()
                        .is_some_and(|last| last.reporter_key != stored.reporter_key)
                    {
                        decide(&mut group, &mut changes);
                    }
                    group.0.push(candidate);
                    group.1.push(stored);
                }
            }
            decide(&mut group, &mut changes);
            for (id, row_hash, incident) in &changes {
                changed += sqlx::query(&set)
                    .bind(incident)
                    .bind(now)
                    .bind(id)
                    .bind(row_hash)
                    .execute(&mut *tx)
                    .await
                    .context(what)?
                    .rows_affected();
            }
            tx.commit().await.context(what)?;
            Ok(changed)
        })
    }

    /// Records that a pass over the live tables failed after complaints changed, so that
    /// the next run links them, in whichever process (`sync_state` under
    /// [`INCIDENTS_PENDING`]; a pass that succeeds removes it).
    pub async fn incidents_pending(&self) -> Result<()> {
        let what = || "recording that incidents are to be linked".to_string();
        on_pool!(self, pool => {
            sqlx::query(crate::write::CURSOR_SQL)
                .bind(INCIDENTS_PENDING)
                .bind("a pass failed")
                .bind(Utc::now())
                .execute(pool)
                .await
                .context(what)?;
            Ok(())
        })
    }

    /// Whether a pass over the live tables is due: one failed since the last that
    /// succeeded (see [`incidents_pending`](Self::incidents_pending)), or complaints were
    /// written since and their pass was not made (a killed process; see
    /// [`crate::Writes::write`]).
    ///
    /// With `before`, only a pass due since before then: a writer still at work refreshes its
    /// channel's row with each transaction and makes its own pass when it ends; one whose row
    /// is older was stopped before its pass.
    pub async fn incidents_are_pending(&self, before: Option<DateTime<Utc>>) -> Result<bool> {
        let what = || "reading whether incidents are to be linked".to_string();
        on_pool!(self, pool => {
            let due: Option<i32> = sqlx::query_scalar(&format!(
                "SELECT 1 FROM sync_state WHERE {PENDING_ROWS} \
                 AND ($1 IS NULL OR updated_at < $1) LIMIT 1"
            ))
            .bind(before)
            .fetch_optional(pool)
            .await
            .context(what)?;
            Ok(due.is_some())
        })
    }
}

/// The `sync_state` row of a failed pass; those of complaints written before a pass are
/// this followed by the channel ([`pending_key`]).
pub const INCIDENTS_PENDING: &str = "__incidents__";

/// The `sync_state` rows that say a pass is due (`__incidents__` and `__incidents__<channel>`).
pub(crate) const PENDING_ROWS: &str = "substr(channel, 1, 13) = '__incidents__'";

/// The `sync_state` row that says `channel` wrote complaints and a pass is due.
pub(crate) fn pending_key(channel: &str) -> String {
    format!("{INCIDENTS_PENDING}{channel}")
}
