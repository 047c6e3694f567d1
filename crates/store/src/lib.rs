//! The only code of Aduan that speaks SQL.
//!
//! One [`Store`] over two backends: SQLite, the embedded default (a file created and migrated
//! on first use, WAL, `busy_timeout`), and PostgreSQL, selected by a `postgres://` URL, with
//! the same schema and behaviour. It archives raw payloads, upserts complaints, appends
//! events, keeps quarantine, cursors, runs and leases. It knows no channel by name.
//!
//! ```no_run
//! # async fn demo() -> aduan_store::Result<()> {
//! let store = aduan_store::Store::open("sqlite:aduan.db").await?;
//! println!("{}", store.cursor("sp4n_lapor").await?.unwrap_or_default());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod backup;
mod error;
pub mod fast;
mod incidents;
mod lease;
mod lexing;
mod migrate;
pub mod packing;
mod pg_batch;
mod read;
mod report;
mod restore;
mod sqlite_batch;
#[cfg(feature = "testing")]
pub mod testing;
mod write;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, PgPool, SqlitePool};

pub use backup::BackupSummary;
pub use error::{Error, Result};
pub use lease::{Fence, Lease, RunInProgress};
pub use read::{
    ChannelStatus, QuarantineEntry, QueryResult, RawFilter, StoredRaw, Streamed, SummaryRow,
    PAGE_BYTES,
};
pub use report::{Dimension, InCity, ReportSpec};
pub use restore::RestoreSummary;
pub use write::{
    ComplaintRow, CurrentRow, EventRow, GroupLink, NewRaw, QuarantineRow, RunRecord, Undismissed,
    WriteBatch, Writes, INTERRUPTED,
};

use error::Context;

/// How long a PostgreSQL server gets to answer the first connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `sqlx` logs a statement slower than a second as a warning, with its text: a bulk write's
/// commit, an analyst's query over a million rows. Expected work of this program, not news:
/// at debug level only (`--log debug`).
const SLOW_STATEMENT: (log::LevelFilter, Duration) =
    (log::LevelFilter::Debug, Duration::from_secs(1));

/// Runs the same body against whichever pool the store holds. Both arms are type-checked,
/// so one SQL text serves both backends wherever the SQL is the same.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($pool) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The store: a pool on SQLite or PostgreSQL, migrated.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    url: String,
    /// The SQLite file, for the read-only connections of `query`.
    sqlite_file: Option<std::path::PathBuf>,
    /// The SQLite file's identity (device and inode) when it was opened: see
    /// [`Store::file_in_place`].
    sqlite_identity: Option<(u64, u64)>,
    /// The PostgreSQL schema, when not the default (tests, several deployments in one DB):
    /// given, or the first of the URL's `search_path`; it scopes the leases' locks.
    schema: Option<String>,
    /// PostgreSQL: the connections that hold leases (a lease's lock lasts as long as its
    /// connection, which it keeps for its whole run), apart from the pool the work uses, so
    /// that runs holding leases never leave their own batches without a connection.
    pub(crate) lease_pool: Option<PgPool>,
    /// The archive's dictionaries, prepared for reading.
    pub(crate) unpackers: std::sync::Arc<packing::Unpackers>,
    /// Each channel's dictionary for packing, once read or trained.
    pub(crate) packers: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<packing::Packer>>>,
    >,
    /// Each channel without a dictionary: how many of its payloads are archived as received,
    /// as far as this process knows (see [`Store::plain_payloads_due`]).
    pub(crate) plain: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    /// Each channel's newest stored dictionary that could not be read (its id), once found:
    /// not read again, and told once (see [`Store::packer`]).
    pub(crate) unusable: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>,
    /// SQLite: this process's transactions of batches and its webhook deliveries take the
    /// database's write lock in turn, in the order they ask (a fair lock): SQLite's own
    /// waiting is a poll that a writer committing and beginning again at once can win time
    /// after time (review: a delivery waited 6 s behind a sync's transactions of 2 s).
    pub(crate) writer_turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite: this store, open in this process until it is closed or dropped (a restore
    /// tells it from another process's, see [`held_here`]).
    open_here: Option<std::sync::Arc<OpenHere>>,
}

/// The SQLite files this process has stores open on, by identity (device and inode): how
/// many, and those a store was left on without being closed (its connections close on
/// threads of their own, a while after, unless its pool is still in use elsewhere).
#[derive(Debug, Default)]
struct OpenFiles {
    open: std::collections::HashMap<(u64, u64), usize>,
    /// (Each store left on a file: several may be, and each says what it does until it
    /// has settled.)
    left_closing: std::collections::HashMap<(u64, u64), Vec<Left>>,
}

/// A store of this process left on a file without being closed (see [`OpenFiles`]).
#[derive(Debug, Clone)]
struct Left {
    /// The file, by the name it was opened by.
    path: std::path::PathBuf,
    /// See [`PoolAlive`].
    alive: PoolAlive,
}

impl Left {
    /// Whether it no longer says anything of the file of `identity`: every connection of
    /// its pool has closed, or no file of that identity is at its name any more (gone or
    /// replaced: a file made later may take the identity, and it is not this store's).
    /// (Integration of session 49: entries were never removed, and a restore of a later
    /// file on the same inode waited six seconds for connections long closed.)
    fn settled(&self, identity: (u64, u64)) -> bool {
        self.alive.connections.strong_count() == 0
            || file_identity(&self.path).ok() != Some(identity)
    }
}

/// What tells whether a SQLite store's pool, and its connections, are still there, without
/// keeping them: the pool keeps one token (in its `after_connect`, which lives as long as the
/// pool does) and every open connection one more (in a collation, which SQLite frees only
/// when the connection closes).
#[derive(Debug, Clone)]
struct PoolAlive {
    pool: std::sync::Weak<()>,
    connections: std::sync::Weak<()>,
}

fn open_files() -> std::sync::MutexGuard<'static, OpenFiles> {
    static FILES: std::sync::OnceLock<std::sync::Mutex<OpenFiles>> = std::sync::OnceLock::new();
    let mut files = FILES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    files.left_closing.retain(|id, left| {
        left.retain(|l| !l.settled(*id));
        !left.is_empty()
    });
    files
}

/// A SQLite store of this process on a file, counted in [`open_files`] until it is closed
/// ([`Store::close`]) or its last copy dropped.
#[derive(Debug)]
struct OpenHere {
    identity: (u64, u64),
    path: std::path::PathBuf,
    alive: PoolAlive,
    closed: std::sync::atomic::AtomicBool,
}

impl OpenHere {
    fn new(identity: (u64, u64), path: &str, alive: PoolAlive) -> std::sync::Arc<Self> {
        *open_files().open.entry(identity).or_insert(0) += 1;
        std::sync::Arc::new(Self {
            identity,
            path: path.into(),
            alive,
            closed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The store is closed: every connection of it (`all`), or not (some may still close);
    /// by [`Store::close`], or `dropped` without it.
    fn closed(&self, all: bool, dropped: bool) {
        if self.closed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let mut files = open_files();
        if let Some(n) = files.open.get_mut(&self.identity) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                files.open.remove(&self.identity);
            }
        }
        let mut left = Left {
            path: self.path.clone(),
            alive: self.alive.clone(),
        };
        // Closed, its pool takes nothing more: what is left closes as it comes back, however
        // long the pool itself is kept.
        if !dropped {
            left.alive.pool = std::sync::Weak::new();
        }
        if !all && !left.settled(self.identity) {
            files
                .left_closing
                .entry(self.identity)
                .or_default()
                .push(left);
        }
    }
}

impl Drop for OpenHere {
    fn drop(&mut self) {
        // Dropped without being closed: its pool's connections close on their own.
        self.closed(false, true);
    }
}

/// Whether this process holds the SQLite file of `identity` open through a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeldHere {
    /// A store of this process, not closed, is open on it.
    Open,
    /// None is; one was left on it without being closed, and its pool is still in use (a
    /// lease or another holder of the pool kept it): its connections are not closing.
    LeftInUse,
    /// None is; one was left on it without being closed, whose connections may still be
    /// closing.
    MaybeClosing,
    /// None is, and every one that was was closed.
    No,
}

/// See [`HeldHere`].
pub(crate) fn held_here(identity: (u64, u64)) -> HeldHere {
    let files = open_files();
    if files.open.contains_key(&identity) {
        HeldHere::Open
    } else if let Some(left) = files.left_closing.get(&identity) {
        if left.iter().any(|l| l.alive.pool.strong_count() > 0) {
            HeldHere::LeftInUse
        } else {
            HeldHere::MaybeClosing
        }
    } else {
        HeldHere::No
    }
}

/// How long closing a SQLite store waits for a lock another connection holds.
const CLOSE_BUSY: Duration = Duration::from_millis(250);

/// The most PostgreSQL leases held at once by one process (see `Store::lease_pool`).
const LEASE_CONNECTIONS: u32 = 64;

/// FNV-1a, 64 bits: a stable hash for lock keys and table fingerprints (not for security).
pub(crate) fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `t` as the PostgreSQL store keeps it, to the microsecond: `sqlx` sends a time as its
/// microseconds since 2000-01-01, a finer part cut toward that day (down after it, up before
/// it). The SQLite store writes a complaint's times so too, so that the same complaint reads
/// the same on both stores, and its own (a run's, a lease's, a cursor's, a quarantine entry's
/// closing), so that every time reads alike there.
pub fn to_the_microsecond(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    // 2000-01-01T00:00:00Z.
    let Some(epoch) = chrono::DateTime::from_timestamp(946_684_800, 0) else {
        return t;
    };
    (t - epoch)
        .num_microseconds()
        .and_then(|us| epoch.checked_add_signed(chrono::TimeDelta::microseconds(us)))
        .unwrap_or(t)
}

/// What a keyword/value connection string is shown as (see [`is_keyword_value`]).
const KEYWORD_VALUE_SHOWN: &str = "(key=value connection string, not shown)";

/// Whether `setting` is a libpq keyword/value connection string (`host=db user=aduan
/// password=…`), not a URL: it holds white space and `=`, and is no `postgres://` URL nor a
/// `sqlite:` one (a file whose path holds both is named that way). Such a string is neither
/// shown (any of its values may be a password, quoted or not) nor taken for a SQLite file.
fn is_keyword_value(setting: &str) -> bool {
    setting.contains(char::is_whitespace)
        && setting.contains('=')
        && !is_postgres_url(setting)
        && scheme(setting).as_deref() != Some("sqlite")
}

/// The query parameters sqlx's PostgreSQL driver reads from a URL (sqlx-postgres 0.8,
/// `options/parse.rs`); `options[…]` too.
const DRIVER_PARAMETERS: [&str; 18] = [
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// Whether the PostgreSQL driver reads query parameter `key`.
fn driver_reads(key: &str) -> bool {
    DRIVER_PARAMETERS.contains(&key) || key.starts_with("options[")
}

/// PostgreSQL `url` without the query parameters the driver does not read, and their names.
/// The driver logs each such one with its value and goes on without it: a libpq
/// `sslpassword`, or a misspelt `pasword`, would be written to the log.
fn read_parameters_only(url: &str) -> (String, Vec<String>) {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return (url.to_string(), Vec::new());
    };
    let (kept, unread): (Vec<_>, Vec<_>) = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .partition(|(k, _)| driver_reads(k));
    if unread.is_empty() {
        return (url.to_string(), Vec::new());
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    (parsed.into(), unread.into_iter().map(|(k, _)| k).collect())
}

/// A URL with its password replaced, for messages: the user information's password, the
/// value of every query key named as a credential as transport hides it in the URLs it
/// shows (`aduan_core::links::names_a_credential`: `password`, `sslpassword`, `key`,
/// `token`, `pwd`, …; session 51: the store's own list, names holding `pass`, showed a
/// SQLite URL's `key` or a `token`), and in a PostgreSQL URL the value of every key the
/// driver does not read (a misspelt `pasword`). A keyword/value connection string is not
/// shown at all.
pub fn redact_url(url: &str) -> String {
    if is_keyword_value(url) {
        return KEYWORD_VALUE_SHOWN.into();
    }
    // (`postgres//user:password@…`, a URL whose `:` was lost, is read as one too.)
    let start = url
        .find("://")
        .map(|i| i + 3)
        .or_else(|| colon_lost(url).map(|i| i + 2))
        .unwrap_or(0);
    let rest = &url[start..];
    // A password is what follows the user name's `:` up to an `@`. Typed into a URL unescaped
    // it may hold a `/`, `?` or `@` itself, so the last `@` whose user name (before the
    // first `:`) is a plain name ends it: more hidden than needed rather than a password
    // shown. Without one, the user information ends at the last `@` before the path (a
    // query may hold an `@` too).
    let with_password = rest.rmatch_indices('@').find_map(|(at, _)| {
        let colon = rest[..at].find(':')?;
        let password = &rest[colon + 1..at];
        // `host:port/db?name=a@b` is a query holding an `@`, not a password: a port, a path
        // and a `?…=` before the `@`, and no path after it (a password of that shape is
        // followed by `@host/db`).
        let query = !rest[at + 1..].contains('/')
            && password.split_once('/').is_some_and(|(port, path)| {
                !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit())
                    && path.split_once('?').is_some_and(|(_, q)| q.contains('='))
            });
        (!rest[..colon].contains(['@', '/', '?', '#']) && !query).then_some((colon, at))
    });
    let (mut out, from) = match with_password {
        Some((colon, at)) => (format!("{}:***@", &url[..start + colon]), start + at + 1),
        None => {
            let path = rest.find('/').map_or(rest.len(), |i| i);
            match rest[..path].rfind('@') {
                Some(at) => {
                    let shown = match rest[..at].find(':') {
                        Some(colon) => format!("{}:***@", &url[..start + colon]),
                        None => url[..start + at + 1].to_string(),
                    };
                    (shown, start + at + 1)
                }
                None => (url[..start].to_string(), start),
            }
        }
    };
    let (base, query) = match url[from..].find('?') {
        Some(q) => (&url[from..from + q], Some(&url[from + q + 1..])),
        None => (&url[from..], None),
    };
    out.push_str(base);
    if let Some(query) = query {
        // `?password=…` is the other place a PostgreSQL URL holds one; `sslpassword` (a
        // client key's) and any other key naming a credential are hidden too, and so is what
        // the driver does not read (a key misspelt).
        let postgres = is_postgres_url(url);
        let hidden =
            |k: &str| aduan_core::links::names_a_credential(k) || (postgres && !driver_reads(k));
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if hidden(k) => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// Where the `//` of a URL whose scheme's `:` was lost (`postgres//user:password@host/db`)
/// begins: a scheme's word, `//`, and an `@` after them.
fn colon_lost(url: &str) -> Option<usize> {
    let at = url.find("//")?;
    let word = &url[..at];
    let scheme_like = word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    // (PostgreSQL's own schemes without credentials too: `postgres//localhost/aduan`.)
    let postgres = ["postgres", "postgresql"]
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s));
    (scheme_like && (postgres || url[at..].contains('@'))).then_some(at)
}

/// The scheme of `url` when it has one (`scheme:…`, `scheme://…`), in lower case; a file
/// name whose `:` is followed by a digit (`aduan-2026-12-05T10:00.db`) has none.
fn scheme(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once(':')?;
    if rest.starts_with(|c: char| c.is_ascii_digit())
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return None;
    }
    let plain = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    plain.then(|| scheme.to_ascii_lowercase())
}

/// Runs blocking work (SQLite's statements, a batch's parsing and packing) on this thread
/// without holding up the runtime's other tasks: on a multi-threaded runtime they move to
/// another worker meanwhile (`block_in_place`), so that a service's webhooks and health
/// checks are answered, and the channel's reader goes on; on a current-thread runtime (the
/// tests') it runs as it is.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// A file's device and inode (on other systems than Unix, none: nothing is checked).
pub(crate) fn file_identity(path: &std::path::Path) -> std::io::Result<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path)?;
        Ok((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Err(std::io::Error::other("no file identity here"))
    }
}

/// The file of a SQLite store's URL (`sqlite:path`, `sqlite://path` or a plain path).
pub fn sqlite_path(url: &str) -> Result<&str> {
    // `host=db user=aduan password=…` is PostgreSQL's other way of naming a database: taken
    // for a path, it would be shown in messages and made into a SQLite file.
    if is_keyword_value(url) {
        return Err(Error::Url {
            url: KEYWORD_VALUE_SHOWN.into(),
            message: "a keyword/value connection string (it holds white space and `=`), not \
                      a URL: give PostgreSQL as postgres://user:password@host:port/db (other \
                      settings as ?key=value), or SQLite as sqlite:path"
                .into(),
        });
    }
    // A mistyped PostgreSQL URL (`postgress://…`, `postgres+ssl://…`) would otherwise be
    // taken for a file path: a new, empty store made in a folder named after the URL.
    if scheme(url).is_some_and(|s| s != "sqlite") || colon_lost(url).is_some() {
        return Err(Error::Url {
            url: redact_url(url),
            message: "not a store this knows: give postgres://… or postgresql://… for \
                      PostgreSQL, or sqlite:path (or a plain file path) for SQLite"
                .into(),
        });
    }
    let prefix = |p: &str| {
        url.get(..p.len())
            .filter(|head| head.eq_ignore_ascii_case(p))
            .map(|_| &url[p.len()..])
    };
    let path = prefix("sqlite://")
        .or_else(|| prefix("sqlite:"))
        .unwrap_or(url);
    // A query string (`sqlite:aduan.db?mode=ro`) holds options the store does not read: it
    // was cut off without a word, and `mode=ro` opened the store to write (review). Refused,
    // its keys named (their values are not shown).
    if let Some((bare, query)) = path.split_once('?') {
        // `mode=rwc` (sqlx's examples write it) is what the store does: read, write, create.
        if query == "mode=rwc" {
            return checked_sqlite_path(url, bare);
        }
        let keys: Vec<&str> = query
            .split('&')
            .filter(|kv| !kv.is_empty() && *kv != "mode=rwc")
            .map(|kv| kv.split_once('=').map_or(kv, |(k, _)| k))
            .collect();
        let named = match keys.as_slice() {
            [] => "an empty query string (`?`)".to_string(),
            [one] => format!("the option {one:?}"),
            many => format!(
                "the options {}",
                many.iter()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(Error::Url {
            url: redact_url(url),
            message: format!(
                "{named} after `?`: a SQLite store's URL takes no options but `mode=rwc`, \
                 what it does (a store is opened to read and write, made where there is none, \
                 in WAL mode; the commands that only read never write it, and `aduan query` \
                 refuses a statement that writes); give sqlite:path alone"
            ),
        });
    }
    checked_sqlite_path(url, path)
}

/// `path`, the SQLite file `url` names, unless it names none.
fn checked_sqlite_path<'a>(url: &str, path: &'a str) -> Result<&'a str> {
    if path.is_empty() || path == ":memory:" {
        return Err(Error::Url {
            url: redact_url(url),
            message: "give a file path; an in-memory database would lose everything".into(),
        });
    }
    Ok(path)
}

/// Creates the file `path` (it must not exist) readable and writable by its owner, readable
/// by its group as far as the umask lets, and never by others: a store's archive holds
/// reporters' names and numbers, and SQLite gives its `-wal` and `-shm` the mode of the
/// database's file.
pub(crate) fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
    options.open(path)
}

/// Whether SQLite's (extended) result code `code` is one of a store it could not open or
/// write: `SQLITE_CANTOPEN` (14) or `SQLITE_READONLY` (8), and theirs.
fn cannot_open(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 8 | 14))
}

/// Why SQLite could not open the store `path`, as the operating system says it: the file
/// read and written, or the files it keeps beside it (`-wal`, `-shm`) there or made in its
/// folder. `None` when each of them opens.
fn why_not_opened(path: &std::path::Path) -> Option<String> {
    let open = |file: &std::path::Path| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(file)
            .err()
    };
    if let Some(e) = open(path) {
        return Some(format!(
            "cannot open the store to read and write it: {e} (the service's user must own it, \
             or be let read and write it)"
        ));
    }
    let folder = match path.parent() {
        Some(f) if !f.as_os_str().is_empty() => f,
        _ => std::path::Path::new("."),
    };
    for end in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(end);
        let beside = std::path::Path::new(&name);
        if beside.exists() {
            if let Some(e) = open(beside) {
                return Some(format!(
                    "cannot open {} (SQLite's file beside the store) to read and write it: {e}",
                    beside.display()
                ));
            }
        }
    }
    // SQLite makes its `-wal` and `-shm` in the store's folder: tried with a file of this
    // process's own, removed at once.
    let mut probe = path.as_os_str().to_owned();
    probe.push(format!("-probe-{}", std::process::id()));
    let probe = std::path::Path::new(&probe);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(probe);
            None
        }
        Err(e) => Some(format!(
            "cannot make files in the store's folder {}: {e} (SQLite keeps its `-wal` and \
             `-shm` beside the store: the service's user must be let write the folder)",
            folder.display()
        )),
    }
}

/// Takes every permission of others from the store `path` and its `-wal` and `-shm`
/// (a store made by an older version, or copied in, may be readable by anyone); a file
/// that cannot be changed (another owner's) is logged and left.
fn close_to_others(path: &std::path::Path) {
    #[cfg(unix)]
    for file in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut name = path.as_os_str().to_owned();
        name.push(file);
        let file = std::path::Path::new(&name);
        let Ok(meta) = std::fs::metadata(file) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o007 != 0 {
            let closed = std::fs::Permissions::from_mode(mode & !0o007);
            match std::fs::set_permissions(file, closed) {
                Ok(()) => {
                    tracing::info!(file = %file.display(), "The store's file was readable by others; it no longer is.")
                }
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "The store's file is readable by others and could not be changed.")
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// A connection of its own to the existing SQLite file at `path`.
pub(crate) async fn lone_connection(
    path: &std::path::Path,
) -> sqlx::Result<sqlx::SqliteConnection> {
    lone_connection_waiting(path, Duration::from_secs(5)).await
}

/// [`lone_connection`] that waits at most `busy` for a lock another connection holds.
async fn lone_connection_waiting(
    path: &std::path::Path,
    busy: Duration,
) -> sqlx::Result<sqlx::SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(busy)
        .connect()
        .await
}

/// Folds the write-ahead log into the database file and empties it
/// (`wal_checkpoint(TRUNCATE)`), then closes `c`, which removes the log when no other
/// connection has the file open; the first error.
pub(crate) async fn fold_log(mut c: sqlx::SqliteConnection) -> sqlx::Result<()> {
    let folded = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut c)
        .await;
    let closed = c.close().await;
    folded.map(|_| ()).and(closed)
}

/// How long [`close_pool`] waits for connections that were on their way back to the pool.
const RETURNING: Duration = Duration::from_secs(2);

/// How long [`Store::close`] waits for connections still in use to come back.
pub const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Closes `pool` and each of its connections, waiting until `deadline` at most for those
/// still in use; how many were left open (`0`: every connection closed). The pool takes no
/// connection more from the start: one still in use (a transaction never ended, a stream
/// never dropped) is closed when it comes back, however late. sqlx's close takes the idle
/// connections and waits for those in use, for ever (review, session 51: a connection kept
/// out held a process's end, or its shutdown, until it was killed); one on its way back when
/// the close began (its checks on release waiting for the connection's thread) was put among
/// the idle ones after they were taken, and stayed open (review, session 47: the store's
/// `-wal` stayed beside it, and a restore right after found it open): the close is done again
/// while any is left, for a while.
async fn close_pool<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    deadline: tokio::time::Instant,
) -> u32 {
    if tokio::time::timeout_at(deadline, pool.close())
        .await
        .is_err()
    {
        return pool.size();
    }
    let until = deadline.min(tokio::time::Instant::now() + RETURNING);
    while pool.size() > 0 && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if tokio::time::timeout_at(until, pool.close()).await.is_err() {
            break;
        }
    }
    pool.size()
}

/// Whether `url` names a PostgreSQL store (otherwise it is a SQLite file).
pub fn is_postgres_url(url: &str) -> bool {
    // `postgres:` without its `//` is a typo `sqlite_path` refuses, not a URL to try.
    url.split_once("://").is_some_and(|(s, _)| {
        s.eq_ignore_ascii_case("postgres") || s.eq_ignore_ascii_case("postgresql")
    })
}

impl Store {
    /// Opens (and on first use creates and migrates) the store at `url`:
    /// `sqlite:path/to/file.db` (or a plain path) or `postgres://user@host/db`.
    pub async fn open(url: &str) -> Result<Self> {
        if is_postgres_url(url) {
            Self::open_postgres(url, None).await
        } else {
            Self::open_sqlite(url).await
        }
    }

    /// Opens the existing store at `url` as it is, not migrated: for a backup, which copies
    /// the store as the program that wrote it left it (a newer program's migrations run when
    /// the store is next opened by [`open`](Self::open), after the copy).
    pub async fn open_as_is(url: &str) -> Result<Self> {
        if is_postgres_url(url) {
            return Self::connect_postgres(url, None).await;
        }
        let path = sqlite_path(url)?;
        if !std::path::Path::new(path).is_file() {
            return Err(Error::Url {
                url: redact_url(url),
                message: format!("there is no store at {path}"),
            });
        }
        Self::connect_sqlite(url).await
    }

    /// Opens a PostgreSQL store whose tables live in `schema` (created if missing).
    pub async fn open_postgres_in_schema(url: &str, schema: &str) -> Result<Self> {
        Self::open_postgres(url, Some(schema)).await
    }

    async fn open_sqlite(url: &str) -> Result<Self> {
        let store = Self::connect_sqlite(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens the SQLite file at `url` as it is (not migrated).
    pub(crate) async fn connect_sqlite(url: &str) -> Result<Self> {
        let path = sqlite_path(url)?;
        // The store's file is made where there is none, never its folders: a folder that is
        // not there is a mistyped path far more often than a new place (review: a typo'd
        // `sqlite:/var/lib/aduna/aduan.db` made the folders and a new, empty store, and the
        // service ran on it). The default, `aduan.db` in the current folder, has none to make.
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                let problem = match std::fs::metadata(dir) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(
                        "the store's folder does not exist (a mistyped path?); Aduan makes \
                              the store's file, not its folders: create the folder first",
                    ),
                    Ok(m) if !m.is_dir() => Some("the store's folder is not a folder"),
                    // (Another error, such as a folder above it that cannot be read, is
                    // named by the store's opening.)
                    _ => None,
                };
                if let Some(message) = problem {
                    return Err(Error::File {
                        path: dir.display().to_string(),
                        message: message.to_string(),
                    });
                }
            }
        }
        // Made here, not by SQLite, whose new files others may read (0644 less the umask);
        // one made so before is closed to others.
        match create_private(std::path::Path::new(path)) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                close_to_others(std::path::Path::new(path));
            }
            Err(e) => {
                return Err(Error::File {
                    path: path.to_string(),
                    message: format!("cannot create the store: {e}"),
                });
            }
            Ok(_) => {}
        }
        let options = SqliteConnectOptions::new()
            .log_slow_statements(SLOW_STATEMENT.0, SLOW_STATEMENT.1)
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before it returns. With NORMAL a power cut may undo
            // the last commits, and a webhook answered 200 after its commit is not sent
            // again (a pulled batch would be, its cursor undone with it). A bulk sync commits
            // every 20,000 records or 2 s: one more sync of the WAL each.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // Bulk writes: a page cache for the indexes' hot pages, and fewer, larger WAL
            // checkpoints. (Statement journals stay in temporary files: in memory, one
            // statement over a million rows would hold every page it changed.)
            .pragma("cache_size", "-8192")
            .pragma("wal_autocheckpoint", "4000");
        // Two processes opening a new file at once may both want it for themselves, to put
        // it in WAL mode; SQLite then answers one "busy" at once, without waiting: it tries
        // again (for up to ten seconds).
        let (pool_token, connection_token) = (std::sync::Arc::new(()), std::sync::Arc::new(()));
        let alive = PoolAlive {
            pool: std::sync::Arc::downgrade(&pool_token),
            connections: std::sync::Arc::downgrade(&connection_token),
        };
        let mut tries = 0;
        let pool = loop {
            let (pool_token, connection_token) = (pool_token.clone(), connection_token.clone());
            let opened = SqlitePoolOptions::new()
                .max_connections(4)
                // Tokens a restore reads to tell this store's connections closing from
                // those still in use (see `PoolAlive`).
                .after_connect(move |conn, _| {
                    let _pool = &pool_token;
                    let token = connection_token.clone();
                    Box::pin(async move {
                        conn.lock_handle().await?.create_collation(
                            "aduan_connection_open",
                            move |a, b| {
                                let _open = &token;
                                a.cmp(b)
                            },
                        )
                    })
                })
                // A connection given back inside a transaction (seen after a write failed
                // with "database or disk is full", which SQLite may roll back by itself
                // while sqlx still counts the transaction open) would hold the write lock
                // for good: it is closed instead of kept.
                .after_release(|conn, _| {
                    Box::pin(async move {
                        let mut handle = conn.lock_handle().await?;
                        let db = handle.as_raw_handle();
                        // SAFETY: `db` is the open connection of `handle`, locked here.
                        let idle =
                            unsafe { rusqlite::ffi::sqlite3_get_autocommit(db.as_ptr()) } != 0;
                        Ok(idle)
                    })
                })
                .connect_with(options.clone())
                .await;
            match opened {
                Err(sqlx::Error::Database(e))
                    if tries < 100 && matches!(e.code().as_deref(), Some("5" | "6")) =>
                {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                // SQLite's "unable to open database file" (and "attempt to write a readonly
                // database", its folder closed to this user) says neither which file nor
                // why: the operating system's reason is found and said, with the path.
                Err(sqlx::Error::Database(e)) if cannot_open(e.code().as_deref()) => {
                    if let Some(why) = why_not_opened(std::path::Path::new(path)) {
                        return Err(Error::File {
                            path: path.to_string(),
                            message: why,
                        });
                    }
                    return Err(Error::Sql {
                        what: format!("opening SQLite database {path}"),
                        cause: sqlx::Error::Database(e),
                    });
                }
                other => break other.context(|| format!("opening SQLite database {path}"))?,
            }
        };
        let identity = file_identity(std::path::Path::new(path)).ok();
        Ok(Self {
            backend: Backend::Sqlite(pool),
            url: format!("sqlite:{path}"),
            sqlite_file: Some(path.into()),
            sqlite_identity: identity,
            open_here: identity.map(|id| OpenHere::new(id, path, alive)),
            schema: None,
            lease_pool: None,
            unpackers: Default::default(),
            packers: Default::default(),
            unusable: Default::default(),
            plain: Default::default(),
            writer_turn: Default::default(),
        })
    }

    async fn open_postgres(url: &str, schema: Option<&str>) -> Result<Self> {
        let store = Self::connect_postgres(url, schema).await?;
        store.check_encoding().await?;
        store.migrate().await?;
        Ok(store)
    }

    /// A PostgreSQL database must store UTF-8: one in another encoding (`LATIN1`, say)
    /// refuses a batch holding any character it lacks (an emoji in a WhatsApp message,
    /// Aduan's own `…`), and the same batch again every run.
    async fn check_encoding(&self) -> Result<()> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(());
        };
        let encoding: String = sqlx::query_scalar("SHOW server_encoding")
            .fetch_one(pool)
            .await
            .context(|| "reading the database's encoding".into())?;
        if encoding.eq_ignore_ascii_case("UTF8") {
            return Ok(());
        }
        // Takes any bytes, and so UTF-8 (what it sorts and compares is bytes).
        if encoding.eq_ignore_ascii_case("SQL_ASCII") {
            tracing::warn!(
                "The database's encoding is SQL_ASCII: it keeps texts as the bytes given; \
                 a database in UTF8 checks them."
            );
            return Ok(());
        }
        Err(Error::Url {
            url: redact_url(&self.url),
            message: format!(
                "the database's encoding is {encoding}: Aduan stores every channel's texts \
                 (names, emoji) in UTF-8; create the database with ENCODING 'UTF8' (and \
                 TEMPLATE template0 with a UTF-8 locale, where the cluster's is another)"
            ),
        })
    }

    /// Connects to PostgreSQL at `url` (tables in `schema`, created if missing), not migrated.
    pub(crate) async fn connect_postgres(url: &str, schema: Option<&str>) -> Result<Self> {
        let shown = redact_url(url);
        let (url, unread) = read_parameters_only(url);
        for parameter in unread {
            tracing::warn!(
                %parameter,
                url = %shown,
                "The database URL's parameter is not one the PostgreSQL driver reads; it is \
                 left out (its value not shown)."
            );
        }
        let mut options = PgConnectOptions::from_str(&url).map_err(|e| Error::Url {
            url: shown.clone(),
            message: e.to_string(),
        })?;
        // One connection first, on its own: a pool that cannot connect says only that it
        // timed out, where this says why (refused, no such host, a wrong password).
        let mut first =
            tokio::time::timeout(CONNECT_TIMEOUT, sqlx::PgConnection::connect_with(&options))
                .await
                .unwrap_or_else(|_| {
                    Err(sqlx::Error::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                    )))
                })
                .context(|| format!("connecting to {shown}"))?;
        // The schema a URL's `search_path` puts first (several deployments in one database,
        // each in its own): the leases' locks are its own, as they are of a schema given.
        // The default, `public`, keeps the keys of before. (Review: processes of one
        // database took the same locks whatever their schema, and a run in one skipped a
        // channel another schema's run held.)
        let current: Option<String> = match schema {
            Some(_) => None,
            None => sqlx::query_scalar("SELECT current_schema()::text")
                .fetch_one(&mut first)
                .await
                .context(|| format!("connecting to {shown}"))?,
        };
        let lock_scope = schema
            .map(str::to_string)
            .or(current.filter(|c| c != "public"));
        first
            .close()
            .await
            .context(|| format!("connecting to {shown}"))?;
        if let Some(schema) = schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(Error::Url {
                    url: shown,
                    message: format!("schema name {schema:?}: letters, digits and _ only"),
                });
            }
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options.clone())
                .await
                .context(|| format!("connecting to {shown}"))?;
            // A schema that is there is not made again: `CREATE SCHEMA IF NOT EXISTS` asks
            // for the right to create schemas in the database before it looks, and a role
            // without it (a deployment's, given a schema of its own) could not open its store
            // (review, session 45). `IF NOT EXISTS` is not safe from another connection
            // creating it at once: that one's schema is as good.
            let there: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                    .bind(schema)
                    .fetch_one(&pool)
                    .await
                    .context(|| format!("looking for schema {schema}"))?;
            let created = match there {
                true => Ok(Default::default()),
                false => {
                    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                        .execute(&pool)
                        .await
                }
            };
            match created {
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {}
                other => {
                    other.context(|| format!("creating schema {schema}"))?;
                }
            }
            pool.close().await;
            options = options.options([("search_path", schema)]);
        }
        let options = options.log_slow_statements(SLOW_STATEMENT.0, SLOW_STATEMENT.1);
        // Connected as leases are taken (one a channel and a folding channel's fold, at most
        // a few dozen), closed a minute after their lease is given back.
        let lease_pool = PgPoolOptions::new()
            .max_connections(LEASE_CONNECTIONS)
            .min_connections(0)
            .idle_timeout(Duration::from_secs(60))
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options.clone());
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .context(|| format!("connecting to {shown}"))?;
        Ok(Self {
            backend: Backend::Postgres(pool),
            url: shown,
            sqlite_file: None,
            sqlite_identity: None,
            schema: lock_scope,
            lease_pool: Some(lease_pool),
            unpackers: Default::default(),
            packers: Default::default(),
            unusable: Default::default(),
            plain: Default::default(),
            writer_turn: Default::default(),
            open_here: None,
        })
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The store's URL, password removed.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Applies the migrations not yet applied.
    pub async fn migrate(&self) -> Result<()> {
        self.migrate_through(i64::MAX).await
    }

    /// Applies the migrations not yet applied up to version `last` (tests of a migration
    /// start from the schema before it).
    pub(crate) async fn migrate_through(&self, last: i64) -> Result<()> {
        let (migrations, lock) = match self.backend {
            Backend::Sqlite(_) => (migrate::SQLITE, migrate::SQLITE_LOCK),
            Backend::Postgres(_) => (migrate::POSTGRES, migrate::POSTGRES_LOCK),
        };
        let postgres = matches!(self.backend, Backend::Postgres(_));
        // One process migrates at a time (two started together on a new store, the service
        // and a cron job at an upgrade): each step takes the lock first and reads what is
        // applied after it, so a migration another process applied meanwhile is not applied
        // again.
        on_pool!(self, pool => {
            let what = || "creating schema_migrations".to_string();
            let mut tx = pool.begin().await.context(what)?;
            if postgres {
                sqlx::query(lock).execute(&mut *tx).await.context(what)?;
            }
            sqlx::query(migrate::CREATE_TABLE)
                .execute(&mut *tx)
                .await
                .context(what)?;
            tx.commit().await.context(what)?;
            let newest_known = migrations.last().map(|m| m.version).unwrap_or(0);
            // A store with every migration applied is left unwritten, without the lock: a
            // read-only file then opens, and what fails is the first write, saying what it
            // was (operator review: "migration 1: attempt to write a readonly database").
            let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
                .fetch_all(pool)
                .await
                .context(|| "reading schema_migrations".to_string())?;
            let all_applied = migrations
                .iter()
                .filter(|m| m.version <= last)
                .all(|m| applied.contains(&m.version));
            if all_applied && applied.iter().all(|v| *v <= newest_known) {
                return Ok(());
            }
            for m in migrations.iter().filter(|m| m.version <= last) {
                let fail = |e: sqlx::Error| Error::Migration {
                    version: m.version,
                    name: m.name.into(),
                    message: e.to_string(),
                };
                let mut tx = pool.begin().await.map_err(fail)?;
                sqlx::query(lock).execute(&mut *tx).await.map_err(fail)?;
                let applied: Vec<i64> =
                    sqlx::query_scalar("SELECT version FROM schema_migrations")
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(fail)?;
                if let Some(v) = applied.iter().find(|v| **v > newest_known) {
                    return Err(Error::Migration {
                        version: *v,
                        name: "?".into(),
                        message: "the database was migrated by a newer Aduan".into(),
                    });
                }
                if applied.contains(&m.version) {
                    tx.commit().await.map_err(fail)?;
                    continue;
                }
                sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(fail)?;
                sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.version)
                    .bind(m.name)
                    .bind(chrono::Utc::now().to_rfc3339())
                    .execute(&mut *tx)
                    .await
                    .map_err(fail)?;
                tx.commit().await.map_err(fail)?;
                tracing::info!(version = m.version, name = m.name, "Applied migration.");
            }
            Ok(())
        })
    }

    /// Whether the database answers and every migration is applied (a newer Aduan's beside
    /// them too: what this one reads is there).
    pub async fn ready(&self) -> Result<()> {
        self.migrations_ready(false).await
    }

    /// [`Store::ready`], and no migration of a newer Aduan applied (another process migrated
    /// the store further: this one's writes may no longer fit its tables): whether a service
    /// that writes should take requests.
    pub async fn ready_to_write(&self) -> Result<()> {
        self.file_in_place()?;
        self.migrations_ready(true).await
    }

    /// On SQLite, that the store's file is still the one this process opened: one removed
    /// or replaced meanwhile (a restore by hand, a mistaken `rm`) keeps taking this
    /// process's writes into a file no one will read again, and they are lost when it ends
    /// (operator review: webhooks were acknowledged into it, and `/readyz` said ready).
    /// `/readyz` and each webhook delivery check it.
    pub fn file_in_place(&self) -> Result<()> {
        let (Some(path), Some(opened)) = (&self.sqlite_file, self.sqlite_identity) else {
            return Ok(());
        };
        match file_identity(path) {
            Ok(now) if now == opened => Ok(()),
            found => Err(Error::File {
                path: path.display().to_string(),
                message: format!(
                    "the store's file is {} since this process opened it: what it writes \
                     now goes where no one will read it; restart the process, and before \
                     starting it again remove the log beside the file (its name with -wal and \
                     -shm): it is the replaced file's, and the next process to open the store \
                     would read it into the file now at its name (`aduan restore` replaces a \
                     store safely)",
                    if found.is_err() {
                        "gone"
                    } else {
                        "another file"
                    },
                ),
            }),
        }
    }

    async fn migrations_ready(&self, exactly: bool) -> Result<()> {
        let known = match self.backend {
            Backend::Sqlite(_) => migrate::SQLITE,
            Backend::Postgres(_) => migrate::POSTGRES,
        };
        let newest = known.len() as i64;
        let (applied, highest): (i64, Option<i64>) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*), MAX(version) FROM schema_migrations")
                .fetch_one(pool)
                .await
                .context(|| "reading schema_migrations".into())?
        });
        if applied < newest {
            // Named by its file, as a migration that fails is (review: `(?)`).
            let name = usize::try_from(applied)
                .ok()
                .and_then(|i| known.get(i))
                .map_or("?", |m| m.name);
            return Err(Error::Migration {
                version: applied + 1,
                name: name.into(),
                message: "not applied".into(),
            });
        }
        if let Some(v) = highest.filter(|v| exactly && *v > newest) {
            return Err(Error::Migration {
                version: v,
                name: "?".into(),
                message: format!(
                    "applied by a newer Aduan (this one knows migrations up to {newest}): \
                     upgrade this process"
                ),
            });
        }
        Ok(())
    }

    /// Closes the pool, waiting [`CLOSE_WAIT`] at most for connections still in use; what
    /// cannot be closed in that time is logged as a warning naming the store (see
    /// [`close_within`](Self::close_within)).
    pub async fn close(&self) {
        if let Err(e) = self.close_within(CLOSE_WAIT).await {
            tracing::warn!(error = %e, "The store was not closed in full.");
        }
    }

    /// Closes the pool (and on PostgreSQL the leases' connections), waiting `wait` at most
    /// for connections still in use: a connection kept out (a transaction never ended) holds
    /// the end of the process no longer than that. What can be closed is closed all the
    /// same, and the pool takes no connection more: one still in use is closed when it comes
    /// back. On SQLite the write-ahead log is then folded into the database file and emptied
    /// (`wal_checkpoint(TRUNCATE)`) by one connection of its own, which removes it when it
    /// closes last: the pool's connections close side by side, and each may leave that to
    /// another still closing. (The log of a file another process has open, or one of this
    /// process's connections still holds, is folded as far as it can be, not removed.)
    /// [`Error::NotClosed`] names the store (its URL without a password) and how many
    /// connections were still in use.
    /// A store closed before is not waited for again (its connections still in use close as
    /// they come back, and the first close said so): a command's store the service closed
    /// at its shutdown is not waited for twice.
    pub async fn close_within(&self, wait: Duration) -> Result<()> {
        let closed_before = on_pool!(self, pool => pool.is_closed());
        let wait = if closed_before { Duration::ZERO } else { wait };
        let deadline = tokio::time::Instant::now() + wait;
        let in_use = on_pool!(self, pool => close_pool(pool, deadline).await);
        if let Some(open) = &self.open_here {
            open.closed(in_use == 0, false);
        }
        let leases = match &self.lease_pool {
            Some(leases) => close_pool(leases, deadline).await,
            None => 0,
        };
        if let Some(path) = &self.sqlite_file {
            // Not into a file removed or replaced under this process (a restore by hand): the
            // log at the store's name (`-wal`) is this store's, and folded into another file
            // it would ruin that one (and one removed would be made again to take it).
            if let Err(e) = self.file_in_place() {
                tracing::warn!(error = %e, "The store's log is not folded into the file now at its name.");
            } else {
                // Hardly waiting: a checkpoint that waits for another process's readers holds
                // every writer back meanwhile (what it cannot fold now, the next one folds); a
                // quarter of a second lets this process's own connections finish closing.
                let closed = match lone_connection_waiting(path, CLOSE_BUSY).await {
                    Ok(c) => fold_log(c).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = closed {
                    tracing::warn!(file = %path.display(), error = %e, "Could not fold the store's log into its file; the next connection will.");
                }
            }
        }
        if in_use + leases == 0 || closed_before {
            return Ok(());
        }
        Err(Error::NotClosed {
            store: self.url.clone(),
            in_use: in_use + leases,
            waited: wait,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_driver_is_given_only_the_parameters_it_reads() {
        assert_eq!(
            read_parameters_only(
                "postgres://aduan@db/aduan?sslmode=require&sslpassword=s3cret&options[search_path]=x"
            ),
            (
                "postgres://aduan@db/aduan?sslmode=require&options%5Bsearch_path%5D=x".to_string(),
                vec!["sslpassword".to_string()]
            )
        );
        assert_eq!(
            read_parameters_only("postgres://aduan@db/aduan?pasword=s3cret"),
            (
                "postgres://aduan@db/aduan".to_string(),
                vec!["pasword".to_string()]
            )
        );
        let plain = "postgres://aduan:p%40ss@db:5433/aduan?sslmode=disable";
        assert_eq!(read_parameters_only(plain), (plain.to_string(), Vec::new()));
    }

    #[test]
    fn a_url_shown_in_messages_has_no_password() {
        assert_eq!(
            redact_url("postgres://aduan:s3cret@db:5432/aduan"),
            "postgres://aduan:***@db:5432/aduan"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite:aduan.db"), "sqlite:aduan.db");
        assert_eq!(
            redact_url("postgres://aduan@db/aduan?sslmode=require&password=s3cret&x=1"),
            "postgres://aduan@db/aduan?sslmode=require&password=***&x=***",
            "a key the driver does not read is hidden too"
        );
        assert_eq!(
            redact_url("postgres://aduan:s3cret@db/aduan?sslmode=require"),
            "postgres://aduan:***@db/aduan?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://aduan:p?ss@db/aduan?sslmode=disable"),
            "postgres://aduan:***@db/aduan?sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://aduan@db/aduan?password=s3cret&application_name=a@b"),
            "postgres://aduan@db/aduan?password=***&application_name=a@b"
        );
        // Unescaped, as a password generator's output is pasted.
        assert_eq!(
            redact_url("postgres://aduan:s3/cret@db/aduan"),
            "postgres://aduan:***@db/aduan"
        );
        assert_eq!(
            redact_url("postgres://aduan:pa@ss/w?rd#1@db:5432/aduan?sslmode=require"),
            "postgres://aduan:***@db:5432/aduan?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://aduan@db:5432/aduan?application_name=a@b"),
            "postgres://aduan@db:5432/aduan?application_name=a@b"
        );
        assert_eq!(
            redact_url("postgress://aduan:s3cret@db/aduan"),
            "postgress://aduan:***@db/aduan"
        );
        assert_eq!(
            redact_url("postgres://db:5432/aduan?application_name=a@b"),
            "postgres://db:5432/aduan?application_name=a@b"
        );
        assert_eq!(
            redact_url("postgres://aduan:p?x=1@db/aduan"),
            "postgres://aduan:***@db/aduan"
        );
        for leaky in [
            "postgres://aduan:ab/c?d=e@db/aduan",
            "postgres://aduan:p?x=1/y@db/aduan",
            "postgres://aduan:2/Xy?k=9@db/aduan",
        ] {
            assert_eq!(redact_url(leaky), "postgres://aduan:***@db/aduan");
        }
    }

    #[test]
    fn only_a_known_scheme_names_a_store() {
        assert!(is_postgres_url("postgres://db/aduan"));
        assert!(is_postgres_url("PostgreSQL://db/aduan"));
        assert!(!is_postgres_url("sqlite:aduan.db"));
        assert!(!is_postgres_url("postgres:/aduan:s3cret@db/aduan"));
        assert_eq!(
            sqlite_path("sqlite:data/aduan.db").ok(),
            Some("data/aduan.db")
        );
        assert_eq!(sqlite_path("SQLite://aduan.db").ok(), Some("aduan.db"));
        assert_eq!(
            sqlite_path("SQLITE:aduan.db?mode=rwc").ok(),
            Some("aduan.db")
        );
        assert_eq!(sqlite_path("data/aduan.db").ok(), Some("data/aduan.db"));
        assert_eq!(
            sqlite_path("aduan-2026-12-05T10:00.db").ok(),
            Some("aduan-2026-12-05T10:00.db")
        );
        for typo in [
            "postgress://aduan:s3cret@db/aduan",
            "postgres+ssl://db/aduan",
            "mysql://db",
            "postgres:/aduan:s3cret@db/aduan",
            "postgresql:aduan:s3cret@db/aduan",
            "sqlite3:data/aduan.db",
            "file:aduan.db",
        ] {
            let e = sqlite_path(typo).expect_err(typo).to_string();
            assert!(e.contains("postgres://"), "{e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
    }

    /// A PostgreSQL URL whose `:` was lost (`postgres//aduan:s3cret@db/aduan`) is no file
    /// path either: taken for one, `aduan sync` made a SQLite store in the folders
    /// `postgres/aduan:s3cret@db/`, and `serve`, `backup` and `status` showed the password.
    #[test]
    fn a_postgres_url_without_its_colon_is_refused_and_its_password_not_shown() {
        for typo in [
            "postgres//aduan:s3cret@db/aduan",
            "postgresql//aduan:s3cret@db.internal:5432/aduan",
        ] {
            let e = sqlite_path(typo).expect_err(typo).to_string();
            assert!(!e.contains("s3cret"), "{e}");
            assert!(!redact_url(typo).contains("s3cret"), "{}", redact_url(typo));
        }
    }

    /// Review (session 41): a PostgreSQL URL whose `:` was lost is refused only when it holds
    /// an `@`: `postgres//localhost/aduan` (trust or peer auth, no user in the URL) and
    /// `postgresql//db.internal:5432/aduan` were still taken for file paths, and `aduan sync`
    /// made a new, empty SQLite store in the folders `postgres/localhost/`.
    #[test]
    fn a_postgres_url_without_its_colon_and_without_credentials_is_refused_too() {
        for typo in [
            "postgres//localhost/aduan",
            "postgresql//db.internal:5432/aduan",
            "POSTGRES//localhost/aduan",
        ] {
            assert!(sqlite_path(typo).is_err(), "{typo} taken for a SQLite file");
        }
        // (A relative path with a doubled slash stays a path.)
        assert_eq!(sqlite_path("data//aduan.db").ok(), Some("data//aduan.db"));
    }

    /// Review: `--database 'host=db user=aduan password=s3cret dbname=aduan'` (libpq's
    /// keyword/value form) was taken for a SQLite file's path, shown with its password in
    /// "there is no store at …", and made into a file by `aduan sync`.
    #[test]
    fn a_keyword_value_connection_string_is_refused_and_never_shown() {
        for setting in [
            "host=db user=aduan password=s3cret dbname=aduan",
            "dbname = aduan password = 's3 cret'",
            " host=db\tpassword=s3cret",
            "host=db password=s3cret://x",
        ] {
            let e = sqlite_path(setting).expect_err(setting);
            assert!(matches!(e, Error::Url { .. }), "{setting}: {e:?}");
            let e = e.to_string();
            assert!(e.contains("postgres://"), "{e}");
            assert!(!e.contains("s3cret") && !e.contains("s3 cret"), "{e}");
            let shown = redact_url(setting);
            assert!(!shown.contains("s3"), "{setting}: {shown}");
        }
        // A URL with a space in its options, and a SQLite file named as one, are not it.
        assert!(is_postgres_url(
            "postgres://db/aduan?options=-c search_path=x"
        ));
        assert_eq!(
            redact_url("postgres://aduan:s3cret@db/aduan?options=-c search_path=x"),
            "postgres://aduan:***@db/aduan?options=-c search_path=x"
        );
        assert_eq!(
            sqlite_path("sqlite:my data/a=b.db").ok(),
            Some("my data/a=b.db")
        );
        assert_eq!(
            sqlite_path("my data/aduan.db").ok(),
            Some("my data/aduan.db")
        );
    }

    /// Review: only `password` was hidden among a URL's query keys; `sslpassword` (a client
    /// key's) and any other key naming a password are too.
    #[test]
    fn every_query_key_naming_a_password_is_hidden() {
        assert_eq!(
            redact_url("postgres://aduan@db/aduan?sslpassword=s3cret&sslmode=require"),
            "postgres://aduan@db/aduan?sslpassword=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://aduan@db/aduan?PassWord=s3cret&x_pass_2=s3cret&user=pass"),
            "postgres://aduan@db/aduan?PassWord=***&x_pass_2=***&user=pass"
        );
    }

    /// Session 51: the store kept its own list of what a URL's query hides (a key naming a
    /// password), and showed a SQLite URL's `key` (SQLCipher's), a `token` or a `pwd` that
    /// transport hides in the URLs it asked. One list, `aduan_core::links`'s.
    #[test]
    fn a_url_shown_in_messages_hides_what_transport_hides_in_its_urls() {
        for name in [
            "key",
            "Token",
            "access_token",
            "api-key",
            "auth",
            "sig",
            "pwd",
            "client_secret",
            "passphrase",
            "%70wd",
        ] {
            assert_eq!(
                redact_url(&format!("sqlite:aduan.db?{name}=s3cret&mode=ro")),
                format!("sqlite:aduan.db?{name}=***&mode=ro"),
            );
            assert_eq!(
                redact_url(&format!("mysql://db/aduan?{name}=s3cret&x=1")),
                format!("mysql://db/aduan?{name}=***&x=1"),
            );
        }
        // What names none stays: a driver's options, a keyword's value.
        assert_eq!(
            redact_url("postgres://aduan@db/aduan?sslmode=require&application_name=keyword"),
            "postgres://aduan@db/aduan?sslmode=require&application_name=keyword"
        );
    }

    /// `.cargo/config.toml` builds the bundled SQLite without the global mutexes its crate's
    /// defaults take on every allocation and page fetched (BENCHMARKS.md, 2026-12-04, midnight); a
    /// build that lost those options would still work, slower, and this says so.
    #[test]
    fn sqlite_is_built_without_its_global_mutexes() {
        let db = rusqlite::Connection::open_in_memory().expect("an in-memory database");
        let mut options = db
            .prepare("PRAGMA compile_options")
            .expect("the pragma prepares");
        let options: Vec<String> = options
            .query_map([], |row| row.get(0))
            .expect("the pragma runs")
            .collect::<std::result::Result<_, _>>()
            .expect("the options read");
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "SQLite keeps memory statistics: {options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "SQLite shares one page cache among connections: {options:?}"
        );
    }
    /// A connection given back to the pool inside a transaction SQLite still holds (as one
    /// left after a commit failed on a full disk: every write after it was "database is
    /// locked", in this process and others, until the process ended) is closed, not kept:
    /// the store's lock is free again (helper pg, session 41).
    #[tokio::test]
    async fn a_connection_given_back_inside_a_transaction_holds_no_lock() {
        let ts = crate::testing::sqlite().await;
        let Backend::Sqlite(pool) = &ts.store.backend else {
            unreachable!("a SQLite store")
        };
        {
            let mut conn = pool.acquire().await.unwrap();
            // Begun behind sqlx's back, so that it does not end it either.
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        let path = ts.store.sqlite_file.clone().unwrap();
        // (Waiting off the runtime's thread, on which the pool takes the connection back.)
        let written = tokio::task::spawn_blocking(move || {
            let other = rusqlite::Connection::open(&path)?;
            other.busy_timeout(std::time::Duration::from_secs(5))?;
            other.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
        })
        .await
        .unwrap();
        assert!(written.is_ok(), "the write lock is held: {written:?}");
    }

    /// Two processes opening a new store at once (the service and a cron job) both find it
    /// migrated, neither failing on the other's half-applied migrations.
    #[tokio::test]
    async fn two_opening_a_new_store_at_once_both_find_it_migrated() {
        for round in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:{}", dir.path().join("aduan.db").display());
            let (a, b) = tokio::join!(Store::open(&url), Store::open(&url));
            for s in [a, b] {
                let s = s.unwrap_or_else(|e| panic!("round {round}: {e}"));
                s.ready().await.unwrap();
                s.close().await;
            }
        }
        let Some(pg) = crate::testing::postgres().await else {
            return;
        };
        for round in 0..5 {
            let schema = format!(
                "{}{}_migrate_{round}_{}",
                crate::testing::TEST_SCHEMA,
                std::process::id(),
                chrono::Utc::now().timestamp_subsec_nanos()
            );
            let (a, b) = tokio::join!(
                Store::open_postgres_in_schema(&pg.url, &schema),
                Store::open_postgres_in_schema(&pg.url, &schema)
            );
            for s in [a, b] {
                let s = s.unwrap_or_else(|e| panic!("postgres round {round}: {e}"));
                s.ready().await.unwrap();
            }
        }
    }
    /// In one process, a webhook delivery asking to write while a transaction of batches is
    /// open waits for it, and goes before a transaction of batches asked for after it (a
    /// fair turn: SQLite's own waiting let a sync's transactions win time after time).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_delivery_takes_its_turn_between_transactions_of_batches() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let ts = crate::testing::sqlite().await;
        let order = std::sync::Arc::new(AtomicUsize::new(0));
        let open = ts.store.begin_writes().await.unwrap();
        let (store, turn) = (ts.store.clone(), order.clone());
        let delivery = tokio::spawn(async move {
            let raw = crate::NewRaw {
                source_ref: "test".into(),
                external_id: None,
                received_at: chrono::Utc::now(),
                content_hash: vec![7; 32],
                payload: b"{}".to_vec(),
                dictionary_id: None,
            };
            store.receive("test_push", &raw, None).await.unwrap();
            turn.fetch_add(1, Ordering::SeqCst)
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!delivery.is_finished(), "it waits for the open transaction");
        let (store, turn) = (ts.store.clone(), order.clone());
        let next = tokio::spawn(async move {
            let writes = store.begin_writes().await.unwrap();
            let at = turn.fetch_add(1, Ordering::SeqCst);
            writes.commit().await.unwrap();
            at
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        open.commit().await.unwrap();
        assert_eq!(delivery.await.unwrap(), 0, "the delivery first");
        assert_eq!(next.await.unwrap(), 1, "then the next transaction");
    }

    /// A store with every migration applied opens without writing, so without waiting for
    /// a writer (and a read-only file opens, its first write failing, not "migration 1").
    #[tokio::test]
    async fn a_migrated_store_opens_while_another_connection_writes() {
        let ts = crate::testing::sqlite().await;
        let path = ts.store.sqlite_file.clone().unwrap();
        let mut writer = lone_connection(&path).await.unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE; INSERT INTO sync_state (channel, cursor, updated_at) VALUES ('w', NULL, '2026-12-06T00:00:00Z');")
            .execute(&mut writer)
            .await
            .unwrap();
        let opened = Store::open(&ts.url).await;
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut writer)
            .await
            .unwrap();
        let store = opened.unwrap();
        store.ready_to_write().await.unwrap();
        store.close().await;
    }

    /// A SQLite store whose file is removed or replaced under the process is not ready, and
    /// takes no webhook delivery (it would be acknowledged into a file no one reads again).
    #[tokio::test]
    async fn a_store_whose_file_is_gone_or_replaced_is_not_ready_and_takes_no_delivery() {
        let ts = crate::testing::sqlite().await;
        ts.store.ready_to_write().await.unwrap();
        let raw = |n: u8| crate::NewRaw {
            source_ref: "test".into(),
            external_id: None,
            received_at: chrono::Utc::now(),
            content_hash: vec![n; 32],
            payload: vec![b'{', n, b'}'],
            dictionary_id: None,
        };
        assert!(ts.store.receive("test_push", &raw(1), None).await.unwrap());
        let path = ts.store.sqlite_file.clone().unwrap();
        // Replaced by another file of the same name.
        std::fs::copy(&path, path.with_extension("copy")).unwrap();
        std::fs::rename(path.with_extension("copy"), &path).unwrap();
        let e = ts.store.ready_to_write().await.unwrap_err().to_string();
        assert!(
            e.contains("another file") && e.contains("restart") && e.contains("-wal and -shm"),
            "{e}"
        );
        // Gone.
        std::fs::remove_file(&path).unwrap();
        let e = ts.store.ready_to_write().await.unwrap_err().to_string();
        assert!(e.contains("gone"), "{e}");
        let e = ts
            .store
            .receive("test_push", &raw(2), None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("gone"), "{e}");
    }

    /// Closing a store while another connection reads (a report in the service) does not
    /// wait for that reader: the checkpoint that folds the log meanwhile holds back every
    /// writer, the service's webhooks among them.
    #[tokio::test]
    async fn closing_does_not_wait_for_another_connections_reader() {
        let ts = crate::testing::sqlite().await;
        ts.execute("INSERT INTO sync_state (channel, cursor, updated_at) VALUES ('a', NULL, '2026-12-05T00:00:00Z')")
            .await;
        let path = ts.store.sqlite_file.clone().unwrap();
        let mut reader = lone_connection(&path).await.unwrap();
        sqlx::raw_sql("BEGIN; SELECT COUNT(*) FROM sync_state;")
            .execute(&mut reader)
            .await
            .unwrap();
        // A write after the reader's snapshot, which a full checkpoint must wait for.
        ts.execute("INSERT INTO sync_state (channel, cursor, updated_at) VALUES ('b', NULL, '2026-12-05T00:00:00Z')")
            .await;
        // A bound far above what closing takes, below the wait of a checkpoint that waits
        // (five seconds): not a measure of speed, a check that it does not wait.
        let closed = tokio::time::timeout(Duration::from_millis(2500), ts.store.close()).await;
        assert!(closed.is_ok(), "closing waited for the reader");
        sqlx::raw_sql("COMMIT").execute(&mut reader).await.unwrap();
    }
    /// Leases held for whole runs (a renormalise holds every channel's and the folding
    /// channels' folds) leave the work its own connections: more leases than the work's pool
    /// has connections, and the store still answers.
    #[tokio::test]
    async fn leases_held_leave_the_work_its_connections() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let mut held = Vec::new();
        for i in 0..12 {
            let lease = ts
                .store
                .try_lease(&format!("channel{i}"), "a-run", Duration::from_secs(60))
                .await
                .unwrap_or_else(|e| panic!("lease {i}: {e}"));
            held.push(lease.expect("a free lease"));
        }
        let rows = ts
            .store
            .query("SELECT COUNT(*) FROM complaints")
            .await
            .unwrap();
        assert_eq!(rows.rows[0][0], serde_json::json!(0));
        for l in held {
            l.release().await.unwrap();
        }
    }
    /// The end of a rebuild waits for another writer (a webhook's commit) instead of being
    /// refused at once: it read the fences first and then could not write after that commit.
    #[tokio::test]
    async fn a_rebuild_ends_after_another_writers_commit() {
        let ts = crate::testing::sqlite().await;
        let lease = ts
            .store
            .try_lease("cc112", "a-rebuild", Duration::from_secs(60))
            .await
            .unwrap()
            .expect("a free lease");
        ts.store.begin_rebuild().await.unwrap();
        let holder = ts
            .hold_write_lock(
                Duration::from_millis(300),
                "INSERT INTO sync_state (channel, cursor, updated_at) VALUES ('x', NULL, '2026-12-05T00:00:00Z')",
            )
            .expect("a SQLite store");
        let fences: Vec<_> = lease.fence().into_iter().collect();
        ts.store.finish_rebuild(&fences, "test", &[]).await.unwrap();
        holder.join().unwrap();
        assert_eq!(ts.store.unfinished_rebuild().await.unwrap(), None);
    }
    /// Review (session 44): a store path whose folder is not there (a typo'd
    /// `sqlite:/var/lib/aduna/aduan.db`) made the folders and a new, empty store. It is
    /// refused, naming the folder, and nothing is made; a store in a folder that is there,
    /// or in the current folder, is made as before.
    #[tokio::test]
    async fn a_store_in_a_folder_that_is_not_there_is_refused_and_nothing_made() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("aduna");
        let url = format!("sqlite:{}", missing.join("aduan.db").display());
        let e = Store::open(&url).await.unwrap_err().to_string();
        assert!(
            e.contains("does not exist") && e.contains(&missing.display().to_string()),
            "{e}"
        );
        assert!(!missing.exists(), "no folder made");
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"").unwrap();
        let url = format!("sqlite:{}", file.join("aduan.db").display());
        let e = Store::open(&url).await.unwrap_err().to_string();
        assert!(e.contains("is not a folder"), "{e}");
        let url = format!("sqlite:{}", dir.path().join("aduan.db").display());
        Store::open(&url).await.unwrap().close().await;
    }
    /// Review (session 47): a SQLite URL's query string was cut off without a word, and
    /// `sqlite:aduan.db?mode=ro` opened the store to write. Each option is refused, named
    /// (its value not shown), and nothing is made.
    #[tokio::test]
    async fn a_sqlite_url_with_options_is_refused_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("aduan.db");
        for (query, named) in [
            ("mode=ro", "the option \"mode\""),
            (
                "cache=shared&immutable=1",
                "the options \"cache\", \"immutable\"",
            ),
            ("", "an empty query string"),
            ("mode=rwc&mode=ro", "the option \"mode\""),
        ] {
            let url = format!("sqlite:{}?{query}", db.display());
            for e in [
                Store::open(&url).await.unwrap_err(),
                Store::open_as_is(&url).await.unwrap_err(),
            ] {
                assert!(matches!(e, Error::Url { .. }), "{e}");
                let e = e.to_string();
                assert!(
                    e.contains(named) && e.contains("takes no options but"),
                    "{e}"
                );
            }
            assert!(!db.exists(), "{url}");
        }
        let e = sqlite_path("sqlite:aduan.db?password=s3cret")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"password\"") && !e.contains("s3cret"), "{e}");
    }

    /// Review (session 47): a connection on its way back to the pool when the store was
    /// closed (its checks on release waiting for SQLite's thread) was put among the idle ones
    /// after the pool's close had taken them, and stayed open: the `-wal` stayed beside the
    /// store, and a restore right after (`a_restore_from_a_copy_in_wal_mode_leaves_nothing_
    /// beside_the_copy`, now and then under load) found the store open in another process.
    /// Given back at each of a few moments before the close (which one races depends on the
    /// threads: some did, each time).
    #[tokio::test]
    async fn closing_a_store_closes_a_connection_given_back_meanwhile() {
        let mut open = Vec::new();
        for n in 0..40_u32 {
            let ts = crate::testing::sqlite().await;
            let Backend::Sqlite(pool) = &ts.store.backend else {
                unreachable!("a SQLite store")
            };
            let conn = pool.acquire().await.unwrap();
            drop(conn);
            for _ in 0..n % 8 {
                tokio::task::yield_now().await;
            }
            if n >= 8 {
                tokio::time::sleep(Duration::from_micros(u64::from(n) * 20)).await;
            }
            ts.store.close().await;
            let mut wal = sqlite_path(&ts.url).unwrap().to_string();
            wal.push_str("-wal");
            if pool.size() != 0 || std::path::Path::new(&wal).exists() {
                open.push((n, pool.size()));
            }
        }
        assert!(open.is_empty(), "left open (moment, connections): {open:?}");
    }

    /// A store that is not there is named without a password its URL may carry.
    #[tokio::test]
    async fn a_missing_store_is_named_without_a_password() {
        let e = Store::open_as_is("sqlite:/nonexistent/aduan.db?password=s3cret")
            .await
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret"), "{e}");
    }

    /// Review (session 51): a close cut short leaves the connection still in use open; when
    /// it comes back (the transaction ended late), it is closed, not kept idle in a pool no
    /// one reads again (on SQLite, its `-wal` beside the store; on PostgreSQL, a session and,
    /// for a lease's connection, its advisory lock held until the process ends).
    #[tokio::test]
    async fn a_connection_still_in_use_at_a_close_cut_short_closes_when_it_comes_back() {
        let mut stores = vec![crate::testing::sqlite().await];
        stores.extend(crate::testing::postgres().await);
        for ts in stores {
            let s = &ts.store;
            let writes = s.begin_writes().await.unwrap();
            let lease = s
                .try_lease("sp4n_lapor", "a-run", Duration::from_secs(60))
                .await
                .unwrap()
                .expect("a free lease");
            let e = s.close_within(Duration::from_millis(100)).await;
            assert!(
                matches!(e, Err(Error::NotClosed { .. })),
                "{}: {e:?}",
                ts.label
            );
            drop((writes, lease));
            let size = || {
                on_pool!(s, pool => pool.size()) + s.lease_pool.as_ref().map_or(0, sqlx::Pool::size)
            };
            // Given back by a task of their own: waited for, a while at most.
            for _ in 0..2_000 {
                if size() == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(size(), 0, "{}: connections left open", ts.label);
        }
    }
}
