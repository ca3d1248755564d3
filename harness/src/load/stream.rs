//! A stream: closed-loop load that keeps every connection busy while the caller times windows
//! inside it. Criterion's `iter_custom(iters)` becomes "the time for `iters` completions in a
//! steady stream", so no sample starts all connections together or drains them to zero.
//!
//! Window `w` counts in epoch `2w - 1`; the gap after it (the caller's bookkeeping) in epoch
//! `2w`. Client threads hand over their counts per epoch, so a record can later be made of any
//! run of consecutive windows (with the gaps between them), whatever came before.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::client::LoadClient;
use super::job::{Event, JobShared};
use super::tally::Tally;
use super::{LoadError, Sample};

/// One timed window of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The window's number, from 1.
    pub number: u64,
    /// When its epoch began.
    pub opened: Instant,
    /// When its last completion came (the epoch moved on right after).
    pub closed: Instant,
    /// Time for the window's completions: what Criterion gets.
    pub elapsed: Duration,
}

/// A running stream over a [`LoadClient`]'s connections. Dropping it stops the load.
#[derive(Debug)]
pub struct Stream<'c> {
    client: &'c mut LoadClient,
    shared: Arc<JobShared>,
    events: mpsc::Receiver<Event>,
    window_ends: mpsc::Receiver<Instant>,
    tallies: BTreeMap<u64, Tally>,
    windows: u64,
    keep_windows: u64,
    done: usize,
    per_connection: Vec<u64>,
    stall_after: Duration,
}

impl<'c> Stream<'c> {
    pub(crate) fn new(
        client: &'c mut LoadClient,
        shared: Arc<JobShared>,
        events: mpsc::Receiver<Event>,
        window_ends: mpsc::Receiver<Instant>,
    ) -> Self {
        let stall_after = shared.plan.request_timeout;
        Self {
            client,
            shared,
            events,
            window_ends,
            tallies: BTreeMap::new(),
            windows: 0,
            keep_windows: u64::MAX,
            done: 0,
            per_connection: Vec::new(),
            stall_after,
        }
    }

    /// Keeps the counts of only the last `windows` windows (and their gaps), bounding memory
    /// over long Criterion runs; older windows can no longer be part of a record.
    pub fn keep_last(&mut self, windows: usize) {
        self.keep_windows = windows.max(1) as u64;
    }

    /// A handle that reads this stream's finished attempts from anywhere, e.g. to count a
    /// background load's requests inside another stream's windows.
    pub fn counter(&self) -> CompletionCounter {
        CompletionCounter(Arc::clone(&self.shared))
    }

    /// Attempts finished so far, and how many of them failed.
    pub fn progress(&self) -> (u64, u64) {
        (
            self.shared.completed.load(Ordering::Relaxed),
            self.shared.failed.load(Ordering::Relaxed),
        )
    }

    /// Connections that have had a whole answer (pipelined: a whole batch) since the stream
    /// began, and all connections.
    pub fn answered_connections(&self) -> (usize, usize) {
        let answered = self.shared.answered_connections.load(Ordering::Relaxed);
        (
            usize::try_from(answered).unwrap_or(usize::MAX),
            self.shared.total_connections,
        )
    }

    /// Times the next `completions` finished attempts. Blocks until they have finished; fails
    /// when nothing finishes for the plan's request timeout or the client stopped.
    pub fn window(&mut self, completions: u64) -> Result<Window, LoadError> {
        self.windows += 1;
        let number = self.windows;
        while self.window_ends.try_recv().is_ok() {}
        let opened = Instant::now();
        // Sequentially consistent with the client threads' counting (`finish_attempt`), so
        // every attempt counted towards the window is tallied in it.
        self.shared.epoch.store(2 * number - 1, Ordering::SeqCst);
        let start_count = self.shared.completed.load(Ordering::SeqCst);
        let target = start_count + completions.max(1);
        let timed_from = Instant::now();
        self.shared.window_end.store(target, Ordering::Release);
        let closed = if self.shared.completed.load(Ordering::Acquire) >= target
            && self
                .shared
                .window_end
                .compare_exchange(target, u64::MAX, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            Instant::now()
        } else {
            self.wait_for_end()?
        };
        self.shared.epoch.store(2 * number, Ordering::Relaxed);
        self.collect_ready();
        Ok(Window {
            number,
            opened,
            closed,
            elapsed: closed.saturating_duration_since(timed_from),
        })
    }

    fn wait_for_end(&mut self) -> Result<Instant, LoadError> {
        let mut last_count = self.shared.completed.load(Ordering::Relaxed);
        let mut last_progress = Instant::now();
        loop {
            match self.window_ends.recv_timeout(Duration::from_millis(250)) {
                Ok(at) => return Ok(at),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(LoadError::Client("the client threads stopped".into()));
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.collect_ready();
                    if self.done == self.client.threads() {
                        return Err(LoadError::Client(
                            "the stream reached its time limit".into(),
                        ));
                    }
                    let count = self.shared.completed.load(Ordering::Relaxed);
                    if count != last_count {
                        (last_count, last_progress) = (count, Instant::now());
                    } else if last_progress.elapsed() >= self.stall_after {
                        self.shared.window_end.store(u64::MAX, Ordering::Relaxed);
                        return Err(LoadError::Stalled {
                            waited: last_progress.elapsed(),
                            completed: count,
                        });
                    }
                }
            }
        }
    }

    fn collect_ready(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            self.absorb(event);
        }
        // Until more windows than are kept have opened, everything is kept, the counts from
        // before the first window included.
        if let Some(dropped_up_to) =
            (2 * self.windows).checked_sub(self.keep_windows.saturating_mul(2))
        {
            self.tallies.retain(|epoch, _| *epoch > dropped_up_to);
        }
    }

    fn absorb(&mut self, event: Event) {
        match event {
            Event::Tally(tally) => match self.tallies.get_mut(&tally.epoch) {
                Some(mine) => mine.merge(&tally),
                None => {
                    self.tallies.insert(tally.epoch, *tally);
                }
            },
            Event::Done(counts) => {
                self.done += 1;
                for (index, n) in counts {
                    if self.per_connection.len() <= index {
                        self.per_connection.resize(index + 1, 0);
                    }
                    self.per_connection[index] = n;
                }
            }
        }
    }

    /// Stops the load, waits for every connection to finish its request, and returns the
    /// counts by epoch. The client's connections stay open for later runs.
    pub fn finish(mut self) -> Result<StreamTallies, LoadError> {
        self.shared.stop.store(true, Ordering::Relaxed);
        while self.done < self.client.threads() {
            match self.events.recv() {
                Ok(event) => self.absorb(event),
                Err(_) => {
                    return Err(LoadError::Client(
                        "a client thread died during the stream".into(),
                    ));
                }
            }
        }
        Ok(StreamTallies {
            by_epoch: std::mem::take(&mut self.tallies),
            threads: self.client.threads(),
            per_connection: std::mem::take(&mut self.per_connection),
            io: self.client.io(),
        })
    }
}

impl Drop for Stream<'_> {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        // Wait for the threads so the client can run its next job.
        while self.done < self.client.threads() {
            match self.events.recv() {
                Ok(Event::Done(_)) => self.done += 1,
                Ok(Event::Tally(_)) => {}
                Err(_) => break,
            }
        }
    }
}

/// Reads a stream's finished attempts.
#[derive(Clone, Debug)]
pub struct CompletionCounter(Arc<JobShared>);

impl CompletionCounter {
    /// Attempts finished so far.
    pub fn get(&self) -> u64 {
        self.0.completed.load(Ordering::Relaxed)
    }
}

/// What a finished stream counted, by epoch.
#[derive(Debug)]
pub struct StreamTallies {
    by_epoch: BTreeMap<u64, Tally>,
    threads: usize,
    /// Successful answers per connection over the whole stream, warm-up included (a
    /// connection's counts are not kept per window).
    per_connection: Vec<u64>,
    io: super::IoBackend,
}

impl StreamTallies {
    /// The sample of windows `first..=last` and the gaps between them, over `elapsed`.
    pub fn windows(&self, first: u64, last: u64, elapsed: Duration) -> Sample {
        let (from, to) = (2 * first.max(1) - 1, 2 * last.max(1) - 1);
        let mut total = Tally::new(0);
        for (_, tally) in self.by_epoch.range(from..=to) {
            total.merge(tally);
        }
        let mut sample = total.into_sample(elapsed, self.threads);
        sample.per_connection = self.per_connection.clone();
        sample.io = self.io;
        sample
    }

    /// The sample of everything the stream counted, over `elapsed`.
    pub fn everything(&self, elapsed: Duration) -> Sample {
        let mut total = Tally::new(0);
        for tally in self.by_epoch.values() {
            total.merge(tally);
        }
        let mut sample = total.into_sample(elapsed, self.threads);
        sample.io = self.io;
        sample
    }
}
