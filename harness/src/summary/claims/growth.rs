//! Claims about time that are not ratios: "Go's memory stays stable", "Rust does not leak".
//! Each target of the claim's side is judged alone, by its soak run's verdict on memory (the
//! slope of PSS over the run's last two thirds, with its 95% interval); the claim holds when
//! every one measured is `stable`.

use itertools::Itertools;

use super::evaluate::{Absent, common_params, setup_text, side_records};
use super::remedy::{self, TO_COMPARE};
use super::{At, Claim, ClaimCheck, Verdict};
use crate::benchmark_id::{group_filter, targets_filter};
use crate::evidence::{GROWTH_FLOOR_BYTES, GROWTH_FLOOR_BYTES_PER_MIN, MemoryGrowth, ResultRecord};
use crate::summary::format::{bytes, signed_bytes};
use crate::summary::split_param;

/// `memory growth over the run's last two thirds on soak: actix, axum`.
pub(super) fn describe(claim: &Claim) -> String {
    let targets = claim.a.targets.join(", ");
    format!(
        "{} on {}: {targets}",
        claim.metric.label(),
        claim.a.workload
    )
}

/// Fills `check` with each target's verdict; `Err(why)` leaves it not comparable.
pub(super) fn measure(
    claim: &Claim,
    records: &[ResultRecord],
    absent: &Absent<'_>,
    check: &mut ClaimCheck,
) -> Result<(), String> {
    let side = side_records(&claim.a, records, absent)?;
    let common = common_params(&side);
    let numbered = common.iter().filter_map(|p| Some((split_param(p).1?, p)));
    let numbered: Vec<&String> = numbered.sorted().map(|(_, p)| p).collect();
    let param = match &claim.at {
        At::Param(p) => Some(common.get(p).ok_or_else(|| {
            format!(
                "{} was not run at {p} on every target; {}",
                claim.a.workload,
                remedy::for_missing(&targets_filter(&claim.a.workload, &claim.a.targets))
            )
        })?),
        At::LargestCommon => numbered.last().copied(),
        At::SmallestCommon => numbered.first().copied(),
        // Refused when the claims are read.
        At::CpuNearUs(_) => None,
    };
    // A group whose cases are not numbered has one parameter to judge at, or none.
    let Some(param) = param.or_else(|| common.iter().next()) else {
        return Err(format!(
            "the targets share no parameter of {}; {}",
            claim.a.workload,
            remedy::for_missing(&group_filter(&claim.a.workload))
        ));
    };
    let used: Vec<&ResultRecord> = side.into_iter().filter(|r| &r.param == param).collect();
    check.inputs = used.iter().map(|r| r.id.to_string()).collect();
    check.setup = setup_text(&used);
    let mut judged = Vec::new();
    for r in &used {
        judged.push((r.target.as_str(), memory_of(r)?));
    }
    let mut shown = judged
        .iter()
        .map(|(target, m)| format!("{target} {}", slope_text(m)));
    check.measured = shown.join("; ");
    let growing: Vec<&str> = judged
        .iter()
        .filter(|(_, m)| m.verdict == "grows")
        .map(|(target, _)| *target)
        .collect();
    let missing: Vec<&String> = claim
        .a
        .targets
        .iter()
        .filter(|t| !judged.iter().any(|(judged, _)| judged == t))
        .collect();
    let unmeasured = match missing.is_empty() {
        true => String::new(),
        false => format!(
            " ({} not measured: {})",
            missing.iter().join(", "),
            remedy::for_skipped(&targets_filter(&claim.a.workload, &claim.a.targets))
        ),
    };
    let floors = format!(
        "{}/min and {} over the judged span",
        bytes(GROWTH_FLOOR_BYTES_PER_MIN),
        bytes(GROWTH_FLOOR_BYTES)
    );
    (check.verdict, check.why) = match growing.as_slice() {
        [] => (
            Verdict::Holds,
            format!(
                "no growth told apart from noise: each slope's 95% interval holds zero, or the \
                 slope stays under the floors of {floors}{unmeasured}"
            ),
        ),
        grows => (
            Verdict::DoesNotHold,
            format!(
                "{} grows: the slope's 95% interval excludes zero and the slope is above the \
                 floors of {floors} (a heap still filling grows too; a longer soak tells it \
                 from a leak){unmeasured}",
                grows.join(", ")
            ),
        ),
    };
    Ok(())
}

/// The memory verdict of `r`'s timeline, or why it cannot be used.
fn memory_of(r: &ResultRecord) -> Result<&MemoryGrowth, String> {
    let Some(timeline) = &r.figures.timeline else {
        return Err(format!(
            "{} has no timeline (no soak run); {} (minutes per target)",
            r.id,
            remedy::for_missing(&r.id.filter())
        ));
    };
    if r.flags.invalid {
        return Err(format!(
            "flagged input: {} is invalid ({})",
            r.id,
            remedy::for_flagged(r)
        ));
    }
    let memory = &timeline.over_time.memory;
    if memory.slope_bytes_per_min.is_none() {
        return Err(format!(
            "{}'s run is too short to judge its memory ({} intervals; about 30 at least); \
             {TO_COMPARE} soak longer, e.g. `STAMPEDE_SOAK_MINUTES=30 cargo bench -- '{}'`",
            r.id,
            timeline.rows.len(),
            r.id.filter()
        ));
    }
    Ok(memory)
}

/// `+0.12 MiB/min [−0.05–+0.29], stable`.
fn slope_text(memory: &MemoryGrowth) -> String {
    match (
        memory.slope_bytes_per_min,
        memory.low_bytes_per_min,
        memory.high_bytes_per_min,
    ) {
        (Some(slope), Some(low), Some(high)) => format!(
            "{}/min [{}–{}], {}",
            signed_bytes(slope),
            signed_bytes(low),
            signed_bytes(high),
            memory.verdict
        ),
        _ => memory.verdict.clone(),
    }
}
