//! Where push channels mount their webhook endpoints.
//!
//! A push connector gives a [`Router`] of its own paths (`/webhooks/<channel>`, …) whose
//! handlers verify a delivery, archive it and answer; the service merges it into its HTTP
//! server behind a request body limit and counts deliveries for `/metrics`. Handlers read the
//! body through an extractor (`Bytes`, `Json`, …), which is what enforces the limit; a body
//! over it is answered `413` and counted as rejected (`body_too_large`) here.

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;

use crate::metrics::Metrics;

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

/// The push channels' webhook endpoints, for [`Service::webhooks`](crate::Service::webhooks).
#[derive(Default)]
pub struct Webhooks {
    mounts: Vec<(&'static str, Build)>,
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

    /// The channels mounted.
    pub fn channels(&self) -> Vec<&'static str> {
        self.mounts.iter().map(|(c, _)| *c).collect()
    }

    /// One router of every channel's routes, each behind the body limit.
    pub(crate) fn into_router(self, metrics: &Metrics, max_body_bytes: usize) -> Router {
        let mut router = Router::new();
        for (channel, build) in self.mounts {
            metrics.pushed(channel);
            let deliveries = Deliveries {
                channel,
                metrics: metrics.clone(),
            };
            let counted = deliveries.clone();
            let routes = build(deliveries)
                .layer(DefaultBodyLimit::max(max_body_bytes))
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
