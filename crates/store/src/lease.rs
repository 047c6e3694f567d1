//! Leases: two runs of one channel never overlap. SQLite: a row in `sync_leases` that the
//! holder renews; PostgreSQL: a session advisory lock held on a dedicated connection, freed
//! by the server if the process dies.

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
    },
}

/// A stable 64-bit key for an advisory lock.
fn lock_key(scope: &str, channel: &str) -> i64 {
    crate::fnv1a(scope.bytes().chain([0]).chain(channel.bytes())) as i64
}

impl Store {
    /// Takes the lease of `channel` for `holder`, or `None` if another holder has it.
    pub async fn try_lease(
        &self,
        channel: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let now = Utc::now();
                let expires = now + chrono::Duration::from_std(ttl).unwrap_or_default();
                let taken = sqlx::query(
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
                let mut conn = pool
                    .acquire()
                    .await
                    .context(|| format!("taking the lease of {channel}"))?;
                let scope = self.schema.clone().unwrap_or_default();
                let key = lock_key(&scope, channel);
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(&mut *conn)
                    .await
                    .context(|| format!("taking the lease of {channel}"))?;
                Ok(got.then(|| Lease {
                    channel: channel.into(),
                    holder: holder.into(),
                    inner: Some(Inner::Postgres { conn, key }),
                }))
            }
        }
    }
}

impl Lease {
    /// The channel leased.
    pub fn channel(&self) -> &str {
        &self.channel
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
            let expires = Utc::now() + chrono::Duration::from_std(*ttl).unwrap_or_default();
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
            Some(Inner::Postgres { mut conn, key }) => {
                let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key)
                    .execute(&mut *conn)
                    .await;
                if unlocked.is_err() {
                    // The lock may still be held: it goes with the session.
                    conn.close_on_drop();
                }
                unlocked.context(|| format!("releasing the lease of {channel}"))?;
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    #[test]
    fn lock_keys_differ_by_channel_and_scope() {
        let a = super::lock_key("", "cc112");
        assert_eq!(a, super::lock_key("", "cc112"));
        assert_ne!(a, super::lock_key("", "sp4n_lapor"));
        assert_ne!(a, super::lock_key("t1", "cc112"));
    }
}
