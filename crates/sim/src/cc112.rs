//! Call Center 112: daily call-log exports (`112_YYYYMMDD.csv`), served behind an HTTP index
//! (`GET /cc112/index.json`, `GET /cc112/{name}`) and written to a folder on request.
//!
//! Each day's calls are generated from (seed, day, call number). Every call has a status
//! history (forwarded, in hand, done) in simulated time; a file shows its day's calls as of
//! the simulator's clock, so moving the clock on ([`Cc112State::advance`]) rewrites the days
//! whose calls changed, as the real export does. The 2021 mix: about 400 calls a year, ~20%
//! complaints, ~74% information requests, the rest prank, ghost, wrong-number and dropped
//! calls. Messy cases of the contract are switches in [`Cc112Faults`].

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::faults::json_error;
use crate::reference::reference;
use crate::text::{mix64, phone, pick_str, weighted, FIRST_NAMES, STREETS};

/// Where the channel is mounted.
pub const PATH_PREFIX: &str = "/cc112";

const HEADER: &str = "No;No Tiket;Waktu Panggilan;No Telepon;Nama Penelepon;Jenis Panggilan;Kategori;Sub Kategori;Keterangan;Alamat;Kelurahan;Kecamatan;Diteruskan Ke;Status;Durasi;Petugas;Waktu Update";

/// Settings of the Call Center 112 simulator.
#[derive(Clone, Debug)]
pub struct Cc112Config {
    /// The first day of exports.
    pub start: NaiveDate,
    /// How many days of exports.
    pub days: u32,
    /// Calls a year (2021: about 400).
    pub calls_per_year: u32,
    /// `user:password` the index requires (Basic auth); `None`: open.
    pub basic_auth: Option<String>,
    /// The messy cases.
    pub faults: Cc112Faults,
}

impl Default for Cc112Config {
    fn default() -> Self {
        Self {
            start: NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default(),
            days: 365,
            calls_per_year: 400,
            basic_auth: None,
            faults: Cc112Faults::default(),
        }
    }
}

/// Switches for the messy cases of the contract.
#[derive(Clone, Debug, Default)]
pub struct Cc112Faults {
    /// Every Nth file starts with a UTF-8 byte order mark.
    pub bom_every: Option<u32>,
    /// Files of days before this date are Windows-1252 (the March 2021 upgrade).
    pub windows_1252_before: Option<NaiveDate>,
    /// Every Nth call is written with `dd/mm/yyyy HH:MM` times (no seconds).
    pub short_time_every: Option<u32>,
    /// Every Nth call is a row that cannot be read (a date that is no date, or fields missing).
    pub bad_rows_every: Option<u32>,
    /// Exports carry an extra trailing column (`Shift`).
    pub extra_column: bool,
    /// A folder written by [`Cc112State::write_dir`] also holds stray files.
    pub stray_files: bool,
}

impl Cc112Faults {
    /// Every messy case on.
    pub fn all() -> Self {
        Self {
            bom_every: Some(3),
            windows_1252_before: NaiveDate::from_ymd_opt(2021, 3, 1),
            short_time_every: Some(4),
            bad_rows_every: Some(40),
            extra_column: true,
            stray_files: true,
        }
    }
}

/// What the simulator holds, for tests to compare against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cc112Stats {
    /// Files (days with calls).
    pub files: u64,
    /// Calls (rows).
    pub calls: u64,
    /// `Pengaduan` calls.
    pub complaints: u64,
    /// `Non Pengaduan` / `Informasi` calls.
    pub information: u64,
    /// Prank, ghost, wrong-number and dropped calls.
    pub non_genuine: u64,
    /// Rows that cannot be read.
    pub bad_rows: u64,
}

fn wib() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// A WIB wall-clock time as an instant (a fixed offset maps every local time once).
fn at(date: NaiveDate, time: NaiveTime) -> DateTime<FixedOffset> {
    wib().from_utc_datetime(&(date.and_time(time) - Duration::hours(7)))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Jenis {
    Pengaduan,
    Informasi,
    Prank,
    Ghost,
    SalahSambung,
    Terputus,
}

const DARURAT: &[(&str, &str, &str)] = &[
    (
        "Kebakaran",
        "Damkar, BPBD",
        "Kebakaran rumah warga, api cukup besar; mohon segera dikirim mobil damkar",
    ),
    (
        "Banjir",
        "BPBD/Dinsos P2KB",
        "Banjir masuk rumah warga setinggi ±50 cm sejak subuh",
    ),
    (
        "Rob",
        "BPBD",
        "Air rob naik ke permukiman, warga minta bantuan evakuasi lansia",
    ),
    (
        "Kecelakaan Lalu Lintas",
        "Polres Pekalongan Kota, Dinkes",
        "Kecelakaan motor dan truk, satu korban luka",
    ),
    (
        "Ambulans",
        "Dinkes/RSUD Bendan",
        "Warga sesak napas butuh ambulans ke RSUD Bendan",
    ),
    (
        "Mobil Jenazah",
        "Dinsos P2KB",
        "Keluarga membutuhkan mobil jenazah dari RSUD Bendan",
    ),
];

const TIDAK_DARURAT: &[(&str, &str, &str)] = &[
    (
        "Pohon Tumbang",
        "DPUPR/BPBD",
        "Pohon angsana tumbang menutup jalan; mohon segera ditangani",
    ),
    (
        "Sarang Tawon",
        "Damkar",
        "Sarang tawon vespa di atap rumah, warga takut tersengat",
    ),
    (
        "Anak Punk",
        "Satpol PP",
        "Sekelompok anak punk mengamen memaksa di perempatan",
    ),
    (
        "Pengemis/Pengamen",
        "Satpol PP, Dinsos P2KB",
        "Pengemis di lampu merah, sebagian membawa anak kecil",
    ),
    (
        "Judi/Miras",
        "Polres Pekalongan Kota",
        "Ada pesta miras di pos ronda tiap malam",
    ),
    (
        "Prostitusi",
        "Satpol PP/Polres Pekalongan Kota",
        "Dugaan praktik prostitusi di rumah kos",
    ),
    (
        "Permintaan Darah",
        "PMI",
        "Pasien RSUD butuh darah golongan O dua kantong",
    ),
    (
        "ODGJ",
        "Dinsos P2KB, Dinkes",
        "ODGJ mengamuk di jalan, membahayakan pengguna jalan",
    ),
    (
        "Evakuasi Hewan Liar",
        "Damkar",
        "Ular sanca masuk ke dapur rumah warga",
    ),
    (
        "PJU Mati",
        "DPUPR",
        "Lampu PJU mati sepanjang jalan, rawan kecelakaan",
    ),
    (
        "Pemadaman Listrik",
        "PLN ULP Pekalongan",
        "Listrik padam sejak sore di satu RW",
    ),
];

const INFORMASI: &[(&str, &str)] = &[
    (
        "Info Vaksin",
        "Menanyakan jadwal vaksin dosis 2 di puskesmas",
    ),
    (
        "Info Covid-19",
        "Menanyakan syarat isolasi mandiri dan nomor puskesmas",
    ),
    (
        "Info PPKM",
        "Menanyakan jam buka warung selama PPKM level 3",
    ),
    ("Bansos PKH", "Menanyakan pencairan bansos PKH bulan ini"),
    (
        "BPUM",
        "Menanyakan pendaftaran BPUM untuk usaha batik rumahan",
    ),
    (
        "Pemadaman Listrik",
        "Menanyakan jadwal pemadaman listrik bergilir",
    ),
    ("Lainnya", "Menanyakan nomor telepon kantor kelurahan"),
];

const OUTSIDE: &[(&str, &str)] = &[
    ("Kedungwuni", "Kab. Pekalongan"),
    ("Warungasem", "Batang"),
    ("Wiradesa", "Kab. Pekalongan"),
];

/// Misspellings that still clearly name a real kelurahan / kecamatan.
fn typed_place<R: Rng>(rng: &mut R, kelurahan: &str, kecamatan: &str) -> (String, String) {
    let kel = match (kelurahan, rng.gen_range(0..8)) {
        ("Noyontaansari", 0..=3) => "Kel. Noyontaan Sari".to_string(),
        ("Kali Baros", 0..=3) => "Kalibaros".to_string(),
        ("Pasirkratonkramat", 0..=3) => "Pasir Kraton Kramat".to_string(),
        (k, 0) => format!("Kel. {k}"),
        (k, 1) => k.to_uppercase(),
        (k, _) => k.to_string(),
    };
    let kec = match rng.gen_range(0..6) {
        0 => kecamatan.replace("Pekalongan", "Pek."),
        1 => kecamatan.to_uppercase(),
        _ => kecamatan.to_string(),
    };
    (kel, kec)
}

struct Call {
    no_tiket: String,
    called: DateTime<FixedOffset>,
    phone: String,
    name: String,
    jenis: &'static str,
    kategori: &'static str,
    sub: &'static str,
    keterangan: String,
    alamat: String,
    kelurahan: String,
    kecamatan: String,
    agencies: &'static str,
    /// (time, status), in order.
    history: Vec<(DateTime<FixedOffset>, &'static str)>,
    duration: String,
    petugas: &'static str,
    short_time: bool,
    bad: Option<u8>,
    shift: &'static str,
}

fn poisson<R: Rng>(rng: &mut R, mean: f64) -> u32 {
    if mean > 30.0 {
        // Normal approximation for busy days.
        let z: f64 = (0..12).map(|_| rng.gen::<f64>()).sum::<f64>() - 6.0;
        return (mean + z * mean.sqrt()).round().max(0.0) as u32;
    }
    let l = (-mean).exp();
    let (mut k, mut p) = (0u32, 1.0f64);
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// The simulator's Call Center 112 state.
#[derive(Debug)]
pub struct Cc112State {
    seed: u64,
    config: Cc112Config,
    /// The simulated clock (WIB): files show calls as of this time.
    now: Mutex<DateTime<FixedOffset>>,
}

/// One entry of `index.json`.
#[derive(Debug, Clone, serde::Serialize)]
struct IndexEntry {
    name: String,
    size: u64,
    modified: String,
    sha256: String,
}

impl Cc112State {
    /// A new state; the clock starts the morning after the last day.
    pub fn new(seed: u64, config: Cc112Config) -> Self {
        let last = config.start + Duration::days(i64::from(config.days));
        let now = at(last, NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default());
        Self {
            seed,
            config,
            now: Mutex::new(now),
        }
    }

    fn now(&self) -> DateTime<FixedOffset> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the clock on by `hours`; returns the names of the files that changed.
    pub fn advance(&self, hours: i64) -> Vec<String> {
        let before = self.index();
        {
            let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
            *now += Duration::hours(hours);
        }
        let after = self.index();
        after
            .iter()
            .filter(|a| {
                !before
                    .iter()
                    .any(|b| b.name == a.name && b.sha256 == a.sha256)
            })
            .map(|a| a.name.clone())
            .collect()
    }

    fn day(&self, d: u32) -> NaiveDate {
        self.config.start + Duration::days(i64::from(d))
    }

    fn calls(&self, d: u32) -> Vec<Call> {
        let date = self.day(d);
        let day_seed = mix64(self.seed ^ mix64(u64::from(d) ^ 0x0112_0112));
        let mut rng = ChaCha8Rng::seed_from_u64(day_seed);
        let n = poisson(&mut rng, f64::from(self.config.calls_per_year) / 365.0);
        let mut seconds: Vec<u32> = (0..n).map(|_| rng.gen_range(0..86_400)).collect();
        seconds.sort_unstable();
        let ymd = date.format("%Y%m%d").to_string();
        let renamed = self
            .config
            .faults
            .windows_1252_before
            .is_some_and(|c| date < c);
        seconds
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut rng = ChaCha8Rng::seed_from_u64(mix64(day_seed ^ (i as u64 + 1)));
                let time = NaiveTime::from_num_seconds_from_midnight_opt(*s, 0).unwrap_or_default();
                let called = at(date, time);
                let global = mix64(day_seed ^ (i as u64) ^ 0xBAD);
                self.call(&mut rng, &ymd, i, called, renamed, global)
            })
            .collect()
    }

    fn call(
        &self,
        rng: &mut ChaCha8Rng,
        ymd: &str,
        i: usize,
        called: DateTime<FixedOffset>,
        old_names: bool,
        key: u64,
    ) -> Call {
        let jenis = weighted(
            rng,
            &[
                (Jenis::Pengaduan, 200),
                (Jenis::Informasi, 740),
                (Jenis::Prank, 30),
                (Jenis::Ghost, 15),
                (Jenis::SalahSambung, 8),
                (Jenis::Terputus, 7),
            ],
        );
        let ticket = format!("112-3375-{ymd}-{:04}", i + 1);
        let mobile = phone(rng);
        let landline = || format!("0285-4{:05}", (key % 100_000) as u32);
        let place = |rng: &mut ChaCha8Rng| -> (String, String, String) {
            let street = pick_str(rng, STREETS);
            if rng.gen_range(0..20) == 0 {
                let (desa, kab) = OUTSIDE[rng.gen_range(0..OUTSIDE.len())];
                return (format!("Desa {desa}"), desa.to_string(), kab.to_string());
            }
            let kecs = &reference().kecamatan;
            let kec = &kecs[rng.gen_range(0..kecs.len())];
            let kel = &kec.kelurahan[rng.gen_range(0..kec.kelurahan.len())];
            let (kel, kec) = typed_place(rng, kel, &kec.name);
            (format!("{street} No. {}", rng.gen_range(1..200)), kel, kec)
        };
        let operator = pick_str(
            rng,
            &[
                "Rina", "Dewi", "Agus", "Fajar", "Siti", "Bayu", "Lestari", "Hendra", "Nur",
            ],
        );
        let mins =
            |rng: &mut ChaCha8Rng, lo: i64, hi: i64| Duration::minutes(rng.gen_range(lo..hi));
        let mut call = Call {
            no_tiket: ticket,
            called,
            phone: mobile,
            name: if rng.gen_bool(0.6) {
                pick_str(rng, FIRST_NAMES).to_string()
            } else {
                "-".into()
            },
            jenis: "",
            kategori: "",
            sub: "",
            keterangan: String::new(),
            alamat: String::new(),
            kelurahan: String::new(),
            kecamatan: String::new(),
            agencies: "",
            history: Vec::new(),
            duration: format!("{:02}:{:02}", rng.gen_range(0..6), rng.gen_range(0..60)),
            petugas: operator,
            short_time: self
                .config
                .faults
                .short_time_every
                .is_some_and(|n| n > 0 && key % u64::from(n) == 1),
            bad: self
                .config
                .faults
                .bad_rows_every
                .filter(|n| *n > 0 && key.is_multiple_of(u64::from(*n)))
                .map(|_| (key >> 8) as u8 % 2),
            shift: match called.format("%H").to_string().parse::<u32>().unwrap_or(0) {
                6..=13 => "Pagi",
                14..=21 => "Siang",
                _ => "Malam",
            },
        };
        if rng.gen_range(0..10) == 0 {
            call.phone = if rng.gen_bool(0.5) {
                landline()
            } else {
                format!("(0285) 4{:05}", (key % 100_000) as u32)
            };
        }
        match jenis {
            Jenis::Pengaduan => {
                let darurat = rng.gen_bool(0.45);
                let (sub, agencies, text) = if darurat {
                    DARURAT[rng.gen_range(0..DARURAT.len())]
                } else {
                    TIDAK_DARURAT[rng.gen_range(0..TIDAK_DARURAT.len())]
                };
                let (alamat, kel, kec) = place(rng);
                call.jenis = if rng.gen_bool(0.1) {
                    "PENGADUAN"
                } else {
                    "Pengaduan"
                };
                call.kategori = if darurat {
                    "Gawat Darurat"
                } else {
                    "Gawat Tidak Darurat"
                };
                call.sub = sub;
                call.keterangan = match rng.gen_range(0..4) {
                    0 => format!("{text}.\nPelapor: \"tolong cepat, Pak\""),
                    1 => format!("{text}; lokasi dekat {}", pick_str(rng, STREETS)),
                    _ => text.to_string(),
                };
                call.alamat = alamat;
                call.kelurahan = kel;
                call.kecamatan = kec;
                call.agencies = agencies;
                let forwarded = called + mins(rng, 2, 10);
                let handling = forwarded + mins(rng, 20, 180);
                let done = handling + Duration::hours(rng.gen_range(1..72));
                call.history = vec![
                    (forwarded, "Diteruskan"),
                    (handling, "Dalam Penanganan"),
                    (done, "Selesai"),
                ];
            }
            Jenis::Informasi => {
                let (sub, text) = INFORMASI[rng.gen_range(0..INFORMASI.len())];
                call.jenis = if old_names && rng.gen_bool(0.7) {
                    "Informasi"
                } else {
                    "Non Pengaduan"
                };
                call.kategori = "Informasi";
                call.sub = sub;
                call.keterangan = text.to_string();
                call.history = vec![(called + mins(rng, 1, 8), "Informasi Diberikan")];
            }
            other => {
                call.jenis = match other {
                    Jenis::Prank => "Prank Call",
                    Jenis::Ghost => "Ghost Call",
                    Jenis::SalahSambung => "Salah Sambung",
                    _ => "Terputus",
                };
                let ticketless = matches!(other, Jenis::Ghost | Jenis::Terputus)
                    || (other == Jenis::Prank && rng.gen_bool(0.5));
                if ticketless {
                    call.no_tiket.clear();
                }
                if other == Jenis::Ghost {
                    call.phone = if rng.gen_bool(0.6) {
                        "Private".into()
                    } else {
                        String::new()
                    };
                }
                call.name = "-".into();
                call.duration = format!("00:{:02}", rng.gen_range(3..50));
                call.history = vec![(
                    called + Duration::seconds(rng.gen_range(10..120)),
                    "Tidak Ditindaklanjuti",
                )];
            }
        }
        call
    }

    /// The calls of day `d` made by `now`.
    fn calls_as_of(&self, d: u32, now: DateTime<FixedOffset>) -> Vec<Call> {
        self.calls(d)
            .into_iter()
            .filter(|c| c.called <= now)
            .collect()
    }

    fn render(
        &self,
        d: u32,
        now: DateTime<FixedOffset>,
    ) -> Option<(Vec<u8>, DateTime<FixedOffset>)> {
        let date = self.day(d);
        let calls = self.calls_as_of(d, now);
        if calls.is_empty() {
            return None;
        }
        let faults = &self.config.faults;
        let mut text = String::from(HEADER);
        if faults.extra_column {
            text.push_str(";Shift");
        }
        text.push_str("\r\n");
        let mut last_change = calls[0].called;
        for (i, c) in calls.iter().enumerate() {
            let (updated, status) = c
                .history
                .iter()
                .rev()
                .find(|(t, _)| *t <= now)
                .copied()
                .unwrap_or((c.called, "Diteruskan"));
            last_change = last_change.max(updated);
            let fmt = if c.short_time {
                "%d/%m/%Y %H:%M"
            } else {
                "%d/%m/%Y %H:%M:%S"
            };
            let called = match c.bad {
                Some(0) => "31/02/2021 25:61:00".to_string(),
                _ => c.called.format(fmt).to_string(),
            };
            let mut fields = vec![
                (i + 1).to_string(),
                c.no_tiket.clone(),
                called,
                c.phone.clone(),
                c.name.clone(),
                c.jenis.to_string(),
                c.kategori.to_string(),
                c.sub.to_string(),
                c.keterangan.clone(),
                c.alamat.clone(),
                c.kelurahan.clone(),
                c.kecamatan.clone(),
                c.agencies.to_string(),
                status.to_string(),
                c.duration.clone(),
                c.petugas.to_string(),
                updated.format("%d/%m/%Y %H:%M:%S").to_string(),
            ];
            if faults.extra_column {
                fields.push(c.shift.to_string());
            }
            if c.bad == Some(1) {
                fields.truncate(9);
            }
            let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
            text.push_str(&line.join(";"));
            text.push_str("\r\n");
        }
        let mut bytes = if faults.windows_1252_before.is_some_and(|c| date < c) {
            encode_1252(&text)
        } else {
            text.into_bytes()
        };
        if faults
            .bom_every
            .is_some_and(|n| n > 0 && d.is_multiple_of(n))
            && faults.windows_1252_before.is_none_or(|c| date >= c)
        {
            let mut with_bom = b"\xEF\xBB\xBF".to_vec();
            with_bom.append(&mut bytes);
            bytes = with_bom;
        }
        // The export runs early the next morning, or after each change.
        let written = last_change.max(at(
            date + Duration::days(1),
            NaiveTime::from_hms_opt(6, 0, 2).unwrap_or_default(),
        ));
        Some((bytes, written.min(now)))
    }

    fn file(&self, name: &str) -> Option<Vec<u8>> {
        let now = self.now();
        (0..self.config.days)
            .find(|d| file_name(self.day(*d)) == name)
            .and_then(|d| self.render(d, now))
            .map(|(b, _)| b)
    }

    fn index(&self) -> Vec<IndexEntry> {
        let now = self.now();
        (0..self.config.days)
            .filter_map(|d| {
                let (bytes, modified) = self.render(d, now)?;
                Some(IndexEntry {
                    name: file_name(self.day(d)),
                    size: bytes.len() as u64,
                    modified: modified.to_rfc3339(),
                    sha256: hex::encode(Sha256::digest(&bytes)),
                })
            })
            .collect()
    }

    /// What the exports hold as of the clock.
    pub fn stats(&self) -> Cc112Stats {
        let now = self.now();
        let mut s = Cc112Stats::default();
        for d in 0..self.config.days {
            let calls = self.calls_as_of(d, now);
            if calls.is_empty() {
                continue;
            }
            s.files += 1;
            for c in calls {
                s.calls += 1;
                if c.bad.is_some() {
                    s.bad_rows += 1;
                    continue;
                }
                match c.jenis.to_lowercase().as_str() {
                    "pengaduan" => s.complaints += 1,
                    "non pengaduan" | "informasi" => s.information += 1,
                    _ => s.non_genuine += 1,
                }
            }
        }
        s
    }

    /// Writes every file into `dir`, dated as the export wrote it (old enough to be read),
    /// plus stray files if switched on. Returns the number of exports written.
    pub fn write_dir(&self, dir: &Path) -> io::Result<usize> {
        std::fs::create_dir_all(dir)?;
        let now = self.now();
        let mut n = 0;
        for d in 0..self.config.days {
            let Some((bytes, modified)) = self.render(d, now) else {
                continue;
            };
            let path = dir.join(file_name(self.day(d)));
            if std::fs::read(&path).ok().as_deref() == Some(bytes.as_slice()) {
                n += 1;
                continue;
            }
            std::fs::write(&path, &bytes)?;
            let when = std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(u64::try_from(modified.timestamp()).unwrap_or(0));
            std::fs::File::options()
                .write(true)
                .open(&path)?
                .set_modified(when)?;
            n += 1;
        }
        if self.config.faults.stray_files {
            std::fs::write(dir.join("112_20210101.csv.tmp"), b"No;No Tiket\r\n1;")?;
            std::fs::write(dir.join("Thumbs.db"), [0u8, 1, 2, 3])?;
        }
        Ok(n)
    }
}

fn file_name(date: NaiveDate) -> String {
    format!("112_{}.csv", date.format("%Y%m%d"))
}

fn quote(field: &str) -> String {
    if field.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn encode_1252(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
}

fn authorised(state: &Cc112State, headers: &HeaderMap) -> bool {
    let Some(expected) = &state.config.basic_auth else {
        return true;
    };
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    base64_decode(encoded.trim()).is_some_and(|d| d == expected.as_bytes())
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

async fn index_route(State(state): State<Arc<Cc112State>>, headers: HeaderMap) -> Response {
    if !authorised(&state, &headers) {
        return json_error(StatusCode::UNAUTHORIZED, "authentication required");
    }
    let s = Arc::clone(&state);
    match tokio::task::spawn_blocking(move || s.index()).await {
        Ok(index) => axum::Json(index).into_response(),
        Err(_) => json_error(StatusCode::INTERNAL_SERVER_ERROR, "index failed"),
    }
}

async fn file_route(
    State(state): State<Arc<Cc112State>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&state, &headers) {
        return json_error(StatusCode::UNAUTHORIZED, "authentication required");
    }
    let s = Arc::clone(&state);
    match tokio::task::spawn_blocking(move || s.file(&name)).await {
        Ok(Some(bytes)) => {
            let mut resp = bytes.into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
            resp
        }
        _ => json_error(StatusCode::NOT_FOUND, "no such file"),
    }
}

/// The channel's routes (to be nested under [`PATH_PREFIX`]).
pub fn router(state: Arc<Cc112State>) -> Router {
    Router::new()
        .route("/index.json", get(index_route))
        .route("/{name}", get(file_route))
        .with_state(state)
}
