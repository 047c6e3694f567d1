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
    /// SQL groups the complaints by reporter from an index (`reporters_sql`); the reporters
    /// handed over are in memory, one reporter's complaints at a time, and the ids to write.
    pub async fn link_incidents(
        &self,
        rebuild: bool,
        now: DateTime<Utc>,
        rule: impl Fn(&[IncidentCandidate]) -> Vec<Option<String>>,
    ) -> Result<u64> {
        let t = Tables::of(rebuild);
        // The time kept as the batches keep it, to the microsecond on either store.
        let now = crate::to_the_microsecond(now);
        let what = || "linking the complaints of one incident".to_string();
        let clear = clear_sql(t.complaints);
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
            // The reporters to hand over, then their complaints a few hundred reporters at
            // a time, each sought through the index (a statement with them all in it leaves
            // the plan to estimates of how many there are: PostgreSQL then reads the whole
            // table rather than look each up). A SQLite rebuild's tables have no secondary
            // index until they are put in place: one statement then, two scans of the
            // table (review: a scan for every few hundred reporters).
            let whole = rebuild && matches!(self.backend, crate::Backend::Sqlite(_));
            let reporters: Vec<String> = if whole {
                Vec::new()
            } else {
                sqlx::query_scalar(&reporters_sql(t.complaints))
                    .fetch_all(&mut *tx)
                    .await
                    .context(what)?
            };
            let reads: Vec<(String, &[String])> = if whole {
                vec![(whole_sql(t.complaints), &[][..])]
            } else {
                reporters
                    .chunks(REPORTERS_AT_ONCE)
                    .map(|some| (read_sql(t.complaints, some.len()), some))
                    .collect()
            };
            for (sql, some) in &reads {
                let mut query = sqlx::query(sql);
                for key in *some {
                    query = query.bind(key);
                }
                let mut rows = query.fetch(&mut *tx);
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
    /// `INCIDENTS_PENDING`; a pass that succeeds removes it).
    pub async fn incidents_pending(&self) -> Result<()> {
        let what = || "recording that incidents are to be linked".to_string();
        on_pool!(self, pool => {
            sqlx::query(crate::write::CURSOR_SQL)
                .bind(INCIDENTS_PENDING)
                .bind("a pass failed")
                .bind(crate::to_the_microsecond(Utc::now()))
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

/// The complaints the rule may link: those the partial index `complaints_reporter` holds.
const ELIGIBLE: &str =
    "kind = 'complaint' AND reporter_key IS NOT NULL AND category_main IS NOT NULL";

/// The reporters a pass hands over, in order: those who used two channels or more can have
/// an incident, and those whose complaints have one now (it may go). Grouped by SQL from the
/// index of reporters and channels alone (`complaints_reporter`, migration 0012), the
/// complaints that have an incident found through theirs (`complaints_incident`): not the
/// whole table with its texts (about 2 GB at a million complaints, read after every run that
/// changed one, holding SQLite's write lock). Few in a city's data; held in memory for
/// the pass.
fn reporters_sql(complaints: &str) -> String {
    format!(
        "{} UNION SELECT reporter_key FROM {complaints} WHERE incident_id IS NOT NULL \
         AND {ELIGIBLE} ORDER BY 1",
        several_channels(complaints)
    )
}

/// The reporters who used two channels or more.
fn several_channels(complaints: &str) -> String {
    format!(
        "SELECT reporter_key FROM {complaints} WHERE {ELIGIBLE} GROUP BY reporter_key \
         HAVING MIN(channel) <> MAX(channel)"
    )
}

/// What the rule reads of a complaint, and what is stored beside it.
const READ: &str =
    "reporter_key, complaint_id, channel, category_main, reported_at, incident_id, row_hash";

/// How many reporters' complaints one statement reads.
const REPORTERS_AT_ONCE: usize = 200;

/// What a pass reads of the complaints of `n` reporters (`$1`…`$n`), in order of reporter.
fn read_sql(complaints: &str, n: usize) -> String {
    let keys: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    format!(
        "SELECT {READ} FROM {complaints} WHERE {ELIGIBLE} AND reporter_key IN ({}) \
         ORDER BY reporter_key, complaint_id",
        keys.join(", ")
    )
}

/// What a pass reads of `complaints` in one statement, for tables without the indexes (a
/// SQLite rebuild's, before they are put in place): the complaints of the reporters who used
/// two channels or more, and those that have an id, in order of reporter; the table is
/// scanned twice.
fn whole_sql(complaints: &str) -> String {
    format!(
        "SELECT {READ} FROM {complaints} WHERE {ELIGIBLE} AND (incident_id IS NOT NULL OR \
         reporter_key IN ({})) ORDER BY reporter_key, complaint_id",
        several_channels(complaints)
    )
}

/// Clears the `incident_id` of complaints the rule no longer reads (`$1` the time), found
/// through `complaints_incident`.
fn clear_sql(complaints: &str) -> String {
    format!(
        "UPDATE {complaints} SET incident_id = NULL, synced_at = $1 \
         WHERE incident_id IS NOT NULL AND NOT ({ELIGIBLE})"
    )
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

#[cfg(test)]
mod tests {
    /// The plan of `sql` on `conn` (its lines' texts), every parameter bound to 0.
    fn plan(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let binds = vec![0; stmt.parameter_count()];
        stmt.query_map(rusqlite::params_from_iter(binds), |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// A SQLite rebuild's tables have no secondary index until they are put in place (they
    /// are made from the table's definition alone): the pass reads them in one statement,
    /// two scans of the table, not one for every few hundred reporters (review).
    #[test]
    fn a_pass_over_a_rebuilds_tables_scans_them_twice_at_most() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for m in crate::migrate::SQLITE {
            conn.execute_batch(m.sql)
                .unwrap_or_else(|e| panic!("{}: {e}", m.name));
        }
        let table: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'complaints'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute_batch(&table.replacen("complaints", "complaints_rebuild", 1))
            .unwrap();
        let sql = super::whole_sql("complaints_rebuild");
        let plan = plan(&conn, &sql);
        let scans = plan.iter().filter(|l| l.starts_with("SCAN")).count();
        assert!(scans <= 2, "{sql}: {plan:?}");
    }

    /// On SQLite, in the store's own schema (its migrations), a pass reads the complaints
    /// through the indexes of reporters and of incidents alone (grouping by reporter reads the
    /// index and none of the table), and the table's rows of the reporters it chose only:
    /// never the whole table row by row, about 2 GB at a million complaints read after every
    /// run that changed one, holding the write lock.
    #[test]
    fn a_pass_reads_the_indexes_not_the_whole_table() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for m in crate::migrate::SQLITE {
            conn.execute_batch(m.sql)
                .unwrap_or_else(|e| panic!("{}: {e}", m.name));
        }
        for sql in [
            super::reporters_sql("complaints"),
            super::read_sql("complaints", 3),
            super::clear_sql("complaints"),
        ] {
            let plan = plan(&conn, &sql);
            let reads: Vec<&String> = plan.iter().filter(|l| l.contains("complaints")).collect();
            assert!(!reads.is_empty(), "{sql}: {plan:?}");
            // The chosen reporters' complaints are sought one reporter at a time, not found
            // by walking the whole index and reading each row it names.
            if sql.contains(" IN ($1") {
                assert!(
                    plan.iter()
                        .any(|l| l.contains("INDEX complaints_reporter (reporter_key=?)")),
                    "{sql}: {plan:?}"
                );
            }
            for line in reads {
                assert!(
                    line.contains("INDEX complaints_reporter")
                        || line.contains("INDEX complaints_incident"),
                    "{sql}: {plan:?}"
                );
            }
        }
    }
}
