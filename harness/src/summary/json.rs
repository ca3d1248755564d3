//! `results.json`: the whole summary in one document. Its contract,
//! `spec/results.schema.json`, is derived from these types ([`schema`]); a test fails when the
//! committed file differs. Bump [`SCHEMA_VERSION`] on any change that is not an addition.

use schemars::JsonSchema;
use serde::Serialize;

use super::claims::ClaimCheck;
use super::html::CriterionLinks;
use super::{RunInfo, SkippedTarget, Summary, SummaryError, Sweep, TargetInfo, TimeRange};
use crate::evidence::{
    BUSY_AT_LEAST, DRIFT_FLOOR_RATIO, GROWTH_FLOOR_BYTES, GROWTH_FLOOR_BYTES_PER_MIN,
    INVALID_ERROR_RATIO, LATE_SENDS_AT_MOST, Machine, OCCUPANCY_AT_LEAST, ResultRecord,
    SEND_LAG_P99_AT_MOST_US,
};

/// Version of the document's shape: 3 since results are grouped per machine and sweeps name
/// their axis only (the points are the results themselves); 4 since instruction counts name
/// their version, commit and time as result records do (`schema_version`, `git_commit`, `time`).
pub const SCHEMA_VERSION: u32 = 4;

/// Every result shown with its evidence, grouped per machine and workload, and the published
/// claims checked against them. Written by `stampede report` and at the end of `cargo bench`.
#[derive(Serialize, JsonSchema)]
#[schemars(
    title = "stampede summary (target/stampede/report/results.json)",
    deny_unknown_fields,
    extend("$id" = "stampede/results.schema.json")
)]
struct Document<'a> {
    /// Version of this shape; bumped on any change that is not an addition.
    schema_version: u32,
    /// Always `stampede report`.
    generator: &'static str,
    /// The runs whose results are shown (each folder's newest unless `--all-runs`).
    runs: &'a [RunInfo],
    /// Results in the folders that are not shown (older runs, repeats).
    left_out_results: usize,
    git_commits: &'a [String],
    /// Machine fingerprints; `machine` fields index this list.
    machines: &'a [Machine],
    /// Why results of different machines are not ranked together; null with one machine.
    unranked_reason: Option<String>,
    time_range: Option<&'a TimeRange>,
    flag_rules: FlagRules,
    /// Every target with results, in report order.
    targets: &'a [TargetInfo],
    /// Targets that could not run here.
    skipped: &'a [SkippedTarget],
    /// Workloads per machine, in report order.
    workloads: Vec<Workload<'a>>,
    /// Claims checked, per machine.
    claims: Vec<Claim<'a>>,
    /// Files that could not be read, inputs that fell back to defaults.
    problems: &'a [String],
    /// User-space instructions per request from `stampede icount`, newest per target and
    /// workload; results of the same target and workload family show them beside server CPU.
    instructions: &'a [crate::icount::IcountRecord],
}

/// The thresholds behind the flags.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct FlagRules {
    /// A side this busy may have limited the run (client-bound; not server-bound below it).
    busy_at_least: f64,
    /// A closed loop below this occupancy is low-occupancy.
    occupancy_at_least: f64,
    /// An open loop with a p99 send lag above this is client-late ...
    send_lag_p99_at_most_us: u64,
    /// ... as is one with a larger share of late sends.
    late_sends_at_most: f64,
    /// Errors above this share of attempts make a result INVALID.
    invalid_above_error_ratio: f64,
    /// A timeline's memory slope above this (with its interval above zero) is memory-grows ...
    memory_grows_above_bytes_per_min: f64,
    /// ... when the growth over the judged span is above this too.
    memory_grows_above_bytes: f64,
    /// The last third's p99 at least this many times the first third's is latency-drifts.
    latency_drifts_at_ratio: f64,
}

/// One workload's results on one machine.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Workload<'a> {
    /// Index into `machines`.
    machine: usize,
    /// Workload family.
    name: &'a str,
    /// Targets with results, in report order.
    targets: &'a [String],
    /// Parameters run, in numeric order.
    params: &'a [String],
    /// Known targets without a result here, and why.
    missing: Vec<SkippedTarget>,
    sweep: Option<&'a Sweep>,
    /// The results, by parameter then target.
    results: Vec<Result<'a>>,
}

/// One result: its record, its flags in words, its Criterion page.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Result<'a> {
    #[serde(flatten)]
    record: &'a ResultRecord,
    flags: Vec<&'static str>,
    /// Criterion's page for this benchmark, relative to this file's folder.
    criterion_page: Option<&'a str>,
}

/// One claim checked on one machine (`machine` indexes `machines`).
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Claim<'a> {
    machine: usize,
    #[serde(flatten)]
    check: &'a ClaimCheck,
}

/// The JSON Schema of `results.json`, derived from the types that write it.
pub fn schema() -> serde_json::Value {
    schemars::schema_for!(Document<'static>).to_value()
}

/// Renders `results.json` (pretty-printed).
pub fn render(
    summary: &Summary,
    links: &CriterionLinks,
) -> std::result::Result<String, SummaryError> {
    let sections = || summary.sections.iter();
    let document = Document {
        schema_version: SCHEMA_VERSION,
        generator: "stampede report",
        runs: &summary.runs,
        left_out_results: summary.left_out,
        git_commits: &summary.git_commits,
        machines: &summary.machines,
        unranked_reason: summary.unranked_reason(),
        time_range: summary.time_range.as_ref(),
        flag_rules: FlagRules {
            busy_at_least: BUSY_AT_LEAST,
            occupancy_at_least: OCCUPANCY_AT_LEAST,
            send_lag_p99_at_most_us: SEND_LAG_P99_AT_MOST_US,
            late_sends_at_most: LATE_SENDS_AT_MOST,
            invalid_above_error_ratio: INVALID_ERROR_RATIO,
            memory_grows_above_bytes_per_min: GROWTH_FLOOR_BYTES_PER_MIN,
            memory_grows_above_bytes: GROWTH_FLOOR_BYTES,
            latency_drifts_at_ratio: DRIFT_FLOOR_RATIO,
        },
        targets: &summary.targets,
        skipped: &summary.skipped,
        workloads: sections()
            .flat_map(|section| {
                section.workloads.iter().map(move |w| Workload {
                    machine: section.machine,
                    name: &w.name,
                    targets: &w.targets,
                    params: &w.params,
                    missing: w
                        .missing
                        .iter()
                        .map(|t| SkippedTarget {
                            target: t.clone(),
                            reason: section.absent_reason_in(&w.name, t),
                        })
                        .collect(),
                    sweep: w.sweep.as_ref(),
                    results: w
                        .records
                        .iter()
                        .map(|record| Result {
                            record,
                            flags: record.flags.words(),
                            criterion_page: links.by_id.get(record.id.as_str()).map(String::as_str),
                        })
                        .collect(),
                })
            })
            .collect(),
        claims: sections()
            .flat_map(|section| {
                section.claims.iter().map(|check| Claim {
                    machine: section.machine,
                    check,
                })
            })
            .collect(),
        problems: &summary.problems,
        instructions: &summary.instructions,
    };
    super::rendered("results.json", serde_json::to_string_pretty(&document))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;

    #[test]
    fn each_result_carries_its_record_its_flags_and_its_machine() {
        let mut bad = record("json/actix/c64", 10.0, 1, 1);
        bad.flags.invalid = true;
        let summary = Summary::of(vec![bad]);
        let text = render(&summary, &CriterionLinks::default()).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["schema_version"], SCHEMA_VERSION);
        let result = &doc["workloads"][0]["results"][0];
        assert_eq!(result["id"], "json/actix/c64");
        assert_eq!(result["flags"], serde_json::json!(["INVALID"]));
        assert_eq!(result["setup"]["server_cpus"], "0");
        assert_eq!(doc["workloads"][0]["machine"], 0);
        assert_eq!(doc["unranked_reason"], serde_json::Value::Null);
    }
}
