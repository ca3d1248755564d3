//! How a duet loads its sides. A closed loop lets each server run as fast as it answers, so
//! requests/s can decide; but on a 2-core runner our client costs about what actix costs per
//! request, and for the fastest targets the clients saturate first. Their rounds used to be left
//! out as client-bound, and the gate was blind there (issue 30). `auto` now calibrates: when a
//! closed-loop round's clients were busy, the clients set the rate of every round, both sides
//! alike, and server CPU per request decides alone (a server that costs more per request shows
//! it at any load both sides share; req/s is then the clients' and leaves the family).
//!
//! Why not an open loop below the clients' limit: the open loop's precise pacer yields through
//! the last microseconds before each send, so its clients show 100% busy at any rate and cannot
//! tell a calibration anything; and at a low rate each request pays its own wake-ups (actix
//! plaintext: 15.9 µs of server CPU per request at 11,800/s against 5.5 µs saturated), which
//! dilutes a change of the handler's cost by three. A fixed rate stays available (`--pace RATE`).

use std::str::FromStr;

use serde::Serialize;

use super::duet::RoundFigures;

/// Client CPU busy in the closed-loop calibration round from which `auto` lets the clients set
/// the rate: far enough below [`super::screen::CLIENT_BOUND_FROM`] that noise cannot push
/// counted closed-loop rounds over it.
pub const PACE_FROM_CLIENT_BUSY: f64 = 0.75;

/// How the rounds load each side, as `--pace` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// A closed-loop calibration round first; its clients busy, they set the rate (default).
    #[default]
    Auto,
    /// Always closed loop, client-bound rounds left out: req/s and CPU per request decide.
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

/// Rounds whose request rate is not the servers' own: req/s is not compared and server CPU per
/// request decides alone.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Paced {
    /// Closed loop at the clients' limit, as the calibration round found it.
    ByClients {
        /// The calibration round's slowest side, requests/s.
        calibration_rps: f64,
        /// The calibration round's client CPU busy.
        calibration_client_busy: f64,
    },
    /// Open loop at a rate given with `--pace`.
    Rate {
        /// Requests/s each side is sent.
        rate_per_sec: f64,
    },
}

impl Paced {
    /// The open-loop rate each side is sent, if any.
    pub fn rate_per_sec(&self) -> Option<f64> {
        match self {
            Self::Rate { rate_per_sec } => Some(*rate_per_sec),
            Self::ByClients { .. } => None,
        }
    }

    /// For the progress line and the report.
    pub fn describe(&self) -> String {
        match self {
            Self::ByClients {
                calibration_rps,
                calibration_client_busy,
            } => format!(
                "the load clients set the rate (calibration round: {:.0}% busy at {calibration_rps:.0} req/s)",
                calibration_client_busy * 100.0
            ),
            Self::Rate { rate_per_sec } => {
                format!("paced at {rate_per_sec:.0}/s per side (--pace)")
            }
        }
    }
}

/// What `auto` makes of the closed-loop calibration round: the clients set the rate when they
/// were at least [`PACE_FROM_CLIENT_BUSY`] busy, else the servers do (`None`).
pub fn after_calibration(closed: &RoundFigures) -> Option<Paced> {
    let slowest = closed.sides().map(|s| s.rps).fold(f64::INFINITY, f64::min);
    (closed.client_cpu_busy >= PACE_FROM_CLIENT_BUSY && slowest.is_finite()).then_some(
        Paced::ByClients {
            calibration_rps: slowest,
            calibration_client_busy: closed.client_cpu_busy,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::sequential::test_side;

    fn calibration(client_busy: f64) -> RoundFigures {
        let side = |rps| super::super::duet::SideFigures {
            rps,
            ..test_side(10.0)
        };
        RoundFigures {
            head_first: false,
            base: side(40_000.0),
            head: side(30_000.0),
            control: None,
            client_cpu_busy: client_busy,
            paced: None,
        }
    }

    #[test]
    fn busy_clients_in_the_calibration_round_set_the_rate() {
        let paced = after_calibration(&calibration(0.94)).unwrap();
        assert_eq!(
            paced,
            Paced::ByClients {
                calibration_rps: 30_000.0,
                calibration_client_busy: 0.94
            }
        );
        assert_eq!(paced.rate_per_sec(), None);
        assert!(
            paced.describe().contains("94% busy at 30000 req/s"),
            "{}",
            paced.describe()
        );
    }

    #[test]
    fn clients_with_room_leave_the_rate_to_the_servers() {
        assert_eq!(after_calibration(&calibration(0.7)), None);
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
