//! Building a [`Summary`]: results grouped by workload, targets and parameters in report order,
//! the sweep for each line chart picked, and the claims evaluated.

use std::collections::{BTreeMap, BTreeSet};

use super::claims::{self, ClaimSet};
use super::{
    SkippedTarget, Summary, Sweep, SweepPoint, SweepSeries, TargetInfo, WorkloadSummary,
    split_param,
};
use crate::evidence::ResultRecord;
use crate::summary::RunInfo;

/// Known workload families in report order; others follow by name.
const WORKLOAD_ORDER: &[&str] = &[
    "plaintext",
    "plaintext-pipelined",
    "json",
    "json-doc",
    "order",
    "hash",
    "hash-offload",
    "sleep",
    "mixed",
];

/// Known targets in report order; others follow by language, then name.
const TARGET_ORDER: &[&str] = &["actix", "axum", "nethttp", "gin", "node", "node-cluster"];

fn language_rank(language: &str) -> usize {
    match language {
        "Rust" => 0,
        "Go" => 1,
        "JavaScript" | "TypeScript" => 2,
        _ => 3,
    }
}

/// Sort key of a parameter: prefix, then number, then text.
fn param_key(param: &str) -> (String, u64, String) {
    let (prefix, number) = split_param(param);
    (prefix.to_owned(), number.unwrap_or(0), param.to_owned())
}

impl Summary {
    /// Groups `records` by workload, sorts them and checks `claims` against them.
    pub fn build(
        records: Vec<ResultRecord>,
        skipped: Vec<SkippedTarget>,
        claims: &ClaimSet,
        problems: Vec<String>,
    ) -> Self {
        let targets = target_infos(&records);
        let rank: BTreeMap<&str, usize> = targets
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.as_str(), i))
            .collect();
        let mut known: BTreeSet<String> = targets.iter().map(|t| t.name.clone()).collect();
        known.extend(skipped.iter().map(|s| s.target.clone()));
        let mut by_workload: BTreeMap<String, Vec<ResultRecord>> = BTreeMap::new();
        for record in &records {
            by_workload
                .entry(record.workload.clone())
                .or_default()
                .push(record.clone());
        }
        let mut workloads: Vec<WorkloadSummary> = by_workload
            .into_iter()
            .map(|(name, mut records)| {
                records
                    .sort_by_key(|r| (param_key(&r.param), rank.get(r.target.as_str()).copied()));
                workload_summary(name, records, &known, &rank)
            })
            .collect();
        workloads.sort_by_key(|w| {
            let known = WORKLOAD_ORDER.iter().position(|n| *n == w.name);
            (known.unwrap_or(WORKLOAD_ORDER.len()), w.name.clone())
        });
        let machines = distinct(records.iter().map(|r| r.machine.clone()));
        let git_commits = distinct(records.iter().map(|r| r.git_commit.clone()));
        let times: BTreeSet<&str> = records.iter().map(|r| r.time.as_str()).collect();
        let time_range = times
            .first()
            .zip(times.last())
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()));
        let claims = claims::evaluate(claims, &records, &skipped);
        let mut runs: Vec<RunInfo> = Vec::new();
        for r in &records {
            match runs.iter_mut().find(|run| run.run_id == r.run_id) {
                Some(run) => run.results += 1,
                None => runs.push(RunInfo {
                    run_id: r.run_id.clone(),
                    mode: r.mode,
                    results: 1,
                }),
            }
        }
        runs.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        Self {
            runs,
            left_out: 0,
            workloads,
            targets,
            machines,
            git_commits,
            time_range,
            skipped,
            claims,
            problems,
        }
    }

    /// The skip reason of a target, if it was skipped.
    pub fn skip_reason(&self, target: &str) -> Option<&str> {
        self.skipped
            .iter()
            .find(|s| s.target == target)
            .map(|s| s.reason.as_str())
    }

    /// Index of a target in report order (for its chart colour).
    pub fn target_index(&self, target: &str) -> usize {
        self.targets
            .iter()
            .position(|t| t.name == target)
            .unwrap_or(self.targets.len())
    }
}

/// Items in first-seen order without repeats.
pub(crate) fn distinct<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn target_infos(records: &[ResultRecord]) -> Vec<TargetInfo> {
    let mut infos: Vec<TargetInfo> = Vec::new();
    for record in records {
        match infos.iter_mut().find(|t| t.name == record.target) {
            Some(info) if !info.toolchains.contains(&record.toolchain) => {
                info.toolchains.push(record.toolchain.clone());
            }
            Some(_) => {}
            None => infos.push(TargetInfo {
                name: record.target.clone(),
                language: record.language.clone(),
                framework: record.framework.clone(),
                toolchains: vec![record.toolchain.clone()],
            }),
        }
    }
    infos.sort_by_key(|t| {
        let known = TARGET_ORDER.iter().position(|n| *n == t.name);
        (
            known.unwrap_or(TARGET_ORDER.len()),
            language_rank(&t.language),
            t.name.clone(),
        )
    });
    infos
}

fn workload_summary(
    name: String,
    records: Vec<ResultRecord>,
    known: &BTreeSet<String>,
    rank: &BTreeMap<&str, usize>,
) -> WorkloadSummary {
    let mut targets: Vec<String> = distinct(records.iter().map(|r| r.target.clone()));
    targets.sort_by_key(|t| rank.get(t.as_str()).copied());
    let mut params: Vec<String> = distinct(records.iter().map(|r| r.param.clone()));
    params.sort_by_key(|p| param_key(p));
    let mut missing: Vec<String> = known
        .iter()
        .filter(|t| !targets.contains(t))
        .cloned()
        .collect();
    missing.sort_by_key(|t| {
        (
            rank.get(t.as_str()).copied().unwrap_or(usize::MAX),
            t.clone(),
        )
    });
    let sweep = pick_sweep(&records, &params, &targets);
    WorkloadSummary {
        name,
        targets,
        params,
        records,
        missing,
        sweep,
    }
}

/// The parameter prefix with the most distinct numbers (two at least); `c` wins ties.
fn pick_sweep(records: &[ResultRecord], params: &[String], targets: &[String]) -> Option<Sweep> {
    let mut numbers: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
    for param in params {
        if let (prefix, Some(n)) = split_param(param) {
            numbers.entry(prefix).or_default().insert(n);
        }
    }
    let (prefix, _) = numbers
        .iter()
        .filter(|(_, ns)| ns.len() >= 2)
        .max_by_key(|(prefix, ns)| (ns.len(), prefix.ends_with('c'), std::cmp::Reverse(*prefix)))?;
    let axis = match prefix.chars().last() {
        Some('c') => "connections".to_owned(),
        Some('r') => "hash rounds".to_owned(),
        _ => format!("{prefix}N"),
    };
    let series = targets
        .iter()
        .filter_map(|target| {
            let mut points: Vec<SweepPoint> = records
                .iter()
                .filter(|r| &r.target == target)
                .filter_map(|r| match split_param(&r.param) {
                    (p, Some(x)) if p == *prefix => Some(SweepPoint {
                        x,
                        requests_per_sec: r.requests_per_sec,
                        flagged: r.client_bound || r.invalid,
                    }),
                    _ => None,
                })
                .collect();
            points.sort_by_key(|p| p.x);
            (!points.is_empty()).then(|| SweepSeries {
                target: target.clone(),
                points,
            })
        })
        .collect();
    Some(Sweep {
        prefix: (*prefix).to_owned(),
        axis,
        series,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;

    #[test]
    fn results_group_by_workload_with_known_families_first_and_params_in_numeric_order() {
        let records = vec![
            record("zeta/actix/c1", 1.0, 1, 1),
            record("json/nethttp/c256", 1.0, 1, 1),
            record("json/actix/c64", 1.0, 1, 1),
            record("json/actix/c256", 1.0, 1, 1),
            record("plaintext/actix/c64", 1.0, 1, 1),
        ];
        let summary = Summary::build(records, Vec::new(), &ClaimSet::default(), Vec::new());
        let names: Vec<_> = summary.workloads.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["plaintext", "json", "zeta"]);
        let json = &summary.workloads[1];
        assert_eq!(json.params, ["c64", "c256"]);
        let ids: Vec<_> = json.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["json/actix/c64", "json/actix/c256", "json/nethttp/c256"]
        );
        assert_eq!(summary.workloads[0].missing, ["nethttp"]);
    }

    #[test]
    fn a_workload_with_two_connection_counts_gets_a_sweep_and_one_with_one_does_not() {
        let records = vec![
            record("json/actix/c64", 10.0, 1, 1),
            record("json/actix/c256", 20.0, 1, 1),
            record("hash/actix/r5000", 1.0, 1, 1),
        ];
        let summary = Summary::build(records, Vec::new(), &ClaimSet::default(), Vec::new());
        let sweep = summary.workloads[0].sweep.as_ref().unwrap();
        assert_eq!(sweep.axis, "connections");
        let xs: Vec<u64> = sweep.series[0].points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [64, 256]);
        assert!(summary.workloads[1].sweep.is_none());
    }
}
