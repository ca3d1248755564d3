//! The decision rule of `stampede compare`: from per-round head/base ratios, a distribution-free
//! confidence interval of the median ratio (order statistics, i.e. the sign test inverted),
//! compared with a threshold.
//!
//! - **regressed**: the interval lies entirely on the worse side of 1 *and* reaches past the
//!   threshold (a slowdown of at least the threshold is plausible, no change is not);
//! - **improved**: the mirror image;
//! - **unchanged**: the interval lies within ±threshold (any change is smaller than we care
//!   about);
//! - **inconclusive**: anything else (too noisy to say).
//!
//! With 10 rounds the interval runs from the 2nd to the 9th smallest ratio (97.9% coverage);
//! it assumes nothing about the noise's shape, which on a shared machine is anything but normal.

use serde::Serialize;

/// Two-sided confidence level of the interval (at least).
const CONFIDENCE: f64 = 0.95;

/// The verdict for one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Head is worse by a plausible margin of at least the threshold.
    Regressed,
    /// Head is better by a plausible margin of at least the threshold.
    Improved,
    /// Any difference is within the threshold.
    Unchanged,
    /// Too noisy to tell.
    Inconclusive,
}

impl Verdict {
    /// The word shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regressed => "regressed",
            Self::Improved => "improved",
            Self::Unchanged => "unchanged",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// Whether a larger ratio is good (throughput) or bad (CPU per request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Larger head/base ratios are improvements.
    Higher,
    /// Smaller head/base ratios are improvements.
    Lower,
}

/// The decision for one metric over the rounds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Decision {
    /// Median of head/base ratios.
    pub median_ratio: f64,
    /// Lower end of the confidence interval of the median ratio.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// (median ratio - 1) in percent.
    pub change_pct: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// Decides over `ratios` (head/base, one per round) with a threshold such as 0.05.
/// Fewer than three rounds, or non-finite ratios, are inconclusive.
pub fn decide(ratios: &[f64], threshold: f64, better: Better) -> Decision {
    let clean: Vec<f64> = ratios
        .iter()
        .copied()
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    if clean.len() < 3 || clean.len() != ratios.len() {
        let m = median(&clean).unwrap_or(f64::NAN);
        return Decision {
            median_ratio: m,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            change_pct: (m - 1.0) * 100.0,
            verdict: Verdict::Inconclusive,
        };
    }
    let m = median(&clean).unwrap_or(1.0);
    let (low, high) = median_interval(&clean);
    let (worse_side, better_side) = match better {
        Better::Higher => (
            high < 1.0 && low < 1.0 - threshold,
            low > 1.0 && high > 1.0 + threshold,
        ),
        Better::Lower => (
            low > 1.0 && high > 1.0 + threshold,
            high < 1.0 && low < 1.0 - threshold,
        ),
    };
    let verdict = if worse_side {
        Verdict::Regressed
    } else if better_side {
        Verdict::Improved
    } else if low >= 1.0 - threshold && high <= 1.0 + threshold {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    };
    Decision {
        median_ratio: m,
        ci_low: low,
        ci_high: high,
        change_pct: (m - 1.0) * 100.0,
        verdict,
    }
}

/// Median of the values; `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

/// Interval of the median from order statistics: [x(k), x(n+1-k)] with the largest k whose
/// binomial tail P(B(n, 1/2) < k) is at most (1 - CONFIDENCE) / 2.
fn median_interval(values: &[f64]) -> (f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let alpha_half = (1.0 - CONFIDENCE) / 2.0;
    // `k` = how many terms P(B = 0), P(B = 1), ... fit in the tail; cutting k - 1 values from
    // each end leaves an interval of coverage 1 - 2 P(B <= k - 1). Too few rounds (k = 0)
    // give the whole range, which then rarely excludes 1: inconclusive, as it should be.
    let mut k = 0;
    let mut tail = 0.0;
    for i in 0..n / 2 {
        tail += binomial_half(n, i);
        if tail > alpha_half {
            break;
        }
        k = i + 1;
    }
    let cut = k.saturating_sub(1);
    (sorted[cut], sorted[n - 1 - cut])
}

/// P(B(n, 1/2) = i).
fn binomial_half(n: usize, i: usize) -> f64 {
    let mut p = 0.5f64.powi(n as i32);
    for j in 0..i {
        p *= (n - j) as f64 / (j + 1) as f64;
    }
    p
}

/// A small seedable generator (SplitMix64) for the tests' synthetic series.
#[cfg(test)]
#[derive(Debug)]
struct SplitMix64(u64);

#[cfg(test)]
impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible noisy series around `center` with relative spread `noise`.
    fn series(center: f64, noise: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64(seed);
        (0..n)
            .map(|_| {
                let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
                center * (1.0 + noise * (2.0 * u - 1.0))
            })
            .collect()
    }

    #[test]
    fn a_to_a_rounds_with_small_noise_are_unchanged_across_many_seeds() {
        for seed in 0..200 {
            let d = decide(&series(1.0, 0.02, 10, seed), 0.05, Better::Higher);
            assert_eq!(d.verdict, Verdict::Unchanged, "seed {seed}: {d:?}");
        }
    }

    #[test]
    fn a_five_percent_slowdown_is_detected_as_regressed() {
        let mut detected = 0;
        for seed in 0..200 {
            if decide(&series(0.95, 0.02, 10, seed), 0.05, Better::Higher).verdict
                == Verdict::Regressed
            {
                detected += 1;
            }
        }
        assert!(detected >= 190, "detected {detected} of 200");
    }

    #[test]
    fn a_five_percent_speedup_is_improved_and_never_regressed() {
        for seed in 0..100 {
            let d = decide(&series(1.06, 0.02, 10, seed), 0.05, Better::Higher);
            assert_ne!(d.verdict, Verdict::Regressed, "seed {seed}: {d:?}");
        }
        let d = decide(&series(1.08, 0.01, 10, 1), 0.05, Better::Higher);
        assert_eq!(d.verdict, Verdict::Improved, "{d:?}");
    }

    #[test]
    fn heavy_noise_without_a_shift_rarely_claims_a_change_and_is_mostly_inconclusive() {
        let (mut alarms, mut inconclusive) = (0, 0);
        for seed in 0..400 {
            match decide(&series(1.0, 0.30, 10, seed), 0.05, Better::Higher).verdict {
                Verdict::Regressed | Verdict::Improved => alarms += 1,
                Verdict::Inconclusive => inconclusive += 1,
                Verdict::Unchanged => {}
            }
        }
        // The interval's coverage is 97.9%: about 2% of pure-noise series look shifted.
        assert!(alarms <= 16, "{alarms} false alarms of 400");
        assert!(inconclusive >= 300, "{inconclusive} inconclusive of 400");
    }

    #[test]
    fn ten_rounds_give_the_second_to_ninth_order_statistics() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(median_interval(&values), (2.0, 9.0));
        let five: Vec<f64> = (1..=5).map(f64::from).collect();
        assert_eq!(median_interval(&five), (1.0, 5.0));
    }

    #[test]
    fn for_cpu_per_request_a_higher_ratio_is_the_regression() {
        let d = decide(&series(1.06, 0.01, 10, 3), 0.05, Better::Lower);
        assert_eq!(d.verdict, Verdict::Regressed, "{d:?}");
        assert!((d.change_pct - 6.0).abs() < 1.0, "{d:?}");
    }

    #[test]
    fn too_few_rounds_or_broken_ratios_are_inconclusive() {
        assert_eq!(
            decide(&[0.5, 0.5], 0.05, Better::Higher).verdict,
            Verdict::Inconclusive
        );
        assert_eq!(
            decide(&[1.0, f64::NAN, 1.0, 1.0], 0.05, Better::Higher).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn the_same_rounds_always_give_the_same_interval() {
        let s = series(0.97, 0.05, 12, 9);
        assert_eq!(
            decide(&s, 0.05, Better::Higher),
            decide(&s, 0.05, Better::Higher)
        );
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
