//! The Pantau Pekalongan connector (`smart_city`): the city's smart-city reporting app.
//!
//! Two streams of the same reports: signed webhooks (push, [`webhook`]) and a keyset-paged
//! backfill API (pull, [`SmartCity`]) that finds what a lost webhook missed; each run reads on
//! from its saved cursor and then reads again the `lookback_secs` before it, so that a version
//! the app commits late (dated before rows already served) is found too. Both carry versions of a report; a
//! report's complaint is folded from every version received ([`PullConnector::FOLD`]): the
//! highest version wins, whatever order they came in, and a `report.deleted` marks the
//! complaint withdrawn (never removed).
//!
//! ```
//! let cfg: aduan_smart_city::Config = serde_json::from_str(
//!     r#"{"base_url":"http://127.0.0.1:8700/smart-city"}"#,
//! ).unwrap();
//! assert_eq!(cfg.limit, 200);
//! assert_eq!(cfg.lookback_secs, 600);
//! assert_eq!(cfg.webhook_secret_env, "ADUAN_SMART_CITY_WEBHOOK_SECRET");
//! ```
#![deny(missing_docs)]

mod parse;
pub mod webhook;

use std::sync::Arc;

use aduan_core::{
    Batch, BatchSource, Error, FaultCounts, FieldError, Fold, PullConnector, RawRecord, Result,
    Secret, SourceComplaint,
};
use aduan_transport::HttpClient;
use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The channel id.
pub const CHANNEL: &str = "smart_city";

/// The webhook path of the contract.
pub const WEBHOOK_PATH: &str = "/webhooks/smart-city";

/// Settings of the `[channels.smart_city]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Base URL of the app's API (the `{base}` of the contract).
    pub base_url: String,
    /// Name of the environment variable holding the backfill's bearer token.
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Name of the environment variable holding the webhook signing secret.
    #[serde(default = "default_webhook_secret_env")]
    pub webhook_secret_env: String,
    /// Reports per backfill page, 1 to 200.
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Time limit of one request, in seconds.
    #[serde(default = "aduan_transport::defaults::timeout_secs")]
    pub timeout_secs: u64,
    /// Attempts per request before the run stops (it resumes from its cursor next run).
    #[serde(default = "aduan_transport::defaults::max_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry, in milliseconds; doubled on each retry.
    #[serde(default = "aduan_transport::defaults::retry_base_ms")]
    pub retry_base_ms: u64,
    /// How far before its saved cursor a run reads again, after reading on from the cursor, in
    /// seconds (default 600, at most 86 400; 0 reads on from the cursor only). A version the
    /// app's backend commits late is dated before rows already served, so before the cursor
    /// saved since: a walk resumed exactly after the cursor never reads it, and with its
    /// webhook lost it is lost for good. The rows read again are recognised by their bytes
    /// (unchanged), and the saved cursor never moves back. Read after the walk on from the
    /// cursor, so that a run stopped inside it has saved its progress.
    #[serde(default = "aduan_core::lookback::default_secs")]
    pub lookback_secs: u64,
}

fn default_token_env() -> String {
    "ADUAN_SMART_CITY_TOKEN".into()
}
fn default_webhook_secret_env() -> String {
    "ADUAN_SMART_CITY_WEBHOOK_SECRET".into()
}
fn default_limit() -> u32 {
    200
}
/// `lookback_secs` unless set: 10 minutes (see [`aduan_core::lookback`]).
pub const DEFAULT_LOOKBACK_SECS: u64 = aduan_core::lookback::DEFAULT_SECS;

fn config_err(message: impl Into<String>) -> Error {
    Error::Config {
        channel: CHANNEL.into(),
        message: message.into(),
    }
}

/// Reads a secret from the environment variable `var`, or says which one is missing.
pub(crate) fn secret_from_env(var: &str, what: &str) -> Result<Secret> {
    Secret::required(var, CHANNEL, what)
}

/// The backfill connector.
#[derive(Debug, Clone)]
pub struct SmartCity {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    token: Secret,
    http: HttpClient,
}

impl SmartCity {
    /// A connector with its bearer token given (the configuration path reads it from the
    /// environment instead).
    pub fn with_token(config: Config, token: Secret) -> Result<Self> {
        <Self as PullConnector>::check_settings(&config)?;
        let http = HttpClient::from_settings(
            CHANNEL,
            config.timeout_secs,
            config.max_attempts,
            config.retry_base_ms,
        )?;
        // A server may echo the token it refuses: the errors quoting its answers do not.
        http.hide("backfill token", &token);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                token,
                http,
            }),
        })
    }
}

/// Where the backfill stopped: the last row's `(updated_at, id)`, as the API wrote them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    updated_after: String,
    after_id: String,
}

#[derive(Deserialize)]
struct Page {
    reports: Vec<Box<RawValue>>,
    has_more: bool,
}

/// The two fields paging needs, read leniently: a malformed report is still archived (and
/// quarantined by the fold), never a reason to stop.
#[derive(Deserialize)]
struct Key {
    id: Option<String>,
    updated_at: Option<String>,
    deleted_at: Option<String>,
}

#[async_trait]
impl PullConnector for SmartCity {
    const CHANNEL: &'static str = CHANNEL;
    type Config = Config;
    const FOLD: Option<Fold> = Some(Fold {
        keys: parse::keys,
        parse: parse::fold,
        // A report's one group is its id: every version is in it.
        versions: None,
        // A report's group is its versions: small, read whole.
        window: None,
    });

    fn from_config(config: Config) -> Result<Self> {
        let token = secret_from_env(&config.token_env, "backfill token")?;
        Self::with_token(config, token)
    }

    fn check_settings(config: &Config) -> Result<()> {
        aduan_core::check_within(CHANNEL, "limit", config.limit, 1..=200)?;
        aduan_core::lookback::check(CHANNEL, config.lookback_secs)?;
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
        let mut floor = None;
        let mut back = None;
        let cursor = match cursor {
            Some(c) => {
                let mut saved = serde_json::from_str::<Cursor>(&c).map_err(|e| {
                    config_err(format!(
                        "the saved cursor {c:?} is not this connector's: {e}"
                    ))
                })?;
                // As the backfill gave it (without an offset: WIB).
                let at = aduan_core::time::read_rfc3339(&saved.updated_after)
                    .or_else(|| aduan_core::time::parse_source(&saved.updated_after));
                aduan_core::time::saved_cursor(CHANNEL, &c, at)?;
                // Sent as `updated_after`, an RFC 3339 time.
                if let Some(t) = aduan_core::time::as_query_time(&saved.updated_after) {
                    saved.updated_after = t;
                }
                if let Some(at) = at {
                    floor = Some((at, saved.after_id.clone()));
                    // The window before the cursor is read again (hunt, session 46: a
                    // version committed late, dated before it, was never read), after the
                    // walk on from the cursor (review: a run stopped inside it saved nothing).
                    let window = i64::try_from(self.inner.config.lookback_secs)
                        .ok()
                        .filter(|s| *s > 0)
                        .and_then(chrono::TimeDelta::try_seconds);
                    back = window
                        .and_then(|window| at.checked_sub_signed(window))
                        .map(|t| LookBack {
                            // With the cursor's id, as the contract's query pairs the two.
                            from: Cursor {
                                updated_after: t
                                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                                after_id: saved.after_id.clone(),
                            },
                            until: (at, saved.after_id.clone()),
                        });
                }
                Some(saved)
            }
            None => None,
        };
        Ok(Box::new(Backfill {
            faults_base,
            connector: self.clone(),
            cursor,
            back,
            until: None,
            saved: floor,
            done: false,
        }))
    }

    /// Where the backfill stopped: `{"updated_after":"<ISO 8601>","after_id":"<id>"}`.
    /// Saved with `updated_after` in RFC 3339's own form (UTC).
    fn check_cursor(cursor: &str) -> Result<String> {
        let mut saved = serde_json::from_str::<Cursor>(cursor).map_err(|e| {
            config_err(format!(
                "the cursor {cursor:?} is not {{\"updated_after\":\"<time>\",\"after_id\":\"<id>\"}}: {e}"
            ))
        })?;
        let t = aduan_core::time::parse_source(&saved.updated_after);
        aduan_core::time::set_cursor(
            CHANNEL,
            cursor,
            t,
            "a JSON object whose updated_after is an ISO 8601 time (without an offset: WIB)",
        )?;
        if let Some(t) = t {
            saved.updated_after = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        }
        serde_json::to_string(&saved).map_err(|e| config_err(e.to_string()))
    }

    fn parse(raw: &RawRecord) -> Result<Vec<SourceComplaint>, FieldError> {
        let key = parse::keys(raw)?.pop().unwrap_or_default();
        let folded = parse::fold(&key, std::slice::from_ref(raw));
        match folded.errors.into_iter().next() {
            Some((_, e)) => Err(e),
            None => Ok(folded.complaints),
        }
    }
}

struct Backfill {
    /// The client's faults when the run began.
    faults_base: FaultCounts,
    connector: SmartCity,
    /// Where the next page starts: after the last row read (or the saved cursor).
    cursor: Option<Cursor>,
    /// The look-back still to read once the walk on from the saved cursor is at its end.
    back: Option<LookBack>,
    /// In the look-back: the saved cursor, where it ends.
    until: Option<(chrono::DateTime<Utc>, String)>,
    /// The key of the cursor saved last (at first the one the run began at): a cursor not
    /// after it is not saved again, so that the rows read again before it do not move it
    /// back.
    saved: Option<(chrono::DateTime<Utc>, String)>,
    done: bool,
}

/// The rows before the saved cursor read again, after the walk on from it: a run that stops
/// inside them has saved its progress (review, session 46: read first, a window holding more
/// than a run could read kept every run from reading on past the cursor).
struct LookBack {
    /// Where it starts: the saved cursor's time less `lookback_secs`, with its id (review,
    /// session 46: `updated_after` asked alone, a server taking the two together refused it).
    from: Cursor,
    /// The saved cursor, where the look-back ends: the walk read on from there.
    until: (chrono::DateTime<Utc>, String),
}

#[async_trait]
impl BatchSource for Backfill {
    async fn next_batch(&mut self) -> Result<Option<Batch>> {
        loop {
            if self.done {
                return Ok(None);
            }
            if let Some(batch) = self.page().await? {
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

impl Backfill {
    /// Turns to the look-back, when there is one to read: whether there is.
    fn look_back(&mut self) -> bool {
        match self.back.take() {
            Some(back) => {
                self.cursor = Some(back.from);
                self.until = Some(back.until);
                true
            }
            None => false,
        }
    }

    /// Reads the next page: `None` when it holds nothing to hand over (the walk at its end,
    /// `done`, or turned to the look-back).
    async fn page(&mut self) -> Result<Option<Batch>> {
        let inner = &self.connector.inner;
        let url = format!(
            "{}/api/reports",
            inner.config.base_url.trim_end_matches('/')
        );
        let mut query = vec![("limit", inner.config.limit.to_string())];
        if let Some(c) = &self.cursor {
            query.push(("updated_after", c.updated_after.clone()));
            query.push(("after_id", c.after_id.clone()));
        }
        let what = "GET reports";
        let resp = inner
            .http
            .send_json(what, |c| {
                c.get(&url).query(&query).bearer_auth(inner.token.expose())
            })
            .await?;
        if !resp.is_success() {
            return Err(resp.unexpected(CHANNEL, what));
        }
        let (items, has_more): (Vec<Vec<u8>>, bool) = match serde_json::from_slice::<Page>(
            &resp.body,
        ) {
            Ok(page) => (
                page.reports
                    .into_iter()
                    .map(|item| item.get().as_bytes().to_vec())
                    .collect(),
                page.has_more,
            ),
            // A page one of whose reports is not JSON (a byte that is not UTF-8, a raw line
            // break in a text): split without reading the reports, that one quarantined by the
            // fold and the rest read (review: the page failed, run after run).
            Err(e) => match aduan_core::json::lenient_page(&resp.body, "reports") {
                Some(page) if page.members.get("has_more").is_some_and(|v| v.is_boolean()) => {
                    tracing::warn!(channel = CHANNEL, request = what, error = %e, "A page that is not JSON as a whole: its reports are read one by one.");
                    inner.http.count("page_not_json");
                    (
                        page.items.into_iter().map(<[u8]>::to_vec).collect(),
                        page.members["has_more"].as_bool() == Some(true),
                    )
                }
                _ => return Err(resp.unexpected_json(CHANNEL, what, &e)),
            },
        };
        let received_at = Utc::now();
        let mut last = None;
        // The cursor saved for the next run: the last row not dated later than this clock
        // (see `ahead_of`: a source's mistake would carry it past every report updated until
        // then); this walk pages on from the last row whatever its date.
        let mut saved = None;
        let mut reached = false;
        let mut records = Vec::with_capacity(items.len());
        for item in items {
            // Read as the parser reads it (of a member given twice, the last; serde refused
            // the item's fields so, and it was archived under no id).
            let value: Option<serde_json::Value> = aduan_core::json::lenient_value(&item);
            let key = value.as_ref().and_then(|v| Key::deserialize(v).ok());
            let id = value.as_ref().and_then(parse::record_id);
            // A deletion listed as the webhook's stub has no `updated_at`: its `deleted_at`
            // places it (review: a page of them could not be paged past).
            if let Some(
                Key {
                    id: Some(id),
                    updated_at: Some(at),
                    ..
                }
                | Key {
                    id: Some(id),
                    updated_at: None,
                    deleted_at: Some(at),
                },
            ) = key
            {
                let parsed = aduan_core::time::parse_source(&at);
                let real = parsed.filter(|t| !aduan_core::time::ahead_of(*t, received_at));
                // Sent back as `updated_after`, an RFC 3339 time (WIB's offset added to one
                // written without).
                let c = Cursor {
                    updated_after: aduan_core::time::as_query_time(&at).unwrap_or(at),
                    after_id: id,
                };
                if let Some(t) = real {
                    saved = Some((t, c.clone()));
                }
                // The look-back is over at the saved cursor: the walk read on from there.
                reached |= self.until.as_ref().is_some_and(|(ut, uid)| {
                    parsed.is_some_and(|t| (&t, &c.after_id) >= (ut, uid))
                });
                last = Some(c);
            }
            records.push(RawRecord {
                source_ref: format!(
                    "{}#id={}",
                    aduan_transport::shown(&resp.url),
                    id.as_deref().unwrap_or("?")
                ),
                external_id: id,
                received_at,
                payload: item,
            });
        }
        if records.is_empty() {
            // The walk on from the cursor at its end: the look-back is read next.
            self.done = has_more || self.until.is_some() || !self.look_back();
            // An empty page that says there are more gives nothing to page on from: the
            // rest would be left unread with the run `ok`.
            if has_more {
                return Err(Error::Upstream {
                    channel: CHANNEL.into(),
                    message: format!(
                        "{what}: an empty page says there are more (has_more): nothing to page on from"
                    ),
                });
            }
            return Ok(None);
        }
        // Saved only when after the cursor saved before: the rows read again before it (the
        // look-back) leave it where it is.
        let saved = saved.filter(|(t, c)| {
            self.saved
                .as_ref()
                .is_none_or(|(st, sid)| (t, &c.after_id) > (st, sid))
        });
        let cursor = match last {
            // A server that pages on from nowhere new (it does not take `after_id`) would be
            // asked for the same page until the run's time ran out.
            Some(c) if has_more && !reached && self.cursor.as_ref() == Some(&c) => {
                return Err(Error::Upstream {
                    channel: CHANNEL.into(),
                    message: format!(
                        "{what}: the page after {} / {} ends where it began (has_more, the same last report): the server does not page on from `updated_after` and `after_id`",
                        c.updated_after, c.after_id
                    ),
                })
            }
            Some(c) => {
                self.cursor = Some(c);
                saved.map(|(t, c)| {
                    let json = serde_json::to_string(&c).unwrap_or_default();
                    self.saved = Some((t, c.after_id));
                    json
                })
            }
            // A page whose rows all lack the keyset fields cannot be paged past.
            None if has_more => {
                return Err(Error::Upstream {
                    channel: CHANNEL.into(),
                    message: format!(
                        "{what}: no report of the page has an id and updated_at to continue from"
                    ),
                })
            }
            None => None,
        };
        // At the walk's end, the look-back is read next (from where it starts, not this page).
        self.done = if self.until.is_some() {
            !has_more || reached
        } else {
            !has_more && !self.look_back()
        };
        Ok(Some(Batch {
            records,
            cursor,
            again: Vec::new(),
        }))
    }
}
