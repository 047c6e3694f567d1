/// Errors of the service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A channel's schedule is not a cron expression.
    #[error("[channels.{channel}] schedule {expr:?} is not a cron expression (seconds first): {message}")]
    Schedule {
        /// The channel.
        channel: String,
        /// The expression as configured.
        expr: String,
        /// What the parser said.
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
