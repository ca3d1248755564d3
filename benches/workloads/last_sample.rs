//! Which of Criterion's calls is its last sample, so that the load can stop before Criterion's
//! analysis and plots: drawn while the load still held both CPUs, they took about 0.25 s per
//! benchmark, a minute of a full run.
//!
//! Criterion 0.8 (outside `--quick`) warms up with 1, 2, 4, ... iterations per call until the
//! durations returned add up to more than its warm-up time, then runs its n samples back to
//! back: d, 2d, ..., n·d iterations (linear sampling) or n times d (flat). The n-th call after
//! the warm-up is the last sample, and it is taken as such only when the n calls also have one
//! of those two shapes. If Criterion's plan ever differs, nothing is detected and the stream
//! ends after Criterion returns, as it did before: only the time is lost.

use std::time::Duration;

/// Watches Criterion's calls of one benchmark.
#[derive(Debug)]
pub(crate) struct LastSample {
    samples: usize,
    warm_up: Duration,
    warmed: Option<Duration>,
    sampled: Vec<u64>,
}

impl LastSample {
    /// For `samples` samples after a warm-up of `warm_up` (Criterion's settings).
    pub(crate) fn new(samples: usize, warm_up: Duration) -> Self {
        Self {
            samples,
            warm_up,
            warmed: Some(Duration::ZERO),
            sampled: Vec::new(),
        }
    }

    /// Records a call of `iters` iterations that took `elapsed`; true when it was the last
    /// sample.
    pub(crate) fn is_last(&mut self, iters: u64, elapsed: Duration) -> bool {
        if let Some(warmed) = self.warmed.as_mut() {
            *warmed += elapsed;
            if *warmed > self.warm_up {
                self.warmed = None;
            }
            return false;
        }
        self.sampled.push(iters);
        if self.sampled.len() != self.samples {
            return false;
        }
        let d = self.sampled[0];
        let linear = self
            .sampled
            .iter()
            .zip(1u64..)
            .all(|(&iters, k)| Some(iters) == d.checked_mul(k));
        let flat = self.sampled.iter().all(|&iters| iters == d);
        linear || flat
    }
}
