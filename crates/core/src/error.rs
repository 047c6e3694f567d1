use std::fmt;

/// Errors shared by connectors and the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record could not be read; it goes to quarantine with its raw payload.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The channel answered in a way the contract does not allow (status, body).
    #[error("{channel}: {message}")]
    Upstream {
        /// The channel id.
        channel: String,
        /// What went wrong, with the URL, status and the first bytes of the body.
        message: String,
    },
    /// A transport failure (connection, timeout) that retries did not overcome.
    #[error("{channel}: {message}")]
    Transport {
        /// The channel id.
        channel: String,
        /// What was being done and why it failed.
        message: String,
    },
    /// The channel asked to be left alone (a `429` or `503` with a `Retry-After`) longer than
    /// a run waits, or so answered a request's last attempt: the run stops, and the scheduler
    /// holds the channel back no shorter than `wait`. The wait is the answer's header's alone:
    /// `message` says it too, and quotes the answer's body, which may say anything (session
    /// 49: the wait was read back from the message, its last mention counting, and a body
    /// naming one decided it).
    #[error("{channel}: {message}")]
    AskedToWait {
        /// The channel id.
        channel: String,
        /// What was asked, the wait and the answer.
        message: String,
        /// The wait asked for.
        wait: std::time::Duration,
    },
    /// The connector is configured wrongly (missing secret, bad URL).
    #[error("{channel}: configuration: {message}")]
    Config {
        /// The channel id.
        channel: String,
        /// Which setting is wrong and how.
        message: String,
    },
    /// Reading the channel stopped on a defect of Aduan's (a panic), not on what the channel
    /// did: the run fails, and what was read before it is kept. The panic's own message, which
    /// may quote what was read, is in the log only.
    #[error("{channel}: reading the channel stopped on a defect ({what}); the panic's message is in the log")]
    Defect {
        /// The channel id.
        channel: String,
        /// What stopped.
        what: String,
    },
    /// Reading a local file failed.
    #[error("{channel}: {path}: {source}")]
    Io {
        /// The channel id.
        channel: String,
        /// The file or folder.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// How long the channel asked to be left alone, when this error stopped a run for it
    /// ([`Error::AskedToWait`]).
    pub fn asked_wait(&self) -> Option<std::time::Duration> {
        match self {
            Self::AskedToWait { wait, .. } => Some(*wait),
            _ => None,
        }
    }

    /// This error of the channel's answer ([`Error::Upstream`] or [`Error::Transport`]) as
    /// one whose channel asked to wait `wait` ([`Error::AskedToWait`], its message as it is);
    /// another is returned unchanged.
    #[must_use]
    pub fn asking_to_wait(self, wait: std::time::Duration) -> Self {
        match self {
            Self::Upstream { channel, message }
            | Self::Transport { channel, message }
            | Self::AskedToWait {
                channel, message, ..
            } => Self::AskedToWait {
                channel,
                message,
                wait,
            },
            other => other,
        }
    }
}

/// A numeric setting of `channel` (a page size, say) checked against what the channel's
/// interface allows: otherwise a configuration error naming the setting, its value and the
/// range.
pub fn check_within<T: PartialOrd + fmt::Display>(
    channel: &str,
    setting: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<()> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(Error::Config {
        channel: channel.to_string(),
        message: format!(
            "{setting} {value} is not within {}..={}",
            range.start(),
            range.end()
        ),
    })
}

/// A record that cannot be read: names the channel, the record and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FieldError {
    /// The channel id.
    pub channel: String,
    /// Which record (tracking id, file and line, wamid, …).
    pub record: String,
    /// Which field (`updated_at`, `Waktu Panggilan`, …); empty for the whole record.
    pub field: String,
    /// What is wrong with it, quoting the bad value.
    pub reason: String,
    /// The record's identity, where the parser read it before it met what is wrong (see
    /// [`FieldError::of_record`]): the record its archived payload is a version of. (Boxed:
    /// every parser's `Result` carries this error.)
    pub identity: Option<Box<RecordIdentity>>,
}

/// The identity of a record that could not be read whole, as its complaint would have it:
/// `external_id` and the part of it stored only as its keyed hash
/// ([`crate::SourceComplaint::external_id_private`]). The engine archives the payload under
/// it (`raw_records.external_id`, keyed as the complaint's id is), so that a version of the
/// record that comes right later closes the payload's quarantine entry, as a record the
/// transport names does. Shown without its private part.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordIdentity {
    /// As [`crate::SourceComplaint::external_id`].
    pub external_id: String,
    /// As [`crate::SourceComplaint::external_id_private`].
    pub external_id_private: Option<String>,
}

impl fmt::Debug for RecordIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordIdentity")
            .field("external_id", &self.external_id)
            .field(
                "external_id_private",
                &self.external_id_private.as_ref().map(|_| "<private>"),
            )
            .finish()
    }
}

impl FieldError {
    /// This error of the record known as `external_id` (with `external_id_private`, see
    /// [`RecordIdentity`]).
    pub fn of_record(mut self, external_id: &str, external_id_private: Option<&str>) -> Self {
        self.identity = Some(Box::new(RecordIdentity {
            external_id: external_id.to_string(),
            external_id_private: external_id_private.map(str::to_string),
        }));
        self
    }

    /// A new field error.
    pub fn new(
        channel: impl Into<String>,
        record: impl Into<String>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            channel: channel.into(),
            record: record.into(),
            field: field.into(),
            reason: reason.into(),
            identity: None,
        }
    }
}

impl FieldError {
    /// Reads a JSON `payload` of `channel`'s `record` into `T`; what does not read is an
    /// error naming the field at fault by its path.
    pub fn read_json<T: serde::de::DeserializeOwned>(
        channel: &str,
        record: &str,
        payload: &[u8],
    ) -> Result<T, FieldError> {
        // A payload that reads is read once; only one that does not is read again to find
        // the path of the field at fault (tracking the path costs on every field), with half
        // an emoji made the replacement character (`crate::json::lone_surrogates_replaced`).
        if let Ok(v) = serde_json::from_slice(payload) {
            return Ok(v);
        }
        let whole = crate::json::lone_surrogates_replaced(payload);
        let payload = whole.as_deref().unwrap_or(payload);
        serde_json::from_slice(payload)
            .or_else(|_| {
                let de = &mut serde_json::Deserializer::from_slice(payload);
                serde_path_to_error::deserialize(de)
            })
            .map_err(|e| {
                let (field, reason) = Self::serde_fault(e);
                FieldError::new(channel, record, field, reason)
            })
    }

    /// What a failed read of serde's says, as the field at fault (its path, `.` for the
    /// whole; see [`FieldError::serde_field`]) and the reason without the values it quotes
    /// ([`FieldError::serde_reason`]).
    pub fn serde_fault(e: serde_path_to_error::Error<serde_json::Error>) -> (String, String) {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        (
            Self::serde_field(&path, &message),
            Self::serde_reason(&message),
        )
    }

    /// serde's `message` without the values it quotes: a string by its length, a number of
    /// seven digits or more by its count of digits. A value of the wrong type may be a
    /// reporter's name or number (`invalid type: string "Budi Santoso", expected struct
    /// Pelapor`), and the reason reaches logs, runs and the quarantine's listing. Field names
    /// and the variants expected are kept: they name what is wrong. (An unknown variant is
    /// quoted as serde gives it: no payload's type reads one; a setting's may.)
    pub fn serde_reason(message: &str) -> String {
        const STRING: &str = "string \"";
        const NUMBERS: [&str; 2] = ["integer `", "floating point `"];
        let mut out = String::with_capacity(message.len());
        let mut rest = message;
        loop {
            let marker = std::iter::once(STRING)
                .chain(NUMBERS)
                .filter_map(|m| rest.find(m).map(|at| (at, m)))
                .min();
            let Some((at, marker)) = marker else {
                out.push_str(rest);
                return out;
            };
            out.push_str(&rest[..at]);
            let value = &rest[at + marker.len()..];
            if marker == STRING {
                // Written as Rust writes a string (`{:?}`): `\` escapes the next character.
                let (mut chars, mut escaped, mut end) = (0usize, false, value.len());
                for (i, c) in value.char_indices() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                        continue;
                    } else if c == '"' {
                        end = i + 1;
                        break;
                    }
                    chars += 1;
                }
                out.push_str(&format!("a string of {chars} characters"));
                rest = &value[end.min(value.len())..];
            } else {
                let end = value.find('`').unwrap_or(value.len());
                let number = &value[..end];
                let digits = number.chars().filter(char::is_ascii_digit).count();
                let kind = marker.trim_end_matches(" `");
                if digits >= 7 {
                    out.push_str(&format!("{kind} of {digits} digits"));
                } else {
                    out.push_str(&format!("{kind} `{number}`"));
                }
                rest = &value[(end + 1).min(value.len())..];
            }
        }
    }

    /// The field a serde error is about, from the path at fault (as `serde_path_to_error`
    /// gives it, `.` for the top) and serde's message: a missing field is named in the
    /// message, and the path then points at its parent.
    pub fn serde_field(path: &str, message: &str) -> String {
        message
            .split('`')
            .nth(1)
            .filter(|_| message.starts_with("missing field"))
            .map(|f| {
                if path == "." {
                    f.to_string()
                } else {
                    format!("{path}.{f}")
                }
            })
            .unwrap_or_else(|| path.to_string())
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(
                f,
                "{}: record {}: {}",
                self.channel, self.record, self.reason
            )
        } else {
            write!(
                f,
                "{}: record {}: field `{}`: {}",
                self.channel, self.record, self.field, self.reason
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_outside_its_range_is_named_with_the_range() {
        assert!(check_within("lapor_gub", "limit", 50u32, 1..=50).is_ok());
        assert!(check_within("lapor_gub", "limit", 1u32, 1..=50).is_ok());
        for bad in [0u32, 51] {
            let e = check_within("lapor_gub", "limit", bad, 1..=50).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("lapor_gub: configuration: limit {bad} is not within 1..=50")
            );
        }
    }

    /// A value of the wrong type (a reporter's name where an object was, a number where a
    /// text was) is not quoted in the reason; the field and what was expected are.
    #[test]
    fn a_value_of_the_wrong_type_is_named_by_its_kind_not_quoted() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Pelapor {
            nama: String,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Report {
            pelapor: Pelapor,
            #[serde(default)]
            telepon: Option<String>,
            #[serde(default)]
            id: Option<String>,
        }
        for (payload, field, hidden, kept) in [
            (
                r#"{"pelapor":"Budi \"Santoso\" Wibowo"}"#,
                "pelapor",
                Some("Santoso"),
                "a string of 21 characters, expected struct Pelapor",
            ),
            (
                r#"{"pelapor":{"nama":"x"},"telepon":6281234567890}"#,
                "telepon",
                Some("6281234567890"),
                "integer of 13 digits, expected a string",
            ),
            (
                r#"{"pelapor":{"nama":"x"},"telepon":6.281234567890e12}"#,
                "telepon",
                Some("628123456789"),
                "floating point of ",
            ),
            // A short number is kept: it names what came.
            (
                r#"{"pelapor":{"nama":"x"},"id":42}"#,
                "id",
                None,
                "integer `42`, expected a string",
            ),
        ] {
            let e =
                FieldError::read_json::<Report>("sp4n_lapor", "tracking_id 7", payload.as_bytes())
                    .unwrap_err();
            assert_eq!(e.field, field, "{e}");
            if let Some(hidden) = hidden {
                assert!(!e.reason.contains(hidden), "{e}");
            }
            assert!(e.reason.contains(kept), "{e}");
        }
        // What is not a value stays as serde wrote it.
        assert_eq!(
            FieldError::serde_reason("missing field `nama` at line 1 column 2"),
            "missing field `nama` at line 1 column 2"
        );
        assert_eq!(
            FieldError::serde_reason(r#"invalid type: string "a\"b", expected u8; string "c""#),
            "invalid type: a string of 3 characters, expected u8; a string of 1 characters"
        );
    }

    #[test]
    fn a_field_error_names_channel_record_and_field() {
        let e = FieldError::new(
            "sp4n_lapor",
            "tracking_id 42",
            "created_at",
            "not a time: \"x\"",
        );
        assert_eq!(
            e.to_string(),
            "sp4n_lapor: record tracking_id 42: field `created_at`: not a time: \"x\""
        );
    }
}
