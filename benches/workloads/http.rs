//! Scenario: the TechEmpower-style basics, plaintext and JSON serialisation, swept over
//! connection counts so each group shows requests/s against connections per target, and
//! plaintext the way TechEmpower loads it (pipelined).

use criterion::Criterion;
use stampede_harness::workload::Workload;

use crate::runner::{Bench, Case, Sampling};

fn sweep(bench: &Bench, workload: Workload) -> Vec<Case> {
    let connections = &bench.params().sweep.connections;
    connections
        .iter()
        .map(|&c| Case::connections(workload, c))
        .collect()
}

pub(crate) fn plaintext(bench: &mut Bench, criterion: &mut Criterion) {
    let cases = sweep(bench, Workload::Plaintext);
    bench.run_group(criterion, "plaintext", &cases, Sampling::Light);
}

/// TechEmpower's plaintext method: 16 pipelined requests per write.
pub(crate) fn plaintext_pipelined(bench: &mut Bench, criterion: &mut Criterion) {
    let params = bench.params().pipelined.clone();
    let cases: Vec<Case> = params
        .connections
        .iter()
        .map(|&c| Case {
            pipeline: params.depth,
            ..Case::connections(Workload::Plaintext, c)
        })
        .collect();
    bench.run_group(criterion, "plaintext-pipelined", &cases, Sampling::Light);
}

pub(crate) fn json(bench: &mut Bench, criterion: &mut Criterion) {
    let cases = sweep(bench, Workload::Json);
    bench.run_group(criterion, "json", &cases, Sampling::Light);
}
