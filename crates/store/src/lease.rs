//! Leases: two runs of one channel never overlap. SQLite: a row in `sync_leases` that the
//! holder renews; PostgreSQL: a session advisory lock held on a dedicated connection, freed
//! by the server if the process dies, beside a second one, shared, keyed by the holder and the
//! channel, which names the holder (an advisory lock holds a number, nothing else): a run
//! whose process was killed is told from a rebuild holding its channel.
//!
//! A lease is also checked where it matters, inside each transaction written under it (its
//! [`Fence`], see [`crate::WriteBatch::fences`]): a holder that lost its lease (a SQLite
//! lease that expired and was taken, a PostgreSQL lock freed when its connection dropped)
//! has its transaction rolled back instead of committed beside the new holder's. On SQLite
//! the check runs under the database's write lock, which the taker needs too. On PostgreSQL
//! the check holds a second lock (the fence key) shared until its commit, and a taker waits
//! for that lock exclusively once before it writes: a transaction of the old holder either
//! commits before the new holder starts or finds the lock gone.

use std::time::Duration;

use chrono::Utc;
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, SqlitePool};

use crate::error::Context;
use crate::{Backend, Result, Store};

/// A held lease on a channel. Release it with [`Lease::release`]; a SQLite lease that is
/// not renewed expires after its time to live, and a PostgreSQL lease dropped without
/// being released closes its connection (the lock goes with the session instead of staying
/// held by a connection back in the pool).
#[derive(Debug)]
pub struct Lease {
    channel: String,
    holder: String,
    /// `None` once released.
    inner: Option<Inner>,
}

#[derive(Debug)]
enum Inner {
    Sqlite {
        pool: SqlitePool,
        ttl: Duration,
        /// When the lease was last taken or extended.
        renewed: std::time::Instant,
    },
    Postgres {
        conn: PoolConnection<Postgres>,
        key: i64,
        /// The lock's session, whose lock the fence looks for: its process and when it
        /// started (a process id alone may be another session's later).
        pid: i32,
        started: chrono::DateTime<Utc>,
        fence_key: i64,
        /// The lock that names the holder (see [`holder_key`]).
        holder_key: i64,
    },
}

/// A run going on now (see [`Store::runs_in_progress`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInProgress {
    /// The channel.
    pub channel: String,
    /// The run's id (`sync_runs.run_id`).
    pub run_id: String,
    /// When it started.
    pub started_at: chrono::DateTime<Utc>,
}

/// A transaction that checks [`Fence`]s before it commits: [`Error::LeaseLost`] for the
/// first lease that is no longer its holder's (the caller then drops the transaction, which
/// rolls it back).
///
/// [`Error::LeaseLost`]: crate::Error::LeaseLost
pub(crate) trait Fenced {
    /// Checks every fence of `fences` inside this transaction.
    async fn check_fences(&mut self, fences: &[Fence]) -> Result<()>;

    /// Checks `fences` as the first thing a transaction that then reads does: after a
    /// write that changes nothing, so that on SQLite the transaction holds the write lock
    /// (waiting for another writer's commit) before it reads the fences. A read first would
    /// be refused at once when it came to write after another commit.
    async fn lock_and_check_fences(&mut self, fences: &[Fence]) -> Result<()>;
}

/// The write that changes nothing of [`Fenced::lock_and_check_fences`].
const TAKE_WRITE_LOCK: &str = "UPDATE sync_state SET channel = channel WHERE 1 = 0";

impl Fenced for sqlx::SqliteConnection {
    async fn check_fences(&mut self, fences: &[Fence]) -> Result<()> {
        for f in fences {
            f.check_sqlite(self).await?;
        }
        Ok(())
    }

    async fn lock_and_check_fences(&mut self, fences: &[Fence]) -> Result<()> {
        sqlx::query(TAKE_WRITE_LOCK)
            .execute(&mut *self)
            .await
            .context(|| "taking the write lock".into())?;
        self.check_fences(fences).await
    }
}

impl Fenced for sqlx::PgConnection {
    async fn check_fences(&mut self, fences: &[Fence]) -> Result<()> {
        for f in fences {
            f.check_postgres(self).await?;
        }
        Ok(())
    }

    async fn lock_and_check_fences(&mut self, fences: &[Fence]) -> Result<()> {
        sqlx::query(TAKE_WRITE_LOCK)
            .execute(&mut *self)
            .await
            .context(|| "taking the write lock".into())?;
        self.check_fences(fences).await
    }
}

/// What a transaction written under a lease checks before it commits (see the module's
/// documentation): that the lease is still this holder's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub(crate) channel: String,
    pub(crate) kind: FenceKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FenceKind {
    /// The row of `sync_leases` that names the holder.
    Sqlite { holder: String },
    /// The session `pid`, started at `started`, holds the advisory lock `key`; `fence_key`
    /// is shared meanwhile.
    Postgres {
        key: i64,
        pid: i32,
        started: chrono::DateTime<Utc>,
        fence_key: i64,
    },
}

impl Fence {
    /// The lease's channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// Checks, inside the SQLite transaction `tx` (which holds the database's write lock
    /// once it has written), that the lease is still the holder's.
    async fn check_sqlite(&self, tx: &mut sqlx::SqliteConnection) -> Result<()> {
        let FenceKind::Sqlite { holder } = &self.kind else {
            return Err(self.lost());
        };
        let held: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM sync_leases WHERE channel = $1 AND holder = $2")
                .bind(&self.channel)
                .bind(holder)
                .fetch_optional(&mut *tx)
                .await
                .context(|| format!("checking the lease of {}", self.channel))?;
        held.map(|_| ()).ok_or_else(|| self.lost())
    }

    /// Checks, inside the PostgreSQL transaction `tx`, that the lease's session still holds
    /// its lock, and holds the fence key shared until `tx` ends (a new holder waits for it).
    async fn check_postgres(&self, tx: &mut sqlx::PgConnection) -> Result<()> {
        let FenceKind::Postgres {
            key,
            pid,
            started,
            fence_key,
        } = &self.kind
        else {
            return Err(self.lost());
        };
        let what = || format!("checking the lease of {}", self.channel);
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
            .bind(fence_key)
            .execute(&mut *tx)
            .await
            .context(what)?;
        // The sessions as they are now: a transaction keeps the first list it read, and an
        // earlier fence's check may have read it before this lease's session ended.
        sqlx::query("SELECT pg_stat_clear_snapshot()")
            .execute(&mut *tx)
            .await
            .context(what)?;
        // A bigint advisory key is held as (classid, objid) = (high, low) 32 bits, objsubid 1.
        let bits = *key as u64;
        let held: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.pid = $1 \
             AND a.backend_start = $4 AND l.classid::bigint = $2 AND l.objid::bigint = $3 \
             AND l.objsubid = 1 \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
        )
        .bind(pid)
        .bind((bits >> 32) as i64)
        .bind((bits & 0xffff_ffff) as i64)
        .bind(started)
        .fetch_one(&mut *tx)
        .await
        .context(what)?;
        if held {
            Ok(())
        } else {
            Err(self.lost())
        }
    }

    fn lost(&self) -> crate::Error {
        crate::Error::LeaseLost {
            channel: self.channel.clone(),
        }
    }
}

/// The runs without an end, each channel's newest first: the channels by a walk over
/// `sync_runs_channel_started` (one probe a channel), then each one's looked up in
/// `sync_runs_outcome` (`channel`, `outcome` NULL). `outcome IS NULL` alone found no index
/// to look it up in (the channel leads both) and read every run that did the work, on each
/// scrape of `/metrics`.
const UNENDED_RUNS_SQL: &str = "WITH RECURSIVE c(channel) AS (SELECT MIN(channel) FROM sync_runs \
     UNION ALL SELECT (SELECT MIN(k.channel) FROM sync_runs k WHERE k.channel > c.channel) \
     FROM c WHERE c.channel IS NOT NULL) \
     SELECT r.channel, r.run_id, r.started_at FROM c JOIN sync_runs r ON r.channel = c.channel \
     WHERE r.outcome IS NULL ORDER BY r.channel, r.started_at DESC, r.run_id DESC";

/// A stable 64-bit key for an advisory lock.
fn lock_key(scope: &str, channel: &str) -> i64 {
    crate::fnv1a(scope.bytes().chain([0]).chain(channel.bytes())) as i64
}

/// The key of the lock, held shared beside a PostgreSQL lease's own, that names its holder
/// (a run's id) on `channel`: whether a run goes on is whether its lease is held by it, not by
/// a rebuild or a retry.
fn holder_key(scope: &str, holder: &str, channel: &str) -> i64 {
    lock_key(&format!("{scope}\0holder\0{holder}"), channel)
}

/// The condition on `pg_locks` (aliased `l`) that the advisory lock of the bigint key bound
/// at `$n` is granted in this database: the key is held as (classid, objid) = its (high, low)
/// 32 bits, objsubid 1.
pub(crate) fn granted_lock(l: &str, n: u8) -> String {
    format!(
        "{l}.locktype = 'advisory' AND {l}.granted \
         AND {l}.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND {l}.classid = ((${n}::bigint >> 32) & 4294967295)::oid \
         AND {l}.objid = (${n}::bigint & 4294967295)::oid AND {l}.objsubid = 1"
    )
}

impl Store {
    /// The PostgreSQL advisory lock a lease of `channel` takes, to find its holder in
    /// `pg_locks` (`classid` its high 32 bits, `objid` its low 32 bits, `objsubid` 1); `None`
    /// on SQLite, whose leases are the rows of `sync_leases`.
    pub fn lease_lock_key(&self, channel: &str) -> Option<i64> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(_) => Some(lock_key(
                self.schema.as_deref().unwrap_or_default(),
                channel,
            )),
        }
    }

    /// Whether a process holds the lease of `channel` now (SQLite: a row not yet lapsed;
    /// PostgreSQL: the advisory lock granted to a session of this database).
    pub async fn lease_held(&self, channel: &str) -> Result<bool> {
        let what = || format!("reading whether the lease of {channel} is held");
        match &self.backend {
            Backend::Sqlite(pool) => sqlx::query_scalar::<_, String>(
                "SELECT holder FROM sync_leases WHERE channel = $1 AND expires_at >= $2",
            )
            .bind(channel)
            .bind(Utc::now())
            .fetch_optional(pool)
            .await
            .context(what)
            .map(|holder| holder.is_some_and(|h| !holder_gone(&h))),
            Backend::Postgres(pool) => {
                let key = lock_key(self.schema.as_deref().unwrap_or_default(), channel);
                sqlx::query_scalar::<_, i64>(&format!(
                    "SELECT COUNT(*) FROM pg_locks l WHERE {}",
                    granted_lock("l", 1)
                ))
                .bind(key)
                .fetch_one(pool)
                .await
                .context(what)
                .map(|n| n > 0)
            }
        }
    }

    /// The run of each channel going on now, in this process or another on the store: the
    /// channel's latest run without an end, while its lease is held (SQLite: by that run, a
    /// lease not lapsed and not of a process of this machine that is gone; PostgreSQL: the
    /// lock granted to a session of this database that holds the lock naming the run, or an
    /// older Aduan's, naming none).
    /// A run whose process was killed has no end recorded until the channel's next run: it
    /// is not going on, and not listed, once its lease is not its own (freed with its
    /// process, as [`lease_held`](Self::lease_held) and the next run's
    /// [`try_lease`](Self::try_lease) take it, or another holder's: a rebuild, a retry).
    pub async fn runs_in_progress(&self) -> Result<Vec<RunInProgress>> {
        let what = || "reading the runs in progress".to_string();
        // Runs without an end are few (those going on, and those killed since the
        // channel's last run): looked up through `sync_runs_outcome`, channel by channel.
        let unended: Vec<(String, String, chrono::DateTime<Utc>)> = crate::on_pool!(self, pool => {
            sqlx::query_as(UNENDED_RUNS_SQL)
            .fetch_all(pool)
            .await
            .context(what)
        })?;
        let mut out: Vec<RunInProgress> = Vec::new();
        for (channel, run_id, started_at) in unended {
            if out.last().is_some_and(|r| r.channel == channel) {
                continue;
            }
            if self.run_going_on(&channel, &run_id).await? {
                out.push(RunInProgress {
                    channel,
                    run_id,
                    started_at,
                });
            }
        }
        Ok(out)
    }

    /// Whether the run `run_id` of `channel` (one without an end) goes on now: the channel's
    /// lease is held by that run (SQLite: not lapsed, and not by a process of this machine
    /// that is gone; PostgreSQL: by a session of this database that holds the lock naming the
    /// run, [`holder_key`], beside it, or no such lock at all, an older Aduan's: a rebuild or
    /// a retry holding the channel is no run). A
    /// run ends after its lease is given back, and starts after its lease is taken: a caller
    /// that read the run's row before this is told whether it went on then, or ended (its
    /// row read again says which) or was killed.
    pub(crate) async fn run_going_on(&self, channel: &str, run_id: &str) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(pool) => Ok(sqlx::query_scalar::<_, String>(
                "SELECT holder FROM sync_leases WHERE channel = $1 AND expires_at >= $2",
            )
            .bind(channel)
            .bind(Utc::now())
            .fetch_optional(pool)
            .await
            .context(|| format!("reading whether the lease of {channel} is held"))?
            .is_some_and(|h| {
                h.split_once(PLACE).map_or(h.as_str(), |(run, _)| run) == run_id && !holder_gone(&h)
            })),
            Backend::Postgres(pool) => {
                let scope = self.schema.as_deref().unwrap_or_default();
                // A session holding the channel's lock and no shared advisory lock at all
                // (a newer one's holder lock, granted or waited for) is an older Aduan's,
                // whose lease names no holder: its run goes on, as that Aduan reads it
                // (review, session 48: it read as killed, and every run of the processes
                // not yet upgraded failed `aduan status` while they were upgraded one by
                // one). (A newer holder takes its own before the channel's, in one statement.)
                sqlx::query_scalar::<_, bool>(&format!(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE {} AND (\
                     EXISTS (SELECT 1 FROM pg_locks h WHERE h.pid = l.pid AND {}) \
                     OR NOT EXISTS (SELECT 1 FROM pg_locks o WHERE o.pid = l.pid \
                     AND o.locktype = 'advisory' AND o.mode = 'ShareLock')))",
                    granted_lock("l", 1),
                    granted_lock("h", 2)
                ))
                .bind(lock_key(scope, channel))
                .bind(holder_key(scope, run_id, channel))
                .fetch_one(pool)
                .await
                .context(|| format!("reading whether the lease of {channel} is held"))
            }
        }
    }

    /// Takes the lease of `channel` for `holder`, or `None` if another holder has it.
    pub async fn try_lease(
        &self,
        channel: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                // The holder as stored: with where its process runs, for another process to
                // tell that it is gone (see `holder_gone`).
                let holder = &with_place(holder);
                let now = crate::to_the_microsecond(Utc::now());
                let expires = now + chrono::Duration::from_std(ttl).unwrap_or_default();
                let mut taken = sqlx::query(
                    "INSERT INTO sync_leases (channel, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (channel) DO UPDATE SET holder = excluded.holder, \
                     acquired_at = excluded.acquired_at, expires_at = excluded.expires_at \
                     WHERE sync_leases.expires_at < excluded.acquired_at OR sync_leases.holder = excluded.holder",
                )
                .bind(channel)
                .bind(holder)
                .bind(now)
                .bind(expires)
                .execute(pool)
                .await
                .context(|| format!("taking the lease of {channel}"))?
                .rows_affected()
                    == 1;
                if !taken {
                    // Held, unless by a process of this machine that is gone (killed): its
                    // lease is taken over at once instead of when it expires (review: a
                    // killed run held its channels for `lease_ttl_secs`, and the runs
                    // meanwhile were skipped as if it still ran).
                    let before: Option<String> =
                        sqlx::query_scalar("SELECT holder FROM sync_leases WHERE channel = $1")
                            .bind(channel)
                            .fetch_optional(pool)
                            .await
                            .context(|| format!("taking the lease of {channel}"))?;
                    if let Some(gone) = before.filter(|b| holder_gone(b)) {
                        taken = sqlx::query(
                            "UPDATE sync_leases SET holder = $1, acquired_at = $2, expires_at = $3 \
                             WHERE channel = $4 AND holder = $5",
                        )
                        .bind(holder)
                        .bind(now)
                        .bind(expires)
                        .bind(channel)
                        .bind(&gone)
                        .execute(pool)
                        .await
                        .context(|| format!("taking the lease of {channel}"))?
                        .rows_affected()
                            == 1;
                        if taken {
                            tracing::info!(
                                channel,
                                "The lease of this channel was held by a process of this machine that is gone (killed); taken over."
                            );
                        }
                    }
                }
                Ok(taken.then(|| Lease {
                    channel: channel.into(),
                    holder: holder.into(),
                    inner: Some(Inner::Sqlite {
                        pool: pool.clone(),
                        ttl,
                        renewed: std::time::Instant::now(),
                    }),
                }))
            }
            Backend::Postgres(pool) => {
                let mut conn = Unsettled(Some(
                    self.lease_pool
                        .as_ref()
                        .unwrap_or(pool)
                        .acquire()
                        .await
                        .context(|| format!("taking the lease of {channel}"))?,
                ));
                let scope = self.schema.clone().unwrap_or_default();
                let key = lock_key(&scope, channel);
                let fence_key = lock_key(&format!("{scope}\0fence"), channel);
                let holder_key = holder_key(&scope, holder, channel);
                let what = || format!("taking the lease of {channel}");
                // One statement: the lock naming the holder (shared: no other holder's waits
                // for it) first, then the channel's, and the first given back when the second
                // is not had. A reader of `pg_locks` sees the channel's lock with the holder's
                // beside it, or not at all: taken in a second round trip after it, a reader
                // in between saw the channel held by a session naming no holder, an older
                // Aduan's, and the channel's run killed before read as going on (operator
                // review, session 48). (`OFFSET 0`: each subquery is run once, in turn.)
                let (got, pid, started): (bool, i32, chrono::DateTime<Utc>) = sqlx::query_as(
                    "SELECT CASE WHEN t.got THEN true ELSE NOT pg_advisory_unlock_shared($2) END, \
                     pg_backend_pid(), \
                     (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()) \
                     FROM (SELECT pg_try_advisory_lock($1) AS got \
                     FROM (SELECT pg_advisory_lock_shared($2) OFFSET 0) AS h OFFSET 0) AS t",
                )
                .bind(key)
                .bind(holder_key)
                .fetch_one(conn.get())
                .await
                .context(what)?;
                // Refused, the statement gave back what it took: the connection goes back to
                // the pool as it came.
                let conn = conn.settle();
                if !got {
                    return Ok(None);
                }
                let mut lease = Lease {
                    channel: channel.into(),
                    holder: holder.into(),
                    inner: Some(Inner::Postgres {
                        conn,
                        key,
                        pid,
                        started,
                        fence_key,
                        holder_key,
                    }),
                };
                // A transaction of the holder before (whose lock went with its connection)
                // that passed its fence commits before this holder writes anything.
                if let Some(Inner::Postgres { conn, .. }) = &mut lease.inner {
                    sqlx::query("SELECT pg_advisory_lock($1), pg_advisory_unlock($1)")
                        .bind(fence_key)
                        .execute(&mut **conn)
                        .await
                        .context(what)?;
                }
                Ok(Some(lease))
            }
        }
    }
}

impl Lease {
    /// The channel leased.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// What a transaction written under this lease checks before it commits; `None` once
    /// the lease is released.
    pub fn fence(&self) -> Option<Fence> {
        let kind = match self.inner.as_ref()? {
            Inner::Sqlite { .. } => FenceKind::Sqlite {
                holder: self.holder.clone(),
            },
            Inner::Postgres {
                key,
                pid,
                started,
                fence_key,
                ..
            } => FenceKind::Postgres {
                key: *key,
                pid: *pid,
                started: *started,
                fence_key: *fence_key,
            },
        };
        Some(Fence {
            channel: self.channel.clone(),
            kind,
        })
    }

    /// Whether [`renew`](Self::renew) would write now (a SQLite lease a quarter of whose
    /// time to live has passed): a holder with a write transaction of its own open commits
    /// it first, or the renewal waits for it.
    pub fn due(&self) -> bool {
        match &self.inner {
            Some(Inner::Sqlite { ttl, renewed, .. }) => renewed.elapsed() >= *ttl / 4,
            Some(Inner::Postgres { .. }) | None => false,
        }
    }

    /// Extends a SQLite lease by its time to live once a quarter of it has passed since it
    /// was taken or last extended (a no-op on PostgreSQL, where the lock lasts as long as the
    /// connection). Called after every batch, it writes rarely: a write waits for the
    /// database's writer, which may be busy with the holder's own batch.
    pub async fn renew(&mut self) -> Result<()> {
        if !self.due() {
            return Ok(());
        }
        if let Some(Inner::Sqlite { pool, ttl, renewed }) = &mut self.inner {
            *renewed = std::time::Instant::now();
            let expires = crate::to_the_microsecond(Utc::now())
                + chrono::Duration::from_std(*ttl).unwrap_or_default();
            let renewed = sqlx::query(
                "UPDATE sync_leases SET expires_at = $1 WHERE channel = $2 AND holder = $3",
            )
            .bind(expires)
            .bind(&self.channel)
            .bind(&self.holder)
            .execute(&*pool)
            .await
            .context(|| format!("renewing the lease of {}", self.channel))?;
            // It expired (a request waited longer than its time to live) and another run
            // took it: this holder must stop writing.
            if renewed.rows_affected() == 0 {
                return Err(crate::Error::LeaseLost {
                    channel: self.channel.clone(),
                });
            }
        }
        Ok(())
    }

    /// Gives the lease up.
    pub async fn release(mut self) -> Result<()> {
        let channel = std::mem::take(&mut self.channel);
        match self.inner.take() {
            None => {}
            Some(Inner::Sqlite { pool, .. }) => {
                sqlx::query("DELETE FROM sync_leases WHERE channel = $1 AND holder = $2")
                    .bind(&channel)
                    .bind(&self.holder)
                    .execute(&pool)
                    .await
                    .context(|| format!("releasing the lease of {channel}"))?;
            }
            Some(Inner::Postgres {
                mut conn,
                key,
                holder_key,
                ..
            }) => {
                let unlocked =
                    sqlx::query("SELECT pg_advisory_unlock($1), pg_advisory_unlock_shared($2)")
                        .bind(key)
                        .bind(holder_key)
                        .execute(&mut *conn)
                        .await;
                if let Err(e) = unlocked {
                    // The session is gone (and its lock with it), or the lock may still be
                    // held: it goes with the session, which ends as the connection closes.
                    // Either way the lease is given up.
                    conn.close_on_drop();
                    tracing::warn!(channel = %channel, error = %e, "The lease's lock could not be unlocked; its connection is closed instead, which frees it.");
                }
            }
        }
        Ok(())
    }
}

/// A lease's connection while the statement taking its locks runs: dropped there (the
/// statement failed after its locks were granted, or the caller's future was dropped, a
/// timeout or a shutdown, while it waited for the answer), the connection is closed, and the
/// session's locks go with it. Given back to the pool, it would hold the channel's lock with
/// no lease to release it: the channel's runs refused until the process ends (review of
/// session 49).
struct Unsettled(Option<PoolConnection<Postgres>>);

impl Unsettled {
    fn get(&mut self) -> &mut sqlx::PgConnection {
        match &mut self.0 {
            Some(conn) => conn,
            None => unreachable!("an unsettled connection is taken only by `settle`"),
        }
    }

    /// The statement answered: the connection is the lease's (or the pool's) again.
    fn settle(mut self) -> PoolConnection<Postgres> {
        match self.0.take() {
            Some(conn) => conn,
            None => unreachable!("an unsettled connection is settled once"),
        }
    }
}

impl Drop for Unsettled {
    fn drop(&mut self) {
        if let Some(conn) = &mut self.0 {
            conn.close_on_drop();
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(Inner::Postgres { conn, .. }) = &mut self.inner {
            // Not released (an error on the way): the session ends, and its lock with it.
            conn.close_on_drop();
        }
    }
}

/// What separates a SQLite lease's holder from where its process runs (see [`with_place`]).
const PLACE: &str = " @ ";

/// `holder` with where this process runs, when that can be told (Linux): the machine's name,
/// its boot, the process's PID namespace, its id and when it started (an id alone may be
/// another process's later).
pub(crate) fn with_place(holder: &str) -> String {
    match own_place() {
        Some(place) => format!("{holder}{PLACE}{place}"),
        None => holder.to_string(),
    }
}

fn own_place() -> Option<&'static str> {
    static PLACE_OF: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    PLACE_OF
        .get_or_init(|| {
            let read = |p: &str| Some(std::fs::read_to_string(p).ok()?.trim().to_string());
            let host = read("/proc/sys/kernel/hostname")?;
            // (`-`: none, and then a boot of before is not taken for this machine's.)
            let machine = read("/etc/machine-id")
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "-".into());
            let boot = read("/proc/sys/kernel/random/boot_id")?;
            let ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
            let pid = std::process::id();
            let started = started_at(pid)?;
            let place = [host, machine, boot, ns.to_string_lossy().into_owned()];
            // (`/` is in none of them but a namespace's name would be odd: kept apart.)
            if place.iter().any(|p| p.contains('/') || p.is_empty()) {
                return None;
            }
            Some(format!("{}/{pid}/{started}", place.join("/")))
        })
        .as_deref()
}

/// When process `pid` started (clock ticks after boot: `/proc/<pid>/stat`'s 22nd field), if
/// there is such a process.
fn started_at(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command's name, in parentheses that may hold anything: the third field on.
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the stored `holder` of a SQLite lease is a process of this machine that is gone:
/// one of this boot (a boot's id is drawn at random: the same running system) and PID
/// namespace with no process of its id and start time now, or one of an earlier boot of this
/// machine (the same name and `/etc/machine-id`). A holder elsewhere (another machine, though
/// of the same name, or another container, or a holder written without its place) is never
/// taken for gone: its lease lasts its time.
pub(crate) fn holder_gone(holder: &str) -> bool {
    let (Some(own), Some((_, theirs))) = (own_place(), holder.rsplit_once(PLACE)) else {
        return false;
    };
    let own: Vec<&str> = own.split('/').collect();
    let theirs: Vec<&str> = theirs.split('/').collect();
    let (
        [host, machine, boot, ns, _, _],
        [their_host, their_machine, their_boot, their_ns, pid, started],
    ) = (own.as_slice(), theirs.as_slice())
    else {
        return false;
    };
    if boot != their_boot {
        // This machine started again since (every process of before is gone), if it is
        // this machine; a machine of the same name is not (review: cloned ones).
        return host == their_host && *machine != "-" && machine == their_machine;
    }
    if ns != their_ns {
        return false;
    }
    match pid.parse::<u32>() {
        Ok(pid) => started_at(pid).map(|s| s.to_string()) != Some((*started).to_string()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    /// Where this process runs, as a lease's holder records it, and the same place with
    /// another process id and start, another machine's name or another boot.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_holder_is_gone_only_when_it_is_known_to_be() {
        use super::{holder_gone, with_place};
        let own = with_place("run-a");
        let (_, place) = own.rsplit_once(super::PLACE).expect("Linux tells where");
        let parts: Vec<&str> = place.split('/').collect();
        let [host, machine, boot, ns, pid, started] = parts.as_slice() else {
            panic!("{place}")
        };
        let at = |host: &str, machine: &str, boot: &str, pid: &str, started: &str| {
            format!(
                "run-b{}{host}/{machine}/{boot}/{ns}/{pid}/{started}",
                super::PLACE
            )
        };
        // This process is there.
        assert!(!holder_gone(&own));
        // No process of that id; one of this id that started at another time (an id used
        // again): gone.
        assert!(holder_gone(&at(host, machine, boot, "999999999", started)));
        assert!(holder_gone(&at(host, machine, boot, pid, "1")));
        // A process of an earlier boot of this machine: gone, when the machine has an id.
        let rebooted = at(host, machine, "another-boot", pid, started);
        assert_eq!(holder_gone(&rebooted), *machine != "-");
        // Another machine's, though of the same name (a clone), or written without its
        // place: cannot be told, never gone.
        assert!(!holder_gone(&at(
            host,
            "another-machine",
            "another-boot",
            "9",
            "1"
        )));
        assert!(!holder_gone(&at(
            "another-host",
            machine,
            "another-boot",
            "9",
            "1"
        )));
        assert!(!holder_gone("run-c"));
    }

    /// Operator review (session 47, left): every scrape of `/metrics` read the runs going on
    /// by a scan of every run that did the work (`sync_runs_worked` read whole, some hundred
    /// thousand rows in a year of four-minute runs) for the few without an end. Each
    /// channel's are looked up in `sync_runs_outcome`, and no step of the plan reads the
    /// table or an index of it whole.
    #[test]
    fn the_runs_without_an_end_are_looked_up_per_channel_not_scanned() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for m in crate::migrate::SQLITE {
            conn.execute_batch(m.sql)
                .unwrap_or_else(|e| panic!("{}: {e}", m.name));
        }
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", super::UNENDED_RUNS_SQL))
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map([], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let runs_read: Vec<&String> = plan
            .iter()
            .filter(|l| {
                l.contains("sync_runs") || l.starts_with("SCAN r") || l.starts_with("SEARCH r")
            })
            .collect();
        assert!(!runs_read.is_empty(), "{plan:#?}");
        assert!(
            runs_read.iter().all(|l| l.starts_with("SEARCH ")),
            "{plan:#?}"
        );
        assert!(
            plan.iter()
                .any(|l| l.contains("sync_runs_outcome (channel=? AND outcome=?)")),
            "{plan:#?}"
        );
    }

    /// What a [`HoldingProxy`] holds once a statement taking a lease's lock has been sent.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Hold {
        /// The connection's next statement.
        NextStatement,
        /// The server's answers (from that statement's on): its locks are granted, and the
        /// lease waits for the answer.
        Answer,
    }

    /// A loopback proxy to PostgreSQL that holds a connection's next statement (its
    /// `Parse`, `Bind` or `Query`) once a statement taking a lease's lock,
    /// `pg_try_advisory_lock`, has been run on it, or the server's answers to it (see
    /// [`Hold`]), until told to go on: a lease taken through it stops between its round
    /// trips, or after its locks are granted.
    struct HoldingProxy {
        addr: std::net::SocketAddr,
        /// Set while a statement is held.
        held: std::sync::Arc<std::sync::atomic::AtomicBool>,
        /// Set to let the held statement go (and every one after it).
        go: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }

    impl HoldingProxy {
        /// A proxy holding `hold` before the PostgreSQL server of the tests, and a store in
        /// `ts`'s schema connected through it.
        async fn before_the_tests_server(
            ts: &crate::testing::TestStore,
            hold: Hold,
        ) -> (Self, crate::Store) {
            let url = crate::testing::postgres_url();
            let (scheme, rest) = url.split_once("://").unwrap();
            let (authority, db) = rest.split_once('/').unwrap();
            let (user, server) = match authority.rsplit_once('@') {
                Some((user, server)) => (format!("{user}@"), server.to_string()),
                None => (String::new(), authority.to_string()),
            };
            let server = if server.contains(':') {
                server
            } else {
                format!("{server}:5432")
            };
            let proxy = Self::start(&server, hold);
            let through = format!("{scheme}://{user}{}/{db}", proxy.addr);
            let schema = ts.schema.clone().unwrap();
            let store = crate::Store::open_postgres_in_schema(&through, &schema)
                .await
                .unwrap();
            (proxy, store)
        }

        /// Waits (10 s at most) until what the proxy holds (`what`) is held, or `taking` has
        /// ended, and checks that it is held.
        async fn until_held<T>(&self, taking: &tokio::task::JoinHandle<T>, what: &str) {
            use std::sync::atomic::Ordering;
            for _ in 0..1000 {
                if self.held.load(Ordering::SeqCst) || taking.is_finished() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            assert!(self.held.load(Ordering::SeqCst), "{what} is not held");
        }

        fn start(server: &str, hold: Hold) -> Self {
            use std::sync::atomic::{AtomicBool, Ordering};
            use std::sync::Arc;
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let held = Arc::new(AtomicBool::new(false));
            let go = Arc::new(AtomicBool::new(false));
            let (h, g, server) = (held.clone(), go.clone(), server.to_string());
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    let Ok(client) = client else { return };
                    let upstream = std::net::TcpStream::connect(&server).unwrap();
                    let (mut from_server, mut to_client) =
                        (upstream.try_clone().unwrap(), client.try_clone().unwrap());
                    // Set once the lease's statement is sent, with `Hold::Answer`.
                    let answers_held = Arc::new(AtomicBool::new(false));
                    let (a, h2, g2) = (answers_held.clone(), h.clone(), g.clone());
                    std::thread::spawn(move || {
                        use std::io::{Read, Write};
                        let mut buffer = vec![0; 1 << 16];
                        loop {
                            let n = match from_server.read(&mut buffer) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if a.load(Ordering::SeqCst) && !g2.load(Ordering::SeqCst) {
                                h2.store(true, Ordering::SeqCst);
                                while !g2.load(Ordering::SeqCst) {
                                    std::thread::sleep(std::time::Duration::from_millis(5));
                                }
                                h2.store(false, Ordering::SeqCst);
                            }
                            if to_client.write_all(&buffer[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to_client.shutdown(std::net::Shutdown::Both);
                    });
                    let (h, g) = (h.clone(), g.clone());
                    std::thread::spawn(move || {
                        Self::pump(client, upstream, hold, &answers_held, &h, &g)
                    });
                }
            });
            Self { addr, held, go }
        }

        /// Forwards the client's messages one at a time, holding as [`HoldingProxy`] says.
        fn pump(
            mut client: std::net::TcpStream,
            mut upstream: std::net::TcpStream,
            hold: Hold,
            answers_held: &std::sync::atomic::AtomicBool,
            held: &std::sync::atomic::AtomicBool,
            go: &std::sync::atomic::AtomicBool,
        ) {
            use std::io::{Read, Write};
            use std::sync::atomic::Ordering;
            let read_exact = |c: &mut std::net::TcpStream, n: usize| -> Option<Vec<u8>> {
                let mut b = vec![0; n];
                c.read_exact(&mut b).ok().map(|_| b)
            };
            // Untyped first: an SSL request (answered `N`), then the start-up message.
            loop {
                let Some(len) = read_exact(&mut client, 4) else {
                    return;
                };
                let n = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
                let Some(body) = read_exact(&mut client, n.saturating_sub(4)) else {
                    return;
                };
                if upstream
                    .write_all(&len)
                    .and(upstream.write_all(&body))
                    .is_err()
                {
                    return;
                }
                if body.get(..4) == Some(&196_608u32.to_be_bytes()[..]) {
                    break;
                }
            }
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let cstr = |b: &[u8]| -> (String, usize) {
                let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
                (text(&b[..end]), end + 1)
            };
            let mut statements: std::collections::HashMap<String, String> = Default::default();
            let mut bound = String::new();
            let mut armed = false;
            loop {
                let Some(head) = read_exact(&mut client, 5) else {
                    return;
                };
                let n = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
                let Some(body) = read_exact(&mut client, n.saturating_sub(4)) else {
                    return;
                };
                let sql = match head[0] {
                    b'P' => {
                        let (name, at) = cstr(&body);
                        let (sql, _) = cstr(&body[at.min(body.len())..]);
                        statements.insert(name, sql.clone());
                        Some(sql)
                    }
                    b'B' => {
                        let (_portal, at) = cstr(&body);
                        let (name, _) = cstr(&body[at.min(body.len())..]);
                        bound = statements.get(&name).cloned().unwrap_or_default();
                        Some(bound.clone())
                    }
                    b'Q' => Some(cstr(&body).0),
                    _ => None,
                };
                let leasing = |sql: &str| sql.contains("pg_try_advisory_lock");
                if armed
                    && hold == Hold::NextStatement
                    && sql.as_deref().is_some_and(|s| !leasing(s))
                    && !go.load(Ordering::SeqCst)
                {
                    held.store(true, Ordering::SeqCst);
                    while !go.load(Ordering::SeqCst) {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    held.store(false, Ordering::SeqCst);
                }
                if head[0] == b'E' && leasing(&bound) {
                    armed = true;
                    // (Before the statement is sent: its answer comes after.)
                    if hold == Hold::Answer {
                        answers_held.store(true, Ordering::SeqCst);
                    }
                }
                if upstream
                    .write_all(&head)
                    .and(upstream.write_all(&body))
                    .is_err()
                {
                    return;
                }
            }
        }
    }

    /// Operator review (session 48): on PostgreSQL a lease took the lock naming its holder in
    /// a second round trip after the channel's, and a reader in between saw the channel held
    /// by a session naming no holder, an older Aduan's: the channel's run killed before read
    /// as going on (`aduan status`, the metrics). Taken through a proxy that holds the
    /// lease's connection after its first statement, the channel is held with its holder
    /// named, or not at all, and the run killed is not going on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_between_a_lease_s_round_trips_sees_its_holder() {
        use std::sync::atomic::Ordering;
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let (proxy, proxied) =
            HoldingProxy::before_the_tests_server(&ts, Hold::NextStatement).await;
        // A run of cc112 whose process was killed: its row without an end, no lease.
        let started = chrono::DateTime::parse_from_rfc3339("2026-12-06T01:02:03Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let killed = crate::RunRecord {
            run_id: "run-killed".into(),
            channel: "cc112".into(),
            started_at: started,
            ..Default::default()
        };
        ts.store.save_run(&killed).await.unwrap();
        assert_eq!(ts.store.runs_in_progress().await.unwrap(), vec![]);

        let taking = tokio::spawn(async move {
            proxied
                .try_lease("cc112", "run-next", std::time::Duration::from_secs(60))
                .await
        });
        proxy
            .until_held(&taking, "the lease's next statement")
            .await;
        let between = ts.store.runs_in_progress().await.unwrap();
        let held = ts.store.lease_held("cc112").await.unwrap();
        proxy.go.store(true, Ordering::SeqCst);
        let lease = taking.await.unwrap().unwrap().expect("the lease is free");

        assert!(held, "the channel's lock is taken by the first statement");
        assert_eq!(between, vec![], "the killed run read as going on");
        assert_eq!(ts.store.runs_in_progress().await.unwrap(), vec![]);
        lease.release().await.unwrap();
    }

    /// Review of session 49: a lease whose statement was cancelled after the server granted
    /// its locks (the caller's timeout, a shutdown, while the answer was on its way) gave its
    /// connection back to the lease pool, the channel's lock still held by it with no lease
    /// to release it: every later run of the channel was refused until the process ended.
    /// The connection is closed instead, and the channel is free again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lease_cancelled_after_its_lock_was_granted_leaves_no_lock() {
        use std::sync::atomic::Ordering;
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        // The store through the proxy is kept open beside the cancelled lease: its pool (and
        // the connection given back to it) lives on, as in a service.
        let (proxy, proxied) = HoldingProxy::before_the_tests_server(&ts, Hold::Answer).await;
        let ttl = std::time::Duration::from_secs(60);
        let taking = tokio::spawn({
            let proxied = proxied.clone();
            async move { proxied.try_lease("cc112", "run-cancelled", ttl).await }
        });
        proxy.until_held(&taking, "the lease's answer").await;
        assert!(
            ts.store.lease_held("cc112").await.unwrap(),
            "the lock is granted"
        );

        taking.abort();
        assert!(taking.await.is_err_and(|e| e.is_cancelled()));
        proxy.go.store(true, Ordering::SeqCst);

        // The connection given back (and tested) or closed on its own tasks: waited for.
        let mut next = None;
        for _ in 0..600 {
            next = ts.store.try_lease("cc112", "run-next", ttl).await.unwrap();
            if next.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let next = next.expect("the channel's lock is left on a pooled connection");
        next.release().await.unwrap();
        proxied.close().await;
    }

    /// Review of session 49: a lease refused (its channel held by another) gives the lock
    /// naming its holder back in the statement that took it: none is left on a connection of
    /// the lease pool, where a later lease of the channel would name two holders.
    #[tokio::test]
    async fn a_lease_refused_keeps_no_lock_naming_its_holder() {
        let Some(ts) = crate::testing::postgres().await else {
            return;
        };
        let schema = ts.schema.clone().unwrap();
        let other = crate::Store::open_postgres_in_schema(&ts.url, &schema)
            .await
            .unwrap();
        let ttl = std::time::Duration::from_secs(60);
        let held = ts.store.try_lease("cc112", "run-a", ttl).await.unwrap();
        assert!(held.is_some());
        for _ in 0..3 {
            assert!(other
                .try_lease("cc112", "run-b", ttl)
                .await
                .unwrap()
                .is_none());
        }
        let left: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM pg_locks l WHERE {}",
            super::granted_lock("l", 1)
        ))
        .bind(super::holder_key(&schema, "run-b", "cc112"))
        .fetch_one(match &ts.store.backend {
            crate::Backend::Postgres(pool) => pool,
            crate::Backend::Sqlite(_) => unreachable!(),
        })
        .await
        .unwrap();
        assert_eq!(left, 0, "the refused lease's holder lock is left");
        held.unwrap().release().await.unwrap();
        other.close().await;
    }

    #[test]
    fn lock_keys_differ_by_channel_and_scope() {
        let a = super::lock_key("", "cc112");
        // Pinned: every process (and every version) on one database must take the same
        // lock for a channel (FNV-1a of "\0cc112").
        assert_eq!(a, 9_198_276_938_075_557_839);
        assert_ne!(a, super::lock_key("", "sp4n_lapor"));
        assert_ne!(a, super::lock_key("t1", "cc112"));
    }
}
