//! The words and cells both renderings share: the provenance line, the flags legend, and the
//! evidence table of a workload (one row per result, one per absent target).

use super::format::{bytes, latency, rate, thousands};
use super::{Section, Summary, WorkloadSummary};
use crate::evidence::{ResultRecord, RunMode, quantile_name};
use crate::icount::IcountRecord;

/// What the flags mean.
pub(super) const FLAGS_LEGEND: &str = "INVALID: errors above 0.1% of attempts or a wrong answer, not a \
valid measurement; client-bound: the load client's CPU was at least 90% busy, so it may have \
limited the run; not server-bound: the server's CPU was less than 90% busy, so something else \
limited it; low-occupancy: a closed loop kept fewer than 90% of its connections busy (Little's \
law); client-late: an open loop's client missed its send schedule (p99 lag over 1 ms or over 1% \
late); skipped: the target has no result here.";

/// Columns of a workload's evidence table, and whether each holds figures (right-aligned).
pub(super) const COLUMNS: [(&str, bool); 22] = [
    ("target", false),
    ("param", false),
    ("req/s", true),
    ("mean", true),
    ("p50", true),
    ("p90", true),
    ("p99", true),
    ("p99.9", true),
    ("max", true),
    ("open-loop p99", true),
    ("errors", true),
    ("occupancy", true),
    ("server CPU busy", true),
    ("client CPU busy", true),
    ("CPU µs/req", true),
    ("user-space instr/req", true),
    ("peak PSS", true),
    ("server CPUs", false),
    ("client CPUs", false),
    ("workers", true),
    ("offload threads", true),
    ("flags", false),
];

/// One row of an evidence table: a result (with its id, for links) or an absent target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Row {
    pub(super) cells: Vec<String>,
    pub(super) flagged: bool,
    pub(super) invalid: bool,
    pub(super) absent: bool,
    pub(super) id: Option<String>,
}

/// The rows of a workload: its results, then its absent targets.
pub(super) fn rows(summary: &Summary, section: &Section, workload: &WorkloadSummary) -> Vec<Row> {
    let results = workload.records.iter().map(|r| Row {
        cells: cells(r, &summary.instructions),
        flagged: !r.flags().words().is_empty(),
        invalid: r.invalid,
        absent: false,
        id: Some(r.id.clone()),
    });
    let absent = workload.missing.iter().map(|target| {
        let mut cells = vec![target.clone()];
        cells.extend(std::iter::repeat_n("—".to_owned(), COLUMNS.len() - 2));
        cells.push(section.absent_reason(target));
        Row {
            cells,
            flagged: false,
            invalid: false,
            absent: true,
            id: None,
        }
    });
    results.chain(absent).collect()
}

/// One line naming the results, commits, time span, machines and runs.
pub(super) fn provenance(summary: &Summary) -> String {
    let count: usize = summary
        .sections
        .iter()
        .flat_map(|s| &s.workloads)
        .map(|w| w.records.len())
        .sum();
    let span = match &summary.time_range {
        Some(t) if t.first == t.last => format!(" at {}", t.first),
        Some(t) => format!(" from {} to {}", t.first, t.last),
        None => String::new(),
    };
    let machines: Vec<String> = summary.machines.iter().map(super::machine_text).collect();
    let runs: Vec<String> = summary
        .runs
        .iter()
        .map(|r| format!("{} ({})", r.run_id, r.mode.as_str()))
        .collect();
    let runs = match runs.len() {
        0 => String::new(),
        1 => format!(" Run {}.", runs[0]),
        n => format!(" Results of {n} runs: {}.", runs.join(", ")),
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
        "{count} results{span}; commit {}. {}: {}.{runs}{quick}{left_out}",
        summary.git_commits.join(", "),
        if machines.len() > 1 {
            "Machines"
        } else {
            "Machine"
        },
        machines.join("; ")
    )
}

/// The cells of one result's row.
pub(super) fn cells(r: &ResultRecord, counts: &[IcountRecord]) -> Vec<String> {
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
        super::instructions::cell(r, counts),
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
        .find(|p| quantile_name(p.quantile) == "99");
    match p99 {
        Some(p) => format!("{} @ {}/s", with_interval(p), rate(run.rate_per_sec)),
        None => format!("n/a @ {}/s", rate(run.rate_per_sec)),
    }
}

/// A percentile with its 95% interval, `1.20 ms [1.10–1.30 ms]`, or `n/a`.
pub(super) fn with_interval(p: &crate::load::latency::Percentile) -> String {
    match (p.us, p.low_us, p.high_us) {
        (Some(us), Some(low), Some(high)) => format!(
            "{} [{}–{}]",
            latency(us as f64),
            latency(low as f64),
            latency(high as f64)
        ),
        _ => "n/a".into(),
    }
}

/// The flags cell: each flag with the figure behind it.
pub(super) fn flag_text(r: &ResultRecord) -> String {
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
