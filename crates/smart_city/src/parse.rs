//! A report's payloads (webhook bodies and backfill items) folded into its complaint.

use aduan_core::{
    EventKind, FieldError, Folded, RawRecord, SourceComplaint, SourceEvent, SourcePlace,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::CHANNEL;

/// The status label of a deleted report (`report.deleted` in unified-model.md).
pub(crate) const DELETED: &str = "report.deleted";

/// A webhook body: the event and the report (or, for a deletion, its stub).
#[derive(Deserialize)]
struct Delivery {
    event: String,
    report: serde_json::Value,
}

#[derive(Deserialize)]
struct Report {
    id: String,
    version: u64,
    #[serde(rename = "type")]
    kind: String,
    area: Option<String>,
    title: Option<String>,
    description: Option<String>,
    status: String,
    location: Option<Location>,
    /// (A `null` among them, a photo whose upload failed, is none: the report was
    /// quarantined for it.)
    #[serde(default, deserialize_with = "aduan_core::json::default_if_null")]
    photos: Vec<Option<String>>,
    user: Option<User>,
    created_at: String,
    updated_at: String,
}

#[derive(Deserialize)]
struct Location {
    lat: Option<f64>,
    lng: Option<f64>,
    address: Option<String>,
}

#[derive(Deserialize)]
struct User {
    phone: Option<String>,
    /// Read only to be kept out of the stored texts; any JSON value (not a string: no name).
    #[serde(default)]
    name: serde_json::Value,
}

#[derive(Deserialize)]
struct Deletion {
    id: String,
    version: u64,
    deleted_at: String,
}

/// One payload read: a full version of the report, or its deletion.
enum Version {
    Full(Box<Report>, DateTime<Utc>, DateTime<Utc>),
    Deleted(u64, DateTime<Utc>),
}

impl Version {
    fn number(&self) -> u64 {
        match self {
            Version::Full(r, ..) => r.version,
            Version::Deleted(v, _) => *v,
        }
    }

    /// When the source says this version was made.
    fn at(&self) -> DateTime<Utc> {
        match self {
            Version::Full(_, _, at) | Version::Deleted(_, at) => *at,
        }
    }
}

fn typed<T: for<'de> Deserialize<'de>>(
    value: &serde_json::Value,
    prefix: &str,
    record: &str,
) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let (field, reason) = FieldError::serde_fault(e);
        let field = if field == "." { String::new() } else { field };
        FieldError::new(CHANNEL, record, format!("{prefix}{field}"), reason)
    })
}

/// The report object of a payload, and the field prefix to name its fields by.
fn report_value(
    raw: &RawRecord,
) -> Result<(serde_json::Value, &'static str, Option<String>), FieldError> {
    // What is not JSON is named by the field it stops in (a byte that is not UTF-8 in a
    // title, a raw line break in a description).
    let value: serde_json::Value = FieldError::read_json(CHANNEL, &raw.source_ref, &raw.payload)?;
    if value.get("event").is_some() {
        let d: Delivery = typed(&value, "", &raw.source_ref)?;
        Ok((d.report, "report.", Some(d.event)))
    } else {
        Ok((value, "", None))
    }
}

/// The report id a payload is archived under (`raw_records.external_id`), read leniently
/// ([`aduan_core::json::lenient_value`]: a malformed payload is archived all the same, and
/// named where its id reads): the `id` [`keys`] folds it by, that of `report` in a webhook's
/// body (one with an `event`), the item's own in a backfill's. Of a member given twice the
/// last counts, as serde_json's map keeps it for the parser (review, session 47: serde refused
/// a field given twice, and such a payload was archived under no id, `aduan raw list
/// --record` not finding it). Migration 0018 names the deliveries archived before so.
pub(crate) fn archived_id(payload: &[u8]) -> Option<String> {
    let value: serde_json::Value = aduan_core::json::lenient_value(payload)?;
    record_id(&value)
}

/// [`archived_id`] of a payload already read.
pub(crate) fn record_id(value: &serde_json::Value) -> Option<String> {
    let report = if value.get("event").is_some() {
        value.get("report")?
    } else {
        value
    };
    report
        .get("id")?
        .as_str()
        .filter(|id| !id.trim().is_empty())
        .map(str::to_string)
}

/// The group of a payload: its report id.
pub(crate) fn keys(raw: &RawRecord) -> Result<Vec<String>, FieldError> {
    let (report, prefix, _) = report_value(raw)?;
    match report.get("id").and_then(|v| v.as_str()) {
        Some(id) if !id.trim().is_empty() => Ok(vec![id.to_string()]),
        _ => Err(FieldError::new(
            CHANNEL,
            &raw.source_ref,
            format!("{prefix}id"),
            "missing or not a text",
        )),
    }
}

fn time(s: &str, field: &str, record: &str) -> Result<DateTime<Utc>, FieldError> {
    aduan_core::time::parse_source(s).ok_or_else(|| {
        FieldError::new(
            CHANNEL,
            record,
            field,
            format!("not an ISO 8601 time: {}", aduan_core::time::quoted(s)),
        )
    })
}

// What a time a payload gives would do, kept when it lies after the payload's receipt.
const CHANGED_LATER: &str = "the complaint would say it was changed at a time still to come";
const REPORTED_LATER: &str = "it would be counted as reported at a time still to come";
const DELETED_LATER: &str = "the report would be withdrawn at a time still to come";

/// The time `s` of `field` in a payload received at `received_at`: none (an error naming the
/// field) when it is more than a day after that ([`aduan_core::time::after_receipt`]), a
/// source's mistake, quarantined as every channel's record so dated is (review, session 47: a
/// deletion dated years ahead was folded in, and dated the complaint's last change then).
/// Decided by the receipt as archived (the version's first, see [`FirstReceipts`]), so that
/// a rebuild decides as the live fold did.
fn dated(
    s: &str,
    field: &str,
    record: &str,
    received_at: DateTime<Utc>,
    harm: &str,
) -> Result<DateTime<Utc>, FieldError> {
    let t = time(s, field, record)?;
    if aduan_core::time::after_receipt(t, received_at) {
        return Err(FieldError::new(
            CHANNEL,
            record,
            field,
            aduan_core::time::after_receipt_reason(t, received_at, harm),
        ));
    }
    Ok(t)
}

/// When Aduan first had each version of a report, by its number, a deletion apart: the earliest
/// receipt of a payload carrying it, a webhook's delivery or a backfill's item. A version was
/// made by then at the latest, so that a date it gives more than a day later is a mistake of
/// the source's in every copy of it, whenever the copy came (review of session 47: the
/// backfill's copy, read within a day of that date, was folded in, the delivery quarantined).
/// A copy is of the same version when it gives the same dates (see [`Copy`]): two copies of one
/// number that differ are two versions (the fold takes the later `updated_at` for the latest
/// word), the later of which, received with its date, was quarantined by the earlier's receipt.
type FirstReceipts = std::collections::HashMap<Copy, DateTime<Utc>>;

/// A version by its number, whether a deletion, and the dates it gives as written (`deleted_at`,
/// or `created_at` and `updated_at`).
type Copy = (u64, bool, String);

/// A full version's dates as [`Copy`] holds them.
fn full_dates(created_at: &str, updated_at: &str) -> String {
    format!("{created_at} {updated_at}")
}

/// The versions a payload carries (see [`Copy`]), read as [`version`] reads them (none where
/// it does not read).
fn carried(raw: &RawRecord) -> Vec<Copy> {
    let Ok((report, _, event)) = report_value(raw) else {
        return Vec::new();
    };
    let Some(n) = report.get("version").and_then(serde_json::Value::as_u64) else {
        return Vec::new();
    };
    let deleted = match event.as_deref() {
        Some(e) => e == "report.deleted",
        None => report.get("deleted_at").is_some_and(|v| !v.is_null()),
    };
    let text = |name: &str| report.get(name).and_then(serde_json::Value::as_str);
    let full = text("created_at")
        .zip(text("updated_at"))
        .map(|(c, u)| (n, false, full_dates(c, u)));
    if !deleted {
        return full.into_iter().collect();
    }
    let mut out: Vec<Copy> = text("deleted_at")
        .map(|d| (n, true, d.to_string()))
        .into_iter()
        .collect();
    // A backfill item of a deleted report listed in full carries its content too.
    if event.is_none() && report.get("status").is_some() {
        out.extend(full);
    }
    out
}

fn version(raw: &RawRecord, key: &str, first: &FirstReceipts) -> Result<Vec<Version>, FieldError> {
    let receipt = |copy: Copy| {
        first
            .get(&copy)
            .map_or(raw.received_at, |t| raw.received_at.min(*t))
    };
    let (report, prefix, event) = report_value(raw)?;
    let record = format!("report {key}");
    let deleted = match event.as_deref() {
        Some("report.deleted") => true,
        Some("report.created" | "report.updated") => false,
        Some(other) => {
            return Err(FieldError::new(
                CHANNEL,
                &record,
                "event",
                format!("unknown event {other:?}"),
            ))
        }
        // A backfill item: a deletion is the stub with `deleted_at`.
        // (A report listed with `"deleted_at": null` is not deleted; review.)
        None => report.get("deleted_at").is_some_and(|v| !v.is_null()),
    };
    if deleted {
        let d: Deletion = typed(&report, prefix, &record)?;
        let at = dated(
            &d.deleted_at,
            &format!("{prefix}deleted_at"),
            &record,
            receipt((d.version, true, d.deleted_at.clone())),
            DELETED_LATER,
        )?;
        if d.id != key {
            return Err(FieldError::new(
                CHANNEL,
                &record,
                format!("{prefix}id"),
                "not this report's id",
            ));
        }
        let mut out = vec![Version::Deleted(d.version, at)];
        // A backfill item of a deleted report listed in full carries its content too.
        // (Content that does not read as a report, columns listed empty, is none: the
        // deletion stands alone, as a stub's.)
        if event.is_none() && report.get("status").is_some() {
            let full = typed::<Report>(&report, prefix, &record)
                .ok()
                .and_then(|r| {
                    let received_at =
                        receipt((r.version, false, full_dates(&r.created_at, &r.updated_at)));
                    let (created, updated) = full_times(&r, prefix, &record, received_at).ok()?;
                    Some(Version::Full(Box::new(r), created, updated))
                });
            out.extend(full);
        }
        return Ok(out);
    }
    let r: Report = typed(&report, prefix, &record)?;
    let received_at = receipt((r.version, false, full_dates(&r.created_at, &r.updated_at)));
    let (created, updated) = full_times(&r, prefix, &record, received_at)?;
    Ok(vec![Version::Full(Box::new(r), created, updated)])
}

/// When a full version says its report was created and it was changed (see [`dated`]).
fn full_times(
    r: &Report,
    prefix: &str,
    record: &str,
    received_at: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), FieldError> {
    let field = |name: &str| format!("{prefix}{name}");
    let created = dated(
        &r.created_at,
        &field("created_at"),
        record,
        received_at,
        REPORTED_LATER,
    )?;
    let updated = dated(
        &r.updated_at,
        &field("updated_at"),
        record,
        received_at,
        CHANGED_LATER,
    )?;
    Ok((created, updated))
}

/// The place parts of an address as the app writes it, in either of its forms:
/// `Jl. Hayam Wuruk, Kauman, Pekalongan Timur` or `Jl. Pemuda No.28, Kel. Degayu, Kec.
/// Pekalongan Utara, Kota Pekalongan, Jawa Tengah 51149` (see [`aduan_core::address`]): of
/// the unmarked parts after the street, the first is the kelurahan and the next the
/// kecamatan, where no part is marked so. The gazetteer decides whether they are places of
/// the city.
fn address_parts(address: &str) -> aduan_core::address::Parts {
    let mut out = aduan_core::address::parts(address);
    let mut unmarked = std::mem::take(&mut out.unmarked).into_iter();
    if out.kelurahan.is_none() {
        out.kelurahan = unmarked.next();
    }
    if out.kecamatan.is_none() {
        out.kecamatan = unmarked.next();
    }
    out
}

/// Folds every payload of report `key` into its complaint: the highest version's content,
/// `withdrawn` when the highest version is a deletion, the statuses met as history.
pub(crate) fn fold(key: &str, raws: &[RawRecord]) -> Folded {
    let mut folded = Folded::default();
    let mut numbered = Vec::new();
    let mut deletions = Vec::new();
    let mut first = FirstReceipts::new();
    for raw in raws {
        for v in carried(raw) {
            let at = first.entry(v).or_insert(raw.received_at);
            *at = (*at).min(raw.received_at);
        }
    }
    for (i, raw) in raws.iter().enumerate() {
        match version(raw, key, &first) {
            Ok(vs) => {
                for v in vs {
                    if matches!(v, Version::Deleted(..)) {
                        deletions.push(i);
                    }
                    numbered.push((i, v));
                }
            }
            Err(e) => folded.errors.push((i, e)),
        }
    }
    // Payloads of one version number that differ: the later `updated_at` is the latest
    // word, then the bytes, so that the order of arrival decides nothing.
    // (A deletion after a full version of its number: the same item may be both.)
    let deleted = |v: &Version| matches!(v, Version::Deleted(..));
    numbered.sort_by(|(i, a), (j, b)| {
        (a.number(), deleted(a), a.at())
            .cmp(&(b.number(), deleted(b), b.at()))
            .then_with(|| raws[*i].payload.cmp(&raws[*j].payload))
    });
    let versions: Vec<Version> = numbered.into_iter().map(|(_, v)| v).collect();
    let newest_full = versions.iter().rev().find_map(|v| match v {
        Version::Full(r, c, u) => Some((r, *c, *u)),
        Version::Deleted(..) => None,
    });
    // A deletion alone has nothing to show yet; it is kept and folded in when a version
    // of the report arrives (a webhook retried out of order), and told meanwhile (the
    // backfill of a report created and deleted while the webhooks were lost gives the
    // deletion only).
    let Some((report, created, updated)) = newest_full else {
        folded.waiting = deletions
            .into_iter()
            .map(|i| (i, "a deletion of a report not received (yet)".to_string()))
            .collect();
        return folded;
    };
    let deletion = versions.iter().rev().find_map(|v| match v {
        Version::Deleted(n, at) if *n >= report.version => Some(*at),
        _ => None,
    });
    let mut events = vec![SourceEvent {
        at: created,
        kind: EventKind::Created,
        actor: None,
        text: None,
    }];
    let mut last_status: Option<String> = None;
    let mut resolved_at = None;
    // The city's first answer: the first version it took in hand or finished (`accepted`
    // only acknowledges the report, as a verification does on the other channels).
    let mut first_response_at = None;
    for v in &versions {
        if let Version::Full(r, _, at) = v {
            // Read as the mapping tables read it: letter case and white space aside.
            let status = r.status.trim().to_ascii_lowercase();
            if RESPONSES.contains(&status.as_str()) && first_response_at.is_none() {
                first_response_at = Some(*at);
            }
            if last_status.as_deref() != Some(status.as_str()) {
                events.push(SourceEvent {
                    at: *at,
                    kind: EventKind::StatusChange,
                    actor: None,
                    text: Some(r.status.clone()),
                });
                last_status = Some(status.clone());
            }
            // Resolved when it first became `done`; a reopening clears it, and a later
            // `done` is its resolution.
            if status != "done" {
                resolved_at = None;
            } else if resolved_at.is_none() {
                resolved_at = Some(*at);
            }
        }
    }
    if let Some(at) = deletion {
        events.push(SourceEvent {
            at,
            kind: EventKind::StatusChange,
            actor: None,
            text: Some(DELETED.into()),
        });
    }
    let location = report.location.as_ref();
    let address = location.and_then(|l| l.address.clone());
    let parts = address.as_deref().map(address_parts).unwrap_or_default();
    let mut body = report.description.clone().unwrap_or_default();
    if let Some(photos) = photos_line(report.photos.iter().flatten().map(String::as_str)) {
        body.push_str("\n\n");
        body.push_str(&photos);
    }
    folded.complaints.push(SourceComplaint {
        channel: CHANNEL.into(),
        external_id: report.id.clone(),
        external_id_private: None,
        standing: aduan_core::Standing::Own,
        kind_label: Some(report.kind.clone()),
        urgency_label: None,
        category_labels: report.area.clone().into_iter().collect(),
        category_national: false,
        title: report.title.clone(),
        body: Some(body),
        status_label: if deletion.is_some() {
            DELETED.into()
        } else {
            report.status.clone()
        },
        agencies: Vec::new(),
        place: SourcePlace {
            city: parts.city,
            in_city: None,
            kecamatan: parts.kecamatan,
            kelurahan: parts.kelurahan,
            address,
            latitude: location.and_then(|l| l.lat),
            longitude: location.and_then(|l| l.lng),
        },
        reporter_phone: report.user.as_ref().and_then(|u| u.phone.clone()),
        reporter_email: None,
        reporter_names: aduan_core::reporter_names(report.user.as_ref().map(|u| &u.name)),
        anonymous: false,
        confidential: false,
        reported_at: created,
        updated_at: deletion.map_or(updated, |d| d.max(updated)),
        resolved_at,
        first_response_at,
        events,
    });
    folded
}

/// The line of a report's photos that ends its complaint's body: `Foto: ` and each photo's
/// address without what may grant access to it (see [`photo_link`]); a photo that is no web
/// address (a data URI, a path of the app's) is counted, not shown; an empty text is no
/// photo, as a `null` is (an upload that failed). `None` without photos.
fn photos_line<'a>(photos: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut links = Vec::new();
    let mut others = 0usize;
    for photo in photos.filter(|p| !p.trim().is_empty()) {
        match photo_link(photo) {
            Some(link) => links.push(link),
            None => others += 1,
        }
    }
    let mut line = match (links.is_empty(), others) {
        (true, 0) => return None,
        (true, n) => return Some(format!("Foto: {n} foto")),
        (false, _) => format!("Foto: {}", links.join(" ")),
    };
    if others > 0 {
        line.push_str(&format!(" (dan {others} foto lain)"));
    }
    Some(line)
}

/// A photo's `http(s)` address as the complaint shows it: without its query and fragment
/// (a signed URL's token and expiry, which would open the photo to whoever reads the table or
/// its exports) nor a user and password before its host. `None` when it is no such address.
fn photo_link(photo: &str) -> Option<String> {
    let (scheme, rest) = photo.trim().split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    // What comes before the host ends at its last `@` (a password may hold a backslash).
    let rest = match rest[..rest.find('/').unwrap_or(rest.len())].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    // No host (`https:///p.jpg`, `https://user@`): no address.
    if rest.starts_with(['/', '\\']) || rest.is_empty() {
        return None;
    }
    // A port that is no number is no address, as a browser reads it: what is left before a
    // password's `/`, `?` or `#` written as is (`user:pa/ss@host`, a key in base64), where
    // the `@` after it was not seen (review of session 47: the user and password were shown).
    let host = rest.split(['/', '\\']).next().unwrap_or_default();
    let port = host.rfind(']').map_or(host, |end| &host[end + 1..]);
    if let Some((_, port)) = port.rsplit_once(':') {
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    // A user's name alone holding a `/` as written (`AKIA/EXAMPLE@bucket.example.org/…`)
    // leaves a host that reads as one (`AKIA`): an `@` after it followed by what reads as a
    // host (a dot, a port, a bracket) and a path says the name was cut there (review of
    // session 47: it was shown). A file's `p@2x.jpg`, a folder's `@kota/`, stay, and so does
    // every path of a host with a dot, the host it says (a user's folder named by their
    // e-mail address was not shown): a name so cut leaves one without (`AKIA`), no address
    // on the internet.
    let path = &rest[host.len()..];
    let dotless =
        !host.starts_with('[') && !host.split(':').next().unwrap_or_default().contains('.');
    let cut_user = dotless
        && path.match_indices('@').any(|(at, _)| {
            let after = &path[at + 1..];
            match after.find(['/', '\\']) {
                Some(end) => after[..end].contains(['.', ':']) || after.starts_with('['),
                None => false,
            }
        });
    if cut_user {
        return None;
    }
    Some(format!("{scheme}://{rest}"))
}

/// The statuses that only the city's handling sets: a version in one of them is an answer.
const RESPONSES: [&str; 2] = ["in_progress", "done"];

#[cfg(test)]
mod tests;
