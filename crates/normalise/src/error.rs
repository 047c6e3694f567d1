/// Errors of loading the city's tables or normalising a record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A table (CSV or TOML) could not be read.
    #[error("{table}: {message}")]
    Table {
        /// Which table (file name).
        table: String,
        /// What is wrong, with the line or key.
        message: String,
    },
    /// A record of a channel that has no mapping table.
    #[error("{channel}: no mapping table for this channel (config/mappings/{channel}.toml)")]
    NoMappings {
        /// The channel id.
        channel: String,
    },
    /// The reporter-hash key is missing.
    #[error("the reporter-hash key is empty; set ADUAN_REPORTER_KEY")]
    NoReporterKey,
}

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn table_err(table: &str, message: impl ToString) -> Error {
    Error::Table {
        table: table.to_string(),
        message: message.to_string(),
    }
}
