//! Scenario: the TechEmpower-style basics, plaintext and JSON serialisation.

use criterion::Criterion;
use stampede_harness::workload::Workload;

use crate::runner::Bench;

/// Connection counts of the basic groups.
const CONNECTIONS: &[usize] = &[1, 16, 64, 256];

pub(crate) fn plaintext(bench: &mut Bench, criterion: &mut Criterion) {
    bench.run_group(criterion, "plaintext", Workload::Plaintext, CONNECTIONS);
}

pub(crate) fn json(bench: &mut Bench, criterion: &mut Criterion) {
    bench.run_group(criterion, "json", Workload::Json, CONNECTIONS);
}
