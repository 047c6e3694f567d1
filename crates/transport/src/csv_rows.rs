//! Splits a CSV file into rows, each kept with the header as the bytes were in the file: a
//! row's raw record reads on its own, and a row edited in the file is a new payload.

use aduan_core::RawRecord;
use chrono::{DateTime, Utc};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Line ends removed at both sides (the reader stops a record between `\r` and `\n`).
fn trim_line_ends(b: &[u8]) -> &[u8] {
    let eol = |c: &u8| *c == b'\n' || *c == b'\r';
    let start = b.iter().position(|c| !eol(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !eol(c)).map_or(start, |i| i + 1);
    &b[start..end.max(start)]
}

/// The file's rows as raw records: payload = header line, CRLF, the row's bytes (quoted
/// newlines included, line end removed); `source_ref` = `{name}:{line}`; `external_id` the
/// row's value of column `id_column` (by its name in the header, letter case and spaces
/// aside), when it has one (not empty, not `-`): the source's id of the row's record, by
/// which a later version of it is known before it is parsed. A leading UTF-8
/// byte order mark and blank lines are skipped, rows of empty fields alone (`;;;`) among them. A row whose quote opens and never closes
/// (see `misquoted`) is its first line alone, which its parser then quarantines, and the
/// file is read on from the next line: one bad row does not take the rows after it.
/// (All at once: [`Rows`] hands them out a batch at a time.)
pub fn split(
    name: &str,
    bytes: &[u8],
    delimiter: u8,
    received_at: DateTime<Utc>,
    id_column: Option<&str>,
) -> Vec<RawRecord> {
    let mut rows = Rows::new(name, bytes.to_vec(), delimiter, received_at, id_column);
    let mut out = Vec::new();
    loop {
        let batch = rows.next_rows(usize::MAX);
        if batch.is_empty() {
            return out;
        }
        out.extend(batch);
    }
}

/// A file's rows as [`split`] makes them, a batch at a time: the file's bytes are held
/// once, and only the rows handed out are copied (a 200,000-row export took three times
/// its size split at once).
#[derive(Debug)]
pub struct Rows {
    name: String,
    bytes: Vec<u8>,
    /// Where the body begins (after a byte order mark).
    body: usize,
    delimiter: u8,
    received_at: DateTime<Utc>,
    id_column: Option<String>,
    /// The header's bytes, as a range of `bytes`.
    header: Option<std::ops::Range<usize>>,
    /// The place of `id_column` among the header's fields.
    id_at: Option<usize>,
    /// Line numbers counted as we go: (offset in the body counted up to, newlines before it).
    counted: (usize, usize),
    /// Whether the file's lines end in a carriage return alone (see [`cr_lines`]).
    cr_lines: bool,
    /// Where in the body the next row begins.
    offset: usize,
    done: bool,
}

impl Rows {
    /// The rows of file `name`'s `bytes`, split as [`split`] splits them.
    pub fn new(
        name: &str,
        bytes: Vec<u8>,
        delimiter: u8,
        received_at: DateTime<Utc>,
        id_column: Option<&str>,
    ) -> Self {
        let body = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
        let cr_lines = cr_lines(&bytes[body..]);
        Self {
            name: name.to_string(),
            bytes,
            body,
            delimiter,
            received_at,
            id_column: id_column.map(str::to_string),
            header: None,
            id_at: None,
            counted: (0, 0),
            cr_lines,
            offset: 0,
            done: false,
        }
    }

    /// The next rows, at most `most`; none once the file is read to its end.
    pub fn next_rows(&mut self, most: usize) -> Vec<RawRecord> {
        let delimiter = self.delimiter;
        let cr_lines = self.cr_lines;
        let body = &self.bytes[self.body..];
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        'read: while !self.done && out.len() < most {
            let offset = self.offset;
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .flexible(true)
                .from_reader(&body[offset..]);
            while out.len() < most {
                let start = reader.position().clone();
                let split = match reader.read_byte_record(&mut record) {
                    Ok(true) => true,
                    Ok(false) => {
                        self.done = true;
                        break 'read;
                    }
                    // A row the CSV reader cannot split: keep its bytes; parse quarantines it.
                    Err(_) => false,
                };
                let end = offset + reader.position().byte() as usize;
                let from = offset + start.byte() as usize;
                if end <= from || end > body.len() {
                    self.done = true;
                    break 'read;
                }
                self.offset = end;
                let mut row = trim_line_ends(&body[from..end]);
                if row.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                // A row of empty fields alone (a spreadsheet's empty row, which Excel and
                // Google Sheets export as `,,,,`) is a blank line too (helper wadulreg,
                // session 42: each such row of the case register was quarantined as a case
                // without its number, an entry that never closed).
                if split
                    && misquoted(row, delimiter, cr_lines).is_none()
                    && record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace))
                {
                    continue;
                }
                let row_start = row.as_ptr() as usize - body.as_ptr() as usize;
                self.counted.1 += (self.counted.0..row_start)
                    .filter(|i| ends_line(body, *i, cr_lines))
                    .count();
                self.counted.0 = row_start;
                let line = self.counted.1 + 1;
                let Some(h) = self.header.clone() else {
                    self.header = Some(self.body + row_start..self.body + row_start + row.len());
                    self.id_at = self.id_column.as_deref().and_then(|want| {
                        record.iter().position(|f| {
                            String::from_utf8_lossy(f)
                                .trim()
                                .eq_ignore_ascii_case(want.trim())
                        })
                    });
                    continue;
                };
                let read_on = misquoted(row, delimiter, cr_lines);
                // (Not from a row the reader may have split otherwise than it is meant.)
                let external_id = match (read_on, self.id_at) {
                    (None, Some(i)) if quoted_well(row, delimiter) => record
                        .get(i)
                        .and_then(|f| std::str::from_utf8(f).ok())
                        .map(str::trim)
                        .filter(|v| !v.is_empty() && *v != "-")
                        .map(str::to_string),
                    _ => None,
                };
                if let Some(first_line) = read_on {
                    row = trim_line_ends(&row[..first_line]);
                }
                let h = &self.bytes[h];
                let mut payload = Vec::with_capacity(h.len() + row.len() + 2);
                payload.extend_from_slice(h);
                payload.extend_from_slice(b"\r\n");
                payload.extend_from_slice(row);
                out.push(RawRecord {
                    source_ref: format!("{}:{line}", self.name),
                    external_id,
                    received_at: self.received_at,
                    payload,
                });
                if let Some(first_line) = read_on {
                    self.offset = row_start + first_line;
                    continue 'read;
                }
            }
        }
        out
    }
}

/// Whether the lines of a file's `body` end in a carriage return alone (old Mac line ends),
/// as its first line's end tells: a run of `\r` and `\n` without a `\n` (`\r\r\n`, a CRLF
/// file converted again, is a line feed's).
fn cr_lines(body: &[u8]) -> bool {
    let Some(start) = body.iter().position(|b| matches!(b, b'\r' | b'\n')) else {
        return false;
    };
    !body[start..]
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .any(|b| *b == b'\n')
}

/// Whether the byte at `i` ends a line: a `\n`, or, in a file of old Mac line ends
/// (`cr_lines`), a `\r` that no `\n` follows, which the CSV reader splits into rows as it
/// splits CRLF (helper c112files, session 42: every row of such a file was line 1, and a
/// quote never closed took the rest of the file into its row). In a file of line feeds a
/// `\r` alone (inside a field) ends no line, as `grep -n` and `sed` count them (review,
/// session 42: every later row was numbered a line too far).
fn ends_line(bytes: &[u8], i: usize, cr_lines: bool) -> bool {
    match bytes.get(i) {
        Some(b'\n') => true,
        Some(b'\r') => cr_lines && bytes.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

/// The length of a row's first line, line end included, when the row runs over several
/// lines because a quote in it opened and never closed (a field beginning `"Pohon tumbang`
/// with no closing quote, which the CSV reader runs on to the file's end or to the next
/// quote, another row's): it is not quoted as CSV quotes (see [`quoted_well`]). `None` for a
/// row on one line, and for one whose line breaks are inside well quoted fields, whatever
/// its number of fields or the quotes inside its unquoted fields (`pipa 3" bocor`).
fn misquoted(row: &[u8], delimiter: u8, cr_lines: bool) -> Option<usize> {
    let first_line = (0..row.len()).find(|i| ends_line(row, *i, cr_lines))? + 1;
    (!quoted_well(row, delimiter)).then_some(first_line)
}

/// Whether a row (one record, its line end removed) is quoted as CSV quotes: a field that
/// begins with `"` ends at a `"` not doubled, followed by the delimiter or the row's end; a
/// field that does not holds no line break (a quote inside it is a character).
fn quoted_well(row: &[u8], delimiter: u8) -> bool {
    let mut i = 0;
    loop {
        if row.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match row.get(i) {
                    None => return false,
                    Some(b'"') if row.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            // After the closing quote, spaces before the delimiter are taken (as the reader
            // takes them); other text means the quote closed was another field's.
            while matches!(row.get(i), Some(&c) if (c == b' ' || c == b'\t') && c != delimiter) {
                i += 1;
            }
            match row.get(i) {
                None => return true,
                Some(c) if *c == delimiter => i += 1,
                Some(_) => return false,
            }
        } else {
            loop {
                match row.get(i) {
                    None => return true,
                    Some(c) if *c == delimiter => {
                        i += 1;
                        break;
                    }
                    Some(b'\n' | b'\r') => return false,
                    Some(_) => i += 1,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_quoted_newlines_and_the_header() {
        let file = "\u{feff}No;Keterangan;Status\r\n1;\"baris satu\r\nbaris; \"\"dua\"\"\";Selesai\r\n\r\n2;x;Diteruskan\r\n";
        let rows = split("112_20210912.csv", file.as_bytes(), b';', Utc::now(), None);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            String::from_utf8(rows[0].payload.clone()).unwrap(),
            "No;Keterangan;Status\r\n1;\"baris satu\r\nbaris; \"\"dua\"\"\";Selesai"
        );
        assert_eq!(rows[0].source_ref, "112_20210912.csv:2");
        assert_eq!(rows[1].source_ref, "112_20210912.csv:5");
    }

    /// Review: a field that opened a quote and never closed it took every row after it
    /// into its own (cc112: one quarantined row of the rest of the day; the register: the
    /// rest of the sheet gone without a word).
    #[test]
    fn a_quote_never_closed_takes_only_its_own_line() {
        let file = "No;Keterangan;Status\r\n1;ok;Selesai\r\n2;\"Pohon tumbang;Selesai\r\n\
                    3;\"baris satu\r\nbaris dua\";Selesai\r\n4;x;Diteruskan\r\n";
        let rows = split("112_20240101.csv", file.as_bytes(), b';', Utc::now(), None);
        let shown: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                let payload = String::from_utf8(r.payload.clone()).unwrap();
                let row = payload.split_once("\r\n").unwrap().1.to_string();
                (r.source_ref.clone(), row)
            })
            .collect();
        let want = [
            ("112_20240101.csv:2", "1;ok;Selesai"),
            ("112_20240101.csv:3", "2;\"Pohon tumbang;Selesai"),
            (
                "112_20240101.csv:4",
                "3;\"baris satu\r\nbaris dua\";Selesai",
            ),
            ("112_20240101.csv:6", "4;x;Diteruskan"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(shown, want);
        // Two never closed in one column: the reader closes the first at the second, and
        // the row between them would be lost inside it.
        let file = "No;Keterangan;Status\n1;\"Pohon tumbang;Selesai\n2;ok;Selesai\n3;\"Banjir;Baru\n4;x;Baru\n";
        let rows = split("f", file.as_bytes(), b';', Utc::now(), None);
        let refs: Vec<&str> = rows.iter().map(|r| r.source_ref.as_str()).collect();
        assert_eq!(refs, ["f:2", "f:3", "f:4", "f:5"]);
        assert!(rows[1].payload.ends_with(b"2;ok;Selesai"));
        // Well quoted rows over several lines stay whole, whatever their number of fields
        // or the quotes inside unquoted fields.
        let file = "a;b;c\n1;\"x\ny \"\"z\"\"\";pipa 3\" bocor;extra\n2;\"p\nq\"\n";
        let rows = split("f", file.as_bytes(), b';', Utc::now(), None);
        let rows: Vec<&str> = rows
            .iter()
            .map(|r| std::str::from_utf8(&r.payload).unwrap())
            .collect();
        assert_eq!(
            rows,
            [
                "a;b;c\r\n1;\"x\ny \"\"z\"\"\";pipa 3\" bocor;extra",
                "a;b;c\r\n2;\"p\nq\""
            ]
        );
        // Spaces after a closing quote, before the delimiter: the reader's one row (review).
        let rows = split(
            "f",
            b"a;b;c\n1;\"Jl. Mawar\nRT 3\" ;Baru\n",
            b';',
            Utc::now(),
            None,
        );
        assert_eq!(rows.len(), 1);
        assert!(rows[0].payload.ends_with(b"RT 3\" ;Baru"));
        // In the last column, to the file's end.
        let rows = split("r", b"a,b\n1,\"x\n2,y\n3,z\n", b',', Utc::now(), None);
        let rows: Vec<&str> = rows
            .iter()
            .map(|r| std::str::from_utf8(&r.payload).unwrap())
            .collect();
        assert_eq!(rows, ["a,b\r\n1,\"x", "a,b\r\n2,y", "a,b\r\n3,z"]);
    }

    /// Handed out a few at a time, the rows are those split at once, in order, with their
    /// lines, ids and header (blank lines, a BOM, quoted newlines and a quote never closed
    /// among them); then none.
    #[test]
    fn rows_handed_out_in_batches_are_the_rows_split_at_once() {
        let file = "\u{feff}No;No Tiket;Keterangan\r\n\r\n1;T1;ok\r\n2;T2;\"Pohon tumbang\r\n\
                    3;T3;\"baris satu\r\nbaris dua\"\r\n\r\n4;T4;x\r\n5;-;y\n6;T6;z";
        let at = Utc::now();
        let whole = split("f.csv", file.as_bytes(), b';', at, Some("no tiket"));
        assert_eq!(whole.len(), 6);
        for most in [1, 2, 4, 100] {
            let mut rows = Rows::new(
                "f.csv",
                file.as_bytes().to_vec(),
                b';',
                at,
                Some("no tiket"),
            );
            let mut got = Vec::new();
            loop {
                let batch = rows.next_rows(most);
                assert!(batch.len() <= most);
                if batch.is_empty() {
                    break;
                }
                got.extend(batch);
            }
            assert!(rows.next_rows(most).is_empty());
            let key = |r: &RawRecord| {
                (
                    r.source_ref.clone(),
                    r.external_id.clone(),
                    r.payload.clone(),
                )
            };
            assert_eq!(
                got.iter().map(key).collect::<Vec<_>>(),
                whole.iter().map(key).collect::<Vec<_>>(),
                "{most} at a time"
            );
        }
    }

    /// Helper c112files (session 42): a file of old Mac line ends (`\r` alone), which the
    /// CSV reader splits into rows, numbered every row line 1, and its quote never closed
    /// took every row after it into its own.
    #[test]
    fn a_file_of_carriage_returns_alone_is_numbered_and_split_by_its_lines() {
        let file = "No;Keterangan;Status\r1;ok;Selesai\r2;\"Pohon tumbang;Selesai\r\
                    3;\"baris satu\rbaris dua\";Selesai\r\r4;x;Diteruskan\r";
        let rows = split("112_20240101.csv", file.as_bytes(), b';', Utc::now(), None);
        let shown: Vec<(&str, &[u8])> = rows
            .iter()
            .map(|r| {
                let row = &r.payload[b"No;Keterangan;Status\r\n".len()..];
                (r.source_ref.as_str(), row)
            })
            .collect();
        let want: [(&str, &[u8]); 4] = [
            ("112_20240101.csv:2", b"1;ok;Selesai"),
            ("112_20240101.csv:3", b"2;\"Pohon tumbang;Selesai"),
            ("112_20240101.csv:4", b"3;\"baris satu\rbaris dua\";Selesai"),
            ("112_20240101.csv:7", b"4;x;Diteruskan"),
        ];
        assert_eq!(shown, want);
    }

    /// Review (session 42): a CRLF file, as the 112 contract has them, with a carriage return
    /// alone inside a field (or lines ended `\r\r\n`, a CRLF file converted again) is
    /// numbered by its line feeds, as before and as `grep -n`, `sed` and `awk` number it,
    /// and a quote never closed cuts its row at the line's end, not at that carriage return
    /// (which made the rest of the line a row of its own).
    #[test]
    fn a_carriage_return_alone_in_a_crlf_file_ends_no_line() {
        let shown = |file: &str| -> Vec<(String, String)> {
            split("112_20240101.csv", file.as_bytes(), b';', Utc::now(), None)
                .into_iter()
                .map(|r| {
                    let row = &r.payload[b"No;Keterangan;Status\r\n".len()..];
                    (r.source_ref, String::from_utf8_lossy(row).into_owned())
                })
                .collect()
        };
        let rows = |want: &[(&str, &str)]| -> Vec<(String, String)> {
            want.iter()
                .map(|(r, s)| (format!("112_20240101.csv:{r}"), s.to_string()))
                .collect()
        };
        assert_eq!(
            shown("No;Keterangan;Status\r\n1;\"satu\rdua\";Selesai\r\n2;ok;Selesai\r\n"),
            rows(&[("2", "1;\"satu\rdua\";Selesai"), ("3", "2;ok;Selesai")])
        );
        assert_eq!(
            shown("No;Keterangan;Status\r\n1;\"Pohon\rtumbang;Selesai\r\n2;ok;Selesai\r\n"),
            rows(&[("2", "1;\"Pohon\rtumbang;Selesai"), ("3", "2;ok;Selesai")])
        );
        assert_eq!(
            shown("No;Keterangan;Status\r\r\n1;ok;Selesai\r\r\n2;ok;Selesai\r\r\n"),
            rows(&[("2", "1;ok;Selesai"), ("3", "2;ok;Selesai")])
        );
        // A file of carriage returns alone with line feeds inside its fields (a cell's line
        // break as Excel for the Mac writes it): numbered by both.
        assert_eq!(
            shown("No;Keterangan;Status\r1;\"satu\ndua\";Selesai\r2;ok;Selesai\r"),
            rows(&[("2", "1;\"satu\ndua\";Selesai"), ("4", "2;ok;Selesai")])
        );
    }

    /// Helper wadulreg (session 42): a spreadsheet's empty rows, which Excel and Google
    /// Sheets export as rows of delimiters, were rows of their own (the case register
    /// quarantined each as a case without its number); a row with a value, a quote inside
    /// quotes (`\"\"\"\"`) or a misquoted one among them is still one.
    #[test]
    fn rows_of_empty_fields_alone_are_blank_lines() {
        let file = ",,,\r\nNo,Status,Catatan\r\n1,Baru,\r\n,,\r\n , ,\t\r\n\"\",,\"\"\r\n\
                    ,,x\r\n\"\"\"\",,\r\n,\"\r\n2,Selesai,\r\n,,";
        let rows = split("register.csv", file.as_bytes(), b',', Utc::now(), None);
        let shown: Vec<(&str, &[u8])> = rows
            .iter()
            .map(|r| {
                (
                    r.source_ref.as_str(),
                    &r.payload[b"No,Status,Catatan\r\n".len()..],
                )
            })
            .collect();
        let want: [(&str, &[u8]); 5] = [
            ("register.csv:3", b"1,Baru,"),
            ("register.csv:7", b",,x"),
            ("register.csv:8", b"\"\"\"\",,"),
            ("register.csv:9", b",\""),
            ("register.csv:10", b"2,Selesai,"),
        ];
        assert_eq!(shown, want);
        assert!(rows
            .iter()
            .all(|r| r.payload.starts_with(b"No,Status,Catatan\r\n")));
    }

    #[test]
    fn a_file_without_a_final_line_end_keeps_its_last_row() {
        let rows = split("f", b"a;b\n1;2", b';', Utc::now(), None);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].payload, b"a;b\r\n1;2");
    }

    #[test]
    fn a_rows_id_column_is_its_external_id() {
        let file =
            "No;No Tiket;Status\r\n1;112-3375-20210912-0001;Selesai\r\n2;;Selesai\r\n3; - ;x\r\n";
        let rows = split(
            "112_20210912.csv",
            file.as_bytes(),
            b';',
            Utc::now(),
            Some("no tiket"),
        );
        let ids: Vec<Option<&str>> = rows.iter().map(|r| r.external_id.as_deref()).collect();
        assert_eq!(ids, [Some("112-3375-20210912-0001"), None, None]);
        let rows = split("f", file.as_bytes(), b';', Utc::now(), Some("Nomor"));
        assert!(rows.iter().all(|r| r.external_id.is_none()));
        // A row quoted amiss on one line: its fields cannot be trusted, nor its id.
        let amiss = "No;No Tiket;Status\r\n7;\"112-1;x\"y;Selesai\r\n";
        let rows = split("f", amiss.as_bytes(), b';', Utc::now(), Some("No Tiket"));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].external_id, None);
    }
}
