//! The decision rule of `stampede compare` for one comparison: from per-round head/base ratios,
//! a distribution-free interval of the median ratio (order statistics, i.e. the sign test
//! inverted, with exact binomial coverage) at a confidence level the family step assigns, read
//! against the threshold θ like an equivalence test:
//!
//! - **regressed**: the whole interval lies beyond the threshold on the worse side;
//! - **improved**: the whole interval lies beyond the threshold on the better side;
//! - **unchanged**: the whole interval lies within ±θ;
//! - **inconclusive**: the interval straddles +θ or −θ.
//!
//! A true change of θ/2 is then flagged only when the interval misses the truth, which its
//! coverage bounds; a true change of 2θ is flagged once the interval's half-width is below θ,
//! which the sequential rounds buy (see `family`). Nothing assumes the noise is normal, which
//! on a shared machine it is not.

use serde::Serialize;

/// The verdict for one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Head is confidently worse than the threshold.
    Regressed,
    /// Head is confidently better than the threshold.
    Improved,
    /// Any difference is confidently within the threshold.
    Unchanged,
    /// The interval straddles the threshold: too noisy, or a change close to the threshold.
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

    /// Regressed or improved: a claim that something changed, the error the family controls.
    pub fn is_alarm(self) -> bool {
        matches!(self, Self::Regressed | Self::Improved)
    }

    /// Anything but inconclusive: no more rounds would change what is said.
    pub fn is_decided(self) -> bool {
        self != Self::Inconclusive
    }
}

/// Whether a larger ratio is good (throughput) or bad (CPU per request).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Larger head/base ratios are improvements.
    Higher,
    /// Smaller head/base ratios are improvements.
    Lower,
}

/// An interval of the median ratio with the exact coverage its order statistics give.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// Lower end (0 when the rounds are too few for the level: the interval is unbounded).
    pub low: f64,
    /// Upper end (infinite when too few rounds).
    pub high: f64,
    /// P(interval holds the true median) for continuous noise: 1 - 2 P(B(n, 1/2) < k).
    pub coverage: f64,
}

/// The decision for one metric over the rounds kept.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Decision {
    /// Rounds the decision rests on.
    pub rounds: usize,
    /// Median of head/base ratios.
    pub median_ratio: f64,
    /// (median ratio - 1) in percent.
    pub change_pct: f64,
    /// The interval at the level the family step assigned.
    pub interval: Interval,
    /// Two-sided error level that level came from (family and look shares of α).
    pub level: f64,
    /// Two-sided sign-test p-value of "the median ratio is beyond ±threshold".
    pub p_value: f64,
    /// Smallest change in percent this run would have flagged: the threshold plus the
    /// interval's half-width (a quiet verdict from a noisy run is not evidence).
    pub detectable_pct: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// Decides over `ratios` (head/base, one per kept round) at two-sided error `level` with a
/// threshold such as 0.05. Non-finite or non-positive ratios make it inconclusive.
pub fn decide(ratios: &[f64], threshold: f64, better: Better, level: f64) -> Decision {
    let mut sorted: Vec<f64> = ratios
        .iter()
        .copied()
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    sorted.sort_by(f64::total_cmp);
    let broken = sorted.len() != ratios.len();
    let median_ratio = median_sorted(&sorted).unwrap_or(f64::NAN);
    let interval = median_interval(&sorted, level);
    let verdict = if broken || sorted.is_empty() {
        Verdict::Inconclusive
    } else {
        verdict_of(&interval, threshold, better)
    };
    let half_width_pct = (median_ratio - interval.low).max(interval.high - median_ratio) * 100.0;
    Decision {
        rounds: sorted.len(),
        median_ratio,
        change_pct: (median_ratio - 1.0) * 100.0,
        interval,
        level,
        p_value: if broken {
            1.0
        } else {
            beyond_threshold_p(&sorted, threshold)
        },
        detectable_pct: threshold * 100.0 + half_width_pct,
        verdict,
    }
}

/// The four-way rule on an interval of the head/base ratio.
pub fn verdict_of(interval: &Interval, threshold: f64, better: Better) -> Verdict {
    let (lo, hi) = (interval.low, interval.high);
    let below = hi < 1.0 - threshold;
    let above = lo > 1.0 + threshold;
    match (below, above, better) {
        (true, _, Better::Higher) | (_, true, Better::Lower) => Verdict::Regressed,
        (true, _, Better::Lower) | (_, true, Better::Higher) => Verdict::Improved,
        _ if lo >= 1.0 - threshold && hi <= 1.0 + threshold => Verdict::Unchanged,
        _ => Verdict::Inconclusive,
    }
}

/// Median of values already sorted; `None` when empty.
fn median_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    (n > 0).then(|| {
        if n % 2 == 0 {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        } else {
            sorted[n / 2]
        }
    })
}

/// Median of the values; `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    median_sorted(&sorted)
}

/// How many values to keep off each end, plus one: the largest k <= n/2 with
/// P(B(n, 1/2) <= k - 1) <= level / 2. Zero when even [x(1), x(n)] covers less than 1 - level.
pub fn order_statistic_rank(n: usize, level: f64) -> usize {
    let mut k = 0;
    let mut tail = 0.0;
    for i in 0..n / 2 {
        tail += binomial_half(n, i);
        if tail > level / 2.0 {
            break;
        }
        k = i + 1;
    }
    k
}

/// Interval of the median from order statistics, [x(k), x(n+1-k)], whose coverage for any
/// continuous noise is exactly 1 - 2 P(B(n, 1/2) <= k - 1).
pub fn median_interval(sorted: &[f64], level: f64) -> Interval {
    let n = sorted.len();
    let k = order_statistic_rank(n, level);
    if k == 0 {
        return Interval {
            low: 0.0,
            high: f64::INFINITY,
            coverage: 1.0,
        };
    }
    Interval {
        low: sorted[k - 1],
        high: sorted[n - k],
        coverage: 1.0 - 2.0 * binomial_half_cdf(n, k - 1),
    }
}

/// Two-sided sign-test p-value of "the median ratio lies beyond ±threshold": the rounds
/// below 1 - θ (or above 1 + θ, whichever side has more) against B(n, 1/2), doubled. It is
/// the dual of the interval: p <= level exactly when the interval at `level` lies beyond one
/// side of the threshold, so it orders the comparisons for the Holm step.
pub fn beyond_threshold_p(ratios: &[f64], threshold: f64) -> f64 {
    let n = ratios.len();
    if n == 0 {
        return 1.0;
    }
    let below = ratios.iter().filter(|r| **r < 1.0 - threshold).count();
    let above = ratios.iter().filter(|r| **r > 1.0 + threshold).count();
    let most = below.max(above);
    if most == 0 {
        return 1.0;
    }
    // P(B >= most) = P(B <= n - most) by symmetry.
    (2.0 * binomial_half_cdf(n, n - most)).min(1.0)
}

/// P(B(n, 1/2) = i).
fn binomial_half(n: usize, i: usize) -> f64 {
    // In logs, so that hundreds of rounds neither overflow nor underflow halfway.
    let ln_choose: f64 = (0..i)
        .map(|j| ((n - j) as f64).ln() - ((j + 1) as f64).ln())
        .sum();
    (ln_choose - n as f64 * std::f64::consts::LN_2).exp()
}

/// P(B(n, 1/2) <= k).
pub fn binomial_half_cdf(n: usize, k: usize) -> f64 {
    (0..=k.min(n))
        .map(|i| binomial_half(n, i))
        .sum::<f64>()
        .min(1.0)
}

/// A small seedable generator (SplitMix64) for the tests' synthetic series.
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct SplitMix64(pub(crate) u64);

#[cfg(test)]
impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-300);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// `n` ratios around 1 + `change` with log-normal noise of relative spread `sigma`.
#[cfg(test)]
pub(crate) fn noisy_ratios(change: f64, sigma: f64, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    (0..n)
        .map(|_| (1.0 + change) * (sigma * rng.normal()).exp())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(low: f64, high: f64) -> Interval {
        Interval {
            low,
            high,
            coverage: 0.99,
        }
    }

    #[test]
    fn the_rule_reads_the_whole_interval_against_the_threshold() {
        let t = 0.05;
        let v = |lo, hi| verdict_of(&interval(lo, hi), t, Better::Higher);
        assert_eq!(v(0.85, 0.93), Verdict::Regressed);
        assert_eq!(v(1.07, 1.12), Verdict::Improved);
        assert_eq!(v(0.97, 1.02), Verdict::Unchanged);
        // Straddling -θ: a slowdown of at least θ is plausible, and so is one of less.
        assert_eq!(v(0.90, 0.97), Verdict::Inconclusive);
        // Below 1 and reaching past -θ was "regressed" under the old rule; not any more.
        assert_eq!(v(0.93, 0.99), Verdict::Inconclusive);
        assert_eq!(v(0.90, 1.08), Verdict::Inconclusive);
        // For CPU per request a higher ratio is the regression.
        let cpu = |lo, hi| verdict_of(&interval(lo, hi), t, Better::Lower);
        assert_eq!(cpu(1.07, 1.12), Verdict::Regressed);
        assert_eq!(cpu(0.85, 0.93), Verdict::Improved);
    }

    #[test]
    fn a_true_change_of_half_the_threshold_is_almost_never_flagged() {
        let mut flagged = 0;
        for seed in 0..1000 {
            let d = decide(
                &noisy_ratios(-0.025, 0.03, 16, seed),
                0.05,
                Better::Higher,
                0.01,
            );
            flagged += usize::from(d.verdict.is_alarm());
        }
        // The one-sided miss rate of a 99% interval is 0.5%; allow sampling slack.
        assert!(flagged <= 15, "flagged {flagged} of 1000");
    }

    #[test]
    fn a_true_change_of_twice_the_threshold_is_flagged_with_enough_rounds() {
        let mut flagged = 0;
        for seed in 0..1000 {
            let d = decide(
                &noisy_ratios(-0.10, 0.02, 16, seed),
                0.05,
                Better::Higher,
                0.01,
            );
            flagged += usize::from(d.verdict == Verdict::Regressed);
        }
        assert!(flagged >= 950, "flagged {flagged} of 1000");
    }

    #[test]
    fn quiet_a_to_a_rounds_are_unchanged() {
        for seed in 0..200 {
            let d = decide(
                &noisy_ratios(0.0, 0.01, 12, seed),
                0.05,
                Better::Higher,
                0.01,
            );
            assert_eq!(d.verdict, Verdict::Unchanged, "seed {seed}: {d:?}");
        }
    }

    #[test]
    fn interval_ranks_and_coverage_are_the_exact_binomial_ones() {
        // n = 10, 95%: k = 2 (x(2)..x(9)), coverage 1 - 2 * 11/1024 = 97.85%.
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        let i = median_interval(&ten, 0.05);
        assert_eq!((i.low, i.high), (2.0, 9.0));
        assert!((i.coverage - (1.0 - 22.0 / 1024.0)).abs() < 1e-12, "{i:?}");
        // n = 5 reaches only 93.75% with the full range: no interval at 95%.
        let five: Vec<f64> = (1..=5).map(f64::from).collect();
        assert_eq!(order_statistic_rank(5, 0.05), 0);
        assert_eq!(median_interval(&five, 0.05).high, f64::INFINITY);
        assert_eq!(order_statistic_rank(5, 0.0625), 1);
        // n = 16 at 0.5%: P(B <= 2) = 137/65536 = 0.0021 <= 0.0025, P(B <= 3) is not.
        assert_eq!(order_statistic_rank(16, 0.005), 3);
    }

    #[test]
    fn too_few_rounds_for_the_level_are_inconclusive_not_unchanged() {
        let d = decide(&[1.0, 1.001, 0.999, 1.0], 0.05, Better::Higher, 0.01);
        assert_eq!(d.verdict, Verdict::Inconclusive, "{d:?}");
        assert!(d.detectable_pct.is_infinite(), "{d:?}");
        let broken = decide(&[1.0, f64::NAN, 1.0, 1.0], 0.05, Better::Higher, 0.5);
        assert_eq!(broken.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn the_p_value_agrees_with_the_interval_at_every_level() {
        for seed in 0..300 {
            let mut r = noisy_ratios(-0.06, 0.03, 8 + (seed as usize % 17), seed);
            r.sort_by(f64::total_cmp);
            let p = beyond_threshold_p(&r, 0.05);
            for level in [0.001, 0.005, 0.0125, 0.05, 0.1] {
                let alarm =
                    verdict_of(&median_interval(&r, level), 0.05, Better::Higher).is_alarm();
                assert_eq!(alarm, p <= level, "seed {seed} level {level} p {p}");
            }
        }
    }

    #[test]
    fn the_detectable_change_is_the_threshold_plus_the_half_width() {
        let r: Vec<f64> = (0..10).map(|i| 0.96 + 0.01 * f64::from(i)).collect();
        let d = decide(&r, 0.05, Better::Higher, 0.05);
        // Median 1.005, interval x(2)..x(9) = 0.97..1.04: half-width 3.5 points.
        assert!((d.detectable_pct - 8.5).abs() < 1e-9, "{d:?}");
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn binomial_tails_stay_exact_for_many_rounds() {
        assert!((binomial_half_cdf(10, 1) - 11.0 / 1024.0).abs() < 1e-15);
        assert!((binomial_half_cdf(400, 400) - 1.0).abs() < 1e-9);
        assert!((binomial_half_cdf(400, 200) - 0.5199).abs() < 1e-3);
    }
}
