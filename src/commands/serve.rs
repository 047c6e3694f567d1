//! `aduan serve`: wires the configuration into `aduan-service` and runs it.

use std::process::ExitCode;
use std::time::Duration;

use aduan_app::config::AppConfig;
use aduan_app::registry;
use aduan_service::{ScheduledChannel, Service, ServiceOptions, Webhooks};
use anyhow::{Context, Result};

use super::{engine, load_normaliser, open_store};

/// Keeps the channels that cannot be built apart from the other problems, to be named
/// together.
fn apart(e: aduan_app::Error, unbuilt: &mut Vec<aduan_core::Error>, problems: &mut Vec<String>) {
    match e {
        aduan_app::Error::Connector(e) => unbuilt.push(e),
        aduan_app::Error::Connectors(list) => unbuilt.extend(list),
        other => problems.push(other.to_string()),
    }
}

/// One error naming each channel that cannot be built once, with all it lacks: a push
/// channel's pull side (its backfill token) and its webhook (its signing secret) are built
/// apart, and were named apart, the channel twice and counted once.
fn together(unbuilt: Vec<aduan_core::Error>) -> Option<aduan_app::Error> {
    let mut merged: Vec<aduan_core::Error> = Vec::new();
    for e in unbuilt {
        if let aduan_core::Error::Config { channel, message } = &e {
            let same = merged.iter_mut().find_map(|known| match known {
                aduan_core::Error::Config {
                    channel: c,
                    message: said,
                } if c == channel => Some(said),
                _ => None,
            });
            if let Some(m) = same {
                if !m.contains(message.as_str()) {
                    m.push_str("; ");
                    m.push_str(message);
                }
                continue;
            }
        }
        merged.push(e);
    }
    merged.sort_by_key(|e| match e {
        aduan_core::Error::Config { channel, .. } => channel.clone(),
        _ => String::new(),
    });
    match merged.len() {
        0 => None,
        1 => merged.pop().map(aduan_app::Error::Connector),
        _ => Some(aduan_app::Error::Connectors(merged)),
    }
}

pub(crate) async fn run(config: &AppConfig, listen: Option<&str>) -> Result<ExitCode> {
    let mut channels = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    // Channels that cannot be built, their pull sides' and their webhooks' errors together.
    let mut unbuilt: Vec<aduan_core::Error> = Vec::new();
    for (id, channel) in &config.channels {
        if !channel.enabled {
            continue;
        }
        let Some(expr) = &channel.schedule else {
            if registry::has_webhook(id) {
                tracing::info!(
                    channel = %id,
                    "No schedule: webhooks only, its pull side (backfill, register) does not run."
                );
            } else {
                tracing::warn!(
                    channel = %id,
                    "Enabled but without a schedule; `aduan serve` does not run it."
                );
            }
            continue;
        };
        match registry::connectors(config, Some(id)) {
            Ok(connectors) => {
                for connector in connectors {
                    match ScheduledChannel::new(connector, expr, config.service.schedule_utc_offset)
                    {
                        Ok(c) => channels.push(c),
                        Err(e) => problems.push(e.to_string()),
                    }
                }
            }
            Err(e) => apart(e, &mut unbuilt, &mut problems),
        }
    }
    // A scheduled backup that cannot be taken, the push channels' webhook secrets and the
    // reporter key are looked at before the store is opened (and migrated): a start that
    // stops has changed nothing, and it names every problem at once.
    let backups = match &config.backup.schedule {
        None => None,
        Some(_) if aduan_store::is_postgres_url(&config.store.url) => {
            problems.push(
                "[backup] schedule is set, but the store is PostgreSQL: back it up with the \
                 server's own tools (`pg_dump --format=custom`, or base backups with WAL \
                 archiving), and remove the schedule"
                    .into(),
            );
            None
        }
        Some(expr) => {
            // A relative folder is beside the store (the default, `backups`, on the store's
            // disk), not in whatever folder the service was started from.
            let dir = match aduan_store::sqlite_path(&config.store.url) {
                Ok(file) if config.backup.dir.is_relative() => std::path::Path::new(file)
                    .parent()
                    .unwrap_or(std::path::Path::new(""))
                    .join(&config.backup.dir),
                _ => config.backup.dir.clone(),
            };
            aduan_service::ScheduledBackup::new(
                expr,
                config.service.schedule_utc_offset,
                dir,
                config.backup.keep,
            )
            .map_err(|e| problems.push(e.to_string()))
            .ok()
        }
    };
    // An address without a port, or with one no port can be, is the configuration's
    // mistake (78, not restarted), found before the store is opened.
    let addr = listen.unwrap_or(&config.service.listen);
    // An IPv6 address in brackets (`[::1]:8080`): a bare `::1` has no port.
    let host_port = addr.rsplit_once(':').filter(|(host, port)| {
        !host.is_empty()
            && port.parse::<u16>().is_ok()
            && (!host.contains(':') || (host.starts_with('[') && host.ends_with(']')))
    });
    if host_port.is_none() {
        problems.push(format!(
            "the address to listen on {addr:?} is not host:port (a port of 0 to 65535; an \
             IPv6 address in brackets, [::1]:8080)"
        ));
    }
    // The report API's and the metrics' tokens, read as the channels' secrets are: one with
    // a line end or white space around it would refuse every dashboard's (or scrape's)
    // request with 401.
    for (whose, token_env) in [
        ("the report API's", &config.service.api_token_env),
        ("the metrics'", &config.service.metrics_token_env),
    ] {
        if let Some(flaw) = aduan_core::Secret::unusable(token_env) {
            problems.push(format!(
                "{whose} token is read from the environment variable {token_env}, which is {flaw}"
            ));
        }
    }
    let pushed = registry::push_channels(config).map_err(|e| apart(e, &mut unbuilt, &mut problems));
    if let Some(e) = together(unbuilt) {
        problems.insert(0, e.to_string());
    }
    let normaliser = load_normaliser(config).map_err(|e| problems.push(format!("{e:#}")));
    // Each once (an unknown channel table is found by every channel's check).
    let mut said = std::collections::HashSet::new();
    problems.retain(|p| said.insert(p.clone()));
    let (Ok(pushed), Ok(normaliser), true) = (pushed, normaliser, problems.is_empty()) else {
        return Err(super::ConfigProblem(format!(
            "aduan serve cannot start: {}",
            problems.join("; ")
        ))
        .into());
    };
    let store = open_store(config).await?;
    let s = &config.service;
    let options = ServiceOptions {
        schedule_tz: s.schedule_utc_offset,
        backoff_initial: Duration::from_secs(s.backoff_initial_secs.max(1)),
        backoff_max: Duration::from_secs(s.backoff_max_secs.max(1)),
        shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
        max_body_bytes: s.max_body_bytes,
        request_timeout: Duration::from_secs(s.request_timeout_secs.max(1)),
        min_send_rate: s.min_send_rate_bytes.max(1),
        max_connections: s.max_connections.max(1),
        api_token: aduan_core::Secret::from_env(&s.api_token_env),
        metrics_token: aduan_core::Secret::from_env(&s.metrics_token_env),
        channels: registry::specs().keys().map(|id| id.to_string()).collect(),
    };
    let mut service = Service::new(store.clone(), options);
    let engine = engine(config, store.clone(), normaliser);
    // Before the first scheduled run or webhook writes into them.
    super::tables_up_to_date(&engine, "aduan serve", &aduan_app::progress::Bar::new()).await?;
    let mut webhooks = Webhooks::new();
    for (spec, routes) in pushed {
        webhooks = webhooks.push(engine.clone(), spec, routes);
    }
    if channels.is_empty() && webhooks.channels().is_empty() {
        match backups.is_some() {
            true => tracing::warn!(
                "No enabled channel has a schedule or webhooks; the backups are scheduled, \
                 and health, readiness, metrics and the report API served."
            ),
            false => tracing::warn!(
                "No enabled channel has a schedule or webhooks; serving health, readiness, metrics and the report API only."
            ),
        }
    }
    if !channels.is_empty() {
        service = service.schedule(engine, channels);
    }
    service = service.webhooks(webhooks);
    if let Some(backups) = backups {
        service = service.backups(backups);
    }

    // Every address the name resolves to (`localhost`: 127.0.0.1 and ::1; review: only the
    // first was listened on, and a client trying the other was refused).
    let resolved: Vec<std::net::SocketAddr> = tokio::net::lookup_host(addr)
        .await
        .with_context(|| format!("resolving the address to listen on {addr}"))?
        .collect();
    let bound = aduan_service::bind_each(&resolved)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let mut local = Vec::new();
    for listener in &bound.listeners {
        let at = listener
            .local_addr()
            .with_context(|| format!("reading the address bound for {addr}"))?;
        local.push(format!("http://{at}"));
    }
    // Those it could not bind beside them are said (IPv6 switched off, a port taken there).
    let not_bound = bound
        .not_bound
        .iter()
        .map(|(at, e)| format!("{at}: {e}"))
        .collect::<Vec<_>>();
    // Those a listener on `[::]` serves, taking IPv4 too, are said beside it.
    for (at, by) in &bound.covered {
        if let Some(i) = bound
            .listeners
            .iter()
            .position(|l| l.local_addr().is_ok_and(|a| a == *by))
        {
            local[i].push_str(&format!(" (IPv4 too: {at})"));
        }
    }
    for (at, e) in &bound.not_bound {
        tracing::warn!(%addr, not_bound = %at, error = %e, "One address of the name to listen on could not be bound; the others are listened on.");
    }
    say!(
        "aduan serve: listening on {} (store {}){}",
        local.join(" and "),
        store.url(),
        match not_bound.is_empty() {
            true => String::new(),
            false => format!("; not on {}", not_bound.join(", ")),
        }
    );
    service
        .run_on(bound.listeners, aduan_service::shutdown_signal())
        .await?;
    say!("aduan serve: stopped");
    Ok(ExitCode::SUCCESS)
}
