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
    Migration {
        version: 9,
        name: "0009_run_totals.sql",
        sql: include_str!("../../../migrations/sqlite/0009_run_totals.sql"),
    },
    Migration {
        version: 10,
        name: "0010_raw_source_ids.sql",
        sql: include_str!("../../../migrations/sqlite/0010_raw_source_ids.sql"),
    },
    Migration {
        version: 11,
        name: "0011_group_spans.sql",
        sql: include_str!("../../../migrations/sqlite/0011_group_spans.sql"),
    },
    Migration {
        version: 12,
        name: "0012_incident_indexes.sql",
        sql: include_str!("../../../migrations/sqlite/0012_incident_indexes.sql"),
    },
    Migration {
        version: 13,
        name: "0013_report_in_city.sql",
        sql: include_str!("../../../migrations/sqlite/0013_report_in_city.sql"),
    },
    Migration {
        version: 14,
        name: "0014_complaint_claims.sql",
        sql: include_str!("../../../migrations/sqlite/0014_complaint_claims.sql"),
    },
    Migration {
        version: 15,
        name: "0015_quarantine_dismissed.sql",
        sql: include_str!("../../../migrations/sqlite/0015_quarantine_dismissed.sql"),
    },
    Migration {
        version: 16,
        name: "0016_worked_runs.sql",
        sql: include_str!("../../../migrations/sqlite/0016_worked_runs.sql"),
    },
    Migration {
        version: 17,
        name: "0017_group_run_from.sql",
        sql: include_str!("../../../migrations/sqlite/0017_group_run_from.sql"),
    },
    Migration {
        version: 18,
        name: "0018_delivery_report_ids.sql",
        sql: include_str!("../../../migrations/sqlite/0018_delivery_report_ids.sql"),
    },
    Migration {
        version: 19,
        name: "0019_kept_run_counts.sql",
        sql: include_str!("../../../migrations/sqlite/0019_kept_run_counts.sql"),
    },
    Migration {
        version: 20,
        name: "0020_kept_counts_by_trigger_schema.sql",
        sql: include_str!("../../../migrations/sqlite/0020_kept_counts_by_trigger_schema.sql"),
    },
    Migration {
        version: 21,
        name: "0021_plain_payloads.sql",
        sql: include_str!("../../../migrations/sqlite/0021_plain_payloads.sql"),
    },
    Migration {
        version: 22,
        name: "0022_asked_until.sql",
        sql: include_str!("../../../migrations/sqlite/0022_asked_until.sql"),
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
    Migration {
        version: 9,
        name: "0009_run_totals.sql",
        sql: include_str!("../../../migrations/postgres/0009_run_totals.sql"),
    },
    Migration {
        version: 10,
        name: "0010_raw_source_ids.sql",
        sql: include_str!("../../../migrations/postgres/0010_raw_source_ids.sql"),
    },
    Migration {
        version: 11,
        name: "0011_group_spans.sql",
        sql: include_str!("../../../migrations/postgres/0011_group_spans.sql"),
    },
    Migration {
        version: 12,
        name: "0012_incident_indexes.sql",
        sql: include_str!("../../../migrations/postgres/0012_incident_indexes.sql"),
    },
    Migration {
        version: 13,
        name: "0013_report_in_city.sql",
        sql: include_str!("../../../migrations/postgres/0013_report_in_city.sql"),
    },
    Migration {
        version: 14,
        name: "0014_complaint_claims.sql",
        sql: include_str!("../../../migrations/postgres/0014_complaint_claims.sql"),
    },
    Migration {
        version: 15,
        name: "0015_quarantine_dismissed.sql",
        sql: include_str!("../../../migrations/postgres/0015_quarantine_dismissed.sql"),
    },
    Migration {
        version: 16,
        name: "0016_worked_runs.sql",
        sql: include_str!("../../../migrations/postgres/0016_worked_runs.sql"),
    },
    Migration {
        version: 17,
        name: "0017_group_run_from.sql",
        sql: include_str!("../../../migrations/postgres/0017_group_run_from.sql"),
    },
    Migration {
        version: 18,
        name: "0018_delivery_report_ids.sql",
        sql: include_str!("../../../migrations/postgres/0018_delivery_report_ids.sql"),
    },
    Migration {
        version: 19,
        name: "0019_kept_run_counts.sql",
        sql: include_str!("../../../migrations/postgres/0019_kept_run_counts.sql"),
    },
    Migration {
        version: 20,
        name: "0020_kept_counts_by_trigger_schema.sql",
        sql: include_str!("../../../migrations/postgres/0020_kept_counts_by_trigger_schema.sql"),
    },
    Migration {
        version: 21,
        name: "0021_plain_payloads.sql",
        sql: include_str!("../../../migrations/postgres/0021_plain_payloads.sql"),
    },
    Migration {
        version: 22,
        name: "0022_asked_until.sql",
        sql: include_str!("../../../migrations/postgres/0022_asked_until.sql"),
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

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::{Migration, POSTGRES, SQLITE};

    /// Each migration's SHA-256 (its first 8 bytes in hex), as it was when released (a new
    /// one is added here with it). A store
    /// that applied one never applies it again: an edit would give new stores another
    /// schema than those already running. A change of schema is a new migration.
    const RELEASED: [(&str, &[&str]); 2] = [
        (
            "sqlite",
            &[
                "93fe49e1892d35c4",
                "9a37ab0938882ef7",
                "4b843e8d96b6ddcd",
                "d58a7495cd4a4b19",
                "a02df746c7c30e56",
                "27f1d795f67756b5",
                "556c1779abcbc6f5",
                "97c6bade24458658",
                "fdde9ac8ec3b8197",
                "b77b438a17c9bac3",
                "e44898960c5d1b8e",
                "583a6ea57fa88321",
                "d3402999d3fc351e",
                "a02c1057bd6f95dc",
                "47b6139b2ed3ef2c",
                "65e2e9072646e2bf",
                "f2e9efe12edac80c",
                "9b0460fd7360cf67",
                "0f735633f3aee01e",
                "44c3a2d2fed6c140",
                "9b7be49187108a7f",
                "2689b0f918dc91cb",
            ],
        ),
        (
            "postgres",
            &[
                "85980d4174e9aaba",
                "810a5a3956993931",
                "4feffa321f1df036",
                "64dec231133e1cc3",
                "974de1724adbbda9",
                "f8fc00e88eb3e328",
                "556c1779abcbc6f5",
                "1cb7269ef85286d9",
                "b44c79b5c7d5e97d",
                "b77b438a17c9bac3",
                "e44898960c5d1b8e",
                "583a6ea57fa88321",
                "2df79e87bc2acead",
                "a02c1057bd6f95dc",
                "47b6139b2ed3ef2c",
                "65e2e9072646e2bf",
                "f2e9efe12edac80c",
                "8b2d58343e35cca8",
                "f32cba852698186d",
                "b6c06673be5a0c2a",
                "9b7be49187108a7f",
                "65a47a647525e6df",
            ],
        ),
    ];

    fn digest(m: &Migration) -> String {
        Sha256::digest(m.sql.as_bytes())[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn a_released_migration_is_never_edited_and_every_file_is_listed() {
        for (backend, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let released = RELEASED
                .iter()
                .find(|(b, _)| *b == backend)
                .map(|(_, d)| *d)
                .unwrap_or_default();
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version, i as i64 + 1, "{backend}: {}", m.name);
                assert!(
                    m.name.starts_with(&format!("{:04}_", m.version)),
                    "{backend}: {}",
                    m.name
                );
                if let Some(want) = released.get(i) {
                    assert_eq!(
                        digest(m),
                        *want,
                        "{backend} migration {} was edited after its release: stores that \
                         applied it keep the old schema; put the change in a new migration",
                        m.name
                    );
                }
            }
            // A new migration is pinned with it: the next change must not edit it either.
            assert_eq!(
                list.len(),
                released.len(),
                "{backend}: a migration was removed, or one added without its digest in RELEASED"
            );
            // Every file of the folder is one of the list (a file not listed is never applied).
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../migrations")
                .join(backend);
            let mut files: Vec<String> = std::fs::read_dir(&dir)
                .expect("the migrations folder")
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            files.sort();
            let listed: Vec<&str> = list.iter().map(|m| m.name).collect();
            assert_eq!(files, listed, "{backend}: {}", dir.display());
        }
    }
}
