//! Criterion samples over a continuous stream, with the server's evidence for exactly the
//! measured windows.
//!
//! Criterion calls `iter_custom(iters)` first to warm up and then once per sample; which calls
//! were samples is only known at the end (the last `sample_size` calls, or the last two in
//! `--quick` mode). So every window keeps its server CPU reading and its counts, and
//! [`SampledStream::finish`] builds the record from the last `measured` windows only: warm-up
//! requests never enter its histogram, counts, CPU or memory.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::cpus::CpuSet;
use crate::database::{DatabaseMeter, DatabaseReading, DatabaseUsage};
use crate::load::{CompletionCounter, LoadClient, LoadError, LoadPlan, Sample, Stream};
use crate::metrics::{MemorySampler, ServerProbe, ServerUsage};
use crate::steady::{SteadyRule, WarmUp};

/// A window's timing with the server's CPU clock at its edges.
#[derive(Clone, Copy, Debug)]
struct Mark {
    number: u64,
    opened: Instant,
    closed: Instant,
    server_cpu_ns: Option<(u64, u64)>,
    companion: Option<(u64, u64)>,
    database: Option<(DatabaseReading, DatabaseReading)>,
}

/// A stream being sampled, with the server watched.
#[derive(Debug)]
pub struct SampledStream<'c> {
    stream: Stream<'c>,
    probe: Option<ServerProbe>,
    memory: Option<MemorySampler>,
    marks: VecDeque<Mark>,
    keep: usize,
    depth: usize,
    companion: Option<CompletionCounter>,
    database: Option<DatabaseMeter>,
    /// The reading taken after the last window: the next window's first.
    last_database_reading: Option<DatabaseReading>,
}

/// The measured part of a sampled stream.
#[derive(Clone, Debug)]
pub struct Measured {
    /// What the client counted in the measured windows (and the gaps between them).
    pub sample: Sample,
    /// The server over the same span; `None` without a probe.
    pub usage: Option<ServerUsage>,
    /// How many windows the record covers.
    pub windows: usize,
    /// Attempts a companion stream finished over the same span (see
    /// [`SampledStream::with_companion`]).
    pub companion_completions: u64,
    /// PostgreSQL over the same span (see [`SampledStream::with_database`]).
    pub database: Option<DatabaseUsage>,
}

impl<'c> SampledStream<'c> {
    /// Starts closed-loop load on `client` as `plan` says (a [`LoadPlan::stream`], possibly
    /// pipelined), keeping the last `keep` windows; memory is sampled from `sampler_cpus` (the
    /// client's).
    pub fn start(
        client: &'c mut LoadClient,
        plan: &LoadPlan,
        probe: Option<ServerProbe>,
        sampler_cpus: Option<CpuSet>,
        keep: usize,
    ) -> Result<Self, LoadError> {
        let mut stream = client.stream(plan)?;
        stream.keep_last(keep + 1);
        let memory = probe
            .as_ref()
            .map(|p| MemorySampler::start(p.clone(), sampler_cpus));
        Ok(Self {
            stream,
            probe,
            memory,
            marks: VecDeque::new(),
            keep: keep.max(1),
            depth: plan.pipeline.max(1),
            companion: None,
            database: None,
            last_database_reading: None,
        })
    }

    /// Also counts `counter`'s completions over the measured span: the server serves a
    /// background load too, and its CPU per request must divide by every request it served.
    pub fn with_companion(mut self, counter: CompletionCounter) -> Self {
        self.companion = Some(counter);
        self
    }

    /// Also reads PostgreSQL's statement counts and CPU clock after every window (one query
    /// between windows, on the database's connection of its own), so the record's counts cover
    /// its measured windows. One reading per edge, taken right after a window closes, serves as
    /// the next window's start too: a window's epoch opens when the one before closes, and a
    /// reading that answers late (PostgreSQL shares a saturated CPU) is late at both ends of a
    /// span alike, instead of leaving out the statements of the requests a window counts first.
    pub fn with_database(mut self, meter: DatabaseMeter) -> Self {
        self.database = Some(meter);
        self
    }

    /// Lets the load run unmeasured until it is steady (see [`crate::steady`]) or `rule.max`
    /// has passed; its last window's rate is a first estimate of capacity, to size the
    /// measurement.
    pub fn settle(&mut self, rule: SteadyRule) -> WarmUp {
        self.settle_since(rule, Instant::now())
    }

    /// As [`Self::settle`], for a warm-up that began at `began` (see [`crate::steady::prime`]).
    pub fn settle_since(&mut self, rule: SteadyRule, began: Instant) -> WarmUp {
        crate::steady::settle(&self.stream, self.depth, rule, began)
    }

    /// Attempts finished so far, and how many failed (warm-up included).
    pub fn progress(&self) -> (u64, u64) {
        self.stream.progress()
    }

    /// Times the next `completions` attempts: the duration Criterion's `iter_custom` returns.
    pub fn window(&mut self, completions: u64) -> Result<Duration, LoadError> {
        let database_before = match self.last_database_reading.take() {
            Some(reading) => Some(reading),
            None => self.database_reading()?,
        };
        let cpu_before = self.probe.as_ref().map(ServerProbe::cpu_ns);
        let companion_before = self.companion.as_ref().map(CompletionCounter::get);
        let window = self.stream.window(completions)?;
        let companion_after = self.companion.as_ref().map(CompletionCounter::get);
        let cpu_after = self.probe.as_ref().map(ServerProbe::cpu_ns);
        let database_after = self.database_reading()?;
        self.last_database_reading = database_after;
        self.marks.push_back(Mark {
            number: window.number,
            opened: window.opened,
            closed: window.closed,
            server_cpu_ns: cpu_before.zip(cpu_after),
            companion: companion_before.zip(companion_after),
            database: database_before.zip(database_after),
        });
        while self.marks.len() > self.keep {
            self.marks.pop_front();
        }
        Ok(window.elapsed)
    }

    fn database_reading(&mut self) -> Result<Option<DatabaseReading>, LoadError> {
        match self.database.as_mut() {
            Some(meter) => meter
                .reading()
                .map(Some)
                .map_err(|e| LoadError::DatabaseReading(e.to_string())),
            None => Ok(None),
        }
    }

    /// Stops the load and returns the last `measured` windows (fewer if fewer ran).
    pub fn finish(self, measured: usize) -> Result<Measured, LoadError> {
        let tallies = self.stream.finish()?;
        let memory = self.memory.map(MemorySampler::finish);
        let chosen: Vec<Mark> = self
            .marks
            .iter()
            .skip(self.marks.len().saturating_sub(measured.max(1)))
            .copied()
            .collect();
        let (Some(first), Some(last)) = (chosen.first(), chosen.last()) else {
            return Err(LoadError::Plan("no window was measured".into()));
        };
        let span = last.closed.saturating_duration_since(first.opened);
        let sample = tallies.windows(first.number, last.number, span);
        let usage = match (first.server_cpu_ns, last.server_cpu_ns, &self.probe) {
            (Some((start_ns, _)), Some((_, end_ns)), Some(probe)) => {
                let peak = memory
                    .as_deref()
                    .map(|m| crate::metrics::memory::peak_in(m, first.opened, last.closed))
                    .unwrap_or_default();
                Some(ServerUsage {
                    cpu_seconds: end_ns.saturating_sub(start_ns) as f64 / 1e9,
                    wall_seconds: span.as_secs_f64(),
                    peak_pss_bytes: peak.pss_bytes,
                    peak_rss_bytes: peak.rss_bytes,
                    processes: peak.processes,
                    cpu_source: probe.cpu_source(),
                })
            }
            _ => None,
        };
        let companion_completions = match (first.companion, last.companion) {
            (Some((from, _)), Some((_, to))) => to.saturating_sub(from),
            _ => 0,
        };
        let database = match (first.database, last.database, self.database) {
            (Some((from, _)), Some((_, to)), Some(meter)) => {
                let link = meter.link().clone();
                let peak = meter.finish();
                Some(DatabaseUsage::between(
                    from,
                    to,
                    span.as_secs_f64(),
                    &link,
                    peak,
                ))
            }
            _ => None,
        };
        Ok(Measured {
            sample,
            usage,
            windows: chosen.len(),
            companion_completions,
            database,
        })
    }

    /// Stops the load and returns everything it counted, warm-up included: for describing a
    /// failed benchmark, never for a record.
    pub fn abandon(self) -> Result<Sample, LoadError> {
        let started = self.marks.front().map(|m| m.opened);
        let tallies = self.stream.finish()?;
        Ok(tallies.everything(started.map_or(Duration::ZERO, |s| s.elapsed())))
    }
}
