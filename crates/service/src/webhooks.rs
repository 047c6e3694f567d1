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
//!
//! A delivery the sink could not store is answered here, whatever the channel's handler
//! answered (it sees only that the sink failed): `503` with `Retry-After` while the database
//! is out of reach or busy (`aduan_store::Error::is_unavailable`), and so when the request's
//! time limit runs out after its body came (the time was the server's, waiting for the
//! database, not the sender's: not `408`); `500` for another failure. The senders deliver
//! it again after either (the channel contracts: any answer but a 2xx). Each is counted as
//! rejected, `not_stored`.

use std::sync::Arc;
use std::time::Duration;

use aduan_core::{ChannelSpec, PushSink, RawRecord};
use aduan_sync::Engine;
use async_trait::async_trait;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Router;
use tokio::sync::{watch, Notify, Semaphore};

use crate::metrics::Metrics;

/// How often the inbox is looked at without a delivery waking it.
const INBOX_EVERY: Duration = Duration::from_secs(5);

/// Why a delivery a webhook request handed its sink was not stored (see [`not_stored`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotStored {
    /// The database was out of reach or busy, or the request's time ran out waiting for it.
    Unavailable,
    /// Another failure.
    Failed,
}

tokio::task_local! {
    /// What became of the delivery the webhook request being answered handed its
    /// [`InboxSink`]: the sink sets it, [`one_of_few`] answers by it. (The channel's handler
    /// gets an error of its own crate, which does not say what the store's was.)
    static NOT_STORED: std::cell::Cell<Option<NotStored>>;
}

/// The answer to a delivery that was not stored, for its sender to deliver it again:
/// `503` with `Retry-After` while the database is out of reach or busy (review of session
/// 51: none said when, and a sender was told `408`, its own fault, when the request's time
/// ran out on a store locked by another), `500` otherwise. Both in JSON, naming no path or
/// database's words (the channel's handler logs the error).
fn not_stored(why: NotStored) -> Response {
    match why {
        NotStored::Unavailable => {
            let secs = crate::api::RETRY_AFTER_SECS;
            let mut answer = crate::json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("not stored: the database is out of reach or busy; try again in {secs} s"),
            );
            answer
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            answer
        }
        NotStored::Failed => crate::json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "not stored: storing it failed (the service's log says why); try again later",
        ),
    }
}

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

    /// One router of every channel's routes, each behind the body limit, and the bodies of
    /// at most [`BODIES_AT_ONCE`] requests of the largest size held at once (see [`Room`]).
    pub(crate) fn into_router(
        self,
        metrics: &Metrics,
        max_body_bytes: usize,
        request_timeout: Duration,
    ) -> Router {
        let mut router = Router::new();
        let room = Arc::new(Room::new(max_body_bytes, BODY_WITHIN.min(request_timeout)));
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
                    (Arc::clone(&room), counted),
                    one_of_few,
                ));
            tracing::info!(channel, "Webhook endpoints mounted.");
            router = router.merge(routes);
        }
        router
    }
}

/// How many webhook bodies of the largest size are held at once: each is held in memory
/// before its signature is checked, so that they cost at most that many (64 MiB at the
/// default 1 MiB). Health, readiness, metrics and the report API do not wait behind them.
pub(crate) const BODIES_AT_ONCE: usize = 64;

/// How long a webhook request that has its room may take to send its body (or the request's
/// whole time limit, when shorter). A sender's deliveries are small and expected to be
/// answered within seconds (Pantau Pekalongan retries after 10 s); one that stalls gives its
/// room back then, not at the request's whole time limit.
const BODY_WITHIN: Duration = Duration::from_secs(10);

/// The room webhook bodies take in memory, counted in bytes: a request takes what its
/// `Content-Length` declares (a chunked one, what it has sent so far), so
/// that uploads that stall while declaring small bodies do not hold up every delivery
/// (operator review: 64 connections sending 2 of a declared 1,000 bytes kept every webhook
/// waiting 30 s), and one that declares more than the limit is refused at once.
struct Room {
    bytes: Semaphore,
    max_body: usize,
    body_within: Duration,
}

impl Room {
    fn new(max_body: usize, body_within: Duration) -> Self {
        let max_body = max_body.max(1);
        let total = BODIES_AT_ONCE
            .saturating_mul(max_body)
            .min(u32::MAX as usize)
            .min(Semaphore::MAX_PERMITS);
        Self {
            bytes: Semaphore::new(total),
            max_body,
            body_within,
        }
    }
}

/// Runs `request` once the room its body takes is free, its body read whole within
/// [`BODY_WITHIN`] (`408` past it; `413` for one declared, or sent, over the limit).
/// Each refusal is counted as a rejected delivery of the channel (`body_too_large`,
/// `body_too_slow`, `body_unreadable`), so that an operator can alert on them.
async fn one_of_few(
    axum::extract::State((room, counted)): axum::extract::State<(Arc<Room>, Deliveries)>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let too_large = || {
        counted.rejected("body_too_large");
        crate::json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is over the limit of {} bytes", room.max_body),
        )
    };
    // What the request says its body is: its `Content-Length`, none for a request without
    // one (the subscription handshake's GET), unknown for a chunked one.
    let declared = axum::body::HttpBody::size_hint(request.body()).exact();
    if declared.is_some_and(|n| n > room.max_body as u64) {
        return too_large();
    }
    // A body of unknown length (chunked) takes room as its bytes arrive, not the largest
    // body at once: 64 chunked uploads that stall after a byte would otherwise hold all the
    // room and keep every delivery waiting for `body_within` (attack review).
    let need = declared.map_or(1, |n| n as usize).clamp(1, room.max_body);
    let need = u32::try_from(need).unwrap_or(u32::MAX);
    let Ok(first) = room.bytes.acquire_many(need).await else {
        // (Never closed.)
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let mut held = Some(first);
    let deadline = request.extensions().get::<crate::Deadline>().copied();
    let (parts, body) = request.into_parts();
    let read = async {
        if declared.is_some() {
            return axum::body::to_bytes(body, room.max_body).await;
        }
        // (`Limited` refuses past the limit, as `to_bytes` does: the same `413`.)
        let mut body = std::pin::pin!(http_body_util::Limited::new(body, room.max_body));
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
            let Ok(chunk) = frame.map_err(axum::Error::new)?.into_data() else {
                continue;
            };
            bytes.extend_from_slice(&chunk);
            let have = held.as_ref().map_or(0, |h| h.num_permits());
            let more = bytes.len().saturating_sub(have);
            if more > 0 {
                let more = u32::try_from(more).unwrap_or(u32::MAX);
                match room.bytes.try_acquire_many(more) {
                    Ok(p) => match held.as_mut() {
                        Some(h) => h.merge(p),
                        None => held = Some(p),
                    },
                    Err(_) => {
                        // No waiting while holding part of the room (uploads holding half
                        // each would wait for each other until `body_within`): give it back
                        // and wait for the largest body's room at once, as before.
                        drop(held.take());
                        let all = u32::try_from(room.max_body).unwrap_or(u32::MAX);
                        let Ok(p) = room.bytes.acquire_many(all).await else {
                            break;
                        };
                        held = Some(p);
                    }
                }
            }
        }
        Ok(axum::body::Bytes::from(bytes))
    };
    // Not past the request's own time limit: at the same instant, this answer comes first
    // (`timeout` polls what it limits before its own time), where the request's, a moment
    // after the room was had, came first when the two limits were the same (300 ms here in a
    // test, and so whenever `request_timeout` is below `BODY_WITHIN`), and the body too slow
    // was answered as a request too slow and not counted.
    let until = tokio::time::Instant::now() + room.body_within;
    let until = deadline.map_or(until, |d| until.min(d.0));
    let read = tokio::time::timeout_at(until, read);
    match read.await {
        Ok(Ok(bytes)) => {
            let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
            let handled = NOT_STORED.scope(std::cell::Cell::new(None), async {
                let answer = next.run(request).await;
                (answer, NOT_STORED.with(std::cell::Cell::get))
            });
            // Within the request's time limit here too: at the same instant this answer
            // comes first (as the body's above), and the time past the body's arrival was the
            // server's, waiting for the database (a SQLite store locked by another waits up
            // to 30 s), which `time_limited`'s `408` would put on the sender.
            let handled = match deadline {
                Some(d) => tokio::time::timeout_at(d.0, handled).await,
                None => Ok(handled.await),
            };
            match handled {
                Ok((answer, None)) => answer,
                Ok((_, Some(why))) => not_stored(why),
                Err(_) => {
                    counted.rejected("not_stored");
                    tracing::warn!(
                        channel = counted.channel(),
                        "A webhook delivery was not stored within the request's time limit (the database busy or out of reach); answered 503 for its sender to deliver it again."
                    );
                    not_stored(NotStored::Unavailable)
                }
            }
        }
        Ok(Err(e)) => {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if over {
                too_large()
            } else {
                counted.rejected("body_unreadable");
                crate::json_error(StatusCode::BAD_REQUEST, "the body could not be read")
            }
        }
        Err(_) => {
            counted.rejected("body_too_slow");
            crate::json_error(
                StatusCode::REQUEST_TIMEOUT,
                &format!("the body did not arrive within {:?}", room.body_within),
            )
        }
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
                let why = match &e {
                    aduan_sync::Error::Store(s) if s.is_unavailable() => NotStored::Unavailable,
                    _ => NotStored::Failed,
                };
                // (None to tell outside a request's answer.)
                let _ = NOT_STORED.try_with(|said| said.set(Some(why)));
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
