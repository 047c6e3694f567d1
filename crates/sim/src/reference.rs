//! The reference tables of the repository, compiled in: the SP4N-LAPOR! national taxonomy
//! and the kecamatan/kelurahan of Kota Pekalongan.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::text::fold_spaces;

const CATEGORIES_CSV: &str = include_str!("../../../reference/sp4n-lapor-categories.csv");
const WILAYAH_CSV: &str = include_str!("../../../reference/wilayah-kota-pekalongan.csv");

/// One (main, sub) row of the taxonomy, exactly as stored (non-breaking spaces kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Category {
    pub(crate) main: String,
    pub(crate) sub: String,
}

/// A kecamatan and its kelurahan, canonical names.
#[derive(Debug, Clone)]
pub(crate) struct Kecamatan {
    pub(crate) name: String,
    pub(crate) kelurahan: Vec<String>,
}

/// All reference rows.
#[derive(Debug)]
pub(crate) struct Reference {
    pub(crate) categories: Vec<Category>,
    pub(crate) kecamatan: Vec<Kecamatan>,
    /// Index into `categories` by folded (main, sub); the first stored row wins.
    by_key: HashMap<(String, String), usize>,
}

impl Reference {
    /// The stored row whose main and sub equal the given names after folding white space
    /// and case.
    pub(crate) fn category(&self, main: &str, sub: &str) -> Option<&Category> {
        let i = self.by_key.get(&(fold_key(main), fold_key(sub)))?;
        self.categories.get(*i)
    }
}

fn fold_key(s: &str) -> String {
    fold_spaces(s).to_uppercase()
}

/// The parsed reference tables (parsed once).
pub(crate) fn reference() -> &'static Reference {
    static REF: OnceLock<Reference> = OnceLock::new();
    REF.get_or_init(|| {
        let categories = parse_categories(CATEGORIES_CSV);
        let mut by_key = HashMap::new();
        for (i, c) in categories.iter().enumerate() {
            by_key
                .entry((fold_key(&c.main), fold_key(&c.sub)))
                .or_insert(i);
        }
        Reference {
            categories,
            kecamatan: parse_wilayah(WILAYAH_CSV),
            by_key,
        }
    })
}

fn parse_categories(csv_text: &str) -> Vec<Category> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    reader
        .records()
        .filter_map(|r| r.ok())
        .filter_map(|r| {
            let main = r.get(0)?.trim_end_matches(['\r', '\n']).to_string();
            let sub = r.get(1)?.trim_end_matches(['\r', '\n']).to_string();
            (!main.is_empty() && !sub.is_empty()).then_some(Category { main, sub })
        })
        .collect()
}

fn parse_wilayah(csv_text: &str) -> Vec<Kecamatan> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let mut out: Vec<Kecamatan> = Vec::new();
    let rows: Vec<csv::StringRecord> = reader.records().filter_map(|r| r.ok()).collect();
    for r in &rows {
        if r.get(1).map(str::trim) == Some("kecamatan") {
            if let Some(name) = r.get(2) {
                out.push(Kecamatan {
                    name: name.trim().to_string(),
                    kelurahan: Vec::new(),
                });
            }
        }
    }
    for r in &rows {
        if r.get(1).map(str::trim) != Some("kelurahan") {
            continue;
        }
        let (Some(name), Some(kec)) = (r.get(2), r.get(3)) else {
            continue;
        };
        if let Some(k) = out.iter_mut().find(|k| k.name == kec.trim()) {
            k.kelurahan.push(name.trim().to_string());
        }
    }
    out.retain(|k| !k.kelurahan.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_tables_parse_completely() {
        let r = reference();
        assert_eq!(r.categories.len(), 929);
        assert_eq!(r.kecamatan.len(), 4);
        let kel: usize = r.kecamatan.iter().map(|k| k.kelurahan.len()).sum();
        assert_eq!(kel, 27);
        assert!(r.categories.iter().any(|c| c.main.contains('\u{a0}')));
    }
}
