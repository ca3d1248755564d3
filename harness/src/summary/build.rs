//! Building a [`Summary`]: results grouped per machine and workload, targets and parameters in
//! report order, the sweep of each workload picked, and the claims evaluated per machine.

use std::collections::{BTreeMap, BTreeSet};

use itertools::Itertools;

use super::claims::{self, ClaimSet};
use super::order::ReportOrder;
use super::served::{self, NotServed};
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
        Self::build_serving(records, skipped, Vec::new(), claims, order)
    }

    /// [`Summary::build`], knowing which workloads partial targets do not serve: their cells
    /// say "not served", and claims that need them are not comparable with that reason.
    pub fn build_serving(
        records: Vec<ResultRecord>,
        skipped: Vec<SkippedTarget>,
        not_served: Vec<NotServed>,
        claims: &ClaimSet,
        order: &ReportOrder,
    ) -> Self {
        let targets = target_infos(&records, order);
        let names = targets.iter().map(|t| &t.name);
        let skipped_names = skipped.iter().map(|s| &s.target);
        let known: Vec<String> = names.chain(skipped_names).unique().cloned().collect();
        let machines: Vec<_> = records.iter().map(|r| r.machine.clone()).unique().collect();
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
                    claims: claims::evaluate(claims, &here, &absent, &not_served),
                    workloads: workloads(here, &known, order),
                    absent,
                    not_served: not_served.clone(),
                }
            })
            .collect();
        let times = records.iter().map(|r| &r.time).minmax().into_option();
        let mut runs: BTreeMap<&str, RunInfo> = BTreeMap::new();
        for r in &records {
            let run = RunInfo {
                run_id: r.run_id.clone(),
                mode: r.mode,
                results: 0,
            };
            runs.entry(&r.run_id).or_insert(run).results += 1;
        }
        Self {
            runs: runs.into_values().collect(),
            left_out: 0,
            targets,
            git_commits: records
                .iter()
                .map(|r| r.git_commit.to_string())
                .unique()
                .collect(),
            machines,
            sections,
            time_range: times.map(|(first, last)| TimeRange {
                first: first.clone(),
                last: last.clone(),
            }),
            skipped,
            not_served,
            problems: Vec::new(),
            instructions: Vec::new(),
            strictness: Vec::new(),
            database_ceilings: Vec::new(),
        }
    }

    /// Index of a target in report order (for its chart colour).
    pub fn target_index(&self, target: &str) -> usize {
        let index = self.targets.iter().position(|t| t.name == target);
        index.unwrap_or(self.targets.len())
    }
}

#[cfg(test)]
impl Summary {
    /// The summary of `records` with no claims, in name order.
    pub(crate) fn of(records: Vec<ResultRecord>) -> Self {
        let order = ReportOrder::default();
        Self::build(records, Vec::new(), &ClaimSet::default(), &order)
    }
}

impl Section {
    /// Why a target has no result in `workload`: "not served" when its catalog entry does not
    /// list the workload, else as [`Section::absent_reason`] says.
    pub fn absent_reason_in(&self, workload: &str, target: &str) -> String {
        match served::find(&self.not_served, workload, target) {
            Some(_) => served::NOT_SERVED.into(),
            None => self.absent_reason(target),
        }
    }

    /// Why a target has no result in this section's workload.
    pub fn absent_reason(&self, target: &str) -> String {
        match self.absent.iter().find(|s| s.target == target) {
            Some(s) => format!("skipped: {}", s.reason),
            None => "skipped: no result (failed or filtered out)".into(),
        }
    }
}

fn target_infos(records: &[ResultRecord], order: &ReportOrder) -> Vec<TargetInfo> {
    let by_target = records.iter().into_group_map_by(|r| &r.target);
    let infos = by_target.into_values().map(|records| TargetInfo {
        name: records[0].target.clone(),
        language: records[0].language.clone(),
        framework: records[0].framework.clone(),
        database_driver: records
            .iter()
            .find_map(|r| r.figures.database.as_ref()?.driver.clone()),
        toolchains: records
            .iter()
            .map(|r| r.toolchain.clone())
            .unique()
            .collect(),
    });
    infos.sorted_by_key(|t| order.target_key(&t.name)).collect()
}

fn workloads(
    records: Vec<ResultRecord>,
    known: &[String],
    order: &ReportOrder,
) -> Vec<WorkloadSummary> {
    let by_workload = records
        .into_iter()
        .into_group_map_by(|r| r.workload.clone());
    let workloads = by_workload.into_iter().map(|(name, mut records)| {
        records.sort_by_key(|r| (param_key(&r.param), order.target_key(&r.target)));
        let targets = records.iter().map(|r| r.target.clone()).unique();
        let targets: Vec<String> = targets.sorted_by_key(|t| order.target_key(t)).collect();
        let params = records.iter().map(|r| r.param.clone()).unique();
        let params: Vec<String> = params.sorted_by_key(|p| param_key(p)).collect();
        let missing = known.iter().filter(|t| !targets.contains(t)).cloned();
        WorkloadSummary {
            name,
            missing: missing.sorted_by_key(|t| order.target_key(t)).collect(),
            sweep: pick_sweep(&params),
            targets,
            params,
            records,
        }
    });
    workloads
        .sorted_by_key(|w| order.workload_key(&w.name))
        .collect()
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
    use crate::evidence::fixtures::{record, records};
    use crate::summary::assert_has;

    fn order() -> ReportOrder {
        ReportOrder {
            targets: vec!["nethttp".into(), "actix".into()],
            workloads: vec!["plaintext".into(), "json".into()],
        }
    }

    #[test]
    fn a_targets_database_driver_comes_from_its_database_records() {
        let plain = record("json/actix/c64", 1000.0, 100, 8);
        let mut db = record("db/actix/c16", 1000.0, 100, 8);
        let mut evidence = crate::summary::database::tests::evidence(1.0);
        evidence.driver = Some("sqlx 0.8.6".into());
        db.figures.database = Some(evidence);
        let only_plain = target_infos(std::slice::from_ref(&plain), &order());
        assert_eq!(only_plain[0].database_driver, None);
        let both = target_infos(&[plain, db], &order());
        assert_eq!(both[0].database_driver.as_deref(), Some("sqlx 0.8.6"));
    }

    #[test]
    fn results_group_in_the_given_order_with_unknown_names_last_and_params_in_numeric_order() {
        let records = records(
            "zeta/actix/c1 json/nethttp/c256 json/actix/c64 json/actix/c256 json/zig/c64 \
             plaintext/actix/c64",
        );
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
        let records = records("json/actix/c64=10 json/actix/c256=20 hash/actix/r5000");
        let summary = Summary::build(records, Vec::new(), &ClaimSet::default(), &order());
        let workloads = &summary.sections[0].workloads;
        let find = |name: &str| workloads.iter().find(|w| w.name == name).unwrap();
        assert_eq!(find("json").sweep.as_ref().unwrap().axis, "connections");
        assert_eq!(find("hash").sweep, None);
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
        assert_has(
            &first.absent_reason("nethttp"),
            "measured on machine 2 only",
        );
        let reason = summary.unranked_reason().unwrap();
        assert_has(&reason, "Not ranked across machines");
        assert_has(&reason, "64 cores");
    }
}
