//! What a run did, for `sync_runs`, logs and the one-line summary.

use std::time::Duration;

use aduan_core::{FaultCounts, StandIns};
use aduan_store::RunRecord;
use chrono::Utc;

use crate::Counts;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything fetched and stored.
    Ok,
    /// Stopped early (time budget, or an error after some batches); resumes next run.
    Partial,
    /// Stopped by an error before anything was stored.
    Failed,
    /// Not run: another run of the channel holds the lease.
    Skipped,
}

impl Outcome {
    /// As stored in `sync_runs.outcome`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Partial => "partial",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// The report of one run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The run's id.
    pub run_id: String,
    /// The channel.
    pub channel: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What it did.
    pub counts: Counts,
    /// Faults met (retries by reason, token refreshes, skipped items).
    pub faults: FaultCounts,
    /// The error, if any.
    pub error: Option<String>,
    /// How long the source asked to be left alone, when the run stopped for it (a
    /// `Retry-After` longer than a run waits out, see [`aduan_core::Error::AskedToWait`]):
    /// the scheduler holds the channel back no shorter. Read from the answer's header, never
    /// from `error`'s words, which quote the source's body.
    pub asked_wait: Option<Duration>,
    /// What the run read past and left for the next run to try again (a listed file that
    /// could not be read), each named with why; the run is then `partial`.
    pub left_behind: Vec<String>,
    /// Whether the channel was read to its end (no error, budget or shutdown stopped it).
    pub read_to_end: bool,
    /// How long it took.
    pub elapsed: Duration,
    /// How the summary calls the stand-ins the run replaced by the records they stood in
    /// for, in the words of the channel's operators (its connector's
    /// [`STAND_INS`](aduan_core::PullConnector::STAND_INS): 112's are calls exported without
    /// their ticket, replaced by their rows with it; review: the summary said they were
    /// "folded into others", which told an operator of 112 nothing).
    pub stand_ins: StandIns,
}

impl RunReport {
    pub(crate) fn new(run: &RunRecord, outcome: Outcome, elapsed: Duration) -> Self {
        Self {
            run_id: run.run_id.clone(),
            channel: run.channel.clone(),
            outcome,
            counts: Counts::default(),
            faults: FaultCounts::default(),
            error: None,
            asked_wait: None,
            left_behind: Vec::new(),
            read_to_end: false,
            elapsed,
            stand_ins: StandIns::GENERAL,
        }
    }

    /// Copies the report into the run's row.
    pub(crate) fn fill(&self, run: &mut RunRecord) {
        let c = &self.counts;
        run.finished_at = Some(Utc::now());
        run.outcome = Some(self.outcome.as_str().into());
        run.fetched = c.fetched as i64;
        run.inserted = c.inserted as i64;
        run.updated = c.updated as i64;
        run.unchanged = c.unchanged as i64;
        run.quarantined = c.quarantined as i64;
        run.error = self.error.clone();
        run.report = Some(
            serde_json::json!({
                "faults": self.faults,
                "unknown_values": c.unknown,
                "batches": c.batches,
                "waiting": c.waiting,
                "elapsed_secs": self.elapsed.as_secs_f64(),
            })
            .to_string(),
        );
    }

    /// One line: channel, outcome, counts, rate, faults.
    pub fn summary_line(&self) -> String {
        let c = &self.counts;
        let secs = self.elapsed.as_secs_f64().max(0.001);
        let mut line = format!(
            "{}: {} — fetched {}, inserted {}, updated {}, unchanged {}, quarantined {} in {:.1}s ({:.0} records/s)",
            self.channel,
            self.outcome.as_str(),
            c.fetched,
            c.inserted,
            c.updated,
            c.unchanged,
            c.quarantined,
            secs,
            c.fetched as f64 / secs
        );
        if c.removed > 0 {
            line.push_str(&format!("; {} folded into others", c.removed));
        }
        if c.replaced > 0 {
            line.push_str(&format!("; {}", self.stand_ins.replaced(c.replaced)));
        }
        if c.waiting > 0 {
            line.push_str(&format!(
                "; {} waiting for the rest of their record",
                c.waiting
            ));
        }
        if !self.faults.is_empty() {
            let f: Vec<String> = self
                .faults
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            line.push_str(&format!("; faults met: {}", f.join(", ")));
        }
        let unknown: u64 = c.unknown.values().sum();
        if unknown > 0 {
            line.push_str(&format!("; {unknown} unknown values"));
        }
        if let Some(e) = &self.error {
            line.push_str(&format!("; error: {e}"));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(channel: &str, removed: u64, replaced: u64) -> RunReport {
        RunReport {
            run_id: "r".into(),
            channel: channel.into(),
            outcome: Outcome::Ok,
            counts: Counts {
                removed,
                replaced,
                ..Counts::default()
            },
            faults: FaultCounts::default(),
            error: None,
            asked_wait: None,
            left_behind: Vec::new(),
            read_to_end: true,
            elapsed: Duration::from_secs(1),
            stand_ins: StandIns::GENERAL,
        }
    }

    /// Review (session 51): the engine's summary named 112 by its id, `cc112`, and said its
    /// words for it: words of a channel in the one place that knows none. A report that
    /// carries no channel's words says the general ones, whatever the channel's id.
    #[test]
    fn the_summary_of_a_run_names_no_channel_s_words_of_its_own() {
        let line = report("cc112", 0, 2).summary_line();
        assert!(
            line.ends_with("; 2 stand-ins replaced by the records they stood in for"),
            "{line}"
        );
    }

    /// Complaints folded into others and stand-ins replaced are told apart, each in its
    /// own words, and only when there are any.
    #[test]
    fn folded_and_replaced_complaints_are_told_apart() {
        let ticketless = StandIns {
            one: "ticketless call replaced by its ticketed row",
            many: "ticketless calls replaced by their ticketed rows",
        };
        let line = RunReport {
            stand_ins: ticketless,
            ..report("cc112", 0, 2)
        }
        .summary_line();
        assert!(
            line.ends_with("; 2 ticketless calls replaced by their ticketed rows"),
            "{line}"
        );
        let line = report("wadul_aladin", 1, 0).summary_line();
        assert!(line.ends_with("; 1 folded into others"), "{line}");
        let line = report("other", 3, 1).summary_line();
        assert!(
            line.ends_with(
                "; 3 folded into others; 1 stand-in replaced by the record it stood in for"
            ),
            "{line}"
        );
        let line = report("cc112", 0, 0).summary_line();
        assert!(
            !line.contains("folded") && !line.contains("replaced"),
            "{line}"
        );
    }
}
