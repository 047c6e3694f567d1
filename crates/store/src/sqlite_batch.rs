//! SQLite's write path for a batch: single-row statements prepared once per batch and run
//! back to back on the connection's own thread; and the archive's bulk reads and a batch's
//! lookups (one probe per key, in one read transaction), the same way.
//!
//! Through `sqlx`, every statement is a round trip to the connection's worker thread with its
//! arguments copied into owned values, and a multi-row `INSERT` makes SQLite keep a statement
//! journal of every page it changes (the statement might have to be undone half-way). Here the
//! batch's transaction is opened by `sqlx` as before, then its connection is lent to
//! `rusqlite` for the rows: a prepared single-row `INSERT` binds borrowed values, needs no
//! statement journal and no parse. Commit and rollback stay with `sqlx`'s transaction.

use crate::fast::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection};
use sqlx::SqlitePool;

use crate::error::Context;
use crate::read::PackedRaw;
use crate::write::{
    claim_sql, quarantine_sql, upsert_tail, Tables, WriteBatch, CLOSE_DISMISSED_SQL,
    COMPLAINT_COLUMNS, CURSOR_SQL, DICTIONARY_SQL, LINK_AGAIN_SQL, LINK_SQL, LIVE,
};
use crate::{blocking, CurrentRow, Error, Result, StoredRaw};

/// Deletes one complaint's events (`?1`: its id), found by the complaint's number (their key).
fn events_of_one(t: Tables) -> String {
    format!(
        "DELETE FROM {} WHERE complaint_seq = (SELECT complaint_seq FROM {} WHERE complaint_id = ?1)",
        t.events, t.complaints
    )
}

/// A time as `sqlx` writes it to SQLite (RFC 3339, `+00:00`): stored text stays comparable
/// whichever path wrote it. To the microsecond, as PostgreSQL keeps it (see
/// [`crate::to_the_microsecond`]): the same complaint reads the same on both stores.
fn ts(t: DateTime<Utc>) -> String {
    crate::to_the_microsecond(t).to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(ts)
}

/// A failed statement of the rows, with what the store was doing (SQLite's code kept).
fn fail(what: String, cause: rusqlite::Error) -> Error {
    Error::Sqlite { what, cause }
}

/// Runs `f` on `conn`'s own SQLite connection through `rusqlite`, on this thread.
async fn lend<R>(
    conn: &mut sqlx::SqliteConnection,
    what: impl Fn() -> String,
    f: impl FnOnce(&Connection) -> Result<R>,
) -> Result<R> {
    let mut handle = conn.lock_handle().await.context(&what)?;
    let db = handle.as_raw_handle();
    blocking(|| {
        // SAFETY: `db` is the open connection of `handle`, which is locked for this scope
        // (no other statement runs on it meanwhile) and outlives the borrowed
        // `Connection`: `from_handle` does not take ownership (dropping it finalizes the
        // statements prepared here and leaves the connection open).
        let conn = unsafe { Connection::from_handle(db.as_ptr()) }.map_err(|e| fail(what(), e))?;
        f(&conn)
    })
}

/// Writes `w` in the transaction open on `conn` (see [`crate::Writes`]).
pub(crate) async fn write(conn: &mut sqlx::SqliteConnection, w: &WriteBatch<'_>) -> Result<()> {
    let channel = w.channel;
    lend(
        conn,
        || format!("taking the connection for a batch of {channel}"),
        |conn| rows(conn, w),
    )
    .await
}

/// Runs `f` through `rusqlite` on a connection of `pool`, in one read transaction (one
/// snapshot of the store, and not a transaction for each statement).
async fn read<R>(
    pool: &SqlitePool,
    what: impl Fn() -> String,
    f: impl FnOnce(&Connection) -> Result<R>,
) -> Result<R> {
    let mut conn = pool.acquire().await.context(&what)?;
    lend(&mut conn, &what, |conn| {
        let tx = conn.unchecked_transaction().map_err(|e| fail(what(), e))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| fail(what(), e))?;
        Ok(out)
    })
    .await
}

/// Archived payloads a query selects (its columns: `raw_id, channel, source_ref,
/// external_id, received_at, content_hash, payload, dictionary_id`), read straight
/// into their owned form: through `sqlx` every value is copied twice more on the way, which
/// made reading the archive the larger part of a rebuild.
pub(crate) async fn raws(
    pool: &SqlitePool,
    sql: &str,
    args: &[rusqlite::types::Value],
    what: impl Fn() -> String,
) -> Result<Vec<PackedRaw>> {
    raws_within(pool, sql, args, usize::MAX, what).await
}

/// As [`raws`], with the count each row carries after its columns (`total`) where `counted`:
/// `Some` of it (0 when no row is read), else `None`.
pub(crate) async fn raws_counted(
    pool: &SqlitePool,
    sql: &str,
    args: &[rusqlite::types::Value],
    counted: bool,
    what: impl Fn() -> String,
) -> Result<(Vec<PackedRaw>, Option<i64>)> {
    read(pool, &what, |conn| {
        let mut st = conn.prepare_cached(sql).map_err(|e| fail(what(), e))?;
        let mut rows = st
            .query(rusqlite::params_from_iter(args))
            .map_err(|e| fail(what(), e))?;
        let mut out = Vec::new();
        let mut total = counted.then_some(0);
        while let Some(row) = rows.next().map_err(|e| fail(what(), e))? {
            out.push(stored_raw(row).map_err(|e| fail(what(), e))?);
            if counted {
                total = Some(row.get(8).map_err(|e| fail(what(), e))?);
            }
        }
        Ok((out, total))
    })
    .await
}

/// As [`raws`], ending after the row whose payload brings the rows' stored payloads to
/// `max_bytes` (always one row at least; see [`crate::PAGE_BYTES`]).
pub(crate) async fn raws_within(
    pool: &SqlitePool,
    sql: &str,
    args: &[rusqlite::types::Value],
    max_bytes: usize,
    what: impl Fn() -> String,
) -> Result<Vec<PackedRaw>> {
    read(pool, &what, |conn| {
        let mut st = conn.prepare_cached(sql).map_err(|e| fail(what(), e))?;
        let mut rows = st
            .query(rusqlite::params_from_iter(args))
            .map_err(|e| fail(what(), e))?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(row) = rows.next().map_err(|e| fail(what(), e))? {
            let raw = stored_raw(row).map_err(|e| fail(what(), e))?;
            bytes = bytes.saturating_add(raw.raw.payload.len());
            out.push(raw);
            if bytes >= max_bytes {
                break;
            }
        }
        Ok(out)
    })
    .await
}

/// Which of `hashes` the archive holds for `channel`: one probe of its unique index per
/// hash, a statement prepared once, all in one read transaction (an `IN` list of hundreds of
/// values is parsed and planned anew each time, and costs more than the probes it makes).
pub(crate) async fn known_hashes(
    pool: &SqlitePool,
    channel: &str,
    hashes: &[Vec<u8>],
    what: impl Fn() -> String,
) -> Result<HashSet<Vec<u8>>> {
    read(pool, &what, |conn| {
        let mut st = conn
            .prepare_cached("SELECT 1 FROM raw_records WHERE channel = ?1 AND content_hash = ?2")
            .map_err(|e| fail(what(), e))?;
        let mut known = HashSet::default();
        for h in hashes {
            if st
                .exists(params![channel, h])
                .map_err(|e| fail(what(), e))?
            {
                known.insert(h.clone());
            }
        }
        Ok(known)
    })
    .await
}

/// Which of `ids` are stand-ins another complaint took over: one probe of the primary key
/// per id (see [`known_hashes`]).
pub(crate) async fn claimed(
    pool: &SqlitePool,
    t: Tables,
    ids: &[&str],
    what: impl Fn() -> String,
) -> Result<HashSet<String>> {
    read(pool, &what, |conn| {
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT 1 FROM {} WHERE complaint_id = ?1",
                t.claims
            ))
            .map_err(|e| fail(what(), e))?;
        let mut found = HashSet::default();
        for id in ids {
            if st.exists([id]).map_err(|e| fail(what(), e))? {
                found.insert((*id).to_string());
            }
        }
        Ok(found)
    })
    .await
}

/// What is stored of the complaints `ids`: one probe of the primary key per id (see
/// [`known_hashes`]).
pub(crate) async fn current_rows(
    pool: &SqlitePool,
    t: Tables,
    ids: &[&str],
    what: impl Fn() -> String,
) -> Result<HashMap<String, CurrentRow>> {
    read(pool, &what, |conn| {
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT row_hash, updated_at, resolved_at, status_source, first_response_at \
                 FROM {} WHERE complaint_id = ?1",
                t.complaints
            ))
            .map_err(|e| fail(what(), e))?;
        let mut rows = HashMap::default();
        for id in ids {
            let mut found = st.query([id]).map_err(|e| fail(what(), e))?;
            if let Some(row) = found.next().map_err(|e| fail(what(), e))? {
                let row_hash: String = row.get(0).map_err(|e| fail(what(), e))?;
                let updated: String = row.get(1).map_err(|e| fail(what(), e))?;
                let updated_at = parse_ts(&updated).ok_or_else(|| Error::Rows {
                    what: what(),
                    message: format!("complaint {id}: updated_at {updated:?} is not a time"),
                })?;
                let time = |i: usize, column: &str| -> Result<Option<DateTime<Utc>>> {
                    let text: Option<String> = row.get(i).map_err(|e| fail(what(), e))?;
                    text.map(|r| {
                        parse_ts(&r).ok_or_else(|| Error::Rows {
                            what: what(),
                            message: format!("complaint {id}: {column} {r:?} is not a time"),
                        })
                    })
                    .transpose()
                };
                let resolved_at = time(2, "resolved_at")?;
                let status_source: String = row.get(3).map_err(|e| fail(what(), e))?;
                let first_response_at = time(4, "first_response_at")?;
                rows.insert(
                    (*id).to_string(),
                    CurrentRow {
                        row_hash,
                        updated_at,
                        resolved_at,
                        status_source,
                        first_response_at,
                    },
                );
            }
        }
        Ok(rows)
    })
    .await
}

fn stored_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<PackedRaw> {
    let received: String = row.get(4)?;
    let received_at = parse_ts(&received).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            4,
            rusqlite::types::Type::Text,
            format!("received_at {received:?} is not a time").into(),
        )
    })?;
    Ok(PackedRaw {
        raw: StoredRaw {
            raw_id: row.get(0)?,
            channel: row.get(1)?,
            source_ref: row.get(2)?,
            external_id: row.get(3)?,
            received_at,
            content_hash: row.get(5)?,
            payload: row.get(6)?,
        },
        dictionary_id: row.get(7)?,
    })
}

/// A stored time: RFC 3339 as [`ts`] writes it, or SQLite's own `YYYY-MM-DD HH:MM:SS[.f]`
/// (UTC).
fn parse_ts(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// The rows of a batch, in the order of the `PostgreSQL` path: archive, group links, the
/// inbox, superseded and removed complaints, complaints, events, quarantine, cursor.
fn rows(conn: &Connection, w: &WriteBatch<'_>) -> Result<()> {
    let channel = w.channel;
    let t = Tables::of(w.rebuild);
    let now = ts(w.now);
    if let Some(d) = w.dictionary {
        conn.execute(DICTIONARY_SQL, params![d.id, d.channel, d.bytes, now])
            .map_err(|e| fail(format!("storing dictionary {} of {channel}", d.id), e))?;
    }
    if !w.raws.is_empty() {
        let what = || format!("archiving raw payloads of {channel}");
        let mut st = conn
            .prepare(
                "INSERT INTO raw_records (channel, source_ref, external_id, received_at, content_hash, payload, run_id, dictionary_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (channel, content_hash) DO NOTHING",
            )
            .map_err(|e| fail(what(), e))?;
        for r in w.raws {
            st.execute(params![
                channel,
                r.source_ref,
                r.external_id,
                ts(r.received_at),
                r.content_hash,
                r.payload,
                w.run_id,
                r.dictionary_id
            ])
            .map_err(|e| fail(what(), e))?;
        }
    }
    if !w.links.is_empty() {
        let what = || format!("linking a payload of {channel} to its group");
        let mut st = conn.prepare(LINK_SQL).map_err(|e| fail(what(), e))?;
        for l in w.links.iter().filter(|l| !l.again) {
            let (from, to) = l.span.unzip();
            st.execute(params![
                channel,
                l.group_key,
                from,
                to,
                l.run_from,
                l.content_hash
            ])
            .map_err(|e| fail(what(), e))?;
        }
        for l in w.links.iter().filter(|l| l.again) {
            let (from, to) = l.span.unzip();
            conn.prepare_cached(LINK_AGAIN_SQL)
                .and_then(|mut st| {
                    st.execute(params![
                        channel,
                        l.group_key,
                        from,
                        to,
                        l.run_from,
                        l.content_hash
                    ])
                })
                .map_err(|e| fail(what(), e))?;
        }
    }
    if !w.inbox_done.is_empty() {
        let what = || format!("clearing folded deliveries of {channel}");
        let mut st = conn
            .prepare("DELETE FROM push_inbox WHERE raw_id = ?1")
            .map_err(|e| fail(what(), e))?;
        for id in w.inbox_done {
            st.execute([id]).map_err(|e| fail(what(), e))?;
        }
    }
    // A fold's complaint comes with its whole history: what an earlier fold appended (a
    // message of a thread since split off) goes.
    if w.supersede && !w.complaints.is_empty() {
        let what = || format!("replacing the history of folded complaints of {channel}");
        let mut st = conn
            .prepare(&events_of_one(t))
            .map_err(|e| fail(what(), e))?;
        for row in w.complaints {
            st.execute([&row.complaint.complaint_id])
                .map_err(|e| fail(what(), e))?;
        }
    }
    if !w.claims.is_empty() {
        let what = || format!("keeping the stand-ins complaints of {channel} took over");
        let mut st = conn.prepare(&claim_sql(t)).map_err(|e| fail(what(), e))?;
        for (id, by) in w.claims {
            st.execute(params![id, by]).map_err(|e| fail(what(), e))?;
        }
    }
    if !w.removed.is_empty() {
        let what = || format!("removing folded complaints of {channel}");
        // The events first: they are found through the complaint's number.
        for sql in [
            events_of_one(t),
            format!("DELETE FROM {} WHERE complaint_id = ?1", t.complaints),
        ] {
            let mut st = conn.prepare(&sql).map_err(|e| fail(what(), e))?;
            for id in w.removed {
                st.execute([id]).map_err(|e| fail(what(), e))?;
            }
        }
    }
    if !w.complaints.is_empty() {
        let what = || format!("upserting complaints of {channel}");
        let columns: Vec<&str> = COMPLAINT_COLUMNS.split(',').map(str::trim).collect();
        let slot = |name: &str| columns.iter().position(|c| *c == name).map_or(0, |i| i + 1);
        let slots: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| match *c {
                // Kept from the live table, where the row is the same (its content, and the
                // answer and resolution the engine decided beside it): when it was synced,
                // and the incident it was linked to (`Store::link_incidents` decides it
                // again before the rebuilt tables are put in place).
                kept @ ("synced_at" | "incident_id") if w.rebuild => format!(
                    "COALESCE((SELECT {kept} FROM {} \
                     WHERE complaint_id = ?{} AND row_hash = ?{} \
                     AND first_response_at IS ?{} AND resolved_at IS ?{}), ?{})",
                    LIVE.complaints,
                    slot("complaint_id"),
                    slot("row_hash"),
                    slot("first_response_at"),
                    slot("resolved_at"),
                    i + 1
                ),
                _ => format!("?{}", i + 1),
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} ({COMPLAINT_COLUMNS}) VALUES ({}){}",
            t.complaints,
            slots.join(", "),
            upsert_tail(w.supersede, t.complaints)
        );
        let mut st = conn.prepare(&sql).map_err(|e| fail(what(), e))?;
        for row in w.complaints {
            let c = &row.complaint;
            st.execute(params![
                c.complaint_id,
                c.channel,
                c.external_id,
                c.kind.as_str(),
                c.urgency.as_str(),
                c.category_main,
                c.category_sub,
                c.category_source,
                c.category_method,
                c.title,
                c.body,
                c.status.as_str(),
                c.status_source,
                c.agency,
                c.kecamatan_code,
                c.kelurahan_code,
                c.kecamatan,
                c.kelurahan,
                c.address,
                c.latitude,
                c.longitude,
                c.in_city,
                c.reporter_key,
                c.anonymous,
                c.confidential,
                ts(c.reported_at),
                ts(c.updated_at),
                opt_ts(c.first_response_at),
                opt_ts(c.resolved_at),
                c.incident_id,
                now,
                row.row_hash,
                aduan_core::time::wib_month(c.reported_at),
            ])
            .map_err(|e| fail(format!("{} {}", what(), c.complaint_id), e))?;
        }
    }
    if !w.events.is_empty() {
        let what = || format!("appending events of {channel}");
        let mut st = conn
            .prepare(&format!(
                "INSERT INTO {} (complaint_seq, complaint_id, occurred_at, event_type, actor, body, event_key) \
                 VALUES ((SELECT complaint_seq FROM {} WHERE complaint_id = ?1), ?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (complaint_seq, event_key) DO NOTHING",
                t.events, t.complaints
            ))
            .map_err(|e| fail(what(), e))?;
        for e in w.events {
            let ev = &e.event;
            st.execute(params![
                ev.complaint_id,
                ts(ev.occurred_at),
                ev.kind.as_str(),
                ev.actor,
                ev.body,
                e.event_key
            ])
            .map_err(|err| fail(what(), err))?;
        }
    }
    if !w.quarantine.is_empty() {
        let mut st = conn
            .prepare(&quarantine_sql(t))
            .map_err(|e| fail(format!("quarantining records of {channel}"), e))?;
        for q in w.quarantine {
            st.execute(params![
                channel,
                q.content_hash,
                q.source_ref,
                q.record,
                q.field,
                q.reason,
                q.payload,
                w.run_id,
                now
            ])
            .map_err(|e| fail(format!("quarantining {} of {channel}", q.record), e))?;
        }
    }
    if !w.rebuild && !w.quarantine_dismissed.is_empty() {
        let what = || format!("closing quarantine entries of {channel} now failing as dismissed");
        let mut st = conn
            .prepare(CLOSE_DISMISSED_SQL)
            .map_err(|e| fail(what(), e))?;
        for hash in w.quarantine_dismissed {
            st.execute(params![now, channel, hash])
                .map_err(|e| fail(what(), e))?;
        }
    }
    if let Some(cursor) = w.cursor {
        conn.execute(CURSOR_SQL, params![channel, cursor, now])
            .map_err(|e| fail(format!("saving the cursor of {channel}"), e))?;
    }
    Ok(())
}
