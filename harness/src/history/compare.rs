//! `stampede compare` results as history records: one per target and workload, carrying the
//! head side's medians as its figures and the duet's decisions beside them. Stored with mode
//! `compare`, so they form series of their own and never mix with `cargo bench` runs.

use serde_json::{Value, json};

use crate::benchmark_id::{BenchmarkId, BenchmarkIdError};
use crate::compare::Comparison;

/// The head side of one comparison, as the history keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadFigures<'a> {
    /// Target name.
    pub target: &'a str,
    /// Workload name.
    pub workload: &'a str,
    /// Connections per side.
    pub connections: usize,
    /// Median head requests/s over the kept rounds.
    pub head_requests_per_sec: f64,
    /// Median base requests/s over the kept rounds.
    pub base_requests_per_sec: f64,
    /// Median head CPU us per request over the kept rounds.
    pub head_cpu_us: f64,
    /// Rounds run.
    pub rounds: usize,
    /// The combined verdict.
    pub verdict: &'a str,
}

/// One record per comparison, IDs `<workload>/<target>/c<connections>`; refused when a
/// target's name holds a '/'.
pub fn records(
    comparisons: &[Comparison],
    connections: usize,
) -> Result<Vec<Value>, BenchmarkIdError> {
    comparisons
        .iter()
        .map(|c| {
            let verdict = serde_json::to_value(c.outcome.verdict).unwrap_or_default();
            record(&HeadFigures {
                target: &c.target,
                workload: &c.workload,
                connections,
                head_requests_per_sec: c.head_rps(),
                base_requests_per_sec: c.base_rps(),
                head_cpu_us: c.head_cpu_us(),
                rounds: c.outcome.rounds.len(),
                verdict: verdict.as_str().unwrap_or("unknown"),
            })
        })
        .collect()
}

/// The history record of one comparison's head side.
pub fn record(head: &HeadFigures<'_>) -> Result<Value, BenchmarkIdError> {
    let id = BenchmarkId::of_load(head.workload, head.target, head.connections, 1, None)?;
    Ok(json!({
        "id": &id,
        "workload": head.workload,
        "target": head.target,
        "param": id.case(),
        "requests_per_sec": head.head_requests_per_sec,
        "server": {"cpu_us_per_request": head.head_cpu_us},
        "compare": {
            "base_requests_per_sec": head.base_requests_per_sec,
            "rounds": head.rounds,
            "verdict": head.verdict,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Metric;

    #[test]
    fn a_comparison_becomes_a_record_of_the_head_side_with_the_duet_beside_it() {
        let out = record(&HeadFigures {
            target: "actix",
            workload: "plaintext",
            connections: 32,
            head_requests_per_sec: 90.0,
            base_requests_per_sec: 100.0,
            head_cpu_us: 11.5,
            rounds: 12,
            verdict: "regressed",
        })
        .unwrap();
        assert_eq!(out["id"], "plaintext/actix/c32");
        assert_eq!(Metric::RequestsPerSec.extract(&out), Some(90.0));
        assert_eq!(Metric::CpuUs.extract(&out), Some(11.5));
        assert_eq!(out["compare"]["base_requests_per_sec"], 100.0);
        assert_eq!(out["compare"]["verdict"], "regressed");
    }
}
