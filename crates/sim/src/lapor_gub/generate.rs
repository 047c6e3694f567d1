//! Deterministic generation of one Lapor Gub! item from `(seed, index, later versions)`.
//!
//! A report's RNG is seeded from the simulator seed and the report index only. The first
//! draws make its [`Skeleton`] (creation time, status, times of its timeline), cheap enough
//! to compute for a million reports; the full item continues with the same RNG. Each later
//! version (an update while the simulator runs) moves the status one step and appends one
//! timeline entry at a time the simulator stored.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::topics::{Template, DIKEMBALIKAN, SECTORS, SPAM, TIDAK_LAYAK};
use crate::reference::reference;
use crate::text::{
    mix64, office, pick, pick_str, weighted, Fill, DURATIONS, FIRST_NAMES, LAST_NAMES,
    PHONE_PREFIXES, STREETS,
};

/// 2023-01-01T00:00:00+07:00: reports are created from here …
pub(crate) const START: i64 = 1_672_506_000;
/// … to 2025-01-01T00:00:00+07:00 ("now" for deciding how far a report got).
pub(crate) const END: i64 = 1_735_664_400;
const WIB: i64 = 7 * 3600;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// `lokasi.kotaId` of Kota Pekalongan.
pub(crate) const KOTA_ID: u32 = 3375;

/// Status codes of the contract and their labels.
pub(crate) const MENUNGGU: u8 = 0;
pub(crate) const DIVERIFIKASI: u8 = 1;
pub(crate) const DIDISPOSISIKAN: u8 = 2;
pub(crate) const DALAM_TINDAKAN: u8 = 3;
pub(crate) const TUNTAS: u8 = 4;
pub(crate) const TIDAK_LAYAK_CODE: u8 = 5;
pub(crate) const DIKEMBALIKAN_CODE: u8 = 6;
pub(crate) const SPAM_CODE: u8 = 7;
/// The code no version of the contract knows (the `unknown_status_every` fault).
pub(crate) const UNKNOWN_CODE: i64 = 9;
pub(crate) const UNKNOWN_LABEL: &str = "Ditinjau Ulang";

const LABELS: [&str; 8] = [
    "Menunggu",
    "Diverifikasi",
    "Didisposisikan",
    "Dalam Tindakan",
    "Tuntas",
    "Tidak Layak",
    "Dikembalikan",
    "Spam",
];

/// The label of a known status code.
pub(crate) fn label(status: u8) -> &'static str {
    LABELS.get(usize::from(status)).copied().unwrap_or("")
}

/// The status an update moves a report to, or `None` for the final rejections (Tidak
/// Layak, Spam), which updates leave alone.
pub(crate) fn next_status(status: u8) -> Option<u8> {
    match status {
        MENUNGGU | DIKEMBALIKAN_CODE => Some(DIVERIFIKASI),
        DIVERIFIKASI => Some(DIDISPOSISIKAN),
        DIDISPOSISIKAN | TUNTAS => Some(DALAM_TINDAKAN),
        DALAM_TINDAKAN => Some(TUNTAS),
        _ => None,
    }
}

/// The first draws of a report: enough to know its times and status.
#[derive(Debug, Clone)]
pub(crate) struct Skeleton {
    /// Unix seconds.
    pub(crate) created: i64,
    /// Unix milliseconds.
    pub(crate) created_ms: i64,
    pub(crate) status: u8,
    /// Times (Unix seconds) of the timeline entries, `steps[..n_steps]`.
    pub(crate) steps: [i64; 4],
    pub(crate) n_steps: usize,
    /// Unix milliseconds of version 1.
    pub(crate) updated_ms: i64,
}

/// The RNG of report `index`.
pub(crate) fn report_rng(seed: u64, index: u32) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix64(seed ^ mix64(u64::from(index) ^ 0x4C47_5750)))
}

/// The RNG of version `version` (>= 2) of report `index`.
fn version_rng(seed: u64, index: u32, version: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix64(
        seed ^ mix64(u64::from(index) ^ ((version as u64) << 40) ^ 0x4C47_5652),
    ))
}

/// The number of `noTiket` of report `index`: eight digits, increasing with the index (so
/// the order by index is the order by `noTiket`), with a little jitter.
pub(crate) fn ticket_number(seed: u64, index: u32) -> u32 {
    let jitter = (mix64(seed ^ u64::from(index) ^ 0x7469_6B74) % 7) as u32;
    12_000_000 + index * 7 + jitter
}

/// The largest number of reports whose tickets keep eight digits.
pub(crate) const MAX_REPORTS: usize = 12_000_000;

/// `LGWP` and the eight digits.
pub(crate) fn ticket(seed: u64, index: u32) -> String {
    format!("LGWP{:08}", ticket_number(seed, index))
}

/// Unix seconds as WIB without an offset: `2021-09-12 10:11:00`.
pub(crate) fn format_tanggal(t: i64) -> String {
    let local = t + WIB;
    let (y, m, d) = crate::text::civil_from_days(local.div_euclid(DAY));
    let s = local.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

fn after<R: Rng>(t: i64, min: i64, max: i64, rng: &mut R) -> i64 {
    t + rng.gen_range(min..=max)
}

/// The 2022 mix of Lapor Gub!, per 10,000; reports of the last week are mostly still open.
fn choose_status<R: Rng>(rng: &mut R, age_days: i64) -> u8 {
    let table: &[(u8, u32)] = if age_days < 7 {
        &[
            (MENUNGGU, 30),
            (DIVERIFIKASI, 40),
            (DIDISPOSISIKAN, 10),
            (DALAM_TINDAKAN, 15),
            (TUNTAS, 5),
        ]
    } else {
        &[
            (MENUNGGU, 111),
            (DIVERIFIKASI, 2140),
            (DIDISPOSISIKAN, 50),
            (DALAM_TINDAKAN, 824),
            (TUNTAS, 6526),
            (TIDAK_LAYAK_CODE, 180),
            (DIKEMBALIKAN_CODE, 90),
            (SPAM_CODE, 79),
        ]
    };
    weighted(rng, table)
}

/// The milliseconds of a time: zero for the many rows written with second precision.
fn millis<R: Rng>(rng: &mut R) -> i64 {
    if rng.gen_bool(0.4) {
        0
    } else {
        rng.gen_range(1..1000)
    }
}

/// The skeleton of a report; the first draws of its RNG.
pub(crate) fn skeleton<R: Rng>(rng: &mut R) -> Skeleton {
    let days = (END - START) / DAY;
    // Slightly more reports in the later year.
    let day = ((days as f64) * rng.gen::<f64>().powf(0.9)) as i64;
    let sec = if rng.gen_bool(0.85) {
        rng.gen_range(6 * HOUR..22 * HOUR)
    } else {
        rng.gen_range(0..DAY)
    };
    let created = START + day.min(days - 1) * DAY + sec;
    let created_ms = created * 1000 + millis(rng);
    let status = choose_status(rng, (END - created) / DAY);
    let mut steps = [0i64; 4];
    let n_steps = match status {
        MENUNGGU => 0,
        TIDAK_LAYAK_CODE | DIKEMBALIKAN_CODE | SPAM_CODE => {
            steps[0] = office(after(created, HOUR, 4 * DAY, rng), rng);
            1
        }
        _ => {
            steps[0] = office(after(created, HOUR, 3 * DAY, rng), rng);
            steps[1] = office(after(steps[0], 600, 2 * DAY, rng), rng);
            steps[2] = office(after(steps[1], 2 * HOUR, 10 * DAY, rng), rng);
            steps[3] = office(after(steps[2], HOUR, 14 * DAY, rng), rng);
            usize::from(status)
        }
    };
    let updated_ms = match n_steps {
        0 => created_ms,
        n => steps[n - 1] * 1000 + millis(rng),
    };
    Skeleton {
        created,
        created_ms,
        status,
        steps,
        n_steps,
        updated_ms,
    }
}

/// `updated` (ms) and status of version 1 of report `index`.
pub(crate) fn base(seed: u64, index: u32) -> (i64, u8) {
    let sk = skeleton(&mut report_rng(seed, index));
    (sk.updated_ms, sk.status)
}

/// A number the item carries, or (malformed) a word in its place.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Code {
    Num(i64),
    Text(&'static str),
}

/// An item as the API serves it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Item {
    pub(crate) no_tiket: String,
    pub(crate) judul: String,
    pub(crate) isi: String,
    pub(crate) kategori: &'static str,
    pub(crate) status: Code,
    pub(crate) status_label: &'static str,
    pub(crate) jenis: u8,
    pub(crate) anonim: u8,
    pub(crate) rahasia: u8,
    pub(crate) pelapor: Pelapor,
    pub(crate) lokasi: Lokasi,
    pub(crate) opd: Option<String>,
    pub(crate) created: Code,
    pub(crate) updated: i64,
    pub(crate) timeline: Vec<Entry>,
    pub(crate) lampiran: Vec<String>,
}

/// `pelapor`: both null when anonymous.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Pelapor {
    pub(crate) nama: Option<String>,
    pub(crate) hp: Option<String>,
}

/// `lokasi`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Lokasi {
    pub(crate) kota_id: u32,
    pub(crate) kota: &'static str,
    pub(crate) kecamatan: Option<String>,
    pub(crate) kelurahan: Option<String>,
}

/// `timeline[]`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entry {
    pub(crate) judul: &'static str,
    pub(crate) tanggal: String,
    pub(crate) oleh: String,
    pub(crate) keterangan: String,
}

/// A kab/kota other than Kota Pekalongan: id, name, name in texts, kecamatan with desa,
/// streets.
struct Elsewhere {
    id: u32,
    kota: &'static str,
    name: &'static str,
    kecamatan: &'static [(&'static str, &'static [&'static str])],
    streets: &'static [&'static str],
}

/// Neighbours whose reports leak into Kota Pekalongan's feed (and one from far away).
const ELSEWHERE: &[(Elsewhere, u32)] = &[
    (
        Elsewhere {
            id: 3326,
            kota: "KABUPATEN PEKALONGAN",
            name: "Kabupaten Pekalongan",
            kecamatan: &[
                (
                    "KEDUNGWUNI",
                    &["Kedungwuni Timur", "Rengas", "Tangkil Tengah"],
                ),
                ("WIRADESA", &["Kauman", "Bener", "Petukangan"]),
                ("TIRTO", &["Pacar", "Tegaldowo", "Karangjompo"]),
                ("BUARAN", &["Simbang Kulon", "Coprayan"]),
                ("KAJEN", &["Kajen", "Nyamok"]),
            ],
            streets: &[
                "Jl. Raya Kedungwuni",
                "Jl. Raya Wiradesa",
                "Jl. Mandurorejo",
            ],
        },
        50,
    ),
    (
        Elsewhere {
            id: 3325,
            kota: "KABUPATEN BATANG",
            name: "Kabupaten Batang",
            kecamatan: &[
                (
                    "BATANG",
                    &["Kasepuhan", "Proyonanggan Selatan", "Karangasem Utara"],
                ),
                ("WARUNGASEM", &["Pandansari", "Sidorejo"]),
                ("GRINGSING", &["Gringsing", "Sentul"]),
            ],
            streets: &[
                "Jl. Jenderal Sudirman",
                "Jl. Raya Gringsing",
                "Jl. Yos Sudarso",
            ],
        },
        30,
    ),
    (
        Elsewhere {
            id: 3327,
            kota: "KABUPATEN PEMALANG",
            name: "Kabupaten Pemalang",
            kecamatan: &[
                ("PEMALANG", &["Mulyoharjo", "Bojongbata"]),
                ("COMAL", &["Purwoharjo", "Sidorejo"]),
            ],
            streets: &["Jl. Jenderal Sudirman", "Jl. Pemuda"],
        },
        10,
    ),
    (
        Elsewhere {
            id: 3374,
            kota: "KOTA SEMARANG",
            name: "Kota Semarang",
            kecamatan: &[
                ("SEMARANG TENGAH", &["Sekayu", "Pandansari"]),
                ("BANYUMANIK", &["Srondol Wetan", "Pedalangan"]),
                ("TEMBALANG", &["Bulusan", "Sendangmulyo"]),
            ],
            streets: &["Jl. Pandanaran", "Jl. Setiabudi", "Jl. Pemuda"],
        },
        10,
    ),
];

const PLACES_ELSEWHERE: &[&str] = &[
    "balai desa",
    "pasar",
    "masjid",
    "pertigaan jalan raya",
    "SD Negeri",
];
const SCHOOLS_ELSEWHERE: &[&str] = &[
    "SD Negeri 1",
    "SMP Negeri 2",
    "SMA Negeri 1",
    "SMK Negeri 1",
];

/// Where a report is and what its texts call the places.
struct Place {
    lokasi: Lokasi,
    /// `Kota Pekalongan`, `Kabupaten Batang`, …
    name: &'static str,
    fill: Fill,
    /// `Dinas ESDM Kabupaten Batang` and the like instead of the city's OPD.
    elsewhere: bool,
}

fn kecamatan_written<R: Rng>(rng: &mut R, name: &str) -> String {
    let upper = name.to_uppercase();
    if !rng.gen_bool(0.15) {
        return upper;
    }
    let dir = upper.strip_prefix("PEKALONGAN ").unwrap_or(&upper);
    match rng.gen_range(0..3) {
        0 => format!("PEK. {dir}"),
        1 => format!("KEC. {upper}"),
        _ => format!("PKL {dir}"),
    }
}

fn place<R: Rng>(rng: &mut R, outside: bool) -> Place {
    let refs = reference();
    if outside || refs.kecamatan.is_empty() {
        let weights: Vec<(usize, u32)> = ELSEWHERE
            .iter()
            .enumerate()
            .map(|(i, (_, w))| (i, *w))
            .collect();
        let e = &ELSEWHERE[weighted(rng, &weights)].0;
        let (kec, desa) = pick(rng, e.kecamatan);
        let kel = pick_str(rng, desa);
        let jalan = pick_str(rng, e.streets);
        let fill = Fill {
            jalan,
            tempat: pick_str(rng, PLACES_ELSEWHERE),
            kel: format!("Desa {kel}"),
            rt: format!(
                "RT {:02}/RW {:02}",
                rng.gen_range(1..=12),
                rng.gen_range(1..=9)
            ),
            lama: pick_str(rng, DURATIONS),
            puskesmas: title_puskesmas(kec),
            sekolah: pick_str(rng, SCHOOLS_ELSEWHERE),
            n: rng.gen_range(2..=6),
        };
        let kelurahan = rng.gen_bool(0.2).then(|| kel.to_uppercase());
        return Place {
            lokasi: Lokasi {
                kota_id: e.id,
                kota: e.kota,
                kecamatan: Some((*kec).to_string()),
                kelurahan,
            },
            name: e.name,
            fill,
            elsewhere: true,
        };
    }
    let k = pick(rng, &refs.kecamatan);
    let kel = pick(rng, &k.kelurahan).clone();
    let kecamatan = (!rng.gen_bool(0.04)).then(|| kecamatan_written(rng, &k.name));
    let kelurahan = rng.gen_bool(0.25).then(|| kel.to_uppercase());
    let jalan = pick_str(rng, STREETS);
    Place {
        lokasi: Lokasi {
            kota_id: KOTA_ID,
            kota: "KOTA PEKALONGAN",
            kecamatan,
            kelurahan,
        },
        name: "Kota Pekalongan",
        fill: Fill::draw(rng, jalan, kel),
        elsewhere: false,
    }
}

/// A puskesmas named after the kecamatan, in title case (static for the few we know).
fn title_puskesmas(kec: &str) -> &'static str {
    match kec {
        "KEDUNGWUNI" => "Kedungwuni",
        "WIRADESA" => "Wiradesa",
        "TIRTO" => "Tirto",
        "BUARAN" => "Buaran",
        "KAJEN" => "Kajen",
        "BATANG" => "Batang",
        "WARUNGASEM" => "Warungasem",
        "GRINGSING" => "Gringsing",
        "PEMALANG" => "Pemalang",
        "COMAL" => "Comal",
        _ => "Kecamatan",
    }
}

/// A phone number in one of the forms people type in: `62857…`, `0857…`, `+62 857-…`.
fn hp<R: Rng>(rng: &mut R) -> String {
    let prefix = pick_str(rng, PHONE_PREFIXES);
    let mut rest = String::with_capacity(8);
    for _ in 0..8 {
        rest.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    match rng.gen_range(0..10) {
        0..=3 => format!("62{prefix}{rest}"),
        4..=6 => format!("0{prefix}{rest}"),
        7..=8 => format!("+62 {prefix}-{}-{}", &rest[..4], &rest[4..]),
        _ => format!("+62{prefix}{rest}"),
    }
}

fn pelapor<R: Rng>(rng: &mut R) -> Pelapor {
    let first = pick_str(rng, FIRST_NAMES);
    let nama = if rng.gen_bool(0.6) {
        format!("{first} {}", pick_str(rng, LAST_NAMES))
    } else {
        first.to_string()
    };
    let nama = if rng.gen_bool(0.05) {
        nama.to_uppercase()
    } else {
        nama
    };
    Pelapor {
        nama: Some(nama),
        hp: (!rng.gen_bool(0.05)).then(|| hp(rng)),
    }
}

/// The report's text as the web editor stores it: paragraphs, line breaks, entities.
fn html<R: Rng>(rng: &mut R, text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let sentences: Vec<&str> = escaped
        .split_inclusive(". ")
        .map(str::trim_end)
        .filter(|s| !s.is_empty())
        .collect();
    let (first, rest) = match sentences.split_first() {
        Some((f, r)) => (*f, r.join(" ")),
        None => ("", String::new()),
    };
    let mut out = match (rest.is_empty(), rng.gen_range(0..3)) {
        (true, _) => format!("<p>{first}</p>"),
        (false, 0) => format!("<p>{first}</p><p>{rest}</p>"),
        (false, 1) => format!("<p>{first}<br>{rest}</p>"),
        (false, _) => format!("<p>{first}<br>\n{rest}</p>"),
    };
    match rng.gen_range(0..6) {
        0 => out.push_str("<p>Mohon segera ditindaklanjuti &amp; terima kasih.</p>"),
        1 => out.push_str("<p><br></p><p>Terima kasih&nbsp;Pak Gub.</p>"),
        2 => out = out.replacen(' ', "&nbsp;", 1),
        _ => {}
    }
    out
}

fn lampiran<R: Rng>(rng: &mut R, ticket: &str, created: i64) -> Vec<String> {
    let count = weighted(rng, &[(0usize, 50), (1, 35), (2, 15)]);
    let (y, m, _) = crate::text::civil_from_days((created + WIB).div_euclid(DAY));
    (0..count)
        .map(|i| {
            let ext = if rng.gen_bool(0.85) { "jpg" } else { "pdf" };
            format!(
                "https://laporgub.example/uploads/{y:04}/{m:02}/{ticket}_{}.{ext}",
                i + 1
            )
        })
        .collect()
}

/// What later timeline entries of a report depend on.
struct Ctx {
    template: &'static Template,
    opd: String,
    place_name: &'static str,
    admin: String,
}

impl Ctx {
    fn entry<R: Rng>(&self, step: Step, t: i64, rng: &mut R) -> Entry {
        let (judul, oleh, keterangan) = match step {
            Step::Verified => (
                "Aduan diverifikasi",
                "Admin Provinsi".to_string(),
                format!("Diteruskan ke {}", self.place_name),
            ),
            Step::Disposed => (
                "Aduan didisposisikan",
                self.admin.clone(),
                format!("Didisposisikan ke {}", self.opd),
            ),
            Step::Action => (
                "Aduan dalam tindakan",
                self.opd.clone(),
                self.template.action.to_string(),
            ),
            Step::Done => (
                "Aduan tuntas",
                self.opd.clone(),
                self.template.closing.to_string(),
            ),
            Step::Rejected => (
                "Aduan tidak layak",
                "Admin Provinsi".to_string(),
                pick_str(rng, TIDAK_LAYAK).to_string(),
            ),
            Step::Returned => (
                "Aduan dikembalikan",
                "Admin Provinsi".to_string(),
                pick_str(rng, DIKEMBALIKAN).to_string(),
            ),
            Step::Spam => (
                "Aduan ditandai spam",
                "Admin Provinsi".to_string(),
                "Aduan tidak berisi laporan yang dapat ditindaklanjuti.".to_string(),
            ),
            Step::Reopened => (
                "Aduan dibuka kembali",
                "Admin Provinsi".to_string(),
                format!(
                    "Pelapor menyatakan aduan belum tuntas, diteruskan kembali ke {}",
                    self.opd
                ),
            ),
            Step::Completed => (
                "Aduan dilengkapi dan diverifikasi",
                "Admin Provinsi".to_string(),
                format!(
                    "Pelapor telah melengkapi data, diteruskan ke {}",
                    self.place_name
                ),
            ),
        };
        Entry {
            judul,
            tanggal: format_tanggal(t),
            oleh,
            keterangan,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Verified,
    Disposed,
    Action,
    Done,
    Rejected,
    Returned,
    Spam,
    Reopened,
    Completed,
}

/// Item `index` with its later versions at `extra` (Unix ms, ascending). `outside`: a
/// report of another kab/kota.
pub(crate) fn item(seed: u64, index: u32, outside: bool, extra: &[i64]) -> Item {
    let mut rng = report_rng(seed, index);
    let sk = skeleton(&mut rng);
    let no_tiket = ticket(seed, index);
    let weights: Vec<(usize, u32)> = SECTORS
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.weight))
        .collect();
    let sector = &SECTORS[weighted(&mut rng, &weights)];
    let place = place(&mut rng, outside);
    let template = pick(&mut rng, sector.templates);
    let opd = if place.elsewhere {
        format!("{} {}", sector.opd_elsewhere, place.name)
    } else {
        pick_str(&mut rng, template.opd).to_string()
    };
    let (judul, text) = if sk.status == SPAM_CODE {
        let (j, t) = *pick(&mut rng, SPAM);
        (j.to_string(), t.to_string())
    } else {
        (
            place.fill.apply(template.judul),
            place.fill.apply(template.text),
        )
    };
    let isi = html(&mut rng, &text);
    // Anonymous reports came with version 2.0 (2023); the window starts in 2023.
    let anonim = rng.gen_bool(0.15);
    let rahasia = rng.gen_bool(0.1);
    let jenis = !rahasia && rng.gen_bool(0.85);
    let reporter = pelapor(&mut rng);
    let pelapor = if anonim {
        Pelapor {
            nama: None,
            hp: None,
        }
    } else {
        reporter
    };
    let lampiran = lampiran(&mut rng, &no_tiket, sk.created);
    let ctx = Ctx {
        template,
        opd,
        place_name: place.name,
        admin: format!("Admin {}", place.name),
    };
    let kinds: &[Step] = match sk.status {
        TIDAK_LAYAK_CODE => &[Step::Rejected],
        DIKEMBALIKAN_CODE => &[Step::Returned],
        SPAM_CODE => &[Step::Spam],
        _ => &[Step::Verified, Step::Disposed, Step::Action, Step::Done],
    };
    let timeline: Vec<Entry> = kinds
        .iter()
        .zip(&sk.steps[..sk.n_steps])
        .map(|(k, t)| ctx.entry(*k, *t, &mut rng))
        .collect();
    let disposed = matches!(sk.status, DIDISPOSISIKAN | DALAM_TINDAKAN | TUNTAS);
    let mut it = Item {
        no_tiket,
        judul,
        isi,
        kategori: sector.kategori,
        status: Code::Num(i64::from(sk.status)),
        status_label: label(sk.status),
        jenis: u8::from(jenis),
        anonim: u8::from(anonim),
        rahasia: u8::from(rahasia),
        pelapor,
        lokasi: place.lokasi,
        opd: disposed.then(|| ctx.opd.clone()),
        created: Code::Num(sk.created_ms),
        updated: sk.updated_ms,
        timeline,
        lampiran,
    };
    let mut status = sk.status;
    for (k, t) in extra.iter().enumerate() {
        let mut vrng = version_rng(seed, index, k + 2);
        status = advance(&mut it, status, *t, &ctx, &mut vrng);
    }
    it
}

/// One update at `t_ms`: the next status and its timeline entry.
fn advance<R: Rng>(it: &mut Item, status: u8, t_ms: i64, ctx: &Ctx, rng: &mut R) -> u8 {
    let Some(next) = next_status(status) else {
        return status;
    };
    let step = match (status, next) {
        (DIKEMBALIKAN_CODE, _) => Step::Completed,
        (TUNTAS, _) => Step::Reopened,
        (_, DIVERIFIKASI) => Step::Verified,
        (_, DIDISPOSISIKAN) => Step::Disposed,
        (_, DALAM_TINDAKAN) => Step::Action,
        _ => Step::Done,
    };
    it.timeline
        .push(ctx.entry(step, t_ms.div_euclid(1000), rng));
    if next == DIDISPOSISIKAN {
        it.opd = Some(ctx.opd.clone());
    }
    it.status = Code::Num(i64::from(next));
    it.status_label = label(next);
    it.updated = t_ms;
    next
}

/// The status of report `index` after `versions - 1` updates.
pub(crate) fn current_status(seed: u64, index: u32, versions: usize) -> u8 {
    let mut status = base(seed, index).1;
    for _ in 1..versions {
        status = next_status(status).unwrap_or(status);
    }
    status
}

/// The `unknown_status_every` fault: a code no version of the contract lists.
pub(crate) fn set_unknown_status(it: &mut Item) {
    it.status = Code::Num(UNKNOWN_CODE);
    it.status_label = UNKNOWN_LABEL;
}

/// Makes an item malformed in one of three ways (by `kind % 3`); `noTiket`, `updated`
/// and `lokasi.kotaId` stay valid.
pub(crate) fn corrupt(it: &mut Item, kind: u64) {
    match kind % 3 {
        0 => it.created = Code::Text("kemarin"),
        1 => match it.timeline.first_mut() {
            Some(e) => e.tanggal = "32/13/2021".to_string(),
            None => it.timeline.push(Entry {
                judul: "Aduan diterima",
                tanggal: "32/13/2021".to_string(),
                oleh: "Sistem".to_string(),
                keterangan: "Aduan masuk melalui website".to_string(),
            }),
        },
        _ => it.status = Code::Text("tiga"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn tanggal_is_wib_without_offset_like_chrono_formats_it() {
        let wib = chrono::FixedOffset::east_opt(7 * 3600).expect("offset");
        for t in [START, END, 1_631_412_000, 1_709_164_799] {
            let expected = DateTime::from_timestamp(t, 0)
                .expect("time")
                .with_timezone(&wib)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string();
            assert_eq!(format_tanggal(t), expected);
        }
        assert_eq!(format_tanggal(START), "2023-01-01 00:00:00");
    }

    #[test]
    fn tickets_are_unique_eight_digit_numbers_growing_with_the_index() {
        let mut last = String::new();
        for index in (0..2_000u32).chain([MAX_REPORTS as u32 - 1]) {
            let t = ticket(3, index);
            assert_eq!(t.len(), 12, "{t}");
            assert!(t.starts_with("LGWP") && t[4..].chars().all(|c| c.is_ascii_digit()));
            assert!(t > last, "{t} after {last}");
            last = t;
        }
    }

    #[test]
    fn timelines_follow_the_status_and_never_precede_created() {
        for index in 0..3000 {
            let it = item(5, index, index % 10 == 0, &[]);
            let Code::Num(status) = it.status else {
                panic!("status {:?}", it.status)
            };
            let Code::Num(created) = it.created else {
                panic!("created {:?}", it.created)
            };
            let expected_len = match status {
                0 => 0,
                5..=7 => 1,
                s => s as usize,
            };
            assert_eq!(it.timeline.len(), expected_len, "status {status}");
            assert_eq!(it.status_label, label(status as u8));
            assert_eq!(it.opd.is_some(), (2..=4).contains(&status));
            assert!(it.updated >= created);
            let created_tanggal = format_tanggal(created.div_euclid(1000));
            let updated_tanggal = format_tanggal(it.updated.div_euclid(1000));
            for e in &it.timeline {
                assert!(
                    e.tanggal >= created_tanggal,
                    "{} < {created_tanggal}",
                    e.tanggal
                );
                assert!(e.tanggal <= updated_tanggal);
            }
            assert_eq!(
                it.pelapor.nama.is_none(),
                it.anonim == 1,
                "{:?}",
                it.pelapor
            );
            assert!(it.isi.starts_with("<p>") && it.isi.ends_with("</p>"));
            assert!(it.lampiran.len() <= 2);
            assert!((START * 1000..(END + 30 * DAY) * 1000).contains(&created));
        }
    }

    #[test]
    fn the_status_mix_is_close_to_lapor_gubs_2022_figures() {
        let n = 20_000u32;
        let mut counts = [0usize; 8];
        for index in 0..n {
            counts[usize::from(base(42, index).1)] += 1;
        }
        let pct = |x: usize| x as f64 * 100.0 / f64::from(n);
        assert!((63.0..67.5).contains(&pct(counts[4])), "{counts:?}");
        assert!((19.5..23.5).contains(&pct(counts[1])), "{counts:?}");
        assert!((7.0..9.5).contains(&pct(counts[3])), "{counts:?}");
        assert!((0.6..1.8).contains(&pct(counts[0])), "{counts:?}");
        let rejected = pct(counts[5] + counts[6] + counts[7] + counts[2]);
        assert!((3.0..5.0).contains(&rejected), "{counts:?}");
        assert!(counts[2] > 0 && counts[7] > 0);
    }

    #[test]
    fn items_have_realistic_places_people_and_sectors() {
        let refs = reference();
        let n = 4000u32;
        let (mut anonim, mut rahasia, mut kel, mut loose, mut no_kec) = (0, 0, 0, 0, 0);
        let mut forms = [0usize; 3];
        let mut sectors = std::collections::HashMap::new();
        for index in 0..n {
            let it = item(42, index, false, &[]);
            assert_eq!(it.lokasi.kota_id, KOTA_ID);
            anonim += usize::from(it.anonim == 1);
            rahasia += usize::from(it.rahasia == 1);
            if it.rahasia == 1 {
                assert_eq!(it.jenis, 0);
            }
            *sectors.entry(it.kategori).or_insert(0usize) += 1;
            match it.lokasi.kecamatan.as_deref() {
                None => no_kec += 1,
                Some(k) => {
                    let exact = refs.kecamatan.iter().any(|r| r.name.to_uppercase() == k);
                    if !exact {
                        loose += 1;
                        assert!(
                            k.contains("BARAT")
                                || k.contains("TIMUR")
                                || k.contains("UTARA")
                                || k.contains("SELATAN"),
                            "{k}"
                        );
                    }
                }
            }
            if let Some(k) = &it.lokasi.kelurahan {
                kel += 1;
                assert!(refs
                    .kecamatan
                    .iter()
                    .flat_map(|r| &r.kelurahan)
                    .any(|x| x.to_uppercase() == *k));
            }
            if let Some(hp) = &it.pelapor.hp {
                if hp.starts_with("+62 ") {
                    forms[2] += 1;
                } else if hp.starts_with('0') {
                    forms[1] += 1;
                } else {
                    forms[0] += 1;
                }
            }
        }
        let pct = |x: usize| x as f64 * 100.0 / f64::from(n);
        assert!((12.0..18.0).contains(&pct(anonim)), "{}", pct(anonim));
        assert!((7.5..12.5).contains(&pct(rahasia)), "{}", pct(rahasia));
        assert!((20.0..30.0).contains(&pct(kel)), "{}", pct(kel));
        assert!((10.0..20.0).contains(&pct(loose)), "{}", pct(loose));
        assert!((2.0..6.0).contains(&pct(no_kec)), "{}", pct(no_kec));
        assert!(forms.iter().all(|f| *f > 200), "{forms:?}");
        let top = [
            "Infrastruktur",
            "Pendidikan",
            "Ketenagakerjaan",
            "ESDM",
            "Sosial",
        ];
        let in_top: usize = top
            .iter()
            .map(|k| sectors.get(k).copied().unwrap_or(0))
            .sum();
        assert!(pct(in_top) > 60.0, "{sectors:?}");
        assert_eq!(sectors.len(), SECTORS.len(), "{sectors:?}");
    }

    #[test]
    fn other_kota_items_name_their_own_kota_and_opd() {
        for index in 0..500 {
            let it = item(42, index, true, &[]);
            assert_ne!(it.lokasi.kota_id, KOTA_ID);
            assert!(!it.lokasi.kota.contains("KOTA PEKALONGAN"));
            if let Some(opd) = &it.opd {
                assert!(!opd.contains("Kota Pekalongan"), "{opd}");
            }
        }
    }

    #[test]
    fn updates_step_the_status_and_append_one_entry_each() {
        let base_item = item(9, 17, false, &[]);
        let t0 = base_item.updated;
        let extra = [t0 + 5_000, t0 + 9_000];
        let it = item(9, 17, false, &extra);
        assert_eq!(it.updated, t0 + 9_000);
        let Code::Num(before) = base_item.status else {
            panic!()
        };
        let expected = current_status(9, 17, 3);
        if next_status(before as u8).is_some() {
            assert_eq!(it.timeline.len(), base_item.timeline.len() + 2);
            assert_eq!(it.status, Code::Num(i64::from(expected)));
            assert_eq!(
                it.timeline.last().map(|e| e.tanggal.clone()),
                Some(format_tanggal((t0 + 9_000) / 1000))
            );
        }
        assert_eq!(it.no_tiket, base_item.no_tiket);
        assert_eq!(it.isi, base_item.isi);
    }

    #[test]
    fn malformed_items_keep_ticket_updated_and_kota_id() {
        for kind in 0..3 {
            let mut it = item(1, 0, false, &[]);
            let (t, u, k) = (it.no_tiket.clone(), it.updated, it.lokasi.kota_id);
            corrupt(&mut it, kind);
            let v = serde_json::to_value(&it).expect("json");
            assert_eq!(v["noTiket"], t.as_str());
            assert_eq!(v["updated"], u);
            assert_eq!(v["lokasi"]["kotaId"], k);
            let broken = v["created"].is_string()
                || v["status"].is_string()
                || v["timeline"][0]["tanggal"] == "32/13/2021";
            assert!(broken, "{v}");
        }
    }
}
