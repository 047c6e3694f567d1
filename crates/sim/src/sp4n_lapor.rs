//! SP4N-LAPOR! (lapor.go.id): the Pemda integration API of the contract
//! `shared/channels/sp4n-lapor.md`, under the path prefix `/sp4n-lapor`.
//!
//! - `POST /api/v1/auth/token` with `{"client_id","client_secret"}` gives a random bearer
//!   token valid for 3600 s.
//! - `GET /api/v1/laporan?instansi_id=&updated_from=&page=&per_page=` lists reports by
//!   `updated_at` ascending, then `tracking_id`; `updated_from` is inclusive.
//!
//! Reports are not stored: the simulator keeps only the sort order (`updated_at`, index)
//! and, for reports updated while it runs, the times of their later versions. Each report's
//! JSON is generated when served from `(seed, index, version)`.
//!
//! [`RunningSim::sp4n_commit_late`](crate::RunningSim::sp4n_commit_late) gives reports
//! versions dated before reports already listed (a transaction that committed late).
//!
//! Faults ([`Sp4nFaults`]) apply to data requests (`GET laporan`) only; the token endpoint
//! always answers. A data request gets at most one of: outage 500 (`fail_after_requests`),
//! a delay (`timeout_every`, then answered normally), the HTML maintenance page, a 5xx,
//! a 429, an early-revoked token (401), in that order of precedence.

mod generate;
mod topics;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::faults::{fires, json_error, json_response, maintenance, rate_limited, server_error};
use crate::text::mix64;

/// The path prefix of this channel on the simulator.
pub const PATH_PREFIX: &str = "/sp4n-lapor";

/// Lifetime of an access token, in seconds (`expires_in`).
pub const TOKEN_LIFETIME_SECS: u64 = 3600;

/// Settings of the SP4N-LAPOR! simulator.
#[derive(Clone, Debug)]
pub struct Sp4nConfig {
    /// Number of distinct reports (default 500).
    pub reports: usize,
    /// The Pemda's `instansi_id` (default `pemkot-pekalongan`); any other id lists nothing.
    pub instansi_id: String,
    /// Accepted `client_id` (default `aduan`).
    pub client_id: String,
    /// Accepted `client_secret` (default `sim-secret`).
    pub client_secret: String,
    /// Faults to inject.
    pub faults: Sp4nFaults,
}

impl Default for Sp4nConfig {
    fn default() -> Self {
        Self {
            reports: 500,
            instansi_id: "pemkot-pekalongan".into(),
            client_id: "aduan".into(),
            client_secret: "sim-secret".into(),
            faults: Sp4nFaults::default(),
        }
    }
}

/// Faults of the SP4N-LAPOR! simulator. Each `*_every: Some(n)` makes every `n`th data
/// request (`GET laporan`, counted from start or from the last
/// [`RunningSim::sp4n_set_faults`](crate::RunningSim::sp4n_set_faults)) get that fault.
#[derive(Clone, Debug)]
pub struct Sp4nFaults {
    /// `401` on a data call with a valid token, which is revoked (expired early).
    pub token_expiry_every: Option<u32>,
    /// `429` with `Retry-After: 1`.
    pub rate_limit_every: Option<u32>,
    /// `500`, `502`, `504` in turn, with a JSON body or an empty one alternately.
    pub server_error_every: Option<u32>,
    /// `503` with an HTML maintenance page (`text/html`).
    pub maintenance_every: Option<u32>,
    /// The response (a normal one) is delayed by `timeout_delay` before anything is sent.
    pub timeout_every: Option<u32>,
    /// Delay of `timeout_every` (default 5 s).
    pub timeout_delay: Duration,
    /// On every request for page 2 or later, one report of the pages before it is updated
    /// (version + 1, next step of its history, `updated_at` = newest + 1 s) and so moves to
    /// the end of the order: page boundaries shift under the client.
    pub paging_shift: bool,
    /// Every `n`th report (by index, stable across runs and versions) is served malformed,
    /// in turn: `created_at` not a time, `klasifikasi` missing, `tindak_lanjut[0].waktu`
    /// not a time, `anonim` a string.
    pub bad_records_every: Option<u32>,
    /// After this many data requests every further one answers 500 (an outage) until
    /// faults are set again.
    pub fail_after_requests: Option<u32>,
}

impl Default for Sp4nFaults {
    /// No faults; `timeout_delay` 5 s.
    fn default() -> Self {
        Self {
            token_expiry_every: None,
            rate_limit_every: None,
            server_error_every: None,
            maintenance_every: None,
            timeout_every: None,
            timeout_delay: Duration::from_secs(5),
            paging_shift: false,
            bad_records_every: None,
            fail_after_requests: None,
        }
    }
}

impl Sp4nFaults {
    /// Every fault at a moderate rate: 401 every 7th data request, 429 every 5th, 5xx
    /// every 6th, maintenance every 11th, a 3 s delay every 13th, paging shift on, every
    /// 50th report malformed; no outage.
    pub fn all() -> Self {
        Self {
            token_expiry_every: Some(7),
            rate_limit_every: Some(5),
            server_error_every: Some(6),
            maintenance_every: Some(11),
            timeout_every: Some(13),
            timeout_delay: Duration::from_secs(3),
            paging_shift: true,
            bad_records_every: Some(50),
            fail_after_requests: None,
        }
    }
}

/// Counters of the SP4N-LAPOR! simulator since start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sp4nStats {
    /// `POST auth/token` requests.
    pub token_requests: u64,
    /// `GET laporan` requests.
    pub data_requests: u64,
    /// Valid tokens revoked early (401).
    pub token_expired: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// Injected 500/502/504 answers (not counting the outage).
    pub server_error: u64,
    /// HTML maintenance pages.
    pub maintenance: u64,
    /// Delayed responses.
    pub timeout: u64,
    /// Reports moved by the paging shift.
    pub paging_shift: u64,
    /// Malformed reports served.
    pub bad_records: u64,
    /// 500 answers of the outage (`fail_after_requests`).
    pub outage: u64,
}

#[derive(Default)]
struct Counters {
    token_requests: AtomicU64,
    data_requests: AtomicU64,
    token_expired: AtomicU64,
    rate_limited: AtomicU64,
    server_error: AtomicU64,
    maintenance: AtomicU64,
    timeout: AtomicU64,
    paging_shift: AtomicU64,
    bad_records: AtomicU64,
    outage: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The sort order of the reports and the times of later versions.
struct Dataset {
    /// (`updated_at` in Unix seconds, report index), sorted ascending. Tracking ids grow
    /// with the index, so this is also the order by `updated_at`, then `tracking_id`.
    order: Vec<(i64, u32)>,
    /// Report index -> `updated_at` of versions 2, 3, ….
    extra: HashMap<u32, Vec<i64>>,
}

impl Dataset {
    fn generate(seed: u64, reports: usize) -> Self {
        let n = u32::try_from(reports).unwrap_or(u32::MAX);
        let threads = std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1)
            .clamp(1, 8) as u32;
        let mut order: Vec<(i64, u32)> = if n < 20_000 || threads == 1 {
            (0..n)
                .map(|i| (generate::base_updated(seed, i), i))
                .collect()
        } else {
            let chunk = n.div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let lo = t * chunk;
                        let hi = n.min(lo.saturating_add(chunk));
                        s.spawn(move || {
                            (lo..hi)
                                .map(|i| (generate::base_updated(seed, i), i))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                let mut all = Vec::with_capacity(n as usize);
                for h in handles {
                    match h.join() {
                        Ok(part) => all.extend(part),
                        Err(p) => std::panic::resume_unwind(p),
                    }
                }
                all
            })
        };
        order.sort_unstable();
        Self {
            order,
            extra: HashMap::new(),
        }
    }

    /// Gives the report at `pos` a new version dated one second after the newest report
    /// and moves it to the end. Returns its index.
    fn move_to_end(&mut self, pos: usize) -> Option<u32> {
        let newest = self.order.last()?.0;
        if pos >= self.order.len() {
            return None;
        }
        let (_, index) = self.order.remove(pos);
        let t = newest + 1;
        self.order.push((t, index));
        self.extra.entry(index).or_default().push(t);
        Some(index)
    }
}

struct FaultState {
    faults: Sp4nFaults,
    /// Data requests since the faults were set.
    requests: u64,
    /// Injected server errors so far (selects 500/502/504 and the body).
    server_errors: u64,
    /// Paging shifts so far (selects the report to move).
    shifts: u64,
}

enum Fault {
    None,
    Outage,
    Timeout(Duration),
    Maintenance,
    ServerError(u64),
    RateLimited,
    TokenExpiry,
}

struct Plan {
    fault: Fault,
    paging_shift: Option<u64>,
    bad_records_every: Option<u32>,
}

/// The running SP4N-LAPOR! simulator.
pub(crate) struct Sp4nState {
    seed: u64,
    instansi_id: String,
    client_id: String,
    client_secret: String,
    data: Mutex<Dataset>,
    faults: Mutex<FaultState>,
    tokens: Mutex<HashMap<String, Instant>>,
    updates: Mutex<ChaCha8Rng>,
    stats: Counters,
}

impl Sp4nState {
    /// Generates the order of `config.reports` reports (a few seconds for a million).
    pub(crate) fn new(seed: u64, config: Sp4nConfig) -> Self {
        Self {
            seed,
            data: Mutex::new(Dataset::generate(seed, config.reports)),
            instansi_id: config.instansi_id,
            client_id: config.client_id,
            client_secret: config.client_secret,
            faults: Mutex::new(FaultState {
                faults: config.faults,
                requests: 0,
                server_errors: 0,
                shifts: 0,
            }),
            tokens: Mutex::new(HashMap::new()),
            updates: Mutex::new(ChaCha8Rng::seed_from_u64(mix64(seed ^ 0x5550_4454))),
            stats: Counters::default(),
        }
    }

    pub(crate) fn set_faults(&self, faults: Sp4nFaults) {
        let mut f = lock(&self.faults);
        f.faults = faults;
        f.requests = 0;
    }

    pub(crate) fn update_reports(&self, n: usize) -> Vec<u64> {
        let mut data = lock(&self.data);
        let mut rng = lock(&self.updates);
        let len = data.order.len();
        let n = n.min(len);
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            // Moved reports gather at the end, so picking from the rest gives distinct ones.
            let pos = rng.gen_range(0..len - i);
            if let Some(index) = data.move_to_end(pos) {
                ids.push(generate::tracking_id(self.seed, index));
            }
        }
        ids
    }

    /// Gives `n` distinct reports last updated more than `lag_secs` (at least 1) before the
    /// newest `updated_at` a new version dated `lag_secs` before it: the system's transaction
    /// that committed late, after reports dated later were listed, so the version sorts before
    /// them (and before a cursor saved since). Returns their tracking ids, in the order they
    /// were updated (fewer than `n` when fewer reports qualify).
    pub(crate) fn commit_late(&self, n: usize, lag_secs: i64) -> Vec<u64> {
        let mut data = lock(&self.data);
        let mut rng = lock(&self.updates);
        let Some(t) = data
            .order
            .last()
            .map(|(t, _)| t.saturating_sub(lag_secs.max(1)))
        else {
            return Vec::new();
        };
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            // Those updated before `t`; a report moved to `t` is no longer among them.
            let before = data.order.partition_point(|(at, _)| *at < t);
            if before == 0 {
                break;
            }
            let (_, index) = data.order.remove(rng.gen_range(0..before));
            let pos = data.order.partition_point(|entry| *entry < (t, index));
            data.order.insert(pos, (t, index));
            data.extra.entry(index).or_default().push(t);
            ids.push(generate::tracking_id(self.seed, index));
        }
        ids
    }

    pub(crate) fn update_reports_together(&self, n: usize) -> Vec<u64> {
        let mut data = lock(&self.data);
        let mut rng = lock(&self.updates);
        let len = data.order.len();
        let n = n.min(len);
        let Some(t) = data.order.last().map(|(t, _)| t + 1) else {
            return Vec::new();
        };
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            // Picked from those not moved yet (the moved ones gather at the end).
            let pos = rng.gen_range(0..len - i);
            let (_, index) = data.order.remove(pos);
            data.order.push((t, index));
            data.extra.entry(index).or_default().push(t);
            ids.push(generate::tracking_id(self.seed, index));
        }
        // One time: the API's order within it.
        data.order[len - n..].sort_unstable();
        ids
    }

    pub(crate) fn report_count(&self) -> usize {
        lock(&self.data).order.len()
    }

    pub(crate) fn stats(&self) -> Sp4nStats {
        let c = &self.stats;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Sp4nStats {
            token_requests: g(&c.token_requests),
            data_requests: g(&c.data_requests),
            token_expired: g(&c.token_expired),
            rate_limited: g(&c.rate_limited),
            server_error: g(&c.server_error),
            maintenance: g(&c.maintenance),
            timeout: g(&c.timeout),
            paging_shift: g(&c.paging_shift),
            bad_records: g(&c.bad_records),
            outage: g(&c.outage),
        }
    }

    /// Counts a data request and decides its fault.
    fn plan(&self) -> Plan {
        bump(&self.stats.data_requests);
        let mut f = lock(&self.faults);
        f.requests += 1;
        let n = f.requests;
        let cfg = &f.faults;
        let bad_records_every = cfg.bad_records_every;
        let shift = cfg.paging_shift;
        let fault = if cfg
            .fail_after_requests
            .is_some_and(|limit| n > u64::from(limit))
        {
            Fault::Outage
        } else if fires(n, cfg.timeout_every) {
            Fault::Timeout(cfg.timeout_delay)
        } else if fires(n, cfg.maintenance_every) {
            Fault::Maintenance
        } else if fires(n, cfg.server_error_every) {
            let k = f.server_errors;
            f.server_errors += 1;
            Fault::ServerError(k)
        } else if fires(n, cfg.rate_limit_every) {
            Fault::RateLimited
        } else if fires(n, cfg.token_expiry_every) {
            Fault::TokenExpiry
        } else {
            Fault::None
        };
        let paging_shift = shift.then(|| {
            f.shifts += 1;
            f.shifts
        });
        Plan {
            fault,
            paging_shift,
            bad_records_every,
        }
    }

    fn issue_token(&self) -> String {
        let bytes: [u8; 24] = rand::thread_rng().gen();
        let token = hex::encode(bytes);
        let mut tokens = lock(&self.tokens);
        if tokens.len() >= 10_000 {
            let life = Duration::from_secs(TOKEN_LIFETIME_SECS);
            tokens.retain(|_, issued| issued.elapsed() < life);
        }
        tokens.insert(token.clone(), Instant::now());
        token
    }

    fn token_valid(&self, token: &str) -> bool {
        lock(&self.tokens)
            .get(token)
            .is_some_and(|issued| issued.elapsed() < Duration::from_secs(TOKEN_LIFETIME_SECS))
    }

    fn revoke(&self, token: &str) {
        lock(&self.tokens).remove(token);
    }
}

impl std::fmt::Debug for Sp4nState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sp4nState")
            .field("seed", &self.seed)
            .field("instansi_id", &self.instansi_id)
            .finish_non_exhaustive()
    }
}

/// The channel's routes (to be nested under [`PATH_PREFIX`]).
pub(crate) fn router(state: Arc<Sp4nState>) -> Router {
    Router::new()
        .route("/api/v1/auth/token", post(token))
        .route("/api/v1/laporan", get(laporan))
        .with_state(state)
}

#[derive(Deserialize)]
struct TokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

async fn token(State(st): State<Arc<Sp4nState>>, body: Bytes) -> Response {
    bump(&st.stats.token_requests);
    let Ok(req) = serde_json::from_slice::<TokenRequest>(&body) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "Body harus berupa JSON berisi client_id dan client_secret",
        );
    };
    let (Some(id), Some(secret)) = (req.client_id, req.client_secret) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "client_id dan client_secret wajib diisi",
        );
    };
    if id != st.client_id || secret != st.client_secret {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "client_id atau client_secret salah",
        );
    }
    let token = st.issue_token();
    let body = TokenResponse {
        access_token: &token,
        token_type: "Bearer",
        expires_in: TOKEN_LIFETIME_SECS,
    };
    match serde_json::to_string(&body) {
        Ok(b) => json_response(StatusCode::OK, b),
        Err(_) => json_error(StatusCode::INTERNAL_SERVER_ERROR, "Gagal membuat token"),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Validated list parameters.
struct ListQuery {
    instansi_id: String,
    updated_from: Option<i64>,
    page: u64,
    per_page: u64,
}

fn parse_query(params: &HashMap<String, String>) -> Result<ListQuery, String> {
    let instansi_id = params
        .get("instansi_id")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or("Parameter instansi_id wajib diisi")?;
    let page = match params.get("page") {
        None => 1,
        Some(p) => p
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| format!("Parameter page tidak valid: {p:?} (bilangan bulat >= 1)"))?,
    };
    let per_page = match params.get("per_page") {
        None => 20,
        Some(p) => p
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=100).contains(p))
            .ok_or_else(|| format!("Parameter per_page tidak valid: {p:?} (1 sampai 100)"))?,
    };
    let updated_from = match params.get("updated_from").map(|s| s.as_str()) {
        None | Some("") => None,
        Some(s) => {
            let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| {
                format!(
                    "Parameter updated_from tidak valid: {s:?} (ISO 8601 dengan zona waktu, mis. 2021-09-10T19:02:11+07:00)"
                )
            })?;
            // Inclusive: a fractional second rounds up to the next whole second.
            Some(t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0))
        }
    };
    Ok(ListQuery {
        instansi_id,
        updated_from,
        page,
        per_page,
    })
}

#[derive(Serialize)]
struct Meta {
    page: u64,
    per_page: u64,
    total: u64,
    total_pages: u64,
}

#[derive(Serialize)]
struct ListResponse {
    status: &'static str,
    data: Vec<generate::Report>,
    meta: Meta,
}

async fn laporan(
    State(st): State<Arc<Sp4nState>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let plan = st.plan();
    match plan.fault {
        Fault::Outage => {
            bump(&st.stats.outage);
            return json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
        Fault::Timeout(delay) => {
            bump(&st.stats.timeout);
            tokio::time::sleep(delay).await;
        }
        Fault::Maintenance => {
            bump(&st.stats.maintenance);
            return maintenance("SP4N-LAPOR!");
        }
        Fault::ServerError(k) => {
            bump(&st.stats.server_error);
            return server_error(k);
        }
        Fault::RateLimited => {
            bump(&st.stats.rate_limited);
            return rate_limited();
        }
        Fault::None | Fault::TokenExpiry => {}
    }

    let Some(token) = bearer(&headers) else {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "Header Authorization: Bearer <token> wajib disertakan",
        );
    };
    if !st.token_valid(token) {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "Token tidak valid atau sudah kedaluwarsa",
        );
    }
    if matches!(plan.fault, Fault::TokenExpiry) {
        st.revoke(token);
        bump(&st.stats.token_expired);
        return json_error(StatusCode::UNAUTHORIZED, "Token sudah kedaluwarsa");
    }

    let q = match query {
        Ok(Query(params)) => match parse_query(&params) {
            Ok(q) => q,
            Err(msg) => return json_error(StatusCode::BAD_REQUEST, &msg),
        },
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!("Parameter tidak valid: {e}"),
            )
        }
    };

    let per_page = q.per_page;
    let (total, items) = if q.instansi_id == st.instansi_id {
        let mut data = lock(&st.data);
        let from = q.updated_from.unwrap_or(i64::MIN);
        let lo = data.order.partition_point(|(t, _)| *t < from);
        let skip = (q.page - 1).saturating_mul(per_page);
        if let Some(seq) = plan.paging_shift {
            // A report the client has already read is updated while it pages: one from the
            // earlier pages of this `updated_from`, or (a client that moved its
            // `updated_from` forward instead of paging) one from before it.
            let available = data.order.len() - lo;
            let before = usize::try_from(skip).unwrap_or(usize::MAX).min(available);
            let (base, n) = if q.page >= 2 && before > 0 {
                (lo, before)
            } else if q.updated_from.is_some() {
                (0, lo)
            } else {
                (0, 0)
            };
            if n > 0 {
                let pos = base + (mix64(st.seed ^ seq) % n as u64) as usize;
                if data.move_to_end(pos).is_some() {
                    bump(&st.stats.paging_shift);
                }
            }
        }
        let len = data.order.len();
        let start = lo
            .saturating_add(usize::try_from(skip).unwrap_or(usize::MAX))
            .min(len);
        let end = start.saturating_add(per_page as usize).min(len);
        let items: Vec<(u32, Vec<i64>)> = data.order[start..end]
            .iter()
            .map(|(_, index)| (*index, data.extra.get(index).cloned().unwrap_or_default()))
            .collect();
        ((len - lo) as u64, items)
    } else {
        (0, Vec::new())
    };

    let mut reports = Vec::with_capacity(items.len());
    for (index, extra) in items {
        let mut r = generate::report(st.seed, index, &extra);
        if let Some(every) = plan.bad_records_every.filter(|e| *e > 0) {
            let nth = u64::from(index) + 1;
            if nth % u64::from(every) == 0 {
                generate::corrupt(&mut r, nth / u64::from(every) - 1);
                bump(&st.stats.bad_records);
            }
        }
        reports.push(r);
    }
    let body = ListResponse {
        status: "success",
        data: reports,
        meta: Meta {
            page: q.page,
            per_page,
            total,
            total_pages: total.div_ceil(per_page),
        },
    };
    match serde_json::to_string(&body) {
        Ok(b) => json_response(StatusCode::OK, b),
        Err(_) => json_error(StatusCode::INTERNAL_SERVER_ERROR, "Gagal menyusun respons"),
    }
}
