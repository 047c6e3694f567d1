//! The analysts' report: complaints per month, channel, kind and category, and how fast they
//! were handled: the question Aduan exists to answer, without writing SQL.

use std::collections::HashMap;
use std::path::Path;

use aduan_core::{Kind, Status};
use chrono::NaiveDateTime;
use serde_json::Value;

use crate::{Backend, Error, QueryResult, Result, Store};

/// What a report's rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The month reported, in the city's time (`reported_month`, `YYYY-MM`).
    Month,
    /// The channel.
    Channel,
    /// The kind (complaint, aspiration, information request, non-genuine).
    Kind,
    /// The national main category (`category_main`; empty when none).
    Category,
    /// The national sub-category (`category_sub`; empty when none).
    Subcategory,
}

impl Dimension {
    /// Every dimension, in the report's default order.
    pub const ALL: [Dimension; 4] = [
        Dimension::Month,
        Dimension::Channel,
        Dimension::Kind,
        Dimension::Category,
    ];

    /// The names [`Dimension::parse`] reads, in the order of [`Dimension::ALL`] and then
    /// the sub-category.
    pub const NAMES: [&'static str; 5] = ["month", "channel", "kind", "category", "subcategory"];

    /// The dimension of a name of [`Dimension::NAMES`] (case ignored).
    pub fn parse(name: &str) -> Option<Dimension> {
        match name.to_ascii_lowercase().as_str() {
            "month" => Some(Dimension::Month),
            "channel" => Some(Dimension::Channel),
            "kind" => Some(Dimension::Kind),
            "category" => Some(Dimension::Category),
            "subcategory" => Some(Dimension::Subcategory),
            _ => None,
        }
    }

    /// The stored column and the name the report gives it.
    fn column(self) -> (&'static str, &'static str) {
        match self {
            Dimension::Month => ("reported_month", "month"),
            Dimension::Channel => ("channel", "channel"),
            Dimension::Kind => ("kind", "kind"),
            Dimension::Category => ("category_main", "category_main"),
            Dimension::Subcategory => ("category_sub", "category_sub"),
        }
    }
}

/// Which complaints a report counts by where they are (`in_city`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InCity {
    /// In the city (`in_city` true).
    Yes,
    /// Outside it (`in_city` false: a place of another region, a position outside the box
    /// about the city).
    No,
    /// Where is not known (`in_city` NULL).
    Unknown,
}

impl InCity {
    /// The names [`InCity::parse`] reads.
    pub const NAMES: [&'static str; 3] = ["yes", "no", "unknown"];

    /// The choice of a name of [`InCity::NAMES`] (case ignored; `true`, `false` and `null`,
    /// the column's values, too), or why `name` is none, for the command line and the report
    /// API to give with their parameter's name.
    pub fn parse(name: &str) -> std::result::Result<InCity, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" => Ok(InCity::Yes),
            "no" | "false" => Ok(InCity::No),
            "unknown" | "null" => Ok(InCity::Unknown),
            _ => Err(format!(
                "{name:?} is not a choice; give one of {}",
                InCity::NAMES.join(", ")
            )),
        }
    }

    /// The term of a `WHERE` clause that chooses them (`in_city` is an integer on SQLite, a
    /// boolean on PostgreSQL).
    fn term(self, postgres: bool) -> &'static str {
        match (self, postgres) {
            (InCity::Yes, true) => "in_city",
            (InCity::No, true) => "NOT in_city",
            (InCity::Yes, false) => "in_city = 1",
            (InCity::No, false) => "in_city = 0",
            (InCity::Unknown, _) => "in_city IS NULL",
        }
    }
}

/// Which complaints a report counts, and how it groups them.
#[derive(Debug, Clone, Default)]
pub struct ReportSpec {
    /// The grouping, in order; none gives one row of totals.
    pub by: Vec<Dimension>,
    /// The first month (`YYYY-MM`, the city's time), inclusive.
    pub from_month: Option<String>,
    /// The last month, inclusive.
    pub to_month: Option<String>,
    /// Only these channels (their ids, `sp4n_lapor` say; a text that is no id is refused);
    /// none: every channel.
    pub channels: Vec<String>,
    /// Only these kinds (their stored names, `complaint` say; another is refused); none:
    /// every kind.
    pub kinds: Vec<String>,
    /// Only this national main category (compared folded to single spaces, upper case, as
    /// the table keeps it, a U+0000 as U+FFFD).
    pub category_main: Option<String>,
    /// Only this national sub-category (`BANJIR`, say), compared the same way.
    pub category_sub: Option<String>,
    /// Only those in the city, or outside it, or where is not known; none: wherever they
    /// are.
    pub in_city: Option<InCity>,
}

/// The statuses that close a complaint (Open311's `closed`); every other one counts as open.
const CLOSED: [Status; 5] = [
    Status::Resolved,
    Status::Closed,
    Status::Rejected,
    Status::Archived,
    Status::Withdrawn,
];

/// The report's own columns, after the groups.
const MEASURES: [&str; 6] = [
    "complaints",
    "open",
    "responded",
    "avg_hours_to_first_response",
    "resolved",
    "avg_hours_to_resolution",
];

impl ReportSpec {
    /// Checks the months and the grouping.
    fn check(&self) -> Result<()> {
        let invalid = |message: String| Err(Error::Report(message));
        // One month asked for (`--month`, `month=`) is both ends.
        let one = self.from_month.is_some() && self.from_month == self.to_month;
        let ends = [
            (if one { "month" } else { "from" }, &self.from_month),
            (if one { "month" } else { "to" }, &self.to_month),
        ];
        for (what, month) in ends {
            if let Some(m) = month {
                if !is_month(m) {
                    return invalid(format!(
                        "{what} {m:?} is not a month: give YYYY-MM, such as 2026-11"
                    ));
                }
            }
        }
        if let (Some(from), Some(to)) = (&self.from_month, &self.to_month) {
            if from > to {
                return invalid(format!(
                    "from {from} is after to {to}: no month is in between"
                ));
            }
        }
        for c in &self.channels {
            // Ids are lower case, digits and `_`: `sp4n-lapor` (a webhook path's form) or
            // `SP4N_LAPOR` would count nothing, and look like a channel without complaints.
            let id = !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !id {
                // (The store knows no channel by name: the ids are where the channels are,
                // in `aduan status` and the rows' `channel`.)
                return invalid(format!(
                    "channel {c:?} is not a channel id: ids are written in lower case \
                     letters, digits and `_`, as `aduan status` names each channel and \
                     `complaints.channel` holds it"
                ));
            }
        }
        for k in &self.kinds {
            if Kind::parse(k).is_none() {
                let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                return invalid(format!(
                    "kind {k:?} is not a kind; give one of {}",
                    kinds.join(", ")
                ));
            }
        }
        for (i, d) in self.by.iter().enumerate() {
            if self.by[..i].contains(d) {
                return invalid(format!("{} is given twice in the grouping", d.column().1));
            }
        }
        Ok(())
    }

    /// The `WHERE` clause of the complaints counted (empty when all are) and its bound
    /// values, with PostgreSQL's placeholders or SQLite's.
    fn filter(&self, postgres: bool) -> (String, Vec<String>) {
        let mut binds: Vec<String> = Vec::new();
        let mut terms: Vec<String> = Vec::new();
        // `column op` each of `values` bound: one value `column = $n`, several `column IN
        // (…)` (`op` is `=` then).
        let mut term = |column: &str, op: &str, values: Vec<String>| {
            let places: Vec<String> = values
                .into_iter()
                .map(|v| {
                    binds.push(v);
                    let n = binds.len();
                    if postgres {
                        format!("${n}")
                    } else {
                        format!("?{n}")
                    }
                })
                .collect();
            match &places[..] {
                [] => {}
                [one] => terms.push(format!("{column} {op} {one}")),
                _ => terms.push(format!("{column} IN ({})", places.join(", "))),
            }
        };
        // A U+0000 as the stores keep it, U+FFFD (PostgreSQL refuses it in a bound text: a
        // dashboard's `category=%00` was answered `500` there).
        let fold = |c: &str| {
            let mut folded = c
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase();
            aduan_core::storable(&mut folded);
            folded
        };
        term(
            "reported_month",
            ">=",
            self.from_month.iter().cloned().collect(),
        );
        term(
            "reported_month",
            "<=",
            self.to_month.iter().cloned().collect(),
        );
        term("channel", "=", self.channels.clone());
        term("kind", "=", self.kinds.clone());
        term(
            "category_main",
            "=",
            self.category_main.iter().map(|c| fold(c)).collect(),
        );
        term(
            "category_sub",
            "=",
            self.category_sub.iter().map(|c| fold(c)).collect(),
        );
        terms.extend(self.in_city.map(|p| p.term(postgres).to_string()));
        if terms.is_empty() {
            (String::new(), binds)
        } else {
            (format!(" WHERE {}", terms.join(" AND ")), binds)
        }
    }

    /// The report as one statement, for PostgreSQL (which aggregates by hashing).
    fn postgres_statement(&self) -> (String, Vec<String>) {
        // Hours from the report to a later time; none when the later time is missing or,
        // wrongly, earlier. `date_part` gives a double, which averages several times faster
        // than the `numeric` of `EXTRACT` (PostgreSQL 14 and later); only the average is
        // rounded as a `numeric`.
        let hours = |column: &str| {
            format!(
                "ROUND((AVG(date_part('epoch', {column} - reported_at)) \
                 FILTER (WHERE {column} >= reported_at) / 3600.0)::numeric, 1)"
            )
        };
        let closed = CLOSED
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut select: Vec<String> = self
            .by
            .iter()
            .map(|d| {
                let (column, name) = d.column();
                format!("{column} AS {name}")
            })
            .collect();
        select.extend([
            "COUNT(*)".to_string(),
            format!("COUNT(*) FILTER (WHERE status NOT IN ({closed}))"),
            "COUNT(first_response_at)".to_string(),
            hours("first_response_at"),
            "COUNT(resolved_at)".to_string(),
            hours("resolved_at"),
        ]);
        for (column, name) in select[self.by.len()..].iter_mut().zip(MEASURES) {
            column.push_str(" AS ");
            column.push_str(name);
        }
        let (filter, binds) = self.filter(true);
        let mut sql = format!("SELECT {} FROM complaints{filter}", select.join(", "));
        if !self.by.is_empty() {
            // Byte order, as SQLite's (see `rank`), not the database's collation: under
            // `en_US.UTF-8`, which ignores hyphens and case at first, `EKSPLOITASI ANAK` and
            // `e-KTP` would come before `E-METERAI`. Every column grouped by is text.
            let positions = self
                .by
                .iter()
                .map(|d| format!("{} COLLATE \"C\" NULLS LAST", d.column().0))
                .collect::<Vec<_>>()
                .join(", ");
            let groups = (1..=self.by.len())
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            sql.push_str(&format!(" GROUP BY {groups} ORDER BY {positions}"));
        }
        (sql, binds)
    }
}

/// One group's sums, on SQLite.
#[derive(Default)]
struct Sums {
    key: Vec<Option<String>>,
    complaints: i64,
    open: i64,
    responded: i64,
    resolved: i64,
    /// Microseconds to the first response, summed, and how many were (a time before the
    /// report is not). Microseconds, as PostgreSQL keeps times and its report reads them (in
    /// milliseconds an average at a tenth's edge rounded apart). Whole numbers: the sum is
    /// the same in any order, whichever reader read which rows; wider than a time, as a
    /// million of them may sum past `i64`.
    first: (i128, i64),
    resolution: (i128, i64),
}

/// Microseconds since 1970 of a stored time (RFC 3339 as the store writes it, `Z` or an
/// offset, or a space for the `T`; digits past the sixth of its fraction cut, as PostgreSQL
/// stores the time); none for a text that is not a time.
fn micros(b: &[u8]) -> Option<i64> {
    let digits = |from: usize, to: usize| -> Option<i64> {
        b.get(from..to)?.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    // The store's own form, `2024-02-01T08:00:00[.fff]+00:00`, read directly.
    let fast = || -> Option<i64> {
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let (year, month, day) = (digits(0, 4)?, digits(5, 7)?, digits(8, 10)?);
        let (hour, minute, second) = (digits(11, 13)?, digits(14, 16)?, digits(17, 19)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut i = 19;
        let mut us = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
            // The first six digits, as microseconds.
            us = b[start..i]
                .iter()
                .chain(b"00000")
                .take(6)
                .fold(0, |n, c| n * 10 + i64::from(c - b'0'));
        }
        if !matches!(&b[i..], b"Z" | b"z" | b"+00:00" | b"-00:00" | b"") {
            return None;
        }
        // Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some((((days * 24 + hour) * 60 + minute) * 60 + second) * 1_000_000 + us)
    };
    fast().or_else(|| {
        let s = std::str::from_utf8(b).ok()?;
        aduan_core::time::read_rfc3339(s)
            .map(|t| t.timestamp_micros())
            .or_else(|| {
                NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                    .ok()
                    .map(|t| t.and_utc().timestamp_micros())
            })
    })
}

/// A group's values as they sort: in order, an empty one after every other.
fn rank(key: &[Option<String>]) -> impl Iterator<Item = (bool, Option<&str>)> {
    key.iter().map(|v| (v.is_none(), v.as_deref()))
}

/// The report's groups as the rows are summed.
struct Summer {
    /// How many group columns follow the status and the three times.
    groups: usize,
    sums: Vec<Sums>,
    /// Each group's position in `sums`, by its values joined into one text.
    index: HashMap<Vec<u8>, usize>,
    /// The last row's group, tried first: rows read through the monthly index come group by
    /// group.
    last: Option<(Vec<u8>, usize)>,
    group: Vec<u8>,
    closed: Vec<&'static [u8]>,
}

impl Summer {
    fn new(groups: usize) -> Summer {
        Summer {
            groups,
            sums: Vec::new(),
            index: HashMap::new(),
            last: None,
            group: Vec::new(),
            closed: CLOSED.iter().map(|s| s.as_str().as_bytes()).collect(),
        }
    }

    /// Adds another reader's groups to these.
    fn merge(&mut self, other: Summer) {
        let mut theirs: Vec<Option<Sums>> = other.sums.into_iter().map(Some).collect();
        for (group, at) in other.index {
            let Some(s) = theirs.get_mut(at).and_then(Option::take) else {
                continue;
            };
            match self.index.get(&group).and_then(|&i| self.sums.get_mut(i)) {
                Some(g) => {
                    g.complaints += s.complaints;
                    g.open += s.open;
                    g.responded += s.responded;
                    g.resolved += s.resolved;
                    g.first = (g.first.0 + s.first.0, g.first.1 + s.first.1);
                    g.resolution = (
                        g.resolution.0 + s.resolution.0,
                        g.resolution.1 + s.resolution.1,
                    );
                }
                None => {
                    self.sums.push(s);
                    self.index.insert(group, self.sums.len() - 1);
                }
            }
        }
    }

    /// Counts one row, whose fields `text` gives: 0 the status, 1 `reported_at`, 2
    /// `first_response_at`, 3 `resolved_at`, then the groups' values.
    fn add<'a>(&mut self, text: impl Fn(usize) -> Option<&'a [u8]>) {
        self.group.clear();
        for i in 4..4 + self.groups {
            match text(i) {
                Some(v) => {
                    self.group.push(1);
                    self.group.extend_from_slice(v);
                }
                None => self.group.push(0),
            }
            self.group.push(0x1f);
        }
        let at = match &self.last {
            Some((text, at)) if *text == self.group => *at,
            _ => {
                let at = match self.index.get(&self.group) {
                    Some(&at) => at,
                    None => {
                        let key = (4..4 + self.groups)
                            .map(|i| text(i).map(|t| String::from_utf8_lossy(t).into_owned()))
                            .collect();
                        self.sums.push(Sums {
                            key,
                            ..Sums::default()
                        });
                        self.index.insert(self.group.clone(), self.sums.len() - 1);
                        self.sums.len() - 1
                    }
                };
                self.last = Some((self.group.clone(), at));
                at
            }
        };
        let Some(g) = self.sums.get_mut(at) else {
            return;
        };
        g.complaints += 1;
        if !text(0).is_some_and(|s| self.closed.contains(&s)) {
            g.open += 1;
        }
        let (first, resolved) = (text(2), text(3));
        // The report's time, read only when there is a later one to measure.
        let reported = if first.is_some() || resolved.is_some() {
            text(1).and_then(micros)
        } else {
            None
        };
        let add = |later: Option<&[u8]>, count: &mut i64, sum: &mut (i128, i64)| {
            let Some(at) = later else { return };
            *count += 1;
            let (Some(from), Some(to)) = (reported, micros(at)) else {
                return;
            };
            if to >= from {
                sum.0 += i128::from(to - from);
                sum.1 += 1;
            }
        };
        add(first, &mut g.responded, &mut g.first);
        add(resolved, &mut g.resolved, &mut g.resolution);
    }
}

/// How many readers the SQLite report uses at most: one a core, up to four.
fn readers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// The report on SQLite, in one pass over the rows counted. SQLite groups by sorting every
/// row (about 4.8 s over a million complaints, against 0.6 s to read them); the groups are
/// few, so they are summed as the rows are read, and sorted at the end. Every column read or
/// filtered on is in the monthly index (`complaints_reported_month`, migrations 0006 and 0013), which
/// is read alone: about a fifth of the table's bytes.
///
/// Up to `readers` threads each read a share of the months (see [`shares`]) through their
/// own read-only connection, and their sums are added up. They must all read one snapshot of
/// the table: their read transactions are opened while a further connection holds the write
/// lock (`BEGIN IMMEDIATE`, a few milliseconds, nothing written), so that no commit can fall
/// between them. When that lock is not had within 100 ms (a sync is committing) or cannot be
/// had at all (the file is read-only), one reader reads every month (so too when a complaint
/// has no month). If anything fails while the lock is held, dropping its connection lets it
/// go.
fn sqlite_report(path: &Path, spec: &ReportSpec, readers: usize) -> Result<QueryResult> {
    // SQLite's code kept: a store busy or locked is one of the moment (`is_unavailable`).
    let fail = |cause: rusqlite::Error| Error::Sqlite {
        what: "running the report".into(),
        cause,
    };
    let open = || {
        rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|cause| Error::Sqlite {
            what: format!("opening {} read-only", path.display()),
            cause,
        })
    };
    let first = open()?;
    first.execute_batch("BEGIN").map_err(fail)?;
    // Held while the other readers open their snapshots, then let go.
    let lock = if readers > 1 {
        rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()
        .filter(|c| {
            c.busy_timeout(std::time::Duration::from_millis(100))
                .is_ok()
                && c.execute_batch("BEGIN IMMEDIATE").is_ok()
        })
    } else {
        None
    };
    // The first reader's snapshot starts with this read: the months the rows span, and
    // whether any has none (each a seek in the monthly index).
    let (low, high, unmonthed): (Option<String>, Option<String>, bool) = first
        .query_row(
            "SELECT (SELECT min(reported_month) FROM complaints), \
             (SELECT max(reported_month) FROM complaints), \
             EXISTS (SELECT 1 FROM complaints WHERE reported_month IS NULL)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(fail)?;
    // The months counted, as numbers: those stored, within those asked for.
    let low = low.max(spec.from_month.clone());
    let high = match (high, &spec.to_month) {
        (Some(h), Some(to)) => Some(h.min(to.clone())),
        (h, _) => h,
    };
    let span = low
        .as_deref()
        .and_then(month_number)
        .zip(high.as_deref().and_then(month_number))
        .filter(|(low, high)| high >= low);
    // Several readers only under the lock, with every row in a month (a row without one
    // would fall in no reader's months), and at least a month each.
    let n = match (&lock, span) {
        (Some(_), Some((low, high))) if !unmonthed => readers.min((high - low + 1) as usize),
        _ => 1,
    };
    let mut connections = vec![first];
    for _ in 1..n {
        let conn = open()?;
        conn.execute_batch("BEGIN").map_err(fail)?;
        // Its snapshot starts here, with no commit since the first one's.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
            .map_err(fail)?;
        connections.push(conn);
    }
    if let Some(lock) = lock {
        lock.execute_batch("ROLLBACK").map_err(fail)?;
    }
    let select = sqlite_select(spec);
    let columns = spec.by.len();
    let shares = shares(span, n);
    // A reader reads its runs of months one after another, each through the statement of
    // its bounds.
    let read = |conn: rusqlite::Connection, runs: &[Run]| -> Result<Summer> {
        let mut summer = Summer::new(columns);
        for run in runs {
            let sql = select.bounded(run);
            let mut stmt = conn.prepare_cached(&sql).map_err(fail)?;
            let bounds = run.0.iter().chain(&run.1);
            let mut rows = stmt
                .query(rusqlite::params_from_iter(
                    select.binds.iter().chain(bounds),
                ))
                .map_err(fail)?;
            while let Some(row) = rows.next().map_err(fail)? {
                summer.add(|i| match row.get_ref(i) {
                    Ok(rusqlite::types::ValueRef::Text(t)) => Some(t),
                    _ => None,
                });
            }
        }
        Ok(summer)
    };
    let mut summed = std::thread::scope(|scope| {
        let read = &read;
        let threads: Vec<_> = connections
            .into_iter()
            .zip(&shares)
            .map(|(conn, runs)| scope.spawn(move || read(conn, runs)))
            .collect();
        threads
            .into_iter()
            .map(|t| {
                t.join().unwrap_or_else(|_| {
                    Err(Error::Rows {
                        what: "running the report".into(),
                        message: "a thread reading the rows stopped".into(),
                    })
                })
            })
            .collect::<Result<Vec<Summer>>>()
    })?
    .into_iter();
    let mut summer = summed.next().unwrap_or_else(|| Summer::new(columns));
    for other in summed {
        summer.merge(other);
    }
    let mut sums = summer.sums;
    if sums.is_empty() && columns == 0 {
        sums.push(Sums::default());
    }
    // In order, an empty value after every other (as PostgreSQL's `NULLS LAST`).
    sums.sort_by(|a, b| rank(&a.key).cmp(rank(&b.key)));
    // Hours, to a tenth.
    let average = |(sum, n): (i128, i64)| {
        if n == 0 {
            Value::Null
        } else {
            Value::from((sum as f64 / n as f64 / 360_000_000.0).round() / 10.0)
        }
    };
    let rows = sums
        .into_iter()
        .map(|s| {
            let mut row: Vec<Value> = s
                .key
                .into_iter()
                .map(|v| v.map_or(Value::Null, Value::from))
                .collect();
            row.extend([
                Value::from(s.complaints),
                Value::from(s.open),
                Value::from(s.responded),
                average(s.first),
                Value::from(s.resolved),
                average(s.resolution),
            ]);
            row
        })
        .collect();
    let mut names: Vec<String> = spec.by.iter().map(|d| d.column().1.to_string()).collect();
    names.extend(MEASURES.iter().map(|m| m.to_string()));
    Ok(QueryResult {
        columns: names,
        rows,
        exact_numbers: Vec::new(),
    })
}

/// `YYYY-MM` with a month from 01 to 12.
fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(
            &s[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        )
}

/// The SQLite report's statement: the status, the three times and the groups' values of
/// every complaint counted (all of them columns of the monthly index, which is read alone:
/// named, because with a channel asked for SQLite would otherwise take the index on the
/// channel and read each of its rows from the table), and its bound values: one a term of its
/// `WHERE` clause, which it has only when it filters.
struct Select {
    sql: String,
    binds: Vec<String>,
    /// Whether `sql` ends in a `WHERE` clause (with placeholders or without, `in_city = 1`).
    filtered: bool,
}

fn sqlite_select(spec: &ReportSpec) -> Select {
    let (filter, binds) = spec.filter(false);
    let columns: Vec<&str> = spec.by.iter().map(|d| d.column().0).collect();
    let sql = format!(
        "SELECT status, reported_at, first_response_at, resolved_at{}{} \
         FROM complaints INDEXED BY complaints_reported_month{filter}",
        if columns.is_empty() { "" } else { ", " },
        columns.join(", ")
    );
    Select {
        sql,
        binds,
        filtered: !filter.is_empty(),
    }
}

/// A run of the months a reader reads: from a month, inclusive, to another, exclusive (`None`:
/// from the first stored, to the last).
type Run = (Option<String>, Option<String>);

/// What each of `n` readers reads of the months `span` (first and last, as
/// [`month_number`]s): the months are dealt out one by one, in turn (a history whose latter
/// years hold most complaints still gives each reader its part of them), and together they
/// cover every text the column can hold, the first run reaching down to the lowest and the
/// last up to the highest. One reader, or no span: one run of everything.
fn shares(span: Option<(i64, i64)>, n: usize) -> Vec<Vec<Run>> {
    let Some((low, high)) = span.filter(|_| n > 1) else {
        return vec![vec![(None, None)]];
    };
    let mut shares = vec![Vec::new(); n];
    for (k, month) in (low..=high).enumerate() {
        let from = (month > low).then(|| month_text(month));
        let to = (month < high).then(|| month_text(month + 1));
        shares[k % n].push((from, to));
    }
    shares
}

impl Select {
    /// The statement limited to a [`Run`] of months, whose bounds are the placeholders after
    /// its own.
    fn bounded(&self, run: &Run) -> String {
        let mut terms = Vec::new();
        let mut next = self.binds.len();
        if run.0.is_some() {
            next += 1;
            terms.push(format!("reported_month >= ?{next}"));
        }
        if run.1.is_some() {
            next += 1;
            terms.push(format!("reported_month < ?{next}"));
        }
        if terms.is_empty() {
            return self.sql.clone();
        }
        let joint = if self.filtered { " AND " } else { " WHERE " };
        format!("{}{joint}{}", self.sql, terms.join(" AND "))
    }
}

/// A month (`YYYY-MM`) as a count of months since year 0; none for another text.
fn month_number(s: &str) -> Option<i64> {
    if !is_month(s) {
        return None;
    }
    let year: i64 = s[..4].parse().ok()?;
    let month: i64 = s[5..].parse().ok()?;
    Some(year * 12 + month - 1)
}

/// The month (`YYYY-MM`) of a [`month_number`].
fn month_text(n: i64) -> String {
    format!("{:04}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
}

impl Store {
    /// The analysts' report: per group of `spec.by`, the complaints reported, how many are
    /// still open, how many had a first response and how many hours it took on average, how
    /// many were resolved and in how many hours on average (from `reported_at`; a time before
    /// the report is left out of the average). Groups in order (their texts' bytes, on either
    /// store, whatever PostgreSQL's collation), an empty value last; one row of totals when
    /// `spec.by` is empty. Only reads (on SQLite, with more than one core, it holds the write
    /// lock for the moment its readers take their snapshot, and writes nothing). Every complaint counted is read from the monthly index alone, which holds
    /// every column the report groups, filters or measures by (on PostgreSQL, an index-only
    /// scan once the table has been vacuumed, as a sync of many rows does). On SQLite, a
    /// store whose file was removed or replaced since it was opened is an [`Error::File`]
    /// (see [`Store::file_in_place`]), and one busy or locked an [`Error::Sqlite`] that
    /// [`Error::is_unavailable`] tells.
    pub async fn report(&self, spec: &ReportSpec) -> Result<QueryResult> {
        spec.check()?;
        match &self.backend {
            Backend::Postgres(_) => {
                let (sql, binds) = spec.postgres_statement();
                let mut result = self.query_bound(&sql, &binds).await?;
                // Its averages, rounded to a tenth as `numeric`, as the numbers SQLite's
                // report gives (a dashboard reads the API's JSON numbers).
                for row in &mut result.rows {
                    for (value, exact) in row.iter_mut().zip(&result.exact_numbers) {
                        if let (true, Some(x)) =
                            (exact, value.as_str().and_then(|t| t.parse::<f64>().ok()))
                        {
                            *value = serde_json::Value::from(x);
                        }
                    }
                }
                result.exact_numbers = Vec::new();
                Ok(result)
            }
            Backend::Sqlite(_) => {
                // The report opens the file by its name: one removed or replaced under this
                // process is said as such, not read (another file) or failed on.
                self.file_in_place()?;
                let path = self.sqlite_file.clone().unwrap_or_default();
                let spec = spec.clone();
                let report =
                    tokio::task::spawn_blocking(move || sqlite_report(&path, &spec, readers()))
                        .await
                        .map_err(|e| Error::Rows {
                            what: "running the report".into(),
                            message: e.to_string(),
                        })?;
                // Removed or replaced while the readers opened it (they could not open it,
                // or read another): the same, not a report failed or another file's.
                match self.file_in_place() {
                    Err(moved) => Err(moved),
                    Ok(()) => report,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_are_read_as_sqlite_reads_them() {
        for text in [
            "2024-02-01T08:00:00+00:00",
            "2024-02-29T23:59:59.5+00:00",
            "2024-02-01T08:00:00.123456789+00:00",
            "2024-02-01T08:00:00.000120+00:00",
            "1969-12-31T23:59:59.123Z",
            "2024-02-01 08:00:00.250",
            "2024-02-01T15:00:00+07:00",
            "2000-03-01T00:00:00Z",
        ] {
            let chrono = chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| t.timestamp_micros())
                .or_else(|_| {
                    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                        .map(|t| t.and_utc().timestamp_micros())
                })
                .unwrap();
            assert_eq!(micros(text.as_bytes()), Some(chrono), "{text}");
        }
        assert_eq!(
            micros(b"2024-02-01T15:00:00+07:00"),
            micros(b"2024-02-01T08:00:00Z")
        );
        for bad in [
            "",
            "2024-02-01",
            "2024-13-01T00:00:00Z",
            "2024-02-01T08:00:00.+00:00",
            "soon",
        ] {
            assert_eq!(micros(bad.as_bytes()), None, "{bad}");
        }
    }

    /// Rows read by any number of readers are each counted once: the same report with one
    /// reader, several, one while a writer holds the lock (one reader then), and for a month
    /// range through its index, as worked out here row by row.
    #[test]
    fn the_report_counts_every_row_whatever_the_readers() {
        let path = std::env::temp_dir().join(format!("aduan-report-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE complaints (complaint_seq INTEGER PRIMARY KEY, status TEXT, \
             reported_at TEXT, first_response_at TEXT, resolved_at TEXT, reported_month TEXT, \
             channel TEXT, kind TEXT, category_main TEXT, category_sub TEXT)",
        )
        .unwrap();
        // (month, channel) -> complaints, open, responded, hours to respond, resolved.
        type Group = (String, Option<String>);
        let mut expected: std::collections::BTreeMap<Group, (i64, i64, i64, f64, i64)> =
            Default::default();
        for i in 0..50u32 {
            let month = format!("2026-0{}", 1 + i % 3);
            let channel =
                (i % 7 != 0).then(|| ["sp4n_lapor", "cc112"][(i % 2) as usize].to_string());
            let status = if i % 4 == 0 {
                "resolved"
            } else {
                "in_progress"
            };
            let reported = format!("{month}-10T08:00:00+00:00");
            let responded =
                (i % 3 != 0).then(|| format!("{month}-10T{:02}:30:00+00:00", 8 + i % 10));
            let resolved = (i % 5 == 0).then(|| format!("{month}-20T08:00:00+00:00"));
            conn.execute(
                "INSERT INTO complaints (status, reported_at, first_response_at, resolved_at, \
                 reported_month, channel, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'complaint')",
                rusqlite::params![status, reported, responded, resolved, month, channel],
            )
            .unwrap();
            let e = expected.entry((month, channel)).or_default();
            e.0 += 1;
            e.1 += i64::from(status != "resolved");
            if responded.is_some() {
                e.2 += 1;
                e.3 += f64::from(i % 10) + 0.5;
            }
            e.4 += i64::from(resolved.is_some());
        }
        drop(conn);
        conn_index(&path);
        let spec = ReportSpec {
            by: vec![Dimension::Month, Dimension::Channel],
            ..Default::default()
        };
        let want: Vec<Vec<Value>> = expected
            .into_iter()
            .map(
                |((month, channel), (n, open, responded, hours, resolved))| {
                    vec![
                        Value::from(month),
                        channel.map_or(Value::Null, Value::from),
                        Value::from(n),
                        Value::from(open),
                        Value::from(responded),
                        if responded == 0 {
                            Value::Null
                        } else {
                            Value::from((hours / responded as f64 * 10.0).round() / 10.0)
                        },
                        Value::from(resolved),
                        if resolved == 0 {
                            Value::Null
                        } else {
                            Value::from(240.0)
                        },
                    ]
                },
            )
            .collect();
        // The NULL channel sorts last within each month, as `NULLS LAST` does.
        let mut want = want;
        want.sort_by(|a, b| {
            (a[0].as_str(), a[1].is_null(), a[1].as_str()).cmp(&(
                b[0].as_str(),
                b[1].is_null(),
                b[1].as_str(),
            ))
        });
        for readers in [1, 2, 3, 4, 7] {
            let got = sqlite_report(&path, &spec, readers).unwrap();
            assert_eq!(got.rows, want, "{readers} readers");
        }
        let writer = rusqlite::Connection::open(&path).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert_eq!(
            sqlite_report(&path, &spec, 3).unwrap().rows,
            want,
            "beside a writer"
        );
        writer.execute_batch("ROLLBACK").unwrap();
        let february = ReportSpec {
            from_month: Some("2026-02".into()),
            to_month: Some("2026-02".into()),
            ..spec.clone()
        };
        let want_february: Vec<_> = want.iter().filter(|r| r[0] == "2026-02").cloned().collect();
        assert_eq!(want_february.len(), 3);
        for readers in [1, 2, 3] {
            let got = sqlite_report(&path, &february, readers).unwrap();
            assert_eq!(got.rows, want_february, "February, {readers} readers");
        }
        // A complaint without a month (no reader's months hold it): one reader reads all.
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute(
                "INSERT INTO complaints (status, reported_at, channel, kind) \
                 VALUES ('received', 'not a time', 'cc112', 'complaint')",
                [],
            )
            .unwrap();
        let got = sqlite_report(&path, &spec, 3).unwrap();
        assert_eq!(got.rows.len(), want.len() + 1);
        assert_eq!(&got.rows[..want.len()], &want[..]);
        assert_eq!(
            got.rows[want.len()][..4],
            [
                Value::Null,
                Value::from("cc112"),
                Value::from(1),
                Value::from(1)
            ]
        );
        let _ = std::fs::remove_file(&path);
    }

    /// The readers see one snapshot while a writer commits: two complaints, in months read
    /// by different readers, are changed together in each of the writer's transactions, so
    /// every report must count both open or neither.
    #[test]
    fn the_readers_read_one_snapshot_while_a_writer_commits() {
        let path =
            std::env::temp_dir().join(format!("aduan-report-snap-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; \
             CREATE TABLE complaints (complaint_seq INTEGER PRIMARY KEY, status TEXT, \
             reported_at TEXT, first_response_at TEXT, resolved_at TEXT, reported_month TEXT, \
             channel TEXT, kind TEXT, category_main TEXT, category_sub TEXT)",
        )
        .unwrap();
        conn.execute_batch("BEGIN").unwrap();
        for seq in 1..=20_000 {
            let month = if seq == 20_000 { "2030-02" } else { "2026-01" };
            conn.execute(
                "INSERT INTO complaints (complaint_seq, status, reported_at, reported_month, \
                 channel, kind) VALUES (?1, 'resolved', '2026-01-10T08:00:00Z', ?2, 'cc112', \
                 'complaint')",
                rusqlite::params![seq, month],
            )
            .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        conn_index(&path);
        let spec = ReportSpec {
            by: vec![Dimension::Month],
            ..Default::default()
        };
        // Two readers: the first reads 2026-01 (and all before), the second 2030-02 (and all
        // after).
        let two = shares(month_number("2026-01").zip(month_number("2030-02")), 2);
        assert_eq!(two[0][0], (None, Some("2026-02".to_string())));
        assert_eq!(two[1].last(), Some(&(Some("2030-02".to_string()), None)));
        let stopped = std::sync::atomic::AtomicBool::new(false);
        let stop = &stopped;
        std::thread::scope(|scope| {
            let writes = scope.spawn(move || {
                let mut flip = false;
                let mut writes = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    writes += 1;
                    flip = !flip;
                    let status = if flip { "in_progress" } else { "resolved" };
                    conn.execute(
                        "UPDATE complaints SET status = ?1 WHERE complaint_seq IN (1, 20000)",
                        [status],
                    )
                    .unwrap();
                }
                writes
            });
            let mut counted = std::collections::BTreeMap::new();
            for _ in 0..60 {
                let report = sqlite_report(&path, &spec, 2).unwrap();
                let open: i64 = report.rows.iter().filter_map(|r| r[2].as_i64()).sum();
                *counted.entry(open.to_string()).or_insert(0) += 1;
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            // The writer committed while the reports ran (else nothing was raced).
            assert!(writes.join().unwrap() > 1, "{counted:?}");
            assert!(
                !counted.contains_key("1"),
                "one of two complaints changed together counted open: {counted:?}"
            );
        });
        let _ = std::fs::remove_file(&path);
    }

    /// The monthly index, as the store's migration makes it (it replaces an index of the
    /// same name).
    fn conn_index(path: &Path) {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch("CREATE INDEX complaints_reported_month ON complaints (reported_month)")
            .unwrap();
        let widened = crate::migrate::SQLITE
            .iter()
            .find(|m| m.name == "0006_report_index.sql")
            .unwrap();
        conn.execute_batch(widened.sql).unwrap();
    }

    /// Every statement a report may run on SQLite reads the monthly index alone, in the
    /// store's own schema (its migrations), whatever it groups and filters by and however
    /// many readers share it: a column the report reads that the index lacks would make
    /// SQLite read every row of the table instead.
    /// Review (session 51): the store, which knows no channel by name, listed the five
    /// channels in its refusal of a channel that is no id (a sixth registered would not be
    /// among them). It says how an id is written and where the ids are listed.
    #[test]
    fn a_channel_that_is_no_id_is_refused_without_a_list_of_channels() {
        let spec = ReportSpec {
            channels: vec!["SP4N-LAPOR".into()],
            ..Default::default()
        };
        let e = spec.check().unwrap_err().to_string();
        assert!(
            e.contains("\"SP4N-LAPOR\" is not a channel id")
                && e.contains("lower case")
                && ![
                    "sp4n_lapor",
                    "lapor_gub",
                    "cc112",
                    "wadul_aladin",
                    "smart_city"
                ]
                .iter()
                .any(|id| e.contains(id)),
            "{e}"
        );
    }

    #[test]
    fn every_report_reads_the_monthly_index_alone() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for m in crate::migrate::SQLITE {
            conn.execute_batch(m.sql)
                .unwrap_or_else(|e| panic!("{}: {e}", m.name));
        }
        let month = |m: &str| Some(m.to_string());
        let specs = [
            ReportSpec {
                by: Dimension::ALL.to_vec(),
                ..Default::default()
            },
            ReportSpec::default(),
            ReportSpec {
                by: vec![Dimension::Subcategory, Dimension::Channel],
                from_month: month("2026-01"),
                to_month: month("2026-03"),
                channels: vec!["cc112".into()],
                kinds: vec!["complaint".into()],
                category_main: Some("bencana".into()),
                category_sub: Some("banjir".into()),
                in_city: Some(InCity::Yes),
            },
            ReportSpec {
                by: vec![Dimension::Kind],
                to_month: month("2026-03"),
                ..Default::default()
            },
            ReportSpec {
                in_city: Some(InCity::No),
                ..Default::default()
            },
            ReportSpec {
                by: vec![Dimension::Channel],
                in_city: Some(InCity::Unknown),
                ..Default::default()
            },
        ];
        for spec in &specs {
            let select = sqlite_select(spec);
            let runs: Vec<Run> = [1, 3]
                .into_iter()
                .flat_map(|n| shares(Some((24_300, 24_311)), n))
                .flatten()
                .collect();
            // Every form of bounds: none, below, between, above.
            assert_eq!(
                runs.iter()
                    .map(|(from, to)| (from.is_some(), to.is_some()))
                    .collect::<std::collections::HashSet<_>>()
                    .len(),
                4
            );
            for run in &runs {
                let sql = select.bounded(run);
                let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
                let bounds = run.0.iter().chain(&run.1);
                let plan: Vec<String> = stmt
                    .query_map(
                        rusqlite::params_from_iter(select.binds.iter().chain(bounds)),
                        |r| r.get(3),
                    )
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap();
                assert!(
                    plan.len() == 1
                        && plan[0].contains("USING COVERING INDEX complaints_reported_month"),
                    "{sql}: {plan:?}"
                );
            }
        }
    }

    /// PostgreSQL's monthly index holds every column its report statement reads (as keys or
    /// `INCLUDE`d), so that the report can be an index-only scan there too.
    #[test]
    fn the_postgres_monthly_index_holds_every_column_of_the_report() {
        // (The latest migration that makes it.)
        let migration = crate::migrate::POSTGRES
            .iter()
            .rev()
            .find(|m| m.sql.contains("CREATE INDEX complaints_reported_month"))
            .unwrap();
        let index = &migration.sql[migration.sql.find("CREATE INDEX").unwrap()..];
        let mut by = Dimension::ALL.to_vec();
        by.push(Dimension::Subcategory);
        let spec = ReportSpec {
            by,
            from_month: Some("2026-01".into()),
            to_month: Some("2026-02".into()),
            channels: vec!["cc112".into()],
            kinds: vec!["complaint".into()],
            category_main: Some("BENCANA".into()),
            category_sub: Some("BANJIR".into()),
            in_city: Some(InCity::No),
        };
        let (sql, _) = spec.postgres_statement();
        for column in [
            "reported_month",
            "channel",
            "kind",
            "category_main",
            "category_sub",
            "status",
            "reported_at",
            "first_response_at",
            "resolved_at",
            "in_city",
        ] {
            assert!(
                sql.contains(column),
                "the report no longer reads {column}: {sql}"
            );
            assert!(index.contains(column), "{column} is not in {index}");
        }
    }

    /// Readers are dealt the months in turn, and their runs together cover every text the
    /// month column can hold, each once.
    #[test]
    fn readers_are_dealt_the_months_in_turn() {
        let n = |m: &str| month_number(m).unwrap();
        assert_eq!(month_text(n("2026-12")), "2026-12");
        assert_eq!(n("2027-01") - n("2026-12"), 1);
        assert_eq!(month_number("2026-13"), None);
        let m = |s: &str| Some(s.to_string());
        assert_eq!(
            shares(Some((n("2025-11"), n("2026-03"))), 2),
            [
                vec![
                    (None, m("2025-12")),
                    (m("2026-01"), m("2026-02")),
                    (m("2026-03"), None)
                ],
                vec![(m("2025-12"), m("2026-01")), (m("2026-02"), m("2026-03"))],
            ]
        );
        // Whatever the readers, the runs in month order join end to end.
        for readers in 2..6 {
            let mut runs: Vec<Run> = shares(Some((n("2024-06"), n("2026-02"))), readers)
                .into_iter()
                .flatten()
                .collect();
            runs.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(runs.len(), 21);
            assert_eq!(runs[0].0, None);
            assert_eq!(runs[20].1, None);
            for pair in runs.windows(2) {
                assert_eq!(pair[0].1, pair[1].0, "{readers} readers");
            }
        }
        assert_eq!(shares(Some((1, 5)), 1), [vec![(None, None)]]);
        assert_eq!(shares(None, 4), [vec![(None, None)]]);
        let all = Select {
            sql: "SELECT status FROM complaints".into(),
            binds: Vec::new(),
            filtered: false,
        };
        assert_eq!(all.bounded(&(None, None)), all.sql);
        assert_eq!(
            all.bounded(&(None, m("2026-02"))),
            "SELECT status FROM complaints WHERE reported_month < ?1"
        );
        let some = Select {
            sql: "S WHERE x = ?1".into(),
            binds: vec!["x".into()],
            filtered: true,
        };
        assert_eq!(
            some.bounded(&(m("2026-01"), m("2026-02"))),
            "S WHERE x = ?1 AND reported_month >= ?2 AND reported_month < ?3"
        );
        // Whether it filters is the spec's, as the statement was made.
        assert!(!sqlite_select(&ReportSpec::default()).filtered);
        let city = ReportSpec {
            in_city: Some(InCity::Yes),
            ..Default::default()
        };
        assert!(sqlite_select(&city).filtered && sqlite_select(&city).binds.is_empty());
    }

    #[test]
    fn every_name_is_read_back() {
        let each = [
            Dimension::Month,
            Dimension::Channel,
            Dimension::Kind,
            Dimension::Category,
            Dimension::Subcategory,
        ];
        for (name, d) in Dimension::NAMES.into_iter().zip(each) {
            assert_eq!(Dimension::parse(name), Some(d), "{name}");
            assert_eq!(Dimension::parse(&name.to_uppercase()), Some(d), "{name}");
        }
        assert_eq!(Dimension::parse("week"), None);
    }

    #[test]
    fn months_are_checked() {
        assert!(is_month("2026-11"));
        assert!(is_month("2026-01"));
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "2026-11-01",
            "",
        ] {
            assert!(!is_month(bad), "{bad}");
        }
    }

    /// Review (session 51): a report whose readers met the store locked (a writer holding a
    /// lock they must wait for: here a store in rollback-journal mode whose writer holds its
    /// exclusive lock) failed as a report failed, SQLite's code lost, and the report API
    /// answered `500` (the server at fault) where `503` says to ask again. So did one whose
    /// file was removed under the store, and one replaced was read (another file's rows).
    #[tokio::test]
    async fn a_report_on_a_locked_store_or_a_file_moved_is_said_as_such() {
        let path =
            std::env::temp_dir().join(format!("aduan-report-locked-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE complaints (complaint_seq INTEGER PRIMARY KEY, status TEXT, \
             reported_at TEXT, first_response_at TEXT, resolved_at TEXT, reported_month TEXT, \
             channel TEXT, kind TEXT, category_main TEXT, category_sub TEXT)",
        )
        .unwrap();
        conn_index(&path);
        conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let spec = ReportSpec::default();
        for readers in [1, 3] {
            let e = sqlite_report(&path, &spec, readers).unwrap_err();
            assert!(e.is_unavailable(), "{readers} readers: {e}");
        }
        conn.execute_batch("ROLLBACK").unwrap();
        assert_eq!(sqlite_report(&path, &spec, 3).unwrap().rows.len(), 1);
        drop(conn);
        let _ = std::fs::remove_file(&path);

        // The store's file replaced (a copy renamed over it), then removed.
        let ts = crate::testing::sqlite().await;
        let other = crate::testing::sqlite().await;
        let file = ts.url.trim_start_matches("sqlite:").to_string();
        let copy = format!("{file}.copy");
        std::fs::copy(other.url.trim_start_matches("sqlite:"), &copy).unwrap();
        std::fs::rename(&copy, &file).unwrap();
        let e = ts.store.report(&spec).await.unwrap_err();
        assert!(matches!(e, Error::File { .. }), "{e}");
        assert!(e.to_string().contains("another file"), "{e}");
        std::fs::remove_file(&file).unwrap();
        let e = ts.store.report(&spec).await.unwrap_err();
        assert!(matches!(e, Error::File { .. }), "{e}");
        assert!(e.is_unavailable(), "{e}");
    }
}
