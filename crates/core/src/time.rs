//! Time helpers: every source time without an offset is WIB (UTC+7, no DST).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, TimeZone, Timelike, Utc};

/// Western Indonesia Time, UTC+7.
pub fn wib() -> FixedOffset {
    // 7 * 3600 is a valid offset; east_opt only fails beyond ±24 h.
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// A WIB wall-clock time as an instant; `None` at the very edge of the calendar, where the
/// instant seven hours earlier cannot be represented.
pub fn from_wib(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    // A fixed offset maps every representable local time to exactly one instant.
    wib()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The month of `t` in WIB, as `YYYY-MM` (`reported_month` in `complaints`).
pub fn wib_month(t: DateTime<Utc>) -> String {
    t.with_timezone(&wib()).format("%Y-%m").to_string()
}

/// The first year of the times Aduan takes from a source.
pub const FIRST_YEAR: i32 = 1970;
/// The year after the last of the times Aduan takes from a source.
pub const END_YEAR: i32 = 2100;

/// `t` when it lies in the years Aduan takes from a source ([`FIRST_YEAR`] to before
/// [`END_YEAR`]): a time far outside them is a source's mistake, which PostgreSQL would
/// refuse (a whole batch with it) or SQLite store in a form it does not read back, and which
/// would carry a channel's cursor past its real reports. A leap second (a time whose
/// seconds are `60`, which chrono reads: `10:00:60`) is none either: SQLite stored it as
/// text its date functions do not read (`julianday` gave `NULL`) and PostgreSQL as the next
/// minute's first second, so the two stores held two times, and no WIB clock shows it.
pub fn in_range(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    ((FIRST_YEAR..END_YEAR).contains(&t.year()) && t.nanosecond() < 1_000_000_000).then_some(t)
}

/// Parses an RFC 3339 / ISO 8601 time with offset from a source into UTC; `None` outside
/// [`in_range`].
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    read_rfc3339(s).and_then(in_range)
}

/// A source's value that is no time, as a reason may show it: quoted when it is made of
/// what times are (digits, spaces, `-/:.,+` and `T`/`Z`; at most 40 characters), else by its
/// length alone, so that a name or another text (a hand-typed sheet's column shifted by one)
/// reaches no quarantine reason or log. A number among them is masked with the reason.
pub fn quoted(value: &str) -> String {
    let n = value.chars().count();
    let timelike = n <= 40
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || "-/:.,+TZtz".contains(c));
    if timelike {
        format!("{value:?}")
    } else {
        format!("a text of {n} characters (not quoted)")
    }
}

/// Parses a source's ISO 8601 time into UTC: with its offset (RFC 3339), or without one as
/// WIB, the channels' rule for a time without offset (`2021-09-10T19:02:11`, also with a
/// space for the `T` or a fraction of a second); `None` outside [`in_range`].
pub fn parse_source(s: &str) -> Option<DateTime<Utc>> {
    parse_rfc3339(s).or_else(|| with_offset(s)).or_else(|| {
        parse_wib(
            s,
            &[
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ],
        )
    })
}

/// An ISO 8601 time with an offset RFC 3339 does not take: in the basic form (`+0700`, what
/// PHP's `DATE_ISO8601` writes) or of hours alone (`+07`), or without seconds.
fn with_offset(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    [
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%d %H:%M%#z",
    ]
    .iter()
    .find_map(|f| DateTime::parse_from_str(s, f).ok())
    .map(|t| t.with_timezone(&Utc))
    .and_then(in_range)
}

/// Reads an RFC 3339 / ISO 8601 time with offset into UTC, of any year: a time Aduan wrote
/// itself (a store's, a saved cursor).
pub fn read_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A source's time `s` as a channel's query takes it back (RFC 3339, with an offset): as
/// written when it is that already (its own form, fraction and offset kept), else read as
/// [`parse_source`] reads it and written in WIB (`2021-09-13 14:20:00` becomes
/// `2021-09-13T14:20:00+07:00`); `None` when it is no time.
pub fn as_query_time(s: &str) -> Option<String> {
    if DateTime::parse_from_rfc3339(s).is_ok() {
        return Some(s.to_string());
    }
    parse_source(s).map(|t| {
        t.with_timezone(&wib())
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    })
}

/// Whether a source's `t` lies later than `now` (this machine's clock) by more than a few
/// minutes (clocks disagree a little): a source's mistake (a local time labelled UTC, a
/// wrong year) that must not carry a channel's saved cursor past reports not read yet.
pub fn ahead_of(t: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    t > now + chrono::Duration::minutes(10)
}

/// How much later than when Aduan received it a record may say it was reported or changed:
/// clocks disagree, and a source may label its local time as UTC (WIB is 7 hours ahead of
/// UTC, the furthest zone 14). Later than that, the time is a source's mistake (a wrong
/// year, month or day).
pub const RECEIPT_SLACK: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Whether a source's `t` lies later than `received_at` (when Aduan received the payload
/// saying it, as archived) by more than [`RECEIPT_SLACK`].
pub fn after_receipt(t: DateTime<Utc>, received_at: DateTime<Utc>) -> bool {
    t > received_at + RECEIPT_SLACK
}

/// The reason a record is quarantined for a time `t` that is [`after_receipt`] of
/// `received_at`; `harm` says what the time would do if it were kept.
pub fn after_receipt_reason(t: DateTime<Utc>, received_at: DateTime<Utc>, harm: &str) -> String {
    format!(
        "{} is more than a day later than when it was received ({}): a mistake of the \
         source's (a wrong year, month or day); {harm}",
        t.format("%Y-%m-%d %H:%M UTC"),
        received_at.format("%Y-%m-%d %H:%M UTC"),
    )
}

/// Checks a saved `cursor` of `channel` at `t` (when it is a time): one later than this
/// machine's clock (see [`ahead_of`]; saved before Aduan checked) is an error, as every run
/// would skip the reports updated until then.
pub fn saved_cursor(channel: &str, cursor: &str, t: Option<DateTime<Utc>>) -> crate::Result<()> {
    match t {
        Some(t) if ahead_of(t, Utc::now()) => Err(cursor_ahead(channel, cursor, t)),
        _ => Ok(()),
    }
}

/// Checks a cursor of `channel` that an operator sets (`aduan cursor set`) and that the
/// connector reads as the time `t`: a time of the years 1970 to 2099 (`None`: not such a
/// time, `what` says what is expected), not later than this machine's clock.
pub fn set_cursor(
    channel: &str,
    cursor: &str,
    t: Option<DateTime<Utc>>,
    what: &str,
) -> crate::Result<()> {
    let err = |message: String| crate::Error::Config {
        channel: channel.to_string(),
        message,
    };
    match t.and_then(in_range) {
        None => Err(err(format!(
            "the cursor {cursor:?} is not {what} of the years 1970 to 2099"
        ))),
        Some(t) if ahead_of(t, Utc::now()) => Err(err(format!(
            "the cursor {cursor:?} ({}) is later than this machine's clock: reports updated \
             until then would never be read",
            t.format("%Y-%m-%d %H:%M UTC")
        ))),
        Some(_) => Ok(()),
    }
}

/// The error of a saved `cursor` of `channel` at `t`, later than this machine's clock.
fn cursor_ahead(channel: &str, cursor: &str, t: DateTime<Utc>) -> crate::Error {
    crate::Error::Config {
        channel: channel.to_string(),
        message: format!(
            "the saved cursor {cursor:?} ({}) is later than this machine's clock: reports \
             updated until then would never be read; set it back to the last time read \
             (`aduan cursor show --channel {channel}` shows it in full, `aduan cursor set \
             {channel} …` sets it), or check this machine's clock",
            t.format("%Y-%m-%d %H:%M UTC")
        ),
    }
}

/// A connector's `start_from` setting (where its very first run begins): the time it names,
/// or a configuration error of `channel` quoting it.
pub fn start_from(channel: &str, setting: Option<&str>) -> crate::Result<Option<DateTime<Utc>>> {
    setting
        .map(|s| {
            parse_rfc3339(s).ok_or_else(|| crate::Error::Config {
                channel: channel.to_string(),
                message: format!(
                    "start_from {s:?} is not an ISO 8601 time with offset of the years 1970 \
                     to 2099"
                ),
            })
        })
        .transpose()
}

/// Parses a WIB time without offset in one of `formats` (chrono `strftime` forms); `None`
/// outside [`in_range`].
pub fn parse_wib(s: &str, formats: &[&str]) -> Option<DateTime<Utc>> {
    let s = s.trim();
    formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .and_then(from_wib)
        .and_then(in_range)
}

#[cfg(test)]
mod tests {
    /// A time's digits and separators are quoted; a name where a time was is not.
    #[test]
    fn a_value_that_is_no_time_is_quoted_only_when_made_of_what_times_are() {
        for (value, shown) in [
            ("31/02/2024 25:61", "\"31/02/2024 25:61\""),
            ("2024-13-01T10:00:00+07:00", "\"2024-13-01T10:00:00+07:00\""),
            ("", "\"\""),
            (
                "Retno Nurhayati Wijaya",
                "a text of 22 characters (not quoted)",
            ),
            ("Budi 0813", "a text of 9 characters (not quoted)"),
            ("12 Januari 2024", "a text of 15 characters (not quoted)"),
        ] {
            assert_eq!(quoted(value), shown, "{value}");
        }
        assert_eq!(
            quoted(&"1".repeat(41)),
            "a text of 41 characters (not quoted)"
        );
    }

    use super::*;

    #[test]
    fn a_source_time_without_offset_is_wib() {
        let utc = |s: &str| parse_source(s).map(|t| t.to_rfc3339());
        let at = Some("2021-09-10T12:02:11+00:00".to_string());
        assert_eq!(utc("2021-09-10T19:02:11+07:00"), at);
        assert_eq!(utc("2021-09-10T19:02:11"), at);
        assert_eq!(utc(" 2021-09-10 19:02:11 "), at);
        assert_eq!(
            utc("2021-09-10T19:02:11.250").as_deref(),
            Some("2021-09-10T12:02:11.250+00:00")
        );
        assert_eq!(
            utc("2021-09-10T19:02").as_deref(),
            Some("2021-09-10T12:02:00+00:00")
        );
        for wrong in [
            "2021-09-10",
            "10/09/2021 19:02",
            "kemarin",
            "2200-01-01T00:00:00",
        ] {
            assert_eq!(utc(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn a_source_time_goes_back_to_a_query_with_its_offset() {
        // RFC 3339 as written (the source's own fraction and offset).
        for same in ["2021-09-13T14:20:00.120+07:00", "2021-09-13T07:20:00Z"] {
            assert_eq!(as_query_time(same).as_deref(), Some(same));
        }
        // Without an offset: WIB, written with it (the contracts' form of a query's time).
        assert_eq!(
            as_query_time("2021-09-13 14:20:00").as_deref(),
            Some("2021-09-13T14:20:00+07:00")
        );
        assert_eq!(
            as_query_time(" 2021-09-13T14:20:00.5 ").as_deref(),
            Some("2021-09-13T14:20:00.500+07:00")
        );
        assert_eq!(as_query_time("kemarin"), None);
    }

    #[test]
    fn the_month_is_the_citys() {
        let t = parse_rfc3339("2024-03-31T17:00:00Z").unwrap();
        assert_eq!(wib_month(t), "2024-04");
        let t = parse_rfc3339("2024-03-31T16:59:59Z").unwrap();
        assert_eq!(wib_month(t), "2024-03");
    }

    #[test]
    fn a_time_at_the_calendars_edge_is_no_time() {
        let first = NaiveDateTime::MIN;
        assert_eq!(from_wib(first), None);
        assert!(from_wib(NaiveDateTime::MAX).is_some());
    }

    /// Helper c112files (session 42): a 112 row's `10:00:60` was read as a leap second and
    /// stored as `2024-03-05T03:00:60+00:00` on SQLite (which `julianday` reads as `NULL`)
    /// and as `03:01:00` on PostgreSQL. A time whose seconds are 60 is no time.
    #[test]
    fn a_leap_second_is_no_time() {
        let wib = |s| parse_wib(s, &["%d/%m/%Y %H:%M:%S"]);
        assert!(wib("05/03/2024 10:00:59").is_some());
        assert_eq!(wib("05/03/2024 10:00:60"), None);
        assert_eq!(wib("31/12/2016 06:59:60"), None);
        assert_eq!(parse_rfc3339("2016-12-31T23:59:60Z"), None);
        assert_eq!(parse_source("2024-03-05T10:00:60"), None);
        assert_eq!(parse_source("2024-03-05T10:00:60+0700"), None);
        assert!(parse_rfc3339("2016-12-31T23:59:59.999Z").is_some());
    }

    #[test]
    fn a_time_of_a_far_year_is_no_time() {
        assert!(parse_rfc3339("1970-01-01T00:00:00Z").is_some());
        assert!(parse_rfc3339("2099-12-31T23:59:59Z").is_some());
        for far in [
            "1969-12-31T23:59:59Z",
            "2100-01-01T00:00:00Z",
            "+10000-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(far), None, "{far}");
        }
        // The years are UTC's: 07:00 WIB on New Year's Day is the first instant of 2100.
        let wib = |s| parse_wib(s, &["%d/%m/%Y %H:%M:%S"]);
        assert_eq!(wib("01/01/2100 07:00:00"), None);
        assert!(wib("01/01/2100 06:59:59").is_some());
        let far = DateTime::from_timestamp_millis(253_402_300_800_000).unwrap();
        assert_eq!(in_range(far), None);
    }

    #[test]
    fn wib_wall_clock_is_seven_hours_ahead_of_utc() {
        let t = parse_wib("12/09/2021 07:41:13", &["%d/%m/%Y %H:%M:%S"]).unwrap();
        assert_eq!(t.to_rfc3339(), "2021-09-12T00:41:13+00:00");
    }

    #[test]
    fn an_offset_time_is_converted_to_utc() {
        let t = parse_rfc3339("2021-09-11T09:00:00+07:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-09-11T02:00:00+00:00");
        assert!(parse_rfc3339("kemarin").is_none());
    }
}
