//! `stampede load`: closed- or open-loop load on a verified target or on a URL.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::{CpuSet, CpuSplit};
use stampede_harness::load::{IoChoice, LoadClient, LoadError, RequestTemplate, RunPlan};
use stampede_harness::load_report::LoadReport;
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{LoadSetup, Measurement, load_spec, start_verified};
use stampede_harness::steady::{self, SteadyRule, WarmUp};
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
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Do not compare answers with the contract under load (only to measure what the checks
    /// cost the client; a result without them proves less).
    #[arg(long, requires = "target")]
    no_answer_checks: bool,
    /// History file that keeps --target results [default: $STAMPEDE_HISTORY, else
    /// target/stampede/history.sqlite].
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
}

impl LoadArgs {
    fn plan(&self) -> RunPlan {
        let plan = RunPlan::duration(self.duration).with_pipeline(self.pipeline);
        match self.rate {
            Some(rate) => plan.with_rate(rate),
            None => plan,
        }
    }

    /// Warms `client` up to steady state with the measured run's load, at most `--warmup`.
    fn warm_up(&self, client: &mut LoadClient) -> Result<WarmUp, LoadError> {
        if self.warmup.is_zero() {
            return Ok(WarmUp::off(client.connections()));
        }
        steady::warm_up(client, &self.plan(), SteadyRule::at_most(self.warmup))
    }
}

pub(crate) fn run(args: &LoadArgs) -> anyhow::Result<ExitCode> {
    if let Some(problem) = args.plan().problem() {
        bail!("{problem}");
    }
    let measurement = match (&args.target, &args.url) {
        (Some(target), _) => load_target(args, target)?,
        (None, Some(url)) => load_url(args, url)?,
        (None, None) => bail!("give --target with --workload, or --url"),
    };
    let report = LoadReport::of(&measurement, args.connections, args.pipeline, args.rate);
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

fn load_target(args: &LoadArgs, name: &str) -> anyhow::Result<Measurement> {
    let workload = args.workload.clone().context("--target needs --workload")?;
    let catalog = Catalog::discover()?;
    let split = CpuSplit::resolve(args.server_cpus.clone(), args.client_cpus.clone())?;
    if split.overlaps() {
        eprintln!(
            "warning: server CPUs {} and client CPUs {} overlap; the client steals server time",
            split.server, split.client
        );
    }
    let config = ServerConfig::for_cpus(split.server.clone());
    // Raised before the server starts, so it inherits a limit that holds every connection too.
    stampede_harness::limits::raise_open_files_to(args.connections as u64 + 1024);
    let mut verified = start_verified(&catalog, name, &config, load_spec(&catalog)?)?;
    verified.check_answers = !args.no_answer_checks;
    verified.io = args.io;
    let idle_pss = verified.idle_pss();
    let mut client = verified.connect(&workload, args.connections, &split.client)?;
    let warm_up = args
        .warm_up(&mut client)
        .map_err(|e| verified.load_error(e))?;
    let mut measurement = verified.measure(&mut client, &args.plan(), &split.client)?;
    measurement.idle_pss = idle_pss;
    measurement.warm_up = Some(warm_up);
    drop(client);
    // Kept in the results history as a `cli`-mode run.
    let load = LoadSetup {
        client_cpus: split.client.clone(),
        connections: args.connections,
        rate_per_sec: args.rate,
        pipeline: args.pipeline,
        body_seed: workload.has_bodies().then_some(verified.body_seed),
    };
    super::history::keep_load_result(
        &catalog,
        args.history.as_deref(),
        &verified,
        &workload,
        &load,
        &split,
        &measurement,
    );
    verified.server.stop();
    Ok(measurement)
}

fn load_url(args: &LoadArgs, url: &str) -> anyhow::Result<Measurement> {
    let (addr, path) = parse_http_url(url)?;
    let cpus = match &args.client_cpus {
        Some(cpus) => cpus.clone(),
        None => CpuSet::allowed()?,
    };
    let mix = vec![RequestTemplate::get(addr, &path)];
    let mut client = match args.io {
        Some(io) => LoadClient::connect_with(addr, args.connections, &cpus, mix, io)?,
        None => LoadClient::connect(addr, args.connections, &cpus, mix)?,
    };
    let warm_up = args.warm_up(&mut client)?;
    let sample = client.run(&args.plan())?;
    Ok(Measurement {
        sample,
        usage: None,
        server_cores: 0,
        idle_pss: None,
        background_requests: 0,
        warm_up: Some(warm_up),
    })
}

/// Splits `http://host:port/path` into a socket address and a path.
fn parse_http_url(url: &str) -> anyhow::Result<(SocketAddr, String)> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url:?}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let with_port = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .with_context(|| format!("{url:?}: cannot resolve {authority}"))?
        .next()
        .with_context(|| format!("{url:?}: {authority} has no address"))?;
    Ok((addr, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_address_and_path() {
        let (addr, path) = parse_http_url("http://127.0.0.1:8080/plaintext?x=1").unwrap();
        assert_eq!(addr.to_string(), "127.0.0.1:8080");
        assert_eq!(path, "/plaintext?x=1");
        let (addr, path) = parse_http_url("http://127.0.0.1").unwrap();
        assert_eq!((addr.port(), path.as_str()), (80, "/"));
        assert!(parse_http_url("https://127.0.0.1/").is_err());
    }
}
