//! Command-line parsing and dispatch; each command lives in its own file.

mod compare;
mod compare_instructions;
mod duration;
mod icount;
mod list;
mod load;
mod report;
mod serve;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stampede_harness::cpus::CpuSet;

pub(crate) use duration::parse_duration;

/// Reproducible Rust vs Go vs Node HTTP server benchmarks.
#[derive(Debug, Parser)]
#[command(name = "stampede", version, about)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the catalog's targets and whether each can run here.
    List,
    /// Build, start and check targets against every spec vector (all targets by default).
    Verify {
        /// Targets to verify.
        targets: Vec<String>,
    },
    /// Build, start and verify one target, then keep it running until Ctrl-C or SIGTERM.
    Serve(serve::ServeArgs),
    /// Put load on a target (started and verified here) or on a URL.
    Load(load::LoadArgs),
    /// Write the cross-runtime summary (index.html, report.md, results.json) from the results.
    Report(report::ReportArgs),
    /// Compare a base git ref with the working tree (duet A/B); exit 1 on a regression.
    Compare(compare::CompareArgs),
    /// Count user-space instructions per request under Valgrind (deterministic, any machine).
    Icount(icount::IcountArgs),
}

/// Runs the parsed command; the exit code says success (0) or failure (1).
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::List => list::run(),
        Command::Verify { targets } => verify::run(&targets),
        Command::Serve(serve_args) => serve::run(&serve_args),
        Command::Load(load_args) => load::run(&load_args),
        Command::Report(report_args) => report::run(&report_args),
        Command::Compare(compare_args) => compare::run(&compare_args),
        Command::Icount(icount_args) => icount::run(&icount_args),
    }
}

/// Parses a `--cpus`-style list for clap.
pub(crate) fn parse_cpus(text: &str) -> Result<CpuSet, String> {
    CpuSet::parse(text).map_err(|e| e.to_string())
}
