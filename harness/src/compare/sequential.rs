//! Sequential rounds over every target x workload of a run: a few rounds each, then a look at
//! the whole family; more rounds only for the comparisons still inconclusive, until every one
//! is decided, the planned looks are spent, or the time cap is near. A verdict, once reached,
//! stands (each look is tested at its own share of α, see `family`).

use std::time::Duration;

use serde::Serialize;

use super::decide::{Better, Decision, Verdict, decide};
use super::duet::RoundFigures;
use super::family::{Schedule, Series, decide_family};
use super::screen::{DiscardCounts, Screening, screen};

/// How the run decides and when it stops.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SequentialOptions {
    /// Looks and rounds.
    pub schedule: Schedule,
    /// Relative change that matters, e.g. 0.05.
    pub threshold: f64,
    /// Family-wise false-alarm rate.
    pub alpha: f64,
    /// No round starts when the rounds so far and the next block would pass this.
    #[serde(serialize_with = "seconds")]
    pub max_time: Duration,
    /// Whether rounds carry a null control.
    pub null_control: bool,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// One round as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RoundRecord {
    /// What it measured.
    #[serde(flatten)]
    pub figures: RoundFigures,
    /// What it may be used for.
    pub screening: Screening,
}

/// Throughput and CPU per request of one target x workload.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MetricPair {
    /// Requests/s, head over base (higher is better).
    pub throughput: Decision,
    /// Server CPU per request, head over base (lower is better).
    pub cpu_per_request: Decision,
}

/// Where the rounds stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundsEnd {
    /// Every comparison was decided.
    AllDecided,
    /// The planned looks were spent.
    MaxRounds,
    /// The next rounds would not have fit in `--max-time`.
    TimeCap,
}

/// What the rounds of one target x workload came to.
#[derive(Clone, Debug, Serialize)]
pub struct PairOutcome {
    /// Every round, kept or not.
    pub rounds: Vec<RoundRecord>,
    /// The gate's decisions.
    pub decisions: MetricPair,
    /// The null control's decisions (base against itself), when it ran.
    pub null_control: Option<MetricPair>,
    /// Rounds left out, by reason.
    pub discards: DiscardCounts,
    /// Why the req/s decision cannot stand, if it cannot.
    pub throughput_note: Option<String>,
    /// Why the CPU-per-request decision cannot stand, if it cannot.
    pub cpu_note: Option<String>,
    /// The combined verdict.
    pub verdict: Verdict,
}

/// What the whole sequence came to.
#[derive(Clone, Debug, Serialize)]
pub struct SequenceOutcome {
    /// One per target x workload, in the order given.
    pub pairs: Vec<PairOutcome>,
    /// Looks taken.
    pub looks_used: usize,
    /// Why the rounds stopped.
    pub stop: RoundsEnd,
}

/// Regressed if either metric regressed; improved if either improved and none regressed;
/// unchanged only if both are.
pub fn combine(a: Verdict, b: Verdict) -> Verdict {
    use Verdict::{Improved, Inconclusive, Regressed, Unchanged};
    match (a, b) {
        (Regressed, _) | (_, Regressed) => Regressed,
        (Improved, _) | (_, Improved) => Improved,
        (Unchanged, Unchanged) => Unchanged,
        _ => Inconclusive,
    }
}

/// Whether a pair's rounds were paced: all of a pair's rounds are, or none.
fn is_paced(rounds: &[RoundRecord]) -> bool {
    rounds.first().is_some_and(|r| r.figures.paced.is_some())
}

/// Which comparisons (per pair, req/s then CPU per request) are in the family: a paced pair's
/// req/s is the pace's, so it has CPU per request alone.
fn in_family(pairs: &[Vec<RoundRecord>]) -> Vec<bool> {
    pairs
        .iter()
        .flat_map(|rounds| [!is_paced(rounds), true])
        .collect()
}

/// Whether a member of the family still has no verdict kept.
fn undecided(kept: &[Option<Decision>], in_family: &[bool]) -> bool {
    kept.iter()
        .zip(in_family)
        .any(|(kept, &member)| member && kept.is_none())
}

/// Kept ratios of each comparison: per pair, req/s then CPU per request, of the gate
/// (`null` false) or of the null control.
fn series_of(pairs: &[Vec<RoundRecord>], null: bool) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(2 * pairs.len());
    for rounds in pairs {
        let (mut throughput, mut cpu) = (Vec::new(), Vec::new());
        for r in rounds {
            let f = &r.figures;
            let (t, c) = if null {
                (f.null_throughput_ratio(), f.null_cpu_ratio())
            } else {
                (Some(f.throughput_ratio()), Some(f.cpu_ratio()))
            };
            if let Some(t) = t.filter(|_| r.screening.keeps_throughput(null)) {
                throughput.push(t);
            }
            if let Some(c) = c.filter(|_| r.screening.keeps_cpu()) {
                cpu.push(c);
            }
        }
        out.push(throughput);
        out.push(cpu);
    }
    out
}

/// Per comparison (req/s then CPU, per pair): why its verdict cannot stand, if too many of its
/// rounds were left out.
fn blocked(pairs: &[Vec<RoundRecord>]) -> Vec<Option<String>> {
    pairs
        .iter()
        .flat_map(|rounds| {
            let counts = count(rounds);
            [counts.too_many(true), counts.too_many(false)]
        })
        .collect()
}

fn count(rounds: &[RoundRecord]) -> DiscardCounts {
    let mut counts = DiscardCounts::default();
    for r in rounds {
        counts.add(&r.screening);
    }
    counts
}

/// Decides the family at one look, keeping verdicts already reached. A comparison with too
/// many rounds left out is inconclusive, whatever its interval says, and stays open; one not
/// `in_family` is not decided (inconclusive over no rounds) and costs the others no α.
fn look(
    ratios: &[Vec<f64>],
    in_family: &[bool],
    blocked: &[Option<String>],
    threshold: f64,
    alpha_look: f64,
    kept: &mut [Option<Decision>],
) -> Vec<Decision> {
    let better = |i: usize| {
        if i % 2 == 0 {
            Better::Higher
        } else {
            Better::Lower
        }
    };
    let members: Vec<usize> = (0..ratios.len()).filter(|&i| in_family[i]).collect();
    let series: Vec<Series<'_>> = members
        .iter()
        .map(|&i| Series {
            ratios: &ratios[i],
            better: better(i),
        })
        .collect();
    let mut decided = decide_family(&series, threshold, alpha_look).into_iter();
    let now: Vec<Decision> = (0..ratios.len())
        .map(|i| {
            let outside = || decide(&[], threshold, better(i), alpha_look);
            if in_family[i] {
                decided.next().unwrap_or_else(outside)
            } else {
                outside()
            }
        })
        .collect();
    now.into_iter()
        .zip(kept.iter_mut())
        .zip(blocked)
        .map(|((mut d, kept), blocked)| {
            if blocked.is_some() {
                d.verdict = Verdict::Inconclusive;
                *kept = None;
            }
            if kept.is_none() && d.verdict.is_decided() {
                *kept = Some(d);
            }
            kept.unwrap_or(d)
        })
        .collect()
}

/// Runs the sequence over `pairs` target x workloads. `round(pair, n)` runs round `n` of
/// `pair`; `elapsed()` tells the time since the rounds began.
pub fn run_sequence<E>(
    pairs: usize,
    options: &SequentialOptions,
    mut round: impl FnMut(usize, usize) -> Result<RoundFigures, E>,
    mut elapsed: impl FnMut() -> Duration,
) -> Result<SequenceOutcome, E> {
    let schedule = options.schedule;
    let alpha_look = schedule.alpha_per_look(options.alpha);
    let mut rounds: Vec<Vec<RoundRecord>> = vec![Vec::new(); pairs];
    let mut kept_main: Vec<Option<Decision>> = vec![None; 2 * pairs];
    let mut kept_null: Vec<Option<Decision>> = vec![None; 2 * pairs];
    let (mut main, mut null) = (Vec::new(), Vec::new());
    let mut stop = RoundsEnd::MaxRounds;
    let mut looks_used = 0;
    let mut round_seconds: Option<f64> = None;
    'looks: for look_index in 0..schedule.looks() {
        let open: Vec<usize> = (0..pairs)
            .filter(|&p| undecided(&kept_main[2 * p..2 * p + 2], &in_family(&rounds[p..=p])))
            .collect();
        if open.is_empty() {
            stop = RoundsEnd::AllDecided;
            break;
        }
        let target = schedule.rounds_at(look_index);
        for &p in &open {
            let block = target.saturating_sub(rounds[p].len());
            if look_index > 0
                && let Some(each) = round_seconds
            {
                let next = elapsed().as_secs_f64() + block as f64 * each;
                if next > options.max_time.as_secs_f64() {
                    stop = RoundsEnd::TimeCap;
                    if p == open[0] {
                        break 'looks;
                    }
                    break;
                }
            }
            while rounds[p].len() < target {
                let figures = round(p, rounds[p].len())?;
                rounds[p].push(RoundRecord {
                    screening: screen(&figures),
                    figures,
                });
            }
            let total: usize = rounds.iter().map(Vec::len).sum();
            round_seconds = Some(elapsed().as_secs_f64() / total.max(1) as f64);
        }
        looks_used = look_index + 1;
        let blocked = blocked(&rounds);
        let family = in_family(&rounds);
        main = look(
            &series_of(&rounds, false),
            &family,
            &blocked,
            options.threshold,
            alpha_look,
            &mut kept_main,
        );
        if options.null_control {
            null = look(
                &series_of(&rounds, true),
                &family,
                &vec![None; blocked.len()],
                options.threshold,
                alpha_look,
                &mut kept_null,
            );
        }
        if stop == RoundsEnd::TimeCap {
            break;
        }
    }
    if !undecided(&kept_main, &in_family(&rounds)) {
        stop = RoundsEnd::AllDecided;
    }
    let outcomes = rounds
        .into_iter()
        .enumerate()
        .map(|(p, rounds)| {
            let discards = count(&rounds);
            let decisions = MetricPair {
                throughput: main[2 * p],
                cpu_per_request: main[2 * p + 1],
            };
            let verdict = if is_paced(&rounds) {
                decisions.cpu_per_request.verdict
            } else {
                combine(
                    decisions.throughput.verdict,
                    decisions.cpu_per_request.verdict,
                )
            };
            PairOutcome {
                rounds,
                decisions,
                null_control: (options.null_control && !null.is_empty()).then(|| MetricPair {
                    throughput: null[2 * p],
                    cpu_per_request: null[2 * p + 1],
                }),
                discards,
                throughput_note: discards.too_many(true),
                cpu_note: discards.too_many(false),
                verdict,
            }
        })
        .collect();
    Ok(SequenceOutcome {
        pairs: outcomes,
        looks_used,
        stop,
    })
}

/// Options for tests: looks at 8, 12, ... 24 rounds of a 5% threshold, no time cap to speak of.
#[cfg(test)]
pub(crate) fn test_options(null_control: bool) -> SequentialOptions {
    SequentialOptions {
        schedule: Schedule {
            initial_rounds: 8,
            step_rounds: 4,
            max_rounds: 24,
        },
        threshold: 0.05,
        alpha: super::family::FAMILY_ALPHA,
        max_time: Duration::from_secs(3600),
        null_control,
    }
}

/// One side of a test round at `cpu_us` CPU per request, the servers sharing the CPU equally.
#[cfg(test)]
pub(crate) fn test_side(cpu_us: f64) -> super::duet::SideFigures {
    super::duet::SideFigures {
        rps: 1e6 / cpu_us / 3.0,
        cpu_us_per_request: cpu_us,
        cpu_busy: 0.33,
        errors: 0,
        error_ratio: 0.0,
        warm_up: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::decide::SplitMix64;

    /// A synthetic round: head's CPU per request is (1 + change) times base's, the servers
    /// share the CPU equally, and both ratios carry log-normal noise `sigma`.
    fn synthetic(change: f64, sigma: f64, rng: &mut SplitMix64) -> RoundFigures {
        let noise = |rng: &mut SplitMix64| (sigma * rng.normal()).exp();
        RoundFigures {
            head_first: false,
            base: test_side(10.0),
            head: test_side(10.0 * (1.0 + change) * noise(rng)),
            control: Some(test_side(10.0 * noise(rng))),
            client_cpu_busy: 0.4,
            paced: None,
        }
    }

    fn run(changes: &[f64], sigma: f64, seed: u64) -> (SequenceOutcome, usize) {
        let mut rng = SplitMix64(seed);
        let mut count = 0;
        let outcome = run_sequence::<()>(
            changes.len(),
            &test_options(true),
            |p, _| {
                count += 1;
                Ok(synthetic(changes[p], sigma, &mut rng))
            },
            || Duration::ZERO,
        )
        .unwrap_or_else(|()| unreachable!());
        (outcome, count)
    }

    #[test]
    fn a_quiet_a_to_a_run_stops_early_with_everything_unchanged() {
        let (outcome, rounds) = run(&[0.0, 0.0], 0.005, 7);
        assert_eq!(outcome.stop, RoundsEnd::AllDecided);
        assert!(rounds < 2 * 24, "{rounds} rounds");
        for p in &outcome.pairs {
            assert_eq!(p.verdict, Verdict::Unchanged, "{p:?}");
            assert!(p.null_control.is_some());
        }
    }

    #[test]
    fn a_paced_pair_is_decided_on_cpu_per_request_alone() {
        // Paced, both sides serve the same rate: req/s ratios of 1 say nothing, and a 10%
        // rise in CPU per request is the regression. Busy clients do not discard a paced round.
        let mut rng = SplitMix64(5);
        let outcome = run_sequence::<()>(
            1,
            &test_options(false),
            |_, _| {
                let mut round = synthetic(0.10, 0.01, &mut rng);
                round.head.rps = round.base.rps;
                round.client_cpu_busy = 0.97;
                round.paced = Some(crate::compare::pace::Paced::Rate {
                    rate_per_sec: round.base.rps,
                });
                Ok(round)
            },
            || Duration::ZERO,
        )
        .unwrap_or_else(|()| unreachable!());
        let pair = &outcome.pairs[0];
        assert_eq!(pair.verdict, Verdict::Regressed, "{pair:?}");
        assert_eq!(pair.decisions.throughput.rounds, 0);
        assert_eq!(pair.decisions.throughput.verdict, Verdict::Inconclusive);
        // Decided at the first look: the undecidable req/s kept no pair open.
        assert_eq!(outcome.stop, RoundsEnd::AllDecided);
        assert_eq!(pair.rounds.len(), 8);
    }

    #[test]
    fn only_inconclusive_pairs_get_more_rounds() {
        // Pair 0 is quiet; pair 1 sits at the threshold, which no interval can settle.
        let (outcome, _) = run(&[0.0, 0.05], 0.01, 3);
        assert!(outcome.pairs[0].rounds.len() < outcome.pairs[1].rounds.len());
        assert_eq!(outcome.pairs[1].rounds.len(), 24);
        assert_eq!(outcome.stop, RoundsEnd::MaxRounds);
        assert_eq!(outcome.looks_used, 5);
    }

    #[test]
    fn a_regression_of_twice_the_threshold_is_regressed_and_half_is_not() {
        let mut flagged_double = 0;
        let mut flagged_half = 0;
        for seed in 0..40 {
            let (outcome, _) = run(&[0.10, 0.025], 0.03, seed);
            flagged_double += usize::from(outcome.pairs[0].verdict == Verdict::Regressed);
            flagged_half += usize::from(outcome.pairs[1].verdict.is_alarm());
        }
        assert!(flagged_double >= 38, "2x flagged in {flagged_double} of 40");
        assert!(flagged_half <= 2, "x/2 flagged in {flagged_half} of 40");
    }

    #[test]
    fn the_time_cap_stops_adding_rounds_after_the_first_look() {
        let mut rng = SplitMix64(1);
        let ran = std::cell::Cell::new(0u64);
        let outcome = run_sequence::<()>(
            1,
            &SequentialOptions {
                max_time: Duration::from_secs(30),
                ..test_options(false)
            },
            |_, _| {
                ran.set(ran.get() + 1);
                Ok(synthetic(0.05, 0.02, &mut rng))
            },
            // Every round takes 3 s: 8 rounds (24 s) fit, 4 more (36 s) do not.
            || Duration::from_secs(3 * ran.get()),
        )
        .unwrap_or_else(|()| unreachable!());
        assert_eq!(outcome.stop, RoundsEnd::TimeCap);
        assert_eq!(outcome.pairs[0].rounds.len(), 8);
        assert_eq!(outcome.looks_used, 1);
        assert!(outcome.pairs[0].null_control.is_none());
    }

    #[test]
    fn rounds_with_a_busy_client_are_left_out_and_too_many_make_it_inconclusive() {
        let mut rng = SplitMix64(5);
        let outcome = run_sequence::<()>(
            1,
            &test_options(false),
            |_, n| {
                let mut r = synthetic(0.15, 0.01, &mut rng);
                if n % 3 == 0 {
                    r.client_cpu_busy = 0.97;
                }
                Ok(r)
            },
            || Duration::ZERO,
        )
        .unwrap_or_else(|()| unreachable!());
        let pair = &outcome.pairs[0];
        assert!(pair.discards.client_bound >= 3, "{:?}", pair.discards);
        assert_eq!(
            pair.decisions.cpu_per_request.rounds,
            pair.rounds.len() - pair.discards.cpu_discarded()
        );
        assert_eq!(pair.verdict, Verdict::Inconclusive);
        assert!(
            pair.cpu_note
                .as_deref()
                .unwrap_or("")
                .contains("client-bound"),
            "{pair:?}"
        );
    }

    #[test]
    fn unequal_cpu_leaves_req_per_s_open_while_cpu_per_request_decides() {
        let mut rng = SplitMix64(9);
        let outcome = run_sequence::<()>(
            1,
            &test_options(false),
            |_, _| {
                let mut r = synthetic(0.15, 0.01, &mut rng);
                r.head.cpu_busy = 0.25;
                Ok(r)
            },
            || Duration::ZERO,
        )
        .unwrap_or_else(|()| unreachable!());
        let pair = &outcome.pairs[0];
        assert_eq!(pair.decisions.throughput.verdict, Verdict::Inconclusive);
        assert!(pair.throughput_note.is_some() && pair.cpu_note.is_none());
        assert_eq!(pair.decisions.cpu_per_request.verdict, Verdict::Regressed);
        assert_eq!(pair.verdict, Verdict::Regressed);
    }

    #[test]
    fn any_regression_wins_and_unchanged_needs_both() {
        use Verdict::*;
        assert_eq!(combine(Regressed, Improved), Regressed);
        assert_eq!(combine(Unchanged, Regressed), Regressed);
        assert_eq!(combine(Improved, Unchanged), Improved);
        assert_eq!(combine(Unchanged, Unchanged), Unchanged);
        assert_eq!(combine(Unchanged, Inconclusive), Inconclusive);
    }
}
