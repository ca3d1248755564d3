//! The record: one JSON file per benchmark ID, written the moment it finishes
//! (`target/stampede/results/<id>.json`), so a later failure never loses earlier results.
//! Each carries its evidence and the self-checks that would expose its own bias: errors by
//! kind, server and client CPU, occupancy (closed loop) or send lag (open loop), memory during
//! the load, the CPU sets and pool sizes, toolchain, machine, commit, run and mode. Every
//! record is made by [`ResultRecord::new`], which sets its flags.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Timeline;
use super::database::DatabaseEvidence;
use super::flags::Flags;
use super::provenance::{Commit, Machine, Run, RunMode, rfc3339_utc};
use crate::benchmark_id::BenchmarkId;
use crate::load::latency::Percentile;
use crate::load::{Fairness, LatencyStats};
use crate::metrics::CpuSource;
use crate::steady::WarmUp;

/// Version of the record format; bumped when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 2;

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
    /// What the load measured; its fields are the record's own in JSON.
    #[serde(flatten)]
    pub figures: Figures,
    /// Failed attempts in the measured windows.
    pub errors: u64,
    /// The self-checks, set from the figures by [`ResultRecord::new`].
    #[serde(flatten)]
    pub flags: Flags,
    /// CPU sets, pools and connections.
    pub setup: Setup,
    pub machine: Machine,
    /// `git rev-parse HEAD`, with `-dirty` for uncommitted changes.
    pub git_commit: Commit,
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

/// Which benchmark a record is of: its ID and what the catalog says of the target.
#[derive(Clone, Debug, PartialEq)]
pub struct Benchmark {
    /// `<workload>/<target>/<param>`.
    pub id: BenchmarkId,
    /// Workload family (the Criterion group).
    pub workload: String,
    /// The target's name.
    pub target: String,
    /// The parameter part of the id, e.g. `c64`.
    pub param: String,
    /// Language from the catalog.
    pub language: String,
    /// Framework and mode, with the locked version when known.
    pub framework: String,
    /// Toolchain version line.
    pub toolchain: String,
}

/// What a load measured, as every record and report carries it; the flags are derived from
/// these by [`Figures::flags`] and nowhere else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Figures {
    /// Successful responses in the measured windows.
    pub requests: u64,
    /// Failed attempts by kind.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Successful responses per second over the measured windows.
    pub requests_per_sec: f64,
    /// Latency of the measured requests, microseconds. Closed loop: for throughput and cost;
    /// tails worth quoting are in `open_loop`.
    pub latency_us: LatencyStats,
    /// Closed loop: requests/s x mean latency / connections (Little's law), ~1 when every
    /// connection always had a request in flight.
    pub occupancy: Option<f64>,
    /// The server's figures.
    pub server: ServerEvidence,
    /// The load client's own figures.
    pub client: ClientEvidence,
    /// Open-loop runs at fixed rates (fractions of capacity, a common rate, a probe).
    pub open_loop: Vec<OpenLoopRun>,
    /// Answers compared with the contract's under load.
    pub checked_answers: u64,
    /// The first wrong answer, when there was one.
    pub wrong_answer_example: Option<String>,
    /// The unmeasured load before the measured windows, and why it ended (absent in records
    /// of other load tools and in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_up: Option<WarmUp>,
    /// Answers per connection over the closed loop (warm-up included): starved connections
    /// show as a low Jain's index and a low minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fairness: Option<Fairness>,
    /// PostgreSQL's figures, for a database workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseEvidence>,
    /// The record's timed run per fixed interval (a soak run's), with its verdicts on memory
    /// growth, latency drift and stalls; absent where no run was timed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
}

impl Figures {
    /// The self-checks of these figures. `server_watched` is false for a server the harness
    /// does not watch (a URL): it can then never be called server-bound.
    pub fn flags(&self, server_watched: bool) -> Flags {
        self.assess(server_watched)
            .with_steadiness(self.warm_up.as_ref(), self.fairness.as_ref())
            .with_over_time(self.timeline.as_ref().map(|t| &t.over_time))
    }

    /// The checks that need nothing but the figures.
    fn assess(&self, server_watched: bool) -> Flags {
        Flags::assess(
            server_watched.then_some(self.server.cpu_busy),
            &self.client,
            self.occupancy,
            &self.open_loop,
            &self.errors_by_kind,
            self.requests,
        )
        .with_database(self.database.as_ref(), self.server.cpu_busy)
    }
}

impl ResultRecord {
    /// The record of `benchmark` measured by `run` on `machine`, written now, flags set.
    /// `engine` names another load tool that measured it.
    pub fn new(
        benchmark: Benchmark,
        run: &Run,
        figures: Figures,
        setup: Setup,
        machine: Machine,
        engine: Option<LoadEngine>,
    ) -> Self {
        let flags = match engine {
            None => figures.flags(true),
            // Another tool's load tells nothing of steadiness or of the answers per
            // connection: a low occupancy's cause stays unknown.
            Some(_) => figures.assess(true),
        };
        Self {
            schema_version: SCHEMA_VERSION,
            id: benchmark.id,
            workload: benchmark.workload,
            target: benchmark.target,
            param: benchmark.param,
            language: benchmark.language,
            framework: benchmark.framework,
            toolchain: benchmark.toolchain,
            run_id: run.id.clone(),
            mode: run.mode,
            errors: figures.errors_by_kind.values().sum(),
            figures,
            flags,
            setup,
            machine,
            git_commit: run.commit.clone(),
            time: rfc3339_utc(std::time::SystemTime::now()),
            engine,
        }
    }

    /// The failed attempts in words, e.g. `io 3, status 1`; empty without errors.
    pub fn errors_in_words(&self) -> String {
        crate::load::errors_in_words(&self.figures.errors_by_kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_named_like_percentiles() {
        assert_eq!(quantile_name(0.5), "50");
        assert_eq!(quantile_name(0.99), "99");
        assert_eq!(quantile_name(0.999), "99.9");
        assert_eq!(quantile_name(0.9999), "99.99");
    }

    #[test]
    fn a_record_file_holds_these_fields_and_values() {
        // Keys sorted (a `Value`): the snapshot pins names and values, whatever the order the
        // record's fields are declared in.
        let record = super::super::fixtures::record("json/actix/c64", 1000.0, 100, 8);
        let json = serde_json::to_value(&record).unwrap();
        insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
    }

    #[test]
    fn a_timeline_s_verdicts_set_the_record_s_flags_and_travel_in_its_json() {
        use super::super::fixtures::{record, timeline};
        let flagged = |timeline: Timeline| {
            let mut r = record("soak/node/c64", 1000.0, 100, 8);
            r.figures.timeline = Some(timeline);
            r.flags = r.figures.flags(true);
            r
        };
        // 2 MiB a minute from the start, and a stalled second in the last third.
        let leaking = flagged(timeline(120, |n| 50.0 + n as f64 / 30.0, &[100]));
        assert!(
            leaking.flags.memory_grows && leaking.flags.stalls,
            "{:?}",
            leaking.flags
        );
        assert!(!leaking.flags.latency_drifts);
        let words = leaking.flags.words();
        assert!(
            words.contains(&"memory-grows") && words.contains(&"stalls"),
            "{words:?}"
        );
        let json = serde_json::to_value(&leaking).unwrap();
        assert_eq!(json["memory_grows"], true);
        assert_eq!(json["timeline"]["rows"].as_array().map(Vec::len), Some(120));
        let back: ResultRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, leaking);
        let flat = flagged(timeline(120, |_| 50.0, &[]));
        assert!(
            !(flat.flags.memory_grows || flat.flags.stalls),
            "{:?}",
            flat.flags
        );
        // Flags that are not set are not written at all.
        let json = serde_json::to_value(&flat).unwrap();
        assert!(json.get("stalls").is_none(), "{json}");
    }

    #[test]
    fn the_flags_are_fields_of_the_record_itself_in_its_json() {
        let record = super::super::fixtures::record("json/actix/c64", 1000.0, 100, 8);
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["server_bound"], true);
        assert_eq!(json["invalid"], false);
        assert!(json.get("flags").is_none(), "{json}");
        assert!(
            json.get("low_occupancy_cause").is_none(),
            "absent when None"
        );
        let back: ResultRecord = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, record);
        // Records written before these flags existed still load, without them set.
        let mut older = json;
        for key in ["not_steady", "few_requests"] {
            older.as_object_mut().unwrap().remove(key);
        }
        let older: ResultRecord = serde_json::from_value(older).unwrap();
        assert!(!older.flags.not_steady && !older.flags.few_requests);
    }
}
