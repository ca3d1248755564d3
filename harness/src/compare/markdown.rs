//! The verdict table, as text for the terminal and as Markdown for a PR comment.

use std::fmt::Write as _;

use super::decide::Decision;
use super::run::{CompareOutput, Comparison, RunVerdict};
use super::screen::{CLIENT_BOUND_FROM, DiscardCounts, UNEQUAL_CPU_ABOVE};

/// Marker that lets CI find and update its own PR comment.
pub const COMMENT_MARKER: &str = "<!-- stampede-compare -->";

/// One comparison's cells, formatted once for both renderings.
struct Row {
    target: String,
    workload: String,
    metric: &'static str,
    base: String,
    head: String,
    change: String,
    interval: String,
    detectable: String,
    rounds: String,
    verdict: String,
}

impl Row {
    fn cells(&self) -> [&str; 10] {
        [
            &self.target,
            &self.workload,
            self.metric,
            &self.base,
            &self.head,
            &self.change,
            &self.interval,
            &self.detectable,
            &self.rounds,
            &self.verdict,
        ]
    }
}

fn pct(ratio: f64) -> String {
    format!("{:+.1}%", (ratio - 1.0) * 100.0)
}

/// "-1.9% .. +1.2% (99.6%)", or "n/a" when the rounds were too few for the level.
fn interval(d: &Decision) -> String {
    if d.interval.high.is_finite() && d.interval.low > 0.0 {
        format!(
            "{} .. {} ({:.1}%)",
            pct(d.interval.low),
            pct(d.interval.high),
            d.interval.coverage * 100.0
        )
    } else {
        "n/a (too few rounds)".into()
    }
}

fn detectable(d: &Decision) -> String {
    if d.detectable_pct.is_finite() {
        format!("±{:.1}%", d.detectable_pct)
    } else {
        "n/a".into()
    }
}

fn rows(c: &Comparison) -> [Row; 2] {
    let d = &c.outcome.decisions;
    let row =
        |metric, base: String, head: String, decision: &Decision, note: &Option<String>| Row {
            target: c.target.clone(),
            workload: c.workload.clone(),
            metric,
            base,
            head,
            change: if decision.change_pct.is_finite() {
                format!("{:+.1}%", decision.change_pct)
            } else {
                "n/a".into()
            },
            interval: interval(decision),
            detectable: detectable(decision),
            rounds: format!("{}/{}", decision.rounds, c.outcome.rounds.len()),
            verdict: match note {
                Some(note) => format!("{} ({note})", decision.verdict.as_str()),
                None => decision.verdict.as_str().to_owned(),
            },
        };
    let figure = |value: f64, decimals: usize| {
        if value.is_finite() {
            format!("{value:.decimals$}")
        } else {
            "n/a".into()
        }
    };
    let mut throughput = row(
        "req/s",
        figure(c.base_rps(), 0),
        figure(c.head_rps(), 0),
        &d.throughput,
        &c.outcome.throughput_note,
    );
    if let Some(paced) = &c.paced {
        throughput.change = "n/a".into();
        throughput.interval = "n/a".into();
        throughput.detectable = "n/a".into();
        throughput.verdict = format!("not compared: {}; CPU µs/req decides", paced.describe());
    }
    [
        throughput,
        row(
            "CPU µs/req",
            figure(c.base_cpu_us(), 2),
            figure(c.head_cpu_us(), 2),
            &d.cpu_per_request,
            &c.outcome.cpu_note,
        ),
    ]
}

/// One line per comparison, for the terminal.
pub(crate) fn text(report: &CompareOutput) -> String {
    let line = |[t, w, m, b, h, c, i, d, n, v]: [&str; 10]| {
        format!("{t:<12} {w:<10} {m:<10} {b:>10} {h:>10} {c:>7} {i:>28} {d:>9} {n:>6}  {v}\n")
    };
    let mut out = line([
        "target",
        "workload",
        "metric",
        "base",
        "head",
        "change",
        "interval (coverage)",
        "detect",
        "rounds",
        "verdict",
    ]);
    for r in report.comparisons.iter().flat_map(rows) {
        out.push_str(&line(r.cells()));
    }
    let _ = writeln!(out, "{}", verdict_line(report));
    if let Some(line) = null_control_line(report) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "{}", rounds_line(report));
    let _ = writeln!(out, "{}", report.counters.line);
    out
}

/// The headline: what the run says, over how large a family, after how many looks.
fn verdict_line(report: &CompareOutput) -> String {
    let regressed = report
        .comparisons
        .iter()
        .filter(|c| c.outcome.verdict == super::Verdict::Regressed)
        .count();
    let head = match report.verdict {
        RunVerdict::Regressed => format!("**{regressed} regression(s)** beyond the threshold"),
        RunVerdict::NoRegression => "**No regression**: every comparison was decided".to_owned(),
        RunVerdict::Inconclusive => "**Inconclusive**".to_owned(),
    };
    let reason = report
        .reason
        .as_deref()
        .map_or(String::new(), |r| format!(" — {r}"));
    let blind = blind_sentence(report).unwrap_or_default();
    format!(
        "{head}{reason}.{blind} Family of {} comparisons (targets × workloads × req/s and CPU per request; CPU alone where paced), family-wise false-alarm rate ≤ {:.0}% (Holm, α split over {} planned looks; {} taken). Threshold ±{}%. Exit status {}.",
        report.family_size,
        report.sequential.alpha * 100.0,
        report.sequential.schedule.looks(),
        report.looks_used,
        report.threshold_pct,
        report.exit_status
    )
}

/// Names the comparisons the duet could not see, and what would let it, or `None`. Said in
/// the verdict line: a quiet "inconclusive" (or a "no regression" decided on CPU alone) would
/// hide that the gate, not the code, was the limit.
fn blind_sentence(report: &CompareOutput) -> Option<String> {
    let blind: Vec<String> = report
        .comparisons
        .iter()
        .filter(|c| c.outcome.discards.blind())
        .map(|c| {
            let d = &c.outcome.discards;
            format!(
                "{} {} ({} of {} rounds client-bound)",
                c.target, c.workload, d.client_bound, d.attempted
            )
        })
        .collect();
    (!blind.is_empty()).then(|| {
        format!(
            " **The duet was blind** on {}: the load clients (CPUs {}), not the servers, set the pace, so a change there could not show. To see one: let the clients set the rate and CPU per request decide (`--pace auto`, the default, or a `--pace RATE`), gate these with `--metric instructions` (no load client), or run on a machine with twice the CPUs (the clients get half).",
            blind.join(", "),
            report.client_cpus
        )
    })
}

/// The null control in one line, or `None` when it did not run.
fn null_control_line(report: &CompareOutput) -> Option<String> {
    let mut parts = Vec::new();
    let mut floor: f64 = 0.0;
    for c in &report.comparisons {
        let Some(n) = &c.outcome.null_control else {
            continue;
        };
        // Where the clients or `--pace` set the rate, req/s is not compared: neither is its noise.
        let metrics = [("req/s", &n.throughput), ("CPU", &n.cpu_per_request)];
        let measured = if c.paced.is_some() {
            &metrics[1..]
        } else {
            &metrics[..]
        };
        for &(metric, d) in measured {
            parts.push(format!(
                "{} {} {metric} {} [{}]",
                c.target,
                c.workload,
                if d.change_pct.is_finite() {
                    format!("{:+.1}%", d.change_pct)
                } else {
                    "n/a".into()
                },
                interval(d)
            ));
            if d.interval.high.is_finite() && d.interval.low > 0.0 {
                floor = floor
                    .max((1.0 - d.interval.low) * 100.0)
                    .max((d.interval.high - 1.0) * 100.0);
            } else {
                floor = f64::INFINITY;
            }
        }
    }
    if parts.is_empty() {
        return None;
    }
    let floor = if floor.is_finite() {
        format!("±{floor:.1}%")
    } else {
        "unknown (too few rounds)".into()
    };
    Some(format!(
        "Null control (base against a second base server in the same rounds): day's noise floor {floor}; {}.",
        parts.join("; ")
    ))
}

/// Rounds run and left out, and how busy the clients and servers were.
fn rounds_line(report: &CompareOutput) -> String {
    let mut all = DiscardCounts::default();
    let (mut client_max, mut servers): (f64, Vec<f64>) = (0.0, Vec::new());
    for c in &report.comparisons {
        all.absorb(&c.outcome.discards);
        for r in &c.outcome.rounds {
            client_max = client_max.max(r.figures.client_cpu_busy);
            servers.push(r.figures.sides().map(|s| s.cpu_busy).sum());
        }
    }
    let servers_busy = super::decide::median(&servers).unwrap_or(f64::NAN);
    format!(
        "Rounds: {} run; left out of req/s {} ({}), of CPU/request {} (from {:.0}% client CPU busy a round is client-bound; server CPU shares more than {:.0}% apart are unequal). Clients at most {:.0}% busy; servers together {:.0}% busy (median). Rounds took {:.0} s; stopped: {}.",
        all.attempted,
        all.throughput_discarded(),
        all.reasons(true),
        all.cpu_discarded(),
        CLIENT_BOUND_FROM * 100.0,
        UNEQUAL_CPU_ABOVE * 100.0,
        client_max * 100.0,
        servers_busy * 100.0,
        report.rounds_elapsed_s,
        match report.stop {
            super::sequential::RoundsEnd::AllDecided => "every comparison decided",
            super::sequential::RoundsEnd::MaxRounds => "planned rounds spent",
            super::sequential::RoundsEnd::TimeCap => "time cap",
        }
    )
}

/// A Markdown report fit for a PR comment.
pub(crate) fn markdown(report: &CompareOutput) -> String {
    let commit = &report.base_commit[..12.min(report.base_commit.len())];
    let mut out = format!(
        "{COMMENT_MARKER}\n## stampede compare: {} ({commit}) → {}\n\n{}\n\n",
        report.base,
        report.head,
        verdict_line(report)
    );
    out.push_str("| target | workload | metric | base | head | change | interval (coverage) | detectable | rounds used/run | verdict |\n");
    out.push_str("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for r in report.comparisons.iter().flat_map(rows) {
        let _ = writeln!(out, "| {} |", r.cells().join(" | "));
    }
    out.push('\n');
    if let Some(line) = null_control_line(report) {
        let _ = writeln!(out, "{line}\n");
    }
    let _ = writeln!(out, "{}\n", rounds_line(report));
    for skip in &report.skipped {
        let _ = writeln!(out, "Skipped: {skip}\n");
    }
    let _ = writeln!(out, "{}\n", report.counters.line);
    let s = &report.sequential.schedule;
    let _ = writeln!(
        out,
        "<details><summary>Method</summary>\n\n\
         Duet: base and head ran at the same time on the same server CPUs ({}), each loaded by \
         {} connections from clients sharing CPUs {}, {:.0} s per round, servers restarted every \
         round in ABBA order. Change = median of per-round head/base ratios; the interval is the \
         order-statistic interval of that median with its exact binomial coverage, at the level \
         Holm's step assigns within the look's share of α. Verdict: regressed or improved when \
         the whole interval lies beyond ±{}%, unchanged when it lies within, inconclusive when it \
         straddles. Detectable = threshold + the interval's half-width: the smallest change this \
         run could have flagged. Rounds: {} first, then {} more per look for undecided \
         comparisons, up to {} (or --max-time {:.0} s).\n\n</details>",
        report.server_cpus,
        report.connections,
        report.client_cpus,
        report.round_duration_s,
        report.threshold_pct,
        s.initial_rounds,
        s.step_rounds,
        s.max_rounds,
        report.sequential.max_time.as_secs_f64()
    );
    if let Some(footer) = super::coverage::footer(report) {
        out.push_str(&footer);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::decide::Verdict;
    use crate::compare::pace::Paced;
    use crate::compare::test_reports::{report, report_paced, report_with_client};

    #[test]
    fn a_quiet_run_shows_change_interval_detectable_family_and_null_control() {
        let r = report(0.0, 0.0);
        assert_eq!(r.verdict, RunVerdict::NoRegression, "{:?}", r.reason);
        let md = markdown(&r);
        assert!(md.starts_with(COMMENT_MARKER), "{md}");
        assert!(md.contains("**No regression**"), "{md}");
        assert!(md.contains("Family of 4 comparisons"), "{md}");
        assert!(md.contains("Exit status 0"), "{md}");
        assert!(md.contains("| actix | plaintext | req/s |"), "{md}");
        assert!(md.contains("| actix | json | CPU µs/req |"), "{md}");
        assert!(
            md.contains("Null control") && md.contains("noise floor ±"),
            "{md}"
        );
        assert_eq!(
            md.lines().filter(|l| l.starts_with("Null control")).count(),
            1
        );
        assert!(
            md.contains("Hardware instruction counters: unavailable"),
            "{md}"
        );
        // Every row has an interval with its coverage and a detectable change.
        for line in md.lines().filter(|l| l.starts_with("| actix")) {
            assert!(line.contains("% (") && line.contains("| ±"), "{line}");
        }
        assert!(
            md.contains("<summary>Gate coverage on this runner</summary>"),
            "{md}"
        );
        let text = text(&r);
        assert!(
            text.contains("unchanged") && text.contains("Family of 4"),
            "{text}"
        );
    }

    #[test]
    fn a_duet_whose_clients_set_the_pace_says_it_was_blind_and_names_the_fix() {
        let r = report_with_client(0.15, 0.0, CLIENT_BOUND_FROM);
        assert_ne!(r.verdict, RunVerdict::Regressed, "{:?}", r.reason);
        let md = markdown(&r);
        let verdict = md
            .lines()
            .find(|l| l.contains("Family of"))
            .unwrap_or_default();
        assert!(
            verdict.contains("**The duet was blind** on actix plaintext ("),
            "{verdict}"
        );
        assert!(verdict.contains("rounds client-bound"), "{verdict}");
        assert!(verdict.contains("--metric instructions"), "{verdict}");
        // A run whose clients had room says nothing of the kind.
        assert!(!markdown(&report(0.15, 0.0)).contains("blind"));
    }

    #[test]
    fn where_busy_clients_set_the_rate_cpu_per_request_alone_decides_and_says_so() {
        let paced = Paced::ByClients {
            calibration_rps: 80_000.0,
            calibration_client_busy: 0.94,
        };
        let r = report_paced(0.15, 0.0, 0.96, Some(paced));
        assert_eq!(r.verdict, RunVerdict::Regressed, "{:?}", r.reason);
        let md = markdown(&r);
        assert!(!md.contains("blind"), "{md}");
        let req = md
            .lines()
            .find(|l| l.contains("plaintext") && l.contains("req/s"))
            .unwrap_or_default();
        assert!(
            req.contains("not compared: the load clients set the rate (calibration round: 94% busy at 80000 req/s); CPU µs/req decides"),
            "{req}"
        );
        // The null control's noise floor rests on what was compared: CPU per request.
        let null = md
            .lines()
            .find(|l| l.starts_with("Null control"))
            .unwrap_or_default();
        assert!(
            !null.contains("req/s") && !null.contains("unknown"),
            "{null}"
        );
        // The A/A case of the same: decided, not inconclusive.
        let quiet = report_paced(0.0, 0.0, 0.96, Some(paced));
        assert_eq!(
            quiet.verdict,
            RunVerdict::NoRegression,
            "{:?}",
            quiet.reason
        );
    }

    #[test]
    fn a_regression_fails_the_run_and_is_counted() {
        let r = report(0.15, 0.0);
        assert_eq!(r.verdict, RunVerdict::Regressed);
        assert_eq!(r.exit_status, 1);
        let md = markdown(&r);
        assert!(
            md.contains("**2 regression(s)**") && md.contains("Exit status 1"),
            "{md}"
        );
        assert!(md.contains("regressed"), "{md}");
    }

    #[test]
    fn a_null_control_that_moves_makes_the_run_inconclusive_not_a_failure() {
        let r = report(0.15, 0.15);
        assert_eq!(r.verdict, RunVerdict::Inconclusive);
        assert_eq!(r.exit_status, 0);
        let md = markdown(&r);
        assert!(
            md.contains("**Inconclusive**") && md.contains("null control"),
            "{md}"
        );
        assert!(
            r.comparisons
                .iter()
                .all(|c| c.outcome.verdict == Verdict::Regressed)
        );
    }
}
