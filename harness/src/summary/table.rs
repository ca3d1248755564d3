//! The words and cells both renderings share: the provenance line, the flags legend, and the
//! evidence table of a workload (one row per result, one per absent target).

use itertools::Itertools;

use super::format::{bytes, latency, rate, thousands};
use super::{Section, Summary, WorkloadSummary};
use crate::evidence::{
    LowOccupancyCause, ResultRecord, RunMode, enough_samples_beyond, quantile_name,
};
use crate::icount::IcountRecord;

pub(super) const FLAGS_LEGEND: &str = "INVALID: errors above 0.1% of attempts, a wrong answer, or (a \
database workload) fewer statements or rows per request than the workload requires, not a \
valid measurement; db-bound: PostgreSQL, not the server, saturated the CPUs (on CPUs it shares \
with the server: the two kept them 90% busy and PostgreSQL used more), so the throughput is the \
database's; client-bound: the load client's CPU was at least 90% busy, so it may have \
limited the run; not server-bound: the server's CPU was less than 90% busy, so something else \
limited it; low-occupancy: a closed loop kept fewer than 90% of its connections busy (Little's \
law), with its cause: starved connections (the server answered some connections far less than \
others or never: Jain's index below 0.9 or a connection without an answer, fewest and most \
answers given), not steady (the warm-up never settled, so start-up requests were still pending) \
or idle connections (steady and fair, so \
connections sat without a request: the client's delay, or a pipelined batch draining); \
not-steady: the warm-up reached its limit before every connection had an answer and two \
windows' rates agreed within 10%; few-requests: fewer than 1,000 requests, so percentiles \
without 10 samples beyond them are n/a; client-late: an open loop's client missed its send schedule (p99 lag over 1 ms or over 1% \
late); memory-grows, latency-drifts, stalls: a soak run's timeline saw the server's memory \
grow, its p99 rise from the first third to the last, or intervals with nothing completed; \
skipped: the target has no result here.";

pub(super) type Cell = fn(&ResultRecord, &[IcountRecord]) -> String;

/// The evidence table of a workload, one column a line: its name, whether it holds figures
/// (right-aligned), and its cell of a result. What decides whether a row can be trusted (its
/// checks, CPUs and workers) stands next to the target's name, and the table fits a 1,280 px
/// page; every other figure is in [`DETAIL_COLUMNS`].
pub(super) const COLUMNS: [(&str, bool, Cell); 12] = [
    ("target", false, |r, _| r.target.clone()),
    ("checks", false, |r, _| checks(r)),
    ("CPUs server / client", false, |r, _| {
        format!("{} / {}", r.setup.server_cpus, r.setup.client_cpus)
    }),
    ("workers", true, |r, _| workers(r)),
    ("param", false, |r, _| r.param.clone()),
    ("req/s", true, |r, _| rate(r.figures.requests_per_sec)),
    ("p50", true, |r, _| {
        percentile(r, 0.5, r.figures.latency_us.p50)
    }),
    ("p99", true, |r, _| {
        percentile(r, 0.99, r.figures.latency_us.p99)
    }),
    ("open-loop p99", true, |r, _| open_loop_p99(r, false)),
    ("errors", true, |r, _| errors(r)),
    ("CPU µs/req", true, |r, _| {
        or_dash(
            r.figures
                .server
                .cpu_us_per_request
                .map(|us| format!("{us:.1}")),
        )
    }),
    ("peak PSS", true, |r, _| {
        bytes(r.figures.server.peak_pss_bytes as f64)
    }),
];

/// The rest of a result's figures, and its flags with the figures behind them, in a second
/// table folded under the first.
pub(super) const DETAIL_COLUMNS: [(&str, bool, Cell); 13] = [
    ("target", false, |r, _| r.target.clone()),
    ("param", false, |r, _| r.param.clone()),
    ("mean", true, |r, _| latency(r.figures.latency_us.mean)),
    ("p90", true, |r, _| {
        percentile(r, 0.9, r.figures.latency_us.p90)
    }),
    ("p99.9", true, |r, _| {
        percentile(r, 0.999, r.figures.latency_us.p999)
    }),
    ("max", true, |r, _| latency(r.figures.latency_us.max as f64)),
    ("open-loop p99, 95% interval", true, |r, _| {
        open_loop_p99(r, true)
    }),
    ("occupancy", true, |r, _| {
        or_dash(r.figures.occupancy.map(two))
    }),
    ("server CPU busy", true, |r, _| {
        two(r.figures.server.cpu_busy)
    }),
    ("client CPU busy", true, |r, _| {
        two(r.figures.client.cpu_busy)
    }),
    ("user-space instr/req", true, super::instructions::cell),
    ("offload threads", true, |r, _| {
        r.setup.offload_threads.to_string()
    }),
    ("flags", false, |r, _| flag_text(r)),
];

/// The checks cell: the flags as short words, `ok` when none is set.
fn checks(r: &ResultRecord) -> String {
    let words = r.flags.words();
    match words.is_empty() {
        true => "ok".into(),
        false => words.join(", "),
    }
}

/// A closed-loop percentile, `n/a` when fewer than 10 of the record's requests lie beyond it:
/// it would be little more than the slowest few answers.
fn percentile(r: &ResultRecord, q: f64, us: u64) -> String {
    if enough_samples_beyond(r.figures.requests, q) {
        latency(us as f64)
    } else {
        "n/a".into()
    }
}

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
    /// The cells of [`DETAIL_COLUMNS`].
    pub(super) details: Vec<String>,
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
        details: DETAIL_COLUMNS
            .iter()
            .map(|c| c.2(r, &summary.instructions))
            .collect(),
        flagged: !r.flags.words().is_empty(),
        invalid: r.flags.invalid,
        absent: false,
        not_served: false,
        id: Some(r.id.to_string()),
    });
    let absent = workload.missing.iter().map(|target| {
        let reason = section.absent_reason_in(&workload.name, target);
        let not_served = reason == super::served::NOT_SERVED;
        let mut cells = vec![target.clone(), reason.clone()];
        cells.extend(std::iter::repeat_n("—".to_owned(), COLUMNS.len() - 2));
        let mut details = vec![target.clone()];
        details.extend(std::iter::repeat_n(
            "—".to_owned(),
            DETAIL_COLUMNS.len() - 2,
        ));
        details.push(reason);
        Row {
            cells,
            details,
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
    r.errors as f64 / (r.figures.requests + r.errors).max(1) as f64 * 100.0
}

fn errors(r: &ResultRecord) -> String {
    match r.errors {
        0 => "0".to_owned(),
        n => format!("{} ({:.2}%)", thousands(n), error_pct(r)),
    }
}

/// The open-loop p99 of the run at the common rate, with its interval: the tail worth quoting.
fn open_loop_p99(r: &ResultRecord, interval: bool) -> String {
    let common = r
        .figures
        .open_loop
        .iter()
        .find(|run| run.label == "common rate");
    let Some(run) = common.or_else(|| r.figures.open_loop.first()) else {
        return "—".into();
    };
    let p99 = run
        .percentiles
        .iter()
        .find(|p| quantile_name(p.quantile) == "99");
    match interval {
        true => {
            let p99 = p99.map_or_else(|| "n/a".into(), with_interval);
            format!("{p99} @ {}/s", rate(run.rate_per_sec))
        }
        false => p99
            .and_then(|p| p.us)
            .map_or_else(|| "n/a".into(), |us| latency(us as f64)),
    }
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

/// `low-occupancy (0.45: starved connections, Jain 0.62, answers 3..400)`.
fn low_occupancy(r: &ResultRecord, occupancy: f64) -> String {
    let cause = match (r.flags.low_occupancy_cause, &r.figures.fairness) {
        (Some(LowOccupancyCause::StarvedConnections), Some(f)) => format!(
            ": starved connections, Jain {:.2}, answers {}..{}",
            f.jain_index, f.min, f.max
        ),
        (Some(cause), _) => format!(": {}", cause.as_str()),
        (None, _) => String::new(),
    };
    format!("low-occupancy ({occupancy:.2}{cause})")
}

/// `not-steady (warm-up 8,000 ms, 700 of 1,024 connections answered)`.
fn not_steady(r: &ResultRecord) -> String {
    r.figures.warm_up.map_or_else(
        || "not-steady".into(),
        |w| {
            format!(
                "not-steady (warm-up {} ms, {} of {} connections answered)",
                thousands(w.duration_ms),
                thousands(w.answered_connections as u64),
                thousands(w.connections as u64)
            )
        },
    )
}

/// `, database: <why>` for a record below its workload's database requirement.
fn short(r: &ResultRecord) -> String {
    r.figures
        .database
        .as_ref()
        .and_then(|d| d.shortfall.as_ref())
        .map(|why| format!(", database: {why}"))
        .unwrap_or_default()
}

/// The flags cell: each flag with the figure behind it.
pub(super) fn flag_text(r: &ResultRecord) -> String {
    let wrong = match r.figures.wrong_answer_example {
        Some(_) => ", wrong answers",
        None => "",
    };
    let bound = match (r.flags.client_bound, r.flags.server_bound) {
        (true, _) => Some(format!(
            "client-bound (client CPU {:.2})",
            r.figures.client.cpu_busy
        )),
        (false, false) if r.flags.db_bound => Some(format!(
            "db-bound (PostgreSQL CPU {:.2}, server CPU {:.2})",
            r.figures.database.as_ref().map_or(0.0, |d| d.cpu_busy),
            r.figures.server.cpu_busy
        )),
        (false, false) => Some(format!(
            "not server-bound (server CPU {:.2})",
            r.figures.server.cpu_busy
        )),
        (false, true) => None,
    };
    let occupancy = r.figures.occupancy.unwrap_or_default();
    let lag = r
        .figures
        .open_loop
        .iter()
        .map(|run| run.send_lag.p99_us)
        .max();
    let lag = latency(lag.unwrap_or_default() as f64);
    let flags = [
        r.flags
            .invalid
            .then(|| format!("INVALID (errors {:.2}%{wrong}{})", error_pct(r), short(r))),
        bound,
        r.flags.low_occupancy.then(|| low_occupancy(r, occupancy)),
        r.flags.not_steady.then(|| not_steady(r)),
        r.flags
            .few_requests
            .then(|| format!("few-requests ({})", thousands(r.figures.requests))),
        r.flags
            .client_late
            .then(|| format!("client-late (send lag p99 {lag})")),
    ];
    flags.into_iter().flatten().join(", ")
}
