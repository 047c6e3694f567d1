//! Keeping reporters out of the stored texts: phone numbers and e-mail addresses (see
//! [`aduan_core::contacts`]) and the reporter's own names, where a title, a body, an address
//! or an event repeats them, are replaced by a marker. The model: "Reporter names, phone
//! numbers and e-mails never appear in `complaints`".

use std::borrow::Cow;

pub use aduan_core::contacts::{contacts, EMAIL, PHONE};

/// What stands where one of the reporter's names was.
pub const NAME: &str = "[nama]";

/// Words of a name that are not the reporter's own (forms of address, stand-ins for no
/// name, words of places): never looked for in the texts.
const NOT_NAMES: &[&str] = &[
    "allah",
    "anonim",
    "anonymous",
    "bapak",
    "bpk",
    "hamba",
    "ibu",
    "mas",
    "mbak",
    "pak",
    "pelapor",
    "saudara",
    "sdr",
    "sdri",
    "tidak",
    "ada",
    "warga",
    "masyarakat",
    "user",
    "kota",
    "kelurahan",
    "kecamatan",
    "rt",
    "rw",
];

/// Words after which a name is a street's or a building's, not the reporter's (`Jl. Ahmad
/// Yani`, `Gg. Imam Bonjol`, `Masjid Agus Salim`): a name word up to three words after one
/// of these (titles not counted) stays.
const NAMED_AFTER: &[&str] = &[
    "jl",
    "jln",
    "jalan",
    "gg",
    "gang",
    "perum",
    "perumahan",
    "kampung",
    "kp",
    "komplek",
    "masjid",
    "musholla",
    "mushola",
    "sd",
    "sdn",
    "smp",
    "smpn",
    "sma",
    "sman",
    "smk",
    "rs",
    "rsud",
    "pasar",
    "taman",
    "lapangan",
    "stadion",
];

/// Titles written in names (`Jl. Dr. Sutomo`, `Jl. KH. Mas Mansyur`).
const TITLES: &[&str] = &["dr", "drs", "h", "hj", "ir", "kh", "prof", "r", "rm"];

/// The reporter's names to look for: each word of at least three letters of each name,
/// lower-cased, without the words of [`NOT_NAMES`] and of places.
#[derive(Debug, Default)]
pub struct Private {
    words: Vec<String>,
}

impl Private {
    /// The reporter's `names` as the source gives them; `places` (lower case) are words of
    /// place names, never looked for.
    pub fn new(names: &[String], places: &std::collections::HashSet<String>) -> Self {
        let mut words: Vec<String> = Vec::new();
        for name in names {
            for word in name.split(|c: char| !c.is_alphanumeric()) {
                let word = word.to_lowercase();
                if word.chars().count() >= 3
                    && word.chars().all(char::is_alphabetic)
                    && !NOT_NAMES.contains(&word.as_str())
                    && !places.contains(&word)
                    && !words.contains(&word)
                {
                    words.push(word);
                }
            }
        }
        Self { words }
    }

    /// `text` with phone numbers, e-mail addresses and the reporter's names replaced.
    pub fn mask(&self, text: String) -> String {
        let owned = match contacts(&text) {
            Cow::Owned(t) => Some(t),
            Cow::Borrowed(_) => None,
        };
        let text = owned.unwrap_or(text);
        self.names(&text).unwrap_or(text)
    }

    /// `text` with the reporter's names, as whole words in any letter case, replaced, except
    /// up to three words after a street's or a building's word (see [`NAMED_AFTER`]); `None`
    /// when it has none of them.
    fn names(&self, text: &str) -> Option<String> {
        if self.words.is_empty() {
            return None;
        }
        // The lists are ASCII: a word of another length is none of theirs.
        let listed = |word: &str, list: &[&str]| {
            list.iter()
                .any(|n| n.len() == word.len() && n.eq_ignore_ascii_case(word))
        };
        let named = |word: &str| {
            if word.is_ascii() {
                self.words
                    .iter()
                    .any(|w| w.len() == word.len() && w.eq_ignore_ascii_case(word))
            } else {
                let lower = word.to_lowercase();
                self.words.contains(&lower)
            }
        };
        let mut out: Option<String> = None;
        let mut copied = 0;
        // The words before the one looked at, newest last (a ring): looked at only when a
        // word is one of the names, so that most texts cost a comparison or two a word.
        const KEPT: usize = 8;
        let mut recent: [&str; KEPT] = [""; KEPT];
        let mut seen = 0usize;
        let words = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w));
        for (from, word) in words {
            if named(word) && !listed(word, NAMED_AFTER) {
                // A street's or a building's word up to three words before (titles not
                // counted): the name is the street's.
                let mut counted = 0;
                let mut street = false;
                for back in 1..=seen.min(KEPT) {
                    let prev = recent[(seen - back) % KEPT];
                    if listed(prev, TITLES) {
                        continue;
                    }
                    if listed(prev, NAMED_AFTER) {
                        street = true;
                        break;
                    }
                    counted += 1;
                    if counted == 3 {
                        break;
                    }
                }
                if !street {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    o.push_str(&text[copied..from]);
                    o.push_str(NAME);
                    copied = from + word.len();
                }
            }
            recent[seen % KEPT] = word;
            seen += 1;
        }
        out.map(|mut o| {
            o.push_str(&text[copied..]);
            o
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Private, NAME, PHONE};

    #[test]
    fn the_reporters_names_are_hidden_as_whole_words_in_any_case() {
        let places = ["kauman".to_string()].into_iter().collect();
        let p = Private::new(
            &[
                "Sri Wahyuni".into(),
                "Bu".into(),
                "Hamba Allah".into(),
                "Warga Kauman".into(),
            ],
            &places,
        );
        assert_eq!(
            p.mask("Pelapor bu SRI wahyuni (HP 0813-2876-5432) di Srimulyo".into()),
            format!("Pelapor bu {NAME} {NAME} (HP {PHONE}) di Srimulyo")
        );
        // Forms of address, stand-ins for no name and places are not looked for.
        assert_eq!(
            p.mask("demi Allah di Kauman".into()),
            "demi Allah di Kauman"
        );
        // A street or a building named like the reporter keeps its name.
        assert_eq!(
            p.mask("Jl. Dr. Sri Wahyuni no 5, kata Sri".into()),
            format!("Jl. Dr. Sri Wahyuni no 5, kata {NAME}")
        );
        let none = Private::new(&[], &places);
        assert_eq!(none.mask("Sri".into()), "Sri");
    }
}
