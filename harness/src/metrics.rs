//! Metrics: CPU time and memory of a server's whole process tree, read from /proc, so that a
//! Node cluster's workers count as much as a single Go process.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::unistd::{SysconfVar, sysconf};

/// How often memory is sampled during a run.
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// One process as /proc/PID/stat shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    /// Process id.
    pub pid: u32,
    /// Parent's process id.
    pub ppid: u32,
    /// Process group id.
    pub pgrp: u32,
    /// User + system CPU time of the process itself, in clock ticks.
    pub own_ticks: u64,
    /// User + system CPU time of its reaped children, in clock ticks.
    pub children_ticks: u64,
    /// Resident set size in pages.
    pub rss_pages: u64,
}

/// Parses the text of /proc/PID/stat. The command name may hold spaces and parentheses, so
/// fields are counted from the last `)`.
pub fn parse_proc_stat(text: &str) -> Option<ProcStat> {
    let pid = text.split_whitespace().next()?.parse().ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); field N is fields[N - 3].
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(ProcStat {
        pid,
        ppid: u32::try_from(field(4)?).ok()?,
        pgrp: u32::try_from(field(5)?).ok()?,
        own_ticks: field(14)? + field(15)?,
        children_ticks: field(16)? + field(17)?,
        rss_pages: field(24)?,
    })
}

fn all_processes() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|text| parse_proc_stat(&text))
        .collect()
}

/// The processes of the tree rooted at `root`: its process group plus every descendant.
pub fn tree_of(root: u32, processes: &[ProcStat]) -> Vec<ProcStat> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for p in processes {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut members: std::collections::BTreeSet<u32> = processes
        .iter()
        .filter(|p| p.pgrp == root)
        .map(|p| p.pid)
        .collect();
    let mut visited = std::collections::BTreeSet::new();
    let mut stack: Vec<u32> = members.iter().copied().chain([root]).collect();
    while let Some(pid) = stack.pop() {
        if visited.insert(pid) {
            members.insert(pid);
            stack.extend(children.get(&pid).into_iter().flatten());
        }
    }
    processes
        .iter()
        .filter(|p| members.contains(&p.pid))
        .copied()
        .collect()
}

/// CPU and memory of a process tree at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeSnapshot {
    /// Summed CPU time in nanoseconds.
    pub cpu_ns: u64,
    /// Summed resident memory.
    pub rss_bytes: u64,
    /// Number of processes.
    pub processes: usize,
}

/// Reads the tree rooted at `root` now. CPU time comes from each thread's
/// `/proc/PID/task/TID/schedstat` (nanoseconds: short Criterion samples need better than the
/// 10 ms ticks of `/proc/PID/stat`), plus the ticks of children already reaped.
pub fn snapshot(root: u32) -> TreeSnapshot {
    let page = page_size_bytes();
    let tick_ns = 1e9 / ticks_per_second();
    tree_of(root, &all_processes())
        .iter()
        .fold(TreeSnapshot::default(), |acc, p| {
            let own_ns = threads_cpu_ns(p.pid).unwrap_or((p.own_ticks as f64 * tick_ns) as u64);
            TreeSnapshot {
                cpu_ns: acc.cpu_ns + own_ns + (p.children_ticks as f64 * tick_ns) as u64,
                rss_bytes: acc.rss_bytes + p.rss_pages * page,
                processes: acc.processes + 1,
            }
        })
}

/// Summed on-CPU nanoseconds of every thread of `pid`; `None` without schedstat.
fn threads_cpu_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    let mut seen = false;
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        if let Some(ns) = text
            .split_whitespace()
            .next()
            .and_then(|f| f.parse::<u64>().ok())
        {
            total += ns;
            seen = true;
        }
    }
    seen.then_some(total)
}

fn page_size_bytes() -> u64 {
    sysconf(SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(4096)
}

fn ticks_per_second() -> f64 {
    sysconf(SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100.0, |v| v as f64)
}

/// What a server used during one run.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ServerUsage {
    /// User + system CPU seconds of the whole tree.
    pub cpu_seconds: f64,
    /// Wall seconds the monitor ran.
    pub wall_seconds: f64,
    /// Highest summed RSS seen.
    pub peak_rss_bytes: u64,
    /// Most processes seen in the tree at once.
    pub processes: usize,
}

impl ServerUsage {
    /// Server CPU seconds / (wall seconds x cores).
    pub fn cpu_busy(&self, cores: usize) -> f64 {
        cpu_busy(self.cpu_seconds, self.wall_seconds, cores)
    }
}

/// Server CPU seconds / (wall seconds x server cores); 0 for an empty interval.
pub fn cpu_busy(cpu_seconds: f64, wall_seconds: f64, cores: usize) -> f64 {
    if wall_seconds <= 0.0 || cores == 0 {
        return 0.0;
    }
    cpu_seconds / (wall_seconds * cores as f64)
}

/// Watches a process tree during a run: CPU time at start and end, RSS sampled in between.
#[derive(Debug)]
pub struct ResourceMonitor {
    root: u32,
    started: Instant,
    start_ns: u64,
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<(u64, usize)>>,
}

impl ResourceMonitor {
    /// Starts watching the tree rooted at `root`.
    pub fn start(root: u32) -> Self {
        let first = snapshot(root);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let sampler = std::thread::Builder::new()
            .name("stampede-rss".into())
            .spawn(move || {
                let (mut peak, mut most) = (first.rss_bytes, first.processes);
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(RSS_SAMPLE_EVERY);
                    let now = snapshot(root);
                    peak = peak.max(now.rss_bytes);
                    most = most.max(now.processes);
                }
                (peak, most)
            })
            .ok();
        Self {
            root,
            started: Instant::now(),
            start_ns: first.cpu_ns,
            stop,
            sampler,
        }
    }

    /// Stops watching and returns the usage since `start`.
    pub fn finish(mut self) -> ServerUsage {
        let wall_seconds = self.started.elapsed().as_secs_f64();
        let last = snapshot(self.root);
        self.stop.store(true, Ordering::Relaxed);
        let (peak, most) = self
            .sampler
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or((0, 0));
        ServerUsage {
            cpu_seconds: last.cpu_ns.saturating_sub(self.start_ns) as f64 / 1e9,
            wall_seconds,
            peak_rss_bytes: peak.max(last.rss_bytes),
            processes: most.max(last.processes),
        }
    }
}

impl Drop for ResourceMonitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Accumulates a server tree's CPU time over many short runs (Criterion samples), reading
/// /proc before and after each run only, outside the timed code.
#[derive(Clone, Debug)]
pub struct TreeMeter {
    root: u32,
    cpu_ns: u64,
    wall: Duration,
    peak_rss_bytes: u64,
    processes: usize,
}

impl TreeMeter {
    /// A meter for the tree rooted at `root`, at zero.
    pub fn new(root: u32) -> Self {
        Self {
            root,
            cpu_ns: 0,
            wall: Duration::ZERO,
            peak_rss_bytes: 0,
            processes: 0,
        }
    }

    /// Runs `f`, adding the tree's CPU ticks and the wall time it took.
    pub fn around<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let before = snapshot(self.root);
        let started = Instant::now();
        let out = f();
        self.wall += started.elapsed();
        let after = snapshot(self.root);
        self.cpu_ns += after.cpu_ns.saturating_sub(before.cpu_ns);
        self.peak_rss_bytes = self.peak_rss_bytes.max(after.rss_bytes);
        self.processes = self.processes.max(after.processes);
        out
    }

    /// What was used inside `around` so far.
    pub fn usage(&self) -> ServerUsage {
        ServerUsage {
            cpu_seconds: self.cpu_ns as f64 / 1e9,
            wall_seconds: self.wall.as_secs_f64(),
            peak_rss_bytes: self.peak_rss_bytes,
            processes: self.processes,
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

    fn stat(pid: u32, ppid: u32, pgrp: u32) -> ProcStat {
        ProcStat {
            pid,
            ppid,
            pgrp,
            own_ticks: 1,
            children_ticks: 0,
            rss_pages: 1,
        }
    }

    #[test]
    fn a_stat_line_with_spaces_and_parentheses_in_the_name_parses() {
        let line = "4242 (node (worker) x) S 4000 4242 4242 0 -1 4194560 100 0 0 0 \
                    150 50 7 3 20 0 11 0 12345 1000000 2560 18446744073709551615";
        let s = parse_proc_stat(line).unwrap();
        assert_eq!((s.pid, s.ppid, s.pgrp), (4242, 4000, 4242));
        assert_eq!((s.own_ticks, s.children_ticks), (150 + 50, 7 + 3));
        assert_eq!(s.rss_pages, 2560);
    }

    #[test]
    fn the_tree_holds_the_group_and_all_descendants_but_not_strangers() {
        let procs = [
            stat(10, 1, 10),
            stat(11, 10, 10),
            stat(12, 11, 99), // a grandchild that moved to another group
            stat(13, 1, 10),  // reparented group member (its parent died)
            stat(20, 1, 20),  // a stranger
        ];
        let mut pids: Vec<u32> = tree_of(10, &procs).iter().map(|p| p.pid).collect();
        pids.sort_unstable();
        assert_eq!(pids, [10, 11, 12, 13]);
    }

    #[test]
    fn cpu_busy_is_cpu_seconds_over_wall_times_cores() {
        assert!((cpu_busy(1.9, 1.0, 2) - 0.95).abs() < 1e-9);
        assert_eq!(cpu_busy(1.0, 0.0, 1), 0.0);
        assert_eq!(cpu_busy(1.0, 1.0, 0), 0.0);
    }

    #[test]
    fn a_busy_child_process_shows_cpu_time_and_memory() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"])
            .spawn()
            .unwrap();
        let monitor = ResourceMonitor::start(child.id());
        std::thread::sleep(Duration::from_millis(300));
        let usage = monitor.finish();
        let _ = child.kill();
        let _ = child.wait();
        assert!(usage.cpu_seconds > 0.0, "{usage:?}");
        assert!(usage.peak_rss_bytes > 0, "{usage:?}");
        assert_eq!(usage.processes, 1);
    }

    #[test]
    fn a_tree_meter_counts_only_what_happens_inside_around() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done"])
            .spawn()
            .unwrap();
        let mut meter = TreeMeter::new(child.id());
        assert_eq!(meter.usage().cpu_seconds, 0.0);
        meter.around(|| std::thread::sleep(Duration::from_millis(300)));
        let _ = child.kill();
        let _ = child.wait();
        let usage = meter.usage();
        assert!(
            usage.cpu_seconds > 0.0 && usage.wall_seconds >= 0.3,
            "{usage:?}"
        );
    }
}
