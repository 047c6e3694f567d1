//! Reading: status, quarantine, raw records for rebuilding, summaries and analysts' queries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{Column, ConnectOptions, Executor, Row, Statement, TypeInfo, ValueRef};

use crate::error::Context;
use crate::packing::Unpacking;
use crate::write::COMPLAINT_COLUMNS;
use crate::{on_pool, Backend, Error, Result, RunRecord, Store};

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
    /// The latest runs, newest first.
    pub runs: Vec<RunRecord>,
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
}

const RUN_COLUMNS: &str = "run_id, channel, started_at, finished_at, outcome, fetched, inserted, \
    updated, unchanged, quarantined, error, report";
const QUARANTINE_COLUMNS: &str = "quarantine_id, channel, raw_id, source_ref, record, field, \
    reason, payload, run_id, quarantined_at, resolved_at";

impl Store {
    /// The state of every channel that has runs, a cursor or complaints.
    pub async fn channel_status(&self, runs_per_channel: i64) -> Result<Vec<ChannelStatus>> {
        on_pool!(self, pool => {
            let channels: Vec<String> = sqlx::query_scalar(
                "SELECT channel FROM sync_runs UNION SELECT channel FROM sync_state WHERE channel <> '__rebuild__' \
                 UNION SELECT channel FROM complaints ORDER BY 1",
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
                let runs = sqlx::query_as::<_, RunRecord>(&format!(
                    "SELECT {RUN_COLUMNS} FROM sync_runs WHERE channel = $1 ORDER BY started_at DESC, run_id DESC LIMIT $2"
                ))
                .bind(&channel)
                .bind(runs_per_channel)
                .fetch_all(pool)
                .await
                .context(|| format!("reading runs of {channel}"))?;
                out.push(ChannelStatus { channel, cursor, complaints, quarantined_open, runs });
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

    /// The channel's latest run (by its start), if it ever ran.
    pub async fn last_run(&self, channel: &str) -> Result<Option<RunRecord>> {
        on_pool!(self, pool => {
            sqlx::query_as::<_, RunRecord>(&format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs WHERE channel = $1 \
                 ORDER BY started_at DESC, run_id DESC LIMIT 1"
            ))
            .bind(channel)
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

    /// Up to `limit` archived payloads with `raw_id > after`, in arrival order.
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
                crate::sqlite_batch::raws(pool, SQL, &args, what).await?
            }
            Backend::Postgres(pool) => sqlx::query_as::<_, PackedRaw>(SQL)
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await
                .context(what)?,
        };
        self.unpack_each(packed).await
    }

    /// Archived payloads as received (packed ones unpacked), newest first: those of
    /// `filter`'s channel and record where given, at most `filter.limit`. A record's payloads
    /// are found by scanning the archive (it has no index on `external_id`: the sync would pay
    /// for one on every payload).
    pub async fn raws(&self, filter: &RawFilter) -> Result<Vec<StoredRaw>> {
        const SQL: &str =
            "SELECT raw_id, channel, source_ref, external_id, received_at, content_hash, payload, dictionary_id \
             FROM raw_records WHERE ($1 IS NULL OR channel = $1) AND ($2 IS NULL OR external_id = $2) \
             ORDER BY raw_id DESC LIMIT $3";
        let what = || "listing archived payloads".to_string();
        let packed = match &self.backend {
            Backend::Sqlite(pool) => {
                let args = [
                    filter.channel.clone().into(),
                    filter.external_id.clone().into(),
                    filter.limit.into(),
                ];
                crate::sqlite_batch::raws(pool, SQL, &args, what).await?
            }
            Backend::Postgres(pool) => sqlx::query_as::<_, PackedRaw>(SQL)
                .bind(filter.channel.as_deref())
                .bind(filter.external_id.as_deref())
                .bind(filter.limit)
                .fetch_all(pool)
                .await
                .context(what)?,
        };
        self.unpack(packed).await
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

    /// Up to `limit` webhook deliveries of `channel` stored but not yet folded, oldest first.
    pub async fn inbox(&self, channel: &str, limit: i64) -> Result<Vec<StoredRaw>> {
        const SQL: &str = "SELECT r.raw_id, r.channel, r.source_ref, r.external_id, r.received_at, r.content_hash, r.payload, r.dictionary_id \
             FROM push_inbox i JOIN raw_records r ON r.raw_id = i.raw_id \
             WHERE i.channel = $1 ORDER BY i.raw_id LIMIT $2";
        let what = || format!("reading the inbox of {channel}");
        let packed = match &self.backend {
            Backend::Sqlite(pool) => {
                let args = [channel.to_string().into(), limit.into()];
                crate::sqlite_batch::raws(pool, SQL, &args, what).await?
            }
            Backend::Postgres(pool) => sqlx::query_as::<_, PackedRaw>(SQL)
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
        const COLUMNS: &str = "r.raw_id, r.channel, r.source_ref, r.external_id, r.received_at, \
            r.content_hash, r.payload, r.dictionary_id";
        let what = || format!("reading grouped payloads of {channel}");
        let mut out = Vec::new();
        match &self.backend {
            Backend::Sqlite(pool) => {
                for chunk in keys.chunks(CHUNK) {
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
            }
            // One probe of the key per group (see `known_hashes`: an `IN` list on the second
            // column could read every group of the channel on a table without statistics).
            Backend::Postgres(pool) => {
                let rows = sqlx::query(&format!(
                    "SELECT k.key, {COLUMNS} FROM UNNEST($2::text[]) AS k (key) \
                     CROSS JOIN LATERAL (SELECT raw_id, arrival, again_seq FROM raw_groups \
                     WHERE channel = $1 AND group_key = k.key OFFSET 0) AS g \
                     JOIN raw_records r ON r.raw_id = g.raw_id \
                     ORDER BY k.key, {GROUP_ORDER}"
                ))
                .bind(channel)
                .bind(keys)
                .fetch_all(pool)
                .await;
                out.extend(grouped(rows.context(what)?)?);
            }
        }
        let (keys, packed): (Vec<String>, Vec<PackedRaw>) = out.into_iter().unzip();
        // A payload that cannot be unpacked is left out of its group's fold, not the
        // group's other payloads: a rebuild quarantines it when it reads it.
        let unpacked = self.unpack_each(packed).await?;
        Ok(keys
            .into_iter()
            .zip(unpacked)
            .filter_map(|(key, (raw, failed))| match failed {
                None => Some((key, raw)),
                Some(e) => {
                    // The raw id, not the group key: a group key may be a sender's number.
                    tracing::warn!(channel, raw_id = raw.raw_id, error = %e, "An archived payload cannot be unpacked; its group is folded without it.");
                    None
                }
            })
            .collect())
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
        let result = self
            .query(&format!(
                "SELECT {COMPLAINT_COLUMNS} FROM complaints ORDER BY complaint_id"
            ))
            .await?;
        let text = serde_json::to_string(&result.rows).unwrap_or_default();
        let h = crate::fnv1a(text.bytes());
        Ok(format!("{:016x}:{}", h, result.rows.len()))
    }

    /// Runs one read-only SQL statement. A statement that writes is refused: SQLite runs it on
    /// a read-only connection, PostgreSQL in a `READ ONLY` transaction.
    pub async fn query(&self, sql: &str) -> Result<QueryResult> {
        self.query_bound(sql, &[]).await
    }

    /// [`Store::query`] with values bound to the statement's placeholders (`?1`… on SQLite,
    /// `$1`… on PostgreSQL), as texts.
    pub(crate) async fn query_bound(&self, sql: &str, binds: &[String]) -> Result<QueryResult> {
        // One statement: SQLite would run every statement of the text, and a first one could
        // lift the read-only guard of the second (`PRAGMA query_only = OFF; …`).
        if !single_statement(sql) {
            return Err(Error::ReadOnly(
                "give one statement at a time (the text holds more than one)".into(),
            ));
        }
        let refuse = |e: sqlx::Error| match &e {
            sqlx::Error::Database(d)
                if d.message().contains("readonly")
                    || d.message().contains("read-only")
                    || d.code().as_deref() == Some("25006") =>
            {
                Error::ReadOnly(d.message().to_string())
            }
            _ => Error::Sql {
                what: "running the query".into(),
                source: e,
            },
        };
        match &self.backend {
            Backend::Sqlite(_) => {
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
                let stmt = (&mut conn).prepare(sql).await.map_err(refuse)?;
                let columns: Vec<String> = stmt
                    .columns()
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect();
                let mut query = sqlx::query(sql);
                for b in binds {
                    query = query.bind(b);
                }
                let rows = query.fetch_all(&mut conn).await.map_err(refuse)?;
                let rows = rows
                    .iter()
                    .map(|row| (0..columns.len()).map(|i| sqlite_value(row, i)).collect())
                    .collect();
                Ok(QueryResult { columns, rows })
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await.context(|| "starting a query".into())?;
                sqlx::query("SET TRANSACTION READ ONLY")
                    .execute(&mut *tx)
                    .await
                    .context(|| "starting a read-only transaction".into())?;
                let columns: Vec<String> = {
                    let stmt = (&mut *tx).prepare(sql).await.map_err(refuse)?;
                    stmt.columns()
                        .iter()
                        .map(|c| c.name().to_string())
                        .collect()
                };
                let first_word = sql
                    .trim_start()
                    .split(|c: char| c.is_whitespace() || c == '(')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if columns.is_empty()
                    || !matches!(first_word.as_str(), "select" | "with" | "values" | "table")
                {
                    // Not a plain query: run it as it is; the READ ONLY transaction refuses writes.
                    sqlx::query(sql).execute(&mut *tx).await.map_err(refuse)?;
                    tx.rollback().await.context(|| "ending the query".into())?;
                    return Ok(QueryResult {
                        columns,
                        rows: Vec::new(),
                    });
                }
                // Every type PostgreSQL has turns into JSON on the server side, in column order.
                let wrapped = format!(
                    "SELECT (SELECT json_agg(e.value ORDER BY e.n) FROM json_each(row_to_json(q)) WITH ORDINALITY AS e(key, value, n))::text FROM ({}) AS q",
                    sql.trim().trim_end_matches(';')
                );
                let mut query = sqlx::query_scalar(&wrapped);
                for b in binds {
                    query = query.bind(b);
                }
                let texts: Vec<Option<String>> = query.fetch_all(&mut *tx).await.map_err(refuse)?;
                tx.rollback().await.context(|| "ending the query".into())?;
                let rows = texts
                    .iter()
                    .map(
                        |t| match t.as_deref().map(serde_json::from_str::<serde_json::Value>) {
                            Some(Ok(serde_json::Value::Array(values))) => values,
                            _ => Vec::new(),
                        },
                    )
                    .collect();
                Ok(QueryResult { columns, rows })
            }
        }
    }
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
        "REAL" => row
            .try_get_unchecked::<f64, _>(i)
            .map(Value::from)
            .unwrap_or(Value::Null),
        "BLOB" => row
            .try_get::<Vec<u8>, _>(i)
            .map(|b| Value::String(format!("x'{}'", hex_encode(&b))))
            .unwrap_or(Value::Null),
        _ => row
            .try_get_unchecked::<String, _>(i)
            .map(Value::from)
            .unwrap_or(Value::Null),
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// (group key, payload) of each row of a `group_raws` query: the key first, then the
/// payload's columns.
fn grouped<R: Row>(rows: Vec<R>) -> Result<Vec<(String, PackedRaw)>>
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    PackedRaw: for<'r> sqlx::FromRow<'r, R>,
{
    rows.into_iter()
        .map(|row| {
            let key: String = row.try_get(0).context(|| "reading a group key".into())?;
            let raw = <PackedRaw as sqlx::FromRow<_>>::from_row(&row)
                .context(|| "reading a grouped payload".into())?;
            Ok((key, raw))
        })
        .collect()
}

/// Whether `sql` holds at most one statement: nothing but white space and comments after
/// its first `;` outside quotes, identifiers and comments.
fn single_statement(sql: &str) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut ended = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' | b'[' => {
                if ended {
                    return false;
                }
                let close = if c == b'[' { b']' } else { c };
                i += 1;
                while i < b.len() && b[i] != close {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b';' => ended = true,
            c if c.is_ascii_whitespace() => {}
            _ if ended => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod single_statement_tests {
    use super::single_statement;

    #[test]
    fn a_second_statement_is_found_outside_quotes_and_comments() {
        for one in [
            "SELECT 1",
            "SELECT 1;",
            "SELECT 1; -- done",
            "SELECT 1; /* done */ ",
            "SELECT ';' AS semi, \"a;b\", [c;d] FROM t -- ; DROP",
            "SELECT 'it''s; fine'",
        ] {
            assert!(single_statement(one), "{one}");
        }
        for two in [
            "SELECT 1; SELECT 2",
            "PRAGMA query_only = OFF; VACUUM INTO 'x.db'",
            "SELECT 1;/* */VACUUM",
            "SELECT 1; 'x'",
        ] {
            assert!(!single_statement(two), "{two}");
        }
    }
}
