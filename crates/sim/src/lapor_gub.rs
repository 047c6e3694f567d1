//! Lapor Gub! (Central Java's complaint service): the kab/kota integration API of the
//! contract `shared/channels/lapor-gub.md`, under the path prefix `/lapor-gub`.
//!
//! `GET /api/v2/aduan?kota_id=3375&since=&limit=&cursor=` with `X-API-Key` lists the
//! reports of Kota Pekalongan by `updated` ascending, then `noTiket`; `since` (Unix seconds)
//! is inclusive on `updated` (Unix ms). The cursor is opaque to clients: base64url of a small
//! JSON holding the keyset position (the last item's `updated` and `noTiket`), the `since` it
//! continues and when it was issued; a page continues strictly after that position, so it
//! is stable when reports are updated meanwhile (or, with [`LaporGubConfig::offset_cursors`],
//! an offset into the listing, as the contract's example `{"o":50}` suggests, which a report
//! updated mid-walk shifts). A cursor lives
//! [`LaporGubConfig::cursor_ttl`]; a request carrying one takes its `since` from it. Any
//! `kota_id` other than 3375 lists nothing (the simulator holds Kota Pekalongan's feed only).
//!
//! Reports are not stored: the simulator keeps only the sort order (`updated`, index) and,
//! for reports updated while it runs, the times of their later versions (also of versions
//! dated before items already listed:
//! [`RunningSim::lapor_gub_commit_late`](crate::RunningSim::lapor_gub_commit_late), a
//! transaction that committed late). Each item is generated when served from
//! `(seed, index, versions)`. Indexes below
//! [`LaporGubConfig::reports`] are Kota Pekalongan's, the others (the known fault, always on)
//! are of other kab/kota and come interleaved in the same order.
//!
//! A request is answered, in this order of precedence: 401 without the right key; 429 past
//! the sliding-minute limit of the key (such a request takes no slot); the scheduled faults
//! of [`LaporGubFaults`] (503, then 429), counted over the requests that got past both;
//! 400 for bad parameters or a cursor that does not decode; 410 for a cursor older than
//! the TTL or scheduled to expire (counted over the requests carrying a valid cursor).

mod generate;
mod topics;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::faults::{fires, json_response};
use crate::text::mix64;

/// The path prefix of this channel on the simulator.
pub const PATH_PREFIX: &str = "/lapor-gub";

/// Settings of the Lapor Gub! simulator.
#[derive(Clone, Debug)]
pub struct LaporGubConfig {
    /// Kota Pekalongan reports (default 300).
    pub reports: usize,
    /// Reports of other kab/kota served despite `kota_id` (default 30, a tenth of the
    /// default `reports`). Reports and these together are capped at 12,000,000.
    pub other_kota_reports: usize,
    /// The API key the server accepts in `X-API-Key` (default `lapor-gub-sim-key`).
    pub api_key: String,
    /// How long a cursor lives (default 10 minutes).
    pub cursor_ttl: Duration,
    /// Requests a minute per key before 429 (default `Some(30)`, as the contract says;
    /// `None`: no limit).
    pub rate_limit_per_minute: Option<u32>,
    /// Cursors hold an offset into the listing from their `since` (`{"o":50,…}`, as the
    /// contract's example decodes) instead of the keyset position: a report updated while a
    /// client walks moves to the end, the reports after it move back by one, and a client
    /// that keeps walking on such cursors skips one (default `false`).
    pub offset_cursors: bool,
    /// Reports in order of `updated` come in runs of this many that share one `updated`
    /// (the run's last; 0 and 1: each its own), so that a page can hold a single second.
    /// A report updated while the simulator runs leaves its run.
    pub burst: usize,
    /// Faults to inject.
    pub faults: LaporGubFaults,
}

impl Default for LaporGubConfig {
    fn default() -> Self {
        Self {
            reports: 300,
            other_kota_reports: 30,
            api_key: "lapor-gub-sim-key".into(),
            cursor_ttl: Duration::from_secs(600),
            rate_limit_per_minute: Some(30),
            offset_cursors: false,
            burst: 0,
            faults: LaporGubFaults::default(),
        }
    }
}

/// Faults of the Lapor Gub! simulator besides the one always on (other kab/kota's items).
/// `None` and `Some(0)` never fire.
#[derive(Clone, Debug, Default)]
pub struct LaporGubFaults {
    /// Every Nth request is answered 429 with `Retry-After: 1`.
    pub rate_limit_every: Option<u32>,
    /// Every Nth request that carries a cursor is answered 410 `{"error":"cursor_expired"}`.
    pub cursor_expired_every: Option<u32>,
    /// Every Nth request is answered 503.
    pub server_error_every: Option<u32>,
    /// Every Nth Kota Pekalongan report (by index, stable across versions) is malformed,
    /// in turn: `created` the string `"kemarin"`, `timeline[0].tanggal` `"32/13/2021"`,
    /// `status` the string `"tiga"`; `noTiket`, `updated` and `lokasi.kotaId` stay valid.
    pub bad_records_every: Option<usize>,
    /// Every Nth Kota Pekalongan report has an unknown status code (9, `statusLabel`
    /// `"Ditinjau Ulang"`); a malformed report is only malformed.
    pub unknown_status_every: Option<usize>,
}

/// Counters of the Lapor Gub! simulator since start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaporGubStats {
    /// `GET aduan` requests, whatever their answer.
    pub requests: u64,
    /// 429 answers (past the limit, or scheduled).
    pub rate_limited: u64,
    /// 410 answers (cursors past their TTL, or scheduled).
    pub cursor_expired: u64,
    /// Scheduled 503 answers.
    pub server_errors: u64,
    /// 401 answers.
    pub unauthorized: u64,
}

/// What the simulator holds, for tests to compare with what was stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaporGubTruth {
    /// Kota Pekalongan reports served (`lokasi.kotaId` 3375), malformed ones included.
    pub in_city: usize,
    /// Of `in_city`, the malformed ones (a parser must reject them).
    pub bad: usize,
    /// Items of other kab/kota served despite `kota_id`.
    pub other_kota: usize,
    /// Of `in_city` and not malformed, those with the unknown status code 9.
    pub unknown_status: usize,
    /// Of `in_city`, neither malformed nor of unknown status, those with status 7 (Spam).
    pub spam: usize,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    rate_limited: AtomicU64,
    cursor_expired: AtomicU64,
    server_errors: AtomicU64,
    unauthorized: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// True when the report at `index` (0-based) falls on an every-Nth-report schedule.
fn every_nth(index: u32, every: Option<usize>) -> bool {
    match every {
        Some(e) if e > 0 => (index as usize + 1).is_multiple_of(e),
        _ => false,
    }
}

/// The sort order of the reports and the times of later versions.
struct Dataset {
    /// (`updated` in Unix ms, report index), sorted ascending. Tickets grow with the
    /// index, so this is also the order by `updated`, then `noTiket`.
    order: Vec<(i64, u32)>,
    /// Report index -> `updated` (ms) of versions 2, 3, ….
    extra: HashMap<u32, Vec<i64>>,
    /// Report index -> `updated` (ms) of version 1 where a run of
    /// [`LaporGubConfig::burst`] gave it its run's.
    burst: HashMap<u32, i64>,
}

/// `(updated ms, status)` of version 1 of reports `0..n`, on a few threads when many.
fn bases(seed: u64, n: u32) -> Vec<(i64, u8)> {
    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
        .clamp(1, 8) as u32;
    if n < 20_000 || threads == 1 {
        return (0..n).map(|i| generate::base(seed, i)).collect();
    }
    let chunk = n.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let lo = t * chunk;
                let hi = n.min(lo.saturating_add(chunk));
                s.spawn(move || {
                    (lo..hi)
                        .map(|i| generate::base(seed, i))
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
}

struct Schedule {
    /// Requests past the key check and the rate limit.
    requests: u64,
    /// Of those, requests carrying a cursor that decodes.
    cursor_requests: u64,
}

/// The running Lapor Gub! simulator.
pub(crate) struct LaporGubState {
    seed: u64,
    in_city: u32,
    api_key: String,
    cursor_ttl: Duration,
    rate_limit_per_minute: Option<u32>,
    offset_cursors: bool,
    faults: LaporGubFaults,
    truth: LaporGubTruth,
    data: Mutex<Dataset>,
    schedule: Mutex<Schedule>,
    windows: Mutex<HashMap<String, VecDeque<Instant>>>,
    updates: Mutex<ChaCha8Rng>,
    stats: Counters,
}

impl LaporGubState {
    /// Generates the order of the reports (a few seconds for a million).
    pub(crate) fn new(seed: u64, config: LaporGubConfig) -> Self {
        let in_city = config.reports.min(generate::MAX_REPORTS);
        let other = config
            .other_kota_reports
            .min(generate::MAX_REPORTS - in_city);
        // Both fit in u32: MAX_REPORTS is 12,000,000.
        let (in_city, other) = (in_city as u32, other as u32);
        let bases = bases(seed, in_city + other);
        let f = &config.faults;
        let mut truth = LaporGubTruth {
            in_city: in_city as usize,
            other_kota: other as usize,
            ..LaporGubTruth::default()
        };
        for (index, (_, status)) in (0..in_city).zip(&bases) {
            if every_nth(index, f.bad_records_every) {
                truth.bad += 1;
            } else if every_nth(index, f.unknown_status_every) {
                truth.unknown_status += 1;
            } else if *status == generate::SPAM_CODE {
                truth.spam += 1;
            }
        }
        let mut order: Vec<(i64, u32)> = bases
            .iter()
            .zip(0u32..)
            .map(|((updated, _), index)| (*updated, index))
            .collect();
        order.sort_unstable();
        let mut burst = HashMap::new();
        if config.burst > 1 {
            for run in order.chunks_mut(config.burst) {
                let last = run.last().map_or(0, |(t, _)| *t);
                for (t, index) in run {
                    *t = last;
                    burst.insert(*index, last);
                }
            }
            // Within a run, by ticket (the keyset's order).
            order.sort_unstable();
        }
        Self {
            seed,
            in_city,
            api_key: config.api_key,
            cursor_ttl: config.cursor_ttl,
            rate_limit_per_minute: config.rate_limit_per_minute,
            offset_cursors: config.offset_cursors,
            faults: config.faults,
            truth,
            data: Mutex::new(Dataset {
                order,
                extra: HashMap::new(),
                burst,
            }),
            schedule: Mutex::new(Schedule {
                requests: 0,
                cursor_requests: 0,
            }),
            windows: Mutex::new(HashMap::new()),
            updates: Mutex::new(ChaCha8Rng::seed_from_u64(mix64(seed ^ 0x4C47_5550))),
            stats: Counters::default(),
        }
    }

    pub(crate) fn stats(&self) -> LaporGubStats {
        let c = &self.stats;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        LaporGubStats {
            requests: g(&c.requests),
            rate_limited: g(&c.rate_limited),
            cursor_expired: g(&c.cursor_expired),
            server_errors: g(&c.server_errors),
            unauthorized: g(&c.unauthorized),
        }
    }

    pub(crate) fn truth(&self) -> LaporGubTruth {
        self.truth.clone()
    }

    /// Whether an update may move report `index` on: a Kota Pekalongan report whose status
    /// has a next step (not Tidak Layak, not Spam) and is not served with the unknown code.
    fn updatable(&self, data: &Dataset, index: u32) -> bool {
        if index >= self.in_city || every_nth(index, self.faults.unknown_status_every) {
            return false;
        }
        let versions = 1 + data.extra.get(&index).map_or(0, Vec::len);
        generate::next_status(generate::current_status(self.seed, index, versions)).is_some()
    }

    /// Moves `n` distinct Kota Pekalongan reports one status step on, each at
    /// max(now, newest `updated` + 1 ms). Returns their tickets in the order updated.
    pub(crate) fn update_reports(&self, n: usize) -> Vec<String> {
        let mut data = lock(&self.data);
        let mut rng = lock(&self.updates);
        let now = now_ms();
        let mut tickets = Vec::with_capacity(n.min(data.order.len()));
        while tickets.len() < n {
            // Reports moved by this call gather at the end; pick among the others.
            let pool = data.order.len() - tickets.len();
            if pool == 0 {
                break;
            }
            let pos = (0..64)
                .map(|_| rng.gen_range(0..pool))
                .find(|p| self.updatable(&data, data.order[*p].1))
                .or_else(|| (0..pool).find(|p| self.updatable(&data, data.order[*p].1)));
            let Some(pos) = pos else {
                break;
            };
            let newest = data.order.last().map_or(i64::MIN, |(t, _)| *t);
            let t = now.max(newest.saturating_add(1));
            let (_, index) = data.order.remove(pos);
            data.order.push((t, index));
            data.extra.entry(index).or_default().push(t);
            tickets.push(generate::ticket(self.seed, index));
        }
        tickets
    }

    /// Moves `n` distinct Kota Pekalongan reports last updated before `newest - lag_secs`
    /// (at least 1 s) one status step on at that time: the system's transaction that
    /// committed late, after items dated later were listed, so the version sorts before them.
    /// Returns their tickets in the order updated.
    pub(crate) fn commit_late(&self, n: usize, lag_secs: i64) -> Vec<String> {
        let mut data = lock(&self.data);
        let mut rng = lock(&self.updates);
        let Some(t) = data
            .order
            .last()
            .map(|(t, _)| t.saturating_sub(lag_secs.max(1).saturating_mul(1000)))
        else {
            return Vec::new();
        };
        let mut tickets = Vec::with_capacity(n);
        while tickets.len() < n {
            // Those updated before `t`; a report moved to `t` is no longer among them.
            let before = data.order.partition_point(|(at, _)| *at < t);
            if before == 0 {
                break;
            }
            let pos = (0..64)
                .map(|_| rng.gen_range(0..before))
                .find(|p| self.updatable(&data, data.order[*p].1))
                .or_else(|| (0..before).find(|p| self.updatable(&data, data.order[*p].1)));
            let Some(pos) = pos else {
                break;
            };
            let (_, index) = data.order.remove(pos);
            let at = data.order.partition_point(|entry| *entry < (t, index));
            data.order.insert(at, (t, index));
            data.extra.entry(index).or_default().push(t);
            tickets.push(generate::ticket(self.seed, index));
        }
        tickets
    }

    /// Takes a slot of the key's sliding minute, or says how many seconds until one frees.
    fn admit(&self, key: &str) -> Result<(), u64> {
        let Some(limit) = self.rate_limit_per_minute else {
            return Ok(());
        };
        const MINUTE: Duration = Duration::from_secs(60);
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let window = windows.entry(key.to_string()).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            window.pop_front();
        }
        if window.len() < limit as usize {
            window.push_back(now);
            return Ok(());
        }
        let wait = window
            .front()
            .map_or(MINUTE, |t| MINUTE.saturating_sub(now.duration_since(*t)));
        Err((wait.as_secs_f64().ceil() as u64).max(1))
    }
}

impl std::fmt::Debug for LaporGubState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaporGubState")
            .field("seed", &self.seed)
            .field("truth", &self.truth)
            .finish_non_exhaustive()
    }
}

/// The channel's routes (to be nested under [`PATH_PREFIX`]).
pub(crate) fn router(state: Arc<LaporGubState>) -> Router {
    Router::new()
        .route("/api/v2/aduan", get(aduan))
        .with_state(state)
}

fn error(status: StatusCode, code: &str) -> Response {
    json_response(status, serde_json::json!({ "error": code }).to_string())
}

fn bad_request(message: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        serde_json::json!({ "error": "bad_request", "message": message }).to_string(),
    )
}

fn too_many(retry_after: u64) -> Response {
    let mut resp = error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    resp
}

/// The keyset position a cursor holds (and, with offset cursors, the offset it goes on from).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// With [`LaporGubConfig::offset_cursors`]: the items of the listing from `s` served
    /// before this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    o: Option<usize>,
    /// `updated` of the last item served.
    u: i64,
    /// `noTiket` of the last item served.
    t: String,
    /// The `since` of the listing.
    s: Option<i64>,
    /// When it was issued, Unix ms.
    i: i64,
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..=chunk.len() {
            out.push(char::from(B64[((n >> (18 - 6 * k)) & 63) as usize]));
        }
    }
    out
}

fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B64.iter().position(|x| *x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

/// What a cursor of this simulator holds, as JSON (`None`: not one of its cursors): for
/// tests to see the position a cursor gives (`o`, with offset cursors).
pub fn cursor_json(cursor: &str) -> Option<serde_json::Value> {
    serde_json::from_slice(&b64_decode(cursor)?).ok()
}

impl Cursor {
    fn encode(&self) -> String {
        // A struct of numbers and a string always serialises.
        b64_encode(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }

    fn decode(text: &str) -> Option<(Self, u32)> {
        let c: Cursor = serde_json::from_slice(&b64_decode(text)?).ok()?;
        let digits = c.t.strip_prefix("LGWP").filter(|d| d.len() == 8)?;
        let number = digits.parse::<u32>().ok()?;
        Some((c, number))
    }
}

/// Validated list parameters.
struct ListQuery {
    kota_id: u32,
    since: Option<i64>,
    limit: usize,
    cursor: Option<String>,
}

fn parse_query(params: &HashMap<String, String>) -> Result<ListQuery, String> {
    let kota_id = match params.get("kota_id").map(|s| s.trim()) {
        None | Some("") => return Err("kota_id is required (e.g. kota_id=3375)".into()),
        Some(k) => k
            .parse::<u32>()
            .map_err(|_| format!("kota_id must be a number, got {k:?}"))?,
    };
    let since = match params.get("since").map(|s| s.trim()) {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| format!("since must be Unix seconds, got {s:?}"))?,
        ),
    };
    let limit = match params.get("limit").map(|s| s.trim()) {
        None | Some("") => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=50).contains(l))
            .ok_or_else(|| format!("limit must be 1 to 50, got {l:?}"))?,
    };
    let cursor = params
        .get("cursor")
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    Ok(ListQuery {
        kota_id,
        since,
        limit,
        cursor,
    })
}

#[derive(Serialize)]
struct Page {
    items: Vec<generate::Item>,
    next_cursor: Option<String>,
    server_time: i64,
}

enum Fault {
    None,
    ServerError,
    RateLimited,
}

async fn aduan(
    State(st): State<Arc<LaporGubState>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    bump(&st.stats.requests);
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let Some(key) = key.filter(|k| *k == st.api_key) else {
        bump(&st.stats.unauthorized);
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    };
    if let Err(wait) = st.admit(key) {
        bump(&st.stats.rate_limited);
        return too_many(wait);
    }
    let fault = {
        let mut s = lock(&st.schedule);
        s.requests += 1;
        if fires(s.requests, st.faults.server_error_every) {
            Fault::ServerError
        } else if fires(s.requests, st.faults.rate_limit_every) {
            Fault::RateLimited
        } else {
            Fault::None
        }
    };
    match fault {
        Fault::ServerError => {
            bump(&st.stats.server_errors);
            return error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");
        }
        Fault::RateLimited => {
            bump(&st.stats.rate_limited);
            return too_many(1);
        }
        Fault::None => {}
    }

    let q = match query {
        Ok(Query(params)) => match parse_query(&params) {
            Ok(q) => q,
            Err(msg) => return bad_request(&msg),
        },
        Err(e) => return bad_request(&format!("invalid query: {e}")),
    };
    let now = now_ms();
    let cursor = match &q.cursor {
        None => None,
        Some(text) => {
            let Some((c, number)) = Cursor::decode(text) else {
                return bad_request("cursor is not valid");
            };
            let scheduled = {
                let mut s = lock(&st.schedule);
                s.cursor_requests += 1;
                fires(s.cursor_requests, st.faults.cursor_expired_every)
            };
            let ttl = i64::try_from(st.cursor_ttl.as_millis()).unwrap_or(i64::MAX);
            if scheduled || now.saturating_sub(c.i) > ttl {
                bump(&st.stats.cursor_expired);
                return error(StatusCode::GONE, "cursor_expired");
            }
            Some((c, number))
        }
    };
    let since = match &cursor {
        Some((c, _)) => c.s,
        None => q.since,
    };

    let mut selected: Vec<(u32, Vec<i64>, Option<i64>)> = Vec::new();
    let mut more = false;
    // Items of the listing from `since` before this page.
    let mut offset = 0;
    if q.kota_id == generate::KOTA_ID {
        let data = lock(&st.data);
        let from_ms = since.map_or(i64::MIN, |s| s.saturating_mul(1000));
        let mut start = data.order.partition_point(|(t, _)| *t < from_ms);
        if let Some((c, number)) = &cursor {
            start = match c.o {
                Some(offset) => start.saturating_add(offset).min(data.order.len()),
                None => start.max(data.order.partition_point(|(t, index)| {
                    (*t, generate::ticket_number(st.seed, *index)) <= (c.u, *number)
                })),
            };
            offset = start - data.order.partition_point(|(t, _)| *t < from_ms);
        }
        let end = start.saturating_add(q.limit).min(data.order.len());
        more = end < data.order.len();
        selected = data.order[start..end]
            .iter()
            .map(|(_, index)| {
                let extra = data.extra.get(index).cloned().unwrap_or_default();
                let burst = data.burst.get(index).copied().filter(|_| extra.is_empty());
                (*index, extra, burst)
            })
            .collect();
    }

    let served = selected.len();
    let mut items = Vec::with_capacity(served);
    for (index, extra, burst) in selected {
        let outside = index >= st.in_city;
        let mut it = generate::item(st.seed, index, outside, &extra);
        if let Some(t) = burst {
            it.updated = t;
        }
        if !outside {
            if every_nth(index, st.faults.bad_records_every) {
                let every = st.faults.bad_records_every.unwrap_or(1) as u64;
                generate::corrupt(&mut it, (u64::from(index) + 1) / every - 1);
            } else if every_nth(index, st.faults.unknown_status_every) {
                generate::set_unknown_status(&mut it);
            }
        }
        items.push(it);
    }
    let next_cursor = match items.last() {
        Some(last) if more => Some(
            Cursor {
                o: st.offset_cursors.then_some(offset + served),
                u: last.updated,
                t: last.no_tiket.clone(),
                s: since,
                i: now,
            }
            .encode(),
        ),
        _ => None,
    };
    let page = Page {
        items,
        next_cursor,
        server_time: now.div_euclid(1000),
    };
    match serde_json::to_string(&page) {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len)
                .map(|b| b.wrapping_mul(37).wrapping_add(200))
                .collect();
            let text = b64_encode(&bytes);
            assert!(!text.contains(['+', '/', '=']), "{text}");
            assert_eq!(b64_decode(&text), Some(bytes));
        }
        assert_eq!(b64_encode(b"hello"), "aGVsbG8");
        assert_eq!(b64_decode("a"), None);
        assert_eq!(b64_decode("a*b"), None);
    }

    #[test]
    fn a_cursor_decodes_to_what_was_encoded_and_junk_does_not_decode() {
        let c = Cursor {
            o: None,
            u: 1_631_440_000_000,
            t: "LGWP14376928".into(),
            s: Some(1_631_400_000),
            i: 1_700_000_000_000,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some((c, 14_376_928)));
        assert!(Cursor::decode("eyJvIjo1MH0").is_none());
        assert!(Cursor::decode("not a cursor").is_none());
        let wrong_ticket = Cursor {
            t: "X1".into(),
            ..Cursor {
                o: Some(50),
                u: 0,
                t: String::new(),
                s: None,
                i: 0,
            }
        };
        assert!(Cursor::decode(&wrong_ticket.encode()).is_none());
    }

    #[test]
    fn truth_counts_follow_the_fault_schedules() {
        let config = LaporGubConfig {
            reports: 1000,
            other_kota_reports: 77,
            faults: LaporGubFaults {
                bad_records_every: Some(10),
                unknown_status_every: Some(4),
                ..LaporGubFaults::default()
            },
            ..LaporGubConfig::default()
        };
        let st = LaporGubState::new(3, config);
        let t = st.truth();
        assert_eq!(t.in_city, 1000);
        assert_eq!(t.other_kota, 77);
        assert_eq!(t.bad, 100);
        // Every 4th but not every 10th: 250 - 50 (the multiples of 20).
        assert_eq!(t.unknown_status, 200);
        assert!(t.spam > 0 && t.spam < 30, "{t:?}");
        assert_eq!(lock(&st.data).order.len(), 1077);
    }
}
