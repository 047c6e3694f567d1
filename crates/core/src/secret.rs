use std::collections::HashSet;
use std::fmt;

/// A secret value (token, key, password). `Debug` and `Display` never print it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Reads a secret from the environment variable `var`; `None` when unset or empty.
    pub fn from_env(var: &str) -> Option<Self> {
        std::env::var(var).ok().filter(|v| !v.is_empty()).map(Self)
    }

    /// Reads a secret a channel needs from the environment variable `var`; a missing one
    /// is a configuration error naming the channel, the `what` and the variable.
    pub fn required(var: &str, channel: &str, what: &str) -> crate::Result<Self> {
        let message = match Self::not_a_name(var) {
            Some(problem) => format!("the {what} is read from an environment variable: {problem}"),
            None => {
                match (Self::unusable(var), Self::from_env(var)) {
                    (Some(flaw), _) => {
                        format!("the {what} is read from the environment variable {var}, which is {flaw}")
                    }
                    (None, Some(secret)) => return Ok(secret),
                    (None, None) => format!(
                        "the {what} is read from the environment variable {var}, which is {}",
                        Self::why_missing(var)
                    ),
                }
            }
        };
        Err(crate::Error::Config {
            channel: channel.to_string(),
            message,
        })
    }

    /// What is wrong with `var` as the name of the environment variable a secret is read
    /// from, if anything: none given, or not a name (letters, digits and `_`, not starting
    /// with a digit), which is then not shown: it may be the secret itself, written where its
    /// variable's name belongs.
    pub fn not_a_name(var: &str) -> Option<&'static str> {
        if var.is_empty() {
            return Some("the setting naming the variable is empty");
        }
        // A variable's name as environments write them: capitals, digits and `_`, not
        // starting with a digit, not long, and not a run of hexadecimal digits (a key made
        // with `openssl rand -hex`, in capitals). A key in lower case or with other
        // characters is no name (review: `openssl rand -hex 32`'s key, starting with a
        // letter, passed for one and was printed).
        let name = var
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && !var.starts_with(|c: char| c.is_ascii_digit())
            && var.len() <= 64
            && !(var.len() >= 16 && var.bytes().all(|b| b.is_ascii_hexdigit()));
        (!name).then_some(
            "the setting naming the variable holds no variable's name (capitals, digits and _, \
             as ADUAN_REPORTER_KEY); not shown, as it may be the secret itself: name the \
             variable, and set the secret there",
        )
    }

    /// Why [`from_env`](Self::from_env) read nothing from `var`: it is not set, set but
    /// empty, or set to bytes that are not UTF-8.
    pub fn why_missing(var: &str) -> &'static str {
        match (std::env::var_os(var), std::env::var(var)) {
            (None, _) => "not set",
            (Some(_), Err(_)) => "set but not UTF-8",
            (Some(_), Ok(_)) => "set but empty",
        }
    }

    /// Why the value set in `var` cannot be a secret, if it cannot: it begins or ends in
    /// white space, or holds a line break or another control character. Such a value is what
    /// a secret read from a file keeps of its line end (`"$(cat key.txt)"` of a file with
    /// Windows line ends, a mounted secret file, a quoted line of an environment file): sent
    /// in a header it fails every request, and as a signing key or a token it never matches
    /// what the other side holds, so it is refused at start, naming the variable, instead of
    /// failing every run or delivery later. The value is not shown.
    pub fn unusable(var: &str) -> Option<&'static str> {
        let value = std::env::var(var).ok().filter(|v| !v.is_empty())?;
        if value.chars().any(char::is_control) {
            Some(
                "set to a value holding a line break or another control character (a file's \
                 line end read with it?): set the secret alone",
            )
        } else if value.trim() != value {
            Some(
                "set to a value beginning or ending in white space: set the secret alone, \
                 without it",
            )
        } else {
            None
        }
    }

    /// Whether `given` (a token a request carried) is this secret, compared in constant time:
    /// how long the comparison takes does not tell how much of it matched.
    pub fn matches(&self, given: &[u8]) -> bool {
        let own = self.0.as_bytes();
        own.len() == given.len()
            && own.iter().zip(given).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// `text` with this secret taken out (`***`), as written and however an answer that
    /// echoes what it was sent may escape it: any of its characters in JSON's escapes (`\/`,
    /// `\"`, `\\`, `\u00e9` or `\u00E9`, a pair of them for a character beyond the first
    /// plane; `&` as `\u0026`, `<` as `\u003c` as Go's `encoding/json` writes them, `'` as
    /// `\u0027` as PHP's `JSON_HEX_APOS` does) or percent-encoded (`%26`, `%2f`, a space as
    /// `%20` or `+`: a URL or a form quoting it). Each character may be written either way,
    /// and is hidden however the others are. (Session 51: a secret holding `&` was quoted
    /// whole in an answer that wrote it `\u0026`, and one sent in a form's body where the
    /// answer quoted that body.)
    pub fn hidden_in(&self, text: &str) -> String {
        let secret = self.0.as_bytes();
        if secret.is_empty() {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut reading = Reading {
            text: bytes,
            secret,
            failed: HashSet::new(),
            path: Vec::new(),
            kept: KEPT,
        };
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            // (Only a byte that is the secret's first, or begins an escape, may begin it.)
            let may_begin = bytes[i] == secret[0] || matches!(bytes[i], b'\\' | b'%' | b'+');
            let found = may_begin
                .then(|| reading.read_from(i))
                .flatten()
                .filter(|end| text.is_char_boundary(i) && text.is_char_boundary(*end));
            match found {
                Some(end) => {
                    out.push_str(&text[copied..i]);
                    out.push_str("***");
                    copied = end;
                    i = end;
                }
                None => i += 1,
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    /// The secret value itself. Call only where the value is used, never to print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A text read for a secret written in it (see [`Secret::hidden_in`]): where a reading of
/// the text from a byte on, each character as written or escaped, spells the secret.
struct Reading<'a> {
    text: &'a [u8],
    secret: &'a [u8],
    /// The places (a byte of the text, a byte of the secret) from which the rest of the
    /// secret cannot be read: known once, whichever byte the reading began at, so that a
    /// text of escapes each of which might begin the secret is read once, not again from
    /// each of them.
    failed: HashSet<(usize, usize)>,
    /// The reading under way, step by step.
    path: Vec<Step>,
    /// How many places `failed` may hold before those no reading can meet again are let go.
    kept: usize,
}

/// How many places a [`Reading`] keeps at least before it lets go of those it cannot meet
/// again.
const KEPT: usize = 1 << 12;

impl Reading<'_> {
    /// Where the secret read from byte `start` of the text ends, if it can be read there (an
    /// escape preferred to its first character read as written: `\\` is one backslash).
    fn read_from(&mut self, start: usize) -> Option<usize> {
        // A place (`k`, `l`) is reached from a byte `start` only where the reading took at
        // least `l` bytes of the text for the secret's `l` (an escape takes more than it
        // stands for): one with `k - l` before this start, or any later, is met no more.
        // (Let go when there are many, and then when twice as many are kept: each place is
        // looked at a few times at most.)
        if self.failed.len() > self.kept {
            self.failed.retain(|&(k, l)| k >= start + l);
            self.kept = KEPT.max(2 * self.failed.len());
        }
        self.path.clear();
        self.path.push(Step {
            at: start,
            read: 0,
            tried: 0,
            went_on: false,
        });
        while let Some(step) = self.path.last_mut() {
            let (i, j) = (step.at, step.read);
            if j == self.secret.len() {
                return Some(i);
            }
            let next = escaped(self.text, i).into_iter().flatten().nth(step.tried);
            step.tried += 1;
            match next {
                Some((len, stands_for)) => {
                    let (k, l) = (i + len, j + stands_for.len());
                    if !self.secret[j..].starts_with(stands_for.as_slice()) {
                        continue;
                    }
                    step.went_on = true;
                    if !self.failed.contains(&(k, l)) {
                        self.path.push(Step {
                            at: k,
                            read: l,
                            tried: 0,
                            went_on: false,
                        });
                    }
                }
                None => {
                    // (A place where no reading goes on is told as fast again.)
                    if step.went_on {
                        self.failed.insert((i, j));
                    }
                    self.path.pop();
                }
            }
        }
        None
    }
}

/// A step of a [`Reading`]: from byte `at` of the text, the secret's bytes from `read` on,
/// the first `tried` readings of the text there tried, and whether one of them went on.
struct Step {
    at: usize,
    read: usize,
    tried: usize,
    went_on: bool,
}

/// The readings of the text `text` from byte `i`: the escape beginning there, if one does
/// (JSON's, percent-encoding's, a form's `+`), then the byte as written; each as its length
/// in the text and the bytes it stands for.
fn escaped(text: &[u8], i: usize) -> [Option<(usize, Bytes)>; 2] {
    let Some(&b) = text.get(i) else {
        return [None, None];
    };
    let as_written = Some((1, Bytes::of(&[b])));
    let hex = |from: usize, n: usize| {
        let digits = text.get(from..from + n)?;
        let digits = std::str::from_utf8(digits).ok()?;
        if !digits.bytes().all(|d| d.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    let escape = match b {
        b'%' => hex(i + 1, 2)
            .and_then(|v| u8::try_from(v).ok())
            .map(|v| (3, Bytes::of(&[v]))),
        b'+' => Some((1, Bytes::of(b" "))),
        b'\\' => match text.get(i + 1) {
            Some(b'"') => Some((2, Bytes::of(b"\""))),
            Some(b'\\') => Some((2, Bytes::of(b"\\"))),
            Some(b'/') => Some((2, Bytes::of(b"/"))),
            Some(b'b') => Some((2, Bytes::of(b"\x08"))),
            Some(b'f') => Some((2, Bytes::of(b"\x0c"))),
            Some(b'n') => Some((2, Bytes::of(b"\n"))),
            Some(b'r') => Some((2, Bytes::of(b"\r"))),
            Some(b't') => Some((2, Bytes::of(b"\t"))),
            Some(b'u') => hex(i + 2, 4).and_then(|u| {
                // A character beyond the first plane: a pair of escapes, high then low.
                let pair = (0xd800..0xdc00).contains(&u).then(|| {
                    let low = text
                        .get(i + 6..i + 8)
                        .filter(|e| *e == b"\\u")
                        .and_then(|_| hex(i + 8, 4))
                        .filter(|l| (0xdc00..0xe000).contains(l))?;
                    char::from_u32(0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00))
                });
                match pair {
                    Some(c) => c.map(|c| (12, Bytes::char(c))),
                    None => char::from_u32(u).map(|c| (6, Bytes::char(c))),
                }
            }),
            _ => None,
        },
        _ => None,
    };
    [escape, as_written]
}

/// The bytes (at most four: one character's) an escape stands for.
#[derive(Clone, Copy)]
struct Bytes([u8; 4], usize);

impl Bytes {
    fn of(bytes: &[u8]) -> Self {
        let mut out = [0; 4];
        out[..bytes.len()].copy_from_slice(bytes);
        Self(out, bytes.len())
    }

    fn char(c: char) -> Self {
        let mut out = [0; 4];
        let len = c.encode_utf8(&mut out).len();
        Self(out, len)
    }

    fn as_slice(&self) -> &[u8] {
        &self.0[..self.1]
    }

    fn len(&self) -> usize {
        self.1
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_with_a_line_end_or_white_space_around_it_is_refused_unseen() {
        let var = "ADUAN_TEST_SECRET_WITH_A_LINE_END";
        for value in [
            "lapor-gub-key-8f3a\n",
            "lapor-gub-key-8f3a\r",
            " lapor-gub-key-8f3a",
            "lapor-gub-key-8f3a ",
            "lapor-gub\tkey-8f3a",
        ] {
            std::env::set_var(var, value);
            let e = Secret::required(var, "lapor_gub", "API key")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("lapor_gub") && e.contains(var) && !e.contains("8f3a"),
                "{value:?}: {e}"
            );
            assert!(Secret::unusable(var).is_some(), "{value:?}");
        }
        // A secret holding white space inside it is the secret as it is.
        std::env::set_var(var, "lapor gub key 8f3a");
        assert_eq!(
            Secret::required(var, "lapor_gub", "API key")
                .map(|s| s.expose().to_string())
                .ok()
                .as_deref(),
            Some("lapor gub key 8f3a")
        );
        std::env::remove_var(var);
        assert!(Secret::unusable(var).is_none());
    }

    #[test]
    fn a_setting_that_names_no_variable_is_refused_without_being_shown() {
        for written in [
            "lapor-gub-key-8f3a",
            // `openssl rand -hex 32`, and in capitals; a key of letters and digits.
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "E3B0C44298FC1C149AFBF4C8996FB924",
            "lapor_gub_sim_key",
        ] {
            let e = Secret::required(written, "lapor_gub", "API key")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("lapor_gub") && e.contains("no variable's name") && !e.contains(written),
                "{e}"
            );
        }
        let e = Secret::required("", "lapor_gub", "API key")
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty"), "{e}");
        for name in ["ADUAN_X_UNSET_36", "_A1"] {
            let e = Secret::required(name, "c", "token")
                .unwrap_err()
                .to_string();
            assert!(e.contains(name) && e.contains("not set"), "{e}");
        }
    }

    #[test]
    fn a_secret_never_prints_its_value() {
        let s = Secret::new("top-secret-value");
        assert!(!format!("{s:?}").contains("top-secret"));
        assert!(!format!("{s}").contains("top-secret"));
        assert_eq!(s.expose(), "top-secret-value");
    }

    #[test]
    fn a_secret_is_hidden_as_written_and_as_json_escapes_it() {
        let secret = Secret::new("ab/c\"d");
        assert_eq!(secret.hidden_in("x ab/c\"d y"), "x *** y");
        assert_eq!(secret.hidden_in(r#"{"s":"ab\/c\"d"}"#), r#"{"s":"***"}"#);
        assert_eq!(secret.hidden_in(r#"{"s":"ab/c\"d"}"#), r#"{"s":"***"}"#);
        assert_eq!(Secret::new("").hidden_in("nothing"), "nothing");
    }

    /// Review: a secret beyond ASCII, echoed as PHP's `json_encode` and Python's
    /// `json.dumps` write it by default (`\u00e9`, with `/` as `\/`), was quoted whole.
    #[test]
    fn a_secret_is_hidden_with_its_characters_beyond_ascii_escaped() {
        let secret = Secret::new("kunci/rahasia-é-😀");
        for echoed in [
            r#"{"got":"kunci\/rahasia-\u00e9-\ud83d\ude00"}"#,
            r#"{"got":"kunci/rahasia-\u00e9-\ud83d\ude00"}"#,
            r#"{"got":"kunci/rahasia-\u00E9-\uD83D\uDE00"}"#,
        ] {
            assert_eq!(secret.hidden_in(echoed), r#"{"got":"***"}"#, "{echoed}");
        }
    }

    /// Session 51: a secret holding `&`, `<`, `>` or `'` was quoted whole in an answer that
    /// escapes them as Go's `encoding/json` and PHP's `JSON_HEX_*` do (`\u0026`), and so was
    /// one escaped in any other way JSON allows (`\u0061` for `a`).
    #[test]
    fn a_secret_is_hidden_however_json_escapes_its_characters() {
        let secret = Secret::new("k3y&<x>'q\"z");
        for echoed in [
            r#"{"error":"bad key k3y\u0026\u003cx\u003e'q\"z"}"#,
            r#"{"error":"bad key k3y\u0026\u003Cx\u003E\u0027q\u0022z"}"#,
            r#"{"error":"bad key \u006b3y&<x>'q\"z"}"#,
        ] {
            assert_eq!(
                secret.hidden_in(echoed),
                r#"{"error":"bad key ***"}"#,
                "{echoed}"
            );
        }
        // Escapes that stand for other characters are left as they are.
        assert_eq!(
            secret.hidden_in(r#"k3y\u0026\u003cx\u003e'q\u0022y"#),
            r#"k3y\u0026\u003cx\u003e'q\u0022y"#
        );
    }

    /// Session 51: a secret a server echoes in a URL or a form's body (an OAuth token
    /// endpoint quoting the request it refused) is percent-encoded there, a space as `+` or
    /// `%20`, and was quoted whole.
    #[test]
    fn a_secret_is_hidden_percent_encoded() {
        let secret = Secret::new("rahasia sp4n/&+=é");
        for echoed in [
            "client_secret=rahasia+sp4n%2F%26%2B%3D%C3%A9&grant_type=x",
            "client_secret=rahasia%20sp4n%2f%26%2b%3d%c3%a9&grant_type=x",
            "client_secret=rahasia%20sp4n/%26%2B%3D%C3%A9&grant_type=x",
        ] {
            assert_eq!(
                secret.hidden_in(echoed),
                "client_secret=***&grant_type=x",
                "{echoed}"
            );
        }
        // A `+` of the secret itself, and a `%` of it, as written.
        let secret = Secret::new("a+b%41c");
        assert_eq!(secret.hidden_in("x a+b%41c y"), "x *** y");
        assert_eq!(secret.hidden_in("x a%2Bb%2541c y"), "x *** y");
        assert_eq!(secret.hidden_in("x a+bAc y"), "x a+bAc y");
    }

    /// A long text is read once, even where each of many escapes or backslashes could begin
    /// the secret, and each could be read two ways (`\\` a backslash or two): the ways to
    /// read it from each byte are not tried again from every byte before it.
    #[test]
    fn a_long_text_of_escapes_is_read_once() {
        let secret = Secret::new(format!("{}x", "\\".repeat(24)));
        let text = "\\".repeat(5_000);
        assert_eq!(secret.hidden_in(&text), text);
        let secret = Secret::new("kunci%");
        let text = "%25".repeat(50_000);
        assert_eq!(secret.hidden_in(&text), text);
        assert_eq!(
            Secret::new("é-x").hidden_in(r"\u00e9-x é-x %C3%A9-x"),
            "*** *** ***"
        );
    }

    /// Review, session 51: the places found not to go on were all kept to the end of the
    /// text, two numbers for each byte of the text and of the secret it was read for: a
    /// 64 KiB answer of one letter, read for a secret beginning with a run of it, kept
    /// millions of them (a quarter of a gigabyte). A place read from before the byte the
    /// reading begins at, less the bytes of the secret read, can no longer be met, and is let
    /// go: what is kept stays within the secret's length squared, however long the text.
    #[test]
    fn what_a_long_text_leaves_read_stays_within_the_secret_s_length() {
        let secret = format!("{}b", "a".repeat(15));
        let text = "a".repeat(20_000);
        let mut reading = Reading {
            text: text.as_bytes(),
            secret: secret.as_bytes(),
            failed: HashSet::new(),
            path: Vec::new(),
            kept: KEPT,
        };
        for start in 0..text.len() {
            assert_eq!(reading.read_from(start), None);
            assert!(
                reading.failed.len() <= 2 * KEPT,
                "{start}: {}",
                reading.failed.len()
            );
        }
        assert_eq!(Secret::new(secret).hidden_in(&text), text);
    }

    #[test]
    fn a_secret_matches_itself_only() {
        let s = Secret::new("token");
        assert!(s.matches(b"token"));
        for other in [&b"tokem"[..], b"toke", b"token ", b""] {
            assert!(!s.matches(other), "{other:?}");
        }
    }
}
