//! A sender's payloads (webhook bodies and case register rows) folded into complaints.

use std::collections::{BTreeMap, HashMap, HashSet};

use aduan_core::{
    EventKind, FieldError, Folded, RawRecord, SourceComplaint, SourceEvent, SourcePlace, Span,
};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::CHANNEL;

/// The status label of a thread the case register has no case for yet.
pub(crate) const NO_CASE: &str = "Belum Ada Kasus";

/// A thread ends when its sender is silent this long.
const THREAD_GAP_HOURS: i64 = 24;

/// [`THREAD_GAP_HOURS`] as a duration.
pub(crate) const THREAD_GAP: Duration = Duration::hours(THREAD_GAP_HOURS);

/// How long after its message an edit counts: a day less a second (the platform lets a
/// sender edit a message for 15 minutes; one dated later, by a wrong clock or a replay,
/// counts for nothing). A sender's history is folded a run at a time (see
/// `aduan_core::Window`), runs parted by [`THREAD_GAP`] of silence: within it, an edit is
/// read with its message wherever the fold starts (hunt, session 46: an edit dated a day
/// after its message changed the complaint in a rebuild, not live).
const EDIT_WITHIN: Duration = Duration::seconds(THREAD_GAP_HOURS * 3600 - 1);

/// How long after its message a deletion by its sender counts: three days (the platform's
/// revoke webhook comes for a deletion within two days of the message; the day more is room,
/// not a rule). A deletion's span (see [`span`]) reaches this far back, so that a fold of a
/// sender's runs (see `aduan_core::Window`) that reads either reads both; a deletion dated
/// later counts for nothing, alike live and rebuilt.
pub(crate) const REVOKE_WITHIN: Duration = Duration::days(3);

/// The text of a message its sender deleted, in its complaint's history: its words are gone.
/// Also the text of a thread whose every message its sender deleted (see [`WITHDRAWN`]).
pub(crate) const DELETED: &str = "[dihapus pengirim]";

/// The status label of a thread whose every message its sender deleted, the register having
/// no case for it: the report withdrawn (`withdrawn` in the mapping table, as Pantau
/// Pekalongan's deleted report), kept, not removed. Session 47: it stood as a complaint
/// received, with an empty text. A thread with a case keeps its case's status (the team's
/// word on it) and the case's summary as its text. Its history says when, a change of status
/// by the reporter when its last message left, its `updated_at` then (review: neither did).
pub(crate) const WITHDRAWN: &str = "Dihapus Pengirim";

/// Statuses that close a case: the sender's next message starts a new complaint.
const CLOSING: [&str; 3] = ["Selesai", "Dijawab Tim", "Diarsipkan"];

/// Statuses of a finished case (`resolved_at`).
const FINISHED: [&str; 2] = ["Selesai", "Dijawab Tim"];

/// The status of a case the team forwarded to an agency (a disposition, dated by `Tanggal
/// Diteruskan` when the register gives it).
const FORWARDING: &str = "Diteruskan ke OPD";

/// Whether a register's `status` is one of `labels`, read as the mapping tables read it
/// ([`aduan_core::label::label_key`]): letter case and white space aside (the register is a
/// hand-kept spreadsheet; a zero-width space is white space), so that words glued or parted
/// are the same label (`DijawabTim` is `Dijawab Tim`; review: the table resolved it as a
/// team's answer, and this neither closed the thread nor dated the resolution), and the
/// characters that take no room (a byte order mark, a word joiner, a soft hyphen, zero-width
/// joiners) left out.
fn status_in(status: &str, labels: &[&str]) -> bool {
    let status = aduan_core::label::label_key(status);
    labels
        .iter()
        .any(|label| aduan_core::label::label_key(label) == status)
}

/// The register's columns this connector reads.
const NO_ADUAN: &str = "No Aduan";
const TIMESTAMP: &str = "Timestamp";
const FIRST_MESSAGE: &str = "ID Pesan Pertama";
const NO_WA: &str = "No WA";
const NAME: &str = "Nama";
/// The `external_id` of a thread, before the keyed hash of its first wamid.
pub const WAMID_ID: &str = "wa";
const SUMMARY: &str = "Ringkasan Aduan";
const CATEGORY: &str = "Kategori";
const AGENCY: &str = "OPD Tujuan";
const STATUS: &str = "Status";
const FORWARDED: &str = "Tanggal Diteruskan";
const FOLLOWED_UP: &str = "Tanggal Tindak Lanjut";
const FOLLOW_UP: &str = "Tindak Lanjut";

/// The most characters of a thread's first line its title takes.
const TITLE_CHARS: usize = 100;

/// A thread's title from its first line: the line, or as many of its first words as
/// [`TITLE_CHARS`] holds, without the words holding digits at its end, with `…`. Cut where a
/// word ends: the normaliser, which hides the reporter's names and number after, knows a
/// name by its whole word and a number by its digits (half a number, `0813 2876` of `0813
/// 2876 5432`, reads as none).
fn title_of(line: &str) -> String {
    if line.chars().count() <= TITLE_CHARS {
        return line.to_string();
    }
    let cut = line
        .char_indices()
        .nth(TITLE_CHARS)
        .map_or(line.len(), |(at, _)| at);
    let head = &line[..cut];
    // The words whole: up to the last white space, unless the first word is that long.
    let mut words: Vec<&str> = match head.rfind(char::is_whitespace) {
        Some(at) => head[..at].split_whitespace().collect(),
        None => vec![head],
    };
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| w.contains(|c: char| c.is_ascii_digit()))
    {
        words.pop();
    }
    format!("{}…", words.join(" "))
}

/// A WhatsApp number as the group key: digits only, in the international form (`6281…`,
/// `081…` and `+62 812-…` are one sender; a number of another country, as WhatsApp writes
/// it, `447911123456`, is its own). `None` when it is no phone number. The register's `No
/// WA` and a webhook's `from` are read alike, so that a case meets its thread.
pub fn sender_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    // Indonesian mobile numbers as people type them: `62…`, `620…`, `0…`, and `8…` with its
    // 0 lost (a spreadsheet dropping it; a number of another country starting with 8 is then
    // read so too, the same way every time, which is all a group key needs: the sender's
    // number is taken from WhatsApp's `from`, see [`whatsapp_number`], and a group's
    // threads are each one sender's by it).
    let national = match digits.strip_prefix("62") {
        Some(rest) => Some(rest.strip_prefix('0').unwrap_or(rest)),
        None => digits
            .strip_prefix('0')
            .or_else(|| (digits.len() <= 12).then_some(digits.as_str())),
    };
    if let Some(national) = national {
        if national.len() >= 8 && national.starts_with('8') {
            return Some(format!("62{national}"));
        }
    }
    international(digits)
}

/// A webhook message's `from` as the sender's number: WhatsApp's id of the sender is the
/// number in the international form as it stands (`85291234567` is Hong Kong's, not an
/// Indonesian `0852…` with its 0 lost, as a group key reads it). `None` when it is no phone
/// number.
pub fn whatsapp_number(from: &str) -> Option<String> {
    international(from.chars().filter(char::is_ascii_digit).collect())
}

/// `digits` when they can be a number in the international form: E.164 allows 15 digits,
/// and a country code never starts with 0.
fn international(digits: String) -> Option<String> {
    ((8..=15).contains(&digits.len()) && !digits.starts_with('0')).then_some(digits)
}

/// The group of a webhook message: its sender's, or, when its `from` is no phone number,
/// a group of its own (`Err`), whose fold quarantines the body naming the field while the
/// body's other messages are folded with their senders.
fn message_key(m: &serde_json::Value) -> Result<String, String> {
    let from = m.get("from").and_then(|f| f.as_str()).unwrap_or_default();
    sender_key(from).ok_or_else(|| {
        let id = m.get("id").and_then(|v| v.as_str()).unwrap_or_default();
        format!("from?:{id}")
    })
}

// --- The WhatsApp Cloud API webhook (the platform's standard format) -------------------

#[derive(Deserialize)]
struct Webhook {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    value: Option<Value>,
}

#[derive(Deserialize)]
struct Value {
    #[serde(default)]
    messages: Vec<serde_json::Value>,
    #[serde(default)]
    contacts: Vec<Contact>,
}

/// A sender's profile, read only so that the normaliser can keep the sender's name out of
/// the texts it stores (any JSON value that is not a string: no name).
#[derive(Deserialize)]
struct Contact {
    #[serde(default)]
    wa_id: serde_json::Value,
    #[serde(default)]
    profile: serde_json::Value,
}

/// The member of a message object that carries its sender's profile name, added by
/// [`messages_of`] from the body's `contacts`.
const SENDER_NAME: &str = "_aduan_sender_name";

#[derive(Deserialize)]
struct Message {
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "_aduan_sender_name", default)]
    sender_name: Option<String>,
    text: Option<Text>,
    location: Option<Location>,
    #[serde(flatten)]
    rest: HashMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

#[derive(Deserialize)]
struct Location {
    latitude: Option<f64>,
    longitude: Option<f64>,
    name: Option<String>,
    address: Option<String>,
}

/// One message as the fold uses it.
struct Msg {
    wamid: String,
    at: DateTime<Utc>,
    text: Option<String>,
    /// A line for media and locations: `[image] caption`.
    attachment: Option<String>,
    location: Option<(Option<f64>, Option<f64>, Option<String>)>,
    /// The sender's profile name (never stored).
    sender_name: Option<String>,
    /// The sender's number as WhatsApp gives it (handed to the normaliser, never stored).
    sender: Option<String>,
    /// A message that says nothing of a complaint (a reaction, a notice of the platform's):
    /// it neither opens a thread nor keeps one open.
    aside: bool,
    /// An edit (`type: edit`, the WhatsApp Business app's, within 15 minutes of the message):
    /// the wamid of the message it rewrites; `text` is the new text or caption. An aside too.
    edit_of: Option<String>,
    /// A deletion by its sender (`type: revoke`): the wamid of the message it deletes. An
    /// aside too.
    revokes: Option<String>,
    /// When its sender first deleted it, if they did (see [`REVOKE_WITHIN`]): its words,
    /// caption and place are gone.
    deleted: Option<DateTime<Utc>>,
    /// When the latest of its sender's edits that changed what it says came, if one did (see
    /// [`EDIT_WITHIN`]): it says what its latest edit says.
    edited: Option<DateTime<Utc>>,
}

/// A message's words as the stored text shows them, to tell whether an edit changed them:
/// its HTML entities read, once, as the normaliser reads them in every text it stores
/// (`&amp;` is `&`, `&amp;amp;` is `&amp;`; session 51: an edit writing `&` for `&amp;`
/// moved `updated_at`), then links' credentials, e-mail addresses and phone numbers hidden
/// (as the normaliser hides them: `aduan_core::links`, then `aduan_core::contacts`), white
/// space as it tidies it (spaces folded within a line, lines trimmed, blank lines in a row
/// one, the characters that take no room and part no words left out). A message holding a
/// `<` is read as typed, its entities too, and never shows as one holding none: the
/// normaliser takes such a text's markup out before it reads its entities (`<b>` is markup
/// there, `&lt;b&gt;` the words `<b>`), which a connector cannot tell (review, session 51:
/// an edit writing `<b>penting</b>` for `&lt;b&gt;penting&lt;/b&gt;` read the same, and
/// the stored text lost its `<b>` without `updated_at` moving). (The normaliser's rules,
/// read by a connector: the reporter's own number written in part, or a name, is hidden by
/// the normaliser alone, and an edit of one of them alone still counts as a change; so does
/// an edit of markup alone, `<b>…</b>`, which the normaliser takes out, of the entities of
/// a message holding a `<`, or of how an accent is written, which it composes.) Not as
/// errors show a channel's answer (`aduan_core::contacts::shown`), which reads JSON's
/// escapes first: the stored text reads a message as typed, and a link written
/// `https:\/\/…` is none there, its token shown (review, session 50: an edit of that token
/// changed the stored text, not `updated_at`).
fn shown(text: &str) -> (bool, String) {
    let typed = text.contains('<');
    let read = if typed {
        std::borrow::Cow::Borrowed(text)
    } else {
        html_escape::decode_html_entities(text)
    };
    let linked = aduan_core::links::credentials(&read);
    let hidden = aduan_core::contacts::contacts(&linked);
    let mut out = String::with_capacity(hidden.len());
    let mut blank = false;
    for line in hidden.lines() {
        let mut words = line
            .split(aduan_core::label::is_space)
            .filter(|w| !w.chars().all(aduan_core::label::is_unseen));
        let Some(first) = words.next() else {
            blank = true;
            continue;
        };
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        for (i, word) in std::iter::once(first).chain(words).enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.extend(word.chars().filter(|c| !aduan_core::label::is_unseen(*c)));
        }
    }
    (typed, out)
}

/// Message types that say nothing of a complaint: a reaction (👍 to the city's answer), the
/// platform's notices (`system`: a number changed; `ephemeral`; `request_welcome`), and a
/// message deleted by its sender (`revoke`, the WhatsApp Business app's, up to two days
/// after it: the message it deletes says nothing then, see [`REVOKE_WITHIN`]). Review: a
/// reaction days later opened a complaint `[reaction]`, one hours later kept a thread open;
/// so did a deletion (helper push, session 45: `[revoke]`).
const ASIDE: [&str; 5] = [
    "reaction",
    "system",
    "ephemeral",
    "request_welcome",
    "revoke",
];

/// What an `unsupported` message (a type the Cloud API does not carry) stands for, named in
/// its `unsupported.type`, that says nothing of a complaint either: a reaction, a pin, a vote
/// in a poll, a keep-in-chat, and a message's edit or deletion by its sender as a number on
/// the Cloud API alone gets them (`edit`, `revoke`: without the message they edit or delete
/// or the new words, they cannot be honoured; session 47: they were a line `[unsupported]`).
/// Others (an unsupported image, a message the platform could not make available, 131060)
/// are the sender's words, listed as `[unsupported]`.
const UNSUPPORTED_ASIDE: [&str; 6] = [
    "reaction",
    "pin",
    "poll_update",
    "keep_in_chat",
    "edit",
    "revoke",
];

/// Whether a payload is a webhook body: one the endpoint received (a body that is no JSON
/// object is then refused as a webhook body, not read as a register row), or a JSON object.
fn is_webhook(raw: &RawRecord) -> bool {
    raw.source_ref == crate::WEBHOOK_PATH
        || raw.payload.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

fn messages_of(raw: &RawRecord) -> Result<Vec<serde_json::Value>, FieldError> {
    let hook: Webhook = serde_json::from_slice(&raw.payload).map_err(|e| {
        FieldError::new(
            CHANNEL,
            &raw.source_ref,
            "",
            format!("not a webhook body: {e}"),
        )
    })?;
    let mut all = Vec::new();
    for value in hook
        .entry
        .into_iter()
        .flat_map(|e| e.changes)
        .filter_map(|c| c.value)
    {
        for mut m in value.messages {
            let from = m.get("from").and_then(|f| f.as_str()).unwrap_or_default();
            let name = value
                .contacts
                .iter()
                .find(|c| c.wa_id.as_str() == Some(from))
                .and_then(|c| c.profile.get("name"))
                .and_then(|n| n.as_str())
                .map(str::to_string);
            if let (Some(name), Some(object)) = (name, m.as_object_mut()) {
                object.insert(SENDER_NAME.into(), name.into());
            }
            all.push(m);
        }
    }
    Ok(all)
}

fn message(value: &serde_json::Value, i: usize, source: &str) -> Result<Msg, FieldError> {
    let m: Message = serde_json::from_value(value.clone()).map_err(|e| {
        // (Its values not quoted: `from` is the sender's number.)
        let reason = FieldError::serde_reason(&e.to_string());
        FieldError::new(CHANNEL, source, format!("messages[{i}]"), reason)
    })?;
    // Named by its place in its body, not by its wamid, which holds its sender's number.
    let record = format!("{source} messages[{i}]");
    // A message without its wamid is none the platform sent: an empty one would be the
    // identity of every thread it began, whoever the sender (review, session 45).
    if m.id.trim().is_empty() {
        return Err(FieldError::new(
            CHANNEL,
            &record,
            "id",
            "empty: a message has its wamid",
        ));
    }
    let at = m
        .timestamp
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .and_then(aduan_core::time::in_range)
        .ok_or_else(|| {
            FieldError::new(
                CHANNEL,
                &record,
                "timestamp",
                format!(
                    "not unix seconds of the years 1970 to 2099: {}",
                    aduan_core::time::quoted(&m.timestamp)
                ),
            )
        })?;
    // A reply by button carries the sender's words (a template's quick reply, `button.text`;
    // an interactive reply's `button_reply` or `list_reply` title): the thread's text
    // (review: it was `[button]`).
    let replied = || -> Option<String> {
        let of = |v: Option<&serde_json::Value>| v.and_then(|t| t.as_str()).map(str::to_string);
        match m.kind.as_str() {
            "button" => of(m.rest.get("button").and_then(|b| b.get("text"))),
            "interactive" => {
                let i = m.rest.get("interactive")?;
                of(i.get("button_reply").and_then(|r| r.get("title")))
                    .or_else(|| of(i.get("list_reply").and_then(|r| r.get("title"))))
            }
            _ => None,
        }
    };
    // An edit's new words: its message's text or caption.
    let edit = m.rest.get("edit").filter(|_| m.kind == "edit");
    let edit_of = edit
        .and_then(|e| e.get("original_message_id"))
        .and_then(|w| w.as_str())
        .map(str::to_string);
    let edited = || -> Option<String> {
        let new = edit?.get("message")?;
        let kind = new.get("type").and_then(|t| t.as_str()).unwrap_or("text");
        new.get(kind)
            .and_then(|body| body.get("body").or_else(|| body.get("caption")))
            .and_then(|t| t.as_str())
            .map(str::to_string)
    };
    let text = m.text.map(|t| t.body).or_else(replied).or_else(edited);
    let location = m
        .location
        .map(|l| (l.latitude, l.longitude, l.address.or(l.name)));
    let attachment = match m.kind.as_str() {
        "text" => None,
        "button" | "interactive" if text.is_some() => None,
        "location" => location.as_ref().map(|(lat, lng, place)| {
            let coords = match (lat, lng) {
                (Some(a), Some(b)) => format!(" ({a}, {b})"),
                _ => String::new(),
            };
            format!("[lokasi] {}{coords}", place.clone().unwrap_or_default())
        }),
        other => {
            let caption = m
                .rest
                .get(other)
                .and_then(|media| media.get("caption"))
                .and_then(|c| c.as_str())
                .unwrap_or_default();
            Some(format!("[{other}] {caption}").trim_end().to_string())
        }
    };
    let revokes = m
        .rest
        .get("revoke")
        .filter(|_| m.kind == "revoke")
        .and_then(|r| r.get("original_message_id"))
        .and_then(|w| w.as_str())
        .map(str::to_string);
    Ok(Msg {
        wamid: m.id,
        at,
        text,
        attachment,
        location,
        sender_name: m.sender_name,
        sender: value
            .get("from")
            .and_then(|f| f.as_str())
            .and_then(whatsapp_number),
        aside: edit_of.is_some()
            || ASIDE.contains(&m.kind.as_str())
            || (m.kind == "unsupported"
                && m.rest
                    .get("unsupported")
                    .and_then(|u| u.get("type"))
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| UNSUPPORTED_ASIDE.contains(&t))),
        edit_of,
        revokes,
        deleted: None,
        edited: None,
    })
}

// --- The case register -----------------------------------------------------------------

/// One row of the register, as one version of it read.
struct Case {
    no: String,
    /// When Aduan received this version (the row is edited in place and dates none of its
    /// edits: a status changed is known from the version that shows it).
    seen_at: DateTime<Utc>,
    made_at: DateTime<Utc>,
    first_wamid: Option<String>,
    phone: Option<String>,
    summary: Option<String>,
    category: Option<String>,
    agency: Option<String>,
    status: String,
    /// The register's `Nama` (never stored).
    name: Option<String>,
    forwarded_at: Option<DateTime<Utc>>,
    followed_up_at: Option<DateTime<Utc>>,
    /// Whether `forwarded_at`, `followed_up_at` are dates alone (their day's start).
    forwarded_whole_day: bool,
    followed_up_whole_day: bool,
    /// When a closing status closed the thread at the latest (see `closed_at`); `None` when
    /// the register does not date the follow-up (a forwarding's date is no closing's).
    closes_at: Option<DateTime<Utc>>,
    follow_up: Option<String>,
}

impl Case {
    /// When it closed the thread, if its status closes and the register dates it. A case
    /// closed with no date (archived, as incomplete reports are after 10 days) closed at a
    /// time the register does not say, not when its row was made: the sender's silence ends
    /// the thread then (a message an hour after the row is still the same report).
    fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.closes_at.filter(|_| status_in(&self.status, &CLOSING))
    }

    /// The group key of the case's sender: the number its first message's wamid holds (see
    /// [`wamid_number`]), else its `No WA`. Helper wadulreg (session 42): by `No WA` alone, a
    /// case under another number than its thread's sender (a digit mistyped, the reporter's
    /// other number, a number Excel wrote as `6.28123E+12`) was folded in another group than
    /// its thread, where it claimed the thread's identity: the two groups wrote one
    /// complaint in turn, and the case was lost in silence at the sender's next message.
    fn sender(&self) -> Option<String> {
        self.first_wamid
            .as_deref()
            .and_then(wamid_number)
            .and_then(|n| sender_key(&n))
            .or_else(|| self.phone.as_deref().and_then(sender_key))
    }

    fn newest(&self) -> DateTime<Utc> {
        [Some(self.made_at), self.forwarded_at, self.followed_up_at]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.made_at)
    }
}

/// The number a WhatsApp message id holds: the platform's `wamid.…` is base64 of a small
/// record that begins with the chat's number (`1c 18`, its length, its digits), the
/// sender's for a message received. `None` for an id not made so (a test's, a mistyped one).
fn wamid_number(wamid: &str) -> Option<String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;
    // Base64 of either alphabet (`+/` or `-_`), unpadded, a last digit's spare bits allowed:
    // the record's head is read, not the whole id.
    const HEAD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let text = wamid.trim().strip_prefix("wamid.")?;
    // The record's head only: its first bytes, from as many base64 digits as a number of
    // 15 digits and the 3 bytes before it take (24), up to the first that is none (`=`).
    let mut head: String = text
        .chars()
        .take(24)
        .map_while(|c| match c {
            '-' => Some('+'),
            '_' => Some('/'),
            c if c.is_ascii_alphanumeric() || c == '+' || c == '/' => Some(c),
            _ => None,
        })
        .collect();
    // (A digit alone after whole groups of four holds no whole byte.)
    if head.len() % 4 == 1 {
        head.pop();
    }
    let bytes = HEAD.decode(&head).ok()?;
    let [0x1c, 0x18, len, rest @ ..] = bytes.as_slice() else {
        return None;
    };
    let digits = rest.get(..usize::from(*len))?;
    (digits.len() >= 8 && digits.iter().all(u8::is_ascii_digit))
        .then(|| String::from_utf8_lossy(digits).into_owned())
}

/// A register time, and whether it is a date alone (then its day's start).
fn register_time(s: &str) -> Option<(DateTime<Utc>, bool)> {
    match aduan_core::time::parse_wib(s, &["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"]) {
        Some(t) => Some((t, false)),
        None => chrono::NaiveDate::parse_from_str(s.trim(), "%d/%m/%Y")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(aduan_core::time::from_wib)
            .and_then(aduan_core::time::in_range)
            .map(|t| (t, true)),
    }
}

/// The place of column `name` in a register's `header`, its name read as the mapping tables
/// read labels ([`aduan_core::label::label_key`]): letter case, white space and the
/// characters that take no room aside. The register is a hand-kept spreadsheet: a header
/// typed `NO ADUAN` or `tanggal diteruskan` is the contract's (review: such a sheet failed
/// the whole run, and a column so typed was read as missing in every row).
fn column(header: &csv::StringRecord, name: &str) -> Option<usize> {
    let want = aduan_core::label::label_key(name);
    header
        .iter()
        .position(|h| aduan_core::label::label_key(h) == want)
}

/// The columns of the register this connector reads: a sheet without one of them would be
/// misread in every row (a missing `ID Pesan Pertama` makes every case one typed in by hand,
/// beside its thread; a missing `Nama` leaves the reporter's name unknown to the normaliser,
/// which keeps it out of the texts), so such a sheet is refused whole, naming them.
const READ_COLUMNS: [&str; 12] = [
    NO_ADUAN,
    TIMESTAMP,
    FIRST_MESSAGE,
    NO_WA,
    NAME,
    SUMMARY,
    CATEGORY,
    AGENCY,
    STATUS,
    FORWARDED,
    FOLLOWED_UP,
    FOLLOW_UP,
];

/// Why `body` is not the case register, if it is not: the register's CSV begins with its
/// header, the first row that holds anything (a byte order mark, blank lines and rows of
/// empty fields before it are skipped, as the row reader skips them), naming every column
/// this connector reads ([`READ_COLUMNS`], matched as [`column`] matches). The answer says
/// what the body is instead: a web page (a sign-in page for a share link that expired, a
/// proxy's error page: access, not data, is what to look at), nothing, or a sheet whose
/// header lacks the columns it names.
/// What is wrong is said without quoting the body's rows: a sheet's first row, when it is no
/// header, is a case, and a case typed in by hand names its walk-in reporter, a name no
/// pattern can tell from other words (review, session 45: the run's error quoted the answer's
/// first 120 characters, the phone numbers hidden, the name not). It says where instead:
/// the row's line and its number of fields.
pub(crate) fn not_the_register(body: &[u8]) -> Option<String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if is_web_page(body) {
        return Some(
            "a web page, not the case register's CSV: look at the register URL's access \
             (a share link expired, a sign-in, a proxy's page), not at the register's data"
                .into(),
        );
    }
    // JSON in the register's place (a sheet service's error, an API's address): said as
    // such, not as a sheet whose first row names no column (review, session 46).
    if let Some(json) = json_document(body) {
        return Some(format!(
            "{json}, not the case register's CSV: the register URL answers as a web API does \
             (an error of the service that publishes the sheet, or another service's address?): \
             look at the register URL, not at the register's data"
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let header = reader.records().find_map(|r| match r {
        Ok(r) if r.iter().all(|f| f.trim().is_empty()) => None,
        other => Some(other),
    });
    let contract = "`No Aduan,Timestamp,ID Pesan Pertama,No WA,Nama,Ringkasan Aduan,Kategori,\
        OPD Tujuan,Status,Tanggal Diteruskan,Tanggal Tindak Lanjut,Tindak Lanjut,Catatan`";
    let header = match header {
        None => {
            return Some(format!(
                "not the case register's CSV: no header row, {contract}"
            ))
        }
        Some(Err(e)) => {
            return Some(format!(
                "not the case register's CSV: its first row cannot be read as CSV ({e})"
            ))
        }
        Some(Ok(h)) => h,
    };
    let missing: Vec<&str> = READ_COLUMNS
        .iter()
        .filter(|name| column(&header, name).is_none())
        .copied()
        .collect();
    if missing.is_empty() {
        return None;
    }
    if missing.len() == READ_COLUMNS.len() {
        let line = header.position().map_or(1, csv::Position::line);
        return Some(format!(
            "not the case register's CSV: its first row (line {line}, {} field{}) names none \
             of the register's columns (the header row left out, or another sheet \
             published?), {contract}",
            header.len(),
            if header.len() == 1 { "" } else { "s" }
        ));
    }
    Some(format!(
        "the sheet's header row lacks the column{} `{}` of the register's header, {contract}",
        if missing.len() == 1 { "" } else { "s" },
        missing.join("`, `")
    ))
}

/// Keys of a web API's answers (its errors' and envelopes'), any letter case: a JSON object
/// in the register's place is named by those of its keys among them. No other key is quoted:
/// one may be a case's number or a reporter's name.
const API_KEYS: &[&str] = &[
    "error",
    "errors",
    "error_description",
    "message",
    "msg",
    "status",
    "statuscode",
    "code",
    "detail",
    "details",
    "title",
    "type",
    "reason",
    "success",
    "ok",
    "result",
    "data",
];

/// What `body` is when it is a JSON object or array, whole (`a JSON object (its keys
/// `error`, `status`)`, `a JSON array of 3 items`): no value is said.
fn json_document(body: &[u8]) -> Option<String> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if !matches!(first, b'{' | b'[') {
        return None;
    }
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    Some(
        match serde_json::from_slice::<serde_json::Value>(body).ok()? {
            serde_json::Value::Object(members) => {
                let named: Vec<String> = members
                    .keys()
                    .filter(|k| API_KEYS.contains(&k.to_ascii_lowercase().as_str()))
                    .map(|k| format!("`{k}`"))
                    .collect();
                let others = members.len() - named.len();
                match (named.is_empty(), others) {
                    (true, _) => format!("a JSON object of {}", plural(others, "key", "keys")),
                    (false, 0) => format!("a JSON object (its keys {})", named.join(", ")),
                    (false, _) => format!(
                        "a JSON object (its keys {} and {} more)",
                        named.join(", "),
                        plural(others, "key", "keys")
                    ),
                }
            }
            serde_json::Value::Array(items) => {
                format!("a JSON array of {}", plural(items.len(), "item", "items"))
            }
            _ => return None,
        },
    )
}

/// Whether `body` (without its byte order mark) is a web page: its first character that is
/// not white space is `<`. Such an answer is access gone wrong (a sign-in page for a share
/// link that expired, a proxy's page), which its title names; a sheet's rows are never quoted.
pub(crate) fn is_web_page(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

/// Whether `no` is a case number as the contract writes it, `WA-YYYY-NNNN` (`WA` in any
/// letter case; the number of 1 to 6 digits, as a hand-kept sheet may leave out its zeros or
/// outgrow four). A case number becomes a complaint's identity (`external_id`, and so
/// `complaint_id`) when its case names no message: anything else in the column (a reporter's
/// phone number or name typed into the wrong one) must not, for reporters' numbers and
/// names never reach `complaints`. Only the contract's form can say so: a name cannot be
/// told from other words. Its form is read without white space and the characters that take
/// no room (a zero-width space or a word joiner pasted with it from a web page or a chat, as
/// the register's labels are read): the team sees the number it typed, and such a case was
/// stored under its number before the form was asked for (review, session 44: it was
/// quarantined, and its complaint went in the rebuild). The number it stands under is as
/// before, the value trimmed.
pub(crate) fn is_case_number(no: &str) -> bool {
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let seen: String = no
        .chars()
        .filter(|&c| !aduan_core::label::is_space(c) && !aduan_core::label::is_invisible(c))
        .collect();
    let mut parts = seen.split('-');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(wa), Some(year), Some(n), None) => {
            wa.eq_ignore_ascii_case("WA") && digits(year, 4..=4) && digits(n, 1..=6)
        }
        _ => false,
    }
}

/// The `No Aduan` of a register row (a header line and the row), if it has one that is a
/// case number ([`is_case_number`]): the case it is a version of.
pub(crate) fn case_number(payload: &[u8]) -> Option<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(payload);
    let i = column(reader.headers().ok()?, NO_ADUAN)?;
    let row = reader.records().next()?.ok()?;
    row.get(i)
        .map(str::trim)
        .filter(|v| is_case_number(v))
        .map(str::to_string)
}

fn case(raw: &RawRecord) -> Result<Case, FieldError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(raw.payload.as_slice());
    let bad =
        |field: &str, reason: String| FieldError::new(CHANNEL, &raw.source_ref, field, reason);
    let headers = reader
        .headers()
        .map_err(|e| bad("", format!("not a CSV row: {e}")))?
        .clone();
    let row = reader
        .records()
        .next()
        .ok_or_else(|| bad("", "a header without a row".into()))?
        .map_err(|e| bad("", format!("not a CSV row: {e}")))?;
    // A cell holding a dash alone (`-`, `–`, `—`) is empty, as a hand-kept sheet writes
    // "none" (helper wadulreg, session 42: `Tindak Lanjut` `-` was a follow-up, the case
    // answered when it was made; a date or `No WA` `-` quarantined the case).
    let get = |name: &str| -> Option<String> {
        let i = column(&headers, name)?;
        row.get(i)
            .map(str::trim)
            .filter(|v| !v.chars().all(|c| matches!(c, '-' | '–' | '—')))
            .map(str::to_string)
    };
    let no = get(NO_ADUAN).ok_or_else(|| bad(NO_ADUAN, "empty or missing".into()))?;
    // A value that is no case number is not read as one, nor quoted (it may be a reporter's
    // number or name, typed into the wrong column): the row is quarantined under its place
    // in the sheet until the team writes its number (see `is_case_number`). Review: a phone
    // number typed here became the complaint's `external_id`.
    if !is_case_number(&no) {
        let what = if aduan_core::contacts::contacts(&no) != no.as_str()
            || aduan_core::phone::to_e164(&no).is_some()
        {
            "a phone number or e-mail address"
        } else {
            "a value"
        };
        return Err(bad(
            NO_ADUAN,
            format!(
                "{what} that is no case number of the contract's form WA-YYYY-NNNN (not \
                 shown: it may be the reporter's); the row is read once the team writes its \
                 case number"
            ),
        ));
    }
    let record = format!("case {no}");
    let bad = |field: &str, reason: String| FieldError::new(CHANNEL, &record, field, reason);
    let time = |field: &str| -> Result<Option<(DateTime<Utc>, bool)>, FieldError> {
        match get(field) {
            None => Ok(None),
            Some(v) => register_time(&v).map(Some).ok_or_else(|| {
                bad(
                    field,
                    format!("not d/m/yyyy [H:mm:ss]: {}", aduan_core::time::quoted(&v)),
                )
            }),
        }
    };
    let made_at = time(TIMESTAMP)?
        .ok_or_else(|| bad(TIMESTAMP, "empty or missing".into()))?
        .0;
    let forwarded = time(FORWARDED)?;
    let followed_up = time(FOLLOWED_UP)?;
    // The latest the case can have closed: its answer's date (a date alone is its day's
    // end, as a message earlier that day may have come before the answer). Not its
    // forwarding's: a case is forwarded to an agency before it is answered and closed, so
    // a case finished with only its forwarding dated closed at a time the register does not
    // say, as one closed with no date (review, session 44: its thread was cut at the end of
    // the forwarding's day, and the reporter's next message within the day was a new
    // complaint).
    let closes_at = followed_up
        .map(|(t, whole_day)| {
            if whole_day {
                t.checked_add_signed(Duration::seconds(24 * 3600 - 1))
                    .unwrap_or(t)
            } else {
                t
            }
        })
        .map(|t| t.max(made_at));
    let status = get(STATUS).ok_or_else(|| bad(STATUS, "empty or missing".into()))?;
    let phone = get(NO_WA);
    if let Some(p) = &phone {
        if sender_key(p).is_none() {
            return Err(bad(NO_WA, "not a WhatsApp number".into()));
        }
    }
    Ok(Case {
        seen_at: raw.received_at,
        made_at,
        // A message's id is a `wamid.…` (the contract); another value (`tidak ada`, `walk
        // in`) names no message, and is none: claimed as a thread's identity, every case
        // writing it was one complaint, each sender's group writing it in turn (helper
        // wadulreg, session 42).
        first_wamid: get(FIRST_MESSAGE).filter(|w| w.starts_with("wamid.")),
        phone,
        name: get(NAME),
        summary: get(SUMMARY),
        category: get(CATEGORY),
        agency: get(AGENCY),
        status,
        forwarded_at: forwarded.map(|(t, _)| t),
        followed_up_at: followed_up.map(|(t, _)| t),
        forwarded_whole_day: forwarded.is_some_and(|(_, whole)| whole),
        followed_up_whole_day: followed_up.is_some_and(|(_, whole)| whole),
        closes_at,
        follow_up: get(FOLLOW_UP),
        no,
    })
}

/// Whether a register row holds nothing: every field empty (a spreadsheet's empty row,
/// exported as `,,,,`; archived as a case row before the register's reader skipped such
/// rows). It is no case, and no record to quarantine (helper wadulreg, session 42: each was
/// quarantined as a case without its `No Aduan`, an entry that never closed).
fn blank_row(raw: &RawRecord) -> bool {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(raw.payload.as_slice());
    let mut rows = reader.byte_records();
    match (rows.next(), rows.next()) {
        (Some(Ok(row)), None) => row.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)),
        _ => false,
    }
}

/// The header of the note the connector archives when a case leaves the register (see
/// [`departure`]): the case's number, and when its absence was read.
const LEFT_HEADER: [&str; 2] = [NO_ADUAN, "Tidak Lagi di Register Sejak"];

/// The note that case `no` was no longer in the register read at `at`: archived as one more
/// version of the case, so that the fold, and a rebuild from the archive, know the case left
/// (the register is re-read whole, and a row gone leaves nothing else behind). Its own bytes
/// each time (the time is in it): a case that leaves, comes back and leaves again is noted
/// again. It holds the number and the time only.
pub(crate) fn departure(no: &str, at: DateTime<Utc>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let at = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let written = writer
        .write_record(LEFT_HEADER)
        .and_then(|()| writer.write_record([no, at.as_str()]));
    match (written, writer.into_inner()) {
        (Ok(()), Ok(bytes)) => bytes,
        // (Writing to memory does not fail; a note that could not be written is none.)
        _ => Vec::new(),
    }
}

/// The number of the case a departure note (see [`departure`]) says left; `None` for any
/// other payload.
pub(crate) fn left_case(payload: &[u8]) -> Option<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(payload);
    let headers = reader.headers().ok()?;
    if !headers.iter().eq(LEFT_HEADER) {
        return None;
    }
    let row = reader.records().next()?.ok()?;
    row.get(0)
        .filter(|no| !no.trim().is_empty())
        .map(str::to_string)
}

/// The group of a case without a number to join by: its own.
fn case_key(no: &str) -> String {
    format!("case:{no}")
}

/// The group holding every version of a case row, its own (see `Fold::versions`): a row is
/// edited in place, and its `No WA` may change, leaving an older version linked under a
/// sender the case no longer has. `None` for a webhook body.
pub(crate) fn versions(raw: &RawRecord) -> Option<String> {
    if is_webhook(raw) {
        return None;
    }
    if let Some(no) = left_case(&raw.payload) {
        return Some(case_key(&no));
    }
    case(raw).ok().map(|c| case_key(&c.no))
}

/// The groups of a payload: the senders of a webhook body's messages (none for a body of
/// delivery receipts only), or a case's sender (when it names one) and its own group.
pub(crate) fn keys(raw: &RawRecord) -> Result<Vec<String>, FieldError> {
    if is_webhook(raw) {
        let mut keys = Vec::new();
        for m in &messages_of(raw)? {
            let key = message_key(m).unwrap_or_else(|own| own);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        return Ok(keys);
    }
    if blank_row(raw) {
        return Ok(Vec::new());
    }
    // A case's departure is one of its versions, in its own group: every group holding a
    // version of the case is folded with it (see `Fold::versions`). Alone it changes no
    // complaint (see `fold_with`), so no other group needs it at once.
    if let Some(no) = left_case(&raw.payload) {
        return Ok(vec![case_key(&no)]);
    }
    let c = case(raw)?;
    // Its own group too: a case whose number is filled in later is met there again, and the
    // complaint it stood as alone (under its `No Aduan`) goes as it joins its sender's.
    let mut keys: Vec<String> = c.sender().into_iter().collect();
    keys.push(case_key(&c.no));
    Ok(keys)
}

/// A case naming a message, as a case that left the register is followed (see `fold_with`).
struct Timed {
    /// When its first version was read.
    first: DateTime<Utc>,
    no: String,
    /// The message it names.
    message: String,
    /// When it left the register, if it did (and has not come back).
    left: Option<DateTime<Utc>>,
}

/// One complaint in the making: a thread, maybe with its case.
struct Thread {
    messages: Vec<Msg>,
    case: Option<usize>,
}

/// Folds every payload of sender `key` into the sender's complaints.
pub(crate) fn fold(key: &str, raws: &[RawRecord]) -> Folded {
    fold_with(key, raws, true)
}

/// Folds some of sender `key`'s threads (see `aduan_core::Window`): their messages with every
/// case of the sender. The complaints of those threads only: a case whose thread is not
/// among them may have it in a thread not read.
pub(crate) fn fold_threads(key: &str, raws: &[RawRecord]) -> Folded {
    fold_with(key, raws, false)
}

/// The times of sender `key`'s messages in a webhook body, first and last; its time of
/// receipt when none of them can be read (what it makes is errors, told when it came), and
/// `None` for a case row (read with every fold of the sender: its closing splits threads).
/// A deletion's span reaches back to the first message it can delete (see [`REVOKE_WITHIN`]):
/// a fold at it reads that message, one at the message reads it.
pub(crate) fn span(key: &str, raw: &RawRecord) -> Option<Span> {
    timed(key, raw).map(|(span, _)| span)
}

/// Where a body of the sender's deletions alone begins its run (see
/// `aduan_core::Window::run_from`): at its first deletion, not three days before, as far as
/// its [`span`] reaches (session 47: a sender deleting a message every few days chained those
/// reaches, and a fold at their newest message read their whole history). A deletion is an
/// aside, and changes only a message within its span. `None` for any other payload: a body
/// with a message too is its span's run whole, so that a fold its span touches reads every
/// message of it with its run.
pub(crate) fn run_from(key: &str, raw: &RawRecord) -> Option<DateTime<Utc>> {
    timed(key, raw).and_then(|(_, run_from)| run_from)
}

/// [`span`] and [`run_from`] of a payload.
fn timed(key: &str, raw: &RawRecord) -> Option<(Span, Option<DateTime<Utc>>)> {
    if !is_webhook(raw) {
        return None;
    }
    let mut span: Option<Span> = None;
    // The first deletion's time while every message read is a deletion.
    let mut deletions_from: Option<Option<DateTime<Utc>>> = None;
    for (j, value) in messages_of(raw).unwrap_or_default().iter().enumerate() {
        if message_key(value).as_deref() != Ok(key) {
            continue;
        }
        if let Ok(m) = message(value, j, &raw.source_ref) {
            let from = match m.revokes {
                Some(_) => m.at - REVOKE_WITHIN,
                None => m.at,
            };
            let first = deletions_from.unwrap_or(Some(m.at));
            deletions_from = Some(first.filter(|_| m.revokes.is_some()).map(|f| f.min(m.at)));
            span = Some(span.map_or((from, m.at), |(a, b)| (a.min(from), b.max(m.at))));
        }
    }
    Some(match span {
        Some(span) => (span, deletions_from.flatten()),
        None => ((raw.received_at, raw.received_at), None),
    })
}

/// Folds sender `key`'s payloads; with `alone`, cases whose thread is not among them stand
/// as complaints of their own.
fn fold_with(key: &str, raws: &[RawRecord], alone: bool) -> Folded {
    let mut folded = Folded::default();
    let mut messages: BTreeMap<String, Msg> = BTreeMap::new();
    // Every version of each case, in the order they came (rows are edited in place: the
    // newest says what the case is now, the others what it was).
    let mut cases: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    // Each edited message's edits: (when, its wamid, the new words, its sender).
    type Edit = (DateTime<Utc>, String, String, Option<String>);
    let mut edits: HashMap<String, Vec<Edit>> = HashMap::new();
    // Each deleted message's deletions: when they came, and their sender.
    type Revoke = (DateTime<Utc>, Option<String>);
    let mut revokes: HashMap<String, Vec<Revoke>> = HashMap::new();
    // Each case that left the register: how many of its versions came before it left, and
    // when it left (the first note after them: a note repeated says nothing new).
    let mut gone: HashMap<String, (usize, DateTime<Utc>)> = HashMap::new();
    for (i, raw) in raws.iter().enumerate() {
        if is_webhook(raw) {
            let list = match messages_of(raw) {
                Ok(l) => l,
                Err(e) => {
                    folded.errors.push((i, e));
                    continue;
                }
            };
            for (j, value) in list.iter().enumerate() {
                match message_key(value) {
                    Ok(k) if k == key => {}
                    Err(own) if own == key => {
                        // The number is not quoted: it may be one, written wrong. Nor is
                        // the message's wamid, which holds its sender's number: the record
                        // is the body (the field names the message in it).
                        let record = raw.source_ref.clone();
                        folded.errors.push((
                            i,
                            FieldError::new(
                                CHANNEL,
                                &record,
                                format!("messages[{j}].from"),
                                "not a WhatsApp id (a phone number in international form)",
                            ),
                        ));
                        continue;
                    }
                    _ => continue,
                }
                // A message that cannot be read is quarantined with its body; the sender's
                // other messages in it are still folded.
                match message(value, j, &raw.source_ref) {
                    Ok(Msg {
                        edit_of: Some(of),
                        text: Some(text),
                        at,
                        wamid,
                        sender,
                        ..
                    }) => edits.entry(of).or_default().push((at, wamid, text, sender)),
                    Ok(Msg {
                        revokes: Some(of),
                        at,
                        sender,
                        ..
                    }) => revokes.entry(of).or_default().push((at, sender)),
                    Ok(m) if m.aside => {}
                    Ok(m) => {
                        messages.entry(m.wamid.clone()).or_insert(m);
                    }
                    Err(e) => folded.errors.push((i, e)),
                }
            }
        } else if let Some(no) = left_case(&raw.payload) {
            let before = cases.get(&no).map_or(0, Vec::len);
            if gone.get(&no).is_none_or(|(n, _)| *n != before) {
                gone.insert(no, (before, raw.received_at));
            }
        } else if !blank_row(raw) {
            match case(raw) {
                Ok(c) => cases.entry(c.no.clone()).or_default().push(c),
                Err(e) => folded.errors.push((i, e)),
            }
        }
    }
    // A message its sender deleted says nothing: its words, caption and place are gone (it
    // stays in its thread, at its time). An edited one says what its latest edit says (its
    // caption, for media). Each only from its message's time to as long after it as it
    // counts (see `EDIT_WITHIN`, `REVOKE_WITHIN`): so far a fold at either reads the other.
    // Each only by the message's own sender, the only one the platform lets delete or edit
    // it (a group may hold two senders, see `open` below; review, session 46: one's deletion
    // or edit naming the other's message changed the other's complaint).
    let within = |at: DateTime<Utc>, m: &Msg, limit: Duration| at >= m.at && at - m.at <= limit;
    for m in messages.values_mut() {
        let deleted = revokes.get(&m.wamid).and_then(|list| {
            list.iter()
                .filter(|(at, by)| *by == m.sender && within(*at, m, REVOKE_WITHIN))
                .map(|(at, _)| *at)
                .min()
        });
        if deleted.is_some() {
            m.deleted = deleted;
            m.text = None;
            m.attachment = None;
            m.location = None;
            continue;
        }
        // Its edits in the order they came (by time, then wamid): what it says after each,
        // and when the last that changed it came (session 49: the complaint was changed then,
        // as by a deletion; an edit writing its words again changes nothing). Changed as
        // shown (see `shown`): an edit of a number, an address or a link's token for
        // another, all hidden, or of spaces, changes no text the city keeps (session 50: it
        // moved `updated_at`); the message still says what its latest edit says.
        let mut counted: Vec<&Edit> = edits.get(&m.wamid).map_or_else(Vec::new, |list| {
            list.iter()
                .filter(|(at, _, _, by)| *by == m.sender && within(*at, m, EDIT_WITHIN))
                .collect()
        });
        counted.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut says = (m.text.clone(), m.attachment.clone());
        for (at, _, text, _) in counted {
            let now = match (&m.text, &m.attachment) {
                (None, Some(a)) => {
                    let kind = a.split(']').next().unwrap_or_default();
                    (None, Some(format!("{kind}] {text}").trim_end().to_string()))
                }
                _ => (Some(text.clone()), m.attachment.clone()),
            };
            let as_shown = |(text, attachment): &(Option<String>, Option<String>)| {
                (text.as_deref().map(shown), attachment.as_deref().map(shown))
            };
            if as_shown(&now) != as_shown(&says) {
                m.edited = Some(*at);
            }
            says = now;
        }
        (m.text, m.attachment) = says;
    }
    // In a case's own group, a case that names its sender now is folded in the sender's.
    // In a sender's group, only the sender's cases: a payload linked under a key an older
    // version read its number as (kept in the archive's links) is not another's.
    // (By the newest version's number.)
    let sender_now = |versions: &Vec<Case>| versions.last().and_then(Case::sender);
    if key.starts_with("case:") {
        cases.retain(|_, v| sender_now(v).is_none());
    } else {
        cases.retain(|_, v| sender_now(v).as_deref() == Some(key));
    }
    // A case renumbered in the register (its `No Aduan` edited, or its row deleted and typed
    // again under another number) leaves under its old number and comes under the new one:
    // the new case carries on the old one's part, its versions after the old one's (helper
    // renumber, session 42: the thread stayed at the status of the number gone, and the case
    // as the register has it now stood beside it as a second complaint). A case naming a
    // message follows, of the cases naming it that left the register no later than the
    // read it first came in, the one that left last (the first by `No Aduan` of those that
    // left in one read), each followed once, the cases taken in the order they came. A case
    // that left and has no follower is kept as it was last read: a sheet cut short, a row
    // deleted by mistake, change nothing (a departure alone changes no complaint, so that
    // the groups it is not folded with at once are right as they stand; a case that comes
    // back is no longer gone). `stands_for`: a follower's place among the cases of its
    // message, the number of the case it follows.
    let named = |v: &Vec<Case>| v.last().and_then(|c| c.first_wamid.clone());
    // Each case naming a message: when it was first read, and when it left, if it did.
    let mut timed: Vec<Timed> = cases
        .iter()
        .filter_map(|(no, v)| {
            Some(Timed {
                first: v.iter().map(|c| c.seen_at).min()?,
                no: no.clone(),
                message: named(v)?,
                left: gone
                    .get(no)
                    .filter(|(n, _)| *n == v.len())
                    .map(|(_, at)| *at),
            })
        })
        .collect();
    timed.sort_by(|a, b| (a.first, &a.no).cmp(&(b.first, &b.no)));
    let mut stands_for: HashMap<String, String> = HashMap::new();
    let mut followed: HashSet<String> = HashSet::new();
    for t in &timed {
        // The case that left last before this one came, of those naming its message (the
        // first by `No Aduan` of those that left in one read).
        let before_it = timed
            .iter()
            .filter(|o| {
                o.no != t.no
                    && o.message == t.message
                    && !followed.contains(&o.no)
                    && o.left.is_some_and(|at| at <= t.first)
            })
            .max_by(|a, b| a.left.cmp(&b.left).then_with(|| b.no.cmp(&a.no)))
            .map(|o| o.no.clone());
        let Some(gone_case) = before_it else {
            continue;
        };
        let Some(old) = cases.remove(&gone_case) else {
            continue;
        };
        followed.insert(gone_case.clone());
        let place = stands_for.remove(&gone_case).unwrap_or(gone_case);
        stands_for.insert(t.no.clone(), place);
        if let Some(versions) = cases.get_mut(&t.no) {
            let own = std::mem::replace(versions, old);
            versions.extend(own);
        }
    }
    // Each case as it is now, and its versions before.
    let (cases, before): (Vec<Case>, Vec<Vec<Case>>) = cases
        .into_values()
        .filter_map(|mut versions| versions.pop().map(|now| (now, versions)))
        .unzip();
    // A thread is one complaint: of cases naming the same first message (a report the team
    // split for two agencies), the first by `No Aduan` joins it (a case followed in its
    // place, see `stands_for`), the others stand on their own under their numbers.
    let place = |c: &Case| {
        stands_for
            .get(&c.no)
            .cloned()
            .unwrap_or_else(|| c.no.clone())
    };
    let mut by_wamid: HashMap<&str, usize> = HashMap::new();
    for (i, c) in cases.iter().enumerate() {
        if let Some(w) = c.first_wamid.as_deref() {
            let first = by_wamid.get(w).copied();
            if first.is_none_or(|f| place(c) < place(&cases[f])) {
                by_wamid.insert(w, i);
            }
        }
    }
    let mut sorted: Vec<Msg> = messages.into_values().collect();
    sorted.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.wamid.cmp(&b.wamid)));
    let mut threads: Vec<Thread> = Vec::new();
    // Each sender's open thread: a group may hold two senders, a number abroad beginning
    // with 8 (Japan's `819012345678`) and an Indonesian one of the same digits after `62`,
    // whose messages are never one thread (review: their words were one complaint).
    let mut open: HashMap<Option<String>, usize> = HashMap::new();
    for m in sorted {
        let case = by_wamid.get(m.wamid.as_str()).copied();
        let last = open.get(&m.sender).copied();
        let joins = last.map(|i| &threads[i]).is_some_and(|t| {
            let last = t.messages.last().map_or(m.at, |l| l.at);
            let silent = m.at - last >= THREAD_GAP;
            let closed = t
                .case
                .and_then(|c| cases[c].closed_at())
                .is_some_and(|at| m.at > at);
            // The first message of another case starts that case's thread (a greeting
            // archived with no date, then the report the team made a case of).
            let another_case = case.is_some() && t.case.is_some() && case != t.case;
            !silent && !closed && !another_case
        });
        match last {
            Some(i) if joins => {
                let t = &mut threads[i];
                if t.case.is_none() {
                    t.case = case;
                }
                t.messages.push(m);
            }
            _ => {
                open.insert(m.sender.clone(), threads.len());
                threads.push(Thread {
                    messages: vec![m],
                    case,
                });
            }
        }
    }
    let mut joined = vec![false; cases.len()];
    for t in &threads {
        if let Some(c) = t.case {
            joined[c] = true;
        }
        let case = t.case.map(|c| (&cases[c], before[c].as_slice()));
        folded.complaints.push(complaint(key, Some(t), case, false));
    }
    // Cases whose thread has not arrived (or that have none) stand on their own.
    for (c, case) in cases.iter().enumerate() {
        if alone && !joined[c] {
            let claims = case
                .first_wamid
                .as_deref()
                .is_some_and(|w| by_wamid.get(w) == Some(&c));
            folded
                .complaints
                .push(complaint(key, None, Some((case, &before[c])), claims));
        }
    }
    folded
}

/// The complaint of `thread` and/or `case` (as it is now, and its versions before, oldest
/// first); a case alone is under its first message's id when it `claims` it (its thread, not
/// here yet, will be that complaint), else its number.
fn complaint(
    key: &str,
    thread: Option<&Thread>,
    case: Option<(&Case, &[Case])>,
    claims: bool,
) -> SourceComplaint {
    let (case, before) = match case {
        Some((now, before)) => (Some(now), before),
        None => (None, &[][..]),
    };
    let messages = thread.map_or(&[][..], |t| t.messages.as_slice());
    let wamid = messages
        .first()
        .map(|m| m.wamid.clone())
        // A case in a group of its own (no number: no `No WA`, and a wamid holding none)
        // never meets its thread, which is in its sender's group under the thread's first wamid: it keeps its No Aduan, so that the
        // two groups never write one complaint in turn.
        .or_else(|| {
            case.and_then(|c| c.first_wamid.clone())
                .filter(|_| claims && !key.starts_with("case:"))
        });
    // A wamid holds its sender's number (WhatsApp encodes it in the id): the thread is
    // identified by it, stored only as its keyed hash (`wa-{hash}`). A case typed in by hand
    // keeps its No Aduan.
    let (external_id, external_id_private) = match wamid {
        Some(w) => (WAMID_ID.to_string(), Some(w)),
        None => (case.map(|c| c.no.clone()).unwrap_or_default(), None),
    };
    let mut lines = Vec::new();
    let mut events = Vec::new();
    let mut place = SourcePlace::default();
    for m in messages {
        let text = match (&m.text, &m.attachment) {
            (Some(t), _) => t.clone(),
            (None, Some(a)) => a.clone(),
            (None, None) => String::new(),
        };
        if !text.is_empty() {
            lines.push(text.clone());
        }
        let text = match m.deleted {
            Some(_) => DELETED.to_string(),
            None => text,
        };
        if let Some((lat, lng, address)) = &m.location {
            place.latitude = *lat;
            place.longitude = *lng;
            place.address = address.as_deref().map(as_html);
        }
        events.push(SourceEvent {
            at: m.at,
            kind: EventKind::Message,
            actor: Some("pelapor".into()),
            text: Some(text),
        });
    }
    let reported_at = messages
        .first()
        .map(|m| m.at)
        .or_else(|| case.map(|c| c.made_at))
        .unwrap_or_default();
    let mut updated_at = messages.last().map_or(reported_at, |m| m.at);
    events.insert(
        0,
        SourceEvent {
            at: reported_at,
            kind: EventKind::Created,
            actor: None,
            text: None,
        },
    );
    let mut resolved_at = None;
    if let Some(c) = case {
        let last_message = updated_at;
        updated_at = updated_at.max(c.newest());
        // A date alone stands for its day's start; an answer on the day the complaint came
        // came after it (else the same day's answers would have taken "negative" hours and
        // drop out of the analysts' averages): the later of the two.
        let on = |at: Option<DateTime<Utc>>, whole_day: bool| {
            at.map(|t| if whole_day { t.max(reported_at) } else { t })
        };
        // The case's history is its versions': the row is edited in place, and a follow-up,
        // a reopening and another follow-up leave one version each. The newest version's
        // dated steps are events; an earlier version's too, when dated between the
        // complaint and the time the version after it came (what the team had written by
        // then: a step dated otherwise was a slip of the keyboard the next version put
        // right), each time once, as its latest version words it. A status changed from one
        // version to the next is a change seen when that version came (never before the one
        // before it: a row edited back to an earlier version is that version come again,
        // dated when it first came). The resolution is the current finish's: the newest
        // version's follow-up date while the case stays finished (a corrected date moves it),
        // else when the finish was first seen (when its version came, if an earlier version
        // said otherwise; else the row's newest date: a case first read finished says no
        // more); a reopening clears it. A forwarding the register never dates is a
        // disposition when the version saying it came after one that did not, else at the
        // row's newest date (review: a case forwarded with `Tanggal Diteruskan` left empty
        // had no first response).
        let versions: Vec<&Case> = before.iter().chain(std::iter::once(c)).collect();
        let mut seen = Vec::with_capacity(versions.len());
        for v in &versions {
            let at = seen
                .last()
                .map_or(v.seen_at, |last: &DateTime<Utc>| v.seen_at.max(*last));
            seen.push(at);
        }
        let mut dispositions: BTreeMap<DateTime<Utc>, Option<String>> = BTreeMap::new();
        let mut follow_ups: BTreeMap<DateTime<Utc>, (Option<String>, Option<String>)> =
            BTreeMap::new();
        let mut finished_since: Option<usize> = None;
        let mut forwarded_undated: Option<(DateTime<Utc>, Option<String>)> = None;
        for (i, v) in versions.iter().enumerate() {
            let replaced_at = seen.get(i + 1).copied();
            let kept =
                |at: &DateTime<Utc>| replaced_at.is_none_or(|r| *at >= reported_at && *at <= r);
            if let Some(at) = on(v.forwarded_at, v.forwarded_whole_day).filter(kept) {
                dispositions.insert(at, v.agency.clone());
            }
            // A follow-up the register dates is one, its text given or not.
            if let Some(at) = on(v.followed_up_at, v.followed_up_whole_day).filter(kept) {
                follow_ups.insert(at, (v.agency.clone(), v.follow_up.clone()));
            }
            let previous = i.checked_sub(1).and_then(|p| versions.get(p));
            // A case first read forwarded says no more than its row, as a finish first read
            // (review: it had no disposition, and no first response).
            if i == 0 && status_in(&v.status, &[FORWARDING]) {
                forwarded_undated = Some((v.newest().max(reported_at), v.agency.clone()));
            }
            if previous.is_some_and(|p| !status_in(&v.status, &[p.status.as_str()])) {
                let at = seen[i].max(reported_at);
                if status_in(&v.status, &[FORWARDING]) && forwarded_undated.is_none() {
                    forwarded_undated = Some((at, v.agency.clone()));
                }
                updated_at = updated_at.max(at);
                events.push(SourceEvent {
                    at,
                    kind: EventKind::StatusChange,
                    actor: Some("Tim Pengaduan Kota".into()),
                    text: Some(v.status.clone()),
                });
            }
            if !status_in(&v.status, &FINISHED) {
                finished_since = None;
            } else if finished_since.is_none() {
                finished_since = Some(i);
            }
        }
        if let Some((i, first)) = finished_since.and_then(|i| Some((i, versions.get(i)?))) {
            let finished = match i {
                0 => first.newest(),
                _ => seen[i].max(reported_at),
            };
            resolved_at = Some(
                on(c.followed_up_at, c.followed_up_whole_day).unwrap_or(last_message.max(finished)),
            );
        }
        // The answer written without its date (`Tindak Lanjut` given, `Tanggal Tindak Lanjut`
        // empty) is a follow-up too, when the version first saying it came (a case first
        // read so says no more than its row), as an undated forwarding is a disposition.
        if let (None, Some(text)) = (c.followed_up_at, c.follow_up.as_deref()) {
            let since = versions
                .iter()
                .rposition(|v| v.followed_up_at.is_some() || v.follow_up.as_deref() != Some(text))
                .map_or(0, |i| i + 1);
            let at = match since {
                0 => c.newest().max(reported_at),
                i => seen[i].max(reported_at),
            };
            if !follow_ups.values().any(|(_, t)| t.as_deref() == Some(text)) {
                follow_ups.insert(at, (c.agency.clone(), Some(text.to_string())));
            }
        }
        if dispositions.is_empty() {
            if let Some((at, agency)) = forwarded_undated {
                dispositions.insert(at, agency);
            }
        }
        for (at, agency) in dispositions {
            events.push(SourceEvent {
                at,
                kind: EventKind::Disposition,
                actor: Some("Tim Pengaduan Kota".into()),
                text: agency.map(|a| format!("Diteruskan ke {a}")),
            });
        }
        for (at, (agency, text)) in follow_ups {
            events.push(SourceEvent {
                at,
                kind: EventKind::FollowUp,
                actor: agency,
                text,
            });
        }
    }
    // A message its sender deleted changed the complaint's text when it left (from its first
    // deletion): the complaint was changed then, whether some of the thread's messages left
    // or all of them (review, session 47: a thread some of whose messages left kept its last
    // message's `updated_at`, before the change).
    if let Some(at) = messages.iter().filter_map(|m| m.deleted).max() {
        updated_at = updated_at.max(at);
    }
    // So did an edit that changed a message's words, when the latest such edit came
    // (session 49: it kept its last message's `updated_at`, before the change).
    if let Some(at) = messages.iter().filter_map(|m| m.edited).max() {
        updated_at = updated_at.max(at);
    }
    // Every message of the thread deleted by its sender (a thread has one at least): when
    // the last of them left (each from its first deletion), a change of status the history
    // says, as a case's do.
    let withdrawn = match messages
        .iter()
        .map(|m| m.deleted)
        .collect::<Option<Vec<_>>>()
    {
        Some(times) => times.into_iter().max(),
        None => None,
    };
    if let Some(at) = withdrawn.filter(|_| case.is_none()) {
        events.push(SourceEvent {
            at,
            kind: EventKind::StatusChange,
            actor: Some("pelapor".into()),
            text: Some(WITHDRAWN.to_string()),
        });
    }
    let withdrawn = withdrawn.is_some();
    let body = if lines.is_empty() {
        case.and_then(|c| c.summary.clone())
            .unwrap_or_else(|| match withdrawn {
                true => DELETED.to_string(),
                false => String::new(),
            })
    } else {
        lines.join("\n")
    };
    let title = case
        .and_then(|c| c.summary.clone())
        .or_else(|| Some(title_of(lines.first()?.lines().next()?.trim())));
    for e in &mut events {
        e.text = e.text.as_deref().map(as_html);
    }
    SourceComplaint {
        channel: CHANNEL.into(),
        external_id,
        external_id_private,
        standing: aduan_core::Standing::Own,
        kind_label: None,
        urgency_label: None,
        category_labels: case.and_then(|c| c.category.clone()).into_iter().collect(),
        category_national: false,
        title: title.as_deref().map(as_html),
        body: Some(as_html(&body)),
        status_label: match case {
            Some(c) => c.status.clone(),
            None if withdrawn => WITHDRAWN.to_string(),
            None => NO_CASE.to_string(),
        },
        agencies: case.and_then(|c| c.agency.clone()).into_iter().collect(),
        place,
        // The number as WhatsApp gives it; a case alone, its `No WA` as the register writes
        // it (the group key reads `+852 9123 4567` as an Indonesian `0852…` with its 0
        // lost: review), else its sender's key.
        reporter_phone: if key.starts_with("case:") {
            None
        } else {
            match messages.iter().find_map(|m| m.sender.as_deref()) {
                Some(number) => Some(format!("+{number}")),
                None => case
                    .and_then(|c| c.phone.clone())
                    .or_else(|| Some(format!("+{key}"))),
            }
        },
        reporter_email: None,
        reporter_names: {
            let mut names: Vec<String> = Vec::new();
            let given = messages.iter().filter_map(|m| m.sender_name.clone());
            for n in given.chain(case.and_then(|c| c.name.clone())) {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            names
        },
        anonymous: false,
        confidential: false,
        reported_at,
        updated_at,
        resolved_at,
        first_response_at: None,
        events,
    }
}

/// Plain text written as HTML text (`&`, `<`, `>` escaped): the normaliser reads every
/// channel's text as HTML (Lapor Gub!'s comes from a web editor), and a chat's `<data
/// terlampir>` or a literal `&lt;` are words, not markup.
fn as_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
