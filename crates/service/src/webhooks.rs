//! Where push channels mount their webhook endpoints.
//!
//! A push connector gives a [`Router`] of its own paths (`/webhooks/<channel>`, …) whose
//! handlers verify a delivery and hand it to a [`PushSink`]; the service merges it into its
//! HTTP server behind a request body limit and counts deliveries for `/metrics`. Handlers read
//! the body through an extractor (`Bytes`, `Json`, …), which is what enforces the limit; a
//! body over it is answered `413` and counted as rejected (`body_too_large`) here.
//!
//! The sink of [`Webhooks::push`] is the engine's inbox: a delivery is archived and queued in
//! one transaction before the handler answers, and a task of the service folds the queue into
//! complaints right after (woken by the delivery), every few seconds, and once at start, so
//! that what a crash or another replica left queued is folded too.

use std::sync::Arc;
use std::time::Duration;

use aduan_core::{ChannelSpec, PushSink, RawRecord};
use aduan_sync::Engine;
use async_trait::async_trait;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Router;
use tokio::sync::{watch, Notify, Semaphore};

use crate::metrics::Metrics;

/// How often the inbox is looked at without a delivery waking it.
const INBOX_EVERY: Duration = Duration::from_secs(5);

/// Counts one push channel's webhook deliveries (`aduan_webhook_deliveries_total`).
#[derive(Debug, Clone)]
pub struct Deliveries {
    channel: &'static str,
    metrics: Metrics,
}

impl Deliveries {
    /// The channel counted.
    pub fn channel(&self) -> &'static str {
        self.channel
    }

    /// A delivery was verified and taken.
    pub fn accepted(&self) {
        self.metrics.delivery(self.channel, "accepted", "");
    }

    /// A delivery was refused; `reason` is a short, stable word (`bad_signature`,
    /// `malformed`, …): it becomes a label value, so never put the delivery's content in it.
    pub fn rejected(&self, reason: &str) {
        self.metrics.delivery(self.channel, "rejected", reason);
    }
}

type Build = Box<dyn FnOnce(Deliveries) -> Router + Send>;

/// A push channel's router, given the sink its handlers store deliveries through.
pub type PushRoutes = Box<dyn FnOnce(Arc<dyn PushSink>) -> Router + Send>;

/// A push channel whose deliveries go to the engine's inbox.
pub(crate) struct Pushed {
    pub engine: Engine,
    pub spec: ChannelSpec,
    pub wake: Arc<Notify>,
}

/// The push channels' webhook endpoints, for [`Service::webhooks`](crate::Service::webhooks).
#[derive(Default)]
pub struct Webhooks {
    mounts: Vec<(&'static str, Build)>,
    pushed: Vec<Pushed>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("channels", &self.channels())
            .finish()
    }
}

impl Webhooks {
    /// No webhooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Mounts `channel`'s routes: `build` gets the channel's delivery counters and returns
    /// its router (full paths; two channels must not claim the same path).
    pub fn mount(
        mut self,
        channel: &'static str,
        build: impl FnOnce(Deliveries) -> Router + Send + 'static,
    ) -> Self {
        self.mounts.push((channel, Box::new(build)));
        self
    }

    /// Mounts a push channel whose deliveries are stored in `engine`'s inbox and folded
    /// into complaints by the service: `routes` gets the sink its handlers call.
    pub fn push(mut self, engine: Engine, spec: ChannelSpec, routes: PushRoutes) -> Self {
        let wake = Arc::new(Notify::new());
        let sink_engine = engine.clone();
        let sink_wake = Arc::clone(&wake);
        self.mounts.push((
            spec.id,
            Box::new(move |deliveries| {
                routes(Arc::new(InboxSink {
                    engine: sink_engine,
                    deliveries,
                    wake: sink_wake,
                }))
            }),
        ));
        self.pushed.push(Pushed { engine, spec, wake });
        self
    }

    /// The push channels whose inbox the service folds.
    pub(crate) fn take_pushed(&mut self) -> Vec<Pushed> {
        std::mem::take(&mut self.pushed)
    }

    /// The channels mounted.
    pub fn channels(&self) -> Vec<&'static str> {
        self.mounts.iter().map(|(c, _)| *c).collect()
    }

    /// What the engine folding the deliveries reads records with (`Engine::reads_with`),
    /// when a channel is pushed.
    pub(crate) fn reads_with(&self) -> Option<String> {
        self.pushed.first().map(|p| p.engine.reads_with())
    }

    /// One router of every channel's routes, each behind the body limit, and at most
    /// [`BODIES_AT_ONCE`] requests of them read at once.
    pub(crate) fn into_router(self, metrics: &Metrics, max_body_bytes: usize) -> Router {
        let mut router = Router::new();
        let room = Arc::new(Semaphore::new(BODIES_AT_ONCE));
        for (channel, build) in self.mounts {
            metrics.pushed(channel);
            let deliveries = Deliveries {
                channel,
                metrics: metrics.clone(),
            };
            let counted = deliveries.clone();
            let routes = build(deliveries)
                .layer(DefaultBodyLimit::max(max_body_bytes))
                .layer(axum::middleware::from_fn_with_state(
                    Arc::clone(&room),
                    one_of_few,
                ))
                .layer(axum::middleware::map_response(move |res: Response| {
                    let counted = counted.clone();
                    async move {
                        if res.status() == StatusCode::PAYLOAD_TOO_LARGE {
                            counted.rejected("body_too_large");
                        }
                        res
                    }
                }));
            tracing::info!(channel, "Webhook endpoints mounted.");
            router = router.merge(routes);
        }
        router
    }
}

/// The most webhook requests read at once: each holds a body of up to `max_body_bytes` in
/// memory before its signature is checked, so that many cost at most that many bodies
/// (64 MiB at the default 1 MiB). More wait for a place (within the request's time limit);
/// health, readiness, metrics and the report API do not wait behind them.
pub(crate) const BODIES_AT_ONCE: usize = 64;

/// Runs `request` once one of the few places for webhook requests is free.
async fn one_of_few(
    axum::extract::State(room): axum::extract::State<Arc<Semaphore>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match room.acquire().await {
        Ok(_place) => next.run(request).await,
        // (Never closed.)
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Stores deliveries in the engine's inbox, counts them, and wakes the channel's folder.
struct InboxSink {
    engine: Engine,
    deliveries: Deliveries,
    wake: Arc<Notify>,
}

#[async_trait]
impl PushSink for InboxSink {
    async fn accept(&self, raw: RawRecord, delivery: Option<&str>) -> aduan_core::Result<bool> {
        let channel = self.deliveries.channel();
        match self.engine.receive(channel, raw, delivery).await {
            Ok(new) => {
                self.deliveries.accepted();
                self.wake.notify_one();
                Ok(new)
            }
            Err(e) => {
                self.deliveries.rejected("not_stored");
                Err(aduan_core::Error::Transport {
                    channel: channel.to_string(),
                    message: format!("storing a webhook delivery: {e}"),
                })
            }
        }
    }

    fn rejected(&self, reason: &'static str) {
        self.deliveries.rejected(reason);
    }
}

/// Folds a push channel's inbox: at start, when a delivery wakes it, and every few seconds
/// (deliveries another replica stored, or a fold that failed), until the service stops.
pub(crate) async fn inbox_loop(pushed: Pushed, mut stop: watch::Receiver<bool>) {
    let channel = pushed.spec.id;
    let mut every = tokio::time::interval(INBOX_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = pushed.wake.notified() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        match pushed.engine.drain_inbox(&pushed.spec).await {
            Ok(Some(c)) if c.fetched > 0 => tracing::info!(
                channel,
                deliveries = c.fetched,
                inserted = c.inserted,
                updated = c.updated,
                unchanged = c.unchanged,
                quarantined = c.quarantined,
                "Webhook deliveries folded."
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(channel, error = %e, "Folding webhook deliveries failed; tried again shortly.")
            }
        }
    }
}
