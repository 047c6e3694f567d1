/// Errors of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL is not one the store knows.
    #[error("database URL {url:?}: {message}")]
    Url {
        /// The URL, without its password.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// A SQLite store's file or folder could not be made or set up (an operational failure:
    /// a full or read-only disk, no permission), not a wrong URL.
    #[error("{path}: {message}")]
    File {
        /// The file or folder.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A statement failed.
    /// Its message holds the database's error: the error has no source of its own, so that
    /// a chain printed whole (`{:#}`) does not say it twice.
    #[error("{what}: {cause}")]
    Sql {
        /// What the store was doing.
        what: String,
        /// The database's error.
        cause: sqlx::Error,
    },
    /// A statement of a batch's rows failed (SQLite's write path).
    #[error("{what}: {message}")]
    Rows {
        /// What the store was doing.
        what: String,
        /// The database's error.
        message: String,
    },
    /// A payload could not be packed or unpacked (see `packing`).
    #[error("{what}: {message}")]
    Packing {
        /// What the store was doing.
        what: String,
        /// zstd's error.
        message: String,
    },
    /// A migration failed or the database is newer than this program.
    #[error("migration {version} ({name}): {message}")]
    Migration {
        /// The migration's number.
        version: i64,
        /// Its file name.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// A lease is no longer its holder's: a SQLite lease expired and another run took it
    /// before this holder renewed it, or a PostgreSQL lock went with its connection.
    #[error(
        "the lease of {channel} was lost (it expired, or its connection to the database \
         dropped) and another run may hold it; this run stops, and what it had not committed \
         is rolled back"
    )]
    LeaseLost {
        /// The lease's channel (or `channel#fold`).
        channel: String,
    },
    /// A transaction's rows were read with another normaliser (rules, tables or reporter
    /// key) than the one the unified tables are now recorded as built with (another process
    /// rebuilt them meanwhile): it is rolled back.
    #[error(
        "the unified tables are built with {stored}, and this process reads records with \
         {expected} (other rules, tables or reporter key; another process may have rebuilt \
         them since this one started): nothing of this transaction is stored; restart this \
         process with the configuration and key the tables are to follow (`aduan sync`, \
         `serve` and `quarantine retry` rebuild them with theirs when they start)"
    )]
    BuiltOtherwise {
        /// What the tables are recorded as built with.
        stored: String,
        /// What the transaction's rows were read with.
        expected: String,
    },
    /// A report was asked for with a month or a grouping that cannot be.
    #[error("report: {0}")]
    Report(String),
    /// A backup could not be made (see `Store::backup`).
    #[error("backup to {to}: {message}")]
    Backup {
        /// The file asked for.
        to: String,
        /// What went wrong.
        message: String,
    },
    /// A backup could not be put in the store's place (see `Store::restore`); the store is
    /// as it was.
    #[error("restore from {from}: {message}")]
    Restore {
        /// The backup asked for.
        from: String,
        /// What went wrong.
        message: String,
    },
    /// A statement given to `query` is not one query that only reads.
    #[error("`aduan query` only reads: {0}")]
    ReadOnly(String),
}

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what the store was doing to a database error.
pub(crate) trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, sqlx::Error> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|cause| Error::Sql {
            what: what(),
            cause,
        })
    }
}
