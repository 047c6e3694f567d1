//! A backup of the SQLite store: a consistent, checked copy in one file, taken while syncs,
//! the service and analysts go on using the store.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};

use crate::error::Context;
use crate::{Backend, Error, Result, Store};

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    /// The copy's size in bytes.
    pub bytes: u64,
    /// Archived payloads in the copy.
    pub raw_records: i64,
    /// Complaints in the copy.
    pub complaints: i64,
}

/// How often a backup tells its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// `path` with `suffix` appended to its file name.
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether a copy of about `expected` bytes fits in `free` bytes, with room to spare (a
/// tenth more, and 64 MiB for the store's own log meanwhile), or why not.
fn room_for(expected: u64, free: u64) -> std::result::Result<(), String> {
    let needed = expected
        .saturating_add(expected / 10)
        .saturating_add(64 << 20);
    if free >= needed {
        Ok(())
    } else {
        Err(format!(
            "the copy needs about {:.0} MB with room to spare, and {:.0} MB are free",
            needed as f64 / 1e6,
            free as f64 / 1e6
        ))
    }
}

/// The bytes an unprivileged writer may still write in the file system of `path`; `None`
/// when it cannot be told.
fn free_bytes(path: &Path) -> Option<u64> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: `statvfs` only fills the struct it is given, for the NUL-terminated path,
    // which lives across the call; a zeroed `statvfs` is a valid value of that plain struct.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::statvfs(c.as_ptr(), &mut s) } == 0;
    #[allow(clippy::unnecessary_cast)] // (the fields' types differ between platforms)
    ok.then(|| (s.f_bavail as u64).saturating_mul(s.f_frsize as u64))
}

/// The file a backup writes before it is checked and given its name.
fn partial_path(to: &Path) -> PathBuf {
    with_suffix(to, ".partial")
}

impl Store {
    /// Writes a copy of the SQLite store to `to`, a file that must not exist yet.
    ///
    /// The copy is one snapshot of the store (SQLite's `VACUUM INTO`, a read transaction:
    /// writers are not held up, and what they commit meanwhile is not in it), compacted, in a
    /// single file (no `-wal` beside it). It is written to `to` with `.partial` appended,
    /// checked (`PRAGMA quick_check`, and its rows counted), flushed to disk and only then
    /// given the name `to` (a file that appeared there meanwhile is not replaced): a backup
    /// that fails or is interrupted never leaves a file under that name, and a `.partial` file
    /// an interrupted one left is replaced (one that is the store itself is refused, nothing
    /// written). `progress` is told the bytes written so far and
    /// about how many the copy will hold.
    ///
    /// PostgreSQL stores are refused: the server's own tools back them up.
    pub async fn backup(
        &self,
        to: &Path,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<BackupSummary> {
        let shown = to.display().to_string();
        let fail = |message: String| Error::Backup {
            to: shown.clone(),
            message,
        };
        let Backend::Sqlite(pool) = &self.backend else {
            return Err(fail(
                "the store is PostgreSQL: back it up with the server's own tools \
                 (`pg_dump --format=custom`, or base backups with WAL archiving); \
                 `aduan backup` copies SQLite stores"
                    .into(),
            ));
        };
        if to.exists() {
            return Err(fail(
                "the file exists; a backup never replaces a file: give a new name".into(),
            ));
        }
        let partial = partial_path(to);
        // The store itself under the name the copy is first written to (a store named
        // `….partial`): what an interrupted backup left there is removed before the copy, and
        // that was the store (review of session 49).
        if let Some(store) = &self.sqlite_file {
            if crate::restore::same_file(&partial, store) {
                return Err(fail(format!(
                    "the copy is first written to {}, which is the store itself (a backup \
                     removes what an interrupted one left there): give the backup another \
                     name; nothing was written",
                    partial.display()
                )));
            }
        }
        let Some(partial_str) = partial.to_str() else {
            return Err(fail("the path is not UTF-8".into()));
        };
        let dir = to
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .map_err(|e| fail(format!("cannot create folder {}: {e}", dir.display())))?;
        let what = || format!("backing up to {shown}");
        let expected: i64 = sqlx::query_scalar(
            "SELECT (p.page_count - f.freelist_count) * s.page_size \
             FROM pragma_page_count() AS p, pragma_freelist_count() AS f, pragma_page_size() AS s",
        )
        .fetch_one(pool)
        .await
        .context(what)?;
        let expected = u64::try_from(expected).unwrap_or(0);
        // A copy the disk cannot hold is not begun: filling it would fail the copy, and the
        // store's own commits meanwhile when it is the same disk, night after night.
        if let Some(free) = free_bytes(dir) {
            room_for(expected, free).map_err(|why| {
                fail(format!(
                    "{why} on the disk of {}; nothing was written (free some room, or back up \
                     to another disk)",
                    dir.display()
                ))
            })?;
        }
        match std::fs::remove_file(&partial) {
            Ok(()) => {
                tracing::info!(file = %partial.display(), "Removed what an interrupted backup left.")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(format!("cannot remove {partial_str}: {e}"))),
        }
        // `VACUUM INTO` fills an empty file: made first, it is never readable by others.
        crate::create_private(&partial)
            .map_err(|e| fail(format!("cannot create {partial_str}: {e}")))?;
        let vacuum = sqlx::query("VACUUM INTO ?1")
            .bind(partial_str)
            .execute(pool);
        tokio::pin!(vacuum);
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        let copied = loop {
            tokio::select! {
                done = &mut vacuum => break done,
                _ = tick.tick() => {
                    let written = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
                    progress(written, expected.max(written));
                }
            }
        };
        let checked = match copied.context(what) {
            Ok(_) => check(&partial).await,
            Err(e) => Err(e),
        };
        let (raw_records, complaints) = match checked {
            Ok(counts) => counts,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        // (Flushing a copy of gigabytes takes seconds: off the runtime's workers, whose
        // other tasks, a service's webhooks, go on meanwhile.)
        let (from, named) = (partial.to_path_buf(), to.to_path_buf());
        let settled = tokio::task::spawn_blocking(move || settle(&from, &named))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        let bytes = settled.map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                fail("the file appeared while the backup ran; it was left as it is".into())
            } else {
                fail(format!("cannot give the copy its name: {e}"))
            }
        })?;
        progress(bytes, bytes);
        Ok(BackupSummary {
            bytes,
            raw_records,
            complaints,
        })
    }
}

/// Checks a copy and counts its raw records and complaints; leaves it a single file in
/// rollback-journal mode.
async fn check(path: &Path) -> Result<(i64, i64)> {
    let shown = path.display().to_string();
    let what = || format!("checking the copy {shown}");
    let mut c = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Delete)
        .connect()
        .await
        .context(what)?;
    let counts = checked_counts(&mut c, &what)
        .await?
        .map_err(|found| Error::Backup {
            to: shown.clone(),
            message: format!("the copy failed SQLite's check: {found}"),
        })?;
    c.close().await.context(what)?;
    Ok(counts)
}

/// Runs SQLite's `PRAGMA quick_check` over a copy of the store and counts its raw records
/// and complaints; the inner `Err` says what the check found wrong.
pub(crate) async fn checked_counts(
    c: &mut sqlx::SqliteConnection,
    what: &(dyn Fn() -> String + Sync),
) -> Result<std::result::Result<(i64, i64), String>> {
    let found: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_all(&mut *c)
        .await
        .context(what)?;
    if found != ["ok"] {
        return Ok(Err(found.join("; ")));
    }
    let counts = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM raw_records), (SELECT COUNT(*) FROM complaints)",
    )
    .fetch_one(&mut *c)
    .await
    .context(what)?;
    Ok(Ok(counts))
}

/// Flushes the checked copy to disk and gives it its name, never replacing a file (a link
/// fails where the name is taken); its size. Once it has its name the copy is whole: failing
/// to remove the `.partial` name or to flush the folder is then a warning, not a failed
/// backup (a retry would only meet the file it made).
fn settle(partial: &Path, to: &Path) -> std::io::Result<u64> {
    let file = std::fs::File::open(partial)?;
    file.sync_all()?;
    let bytes = file.metadata()?.len();
    drop(file);
    std::fs::hard_link(partial, to)?;
    if let Err(e) = std::fs::remove_file(partial) {
        tracing::warn!(file = %partial.display(), error = %e, "The backup is complete under its name; its temporary name could not be removed.");
    }
    flush_folder_of(to, "The backup is complete");
    Ok(bytes)
}

/// Flushes the folder of `file` to disk (a name given in it lasts a crash); a failure is
/// logged as a warning after `done`, which says what is complete all the same.
pub(crate) fn flush_folder_of(file: &Path, done: &str) {
    #[cfg(unix)]
    if let Some(dir) = file.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
            tracing::warn!(folder = %dir.display(), error = %e, "{done}; its folder could not be flushed to disk.");
        }
    }
    #[cfg(not(unix))]
    let _ = (file, done);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review of session 49: a store named as a backup's copy is first written (`aduan.db.partial`,
    /// backed up to `aduan.db`) was removed as what an interrupted backup left. The backup is
    /// refused before anything is written, the store as it was.
    #[tokio::test]
    async fn a_store_named_as_the_copy_is_first_written_is_refused_and_left_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("aduan.db.partial");
        let s = Store::open(&format!("sqlite:{}", store.display()))
            .await
            .unwrap();
        let c = rusqlite::Connection::open(&store).unwrap();
        c.execute_batch("CREATE TABLE seen (n INTEGER NOT NULL); INSERT INTO seen VALUES (1)")
            .unwrap();
        drop(c);
        let to = dir.path().join("aduan.db");

        let refused = s.backup(&to, &|_, _| {}).await;

        let refused = refused
            .expect_err("the store is the copy's name")
            .to_string();
        assert!(
            refused.contains("which is the store itself")
                && refused.contains("nothing was written"),
            "{refused}"
        );
        assert!(!to.exists());
        assert!(store.is_file(), "the store is where it was");
        let seen = s.query("SELECT n FROM seen").await.unwrap().rows.len();
        assert_eq!(seen, 1);
        s.close().await;
    }

    /// A backup that would fill the disk is not begun (review: it filled the store's own
    /// disk, failing the store's commits meanwhile, night after night).
    #[test]
    fn a_copy_is_begun_only_with_room_to_spare() {
        assert!(room_for(1_000_000_000, 2_000_000_000).is_ok());
        let e = room_for(1_000_000_000, 1_100_000_000).unwrap_err();
        assert!(e.contains("1167 MB") && e.contains("1100 MB"), "{e}");
        assert!(room_for(0, 64 << 20).is_ok());
        assert!(room_for(0, (64 << 20) - 1).is_err());
        // A folder's file system tells its free bytes; a folder that is not there, nothing.
        assert!(free_bytes(Path::new(".")).is_some_and(|n| n > 0));
        assert!(free_bytes(Path::new("/no/such/folder")).is_none());
    }
}
