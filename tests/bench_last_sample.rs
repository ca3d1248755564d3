//! The bench's detection of Criterion's last sample (benches with `harness = false` cannot hold
//! tests).

use std::time::Duration;

#[path = "../benches/workloads/last_sample.rs"]
#[allow(dead_code, unreachable_pub)]
mod last_sample;

use last_sample::LastSample;

const WARM_UP: Duration = Duration::from_millis(50);

/// The calls Criterion 0.8 makes of a routine whose iterations take `per_iter`: a doubling
/// warm-up until their durations add up to more than `WARM_UP`, then `samples` calls of d,
/// 2d, ... (linear) or of d each (flat).
fn criterion_calls(per_iter: Duration, d: u64, samples: u64, linear: bool) -> Vec<(u64, Duration)> {
    let mut calls = Vec::new();
    let (mut iters, mut warmed) = (1u64, Duration::ZERO);
    loop {
        let elapsed = per_iter * iters as u32;
        calls.push((iters, elapsed));
        warmed += elapsed;
        if warmed > WARM_UP {
            break;
        }
        iters *= 2;
    }
    for k in 1..=samples {
        let iters = if linear { k * d } else { d };
        calls.push((iters, per_iter * iters as u32));
    }
    calls
}

fn lasts(calls: &[(u64, Duration)], samples: usize) -> Vec<usize> {
    let mut watch = LastSample::new(samples, WARM_UP);
    calls
        .iter()
        .enumerate()
        .filter_map(|(i, &(iters, elapsed))| watch.is_last(iters, elapsed).then_some(i))
        .collect()
}

#[test]
fn the_last_linear_sample_is_found_and_no_call_before_it() {
    for (per_iter_us, d) in [(5, 20), (80, 1), (700, 3), (30_000, 1)] {
        let calls = criterion_calls(Duration::from_micros(per_iter_us), d, 30, true);
        assert_eq!(
            lasts(&calls, 30),
            vec![calls.len() - 1],
            "{per_iter_us} us, d {d}"
        );
    }
}

#[test]
fn the_last_flat_sample_is_found_even_when_its_count_equals_the_warm_ups_last() {
    // 10 ms per iteration: the warm-up runs 1, 2, 4 (70 ms); d = 4 repeats its last count.
    let calls = criterion_calls(Duration::from_millis(10), 4, 10, false);
    assert_eq!(calls[2].0, 4);
    assert_eq!(lasts(&calls, 10), vec![calls.len() - 1]);
}

#[test]
fn calls_of_another_shape_are_never_taken_for_the_last_sample() {
    let mut calls = criterion_calls(Duration::from_micros(100), 5, 10, true);
    let third_last = calls.len() - 3;
    calls[third_last].0 += 1;
    assert!(lasts(&calls, 10).is_empty());
    // More calls than planned: the count passes n once, and nothing after it is the last.
    let mut calls = criterion_calls(Duration::from_micros(100), 5, 10, false);
    calls.extend_from_slice(&[(5, Duration::from_micros(500)); 3]);
    assert_eq!(lasts(&calls, 10), vec![calls.len() - 4]);
}
