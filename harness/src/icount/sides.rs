//! Counting two versions of the workspace (base and head) for `compare --metric instructions`:
//! every target once per side, base and head of a target side by side on their own CPUs.

use super::jobs::run_on_cpus;
use super::{IcountError, IcountOptions, IcountRecord, Valgrind, count_target};
use crate::compare::Side;
use crate::compare::instructions::InstructionComparison;
use crate::cpus::CpuSet;
use crate::workload::Workload;

/// What happened to one target.
#[derive(Debug)]
pub enum TargetOutcome {
    /// Both sides counted: one comparison per workload.
    Compared(Vec<InstructionComparison>),
    /// A toolchain is missing: the line to show.
    Skipped(String),
}

/// Called as each side of each target finishes: target, side label, its records or error.
pub type SideDone<'a> = dyn Fn(&str, &str, &Result<Vec<IcountRecord>, IcountError>) + Sync + 'a;

/// What to compare and how.
#[derive(Debug)]
pub struct VersionsPlan<'a> {
    /// Targets, by name.
    pub targets: &'a [String],
    /// Workloads.
    pub workloads: &'a [Workload],
    /// The Valgrind found.
    pub valgrind: &'a Valgrind,
    /// Counting options (the server CPUs come from `cpus`).
    pub options: &'a IcountOptions,
    /// One CPU set per job.
    pub cpus: &'a [CpuSet],
    /// Threshold in percent.
    pub threshold_pct: f64,
}

/// Counts every target on both sides and compares them workload by workload.
pub fn compare_versions(
    base: &Side,
    head: &Side,
    plan: &VersionsPlan<'_>,
    done: &SideDone<'_>,
) -> Result<Vec<TargetOutcome>, IcountError> {
    let VersionsPlan {
        targets,
        workloads,
        valgrind,
        options,
        cpus,
        threshold_pct,
    } = *plan;
    let jobs: Vec<(&Side, &String)> = targets
        .iter()
        .flat_map(|t| [(base, t), (head, t)])
        .collect();
    let mut results = run_on_cpus(
        &jobs,
        cpus,
        |(version, target), set| {
            let mut options = options.clone();
            options.server_cpus = set.clone();
            count_target(
                &version.catalog,
                &version.vectors,
                target,
                workloads,
                valgrind,
                &options,
            )
        },
        |(version, target), result| done(target, version.label, result),
    )
    .into_iter();
    let mut outcomes = Vec::with_capacity(targets.len());
    while let (Some(base_result), Some(head_result)) = (results.next(), results.next()) {
        match (base_result, head_result) {
            // Paired by workload: a side counts only the workloads its catalog says the
            // target serves.
            (Ok(base_records), Ok(head_records)) => outcomes.push(TargetOutcome::Compared(
                head_records
                    .iter()
                    .filter_map(|h| {
                        let b = base_records.iter().find(|b| b.workload == h.workload)?;
                        Some(InstructionComparison::of(b, h, threshold_pct))
                    })
                    .collect(),
            )),
            (Err(err), _) | (_, Err(err)) if err.is_skip() => {
                outcomes.push(TargetOutcome::Skipped(err.to_string()));
            }
            (Err(err), _) | (_, Err(err)) => return Err(err),
        }
    }
    Ok(outcomes)
}
