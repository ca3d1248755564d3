//! `stampede compare` results as history records: one per target and workload, carrying the
//! head side's medians as its figures and the duet's ratios beside them. Stored with mode
//! `compare`, so they form series of their own and never mix with `cargo bench` runs.

use serde_json::{Value, json};

use crate::compare::Comparison;
use crate::compare::decide::median;

/// The mode compare runs are stored with.
pub const COMPARE_MODE: &str = "compare";

/// One record per comparison, IDs `<workload>/<target>/c<connections>`.
pub fn records(comparisons: &[Comparison], connections: usize) -> Vec<Value> {
    comparisons
        .iter()
        .map(|c| {
            let head_cpu: Vec<f64> = c.rounds.iter().map(|r| r.head_cpu_us).collect();
            json!({
                "id": format!("{}/{}/c{connections}", c.workload, c.target),
                "workload": c.workload,
                "target": c.target,
                "param": format!("c{connections}"),
                "requests_per_sec": c.head_rps(),
                "server": {"cpu_us_per_request": median(&head_cpu)},
                "compare": {
                    "base_requests_per_sec": c.base_rps(),
                    "rounds": c.rounds.len(),
                    "throughput": c.throughput,
                    "cpu_per_request": c.cpu_per_request,
                    "verdict": c.verdict.as_str(),
                },
            })
        })
        .collect()
}
