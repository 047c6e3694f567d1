//! Word lists and small helpers shared by the channel simulators: Indonesian names, streets
//! and landmarks of Kota Pekalongan, its agencies (OPD), and text utilities.

use rand::Rng;

/// Agencies (OPD) of Kota Pekalongan, by their canonical names.
pub(crate) mod opd {
    pub(crate) const DPUPR: &str = "Dinas Pekerjaan Umum dan Penataan Ruang Kota Pekalongan";
    pub(crate) const DLH: &str = "Dinas Lingkungan Hidup Kota Pekalongan";
    pub(crate) const DINKES: &str = "Dinas Kesehatan Kota Pekalongan";
    pub(crate) const DINDUKCAPIL: &str = "Dinas Kependudukan dan Pencatatan Sipil Kota Pekalongan";
    pub(crate) const DINSOS: &str =
        "Dinas Sosial, Pengendalian Penduduk dan Keluarga Berencana Kota Pekalongan";
    pub(crate) const DINDIK: &str = "Dinas Pendidikan Kota Pekalongan";
    pub(crate) const PDAM: &str = "Perumda Air Minum Tirta Pusaka Kota Pekalongan";
    pub(crate) const DISHUB: &str = "Dinas Perhubungan Kota Pekalongan";
    pub(crate) const BPBD: &str = "Badan Penanggulangan Bencana Daerah Kota Pekalongan";
    pub(crate) const SATPOL: &str = "Satuan Polisi Pamong Praja Kota Pekalongan";
}

/// Given names (many Javanese people have one name only).
pub(crate) const FIRST_NAMES: &[&str] = &[
    "Ahmad", "Siti", "Budi", "Sri", "Agus", "Dewi", "Muhammad", "Nur", "Rina", "Eko", "Wahyu",
    "Fitri", "Slamet", "Joko", "Tri", "Dwi", "Ani", "Yuli", "Rizky", "Nurul", "Abdul", "Fajar",
    "Hendra", "Lestari", "Indah", "Bambang", "Sugeng", "Teguh", "Umi", "Khoirul", "Mustofa",
    "Retno", "Ayu", "Ika", "Dian", "Arif", "Yusuf", "Aisyah", "Fatimah", "Hadi", "Puji",
    "Sutrisno", "Wulan", "Novi", "Imam", "Zainal", "Laila", "Rohmah", "Bagus", "Galih",
];

/// Family or second names.
pub(crate) const LAST_NAMES: &[&str] = &[
    "Santoso",
    "Wibowo",
    "Saputra",
    "Setiawan",
    "Prasetyo",
    "Nugroho",
    "Susanti",
    "Handayani",
    "Pratama",
    "Kurniawan",
    "Rahmawati",
    "Hidayat",
    "Rahayu",
    "Wijaya",
    "Hartono",
    "Maulana",
    "Anwar",
    "Fauzi",
    "Hakim",
    "Lestari",
    "Mubarok",
    "Syafii",
    "Utomo",
    "Purnomo",
    "Wahyuni",
    "Ramadhan",
    "Kusuma",
    "Firmansyah",
    "Yulianti",
    "Nurhayati",
];

/// Streets of Kota Pekalongan.
pub(crate) const STREETS: &[&str] = &[
    "Jl. Sriwijaya",
    "Jl. Hayam Wuruk",
    "Jl. Dr. Sutomo",
    "Jl. Merdeka",
    "Jl. Gajah Mada",
    "Jl. KH. Mansyur",
    "Jl. Diponegoro",
    "Jl. Imam Bonjol",
    "Jl. Hasanuddin",
    "Jl. Dr. Wahidin",
    "Jl. Jlamprang",
    "Jl. Sultan Agung",
    "Jl. Pemuda",
    "Jl. Veteran",
    "Jl. Kurinci",
    "Jl. Progo",
    "Jl. Kartini",
    "Jl. Patiunus",
    "Jl. Urip Sumoharjo",
    "Jl. Agus Salim",
    "Jl. Jenderal Sudirman",
    "Jl. KH. Wahid Hasyim",
    "Jl. Kusuma Bangsa",
    "Jl. Mataram",
    "Jl. Perintis Kemerdekaan",
    "Jl. Ki Mangunsarkoro",
    "Jl. Binagriya",
    "Jl. Seruni",
];

/// Landmarks of Kota Pekalongan.
pub(crate) const PLACES: &[&str] = &[
    "Pasar Banjarsari",
    "Alun-alun Kota Pekalongan",
    "Stasiun Pekalongan",
    "Masjid Agung Al-Jami'",
    "Pasar Grogolan",
    "Museum Batik",
    "Taman Jetayu",
    "Pantai Pasir Kencana",
    "Terminal Pekalongan",
    "RSUD Bendan",
    "Kampung Batik Kauman",
    "Pasar Sorogenen",
    "GOR Jetayu",
    "Pasar Poncol",
    "Pelabuhan Perikanan Pekalongan",
    "Lapangan Mataram",
    "kantor kelurahan",
    "Mushola Al-Ikhlas",
    "SD Negeri",
    "Indomaret",
];

/// Community health centres (puskesmas) of Kota Pekalongan.
pub(crate) const PUSKESMAS: &[&str] = &[
    "Bendan",
    "Medono",
    "Tirto",
    "Buaran",
    "Jenggot",
    "Klego",
    "Noyontaan",
    "Kusuma Bangsa",
    "Krapyak",
    "Dukuh",
    "Sokorejo",
    "Pekalongan Selatan",
    "Tondano",
    "Kramatsari",
];

/// Schools of Kota Pekalongan.
pub(crate) const SCHOOLS: &[&str] = &[
    "SMP Negeri 1 Pekalongan",
    "SMP Negeri 2 Pekalongan",
    "SMP Negeri 3 Pekalongan",
    "SMP Negeri 6 Pekalongan",
    "SMP Negeri 7 Pekalongan",
    "SD Negeri Kergon 01",
    "SD Negeri Medono",
    "SD Negeri Podosugih 02",
];

/// How long a problem has lasted.
pub(crate) const DURATIONS: &[&str] = &[
    "3 hari",
    "seminggu",
    "dua minggu",
    "sebulan",
    "lebih dari sebulan",
    "dua bulan",
    "beberapa hari",
];

/// Mobile number prefixes of Indonesian operators (after the leading 0).
pub(crate) const PHONE_PREFIXES: &[&str] = &[
    "812", "813", "821", "822", "823", "852", "853", "857", "858", "877", "878", "895", "896",
    "838", "881",
];

/// Picks one item of a non-empty static table.
pub(crate) fn pick<'a, T, R: Rng>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// Picks one string of a non-empty static table.
pub(crate) fn pick_str<R: Rng>(rng: &mut R, items: &[&'static str]) -> &'static str {
    items[rng.gen_range(0..items.len())]
}

/// Picks by weight; `items` must be non-empty with a positive total weight.
pub(crate) fn weighted<T: Copy, R: Rng>(rng: &mut R, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if roll < *w {
            return *item;
        }
        roll -= *w;
    }
    items[items.len() - 1].0
}

/// The words filled into a topic's templates: `{jalan}` street, `{tempat}` landmark, `{kel}`
/// kelurahan, `{rt}` neighbourhood, `{lama}` duration, `{puskesmas}`, `{sekolah}`, `{n}` a
/// small number. Drawn once per record, so that every text of it names the same place.
pub(crate) struct Fill {
    pub(crate) jalan: &'static str,
    pub(crate) tempat: &'static str,
    pub(crate) kel: String,
    pub(crate) rt: String,
    pub(crate) lama: &'static str,
    pub(crate) puskesmas: &'static str,
    pub(crate) sekolah: &'static str,
    pub(crate) n: u32,
}

impl Fill {
    /// Draws the words other than the street and the kelurahan (`{rt}` as `RT 03/RW 05`).
    pub(crate) fn draw<R: Rng>(rng: &mut R, jalan: &'static str, kel: String) -> Self {
        Self {
            jalan,
            tempat: pick_str(rng, PLACES),
            kel,
            rt: format!(
                "RT {:02}/RW {:02}",
                rng.gen_range(1..=12),
                rng.gen_range(1..=9)
            ),
            lama: pick_str(rng, DURATIONS),
            puskesmas: pick_str(rng, PUSKESMAS),
            sekolah: pick_str(rng, SCHOOLS),
            n: rng.gen_range(2..=6),
        }
    }

    /// The template with its placeholders replaced, in one pass (a brace that opens no known
    /// placeholder is kept as it is).
    pub(crate) fn apply(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 48);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let tail = &rest[open..];
            let known = tail
                .find('}')
                .and_then(|close| self.write_value(&tail[1..close], &mut out).then_some(close));
            match known {
                Some(close) => rest = &tail[close + 1..],
                None => {
                    out.push('{');
                    rest = &tail[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Appends the value of the placeholder `name` to `out`; false when there is none.
    fn write_value(&self, name: &str, out: &mut String) -> bool {
        let value = match name {
            "jalan" => self.jalan,
            "tempat" => self.tempat,
            "kel" => &self.kel,
            "rt" => &self.rt,
            "lama" => self.lama,
            "puskesmas" => self.puskesmas,
            "sekolah" => self.sekolah,
            "n" => {
                out.push_str(&self.n.to_string());
                return true;
            }
            _ => return false,
        };
        out.push_str(value);
        true
    }
}

/// Title Case: the first letter of each word upper case, the rest lower case; any other
/// character (spaces, non-breaking spaces, punctuation) is kept as it is.
pub(crate) fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = true;
        }
    }
    out
}

/// Folds white space (including non-breaking spaces) to single ASCII spaces.
pub(crate) fn fold_spaces(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A mobile phone number in one of the forms people type: `08…`, `+628…`, `628…`.
pub(crate) fn phone<R: Rng>(rng: &mut R) -> String {
    let prefix = pick(rng, PHONE_PREFIXES);
    let digits = rng.gen_range(7..=8);
    let mut rest = String::with_capacity(digits);
    for _ in 0..digits {
        rest.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    match rng.gen_range(0..10) {
        0..=5 => format!("0{prefix}{rest}"),
        6..=7 => format!("+62{prefix}{rest}"),
        _ => format!("62{prefix}{rest}"),
    }
}

/// Moves a time into office hours (Mon-Fri, 08:00-16:00 WIB), keeping it if it already is.
pub(crate) fn office<R: Rng>(t: i64, rng: &mut R) -> i64 {
    const WIB: i64 = 7 * 3600;
    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;
    let local = t + WIB;
    let mut day = local.div_euclid(DAY);
    let sec = local.rem_euclid(DAY);
    let weekday = |d: i64| (d + 3).rem_euclid(7); // 0 = Monday; 1970-01-01 was a Thursday
    let open = 8 * HOUR;
    let close = 16 * HOUR;
    if weekday(day) < 5 && (open..close).contains(&sec) {
        return t;
    }
    if sec >= close || weekday(day) >= 5 {
        day += 1;
    }
    while weekday(day) >= 5 {
        day += 1;
    }
    day * DAY + open + rng.gen_range(0..3 * HOUR) - WIB
}

/// SplitMix64: a fast, well-mixing 64-bit hash, used to derive per-record seeds.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Days since 1970-01-01 to (year, month, day) of the proleptic Gregorian calendar.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_case_keeps_non_breaking_spaces() {
        assert_eq!(
            title_case("PEKERJAAN\u{a0}UMUM DAN/ATAU (PUPR)"),
            "Pekerjaan\u{a0}Umum Dan/Atau (Pupr)"
        );
    }

    /// What `apply` gave before it was one pass: each placeholder replaced in turn.
    fn apply_in_turn(f: &Fill, template: &str) -> String {
        template
            .replace("{jalan}", f.jalan)
            .replace("{tempat}", f.tempat)
            .replace("{kel}", &f.kel)
            .replace("{rt}", &f.rt)
            .replace("{lama}", f.lama)
            .replace("{puskesmas}", f.puskesmas)
            .replace("{sekolah}", f.sekolah)
            .replace("{n}", &f.n.to_string())
    }

    #[test]
    fn filling_a_template_in_one_pass_gives_what_replacing_in_turn_gave() {
        let f = Fill {
            jalan: "Jl. Sriwijaya",
            tempat: "Pasar Banjarsari",
            kel: "Bendan Kergon".into(),
            rt: "RT 03/RW 05".into(),
            lama: "dua minggu",
            puskesmas: "Puskesmas Dukuh",
            sekolah: "SDN Podosugih 01",
            n: 4,
        };
        for template in [
            "",
            "no placeholder at all",
            "{jalan}",
            "Jalan di {jalan} ({kel}) dekat {tempat}, {rt}, sudah {lama}; {puskesmas} dan {sekolah}: {n} kali {n}.",
            "{unknown} stays, {jalan",
            "{{jalan}} and {} and { kel } and }{kel}{",
            "unicode \u{a0}{kel}\u{a0}é{n}",
        ] {
            assert_eq!(f.apply(template), apply_in_turn(&f, template), "{template:?}");
        }
    }

    #[test]
    fn fold_spaces_turns_non_breaking_spaces_into_single_spaces() {
        assert_eq!(fold_spaces(" A\u{a0}\u{a0}B  C "), "A B C");
    }
}
