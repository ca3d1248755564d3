//! `stampede load`: closed- or open-loop load on a verified target or on a URL.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use stampede_harness::cpus::CpuSet;
use stampede_harness::load::IoChoice;
use stampede_harness::load_output::LoadOutput;
use stampede_harness::load_request::{LoadRequest, LoadTarget};
use stampede_harness::workload::Workload;

#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    /// A catalog target to build, start, verify and load.
    #[arg(long, requires = "workload", conflicts_with = "url")]
    target: Option<String>,
    /// What to send: NAME[:PARAM], a workload of spec/workloads.toml (e.g. json, hash:19000).
    #[arg(long)]
    workload: Option<Workload>,
    /// A running server to load instead (http://HOST:PORT/PATH; GET, not verified).
    #[arg(long, required_unless_present = "target")]
    url: Option<String>,
    /// Keep-alive connections.
    #[arg(long, short = 'c', default_value_t = 64)]
    connections: usize,
    /// How long to measure (e.g. 5s, 500ms).
    #[arg(long, short = 'd', default_value = "5s", value_parser = super::parse_duration)]
    duration: Duration,
    /// Longest unmeasured load before the measurement: it ends sooner, once every connection
    /// has had an answer and two consecutive windows' rates agree within 10% (0s: none).
    #[arg(long, default_value = "10s", value_parser = super::parse_duration)]
    warmup: Duration,
    /// Constant total rate in requests/s (open loop: latency from intended send times).
    #[arg(long)]
    rate: Option<f64>,
    /// Requests each connection writes at once, then reads in order (HTTP/1.1 pipelining;
    /// TechEmpower's plaintext test uses 16). Closed loop only.
    #[arg(long, default_value_t = 1)]
    pipeline: usize,
    /// CPUs for the load client (default: the second half of the allowed CPUs with --target,
    /// all allowed CPUs with --url).
    #[arg(long, value_parser = super::parse_cpus)]
    client_cpus: Option<CpuSet>,
    /// CPUs for the server with --target (default: the first half of the allowed CPUs).
    #[arg(long, value_parser = super::parse_cpus)]
    server_cpus: Option<CpuSet>,
    /// The client's I/O path: uring (io_uring, the sends and receives of all ready
    /// connections in one system call) or epoll; default: io_uring when the kernel allows it.
    /// Open loops (--rate) run on epoll either way; the report says which ran.
    #[arg(long, value_name = "epoll|uring|auto")]
    io: Option<IoChoice>,
    /// Count the run per interval of this length too (e.g. 1s, 100ms): requests, errors,
    /// p50/p99/max, client and server CPU, server memory, one row per interval.
    #[arg(long, value_parser = super::parse_duration)]
    timeline: Option<Duration>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Do not compare answers with the contract under load (only to measure what the checks
    /// cost the client; a result without them proves less).
    #[arg(long, requires = "target")]
    no_answer_checks: bool,
    /// DB_POOL_SIZE for a database workload (db, queries, fortunes, updates): the server's
    /// database connections in total, the same for every target.
    #[arg(long, default_value_t = stampede_harness::database::link::DEFAULT_POOL_SIZE)]
    db_pool_size: usize,
    /// History file that keeps --target results [default: $STAMPEDE_HISTORY, else
    /// target/stampede/history.sqlite].
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
}

impl LoadArgs {
    fn request(&self) -> anyhow::Result<LoadRequest> {
        let target = match (&self.target, &self.url) {
            (Some(name), _) => LoadTarget::Catalog {
                name: name.clone(),
                workload: self.workload.clone().context("--target needs --workload")?,
            },
            (None, Some(url)) => LoadTarget::Url(url.clone()),
            (None, None) => anyhow::bail!("give --target with --workload, or --url"),
        };
        Ok(LoadRequest {
            target,
            connections: self.connections,
            duration: self.duration,
            warmup: self.warmup,
            rate_per_sec: self.rate,
            pipeline: self.pipeline,
            client_cpus: self.client_cpus.clone(),
            server_cpus: self.server_cpus.clone(),
            io: self.io,
            answer_checks: !self.no_answer_checks,
            db_pool_size: self.db_pool_size,
            history: self.history.clone(),
            timeline: self.timeline,
        })
    }
}

pub(crate) fn run(args: &LoadArgs) -> anyhow::Result<ExitCode> {
    let measurement = args.request()?.measure(&mut |line| eprintln!("{line}"))?;
    let report = LoadOutput::of(&measurement, args.connections, args.pipeline, args.rate);
    super::print_report(&report, args.json)?;
    Ok(ExitCode::SUCCESS)
}
