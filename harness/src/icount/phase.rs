//! The phases of a counted run: sequential keep-alive round trips on one connection, and how
//! many of them a phase gets — its catalog count, cut short for heavy requests so that a
//! 2M-instruction hash request does not get the thousands of repetitions a 20k-instruction
//! plaintext request needs.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::IcountError;
use super::idle::wait_until_asleep;
use super::script::Script;
use super::valgrind::Callgrind;
use crate::load::{Connection, RequestTemplate};

/// A server slower than this to answer one request under Valgrind has a problem.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// A server that does not fall asleep within this long after an answer has a problem.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Upper bound on one phase, whatever its counts say.
const PHASE_TIME_LIMIT: Duration = Duration::from_secs(900);

/// How many requests a phase gets: at most `max_requests` (at least one), and no more than
/// fit in `budget_instructions` at `cost_per_request`, rounded down to 1, 2 or 5 times a power
/// of ten so that small differences in the estimated cost give the same count.
pub fn planned_requests(max_requests: u64, budget_instructions: u64, cost_per_request: f64) -> u64 {
    let max_requests = max_requests.max(1);
    if !(cost_per_request.is_finite() && cost_per_request > 0.0) {
        return max_requests;
    }
    let affordable = budget_instructions as f64 / cost_per_request;
    if affordable >= max_requests as f64 {
        return max_requests;
    }
    let mut nice = 1u64;
    for candidate in (0..19).flat_map(|e| [1u64, 2, 5].map(|m| m * 10u64.pow(e))) {
        if candidate as f64 <= affordable {
            nice = candidate;
        }
    }
    nice.min(max_requests)
}

/// The counted server as a phase sees it: what to wait for and whom to ask for counts.
#[derive(Debug)]
pub struct Watched<'a> {
    /// The target's name, for errors.
    pub target: &'a str,
    /// The Valgrind session.
    pub callgrind: &'a Callgrind,
    /// Every process of the server.
    pub pids: &'a [u32],
}

impl Watched<'_> {
    /// Waits until every server thread sleeps.
    pub fn wait_idle(&self) -> Result<(), IcountError> {
        let asleep = wait_until_asleep(self.pids, IDLE_TIMEOUT).map_err(|source| {
            IcountError::ServerGone {
                target: self.target.to_owned(),
                why: source.to_string(),
            }
        })?;
        if asleep {
            Ok(())
        } else {
            Err(IcountError::NeverIdle {
                target: self.target.to_owned(),
                waited: IDLE_TIMEOUT,
            })
        }
    }

    /// Instructions counted in every process since the last zero or dump (live threads), then
    /// zeroed when asked.
    pub fn live_total(&self, then_zero: bool) -> Result<u64, IcountError> {
        self.wait_idle()?;
        let mut total = 0;
        for pid in self.pids {
            total += self.callgrind.live_total(*pid, then_zero)?;
        }
        Ok(total)
    }

    /// Switches instrumentation on in every process (a no-op where it already is: only a late
    /// cluster worker changes) and zeroes the counters.
    pub fn start_counting(&self) -> Result<(), IcountError> {
        self.wait_idle()?;
        for pid in self.pids {
            self.callgrind.start_counting(*pid)?;
        }
        Ok(())
    }
}

/// One keep-alive connection driven from a single-threaded tokio runtime.
#[derive(Debug)]
pub struct Client {
    runtime: tokio::runtime::Runtime,
    connection: Connection,
}

impl Client {
    /// Connects to the server.
    pub fn open(addr: SocketAddr) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the client runtime: {e}"))?;
        let connection = runtime
            .block_on(Connection::open(addr))
            .map_err(|kind| format!("cannot connect to {addr} ({})", kind.as_str()))?;
        Ok(Self {
            runtime,
            connection,
        })
    }

    /// One round trip; an error unless the answer has the expected status and keeps the
    /// connection open.
    pub fn round_trip(&mut self, request: &RequestTemplate) -> Result<(), String> {
        let answer = self.runtime.block_on(async {
            tokio::time::timeout(REQUEST_TIMEOUT, self.connection.round_trip(&request.bytes)).await
        });
        match answer {
            Err(_) => Err(format!("no answer within {REQUEST_TIMEOUT:?}")),
            Ok(Err(kind)) => Err(format!("{} error", kind.as_str())),
            Ok(Ok(info)) if info.status != request.expected_status => Err(format!(
                "status {} instead of {}",
                info.status, request.expected_status
            )),
            Ok(Ok(info)) if info.close => Err("the server closed the connection".into()),
            Ok(Ok(_)) => Ok(()),
        }
    }
}

/// How requests are paced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    /// Each request as soon as the previous answer is in (warm-up: only the count matters).
    BackToBack,
    /// Each request only once every server thread sleeps (measured: the same path each time).
    IntoIdleServer,
}

/// Sends the script's next `count` requests; every answer must be right.
pub fn send(
    client: &mut Client,
    script: &mut Script,
    count: u64,
    pacing: Pacing,
    watched: &Watched<'_>,
    workload: &str,
) -> Result<(), IcountError> {
    let started = Instant::now();
    let request_error = |why: String| IcountError::Request {
        target: watched.target.to_owned(),
        workload: workload.to_owned(),
        why,
    };
    for sent in 0..count {
        if started.elapsed() > PHASE_TIME_LIMIT {
            return Err(request_error(format!(
                "the phase ran past {PHASE_TIME_LIMIT:?} after {sent} requests"
            )));
        }
        if pacing == Pacing::IntoIdleServer {
            watched.wait_idle()?;
        }
        let request = script
            .next_request()
            .ok_or_else(|| request_error("the workload has no request to send".into()))?;
        client
            .round_trip(request)
            .map_err(|why| request_error(format!("request {}: {why}", sent + 1)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cheap_requests_get_their_full_count() {
        assert_eq!(planned_requests(1000, 100_000_000, 17_000.0), 1000);
        assert_eq!(planned_requests(0, 100, 1.0), 1, "at least one request");
    }

    #[test]
    fn heavy_requests_get_what_fits_in_the_budget_rounded_down_to_one_two_five() {
        // 100M instructions at 2.5M per request: 40 fit, 20 are planned.
        assert_eq!(planned_requests(1000, 100_000_000, 2_500_000.0), 20);
        // Costs a little apart give the same count.
        assert_eq!(planned_requests(1000, 100_000_000, 2_400_000.0), 20);
        assert_eq!(planned_requests(1000, 100_000_000, 180_000.0), 500);
        assert_eq!(planned_requests(1000, 100_000_000, 190_000.0), 500);
        // Even a request beyond the budget gets one.
        assert_eq!(planned_requests(1000, 1_000, 1e9), 1);
    }

    #[test]
    fn an_unknown_cost_leaves_the_full_count() {
        assert_eq!(planned_requests(300, 1, f64::NAN), 300);
        assert_eq!(planned_requests(300, 1, 0.0), 300);
    }
}
