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

use crate::label::{is_space, takes_no_room};

/// Whether `c` is white space as a text's words are parted by (a no-break space and a
/// zero-width space among them, see [`is_space`]).
fn white(c: char) -> bool {
    c.is_whitespace() || is_space(c)
}

/// What follows `mark` (ASCII, its words parted by one space) at the start of `part`, if it
/// starts with it: its letters in any letter case, any run of white space where it has a
/// space ([`white`]: review, session 45, `Jawa\u{a0}Tengah` and `Jawa  Tengah` were no
/// province, and became the address's kecamatan: the address had no place), the marks that
/// take no room ([`takes_no_room`]: a joiner, a bidi mark) read as nothing.
fn after_mark<'a>(part: &'a str, mark: &str) -> Option<&'a str> {
    let mut rest = part;
    for (i, word) in mark.split(' ').enumerate() {
        if i > 0 {
            let next = rest.trim_start_matches(|c: char| white(c) || takes_no_room(c));
            if !rest[..rest.len() - next.len()].contains(white) {
                return None;
            }
            rest = next;
        }
        for m in word.chars() {
            rest = rest.trim_start_matches(|c: char| takes_no_room(c) && !white(c));
            let c = rest.chars().next()?;
            if !c.eq_ignore_ascii_case(&m) {
                return None;
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    Some(rest)
}

/// `part` without its mark, one of `marks` in any letter case followed by a full stop or
/// white space (a no-break space, a zero-width space too), if it starts with one (see
/// [`after_mark`]).
fn strip(part: &str, marks: &[&str]) -> Option<String> {
    marks.iter().find_map(|m| {
        let rest = after_mark(part, m)?;
        let apart = |c: char| c == '.' || white(c);
        let name = rest.trim_start_matches(|c: char| apart(c) || takes_no_room(c));
        rest[..rest.len() - name.len()]
            .contains(apart)
            .then(|| name.to_string())
    })
}

/// Whether `part` is `mark` alone (see [`after_mark`]).
fn is_mark(part: &str, mark: &str) -> bool {
    after_mark(part, mark).is_some_and(|rest| rest.chars().all(|c| white(c) || takes_no_room(c)))
}

/// `address` split into its [`Parts`]. Marks are read in any letter case, a no-break space
/// after one too (review: `KEL. KAUMAN`, `Kel\u{a0}Kauman` and `KOTA PEKALONGAN` were not
/// read as marked, and the address gave no place).
pub fn parts(address: &str) -> Parts {
    let mut out = Parts::default();
    let around = |c: char| white(c) || takes_no_room(c);
    for (i, part) in address
        .split(',')
        .map(|p| p.trim_matches(around))
        .enumerate()
    {
        if part.is_empty()
            || strip(part, &["Jawa Tengah"]).is_some()
            || is_mark(part, "Jawa Tengah")
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

    /// Review (session 45): a no-break space (or two spaces, a zero-width space) between the
    /// words of `Jawa Tengah` made it no province: it became the address's kecamatan, and the
    /// address had no place; a zero-width space after a mark, or a joiner beside it, made it
    /// no mark, or stayed in the part.
    #[test]
    fn marks_are_read_with_any_white_space_and_without_marks_that_take_no_room() {
        for province in [
            "Jawa\u{a0}Tengah 51149",
            "JAWA\u{a0}TENGAH",
            "Jawa  Tengah",
            "Jawa\u{202f}Tengah",
            "Jawa\u{200b}Tengah.",
            "Jawa \u{200e}Tengah\u{200b}",
        ] {
            let p = parts(&format!(
                "Jl. Sriwijaya, Pasirkratonkramat, Kota Pekalongan, {province}"
            ));
            assert_eq!(p.unmarked, ["Pasirkratonkramat"], "{province:?}");
        }
        let p = parts("Jl. Hayam Wuruk, Kel\u{200b}Kauman, Kec.\u{200d}Pekalongan Timur, Kota\u{200b}Pekalongan");
        assert_eq!(p.kelurahan.as_deref(), Some("Kauman"));
        assert_eq!(p.kecamatan.as_deref(), Some("Pekalongan Timur"));
        assert!(p.city.is_some());
        // A word that only begins as a mark is still none, joined to it or not.
        let p = parts("Jl. Kelapa, Kel\u{200d}apa Dua, Jawa Tengahan");
        assert_eq!(p.kelurahan, None);
        assert_eq!(p.unmarked, ["Kel\u{200d}apa Dua", "Jawa Tengahan"]);
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
