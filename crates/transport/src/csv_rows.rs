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
/// newlines included, line end removed); `source_ref` = `{name}:{line}`. A leading UTF-8
/// byte order mark and blank lines are skipped.
pub fn split(
    name: &str,
    bytes: &[u8],
    delimiter: u8,
    received_at: DateTime<Utc>,
) -> Vec<RawRecord> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    let mut out = Vec::new();
    let mut header: Option<&[u8]> = None;
    // Line numbers counted as we go: (offset counted up to, newlines before it).
    let mut counted = (0usize, 0usize);
    loop {
        let start = reader.position().clone();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            // A row the CSV reader cannot split: keep its bytes; parse quarantines it.
            Err(_) => {}
        }
        let end = reader.position().byte() as usize;
        let from = start.byte() as usize;
        if end <= from || end > body.len() {
            break;
        }
        let row = trim_line_ends(&body[from..end]);
        if row.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let row_start = row.as_ptr() as usize - body.as_ptr() as usize;
        counted.1 += body[counted.0..row_start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted.0 = row_start;
        let line = counted.1 + 1;
        match header {
            None => header = Some(row),
            Some(h) => {
                let mut payload = Vec::with_capacity(h.len() + row.len() + 2);
                payload.extend_from_slice(h);
                payload.extend_from_slice(b"\r\n");
                payload.extend_from_slice(row);
                out.push(RawRecord {
                    source_ref: format!("{name}:{line}"),
                    external_id: None,
                    received_at,
                    payload,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_quoted_newlines_and_the_header() {
        let file = "\u{feff}No;Keterangan;Status\r\n1;\"baris satu\r\nbaris; \"\"dua\"\"\";Selesai\r\n\r\n2;x;Diteruskan\r\n";
        let rows = split("112_20210912.csv", file.as_bytes(), b';', Utc::now());
        assert_eq!(rows.len(), 2);
        assert_eq!(
            String::from_utf8(rows[0].payload.clone()).unwrap(),
            "No;Keterangan;Status\r\n1;\"baris satu\r\nbaris; \"\"dua\"\"\";Selesai"
        );
        assert_eq!(rows[0].source_ref, "112_20210912.csv:2");
        assert_eq!(rows[1].source_ref, "112_20210912.csv:5");
    }

    #[test]
    fn a_file_without_a_final_line_end_keeps_its_last_row() {
        let rows = split("f", b"a;b\n1;2", b';', Utc::now());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].payload, b"a;b\r\n1;2");
    }
}
