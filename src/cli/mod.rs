//! Command-line parsing and dispatch; each command lives in its own file.

mod compare;
mod conformance;
mod db;
mod export;
mod history;
mod icount;
mod import;
mod list;
mod load;
mod report;
mod serve;
mod verify;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use signal_hook::iterator::Signals;
use stampede_harness::cpus::CpuSet;
use stampede_harness::output::{Format, LineKind, Render};

/// Durations on the command line (`500ms`, `5s`, `2m`, `1m 30s`) for clap's value parsers.
pub(crate) use humantime::parse_duration;

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
    /// Probe targets (or --url) with the RFC 9110/9112 table: pass / lenient / fail per level.
    Conformance(conformance::ConformanceArgs),
    /// Build, start and verify one target, then keep it running until Ctrl-C or SIGTERM.
    Serve(serve::ServeArgs),
    /// Put load on a target (started and verified here) or on a URL.
    Load(load::LoadArgs),
    /// Write the cross-runtime summary (index.html, report.md, results.json) from the results.
    Report(report::ReportArgs),
    /// Compare a base git ref with the working tree (duet A/B); exit 1 on a regression.
    Compare(compare::CompareArgs),
    /// Write a workload as another load tool's test (k6), to load from other machines.
    Export {
        #[command(subcommand)]
        engine: export::ExportEngine,
    },
    /// Read another load tool's results (k6 instances' JSON output) into one result record.
    Import {
        #[command(subcommand)]
        engine: import::ImportEngine,
    },
    /// Trends across runs from the results history, with change points and their commits.
    History(history::HistoryArgs),
    /// Count user-space instructions per request under Valgrind (deterministic, any machine).
    Icount(icount::IcountArgs),
    /// The harness's PostgreSQL cluster by hand: start (until Ctrl-C), stop, or print its URL.
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
}

/// Runs the parsed command; the exit code says success (0) or failure (1).
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::List => list::run(),
        Command::Verify { targets } => verify::run(&targets),
        Command::Conformance(args) => conformance::run(&args),
        Command::Serve(serve_args) => serve::run(&serve_args),
        Command::Load(load_args) => load::run(&load_args),
        Command::Report(report_args) => report::run(&report_args),
        Command::Compare(compare_args) => compare::run(&compare_args),
        Command::Export { engine } => export::run(&engine),
        Command::Import { engine } => import::run(&engine),
        Command::History(history_args) => history::run(&history_args),
        Command::Icount(icount_args) => icount::run(&icount_args),
        Command::Db { command } => db::run(&command),
    }
}

/// Why `serve` or `db start` should end now: a SIGINT/SIGTERM, or `--exit-after` reached.
pub(crate) fn stop_reason(
    signals: &mut Signals,
    started: Instant,
    exit_after: Option<Duration>,
) -> Option<String> {
    if let Some(signal) = signals.pending().next() {
        return Some(format!("signal {signal}"));
    }
    exit_after
        .is_some_and(|d| started.elapsed() >= d)
        .then(|| "--exit-after reached".to_owned())
}

/// Prints `report` as JSON with `--json`, else as text: the meaning of every command's `--json`
/// (a file is written by `--export-json FILE`).
pub(crate) fn print_report(report: &impl Render, json: bool) -> anyhow::Result<()> {
    match Format::text_or_json(json) {
        Format::Json => println!("{}", report.render(Format::Json)?),
        format => print!("{}", report.render(format)?),
    }
    Ok(())
}

/// Prints a piece of a command's result as text the moment it comes (a verified target, a
/// counted target's rows), so a later failure loses nothing already shown.
pub(crate) fn print_part(part: &impl Render) {
    match part.render(Format::Text) {
        Ok(text) => print!("{text}"),
        Err(err) => eprintln!("Error: {err}"),
    }
}

/// Prints a line a command hands back: results on stdout, notes on stderr.
pub(crate) fn print_line(kind: LineKind, line: &str) {
    match kind {
        LineKind::Result => println!("{line}"),
        LineKind::Note => eprintln!("{line}"),
    }
}

/// Parses a `--cpus`-style list for clap.
pub(crate) fn parse_cpus(text: &str) -> Result<CpuSet, String> {
    CpuSet::parse(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_with_duration(text: &str) -> Result<Args, clap::Error> {
        let url = "http://127.0.0.1:9/";
        Args::try_parse_from(["stampede", "load", "--url", url, "-d", text])
    }

    #[test]
    fn durations_need_a_unit_and_may_combine_units() {
        for good in ["500ms", "5s", "2m", "1m 30s"] {
            assert!(load_with_duration(good).is_ok(), "{good}");
        }
        for bad in ["fast", "5 parsecs", "10"] {
            let err = load_with_duration(bad).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{bad}");
        }
    }
}
