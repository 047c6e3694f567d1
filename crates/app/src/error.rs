/// Errors of configuration and wiring.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration cannot be read or is wrong.
    #[error("{path}: {message}")]
    Config {
        /// The file, or what else was read (`configuration`, `environment`).
        path: String,
        /// What is wrong, with the key.
        message: String,
    },
    /// A table of the normaliser is wrong.
    #[error(transparent)]
    Tables(#[from] aduan_normalise::Error),
    /// A connector cannot be built.
    #[error(transparent)]
    Connector(#[from] aduan_core::Error),
    /// Several connectors cannot be built (each error names its channel).
    #[error("{} channels cannot be built: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Connectors(Vec<aduan_core::Error>),
    /// A channel the configuration names that no connector serves.
    #[error("unknown channel {0:?}; known: {1}")]
    UnknownChannel(String, String),
    /// A channel a command line names (`--channel`) that no connector serves.
    #[error("no channel {0:?}; the channels are {1}")]
    NoSuchChannel(String, String),
}

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
