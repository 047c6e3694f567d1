//! Schedules (`[channels.<id>] schedule`, `[backup] schedule`): cron expressions with a
//! seconds field, whose day of the week is numbered as Unix cron numbers it.
//!
//! The `cron` crate that reads them numbers the days from Sunday = 1 to Saturday = 7, where
//! crontab, and every operator, reads 0 or 7 as Sunday and 1 as Monday: `0 0 2 * * 1-5` would
//! run from Sunday to Thursday. [`unix_days`] writes such a field with the days' names, which
//! both read alike.

use std::borrow::Cow;
use std::time::Duration;

/// The words a run's error says the wait in when a source answered `429` or `503` with a
/// `Retry-After` longer than a run waits out, or `503` with one to a request's last attempt:
/// one wording for both. They are for the reader alone: the scheduler reads the wait from the
/// error's own field ([`crate::Error::AskedToWait`]), never from its words, which are followed
/// by the source's body (session 49: a body naming a wait decided it).
pub fn asked_to_wait(wait: Duration) -> String {
    format!("asked to wait {} s (Retry-After)", wait.as_secs())
}

/// The days' names, Sunday first, as Unix cron numbers them (0 to 6; 7 is Sunday again).
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// `expr` with the numbers of its day-of-week field (the sixth) written as the days' names,
/// read as Unix cron reads them: `0` or `7` Sunday, `1` Monday, `1-5` Monday to Friday,
/// `5-7` Friday to Sunday, `*/2` Sunday, Tuesday, Thursday and Saturday. Names, `*` and `?`
/// stay; an item that is no day number (`8`, `1-x`) stays as written, for the cron reader
/// to refuse. An expression of fewer than six fields is returned as it is.
pub fn unix_days(expr: &str) -> Cow<'_, str> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let Some(days) = fields.get(5) else {
        return Cow::Borrowed(expr);
    };
    if !days.bytes().any(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(expr);
    }
    let items: Vec<String> = days.split(',').map(day_item).collect();
    let mut out: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    out[5] = items.join(",");
    Cow::Owned(out.join(" "))
}

/// One item of a day-of-week list (`3`, `1-5`, `*/2`, `1-5/2`, `MON`) with its numbers as
/// names: the days it names, listed.
fn day_item(item: &str) -> String {
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => match s.parse::<usize>() {
            Ok(s) if s > 0 => (r, s),
            _ => return item.to_string(),
        },
        None => (item, 1),
    };
    let number = |s: &str| s.parse::<usize>().ok().filter(|n| *n <= 7);
    let (from, to) = match range {
        "*" | "?" => (0, 6),
        _ => match range.split_once('-') {
            Some((a, b)) => match (number(a), number(b)) {
                // `5-0` is Friday to Sunday as `5-7` is.
                (Some(a), Some(0)) if a > 0 => (a, 7),
                (Some(a), Some(b)) if a <= b => (a, b),
                _ => return item.to_string(),
            },
            None => match number(range) {
                // `1/3`: from Monday on, every third day, through 7 (Sunday) as crontab's
                // ranges go: Monday, Thursday, Sunday.
                Some(a) if item.contains('/') => (a, 7),
                Some(a) => (a, a),
                None => return item.to_string(),
            },
        },
    };
    let mut named: Vec<&str> = Vec::new();
    for day in (from..=to).step_by(step) {
        let name = DAYS[day % 7];
        if !named.contains(&name) {
            named.push(name);
        }
    }
    named.join(",")
}

/// The fields of a schedule, in order: a seconds field first, a year last (optional).
const FIELDS: [&str; 7] = [
    "seconds",
    "minutes",
    "hours",
    "day of month",
    "month",
    "day of week",
    "year",
];

/// `expr` read as a schedule (its day numbers as Unix cron's, [`unix_days`]), or why it is
/// not one, in one line (`why_not_a_schedule`). Its fields are read with one space between
/// them, whatever white space separates them (a tab, a line break of a multi-line string, a
/// non-breaking space pasted from a web page), as [`unix_days`] writes them: review, a line
/// break made the cron reader's words span lines again, and a non-breaking space was read
/// only where the day of the week held a number.
pub fn read(expr: &str) -> Result<cron::Schedule, String> {
    let spaced = expr.split_whitespace().collect::<Vec<_>>().join(" ");
    let read = unix_days(&spaced);
    read.parse::<cron::Schedule>()
        .map_err(|e| why_not_a_schedule(expr, &read, &e.to_string()))
}

/// Why `expr` is not a schedule, in one line, from what the cron reader said of `read`
/// (`expr`'s fields through [`unix_days`]) in `error`. The reader's own words span lines (the
/// expression again, a caret under the place) and say nothing of where when a field is
/// missing, and its "must be less than 59" means "at most 59": a crontab line of five fields,
/// the usual slip, is named as one with the schedule of six that runs at its times, or why
/// that is none either. The field named is as `expr` writes it (`1-5,9`, not the days' names
/// the reader was given).
fn why_not_a_schedule(expr: &str, read: &str, error: &str) -> String {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    match fields.len() {
        5 => {
            let line = fields.join(" ");
            let six = format!("0 {line}");
            let told = "it has 5 fields, as a crontab line has; a schedule here has a seconds \
                        field first (6 fields, or 7 with a year)";
            // Crontab runs a line restricting both days on either of them (unless one starts
            // with `*`), the cron reader on the days that are both: review, `0 0 1 * 1` was
            // said to run at crontab's times, the 1st and every Monday, as "0 0 0 1 * 1",
            // which runs on a 1st that is a Monday.
            let free = |day: &str| day.starts_with('*') || day == "?";
            return match self::read(&six) {
                Err(why) => format!("{told}, and \"{six}\" is none either: {why}"),
                Ok(_) if !free(fields[2]) && !free(fields[4]) => format!(
                    "{told}: \"{six}\" runs on the days that are both its day of month and its \
                     day of week, where crontab runs \"{line}\" on either"
                ),
                Ok(_) => format!("{told}: \"{six}\" runs at the times crontab reads \"{line}\" as"),
            };
        }
        6 | 7 => {}
        0 => return "it is empty: leave the setting out for no schedule".into(),
        n => {
            return format!(
                "it has {n} field{}; a schedule has 6 ({}) or 7 (and the year)",
                if n == 1 { "" } else { "s" },
                FIELDS[..6].join(", ")
            )
        }
    }
    let mut lines = error.lines().map(str::trim_end);
    let mut said: Vec<String> = Vec::new();
    let mut place = None;
    while let Some(line) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        if line.trim() == read.trim() {
            // The reader's echo of the expression; the caret line under it names the place.
            // (A column that is not a character's start in `read`, as past non-ASCII text,
            // names no place.)
            if let Some(before) = lines
                .next()
                .and_then(|l| l.find('^'))
                .and_then(|caret| read.get(..caret))
            {
                // A caret on a field's first character counts the fields before it only.
                let fields = before.split_whitespace().count();
                let at_start = before.chars().last().is_none_or(char::is_whitespace);
                place = Some(if at_start { fields } else { fields - 1 });
            }
            continue;
        }
        said.push(
            line.trim()
                .replace(" must be less than ", " must be at most "),
        );
    }
    // The field as `expr` writes it: `read` holds the same fields, the day of the week's
    // numbers written as names.
    let place = place.and_then(|i| Some((FIELDS.get(i)?, fields.get(i)?)));
    match (place, said.is_empty()) {
        (Some((name, field)), true) => format!("its {name} field {field:?} cannot be read"),
        (Some((name, field)), false) => {
            format!(
                "its {name} field {field:?} cannot be read: {}",
                said.join(" ")
            )
        }
        (None, false) => said.join(" "),
        (None, true) => "the cron reader could not read it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{read, unix_days};

    #[test]
    fn day_numbers_are_read_as_unix_cron_reads_them() {
        for (given, read) in [
            ("0 0 2 * * 1", "0 0 2 * * MON"),
            ("0 0 2 * * 0", "0 0 2 * * SUN"),
            ("0 0 2 * * 7", "0 0 2 * * SUN"),
            ("0 0 2 * * 1-5", "0 0 2 * * MON,TUE,WED,THU,FRI"),
            ("0 0 2 * * 5-7", "0 0 2 * * FRI,SAT,SUN"),
            ("0 0 2 * * 5-0", "0 0 2 * * FRI,SAT,SUN"),
            ("0 0 2 * * 0,6", "0 0 2 * * SUN,SAT"),
            ("0 0 2 * * */2", "0 0 2 * * SUN,TUE,THU,SAT"),
            ("0 0 2 * * 1-5/2", "0 0 2 * * MON,WED,FRI"),
            ("0 0 2 * * 1/3", "0 0 2 * * MON,THU,SUN"),
            ("0 0 2 * * 1,MON-FRI", "0 0 2 * * MON,MON-FRI"),
            ("0 0 2 * * 1 2027", "0 0 2 * * MON 2027"),
            // Nothing to read otherwise: as written.
            ("0 */15 * * * *", "0 */15 * * * *"),
            ("0 0 2 * * MON-FRI", "0 0 2 * * MON-FRI"),
            ("0 0 2 * *", "0 0 2 * *"),
            // No day number: left for the cron reader to refuse.
            ("0 0 2 * * 8", "0 0 2 * * 8"),
            ("0 0 2 * * 5-2", "0 0 2 * * 5-2"),
        ] {
            assert_eq!(unix_days(given), read, "{given}");
        }
    }

    #[test]
    fn a_schedule_not_read_is_told_in_one_line_naming_its_field() {
        for (expr, told) in [
            (
                "0 */15 * * *",
                "it has 5 fields, as a crontab line has; a schedule here has a seconds field \
                 first (6 fields, or 7 with a year): \"0 0 */15 * * *\" runs at the times \
                 crontab reads \"0 */15 * * *\" as",
            ),
            (
                "daily",
                "it has 1 field; a schedule has 6 (seconds, minutes, hours, day of month, \
                 month, day of week) or 7 (and the year)",
            ),
            (
                "0 61 * * * *",
                "its minutes field \"61\" cannot be read: Minutes must be at most 59. ('61' \
                 specified.)",
            ),
            (
                "0 0 2 * * 8",
                "its day of week field \"8\" cannot be read: Days of Week must be at most 7. \
                 ('8' specified.)",
            ),
            (
                "0 0 2 x * *",
                "its day of month field \"x\" cannot be read: The 'Days of Month' field does \
                 not support using names. 'x' specified.",
            ),
            ("0 0 2 * * * 20x6", "its year field \"20x6\" cannot be read"),
            ("0 0 2 * * ,", "its day of week field \",\" cannot be read"),
            (
                "0 0 2 * * Senin",
                "its day of week field \"Senin\" cannot be read: 'Senin' is not a valid day of \
                 the week.",
            ),
            ("0 0 2 * * é", "its day of week field \"é\" cannot be read"),
        ] {
            let why = match read(expr) {
                Err(why) => why,
                Ok(_) => panic!("{expr:?} was read"),
            };
            assert_eq!(why, told, "{expr:?}");
            assert!(!why.contains('\n') && !why.contains('^'), "{why:?}");
        }
        assert_eq!(
            read(" ").err().as_deref(),
            Some("it is empty: leave the setting out for no schedule")
        );
        assert!(read("0 0 2 * * 1-5").is_ok());
    }

    /// Review (session 45): a crontab line of five fields was told to run at its times as
    /// the schedule of six with a seconds field before, also when that is no schedule either
    /// (`0 61 * * *`: "0 0 61 * * *" runs…), and when it runs elsewhen: crontab runs `0 0 1 *
    /// 1` on the 1st and on Mondays, the schedule "0 0 0 1 * 1" only on a 1st that is a
    /// Monday.
    #[test]
    fn a_crontab_line_is_told_as_the_schedule_runs() {
        for (expr, told) in [
            (
                "0 61 * * *",
                "it has 5 fields, as a crontab line has; a schedule here has a seconds field \
                 first (6 fields, or 7 with a year), and \"0 0 61 * * *\" is none either: its \
                 hours field \"61\" cannot be read: Hours must be at most 23. ('61' \
                 specified.)",
            ),
            (
                "0 0 1 * 1",
                "it has 5 fields, as a crontab line has; a schedule here has a seconds field \
                 first (6 fields, or 7 with a year): \"0 0 0 1 * 1\" runs on the days that are \
                 both its day of month and its day of week, where crontab runs \"0 0 1 * 1\" \
                 on either",
            ),
        ] {
            let why = match read(expr) {
                Err(why) => why,
                Ok(_) => panic!("{expr:?} was read"),
            };
            assert_eq!(why, told, "{expr:?}");
        }
        // A day of month or of week left `*` (crontab's `*/2` too): crontab's times.
        assert!(read("0 15 10 * *")
            .is_err_and(|why| why.contains("\"0 0 15 10 * *\" runs at the times crontab")));
        assert!(read("0 0 */2 * 1")
            .is_err_and(|why| why.contains("\"0 0 0 */2 * 1\" runs at the times crontab")));
    }

    /// Review (session 45): a day of the week was named as the cron reader was given it, its
    /// numbers as names ("MON,TUE,WED,THU,FRI,9" for `1-5,9`); a line break in the
    /// expression (a TOML multi-line string) brought back the cron reader's own words, the
    /// expression again and a caret; and a non-breaking space (pasted from a web page) was
    /// refused naming a field that is right, or read, as the day of the week held a number
    /// or not.
    #[test]
    fn a_field_is_named_as_written_whatever_white_space_stands_between() {
        for (expr, told) in [
            (
                "0 0 2 * * 1-5,9",
                "its day of week field \"1-5,9\" cannot be read: Days of Week must be at most \
                 7. ('9' specified.)",
            ),
            (
                "0 0 2 x * *\n",
                "its day of month field \"x\" cannot be read: The 'Days of Month' field does \
                 not support using names. 'x' specified.",
            ),
        ] {
            let why = match read(expr) {
                Err(why) => why,
                Ok(_) => panic!("{expr:?} was read"),
            };
            assert_eq!(why, told, "{expr:?}");
        }
        for expr in ["0 0 2 *\u{a0}* *", "0 0 2 * *\u{a0}1", "0\t0\t2\t*\t*\t*\n"] {
            assert!(read(expr).is_ok(), "{expr:?}");
        }
    }
}
