//! `stampede db start|stop|url`: the harness's PostgreSQL cluster by hand, for `serve` and
//! `load`. `start` keeps the cluster until Ctrl-C, SIGTERM or `stampede db stop`, and leaves a
//! small state file (`target/stampede/postgres/running.json`) for `url` and `stop` to find it.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Subcommand;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSet;
use stampede_harness::database::keeper::{KeptCluster, running, state_file, stop_kept};

#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Start a fresh, seeded cluster, print its URL, and keep it until Ctrl-C or SIGTERM.
    Start {
        /// CPUs for PostgreSQL (default: the server's, the first half of the allowed CPUs).
        #[arg(long, value_parser = super::parse_cpus)]
        cpus: Option<CpuSet>,
        /// Stop by itself after this long (e.g. 30s) instead of waiting for a signal.
        #[arg(long, value_parser = super::parse_duration)]
        exit_after: Option<Duration>,
    },
    /// Stop the cluster that `stampede db start` keeps.
    Stop,
    /// Print the URL of the running cluster (for DATABASE_URL=$(stampede db url)).
    Url,
}

pub(crate) fn run(command: &DbCommand) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::discover()?;
    let state = state_file(&catalog.work_dir());
    match command {
        DbCommand::Start { cpus, exit_after } => {
            // Registered first: a signal during the start is kept and acted on below.
            let mut signals =
                Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
            let kept = KeptCluster::start(&catalog, &state, cpus.clone())?;
            println!("{}", kept.describe());
            std::io::stdout().flush().ok();
            let started = Instant::now();
            let why = kept.keep_until(|| super::stop_reason(&mut signals, started, *exit_after))?;
            eprintln!("stopped PostgreSQL: {why}");
        }
        DbCommand::Url => println!("{}", running(&state)?.1),
        DbCommand::Stop => println!("stopped the cluster at {}", stop_kept(&state)?),
    }
    Ok(ExitCode::SUCCESS)
}
