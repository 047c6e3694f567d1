//! Fetching ahead: the connector's batches are read in a task of their own while the engine
//! writes, and small pages are joined into large batches (one transaction each). The joined
//! batch carries the last cursor among its parts: a record after that cursor is stored but
//! read again next run, where its unchanged payload changes nothing.
//!
//! A join is handed over when it is large enough, when it has waited [`JOIN_AGE`] for its
//! parts (a channel paced to a strict rate limit gives a page every few seconds: its progress
//! is stored as it goes, not once a large batch is full), and when the run's time budget is
//! used up (the run then stops after storing what it read).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aduan_core::{Batch, BatchSource, FaultCounts, Result};
use async_trait::async_trait;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long a join waits for more parts before it is handed over.
pub(crate) const JOIN_AGE: Duration = Duration::from_secs(2);

/// Payload bytes enough for a batch: PostgreSQL takes a batch's payloads in one parameter,
/// and refuses one of a gigabyte (a source's pages of pasted photos); memory stays bounded.
pub(crate) const JOIN_BYTES: usize = 64 << 20;

/// When a join is handed over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Join {
    /// Records enough for a batch.
    pub(crate) records: usize,
    /// Payload bytes enough for a batch (a part is never split: one larger goes alone).
    pub(crate) bytes: usize,
    /// The longest a join waits for its parts.
    pub(crate) age: Duration,
    /// The run's time budget ends here.
    pub(crate) deadline: Option<Instant>,
}

/// Reads `inner`, `channel`'s, ahead (one joined batch in flight) and joins its batches as
/// `join` says.
pub(crate) fn prefetch(channel: &str, inner: Box<dyn BatchSource>, join: Join) -> Prefetch {
    let (tx, rx) = mpsc::channel(1);
    let met = Arc::new(Mutex::new(Met::of(inner.as_ref())));
    let in_flight = inner.in_flight();
    let give_up = Arc::new(Notify::new());
    let task = tokio::spawn(read_ahead(
        inner,
        join,
        tx,
        Arc::clone(&met),
        Arc::clone(&give_up),
    ));
    Prefetch {
        channel: channel.to_string(),
        rx,
        met,
        in_flight,
        give_up,
        task: Some(task),
    }
}

/// How long [`Prefetch::give_up`] waits for the reader to let its fetch go.
const GIVE_UP_WITHIN: Duration = Duration::from_secs(1);

/// What the source read ahead met so far: its faults and what it left behind.
#[derive(Default, Clone)]
struct Met {
    faults: FaultCounts,
    left: Vec<String>,
}

impl Met {
    fn of(source: &dyn BatchSource) -> Self {
        Met {
            faults: source.faults(),
            left: source.left_behind(),
        }
    }
}

async fn read_ahead(
    mut inner: Box<dyn BatchSource>,
    join: Join,
    tx: mpsc::Sender<Result<Batch>>,
    met: Arc<Mutex<Met>>,
    give_up: Arc<Notify>,
) {
    let target = join.records.max(1);
    loop {
        let mut joined = Batch::default();
        let mut parts = 0;
        let mut end = false;
        let mut bytes = 0;
        let started = Instant::now();
        let full = |joined: &Batch, bytes: usize| {
            let now = Instant::now();
            joined.records.len() >= target
                || bytes >= join.bytes
                || now.duration_since(started) >= join.age
                || join.deadline.is_some_and(|d| now >= d)
        };
        while parts == 0 || !full(&joined, bytes) {
            let next = tokio::select! {
                next = inner.next_batch() => Some(next),
                () = give_up.notified() => None,
            };
            if let Ok(mut m) = met.lock() {
                *m = Met::of(inner.as_ref());
            }
            // Given up: what the fetch met is read from the source once it has let it go
            // (a source with no view of a fetch in flight has no other way to tell it).
            let Some(next) = next else {
                return;
            };
            match next {
                Ok(Some(b)) => {
                    parts += 1;
                    let offset = joined.records.len();
                    joined.again.extend(b.again.iter().map(|i| i + offset));
                    bytes += b.records.iter().map(|r| r.payload.len()).sum::<usize>();
                    joined.records.extend(b.records);
                    if b.cursor.is_some() {
                        joined.cursor = b.cursor;
                    }
                }
                Ok(None) => {
                    end = true;
                    break;
                }
                Err(e) => {
                    // What was read before the error is still stored.
                    if parts > 0 && tx.send(Ok(joined)).await.is_err() {
                        return;
                    }
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
        if parts > 0 && tx.send(Ok(joined)).await.is_err() {
            return;
        }
        if end {
            return;
        }
    }
}

/// A source read ahead (see [`prefetch`]).
pub(crate) struct Prefetch {
    channel: String,
    rx: mpsc::Receiver<Result<Batch>>,
    met: Arc<Mutex<Met>>,
    /// The source's view while it fetches (see [`BatchSource::in_flight`]).
    in_flight: Option<Arc<dyn aduan_core::InFlight>>,
    /// Tells the reader to let its fetch go (see [`Prefetch::give_up`]).
    give_up: Arc<Notify>,
    /// The reading task, until its end was seen.
    task: Option<JoinHandle<()>>,
}

impl Prefetch {
    /// Gives the fetch in flight up (a run stopped by its budget or a shutdown) and waits a
    /// moment for the reader to let it go, so that [`faults`](BatchSource::faults) then
    /// says what it met (a `429` counted before its wait), also of a source with no view of
    /// a fetch in flight.
    pub(crate) async fn give_up(&mut self) {
        self.give_up.notify_one();
        if let Some(task) = self.task.as_mut() {
            if tokio::time::timeout(GIVE_UP_WITHIN, task).await.is_ok() {
                self.task = None;
            }
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // A run that stops early (budget, shutdown) leaves nothing reading behind it.
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

#[async_trait]
impl BatchSource for Prefetch {
    async fn next_batch(&mut self) -> Result<Option<Batch>> {
        match self.rx.recv().await {
            Some(Ok(b)) => Ok(Some(b)),
            Some(Err(e)) => Err(e),
            // The task ended: at the source's end, or on a panic (which closes the channel
            // as well, and must not read as the end: the run would be a clean one, run after
            // run, stopping at the same page).
            None => match self.task.take() {
                Some(task) => match task.await {
                    Ok(()) => Ok(None),
                    Err(e) => Err(aduan_core::Error::Defect {
                        channel: self.channel.clone(),
                        what: if e.is_panic() {
                            "its reader panicked".to_string()
                        } else {
                            "its reader was cancelled".to_string()
                        },
                    }),
                },
                None => Ok(None),
            },
        }
    }

    fn faults(&self) -> FaultCounts {
        self.met
            .lock()
            .map(|m| m.faults.clone())
            .unwrap_or_default()
    }

    fn left_behind(&self) -> Vec<String> {
        self.met.lock().map(|m| m.left.clone()).unwrap_or_default()
    }

    fn in_flight(&self) -> Option<Arc<dyn aduan_core::InFlight>> {
        self.in_flight.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aduan_core::{Error, RawRecord};

    struct Pages {
        left: Vec<Result<Batch>>,
    }

    #[async_trait]
    impl BatchSource for Pages {
        async fn next_batch(&mut self) -> Result<Option<Batch>> {
            if self.left.is_empty() {
                return Ok(None);
            }
            self.left.remove(0).map(Some)
        }
        fn faults(&self) -> FaultCounts {
            FaultCounts::from([("rate_limited".to_string(), 1)])
        }
    }

    fn join(records: usize) -> Join {
        Join {
            records,
            bytes: usize::MAX,
            age: Duration::from_secs(3600),
            deadline: None,
        }
    }

    /// Pages of one record each, one a second (the clock is tokio's paused one).
    struct Slow {
        n: usize,
    }

    #[async_trait]
    impl BatchSource for Slow {
        async fn next_batch(&mut self) -> Result<Option<Batch>> {
            tokio::time::sleep(Duration::from_secs(1)).await;
            self.n += 1;
            page(1, Some(&self.n.to_string())).map(Some)
        }
        fn faults(&self) -> FaultCounts {
            FaultCounts::new()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_source_is_handed_over_as_it_ages_and_page_by_page_past_the_deadline() {
        let mut p = prefetch(
            "x",
            Box::new(Slow { n: 0 }),
            Join {
                records: 100,
                bytes: usize::MAX,
                age: Duration::from_secs(3),
                deadline: Some(Instant::now() + Duration::from_secs(7)),
            },
        );
        let mut sizes = Vec::new();
        for _ in 0..4 {
            let b = p.next_batch().await.unwrap().unwrap();
            sizes.push((b.records.len(), b.cursor.unwrap_or_default()));
        }
        let sizes: Vec<(usize, &str)> = sizes.iter().map(|(n, c)| (*n, c.as_str())).collect();
        // Three a join until the deadline (second 7), then one by one.
        assert_eq!(sizes, [(3, "3"), (3, "6"), (1, "7"), (1, "8")]);
    }

    fn page(n: usize, cursor: Option<&str>) -> Result<Batch> {
        let r = RawRecord {
            source_ref: String::new(),
            external_id: None,
            received_at: chrono::Utc::now(),
            payload: vec![],
        };
        Ok(Batch {
            records: vec![r; n],
            cursor: cursor.map(str::to_string),
            again: Vec::new(),
        })
    }

    #[tokio::test]
    async fn small_pages_are_joined_and_carry_the_last_cursor() {
        let inner = Pages {
            left: vec![
                page(3, Some("a")),
                page(3, None),
                page(3, Some("c")),
                page(3, None),
                page(1, Some("e")),
            ],
        };
        let mut p = prefetch("x", Box::new(inner), join(6));
        let b = p.next_batch().await.unwrap().unwrap();
        assert_eq!((b.records.len(), b.cursor.as_deref()), (6, Some("a")));
        let b = p.next_batch().await.unwrap().unwrap();
        assert_eq!((b.records.len(), b.cursor.as_deref()), (6, Some("c")));
        let b = p.next_batch().await.unwrap().unwrap();
        assert_eq!((b.records.len(), b.cursor.as_deref()), (1, Some("e")));
        assert!(p.next_batch().await.unwrap().is_none());
        assert_eq!(p.faults().get("rate_limited"), Some(&1));
    }

    /// Pages of large payloads are joined up to the bytes a batch may hold, not its records.
    #[tokio::test]
    async fn large_payloads_are_joined_up_to_the_bytes_a_batch_holds() {
        let big = |n: usize, cursor: &str| {
            page(n, Some(cursor)).map(|mut b| {
                for r in &mut b.records {
                    r.payload = vec![b'x'; 1000];
                }
                b
            })
        };
        let inner = Pages {
            left: vec![big(2, "a"), big(2, "b"), big(5, "c"), big(1, "d")],
        };
        let mut p = prefetch(
            "x",
            Box::new(inner),
            Join {
                bytes: 3500,
                ..join(100)
            },
        );
        let mut sizes = Vec::new();
        while let Some(b) = p.next_batch().await.unwrap() {
            sizes.push((b.records.len(), b.cursor.unwrap_or_default()));
        }
        let sizes: Vec<(usize, &str)> = sizes.iter().map(|(n, c)| (*n, c.as_str())).collect();
        // 4,000 bytes reach the 3,500; a part of 5,000 goes on its own.
        assert_eq!(sizes, [(4, "b"), (5, "c"), (1, "d")]);
    }

    /// A source that gives one page, then panics (a defect, say a slice of what it read).
    struct Panics {
        given: bool,
    }

    #[async_trait]
    impl BatchSource for Panics {
        async fn next_batch(&mut self) -> Result<Option<Batch>> {
            if std::mem::replace(&mut self.given, true) {
                panic!("a defect reading the second page");
            }
            page(2, Some("a")).map(Some)
        }
        fn faults(&self) -> FaultCounts {
            FaultCounts::new()
        }
    }

    /// A reader that panics is an error of the run, not the source's end (the run would be
    /// a clean one, stopping at the same page run after run); what it read before is handed
    /// over first.
    #[tokio::test]
    async fn a_reader_that_panics_is_an_error_not_the_end() {
        let mut p = prefetch(
            "sp4n_lapor",
            Box::new(Panics { given: false }),
            Join {
                age: Duration::ZERO,
                ..join(100)
            },
        );
        let b = p.next_batch().await.unwrap().unwrap();
        assert_eq!((b.records.len(), b.cursor.as_deref()), (2, Some("a")));
        let e = p.next_batch().await.unwrap_err();
        assert!(
            matches!(&e, Error::Defect { channel, .. } if channel == "sp4n_lapor"),
            "{e}"
        );
        assert!(e.to_string().contains("panicked"), "{e}");
    }

    #[tokio::test]
    async fn records_read_before_an_error_come_first_then_the_error() {
        let inner = Pages {
            left: vec![
                page(2, Some("a")),
                Err(Error::Transport {
                    channel: "x".into(),
                    message: "gone".into(),
                }),
            ],
        };
        let mut p = prefetch("x", Box::new(inner), join(100));
        let b = p.next_batch().await.unwrap().unwrap();
        assert_eq!((b.records.len(), b.cursor.as_deref()), (2, Some("a")));
        assert!(p.next_batch().await.is_err());
    }
}
