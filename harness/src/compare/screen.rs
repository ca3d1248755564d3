//! Which rounds to trust. A duet ratio means something only when the servers were the
//! bottleneck and got the same CPU: a busy client caps both sides alike and hides a change,
//! and a side that got less CPU looks slower for a reason that is not its code.

use serde::Serialize;

use super::duet::RoundFigures;
use crate::evidence::INVALID_ERROR_RATIO;

/// Client CPU busy (over the whole client set) from which the client limited the round.
pub const CLIENT_BOUND_FROM: f64 = 0.9;
/// Largest spread of the servers' CPU shares, (max - min) / max, in a fair round.
pub const UNEQUAL_CPU_ABOVE: f64 = 0.05;
/// Share of a comparison's rounds that may be discarded before its verdict is inconclusive.
pub const MOST_DISCARDED: f64 = 0.25;

/// Why a whole round was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Discard {
    /// The load clients were at least 90% busy: they, not the servers, set the pace.
    ClientBound,
    /// A side failed more requests than a valid run may.
    Errors,
}

/// What one round may be used for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Screening {
    /// Why the whole round is left out, if it is.
    pub discarded: Option<Discard>,
    /// Base and head got CPU shares more than 5% apart: their req/s ratio is left out. CPU per
    /// request is a cost per request, which the share does not change, so it stays.
    pub unequal_cpu: bool,
    /// The same for base and the null control.
    pub null_unequal_cpu: bool,
}

impl Screening {
    /// Whether the req/s ratio of head (or, with `null`, of the control) counts.
    pub fn keeps_throughput(&self, null: bool) -> bool {
        self.discarded.is_none()
            && !(if null {
                self.null_unequal_cpu
            } else {
                self.unequal_cpu
            })
    }

    /// Whether the CPU-per-request ratios count.
    pub fn keeps_cpu(&self) -> bool {
        self.discarded.is_none()
    }
}

/// Screens one round.
pub fn screen(round: &RoundFigures) -> Screening {
    // Paced, busy clients are the plan (their limit sets the rate) or say nothing (the open
    // loop's pacer yields through its last microseconds before each send, so it shows busy at
    // any rate); and each server takes the CPU its requests cost, so shares apart are the change
    // itself, while req/s, which an unequal share would bias, is not compared.
    let paced = round.paced.is_some();
    let discarded = if round.sides().any(|s| s.error_ratio > INVALID_ERROR_RATIO) {
        Some(Discard::Errors)
    } else if !paced && round.client_cpu_busy >= CLIENT_BOUND_FROM {
        Some(Discard::ClientBound)
    } else {
        None
    };
    let unequal = |other: f64| !paced && cpu_spread(round.base.cpu_busy, other) > UNEQUAL_CPU_ABOVE;
    Screening {
        discarded,
        unequal_cpu: unequal(round.head.cpu_busy),
        null_unequal_cpu: round.control.is_some_and(|c| unequal(c.cpu_busy)),
    }
}

/// |a - b| / max(a, b): how far apart two CPU shares are.
pub fn cpu_spread(a: f64, b: f64) -> f64 {
    let hi = a.max(b);
    if hi > 0.0 { (a - b).abs() / hi } else { 1.0 }
}

/// Counts of left-out rounds by reason, for one target x workload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiscardCounts {
    /// Rounds run.
    pub attempted: usize,
    /// Whole rounds left out because the client was busy.
    pub client_bound: usize,
    /// Whole rounds left out because of request errors.
    pub errors: usize,
    /// Rounds whose req/s ratio was left out because base and head got unequal CPU.
    pub unequal_cpu: usize,
}

impl DiscardCounts {
    /// Counts one round.
    pub fn add(&mut self, s: &Screening) {
        self.attempted += 1;
        match s.discarded {
            Some(Discard::ClientBound) => self.client_bound += 1,
            Some(Discard::Errors) => self.errors += 1,
            None if s.unequal_cpu => self.unequal_cpu += 1,
            None => {}
        }
    }

    /// Rounds left out of the req/s comparison (whole rounds and unequal CPU).
    pub fn throughput_discarded(&self) -> usize {
        self.client_bound + self.errors + self.unequal_cpu
    }

    /// Rounds left out of the CPU-per-request comparison.
    pub fn cpu_discarded(&self) -> usize {
        self.client_bound + self.errors
    }

    /// Why a metric's verdict cannot stand: more than a quarter of its rounds left out.
    pub fn too_many(&self, throughput: bool) -> Option<String> {
        let discarded = if throughput {
            self.throughput_discarded()
        } else {
            self.cpu_discarded()
        };
        (self.attempted > 0 && discarded as f64 > MOST_DISCARDED * self.attempted as f64).then(
            || {
                format!(
                    "{discarded} of {} rounds discarded: {}",
                    self.attempted,
                    self.reasons(throughput)
                )
            },
        )
    }

    /// "2 client-bound, 1 unequal CPU", or "none".
    pub fn reasons(&self, throughput: bool) -> String {
        let unequal = if throughput { self.unequal_cpu } else { 0 };
        let parts: Vec<String> = [
            (self.client_bound, "client-bound"),
            (self.errors, "errors"),
            (unequal, "unequal CPU"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
        .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }

    /// Whether the gate's own load hid this comparison: more than a quarter of its rounds were
    /// client-bound, a cause the gate controls (unlike errors or a noisy neighbour).
    pub fn blind(&self) -> bool {
        self.attempted > 0 && self.client_bound as f64 > MOST_DISCARDED * self.attempted as f64
    }

    /// Adds another pair's counts.
    pub fn absorb(&mut self, other: &Self) {
        self.attempted += other.attempted;
        self.client_bound += other.client_bound;
        self.errors += other.errors;
        self.unequal_cpu += other.unequal_cpu;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::duet::SideFigures;
    use crate::compare::pace::Paced;

    fn round(busy: [f64; 3], client: f64, error_ratio: f64) -> RoundFigures {
        let side = |cpu_busy| SideFigures {
            rps: 1000.0,
            cpu_us_per_request: 10.0,
            cpu_busy,
            errors: 0,
            error_ratio,
            warm_up: None,
        };
        RoundFigures {
            head_first: false,
            base: side(busy[0]),
            head: side(busy[1]),
            control: Some(side(busy[2])),
            client_cpu_busy: client,
            paced: None,
        }
    }

    #[test]
    fn a_fair_server_bound_round_is_kept_for_both_metrics() {
        let s = screen(&round([0.33, 0.32, 0.33], 0.6, 0.0));
        assert_eq!(s, Screening::default());
        assert!(s.keeps_throughput(false) && s.keeps_throughput(true) && s.keeps_cpu());
    }

    #[test]
    fn a_busy_client_set_discards_the_whole_round() {
        let s = screen(&round([0.33, 0.33, 0.33], 0.93, 0.0));
        assert_eq!(s.discarded, Some(Discard::ClientBound));
        assert!(!s.keeps_cpu() && !s.keeps_throughput(false));
    }

    #[test]
    fn unequal_cpu_drops_only_the_req_per_s_ratio_of_that_pair_of_sides() {
        // Head got 10% less CPU than base; the control got the same as base.
        let s = screen(&round([0.30, 0.27, 0.30], 0.5, 0.0));
        assert!(s.unequal_cpu && !s.null_unequal_cpu, "{s:?}");
        assert!(!s.keeps_throughput(false) && s.keeps_throughput(true) && s.keeps_cpu());
        assert!((cpu_spread(0.30, 0.27) - 0.1).abs() < 1e-12);
    }

    fn paced(mut round: RoundFigures) -> RoundFigures {
        round.paced = Some(Paced::ByClients {
            calibration_rps: 1000.0,
            calibration_client_busy: 0.95,
        });
        round
    }

    #[test]
    fn paced_sides_with_different_cpu_shares_are_not_unequal() {
        // The clients set one rate; head spent 10% more CPU on it: that is the change to see.
        let s = screen(&paced(round([0.30, 0.33, 0.30], 0.5, 0.0)));
        assert!(!s.unequal_cpu && s.keeps_cpu(), "{s:?}");
    }

    #[test]
    fn a_round_paced_by_busy_clients_is_kept_for_cpu_per_request() {
        let s = screen(&paced(round([0.30, 0.30, 0.30], 0.97, 0.0)));
        assert_eq!(s.discarded, None);
        assert!(s.keeps_cpu());
    }

    #[test]
    fn a_paced_round_with_request_errors_is_still_left_out() {
        let s = screen(&paced(round([0.30, 0.30, 0.30], 0.5, 0.05)));
        assert_eq!(s.discarded, Some(Discard::Errors));
    }

    #[test]
    fn request_errors_discard_the_whole_round() {
        let s = screen(&round([0.33, 0.33, 0.33], 0.5, 0.05));
        assert_eq!(s.discarded, Some(Discard::Errors));
    }

    #[test]
    fn more_than_a_quarter_discarded_is_too_many_for_that_metric_and_says_why() {
        let mut counts = DiscardCounts::default();
        let unequal = Screening {
            unequal_cpu: true,
            ..Screening::default()
        };
        let busy = Screening {
            discarded: Some(Discard::ClientBound),
            ..Screening::default()
        };
        for _ in 0..6 {
            counts.add(&Screening::default());
        }
        counts.add(&busy);
        counts.add(&unequal);
        // 2 of 8 is a quarter, not more.
        assert_eq!(counts.too_many(true), None);
        counts.add(&unequal);
        assert_eq!(counts.too_many(false), None, "CPU per request lost 1 of 9");
        let why = counts.too_many(true).unwrap_or_default();
        assert!(
            why.contains("3 of 9") && why.contains("1 client-bound, 2 unequal CPU"),
            "{why}"
        );
    }
}
