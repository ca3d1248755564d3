//! Compare reports built from simulated rounds, for the tests of what renders them.

use std::time::Duration;

use super::counters::CounterCheck;
use super::decide::SplitMix64;
use super::duet::RoundFigures;
use super::pace::Paced;
use super::run::{CompareOutput, Comparison, run_verdict};
use super::sequential::{SequentialOptions, run_sequence, test_options, test_side};

/// A two-comparison report (actix plaintext and json) with the null control: head's CPU per
/// request changed by `cpu_change`, the control's by `control_change`, clients half busy.
pub(crate) fn report(cpu_change: f64, control_change: f64) -> CompareOutput {
    report_with_client(cpu_change, control_change, 0.5)
}

/// A two-comparison report whose load clients were `client_cpu_busy` in every round.
pub(crate) fn report_with_client(
    cpu_change: f64,
    control_change: f64,
    client_cpu_busy: f64,
) -> CompareOutput {
    report_paced(cpu_change, control_change, client_cpu_busy, None)
}

/// The same, with `paced` saying who set every round's rate.
pub(crate) fn report_paced(
    cpu_change: f64,
    control_change: f64,
    client_cpu_busy: f64,
    paced: Option<Paced>,
) -> CompareOutput {
    build(cpu_change, control_change, client_cpu_busy, paced, true)
}

/// [`report`] run without the null control.
pub(crate) fn report_without_null_control(cpu_change: f64) -> CompareOutput {
    build(cpu_change, 0.0, 0.5, None, false)
}

fn build(
    cpu_change: f64,
    control_change: f64,
    client_cpu_busy: f64,
    paced: Option<Paced>,
    null_control: bool,
) -> CompareOutput {
    let sequential = SequentialOptions {
        max_time: Duration::from_secs(600),
        ..test_options(null_control)
    };
    let mut rng = SplitMix64(11);
    let outcome = run_sequence::<()>(
        2,
        &sequential,
        |_, n| {
            let noise = (0.005 * rng.normal()).exp();
            Ok(RoundFigures {
                head_first: n % 4 == 1,
                base: test_side(10.0),
                head: test_side(10.0 * (1.0 + cpu_change) * noise),
                control: Some(test_side(10.0 * (1.0 + control_change) / noise)),
                client_cpu_busy,
                paced,
            })
        },
        || Duration::ZERO,
    )
    .unwrap_or_else(|()| unreachable!());
    let comparisons: Vec<Comparison> = outcome
        .pairs
        .into_iter()
        .zip(["plaintext", "json"])
        .map(|(outcome, workload)| Comparison {
            target: "actix".into(),
            workload: workload.into(),
            paced,
            outcome,
        })
        .collect();
    let (verdict, reason) = run_verdict(&comparisons, outcome.stop);
    CompareOutput {
        base: "main".into(),
        base_commit: "0123456789abcdef".into(),
        head: "working tree".into(),
        threshold_pct: 5.0,
        sequential,
        round_duration_s: 2.0,
        connections: 32,
        server_cpus: "0".into(),
        client_cpus: "1".into(),
        family_size: 4,
        comparisons,
        skipped: Vec::new(),
        looks_used: outcome.looks_used,
        stop: outcome.stop,
        counters: CounterCheck {
            available: false,
            line: "Hardware instruction counters: unavailable — test.".into(),
        },
        verdict,
        reason,
        exit_status: verdict.exit_status(),
        rounds_elapsed_s: 100.0,
    }
}
