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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::decide::{Decision, Verdict};
    use crate::compare::duet::RoundFigures;
    use crate::history::Metric;

    fn decision(ratio: f64, verdict: Verdict) -> Decision {
        Decision {
            median_ratio: ratio,
            ci_low: ratio - 0.02,
            ci_high: ratio + 0.02,
            change_pct: (ratio - 1.0) * 100.0,
            verdict,
        }
    }

    #[test]
    fn a_comparison_becomes_a_record_of_the_head_side_with_the_duet_beside_it() {
        let rounds = [
            (100.0, 90.0, 10.0, 11.0),
            (100.0, 92.0, 10.0, 11.5),
            (100.0, 88.0, 10.0, 12.0),
        ]
        .map(
            |(base_rps, head_rps, base_cpu_us, head_cpu_us)| RoundFigures {
                base_rps,
                head_rps,
                base_cpu_us,
                head_cpu_us,
                errors: 0,
                error_ratio: 0.0,
            },
        );
        let comparison = Comparison {
            target: "actix".into(),
            workload: "plaintext".into(),
            rounds: rounds.to_vec(),
            throughput: decision(0.9, Verdict::Regressed),
            cpu_per_request: decision(1.15, Verdict::Regressed),
            verdict: Verdict::Regressed,
            note: None,
            elapsed_s: 30.0,
        };
        let out = records(&[comparison], 32);
        assert_eq!(out[0]["id"], "plaintext/actix/c32");
        assert_eq!(Metric::RequestsPerSec.extract(&out[0]), Some(90.0));
        assert_eq!(Metric::CpuUs.extract(&out[0]), Some(11.5));
        assert_eq!(out[0]["compare"]["base_requests_per_sec"], 100.0);
        assert_eq!(out[0]["compare"]["verdict"], "regressed");
    }
}
