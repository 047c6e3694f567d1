//! One SP4N-LAPOR! report (an item of `data`) into a [`SourceComplaint`].

use aduan_core::{EventKind, FieldError, RawRecord, SourceComplaint, SourceEvent, SourcePlace};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::CHANNEL;

#[derive(Deserialize)]
struct Report {
    tracking_id: u64,
    judul: Option<String>,
    isi: Option<String>,
    klasifikasi: String,
    kategori: Option<Kategori>,
    sumber: Option<String>,
    anonim: bool,
    rahasia: bool,
    pelapor: Option<Pelapor>,
    lokasi: Option<Lokasi>,
    status: String,
    instansi_tujuan: Option<String>,
    #[serde(default, deserialize_with = "aduan_core::json::default_if_null")]
    disposisi: Vec<Disposisi>,
    #[serde(default, deserialize_with = "aduan_core::json::default_if_null")]
    tindak_lanjut: Vec<TindakLanjut>,
    created_at: String,
    updated_at: String,
}

#[derive(Deserialize)]
struct Kategori {
    utama: Option<String>,
    sub: Option<String>,
}

#[derive(Deserialize)]
struct Pelapor {
    telepon: Option<String>,
    email: Option<String>,
    /// Read only to be kept out of the stored texts; any JSON value (not a string: no name).
    #[serde(default)]
    nama: serde_json::Value,
}

#[derive(Deserialize)]
struct Lokasi {
    kota: Option<String>,
    kecamatan: Option<String>,
    kelurahan: Option<String>,
    alamat: Option<String>,
}

#[derive(Deserialize)]
struct Disposisi {
    ke_instansi: Option<String>,
    waktu: String,
    oleh: Option<String>,
}

#[derive(Deserialize)]
struct TindakLanjut {
    waktu: String,
    oleh: Option<String>,
    isi: Option<String>,
}

pub(crate) fn report(raw: &RawRecord) -> Result<SourceComplaint, FieldError> {
    let record = raw
        .external_id
        .as_deref()
        .map(|id| format!("tracking_id {id}"))
        .unwrap_or_else(|| raw.source_ref.clone());
    let err = |field: &str, reason: String| FieldError::new(CHANNEL, &record, field, reason);
    let r: Report = FieldError::read_json(CHANNEL, &record, &raw.payload)?;
    // The field's name is formatted only when its time is wrong.
    let time = |field: std::fmt::Arguments, s: &str| -> Result<DateTime<Utc>, FieldError> {
        aduan_core::time::parse_source(s).ok_or_else(|| {
            err(
                &field.to_string(),
                format!("not an ISO 8601 time: {}", aduan_core::time::quoted(s)),
            )
        })
    };
    let reported_at = time(format_args!("created_at"), &r.created_at)?;
    let updated_at = time(format_args!("updated_at"), &r.updated_at)?;
    let mut events = Vec::with_capacity(1 + r.disposisi.len() + r.tindak_lanjut.len());
    events.push(SourceEvent {
        at: reported_at,
        kind: EventKind::Created,
        actor: r.sumber,
        text: None,
    });
    let mut agencies = Vec::new();
    agencies.extend(r.instansi_tujuan);
    for (i, d) in r.disposisi.into_iter().enumerate() {
        events.push(SourceEvent {
            at: time(format_args!("disposisi[{i}].waktu"), &d.waktu)?,
            kind: EventKind::Disposition,
            actor: d.oleh,
            text: d.ke_instansi.as_ref().map(|t| format!("Diteruskan ke {t}")),
        });
        if let Some(to) = d.ke_instansi {
            if !agencies.contains(&to) {
                agencies.push(to);
            }
        }
    }
    for (i, t) in r.tindak_lanjut.into_iter().enumerate() {
        let by_reporter = t
            .oleh
            .as_deref()
            .is_some_and(|o| o.trim().eq_ignore_ascii_case("pelapor"));
        events.push(SourceEvent {
            at: time(format_args!("tindak_lanjut[{i}].waktu"), &t.waktu)?,
            kind: if by_reporter {
                EventKind::ReporterReply
            } else {
                EventKind::FollowUp
            },
            actor: t.oleh,
            text: t.isi,
        });
    }
    // A report carries its status, not the status's history: a change later than everything
    // the report lists (verified, finished, rejected, archived with nothing else to show for
    // it) is the status it has since `updated_at`. Each version stored adds its own, so the
    // history grows as versions are met; one the events already explain adds nothing.
    if events.iter().all(|e| e.at < updated_at) {
        events.push(SourceEvent {
            at: updated_at,
            kind: EventKind::StatusChange,
            actor: None,
            text: Some(r.status.clone()),
        });
    }
    events.sort_by_key(|e| e.at);
    let (category_labels, category_national) = match r.kategori {
        Some(k) => (
            [k.utama, k.sub].into_iter().flatten().collect::<Vec<_>>(),
            true,
        ),
        None => (Vec::new(), true),
    };
    let lokasi = r.lokasi.unwrap_or(Lokasi {
        kota: None,
        kecamatan: None,
        kelurahan: None,
        alamat: None,
    });
    let names = aduan_core::reporter_names(r.pelapor.as_ref().map(|p| &p.nama));
    // Carried also when anonymous (the contract gives no reporter then, but a report may),
    // for the normaliser to keep them out of the texts: it keys no anonymous reporter.
    let (phone, email) = match r.pelapor {
        Some(p) => (p.telepon, p.email),
        None => (None, None),
    };
    Ok(SourceComplaint {
        channel: CHANNEL.into(),
        external_id: r.tracking_id.to_string(),
        external_id_private: None,
        standing: aduan_core::Standing::Own,
        kind_label: Some(r.klasifikasi),
        urgency_label: None,
        category_labels,
        category_national,
        title: r.judul,
        body: r.isi,
        status_label: r.status,
        agencies,
        place: SourcePlace {
            city: lokasi.kota,
            in_city: None,
            kecamatan: lokasi.kecamatan,
            kelurahan: lokasi.kelurahan,
            address: lokasi.alamat,
            latitude: None,
            longitude: None,
        },
        reporter_phone: phone,
        reporter_email: email,
        reporter_names: names,
        anonymous: r.anonim,
        confidential: r.rahasia,
        reported_at,
        updated_at,
        resolved_at: None,
        first_response_at: None,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{"tracking_id":9165816,
 "judul":"Jalan berlubang di Jl. Sriwijaya",
 "isi":"Mohon perbaikan jalan berlubang depan pasar …",
 "klasifikasi":"PENGADUAN",
 "kategori":{"utama":"PEKERJAAN\u00a0UMUM\u00a0DAN\u00a0PENATAAN\u00a0RUANG","sub":"JALAN BERLUBANG"},
 "sumber":"Android - dinas-komunikasi-dan-informatika-kota-pekalongan",
 "anonim":false, "rahasia":false,
 "pelapor":{"nama":"Ahmad","telepon":"081234567890","email":"ahmad@example.id"},
 "tanggal_kejadian":"2021-09-10",
 "lokasi":{"provinsi":"Jawa Tengah","kota":"Kota Pekalongan","kecamatan":"Pekalongan Barat","kelurahan":"Bendan Kergon","alamat":"Jl. Sriwijaya"},
 "status":"Ditindaklanjuti oleh Instansi",
 "instansi_tujuan":"Dinas Pekerjaan Umum dan Penataan Ruang Kota Pekalongan",
 "disposisi":[{"ke_instansi":"Dinas Pekerjaan Umum dan Penataan Ruang Kota Pekalongan","waktu":"2021-09-11T09:00:00+07:00","oleh":"Admin Koordinator"}],
 "tindak_lanjut":[{"waktu":"2021-09-13T14:20:00+07:00","oleh":"instansi","isi":"Sudah dijadwalkan penambalan minggu ini."}],
 "lampiran":[{"nama":"foto1.jpg","url":"https://example.invalid/f.jpg","mime":"image/jpeg"}],
 "created_at":"2021-09-10T19:02:11+07:00",
 "updated_at":"2021-09-13T14:20:00+07:00"}"#;

    fn raw(payload: &str) -> RawRecord {
        RawRecord {
            source_ref: "test".into(),
            external_id: Some("9165816".into()),
            received_at: Utc::now(),
            payload: payload.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_contract_example_reads_into_a_source_complaint() {
        let c = report(&raw(EXAMPLE)).unwrap();
        assert_eq!(c.external_id, "9165816");
        assert_eq!(c.kind_label.as_deref(), Some("PENGADUAN"));
        assert!(c.category_national);
        assert_eq!(c.category_labels[1], "JALAN BERLUBANG");
        assert_eq!(c.reported_at.to_rfc3339(), "2021-09-10T12:02:11+00:00");
        assert_eq!(c.reporter_phone.as_deref(), Some("081234567890"));
        let kinds: Vec<EventKind> = c.events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::Created,
                EventKind::Disposition,
                EventKind::FollowUp
            ]
        );
        assert_eq!(c.agencies.len(), 1);
    }

    /// A status the report's lists do not explain is an event at `updated_at`.
    #[test]
    fn a_status_reached_after_everything_listed_is_a_status_change() {
        let done = EXAMPLE
            .replace("\"Ditindaklanjuti oleh Instansi\"", "\"Selesai\"")
            .replace(
                "\"updated_at\":\"2021-09-13T14:20:00+07:00\"",
                "\"updated_at\":\"2021-09-15T10:00:00+07:00\"",
            );
        let c = report(&raw(&done)).unwrap();
        let last = c.events.last().unwrap();
        assert_eq!(last.kind, EventKind::StatusChange);
        assert_eq!(last.text.as_deref(), Some("Selesai"));
        assert_eq!(last.at.to_rfc3339(), "2021-09-15T03:00:00+00:00");
        assert_eq!(c.events.len(), 4);
        // Nothing since it was reported: the report is its own event.
        let new = r#"{"tracking_id":1,"klasifikasi":"PENGADUAN","anonim":true,"rahasia":false,
            "status":"Belum Terverifikasi","created_at":"2021-09-10T19:02:11+07:00",
            "updated_at":"2021-09-10T19:02:11+07:00"}"#;
        let c = report(&raw(new)).unwrap();
        assert_eq!(c.events.len(), 1);
    }

    #[test]
    fn a_bad_time_names_its_field() {
        let bad = EXAMPLE.replace(
            "\"2021-09-13T14:20:00+07:00\",\"oleh\"",
            "\"31/02/2021\",\"oleh\"",
        );
        let e = report(&raw(&bad)).unwrap_err();
        assert_eq!(e.field, "tindak_lanjut[0].waktu");
        assert!(e.to_string().contains("tracking_id 9165816"), "{e}");
        let bad = EXAMPLE.replace(
            "\"created_at\":\"2021-09-10T19:02:11+07:00\"",
            "\"created_at\":\"kemarin sore\"",
        );
        assert_eq!(report(&raw(&bad)).unwrap_err().field, "created_at");
    }

    /// Review: a time without an offset quarantined its report; the channels' rule reads it
    /// as WIB.
    #[test]
    fn a_time_without_offset_is_wib() {
        let naive = EXAMPLE.replace("19:02:11+07:00\"", "19:02:11\"").replace(
            "2021-09-13T14:20:00+07:00\",\"oleh\"",
            "2021-09-13 14:20:00\",\"oleh\"",
        );
        let c = report(&raw(&naive)).unwrap();
        assert_eq!(c.reported_at.to_rfc3339(), "2021-09-10T12:02:11+00:00");
        assert_eq!(c.events[2].at.to_rfc3339(), "2021-09-13T07:20:00+00:00");
    }

    #[test]
    fn a_missing_or_mistyped_field_is_named() {
        let bad = EXAMPLE.replace("\"klasifikasi\":\"PENGADUAN\",", "");
        let e = report(&raw(&bad)).unwrap_err();
        assert_eq!(e.field, "klasifikasi", "{e}");
        let bad = EXAMPLE.replace("\"anonim\":false", "\"anonim\":\"ya\"");
        assert_eq!(report(&raw(&bad)).unwrap_err().field, "anonim");
    }

    #[test]
    fn an_anonymous_report_carries_no_reporter() {
        let anon = EXAMPLE
            .replace("\"anonim\":false", "\"anonim\":true")
            .replace(
                "{\"nama\":\"Ahmad\",\"telepon\":\"081234567890\",\"email\":\"ahmad@example.id\"}",
                "null",
            );
        let c = report(&raw(&anon)).unwrap();
        assert!(c.anonymous);
        assert_eq!(c.reporter_phone, None);
    }

    /// A reporter's reply whose `oleh` has a stray space (`"pelapor "`, as a form may save
    /// it) is the reporter's, not the agency's follow-up: it is no first response (h41: it
    /// set `first_response_at` to the reporter's own reply).
    #[test]
    fn a_reporters_reply_with_a_stray_space_is_the_reporters() {
        for oleh in ["pelapor ", " Pelapor", "PELAPOR\u{a0}"] {
            let reply = EXAMPLE.replace("\"oleh\":\"instansi\"", &format!("\"oleh\":\"{oleh}\""));
            let c = report(&raw(&reply)).unwrap();
            let last = c.events.last().unwrap();
            assert_eq!(last.kind, EventKind::ReporterReply, "{oleh:?}");
        }
    }
}
