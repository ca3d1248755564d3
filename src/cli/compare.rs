//! `stampede compare`: duet A/B comparison of a base ref and the working tree (or a head ref).
//! Exit status: 0 when nothing regressed (inconclusive included), 1 on a regression, 2 on an
//! error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use stampede_harness::compare::duet_run::{DuetRequest, compare_duet};
use stampede_harness::compare::family::Schedule;
use stampede_harness::compare::instructions_run::{InstructionsRequest, compare_instructions};
use stampede_harness::compare::pace::Pace;
use stampede_harness::compare::versions::Selection;
use stampede_harness::history::keep::keep_compare_result;
use stampede_harness::output::{Format, Render};
use stampede_harness::workload::Workload;

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// The base version: any git ref (branch, tag, commit).
    #[arg(long)]
    base: String,
    /// The head version (default: the working tree as it is).
    #[arg(long)]
    head: Option<String>,
    /// Targets to compare (default: every available target).
    #[arg(long, value_delimiter = ',')]
    targets: Vec<String>,
    /// Workloads to compare (default: those whose spec/workloads.toml entry has `default_for`
    /// "compare" for the duet, plaintext and json; "icount" for instructions, plaintext, json,
    /// order and the smallest hash).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<Workload>,
    /// Change in percent that counts as a regression (default: 5 for the duet, 0.5 for
    /// instructions).
    #[arg(long)]
    threshold: Option<f64>,
    /// Duet rounds per target and workload before the first look.
    #[arg(long, default_value_t = 12)]
    rounds: usize,
    /// Rounds added per look while a comparison is inconclusive (a multiple of 4 keeps ABBA).
    #[arg(long, default_value_t = 8)]
    step_rounds: usize,
    /// Rounds per target and workload at the last planned look; α is split over the looks.
    #[arg(long, default_value_t = 28)]
    max_rounds: usize,
    /// No new rounds once the rounds so far plus the next block would take longer than this
    /// (building and verifying not counted).
    #[arg(long, default_value = "25m", value_parser = super::parse_duration)]
    max_time: Duration,
    /// Load time per round.
    #[arg(long, default_value = "2s", value_parser = super::parse_duration)]
    round_duration: Duration,
    /// Connections per side.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Also run base against a second base server in the same rounds: the day's noise floor.
    #[arg(long)]
    null_control: bool,
    /// Who sets the rounds' rate: `auto` (a closed-loop calibration round first; when its load
    /// clients were 75% busy or more, they set the rate of every round and CPU per request
    /// decides alone), `closed` (the servers, client-bound rounds left out; req/s and CPU per
    /// request decide), or a rate in requests/s per side, open loop (CPU per request decides).
    #[arg(long, default_value = "auto")]
    pace: Pace,
    /// Print the whole run (every round, every decision) as JSON instead of the verdict table.
    #[arg(long)]
    json: bool,
    /// Also write the verdict as Markdown to FILE (for a PR comment).
    #[arg(long, value_name = "FILE")]
    export_markdown: Option<PathBuf>,
    /// Also write the whole run (every round, every decision) as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    export_json: Option<PathBuf>,
    /// The history file the head side is kept in [default: $STAMPEDE_HISTORY, else
    /// target/stampede/history.sqlite].
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
    // --- instructions metric (issue 19); the duet ignores these ---
    /// What decides: `duet` (requests/s and CPU per request, both versions loaded at once) or
    /// `instructions` (user-space instructions per request under Valgrind; deterministic).
    #[arg(long, value_enum, default_value_t = Metric::Duet)]
    metric: Metric,
    /// With --metric instructions: fresh server processes per side.
    #[arg(long, default_value_t = stampede_harness::icount::DEFAULT_REPETITIONS)]
    repetitions: usize,
}

/// The metric `compare` decides on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Metric {
    /// Duet A/B: requests/s and server CPU per request.
    Duet,
    /// User-space instructions per request under Valgrind.
    Instructions,
}

pub(crate) fn run(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let selection = Selection {
        base: &args.base,
        head: args.head.as_deref(),
        targets: &args.targets,
        workloads: &args.workloads,
        threshold_pct: args.threshold,
    };
    if args.metric == Metric::Instructions {
        let request = InstructionsRequest {
            selection,
            repetitions: args.repetitions,
        };
        let report = compare_instructions(&request, &|line| eprintln!("{line}"))?;
        write_outputs(args, &report, None)?;
        return Ok(ExitCode::from(report.exit_status()));
    }
    let request = DuetRequest {
        selection,
        schedule: Schedule {
            initial_rounds: args.rounds,
            step_rounds: args.step_rounds,
            max_rounds: args.max_rounds,
        },
        max_time: args.max_time,
        round_duration: args.round_duration,
        connections: args.connections,
        null_control: args.null_control,
        pace: args.pace,
    };
    let (report, head_commit) = compare_duet(&request, &mut |line| eprintln!("{line}"))?;
    let kept = keep_compare_result(args.history.as_deref(), head_commit.as_deref(), &report);
    write_outputs(args, &report, kept.line())?;
    Ok(ExitCode::from(report.exit_status))
}

/// Prints the verdict table (or, with `--json`, the whole run as JSON), then the history's
/// line, if any, and writes `--export-markdown` and `--export-json`.
fn write_outputs(
    args: &CompareArgs,
    report: &impl Render,
    kept: Option<String>,
) -> anyhow::Result<()> {
    super::print_report(report, args.json)?;
    if let Some(line) = kept {
        eprintln!("{line}");
    }
    for (format, path) in [
        (Format::Markdown, &args.export_markdown),
        (Format::Json, &args.export_json),
    ] {
        if let Some(path) = path {
            report.write_to(format, path)?;
        }
    }
    Ok(())
}
