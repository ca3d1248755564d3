//! The verdict table, as text for the terminal and as Markdown for a PR comment.

use std::fmt::Write as _;

use super::decide::Verdict;
use super::duet::Comparison;

/// Marker that lets CI find and update its own PR comment.
pub const COMMENT_MARKER: &str = "<!-- stampede-compare -->";

/// One comparison's cells, formatted once for both renderings.
struct Row {
    target: String,
    workload: String,
    base_rps: String,
    head_rps: String,
    change: String,
    interval: String,
    cpu_change: String,
    verdict: String,
}

impl Row {
    fn of(c: &Comparison) -> Self {
        let d = &c.throughput;
        let interval = if d.ci_low.is_finite() {
            format!(
                "{:+.1}% .. {:+.1}%",
                (d.ci_low - 1.0) * 100.0,
                (d.ci_high - 1.0) * 100.0
            )
        } else {
            "n/a".into()
        };
        let verdict = match &c.note {
            Some(note) => format!("{} ({note})", c.verdict.as_str()),
            None => c.verdict.as_str().to_owned(),
        };
        Self {
            target: c.target.clone(),
            workload: c.workload.clone(),
            base_rps: format!("{:.0}", c.base_rps()),
            head_rps: format!("{:.0}", c.head_rps()),
            change: format!("{:+.1}%", d.change_pct),
            interval,
            cpu_change: format!("{:+.1}%", c.cpu_per_request.change_pct),
            verdict,
        }
    }
}

/// One line per comparison, for the terminal.
pub fn render_text(comparisons: &[Comparison]) -> String {
    let mut out = format!(
        "{:<14} {:<14} {:>12} {:>12} {:>8} {:>20} {:>9}  verdict\n",
        "target", "workload", "base req/s", "head req/s", "change", "95% interval", "cpu/req"
    );
    for r in comparisons.iter().map(Row::of) {
        let _ = writeln!(
            out,
            "{:<14} {:<14} {:>12} {:>12} {:>8} {:>20} {:>9}  {}",
            r.target,
            r.workload,
            r.base_rps,
            r.head_rps,
            r.change,
            r.interval,
            r.cpu_change,
            r.verdict
        );
    }
    out
}

/// A Markdown report with the threshold and method, fit for a PR comment.
pub fn render_markdown(
    comparisons: &[Comparison],
    base: &str,
    head: &str,
    threshold_pct: f64,
) -> String {
    let regressed = comparisons
        .iter()
        .filter(|c| c.verdict == Verdict::Regressed)
        .count();
    let mut out = format!("{COMMENT_MARKER}\n## stampede compare: {base} → {head}\n\n");
    let _ = writeln!(
        out,
        "{}\n",
        if regressed == 0 {
            "**No regression** beyond the threshold.".to_owned()
        } else {
            format!("**{regressed} regression(s)** beyond the threshold.")
        }
    );
    out.push_str("| target | workload | base req/s | head req/s | change | 95% interval | CPU/request | verdict |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for r in comparisons.iter().map(Row::of) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.target,
            r.workload,
            r.base_rps,
            r.head_rps,
            r.change,
            r.interval,
            r.cpu_change,
            r.verdict
        );
    }
    let rounds = comparisons.first().map_or(0, |c| c.rounds.len());
    let _ = write!(
        out,
        "\nDuet method: base and head ran at the same time on the same server CPUs, {rounds} rounds each, \
         servers restarted every round in alternating order. Change = median of per-round head/base ratios; \
         the interval is a distribution-free 95% interval of that median. Threshold: {threshold_pct}%.\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::decide::{Better, decide};
    use crate::compare::duet::RoundFigures;

    fn comparison(head_rps: f64) -> Comparison {
        let rounds: Vec<RoundFigures> = (0..10)
            .map(|i| RoundFigures {
                base_rps: 1000.0 + f64::from(i),
                head_rps: head_rps + f64::from(i),
                base_cpu_us: 10.0,
                head_cpu_us: 10.0 * 1000.0 / head_rps,
                errors: 0,
                error_ratio: 0.0,
            })
            .collect();
        let throughput = decide(
            &rounds
                .iter()
                .map(|r| r.head_rps / r.base_rps)
                .collect::<Vec<_>>(),
            0.05,
            Better::Higher,
        );
        let cpu = decide(
            &rounds
                .iter()
                .map(|r| r.head_cpu_us / r.base_cpu_us)
                .collect::<Vec<_>>(),
            0.05,
            Better::Lower,
        );
        Comparison {
            target: "actix".into(),
            workload: "plaintext".into(),
            rounds,
            verdict: super::super::duet::combine(throughput.verdict, cpu.verdict),
            throughput,
            cpu_per_request: cpu,
            note: None,
            elapsed_s: 40.0,
        }
    }

    #[test]
    fn a_regression_is_counted_and_shown_the_same_in_text_and_markdown() {
        let cs = [comparison(900.0)];
        let md = render_markdown(&cs, "main", "working tree", 5.0);
        assert!(md.starts_with(COMMENT_MARKER), "{md}");
        assert!(md.contains("**1 regression(s)**"), "{md}");
        assert!(
            md.contains("| actix | plaintext | 1004 | 904 | -10.0% |"),
            "{md}"
        );
        let text = render_text(&cs);
        assert!(
            text.contains("regressed") && text.contains("-10.0%"),
            "{text}"
        );
    }

    #[test]
    fn no_regression_says_so() {
        let md = render_markdown(&[comparison(1000.0)], "main", "head", 5.0);
        assert!(
            md.contains("**No regression**") && md.contains("unchanged"),
            "{md}"
        );
    }
}
