//! How a duet loads its sides. A closed loop lets each server run as fast as it answers, so
//! requests/s can decide; but on a 2-core runner our client costs about what actix costs per
//! request, and for the fastest targets the clients saturate first: every round is then
//! client-bound and left out, and the gate is blind. Paced, both sides get the same open-loop
//! rate, set below what the clients can send, and server CPU per request decides alone (a
//! server that costs more per request shows it at any load, and both sides see the same one).

use std::str::FromStr;

use serde::Serialize;

use super::duet::RoundFigures;

/// Client CPU busy in a closed-loop calibration round from which `auto` paces the rounds: far
/// enough below [`super::screen::CLIENT_BOUND_FROM`] that noise cannot push closed-loop rounds
/// over it.
pub const PACE_FROM_CLIENT_BUSY: f64 = 0.75;

/// Share of the slower side's calibration rate that `auto` paces at: the clients then run at
/// about 60% of what they could, and each server is well short of saturation.
pub const PACE_FRACTION: f64 = 0.6;

/// How the rounds load each side, as `--pace` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// A closed-loop calibration round first; paced when its clients were busy (default).
    #[default]
    Auto,
    /// Always closed loop: req/s and CPU per request both decide.
    Closed,
    /// Every side at this many requests/s, open loop: CPU per request decides.
    Rate(f64),
}

impl FromStr for Pace {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "closed" => Ok(Self::Closed),
            _ => match s.parse::<f64>() {
                Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(Self::Rate(rate)),
                _ => Err(format!(
                    "--pace takes `auto`, `closed` or a rate in requests/s per side (e.g. 20000), got `{s}`"
                )),
            },
        }
    }
}

/// The rate a duet's rounds run at, and why.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Paced {
    /// Requests/s each side is sent.
    pub rate_per_sec: f64,
    /// The calibration round's client CPU busy, when `auto` chose the pace.
    pub calibration_client_busy: Option<f64>,
    /// The calibration round's slowest side, requests/s, when `auto` chose the pace.
    pub calibration_rps: Option<f64>,
}

impl Paced {
    /// For the progress line and the report: "paced at 21000/s per side (calibration: clients
    /// 96% busy at 35000 req/s)".
    pub fn describe(&self) -> String {
        match (self.calibration_client_busy, self.calibration_rps) {
            (Some(busy), Some(rps)) => format!(
                "paced at {:.0}/s per side ({:.0}% of the calibration round's {rps:.0} req/s, whose clients were {:.0}% busy)",
                self.rate_per_sec,
                PACE_FRACTION * 100.0,
                busy * 100.0
            ),
            _ => format!("paced at {:.0}/s per side (--pace)", self.rate_per_sec),
        }
    }
}

/// What `auto` makes of a closed-loop calibration round: paced at [`PACE_FRACTION`] of its
/// slowest side when its clients were at least [`PACE_FROM_CLIENT_BUSY`] busy, else closed.
pub fn pace_after(calibration: &RoundFigures) -> Option<Paced> {
    let slowest = calibration
        .sides()
        .map(|s| s.rps)
        .fold(f64::INFINITY, f64::min);
    (calibration.client_cpu_busy >= PACE_FROM_CLIENT_BUSY && slowest.is_finite() && slowest > 0.0)
        .then_some(Paced {
            rate_per_sec: PACE_FRACTION * slowest,
            calibration_client_busy: Some(calibration.client_cpu_busy),
            calibration_rps: Some(slowest),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::sequential::test_side;

    fn calibration(client_busy: f64, base_rps: f64, head_rps: f64) -> RoundFigures {
        let side = |rps| super::super::duet::SideFigures {
            rps,
            ..test_side(10.0)
        };
        RoundFigures {
            head_first: false,
            base: side(base_rps),
            head: side(head_rps),
            control: None,
            client_cpu_busy: client_busy,
            paced_rate_per_sec: None,
        }
    }

    #[test]
    fn busy_clients_pace_the_rounds_below_the_slower_side() {
        let paced = pace_after(&calibration(0.96, 40_000.0, 30_000.0)).unwrap();
        assert!((paced.rate_per_sec - 18_000.0).abs() < 1e-6, "{paced:?}");
        assert_eq!(paced.calibration_rps, Some(30_000.0));
        assert!(paced.describe().contains("clients were 96% busy"));
    }

    #[test]
    fn idle_clients_keep_the_closed_loop() {
        assert_eq!(pace_after(&calibration(0.5, 40_000.0, 30_000.0)), None);
    }

    #[test]
    fn a_side_that_served_nothing_keeps_the_closed_loop() {
        assert_eq!(pace_after(&calibration(0.95, 0.0, 30_000.0)), None);
    }

    #[test]
    fn pace_parses_its_words_and_a_positive_rate() {
        assert_eq!("auto".parse::<Pace>(), Ok(Pace::Auto));
        assert_eq!("closed".parse::<Pace>(), Ok(Pace::Closed));
        assert_eq!("2500".parse::<Pace>(), Ok(Pace::Rate(2500.0)));
        for bad in ["0", "-5", "fast", "NaN"] {
            let err = bad.parse::<Pace>().unwrap_err();
            assert!(err.contains("--pace takes"), "{err}");
        }
    }
}
