//! Reporter identity: phone numbers to E.164 ([`aduan_core::phone`]), then a keyed hash.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use aduan_core::phone::to_e164;

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
    fn the_reporter_key_depends_on_the_key_and_is_stable() {
        let a = reporter_key(b"k1", "+6281234567890");
        assert_eq!(a, reporter_key(b"k1", "+6281234567890"));
        assert_ne!(a, reporter_key(b"k2", "+6281234567890"));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("6281234567890"));
    }
}
