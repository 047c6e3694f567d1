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
    /// A statement run through SQLite's own library failed: the SQLite report's readers, a
    /// batch's rows, the archive's bulk reads. Its message holds SQLite's error, which keeps
    /// its code (so that [`Error::is_unavailable`] tells `BUSY` and `LOCKED`); as with
    /// [`Error::Sql`], it has no source of its own.
    #[error("{what}: {cause}")]
    Sqlite {
        /// What the store was doing.
        what: String,
        /// SQLite's error.
        cause: rusqlite::Error,
    },
    /// A batch's rows, or a report's, could not be handled (a value not as stored, a reading
    /// thread stopped).
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
    /// The store was closed with connections still in use (see
    /// [`Store::close_within`](crate::Store::close_within)): those close when they come back.
    #[error(
        "the store {store} was not closed in full: {in_use} connection(s) still in use after \
         {} s (a transaction or a read never ended); closed what could be, and the rest close \
         as they come back or when the process ends",
        waited.as_secs_f64()
    )]
    NotClosed {
        /// The store's URL, without its password.
        store: String,
        /// How many connections were still in use.
        in_use: u32,
        /// How long the close waited for them.
        waited: std::time::Duration,
    },
    /// A statement given to `query` is not one query that only reads.
    #[error("`aduan query` only reads: {0}")]
    ReadOnly(String),
}

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether the database could not be reached, or was too busy to answer, or the store's
    /// file is not usable (see [`Store::file_in_place`](crate::Store::file_in_place)): a
    /// failure of the moment, not of what was asked, so that a server answers `503` and
    /// the client asks again later, not `500`, a fault of the server's own (review of the
    /// series: the report API answered `500` while PostgreSQL was down).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::File { .. } => true,
            Error::Sql { cause, .. } => unavailable(cause),
            // (The SQLite report reads through it: a store busy or locked was said as a
            // report failed, `500`.)
            Error::Sqlite { cause, .. } => cause.sqlite_error_code().is_some_and(|code| {
                matches!(
                    code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
            }),
            _ => false,
        }
    }
}

/// Whether `cause` says the database was out of reach or busy.
fn unavailable(cause: &sqlx::Error) -> bool {
    match cause {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| busy_code(&code)),
        _ => false,
    }
}

/// A database's error code that says it is out of reach or busy: PostgreSQL's SQLSTATE of a
/// lost connection (class 08), a server shutting down or starting (57P01 to 57P03), too
/// many connections (53300), a lock not had (55P03) or a transaction given up to another
/// (40001, 40P01); SQLite's `BUSY` or `LOCKED`, whose extended codes keep the primary one in
/// their low byte. Not a statement cancelled (57014): that is a query stopped at its time
/// bound (the report's five minutes), which too heavy a report meets again however soon it
/// is asked again, or a cancel by hand; told `503` with `Retry-After: 2`, a dashboard would
/// run it again every few seconds, each run holding a connection for the whole bound.
fn busy_code(code: &str) -> bool {
    // A SQLSTATE has five characters, digits among them; SQLite's codes are below 10,000.
    if code.len() == 5 {
        return code.starts_with("08")
            || matches!(
                code,
                "57P01" | "57P02" | "57P03" | "53300" | "55P03" | "40001" | "40P01"
            );
    }
    code.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_out_of_reach_or_busy_is_told_from_a_failure_of_what_was_asked() {
        let sql = |cause| Error::Sql {
            what: "running the report".into(),
            cause,
        };
        for (e, unavailable) in [
            (
                sql(sqlx::Error::Io(
                    std::io::ErrorKind::ConnectionRefused.into(),
                )),
                true,
            ),
            (sql(sqlx::Error::PoolTimedOut), true),
            (sql(sqlx::Error::PoolClosed), true),
            (
                Error::File {
                    path: "/x".into(),
                    message: "gone".into(),
                },
                true,
            ),
            (sql(sqlx::Error::RowNotFound), false),
            (Error::Report("month".into()), false),
        ] {
            assert_eq!(e.is_unavailable(), unavailable, "{e}");
        }
        for (code, busy) in [
            ("08006", true),
            ("57P01", true),
            ("53300", true),
            ("40001", true),
            ("5", true),
            ("517", true),
            ("262", true),
            // A statement stopped at its time bound (the report's five minutes, or a cancel
            // by hand): too heavy a report stops there again, however soon it is asked again.
            ("57014", false),
            ("42P01", false),
            ("23505", false),
            ("1", false),
            ("14", false),
            ("", false),
        ] {
            assert_eq!(busy_code(code), busy, "{code}");
        }
    }
}
