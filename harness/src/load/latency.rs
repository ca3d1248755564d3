//! Latency histograms (HDR, microseconds) and their summaries.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Highest latency the histogram tracks: one hour, in microseconds.
pub(crate) const MAX_TRACKED_US: u64 = 3_600_000_000;

/// A new latency histogram: 1 us .. 1 h at 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_US, 3).expect("constant bounds are valid")
}

/// Records one latency, clamped to the tracked range.
pub fn record_us(histogram: &mut Histogram<u64>, latency_us: u64) {
    let _ = histogram.record(latency_us.clamp(1, MAX_TRACKED_US));
}

/// Fewest samples above a percentile for it to be quoted: with fewer, the "p99.9" of a run is
/// its maximum or close to it, and says nothing about the tail.
pub const MIN_SAMPLES_BEYOND: u64 = 10;

/// One percentile with a 95% confidence interval from order statistics: with n samples the
/// rank of the q-quantile is binomial(n, q), so the interval is the values at the ranks
/// n*q -/+ 1.96*sqrt(n*q*(1-q)) (normal approximation, sound once at least
/// [`MIN_SAMPLES_BEYOND`] samples lie beyond it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Percentile {
    /// The quantile, e.g. 0.99.
    pub quantile: f64,
    /// The percentile; `None` ("n/a") when too few samples lie beyond it.
    pub us: Option<u64>,
    /// Lower end of the 95% interval.
    pub low_us: Option<u64>,
    /// Upper end of the 95% interval.
    pub high_us: Option<u64>,
    /// Samples above the percentile's rank: n * (1 - q).
    pub samples_beyond: u64,
}

impl Percentile {
    /// The `quantile` of `histogram` with its interval, or "n/a" with too few samples.
    pub fn of<T: hdrhistogram::Counter>(histogram: &Histogram<T>, quantile: f64) -> Self {
        let n = histogram.len();
        let beyond = (n as f64 * (1.0 - quantile)).floor() as u64;
        if n == 0 || beyond < MIN_SAMPLES_BEYOND {
            return Self {
                quantile,
                us: None,
                low_us: None,
                high_us: None,
                samples_beyond: beyond,
            };
        }
        let nf = n as f64;
        let half = 1.96 * (nf * quantile * (1.0 - quantile)).sqrt();
        let rank_low = (nf * quantile - half).floor().max(1.0);
        let rank_high = (nf * quantile + half + 1.0).ceil().min(nf);
        Self {
            quantile,
            us: Some(histogram.value_at_quantile(quantile)),
            low_us: Some(histogram.value_at_quantile(rank_low / nf)),
            high_us: Some(histogram.value_at_quantile(rank_high / nf)),
            samples_beyond: beyond,
        }
    }
}

/// Percentiles of one run, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencyStats {
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

impl LatencyStats {
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
        let s = LatencyStats::of(&h);
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
        let s = LatencyStats::of(&h);
        assert_eq!(s.p50, 100);
        assert!(s.max >= 199_000, "{s:?}");
        assert!(s.p999 <= 200, "{s:?}");
    }

    #[test]
    fn a_percentile_carries_an_interval_around_it_and_is_na_without_a_tail() {
        let mut h = new_histogram();
        for us in 1..=10_000 {
            record_us(&mut h, us);
        }
        let p99 = Percentile::of(&h, 0.99);
        let (low, mid, high) = (p99.low_us.unwrap(), p99.us.unwrap(), p99.high_us.unwrap());
        assert!(low < mid && mid < high, "{p99:?}");
        // sqrt(10000 * 0.99 * 0.01) ~ 10 ranks: about +-20 values here.
        assert!(mid - low <= 30 && high - mid <= 30, "{p99:?}");
        assert_eq!(p99.samples_beyond, 100);
        let p9999 = Percentile::of(&h, 0.9999);
        assert_eq!((p9999.us, p9999.samples_beyond), (None, 0));
        let p999 = Percentile::of(&h, 0.999);
        assert!(
            p999.us.is_some(),
            "10 samples beyond p99.9 are enough: {p999:?}"
        );
    }

    #[test]
    fn an_empty_histogram_summarises_to_zeros_and_zero_is_clamped_to_one() {
        assert_eq!(LatencyStats::of(&new_histogram()), LatencyStats::default());
        let mut h = new_histogram();
        record_us(&mut h, 0);
        assert_eq!(LatencyStats::of(&h).max, 1);
    }
}
