//! The gate's coverage, the PR comment's footer: per target × workload, the smallest change of
//! each metric this run could have flagged, so a reader sees what the duet can and cannot see
//! on this runner, and what covers the rest.
//!
//! With `--null-control` (on in CI) the figures are the null control's: base against a second
//! base server in the same rounds, an A/A run on this very runner, free of any real change.
//! Without it they are the comparison's own, which a real change can widen.

use std::fmt::Write as _;

use super::decide::Decision;
use super::run::{CompareOutput, Comparison};

/// The footer, or `None` without comparisons.
pub(crate) fn footer(report: &CompareOutput) -> Option<String> {
    if report.comparisons.is_empty() {
        return None;
    }
    let from_null = report
        .comparisons
        .iter()
        .all(|c| c.outcome.null_control.is_some());
    let mut out = String::from("<details><summary>Gate coverage on this runner</summary>\n\n");
    let _ = writeln!(
        out,
        "The smallest change each metric could have flagged here (the ±{}% threshold plus its \
         interval's half-width), {}. A smaller change passes unseen. Where a cell has no figure \
         the duet cannot gate that metric on this runner: `stampede compare --metric \
         instructions` counts the server's instructions per request under Valgrind, with no \
         load client and no noise, and covers it.\n",
        report.threshold_pct,
        if from_null {
            "from the null control: base against a second base server in the same rounds, an \
             A/A run on this runner"
        } else {
            "from this run's own comparisons, which a real change can widen (`--null-control` \
             measures it A/A)"
        }
    );
    out.push_str("| target | workload | req/s | CPU µs/req |\n| --- | --- | --- | --- |\n");
    for c in &report.comparisons {
        let (req, cpu) = cells(c, from_null);
        let _ = writeln!(out, "| {} | {} | {req} | {cpu} |", c.target, c.workload);
    }
    out.push_str("\n</details>\n");
    Some(out)
}

/// The req/s and CPU-per-request cells of one comparison.
fn cells(c: &Comparison, from_null: bool) -> (String, String) {
    let o = &c.outcome;
    let source = match (&o.null_control, from_null) {
        (Some(null), true) => null,
        _ => &o.decisions,
    };
    let req = if c.paced.is_some() {
        "not compared (the load clients or `--pace` set the rate)".to_owned()
    } else {
        cell(
            &source.throughput,
            o.decisions.throughput.verdict.is_decided(),
            o.throughput_note.as_deref(),
        )
    };
    let cpu = cell(
        &source.cpu_per_request,
        o.decisions.cpu_per_request.verdict.is_decided(),
        o.cpu_note.as_deref(),
    );
    (req, cpu)
}

/// "±7.3% (12 rounds)", with ", undecided" when the gate's own decision stayed open, or
/// "none: <why>" when the metric's rounds could not be trusted.
fn cell(d: &Decision, decided: bool, note: Option<&str>) -> String {
    if let Some(note) = note {
        return format!("none: {note}");
    }
    if !d.detectable_pct.is_finite() {
        return format!("none: too few rounds ({})", d.rounds);
    }
    format!(
        "±{:.1}% ({} rounds){}",
        d.detectable_pct,
        d.rounds,
        if decided { "" } else { ", undecided" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::pace::Paced;
    use crate::compare::screen::CLIENT_BOUND_FROM;
    use crate::compare::test_reports::{
        report, report_paced, report_with_client, report_without_null_control,
    };

    fn row<'a>(footer: &'a str, workload: &str) -> &'a str {
        footer
            .lines()
            .find(|l| l.starts_with(&format!("| actix | {workload} |")))
            .unwrap_or_default()
    }

    #[test]
    fn with_the_null_control_the_coverage_is_its_a_a_figure_not_the_changed_heads() {
        let r = report(0.15, 0.0);
        let footer = footer(&r).unwrap_or_default();
        assert!(footer.contains("from the null control"), "{footer}");
        let c = &r.comparisons[0];
        let null = c.outcome.null_control.as_ref().map(|n| n.cpu_per_request);
        let expected = null.map(|d| format!("| ±{:.1}% ({} rounds) |", d.detectable_pct, d.rounds));
        let line = row(&footer, "plaintext");
        assert!(
            expected
                .as_ref()
                .is_some_and(|e| line.ends_with(e.as_str())),
            "{line} vs {expected:?}"
        );
        assert!(footer.contains("--metric instructions"), "{footer}");
    }

    #[test]
    fn without_the_null_control_the_coverage_says_it_comes_from_the_comparisons_themselves() {
        let footer = footer(&report_without_null_control(0.0)).unwrap_or_default();
        assert!(
            footer.contains("from this run's own comparisons"),
            "{footer}"
        );
        assert!(row(&footer, "json").contains("% ("), "{footer}");
    }

    #[test]
    fn where_the_clients_set_the_rate_req_per_s_is_not_compared_and_cpu_still_has_a_figure() {
        let paced = Paced::ByClients {
            calibration_rps: 80_000.0,
            calibration_client_busy: 0.94,
        };
        let footer = footer(&report_paced(0.0, 0.0, 0.96, Some(paced))).unwrap_or_default();
        let line = row(&footer, "plaintext");
        assert!(line.contains("| not compared ("), "{line}");
        assert!(line.ends_with("rounds) |"), "{line}");
    }

    #[test]
    fn a_metric_whose_rounds_were_discarded_has_no_figure_and_says_why() {
        let footer = footer(&report_with_client(0.0, 0.0, CLIENT_BOUND_FROM)).unwrap_or_default();
        let line = row(&footer, "plaintext");
        assert!(
            line.contains("| none: ") && line.contains("client-bound"),
            "{line}"
        );
    }
}
