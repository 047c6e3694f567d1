//! Aduan as a service (`aduan serve`): one process with an HTTP server and a scheduler.
//!
//! - The scheduler runs each pull channel on its own cron expression through the sync
//!   engine: a tick that would overlap the channel's previous run is skipped, failures back
//!   off, and one failing channel never holds up the others. On several processes over one
//!   PostgreSQL database the store's lease lets one run per channel go at a time; the others
//!   are recorded as `skipped`.
//! - The HTTP server answers `GET /healthz` (the process is alive), `GET /readyz` (the
//!   database answers and is migrated, and its unified tables are built with what this
//!   process's engine reads records with), `GET /metrics` (Prometheus text; behind a bearer
//!   token when one is set) and `GET /api/report` (the analysts' report as JSON, for
//!   dashboards; behind a bearer token when one is set; `503` while the database is out of
//!   reach), and carries the push channels' webhooks ([`Webhooks`]) behind a body size
//!   limit. Readiness, metrics and reports, which read the database, are answered a few at
//!   once: more are answered `503` with `Retry-After`. A request without one `Host` header
//!   (HTTP/1.1) is answered `400`. A request has
//!   [`ServiceOptions::request_timeout`]; a connection that takes longer to send a request's
//!   head, stays idle longer between requests, or takes its answers slower than
//!   [`ServiceOptions::min_send_rate`] for longer than that, is closed.
//! - Backups of a SQLite store on a schedule of their own ([`ScheduledBackup`]), the newest
//!   kept.
//! - On shutdown (SIGTERM, Ctrl-C or SIGHUP, see [`shutdown_signal`]) no new run starts, the HTTP
//!   server stops taking connections, and running syncs finish their batch and save their
//!   cursor; after the grace period what still runs is abandoned (an unfinished batch is
//!   rolled back). The next start resumes at the saved cursors.
//!
//! ```no_run
//! # async fn demo(store: aduan_store::Store, engine: aduan_sync::Engine,
//! #     connector: Box<dyn aduan_core::DynPullConnector>) -> Result<(), Box<dyn std::error::Error>> {
//! use aduan_service::{ScheduledChannel, Service, ServiceOptions};
//! let options = ServiceOptions::default();
//! let channels = vec![ScheduledChannel::new(connector, "0 */15 * * * *", options.schedule_tz)?];
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! Service::new(store, options)
//!     .schedule(engine, channels)
//!     .run(listener, aduan_service::shutdown_signal())
//!     .await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod api;
mod backups;
mod error;
mod metrics;
mod scheduler;
mod server;
mod webhooks;

use std::future::Future;
use std::time::Duration;

use aduan_store::Store;
use aduan_sync::Engine;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use chrono::FixedOffset;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use backups::{backup_name, ScheduledBackup};
pub use error::{Error, Result};
pub use scheduler::ScheduledChannel;
pub use webhooks::{Deliveries, PushRoutes, Webhooks};

use metrics::Metrics;
use scheduler::Backoff;

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// How the service behaves.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// The time zone of the schedules.
    pub schedule_tz: FixedOffset,
    /// The wait after a failed run; it doubles with each further failure.
    pub backoff_initial: Duration,
    /// The longest wait after failures.
    pub backoff_max: Duration,
    /// How long running syncs get to finish at shutdown.
    pub shutdown_grace: Duration,
    /// The largest webhook request body, in bytes.
    pub max_body_bytes: usize,
    /// The bearer token `GET /api/report` requires; without one the report is open to whoever
    /// reaches the server.
    pub api_token: Option<aduan_core::Secret>,
    /// The bearer token `GET /metrics` requires; without one the metrics are open to whoever
    /// reaches the server (as Prometheus scrapes by default).
    pub metrics_token: Option<aduan_core::Secret>,
    /// How long one request may take, its body's arrival included; past it, `408` (`503` for
    /// one without a body, whose time was all the server's). Also how
    /// long a connection gets to send a request's head, from its start or from the previous
    /// answer (an idle keep-alive connection included), and how long the writing of answers
    /// may wait beyond what the client's pace earns (a client taking them at
    /// [`min_send_rate`](Self::min_send_rate) or faster never waits too long); past either,
    /// the connection is closed.
    pub request_timeout: Duration,
    /// The slowest a client may take its answers, on average, in bytes a second: each byte
    /// it takes earns `1/min_send_rate` s more of waiting for the writes of its answers,
    /// up to `request_timeout` in hand. 512 by default (4 kbit/s, below any mobile data
    /// link).
    pub min_send_rate: u64,
    /// The most connections served at once; more wait in the listener's queue.
    pub max_connections: usize,
    /// The ids of the channels there are (the registry's): a report asked for another is
    /// refused (`400`) instead of answered with zeros. Empty: any id is taken.
    pub channels: Vec<String>,
}

impl Default for ServiceOptions {
    /// WIB schedules, back-off from 1 minute to 1 hour, 30 s of grace, 1 MiB bodies, no API
    /// or metrics token, 30 s a request, 1,024 connections at once.
    fn default() -> Self {
        Self {
            schedule_tz: FixedOffset::east_opt(7 * 3600).expect("a valid offset"),
            backoff_initial: Duration::from_secs(60),
            backoff_max: Duration::from_secs(3600),
            shutdown_grace: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            api_token: None,
            metrics_token: None,
            request_timeout: Duration::from_secs(30),
            min_send_rate: server::MIN_SEND_RATE,
            max_connections: 1024,
            channels: Vec::new(),
        }
    }
}

/// The service: a store, what to schedule, webhooks, options.
#[derive(Debug)]
pub struct Service {
    store: Store,
    engine: Option<Engine>,
    channels: Vec<ScheduledChannel>,
    webhooks: Webhooks,
    backups: Option<ScheduledBackup>,
    options: ServiceOptions,
}

/// How many `/metrics` scrapes are answered at once: two Prometheus servers scraping the same
/// process (a pair for high availability), each answer a few database reads.
const METRICS_AT_ONCE: usize = 2;

/// How many `/readyz` probes are answered at once: a load balancer's checkers, a few.
const PROBES_AT_ONCE: usize = 4;

/// How long a request of a path answered a few at once ([`Few`]) waits for its turn.
const TURN_WAIT: Duration = api::TURN_WAIT;

/// The `Retry-After` (seconds) of a request turned away, its turn not had.
const RETRY_AFTER_SECS: u64 = api::RETRY_AFTER_SECS;

/// The requests of one path answered at once, at most: `/metrics` and `/readyz` answer whoever
/// reaches the server, without a token, and each reads the database, so that a flood of them
/// would take the store's few connections (four on SQLite) from webhooks and syncs (review of
/// the series). A request that does not get its turn within [`TURN_WAIT`] is answered `503`
/// with `Retry-After`, and counted (`aduan_http_turned_away_total`).
#[derive(Clone)]
struct Few {
    path: &'static str,
    /// Whether the path answers in lines of text, `not ready: <why>` (`/readyz`), not JSON.
    readiness: bool,
    at_once: usize,
    turns: std::sync::Arc<tokio::sync::Semaphore>,
    metrics: Metrics,
}

impl Few {
    fn new(path: &'static str, at_once: usize, metrics: &Metrics) -> Self {
        Self {
            path,
            readiness: path == "/readyz",
            at_once,
            turns: std::sync::Arc::new(tokio::sync::Semaphore::new(at_once)),
            metrics: metrics.clone(),
        }
    }
}

/// Answers `401` to a request without `token`, when there is one (`/metrics`).
async fn token_required(
    State(token): State<Option<std::sync::Arc<aduan_core::Secret>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match token {
        Some(token) if !api::bearer_is(request.headers(), &token) => {
            api::unauthorized("the metrics need the service's metrics bearer token")
        }
        _ => next.run(request).await,
    }
}

/// Runs `request` once it has a turn of `few`'s, or answers `503` (see [`Few`]).
async fn few_at_once(
    State(few): State<Few>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(TURN_WAIT, few.turns.clone().acquire_owned()).await {
        Ok(Ok(_turn)) => next.run(request).await,
        _ => {
            few.metrics.turned_away(few.path);
            let why = format!(
                "the service is busy: {} requests of {} are being answered, the most it \
                 answers at once; try again in {RETRY_AFTER_SECS} s",
                few.at_once, few.path
            );
            // As the path's other answers say why: `/readyz` a line of text (review of
            // session 51: it was JSON here alone), the others JSON.
            let mut answer = match few.readiness {
                true => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("not ready: {why}\n"),
                )
                    .into_response(),
                false => json_error(StatusCode::SERVICE_UNAVAILABLE, &why),
            };
            answer.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from(RETRY_AFTER_SECS),
            );
            answer
        }
    }
}

#[derive(Clone)]
struct AppState {
    store: Store,
    metrics: Metrics,
    /// What this process's engine reads records with, when it syncs (see
    /// [`tables_built_otherwise`]).
    reads_with: Option<String>,
    /// The turns of `/readyz` and of `/metrics`.
    probes: Few,
    scrapes: Few,
    /// The bearer token `/metrics` requires, if any.
    metrics_token: Option<std::sync::Arc<aduan_core::Secret>>,
}

impl AppState {
    fn new(store: Store, metrics: Metrics, reads_with: Option<String>) -> Self {
        Self {
            metrics_token: None,
            probes: Few::new("/readyz", PROBES_AT_ONCE, &metrics),
            scrapes: Few::new("/metrics", METRICS_AT_ONCE, &metrics),
            store,
            metrics,
            reads_with,
        }
    }
}

/// What the store's unified tables are recorded as built with, when it is not what this
/// process reads records with (`reads_with`): another process rebuilt them with an edited
/// table or another reporter key since this one started, and every write of this one is
/// refused until it is restarted. `None` when they agree, when this process neither syncs
/// nor folds webhooks, or when the store has recorded nothing yet.
async fn tables_built_otherwise(
    store: &Store,
    reads_with: Option<&str>,
) -> aduan_store::Result<Option<String>> {
    let Some(ours) = reads_with else {
        return Ok(None);
    };
    Ok(store.built_with().await?.filter(|stored| stored != ours))
}

impl Service {
    /// A service over `store` with nothing scheduled and no webhooks.
    pub fn new(store: Store, options: ServiceOptions) -> Self {
        Self {
            store,
            engine: None,
            channels: Vec::new(),
            webhooks: Webhooks::new(),
            backups: None,
            options,
        }
    }

    /// Backs the (SQLite) store up on `backups`' schedule.
    pub fn backups(mut self, backups: ScheduledBackup) -> Self {
        self.backups = Some(backups);
        self
    }

    /// Runs `channels` on their schedules through `engine` (which the service gives its
    /// stop signal).
    pub fn schedule(mut self, engine: Engine, channels: Vec<ScheduledChannel>) -> Self {
        self.engine = Some(engine);
        self.channels = channels;
        self
    }

    /// Mounts the push channels' webhook endpoints.
    pub fn webhooks(mut self, webhooks: Webhooks) -> Self {
        self.webhooks = webhooks;
        self
    }

    /// Serves on `listener` and runs the schedules until `shutdown` resolves, then stops as
    /// the crate's documentation says, within the grace period.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<()> {
        self.run_on(vec![listener], shutdown).await
    }

    /// [`run`](Self::run) serving on each of `listeners` (see [`bind_each`]).
    pub async fn run_on(
        self,
        listeners: Vec<TcpListener>,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<()> {
        let addr = listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let (stop_tx, stop_rx) = watch::channel(false);
        let metrics = Metrics::default();
        // A process that only takes webhooks folds them too: its writes are refused alike.
        let reads_with = self
            .engine
            .as_ref()
            .map(Engine::reads_with)
            .or_else(|| self.webhooks.reads_with());

        let mut schedulers = JoinSet::new();
        if let Some(engine) = self.engine {
            let engine = engine.with_stop(stop_rx.clone());
            let backoff = Backoff {
                initial: self.options.backoff_initial,
                max: self.options.backoff_max,
            };
            for channel in self.channels {
                schedulers.spawn(scheduler::channel_loop(
                    channel,
                    engine.clone(),
                    self.options.schedule_tz,
                    backoff,
                    metrics.clone(),
                    stop_rx.clone(),
                ));
            }
        }

        if let Some(backups) = self.backups {
            schedulers.spawn(backups::backup_loop(
                backups,
                self.store.clone(),
                self.options.schedule_tz,
                metrics.clone(),
                stop_rx.clone(),
            ));
        }

        let mut webhooks = self.webhooks;
        for pushed in webhooks.take_pushed() {
            schedulers.spawn(webhooks::inbox_loop(pushed, stop_rx.clone()));
        }
        let app = router(
            AppState {
                metrics_token: self.options.metrics_token.clone().map(std::sync::Arc::new),
                ..AppState::new(self.store.clone(), metrics.clone(), reads_with)
            },
            webhooks
                .into_router(
                    &metrics,
                    self.options.max_body_bytes,
                    self.options.request_timeout,
                )
                .merge(api::routes(
                    self.store.clone(),
                    self.options.api_token.clone(),
                    self.options.channels.clone(),
                    &metrics,
                )),
        )
        // JSON as every other error (review: a path not served, or a method a path does not
        // take, was answered with an empty body).
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, "no such path") })
        .method_not_allowed_fallback(|| async {
            json_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "not a method this path takes",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            self.options.request_timeout,
            time_limited,
        ))
        .layer(axum::middleware::from_fn(one_host));
        // A request's head gets as long as a whole request: a slow one, and a keep-alive
        // connection idle that long, are closed.
        let mut server = tokio::spawn(server::serve(
            listeners,
            app,
            server::Limits {
                head_timeout: self.options.request_timeout,
                connections: self.options.max_connections,
                min_send_rate: self.options.min_send_rate,
            },
            stop_rx.clone(),
        ));
        tracing::info!(
            %addr,
            store = %self.store.url(),
            report_api = if self.options.api_token.is_some() { "bearer token" } else { "open" },
            metrics = if self.options.metrics_token.is_some() { "bearer token" } else { "open" },
            "Serving."
        );

        tokio::select! {
            () = shutdown => {}
            ended = &mut server => {
                let _ = stop_tx.send(true);
                let source = match ended {
                    Ok(()) => std::io::Error::other("it ended by itself"),
                    Err(e) => std::io::Error::other(e),
                };
                return Err(Error::Server { addr, source });
            }
        }
        tracing::info!(
            grace_secs = self.options.shutdown_grace.as_secs(),
            "Shutting down: no new runs; running syncs finish their batch."
        );
        let _ = stop_tx.send(true);
        let drained = tokio::time::timeout(self.options.shutdown_grace, async {
            while let Some(ended) = schedulers.join_next().await {
                if let Err(e) = ended {
                    tracing::error!(error = %e, "A channel's scheduler ended abnormally.");
                }
            }
            let _ = (&mut server).await;
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                grace_secs = self.options.shutdown_grace.as_secs(),
                "Shutdown grace period over; what still runs is abandoned (an unfinished batch is rolled back)."
            );
            schedulers.abort_all();
            server.abort();
        }
        // Closed in either case, waiting a while at most for a connection still in use (a
        // run abandoned above gives its own back as it is dropped): what can be closed is,
        // and the warning names the store.
        if let Err(e) = self.store.close_within(aduan_store::CLOSE_WAIT).await {
            tracing::warn!(error = %e, "The store was not closed in full.");
        }
        tracing::info!("Stopped.");
        Ok(())
    }
}

/// The listeners [`bind_each`] made, and the addresses it could not bind, with why.
#[derive(Debug)]
pub struct Bound {
    /// One a bound address, in the order given.
    pub listeners: Vec<TcpListener>,
    /// The addresses left out: another was bound, this one could not be (IPv6 switched off,
    /// its port taken there).
    pub not_bound: Vec<(std::net::SocketAddr, std::io::Error)>,
    /// The IPv4 addresses served by a listener of the list on `[::]` that takes IPv4 too (a
    /// dual-stack socket, the system's default), which holds their port: each with that
    /// listener's address.
    pub covered: Vec<(std::net::SocketAddr, std::net::SocketAddr)>,
}

/// How many times [`bind_each`] chooses a port for port 0 before it leaves out an address
/// where the port chosen is taken.
const PORT_TRIES: u32 = 16;

/// Listens on each of `addrs` (every address a host name resolves to: `localhost` is
/// `127.0.0.1` and `::1`, and a client may try either), each once, on one port: a port of
/// 0 is the one the first address got, and when another process holds that port at another
/// address, all are bound again on a new one (up to 16 times). `[::]` is bound first: where
/// it takes IPv4 too (a dual-stack socket), an IPv4 address beside it on its port is served
/// by it and said in [`Bound::covered`]. An address that cannot be bound while another was
/// is left out and said in [`Bound::not_bound`]; none bound is the first one's error.
pub async fn bind_each(addrs: &[std::net::SocketAddr]) -> std::io::Result<Bound> {
    bind_each_with(addrs, &mut |_| {}).await
}

/// [`bind_each`], calling `before` with each address before it is bound (a test takes a
/// port there first).
async fn bind_each_with(
    addrs: &[std::net::SocketAddr],
    before: &mut (dyn FnMut(std::net::SocketAddr) + Send),
) -> std::io::Result<Bound> {
    let mut unique: Vec<std::net::SocketAddr> = Vec::new();
    for a in addrs {
        if !unique.contains(a) {
            unique.push(*a);
        }
    }
    // `[::]` first: bound after `0.0.0.0` on its port it would find the port taken there
    // (a dual-stack socket takes IPv4's too), and every port chosen again would be.
    let mut order: Vec<usize> = (0..unique.len()).collect();
    order.sort_by_key(|i| !is_any_v6(&unique[*i]));
    let mut tries = 1;
    let bound = loop {
        let mut listeners: Vec<(usize, TcpListener)> = Vec::new();
        let mut not_bound = Vec::new();
        let mut covered = Vec::new();
        let mut port = None;
        let mut chosen_taken = false;
        for &i in &order {
            let mut addr = unique[i];
            let chosen = port.filter(|_| addr.port() == 0);
            if let Some(port) = chosen {
                addr.set_port(port);
            }
            before(addr);
            match TcpListener::bind(addr).await {
                Ok(listener) => {
                    port = port.or(listener.local_addr().ok().map(|a| a.port()));
                    listeners.push((i, listener));
                }
                Err(e) => {
                    // An IPv4 address whose port this list's own `[::]` holds, taking IPv4
                    // too: served by it (review, session 48: `::` and `0.0.0.0` on port 0
                    // were bound again 16 times, the port taken each time by the first).
                    let by = listeners
                        .iter()
                        .filter_map(|(_, l)| l.local_addr().ok().map(|at| (at, l)))
                        .find(|(at, l)| {
                            addr.is_ipv4() && at.port() == addr.port() && takes_ipv4_too(l)
                        })
                        .map(|(at, _)| at);
                    match by {
                        Some(by) if e.kind() == std::io::ErrorKind::AddrInUse => {
                            covered.push((i, (addr, by)));
                        }
                        _ => {
                            // The port chosen for the first address is another's here:
                            // another, free on every address, may be had.
                            chosen_taken |=
                                chosen.is_some() && e.kind() == std::io::ErrorKind::AddrInUse;
                            not_bound.push((i, (addr, e)));
                        }
                    }
                }
            }
        }
        if !chosen_taken || tries == PORT_TRIES {
            // In the order given.
            listeners.sort_by_key(|(i, _)| *i);
            not_bound.sort_by_key(|(i, _)| *i);
            covered.sort_by_key(|(i, _)| *i);
            break Bound {
                listeners: listeners.into_iter().map(|(_, l)| l).collect(),
                not_bound: not_bound.into_iter().map(|(_, n)| n).collect(),
                covered: covered.into_iter().map(|(_, c)| c).collect(),
            };
        }
        // (The listeners bound close as they go; their ports are chosen again.)
        tries += 1;
    };
    if bound.listeners.is_empty() {
        return Err(match bound.not_bound.into_iter().next() {
            Some((addr, e)) => std::io::Error::new(e.kind(), format!("{addr}: {e}")),
            None => std::io::Error::new(
                std::io::ErrorKind::AddrNotAvailable,
                "no address to listen on",
            ),
        });
    }
    Ok(bound)
}

/// Whether `addr` is IPv6's unspecified address, `[::]`.
fn is_any_v6(addr: &std::net::SocketAddr) -> bool {
    matches!(addr.ip(), std::net::IpAddr::V6(ip) if ip.is_unspecified())
}

/// Whether `listener` is on `[::]` and takes IPv4 too (`IPV6_V6ONLY` off: Linux's default,
/// `net.ipv6.bindv6only` 0).
fn takes_ipv4_too(listener: &TcpListener) -> bool {
    if !listener.local_addr().is_ok_and(|at| is_any_v6(&at)) {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let mut only: libc::c_int = 1;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: the descriptor is the listener's, open while it is borrowed; `only` and
        // `len` are valid for writing, `len` saying the size of `only`.
        let rc = unsafe {
            libc::getsockopt(
                listener.as_raw_fd(),
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                (&mut only as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        rc == 0 && only == 0
    }
    #[cfg(not(unix))]
    {
        false
    }
}

fn router(state: AppState, webhooks: Router) -> Router {
    let few = |few: &Few| axum::middleware::from_fn_with_state(few.clone(), few_at_once);
    // The token is asked for before a turn is waited for: requests without it take none.
    let token = axum::middleware::from_fn_with_state(state.metrics_token.clone(), token_required);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz).route_layer(few(&state.probes)))
        .route(
            "/metrics",
            get(metrics_text)
                .route_layer(few(&state.scrapes))
                .route_layer(token),
        )
        .with_state(state)
        .merge(webhooks)
}

/// Stops the request when it (its body's arrival included: a webhook reads its body inside
/// the handler) takes longer than `limit`; a handler stopped so rolls back what it had not
/// committed. A request with a body is answered `408`, its body may still have been coming;
/// one without (a report, a probe) `503`: the time was the server's, and `408` says the
/// client was too slow to send its request, which a client may send again at once (review
/// of session 49: a report stopped so was answered `408`).
async fn time_limited(
    State(limit): State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let bodiless = axum::body::HttpBody::is_end_stream(request.body());
    let deadline = tokio::time::Instant::now() + limit;
    let mut request = request;
    request.extensions_mut().insert(Deadline(deadline));
    match tokio::time::timeout_at(deadline, next.run(request)).await {
        Ok(response) => response,
        // JSON as the report API's other errors (a dashboard reads `error`).
        // With `Retry-After` as the report API's other `503` (review of the series: a client
        // told by it when to ask again had none here): the time limit, in whole seconds, for
        // the work stopped may still run (a report keeps its turn until its work ends).
        Err(_) if bodiless => {
            let mut answer = json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("the answer took longer than the time limit of {limit:?}"),
            );
            let secs = limit.as_secs() + u64::from(limit.subsec_nanos() > 0);
            answer.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs.max(1)),
            );
            answer
        }
        Err(_) => json_error(StatusCode::REQUEST_TIMEOUT, "the request took too long"),
    }
}

/// Answers `400` to a request without a `Host` header (HTTP/1.1), with more than one, or with
/// one that is not a host and an optional port, as RFC 9112 (section 3.2) says a server must:
/// hyper takes them (review of the series), and a proxy in front may route by another host
/// than the one a handler would read. (The answer has a JSON body: a bare `400` would be
/// taken for hyper's own and rewritten on its way out, see `server::Explained`.)
async fn one_host(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let problem = match (hosts.next(), hosts.next()) {
        (_, Some(_)) => Some("the request has more than one Host header; give one"),
        (None, None) if request.version() == axum::http::Version::HTTP_11 => {
            Some("an HTTP/1.1 request needs a Host header")
        }
        (Some(host), None) if !is_host(host) => {
            Some("the request's Host header is not a host with an optional port")
        }
        _ => None,
    };
    match problem {
        Some(problem) => json_error(StatusCode::BAD_REQUEST, problem),
        None => next.run(request).await,
    }
}

/// Whether `value` is what a `Host` header holds (RFC 9110, section 7.2; RFC 3986, section
/// 3.2.2): a host, an IP literal in brackets or a name, and an optional `:` and port of
/// digits (of any number: the grammar does not bound it); or nothing, which a client sends
/// for a target without a host. (`http`'s authority checks neither the port nor what is
/// within brackets, and takes a user.)
fn is_host(value: &axum::http::HeaderValue) -> bool {
    let value = value.as_bytes();
    if value.is_empty() {
        return true;
    }
    let (host_ok, rest) = match value.strip_prefix(b"[") {
        Some(literal) => match literal.iter().position(|&b| b == b']') {
            Some(end) => (ip_literal(&literal[..end]), &literal[end + 1..]),
            None => return false,
        },
        None => {
            let end = value.iter().position(|&b| b == b':').unwrap_or(value.len());
            // A name may be empty in the grammar, but not an HTTP URI's (RFC 9110, 4.2.1).
            (end > 0 && reg_name(&value[..end]), &value[end..])
        }
    };
    host_ok
        && match rest.split_first() {
            None => true,
            Some((b':', port)) => port.iter().all(u8::is_ascii_digit),
            Some(_) => false,
        }
}

/// Whether `inside` is what an IP literal holds between its brackets: an IPv6 address,
/// with a zone after `%` (RFC 6874 wrote it `%25`, and a client may), or an IPvFuture.
fn ip_literal(inside: &[u8]) -> bool {
    let Ok(inside) = std::str::from_utf8(inside) else {
        return false;
    };
    if let Some(future) = inside.strip_prefix(['v', 'V']) {
        return future.split_once('.').is_some_and(|(version, rest)| {
            !version.is_empty()
                && version.bytes().all(|b| b.is_ascii_hexdigit())
                && !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| unreserved_or_sub_delim(b) || b == b':')
        });
    }
    let (address, zone) = match inside.split_once('%') {
        Some((address, zone)) => (address, Some(zone)),
        None => (inside, None),
    };
    address.parse::<std::net::Ipv6Addr>().is_ok()
        && zone.is_none_or(|zone| {
            let zone = zone.strip_prefix("25").unwrap_or(zone);
            !zone.is_empty() && reg_name(zone.as_bytes())
        })
}

/// Whether `name` is a registered name (or an IPv4 address) of RFC 3986: unreserved
/// characters, sub-delimiters and `%` escapes of two hex digits.
fn reg_name(name: &[u8]) -> bool {
    let mut i = 0;
    while i < name.len() {
        match name[i] {
            b'%' => {
                let escaped = name.get(i + 1..i + 3);
                if !escaped.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b if unreserved_or_sub_delim(b) => i += 1,
            _ => return false,
        }
    }
    true
}

/// RFC 3986's unreserved characters and sub-delimiters.
fn unreserved_or_sub_delim(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b)
}

/// When a request's time runs out (`time_limited`): a webhook's body read within it is timed
/// to the same instant, so that its own answer (`408`, counted as `body_too_slow`) comes first
/// instead of racing this one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(pub(crate) tokio::time::Instant);

/// An error answered as the service answers every one (webhook refusals before a channel
/// sees the request, paths and methods not served): `{"error": …}`, as the channels' own
/// refusals and the report API's errors.
pub(crate) fn json_error(status: StatusCode, error: &str) -> axum::response::Response {
    (status, axum::Json(serde_json::json!({ "error": error }))).into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    let ready = async {
        state.store.ready_to_write().await?;
        tables_built_otherwise(&state.store, state.reads_with.as_deref()).await
    };
    match tokio::time::timeout(READY_TIMEOUT, ready).await {
        Ok(Ok(None)) => (StatusCode::OK, "ready\n".into()),
        Ok(Ok(Some(stored))) => {
            let ours = state.reads_with.as_deref().unwrap_or_default();
            tracing::warn!(%stored, reads_with = %ours, "Not ready: the unified tables were rebuilt otherwise by another process; restart this one.");
            // The digests stay in the log: this answer is unauthenticated, and the key's
            // fingerprint would let anyone test guesses of the reporter key offline.
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: the unified tables are built with other rules, tables or reporter \
                 key than this process reads records with (another process rebuilt them since \
                 this one started): its syncs store nothing; restart it\n"
                    .into(),
            )
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "Not ready.");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {}\n", not_ready_said(&e)),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: the database did not answer within {} s\n",
                READY_TIMEOUT.as_secs()
            ),
        ),
    }
}

/// What `/readyz` says of `e`, the store's error: whoever reaches the server may ask, so
/// it names no path (a SQLite store's file), URL or the database's own words (which may name
/// a host, a user or a database); the log has them (review of session 49). A migration not
/// applied, or the store's file gone, is said as the store says it, without the path.
fn not_ready_said(e: &aduan_store::Error) -> String {
    const LOG: &str = "the service's log says why";
    match e {
        aduan_store::Error::Migration { .. } => e.to_string(),
        // (`file_in_place`'s, which says what became of the file and what to do.)
        aduan_store::Error::File { message, .. } => message.clone(),
        aduan_store::Error::Sql { what, cause } => match cause
            .as_database_error()
            .and_then(|d| d.code().map(|c| c.into_owned()))
        {
            Some(code) => format!("{what} failed: the database's error code {code}; {LOG}"),
            None => format!("{what} failed without the database's answer; {LOG}"),
        },
        _ => format!("the database is not usable; {LOG}"),
    }
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state
            .metrics
            .render(&state.store, state.reads_with.as_deref())
            .await,
    )
}

/// Resolves at the first SIGTERM, Ctrl-C (SIGINT) or SIGHUP. The service has nothing to
/// reload (a changed configuration is read by a restart), so a hangup, its terminal closed
/// or a `kill -HUP`, stops it as SIGTERM does, its runs finishing their batch: by default
/// the signal ended the process at once (exit 129), its runs left unrecorded and their leases
/// held until they lapsed.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "Cannot listen for Ctrl-C.");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = unix_signal(tokio::signal::unix::SignalKind::terminate(), "SIGTERM");
    #[cfg(unix)]
    let hangup = unix_signal(tokio::signal::unix::SignalKind::hangup(), "SIGHUP");
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    #[cfg(not(unix))]
    let hangup = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received."),
        () = term => tracing::info!("SIGTERM received."),
        () = hangup => tracing::info!("SIGHUP received; there is nothing to reload: stopping as on SIGTERM."),
    }
}

/// Waits for the signal `kind` (`name` in the log); never returns when it cannot be listened
/// for (the others still stop the service).
#[cfg(unix)]
async fn unix_signal(kind: tokio::signal::unix::SignalKind, name: &str) {
    match tokio::signal::unix::signal(kind) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(e) => {
            tracing::error!(error = %e, "Cannot listen for {name}.");
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Started = (
        String,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<Result<()>>,
        aduan_store::testing::TestStore,
    );

    async fn start(webhooks: Webhooks, max_body_bytes: usize) -> Started {
        start_with(
            webhooks,
            ServiceOptions {
                max_body_bytes,
                ..ServiceOptions::default()
            },
            "",
        )
        .await
    }

    /// A service on a loopback port over a new SQLite store where `setup` (SQL) has run.
    async fn start_with(webhooks: Webhooks, options: ServiceOptions, setup: &str) -> Started {
        let ts = aduan_store::testing::sqlite().await;
        if !setup.is_empty() {
            ts.execute(setup).await;
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let service = Service::new(ts.store.clone(), options).webhooks(webhooks);
        let task = tokio::spawn(service.run(listener, async {
            let _ = rx.await;
        }));
        (base, tx, task, ts)
    }

    /// Review (session 47): `localhost:8080` was listened on at its first address only, and
    /// a client that tried the other (`::1`) was refused. Each address is listened on, on one
    /// port also when 0 asks for any, and served; one that cannot be bound beside another is
    /// said, not an error.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_address_of_a_name_is_listened_on_and_served() {
        let v4: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let v6: std::net::SocketAddr = "[::1]:0".parse().unwrap();
        if std::net::TcpListener::bind(v6).is_err() {
            eprintln!("skipped: no IPv6 loopback here");
            return;
        }
        let bound = bind_each(&[v4, v6, v4]).await.unwrap();
        assert!(bound.not_bound.is_empty(), "{:?}", bound.not_bound);
        let at: Vec<std::net::SocketAddr> = bound
            .listeners
            .iter()
            .map(|l| l.local_addr().unwrap())
            .collect();
        assert_eq!(at.len(), 2, "{at:?}");
        assert_eq!(at[0].port(), at[1].port(), "{at:?}");
        assert!(at[0].is_ipv4() && at[1].is_ipv6(), "{at:?}");
        let ts = aduan_store::testing::sqlite().await;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let service = Service::new(ts.store.clone(), ServiceOptions::default());
        let task = tokio::spawn(service.run_on(bound.listeners, async {
            let _ = rx.await;
        }));
        for a in &at {
            let res = reqwest::get(format!("http://{a}/healthz")).await.unwrap();
            assert_eq!(res.status().as_u16(), 200, "{a}");
        }
        // The port taken on one address: that one is said, the other bound.
        let taken = std::net::TcpListener::bind(v6).unwrap();
        let port = taken.local_addr().unwrap().port();
        let mut v4_same = v4;
        v4_same.set_port(0);
        let mut v6_same = v6;
        v6_same.set_port(port);
        let again = bind_each(&[v6_same, v4_same]).await.unwrap();
        assert_eq!(again.listeners.len(), 1);
        assert_eq!(again.not_bound.len(), 1);
        assert_eq!(again.not_bound[0].0, v6_same);
        let _ = tx.send(());
        task.await.unwrap().unwrap();
    }

    /// Operator review (session 47, left): with port 0, the port the first address got was
    /// tried on the others, and an address where another process held that port was left
    /// out (a client trying it refused) though a port free on every address could be had.
    /// The addresses are bound again on a new port then, all of them on one.
    #[tokio::test]
    async fn a_port_chosen_for_the_first_address_and_taken_at_another_is_chosen_again() {
        let first: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let second: std::net::SocketAddr = "127.0.0.2:0".parse().unwrap();
        if std::net::TcpListener::bind(second).is_err() {
            eprintln!("skipped: no 127.0.0.2 here");
            return;
        }
        // Another process takes the port the first address got, at the second, once.
        let mut taken: Option<std::net::TcpListener> = None;
        let mut take_once = |addr: std::net::SocketAddr| {
            if addr.ip() == second.ip() && addr.port() != 0 && taken.is_none() {
                taken = Some(std::net::TcpListener::bind(addr).unwrap());
            }
        };
        let bound = bind_each_with(&[first, second], &mut take_once)
            .await
            .unwrap();
        assert!(bound.not_bound.is_empty(), "{:?}", bound.not_bound);
        let at: Vec<std::net::SocketAddr> = bound
            .listeners
            .iter()
            .map(|l| l.local_addr().unwrap())
            .collect();
        assert_eq!(at.len(), 2, "{at:?}");
        assert_eq!(at[0].port(), at[1].port(), "{at:?}");
        assert_eq!((at[0].ip(), at[1].ip()), (first.ip(), second.ip()));
    }

    /// Operator review (session 48): an address list holding both `::` and `0.0.0.0` on port
    /// 0 was bound again 16 times, `0.0.0.0` finding the port taken each time by the `[::]`
    /// just bound, which takes IPv4 too (a dual-stack socket), and left out at last with a
    /// warning. Either order is bound at once: `[::]` listened on, `0.0.0.0` served by it,
    /// and a client of each family answered.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn any_address_of_both_families_on_port_0_is_bound_at_once() {
        let any_v4: std::net::SocketAddr = "0.0.0.0:0".parse().unwrap();
        let any_v6: std::net::SocketAddr = "[::]:0".parse().unwrap();
        let Ok(probe) = std::net::TcpListener::bind(any_v6) else {
            eprintln!("skipped: no IPv6 here");
            return;
        };
        let mut v4_beside = any_v4;
        v4_beside.set_port(probe.local_addr().unwrap().port());
        if std::net::TcpListener::bind(v4_beside).is_ok() {
            eprintln!("skipped: [::] takes IPv6 alone here (net.ipv6.bindv6only)");
            return;
        }
        drop(probe);
        for given in [[any_v6, any_v4], [any_v4, any_v6]] {
            let mut binds = 0;
            let bound = bind_each_with(&given, &mut |_| binds += 1).await.unwrap();
            assert_eq!(binds, 2, "{given:?}: {:?}", bound.not_bound);
            assert!(
                bound.not_bound.is_empty(),
                "{given:?}: {:?}",
                bound.not_bound
            );
            let at: Vec<std::net::SocketAddr> = bound
                .listeners
                .iter()
                .map(|l| l.local_addr().unwrap())
                .collect();
            assert_eq!(at.len(), 1, "{given:?}: {at:?}");
            assert!(is_any_v6(&at[0]), "{given:?}: {at:?}");
            let port = at[0].port();
            let mut v4_at = any_v4;
            v4_at.set_port(port);
            assert_eq!(bound.covered, vec![(v4_at, at[0])], "{given:?}");
            let ts = aduan_store::testing::sqlite().await;
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let service = Service::new(ts.store.clone(), ServiceOptions::default());
            let task = tokio::spawn(service.run_on(bound.listeners, async {
                let _ = rx.await;
            }));
            for client in [format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
                let res = reqwest::get(format!("http://{client}/healthz"))
                    .await
                    .unwrap();
                assert_eq!(res.status().as_u16(), 200, "{given:?}: {client}");
            }
            let _ = tx.send(());
            task.await.unwrap().unwrap();
        }
    }

    /// At most `BODIES_AT_ONCE` webhook requests of the largest body are read at once;
    /// another waits for room, while readiness still answers; it is served once there is.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn webhook_requests_past_the_few_wait_and_readiness_does_not() {
        let (open, gate) = watch::channel(false);
        let entered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let inside = std::sync::Arc::clone(&entered);
        let webhooks = Webhooks::new().mount("test_push", move |_deliveries| {
            Router::new().route(
                "/webhooks/test_push",
                axum::routing::post(move || {
                    let (mut gate, inside) = (gate.clone(), std::sync::Arc::clone(&inside));
                    async move {
                        inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let _ = gate.wait_for(|open| *open).await;
                        StatusCode::ACCEPTED
                    }
                }),
            )
        });
        let (base, stop, task, _ts) = start(webhooks, 1024).await;
        let http = reqwest::Client::new();
        let url = format!("{base}/webhooks/test_push");
        let mut held = Vec::new();
        for _ in 0..=webhooks::BODIES_AT_ONCE {
            let post = http.post(&url).body(vec![b'{'; 1024]).send();
            held.push(tokio::spawn(post));
        }
        let all_in = async {
            while entered.load(std::sync::atomic::Ordering::SeqCst) < webhooks::BODIES_AT_ONCE {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), all_in)
            .await
            .expect("the few let in");
        let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            entered.load(std::sync::atomic::Ordering::SeqCst),
            webhooks::BODIES_AT_ONCE,
            "one past the few waits for a place"
        );
        open.send(true).unwrap();
        for post in held {
            let res = tokio::time::timeout(Duration::from_secs(20), post)
                .await
                .expect("served once places are free")
                .unwrap()
                .unwrap();
            assert_eq!(res.status(), StatusCode::ACCEPTED);
        }
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }

    /// A service whose one webhook, `/webhooks/test_push`, answers `202` with the body it
    /// read, bodies of `max_body_bytes` at most, a request given 20 s.
    async fn start_echoing(max_body_bytes: usize) -> Started {
        let webhooks = Webhooks::new().mount("test_push", |_deliveries| {
            Router::new().route(
                "/webhooks/test_push",
                axum::routing::post(|body: axum::body::Bytes| async move {
                    (StatusCode::ACCEPTED, body)
                }),
            )
        });
        let options = ServiceOptions {
            max_body_bytes,
            request_timeout: Duration::from_secs(20),
            ..ServiceOptions::default()
        };
        start_with(webhooks, options, "").await
    }

    /// Uploads that stall declaring small bodies hold up no delivery (operator review: 64 of
    /// them kept every webhook waiting the request's 30 s); one declaring more than the
    /// limit is refused at once, a chunked one sending more with `413`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stalled_uploads_hold_up_no_delivery_and_an_oversized_one_is_refused_at_once() {
        use tokio::io::AsyncWriteExt;
        let (base, stop, task, _ts) = start_echoing(1024).await;
        let addr = base.trim_start_matches("http://").to_string();
        let head = |length: &str| {
            format!(
                "POST /webhooks/test_push HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{length}\r\n"
            )
        };
        let mut stalled = Vec::new();
        for _ in 0..webhooks::BODIES_AT_ONCE {
            let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
            c.write_all(head("content-length: 500\r\n").as_bytes())
                .await
                .unwrap();
            c.write_all(b"{\"").await.unwrap();
            stalled.push(c);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let http = reqwest::Client::new();
        let url = format!("{base}/webhooks/test_push");
        let res = http.post(&url).body("{}").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        // Served beside the stalled uploads, not after them: none has been answered yet
        // (their bodies are late only 10 s after they got their room).
        for c in &stalled {
            let mut byte = [0u8; 1];
            match c.try_read(&mut byte) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                other => panic!("a stalled upload was answered first: {other:?}"),
            }
        }
        // Declared over the limit: refused before any of it is sent.
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        c.write_all(head("content-length: 99999999999\r\n").as_bytes())
            .await
            .unwrap();
        assert_eq!(status_line(&mut c).await, "HTTP/1.1 413");
        // Chunked, and more than the limit.
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        c.write_all(head("transfer-encoding: chunked\r\n").as_bytes())
            .await
            .unwrap();
        for _ in 0..30 {
            let chunk = format!("64\r\n{}\r\n", "x".repeat(100));
            // (The answer may come, and the connection close, before the last.)
            if c.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = c.write_all(b"0\r\n\r\n").await;
        assert_eq!(status_line(&mut c).await, "HTTP/1.1 413");
        drop(stalled);
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }

    /// Chunked uploads that stall after a byte hold up no delivery either (attack review: 64
    /// of them took the room of 64 largest bodies, and a signed delivery waited 10 s).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stalled_chunked_uploads_hold_up_no_delivery() {
        use tokio::io::AsyncWriteExt;
        let (base, stop, task, _ts) = start_echoing(1024).await;
        let addr = base.trim_start_matches("http://").to_string();
        let mut stalled = Vec::new();
        for _ in 0..webhooks::BODIES_AT_ONCE {
            let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
            c.write_all(
                b"POST /webhooks/test_push HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n1\r\n{\r\n",
            )
            .await
            .unwrap();
            stalled.push(c);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let res = reqwest::Client::new()
            .post(format!("{base}/webhooks/test_push"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        // Served beside the stalled uploads, not after them: none has been answered yet
        // (they are late only 10 s after they began; a delivery waiting for their room was
        // served only when they were).
        for c in &stalled {
            let mut byte = [0u8; 1];
            match c.try_read(&mut byte) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                other => panic!("a stalled chunked upload was answered first: {other:?}"),
            }
        }
        // A chunked body within the limit is still read whole.
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        c.write_all(
            b"POST /webhooks/test_push HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
        for _ in 0..9 {
            c.write_all(format!("64\r\n{}\r\n", "x".repeat(100)).as_bytes())
                .await
                .unwrap();
        }
        c.write_all(b"0\r\n\r\n").await.unwrap();
        assert_eq!(status_line(&mut c).await, "HTTP/1.1 202");
        drop(stalled);
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }

    /// Honest chunked deliveries that together need more than the room, each sent in two
    /// halves, are all served (review: each held half its room and waited for the other half,
    /// none was served, and all got `408` after 10 s).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn chunked_uploads_holding_part_of_the_room_do_not_starve_each_other() {
        use tokio::io::AsyncWriteExt;
        let (base, stop, task, _ts) = start_echoing(1024).await;
        let addr = base.trim_start_matches("http://").to_string();
        let mut uploads = Vec::new();
        for _ in 0..2 * webhooks::BODIES_AT_ONCE {
            let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
            c.write_all(
                format!(
                    "POST /webhooks/test_push HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n200\r\n{}\r\n",
                    "x".repeat(512)
                )
                .as_bytes(),
            )
            .await
            .unwrap();
            uploads.push(c);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        for c in &mut uploads {
            c.write_all(format!("200\r\n{}\r\n0\r\n\r\n", "y".repeat(512)).as_bytes())
                .await
                .unwrap();
        }
        for c in &mut uploads {
            assert_eq!(status_line(c).await, "HTTP/1.1 202");
        }
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }

    /// What the service at `base` answers on `/metrics`.
    async fn metrics_of(base: &str) -> String {
        reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The start of the answer on `c` (`HTTP/1.1 NNN`), within 5 s.
    async fn status_line(c: &mut tokio::net::TcpStream) -> String {
        use tokio::io::AsyncReadExt;
        let mut answer = vec![0u8; 12];
        tokio::time::timeout(Duration::from_secs(5), c.read_exact(&mut answer))
            .await
            .expect("answered")
            .unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn a_mounted_webhook_is_served_behind_the_body_limit_and_counted() {
        let webhooks = Webhooks::new().mount("test_push", |deliveries| {
            Router::new().route(
                "/webhooks/test_push",
                axum::routing::post(move |body: axum::body::Bytes| async move {
                    if body.starts_with(b"{") {
                        deliveries.accepted();
                        StatusCode::ACCEPTED
                    } else {
                        deliveries.rejected("malformed");
                        StatusCode::BAD_REQUEST
                    }
                }),
            )
        });
        let (base, stop, task, _ts) = start(webhooks, 64).await;
        let http = reqwest::Client::new();
        let url = format!("{base}/webhooks/test_push");
        let post = |body: Vec<u8>| http.post(&url).body(body).send();
        assert_eq!(post(b"{}".to_vec()).await.unwrap().status(), 202);
        assert_eq!(post(b"nope".to_vec()).await.unwrap().status(), 400);
        let over = post(vec![b'{'; 1000]).await.unwrap();
        assert_eq!(over.status(), 413);
        // JSON, as every other refusal and error of the service.
        let body: serde_json::Value = over.json().await.unwrap();
        assert_eq!(
            body["error"], "the body is over the limit of 64 bytes",
            "{body}"
        );
        let text = metrics_of(&base).await;
        for line in [
            "aduan_webhook_deliveries_total{channel=\"test_push\",outcome=\"accepted\",reason=\"\"} 1",
            "aduan_webhook_deliveries_total{channel=\"test_push\",outcome=\"rejected\",reason=\"body_too_large\"} 1",
            "aduan_webhook_deliveries_total{channel=\"test_push\",outcome=\"rejected\",reason=\"malformed\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_request_whose_body_trickles_in_is_answered_408_at_the_time_limit() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let webhooks = Webhooks::new().mount("test_push", |deliveries| {
            Router::new().route(
                "/webhooks/test_push",
                axum::routing::post(move |_body: axum::body::Bytes| async move {
                    deliveries.accepted();
                    StatusCode::ACCEPTED
                }),
            )
        });
        let options = ServiceOptions {
            request_timeout: Duration::from_millis(300),
            ..ServiceOptions::default()
        };
        let (base, stop, task, _ts) = start_with(webhooks, options, "").await;
        let addr = base.trim_start_matches("http://").to_string();
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        // Ten bytes of the hundred announced, and then nothing.
        conn.write_all(
            b"POST /webhooks/test_push HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"a\": 1, ",
        )
        .await
        .unwrap();
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "no answer while the body waited");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            answer.ends_with(r#"{"error":"the body did not arrive within 300ms"}"#),
            "{answer}"
        );
        // Counted, as every refusal (review: an operator could not alert on them), and a
        // path or a method not served answered in JSON too.
        let http = reqwest::Client::new();
        let text = metrics_of(&base).await;
        let slow = "aduan_webhook_deliveries_total{channel=\"test_push\",outcome=\"rejected\",reason=\"body_too_slow\"} 1";
        assert!(text.lines().any(|l| l == slow), "{text}");
        for (answer, status) in [
            (
                http.get(format!("{base}/nosuch")).send().await.unwrap(),
                404,
            ),
            (
                http.post(format!("{base}/healthz")).send().await.unwrap(),
                405,
            ),
            (
                http.get(format!("{base}/webhooks/test_push"))
                    .send()
                    .await
                    .unwrap(),
                405,
            ),
        ] {
            assert_eq!(answer.status(), status);
            let body: serde_json::Value = answer.json().await.unwrap();
            assert!(body["error"].is_string(), "{body}");
        }
        // A whole request within the limit is served.
        let ok = reqwest::Client::new()
            .post(format!("{base}/webhooks/test_push"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 202);
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Review (session 49): a webhook body too slow was answered as a request too slow, and
    /// not counted (`body_too_slow`), when the request's time limit came first: the body's
    /// was counted from when the request got its room (here, after waiting for it), the
    /// request's from its start, and with the two limits the same (`request_timeout` below
    /// 10 s) the request's ran out first. The body's is now bounded by the request's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_too_slow_after_waiting_for_its_room_is_answered_and_counted_as_such() {
        use tokio::io::AsyncWriteExt;
        let webhooks = Webhooks::new().mount("test_push", |deliveries| {
            Router::new().route(
                "/webhooks/test_push",
                axum::routing::post(move |_body: axum::body::Bytes| async move {
                    deliveries.accepted();
                    StatusCode::ACCEPTED
                }),
            )
        });
        let options = ServiceOptions {
            max_body_bytes: 1024,
            request_timeout: Duration::from_millis(300),
            ..ServiceOptions::default()
        };
        let (base, stop, task, _ts) = start_with(webhooks, options, "").await;
        let addr = base.trim_start_matches("http://").to_string();
        let head = |length: usize| {
            format!(
                "POST /webhooks/test_push HTTP/1.1\r\nhost: x\r\ncontent-length: {length}\r\n\r\n"
            )
        };
        // The room taken whole by uploads of the largest body, each sent but its last byte.
        let mut holding = Vec::new();
        for _ in 0..webhooks::BODIES_AT_ONCE {
            let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let mut sent = head(1024).into_bytes();
            sent.extend_from_slice(&[b'{'; 1023]);
            c.write_all(&sent).await.unwrap();
            holding.push(c);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // This one waits for room, then sends 10 bytes of its 100 and stops.
        let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
        slow.write_all(head(100).as_bytes()).await.unwrap();
        slow.write_all(b"{\"a\": 1, ").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        // One upload ends: its room is had by the slow one.
        holding[0].write_all(b"}").await.unwrap();
        assert_eq!(status_line(&mut holding[0]).await, "HTTP/1.1 202");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(
            Duration::from_secs(20),
            tokio::io::AsyncReadExt::read_to_end(&mut slow, &mut answer),
        )
        .await;
        assert!(read.is_ok(), "no answer");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            answer.ends_with(r#"{"error":"the body did not arrive within 300ms"}"#),
            "{answer}"
        );
        drop(holding);
        let text = metrics_of(&base).await;
        assert!(
            text.lines().any(|l| l.starts_with("aduan_webhook_deliveries_total{channel=\"test_push\",outcome=\"rejected\",reason=\"body_too_slow\"}")),
            "{text}"
        );
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// A raw TCP connection to a service whose requests may take 300 ms.
    async fn connect_to_a_300_ms_service() -> (tokio::net::TcpStream, Started) {
        let options = ServiceOptions {
            request_timeout: Duration::from_millis(300),
            ..ServiceOptions::default()
        };
        let started = start_with(Webhooks::new(), options, "").await;
        let addr = started.0.trim_start_matches("http://").to_string();
        let conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        (conn, started)
    }

    /// What the service at `base` answers a request written as `request` on a connection of
    /// its own: its head (status line and headers, lowercase) and its body, read to the end.
    async fn raw_answer(base: &str, request: &[u8]) -> (String, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = base.trim_start_matches("http://").to_string();
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        // (The server may answer, and close, before it has read the whole request.)
        let _ = conn.write_all(request).await;
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "no answer within 20 s");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        (head.to_ascii_lowercase(), body.to_string())
    }

    /// Review (session 49, left over from 48): the requests hyper refuses before the router
    /// sees them (a target over 64 KiB, a head too large, a malformed request line) were
    /// answered with an empty body, where every other error of the service is
    /// `{"error": …}`.
    #[tokio::test]
    async fn requests_refused_before_the_router_are_answered_in_json_too() {
        let (base, stop, task, _ts) = start(Webhooks::new(), 1024).await;
        let long_target = format!(
            "GET /api/report?by={} HTTP/1.1\r\nhost: x\r\n\r\n",
            "a".repeat(70_000)
        );
        let large_head = format!(
            "GET /healthz HTTP/1.1\r\nhost: x\r\n{}\r\n",
            "x-filler: 0123456789abcdef0123456789abcdef\r\n".repeat(20_000)
        );
        let many_headers = format!(
            "GET /healthz HTTP/1.1\r\nhost: x\r\n{}\r\n",
            (0..200)
                .map(|i| format!("x-h{i}: 1\r\n"))
                .collect::<String>()
        );
        for (request, status, says) in [
            (long_target, "414", "target"),
            (large_head, "431", "head"),
            (many_headers, "431", "head"),
            (
                "GET /healthz HTTP/1.1\r\nho st: x\r\n\r\n".to_string(),
                "400",
                "HTTP",
            ),
            (
                "G(T / HTTP/1.1\r\nhost: x\r\n\r\n".to_string(),
                "400",
                "HTTP",
            ),
        ] {
            let (head, body) = raw_answer(&base, request.as_bytes()).await;
            assert!(head.starts_with(&format!("http/1.1 {status} ")), "{head}");
            assert!(
                head.lines().any(|l| l == "content-type: application/json"),
                "{head}"
            );
            assert!(
                head.lines()
                    .any(|l| l == format!("content-length: {}", body.len())),
                "{head}"
            );
            let json: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {body:?}"));
            let error = json["error"].as_str().unwrap_or_default();
            assert!(error.contains(says), "{status}: {json}");
        }
        // The router's own refusals are left as they are.
        let (head, body) = raw_answer(
            &base,
            b"GET /api/report?by=week HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(head.starts_with("http/1.1 400 "), "{head}");
        assert!(body.contains("not a grouping"), "{body}");
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Review of the series: hyper takes an HTTP/1.1 request without `Host` or with two,
    /// which RFC 9112 (section 3.2) says a server must answer `400`. They are, in JSON, and
    /// the answer, a handler's own `400` with its body, is not taken for hyper's and
    /// rewritten on its way out; an HTTP/1.0 request needs no `Host`.
    #[tokio::test]
    async fn a_request_without_one_host_is_answered_400_with_its_own_body() {
        let (base, stop, task, _ts) = start(Webhooks::new(), 1024).await;
        for (request, says) in [
            (
                "GET /healthz HTTP/1.1\r\nconnection: close\r\n\r\n",
                "an HTTP/1.1 request needs a Host header",
            ),
            (
                "GET /healthz HTTP/1.1\r\nhost: a\r\nhost: b\r\nconnection: close\r\n\r\n",
                "the request has more than one Host header; give one",
            ),
            (
                "GET /api/report HTTP/1.1\r\nhost: a\r\nhost: a\r\nconnection: close\r\n\r\n",
                "the request has more than one Host header; give one",
            ),
            (
                "GET /healthz HTTP/1.1\r\nhost: user@x\r\nconnection: close\r\n\r\n",
                "the request's Host header is not a host with an optional port",
            ),
            (
                "GET /healthz HTTP/1.0\r\nhost: a\r\nhost: b\r\n\r\n",
                "the request has more than one Host header; give one",
            ),
        ] {
            let (head, body) = raw_answer(&base, request.as_bytes()).await;
            // (An HTTP/1.0 request's answer is said in HTTP/1.0.)
            assert_eq!(head.split(' ').nth(1), Some("400"), "{request:?}: {head}");
            assert!(
                head.lines().any(|l| l == "content-type: application/json"),
                "{request:?}: {head}"
            );
            let json: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{request:?}: not JSON ({e}): {body:?}"));
            assert_eq!(json["error"], says, "{request:?}");
        }
        for request in [
            "GET /healthz HTTP/1.0\r\n\r\n",
            "GET /healthz HTTP/1.1\r\nhost: \r\nconnection: close\r\n\r\n",
            "GET /healthz HTTP/1.1\r\nhost: [::1]:8080\r\nconnection: close\r\n\r\n",
        ] {
            let (head, body) = raw_answer(&base, request.as_bytes()).await;
            assert_eq!(head.split(' ').nth(1), Some("200"), "{request:?}: {head}");
            assert_eq!(body, "ok\n", "{request:?}");
        }
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Review of the series: the `Host` taken was whatever `http` parses as an authority, which
    /// checks neither the port nor what is within brackets (`x:abc`, `[zzz]`, `a[::1]` were
    /// taken), where RFC 9112 (section 3.2) says a server must answer `400` to a `Host` that
    /// is not a host and an optional port (RFC 3986's `host [":" port]`, the port digits);
    /// every valid one stays taken: an IPv6 literal (with a zone, as RFC 6874 wrote it), an
    /// IPvFuture, a name in capitals or with its trailing dot, a name written with `%`
    /// escapes, a port past 65535 (RFC 9110's port is digits, of any number), an empty port,
    /// and an absolute-form target's request with its `Host`.
    #[tokio::test]
    async fn a_host_is_taken_only_as_a_host_and_a_port_of_digits() {
        let (base, stop, task, _ts) = start(Webhooks::new(), 1024).await;
        for host in [
            "x:abc",
            "x:80:81",
            "x:8o",
            "[zzz]",
            "[::1]junk",
            "[::1]:x",
            "a[::1]",
            "[::1",
            ":8080",
            "x%4",
            "x%zz",
            "us\u{e9}r.example",
        ] {
            let request =
                format!("GET /healthz HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
            let (head, body) = raw_answer(&base, request.as_bytes()).await;
            assert_eq!(head.split(' ').nth(1), Some("400"), "{host:?}: {head}");
            let json: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{host:?}: not JSON ({e}): {body:?}"));
            assert_eq!(
                json["error"], "the request's Host header is not a host with an optional port",
                "{host:?}"
            );
        }
        for host in [
            "[::1]:8080",
            "[::1]",
            "[fe80::1%25eth0]",
            "[fe80::1%25eth0]:8080",
            "[::ffff:127.0.0.1]",
            "[v1.fe]",
            "EXAMPLE.COM",
            "example.com.",
            "example.com.:443",
            "ex%41mple.com",
            "127.0.0.1:8080",
            "x:99999",
            "x:",
            "graph_facebook-1.example~x!$&'()*+,;=",
        ] {
            let request =
                format!("GET /healthz HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
            let (head, body) = raw_answer(&base, request.as_bytes()).await;
            assert_eq!(head.split(' ').nth(1), Some("200"), "{host:?}: {head}");
            assert_eq!(body, "ok\n", "{host:?}");
        }
        let absolute = "GET http://example.com/healthz HTTP/1.1\r\nhost: example.com\r\nconnection: close\r\n\r\n";
        let (head, body) = raw_answer(&base, absolute.as_bytes()).await;
        assert_eq!(head.split(' ').nth(1), Some("200"), "{head}");
        assert_eq!(body, "ok\n");
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Review of the series (session 49): the answers hyper writes by itself are told from
    /// the router's by what is written; a router's `400` to a `HEAD` (a head alone, with a
    /// `content-length` and no body) is left as it is and its connection kept, and a
    /// request the server cannot read pipelined after one it answers is answered in JSON
    /// after that answer.
    #[tokio::test]
    async fn refusals_are_told_from_the_router_s_answers_on_a_kept_connection() {
        let (base, stop, task, _ts) = start(Webhooks::new(), 1024).await;
        let (refused, answers) = raw_answer(
            &base,
            b"HEAD /api/report?by=week HTTP/1.1\r\nhost: x\r\n\r\n\
              GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        // (The first head is `raw_answer`'s; the rest is the second answer, whole.)
        assert!(refused.starts_with("http/1.1 400 "), "{refused}");
        assert!(
            refused
                .lines()
                .any(|l| l == "content-type: application/json"),
            "{refused}"
        );
        assert!(answers.starts_with("HTTP/1.1 200 OK\r\n"), "{answers:?}");
        assert!(answers.ends_with("\r\n\r\nok\n"), "{answers:?}");
        let (head, rest) = raw_answer(
            &base,
            b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nG(T / HTTP/1.1\r\nhost: x\r\n\r\n",
        )
        .await;
        assert!(head.starts_with("http/1.1 200 "), "{head}");
        let (second, body) = rest.split_once("\r\n\r\n").unwrap_or_default();
        assert!(second.starts_with("ok\nHTTP/1.1 400 "), "{rest:?}");
        assert!(
            second.contains("content-type: application/json"),
            "{rest:?}"
        );
        assert!(body.starts_with(r#"{"error":"#), "{rest:?}");
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Regression: `axum::serve` gave hyper no timer, so a request head that never ended held
    /// its connection (a task and a file descriptor) for ever.
    #[tokio::test]
    async fn a_connection_that_stops_in_the_middle_of_its_headers_is_closed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut conn, (_base, stop, task, _ts)) = connect_to_a_300_ms_service().await;
        conn.write_all(b"POST /webhooks/x HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the connection is still open");
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Regression: a keep-alive connection waiting for its next request was never closed.
    #[tokio::test]
    async fn an_idle_keep_alive_connection_is_closed_after_its_answer() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut conn, (_base, stop, task, _ts)) = connect_to_a_300_ms_service().await;
        conn.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(read.is_ok(), "the connection is still open after: {answer}");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("ok\n"), "{answer}");
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Review (session 48): a client that sends requests and never reads their answers (its
    /// window shut, the server's writes stalled) held its connection for ever: no time limit
    /// runs while an answer is written. Past `max_connections` such clients left the server
    /// taking no connection, webhooks and readiness probes among them. A write that makes no
    /// progress for the request time limit now ends its connection.
    #[tokio::test]
    async fn a_client_that_never_reads_its_answers_does_not_hold_its_connection() {
        use tokio::io::AsyncWriteExt;
        // Answers of 1 MiB, so that a few fill what the kernel buffers (up to `tcp_wmem`'s
        // largest, some MiB, on a connection whose window is shut): of `/healthz`'s answers
        // it took tens of thousands served, seconds of a debug build's work and more where
        // the buffers are larger, against the 20 s the other client waits (review).
        let webhooks = Webhooks::new().mount("test_push", |_deliveries| {
            Router::new().route("/webhooks/test_push", get(|| async { vec![b'x'; 1 << 20] }))
        });
        let options = ServiceOptions {
            request_timeout: Duration::from_millis(300),
            max_connections: 1,
            ..ServiceOptions::default()
        };
        let (base, stop, task, _ts) = start_with(webhooks, options, "").await;
        let conn = connected(&base, Some(4096)).await;
        // Requests sent on and on, their answers never read (the read half kept open).
        let (_unread, mut write) = conn.into_split();
        let sending = tokio::spawn(async move {
            let requests = b"GET /webhooks/test_push HTTP/1.1\r\nhost: x\r\n\r\n".repeat(100);
            while write.write_all(&requests).await.is_ok() {}
        });
        // The one place is taken by it; the next connection is served once it is let go.
        let other = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap()
            .get(format!("{base}/healthz"))
            .send()
            .await;
        assert_eq!(
            other.map(|r| r.status().as_u16()).ok(),
            Some(200),
            "the connection whose answers are not read still holds its place"
        );
        sending.abort();
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// The size of the answer [`large_answer_served`] gives.
    const SIZE: usize = 8 << 20;

    /// A service whose `GET /webhooks/test_push` answers [`SIZE`] bytes, its request time
    /// limit `request_timeout`.
    async fn large_answer_served(request_timeout: Duration) -> Started {
        large_answer_served_with(ServiceOptions {
            request_timeout,
            ..ServiceOptions::default()
        })
        .await
    }

    /// [`large_answer_served`] with `options`.
    async fn large_answer_served_with(options: ServiceOptions) -> Started {
        let webhooks = Webhooks::new().mount("test_push", |_deliveries| {
            Router::new().route("/webhooks/test_push", get(|| async { vec![b'x'; SIZE] }))
        });
        start_with(webhooks, options, "").await
    }

    /// A connection to the service at `base`, its receive buffer `recv_buffer` bytes where
    /// given (the system's least where that is smaller), else the system's default.
    async fn connected(base: &str, recv_buffer: Option<u32>) -> tokio::net::TcpStream {
        let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).unwrap();
        }
        socket.connect(addr).await.unwrap()
    }

    /// A [`connected`] client whose request for [`large_answer_served`]'s answer is sent.
    async fn asked_for_the_large_answer(
        base: &str,
        recv_buffer: Option<u32>,
    ) -> tokio::net::TcpStream {
        use tokio::io::AsyncWriteExt;
        let mut conn = connected(base, recv_buffer).await;
        conn.write_all(b"GET /webhooks/test_push HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        conn
    }

    /// What `conn` reads of its answer, `chunk` bytes at a time with a `pause` after each,
    /// until the answer ends or is cut.
    async fn taken_at_a_pace(
        conn: &mut tokio::net::TcpStream,
        chunk: usize,
        pause: Duration,
    ) -> Vec<u8> {
        use tokio::io::AsyncReadExt;
        let mut answer = Vec::with_capacity(SIZE + 1024);
        let mut buf = vec![0; chunk];
        while let Ok(n @ 1..) = conn.read(&mut buf).await {
            answer.extend_from_slice(&buf[..n]);
            tokio::time::sleep(pause).await;
        }
        answer
    }

    /// Checks that `conn`, [`taken_at_a_pace`], is cut off within a minute, before the
    /// whole of [`large_answer_served`]'s answer; `what` names how it reads.
    async fn assert_cut_off(
        conn: &mut tokio::net::TcpStream,
        chunk: usize,
        pause: Duration,
        what: &str,
    ) {
        let read =
            tokio::time::timeout(Duration::from_secs(60), taken_at_a_pace(conn, chunk, pause))
                .await;
        assert!(
            read.is_ok_and(|read| read.len() < SIZE),
            "the connection {what} is still open"
        );
    }

    /// Review (session 48): a client that reads a large answer on and on, but slowly, was cut
    /// off as one that reads nothing. The system takes more of an answer only once a third of
    /// what it holds to send (some MiB) has been read, and that was the only progress a write
    /// saw: here, at about 650 KiB/s, the answer was cut after some 4 MiB, the request time
    /// limit being 1 s (at the 30 s default, one read below some 50 KiB/s on loopback). What
    /// the client takes of what is held counts as progress too.
    #[tokio::test]
    async fn a_client_that_reads_a_large_answer_slowly_gets_it_whole() {
        let (base, stop, task, _ts) = large_answer_served(Duration::from_secs(1)).await;
        let mut conn = asked_for_the_large_answer(&base, None).await;
        // 16 KiB at a time, every 25 ms, to the end of the answer (or its cut).
        let answer = taken_at_a_pace(&mut conn, 16 << 10, Duration::from_millis(25)).await;
        let body = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |head| answer.len() - head - 4);
        assert!(answer.starts_with(b"HTTP/1.1 200"));
        assert_eq!(body, SIZE, "the answer was cut");
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Review (session 49, left over from 48): a client that takes a little of a large answer
    /// within each time limit, as little as one TCP segment, kept its connection for ever,
    /// any acknowledgement counting as progress; enough of them would leave the server taking
    /// no connection. Writes may wait only as long as the client takes its answer at
    /// `MIN_SEND_RATE` on average, beyond a time limit's worth of waiting: this one, taking
    /// 256 bytes a second (some of its answer acknowledged within each limit: its receive
    /// buffer the smallest there is), is cut off (at that pace the answer would take nine
    /// hours), and reset: closed with its answer still queued, the system went on sending it
    /// at the client's pace.
    #[tokio::test]
    async fn a_client_that_takes_a_large_answer_a_trickle_at_a_time_is_cut_off() {
        let (base, stop, task, _ts) = large_answer_served(Duration::from_secs(4)).await;
        let mut conn = asked_for_the_large_answer(&base, Some(1)).await;
        // 128 bytes at a time, every 500 ms: some of the answer taken within every time limit.
        assert_cut_off(
            &mut conn,
            128,
            Duration::from_millis(500),
            "taking a trickle",
        )
        .await;
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Review of the series (session 49): writes might wait only as long as the client took
    /// its answer at 4 KiB/s, and an honest client on a slow mobile link (a 2G link gives
    /// 2 to 3 KiB/s) taking a large answer was cut off some seconds into it, as one taking a
    /// TCP segment within each time limit. This one takes 2.5 KiB a second, and is served on
    /// (for 20 s here, its answer would take nearly an hour).
    #[tokio::test]
    async fn a_client_on_a_slow_mobile_link_is_not_cut_off() {
        use tokio::io::AsyncReadExt;
        let (base, stop, task, _ts) = large_answer_served(Duration::from_secs(3)).await;
        let mut conn = asked_for_the_large_answer(&base, Some(4096)).await;
        // 1 KiB at a time, every 400 ms, 50 times.
        let mut buf = vec![0; 1024];
        let mut reads = 0;
        while reads < 50 {
            match conn.read(&mut buf).await {
                Ok(1..) => reads += 1,
                ended => panic!("cut off after {reads} reads of 1 KiB at 2.5 KiB/s: {ended:?}"),
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        drop(conn);
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// The slowest pace is a setting (`min_send_rate`): raised to 4 KiB a second, the client
    /// of the slow mobile link above, taking 2.5 KiB a second, is cut off.
    #[tokio::test]
    async fn a_client_slower_than_the_configured_pace_is_cut_off() {
        let (base, stop, task, _ts) = large_answer_served_with(ServiceOptions {
            request_timeout: Duration::from_secs(3),
            min_send_rate: 4096,
            ..ServiceOptions::default()
        })
        .await;
        let mut conn = asked_for_the_large_answer(&base, Some(4096)).await;
        // 1 KiB at a time, every 400 ms, until the connection ends.
        let slower = "slower than the configured pace";
        assert_cut_off(&mut conn, 1024, Duration::from_millis(400), slower).await;
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn at_shutdown_new_connections_are_refused_and_a_request_in_flight_is_answered() {
        let (entered_tx, mut entered) = tokio::sync::mpsc::unbounded_channel();
        let (open, gate) = watch::channel(false);
        let webhooks = Webhooks::new().mount("test_push", move |deliveries| {
            Router::new().route(
                "/webhooks/test_push",
                axum::routing::post(move || async move {
                    let mut gate = gate.clone();
                    let _ = entered_tx.send(());
                    let _ = gate.wait_for(|open| *open).await;
                    deliveries.accepted();
                    StatusCode::ACCEPTED
                }),
            )
        });
        let (base, stop, task, _ts) = start(webhooks, 1024).await;
        let in_flight = tokio::spawn(
            reqwest::Client::new()
                .post(format!("{base}/webhooks/test_push"))
                .body("{}")
                .send(),
        );
        entered.recv().await.unwrap();
        stop.send(()).unwrap();
        let addr = base.trim_start_matches("http://").to_string();
        let refused = tokio::time::timeout(Duration::from_secs(20), async {
            while tokio::net::TcpStream::connect(&addr).await.is_ok() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(refused.is_ok(), "new connections are still taken");
        open.send(true).unwrap();
        let answered = in_flight.await.unwrap().unwrap();
        assert_eq!(answered.status(), 202);
        task.await.unwrap().unwrap();
    }

    /// Three complaints: two of SP4N-LAPOR! in February 2024 (one resolved after 10 hours),
    /// one of 112 in March.
    const THREE_COMPLAINTS: &str = "INSERT INTO complaints (complaint_id, channel, external_id, \
        kind, urgency, category_source, title, body, status, status_source, anonymous, \
        confidential, reported_at, updated_at, resolved_at, synced_at, row_hash, reported_month) \
        VALUES \
        ('sp4n_lapor:1', 'sp4n_lapor', '1', 'complaint', 'normal', '', 't', 'b', 'resolved', 'Selesai', 0, 0, \
         '2024-02-01T01:00:00+00:00', '2024-02-01T11:00:00+00:00', '2024-02-01T11:00:00+00:00', \
         '2024-02-02T00:00:00+00:00', 'h1', '2024-02'), \
        ('sp4n_lapor:2', 'sp4n_lapor', '2', 'complaint', 'normal', '', 't', 'b', 'received', 'Belum', 0, 0, \
         '2024-02-03T01:00:00+00:00', '2024-02-03T01:00:00+00:00', NULL, \
         '2024-02-04T00:00:00+00:00', 'h2', '2024-02'), \
        ('cc112:3', 'cc112', '3', 'complaint', 'normal', '', 't', 'b', 'resolved', 'Selesai', 0, 0, \
         '2024-03-01T01:00:00+00:00', '2024-03-01T02:00:00+00:00', '2024-03-01T02:00:00+00:00', \
         '2024-03-02T00:00:00+00:00', 'h3', '2024-03')";

    #[tokio::test]
    async fn the_report_api_answers_json_with_the_token_and_refuses_without_it() {
        let options = ServiceOptions {
            api_token: Some(aduan_core::Secret::new("dashboard-token")),
            channels: ["cc112", "sp4n_lapor", "smart_city"]
                .map(String::from)
                .to_vec(),
            ..ServiceOptions::default()
        };
        let (base, stop, task, _ts) = start_with(Webhooks::new(), options, THREE_COMPLAINTS).await;
        let http = reqwest::Client::new();
        let get = |query: &str, token: Option<&str>| {
            let mut request = http.get(format!("{base}/api/report{query}"));
            if let Some(t) = token {
                request = request.bearer_auth(t);
            }
            async move {
                let res = request.send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.json::<serde_json::Value>().await.unwrap())
            }
        };
        for token in [None, Some("wrong-token")] {
            let (status, body) = get("", token).await;
            assert_eq!(status, 401, "{token:?}");
            assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
        }

        let (status, body) = get("?by=channel", Some("dashboard-token")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["columns"][0], "channel");
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{body}");
        assert_eq!(rows[0]["channel"], "cc112");
        assert_eq!(rows[0]["complaints"], 1);
        assert_eq!(rows[0]["avg_hours_to_resolution"], 1.0);
        assert_eq!(rows[1]["channel"], "sp4n_lapor");
        assert_eq!(rows[1]["complaints"], 2);
        assert_eq!(rows[1]["open"], 1);
        assert_eq!(rows[1]["resolved"], 1);
        assert_eq!(rows[1]["avg_hours_to_resolution"], 10.0);

        let (status, body) = get("?by=month&month=2024-02", Some("dashboard-token")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rows"].as_array().unwrap().len(), 1, "{body}");
        assert_eq!(body["rows"][0]["month"], "2024-02");

        // A row's keys in the columns' order (review: sorted), as the body's text shows.
        let text = http
            .get(format!("{base}/api/report?by=channel,kind"))
            .bearer_auth("dashboard-token")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            text.contains(r#"{"channel":"cc112","kind":"complaint","complaints":1,"open":"#),
            "{text}"
        );
        // The scheme's name in any letter case (review: `bearer` was refused).
        let lower = http
            .get(format!("{base}/api/report"))
            .header("authorization", "bearer dashboard-token")
            .send()
            .await
            .unwrap();
        assert_eq!(lower.status(), 200);
        // Another method: 405, with a JSON body as every error of the API.
        let post = http
            .post(format!("{base}/api/report"))
            .bearer_auth("dashboard-token")
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 405);
        let body: serde_json::Value = post.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("GET"), "{body}");

        for (query, says) in [
            ("?from=2024-13", "not a month"),
            ("?by=week", "not a grouping"),
            ("?kind=complain", "not a kind"),
            ("?limit=5", "unknown parameter"),
            (
                "?channel=smart-city",
                "the channels are cc112, smart_city, sp4n_lapor",
            ),
            // Well formed, but no channel there is (review: 200 with zeros).
            ("?channel=smartcity", "no channel \"smartcity\""),
            ("?month=2024-02&month=2024-03", "more than once"),
        ] {
            let (status, body) = get(query, Some("dashboard-token")).await;
            assert_eq!(status, 400, "{query}");
            assert!(
                body["error"].as_str().unwrap().contains(says),
                "{query}: {body}"
            );
        }
        // What the request gave is quoted cut short (review: 10,000 characters came back).
        let long = format!("?{}=1", "a".repeat(10_000));
        let (status, body) = get(&long, Some("dashboard-token")).await;
        assert_eq!(status, 400);
        let said = body["error"].as_str().unwrap();
        assert!(
            said.starts_with("unknown parameter") && said.chars().count() <= 301,
            "{said}"
        );
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();

        // No token configured: the report is open.
        let (base, stop, task, _ts) =
            start_with(Webhooks::new(), ServiceOptions::default(), THREE_COMPLAINTS).await;
        let res = reqwest::get(format!("{base}/api/report?by="))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["rows"][0]["complaints"], 3, "{body}");
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// `/readyz`'s status and body on a service over `store`.
    async fn readiness_of(store: Store) -> (u16, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let service = Service::new(store, ServiceOptions::default());
        let task = tokio::spawn(service.run(listener, async {
            let _ = rx.await;
        }));
        let res = reqwest::get(format!("{base}/readyz")).await.unwrap();
        let answer = (res.status().as_u16(), res.text().await.unwrap());
        tx.send(()).unwrap();
        task.await.unwrap().unwrap();
        answer
    }

    /// Review (session 49): `/readyz` answers whoever asks, and it said the store's error
    /// whole: the SQLite file's path (one removed under the process), the database's own
    /// words. It says what an operator needs to know, without paths, URLs or the database's
    /// text; the log has the detail.
    #[tokio::test]
    async fn readiness_names_no_path_url_or_database_error() {
        // The file removed under the process: said, without its path.
        let ts = aduan_store::testing::sqlite().await;
        let path = ts.url.trim_start_matches("sqlite:").to_string();
        let folder = std::path::Path::new(&path)
            .parent()
            .unwrap()
            .display()
            .to_string();
        std::fs::remove_file(&path).unwrap();
        let (status, body) = readiness_of(ts.store.clone()).await;
        assert_eq!(status, 503, "{body}");
        assert!(!body.contains(&folder), "{body}");
        assert!(body.contains("the store's file is gone"), "{body}");
        assert!(body.contains("restart"), "{body}");

        // A query that fails: said as such, without the database's words, on both stores.
        let mut stores = vec![aduan_store::testing::sqlite().await];
        let mut password_url = None;
        if let Some(pg) = aduan_store::testing::postgres().await {
            // The same schema through a URL with a password (trust authentication lets it
            // in), which is never to be said.
            let url = aduan_store::testing::postgres_url().replacen(
                "://postgres@",
                "://postgres:s3cret-pw@",
                1,
            );
            assert!(url.contains("s3cret-pw"), "{url}");
            let schema = pg.schema.clone().unwrap();
            let store = Store::open_postgres_in_schema(&url, &schema).await.unwrap();
            password_url = Some((store, url));
            stores.push(pg);
        }
        for ts in &stores {
            ts.execute("DROP TABLE schema_migrations").await;
        }
        let mut asked: Vec<(Store, &str, String)> = stores
            .iter()
            .map(|ts| (ts.store.clone(), ts.label, ts.url.clone()))
            .collect();
        if let Some((store, url)) = password_url {
            asked.push((store, "postgres with a password", url));
        }
        for (store, label, url) in asked {
            let (status, body) = readiness_of(store).await;
            assert_eq!(status, 503, "{label}: {body}");
            assert!(
                body.starts_with("not ready: reading schema_migrations failed"),
                "{label}: {body}"
            );
            assert!(
                body.contains("the service's log says why"),
                "{label}: {body}"
            );
            for never in [
                url.as_str(),
                "s3cret-pw",
                "127.0.0.1",
                "no such table",
                "does not exist",
                "error returned from database",
            ] {
                assert!(!body.contains(never), "{label}: {never:?} in {body}");
            }
        }
    }

    /// Review of the series: `/metrics` and `/readyz` answer whoever reaches the server, and a
    /// flood of them could take the store's few connections from webhooks and syncs. Past a
    /// few at once, a request waits for its turn, and is turned away (`503`, `Retry-After`)
    /// and counted when it does not get one; `/healthz`, which reads nothing, is not.
    #[tokio::test]
    async fn metrics_and_readiness_past_a_few_at_once_are_turned_away_and_counted() {
        let ts = aduan_store::testing::sqlite().await;
        let state = AppState::new(ts.store.clone(), Metrics::default(), None);
        // Every turn taken, as by requests being answered.
        let scraping = (state.scrapes.turns.clone())
            .try_acquire_many_owned(METRICS_AT_ONCE as u32)
            .unwrap();
        let probing = (state.probes.turns.clone())
            .try_acquire_many_owned(PROBES_AT_ONCE as u32)
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stop_rx) = watch::channel(false);
        let server = tokio::spawn(server::serve(
            vec![listener],
            router(state, Router::new()),
            server::Limits {
                head_timeout: Duration::from_secs(30),
                connections: 16,
                min_send_rate: server::MIN_SEND_RATE,
            },
            stop_rx,
        ));
        let http = reqwest::Client::new();
        let busy = |at_once: usize, path: &str| {
            format!(
                "the service is busy: {at_once} requests of {path} are being answered, the \
                 most it answers at once; try again in 2 s"
            )
        };
        let res = http.get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(res.status(), 503);
        let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
        assert_eq!(retry_after.as_ref().map(|v| v.as_bytes()), Some(&b"2"[..]));
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], busy(METRICS_AT_ONCE, "/metrics"));
        // `/readyz` turned away says so as `/readyz` says every answer: a line of text,
        // `not ready: <why>` (review of session 51: it was JSON, its other answers text).
        let res = http.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(res.status(), 503);
        let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
        assert_eq!(retry_after.as_ref().map(|v| v.as_bytes()), Some(&b"2"[..]));
        let turned_away_type = res.headers().get(header::CONTENT_TYPE).cloned();
        assert_eq!(
            res.text().await.unwrap(),
            format!("not ready: {}\n", busy(PROBES_AT_ONCE, "/readyz"))
        );
        let healthz = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(healthz.status(), 200);
        drop(scraping);
        let text = metrics_of(&base).await;
        for line in [
            "aduan_http_turned_away_total{path=\"/api/report\"} 0",
            "aduan_http_turned_away_total{path=\"/metrics\"} 1",
            "aduan_http_turned_away_total{path=\"/readyz\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        drop(probing);
        let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 200);
        assert_eq!(
            ready.headers().get(header::CONTENT_TYPE),
            turned_away_type.as_ref()
        );
        assert_eq!(ready.text().await.unwrap(), "ready\n");
        stop.send(true).unwrap();
        server.await.unwrap();
    }

    /// With a metrics token set, `/metrics` answers only a request that carries it (`401`
    /// in JSON otherwise, a turn not taken); health and readiness stay open to probes.
    #[tokio::test]
    async fn metrics_with_a_token_answer_only_a_request_that_carries_it() {
        let options = ServiceOptions {
            metrics_token: Some(aduan_core::Secret::new("scrape-token")),
            ..ServiceOptions::default()
        };
        let (base, stop, task, _ts) = start_with(Webhooks::new(), options, "").await;
        let http = reqwest::Client::new();
        for token in [None, Some("wrong-token")] {
            let mut request = http.get(format!("{base}/metrics"));
            if let Some(t) = token {
                request = request.bearer_auth(t);
            }
            let res = request.send().await.unwrap();
            assert_eq!(res.status(), 401, "{token:?}");
            assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(
                body["error"], "the metrics need the service's metrics bearer token",
                "{token:?}"
            );
        }
        let res = http
            .get(format!("{base}/metrics"))
            .header("authorization", "bearer scrape-token")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("aduan_store_up 1"));
        for path in ["/healthz", "/readyz"] {
            let res = http.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
        }
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// A loopback proxy in front of the server at `target` (`host:port`), for a database that
    /// goes away: [`Proxy::down`] closes the connections it carries and refuses new ones.
    struct Proxy {
        addr: std::net::SocketAddr,
        down: watch::Sender<bool>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Proxy {
        async fn to(target: String) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (down, mut down_rx) = watch::channel(false);
            let task = tokio::spawn(async move {
                let mut carried = JoinSet::new();
                loop {
                    tokio::select! {
                        _ = down_rx.wait_for(|d| *d) => break,
                        Ok((mut client, _)) = listener.accept() => {
                            let target = target.clone();
                            carried.spawn(async move {
                                if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                                }
                            });
                        }
                    }
                }
                // (The listener and every connection carried close as they are dropped.)
            });
            Self { addr, down, task }
        }

        async fn down(self) {
            self.down.send(true).unwrap();
            self.task.await.unwrap();
        }
    }

    /// `GET /api/report?by=` on the service at `base`: its status, `Retry-After` and body.
    async fn report_of(base: &str) -> (u16, Option<String>, String) {
        let res = reqwest::get(format!("{base}/api/report?by="))
            .await
            .unwrap();
        let retry_after = res
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_string());
        (
            res.status().as_u16(),
            retry_after,
            res.text().await.unwrap(),
        )
    }

    /// `answer`, the report API's to a request made while its database was out of reach,
    /// is a `503` with `Retry-After`, in JSON, naming none of `never`.
    fn said_unavailable(label: &str, answer: &(u16, Option<String>, String), never: &[&str]) {
        let (status, retry_after, body) = answer;
        assert_eq!(*status, 503, "{label}: {body}");
        assert_eq!(retry_after.as_deref(), Some("2"), "{label}: {body}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        let error = json["error"].as_str().unwrap_or_default();
        assert!(error.contains("out of reach or busy"), "{label}: {body}");
        for never in never {
            assert!(!body.contains(never), "{label}: {never:?} in {body}");
        }
    }

    /// Review of the series: the report API answered `500` (the server at fault, not to be
    /// asked again) while its database was out of reach: PostgreSQL gone away. It answers
    /// `503` with `Retry-After`, as `/readyz` does, naming no path, URL or the database's
    /// words. (A SQLite store's file removed: see
    /// `a_store_file_removed_or_replaced_under_the_service_is_said_to_need_a_restart`.)
    #[tokio::test]
    async fn the_report_api_answers_503_while_its_database_is_out_of_reach() {
        // PostgreSQL: the server gone away (its connections closed, new ones refused).
        let Some(pg) = aduan_store::testing::postgres().await else {
            return;
        };
        let url = aduan_store::testing::postgres_url();
        let (scheme, rest) = url.split_once("://").unwrap();
        let (authority, database) = rest.split_once('/').unwrap();
        let (user, server) = authority.rsplit_once('@').unwrap_or(("", authority));
        let proxy = Proxy::to(server.to_string()).await;
        let user = if user.is_empty() {
            String::new()
        } else {
            format!("{user}@")
        };
        let through = format!("{scheme}://{user}{}/{database}", proxy.addr);
        let store = Store::open_postgres_in_schema(&through, pg.schema.as_deref().unwrap())
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let service = Service::new(store, ServiceOptions::default());
        let task = tokio::spawn(service.run(listener, async {
            let _ = rx.await;
        }));
        assert_eq!(report_of(&base).await.0, 200);
        let proxy_addr = proxy.addr.to_string();
        proxy.down().await;
        said_unavailable(
            "postgres",
            &report_of(&base).await,
            &[&proxy_addr, "refused", "pool"],
        );
        tx.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    /// Review (session 51): a SQLite store's file removed or replaced under the running
    /// service (a restore by hand) was answered `503` with `Retry-After: 2` and "the database
    /// is out of reach or busy; try again in 2 s", again and again: asking again never helps,
    /// the process writes into a file no one reads and must be restarted. The report API says
    /// that (no `Retry-After`), naming no path, and so does `/readyz`; nothing is read from the
    /// file put in its place.
    #[tokio::test]
    async fn a_store_file_removed_or_replaced_under_the_service_is_said_to_need_a_restart() {
        for (moved, said) in [("replaced", "another file"), ("removed", "gone")] {
            let (base, stop, task, ts) =
                start_with(Webhooks::new(), ServiceOptions::default(), THREE_COMPLAINTS).await;
            assert_eq!(report_of(&base).await.0, 200);
            let path = ts.url.trim_start_matches("sqlite:").to_string();
            let folder = std::path::Path::new(&path)
                .parent()
                .unwrap()
                .display()
                .to_string();
            let _other = match moved {
                "replaced" => {
                    // An empty store renamed over it, as a restore by hand would.
                    let other = aduan_store::testing::sqlite().await;
                    let copy = format!("{path}.copy");
                    std::fs::copy(other.url.trim_start_matches("sqlite:"), &copy).unwrap();
                    std::fs::rename(&copy, &path).unwrap();
                    Some(other)
                }
                _ => {
                    std::fs::remove_file(&path).unwrap();
                    None
                }
            };
            let (status, retry_after, body) = report_of(&base).await;
            assert_eq!(status, 503, "{moved}: {body}");
            assert_eq!(retry_after, None, "{moved}: {body}");
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            let error = json["error"].as_str().unwrap_or_default();
            assert!(
                error.contains(said) && error.contains("restart") && error.contains("-wal"),
                "{moved}: {body}"
            );
            assert!(!error.contains("try again"), "{moved}: {body}");
            assert!(!body.contains(&folder), "{moved}: {body}");
            let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
            assert_eq!(ready.status(), 503, "{moved}");
            let ready = ready.text().await.unwrap();
            assert!(
                ready.starts_with("not ready: ")
                    && ready.contains(said)
                    && ready.contains("restart"),
                "{moved}: {ready}"
            );
            assert!(!ready.contains(&folder), "{moved}: {ready}");
            stop.send(()).unwrap();
            task.await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn health_and_readiness_answer_on_a_migrated_store() {
        let (base, stop, task, _ts) = start(Webhooks::new(), 1024).await;
        let http = reqwest::Client::new();
        for path in ["/healthz", "/readyz"] {
            let res = http.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
        }
        assert_eq!(
            http.get(format!("{base}/nothing"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }
}
