//! Progress on a terminal: a bar with counts and rate; nothing when stderr is not a
//! terminal or `CI` is set, so logs and CI stay quiet.

use std::io::IsTerminal;
use std::sync::Mutex;

use aduan_sync::{Counts, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress is drawn: stderr is an interactive terminal and this is not CI.
fn visible() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// A spinner-bar per job, drawn on stderr when it is a terminal.
#[derive(Debug)]
pub struct Bar {
    bar: Mutex<Option<ProgressBar>>,
    visible: bool,
}

impl Default for Bar {
    fn default() -> Self {
        Self::new()
    }
}

impl Bar {
    /// A bar, visible only on an interactive terminal outside CI.
    pub fn new() -> Self {
        Self {
            bar: Mutex::new(None),
            visible: visible(),
        }
    }

    /// Ends the current bar, leaving the terminal clean for the summary line.
    pub fn finish(&self) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(bar) = b.take() {
                bar.finish_and_clear();
            }
        }
    }
}

impl Progress for Bar {
    fn batch(&self, channel: &str, counts: &Counts) {
        if !self.visible {
            return;
        }
        let Ok(mut guard) = self.bar.lock() else {
            return;
        };
        let bar = guard.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} {prefix:>12} {pos:>9} records  {rate:>9}  {elapsed_precise}  {msg}",
            )
            .map(|s| s.with_key("rate", rate))
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar
        });
        bar.set_prefix(channel.to_string());
        bar.set_position(counts.fetched);
        bar.set_message(format!(
            "+{} new, {} updated, {} unchanged, {} quarantined",
            counts.inserted, counts.updated, counts.unchanged, counts.quarantined
        ));
    }
}

/// Records a second, whole (`indicatif`'s `{per_sec}` writes `980.9016/s`).
fn rate(state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write) {
    let _ = write!(out, "{:.0}/s", state.per_sec());
}

/// A bar of bytes written out of a total, drawn on stderr when it is a terminal (as [`Bar`]).
#[derive(Debug)]
pub struct ByteBar {
    bar: Option<ProgressBar>,
}

impl ByteBar {
    /// A bar with `prefix`, visible only on an interactive terminal outside CI.
    pub fn new(prefix: &str) -> Self {
        let bar = visible().then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix:>12} [{bar:30}] {bytes:>10} / {total_bytes:<10} {bytes_per_sec:>12}  {elapsed_precise}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("=> "));
            bar.set_prefix(prefix.to_string());
            bar
        });
        Self { bar }
    }

    /// `done` bytes of `total`.
    pub fn set(&self, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    /// Ends the bar, leaving the terminal clean for the summary line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
