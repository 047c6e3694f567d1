//! The Lapor Gub! connector (`lapor_gub`): the province's kab/kota integration API.
//!
//! `X-API-Key` auth (the key from the environment), `since` (unix seconds, inclusive on
//! `updated`), the opaque `next_cursor` (followed only where a page holds a single second,
//! and such a walk's pages read again, last to first, before the saved time moves past it:
//! otherwise the next page is asked from the newest `updated` read, because a cursor that is
//! an offset, as the contract's example `{"o":50}` decodes, skips a report when another is
//! updated mid-walk; see `Pager`), the cursor's expiry (`410 Gone`: the walk starts again
//! from the newest `updated` stored; a second of the look-back that cursors expiring keep a
//! walk from getting through is left, the look-back going on after it), the strict rate limit (requests paced to it,
//! `429 Retry-After` waited out by the shared transport), retries on 5xx and timeouts. Items of
//! other kab/kota that come through despite `kota_id` are counted in the run report and not
//! stored. `parse` turns one item into a [`SourceComplaint`] with its timeline as events.
//!
//! The saved cursor is the newest `updated` stored, to the second (as UTC ISO 8601, so that
//! `aduan status` reads as a time): `since` is inclusive, so the next run reads that second's
//! items again and recognises them by their unchanged payload; nothing updated in the same
//! second is missed. It is before the server's second when the run began (`server_time`),
//! whose items of other kab/kota the next run counts once that second is over (one dated
//! after the server's time once its time has passed, one without a time that reads by the
//! time of the next item listed after it, when the item before it is not before the saved
//! time: before it, a run before counted it or held its saved time there; a page asked from
//! before the saved time cannot tell, and a walk from the saved time does). Each run reads again the `lookback_secs` before it, so that a version the
//! system commits late (dated before items already listed) is found too, after reading on
//! from it (a run stopped inside them has saved its progress); the saved time never moves
//! back. Its first page asks from the window's start, and when that page reaches the saved
//! time (or is the last) it serves for both: a run with nothing new makes one request.
//!
//! ```
//! let cfg: aduan_lapor_gub::Config = serde_json::from_str(
//!     r#"{"base_url":"http://127.0.0.1:8700/lapor-gub"}"#,
//! ).unwrap();
//! assert_eq!((cfg.kota_id, cfg.limit, cfg.requests_per_minute), (3375, 50, 30));
//! assert_eq!(cfg.lookback_secs, 600);
//! ```
#![deny(missing_docs)]

mod parse;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use aduan_core::{
    Batch, BatchSource, Error, FaultCounts, FieldError, PullConnector, RawRecord, Result, Secret,
    SourceComplaint,
};
use aduan_transport::HttpClient;
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The channel id.
pub const CHANNEL: &str = "lapor_gub";

/// Kota Pekalongan's code in the province's API.
pub const KOTA_PEKALONGAN: i64 = 3375;

/// `created` and `updated` below this are unix seconds sent for the contract's milliseconds
/// (10¹¹ ms is March 1973; every time in seconds to 2099 is below it): refused, not read as
/// January 1970.
pub(crate) const SECONDS_NOT_MILLIS: i64 = 100_000_000_000;

/// Settings of the `[channels.lapor_gub]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Base URL of the integration API (the `{base}` of the contract).
    pub base_url: String,
    /// Name of the environment variable holding the API key (never the key itself).
    #[serde(default = "default_api_key_env")]
    pub api_key_env: String,
    /// The kab/kota asked for (and the only one kept).
    #[serde(default = "default_kota_id")]
    pub kota_id: i64,
    /// Items per page, 1 to 50.
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Requests a minute this key may make (the API's limit is 30): requests are spaced to
    /// stay under it, their retries too; 0 does not space them (a `429` is still waited out).
    #[serde(default = "default_requests_per_minute")]
    pub requests_per_minute: u32,
    /// Time limit of one request, in seconds.
    #[serde(default = "aduan_transport::defaults::timeout_secs")]
    pub timeout_secs: u64,
    /// Attempts per request before the run stops (it resumes from its cursor next run). A
    /// `429` uses none: it is waited out as `Retry-After` asks, up to 15 minutes a request.
    #[serde(default = "aduan_transport::defaults::max_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry, in milliseconds; doubled on each retry.
    #[serde(default = "aduan_transport::defaults::retry_base_ms")]
    pub retry_base_ms: u64,
    /// `since` of the very first run (ISO 8601 with offset); default: everything.
    #[serde(default)]
    pub start_from: Option<String>,
    /// How far before its saved time a run reads again, in seconds (default 600, at most
    /// 86 400; 0 begins at the saved time only). A version the system commits late is dated
    /// before items already listed, so before the time saved since: a run begun at the saved
    /// time never reads it, and with no webhook it is lost for good. The items read again are
    /// recognised by their bytes (unchanged), those of other kab/kota are not counted again,
    /// and the saved time never moves back. Read after the walk on from the saved time
    /// (unless the run's first page, asked from the window's start, reaches it), so that a
    /// run stopped inside it has saved its progress.
    #[serde(default = "aduan_core::lookback::default_secs")]
    pub lookback_secs: u64,
}

fn default_api_key_env() -> String {
    "ADUAN_LAPOR_GUB_API_KEY".into()
}
fn default_kota_id() -> i64 {
    KOTA_PEKALONGAN
}
fn default_limit() -> u32 {
    50
}
fn default_requests_per_minute() -> u32 {
    30
}
/// `lookback_secs` unless set: 10 minutes (see [`aduan_core::lookback`]).
pub const DEFAULT_LOOKBACK_SECS: u64 = aduan_core::lookback::DEFAULT_SECS;

/// The Lapor Gub! connector.
#[derive(Debug, Clone)]
pub struct LaporGub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    key: Secret,
    http: HttpClient,
    /// `since` of the very first run (`start_from`), in unix seconds.
    start_since: Option<i64>,
}

impl LaporGub {
    /// A connector with its API key given (the configuration path reads it from the
    /// environment instead).
    pub fn with_key(config: Config, key: Secret) -> Result<Self> {
        <Self as PullConnector>::check_settings(&config)?;
        let start_since = aduan_core::time::start_from(CHANNEL, config.start_from.as_deref())?
            .map(|t| t.timestamp());
        // Every attempt is spaced to stay under the limit, a retry too (review, session 47:
        // the pages were spaced, and the retries of one cut short went at the backoff's pace).
        let gap = match config.requests_per_minute {
            0 => Duration::ZERO,
            n => Duration::from_secs(60) / n,
        };
        let http = HttpClient::from_settings(
            CHANNEL,
            config.timeout_secs,
            config.max_attempts,
            config.retry_base_ms,
        )?
        .spaced(gap);
        // A server may echo the key it refuses: the errors quoting its answers do not.
        http.hide("API key", &key);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                key,
                http,
                start_since,
            }),
        })
    }

    /// Its settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The pages of a run from the saved `cursor` (see [`PullConnector::open`]).
    fn pager(&self, cursor: Option<String>) -> Result<Pager> {
        // The client serves run after run: this run's faults are those from here on.
        let faults_base = self.inner.http.faults();
        let saved = match cursor {
            Some(c) => {
                let secs = cursor_secs(&c).ok_or_else(|| Error::Config {
                    channel: CHANNEL.into(),
                    message: format!(
                        "the saved cursor {c:?} is not a time; set it \
                         (`aduan cursor set lapor_gub <time>`)"
                    ),
                })?;
                aduan_core::time::saved_cursor(CHANNEL, &c, DateTime::from_timestamp(secs, 0))?;
                Some(secs)
            }
            None => None,
        };
        // The window before the saved time is read again (hunt, session 46: a version
        // committed late, dated before it, was never read), from `since` here.
        // Not before 1970: `since` is unix seconds, and a saved time an operator set near
        // it would ask one below zero; nor before `start_from` when the saved time is after
        // it: the items before it are not to be read (review, session 46).
        let back = i64::try_from(self.inner.config.lookback_secs).unwrap_or(0);
        let since = match saved {
            Some(secs) => {
                let floor = self
                    .inner
                    .start_since
                    .filter(|start| *start <= secs)
                    .unwrap_or(0)
                    .min(secs);
                Some(secs.saturating_sub(back).max(floor))
            }
            None => self.inner.start_since,
        };
        // Read after the walk on from the saved time (review, session 47: read first, a
        // window holding more items than a run could read kept every run from reading on
        // past the saved time). The run's first page asks from the window's start: when it
        // reaches the saved time, or holds all there is, it is the walk on from it too (a run
        // with nothing new makes one request); otherwise the walk goes on from the saved time,
        // and the window is read after it.
        let window = saved
            .filter(|saved| since.is_some_and(|since| since < *saved))
            .map(|until| Window {
                until,
                probing: true,
                rest: None,
            });
        Ok(Pager {
            faults_base,
            connector: self.clone(),
            began: saved,
            open: None,
            saved,
            since,
            walk_since: since,
            walk_top: since,
            walk_end: false,
            next: None,
            followed: Vec::new(),
            back: None,
            read: HashSet::new(),
            judged: HashMap::new(),
            undated: Vec::new(),
            held: None,
            expired: 0,
            clock_said: false,
            unsure: false,
            done: false,
            window,
        })
    }

    /// Waits until the next request keeps this key under its limit.
    #[cfg(test)]
    async fn pace(&self) {
        self.inner.http.pace().await;
    }

    /// GET one page: from `since` (unix seconds), on from an opaque `cursor` when given (with
    /// the `since` its walk began from, as the contract's query has both).
    async fn page(&self, since: Option<i64>, cursor: Option<&str>) -> Result<Answer> {
        let url = format!(
            "{}/api/v2/aduan",
            self.inner.config.base_url.trim_end_matches('/')
        );
        let mut query: Vec<(&str, String)> = vec![
            ("kota_id", self.inner.config.kota_id.to_string()),
            ("limit", self.inner.config.limit.to_string()),
        ];
        if let Some(s) = since {
            query.push(("since", s.to_string()));
        }
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        let what = match since {
            Some(s) => format!("GET aduan since {s}"),
            None => "GET aduan".to_string(),
        };
        let resp = self
            .inner
            .http
            .send_json(&what, |c| {
                aduan_transport::secret_header(
                    c.get(&url).query(&query),
                    "x-api-key",
                    &self.inner.key,
                )
            })
            .await?;
        if resp.status == 410 && cursor.is_some() {
            return Ok(Answer::CursorExpired);
        }
        if !resp.is_success() {
            return Err(resp.unexpected(CHANNEL, &what));
        }
        let page = match serde_json::from_slice::<Wire>(&resp.body) {
            Ok(wire) => Page {
                items: wire
                    .items
                    .into_iter()
                    .map(|item| item.get().as_bytes().to_vec())
                    .collect(),
                next_cursor: wire.next_cursor,
                server_time: wire.server_time,
            },
            // A page one of whose items is not JSON (a byte that is not UTF-8, a raw line
            // break in a text): split without reading the items, that one quarantined by its
            // parser and the rest read (review: the page failed, run after run).
            Err(e) => match aduan_core::json::lenient_page(&resp.body, "items") {
                Some(mut page)
                    if page
                        .members
                        .get("next_cursor")
                        .is_none_or(|c| c.is_string() || c.is_null()) =>
                {
                    tracing::warn!(channel = CHANNEL, request = %what, error = %e, "A page that is not JSON as a whole: its items are read one by one.");
                    self.inner.http.count("page_not_json");
                    Page {
                        items: page.items.into_iter().map(<[u8]>::to_vec).collect(),
                        next_cursor: page
                            .members
                            .remove("next_cursor")
                            .and_then(|c| c.as_str().map(str::to_string)),
                        server_time: page.members.remove("server_time"),
                    }
                }
                _ => return Err(resp.unexpected_json(CHANNEL, &what, &e)),
            },
        };
        Ok(Answer::Page(page, resp.url))
    }
}

enum Answer {
    Page(Page, String),
    /// `410 Gone`: the cursor outlived its ten minutes.
    CursorExpired,
}

/// A page as the API sends it.
#[derive(Deserialize)]
struct Wire {
    items: Vec<Box<RawValue>>,
    next_cursor: Option<String>,
    /// The server's clock (unix seconds), read leniently.
    #[serde(default)]
    server_time: Option<serde_json::Value>,
}

/// A page: its items, each as received.
struct Page {
    items: Vec<Vec<u8>>,
    next_cursor: Option<String>,
    server_time: Option<serde_json::Value>,
}

/// The fields paging needs, read leniently: a malformed item is still archived (and
/// quarantined by `parse`), never a reason to stop.
#[derive(Deserialize)]
struct Key {
    #[serde(rename = "noTiket")]
    no_tiket: Option<serde_json::Value>,
    updated: Option<serde_json::Value>,
    lokasi: Option<KeyPlace>,
}

#[derive(Deserialize)]
struct KeyPlace {
    #[serde(rename = "kotaId")]
    kota_id: Option<serde_json::Value>,
}

#[async_trait]
impl PullConnector for LaporGub {
    const CHANNEL: &'static str = CHANNEL;
    type Config = Config;

    fn from_config(config: Config) -> Result<Self> {
        let key = Secret::required(&config.api_key_env, CHANNEL, "API key")?;
        Self::with_key(config, key)
    }

    fn check_settings(config: &Config) -> Result<()> {
        aduan_core::check_within(CHANNEL, "limit", config.limit, 1..=50)?;
        aduan_core::lookback::check(CHANNEL, config.lookback_secs)?;
        aduan_core::time::start_from(CHANNEL, config.start_from.as_deref())?;
        aduan_transport::check_url(CHANNEL, "base_url", &config.base_url)?;
        aduan_transport::check_settings(
            CHANNEL,
            config.timeout_secs,
            config.max_attempts,
            config.retry_base_ms,
        )
    }

    async fn open(&self, cursor: Option<String>) -> Result<Box<dyn BatchSource>> {
        Ok(Box::new(self.pager(cursor)?))
    }

    fn parse(raw: &RawRecord) -> Result<Vec<SourceComplaint>, FieldError> {
        parse::item(raw).map(|r| vec![r])
    }

    /// The newest `updated` read: an ISO 8601 time or unix seconds, saved as the connector
    /// saves it (UTC ISO 8601, to the second).
    fn check_cursor(cursor: &str) -> Result<String> {
        let secs = cursor_secs(cursor);
        aduan_core::time::set_cursor(
            CHANNEL,
            cursor,
            secs.and_then(|s| DateTime::from_timestamp(s, 0)),
            "an ISO 8601 time with offset or unix seconds",
        )?;
        Ok(secs
            .and_then(cursor_text)
            .unwrap_or_else(|| cursor.to_string()))
    }
}

/// The saved cursor for `since` (unix seconds).
fn cursor_text(secs: i64) -> Option<String> {
    DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// `since` of a saved cursor: an ISO 8601 time, or unix seconds.
fn cursor_secs(cursor: &str) -> Option<i64> {
    let c = cursor.trim();
    aduan_core::time::read_rfc3339(c)
        .map(|t| t.timestamp())
        .or_else(|| c.parse().ok())
}

/// The server's clock of a page (`server_time`), in unix seconds: an integer, or as a number
/// with a fraction or a text of digits (read as `kotaId` is), its second; `None` when it is
/// none of these or no time in the years a source's times lie in (milliseconds, read as
/// seconds, are thousands of years on).
fn server_secs(v: &serde_json::Value) -> Option<i64> {
    let secs = match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(whole_secs)),
        serde_json::Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(whole_secs))
        }
        _ => None,
    }?;
    DateTime::from_timestamp(secs, 0)
        .and_then(aduan_core::time::in_range)
        .map(|t| t.timestamp())
}

/// The second a time in seconds with a fraction lies in; `None` for no number (`NaN`, `inf`).
fn whole_secs(secs: f64) -> Option<i64> {
    // The years a source's times lie in are far inside `i64` and exact in `f64`.
    (secs.is_finite() && secs.abs() < 1e15).then(|| secs.floor() as i64)
}

/// Expired cursors in a row with no progress (no report handed out that this run had not
/// read) before a run gives up: each restart asks from the saved time, so a walk whose
/// cursors always expire within one second of more than a page would go round for ever.
const MAX_EXPIRED: u32 = 5;

/// The pages of a run, asked by time.
///
/// A walk asks from `since` alone and is over with its first page when that page reaches a
/// later second: the next walk asks from the newest second read (its reports come again and
/// are not handed out twice). Only a page within the walk's one second goes on from its
/// cursor, and such a walk, once over, reads its pages again last to first (with the cursors
/// it was given; its first by `since` alone) before the saved time moves past its second: if
/// the cursor is an offset, a report updated meanwhile moved to the end and the unread ones
/// back, onto pages already read; one that moves while they are read again moves the rest
/// towards pages still to be read (as SP4N-LAPOR!'s page numbers are read again).
struct Pager {
    /// The client's faults when the run began.
    faults_base: FaultCounts,
    connector: LaporGub,
    /// The time saved when the run began, in unix seconds: the saved cursor never moves
    /// before it.
    began: Option<i64>,
    /// The server's current second when the run's first page was answered (its
    /// `server_time`, else this clock's): items may still be updated in it after they are
    /// read. An item of other kab/kota updated in it or later is not counted by this run,
    /// and the time saved stays before it, so that the next run counts each of that second
    /// once, those that came after this run read it too (lead, session 48: they were never
    /// counted, the next run counting none of the second saved).
    open: Option<i64>,
    /// The time saved when the run began, in unix seconds, and once the walk on from it is
    /// over, the time it read up to: the saved cursor never moves before it, and an item of
    /// other kab/kota dated then or before, read again by the look-back, is not counted again.
    saved: Option<i64>,
    /// The time the walks go on from, in unix seconds: the newest `updated` handed out
    /// before which every report has been read this walk (at first `lookback_secs` before
    /// the saved time; in the look-back, read after the walk on from the saved time, a time
    /// before it). An expired cursor starts again from it.
    since: Option<i64>,
    /// The `since` the current walk began from.
    walk_since: Option<i64>,
    /// The newest second the current walk read.
    walk_top: Option<i64>,
    /// The current walk found the last page.
    walk_end: bool,
    /// The page to ask next within the current walk (`None`: a new walk, by `since` alone).
    next: Option<String>,
    /// The cursors the current walk followed, in order.
    followed: Vec<String>,
    /// Reading the current walk's pages again, last to first: the cursors of those left
    /// after the next (the next is the last; once they are used up, the first page).
    back: Option<Vec<String>>,
    /// `noTiket` and `updated` (ms) of the reports handed out (or counted as other kab/kota's)
    /// at `since` or later: a walk over them again does not hand them out twice.
    read: HashSet<(String, i64)>,
    /// The items of other kab/kota this run judged (counted, or left to a later run), by
    /// their bytes, with the second they were judged by: read again within the walk, they
    /// are not judged again. Those of a second before the walks' `since` are let go when a
    /// walk is over (as [`read`](Self::read) is), so that a run reading years holds no more
    /// than a walk's: a walk lists none of them again, and the look-back, which does, counts
    /// nothing at or before the time read up to.
    judged: HashMap<u64, i64>,
    /// The items of other kab/kota without a time (no `updated` that reads) read since the
    /// last item with one, by their bytes, each with the second it was updated at the
    /// earliest (the newest `updated` listed before it on its page, else the walk's `since`:
    /// the server lists by `updated`). Each is judged by the time of the next item with one,
    /// which the server lists after it, on its page or on the next the walk follows from its
    /// cursor. Unjudged at the run's end, it is read again by the next run (the saved time is
    /// before it: no item after it was read).
    undated: Vec<(u64, Option<i64>)>,
    /// The saved time is held here: the earliest second an item of other kab/kota without a
    /// time left to the next run (the item after it in the server's current second, not
    /// dated past its clock) was updated at, so that the next run reads it on from its saved
    /// time, where it is counted, not in the look-back alone, where it is not (see
    /// [`counts_undated`](Self::counts_undated)).
    held: Option<i64>,
    /// Cursors that expired since a page last handed out a report not read before.
    expired: u32,
    /// That a page's `server_time` did not read was said this run (it is said once).
    clock_said: bool,
    /// The run's first page, asked from the look-back's start, lists an item of other
    /// kab/kota without a time after an item dated before the time saved when the run began
    /// and before one dated after it: listed so, it may have been updated before that time
    /// (a run before judged it) or after (no run did), which a walk from that time tells, by
    /// listing it or not. That page then does not serve for the walk on from the saved time
    /// (review of session 50: such an item, updated after the run before read past the item
    /// before it, was never counted).
    unsure: bool,
    done: bool,
    /// The look-back before the saved time, while it is to be read.
    window: Option<Window>,
}

/// An item's `updated` as sent (unix milliseconds, when a whole number), and as a time when
/// it reads as one in the years a source's times lie in.
fn updated_of(key: Option<&Key>) -> (Option<i64>, Option<DateTime<Utc>>) {
    let updated_ms = key
        .and_then(|k| k.updated.as_ref())
        .and_then(serde_json::Value::as_i64);
    let dated = updated_ms
        .filter(|ms| *ms >= SECONDS_NOT_MILLIS)
        .and_then(DateTime::from_timestamp_millis)
        .and_then(aduan_core::time::in_range);
    (updated_ms, dated)
}

/// An item as [`Pager::judged`] and [`Pager::undated`] know it: by its bytes.
fn item_key(item: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    item.hash(&mut h);
    h.finish()
}

/// The `lookback_secs` before the saved time, read again after the walk on from it: a run
/// that stops inside them has saved its progress (review, session 47: read first, a window
/// holding more items than a run could read, such as a burst of updates, kept every run from
/// reading on past the saved time).
struct Window {
    /// The time saved when the run began, where the look-back ends: the walk read on from
    /// there.
    until: i64,
    /// The run's first page, asked from the window's start, is still to be read.
    probing: bool,
    /// The `since` the look-back goes on from once the walk on from the saved time is over.
    rest: Option<Option<i64>>,
}

impl Pager {
    /// Whether an item of other kab/kota updated at `t` (unix seconds) is counted by this
    /// run, whose first page the server answered in its second `open`: not when it was read
    /// by a run before (at or before the saved time), nor yet in the server's current second
    /// or later (a later run counts it, the saved time staying before it).
    fn counts_other(&self, t: i64, open: i64) -> bool {
        t < open && self.saved.is_none_or(|saved| t > saved)
    }

    /// [`counts_other`](Self::counts_other) of an item without a time judged by the next
    /// item's `t`, and updated at `after` or later: only when `after` is not before the time
    /// saved when the run began, so read on from it. Read before it, in the look-back, a run
    /// before counted it when the item after it was before that run's server's second (its
    /// saved time then past that item's), and left it otherwise, holding its saved time
    /// ([`held`](Self::held)) where this run reads it on from. Judged by `t` alone, it was
    /// counted again when the item after it was updated after the run that counted it
    /// (review of session 50: that item's new time was after the saved one). Counted twice
    /// only when the item before it, it and the item after it were updated in the one second
    /// saved, and the item after it moved on.
    fn counts_undated(&self, t: i64, after: Option<i64>, open: i64) -> bool {
        self.counts_other(t, open)
            && self
                .began
                .is_none_or(|began| after.is_some_and(|after| after >= began))
    }

    /// Judges an item of other kab/kota without a time (by its bytes, `key`), updated at
    /// `after` or later, by the time `t` of the next item with one (`ahead` of the server's
    /// clock: a mistake).
    fn judge_undated(&mut self, key: u64, after: Option<i64>, t: i64, ahead: bool, open: i64) {
        let probing = self.window.as_ref().is_some_and(|w| w.probing);
        if self
            .began
            .is_some_and(|b| probing && t > b && after < Some(b))
        {
            // Not judged here: the walk from the saved time lists it when it was updated
            // then or later (see `unsure`).
            self.unsure = true;
            return;
        }
        if self.judged.insert(key, t).is_some() {
            return;
        }
        if self.counts_undated(t, after, open) {
            self.connector.inner.http.count("other_kota");
        } else if t >= open && !ahead {
            // Left to the next run, which reads it on from its saved time. Not by a time
            // after the server's clock, which may be years on (review of session 50: the
            // saved time was held, every run reading again all that came since).
            if let Some(after) = after.filter(|a| self.began.is_none_or(|b| *a >= b)) {
                self.held = Some(self.held.map_or(after, |h| h.min(after)));
            }
        }
    }

    /// A walk is over: the saved time moves to the newest second it read.
    fn settle(&mut self) {
        self.since = self.since.max(self.walk_top);
        // Kept when the walk from the saved time reads the run's first page again (see
        // `unsure`): what it read is not handed out or counted twice.
        if let Some(since) = self.since.filter(|_| !self.unsure) {
            self.read.retain(|(_, ms)| ms.div_euclid(1000) >= since);
            self.judged.retain(|_, t| *t >= since);
        }
        self.next = None;
        self.followed.clear();
        self.back = None;
        // The look-back is over at the time saved when the run began: the walk read on from
        // there.
        let past = self.window.as_ref().is_some_and(|w| {
            !w.probing && w.rest.is_none() && self.since.is_some_and(|since| since >= w.until)
        });
        self.done = self.walk_end || past;
    }

    /// Whether the walk reads the look-back after the walk on from the saved time, and is
    /// still before the time it ends at.
    fn looking_back(&self) -> bool {
        self.window.as_ref().is_some_and(|w| {
            !w.probing && w.rest.is_none() && self.since.is_some_and(|since| since < w.until)
        })
    }

    /// After the run's first page, asked from the look-back's start: on as from any time when
    /// it reached the saved time (or the end), else on from the saved time first, the rest
    /// of the window kept for after.
    fn probed(&mut self) {
        let Some(w) = self.window.as_mut().filter(|w| w.probing) else {
            return;
        };
        w.probing = false;
        let until = w.until;
        if self.done || self.walk_top.is_some_and(|t| t >= until) {
            self.window = None;
            if std::mem::take(&mut self.unsure) {
                // The look-back is read; the walk on from the saved time tells what the
                // page could not.
                self.since = Some(until);
                self.next = None;
                self.followed.clear();
                self.back = None;
                self.done = false;
            }
            return;
        }
        self.unsure = false;
        // A walk within the window's first second begins again from it then.
        w.rest = Some(self.since);
        self.since = Some(w.until);
        self.next = None;
        self.followed.clear();
        self.back = None;
    }

    /// The walk on from the saved time is over: to the rest of the look-back, when there is
    /// one to read (whether there is).
    fn look_back(&mut self) -> bool {
        let Some(rest) = self.window.as_mut().and_then(|w| w.rest.take()) else {
            return false;
        };
        // The time read up to is saved: the look-back's walks do not move it back, and an
        // item of other kab/kota dated then or before, counted by the walk, is not counted
        // again.
        self.saved = self.saved.max(self.since);
        self.since = rest;
        self.next = None;
        self.followed.clear();
        self.back = None;
        self.done = false;
        true
    }
}

#[async_trait]
impl BatchSource for Pager {
    async fn next_batch(&mut self) -> Result<Option<Batch>> {
        if self.done && !self.look_back() {
            return Ok(None);
        }
        let (page, url, again, followed_on) = loop {
            let again = self.back.is_some();
            let cursor = match &self.back {
                Some(cursors) => cursors.last().cloned(),
                None => {
                    if self.next.is_none() {
                        self.walk_since = self.since;
                        self.walk_top = self.since;
                        self.walk_end = false;
                        self.followed.clear();
                    }
                    self.next.clone()
                }
            };
            match self
                .connector
                .page(self.walk_since, cursor.as_deref())
                .await?
            {
                Answer::Page(page, url) => break (page, url, again, cursor.is_some()),
                // In the look-back, before the saved time: its second is given up and the
                // look-back goes on after it (review, session 47: a server whose cursors expire
                // before a busy second's walk gets through it failed every run while that
                // second was in the window). Its items were read by the runs before; only a
                // version committed late among them past the pages read is not found, and the
                // run's report counts the second.
                Answer::CursorExpired if self.expired + 1 >= MAX_EXPIRED && self.looking_back() => {
                    self.expired = 0;
                    self.connector.inner.http.count("cursor_expired");
                    self.connector.inner.http.count("look_back_second_skipped");
                    let second = self.walk_since.unwrap_or_default();
                    tracing::warn!(
                        channel = CHANNEL,
                        since = second,
                        "The page cursor expired {MAX_EXPIRED} times in a row inside the look-back; \
                         the look-back goes on after that second."
                    );
                    self.since = self.since.max(Some(second.saturating_add(1)));
                    self.next = None;
                    self.back = None;
                    self.followed.clear();
                    if !self.looking_back() {
                        self.done = true;
                        return Ok(None);
                    }
                }
                Answer::CursorExpired if self.expired + 1 >= MAX_EXPIRED => {
                    return Err(Error::Upstream {
                        channel: CHANNEL.into(),
                        message: format!(
                            "the page cursor expired {MAX_EXPIRED} times in a row with no progress \
                             at since {}; the next run goes on from its saved time",
                            self.since.unwrap_or_default()
                        ),
                    })
                }
                Answer::CursorExpired => {
                    self.expired += 1;
                    // Start again from the saved time; what was read since is recognised.
                    self.connector.inner.http.count("cursor_expired");
                    tracing::info!(
                        channel = CHANNEL,
                        since = self.since,
                        "The page cursor expired; starting again from the last saved time."
                    );
                    self.next = None;
                    self.back = None;
                }
            }
        };
        let kota = self.connector.inner.config.kota_id;
        let received_at = Utc::now();
        let keys: Vec<Option<Key>> = page
            .items
            .iter()
            .map(|item| aduan_core::json::lenient_value(item))
            .collect();
        let given = page.server_time.as_ref().and_then(server_secs);
        // A clock more than a day before the time the walk asks from (the server lists
        // items updated then or later) or before every item the page lists is not the
        // server's: `0`, or a clock far behind (review, session 51: taken, every item was
        // dated after it, none moved the saved time, and no item of other kab/kota was
        // counted).
        let floor = keys
            .iter()
            .filter_map(|k| updated_of(k.as_ref()).1)
            .map(|t| t.timestamp())
            .min()
            .max(self.walk_since);
        let behind = given.filter(|s| {
            floor.is_some_and(|f| {
                *s < f.saturating_sub(aduan_core::time::RECEIPT_SLACK.num_seconds())
            })
        });
        let server_time = given.filter(|_| behind.is_none());
        // This clock stands in for one that does not read, said once a run (review: a
        // fraction or a text fell back to it silently, and the saved time was not kept
        // before the server's second).
        if server_time.is_none() && !self.clock_said {
            self.clock_said = true;
            if let Some(behind) = behind {
                self.connector.inner.http.count("server_time_behind");
                tracing::warn!(
                    channel = CHANNEL,
                    server_time = behind,
                    items_from = floor.unwrap_or_default(),
                    "The page's server_time is more than a day before the items it lists (or the time asked from): no clock of the server's; this machine's clock stands in for it this run."
                );
            } else {
                self.connector.inner.http.count("server_time_unreadable");
                tracing::warn!(
                    channel = CHANNEL,
                    server_time = %page.server_time.as_ref().map_or_else(|| "none".into(), |v| aduan_core::time::quoted(&v.to_string())),
                    "The page's server_time is no time in unix seconds; this machine's clock stands in for the server's this run."
                );
            }
        }
        let open = *self
            .open
            .get_or_insert_with(|| server_time.unwrap_or_else(|| received_at.timestamp()));
        // An item dated later than the server's clock (ours, if it gives none), or outside the
        // years a source's times lie in, is a mistake that must not carry the saved time past
        // reports not read yet: it moves nothing, and is read again from there (and
        // recognised).
        let ahead = |t: DateTime<Utc>| match server_time {
            Some(s) => t.timestamp() > s,
            None => aduan_core::time::ahead_of(t, received_at),
        };
        let mut page_top: Option<i64> = None;
        let listed = page.items.len();
        // Items without a time are judged by the next item with one on this page, or on the
        // next page of the walk on from its cursor; a page read again, or a new walk's first,
        // lists them again.
        if again || !followed_on {
            self.undated.clear();
        }
        let mut records = Vec::with_capacity(listed);
        // The newest `updated` listed so far: an item after it was updated no earlier (the
        // server lists by `updated`, each from the walk's `since`).
        let mut before = self.walk_since;
        for (item, key) in page.items.into_iter().zip(keys) {
            let id = key.as_ref().and_then(|k| match &k.no_tiket {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            });
            let (updated_ms, dated) = updated_of(key.as_ref());
            let updated_secs = dated.filter(|t| !ahead(*t)).map(|t| t.timestamp());
            page_top = page_top.max(updated_secs);
            before = before.max(updated_secs);
            // The items of other kab/kota without a time listed before this one were updated
            // no later: judged by its time, as if it were theirs (session 49, pull: they were
            // counted by every run that read them).
            if let Some(t) = dated.map(|t| t.timestamp()) {
                for (key, after) in std::mem::take(&mut self.undated) {
                    self.judge_undated(key, after, t, updated_secs.is_none(), open);
                }
            }
            if let (Some(id), Some(ms)) = (&id, updated_ms) {
                if !self.read.insert((id.clone(), ms)) {
                    continue;
                }
            }
            self.expired = 0;
            let other = key
                .as_ref()
                .and_then(|k| k.lokasi.as_ref())
                .and_then(|l| l.kota_id.as_ref())
                .and_then(aduan_core::json::as_int)
                .is_some_and(|k| k != kota);
            if other {
                // Not again when read again by the look-back (a run before counted it), nor
                // yet in the server's current second (the next run counts it): one dated
                // after the server's time too is counted by the run after its time passed
                // (session 49, pull: it was counted by every run until then). One without a
                // time is judged by the next with one.
                let key = item_key(&item);
                match (self.judged.entry(key), dated.map(|t| t.timestamp())) {
                    (std::collections::hash_map::Entry::Occupied(_), _) => {}
                    (std::collections::hash_map::Entry::Vacant(judged), Some(t)) => {
                        judged.insert(t);
                        if self.counts_other(t, open) {
                            self.connector.inner.http.count("other_kota");
                        }
                    }
                    (std::collections::hash_map::Entry::Vacant(_), None) => {
                        if !self.undated.iter().any(|(k, _)| *k == key) {
                            self.undated.push((key, before));
                        }
                    }
                }
                continue;
            }
            records.push(RawRecord {
                source_ref: format!(
                    "{}#noTiket={}",
                    aduan_transport::shown(&url),
                    id.as_deref().unwrap_or("?")
                ),
                external_id: id,
                received_at,
                payload: item,
            });
        }
        self.walk_top = self.walk_top.max(page_top);
        if again {
            // One of the walk's pages read again: on to the one before, or the walk is over.
            match self.back.as_mut().and_then(Vec::pop) {
                Some(_) => {}
                None => self.settle(),
            }
        } else {
            let end = page.next_cursor.is_none();
            let left = page_top > self.walk_since;
            if end || left {
                self.walk_end = end;
                if self.followed.is_empty() {
                    self.settle();
                } else {
                    // Its pages again, last to first; the one just read is not asked again.
                    let mut cursors = std::mem::take(&mut self.followed);
                    cursors.pop();
                    self.back = Some(cursors);
                }
            } else if let Some(cursor) = page.next_cursor {
                // A cursor the walk followed already: the server does not page on from it (it
                // ignores `cursor`, as a proxy dropping the parameter makes it, and hands out
                // the same page again). The walk would follow it until the run's time ran
                // out, run after run, nothing later than its second ever read (review).
                if self.followed.contains(&cursor) {
                    return Err(Error::Upstream {
                        channel: CHANNEL.into(),
                        message: format!(
                            "GET aduan since {}: the page from cursor {cursor:?} gives that \
                             cursor again: the server does not page on from `cursor`; the next \
                             run goes on from its saved time",
                            self.walk_since.unwrap_or_default()
                        ),
                    });
                }
                // A page within the walk's second: on from its cursor.
                self.followed.push(cursor.clone());
                self.next = Some(cursor);
            }
        }
        self.probed();
        if records.is_empty() && self.done && listed == 0 && !self.look_back() {
            return Ok(None);
        }
        Ok(Some(Batch {
            records,
            // Never before the time saved when the run began: the look-back's walks, before
            // it, do not move it back. Before the server's current second when the run began
            // (see `open`), unless that is before it; not past an item left to the next run
            // (see `held`).
            cursor: self
                .since
                .max(self.saved)
                .map(|t| t.min(open.saturating_sub(1)))
                .map(|t| self.held.map_or(t, |held| t.min(held)))
                .max(self.began)
                .and_then(cursor_text),
            again: Vec::new(),
        }))
    }

    fn faults(&self) -> FaultCounts {
        self.connector.inner.http.faults_since(&self.faults_base)
    }

    fn in_flight(&self) -> Option<Arc<dyn aduan_core::InFlight>> {
        Some(
            self.connector
                .inner
                .http
                .in_flight(self.faults_base.clone()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// An item of `/api/v2/aduan`: its ticket, when it was updated (Unix seconds) and its
    /// kab/kota.
    fn item(ticket: &str, updated: i64, kota: u32) -> String {
        format!(
            r#"{{"noTiket":"{ticket}","updated":{},"lokasi":{{"kotaId":{kota}}}}}"#,
            updated * 1000
        )
    }

    /// A page of `/api/v2/aduan`: its items, its `next_cursor` (JSON) and the server's clock
    /// (Unix seconds).
    fn page(items: &[String], next_cursor: &str, server_time: i64) -> String {
        format!(
            r#"{{"items":[{}],"next_cursor":{next_cursor},"server_time":{server_time}}}"#,
            items.join(",")
        )
    }

    /// `app` served on a loopback port, and a connector reading it, `limit` items a page (or
    /// the default) and its requests not spaced: abort the server's task at the end.
    /// An item a test server lists: its ticket, the server's own time of it, its kab/kota and
    /// its `updated` as sent.
    type Listed = (&'static str, i64, u32, String);
    /// A test server's items and its time.
    type Served = Arc<std::sync::Mutex<(Vec<Listed>, i64)>>;

    /// [`Served`]'s items from `since` on, by their time, paged by an offset cursor.
    async fn served_aduan(
        axum::extract::State(state): axum::extract::State<Served>,
        axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
    ) -> String {
        let since: i64 = q.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
        let limit: usize = q.get("limit").and_then(|s| s.parse().ok()).unwrap_or(50);
        let from: usize = q.get("cursor").and_then(|s| s.parse().ok()).unwrap_or(0);
        let (items, now) = &*state.lock().expect("state");
        let mut listed: Vec<&Listed> = items.iter().filter(|(_, t, _, _)| *t >= since).collect();
        listed.sort_by_key(|(id, t, _, _)| (*t, *id));
        let next = if from + limit < listed.len() {
            format!("\"{}\"", from + limit)
        } else {
            "null".into()
        };
        let items: Vec<String> = listed
            .iter()
            .skip(from)
            .take(limit)
            .map(|(id, _, kota, updated)| {
                format!(r#"{{"noTiket":"{id}","updated":{updated},"lokasi":{{"kotaId":{kota}}}}}"#)
            })
            .collect();
        page(&items, &next, *now)
    }

    /// Runs of a connector paging by `limit` over `items`, one for each of `runs` (the
    /// server's time then, and an item listed from then on, in place of one of its ticket), each from the cursor the run
    /// before saved: what each run counted of other kab/kota, and the city's items handed out.
    async fn other_kota_counted_over_runs(
        limit: Option<u32>,
        items: Vec<Listed>,
        runs: Vec<(i64, Option<Listed>)>,
    ) -> (Vec<u64>, HashSet<String>) {
        let state: Served = Arc::new(std::sync::Mutex::new((items, 0)));
        let (c, server) = served(
            axum::Router::new()
                .route("/api/v2/aduan", axum::routing::get(served_aduan))
                .with_state(Arc::clone(&state)),
            limit,
        )
        .await;
        let mut city = HashSet::new();
        let mut counted = Vec::new();
        let mut cursor = None;
        for (now, added) in runs {
            {
                let mut s = state.lock().expect("state");
                // An item updated: in place of its ticket's.
                if let Some(added) = added {
                    s.0.retain(|listed| listed.0 != added.0);
                    s.0.push(added);
                }
                s.1 = now;
            }
            let mut pages = c.open(cursor.clone()).await.expect("opens");
            while let Some(b) = pages.next_batch().await.expect("a page") {
                cursor = b.cursor.or(cursor);
                city.extend(b.records.into_iter().filter_map(|r| r.external_id));
            }
            counted.push(pages.faults().get("other_kota").copied().unwrap_or(0));
        }
        server.abort();
        (counted, city)
    }

    /// Checks [`other_kota_counted_over_runs`] with every page size (one item, two, and the
    /// server's own): each run counts what `counted` says, and the city's items handed out
    /// number `city` where given; `what` names the case.
    async fn counted_with_every_page_size(
        items: Vec<Listed>,
        runs: Vec<(i64, Option<Listed>)>,
        (counted, city): (&[u64], Option<usize>),
        what: &str,
    ) {
        for limit in [None, Some(1), Some(2)] {
            let (got, handed) =
                other_kota_counted_over_runs(limit, items.clone(), runs.clone()).await;
            assert_eq!(got, counted, "{limit:?}: {what}");
            if let Some(city) = city {
                assert_eq!(handed.len(), city, "{limit:?}: {what}: {handed:?}");
            }
        }
    }

    async fn served(
        app: axum::Router,
        limit: Option<u32>,
    ) -> (LaporGub, tokio::task::JoinHandle<std::io::Result<()>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let mut config = serde_json::json!({
            "base_url": format!("http://{addr}"),
            "requests_per_minute": 0,
        });
        if let Some(limit) = limit {
            config["limit"] = limit.into();
        }
        let config: Config = serde_json::from_value(config).expect("config");
        let c = LaporGub::with_key(config, Secret::new("k")).expect("connector");
        (c, server)
    }

    fn connector(requests_per_minute: u32) -> LaporGub {
        let config: Config = serde_json::from_value(serde_json::json!({
            "base_url": "http://127.0.0.1:9/lapor-gub",
            "requests_per_minute": requests_per_minute,
        }))
        .expect("config");
        LaporGub::with_key(config, Secret::new("k")).expect("connector")
    }

    // The clock is tokio's paused one: the waits are counted, not timed.
    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_to_stay_under_the_limit() {
        for (per_minute, waited) in [(30, 6), (60, 3), (0, 0)] {
            let c = connector(per_minute);
            let start = Instant::now();
            for _ in 0..4 {
                c.pace().await;
            }
            assert_eq!(start.elapsed().as_secs(), waited, "{per_minute} a minute");
        }
    }

    /// Review (session 47): the pages were spaced to the limit, and the retry of one cut short
    /// (or answered 5xx) went at the backoff's pace: a retry is spaced as every request is.
    #[tokio::test]
    async fn a_retry_of_an_answer_cut_short_keeps_the_spacing() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = asked.clone();
        let server = tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = vec![0u8; 8192];
                let _ = s.read(&mut buf).await;
                let n = {
                    let mut seen = seen.lock().expect("lock");
                    seen.push(Instant::now());
                    seen.len()
                };
                let answer = if n == 1 {
                    // Cut short: no length, the connection closed before the JSON ends.
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"items\":[".to_string()
                } else {
                    let body = r#"{"items":[],"next_cursor":null,"server_time":1631440000}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        let config: Config = serde_json::from_value(serde_json::json!({
            "base_url": format!("http://{addr}"),
            "requests_per_minute": 120,
            "retry_base_ms": 10,
        }))
        .expect("config");
        let c = LaporGub::with_key(config, Secret::new("k")).expect("connector");
        let mut pages = c.open(None).await.expect("opens");
        while pages.next_batch().await.expect("a page").is_some() {}
        assert_eq!(pages.faults().get("body_interrupted"), Some(&1));
        let asked = asked.lock().expect("lock").clone();
        assert_eq!(asked.len(), 2);
        let gap = asked[1] - asked[0];
        assert!(gap >= Duration::from_millis(450), "{gap:?}");
        server.abort();
    }

    /// An upstream whose pages each hold items of one second and whose cursors have always
    /// expired: restarting from the saved time gives the same page again and again.
    #[tokio::test]
    async fn a_walk_whose_cursors_always_expire_without_progress_gives_up() {
        use axum::extract::Query;
        use axum::http::StatusCode;
        async fn aduan(
            Query(q): Query<std::collections::HashMap<String, String>>,
        ) -> (StatusCode, String) {
            if q.contains_key("cursor") {
                return (StatusCode::GONE, r#"{"error":"cursor_expired"}"#.into());
            }
            let item = |t: &str| {
                format!(r#"{{"noTiket":"{t}","updated":1631440000000,"lokasi":{{"kotaId":3375}}}}"#)
            };
            let body = format!(
                r#"{{"items":[{},{}],"next_cursor":"c","server_time":1631440000}}"#,
                item("LGWP00000001"),
                item("LGWP00000002")
            );
            (StatusCode::OK, body)
        }
        let (c, server) = served(
            axum::Router::new().route("/api/v2/aduan", axum::routing::get(aduan)),
            Some(2),
        )
        .await;
        let mut pages = c.open(None).await.expect("opens");
        let mut calls = 0;
        let error = loop {
            calls += 1;
            assert!(calls <= 10, "the walk goes round");
            match pages.next_batch().await {
                // The second before the server's (its items' second, which may still change).
                Ok(Some(b)) => assert_eq!(b.cursor.as_deref(), Some("2021-09-12T09:46:39Z")),
                Ok(None) => panic!("the walk ended without an error"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(error.contains("expired 5 times"), "{error}");
        assert_eq!(pages.faults().get("cursor_expired"), Some(&4));
        server.abort();
    }

    /// The look-back reads again an item of another kab/kota that a run before counted (dated
    /// before the saved time): it is not counted again as if it had come through anew, and
    /// the saved time stays where it was, though the run's first walk began 10 minutes before.
    #[tokio::test]
    async fn the_look_back_counts_no_other_kab_kota_again_and_saves_no_earlier_time() {
        use axum::extract::Query;
        const T: i64 = 1_631_440_000;
        async fn aduan(Query(q): Query<std::collections::HashMap<String, String>>) -> String {
            let since: i64 = q.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            let items: Vec<String> = [
                ("LGWP00000001", T - 100, 3301),
                ("LGWP00000002", T - 50, 3375),
                ("LGWP00000003", T, 3375),
            ]
            .iter()
            .filter(|(_, t, _)| *t >= since)
            .map(|(id, t, kota)| item(id, *t, *kota))
            .collect();
            page(&items, "null", T + 10)
        }
        let (c, server) = served(
            axum::Router::new().route("/api/v2/aduan", axum::routing::get(aduan)),
            None,
        )
        .await;
        let mut pages = c.open(None).await.expect("opens");
        let batch = pages.next_batch().await.expect("a page").expect("a batch");
        assert_eq!(batch.records.len(), 2);
        let saved = batch.cursor.expect("a cursor");
        assert_eq!(saved, "2021-09-12T09:46:40Z");
        assert_eq!(pages.faults().get("other_kota"), Some(&1));

        let mut pages = c.open(Some(saved.clone())).await.expect("opens");
        let batch = pages.next_batch().await.expect("a page").expect("a batch");
        // Both of the city's items again (the engine finds them unchanged).
        assert_eq!(batch.records.len(), 2);
        assert_eq!(batch.cursor.as_deref(), Some(saved.as_str()));
        assert_eq!(pages.faults().get("other_kota"), None);
        server.abort();
    }

    /// The pages of a run from `cursor` read to the end: the cursor the last batch hands on
    /// (or `cursor`), and the items of other kab/kota the run counts.
    async fn read_through(c: &LaporGub, cursor: Option<String>) -> (Option<String>, u64) {
        let mut pages = c.open(cursor.clone()).await.expect("opens");
        let mut saved = cursor;
        while let Some(b) = pages.next_batch().await.expect("a page") {
            saved = b.cursor.or(saved);
        }
        let other = pages.faults().get("other_kota").copied().unwrap_or(0);
        (saved, other)
    }

    /// Lead (session 48): the items of other kab/kota a run reads in the second it saves
    /// were counted, and the next run, reading that second again, counted none of it, as a
    /// run before had counted them: one updated in that second after the run read it (the
    /// server's current second then) was never counted. An item in the server's current
    /// second is counted by a run that reads its second over, the saved time left before
    /// it: each is counted once, also those that come in that second after a run read it.
    #[tokio::test]
    async fn an_item_of_another_kab_kota_in_the_servers_current_second_is_counted_once() {
        use axum::extract::{Query, State};
        const T: i64 = 1_631_440_000;
        type Served = Arc<std::sync::Mutex<(Vec<(&'static str, i64, u32)>, i64)>>;
        async fn aduan(
            State(state): State<Served>,
            Query(q): Query<std::collections::HashMap<String, String>>,
        ) -> String {
            let since: i64 = q.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            let (items, now) = &*state.lock().expect("state");
            let items: Vec<String> = items
                .iter()
                .filter(|(_, t, _)| *t >= since)
                .map(|(id, t, kota)| item(id, *t, *kota))
                .collect();
            page(&items, "null", *now)
        }
        let state: Served = Arc::new(std::sync::Mutex::new((
            vec![("LGWP00000001", T - 5, 3375), ("LGWP00000002", T, 3301)],
            T,
        )));
        let (c, server) = served(
            axum::Router::new()
                .route("/api/v2/aduan", axum::routing::get(aduan))
                .with_state(Arc::clone(&state)),
            None,
        )
        .await;
        // A run while `T` is the server's current second.
        let (cursor, first) = read_through(&c, None).await;
        // Another kab/kota's item updated in that same second after the run read it.
        {
            let mut s = state.lock().expect("state");
            s.0.push(("LGWP00000003", T, 3302));
            s.1 = T + 10;
        }
        let (cursor, second) = read_through(&c, cursor).await;
        assert_eq!(first + second, 2, "counted {first}, then {second}");
        let (cursor, third) = read_through(&c, cursor).await;
        assert_eq!(third, 0);
        assert_eq!(cursor, cursor_text(T));
        server.abort();
    }

    /// Session 49 (pull): an item of another kab/kota without an `updated` that reads (none,
    /// a text), or with one after the server's time, was counted by every run that read it:
    /// each run reading the look-back again, and the saved time never passing one dated
    /// later than the server's clock. One dated after it is counted by the run after the
    /// server's time passes it, as any; one without a time by the run that reads it before
    /// an item dated after that run's saved time (the server lists them by `updated`, so it
    /// stands before that item). Each is counted once over the runs, with every page size,
    /// and every item of the city is handed out.
    #[tokio::test]
    async fn an_item_of_another_kab_kota_without_a_time_or_ahead_of_the_server_is_counted_once() {
        const T: i64 = 1_631_440_000;
        let ms = |t: i64| (t * 1000).to_string();
        for limit in [None, Some(2)] {
            let (counted, city) = other_kota_counted_over_runs(
                limit,
                vec![
                    ("LGWP00000001", T - 50, 3375, ms(T - 50)),
                    ("LGWP00000002", T - 30, 3301, "null".into()),
                    ("LGWP00000003", T - 20, 3375, ms(T - 20)),
                    ("LGWP00000004", T - 10, 3302, format!("\"{}\"", ms(T - 10))),
                    ("LGWP00000005", T + 100, 3303, ms(T + 100)),
                ],
                vec![
                    (T, None),
                    (T + 10, Some(("LGWP00000006", T + 5, 3375, ms(T + 5)))),
                    (T + 200, None),
                    (T + 300, None),
                ],
            )
            .await;
            assert_eq!(
                counted.iter().sum::<u64>(),
                3,
                "{limit:?}: counted {counted:?}"
            );
            assert_eq!(city.len(), 3, "{limit:?}: {city:?}");
        }
    }

    /// Review of session 49 (rpull): an item of another kab/kota without a time, last of the
    /// list, whose next item came in the server's second when a run began, is left by that
    /// run for the next; the saved time is then past the item's own (the next item is before
    /// the server's second), so that the next run reads it in the look-back alone, and there
    /// it was judged against the time that run had read up to, past the next item's: it was
    /// never counted, when the look-back took more than one page (with one page, it was).
    #[tokio::test]
    async fn an_item_without_a_time_left_to_the_next_run_is_counted_by_it_with_every_page_size() {
        const T: i64 = 1_631_440_000;
        let ms = |t: i64| (t * 1000).to_string();
        counted_with_every_page_size(
            vec![
                ("LGWP00000001", T - 50, 3375, ms(T - 50)),
                ("LGWP00000002", T - 30, 3301, "null".into()),
            ],
            vec![
                (T, None),
                // Updated in the server's second as the run begins.
                (T + 20, Some(("LGWP00000003", T + 20, 3375, ms(T + 20)))),
                (T + 300, None),
                (T + 1000, None),
            ],
            (&[0, 0, 1, 0], Some(2)),
            "left to the next run",
        )
        .await;
    }

    /// An item of another kab/kota without a time was judged by the time of the item listed
    /// after it: when that item was updated after the run that counted it, the next run read
    /// the first again in its look-back, now before an item dated after that run's saved
    /// time, and counted it again. Judged also by the item listed before it (it was updated
    /// no earlier), one read again before the saved time is not counted again.
    #[tokio::test]
    async fn an_item_without_a_time_is_counted_once_when_the_item_after_it_moves() {
        const T: i64 = 1_631_440_000;
        let ms = |t: i64| (t * 1000).to_string();
        counted_with_every_page_size(
            vec![
                ("LGWP00000001", T - 50, 3375, ms(T - 50)),
                ("LGWP00000002", T - 30, 3301, "null".into()),
                ("LGWP00000003", T - 20, 3375, ms(T - 20)),
            ],
            vec![
                (T, None),
                // The item after it updated.
                (T + 10, Some(("LGWP00000003", T + 5, 3375, ms(T + 5)))),
                (T + 300, Some(("LGWP00000003", T + 200, 3375, ms(T + 200)))),
                (T + 1000, None),
            ],
            (&[1, 0, 0, 0], Some(2)),
            "the item after it moved",
        )
        .await;
    }

    /// Review of session 50 (rpull): an item of another kab/kota without a time whose next
    /// item is dated after the server's clock (a mistake the server lists in its place) was
    /// taken as left to the next run, and held the saved time before it, run after run until
    /// that date came, years on: every run read again all that came since, and once that was
    /// more than a run reads, nothing newer was read. Such a date holds nothing; the saved
    /// time moves on as it does past that item.
    #[tokio::test]
    async fn an_item_without_a_time_before_one_dated_ahead_holds_the_saved_time_no_longer() {
        const T: i64 = 1_631_440_000;
        const YEARS: i64 = 10 * 365 * 24 * 3600;
        let ms = |t: i64| (t * 1000).to_string();
        for limit in [None, Some(1), Some(2)] {
            let state: Served = Arc::new(std::sync::Mutex::new((
                vec![
                    ("LGWP00000001", T - 50, 3375, ms(T - 50)),
                    ("LGWP00000002", T - 30, 3301, "null".into()),
                    ("LGWP00000003", T - 20, 3375, ms(T + YEARS)),
                ],
                T,
            )));
            let (c, server) = served(
                axum::Router::new()
                    .route("/api/v2/aduan", axum::routing::get(served_aduan))
                    .with_state(Arc::clone(&state)),
                limit,
            )
            .await;
            let (mut cursor, _) = read_through(&c, None).await;
            for (i, now) in [(4, T + 10), (5, T + 20), (6, T + 30)] {
                {
                    let mut s = state.lock().expect("state");
                    let id: &'static str = Box::leak(format!("LGWP0000000{i}").into_boxed_str());
                    s.0.push((id, now - 5, 3375, ms(now - 5)));
                    s.1 = now;
                }
                cursor = read_through(&c, cursor).await.0;
                assert_eq!(cursor, cursor_text(now - 5), "{limit:?}: at {now}");
            }
            server.abort();
        }
    }

    /// Review of session 50 (rpull): an item of another kab/kota without a time, updated
    /// after the run before read past it, listed after an item dated before the saved time:
    /// when the run's first page, asked from the look-back's start, holds it, the newest
    /// `updated` before it is that item's, before the saved time, and it was taken for one a
    /// run before had judged; it was never counted. The saved time here is before the
    /// server's second (`T - 1`, the city's item at `T` read), or an item at the saved time
    /// moved on.
    #[tokio::test]
    async fn an_item_without_a_time_after_one_before_the_saved_time_is_counted() {
        const T: i64 = 1_631_440_000;
        let ms = |t: i64| (t * 1000).to_string();
        counted_with_every_page_size(
            vec![
                ("LGWP00000001", T - 50, 3375, ms(T - 50)),
                ("LGWP00000003", T, 3375, ms(T)),
            ],
            vec![
                (T, None),
                // Updated in the server's second of the run before, after it read it.
                (T + 10, Some(("LGWP00000002", T, 3301, "null".into()))),
                (T + 1000, None),
            ],
            (&[0, 1, 0], Some(2)),
            "saved before the server's second",
        )
        .await;
        counted_with_every_page_size(
            vec![
                ("LGWP00000001", T - 100, 3375, ms(T - 100)),
                ("LGWP00000002", T - 50, 3375, ms(T - 50)),
            ],
            vec![
                (T - 20, None),
                (T - 15, Some(("LGWP00000003", T - 10, 3301, "null".into()))),
                // The item at the saved time updated.
                (T, Some(("LGWP00000002", T - 5, 3375, ms(T - 5)))),
                (T + 1000, None),
            ],
            (&[0, 0, 1, 0], None),
            "the saved time's item moved",
        )
        .await;
    }

    /// The items of other kab/kota a run judged were all held to its end: a run reading years
    /// (a first one, or one after a long stop) held one for each. Those of seconds the walks
    /// went past are let go, and each is still counted once.
    #[tokio::test]
    async fn a_run_holds_the_judged_items_of_other_kab_kota_no_longer_than_its_walk() {
        const T: i64 = 1_631_440_000;
        let items: Vec<Listed> = (0..40)
            .map(|i| {
                let id: &'static str = Box::leak(format!("LGWP{i:08}").into_boxed_str());
                (id, T - 100 + i, 3301, ((T - 100 + i) * 1000).to_string())
            })
            .collect();
        let state: Served = Arc::new(std::sync::Mutex::new((items, T)));
        let (c, server) = served(
            axum::Router::new()
                .route("/api/v2/aduan", axum::routing::get(served_aduan))
                .with_state(Arc::clone(&state)),
            Some(3),
        )
        .await;
        let mut pages = c.pager(None).expect("opens");
        let mut held = 0;
        while pages.next_batch().await.expect("a page").is_some() {
            held = held.max(pages.judged.len());
        }
        assert_eq!(pages.faults().get("other_kota"), Some(&40));
        assert!(held <= 4, "held {held}");
        server.abort();
    }

    /// Ten items a second apart, 100 to 10 seconds before `T`, one at `T` and one at
    /// `T + 5`, paged by an offset cursor from `since`: a window before a saved time `T`
    /// holding more than a few pages.
    async fn a_busy_window(
        axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
    ) -> String {
        const T: i64 = 1_631_440_000;
        let since: i64 = q.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
        let limit: usize = q.get("limit").and_then(|s| s.parse().ok()).unwrap_or(50);
        let from: usize = q.get("cursor").and_then(|s| s.parse().ok()).unwrap_or(0);
        let times: Vec<i64> = (0..10)
            .map(|i| T - 100 + 10 * i)
            .chain([T, T + 5])
            .filter(|t| *t >= since)
            .collect();
        let items: Vec<String> = times
            .iter()
            .skip(from)
            .take(limit)
            .map(|t| item(&format!("LGWP{t}"), *t, 3375))
            .collect();
        let next = if from + limit < times.len() {
            format!("\"{}\"", from + limit)
        } else {
            "null".into()
        };
        page(&items, &next, T + 10)
    }

    /// Review (session 47): a run's first walk began `lookback_secs` before the saved time and
    /// paged on from there, its items before the saved time moving nothing: when that window
    /// held more items than a run could read (a burst of updates, the saved time at its end),
    /// every run read the same window again, stopped inside it, and no item updated after the
    /// saved time was ever read. The walk now reads on from the saved time first and the rest
    /// of the window after it: each run's progress is saved, and a run with time enough
    /// reads the whole window, never handing on an earlier time.
    #[tokio::test]
    async fn a_window_holding_more_than_a_run_reads_does_not_stop_the_walk_past_the_saved_time() {
        const T: i64 = 1_631_440_000;
        let (c, server) = served(
            axum::Router::new().route("/api/v2/aduan", axum::routing::get(a_busy_window)),
            Some(2),
        )
        .await;
        let mut cursor = cursor_text(T).expect("a time");
        // Each run stopped after three pages: fewer than the window holds.
        for _ in 0..3 {
            let mut pages = c.open(Some(cursor.clone())).await.expect("opens");
            for _ in 0..3 {
                match pages.next_batch().await.expect("a page") {
                    Some(b) => cursor = b.cursor.unwrap_or(cursor),
                    None => break,
                }
            }
        }
        assert_eq!(
            cursor,
            cursor_text(T + 5).expect("a time"),
            "the walk moves on"
        );
        // A run with time enough reads the window too, and hands on no earlier time.
        let mut pages = c.open(Some(cursor.clone())).await.expect("opens");
        let mut read = HashSet::new();
        while let Some(b) = pages.next_batch().await.expect("a page") {
            assert_eq!(b.cursor.as_deref(), Some(cursor.as_str()));
            read.extend(b.records.into_iter().filter_map(|r| r.external_id));
        }
        assert_eq!(read.len(), 12, "{read:?}");
        server.abort();
    }

    /// Review (session 47): a second of the look-back holding more than a page, on a server
    /// whose cursors expire before its walk gets through it, failed the run after the walk
    /// began again from it five times, run after run while that second was within
    /// `lookback_secs` of the saved time. The look-back goes on past that second (counted
    /// `look_back_second_skipped`): the run ends well, its progress saved.
    #[tokio::test]
    async fn a_second_of_the_look_back_that_cursors_expiring_cannot_get_through_is_skipped() {
        use axum::extract::Query;
        use axum::http::StatusCode;
        const T: i64 = 1_631_440_000;
        async fn aduan(
            Query(q): Query<std::collections::HashMap<String, String>>,
        ) -> (StatusCode, String) {
            if q.contains_key("cursor") {
                return (StatusCode::GONE, r#"{"error":"cursor_expired"}"#.into());
            }
            let since: i64 = q.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            let limit: usize = q.get("limit").and_then(|s| s.parse().ok()).unwrap_or(50);
            // Five items in one second 100 s before `T`, then one each at `T - 50`, `T` and
            // `T + 5`.
            let all: Vec<(String, i64)> = (1..=5)
                .map(|i| (format!("LGWP0000000{i}"), T - 100))
                .chain([
                    ("LGWP00000006".into(), T - 50),
                    ("LGWP00000007".into(), T),
                    ("LGWP00000008".into(), T + 5),
                ])
                .filter(|(_, t)| *t >= since)
                .collect();
            let items: Vec<String> = all
                .iter()
                .take(limit)
                .map(|(id, t)| item(id, *t, 3375))
                .collect();
            let next = if all.len() > limit { r#""c""# } else { "null" };
            let body = page(&items, next, T + 10);
            (StatusCode::OK, body)
        }
        let (c, server) = served(
            axum::Router::new().route("/api/v2/aduan", axum::routing::get(aduan)),
            Some(2),
        )
        .await;
        let saved = cursor_text(T).expect("a time");
        let mut pages = c.open(Some(saved.clone())).await.expect("opens");
        let mut cursor = saved.clone();
        let mut read = HashSet::new();
        while let Some(b) = pages.next_batch().await.expect("the run goes on") {
            cursor = b.cursor.unwrap_or(cursor);
            read.extend(b.records.into_iter().filter_map(|r| r.external_id));
        }
        assert_eq!(cursor, cursor_text(T + 5).expect("a time"));
        assert!(
            read.contains("LGWP00000006"),
            "on past the second: {read:?}"
        );
        let faults = pages.faults();
        assert_eq!(
            faults.get("look_back_second_skipped"),
            Some(&1),
            "{faults:?}"
        );
        server.abort();
    }

    /// Review (session 46): a saved time within `lookback_secs` of 1970 (`aduan cursor set
    /// lapor_gub 1970-01-01T00:05:00Z`, or `0`: everything again) made the look-back ask a
    /// `since` below zero, which is no unix seconds of the contract: a server refusing it
    /// failed every run. The look-back begins at zero at the earliest.
    #[tokio::test]
    async fn the_look_back_asks_no_since_before_1970() {
        use axum::extract::Query;
        use axum::http::StatusCode;
        async fn aduan(
            Query(q): Query<std::collections::HashMap<String, String>>,
        ) -> (StatusCode, String) {
            match q.get("since").map(|s| s.parse::<i64>()) {
                Some(Ok(since)) if since >= 0 => (
                    StatusCode::OK,
                    r#"{"items":[{"noTiket":"LGWP00000001","updated":1631440000000,"lokasi":{"kotaId":3375}}],"next_cursor":null,"server_time":1631440010}"#
                        .into(),
                ),
                _ => (StatusCode::BAD_REQUEST, r#"{"error":"bad since"}"#.into()),
            }
        }
        let (c, server) = served(
            axum::Router::new().route("/api/v2/aduan", axum::routing::get(aduan)),
            None,
        )
        .await;
        for saved in ["1970-01-01T00:05:00Z", "0"] {
            let mut pages = c.open(Some(saved.into())).await.expect("opens");
            let batch = pages
                .next_batch()
                .await
                .unwrap_or_else(|e| panic!("{saved}: {e}"))
                .expect("a batch");
            assert_eq!(batch.records.len(), 1, "{saved}");
            assert_eq!(batch.cursor.as_deref(), Some("2021-09-12T09:46:40Z"));
        }
        server.abort();
    }

    /// Review (session 46): the look-back of a run after the first went before `start_from`
    /// when the first run's newest item was dated within `lookback_secs` of it, and stored
    /// items updated before the time the operator chose to begin at. It begins at
    /// `start_from` at the earliest (a saved time an operator sets before it aside).
    #[tokio::test]
    async fn the_look_back_goes_not_before_start_from() {
        use axum::extract::Query;
        const T: i64 = 1_631_440_000;
        async fn aduan(Query(q): Query<std::collections::HashMap<String, String>>) -> String {
            let since: i64 = q.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            let items: Vec<String> = [("LGWP00000001", T - 100), ("LGWP00000002", T + 50)]
                .iter()
                .filter(|(_, t)| *t >= since)
                .map(|(id, t)| item(id, *t, 3375))
                .collect();
            page(&items, "null", T + 60)
        }
        let (c, server) = served(
            axum::Router::new().route("/api/v2/aduan", axum::routing::get(aduan)),
            None,
        )
        .await;
        let config = Config {
            start_from: cursor_text(T),
            ..c.config().clone()
        };
        let c = LaporGub::with_key(config, Secret::new("k")).expect("connector");
        let ids = |records: &[RawRecord]| {
            records
                .iter()
                .filter_map(|r| r.external_id.clone())
                .collect::<Vec<_>>()
        };
        let mut pages = c.open(None).await.expect("opens");
        let batch = pages.next_batch().await.expect("a page").expect("a batch");
        assert_eq!(ids(&batch.records), ["LGWP00000002"]);
        let saved = batch.cursor.expect("a cursor");
        let mut pages = c.open(Some(saved)).await.expect("opens");
        let batch = pages.next_batch().await.expect("a page").expect("a batch");
        assert_eq!(
            ids(&batch.records),
            ["LGWP00000002"],
            "nothing before start_from"
        );
        // A saved time set before `start_from`: its look-back as any.
        let set = cursor_text(T - 50).expect("a time");
        let mut pages = c.open(Some(set)).await.expect("opens");
        let batch = pages.next_batch().await.expect("a page").expect("a batch");
        assert_eq!(ids(&batch.records), ["LGWP00000001", "LGWP00000002"]);
        server.abort();
    }

    /// A server whose cursors are offsets (`{"o":1}`, the same string each time the walk
    /// reaches that offset) and whose first cursor expires: the walk starts again from its
    /// saved time and meets the same cursor again, which is no server that does not page on.
    #[tokio::test]
    async fn a_cursor_met_again_after_an_expired_one_is_followed() {
        use axum::extract::Query;
        use axum::http::StatusCode;
        use std::sync::atomic::{AtomicBool, Ordering};
        static EXPIRED: AtomicBool = AtomicBool::new(false);
        async fn aduan(
            Query(q): Query<std::collections::HashMap<String, String>>,
        ) -> (StatusCode, String) {
            let o: usize = match q.get("cursor") {
                None => 0,
                Some(c) => {
                    if !EXPIRED.swap(true, Ordering::SeqCst) {
                        return (StatusCode::GONE, r#"{"error":"cursor_expired"}"#.into());
                    }
                    c.trim_start_matches('o').parse().unwrap_or(0)
                }
            };
            let item = format!(
                r#"{{"noTiket":"LGWP0000000{o}","updated":1631440000000,"lokasi":{{"kotaId":3375}}}}"#
            );
            let next = if o < 2 {
                format!(r#""o{}""#, o + 1)
            } else {
                "null".into()
            };
            (
                StatusCode::OK,
                format!(r#"{{"items":[{item}],"next_cursor":{next},"server_time":1631440000}}"#),
            )
        }
        let (c, server) = served(
            axum::Router::new().route("/api/v2/aduan", axum::routing::get(aduan)),
            Some(1),
        )
        .await;
        let mut pages = c.open(None).await.expect("opens");
        let mut ids = Vec::new();
        for _ in 0..20 {
            match pages.next_batch().await.expect("no error") {
                Some(b) => ids.extend(b.records.into_iter().filter_map(|r| r.external_id)),
                None => break,
            }
        }
        ids.sort();
        assert_eq!(ids, ["LGWP00000000", "LGWP00000001", "LGWP00000002"]);
        assert!(EXPIRED.load(Ordering::SeqCst));
        assert_eq!(pages.faults().get("cursor_expired"), Some(&1));
        server.abort();
    }

    /// A page one of whose items holds a byte that is not UTF-8 (an old Latin-1 text): its
    /// items are all handed on, that one as received (its parser quarantines it), and the
    /// page's cursor and clock are read (review: the page failed, run after run).
    #[tokio::test]
    async fn a_page_with_an_item_that_is_not_json_hands_on_every_item() {
        async fn aduan() -> Vec<u8> {
            let item = |t: &str, judul: &str| {
                format!(
                    r#"{{"noTiket":"{t}","judul":"{judul}","updated":1631440000000,"lokasi":{{"kotaId":3375}}}}"#
                )
            };
            let mut body = format!(
                r#"{{"items":[{},{},{}],"next_cursor":null,"server_time":1631440000}}"#,
                item("LGWP00000001", "a"),
                item("LGWP00000002", "caf\u{e9}"),
                item("LGWP00000003", "c")
            )
            .into_bytes();
            let at = body.windows(2).position(|w| w == [0xC3, 0xA9]).expect("é");
            body.splice(at..at + 2, [0xE9]);
            body
        }
        let (c, server) = served(
            axum::Router::new().route("/api/v2/aduan", axum::routing::get(aduan)),
            None,
        )
        .await;
        let mut pages = c.open(None).await.expect("opens");
        let batch = pages.next_batch().await.expect("read").expect("a batch");
        let ids: Vec<_> = batch
            .records
            .iter()
            .map(|r| r.external_id.clone())
            .collect();
        assert_eq!(
            ids,
            ["LGWP00000001", "LGWP00000002", "LGWP00000003"].map(|t| Some(t.to_string()))
        );
        assert!(batch.records[1].payload.windows(4).any(|w| w == b"caf\xE9"));
        assert!(serde_json::from_slice::<serde_json::Value>(&batch.records[1].payload).is_err());
        // The second before the server's clock, its items' second (this clock's is years on).
        assert_eq!(batch.cursor.as_deref(), Some("2021-09-12T09:46:39Z"));
        assert_eq!(pages.faults().get("page_not_json"), Some(&1));
        server.abort();
    }

    /// `server_time` sent as a number with a fraction or as a text of digits (as `kotaId` and
    /// `status` may be) was no `i64`, and this machine's clock stood in for it silently: the
    /// saved time was not kept before the server's current second. Those are read; one that
    /// is no time (a word, milliseconds) falls back to this clock, said once a run (counted
    /// `server_time_unreadable`), not at every page.
    #[tokio::test]
    async fn server_time_as_a_fraction_or_a_text_is_read_and_an_unreadable_one_is_said_once() {
        use axum::extract::{Query, State};
        type Sent = Arc<std::sync::Mutex<String>>;
        async fn aduan(
            State(sent): State<Sent>,
            Query(q): Query<std::collections::HashMap<String, String>>,
        ) -> String {
            // Two pages in one second, then the end: a run reads three.
            let next = match q.get("cursor").map(String::as_str) {
                None => r#""a""#,
                Some("a") => r#""b""#,
                _ => "null",
            };
            let item =
                r#"{"noTiket":"LGWP00000001","updated":1631440000000,"lokasi":{"kotaId":3375}}"#;
            let server_time = sent.lock().expect("sent").clone();
            format!(r#"{{"items":[{item}],"next_cursor":{next},"server_time":{server_time}}}"#)
        }
        let sent: Sent = Arc::new(std::sync::Mutex::new(String::new()));
        let (c, server) = served(
            axum::Router::new()
                .route("/api/v2/aduan", axum::routing::get(aduan))
                .with_state(Arc::clone(&sent)),
            Some(1),
        )
        .await;
        let read = |given: &str| {
            *sent.lock().expect("sent") = given.to_string();
            let c = c.clone();
            async move {
                let mut pages = c.open(None).await.expect("opens");
                let mut cursor = None;
                while let Some(b) = pages.next_batch().await.expect("a page") {
                    cursor = b.cursor.or(cursor);
                }
                (cursor, pages.faults())
            }
        };
        for given in [
            "1631440000",
            "1631440000.0",
            "1631440000.75",
            r#""1631440000""#,
            r#"" 1631440000.5 ""#,
        ] {
            let (cursor, faults) = read(given).await;
            // The second before the server's, its item's: this clock's is years on.
            assert_eq!(cursor.as_deref(), Some("2021-09-12T09:46:39Z"), "{given}");
            assert_eq!(faults.get("server_time_unreadable"), None, "{given}");
        }
        // This clock's stands in: the item's second is saved.
        for given in [r#""kemarin""#, "1631440000000", "-1", "true", "null"] {
            let (cursor, faults) = read(given).await;
            assert_eq!(cursor.as_deref(), Some("2021-09-12T09:46:40Z"), "{given}");
            assert_eq!(
                faults.get("server_time_unreadable"),
                Some(&1),
                "{given}: once a run"
            );
        }
        // Review, session 51: a clock of `0`, or years before the items it lists, was taken:
        // its items were all "ahead" of it, the saved time never moved and nothing was
        // saved. It is no clock of the server's either (said once a run, by its own name); a
        // day behind is taken.
        for given in ["0", "1000000000", "1631350000"] {
            let (cursor, faults) = read(given).await;
            assert_eq!(cursor.as_deref(), Some("2021-09-12T09:46:40Z"), "{given}");
            assert_eq!(
                faults.get("server_time_behind"),
                Some(&1),
                "{given}: once a run"
            );
            assert_eq!(faults.get("server_time_unreadable"), None, "{given}");
        }
        let (cursor, faults) = read("1631360000").await;
        assert_eq!(
            cursor.as_deref(),
            None,
            "within a day behind, taken: the item is ahead"
        );
        assert_eq!(faults.get("server_time_behind"), None);
        server.abort();
    }

    #[test]
    fn the_saved_cursor_is_a_time_to_the_second_and_reads_back() {
        assert_eq!(
            cursor_text(1631440000).as_deref(),
            Some("2021-09-12T09:46:40Z")
        );
        assert_eq!(cursor_secs("2021-09-12T09:46:40Z"), Some(1631440000));
        assert_eq!(cursor_secs("2021-09-12T16:46:40+07:00"), Some(1631440000));
        assert_eq!(cursor_secs("1631440000"), Some(1631440000));
        assert_eq!(cursor_secs("kemarin"), None);
        // What an operator may set (`aduan cursor set`).
        for given in ["2021-09-12T16:46:40+07:00", "1631440000", " 1631440000 "] {
            assert_eq!(
                LaporGub::check_cursor(given).unwrap(),
                "2021-09-12T09:46:40Z",
                "saved as the connector saves it"
            );
        }
        for bad in [
            "kemarin",
            "4102444800",
            "2099-01-01T00:00:00Z",
            "-99999999999",
        ] {
            let e = LaporGub::check_cursor(bad).unwrap_err().to_string();
            assert!(e.contains("lapor_gub") && e.contains(bad), "{e}");
        }
    }

    #[test]
    fn settings_out_of_the_contract_are_refused_and_the_key_is_never_shown() {
        let config: Config = serde_json::from_value(serde_json::json!({
            "base_url": "http://127.0.0.1:9/lapor-gub",
            "limit": 0,
        }))
        .expect("config");
        let e = LaporGub::with_key(config.clone(), Secret::new("k")).unwrap_err();
        assert!(e.to_string().contains("limit 0"), "{e}");
        let late = Config {
            limit: 50,
            start_from: Some("kemarin".into()),
            ..config.clone()
        };
        let e = LaporGub::with_key(late, Secret::new("k")).unwrap_err();
        assert!(
            e.to_string().contains("lapor_gub") && e.to_string().contains("\"kemarin\""),
            "{e}"
        );
        let ok = LaporGub::with_key(
            Config {
                limit: 50,
                ..config
            },
            Secret::new("the-key-itself"),
        )
        .expect("connector");
        assert!(!format!("{ok:?}").contains("the-key-itself"));
    }
}
