//! Latency histograms (HDR, microseconds) and their summaries.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Highest latency the histogram tracks: one hour, in microseconds.
const MAX_TRACKED_US: u64 = 3_600_000_000;

/// A new latency histogram: 1 us .. 1 h at 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_US, 3).expect("constant bounds are valid")
}

/// Records one latency, clamped to the tracked range.
pub fn record_us(histogram: &mut Histogram<u64>, latency_us: u64) {
    let _ = histogram.record(latency_us.clamp(1, MAX_TRACKED_US));
}

/// Percentiles of one run, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Highest recorded.
    pub max: u64,
    /// Arithmetic mean.
    pub mean: f64,
}

impl LatencySummary {
    /// Summarises a histogram; all zeros when it is empty.
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        Self {
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
            mean: histogram.mean(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution_land_within_histogram_precision() {
        let mut h = new_histogram();
        for us in 1..=10_000 {
            record_us(&mut h, us);
        }
        let s = LatencySummary::of(&h);
        let close = |got: u64, want: u64| got.abs_diff(want) * 1000 <= want.max(1) * 2;
        assert!(close(s.p50, 5_000), "{s:?}");
        assert!(close(s.p90, 9_000), "{s:?}");
        assert!(close(s.p99, 9_900), "{s:?}");
        assert!(close(s.p999, 9_990), "{s:?}");
        assert!(close(s.max, 10_000), "{s:?}");
    }

    #[test]
    fn one_slow_request_shows_in_the_max_and_the_tail_not_the_median() {
        let mut h = new_histogram();
        for _ in 0..999 {
            record_us(&mut h, 100);
        }
        record_us(&mut h, 200_000);
        let s = LatencySummary::of(&h);
        assert_eq!(s.p50, 100);
        assert!(s.max >= 199_000, "{s:?}");
        assert!(s.p999 <= 200, "{s:?}");
    }

    #[test]
    fn an_empty_histogram_summarises_to_zeros_and_zero_is_clamped_to_one() {
        assert_eq!(
            LatencySummary::of(&new_histogram()),
            LatencySummary::default()
        );
        let mut h = new_histogram();
        record_us(&mut h, 0);
        assert_eq!(LatencySummary::of(&h).max, 1);
    }
}
