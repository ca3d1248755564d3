//! Load: one driver for every workload, parameterised by a plan — how many connections, when to
//! stop (a request count or a duration), and optionally a constant rate (open loop, latency
//! measured from each request's intended send time, as wrk2 and oha do).

mod conn;
mod driver;
pub mod latency;
mod request;

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

pub use conn::{Connection, ResponseInfo, parse_response};
pub use driver::LoadClient;
pub use latency::LatencySummary;
pub use request::RequestTemplate;

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The TCP connection could not be opened.
    Connect,
    /// Reading or writing failed, or the server closed the connection mid-request.
    Io,
    /// No whole response within the request timeout.
    Timeout,
    /// The bytes that came back were not a usable HTTP/1.1 response.
    Parse,
    /// The response had an unexpected status.
    Status,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 5] = [
        Self::Connect,
        Self::Io,
        Self::Timeout,
        Self::Parse,
        Self::Status,
    ];

    /// The kind's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Io => "io",
            Self::Timeout => "timeout",
            Self::Parse => "parse",
            Self::Status => "status",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// When a run ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// After this many request attempts (successful or not).
    Requests(u64),
    /// After this long.
    Duration(Duration),
}

/// One run over an open `LoadClient`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunPlan {
    /// When to stop.
    pub stop: Stop,
    /// Constant total rate in requests per second (open loop); `None` = closed loop.
    pub rate_per_sec: Option<f64>,
    /// A request without a whole response after this long is a timeout error.
    pub request_timeout: Duration,
    /// Hard cap on the run's length, whatever `stop` says.
    pub time_limit: Duration,
}

impl RunPlan {
    /// A closed-loop run of `requests` attempts, capped at ten minutes.
    pub fn requests(requests: u64) -> Self {
        Self {
            stop: Stop::Requests(requests),
            rate_per_sec: None,
            request_timeout: Duration::from_secs(30),
            time_limit: Duration::from_secs(600),
        }
    }

    /// A closed-loop run of `duration`.
    pub fn duration(duration: Duration) -> Self {
        Self {
            stop: Stop::Duration(duration),
            rate_per_sec: None,
            request_timeout: Duration::from_secs(30),
            time_limit: duration + Duration::from_secs(60),
        }
    }

    /// The same plan at a constant total rate.
    pub fn with_rate(mut self, rate_per_sec: f64) -> Self {
        self.rate_per_sec = Some(rate_per_sec);
        self
    }
}

/// Errors of the load client itself (request failures are counted in the `Sample` instead).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Opening the connections failed.
    #[error(
        "opened {opened} of {wanted} connections to {addr}; the rest failed ({why}). Is the server running? For thousands of connections check `ulimit -n` (now {limit})."
    )]
    Connect {
        /// Target address.
        addr: std::net::SocketAddr,
        /// How many were asked for.
        wanted: usize,
        /// How many opened.
        opened: usize,
        /// The first error.
        why: String,
        /// The open-files limit.
        limit: u64,
    },
    /// The client's own threads or runtime failed.
    #[error("load client: {0}")]
    Client(String),
    /// The plan cannot be run.
    #[error("invalid load plan: {0}")]
    Plan(String),
}

/// The outcome of one run.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Responses with the expected status.
    pub requests: u64,
    /// Failed attempts by kind.
    pub errors_by_kind: BTreeMap<ErrorKind, u64>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Latency of successful requests (from intended send time in open loop).
    pub histogram: Histogram<u64>,
    /// Open loop: sends that started more than 1 ms after their intended time.
    pub late_sends: u64,
    /// CPU time the load client's own threads spent during the run (user + system): the
    /// client is part of the experiment, and a busy client makes the result client-bound.
    pub client_cpu: Duration,
    /// Client threads that ran the load, one per client CPU.
    pub client_threads: usize,
}

impl Sample {
    /// A sample of nothing, to absorb others into.
    pub fn empty() -> Self {
        Self {
            requests: 0,
            errors_by_kind: BTreeMap::new(),
            elapsed: Duration::ZERO,
            histogram: latency::new_histogram(),
            late_sends: 0,
            client_cpu: Duration::ZERO,
            client_threads: 0,
        }
    }

    /// Adds `other`'s counts, time and latencies to this sample.
    pub fn absorb(&mut self, other: &Sample) {
        self.requests += other.requests;
        for (kind, n) in &other.errors_by_kind {
            *self.errors_by_kind.entry(*kind).or_default() += n;
        }
        self.elapsed += other.elapsed;
        let _ = self.histogram.add(&other.histogram);
        self.late_sends += other.late_sends;
        self.client_cpu += other.client_cpu;
        self.client_threads = self.client_threads.max(other.client_threads);
    }

    /// Client CPU time / (wall time x client threads): near 1 means the client, not the server,
    /// may have limited the run.
    pub fn client_cpu_busy(&self) -> f64 {
        crate::metrics::cpu_busy(
            self.client_cpu.as_secs_f64(),
            self.elapsed.as_secs_f64(),
            self.client_threads,
        )
    }

    /// Client CPU microseconds per successful request.
    pub fn client_cpu_us_per_request(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.client_cpu.as_secs_f64() * 1e6 / self.requests as f64)
    }

    /// Total failed attempts.
    pub fn errors(&self) -> u64 {
        self.errors_by_kind.values().sum()
    }

    /// Successful responses per second.
    pub fn requests_per_sec(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.requests as f64 / seconds
        } else {
            0.0
        }
    }

    /// Failed attempts / all attempts.
    pub fn error_ratio(&self) -> f64 {
        let attempts = self.requests + self.errors();
        if attempts == 0 {
            0.0
        } else {
            self.errors() as f64 / attempts as f64
        }
    }

    /// Percentiles of the latency histogram.
    pub fn latency(&self) -> LatencySummary {
        LatencySummary::of(&self.histogram)
    }

    /// Errors by kind with every kind present, for reports.
    pub fn errors_by_kind_named(&self) -> BTreeMap<String, u64> {
        ErrorKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str().to_owned(),
                    self.errors_by_kind.get(k).copied().unwrap_or(0),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_rates_are_derived_from_counts_and_elapsed_time() {
        let mut errors = BTreeMap::new();
        errors.insert(ErrorKind::Status, 3);
        errors.insert(ErrorKind::Io, 1);
        let sample = Sample {
            requests: 996,
            errors_by_kind: errors,
            elapsed: Duration::from_secs(2),
            histogram: latency::new_histogram(),
            late_sends: 0,
            client_cpu: Duration::from_millis(500),
            client_threads: 1,
        };
        assert_eq!(sample.errors(), 4);
        assert!((sample.client_cpu_busy() - 0.25).abs() < 1e-9);
        assert!((sample.requests_per_sec() - 498.0).abs() < 1e-9);
        assert!((sample.error_ratio() - 0.004).abs() < 1e-12);
        let named = sample.errors_by_kind_named();
        assert_eq!(named["connect"], 0);
        assert_eq!(named["status"], 3);
        assert_eq!(named.len(), 5);
        let mut total = Sample::empty();
        total.absorb(&sample);
        total.absorb(&sample);
        assert_eq!((total.requests, total.errors()), (1992, 8));
        assert_eq!(total.elapsed, Duration::from_secs(4));
    }
}
