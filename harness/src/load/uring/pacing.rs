//! Open loop on the ring: every connection sends at its own intended times (the thread's rate
//! share, staggered by connection index, exactly as on the epoll path), and latency runs from
//! those times. The ring's wait ends shortly before the earliest due send (the thread's timer
//! slack is set to 1 ns so the kernel's timer is not rounded up by 50 us); the last
//! microseconds are covered by zero-length waits, which still take in completions, so answers
//! that arrive meanwhile are timed when they come.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// How long before a due send the ring's wait ends; the rest is spun. Wake-ups of an idle
/// core take a few to a few tens of microseconds (the epoll path's pacer uses the same).
pub(super) const SPIN_BEFORE: Duration = Duration::from_micros(60);

/// The schedule of one thread's connections.
#[derive(Debug)]
pub(super) struct Pacing {
    started: Instant,
    /// Time between two sends of one connection.
    interval: Duration,
    total_connections: usize,
    /// Sends scheduled so far, by position.
    sent: Vec<u32>,
    /// Due sends: when, which connection, and when it became free.
    due: BinaryHeap<Reverse<(Instant, usize, Instant)>>,
}

impl Pacing {
    /// The schedule for a job at `rate_per_sec` over `total_connections` (all threads'), for
    /// `positions` connections on this thread; `None` for a closed loop.
    pub(super) fn new(
        rate_per_sec: Option<f64>,
        started: Instant,
        total_connections: usize,
        positions: usize,
    ) -> Option<Self> {
        let rate = rate_per_sec?;
        Some(Self {
            started,
            interval: Duration::from_secs_f64(total_connections as f64 / rate),
            total_connections: total_connections.max(1),
            sent: vec![0; positions],
            due: BinaryHeap::with_capacity(positions),
        })
    }

    /// Schedules the next send of the connection at `pos` (connection number `index`), which
    /// became free at `free_at`.
    pub(super) fn schedule(&mut self, pos: usize, index: usize, free_at: Instant) {
        let offset = self
            .interval
            .mul_f64(index as f64 / self.total_connections as f64);
        let k = self.sent[pos];
        self.sent[pos] = k.saturating_add(1);
        let at = self.started + offset + self.interval * k;
        self.due.push(Reverse((at, pos, free_at)));
    }

    /// The next send due by `now`: position, intended time, and when its connection was free.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<(usize, Instant, Instant)> {
        let Reverse((at, _, _)) = self.due.peek()?;
        if *at > now {
            return None;
        }
        self.due
            .pop()
            .map(|Reverse((at, pos, free_at))| (pos, at, free_at))
    }

    /// When the earliest scheduled send is due.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.due.peek().map(|Reverse((at, _, _))| *at)
    }

    /// How long the ring may wait at most: until shortly before the next due send.
    pub(super) fn wait_at_most(&self, now: Instant, otherwise: Duration) -> Duration {
        match self.next_due() {
            Some(at) => otherwise.min(at.saturating_duration_since(now + SPIN_BEFORE)),
            None => otherwise,
        }
    }

    /// True when no send is scheduled.
    pub(super) fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_are_staggered_by_connection_and_spaced_by_the_rate_share() {
        let start = Instant::now();
        // 1,000 req/s over 4 connections: each sends every 4 ms, connection i offset by i ms.
        let mut pacing = Pacing::new(Some(1_000.0), start, 4, 2).unwrap();
        pacing.schedule(0, 1, start);
        pacing.schedule(1, 3, start);
        assert_eq!(pacing.next_due(), Some(start + Duration::from_millis(1)));
        assert_eq!(pacing.pop_due(start), None);
        let later = start + Duration::from_millis(10);
        assert_eq!(
            pacing.pop_due(later),
            Some((0, start + Duration::from_millis(1), start))
        );
        pacing.schedule(0, 1, later);
        let order: Vec<_> = std::iter::from_fn(|| pacing.pop_due(later)).collect();
        assert_eq!(
            order,
            [
                (1, start + Duration::from_millis(3), start),
                (0, start + Duration::from_millis(5), later)
            ]
        );
        assert!(pacing.is_empty());
        assert!(Pacing::new(None, start, 4, 2).is_none());
    }

    #[test]
    fn the_wait_ends_before_the_next_send_is_due() {
        let start = Instant::now();
        let mut pacing = Pacing::new(Some(100.0), start, 1, 1).unwrap();
        let tick = Duration::from_millis(20);
        assert_eq!(pacing.wait_at_most(start, tick), tick);
        pacing.schedule(0, 0, start);
        assert_eq!(pacing.wait_at_most(start, tick), Duration::ZERO);
        pacing.pop_due(start);
        pacing.schedule(0, 0, start);
        assert_eq!(
            pacing.wait_at_most(start, tick),
            Duration::from_millis(10) - SPIN_BEFORE
        );
    }
}
