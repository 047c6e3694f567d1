/// Errors of the service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A channel's schedule cannot be followed: not a schedule, or no time to come.
    #[error("[channels.{channel}] schedule {expr:?}: {message}")]
    Schedule {
        /// The channel.
        channel: String,
        /// The expression as configured.
        expr: String,
        /// Why it cannot be followed.
        message: String,
    },
    /// The `[backup]` settings cannot be followed.
    #[error("[backup] {message}")]
    Backup {
        /// What is wrong.
        message: String,
    },
    /// The HTTP server failed.
    #[error("the HTTP server on {addr} stopped: {source}")]
    Server {
        /// The address it listened on.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
