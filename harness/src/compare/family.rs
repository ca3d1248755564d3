//! Error control over a whole run: every comparison of a run (targets x workloads x metrics)
//! is one family, tested with Holm's step-down at the family level; and the run looks at its
//! data several times (sequential rounds), so α is also split over the planned looks.
//!
//! Looks: a Bonferroni split, α/K at each of the K planned looks. By the union bound the
//! chance of any false alarm at any look is at most Σ α/K = α, whatever the correlation
//! between looks; it is conservative (the looks share rounds) but exact, needs no normal
//! approximation, and a run cut short by the time cap only leaves α unspent.

use serde::Serialize;

use super::decide::{Better, Decision, beyond_threshold_p, decide};

/// Family-wise false-alarm rate a run is held to.
pub const FAMILY_ALPHA: f64 = 0.05;

/// When the run looks at its rounds, and how α is shared between the looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// Rounds per target x workload before the first look.
    pub initial_rounds: usize,
    /// Rounds added before each later look (a multiple of 4 keeps the ABBA order balanced).
    pub step_rounds: usize,
    /// Rounds per target x workload at the last planned look.
    pub max_rounds: usize,
}

impl Schedule {
    /// Planned looks K (the last may hold fewer added rounds).
    pub fn looks(&self) -> usize {
        let after_first = self.max_rounds.saturating_sub(self.initial_rounds);
        1 + after_first.div_ceil(self.step_rounds.max(1))
    }

    /// Rounds attempted by the end of look `look` (0-based).
    pub fn rounds_at(&self, look: usize) -> usize {
        (self.initial_rounds + look * self.step_rounds)
            .min(self.max_rounds.max(self.initial_rounds))
    }

    /// Family-wise α available at each look: α / K.
    pub fn alpha_per_look(&self, alpha: f64) -> f64 {
        alpha / self.looks() as f64
    }
}

/// Holm's step-down at family level `alpha`: the level each comparison is tested at. Sorted
/// by p-value, the i-th smallest (0-based) gets α / (F - i) while every earlier one was
/// rejected; from the first that is not, all the rest get that step's level, which none of
/// them passes (their p-values are larger), so the intervals shown agree with the verdicts.
pub fn holm_levels(p_values: &[f64], alpha: f64) -> Vec<f64> {
    let family = p_values.len();
    let mut order: Vec<usize> = (0..family).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut levels = vec![0.0; family];
    let mut stopped_at = None;
    for (step, &i) in order.iter().enumerate() {
        let level = stopped_at.unwrap_or(alpha / (family - step) as f64);
        levels[i] = level;
        if stopped_at.is_none() && p_values[i] > level {
            stopped_at = Some(level);
        }
    }
    levels
}

/// One comparison's data at a look: head/base ratios of the kept rounds, and which way is good.
#[derive(Clone, Debug)]
pub struct Series<'a> {
    /// Head/base ratios, one per kept round.
    pub ratios: &'a [f64],
    /// Which way is good.
    pub better: Better,
}

/// Decides every comparison of the family at one look, whose share of α is `alpha_look`.
pub fn decide_family(series: &[Series<'_>], threshold: f64, alpha_look: f64) -> Vec<Decision> {
    let p: Vec<f64> = series
        .iter()
        .map(|s| {
            let clean = s.ratios.iter().all(|r| r.is_finite() && *r > 0.0);
            if clean {
                beyond_threshold_p(s.ratios, threshold)
            } else {
                1.0
            }
        })
        .collect();
    holm_levels(&p, alpha_look)
        .into_iter()
        .zip(series)
        .map(|(level, s)| decide(s.ratios, threshold, s.better, level))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::decide::{Verdict, noisy_ratios};

    #[test]
    fn holm_rejects_step_by_step_and_stops_at_the_first_failure() {
        // F = 4, α = 0.05: steps at 0.0125, 0.0167, 0.025, 0.05.
        let levels = holm_levels(&[0.03, 0.001, 0.015, 0.2], 0.05);
        assert_eq!(levels[1], 0.0125); // smallest p, passes
        assert!((levels[2] - 0.05 / 3.0).abs() < 1e-15); // 0.015 <= 0.0167, passes
        assert_eq!(levels[0], 0.025); // 0.03 > 0.025: stops here
        assert_eq!(levels[3], 0.025); // after the stop, the stop's level
        let passed: Vec<bool> = [0.03, 0.001, 0.015, 0.2]
            .iter()
            .zip(&levels)
            .map(|(p, l)| p <= l)
            .collect();
        assert_eq!(passed, [false, true, true, false]);
    }

    #[test]
    fn holm_with_nothing_to_reject_is_bonferroni_for_all() {
        let levels = holm_levels(&[0.5, 0.9, 0.3], 0.06);
        assert!(
            levels.iter().all(|l| (*l - 0.02).abs() < 1e-15),
            "{levels:?}"
        );
    }

    #[test]
    fn holm_is_never_stricter_than_bonferroni_and_rejects_more() {
        // Bonferroni at 0.05 / 2 = 0.025 rejects only the first; Holm also the second.
        let levels = holm_levels(&[0.02, 0.04], 0.05);
        assert_eq!(levels, [0.025, 0.05]);
    }

    #[test]
    fn a_family_of_straddling_and_half_threshold_intervals_raises_no_alarm() {
        let t = 0.05;
        let half = noisy_ratios(-0.025, 0.02, 16, 1);
        let straddle = noisy_ratios(-0.05, 0.02, 16, 2);
        let clear = noisy_ratios(-0.12, 0.01, 16, 3);
        let quiet = noisy_ratios(0.0, 0.01, 16, 4);
        let series = [&half, &straddle, &clear, &quiet].map(|r| Series {
            ratios: r,
            better: Better::Higher,
        });
        let d = decide_family(&series, t, 0.05);
        // Half the threshold may be settled as unchanged or left open, never flagged.
        assert!(!d[0].verdict.is_alarm(), "{:?}", d[0]);
        assert_eq!(d[1].verdict, Verdict::Inconclusive, "{:?}", d[1]);
        assert_eq!(d[2].verdict, Verdict::Regressed, "{:?}", d[2]);
        assert_eq!(d[3].verdict, Verdict::Unchanged, "{:?}", d[3]);
        // The clear regression went first at 0.05/4; the rest were tested at 0.05/3.
        assert_eq!(d[2].level, 0.0125);
        assert!((d[0].level - 0.05 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn the_family_wise_alarm_rate_of_null_families_stays_under_alpha() {
        // 2000 families of 8 null comparisons with heavy-tailed noise (a tenth of the rounds
        // four times as noisy), 16 rounds: a family alarms when any member does.
        let mut family_alarms = 0;
        for seed in 0..2000u64 {
            let data: Vec<Vec<f64>> = (0..8)
                .map(|j| {
                    let mut r = noisy_ratios(0.0, 0.03, 16, seed * 8 + j);
                    let wild = noisy_ratios(0.0, 0.12, 16, 1_000_000 + seed * 8 + j);
                    for (i, x) in r.iter_mut().enumerate() {
                        if i % 10 == 0 {
                            *x = wild[i];
                        }
                    }
                    r
                })
                .collect();
            let series: Vec<Series<'_>> = data
                .iter()
                .map(|r| Series {
                    ratios: r,
                    better: Better::Higher,
                })
                .collect();
            // Threshold 0: every "beyond" claim is false, the harshest case for the family.
            let alarm = decide_family(&series, 0.0, 0.05)
                .iter()
                .any(|d| d.verdict.is_alarm());
            family_alarms += usize::from(alarm);
        }
        assert!(
            family_alarms <= 100,
            "{family_alarms} of 2000 families alarmed"
        );
    }

    #[test]
    fn the_schedule_counts_looks_and_splits_alpha_evenly() {
        let s = Schedule {
            initial_rounds: 8,
            step_rounds: 4,
            max_rounds: 24,
        };
        assert_eq!(s.looks(), 5);
        assert_eq!(s.rounds_at(0), 8);
        assert_eq!(s.rounds_at(4), 24);
        assert_eq!(s.rounds_at(9), 24);
        assert!((s.alpha_per_look(0.05) - 0.01).abs() < 1e-15);
        let uneven = Schedule {
            initial_rounds: 8,
            step_rounds: 4,
            max_rounds: 22,
        };
        assert_eq!((uneven.looks(), uneven.rounds_at(4)), (5, 22));
    }
}
