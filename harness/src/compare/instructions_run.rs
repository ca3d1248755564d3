//! `compare --metric instructions` from start to end: base and head checked out, every target
//! counted under Valgrind on both sides, compared workload by workload into one
//! [`InstructionsOutput`] (text, Markdown and JSON through [`crate::output::Render`]).

use super::Verdict;
use super::instructions::{DEFAULT_THRESHOLD_PCT, InstructionComparison};
use super::versions::{Selection, Versions, VersionsError};
use crate::cpus::{CpuError, CpuSet};
use crate::icount::jobs::job_cpus;
use crate::icount::sides::{TargetOutcome, VersionsPlan, compare_versions};
use crate::icount::{IcountError, IcountOptions, Valgrind};
use crate::output::{Format, Render, RenderError, json_pretty, unsupported};
use crate::workload::{DefaultFor, not_served_line};

/// What to compare, as `stampede compare` was asked.
#[derive(Debug)]
pub struct InstructionsRequest<'a> {
    /// The refs, targets, workloads and threshold.
    pub selection: Selection<'a>,
    /// Fresh server processes per side.
    pub repetitions: usize,
}

/// Why the comparison could not run.
#[derive(Debug, thiserror::Error)]
pub enum InstructionsError {
    /// The harness's PostgreSQL, for a database workload, did not start.
    #[error(transparent)]
    Database(#[from] crate::database::DatabaseError),
    /// `--threshold` out of range.
    #[error("--threshold must be a percentage between 0 and 100, got {0}")]
    Threshold(f64),
    /// `--repetitions 0`.
    #[error("--repetitions must be at least 1")]
    Repetitions,
    /// Valgrind missing, or a count failed.
    #[error(transparent)]
    Icount(#[from] IcountError),
    /// A checkout failed.
    #[error(transparent)]
    Versions(#[from] VersionsError),
    /// The allowed CPUs could not be read.
    #[error(transparent)]
    Cpus(#[from] CpuError),
}

/// Every comparison of one run, with what its Markdown names.
#[derive(Debug)]
pub struct InstructionsOutput {
    /// One per target and workload, in target order.
    pub comparisons: Vec<InstructionComparison>,
    /// The base as named.
    pub base: String,
    /// The head as named, or `working tree`.
    pub head_name: String,
    /// The threshold used, in percent.
    pub threshold_pct: f64,
    /// Processes per side.
    pub repetitions: usize,
}

impl InstructionsOutput {
    /// The exit status: 1 when a comparison regressed, else 0.
    pub fn exit_status(&self) -> u8 {
        u8::from(
            self.comparisons
                .iter()
                .any(|c| c.verdict == Verdict::Regressed),
        )
    }
}

/// Checks out both versions and compares them; `progress` gets a line per step (each side's
/// figures, workloads a target does not serve, targets skipped).
pub fn compare_instructions(
    request: &InstructionsRequest<'_>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<InstructionsOutput, InstructionsError> {
    let threshold = request
        .selection
        .threshold_pct
        .unwrap_or(DEFAULT_THRESHOLD_PCT);
    if !(threshold > 0.0 && threshold < 100.0) {
        return Err(InstructionsError::Threshold(threshold));
    }
    if request.repetitions == 0 {
        return Err(InstructionsError::Repetitions);
    }
    let valgrind = Valgrind::detect()?;
    let (versions, targets, workloads) = Versions::select(&request.selection, DefaultFor::Icount)?;
    let cpus = job_cpus(&CpuSet::allowed()?, 0);
    let mut options = IcountOptions::new(cpus[0].clone());
    options.repetitions = request.repetitions;
    let database = crate::database::for_run::start_if_needed(
        &versions.head.catalog,
        workloads.iter().any(|w| w.definition().database.is_some()),
        &crate::cpus::CpuSplit::resolve(None, None)?,
    )?;
    options.database = database
        .as_ref()
        .map(|db| db.link(crate::database::link::DEFAULT_POOL_SIZE));
    progress(&format!(
        "comparing {} ({}) with {} on instructions per request under {} (callgrind): {} process(es) per side, {} at a time",
        request.selection.base,
        versions.base_short(),
        versions.head_name,
        valgrind.version,
        options.repetitions,
        cpus.len()
    ));
    for name in &targets {
        if let Ok(target) = versions.head.catalog.target(name) {
            for workload in workloads.iter().filter(|w| !target.serves(w.name())) {
                progress(&not_served_line(name, workload.name()));
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
                progress(&format!("{target} {side}: {}", figures.join(", ")));
            }
        },
    )?;
    let mut comparisons: Vec<InstructionComparison> = Vec::new();
    for outcome in outcomes {
        match outcome {
            TargetOutcome::Compared(mut c) => comparisons.append(&mut c),
            TargetOutcome::Skipped(line) => progress(&line),
        }
    }
    Ok(InstructionsOutput {
        comparisons,
        base: request.selection.base.to_owned(),
        head_name: versions.head_name,
        threshold_pct: threshold,
        repetitions: request.repetitions,
    })
}

/// `stampede compare --metric instructions`: the same three outputs as the duet.
impl Render for InstructionsOutput {
    const NAME: &'static str = "the instructions comparison";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(super::instructions::text(&self.comparisons)),
            Format::Markdown => Ok(super::instructions::markdown(
                &self.comparisons,
                &self.base,
                &self.head_name,
                self.threshold_pct,
                self.repetitions,
            )),
            Format::Json => json_pretty::<Self, _>(&self.comparisons),
            Format::Html => Err(unsupported::<Self>(format)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(threshold_pct: Option<f64>, repetitions: usize) -> InstructionsRequest<'static> {
        InstructionsRequest {
            selection: Selection {
                base: "HEAD",
                head: None,
                targets: &[],
                workloads: &[],
                threshold_pct,
            },
            repetitions,
        }
    }

    #[test]
    fn a_threshold_outside_0_to_100_and_zero_repetitions_are_refused_before_any_work() {
        let quiet = |_: &str| {};
        let err = compare_instructions(&request(Some(0.0), 3), &quiet).unwrap_err();
        assert!(
            matches!(err, InstructionsError::Threshold(t) if t == 0.0),
            "{err}"
        );
        let err = compare_instructions(&request(Some(150.0), 3), &quiet).unwrap_err();
        assert!(
            err.to_string().contains("between 0 and 100, got 150"),
            "{err}"
        );
        let err = compare_instructions(&request(None, 0), &quiet).unwrap_err();
        assert!(matches!(err, InstructionsError::Repetitions), "{err}");
    }
}
