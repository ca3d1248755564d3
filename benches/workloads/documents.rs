//! Scenario: what JSON costs beyond hello-world — serialising the ~1 KB document and parsing
//! varied order bodies.

use criterion::Criterion;
use stampede_harness::workload::Workload;

use crate::runner::{Bench, Case, Sampling};

fn cases(bench: &Bench, workload: Workload) -> Vec<Case> {
    let connections = &bench.params().documents.connections;
    connections
        .iter()
        .map(|&c| Case::connections(workload, c))
        .collect()
}

pub(crate) fn json_doc(bench: &mut Bench, criterion: &mut Criterion) {
    let cases = cases(bench, Workload::JsonDoc);
    bench.run_group(criterion, "json-doc", &cases, Sampling::Light);
}

pub(crate) fn order(bench: &mut Bench, criterion: &mut Criterion) {
    let cases = cases(bench, Workload::Order);
    bench.run_group(criterion, "order", &cases, Sampling::Light);
}
