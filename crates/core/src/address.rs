//! The place parts of an address as Indonesian addresses are written, reverse-geocoded or
//! typed: `Jl. Hayam Wuruk, Kauman, Pekalongan Timur` or `Jl. Pemuda No.28, Kel. Degayu, Kec.
//! Pekalongan Utara, Kota Pekalongan, Jawa Tengah 51149`. A connector whose source writes its
//! place so (Pantau Pekalongan) and the normaliser (for a source naming no place but an
//! address) read it alike; the gazetteer decides whether the parts are places of the city.

/// Marks of the street parts of an address (street, alley, block, RT/RW, estate).
const STREET: &[&str] = &[
    "Jl", "Jln", "Jalan", "Gg", "Gang", "Blok", "RT", "RW", "Perum", "Komplek",
];

/// The parts of an address, split at its commas.
#[derive(Debug, Default, PartialEq)]
pub struct Parts {
    /// The part marked `Kel.`, `Kelurahan` or `Desa`, without its mark.
    pub kelurahan: Option<String>,
    /// The part marked `Kec.` or `Kecamatan`, without its mark.
    pub kecamatan: Option<String>,
    /// The part `Kota …`, `Kab. …` or `Kabupaten …`, as written.
    pub city: Option<String>,
    /// The unmarked parts after the first (the street), street, alley and RT/RW parts, the
    /// province and a postcode left out, in order: in a reverse-geocoded address the
    /// kelurahan and then the kecamatan.
    pub unmarked: Vec<String>,
}

/// `part` without its mark, one of `marks` in any letter case followed by a full stop or
/// white space (a no-break space too), if it starts with one.
fn strip(part: &str, marks: &[&str]) -> Option<String> {
    marks.iter().find_map(|m| {
        let rest = part
            .get(..m.len())
            .filter(|p| p.eq_ignore_ascii_case(m))
            .map(|_| &part[m.len()..])?;
        let apart = |c: char| c == '.' || c.is_whitespace();
        rest.starts_with(apart)
            .then(|| rest.trim_start_matches(apart).to_string())
    })
}

/// `address` split into its [`Parts`]. Marks are read in any letter case, a no-break space
/// after one too (review: `KEL. KAUMAN`, `Kel\u{a0}Kauman` and `KOTA PEKALONGAN` were not
/// read as marked, and the address gave no place).
pub fn parts(address: &str) -> Parts {
    let mut out = Parts::default();
    for (i, part) in address.split(',').map(str::trim).enumerate() {
        if part.is_empty()
            || strip(part, &["Jawa Tengah"]).is_some()
            || part.eq_ignore_ascii_case("Jawa Tengah")
            || part.chars().all(|c| c.is_ascii_digit())
        {
            continue;
        }
        if let Some(k) = strip(part, &["Kel", "Kelurahan", "Desa"]) {
            out.kelurahan = Some(k);
        } else if let Some(k) = strip(part, &["Kec", "Kecamatan"]) {
            out.kecamatan = Some(k);
        } else if strip(part, &["Kota", "Kab", "Kabupaten"]).is_some() {
            out.city = Some(part.to_string());
        } else if i > 0 && strip(part, STREET).is_none() {
            out.unmarked.push(part.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_parts_go_where_their_mark_says_and_the_rest_in_order() {
        let p = parts(
            "Jl. Pemuda No.28, Kel. Degayu, Kec. Pekalongan Utara, Kota Pekalongan, Jawa Tengah 51149",
        );
        assert_eq!(p.kelurahan.as_deref(), Some("Degayu"));
        assert_eq!(p.kecamatan.as_deref(), Some("Pekalongan Utara"));
        assert_eq!(p.city.as_deref(), Some("Kota Pekalongan"));
        assert!(p.unmarked.is_empty());
        let p = parts("Jl. Hayam Wuruk, Gg. 3, RT 02, Kauman, Pekalongan Timur, 51128");
        assert_eq!(p.unmarked, ["Kauman", "Pekalongan Timur"]);
        assert_eq!((p.kelurahan, p.kecamatan, p.city), (None, None, None));
        assert_eq!(parts(""), Parts::default());
    }

    /// Review: marks in capitals (an operator's `KEL. KAUMAN`, `KOTA PEKALONGAN`) or with a
    /// no-break space after them were not read as marks, and the address gave no place.
    #[test]
    fn marks_are_read_in_any_letter_case_and_after_a_no_break_space() {
        for address in [
            "JL. PEMUDA NO.28, KEL. DEGAYU, KEC. PEKALONGAN UTARA, KOTA PEKALONGAN, JAWA TENGAH 51149",
            "jl. pemuda no.28, kel degayu, kecamatan pekalongan utara, kota pekalongan",
            "Jl. Pemuda No.28, Kel\u{a0}DEGAYU, Kec.\u{a0}PEKALONGAN UTARA, Kota\u{a0}PEKALONGAN",
            "Jl. Pemuda No.28, KELURAHAN DEGAYU, KECAMATAN PEKALONGAN UTARA, KOTA PEKALONGAN, Jawa Tengah",
        ] {
            let p = parts(address);
            assert_eq!(
                p.kelurahan.map(|k| k.to_lowercase()).as_deref(),
                Some("degayu"),
                "{address:?}"
            );
            assert_eq!(
                p.kecamatan.map(|k| k.to_lowercase()).as_deref(),
                Some("pekalongan utara"),
                "{address:?}"
            );
            assert!(p.city.is_some(), "{address:?}");
            assert!(p.unmarked.is_empty(), "{address:?}");
        }
        let p = parts("JL. HAYAM WURUK, GG. 3, RT 02, KAUMAN, PEKALONGAN TIMUR, 51128");
        assert_eq!(p.unmarked, ["KAUMAN", "PEKALONGAN TIMUR"]);
        // A word that only begins as a mark is no mark.
        let p = parts("Jl. Kelapa, Kelapa Dua, Kotabaru, Desaku");
        assert_eq!((p.kelurahan, p.kecamatan, p.city), (None, None, None));
        assert_eq!(p.unmarked, ["Kelapa Dua", "Kotabaru", "Desaku"]);
    }
}
