//! A small migration runner: each backend's `migrations/<backend>/NNNN_name.sql`, applied in
//! order, each in its own transaction, recorded in `schema_migrations`.

/// One migration: number, file name, SQL.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_push.sql",
        sql: include_str!("../../../migrations/sqlite/0002_push.sql"),
    },
    Migration {
        version: 3,
        name: "0003_reported_month.sql",
        sql: include_str!("../../../migrations/sqlite/0003_reported_month.sql"),
    },
    Migration {
        version: 4,
        name: "0004_events_in_arrival_order.sql",
        sql: include_str!("../../../migrations/sqlite/0004_events_in_arrival_order.sql"),
    },
    Migration {
        version: 5,
        name: "0005_packed_payloads.sql",
        sql: include_str!("../../../migrations/sqlite/0005_packed_payloads.sql"),
    },
    Migration {
        version: 6,
        name: "0006_report_index.sql",
        sql: include_str!("../../../migrations/sqlite/0006_report_index.sql"),
    },
    Migration {
        version: 7,
        name: "0007_group_arrival.sql",
        sql: include_str!("../../../migrations/sqlite/0007_group_arrival.sql"),
    },
    Migration {
        version: 8,
        name: "0008_push_deliveries.sql",
        sql: include_str!("../../../migrations/sqlite/0008_push_deliveries.sql"),
    },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_push.sql",
        sql: include_str!("../../../migrations/postgres/0002_push.sql"),
    },
    Migration {
        version: 3,
        name: "0003_reported_month.sql",
        sql: include_str!("../../../migrations/postgres/0003_reported_month.sql"),
    },
    Migration {
        version: 4,
        name: "0004_events_in_arrival_order.sql",
        sql: include_str!("../../../migrations/postgres/0004_events_in_arrival_order.sql"),
    },
    Migration {
        version: 5,
        name: "0005_packed_payloads.sql",
        sql: include_str!("../../../migrations/postgres/0005_packed_payloads.sql"),
    },
    Migration {
        version: 6,
        name: "0006_report_index.sql",
        sql: include_str!("../../../migrations/postgres/0006_report_index.sql"),
    },
    Migration {
        version: 7,
        name: "0007_group_arrival.sql",
        sql: include_str!("../../../migrations/postgres/0007_group_arrival.sql"),
    },
    Migration {
        version: 8,
        name: "0008_push_deliveries.sql",
        sql: include_str!("../../../migrations/postgres/0008_push_deliveries.sql"),
    },
];

/// Taken first in each migration's transaction on SQLite: a write that changes nothing, so
/// that the transaction holds the database's write lock (waiting for another process's
/// migration to commit) before it reads what is applied.
pub(crate) const SQLITE_LOCK: &str = "UPDATE schema_migrations SET version = version WHERE 0";

/// Taken first in each migration's transaction on PostgreSQL: a lock of the schema's
/// migrations, held until the transaction ends (`CREATE TABLE IF NOT EXISTS` itself is not
/// safe from another process doing the same at once).
pub(crate) const POSTGRES_LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.schema_migrations'))";

pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL)";
