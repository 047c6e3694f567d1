//! Scheduled backups of the SQLite store ([`Store::backup`]), the newest `keep` kept.
//!
//! Each tick writes `aduan-<UTC time>.db` into the folder; a tick while a backup is still
//! being written is skipped (the next one is computed after it ends). Once a backup is
//! written, the folder's backups beyond the newest `keep` are removed (only files named as
//! this service names them; anything else in the folder is left alone), and `.partial` files
//! that interrupted backups left are removed before each new one.

use std::path::{Path, PathBuf};

use aduan_store::Store;
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use tokio::sync::watch;

use crate::metrics::Metrics;
use crate::{Error, Result};

/// The name of the backup taken at a time: `aduan-20261204T020000Z.db`.
const NAME: &str = "aduan-%Y%m%dT%H%M%SZ.db";

/// Where a backup taken at `at` goes in `dir`: named by its time (`NAME`), a second later
/// for each name taken (a backup, or one being written, in the same second: a second
/// `aduan backup DIR/` within the second after the first failed saying the file exists), so
/// that every backup has a name the pruning reads, in the order they were taken.
pub fn backup_name(dir: &Path, at: DateTime<Utc>) -> PathBuf {
    let mut at = at;
    loop {
        let to = dir.join(at.format(NAME).to_string());
        let partial = dir.join(format!("{}.partial", at.format(NAME)));
        if !to.exists() && !partial.exists() {
            return to;
        }
        at += chrono::TimeDelta::seconds(1);
    }
}

/// Backups of the store on a schedule, into a folder, the newest `keep` kept.
#[derive(Debug, Clone)]
pub struct ScheduledBackup {
    schedule: cron::Schedule,
    expr: String,
    dir: PathBuf,
    keep: usize,
}

impl ScheduledBackup {
    /// Backups on `expr` (a cron expression with a seconds field, `0 0 2 * * *`, in the time
    /// zone `tz`: the service's `schedule_tz`) into `dir` (created when missing), keeping the
    /// newest `keep` (at least one).
    pub fn new(expr: &str, tz: FixedOffset, dir: PathBuf, keep: usize) -> Result<Self> {
        let schedule = aduan_core::schedule::read(expr).map_err(|why| Error::Backup {
            message: format!("schedule {expr:?} is not a schedule (cron, seconds first): {why}"),
        })?;
        if !crate::scheduler::has_time_to_come(&schedule, tz, Utc::now()) {
            return Err(Error::Backup {
                message: format!("schedule {expr:?} has no time to come"),
            });
        }
        if keep == 0 {
            return Err(Error::Backup {
                message: "keep = 0 would remove every backup it writes: keep at least 1".into(),
            });
        }
        Ok(Self {
            schedule,
            expr: expr.to_string(),
            dir,
            keep,
        })
    }
}

/// The backups in `dir` named as this service names them, oldest first.
fn ours(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<(NaiveDateTime, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let taken = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| NaiveDateTime::parse_from_str(n, NAME).ok());
        if let Some(taken) = taken {
            found.push((taken, path));
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// Removes the backups in `dir` beyond the newest `keep` (by the time in their names), never
/// `written`, the one just taken; those removed. A name dated later than `now` and a few
/// minutes (left by a clock once ahead) counts as the oldest: it would otherwise have the
/// newest removed at once, every time, and stay for ever. (Later than `written` alone was
/// not enough: an `aduan backup` into the folder while a long scheduled one was written is
/// the newest, not a clock's slip.)
fn prune(
    dir: &Path,
    keep: usize,
    written: &Path,
    now: DateTime<Utc>,
) -> std::io::Result<Vec<PathBuf>> {
    let ahead = (now + CLOCK_SLACK).naive_utc();
    let (later, earlier): (Vec<PathBuf>, Vec<PathBuf>) = ours(dir)?
        .into_iter()
        .filter(|p| p.file_name() != written.file_name())
        .partition(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| NaiveDateTime::parse_from_str(n, NAME).ok())
                .is_some_and(|taken| taken > ahead)
        });
    let all: Vec<PathBuf> = later.into_iter().chain(earlier).collect();
    let extra = (all.len() + 1).saturating_sub(keep.max(1));
    let mut removed = Vec::new();
    for path in all.into_iter().take(extra) {
        std::fs::remove_file(&path)?;
        removed.push(path);
    }
    Ok(removed)
}

/// How far ahead of the clock a backup's name may be dated and still be a backup taken now
/// (named a second on for each taken in the same second), not a clock's slip.
const CLOCK_SLACK: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// How long a `.partial` file is left unchanged before it counts as what an interrupted
/// backup left: one being written (an `aduan backup` into the same folder) changes as it is.
const ABANDONED: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Removes what interrupted backups left in `dir` (`aduan-<time>.db.partial` and its
/// `-journal`), unchanged for [`ABANDONED`] by `now` (review: a scheduled backup removed the
/// file an `aduan backup` into the folder was writing, which then failed).
fn clear_partials(dir: &Path, now: std::time::SystemTime) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let abandoned = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|changed| changed + ABANDONED <= now);
        if !abandoned {
            continue;
        }
        // The copy, and the journal SQLite keeps beside it while it writes (review: an
        // interrupted backup's `-journal` was left for ever).
        let interrupted = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| {
                ["", "-journal", "-wal", "-shm"]
                    .iter()
                    .find_map(|s| n.strip_suffix(&format!(".partial{s}")))
            })
            .is_some_and(|n| NaiveDateTime::parse_from_str(n, NAME).is_ok());
        if interrupted {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// One backup and the pruning after it; `Err` says why it failed.
async fn backup_once(store: &Store, b: &ScheduledBackup, at: DateTime<Utc>) -> Result<(), String> {
    std::fs::create_dir_all(&b.dir)
        .map_err(|e| format!("cannot create folder {}: {e}", b.dir.display()))?;
    if let Err(e) = clear_partials(&b.dir, std::time::SystemTime::now()) {
        tracing::warn!(folder = %b.dir.display(), error = %e, "Could not remove what interrupted backups left.");
    }
    let to = backup_name(&b.dir, at);
    let written = store
        .backup(&to, &|_, _| {})
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        file = %to.display(),
        bytes = written.bytes,
        raw_records = written.raw_records,
        complaints = written.complaints,
        "Backup written."
    );
    // (Removing files of gigabytes takes a while: off the runtime's workers.)
    let (dir, keep, written) = (b.dir.clone(), b.keep, to.clone());
    let pruned = tokio::task::spawn_blocking(move || prune(&dir, keep, &written, Utc::now()))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    match pruned {
        Ok(removed) => {
            for path in removed {
                tracing::info!(file = %path.display(), keep = b.keep, "Older backup removed.");
            }
        }
        Err(e) => {
            tracing::warn!(folder = %b.dir.display(), error = %e, "Could not remove older backups.")
        }
    }
    Ok(())
}

/// The backups' loop: a backup at each tick until `stop`; a backup being written when
/// `stop` comes is finished (within the service's grace period).
pub(crate) async fn backup_loop(
    b: ScheduledBackup,
    store: Store,
    tz: FixedOffset,
    metrics: Metrics,
    mut stop: watch::Receiver<bool>,
) {
    metrics.backups_scheduled();
    tracing::info!(schedule = %b.expr, folder = %b.dir.display(), keep = b.keep, "Backups scheduled.");
    loop {
        let Some(tick) = b.schedule.after(&Utc::now().with_timezone(&tz)).next() else {
            tracing::warn!(schedule = %b.expr, "The backup schedule has no further time; no more backups.");
            break;
        };
        tokio::select! {
            () = tokio::time::sleep(crate::scheduler::until(tick)) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        let at = Utc::now();
        match backup_once(&store, &b, at).await {
            Ok(()) => metrics.backup_done(Some(at)),
            Err(error) => {
                tracing::error!(%error, folder = %b.dir.display(), "Backup failed.");
                metrics.backup_done(None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backup in the same second as another, or as one still being written, is named a
    /// second on, under a name the pruning reads.
    #[test]
    fn a_backup_in_the_same_second_as_another_is_named_a_second_on() {
        let dir = tempfile::tempdir().unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-06T16:04:43Z")
            .unwrap()
            .with_timezone(&Utc);
        let name = |p: PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            name(backup_name(dir.path(), at)),
            "aduan-20261206T160443Z.db"
        );
        std::fs::write(dir.path().join("aduan-20261206T160443Z.db"), b"").unwrap();
        std::fs::write(dir.path().join("aduan-20261206T160444Z.db.partial"), b"").unwrap();
        let next = backup_name(dir.path(), at);
        assert_eq!(name(next.clone()), "aduan-20261206T160445Z.db");
        assert!(NaiveDateTime::parse_from_str(&name(next), NAME).is_ok());
    }

    #[test]
    fn pruning_keeps_the_newest_of_its_own_backups_and_nothing_else_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "aduan-20261201T020000Z.db",
            "aduan-20261203T020000Z.db",
            "aduan-20261202T020000Z.db",
            "aduan-20261130T020000Z.db.partial",
            "aduan-20261129T020000Z.db.partial-journal",
            "aduan-copy.db.partial-journal",
            "aduan-copy.db",
            "notes.txt",
        ];
        for n in names {
            std::fs::write(dir.path().join(n), n).unwrap();
        }
        // Being written (changed just now): left.
        clear_partials(dir.path(), std::time::SystemTime::now()).unwrap();
        assert!(dir
            .path()
            .join("aduan-20261130T020000Z.db.partial")
            .exists());
        let later = std::time::SystemTime::now() + ABANDONED;
        clear_partials(dir.path(), later).unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let written = dir.path().join("aduan-20261203T020000Z.db");
        let removed = prune(dir.path(), 2, &written, at("2026-12-03T02:05:00Z")).unwrap();
        assert_eq!(removed, [dir.path().join("aduan-20261201T020000Z.db")]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "aduan-20261202T020000Z.db",
                "aduan-20261203T020000Z.db",
                "aduan-copy.db",
                "aduan-copy.db.partial-journal",
                "notes.txt"
            ]
        );
        // A backup named later than the one just written (a clock once ahead): the one just
        // written stays, and the later-named counts as the oldest (review: the newest was
        // removed at once, every time, and the later-named stayed for ever).
        let future = dir.path().join("aduan-20271201T020000Z.db");
        std::fs::write(&future, "x").unwrap();
        let written = dir.path().join("aduan-20261204T020000Z.db");
        std::fs::write(&written, "x").unwrap();
        let removed = prune(dir.path(), 2, &written, at("2026-12-04T02:05:00Z")).unwrap();
        assert_eq!(
            removed,
            [future, dir.path().join("aduan-20261202T020000Z.db")]
        );
        assert!(written.exists());
        assert!(dir.path().join("aduan-20261203T020000Z.db").exists());
        // A backup taken by hand while a long one was written, named after it: the newest,
        // kept; the oldest goes (review: it was taken for a clock's slip and removed).
        let by_hand = dir.path().join("aduan-20261205T020001Z.db");
        std::fs::write(&by_hand, "x").unwrap();
        let written = dir.path().join("aduan-20261205T020000Z.db");
        std::fs::write(&written, "x").unwrap();
        let removed = prune(dir.path(), 2, &written, at("2026-12-05T02:30:00Z")).unwrap();
        assert_eq!(
            removed,
            [
                dir.path().join("aduan-20261203T020000Z.db"),
                dir.path().join("aduan-20261204T020000Z.db")
            ]
        );
        assert!(written.exists() && by_hand.exists());
    }

    #[test]
    fn a_bad_schedule_or_keeping_none_is_refused() {
        let wib = aduan_core::time::wib();
        let err = ScheduledBackup::new("nightly", wib, "b".into(), 3).unwrap_err();
        assert!(err.to_string().contains("\"nightly\""), "{err}");
        let err = ScheduledBackup::new("0 0 2 * * *", wib, "b".into(), 0).unwrap_err();
        assert!(err.to_string().contains("keep at least 1"), "{err}");
    }
}
