//! The bound on an offload pool's queue (spec/CONTRACT.md, "Process"): at most
//! `OFFLOAD_THREADS` jobs run and [`QUEUE_LIMIT`] wait; one more is refused (503) instead of
//! growing the runtime's unbounded queue. The Go and Node pools keep the same limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Jobs that may wait for a free offload thread.
pub const QUEUE_LIMIT: usize = 1024;

/// Counts the jobs admitted to one server's offload pool.
#[derive(Debug)]
pub struct OffloadQueue {
    limit: usize,
    admitted: AtomicUsize,
}

/// One admitted job; dropping it (when the job has run, or was dropped unrun) frees its place.
#[derive(Debug)]
pub struct Admitted(Arc<OffloadQueue>);

impl OffloadQueue {
    /// A queue for a pool of `threads` threads.
    pub fn new(threads: usize) -> Arc<Self> {
        Arc::new(Self {
            limit: threads.saturating_add(QUEUE_LIMIT),
            admitted: AtomicUsize::new(0),
        })
    }

    /// A place for one job, or `None` when `threads + QUEUE_LIMIT` jobs are admitted already.
    pub fn try_admit(self: &Arc<Self>) -> Option<Admitted> {
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        if before >= self.limit {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Admitted(Arc::clone(self)))
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_plus_the_queue_limit_are_admitted_and_one_more_is_refused() {
        let queue = OffloadQueue::new(2);
        let admitted: Vec<_> = (0..2 + QUEUE_LIMIT)
            .map(|_| queue.try_admit().expect("room"))
            .collect();
        assert!(queue.try_admit().is_none());
        drop(admitted);
        assert!(queue.try_admit().is_some());
    }
}
