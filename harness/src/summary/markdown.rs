//! `report.md`: the summary's tables in Markdown, for a PR comment or a README.
//! Deterministic: everything comes from the results, nothing from the clock.

use std::fmt::Write as _;

use super::format::{bytes, latency, md_cell, rate, thousands};
use super::{Summary, WorkloadSummary};
use crate::evidence::{ResultRecord, RunMode};

/// What the flags mean, shared with the HTML page.
pub const FLAGS_LEGEND: &str = "INVALID: errors above 0.1% of attempts or a wrong answer, not a \
valid measurement; client-bound: the load client's CPU was at least 90% busy, so it may have \
limited the run; not server-bound: the server's CPU was less than 90% busy, so something else \
limited it; low-occupancy: a closed loop kept fewer than 90% of its connections busy (Little's \
law); client-late: an open loop's client missed its send schedule (p99 lag over 1 ms or over 1% \
late); skipped: the target has no result here.";

/// Columns of a workload table.
pub const COLUMNS: [&str; 21] = [
    "target",
    "param",
    "req/s",
    "mean",
    "p50",
    "p90",
    "p99",
    "p99.9",
    "max",
    "open-loop p99",
    "errors",
    "occupancy",
    "server CPU busy",
    "client CPU busy",
    "CPU µs/req",
    "peak PSS",
    "server CPUs",
    "client CPUs",
    "workers",
    "offload threads",
    "flags",
];

/// Renders `report.md`.
pub fn render(summary: &Summary) -> String {
    let mut out = String::from("# stampede summary\n\n");
    let _ = writeln!(out, "{}\n", provenance(summary));
    let _ = writeln!(out, "Flags — {FLAGS_LEGEND}\n");
    out.push_str("## Targets and versions\n\n");
    out.push_str("| target | language | framework | toolchain |\n|---|---|---|---|\n");
    for t in &summary.targets {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            md_cell(&t.name),
            md_cell(&t.language),
            md_cell(&t.framework),
            md_cell(&t.toolchains.join("; "))
        );
    }
    for s in &summary.skipped {
        let _ = writeln!(
            out,
            "| {} | — | — | skipped: {} |",
            md_cell(&s.target),
            md_cell(&s.reason)
        );
    }
    claims(&mut out, summary);
    for workload in &summary.workloads {
        workload_table(&mut out, summary, workload);
    }
    if !summary.problems.is_empty() {
        out.push_str("\n## Unreadable result files\n\n");
        for p in &summary.problems {
            let _ = writeln!(out, "- {}", md_cell(p));
        }
    }
    out
}

/// One line naming the commits, the time span and the machines.
pub fn provenance(summary: &Summary) -> String {
    let count: usize = summary.workloads.iter().map(|w| w.records.len()).sum();
    let commits: Vec<String> = summary
        .git_commits
        .iter()
        .map(|c| format!("`{c}`"))
        .collect();
    let span = match &summary.time_range {
        Some((a, b)) if a == b => format!(" at {a}"),
        Some((a, b)) => format!(" from {a} to {b}"),
        None => String::new(),
    };
    let machines: Vec<String> = summary
        .machines
        .iter()
        .map(|m| format!("{}, {} cores, Linux {}", m.cpu_model, m.cores, m.kernel))
        .collect();
    let mixed = if summary.machines.len() > 1 {
        " — results from different machines: compare with care"
    } else {
        ""
    };
    let runs: Vec<String> = summary
        .runs
        .iter()
        .map(|r| format!("`{}` ({})", r.run_id, r.mode.as_str()))
        .collect();
    let runs = match runs.len() {
        0 => String::new(),
        1 => format!(" Run {}.", runs[0]),
        n => format!(
            " Results of {n} runs, mixed on request (--all-runs): {}.",
            runs.join(", ")
        ),
    };
    let quick = if summary.runs.iter().any(|r| r.mode == RunMode::Quick) {
        " Quick mode: for smoke runs, not for publishing."
    } else {
        ""
    };
    let left_out = if summary.left_out > 0 {
        format!(
            " {} results of earlier runs left out (`stampede report --all-runs` shows them).",
            summary.left_out
        )
    } else {
        String::new()
    };
    format!(
        "{count} results{span}; commit {}. Machine: {}{mixed}.{runs}{quick}{left_out}",
        commits.join(", "),
        machines.join("; ")
    )
}

fn claims(out: &mut String, summary: &Summary) {
    if summary.claims.is_empty() {
        return;
    }
    out.push_str("\n## Claims check\n\n");
    let tolerance = summary.claims.first().map_or(0.0, |c| c.tolerance * 100.0);
    let _ = writeln!(
        out,
        "Published claims re-measured as ratios on this machine (the posts used other \
         hardware, so only ratios compare). A claimed figure holds within ±{tolerance:.0}%.\n"
    );
    out.push_str("| claim | compared | claimed | measured | verdict | why | setup |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for c in &summary.claims {
        let measured = if c.measured.is_empty() {
            c.measured_text()
        } else {
            format!("{} ({})", c.measured_text(), c.measured)
        };
        let _ = writeln!(
            out,
            "| {}. {} | {} | {} | {} | **{}** | {} | {} |",
            md_cell(&c.id),
            md_cell(&c.claim),
            md_cell(&c.compared),
            c.claimed_text(),
            md_cell(&measured),
            c.verdict.as_str(),
            md_cell(&c.why),
            md_cell(&c.setup)
        );
    }
}

/// The cells of one result's row, shared with the HTML table.
pub fn cells(r: &ResultRecord) -> Vec<String> {
    let l = &r.latency_us;
    let attempts = r.requests + r.errors;
    let errors = if r.errors == 0 {
        "0".to_owned()
    } else {
        let share = r.errors as f64 / attempts.max(1) as f64 * 100.0;
        format!("{} ({share:.2}%)", thousands(r.errors))
    };
    vec![
        r.target.clone(),
        r.param.clone(),
        rate(r.requests_per_sec),
        latency(l.mean),
        latency(l.p50 as f64),
        latency(l.p90 as f64),
        latency(l.p99 as f64),
        latency(l.p999 as f64),
        latency(l.max as f64),
        open_loop_p99(r),
        errors,
        r.occupancy
            .map_or_else(|| "—".into(), |o| format!("{o:.2}")),
        format!("{:.2}", r.server.cpu_busy),
        format!("{:.2}", r.client.cpu_busy),
        r.server
            .cpu_us_per_request
            .map_or_else(|| "—".into(), |us| format!("{us:.1}")),
        bytes(r.server.peak_pss_bytes as f64),
        r.setup.server_cpus.clone(),
        r.setup.client_cpus.clone(),
        r.setup
            .workers
            .map_or_else(|| "n/a".into(), |w| w.to_string()),
        r.setup.offload_threads.to_string(),
        flag_text(r),
    ]
}

/// The open-loop p99 of the run at the common rate, with its interval: the tail worth quoting.
fn open_loop_p99(r: &ResultRecord) -> String {
    let Some(run) = r
        .open_loop
        .iter()
        .find(|run| run.label == "common rate")
        .or_else(|| r.open_loop.first())
    else {
        return "—".into();
    };
    let p99 = run
        .percentiles
        .iter()
        .find(|p| (p.quantile - 0.99).abs() < 1e-9);
    match p99.and_then(|p| p.us.zip(p.low_us).zip(p.high_us)) {
        Some(((us, low), high)) => format!(
            "{} [{}–{}] @ {}/s",
            latency(us as f64),
            latency(low as f64),
            latency(high as f64),
            rate(run.rate_per_sec)
        ),
        None => format!("n/a @ {}/s", rate(run.rate_per_sec)),
    }
}

/// The flags cell: each flag with the figure behind it.
pub fn flag_text(r: &ResultRecord) -> String {
    let mut flags = Vec::new();
    if r.invalid {
        let attempts = (r.requests + r.errors).max(1);
        flags.push(format!(
            "INVALID (errors {:.2}%{})",
            r.errors as f64 / attempts as f64 * 100.0,
            if r.wrong_answer_example.is_some() {
                ", wrong answers"
            } else {
                ""
            }
        ));
    }
    if r.client_bound {
        flags.push(format!(
            "client-bound (client CPU {:.2})",
            r.client.cpu_busy
        ));
    } else if !r.server_bound {
        flags.push(format!(
            "not server-bound (server CPU {:.2})",
            r.server.cpu_busy
        ));
    }
    if r.low_occupancy {
        flags.push(format!(
            "low-occupancy ({:.2})",
            r.occupancy.unwrap_or_default()
        ));
    }
    if r.client_late {
        let worst = r
            .open_loop
            .iter()
            .map(|run| run.send_lag.p99_us)
            .max()
            .unwrap_or_default();
        flags.push(format!(
            "client-late (send lag p99 {})",
            latency(worst as f64)
        ));
    }
    flags.join(", ")
}

/// The flags cell of a target without results in a workload.
pub fn missing_text(summary: &Summary, target: &str) -> String {
    match summary.skip_reason(target) {
        Some(reason) => format!("skipped: {reason}"),
        None => "skipped: no result (failed or filtered out)".into(),
    }
}

fn workload_table(out: &mut String, summary: &Summary, workload: &WorkloadSummary) {
    let _ = writeln!(out, "\n## {}\n", md_cell(&super::workload_title(workload)));
    let _ = writeln!(out, "| {} |", COLUMNS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(COLUMNS.len()));
    for r in &workload.records {
        let row: Vec<String> = cells(r).iter().map(|c| md_cell(c)).collect();
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    for target in &workload.missing {
        let mut row = vec![md_cell(target)];
        row.extend(std::iter::repeat_n("—".to_owned(), COLUMNS.len() - 2));
        row.push(md_cell(&missing_text(summary, target)));
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    let versions: Vec<String> = workload
        .targets
        .iter()
        .filter_map(|t| summary.targets.iter().find(|i| &i.name == t))
        .map(|t| format!("{} {}", t.name, t.toolchains.join("; ")))
        .collect();
    let _ = writeln!(out, "\nVersions: {}.", md_cell(&versions.join(", ")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;
    use crate::summary::claims::ClaimSet;
    use crate::summary::{SkippedTarget, Summary};

    #[test]
    fn every_result_row_names_its_cpu_sets_workers_and_flags() {
        let mut slow = record("json/nethttp/c64", 100.0, 50, 10);
        slow.server_bound = false;
        slow.server.cpu_busy = 0.5;
        let records = vec![record("json/actix/c64", 1000.0, 50, 10), slow];
        let skipped = vec![SkippedTarget {
            target: "node".into(),
            reason: "node not found on PATH".into(),
        }];
        let md = render(&Summary::build(
            records,
            skipped,
            &ClaimSet::default(),
            Vec::new(),
        ));
        assert!(
            md.contains("| actix | c64 | 1,000 | 100 µs | 50 µs |"),
            "{md}"
        );
        assert!(md.contains("not server-bound (server CPU 0.50)"), "{md}");
        assert!(md.contains("| node | — |") && md.contains("skipped: node not found on PATH"));
        assert!(md.contains("| 0 | 1 | 1 | 1 |"), "{md}");
    }

    #[test]
    fn pipes_in_text_do_not_break_the_table() {
        let mut r = record("json/actix/c64", 1.0, 1, 1);
        r.toolchain = "a|b".into();
        let md = render(&Summary::build(
            vec![r],
            Vec::new(),
            &ClaimSet::default(),
            Vec::new(),
        ));
        assert!(md.contains("a\\|b"));
    }
}
