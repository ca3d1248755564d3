//! The words and cells both renderings share: the provenance line, the flags legend, and the
//! evidence table of a workload (one row per result, one per absent target).

use itertools::Itertools;

use super::format::{bytes, latency, rate, thousands};
use super::{Section, Summary, WorkloadSummary};
use crate::evidence::{ResultRecord, RunMode, quantile_name};
use crate::icount::IcountRecord;

pub(super) const FLAGS_LEGEND: &str = "INVALID: errors above 0.1% of attempts or a wrong answer, not a \
valid measurement; client-bound: the load client's CPU was at least 90% busy, so it may have \
limited the run; not server-bound: the server's CPU was less than 90% busy, so something else \
limited it; low-occupancy: a closed loop kept fewer than 90% of its connections busy (Little's \
law); client-late: an open loop's client missed its send schedule (p99 lag over 1 ms or over 1% \
late); skipped: the target has no result here.";

pub(super) type Cell = fn(&ResultRecord, &[IcountRecord]) -> String;

/// The evidence table of a workload, one column a line: its name, whether it holds figures
/// (right-aligned), and its cell of a result.
pub(super) const COLUMNS: [(&str, bool, Cell); 22] = [
    ("target", false, |r, _| r.target.clone()),
    ("param", false, |r, _| r.param.clone()),
    ("req/s", true, |r, _| rate(r.requests_per_sec)),
    ("mean", true, |r, _| latency(r.latency_us.mean)),
    ("p50", true, |r, _| latency(r.latency_us.p50 as f64)),
    ("p90", true, |r, _| latency(r.latency_us.p90 as f64)),
    ("p99", true, |r, _| latency(r.latency_us.p99 as f64)),
    ("p99.9", true, |r, _| latency(r.latency_us.p999 as f64)),
    ("max", true, |r, _| latency(r.latency_us.max as f64)),
    ("open-loop p99", true, |r, _| open_loop_p99(r)),
    ("errors", true, |r, _| errors(r)),
    ("occupancy", true, |r, _| or_dash(r.occupancy.map(two))),
    ("server CPU busy", true, |r, _| two(r.server.cpu_busy)),
    ("client CPU busy", true, |r, _| two(r.client.cpu_busy)),
    ("CPU µs/req", true, |r, _| {
        or_dash(r.server.cpu_us_per_request.map(|us| format!("{us:.1}")))
    }),
    ("user-space instr/req", true, super::instructions::cell),
    ("peak PSS", true, |r, _| {
        bytes(r.server.peak_pss_bytes as f64)
    }),
    ("server CPUs", false, |r, _| r.setup.server_cpus.clone()),
    ("client CPUs", false, |r, _| r.setup.client_cpus.clone()),
    ("workers", true, |r, _| workers(r)),
    ("offload threads", true, |r, _| {
        r.setup.offload_threads.to_string()
    }),
    ("flags", false, |r, _| flag_text(r)),
];

/// Worker threads or processes, `n/a` for a target without the setting.
pub(crate) fn workers(r: &ResultRecord) -> String {
    let workers = r.setup.workers;
    workers.map_or_else(|| "n/a".into(), |w| w.to_string())
}

/// A share with two decimals: `0.97`.
fn two(share: f64) -> String {
    format!("{share:.2}")
}

pub(super) fn or_dash(cell: Option<String>) -> String {
    cell.unwrap_or_else(|| "—".into())
}

/// One row of an evidence table: a result (with its id, for links) or an absent target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Row {
    pub(super) cells: Vec<String>,
    pub(super) flagged: bool,
    pub(super) invalid: bool,
    pub(super) absent: bool,
    /// An absent target whose catalog entry does not list this workload.
    pub(super) not_served: bool,
    pub(super) id: Option<String>,
}

/// The rows of a workload: its results, then its absent targets.
pub(super) fn rows(summary: &Summary, section: &Section, workload: &WorkloadSummary) -> Vec<Row> {
    let results = workload.records.iter().map(|r| Row {
        cells: COLUMNS
            .iter()
            .map(|c| c.2(r, &summary.instructions))
            .collect(),
        flagged: !r.flags().words().is_empty(),
        invalid: r.invalid,
        absent: false,
        not_served: false,
        id: Some(r.id.clone()),
    });
    let absent = workload.missing.iter().map(|target| {
        let mut cells = vec![target.clone()];
        cells.extend(std::iter::repeat_n("—".to_owned(), COLUMNS.len() - 2));
        let reason = section.absent_reason_in(&workload.name, target);
        let not_served = reason == super::served::NOT_SERVED;
        cells.push(reason);
        Row {
            cells,
            flagged: false,
            invalid: false,
            absent: true,
            not_served,
            id: None,
        }
    });
    results.chain(absent).collect()
}

/// One line naming the results, commits, time span, machines and runs.
pub(super) fn provenance(summary: &Summary) -> String {
    let workloads = summary.sections.iter().flat_map(|s| &s.workloads);
    let count: usize = workloads.map(|w| w.records.len()).sum();
    let span = match &summary.time_range {
        Some(t) if t.first == t.last => format!(" at {}", t.first),
        Some(t) => format!(" from {} to {}", t.first, t.last),
        None => String::new(),
    };
    let runs = summary.runs.iter();
    let quick = runs.clone().any(|r| r.mode == RunMode::Quick);
    let runs = runs.map(|r| format!("{} ({})", r.run_id, r.mode.as_str()));
    let runs = match summary.runs.len() {
        0 => String::new(),
        1 => format!(" Run {}.", runs.format("")),
        n => format!(" Results of {n} runs: {}.", runs.format(", ")),
    };
    let quick = match quick {
        true => " Quick mode: for smoke runs, not for publishing.",
        false => "",
    };
    let left_out = match summary.left_out {
        0 => String::new(),
        n => format!(
            " {n} results of earlier runs left out (`stampede report --all-runs` shows them)."
        ),
    };
    let machines = summary.machines.iter().map(super::machine_text);
    let several = match summary.machines.len() {
        0 | 1 => "",
        _ => "s",
    };
    format!(
        "{count} results{span}; commit {}. Machine{several}: {}.{runs}{quick}{left_out}",
        summary.git_commits.join(", "),
        machines.format("; ")
    )
}

/// Errors as a share of attempts, in percent.
fn error_pct(r: &ResultRecord) -> f64 {
    r.errors as f64 / (r.requests + r.errors).max(1) as f64 * 100.0
}

fn errors(r: &ResultRecord) -> String {
    match r.errors {
        0 => "0".to_owned(),
        n => format!("{} ({:.2}%)", thousands(n), error_pct(r)),
    }
}

/// The open-loop p99 of the run at the common rate, with its interval: the tail worth quoting.
fn open_loop_p99(r: &ResultRecord) -> String {
    let common = r.open_loop.iter().find(|run| run.label == "common rate");
    let Some(run) = common.or_else(|| r.open_loop.first()) else {
        return "—".into();
    };
    let p99 = run
        .percentiles
        .iter()
        .find(|p| quantile_name(p.quantile) == "99");
    let p99 = p99.map_or_else(|| "n/a".into(), with_interval);
    format!("{p99} @ {}/s", rate(run.rate_per_sec))
}

/// A percentile with its 95% interval, `1.20 ms [1.10–1.30 ms]`, or `n/a`.
pub(super) fn with_interval(p: &crate::load::latency::Percentile) -> String {
    match (p.us, p.low_us, p.high_us) {
        (Some(us), Some(low), Some(high)) => {
            let [us, low, high] = [us, low, high].map(|us| latency(us as f64));
            format!("{us} [{low}–{high}]")
        }
        _ => "n/a".into(),
    }
}

/// The flags cell: each flag with the figure behind it.
pub(super) fn flag_text(r: &ResultRecord) -> String {
    let wrong = match r.wrong_answer_example {
        Some(_) => ", wrong answers",
        None => "",
    };
    let bound = match (r.client_bound, r.server_bound) {
        (true, _) => Some(format!(
            "client-bound (client CPU {:.2})",
            r.client.cpu_busy
        )),
        (false, false) => Some(format!(
            "not server-bound (server CPU {:.2})",
            r.server.cpu_busy
        )),
        (false, true) => None,
    };
    let occupancy = r.occupancy.unwrap_or_default();
    let lag = r.open_loop.iter().map(|run| run.send_lag.p99_us).max();
    let lag = latency(lag.unwrap_or_default() as f64);
    let flags = [
        r.invalid
            .then(|| format!("INVALID (errors {:.2}%{wrong})", error_pct(r))),
        bound,
        r.low_occupancy
            .then(|| format!("low-occupancy ({occupancy:.2})")),
        r.client_late
            .then(|| format!("client-late (send lag p99 {lag})")),
    ];
    flags.into_iter().flatten().join(", ")
}
