//! Deterministic generation of Wadul Aladin's data: WhatsApp senders, their threads of
//! messages, the auto-reply's delivery receipts, and the register's cases.
//!
//! Sender `i` has its own RNG (seeded from the simulator seed and `i`) and draws 1–3
//! threads. Within a thread consecutive messages are less than 24 hours apart; the sender's
//! next thread starts more than 24 hours after the previous one's last message, or (for
//! about a fifth of follow-on threads) sooner but after the previous thread's case closed,
//! as the connector reads the close ([`Case::closed_at`]). So the connector's threading
//! rule finds exactly the generated threads. About 70% of threads get a case; cases typed
//! in by hand (walk-ins) come from their own RNG. Once all cases are made they are sorted
//! by `Timestamp` (the sheet's order) and numbered `WA-YYYY-NNNN` per year.

use std::collections::HashSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::register::{working, Case, Stamp, Status, DAY, HOUR, MINUTE};
use super::topics::{notes, Topic, FOLLOW_UPS, GREETINGS, TOPICS};
use crate::reference::reference;
use crate::text::{
    mix64, pick_str, weighted, Fill, FIRST_NAMES, LAST_NAMES, PHONE_PREFIXES, STREETS,
};

/// 2024-01-01 00:00 WIB: the first messages.
pub(crate) const START: i64 = 1_704_042_000;
/// 2025-11-15 00:00 WIB: no thread starts later (its case has time to move on).
pub(crate) const LAST_START: i64 = 1_763_139_600;

/// A WhatsApp user who wrote to the line.
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    /// The WhatsApp id, digits `62…`.
    pub(crate) wa_id: String,
    /// The profile name WhatsApp shows (`contacts[].profile.name`).
    pub(crate) profile: String,
    /// The name the team writes into the register.
    pub(crate) name: String,
}

/// A message's content, serialized as the Cloud API's `"text": {...}`, `"image": {...}`….
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Content {
    Text { body: String },
    Image(Media),
    Video(Media),
    Document(Media),
    Location(Place),
}

impl Content {
    /// The message's `type`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Content::Text { .. } => "text",
            Content::Image(_) => "image",
            Content::Video(_) => "video",
            Content::Document(_) => "document",
            Content::Location(_) => "location",
        }
    }
}

/// A media object of a message.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Media {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) caption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) filename: Option<String>,
    pub(crate) mime_type: &'static str,
    /// Base64 of the file's SHA-256, as the platform sends it.
    pub(crate) sha256: String,
    pub(crate) id: String,
}

/// A shared location; a pinned place has a name and an address, the sender's current
/// position has neither.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Place {
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<String>,
}

/// An incoming message.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) wamid: String,
    /// Unix seconds.
    pub(crate) at: i64,
    pub(crate) content: Content,
}

/// A delivery receipt of the auto-reply to a thread's first message (`statuses[]`).
#[derive(Debug, Clone)]
pub(crate) struct Receipt {
    /// The outgoing message's `wamid`.
    pub(crate) id: String,
    /// `sent`, `delivered` or `read`.
    pub(crate) status: &'static str,
    pub(crate) at: i64,
}

/// One complaint on WhatsApp: a sender's messages less than 24 hours apart.
#[derive(Debug, Clone)]
pub(crate) struct Thread {
    pub(crate) sender: usize,
    /// In time order; never empty.
    pub(crate) messages: Vec<Message>,
    /// Receipts of the auto-reply (may be empty).
    pub(crate) receipts: Vec<Receipt>,
    /// Index of its case in [`Generated::cases`].
    pub(crate) case: Option<usize>,
}

impl Thread {
    /// The first message's `wamid`: the complaint's identity.
    pub(crate) fn first_wamid(&self) -> &str {
        self.messages.first().map_or("", |m| m.wamid.as_str())
    }

    /// The time of the last message.
    pub(crate) fn last_at(&self) -> i64 {
        self.messages.last().map_or(i64::MIN, |m| m.at)
    }
}

/// Everything generated at start.
#[derive(Debug, Clone)]
pub(crate) struct Generated {
    pub(crate) senders: Vec<Sender>,
    /// By sender, then time.
    pub(crate) threads: Vec<Thread>,
    /// In the sheet's order (`Timestamp`, then `No Aduan`).
    pub(crate) cases: Vec<Case>,
}

fn sender_rng(seed: u64, index: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix64(seed ^ mix64(index as u64 ^ 0x5741_4455_4C00)))
}

/// Standard base64 with padding (wamids, media hashes).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A `wamid` as the platform makes them: base64 of a small record holding the chat's
/// number and 20 hex digits; `incoming` differs in one byte from an outgoing message's.
fn wamid<R: Rng>(rng: &mut R, wa_id: &str, incoming: bool) -> String {
    let mut raw = vec![0x1c, 0x18, u8::try_from(wa_id.len()).unwrap_or(0)];
    raw.extend_from_slice(wa_id.as_bytes());
    raw.extend_from_slice(&[
        0x15,
        0x02,
        0x00,
        if incoming { 0x12 } else { 0x11 },
        0x18,
        0x14,
    ]);
    let id: [u8; 10] = rng.gen();
    raw.extend_from_slice(hex::encode_upper(id).as_bytes());
    raw.push(0x00);
    format!("wamid.{}", base64(&raw))
}

/// A mobile number as digits `628…`.
fn wa_digits<R: Rng>(rng: &mut R) -> String {
    let prefix = pick_str(rng, PHONE_PREFIXES);
    let len = rng.gen_range(7..=9);
    let mut s = format!("62{prefix}");
    for _ in 0..len {
        s.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    s
}

/// A number `62…` as the team types it: `6281…`, `081…` or `+62 812-3456-789…`.
fn typed_number<R: Rng>(rng: &mut R, digits: &str) -> String {
    let national = digits.get(2..).unwrap_or(digits);
    match rng.gen_range(0..20) {
        0..=7 => digits.to_string(),
        8..=14 => format!("0{national}"),
        _ => {
            let (a, rest) = national.split_at(3.min(national.len()));
            let (b, c) = rest.split_at(4.min(rest.len()));
            format!("+62 {a}-{b}-{c}")
        }
    }
}

fn person<R: Rng>(rng: &mut R) -> (String, String) {
    let first = pick_str(rng, FIRST_NAMES);
    let name = if rng.gen_bool(0.6) {
        format!("{first} {}", pick_str(rng, LAST_NAMES))
    } else {
        first.to_string()
    };
    let profile = match rng.gen_range(0..12) {
        0 => format!("Bu {first}"),
        1 => format!("Pak {first}"),
        2 => format!("{name} 🙏"),
        3 => name.to_uppercase(),
        4 => format!("~{first}"),
        5 => format!("{first} 🌸"),
        _ => name.clone(),
    };
    (name, profile)
}

/// A thread's topic and the words filled into its texts.
struct Subject {
    topic: &'static Topic,
    fill: Fill,
}

fn subject<R: Rng>(rng: &mut R) -> Subject {
    let weights: Vec<(usize, u32)> = TOPICS
        .iter()
        .enumerate()
        .map(|(i, t)| (i, t.weight))
        .collect();
    let topic = &TOPICS[weighted(rng, &weights)];
    let kel = kelurahan(rng);
    let jalan = pick_str(rng, STREETS);
    let fill = Fill::draw(rng, jalan, kel);
    Subject { topic, fill }
}

fn kelurahan<R: Rng>(rng: &mut R) -> String {
    let all: Vec<&String> = reference()
        .kecamatan
        .iter()
        .flat_map(|k| k.kelurahan.iter())
        .collect();
    if all.is_empty() {
        "kelurahan kami".to_string()
    } else {
        all[rng.gen_range(0..all.len())].clone()
    }
}

fn round5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

/// Names of documents residents send.
const DOCUMENTS: &[&str] = &[
    "kronologi.pdf",
    "surat_keterangan.pdf",
    "foto_lokasi.pdf",
    "KK_scan.pdf",
    "surat_pengantar_RT.pdf",
];

fn media<R: Rng>(rng: &mut R, caption: Option<String>, kind: u8) -> Content {
    let sha: [u8; 32] = rng.gen();
    let id = rng
        .gen_range(100_000_000_000_000u64..10_000_000_000_000_000)
        .to_string();
    let m = |mime_type, filename: Option<String>, caption| Media {
        caption,
        filename,
        mime_type,
        sha256: base64(&sha),
        id,
    };
    match kind {
        0 => Content::Image(m("image/jpeg", None, caption)),
        1 => Content::Video(m("video/mp4", None, caption)),
        _ => {
            let name = pick_str(rng, DOCUMENTS).to_string();
            let caption = caption.map(|_| "berkas pendukung aduan".to_string());
            Content::Document(m("application/pdf", Some(name), caption))
        }
    }
}

fn location<R: Rng>(rng: &mut R, fill: &Fill) -> Content {
    let pinned = rng.gen_bool(0.6);
    Content::Location(Place {
        latitude: round5(rng.gen_range(-6.929..-6.861)),
        longitude: round5(rng.gen_range(109.641..109.709)),
        name: pinned.then(|| fill.tempat.to_string()),
        address: pinned.then(|| format!("{}, {}, Kota Pekalongan", fill.jalan, fill.kel)),
    })
}

/// Seconds to the next message of a thread: mostly minutes, some hours, never a day.
fn message_gap<R: Rng>(rng: &mut R) -> i64 {
    match weighted(rng, &[(0, 50), (1, 35), (2, 15)]) {
        0 => rng.gen_range(30..10 * MINUTE),
        1 => rng.gen_range(10 * MINUTE..3 * HOUR),
        _ => rng.gen_range(3 * HOUR..DAY - MINUTE),
    }
}

/// The messages of one thread from `start`.
fn messages<R: Rng>(rng: &mut R, wa_id: &str, start: i64, s: &Subject) -> Vec<Message> {
    let count = weighted(rng, &[(1, 30), (2, 30), (3, 20), (4, 12), (5, 8)]);
    let mut out: Vec<Message> = Vec::with_capacity(count);
    let mut ids = HashSet::new();
    let mut at = start;
    for k in 0..count {
        if k > 0 {
            at += message_gap(rng);
        }
        let content = if k == 0 {
            let opener = s.fill.apply(pick_str(rng, s.topic.openers));
            if rng.gen_bool(0.15) {
                media(rng, Some(opener), 0)
            } else if rng.gen_bool(0.3) {
                Content::Text {
                    body: format!("{}{opener}", pick_str(rng, GREETINGS)),
                }
            } else {
                Content::Text { body: opener }
            }
        } else {
            match weighted(rng, &[(0, 50), (1, 22), (2, 6), (3, 6), (4, 16)]) {
                0 => {
                    let t = if rng.gen_bool(0.5) {
                        pick_str(rng, s.topic.more)
                    } else {
                        pick_str(rng, FOLLOW_UPS)
                    };
                    Content::Text {
                        body: s.fill.apply(t),
                    }
                }
                4 => location(rng, &s.fill),
                kind => {
                    let caption = rng
                        .gen_bool(0.6)
                        .then(|| s.fill.apply(pick_str(rng, s.topic.captions)));
                    media(rng, caption, kind - 1)
                }
            }
        };
        let mut id = wamid(rng, wa_id, true);
        while !ids.insert(id.clone()) {
            id = wamid(rng, wa_id, true);
        }
        out.push(Message {
            wamid: id,
            at,
            content,
        });
    }
    out
}

/// Receipts of the auto-reply to the first message, for about a third of threads.
fn receipts<R: Rng>(rng: &mut R, wa_id: &str, first: i64) -> Vec<Receipt> {
    if !rng.gen_bool(0.35) {
        return Vec::new();
    }
    let id = wamid(rng, wa_id, false);
    let sent = first + rng.gen_range(1..5);
    let delivered = sent + rng.gen_range(1..10);
    let read = delivered + rng.gen_range(5..15 * MINUTE);
    let all = [("sent", sent), ("delivered", delivered), ("read", read)];
    let from = rng.gen_range(0..3);
    let to = rng.gen_range(from + 1..=3.min(from + 2));
    all[from..to]
        .iter()
        .map(|&(status, at)| Receipt {
            id: id.clone(),
            status,
            at,
        })
        .collect()
}

/// How a case ends when the sender's next thread follows within a day: closed, soon.
fn fast_close<R: Rng>(rng: &mut R, case: &mut Case, base: i64) {
    match weighted(rng, &[(0, 60), (1, 20), (2, 20)]) {
        0 => {
            case.followed_up = Some(Stamp::full(base + rng.gen_range(20 * MINUTE..6 * HOUR)));
            case.follow_up.clone_from(&case.answer);
            case.status = Status::DijawabTim;
        }
        1 => {
            // Closed without dates: the register does not say when, so this thread is
            // not closed by it and the next one comes after a day of silence.
            case.made_at = case
                .made_at
                .max(case.floor + rng.gen_range(5 * MINUTE..HOUR));
            case.status = Status::Diarsipkan;
            case.note = notes::ARCHIVED[1].into();
        }
        _ => {
            // Forwarded, then archived as a duplicate, with no answer dated: the register
            // does not say when it closed (a forwarding's date closes no thread), so the next
            // thread comes after a day of silence, as after a case closed without dates.
            case.forwarded = Some(Stamp::full(base + rng.gen_range(20 * MINUTE..6 * HOUR)));
            case.opd = case.topic_opd;
            case.status = Status::Diarsipkan;
            case.note = notes::ARCHIVED[2].into();
        }
    }
}

/// How far an ordinary case got, from `base` (after its `Timestamp` and the thread's end).
fn history<R: Rng>(rng: &mut R, case: &mut Case, base: i64) {
    let status = weighted(
        rng,
        &[
            (Status::Baru, 7),
            (Status::Diverifikasi, 8),
            (Status::DijawabTim, 15),
            (Status::Diteruskan, 11),
            (Status::Dikembalikan, 4),
            (Status::Ditindaklanjuti, 12),
            (Status::Selesai, 35),
            (Status::Diarsipkan, 8),
        ],
    );
    let after = base + rng.gen_range(HOUR..2 * DAY);
    let forwarded = working(rng, after);
    let after = forwarded + rng.gen_range(DAY..14 * DAY);
    let answered = working(rng, after);
    match status {
        Status::Baru => {}
        Status::Diverifikasi => case.note = pick_str(rng, notes::VERIFIED).to_string(),
        Status::DijawabTim => {
            let after = base + rng.gen_range(30 * MINUTE..2 * DAY);
            let at = working(rng, after);
            case.follow(rng, at, true);
        }
        Status::Diteruskan => case.forward(rng, forwarded),
        Status::Dikembalikan => {
            case.forward(rng, forwarded);
            case.status = Status::Dikembalikan;
            case.note = pick_str(rng, notes::RETURNED).to_string();
        }
        Status::Ditindaklanjuti => {
            case.forward(rng, forwarded);
            case.follow(rng, answered, false);
        }
        Status::Selesai => {
            case.forward(rng, forwarded);
            case.follow(rng, answered, false);
            case.status = Status::Selesai;
            case.note = pick_str(rng, notes::DONE).to_string();
        }
        Status::Diarsipkan => {
            if rng.gen_bool(0.5) {
                let after = case.floor + rng.gen_range(5 * MINUTE..2 * HOUR);
                let at = working(rng, after);
                case.made_at = case.made_at.max(at);
            } else {
                case.forward(rng, forwarded);
            }
            case.status = Status::Diarsipkan;
            case.note = notes::ARCHIVED[0].into();
        }
    }
}

/// A new open case about `s`, made at `made_at`; closing dates no earlier than `floor`.
fn new_case<R: Rng>(rng: &mut R, s: &Subject, made_at: i64, floor: i64) -> Case {
    Case {
        no: String::new(),
        made_at,
        first_wamid: None,
        no_wa: String::new(),
        wa_digits: None,
        nama: String::new(),
        summary: s.fill.apply(pick_str(rng, s.topic.summaries)),
        kategori: s.topic.kategori,
        opd: "",
        topic_opd: s.topic.opd,
        status: Status::Baru,
        forwarded: None,
        followed_up: None,
        follow_up: String::new(),
        note: String::new(),
        reply: s.fill.apply(pick_str(rng, s.topic.replies)),
        answer: s.fill.apply(pick_str(rng, s.topic.answers)),
        thread: None,
        floor,
    }
}

/// A thread's case: made a little after the first message (in working hours, unless the
/// case is one the team closes the same evening).
fn thread_case<R: Rng>(rng: &mut R, sender: &Sender, t: &Thread, s: &Subject, fast: bool) -> Case {
    let first = t.messages.first().map_or(0, |m| m.at);
    let mut made_at = first + rng.gen_range(3 * MINUTE..2 * HOUR);
    if !fast {
        made_at = working(rng, made_at);
    }
    let mut case = new_case(rng, s, made_at, t.last_at());
    case.first_wamid = Some(t.first_wamid().to_string());
    case.no_wa = typed_number(rng, &sender.wa_id);
    case.wa_digits = Some(sender.wa_id.clone());
    case.nama.clone_from(&sender.name);
    let base = case.made_at.max(case.floor);
    if fast {
        fast_close(rng, &mut case, base);
    } else {
        history(rng, &mut case, base);
    }
    case
}

/// When the next thread starts: quickly after a closed case, or more than a day after.
fn next_start<R: Rng>(rng: &mut R, last: i64, closed: Option<i64>, quick: bool) -> i64 {
    if let (true, Some(closed)) = (quick, closed) {
        let latest = last + DAY - MINUTE;
        if closed + 10 * MINUTE < latest {
            return rng.gen_range(closed + 10 * MINUTE..latest);
        }
    }
    let gap = match weighted(rng, &[(0, 30), (1, 40), (2, 30)]) {
        0 => rng.gen_range(HOUR..3 * DAY),
        1 => rng.gen_range(3 * DAY..30 * DAY),
        _ => rng.gen_range(30 * DAY..200 * DAY),
    };
    last + DAY + gap
}

/// The first thread's start: a day of the period, mostly in waking hours.
fn first_start<R: Rng>(rng: &mut R) -> i64 {
    let days = (LAST_START - START) / DAY;
    let day = START + rng.gen_range(0..days) * DAY;
    let sec = if rng.gen_bool(0.9) {
        rng.gen_range(5 * HOUR..23 * HOUR)
    } else {
        rng.gen_range(0..DAY)
    };
    day + sec
}

/// Sender `index` and their threads (cases appended to `cases`).
fn sender(
    seed: u64,
    index: usize,
    taken: &mut HashSet<String>,
    threads: &mut Vec<Thread>,
    cases: &mut Vec<Case>,
) -> Sender {
    let mut rng = sender_rng(seed, index);
    let mut wa_id = wa_digits(&mut rng);
    while !taken.insert(wa_id.clone()) {
        wa_id = wa_digits(&mut rng);
    }
    let (name, profile) = person(&mut rng);
    let sender = Sender {
        wa_id,
        profile,
        name,
    };
    let n = weighted(&mut rng, &[(1usize, 60), (2, 28), (3, 12)]);
    // quick[k]: thread k follows thread k-1 within a day, after its case closed.
    let quick: Vec<bool> = (0..n).map(|k| k > 0 && rng.gen_bool(0.2)).collect();
    let mut start = first_start(&mut rng);
    for k in 0..n {
        let s = subject(&mut rng);
        let messages = messages(&mut rng, &sender.wa_id, start, &s);
        let first = messages.first().map_or(start, |m| m.at);
        let receipts = receipts(&mut rng, &sender.wa_id, first);
        let mut t = Thread {
            sender: index,
            messages,
            receipts,
            case: None,
        };
        let next_quick = quick.get(k + 1).copied().unwrap_or(false);
        let mut closed = None;
        if next_quick || rng.gen_bool(0.68) {
            let mut case = thread_case(&mut rng, &sender, &t, &s, next_quick);
            case.thread = Some(threads.len());
            closed = case.closed_at();
            t.case = Some(cases.len());
            cases.push(case);
        }
        let last = t.last_at();
        threads.push(t);
        start = next_start(&mut rng, last, closed, next_quick);
        if start > LAST_START {
            break;
        }
    }
    sender
}

/// A case typed in by hand: a walk-in, a call, a forwarded screenshot.
fn walk_in(seed: u64, index: usize, taken: &mut HashSet<String>) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(mix64(seed ^ mix64(index as u64 ^ 0x5741_4C4B)));
    let s = subject(&mut rng);
    let days = (LAST_START - START) / DAY;
    // Office hours, 08:00–15:00 WIB.
    let made_at = START + rng.gen_range(0..days) * DAY + rng.gen_range(8 * HOUR..15 * HOUR);
    let mut case = new_case(&mut rng, &s, made_at, made_at);
    let (name, _) = person(&mut rng);
    case.nama = name;
    let source = if rng.gen_bool(0.6) {
        let mut digits = wa_digits(&mut rng);
        while !taken.insert(digits.clone()) {
            digits = wa_digits(&mut rng);
        }
        case.no_wa = typed_number(&mut rng, &digits);
        case.wa_digits = Some(digits);
        pick_str(&mut rng, notes::WALK_IN)
    } else {
        pick_str(&mut rng, notes::NO_NUMBER)
    };
    case.summary = format!("{source}.\n{}", case.summary);
    history(&mut rng, &mut case, made_at);
    case
}

/// All data for `seed`: `senders` senders with their threads and cases, and `walk_ins`
/// cases typed in by hand.
pub(crate) fn generate(seed: u64, senders: usize, walk_ins: usize) -> Generated {
    let mut taken = HashSet::new();
    let mut threads = Vec::new();
    let mut cases = Vec::new();
    let senders: Vec<Sender> = (0..senders)
        .map(|i| sender(seed, i, &mut taken, &mut threads, &mut cases))
        .collect();
    cases.extend((0..walk_ins).map(|i| walk_in(seed, i, &mut taken)));

    // The sheet's order, and numbers per year in that order.
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| (cases[i].made_at, i));
    let mut new_index = vec![0; cases.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut sorted: Vec<Case> = order.iter().map(|&i| cases[i].clone()).collect();
    let mut per_year: std::collections::HashMap<i32, u32> = std::collections::HashMap::new();
    for c in &mut sorted {
        let y = super::register::year(c.made_at);
        let n = per_year.entry(y).or_insert(0);
        *n += 1;
        c.no = format!("WA-{y}-{n:04}");
    }
    for t in &mut threads {
        t.case = t.case.map(|c| new_index[c]);
    }
    Generated {
        senders,
        threads,
        cases: sorted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn wamids_look_like_the_platforms() {
        let mut rng = sender_rng(1, 1);
        let w = wamid(&mut rng, "6281234567890", true);
        assert!(w.starts_with("wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFE"), "{w}");
        assert!(w.ends_with("AA=="), "{w}");
    }

    #[test]
    fn typed_numbers_take_the_three_forms() {
        let mut rng = sender_rng(2, 2);
        let mut forms = HashSet::new();
        for _ in 0..200 {
            let n = typed_number(&mut rng, "6281234567890");
            let form = if n.starts_with("+62 812-3456-") {
                "+62"
            } else if n.starts_with("0812") {
                "0"
            } else {
                assert_eq!(n, "6281234567890");
                "62"
            };
            forms.insert(form);
        }
        assert_eq!(forms.len(), 3);
    }

    /// The connector's threading rule, applied to one sender's messages in time order:
    /// the thread index each message lands in.
    fn connector_threads(g: &Generated, sender: usize) -> Vec<Vec<String>> {
        let mut msgs: Vec<(i64, String)> = g
            .threads
            .iter()
            .filter(|t| t.sender == sender)
            .flat_map(|t| t.messages.iter().map(|m| (m.at, m.wamid.clone())))
            .collect();
        msgs.sort();
        let case_of = |w: &str| g.cases.iter().find(|c| c.first_wamid.as_deref() == Some(w));
        let mut out: Vec<(Vec<String>, i64, Option<&Case>)> = Vec::new();
        for (at, w) in msgs {
            let joins = out.last().is_some_and(|(_, last, case)| {
                let closed = case.and_then(Case::closed_at).is_some_and(|c| at > c);
                // The first message of another case starts that case's thread.
                let another =
                    case_of(&w).is_some_and(|c| case.is_some_and(|t| !std::ptr::eq(t, c)));
                at - last < DAY && !closed && !another
            });
            match out.last_mut() {
                Some((ws, last, case)) if joins => {
                    ws.push(w.clone());
                    *last = at;
                    if case.is_none() {
                        *case = case_of(&w);
                    }
                }
                _ => out.push((vec![w.clone()], at, case_of(&w))),
            }
        }
        out.into_iter().map(|(ws, _, _)| ws).collect()
    }

    fn check_threads(g: &Generated) {
        for (i, _) in g.senders.iter().enumerate() {
            let expected: Vec<Vec<String>> = g
                .threads
                .iter()
                .filter(|t| t.sender == i)
                .map(|t| t.messages.iter().map(|m| m.wamid.clone()).collect())
                .collect();
            assert_eq!(connector_threads(g, i), expected, "sender {i}");
        }
    }

    #[test]
    fn the_connectors_rule_finds_exactly_the_generated_threads() {
        for seed in 0..20 {
            let g = generate(seed, 150, 10);
            check_threads(&g);
        }
    }

    #[test]
    fn moving_every_case_to_its_end_keeps_the_threads() {
        let mut g = generate(5, 200, 10);
        let mut rng = sender_rng(9, 9);
        let mut rounds = 0;
        loop {
            let mut moved = 0;
            for c in &mut g.cases {
                moved += usize::from(c.step(&mut rng));
            }
            if moved == 0 {
                break;
            }
            check_threads(&g);
            rounds += 1;
            assert!(rounds < 100, "cases keep moving");
        }
        assert!(rounds >= 3, "{rounds}");
        assert!(g.cases.iter().all(|c| c.status.closes()));
        // Closed at or after its thread's end when the register dates it (archived with no
        // date: when, it does not say).
        assert!(g
            .cases
            .iter()
            .all(|c| c.closed_at().is_none_or(|at| at >= c.floor)));
    }

    #[test]
    fn the_data_has_the_contract_proportions() {
        let g = generate(42, 2000, 100);
        let threads = g.threads.len();
        let with_case = g.threads.iter().filter(|t| t.case.is_some()).count();
        let pct = |x: usize| x as f64 * 100.0 / threads as f64;
        assert!((65.0..78.0).contains(&pct(with_case)), "{}", pct(with_case));
        assert!((1.3..1.8).contains(&(threads as f64 / 2000.0)));
        let mut kinds = std::collections::HashMap::new();
        for m in g.threads.iter().flat_map(|t| &t.messages) {
            *kinds.entry(m.content.kind()).or_insert(0usize) += 1;
            assert!(m.at >= START && m.at < super::super::register::END);
        }
        for k in ["text", "image", "video", "document", "location"] {
            assert!(kinds.get(k).copied().unwrap_or(0) > 20, "{k}: {kinds:?}");
        }
        // Follow-on threads within a day of the previous one, after its case closed.
        let quick = g
            .threads
            .windows(2)
            .filter(|w| w[0].sender == w[1].sender)
            .filter(|w| w[1].messages[0].at - w[0].last_at() <= DAY)
            .count();
        let follow_on = g
            .threads
            .windows(2)
            .filter(|w| w[0].sender == w[1].sender)
            .count();
        let share = quick as f64 / follow_on as f64;
        assert!((0.12..0.28).contains(&share), "{share}");
        let mut nos = HashSet::new();
        for c in &g.cases {
            assert!(nos.insert(c.no.clone()), "{}", c.no);
            assert!(c.no.len() == 12 && c.no.starts_with("WA-20"), "{}", c.no);
        }
        assert_eq!(
            g.cases.iter().filter(|c| c.first_wamid.is_none()).count(),
            100
        );
        assert!(g.cases.windows(2).all(|w| w[0].made_at <= w[1].made_at));
    }
}
