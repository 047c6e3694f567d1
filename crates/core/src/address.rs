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

/// `address` split into its [`Parts`].
pub fn parts(address: &str) -> Parts {
    let mut out = Parts::default();
    let strip = |part: &str, marks: &[&str]| {
        marks.iter().find_map(|m| {
            let rest = part.strip_prefix(m)?;
            (rest.starts_with([' ', '.'])).then(|| rest.trim_start_matches(['.', ' ']).to_string())
        })
    };
    for (i, part) in address.split(',').map(str::trim).enumerate() {
        if part.is_empty()
            || part.starts_with("Jawa Tengah")
            || part.chars().all(|c| c.is_ascii_digit())
        {
            continue;
        }
        if let Some(k) = strip(part, &["Kel", "Kelurahan", "Desa"]) {
            out.kelurahan = Some(k);
        } else if let Some(k) = strip(part, &["Kec", "Kecamatan"]) {
            out.kecamatan = Some(k);
        } else if part.starts_with("Kota ") || strip(part, &["Kab", "Kabupaten"]).is_some() {
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
}
