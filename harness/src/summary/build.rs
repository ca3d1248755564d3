//! Building a [`Summary`]: results grouped per machine and workload, targets and parameters in
//! report order, the sweep of each workload picked, and the claims evaluated per machine.

use std::collections::{BTreeMap, BTreeSet};

use super::claims::{self, ClaimSet};
use super::order::ReportOrder;
use super::{
    RunInfo, Section, SkippedTarget, Summary, Sweep, TargetInfo, TimeRange, WorkloadSummary,
    split_param,
};
use crate::evidence::ResultRecord;

/// Sort key of a parameter: prefix, then number, then text.
fn param_key(param: &str) -> (String, u64, String) {
    let (prefix, number) = split_param(param);
    (prefix.to_owned(), number.unwrap_or(0), param.to_owned())
}

impl Summary {
    /// Groups `records` per machine and workload in `order` and checks `claims` against each
    /// machine's results.
    pub fn build(
        records: Vec<ResultRecord>,
        skipped: Vec<SkippedTarget>,
        claims: &ClaimSet,
        order: &ReportOrder,
    ) -> Self {
        let targets = target_infos(&records, order);
        let mut known: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
        known.extend(skipped.iter().map(|s| s.target.clone()));
        let known = distinct(known.into_iter());
        let machines = distinct(records.iter().map(|r| r.machine.clone()));
        let sections = machines
            .iter()
            .enumerate()
            .map(|(index, machine)| {
                let (here, elsewhere): (Vec<&ResultRecord>, Vec<&ResultRecord>) =
                    records.iter().partition(|r| &r.machine == machine);
                let mut absent = skipped.clone();
                for r in elsewhere {
                    let measured_here = here.iter().any(|h| h.target == r.target);
                    if !measured_here && !absent.iter().any(|a| a.target == r.target) {
                        let other = machines.iter().position(|m| m == &r.machine).unwrap_or(0);
                        absent.push(SkippedTarget {
                            target: r.target.clone(),
                            reason: format!(
                                "measured on machine {} only; results of different machines \
                                 are not compared",
                                other + 1
                            ),
                        });
                    }
                }
                let here: Vec<ResultRecord> = here.into_iter().cloned().collect();
                Section {
                    machine: index,
                    claims: claims::evaluate(claims, &here, &absent),
                    workloads: workloads(here, &known, order),
                    absent,
                }
            })
            .collect();
        let times: BTreeSet<&str> = records.iter().map(|r| r.time.as_str()).collect();
        let time_range = times.first().zip(times.last()).map(|(a, b)| TimeRange {
            first: (*a).to_owned(),
            last: (*b).to_owned(),
        });
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
            targets,
            git_commits: distinct(records.iter().map(|r| r.git_commit.clone())),
            machines,
            sections,
            time_range,
            skipped,
            problems: Vec::new(),
            instructions: Vec::new(),
        }
    }

    /// Index of a target in report order (for its chart colour).
    pub fn target_index(&self, target: &str) -> usize {
        self.targets
            .iter()
            .position(|t| t.name == target)
            .unwrap_or(self.targets.len())
    }
}

#[cfg(test)]
impl Summary {
    /// The summary of `records` with no claims, in name order.
    pub(crate) fn of(records: Vec<ResultRecord>) -> Self {
        Self::build(
            records,
            Vec::new(),
            &ClaimSet::default(),
            &ReportOrder::default(),
        )
    }
}

impl Section {
    /// Why a target has no result in this section's workload.
    pub fn absent_reason(&self, target: &str) -> String {
        match self.absent.iter().find(|s| s.target == target) {
            Some(s) => format!("skipped: {}", s.reason),
            None => "skipped: no result (failed or filtered out)".into(),
        }
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

fn target_infos(records: &[ResultRecord], order: &ReportOrder) -> Vec<TargetInfo> {
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
    infos.sort_by_key(|t| order.target_key(&t.name));
    infos
}

fn workloads(
    records: Vec<ResultRecord>,
    known: &[String],
    order: &ReportOrder,
) -> Vec<WorkloadSummary> {
    let mut by_workload: BTreeMap<String, Vec<ResultRecord>> = BTreeMap::new();
    for record in records {
        by_workload
            .entry(record.workload.clone())
            .or_default()
            .push(record);
    }
    let mut workloads: Vec<WorkloadSummary> = by_workload
        .into_iter()
        .map(|(name, mut records)| {
            records.sort_by_key(|r| (param_key(&r.param), order.target_key(&r.target)));
            workload_summary(name, records, known, order)
        })
        .collect();
    workloads.sort_by_key(|w| order.workload_key(&w.name));
    workloads
}

fn workload_summary(
    name: String,
    records: Vec<ResultRecord>,
    known: &[String],
    order: &ReportOrder,
) -> WorkloadSummary {
    let mut targets: Vec<String> = distinct(records.iter().map(|r| r.target.clone()));
    targets.sort_by_key(|t| order.target_key(t));
    let mut params: Vec<String> = distinct(records.iter().map(|r| r.param.clone()));
    params.sort_by_key(|p| param_key(p));
    let mut missing: Vec<String> = known
        .iter()
        .filter(|t| !targets.contains(t))
        .cloned()
        .collect();
    missing.sort_by_key(|t| order.target_key(t));
    let sweep = pick_sweep(&params);
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
fn pick_sweep(params: &[String]) -> Option<Sweep> {
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
    Some(Sweep {
        axis,
        prefix: (*prefix).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;
    use crate::summary::assert_has;

    fn order() -> ReportOrder {
        ReportOrder {
            targets: vec!["nethttp".into(), "actix".into()],
            workloads: vec!["plaintext".into(), "json".into()],
        }
    }

    #[test]
    fn results_group_in_the_given_order_with_unknown_names_last_and_params_in_numeric_order() {
        let records = vec![
            record("zeta/actix/c1", 1.0, 1, 1),
            record("json/nethttp/c256", 1.0, 1, 1),
            record("json/actix/c64", 1.0, 1, 1),
            record("json/actix/c256", 1.0, 1, 1),
            record("json/zig/c64", 1.0, 1, 1),
            record("plaintext/actix/c64", 1.0, 1, 1),
        ];
        let summary = Summary::build(records, Vec::new(), &ClaimSet::default(), &order());
        let names: Vec<&str> = summary.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["nethttp", "actix", "zig"]);
        let workloads = &summary.sections[0].workloads;
        let names: Vec<_> = workloads.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["plaintext", "json", "zeta"]);
        let json = &workloads[1];
        assert_eq!(json.params, ["c64", "c256"]);
        let ids: Vec<_> = json.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "json/actix/c64",
                "json/zig/c64",
                "json/nethttp/c256",
                "json/actix/c256"
            ]
        );
        assert_eq!(workloads[0].missing, ["nethttp", "zig"]);
    }

    #[test]
    fn a_workload_with_two_connection_counts_gets_a_sweep_and_one_with_one_does_not() {
        let records = vec![
            record("json/actix/c64", 10.0, 1, 1),
            record("json/actix/c256", 20.0, 1, 1),
            record("hash/actix/r5000", 1.0, 1, 1),
        ];
        let summary = Summary::build(records, Vec::new(), &ClaimSet::default(), &order());
        let workloads = &summary.sections[0].workloads;
        let json = workloads.iter().find(|w| w.name == "json").unwrap();
        assert_eq!(json.sweep.as_ref().unwrap().axis, "connections");
        assert!(
            workloads
                .iter()
                .find(|w| w.name == "hash")
                .unwrap()
                .sweep
                .is_none()
        );
    }

    #[test]
    fn results_of_two_machines_form_two_sections_and_name_where_a_missing_target_ran() {
        let mut elsewhere = record("json/nethttp/c64", 10.0, 1, 1);
        elsewhere.machine.cores = 64;
        let records = vec![record("json/actix/c64", 10.0, 1, 1), elsewhere];
        let summary = Summary::build(records, Vec::new(), &ClaimSet::default(), &order());
        assert_eq!(summary.sections.len(), 2);
        let first = &summary.sections[0];
        assert_eq!(first.workloads[0].targets, ["actix"]);
        assert_eq!(first.workloads[0].missing, ["nethttp"]);
        assert!(
            first
                .absent_reason("nethttp")
                .contains("measured on machine 2 only")
        );
        let reason = summary.unranked_reason().unwrap();
        assert_has(&reason, "Not ranked across machines");
        assert_has(&reason, "64 cores");
    }
}
