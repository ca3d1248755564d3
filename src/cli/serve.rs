//! `stampede serve TARGET`: build, start, verify, then run until SIGINT or SIGTERM.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::{CpuSet, CpuSplit};
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{load_spec, start_verified};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The target to serve.
    target: String,
    /// CPUs for the server (default: the first half of the allowed CPUs); WORKERS is its size.
    #[arg(long, value_parser = super::parse_cpus)]
    cpus: Option<CpuSet>,
}

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    // Registered first: a signal during the build or start is kept and acted on below.
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
    let catalog = Catalog::discover()?;
    let split = CpuSplit::resolve(args.cpus.clone(), None)?;
    let config = ServerConfig::for_cpus(split.server);
    let verified = start_verified(&catalog, &args.target, &config, load_spec(&catalog)?)?;
    let server = &verified.server;
    println!("listening on {}", server.base_url());
    println!(
        "pid {} (cpus {}, WORKERS {}, OFFLOAD_THREADS {}, log {})",
        server.pid(),
        config.cpus,
        config.workers,
        config.offload_threads,
        server.log_path().display()
    );
    std::io::stdout().flush().ok();
    let signal = signals.forever().next();
    verified.server.stop();
    eprintln!("stopped {} on signal {}", args.target, signal.unwrap_or(0));
    Ok(ExitCode::SUCCESS)
}
