/// Errors of the sync engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] aduan_store::Error),
    /// A connector failed.
    #[error(transparent)]
    Connector(#[from] aduan_core::Error),
    /// A batch's write stopped before it finished (its task panicked or was cancelled).
    #[error("a batch's write stopped: {0}")]
    Writer(String),
    /// Reading the archive for a rebuild stopped before it finished.
    #[error("reading the archive stopped: {0}")]
    Reader(String),
    /// Another run holds a lease needed.
    #[error("{0}: another run holds the lease of this channel")]
    Busy(String),
}

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
