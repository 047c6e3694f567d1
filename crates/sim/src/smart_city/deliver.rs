//! Webhook delivery as the app's backend does it: signed POSTs, four at a time, retried on
//! 5xx and on connection failures, with the deliberate faults of a [`DeliveryPlan`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;

use super::{lock, signature, DeliveryPlan, DeliveryStats};
use crate::faults::fires;

/// Retries of a POST answered 5xx or not answered.
const RETRIES: u32 = 5;
/// Pause before a retry.
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// Age of a stale timestamp (the receiver allows 5 minutes).
const STALE_SECS: i64 = 600;

/// One version to deliver.
pub(crate) struct Job {
    /// Position in the delivery order, from 1 (for the "every Nth" faults).
    pub(crate) number: u64,
    /// `X-Pantau-Delivery`, shared by every POST of this job.
    pub(crate) delivery_id: String,
    /// `X-Pantau-Event`.
    pub(crate) event: &'static str,
    /// The raw body, serialized once; these exact bytes are signed and sent.
    pub(crate) body: Bytes,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Attempt {
    Good,
    BadSignature,
    Stale,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    unexpected: AtomicU64,
    retried: AtomicU64,
}

struct Run<'a> {
    client: reqwest::Client,
    url: &'a str,
    secret: &'a [u8],
    wrong_secret: Vec<u8>,
    plan: &'a DeliveryPlan,
    queue: Mutex<VecDeque<Job>>,
    stats: Counters,
}

/// Sends `jobs` in order, four at a time.
pub(crate) async fn run(
    jobs: Vec<Job>,
    url: &str,
    secret: &[u8],
    plan: &DeliveryPlan,
) -> DeliveryStats {
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(15))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "Cannot build the webhook HTTP client.");
            return DeliveryStats {
                unexpected: jobs.len() as u64,
                ..DeliveryStats::default()
            };
        }
    };
    let mut wrong_secret = secret.to_vec();
    wrong_secret.extend_from_slice(b"-not-the-secret");
    let run = Run {
        client,
        url,
        secret,
        wrong_secret,
        plan,
        queue: Mutex::new(jobs.into()),
        stats: Counters::default(),
    };
    // Four workers (the app's concurrency) take jobs from one queue, in order.
    tokio::join!(run.worker(), run.worker(), run.worker(), run.worker());
    let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let s = &run.stats;
    DeliveryStats {
        sent: g(&s.sent),
        accepted: g(&s.accepted),
        rejected: g(&s.rejected),
        unexpected: g(&s.unexpected),
        retried: g(&s.retried),
    }
}

impl Run<'_> {
    async fn worker(&self) {
        loop {
            let job = lock(&self.queue).pop_front();
            let Some(job) = job else {
                break;
            };
            let p = self.plan;
            if fires(job.number, Some(p.bad_signature_every)) {
                self.send(&job, Attempt::BadSignature).await;
            }
            if fires(job.number, Some(p.stale_every)) {
                self.send(&job, Attempt::Stale).await;
            }
            self.send(&job, Attempt::Good).await;
            if fires(job.number, Some(p.duplicate_every)) {
                self.send(&job, Attempt::Good).await;
            }
        }
    }

    /// One POST, retried on 5xx and connection failures; counts the final answer.
    async fn send(&self, job: &Job, attempt: Attempt) {
        let s = &self.stats;
        let mut retries = 0;
        loop {
            let now = chrono::Utc::now().timestamp();
            let (ts, sig) = match attempt {
                Attempt::Good => (now, signature(self.secret, now, &job.body)),
                Attempt::BadSignature => (now, signature(&self.wrong_secret, now, &job.body)),
                Attempt::Stale => {
                    let ts = now - STALE_SECS;
                    (ts, signature(self.secret, ts, &job.body))
                }
            };
            s.sent.fetch_add(1, Ordering::Relaxed);
            let result = self
                .client
                .post(self.url)
                .header("Content-Type", "application/json")
                .header("X-Pantau-Event", job.event)
                .header("X-Pantau-Delivery", &job.delivery_id)
                .header("X-Pantau-Timestamp", ts.to_string())
                .header("X-Pantau-Signature", sig)
                .body(job.body.clone())
                .send()
                .await;
            let status = result.as_ref().ok().map(|r| r.status());
            let retry = status.is_none_or(|st| st.is_server_error());
            if retry && retries < RETRIES {
                retries += 1;
                s.retried.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
            let counter = match (attempt, status) {
                (Attempt::Good, Some(st)) if st.is_success() => &s.accepted,
                (Attempt::BadSignature | Attempt::Stale, Some(st)) if st.as_u16() == 401 => {
                    &s.rejected
                }
                _ => {
                    match &result {
                        Ok(r) => tracing::warn!(
                            url = self.url,
                            delivery = %job.delivery_id,
                            ?attempt,
                            status = r.status().as_u16(),
                            "Unexpected answer to a webhook delivery."
                        ),
                        Err(e) => tracing::warn!(
                            url = self.url,
                            delivery = %job.delivery_id,
                            ?attempt,
                            error = %e,
                            "Webhook delivery failed after retries."
                        ),
                    }
                    &s.unexpected
                }
            };
            counter.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
}
