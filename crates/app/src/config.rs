//! The configuration file (`config/aduan.toml`) and its environment overrides.
//!
//! Secrets are never in the file: each secret setting names the environment variable that
//! holds it. `ADUAN_DATABASE_URL` overrides `[store] url`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::FixedOffset;
use serde::Deserialize;

use crate::{Error, Result};

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Where complaints are stored.
    #[serde(default)]
    pub store: StoreConfig,
    /// The normaliser's tables and key.
    #[serde(default)]
    pub normaliser: NormaliserConfig,
    /// How sync runs behave.
    #[serde(default)]
    pub sync: SyncConfig,
    /// How `aduan serve` runs.
    #[serde(default)]
    pub service: ServiceConfig,
    /// Backups `aduan serve` takes of a SQLite store.
    #[serde(default)]
    pub backup: BackupConfig,
    /// One table per channel: `[channels.<id>]`.
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelConfig>,
    /// The file it was read from; `None` for the built-in defaults (no file given, and no
    /// `config/aduan.toml` in the current folder).
    #[serde(skip)]
    pub source: Option<std::path::PathBuf>,
}

/// `[store]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite:path/file.db` (the embedded default) or `postgres://user@host/db`.
    /// The environment variable `ADUAN_DATABASE_URL` overrides it.
    #[serde(default = "default_store_url")]
    pub url: String,
}

/// The URL with its password shown as `***` (it may come from `ADUAN_DATABASE_URL`).
impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &aduan_store::redact_url(&self.url))
            .finish()
    }
}

fn default_store_url() -> String {
    "sqlite:aduan.db".into()
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: default_store_url(),
        }
    }
}

/// `[normaliser]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormaliserConfig {
    /// Folder holding `places.toml`, `agencies.toml`, `classifier.toml` and
    /// `mappings/<channel>.toml`; a file missing there is taken from the tables built into
    /// the binary. A relative path is taken from the folder of the configuration file (from
    /// the current folder when no file was read); a folder that is not there is an error.
    /// Default: built-in only.
    #[serde(default)]
    pub tables_dir: Option<PathBuf>,
    /// The environment variable holding the reporter-hash key (HMAC-SHA256).
    #[serde(default = "default_reporter_key_env")]
    pub reporter_key_env: String,
}

fn default_reporter_key_env() -> String {
    "ADUAN_REPORTER_KEY".into()
}

impl Default for NormaliserConfig {
    fn default() -> Self {
        Self {
            tables_dir: None,
            reporter_key_env: default_reporter_key_env(),
        }
    }
}

/// `[sync]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// A run's time budget in seconds; past it the run saves its progress and stops.
    #[serde(default = "default_budget_secs")]
    pub budget_secs: u64,
    /// How long a run's lease lasts without renewal, in seconds (SQLite).
    #[serde(default = "default_lease_ttl_secs")]
    pub lease_ttl_secs: u64,
    /// How many days a run's row is kept in `sync_runs`; older ones are added into
    /// `sync_run_totals` (the metrics' counts stay whole), each channel's latest kept.
    #[serde(default = "default_keep_runs_days")]
    pub keep_runs_days: u32,
}

fn default_budget_secs() -> u64 {
    3600
}
fn default_lease_ttl_secs() -> u64 {
    120
}
fn default_keep_runs_days() -> u32 {
    90
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            budget_secs: default_budget_secs(),
            lease_ttl_secs: default_lease_ttl_secs(),
            keep_runs_days: default_keep_runs_days(),
        }
    }
}

/// `[service]`: how `aduan serve` runs (its HTTP server and its scheduler).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The address the HTTP server listens on (`host:port`); `--listen` overrides it.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The time zone of the channels' `schedule`s, as an offset from UTC (`+07:00`, WIB).
    #[serde(
        default = "default_schedule_utc_offset",
        deserialize_with = "deserialize_offset"
    )]
    pub schedule_utc_offset: FixedOffset,
    /// After a failed run, a channel's ticks are skipped for this many seconds; the wait
    /// doubles with each further failure, up to `backoff_max_secs`, and a success resets it.
    #[serde(default = "default_backoff_initial_secs")]
    pub backoff_initial_secs: u64,
    /// The longest wait after failures, in seconds.
    #[serde(default = "default_backoff_max_secs")]
    pub backoff_max_secs: u64,
    /// On SIGTERM or Ctrl-C, how long running syncs get to finish their batch and save
    /// their cursor, in seconds; past it they are abandoned (an unfinished batch is rolled
    /// back) and the process exits.
    #[serde(default = "default_shutdown_grace_secs")]
    pub shutdown_grace_secs: u64,
    /// The largest request body a webhook accepts, in bytes.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// How long one HTTP request may take, its body's arrival included, in seconds; past it
    /// the request is answered `408` (a client trickling a body in holds no task longer;
    /// `503` for one without a body, a report, whose time was all the server's).
    /// Also how long a connection gets to send a request's head, from its start or from the
    /// previous answer: a slower one, or a keep-alive connection idle that long, is closed,
    /// and so is one whose client takes its answers too slowly: writes may wait that long
    /// beyond what the client's pace earns (`min_send_rate_bytes` or faster is never cut
    /// off).
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
    /// The slowest a client may take its answers, on average, in bytes a second: each byte
    /// it takes earns 1/this s more of waiting for their writes, up to
    /// `request_timeout_secs` in hand; one slower for longer is cut off.
    #[serde(default = "default_min_send_rate_bytes")]
    pub min_send_rate_bytes: u64,
    /// The most HTTP connections served at once; more wait in the listener's queue until
    /// one closes (each holds a task and a file descriptor; the webhook bodies read at once
    /// are bounded apart, 64 of them).
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// The environment variable holding the bearer token `GET /api/report` requires; when it
    /// is unset or empty the report API is open to whoever reaches the server.
    #[serde(default = "default_api_token_env")]
    pub api_token_env: String,
    /// The environment variable holding the bearer token `GET /metrics` requires; when it is
    /// unset or empty the metrics are open to whoever reaches the server.
    #[serde(default = "default_metrics_token_env")]
    pub metrics_token_env: String,
}

fn default_api_token_env() -> String {
    "ADUAN_API_TOKEN".into()
}

fn default_metrics_token_env() -> String {
    "ADUAN_METRICS_TOKEN".into()
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_schedule_utc_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("+07:00 is a valid offset")
}
fn default_backoff_initial_secs() -> u64 {
    60
}
fn default_backoff_max_secs() -> u64 {
    3600
}
fn default_shutdown_grace_secs() -> u64 {
    30
}
/// 3 MiB: the WhatsApp Cloud API's webhook payloads can be up to 3 MB (its webhooks overview);
/// a smaller limit refuses a signed delivery for good, and the platform drops it.
fn default_max_body_bytes() -> usize {
    3 * 1024 * 1024
}
fn default_request_timeout_secs() -> u64 {
    30
}
/// 4 kbit/s: below any mobile data link still in use (a poor 2G one gives 2 to 3 KiB/s).
fn default_min_send_rate_bytes() -> u64 {
    512
}
fn default_max_connections() -> usize {
    1024
}

fn deserialize_offset<'de, D: serde::Deserializer<'de>>(d: D) -> Result<FixedOffset, D::Error> {
    let text = String::deserialize(d)?;
    FixedOffset::from_str(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "{text:?} is not an offset from UTC like \"+07:00\": {e}"
        ))
    })
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            schedule_utc_offset: default_schedule_utc_offset(),
            backoff_initial_secs: default_backoff_initial_secs(),
            backoff_max_secs: default_backoff_max_secs(),
            shutdown_grace_secs: default_shutdown_grace_secs(),
            max_body_bytes: default_max_body_bytes(),
            request_timeout_secs: default_request_timeout_secs(),
            min_send_rate_bytes: default_min_send_rate_bytes(),
            max_connections: default_max_connections(),
            api_token_env: default_api_token_env(),
            metrics_token_env: default_metrics_token_env(),
        }
    }
}

/// `[backup]`: backups of a SQLite store that `aduan serve` takes on a schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupConfig {
    /// When: a cron expression with a seconds field (`0 0 2 * * *` = every day at 02:00), in
    /// `[service] schedule_utc_offset`'s time zone. Unset: no scheduled backups.
    #[serde(default)]
    pub schedule: Option<String>,
    /// The folder the backups go into (`aduan-<UTC time>.db`), created when missing.
    #[serde(default = "default_backup_dir")]
    pub dir: PathBuf,
    /// How many of them are kept; older ones are removed after each new backup.
    #[serde(default = "default_backup_keep")]
    pub keep: usize,
}

fn default_backup_dir() -> PathBuf {
    "backups".into()
}
fn default_backup_keep() -> usize {
    14
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            schedule: None,
            dir: default_backup_dir(),
            keep: default_backup_keep(),
        }
    }
}

/// `[channels.<id>]`: `enabled`, `schedule`, and the connector's own settings.
#[derive(Debug, Clone, Deserialize)]
pub struct ChannelConfig {
    /// Whether `aduan sync` (without `--channel`) and `aduan serve` run this channel; a
    /// channel switched off needs none of its secrets. `aduan sync --channel <id>` runs it
    /// either way.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// When `aduan serve` runs it: a cron expression with a seconds field
    /// (`0 */15 * * * *` = every 15 minutes), in `[service] schedule_utc_offset`'s time zone.
    #[serde(default)]
    pub schedule: Option<String>,
    /// The connector's settings (see the channel's crate).
    #[serde(flatten)]
    pub connector: toml::Table,
}

fn default_true() -> bool {
    true
}

/// A TOML error of `text` as its message and where: line and column, never the line itself
/// (`toml`'s own text quotes it, and that line may hold a password typed into a URL).
/// A value of the wrong type is named by its key and given by its kind, not quoted (as a
/// channel's settings are: `aduan_core::settings`): `[service] max_body_bytes: invalid type:
/// a string of 3 characters, expected usize` (review: only a line and a column, with the
/// value).
fn toml_error(text: &str, e: serde_path_to_error::Error<toml::de::Error>) -> String {
    let path = e.path().to_string();
    let e = e.into_inner();
    let message = e.message().trim_end();
    let (key, reason) = (
        aduan_core::FieldError::serde_field(&path, message),
        aduan_core::FieldError::serde_reason(message),
    );
    let message = match key.rsplit_once('.') {
        _ if key == "." => reason,
        Some((table, key)) => format!("[{table}] {key}: {reason}"),
        None => format!("{key}: {reason}"),
    };
    let Some(span) = e.span() else {
        return message;
    };
    let before = text.get(..span.start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    // An error found while reading the text (a number too large for any integer) comes
    // with no key: named from its line, its key and the table above it (review: only a line
    // and a column).
    let message = match key_at(text, span.start) {
        Some(named) if key == "." => format!("{named}: {message}"),
        _ => message,
    };
    format!("line {line}, column {column}: {message}")
}

/// `[table] key` of the `key = value` line holding byte `at` of `text`, where the key is a
/// plain one (letters, digits, `_`, `-`, dots); never any of the value.
fn key_at(text: &str, at: usize) -> Option<String> {
    let start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let plain = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    if !plain(key) {
        return None;
    }
    let table = text[..start].lines().rev().find_map(|l| {
        let l = l.trim();
        let name = l.strip_prefix('[')?.strip_suffix(']')?;
        let name = name.trim_start_matches('[').trim_end_matches(']').trim();
        plain(name).then(|| name.to_string())
    });
    Some(match table {
        Some(t) => format!("[{t}] {key}"),
        None => key.to_string(),
    })
}

impl AppConfig {
    /// Parses a configuration text (no environment overrides).
    pub fn from_toml_str(text: &str) -> Result<Self> {
        Self::parse(text, "<text>")
    }

    fn parse(text: &str, path: &str) -> Result<Self> {
        let config: AppConfig = serde_path_to_error::deserialize(toml::Deserializer::new(text))
            .map_err(|e| Error::Config {
                path: path.to_string(),
                message: toml_error(text, e),
            })?;
        config.check_ranges(path)?;
        // The variables secrets are read from, named: a secret written in a name's place is
        // refused unseen (`aduan_core::Secret::not_a_name`), before any command reads it.
        for (key, var) in [
            (
                "[normaliser] reporter_key_env",
                &config.normaliser.reporter_key_env,
            ),
            ("[service] api_token_env", &config.service.api_token_env),
            (
                "[service] metrics_token_env",
                &config.service.metrics_token_env,
            ),
        ] {
            if let Some(problem) = aduan_core::Secret::not_a_name(var) {
                return Err(Error::Config {
                    path: path.to_string(),
                    message: format!("{key}: {problem}"),
                });
            }
        }
        for (id, channel) in &config.channels {
            if let Some(expr) = &channel.schedule {
                aduan_core::schedule::read(expr).map_err(|why| Error::Config {
                    path: path.to_string(),
                    message: format!("[channels.{id}] schedule {expr:?} is not a schedule (cron, seconds first): {why}"),
                })?;
            }
        }
        Ok(config)
    }

    /// Refuses a number outside what it can mean (review: `max_body_bytes = 0` made every
    /// webhook delivery a 413, and `budget_secs = 0` was taken as 1 s, without a word).
    fn check_ranges(&self, path: &str) -> Result<()> {
        const TEN_YEARS: u64 = 10 * 366 * 24 * 3600;
        let (sync, service) = (&self.sync, &self.service);
        let checks: [(&str, u64, u64, u64, &str); 8] = [
            (
                "[sync] budget_secs",
                sync.budget_secs,
                1,
                TEN_YEARS,
                "1 s to ten years",
            ),
            (
                "[sync] lease_ttl_secs",
                sync.lease_ttl_secs,
                5,
                TEN_YEARS,
                "5 s to ten years",
            ),
            (
                "[service] max_body_bytes",
                service.max_body_bytes as u64,
                1024,
                256 << 20,
                "1 KiB to 256 MiB",
            ),
            (
                "[service] request_timeout_secs",
                service.request_timeout_secs,
                1,
                86_400,
                "1 s to a day",
            ),
            (
                "[service] min_send_rate_bytes",
                service.min_send_rate_bytes,
                // Below about 50 B/s a client taking one TCP segment (1,460 bytes) within
                // each 30 s time limit earns its wait back and is never cut off.
                64,
                1 << 30,
                "64 bytes to 1 GiB a second",
            ),
            (
                "[service] max_connections",
                service.max_connections as u64,
                1,
                1_000_000,
                "1 to a million",
            ),
            (
                "[service] backoff_initial_secs",
                service.backoff_initial_secs,
                1,
                TEN_YEARS,
                "1 s to ten years",
            ),
            (
                "[service] backoff_max_secs",
                service.backoff_max_secs,
                service.backoff_initial_secs.max(1),
                TEN_YEARS,
                "backoff_initial_secs to ten years",
            ),
        ];
        for (key, value, min, max, within) in checks {
            if !(min..=max).contains(&value) {
                return Err(Error::Config {
                    path: path.to_string(),
                    message: format!("{key} = {value} is out of range ({within})"),
                });
            }
        }
        Ok(())
    }

    /// Takes a relative `[normaliser] tables_dir` as relative to the folder of the file
    /// `config_file` the configuration was read from: the tables sit beside the file that
    /// names them, whatever folder the program runs in.
    fn resolve_against(&mut self, config_file: &Path) {
        let folder = config_file.parent().unwrap_or(Path::new(""));
        if let Some(dir) = &mut self.normaliser.tables_dir {
            if dir.is_relative() {
                *dir = folder.join(&*dir);
            }
        }
    }

    /// Reads the configuration: `path` if given, else `config/aduan.toml` if it exists, else
    /// the defaults; then applies `ADUAN_DATABASE_URL`. A relative `tables_dir` of a file is
    /// taken from that file's folder.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let default = Path::new("config/aduan.toml");
        let chosen = path.or_else(|| default.exists().then_some(default));
        let mut config = match chosen {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| Error::Config {
                    path: p.display().to_string(),
                    message: e.to_string(),
                })?;
                let mut config = Self::parse(&text, &p.display().to_string())?;
                config.resolve_against(p);
                config.source = Some(p.to_path_buf());
                config
            }
            None => Self::from_toml_str("")?,
        };
        if let Ok(url) = std::env::var("ADUAN_DATABASE_URL") {
            if !url.is_empty() {
                config.store.url = url;
            }
        }
        Ok(config)
    }

    /// The connector settings of a channel, as JSON for the registry.
    pub fn connector_settings(&self, id: &str) -> Option<serde_json::Value> {
        let c = self.channels.get(id)?;
        serde_json::to_value(&c.connector).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walk of README's "Adding a channel" (session 50): the test above read three channels'
    /// tables by name, so a misspelt key in another's (`limt` for Pantau Pekalongan's
    /// `limit`), or a new channel registered without its table, passed every test and
    /// stopped `aduan sync` with 78 on the first machine that ran it. Every registered
    /// channel is read here, a new one with no edit of this test.
    #[test]
    fn the_example_config_has_a_table_its_connector_reads_for_every_registered_channel() {
        let c = AppConfig::from_toml_str(include_str!("../../../config/aduan.toml")).unwrap();
        for r in crate::registry::registry() {
            let id = r.spec.id;
            let Some(settings) = c.connector_settings(id) else {
                panic!("config/aduan.toml has no [channels.{id}] table (README, Adding a channel)");
            };
            if let Err(e) = (r.spec.read_settings)(settings) {
                panic!("config/aduan.toml's [channels.{id}] does not read: {e}");
            }
        }
    }

    #[test]
    fn the_example_config_parses() {
        let c = AppConfig::from_toml_str(include_str!("../../../config/aduan.toml")).unwrap();
        assert!(c.channels.contains_key("sp4n_lapor"));
        let sp4n = c.connector_settings("sp4n_lapor").unwrap();
        let parsed: aduan_sp4n_lapor::Config = serde_json::from_value(sp4n).unwrap();
        assert_eq!(parsed.per_page, 100);
        let cc112 = c.connector_settings("cc112").unwrap();
        let parsed: aduan_cc112::Config = serde_json::from_value(cc112).unwrap();
        assert_eq!(parsed.settle_secs, 10);
        assert!(parsed.dir.is_some());
        let gub = c.connector_settings("lapor_gub").unwrap();
        let parsed: aduan_lapor_gub::Config = serde_json::from_value(gub).unwrap();
        assert_eq!((parsed.kota_id, parsed.requests_per_minute), (3375, 30));
        assert_eq!(c.backup.schedule.as_deref(), Some("0 0 2 * * *"));
        assert_eq!(
            (c.backup.dir.as_path(), c.backup.keep),
            (Path::new("backups"), 14)
        );
    }

    /// Review (session 51): a stopping service takes its grace, then closes the store,
    /// waiting `aduan_store::CLOSE_WAIT` at most for a connection still in use; the example
    /// unit's stop timeout leaves room for both, or systemd kills the service mid-close.
    #[test]
    fn the_example_unit_waits_for_the_grace_and_the_stores_close() {
        let c = AppConfig::from_toml_str(include_str!("../../../config/aduan.toml")).unwrap();
        let unit = include_str!("../../../config/aduan.service");
        let stop: u64 = unit
            .lines()
            .find_map(|l| l.strip_prefix("TimeoutStopSec="))
            .expect("TimeoutStopSec in config/aduan.service")
            .trim()
            .parse()
            .expect("TimeoutStopSec in seconds");
        let needed = c.service.shutdown_grace_secs + aduan_store::CLOSE_WAIT.as_secs();
        assert!(
            stop > needed,
            "TimeoutStopSec={stop}, a stop takes up to {needed} s"
        );
    }

    #[test]
    fn the_configuration_debug_shows_no_database_password() {
        let mut c = AppConfig::from_toml_str("").unwrap();
        c.store.url = "postgres://aduan:s3cret@db/aduan?password=s3cret".into();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("aduan:***@db"),
            "{shown}"
        );
    }

    #[test]
    fn an_invalid_schedule_names_the_channel_and_the_expression() {
        let err =
            AppConfig::from_toml_str("[channels.cc112]\nschedule = \"every day\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("cc112") && msg.contains("every day"), "{msg}");
        // A crontab line (five fields, the usual slip) is told as one, with the schedule that
        // runs at its times, on one line (the cron reader's own words were the expression
        // again and a caret, nothing more).
        let err = AppConfig::from_toml_str("[channels.cc112]\nschedule = \"0 */15 * * *\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("it has 5 fields, as a crontab line has")
                && err.contains("\"0 0 */15 * * *\"")
                && !err.contains('\n'),
            "{err}"
        );
    }

    #[test]
    fn the_service_defaults_listen_on_loopback_and_schedule_in_wib() {
        let c = AppConfig::from_toml_str("").unwrap();
        assert_eq!(c.service.listen, "127.0.0.1:8080");
        assert_eq!(c.service.schedule_utc_offset.local_minus_utc(), 7 * 3600);
        let c = AppConfig::from_toml_str("[service]\nschedule_utc_offset = \"+00:00\"\n").unwrap();
        assert_eq!(c.service.schedule_utc_offset.local_minus_utc(), 0);
        let err = AppConfig::from_toml_str("[service]\nschedule_utc_offset = \"WIB\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("WIB") && err.contains("+07:00"), "{err}");
    }

    /// Review: a TOML syntax error printed the offending line, and the line of a
    /// mistyped `url = "postgres://aduan:s3cret@…` holds the password.
    #[test]
    fn a_syntax_error_says_where_without_showing_the_line() {
        let text = "# Aduan\n[store]\nurl = \"postgres://aduan:s3cret@db/aduan\n";
        let msg = AppConfig::from_toml_str(text).unwrap_err().to_string();
        assert!(msg.contains("line 3, column "), "{msg}");
        assert!(
            !msg.contains("s3cret") && !msg.contains("postgres://"),
            "{msg}"
        );
        // And a wrong key still names the key.
        let msg = AppConfig::from_toml_str("[store]\n\nurll = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("line 3, column 1") && msg.contains("urll"),
            "{msg}"
        );
    }

    /// Review: `tables_dir = "config"` was taken from the folder the program ran in (a
    /// service's `/var/lib/aduan`), not the configuration's (`/etc/aduan`).
    #[test]
    fn a_relative_tables_dir_is_taken_from_the_configuration_file_s_folder() {
        let text = "[normaliser]\ntables_dir = \"tables\"\n";
        let mut c = AppConfig::from_toml_str(text).unwrap();
        c.resolve_against(Path::new("/etc/aduan/aduan.toml"));
        assert_eq!(
            c.normaliser.tables_dir.as_deref(),
            Some(Path::new("/etc/aduan/tables"))
        );
        let mut c = AppConfig::from_toml_str(text).unwrap();
        c.resolve_against(Path::new("aduan.toml"));
        assert_eq!(
            c.normaliser.tables_dir.as_deref(),
            Some(Path::new("tables"))
        );
        let mut c = AppConfig::from_toml_str("[normaliser]\ntables_dir = \"/srv/t\"\n").unwrap();
        c.resolve_against(Path::new("/etc/aduan/aduan.toml"));
        assert_eq!(
            c.normaliser.tables_dir.as_deref(),
            Some(Path::new("/srv/t"))
        );
    }

    #[test]
    fn a_number_out_of_its_range_is_refused_naming_the_key() {
        for (text, says) in [
            (
                "[sync]\nbudget_secs = 0\n",
                "[sync] budget_secs = 0 is out of range",
            ),
            ("[sync]\nlease_ttl_secs = 1\n", "[sync] lease_ttl_secs = 1"),
            (
                "[service]\nmax_body_bytes = 0\n",
                "[service] max_body_bytes = 0",
            ),
            (
                "[service]\nmax_connections = 0\n",
                "[service] max_connections = 0",
            ),
            (
                "[service]\nrequest_timeout_secs = 0\n",
                "request_timeout_secs = 0",
            ),
            (
                "[service]\nmin_send_rate_bytes = 0\n",
                "[service] min_send_rate_bytes = 0 is out of range",
            ),
            (
                "[service]\nmin_send_rate_bytes = 63\n",
                "[service] min_send_rate_bytes = 63 is out of range",
            ),
            (
                "[service]\nbackoff_initial_secs = 600\nbackoff_max_secs = 60\n",
                "backoff_max_secs = 60",
            ),
        ] {
            let e = AppConfig::from_toml_str(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
        }
        assert!(AppConfig::from_toml_str("[sync]\nbudget_secs = 1\nlease_ttl_secs = 5\n").is_ok());
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_by_its_key_and_not_quoted() {
        for (text, says) in [
            (
                "[service]\nmax_body_bytes = \"big\"\n",
                "line 2, column 18: [service] max_body_bytes: invalid type: a string of 3 characters, expected usize",
            ),
            ("[backup]\nkeep = -1\n", "[backup] keep: invalid value"),
            // Found while reading the text, before any key is known: named from its line.
            (
                "[store]\nurl = \"sqlite:a.db\"\n\n[sync]\n# a comment = 1\nlease_ttl_secs = 99999999999999999999\n",
                "line 6, column 18: [sync] lease_ttl_secs: number too large",
            ),
            ("[channels.cc112]\nenabled = \"no\"\n", "[channels.cc112] enabled: invalid type: a string"),
        ] {
            let e = AppConfig::from_toml_str(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
            assert!(!e.contains("\"big\"") && !e.contains("\"no\""), "{e}");
        }
    }

    #[test]
    fn a_secret_written_where_its_variable_is_named_is_refused_unseen() {
        for text in [
            "[normaliser]\nreporter_key_env = \"e3b0c44298fc1c149afbf4c8996fb924\"\n",
            "[service]\napi_token_env = \"dash-token-9f8e7d\"\n",
            "[service]\nmetrics_token_env = \"scrape-token-9f8e7d\"\n",
        ] {
            let e = AppConfig::from_toml_str(text).unwrap_err().to_string();
            assert!(
                e.contains("no variable's name") && !e.contains("e3b0c4") && !e.contains("9f8e7d"),
                "{e}"
            );
        }
        assert!(
            AppConfig::from_toml_str("[service]\napi_token_env = \"ADUAN_API_TOKEN_2\"\n").is_ok()
        );
    }

    #[test]
    fn an_unknown_key_is_refused() {
        assert!(AppConfig::from_toml_str("[store]\nurll = \"x\"\n").is_err());
    }
}
