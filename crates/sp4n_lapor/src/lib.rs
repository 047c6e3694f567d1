//! The SP4N-LAPOR! connector (`sp4n_lapor`): the Pemda integration API of lapor.go.id.
//!
//! Token auth (a new token once on a `401`), `updated_from` paging with the paging hazard
//! handled, `429 Retry-After`, retries on 5xx and timeouts (shared transport), the HTML
//! maintenance page as a clear error. `parse` turns one report into a [`SourceComplaint`]
//! with disposisi and tindak lanjut as events.
//!
//! The paging hazard: a report updated while a client pages moves to the end of the order,
//! so page boundaries shift. This connector never walks page numbers across a moving list:
//! after each page it asks again from page 1 with `updated_from` set to the newest
//! `updated_at` it has stored (inclusive, so that time's reports are re-read and recognised
//! by their unchanged payload). Page numbers are used only when a whole page shares one
//! `updated_at` (a first page all of one time later than asked is that time's page 1: the
//! walk goes on from its page 2, not asking for it again). A moved report is met again at the end, as the update it is. Each run reads
//! again the `lookback_secs` before the saved cursor, so that a version the system commits
//! late (dated before reports already listed) is found too, after reading on from the cursor
//! (a run stopped inside them has saved its progress); the cursor never moves back. Its first
//! request asks from the window's start, and when that page reaches the cursor (or holds all
//! there is) it serves for both: a run with nothing new makes one request.
//!
//! ```
//! let cfg: aduan_sp4n_lapor::Config = serde_json::from_str(
//!     r#"{"base_url":"http://127.0.0.1:8700/sp4n-lapor","instansi_id":"pemkot-pekalongan","client_id":"aduan"}"#,
//! ).unwrap();
//! assert_eq!(cfg.per_page, 100);
//! assert_eq!(cfg.lookback_secs, 600);
//! ```
#![deny(missing_docs)]

mod parse;

use std::sync::Arc;

use aduan_core::{
    Batch, BatchSource, Error, FaultCounts, FieldError, PullConnector, RawRecord, Result, Secret,
    SourceComplaint,
};
use aduan_transport::HttpClient;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::Mutex;

/// The channel id.
pub const CHANNEL: &str = "sp4n_lapor";

/// Settings of the `[channels.sp4n_lapor]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Base URL of the Pemda integration API (the `{base}` of the contract).
    pub base_url: String,
    /// The Pemda's `instansi_id`.
    pub instansi_id: String,
    /// The API client id.
    pub client_id: String,
    /// Name of the environment variable holding the client secret (never the secret itself).
    #[serde(default = "default_client_secret_env")]
    pub client_secret_env: String,
    /// Reports per page, 1 to 100.
    #[serde(default = "default_per_page")]
    pub per_page: u32,
    /// Time limit of one request, in seconds.
    #[serde(default = "aduan_transport::defaults::timeout_secs")]
    pub timeout_secs: u64,
    /// Attempts per request before the run stops (it resumes from its cursor next run).
    #[serde(default = "aduan_transport::defaults::max_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry, in milliseconds; doubled on each retry.
    #[serde(default = "aduan_transport::defaults::retry_base_ms")]
    pub retry_base_ms: u64,
    /// `updated_from` of the very first run (ISO 8601 with offset); default: everything.
    #[serde(default)]
    pub start_from: Option<String>,
    /// How far before its saved cursor a run reads again, in seconds (default 600, at most
    /// 86 400; 0 resumes at the cursor only). A version the system commits late is dated
    /// before reports already listed, so before the cursor saved since: a run resumed at the
    /// cursor never reads it, and with no webhook it is lost for good. The reports read again
    /// are recognised by their bytes (unchanged), and the saved cursor never moves back. Read
    /// after the walk on from the cursor (unless the run's first page, asked from the window's
    /// start, reaches the cursor), so that a run stopped inside it has saved its progress.
    #[serde(default = "aduan_core::lookback::default_secs")]
    pub lookback_secs: u64,
}

fn default_client_secret_env() -> String {
    "ADUAN_SP4N_LAPOR_CLIENT_SECRET".into()
}
fn default_per_page() -> u32 {
    100
}
/// `lookback_secs` unless set: 10 minutes (see [`aduan_core::lookback`]).
pub const DEFAULT_LOOKBACK_SECS: u64 = aduan_core::lookback::DEFAULT_SECS;

/// The SP4N-LAPOR! connector.
#[derive(Debug, Clone)]
pub struct Sp4nLapor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    secret: Secret,
    http: HttpClient,
    token: Mutex<Option<Secret>>,
}

impl Sp4nLapor {
    /// A connector with its client secret given (the configuration path reads it from the
    /// environment instead).
    pub fn with_secret(config: Config, secret: Secret) -> Result<Self> {
        <Self as PullConnector>::check_settings(&config)?;
        let http = HttpClient::from_settings(
            CHANNEL,
            config.timeout_secs,
            config.max_attempts,
            config.retry_base_ms,
        )?;
        // A server may echo what it was sent (a validation error): the errors quoting its
        // answers show neither the client secret nor the token.
        http.hide("client secret", &secret);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                secret,
                http,
                token: Mutex::new(None),
            }),
        })
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.inner.config.base_url.trim_end_matches('/'),
            path
        )
    }

    async fn new_token(&self) -> Result<Secret> {
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
        }
        let url = self.url("/api/v1/auth/token");
        let body = serde_json::json!({
            "client_id": self.inner.config.client_id,
            "client_secret": self.inner.secret.expose(),
        });
        // A refusal is quoted with the secret hidden (the client hides it): a server that
        // echoes what it was sent must not put it into a log or the run's record.
        let resp = self
            .inner
            .http
            .send_json("POST auth/token", |c| c.post(&url).json(&body))
            .await?;
        if !resp.is_success() {
            return Err(resp.unexpected(CHANNEL, "getting a token"));
        }
        // The body is not quoted: an answer of another shape may still hold the token.
        let token: Token = serde_json::from_slice(&resp.body).map_err(|_| Error::Upstream {
            channel: CHANNEL.into(),
            message: format!(
                "getting a token: {} answered {} with {} bytes that are not \
                 {{\"access_token\": \"…\"}} (not shown: they may hold a secret)",
                aduan_transport::shown(&url),
                resp.status,
                resp.body.len()
            ),
        })?;
        let token = Secret::new(token.access_token);
        self.inner.http.hide("token", &token);
        Ok(token)
    }

    /// GET one page, with a new token once if the current one is refused.
    async fn page(&self, updated_from: Option<&str>, page: u32) -> Result<Page> {
        let url = self.url("/api/v1/laporan");
        let mut query: Vec<(&str, String)> = vec![
            ("instansi_id", self.inner.config.instansi_id.clone()),
            ("page", page.to_string()),
            ("per_page", self.inner.config.per_page.to_string()),
        ];
        if let Some(from) = updated_from {
            query.push(("updated_from", from.to_string()));
        }
        let what = format!("GET laporan page {page}");
        let mut refreshed = false;
        loop {
            let token = {
                let mut guard = self.inner.token.lock().await;
                if guard.is_none() {
                    *guard = Some(self.new_token().await?);
                }
                guard.clone().unwrap_or_else(|| Secret::new(""))
            };
            let resp = self
                .inner
                .http
                .send_json(&what, |c| {
                    c.get(&url).query(&query).bearer_auth(token.expose())
                })
                .await?;
            if resp.status == 401 && !refreshed {
                self.inner.http.count("token_refreshed");
                *self.inner.token.lock().await = None;
                refreshed = true;
                continue;
            }
            if !resp.is_success() {
                return Err(resp.unexpected(CHANNEL, &what));
            }
            // The page size the server pages by: it may give fewer than asked (a cap of its
            // own), and says so in `meta.per_page`.
            let paged_by = |meta: Option<&serde_json::Value>| {
                meta.and_then(|m| m.get("per_page"))
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n > 0)
            };
            // The pages and reports the server says it has (`meta.total_pages`, `total`).
            let pages = |meta: Option<&serde_json::Value>| {
                meta.and_then(|m| m.get("total_pages"))
                    .and_then(serde_json::Value::as_u64)
            };
            let total = |meta: Option<&serde_json::Value>| {
                meta.and_then(|m| m.get("total"))
                    .and_then(serde_json::Value::as_u64)
            };
            let (data, per_page, total_pages, total) = match serde_json::from_slice::<Envelope>(
                &resp.body,
            ) {
                Ok(envelope) if envelope.status == "success" => (
                    envelope
                        .data
                        .into_iter()
                        .map(|item| item.get().as_bytes().to_vec())
                        .collect(),
                    paged_by(envelope.meta.as_ref()),
                    pages(envelope.meta.as_ref()),
                    total(envelope.meta.as_ref()),
                ),
                Ok(_) => return Err(resp.unexpected(CHANNEL, &what)),
                // A page one of whose reports is not JSON (a byte that is not UTF-8, a raw line
                // break in a text): split without reading the reports, that one quarantined by
                // its parser and the rest read (review: the page failed, run after run).
                Err(e) => match aduan_core::json::lenient_page(&resp.body, "data") {
                    Some(page)
                        if page.members.get("status").and_then(|s| s.as_str())
                            == Some("success") =>
                    {
                        tracing::warn!(channel = CHANNEL, request = %what, error = %e, "A page that is not JSON as a whole: its reports are read one by one.");
                        self.inner.http.count("page_not_json");
                        (
                            page.items.into_iter().map(<[u8]>::to_vec).collect(),
                            paged_by(page.members.get("meta")),
                            pages(page.members.get("meta")),
                            total(page.members.get("meta")),
                        )
                    }
                    _ => return Err(resp.unexpected_json(CHANNEL, &what, &e)),
                },
            };
            return Ok(Page {
                url: resp.url,
                data,
                per_page,
                total_pages,
                total,
            });
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    data: Vec<Box<RawValue>>,
    /// Read leniently: only its `per_page` and `total_pages` are used.
    #[serde(default)]
    meta: Option<serde_json::Value>,
}

struct Page {
    url: String,
    /// Its reports, each as received.
    data: Vec<Vec<u8>>,
    /// The page size the server says it paged by (`meta.per_page`), if it says.
    per_page: Option<u32>,
    /// The pages the server says it has (`meta.total_pages`), if it says.
    total_pages: Option<u64>,
    /// The reports the server says it has (`meta.total`), if it says.
    total: Option<u64>,
}

/// The two fields paging needs, read leniently: a malformed report is still archived (and
/// quarantined by `parse`), never a reason to stop.
#[derive(Deserialize)]
struct Key {
    tracking_id: Option<serde_json::Value>,
    updated_at: Option<serde_json::Value>,
}

#[async_trait]
impl PullConnector for Sp4nLapor {
    const CHANNEL: &'static str = CHANNEL;
    type Config = Config;

    fn from_config(config: Config) -> Result<Self> {
        let secret = Secret::required(&config.client_secret_env, CHANNEL, "client secret")?;
        Self::with_secret(config, secret)
    }

    fn check_settings(config: &Config) -> Result<()> {
        aduan_core::check_within(CHANNEL, "per_page", config.per_page, 1..=100)?;
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
        // The client serves run after run: this run's faults are those from here on.
        let faults_base = self.inner.http.faults();
        // A cursor is a report's `updated_at` as the source wrote it, with an offset (WIB's
        // when it had none; a cursor saved earlier may lack it).
        let instant = |c: &str| {
            aduan_core::time::read_rfc3339(c).or_else(|| aduan_core::time::parse_source(c))
        };
        if let Some(c) = &cursor {
            aduan_core::time::saved_cursor(CHANNEL, c, instant(c))?;
        }
        // The time of the cursor saved: a newest time read not after it is not saved again.
        let saved = cursor.as_deref().and_then(instant);
        // Sent as `updated_from`: with an offset (a cursor saved before Aduan wrote one, or a
        // `start_from` without one, is WIB's).
        let mut from = cursor
            .or_else(|| self.inner.config.start_from.clone())
            .map(|c| aduan_core::time::as_query_time(&c).unwrap_or(c));
        let mut from_instant = from.as_deref().and_then(instant);
        // The window before the saved cursor is read again (hunt, session 46: a version
        // committed late, dated before it, was never read), after the walk on from the
        // cursor (review, session 47: read first, a window holding more reports than a run
        // could read kept every run from reading on past the cursor). The run's first
        // request asks from the window's start: when its page reaches the cursor, or holds
        // all there is, it is the walk on from the cursor too (a run with nothing new makes
        // one request); otherwise the walk goes on from the cursor, and the window is read
        // on from that first page after it.
        let back = i64::try_from(self.inner.config.lookback_secs)
            .ok()
            .filter(|s| *s > 0)
            .and_then(chrono::TimeDelta::try_seconds);
        // Not before `start_from` when the cursor is after it: the reports before it are not
        // to be read (review, session 46).
        let start = aduan_core::time::start_from(CHANNEL, self.inner.config.start_from.as_deref())
            .ok()
            .flatten();
        let mut window = None;
        if let Some((at, t)) = saved.zip(back).and_then(|(at, back)| {
            let t = at.checked_sub_signed(back)?;
            Some((
                at,
                match start.filter(|start| *start <= at) {
                    Some(start) => t.max(start),
                    None => t,
                },
            ))
        }) {
            window = Some(Window {
                until: at,
                cursor: (from.take().unwrap_or_default(), at),
                probing: true,
                rest: None,
            });
            from = Some(
                t.with_timezone(&aduan_core::time::wib())
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
            );
            from_instant = Some(t);
        }
        Ok(Box::new(Pager {
            faults_base,
            connector: self.clone(),
            from,
            from_instant,
            saved,
            page: 1,
            done: false,
            back: None,
            after: None,
            last_listed: None,
            window,
        }))
    }

    fn parse(raw: &RawRecord) -> Result<Vec<SourceComplaint>, FieldError> {
        parse::report(raw).map(|r| vec![r])
    }

    /// The newest `updated_at` read: an ISO 8601 time (`updated_from`), without an offset
    /// WIB. Saved in RFC 3339's own form, with the offset given or `+07:00` (`updated_from`
    /// as sent).
    fn check_cursor(cursor: &str) -> Result<String> {
        let given = DateTime::parse_from_rfc3339(cursor.trim())
            .ok()
            .or_else(|| {
                aduan_core::time::parse_source(cursor)
                    .map(|t| t.with_timezone(&aduan_core::time::wib()))
            });
        aduan_core::time::set_cursor(
            CHANNEL,
            cursor,
            given.map(|t| t.with_timezone(&Utc)),
            "an ISO 8601 time (without an offset: WIB)",
        )?;
        Ok(given.map_or_else(
            || cursor.to_string(),
            |t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ))
    }
}

struct Pager {
    /// The client's faults when the run began.
    faults_base: FaultCounts,
    connector: Sp4nLapor,
    /// `updated_from`: the newest `updated_at` stored, as the API wrote it when it gave an
    /// offset (else in WIB with one).
    from: Option<String>,
    from_instant: Option<DateTime<Utc>>,
    /// The time of the cursor saved last (at first the one the run began at): a time not
    /// after it is not saved again, so that the look-back's reports, read again before it,
    /// do not move it back.
    saved: Option<DateTime<Utc>>,
    page: u32,
    done: bool,
    /// Reading the pages of a walk at `from` again, last to first: the next one to read.
    back: Option<u32>,
    /// Where the walk ended, applied when it has been read again.
    after: Option<After>,
    /// [`fingerprint`] of the last page read going forward.
    last_listed: Option<u64>,
    /// The look-back before the saved cursor, while it is to be read.
    window: Option<Window>,
}

/// The `lookback_secs` before the saved cursor, read again after the walk on from it: a run
/// that stops inside them has saved its progress (review, session 47: read first, a window
/// holding more reports than a run could read, such as a burst of updates, kept every run
/// from reading on past the cursor).
struct Window {
    /// The saved cursor's time, where the look-back ends: the walk read on from there.
    until: DateTime<Utc>,
    /// The saved cursor as sent (`updated_from`), and its time: where the walk on from it
    /// begins.
    cursor: (String, DateTime<Utc>),
    /// The run's first page, asked from the window's start, is still to be read.
    probing: bool,
    /// Where the look-back goes on once the walk on from the cursor is over.
    rest: Option<Resume>,
}

/// Where a walk goes on from.
struct Resume {
    from: Option<String>,
    from_instant: Option<DateTime<Utc>>,
    page: u32,
    last_listed: Option<u64>,
}

/// A page's reports as one number: their payloads in order, hashed (two pages of the same
/// reports in the same order have the same; a page is not kept to be compared).
fn fingerprint(records: &[RawRecord]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    records.len().hash(&mut hasher);
    for r in records {
        r.payload.hash(&mut hasher);
    }
    hasher.finish()
}

/// The newest `updated_at` of a page's reports, as a time and as the source wrote it.
type Newest = Option<(DateTime<Utc>, String)>;

/// How a walk over the pages of one time ended.
struct After {
    /// The newest `updated_at` of its last page, when it went past the walk's time.
    newest: Option<(DateTime<Utc>, String)>,
    /// Its last page was not full: nothing is left after it.
    done: bool,
}

impl Pager {
    /// A page's reports as records, the newest `updated_at` among them, and whether every
    /// one of them is of that time.
    fn records(page: Page) -> (Vec<RawRecord>, Newest, bool) {
        let received_at = Utc::now();
        let mut newest: Option<(DateTime<Utc>, String)> = None;
        let mut oldest: Option<DateTime<Utc>> = None;
        let mut timed = 0;
        let mut records = Vec::with_capacity(page.data.len());
        for item in page.data {
            let key: Option<Key> = aduan_core::json::lenient_value(&item);
            let id = key.as_ref().and_then(|k| match &k.tracking_id {
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                _ => None,
            });
            let updated = key.as_ref().and_then(|k| match &k.updated_at {
                // Sent back as `updated_from`, which the API takes with an offset.
                Some(serde_json::Value::String(s)) => {
                    aduan_core::time::parse_source(s).zip(aduan_core::time::as_query_time(s))
                }
                _ => None,
            });
            // A report dated later than this clock (a source's mistake, see `ahead_of`) does
            // not move the cursor: it would carry it past reports not read yet. It is read
            // again from there (and recognised).
            let updated = updated.filter(|(t, _)| !aduan_core::time::ahead_of(*t, received_at));
            if let Some((t, s)) = updated {
                timed += 1;
                oldest = Some(oldest.map_or(t, |o| o.min(t)));
                if newest.as_ref().is_none_or(|(n, _)| t > *n) {
                    newest = Some((t, s));
                }
            }
            records.push(RawRecord {
                source_ref: format!(
                    "{}#tracking_id={}",
                    aduan_transport::shown(&page.url),
                    id.as_deref().unwrap_or("?")
                ),
                external_id: id,
                received_at,
                payload: item,
            });
        }
        let one_time = timed == records.len()
            && newest
                .as_ref()
                .is_some_and(|(n, _)| oldest.is_some_and(|o| o == *n));
        (records, newest, one_time)
    }

    /// Moves on from a page (or a walk) that ended as `after` says: to page 1 of its newest
    /// time, which becomes the cursor when it is after the cursor saved, or to the end.
    fn settle(&mut self, after: After) -> Option<String> {
        self.page = 1;
        self.done = after.done;
        let (t, s) = after.newest?;
        // The look-back is over at the saved cursor: the walk read on from there.
        if self
            .window
            .as_ref()
            .is_some_and(|w| !w.probing && w.rest.is_none() && t >= w.until)
        {
            self.done = true;
        }
        self.from = Some(s.clone());
        self.from_instant = Some(t);
        // A time of the look-back, before the saved cursor (or at it), is not saved: the
        // cursor never moves back.
        if self.saved.is_some_and(|saved| t <= saved) {
            return None;
        }
        self.saved = Some(t);
        Some(s)
    }

    /// A walk over the pages of the cursor's time (a full page held nothing newer) has
    /// ended on `self.page`, as `after` says. Reports read on its earlier pages may have
    /// moved to the end meanwhile, shifting later reports of that time onto pages already
    /// read: its pages are read again, last to first (a report that moves now only shifts
    /// the rest towards pages still to read), before the cursor moves past that time.
    fn walk_back(&mut self, after: After) {
        self.back = Some(self.page - 1);
        self.after = Some(after);
    }

    /// The walk's time filled its pages exactly (the page after them empty, or the last
    /// again past the last): its pages read again, then the walk stops; the empty batch
    /// handed on meanwhile.
    fn filled_exactly(&mut self) -> Batch {
        self.walk_back(After {
            newest: None,
            done: true,
        });
        Batch {
            records: Vec::new(),
            cursor: None,
            again: Vec::new(),
        }
    }
}

#[async_trait]
impl BatchSource for Pager {
    async fn next_batch(&mut self) -> Result<Option<Batch>> {
        loop {
            if self.done && self.back.is_none() {
                // The walk on from the cursor is over: the look-back goes on.
                let Some(rest) = self.window.as_mut().and_then(|w| w.rest.take()) else {
                    return Ok(None);
                };
                self.from = rest.from;
                self.from_instant = rest.from_instant;
                self.page = rest.page;
                self.last_listed = rest.last_listed;
                self.done = false;
            }
            if let Some(batch) = self.step().await? {
                return Ok(Some(batch));
            }
        }
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

impl Pager {
    /// Reads the next page: `None` when it holds nothing to hand over (the walk at its end).
    async fn step(&mut self) -> Result<Option<Batch>> {
        if let Some(back) = self.back {
            let page = self.connector.page(self.from.as_deref(), back).await?;
            let (records, _, _) = Self::records(page);
            let cursor = if back > 1 {
                self.back = Some(back - 1);
                None
            } else {
                self.back = None;
                self.after.take().and_then(|after| self.settle(after))
            };
            return Ok(Some(Batch {
                records,
                cursor,
                again: Vec::new(),
            }));
        }
        if self.done {
            return Ok(None);
        }
        let page = self.connector.page(self.from.as_deref(), self.page).await?;
        // Full at the size asked, or at the server's own when it pages by fewer (review: a
        // server capping pages below `per_page` looked done after each page, and a time shared
        // by more reports than its cap was never walked past).
        let asked = self.connector.inner.config.per_page;
        let paged_by = page.per_page.map_or(asked, |p| p.min(asked));
        let full = page.data.len() as u32 >= paged_by
            // Or a page before the last the server says it has (`meta.total_pages`), whatever
            // its length, when its `total` makes those pages at this page's length, or more
            // than at the size it says: it pages by fewer than its `meta.per_page` says,
            // echoing the number asked (review, session 46: each page looked like the last,
            // and a time shared by more reports than its cap was never walked past, run after
            // run). A `total_pages` its `total` makes at the size it says, and not at this
            // page's length, counts the whole list, not the reports from `updated_from`
            // (review, session 46, rpull: the walk asked on past its last page at each run's
            // cursor, and failed on a last page answered again past it).
            || page.total_pages.is_some_and(|pages| {
                let length = page.data.len() as u64;
                u64::from(self.page) < pages
                    && page.total.is_none_or(|total| {
                        (length > 0 && pages == total.div_ceil(length))
                            || pages > total.div_ceil(u64::from(paged_by.max(1)))
                    })
            });
        if page.data.is_empty() {
            if self.page > 1 {
                // The walk's time filled its pages exactly: read them again, then stop.
                return Ok(Some(self.filled_exactly()));
            }
            self.done = true;
            return Ok(None);
        }
        let past_the_last = page
            .total_pages
            .is_some_and(|pages| u64::from(self.page) > pages);
        let (records, newest, one_time) = Self::records(page);
        // The reports of a page after the first the same as the page before, in the same
        // order: the server does not page on from `page` (it ignores it). The walk would ask
        // for the next page until the run's time ran out, run after run, nothing later than
        // its time ever read (review).
        let listed = fingerprint(&records);
        if self.page > 1 && self.last_listed == Some(listed) {
            if past_the_last {
                // Unless the page asked is past the last the server says it has: it answers
                // one with its last again, as a correct server may. The walk's time filled its
                // pages exactly, as with an empty page: read them again, then stop (review: the
                // run stopped with an error, run after run until a later report came).
                return Ok(Some(self.filled_exactly()));
            }
            // Or reports came into the walk's time ahead of its page since the page before
            // was read (updated to that same second), as many as a page holds (with
            // `per_page` 1, one): the reports of that page moved onto this one. The page
            // before is asked again: a server that pages on answers it otherwise now (what
            // came is read when the walk's pages are read again, at its end), one that does
            // not, the same (review, session 46: the run stopped saying the server does not
            // page on, and the next went on).
            let before = self
                .connector
                .page(self.from.as_deref(), self.page - 1)
                .await?;
            let (before, _, _) = Self::records(before);
            if fingerprint(&before) == listed {
                return Err(Error::Upstream {
                    channel: CHANNEL.into(),
                    message: format!(
                        "GET laporan page {} from {}: the same reports as page {}, asked again: \
                         the server does not page on from `page`; the next run goes on from its \
                         saved time",
                        self.page,
                        self.from.as_deref().unwrap_or("the beginning"),
                        self.page - 1
                    ),
                });
            }
            self.connector.inner.http.count("page_shifted");
        }
        self.last_listed = Some(listed);
        let newest_at = newest.as_ref().map(|(t, _)| *t);
        let progressed = match (&newest, self.from_instant) {
            (Some((t, _)), Some(from)) => *t > from,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let after = After {
            newest: if progressed { newest } else { None },
            done: !full,
        };
        let cursor = if self.page > 1 && (progressed || !full) {
            // The cursor stays until the walk's pages have been read again.
            self.walk_back(after);
            None
        } else if progressed {
            let cursor = self.settle(after);
            if one_time && full && !self.done {
                // Every report of this first page is of its newest time, later than it was
                // asked from: nothing lies between, and it is that time's first page too. The
                // walk goes on over that time's pages from the second (and reads them again,
                // last to first, as any such walk), not asking for this page again (lead,
                // session 48: the look-back's first page, all of one time, was asked again
                // when the rest of the window was read, and again by that walk).
                self.page = 2;
            }
            cursor
        } else {
            // A whole page at the cursor's time: walk its pages, the cursor stays.
            self.page += 1;
            self.done = !full;
            None
        };
        if let Some(w) = self.window.as_mut().filter(|w| w.probing) {
            w.probing = false;
            if self.done || newest_at.is_some_and(|t| t >= w.until) {
                // The first page reached the saved cursor (or holds all there is): the walk
                // goes on from it as from any time, the look-back read.
                self.window = None;
            } else {
                // The window holds more than a page: the walk on from the cursor first, the
                // rest of the window after it.
                w.rest = Some(Resume {
                    from: self.from.take(),
                    from_instant: self.from_instant,
                    page: self.page,
                    last_listed: self.last_listed,
                });
                self.from = Some(w.cursor.0.clone());
                self.from_instant = Some(w.cursor.1);
                self.page = 1;
                self.last_listed = None;
            }
        }
        Ok(Some(Batch {
            records,
            cursor,
            again: Vec::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use aduan_core::PullConnector;

    #[test]
    fn a_cursor_an_operator_sets_is_saved_as_the_connector_sends_it() {
        let check = <super::Sp4nLapor as PullConnector>::check_cursor;
        assert_eq!(
            check(" 2021-09-12 10:00:00+07:00\n").unwrap(),
            "2021-09-12T10:00:00+07:00"
        );
        assert_eq!(
            check("2021-09-12t03:00:00.250z").unwrap(),
            "2021-09-12T03:00:00.250Z"
        );
        // Without an offset, as a source may give it: WIB (review: the connector saved such
        // a cursor, and `aduan cursor set` refused it back).
        assert_eq!(
            check("2021-09-12T10:00:00").unwrap(),
            "2021-09-12T10:00:00+07:00"
        );
        for bad in [
            "kemarin",
            "2021-09-12",
            "2099-01-01T00:00:00Z",
            "1969-12-31T23:00:00Z",
        ] {
            let e = check(bad).unwrap_err().to_string();
            assert!(e.contains("sp4n_lapor") && e.contains(bad), "{e}");
        }
    }
}
