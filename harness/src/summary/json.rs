//! `results.json`: the whole summary in one document. Its contract is
//! `spec/results.schema.json`, and a test validates the output against it; bump
//! [`SCHEMA_VERSION`] on any change that is not an addition.

use serde::Serialize;

use super::claims::ClaimCheck;
use super::html::CriterionLinks;
use super::markdown::missing_text;
use super::{Summary, SummaryError, flags};
use crate::evidence::{
    BUSY_AT_LEAST, INVALID_ERROR_RATIO, LATE_SENDS_AT_MOST, Machine, OCCUPANCY_AT_LEAST,
    ResultRecord, SEND_LAG_P99_AT_MOST_US,
};

/// Version of the document's shape.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    generator: &'static str,
    runs: &'a [super::RunInfo],
    left_out_results: usize,
    git_commits: &'a [String],
    machines: &'a [Machine],
    time_range: Option<TimeRange<'a>>,
    flag_rules: FlagRules,
    targets: Vec<Target<'a>>,
    skipped: Vec<Skipped<'a>>,
    workloads: Vec<Workload<'a>>,
    claims: &'a [ClaimCheck],
    problems: &'a [String],
}

#[derive(Serialize)]
struct TimeRange<'a> {
    first: &'a str,
    last: &'a str,
}

#[derive(Serialize)]
struct FlagRules {
    busy_at_least: f64,
    occupancy_at_least: f64,
    send_lag_p99_at_most_us: u64,
    late_sends_at_most: f64,
    invalid_above_error_ratio: f64,
}

#[derive(Serialize)]
struct Target<'a> {
    name: &'a str,
    language: &'a str,
    framework: &'a str,
    toolchains: &'a [String],
}

#[derive(Serialize)]
struct Skipped<'a> {
    target: &'a str,
    reason: String,
}

#[derive(Serialize)]
struct Workload<'a> {
    name: &'a str,
    targets: &'a [String],
    params: &'a [String],
    missing: Vec<Skipped<'a>>,
    sweep: Option<Sweep<'a>>,
    results: Vec<Result<'a>>,
}

#[derive(Serialize)]
struct Sweep<'a> {
    axis: &'a str,
    prefix: &'a str,
    series: Vec<Series<'a>>,
}

#[derive(Serialize)]
struct Series<'a> {
    target: &'a str,
    points: Vec<Point>,
}

#[derive(Serialize)]
struct Point {
    x: u64,
    requests_per_sec: f64,
    flagged: bool,
}

#[derive(Serialize)]
struct Result<'a> {
    #[serde(flatten)]
    record: &'a ResultRecord,
    flags: Vec<&'static str>,
    criterion_page: Option<&'a str>,
}

/// Renders `results.json` (pretty-printed).
pub fn render(
    summary: &Summary,
    links: &CriterionLinks,
) -> std::result::Result<String, SummaryError> {
    let document = Document {
        schema_version: SCHEMA_VERSION,
        generator: "stampede report",
        runs: &summary.runs,
        left_out_results: summary.left_out,
        git_commits: &summary.git_commits,
        machines: &summary.machines,
        time_range: summary
            .time_range
            .as_ref()
            .map(|(first, last)| TimeRange { first, last }),
        flag_rules: FlagRules {
            busy_at_least: BUSY_AT_LEAST,
            occupancy_at_least: OCCUPANCY_AT_LEAST,
            send_lag_p99_at_most_us: SEND_LAG_P99_AT_MOST_US,
            late_sends_at_most: LATE_SENDS_AT_MOST,
            invalid_above_error_ratio: INVALID_ERROR_RATIO,
        },
        targets: summary
            .targets
            .iter()
            .map(|t| Target {
                name: &t.name,
                language: &t.language,
                framework: &t.framework,
                toolchains: &t.toolchains,
            })
            .collect(),
        skipped: summary
            .skipped
            .iter()
            .map(|s| Skipped {
                target: &s.target,
                reason: s.reason.clone(),
            })
            .collect(),
        workloads: summary
            .workloads
            .iter()
            .map(|w| Workload {
                name: &w.name,
                targets: &w.targets,
                params: &w.params,
                missing: w
                    .missing
                    .iter()
                    .map(|t| Skipped {
                        target: t,
                        reason: missing_text(summary, t),
                    })
                    .collect(),
                sweep: w.sweep.as_ref().map(|s| Sweep {
                    axis: &s.axis,
                    prefix: &s.prefix,
                    series: s
                        .series
                        .iter()
                        .map(|series| Series {
                            target: &series.target,
                            points: series
                                .points
                                .iter()
                                .map(|p| Point {
                                    x: p.x,
                                    requests_per_sec: p.requests_per_sec,
                                    flagged: p.flagged,
                                })
                                .collect(),
                        })
                        .collect(),
                }),
                results: w
                    .records
                    .iter()
                    .map(|record| Result {
                        record,
                        flags: flags(record),
                        criterion_page: links.by_id.get(&record.id).map(String::as_str),
                    })
                    .collect(),
            })
            .collect(),
        claims: &summary.claims,
        problems: &summary.problems,
    };
    let mut text = serde_json::to_string_pretty(&document)
        .map_err(|source| SummaryError::Serialize { source })?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;
    use crate::summary::claims::ClaimSet;

    #[test]
    fn each_result_carries_its_record_and_its_flags() {
        let mut bad = record("json/actix/c64", 10.0, 1, 1);
        bad.invalid = true;
        let summary = Summary::build(vec![bad], Vec::new(), &ClaimSet::default(), Vec::new());
        let text = render(&summary, &CriterionLinks::default()).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["schema_version"], SCHEMA_VERSION);
        let result = &doc["workloads"][0]["results"][0];
        assert_eq!(result["id"], "json/actix/c64");
        assert_eq!(result["flags"], serde_json::json!(["INVALID"]));
        assert_eq!(result["setup"]["server_cpus"], "0");
    }
}
