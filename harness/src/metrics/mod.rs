//! Metrics: CPU time and memory of a server's whole process tree, so that a Node cluster's
//! workers count as much as a single Go process, and threads that exited mid-run still count.
//!
//! CPU comes from a cgroup of the server's own when the machine allows one ([`cgroup`]), else
//! from /proc ticks ([`procfs`]); memory is PSS beside RSS, sampled while load runs ([`memory`]).

pub mod cgroup;
pub mod memory;
pub mod probe;
pub mod procfs;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use memory::{IdlePss, MemoryReading, MemorySampler};
pub use probe::{CpuSource, ServerProbe};
pub use procfs::{ProcStat, parse_proc_stat, tree_of};

/// What a server used during one run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerUsage {
    /// User + system CPU seconds of the whole tree.
    pub cpu_seconds: f64,
    /// Wall seconds the monitor ran.
    pub wall_seconds: f64,
    /// Highest summed PSS seen while load ran.
    pub peak_pss_bytes: u64,
    /// RSS summed over the processes at the PSS peak (shared pages counted once per process).
    pub peak_rss_bytes: u64,
    /// Most processes seen in the tree at once.
    pub processes: usize,
    /// Where the CPU time was read from.
    pub cpu_source: CpuSource,
}

impl ServerUsage {
    /// Server CPU seconds / (wall seconds x cores).
    pub fn cpu_busy(&self, cores: usize) -> f64 {
        cpu_busy(self.cpu_seconds, self.wall_seconds, cores)
    }
}

/// CPU seconds / (wall seconds x cores); 0 for an empty interval.
pub fn cpu_busy(cpu_seconds: f64, wall_seconds: f64, cores: usize) -> f64 {
    if wall_seconds <= 0.0 || cores == 0 {
        return 0.0;
    }
    cpu_seconds / (wall_seconds * cores as f64)
}

/// Watches a server during one run: CPU time at start and end, memory sampled in between.
#[derive(Debug)]
pub struct ResourceMonitor {
    probe: ServerProbe,
    started: Instant,
    start_ns: u64,
    sampler: MemorySampler,
}

impl ResourceMonitor {
    /// Starts watching; the memory sampler runs on `sampler_cpus` when given.
    pub fn start(probe: &ServerProbe, sampler_cpus: Option<crate::cpus::CpuSet>) -> Self {
        let start_ns = probe.cpu_ns();
        Self {
            sampler: MemorySampler::start(probe.clone(), sampler_cpus),
            started: Instant::now(),
            start_ns,
            probe: probe.clone(),
        }
    }

    /// Stops watching and returns the usage since `start`.
    pub fn finish(self) -> ServerUsage {
        self.finish_with_memory().0
    }

    /// [`finish`](Self::finish), with every memory reading taken (one per
    /// [`memory::MEMORY_SAMPLE_EVERY`], timed), for a timeline.
    pub fn finish_with_memory(self) -> (ServerUsage, Vec<(Instant, MemoryReading)>) {
        let ended = Instant::now();
        let end_ns = self.probe.cpu_ns();
        let peak = self.sampler.peak_between(self.started, ended);
        let readings = self.sampler.finish();
        let usage = ServerUsage {
            cpu_seconds: end_ns.saturating_sub(self.start_ns) as f64 / 1e9,
            wall_seconds: ended.duration_since(self.started).as_secs_f64(),
            peak_pss_bytes: peak.pss_bytes,
            peak_rss_bytes: peak.rss_bytes,
            processes: peak.processes,
            cpu_source: self.probe.cpu_source(),
        };
        (usage, readings)
    }
}

/// Accumulates a server's CPU time over many short runs, reading it before and after each run
/// only, outside the timed code.
#[derive(Clone, Debug)]
pub struct TreeMeter {
    probe: ServerProbe,
    cpu_ns: u64,
    wall: Duration,
    peak: MemoryReading,
}

impl TreeMeter {
    /// A meter for `probe`'s server, at zero.
    pub fn new(probe: &ServerProbe) -> Self {
        Self {
            probe: probe.clone(),
            cpu_ns: 0,
            wall: Duration::ZERO,
            peak: MemoryReading::default(),
        }
    }

    /// Runs `f`, adding the server's CPU time and the wall time it took.
    pub fn around<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let before = self.probe.cpu_ns();
        let started = Instant::now();
        let out = f();
        self.wall += started.elapsed();
        self.cpu_ns += self.probe.cpu_ns().saturating_sub(before);
        let memory = self.probe.memory();
        if memory.pss_bytes >= self.peak.pss_bytes {
            self.peak = memory;
        }
        out
    }

    /// What was used inside `around` so far.
    pub fn usage(&self) -> ServerUsage {
        ServerUsage {
            cpu_seconds: self.cpu_ns as f64 / 1e9,
            wall_seconds: self.wall.as_secs_f64(),
            peak_pss_bytes: self.peak.pss_bytes,
            peak_rss_bytes: self.peak.rss_bytes,
            processes: self.peak.processes,
            cpu_source: self.probe.cpu_source(),
        }
    }
}

/// Peak resident memory of this process (VmHWM), in bytes.
pub fn own_peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::eventually;

    #[test]
    fn cpu_busy_is_cpu_seconds_over_wall_times_cores() {
        assert!((cpu_busy(1.9, 1.0, 2) - 0.95).abs() < 1e-9);
        assert_eq!(cpu_busy(1.0, 0.0, 1), 0.0);
        assert_eq!(cpu_busy(1.0, 1.0, 0), 0.0);
    }

    #[test]
    fn a_busy_child_process_shows_cpu_time_and_memory() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done"])
            .spawn()
            .unwrap();
        let probe = ServerProbe::new(child.id(), None);
        let monitor = ResourceMonitor::start(&probe, None);
        // Until the child has run since the start and the sampler has read its memory once.
        let counted = eventually(Duration::from_secs(10), || {
            probe.cpu_ns() > monitor.start_ns
                && monitor
                    .sampler
                    .peak_between(monitor.started, Instant::now())
                    .pss_bytes
                    > 0
        });
        assert!(counted, "no CPU time or memory reading within 10 s");
        let usage = monitor.finish();
        let _ = child.kill();
        let _ = child.wait();
        assert!(usage.cpu_seconds > 0.0, "{usage:?}");
        assert!(usage.peak_pss_bytes > 0, "{usage:?}");
        assert_eq!(usage.processes, 1);
        assert_eq!(usage.cpu_source, CpuSource::ProcTicks);
    }

    #[test]
    fn a_tree_meter_counts_only_what_happens_inside_around() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done"])
            .spawn()
            .unwrap();
        let probe = ServerProbe::new(child.id(), None);
        let mut meter = TreeMeter::new(&probe);
        assert_eq!(meter.usage().cpu_seconds, 0.0);
        // The reading to beat is taken inside `around`, after the meter's own first reading:
        // one taken before it let a clock tick between the two pass the wait with nothing
        // left for the meter to count (seen once in CI).
        let counted = meter.around(|| {
            let before = probe.cpu_ns();
            eventually(Duration::from_secs(10), || probe.cpu_ns() > before)
        });
        let _ = child.kill();
        let _ = child.wait();
        assert!(counted, "no CPU time within 10 s");
        let usage = meter.usage();
        assert!(
            usage.cpu_seconds > 0.0 && usage.wall_seconds > 0.0,
            "{usage:?}"
        );
    }
}
