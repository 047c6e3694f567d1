//! Wadul Aladin / Lapor Ajib, the city's WhatsApp complaint line: the contract
//! `shared/channels/wadul-aladin.md`, under the path prefix `/wadul-aladin`.
//!
//! - The complaint team's case register (pull): `GET /wadul-aladin/register.csv`, RFC 4180
//!   with CRLF line ends, optionally behind an `Authorization` header value
//!   ([`WadulConfig::register_auth`]), with the 503s [`WadulFaults`] asks for.
//! - WhatsApp Cloud API webhooks (push):
//!   [`RunningSim::wadul_deliver`](crate::RunningSim::wadul_deliver) POSTs the messages to
//!   an aggregator in the platform's standard bodies, signed `X-Hub-Signature-256` with the
//!   app secret ([`wadul_signature`]), with the duplicates, bad signatures, disorder and
//!   lost threads a [`WadulDeliveryPlan`] asks for. The subscription handshake (`GET`) is
//!   the aggregator's endpoint: nothing is served for it here.
//!
//! Senders, threads and cases are generated at start from the seed; the generator never
//! makes two threads of one sender that the connector's rule (24 hours of silence, or the
//! case closed) would merge, nor a case that closes its own thread early.
//! [`RunningSim::wadul_advance`](crate::RunningSim::wadul_advance) edits register rows in
//! place while the simulator runs. [`RunningSim::wadul_truth`](crate::RunningSim::wadul_truth)
//! is what an aggregator must end up with.

mod generate;
mod payload;
mod register;
mod topics;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hmac::{Hmac, Mac};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::Sha256;

use crate::faults::{fires, maintenance};
use crate::smart_city::DeliveryStats;
use crate::text::mix64;
use crate::webhooks::{self, Attempt, Job, Schedule};
use generate::Generated;
use register::HEADER;

/// The path prefix of this channel on the simulator.
pub const PATH_PREFIX: &str = "/wadul-aladin";

/// The status of a thread the register has no case for.
pub const NO_CASE: &str = "Belum Ada Kasus";

/// Settings of the Wadul Aladin simulator.
#[derive(Clone, Debug)]
pub struct WadulConfig {
    /// Distinct WhatsApp senders (default 120); each writes 1–3 threads.
    pub senders: usize,
    /// Register cases typed in by hand, without a `wamid` (default 15).
    pub walk_ins: usize,
    /// The app secret webhook deliveries are signed with (default `wadul-sim-app-secret`).
    pub app_secret: String,
    /// The subscription verify token to configure the aggregator with (default
    /// `wadul-sim-verify-token`); the handshake is the aggregator's, the simulator only
    /// reports the token.
    pub verify_token: String,
    /// When set, `GET register.csv` needs exactly this `Authorization` header value and
    /// answers 401 otherwise (default none).
    pub register_auth: Option<String>,
    /// Faults of the register (default none).
    pub faults: WadulFaults,
}

impl Default for WadulConfig {
    fn default() -> Self {
        Self {
            senders: 120,
            walk_ins: 15,
            app_secret: "wadul-sim-app-secret".into(),
            verify_token: "wadul-sim-verify-token".into(),
            register_auth: None,
            faults: WadulFaults::default(),
        }
    }
}

/// Faults of the register, counted over register requests (from start or from the last
/// [`RunningSim::wadul_set_faults`](crate::RunningSim::wadul_set_faults)).
#[derive(Clone, Debug, Default)]
pub struct WadulFaults {
    /// Every Nth register request answers `503` (an HTML page); 0 = never.
    pub server_error_every: u32,
}

/// Counters of the register since start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WadulStats {
    /// Register requests (all answers).
    pub requests: u64,
    /// `401` answers (`Authorization` missing or wrong).
    pub unauthorized: u64,
    /// Injected `503` answers.
    pub server_errors: u64,
}

/// One complaint the aggregator must end up with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WadulTruth {
    /// The thread's first `wamid`; a walk-in case's `No Aduan`.
    pub external_id: String,
    /// The sender's number as digits `62…`; `None` for a walk-in without a number.
    pub sender: Option<String>,
    /// Messages of the thread delivered: 0 for a walk-in, or for a thread whose webhooks
    /// the plan loses (known only through its case).
    pub messages: usize,
    /// `No Aduan` of the register case joined to it, if any.
    pub case_no: Option<String>,
    /// The case's current `Status`, or [`NO_CASE`] for a thread without a case.
    pub status: String,
}

/// How [`RunningSim::wadul_deliver`](crate::RunningSim::wadul_deliver) delivers webhooks.
/// "Every Nth" counts bodies in the order they are sent, from 1.
#[derive(Clone, Debug)]
pub struct WadulDeliveryPlan {
    /// Every Nth body is sent twice, identical bytes (0 = never).
    pub duplicate_every: u32,
    /// Every Nth body is first sent with a wrong `X-Hub-Signature-256` (expect 401), then
    /// correctly (0 = never).
    pub bad_signature_every: u32,
    /// Send bodies out of order. Besides the shuffle, one thread has the body of its last
    /// message sent first and the body of its first message last.
    pub shuffle: bool,
    /// Every Nth thread that has a case (in generation order) gets none of its webhooks
    /// delivered: the register names a `wamid` the aggregator never sees (0 = none).
    pub lose_threads_every: u32,
    /// Seed of the shuffle.
    pub seed: u64,
}

impl Default for WadulDeliveryPlan {
    /// Duplicates every 7th, bad signature every 11th, shuffled, nothing lost, seed 1.
    fn default() -> Self {
        Self {
            duplicate_every: 7,
            bad_signature_every: 11,
            shuffle: true,
            lose_threads_every: 0,
            seed: 1,
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

/// `sha256=<hex HMAC-SHA256(app_secret, body)>`: the `X-Hub-Signature-256` of a webhook
/// body, as the platform signs.
pub fn wadul_signature(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A webhook body of text messages of sender `from` (international form, `628…`), each
/// `(wamid, timestamp as sent, text)`, in the platform's standard shape with the sender's
/// profile name `Budi`: for tests and benchmarks that deliver messages of their own.
pub fn wadul_text_body(from: &str, messages: &[(&str, &str, &str)]) -> Vec<u8> {
    let messages: Vec<serde_json::Value> = messages
        .iter()
        .map(|(id, timestamp, text)| {
            serde_json::json!({"from": from, "id": id, "timestamp": timestamp,
                "type": "text", "text": {"body": text}})
        })
        .collect();
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "62816644000", "phone_number_id": "1"},
            "contacts": [{"profile": {"name": "Budi"}, "wa_id": from}],
            "messages": messages}}]}]
    })
    .to_string()
    .into_bytes()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    unauthorized: AtomicU64,
    server_errors: AtomicU64,
}

struct Dataset {
    data: Generated,
    /// Draws of [`WadulState::advance`].
    advances: ChaCha8Rng,
}

struct FaultState {
    faults: WadulFaults,
    /// Register requests since the faults were set.
    requests: u64,
}

/// The running Wadul Aladin simulator.
pub(crate) struct WadulState {
    seed: u64,
    app_secret: String,
    register_auth: Option<String>,
    data: Mutex<Dataset>,
    faults: Mutex<FaultState>,
    stats: Counters,
}

impl std::fmt::Debug for WadulState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = lock(&self.data);
        f.debug_struct("WadulState")
            .field("threads", &data.data.threads.len())
            .field("cases", &data.data.cases.len())
            .finish_non_exhaustive()
    }
}

impl WadulState {
    /// Generates the senders, threads and cases.
    pub(crate) fn new(seed: u64, config: WadulConfig) -> Self {
        Self {
            seed,
            app_secret: config.app_secret,
            register_auth: config.register_auth,
            data: Mutex::new(Dataset {
                data: generate::generate(seed, config.senders, config.walk_ins),
                advances: ChaCha8Rng::seed_from_u64(mix64(seed ^ 0x5741_4456_414E)),
            }),
            faults: Mutex::new(FaultState {
                faults: config.faults,
                requests: 0,
            }),
            stats: Counters::default(),
        }
    }

    pub(crate) fn set_faults(&self, faults: WadulFaults) {
        let mut f = lock(&self.faults);
        f.faults = faults;
        f.requests = 0;
    }

    pub(crate) fn stats(&self) -> WadulStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WadulStats {
            requests: g(&self.stats.requests),
            unauthorized: g(&self.stats.unauthorized),
            server_errors: g(&self.stats.server_errors),
        }
    }

    pub(crate) fn truth(&self, plan: &WadulDeliveryPlan) -> Vec<WadulTruth> {
        let guard = lock(&self.data);
        let g = &guard.data;
        let lost = lost(g, plan.lose_threads_every);
        let mut out: Vec<WadulTruth> = Vec::with_capacity(g.threads.len() + g.cases.len());
        for (i, t) in g.threads.iter().enumerate() {
            let case = t.case.and_then(|c| g.cases.get(c));
            out.push(WadulTruth {
                external_id: t.first_wamid().to_string(),
                sender: g.senders.get(t.sender).map(|s| s.wa_id.clone()),
                messages: if lost[i] { 0 } else { t.messages.len() },
                case_no: case.map(|c| c.no.clone()),
                status: case.map_or(NO_CASE, |c| c.status.as_str()).to_string(),
            });
        }
        out.extend(
            g.cases
                .iter()
                .filter(|c| c.first_wamid.is_none())
                .map(|c| WadulTruth {
                    external_id: c.no.clone(),
                    sender: c.wa_digits.clone(),
                    messages: 0,
                    case_no: Some(c.no.clone()),
                    status: c.status.as_str().to_string(),
                }),
        );
        out.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        out
    }

    /// Moves `n` distinct open cases one step on; returns their `No Aduan`, in the order
    /// they moved.
    pub(crate) fn advance(&self, n: usize) -> Vec<String> {
        let mut guard = lock(&self.data);
        let Dataset { data, advances } = &mut *guard;
        let mut open: Vec<usize> = data
            .cases
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.status.closes())
            .map(|(i, _)| i)
            .collect();
        let n = n.min(open.len());
        let mut moved = Vec::with_capacity(n);
        for k in 0..n {
            // A partial Fisher-Yates shuffle: distinct cases.
            let j = advances.gen_range(k..open.len());
            open.swap(k, j);
            if let Some(case) = data.cases.get_mut(open[k]) {
                if case.step(advances) {
                    moved.push(case.no.clone());
                }
            }
        }
        moved
    }

    /// The register as published: header and one row per case, CRLF line ends.
    fn register_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let guard = lock(&self.data);
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        w.write_record(HEADER)?;
        for c in &guard.data.cases {
            w.write_record(c.record())?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }

    /// The bodies of one run, serialized once, in the order to send.
    fn jobs(&self, plan: &WadulDeliveryPlan) -> Vec<Job<()>> {
        let guard = lock(&self.data);
        let g = &guard.data;
        let lost = lost(g, plan.lose_threads_every);
        let mut list = payload::items(g, &lost, self.seed);
        if plan.shuffle {
            let mut rng = ChaCha8Rng::seed_from_u64(mix64(plan.seed ^ 0x5348_5546_5741));
            rand::seq::SliceRandom::shuffle(list.as_mut_slice(), &mut rng);
            payload::force_disorder(g, &mut list);
        }
        let mut jobs = Vec::with_capacity(list.len());
        for (n, (_, label, item)) in list.into_iter().enumerate() {
            match payload::body(g, &item) {
                Ok(body) => jobs.push(Job {
                    number: n as u64 + 1,
                    label,
                    body: body.into(),
                    meta: (),
                }),
                Err(e) => {
                    tracing::error!(error = %e, job = %label, "Cannot serialize a webhook body.");
                }
            }
        }
        jobs
    }

    /// Delivers the webhook bodies to `url`, following `plan`.
    pub(crate) async fn deliver(&self, url: &str, plan: &WadulDeliveryPlan) -> DeliveryStats {
        let jobs = self.jobs(plan);
        let secret = self.app_secret.as_bytes();
        let mut wrong_secret = secret.to_vec();
        wrong_secret.extend_from_slice(b"-not-the-secret");
        let headers = |job: &Job<()>, attempt: Attempt| {
            let key = match attempt {
                Attempt::Good => secret,
                Attempt::BadSignature | Attempt::Stale => wrong_secret.as_slice(),
            };
            vec![
                ("User-Agent", "facebookexternalua".to_string()),
                ("X-Hub-Signature-256", wadul_signature(key, &job.body)),
            ]
        };
        let schedule = Schedule {
            duplicate_every: plan.duplicate_every,
            bad_signature_every: plan.bad_signature_every,
            stale_every: 0,
        };
        webhooks::run(jobs, url, schedule, &headers).await
    }

    /// Counts a register request and decides its answer when it is not the register.
    fn refuse(&self, headers: &HeaderMap) -> Option<Response> {
        bump(&self.stats.requests);
        {
            let mut f = lock(&self.faults);
            f.requests += 1;
            if fires(f.requests, Some(f.faults.server_error_every)) {
                bump(&self.stats.server_errors);
                return Some(maintenance("Wadul Aladin"));
            }
        }
        if let Some(expected) = &self.register_auth {
            let given = headers
                .get(header::AUTHORIZATION)
                .map(HeaderValue::as_bytes);
            if given != Some(expected.as_bytes()) {
                bump(&self.stats.unauthorized);
                return Some(
                    (
                        StatusCode::UNAUTHORIZED,
                        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                        "Unauthorized: the Authorization header is missing or wrong\n",
                    )
                        .into_response(),
                );
            }
        }
        None
    }
}

/// Which threads a plan loses: every `every`th thread that has a case, in generation
/// order.
fn lost(g: &Generated, every: u32) -> Vec<bool> {
    let mut with_case = 0u64;
    g.threads
        .iter()
        .map(|t| {
            if t.case.is_none() {
                return false;
            }
            with_case += 1;
            fires(with_case, Some(every))
        })
        .collect()
}

/// The channel's routes (to be nested under [`PATH_PREFIX`]).
pub(crate) fn router(state: Arc<WadulState>) -> Router {
    Router::new()
        .route("/register.csv", get(register_csv))
        .with_state(state)
}

async fn register_csv(State(st): State<Arc<WadulState>>, headers: HeaderMap) -> Response {
    if let Some(resp) = st.refuse(&headers) {
        return resp;
    }
    match st.register_csv() {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "Cannot write the case register.");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_thread_with_a_case_is_lost() {
        let g = generate::generate(3, 60, 0);
        let lost = lost(&g, 4);
        let with_case: Vec<bool> = g
            .threads
            .iter()
            .zip(&lost)
            .filter(|(t, _)| t.case.is_some())
            .map(|(_, l)| *l)
            .collect();
        assert!(with_case.len() > 40);
        for (k, l) in with_case.iter().enumerate() {
            assert_eq!(*l, (k + 1) % 4 == 0, "thread with a case #{}", k + 1);
        }
        assert!(g
            .threads
            .iter()
            .zip(&lost)
            .all(|(t, l)| !*l || t.case.is_some()));
    }

    #[test]
    fn lost_threads_take_only_their_own_messages_out_of_the_bodies() {
        let g = generate::generate(8, 120, 0);
        let all = payload::items(&g, &lost(&g, 0), 8);
        let lost = lost(&g, 3);
        let some = payload::items(&g, &lost, 8);
        let threads = |items: &[(i64, String, payload::Item)]| -> Vec<usize> {
            let mut v: Vec<usize> = items
                .iter()
                .flat_map(|(_, _, i)| match i {
                    payload::Item::Messages(m) => m.iter().map(|(t, _)| *t).collect(),
                    payload::Item::Receipts(t) => vec![*t],
                })
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let kept: Vec<usize> = threads(&all).into_iter().filter(|t| !lost[*t]).collect();
        assert_eq!(threads(&some), kept);
        // Bodies of threads that share none with a lost one are the same.
        let unaffected = |items: &[(i64, String, payload::Item)]| -> usize {
            items
                .iter()
                .filter(|(_, _, i)| match i {
                    payload::Item::Messages(m) => m.iter().all(|(t, _)| !lost[*t]),
                    payload::Item::Receipts(t) => !lost[*t],
                })
                .count()
        };
        assert!(unaffected(&some) + 5 >= unaffected(&all));
    }
}
