//! A run counted per fixed interval as well as whole: the client threads already hand over
//! their counts per epoch (job.rs), so the caller only moves the epoch at each boundary. The
//! intervals are the whole run cut in pieces: their sums are the run's counts, exactly.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::job::JobShared;
use super::latency::MAX_TRACKED_US;
use super::tally::Tally;
use super::{ErrorKind, LoadEnd, LoadPlan, Sample};

/// The most intervals a timeline may have: a 30-minute run at 1 s has 1,800, and each kept
/// interval holds a latency histogram of ~13 KB.
pub const MOST_INTERVALS: u64 = 3_600;

/// A run and its timeline.
#[derive(Debug)]
pub struct TimedRun {
    /// Everything the run counted.
    pub whole: Sample,
    /// The same counts per interval, in order; empty without a timeline.
    pub intervals: Vec<Interval>,
}

/// A boundary between intervals as it passes.
#[derive(Clone, Copy, Debug)]
pub struct Boundary {
    /// The interval that ended (from 1), or 0 at the run's start.
    pub number: u64,
    pub at: Instant,
    /// Attempts finished since the run began, and how many of them failed.
    pub finished: u64,
    pub failed: u64,
}

impl Boundary {
    pub(crate) fn now(number: u64, shared: &JobShared) -> Self {
        Self {
            number,
            at: Instant::now(),
            finished: shared.completed.load(Ordering::Relaxed),
            failed: shared.failed.load(Ordering::Relaxed),
        }
    }
}

/// One interval of a timeline, kept small: a 30-minute run has 1,800 of them.
#[derive(Clone, Debug)]
pub struct Interval {
    /// When it began, from the run's start.
    pub from_start: Duration,
    /// Its length (the last one ends with the run).
    pub length: Duration,
    /// Successful responses completed in it.
    pub requests: u64,
    /// Failed attempts ended in it, by kind.
    pub errors_by_kind: BTreeMap<ErrorKind, u64>,
    /// Latency of its successful requests at 2 significant digits (the whole run keeps 3).
    pub latency_us: Histogram<u32>,
    /// Open loop: the 99th percentile of its sends' lag; `None` without sends.
    pub send_lag_p99_us: Option<u64>,
    /// CPU time of the client threads in it.
    pub client_cpu: Duration,
    pub client_threads: usize,
}

impl Interval {
    /// An interval with nothing counted yet.
    pub fn empty(from_start: Duration, length: Duration, client_threads: usize) -> Self {
        Self {
            from_start,
            length,
            requests: 0,
            errors_by_kind: BTreeMap::new(),
            latency_us: Histogram::new_with_bounds(1, MAX_TRACKED_US, 2)
                .expect("constant bounds are valid"),
            send_lag_p99_us: None,
            client_cpu: Duration::ZERO,
            client_threads,
        }
    }

    /// Adds a thread's counts. The send lag's p99 is taken from the first counts only: the
    /// ones the interval is made of; a thread's late hand-over adds counts and latencies.
    pub(crate) fn absorb(&mut self, tally: &Tally) {
        self.requests += tally.requests;
        for kind in ErrorKind::ALL {
            let n = tally.errors[kind.index()];
            if n > 0 {
                *self.errors_by_kind.entry(kind).or_insert(0) += n;
            }
        }
        for value in tally.histogram.iter_recorded() {
            let count = u32::try_from(value.count_at_value()).unwrap_or(u32::MAX);
            let _ = self.latency_us.record_n(value.value_iterated_to(), count);
        }
        if self.send_lag_p99_us.is_none() && !tally.send_lag.is_empty() {
            self.send_lag_p99_us = Some(tally.send_lag.value_at_quantile(0.99));
        }
        self.client_cpu += tally.cpu;
    }

    /// Failed attempts.
    pub fn errors(&self) -> u64 {
        self.errors_by_kind.values().sum()
    }

    /// Client CPU / (length x client threads).
    pub fn client_cpu_busy(&self) -> f64 {
        crate::metrics::cpu_busy(
            self.client_cpu.as_secs_f64(),
            self.length.as_secs_f64(),
            self.client_threads,
        )
    }
}

/// Builds a run's intervals as its boundaries pass. The threads hand their counts over per
/// epoch (interval n is epoch 2n - 1), each when it next sees the epoch move (within
/// `EPOCH_TICK` when idle), so an interval is made small once the one after it has ended too;
/// counts that come later still (a descheduled thread) are added to it as they come.
#[derive(Debug)]
pub(crate) struct TimelineBuilder {
    started: Instant,
    every: Duration,
    /// Where a run of fixed length ends: no boundary is set within the last twentieth of an
    /// interval before it, so a 10 s run at 1 s has 10 intervals, not 10 and a sliver.
    ends_at: Option<Instant>,
    boundaries: Vec<Instant>,
    threads: usize,
    /// Counts of intervals not yet made small, by index (from 0).
    open: BTreeMap<usize, Tally>,
    kept: Vec<Interval>,
}

impl TimelineBuilder {
    pub(crate) fn new(started: Instant, every: Duration, plan: &LoadPlan, threads: usize) -> Self {
        let ends_at = match plan.stop {
            LoadEnd::Duration(length) => Some(started + length),
            _ => None,
        };
        Self {
            started,
            every,
            ends_at,
            boundaries: vec![started],
            threads,
            open: BTreeMap::new(),
            kept: Vec::new(),
        }
    }

    /// When the open interval ends, unless the run's own end closes it (or the timeline is
    /// full, when the last interval runs to the end).
    pub(crate) fn next_boundary(&self) -> Option<Instant> {
        let count = self.boundaries.len() as u64;
        if count >= MOST_INTERVALS {
            return None;
        }
        let at = self.started + self.every.saturating_mul(u32::try_from(count).ok()?);
        match self.ends_at {
            Some(end) if at + self.every / 20 >= end => None,
            _ => Some(at),
        }
    }

    /// Closes the open interval now and returns its number (from 1); makes the one before it
    /// small.
    pub(crate) fn tick(&mut self) -> u64 {
        self.boundaries.push(Instant::now());
        let ended = self.boundaries.len() - 1;
        if let Some(settled) = ended.checked_sub(2) {
            self.keep_up_to(settled);
        }
        ended as u64
    }

    /// Adds a thread's counts to their interval.
    pub(crate) fn absorb(&mut self, tally: &Tally) {
        let last = self.boundaries.len() - 1;
        let index = usize::try_from(tally.epoch.div_ceil(2))
            .unwrap_or(usize::MAX)
            .saturating_sub(1)
            .min(last);
        match self.kept.get_mut(index) {
            Some(kept) => kept.absorb(tally),
            None => match self.open.get_mut(&index) {
                Some(open) => open.merge(tally),
                None => {
                    let mut open = Tally::new(tally.epoch);
                    open.merge(tally);
                    self.open.insert(index, open);
                }
            },
        }
    }

    /// Closes the last interval at the run's end; returns every interval.
    pub(crate) fn finish(mut self) -> Vec<Interval> {
        self.boundaries.push(Instant::now());
        self.keep_up_to(self.boundaries.len() - 2);
        self.kept
    }

    /// Makes intervals up to `index` small, in order.
    fn keep_up_to(&mut self, index: usize) {
        while self.kept.len() <= index {
            let n = self.kept.len();
            let (from, to) = (self.boundaries[n], self.boundaries[n + 1]);
            let mut interval = Interval::empty(
                from.saturating_duration_since(self.started),
                to.saturating_duration_since(from),
                self.threads,
            );
            if let Some(tally) = self.open.remove(&n) {
                interval.absorb(&tally);
            }
            self.kept.push(interval);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(epoch: u64, requests: u64) -> Tally {
        let mut tally = Tally::new(epoch);
        for _ in 0..requests {
            tally.success(100);
        }
        tally
    }

    fn builder(run: Duration) -> TimelineBuilder {
        let plan = LoadPlan::duration(run);
        TimelineBuilder::new(Instant::now(), Duration::from_secs(1), &plan, 1)
    }

    #[test]
    fn counts_go_to_their_epoch_s_interval_and_late_ones_still_count() {
        let mut timeline = builder(Duration::from_secs(3));
        timeline.absorb(&tally(0, 1));
        timeline.absorb(&tally(1, 10));
        assert_eq!(timeline.tick(), 1);
        timeline.absorb(&tally(3, 20));
        assert_eq!(timeline.tick(), 2);
        // Interval 1 is small now; a late hand-over for it is still added.
        timeline.absorb(&tally(1, 5));
        timeline.absorb(&tally(5, 30));
        let intervals = timeline.finish();
        let requests: Vec<u64> = intervals.iter().map(|i| i.requests).collect();
        assert_eq!(requests, [16, 20, 30]);
        assert_eq!(intervals[0].latency_us.len(), 16);
        assert!(intervals[2].from_start >= intervals[1].from_start);
    }

    #[test]
    fn a_run_of_fixed_length_gets_no_sliver_of_an_interval_at_its_end() {
        let mut timeline = builder(Duration::from_secs(3));
        assert!(timeline.next_boundary().is_some());
        timeline.tick();
        assert!(timeline.next_boundary().is_some());
        timeline.tick();
        // The third boundary is the run's end, which closes the interval itself.
        assert_eq!(timeline.next_boundary(), None);
        assert_eq!(timeline.finish().len(), 3);
    }

    #[test]
    fn a_timeline_stops_adding_boundaries_at_its_most_intervals() {
        let mut timeline = builder(Duration::from_secs(86_400));
        for _ in 1..MOST_INTERVALS {
            timeline.tick();
        }
        assert_eq!(timeline.next_boundary(), None);
        assert_eq!(timeline.finish().len() as u64, MOST_INTERVALS);
    }
}
