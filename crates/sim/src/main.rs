//! `aduan-sim`: serves simulated complaint channels of Kota Pekalongan until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use aduan_sim::{
    Cc112Config, Cc112Faults, LaporGubConfig, LaporGubFaults, SimConfig, Simulator,
    SmartCityConfig, Sp4nConfig, Sp4nFaults, WadulConfig, WadulDeliveryPlan, WadulFaults,
};
use clap::{Parser, ValueEnum};

/// Simulator of Kota Pekalongan's complaint channels (SP4N-LAPOR!, Call Center 112, the
/// Pantau Pekalongan smart-city app, the Wadul Aladin WhatsApp line and Lapor Gub!), on
/// loopback HTTP.
#[derive(Debug, Parser)]
#[command(name = "aduan-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of SP4N-LAPOR! reports.
    #[arg(long, default_value_t = 500)]
    sp4n_reports: usize,
    /// SP4N-LAPOR! instansi_id.
    #[arg(long, default_value = "pemkot-pekalongan")]
    sp4n_instansi_id: String,
    /// SP4N-LAPOR! client_id.
    #[arg(long, default_value = "aduan")]
    sp4n_client_id: String,
    /// SP4N-LAPOR! client_secret.
    #[arg(long, default_value = "sim-secret")]
    sp4n_client_secret: String,
    /// Fault to inject into SP4N-LAPOR! (repeatable), at the rates of `all`.
    #[arg(long = "fault", value_enum)]
    faults: Vec<Fault>,
    /// Days of Call Center 112 exports (from 2021-01-01).
    #[arg(long, default_value_t = 365)]
    cc112_days: u32,
    /// Call Center 112 calls a year (2021: about 400).
    #[arg(long, default_value_t = 400)]
    cc112_calls_per_year: u32,
    /// Call Center 112's messy cases (BOM, Windows-1252, short times, bad rows, extra
    /// column, stray files) switched on.
    #[arg(long)]
    cc112_messy: bool,
    /// Write Call Center 112's exports into this folder too (the `dir` source).
    #[arg(long)]
    cc112_dir: Option<std::path::PathBuf>,
    /// Number of Pantau Pekalongan (smart-city) reports.
    #[arg(long, default_value_t = 300)]
    smart_city_reports: usize,
    /// Bearer token the Pantau Pekalongan backfill API accepts.
    #[arg(long, default_value = "pantau-sim-token")]
    smart_city_token: String,
    /// Secret Pantau Pekalongan webhooks are signed with.
    #[arg(long, default_value = "pantau-sim-webhook-secret")]
    smart_city_webhook_secret: String,
    /// Number of Wadul Aladin WhatsApp senders.
    #[arg(long, default_value_t = 120)]
    wadul_senders: usize,
    /// Wadul Aladin register cases typed in by hand (no wamid).
    #[arg(long, default_value_t = 15)]
    wadul_walk_ins: usize,
    /// App secret Wadul Aladin webhooks are signed with.
    #[arg(long, default_value = "wadul-sim-app-secret")]
    wadul_app_secret: String,
    /// Verify token to configure the aggregator's Wadul Aladin handshake with.
    #[arg(long, default_value = "wadul-sim-verify-token")]
    wadul_verify_token: String,
    /// Authorization header value the Wadul Aladin register requires (none by default).
    #[arg(long)]
    wadul_register_auth: Option<String>,
    /// 503 on every Nth Wadul Aladin register request (0 = never).
    #[arg(long, default_value_t = 0)]
    wadul_server_error_every: u32,
    /// POST the Wadul Aladin webhooks (default delivery plan) to this URL (the aggregator's
    /// /webhooks/wadul-aladin) once the simulator is up.
    #[arg(long)]
    wadul_deliver_to: Option<String>,
    /// Number of Lapor Gub! reports of Kota Pekalongan.
    #[arg(long, default_value_t = 300)]
    lapor_gub_reports: usize,
    /// Lapor Gub! reports of other kab/kota served despite kota_id (default: a tenth of
    /// --lapor-gub-reports).
    #[arg(long)]
    lapor_gub_other_kota: Option<usize>,
    /// API key Lapor Gub! accepts in X-API-Key.
    #[arg(long, default_value = "lapor-gub-sim-key")]
    lapor_gub_api_key: String,
    /// Lapor Gub! requests a minute per key before 429 (0 = no limit).
    #[arg(long, default_value_t = 30)]
    lapor_gub_rate_limit: u32,
    /// Lifetime of a Lapor Gub! cursor, in seconds.
    #[arg(long, default_value_t = 600)]
    lapor_gub_cursor_ttl_secs: u64,
    /// Lapor Gub! cursors hold an offset into the listing (as the contract's example
    /// `{"o":50}`), which a report updated mid-walk shifts, instead of a stable position.
    #[arg(long)]
    lapor_gub_offset_cursors: bool,
    /// Lapor Gub! reports share one `updated` in runs of this many (0: each its own).
    #[arg(long, default_value_t = 0)]
    lapor_gub_burst: usize,
    /// 429 with Retry-After: 1 on every Nth Lapor Gub! request (0 = never).
    #[arg(long, default_value_t = 0)]
    lapor_gub_rate_limit_every: u32,
    /// 410 cursor_expired on every Nth Lapor Gub! request carrying a cursor (0 = never).
    #[arg(long, default_value_t = 0)]
    lapor_gub_cursor_expired_every: u32,
    /// 503 on every Nth Lapor Gub! request (0 = never).
    #[arg(long, default_value_t = 0)]
    lapor_gub_server_error_every: u32,
    /// Every Nth Lapor Gub! report of Kota Pekalongan malformed (0 = never).
    #[arg(long, default_value_t = 0)]
    lapor_gub_bad_records_every: usize,
    /// Every Nth Lapor Gub! report of Kota Pekalongan with the unknown status 9 (0 = never).
    #[arg(long, default_value_t = 0)]
    lapor_gub_unknown_status_every: usize,
    /// Delay of the `timeout` fault, in seconds.
    #[arg(long, default_value_t = 3)]
    timeout_delay_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Fault {
    /// 401 on every 7th data request (the token is revoked early).
    TokenExpiry,
    /// 429 with Retry-After: 1 on every 5th data request.
    RateLimit,
    /// 500/502/504 on every 6th data request.
    ServerError,
    /// 503 with an HTML maintenance page on every 11th data request.
    Maintenance,
    /// Every 13th data request answered after a delay.
    Timeout,
    /// Paging shifts reports under a client asking for page 2 or later.
    PagingShift,
    /// Every 50th report malformed.
    BadRecords,
    /// All of the above.
    All,
}

fn faults(selected: &[Fault], delay: Duration) -> Sp4nFaults {
    let all = Sp4nFaults::all();
    let mut f = Sp4nFaults {
        timeout_delay: delay,
        ..Sp4nFaults::default()
    };
    for fault in selected {
        match fault {
            Fault::TokenExpiry => f.token_expiry_every = all.token_expiry_every,
            Fault::RateLimit => f.rate_limit_every = all.rate_limit_every,
            Fault::ServerError => f.server_error_every = all.server_error_every,
            Fault::Maintenance => f.maintenance_every = all.maintenance_every,
            Fault::Timeout => f.timeout_every = all.timeout_every,
            Fault::PagingShift => f.paging_shift = true,
            Fault::BadRecords => f.bad_records_every = all.bad_records_every,
            Fault::All => {
                f = Sp4nFaults {
                    timeout_delay: delay,
                    ..Sp4nFaults::all()
                }
            }
        }
    }
    f
}

/// `0` (never) as `None`.
fn every<T: PartialEq + Default>(n: T) -> Option<T> {
    (n != T::default()).then_some(n)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    // Every channel, each configured from its flags (and printed below): a channel added to
    // the simulator gets its flags and its place here.
    let config = SimConfig {
        seed: args.seed,
        sp4n_lapor: Some(Sp4nConfig {
            reports: args.sp4n_reports,
            instansi_id: args.sp4n_instansi_id.clone(),
            client_id: args.sp4n_client_id.clone(),
            client_secret: args.sp4n_client_secret.clone(),
            faults: faults(&args.faults, Duration::from_secs(args.timeout_delay_secs)),
        }),
        cc112: Some(Cc112Config {
            days: args.cc112_days,
            calls_per_year: args.cc112_calls_per_year,
            faults: if args.cc112_messy {
                Cc112Faults::all()
            } else {
                Cc112Faults::default()
            },
            ..Cc112Config::default()
        }),
        smart_city: Some(SmartCityConfig {
            reports: args.smart_city_reports,
            token: args.smart_city_token.clone(),
            webhook_secret: args.smart_city_webhook_secret.clone(),
            ..SmartCityConfig::default()
        }),
        wadul_aladin: Some(WadulConfig {
            senders: args.wadul_senders,
            walk_ins: args.wadul_walk_ins,
            app_secret: args.wadul_app_secret.clone(),
            verify_token: args.wadul_verify_token.clone(),
            register_auth: args.wadul_register_auth.clone(),
            faults: WadulFaults {
                server_error_every: args.wadul_server_error_every,
            },
        }),
        lapor_gub: Some(LaporGubConfig {
            reports: args.lapor_gub_reports,
            other_kota_reports: args
                .lapor_gub_other_kota
                .unwrap_or(args.lapor_gub_reports / 10),
            api_key: args.lapor_gub_api_key.clone(),
            cursor_ttl: Duration::from_secs(args.lapor_gub_cursor_ttl_secs),
            rate_limit_per_minute: (args.lapor_gub_rate_limit > 0)
                .then_some(args.lapor_gub_rate_limit),
            offset_cursors: args.lapor_gub_offset_cursors,
            burst: args.lapor_gub_burst,
            faults: LaporGubFaults {
                rate_limit_every: every(args.lapor_gub_rate_limit_every),
                cursor_expired_every: every(args.lapor_gub_cursor_expired_every),
                server_error_every: every(args.lapor_gub_server_error_every),
                bad_records_every: every(args.lapor_gub_bad_records_every),
                unknown_status_every: every(args.lapor_gub_unknown_status_every),
            },
        }),
    };
    let sim = match Simulator::start(config, args.listen).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("aduan-sim: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    println!("base URL:        {}", sim.base_url());
    println!("SP4N-LAPOR! URL: {}", sim.sp4n_base_url());
    println!(
        "SP4N-LAPOR!:     {} reports, instansi_id {}, client_id {}, client_secret {}",
        sim.sp4n_report_count(),
        args.sp4n_instansi_id,
        args.sp4n_client_id,
        args.sp4n_client_secret
    );
    println!("Call Center 112: {}/index.json", sim.cc112_url());
    println!(
        "Pantau Pekalongan: {}/api/reports ({} reports, token {}, webhook secret {})",
        sim.smart_city_base_url(),
        sim.smart_city_truth().len(),
        args.smart_city_token,
        args.smart_city_webhook_secret
    );
    let plan = WadulDeliveryPlan::default();
    println!(
        "Wadul Aladin:    {} ({} complaints, app secret {}, verify token {}{})",
        sim.wadul_register_url(),
        sim.wadul_truth(&plan).len(),
        args.wadul_app_secret,
        args.wadul_verify_token,
        args.wadul_register_auth
            .as_deref()
            .map(|a| format!(", Authorization {a:?}"))
            .unwrap_or_default()
    );
    let lapor_gub = sim.lapor_gub_truth();
    println!(
        "Lapor Gub!:      {}/api/v2/aduan?kota_id=3375 ({} reports of Kota Pekalongan, {} of \
         other kab/kota, X-API-Key {})",
        sim.lapor_gub_base_url(),
        lapor_gub.in_city,
        lapor_gub.other_kota,
        args.lapor_gub_api_key
    );
    if let Some(url) = &args.wadul_deliver_to {
        let stats = sim.wadul_deliver(url, &plan).await;
        println!("Wadul Aladin:    webhooks to {url}: {stats:?}");
    }
    if let Some(dir) = &args.cc112_dir {
        match sim.cc112_write_dir(dir) {
            Ok(n) => println!(
                "Call Center 112: {n} daily files written to {}",
                dir.display()
            ),
            Err(e) => {
                eprintln!("aduan-sim: cannot write {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    if !args.faults.is_empty() {
        println!("faults:          {:?}", args.faults);
    }
    println!("Ctrl-C to stop.");

    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("aduan-sim: cannot wait for Ctrl-C: {e}");
    }
    let stats = sim.sp4n_stats();
    let smart_city = sim.smart_city_stats();
    let wadul = sim.wadul_stats();
    let lapor_gub = sim.lapor_gub_stats();
    sim.shutdown().await;
    eprintln!(
        "aduan-sim: stopped; SP4N-LAPOR! {stats:?}; Pantau Pekalongan {smart_city:?}; \
         Wadul Aladin {wadul:?}; Lapor Gub! {lapor_gub:?}"
    );
    ExitCode::SUCCESS
}
