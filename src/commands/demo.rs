//! `aduan demo`: the whole path on a fresh machine, against the simulator.

use std::path::Path;
use std::process::ExitCode;

use aduan_app::config::AppConfig;
use aduan_app::progress::Bar;
use aduan_app::{registry, tables};
use aduan_core::Secret;
use aduan_service::{Service, ServiceOptions, Webhooks};
use aduan_sim::{Cc112Config, Cc112Faults, RunningSim, SimConfig, Simulator, Sp4nConfig};
use aduan_store::Store;
use aduan_sync::Engine;
use anyhow::{Context, Result};

use super::engine;

/// Used only when ADUAN_REPORTER_KEY is not set: the demo's data is simulated.
const DEMO_REPORTER_KEY: &str = "aduan-demo-key-not-for-production";

pub(crate) async fn run(
    config: &AppConfig,
    file: &Path,
    reports: usize,
    seed: u64,
) -> Result<ExitCode> {
    // A key that is set is checked as every other command checks it (the demo's store may be
    // the one a deployment goes on with).
    let var = &config.normaliser.reporter_key_env;
    let key = if Secret::from_env(var).is_some() {
        tables::reporter_key(var)?
    } else {
        say!("Note: {var} is not set; the demo hashes reporters with a demo key.");
        Secret::new(DEMO_REPORTER_KEY)
    };
    // The city's tables read before anything is made (review: a `tables_dir` that is not
    // there left an empty demo store behind).
    let registered = registry::registry();
    let normaliser = tables::normaliser(config.normaliser.tables_dir.as_deref(), &registered, key)?;
    let path = std::env::current_dir()
        .context("reading the current folder")?
        .join(file);
    let url = format!("sqlite:{}", path.display());
    let store = super::opened(
        Store::open(&url)
            .await
            .with_context(|| format!("opening {}", path.display()))?,
    );
    say!("Demo database: {}", path.display());

    let sim = Simulator::start(
        SimConfig {
            seed,
            sp4n_lapor: Some(Sp4nConfig {
                reports,
                ..Sp4nConfig::default()
            }),
            cc112: Some(Cc112Config {
                faults: Cc112Faults::all(),
                ..Cc112Config::default()
            }),
            // Every other channel as it comes (a new one too: give it its `demo` entry).
            ..SimConfig::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .context("starting the simulator")?;
    say!("Simulator: {}", sim.base_url());

    // The webhook server closes its store when it stops: it gets one of its own.
    let push_store = super::opened(
        Store::open(&url)
            .await
            .context("opening the demo database")?,
    );
    let push_engine = engine(config, push_store.clone(), normaliser.clone());
    super::tables_up_to_date(&push_engine, "aduan demo", &Bar::new()).await?;
    push(&registered, &sim, &push_store, &push_engine).await?;
    let engine = engine(config, store.clone(), normaliser);
    let bar = Bar::new();
    for pass in ["First sync", "Second sync (nothing should change)"] {
        say!("\n{pass}:");
        for r in &registered {
            let Some(demo) = r.demo else { continue };
            let connector = demo(&sim)?;
            let report = engine.sync(connector.as_ref(), &bar).await?;
            bar.finish();
            say!("  {}", report.summary_line());
        }
    }
    sim.shutdown().await;

    say!("\nComplaints per channel and kind:");
    let rows = store.summary().await?;
    let mut channels: Vec<&str> = rows.iter().map(|r| r.channel.as_str()).collect();
    channels.dedup();
    let mut total = 0;
    for channel in channels {
        let of_channel: Vec<_> = rows.iter().filter(|r| r.channel == channel).collect();
        let sum: i64 = of_channel.iter().map(|r| r.count).sum();
        total += sum;
        say!("  {channel:<14} {sum:>8}");
        for r in of_channel {
            say!(
                "    {:<22} {:>8}  {:>5.1}%",
                r.kind,
                r.count,
                100.0 * r.count as f64 / sum.max(1) as f64
            );
        }
    }
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "aduan".into());
    say!("Try: {exe} --database sqlite:{} status", path.display());
    say!(
        "     {exe} --database sqlite:{} quarantine list",
        path.display()
    );
    say!(
        "     {exe} --database sqlite:{} report --by channel,kind",
        path.display()
    );
    // The run's one-line summary, last.
    say!("aduan demo: {total} complaints in {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// The push channels: `aduan serve`'s webhook endpoints on a loopback port, the simulator
/// delivering every webhook (forged, stale, duplicate and out-of-order ones among them), then
/// a wait until every stored delivery is folded into complaints.
async fn push(
    registered: &[registry::Registered],
    sim: &RunningSim,
    store: &Store,
    engine: &Engine,
) -> Result<()> {
    let pushed: Vec<_> = registered
        .iter()
        .filter_map(|r| r.demo_push.map(|p| (r.spec, p)))
        .collect();
    if pushed.is_empty() {
        return Ok(());
    }
    let mut webhooks = Webhooks::new();
    for (spec, p) in &pushed {
        webhooks = webhooks.push(engine.clone(), *spec, (p.routes)(sim));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("listening for the demo's webhooks")?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = Service::new(store.clone(), ServiceOptions::default()).webhooks(webhooks);
    let server = tokio::spawn(service.run(listener, async {
        let _ = stopped.await;
    }));
    say!("\nWebhooks (aduan serve's endpoints at {base}):");
    for (spec, p) in &pushed {
        let said = (p.deliver)(sim, base.clone()).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !store.inbox(spec.id, 1).await?.is_empty() {
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "{}: deliveries still unfolded after 60 s",
                spec.id
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        say!("  {}: {said}; all folded", spec.id);
    }
    let _ = stop.send(());
    server.await.context("the demo's webhook server")??;
    Ok(())
}
