//! Restoring the SQLite store from a backup: the backup checked, the store's file kept
//! beside it under another name, the backup's copy put in its place.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::backup::{checked_counts, flush_folder_of, with_suffix};
use crate::error::Context;
use crate::{Error, Result, Store};

/// What a restore put in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    /// The backup's size in bytes.
    pub bytes: u64,
    /// Archived payloads in the backup.
    pub raw_records: i64,
    /// Complaints in the backup.
    pub complaints: i64,
    /// Where the store's file was kept (`None`: there was none).
    pub kept: Option<PathBuf>,
}

/// The bytes copied between two calls of a restore's `progress`.
const COPY_CHUNK: usize = 1 << 20;

impl Store {
    /// Puts the backup `from` (a file [`backup`](Self::backup) wrote) in the place of the
    /// SQLite store at `url`, which no process may have open.
    ///
    /// The backup is checked first (`PRAGMA quick_check`, its rows counted; it is only
    /// read). The store's file, if there is one, is kept under its name with
    /// `.before-restore-<UTC time>` appended, after its log is folded into it; the store is
    /// refused, and left as it is, while a run holds a channel's lease or while another
    /// connection has it open (SQLite removes the `-wal` when the last connection closes:
    /// one that stays after this function's own connection closed belongs to another
    /// process, `aduan serve` say). The backup is copied to the store's name with
    /// `.restore.partial` appended, flushed to disk and renamed over the store's name in one
    /// step: the name always holds either the store as it was or the whole backup.
    /// `progress` is told the bytes copied and the backup's size. The restored store is
    /// migrated when it is next opened, as any store.
    ///
    /// PostgreSQL stores are refused: the server's own tools restore them.
    pub async fn restore(
        url: &str,
        from: &Path,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<RestoreSummary> {
        let shown = from.display().to_string();
        let fail = |message: String| Error::Restore {
            from: shown.clone(),
            message,
        };
        if crate::is_postgres_url(url) {
            return Err(fail(
                "the store is PostgreSQL: restore it with the server's own tools \
                 (`pg_restore`); `aduan restore` restores SQLite stores"
                    .into(),
            ));
        }
        let store = PathBuf::from(crate::sqlite_path(url)?);
        let (raw_records, complaints) = check_backup(from).await?;
        if store.exists() && same_file(from, &store) {
            return Err(fail("that is the store itself, not a backup of it".into()));
        }
        let kept = if store.exists() {
            fold_and_check_unused(&store, &fail).await?;
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let kept = with_suffix(&store, &format!(".before-restore-{stamp}"));
            std::fs::hard_link(&store, &kept).map_err(|e| {
                fail(format!(
                    "cannot keep the store as {}: {e}; nothing was changed",
                    kept.display()
                ))
            })?;
            Some(kept)
        } else {
            None
        };
        let partial = with_suffix(&store, ".restore.partial");
        let placed = copy_flushed(from, &partial, progress)
            .and_then(|bytes| std::fs::rename(&partial, &store).map(|()| bytes));
        let bytes = match placed {
            Ok(bytes) => bytes,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                if let Some(kept) = &kept {
                    let _ = std::fs::remove_file(kept);
                }
                return Err(fail(format!(
                    "cannot put the backup in the place of {}: {e}; the store is as it was",
                    store.display()
                )));
            }
        };
        // No connection was open: what is left of the old store's shared memory goes.
        let _ = std::fs::remove_file(with_suffix(&store, "-shm"));
        flush_folder_of(&store, "The store is restored");
        progress(bytes, bytes);
        Ok(RestoreSummary {
            bytes,
            raw_records,
            complaints,
            kept,
        })
    }
}

/// Checks a backup without changing it; its raw records and complaints.
async fn check_backup(from: &Path) -> Result<(i64, i64)> {
    let shown = from.display().to_string();
    let fail = |message: String| Error::Restore {
        from: shown.clone(),
        message,
    };
    if !from.is_file() {
        return Err(fail("no such file".into()));
    }
    // What sits in a log beside the file would not be copied with it.
    if std::fs::metadata(with_suffix(from, "-wal")).is_ok_and(|m| m.len() > 0) {
        return Err(fail(
            "a -wal beside it holds writes that are not in the file (a store in use, or one \
             not closed): restore from a file `aduan backup` wrote, or close that store first"
                .into(),
        ));
    }
    let what = || format!("checking the backup {shown}");
    let mut c = SqliteConnectOptions::new()
        .filename(from)
        .read_only(true)
        .connect()
        .await
        .context(what)?;
    let counts = checked_counts(&mut c, &what).await;
    let _ = c.close().await;
    match counts {
        Ok(Ok(counts)) => Ok(counts),
        Ok(Err(found)) => Err(fail(format!("the backup failed SQLite's check: {found}"))),
        Err(e) => Err(fail(format!("not a backup of an Aduan store ({e})"))),
    }
}

/// Whether two paths name one file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Folds the store's log into its file and makes sure that no run holds a lease and no
/// other connection has it open (see [`Store::restore`]); `refuse` makes the error that
/// says which.
async fn fold_and_check_unused(store: &Path, refuse: &dyn Fn(String) -> Error) -> Result<()> {
    let shown = store.display().to_string();
    let what = || format!("opening the store {shown}");
    let mut c = crate::lone_connection(store).await.context(what)?;
    // A store too old or too new to have leases, or not a store: nothing runs on it.
    let leased: Vec<(String, String)> = sqlx::query_as(
        "SELECT channel, expires_at FROM sync_leases WHERE expires_at > $1 ORDER BY channel",
    )
    .bind(chrono::Utc::now())
    .fetch_all(&mut c)
    .await
    .unwrap_or_default();
    if let Some(last) = leased.iter().map(|(_, until)| until).max() {
        let _ = c.close().await;
        let channels: Vec<&str> = leased.iter().map(|(c, _)| c.as_str()).collect();
        // A run renews its lease as it goes; one killed without giving it back leaves it to
        // run out. (The times are the store's RFC 3339 text, which sorts as time.)
        let until = aduan_core::time::parse_rfc3339(last)
            .map_or_else(|| last.clone(), |t| t.format("%H:%M:%S UTC").to_string());
        return Err(refuse(format!(
            "a run holds the lease of {} in {shown}: let it finish (or stop `aduan serve`) and run again; a lease left by a run that was killed runs out by {until}; the store is as it was",
            channels.join(", ")
        )));
    }
    // A damaged store may not fold its log (a restore is then what it needs).
    let folded = crate::fold_log(c).await;
    if with_suffix(store, "-wal").exists() {
        return Err(refuse(match folded {
            Ok(_) => format!(
                "{shown} is open in another process (`aduan serve`, a sync, an analyst's \
                 tool): stop it and run again; the store is as it was"
            ),
            Err(e) => format!(
                "the log of {shown} could not be folded into it ({e}), and it may be open in \
                 another process: stop every process using it, move it away together with its \
                 -wal and -shm files, and run again; the store is as it was"
            ),
        }));
    }
    Ok(())
}

/// Copies `from` to `to` (replaced if it exists; made as [`crate::create_private`] makes a
/// file) and flushes it to disk, telling `progress`
/// the bytes copied; the bytes.
fn copy_flushed(
    from: &Path,
    to: &Path,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> std::io::Result<u64> {
    let mut input = std::fs::File::open(from)?;
    let total = input.metadata()?.len();
    match std::fs::remove_file(to) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut output = crate::create_private(to)?;
    let mut buffer = vec![0; COPY_CHUNK];
    let mut done = 0;
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        output.write_all(&buffer[..n])?;
        done += n as u64;
        progress(done, total.max(done));
    }
    output.sync_all()?;
    Ok(done)
}
