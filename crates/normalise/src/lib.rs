//! City policy: turns a channel's [`SourceComplaint`] into a unified complaint and its events.
//!
//! Pure: no I/O, no clock. The tables (gazetteer, national taxonomy, agencies, each channel's
//! mappings) are handed in as text by the caller, so the same inputs always give the same
//! rows. That is what lets `aduan renormalise` rebuild an identical table.
//!
//! ```
//! # use aduan_normalise::phone::to_e164;
//! assert_eq!(to_e164("0812-3456-7890").as_deref(), Some("+6281234567890"));
//! ```
#![deny(missing_docs)]

mod agencies;
mod categories;
mod classifier;
mod error;
mod incidents;
mod mappings;
pub mod phone;
pub mod places;
pub mod private;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text;

/// Web addresses' credentials, hidden in complaint texts as in what errors and logs show
/// (one rule for both: see [`aduan_core::links`]).
pub use aduan_core::links;

use std::collections::HashMap;

use aduan_core::{Kind, Secret, SourceComplaint, Status, UnifiedComplaint, UnifiedEvent, Urgency};
use chrono::{DateTime, Utc};

pub use agencies::Agencies;
pub use categories::Taxonomy;
pub use classifier::Classifier;
pub use error::{Error, Result};
pub use incidents::{incidents, INCIDENT_WINDOW};
use mappings::label_key;
pub use mappings::ChannelMappings;
pub use places::Gazetteer;

/// Something the normaliser met that the tables do not know; counted in the run report.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Warning {
    /// A status label with no mapping.
    UnknownStatus(String),
    /// A kind label with no mapping.
    UnknownKind(String),
    /// An urgency label with no mapping.
    UnknownUrgency(String),
    /// A category with no national pair.
    UnknownCategory(String),
    /// An agency that is not in `agencies.toml`.
    UnknownAgency(String),
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, value) = match self {
            Warning::UnknownStatus(v) => ("unknown status", v),
            Warning::UnknownKind(v) => ("unknown kind", v),
            Warning::UnknownUrgency(v) => ("unknown urgency", v),
            Warning::UnknownCategory(v) => ("unknown category", v),
            Warning::UnknownAgency(v) => ("unknown agency", v),
        };
        write!(f, "{what} {value:?}")
    }
}

/// A normalised complaint, its history, and what the tables did not know.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalised {
    /// The `complaints` row.
    pub complaint: UnifiedComplaint,
    /// Its `complaint_events` rows.
    pub events: Vec<UnifiedEvent>,
    /// Values mapped to `unknown` or left empty.
    pub warnings: Vec<Warning>,
    /// Whether the complaint's `resolved_at` is the source's own word (from the history it
    /// carries, as Lapor Gub!'s timeline), not the version's time standing for it: the newest
    /// version's word then stands (a reopening and a later resolution, both between two
    /// reads, move it), where a time that stands for it keeps the earliest seen.
    pub resolved_stated: bool,
    /// The complaint's identity stands in for one the source may give later
    /// ([`aduan_core::Standing::StandIn`]): a complaint that claims it (see `replaces`) takes
    /// its place, and it is not stored.
    pub stand_in: bool,
    /// The `complaint_id` of the stand-in this complaint takes the place of
    /// ([`aduan_core::Standing::Replaces`]): the complaint stored under it goes.
    pub replaces: Option<String>,
}

/// The texts of the tables the normaliser uses.
#[derive(Debug, Clone, Copy)]
pub struct Tables<'a> {
    /// `reference/wilayah-kota-pekalongan.csv`.
    pub wilayah_csv: &'a str,
    /// `reference/sp4n-lapor-categories.csv`.
    pub categories_csv: &'a str,
    /// `config/places.toml`.
    pub places_toml: &'a str,
    /// `config/agencies.toml`.
    pub agencies_toml: &'a str,
    /// `config/classifier.toml`.
    pub classifier_toml: &'a str,
}

/// The version of the rules a payload is read by: raised by every change that makes Aduan
/// read a payload it read before differently (a connector's parser, this normaliser, the
/// engine's folding: another id, text, category, place, time, status or event). A store's unified tables built under an older version, other tables or another
/// reporter key are rebuilt from the archive before the next sync writes into them (see
/// [`Normaliser::built_with`]): otherwise a complaint whose id changed would be stored again
/// beside its old row, and the rest would read one way or the other by the age of the row.
///
/// History: 1, the first recorded (2026-12-05); 2, phone numbers of other countries written
/// with `+` hidden in texts (2026-12-05); 3, a resolved complaint answered by its
/// resolution at the latest ([`answered_by`], 2026-12-05); 4, a time outside the years 1970
/// to 2099 quarantined as no time (`aduan_core::time::in_range`), the reporter's contacts
/// and names hidden in `status_source` too, the reporter's own number hidden however a text
/// groups its digits, and a Pantau Pekalongan deletion that carries the version it deletes
/// withdrawing it (2026-12-05); 5, an identity or group key longer than
/// `aduan_core::MAX_ID_BYTES` quarantined, a 112 call whose `Durasi` ends it after 2099, and
/// the reporter's names looked for in their first 16 words of at most 40 bytes (2026-12-05);
/// 6, a WhatsApp thread's reporter number taken as WhatsApp gives it, in the international
/// form (a number of another country starting with 8 was read as an Indonesian one with its
/// 0 lost), a thread's title cut where a word ends, and the reporter's names hidden after a sentence ending in
/// `SD.` or a line ending in a building's word, an everyday word that is one of them in lower
/// case beside another, and the own number written `620…` or over a line break
/// (2026-12-05); 7, a Pantau Pekalongan report finished again after a reopening resolved at
/// its second finish, a Wadul Aladin register status read whatever its letter case and
/// spaces (`SELESAI` closes and resolves), a table's cells, a list, a rule and headings
/// below `h3` keeping the words either side apart in plain text, and a city field naming
/// another region (`Kota Semarang`, `Kabupaten Brebes`) outside the city, and a complaint
/// closed without an answer and then resolved answered when it was resolved (2026-12-06);
/// 8, a version of a record read on its own (SP4N-LAPOR!, Lapor Gub!, 112) that says it was
/// changed or reported more than a day after Aduan received it quarantined
/// ([`dated_after_receipt`]; it stood over every later correction), the reporter's number
/// read from a field holding more than it by its first number (`HP 0813…`, `'0813…`,
/// `0813… / 0812…`; a spreadsheet's `6281….0` read without its decimal; a mobile number of
/// fewer than nine digits after its 0, cut short or masked in part, none), e-mail addresses
/// hidden before the own number (`budi0813…@…` whole), the own number
/// found over a blank line after a dash, with em dashes, `/`, `,` or `_` between its groups
/// and glued to a word before it (`HP0813…`), a profile name's word with
/// digits looked for, a street's name ended by a form of address, `Saya`, `Pelapor` or
/// `Nama`, an everyday word of the names after a form of address hidden (`pak wahyu`), and
/// more everyday words and forms of address kept (2026-12-06); 9, every version of a Wadul
/// Aladin case row the archive holds read as the case's history (an earlier version's dated
/// forwarding and follow-up events too, unless put right by the next; a status changed from
/// one version to the next a status change when that version came; only the newest was
/// read, and earlier follow-ups vanished), a Pantau Pekalongan status in another
/// letter case or with spaces answering and resolving as its plain form does, and a Lapor
/// Gub! reopening (`Aduan dibuka kembali`) a status change rather than a note (2026-12-06);
/// 10, a broad label mapped to its main category's catch-all (`LAINNYA TERKAIT …`) made
/// specific by the text classifier when it finds a specific pair (a flood reported under
/// Lapor Gub!'s `Infrastruktur` was not counted with the floods), and a 112 call without a
/// ticket known by its caller's number however the export writes it (`+62813…` and
/// `0813…` were two complaints) (2026-12-06); 11, a Lapor Gub! report reopened and resolved
/// again between two reads resolved at its second resolution, as its timeline says (the
/// first was kept: a version still resolved kept the earlier time) (2026-12-06); 12, a Wadul
/// Aladin case finished with no date in the register resolved when the version saying so
/// came, if an earlier version did not (it was resolved at the row's `Timestamp`, before
/// the register still said `Baru`), a forwarding the register leaves undated a
/// disposition when the version saying it came, a list given as `null` (SP4N-LAPOR!'s
/// `disposisi`, `tindak_lanjut`, Lapor Gub!'s `timeline`, Pantau Pekalongan's `photos`) an
/// empty one, and a Pantau Pekalongan report listed with `"deleted_at": null` a live one
/// (each was quarantined); a number written with `62` and its trunk `0` (`+620812…`) hidden
/// in texts, and the reporter's landline without its area code; `+0812…`, a number spaced
/// with a no-break space or joined with an en dash, and a field of two numbers read as the
/// reporter's number (another key, or none); a Wadul Aladin case alone keeping its own `No
/// WA` (`+852…` was read as an Indonesian number), and a case first read forwarded without
/// a date a disposition at the row's date; a kelurahan field written `Kec. …` read as a
/// kecamatan (`Kec. Tirto` was coded as the city's kelurahan Tirto); labels matched without
/// their white space (`Sampah / Kebersihan` was unknown); and street lights under public
/// works (`Infrastruktur`, "Lampu PJU …") PEKERJAAN UMUM's `PENERANGAN JALAN`, and
/// Pantau Pekalongan's `sosial_lingkungan` refined within the environment too; a Lapor
/// Gub! time in seconds for milliseconds quarantined (it read as 1970), and a `kotaId` or
/// `status` given as a text of digits read (quarantined); a WhatsApp reaction or `system`
/// notice no message of a thread (it opened a complaint `[reaction]`), and a reply by
/// button its words (it was `[button]`) (2026-12-06). 13: a WhatsApp thread is one
/// sender's messages by their `from` as WhatsApp gives it (a Japanese `81…` shares the
/// group of an Indonesian `6281…`, and their words could be one complaint); the reporter's
/// mobile number with
/// its 0 lost (`813 2876 5432`), and any mobile number in groups of two after its code
/// (`0812 34 56 78 90`), hidden in the texts; a kelurahan or kecamatan
/// field read by its name before a comma or a parenthesis, without its RT/RW, and a place
/// outside the city after a comma putting it outside (`Kauman RT 02 RW 05`, `Kauman,
/// Pekalongan Timur` were not coded); a source naming no kecamatan nor kelurahan placed by
/// its address (a WhatsApp location's `Jl. Sriwijaya, Pasirkratonkramat, Kota Pekalongan`
/// was not); a classifier rule's `alone` keywords (a flood told in
/// one word under `Infrastruktur` stayed public works'); coordinates (0, 0), beyond the
/// earth's ranges or given one without the other not stored, and a latitude and longitude
/// given swapped put right (2026-12-06). 14: a kecamatan field with its point of the compass
/// in brackets (`Pekalongan (Barat)`) coded; an SP4N-LAPOR! time with its offset in ISO
/// 8601's basic form (`+0700`), of hours alone or without seconds read (the report was
/// quarantined), and a reply by `pelapor ` with a stray space no agency's response; a Lapor
/// Gub! timeline time in another form without offset (`2021-09-12T10:11`) read as WIB (its
/// report was quarantined), and a `tuntas` entry older than the latest reopening no longer
/// its resolution; a number grouped with em dashes (`0813 — 2876 — 5432`), `--` or doubled
/// spaces hidden in texts;
/// a WhatsApp reaction, pin or poll vote sent as `unsupported` no message of a thread (it
/// opened a complaint `[unsupported]`), and a Wadul Aladin answer in `Tindak Lanjut` without
/// its date a follow-up when the version saying it came (it was lost), and a message edited
/// in the WhatsApp Business app (`type: edit`) what its latest edit says (it was the words
/// before the edit and a line `[edit]`); a Lapor Gub! timeline entry by `Pelapor` (a
/// reply, `Tanggapan pelapor`) no response of the city's, and neither it nor anyone's
/// `belum selesai` the resolution; a Pantau Pekalongan report whose GPS position lies outside
/// the box about the city (`around_city`, places.toml), its place names saying nothing,
/// outside the city (`in_city` was unknown); of two payloads of one version number the
/// later `updated_at` (the last received won, so a live store and its rebuild differed), a
/// deleted report listed in full withdrawn with its content (it waited for a version that
/// had come), and a `null` among its photos no photo (it was quarantined); a 112 `Waktu
/// Update` before the call the call's time (the call was resolved and answered before it was
/// made), and a Windows-1252 row with two bytes that read as one UTF-8 character read as
/// Windows-1252; the classifier's `except` phrases (`banjir diskon`, a flood of discounts, no
/// flood) and more ways of telling a flood (`air menggenang`, `air naik sampai`, `kali
/// luber`, Javanese `banyune mlebu`) (2026-12-07); 15, the reporter's own number written
/// with its area code in brackets, `(0285) 421112`, hidden with its opening bracket (a `(`
/// was left before the marker), and a source's time whose seconds are 60 (`10:00:60`, read
/// as a leap second) no time, quarantined as such (SQLite stored it as a text its date
/// functions do not read, PostgreSQL as the next minute's first second) (2026-12-07); 16,
/// texts and labels read without the characters that take no room: a zero-width space
/// (`&#8203;`) white space, a byte order mark, a word joiner or a soft hyphen left out of texts (a
/// body opening with one on a line of its own gave a title that shows nothing), and those and the
/// zero-width joiners out of labels (a status, kind or category holding one was unknown, and a
/// Wadul Aladin register status so written closed and resolved no case); the content of a
/// `<script>` or a `<style>` no text (a style sheet pasted into a web editor was kept as words); an
/// address's marks (`Kel.`, `Kec.`, `Kota`, a street's) read in any letter case and before a
/// no-break space (`KEL. KAUMAN`, `KOTA PEKALONGAN` placed nothing); a reporter's name hidden
/// whatever mark its apostrophe is written with (`Ma‘ruf`, `Maʼruf`, ``Ma`ruf`` of `Ma'ruf` were
/// kept); a JSON text with half an emoji (a `\ud83c` without its other half) read with the
/// replacement character in its place (the record was quarantined) (2026-12-07); 17, a
/// Wadul Aladin register row of empty fields alone (a spreadsheet's empty row, `,,,,`) no
/// case (it was quarantined as one without its `No Aduan`), a case grouped with the sender
/// whose number its first message's wamid holds, before its `No WA` (a case under another
/// number than its thread's sender claimed the thread's identity in another group, and the
/// two groups wrote one complaint in turn), a register cell of a dash alone (`-`) empty (a
/// `Tindak Lanjut` `-` was a follow-up; a date or `No WA` `-` quarantined the case), and an
/// `ID Pesan Pertama` that is no `wamid.…` no message (every case typed in by hand with `-`
/// there was one complaint) (2026-12-07); 18, a Wadul Aladin case that left the register
/// (noted in the archive as gone when a read no longer has it) followed by the case naming
/// the same first message that came in that read or after it: a case renumbered, or deleted
/// and typed again, carries on its thread (the thread stayed at the status of the number
/// gone, and the case under its new number was a second complaint); a case gone with no
/// follower changes nothing (2026-12-07); 19, a reporter's name hidden in a text that
/// writes it in another Unicode form (`Jose\u{301}` of `José`) or in styled or full-width
/// letters (`𝐒𝐢𝐭𝐢`, `Ｓｉｔｉ`), and texts stored composed (NFC); phone numbers written in
/// digits of other scripts (full-width, Arabic-Indic, styled) hidden and read; an address
/// part `Kota <word>` naming no city (`kota lama`, `KOTA BATIK`) no other region (only the
/// national list's other cities and Central Java's regencies and their towns are); a name
/// or number split by a zero-width joiner read whole; a Wadul Aladin status with its words glued
/// (`DijawabTim`) read as the mapping table reads it; a 112 call exported without its
/// ticket and in a rewrite of its day with one, one complaint under its ticket (it was two;
/// not a call timed to the minute alone, which may be another call of the same caller)
/// (2026-12-07); 20, a phone number grouped with a minus sign, a horizontal bar or small
/// dashes, or holding bidi marks, word joiners or soft hyphens, an e-mail address written with
/// a full-width or small at sign, and a reporter's name written with or without its accents
/// (`Jose` of `José`), with variation selectors, in small capitals or with Cyrillic letters
/// drawn as Latin ones, hidden (and such numbers and addresses keyed as written plain); a
/// Wadul Aladin `No Aduan` or a 112 `No Tiket` not of the contract's form (a reporter's number
/// or name typed there) no id (the case quarantined, the call a ticketless one); a Wadul
/// Aladin register header in another letter case or after an empty row read; a case's
/// forwarding date alone closing no WhatsApp thread; a person's name after a form of address
/// (`Pak Banjir`, `Mbak Nik`, `Sdr. Rob`: a keyword the table's `names` lists) no keyword;
/// street lights `PERHUBUNGAN / LAMPU PENERANGAN JALAN UMUM` whichever channel and label
/// (`Infrastruktur` gave the public works' pair; under a public-works label they win with more
/// of their words that count alone than the label's best rule has words, as a flood does)
/// (2026-12-07); 21, under a public-works label the rule competing with the label's picked by
/// its words that count alone (a street light beside a flooded ditch), and with none of the
/// label's words a rule that may move it; a listed name after a form of address followed by
/// a word said of water (`Pak Banjir setinggi lutut`) the keyword; a name found in one text no
/// lower-case word of another (`Mbak Nik` above `nik saya`); a number, e-mail address or name
/// holding a zero-width space, non-joiner or joiner, written in keycap digits, or two words of a
/// name glued by a bidi mark, and names in Greek or small Cyrillic look-alike letters, hidden and
/// keyed; a name or e-mail address a zero-width space splits in a text hidden (it was stored `Si
/// ti`), a word glued to a name by a mark kept, and one a zero-width space (or a joiner, a bidi
/// mark) glues after an e-mail address's domain (`…@disdik.go.id\u{200b}Panitia`) kept; an e-mail
/// address with a quoted local part or an address literal hidden; a WhatsApp message deleted by its
/// sender (`revoke`) no message of a complaint, one without its wamid (an empty `id`) quarantined;
/// a 112 call without a ticket timed to the minute (`dd/mm/yyyy HH:MM`) known by that minute as
/// written (`20210912T0230Z-…`): known by the minute's first second, it was the stand-in a ticketed
/// call of the same caller at that second took the place of (the dropped call lost); an address's
/// marks read with any white space between their words (`Jawa\u{a0}Tengah`) (2026-12-07); 22,
/// a WhatsApp message its sender deleted within three days of it no words of its complaint
/// (its text, caption and place leave the complaint and its history, its event saying
/// `[dihapus pengirim]`), an edit counting within a day of its message only, and a deletion or
/// an edit changing only its own sender's message (2026-12-07); 23, a Pantau Pekalongan
/// report's photos in its body by their web addresses without query, fragment, user and
/// password (a signed URL's token), a payload of it dated more than a day after its receipt
/// quarantined, a WhatsApp thread whose every message its sender deleted (with no case)
/// withdrawn, and an edit or a deletion the Cloud API sends as `unsupported` no message
/// (2026-12-07); 24, a Pantau Pekalongan photo address whose user name holds a `/` not shown
/// (counted), a version of its report judged late-dated by when Aduan first had it, whichever
/// way each copy came, and a WhatsApp thread some of whose messages its sender deleted
/// changed (`updated_at`) when the latest such deletion came (2026-12-07); 25, a link's
/// credentials in a complaint's texts hidden wherever a reporter's contacts are (its user and
/// password before the host, and the value of a parameter named as a credential, `token`,
/// `key`, `sig`, `X-Amz-Signature`, …, become `[kredensial]`; `https://user:pass@host` was read
/// as an e-mail address, its user name shown), a link ending before a quote, an ellipsis or an
/// emoji written after it, and a WhatsApp thread one of whose messages its sender edited
/// changed (`updated_at`) when the latest edit that changed a message's words came
/// (2026-12-07); 26, a WhatsApp edit compared as the stored text shows a message's words: one
/// changing only a hidden phone number, e-mail address or link credential, or spaces, leaves
/// `updated_at` (2026-12-08); 27, a link credential whose value holds `;` or `?` hidden whole
/// (a value ends at `&` or `#`, at `;` only in a query parted by `;` alone), and a WhatsApp edit
/// that writes only HTML entities otherwise, in a message holding no `<`, leaves `updated_at`
/// (2026-12-08).
pub const RULES: u32 = 27;

/// Hex digits of the keyed hash a stored `external_id` carries for the private part of its
/// identity (see [`Normaliser::stored_external_id`]).
const PRIVATE_HASH_DIGITS: usize = 16;

/// A complaint's first response, given its unified `status` and when it was resolved: one
/// resolved was answered by then at the latest (a 112 information call answered on the
/// telephone, a case closed with its answer, none of them with a follow-up of their own).
/// `closed` is no answer (112's not acted on, SP4N-LAPOR!'s closing by itself).
pub fn answered_by(
    status: Status,
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match (status, first_response_at, resolved_at) {
        (Status::Resolved, Some(first), Some(resolved)) => Some(first.min(resolved)),
        (Status::Resolved, None, resolved) => resolved,
        (_, first, _) => first,
    }
}

pub use aduan_core::time::RECEIPT_SLACK;

/// The time of `src` that lies later than `received_at` by more than [`RECEIPT_SLACK`], by
/// its field's unified name: when it was changed (`updated_at`, which orders a record's
/// versions: a version so dated would stand over every correction sent before that time,
/// see [`RULES`] 8) or reported (`reported_at`, which would count it in a month still to
/// come). `None` when neither does. Decided by when the payload was received, as archived,
/// so that a rebuild decides as the live sync did.
pub fn dated_after_receipt(
    src: &SourceComplaint,
    received_at: DateTime<Utc>,
) -> Option<(&'static str, DateTime<Utc>)> {
    [
        ("updated_at", src.updated_at),
        ("reported_at", src.reported_at),
    ]
    .into_iter()
    .find(|(_, t)| aduan_core::time::after_receipt(*t, received_at))
}

/// The city's policy, loaded.
pub struct Normaliser {
    gazetteer: Gazetteer,
    /// The gazetteer's name words, never looked for as a reporter's name.
    place_words: std::collections::HashSet<String>,
    taxonomy: Taxonomy,
    agencies: Agencies,
    classifier: Classifier,
    channels: HashMap<String, ChannelMappings>,
    reporter_key: Secret,
    /// SHA-256 of the tables' texts as they were loaded, channel by channel.
    tables_digest: [u8; 32],
}

/// What a store's unified tables were built with: the normaliser's rules, its tables and its
/// reporter key, each as a short digest (the key's keyed, so that nothing of it is told).
/// Its text form, `rules=… tables=… key=…`, is what the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltWith {
    /// [`RULES`].
    pub rules: u32,
    /// The first 8 bytes of the tables' digest, in hex.
    pub tables: String,
    /// The first 8 bytes of the key's HMAC of a fixed text, in hex.
    pub key: String,
}

impl std::fmt::Display for BuiltWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rules={} tables={} key={}",
            self.rules, self.tables, self.key
        )
    }
}

impl BuiltWith {
    /// Reads what [`Display`](std::fmt::Display) wrote; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(' ');
        let rules = parts.next()?.strip_prefix("rules=")?.parse().ok()?;
        let tables = parts.next()?.strip_prefix("tables=")?.to_string();
        let key = parts.next()?.strip_prefix("key=")?.to_string();
        parts
            .next()
            .is_none()
            .then_some(Self { rules, tables, key })
    }

    /// What differs between `before` (a store's, if it has one) and `self`, in words: the
    /// reason a rebuild gives.
    pub fn changes_since(&self, before: Option<&str>) -> String {
        let Some(before) = before else {
            return "the tables were built before Aduan recorded what with".into();
        };
        let Some(b) = Self::parse(before) else {
            return format!(
                "the tables were built with {before:?}, which this Aduan does not read"
            );
        };
        let mut what = Vec::new();
        if b.rules != self.rules {
            what.push(format!(
                "the normaliser's rules (version {} → {})",
                b.rules, self.rules
            ));
        }
        if b.tables != self.tables {
            what.push(
                "the city's tables (mappings, places, agencies, classifier, wilayah or categories)"
                    .to_string(),
            );
        }
        if b.key != self.key {
            what.push("the reporter-hash key".to_string());
        }
        if what.is_empty() {
            return "nothing".into();
        }
        format!("{} changed", what.join(", "))
    }
}

/// Adds `text` to `digest`, its length first (no two sequences of texts hash alike).
fn digest_more(digest: &mut [u8; 32], name: &str, text: &str) {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(*digest);
    for part in [name, text] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    *digest = h.finalize().into();
}

impl std::fmt::Debug for Normaliser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Normaliser")
            .field("channels", &self.channels.keys().collect::<Vec<_>>())
            .field("reporter_key", &self.reporter_key)
            .finish_non_exhaustive()
    }
}

impl Normaliser {
    /// Loads the shared tables; add each channel's mappings with [`Normaliser::add_channel`].
    pub fn new(tables: Tables<'_>, reporter_key: Secret) -> Result<Self> {
        if reporter_key.expose().is_empty() {
            return Err(Error::NoReporterKey);
        }
        let taxonomy = Taxonomy::from_csv(tables.categories_csv)?;
        let gazetteer = Gazetteer::from_texts(tables.wilayah_csv, tables.places_toml)?;
        let mut tables_digest = [0; 32];
        for (name, text) in [
            ("wilayah", tables.wilayah_csv),
            ("categories", tables.categories_csv),
            ("places", tables.places_toml),
            ("agencies", tables.agencies_toml),
            ("classifier", tables.classifier_toml),
        ] {
            digest_more(&mut tables_digest, name, text);
        }
        Ok(Self {
            tables_digest,
            place_words: gazetteer.name_words(),
            gazetteer,
            classifier: Classifier::from_toml(tables.classifier_toml, &taxonomy)?,
            taxonomy,
            agencies: Agencies::from_toml(tables.agencies_toml)?,
            channels: HashMap::new(),
            reporter_key,
        })
    }

    /// Adds a channel's mapping table (`config/mappings/<channel>.toml`).
    pub fn add_channel(&mut self, channel: &str, mappings_toml: &str) -> Result<()> {
        let m = ChannelMappings::from_toml(channel, mappings_toml, &self.taxonomy)?;
        self.channels.insert(channel.to_string(), m);
        digest_more(&mut self.tables_digest, channel, mappings_toml);
        Ok(())
    }

    /// What unified tables built by this normaliser are built with (see [`BuiltWith`]).
    pub fn built_with(&self) -> BuiltWith {
        let key = phone::reporter_key(self.reporter_key.expose().as_bytes(), "aduan built-with");
        BuiltWith {
            rules: RULES,
            tables: hex::encode(&self.tables_digest[..8]),
            key: key[..16].to_string(),
        }
    }

    /// The `external_id` stored for a source's `external_id` and the part of its identity
    /// that must not be stored as written (`private`): that part's keyed hash, 16 hex
    /// digits, appended (`{external_id}-{hash}`).
    pub fn stored_external_id(&self, external_id: &str, private: Option<&str>) -> String {
        match private {
            None => external_id.to_string(),
            Some(part) => {
                let hash = phone::reporter_key(
                    self.reporter_key.expose().as_bytes(),
                    &format!("external-id:{part}"),
                );
                format!("{external_id}-{}", &hash[..PRIVATE_HASH_DIGITS])
            }
        }
    }

    /// The length in bytes of [`stored_external_id`](Self::stored_external_id)'s answer,
    /// without the keyed hash.
    pub fn stored_external_id_len(external_id: &str, private: Option<&str>) -> usize {
        external_id.len() + private.map_or(0, |_| 1 + PRIVATE_HASH_DIGITS)
    }

    /// The `complaint_id` [`normalise`](Self::normalise) gives `src`.
    pub fn complaint_id(&self, src: &SourceComplaint) -> String {
        aduan_core::complaint_id(
            &src.channel,
            &self.stored_external_id(&src.external_id, src.external_id_private.as_deref()),
        )
    }

    /// Normalises one record.
    pub fn normalise(&self, src: &SourceComplaint) -> Result<Normalised> {
        let m = self
            .channels
            .get(&src.channel)
            .ok_or_else(|| Error::NoMappings {
                channel: src.channel.clone(),
            })?;
        let mut warnings = Vec::new();
        let external_id =
            self.stored_external_id(&src.external_id, src.external_id_private.as_deref());
        let complaint_id = aduan_core::complaint_id(&src.channel, &external_id);

        let status_key = label_key(&src.status_label);
        let status = m.status.get(&status_key).copied().unwrap_or_else(|| {
            warnings.push(Warning::UnknownStatus(src.status_label.clone()));
            Status::Unknown
        });
        let kind = self.kind(m, src, &status_key, &mut warnings);
        let urgency = match src.urgency_label.as_deref().map(text::fold) {
            None => Urgency::Normal,
            Some(k) if k.is_empty() => Urgency::Normal,
            Some(k) => m.urgency.get(&label_key(&k)).copied().unwrap_or_else(|| {
                warnings.push(Warning::UnknownUrgency(k));
                Urgency::Normal
            }),
        };
        let category = self.category(m, src, &mut warnings);
        // Every text stored is plain, without the reporter's contacts and names.
        let reporter_phone = src.reporter_phone.as_deref().and_then(phone::to_e164);
        let private = private::Private::new(&src.reporter_names, &self.place_words)
            .with_phone(reporter_phone.as_deref());
        // (The names are looked for before a zero-width space between two letters becomes a
        // space: see `text::plain_text_glued`.)
        let clean = |s: &str| text::spaced(private.mask(text::plain_text_glued(s)));
        let agency = self.agency(src, &clean, &mut warnings);
        // A source that names no kecamatan nor kelurahan may name them in its address (a
        // WhatsApp location's: `Jl. Sriwijaya, Pasirkratonkramat, Kota Pekalongan`).
        let blank = |f: &Option<String>| f.as_deref().is_none_or(|f| f.trim().is_empty());
        let (a_city, a_kec, a_kel) = match &src.place.address {
            Some(address) if blank(&src.place.kecamatan) && blank(&src.place.kelurahan) => {
                places::address_parts(address)
            }
            _ => (None, None, None),
        };
        let place = self.gazetteer.locate(
            src.place.city.as_deref().or(a_city.as_deref()),
            src.place.in_city,
            src.place.kecamatan.as_deref().or(a_kec.as_deref()),
            src.place.kelurahan.as_deref().or(a_kel.as_deref()),
        );
        let (latitude, longitude) = position(src.place.latitude, src.place.longitude);
        let reporter_key = if src.anonymous {
            None
        } else {
            reporter_phone
                .clone()
                .or_else(|| src.reporter_email.as_deref().and_then(phone::normal_email))
                .map(|id| phone::reporter_key(self.reporter_key.expose().as_bytes(), &id))
        };
        let mut events: Vec<UnifiedEvent> = src
            .events
            .iter()
            .map(|e| UnifiedEvent {
                complaint_id: complaint_id.clone(),
                occurred_at: e.at,
                kind: e.kind,
                actor: e.actor.as_deref().map(clean).filter(|s| !s.is_empty()),
                body: e.text.as_deref().map(clean).filter(|s| !s.is_empty()),
            })
            .collect();
        let first_response_at = src
            .events
            .iter()
            .filter(|e| e.kind.is_response())
            .map(|e| e.at)
            .chain(src.first_response_at)
            .min();
        let resolved_at = status
            .is_finished()
            .then(|| src.resolved_at.unwrap_or(src.updated_at));
        let resolved_stated = resolved_at.is_some() && src.resolved_at.is_some();
        let first_response_at = answered_by(status, first_response_at, resolved_at);
        let body = src.body.as_deref().map(clean).unwrap_or_default();
        let title = src
            .title
            .as_deref()
            .map(clean)
            .filter(|t| !t.is_empty())
            // (A label given as the title when there is no text is kept private too.)
            .unwrap_or_else(|| private.mask(title_from(&body, &src.category_labels)));
        // What the channel does not categorise, its text may: never a prank or a dropped call.
        // A broad label (a channel whose table says `broad_categories`: Lapor Gub!'s sectors,
        // Pantau Pekalongan's areas) mapped to its main category's catch-all (`LAINNYA
        // TERKAIT …`) is made specific by the text when the classifier finds a specific pair
        // in it, of the label's main category first (`Classifier::refine`): a flood reported
        // under `Infrastruktur` counts with the floods, mosquito larvae in a puddle reported
        // under health stay health. (A specific
        // label with no slot of its own, 112's `Sarang Tawon`, keeps its catch-all; the
        // national taxonomy a channel gives is never replaced.)
        let (category, category_method) = match category {
            Category::Found(pair, "mapped")
                if m.broad_categories && kind != Kind::NonGenuine && catch_all(&pair) =>
            {
                let labels = labels_of(src);
                let also = m
                    .also_mains
                    .get(&label_key(&labels.join("/")))
                    .map_or(&[][..], Vec::as_slice);
                match self.classifier.refine(&[&title, &body], &pair.0, also) {
                    Some(found) if !catch_all(&found) => (Some(found), Some("classified")),
                    _ => (Some(pair), Some("mapped")),
                }
            }
            Category::Found(pair, how) => (Some(pair), Some(how)),
            Category::None if kind != Kind::NonGenuine => {
                match self.classifier.classify(&[&title, &body]) {
                    Some(pair) => (Some(pair), Some("classified")),
                    None => (None, None),
                }
            }
            Category::None | Category::Unknown => (None, None),
        };
        let category_source = private.mask(src.category_labels.join(" / "));
        let (category_main, category_sub) = category.unzip();
        let mut complaint = UnifiedComplaint {
            complaint_id,
            channel: src.channel.clone(),
            external_id,
            kind,
            urgency,
            category_main,
            category_sub,
            category_source,
            category_method: category_method.map(str::to_string),
            title,
            body,
            status,
            status_source: private.mask(src.status_label.clone()),
            agency,
            kecamatan_code: place.kecamatan.as_ref().map(|k| k.0.clone()),
            kecamatan: place.kecamatan.map(|k| k.1),
            kelurahan_code: place.kelurahan.as_ref().map(|k| k.0.clone()),
            kelurahan: place.kelurahan.map(|k| k.1),
            address: src
                .place
                .address
                .as_deref()
                .map(clean)
                .filter(|a| !a.is_empty()),
            latitude,
            longitude,
            in_city: place.in_city.or_else(|| {
                self.gazetteer
                    .far_outside(latitude, longitude)
                    .then_some(false)
            }),
            reporter_key,
            anonymous: src.anonymous,
            confidential: src.confidential,
            reported_at: src.reported_at,
            updated_at: src.updated_at,
            first_response_at,
            resolved_at,
            incident_id: None,
        };
        // What the run reports of the labels it did not know is kept private too.
        for w in &mut warnings {
            let (Warning::UnknownStatus(v)
            | Warning::UnknownKind(v)
            | Warning::UnknownUrgency(v)
            | Warning::UnknownCategory(v)
            | Warning::UnknownAgency(v)) = w;
            *v = private.mask(std::mem::take(v));
        }
        // Text both stores take alike (no U+0000).
        complaint.make_storable();
        events.iter_mut().for_each(UnifiedEvent::make_storable);
        let (stand_in, replaces) = match &src.standing {
            aduan_core::Standing::Own => (false, None),
            aduan_core::Standing::StandIn => (true, None),
            aduan_core::Standing::Replaces {
                external_id,
                external_id_private,
            } => {
                let mut id = aduan_core::complaint_id(
                    &src.channel,
                    &self.stored_external_id(external_id, external_id_private.as_deref()),
                );
                aduan_core::storable(&mut id);
                (false, Some(id).filter(|id| *id != complaint.complaint_id))
            }
        };
        Ok(Normalised {
            complaint,
            events,
            warnings,
            resolved_stated,
            stand_in,
            replaces,
        })
    }

    fn kind(
        &self,
        m: &ChannelMappings,
        src: &SourceComplaint,
        status_key: &str,
        warnings: &mut Vec<Warning>,
    ) -> Kind {
        if let Some(k) = m.kind_by_status.get(status_key) {
            return *k;
        }
        match src.kind_label.as_deref().map(text::fold) {
            Some(label) if !label.is_empty() => {
                m.kind.get(&label_key(&label)).copied().unwrap_or_else(|| {
                    warnings.push(Warning::UnknownKind(label));
                    Kind::Unknown
                })
            }
            _ => m.default_kind.unwrap_or_else(|| {
                warnings.push(Warning::UnknownKind(String::new()));
                Kind::Unknown
            }),
        }
    }

    /// The channel's category: found (with how), none to be had from it (the text
    /// classifier may try), or unknown (reported; left empty for the mapping table to say).
    fn category(
        &self,
        m: &ChannelMappings,
        src: &SourceComplaint,
        warnings: &mut Vec<Warning>,
    ) -> Category {
        let labels = labels_of(src);
        if labels.is_empty() {
            return Category::None;
        }
        if src.category_national {
            if let [main, sub] = labels.as_slice() {
                if let Some(pair) = self.taxonomy.canonical(main, sub) {
                    return Category::Found(pair, "source");
                }
            }
            warnings.push(Warning::UnknownCategory(labels.join(" / ")));
            return Category::Unknown;
        }
        let key = label_key(&labels.join("/"));
        match m.categories.get(&key) {
            Some(Some(pair)) => Category::Found(pair.clone(), "mapped"),
            Some(None) => Category::None,
            None => {
                warnings.push(Warning::UnknownCategory(labels.join(" / ")));
                Category::Unknown
            }
        }
    }

    fn agency(
        &self,
        src: &SourceComplaint,
        clean: &dyn Fn(&str) -> String,
        warnings: &mut Vec<Warning>,
    ) -> Option<String> {
        let mut names: Vec<String> = Vec::new();
        for raw in &src.agencies {
            let raw = raw.trim();
            if raw.is_empty() || raw == "-" {
                continue;
            }
            let name = match self.agencies.canonical(raw) {
                Some(n) => n.to_string(),
                None => {
                    warnings.push(Warning::UnknownAgency(raw.to_string()));
                    clean(raw)
                }
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        (!names.is_empty()).then(|| names.join("; "))
    }
}

/// A position as WGS84 latitude and longitude, or none: both given, finite, neither exactly
/// 0 ((0, 0) from a phone without a fix; one 0 a form's default for the value it lacks: the
/// equator and the prime meridian are far from any complaint of the city), within ±90 and
/// ±180. A latitude beyond ±90 with a
/// longitude within it is the pair swapped (`109.6753, -6.8886`), and is put right.
fn position(lat: Option<f64>, lng: Option<f64>) -> (Option<f64>, Option<f64>) {
    let (Some(lat), Some(lng)) = (lat, lng) else {
        return (None, None);
    };
    let (lat, lng) = if lat.abs() > 90.0 && lng.abs() <= 90.0 {
        (lng, lat)
    } else {
        (lat, lng)
    };
    let valid = lat.is_finite()
        && lng.is_finite()
        && lat.abs() <= 90.0
        && lng.abs() <= 180.0
        && lat != 0.0
        && lng != 0.0;
    if valid {
        (Some(lat), Some(lng))
    } else {
        (None, None)
    }
}

/// A complaint's category labels that say something (white space alone is none).
fn labels_of(src: &SourceComplaint) -> Vec<&str> {
    src.category_labels
        .iter()
        .map(String::as_str)
        .filter(|l| !text::fold(l).is_empty())
        .collect()
}

/// Whether `pair` is its main category's catch-all sub-category (`LAINNYA TERKAIT …`, "other
/// matters of …" in the national taxonomy).
fn catch_all(pair: &(String, String)) -> bool {
    pair.1.starts_with("LAINNYA TERKAIT ")
}

/// What a channel's own category labels give.
enum Category {
    /// A national pair, and how it was found (`source`, `mapped`).
    Found((String, String), &'static str),
    /// No category to be had from the channel: no label, or one mapped to none.
    None,
    /// A label the tables do not know (reported).
    Unknown,
}

/// Words written with a full stop that ends no sentence (`Jl. Dr. Sutomo No. 5`).
const ABBREVIATIONS: &[&str] = &[
    "a.n", "an", "bpk", "cv", "dr", "drs", "ds", "gg", "h", "hj", "hp", "ibu", "ir", "jl", "jln",
    "kab", "kec", "kel", "kp", "no", "pak", "prof", "pt", "rs", "rt", "rw", "sdr", "sdri", "st",
    "tlp", "telp", "wa",
];

/// The first sentence of `text`: up to its first line end, or its first full stop followed by
/// white space (or the end) after a word that is not an abbreviation, a letter or a number.
fn first_sentence(text: &str) -> &str {
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'\n' => return &text[..i],
            b'.' if bytes.get(i + 1).is_none_or(u8::is_ascii_whitespace) => {
                let word = text[..i]
                    .rsplit(|c: char| !(c.is_alphanumeric() || c == '.'))
                    .next()
                    .unwrap_or_default();
                let short = word.chars().count() <= 1 || word.chars().all(|c| c.is_ascii_digit());
                if !short && !ABBREVIATIONS.contains(&word.to_lowercase().as_str()) {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    text
}

/// A title for sources that have none: the first sentence of the text, shortened.
fn title_from(body: &str, labels: &[String]) -> String {
    let first = body
        .split_inclusive('\n')
        .map(|line| first_sentence(line).trim())
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let source = if first.is_empty() {
        labels.last().map(String::as_str).unwrap_or_default()
    } else {
        first
    };
    const MAX: usize = 100;
    if source.chars().count() <= MAX {
        return source.to_string();
    }
    let cut: String = source.chars().take(MAX).collect();
    match cut.rfind(' ') {
        Some(i) if i > MAX / 2 => format!("{}…", &cut[..i]),
        _ => format!("{cut}…"),
    }
}

#[cfg(test)]
mod tests;
