//! Reporter identity: phone numbers to E.164, then a keyed hash.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A phone number in any of the channels' forms, as E.164 (`+62…`); `None` when it is no
/// number (`Private`, `-`, empty) or not plausible.
///
/// Forms: `081234567890`, `+6281234567890`, `6281234567890`, `+62 812-3456-7890`,
/// `0285-421112`, `(0285) 421112`.
pub fn to_e164(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    // Anything but digits, separators and a leading plus means it is not a number.
    if trimmed
        .chars()
        .any(|c| !(c.is_ascii_digit() || " -().+/".contains(c)))
    {
        return None;
    }
    let national = if plus {
        if let Some(rest) = digits.strip_prefix("62") {
            rest.to_string()
        } else {
            // Another country's number: keep it as it is.
            return plausible(&digits).then(|| format!("+{digits}"));
        }
    } else if let Some(rest) = digits.strip_prefix("62") {
        rest.to_string()
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest.to_string()
    } else {
        return None;
    };
    let national = national.trim_start_matches('0');
    let e164 = format!("62{national}");
    plausible(&e164).then(|| format!("+{e164}"))
}

fn plausible(digits: &str) -> bool {
    (9..=15).contains(&digits.len())
}

/// An e-mail address in the form that is hashed: trimmed, lower case; `None` if it is none.
pub fn normal_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    (e.contains('@') && !e.contains(' ')).then_some(e)
}

/// The keyed hash (HMAC-SHA256, hex) of a normalised phone number or e-mail.
pub fn reporter_key(key: &[u8], identity: &str) -> String {
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(identity.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn what_is_no_number_gives_none() {
        for raw in ["Private", "-", "", "  ", "12", "abc123456789"] {
            assert_eq!(to_e164(raw), None, "{raw}");
        }
    }

    #[test]
    fn the_reporter_key_depends_on_the_key_and_is_stable() {
        let a = reporter_key(b"k1", "+6281234567890");
        assert_eq!(a, reporter_key(b"k1", "+6281234567890"));
        assert_ne!(a, reporter_key(b"k2", "+6281234567890"));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("6281234567890"));
    }
}
