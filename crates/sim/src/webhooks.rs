//! Webhook delivery shared by the push channels, as their platforms do it: signed POSTs,
//! four at a time, retried on 5xx and on connection failures, with the deliberate faults a
//! channel's delivery plan asks for. A channel builds the jobs (bodies serialized once, in
//! the order to send) and says which headers an attempt carries; counting is the same for
//! every channel ([`DeliveryStats`]).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;

use crate::faults::fires;
use crate::smart_city::DeliveryStats;

/// Retries of a POST answered 5xx or not answered.
const RETRIES: u32 = 5;
/// Pause before a retry.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// One body to deliver.
pub(crate) struct Job<M> {
    /// Position in the delivery order, from 1 (for the "every Nth" faults).
    pub(crate) number: u64,
    /// What the job is, for log lines (a delivery id, a message id).
    pub(crate) label: String,
    /// The raw body, serialized once; these exact bytes are signed and sent.
    pub(crate) body: Bytes,
    /// What the channel needs to build the headers.
    pub(crate) meta: M,
}

/// One POST of a job.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Attempt {
    /// Signed correctly.
    Good,
    /// Signed with the wrong secret (the receiver must answer 401).
    BadSignature,
    /// Signed correctly for a timestamp too old (the receiver must answer 401).
    Stale,
}

/// Which jobs get the deliberate faults; "every Nth" counts [`Job::number`], 0 = never.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Schedule {
    /// Sent a second time, same bytes, after the good POST.
    pub(crate) duplicate_every: u32,
    /// First sent with [`Attempt::BadSignature`].
    pub(crate) bad_signature_every: u32,
    /// First sent with [`Attempt::Stale`] (after a bad signature, when both fire).
    pub(crate) stale_every: u32,
}

/// The headers of one POST (besides `Content-Type: application/json`), made fresh for each
/// try: a signature may cover the time of sending.
pub(crate) trait Headers<M>: Sync {
    /// `(name, value)` pairs for `attempt` of `job`.
    fn headers(&self, job: &Job<M>, attempt: Attempt) -> Vec<(&'static str, String)>;
}

impl<M, F> Headers<M> for F
where
    F: Fn(&Job<M>, Attempt) -> Vec<(&'static str, String)> + Sync,
{
    fn headers(&self, job: &Job<M>, attempt: Attempt) -> Vec<(&'static str, String)> {
        self(job, attempt)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    unexpected: AtomicU64,
    retried: AtomicU64,
}

struct Run<'a, M, H> {
    client: reqwest::Client,
    url: &'a str,
    schedule: Schedule,
    headers: &'a H,
    queue: Mutex<VecDeque<Job<M>>>,
    stats: Counters,
}

/// Sends `jobs` in order to `url`, four at a time, and counts what happened.
pub(crate) async fn run<M, H>(
    jobs: Vec<Job<M>>,
    url: &str,
    schedule: Schedule,
    headers: &H,
) -> DeliveryStats
where
    M: Send + Sync,
    H: Headers<M>,
{
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
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
    let run = Run {
        client,
        url,
        schedule,
        headers,
        queue: Mutex::new(jobs.into()),
        stats: Counters::default(),
    };
    // Four workers (the platforms' concurrency) take jobs from one queue, in order.
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

impl<M, H> Run<'_, M, H>
where
    M: Send + Sync,
    H: Headers<M>,
{
    async fn worker(&self) {
        loop {
            let job = lock(&self.queue).pop_front();
            let Some(job) = job else {
                break;
            };
            let s = self.schedule;
            if fires(job.number, Some(s.bad_signature_every)) {
                self.send(&job, Attempt::BadSignature).await;
            }
            if fires(job.number, Some(s.stale_every)) {
                self.send(&job, Attempt::Stale).await;
            }
            self.send(&job, Attempt::Good).await;
            if fires(job.number, Some(s.duplicate_every)) {
                self.send(&job, Attempt::Good).await;
            }
        }
    }

    /// One POST, retried on 5xx and connection failures; counts the final answer.
    async fn send(&self, job: &Job<M>, attempt: Attempt) {
        let s = &self.stats;
        let mut retries = 0;
        loop {
            let mut req = self
                .client
                .post(self.url)
                .header("Content-Type", "application/json");
            for (name, value) in self.headers.headers(job, attempt) {
                req = req.header(name, value);
            }
            s.sent.fetch_add(1, Ordering::Relaxed);
            let result = req.body(job.body.clone()).send().await;
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
                            job = %job.label,
                            ?attempt,
                            status = r.status().as_u16(),
                            "Unexpected answer to a webhook delivery."
                        ),
                        Err(e) => tracing::warn!(
                            url = self.url,
                            job = %job.label,
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
