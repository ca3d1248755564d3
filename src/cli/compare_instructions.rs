//! `stampede compare --metric instructions`: base and head compared on user-space instructions
//! per request under Valgrind. Same exit codes and outputs as the duet: 0 nothing regressed,
//! 1 a regression, 2 an error; `--markdown` and `--json` write the table and every figure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use stampede_harness::compare::Verdict;
use stampede_harness::compare::instructions::{
    DEFAULT_THRESHOLD_PCT, InstructionComparison, render_markdown, render_text,
};
use stampede_harness::cpus::CpuSet;
use stampede_harness::icount::jobs::job_cpus;
use stampede_harness::icount::sides::{TargetOutcome, VersionsPlan, compare_versions};

use super::compare::Versions;
use stampede_harness::icount::{IcountOptions, Valgrind};
use stampede_harness::workload::{DefaultFor, Workload, not_served_line};

/// What `compare` passes on when the metric is instructions.
#[derive(Debug)]
pub(crate) struct InstructionsCompare<'a> {
    pub(crate) base: &'a str,
    pub(crate) head: Option<&'a str>,
    pub(crate) targets: &'a [String],
    pub(crate) workloads: &'a [Workload],
    pub(crate) threshold_pct: Option<f64>,
    pub(crate) repetitions: usize,
    pub(crate) markdown: Option<&'a Path>,
    pub(crate) json: Option<&'a Path>,
}

pub(crate) fn run(args: &InstructionsCompare<'_>) -> anyhow::Result<ExitCode> {
    let threshold = args.threshold_pct.unwrap_or(DEFAULT_THRESHOLD_PCT);
    if !(threshold > 0.0 && threshold < 100.0) {
        anyhow::bail!("--threshold must be a percentage between 0 and 100, got {threshold}");
    }
    if args.repetitions == 0 {
        anyhow::bail!("--repetitions must be at least 1");
    }
    let valgrind = Valgrind::detect()?;
    let versions = Versions::check_out(args.base, args.head)?;
    let (targets, workloads) =
        versions.defaults(args.targets, args.workloads, DefaultFor::Icount)?;
    let cpus = job_cpus(&CpuSet::allowed()?, 0);
    let mut options = IcountOptions::new(cpus[0].clone());
    options.repetitions = args.repetitions;
    eprintln!(
        "comparing {} ({}) with {} on instructions per request under {} (callgrind): {} process(es) per side, {} at a time",
        args.base,
        &versions.base_commit[..12.min(versions.base_commit.len())],
        versions.head_name,
        valgrind.version,
        options.repetitions,
        cpus.len()
    );
    for name in &targets {
        if let Ok(target) = versions.head.catalog.target(name) {
            for workload in workloads.iter().filter(|w| !target.serves(w.name())) {
                eprintln!("{}", not_served_line(name, workload.name()));
            }
        }
    }
    let plan = VersionsPlan {
        targets: &targets,
        workloads: &workloads,
        valgrind: &valgrind,
        options: &options,
        cpus: &cpus,
        threshold_pct: threshold,
    };
    let outcomes = compare_versions(
        &versions.base,
        &versions.head,
        &plan,
        &|target, side, result| {
            if let Ok(records) = result {
                let figures: Vec<String> = records
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {:.0} ±{:.3}%",
                            r.workload, r.instructions_per_request, r.spread_pct
                        )
                    })
                    .collect();
                eprintln!("{target} {side}: {}", figures.join(", "));
            }
        },
    )?;
    let mut comparisons: Vec<InstructionComparison> = Vec::new();
    for outcome in outcomes {
        match outcome {
            TargetOutcome::Compared(mut c) => comparisons.append(&mut c),
            TargetOutcome::Skipped(line) => eprintln!("{line}"),
        }
    }
    print!("{}", render_text(&comparisons));
    if let Some(path) = args.markdown {
        let text = render_markdown(
            &comparisons,
            args.base,
            &versions.head_name,
            threshold,
            args.repetitions,
        );
        write(path, text.as_bytes())?;
    }
    if let Some(path) = args.json {
        write(path, &serde_json::to_vec_pretty(&comparisons)?)?;
    }
    let regressed = comparisons.iter().any(|c| c.verdict == Verdict::Regressed);
    Ok(if regressed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes)
        .with_context(|| format!("writing {}", PathBuf::from(path).display()))
}
