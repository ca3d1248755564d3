//! What one client thread counts, per epoch: a stream's controller moves the epoch at window
//! boundaries, and each thread hands over its counts when it sees the epoch change, so a record
//! can be assembled from exactly the windows that were measured.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::latency::{new_histogram, record_us};
use super::{ErrorKind, Sample};

/// Counts of one thread over one epoch.
#[derive(Debug)]
pub(crate) struct Tally {
    pub(crate) epoch: u64,
    pub(crate) requests: u64,
    pub(crate) errors: [u64; ErrorKind::ALL.len()],
    pub(crate) late_sends: u64,
    pub(crate) backlogged_sends: u64,
    pub(crate) checked_answers: u64,
    pub(crate) histogram: Histogram<u64>,
    pub(crate) send_lag: Histogram<u64>,
    pub(crate) wrong_answer_example: Option<String>,
    /// The thread's CPU time during the epoch.
    pub(crate) cpu: Duration,
}

impl Tally {
    pub(crate) fn new(epoch: u64) -> Self {
        Self {
            epoch,
            requests: 0,
            errors: [0; ErrorKind::ALL.len()],
            late_sends: 0,
            backlogged_sends: 0,
            checked_answers: 0,
            histogram: new_histogram(),
            send_lag: new_histogram(),
            wrong_answer_example: None,
            cpu: Duration::ZERO,
        }
    }

    pub(crate) fn success(&mut self, latency_us: u64) {
        self.requests += 1;
        record_us(&mut self.histogram, latency_us);
    }

    pub(crate) fn error(&mut self, kind: ErrorKind) {
        self.errors[kind.index()] += 1;
    }

    /// Folds another tally (of the same or another thread) into this one.
    pub(crate) fn merge(&mut self, other: &Tally) {
        self.requests += other.requests;
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
        self.late_sends += other.late_sends;
        self.backlogged_sends += other.backlogged_sends;
        self.checked_answers += other.checked_answers;
        let _ = self.histogram.add(&other.histogram);
        let _ = self.send_lag.add(&other.send_lag);
        if self.wrong_answer_example.is_none() {
            self.wrong_answer_example = other.wrong_answer_example.clone();
        }
        self.cpu += other.cpu;
    }

    /// The sample these counts make over `elapsed`, run by `threads` client threads.
    pub(crate) fn into_sample(self, elapsed: Duration, threads: usize) -> Sample {
        let mut sample = Sample::empty();
        sample.requests = self.requests;
        for kind in ErrorKind::ALL {
            let n = self.errors[kind.index()];
            if n > 0 {
                sample.errors_by_kind.insert(kind, n);
            }
        }
        sample.elapsed = elapsed;
        sample.histogram = self.histogram;
        sample.send_lag = self.send_lag;
        sample.late_sends = self.late_sends;
        sample.backlogged_sends = self.backlogged_sends;
        sample.client_cpu = self.cpu;
        sample.client_threads = threads;
        sample.checked_answers = self.checked_answers;
        sample.wrong_answer_example = self.wrong_answer_example;
        sample
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_tallies_add_up_and_keep_the_first_wrong_answer() {
        let mut a = Tally::new(1);
        a.success(100);
        a.error(ErrorKind::Io);
        a.wrong_answer_example = Some("first".into());
        a.cpu = Duration::from_millis(3);
        let mut b = Tally::new(1);
        b.success(300);
        b.error(ErrorKind::WrongAnswer);
        b.wrong_answer_example = Some("second".into());
        b.cpu = Duration::from_millis(4);
        a.merge(&b);
        let sample = a.into_sample(Duration::from_secs(1), 2);
        assert_eq!(sample.requests, 2);
        assert_eq!(sample.errors(), 2);
        assert_eq!(sample.errors_by_kind[&ErrorKind::WrongAnswer], 1);
        assert_eq!(sample.wrong_answer_example.as_deref(), Some("first"));
        assert_eq!(sample.client_cpu, Duration::from_millis(7));
        assert_eq!(sample.histogram.len(), 2);
    }
}
