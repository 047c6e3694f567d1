//! The SP4N-LAPOR! national taxonomy: (main, sub) pairs, canonicalised.

use std::collections::HashSet;

use crate::error::{table_err, Result};
use crate::text::upper_folded;

/// The national taxonomy: every (main, sub) pair in canonical form.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    pairs: HashSet<(String, String)>,
}

impl Taxonomy {
    /// Reads `sp4n-lapor-categories.csv` (`main_category,sub_category`).
    pub fn from_csv(text: &str) -> Result<Self> {
        let mut pairs = HashSet::new();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for (i, row) in reader.records().enumerate() {
            let row = row.map_err(|e| table_err("sp4n-lapor-categories.csv", e))?;
            let (Some(main), Some(sub)) = (row.get(0), row.get(1)) else {
                return Err(table_err(
                    "sp4n-lapor-categories.csv",
                    format!("row {}: expected two columns", i + 2),
                ));
            };
            pairs.insert((upper_folded(main), upper_folded(sub)));
        }
        Ok(Self { pairs })
    }

    /// The canonical pair, if `main`/`sub` name one after folding white space and case.
    pub fn canonical(&self, main: &str, sub: &str) -> Option<(String, String)> {
        let pair = (upper_folded(main), upper_folded(sub));
        self.pairs.contains(&pair).then_some(pair)
    }

    /// The canonical main category `main` names, if the taxonomy has it.
    pub fn main(&self, main: &str) -> Option<String> {
        let main = upper_folded(main);
        self.pairs.iter().any(|(m, _)| *m == main).then_some(main)
    }

    /// How many distinct pairs there are.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether the taxonomy is empty.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_list_with_its_warts_gives_canonical_pairs() {
        let t = Taxonomy::from_csv(include_str!("../../../reference/sp4n-lapor-categories.csv"))
            .unwrap();
        // 929 rows as published; eight pairs repeat once NBSP and case are folded.
        assert_eq!(t.len(), 920);
        assert_eq!(
            t.canonical(
                "PEKERJAAN\u{a0}UMUM\u{a0}DAN\u{a0}PENATAAN\u{a0}RUANG",
                "jalan berlubang"
            ),
            Some((
                "PEKERJAAN UMUM DAN PENATAAN RUANG".to_string(),
                "JALAN BERLUBANG".to_string()
            ))
        );
        assert_eq!(
            t.canonical("AGAMA", "Haji dan  Umroh").unwrap().1,
            "HAJI DAN UMROH"
        );
        assert_eq!(t.canonical("AGAMA", "JALAN BERLUBANG"), None);
    }
}
