//! Scenario: the TechEmpower-style basics, plaintext and JSON serialisation.

use criterion::Criterion;
use stampede_harness::workload::Workload;

use crate::runner::{Bench, Case};

/// Connection counts of the basic groups.
const CONNECTIONS: &[usize] = &[1, 16, 64, 256];

pub(crate) fn plaintext(bench: &mut Bench, criterion: &mut Criterion) {
    let cases: Vec<Case> = CONNECTIONS
        .iter()
        .map(|&c| Case::connections(Workload::Plaintext, c))
        .collect();
    bench.run_group(criterion, "plaintext", &cases);
}

pub(crate) fn json(bench: &mut Bench, criterion: &mut Criterion) {
    let cases: Vec<Case> = CONNECTIONS
        .iter()
        .map(|&c| Case::connections(Workload::Json, c))
        .collect();
    bench.run_group(criterion, "json", &cases);
}
