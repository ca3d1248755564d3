//! Which rounds to trust. A duet ratio means something only when the servers were the
//! bottleneck and got the same CPU: a busy client caps both sides alike and hides a change,
//! and a side that got less CPU looks slower for a reason that is not its code.

use serde::Serialize;

use super::duet::RoundFigures;
use crate::results::INVALID_ERROR_RATIO;

/// Client CPU busy (over the whole client set) from which the client limited the round.
pub const CLIENT_BOUND_FROM: f64 = 0.9;
/// Largest spread of the servers' CPU shares, (max - min) / max, in a fair round.
pub const UNEQUAL_CPU_ABOVE: f64 = 0.05;
/// Share of a comparison's rounds that may be discarded before its verdict is inconclusive.
pub const MOST_DISCARDED: f64 = 0.25;

/// Why a round was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Discard {
    /// The load clients were at least 90% busy: they, not the servers, set the pace.
    ClientBound,
    /// The servers' CPU shares differed by more than 5%.
    UnequalCpu,
    /// A side failed more requests than a valid run may.
    Errors,
}

impl Discard {
    /// Words for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientBound => "client-bound",
            Self::UnequalCpu => "unequal CPU",
            Self::Errors => "errors",
        }
    }
}

/// The first reason to leave `round` out, if any.
pub fn screen(round: &RoundFigures) -> Option<Discard> {
    if round.sides().any(|s| s.error_ratio > INVALID_ERROR_RATIO) {
        return Some(Discard::Errors);
    }
    if round.client_cpu_busy >= CLIENT_BOUND_FROM {
        return Some(Discard::ClientBound);
    }
    if cpu_spread(round) > UNEQUAL_CPU_ABOVE {
        return Some(Discard::UnequalCpu);
    }
    None
}

/// (max - min) / max of the servers' CPU shares in the round.
pub fn cpu_spread(round: &RoundFigures) -> f64 {
    let (lo, hi) = round
        .sides()
        .map(|s| s.cpu_busy)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), b| {
            (lo.min(b), hi.max(b))
        });
    if hi > 0.0 { (hi - lo) / hi } else { 1.0 }
}

/// Counts of discarded rounds by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiscardCounts {
    /// Rounds run.
    pub attempted: usize,
    /// Left out because the client was busy.
    pub client_bound: usize,
    /// Left out because the servers got unequal CPU.
    pub unequal_cpu: usize,
    /// Left out because of request errors.
    pub errors: usize,
}

impl DiscardCounts {
    /// Counts one round.
    pub fn add(&mut self, discard: Option<Discard>) {
        self.attempted += 1;
        match discard {
            Some(Discard::ClientBound) => self.client_bound += 1,
            Some(Discard::UnequalCpu) => self.unequal_cpu += 1,
            Some(Discard::Errors) => self.errors += 1,
            None => {}
        }
    }

    /// Rounds left out.
    pub fn discarded(&self) -> usize {
        self.client_bound + self.unequal_cpu + self.errors
    }

    /// Why the verdict cannot stand, when more than a quarter of the rounds were left out.
    pub fn too_many(&self) -> Option<String> {
        let discarded = self.discarded();
        (self.attempted > 0 && discarded as f64 > MOST_DISCARDED * self.attempted as f64).then(
            || {
                format!(
                    "{discarded} of {} rounds discarded ({})",
                    self.attempted,
                    self.reasons()
                )
            },
        )
    }

    /// "2 client-bound, 1 unequal CPU", or "none".
    pub fn reasons(&self) -> String {
        let parts: Vec<String> = [
            (self.client_bound, Discard::ClientBound),
            (self.unequal_cpu, Discard::UnequalCpu),
            (self.errors, Discard::Errors),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, d)| format!("{n} {}", d.as_str()))
        .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::duet::SideFigures;

    fn round(busy: [f64; 2], client: f64, error_ratio: f64) -> RoundFigures {
        let side = |cpu_busy| SideFigures {
            rps: 1000.0,
            cpu_us_per_request: 10.0,
            cpu_busy,
            errors: 0,
            error_ratio,
        };
        RoundFigures {
            head_first: false,
            base: side(busy[0]),
            head: side(busy[1]),
            control: None,
            client_cpu_busy: client,
        }
    }

    #[test]
    fn a_fair_server_bound_round_is_kept() {
        assert_eq!(screen(&round([0.49, 0.50], 0.6, 0.0)), None);
    }

    #[test]
    fn a_busy_client_set_discards_the_round() {
        assert_eq!(
            screen(&round([0.5, 0.5], 0.93, 0.0)),
            Some(Discard::ClientBound)
        );
    }

    #[test]
    fn sides_more_than_five_percent_apart_in_cpu_are_unequal() {
        assert_eq!(
            screen(&round([0.45, 0.50], 0.5, 0.0)),
            Some(Discard::UnequalCpu)
        );
        assert!((cpu_spread(&round([0.45, 0.50], 0.5, 0.0)) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn request_errors_discard_the_round() {
        assert_eq!(screen(&round([0.5, 0.5], 0.5, 0.05)), Some(Discard::Errors));
    }

    #[test]
    fn more_than_a_quarter_discarded_is_too_many_and_says_why() {
        let mut counts = DiscardCounts::default();
        for d in [None, None, Some(Discard::ClientBound), None] {
            counts.add(d);
        }
        assert_eq!(counts.too_many(), None);
        counts.add(Some(Discard::UnequalCpu));
        let why = counts.too_many().unwrap_or_default();
        assert!(
            why.contains("2 of 5") && why.contains("1 client-bound, 1 unequal CPU"),
            "{why}"
        );
    }
}
