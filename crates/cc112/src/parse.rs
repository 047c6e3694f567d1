//! One row of a call-log export (header + row) into a [`SourceComplaint`].

use aduan_core::{
    EventKind, FieldError, RawRecord, SourceComplaint, SourceEvent, SourcePlace, Standing,
};
use chrono::{DateTime, Duration, Utc};

use crate::CHANNEL;

/// The contract's columns, in order; an export may add columns after them.
pub(crate) const COLUMNS: [&str; 17] = [
    "No",
    "No Tiket",
    "Waktu Panggilan",
    "No Telepon",
    "Nama Penelepon",
    "Jenis Panggilan",
    "Kategori",
    "Sub Kategori",
    "Keterangan",
    "Alamat",
    "Kelurahan",
    "Kecamatan",
    "Diteruskan Ke",
    "Status",
    "Durasi",
    "Petugas",
    "Waktu Update",
];

const TIME_FORMATS: &[&str] = &["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"];

/// Bytes that are not valid UTF-8 are Windows-1252 (exports before March 2021), unless
/// they hold UTF-8's own characters (a lead byte and its continuations, which Windows-1252
/// text does not give): a UTF-8 row with a stray byte (a text cut inside a character) keeps
/// its other characters, the stray byte read as U+FFFD.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        // UTF-8 characters and bytes that are none, each the start of a character cut short
        // (a text cut inside a character, however many such cuts): a UTF-8 row with stray
        // bytes. A byte that can only continue a character, standing alone (`”`, 94; `“`,
        // 93; `–`, 96), is Windows-1252's: its text may hold two bytes that happen to read
        // as one UTF-8 character (`É”`, C9 94).
        Err(_)
            if {
                let (chars, lone) = bytes.utf8_chunks().fold((0, false), |(c, l), chunk| {
                    let chars = chunk.valid().chars().filter(|ch| !ch.is_ascii()).count();
                    let lone = chunk
                        .invalid()
                        .first()
                        .is_some_and(|b| (0x80..0xC0).contains(b));
                    (c + chars, l || lone)
                });
                chars > 0 && !lone
            } =>
        {
            String::from_utf8_lossy(bytes).into_owned()
        }
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// A call length, `mm:ss` or `h:mm:ss`; `None` when it is none.
fn duration(s: &str) -> Option<Duration> {
    // Parts of u32 cannot overflow an i64 of seconds however they are combined.
    let parts: Vec<i64> = s
        .trim()
        .split(':')
        .map(|p| p.parse::<u32>().ok().map(i64::from))
        .collect::<Option<_>>()?;
    let secs = match parts.as_slice() {
        [m, s] => m * 60 + s,
        [h, m, s] => h * 3600 + m * 60 + s,
        _ => return None,
    };
    Duration::try_seconds(secs)
}

pub(crate) fn row(raw: &RawRecord) -> Result<SourceComplaint, FieldError> {
    let text = decode(&raw.payload);
    let record = raw.source_ref.clone();
    let err = |field: &str, reason: String| FieldError::new(CHANNEL, &record, field, reason);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| err("", format!("the header cannot be read: {e}")))?
        .clone();
    let mut rows = reader.records();
    let fields = match rows.next() {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(err("", format!("the row cannot be read: {e}"))),
        None => return Err(err("", "the row is empty".into())),
    };
    if fields.len() != header.len() {
        return Err(err(
            "",
            format!(
                "the row has {} fields, the header {}",
                fields.len(),
                header.len()
            ),
        ));
    }
    let mut index = [0usize; COLUMNS.len()];
    for (i, name) in COLUMNS.iter().enumerate() {
        index[i] = header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| err(name, "the header has no such column".into()))?;
    }
    let get = |name: &str| -> &str {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .and_then(|i| fields.get(index[i]))
            .map(str::trim)
            .unwrap_or_default()
    };
    let opt = |name: &str| -> Option<String> {
        let v = get(name);
        (!v.is_empty() && v != "-").then(|| v.to_string())
    };
    let time = |name: &str| -> Result<DateTime<Utc>, FieldError> {
        let v = get(name);
        aduan_core::time::parse_wib(v, TIME_FORMATS).ok_or_else(|| {
            err(
                name,
                format!(
                    "not a time (dd/mm/yyyy HH:MM[:SS]): {}",
                    aduan_core::time::quoted(v)
                ),
            )
        })
    };
    let called_at = time("Waktu Panggilan")?;
    let phone = opt("No Telepon");
    // No ticket (ghost, dropped, some prank calls): the call time and the caller, whose
    // number the normaliser turns into its keyed hash. The caller is one number however the
    // export writes it (`0813…`, `+62813…`, `62813…`): its national digits (`0813…`, the form
    // ids were first made of), else its digits as written. A stand-in: a rewrite of the day
    // may give the call its ticket, and the call under its ticket takes its place. Without a
    // caller's number the time alone is none: another call without one in the same second
    // (a ghost call) could be it, and a ticketed call takes no such one's place. Nor does
    // it take the place of a call whose time is written to the minute (`dd/mm/yyyy HH:MM`):
    // a caller's dropped call and their call again at once, ticketed, are two calls in one
    // minute (review: the dropped one, a row of the same export, was never stored). Such a
    // call is known by its minute as written (`20210912T0230Z`), which no call timed to the
    // second is: known by `09:30:00`, it was the stand-in a ticketed call of its caller timed
    // `09:30:00` names, and was taken over by it (review, session 45); and a ghost call timed
    // `09:30` was a ghost call timed `09:30:00`.
    let caller = phone.as_deref().and_then(caller_digits);
    let to_the_second =
        aduan_core::time::parse_wib(get("Waktu Panggilan"), &TIME_FORMATS[..1]).is_some();
    let at = if to_the_second {
        called_at.format("%Y%m%dT%H%M%SZ")
    } else {
        called_at.format("%Y%m%dT%H%MZ")
    };
    // A ticket is one in the contract's form (see `is_ticket`); anything else in the column
    // (a caller's number or name typed there) is no ticket, and the call is known as a call
    // without one is: never by that value, which would be its `complaint_id` (review: a
    // phone number typed into `No Tiket` reached `complaints`).
    let typed = opt("No Tiket");
    let ticket = typed.clone().filter(|t| is_ticket(t));
    // Such a call had a ticket opened, though: it is not the calls its time and caller alone
    // would make it (a caller's dropped call in the same minute, a ghost call from a withheld
    // number in the same second, another withheld caller's call whose ticket was typed wrong
    // too), so where the time and caller do not tell it apart, the value typed is a part of
    // its identity, handed to the normaliser apart and stored only as its keyed hash
    // (review: those calls were one complaint, all but one lost). Timed to the second with
    // the caller's number, it is the stand-in it would be without a ticket: a rewrite that
    // gives it its ticket takes its place.
    let typed = typed.filter(|t| !is_ticket(t));
    let apart = |known: Option<String>| match (known, &typed) {
        (Some(known), Some(typed)) => Some(format!("{known}\n{typed}")),
        (None, Some(typed)) => Some(typed.clone()),
        (known, None) => known,
    };
    let (external_id, external_id_private, standing) = match (ticket, caller) {
        (Some(ticket), Some(digits)) if to_the_second => (
            ticket,
            None,
            Standing::Replaces {
                external_id: at.to_string(),
                external_id_private: Some(digits),
            },
        ),
        (Some(ticket), _) => (ticket, None, Standing::Own),
        (None, Some(digits)) if to_the_second => (at.to_string(), Some(digits), Standing::StandIn),
        (None, Some(digits)) => (at.to_string(), apart(Some(digits)), Standing::Own),
        (None, None) => (format!("{at}-private"), apart(None), Standing::Own),
    };
    // What fails from here fails a call known by its identity: a row without a ticket (or
    // with none that is one) is archived under it, so that the row put right in a rewrite
    // of its day closes the entry (review, session 45: it had no record id, and its entry
    // stayed open).
    let err = |field: &str, reason: String| {
        err(field, reason).of_record(&external_id, external_id_private.as_deref())
    };
    // A last change before the call (an operator's or a clock's slip) is the call's own
    // time: the call is not resolved, nor answered, before it was made.
    let updated_at = if get("Waktu Update").is_empty() {
        called_at
    } else {
        time("Waktu Update")
            .map_err(|e| e.of_record(&external_id, external_id_private.as_deref()))?
            .max(called_at)
    };
    let agencies: Vec<String> = get("Diteruskan Ke")
        .split([',', '/'])
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "-")
        .map(str::to_string)
        .collect();
    let mut events = vec![SourceEvent {
        at: called_at,
        kind: EventKind::Created,
        actor: Some("Call Center 112".into()),
        text: None,
    }];
    if !agencies.is_empty() {
        // The operator forwards the case when the call ends.
        let length = match get("Durasi") {
            "" | "-" => Some(Duration::zero()),
            v => duration(v),
        };
        // A length that ends the call after the years a source's times lie in is none.
        let forwarded = length
            .and_then(|d| called_at.checked_add_signed(d))
            .and_then(aduan_core::time::in_range)
            .ok_or_else(|| {
                err(
                    "Durasi",
                    format!(
                        "not a call length (mm:ss or h:mm:ss) ending by 2099: {}",
                        aduan_core::time::quoted(get("Durasi"))
                    ),
                )
            })?;
        events.push(SourceEvent {
            at: forwarded,
            kind: EventKind::Disposition,
            actor: Some("Call Center 112".into()),
            text: Some(format!("Diteruskan ke {}", agencies.join(", "))),
        });
    }
    if updated_at > called_at {
        events.push(SourceEvent {
            at: updated_at,
            kind: EventKind::StatusChange,
            actor: None,
            text: opt("Status"),
        });
    }
    let body = opt("Keterangan");
    Ok(SourceComplaint {
        channel: CHANNEL.into(),
        external_id,
        external_id_private,
        standing,
        kind_label: opt("Jenis Panggilan"),
        urgency_label: opt("Kategori"),
        category_labels: opt("Sub Kategori").into_iter().collect(),
        category_national: false,
        title: match (&body, opt("Sub Kategori")) {
            (None, Some(sub)) => Some(sub),
            (None, None) => opt("Jenis Panggilan"),
            _ => None,
        },
        body,
        status_label: get("Status").to_string(),
        agencies,
        place: SourcePlace {
            city: None,
            in_city: None,
            kecamatan: opt("Kecamatan"),
            kelurahan: opt("Kelurahan"),
            address: opt("Alamat"),
            latitude: None,
            longitude: None,
        },
        reporter_phone: phone,
        reporter_email: None,
        // Read only to be kept out of the stored texts (`-`: no name).
        reporter_names: opt("Nama Penelepon").into_iter().collect(),
        anonymous: false,
        confidential: false,
        reported_at: called_at,
        updated_at,
        resolved_at: None,
        first_response_at: None,
        events,
    })
}

/// Whether `ticket` is a ticket number as the contract writes it, `112-3375-YYYYMMDD-NNNN`
/// (the sequence of 1 to 6 digits: the call-taking system's, never a number's length). A
/// ticket becomes the call's identity (`external_id`, and so `complaint_id`): anything else
/// in the column (the caller's number or name, typed where the ticket goes) must not, for
/// reporters' numbers and names never reach `complaints`. Only the contract's form can say
/// so: a name cannot be told from other words. Such a call is known as the contract knows a
/// call without a ticket, by its time and caller (the number keyed); when the export gives it
/// its ticket later, the ticketed row takes its place (see `Standing::Replaces`).
pub(crate) fn is_ticket(ticket: &str) -> bool {
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let mut parts = ticket.trim().split('-');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("112"), Some("3375"), Some(day), Some(n), None) => {
            digits(day, 8..=8) && digits(n, 1..=6)
        }
        _ => false,
    }
}

/// The digits a ticketless call is known by: an Indonesian number's national digits
/// (`0` and what follows `+62`), another country's with its code, a field that is no number
/// as its digits; none without digits.
fn caller_digits(phone: &str) -> Option<String> {
    match aduan_core::phone::to_e164(phone) {
        Some(e164) => Some(match e164.strip_prefix("+62") {
            Some(national) => format!("0{national}"),
            None => e164.trim_start_matches('+').to_string(),
        }),
        None => Some(
            phone
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>(),
        )
        .filter(|d| !d.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "No;No Tiket;Waktu Panggilan;No Telepon;Nama Penelepon;Jenis Panggilan;Kategori;Sub Kategori;Keterangan;Alamat;Kelurahan;Kecamatan;Diteruskan Ke;Status;Durasi;Petugas;Waktu Update";

    fn raw(row: &str) -> RawRecord {
        raw_bytes(format!("{HEADER}\r\n{row}").into_bytes())
    }

    fn raw_bytes(payload: Vec<u8>) -> RawRecord {
        RawRecord {
            source_ref: "112_20210912.csv:2".into(),
            external_id: None,
            received_at: Utc::now(),
            payload,
        }
    }

    #[test]
    fn the_contract_examples_read() {
        let c = row(&raw("1;112-3375-20210912-0001;12/09/2021 07:41:13;081328765432;Bu Sri;Pengaduan;Gawat Tidak Darurat;Pohon Tumbang;\"Pohon angsana tumbang menutup jalan; mohon segera ditangani\";Jl. Dr. Sutomo depan SD;Kel. Kauman;Pek. Timur;DPUPR/BPBD;Selesai;02:10;Rina;12/09/2021 10:05:00")).unwrap();
        assert_eq!(c.external_id, "112-3375-20210912-0001");
        assert_eq!(c.reported_at.to_rfc3339(), "2021-09-12T00:41:13+00:00");
        assert_eq!(
            c.body.as_deref(),
            Some("Pohon angsana tumbang menutup jalan; mohon segera ditangani")
        );
        assert_eq!(c.agencies, vec!["DPUPR", "BPBD"]);
        assert_eq!(c.events[1].at.to_rfc3339(), "2021-09-12T00:43:23+00:00");
        let c = row(&raw("2;112-3375-20210912-0002;12/09/2021 08:02;+6285640001122;-;Non Pengaduan;Informasi;Info Vaksin;Menanyakan jadwal vaksin dosis 2 di puskesmas;;;;;Informasi Diberikan;01:05;Rina;12/09/2021 08:04:00")).unwrap();
        assert_eq!(c.reported_at.to_rfc3339(), "2021-09-12T01:02:00+00:00");
        assert!(c.agencies.is_empty());
        let ghost = row(&raw("3;;12/09/2021 08:15:40;Private;-;Ghost Call;;;;;;;;Tidak Ditindaklanjuti;00:12;Rina;12/09/2021 08:15:52")).unwrap();
        assert_eq!(ghost.external_id, "20210912T011540Z-private");
        assert_eq!(ghost.title.as_deref(), Some("Ghost Call"));
    }

    #[test]
    fn a_ticketless_call_has_a_stable_identity_from_time_and_caller() {
        let a = row(&raw("7;;12/09/2021 09:00:00;0285-421112;-;Prank Call;;;;;;;;Tidak Ditindaklanjuti;00:20;Rina;12/09/2021 09:00:20")).unwrap();
        let b = row(&raw("9;;12/09/2021 09:00:00;0285-421112;-;Prank Call;;;;;;;;Tidak Ditindaklanjuti;00:20;Rina;12/09/2021 09:00:20")).unwrap();
        assert_eq!(
            (&a.external_id, &a.external_id_private),
            (&b.external_id, &b.external_id_private)
        );
        // The number is handed on apart, for the normaliser to hash; never in the id.
        assert_eq!(a.external_id, "20210912T020000Z");
        assert_eq!(a.external_id_private.as_deref(), Some("0285421112"));
        // The same caller written another way, as a rewritten export may: the same call
        // (analyst's review: a second complaint was stored beside the first).
        for written in ["+62285421112", "62 285 421112", "(0285) 421112"] {
            let c = row(&raw(&format!("7;;12/09/2021 09:00:00;{written};-;Prank Call;;;;;;;;Tidak Ditindaklanjuti;00:20;Rina;12/09/2021 09:00:20"))).unwrap();
            assert_eq!(
                c.external_id_private.as_deref(),
                Some("0285421112"),
                "{written}"
            );
        }
        // Another country's number keeps its code; digits that are no number stay digits.
        let c = row(&raw("7;;12/09/2021 09:00:00;+65 6123 4567;-;Prank Call;;;;;;;;Tidak Ditindaklanjuti;00:20;Rina;12/09/2021 09:00:20")).unwrap();
        assert_eq!(c.external_id_private.as_deref(), Some("6561234567"));
        let c = row(&raw("7;;12/09/2021 09:00:00;112;-;Prank Call;;;;;;;;Tidak Ditindaklanjuti;00:20;Rina;12/09/2021 09:00:20")).unwrap();
        assert_eq!(c.external_id_private.as_deref(), Some("112"));
    }

    /// A call exported without its ticket and then with it: the ticketed row names the
    /// identity the ticketless one had, however it writes the caller's number.
    #[test]
    fn a_ticketed_call_names_the_stand_in_it_had_without_its_ticket() {
        let without = row(&raw("7;;12/09/2021 09:00:00;0285-421112;-;Pengaduan;;;x;;;;;Diteruskan;00:20;Rina;12/09/2021 09:00:20")).unwrap();
        assert_eq!(without.standing, Standing::StandIn);
        let with = row(&raw("7;112-3375-20210912-0009;12/09/2021 09:00:00;+62 285 421112;-;Pengaduan;;;x;;;;;Selesai;00:20;Rina;12/09/2021 10:00:00")).unwrap();
        assert_eq!(with.external_id, "112-3375-20210912-0009");
        assert_eq!(
            with.standing,
            Standing::Replaces {
                external_id: without.external_id,
                external_id_private: without.external_id_private,
            }
        );
        // Without the caller's number, the time alone is no call's identity to take over:
        // a ghost call in the same second is another call.
        let ghost = row(&raw("3;;12/09/2021 08:15:40;Private;-;Ghost Call;;;;;;;;Tidak Ditindaklanjuti;00:12;Rina;12/09/2021 08:15:52")).unwrap();
        assert_eq!(ghost.standing, Standing::Own);
        let private = row(&raw("3;112-3375-20210912-0010;12/09/2021 08:15:40;Private;-;Pengaduan;;;x;;;;;Selesai;00:12;Rina;12/09/2021 08:15:52")).unwrap();
        assert_eq!(private.standing, Standing::Own);
    }

    /// Review: a call time written to the minute is no call's identity to take over (nor
    /// to give one): a caller's dropped call and their ticketed call again at once are two
    /// calls in one minute.
    #[test]
    fn a_call_time_to_the_minute_neither_stands_in_nor_replaces() {
        let dropped = row(&raw("1;;12/09/2021 09:30;081328765432;-;Terputus;;;;;;;;Tidak Ditindaklanjuti;00:04;Rina;12/09/2021 09:30:10")).unwrap();
        assert_eq!(dropped.standing, Standing::Own);
        assert!(dropped.external_id_private.is_some());
        let again = row(&raw("2;112-3375-20210912-0007;12/09/2021 09:30;081328765432;-;Pengaduan;;;x;;;;;Selesai;01:30;Rina;12/09/2021 11:00:00")).unwrap();
        assert_eq!(again.standing, Standing::Own);
    }

    /// Review (session 45): a call timed to the minute was known by the minute's first
    /// second, as a call timed to that second is: a caller's dropped call at `09:30` was the
    /// stand-in their ticketed call at `09:30:00` takes over, and a ghost call at `09:30` the
    /// ghost call at `09:30:00`. It is known by the minute as written; a call timed to the
    /// second keeps its identity.
    #[test]
    fn a_call_timed_to_the_minute_is_known_by_the_minute_as_written() {
        let dropped = row(&raw("1;;12/09/2021 09:30;081328765432;-;Terputus;;;;;;;;Tidak Ditindaklanjuti;00:04;Rina;12/09/2021 09:30:10")).unwrap();
        assert_eq!(dropped.external_id, "20210912T0230Z");
        assert_eq!(dropped.external_id_private.as_deref(), Some("081328765432"));
        let again = row(&raw("2;112-3375-20210912-0007;12/09/2021 09:30:00;081328765432;-;Pengaduan;;;x;;;;;Selesai;01:30;Rina;12/09/2021 11:00:00")).unwrap();
        let Standing::Replaces { external_id, .. } = &again.standing else {
            panic!("the ticketed call replaces none");
        };
        assert_eq!(external_id, "20210912T023000Z");
        assert_ne!(*external_id, dropped.external_id);
        let ghost = |at: &str| {
            row(&raw(&format!("3;;12/09/2021 {at};Private;-;Ghost Call;;;;;;;;Tidak Ditindaklanjuti;00:12;Rina;12/09/2021 09:31:00"))).unwrap().external_id
        };
        assert_eq!(ghost("09:30"), "20210912T0230Z-private");
        assert_eq!(ghost("09:30:00"), "20210912T023000Z-private");
    }

    #[test]
    fn a_forwarded_call_whose_length_is_no_length_names_the_field() {
        for durasi in [
            "lama",
            "99999999999999999:00",
            "4294967295:4294967295:0",
            "-5:00",
        ] {
            let e = row(&raw(&format!("1;112-3375-20210912-0001;12/09/2021 10:00:00;081;-;Pengaduan;;;x;;;;Damkar;Selesai;{durasi};Rina;12/09/2021 10:05:00"))).unwrap_err();
            assert_eq!(e.field, "Durasi", "{durasi}: {e}");
        }
        // A call length beyond any date: the forward time would overflow.
        let e = row(&raw("1;112-3375-20210912-0001;12/09/2021 10:00:00;081;-;Pengaduan;;;x;;;;Damkar;Selesai;4294967295:00:00;Rina;")).unwrap_err();
        assert_eq!(e.field, "Durasi", "{e}");
        // One that a date holds, but past 2099 (a time no store reads alike): no length.
        let e = row(&raw("1;112-3375-20210912-0001;12/09/2021 10:00:00;081;-;Pengaduan;;;x;;;;Damkar;Selesai;2000000000:00:00;Rina;")).unwrap_err();
        assert!(
            e.field == "Durasi" && e.reason.contains("ending by 2099"),
            "{e}"
        );
        // Unused when nothing was forwarded; empty means forwarded at the call's time.
        row(&raw("1;112-3375-20210912-0001;12/09/2021 10:00:00;081;-;Pengaduan;;;x;;;;;Selesai;lama;Rina;12/09/2021 10:05:00")).unwrap();
        let c = row(&raw("1;112-3375-20210912-0001;12/09/2021 10:00:00;081;-;Pengaduan;;;x;;;;Damkar;Selesai;;Rina;12/09/2021 10:05:00")).unwrap();
        assert_eq!(c.events[1].at, c.reported_at);
        let c = row(&raw("1;112-3375-20210912-0001;12/09/2021 10:00:00;081;-;Pengaduan;;;x;;;;Damkar;Selesai;1:02:03;Rina;12/09/2021 10:05:00")).unwrap();
        assert_eq!(c.events[1].at - c.reported_at, Duration::seconds(3723));
    }

    #[test]
    fn a_date_that_is_no_date_names_the_field() {
        let e = row(&raw("1;112-3375-20210912-0001;kemarin;081;-;Pengaduan;;;x;;;;;Selesai;01:00;Rina;12/09/2021 10:05:00")).unwrap_err();
        assert_eq!(e.field, "Waktu Panggilan");
        assert!(e.to_string().contains("112_20210912.csv:2"), "{e}");
    }

    /// Helper c112files (session 42): `10:00:60` was read as a leap second and stored as a
    /// time the two stores read apart; a date that is no date is quarantined.
    #[test]
    fn a_time_whose_seconds_are_60_is_no_time() {
        let e = row(&raw("1;112-3375-20240305-0001;05/03/2024 10:00:60;081;-;Pengaduan;;;x;;;;;Selesai;01:00;Rina;05/03/2024 10:05:00")).unwrap_err();
        assert_eq!(e.field, "Waktu Panggilan", "{e}");
        let e = row(&raw("1;112-3375-20240305-0001;05/03/2024 10:00:00;081;-;Pengaduan;;;x;;;;;Selesai;01:00;Rina;05/03/2024 10:59:60")).unwrap_err();
        assert_eq!(e.field, "Waktu Update", "{e}");
    }

    #[test]
    fn a_wrong_field_count_is_an_error() {
        let e = row(&raw("1;112-3375-20210912-0001;12/09/2021 07:41:13;081")).unwrap_err();
        assert!(e.reason.contains("fields"), "{e}");
    }

    #[test]
    fn extra_columns_are_kept_and_windows_1252_is_read() {
        let mut payload = format!("{HEADER};Shift\r\n").into_bytes();
        payload.extend_from_slice(b"1;112-3375-20200101-0001;01/01/2020 10:00:00;081;-;Pengaduan;;;Caf\xe9 kebakaran;;;;;Selesai;01:00;Rina;01/01/2020 11:00:00;Pagi");
        let c = row(&raw_bytes(payload)).unwrap();
        assert_eq!(c.body.as_deref(), Some("Café kebakaran"));
    }

    /// Helper c112 (session 41): a Windows-1252 row (its `é` no UTF-8) that also holds an
    /// upper-case accented letter before a curly quote (`É”`, bytes C9 94, which happen to be
    /// UTF-8's `ɔ`) was read as UTF-8 with a stray byte: `CAFɔ`, and `André` lost its `é`.
    #[test]
    fn a_windows_1252_row_whose_two_bytes_look_like_utf8_is_still_windows_1252() {
        let mut payload = format!("{HEADER}\r\n").into_bytes();
        payload.extend_from_slice(b"1;112-3375-20200101-0001;01/01/2020 10:00:00;081;-;Pengaduan;;;Toko \x93CAF\xc9\x94 milik Pak Andr\xe9 terbakar;;;;;Selesai;01:00;Rina;01/01/2020 11:00:00");
        let c = row(&raw_bytes(payload)).unwrap();
        assert_eq!(
            c.body.as_deref(),
            Some("Toko \u{201c}CAF\u{c9}\u{201d} milik Pak Andr\u{e9} terbakar")
        );
    }

    /// Review (session 41): a UTF-8 row with two texts cut inside a character (a
    /// `Keterangan` and an `Alamat` cut at a column's width, each ending in half a
    /// character) and one accented letter was read as UTF-8 with two stray bytes; it is now
    /// read as Windows-1252, and every character of it not ASCII is garbled (`SÃ©`).
    #[test]
    fn a_utf8_row_cut_in_two_texts_is_still_utf8() {
        let mut payload = format!("{HEADER}\r\n").into_bytes();
        payload.extend_from_slice(b"1;112-3375-20200101-0001;01/01/2020 10:00:00;081;-;Pengaduan;;;Rumah Bu S\xc3\xa9ni terbakar \xe2\x80;Jl. Merdeka \xf0\x9f\x8f;;;;Selesai;01:00;Rina;01/01/2020 11:00:00");
        let c = row(&raw_bytes(payload)).unwrap();
        let body = c.body.unwrap_or_default();
        assert!(body.starts_with("Rumah Bu S\u{e9}ni terbakar"), "{body}");
    }

    #[test]
    fn durations_in_both_forms() {
        assert_eq!(duration("02:10"), Some(Duration::seconds(130)));
        assert_eq!(duration("1:00:05"), Some(Duration::seconds(3605)));
        assert_eq!(duration("x"), None);
    }
}
