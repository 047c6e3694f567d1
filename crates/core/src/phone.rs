//! Phone numbers in the channels' forms, read as one form (E.164): what a reporter's key
//! is made from, and what a channel whose identity holds a caller's number is keyed by.

use crate::label::{is_unseen, takes_no_room};

/// A phone number in any of the channels' forms, as E.164 (`+62…`); `None` when it is no
/// number (`Private`, `-`, empty) or not plausible.
///
/// Forms: `081234567890`, `+6281234567890`, `6281234567890`, `+62 812-3456-7890`,
/// `0285-421112`, `(0285) 421112`; `0062 812…` dialled with the international prefix; a
/// mobile number that lost its leading 0 (`81234567890`); any of these followed by a note
/// without digits (`0812-3456-7890 (WA)`).
///
/// A field that does not read so whole is read by its first number: a field's label before
/// it (`HP 0812…`, `tel:+62…`), a spreadsheet's text mark or decimal (`'0812…`,
/// `6281234567890.0`), a second number after it (`0812… / 0813…`, `0812… atau 0813…`).
pub fn to_e164(raw: &str) -> Option<String> {
    read_whole(raw).or_else(|| {
        // A mark that takes no room and may part two things (a zero-width space, a bidi
        // mark), read as nothing, may stand between two numbers as well as inside one
        // (`0812…\u{200b}0813…`): the field read again with it as a space, by its first.
        let parts = |c: char| !c.is_ascii() && takes_no_room(c) && !is_unseen(c);
        raw.contains(parts)
            .then(|| raw.replace(parts, " "))
            .and_then(|spaced| read_whole(&spaced))
    })
}

/// [`to_e164`] of `raw`, the marks that take no room read as nothing.
fn read_whole(raw: &str) -> Option<String> {
    // Separators a word processor or WhatsApp Web writes (a no-break space, a non-breaking
    // hyphen, an en dash; and the other dashes the text rules read, an em dash, a horizontal
    // bar, a minus sign: review, session 44) as the plain ones (review: the number was none);
    // digits of other scripts, full-width and small forms as the text rules read them, and
    // marks that take no room (a bidi mark, a word joiner, a zero-width space or joiner) left
    // out
    // ([`crate::contacts::AsciiDigits`]: review, `０８１２…` was no number, and the
    // reporter's own number was not looked for in the texts).
    let digits = crate::contacts::AsciiDigits::read(raw);
    let raw = digits.as_ref().map_or(raw, |d| d.text());
    let plain: String = raw
        .chars()
        .map(|c| match c {
            '\u{a0}' | '\u{202f}' | '\u{2007}' => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe58}' => '-',
            c => c,
        })
        .collect();
    let raw = plain.trim();
    // (A spreadsheet's number as a decimal: its `.0` would be read as a digit.)
    let raw = raw
        .strip_suffix(".0")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(raw);
    read(raw).or_else(|| first_number(raw).and_then(read))
}

/// The first run of digits and the separators a number is written with (` -()+`) holding
/// at least ten digits, trimmed; none that a masked part follows (`08123456xxxx`,
/// `0812-3456-78**`): a number cut short would be another's, and key them alike.
fn first_number(raw: &str) -> Option<&str> {
    let within = |c: char| c.is_ascii_digit() || " -()+".contains(c);
    let masked = |c: char| matches!(c, 'x' | 'X' | '*' | '#' | '\u{2022}' | '\u{2026}');
    let mut rest = raw;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit() || c == '+') {
        let run = &rest[start..];
        let end = run.find(|c: char| !within(c)).unwrap_or(run.len());
        let number = run[..end].trim_matches(|c: char| c == ' ' || c == '-');
        let cut = run[end..].starts_with(masked);
        if !cut && number.bytes().filter(u8::is_ascii_digit).count() >= 10 {
            // Two numbers with only white space between (`0812… 0813…`): the first, cut at
            // a space after which a number begins (`0`, `62`, `+`) and which both sides read
            // as one (review: none; a cut at the first ten digits read would have cut
            // `0812 34 56 78 90` short).
            if read(number).is_none() {
                let first = number.match_indices(' ').find_map(|(at, _)| {
                    let head = number[..at].trim_end_matches([' ', '-']);
                    let rest = number[at..].trim_start();
                    let begins = rest.starts_with(['0', '+']) || rest.starts_with("62");
                    (begins
                        && head.bytes().filter(u8::is_ascii_digit).count() >= 10
                        && read(head).is_some()
                        && to_e164(rest).is_some())
                    .then_some(head)
                });
                if let Some(first) = first {
                    return Some(first);
                }
            }
            return Some(number);
        }
        rest = &run[end.max(1)..];
    }
    None
}

/// [`to_e164`] of a field that is one number.
fn read(raw: &str) -> Option<String> {
    let number = without_note(raw);
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    // Anything but digits, separators and a leading plus means it is not a number.
    if number
        .chars()
        .any(|c| !(c.is_ascii_digit() || " -().+/".contains(c)))
    {
        return None;
    }
    // After `+`, or the international prefix `00`, comes the country code.
    let international = if number.starts_with('+') {
        // (`+00 62…`: the international prefix written after the plus.)
        Some(digits.strip_prefix("00").unwrap_or(&digits))
    } else {
        digits.strip_prefix("00")
    };
    let national = if let Some(international) = international {
        if let Some(rest) = international.strip_prefix("62") {
            rest
        } else if let Some(rest) = number
            .strip_prefix('+')
            .and_then(|_| international.strip_prefix('0'))
        {
            // `+0812…`: no country code starts with 0; a national number with a `+` before
            // it (review: it was kept as `+0812…`, another key than `0812…`'s).
            rest
        } else {
            // Another country's number: keep it as it is.
            return plausible(international).then(|| format!("+{international}"));
        }
    } else if let Some(rest) = digits.strip_prefix("62") {
        rest
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest
    } else if digits.starts_with('8') && (10..=12).contains(&digits.len()) {
        // A mobile number (08…) whose 0 a spreadsheet or a form dropped.
        &digits
    } else {
        return None;
    };
    let national = national.trim_start_matches('0');
    // A mobile number (`8…`) has nine digits or more after its 0: fewer is one cut short
    // (`08123456 (disamarkan)`), which would be another's.
    if national.starts_with('8') && national.len() < 9 {
        return None;
    }
    let e164 = format!("62{national}");
    plausible(&e164).then(|| format!("+{e164}"))
}

/// `raw` without a note after the number (`(WA)`, `a.n. Budi`): one that white space or
/// `(` sets apart and that holds no digit.
fn without_note(raw: &str) -> &str {
    let Some(at) = raw.find(|c: char| !(c.is_ascii_digit() || " -().+/".contains(c))) else {
        return raw;
    };
    let (number, note) = raw.split_at(at);
    let apart = number.ends_with(|c: char| c.is_whitespace() || c == '(');
    if !apart || note.contains(char::is_numeric) {
        // A number with letters in it (`abc123456789`), or a second number: not one field's
        // number (`to_e164` then reads the field's first).
        return raw;
    }
    let number = number.trim_end();
    number.strip_suffix('(').unwrap_or(number).trim_end()
}

fn plausible(digits: &str) -> bool {
    (9..=15).contains(&digits.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review: a number typed with full-width, Arabic-Indic or styled digits was none.
    #[test]
    fn a_number_in_digits_of_other_scripts_is_read() {
        for raw in [
            "０８１２３４５６７８９０",
            "＋６２ ８１２－３４５６－７８９０",
            "٠٨١٢٣٤٥٦٧٨٩٠",
            "𝟎𝟖𝟏𝟐 𝟑𝟒𝟓𝟔 𝟕𝟖𝟗𝟎",
            "HP ０８１２-３４５６-７８９０ (WA)",
        ] {
            assert_eq!(to_e164(raw).as_deref(), Some("+6281234567890"), "{raw}");
        }
    }

    /// Review: ASCII digits with full-width forms between them (`0812－3456－7890`, a phone's
    /// full-width keyboard) were read only with a digit of another script among them: none.
    #[test]
    fn a_number_with_full_width_separators_is_read() {
        for raw in [
            "0812－3456－7890",
            "＋62 812 3456 7890",
            "0812\u{3000}3456\u{3000}7890",
        ] {
            assert_eq!(to_e164(raw).as_deref(), Some("+6281234567890"), "{raw}");
        }
        assert_eq!(to_e164("（0285）421112").as_deref(), Some("+62285421112"));
    }

    /// Review (session 44): a number grouped with other dashes (a minus sign, a small
    /// hyphen-minus, a horizontal bar, an em dash) or holding a bidi mark, an isolate, a
    /// word joiner, a byte order mark or a soft hyphen was none, or another: the reporter
    /// had no key, or not the key of the number written plain.
    #[test]
    fn a_number_with_other_dashes_or_marks_that_take_no_room_is_read() {
        for raw in [
            "0812\u{2212}3456\u{2212}7890",
            "0812\u{fe63}3456\u{fe63}7890",
            "0812\u{2015}3456\u{2015}7890",
            "0812\u{2014}3456\u{2014}7890",
            "0812\u{fe58}3456\u{fe58}7890",
            "0812\u{2011}3456\u{2011}7890",
            "\u{200e}0812-3456-7890",
            "0812\u{200f}3456\u{200f}7890",
            "+62\u{2066}812 3456 7890\u{2069}",
            "\u{202b}0812-3456-7890\u{202c}",
            "0812\u{2060}3456\u{2060}7890",
            "\u{feff}081234567890",
            "0812\u{ad}3456\u{ad}7890",
            "HP 0812\u{200f}3456\u{200f}7890 (WA)",
        ] {
            assert_eq!(to_e164(raw).as_deref(), Some("+6281234567890"), "{raw:?}");
        }
    }

    /// Review (session 45): a zero-width joiner, non-joiner or space inside a number (pasted
    /// from a chat, or left by a web editor) made it none, and the reporter had no key. They
    /// are read as nothing; a field of two numbers they alone part is read by its first.
    #[test]
    fn a_number_holding_zero_width_characters_is_read() {
        for raw in [
            "0812\u{200d}3456\u{200d}7890",
            "0812\u{200c}3456\u{200c}7890",
            "0812\u{200b}3456\u{200b}7890",
            "\u{200b}+62 812\u{200d}3456 7890\u{200b}",
            "HP 0812\u{200b}3456\u{200b}7890 (WA)",
            "081234567890\u{200b}081298765432",
            "0812\u{200b}3456\u{200b}7890\u{200b}0813\u{200b}1111\u{200b}2222",
        ] {
            assert_eq!(to_e164(raw).as_deref(), Some("+6281234567890"), "{raw:?}");
        }
    }

    /// Review (session 45): a number in keycap digits (`0️⃣8️⃣1️⃣2️⃣…`) was none.
    #[test]
    fn a_number_in_keycap_digits_is_read() {
        let keycaps: String = "0812 3456 7890"
            .chars()
            .map(|d| match d {
                ' ' => " ".to_string(),
                d => format!("{d}\u{fe0f}\u{20e3}"),
            })
            .collect();
        assert_eq!(to_e164(&keycaps).as_deref(), Some("+6281234567890"));
        assert_eq!(
            to_e164("0\u{20e3}8\u{20e3}1\u{20e3}2\u{20e3}3\u{20e3}4\u{20e3}5\u{20e3}6\u{20e3}7\u{20e3}8\u{20e3}9\u{20e3}0\u{20e3}")
                .as_deref(),
            Some("+6281234567890")
        );
    }

    #[test]
    fn every_phone_form_of_the_channel_docs_becomes_e164() {
        for raw in [
            "081234567890",
            "+6281234567890",
            "6281234567890",
            "+62 812-3456-7890",
            "0812 3456 7890",
        ] {
            assert_eq!(to_e164(raw).as_deref(), Some("+6281234567890"), "{raw}");
        }
        assert_eq!(to_e164("0285-421112").as_deref(), Some("+62285421112"));
        assert_eq!(to_e164("(0285) 421112").as_deref(), Some("+62285421112"));
    }

    /// Review finding: a field a spreadsheet or a form wrote otherwise was no number, so the
    /// reporter's own number was not looked for in the texts, and had no `reporter_key`.
    #[test]
    fn a_fields_first_number_is_read_when_the_field_is_not_one_number() {
        for raw in [
            "HP 0813-2876-5432",
            "WA: 0813 2876 5432",
            "tel:+6281328765432",
            "'081328765432",
            "6281328765432.0",
            "0813-2876-5432 / 0812-3456-7890",
            "0813-2876-5432 atau 0812 3456 7890",
            "0813-2876-5432, 0812-3456-7890",
            "0813 2876 5432 atau 0812 3456 7890",
            "0813-2876-5432(WA 2)",
            "0813-2876-5432WA",
            "WA 0813-2876-5432",
        ] {
            assert_eq!(to_e164(raw).as_deref(), Some("+6281328765432"), "{raw}");
        }
        // Still no number: too few digits, no phone's, or one masked in part (review: a
        // number cut short became a key that others' masked numbers shared).
        for raw in [
            "08123456xxxx",
            "0812-3456-78**",
            "08123456 (disamarkan)",
            "0812345678\u{2022}\u{2022}",
            "RT 03/RW 05 No. 12",
            "NIK 3375011234567890",
            "Private",
            "0812",
        ] {
            assert_eq!(to_e164(raw), None, "{raw}");
        }
    }

    /// Review finding: `0062 813…` became `+626281…`.
    #[test]
    fn the_international_prefix_a_lost_zero_and_a_note_are_read() {
        for raw in [
            "0062 813 2876 5432",
            "0062-813-2876-5432",
            "81328765432",
            "813 2876 5432",
            "0813-2876-5432 (WA)",
            "0813 2876 5432 WA",
            "+62 813 2876 5432 (wa only)",
            "0062 813 2876 5432 a.n. Budi",
        ] {
            assert_eq!(to_e164(raw).as_deref(), Some("+6281328765432"), "{raw}");
        }
        // Another country dialled with `00` is that country's number.
        assert_eq!(to_e164("0065 9123 4567").as_deref(), Some("+6591234567"));
        assert_eq!(
            to_e164("(0285) 421112 (kantor)").as_deref(),
            Some("+62285421112")
        );
        // Only a mobile number's 0 is taken as lost, and only at a mobile number's length.
        for raw in ["285421112", "813287654", "8132876543210", "91328765432"] {
            assert_eq!(to_e164(raw), None, "{raw}");
        }
    }

    /// Review finding: `+0812…` was kept as it was (no E.164 number), a number spaced with
    /// a no-break space or joined with a non-breaking hyphen or an en dash was none, and so
    /// was a field of two numbers with only a space between them: the same reporter had
    /// another `reporter_key`, or none.
    #[test]
    fn a_number_written_plus_zero_or_with_other_separators_is_the_same_number() {
        for raw in [
            "+081234567890",
            "+0812-3456-7890",
            "+62\u{a0}812\u{a0}3456\u{a0}7890",
            "0812\u{a0}3456\u{a0}7890",
            "0812\u{202f}3456\u{202f}7890",
            "+62 812\u{2011}3456\u{2011}7890",
            "0812\u{2013}3456\u{2013}7890",
            "081234567890 081298765432",
            "0812 3456 7890 0813 1111 2222",
            "+62 812 3456 7890 0813 1111 2222",
            "0812 34 56 78 90 0813 11 22 33 44",
            "0812 345 678 90 0813 111 222 33",
            "+0062 812 3456 7890",
        ] {
            assert_eq!(to_e164(raw).as_deref(), Some("+6281234567890"), "{raw:?}");
        }
        assert_eq!(
            to_e164("0285 421112 0285 421113").as_deref(),
            Some("+62285421112")
        );
        assert_eq!(
            to_e164("0812 345 678 901 0813 111 222 333").as_deref(),
            Some("+62812345678901")
        );
    }

    #[test]
    fn what_is_no_number_gives_none() {
        for raw in ["Private", "-", "", "  ", "12", "abc123456789"] {
            assert_eq!(to_e164(raw), None, "{raw}");
        }
    }
}
