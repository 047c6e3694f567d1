//! One Lapor Gub! item into a [`SourceComplaint`].

use aduan_core::{EventKind, FieldError, RawRecord, SourceComplaint, SourceEvent, SourcePlace};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::{CHANNEL, KOTA_PEKALONGAN};

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "noTiket")]
    no_tiket: String,
    judul: Option<String>,
    isi: Option<String>,
    kategori: Option<String>,
    #[serde(deserialize_with = "aduan_core::json::int_or_text")]
    status: i64,
    #[serde(rename = "statusLabel")]
    status_label: Option<String>,
    jenis: Option<u8>,
    anonim: u8,
    rahasia: u8,
    pelapor: Option<Pelapor>,
    lokasi: Lokasi,
    opd: Option<String>,
    created: i64,
    updated: i64,
    #[serde(default, deserialize_with = "aduan_core::json::default_if_null")]
    timeline: Vec<Entry>,
}

#[derive(Deserialize)]
struct Pelapor {
    hp: Option<String>,
    /// Read only to be kept out of the stored texts; any JSON value (not a string: no name).
    #[serde(default)]
    nama: serde_json::Value,
}

#[derive(Deserialize)]
struct Lokasi {
    #[serde(rename = "kotaId", deserialize_with = "aduan_core::json::int_or_text")]
    kota_id: i64,
    kota: Option<String>,
    kecamatan: Option<String>,
    kelurahan: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    judul: Option<String>,
    tanggal: String,
    oleh: Option<String>,
    keterangan: Option<String>,
}

/// Status 4, Tuntas: resolved.
const TUNTAS: i64 = 4;

/// The contract's names of the status codes; the status is kept as `"{code} {name}"`, as the
/// unified model's status table writes it.
const STATUSES: [&str; 8] = [
    "Menunggu",
    "Diverifikasi",
    "Didisposisikan",
    "Dalam Tindakan",
    "Tuntas",
    "Tidak Layak",
    "Dikembalikan",
    "Spam",
];

/// `"3 Dalam Tindakan"`; an unknown code is kept as is, with the label it came with.
fn status_label(code: i64, label: Option<&str>) -> String {
    let known = usize::try_from(code).ok().and_then(|i| STATUSES.get(i));
    match (known, label) {
        (Some(name), _) => format!("{code} {name}"),
        (None, Some(l)) if !l.trim().is_empty() => format!("{code} {}", l.trim()),
        (None, _) => code.to_string(),
    }
}

/// What a timeline entry is, from its title.
fn entry_kind(title: &str) -> EventKind {
    let t = title.to_lowercase();
    if t.contains("disposisi") || t.contains("diteruskan") {
        EventKind::Disposition
    } else if t.contains("tindak") || t.contains("tanggapan") || t.contains("jawaban") {
        EventKind::FollowUp
    } else if [
        "verifikasi",
        "tuntas",
        "selesai",
        "layak",
        "dikembalikan",
        "spam",
        "status",
        // `Aduan dibuka kembali`: a reopening.
        "dibuka",
    ]
    .iter()
    .any(|w| t.contains(w))
    {
        EventKind::StatusChange
    } else {
        EventKind::Note
    }
}

pub(crate) fn item(raw: &RawRecord) -> Result<SourceComplaint, FieldError> {
    let record = raw
        .external_id
        .as_deref()
        .map(|id| format!("noTiket {id}"))
        .unwrap_or_else(|| raw.source_ref.clone());
    let err = |field: &str, reason: String| FieldError::new(CHANNEL, &record, field, reason);
    let r: Item = FieldError::read_json(CHANNEL, &record, &raw.payload)?;
    if r.lokasi.kota_id != KOTA_PEKALONGAN {
        return Err(err(
            "lokasi.kotaId",
            format!(
                "{} is not Kota Pekalongan ({KOTA_PEKALONGAN})",
                r.lokasi.kota_id
            ),
        ));
    }
    let flag = |field: &str, v: u8| -> Result<bool, FieldError> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(err(field, format!("{other} is neither 0 nor 1"))),
        }
    };
    let anonymous = flag("anonim", r.anonim)?;
    let confidential = flag("rahasia", r.rahasia)?;
    let public = flag("jenis", r.jenis.unwrap_or(1))?;
    let millis = |field: &str, ms: i64| -> Result<DateTime<Utc>, FieldError> {
        // Unix seconds sent for milliseconds read as January 1970: refused (review).
        if (0..crate::SECONDS_NOT_MILLIS).contains(&ms) {
            return Err(err(
                field,
                format!("{ms} looks like unix seconds, not the contract's milliseconds"),
            ));
        }
        DateTime::from_timestamp_millis(ms)
            .and_then(aduan_core::time::in_range)
            .ok_or_else(|| {
                err(
                    field,
                    format!("{ms} is not a time in unix milliseconds of the years 1970 to 2099"),
                )
            })
    };
    let reported_at = millis("created", r.created)?;
    let updated_at = millis("updated", r.updated)?;
    let mut events = vec![SourceEvent {
        at: reported_at,
        kind: EventKind::Created,
        actor: None,
        text: None,
    }];
    // When it became Tuntas: the latest entry saying so (a rating or a note after it moves
    // `updated`, which would otherwise stand for it).
    let mut finished: Option<DateTime<Utc>> = None;
    // The latest reopening: a Tuntas entry before it is not the resolution the status has.
    let mut reopened: Option<DateTime<Utc>> = None;
    for (i, e) in r.timeline.iter().enumerate() {
        let at = aduan_core::time::parse_source(&e.tanggal).ok_or_else(|| {
            err(
                &format!("timeline[{i}].tanggal"),
                format!(
                    "not a WIB time YYYY-MM-DD HH:MM:SS: {}",
                    aduan_core::time::quoted(&e.tanggal)
                ),
            )
        })?;
        let title = e.judul.as_deref().unwrap_or("");
        let lower = title.to_lowercase();
        // The reporter's own entries (a reply, a rating) answer nothing: as SP4N-LAPOR!'s
        // `tindak_lanjut` by `pelapor`, a reply of the reporter, never a response, nor the
        // resolution ("Aduan belum selesai" is no more one written by the city).
        let by_reporter = e
            .oleh
            .as_deref()
            .is_some_and(|o| o.trim().eq_ignore_ascii_case("pelapor"));
        if lower.contains("dibuka") {
            reopened = reopened.max(Some(at));
        } else if (lower.contains("tuntas") || lower.contains("selesai"))
            && !by_reporter
            && !lower.contains("belum")
        {
            finished = finished.max(Some(at));
        }
        let text: Vec<&str> = [e.judul.as_deref(), e.keterangan.as_deref()]
            .into_iter()
            .flatten()
            .filter(|t| !t.trim().is_empty())
            .collect();
        let kind = match entry_kind(title) {
            k if by_reporter && k.is_response() => EventKind::ReporterReply,
            k => k,
        };
        events.push(SourceEvent {
            at,
            kind,
            actor: e.oleh.clone(),
            text: (!text.is_empty()).then(|| text.join(": ")),
        });
    }
    events.sort_by_key(|e| e.at);
    let names = aduan_core::reporter_names(r.pelapor.as_ref().map(|p| &p.nama));
    // Carried also when anonymous (the contract gives none then, but a report may), for
    // the normaliser to keep it out of the texts: it keys no anonymous reporter.
    let phone = r.pelapor.and_then(|p| p.hp);
    Ok(SourceComplaint {
        channel: CHANNEL.into(),
        external_id: r.no_tiket,
        external_id_private: None,
        standing: aduan_core::Standing::Own,
        // Every report is a complaint; spam is told by its status (the mapping table).
        kind_label: None,
        urgency_label: None,
        category_labels: r.kategori.into_iter().collect(),
        category_national: false,
        title: r.judul,
        body: r.isi,
        status_label: status_label(r.status, r.status_label.as_deref()),
        agencies: r.opd.into_iter().collect(),
        place: SourcePlace {
            city: r.lokasi.kota,
            in_city: Some(true),
            kecamatan: r.lokasi.kecamatan,
            kelurahan: r.lokasi.kelurahan,
            address: None,
            latitude: None,
            longitude: None,
        },
        reporter_phone: phone,
        reporter_email: None,
        reporter_names: names,
        anonymous,
        confidential: confidential || !public,
        reported_at,
        updated_at,
        resolved_at: finished.filter(|f| r.status == TUNTAS && reopened.is_none_or(|o| *f > o)),
        first_response_at: None,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract's example item.
    const EXAMPLE: &str = r#"{"noTiket":"LGWP14376928",
 "judul":"Lampu PJU mati",
 "isi":"<p>Lampu PJU di Jl. Hayam Wuruk mati sejak 3 hari.<br>Mohon segera diperbaiki &amp; dicek.</p>",
 "kategori":"Infrastruktur",
 "status":3, "statusLabel":"Dalam Tindakan",
 "jenis":1, "anonim":0, "rahasia":0,
 "pelapor":{"nama":"Budi","hp":"6285700011122"},
 "lokasi":{"kotaId":3375,"kota":"KOTA PEKALONGAN","kecamatan":"PEKALONGAN TIMUR","kelurahan":null},
 "opd":"DPUPR Kota Pekalongan",
 "created":1631412000000, "updated":1631440000000,
 "timeline":[{"judul":"Aduan diverifikasi","tanggal":"2021-09-12 10:11:00","oleh":"Admin Provinsi","keterangan":"Diteruskan ke Kota Pekalongan"}],
 "lampiran":["https://example.invalid/a.jpg"]}"#;

    fn raw(payload: &str) -> RawRecord {
        RawRecord {
            source_ref: "test".into(),
            external_id: Some("LGWP14376928".into()),
            received_at: Utc::now(),
            payload: payload.as_bytes().to_vec(),
        }
    }

    fn with(field: &str, value: serde_json::Value) -> String {
        let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).expect("the example reads");
        let mut at = &mut v;
        let parts: Vec<&str> = field.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        at[parts[parts.len() - 1]] = value;
        v.to_string()
    }

    /// Review: a title or a text ending in half an emoji (`\ud83c` without its other half, a
    /// text shortened by UTF-16 units) made the report unreadable: it stayed in quarantine.
    #[test]
    fn half_an_emoji_in_a_text_is_the_replacement_character() {
        let payload = EXAMPLE
            .replace("\"Lampu PJU mati\"", r#""Lampu PJU mati \ud83d""#)
            .replace("dicek.</p>", r#"dicek \ud83d\ude4f\udd25</p>"#);
        let c = item(&raw(&payload)).expect("reads");
        assert_eq!(c.title.as_deref(), Some("Lampu PJU mati \u{fffd}"));
        assert!(
            c.body
                .as_deref()
                .is_some_and(|b| b.ends_with("dicek \u{1f64f}\u{fffd}</p>")),
            "{:?}",
            c.body
        );
    }

    /// Tuntas is dated by the entry that says so, not by a later rating that moved `updated`;
    /// a report not Tuntas (reopened) has none.
    #[test]
    fn a_tuntas_report_is_resolved_when_its_timeline_says_so() {
        let timeline = serde_json::json!([
            {"judul": "Aduan diverifikasi", "tanggal": "2021-09-12 10:11:00"},
            {"judul": "Aduan tuntas", "tanggal": "2021-09-12 16:30:00"},
            {"judul": "Penilaian pelapor", "tanggal": "2021-09-14 08:00:00"}
        ]);
        let mut v: serde_json::Value = serde_json::from_str(&with("timeline", timeline)).unwrap();
        v["status"] = 4.into();
        v["updated"] = 1_631_606_400_000_i64.into();
        let c = item(&raw(&v.to_string())).expect("reads");
        assert_eq!(
            c.resolved_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2021-09-12T09:30:00+00:00")
        );
        v["status"] = 3.into();
        assert_eq!(item(&raw(&v.to_string())).expect("reads").resolved_at, None);
    }

    /// A timeline entry is a disposition, a follow-up or a status change by its title; a
    /// reopening is a status change (review: it was a note).
    #[test]
    fn a_timeline_entry_is_typed_by_its_title() {
        for (title, kind) in [
            ("Disposisi ke OPD", EventKind::Disposition),
            ("Tindak lanjut OPD", EventKind::FollowUp),
            ("Aduan diverifikasi", EventKind::StatusChange),
            ("Aduan dibuka kembali", EventKind::StatusChange),
            ("Catatan admin", EventKind::Note),
        ] {
            assert_eq!(entry_kind(title), kind, "{title}");
        }
    }

    /// The reporter's own reply in the timeline ("Tanggapan pelapor", by `Pelapor`) is no
    /// response of the city: it must not set `first_response_at` (SP4N-LAPOR!'s connector
    /// keeps a reporter's `tindak_lanjut` apart the same way).
    #[test]
    fn a_reporters_reply_in_the_timeline_is_no_response() {
        let timeline = serde_json::json!([
            {"judul": "Aduan diverifikasi", "tanggal": "2021-09-12 10:11:00", "oleh": "Admin Provinsi"},
            {"judul": "Tanggapan pelapor", "tanggal": "2021-09-12 11:00:00", "oleh": "Pelapor",
             "keterangan": "Mohon segera ditindaklanjuti, sudah seminggu."}
        ]);
        let c = item(&raw(&with("timeline", timeline))).expect("reads");
        let reply = c
            .events
            .iter()
            .find(|e| e.actor.as_deref() == Some("Pelapor"))
            .expect("the reply is an event");
        assert!(
            !reply.kind.is_response(),
            "a reporter's reply read as {:?}",
            reply.kind
        );
        // Nor is a reporter's entry saying "selesai", nor anyone's "belum selesai", the
        // resolution of a report Tuntas: `updated` stands for it.
        for (judul, oleh) in [
            ("Aduan selesai?", "Pelapor"),
            ("Aduan belum selesai", "Admin Provinsi"),
        ] {
            let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).expect("reads");
            v["status"] = 4.into();
            v["timeline"] = serde_json::json!([
                {"judul": judul, "tanggal": "2021-09-12 11:00:00", "oleh": oleh}
            ]);
            let c = item(&raw(&v.to_string())).expect("reads");
            assert_eq!(c.resolved_at, None, "{judul} by {oleh}");
        }
    }

    #[test]
    fn the_contract_example_reads_with_its_timeline_and_the_reporters_name_aside() {
        let c = item(&raw(EXAMPLE)).expect("reads");
        assert_eq!(c.external_id, "LGWP14376928");
        assert_eq!(c.status_label, "3 Dalam Tindakan");
        assert_eq!(c.category_labels, ["Infrastruktur"]);
        assert!(!c.category_national);
        assert_eq!(c.reporter_phone.as_deref(), Some("6285700011122"));
        assert_eq!(c.place.kecamatan.as_deref(), Some("PEKALONGAN TIMUR"));
        assert_eq!(c.agencies, ["DPUPR Kota Pekalongan"]);
        assert_eq!(c.reported_at.to_rfc3339(), "2021-09-12T02:00:00+00:00");
        assert_eq!(c.updated_at.to_rfc3339(), "2021-09-12T09:46:40+00:00");
        assert_eq!(c.events.len(), 2);
        // 10:11 WIB is 03:11 UTC.
        assert_eq!(c.events[1].at.to_rfc3339(), "2021-09-12T03:11:00+00:00");
        assert_eq!(c.events[1].kind, EventKind::StatusChange);
        assert_eq!(
            c.events[1].text.as_deref(),
            Some("Aduan diverifikasi: Diteruskan ke Kota Pekalongan")
        );
        // The name is carried only for the normaliser to keep it out of the texts.
        assert_eq!(c.reporter_names, ["Budi"]);
    }

    #[test]
    fn anonymous_reports_carry_their_number_only_to_hide_it_and_not_public_ones_are_confidential() {
        // (The normaliser keys no anonymous reporter; it hides the number in the texts.)
        let a = item(&raw(&with("anonim", 1.into()))).expect("reads");
        assert!(a.anonymous && a.reporter_phone.as_deref() == Some("6285700011122"));
        let n = item(&raw(&with("jenis", 0.into()))).expect("reads");
        assert!(n.confidential);
        let r = item(&raw(&with("rahasia", 1.into()))).expect("reads");
        assert!(r.confidential && !r.anonymous);
    }

    #[test]
    fn an_unknown_status_code_is_kept_as_it_came() {
        let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).expect("reads");
        v["status"] = 9.into();
        v["statusLabel"] = "Ditinjau Ulang".into();
        let c = item(&raw(&v.to_string())).expect("reads");
        assert_eq!(c.status_label, "9 Ditinjau Ulang");
        let spam = item(&raw(&with("status", 7.into()))).expect("reads");
        assert_eq!(spam.status_label, "7 Spam");
    }

    #[test]
    fn bad_fields_are_named() {
        for (field, value, named) in [
            ("created", serde_json::json!("kemarin"), "created"),
            ("status", serde_json::json!("tiga"), "status"),
            (
                "timeline.0.tanggal",
                serde_json::json!("32/13/2021"),
                "timeline[0].tanggal",
            ),
            ("anonim", serde_json::json!(2), "anonim"),
            ("lokasi.kotaId", serde_json::json!(3326), "lokasi.kotaId"),
        ] {
            let e = item(&raw(&with(field, value))).expect_err(field);
            assert_eq!(e.field, named, "{field}: {e}");
            assert!(e.to_string().contains("LGWP14376928"), "{e}");
            assert!(e.to_string().contains(CHANNEL), "{e}");
        }
    }

    /// A timeline entry's WIB time in another of ISO 8601's forms without offset (a `T`, no
    /// seconds, a fraction; SP4N-LAPOR!'s parser reads them all) is read as WIB (h41: the
    /// whole report was quarantined for it).
    #[test]
    fn a_timeline_time_in_another_form_without_offset_is_wib() {
        for tanggal in [
            "2021-09-12T10:11:00",
            "2021-09-12 10:11",
            "2021-09-12 10:11:00.000",
        ] {
            let c = item(&raw(&with("timeline.0.tanggal", tanggal.into())))
                .unwrap_or_else(|e| panic!("{tanggal}: {e}"));
            assert!(
                c.events
                    .iter()
                    .any(|e| e.at.to_rfc3339() == "2021-09-12T03:11:00+00:00"),
                "{tanggal}"
            );
        }
    }

    /// Tuntas on the 13th, reopened on the 20th (`Aduan dibuka kembali`), and Tuntas again by
    /// `updated` on the 25th with no second `tuntas` entry: it was not resolved before it was
    /// reopened (h41: `resolved_at` was the 13th, a week before the reopening; the
    /// version's `updated` stands for it when the timeline does not say).
    #[test]
    fn a_resolution_before_a_reopening_is_not_the_resolution() {
        let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).expect("reads");
        v["status"] = 4.into();
        v["updated"] = 1_632_560_000_000_i64.into(); // 2021-09-25
        v["timeline"] = serde_json::json!([
            {"judul": "Aduan tuntas", "tanggal": "2021-09-13 09:00:00", "oleh": "DPUPR", "keterangan": "-"},
            {"judul": "Aduan dibuka kembali", "tanggal": "2021-09-20 09:00:00", "oleh": "Admin Provinsi", "keterangan": "-"}
        ]);
        let c = item(&raw(&v.to_string())).expect("reads");
        let reopened = "2021-09-20T02:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert!(
            c.resolved_at.is_none_or(|t| t > reopened),
            "resolved {:?}, before it was reopened",
            c.resolved_at
        );
    }
}
