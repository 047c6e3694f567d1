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

    /// `text` with this secret taken out (`***`), as written and as JSON escapes it (with
    /// `/` escaped too, as PHP does, and with every character beyond ASCII as `\uXXXX`, as
    /// PHP's `json_encode` and Python's `json.dumps` write them by default): for an answer
    /// that may echo what it was sent.
    pub fn hidden_in(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_string();
        }
        let json = serde_json::to_string(&self.0).unwrap_or_default();
        let json = json.trim_matches('"').to_string();
        let mut forms = vec![
            self.0.replace('/', "\\/"),
            json.replace('/', "\\/"),
            json.clone(),
            self.0.clone(),
        ];
        // (Review: a secret holding `é`, echoed by a PHP server as `\u00e9`, was quoted
        // whole in the run's error.)
        if !json.is_ascii() {
            for upper in [false, true] {
                let ascii: String = json
                    .chars()
                    .map(|c| {
                        if c.is_ascii() {
                            return c.to_string();
                        }
                        c.encode_utf16(&mut [0; 2])
                            .iter()
                            .map(|u| {
                                if upper {
                                    format!("\\u{u:04X}")
                                } else {
                                    format!("\\u{u:04x}")
                                }
                            })
                            .collect()
                    })
                    .collect();
                forms.insert(0, ascii.replace('/', "\\/"));
                forms.insert(1, ascii);
            }
        }
        forms
            .iter()
            .filter(|f| !f.is_empty())
            .fold(text.to_string(), |out, f| out.replace(f.as_str(), "***"))
    }

    /// The secret value itself. Call only where the value is used, never to print it.
    pub fn expose(&self) -> &str {
        &self.0
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

    #[test]
    fn a_secret_matches_itself_only() {
        let s = Secret::new("token");
        assert!(s.matches(b"token"));
        for other in [&b"tokem"[..], b"toke", b"token ", b""] {
            assert!(!s.matches(other), "{other:?}");
        }
    }
}
