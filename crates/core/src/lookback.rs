//! A pull channel's look-back (`lookback_secs`): how far before its saved cursor each run
//! reads again, so that a record the source commits late, dated before records already
//! read, is found (the records read again are recognised and stored once). One setting, one
//! default and one range for every channel that has it (Pantau Pekalongan's backfill,
//! SP4N-LAPOR!, Lapor Gub!).

use crate::{check_within, Result};

/// `lookback_secs` unless set: 10 minutes.
pub const DEFAULT_SECS: u64 = 600;

/// The largest `lookback_secs`: a day (Pantau Pekalongan retries a webhook for up to a day).
pub const MAX_SECS: u64 = 86_400;

/// [`DEFAULT_SECS`], for `#[serde(default = "aduan_core::lookback::default_secs")]`.
pub fn default_secs() -> u64 {
    DEFAULT_SECS
}

/// `channel`'s `lookback_secs` checked: 0 (none) to [`MAX_SECS`], else a configuration error
/// naming the setting.
pub fn check(channel: &str, secs: u64) -> Result<()> {
    check_within(channel, "lookback_secs", secs, 0..=MAX_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_back_is_checked_from_none_to_a_day() {
        assert!(check("sp4n_lapor", 0).is_ok());
        assert!(check("sp4n_lapor", MAX_SECS).is_ok());
        let e = check("sp4n_lapor", MAX_SECS + 1).unwrap_err().to_string();
        assert!(
            e.contains("sp4n_lapor") && e.contains("lookback_secs 86401"),
            "{e}"
        );
    }
}
