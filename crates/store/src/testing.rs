//! Stores for tests: a temporary SQLite file, and an isolated schema on a real PostgreSQL.
//!
//! PostgreSQL is found at `ADUAN_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Where none answers, the PostgreSQL half says it
//! is skipped and why, unless `ADUAN_REQUIRE_POSTGRES=1` (CI), where that is a failure.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::Store;

/// The default PostgreSQL URL of the tests.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A store for one test; a SQLite store's folder is removed when it is dropped.
#[derive(Debug)]
pub struct TestStore {
    /// The store.
    pub store: Store,
    /// `sqlite` or `postgres`.
    pub label: &'static str,
    /// The URL to give a process (`aduan --database …`); for PostgreSQL see `schema`.
    pub url: String,
    /// The PostgreSQL schema of this test.
    pub schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL URL of the tests.
pub fn postgres_url() -> String {
    std::env::var("ADUAN_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

/// A new SQLite store in a temporary folder.
pub async fn sqlite() -> TestStore {
    sqlite_through(i64::MAX).await
}

/// A new SQLite store migrated up to version `last` (a migration's test starts before it).
pub async fn sqlite_through(last: i64) -> TestStore {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("aduan.db");
    let url = format!("sqlite:{}", path.display());
    let store = Store::connect_sqlite(&url)
        .await
        .expect("open SQLite store");
    store
        .migrate_through(last)
        .await
        .expect("migrate SQLite store");
    TestStore {
        store,
        label: "sqlite",
        url,
        schema: None,
        _dir: Some(dir),
    }
}

/// A new PostgreSQL store in a schema of its own, or `None` (with a line on the terminal
/// saying why) when no server answers and `ADUAN_REQUIRE_POSTGRES` is not set.
pub async fn postgres() -> Option<TestStore> {
    postgres_through(i64::MAX).await
}

/// A new PostgreSQL store migrated up to version `last`, or `None` as [`postgres`].
pub async fn postgres_through(last: i64) -> Option<TestStore> {
    let required = std::env::var("ADUAN_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    open_postgres(&postgres_url(), last, required).await
}

/// Why the server at a URL was found not to answer, once per process and URL: the tests
/// after the first skip at once instead of each waiting for the connection's time limit.
fn unreachable() -> &'static std::sync::Mutex<std::collections::HashMap<String, String>> {
    static SEEN: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
        std::sync::OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// [`postgres_through`] at `url`: a server that does not answer is a skip (said on the
/// terminal) unless `required`, where it is a failure; a store that answers and then fails
/// to migrate is always a failure (a defect, not a missing server).
async fn open_postgres(url: &str, last: i64, required: bool) -> Option<TestStore> {
    static N: AtomicU32 = AtomicU32::new(0);
    let known = unreachable()
        .lock()
        .ok()
        .and_then(|seen| seen.get(url).cloned());
    let connected = match known {
        Some(why) => Err(why),
        None => {
            sweep_ended(url).await;
            let schema = format!(
                "{TEST_SCHEMA}{}_{}_{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed),
                chrono::Utc::now().timestamp_subsec_nanos()
            );
            match Store::connect_postgres(url, Some(&schema)).await {
                Ok(store) => Ok((store, schema)),
                Err(e) => {
                    // Only a server that does not answer is a skip for the tests after this
                    // one; any other failure (too many clients, say) is this test's alone.
                    let why = e.to_string();
                    let gone = matches!(
                        &e,
                        crate::Error::Sql {
                            cause: sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut,
                            ..
                        }
                    );
                    if gone {
                        if let Ok(mut seen) = unreachable().lock() {
                            seen.insert(url.to_string(), why.clone());
                        }
                    }
                    Err(why)
                }
            }
        }
    };
    match connected {
        Ok((store, schema)) => {
            if let Err(e) = store.migrate_through(last).await {
                panic!("PostgreSQL at {url} answers but its test schema {schema} does not migrate: {e}");
            }
            Some(TestStore {
                store,
                label: "postgres",
                url: url.to_string(),
                schema: Some(schema),
                _dir: None,
            })
        }
        Err(why) => {
            if required {
                panic!("PostgreSQL is required (ADUAN_REQUIRE_POSTGRES=1) but {url} fails: {why}");
            }
            // Written to the terminal itself: the test harness keeps what `eprintln!` writes
            // from a test that passes, and a skip must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: the PostgreSQL half of {}: {url} does not answer ({why}); \
                 start PostgreSQL or set ADUAN_TEST_POSTGRES_URL",
                std::thread::current().name().unwrap_or("this test")
            );
            None
        }
    }
}

/// The prefix of a test's schema, before its process id.
pub const TEST_SCHEMA: &str = "aduan_t_";

/// Drops the schemas of test processes that have ended, once per process, before its first
/// schema: every run of the tests would otherwise leave its schemas in the test database,
/// and CI runs again and again against the same server.
async fn sweep_ended(url: &str) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            if let Err(e) = drop_ended_schemas(url).await {
                eprintln!("tests' schemas of ended processes left in place: {e}");
            }
        })
        .await;
}

/// Drops every test schema whose process (its name carries the process id) has ended; how
/// many. Only where `/proc` tells which processes are alive: elsewhere nothing is dropped.
pub async fn drop_ended_schemas(url: &str) -> Result<usize, sqlx::Error> {
    if !std::path::Path::new("/proc/self").exists() {
        return Ok(0);
    }
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(url)
        .await?;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(TEST_SCHEMA)
            .fetch_all(&pool)
            .await?;
    let mut dropped = 0;
    for name in names {
        let pid = name
            .strip_prefix(TEST_SCHEMA)
            .and_then(|rest| rest.split('_').next())
            .and_then(|p| p.parse::<u64>().ok());
        if pid.is_some_and(|p| !std::path::Path::new(&format!("/proc/{p}")).exists()) {
            // `IF EXISTS`: another process may be sweeping the same schema.
            sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .execute(&pool)
                .await?;
            dropped += 1;
        }
    }
    pool.close().await;
    Ok(dropped)
}

/// The `n`th of a run of SP4N-LAPOR!-like payloads (alike in shape, differing in values):
/// enough of them train an archive dictionary (see [`crate::packing`]).
pub fn report_payload(n: usize) -> Vec<u8> {
    format!(
        r#"{{"tracking_id":{},"judul":"Jalan berlubang di RT {}","isi":"Mohon perbaikan jalan di kelurahan {}","status":"{}","lokasi":{{"kota":"Kota Pekalongan","kecamatan":"Pekalongan {}"}}}}"#,
        7_000_000 + n * 13,
        n % 17,
        n % 23,
        ["Selesai", "Diproses", "Belum Terverifikasi"][n % 3],
        ["Barat", "Timur", "Utara", "Selatan"][n % 4]
    )
    .into_bytes()
}

/// Both backends (PostgreSQL only where reachable).
pub async fn all() -> Vec<TestStore> {
    all_through(i64::MAX).await
}

/// Both backends migrated up to version `last` (PostgreSQL only where reachable).
pub async fn all_through(last: i64) -> Vec<TestStore> {
    let mut v = vec![sqlite_through(last).await];
    v.extend(postgres_through(last).await);
    v
}

/// Takes the lease of `channel` for `holder` (for a minute) once it is free: a lost lease, a
/// SQLite one once past its time, a PostgreSQL lock once its session has ended. Tries every
/// 20 ms; panics after 5 s.
pub async fn lease_when_free(store: &Store, channel: &str, holder: &str) -> crate::Lease {
    for _ in 0..250 {
        let taken = store
            .try_lease(channel, holder, std::time::Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("taking the lease of {channel}: {e}"));
        if let Some(l) = taken {
            return l;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the lease of {channel} was not free within 5 s")
}

impl TestStore {
    /// Ends, from another connection, the PostgreSQL session that holds the lease of
    /// `channel` (as a connection that drops does); the lock goes once the session has
    /// ended, shortly after. Returns whether a session held it; `false` on SQLite.
    pub async fn end_lease_session(&self, channel: &str) -> bool {
        let (Some(key), crate::Backend::Postgres(pool)) =
            (self.store.lease_lock_key(channel), &self.store.backend)
        else {
            return false;
        };
        let ended: Vec<bool> = sqlx::query_scalar(&format!(
            "SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE {}",
            crate::lease::granted_lock("l", 1)
        ))
        .bind(key)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("ending the session of the lease of {channel}: {e}"));
        ended.contains(&true)
    }

    /// Runs statements that write, for a test's setup of what the store's own API does not
    /// write (rows in an older schema, before a migration's test migrates them).
    pub async fn execute(&self, sql: &str) {
        crate::on_pool!(self.store, pool => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()))
            .unwrap_or_else(|e| panic!("{}: {sql}: {e}", self.label));
    }

    /// Holds the write lock of a SQLite store for `hold` from another connection, on a thread
    /// of its own (the store's writers wait meanwhile, as behind another process's batch),
    /// runs `before_release` (SQL, may be empty) in that transaction and commits; returns once
    /// the lock is held. `None` for PostgreSQL.
    pub fn hold_write_lock(
        &self,
        hold: std::time::Duration,
        before_release: &str,
    ) -> Option<std::thread::JoinHandle<()>> {
        let path = self.store.sqlite_file.clone()?;
        let before_release = before_release.to_string();
        let (taken, wait) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let c = rusqlite::Connection::open(path).expect("open the database");
            c.execute_batch("BEGIN IMMEDIATE")
                .expect("take the write lock");
            let _ = taken.send(());
            std::thread::sleep(hold);
            c.execute_batch(&before_release)
                .expect("run the statements before the release");
            c.execute_batch("COMMIT").expect("release the write lock");
        });
        wait.recv().expect("the lock is taken");
        Some(holder)
    }
}

#[cfg(test)]
mod tests {
    /// A port where nothing listens (1: tcpmux, never served here).
    const NOBODY: &str = "postgres://postgres@127.0.0.1:1/test";

    #[tokio::test]
    async fn a_server_that_does_not_answer_is_a_skip_and_found_once() {
        assert!(super::open_postgres(NOBODY, i64::MAX, false)
            .await
            .is_none());
        let why = super::unreachable().lock().unwrap().get(NOBODY).cloned();
        assert!(
            why.as_deref().is_some_and(|w| w.contains("127.0.0.1:1")),
            "{why:?}"
        );
        // Later tests skip on what the first found.
        assert!(super::open_postgres(NOBODY, i64::MAX, false)
            .await
            .is_none());
    }

    #[tokio::test]
    #[should_panic(expected = "PostgreSQL is required")]
    async fn a_server_that_does_not_answer_fails_where_it_is_required() {
        super::open_postgres(NOBODY, i64::MAX, true).await;
    }
}
