//! Records with round figures, for the tests of everything that reads records (flags, claims,
//! the summary) here and in the integration tests: one builder, so a new field is added once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::flags::Flags;
use super::provenance::{Commit, Machine, RunMode};
use super::record::{
    ClientEvidence, Figures, OpenLoopRun, ResultRecord, SCHEMA_VERSION, SendLag, ServerEvidence,
    Setup,
};
use super::timeline::{ServerReading, Timeline};
use crate::benchmark_id::BenchmarkId;
use crate::load::latency::Percentile;
use crate::load::{Interval, LatencyStats};
use crate::metrics::{CpuSource, MemoryReading};

/// Results from `"json/actix/c64=1000 json/gin/c64"`: each id at its requests/s (1 when
/// none is given), p50 1 µs and 1 MiB of peak PSS, as [`record`] makes them.
pub fn records(spec: &str) -> Vec<ResultRecord> {
    let result = |s: &str| {
        let (id, rps) = s.split_once('=').unwrap_or((s, "1"));
        record(id, rps.parse().unwrap_or(1.0), 1, 1)
    };
    spec.split_whitespace().map(result).collect()
}

/// A result of `<workload>/<target>/<param>` with round figures: `rps` requests/s, p99 = 10 x
/// p50, peak PSS `pss_mib` (idle half that), one open-loop run at the common rate. Panics on
/// an ID that is not of that form: a fixture's mistake.
pub fn record(id: &str, rps: f64, p50_us: u64, pss_mib: u64) -> ResultRecord {
    let id: BenchmarkId = id.parse().unwrap_or_else(|err| panic!("{err}"));
    let (workload, target, param) = (
        id.group().to_owned(),
        id.target().to_owned(),
        id.case().to_owned(),
    );
    let digits: String = param.chars().filter(char::is_ascii_digit).collect();
    let connections = digits.parse().unwrap_or(1);
    ResultRecord {
        schema_version: SCHEMA_VERSION,
        id,
        language: match target.as_str() {
            t if t.starts_with("node") => "JavaScript",
            t if t.starts_with('a') => "Rust",
            _ => "Go",
        }
        .into(),
        framework: format!("{target} framework"),
        toolchain: "tool 1.0".into(),
        workload,
        target,
        param,
        run_id: "20260101T000000Z-1-000".into(),
        mode: RunMode::Full,
        figures: Figures {
            database: None,
            requests: (rps * 10.0) as u64,
            errors_by_kind: BTreeMap::new(),
            requests_per_sec: rps,
            latency_us: LatencyStats {
                p50: p50_us,
                p90: p50_us * 2,
                p99: p50_us * 10,
                p999: p50_us * 20,
                max: p50_us * 50,
                mean: (p50_us * 2) as f64,
            },
            occupancy: Some(1.0),
            server: ServerEvidence {
                cpu_busy: 0.98,
                cpu_us_per_request: Some(1e6 / rps),
                peak_pss_bytes: pss_mib << 20,
                peak_rss_bytes: pss_mib << 20,
                idle_pss_bytes: Some(pss_mib << 19),
                idle_pss_spread_bytes: None,
                processes: 1,
                cores: 1,
                cpu_source: CpuSource::Cgroup,
            },
            client: ClientEvidence {
                cpu_busy: 0.5,
                cpu_us_per_request: Some(0.5e6 / rps),
                threads: 1,
                io: Some(crate::load::IoBackend::Uring),
            },
            open_loop: vec![open_loop_run("common rate", rps / 2.0, p50_us)],
            checked_answers: 0,
            wrong_answer_example: None,
            warm_up: None,
            fairness: None,
            timeline: None,
        },
        errors: 0,
        flags: Flags {
            server_bound: true,
            ..Flags::default()
        },
        setup: Setup {
            server_cpus: "0".into(),
            client_cpus: "1".into(),
            workers: Some(1),
            offload_threads: 1,
            connections,
            rate_per_sec: None,
            pipeline: 1,
            body_seed: None,
        },
        machine: Machine {
            cpu_model: "Test CPU".into(),
            cores: 2,
            kernel: "6.1".into(),
        },
        git_commit: Commit::parse("abc123"),
        time: "2026-01-01T00:00:00Z".into(),
        engine: None,
    }
}

/// An open-loop run with p50 = `p50_us`, p90 = 2x, p99 = 10x, p99.9 = 20x, mean = 2x, from
/// 100,000 samples (every percentile quotable).
pub fn open_loop_run(label: &str, rate: f64, p50_us: u64) -> OpenLoopRun {
    let percentile = |quantile: f64, us: u64| Percentile {
        quantile,
        us: Some(us),
        low_us: Some(us - us / 20),
        high_us: Some(us + us / 20),
        samples_beyond: (100_000.0 * (1.0 - quantile)) as u64,
    };
    OpenLoopRun {
        label: label.into(),
        fraction_of_capacity: None,
        rate_per_sec: rate,
        achieved_per_sec: rate,
        requests: 100_000,
        errors: 0,
        mean_us: (p50_us * 2) as f64,
        percentiles: vec![
            percentile(0.5, p50_us),
            percentile(0.9, p50_us * 2),
            percentile(0.99, p50_us * 10),
            percentile(0.999, p50_us * 20),
        ],
        max_us: Some(p50_us * 50),
        send_lag: SendLag {
            p50_us: 5,
            p99_us: 20,
            late_sends: 0,
            backlogged_sends: 0,
            sends: 100_000,
        },
        client_late: false,
        sustained: true,
    }
}

/// A timeline of `rows` one-second intervals at 1,000 requests each (latencies 10 µs-10 ms),
/// none in the `stalled` ones, with the server's PSS `pss_mib(n)` at the end of interval `n`.
pub fn timeline(rows: usize, pss_mib: impl Fn(usize) -> f64, stalled: &[usize]) -> Timeline {
    let start = Instant::now();
    let second = Duration::from_secs(1);
    let intervals: Vec<Interval> = (0..rows)
        .map(|n| {
            let mut interval = Interval::empty(second * n as u32, second, 1);
            if !stalled.contains(&n) {
                interval.requests = 1000;
                for us in 1..=1000_u64 {
                    let _ = interval.latency_us.record(us * 10);
                }
            }
            interval.client_cpu = Duration::from_millis(100);
            interval
        })
        .collect();
    let readings: Vec<ServerReading> = (0..=rows)
        .map(|n| {
            let pss = (pss_mib(n.saturating_sub(1)) * 1024.0 * 1024.0) as u64;
            ServerReading {
                at: start + second * n as u32,
                cpu_ns: n as u64 * 200_000_000,
                memory: MemoryReading {
                    pss_bytes: pss,
                    rss_bytes: pss + (1 << 20),
                    processes: 1,
                },
            }
        })
        .collect();
    Timeline::of(second, &intervals, &readings, 1, 100.0)
}
