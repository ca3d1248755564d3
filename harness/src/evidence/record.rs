//! The record: one JSON file per benchmark ID, written the moment it finishes
//! (`target/stampede/results/<id>.json`), so a later failure never loses earlier results.
//! Each carries its evidence and the self-checks that would expose its own bias: errors by
//! kind, server and client CPU, occupancy (closed loop) or send lag (open loop), memory during
//! the load, the CPU sets and pool sizes, toolchain, machine, commit, run and mode.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::benchmark_id::BenchmarkId;
use crate::load::latency::Percentile;
use crate::load::{Fairness, LatencySummary};
use crate::metrics::CpuSource;
use crate::steady::WarmUp;

/// Version of the record format; bumped when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 2;
/// A run with more errors than this share of attempts is invalid.
pub const INVALID_ERROR_RATIO: f64 = 0.001;
/// A side whose CPUs were busy at least this share of the time may have limited the run.
pub const BUSY_AT_LEAST: f64 = 0.9;
/// A closed loop whose connections were busy less than this share of the time (Little's law)
/// did not keep them all in flight: bursts, drains or client stalls.
pub const OCCUPANCY_AT_LEAST: f64 = 0.9;
/// An open loop whose p99 send lag exceeds this many microseconds did not keep its schedule.
pub const SEND_LAG_P99_AT_MOST_US: u64 = 1000;
/// A record holds enough requests for its percentiles up to p99 with this many samples beyond
/// (the rule the open-loop tails follow): 1,000 requests. Fewer: `few-requests`.
pub const SAMPLES_BEYOND_AT_LEAST: u64 = 10;
/// Connections served less evenly than this (Jain's index of answers per connection) were
/// starved by the server: a low occupancy is then theirs, not the client's.
pub const FAIR_AT_LEAST: f64 = 0.9;
/// ... nor one with more than this share of late sends.
pub const LATE_SENDS_AT_MOST: f64 = 0.01;

/// The machine a result was measured on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// Online CPUs.
    pub cores: usize,
    /// Kernel release.
    pub kernel: String,
}

impl Machine {
    /// Reads this machine's description.
    pub fn detect() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        Self {
            cpu_model,
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            kernel,
        }
    }
}

/// How the numbers of a run were taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RunMode {
    /// `cargo bench` with Criterion's defaults as the bench sets them.
    Full,
    /// `cargo bench -- --quick`: short, for smoke runs, not for publishing.
    Quick,
    /// A `stampede` command (`load`, `compare`).
    Cli,
}

impl RunMode {
    /// The mode's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Quick => "quick",
            Self::Cli => "cli",
        }
    }
}

/// What every result of one run shares.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// One id per invocation (`cargo bench`, `stampede load`), so a summary never mixes runs
    /// without saying so.
    pub run_id: String,
    /// How the run took its numbers.
    pub mode: RunMode,
    pub machine: Machine,
    /// The commit of the workspace.
    pub git_commit: String,
}

impl RunContext {
    /// Reads the machine and the commit of the workspace at `root` for a new run.
    pub fn detect(root: &Path, mode: RunMode) -> Self {
        let now = SystemTime::now();
        let stamp: String = rfc3339_utc(now)
            .chars()
            .filter(|c| *c != '-' && *c != ':')
            .collect();
        let nanos = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self {
            run_id: format!("{stamp}-{}-{:03}", std::process::id(), nanos / 1_000_000),
            mode,
            machine: Machine::detect(),
            git_commit: git_commit(root),
        }
    }
}

/// How the server and client were set up for a result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Setup {
    /// Server CPU set, e.g. "0".
    pub server_cpus: String,
    /// Client CPU set, e.g. "1".
    pub client_cpus: String,
    /// WORKERS given to the server (`None` when it does not apply).
    pub workers: Option<usize>,
    /// OFFLOAD_THREADS given to the server.
    pub offload_threads: usize,
    /// Load connections.
    pub connections: usize,
    /// Constant rate, for open-loop runs.
    pub rate_per_sec: Option<f64>,
    /// Requests per write (HTTP/1.1 pipelining); 1 without.
    pub pipeline: usize,
    /// Seed of the request-body pool, to rerun with the same bodies.
    pub body_seed: Option<u64>,
}

/// Server-side figures of a result, over the measured windows only.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ServerEvidence {
    /// Server CPU seconds / (wall seconds x server cores).
    pub cpu_busy: f64,
    /// Server CPU microseconds per successful request.
    pub cpu_us_per_request: Option<f64>,
    /// Highest summed PSS of the server's processes while load ran.
    pub peak_pss_bytes: u64,
    /// Summed RSS at that moment (shared pages counted once per process).
    pub peak_rss_bytes: u64,
    /// PSS of the server idle, after verification and before any load connection (the median
    /// of a few readings).
    pub idle_pss_bytes: Option<u64>,
    /// Highest minus lowest of those idle readings: with a floor of 256 KiB, the smallest
    /// growth over idle the memory figures tell apart from noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_pss_spread_bytes: Option<u64>,
    /// Most processes seen.
    pub processes: usize,
    pub cores: usize,
    /// Where the CPU time was read from.
    pub cpu_source: CpuSource,
}

/// The load client's own figures: a busy client makes a result client-bound.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ClientEvidence {
    /// Client CPU seconds / (wall seconds x client threads).
    pub cpu_busy: f64,
    /// Client CPU microseconds per successful request.
    pub cpu_us_per_request: Option<f64>,
    /// Client threads, one per client CPU.
    pub threads: usize,
    /// The I/O backend of stampede's client (`epoll` or `uring`); absent for other engines
    /// and for records made before the choice existed (those ran on epoll).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io: Option<crate::load::IoBackend>,
}

/// How an open loop kept its schedule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SendLag {
    /// Median lag of sends whose connection was free in time, microseconds.
    pub p50_us: u64,
    /// 99th percentile of that lag.
    pub p99_us: u64,
    /// Sends more than 1 ms late although their connection was free.
    pub late_sends: u64,
    /// Sends whose connection still waited for the previous answer (the server's delay).
    pub backlogged_sends: u64,
    /// All sends.
    pub sends: u64,
}

impl SendLag {
    /// True when the client did not keep its schedule: p99 lag over 1 ms or over 1% late.
    pub fn client_late(&self) -> bool {
        self.p99_us > SEND_LAG_P99_AT_MOST_US
            || self.late_sends as f64 > LATE_SENDS_AT_MOST * self.sends.max(1) as f64
    }
}

/// One open-loop run at a fixed rate, for tail latency worth its name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OpenLoopRun {
    /// Why this rate: e.g. `50% of capacity` or `common rate`.
    pub label: String,
    /// The share of this target's measured capacity, when the rate is one.
    pub fraction_of_capacity: Option<f64>,
    /// Rate asked for.
    pub rate_per_sec: f64,
    /// Successful responses per second achieved.
    pub achieved_per_sec: f64,
    /// Successful responses.
    pub requests: u64,
    /// Failed attempts.
    pub errors: u64,
    /// Mean latency from intended send time, microseconds.
    pub mean_us: f64,
    /// p50, p90, p99, p99.9 with 95% intervals; "n/a" when too few samples lie beyond.
    pub percentiles: Vec<Percentile>,
    /// The slowest answer, microseconds: the end of the latency-by-percentile line (absent in
    /// records written before it was kept).
    #[serde(default)]
    pub max_us: Option<u64>,
    /// How the client kept its schedule.
    pub send_lag: SendLag,
    /// The client missed its schedule: these latencies include the client's own delay.
    pub client_late: bool,
    /// The server kept up: at least 95% of the asked rate answered and under 1% of sends
    /// backlogged.
    pub sustained: bool,
}

/// True when `requests` samples put at least [`SAMPLES_BEYOND_AT_LEAST`] beyond quantile `q`:
/// below that, the percentile is little more than the slowest few answers.
pub fn enough_samples_beyond(requests: u64, q: f64) -> bool {
    requests as f64 * (1.0 - q) >= SAMPLES_BEYOND_AT_LEAST as f64 - 1e-9
}

/// `0.99` -> `99`, `0.999` -> `99.9`.
pub fn quantile_name(q: f64) -> String {
    let text = format!("{:.2}", q * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// One benchmark ID's result with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ResultRecord {
    /// Version of this format.
    pub schema_version: u32,
    /// `<workload>/<target>/<param>`.
    pub id: BenchmarkId,
    /// Workload family (the Criterion group).
    pub workload: String,
    pub target: String,
    /// The parameter part of the id, e.g. `c64`.
    pub param: String,
    /// Language from the catalog.
    pub language: String,
    /// Framework and mode from the catalog, with the locked version when known.
    pub framework: String,
    /// Toolchain version line (`go version ...`, `rustc ...`, `v20...`).
    pub toolchain: String,
    /// The invocation that measured it.
    pub run_id: String,
    /// How it was measured.
    pub mode: RunMode,
    /// Successful responses in the measured windows.
    pub requests: u64,
    /// Failed attempts in the measured windows.
    pub errors: u64,
    /// Failed attempts by kind.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Successful responses per second over the measured windows.
    pub requests_per_sec: f64,
    /// Latency of the measured requests, microseconds. Closed loop: for throughput and cost;
    /// tails worth quoting are in `open_loop`.
    pub latency_us: LatencySummary,
    /// Closed loop: requests/s x mean latency / connections (Little's law), ~1 when every
    /// connection always had a request in flight.
    pub occupancy: Option<f64>,
    pub server: ServerEvidence,
    /// The load client's own figures.
    pub client: ClientEvidence,
    /// Open-loop runs at fixed rates (fractions of capacity, a common rate, a probe).
    pub open_loop: Vec<OpenLoopRun>,
    /// Answers compared with the contract's under load.
    pub checked_answers: u64,
    /// The first wrong answer, when there was one.
    pub wrong_answer_example: Option<String>,
    /// The client's CPUs were at least 90% busy: the client may have limited the run.
    pub client_bound: bool,
    /// The server's CPUs were at least 90% busy and the client's were not: the number is the
    /// server's.
    pub server_bound: bool,
    /// Closed loop with occupancy below 0.9.
    pub low_occupancy: bool,
    /// Why the occupancy was low, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_occupancy_cause: Option<LowOccupancyCause>,
    /// The warm-up reached its limit before the load was steady: the figures may be of a
    /// start-up transient.
    #[serde(default)]
    pub not_steady: bool,
    /// Fewer requests than a p99 with 10 samples beyond it needs (1,000): the percentiles
    /// that lack them are shown as n/a.
    #[serde(default)]
    pub few_requests: bool,
    /// An open-loop run missed its schedule on the client side.
    pub client_late: bool,
    /// Errors above 0.1% of attempts, any wrong answer, or nothing measured.
    pub invalid: bool,
    /// The unmeasured load before the measured windows, and why it ended (absent in records
    /// of other load tools and in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_up: Option<WarmUp>,
    /// Answers per connection over the closed loop (warm-up included): starved connections
    /// show as a low Jain's index and a low minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fairness: Option<Fairness>,
    /// CPU sets, pools and connections.
    pub setup: Setup,
    pub machine: Machine,
    /// `git rev-parse HEAD`, with `-dirty` for uncommitted changes.
    pub git_commit: String,
    /// When the result was written (RFC 3339, UTC).
    pub time: String,
    /// The load engine when another tool measured it (`stampede import k6`); absent for
    /// stampede's own load client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<LoadEngine>,
}

/// Another load tool that measured a result, with its raw counts, so a reader sees how many
/// instances made the load and whether the server side was measured at all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LoadEngine {
    /// The tool, e.g. `k6`.
    pub name: String,
    /// Instances (one output file each) whose points were merged.
    pub instances: usize,
    /// Requests the instances sent.
    pub http_reqs: u64,
    /// Requests the tool counted as failed.
    pub failed_requests: u64,
    /// Answer checks that failed (wrong answers, answers sooner than asked).
    pub failed_checks: u64,
    /// Open loop: iterations the tool could not start on schedule.
    pub dropped_iterations: u64,
    /// The metrics endpoint the server figures came from; `None`: the server was not measured
    /// and its figures are zeros.
    pub server_metrics: Option<String>,
    /// Most server threads seen, when measured.
    pub peak_threads: Option<u64>,
    /// Most open file descriptors of the server seen, when measured.
    pub peak_open_fds: Option<u64>,
}

/// Why a closed loop kept fewer than 90% of its connections busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LowOccupancyCause {
    /// The warm-up never settled: requests of the start-up transient were still pending when
    /// the measured windows ended.
    NotSteady,
    /// The server served some connections far less than others (Jain's index below 0.9, or a
    /// connection never answered): their requests were pending while the others completed.
    StarvedConnections,
    /// Steady and fair, so connections sat without a request in flight: the client's delay
    /// between an answer and the next send, or a pipelined batch draining.
    IdleConnections,
}

impl LowOccupancyCause {
    /// Assesses a low occupancy from the warm-up and the per-connection answers. Starvation
    /// comes first: a connection the server never answered in the whole stream, or an index
    /// below 0.9, also keeps a warm-up from settling (Node at 1,024 pipelined connections left
    /// a fifth of them unanswered for 8 s), and it is the server's doing either way.
    pub fn of(warm_up: Option<&WarmUp>, fairness: Option<&Fairness>) -> Self {
        if fairness.is_some_and(|f| f.min == 0 || f.jain_index < FAIR_AT_LEAST) {
            Self::StarvedConnections
        } else if warm_up.is_some_and(|w| !w.settled()) {
            Self::NotSteady
        } else {
            Self::IdleConnections
        }
    }

    /// The cause's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSteady => "not steady",
            Self::StarvedConnections => "starved connections",
            Self::IdleConnections => "idle connections",
        }
    }
}

/// The self-checks of one measurement, each a flag a reader must see beside the number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// The client's CPUs were at least 90% busy.
    pub client_bound: bool,
    /// The server's CPUs were at least 90% busy and the client's were not.
    pub server_bound: bool,
    /// Closed loop with occupancy below 0.9.
    pub low_occupancy: bool,
    /// Why, when it was.
    pub low_occupancy_cause: Option<LowOccupancyCause>,
    /// The warm-up reached its limit before steady state.
    pub not_steady: bool,
    /// Too few requests for a p99 with 10 samples beyond it.
    pub few_requests: bool,
    /// An open loop missed its schedule on the client side.
    pub client_late: bool,
    /// Errors above 0.1% of attempts, any wrong answer, or nothing measured.
    pub invalid: bool,
}

impl Flags {
    /// Assesses the figures. `server_cpu_busy` is `None` for a server the harness does not
    /// watch (a URL): it can then never be called server-bound.
    pub fn assess(
        server_cpu_busy: Option<f64>,
        client: &ClientEvidence,
        occupancy: Option<f64>,
        open_loop: &[OpenLoopRun],
        errors_by_kind: &BTreeMap<String, u64>,
        requests: u64,
    ) -> Self {
        let client_bound = client.cpu_busy >= BUSY_AT_LEAST;
        let errors: u64 = errors_by_kind.values().sum();
        let attempts = requests + errors;
        let wrong = errors_by_kind.get("wrong-answer").copied().unwrap_or(0);
        Self {
            client_bound,
            server_bound: server_cpu_busy.is_some_and(|b| b >= BUSY_AT_LEAST) && !client_bound,
            low_occupancy: occupancy.is_some_and(|o| o < OCCUPANCY_AT_LEAST),
            low_occupancy_cause: None,
            not_steady: false,
            few_requests: requests > 0 && !enough_samples_beyond(requests, 0.99),
            client_late: open_loop.iter().any(|run| run.client_late),
            invalid: attempts == 0
                || wrong > 0
                || errors as f64 / attempts as f64 > INVALID_ERROR_RATIO,
        }
    }

    /// Adds what the warm-up and the per-connection answers say: whether the load was steady,
    /// and why a low occupancy was low.
    pub fn with_steadiness(
        mut self,
        warm_up: Option<&WarmUp>,
        fairness: Option<&Fairness>,
    ) -> Self {
        self.not_steady =
            warm_up.is_some_and(|w| !w.settled() && w.ended != crate::steady::WarmUpEnd::Off);
        self.low_occupancy_cause = self
            .low_occupancy
            .then(|| LowOccupancyCause::of(warm_up, fairness));
        self
    }

    /// The flags that are set, in words, for evidence lines and reports.
    pub fn words(&self) -> Vec<&'static str> {
        let mut words = Vec::new();
        if self.invalid {
            words.push("INVALID");
        }
        if self.client_bound {
            words.push("client-bound");
        } else if !self.server_bound {
            words.push("not server-bound");
        }
        if self.low_occupancy {
            words.push(match self.low_occupancy_cause {
                Some(LowOccupancyCause::NotSteady) => "low-occupancy: not steady",
                Some(LowOccupancyCause::StarvedConnections) => "low-occupancy: starved connections",
                Some(LowOccupancyCause::IdleConnections) => "low-occupancy: idle connections",
                None => "low-occupancy",
            });
        }
        if self.not_steady {
            words.push("not-steady");
        }
        if self.few_requests {
            words.push("few-requests");
        }
        if self.client_late {
            words.push("client-late");
        }
        words
    }
}

impl ResultRecord {
    /// Sets the flags from the figures.
    pub fn with_flags(mut self) -> Self {
        let flags = Flags::assess(
            Some(self.server.cpu_busy),
            &self.client,
            self.occupancy,
            &self.open_loop,
            &self.errors_by_kind,
            self.requests,
        )
        .with_steadiness(self.warm_up.as_ref(), self.fairness.as_ref());
        self.client_bound = flags.client_bound;
        self.server_bound = flags.server_bound;
        self.low_occupancy = flags.low_occupancy;
        self.low_occupancy_cause = flags.low_occupancy_cause;
        self.not_steady = flags.not_steady;
        self.few_requests = flags.few_requests;
        self.client_late = flags.client_late;
        self.invalid = flags.invalid;
        self
    }

    /// The flags as set on this record.
    pub fn flags(&self) -> Flags {
        Flags {
            client_bound: self.client_bound,
            server_bound: self.server_bound,
            low_occupancy: self.low_occupancy,
            low_occupancy_cause: self.low_occupancy_cause,
            not_steady: self.not_steady,
            few_requests: self.few_requests,
            client_late: self.client_late,
            invalid: self.invalid,
        }
    }

    /// The file name for this id.
    pub fn file_name(&self) -> String {
        self.id.file_name()
    }

    /// Writes `dir/<id>.json` (atomically: a temporary file then a rename).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(self.file_name());
        let tmp = dir.join(format!(".{}.tmp", self.file_name()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// Reads every result in `dir`, sorted by id; unreadable files are returned as errors beside.
pub fn read_all(dir: &Path) -> (Vec<ResultRecord>, Vec<String>) {
    let (mut records, mut problems) = (Vec::new(), Vec::new());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (records, problems);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        match std::fs::read(&path).map(|bytes| serde_json::from_slice::<ResultRecord>(&bytes)) {
            Ok(Ok(record)) => records.push(record),
            Ok(Err(err)) => problems.push(format!("{}: {err}", path.display())),
            Err(err) => problems.push(format!("{}: {err}", path.display())),
        }
    }
    records.sort_by(|a, b| a.id.cmp(&b.id));
    (records, problems)
}

/// The commit of the workspace at `root`, `-dirty` when it has uncommitted changes.
pub fn git_commit(root: &Path) -> String {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(commit) => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}-dirty")
            } else {
                commit
            }
        }
        None => "unknown".into(),
    }
}

/// `time` as RFC 3339 in UTC, e.g. `2026-11-22T13:45:00Z`.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm), valid for dates after 1970.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The summary's fixture record with these figures, flags recomputed.
    fn record(id: &str, cpu_busy: f64, requests: u64, errors: u64) -> ResultRecord {
        let mut r = super::super::fixtures::record(id, 1000.0, 100, 8);
        r.server.cpu_busy = cpu_busy;
        r.requests = requests;
        r.errors = errors;
        r.with_flags()
    }

    #[test]
    fn a_busy_client_is_client_bound_and_only_a_busy_server_with_a_free_client_is_server_bound() {
        assert!(record("json/actix/c64", 0.95, 10_000, 10).server_bound);
        assert!(!record("json/actix/c64", 0.85, 10_000, 0).server_bound);
        let mut busy_client = record("json/actix/c64", 0.95, 10_000, 0);
        busy_client.client.cpu_busy = 0.93;
        let busy_client = busy_client.with_flags();
        assert!(busy_client.client_bound && !busy_client.server_bound);
        assert_eq!(busy_client.flags().words(), ["client-bound"]);
    }

    #[test]
    fn errors_above_a_thousandth_or_any_wrong_answer_flag_invalid() {
        let with_errors = |errors: u64| {
            let mut r = record("json/actix/c64", 0.95, 10_000, errors);
            r.errors_by_kind.insert("io".into(), errors);
            r.with_flags()
        };
        assert!(!with_errors(10).invalid);
        assert!(with_errors(11).invalid);
        assert!(record("json/actix/c64", 0.95, 0, 0).invalid);
        let mut wrong = record("json/actix/c64", 0.95, 10_000, 1);
        wrong.errors_by_kind.insert("wrong-answer".into(), 1);
        assert!(wrong.with_flags().invalid);
    }

    #[test]
    fn low_occupancy_and_a_late_client_are_flagged() {
        let mut r = record("json/actix/c64", 0.95, 10_000, 0);
        r.occupancy = Some(0.7);
        r.open_loop.clear();
        r.open_loop.push(OpenLoopRun {
            label: "50% of capacity".into(),
            fraction_of_capacity: Some(0.5),
            rate_per_sec: 100.0,
            achieved_per_sec: 100.0,
            requests: 1000,
            errors: 0,
            mean_us: 100.0,
            percentiles: Vec::new(),
            max_us: None,
            send_lag: SendLag {
                p50_us: 10,
                p99_us: 1500,
                late_sends: 3,
                backlogged_sends: 0,
                sends: 1000,
            },
            client_late: true,
            sustained: true,
        });
        let r = r.with_flags();
        assert!(r.low_occupancy && r.client_late);
        assert!(r.open_loop[0].send_lag.client_late());
    }

    #[test]
    fn a_low_occupancy_names_its_cause_from_the_warm_up_and_the_connections() {
        use crate::steady::{WarmUp, WarmUpEnd};
        let fair = Fairness {
            jain_index: 0.99,
            min: 90,
            median: 100,
            max: 110,
        };
        let starved = Fairness {
            jain_index: 0.5,
            min: 1,
            median: 10,
            max: 400,
        };
        let warm = |ended| WarmUp {
            duration_ms: 8000,
            ended,
            answered_connections: 1024,
            connections: 1024,
            windows: 9,
            rate_per_sec: 1000.0,
        };
        let cause = |ended, fairness: Fairness| {
            let mut r = record("json/node/c1024", 0.95, 10_000, 0);
            r.occupancy = Some(0.45);
            r.warm_up = Some(warm(ended));
            r.fairness = Some(fairness);
            let r = r.with_flags();
            (r.low_occupancy_cause, r.not_steady, r.flags().words())
        };
        let (c, not_steady, words) = cause(WarmUpEnd::TimeLimit, fair);
        assert_eq!(c, Some(LowOccupancyCause::NotSteady));
        assert!(not_steady && words.contains(&"not-steady"), "{words:?}");
        // A warm-up that never settled because the server left connections unanswered.
        let never = Fairness { min: 0, ..fair };
        let (c, not_steady, _) = cause(WarmUpEnd::TimeLimit, never);
        assert_eq!(c, Some(LowOccupancyCause::StarvedConnections));
        assert!(not_steady);
        let (c, not_steady, words) = cause(WarmUpEnd::Steady, starved);
        assert_eq!(c, Some(LowOccupancyCause::StarvedConnections));
        assert!(!not_steady);
        assert!(
            words.contains(&"low-occupancy: starved connections"),
            "{words:?}"
        );
        let (c, _, _) = cause(WarmUpEnd::Steady, fair);
        assert_eq!(c, Some(LowOccupancyCause::IdleConnections));
        // No warm-up asked for is not a warm-up that failed.
        let (_, not_steady, _) = cause(WarmUpEnd::Off, fair);
        assert!(!not_steady);
    }

    #[test]
    fn a_record_below_a_thousand_requests_is_flagged_few_requests() {
        let r = record("hash/node/r98k", 9.0, 27, 0).with_flags();
        assert!(r.few_requests, "{:?}", r.flags());
        assert!(r.flags().words().contains(&"few-requests"));
        let r = record("hash/actix/r98k", 200.0, 1_000, 0).with_flags();
        assert!(!r.few_requests);
    }

    #[test]
    fn results_are_written_one_file_per_id_and_read_back_sorted() {
        let dir = tempfile::tempdir().unwrap();
        record("json/b/c1", 1.0, 1, 0).write_to(dir.path()).unwrap();
        let path = record("json/a/c1", 1.0, 1, 0).write_to(dir.path()).unwrap();
        assert!(path.ends_with("json__a__c1.json"));
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        let (records, problems) = read_all(dir.path());
        let ids: Vec<_> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["json/a/c1", "json/b/c1"]);
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn quantiles_are_named_like_percentiles() {
        assert_eq!(quantile_name(0.5), "50");
        assert_eq!(quantile_name(0.99), "99");
        assert_eq!(quantile_name(0.999), "99.9");
        assert_eq!(quantile_name(0.9999), "99.99");
    }

    #[test]
    fn times_format_as_rfc3339_utc() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_354_200);
        assert_eq!(rfc3339_utc(t), "2026-11-22T13:30:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_utc(leap), "2000-02-29T00:00:00Z");
    }
}
