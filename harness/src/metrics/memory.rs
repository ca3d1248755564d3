//! Memory of a server's processes: PSS (shared pages split fairly between the processes that map
//! them, so a sum over a Node cluster or a forked tree counts each page once) beside RSS, which
//! counts shared pages once per process.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::probe::ServerProbe;
use crate::cpus::CpuSet;

/// How often the sampler reads memory while load runs.
pub const MEMORY_SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// Idle readings taken for a baseline, and the pause between them.
const IDLE_READINGS: usize = 5;
const IDLE_READING_EVERY: Duration = Duration::from_millis(10);
/// Growth of PSS below this is not told apart from what a server's allocator and runtime do at
/// rest: a single idle reading once stood 84 KiB above every reading under one connection.
pub const MEMORY_RESOLUTION_FLOOR_BYTES: u64 = 256 * 1024;

/// A server's memory at rest: the median of a few PSS readings and how far they spread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdlePss {
    /// Median PSS of the readings.
    pub bytes: u64,
    /// Highest minus lowest reading.
    pub spread_bytes: u64,
}

impl IdlePss {
    /// Reads the server's PSS a few times, 10 ms apart; `None` when no process was read.
    pub fn read(probe: &ServerProbe) -> Option<Self> {
        let mut readings = Vec::with_capacity(IDLE_READINGS);
        for i in 0..IDLE_READINGS {
            if i > 0 {
                std::thread::sleep(IDLE_READING_EVERY);
            }
            let reading = probe.memory();
            if reading.processes > 0 {
                readings.push(reading.pss_bytes);
            }
        }
        Self::of(&mut readings)
    }

    /// The baseline of these readings; `None` for none.
    pub fn of(readings: &mut [u64]) -> Option<Self> {
        readings.sort_unstable();
        let (first, last) = (readings.first()?, readings.last()?);
        Some(Self {
            bytes: readings[readings.len() / 2],
            spread_bytes: last - first,
        })
    }
}

/// The smallest growth over idle that a record's memory figures tell apart from noise: the idle
/// readings' spread, at least [`MEMORY_RESOLUTION_FLOOR_BYTES`].
pub fn growth_resolution_bytes(idle_spread_bytes: Option<u64>) -> u64 {
    idle_spread_bytes
        .unwrap_or(0)
        .max(MEMORY_RESOLUTION_FLOOR_BYTES)
}

/// Memory of a set of processes at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryReading {
    /// Summed proportional set size.
    pub pss_bytes: u64,
    /// Summed resident set size (shared pages counted once per process).
    pub rss_bytes: u64,
    /// Processes read.
    pub processes: usize,
}

/// `Rss:` and `Pss:` of one process from /proc/PID/smaps_rollup, in bytes.
pub fn read_rollup(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    parse_rollup(&text)
}

/// Parses smaps_rollup text into (rss_bytes, pss_bytes).
pub fn parse_rollup(text: &str) -> Option<(u64, u64)> {
    let kib = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
    };
    Some((kib("Rss:")? * 1024, kib("Pss:")? * 1024))
}

/// Sums the memory of `pids`; processes that vanished meanwhile are skipped.
pub fn read_memory(pids: &[u32]) -> MemoryReading {
    pids.iter().filter_map(|&pid| read_rollup(pid)).fold(
        MemoryReading::default(),
        |acc, (rss, pss)| MemoryReading {
            pss_bytes: acc.pss_bytes + pss,
            rss_bytes: acc.rss_bytes + rss,
            processes: acc.processes + 1,
        },
    )
}

/// Reads a server's memory in the background while load runs, keeping every reading with its
/// time so a caller can take the peak within any span.
#[derive(Debug)]
pub struct MemorySampler {
    stop: Arc<AtomicBool>,
    readings: Arc<Mutex<Vec<(Instant, MemoryReading)>>>,
    thread: Option<JoinHandle<()>>,
}

impl MemorySampler {
    /// Starts sampling `probe` every [`MEMORY_SAMPLE_EVERY`], on `cpus` when given (the client's
    /// side, so the sampler never takes server time).
    pub fn start(probe: ServerProbe, cpus: Option<CpuSet>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let readings = Arc::new(Mutex::new(Vec::new()));
        let (flag, out) = (Arc::clone(&stop), Arc::clone(&readings));
        let thread = std::thread::Builder::new()
            .name("stampede-memory".into())
            .spawn(move || {
                if let Some(cpus) = cpus.filter(|c| !c.is_empty()) {
                    let _ = cpus.pin_current_thread();
                }
                loop {
                    let reading = probe.memory();
                    if let Ok(mut all) = out.lock() {
                        all.push((Instant::now(), reading));
                    }
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    std::thread::sleep(MEMORY_SAMPLE_EVERY);
                }
            })
            .ok();
        Self {
            stop,
            readings,
            thread,
        }
    }

    /// The highest PSS reading between `from` and `to`, with its RSS, and the most processes
    /// seen; when no reading fell inside (a span shorter than the sampling period), the first
    /// one after `to`, else the last one before it.
    pub fn peak_between(&self, from: Instant, to: Instant) -> MemoryReading {
        let Ok(all) = self.readings.lock() else {
            return MemoryReading::default();
        };
        peak_in(&all, from, to)
    }

    /// Stops the sampler (after one last reading) and returns every reading.
    pub fn finish(mut self) -> Vec<(Instant, MemoryReading)> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.readings
            .lock()
            .map(|mut all| std::mem::take(&mut *all))
            .unwrap_or_default()
    }
}

impl Drop for MemorySampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// See [`MemorySampler::peak_between`].
pub fn peak_in(readings: &[(Instant, MemoryReading)], from: Instant, to: Instant) -> MemoryReading {
    let inside: Vec<MemoryReading> = readings
        .iter()
        .filter(|(at, _)| *at >= from && *at <= to)
        .map(|(_, r)| *r)
        .collect();
    let chosen = if inside.is_empty() {
        readings
            .iter()
            .find(|(at, _)| *at > to)
            .or_else(|| readings.iter().rev().find(|(at, _)| *at < from))
            .map(|(_, r)| vec![*r])
            .unwrap_or_default()
    } else {
        inside
    };
    let peak = chosen
        .iter()
        .max_by_key(|r| r.pss_bytes)
        .copied()
        .unwrap_or_default();
    MemoryReading {
        processes: chosen.iter().map(|r| r.processes).max().unwrap_or(0),
        ..peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_baseline_is_the_median_reading_with_the_spread_of_all() {
        let idle = IdlePss::of(&mut [30, 10, 20, 50, 20]).unwrap();
        assert_eq!((idle.bytes, idle.spread_bytes), (20, 40));
        assert_eq!(IdlePss::of(&mut []), None);
        assert_eq!(growth_resolution_bytes(Some(1 << 30)), 1 << 30);
        assert_eq!(growth_resolution_bytes(None), MEMORY_RESOLUTION_FLOOR_BYTES);
    }

    #[test]
    fn a_rollup_gives_rss_and_pss_in_bytes() {
        let text = "55d0c0de0000-7ffd0000 ---p 00000000 00:00 0  [rollup]\n\
                    Rss:               10240 kB\nPss:                4096 kB\nPss_Anon: 1 kB\n";
        assert_eq!(parse_rollup(text), Some((10240 * 1024, 4096 * 1024)));
        assert_eq!(parse_rollup("Rss: 1 kB\n"), None);
    }

    #[test]
    fn this_process_has_pss_no_larger_than_rss() {
        let reading = read_memory(&[std::process::id()]);
        assert_eq!(reading.processes, 1);
        assert!(reading.pss_bytes > 0 && reading.pss_bytes <= reading.rss_bytes);
    }

    #[test]
    fn the_peak_is_taken_inside_the_span_or_else_next_to_it() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let r = |pss: u64| MemoryReading {
            pss_bytes: pss,
            rss_bytes: pss * 2,
            processes: 1,
        };
        let readings = vec![
            (at(0), r(5)),
            (at(100), r(9)),
            (at(200), r(7)),
            (at(300), r(50)),
        ];
        assert_eq!(peak_in(&readings, at(50), at(250)).pss_bytes, 9);
        assert_eq!(peak_in(&readings, at(110), at(150)).pss_bytes, 7);
        assert_eq!(peak_in(&readings, at(310), at(400)).pss_bytes, 50);
        assert_eq!(peak_in(&[], at(0), at(1)), MemoryReading::default());
    }
}
