//! Reporter identity: phone numbers to E.164 ([`aduan_core::phone`]), then a keyed hash.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use aduan_core::phone::to_e164;

use aduan_core::label::takes_no_room;
use unicode_normalization::UnicodeNormalization;

/// An e-mail address in the form that is hashed: trimmed, lower case; `None` if it is none.
/// One written with other characters than ASCII's is read in its compatibility form (NFKC),
/// without the marks that take no room ([`takes_no_room`]): a full-width or small at sign
/// (`＠`, `﹫`), full-width letters or a bidi mark around it make no other reporter (review,
/// session 44: `siti＠gmail.com` was none, `ｓｉｔｉ@gmail.com` another than `siti@gmail.com`),
/// nor does a zero-width space or joiner inside it (session 45).
pub fn normal_email(raw: &str) -> Option<String> {
    let e = if raw.is_ascii() {
        raw.trim().to_lowercase()
    } else {
        let read: String = raw.nfkc().filter(|c| !takes_no_room(*c)).collect();
        read.trim().to_lowercase()
    };
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

    /// Review (session 44): an address written with a full-width or small at sign was none
    /// (the reporter had no key), and one in full-width letters or with a bidi mark another
    /// reporter than the address written plain.
    #[test]
    fn an_address_in_full_width_or_small_forms_is_the_plain_address() {
        for raw in [
            "siti＠gmail.com",
            "siti﹫gmail.com",
            "ｓｉｔｉ＠ｇｍａｉｌ．ｃｏｍ",
            "\u{200e}Siti@Gmail.com\u{200f} ",
        ] {
            assert_eq!(
                normal_email(raw).as_deref(),
                Some("siti@gmail.com"),
                "{raw:?}"
            );
        }
        assert_eq!(normal_email("siti gmail.com"), None);
        assert_eq!(
            normal_email("Jose\u{301}@x.id").as_deref(),
            Some("jos\u{e9}@x.id")
        );
    }

    /// Review (session 45): an address holding a zero-width joiner, non-joiner or space
    /// (pasted from a chat or a web page) was another reporter than the address written
    /// plain. They are read as nothing.
    #[test]
    fn an_address_holding_zero_width_characters_is_the_plain_address() {
        for raw in [
            "siti\u{200d}@gmail.com",
            "si\u{200c}ti@gmail.com",
            "siti@\u{200b}gmail.com",
            "\u{200b}siti@gmail.com\u{200b}",
        ] {
            assert_eq!(
                normal_email(raw).as_deref(),
                Some("siti@gmail.com"),
                "{raw:?}"
            );
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
