//! `stampede compare --metric instructions`: base and head compared on user-space instructions
//! per request (counted under Valgrind, see `icount`), per target and workload.
//!
//! The counts barely vary (0.01-0.2% over fresh processes), so the rule is simple: the change
//! is the ratio of the medians; it counts only beyond a threshold that is never below
//! [`SPREAD_FACTOR`] times the larger measured spread — which also means every head repetition
//! then lies beyond every base repetition.

use std::fmt::Write as _;

use serde::Serialize;

use super::decide::Verdict;
use crate::icount::IcountRecord;
use crate::icount::spread::{median, spread_pct};

/// Default threshold in percent.
pub const DEFAULT_THRESHOLD_PCT: f64 = 0.5;
/// The threshold is at least this many times the larger of the two spreads: k = 3 repetitions
/// see only part of the range another run may give.
pub const SPREAD_FACTOR: f64 = 4.0;

/// The decision for one target and workload.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct InstructionDecision {
    /// (head median / base median - 1) in percent.
    pub change_pct: f64,
    /// The threshold applied: the asked one, raised to [`SPREAD_FACTOR`] x the larger spread.
    pub threshold_pct: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// Decides from the per-repetition figures of each side (more instructions is worse).
///
/// - **regressed**: head needs more instructions by more than the threshold;
/// - **improved**: fewer, by more than the threshold;
/// - **unchanged**: the change is within the threshold;
/// - **inconclusive**: a side has no usable figure.
pub fn decide_instructions(base: &[f64], head: &[f64], threshold_pct: f64) -> InstructionDecision {
    let inconclusive = InstructionDecision {
        change_pct: f64::NAN,
        threshold_pct,
        verdict: Verdict::Inconclusive,
    };
    let (Some(b), Some(h)) = (median(base), median(head)) else {
        return inconclusive;
    };
    let (Some(sb), Some(sh)) = (spread_pct(base), spread_pct(head)) else {
        return inconclusive;
    };
    let threshold = threshold_pct.max(SPREAD_FACTOR * sb.max(sh));
    let change = (h / b - 1.0) * 100.0;
    let verdict = if change.abs() <= threshold {
        Verdict::Unchanged
    } else if change > 0.0 {
        Verdict::Regressed
    } else {
        Verdict::Improved
    };
    InstructionDecision {
        change_pct: change,
        threshold_pct: threshold,
        verdict,
    }
}

/// One side of a comparison: its figure and where it came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstructionSide {
    /// Median instructions per request.
    pub instructions_per_request: f64,
    /// Spread over the repetitions, in percent.
    pub spread_pct: f64,
    /// Every repetition's instructions per request.
    pub repetitions: Vec<f64>,
}

impl InstructionSide {
    /// The side as its record gives it.
    pub fn of(record: &IcountRecord) -> Self {
        Self {
            instructions_per_request: record.instructions_per_request,
            spread_pct: record.spread_pct,
            repetitions: record
                .repetitions
                .iter()
                .map(|r| r.instructions_per_request)
                .collect(),
        }
    }
}

/// The comparison of one target x workload on instructions per request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstructionComparison {
    /// Always `instructions_per_request`, to tell these apart from duet comparisons in JSON.
    pub metric: &'static str,
    /// Target name.
    pub target: String,
    /// Workload name.
    pub workload: String,
    /// The base side.
    pub base: InstructionSide,
    /// The head side.
    pub head: InstructionSide,
    /// The decision.
    pub decision: InstructionDecision,
    /// The combined verdict (the decision's).
    pub verdict: Verdict,
}

impl InstructionComparison {
    /// Compares two records of the same target and workload.
    pub fn of(base: &IcountRecord, head: &IcountRecord, threshold_pct: f64) -> Self {
        let base = InstructionSide::of(base);
        let head_side = InstructionSide::of(head);
        let decision =
            decide_instructions(&base.repetitions, &head_side.repetitions, threshold_pct);
        Self {
            metric: "instructions_per_request",
            target: head.target.clone(),
            workload: head.workload.clone(),
            base,
            head: head_side,
            verdict: decision.verdict,
            decision,
        }
    }
}

/// One comparison's cells, formatted once for both renderings.
struct Row {
    target: String,
    workload: String,
    base: String,
    head: String,
    change: String,
    spreads: String,
    threshold: String,
    verdict: &'static str,
}

impl Row {
    fn of(c: &InstructionComparison) -> Self {
        Self {
            target: c.target.clone(),
            workload: c.workload.clone(),
            base: format!("{:.0}", c.base.instructions_per_request),
            head: format!("{:.0}", c.head.instructions_per_request),
            change: format!("{:+.2}%", c.decision.change_pct),
            spreads: format!("{:.2}% / {:.2}%", c.base.spread_pct, c.head.spread_pct),
            threshold: format!("±{:.2}%", c.decision.threshold_pct),
            verdict: c.verdict.as_str(),
        }
    }
}

/// One line per comparison, for the terminal.
pub(crate) fn text(comparisons: &[InstructionComparison]) -> String {
    let mut out = format!(
        "{:<14} {:<12} {:>12} {:>12} {:>9} {:>17} {:>10}  verdict\n",
        "target", "workload", "base instr", "head instr", "change", "spread b / h", "threshold"
    );
    for r in comparisons.iter().map(Row::of) {
        let _ = writeln!(
            out,
            "{:<14} {:<12} {:>12} {:>12} {:>9} {:>17} {:>10}  {}",
            r.target, r.workload, r.base, r.head, r.change, r.spreads, r.threshold, r.verdict
        );
    }
    out
}

/// A Markdown section fit for the PR comment, beside the duet's.
pub(crate) fn markdown(
    comparisons: &[InstructionComparison],
    base: &str,
    head: &str,
    threshold_pct: f64,
    repetitions: usize,
) -> String {
    let regressed = comparisons
        .iter()
        .filter(|c| c.verdict == Verdict::Regressed)
        .count();
    let mut out = format!("## stampede compare, instructions per request: {base} → {head}\n\n");
    let _ = writeln!(
        out,
        "{}\n",
        if regressed == 0 {
            "**No regression** beyond the threshold.".to_owned()
        } else {
            format!("**{regressed} regression(s)** beyond the threshold.")
        }
    );
    out.push_str("| target | workload | base instr/request | head instr/request | change | spread base / head | threshold | verdict |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for r in comparisons.iter().map(Row::of) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.target, r.workload, r.base, r.head, r.change, r.spreads, r.threshold, r.verdict
        );
    }
    let _ = write!(
        out,
        "\nInstructions method: each side's server ran {repetitions} time(s) under Valgrind \
         (callgrind) with WORKERS=1, serving a fixed request script; the figure is the median of \
         user-space instructions per measured request, the spread the range over the runs. \
         Threshold: {threshold_pct}%, raised to {SPREAD_FACTOR} x the larger spread. {}\n",
        crate::icount::BLIND_SPOTS
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(figures: &[f64]) -> IcountRecord {
        crate::icount::record::fixture("actix", "plaintext", figures)
    }

    #[test]
    fn the_same_code_twice_is_unchanged() {
        let d = decide_instructions(
            &[17_061.0, 17_063.0, 17_062.0],
            &[17_062.0, 17_064.0, 17_061.0],
            DEFAULT_THRESHOLD_PCT,
        );
        assert_eq!(d.verdict, Verdict::Unchanged, "{d:?}");
        assert!(d.change_pct.abs() < 0.01, "{d:?}");
    }

    #[test]
    fn twenty_turns_of_busy_work_in_actix_plaintext_is_a_regression() {
        // Measured in the issue: 17,061-17,063 before, 17,177-17,183 after (+0.7%).
        let d = decide_instructions(
            &[17_061.0, 17_063.0, 17_062.0],
            &[17_177.0, 17_183.0, 17_180.0],
            DEFAULT_THRESHOLD_PCT,
        );
        assert_eq!(d.verdict, Verdict::Regressed, "{d:?}");
        assert!((d.change_pct - 0.692).abs() < 0.01, "{d:?}");
        assert_eq!(d.threshold_pct, DEFAULT_THRESHOLD_PCT);
    }

    #[test]
    fn less_work_is_an_improvement() {
        let d = decide_instructions(&[17_180.0, 17_182.0], &[17_061.0, 17_062.0], 0.5);
        assert_eq!(d.verdict, Verdict::Improved, "{d:?}");
    }

    #[test]
    fn a_noisy_runtime_raises_the_threshold_to_a_few_times_its_spread() {
        // Spread 0.4% on the head side: 1% more is within 4 x 0.4% = 1.6%.
        let base = [46_000.0, 46_010.0, 46_005.0];
        let head = [46_370.0, 46_554.0, 46_460.0];
        let d = decide_instructions(&base, &head, DEFAULT_THRESHOLD_PCT);
        assert!((d.threshold_pct - SPREAD_FACTOR * spread_pct(&head).unwrap()).abs() < 1e-9);
        assert_eq!(d.verdict, Verdict::Unchanged, "{d:?}");
    }

    #[test]
    fn a_change_beyond_the_raised_threshold_leaves_the_two_ranges_apart() {
        // Head spread 1%: the threshold becomes 4%, and 5% more is a regression whose runs all
        // lie above the base's.
        let base = [100.0, 100.0, 100.0];
        let head = [104.5, 105.0, 105.55];
        let d = decide_instructions(&base, &head, 0.5);
        assert!((d.threshold_pct - 4.0).abs() < 0.01, "{d:?}");
        assert_eq!(d.verdict, Verdict::Regressed, "{d:?}");
        let d = decide_instructions(&base, &[100.0, 103.0, 104.0], 0.5);
        assert_eq!(d.verdict, Verdict::Unchanged, "3% with a 4% spread: {d:?}");
    }

    #[test]
    fn missing_figures_are_inconclusive() {
        assert_eq!(
            decide_instructions(&[], &[1.0], 0.5).verdict,
            Verdict::Inconclusive
        );
        assert_eq!(
            decide_instructions(&[1.0], &[f64::NAN], 0.5).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn a_regression_reads_the_same_in_text_and_markdown() {
        let c = InstructionComparison::of(
            &record(&[17_061.0, 17_063.0, 17_062.0]),
            &record(&[17_177.0, 17_183.0, 17_180.0]),
            0.5,
        );
        let md = markdown(std::slice::from_ref(&c), "main", "working tree", 0.5, 3);
        assert!(md.contains("**1 regression(s)**"), "{md}");
        assert!(
            md.contains("| actix | plaintext | 17062 | 17180 | +0.69% | 0.01% / 0.03% | ±0.50% | regressed |"),
            "{md}"
        );
        assert!(
            md.contains("kernel work"),
            "the blind spots are stated: {md}"
        );
        let text = text(&[c]);
        assert!(
            text.contains("+0.69%") && text.contains("regressed"),
            "{text}"
        );
    }
}
