//! Load: one driver for every workload, parameterised by a plan — how many connections, when to
//! stop (a request count, a duration, or when the caller says so), and optionally a constant rate
//! (open loop, latency measured from each request's intended send time, as wrk2 and oha do).
//!
//! A [`Stream`] keeps the load running while a caller times windows inside it, so Criterion
//! samples never restart or drain the connections.

mod backend;
pub mod check;
mod client;
mod conn;
mod epoll;
mod job;
pub mod latency;
pub(crate) mod pacer;
mod request;
mod settle;
mod slot;
mod stream;
mod tally;
mod timeline;
mod uring;
pub mod url;
mod worker;

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

pub use backend::{IoBackend, IoChoice};
pub use client::LoadClient;
pub use conn::{Connection, ResponseInfo, parse_response};
pub use latency::LatencyStats;
pub use request::RequestTemplate;
pub use stream::{CompletionCounter, Stream, StreamTallies, Window};
pub use timeline::{Boundary, Interval, MOST_INTERVALS, TimedRun};

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
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
    /// A checked answer differed from the contract's (a cache, a shortcut or a bug).
    WrongAnswer,
    /// A `/sleep?ms=N` answer came back sooner than N ms.
    TooFast,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 7] = [
        Self::Connect,
        Self::Io,
        Self::Timeout,
        Self::Parse,
        Self::Status,
        Self::WrongAnswer,
        Self::TooFast,
    ];

    /// The kind's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Io => "io",
            Self::Timeout => "timeout",
            Self::Parse => "parse",
            Self::Status => "status",
            Self::WrongAnswer => "wrong-answer",
            Self::TooFast => "too-fast",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// When a run ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoadEnd {
    /// After this many request attempts (successful or not).
    Requests(u64),
    /// After this long.
    Duration(Duration),
    /// When the caller finishes the [`Stream`] (or at the plan's time limit).
    Finish,
}

/// One run over an open `LoadClient`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadPlan {
    /// When to stop.
    pub stop: LoadEnd,
    /// Constant total rate in requests per second (open loop); `None` = closed loop.
    pub rate_per_sec: Option<f64>,
    /// Requests each connection writes at once before reading their answers in order
    /// (HTTP/1.1 pipelining, TechEmpower's plaintext method at 16); 1 = no pipelining.
    pub pipeline: usize,
    /// A request without a whole response after this long is a timeout error.
    pub request_timeout: Duration,
    /// Hard cap on the run's length, whatever `stop` says.
    pub time_limit: Duration,
    /// Test aid: block every client thread for `.1` once per `.0`, as a descheduled or
    /// overloaded client would be, to show that the self-checks notice. `None` in real runs.
    pub client_stall: Option<(Duration, Duration)>,
}

impl LoadPlan {
    /// A closed-loop run of `requests` attempts, capped at ten minutes.
    pub fn requests(requests: u64) -> Self {
        Self {
            stop: LoadEnd::Requests(requests),
            rate_per_sec: None,
            pipeline: 1,
            request_timeout: Duration::from_secs(30),
            time_limit: Duration::from_secs(600),
            client_stall: None,
        }
    }

    /// A closed-loop run of `duration`.
    pub fn duration(duration: Duration) -> Self {
        Self {
            stop: LoadEnd::Duration(duration),
            rate_per_sec: None,
            pipeline: 1,
            request_timeout: Duration::from_secs(30),
            time_limit: duration + Duration::from_secs(60),
            client_stall: None,
        }
    }

    /// A closed-loop stream that runs until finished, at most `time_limit`.
    pub fn stream(time_limit: Duration) -> Self {
        Self {
            stop: LoadEnd::Finish,
            rate_per_sec: None,
            pipeline: 1,
            request_timeout: Duration::from_secs(30),
            time_limit,
            client_stall: None,
        }
    }

    /// The same plan at a constant total rate.
    pub fn with_rate(mut self, rate_per_sec: f64) -> Self {
        self.rate_per_sec = Some(rate_per_sec);
        self
    }

    /// The same plan with `depth` requests pipelined per write.
    pub fn with_pipeline(mut self, depth: usize) -> Self {
        self.pipeline = depth;
        self
    }

    /// How many requests an interval of `every` should complete at least over `connections`:
    /// an open loop its rate's share, a closed loop one per request in flight.
    pub fn due_per_interval(&self, connections: usize, every: Duration) -> f64 {
        match self.rate_per_sec {
            Some(rate) => rate * every.as_secs_f64(),
            None => (connections * self.pipeline.max(1)) as f64,
        }
    }

    /// Why the plan cannot run, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if let Some(rate) = self.rate_per_sec
            && !(rate.is_finite() && rate > 0.0)
        {
            return Some(format!("rate must be positive, got {rate}"));
        }
        if self.pipeline == 0 {
            return Some("pipeline depth must be at least 1".into());
        }
        if self.pipeline > 1 && self.rate_per_sec.is_some() {
            return Some(
                "pipelining is a closed-loop method: an open loop times each request from its \
                 own intended send time, which a batch written at once cannot keep; drop \
                 --rate or --pipeline"
                    .into(),
            );
        }
        None
    }
}

/// Errors of the load client itself (request failures are counted in the `Sample` instead).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Opening the connections failed.
    #[error(
        "opened {opened} of {wanted} connections to {addr}; the rest failed ({why}). Is the server running? For thousands of connections check `ulimit -n` (now {limit}) and net.core.somaxconn"
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
    /// The system does not allow that many connections; the message says what to change.
    #[error(transparent)]
    Limit(#[from] crate::limits::LimitError),
    /// The client's own threads or runtime failed.
    #[error("load client: {0}")]
    Client(String),
    /// The plan cannot be run.
    #[error("invalid load plan: {0}")]
    Plan(String),
    /// The I/O backend asked for cannot be used; the message says why and what to do.
    #[error("load client: {0}")]
    Io(String),
    /// The readings of PostgreSQL taken between a stream's windows failed.
    #[error("reading PostgreSQL between windows: {0}")]
    DatabaseReading(String),
    /// A stream made no progress for too long: the server hangs or is gone.
    #[error(
        "no request finished for {waited:?} ({completed} finished so far): the server stopped answering"
    )]
    Stalled {
        /// How long nothing finished.
        waited: Duration,
        /// Attempts finished before.
        completed: u64,
    },
}

/// The outcome of one run.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Responses with the expected status (and, when checked, the right answer).
    pub requests: u64,
    /// Failed attempts by kind.
    pub errors_by_kind: BTreeMap<ErrorKind, u64>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Latency of successful requests (from intended send time in open loop), microseconds.
    pub histogram: Histogram<u64>,
    /// Open loop: how long after its intended time each send left, microseconds, for sends
    /// whose connection was free in time (the client's own timing error).
    pub send_lag: Histogram<u64>,
    /// Open loop: sends that left more than 1 ms after their intended time although their
    /// connection was free: the client could not keep its schedule.
    pub late_sends: u64,
    /// Open loop: sends whose connection was still waiting for the previous answer at the
    /// intended time; the wait is the server's and shows in the latency.
    pub backlogged_sends: u64,
    /// CPU time the load client's own threads spent during the run (user + system): the
    /// client is part of the experiment, and a busy client makes the result client-bound.
    pub client_cpu: Duration,
    /// Client threads that ran the load, one per client CPU.
    pub client_threads: usize,
    /// Answers compared with the contract's.
    pub checked_answers: u64,
    /// The first wrong answer seen, described for a person.
    pub wrong_answer_example: Option<String>,
    /// Successful answers per connection, by connection index (for a stream: over the whole
    /// stream, warm-up included): how fairly the server served its connections.
    pub per_connection: Vec<u64>,
    /// The I/O backend the requests went through.
    pub io: IoBackend,
}

impl Sample {
    /// A sample of nothing, to absorb others into.
    pub fn empty() -> Self {
        Self {
            requests: 0,
            errors_by_kind: BTreeMap::new(),
            elapsed: Duration::ZERO,
            histogram: latency::new_histogram(),
            send_lag: latency::new_histogram(),
            late_sends: 0,
            backlogged_sends: 0,
            client_cpu: Duration::ZERO,
            client_threads: 0,
            checked_answers: 0,
            wrong_answer_example: None,
            per_connection: Vec::new(),
            io: IoBackend::Epoll,
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
        let _ = self.send_lag.add(&other.send_lag);
        self.late_sends += other.late_sends;
        self.backlogged_sends += other.backlogged_sends;
        self.client_cpu += other.client_cpu;
        self.client_threads = self.client_threads.max(other.client_threads);
        self.checked_answers += other.checked_answers;
        if self.wrong_answer_example.is_none() {
            self.wrong_answer_example = other.wrong_answer_example.clone();
        }
        if other.requests + other.errors() > 0 {
            // One client, one backend: any sample that did something says which.
            self.io = other.io;
        }
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
    pub fn latency(&self) -> LatencyStats {
        LatencyStats::of(&self.histogram)
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

    /// How evenly the connections were served: Jain's index of the per-connection successes
    /// (1 = all equal, 1/n = one connection got everything) and the fewest, median and most.
    pub fn fairness(&self) -> Option<Fairness> {
        Fairness::of(&self.per_connection)
    }

    /// The failed attempts in words, e.g. `io 3, status 1`; empty without errors.
    pub fn errors_in_words(&self) -> String {
        errors_in_words(self.errors_by_kind.iter().map(|(k, n)| (k.as_str(), n)))
    }
}

/// Failed attempts in words, kinds in the order given, e.g. `io 3, status 1`: the kinds with
/// a count, empty without errors.
pub fn errors_in_words<K: std::fmt::Display, N: std::borrow::Borrow<u64>>(
    counts: impl IntoIterator<Item = (K, N)>,
) -> String {
    counts
        .into_iter()
        .filter(|(_, n)| *n.borrow() > 0)
        .map(|(k, n)| format!("{k} {}", n.borrow()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How evenly a server served its connections during a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Fairness {
    /// Jain's fairness index of successes per connection: 1 when every connection got as
    /// many answers, 1/n when one got them all.
    pub jain_index: f64,
    /// Fewest successes of a connection.
    pub min: u64,
    /// Median successes per connection.
    pub median: u64,
    /// Most successes of a connection.
    pub max: u64,
}

impl Fairness {
    /// The fairness of these per-connection counts; `None` for fewer than two connections.
    pub fn of(counts: &[u64]) -> Option<Self> {
        if counts.len() < 2 {
            return None;
        }
        let sum: f64 = counts.iter().map(|&c| c as f64).sum();
        let squares: f64 = counts.iter().map(|&c| (c as f64).powi(2)).sum();
        let mut sorted = counts.to_vec();
        sorted.sort_unstable();
        Some(Self {
            jain_index: if squares > 0.0 {
                sum * sum / (counts.len() as f64 * squares)
            } else {
                0.0
            },
            min: sorted[0],
            median: sorted[sorted.len() / 2],
            max: sorted[sorted.len() - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fairness_is_one_for_equal_connections_and_low_when_one_starves_the_rest() {
        let even = Fairness::of(&[10, 10, 10, 10]).unwrap();
        assert!((even.jain_index - 1.0).abs() < 1e-12);
        let skewed = Fairness::of(&[100, 1, 1, 1]).unwrap();
        assert!(skewed.jain_index < 0.3, "{skewed:?}");
        assert_eq!((skewed.min, skewed.median, skewed.max), (1, 1, 100));
        assert_eq!(Fairness::of(&[5]), None);
    }

    #[test]
    fn errors_and_rates_are_derived_from_counts_and_elapsed_time() {
        let mut sample = Sample::empty();
        sample.requests = 996;
        sample.errors_by_kind.insert(ErrorKind::Status, 3);
        sample.errors_by_kind.insert(ErrorKind::Io, 1);
        sample.elapsed = Duration::from_secs(2);
        sample.client_cpu = Duration::from_millis(500);
        sample.client_threads = 1;
        assert_eq!(sample.errors(), 4);
        assert!((sample.client_cpu_busy() - 0.25).abs() < 1e-9);
        assert!((sample.requests_per_sec() - 498.0).abs() < 1e-9);
        assert!((sample.error_ratio() - 0.004).abs() < 1e-12);
        assert_eq!(sample.errors_in_words(), "io 1, status 3");
        let named = sample.errors_by_kind_named();
        assert_eq!(named["connect"], 0);
        assert_eq!(named["status"], 3);
        assert_eq!(named["wrong-answer"], 0);
        assert_eq!(named.len(), 7);
        let mut total = Sample::empty();
        total.absorb(&sample);
        total.absorb(&sample);
        assert_eq!((total.requests, total.errors()), (1992, 8));
        assert_eq!(total.elapsed, Duration::from_secs(4));
    }
}
