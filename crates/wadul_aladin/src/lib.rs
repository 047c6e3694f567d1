//! The Wadul Aladin / Lapor Ajib connector (`wadul_aladin`): the city's WhatsApp line.
//!
//! Two streams joined into complaints: the WhatsApp Business Platform's webhooks (push,
//! [`webhook`]: messages, at least once and out of order) and the complaint team's case
//! register, a CSV sheet re-read whole on a schedule (pull, [`WadulAladin`]). Every payload
//! is grouped by its sender, and a sender's complaints are folded from all of them
//! ([`PullConnector::FOLD`]): messages form one thread until 24 hours pass without one (or
//! the case register closes the case), a thread's identity is the `wamid` of its first
//! message, and a case joins the thread its `ID Pesan Pertama` names, whenever either
//! arrives. A case typed in by hand (no `wamid`) is a complaint of its own.
//!
//! ```
//! let cfg: aduan_wadul_aladin::Config = serde_json::from_str(
//!     r#"{"register_url":"http://127.0.0.1:8700/wadul-aladin/register.csv"}"#,
//! ).unwrap();
//! assert_eq!(cfg.app_secret_env, "ADUAN_WADUL_ALADIN_APP_SECRET");
//! assert!(cfg.register_auth_env.is_none());
//! ```
#![deny(missing_docs)]

mod parse;
pub mod webhook;

use std::collections::BTreeMap;
use std::sync::Arc;

use aduan_core::{
    Batch, BatchSource, Error, FaultCounts, FieldError, Fold, PullConnector, RawRecord, Result,
    Secret, SourceComplaint, Window,
};
use aduan_transport::HttpClient;
use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;

pub use parse::{sender_key, WAMID_ID};

/// The channel id.
pub const CHANNEL: &str = "wadul_aladin";

/// The webhook path of the contract.
pub const WEBHOOK_PATH: &str = "/webhooks/wadul-aladin";

/// Rows of the register per batch.
const BATCH_ROWS: usize = 2_000;

/// Settings of the `[channels.wadul_aladin]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// URL of the case register, published as CSV.
    pub register_url: String,
    /// Name of the environment variable holding the register's `Authorization` header
    /// value, if it needs one.
    #[serde(default)]
    pub register_auth_env: Option<String>,
    /// Name of the environment variable holding the app secret that signs webhooks.
    #[serde(default = "default_app_secret_env")]
    pub app_secret_env: String,
    /// Name of the environment variable holding the subscription verify token.
    #[serde(default = "default_verify_token_env")]
    pub verify_token_env: String,
    /// Time limit of one request, in seconds.
    #[serde(default = "aduan_transport::defaults::timeout_secs")]
    pub timeout_secs: u64,
    /// Attempts per request before the run stops.
    #[serde(default = "aduan_transport::defaults::max_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry, in milliseconds; doubled on each retry.
    #[serde(default = "aduan_transport::defaults::retry_base_ms")]
    pub retry_base_ms: u64,
}

fn default_app_secret_env() -> String {
    "ADUAN_WADUL_ALADIN_APP_SECRET".into()
}
fn default_verify_token_env() -> String {
    "ADUAN_WADUL_ALADIN_VERIFY_TOKEN".into()
}

/// Reads a secret from the environment variable `var`, or says which one is missing.
pub(crate) fn secret_from_env(var: &str, what: &str) -> Result<Secret> {
    Secret::required(var, CHANNEL, what)
}

/// The case register connector.
#[derive(Debug, Clone)]
pub struct WadulAladin {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    auth: Option<Secret>,
    http: HttpClient,
}

impl WadulAladin {
    /// A connector with the register's `Authorization` value given (the configuration path
    /// reads it from the environment instead).
    pub fn with_auth(config: Config, auth: Option<Secret>) -> Result<Self> {
        <Self as PullConnector>::check_settings(&config)?;
        let http = HttpClient::from_settings(
            CHANNEL,
            config.timeout_secs,
            config.max_attempts,
            config.retry_base_ms,
        )?;
        // A server may echo what it refuses: the errors quoting its answers show neither the
        // `Authorization` value nor its credentials (after `Bearer `, `Basic `).
        if let Some(a) = &auth {
            http.hide("authorization", a);
            if let Some((_, credentials)) = a.expose().split_once(' ') {
                http.hide("credentials", &Secret::new(credentials.trim()));
            }
        }
        Ok(Self {
            inner: Arc::new(Inner { config, auth, http }),
        })
    }
}

#[async_trait]
impl PullConnector for WadulAladin {
    const CHANNEL: &'static str = CHANNEL;
    type Config = Config;
    const FOLD: Option<Fold> = Some(Fold {
        keys: parse::keys,
        parse: parse::fold,
        versions: Some(parse::versions),
        // A sender's threads, each ending after a day of silence (see `parse::THREAD_GAP`).
        window: Some(Window {
            span: parse::span,
            run_from: parse::run_from,
            silence: parse::THREAD_GAP,
            parse: parse::fold_threads,
        }),
    });

    fn from_config(config: Config) -> Result<Self> {
        let auth = match &config.register_auth_env {
            Some(var) => Some(secret_from_env(var, "register's Authorization header")?),
            None => None,
        };
        Self::with_auth(config, auth)
    }

    fn check_settings(config: &Config) -> Result<()> {
        aduan_transport::check_url(CHANNEL, "register_url", &config.register_url)?;
        aduan_transport::check_settings(
            CHANNEL,
            config.timeout_secs,
            config.max_attempts,
            config.retry_base_ms,
        )
    }

    /// The register is read whole every run (rows are edited in place); a row whose bytes
    /// are unchanged is recognised by its hash and changes nothing. The cursor holds the
    /// versions of each case last read (its `No Aduan` and its rows' hashes; a case has one
    /// row: a row repeating another's number is not read, and named, see `next_batch`): a row in another version is handed over as
    /// changed ([`Batch::again`]), so that a row edited back to an earlier version (A, then
    /// B, then A again) is the case's newest version again, though its bytes were archived
    /// before. A case of the last read that the register no longer holds is noted in the
    /// archive as gone, in a batch of its own before the rows (see `next_batch`). The cursor
    /// goes with every batch that changes it, so a run that stops early loses none of it.
    async fn open(&self, cursor: Option<String>) -> Result<Box<dyn BatchSource>> {
        // The client serves run after run: this run's faults are those from here on.
        let faults_base = self.inner.http.faults();
        let last = match cursor
            .as_deref()
            .map(serde_json::from_str::<RegisterCursor>)
        {
            None => RegisterCursor::default(),
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                // Every row is then taken as changed: folded again, nothing lost.
                tracing::warn!(channel = CHANNEL, error = %e, "The saved cursor is not the register's; every row is read as changed.");
                RegisterCursor::default()
            }
        };
        Ok(Box::new(Register {
            faults_base,
            connector: self.clone(),
            rows: None,
            saved: last.cases.clone(),
            last: last.cases,
            read: BTreeMap::new(),
            done: false,
            left: Vec::new(),
        }))
    }

    /// The versions of each case in the register's last read (as a run saved it; clear it to
    /// take every row as changed).
    fn check_cursor(cursor: &str) -> Result<String> {
        serde_json::from_str::<RegisterCursor>(cursor)
            .and_then(|c| serde_json::to_string(&c))
            .map_err(|e| Error::Config {
                channel: CHANNEL.into(),
                message: format!("the cursor is not the register's ({e})"),
            })
    }

    fn parse(raw: &RawRecord) -> Result<Vec<SourceComplaint>, FieldError> {
        let mut out = Vec::new();
        for key in parse::keys(raw)? {
            let folded = parse::fold(&key, std::slice::from_ref(raw));
            if let Some((_, e)) = folded.errors.into_iter().next() {
                return Err(e);
            }
            out.extend(folded.complaints);
        }
        Ok(out)
    }
}

struct Register {
    /// The client's faults when the run began.
    faults_base: FaultCounts,
    connector: WadulAladin,
    rows: Option<std::vec::IntoIter<RawRecord>>,
    /// The cursor this run began with.
    last: BTreeMap<String, Vec<String>>,
    /// The cursor as last handed over.
    saved: BTreeMap<String, Vec<String>>,
    /// The versions of this read so far.
    read: BTreeMap<String, Vec<String>>,
    /// Whether the read is over (its last cursor handed over, if it had one).
    done: bool,
    /// Rows not read, each named with why (see [`BatchSource::left_behind`]).
    left: Vec<String>,
}

/// The register's cursor: the versions of each case in the last read.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
struct RegisterCursor {
    /// [`case_key`] → the [`row_hash`]es of its rows.
    cases: BTreeMap<String, Vec<String>>,
}

/// A row's fingerprint in the cursor: 16 hex digits of its SHA-256.
fn row_hash(payload: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(payload)[..8])
}

/// The case a register row is a version of: its `No Aduan`; a row without one (quarantined
/// when parsed) stands for itself, by its hash.
fn case_key(payload: &[u8], hash: &str) -> String {
    parse::case_number(payload).unwrap_or_else(|| format!("#{hash}"))
}

impl Register {
    /// Hands `cases` over as the cursor.
    fn cursor(&mut self, cases: BTreeMap<String, Vec<String>>) -> Option<String> {
        let cursor = RegisterCursor { cases };
        let text = serde_json::to_string(&cursor).ok();
        self.saved = cursor.cases;
        text
    }
}

#[async_trait]
impl BatchSource for Register {
    async fn next_batch(&mut self) -> Result<Option<Batch>> {
        if self.rows.is_none() {
            let inner = &self.connector.inner;
            let url = &inner.config.register_url;
            let what = "GET case register";
            let resp = inner
                .http
                .send(what, |c| {
                    let req = c.get(url);
                    match &inner.auth {
                        Some(a) => aduan_transport::secret_header(req, "authorization", a),
                        None => req,
                    }
                })
                .await?;
            if !resp.is_success() {
                return Err(resp.unexpected(CHANNEL, what));
            }
            // The register's CSV begins with its header: an empty answer, or a page in its
            // place (a sign-in page for a share link that expired), is not the register
            // (review: its lines were read as case rows, the run `ok`); nor is a sheet whose
            // header lacks a column read, which would be misread in every row. The error
            // names the sheet (its URL), the answer's status, and what is missing or what
            // came instead. A web page is quoted (its title names whose page it is); a sheet
            // is not: its first row, when it is no header, is a case, and may name its
            // reporter (review, session 45: a walk-in's name was in the run's error).
            if let Some(why) = parse::not_the_register(&resp.body) {
                return Err(if parse::is_web_page(&resp.body) {
                    resp.unexpected_because(CHANNEL, what, &why)
                } else {
                    resp.unexpected_unquoted(CHANNEL, what, &why)
                });
            }
            let now = Utc::now();
            let shown = aduan_transport::shown(&resp.url);
            let mut rows = aduan_transport::csv_rows::split(&shown, &resp.body, b',', now, None);
            // A `No Aduan` is one case's (the contract: unique). Of rows repeating one, the
            // one this case was last read as is read (a row byte for byte the same as
            // another, once, in silence); when none is, none: the others are named and the
            // run is `partial` until the sheet is put right (review: the second was read as
            // the first's newer version, and one case was lost in silence; a row put above
            // the case's own took its place).
            let mut rows_of: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for (i, r) in rows.iter().enumerate() {
                if let Some(no) = parse::case_number(&r.payload) {
                    rows_of.entry(no).or_default().push(i);
                }
            }
            let mut dropped = vec![false; rows.len()];
            for (no, at) in rows_of.iter().filter(|(_, at)| at.len() > 1) {
                let hashes: Vec<String> = at.iter().map(|&i| row_hash(&rows[i].payload)).collect();
                let known = self.last.get(no);
                let kept = hashes
                    .iter()
                    .position(|h| known.is_some_and(|k| k.contains(h)))
                    .or_else(|| hashes.iter().all(|h| *h == hashes[0]).then_some(0));
                for (n, &i) in at.iter().enumerate() {
                    if Some(n) == kept {
                        continue;
                    }
                    dropped[i] = true;
                    // The same bytes as the row kept: nothing to say.
                    if kept.is_some_and(|k| hashes[k] == hashes[n]) {
                        continue;
                    }
                    inner.http.count("case_number_repeated");
                    let others: Vec<&str> = at
                        .iter()
                        .filter(|&&j| j != i)
                        .map(|&j| rows[j].source_ref.as_str())
                        .collect();
                    self.left.push(format!(
                        "row {} (its No Aduan {no} is also on row {}: not read until one of them is renumbered)",
                        rows[i].source_ref,
                        others.join(", ")
                    ));
                }
            }
            let mut dropped = dropped.into_iter();
            rows.retain(|_| !dropped.next().unwrap_or(false));
            self.rows = Some(rows.into_iter());
            // The cases of the last read no longer in the register (a row deleted, a number
            // edited): each noted in the archive as a version of its own, in a batch before
            // the read's rows, so that a case under a new number that carries it on is folded
            // knowing it (see `parse::fold_with`), and a rebuild from the archive knows it as
            // the sync did. They leave the cursor with that batch (noted once). A case whose
            // rows repeat another's number is still in the register (its rows not read). A
            // key that is no case number (a reporter's number typed as one, which a release
            // without the check kept as a case's: see `parse::is_case_number`) was never a
            // case and leaves none: the read's end drops it from the cursor, and no note puts
            // it in the archive again (review, session 44: the first read after the upgrade
            // noted the number as a case gone, in the note and in its `source_ref`).
            let left: Vec<String> = self
                .last
                .keys()
                .filter(|no| {
                    !no.starts_with('#') && parse::is_case_number(no) && !rows_of.contains_key(*no)
                })
                .cloned()
                .collect();
            if !left.is_empty() {
                let records = left
                    .iter()
                    .map(|no| RawRecord {
                        source_ref: format!("{shown}:{no}"),
                        external_id: None,
                        received_at: now,
                        payload: parse::departure(no, now),
                    })
                    .collect();
                for no in &left {
                    self.last.remove(no);
                }
                let cases = self.last.clone();
                return Ok(Some(Batch {
                    records,
                    cursor: self.cursor(cases),
                    again: Vec::new(),
                }));
            }
        }
        let batch: Vec<RawRecord> = self
            .rows
            .as_mut()
            .map(|r| r.by_ref().take(BATCH_ROWS).collect())
            .unwrap_or_default();
        if batch.is_empty() {
            if self.done {
                return Ok(None);
            }
            self.done = true;
            // The read is whole: it is the cursor (cases no longer in the register leave it).
            if self.read == self.saved {
                return Ok(None);
            }
            let cases = std::mem::take(&mut self.read);
            return Ok(Some(Batch {
                records: Vec::new(),
                cursor: self.cursor(cases),
                again: Vec::new(),
            }));
        }
        let mut again = Vec::new();
        for (i, r) in batch.iter().enumerate() {
            let hash = row_hash(&r.payload);
            let key = case_key(&r.payload, &hash);
            if !self.last.get(&key).is_some_and(|v| v.contains(&hash)) {
                again.push(i);
            }
            let versions = self.read.entry(key).or_default();
            if !versions.contains(&hash) {
                versions.push(hash);
            }
        }
        // The cursor changes with the versions this batch hands over, and is saved with it:
        // the cursor the run began with, with the cases read so far as they are now.
        let cursor = if again.is_empty() {
            None
        } else {
            let mut cases = self.last.clone();
            cases.extend(self.read.iter().map(|(k, v)| (k.clone(), v.clone())));
            self.cursor(cases)
        };
        Ok(Some(Batch {
            records: batch,
            cursor,
            again,
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

    fn left_behind(&self) -> Vec<String> {
        self.left.clone()
    }
}
