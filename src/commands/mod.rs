//! The subcommands.

/// `println!` that gives a standard output closed by its reader (`aduan status | head -1`)
/// back as an error, where `println!` panics (leaving the store's files behind): the command
/// ends, closing its store, and the process exits quietly (see [`reader_gone`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

/// `println!` for a job's lines (a sync, a rebuild, a backup), which a closed standard output
/// does not stop: the job goes on to its end, its outcome in its exit status and the store,
/// whether anyone reads them or not.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        // (Read by no one: nothing to tell.)
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` for a job's lines on standard error, which a closed one does not stop (see
/// `say!`).
macro_rules! esay {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        // (Read by no one: nothing to tell.)
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[cfg(feature = "demo")]
mod demo;
mod inspect;
mod serve;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aduan_app::config::AppConfig;
use aduan_app::progress::{Bar, ByteBar};
use aduan_app::{registry, tables};
use aduan_normalise::Normaliser;
use aduan_store::Store;
use aduan_sync::{Engine, EngineOptions, Outcome};
use anyhow::{Context, Result};

use crate::{Cli, Command, ConfigAction, CursorAction};

/// The stores this process opened, closed before it ends (see [`run`]).
static OPENED: std::sync::Mutex<Vec<Store>> = std::sync::Mutex::new(Vec::new());

/// How long closing a store waits for connections still in use before the process ends
/// without them (see `Store::close_within`).
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// The exit status of a command stopped by its configuration (the file, a table, a schedule,
/// a secret or key missing from the environment): sysexits' `EX_CONFIG`. The systemd unit
/// does not restart on it (`RestartPreventExitStatus=78`): it would stop again the same way.
/// Every other failure exits with 1 (but a store `aduan status` cannot read,
/// [`EXIT_UNREADABLE`]).
pub(crate) const EXIT_CONFIG: u8 = 78;

/// A problem of the configuration found by a command itself (see [`EXIT_CONFIG`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ConfigProblem(pub String);

/// The exit status of a command given what it cannot take (a channel that is not there, a
/// cursor that is not the channel's): what the argument parser exits with for its own.
pub(crate) const EXIT_USAGE: u8 = 2;

/// A command line naming what is not there, or giving what a command cannot take, found by
/// the command itself (see [`EXIT_USAGE`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageProblem(pub String);

/// The exit status of `aduan status` when it cannot read the store (no store there, a file
/// it may not read, a server it cannot reach, a store at another schema): sysexits'
/// `EX_UNAVAILABLE`, so that a monitor tells "the state is not known" from a channel's
/// failed run, 1.
pub(crate) const EXIT_UNREADABLE: u8 = 69;

/// What `aduan status` says around the error when it cannot read the store (see
/// [`EXIT_UNREADABLE`]).
#[derive(Debug, thiserror::Error)]
#[error("aduan status cannot read the store, so the runs' outcomes are not known (exit status {EXIT_UNREADABLE})")]
pub(crate) struct StoreUnreadable;

/// Whether `e` is standard output closed by its reader (`| head`): it had what it wanted,
/// and the command ends quietly, with success. Only the command's own error (a write's, as
/// `?` gave it, a context around it included), not one a store or a connection error holds
/// as its cause: a closed pipe there is no reader gone.
pub(crate) fn reader_gone(e: &anyhow::Error) -> bool {
    let pipe = |io: &std::io::Error| io.kind() == std::io::ErrorKind::BrokenPipe;
    e.downcast_ref::<std::io::Error>().is_some_and(pipe)
        || e.downcast_ref::<csv::Error>()
            .is_some_and(|c| match c.kind() {
                csv::ErrorKind::Io(io) => pipe(io),
                _ => false,
            })
}

/// The exit status of a command that ended with `e`.
pub(crate) fn exit_status(e: &anyhow::Error) -> ExitCode {
    if let Some(code) = problem_status(e) {
        ExitCode::from(code)
    } else if e.downcast_ref::<StoreUnreadable>().is_some() {
        ExitCode::from(EXIT_UNREADABLE)
    } else {
        ExitCode::FAILURE
    }
}

/// The exit status of `e` when it is the command line's problem ([`EXIT_USAGE`]) or the
/// configuration's ([`EXIT_CONFIG`]).
fn problem_status(e: &anyhow::Error) -> Option<u8> {
    // What the command line named or asked for that cannot be: a channel, a report's month,
    // kind or grouping, a statement `aduan query` does not run (not one query that only
    // reads: it exited 1, as a store's failure does, where a script must tell its own
    // mistake from the store's).
    let usage = e.chain().any(|c| {
        c.is::<UsageProblem>()
            || matches!(
                c.downcast_ref::<aduan_app::Error>(),
                Some(aduan_app::Error::NoSuchChannel(..))
            )
            || matches!(
                c.downcast_ref::<aduan_store::Error>(),
                Some(aduan_store::Error::Report(_) | aduan_store::Error::ReadOnly(_))
            )
    });
    if usage {
        return Some(EXIT_USAGE);
    }
    let config = e.chain().any(|c| {
        c.is::<ConfigProblem>()
            || c.is::<aduan_app::Error>()
            || matches!(
                c.downcast_ref::<aduan_store::Error>(),
                Some(aduan_store::Error::Url { .. })
            )
    });
    config.then_some(EXIT_CONFIG)
}

/// `store`, remembered to be closed when the command ends.
pub(crate) fn opened(store: Store) -> Store {
    if let Ok(mut all) = OPENED.lock() {
        all.push(store.clone());
    }
    store
}

/// Runs the command, then closes the stores it opened (also when it failed): on SQLite
/// `Store::close` folds the write-ahead log into the database file, so that the file alone
/// is the whole store (copied, moved or read by another tool) instead of a file whose latest
/// writes sit in a `-wal` beside it.
pub(crate) async fn run(cli: Cli) -> Result<ExitCode> {
    let result = command(cli).await;
    let stores = OPENED.lock().map(|mut all| std::mem::take(&mut *all));
    for store in stores.unwrap_or_default() {
        // A connection still in use (a transaction never ended) holds the end no longer
        // than CLOSE_WAIT: what can be closed is, and the store is named in the warning.
        if let Err(e) = store.close_within(CLOSE_WAIT).await {
            tracing::warn!(error = %e, "The store was not closed in full.");
        }
    }
    result
}

async fn command(cli: Cli) -> Result<ExitCode> {
    // An empty `ADUAN_CONFIG=` or `ADUAN_DATABASE_URL=` (a blank line of an environment
    // file, meaning the default) is no setting, as `AppConfig::load` takes the latter.
    let path = cli.config.as_deref().filter(|p| !p.as_os_str().is_empty());
    let mut config = AppConfig::load(path).context("reading the configuration")?;
    if let Some(url) = cli.database.as_ref().filter(|u| !u.is_empty()) {
        config.store.url = url.clone();
    }
    // A URL read with its line end (an environment file with Windows line ends sourced by a
    // shell) or with white space around it named another file (`aduan.db\r`, made as a
    // new, empty store) or database: refused, not shown (it may hold a password) (deploy
    // review).
    let url = &config.store.url;
    if url.chars().any(char::is_control) || url.trim() != url {
        return Err(ConfigProblem(
            "the database URL ([store] url, --database or ADUAN_DATABASE_URL) begins or ends \
             in white space or holds a line break or another control character (a file's line \
             end read with it?); not shown: set the URL alone"
                .into(),
        )
        .into());
    }
    match cli.command {
        #[cfg(feature = "demo")]
        Command::Demo {
            file,
            reports,
            seed,
        } => {
            // The demo makes its own store (`--file`): a database given on the command line
            // was ignored without a word (review). (One from `ADUAN_DATABASE_URL`, a
            // deployment's setting, is left alone: the demo is not about that store.)
            let from_environment = std::env::var("ADUAN_DATABASE_URL").ok() == cli.database;
            if cli.database.as_ref().is_some_and(|u| !u.is_empty()) && !from_environment {
                return Err(UsageProblem(
                    "aduan demo makes its own SQLite store, --file (aduan-demo.db here); \
                     --database is not used by it"
                        .into(),
                )
                .into());
            }
            // A store named otherwise (a deployment's ADUAN_DATABASE_URL, `[store] url` of a
            // configuration) is not refused, but said to be left alone (review: it was
            // passed over without a word, and the commands run after the demo in that shell
            // read that store, not the demo's).
            if config.store.url != aduan_app::config::StoreConfig::default().url {
                let named = match std::env::var("ADUAN_DATABASE_URL") {
                    Ok(v) if !v.is_empty() => "ADUAN_DATABASE_URL",
                    _ => "[store] url",
                };
                say!(
                    "Note: {named} names a store; the demo leaves it alone and makes its own, \
                     {} (the commands it suggests at its end name that one with --database).",
                    file.display()
                );
            }
            demo::run(&config, &file, reports, seed).await
        }
        // A production build holds no simulator: the binary never depends on it at run time.
        #[cfg(not(feature = "demo"))]
        Command::Demo { .. } => anyhow::bail!(
            "this build of aduan has no simulator; the demo is \
             `cargo run --release --features demo -- demo`"
        ),
        Command::Sync { channel } => sync(&config, channel.as_deref()).await,
        Command::Status { runs } => {
            // Not opened, or failing as it reads: the state is not known (69), unless the
            // configuration says why (78). (Its standard output closed by its reader, or
            // failing to be written, is no store's failure.)
            let unreadable = |e: anyhow::Error| match problem_status(&e) {
                None => e.context(StoreUnreadable),
                Some(_) => e,
            };
            let store = open_to_read(&config).await.map_err(unreadable)?;
            inspect::status(&store, runs, &config).await.map_err(|e| {
                match e.chain().any(|c| c.is::<aduan_store::Error>()) {
                    true => unreadable(e),
                    false => e,
                }
            })
        }
        Command::Quarantine { action } => inspect::quarantine(&config, action).await,
        Command::Raw { action } => inspect::raw(&config, action).await,
        Command::Cursor { action } => cursor(&config, action).await,
        Command::Config {
            action: ConfigAction::Check,
        } => config_check(&config),
        Command::Renormalise => renormalise(&config).await,
        Command::Backup { to } => backup(&config, &to).await,
        Command::Restore { from } => restore(&config, &from).await,
        Command::Query { sql, format, bom } => {
            let bom = with_bom(format, bom)?;
            inspect::query(&open_to_read(&config).await?, &sql, format, bom).await
        }
        Command::Report {
            by,
            month,
            from,
            to,
            channel,
            kind,
            category,
            subcategory,
            in_city,
            format,
            bom,
        } => {
            let bom = with_bom(format, bom)?;
            // An empty value filters nothing, as the report API reads it (`--category ""`
            // from a script's unset variable counted no complaint; review).
            let given =
                |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            let listed = |vs: Vec<String>| -> Vec<String> {
                vs.iter()
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect()
            };
            let (channel, kind) = (listed(channel), listed(kind));
            // A channel no connector serves counts nothing: said, not a report of zeros.
            for c in &channel {
                known_channel(c)?;
            }
            // (Checked here, not by the parser: `--month "" --from 2024-01` is a range, as the
            // report API reads `month=&from=2024-01`.)
            let (month, from, to) = (given(month), given(from), given(to));
            if month.is_some() && (from.is_some() || to.is_some()) {
                return Err(UsageProblem(
                    "--month: give either --month or --from and --to, not both".into(),
                )
                .into());
            }
            let in_city = match given(in_city) {
                None => None,
                Some(v) => Some(
                    aduan_store::InCity::parse(&v)
                        .map_err(|why| UsageProblem(format!("--in-city: {why}")))?,
                ),
            };
            let spec = aduan_store::ReportSpec {
                by: by
                    .into_iter()
                    .filter_map(|b| b.0)
                    .map(inspect::dimension)
                    .collect(),
                from_month: month.clone().or(from),
                to_month: month.or(to),
                channels: channel,
                kinds: kind,
                category_main: given(category),
                category_sub: given(subcategory),
                in_city,
            };
            inspect::report(&open_to_read(&config).await?, &spec, format, bom).await
        }
        Command::Serve { listen } => serve::run(&config, listen.as_deref()).await,
    }
}

/// `aduan config check`: the configuration was read (its own keys, ranges and schedules
/// checked as it was); every channel's table is checked as its connector checks it, without
/// its secrets, and a SQLite store's URL as the store reads it (nothing is opened). A problem
/// is the configuration's (exit 78).
fn config_check(config: &AppConfig) -> Result<ExitCode> {
    let checked = registry::check_settings(config)?;
    if !aduan_store::is_postgres_url(&config.store.url) {
        aduan_store::sqlite_path(&config.store.url)?;
    }
    let on: Vec<&str> = checked
        .iter()
        .copied()
        .filter(|id| config.channels.get(*id).is_some_and(|c| c.enabled))
        .collect();
    out!(
        "aduan config check: {} reads; {} channel table(s) checked{}, {} switched on{}; \
         secrets are not read here (`aduan sync` and `aduan serve` read them when they start)",
        match &config.source {
            Some(p) => p.display().to_string(),
            None => "the built-in configuration (no file given, and no config/aduan.toml here)"
                .to_string(),
        },
        checked.len(),
        listed(&checked),
        on.len(),
        listed(&on),
    );
    Ok(ExitCode::SUCCESS)
}

/// ` (a, b)`, the ids after a count of them; nothing for none (`0 switched on`, not
/// `0 switched on ()`).
fn listed(ids: &[&str]) -> String {
    match ids {
        [] => String::new(),
        _ => format!(" ({})", ids.join(", ")),
    }
}

/// `--bom` as given with `format`: refused with any other format than CSV (a mark at the
/// start of JSON lines or of a table is a stray character to every reader of them).
fn with_bom(format: crate::Format, bom: bool) -> Result<bool> {
    if bom && !matches!(format, crate::Format::Csv) {
        return Err(UsageProblem(
            "--bom is for --format csv (the mark tells Excel that a CSV file is UTF-8)".into(),
        )
        .into());
    }
    Ok(bom)
}

pub(crate) async fn open_store(config: &AppConfig) -> Result<Store> {
    remembered(config, Store::open(&config.store.url).await)
}

/// The store for a command that reads it: a SQLite file that is not there is an error, not
/// a new empty store (a mistyped `--database` would otherwise be made and read as empty).
pub(crate) async fn open_existing_store(config: &AppConfig) -> Result<Store> {
    must_exist(config)?;
    open_store(config).await
}

/// The store for a command that only reads it (`status`, `query`, `report`, `raw`,
/// `quarantine list` and `show`), as it is: one older than this program is not migrated by
/// an analyst's reading (a newer `aduan` on a laptop would otherwise upgrade the schema under
/// the service, which then refuses a store migrated by a newer Aduan), but refused, saying
/// what migrates it.
pub(crate) async fn open_to_read(config: &AppConfig) -> Result<Store> {
    must_exist(config)?;
    let store = remembered(config, Store::open_as_is(&config.store.url).await)?;
    if let Err(e) = store.ready().await {
        anyhow::bail!(
            "the store {} is not at this aduan's schema ({e}); `aduan sync`, `serve` or \
             `renormalise` migrate it, commands that only read leave it as it is",
            aduan_store::redact_url(&config.store.url)
        );
    }
    Ok(store)
}

/// A SQLite file that is not there is an error, not a new empty store.
fn must_exist(config: &AppConfig) -> Result<()> {
    let url = &config.store.url;
    if !aduan_store::is_postgres_url(url) {
        let path = aduan_store::sqlite_path(url)?;
        let file = std::path::Path::new(path);
        if !file.exists() {
            // A relative path is the current folder's, not the configuration file's folder
            // as a relative `tables_dir` is: said, with the folder (deploy review: run from
            // another folder than the service's, `aduan --config /etc/aduan/aduan.toml
            // status` named `aduan.db` alone, and its advice, `aduan sync`, made a second,
            // empty store there).
            let folder = match std::env::current_dir() {
                Ok(cwd) if file.is_relative() => format!(
                    "; a relative path is taken from the current folder, {}, not from the \
                     configuration file's",
                    cwd.display()
                ),
                _ => String::new(),
            };
            anyhow::bail!(
                "there is no store at {path} (check [store] url, --database or \
                 ADUAN_DATABASE_URL{folder}; `aduan sync` makes it)"
            );
        }
    }
    Ok(())
}

/// The store `config` names, as one of the `Store`'s openers gave it: remembered to be
/// closed when the command ends, or the opener's error, saying which store.
fn remembered(config: &AppConfig, store: aduan_store::Result<Store>) -> Result<Store> {
    let store = store.with_context(|| {
        format!(
            "opening the store {}",
            aduan_store::redact_url(&config.store.url)
        )
    })?;
    Ok(opened(store))
}

pub(crate) fn load_normaliser(config: &AppConfig) -> Result<Arc<Normaliser>> {
    let key = tables::reporter_key(&config.normaliser.reporter_key_env)?;
    Ok(tables::normaliser(
        config.normaliser.tables_dir.as_deref(),
        &registry::registry(),
        key,
    )?)
}

/// The longest lease and time budget a run is given, whatever the configuration says.
const TEN_YEARS_SECS: u64 = 10 * 366 * 24 * 3600;

pub(crate) fn engine(config: &AppConfig, store: Store, normaliser: Arc<Normaliser>) -> Engine {
    Engine::new(
        store,
        normaliser,
        EngineOptions {
            // (At most ten years each: a larger number means "never" as well, and the
            // clocks' arithmetic would overflow on TOML's largest integers.)
            lease_ttl: Duration::from_secs(config.sync.lease_ttl_secs.clamp(5, TEN_YEARS_SECS)),
            budget: Some(Duration::from_secs(
                config.sync.budget_secs.clamp(1, TEN_YEARS_SECS),
            )),
            // (At most a hundred years: a larger number means "keep them all" as well.)
            keep_runs: chrono::TimeDelta::days(i64::from(
                config.sync.keep_runs_days.clamp(1, 36_500),
            )),
        },
    )
}

/// How long [`tables_up_to_date`] waits for a channel another run holds.
const REBUILD_WAIT: Duration = Duration::from_secs(300);

/// Rebuilds the unified tables first when they were built with other rules, tables or
/// reporter key than `engine`'s (see `Engine::rebuild_if_stale`), and says so (`command`
/// names who). While another run holds a channel (a scheduled sync, or another process
/// rebuilding them itself) it waits, up to [`REBUILD_WAIT`]; an error when they must be
/// rebuilt and cannot be: nothing is to be synced into them until then.
pub(crate) async fn tables_up_to_date(engine: &Engine, command: &str, bar: &Bar) -> Result<()> {
    let started = std::time::Instant::now();
    let mut told = false;
    let rebuilt = loop {
        match engine.rebuild_if_stale(&registry::specs(), bar).await {
            Err(aduan_sync::Error::Busy(channel)) if started.elapsed() < REBUILD_WAIT => {
                if !told {
                    esay!(
                        "{command}: the unified tables are to be rebuilt first, and another run \
                         holds {channel}: waiting for it (up to {} minutes)",
                        REBUILD_WAIT.as_secs() / 60
                    );
                    told = true;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            other => break other,
        }
    };
    bar.finish();
    match rebuilt {
        Ok(None) => Ok(()),
        Ok(Some((why, c))) => {
            say!(
                "{command}: {why}: the unified tables were rebuilt from the archive first: {} raw records → {} complaints, {} quarantined",
                c.fetched, c.inserted, c.quarantined
            );
            Ok(())
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "{command}: the unified tables must be rebuilt with this Aduan's normaliser (its \
             rules, tables or reporter key changed) before anything is synced into them, and \
             could not be now; nothing was synced"
        ))),
    }
}

async fn sync(config: &AppConfig, only: Option<&str>) -> Result<ExitCode> {
    // Both read first, so that what is missing (channel secrets, the reporter key) is told
    // at once, not one per run.
    let (connectors, normaliser) =
        match (registry::connectors(config, only), load_normaliser(config)) {
            (Ok(c), Ok(n)) => (c, n),
            // A channel the command line names that is not there is the command line's
            // mistake (2), whatever else is missing.
            (Err(a @ aduan_app::Error::NoSuchChannel(..)), _) => return Err(a.into()),
            (Err(a), Err(b)) => return Err(ConfigProblem(format!("{a}; {b}")).into()),
            (Err(a), _) => return Err(a.into()),
            (_, Err(b)) => return Err(b),
        };
    if connectors.is_empty() {
        // Tables there, each switched off, are named as such: "add a table" sent the
        // operator to look for one that was there (readme review, session 49).
        let off: Vec<&str> = config
            .channels
            .iter()
            .filter(|(_, c)| !c.enabled)
            .map(|(id, _)| id.as_str())
            .collect();
        let what = if off.is_empty() {
            format!(
                "add a [channels.<id>] table (known: {})",
                registry::known_ids()
            )
        } else {
            format!(
                "the channels there are switched off (enabled = false): {}; set `enabled = \
                 true`, or sync one alone with --channel <id>",
                off.join(", ")
            )
        };
        return Err(ConfigProblem(format!(
            "no channel is enabled in the configuration ({}); {what}",
            match &config.source {
                Some(p) => format!("read from {}", p.display()),
                None => "none was read: no --config or ADUAN_CONFIG given, and no \
                         config/aduan.toml in the current folder"
                    .to_string(),
            },
        ))
        .into());
    }
    let store = open_store(config).await?;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let engine = engine(config, store, normaliser).with_stop(stop.clone());
    let bar = Bar::new();
    tables_up_to_date(&engine, "aduan sync", &bar).await?;
    // Ctrl-C or SIGTERM, once the runs start: the batch being written is committed with its
    // cursor, the run is recorded `partial` (stopped by shutdown) and its lease given back,
    // and no further channel starts; a second signal stops at once (review: the first killed
    // the process, leaving the run "running" and its lease held until it lapsed). Before
    // (the start-up rebuild, which starts again from the archive), a signal stops at once.
    // Both signals are listened for from here on, the second too (a listener made after the
    // first signal would miss one sent at once after it).
    // (Without them, a signal ends the process at once, as it would any program.)
    let signals = Signals::new()
        .inspect_err(|e| tracing::warn!(error = %e, "Cannot listen for Ctrl-C and SIGTERM; a signal stops the sync at once."))
        .ok();
    let signals = tokio::spawn(async move {
        let Some(mut signals) = signals else {
            return;
        };
        signals.next().await;
        let _ = stop_tx.send(true);
        esay!(
            "aduan sync: stopping once the batch being written is committed; a second signal stops at once"
        );
        let code = signals.next().await;
        std::process::exit(code);
    });
    let (mut failed, mut partial, mut skipped, mut stopped, mut not_run) = (0, 0, 0, 0, 0);
    let mut totals = (0u64, 0u64, 0u64, 0u64);
    for connector in &connectors {
        if *stop.borrow() {
            say!("{}: not run — stopped", connector.channel());
            not_run += 1;
            continue;
        }
        // An operator's run goes ahead of a wait the source asked a run before for (the
        // scheduler waits it out), said so: its answer may well be another `429`.
        if let Ok(Some(until)) = engine.asked_until(connector.channel()).await {
            esay!(
                "{}: the source asked to be left alone until {} (Retry-After, answered to a run before); asked all the same",
                connector.channel(),
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
        }
        // An error around a run (its lease or its record could not be written) fails that
        // channel; the others still run.
        let report = match engine.sync(connector.as_ref(), &bar).await {
            Ok(report) => report,
            Err(e) => {
                bar.finish();
                esay!("{}: failed — {e}", connector.channel());
                failed += 1;
                continue;
            }
        };
        bar.finish();
        // A run that failed or stopped short (its error fails the command) is said on stderr,
        // with the error, once: the engine's log of that error is off for `aduan sync`, and a
        // cron job that keeps only stderr (`aduan sync >/dev/null`) was told nothing but the
        // exit status (review). Other runs' lines go to stdout.
        // (A run stopped by its time budget is `partial` and fails nothing: the rest is
        // fetched next run.)
        let stopped_short = report.outcome == Outcome::Partial
            && report
                .error
                .as_deref()
                .is_some_and(|e| !e.ends_with(aduan_sync::BUDGET_USED_UP));
        if report.outcome == Outcome::Failed || stopped_short {
            esay!("{}", report.summary_line());
        } else {
            say!("{}", report.summary_line());
        }
        if report.outcome == Outcome::Skipped {
            skipped += 1;
        }
        let stopped_here = aduan_sync::stopped_by_shutdown(connector.channel());
        if report.outcome == Outcome::Partial && report.error.as_deref() == Some(&stopped_here) {
            stopped += 1;
        } else if report.outcome == Outcome::Failed {
            failed += 1;
        } else if stopped_short {
            // Stopped short by what it met (a 112 file it could not read): said as it is
            // recorded, `partial`, not as a failure (review); it fails the command all the same.
            partial += 1;
        }
        let c = &report.counts;
        totals.0 += c.fetched;
        totals.1 += c.inserted;
        totals.2 += c.updated;
        totals.3 += c.quarantined;
    }
    signals.abort();
    let mut also = String::new();
    if partial > 0 {
        also.push_str(&format!(", {partial} partial"));
    }
    if skipped > 0 {
        also.push_str(&format!(", {skipped} skipped (another run held them)"));
    }
    if stopped > 0 {
        also.push_str(&format!(", {stopped} stopped"));
    }
    if not_run > 0 {
        also.push_str(&format!(", {not_run} not run (stopped)"));
    }
    say!(
        "aduan sync: {} channel(s), {} failed{also}; fetched {}, inserted {}, updated {}, quarantined {}",
        connectors.len(),
        failed,
        totals.0,
        totals.1,
        totals.2,
        totals.3
    );
    Ok(if failed + partial + stopped + not_run > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed: a sync run over `ssh` whose
/// connection dropped stops as on Ctrl-C, not at once), listened for from when this is made.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
                hangup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// The next signal, as the exit code a process it ended would have (130, 143, 129).
    async fn next(&mut self) -> i32 {
        #[cfg(unix)]
        {
            tokio::select! {
                biased;
                _ = self.interrupt.recv() => 130,
                _ = self.terminate.recv() => 143,
                _ = self.hangup.recv() => 129,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            130
        }
    }
}

/// `aduan cursor`: shows, sets or clears saved cursors.
async fn cursor(config: &AppConfig, action: CursorAction) -> Result<ExitCode> {
    let (channel, cursor) = match action {
        CursorAction::Show { named, channel } => {
            let store = open_to_read(config).await?;
            let channels = match named.or(channel) {
                Some(c) => vec![known_channel(&c)?.id.to_string()],
                None => {
                    let mut ids: Vec<String> =
                        registry::specs().into_keys().map(str::to_string).collect();
                    ids.sort();
                    ids
                }
            };
            for c in channels {
                match store.cursor(&c).await? {
                    Some(cursor) => out!("{c}: {cursor}"),
                    None => out!("{c}: (none)"),
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        CursorAction::Set { channel, cursor } => (channel, Some(cursor)),
        CursorAction::Clear { channel } => (channel, None),
    };
    let spec = known_channel(&channel)?;
    // A 112 cursor names every daily file read: after two years or so it is longer than one
    // argument of a command line may be (Linux: 128 KiB), so `-` reads it from standard
    // input, without the line end a shell or `cursor show` puts after it (review: a saved
    // cursor could not be given back).
    let cursor = match cursor {
        Some(c) if c == "-" => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .context("reading the cursor from standard input")?;
            let text = text.trim_end_matches(['\r', '\n']);
            // Saved with `cursor show <channel>`, it follows the channel's name (review: it
            // was refused as not the connector's); no channel's cursor begins so.
            let shown = format!("{}: ", spec.id);
            Some(
                text.strip_prefix(shown.as_str())
                    .unwrap_or(text)
                    .to_string(),
            )
        }
        other => other,
    };
    // Saved in the form the connector saves it.
    let cursor = match cursor {
        Some(c) => Some(
            (spec.check_cursor)(&c)
                .map_err(|e| {
                    // The connector says why as it says a setting's fault; the cursor is
                    // none of the configuration's (readme review, session 49: "configuration:"
                    // sent the operator to aduan.toml).
                    UsageProblem(match e {
                        aduan_core::Error::Config { channel, message } => {
                            format!("{channel}: {message}")
                        }
                        e => e.to_string(),
                    })
                })
                .context("the cursor is not set")?,
        ),
        None => None,
    };
    let store = open_existing_store(config).await?;
    let holder = format!("cursor-{}", uuid::Uuid::new_v4());
    let Some(lease) = store
        .try_lease(spec.id, &holder, Duration::from_secs(60))
        .await?
    else {
        anyhow::bail!(
            "a run of {} is going on (it holds the channel's lease); the cursor is not set: \
             try again when it ends",
            spec.id
        );
    };
    let set = store.set_cursor(spec.id, cursor.as_deref(), &lease).await;
    let released = lease.release().await;
    let before = set?;
    if let Err(e) = released {
        // Set all the same; a lease not given back lapses (SQLite) or goes with the connection.
        tracing::warn!(channel = spec.id, error = %e, "The channel's lease was not given back.");
    }
    // As `aduan status` shows a cursor: on one line, and a long one (a 112 cursor names
    // every file read) by its start and its length, not echoed whole (review: hundreds of
    // kilobytes on the terminal). `aduan cursor show` prints one whole.
    let shown = |c: &Option<String>| {
        c.as_deref().map_or("(none)".to_string(), |c| {
            inspect::one_line(&inspect::short_cursor(c))
        })
    };
    out!(
        "aduan cursor: {}'s cursor {} (was {}); {}",
        spec.id,
        match &cursor {
            Some(_) => format!("set to {}", shown(&cursor)),
            None => "cleared".to_string(),
        },
        shown(&before),
        match &cursor {
            Some(_) => "its next run reads on from there",
            None => "its next run starts over, recognising what is stored",
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The registry's line of channel `id`, or a usage problem naming the known ones.
fn known_channel(id: &str) -> Result<aduan_core::ChannelSpec> {
    registry::specs().remove(id).ok_or_else(|| {
        UsageProblem(format!(
            "no channel {id:?}; the channels are {}",
            registry::known_ids()
        ))
        .into()
    })
}

async fn renormalise(config: &AppConfig) -> Result<ExitCode> {
    let normaliser = load_normaliser(config)?;
    // Nothing to rebuild from where there is no store (a mistyped `--database`).
    let store = open_existing_store(config).await?;
    let engine = engine(config, store, normaliser);
    let bar = Bar::new();
    let started = std::time::Instant::now();
    let counts = engine
        .renormalise(&registry::specs(), &bar)
        .await
        .context("rebuilding the unified tables")?;
    bar.finish();
    let secs = started.elapsed().as_secs_f64().max(0.001);
    // A record that could not be read and came again readable later closes its entry: the
    // run's count and the open quarantine differ then, and both are said.
    let open = engine
        .store()
        .quarantine_open_ids()
        .await
        .context("counting the open quarantine")?
        .len();
    say!(
        "aduan renormalise: {} raw records → {} complaints ({} superseded versions), {} unreadable ({} open in quarantine) in {:.1}s ({:.0} records/s)",
        counts.fetched,
        counts.inserted,
        counts.updated + counts.unchanged,
        counts.quarantined,
        open,
        secs,
        counts.fetched as f64 / secs
    );
    // A payload that does not unpack is damage to the archive (its bytes, or the dictionary
    // it was packed with), not a record the source sent wrong: the rebuild goes on past it
    // (quarantined as stored, so that an upgrade's rebuild is not stopped by one damaged
    // row), but its complaint is missing from the tables now in place, so the command fails
    // saying so (review: it exited 0, the damage told only by a count).
    // Those an admin dismissed (`aduan quarantine dismiss`: no backup holds them) are not
    // quarantined again and do not fail it (review: a renormalise exited 1 for good after
    // every such entry was dismissed, saying they were quarantined); said all the same.
    if counts.unreadable > 0 {
        let (open, first) = engine
            .store()
            .quarantine_open_of_field(aduan_sync::UNREADABLE_FIELD)
            .await
            .context("counting the open quarantine")?;
        if open == 0 {
            esay!(
                "warning: {} archived payload(s) could not be unpacked, their quarantine entries \
                 dismissed (`aduan quarantine list --all`): their complaints are not in the \
                 rebuilt tables",
                counts.unreadable
            );
            return Ok(ExitCode::SUCCESS);
        }
        let first = first.map_or_else(
            || "?".to_string(),
            |(channel, record, reason)| {
                format!(
                    "{channel}: record {record}: field `{}`: {reason}",
                    aduan_sync::UNREADABLE_FIELD
                )
            },
        );
        esay!(
            "error: {open} archived payload(s) could not be unpacked (the first: {first}): the \
             archive is damaged, and their complaints are not in the rebuilt tables; they are \
             quarantined under the field `payload`: put the store back from a backup (or the \
             dictionary's row of raw_dictionaries), then `aduan quarantine retry --all` (or \
             `aduan quarantine dismiss` those no backup holds)"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn restore(config: &AppConfig, from: &std::path::Path) -> Result<ExitCode> {
    let bar = ByteBar::new("restore");
    let started = std::time::Instant::now();
    let restored =
        Store::restore(&config.store.url, from, &|done, total| bar.set(done, total)).await;
    bar.finish();
    let restored = restored.context("restoring the store")?;
    let kept = match &restored.kept {
        Some(path) => format!("the store before it is kept as {}", path.display()),
        None => "there was no store before it".into(),
    };
    // Opened as any store: migrated when the backup is older than this program. Failing,
    // the backup is in place all the same: say so, and where the store before it is.
    open_store(config).await.with_context(|| {
        format!("the backup is in the store's place, but opening it failed; {kept}")
    })?;
    say!(
        "aduan restore: {} → {}: {:.1} MB, {} raw records, {} complaints, checked; {kept}; in {:.1}s",
        from.display(),
        aduan_store::redact_url(&config.store.url),
        restored.bytes as f64 / 1e6,
        restored.raw_records,
        restored.complaints,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

async fn backup(config: &AppConfig, to: &std::path::Path) -> Result<ExitCode> {
    // Said before connecting (a server that is down would otherwise be waited for first).
    if aduan_store::is_postgres_url(&config.store.url) {
        anyhow::bail!(
            "aduan backup: the store {} is PostgreSQL: back it up with the server's own tools \
             (`pg_dump --format=custom`, or base backups with WAL archiving); `aduan backup` \
             copies SQLite stores",
            aduan_store::redact_url(&config.store.url)
        );
    }
    // A store that is not there is said as the commands that read say it.
    must_exist(config)?;
    // Copied as it is: a newer program migrates it afterwards, when it is next opened.
    // A folder (one there, or a path ending in `/`): the backup goes into it, named as the
    // service names its backups (operator review: `aduan backup /tmp/x/` tried to write
    // `/tmp/x/.partial`).
    let into_folder = to.is_dir() || to.as_os_str().to_string_lossy().ends_with('/');
    let to = if into_folder {
        std::fs::create_dir_all(to)
            .with_context(|| format!("aduan backup: cannot create the folder {}", to.display()))?;
        aduan_service::backup_name(to, chrono::Utc::now())
    } else {
        to.to_path_buf()
    };
    let to = to.as_path();
    let store = remembered(config, Store::open_as_is(&config.store.url).await)?;
    let bar = ByteBar::new("backup");
    let started = std::time::Instant::now();
    let copied = store.backup(to, &|done, total| bar.set(done, total)).await;
    bar.finish();
    let copied = copied.context("backing up the store")?;
    say!(
        "aduan backup: {} → {}: {:.1} MB, {} raw records, {} complaints, checked, in {:.1}s",
        aduan_store::redact_url(&config.store.url),
        to.display(),
        copied.bytes as f64 / 1e6,
        copied.raw_records,
        copied.complaints,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
