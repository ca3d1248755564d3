//! Scenario: CPU-bound work per request, inline on the request's thread or event loop versus
//! offloaded to each runtime's pool, at three work sizes named by rounds (spec/workloads.toml).

use criterion::Criterion;
use stampede_harness::workload::{Workload, rounds_label};

use crate::runner::{Background, Bench, Case, Sampling};

fn sized(bench: &Bench, workload: fn(u32) -> Workload) -> Vec<Case> {
    let hash = &bench.params().hash;
    hash.rounds
        .iter()
        .map(|&rounds| Case {
            label: rounds_label(rounds),
            workload: workload(rounds),
            connections: hash.connections,
            background: None,
            pipeline: 1,
        })
        .collect()
}

pub(crate) fn hash(bench: &mut Bench, criterion: &mut Criterion) {
    let cases = sized(bench, |rounds| Workload::Hash { rounds });
    bench.run_group(criterion, "hash", &cases, Sampling::Heavy);
}

pub(crate) fn hash_offload(bench: &mut Bench, criterion: &mut Criterion) {
    let cases = sized(bench, |rounds| Workload::HashOffload { rounds });
    bench.run_group(criterion, "hash-offload", &cases, Sampling::Heavy);
}

/// The event-loop blocking probe: one connection's `/plaintext` latency while K connections
/// drive `/hash`, inline and then offloaded.
pub(crate) fn mixed(bench: &mut Bench, criterion: &mut Criterion) {
    let mixed = bench.params().mixed.clone();
    let probe = |label: &str, background: Workload| Case {
        label: label.to_owned(),
        workload: Workload::Plaintext,
        connections: 1,
        background: Some(Background {
            workload: background,
            connections: mixed.background_connections,
            probe_connections: mixed.probe_connections,
            probe_rate_per_sec: mixed.probe_rate_per_sec,
            probe_seconds: mixed.probe_seconds,
        }),
        pipeline: 1,
    };
    let cases = [
        probe(
            "hash-inline",
            Workload::Hash {
                rounds: mixed.rounds,
            },
        ),
        probe(
            "hash-offload",
            Workload::HashOffload {
                rounds: mixed.rounds,
            },
        ),
    ];
    bench.run_group(criterion, "mixed", &cases, Sampling::Heavy);
}
