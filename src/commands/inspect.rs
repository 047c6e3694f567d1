//! Read-side commands: status, quarantine, the archive, query, report.

use std::io::Write;
use std::process::ExitCode;

use aduan_app::config::AppConfig;
use aduan_app::registry;
use aduan_store::{Dimension, QueryResult, RawFilter, ReportSpec, Store};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use super::{engine, load_normaliser, open_existing_store, open_to_read, UsageProblem};
use crate::{Format, QuarantineAction, RawAction, ReportBy};

pub(crate) async fn status(store: &Store, runs: i64, config: &AppConfig) -> Result<ExitCode> {
    if let Some(started) = store.unfinished_rebuild().await? {
        out!("{}", unfinished_rebuild(started));
    }
    let channels = store.channel_status(runs).await?;
    if channels.is_empty() {
        out!("No channel has run yet on {}.", store.url());
    }
    // The channels whose latest run that did the work failed, or was killed: a cron job or
    // a monitor running `aduan status` is told by its exit status (review: it exited 0
    // whatever the runs' outcomes).
    // A channel the configuration read switches off (`enabled = false`, or no table of its
    // own) runs no more: its last failure is shown but sets no exit status, which nothing
    // would clear (review: a channel switched off after a failure failed `status` for good).
    // With no configuration read, every channel counts.
    let switched_off =
        |id: &str| config.source.is_some() && !config.channels.get(id).is_some_and(|c| c.enabled);
    let mut failing = Vec::new();
    let mut failed_off = Vec::new();
    for c in &channels {
        // A run going on, in this process or another on the store: the one that holds the
        // channel's lease (a run without an end that is not it was killed).
        let running_since = c
            .running
            .as_ref()
            .map(|r| {
                format!(
                    ", running since {} UTC",
                    r.started_at.format("%Y-%m-%d %H:%M:%S")
                )
            })
            .unwrap_or_default();
        out!(
            "{}: {} complaints, {} in quarantine, cursor {}{running_since}",
            c.channel,
            c.complaints,
            c.quarantined_open,
            c.cursor
                .as_deref()
                .map(|c| one_line(&short_cursor(c)))
                .unwrap_or_else(|| "(none)".into())
        );
        let running = |run_id: &str| c.running.as_ref().is_some_and(|r| r.run_id == run_id);
        // While a run goes on, the run before it stands until it ends (operator review,
        // session 47: a failure was forgotten, exit status 0, for as long as the next run
        // took).
        let (counted, named) = match &c.running {
            Some(_) => (
                c.before_running.as_ref(),
                format!("{} (the one before the run going on)", c.channel),
            ),
            None => (c.latest.as_ref(), c.channel.clone()),
        };
        if let Some(counted) = counted {
            let killed = counted.outcome.is_none() && !running(&counted.run_id);
            if counted.outcome.as_deref() == Some("failed") || killed {
                if switched_off(&c.channel) {
                    failed_off.push(named);
                } else {
                    failing.push(named);
                }
            }
        }
        for r in &c.runs {
            let (outcome, died) = match r.outcome.as_deref() {
                Some(o) => (o, ""),
                None if running(&r.run_id) => ("running", ""),
                None => (
                    "stopped",
                    "  (no end recorded and no process holds the channel: killed; its next run records it as failed)",
                ),
            };
            out!(
                "  {} UTC  {:<8} fetched {:>7}  inserted {:>7}  updated {:>6}  unchanged {:>7}  quarantined {:>5}{died}{}",
                r.started_at.format("%Y-%m-%d %H:%M:%S"),
                outcome,
                r.fetched,
                r.inserted,
                r.updated,
                r.unchanged,
                r.quarantined,
                r.error
                    .as_deref()
                    .map(|e| format!("  error: {}", one_line(e)))
                    .unwrap_or_default()
            );
        }
        // After the runs, and not begun as a run's line is (review: it came first, and
        // read as a run).
        if let (skipped @ 1.., Some(latest_skipped)) = c.skipped_since {
            let since = match (c.runs.is_empty(), &c.latest) {
                (false, _) => "since the newest run above".to_string(),
                (true, Some(r)) => format!(
                    "since the latest run that did the work, started {} UTC",
                    r.started_at.format("%Y-%m-%d %H:%M:%S")
                ),
                (true, None) => "(every run of the channel: none did the work yet)".to_string(),
            };
            out!(
                "  Skipped: {skipped} run{} {since}, as another run held the channel; the latest skipped one started {} UTC",
                if skipped == 1 { "" } else { "s" },
                latest_skipped.format("%Y-%m-%d %H:%M:%S")
            );
        }
    }
    let off = match failed_off.as_slice() {
        [] => String::new(),
        names => format!(
            "; the latest run of {} failed (or was killed), switched off in the configuration: not counted",
            names.join(", ")
        ),
    };
    if failing.is_empty() {
        out!(
            "aduan status: {} channel(s) on {}{off}",
            channels.len(),
            store.url()
        );
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "aduan status: {} channel(s) on {}; the latest run of {} failed (or was killed): exit status {EXIT_FAILED_RUN}{off}",
        channels.len(),
        store.url(),
        failing.join(", ")
    );
    Ok(ExitCode::from(EXIT_FAILED_RUN))
}

/// The exit status of `aduan status` when a channel's latest run that was not skipped failed
/// (or was killed): a failure, as `aduan sync`'s when a channel failed.
const EXIT_FAILED_RUN: u8 = 1;

/// What to say of a rebuild that has not finished.
fn unfinished_rebuild(started: DateTime<Utc>) -> String {
    format!(
        "The renormalise started {} has not finished (it is running, or was interrupted): \
         complaints and complaint_events are as they were before it until `aduan renormalise` ends.",
        started.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

/// A cursor for a status line: as it is when short, else its start and its length.
pub(crate) fn short_cursor(cursor: &str) -> String {
    const MAX: usize = 60;
    if cursor.chars().count() <= MAX {
        return cursor.to_string();
    }
    let head: String = cursor.chars().take(MAX).collect();
    format!("{head}… ({} bytes)", cursor.len())
}

fn field_name(field: &str) -> String {
    if field.is_empty() {
        "whole record".into()
    } else {
        format!("field `{field}`")
    }
}

/// A channel a listing is asked for: one the registry knows, or one the store holds
/// anything of (a channel since removed); else a usage problem naming the known ones (a
/// mistyped name listed nothing, as if the channel had nothing).
async fn listed_channel(store: &Store, channel: Option<&str>) -> Result<()> {
    match channel {
        Some(c) if !registry::specs().contains_key(c) && !store.channel_seen(c).await? => {
            Err(UsageProblem(format!(
                "no channel {c:?} in the registry or the store; the channels are {}",
                registry::known_ids()
            ))
            .into())
        }
        _ => Ok(()),
    }
}

/// Cuts `listed` (read with one more than `limit`) to `limit`, and says whether more were
/// there: a listing cut short does not pass for the whole.
fn more_than<T>(listed: &mut Vec<T>, limit: i64) -> &'static str {
    let limit = usize::try_from(limit).unwrap_or(0);
    if listed.len() > limit {
        listed.truncate(limit);
        " shown, and more (--limit to see them)"
    } else {
        ""
    }
}

pub(crate) async fn raw(config: &AppConfig, action: RawAction) -> Result<ExitCode> {
    let store = open_to_read(config).await?;
    match action {
        RawAction::List {
            channel,
            record,
            limit,
        } => {
            listed_channel(&store, channel.as_deref()).await?;
            // One more than shown: whether there are more is said, and how many where
            // counting them is cheap (a channel's record: review, session 46).
            let (mut raws, counted) = store
                .raws_counted(&RawFilter {
                    channel,
                    external_id: record,
                    limit: limit.saturating_add(1),
                })
                .await?;
            let more = more_than(&mut raws, limit);
            for r in &raws {
                out!(
                    "#{:<8} {} UTC  {:<12} {:<20} {:>7} bytes  {}",
                    r.raw_id,
                    r.received_at.format("%Y-%m-%d %H:%M:%S"),
                    r.channel,
                    one_line(r.external_id.as_deref().unwrap_or("-")),
                    r.payload.len(),
                    one_line(&r.source_ref)
                );
            }
            match counted.filter(|_| !more.is_empty()) {
                Some(total) => out!(
                    "aduan raw: {} of {total} payloads shown (--limit to see more)",
                    raws.len()
                ),
                None => out!(
                    "aduan raw: {} payload{}{more}",
                    raws.len(),
                    if raws.len() == 1 { "" } else { "s" }
                ),
            }
        }
        RawAction::Show { id, payload } => {
            let r = store
                .raw(id)
                .await?
                .with_context(|| format!("raw record {id} does not exist"))?;
            let mut out = std::io::stdout();
            if !payload {
                writeln!(out, "raw_id:       {}", r.raw_id)?;
                writeln!(out, "channel:      {}", r.channel)?;
                writeln!(
                    out,
                    "record:       {}",
                    r.external_id.as_deref().unwrap_or("")
                )?;
                writeln!(out, "source:       {}", r.source_ref)?;
                writeln!(out, "received:     {}", r.received_at.to_rfc3339())?;
                writeln!(out, "content_hash: {}", hex(&r.content_hash))?;
                writeln!(out, "payload ({} bytes):", r.payload.len())?;
            }
            if payload {
                out.write_all(&r.payload)?;
            } else {
                out.write_all(&for_terminal(&r.payload))?;
                writeln!(out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `text` with its control characters but line ends and tabs written as `\u{…}`: what a
/// citizen sent must not drive the operator's terminal (escape sequences).
/// A stored text (a record's id, a reason, a run's error) on one line of a listing: every
/// control character written out, line ends and tabs too, so that what a channel sent can
/// neither drive the terminal nor forge a line of its own.
pub(crate) fn one_line(text: &str) -> String {
    escaped_controls(text)
        .replace('\n', "\\u{a}")
        .replace('\t', "\\u{9}")
}

/// A quarantine entry's reason as listed: without phone numbers, e-mail addresses and
/// links' credentials (it may quote the value read; the entry's payload, shown by
/// `quarantine show`, keeps them).
fn reason_shown(reason: &str) -> String {
    one_line(&aduan_core::contacts::shown(reason))
}

/// `text` with every character that would act on the terminal rather than show written out
/// as `\u{…}` (see [`acts`]), line ends and tabs kept.
fn escaped_controls(text: &str) -> String {
    let out = |c: char| acts(c) && c != '\n' && c != '\t';
    if !text.chars().any(out) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if out(c) {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether `c` acts on a terminal's line rather than shows: a control character (C0, DEL,
/// C1: escape sequences, a carriage return), a mark that reorders the text around it (the
/// bidirectional embeddings, overrides and isolates, U+202A to U+202E and U+2066 to U+2069,
/// and the left-to-right, right-to-left and Arabic letter marks: a citizen's text holding
/// U+202E shows the rest of the line, the columns after it too, reversed), or a line or
/// paragraph separator (U+2028, U+2029). Joiners stay: emoji are made with them.
fn acts(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// A payload as shown to a person: on a terminal, as text with its control characters
/// escaped (invalid UTF-8 shown as U+FFFD); piped, the bytes as received.
fn for_terminal(payload: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        std::borrow::Cow::Owned(escaped_controls(&String::from_utf8_lossy(payload)).into_bytes())
    } else {
        std::borrow::Cow::Borrowed(payload)
    }
}

/// Lower-case hexadecimal, as `sha256sum` prints a digest.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) async fn quarantine(config: &AppConfig, action: QuarantineAction) -> Result<ExitCode> {
    // A retry, a dismissal or its undoing writes (and migrates an older store); a list or a
    // look reads.
    let store = match action {
        QuarantineAction::Retry { .. }
        | QuarantineAction::Dismiss { .. }
        | QuarantineAction::Undismiss { .. } => open_existing_store(config).await?,
        _ => open_to_read(config).await?,
    };
    match action {
        QuarantineAction::List {
            channel,
            all,
            limit,
        } => {
            listed_channel(&store, channel.as_deref()).await?;
            // Cut at its limit: how many there are, counted with the listing (review,
            // session 46: "and more" said nothing of how many; counted after it, a retry
            // meanwhile could make "2 of 1").
            let (mut entries, counted) = store
                .quarantine_page(channel.as_deref(), all, limit.saturating_add(1))
                .await?;
            let shown = entries.len().min(usize::try_from(limit).unwrap_or(0));
            let total = (entries.len() > shown).then_some(counted);
            entries.truncate(shown);
            for e in &entries {
                out!(
                    "#{:<6} {} UTC  {:<12} {}  {}: {}{}",
                    e.quarantine_id,
                    e.quarantined_at.format("%Y-%m-%d %H:%M:%S"),
                    e.channel,
                    one_line(&e.record),
                    one_line(&field_name(&e.field)),
                    reason_shown(&e.reason),
                    closed(e)
                );
            }
            match total {
                Some(total) => out!(
                    "aduan quarantine: {} of {total} entries shown (--limit to see more)",
                    entries.len()
                ),
                None => out!(
                    "aduan quarantine: {} entr{}",
                    entries.len(),
                    if entries.len() == 1 { "y" } else { "ies" }
                ),
            }
        }
        QuarantineAction::Show { id } => {
            let e = store
                .quarantine_get(id)
                .await?
                .with_context(|| format!("quarantine entry {id} does not exist"))?;
            out!("entry:       #{}", e.quarantine_id);
            out!("channel:     {}", e.channel);
            out!("record:      {}", one_line(&e.record));
            out!("field:       {}", one_line(&e.field));
            out!("reason:      {}", reason_shown(&e.reason));
            out!("source:      {}", one_line(&e.source_ref));
            out!(
                "raw_id:      {}",
                e.raw_id.map(|r| r.to_string()).unwrap_or_default()
            );
            out!("run:         {}", e.run_id.as_deref().unwrap_or(""));
            out!("quarantined: {}", e.quarantined_at.to_rfc3339());
            match (e.resolved_at, &e.dismissed_by) {
                (Some(r), Some(by)) => {
                    out!("dismissed:   {} by {}", r.to_rfc3339(), one_line(by));
                    if let Some(why) = &e.dismissed_reason {
                        out!("why:         {}", one_line(why));
                    }
                }
                (Some(r), None) => out!("resolved:    {}", r.to_rfc3339()),
                (None, _) => {}
            }
            out!("payload:");
            let mut out = std::io::stdout();
            out.write_all(&for_terminal(&e.payload))?;
            writeln!(out)?;
        }
        QuarantineAction::Retry { ids, all } => {
            // A number that names no entry is a mistyped command, refused before any work
            // (it was counted as an entry still failing).
            if let Some(id) = store.quarantine_missing(&ids).await?.first() {
                anyhow::bail!("quarantine entry {id} does not exist");
            }
            let engine = engine(config, store.clone(), load_normaliser(config)?);
            // Read again into tables built the way it reads (a rebuild first reads every
            // archived payload again, and leaves in the quarantine only what still fails).
            super::tables_up_to_date(
                &engine,
                "aduan quarantine retry",
                &aduan_app::progress::Bar::new(),
            )
            .await?;
            // (The numbers alone: the entries' payloads are read one at a time as retried.)
            // Entries named that were resolved before (their record came again, or an earlier
            // retry read them): said so, not counted again (they were counted as nothing).
            // A dismissed one is said so, with who dismissed it: a retry passes it over.
            // Told apart without reading the entries (review: each was read whole here, its
            // payload too, and again by the retry); only the others are handed to it.
            let already = if all {
                Vec::new()
            } else {
                store.quarantine_closed(&ids).await?
            };
            let ids: Vec<i64> = if all {
                store.quarantine_open_ids().await?
            } else {
                ids.into_iter()
                    .filter(|id| !already.iter().any(|(closed, ..)| closed == id))
                    .collect()
            };
            let bar = aduan_app::progress::Bar::new();
            let (resolved, failing) = engine
                .retry_quarantine(&ids, &registry::specs(), &bar)
                .await?;
            bar.finish();
            // As `quarantine list` shows a reason: on one line, without contacts.
            // (A job's lines: its exit status says whether entries still fail, read or not.)
            for (id, why) in &failing {
                say!("#{id} still fails: {}", reason_shown(why));
            }
            for (id, at, dismissed_by) in &already {
                match dismissed_by {
                    Some(by) => say!(
                        "#{id} was dismissed by {}, at {}: not retried",
                        one_line(by),
                        at.to_rfc3339()
                    ),
                    None => say!("#{id} was resolved already, at {}", at.to_rfc3339()),
                }
            }
            // Counted apart: a dismissed entry was closed by hand, its record never read (it
            // was counted as "resolved before", as if it had come readable).
            let dismissed = already.iter().filter(|(_, _, by)| by.is_some()).count();
            let resolved_before = already.len() - dismissed;
            let mut before = String::new();
            if resolved_before > 0 {
                before.push_str(&format!(", {resolved_before} resolved before"));
            }
            if dismissed > 0 {
                before.push_str(&format!(", {dismissed} dismissed (not retried)"));
            }
            say!(
                "aduan quarantine retry: {resolved} resolved, {} still failing{before}",
                failing.len()
            );
            if !failing.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        QuarantineAction::Dismiss { ids, reason } => {
            // As a retry: a number that names no entry is refused before any is dismissed.
            if let Some(id) = store.quarantine_missing(&ids).await?.first() {
                anyhow::bail!("quarantine entry {id} does not exist");
            }
            let reason = reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty());
            let by = operator();
            let (mut dismissed, mut before) = (0, 0);
            for id in ids {
                let Some(e) = store.quarantine_get(id).await? else {
                    continue;
                };
                let now = Utc::now();
                if store
                    .dismiss_quarantine(id, &by, reason.as_deref(), now)
                    .await?
                {
                    dismissed += 1;
                    say!(
                        "#{id} dismissed: {} {}  {}: {}",
                        e.channel,
                        one_line(&e.record),
                        one_line(&field_name(&e.field)),
                        reason_shown(&e.reason)
                    );
                    continue;
                }
                // Closed meanwhile, or before: said as it is.
                before += 1;
                let e = store.quarantine_get(id).await?.unwrap_or(e);
                say!("#{id} was closed already{}", closed(&e));
            }
            let before = match before {
                0 => String::new(),
                n => format!(", {n} closed before"),
            };
            say!(
                "aduan quarantine dismiss: {dismissed} dismissed by {}{before}",
                one_line(&by)
            );
        }
        QuarantineAction::Undismiss { ids } => {
            // As a dismissal: a number that names no entry is refused before any is opened.
            if let Some(id) = store.quarantine_missing(&ids).await?.first() {
                anyhow::bail!("quarantine entry {id} does not exist");
            }
            // The end of a rebuild would take an entry opened now out of the quarantine
            // again (the rebuild read its payload as dismissed): none is opened meanwhile.
            if let Some(at) = store.unfinished_rebuild().await? {
                anyhow::bail!(
                    "a rebuild of the unified tables (begun {} UTC) has not ended: no entry \
                     is undismissed while it goes on; undismiss them once it has ended (a \
                     rebuild left unfinished ends with the next `aduan renormalise`)",
                    at.format("%Y-%m-%d %H:%M:%S")
                );
            }
            let (mut opened, mut left, mut kept) = (0, 0, 0);
            for id in ids {
                let Some(e) = store.quarantine_get(id).await? else {
                    continue;
                };
                match store.undismiss_quarantine(id).await? {
                    aduan_store::Undismissed::Opened => {
                        opened += 1;
                        say!(
                            "#{id} undismissed, open again: {} {}  {}: {}{}",
                            e.channel,
                            one_line(&e.record),
                            one_line(&field_name(&e.field)),
                            reason_shown(&e.reason),
                            // What is undone: who dismissed it, when and why.
                            closed(&e)
                        );
                    }
                    aduan_store::Undismissed::OtherOpen(other) => {
                        kept += 1;
                        say!(
                            "#{id} left dismissed: its payload has an open entry, #{other} (a \
                             failure met since; a payload has one open entry at a time): retry \
                             or dismiss #{other}, then undismiss #{id}"
                        );
                    }
                    aduan_store::Undismissed::Rebuilding(at) => {
                        kept += 1;
                        say!(
                            "#{id} left dismissed: a rebuild of the unified tables (begun {} \
                             UTC) has not ended",
                            at.format("%Y-%m-%d %H:%M:%S")
                        );
                    }
                    _ => {
                        left += 1;
                        let e = store.quarantine_get(id).await?.unwrap_or(e);
                        match closed(&e) {
                            c if c.is_empty() => {
                                say!("#{id} is open, not dismissed: left as it is")
                            }
                            c => say!("#{id} is not dismissed{c}: left as it is"),
                        }
                    }
                }
            }
            let mut after = String::new();
            if kept > 0 {
                after.push_str(&format!(", {kept} left dismissed"));
            }
            if left > 0 {
                after.push_str(&format!(", {left} not dismissed"));
            }
            say!("aduan quarantine undismiss: {opened} open again{after}");
            if kept > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How a listed entry was closed: `  (resolved)`, `  (dismissed by …: why)`, or nothing
/// (open).
fn closed(e: &aduan_store::QuarantineEntry) -> String {
    match (e.resolved_at, &e.dismissed_by) {
        (None, _) => String::new(),
        (Some(_), None) => "  (resolved)".into(),
        (Some(at), Some(by)) => format!(
            "  (dismissed by {} at {} UTC{})",
            one_line(by),
            at.format("%Y-%m-%d %H:%M:%S"),
            e.dismissed_reason
                .as_deref()
                .map(|why| format!(": {}", one_line(why)))
                .unwrap_or_default()
        ),
    }
}

/// Who runs this command, as a dismissal records it: the caller of `sudo` (the person, not
/// root), else the login name, else (an environment naming no one: a container's shell, a
/// `docker exec`) the name of the account the process runs as.
fn operator() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .or_else(account)
        .unwrap_or_else(|| "an unnamed user".to_string())
}

/// The account this process runs as: its name in `/etc/passwd`, else `uid N` (readme
/// review, session 49: with no name in the environment, a dismissal was recorded as by "an
/// unnamed user" though the account was known).
#[cfg(unix)]
fn account() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // `/proc/self` is owned by the process's user (Linux; elsewhere none is named).
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    Some(account_in(&passwd, uid).unwrap_or_else(|| format!("uid {uid}")))
}

#[cfg(not(unix))]
fn account() -> Option<String> {
    None
}

/// The name `passwd` (the text of `/etc/passwd`) gives `uid`, read as the C library reads
/// it: a line beginning with `#` is a comment, one with `+` or `-` NIS's (compat), not an
/// account (review of the readme series, session 49: a commented-out old account of the same
/// uid was named).
#[cfg_attr(not(unix), allow(dead_code))]
fn account_in(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let line = line.trim_start();
        if line.starts_with(['#', '+', '-']) {
            return None;
        }
        let mut fields = line.split(':');
        let name = fields.next()?.trim();
        let id = fields.nth(1)?.trim();
        (id.parse::<u32>().ok()? == uid && !name.is_empty()).then(|| name.to_string())
    })
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The JSON text of `value`, the `i`th of a row, when it is given exactly as text (its
/// column marked in `exact`, see [`QueryResult::exact_numbers`]) and that text is JSON: the
/// digits of a number, or a JSON value, an array or a composite value as PostgreSQL writes it
/// (`{"a":1.50}`, `[1.50]`, `"a text"`, `true`, a `json` value's `null`). A `numeric`'s `NaN`
/// and `Infinity` are not: texts, as a double's infinity is.
fn exact_json<'v>(value: &'v serde_json::Value, exact: &[bool], i: usize) -> Option<&'v str> {
    let text = value.as_str().filter(|_| exact.get(i) == Some(&true))?;
    let json = is_json_number(text)
        || text.starts_with(['{', '[', '"'])
        || matches!(text, "true" | "false" | "null");
    json.then_some(text)
}

/// Whether `text` is a number as JSON writes one: `-`, an integer part without leading
/// zeros, a fraction and an exponent, each but the integer part optional.
fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: usize| {
        b[i.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let n = digits(i);
    if n == 0 || (n > 1 && b[i] == b'0') {
        return false;
    }
    i += n;
    if b.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == b.len()
}

/// A row's CSV cells: a number given exactly as it is (not read as a text a spreadsheet
/// could run), a JSON value or an array so given (see [`exact_json`]) as it is but for the
/// texts inside it, guarded as [`guarded`] guards a text, every other value, a JSON text too,
/// as [`csv_cell`] writes it.
fn csv_row<'r>(
    row: &'r [serde_json::Value],
    exact: &'r [bool],
) -> impl Iterator<Item = String> + 'r {
    row.iter()
        .enumerate()
        .map(move |(i, v)| match shown(v, exact, i) {
            Shown::Json(json) if is_json_number(json) => json.to_string(),
            Shown::Json(json) => guarded(json),
            Shown::Value(v) => csv_cell(&v),
        })
}

/// How a value is shown in a table or a CSV cell.
enum Shown<'v> {
    /// JSON given exactly (see [`exact_json`]), as it is written.
    Json(&'v str),
    /// A value as any other.
    Value(std::borrow::Cow<'v, serde_json::Value>),
}

/// `value`, the `i`th of a row, as a table or a CSV cell shows it: JSON given exactly as it
/// is written, but a JSON text (a `jsonb` of `"a text"`) as the text, as a value that is a
/// text is shown.
fn shown<'v>(value: &'v serde_json::Value, exact: &[bool], i: usize) -> Shown<'v> {
    use std::borrow::Cow;
    match exact_json(value, exact, i) {
        Some(json) if json.starts_with('"') => match serde_json::from_str(json) {
            Ok(text) => Shown::Value(Cow::Owned(serde_json::Value::String(text))),
            Err(_) => Shown::Json(json),
        },
        Some(json) => Shown::Json(json),
        None => Shown::Value(Cow::Borrowed(value)),
    }
}

/// A value as a table's cell shows it.
fn table_cell(value: &serde_json::Value, exact: &[bool], i: usize) -> String {
    match shown(value, exact, i) {
        Shown::Json(json) => json.to_string(),
        Shown::Value(v) => cell(&v),
    }
}

/// A value as a CSV cell: a text as [`guarded`] writes it, and so a JSON array or object's
/// text (PostgreSQL's array of doubles: review, session 48, a text inside was written
/// unguarded); numbers are written as they are.
fn csv_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => guarded(s),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => guarded(&v.to_string()),
        other => cell(other),
    }
}

/// A text as a CSV cell: one a spreadsheet would take for a formula (it begins with `=`,
/// `+`, `-`, `@`, a tab or a carriage return: a citizen's `=HYPERLINK(…)` title) is written
/// after a `'`, which the spreadsheet shows as text. So is each part of a text after a `;`
/// or a line break (spaces aside): a spreadsheet set to Indonesian, whose list separator is
/// `;`, opens a `.csv` file split there, quotes or not (review: `Jalan rusak;=cmd|…` ran as
/// a formula), a JSON value's text too (`["Jalan rusak;=cmd|…"]`).
fn guarded(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    let mut starts = true;
    for c in s.chars() {
        if starts && matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r') {
            out.push('\'');
        }
        starts = matches!(c, ';' | '\n' | '\r') || (starts && c == ' ');
        out.push(c);
    }
    out
}

/// The keys of a JSON row, one a column in the result's order: a name met again (two
/// `count` columns on PostgreSQL) gets `_2`, `_3`… after it, skipping the names the result
/// has already (`t, t, t_2` gives `t, t_3, t_2`), so that no column is lost or renamed.
fn json_names(columns: &[String]) -> Vec<String> {
    let given: std::collections::HashSet<&str> = columns.iter().map(String::as_str).collect();
    let mut names: Vec<String> = Vec::with_capacity(columns.len());
    for c in columns {
        let mut name = c.clone();
        let mut n = 1;
        while names.contains(&name) || (n > 1 && given.contains(name.as_str())) {
            n += 1;
            name = format!("{c}_{n}");
        }
        names.push(name);
    }
    names
}

/// A row as one JSON object, its keys in the columns' order; a number given exactly (see
/// [`QueryResult::exact_numbers`]) as a JSON number of all its digits, a JSON value or an
/// array so given as its JSON.
fn json_row(names: &[String], row: &[serde_json::Value], exact: &[bool]) -> String {
    let mut line = String::from("{");
    for (i, (name, value)) in names.iter().zip(row).enumerate() {
        if i > 0 {
            line.push(',');
        }
        // A string and a JSON value always serialise.
        line.push_str(&serde_json::Value::String(name.clone()).to_string());
        line.push(':');
        match exact_json(value, exact, i) {
            Some(json) => line.push_str(json),
            None => line.push_str(&value.to_string()),
        }
    }
    line.push('}');
    line
}

pub(crate) async fn query(store: &Store, sql: &str, format: Format, bom: bool) -> Result<ExitCode> {
    use aduan_store::Streamed;
    match format {
        // A table's columns are as wide as their widest value: its rows are kept first.
        Format::Table => print(&store.query(sql).await?, format, false, None)?,
        // An export: each row written as it is read, whatever the result's size. A reader
        // that stops reading (`| head`) ends it, quietly: it has what it wanted.
        Format::Csv | Format::Json => {
            let mut export = Export::to_stdout(format, bom);
            let mut closed = false;
            let done = {
                let mut each = |s: Streamed<'_>| {
                    export.write(s).map_err(|e| {
                        closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
                        e.to_string()
                    })
                };
                store.query_each(sql, &mut each).await
            };
            exported(done, closed, export.flush())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where an export's rows go: CSV, or a JSON object a line; with the columns that are
/// numbers given exactly.
enum Export {
    Csv(
        Box<csv::Writer<Bom<std::io::BufWriter<std::io::Stdout>>>>,
        Vec<bool>,
    ),
    Json(std::io::BufWriter<std::io::Stdout>, Vec<String>, Vec<bool>),
}

/// A writer that puts UTF-8's byte order mark before the first bytes written through it,
/// when asked (`--bom`): Excel reads a CSV file as UTF-8 only when it begins with one. Before
/// them, not at once: a query that fails before its columns are known writes nothing.
struct Bom<W> {
    pending: bool,
    inner: W,
}

impl<W: std::io::Write> Bom<W> {
    fn new(inner: W, bom: bool) -> Bom<W> {
        Bom {
            pending: bom,
            inner,
        }
    }
}

impl<W: std::io::Write> std::io::Write for Bom<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.pending && !buf.is_empty() {
            self.inner.write_all("\u{feff}".as_bytes())?;
            self.pending = false;
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Export {
    fn to_stdout(format: Format, bom: bool) -> Export {
        let out = std::io::BufWriter::new(std::io::stdout());
        match format {
            Format::Csv => Export::Csv(
                Box::new(csv::Writer::from_writer(Bom::new(out, bom))),
                Vec::new(),
            ),
            _ => Export::Json(out, Vec::new(), Vec::new()),
        }
    }

    fn write(&mut self, s: aduan_store::Streamed<'_>) -> std::io::Result<()> {
        use aduan_store::Streamed;
        match (self, s) {
            (
                Export::Csv(w, exact),
                Streamed::Columns {
                    names,
                    exact_numbers,
                },
            ) => {
                *exact = exact_numbers.to_vec();
                w.write_record(names).map_err(io)
            }
            (Export::Csv(w, exact), Streamed::Row(row)) => {
                w.write_record(csv_row(row, exact)).map_err(io)
            }
            (
                Export::Json(_, keys, exact),
                Streamed::Columns {
                    names,
                    exact_numbers,
                },
            ) => {
                *keys = json_names(names);
                *exact = exact_numbers.to_vec();
                Ok(())
            }
            (Export::Json(out, keys, exact), Streamed::Row(row)) => {
                writeln!(out, "{}", json_row(keys, row, exact))
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Export::Csv(w, _) => w.flush(),
            Export::Json(out, _, _) => out.flush(),
        }
    }
}

/// A CSV writer's error as the I/O error it is (a closed pipe stays one).
fn io(e: csv::Error) -> std::io::Error {
    let text = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        _ => std::io::Error::other(text),
    }
}

/// How an export ended: its reader gone (a closed pipe, `| head`) is no failure.
fn exported(
    done: aduan_store::Result<u64>,
    closed: bool,
    flushed: std::io::Result<()>,
) -> Result<()> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    match (done, flushed) {
        (Err(_), _) if closed => Ok(()),
        (Err(e), _) => Err(e.into()),
        (Ok(_), Err(e)) if gone(&e) => Ok(()),
        (Ok(_), Err(e)) => Err(e.into()),
        (Ok(_), Ok(())) => Ok(()),
    }
}

pub(crate) fn dimension(by: ReportBy) -> Dimension {
    match by {
        ReportBy::Month => Dimension::Month,
        ReportBy::Channel => Dimension::Channel,
        ReportBy::Kind => Dimension::Kind,
        ReportBy::Category => Dimension::Category,
        ReportBy::Subcategory => Dimension::Subcategory,
    }
}

pub(crate) async fn report(
    store: &Store,
    spec: &ReportSpec,
    format: Format,
    bom: bool,
) -> Result<ExitCode> {
    let result = store.report(spec).await?;
    let at = |name: &str| result.columns.iter().position(|c| c == name);
    let total = |i: Option<usize>| -> i64 {
        i.map_or(0, |i| {
            result
                .rows
                .iter()
                .filter_map(|r| r.get(i).and_then(serde_json::Value::as_i64))
                .sum()
        })
    };
    let summary = format!(
        "{} complaints, {} open, {} resolved",
        total(at("complaints")),
        total(at("open")),
        total(at("resolved"))
    );
    print(&result, format, bom, Some(&summary))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a query's result; a table ends with its row count and `summary`; a CSV begins
/// with a byte order mark with `bom`.
fn print(result: &QueryResult, format: Format, bom: bool, summary: Option<&str>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let names = json_names(&result.columns);
            for row in &result.rows {
                writeln!(out, "{}", json_row(&names, row, &result.exact_numbers))?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Bom::new(out, bom));
            w.write_record(&result.columns)?;
            for row in &result.rows {
                w.write_record(csv_row(row, &result.exact_numbers))?;
            }
            w.flush()?;
        }
        Format::Table => {
            const MAX: usize = 60;
            let cut = |s: String| -> String {
                let one_line = escaped_controls(&s.replace(['\n', '\r'], " "));
                if one_line.chars().count() > MAX {
                    format!("{}…", one_line.chars().take(MAX - 1).collect::<String>())
                } else {
                    one_line
                }
            };
            let rows: Vec<Vec<String>> = result
                .rows
                .iter()
                .map(|r| {
                    r.iter()
                        .enumerate()
                        .map(|(i, v)| cut(table_cell(v, &result.exact_numbers, i)))
                        .collect()
                })
                .collect();
            // The columns' names too: a statement names them as it likes (`AS "…"`).
            let header: Vec<String> = result
                .columns
                .iter()
                .map(|c| escaped_controls(&c.replace(['\n', '\r'], " ")))
                .collect();
            let mut widths: Vec<usize> = header.iter().map(|c| c.chars().count()).collect();
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let line = |cells: &[String]| -> String {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}", w = *w))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(&header))?;
            writeln!(
                out,
                "{}",
                widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  ")
            )?;
            for r in &rows {
                writeln!(out, "{}", line(r))?;
            }
            writeln!(
                out,
                "({} row{}{})",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                summary.map(|s| format!("; {s}")).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review of the readme series (session 49): `/etc/passwd` is read as the C library
    /// reads it, a line beginning with `#` a comment and `+`/`-` lines NIS's (compat), not
    /// accounts: a commented-out old account of the same uid was named as the dismisser
    /// (`#olduser`), and an odd line (too few fields, no number) is passed over, not a panic.
    #[test]
    fn a_dismissing_account_is_no_comment_of_etc_passwd() {
        let passwd = "# root:x:1000:1000::/root:/bin/sh\n\
                      #olduser:x:1000:1000::/home/olduser:/bin/sh\n\
                      +siti:x:1000:1000:::\n\
                      -:x:1000\n\
                      broken\n\
                      odd:x:\n\
                      num:x:x1000:1000::/:/bin/sh\n\
                      \n\
                      \u{20}  dewi:x:1000:1000::/home/dewi:/bin/sh\n\
                      budi:x:1000:1000::/home/budi:/bin/sh\n";
        assert_eq!(account_in(passwd, 1000).as_deref(), Some("dewi"));
        assert_eq!(account_in(passwd, 4242), None);
        assert_eq!(account_in("", 0), None);
    }

    /// Review (session 48): a JSON value or an array in a CSV cell (PostgreSQL's `jsonb`, an
    /// array of texts, a row) was written as it is, a text inside it unguarded: a spreadsheet
    /// set to Indonesian splits `["Jalan rusak;=cmd|1!A0"]` at its `;` and runs the part
    /// after it as a formula. Such a part is guarded as in a text alone; a number given
    /// exactly is written as it is.
    #[test]
    fn a_text_inside_json_is_guarded_in_csv() {
        use serde_json::json;
        let row = [
            json!("[\"Jalan rusak;=cmd|1!A0\",null]"),
            json!("{\"a\":\"b; @c\"}"),
            json!("-1.50"),
            json!("true"),
            json!(["x;+y", 1.5]),
            json!({"a": "b;-c"}),
        ];
        let exact = [true, true, true, true, false, false];
        assert_eq!(
            csv_row(&row, &exact).collect::<Vec<_>>(),
            [
                "[\"Jalan rusak;'=cmd|1!A0\",null]",
                "{\"a\":\"b; '@c\"}",
                "-1.50",
                "true",
                "[\"x;'+y\",1.5]",
                "{\"a\":\"b;'-c\"}",
            ]
        );
    }

    /// Regression (session 49): a `json` or `jsonb` value's JSON `null`, given exactly as its
    /// text `null` (a SQL `NULL` is a null), was written into a JSON export as the text
    /// `"null"`: it is JSON's `null` there, and `null` in a table and CSV, as `psql` shows it.
    #[test]
    fn a_json_null_is_shown_as_psql_shows_it() {
        use serde_json::json;
        let row = [json!("null"), serde_json::Value::Null];
        let exact = [true, true];
        assert_eq!(csv_row(&row, &exact).collect::<Vec<_>>(), ["null", ""]);
        assert_eq!(table_cell(&row[0], &exact, 0), "null");
        assert_eq!(
            json_row(&["a".into(), "b".into()], &row, &exact),
            "{\"a\":null,\"b\":null}"
        );
    }

    /// A repeated column name gets a suffix no other column has.
    #[test]
    fn json_keys_are_the_columns_each_once() {
        let names = |c: &[&str]| json_names(&c.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(names(&["count", "count", "x"]), ["count", "count_2", "x"]);
        assert_eq!(names(&["t", "t", "t_2"]), ["t", "t_3", "t_2"]);
        assert_eq!(names(&["t", "t_2", "t"]), ["t", "t_2", "t_3"]);
    }

    /// Review: a record's id, a reason or a run's error was printed as stored, its control
    /// characters and line ends too; a reason quoting a phone number was listed with it.
    #[test]
    fn a_listed_text_is_one_line_without_controls_or_contacts() {
        assert_eq!(
            one_line("a\tb\nc\u{1b}]0;x\u{7}"),
            "a\\u{9}b\\u{a}c\\u{1b}]0;x\\u{7}"
        );
        let shown =
            reason_shown("invalid type: integer `6281390005555`, expected a string\n#7 forged");
        assert!(
            !shown.contains("6281390005555") && !shown.contains('\n'),
            "{shown}"
        );
        // Nor a link's credentials (item of session 50: they were listed).
        let shown = reason_shown("not a text: \"https://budi:rahasia1@x.example/a?token=t0ken\"");
        assert!(
            !shown.contains("rahasia1") && !shown.contains("t0ken") && !shown.contains("budi"),
            "{shown}"
        );
    }

    /// Regression (session 47): a value holding a bidirectional control (U+202E, an
    /// isolate, a mark) reordered the line it was printed on in a table, other columns with
    /// it; they are written out, as control characters are. Joiners stay (emoji).
    #[test]
    fn marks_that_reorder_a_line_are_written_out() {
        assert_eq!(
            escaped_controls("a\u{202e}b\u{2066}c\u{2069}\u{200f}\u{61c}d\u{2028}"),
            "a\\u{202e}b\\u{2066}c\\u{2069}\\u{200f}\\u{61c}d\\u{2028}"
        );
        assert_eq!(escaped_controls("\u{200e}"), "\\u{200e}");
        assert_eq!(escaped_controls("\u{202a}x\u{202c}"), "\\u{202a}x\\u{202c}");
        let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
        assert_eq!(escaped_controls(family), family);
        assert_eq!(escaped_controls("Jalan rusak"), "Jalan rusak");
    }

    #[test]
    fn control_characters_are_written_out_but_line_ends_and_tabs_kept() {
        assert_eq!(escaped_controls("a\tb\nc"), "a\tb\nc");
        assert_eq!(
            escaped_controls("x\u{1b}[2Jy\u{7}\u{9b}z"),
            "x\\u{1b}[2Jy\\u{7}\\u{9b}z"
        );
    }
}
