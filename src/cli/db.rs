//! `stampede db start|stop|url|ceiling`: the harness's PostgreSQL cluster by hand, for `serve`
//! and `load`. `start` keeps the cluster until Ctrl-C, SIGTERM or `stampede db stop`, and leaves
//! a small state file (`target/stampede/postgres/running.json`) for `url`, `stop` and `ceiling`
//! to find it. `ceiling` measures pgbench's single-row reads/s against that cluster, or against
//! one of its own when none is kept.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Subcommand;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSet;
use stampede_harness::cpus::CpuSplit;
use stampede_harness::database::Installation;
use stampede_harness::database::ceiling::{Ceiling, CeilingPlan, pgbench_program};
use stampede_harness::database::for_run::start_if_needed;
use stampede_harness::database::keeper::{
    KeeperError, KeptCluster, running, state_file, stop_kept,
};
use stampede_harness::database::link::DEFAULT_POOL_SIZE;

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
    /// Measure the most single-row reads/s the database serves here (pgbench, /db's query,
    /// from the client's CPUs), against the kept cluster or a fresh one. Its reads count in
    /// pg_stat_statements: never run it beside a measured load.
    Ceiling {
        /// pgbench's connections (default: a target's pool, DB_POOL_SIZE's default).
        #[arg(long, default_value_t = DEFAULT_POOL_SIZE)]
        connections: usize,
        /// How long pgbench reads (whole seconds).
        #[arg(long, value_parser = super::parse_duration, default_value = "3s")]
        duration: Duration,
        /// Print the ceiling as JSON.
        #[arg(long)]
        json: bool,
    },
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
        DbCommand::Ceiling {
            connections,
            duration,
            json,
        } => {
            let ceiling = measure_ceiling(&catalog, &state, *connections, *duration)?;
            super::print_report(&ceiling, *json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// pgbench against the kept cluster (on the CPUs `db start` gave it), else a fresh one on the
/// CPUs a benchmark run gives it, stopped afterwards; pgbench on the client's CPUs either way.
fn measure_ceiling(
    catalog: &Catalog,
    state: &Path,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Ceiling> {
    let split = CpuSplit::resolve(None, None)?;
    let kept = match running(state) {
        Ok((_, url)) => Some(url),
        Err(KeeperError::NotRunning) => None,
        Err(err) => return Err(err.into()),
    };
    let (plan, pgbench, _own) = match kept {
        Some(url) => {
            let cpus = std::fs::read_to_string(state).ok().and_then(|text| {
                let record: serde_json::Value = serde_json::from_str(&text).ok()?;
                record["cpus"].as_str().and_then(|c| CpuSet::parse(c).ok())
            });
            let plan = CeilingPlan {
                url,
                connections,
                duration,
                client_cpus: split.client.clone(),
                database_cpus: cpus,
                database_probe: None,
            };
            (
                plan,
                pgbench_program(Installation::find().ok().as_ref()),
                None,
            )
        }
        None => {
            eprintln!(
                "no cluster is kept (`stampede db start`): starting one for this measurement"
            );
            let db =
                start_if_needed(catalog, true, &split)?.context("the database did not start")?;
            let mut plan = CeilingPlan::for_link(&db.link(connections), split.client.clone());
            plan.duration = duration;
            let pgbench = pgbench_program(Some(db.installation()));
            (plan, pgbench, Some(db))
        }
    };
    Ok(plan.measure(&pgbench)?)
}
