//! Deterministic generation of one SP4N-LAPOR! report from `(seed, index, version)`.
//!
//! A report's RNG is seeded from the simulator seed and the report index only. The first
//! draws make its [`Skeleton`] (creation time, status, times of its history), cheap enough
//! to compute for a million reports; the full JSON continues with the same RNG. Each later
//! version adds one step to the history at a time the simulator stored.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::topics::{
    Topic, ARSIP_NOTES, ASPIRASI_REPLIES, BUKAN_WEWENANG_INSIDE, BUKAN_WEWENANG_OUTSIDE,
    CLOSING_REPLIES, INFORMASI_REPLIES, PELAPOR_REPLIES, TOPICS,
};
use crate::reference::{reference, Category, Kecamatan};
use crate::text::{
    mix64, office, phone, pick, pick_str, title_case, weighted, Fill, DURATIONS, FIRST_NAMES,
    LAST_NAMES, PLACES, PUSKESMAS, SCHOOLS, STREETS,
};

/// 2021-01-01T00:00:00+07:00.
pub(crate) const START: i64 = 1_609_434_000;
/// 2025-01-01T00:00:00+07:00: "now" for deciding how far a report got.
pub(crate) const END: i64 = 1_735_664_400;
const WIB: i64 = 7 * 3600;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// A report's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    BelumTerverifikasi,
    Ditunda,
    Terverifikasi,
    Terdisposisi,
    Ditindaklanjuti,
    Ditanggapi,
    Selesai,
    SelesaiOtomatis,
    BukanWewenang,
    Diarsipkan,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::BelumTerverifikasi => "Belum Terverifikasi",
            Status::Ditunda => "Ditunda",
            Status::Terverifikasi => "Terverifikasi",
            Status::Terdisposisi => "Terdisposisi",
            Status::Ditindaklanjuti => "Ditindaklanjuti oleh Instansi",
            Status::Ditanggapi => "Ditanggapi oleh Pelapor",
            Status::Selesai => "Selesai",
            Status::SelesaiOtomatis => "Selesai otomatis",
            Status::BukanWewenang => "Bukan Wewenang",
            Status::Diarsipkan => "Diarsipkan",
        }
    }
}

/// The first draws of a report: enough to know its times and status.
#[derive(Debug, Clone)]
pub(crate) struct Skeleton {
    pub(crate) created: i64,
    pub(crate) outside: bool,
    pub(crate) status: Status,
    pub(crate) disposed: Option<i64>,
    pub(crate) tl_instansi: Option<i64>,
    pub(crate) tl_pelapor: Option<i64>,
    pub(crate) tl_instansi2: Option<i64>,
    /// Status changes without an entry in the arrays (verification, closing, archiving).
    pub(crate) marks: [Option<i64>; 2],
}

impl Skeleton {
    /// The last change of version 1.
    pub(crate) fn updated(&self) -> i64 {
        [
            self.disposed,
            self.tl_instansi,
            self.tl_pelapor,
            self.tl_instansi2,
            self.marks[0],
            self.marks[1],
        ]
        .into_iter()
        .flatten()
        .fold(self.created, i64::max)
    }
}

/// The RNG of report `index`.
pub(crate) fn report_rng(seed: u64, index: u32) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix64(seed ^ mix64(u64::from(index) ^ 0x5350_344E)))
}

/// The RNG of version `version` (>= 2) of report `index`.
fn version_rng(seed: u64, index: u32, version: u32) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix64(
        seed ^ mix64(u64::from(index) ^ (u64::from(version) << 40) ^ 0x5645_5253),
    ))
}

/// The RNG of what the reporter of report `index` writes of themselves into its text (apart
/// from [`report_rng`], so that the rest of the report reads as it did before it was added).
fn signature_rng(seed: u64, index: u32) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix64(seed ^ mix64(u64::from(index) ^ 0x5349_474E)))
}

/// Numbers of family working abroad, as reporters give them (Malaysia, Taiwan, Hong Kong,
/// Saudi Arabia, Singapore).
const ABROAD: &[&str] = &[
    "+60 12-{3} {4}",
    "+886 9{2} {3} {3}",
    "+852 9{3} {4}",
    "+966 5{1} {3} {4}",
    "+65 8{3} {4}",
];

/// About one report in eight whose reporter is neither anonymous nor confidential ends with
/// the reporter's own name and contacts (which the normaliser hides), now and then a number
/// abroad: `"… Terima kasih. Siti Aminah, HP 0813…"`.
fn signature(seed: u64, index: u32, pelapor: &Pelapor) -> Option<String> {
    let mut rng = signature_rng(seed, index);
    if !rng.gen_bool(0.12) {
        return None;
    }
    let nama = &pelapor.nama;
    let abroad = |rng: &mut ChaCha8Rng| {
        let mut out = String::new();
        let form = *pick(rng, ABROAD);
        let mut chars = form.chars();
        while let Some(c) = chars.next() {
            if c == '{' {
                let n = chars.next().and_then(|d| d.to_digit(10)).unwrap_or(0);
                chars.next();
                for _ in 0..n {
                    out.push(char::from(b'0' + rng.gen_range(0..10u8)));
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    Some(
        match (rng.gen_range(0..4), &pelapor.telepon, &pelapor.email) {
            (0, Some(hp), _) => format!(" Terima kasih. {nama}, HP {hp}"),
            (1, Some(hp), Some(email)) => {
                format!(" Mohon segera ditindaklanjuti, hubungi saya di {hp} atau {email}.")
            }
            (2, _, _) => format!(
                " Saya {nama}, bisa dihubungi lewat WA anak saya di luar negeri {}.",
                abroad(&mut rng)
            ),
            _ => format!(" Hormat saya, {nama}."),
        },
    )
}

/// The tracking id of report `index`: increasing with the index, with a little jitter.
pub(crate) fn tracking_id(seed: u64, index: u32) -> u64 {
    9_000_000 + u64::from(index) * 7 + mix64(seed ^ u64::from(index) ^ 0x7472_6163) % 7
}

/// Unix seconds as ISO 8601 in WIB: `2021-09-10T19:02:11+07:00`.
pub(crate) fn format_time(t: i64) -> String {
    let local = t + WIB;
    let (y, m, d) = crate::text::civil_from_days(local.div_euclid(DAY));
    let s = local.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+07:00",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// Unix seconds as a WIB date: `2021-09-10`.
fn format_date(t: i64) -> String {
    let (y, m, d) = crate::text::civil_from_days((t + WIB).div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

fn after<R: Rng>(t: i64, min: i64, max: i64, rng: &mut R) -> i64 {
    t + rng.gen_range(min..=max)
}

fn choose_status<R: Rng>(rng: &mut R, age_days: i64, outside: bool) -> Status {
    use Status::*;
    if outside && age_days > 14 && rng.gen_bool(0.5) {
        return BukanWewenang;
    }
    let table: &[(Status, u32)] = if age_days < 14 {
        &[
            (BelumTerverifikasi, 25),
            (Ditunda, 5),
            (Terverifikasi, 15),
            (Terdisposisi, 20),
            (Ditindaklanjuti, 20),
            (Ditanggapi, 5),
            (Selesai, 8),
            (BukanWewenang, 1),
            (Diarsipkan, 1),
        ]
    } else if age_days < 90 {
        &[
            (BelumTerverifikasi, 3),
            (Ditunda, 2),
            (Terverifikasi, 4),
            (Terdisposisi, 8),
            (Ditindaklanjuti, 15),
            (Ditanggapi, 6),
            (Selesai, 45),
            (SelesaiOtomatis, 10),
            (BukanWewenang, 4),
            (Diarsipkan, 3),
        ]
    } else {
        &[
            (BelumTerverifikasi, 1),
            (Ditunda, 1),
            (Terverifikasi, 1),
            (Terdisposisi, 2),
            (Ditindaklanjuti, 4),
            (Ditanggapi, 2),
            (Selesai, 63),
            (SelesaiOtomatis, 16),
            (BukanWewenang, 5),
            (Diarsipkan, 5),
        ]
    };
    weighted(rng, table)
}

/// The skeleton of a report; the first draws of its RNG.
pub(crate) fn skeleton<R: Rng>(rng: &mut R) -> Skeleton {
    let days = (END - START) / DAY;
    // Slightly more reports in later years.
    let day = ((days as f64) * rng.gen::<f64>().powf(0.85)) as i64;
    let sec = if rng.gen_bool(0.85) {
        rng.gen_range(6 * HOUR..22 * HOUR)
    } else {
        rng.gen_range(0..DAY)
    };
    let created = START + day.min(days - 1) * DAY + sec;
    let outside = rng.gen_bool(0.05);
    let status = choose_status(rng, (END - created) / DAY, outside);

    let mut sk = Skeleton {
        created,
        outside,
        status,
        disposed: None,
        tl_instansi: None,
        tl_pelapor: None,
        tl_instansi2: None,
        marks: [None, None],
    };
    use Status::*;
    match status {
        BelumTerverifikasi => {}
        Ditunda => sk.marks[0] = Some(office(after(created, HOUR, 3 * DAY, rng), rng)),
        Diarsipkan => {
            let verified = office(after(created, HOUR, 3 * DAY, rng), rng);
            sk.marks = [
                Some(verified),
                Some(office(after(verified, 2 * DAY, 14 * DAY, rng), rng)),
            ];
        }
        _ => {
            let verified = office(after(created, HOUR, 3 * DAY, rng), rng);
            sk.marks[0] = Some(verified);
            if status == Terverifikasi {
                return sk;
            }
            let disposed = office(after(verified, 600, DAY, rng), rng);
            sk.disposed = Some(disposed);
            if status == Terdisposisi {
                return sk;
            }
            let tl = office(after(disposed, 2 * HOUR, 7 * DAY, rng), rng);
            sk.tl_instansi = Some(tl);
            let second_round = match status {
                Ditanggapi => true,
                Ditindaklanjuti => rng.gen_bool(0.2),
                Selesai => rng.gen_bool(0.25),
                _ => false,
            };
            let mut last = tl;
            if second_round {
                let p = after(tl, HOUR, 5 * DAY, rng);
                sk.tl_pelapor = Some(p);
                last = p;
                if status != Ditanggapi {
                    let i2 = office(after(p, 2 * HOUR, 5 * DAY, rng), rng);
                    sk.tl_instansi2 = Some(i2);
                    last = i2;
                }
            }
            match status {
                Selesai => sk.marks[1] = Some(office(after(last, 600, 2 * DAY, rng), rng)),
                SelesaiOtomatis => {
                    sk.marks[1] = Some(after(last, 14 * DAY, 14 * DAY + 6 * HOUR, rng))
                }
                BukanWewenang => sk.marks[1] = Some(after(last, 60, HOUR, rng)),
                _ => {}
            }
        }
    }
    sk
}

/// `updated_at` of version 1 of report `index`.
pub(crate) fn base_updated(seed: u64, index: u32) -> i64 {
    skeleton(&mut report_rng(seed, index)).updated()
}

/// A report as the API serves it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) tracking_id: u64,
    pub(crate) judul: String,
    pub(crate) isi: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) klasifikasi: Option<&'static str>,
    pub(crate) kategori: Kategori,
    pub(crate) sumber: &'static str,
    pub(crate) anonim: serde_json::Value,
    pub(crate) rahasia: bool,
    pub(crate) pelapor: Option<Pelapor>,
    pub(crate) tanggal_kejadian: String,
    pub(crate) lokasi: Lokasi,
    pub(crate) status: &'static str,
    pub(crate) instansi_tujuan: Option<&'static str>,
    pub(crate) disposisi: Vec<Disposisi>,
    pub(crate) tindak_lanjut: Vec<TindakLanjut>,
    pub(crate) lampiran: Vec<Lampiran>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// `kategori`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Kategori {
    pub(crate) utama: String,
    pub(crate) sub: String,
}

/// `pelapor`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Pelapor {
    pub(crate) nama: String,
    pub(crate) telepon: Option<String>,
    pub(crate) email: Option<String>,
}

/// `lokasi`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Lokasi {
    pub(crate) provinsi: &'static str,
    pub(crate) kota: &'static str,
    pub(crate) kecamatan: Option<String>,
    pub(crate) kelurahan: Option<String>,
    pub(crate) alamat: Option<String>,
}

/// `disposisi[]`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Disposisi {
    pub(crate) ke_instansi: &'static str,
    pub(crate) waktu: String,
    pub(crate) oleh: &'static str,
}

/// `tindak_lanjut[]`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TindakLanjut {
    pub(crate) waktu: String,
    pub(crate) oleh: &'static str,
    pub(crate) isi: String,
}

/// `lampiran[]`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Lampiran {
    pub(crate) nama: String,
    pub(crate) url: String,
    pub(crate) mime: &'static str,
}

/// Real-world spellings of kelurahan names that still clearly denote the kelurahan.
const KELURAHAN_VARIANTS: &[(&str, &[&str])] = &[
    (
        "Noyontaansari",
        &["Noyontaan Sari", "Kel. Noyontaan Sari", "Noyontaan"],
    ),
    ("Kali Baros", &["Kalibaros", "Kel. Kalibaros"]),
    (
        "Pasirkratonkramat",
        &["Pasir Kraton Kramat", "Pasirkraton Kramat", "Pasir Kraton"],
    ),
    ("Sapuro Kebulen", &["Sapuro", "Sapuro-Kebulen", "Kebulen"]),
    ("Padukuhan Kraton", &["Padukuhankraton", "Padukuhan"]),
    ("Panjang Wetan", &["Panjangwetan"]),
    ("Panjang Baru", &["Panjangbaru"]),
    ("Kandang Panjang", &["Kandangpanjang"]),
    ("Bendan Kergon", &["Bendankergon"]),
    ("Buaran Kradenan", &["Buaran", "Buarankradenan"]),
    ("Kuripan Yosorejo", &["Kuripan Yosoredjo"]),
    ("Pringrejo", &["Pringredjo"]),
    ("Sokoduwet", &["Soko Duwet"]),
    ("Podosugih", &["Podo Sugih"]),
];

/// A kecamatan outside the city and some of its desa/kelurahan.
type OutsideKecamatan = (&'static str, &'static [&'static str]);

/// Places outside Kota Pekalongan: (kota, its kecamatan).
const OUTSIDE: &[(&str, &[OutsideKecamatan])] = &[
    (
        "Kabupaten Pekalongan",
        &[
            ("Wiradesa", &["Kauman", "Bener", "Petukangan"]),
            (
                "Kedungwuni",
                &["Kedungwuni Timur", "Kedungwuni Barat", "Tangkil Tengah"],
            ),
            ("Tirto", &["Pacar", "Tegaldowo", "Karangjompo"]),
            ("Buaran", &["Simbang Kulon", "Coprayan"]),
        ],
    ),
    (
        "Kab. Pekalongan",
        &[
            ("Kedungwuni", &["Kedungwuni Timur", "Rengas"]),
            ("Wonopringgo", &["Wonopringgo", "Pegaden Tengah"]),
        ],
    ),
    (
        "Kabupaten Batang",
        &[
            (
                "Batang",
                &["Kasepuhan", "Proyonanggan Selatan", "Karangasem Utara"],
            ),
            ("Warungasem", &["Pandansari", "Sidorejo"]),
        ],
    ),
];

const SUMBER: &[(&str, u32)] = &[
    (
        "Android - dinas-komunikasi-dan-informatika-kota-pekalongan",
        40,
    ),
    ("Website", 30),
    ("WhatsApp", 12),
    ("SMS 1708", 8),
    ("iOS", 7),
    ("Twitter @lapor1708", 3),
];

fn kecamatan_variant<R: Rng>(rng: &mut R, name: &str) -> String {
    let dir = name.strip_prefix("Pekalongan ").unwrap_or(name);
    match rng.gen_range(0..6) {
        0 => format!("Pek. {dir}"),
        1 => name.to_uppercase(),
        2 => format!("Kec. {name}"),
        3 => format!("Kecamatan {name}"),
        4 => format!("Pkl {dir}"),
        _ => name.to_lowercase(),
    }
}

fn kelurahan_variant<R: Rng>(rng: &mut R, name: &str) -> String {
    if let Some((_, variants)) = KELURAHAN_VARIANTS.iter().find(|(k, _)| *k == name) {
        if rng.gen_bool(0.6) {
            return (*pick(rng, variants)).to_string();
        }
    }
    match rng.gen_range(0..4) {
        0 => format!("Kel. {name}"),
        1 => name.to_uppercase(),
        2 => format!("Kelurahan {name}"),
        _ => name.to_lowercase(),
    }
}

/// Location fields and the kelurahan name to use in texts.
fn lokasi<R: Rng>(rng: &mut R, outside: bool, kecamatan: &[Kecamatan]) -> (Lokasi, String) {
    if outside || kecamatan.is_empty() {
        let (kota, kecs) = pick(rng, OUTSIDE);
        let (kec, kels) = pick(rng, kecs);
        let kel = (*pick(rng, kels)).to_string();
        return finish_lokasi(rng, kota, Some((*kec).to_string()), kel.clone(), kel);
    }
    let k = &kecamatan[rng.gen_range(0..kecamatan.len())];
    let canonical = if k.kelurahan.is_empty() {
        String::new()
    } else {
        k.kelurahan[rng.gen_range(0..k.kelurahan.len())].clone()
    };
    let kec = if rng.gen_bool(0.2) {
        kecamatan_variant(rng, &k.name)
    } else {
        k.name.clone()
    };
    let written = if !canonical.is_empty() && rng.gen_bool(0.2) {
        kelurahan_variant(rng, &canonical)
    } else {
        canonical.clone()
    };
    finish_lokasi(rng, "Kota Pekalongan", Some(kec), written, canonical)
}

fn finish_lokasi<R: Rng>(
    rng: &mut R,
    kota: &'static str,
    kecamatan: Option<String>,
    kelurahan: String,
    text_kel: String,
) -> (Lokasi, String) {
    let kelurahan = (!kelurahan.is_empty() && !rng.gen_bool(0.07)).then_some(kelurahan);
    let street = *pick(rng, STREETS);
    let alamat = match rng.gen_range(0..10) {
        0..=3 => Some(street.to_string()),
        4..=5 => Some(format!("{street} No. {}", rng.gen_range(1..=250))),
        6 => Some(format!(
            "{street}, RT {:02}/RW {:02}",
            rng.gen_range(1..=12),
            rng.gen_range(1..=9)
        )),
        7 => Some(format!("Gg. {}, {street}", rng.gen_range(1..=15))),
        8 => Some(format!("depan {}, {street}", pick(rng, PLACES))),
        _ => None,
    };
    let text_kel = if text_kel.is_empty() {
        "kelurahan kami".to_string()
    } else {
        text_kel
    };
    (
        Lokasi {
            provinsi: "Jawa Tengah",
            kota,
            kecamatan,
            kelurahan,
            alamat,
        },
        text_kel,
    )
}

fn kategori<R: Rng>(rng: &mut R, topic: &Topic, template: usize) -> Kategori {
    let (main, sub) = topic.cats[template % topic.cats.len()];
    let stored: Option<&Category> = reference().category(main, sub);
    let (utama, sub) = match stored {
        Some(c) => (c.main.clone(), c.sub.clone()),
        None => (main.to_string(), sub.to_string()),
    };
    match rng.gen_range(0..20) {
        0 => Kategori {
            utama: utama.to_lowercase(),
            sub: sub.to_lowercase(),
        },
        1 => Kategori {
            utama: title_case(&utama),
            sub: title_case(&sub),
        },
        _ => Kategori { utama, sub },
    }
}

fn pelapor<R: Rng>(rng: &mut R) -> Pelapor {
    let first = *pick(rng, FIRST_NAMES);
    let last = rng.gen_bool(0.7).then(|| *pick(rng, LAST_NAMES));
    let nama = match last {
        Some(l) => format!("{first} {l}"),
        None => first.to_string(),
    };
    let telepon = (!rng.gen_bool(0.05)).then(|| phone(rng));
    let email = rng.gen_bool(0.6).then(|| {
        let user = match last {
            Some(l) => format!("{}.{}", first.to_lowercase(), l.to_lowercase()),
            None => first.to_lowercase(),
        };
        let domain = if rng.gen_bool(0.7) {
            "example.id"
        } else {
            "example.com"
        };
        if rng.gen_bool(0.5) {
            format!("{user}{}@{domain}", rng.gen_range(1..100))
        } else {
            format!("{user}@{domain}")
        }
    });
    Pelapor {
        nama,
        telepon,
        email,
    }
}

/// Adds a little HTML, as texts entered on the website carry.
fn htmlise<R: Rng>(rng: &mut R, isi: &str) -> String {
    let body = isi.replacen(". ", ".<br>\n", 1);
    if rng.gen_bool(0.5) {
        format!("<p>{body}</p><p>Terima kasih &amp; mohon segera ditindaklanjuti.</p>")
    } else {
        format!("{body}<br><br>Hormat saya &amp; warga sekitar")
    }
}

fn lampiran<R: Rng>(rng: &mut R, tracking: u64, created: i64) -> Vec<Lampiran> {
    let count = weighted(rng, &[(0usize, 55), (1, 30), (2, 15)]);
    let stamp = format_time(created);
    let digits: String = stamp
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    (0..count)
        .map(|i| {
            let (nama, mime) = match rng.gen_range(0..10) {
                0..=5 => (
                    format!("IMG_{}_{}{i}.jpg", &digits[..8], &digits[8..]),
                    "image/jpeg",
                ),
                6..=7 => (format!("foto{}.jpg", i + 1), "image/jpeg"),
                8 => (format!("Screenshot_{digits}_{i}.png"), "image/png"),
                _ => (
                    format!("dokumen_pendukung_{}.pdf", i + 1),
                    "application/pdf",
                ),
            };
            Lampiran {
                url: format!("https://lapor.example/storage/lampiran/{tracking}/{nama}"),
                nama,
                mime,
            }
        })
        .collect()
}

/// The stored facts of a report besides its seed: the times of its later versions.
pub(crate) fn report(seed: u64, index: u32, extra: &[i64]) -> Report {
    let mut rng = report_rng(seed, index);
    let sk = skeleton(&mut rng);
    let tracking = tracking_id(seed, index);
    let refs = reference();

    let klasifikasi = weighted(
        &mut rng,
        &[
            ("PENGADUAN", 80),
            ("ASPIRASI", 12),
            ("PERMINTAAN INFORMASI", 8),
        ],
    );
    let topic_weights: Vec<(usize, u32)> = TOPICS
        .iter()
        .enumerate()
        .map(|(i, t)| (i, t.weight))
        .collect();
    let topic = &TOPICS[weighted(&mut rng, &topic_weights)];
    let template = rng.gen_range(0..topic.templates.len());
    let kategori = kategori(&mut rng, topic, template);
    let instansi = *pick(&mut rng, topic.instansi);
    let (lokasi, kel) = lokasi(&mut rng, sk.outside, &refs.kecamatan);
    let fill = Fill {
        jalan: lokasi_street(&lokasi).unwrap_or_else(|| *pick(&mut rng, STREETS)),
        tempat: pick_str(&mut rng, PLACES),
        kel,
        rt: format!(
            "RT {:02} RW {:02}",
            rng.gen_range(1..=12),
            rng.gen_range(1..=9)
        ),
        lama: pick_str(&mut rng, DURATIONS),
        puskesmas: pick_str(&mut rng, PUSKESMAS),
        sekolah: pick_str(&mut rng, SCHOOLS),
        n: rng.gen_range(2..=6),
    };
    let (title, text) = match klasifikasi {
        "ASPIRASI" => topic.aspirasi,
        "PERMINTAAN INFORMASI" => topic.informasi,
        _ => topic.templates[template],
    };
    let judul = fill.apply(title);
    let mut isi = fill.apply(text);
    let sumber = weighted(&mut rng, SUMBER);
    if (sumber == "Website" && rng.gen_bool(0.2)) || rng.gen_bool(0.02) {
        isi = htmlise(&mut rng, &isi);
    }
    let anonim = rng.gen_bool(0.2);
    let rahasia = rng.gen_bool(0.1);
    let pelapor_data = pelapor(&mut rng);
    if !anonim && !rahasia {
        if let Some(signed) = signature(seed, index, &pelapor_data) {
            isi.push_str(&signed);
        }
    }
    let tanggal_kejadian = format_date(sk.created - rng.gen_range(0..=7) * DAY);
    let lampiran = lampiran(&mut rng, tracking, sk.created);
    let instansi_tujuan = (sk.disposed.is_some() || rng.gen_bool(0.5)).then_some(instansi);

    let ctx = Ctx {
        instansi,
        topic,
        template,
        klasifikasi,
        fill,
    };
    let mut disposisi = Vec::new();
    if let Some(t) = sk.disposed {
        disposisi.push(Disposisi {
            ke_instansi: instansi,
            waktu: format_time(t),
            oleh: "Admin Koordinator",
        });
    }
    let mut tindak_lanjut = Vec::new();
    if let Some(t) = sk.tl_instansi {
        let isi = if sk.status == Status::BukanWewenang {
            let replies = if sk.outside {
                BUKAN_WEWENANG_OUTSIDE
            } else {
                BUKAN_WEWENANG_INSIDE
            };
            (*pick(&mut rng, replies)).to_string()
        } else {
            ctx.reply(&mut rng)
        };
        tindak_lanjut.push(TindakLanjut {
            waktu: format_time(t),
            oleh: "instansi",
            isi,
        });
    }
    if let Some(t) = sk.tl_pelapor {
        tindak_lanjut.push(TindakLanjut {
            waktu: format_time(t),
            oleh: "pelapor",
            isi: (*pick(&mut rng, PELAPOR_REPLIES)).to_string(),
        });
    }
    if let Some(t) = sk.tl_instansi2 {
        tindak_lanjut.push(TindakLanjut {
            waktu: format_time(t),
            oleh: "instansi",
            isi: (*pick(&mut rng, CLOSING_REPLIES)).to_string(),
        });
    }

    let mut r = Report {
        tracking_id: tracking,
        judul,
        isi,
        klasifikasi: Some(klasifikasi),
        kategori,
        sumber,
        anonim: serde_json::Value::Bool(anonim),
        rahasia,
        pelapor: (!anonim).then_some(pelapor_data),
        tanggal_kejadian,
        lokasi,
        status: sk.status.as_str(),
        instansi_tujuan,
        disposisi,
        tindak_lanjut,
        lampiran,
        created_at: format_time(sk.created),
        updated_at: format_time(sk.updated()),
    };
    let mut status = sk.status;
    for (k, t) in extra.iter().enumerate() {
        let version = u32::try_from(k + 2).unwrap_or(u32::MAX);
        let mut vrng = version_rng(seed, index, version);
        status = advance(&mut r, status, *t, &ctx, &mut vrng);
    }
    r
}

/// What a report's later follow-ups depend on.
struct Ctx {
    instansi: &'static str,
    topic: &'static Topic,
    template: usize,
    klasifikasi: &'static str,
    fill: Fill,
}

impl Ctx {
    /// A follow-up by the agency: an answer to the question or aspiration, or mostly the
    /// reply matching the complaint's template.
    fn reply<R: Rng>(&self, rng: &mut R) -> String {
        match self.klasifikasi {
            "ASPIRASI" => (*pick(rng, ASPIRASI_REPLIES)).to_string(),
            "PERMINTAAN INFORMASI" => (*pick(rng, INFORMASI_REPLIES)).to_string(),
            _ => {
                let replies = self.topic.replies;
                let i = if rng.gen_bool(0.7) {
                    self.template % replies.len()
                } else {
                    rng.gen_range(0..replies.len())
                };
                self.fill.apply(replies[i])
            }
        }
    }
}

fn lokasi_street(l: &Lokasi) -> Option<&'static str> {
    let alamat = l.alamat.as_deref()?;
    STREETS.iter().copied().find(|s| alamat.contains(s))
}

/// One later step of a report's history at time `t`.
fn advance<R: Rng>(r: &mut Report, status: Status, t: i64, ctx: &Ctx, rng: &mut R) -> Status {
    use Status::*;
    let instansi = ctx.instansi;
    let waktu = format_time(t);
    fn follow_up(r: &mut Report, waktu: &str, oleh: &'static str, isi: String) {
        r.tindak_lanjut.push(TindakLanjut {
            waktu: waktu.to_string(),
            oleh,
            isi,
        });
    }
    let next = match status {
        BelumTerverifikasi | Ditunda => Terverifikasi,
        Terverifikasi => {
            r.instansi_tujuan = Some(instansi);
            r.disposisi.push(Disposisi {
                ke_instansi: instansi,
                waktu: waktu.clone(),
                oleh: "Admin Koordinator",
            });
            Terdisposisi
        }
        Terdisposisi => {
            follow_up(r, &waktu, "instansi", ctx.reply(rng));
            Ditindaklanjuti
        }
        Ditindaklanjuti => {
            follow_up(
                r,
                &waktu,
                "pelapor",
                (*pick(rng, PELAPOR_REPLIES)).to_string(),
            );
            Ditanggapi
        }
        Ditanggapi => {
            follow_up(
                r,
                &waktu,
                "instansi",
                (*pick(rng, CLOSING_REPLIES)).to_string(),
            );
            Selesai
        }
        Selesai | SelesaiOtomatis => {
            follow_up(
                r,
                &waktu,
                "pelapor",
                (*pick(rng, PELAPOR_REPLIES)).to_string(),
            );
            Ditanggapi
        }
        BukanWewenang => Diarsipkan,
        Diarsipkan => {
            follow_up(r, &waktu, "instansi", (*pick(rng, ARSIP_NOTES)).to_string());
            Diarsipkan
        }
    };
    r.status = next.as_str();
    r.updated_at = waktu;
    next
}

/// Makes a report malformed in one of four ways (by `kind % 4`); `tracking_id` and
/// `updated_at` stay valid.
pub(crate) fn corrupt(r: &mut Report, kind: u64) {
    match kind % 4 {
        0 => r.created_at = "kemarin sore".to_string(),
        1 => r.klasifikasi = None,
        2 => match r.tindak_lanjut.first_mut() {
            Some(tl) => tl.waktu = "31/02/2021".to_string(),
            None => r.tindak_lanjut.push(TindakLanjut {
                waktu: "31/02/2021".to_string(),
                oleh: "instansi",
                isi: "Laporan sedang kami pelajari.".to_string(),
            }),
        },
        _ => r.anonim = serde_json::Value::String("ya".to_string()),
    }
}

/// Every category pair the topics use resolves to a stored row (for tests).
#[cfg(test)]
pub(crate) fn unresolved_categories() -> Vec<String> {
    TOPICS
        .iter()
        .flat_map(|t| t.cats.iter())
        .filter(|(m, s)| reference().category(m, s).is_none())
        .map(|(m, s)| format!("{m} / {s}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, FixedOffset};

    #[test]
    fn every_topic_category_is_a_row_of_the_reference_list() {
        assert!(
            unresolved_categories().is_empty(),
            "{:?}",
            unresolved_categories()
        );
    }

    #[test]
    fn times_are_formatted_like_chrono_formats_them_in_wib() {
        let wib = FixedOffset::east_opt(7 * 3600).expect("offset");
        for t in [START, END, 951_782_400, 1_709_164_799, 1_631_275_331] {
            let expected = DateTime::from_timestamp(t, 0)
                .expect("time")
                .with_timezone(&wib)
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string();
            assert_eq!(format_time(t), expected);
        }
        assert_eq!(format_time(START), "2021-01-01T00:00:00+07:00");
    }

    #[test]
    fn office_hours_fall_on_weekdays_between_eight_and_four() {
        let mut rng = report_rng(1, 1);
        for i in 0..2000 {
            let t = office(START + i * 7919, &mut rng);
            assert!(t >= START + i * 7919);
            let local = t + WIB;
            let sec = local.rem_euclid(DAY);
            assert!((8 * HOUR..16 * HOUR).contains(&sec));
            assert!((local.div_euclid(DAY) + 3).rem_euclid(7) < 5);
        }
    }

    #[test]
    fn histories_are_consistent_with_status_and_times() {
        for index in 0..3000 {
            let r = report(7, index, &[]);
            let status = r.status;
            let has_dispo = !r.disposisi.is_empty();
            match status {
                "Belum Terverifikasi" | "Ditunda" | "Terverifikasi" | "Diarsipkan" => {
                    assert!(!has_dispo && r.tindak_lanjut.is_empty(), "{status}")
                }
                "Terdisposisi" => assert!(has_dispo && r.tindak_lanjut.is_empty()),
                "Ditanggapi oleh Pelapor" => {
                    assert_eq!(r.tindak_lanjut.last().map(|t| t.oleh), Some("pelapor"))
                }
                _ => assert!(has_dispo && !r.tindak_lanjut.is_empty(), "{status}"),
            }
            let mut times: Vec<&str> = vec![&r.created_at];
            times.extend(r.disposisi.iter().map(|d| d.waktu.as_str()));
            times.extend(r.tindak_lanjut.iter().map(|d| d.waktu.as_str()));
            for t in &times {
                assert!(*t <= r.updated_at.as_str(), "{t} > {}", r.updated_at);
            }
            assert!(r.tanggal_kejadian.as_str() <= &r.created_at[..10]);
            assert_eq!(
                r.pelapor.is_none(),
                r.anonim == serde_json::Value::Bool(true)
            );
        }
    }

    #[test]
    fn generated_reports_have_realistic_proportions_and_valid_reference_values() {
        let refs = reference();
        let n = 4000u32;
        let (mut pengaduan, mut aspirasi, mut info) = (0, 0, 0);
        let (mut anonim, mut rahasia, mut outside, mut odd_case, mut html) = (0, 0, 0, 0, 0);
        let (mut old, mut old_done, mut misspelt) = (0, 0, 0);
        let mut last_id = 0;
        for index in 0..n {
            let r = report(42, index, &[]);
            assert!(r.tracking_id > last_id);
            last_id = r.tracking_id;
            match r.klasifikasi {
                Some("PENGADUAN") => pengaduan += 1,
                Some("ASPIRASI") => aspirasi += 1,
                Some("PERMINTAAN INFORMASI") => info += 1,
                other => panic!("{other:?}"),
            }
            anonim += usize::from(r.pelapor.is_none());
            rahasia += usize::from(r.rahasia);
            html += usize::from(r.isi.contains("<br>"));
            let k = &r.kategori;
            let stored = refs.category(&k.utama, &k.sub).expect("a reference pair");
            if stored.main != k.utama || stored.sub != k.sub {
                odd_case += 1;
            }
            if let Some(p) = &r.pelapor {
                if let Some(t) = &p.telepon {
                    assert!(
                        t.starts_with("08") || t.starts_with("+628") || t.starts_with("628"),
                        "{t}"
                    );
                    assert!(t
                        .trim_start_matches('+')
                        .chars()
                        .all(|c| c.is_ascii_digit()));
                }
            }
            let l = &r.lokasi;
            assert_eq!(l.provinsi, "Jawa Tengah");
            if l.kota == "Kota Pekalongan" {
                let kec = l.kecamatan.as_deref().expect("kecamatan");
                let kel = l.kelurahan.as_deref();
                match refs.kecamatan.iter().find(|k| k.name == kec) {
                    Some(k) => {
                        if let Some(kel) = kel {
                            let canonical = refs
                                .kecamatan
                                .iter()
                                .any(|x| x.kelurahan.iter().any(|n| n == kel));
                            if canonical {
                                assert!(k.kelurahan.iter().any(|n| n == kel), "{kel} not in {kec}");
                            } else {
                                misspelt += 1;
                            }
                        }
                    }
                    None => misspelt += 1,
                }
            } else {
                outside += 1;
            }
            if r.created_at.as_str() < "2024-06-01" {
                old += 1;
                old_done += usize::from(r.status.starts_with("Selesai"));
            }
        }
        let pct = |x: usize| x as f64 * 100.0 / f64::from(n);
        assert!((76.0..84.0).contains(&pct(pengaduan)), "{}", pct(pengaduan));
        assert!((9.0..15.0).contains(&pct(aspirasi)), "{}", pct(aspirasi));
        assert!((5.5..10.5).contains(&pct(info)), "{}", pct(info));
        assert!((17.0..23.0).contains(&pct(anonim)), "{}", pct(anonim));
        assert!((8.0..12.0).contains(&pct(rahasia)), "{}", pct(rahasia));
        assert!((3.5..6.5).contains(&pct(outside)), "{}", pct(outside));
        assert!((8.0..12.0).contains(&pct(odd_case)), "{}", pct(odd_case));
        assert!((2.0..12.0).contains(&pct(html)), "{}", pct(html));
        assert!((20.0..45.0).contains(&pct(misspelt)), "{}", pct(misspelt));
        assert!(old_done * 100 / old > 70, "{old_done} of {old}");
    }
}
