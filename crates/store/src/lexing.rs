//! An analysts' statement read as far as `aduan query` needs: where its one statement ends
//! and what its first word is, by the lexical rules of the store that will run it. A `;` or
//! a comment inside a quote is no statement's end and no comment, and what quotes is not the
//! same on both: PostgreSQL has dollar quotes (`$$…$$`, `$tag$…$tag$`), `E'…'` strings whose
//! backslash escapes a quote (every `'…'` in a session whose `standard_conforming_strings` is
//! off), and block comments that nest; SQLite has none of these, but
//! `[…]` and `` `…` `` identifiers and variables such as `$a(…)` that hold any character
//! up to a space or `)`.

/// Whose lexical rules a statement's text is read by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite's (`tokenize.c`).
    Sqlite,
    /// PostgreSQL's (`scan.l`), with `standard_conforming_strings` on, its default since
    /// 9.1: a backslash in `'…'` is a character like any other (it escapes only in `E'…'`).
    Postgres,
    /// PostgreSQL's with `standard_conforming_strings` off (a server or a role set so): a
    /// backslash in `'…'` escapes the character after it, as in `E'…'` (in a bit string,
    /// `B'…'` or `X'…'`, it still does not).
    PostgresEscaping,
}

impl Dialect {
    /// PostgreSQL's, for a session whose `standard_conforming_strings` is `on` or not.
    pub(crate) fn postgres(standard_conforming_strings: bool) -> Dialect {
        if standard_conforming_strings {
            Dialect::Postgres
        } else {
            Dialect::PostgresEscaping
        }
    }
}

/// What a token is, as far as finding a statement's end and its first word needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// White space or a comment.
    Space,
    /// `;`, the end of a statement.
    End,
    /// `(`.
    Open,
    /// A word: a key word or a name not in quotes.
    Word,
    /// Anything else: a quoted text or name, a number, a variable, an operator.
    Other,
}

/// Where the one statement of `sql` ends: at its first `;` that is a token of its own (not
/// inside a quote, a quoted name or a comment), or at the end of the text; `None` when
/// anything but white space, comments and more `;` follows that `;` (a second statement).
pub(crate) fn statement_end(sql: &str, dialect: Dialect) -> Option<usize> {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut end = None;
    while i < b.len() {
        let (kind, next) = token(b, i, dialect);
        match kind {
            Kind::Space => {}
            Kind::End => {
                end.get_or_insert(i);
            }
            _ if end.is_some() => return None,
            _ => {}
        }
        i = next;
    }
    Some(end.unwrap_or(b.len()))
}

/// The first word of `sql` after white space, comments and opening parentheses, in lower
/// case (empty when it begins with something else), and whether a parenthesis came before
/// it.
pub(crate) fn first_word(sql: &str, dialect: Dialect) -> (String, bool) {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut parenthesised = false;
    while i < b.len() {
        let (kind, next) = token(b, i, dialect);
        match kind {
            Kind::Space => {}
            Kind::Open => parenthesised = true,
            Kind::Word => {
                let word = String::from_utf8_lossy(&b[i..next]).to_lowercase();
                return (word, parenthesised);
            }
            Kind::End | Kind::Other => break,
        }
        i = next;
    }
    (String::new(), parenthesised)
}

/// The token that begins at `i` (`i < b.len()`): its kind and where it ends (after `i`). A
/// quote or comment not closed runs to the end of the text.
fn token(b: &[u8], i: usize, dialect: Dialect) -> (Kind, usize) {
    let next = b.get(i + 1).copied();
    let sqlite = dialect == Dialect::Sqlite;
    match b[i] {
        c if is_space(c, dialect) => (Kind::Space, i + 1),
        // To the line's end: SQLite's at `\n` alone, PostgreSQL's at `\r` too.
        b'-' if next == Some(b'-') => {
            let end = b[i..]
                .iter()
                .position(|&c| c == b'\n' || (!sqlite && c == b'\r'))
                .map_or(b.len(), |n| i + n);
            (Kind::Space, end)
        }
        b'/' if next == Some(b'*') => (Kind::Space, comment_end(b, i, dialect)),
        b';' => (Kind::End, i + 1),
        b'(' => (Kind::Open, i + 1),
        b'\'' if dialect == Dialect::PostgresEscaping => (Kind::Other, escaped_end(b, i)),
        b'\'' | b'"' => (Kind::Other, quoted_end(b, i)),
        b'`' if sqlite => (Kind::Other, quoted_end(b, i)),
        b'[' if sqlite => {
            let end = b[i..].iter().position(|&c| c == b']');
            (Kind::Other, end.map_or(b.len(), |n| i + n + 1))
        }
        b'$' if !sqlite => (Kind::Other, dollar_end(b, i)),
        b'$' | b'@' | b':' | b'#' if sqlite => (Kind::Other, variable_end(b, i)),
        b'?' if sqlite => (Kind::Other, digits_end(b, i + 1)),
        c if is_word_start(c) => {
            let end = i + 1 + b[i + 1..].iter().take_while(|&&c| is_word_part(c)).count();
            // PostgreSQL's `E'…'` (`e'…'`): a string whose backslash escapes the character
            // after it, a quote too. Only as a token of its own (`name'…'` is a name and a
            // string).
            let prefix = !sqlite && end == i + 1 && next == Some(b'\'');
            if prefix && c.eq_ignore_ascii_case(&b'e') {
                (Kind::Other, escaped_end(b, i + 1))
            } else if prefix && matches!(c, b'b' | b'B' | b'x' | b'X') {
                // A bit string, `B'…'` or `X'…'`: its backslash is no escape, whatever the
                // session's `standard_conforming_strings`.
                (Kind::Other, quoted_end(b, i + 1))
            } else {
                (Kind::Word, end)
            }
        }
        // A number, and letters run into it (an error in either, but one token).
        c if c.is_ascii_digit() => {
            let end = i
                + 1
                + b[i + 1..]
                    .iter()
                    .take_while(|&&c| {
                        c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c >= 0x80
                        // SQLite reads a `$` as part of a name, PostgreSQL begins a dollar
                        // quote there (`1$a$`).
                        || (sqlite && c == b'$')
                    })
                    .count();
            (Kind::Other, end)
        }
        _ => (Kind::Other, i + 1),
    }
}

fn is_space(c: u8, dialect: Dialect) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0c) || (dialect == Dialect::Sqlite && c == 0x0b)
}

/// A byte a name not in quotes begins with, in either store: a letter, `_`, or a byte of a
/// character past ASCII.
fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

/// A byte of a name after its first: also digits and `$`.
fn is_word_part(c: u8) -> bool {
    is_word_start(c) || c.is_ascii_digit() || c == b'$'
}

/// The end of the block comment at `i`: PostgreSQL's nest (`/* a /* b */ c */` is one),
/// SQLite's end at the first `*/`.
fn comment_end(b: &[u8], i: usize, dialect: Dialect) -> usize {
    if dialect == Dialect::Sqlite {
        return b[i + 2..]
            .windows(2)
            .position(|w| w == b"*/")
            .map_or(b.len(), |n| i + 2 + n + 2);
    }
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
            depth += 1;
            j += 2;
        } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    b.len()
}

/// The end of the quoted text or name at `i` (`'…'`, `"…"`, `` `…` ``): at its quote
/// character not doubled (a doubled one is one of its characters).
fn quoted_end(b: &[u8], i: usize) -> usize {
    let quote = b[i];
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == quote {
            if b.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// The end of PostgreSQL's `E'…'` whose quote is at `i`: a backslash escapes the byte after
/// it, and a doubled quote is a quote.
fn escaped_end(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'\'' if b.get(j + 1) == Some(&b'\'') => j += 2,
            b'\'' => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

/// The end of what begins with `$` at `i` on PostgreSQL: a placeholder (`$1`), a text in
/// dollar quotes (`$$…$$`, `$tag$…$tag$`, which ends at the first same delimiter, its tag's
/// case kept), or the `$` alone.
fn dollar_end(b: &[u8], i: usize) -> usize {
    if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        return digits_end(b, i + 1);
    }
    // A tag begins as a name does (not with a digit) and holds no `$`.
    let mut j = i + 1;
    if b.get(j).copied().is_some_and(is_word_start) {
        j += 1;
        while b
            .get(j)
            .is_some_and(|&c| is_word_start(c) || c.is_ascii_digit())
        {
            j += 1;
        }
    }
    if b.get(j) != Some(&b'$') {
        return i + 1;
    }
    let delimiter = &b[i..=j];
    let body = j + 1;
    b[body..]
        .windows(delimiter.len())
        .position(|w| w == delimiter)
        .map_or(b.len(), |n| body + n + delimiter.len())
}

/// The end of SQLite's variable at `i` (`$a`, `@a`, `:a`, `#a`): the name's characters, with
/// `::` among them, or, after one at least, a `(` and everything up to white space or a
/// `)`, which it takes (`$a(;'x)` is one token).
fn variable_end(b: &[u8], i: usize) -> usize {
    let mut n = 0;
    let mut j = i + 1;
    while j < b.len() {
        let c = b[j];
        if is_word_part(c) {
            n += 1;
        } else if c == b'(' && n > 0 {
            j += 1;
            while j < b.len() && !is_space(b[j], Dialect::Sqlite) && b[j] != b')' {
                j += 1;
            }
            return if b.get(j) == Some(&b')') { j + 1 } else { j };
        } else if c == b':' && b.get(j + 1) == Some(&b':') {
            j += 1;
        } else {
            break;
        }
        j += 1;
    }
    j
}

/// The end of the digits from `i`.
fn digits_end(b: &[u8], i: usize) -> usize {
    i + b[i.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(sql: &str, dialect: Dialect) -> bool {
        statement_end(sql, dialect).is_some()
    }

    #[test]
    fn a_second_statement_is_found_outside_quotes_and_comments() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            for one in [
                "SELECT 1",
                "SELECT 1;",
                "SELECT 1; -- done",
                "SELECT 1; /* done */ ",
                "SELECT 1;;",
                "SELECT ';' AS semi, \"a;b\" FROM t -- ; DROP",
                "SELECT 'it''s; fine'",
                "SELECT \"a\"\";\" FROM t",
            ] {
                assert!(single(one, dialect), "{dialect:?}: {one}");
            }
            for two in [
                "SELECT 1; SELECT 2",
                "PRAGMA query_only = OFF; VACUUM INTO 'x.db'",
                "SELECT 1;/* */VACUUM",
                "SELECT 1; 'x'",
                "SELECT 1; (SELECT 2)",
                // A backslash escapes nothing in a text in plain quotes, on either.
                "SELECT '\\'; SELECT 2 --'",
            ] {
                assert!(!single(two, dialect), "{dialect:?}: {two}");
            }
        }
    }

    /// Regression (session 47): the statement splitter read neither store's own quoting.
    /// PostgreSQL's dollar quotes, `E'…'` strings and nested comments were refused as two
    /// statements (exit 2) or cut at a `;` inside them.
    #[test]
    fn postgresql_quotes_and_comments_are_read_as_postgresql_reads_them() {
        let pg = Dialect::Postgres;
        for (one, end) in [
            ("SELECT $$;$$", 12),
            ("SELECT $tag$ ; $tag$;", 20),
            ("SELECT $a$ $$ ; $b$ ; $A$ ; $a$ AS x", 36),
            ("SELECT /* /* ; */ ; */ 1", 24),
            ("SELECT E'\\';' AS q;", 18),
            ("SELECT e'\\\\'';'''", 17),
            ("SELECT $1, $2::text", 19),
            ("SELECT 1 AS a$$b, $x$;$x$", 25),
            ("SELECT [1];", 10),
            ("SELECT 1 -- x\r;", 14),
        ] {
            assert_eq!(statement_end(one, pg), Some(end), "{one}");
        }
        for two in [
            "SELECT $$;$$; DELETE FROM complaints",
            "SELECT $t$ $$ ; $t$; SELECT 2",
            "SELECT /* /* ; */ ; */ 1; SELECT 2",
            "SELECT E'\\';'; SELECT 2",
            // `E'\\'` is a backslash: the quote after it ends the text.
            "SELECT E'\\\\'; SELECT ';'",
            // A `$` in a name begins no quote: `a$$` is a name.
            "SELECT 1 AS a$$; SELECT $$",
            // A backtick quotes nothing on PostgreSQL, nor does a bracket.
            "SELECT `;`",
            "SELECT [;]",
            "SELECT 1 -- x\r; SELECT 2",
        ] {
            assert!(!single(two, pg), "{two}");
        }
        // A dollar quote, an `E'…'` text or a comment not closed runs to the end.
        for open in [
            "SELECT $$; SELECT 2",
            "SELECT E'\\'; SELECT 2",
            "SELECT /* /* */; 2",
        ] {
            assert_eq!(statement_end(open, pg), Some(open.len()), "{open}");
        }
    }

    /// SQLite has no dollar quotes, no `E'…'` and no nested comments: what PostgreSQL reads
    /// as one statement holding a `;` is two there, and refused. Its `[…]` and `` `…` ``
    /// names and `$a(…)` variables do hold a `;`.
    #[test]
    fn sqlite_quotes_and_comments_are_read_as_sqlite_reads_them() {
        let lite = Dialect::Sqlite;
        for (one, end) in [
            ("SELECT [a;b], `c;d`, `e``;` FROM t;", 34),
            ("SELECT $a(;) AS x;", 17),
            ("SELECT @a, :b::c, #d, ?1;", 24),
            ("SELECT 1 /* /* */;", 17),
            // Its `--` comment runs to a `\n` alone.
            ("SELECT 1 -- x\r; SELECT 2", 24),
        ] {
            assert_eq!(statement_end(one, lite), Some(end), "{one}");
        }
        for two in [
            "SELECT $$;$$",
            "SELECT $tag$ ; $tag$",
            "SELECT /* /* ; */ ; */ 1",
            "SELECT E'\\';'",
            // A variable ends at white space or `)`: what follows is SQLite's to read.
            "SELECT $a(') ; VACUUM INTO '/tmp/x.db' --')",
        ] {
            assert!(!single(two, lite), "{two}");
        }
    }

    #[test]
    fn the_first_word_is_read_past_each_stores_comments() {
        let sql = "/* /* */ DELETE */ SELECT 1";
        assert_eq!(first_word(sql, Dialect::Postgres), ("select".into(), false));
        assert_eq!(first_word(sql, Dialect::Sqlite), ("delete".into(), false));
        assert_eq!(
            first_word("( -- x\n\r(/**/Values (1)))", Dialect::Sqlite),
            ("values".into(), true)
        );
        assert_eq!(first_word("select$1", Dialect::Postgres).0, "select$1");
        assert_eq!(first_word("$$SELECT$$", Dialect::Postgres).0, "");
        assert_eq!(first_word("E'x'", Dialect::Postgres).0, "");
        assert_eq!(first_word("E'x'", Dialect::Sqlite).0, "e");
    }

    /// Texts made of the pieces the two stores quote, comment and end statements with,
    /// in random order and amounts, from a seed (the same texts every run).
    struct Texts(u64);

    impl Texts {
        fn next(&mut self) -> u64 {
            // xorshift64.
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
            of[self.below(of.len())]
        }

        /// Pieces that mean something to one store or the other, run together.
        fn payload(&mut self) -> String {
            const PIECES: &[&str] = &[
                ";", "'", "''", "\\", "$", "$$", "$a$", "$A$", "$1", "$1$", "$_$", "$é$", "*/",
                "/*", "--", "\n", "\r", "\"", "x", " ", "é", "`", "[", "]", "E", "e", "U&", "(",
                ")", "?", "@a", ":a", "#", "\x0b", "\x0c", "\t", "1", "1e", ".", "&",
            ];
            (0..self.below(6)).map(|_| self.pick(PIECES)).collect()
        }

        /// A value between quotes or comments of either store, or a payload alone.
        fn item(&mut self) -> String {
            let p = self.payload();
            match self.below(14) {
                0 => format!("'{}'", p.replace('\'', "''")),
                1 => format!("'{p}'"),
                2 => format!("E'{p}'"),
                3 => format!("e'{}'", p.replace('\\', "\\\\").replace('\'', "\\'")),
                4 => {
                    let tag = self.pick(&["", "a", "A", "t1", "_", "é", "1", "a$"]);
                    format!("${tag}${p}${tag}$")
                }
                5 => format!("U&'{p}'"),
                6 => format!("\"{}\"", p.replace('"', "\"\"")),
                7 => format!("1 /* {p} */"),
                8 => format!("1 /* /* {p} */ {p} */"),
                9 => format!("1 -- {p}\n"),
                10 => format!("[{p}]"),
                11 => format!("`{p}`"),
                12 => format!("namE'{p}'"),
                _ => p,
            }
        }

        /// A query of such values, and what may follow it.
        fn statement(&mut self) -> String {
            let mut s = self
                .pick(&[
                    "SELECT ",
                    "select ",
                    "(SELECT ",
                    "WITH q AS (SELECT 1) SELECT ",
                ])
                .to_string();
            for i in 0..=self.below(3) {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(&self.item());
            }
            if s.starts_with('(') {
                s.push(')');
            }
            match self.below(6) {
                0 => s.push(';'),
                1 => {
                    s.push_str(self.pick(&["; ", ";", ""]));
                    s.push_str(&self.item());
                }
                2 => s.push_str(&self.payload()),
                3 => s.push_str(self.pick(&[
                    "; SELECT 2",
                    ";-- x",
                    "; /* x */",
                    " -- x",
                    " --",
                    ";\x0b",
                    "/*",
                ])),
                _ => {}
            }
            s
        }
    }

    /// How many statements SQLite reads in `text` (one per `sqlite3_prepare_v2`, from the
    /// tail of the last), or `None` when one of them does not prepare.
    fn sqlite_statements(db: *mut rusqlite::ffi::sqlite3, text: &str) -> Option<usize> {
        use rusqlite::ffi;
        let mut rest = text.as_bytes();
        let mut n = 0;
        loop {
            let len = std::os::raw::c_int::try_from(rest.len()).ok()?;
            let mut stmt = std::ptr::null_mut();
            let mut tail: *const std::os::raw::c_char = std::ptr::null();
            // SAFETY: `db` is open; `rest` outlives the call and `len` is its length.
            let rc = unsafe {
                ffi::sqlite3_prepare_v2(db, rest.as_ptr().cast(), len, &mut stmt, &mut tail)
            };
            n += usize::from(!stmt.is_null());
            // SAFETY: the statement prepared above (or null), once.
            unsafe { ffi::sqlite3_finalize(stmt) };
            if rc != ffi::SQLITE_OK {
                return None;
            }
            let used = (tail as usize).wrapping_sub(rest.as_ptr() as usize);
            if used == 0 || used >= rest.len() {
                return Some(n);
            }
            rest = &rest[used..];
        }
    }

    /// Whatever the text, the lexer ends, and where it says a statement ends is a
    /// character's boundary (the query is cut there).
    #[test]
    fn any_text_is_read_to_its_end() {
        let mut texts = Texts(0x9e37_79b9_7f4a_7c15);
        for _ in 0..100_000 {
            let mut s = texts.statement();
            if texts.below(20) == 0 {
                let mut at = texts.below(s.len() + 1);
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                s.insert(at, '\0');
            }
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                if let Some(end) = statement_end(&s, dialect) {
                    assert!(end <= s.len() && s.is_char_boundary(end), "{s:?}");
                }
                let _ = first_word(&s, dialect);
            }
        }
    }

    /// The lexer finds one statement where SQLite itself reads one, and more where it reads
    /// more, for texts made of what either store quotes or comments (those SQLite cannot
    /// prepare left out); where it finds one, SQLite reads the text up to its end as one.
    #[test]
    fn sqlite_reads_as_many_statements_as_the_lexer_finds() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        // SAFETY: the connection outlives every use of its handle below.
        let db = unsafe { conn.handle() };
        let mut texts = Texts(0x1234_5678_9abc_def1);
        let mut compared = 0;
        for _ in 0..100_000 {
            let s = texts.statement();
            let Some(sqlite) = sqlite_statements(db, &s) else {
                continue;
            };
            compared += 1;
            let end = statement_end(&s, Dialect::Sqlite);
            assert_eq!(end.is_some(), sqlite <= 1, "{s:?}: SQLite reads {sqlite}");
            if let Some(end) = end {
                assert_eq!(sqlite_statements(db, &s[..end]), Some(sqlite), "{s:?}");
            }
        }
        assert!(compared > 5_000, "{compared}");
    }

    /// The same on PostgreSQL, whose extended protocol refuses a text of more than one
    /// statement ("cannot insert multiple commands into a prepared statement").
    #[tokio::test]
    async fn postgresql_reads_as_many_statements_as_the_lexer_finds() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let crate::Backend::Postgres(pool) = &ts.store.backend else {
            unreachable!("a PostgreSQL store")
        };
        let mut conn = pool.acquire().await.unwrap();
        // With `standard_conforming_strings` on, and off (review, session 48: a session set so
        // reads a backslash in `'…'` as an escape).
        for (standard, dialect) in [
            ("on", Dialect::Postgres),
            ("off", Dialect::PostgresEscaping),
        ] {
            sqlx::raw_sql(&format!(
                "SET standard_conforming_strings = {standard}; SET escape_string_warning = off"
            ))
            .execute(&mut *conn)
            .await
            .unwrap();
            let mut texts = Texts(0xdead_beef_cafe_f00d);
            let mut compared = 0;
            for _ in 0..10_000 {
                let s = texts.statement();
                let one = match sqlx::Executor::describe(&mut *conn, &s).await {
                    Ok(_) => true,
                    Err(sqlx::Error::Database(d)) if d.message().contains("multiple commands") => {
                        false
                    }
                    Err(_) => continue,
                };
                compared += 1;
                assert_eq!(
                    statement_end(&s, dialect).is_some(),
                    one,
                    "{s:?}: PostgreSQL ({standard}) reads one: {one}"
                );
            }
            assert!(compared > 1_000, "{standard}: {compared}");
        }
        sqlx::raw_sql("RESET standard_conforming_strings; RESET escape_string_warning")
            .execute(&mut *conn)
            .await
            .unwrap();
    }

    /// With `standard_conforming_strings` off, a backslash in `'…'` escapes the character
    /// after it, as in `E'…'`; in a bit string it does not, and with the setting on it does
    /// not either.
    #[test]
    fn a_backslash_escapes_where_the_session_says_it_does() {
        let (on, off) = (Dialect::Postgres, Dialect::PostgresEscaping);
        for (text, with_on, with_off) in [
            ("SELECT 'a\\'; SELECT 2 --'", None, Some(25)),
            ("SELECT 'x\\'' AS a; -- '", Some(23), Some(17)),
            ("SELECT n'\\';' AS q", None, Some(18)),
            ("SELECT namE'\\';'", None, Some(16)),
            ("SELECT B'1\\'; SELECT 2 --'", None, None),
            ("SELECT x'1\\'; -- '", Some(12), Some(12)),
            ("SELECT E'\\';'; SELECT 2", None, None),
            ("SELECT $$\\$$; -- '", Some(12), Some(12)),
        ] {
            assert_eq!(statement_end(text, on), with_on, "on: {text}");
            assert_eq!(statement_end(text, off), with_off, "off: {text}");
        }
        assert_eq!(Dialect::postgres(true), on);
        assert_eq!(Dialect::postgres(false), off);
    }
}
