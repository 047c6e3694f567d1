//! The Call Center 112 connector (`cc112`): daily call-log CSV exports (`112_YYYYMMDD.csv`),
//! read from a local folder (`dir`) or an HTTP index (`url`).
//!
//! A day's file is rewritten whenever a call of that day changes, so the cursor remembers
//! each file's fingerprint (size, modification time, SHA-256): an unchanged file is not read
//! again, a changed one is read whole and each row is archived as its own raw record (the
//! header line plus the row's bytes, exactly as in the file). Rows that did not change have
//! the same payload as before and change nothing. Files changed in the last `settle_secs` are
//! left for the next run; so is a file whose size or time, looked at again just before and
//! just after it is read, is no longer what was listed (it is being written: nothing of it is
//! handed out). Other files in the folder are ignored. The cursor, which names every file
//! ever read, is handed out at most every half second (`SAVE_AGE`) and with the run's last
//! batch, not after every file (see there).
//!
//! ```
//! let cfg: aduan_cc112::Config = serde_json::from_str(r#"{"dir":"/srv/112"}"#).unwrap();
//! assert_eq!(cfg.settle_secs, 10);
//! ```
#![deny(missing_docs)]

mod parse;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aduan_core::{
    Batch, BatchSource, Error, FaultCounts, FieldError, PullConnector, RawRecord, Result, Secret,
    SourceComplaint, StandIns,
};
use aduan_transport::HttpClient;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The channel id.
pub const CHANNEL: &str = "cc112";

/// Settings of the `[channels.cc112]` table. Give `dir` or `url`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// A local folder the exports are mirrored into (by SFTP). A relative folder is taken
    /// from the current folder (the service's working directory), not from the
    /// configuration file's folder as `[normaliser] tables_dir` is.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// The HTTP index: `{url}/index.json` lists the files, `{url}/{name}` serves each.
    #[serde(default)]
    pub url: Option<String>,
    /// Name of the environment variable holding `user:password` for Basic auth of `url`.
    #[serde(default)]
    pub basic_auth_env: Option<String>,
    /// A file changed within this many seconds is still being written: read next run.
    #[serde(default = "default_settle_secs")]
    pub settle_secs: u64,
    /// Rows per committed batch (a larger file is committed in parts).
    #[serde(default = "default_batch_rows")]
    pub batch_rows: usize,
    /// Time limit of one request, in seconds (`url`).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Attempts per request before the run stops (`url`).
    #[serde(default = "aduan_transport::defaults::max_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry, in milliseconds; doubled on each retry (`url`).
    #[serde(default = "aduan_transport::defaults::retry_base_ms")]
    pub retry_base_ms: u64,
}

fn default_settle_secs() -> u64 {
    10
}
fn default_batch_rows() -> usize {
    5_000
}
fn default_timeout_secs() -> u64 {
    60
}

fn config_err(message: impl Into<String>) -> Error {
    Error::Config {
        channel: CHANNEL.into(),
        message: message.into(),
    }
}

/// The Call Center 112 connector.
#[derive(Debug, Clone)]
pub struct Cc112 {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    basic_auth: Option<Secret>,
    http: HttpClient,
}

/// Whether `name` is a daily export (`112_YYYYMMDD.csv`).
pub fn is_export_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("112_") else {
        return false;
    };
    let Some(date) = rest
        .strip_suffix(".csv")
        .or_else(|| rest.strip_suffix(".CSV"))
    else {
        return false;
    };
    date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit())
}

/// What the cursor remembers of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    size: u64,
    /// Modification time (`dir`) or the index's `modified` (`url`).
    modified: String,
    sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cursor {
    files: BTreeMap<String, Seen>,
}

/// One file to read.
#[derive(Debug, Clone)]
struct Pending {
    name: String,
    size: u64,
    modified: String,
    /// Why it is not read, when the folder lists it as no regular file (a symbolic link, a
    /// pipe): `file_unreadable`, as one that turns into such after listing.
    refused: Option<&'static str>,
    /// The SHA-256 the HTTP index gives it (`url`), which its download must have.
    sha256: Option<String>,
}

/// What reading a listed file gave.
enum FileRead {
    /// Its bytes, whole.
    Bytes(Vec<u8>),
    /// It cannot be read now, and why: the run is `partial` and names it.
    Unreadable(String),
    /// It is being written: left for the next run, as at listing.
    StillWritten,
}

/// A folder file's modification time as the cursor keeps it.
fn modified_text(mtime: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(mtime).to_rfc3339()
}

#[derive(Deserialize)]
struct IndexEntry {
    name: String,
    size: u64,
    modified: String,
    sha256: String,
}

impl Cc112 {
    /// A connector; `basic_auth` is `user:password` for the HTTP index, if it needs one.
    pub fn new(config: Config, basic_auth: Option<Secret>) -> Result<Self> {
        <Self as PullConnector>::check_settings(&config)?;
        // Basic auth is `user:password`: a value without its `:` (the password alone) would
        // be sent as a user with an empty password, and the header a server may echo would
        // not be the one hidden below (readme review, session 49).
        if basic_auth
            .as_ref()
            .is_some_and(|a| !a.expose().contains(':'))
        {
            return Err(config_err(format!(
                "the HTTP index's Basic auth{} holds no `:`: give user:password (not shown)",
                config
                    .basic_auth_env
                    .as_deref()
                    .map(|v| format!(" in {v}"))
                    .unwrap_or_default()
            )));
        }
        let http = HttpClient::from_settings(
            CHANNEL,
            config.timeout_secs,
            config.max_attempts,
            config.retry_base_ms,
        )?;
        // A server may echo what it refuses: the errors quoting its answers show neither the
        // `user:password`, nor the password, nor the header's Base64 of them.
        if let Some(a) = &basic_auth {
            use base64::Engine as _;
            http.hide("basic auth", a);
            if let Some((_, password)) = a.expose().split_once(':') {
                http.hide("password", &aduan_core::Secret::new(password));
            }
            let header = base64::engine::general_purpose::STANDARD.encode(a.expose());
            http.hide("basic auth header", &aduan_core::Secret::new(header));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                basic_auth,
                http,
            }),
        })
    }

    fn url(&self, name: &str) -> String {
        let base = self.inner.config.url.as_deref().unwrap_or_default();
        format!("{}/{}", base.trim_end_matches('/'), name)
    }

    /// One file of the HTTP index: its bytes, or the answer that was not a success.
    async fn get_file(
        &self,
        name: &str,
    ) -> Result<std::result::Result<Vec<u8>, aduan_transport::Response>> {
        let resp = self.get_answer(name, false).await?;
        if !resp.is_success() {
            return Ok(Err(resp));
        }
        Ok(Ok(resp.body.to_vec()))
    }

    /// The answer of the HTTP index to `GET {url}/{name}`, whatever its status.
    /// `json`: the answer is JSON (the index), sent with [`HttpClient::send_json`].
    async fn get_answer(&self, name: &str, json: bool) -> Result<aduan_transport::Response> {
        let url = self.url(name);
        let auth = self.inner.basic_auth.clone();
        let what = format!("GET {name}");
        let build = |c: &reqwest::Client| {
            let r = c.get(&url);
            match &auth {
                Some(a) => {
                    let (user, pass) = a.expose().split_once(':').unwrap_or((a.expose(), ""));
                    r.basic_auth(user, Some(pass))
                }
                None => r,
            }
        };
        if json {
            self.inner.http.send_json(&what, build).await
        } else {
            self.inner.http.send(&what, build).await
        }
    }

    /// A listed file's bytes, or why it is left for the next run. `Unreadable`: this one
    /// file cannot be read (gone since it was listed, not readable, or answered 403, 404 or
    /// 410 where the index lists it): it is counted as `file_unreadable`, logged, and left
    /// out of the cursor, so that the next run tries it again, while the days after it are
    /// read now. `StillWritten`: a file of the folder changed since it was listed, changed
    /// in the last `settle_secs`, or changed while it was read: a half-written export, left
    /// like one found at listing (counted as `file_still_written`). Any other failure (the
    /// folder or the server) stops the run.
    async fn read_file(&self, file: &Pending) -> Result<FileRead> {
        let name = &file.name;
        let why = match (&self.inner.config.dir, file.refused) {
            (_, Some(refused)) => refused.to_string(),
            (Some(dir), None) => {
                let path = dir.join(name);
                let io = |e: std::io::Error| -> Result<String> {
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    ) {
                        Ok(e.to_string())
                    } else {
                        Err(Error::Io {
                            channel: CHANNEL.into(),
                            path: path.display().to_string(),
                            source: e,
                        })
                    }
                };
                // The writer may have gone on since the folder was listed (a run reads its
                // files one after another): the size and time are looked at again now, and
                // once more after reading, so that a file cut short is never read.
                match self.stamp(&path).await {
                    Err(e) => io(e)?,
                    Ok(before) if !self.settled(file, &before) => {
                        return Ok(self.still_written(name, "changed since it was listed"));
                    }
                    Ok(before) => match read_listed(&path).await {
                        Err(e) => io(e)?,
                        Ok(Err(not_taken)) => not_taken,
                        Ok(Ok(bytes)) => match self.stamp(&path).await {
                            Err(e) => io(e)?,
                            Ok(after) if after != before || bytes.len() as u64 != after.0 => {
                                return Ok(self.still_written(name, "changed while it was read"));
                            }
                            Ok(_) => return Ok(FileRead::Bytes(bytes)),
                        },
                    },
                }
            }
            (None, _) => match self.get_file(name).await? {
                // A download cut short without the connection saying so (no length given),
                // or a file rewritten since the index was made, is not the file listed: read
                // next run, not quarantined row by row now (review: a cut-off download gave
                // an `ok` run and a bad last row in quarantine).
                Ok(bytes)
                    if file.sha256.as_deref().is_some_and(|listed| {
                        !listed.eq_ignore_ascii_case(&hex::encode(Sha256::digest(&bytes)))
                    }) =>
                {
                    format!(
                        "{} bytes whose SHA-256 is not the index's ({} bytes listed)",
                        bytes.len(),
                        file.size
                    )
                }
                Ok(bytes) => return Ok(FileRead::Bytes(bytes)),
                Err(resp) if matches!(resp.status, 403 | 404 | 410) => {
                    format!("answered {}", resp.status)
                }
                Err(resp) => return Err(resp.unexpected(CHANNEL, &format!("GET {name}"))),
            },
        };
        tracing::warn!(channel = CHANNEL, file = %name, reason = %why, "A listed file cannot be read; left for the next run, the later days read now.");
        self.inner.http.count("file_unreadable");
        Ok(FileRead::Unreadable(why))
    }

    /// A folder file's size and modification time (as the cursor writes it).
    async fn stamp(&self, path: &std::path::Path) -> std::io::Result<(u64, SystemTime)> {
        let meta = tokio::fs::metadata(path).await?;
        Ok((meta.len(), meta.modified()?))
    }

    /// Whether a folder file with size and time `now` is still the one listed as `file`, and
    /// has not changed within `settle_secs`.
    fn settled(&self, file: &Pending, now: &(u64, SystemTime)) -> bool {
        let (size, mtime) = *now;
        size == file.size && modified_text(mtime) == file.modified && !self.recent(mtime)
    }

    /// Whether a modification time is within `settle_secs` of now (or ahead of it).
    fn recent(&self, mtime: SystemTime) -> bool {
        let age = SystemTime::now().duration_since(mtime).unwrap_or_default();
        age < Duration::from_secs(self.inner.config.settle_secs)
    }

    fn still_written(&self, name: &str, why: &str) -> FileRead {
        tracing::info!(channel = CHANNEL, file = %name, reason = why, "File still being written; left for the next run.");
        self.inner.http.count("file_still_written");
        FileRead::StillWritten
    }

    /// The files that changed since the cursor, oldest day first.
    async fn changed_files(&self, cursor: &Cursor) -> Result<Vec<Pending>> {
        let mut out = Vec::new();
        if let Some(dir) = &self.inner.config.dir {
            let io = |e: std::io::Error| Error::Io {
                channel: CHANNEL.into(),
                path: dir.display().to_string(),
                source: e,
            };
            let mut entries = tokio::fs::read_dir(dir).await.map_err(io)?;
            while let Some(entry) = entries.next_entry().await.map_err(io)? {
                let name = entry.file_name().to_string_lossy().to_string();
                if !is_export_name(&name) {
                    self.inner.http.count("ignored_file");
                    continue;
                }
                // Gone since the folder was listed (a mirror's file renamed or removed): not
                // there, read next run if it comes again (review: a stray temporary file
                // that went failed the whole run, as if the folder were missing).
                let meta = match entry.metadata().await {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    other => other.map_err(io)?,
                };
                // A day's export that is a link or a pipe is not read, and not passed over
                // either: the run names it (review: it was ignored as a stray, the day's
                // calls missing without a word).
                if !meta.is_file() {
                    out.push(Pending {
                        name,
                        size: 0,
                        modified: String::new(),
                        refused: Some(if meta.file_type().is_symlink() {
                            "a symbolic link, not a file: not read"
                        } else {
                            "not a regular file: not read"
                        }),
                        sha256: None,
                    });
                    continue;
                }
                let mtime = meta.modified().map_err(io)?;
                if self.recent(mtime) {
                    self.still_written(&name, "changed in the last seconds");
                    continue;
                }
                let modified = modified_text(mtime);
                let seen = cursor.files.get(&name);
                if seen.is_some_and(|s| s.size == meta.len() && s.modified == modified) {
                    continue;
                }
                out.push(Pending {
                    name,
                    size: meta.len(),
                    modified,
                    refused: None,
                    sha256: None,
                });
            }
        } else {
            let what = "GET index.json";
            let resp = self.get_answer("index.json", true).await?;
            if !resp.is_success() {
                return Err(resp.unexpected(CHANNEL, what));
            }
            // An index written by a Windows tool (PowerShell 5's `Out-File -Encoding UTF8`)
            // begins with a UTF-8 byte order mark, which a JSON reader may pass over (RFC
            // 8259, 8.1) and serde does not: every run failed on it, no day read.
            let json = resp
                .body
                .strip_prefix(b"\xEF\xBB\xBF")
                .unwrap_or(&resp.body);
            // What came instead is said with the answer's status and what it is (a web page
            // where the index should be, a sign-in or a proxy's page, is named by its title:
            // review, it was told as JSON that did not read, and sent the operator to the
            // data instead of the access).
            let index: Vec<serde_json::Value> = serde_json::from_slice(json).map_err(|e| {
                resp.unexpected_because(
                    CHANNEL,
                    what,
                    &format!(
                        "not the index the contract describes: {}",
                        FieldError::serde_reason(&e.to_string())
                    ),
                )
            })?;
            for v in index {
                // One entry not whole (a file still being written, listed without its
                // SHA-256) is that day's, not the index's: the other days are read now.
                let e = match IndexEntry::deserialize(&v) {
                    Ok(e) => e,
                    Err(_) => {
                        match v.get("name").and_then(|n| n.as_str()) {
                            Some(name) if is_export_name(name) => out.push(Pending {
                                name: name.to_string(),
                                size: 0,
                                modified: String::new(),
                                refused: Some(
                                    "listed by the index without its size, time or SHA-256: not read",
                                ),
                                sha256: None,
                            }),
                            _ => self.inner.http.count("ignored_file"),
                        }
                        continue;
                    }
                };
                if !is_export_name(&e.name) {
                    self.inner.http.count("ignored_file");
                    continue;
                }
                if cursor
                    .files
                    .get(&e.name)
                    .is_some_and(|s| s.sha256.eq_ignore_ascii_case(&e.sha256))
                {
                    continue;
                }
                out.push(Pending {
                    name: e.name,
                    size: e.size,
                    modified: e.modified,
                    refused: None,
                    sha256: Some(e.sha256),
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

#[async_trait]
impl PullConnector for Cc112 {
    const CHANNEL: &'static str = CHANNEL;
    type Config = Config;

    fn from_config(config: Config) -> Result<Self> {
        let basic_auth = match &config.basic_auth_env {
            Some(var) => Some(Secret::required(
                var,
                CHANNEL,
                "HTTP index's user:password",
            )?),
            None => None,
        };
        Self::new(config, basic_auth)
    }

    fn check_settings(config: &Config) -> Result<()> {
        match (&config.dir, &config.url) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => {
                return Err(config_err(
                    "give exactly one of `dir` (a folder) and `url` (an HTTP index)",
                ))
            }
        }
        if let Some(url) = &config.url {
            aduan_transport::check_url(CHANNEL, "url", url)?;
        }
        if config.batch_rows == 0 {
            return Err(config_err("batch_rows must be at least 1"));
        }
        aduan_transport::check_settings(
            CHANNEL,
            config.timeout_secs,
            config.max_attempts,
            config.retry_base_ms,
        )
    }

    const STAND_INS: StandIns = StandIns {
        one: "ticketless call replaced by its ticketed row",
        many: "ticketless calls replaced by their ticketed rows",
    };

    async fn open(&self, cursor: Option<String>) -> Result<Box<dyn BatchSource>> {
        // The client serves run after run: this run's faults are those from here on.
        let faults_base = self.inner.http.faults();
        let cursor: Cursor = match cursor.as_deref() {
            Some(text) => serde_json::from_str(text).map_err(|e| {
                config_err(format!(
                    "the saved cursor is not this connector's ({e}); clear it (`aduan cursor clear cc112`)"
                ))
            })?,
            None => Cursor::default(),
        };
        let files = self.changed_files(&cursor).await?;
        Ok(Box::new(Reader {
            faults_base,
            connector: self.clone(),
            cursor,
            files: files.into(),
            rows: None,
            current: None,
            left: Vec::new(),
            unsaved: false,
            saved_at: None,
            save_took: Duration::ZERO,
        }))
    }

    fn parse(raw: &RawRecord) -> Result<Vec<SourceComplaint>, FieldError> {
        parse::row(raw).map(|r| vec![r])
    }

    /// The files read, with what was read of each (as a run saved it; clear it to read
    /// every listed file again).
    fn check_cursor(cursor: &str) -> Result<String> {
        serde_json::from_str::<Cursor>(cursor)
            .and_then(|c| serde_json::to_string(&c))
            .map_err(|e| config_err(format!("the cursor is not this connector's ({e})")))
    }
}

struct Reader {
    /// The client's faults when the run began.
    faults_base: FaultCounts,
    connector: Cc112,
    cursor: Cursor,
    files: VecDeque<Pending>,
    /// The current file's rows not yet handed out, split a batch at a time.
    rows: Option<aduan_transport::csv_rows::Rows>,
    /// The current file and its fingerprint, put in the cursor once its rows are handed out.
    current: Option<(String, Seen)>,
    /// Listed files that could not be read, with why (tried again next run).
    left: Vec<String>,
    /// Whether `cursor` holds files read since it was last handed out.
    unsaved: bool,
    /// When the cursor was last handed out (or the run began).
    saved_at: Option<tokio::time::Instant>,
    /// How long writing the cursor out took last time.
    save_took: Duration,
}

/// The least time between two cursors a run hands out (its first handed out with the first
/// file read, its last, with every file it read, whenever the one before was). A cursor
/// names every file ever read (some 570 KB after ten years of days): written out after each
/// file, a first sync's cost grew with the square of its files (in a debug build, 3,650
/// one-row days took two minutes and more, 1,000 nine seconds; now ten seconds and four).
/// The engine stores only the last cursor of the batches it joins in two seconds anyway (`aduan_sync`'s pipeline); a run that stops (a crash, its time budget) reads again
/// next run the files read since its last stored cursor, whose rows the archive recognises
/// by their bytes: nothing is stored twice.
const SAVE_AGE: Duration = Duration::from_millis(500);

/// A cursor is handed out at most once per this many times what writing the last one out
/// took (a cursor of very many files): that writing takes at most a twentieth of a run.
const SAVE_SHARE: u32 = 20;

impl Reader {
    /// The cursor with every file read so far, when it is due (see [`SAVE_AGE`]): after a
    /// file is read to its end or found unchanged.
    fn cursor_if_due(&mut self) -> Option<String> {
        self.unsaved = true;
        // The run's first is due at once: a run cut short (a short time budget after a slow
        // listing) still keeps what it read.
        if let Some(at) = self.saved_at {
            if at.elapsed() < SAVE_AGE.max(self.save_took * SAVE_SHARE) {
                return None;
            }
        }
        self.cursor_now()
    }

    /// The cursor with every file read so far.
    fn cursor_now(&mut self) -> Option<String> {
        let started = tokio::time::Instant::now();
        let cursor = serde_json::to_string(&self.cursor).ok();
        let now = tokio::time::Instant::now();
        self.saved_at = Some(now);
        self.save_took = now.duration_since(started);
        self.unsaved = false;
        cursor
    }
}

#[async_trait]
impl BatchSource for Reader {
    async fn next_batch(&mut self) -> Result<Option<Batch>> {
        // A file read to its end, or found unchanged, hands out nothing until a cursor is
        // due (see `SAVE_AGE`): on to the next file.
        loop {
            while self.rows.is_none() {
                let Some(file) = self.files.pop_front() else {
                    // The run's last batch carries every file read, whenever the one before
                    // was handed out.
                    if self.unsaved {
                        return Ok(Some(Batch {
                            cursor: self.cursor_now(),
                            ..Batch::default()
                        }));
                    }
                    return Ok(None);
                };
                let bytes = match self.connector.read_file(&file).await? {
                    FileRead::Bytes(bytes) => bytes,
                    FileRead::Unreadable(why) => {
                        self.left.push(format!("file {} ({why})", file.name));
                        continue;
                    }
                    // Not in the cursor: the next run lists it again, once it has settled.
                    FileRead::StillWritten => continue,
                };
                // (Over HTTP the download was checked against the index's SHA-256: that is it.)
                let sha256 = match &file.sha256 {
                    Some(listed) => listed.to_ascii_lowercase(),
                    None => hex::encode(Sha256::digest(&bytes)),
                };
                let seen = Seen {
                    size: file.size,
                    modified: file.modified.clone(),
                    sha256: sha256.clone(),
                };
                if self
                    .cursor
                    .files
                    .get(&file.name)
                    .is_some_and(|s| s.sha256 == sha256)
                {
                    // Touched but not changed: remember the new size and time, parse nothing.
                    self.cursor.files.insert(file.name.clone(), seen);
                    if let Some(cursor) = self.cursor_if_due() {
                        return Ok(Some(Batch {
                            cursor: Some(cursor),
                            ..Batch::default()
                        }));
                    }
                    continue;
                }
                let received_at = chrono::Utc::now();
                // A UTF-16 export (its byte order mark says so) is split as the UTF-8 it reads as.
                let bytes = match encoding_rs::Encoding::for_bom(&bytes) {
                    Some((enc, bom)) if enc != encoding_rs::UTF_8 => enc
                        .decode_without_bom_handling(&bytes[bom..])
                        .0
                        .into_owned()
                        .into_bytes(),
                    _ => bytes,
                };
                // (A row's ticket is its record's id: a corrected row closes the entry of the
                // row it corrects, see `Store::settle_quarantine`.)
                tracing::debug!(channel = CHANNEL, file = %file.name, bytes = bytes.len(), "Read file.");
                self.rows = Some(aduan_transport::csv_rows::Rows::new(
                    &file.name,
                    bytes,
                    b';',
                    received_at,
                    Some("No Tiket"),
                ));
                self.current = Some((file.name, seen));
            }
            let mut records = match self.rows.as_mut() {
                Some(rows) => rows.next_rows(self.connector.inner.config.batch_rows),
                None => Vec::new(),
            };
            // A `No Tiket` that is no ticket (a caller's number or name typed there) is not
            // the archived row's record id either (`raw_records.external_id`, which `aduan
            // raw list --record` shows): the row is known as a ticketless one, and counted,
            // so that the run tells the operator (see `parse::is_ticket`). The engine names
            // such a row, as a row without a ticket, by its call's identity (the caller's
            // number and the value typed only as their keyed hash), also when the row
            // fails after its call time was read.
            for r in &mut records {
                if r.external_id
                    .as_deref()
                    .is_some_and(|t| !parse::is_ticket(t))
                {
                    r.external_id = None;
                    self.connector.inner.http.count("ticket_not_a_ticket");
                }
            }
            if !records.is_empty() {
                return Ok(Some(Batch {
                    records,
                    cursor: None,
                    again: Vec::new(),
                }));
            }
            // The file read to its end (its last rows handed out before, or none in it): in the
            // cursor as read, handed out with a batch of nothing when due, else with a later
            // batch (at the latest the run's last).
            self.rows = None;
            if let Some((name, seen)) = self.current.take() {
                self.cursor.files.insert(name, seen);
            }
            if let Some(cursor) = self.cursor_if_due() {
                return Ok(Some(Batch {
                    cursor: Some(cursor),
                    ..Batch::default()
                }));
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

    fn left_behind(&self) -> Vec<String> {
        self.left.clone()
    }
}

/// The most bytes a folder file is read into memory with: as an answer of the HTTP index
/// (`aduan_transport::RetryPolicy::max_body_bytes`); a day's export is a few megabytes.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// Reads a listed folder file: the regular file at `path` itself, never what a symbolic link
/// there points to, nor a pipe or device put in its place (review: a file swapped for a link
/// after it was listed was read, and so any file Aduan may read archived; a pipe would block
/// the read for ever), and at most [`MAX_FILE_BYTES`]. `Ok(Err(why))`: not taken.
async fn read_listed(path: &std::path::Path) -> std::io::Result<Result<Vec<u8>, String>> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || read_regular(&path, MAX_FILE_BYTES))
        .await
        .map_err(std::io::Error::other)?
}

#[cfg(unix)]
fn read_regular(path: &std::path::Path, limit: u64) -> std::io::Result<Result<Vec<u8>, String>> {
    use std::os::unix::fs::OpenOptionsExt;
    // Not through a link, and without waiting for a pipe's writer.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Ok(Err("a symbolic link, not a file: not read".into()))
        }
        Err(e) => return Err(e),
    };
    taken(file, limit)
}

#[cfg(not(unix))]
fn read_regular(path: &std::path::Path, limit: u64) -> std::io::Result<Result<Vec<u8>, String>> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Ok(Err("a symbolic link, not a file: not read".into()));
    }
    taken(std::fs::File::open(path)?, limit)
}

/// The bytes of an opened folder file, when it is a regular file of at most `limit` bytes.
fn taken(file: std::fs::File, limit: u64) -> std::io::Result<Result<Vec<u8>, String>> {
    use std::io::Read;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Err("not a regular file: not read".into()));
    }
    if meta.len() > limit {
        return Ok(Err(format!(
            "{} bytes, more than the {limit} a file is read with: not read",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Err(format!(
            "more than the {limit} bytes a file is read with: not read"
        )));
    }
    Ok(Ok(bytes))
}

#[cfg(test)]
mod tests {

    /// Review: a file swapped for a symbolic link after the folder was listed was read (any
    /// file Aduan may read, archived); a pipe would block the read for ever; a file had no
    /// bound. Only a regular file of at most the bound is read.
    #[cfg(unix)]
    #[test]
    fn only_a_regular_file_within_the_bound_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.env");
        std::fs::write(&secret, "ADUAN_REPORTER_KEY=xyz").unwrap();
        let export = dir.path().join("112_20991231.csv");
        std::os::unix::fs::symlink(&secret, &export).unwrap();
        let why = super::read_regular(&export, 1 << 20).unwrap().unwrap_err();
        assert!(why.contains("symbolic link"), "{why}");
        let pipe = dir.path().join("112_20991230.csv");
        let path = std::ffi::CString::new(pipe.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `mkfifo` reads the NUL-terminated path it is given, which lives meanwhile.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0, "mkfifo");
        let why = super::read_regular(&pipe, 1 << 20).unwrap().unwrap_err();
        assert!(why.contains("not a regular file"), "{why}");
        let file = dir.path().join("112_20991229.csv");
        std::fs::write(&file, "a;b\r\n1;2\r\n").unwrap();
        assert_eq!(
            super::read_regular(&file, 1 << 20).unwrap().unwrap(),
            b"a;b\r\n1;2\r\n"
        );
        let why = super::read_regular(&file, 4).unwrap().unwrap_err();
        assert!(why.contains("more than the 4"), "{why}");
    }
    use super::*;

    #[test]
    fn only_daily_exports_are_read() {
        assert!(is_export_name("112_20210912.csv"));
        for stray in [
            "112_20210912.csv.tmp",
            "Thumbs.db",
            "112_2021091.csv",
            "x112_20210912.csv",
            "112_2021O912.csv",
        ] {
            assert!(!is_export_name(stray), "{stray}");
        }
    }

    #[test]
    fn a_connector_needs_exactly_one_source() {
        let both: Config =
            serde_json::from_str(r#"{"dir":"/x","url":"http://127.0.0.1:1/"}"#).unwrap();
        assert!(Cc112::new(both, None).is_err());
        let none: Config = serde_json::from_str("{}").unwrap();
        assert!(Cc112::new(none, None).is_err());
    }

    /// README: `ADUAN_CC112_BASIC_AUTH` holds `user:password`. A value without its `:` (the
    /// password alone, pasted) was sent as a user with an empty password, and the header a
    /// server might echo, `Basic` and the Base64 of `value:`, was not the one hidden from
    /// errors (readme review, session 49). It is refused, not shown.
    #[test]
    fn a_basic_auth_without_its_colon_is_refused_without_being_shown() {
        let config =
            || -> Config { serde_json::from_str(r#"{"url":"http://127.0.0.1:1/"}"#).unwrap() };
        let e = Cc112::new(config(), Some(Secret::new("s3cretpassword")))
            .expect_err("no user:password")
            .to_string();
        assert!(e.contains("user:password") && !e.contains("s3cret"), "{e}");
        assert!(Cc112::new(config(), Some(Secret::new("siti:s3cret"))).is_ok());
        // A user with an empty password is one still.
        assert!(Cc112::new(config(), Some(Secret::new("siti:"))).is_ok());
    }

    /// `n` one-row daily exports, dated an hour ago, in a new folder.
    fn days(n: u32) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let first = chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
        for i in 0..n {
            let day = first + chrono::Days::new(u64::from(i));
            let path = dir.path().join(format!("112_{}.csv", day.format("%Y%m%d")));
            let row = format!(
                "No;No Tiket;Status\r\n1;112-3375-{}-0001;Selesai\r\n",
                day.format("%Y%m%d")
            );
            std::fs::write(&path, row).unwrap();
            touch(&path, 3600);
        }
        dir
    }

    /// Dates a file `secs` seconds ago.
    fn touch(path: &std::path::Path, secs: u64) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(secs))
            .unwrap();
    }

    /// Every batch of a run from `cursor`: (records, cursors handed out, the last cursor).
    async fn drain(connector: &Cc112, cursor: Option<String>) -> (usize, usize, String) {
        let mut source = connector.open(cursor).await.unwrap();
        let (mut records, mut cursors, mut last) = (0, 0, String::new());
        while let Some(b) = source.next_batch().await.unwrap() {
            records += b.records.len();
            if let Some(c) = b.cursor {
                cursors += 1;
                last = c;
            }
        }
        (records, cursors, last)
    }

    /// Review: the cursor, which names every file ever read (570 KB after ten years of days),
    /// was written out and handed to the store after every file: a first sync of years of
    /// days cost the square of their number (3,650 one-row days: over two minutes in a
    /// debug build). A run hands one out at most every `SAVE_AGE` (the clock stands still here)
    /// and always with its last batch, naming every file read, also those touched and not
    /// changed.
    #[tokio::test(start_paused = true)]
    async fn a_run_hands_out_its_cursor_when_due_and_at_its_end_not_after_every_file() {
        let dir = days(200);
        let config: Config =
            serde_json::from_value(serde_json::json!({"dir": dir.path()})).unwrap();
        let connector = Cc112::new(config, None).unwrap();
        let (records, cursors, cursor) = drain(&connector, None).await;
        // The first file's cursor, and the run's last.
        assert_eq!((records, cursors), (200, 2));
        let read: Cursor = serde_json::from_str(&cursor).unwrap();
        assert_eq!(read.files.len(), 200);
        assert!(read.files.keys().all(|name| is_export_name(name)));
        // Nothing changed: nothing read, no cursor.
        assert_eq!(
            drain(&connector, Some(cursor.clone())).await,
            (0, 0, String::new())
        );
        // Every file touched, none changed: nothing parsed, their new times remembered in
        // the run's first cursor and its last.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            touch(&entry.unwrap().path(), 1800);
        }
        let (records, cursors, touched) = drain(&connector, Some(cursor.clone())).await;
        assert_eq!((records, cursors), (0, 2));
        let touched: Cursor = serde_json::from_str(&touched).unwrap();
        assert_eq!(touched.files.len(), 200);
        for (name, seen) in &touched.files {
            let before = &read.files[name];
            assert_eq!(
                (seen.size, &seen.sha256),
                (before.size, &before.sha256),
                "{name}"
            );
            assert_ne!(seen.modified, before.modified, "{name}");
        }
    }

    /// The cursor is handed out again once `SAVE_AGE` has passed since the last, with the
    /// files read by then (a crash loses no more than that), and the run's last names all.
    #[tokio::test(start_paused = true)]
    async fn a_cursor_is_handed_out_again_once_its_time_has_come() {
        let dir = days(5);
        let config: Config =
            serde_json::from_value(serde_json::json!({"dir": dir.path(), "batch_rows": 1}))
                .unwrap();
        let connector = Cc112::new(config, None).unwrap();
        let mut source = connector.open(None).await.unwrap();
        let mut cursors = Vec::new();
        let mut read = 0;
        while let Some(b) = source.next_batch().await.unwrap() {
            read += b.records.len();
            if let Some(c) = b.cursor {
                let c: Cursor = serde_json::from_str(&c).unwrap();
                cursors.push((read, c.files.len()));
            }
            // Two files' rows handed out: the clock moves on past the time between cursors.
            if read == 2 && b.records.len() == 1 {
                tokio::time::advance(SAVE_AGE).await;
            }
        }
        // The first file's end hands out the run's first cursor; the second file's end one of
        // two files (its row was handed out before: nothing of the third is in it); the run's
        // last names all five.
        assert_eq!(cursors, [(1, 1), (2, 2), (5, 5)]);
    }
}
