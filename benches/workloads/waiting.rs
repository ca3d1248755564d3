//! Scenario: I/O waits — `/sleep` holds each request without work, so the question is who holds
//! thousands of waiting connections, and at what memory.

use criterion::Criterion;
use stampede_harness::workload::Workload;

use crate::runner::{Bench, Case, Sampling};

pub(crate) fn sleep(bench: &mut Bench, criterion: &mut Criterion) {
    let params = bench.params().sleep.clone();
    let workload = Workload::Sleep { ms: params.ms };
    let cases: Vec<Case> = params
        .connections
        .iter()
        .map(|&c| Case::connections(workload, c))
        .collect();
    bench.run_group(criterion, "sleep", &cases, Sampling::Heavy);
}
