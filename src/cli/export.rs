//! `stampede export k6`: a k6 script for a workload, to load from other machines or with the
//! k6-operator; `stampede import k6` reads its results back.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use stampede_harness::bodies::run_seed;
use stampede_harness::k6::ExportPlan;
use stampede_harness::k6::exported::export_k6;
use stampede_harness::output::{Format, Render as _};
use stampede_harness::workload::Workload;

#[derive(Debug, Subcommand)]
pub(crate) enum ExportEngine {
    /// A k6 script: the workload's requests, bodies and answer checks, as a constant-vus
    /// (closed loop) or constant-arrival-rate (--rate) scenario.
    K6(K6ExportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct K6ExportArgs {
    /// What to send: NAME[:PARAM], a workload of spec/workloads.toml (e.g. json, hash:19000).
    #[arg(long)]
    workload: Workload,
    /// The server's base URL, e.g. http://127.0.0.1:8080 (k6's -e BASE_URL=... overrides it).
    #[arg(long)]
    url: String,
    /// VUs of the whole test, one keep-alive connection each (split over execution segments).
    #[arg(long, short = 'c', default_value_t = 64)]
    connections: usize,
    /// Constant total rate in requests/s (open loop); the VUs are its pre-allocated pool.
    #[arg(long)]
    rate: Option<f64>,
    /// How long the load runs, in whole seconds (e.g. 30s, 2m).
    #[arg(long, short = 'd', default_value = "30s", value_parser = super::parse_duration)]
    duration: Duration,
    /// Seed of the request bodies [default: a new one, printed; STAMPEDE_SEED fixes it].
    #[arg(long)]
    seed: Option<u64>,
    /// The server's metrics endpoint (`stampede serve TARGET --metrics ADDR`), scraped before,
    /// during and after the load (k6's -e METRICS_URL=... overrides it).
    #[arg(long, value_name = "URL")]
    metrics: Option<String>,
    /// Write the script here instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) fn run(engine: &ExportEngine) -> anyhow::Result<ExitCode> {
    let ExportEngine::K6(args) = engine;
    let plan = ExportPlan {
        workload: args.workload.clone(),
        url: args.url.clone(),
        connections: args.connections,
        rate_per_sec: args.rate,
        duration: args.duration,
        body_seed: args.seed.unwrap_or_else(run_seed),
        metrics_url: args.metrics.clone(),
    };
    let exported = export_k6(plan)?;
    match &args.out {
        Some(path) => {
            exported.write_to(Format::Text, path)?;
            eprintln!("{}", exported.written_note(path));
        }
        None => print!("{}", exported.render(Format::Text)?),
    }
    Ok(ExitCode::SUCCESS)
}
