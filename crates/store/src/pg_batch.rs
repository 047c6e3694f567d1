//! PostgreSQL's write path for a batch: one statement per table, the rows sent as arrays.
//!
//! A multi-row `INSERT … VALUES` of 500 rows × 33 columns is a new statement text of 16,500
//! parameters per chunk, parsed and planned every time. Here each table's rows go as one
//! array per column through `UNNEST`: a handful of fixed statements, prepared once per
//! connection, whatever the batch's size.

use crate::fast::HashMap;

use chrono::{DateTime, Utc};

use crate::error::Context;
use crate::write::{
    quarantine_sql, upsert_tail, Tables, WriteBatch, CLOSE_DISMISSED_SQL, COMPLAINT_COLUMNS,
    CURSOR_SQL, DICTIONARY_SQL, LINK_AGAIN_SQL, LINK_SQL, LIVE,
};
use crate::Result;

/// Deletes the events of the complaints `$1` (their ids), found by the complaints' numbers
/// (their key).
fn events_of_any(t: Tables) -> String {
    format!(
        "DELETE FROM {} WHERE complaint_seq IN \
         (SELECT complaint_seq FROM {} WHERE complaint_id = ANY($1))",
        t.events, t.complaints
    )
}

/// The PostgreSQL type of each column of `COMPLAINT_COLUMNS`, in order.
const COMPLAINT_TYPES: &[&str] = &[
    "text",        // complaint_id
    "text",        // channel
    "text",        // external_id
    "text",        // kind
    "text",        // urgency
    "text",        // category_main
    "text",        // category_sub
    "text",        // category_source
    "text",        // category_method
    "text",        // title
    "text",        // body
    "text",        // status
    "text",        // status_source
    "text",        // agency
    "text",        // kecamatan_code
    "text",        // kelurahan_code
    "text",        // kecamatan
    "text",        // kelurahan
    "text",        // address
    "float8",      // latitude
    "float8",      // longitude
    "bool",        // in_city
    "text",        // reporter_key
    "bool",        // anonymous
    "bool",        // confidential
    "timestamptz", // reported_at
    "timestamptz", // updated_at
    "timestamptz", // first_response_at
    "timestamptz", // resolved_at
    "text",        // incident_id
    "timestamptz", // synced_at
    "text",        // row_hash
    "text",        // reported_month
];

/// `INSERT INTO complaints (…) SELECT * FROM UNNEST($1::text[], …) ON CONFLICT …
/// RETURNING` each row's id and number; in a rebuild, `synced_at` and `incident_id` are the
/// live table's where the content is the same.
fn complaints_sql(supersede: bool, rebuild: bool) -> String {
    let t = Tables::of(rebuild);
    let arrays: Vec<String> = COMPLAINT_TYPES
        .iter()
        .enumerate()
        .map(|(i, t)| format!("${}::{t}[]", i + 1))
        .collect();
    let (values, kept) = if rebuild {
        let values: Vec<String> = COMPLAINT_COLUMNS
            .split(',')
            .map(str::trim)
            .map(|c| match c {
                "synced_at" => "COALESCE(s.synced_at, u.synced_at)".to_string(),
                "incident_id" => "COALESCE(s.incident_id, u.incident_id)".to_string(),
                _ => format!("u.{c}"),
            })
            .collect();
        // Kept where the row is the same: its content, and the answer and resolution the
        // engine decided beside it.
        let kept = format!(
            " LEFT JOIN {} s ON s.complaint_id = u.complaint_id AND s.row_hash = u.row_hash \
             AND s.first_response_at IS NOT DISTINCT FROM u.first_response_at \
             AND s.resolved_at IS NOT DISTINCT FROM u.resolved_at",
            LIVE.complaints
        );
        (values.join(", "), kept)
    } else {
        ("u.*".to_string(), String::new())
    };
    // In the batch's order (the rows' numbers, `complaint_seq`, are given in it): the
    // rebuild's join with the live table may give the rows in another.
    let (ordinality, position, order) = if rebuild {
        (
            " WITH ORDINALITY",
            ", batch_position",
            " ORDER BY u.batch_position",
        )
    } else {
        ("", "", "")
    };
    format!(
        "INSERT INTO {} ({COMPLAINT_COLUMNS}) SELECT {values} \
         FROM UNNEST({}){ordinality} AS u ({COMPLAINT_COLUMNS}{position}){kept}{order}{} \
         RETURNING complaint_id, complaint_seq",
        t.complaints,
        arrays.join(", "),
        upsert_tail(supersede, t.complaints)
    )
}

/// One array per column of the batch's complaints.
#[derive(Default)]
struct ComplaintColumns<'a> {
    text: Vec<Vec<Option<&'a str>>>,
    float: [Vec<Option<f64>>; 2],
    in_city: Vec<Option<bool>>,
    flags: [Vec<bool>; 2],
    times: [Vec<Option<DateTime<Utc>>>; 5],
    months: Vec<String>,
}

/// Writes `w` in the transaction open on `tx` (see [`crate::Writes`]).
pub(crate) async fn write(tx: &mut sqlx::PgConnection, w: &WriteBatch<'_>) -> Result<()> {
    let channel = w.channel;
    let t = Tables::of(w.rebuild);
    if let Some(d) = w.dictionary {
        sqlx::query(DICTIONARY_SQL)
            .bind(d.id)
            .bind(&d.channel)
            .bind(&d.bytes)
            .bind(w.now)
            .execute(&mut *tx)
            .await
            .context(|| format!("storing dictionary {} of {channel}", d.id))?;
    }
    if !w.raws.is_empty() {
        let mut refs = Vec::with_capacity(w.raws.len());
        let mut ids = Vec::with_capacity(w.raws.len());
        let mut received = Vec::with_capacity(w.raws.len());
        let mut hashes = Vec::with_capacity(w.raws.len());
        let mut payloads = Vec::with_capacity(w.raws.len());
        let mut dictionaries = Vec::with_capacity(w.raws.len());
        for r in w.raws {
            refs.push(r.source_ref.as_str());
            ids.push(r.external_id.as_deref());
            received.push(r.received_at);
            hashes.push(r.content_hash.as_slice());
            payloads.push(r.payload.as_slice());
            dictionaries.push(r.dictionary_id);
        }
        sqlx::query(
            "INSERT INTO raw_records (channel, source_ref, external_id, received_at, content_hash, payload, run_id, dictionary_id) \
             SELECT $1, u.s, u.e, u.r, u.h, u.p, $7, u.d \
             FROM UNNEST($2::text[], $3::text[], $4::timestamptz[], $5::bytea[], $6::bytea[], $8::int8[]) AS u (s, e, r, h, p, d) \
             ON CONFLICT (channel, content_hash) DO NOTHING",
        )
        .bind(channel)
        .bind(&refs)
        .bind(&ids)
        .bind(&received)
        .bind(&hashes)
        .bind(&payloads)
        .bind(w.run_id)
        .bind(&dictionaries)
        .execute(&mut *tx)
        .await
        .context(|| format!("archiving raw payloads of {channel}"))?;
    }
    for link in w.links {
        sqlx::query(if link.again { LINK_AGAIN_SQL } else { LINK_SQL })
            .bind(channel)
            .bind(&link.group_key)
            .bind(link.span.map(|s| s.0))
            .bind(link.span.map(|s| s.1))
            .bind(link.run_from)
            .bind(&link.content_hash)
            .execute(&mut *tx)
            .await
            .context(|| format!("linking a payload of {channel} to its group"))?;
    }
    if !w.inbox_done.is_empty() {
        sqlx::query("DELETE FROM push_inbox WHERE raw_id = ANY($1)")
            .bind(w.inbox_done)
            .execute(&mut *tx)
            .await
            .context(|| format!("clearing folded deliveries of {channel}"))?;
    }
    // A fold's complaint comes with its whole history: what an earlier fold appended (a
    // message of a thread since split off) goes.
    if w.supersede && !w.complaints.is_empty() {
        let ids: Vec<&str> = w
            .complaints
            .iter()
            .map(|c| c.complaint.complaint_id.as_str())
            .collect();
        sqlx::query(&events_of_any(t))
            .bind(&ids)
            .execute(&mut *tx)
            .await
            .context(|| format!("replacing the history of folded complaints of {channel}"))?;
    }
    if !w.claims.is_empty() {
        let (ids, by): (Vec<&str>, Vec<&str>) = w
            .claims
            .iter()
            .map(|(id, by)| (id.as_str(), by.as_str()))
            .unzip();
        sqlx::query(&format!(
            "INSERT INTO {} (complaint_id, claimed_by) \
             SELECT * FROM UNNEST($1::text[], $2::text[]) ON CONFLICT (complaint_id) DO NOTHING",
            t.claims
        ))
        .bind(&ids)
        .bind(&by)
        .execute(&mut *tx)
        .await
        .context(|| format!("keeping the stand-ins complaints of {channel} took over"))?;
    }
    if !w.removed.is_empty() {
        // The events first: they are found through the complaints' numbers.
        for sql in [
            events_of_any(t),
            format!("DELETE FROM {} WHERE complaint_id = ANY($1)", t.complaints),
        ] {
            sqlx::query(&sql)
                .bind(w.removed)
                .execute(&mut *tx)
                .await
                .context(|| format!("removing folded complaints of {channel}"))?;
        }
    }
    // The number of each complaint written, for its events (an upsert that an older version
    // did not pass returns none: its events look the number up).
    let mut seqs: HashMap<String, i64> = HashMap::default();
    if !w.complaints.is_empty() {
        let mut c = ComplaintColumns {
            text: (0..22)
                .map(|_| Vec::with_capacity(w.complaints.len()))
                .collect(),
            ..ComplaintColumns::default()
        };
        for row in w.complaints {
            let k = &row.complaint;
            let texts = [
                Some(k.complaint_id.as_str()),
                Some(k.channel.as_str()),
                Some(k.external_id.as_str()),
                Some(k.kind.as_str()),
                Some(k.urgency.as_str()),
                k.category_main.as_deref(),
                k.category_sub.as_deref(),
                Some(k.category_source.as_str()),
                k.category_method.as_deref(),
                Some(k.title.as_str()),
                Some(k.body.as_str()),
                Some(k.status.as_str()),
                Some(k.status_source.as_str()),
                k.agency.as_deref(),
                k.kecamatan_code.as_deref(),
                k.kelurahan_code.as_deref(),
                k.kecamatan.as_deref(),
                k.kelurahan.as_deref(),
                k.address.as_deref(),
                k.reporter_key.as_deref(),
                k.incident_id.as_deref(),
                Some(row.row_hash.as_str()),
            ];
            for (column, value) in c.text.iter_mut().zip(texts) {
                column.push(value);
            }
            c.float[0].push(k.latitude);
            c.float[1].push(k.longitude);
            c.in_city.push(k.in_city);
            c.flags[0].push(k.anonymous);
            c.flags[1].push(k.confidential);
            for (column, value) in c.times.iter_mut().zip([
                Some(k.reported_at),
                Some(k.updated_at),
                k.first_response_at,
                k.resolved_at,
                Some(w.now),
            ]) {
                column.push(value);
            }
            c.months.push(aduan_core::time::wib_month(k.reported_at));
        }
        let sql = complaints_sql(w.supersede, w.rebuild);
        let t = &c.text;
        // In the order of COMPLAINT_COLUMNS.
        let written = sqlx::query(&sql)
            .bind(&t[0])
            .bind(&t[1])
            .bind(&t[2])
            .bind(&t[3])
            .bind(&t[4])
            .bind(&t[5])
            .bind(&t[6])
            .bind(&t[7])
            .bind(&t[8])
            .bind(&t[9])
            .bind(&t[10])
            .bind(&t[11])
            .bind(&t[12])
            .bind(&t[13])
            .bind(&t[14])
            .bind(&t[15])
            .bind(&t[16])
            .bind(&t[17])
            .bind(&t[18])
            .bind(&c.float[0])
            .bind(&c.float[1])
            .bind(&c.in_city)
            .bind(&t[19])
            .bind(&c.flags[0])
            .bind(&c.flags[1])
            .bind(&c.times[0])
            .bind(&c.times[1])
            .bind(&c.times[2])
            .bind(&c.times[3])
            .bind(&t[20])
            .bind(&c.times[4])
            .bind(&t[21])
            .bind(&c.months)
            .fetch_all(&mut *tx)
            .await
            .context(|| format!("upserting complaints of {channel}"))?;
        for row in written {
            let (id, seq): (String, i64) = sqlx::FromRow::from_row(&row)
                .context(|| format!("reading the numbers of complaints of {channel}"))?;
            seqs.insert(id, seq);
        }
    }
    if !w.events.is_empty() {
        let n = w.events.len();
        let mut numbers: Vec<Option<i64>> = Vec::with_capacity(n);
        let (mut ids, mut at, mut kinds, mut actors, mut bodies, mut keys) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for e in w.events {
            numbers.push(seqs.get(&e.event.complaint_id).copied());
            ids.push(e.event.complaint_id.as_str());
            at.push(e.event.occurred_at);
            kinds.push(e.event.kind.as_str());
            actors.push(e.event.actor.as_deref());
            bodies.push(e.event.body.as_deref());
            keys.push(e.event_key.as_str());
        }
        sqlx::query(&format!(
            "INSERT INTO {} (complaint_seq, complaint_id, occurred_at, event_type, actor, body, event_key) \
             SELECT COALESCE(u.seq, (SELECT c.complaint_seq FROM {} c WHERE c.complaint_id = u.id)), \
             u.id, u.occurred_at, u.event_type, u.actor, u.body, u.event_key \
             FROM UNNEST($1::int8[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[]) \
             AS u (seq, id, occurred_at, event_type, actor, body, event_key) \
             ON CONFLICT (complaint_seq, event_key) DO NOTHING",
            t.events, t.complaints
        ))
        .bind(&numbers)
        .bind(&ids)
        .bind(&at)
        .bind(&kinds)
        .bind(&actors)
        .bind(&bodies)
        .bind(&keys)
        .execute(&mut *tx)
        .await
        .context(|| format!("appending events of {channel}"))?;
    }
    let quarantine = quarantine_sql(t);
    for qr in w.quarantine {
        sqlx::query(&quarantine)
            .bind(channel)
            .bind(&qr.content_hash)
            .bind(&qr.source_ref)
            .bind(&qr.record)
            .bind(&qr.field)
            .bind(&qr.reason)
            .bind(&qr.payload)
            .bind(w.run_id)
            .bind(w.now)
            .execute(&mut *tx)
            .await
            .context(|| format!("quarantining {} of {channel}", qr.record))?;
    }
    if !w.rebuild {
        for hash in w.quarantine_dismissed {
            sqlx::query(CLOSE_DISMISSED_SQL)
                .bind(w.now)
                .bind(channel)
                .bind(hash)
                .execute(&mut *tx)
                .await
                .context(|| {
                    format!("closing quarantine entries of {channel} now failing as dismissed")
                })?;
        }
    }
    if let Some(cursor) = w.cursor {
        sqlx::query(CURSOR_SQL)
            .bind(channel)
            .bind(cursor)
            .bind(w.now)
            .execute(&mut *tx)
            .await
            .context(|| format!("saving the cursor of {channel}"))?;
    }
    Ok(())
}
