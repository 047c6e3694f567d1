//! Reading: status, quarantine, raw records for rebuilding, summaries and analysts' queries.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{Column, ConnectOptions, Executor, Row, Statement, TypeInfo, ValueRef};

use crate::error::Context;
use crate::lexing::{first_word, statement_end, Dialect};
use crate::packing::Unpacking;
use crate::write::COMPLAINT_COLUMNS;
use crate::{on_pool, Backend, Error, GroupLink, Result, RunRecord, Store};

/// Values per multi-row lookup: well under SQLite's 32,766 variables. Such statements vary in
/// length, so they are not kept in the connection's statement cache (`persistent(false)`),
/// where hundreds of large prepared statements would make memory grow with the data.
const CHUNK: usize = 500;

/// The order a group's payloads are folded in, over `raw_groups g` (see migration 0007):
/// their arrival, a payload that came back after every payload archived before it came back
/// and before every one archived after; those that came back at once in the order they did.
const GROUP_ORDER: &str =
    "COALESCE(g.arrival, g.raw_id), COALESCE(g.again_seq, 9223372036854775807), g.raw_id";

/// The latest runs and the state of one channel.
#[derive(Debug, Clone)]
pub struct ChannelStatus {
    /// The channel id.
    pub channel: String,
    /// Its saved cursor.
    pub cursor: Option<String>,
    /// Complaints stored.
    pub complaints: i64,
    /// Open quarantine entries.
    pub quarantined_open: i64,
    /// The latest runs that were not skipped, newest first.
    pub runs: Vec<RunRecord>,
    /// Runs skipped (another run held the channel) since the latest of `runs` started (all
    /// the channel's, when it has no other), and when the latest of them started.
    pub skipped_since: (i64, Option<DateTime<Utc>>),
    /// The latest run that was not skipped, also when `runs` holds none (asked for none):
    /// running, or ended.
    pub latest: Option<RunRecord>,
    /// The channel's run going on now, in any process on the store: `latest`, when it has no
    /// end and holds the channel's lease (see [`Store::runs_in_progress`]); a run without an
    /// end that is not this one was killed.
    pub running: Option<crate::RunInProgress>,
    /// While a run goes on (`running`), the run before it that was not skipped: the last one
    /// that ended (or was killed, without an end), whose outcome stands until the one going
    /// on ends.
    pub before_running: Option<RunRecord>,
}

/// One row of `quarantine`.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct QuarantineEntry {
    pub quarantine_id: i64,
    pub channel: String,
    pub raw_id: Option<i64>,
    pub source_ref: String,
    pub record: String,
    pub field: String,
    pub reason: String,
    pub payload: Vec<u8>,
    pub run_id: Option<String>,
    pub quarantined_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who dismissed the entry (see [`Store::dismiss_quarantine`]): closed by hand, its
    /// `resolved_at` when; `None` for an entry open or resolved otherwise.
    pub dismissed_by: Option<String>,
    /// Why it was dismissed, as the admin gave it.
    pub dismissed_reason: Option<String>,
}

/// Which archived payloads [`Store::raws`] lists.
#[derive(Debug, Clone)]
pub struct RawFilter {
    /// Only this channel's.
    pub channel: Option<String>,
    /// Only those of this record (`external_id`, the channel's own id).
    pub external_id: Option<String>,
    /// At most this many.
    pub limit: i64,
}

/// One archived payload.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct StoredRaw {
    pub raw_id: i64,
    pub channel: String,
    pub source_ref: String,
    pub external_id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub content_hash: Vec<u8>,
    pub payload: Vec<u8>,
}

/// An archived payload as stored: packed with dictionary `dictionary_id`, or not.
#[derive(sqlx::FromRow)]
pub(crate) struct PackedRaw {
    #[sqlx(flatten)]
    pub raw: StoredRaw,
    pub dictionary_id: Option<i64>,
}

/// Complaints per channel and kind.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct SummaryRow {
    pub channel: String,
    pub kind: String,
    pub count: i64,
}

/// The columns and rows of a read-only query, values as JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows, each value in column order.
    pub rows: Vec<Vec<serde_json::Value>>,
    /// For each column, whether its values are numbers given as their texts, exactly as
    /// the store writes them: PostgreSQL's `numeric`, whose digits past about 17 a JSON
    /// number read as a double would lose (`AVG` of integers, a `SUM` of large ones), and
    /// whose scale it keeps (`1.50`). Such a text is a JSON number as it is written
    /// (`NaN` and `Infinity` are not). So are PostgreSQL's `json` and `jsonb` values, its
    /// arrays (but of doubles) and its composite values (a `ROW(…)`, a table's row), whose
    /// numbers are kept the same way: each is given as its JSON text, compact
    /// (`{"a":1.50}`, `[1.50,2]`, `"a text"`; a `json` value's texts with the escapes it was
    /// written with, a `jsonb` value's as PostgreSQL writes them), the times in an array or
    /// a composite value as a time alone is written (a SQL `NULL` is a null, a `json` or
    /// `jsonb` value's JSON `null` its text, `null`, as PostgreSQL's own client shows it).
    /// Empty when there is none.
    pub exact_numbers: Vec<bool>,
}

const RUN_COLUMNS: &str = "run_id, channel, started_at, finished_at, outcome, fetched, inserted, \
    updated, unchanged, quarantined, error, report";
/// A channel's (`$1`) latest runs that were not skipped (another run held the channel),
/// newest first, at most `$2`: read through the partial index `sync_runs_worked` (migration
/// 0016), not past every skipped run since, whose condition this repeats as it is written
/// there (SQLite uses a partial index only for a query whose condition holds the index's).
fn worked_runs_sql() -> String {
    format!(
        "SELECT {RUN_COLUMNS} FROM sync_runs WHERE channel = $1 \
         AND (outcome IS NULL OR outcome <> 'skipped') \
         ORDER BY started_at DESC, run_id DESC LIMIT $2"
    )
}

const QUARANTINE_COLUMNS: &str = "quarantine_id, channel, raw_id, source_ref, record, field, \
    reason, payload, run_id, quarantined_at, resolved_at, dismissed_by, dismissed_reason";

/// The stored payload bytes a page of the archive read for processing holds (after its
/// first row): a rebuild or an inbox reads its next page while it works on one, and an
/// archive of payloads of megabytes (photos pasted into a report) would otherwise hold
/// gigabytes at once.
pub const PAGE_BYTES: usize = 16 << 20;

/// `sql` (archived rows in `raw_id` order, with a `LIMIT`) ending where the rows' stored
/// payloads reach [`PAGE_BYTES`], on PostgreSQL (whose `octet_length` of a stored value does
/// not read it).
fn within_page_bytes(sql: &str) -> String {
    format!(
        "SELECT raw_id, channel, source_ref, external_id, received_at, content_hash, payload, dictionary_id \
         FROM (SELECT q.*, SUM(octet_length(q.payload)) OVER (ORDER BY q.raw_id) AS upto FROM ({sql}) q) w \
         WHERE upto - octet_length(payload) < {PAGE_BYTES} ORDER BY raw_id"
    )
}

/// A page of [`Store::samples`]: a channel's (`$1`) payloads before `$2`, newest first, of at
/// most `$3` stored bytes, at most `$4`; those stored as received alone when `plain` (through
/// the index `raw_records_plain`, which holds them alone).
pub(crate) fn samples_sql(plain: bool) -> String {
    format!(
        "SELECT raw_id, payload, dictionary_id FROM raw_records \
         WHERE channel = $1 {} AND raw_id < $2 AND LENGTH(payload) <= $3 \
         ORDER BY raw_id DESC LIMIT $4",
        if plain {
            "AND dictionary_id IS NULL"
        } else {
            ""
        }
    )
}

impl Store {
    /// The state of every channel that has runs (kept, or moved into the totals), a cursor or
    /// complaints.
    pub async fn channel_status(&self, runs_per_channel: i64) -> Result<Vec<ChannelStatus>> {
        on_pool!(self, pool => {
            // The channels of the complaints by a walk over `(channel, reported_at)`, one
            // probe a channel (review: the whole table was read, half a second at 500,000).
            let channels: Vec<String> = sqlx::query_scalar(
                "WITH RECURSIVE c(channel) AS (SELECT MIN(channel) FROM complaints \
                 UNION ALL SELECT (SELECT MIN(k.channel) FROM complaints k WHERE k.channel > c.channel) \
                 FROM c WHERE c.channel IS NOT NULL) \
                 SELECT channel FROM sync_runs UNION SELECT channel FROM sync_run_totals \
                 UNION SELECT channel FROM sync_state WHERE channel NOT IN ('__rebuild__', '__built_with__') AND substr(channel, 1, 13) <> '__incidents__' \
                 UNION SELECT channel FROM c WHERE channel IS NOT NULL ORDER BY 1",
            )
            .fetch_all(pool)
            .await
            .context(|| "listing channels".into())?;
            let mut out = Vec::new();
            for channel in channels {
                let cursor = self.cursor(&channel).await?;
                let complaints: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM complaints WHERE channel = $1")
                        .bind(&channel)
                        .fetch_one(pool)
                        .await
                        .context(|| format!("counting complaints of {channel}"))?;
                let quarantined_open: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM quarantine WHERE channel = $1 AND resolved_at IS NULL",
                )
                .bind(&channel)
                .fetch_one(pool)
                .await
                .context(|| format!("counting quarantine of {channel}"))?;
                #[cfg(test)]
                status_pauses::pause(&channel, status_pauses::Stage::BeforeRuns);
                // A skipped run did nothing (another run held the channel): the runs shown
                // are those that did the work, the skipped ones since counted (review, session
                // 46: replicas' ticks filled the runs shown, hiding a failure or a run going on).
                let mut runs = sqlx::query_as::<_, RunRecord>(&worked_runs_sql())
                .bind(&channel)
                .bind(runs_per_channel)
                .fetch_all(pool)
                .await
                .context(|| format!("reading runs of {channel}"))?;
                let mut latest = match runs.first() {
                    Some(r) => Some(r.clone()),
                    None => self.last_run(&channel).await?,
                };
                #[cfg(test)]
                status_pauses::pause(&channel, status_pauses::Stage::RunsRead);
                // Whether the latest goes on is looked at after its row was read (review,
                // session 47: the runs going on were read first, and a run that started in
                // between was read without an end and not going on: killed, and `aduan
                // status` exited 1 while it ran). One that is not going on then ended
                // meanwhile, or was killed: its row read again says which.
                let mut running = None;
                if let Some(r) = latest.as_mut().filter(|r| r.outcome.is_none()) {
                    if self.run_going_on(&channel, &r.run_id).await? {
                        running = Some(crate::RunInProgress {
                            channel: channel.clone(),
                            run_id: r.run_id.clone(),
                            started_at: r.started_at,
                        });
                    } else if let Some(now) = sqlx::query_as::<_, RunRecord>(&format!(
                        "SELECT {RUN_COLUMNS} FROM sync_runs WHERE run_id = $1"
                    ))
                    .bind(&r.run_id)
                    .fetch_optional(pool)
                    .await
                    .context(|| format!("reading runs of {channel}"))?
                    {
                        if let Some(shown) = runs.iter_mut().find(|s| s.run_id == now.run_id) {
                            *shown = now.clone();
                        }
                        *r = now;
                    }
                }
                // (The second of the runs that did the work: the first is the one going on.)
                let before_running = match &running {
                    Some(_) => sqlx::query_as::<_, RunRecord>(&worked_runs_sql())
                        .bind(&channel)
                        .bind(2_i64)
                        .fetch_all(pool)
                        .await
                        .context(|| format!("reading runs of {channel}"))?
                        .into_iter()
                        .nth(1),
                    None => None,
                };
                let since = latest
                    .as_ref()
                    .map_or(DateTime::UNIX_EPOCH, |r| r.started_at);
                // Counted where they are: a run held for weeks has every tick of the other
                // replicas since (review, session 46: each one's time was sent and sorted).
                let skipped_since: (i64, Option<DateTime<Utc>>) = sqlx::query_as(
                    "SELECT COUNT(*), MAX(started_at) FROM sync_runs WHERE channel = $1 \
                     AND outcome = 'skipped' AND started_at > $2",
                )
                .bind(&channel)
                .bind(since)
                .fetch_one(pool)
                .await
                .context(|| format!("counting skipped runs of {channel}"))?;
                out.push(ChannelStatus {
                    channel,
                    cursor,
                    complaints,
                    quarantined_open,
                    runs,
                    skipped_since,
                    latest,
                    running,
                    before_running,
                });
            }
            Ok(out)
        })
    }

    /// Every run of a channel (or all), oldest first.
    pub async fn runs(&self, channel: Option<&str>) -> Result<Vec<RunRecord>> {
        on_pool!(self, pool => {
            sqlx::query_as::<_, RunRecord>(&format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs WHERE ($1 IS NULL OR channel = $1) ORDER BY started_at, run_id"
            ))
            .bind(channel)
            .fetch_all(pool)
            .await
            .context(|| "reading runs".into())
        })
    }

    /// The channel's latest run (by its start) that was not skipped (another held the
    /// channel), if it ever ran: running, or ended.
    pub async fn last_run(&self, channel: &str) -> Result<Option<RunRecord>> {
        on_pool!(self, pool => {
            sqlx::query_as::<_, RunRecord>(&worked_runs_sql())
            .bind(channel)
            .bind(1_i64)
            .fetch_optional(pool)
            .await
            .context(|| format!("reading the last run of {channel}"))
        })
    }

    /// Quarantine entries, newest first; only open ones unless `all`.
    pub async fn quarantine_list(
        &self,
        channel: Option<&str>,
        all: bool,
        limit: i64,
    ) -> Result<Vec<QuarantineEntry>> {
        on_pool!(self, pool => {
            sqlx::query_as::<_, QuarantineEntry>(&format!(
                "SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE ($1 IS NULL OR channel = $1) \
                 AND ($2 OR resolved_at IS NULL) ORDER BY quarantine_id DESC LIMIT $3"
            ))
            .bind(channel)
            .bind(all)
            .bind(limit)
            .fetch_all(pool)
            .await
            .context(|| "reading quarantine".into())
        })
    }

    /// [`quarantine_list`](Self::quarantine_list), with how many entries it lists without its
    /// limit (`aduan quarantine list` cut at its limit says so), counted in the listing's own
    /// statement: counted after it, an entry quarantined or closed between the two (a
    /// concurrent retry) could make "2 of 1 entries shown" (review, session 46). The count is
    /// read with the rows: 0 when none is listed (ask for one more than is shown).
    pub async fn quarantine_page(
        &self,
        channel: Option<&str>,
        all: bool,
        limit: i64,
    ) -> Result<(Vec<QuarantineEntry>, i64)> {
        const FILTER: &str = "FROM quarantine WHERE ($1 IS NULL OR channel = $1) \
             AND ($2 OR resolved_at IS NULL)";
        let what = || "reading quarantine".to_string();
        on_pool!(self, pool => {
            let rows = sqlx::query(&format!(
                "SELECT {QUARANTINE_COLUMNS}, (SELECT COUNT(*) {FILTER}) AS total {FILTER} \
                 ORDER BY quarantine_id DESC LIMIT $3"
            ))
            .bind(channel)
            .bind(all)
            .bind(limit)
            .fetch_all(pool)
            .await
            .context(what)?;
            let mut total = 0;
            let mut entries = Vec::with_capacity(rows.len());
            for row in &rows {
                total = row.try_get::<i64, _>("total").context(what)?;
                entries.push(sqlx::FromRow::from_row(row).context(what)?);
            }
            Ok((entries, total))
        })
    }

    /// The failures admins dismissed of the channel's archived payloads `hashes` (by their
    /// content hash): the hash, field and reason of each dismissed entry, without payloads.
    /// Nothing is read for the payloads when no entry at all was ever dismissed; else they
    /// are looked up together, `CHUNK` to a statement (review, session 44: a statement
    /// for each payload, on every batch quarantining any once an entry was dismissed).
    pub async fn dismissed_failures(
        &self,
        channel: &str,
        hashes: &[&[u8]],
    ) -> Result<Vec<(Vec<u8>, String, String)>> {
        let what = || format!("reading the dismissed quarantine entries of {channel}");
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let any: bool = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM quarantine WHERE dismissed_by IS NOT NULL)",
            )
            .fetch_one(pool)
            .await
            .context(what)
        })?;
        if !any {
            return Ok(Vec::new());
        }
        self.entries_of_payloads(
            "SELECT r.content_hash, q.field, q.reason FROM raw_records r \
             JOIN quarantine q ON q.raw_id = r.raw_id AND q.dismissed_by IS NOT NULL \
             WHERE r.channel = ",
            channel,
            hashes,
            what,
        )
        .await
    }

    /// The rows `select` (a statement up to `WHERE r.channel = `, reading `raw_records r`
    /// joined with `quarantine q`) gives for the channel's archived payloads `hashes`, in the
    /// entries' order: looked up together, [`CHUNK`] to a statement, each payload once.
    async fn entries_of_payloads<T>(
        &self,
        select: &str,
        channel: &str,
        hashes: &[&[u8]],
        what: impl Fn() -> String + Copy,
    ) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let mut hashes = hashes.to_vec();
        hashes.sort_unstable();
        hashes.dedup();
        let mut found = Vec::new();
        for chunk in hashes.chunks(CHUNK) {
            let rows: Vec<T> = on_pool!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(select);
                q.push_bind(channel).push(" AND r.content_hash IN (");
                let mut each = q.separated(", ");
                for hash in chunk {
                    each.push_bind(*hash);
                }
                q.push(") ORDER BY q.quarantine_id");
                q.build_query_as()
                    .persistent(false)
                    .fetch_all(pool)
                    .await
                    .context(what)
            })?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// The open quarantine entries of the channel's archived payloads `hashes` (by their
    /// content hash): the hash, record, field and reason of each, without payloads; looked
    /// up together, `CHUNK` to a statement.
    pub async fn open_failures(
        &self,
        channel: &str,
        hashes: &[&[u8]],
    ) -> Result<Vec<(Vec<u8>, String, String, String)>> {
        self.entries_of_payloads(
            "SELECT r.content_hash, q.record, q.field, q.reason FROM raw_records r \
             JOIN quarantine q ON q.raw_id = r.raw_id AND q.resolved_at IS NULL \
             WHERE r.channel = ",
            channel,
            hashes,
            || format!("reading the open quarantine entries of {channel}"),
        )
        .await
    }

    /// The numbers of the open quarantine entries, oldest first (without their payloads:
    /// `quarantine retry --all` reads each when it retries it).
    pub async fn quarantine_open_ids(&self) -> Result<Vec<i64>> {
        on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT quarantine_id FROM quarantine WHERE resolved_at IS NULL \
                 ORDER BY quarantine_id",
            )
            .fetch_all(pool)
            .await
            .context(|| "reading the open quarantine".into())
        })
    }

    /// The open entries of archived payloads quarantined under `field` (a payload that does
    /// not unpack is, under `payload`; a dismissed entry is not open): how many, and the
    /// oldest's channel, record and reason.
    pub async fn quarantine_open_of_field(
        &self,
        field: &str,
    ) -> Result<(i64, Option<(String, String, String)>)> {
        const OPEN: &str = "FROM quarantine WHERE resolved_at IS NULL AND raw_id IS NOT NULL \
             AND field = $1";
        on_pool!(self, pool => {
            let what = || format!("reading the open quarantine of field {field}");
            let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {OPEN}"))
                .bind(field)
                .fetch_one(pool)
                .await
                .context(what)?;
            let first = sqlx::query_as(&format!(
                "SELECT channel, record, reason {OPEN} ORDER BY quarantine_id LIMIT 1"
            ))
            .bind(field)
            .fetch_optional(pool)
            .await
            .context(what)?;
            Ok((count, first))
        })
    }

    /// Whether the store holds anything of `channel`: an archived payload, a quarantine
    /// entry or a run (a channel since removed from the registry is still listed).
    pub async fn channel_seen(&self, channel: &str) -> Result<bool> {
        on_pool!(self, pool => {
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM raw_records WHERE channel = $1) \
                 OR EXISTS (SELECT 1 FROM quarantine WHERE channel = $1) \
                 OR EXISTS (SELECT 1 FROM sync_runs WHERE channel = $1)",
            )
            .bind(channel)
            .fetch_one(pool)
            .await
            .context(|| format!("looking for channel {channel}"))
        })
    }

    /// Those of `ids` that name no quarantine entry, in the order given. Looked up together,
    /// `CHUNK` to a statement (review, session 45: a statement for each id named, as
    /// `quarantine retry` names them, thousands with `--all`'s list).
    pub async fn quarantine_missing(&self, ids: &[i64]) -> Result<Vec<i64>> {
        let found: HashSet<i64> = self
            .quarantine_of(ids, "quarantine_id, NULL, NULL", "")
            .await?
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        Ok(ids
            .iter()
            .copied()
            .filter(|id| !found.contains(id))
            .collect())
    }

    /// Those of `ids` that are closed (resolved, or dismissed by an admin), in the order
    /// given: number, when it was closed, and who dismissed it. Without their payloads: a
    /// retry names these as closed before and reads only the others. Looked up together, as
    /// [`quarantine_missing`](Self::quarantine_missing) looks them up.
    pub async fn quarantine_closed(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, DateTime<Utc>, Option<String>)>> {
        let found: HashMap<i64, (DateTime<Utc>, Option<String>)> = self
            .quarantine_of(
                ids,
                "quarantine_id, resolved_at, dismissed_by",
                " AND resolved_at IS NOT NULL",
            )
            .await?
            .into_iter()
            .filter_map(|(id, at, by)| at.map(|at| (id, (at, by))))
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).map(|(at, by)| (*id, *at, by.clone())))
            .collect())
    }

    /// `columns` (a number, a time or `NULL`, a text or `NULL`) of the quarantine entries
    /// numbered `ids` that meet `and` (empty, or ` AND …`), [`CHUNK`] numbers to a
    /// statement, each number once (an IN list's length varies: not kept in the statement
    /// cache).
    async fn quarantine_of(
        &self,
        ids: &[i64],
        columns: &str,
        and: &str,
    ) -> Result<Vec<(i64, Option<DateTime<Utc>>, Option<String>)>> {
        let what = || "reading quarantine entries".to_string();
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut found = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let rows: Vec<(i64, Option<DateTime<Utc>>, Option<String>)> = on_pool!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(format!(
                    "SELECT {columns} FROM quarantine WHERE quarantine_id IN ("
                ));
                let mut each = q.separated(", ");
                for id in chunk {
                    each.push_bind(*id);
                }
                q.push(")").push(and);
                q.build_query_as()
                    .persistent(false)
                    .fetch_all(pool)
                    .await
                    .context(what)
            })?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// One quarantine entry.
    pub async fn quarantine_get(&self, quarantine_id: i64) -> Result<Option<QuarantineEntry>> {
        on_pool!(self, pool => {
            sqlx::query_as::<_, QuarantineEntry>(&format!(
                "SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE quarantine_id = $1"
            ))
            .bind(quarantine_id)
            .fetch_optional(pool)
            .await
            .context(|| format!("reading quarantine entry {quarantine_id}"))
        })
    }

    /// Up to `limit` archived payloads with `raw_id > after`, in arrival order, ending where
    /// their stored bytes reach [`PAGE_BYTES`] (one at least).
    pub async fn raw_after(&self, after: i64, limit: i64) -> Result<Vec<StoredRaw>> {
        self.raw_page(after, limit)
            .await?
            .into_iter()
            .map(|(raw, failed)| failed.map_or(Ok(raw), Err))
            .collect()
    }

    /// As [`Store::raw_after`], except that a payload that cannot be unpacked (its frame
    /// corrupt, its dictionary missing or unusable) does not fail the page: it comes as
    /// stored, with the error, for the caller to set aside (a rebuild quarantines it).
    pub async fn raw_page(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(StoredRaw, Option<Error>)>> {
        const SQL: &str =
            "SELECT raw_id, channel, source_ref, external_id, received_at, content_hash, payload, dictionary_id \
             FROM raw_records WHERE raw_id > $1 ORDER BY raw_id LIMIT $2";
        let what = || "reading raw records".to_string();
        let packed = match &self.backend {
            Backend::Sqlite(pool) => {
                let args = [after.into(), limit.into()];
                crate::sqlite_batch::raws_within(pool, SQL, &args, PAGE_BYTES, what).await?
            }
            Backend::Postgres(pool) => sqlx::query_as::<_, PackedRaw>(&within_page_bytes(SQL))
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await
                .context(what)?,
        };
        self.unpack_each(packed).await
    }

    /// Archived payloads as received (packed ones unpacked), newest first: those of
    /// `filter`'s channel and record where given, at most `filter.limit`. A channel's record's
    /// payloads are found by the archive's index of source ids (`raw_records_source_id`); a
    /// record's in every channel by scanning the archive.
    pub async fn raws(&self, filter: &RawFilter) -> Result<Vec<StoredRaw>> {
        Ok(self.raws_counted(filter).await?.0)
    }

    /// [`raws`](Self::raws), with how many payloads it lists without its limit where that
    /// is cheap: of a channel's record (`aduan raw list --channel … --record …`), counted on
    /// the index of source ids in the listing's own statement (a record's versions); else
    /// `None` (a channel's or every channel's payloads: a count of the archive). The count is
    /// read with the rows: 0 when none is listed.
    pub async fn raws_counted(&self, filter: &RawFilter) -> Result<(Vec<StoredRaw>, Option<i64>)> {
        const COLUMNS: &str =
            "SELECT raw_id, channel, source_ref, external_id, received_at, content_hash, payload, dictionary_id";
        let (sql, counted) = match (&filter.channel, &filter.external_id) {
            // (Written so that the planner takes the index: no `$n IS NULL OR`.)
            (Some(_), Some(_)) => {
                let of_record = "FROM raw_records WHERE channel = $1 AND external_id = $2 \
                     AND external_id IS NOT NULL";
                (
                    format!(
                        "{COLUMNS}, (SELECT COUNT(*) {of_record}) AS total {of_record} \
                         ORDER BY raw_id DESC LIMIT $3"
                    ),
                    true,
                )
            }
            _ => (
                format!(
                    "{COLUMNS} FROM raw_records WHERE ($1 IS NULL OR channel = $1) \
                     AND ($2 IS NULL OR external_id = $2) ORDER BY raw_id DESC LIMIT $3"
                ),
                false,
            ),
        };
        let sql = sql.as_str();
        let what = || "listing archived payloads".to_string();
        let (packed, total) = match &self.backend {
            Backend::Sqlite(pool) => {
                let args = [
                    filter.channel.clone().into(),
                    filter.external_id.clone().into(),
                    filter.limit.into(),
                ];
                crate::sqlite_batch::raws_counted(pool, sql, &args, counted, what).await?
            }
            Backend::Postgres(pool) => {
                let rows = sqlx::query(sql)
                    .bind(filter.channel.as_deref())
                    .bind(filter.external_id.as_deref())
                    .bind(filter.limit)
                    .fetch_all(pool)
                    .await
                    .context(what)?;
                let mut total = counted.then_some(0);
                let mut packed = Vec::with_capacity(rows.len());
                for row in &rows {
                    if counted {
                        total = Some(row.try_get::<i64, _>("total").context(what)?);
                    }
                    packed.push(<PackedRaw as sqlx::FromRow<_>>::from_row(row).context(what)?);
                }
                (packed, total)
            }
        };
        // A listing is what an admin reads to find what a damaged archive holds: a payload
        // that no longer unpacks is listed as stored, and told, not a reason to list none.
        let listed = self
            .unpack_each(packed)
            .await?
            .into_iter()
            .map(|(raw, failed)| {
                if let Some(e) = failed {
                    tracing::warn!(raw_id = raw.raw_id, error = %e, "An archived payload no longer unpacks; listed as stored.");
                }
                raw
            })
            .collect();
        Ok((listed, total))
    }

    /// The archived payload `raw_id` as received (unpacked), if there is one.
    pub async fn raw(&self, raw_id: i64) -> Result<Option<StoredRaw>> {
        const SQL: &str =
            "SELECT raw_id, channel, source_ref, external_id, received_at, content_hash, payload, dictionary_id \
             FROM raw_records WHERE raw_id = $1";
        let what = || format!("reading archived payload {raw_id}");
        let packed = match &self.backend {
            Backend::Sqlite(pool) => {
                crate::sqlite_batch::raws(pool, SQL, &[raw_id.into()], what).await?
            }
            Backend::Postgres(pool) => sqlx::query_as::<_, PackedRaw>(SQL)
                .bind(raw_id)
                .fetch_all(pool)
                .await
                .context(what)?,
        };
        Ok(self.unpack(packed).await?.pop())
    }

    /// When archived payload `raw_id` was received, and the source's id it came with, if it
    /// is archived (read alone: its payload is not unpacked).
    pub async fn raw_receipt(
        &self,
        raw_id: i64,
    ) -> Result<Option<(DateTime<Utc>, Option<String>)>> {
        on_pool!(self, pool => {
            sqlx::query_as::<_, (DateTime<Utc>, Option<String>)>(
                "SELECT received_at, external_id FROM raw_records WHERE raw_id = $1",
            )
            .bind(raw_id)
            .fetch_optional(pool)
            .await
            .context(|| format!("reading when archived payload {raw_id} was received"))
        })
    }

    /// Up to `limit` webhook deliveries of `channel` stored but not yet folded, oldest first,
    /// ending where their stored bytes reach [`PAGE_BYTES`] (one at least).
    pub async fn inbox(&self, channel: &str, limit: i64) -> Result<Vec<StoredRaw>> {
        const SQL: &str = "SELECT r.raw_id, r.channel, r.source_ref, r.external_id, r.received_at, r.content_hash, r.payload, r.dictionary_id \
             FROM push_inbox i JOIN raw_records r ON r.raw_id = i.raw_id \
             WHERE i.channel = $1 ORDER BY i.raw_id LIMIT $2";
        let what = || format!("reading the inbox of {channel}");
        let packed = match &self.backend {
            Backend::Sqlite(pool) => {
                let args = [channel.to_string().into(), limit.into()];
                crate::sqlite_batch::raws_within(pool, SQL, &args, PAGE_BYTES, what).await?
            }
            Backend::Postgres(pool) => sqlx::query_as::<_, PackedRaw>(&within_page_bytes(SQL))
                .bind(channel)
                .bind(limit)
                .fetch_all(pool)
                .await
                .context(what)?,
        };
        self.unpack(packed).await
    }

    /// Every archived payload of the groups `keys` of `channel`, as (group, payload), in
    /// arrival order within each group (`GROUP_ORDER`); those that cannot be unpacked are
    /// left out (logged).
    pub async fn group_raws(
        &self,
        channel: &str,
        keys: &[&str],
    ) -> Result<Vec<(String, StoredRaw)>> {
        let reads: Vec<(&str, Option<(i64, i64)>)> = keys.iter().map(|k| (*k, None)).collect();
        Ok(self
            .group_raws_near(channel, &reads)
            .await?
            .into_iter()
            .map(|(key, _, raw)| (key, raw))
            .collect())
    }

    /// The archived payloads of groups of `channel`, as (group, the link's span, payload),
    /// in arrival order within each group (`GROUP_ORDER`): for each (key, near), every
    /// payload of the group when `near` is `None`, else those whose span touches `near`
    /// (unix seconds, both ends in; a span of all time touches every part). A part is read
    /// of a group whose links all have spans (see [`Store::group_near`]), through the index
    /// of their ends. Payloads that cannot be unpacked are left out (logged).
    pub async fn group_raws_near(
        &self,
        channel: &str,
        reads: &[(&str, Option<(i64, i64)>)],
    ) -> Result<Vec<(String, Option<(i64, i64)>, StoredRaw)>> {
        const COLUMNS: &str = "g.span_from, g.span_to, r.raw_id, r.channel, r.source_ref, \
            r.external_id, r.received_at, r.content_hash, r.payload, r.dictionary_id";
        let what = || format!("reading grouped payloads of {channel}");
        let whole: Vec<&str> = reads
            .iter()
            .filter(|(_, n)| n.is_none())
            .map(|(k, _)| *k)
            .collect();
        let near: Vec<(&str, i64, i64)> = reads
            .iter()
            .filter_map(|(k, n)| n.map(|(lo, hi)| (*k, lo, hi)))
            .collect();
        let mut out = Vec::new();
        match &self.backend {
            Backend::Sqlite(pool) => {
                for chunk in whole.chunks(CHUNK) {
                    let mut q = sqlx::QueryBuilder::new(format!(
                        "SELECT g.group_key, {COLUMNS} FROM raw_groups g \
                         JOIN raw_records r ON r.raw_id = g.raw_id WHERE g.channel = "
                    ));
                    q.push_bind(channel).push(" AND g.group_key IN (");
                    let mut sep = q.separated(", ");
                    for k in chunk {
                        sep.push_bind(*k);
                    }
                    q.push(format!(") ORDER BY g.group_key, {GROUP_ORDER}"));
                    let rows = q.build().persistent(false).fetch_all(pool).await;
                    out.extend(grouped(rows.context(what)?)?);
                }
                for (key, lo, hi) in near {
                    let rows = sqlx::query(&format!(
                        "SELECT g.group_key, {COLUMNS} FROM raw_groups g \
                         JOIN raw_records r ON r.raw_id = g.raw_id \
                         WHERE g.channel = $1 AND g.group_key = $2 AND g.span_to >= $3 \
                         AND g.span_from <= $4 ORDER BY {GROUP_ORDER}"
                    ))
                    .bind(channel)
                    .bind(key)
                    .bind(lo)
                    .bind(hi)
                    .fetch_all(pool)
                    .await;
                    out.extend(grouped(rows.context(what)?)?);
                }
            }
            // One probe of the key per group (see `known_hashes`: an `IN` list on the second
            // column could read every group of the channel on a table without statistics).
            Backend::Postgres(pool) => {
                if !whole.is_empty() {
                    let rows = sqlx::query(&format!(
                        "SELECT k.key, {COLUMNS} FROM UNNEST($2::text[]) AS k (key) \
                         CROSS JOIN LATERAL (SELECT raw_id, arrival, again_seq, span_from, \
                         span_to FROM raw_groups WHERE channel = $1 AND group_key = k.key \
                         OFFSET 0) AS g \
                         JOIN raw_records r ON r.raw_id = g.raw_id \
                         ORDER BY k.key, {GROUP_ORDER}"
                    ))
                    .bind(channel)
                    .bind(&whole)
                    .fetch_all(pool)
                    .await;
                    out.extend(grouped(rows.context(what)?)?);
                }
                if !near.is_empty() {
                    let keys: Vec<&str> = near.iter().map(|n| n.0).collect();
                    let los: Vec<i64> = near.iter().map(|n| n.1).collect();
                    let his: Vec<i64> = near.iter().map(|n| n.2).collect();
                    let rows = sqlx::query(&format!(
                        "SELECT k.key, {COLUMNS} \
                         FROM UNNEST($2::text[], $3::int8[], $4::int8[]) AS k (key, lo, hi) \
                         CROSS JOIN LATERAL (SELECT raw_id, arrival, again_seq, span_from, \
                         span_to FROM raw_groups WHERE channel = $1 AND group_key = k.key \
                         AND span_to >= k.lo AND span_from <= k.hi OFFSET 0) AS g \
                         JOIN raw_records r ON r.raw_id = g.raw_id \
                         ORDER BY k.key, {GROUP_ORDER}"
                    ))
                    .bind(channel)
                    .bind(&keys)
                    .bind(&los)
                    .bind(&his)
                    .fetch_all(pool)
                    .await;
                    out.extend(grouped(rows.context(what)?)?);
                }
            }
        }
        let (heads, packed): (Vec<_>, Vec<PackedRaw>) = out.into_iter().unzip();
        // A payload that cannot be unpacked is left out of its group's fold, not the
        // group's other payloads: a rebuild quarantines it when it reads it.
        let unpacked = self.unpack_each(packed).await?;
        Ok(heads
            .into_iter()
            .zip(unpacked)
            .filter_map(|((key, span), (raw, failed))| match failed {
                None => Some((key, span, raw)),
                Some(e) => {
                    // The raw id, not the group key: a group key may be a sender's number.
                    tracing::warn!(channel, raw_id = raw.raw_id, error = %e, "An archived payload cannot be unpacked; its group is folded without it.");
                    None
                }
            })
            .collect())
    }

    /// The part of group `key` of `channel` a fold of payloads spanning `fresh` reads (see
    /// `aduan_core::Window`): from the first time to the last of the runs they fall in, the
    /// runs made of them and the group's links' spans (see `GroupLink::span`; a link
    /// touching every time is no run's; a link's run from its `GroupLink::run_from` when it
    /// has one: a deletion reaching back to what it may delete joins no runs by its reach),
    /// each run ending at `silence` seconds or more with nothing. A fold of the part reads
    /// every link whose span touches it (see [`Store::group_raws_near`]). `None` when a link of the group has no span (linked before spans were kept:
    /// the group is read whole) or `fresh` is empty.
    ///
    /// Found from the links alone (no payload read), through the index of their ends
    /// (migration 0011): the part grows by the links less than `silence` from it until none
    /// is left; for a message at the end of a sender's history, a few probes of its latest
    /// links, however many came before.
    pub async fn group_near(
        &self,
        channel: &str,
        key: &str,
        fresh: &[(i64, i64)],
        silence: i64,
    ) -> Result<Option<(i64, i64)>> {
        let Some(mut part) = fresh
            .iter()
            .copied()
            .reduce(|(a, b), (x, y)| (a.min(x), b.max(y)))
        else {
            return Ok(None);
        };
        // Counted, not `EXISTS`: PostgreSQL's plan for a group among its most common keys
        // then stays the index's few links without a span, where `EXISTS`' early stop made it
        // scan the whole table (review: 10–20 ms a delivery at 100,000 links).
        const UNSPANNED: &str = "SELECT COUNT(*) > 0 FROM raw_groups \
            WHERE channel = $1 AND group_key = $2 AND span_to IS NULL";
        // The links less than `silence` from the part (both ends in, in whole seconds): ending
        // at `$3` or later and their runs starting at `$4` or earlier; none touching every
        // time.
        const CLOSE: &str = "SELECT MIN(COALESCE(run_from, span_from)), MAX(span_to) \
            FROM raw_groups WHERE channel = $1 AND group_key = $2 AND span_to >= $3 \
            AND COALESCE(run_from, span_from) <= $4 AND span_from > $5";
        let what = || format!("finding the runs of a group of {channel}");
        let unspanned: bool = on_pool!(self, pool => {
            sqlx::query_scalar(UNSPANNED).bind(channel).bind(key).fetch_one(pool).await
        })
        .context(what)?;
        if unspanned {
            return Ok(None);
        }
        loop {
            let reach = (
                part.0.saturating_sub(silence.saturating_sub(1)),
                part.1.saturating_add(silence.saturating_sub(1)),
            );
            let (from, to): (Option<i64>, Option<i64>) = on_pool!(self, pool => {
                sqlx::query_as(CLOSE)
                    .bind(channel)
                    .bind(key)
                    .bind(reach.0)
                    .bind(reach.1)
                    .bind(GroupLink::ALWAYS.0)
                    .fetch_one(pool)
                    .await
            })
            .context(what)?;
            let grown = match from.zip(to) {
                Some((a, b)) => (part.0.min(a), part.1.max(b)),
                None => part,
            };
            if grown == part {
                return Ok(Some(part));
            }
            part = grown;
        }
    }

    /// `rows`' payloads as received: packed ones unpacked with their dictionaries (read
    /// from `raw_dictionaries` the first time each is met); the first that cannot be is an
    /// error.
    pub(crate) async fn unpack(&self, rows: Vec<PackedRaw>) -> Result<Vec<StoredRaw>> {
        self.unpack_each(rows)
            .await?
            .into_iter()
            .map(|(raw, failed)| failed.map_or(Ok(raw), Err))
            .collect()
    }

    /// As [`Store::unpack`], except that a row that cannot be unpacked comes back as
    /// stored, with why; only reading the store fails the whole.
    async fn unpack_each(&self, rows: Vec<PackedRaw>) -> Result<Vec<(StoredRaw, Option<Error>)>> {
        let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.dictionary_id).collect();
        ids.sort_unstable();
        ids.dedup();
        // Each dictionary prepared for reading, or why it cannot be.
        let mut dictionaries = HashMap::new();
        for id in ids {
            let prepared = match self.unpackers.get(id) {
                Some(p) => Ok(p),
                None => {
                    let what = || format!("reading dictionary {id} of the archive");
                    let bytes: Option<Vec<u8>> = on_pool!(self, pool => {
                        sqlx::query_scalar(
                            "SELECT dictionary FROM raw_dictionaries WHERE dictionary_id = $1",
                        )
                        .bind(id)
                        .fetch_optional(pool)
                        .await
                        .context(what)?
                    });
                    match bytes {
                        Some(bytes) => self.unpackers.add(id, &bytes).map_err(|e| e.to_string()),
                        None => Err(format!("dictionary {id} is not in raw_dictionaries")),
                    }
                }
            };
            dictionaries.insert(id, prepared);
        }
        // One decompression context a dictionary, for all of its rows.
        let mut unpacking: HashMap<i64, std::result::Result<Unpacking<'_>, String>> = dictionaries
            .iter()
            .map(|(id, d)| {
                let u = match d {
                    Ok(d) => Unpacking::new(d, *id).map_err(|e| e.to_string()),
                    Err(e) => Err(e.clone()),
                };
                (*id, u)
            })
            .collect();
        let mut out = Vec::with_capacity(rows.len());
        for PackedRaw {
            mut raw,
            dictionary_id,
        } in rows
        {
            let mut failed = None;
            if let Some(id) = dictionary_id {
                let unpacked = match unpacking.get_mut(&id) {
                    Some(Ok(u)) => u.unpack(raw.raw_id, &raw.payload),
                    Some(Err(why)) => Err(Error::Packing {
                        what: format!("unpacking raw record {}", raw.raw_id),
                        message: why.clone(),
                    }),
                    None => Err(Error::Packing {
                        what: format!("unpacking raw record {}", raw.raw_id),
                        message: format!("dictionary {id} not read"),
                    }),
                };
                match unpacked {
                    Ok(payload) => raw.payload = payload,
                    Err(e) => failed = Some(e),
                }
            }
            out.push((raw, failed));
        }
        Ok(out)
    }

    /// Up to `limit` of `channel`'s latest payloads as received (packed ones unpacked),
    /// newest first, those stored as received alone when `plain`: each of at most
    /// [`SAMPLE_PAYLOAD_BYTES`](crate::packing::SAMPLE_PAYLOAD_BYTES) as received (a packed
    /// one by the size its frame says, before it is unpacked), until they hold `bytes` (one
    /// that no longer unpacks is passed over). What a dictionary is trained on when the
    /// channel's batches are too small to train one alone (see [`crate::packing`]); read a
    /// page at a time, those stored as received on their own index.
    pub async fn samples(
        &self,
        channel: &str,
        plain: bool,
        limit: usize,
        bytes: usize,
    ) -> Result<Vec<Vec<u8>>> {
        const PAGE: usize = 200;
        let sql = samples_sql(plain);
        let what = || format!("reading payloads of {channel} as samples for a dictionary");
        let mut out = Vec::new();
        let (mut before, mut held) = (i64::MAX, 0usize);
        while out.len() < limit && held < bytes {
            let asked = PAGE.min(limit - out.len());
            let page: Vec<(i64, Vec<u8>, Option<i64>)> = on_pool!(self, pool => {
                sqlx::query_as(&sql)
                    .bind(channel)
                    .bind(before)
                    .bind(crate::packing::SAMPLE_PAYLOAD_BYTES as i64)
                    .bind(asked as i64)
                    .fetch_all(pool)
                    .await
                    .context(what)?
            });
            let Some(&(last, ..)) = page.last() else {
                break;
            };
            // (A page passed over in part does not end the reading: it may be followed.)
            let full = page.len() == asked;
            before = last;
            let rows = page
                .into_iter()
                // A packed payload as large unpacked as one passed over stored as received
                // (its frame says its size): not unpacked, so a page holds at most
                // `PAGE` payloads of `SAMPLE_PAYLOAD_BYTES`.
                .filter(|(_, payload, dictionary_id)| {
                    dictionary_id.is_none()
                        || crate::packing::unpacked_size(payload)
                            .is_some_and(|n| n <= crate::packing::SAMPLE_PAYLOAD_BYTES as u64)
                })
                .map(|(raw_id, payload, dictionary_id)| PackedRaw {
                    raw: StoredRaw {
                        raw_id,
                        channel: channel.to_string(),
                        source_ref: String::new(),
                        external_id: None,
                        received_at: DateTime::<Utc>::UNIX_EPOCH,
                        content_hash: Vec::new(),
                        payload,
                    },
                    dictionary_id,
                })
                .collect();
            for (raw, failed) in self.unpack_each(rows).await? {
                if held >= bytes {
                    break;
                }
                if failed.is_none() {
                    held += raw.payload.len();
                    out.push(raw.payload);
                }
            }
            if !full {
                break;
            }
        }
        Ok(out)
    }

    /// Channels that have archived payloads.
    pub async fn raw_channels(&self) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            sqlx::query_scalar("SELECT DISTINCT channel FROM raw_records ORDER BY channel")
                .fetch_all(pool)
                .await
                .context(|| "listing raw channels".into())
        })
    }

    /// Complaints per channel and kind.
    pub async fn summary(&self) -> Result<Vec<SummaryRow>> {
        on_pool!(self, pool => {
            sqlx::query_as::<_, SummaryRow>(
                "SELECT channel, kind, COUNT(*) AS count FROM complaints GROUP BY channel, kind ORDER BY channel, kind",
            )
            .fetch_all(pool)
            .await
            .context(|| "summarising complaints".into())
        })
    }

    /// A fingerprint of the whole `complaints` table (every column but the store's own row
    /// number `complaint_seq`, every row), to check that a rebuild gives the same table.
    pub async fn complaints_fingerprint(&self) -> Result<String> {
        let sql = format!("SELECT {COMPLAINT_COLUMNS} FROM complaints ORDER BY complaint_id");
        let result = self.query_within(&sql, &[], Bounds::WHOLE).await?;
        let text = serde_json::to_string(&result.rows).unwrap_or_default();
        let h = crate::fnv1a(text.bytes());
        Ok(format!("{:016x}:{}", h, result.rows.len()))
    }

    /// Runs one read-only SQL query: a single SELECT, WITH, VALUES or TABLE statement
    /// (after any white space, comments and opening parentheses), with at most one `;` at its
    /// end, its text read by the store's own lexical rules (PostgreSQL's dollar quotes,
    /// `E'…'` texts and nested comments; a backslash in `'…'` as the session reads it, by its
    /// `standard_conforming_strings`). Any other statement is refused unrun
    /// ([`Error::ReadOnly`]), and so is one that writes: SQLite refuses one whose prepared
    /// statement would change rows, and runs the query on a read-only connection, PostgreSQL
    /// in a `READ ONLY` transaction. It is stopped after 5 minutes, and refused once its result holds more
    /// than 1,000,000 rows or 256 MB (see `QUERY_TIME_LIMIT`, `QUERY_MAX_ROWS` and
    /// `QUERY_MAX_BYTES` in this module).
    pub async fn query(&self, sql: &str) -> Result<QueryResult> {
        self.query_bound(sql, &[]).await
    }

    /// [`Store::query`] with values bound to the statement's placeholders (`?1`… on SQLite,
    /// `$1`… on PostgreSQL), as texts.
    pub(crate) async fn query_bound(&self, sql: &str, binds: &[String]) -> Result<QueryResult> {
        self.query_within(sql, binds, Bounds::QUERY).await
    }

    /// [`Store::query`], each row handed to `each` as it is read instead of kept: for an
    /// export of any size in constant memory (no bound on its rows or bytes; stopped after
    /// an hour, writing the rows out included). `each` is given the columns
    /// first, then every row; an error it returns stops the query. The number of rows.
    pub async fn query_each(
        &self,
        sql: &str,
        each: &mut (dyn FnMut(Streamed<'_>) -> std::result::Result<(), String> + Send),
    ) -> Result<u64> {
        let mut sink = Streaming { each, rows: 0 };
        self.query_into(sql, &[], Bounds::EXPORT, &mut sink).await?;
        Ok(sink.rows)
    }

    /// [`Store::query_bound`] within `bounds`.
    async fn query_within(
        &self,
        sql: &str,
        binds: &[String],
        bounds: Bounds,
    ) -> Result<QueryResult> {
        let mut collected = Collected::new(bounds);
        let columns = self.query_into(sql, binds, bounds, &mut collected).await?;
        Ok(QueryResult {
            columns,
            rows: collected.rows,
            exact_numbers: collected.exact_numbers,
        })
    }

    /// Runs the query within `bounds`' time, handing its columns and rows to `sink`; its
    /// columns.
    async fn query_into(
        &self,
        sql: &str,
        binds: &[String],
        bounds: Bounds,
        collected: &mut (dyn Sink + Send),
    ) -> Result<Vec<String>> {
        let started = std::time::Instant::now();
        match &self.backend {
            Backend::Sqlite(_) => {
                let query = one_query(sql, Dialect::Sqlite)?;
                let path = self.sqlite_file.clone().unwrap_or_default();
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&path)
                    .read_only(true)
                    // Read-only opening still lets `VACUUM INTO` copy the store to a file.
                    .pragma("query_only", "ON")
                    .log_slow_statements(crate::SLOW_STATEMENT.0, crate::SLOW_STATEMENT.1);
                let mut conn = options
                    .connect()
                    .await
                    .context(|| format!("opening {} read-only", path.display()))?;
                // SQLite does not take a query in parentheses on its own, only as a subquery.
                let text = if query.parenthesised {
                    format!("SELECT * FROM (\n{}\n)", query.body)
                } else {
                    query.body.to_string()
                };
                let mut handle = conn
                    .lock_handle()
                    .await
                    .context(|| "reading the query".into())?;
                // SQLite's own reading, before anything runs: the text is one statement (a
                // quote the splitter read otherwise would show here), and it writes nothing
                // (a `WITH` before a `DELETE … RETURNING` gives columns as a query does).
                match sqlite_reading(handle.as_raw_handle().as_ptr(), &text) {
                    Some(Reading { whole: false, .. }) => return Err(more_than_one()),
                    Some(Reading { writes: true, .. }) => {
                        return Err(Error::ReadOnly(format!(
                            "{ONLY}, and this statement changes rows (a WITH before a DELETE, \
                             say): it was not run"
                        )))
                    }
                    _ => {}
                }
                // SQLite has no statement timeout: every `PROGRESS_STEPS` steps it asks this
                // whether to go on.
                let deadline = std::time::Instant::now() + bounds.time;
                handle.set_progress_handler(PROGRESS_STEPS, move || {
                    std::time::Instant::now() < deadline
                });
                drop(handle);
                let stmt = (&mut conn)
                    .prepare(&text)
                    .await
                    .map_err(|e| query_error(e, bounds, started, None))?;
                let columns: Vec<String> = stmt
                    .columns()
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect();
                // Every SQLite query gives a column; a `WITH` before a `DELETE` gives none.
                if columns.is_empty() {
                    return Err(no_columns());
                }
                collected.columns(&columns, &[])?;
                let mut q = sqlx::query(&text);
                for b in binds {
                    q = q.bind(b);
                }
                // Read row by row, so that a result past the bounds stops the query.
                let mut rows = q.fetch(&mut conn);
                while let Some(row) = std::future::poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
                    let row = row.map_err(|e| query_error(e, bounds, started, None))?;
                    collected.push((0..columns.len()).map(|i| sqlite_value(&row, i)).collect())?;
                }
                Ok(columns)
            }
            Backend::Postgres(pool) => {
                // In milliseconds, at most PostgreSQL's largest (about 24 days). Read-only
                // and bounded from the transaction's start, in the one round trip of its
                // `BEGIN` (a simple query of two statements: `BEGIN READ ONLY` is `BEGIN`
                // and `SET TRANSACTION READ ONLY`, and the bound is local to the transaction
                // as it was: a statement before `BEGIN` in one simple query is part of the
                // transaction it begins). The bound first: were it to fail (a cancel by hand
                // or a conflict with recovery met there), nothing is begun. After the `BEGIN`
                // it left that transaction open and aborted, which `sqlx` does not count as
                // begun: the connection went back to the pool, and every statement of
                // whoever took it next (the service's writes too) failed (review, session 49).
                let millis = i32::try_from(bounds.time.as_millis()).unwrap_or(i32::MAX);
                let mut tx = pool
                    .begin_with(format!(
                        "SET LOCAL statement_timeout = {millis}; BEGIN READ ONLY"
                    ))
                    .await
                    .context(|| "starting a read-only query bounded in time".into())?;
                // The statement is read as this session will read it: with
                // `standard_conforming_strings` off (a server or a role may be set so), a
                // backslash in `'…'` escapes a quote, and where the statement ends moves.
                // A text read alike either way (one without a backslash in `'…'`, nearly
                // every query) is read without asking the session.
                let query = match (
                    one_query(sql, Dialect::postgres(true)),
                    one_query(sql, Dialect::postgres(false)),
                ) {
                    (Ok(on), Ok(off)) if on == off => on,
                    _ => {
                        let standard: String = sqlx::query_scalar(
                            "SELECT current_setting('standard_conforming_strings')",
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .context(|| "reading how the session reads a backslash".into())?;
                        one_query(sql, Dialect::postgres(standard != "off"))?
                    }
                };
                let (columns, kinds, documents) = {
                    let stmt = match (&mut *tx).prepare(query.body).await {
                        Ok(stmt) => stmt,
                        Err(e) => {
                            return Err(postgres_query_error(pool, tx, e, bounds, started).await)
                        }
                    };
                    let columns: Vec<String> = stmt
                        .columns()
                        .iter()
                        .map(|c| c.name().to_string())
                        .collect();
                    let kinds: Vec<Written> = stmt
                        .columns()
                        .iter()
                        .map(|c| Written::of(c.type_info()))
                        .collect();
                    let documents: Vec<usize> = (0..columns.len())
                        .filter(|i| is_document(stmt.columns()[*i].type_info()))
                        .collect();
                    (columns, kinds, documents)
                };
                let exact: Vec<bool> = if kinds.iter().any(Written::exact) {
                    kinds.iter().map(Written::exact).collect()
                } else {
                    Vec::new()
                };
                if columns.is_empty() {
                    return Err(no_columns());
                }
                // One row more than the bound, to tell a result at the bound from one past it.
                let limit = bounds
                    .rows
                    .checked_add(1)
                    .map_or(String::new(), |n| format!(" LIMIT {n}"));
                // Every type PostgreSQL has turns into JSON on the server side, in column
                // order. The query on lines of its own: a `--` comment at its end ends there.
                // Its row as `q.*`: a bare `q` is a column of that name where the query has one.
                // An anonymous record's (`ROW(…)`) fields have no type until it is made, and
                // a named type's may have changed since `sqlx` described it: such a column
                // (a composite value, an array of them) comes besides as PostgreSQL sends it
                // (in binary, each field with its type), named by its place (the query's
                // names may repeat).
                // A `json` or `jsonb` value's JSON `null` is a value, as PostgreSQL's own
                // client shows it, where row_to_json writes a SQL `NULL` the same: whether
                // such a column's value is `NULL` comes besides.
                let records: Vec<usize> = (0..kinds.len())
                    .filter(|i| kinds[*i].has_records())
                    .collect();
                let (names, extra) = match records.is_empty() && documents.is_empty() {
                    true => (String::new(), String::new()),
                    false => (
                        format!(
                            "({})",
                            (1..=kinds.len())
                                .map(|n| format!("c{n}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        records
                            .iter()
                            .map(|i| format!(", q.c{}", i + 1))
                            .chain(documents.iter().map(|i| format!(", q.c{} IS NULL", i + 1)))
                            .collect(),
                    ),
                };
                let wrapped = format!(
                    "SELECT (SELECT json_agg(e.value ORDER BY e.n) FROM json_each(row_to_json(q.*)) WITH ORDINALITY AS e(key, value, n))::text{extra} FROM (\n{}\n) AS q{names}{limit}",
                    query.body
                );
                // Read as a subquery before it runs: one that does not read as one (a `WITH`
                // before a `DELETE … RETURNING`, a `WITH` whose part deletes, which must be
                // at the top level) is refused here, unrun, before its columns are handed
                // on. An error while it runs is the database's: a query stopped by a value it
                // reads (`to_tsquery` of a text that is no search query, a syntax error too)
                // ran. Its placeholders are texts, as they are bound (the statement is kept
                // as it is read here, and a type PostgreSQL took for one would read a text's
                // bytes as its own: `1234` for `$1::int` as 825373492).
                let texts = vec![<String as sqlx::Type<sqlx::Postgres>>::type_info(); binds.len()];
                let read = (&mut *tx).prepare_with(&wrapped, &texts).await;
                if let Err(e) = read {
                    return Err(match &e {
                        sqlx::Error::Database(d)
                            if matches!(d.code().as_deref(), Some("42601" | "0A000")) =>
                        {
                            Error::ReadOnly(format!(
                                "{ONLY}, and this statement does not read as one ({}): it was \
                                 not run",
                                d.message()
                            ))
                        }
                        _ => postgres_query_error(pool, tx, e, bounds, started).await,
                    });
                }
                // The types a composite value's fields may be of, read now (see `Types`).
                let types = match records.is_empty() {
                    true => Types::default(),
                    false => {
                        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(Types::SQL)
                            .fetch_all(&mut *tx)
                            .await
                            .context(|| "reading the types of the query's values".into())?;
                        Types::of(&rows)
                    }
                };
                // Its columns once it is to run: an export writes them (a CSV header).
                collected.columns(&columns, &exact)?;
                let mut q = sqlx::query(&wrapped);
                for b in binds {
                    q = q.bind(b);
                }
                {
                    let mut rows = q.fetch(&mut *tx);
                    while let Some(row) =
                        std::future::poll_fn(|cx| rows.as_mut().poll_next(cx)).await
                    {
                        let row = match row {
                            Ok(row) => row,
                            Err(e) => {
                                drop(rows);
                                return Err(
                                    postgres_query_error(pool, tx, e, bounds, started).await
                                );
                            }
                        };
                        let text: Option<String> = row
                            .try_get(0)
                            .context(|| "reading a row of the query".into())?;
                        let mut kinds_of_row = std::borrow::Cow::Borrowed(&kinds[..]);
                        for (n, i) in records.iter().enumerate() {
                            let sent = row.try_get_raw(n + 1).ok().filter(|v| !v.is_null());
                            let shape = sent
                                .and_then(|v| v.as_bytes().ok())
                                .and_then(|b| sent_shape(&kinds[*i], b, &types));
                            if let Some(shape) = shape {
                                kinds_of_row.to_mut()[*i] = Written::Shaped(shape);
                            }
                        }
                        let mut values = postgres_row(text.as_deref(), &kinds_of_row);
                        for (n, i) in documents.iter().enumerate() {
                            let sql_null: Option<bool> =
                                row.try_get(1 + records.len() + n).unwrap_or(None);
                            if let (Some(false), Some(v @ serde_json::Value::Null)) =
                                (sql_null, values.get_mut(*i))
                            {
                                *v = serde_json::Value::String("null".into());
                            }
                        }
                        collected.push(values)?;
                    }
                }
                tx.rollback().await.context(|| "ending the query".into())?;
                Ok(columns)
            }
        }
    }
}

/// How long one analysts' query may run before it is stopped (PostgreSQL's
/// `statement_timeout` within its transaction; on SQLite a progress handler that looks at
/// the clock). An aggregate over the whole history takes well under a second at a million
/// complaints (BENCHMARKS.md); five minutes leaves room for a heavy join while a runaway
/// statement cannot hold a connection and its snapshot (on PostgreSQL holding vacuum back)
/// for hours.
pub(crate) const QUERY_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// How long an export may run, its rows' writing included ([`Store::query_each`]): a whole
/// table of millions of rows is written in minutes, to a slow disk or over a network too; a
/// runaway statement still cannot hold its snapshot for days.
pub(crate) const EXPORT_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// The most rows a query's result may hold. A result is held in memory until it is printed
/// (a table's columns are as wide as their widest value), so a statement that would return
/// more is stopped and refused, asking for `LIMIT` or an aggregate, rather than filling the
/// memory: `SELECT * FROM raw_records` would load the whole archive.
pub(crate) const QUERY_MAX_ROWS: usize = 1_000_000;

/// The most bytes a query's result may take in memory (its values and their bookkeeping),
/// for the same reason: far fewer rows of payloads or bodies than [`QUERY_MAX_ROWS`] fill it.
pub(crate) const QUERY_MAX_BYTES: usize = 256 * 1024 * 1024;

/// SQLite virtual-machine steps between two looks at the clock (each a few nanoseconds,
/// against well over a microsecond of work between them).
const PROGRESS_STEPS: i32 = 10_000;

/// The rule a statement that is not a query is refused by.
const ONLY: &str = "only a single SELECT, WITH, VALUES or TABLE query is run";

/// How long a read may run, and how many rows and bytes its result may hold.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    time: std::time::Duration,
    rows: usize,
    bytes: usize,
}

impl Bounds {
    /// The analysts' queries and the report.
    const QUERY: Bounds = Bounds {
        time: QUERY_TIME_LIMIT,
        rows: QUERY_MAX_ROWS,
        bytes: QUERY_MAX_BYTES,
    };

    /// An export ([`Store::query_each`]).
    const EXPORT: Bounds = Bounds {
        time: EXPORT_TIME_LIMIT,
        rows: usize::MAX,
        bytes: usize::MAX,
    };

    /// A whole table read on purpose ([`Store::complaints_fingerprint`]).
    const WHOLE: Bounds = Bounds {
        time: QUERY_TIME_LIMIT,
        rows: usize::MAX,
        bytes: usize::MAX,
    };
}

/// What [`Store::query_each`] hands over as it reads.
#[derive(Debug)]
pub enum Streamed<'a> {
    /// The result's columns, first.
    Columns {
        /// Their names, in order.
        names: &'a [String],
        /// For each, whether its values are given exactly as their texts: numbers, and
        /// PostgreSQL's JSON values, arrays and composite values as their JSON (see
        /// [`QueryResult::exact_numbers`]); empty when there is none.
        exact_numbers: &'a [bool],
    },
    /// A row, its values in the columns' order.
    Row(&'a [serde_json::Value]),
}

/// Where a query's columns and rows go as they are read.
trait Sink {
    /// The result's columns, before any row, and which are given exactly as their texts
    /// (numbers, PostgreSQL's JSON values, arrays and composite values; see
    /// [`QueryResult::exact_numbers`]).
    fn columns(&mut self, columns: &[String], exact_numbers: &[bool]) -> Result<()>;
    /// One row.
    fn push(&mut self, row: Vec<serde_json::Value>) -> Result<()>;
}

/// The rows handed on (see [`Store::query_each`]).
struct Streaming<'f> {
    each: &'f mut (dyn FnMut(Streamed<'_>) -> std::result::Result<(), String> + Send),
    rows: u64,
}

impl Sink for Streaming<'_> {
    fn columns(&mut self, columns: &[String], exact_numbers: &[bool]) -> Result<()> {
        (self.each)(Streamed::Columns {
            names: columns,
            exact_numbers,
        })
        .map_err(streaming_failed)
    }

    fn push(&mut self, row: Vec<serde_json::Value>) -> Result<()> {
        self.rows += 1;
        (self.each)(Streamed::Row(&row)).map_err(streaming_failed)
    }
}

fn streaming_failed(message: String) -> Error {
    Error::Rows {
        what: "writing the query's rows".into(),
        message,
    }
}

/// A result's rows as they are read, within bounds.
struct Collected {
    bounds: Bounds,
    rows: Vec<Vec<serde_json::Value>>,
    exact_numbers: Vec<bool>,
    bytes: usize,
}

impl Collected {
    fn new(bounds: Bounds) -> Collected {
        Collected {
            bounds,
            rows: Vec::new(),
            exact_numbers: Vec::new(),
            bytes: 0,
        }
    }
}

impl Sink for Collected {
    fn columns(&mut self, _: &[String], exact_numbers: &[bool]) -> Result<()> {
        if exact_numbers.contains(&true) {
            self.exact_numbers = exact_numbers.to_vec();
        }
        Ok(())
    }

    /// Keeps `row`, or refuses the result it would take past the bounds.
    fn push(&mut self, row: Vec<serde_json::Value>) -> Result<()> {
        let past = |what: String| Error::Rows {
            what: "running the query".into(),
            message: format!(
                "the result holds more than {what}, more than is kept to be printed, so it was \
                 stopped; add LIMIT, or aggregate (GROUP BY), to read less, or export it whole \
                 (`--format csv` or `json`, written as it is read)"
            ),
        };
        if self.rows.len() >= self.bounds.rows {
            return Err(past(format!("{} rows", digits(self.bounds.rows))));
        }
        self.bytes = self.bytes.saturating_add(
            std::mem::size_of::<Vec<serde_json::Value>>()
                + row.iter().map(value_size).sum::<usize>(),
        );
        if self.bytes > self.bounds.bytes {
            return Err(past(format!(
                "{} (after {} rows)",
                bytes(self.bounds.bytes),
                digits(self.rows.len())
            )));
        }
        self.rows.push(row);
        Ok(())
    }
}

/// About the memory a value takes.
fn value_size(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    std::mem::size_of::<Value>()
        + match v {
            Value::String(s) => s.len(),
            Value::Array(a) => a.iter().map(value_size).sum(),
            Value::Object(o) => o.iter().map(|(k, v)| k.len() + value_size(v)).sum(),
            _ => 0,
        }
}

/// `n` with its thousands set apart (`1,000,000`).
fn digits(n: usize) -> String {
    let text = n.to_string();
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// [`query_error`] on PostgreSQL (`pool` the store's, `tx` the query's transaction, which
/// ends here): how the server tells a statement its `statement_timeout` stopped is learnt for
/// a `query_canceled` met past the bound (see [`postgres_timed_out`]), once the query's
/// connection is back in the pool: learning takes one, and with every other in use it would
/// wait for one while holding its own (review, session 48).
async fn postgres_query_error(
    pool: &sqlx::PgPool,
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    e: sqlx::Error,
    bounds: Bounds,
    started: std::time::Instant,
) -> Error {
    let cancelled_late = matches!(&e, sqlx::Error::Database(d) if d.code().as_deref() == Some("57014"))
        && started.elapsed() >= bounds.time;
    let mark = match cancelled_late {
        true => {
            // Rolled back (it is aborted) whether or not that answers.
            let _ = tx.rollback().await;
            timeout_mark(pool).await
        }
        false => None,
    };
    query_error(e, bounds, started, mark.as_ref())
}

/// How a PostgreSQL server tells a statement its `statement_timeout` stopped: where in its
/// own source it raises that error (its file and line, sent with every error in every
/// language), and its words, in the language (`lc_messages`) of the session that learnt them,
/// for a server that does not say where.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TimeoutMark {
    /// The server's source file and line that raise the error.
    place: Option<(String, usize)>,
    /// Its message.
    words: String,
}

/// Where in the server's source a PostgreSQL error was raised (its file and line).
fn raised_at(d: &dyn sqlx::error::DatabaseError) -> Option<(String, usize)> {
    let pg = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
    Some((pg.file()?.to_string(), pg.line()?))
}

/// How this PostgreSQL server tells a statement its `statement_timeout` stopped (see
/// [`TimeoutMark`]), learnt by letting it stop one (in a millisecond); `None` when it cannot
/// be. In one round trip: a simple query of two statements is one transaction, to which
/// `SET LOCAL` holds and which the error ends (it took four: `BEGIN`, the bound, the
/// statement and `ROLLBACK`, on a path that is already a failing query's).
async fn timeout_mark(pool: &sqlx::PgPool) -> Option<TimeoutMark> {
    match sqlx::raw_sql("SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)")
        .execute(pool)
        .await
    {
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("57014") => {
            Some(TimeoutMark {
                place: raised_at(d.as_ref()),
                words: d.message().to_string(),
            })
        }
        _ => None,
    }
}

/// Whether PostgreSQL's error of `code` and `message`, raised at `place` in its source, met
/// `past` the query's time bound or not, is the bound's stop: `query_canceled` (57014: by its
/// code, not by words of a language), raised where the server raises a statement's
/// `statement_timeout` (`mark`, learnt from it; by its words where either place is not
/// known, and when it could not be learnt, any such error past the bound). A cancel by hand
/// (`pg_cancel_backend`, an operator's) has the same code and is raised elsewhere, before
/// the bound or after it (review, session 48: one after it was said to be the bound's). The
/// place, not the words: the language of the session whose statement stopped (`lc_messages`,
/// which a superuser's query may set for its transaction, or a role's or database's default
/// changed while the pool's older connections keep theirs) is not always the learning
/// session's (session 49).
fn postgres_timed_out(
    code: Option<&str>,
    message: &str,
    place: Option<(&str, usize)>,
    past: bool,
    mark: Option<&TimeoutMark>,
) -> bool {
    code == Some("57014")
        && past
        && mark.is_none_or(|m| match (&m.place, place) {
            (Some((file, line)), Some(at)) => (file.as_str(), *line) == at,
            _ => m.words == message,
        })
}

/// A query's error: a write refused by the read-only guard, the time bound reached, or the
/// database's own. `started` is when the query was begun; `mark`, on PostgreSQL, how its
/// timeout is told (see [`postgres_timed_out`]).
fn query_error(
    e: sqlx::Error,
    bounds: Bounds,
    started: std::time::Instant,
    mark: Option<&TimeoutMark>,
) -> Error {
    let mut timed_out = false;
    let mut what = "running the query".to_string();
    if let sqlx::Error::Database(d) = &e {
        let code = d.code();
        let code = code.as_deref();
        let sqlite = d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some();
        // By its code, not its words: a query that only reads quotes a name of its own in
        // its error (`no such column: readonly`), which is no refusal to write.
        let sqlite_code = code.and_then(|c| c.parse::<i32>().ok()).filter(|_| sqlite);
        let refused = match sqlite_code {
            Some(c) => sqlite_refused(c),
            None => code == Some("25006"),
        };
        if refused {
            return Error::ReadOnly(d.message().to_string());
        }
        if let Some(c) = sqlite_code.filter(|c| c & 0xff == 8) {
            what = format!(
                "running the query (SQLite's code {c}: the query writes nothing, but a file \
                 of the store, its -wal or -shm or a journal, is one this read-only \
                 connection cannot use)"
            );
        }
        // PostgreSQL's `statement_timeout` (see `postgres_timed_out`), SQLite's
        // SQLITE_INTERRUPT from the progress handler.
        let past = started.elapsed() >= bounds.time;
        timed_out = match sqlite {
            true => code == Some("9"),
            false => {
                let place = raised_at(d.as_ref());
                let place = place.as_ref().map(|(file, line)| (file.as_str(), *line));
                postgres_timed_out(code, d.message(), place, past, mark)
            }
        };
    }
    if timed_out {
        what = format!(
            "running the query (stopped after {}, the longest a query may run: narrow it \
             down, or add LIMIT)",
            duration(bounds.time)
        );
    }
    Error::Sql { what, cause: e }
}

/// Whether SQLite's (extended) result `code` refuses a write of the statement: only
/// SQLITE_READONLY itself (8), given to a statement that writes on the read-only
/// connection (or with `query_only` on). Its other variants (SQLITE_READONLY_RECOVERY,
/// `_CANTLOCK`, `_ROLLBACK`, `_DBMOVED`, `_CANTINIT`, `_DIRECTORY`: 8 in the low byte) tell
/// of the store's files, a `-shm` this user cannot write or a journal to roll back, and come
/// to a query that only reads as well: no refusal of the statement, and no usage error.
fn sqlite_refused(code: i32) -> bool {
    code == 8
}

/// A size as a person says it: `256 MB`, `10,000 bytes`.
fn bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{} MB", digits(n >> 20))
    } else {
        format!("{} bytes", digits(n))
    }
}

/// A duration as a person says it: `5 minutes`, `30 s`, `200 ms`.
fn duration(d: std::time::Duration) -> String {
    match d.as_secs() {
        s if s >= 60 && s.is_multiple_of(60) => format!("{} minutes", s / 60),
        0 => format!("{} ms", d.as_millis()),
        s => format!("{s} s"),
    }
}

/// The refusal of a statement that gives no columns: not a query.
fn no_columns() -> Error {
    Error::ReadOnly(format!(
        "{ONLY}, and this statement gives no columns (a WITH before a statement that changes \
         rows, say): it was not run"
    ))
}

/// The refusal of a text that holds more than one statement.
fn more_than_one() -> Error {
    Error::ReadOnly("give one statement at a time (the text holds more than one)".into())
}

/// How SQLite reads a statement's text.
struct Reading {
    /// Its first statement is the whole text (white space and comments after it included).
    whole: bool,
    /// That statement changes the database (not `sqlite3_stmt_readonly`).
    writes: bool,
}

/// How SQLite reads `text` on the connection `db`, prepared and not run; `None` when it
/// cannot be prepared (the error `sqlx` then gives is the database's own). Preparing a
/// statement that reads changes nothing (only a `PRAGMA` acts as it is prepared, and none
/// gets here), so the text is prepared before it runs without preparing more than its first
/// statement.
fn sqlite_reading(db: *mut rusqlite::ffi::sqlite3, text: &str) -> Option<Reading> {
    use rusqlite::ffi;
    let len = std::os::raw::c_int::try_from(text.len()).ok()?;
    let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
    let mut tail: *const std::os::raw::c_char = std::ptr::null();
    // SAFETY: `db` is an open connection locked by the caller; `text` outlives the call and
    // `len` is its length; `stmt` and `tail` are written by SQLite.
    let rc =
        unsafe { ffi::sqlite3_prepare_v2(db, text.as_ptr().cast(), len, &mut stmt, &mut tail) };
    let read = (rc == ffi::SQLITE_OK).then(|| Reading {
        // Where SQLite's first statement ends, as an offset into `text`.
        whole: (tail as usize).wrapping_sub(text.as_ptr() as usize) == text.len(),
        // SAFETY: `stmt` is the statement prepared above (a null one, of a text of comments
        // alone, is read only).
        writes: unsafe { ffi::sqlite3_stmt_readonly(stmt) } == 0,
    });
    // SAFETY: finalising the statement prepared above (null when there is none) once.
    unsafe { ffi::sqlite3_finalize(stmt) };
    read
}

/// An analysts' statement, read as far as running it needs.
#[derive(Debug, PartialEq)]
struct OneQuery<'a> {
    /// The statement up to its `;` (without it and the comments after it).
    body: &'a str,
    /// Whether it begins with `(`: `(SELECT …)`, which SQLite only takes as a subquery.
    parenthesised: bool,
}

/// `sql` as one query, read by `dialect`'s lexical rules, or the reason it is refused unrun:
/// it holds more than one statement, or its first word (after white space, comments and
/// opening parentheses) is not SELECT, WITH, VALUES or TABLE.
fn one_query(sql: &str, dialect: Dialect) -> Result<OneQuery<'_>> {
    // One statement: SQLite would run every statement of the text, and a first one could
    // lift the read-only guard of the second (`PRAGMA query_only = OFF; …`).
    let Some(end) = statement_end(sql, dialect) else {
        return Err(more_than_one());
    };
    let body = &sql[..end];
    // A read-only transaction does not stop everything that is not a query: PostgreSQL's
    // `COPY … TO` writes a file on the server (`TO PROGRAM` runs a command there).
    let (word, parenthesised) = first_word(body, dialect);
    if !matches!(word.as_str(), "select" | "with" | "values" | "table") {
        let begins = if word.is_empty() {
            "this statement does not begin with one".to_string()
        } else {
            format!("this statement begins with {}", word.to_ascii_uppercase())
        };
        return Err(Error::ReadOnly(format!(
            "{ONLY}, and {begins}: it was not run"
        )));
    }
    Ok(OneQuery {
        body,
        parenthesised,
    })
}

fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> serde_json::Value {
    use serde_json::Value;
    let Ok(raw) = row.try_get_raw(i) else {
        return Value::Null;
    };
    if raw.is_null() {
        return Value::Null;
    }
    match raw.type_info().name() {
        "INTEGER" | "BOOLEAN" => row
            .try_get_unchecked::<i64, _>(i)
            .map(Value::from)
            .unwrap_or(Value::Null),
        // JSON has no number for an infinity (`1e999`): written as PostgreSQL writes one
        // (NaN SQLite stores as NULL).
        "REAL" => match row.try_get_unchecked::<f64, _>(i) {
            Ok(x) if x == f64::INFINITY => Value::from("Infinity"),
            Ok(x) if x == f64::NEG_INFINITY => Value::from("-Infinity"),
            Ok(x) => Value::from(x),
            Err(_) => Value::Null,
        },
        "BLOB" => row
            .try_get::<Vec<u8>, _>(i)
            // As PostgreSQL writes a `bytea` (`\x` and hex): the same text on both stores.
            .map(|b| Value::String(format!("\\x{}", hex_encode(&b))))
            .unwrap_or(Value::Null),
        // A text that is not UTF-8 (`CAST(payload AS TEXT)` of a Windows-1252 112 export)
        // with `�` for each stray byte or cut-short character (the bytes of `€` but its
        // last, `e2 82`, give one): NULL would say it was not there.
        _ => match row.try_get_unchecked::<String, _>(i) {
            Ok(s) => Value::from(s),
            Err(_) => row
                .try_get_unchecked::<Vec<u8>, _>(i)
                .map(|b| Value::from(String::from_utf8_lossy(&b).into_owned()))
                .unwrap_or(Value::Null),
        },
    }
}

/// How a column's values are read from the JSON PostgreSQL writes of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Written {
    /// As JSON.
    Json,
    /// A `numeric`: its number as its text, every digit kept.
    Numeric,
    /// A `timestamptz` or `timestamp`: its text with its fraction of a second in whole
    /// milliseconds or microseconds, as the SQLite store holds times.
    Time,
    /// A `json` or `jsonb` value, an array (of anything but doubles) or a composite value (a
    /// table's row, a `ROW(…)`): its JSON text as PostgreSQL writes it, without the white
    /// space between its parts (see [`compact_json`]), every digit of its numbers kept, the
    /// times it holds (by their types, as `shape` places them) each written as
    /// [`Written::Time`].
    Shaped(Shape),
}

/// Where the times are in a value PostgreSQL writes as JSON, by its type.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// None: a number, a text, a `json` or `jsonb` value (whose texts are texts, whatever
    /// they say)…
    Plain,
    /// A `timestamptz` or `timestamp`.
    Time,
    /// An array, each item (of each of its dimensions) so shaped.
    Items(Box<Shape>),
    /// A composite value (a JSON object), its fields in order so shaped.
    Fields(Vec<Shape>),
    /// A composite value, anonymous (`ROW(…)`) or of a type that has a name, whose fields'
    /// types are read from each value as PostgreSQL sends it (see [`sent_shape`]); without
    /// it, as [`Shape::Plain`]. A named type's fields are not taken from the type `sqlx`
    /// describes: it keeps them per connection, and after an `ALTER TYPE` a pooled
    /// connection's are those of before (review, session 50: a text field was written as a
    /// time where a time field had been dropped).
    Record,
}

impl Shape {
    /// The shape of a value of type `t`.
    fn of(t: &sqlx::postgres::PgTypeInfo) -> Shape {
        use sqlx::postgres::PgTypeKind;
        match t.kind() {
            PgTypeKind::Domain(base) => Shape::of(base),
            PgTypeKind::Array(item) => Shape::Items(Box::new(Shape::of(item))),
            PgTypeKind::Composite(_) => Shape::Record,
            _ => match t.name() {
                "TIMESTAMPTZ" | "TIMESTAMP" => Shape::Time,
                "RECORD" => Shape::Record,
                _ => Shape::Plain,
            },
        }
    }

    /// Whether a composite value (a record, see [`Shape::Record`]) is part of it.
    fn has_records(&self) -> bool {
        match self {
            Shape::Record => true,
            Shape::Items(item) => item.has_records(),
            Shape::Fields(fields) => fields.iter().any(Shape::has_records),
            Shape::Plain | Shape::Time => false,
        }
    }
}

impl Written {
    /// How a column of type `t` is read (a domain as its base type).
    fn of(t: &sqlx::postgres::PgTypeInfo) -> Written {
        use sqlx::postgres::PgTypeKind;
        if let PgTypeKind::Domain(base) = t.kind() {
            return Written::of(base);
        }
        match t.name() {
            "NUMERIC" => Written::Numeric,
            "TIMESTAMPTZ" | "TIMESTAMP" => Written::Time,
            // A double's digits are a double's, in an array as alone.
            "FLOAT4[]" | "FLOAT8[]" => Written::Json,
            "JSON" | "JSONB" => Written::Shaped(Shape::Plain),
            name => match (t.kind(), Shape::of(t)) {
                (PgTypeKind::Array(_) | PgTypeKind::Composite(_), shape) => Written::Shaped(shape),
                (_, Shape::Record) => Written::Shaped(Shape::Record),
                _ if name.ends_with("[]") => Written::Shaped(Shape::Items(Box::new(Shape::Plain))),
                _ => Written::Json,
            },
        }
    }

    /// Whether the column's values are given as their texts (see
    /// [`QueryResult::exact_numbers`]).
    fn exact(&self) -> bool {
        matches!(self, Written::Numeric | Written::Shaped(_))
    }

    /// Whether an anonymous record is part of the column's values (see [`sent_shape`]).
    fn has_records(&self) -> bool {
        matches!(self, Written::Shaped(shape) if shape.has_records())
    }
}

/// Whether a value of type `t` is a `json` or `jsonb` value (a domain of one too).
fn is_document(t: &sqlx::postgres::PgTypeInfo) -> bool {
    match t.kind() {
        sqlx::postgres::PgTypeKind::Domain(base) => is_document(base),
        _ => matches!(t.name(), "JSON" | "JSONB"),
    }
}

/// The shape of a column's value (`kind`, holding a composite value) from the value as
/// PostgreSQL sent it in binary: a record as `record_send` writes it, its fields' count, then
/// each field's type, length and bytes, a field's record so in turn; an array as
/// `array_send` does, its items' type and each item's length and bytes. A field's type that
/// is not built in (a composite type that has a name, a domain, an array of either) is
/// looked up in `types`. `None` when the bytes do not read so.
fn sent_shape(kind: &Written, bytes: &[u8], types: &Types) -> Option<Shape> {
    let Written::Shaped(shape) = kind else {
        return None;
    };
    match shape {
        Shape::Record => sent_record(bytes, types),
        Shape::Items(item) if **item == Shape::Record => sent_array(bytes, types),
        _ => None,
    }
}

/// What a type that is not built in is, as far as [`sent_shape`] reads its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Made {
    /// A `timestamptz` or `timestamp` (a domain over one).
    Time,
    /// A composite value (a type that has a name, a table's row, a domain over one): sent
    /// as a record is.
    Record,
    /// An array.
    Array,
}

/// The composite types, domains and arrays of either of the database, by their numbers
/// (see [`Made`]), read when a query's result holds composite values: from the catalog, at
/// the query's start and in its snapshot, so that a type changed a moment before is read
/// as it is now.
#[derive(Debug, Default)]
struct Types(HashMap<u32, Made>);

impl Types {
    /// The catalog's rows of such types: number, `typtype`, base type (a domain's) and
    /// item type (an array's).
    const SQL: &'static str = "SELECT t.oid::int8, t.typtype::text, t.typbasetype::int8, \
        t.typelem::int8 FROM pg_catalog.pg_type t WHERE t.typtype IN ('c', 'd') \
        OR (t.typcategory = 'A' AND t.typelem IN \
        (SELECT e.oid FROM pg_catalog.pg_type e WHERE e.typtype IN ('c', 'd')))";

    /// The types of the catalog's `rows` (see [`Types::SQL`]), each domain read as the type
    /// it is made over.
    fn of(rows: &[(i64, String, i64, i64)]) -> Types {
        let rows: HashMap<u32, (&str, u32, u32)> = rows
            .iter()
            .filter_map(|(oid, kind, base, item)| {
                let n = |v: &i64| u32::try_from(*v).ok();
                Some((n(oid)?, (kind.as_str(), n(base)?, n(item)?)))
            })
            .collect();
        let made = |oid: u32| -> Option<Made> {
            // A domain over a domain…: a few steps at most (a cycle cannot be made; the
            // bound is for a catalog read half-way).
            let mut oid = oid;
            for _ in 0..16 {
                match oid {
                    TIMESTAMP | TIMESTAMPTZ => return Some(Made::Time),
                    RECORD => return Some(Made::Record),
                    TIMESTAMP_ARRAY | TIMESTAMPTZ_ARRAY | RECORD_ARRAY => return Some(Made::Array),
                    _ => {}
                }
                match rows.get(&oid)? {
                    ("c", ..) => return Some(Made::Record),
                    ("d", base, _) => oid = *base,
                    (_, _, item) if *item != 0 => return Some(Made::Array),
                    _ => return None,
                }
            }
            None
        };
        Types(
            rows.keys()
                .filter_map(|oid| Some((*oid, made(*oid)?)))
                .collect(),
        )
    }

    fn get(&self, oid: u32) -> Option<Made> {
        match oid {
            TIMESTAMP | TIMESTAMPTZ => Some(Made::Time),
            RECORD => Some(Made::Record),
            TIMESTAMP_ARRAY | TIMESTAMPTZ_ARRAY | RECORD_ARRAY => Some(Made::Array),
            _ => self.0.get(&oid).copied(),
        }
    }
}

/// PostgreSQL's type numbers (`pg_type.oid`) that [`sent_shape`] reads.
const TIMESTAMP: u32 = 1114;
const TIMESTAMPTZ: u32 = 1184;
const TIMESTAMP_ARRAY: u32 = 1115;
const TIMESTAMPTZ_ARRAY: u32 = 1185;
const RECORD: u32 = 2249;
const RECORD_ARRAY: u32 = 2287;

/// The bytes of a binary value, read in order.
struct Sent<'b>(&'b [u8]);

impl<'b> Sent<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_be_bytes)
    }

    fn i32(&mut self) -> Option<i32> {
        self.take(4)?.try_into().ok().map(i32::from_be_bytes)
    }

    /// A length and that many bytes; `Some(None)` for a NULL.
    fn value(&mut self) -> Option<Option<&'b [u8]>> {
        match usize::try_from(self.i32()?) {
            Ok(n) => self.take(n).map(Some),
            Err(_) => Some(None),
        }
    }
}

/// The shape of a value of type `oid` sent as `bytes` (see [`sent_shape`]).
fn sent_value(oid: u32, bytes: Option<&[u8]>, types: &Types) -> Shape {
    match types.get(oid) {
        Some(Made::Time) => Shape::Time,
        // An array of times, NULL or empty, has no item to read its type from.
        Some(Made::Array) if matches!(oid, TIMESTAMP_ARRAY | TIMESTAMPTZ_ARRAY) => {
            Shape::Items(Box::new(Shape::Time))
        }
        Some(Made::Array) => bytes
            .and_then(|b| sent_array(b, types))
            .unwrap_or(Shape::Plain),
        Some(Made::Record) => bytes
            .and_then(|b| sent_record(b, types))
            .unwrap_or(Shape::Plain),
        None => Shape::Plain,
    }
}

/// A record's shape from `record_send`'s bytes.
fn sent_record(bytes: &[u8], types: &Types) -> Option<Shape> {
    let mut sent = Sent(bytes);
    let n = sent.i32()?;
    let mut fields = Vec::new();
    for _ in 0..n {
        let oid = sent.u32()?;
        fields.push(sent_value(oid, sent.value()?, types));
    }
    Some(Shape::Fields(fields))
}

/// An array's shape from `array_send`'s bytes: of items of the type it names, shaped as its
/// first item that is not NULL (the records of an array are of one row type).
fn sent_array(bytes: &[u8], types: &Types) -> Option<Shape> {
    let mut sent = Sent(bytes);
    let dimensions = sent.i32()?;
    let _has_nulls = sent.i32()?;
    let item_oid = sent.u32()?;
    let mut items: usize = 1;
    for _ in 0..dimensions {
        let length = usize::try_from(sent.i32()?).ok()?;
        let _lower_bound = sent.i32()?;
        items = items.saturating_mul(length);
    }
    let mut first = None;
    for _ in 0..items.min(bytes.len()) {
        if let Some(item) = sent.value()? {
            first = Some(item);
            break;
        }
    }
    Some(Shape::Items(Box::new(sent_value(item_oid, first, types))))
}

/// A row PostgreSQL gave as a JSON array of its values (see [`Store::query`]), read by
/// `kinds`: a `numeric`'s number as its text, all its digits kept (read as a double,
/// `12345678901234567890.5` would give `12345678901234567000.0`; PostgreSQL writes a
/// `numeric` into JSON as its text when that is a JSON number, and `NaN` and `Infinity` as
/// strings), a time as [`fraction_in_threes`] writes it.
fn postgres_row(text: Option<&str>, kinds: &[Written]) -> Vec<serde_json::Value> {
    use serde_json::value::RawValue;
    use serde_json::Value;
    let Some(text) = text else {
        return Vec::new();
    };
    if kinds.iter().all(|k| *k == Written::Json) {
        return match serde_json::from_str(text) {
            Ok(Value::Array(values)) => values,
            _ => Vec::new(),
        };
    }
    let Ok(values) = serde_json::from_str::<Vec<&RawValue>>(text) else {
        return Vec::new();
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let raw = raw.get();
            let kind = kinds.get(i).unwrap_or(&Written::Json);
            if *kind == Written::Numeric
                && raw.starts_with(|c: char| c == '-' || c.is_ascii_digit())
            {
                return Value::String(raw.to_string());
            }
            if let Written::Shaped(shape) = kind {
                return match raw {
                    "null" => Value::Null,
                    _ => Value::String(shaped_json(raw, shape)),
                };
            }
            match serde_json::from_str(raw).unwrap_or(Value::Null) {
                Value::String(t) if *kind == Written::Time => Value::String(fraction_in_threes(&t)),
                v => v,
            }
        })
        .collect()
}

/// JSON text as PostgreSQL wrote it, compact as [`compact_json`] writes it, the texts that
/// are times by `shape` (and those alone: a text that reads as a time is a text) as
/// [`fraction_in_threes`] writes them.
fn shaped_json(raw: &str, shape: &Shape) -> String {
    let raw = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    match shape {
        Shape::Plain | Shape::Record => compact_json(raw, false),
        Shape::Time => compact_json(raw, true),
        Shape::Items(item) if raw.starts_with('[') => {
            let items: Vec<String> = json_parts(&raw[1..raw.len().saturating_sub(1)])
                .into_iter()
                .map(|part| match part.trim_start().starts_with('[') {
                    // An inner dimension's array, its items shaped alike.
                    true => shaped_json(part, shape),
                    false => shaped_json(part, item),
                })
                .collect();
            format!("[{}]", items.join(","))
        }
        Shape::Fields(fields) if raw.starts_with('{') => {
            let members: Vec<String> = json_parts(&raw[1..raw.len().saturating_sub(1)])
                .into_iter()
                .enumerate()
                .map(|(i, member)| {
                    let member = member.trim_start();
                    let key_end = json_text_end(member);
                    let value = member[key_end..]
                        .trim_start()
                        .strip_prefix(':')
                        .unwrap_or_default();
                    format!(
                        "{}:{}",
                        &member[..key_end],
                        shaped_json(value, fields.get(i).unwrap_or(&Shape::Plain))
                    )
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        _ => compact_json(raw, false),
    }
}

/// The parts of the inside of a JSON array or object (`inner`), split at the commas between
/// them (not those inside a text or a value within).
fn json_parts(inner: &str) -> Vec<&str> {
    let b = inner.as_bytes();
    let mut parts = Vec::new();
    let (mut depth, mut start, mut i) = (0usize, 0, 0);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += json_text_end(&inner[i..]);
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !inner[start..].trim().is_empty() {
        parts.push(&inner[start..]);
    }
    parts
}

/// Where the JSON text `s` begins with ends (after its closing quote; a backslash escapes the
/// character after it); 0 when it does not begin with one.
fn json_text_end(s: &str) -> usize {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return 0;
    }
    let mut j = 1;
    while j < b.len() && b[j] != b'"' {
        j += if b[j] == b'\\' { 2 } else { 1 };
    }
    (j + 1).min(b.len())
}

/// A time as PostgreSQL writes it (`2024-02-01T03:00:00.5+00:00`, its fraction's trailing
/// zeros dropped) with its fraction in whole milliseconds or microseconds
/// (`…:00.500+00:00`), as the SQLite store holds a time (chrono's RFC 3339 of 0, 3, 6 or 9
/// digits), so that the same time reads the same on both stores. A text without a
/// fraction (a whole second, `infinity`) as it is.
fn fraction_in_threes(t: &str) -> String {
    let Some(dot) = t.find('.') else {
        return t.to_string();
    };
    let n = t[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    let pad = (3 - n % 3) % 3;
    if n == 0 || pad == 0 {
        return t.to_string();
    }
    let end = dot + 1 + n;
    format!("{}{}{}", &t[..end], "0".repeat(pad), &t[end..])
}

/// JSON text as PostgreSQL wrote it (a `jsonb`'s `{"a": 1.50}`, a `json` as it was given,
/// lines and all) without the white space between its parts, as `serde_json` writes a
/// value, but with its numbers as written (`1.50`, `12345678901234567890123`, `1e2`: read as
/// doubles they would lose digits or their scale) and its texts as written; with `times`,
/// each text (an array's time) as [`fraction_in_threes`] writes it.
fn compact_json(raw: &str, times: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            // To the quote no backslash escapes (JSON's `\"` and `\\`).
            let b = rest.as_bytes();
            let mut j = 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            let text = &rest[..end];
            if times && end >= 2 {
                out.push('"');
                out.push_str(&fraction_in_threes(&text[1..end - 1]));
                out.push('"');
            } else {
                out.push_str(text);
            }
            rest = &rest[end..];
            continue;
        }
        if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// (group key, the link's span, payload) of each row of a `group_raws_near` query: the key
/// first, then the span and the payload's columns.
#[allow(clippy::type_complexity)]
fn grouped<R: Row>(rows: Vec<R>) -> Result<Vec<((String, Option<(i64, i64)>), PackedRaw)>>
where
    usize: sqlx::ColumnIndex<R>,
    for<'n> &'n str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    PackedRaw: for<'r> sqlx::FromRow<'r, R>,
{
    rows.into_iter()
        .map(|row| {
            let key: String = row.try_get(0).context(|| "reading a group key".into())?;
            let from: Option<i64> = row
                .try_get("span_from")
                .context(|| "reading a group link's span".into())?;
            let to: Option<i64> = row
                .try_get("span_to")
                .context(|| "reading a group link's span".into())?;
            let raw = <PackedRaw as sqlx::FromRow<_>>::from_row(&row)
                .context(|| "reading a grouped payload".into())?;
            Ok(((key, from.zip(to)), raw))
        })
        .collect()
}

#[cfg(test)]
mod query_tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_query_is_read_past_white_space_comments_and_parentheses() {
        for (sql, body, parenthesised) in [
            ("SELECT 1", "SELECT 1", false),
            ("-- how many\nSELECT 1", "-- how many\nSELECT 1", false),
            (" /* q */ select 1; -- done\n", " /* q */ select 1", false),
            ("( (values (1)) );", "( (values (1)) )", true),
            ("/**/(/* a */TABLE t)", "/**/(/* a */TABLE t)", true),
            (
                "WITH x AS (SELECT ';') SELECT * FROM x",
                "WITH x AS (SELECT ';') SELECT * FROM x",
                false,
            ),
        ] {
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                assert_eq!(
                    one_query(sql, dialect).map_err(|e| e.to_string()),
                    Ok(OneQuery {
                        body,
                        parenthesised
                    }),
                    "{dialect:?}: {sql:?}"
                );
            }
        }
        for (sql, begins) in [
            ("COPY (SELECT 1) TO '/tmp/x'", "begins with COPY"),
            ("/* SELECT */ EXPLAIN SELECT 1", "begins with EXPLAIN"),
            ("(-- x\nDELETE FROM t)", "begins with DELETE"),
            ("selected", "begins with SELECTED"),
            ("", "does not begin with one"),
            ("-- nothing", "does not begin with one"),
            ("/* never closed SELECT 1", "does not begin with one"),
            ("'SELECT'", "does not begin with one"),
        ] {
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                let err = one_query(sql, dialect).unwrap_err();
                assert!(matches!(err, Error::ReadOnly(_)), "{sql:?}: {err}");
                let text = err.to_string();
                assert!(
                    text.contains(begins) && text.contains("not run"),
                    "{dialect:?}: {sql:?}: {text}"
                );
            }
        }
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            assert!(one_query("SELECT 1; SELECT 2", dialect).is_err());
        }
    }

    /// PostgreSQL's JSON loses only the white space between its parts: a text's spaces,
    /// escapes and digits stay, and so do a number's (review, session 48).
    #[test]
    fn json_is_compacted_as_written() {
        assert_eq!(
            compact_json("{\"a b\": [1.50, \"x \\\" ,\\\\\"],\n  \"c\": 1e2}", false),
            "{\"a b\":[1.50,\"x \\\" ,\\\\\"],\"c\":1e2}"
        );
        assert_eq!(
            compact_json(
                "[\"2024-02-01T03:00:00.5+00:00\", null, \"infinity\"]",
                true
            ),
            "[\"2024-02-01T03:00:00.500+00:00\",null,\"infinity\"]"
        );
        assert_eq!(
            compact_json("\"never closed \\", false),
            "\"never closed \\"
        );
    }

    #[test]
    fn thousands_are_set_apart() {
        assert_eq!(digits(0), "0");
        assert_eq!(digits(999), "999");
        assert_eq!(digits(1000), "1,000");
        assert_eq!(digits(1_000_000), "1,000,000");
        assert_eq!(duration(QUERY_TIME_LIMIT), "5 minutes");
        assert_eq!(bytes(QUERY_MAX_BYTES), "256 MB");
        assert_eq!(bytes(10_000), "10,000 bytes");
    }

    /// Regression (review, defect 1): a query ran as long as it liked. Stopped at the time
    /// bound, saying so, on both stores (a bound of 300 ms here, of 5 minutes for analysts).
    #[tokio::test]
    async fn a_query_is_stopped_at_its_time_bound() {
        let bounds = Bounds {
            time: Duration::from_millis(300),
            ..Bounds::QUERY
        };
        for ts in crate::testing::all().await {
            // Seconds of work on either store, where the bound is a fraction of one.
            let slow = match ts.label {
                "sqlite" => {
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
                     WHERE i < 200000000) SELECT COUNT(*) FROM n"
                }
                _ => "SELECT pg_sleep(10)::text",
            };
            let ran = tokio::time::timeout(
                Duration::from_secs(30),
                ts.store.query_within(slow, &[], bounds),
            )
            .await
            .expect("the query ended within 30 s");
            let err = ran.map(|r| r.rows).unwrap_err().to_string();
            assert!(
                err.contains("stopped after 300 ms") && err.contains("LIMIT"),
                "{}: {err}",
                ts.label
            );
            // The store answers the next query.
            let r = ts.store.query("SELECT 1").await.unwrap();
            assert_eq!(r.rows, vec![vec![serde_json::json!(1)]], "{}", ts.label);
        }
    }

    /// Regression (session 47): PostgreSQL's timeout was told by the word "timeout" in its
    /// message, which is in the server's language (`lc_messages`): a server speaking
    /// Indonesian stopped the query at its bound and it was said to have failed, without
    /// the bound. Told by its code, `query_canceled` (57014), once the bound has passed,
    /// raised where the server itself raises its timeout (learnt from it); a cancel by hand
    /// (`pg_cancel_backend`, same code, raised elsewhere) is no timeout, before the bound or
    /// after it (session 48). Regression (session 49): it was told by the words learnt, in
    /// the learning session's language, so that a query whose session spoke another (a
    /// superuser's query setting `lc_messages` for its transaction, a role's default changed
    /// while the pool's older connections keep theirs) stopped at its bound was said to have
    /// failed; where it is raised is the same in every language.
    #[test]
    fn a_postgresql_timeout_is_told_by_its_code_and_where_the_server_raises_it() {
        let timeout = "canceling statement due to statement timeout";
        let translated = "storniere Anfrage wegen Zeitüberschreitung der Anweisung";
        let by_hand = "canceling statement due to user request";
        let mark = TimeoutMark {
            place: Some(("postgres.c".into(), 3344)),
            words: timeout.into(),
        };
        let at_timeout = Some(("postgres.c", 3344));
        let at_cancel = Some(("postgres.c", 3372));
        let canceled = Some("57014");
        assert!(postgres_timed_out(
            canceled,
            timeout,
            at_timeout,
            true,
            Some(&mark)
        ));
        assert!(postgres_timed_out(
            canceled,
            translated,
            at_timeout,
            true,
            Some(&mark)
        ));
        assert!(!postgres_timed_out(
            canceled,
            by_hand,
            at_cancel,
            true,
            Some(&mark)
        ));
        assert!(!postgres_timed_out(
            canceled,
            timeout,
            at_cancel,
            true,
            Some(&mark)
        ));
        assert!(!postgres_timed_out(
            canceled,
            timeout,
            at_timeout,
            false,
            Some(&mark)
        ));
        // A server that does not say where: by its words.
        let words_alone = TimeoutMark {
            place: None,
            words: timeout.into(),
        };
        assert!(postgres_timed_out(
            canceled,
            timeout,
            None,
            true,
            Some(&words_alone)
        ));
        assert!(!postgres_timed_out(
            canceled,
            by_hand,
            None,
            true,
            Some(&words_alone)
        ));
        assert!(!postgres_timed_out(
            canceled,
            by_hand,
            None,
            true,
            Some(&mark)
        ));
        // Not learnt: a cancel past the bound is taken for it, as before.
        assert!(postgres_timed_out(canceled, by_hand, at_cancel, true, None));
        assert!(!postgres_timed_out(
            Some("57P01"),
            timeout,
            at_timeout,
            true,
            Some(&mark)
        ));
    }

    /// Session 49: the server at hand says where it raises its timeout (so that the tests of
    /// a timeout and of a cancel by hand here tell them apart by it), and a query whose
    /// transaction speaks another language than the pool's sessions (`set_config` of
    /// `lc_messages`, a superuser's) stopped at its bound is said to be stopped there, where
    /// the server has a second language (its locale and PostgreSQL's translations; where it
    /// has none, that half says it is skipped).
    #[tokio::test]
    async fn a_timeout_in_another_language_is_a_timeout() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let pool = postgres_pool(&ts);
        let mark = timeout_mark(pool).await.expect("the timeout is learnt");
        assert!(mark.place.is_some(), "{mark:?}");
        let mut other = None;
        for locale in [
            "de_DE.UTF-8",
            "de_DE.utf8",
            "fr_FR.UTF-8",
            "fr_FR.utf8",
            "es_ES.UTF-8",
        ] {
            let mut tx = pool.begin().await.unwrap();
            let set = sqlx::query("SELECT set_config('lc_messages', $1, true)")
                .bind(locale)
                .execute(&mut *tx)
                .await;
            let _ = tx.rollback().await;
            if set.is_ok() {
                other = Some(locale);
                break;
            }
        }
        let Some(locale) = other else {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: half of a_timeout_in_another_language_is_a_timeout: the server \
                 takes no lc_messages but its own (no de_DE, fr_FR or es_ES locale)"
            );
            return;
        };
        let err = failed_within(
            &ts.store,
            &format!("SELECT set_config('lc_messages', '{locale}', true), pg_sleep(10)::text"),
            Duration::from_millis(300),
        )
        .await;
        assert!(err.contains("stopped after 300 ms"), "{locale}: {err}");
    }

    /// The pool of `ts`, a PostgreSQL store.
    fn postgres_pool(ts: &crate::testing::TestStore) -> &sqlx::PgPool {
        match &ts.store.backend {
            Backend::Postgres(pool) => pool,
            Backend::Sqlite(_) => unreachable!("a PostgreSQL store"),
        }
    }

    /// The error of `sql` run as an analyst's query bounded to `time`.
    async fn failed_within(store: &Store, sql: &str, time: Duration) -> String {
        let bounds = Bounds {
            time,
            ..Bounds::QUERY
        };
        store
            .query_within(sql, &[], bounds)
            .await
            .map(|r| r.rows)
            .expect_err("the query fails")
            .to_string()
    }

    /// Runs `sql` as an analyst's query bounded to `time` while `canceller` (a
    /// [`cancel_holder_of`]) cancels it by hand: the canceller must have found it, and its
    /// error must be the database's, not a timeout.
    async fn cancelled_by_hand(
        store: &Store,
        sql: &str,
        time: Duration,
        canceller: tokio::task::JoinHandle<bool>,
    ) {
        let err = failed_within(store, sql, time).await;
        assert!(canceller.await.unwrap(), "the query's backend was found");
        assert!(
            err.contains("running the query") && !err.contains("stopped after"),
            "{err}"
        );
    }

    /// A cancel by hand before the bound is no timeout. The test cancels its own query alone
    /// (review, session 48: it cancelled every query of its text on the server, another
    /// test's running beside it too): another session's query of the same text, a bystander,
    /// ends by its own bound. Another session holds an advisory lock whose key's high half is
    /// past `i32::MAX`, as a lease's often is (review, session 48: the query's lock was looked
    /// for by a key computed from every lock's halves, which overflowed there, and the
    /// cancel failed while a test beside it held a lease).
    #[tokio::test]
    async fn a_cancel_by_hand_before_the_bound_is_no_timeout() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let pool = postgres_pool(&ts);
        let mut lease = pool.acquire().await.unwrap();
        sqlx::query("SELECT pg_advisory_lock_shared($1)")
            .bind(own_key(4) | i64::MIN)
            .execute(&mut *lease)
            .await
            .unwrap();
        let bystander = {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query("SET LOCAL statement_timeout = 3000")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                let err = sqlx::query("SELECT pg_sleep(20)::text")
                    .execute(&mut *tx)
                    .await
                    .unwrap_err();
                drop(tx);
                let mark = timeout_mark(&pool).await.unwrap();
                match err {
                    sqlx::Error::Database(d) => raised_at(d.as_ref()) == mark.place,
                    _ => false,
                }
            })
        };
        // A cancel by hand, a second into a bound of a minute, of the query that holds its
        // lock.
        let key = own_key(2);
        let canceller = cancel_holder_of(&ts.store, key, Duration::from_secs(1));
        cancelled_by_hand(
            &ts.store,
            &format!(
                "SELECT pg_sleep(20)::text FROM (SELECT pg_advisory_xact_lock({key})) AS held"
            ),
            Duration::from_secs(60),
            canceller,
        )
        .await;
        assert!(
            bystander.await.unwrap(),
            "another session's query was cancelled"
        );
        lease.close().await.unwrap();
    }

    /// Regression (session 48): a cancel by hand (`pg_cancel_backend`, an operator's) that
    /// came once the bound had passed was said to be the bound's, as PostgreSQL gives both
    /// the same code. Here the query outlasts its bound (a function that lets the bound's
    /// stop go by) and is cancelled after it: its error is the database's, not a timeout.
    #[tokio::test]
    async fn a_cancel_by_hand_after_the_bound_is_no_timeout() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        ts.execute(OUTLASTS_ITS_BOUND).await;
        let key = own_key(1);
        let canceller = cancel_holder_of(&ts.store, key, Duration::ZERO);
        cancelled_by_hand(
            &ts.store,
            &format!("SELECT outlasts_its_bound({key})"),
            Duration::from_millis(300),
            canceller,
        )
        .await;
    }

    /// Regression (session 48, review): the words of the server's timeout were learnt on a
    /// connection of the store's pool taken while the query's own was still held, so that
    /// with every other connection of the pool in use (a busy service) learning waited for
    /// one until the pool's time limit (10 s), gave up, and a cancel by hand past the bound
    /// was said to be the bound's again. The query's connection is given back first.
    #[tokio::test]
    async fn the_timeouts_words_are_learnt_with_the_pool_in_use() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        ts.execute(OUTLASTS_ITS_BOUND).await;
        let pool = postgres_pool(&ts);
        // Every connection of the pool but the query's in use.
        let mut in_use = Vec::new();
        for _ in 1..pool.options().get_max_connections() {
            in_use.push(pool.acquire().await.unwrap());
        }
        // The cancel by hand through a connection of its own.
        let own = sqlx::PgPool::connect(&crate::testing::postgres_url())
            .await
            .unwrap();
        let key = own_key(3);
        let canceller = cancel_holder_through(own.clone(), key, Duration::ZERO);
        cancelled_by_hand(
            &ts.store,
            &format!("SELECT outlasts_its_bound({key})"),
            Duration::from_millis(300),
            canceller,
        )
        .await;
        drop(in_use);
        own.close().await;
    }

    /// A function whose statement outlasts its bound: it lets the bound's stop go by, then
    /// takes the advisory lock `key` and sleeps on until it is cancelled by hand. The lock
    /// is taken once the stop has come: a cancel sent when it is held cannot come first (and
    /// be let go by in its place) nor with it (PostgreSQL then reports the timeout alone).
    const OUTLASTS_ITS_BOUND: &str =
        "CREATE FUNCTION outlasts_its_bound(key bigint) RETURNS int LANGUAGE plpgsql AS $$ \
         BEGIN BEGIN PERFORM pg_sleep(10); EXCEPTION WHEN query_canceled THEN NULL; END; \
         PERFORM pg_advisory_xact_lock(key); PERFORM pg_sleep(20); RETURN 1; END $$";

    /// An advisory lock's key of this test process's own (`n` tells a test's from another's):
    /// a query that holds it is found by it, not by its text.
    fn own_key(n: i64) -> i64 {
        i64::from(std::process::id()) * 16 + n
    }

    /// Cancels, `after` the query that takes the advisory lock `key` has taken it, that
    /// query: its backend found by the lock it holds, so that no other session's query is
    /// touched (another test's running beside it, of the same text). Whether it was found
    /// (within 30 s).
    fn cancel_holder_of(store: &Store, key: i64, after: Duration) -> tokio::task::JoinHandle<bool> {
        let Backend::Postgres(pool) = &store.backend else {
            unreachable!("a PostgreSQL store")
        };
        cancel_holder_through(pool.clone(), key, after)
    }

    /// [`cancel_holder_of`] through `pool`'s connections.
    fn cancel_holder_through(
        pool: sqlx::PgPool,
        key: i64,
        after: Duration,
    ) -> tokio::task::JoinHandle<bool> {
        tokio::spawn(async move {
            // The key's halves compared, as `lease_held` does: a key made of every lock's
            // halves overflows a bigint for one whose high half is past `i32::MAX`.
            let holder = format!(
                "SELECT pid FROM pg_locks l WHERE {}",
                crate::lease::granted_lock("l", 1)
            );
            for _ in 0..300 {
                let pid: Option<i32> = sqlx::query_scalar(&holder)
                    .bind(key)
                    .fetch_optional(&pool)
                    .await
                    .unwrap();
                if let Some(pid) = pid {
                    tokio::time::sleep(after).await;
                    return sqlx::query_scalar("SELECT pg_cancel_backend($1)")
                        .bind(pid)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        })
    }

    /// Regression (session 48): the statement was read as PostgreSQL reads it with
    /// `standard_conforming_strings` on, its default, whatever the session's setting. With it
    /// off, a backslash in `'…'` escapes the character after it: `'x\''` is the text `x'`, so
    /// a query ending after it was cut inside it (and failed), and one holding a `;` in such
    /// a text was refused as two statements. A bit string (`B'…'`, `X'…'`) takes no
    /// backslash either way.
    #[tokio::test]
    async fn a_text_is_read_as_the_session_reads_a_backslash() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let url = crate::testing::postgres_url();
        let and = if url.contains('?') { '&' } else { '?' };
        let off = Store::connect_postgres(
            &format!(
                "{url}{and}options[standard_conforming_strings]=off\
                 &options[escape_string_warning]=off"
            ),
            ts.schema.as_deref(),
        )
        .await
        .unwrap();
        let read = off
            .query("SELECT current_setting('standard_conforming_strings') AS s")
            .await
            .unwrap();
        assert_eq!(read.rows, vec![vec![serde_json::json!("off")]]);
        let r = off.query("SELECT 'x\\'' AS a; -- '").await.unwrap();
        assert_eq!(r.rows, vec![vec![serde_json::json!("x'")]]);
        let r = off.query("SELECT 'a\\'; SELECT 2 --' AS b").await.unwrap();
        assert_eq!(r.rows, vec![vec![serde_json::json!("a'; SELECT 2 --")]]);
        for two in ["SELECT B'1\\'; SELECT 2 --'", "SELECT x'1\\'; SELECT 2 --'"] {
            let err = off.query(two).await.map(|r| r.rows).unwrap_err();
            assert!(matches!(err, Error::ReadOnly(_)), "{two}: {err}");
        }
        // With it on (the store's own session), the backslash is a character.
        let err = ts
            .store
            .query("SELECT 'a\\'; SELECT 2 --' AS b")
            .await
            .map(|r| r.rows)
            .unwrap_err();
        assert!(matches!(err, Error::ReadOnly(_)), "{err}");
        let r = ts.store.query("SELECT 'x\\' AS a; -- '").await.unwrap();
        assert_eq!(r.rows, vec![vec![serde_json::json!("x\\")]]);
        off.close().await;
    }

    /// SQLite's own reading of a text, prepared and not run: a second statement (whatever
    /// the splitter made of it) and a statement that changes rows show there.
    #[tokio::test]
    async fn sqlite_reads_a_text_before_it_runs() {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(":memory:")
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (a INTEGER)")
            .execute(&mut conn)
            .await
            .unwrap();
        let mut handle = conn.lock_handle().await.unwrap();
        let db = handle.as_raw_handle().as_ptr();
        for (text, whole, writes) in [
            ("SELECT a FROM t", true, false),
            ("SELECT a FROM t -- done", true, false),
            ("SELECT a FROM t; ", false, false),
            ("SELECT $a(') ; VACUUM INTO 'x' --')", false, false),
            ("WITH x AS (SELECT 1) DELETE FROM t RETURNING a", true, true),
            ("-- nothing", true, false),
        ] {
            let read = sqlite_reading(db, text).map(|r| (r.whole, r.writes));
            assert_eq!(read, Some((whole, writes)), "{text}");
        }
        assert!(sqlite_reading(db, "SELECT b FROM t").is_none());
    }

    /// Only SQLITE_READONLY itself is a refusal of a write the statement makes; its extended
    /// codes tell of the store's files (a `-shm` this user cannot write, a journal to roll
    /// back), which a query that only reads meets as well (review, session 47: every code
    /// with 8 in its low byte was said to be a write refused, exit 2).
    #[test]
    fn only_sqlite_readonly_itself_refuses_a_write() {
        assert!(sqlite_refused(8));
        // SQLITE_READONLY_RECOVERY, _CANTLOCK, _ROLLBACK, _DBMOVED, _CANTINIT, _DIRECTORY.
        for code in [264, 520, 776, 1032, 1288, 1544] {
            assert!(!sqlite_refused(code), "{code}");
        }
    }

    /// Behind the check of the statement's first word, the databases' own refusals of a
    /// write are still read as refusals (by their codes): SQLite's on its read-only
    /// connection, PostgreSQL's in its read-only transaction.
    #[tokio::test]
    async fn a_write_the_database_refuses_is_a_refusal() {
        for ts in crate::testing::all().await {
            let refused = match &ts.store.backend {
                Backend::Sqlite(_) => {
                    let path = ts.store.sqlite_file.clone().unwrap_or_default();
                    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(&path)
                        .read_only(true)
                        .connect()
                        .await
                        .unwrap();
                    sqlx::query("DELETE FROM complaints")
                        .execute(&mut conn)
                        .await
                        .unwrap_err()
                }
                Backend::Postgres(pool) => {
                    let mut tx = pool.begin().await.unwrap();
                    sqlx::query("SET TRANSACTION READ ONLY")
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    sqlx::query("DELETE FROM complaints")
                        .execute(&mut *tx)
                        .await
                        .unwrap_err()
                }
            };
            let err = query_error(refused, Bounds::QUERY, std::time::Instant::now(), None);
            assert!(matches!(err, Error::ReadOnly(_)), "{}: {err}", ts.label);
        }
    }

    /// A value bound to a query is a text on PostgreSQL, as [`Store::query_bound`] says,
    /// whatever the statement makes of it: cast to a number or a date, it is read as the text
    /// it is (review of 5353799: the statement read as a subquery before it ran was kept with
    /// the types PostgreSQL took for its placeholders, and the texts bound to it were sent as
    /// those types' bytes: `1234` as the int 825373492, `7` refused).
    #[tokio::test]
    async fn a_value_bound_is_a_text() {
        for ts in crate::testing::all().await {
            let (sql, binds) = match ts.label {
                "sqlite" => (
                    "SELECT CAST(?1 AS INTEGER) AS n, CAST(?2 AS INTEGER) AS m, ?3 AS d",
                    ["1234", "7", "2024-01-31"],
                ),
                _ => (
                    "SELECT $1::int AS n, $2::bigint AS m, $3::date::text AS d",
                    ["1234", "7", "2024-01-31"],
                ),
            };
            let binds = binds.map(String::from);
            let r = ts.store.query_bound(sql, &binds).await.unwrap();
            assert_eq!(
                r.rows,
                vec![vec![
                    serde_json::json!(1234),
                    serde_json::json!(7),
                    serde_json::json!("2024-01-31")
                ]],
                "{}",
                ts.label
            );
        }
    }

    /// Regression (review, defect 4): a result was loaded whole into memory, however large
    /// (`SELECT * FROM raw_records` loaded the archive). One past the rows or the bytes kept
    /// is refused, asking for `LIMIT`, on both stores (small bounds here).
    #[tokio::test]
    async fn a_result_past_its_bounds_is_refused() {
        let numbers = |n: usize| {
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
                 SELECT i, '{}' AS filler FROM n",
                "x".repeat(1000)
            )
        };
        let ten_rows = Bounds {
            rows: 10,
            ..Bounds::QUERY
        };
        let ten_kb = Bounds {
            bytes: 10_000,
            ..Bounds::QUERY
        };
        for ts in crate::testing::all().await {
            let s = &ts.store;
            let r = s.query_within(&numbers(10), &[], ten_rows).await.unwrap();
            assert_eq!(r.rows.len(), 10, "{}", ts.label);
            let err = s
                .query_within(&numbers(11), &[], ten_rows)
                .await
                .map(|r| r.rows.len())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("more than 10 rows") && err.contains("add LIMIT"),
                "{}: {err}",
                ts.label
            );
            let err = s
                .query_within(&numbers(100), &[], ten_kb)
                .await
                .map(|r| r.rows.len())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("more than 10,000 bytes (after ") && err.contains("add LIMIT"),
                "{}: {err}",
                ts.label
            );
            // The analysts' bounds let an ordinary result through whole.
            assert_eq!(s.query(&numbers(100)).await.unwrap().rows.len(), 100);
        }
    }

    /// Regression (session 49): a composite value (a `ROW(…)`, a table's row, a value of a
    /// type made with `CREATE TYPE`) was read as JSON into doubles and texts: its numbers
    /// lost their digits and scale (`1.50` printed `1.5`) and its times kept PostgreSQL's
    /// fraction (`…:00.5+00:00`), where a `numeric` and a time alone, and an array, are
    /// exact (`1.50`, `…:00.500+00:00`). A composite value is given as its JSON text,
    /// compact, its numbers as written and its times, by their types, as a time alone is
    /// (a text that reads as a time stays as it is), in an array or a record within too; a
    /// domain is read as its base type.
    #[tokio::test]
    async fn a_composite_value_is_exact_as_its_parts_alone_are() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        ts.execute(
            "CREATE TYPE pair AS (n numeric, at timestamptz, label text); \
             CREATE DOMAIN amount AS numeric; CREATE DOMAIN moment AS timestamptz",
        )
        .await;
        let text = "2024-02-01T03:00:00.5+00:00";
        let cases = [
            (
                "SELECT ROW(1.50::numeric, timestamptz '2024-02-01 03:00:00.5Z', \
                 12345678901234567890.5::numeric, '2024-02-01T03:00:00.5+00:00'::text) AS r",
                format!(
                    "{{\"f1\":1.50,\"f2\":\"2024-02-01T03:00:00.500+00:00\",\
                     \"f3\":12345678901234567890.5,\"f4\":\"{text}\"}}"
                ),
            ),
            (
                "SELECT ROW(ROW(timestamp '2024-02-01 03:00:00.25', 1.0), \
                 ARRAY[timestamptz '2024-02-01 03:00:00.5Z'], NULL::numeric) AS r",
                "{\"f1\":{\"f1\":\"2024-02-01T03:00:00.250\",\"f2\":1.0},\
                 \"f2\":[\"2024-02-01T03:00:00.500+00:00\"],\"f3\":null}"
                    .to_string(),
            ),
            (
                "SELECT ROW(1.50, timestamptz '2024-02-01 03:00:00.5Z', \
                 '2024-02-01T03:00:00.5+00:00')::pair AS p",
                format!(
                    "{{\"n\":1.50,\"at\":\"2024-02-01T03:00:00.500+00:00\",\"label\":\"{text}\"}}"
                ),
            ),
            (
                "SELECT ARRAY[ROW(2.50, timestamptz '2024-02-01 03:00:00.5Z', 'x')::pair, \
                 NULL] AS ps",
                "[{\"n\":2.50,\"at\":\"2024-02-01T03:00:00.500+00:00\",\"label\":\"x\"},null]"
                    .to_string(),
            ),
            (
                "SELECT ARRAY[ROW(3.50, timestamptz '2024-02-01 03:00:00.5Z')] AS rs",
                "[{\"f1\":3.50,\"f2\":\"2024-02-01T03:00:00.500+00:00\"}]".to_string(),
            ),
        ];
        for (sql, expected) in cases {
            let r = ts
                .store
                .query(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert_eq!(r.rows, vec![vec![serde_json::json!(expected)]], "{sql}");
            assert_eq!(r.exact_numbers, vec![true], "{sql}");
        }
        // A NULL composite is a null; a domain reads as its base type.
        let r = ts
            .store
            .query(
                "SELECT NULL::pair AS p, 12345678901234567890.5::amount AS a, \
                 timestamptz '2024-02-01 03:00:00.5Z'::moment AS m",
            )
            .await
            .unwrap();
        assert_eq!(
            r.rows,
            vec![vec![
                serde_json::Value::Null,
                serde_json::json!("12345678901234567890.5"),
                serde_json::json!("2024-02-01T03:00:00.500+00:00")
            ]]
        );
        // An export writes each row as it reads it, the same.
        let mut rows = Vec::new();
        ts.store
            .query_each(
                "SELECT ROW(1.50::numeric, timestamptz '2024-02-01 03:00:00.5Z') AS r \
                 FROM generate_series(1, 2)",
                &mut |s| {
                    if let Streamed::Row(row) = s {
                        rows.push(row.to_vec());
                    }
                    Ok(())
                },
            )
            .await
            .unwrap();
        let one = serde_json::json!("{\"f1\":1.50,\"f2\":\"2024-02-01T03:00:00.500+00:00\"}");
        assert_eq!(rows, vec![vec![one.clone()], vec![one]]);
    }

    /// Item of session 50: a value of a composite type that has a name, or of a domain over
    /// a time, inside an anonymous record kept PostgreSQL's times (`…:00.5+00:00`) where the
    /// same value alone is written as a time alone is (`…:00.500+00:00`). And a named type's
    /// fields were those `sqlx` keeps per connection, from when it first described the type:
    /// after an `ALTER TYPE`, a pooled connection wrote a text field as a time (and the time
    /// as PostgreSQL writes it). Both are read from the value as sent, its types as they are.
    #[tokio::test]
    async fn a_named_composite_is_read_as_it_is_now_inside_a_record_too() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        ts.execute(
            "CREATE TYPE stamp AS (at timestamptz, label text); \
             CREATE DOMAIN instant AS timestamptz",
        )
        .await;
        let text = "2024-02-01T03:00:00.5+00:00";
        let time = "timestamptz '2024-02-01 03:00:00.5Z'";
        let padded = "2024-02-01T03:00:00.500+00:00";
        let one = |sql: String| {
            let store = &ts.store;
            async move {
                let r = store
                    .query(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                assert_eq!(r.rows.len(), 1, "{sql}");
                r.rows[0][0].clone()
            }
        };
        let alone = one(format!("SELECT ROW({time}, 'x')::stamp AS s")).await;
        assert_eq!(
            alone,
            serde_json::json!(format!("{{\"at\":\"{padded}\",\"label\":\"x\"}}"))
        );
        let within = one(format!(
            "SELECT ROW(ROW({time}, 'x')::stamp, {time}::instant, \
             ARRAY[ROW({time}, 'y')::stamp]) AS r"
        ))
        .await;
        assert_eq!(
            within,
            serde_json::json!(format!(
                "{{\"f1\":{{\"at\":\"{padded}\",\"label\":\"x\"}},\"f2\":\"{padded}\",\
                 \"f3\":[{{\"at\":\"{padded}\",\"label\":\"y\"}}]}}"
            ))
        );
        // Every connection of the pool but one in use: the queries before and after the
        // change of the type run on the same connection.
        let pool = postgres_pool(&ts);
        let mut in_use = Vec::new();
        for _ in 1..pool.options().get_max_connections() {
            in_use.push(pool.acquire().await.unwrap());
        }
        let before = one(format!("SELECT ROW({time}, '{text}')::stamp AS s")).await;
        assert_eq!(
            before,
            serde_json::json!(format!("{{\"at\":\"{padded}\",\"label\":\"{text}\"}}"))
        );
        ts.execute(
            "ALTER TYPE stamp DROP ATTRIBUTE at; ALTER TYPE stamp ADD ATTRIBUTE at timestamptz",
        )
        .await;
        let after = one(format!("SELECT ROW('{text}', {time})::stamp AS s")).await;
        drop(in_use);
        assert_eq!(
            after,
            serde_json::json!(format!("{{\"label\":\"{text}\",\"at\":\"{padded}\"}}"))
        );
    }

    /// Session 49: a `json` value is printed as PostgreSQL keeps it, as `psql` prints it: the
    /// escapes written in it (`"\u00e9"`), its members' order and a name given twice; a
    /// `jsonb` value canonically, as PostgreSQL writes it (`"é"`, its keys in its order, the
    /// last of a name given twice). Both without the white space between their parts (a row
    /// of a JSON export is one line). Regression (session 49): a `json` or `jsonb` value's
    /// JSON `null` was given as a SQL `NULL` (row_to_json writes both `null`): a table and a
    /// CSV export showed it empty, where `psql` shows `null`.
    /// Review (session 49): SQLite has no JSON type: a JSON value it makes (`json(…)`, `->`)
    /// is a text, its JSON `null` the text `null` (`null` in a table and CSV, as a PostgreSQL
    /// `json` or `jsonb` value's JSON `null` is; a text in a JSON export, where PostgreSQL's
    /// is JSON's `null`), a SQL `NULL` (`->>` of a JSON `null`) a null, as on PostgreSQL.
    /// README says so.
    #[tokio::test]
    async fn sqlite_json_is_a_text() {
        let ts = crate::testing::sqlite().await;
        let r = ts
            .store
            .query(
                "SELECT json('null') AS j, '{\"a\":null}' -> '$.a' AS k, \
                 '{\"a\":null}' ->> '$.a' AS l, json('{\"a\": 1.50}') AS o",
            )
            .await
            .unwrap();
        assert_eq!(
            r.rows,
            vec![vec![
                serde_json::json!("null"),
                serde_json::json!("null"),
                serde_json::Value::Null,
                serde_json::json!("{\"a\":1.50}")
            ]]
        );
        assert!(r.exact_numbers.is_empty(), "{:?}", r.exact_numbers);
    }

    #[tokio::test]
    async fn json_is_printed_as_written_and_jsonb_canonically() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let r = ts
            .store
            .query(
                "SELECT '\"\\u00e9\"'::json AS j, '\"\\u00e9\"'::jsonb AS jb, \
                 '{\"b\" : 1, \"a\":\"\\u00e9\\n\",\n \"a\":3}'::json AS o, \
                 '{\"b\" : 1, \"a\":\"\\u00e9\\n\",\n \"a\":3}'::jsonb AS ob, \
                 ROW('[\"\\u00e9\", 1.50]'::json, '[\"\\u00e9\", 1.50]'::jsonb) AS r",
            )
            .await
            .unwrap();
        assert_eq!(
            r.rows,
            vec![vec![
                serde_json::json!("\"\\u00e9\""),
                serde_json::json!("\"é\""),
                serde_json::json!("{\"b\":1,\"a\":\"\\u00e9\\n\",\"a\":3}"),
                serde_json::json!("{\"a\":3,\"b\":1}"),
                serde_json::json!("{\"f1\":[\"\\u00e9\",1.50],\"f2\":[\"é\",1.50]}"),
            ]]
        );
        assert_eq!(r.exact_numbers, vec![true; 5]);
        // A JSON `null` is a value, as `psql` shows it (`null`), a SQL `NULL` none; an array
        // or a row alone has no JSON `null` of its own.
        let r = ts
            .store
            .query(
                "SELECT 'null'::jsonb AS jn, NULL::jsonb AS sn, 'null'::json AS n, \
                 NULL::json AS s, NULL::int[] AS a, ROW(NULL::jsonb, 'null'::jsonb) AS r \
                 UNION ALL SELECT NULL, 'null', NULL, ' null ', '{}', NULL",
            )
            .await
            .unwrap();
        assert_eq!(
            r.rows,
            vec![
                vec![
                    serde_json::json!("null"),
                    serde_json::Value::Null,
                    serde_json::json!("null"),
                    serde_json::Value::Null,
                    serde_json::Value::Null,
                    serde_json::json!("{\"f1\":null,\"f2\":null}"),
                ],
                vec![
                    serde_json::Value::Null,
                    serde_json::json!("null"),
                    serde_json::Value::Null,
                    serde_json::json!("null"),
                    serde_json::json!("[]"),
                    serde_json::Value::Null,
                ],
            ]
        );
    }

    /// A proxy on the loopback in front of PostgreSQL that counts the round trips its
    /// clients make for statements: each simple query (`Q`) and each `Sync` (`S`) that ends
    /// an extended query's messages is answered by one `ReadyForQuery` the client waits for.
    /// A `Sync` alone is the pool's check of a connection as it is taken and given back
    /// (given back after the caller has its answer, so counted or not as it happens): not
    /// counted.
    struct RoundTrips {
        /// The URL of PostgreSQL through the proxy.
        url: String,
        count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        /// Set: the next query's `BEGIN` (`BEGIN READ ONLY` and `SET LOCAL
        /// statement_timeout = …` in one simple query) goes to the server with a bound it
        /// refuses (`-1`): its `SET` fails, as a cancel or a conflict with recovery met there
        /// would.
        spoil: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }

    impl RoundTrips {
        async fn start(target: &str) -> RoundTrips {
            use std::sync::atomic::{AtomicUsize, Ordering};
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut url = url::Url::parse(target).unwrap();
            let upstream = format!(
                "{}:{}",
                url.host_str().unwrap_or("127.0.0.1"),
                url.port().unwrap_or(5432)
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            url.set_host(Some("127.0.0.1")).unwrap();
            url.set_port(Some(port)).unwrap();
            url.query_pairs_mut().append_pair("sslmode", "disable");
            let count = std::sync::Arc::new(AtomicUsize::new(0));
            let counted = count.clone();
            let spoil = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let spoiling = spoil.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                        continue;
                    };
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                    });
                    let counted = counted.clone();
                    let spoiling = spoiling.clone();
                    tokio::spawn(async move {
                        let mut pending: Vec<u8> = Vec::new();
                        let mut started = false;
                        let mut extended = false;
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match from_client.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            pending.extend_from_slice(&buf[..n]);
                            // Whole messages are sent on, one of them perhaps spoilt.
                            let mut out: Vec<u8> = Vec::new();
                            loop {
                                // The startup message (and an SSL request before it) has no
                                // type byte; every message after it has one.
                                let head = usize::from(started);
                                let Some(len) = pending.get(head..head + 4) else {
                                    break;
                                };
                                let len = u32::from_be_bytes(len.try_into().unwrap()) as usize;
                                if pending.len() < head + len {
                                    break;
                                }
                                if !started {
                                    let code = pending
                                        .get(4..8)
                                        .map(|c| u32::from_be_bytes(c.try_into().unwrap()));
                                    started = !matches!(code, Some(80877103 | 80877104));
                                } else {
                                    let ends =
                                        pending[0] == b'Q' || (pending[0] == b'S' && extended);
                                    if ends {
                                        counted.fetch_add(1, Ordering::SeqCst);
                                    }
                                    extended = !matches!(pending[0], b'Q' | b'S');
                                }
                                let text = String::from_utf8_lossy(&pending[5..head + len]);
                                let bound = "SET LOCAL statement_timeout = ";
                                if started
                                    && pending[0] == b'Q'
                                    && text.contains("BEGIN READ ONLY")
                                    && text.contains(bound)
                                    && spoiling.swap(false, Ordering::SeqCst)
                                {
                                    // Its bound's digits, `-1`.
                                    let at = text.find(bound).map_or(0, |at| at + bound.len());
                                    let digits = text[at..]
                                        .find(|c: char| !c.is_ascii_digit())
                                        .map_or(text.len(), |n| at + n);
                                    let spoilt = format!("{}-1{}", &text[..at], &text[digits..]);
                                    out.push(b'Q');
                                    out.extend_from_slice(&(4 + spoilt.len() as u32).to_be_bytes());
                                    out.extend_from_slice(spoilt.as_bytes());
                                } else {
                                    out.extend_from_slice(&pending[..head + len]);
                                }
                                pending.drain(..head + len);
                            }
                            if to_server.write_all(&out).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            });
            RoundTrips {
                url: url.into(),
                count,
                spoil,
            }
        }

        /// Spoils the next `BEGIN` of a query (see [`RoundTrips::spoil`]).
        fn spoil_next_begin(&self) {
            self.spoil.store(true, std::sync::atomic::Ordering::SeqCst);
        }

        /// The round trips since the last call.
        fn take(&self) -> usize {
            self.count.swap(0, std::sync::atomic::Ordering::SeqCst)
        }
    }

    /// Once `store`'s pool has its one connection back (given back after the caller has its
    /// answer), so that the next query takes that connection, with the statements it has
    /// prepared, and not a new one.
    async fn settled(store: &Store) {
        let Backend::Postgres(pool) = &store.backend else {
            unreachable!("a PostgreSQL store")
        };
        for _ in 0..500 {
            if pool.size() == 1 && pool.num_idle() == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "the pool holds {} connections, {} idle",
            pool.size(),
            pool.num_idle()
        );
    }

    /// Regression (session 49): each query on PostgreSQL made four round trips before its
    /// statement, each a statement of its own: `BEGIN`, `SET TRANSACTION READ ONLY`, `SET
    /// LOCAL statement_timeout`, and one reading `standard_conforming_strings`. The
    /// transaction begins read-only and bounded in one (a simple query of two statements),
    /// and the setting is read only for a text that reads otherwise with it off (a backslash
    /// in `'…'`). Counted by a proxy between the store and the server (a count, not a time):
    /// a statement the connection has prepared before takes the `BEGIN`, the statement and
    /// the `ROLLBACK`; one it has not, two more (its own and its wrapping's preparing). The
    /// bound and the read-only guard still hold.
    #[tokio::test]
    async fn a_postgresql_query_takes_three_round_trips() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let proxy = RoundTrips::start(&crate::testing::postgres_url()).await;
        let store = Store::connect_postgres(&proxy.url, ts.schema.as_deref())
            .await
            .unwrap();
        let sql = "SELECT channel, COUNT(*) AS n FROM complaints GROUP BY channel";
        store.query(sql).await.unwrap();
        settled(&store).await;
        proxy.take();
        store.query(sql).await.unwrap();
        assert_eq!(proxy.take(), 3, "a query prepared before");
        settled(&store).await;
        store.query("SELECT 2 AS two").await.unwrap();
        assert_eq!(proxy.take(), 5, "a query not prepared before");
        settled(&store).await;
        // Ended by its `;` with the setting on, the session's, and not with it off.
        let r = store.query("SELECT 'a\\' AS t; -- '").await.unwrap();
        assert_eq!(r.rows, vec![vec![serde_json::json!("a\\")]]);
        assert_eq!(
            proxy.take(),
            7,
            "a text holding a backslash in quotes, not prepared before"
        );
        let r = store
            .query("SELECT current_setting('transaction_read_only') AS ro, current_setting('statement_timeout') AS t")
            .await
            .unwrap();
        assert_eq!(
            r.rows,
            vec![vec![serde_json::json!("on"), serde_json::json!("5min")]]
        );
        let err = store
            .query("SELECT nextval(pg_get_serial_sequence('complaints', 'complaint_seq'))")
            .await
            .map(|r| r.rows);
        assert!(matches!(err, Err(Error::ReadOnly(_))), "{err:?}");
        store.close().await;
    }

    /// Review (session 49): a query's `BEGIN` is one simple query of two statements. Sent
    /// as `BEGIN READ ONLY; SET LOCAL statement_timeout = …`, when the second failed (a
    /// cancel by hand or a conflict with recovery met there; here a bound the server
    /// refuses), its `BEGIN` had run: the connection went back to the pool inside an aborted
    /// transaction that `sqlx` did not count as begun, and every statement after it on that
    /// connection (a query, the service's writes: the pool is theirs too) failed "current
    /// transaction is aborted" until the pool let it go. The bound comes first: failing, it
    /// begins nothing.
    #[tokio::test]
    async fn a_begin_that_fails_halfway_leaves_no_transaction_in_the_pool() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let proxy = RoundTrips::start(&crate::testing::postgres_url()).await;
        let store = Store::connect_postgres(&proxy.url, ts.schema.as_deref())
            .await
            .unwrap();
        store.query("SELECT 1 AS one").await.unwrap();
        settled(&store).await;
        proxy.spoil_next_begin();
        let err = store.query("SELECT 1 AS one").await.map(|r| r.rows);
        assert!(err.is_err(), "{err:?}");
        // Every connection back in the pool (or closed), so that the next query takes the
        // one the failed query had, if it was given back.
        let Backend::Postgres(pool) = &store.backend else {
            unreachable!("a PostgreSQL store")
        };
        for _ in 0..500 {
            if pool.size() as usize == pool.num_idle() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(pool.size() <= 1, "{}", pool.size());
        let r = store.query("SELECT 2 AS two").await.map(|r| r.rows);
        assert_eq!(r.unwrap(), vec![vec![serde_json::json!(2)]]);
        let mut conn = pool.acquire().await.unwrap();
        let open: String = sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(
            open, "off",
            "a statement outside a query is in no transaction"
        );
        drop(conn);
        store.close().await;
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    /// Review (session 47): a channel's newest runs that did the work were found by walking
    /// back over every skipped run since (some 133,000 beside two replicas' ticks while a run
    /// was held, about 40 ms): on both stores the query is answered from the partial index
    /// of the others, in its order (no sort).
    #[tokio::test]
    async fn the_newest_runs_that_did_the_work_are_read_through_their_partial_index() {
        for ts in crate::testing::all().await {
            let (fill, explain) = match ts.store.backend {
                Backend::Sqlite(_) => (
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) \
                     INSERT INTO sync_runs (run_id, channel, started_at, finished_at, outcome) \
                     SELECT 's' || i, 'cc112', printf('2026-10-01T%06d', i), \
                     printf('2026-10-01T%06d', i), 'skipped' FROM n",
                    "EXPLAIN QUERY PLAN",
                ),
                Backend::Postgres(_) => (
                    "INSERT INTO sync_runs (run_id, channel, started_at, finished_at, outcome) \
                     SELECT 's' || i, 'cc112', TIMESTAMPTZ '2026-10-01' + i * INTERVAL '30 s', \
                     TIMESTAMPTZ '2026-10-01' + i * INTERVAL '30 s', 'skipped' \
                     FROM generate_series(1, 20000) i",
                    "EXPLAIN",
                ),
            };
            ts.execute(fill).await;
            ts.execute("ANALYZE sync_runs").await;
            let column = match ts.store.backend {
                Backend::Sqlite(_) => 3,
                Backend::Postgres(_) => 0,
            };
            let plan: Vec<String> = on_pool!(ts.store, pool => {
                sqlx::query(&format!("{explain} {}", worked_runs_sql()))
                    .bind("cc112")
                    .bind(3_i64)
                    .fetch_all(pool)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get::<String, _>(column).unwrap())
                    .collect()
            });
            let plan = plan.join("\n");
            assert!(
                plan.contains("sync_runs_worked")
                    && !plan.contains("TEMP B-TREE")
                    && !plan.contains("Sort"),
                "{}: {plan}",
                ts.label
            );
            // And it reads what it read before.
            let newest = ts.store.last_run("cc112").await.unwrap();
            assert!(newest.is_none(), "{}: {newest:?}", ts.label);
        }
    }
}

/// Where a test holds [`Store::channel_status`] up for a channel, to do there what another
/// process may (a run starting or ending).
#[cfg(test)]
pub(crate) mod status_pauses {
    use std::sync::Mutex;

    /// Where a channel's status is read.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Stage {
        /// Its runs are not read yet.
        BeforeRuns,
        /// Its runs are read; whether one goes on is not looked at yet.
        RunsRead,
    }

    type Pause = Box<dyn FnMut(Stage) + Send>;

    /// The pauses tests set, by channel (one of a name of the test's own).
    static PAUSES: Mutex<Vec<(String, Pause)>> = Mutex::new(Vec::new());

    /// Runs the pause a test set for `channel`, if any.
    pub(crate) fn pause(channel: &str, stage: Stage) {
        if let Ok(mut pauses) = PAUSES.lock() {
            for (_, pause) in pauses.iter_mut().filter(|(at, _)| at == channel) {
                pause(stage);
            }
        }
    }

    /// Sets `pause` for `channel`, in place of one set before.
    pub(crate) fn set(channel: &str, pause: Pause) {
        let mut pauses = PAUSES.lock().unwrap();
        pauses.retain(|(at, _)| at != channel);
        pauses.push((channel.to_string(), pause));
    }

    /// Takes away the pause of `channel`.
    pub(crate) fn clear(channel: &str) {
        PAUSES.lock().unwrap().retain(|(at, _)| at != channel);
    }
}

#[cfg(test)]
mod status_race_tests {
    use std::sync::{Arc, Mutex};

    use super::status_pauses::{self, Stage};
    use crate::{Lease, RunRecord, Store};

    /// Runs `f` (the store's calls another process makes) to its end from a pause, which is
    /// not async.
    fn meanwhile<F: std::future::Future>(f: F) -> F::Output {
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
    }

    fn run(id: &str, channel: &str, ended: bool) -> RunRecord {
        let at = chrono::Utc::now();
        RunRecord {
            run_id: id.into(),
            channel: channel.into(),
            started_at: at,
            finished_at: ended.then_some(at),
            outcome: ended.then(|| "ok".to_string()),
            ..Default::default()
        }
    }

    /// Review (session 47): the runs going on were read before each channel's runs; a run
    /// that started in between (its lease taken, its row written) was read without an end
    /// and not going on: shown killed, and `aduan status` exited 1 while it ran.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_that_starts_while_the_status_is_read_is_running_not_killed() {
        let channel = "status_race_start";
        for ts in crate::testing::all().await {
            ts.store
                .save_run(&run("before", channel, true))
                .await
                .unwrap();
            let held: Arc<Mutex<Option<Lease>>> = Arc::default();
            let (store, keep) = (ts.store.clone(), held.clone());
            status_pauses::set(
                channel,
                Box::new(move |stage| {
                    if stage != Stage::BeforeRuns {
                        return;
                    }
                    let lease = meanwhile(starts(&store, channel));
                    *keep.lock().unwrap() = Some(lease);
                }),
            );
            let status = ts.store.channel_status(3).await;
            status_pauses::clear(channel);
            let status = status.unwrap();
            let c = status.iter().find(|c| c.channel == channel).unwrap();
            assert_eq!(c.runs[0].run_id, "started", "{}", ts.label);
            assert_eq!(
                c.running.as_ref().map(|r| r.run_id.as_str()),
                Some("started"),
                "{}: {c:?}",
                ts.label
            );
            let lease = held.lock().unwrap().take().unwrap();
            lease.release().await.unwrap();
        }
    }

    /// A run that ends after its row was read without an end and before its lease is looked
    /// at is read as it ended, not killed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_that_ends_while_the_status_is_read_is_not_killed() {
        let channel = "status_race_end";
        for ts in crate::testing::all().await {
            let lease = starts(&ts.store, channel).await;
            let held = Arc::new(Mutex::new(Some(lease)));
            let store = ts.store.clone();
            status_pauses::set(
                channel,
                Box::new(move |stage| {
                    if stage != Stage::RunsRead {
                        return;
                    }
                    let Some(lease) = held.lock().unwrap().take() else {
                        return;
                    };
                    meanwhile(async {
                        store
                            .save_run(&run("started", channel, true))
                            .await
                            .unwrap();
                        lease.release().await.unwrap();
                    });
                }),
            );
            let status = ts.store.channel_status(3).await;
            status_pauses::clear(channel);
            let status = status.unwrap();
            let c = status.iter().find(|c| c.channel == channel).unwrap();
            assert!(c.running.is_none(), "{}: {c:?}", ts.label);
            let latest = c.latest.as_ref().unwrap();
            assert_eq!(
                (latest.run_id.as_str(), latest.outcome.as_deref()),
                ("started", Some("ok")),
                "{}: {c:?}",
                ts.label
            );
            assert_eq!(c.runs[0].outcome.as_deref(), Some("ok"), "{}", ts.label);
        }
    }

    /// A run of `channel` starting as `aduan sync` starts one: its lease, then its row.
    async fn starts(store: &Store, channel: &str) -> Lease {
        let lease = store
            .try_lease(channel, "started", std::time::Duration::from_secs(60))
            .await
            .unwrap()
            .expect("the lease is free");
        store
            .save_run(&run("started", channel, false))
            .await
            .unwrap();
        lease
    }
}
