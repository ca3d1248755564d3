use std::time::Duration;

use super::*;

const MIB: f64 = 1024.0 * 1024.0;

/// One reading a second for `seconds`, PSS from `pss(t)`.
fn readings(seconds: u32, pss: impl Fn(f64) -> f64) -> Vec<(f64, u64)> {
    (0..seconds)
        .map(|s| {
            let t = f64::from(s) + 1.0;
            (t, pss(t).max(0.0) as u64)
        })
        .collect()
}

/// A garbage collector's saw: +4 MiB over 10 s, then back down.
fn saw(t: f64) -> f64 {
    (t % 10.0) / 10.0 * 4.0 * MIB
}

fn interval(latency_us: u64, requests: u64) -> Interval {
    let mut interval = Interval::empty(Duration::ZERO, Duration::from_secs(1), 1);
    interval.requests = requests;
    let _ = interval
        .latency_us
        .record_n(latency_us, u32::try_from(requests).unwrap_or(0));
    interval
}

#[test]
fn a_heap_that_grows_a_mebibyte_a_minute_under_a_collector_s_saw_is_caught() {
    let trend = memory_growth(&readings(120, |t| 50.0 * MIB + saw(t) + t / 60.0 * MIB));
    assert_eq!(trend.verdict, "grows", "{trend:?}");
    let (low, high) = (
        trend.low_bytes_per_min.unwrap(),
        trend.high_bytes_per_min.unwrap(),
    );
    assert!(low < MIB && MIB < high, "{trend:?}");
}

#[test]
fn a_collector_s_saw_alone_is_stable() {
    let trend = memory_growth(&readings(120, |t| 50.0 * MIB + saw(t)));
    assert_eq!(trend.verdict, "stable", "{trend:?}");
}

#[test]
fn growth_during_the_first_third_does_not_count() {
    // Pools and JIT code fill the first 40 s, then nothing moves.
    let trend = memory_growth(&readings(120, |t| 50.0 * MIB + t.min(40.0) * MIB));
    assert_eq!(trend.verdict, "stable", "{trend:?}");
}

#[test]
fn a_steady_slope_below_the_floor_is_stable() {
    let per_sec = GROWTH_FLOOR_BYTES_PER_MIN / 2.0 / 60.0;
    let trend = memory_growth(&readings(600, |t| 50.0 * MIB + t * per_sec));
    assert_eq!(trend.verdict, "stable", "{trend:?}");
    assert!(trend.low_bytes_per_min.unwrap() > 0.0, "{trend:?}");
}

#[test]
fn a_run_too_short_for_its_blocks_has_no_memory_verdict() {
    let trend = memory_growth(&readings(20, |t| t * MIB));
    assert_eq!(trend.verdict, "n/a");
    assert_eq!(trend.slope_bytes_per_min, None);
}

#[test]
fn latency_drifts_when_the_last_third_s_p99_is_above_the_first_s_beyond_both_intervals() {
    let run: Vec<Interval> = (0..30)
        .map(|i| interval(if i < 20 { 1_000 } else { 2_000 }, 500))
        .collect();
    let drift = latency_drift(&run);
    assert_eq!(drift.verdict, "drifts", "{drift:?}");
    let flat: Vec<Interval> = (0..30).map(|_| interval(1_000, 500)).collect();
    assert_eq!(latency_drift(&flat).verdict, "steady");
}

#[test]
fn thirds_too_small_for_a_p99_give_no_latency_verdict() {
    let run: Vec<Interval> = (0..9).map(|_| interval(1_000, 10)).collect();
    assert_eq!(latency_drift(&run).verdict, "n/a");
}

#[test]
fn stalls_count_empty_intervals_and_their_longest_run_when_requests_were_due() {
    let run: Vec<Interval> = [5, 0, 5, 0, 0, 0, 5]
        .into_iter()
        .map(|n| interval(100, n))
        .collect();
    let found = stalls(&run, 64.0);
    assert_eq!((found.count, found.longest_ms), (4, 3_000));
    // A load too sparse to expect one answer per interval has no stalls to find.
    assert_eq!(stalls(&run, 0.5).count, 0);
    let trend = OverTime::of(&run, &[], 64.0);
    assert_eq!(trend.flags(), ["stalls"]);
}

#[test]
fn empty_intervals_between_waves_of_slow_requests_are_not_stalls() {
    // Requests of 2 s watched per second: every other interval is empty by design.
    let run: Vec<Interval> = [5, 0, 5, 0, 5]
        .into_iter()
        .map(|n| interval(2_000_000, n))
        .collect();
    assert_eq!(stalls(&run, 64.0).count, 0);
}

#[test]
fn a_few_pages_in_a_short_run_are_not_growth_however_steep_per_minute() {
    // 40 readings 100 ms apart, 12 KB more in all: 180 KB/min, all of it real.
    let readings: Vec<(f64, u64)> = (0..40u32)
        .map(|i| (f64::from(i) / 10.0, 50 * 1024 * 1024 + u64::from(i) * 300))
        .collect();
    let trend = memory_growth(&readings);
    assert!(
        trend.slope_bytes_per_min.unwrap() > GROWTH_FLOOR_BYTES_PER_MIN,
        "{trend:?}"
    );
    assert_eq!(trend.verdict, "stable", "{trend:?}");
}
