//! The verdict table, as text for the terminal and as Markdown for a PR comment.

use std::fmt::Write as _;

use super::decide::Verdict;
use super::duet::Comparison;

/// Marker that lets CI find and update its own PR comment.
pub const COMMENT_MARKER: &str = "<!-- stampede-compare -->";

fn interval(c: &Comparison) -> String {
    let d = &c.throughput;
    if d.ci_low.is_finite() {
        format!(
            "{:+.1}% .. {:+.1}%",
            (d.ci_low - 1.0) * 100.0,
            (d.ci_high - 1.0) * 100.0
        )
    } else {
        "n/a".into()
    }
}

fn verdict_text(c: &Comparison) -> String {
    match &c.note {
        Some(note) => format!("{} ({note})", c.verdict.as_str()),
        None => c.verdict.as_str().to_owned(),
    }
}

/// One line per comparison, for the terminal.
pub fn render_text(comparisons: &[Comparison]) -> String {
    let mut out = format!(
        "{:<14} {:<14} {:>12} {:>12} {:>8} {:>20} {:>9}  verdict\n",
        "target", "workload", "base req/s", "head req/s", "change", "95% interval", "cpu/req"
    );
    for c in comparisons {
        let _ = writeln!(
            out,
            "{:<14} {:<14} {:>12.0} {:>12.0} {:>+7.1}% {:>20} {:>+8.1}%  {}",
            c.target,
            c.workload,
            c.base_rps(),
            c.head_rps(),
            c.throughput.change_pct,
            interval(c),
            c.cpu_per_request.change_pct,
            verdict_text(c)
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
    for c in comparisons {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.0} | {:+.1}% | {} | {:+.1}% | {} |",
            c.target,
            c.workload,
            c.base_rps(),
            c.head_rps(),
            c.throughput.change_pct,
            interval(c),
            c.cpu_per_request.change_pct,
            verdict_text(c)
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
