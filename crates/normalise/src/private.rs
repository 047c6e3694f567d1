//! Keeping reporters out of the stored texts: phone numbers, e-mail addresses and the
//! reporter's own names, where a title, a body, an address or an event repeats them, are
//! replaced by a marker. The model: "Reporter names, phone numbers and e-mails never appear
//! in `complaints`".
//!
//! A phone number is a run of digits (with `+`, spaces, dots, dashes and brackets between)
//! of 9 to 15 digits that starts as an Indonesian number is written: `0` and a non-zero
//! digit (`0813…`, `0285…`), `62` and a non-zero digit (`+62 813…`, `6281…`), or `00 62`.
//! After its first group every group has at least three digits, so that dates
//! (`05-12-2026 10`), amounts in thousands (`1.500.000.000`) and codes such as
//! `112-3375-20261112-0001` are left alone.

use std::borrow::Cow;

/// What stands in the text where a phone number was.
pub const PHONE: &str = "[nomor telepon]";
/// What stands where an e-mail address was.
pub const EMAIL: &str = "[email]";
/// What stands where one of the reporter's names was.
pub const NAME: &str = "[nama]";

/// Words of a name that are not the reporter's own (forms of address, stand-ins for no
/// name): never looked for in the texts.
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
];

/// The reporter's names to look for: each word of at least three letters of each name,
/// lower-cased, without the words of [`NOT_NAMES`].
#[derive(Debug, Default)]
pub struct Private {
    words: Vec<String>,
}

impl Private {
    /// The reporter's `names` as the source gives them.
    pub fn new(names: &[String]) -> Self {
        let mut words: Vec<String> = Vec::new();
        for name in names {
            for word in name.split(|c: char| !c.is_alphanumeric()) {
                let word = word.to_lowercase();
                if word.chars().count() >= 3
                    && word.chars().all(char::is_alphabetic)
                    && !NOT_NAMES.contains(&word.as_str())
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

    /// `text` with the reporter's names, as whole words in any letter case, replaced;
    /// `None` when it has none of them.
    fn names(&self, text: &str) -> Option<String> {
        if self.words.is_empty() {
            return None;
        }
        let mut out: Option<String> = None;
        let mut copied = 0;
        let mut start = None;
        let check = |from: usize, to: usize, out: &mut Option<String>, copied: &mut usize| {
            let word = &text[from..to];
            let same = self.words.iter().any(|w| {
                if word.is_ascii() {
                    w.eq_ignore_ascii_case(word)
                } else {
                    *w == word.to_lowercase()
                }
            });
            if same {
                let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                o.push_str(&text[*copied..from]);
                o.push_str(NAME);
                *copied = to;
            }
        };
        for (i, c) in text.char_indices() {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    check(s, i, &mut out, &mut copied);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            check(s, text.len(), &mut out, &mut copied);
        }
        out.map(|mut o| {
            o.push_str(&text[copied..]);
            o
        })
    }
}

/// `text` with phone numbers and e-mail addresses replaced (see the module's notes).
pub fn contacts(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    // Most texts have neither a run of nine digits nor an '@': nothing to do.
    if !bytes.contains(&b'@') && !has_digits(bytes, 9) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let in_digits = i > 0 && bytes[i - 1].is_ascii_digit();
        if (b.is_ascii_digit() || b == b'+' || b == b'(') && !in_digits {
            if let Some(end) = phone_at(bytes, i) {
                out.push_str(&text[copied..i]);
                out.push_str(PHONE);
                copied = end;
                i = end;
                continue;
            }
        }
        if b == b'@' {
            if let Some((from, to)) = email_around(bytes, i) {
                if from >= copied {
                    out.push_str(&text[copied..from]);
                    out.push_str(EMAIL);
                    copied = to;
                    i = to;
                    continue;
                }
            }
        }
        i += 1;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Whether `bytes` has at least `n` ASCII digits.
fn has_digits(bytes: &[u8], n: usize) -> bool {
    bytes
        .iter()
        .filter(|b| b.is_ascii_digit())
        .nth(n - 1)
        .is_some()
}

/// The end of the phone number that starts at `start`, if one does.
fn phone_at(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    let plus = bytes[i] == b'+';
    if plus {
        i += 1;
    }
    // Groups of digits, with at most three separators between them (`0813 - 2876`).
    let mut groups: Vec<usize> = Vec::new();
    let mut digits = String::new();
    let mut end = i;
    let mut open = 0usize;
    loop {
        let from = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == from {
            break;
        }
        groups.push(i - from);
        digits.push_str(std::str::from_utf8(&bytes[from..i]).ok()?);
        end = i;
        let mut seps = 0;
        let mut j = i;
        while j < bytes.len() && seps < 3 && matches!(bytes[j], b' ' | b'-' | b'.' | b'(' | b')') {
            match bytes[j] {
                b'(' => open += 1,
                b')' if open > 0 => open -= 1,
                _ => {}
            }
            j += 1;
            seps += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() && seps > 0 {
            i = j;
        } else {
            break;
        }
    }
    // The first byte may be an opening bracket: `(0285) 421234`.
    if groups.is_empty() {
        if bytes[start] == b'(' && !plus {
            // Its closing bracket, when the number did not close it: `(081328765432)`.
            let inner = phone_at(bytes, start + 1)?;
            let inside = &bytes[start..inner];
            let open = inside.iter().filter(|b| **b == b'(').count();
            let closed = inside.iter().filter(|b| **b == b')').count();
            return Some(if open > closed && bytes.get(inner) == Some(&b')') {
                inner + 1
            } else {
                inner
            });
        }
        return None;
    }
    let most = if digits.starts_with("00") { 17 } else { 15 };
    if digits.len() < 9 || digits.len() > most {
        return None;
    }
    // Two digits only as the country code; every later group at least three.
    let first_ok = groups[0] >= 3 || (groups[0] == 2 && digits.starts_with("62"));
    if !first_ok || groups[1..].iter().any(|g| *g < 3) {
        return None;
    }
    let d = digits.as_bytes();
    let national = d[0] == b'0' && d[1] != b'0';
    let international = digits.starts_with("62") && d[2] != b'0';
    let with_00 = digits.starts_with("0062") && d.get(4).is_some_and(|c| *c != b'0');
    // A digit or a letter glued to its end: part of something else.
    if bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    (national || international || with_00).then_some(end)
}

/// The e-mail address around the `@` at `at`: its start and end, if there is one
/// (`name@domain.tld`).
fn email_around(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let local = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let mut from = at;
    while from > 0 && local(bytes[from - 1]) {
        from -= 1;
    }
    // Not from a dot: `…kirim.ke` is not the address's start.
    while from < at && bytes[from] == b'.' {
        from += 1;
    }
    if from == at {
        return None;
    }
    let mut to = at + 1;
    while to < bytes.len()
        && (bytes[to].is_ascii_alphanumeric() || matches!(bytes[to], b'.' | b'-'))
    {
        to += 1;
    }
    // A sentence's full stop after the address is not the address's.
    while to > at + 1 && matches!(bytes[to - 1], b'.' | b'-') {
        to -= 1;
    }
    let domain = std::str::from_utf8(&bytes[at + 1..to]).ok()?;
    let tld = domain.rsplit('.').next()?;
    let dotted = domain.contains('.') && !domain.starts_with('.');
    (dotted && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())).then_some((from, to))
}

#[cfg(test)]
mod tests {
    use super::{contacts, Private, EMAIL, NAME, PHONE};

    fn masked(text: &str) -> String {
        contacts(text).into_owned()
    }

    #[test]
    fn phone_numbers_as_people_write_them_are_hidden() {
        for (text, expected) in [
            ("HP 081328765432 ya", "HP [nomor telepon] ya"),
            ("hub 0813-2876-5432.", "hub [nomor telepon]."),
            ("wa: +62 813-2876-5432", "wa: [nomor telepon]"),
            ("6281328765432", "[nomor telepon]"),
            (
                "+6281328765432, terima kasih",
                "[nomor telepon], terima kasih",
            ),
            ("telp (0285) 421234", "telp [nomor telepon]"),
            ("(081328765432)", "[nomor telepon]"),
            ("(HP 081328765432)", "(HP [nomor telepon])"),
            ("telp 0285-421234", "telp [nomor telepon]"),
            ("0813.2876.5432", "[nomor telepon]"),
            ("0062 813 2876 5432", "[nomor telepon]"),
            ("HP.081328765432", "HP.[nomor telepon]"),
        ] {
            assert_eq!(masked(text), expected, "{text}");
        }
    }

    #[test]
    fn numbers_that_are_not_phone_numbers_stay() {
        for text in [
            "tanggal 05-12-2026 10:30",
            "Rp 1.500.000.000 untuk perbaikan",
            "tiket 112-3375-20261112-0001",
            "NIK 3375012345678901",
            "RT 03 RW 05 no 12",
            "koordinat -6.889, 109.675",
            "LG-2026-000123",
            "2026-12-05T10:00:00+07:00",
            "00123456789",
            "0813",
        ] {
            assert_eq!(masked(text), text, "{text}");
        }
    }

    #[test]
    fn e_mail_addresses_are_hidden_but_not_a_lone_at() {
        assert_eq!(
            masked("kirim ke ahmad.s@example.id. Terima kasih"),
            format!("kirim ke {EMAIL}. Terima kasih")
        );
        assert_eq!(masked("ketemu @ balai kota"), "ketemu @ balai kota");
        assert_eq!(masked("akun @dinas_pu"), "akun @dinas_pu");
    }

    #[test]
    fn the_reporters_names_are_hidden_as_whole_words_in_any_case() {
        let p = Private::new(&["Sri Wahyuni".into(), "Bu".into(), "Hamba Allah".into()]);
        assert_eq!(
            p.mask("Pelapor bu SRI wahyuni (HP 0813-2876-5432) di Srimulyo".into()),
            format!("Pelapor bu {NAME} {NAME} (HP {PHONE}) di Srimulyo")
        );
        // Forms of address and stand-ins for no name are not looked for.
        assert_eq!(p.mask("demi Allah".into()), "demi Allah");
        let none = Private::new(&[]);
        assert_eq!(none.mask("Sri".into()), "Sri");
    }
}
