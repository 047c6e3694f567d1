//! `aduan`: gathers every citizen complaint of Kota Pekalongan into one table.
//!
//! The binary is thin: arguments, configuration, wiring. See `aduan --help`.

mod commands;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand, ValueEnum};

/// Gathers every citizen complaint of Kota Pekalongan, from every channel, into one table.
// (No `Debug`: `database` may hold a password.)
#[derive(Parser)]
#[command(name = "aduan", version, about, long_about = None)]
struct Cli {
    /// Configuration file [default: config/aduan.toml if it exists; an empty value counts as
    /// none given].
    // Any text, the empty one too (clap's path parser refuses it): a blank `ADUAN_CONFIG=` in
    // an environment file means the default, as `commands::command` reads it.
    #[arg(
        long,
        global = true,
        env = "ADUAN_CONFIG",
        value_parser = clap::builder::OsStringValueParser::new().map(PathBuf::from)
    )]
    config: Option<PathBuf>,
    /// Database URL: `sqlite:file.db` or `postgres://…` (overrides the configuration; an empty
    /// value counts as none given).
    #[arg(
        long,
        global = true,
        env = "ADUAN_DATABASE_URL",
        hide_env_values = true
    )]
    database: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// Log level filter (`warn`, `info`, `debug`, or a `tracing` directive) [default: `info`
    /// for `serve`, else `warn`]; RUST_LOG wins.
    #[arg(long, global = true, value_parser = log_filter)]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Pull every enabled channel (or one) into the store.
    Sync {
        /// Only this channel.
        #[arg(long)]
        channel: Option<String>,
    },
    /// Per channel: last runs, outcome, counts, cursor, quarantine size, the run going on;
    /// exits 1 when a channel's latest run that did the work failed or was killed (while a
    /// run goes on, the one before it), 69 when the store cannot be read.
    Status {
        /// Runs shown per channel (those skipped because another run held the channel are
        /// not: how many were since is said).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i64).range(0..))]
        runs: i64,
    },
    /// Records that could not be read or normalised.
    Quarantine {
        #[command(subcommand)]
        action: QuarantineAction,
    },
    /// A channel's saved cursor: where its next run reads on from.
    Cursor {
        #[command(subcommand)]
        action: CursorAction,
    },
    /// The configuration, checked without running anything.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// The archive: every payload as it was received (packed ones unpacked).
    Raw {
        #[command(subcommand)]
        action: RawAction,
    },
    /// Rebuild the unified tables from `raw_records` (no network).
    Renormalise,
    /// Copy the SQLite store into a new file while it is in use: one snapshot, checked and
    /// compacted, in a single file (a PostgreSQL store is backed up with `pg_dump`).
    Backup {
        /// The new file (it must not exist; its folder is created), or a folder, given with
        /// a trailing `/` or already there, to hold `aduan-<UTC time>.db`.
        to: PathBuf,
    },
    /// Put a backup in the place of the SQLite store: the backup checked, the store's file
    /// kept beside it (`.before-restore-<time>`). Refused while the store is in use.
    Restore {
        /// The backup (a file `aduan backup` wrote; it is only read).
        from: PathBuf,
    },
    /// Run one read-only SQL statement over the store (a statement that writes is refused).
    Query {
        /// The SQL statement (one that begins with a `--` comment is taken as it is).
        #[arg(allow_hyphen_values = true)]
        sql: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Begin the CSV with a UTF-8 byte order mark (`--format csv` only), for Excel, which
        /// reads a CSV without one in the computer's own code page: `Café`, `Sémarang` and
        /// every letter beyond ASCII come out mangled.
        #[arg(long)]
        bom: bool,
    },
    /// Complaints per month, channel, kind and category, with how many are open and how fast
    /// they were answered and resolved or closed (hours from the report, averaged).
    Report {
        /// Group by these, in this order, comma-separated: month, channel, kind, category,
        /// subcategory (`--by month` for a month's totals over every channel; `--by ''` for
        /// one row of totals, as the report API's `by=`).
        #[arg(
            long,
            value_parser = by_part,
            value_delimiter = ',',
            default_value = "month,channel,kind,category"
        )]
        by: Vec<ByPart>,
        /// Only this month (`YYYY-MM`, the city's time; not with `--from` or `--to`).
        #[arg(long)]
        month: Option<String>,
        /// From this month (`YYYY-MM`), inclusive.
        #[arg(long)]
        from: Option<String>,
        /// To this month (`YYYY-MM`), inclusive.
        #[arg(long)]
        to: Option<String>,
        /// Only these channels (comma-separated ids: `cc112,sp4n_lapor`).
        #[arg(long, value_delimiter = ',')]
        channel: Vec<String>,
        /// Only these kinds (comma-separated: `complaint`, `aspiration`,
        /// `information_request`, `non_genuine`, `unknown`; `--kind complaint` leaves out
        /// aspirations, information requests and prank calls: `--kind complaint,aspiration`
        /// keeps aspirations).
        #[arg(long, value_delimiter = ',')]
        kind: Vec<String>,
        /// Only this national main category (as in `category_main`; case is ignored).
        #[arg(long)]
        category: Option<String>,
        /// Only this national sub-category (as in `category_sub`, `BANJIR` say; case is
        /// ignored).
        #[arg(long)]
        subcategory: Option<String>,
        /// Only the complaints in the city (`yes`), outside it (`no`: another region, a
        /// position outside the box about the city) or where is not known (`unknown`), as
        /// `in_city` says; by default wherever they are.
        #[arg(long, value_name = "yes|no|unknown")]
        in_city: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Begin the CSV with a UTF-8 byte order mark (`--format csv` only), for Excel, which
        /// reads a CSV without one in the computer's own code page: `Café`, `Sémarang` and
        /// every letter beyond ASCII come out mangled.
        #[arg(long)]
        bom: bool,
    },
    /// Run as a service: the HTTP server (health, readiness, metrics, the report API,
    /// webhooks), the scheduler of every enabled channel that has a `schedule`, and the
    /// SQLite store's backups on `[backup] schedule`, until SIGTERM, SIGHUP or Ctrl-C.
    Serve {
        /// Address to listen on (`host:port`; port 0 picks a free one) [default: `[service]
        /// listen` of the configuration, else 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Start the simulator, sync every channel into an SQLite file here, sync again, summarise
    /// (a build with the `demo` feature: `cargo run --release --features demo -- demo`).
    Demo {
        /// The SQLite file (in the current folder).
        #[arg(long, default_value = "aduan-demo.db")]
        file: PathBuf,
        /// SP4N-LAPOR! reports the simulator generates.
        #[arg(long, default_value_t = 2000)]
        reports: usize,
        /// The simulator's seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
enum QuarantineAction {
    /// List open entries (newest first).
    List {
        /// Only this channel.
        #[arg(long)]
        channel: Option<String>,
        /// Closed entries too: resolved, and dismissed (by whom, and why).
        #[arg(long)]
        all: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..))]
        limit: i64,
    },
    /// Show one entry with its raw payload.
    Show {
        /// The entry's id.
        id: i64,
    },
    /// Read entries again with the current code and tables; what reads now is stored.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["ids", "all"])))]
    Retry {
        /// Entry ids.
        ids: Vec<i64>,
        /// Every open entry.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Close open entries by hand that no retry will read (an old version of a record whose
    /// newer versions are stored, a payload sent in error): recorded with who (the login
    /// name; `sudo`'s caller) and when, and why; their payloads are not quarantined again, and
    /// a retry passes them over.
    Dismiss {
        /// Entry ids.
        #[arg(required = true)]
        ids: Vec<i64>,
        /// Why (kept with the entry, shown by `list --all` and `show`).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Undo the dismissal of entries dismissed by mistake: open again as before they were
    /// dismissed (who dismissed them and why are said, then cleared), for a retry to read.
    /// An entry whose payload has another open entry now, or any while a rebuild of the
    /// tables has not ended, is left dismissed (exit 1).
    Undismiss {
        /// Entry ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Read the configuration and check every channel's table as its connector does (keys,
    /// ranges, URLs, schedules) and the store's URL, without the secrets, the store or the
    /// network: exits 78 naming each channel and key at fault, as `aduan sync` and `aduan
    /// serve` would at their start.
    Check,
}

#[derive(Debug, Subcommand)]
enum CursorAction {
    /// Show the saved cursor of every channel (or one) in full.
    Show {
        /// Only this channel (as `set` and `clear` take it).
        #[arg(value_name = "CHANNEL")]
        named: Option<String>,
        /// Only this channel.
        #[arg(long, conflicts_with = "named")]
        channel: Option<String>,
    },
    /// Set a channel's cursor (a time for `sp4n_lapor` and `lapor_gub`, such as
    /// `2026-12-01T00:00:00+07:00`): its next run reads on from there, and what it reads
    /// again is recognised, not stored twice. Refused while a run of the channel goes on.
    Set {
        /// The channel.
        channel: String,
        /// The cursor, as the channel's connector reads it; `-` reads it from standard input
        /// (a 112 cursor, which names every file read, outgrows a command line's argument).
        cursor: String,
    },
    /// Clear a channel's cursor: its next run starts over (from its `start_from`; 112 reads
    /// every listed file again, the Wadul Aladin register takes every row as changed),
    /// recognising what is stored. Refused while a run of the channel goes on.
    Clear {
        /// The channel.
        channel: String,
    },
}

#[derive(Debug, Subcommand)]
enum RawAction {
    /// List archived payloads, newest first.
    List {
        /// Only this channel's.
        #[arg(long)]
        channel: Option<String>,
        /// Only those of this record (the channel's own id, as in `complaints.external_id`,
        /// where the channel knows it before parsing; found through an index).
        #[arg(long)]
        record: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..))]
        limit: i64,
    },
    /// Show one archived payload as received, with where it came from.
    Show {
        /// Its `raw_id`.
        id: i64,
        /// Only the payload's bytes (for a pipe: `| jq .`).
        #[arg(long)]
        payload: bool,
    },
}

/// One part of `aduan report --by`: what it groups by, or nothing (`--by ''`: one row of
/// totals).
#[derive(Debug, Clone, Copy)]
struct ByPart(Option<ReportBy>);

fn by_part(s: &str) -> Result<ByPart, String> {
    if s.trim().is_empty() {
        return Ok(ByPart(None));
    }
    ReportBy::from_str(s.trim(), true)
        .map(|b| ByPart(Some(b)))
        .map_err(|_| {
            let names: Vec<String> = ReportBy::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value())
                .map(|p| p.get_name().to_string())
                .collect();
            format!(
                "{s:?} is not one of {} (or empty: totals)",
                names.join(", ")
            )
        })
}

/// What `aduan report` groups by.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportBy {
    /// The month reported, in the city's time.
    Month,
    /// The channel.
    Channel,
    /// The kind.
    Kind,
    /// The national main category.
    Category,
    /// The national sub-category.
    Subcategory,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// Aligned columns.
    Table,
    /// CSV with a header.
    Csv,
    /// One JSON object per row.
    Json,
}

/// A `--log` value, refused when `tracing` would read it otherwise than meant: a bare word
/// that is no level (`inf`, `debg`) is a target in its syntax, and every other log, errors
/// included, would be dropped without a word; a directive it cannot read was replaced by
/// `warn` as silently.
fn log_filter(s: &str) -> Result<String, String> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let directives: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let level = |d: &str| LEVELS.iter().any(|l| l.eq_ignore_ascii_case(d));
    // (A crate's name beside a level, `warn,aduan_sync`, turns no other log off.)
    let beside_level = directives.iter().any(|d| level(d));
    for &d in &directives {
        // `aduan_sync` or `aduan::x` alone is a target alone as well.
        let bare = !d.contains(['=', '[']) && !d.bytes().all(|b| b.is_ascii_digit());
        let crate_like = d.contains('_') || d.contains("::");
        if bare && !level(d) && !(beside_level && crate_like) {
            return Err(format!(
                "{d:?} is not a level (give one of {}; a target alone, as this reads, turns every \
                 other log off: write target=level)",
                LEVELS.join(", ")
            ));
        }
    }
    // The directives as they were checked, without the white space around them: `tracing`
    // reads ` warn` or `warn\n` (an environment file's quoted value, a line end) as a target,
    // and every log, errors included, was dropped without a word (deploy review).
    let s = directives.join(",");
    tracing_subscriber::EnvFilter::try_new(&s)
        .map(|_| s.clone())
        .map_err(|e| e.to_string())
}

fn init_logging(cli: &Cli) {
    let level = cli.log.as_deref().unwrap_or(match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    });
    // RUST_LOG wins, held to what `--log` is held to: one that would turn every log off
    // (a bare word that is no level) or that `tracing` cannot read is said and left out.
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| match log_filter(&v) {
            Ok(v) => Some(v),
            Err(why) => {
                eprintln!("warning: RUST_LOG is left out ({why}); logging at {level:?}");
                None
            }
        });
    // `aduan sync` says the error each run stopped on in its channel's line: the engine's
    // log of it is left out (it was printed twice), unless RUST_LOG asks for it.
    let level = match cli.command {
        Command::Sync { .. } => format!("{level},{}=off", aduan_sync::RUN_STOPPED_TARGET),
        _ => level.to_string(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(from_env.as_deref().unwrap_or(&level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colours only on a terminal: a service's log goes to the journal or a file.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> std::process::ExitCode {
    aduan_app::tune_allocator();
    let cli = Cli::parse();
    init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) if commands::reader_gone(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            commands::exit_status(&e)
        }
    }
}
