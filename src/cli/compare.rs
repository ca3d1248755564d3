//! `stampede compare`: duet A/B comparison of a base ref and the working tree (or a head ref).
//! Exit status: 0 when nothing regressed (inconclusive included), 1 on a regression, 2 on an
//! error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use stampede_harness::compare::family::{FAMILY_ALPHA, Schedule};
use stampede_harness::compare::instructions_run::{InstructionsRequest, compare_instructions};
use stampede_harness::compare::sequential::SequentialOptions;
use stampede_harness::compare::versions::Versions;
use stampede_harness::compare::{Names, RoundSetup, RunSpec, compare};
use stampede_harness::cpus::CpuSplit;
use stampede_harness::history::keep::keep_compare_result;
use stampede_harness::output::{Format, Render};
use stampede_harness::workload::{DefaultFor, Workload};

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
    /// Also write the verdict as Markdown here (for a PR comment).
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Also write the whole run (every round, every decision) as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
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

/// The duet's threshold in percent when none is given.
const DUET_THRESHOLD_PCT: f64 = 5.0;

/// The metric `compare` decides on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Metric {
    /// Duet A/B: requests/s and server CPU per request.
    Duet,
    /// User-space instructions per request under Valgrind.
    Instructions,
}

impl CompareArgs {
    fn sequential(&self) -> anyhow::Result<SequentialOptions> {
        let threshold = self.threshold.unwrap_or(DUET_THRESHOLD_PCT);
        if !(threshold > 0.0 && threshold < 100.0) {
            anyhow::bail!("--threshold must be a percentage between 0 and 100, got {threshold}");
        }
        if self.rounds < 4 || self.step_rounds == 0 || self.max_rounds < self.rounds {
            anyhow::bail!(
                "need --rounds >= 4, --step-rounds >= 1 and --max-rounds >= --rounds (got {}, {}, {})",
                self.rounds,
                self.step_rounds,
                self.max_rounds
            );
        }
        Ok(SequentialOptions {
            schedule: Schedule {
                initial_rounds: self.rounds,
                step_rounds: self.step_rounds,
                max_rounds: self.max_rounds,
            },
            threshold: threshold / 100.0,
            alpha: FAMILY_ALPHA,
            max_time: self.max_time,
            null_control: self.null_control,
        })
    }
}

pub(crate) fn run(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    if args.metric == Metric::Instructions {
        let request = InstructionsRequest {
            base: &args.base,
            head: args.head.as_deref(),
            targets: &args.targets,
            workloads: &args.workloads,
            threshold_pct: args.threshold,
            repetitions: args.repetitions,
        };
        let report = compare_instructions(&request, &|line| eprintln!("{line}"))?;
        write_outputs(args, &report, None)?;
        return Ok(ExitCode::from(report.exit_status()));
    }
    let sequential = args.sequential()?;
    let versions = Versions::check_out(&args.base, args.head.as_deref())?;
    let (targets, workloads) =
        versions.defaults(&args.targets, &args.workloads, DefaultFor::Compare)?;
    let split = CpuSplit::resolve(None, None)?;
    let spec = RunSpec {
        targets,
        workloads,
        setup: RoundSetup {
            duration: args.round_duration,
            connections: args.connections,
            server_cpus: split.server,
            client_cpus: split.client,
            null_control: args.null_control,
        },
        sequential,
    };
    let names = Names {
        base: args.base.clone(),
        base_commit: versions.base_commit.clone(),
        head: versions.head_name.clone(),
    };
    eprintln!("{}", spec.describe(&names));
    let report = compare(&versions.base, &versions.head, names, &spec, |line| {
        eprintln!("{line}")
    })
    .context("comparing")?;
    let head_commit = versions.head_commit.as_deref();
    let kept = keep_compare_result(args.history.as_deref(), head_commit, &report);
    write_outputs(args, &report, kept.line())?;
    Ok(ExitCode::from(report.exit_status))
}

/// Prints the verdict table (then the history's line, if any) and writes `--markdown` and
/// `--json`.
fn write_outputs(
    args: &CompareArgs,
    report: &impl Render,
    kept: Option<String>,
) -> anyhow::Result<()> {
    print!("{}", report.render(Format::Text)?);
    if let Some(line) = kept {
        eprintln!("{line}");
    }
    for (format, path) in [
        (Format::Markdown, &args.markdown),
        (Format::Json, &args.json),
    ] {
        if let Some(path) = path {
            report.write_to(format, path)?;
        }
    }
    Ok(())
}
