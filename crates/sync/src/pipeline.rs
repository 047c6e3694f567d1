//! Fetching ahead: the connector's batches are read in a task of their own while the engine
//! writes, and small pages are joined into large batches (one transaction each). The joined
//! batch carries the last cursor among its parts: a record after that cursor is stored but
//! read again next run, where its unchanged payload changes nothing.

use std::sync::{Arc, Mutex};

use aduan_core::{Batch, BatchSource, FaultCounts, Result};
use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Reads `inner` ahead (one joined batch in flight) and joins its batches up to
/// `target_records` records.
pub(crate) fn prefetch(inner: Box<dyn BatchSource>, target_records: usize) -> Box<dyn BatchSource> {
    let (tx, rx) = mpsc::channel(1);
    let faults = Arc::new(Mutex::new(inner.faults()));
    let task = tokio::spawn(read_ahead(
        inner,
        target_records.max(1),
        tx,
        Arc::clone(&faults),
    ));
    Box::new(Prefetch { rx, faults, task })
}

async fn read_ahead(
    mut inner: Box<dyn BatchSource>,
    target: usize,
    tx: mpsc::Sender<Result<Batch>>,
    faults: Arc<Mutex<FaultCounts>>,
) {
    loop {
        let mut joined = Batch::default();
        let mut parts = 0;
        let mut end = false;
        while joined.records.len() < target {
            let next = inner.next_batch().await;
            if let Ok(mut f) = faults.lock() {
                *f = inner.faults();
            }
            match next {
                Ok(Some(b)) => {
                    parts += 1;
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

struct Prefetch {
    rx: mpsc::Receiver<Result<Batch>>,
    faults: Arc<Mutex<FaultCounts>>,
    task: JoinHandle<()>,
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // A run that stops early (budget, shutdown) leaves nothing reading behind it.
        self.task.abort();
    }
}

#[async_trait]
impl BatchSource for Prefetch {
    async fn next_batch(&mut self) -> Result<Option<Batch>> {
        match self.rx.recv().await {
            Some(Ok(b)) => Ok(Some(b)),
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    }

    fn faults(&self) -> FaultCounts {
        self.faults.lock().map(|f| f.clone()).unwrap_or_default()
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
        let mut p = prefetch(Box::new(inner), 6);
        let b = p.next_batch().await.unwrap().unwrap();
        assert_eq!((b.records.len(), b.cursor.as_deref()), (6, Some("a")));
        let b = p.next_batch().await.unwrap().unwrap();
        assert_eq!((b.records.len(), b.cursor.as_deref()), (6, Some("c")));
        let b = p.next_batch().await.unwrap().unwrap();
        assert_eq!((b.records.len(), b.cursor.as_deref()), (1, Some("e")));
        assert!(p.next_batch().await.unwrap().is_none());
        assert_eq!(p.faults().get("rate_limited"), Some(&1));
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
        let mut p = prefetch(Box::new(inner), 100);
        let b = p.next_batch().await.unwrap().unwrap();
        assert_eq!((b.records.len(), b.cursor.as_deref()), (2, Some("a")));
        assert!(p.next_batch().await.is_err());
    }
}
