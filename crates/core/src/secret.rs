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
        Self::from_env(var).ok_or_else(|| crate::Error::Config {
            channel: channel.to_string(),
            message: format!(
                "the {what} is read from the environment variable {var}, which is {}",
                Self::why_missing(var)
            ),
        })
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

    /// Whether `given` (a token a request carried) is this secret, compared in constant time:
    /// how long the comparison takes does not tell how much of it matched.
    pub fn matches(&self, given: &[u8]) -> bool {
        let own = self.0.as_bytes();
        own.len() == given.len()
            && own.iter().zip(given).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
    fn a_secret_never_prints_its_value() {
        let s = Secret::new("top-secret-value");
        assert!(!format!("{s:?}").contains("top-secret"));
        assert!(!format!("{s}").contains("top-secret"));
        assert_eq!(s.expose(), "top-secret-value");
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
