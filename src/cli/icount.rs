//! `stampede icount`: user-space instructions per request under Valgrind, with their spread
//! over k fresh server processes. Exit status 2 when Valgrind is missing or a count fails.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use stampede_harness::history::keep::keep_icount_result;
use stampede_harness::icount::batch::{IcountRequest, count_catalog};
use stampede_harness::icount::table::TableRows;
use stampede_harness::workload::Workload;

#[derive(Debug, Args)]
pub(crate) struct IcountArgs {
    /// Targets to count (default: every target in the catalog).
    #[arg(long, value_delimiter = ',')]
    targets: Vec<String>,
    /// Workloads (default: those with `default_for = ["icount"]` in spec/workloads.toml:
    /// plaintext, json, order and hash at its smallest size).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<Workload>,
    /// Fresh server processes per target; the spread is taken over them.
    #[arg(long, default_value_t = stampede_harness::icount::DEFAULT_REPETITIONS)]
    repetitions: usize,
    /// Warm-up requests per workload (default: the target's catalog entry).
    #[arg(long)]
    warmup: Option<u64>,
    /// Measured requests per workload (default: the target's catalog entry).
    #[arg(long)]
    requests: Option<u64>,
    /// Servers counted at once, each on its own CPU (default: one per allowed CPU).
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// The history file the counts are kept in [default: $STAMPEDE_HISTORY, else
    /// target/stampede/history.sqlite].
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
}

pub(crate) fn run(args: &IcountArgs) -> anyhow::Result<ExitCode> {
    let request = IcountRequest {
        targets: args.targets.clone(),
        workloads: args.workloads.clone(),
        repetitions: args.repetitions,
        warmup: args.warmup,
        requests: args.requests,
        jobs: args.jobs,
    };
    let keep = |records: &[_]| keep_icount_result(args.history.as_deref(), records).line();
    let table = |rows: TableRows<'_>| super::print_part(&rows);
    let failed = count_catalog(&request, &table, &|note| eprintln!("{note}"), &keep)?;
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
