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
    /// The connector is configured wrongly (missing secret, bad URL).
    #[error("{channel}: configuration: {message}")]
    Config {
        /// The channel id.
        channel: String,
        /// Which setting is wrong and how.
        message: String,
    },
    /// The run ran out of its time budget; progress so far is kept.
    #[error("{channel}: time budget used up; the rest is fetched next run")]
    BudgetExhausted {
        /// The channel id.
        channel: String,
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
}

impl FieldError {
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
        // the path of the field at fault (tracking the path costs on every field).
        serde_json::from_slice(payload)
            .or_else(|_| {
                let de = &mut serde_json::Deserializer::from_slice(payload);
                serde_path_to_error::deserialize(de)
            })
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner().to_string();
                FieldError::new(channel, record, Self::serde_field(&path, &inner), inner)
            })
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
