//! The self-checks of a result: the rules that flag a figure a reader must not take at face
//! value (a busy client, idle connections, a late schedule, errors), each a field of the record.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::record::{ClientEvidence, OpenLoopRun, SendLag};
use crate::load::Fairness;
use crate::steady::{WarmUp, WarmUpEnd};

/// A run with more errors than this share of attempts is invalid.
pub const INVALID_ERROR_RATIO: f64 = 0.001;
/// A side whose CPUs were busy at least this share of the time may have limited the run.
pub const BUSY_AT_LEAST: f64 = 0.9;
/// A closed loop whose connections were busy less than this share of the time (Little's law)
/// did not keep them all in flight: bursts, drains or client stalls.
pub const OCCUPANCY_AT_LEAST: f64 = 0.9;
/// An open loop whose p99 send lag exceeds this many microseconds did not keep its schedule.
pub const SEND_LAG_P99_AT_MOST_US: u64 = 1000;
/// A record holds enough requests for its percentiles up to p99 with this many samples beyond
/// (the rule the open-loop tails follow): 1,000 requests. Fewer: `few-requests`.
pub const SAMPLES_BEYOND_AT_LEAST: u64 = 10;
/// Connections served less evenly than this (Jain's index of answers per connection) were
/// starved by the server: a low occupancy is then theirs, not the client's.
pub const FAIR_AT_LEAST: f64 = 0.9;
/// ... nor one with more than this share of late sends.
pub const LATE_SENDS_AT_MOST: f64 = 0.01;
/// An open-loop run that answered less than this share of its rate did not sustain it ...
pub const SUSTAINED_AT_LEAST: f64 = 0.95;
/// ... nor one whose server held back this share of its sends or more.
pub const HELD_BACK_SENDS_BELOW: f64 = 0.01;

impl SendLag {
    /// True when the client did not keep its schedule: p99 lag over 1 ms or over 1% late.
    pub fn client_late(&self) -> bool {
        self.p99_us > SEND_LAG_P99_AT_MOST_US
            || self.late_sends as f64 > LATE_SENDS_AT_MOST * self.sends.max(1) as f64
    }
}

/// The server kept up with an open loop: at least 95% of the asked rate answered and under 1%
/// of the sends held back by its delay.
pub fn sustained(
    achieved_per_sec: f64,
    rate_per_sec: f64,
    held_back_sends: u64,
    sends: u64,
) -> bool {
    achieved_per_sec >= SUSTAINED_AT_LEAST * rate_per_sec
        && (held_back_sends as f64) < HELD_BACK_SENDS_BELOW * sends.max(1) as f64
}

/// True when `requests` samples put at least [`SAMPLES_BEYOND_AT_LEAST`] beyond quantile `q`:
/// below that, the percentile is little more than the slowest few answers.
pub fn enough_samples_beyond(requests: u64, q: f64) -> bool {
    requests as f64 * (1.0 - q) >= SAMPLES_BEYOND_AT_LEAST as f64 - 1e-9
}

/// Why a closed loop kept fewer than 90% of its connections busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LowOccupancyCause {
    /// The warm-up never settled: requests of the start-up transient were still pending when
    /// the measured windows ended.
    NotSteady,
    /// The server served some connections far less than others (Jain's index below 0.9, or a
    /// connection never answered): their requests were pending while the others completed.
    StarvedConnections,
    /// Steady and fair, so connections sat without a request in flight: the client's delay
    /// between an answer and the next send, or a pipelined batch draining.
    IdleConnections,
}

impl LowOccupancyCause {
    /// Assesses a low occupancy from the warm-up and the per-connection answers. Starvation
    /// comes first: a connection the server never answered in the whole stream, or an index
    /// below 0.9, also keeps a warm-up from settling (Node at 1,024 pipelined connections left
    /// a fifth of them unanswered for 8 s), and it is the server's doing either way.
    pub fn of(warm_up: Option<&WarmUp>, fairness: Option<&Fairness>) -> Self {
        if fairness.is_some_and(|f| f.min == 0 || f.jain_index < FAIR_AT_LEAST) {
            Self::StarvedConnections
        } else if warm_up.is_some_and(|w| !w.settled()) {
            Self::NotSteady
        } else {
            Self::IdleConnections
        }
    }

    /// The cause's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSteady => "not steady",
            Self::StarvedConnections => "starved connections",
            Self::IdleConnections => "idle connections",
        }
    }
}

/// The self-checks of one measurement, each a flag a reader must see beside the number. A
/// record holds them flattened: in its JSON they are fields of the record itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Flags {
    /// The client's CPUs were at least 90% busy: the client may have limited the run.
    pub client_bound: bool,
    /// The server's CPUs were at least 90% busy and the client's were not: the number is the
    /// server's.
    pub server_bound: bool,
    /// Closed loop with occupancy below 0.9.
    pub low_occupancy: bool,
    /// Why the occupancy was low, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_occupancy_cause: Option<LowOccupancyCause>,
    /// The warm-up reached its limit before the load was steady: the figures may be of a
    /// start-up transient.
    #[serde(default)]
    pub not_steady: bool,
    /// Fewer requests than a p99 with 10 samples beyond it needs (1,000): the percentiles
    /// that lack them are shown as n/a.
    #[serde(default)]
    pub few_requests: bool,
    /// An open-loop run missed its schedule on the client side.
    pub client_late: bool,
    /// PostgreSQL, not the server, saturated the CPUs (see
    /// [`DatabaseEvidence::db_bound`](super::DatabaseEvidence::db_bound)): no throughput claim
    /// uses the record.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub db_bound: bool,
    /// A timeline's verdict (see [`OverTime`](super::OverTime)): the server's PSS grew over the
    /// run's last two thirds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub memory_grows: bool,
    /// A timeline's verdict: p99 rose from the run's first third to its last.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub latency_drifts: bool,
    /// A timeline's verdict: intervals went by with nothing completed although requests were
    /// due.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stalls: bool,
    /// Errors above 0.1% of attempts, any wrong answer, nothing measured, or fewer database
    /// statements or rows per request than the workload requires.
    pub invalid: bool,
}

impl Flags {
    /// Assesses the figures. `server_cpu_busy` is `None` for a server the harness does not
    /// watch (a URL): it can then never be called server-bound.
    pub fn assess(
        server_cpu_busy: Option<f64>,
        client: &ClientEvidence,
        occupancy: Option<f64>,
        open_loop: &[OpenLoopRun],
        errors_by_kind: &BTreeMap<String, u64>,
        requests: u64,
    ) -> Self {
        let client_bound = client.cpu_busy >= BUSY_AT_LEAST;
        let errors: u64 = errors_by_kind.values().sum();
        let attempts = requests + errors;
        let wrong = errors_by_kind.get("wrong-answer").copied().unwrap_or(0);
        Self {
            client_bound,
            server_bound: server_cpu_busy.is_some_and(|b| b >= BUSY_AT_LEAST) && !client_bound,
            low_occupancy: occupancy.is_some_and(|o| o < OCCUPANCY_AT_LEAST),
            low_occupancy_cause: None,
            not_steady: false,
            few_requests: requests > 0 && !enough_samples_beyond(requests, 0.99),
            client_late: open_loop.iter().any(|run| run.client_late),
            db_bound: false,
            memory_grows: false,
            latency_drifts: false,
            stalls: false,
            invalid: attempts == 0
                || wrong > 0
                || errors as f64 / attempts as f64 > INVALID_ERROR_RATIO,
        }
    }

    /// Adds what the warm-up and the per-connection answers say: whether the load was steady,
    /// and why a low occupancy was low.
    pub fn with_steadiness(
        mut self,
        warm_up: Option<&WarmUp>,
        fairness: Option<&Fairness>,
    ) -> Self {
        self.not_steady = warm_up.is_some_and(|w| !w.settled() && w.ended != WarmUpEnd::Off);
        self.low_occupancy_cause = self
            .low_occupancy
            .then(|| LowOccupancyCause::of(warm_up, fairness));
        self
    }

    /// Adds what the database's figures say: a record below its workload's requirement is
    /// invalid, and one PostgreSQL saturated is `db-bound` (and then not server-bound). On CPUs
    /// the two share, a server that took the larger share of CPUs the pair kept 90% busy is
    /// server-bound: its own busy share alone never reaches 90% there.
    pub fn with_database(
        mut self,
        database: Option<&super::DatabaseEvidence>,
        server_cpu_busy: f64,
    ) -> Self {
        if let Some(database) = database {
            self.invalid |= database.shortfall.is_some();
            self.db_bound = database.db_bound(server_cpu_busy);
            let shared_saturated =
                database.shares_server_cpus && database.cpu_busy + server_cpu_busy >= BUSY_AT_LEAST;
            self.server_bound =
                (self.server_bound || shared_saturated) && !self.db_bound && !self.client_bound;
        }
        self
    }

    /// Adds a timeline's verdicts, when the record has one.
    pub fn with_over_time(mut self, over_time: Option<&super::OverTime>) -> Self {
        if let Some(over_time) = over_time {
            let said = over_time.flags();
            self.memory_grows = said.contains(&"memory-grows");
            self.latency_drifts = said.contains(&"latency-drifts");
            self.stalls = said.contains(&"stalls");
        }
        self
    }

    /// The flags that are set, in words, for evidence lines and reports.
    pub fn words(&self) -> Vec<&'static str> {
        let mut words = Vec::new();
        if self.invalid {
            words.push("INVALID");
        }
        if self.client_bound {
            words.push("client-bound");
        } else if self.db_bound {
            words.push("db-bound");
        } else if !self.server_bound {
            words.push("not server-bound");
        }
        if self.low_occupancy {
            words.push(match self.low_occupancy_cause {
                Some(LowOccupancyCause::NotSteady) => "low-occupancy: not steady",
                Some(LowOccupancyCause::StarvedConnections) => "low-occupancy: starved connections",
                Some(LowOccupancyCause::IdleConnections) => "low-occupancy: idle connections",
                None => "low-occupancy",
            });
        }
        if self.not_steady {
            words.push("not-steady");
        }
        if self.few_requests {
            words.push("few-requests");
        }
        if self.client_late {
            words.push("client-late");
        }
        for (set, word) in [
            (self.memory_grows, "memory-grows"),
            (self.latency_drifts, "latency-drifts"),
            (self.stalls, "stalls"),
        ] {
            if set {
                words.push(word);
            }
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::ResultRecord;

    /// Sets a record's flags again from its (edited) figures, as [`ResultRecord::new`] does.
    fn reflag(mut r: ResultRecord) -> ResultRecord {
        r.flags = Flags::assess(
            Some(r.figures.server.cpu_busy),
            &r.figures.client,
            r.figures.occupancy,
            &r.figures.open_loop,
            &r.figures.errors_by_kind,
            r.figures.requests,
        )
        .with_steadiness(r.figures.warm_up.as_ref(), r.figures.fairness.as_ref());
        r
    }

    /// The summary's fixture record with these figures, flags recomputed.
    fn record(id: &str, cpu_busy: f64, requests: u64, errors: u64) -> ResultRecord {
        let mut r = super::super::fixtures::record(id, 1000.0, 100, 8);
        r.figures.server.cpu_busy = cpu_busy;
        r.figures.requests = requests;
        r.errors = errors;
        reflag(r)
    }

    #[test]
    fn a_busy_client_is_client_bound_and_only_a_busy_server_with_a_free_client_is_server_bound() {
        assert!(
            record("json/actix/c64", 0.95, 10_000, 10)
                .flags
                .server_bound
        );
        assert!(!record("json/actix/c64", 0.85, 10_000, 0).flags.server_bound);
        let mut busy_client = record("json/actix/c64", 0.95, 10_000, 0);
        busy_client.figures.client.cpu_busy = 0.93;
        let busy_client = reflag(busy_client);
        assert!(busy_client.flags.client_bound && !busy_client.flags.server_bound);
        assert_eq!(busy_client.flags.words(), ["client-bound"]);
    }

    #[test]
    fn errors_above_a_thousandth_or_any_wrong_answer_flag_invalid() {
        let with_errors = |errors: u64| {
            let mut r = record("json/actix/c64", 0.95, 10_000, errors);
            r.figures.errors_by_kind.insert("io".into(), errors);
            reflag(r)
        };
        assert!(!with_errors(10).flags.invalid);
        assert!(with_errors(11).flags.invalid);
        assert!(record("json/actix/c64", 0.95, 0, 0).flags.invalid);
        let mut wrong = record("json/actix/c64", 0.95, 10_000, 1);
        wrong
            .figures
            .errors_by_kind
            .insert("wrong-answer".into(), 1);
        assert!(reflag(wrong).flags.invalid);
    }

    #[test]
    fn low_occupancy_and_a_late_client_are_flagged() {
        let mut r = record("json/actix/c64", 0.95, 10_000, 0);
        r.figures.occupancy = Some(0.7);
        r.figures.open_loop.clear();
        r.figures.open_loop.push(OpenLoopRun {
            label: "50% of capacity".into(),
            fraction_of_capacity: Some(0.5),
            rate_per_sec: 100.0,
            achieved_per_sec: 100.0,
            requests: 1000,
            errors: 0,
            mean_us: 100.0,
            percentiles: Vec::new(),
            max_us: None,
            send_lag: SendLag {
                p50_us: 10,
                p99_us: 1500,
                late_sends: 3,
                backlogged_sends: 0,
                sends: 1000,
            },
            client_late: true,
            sustained: true,
        });
        let r = reflag(r);
        assert!(r.flags.low_occupancy && r.flags.client_late);
        assert!(r.figures.open_loop[0].send_lag.client_late());
    }

    #[test]
    fn a_low_occupancy_names_its_cause_from_the_warm_up_and_the_connections() {
        use crate::steady::{WarmUp, WarmUpEnd};
        let fair = Fairness {
            jain_index: 0.99,
            min: 90,
            median: 100,
            max: 110,
        };
        let starved = Fairness {
            jain_index: 0.5,
            min: 1,
            median: 10,
            max: 400,
        };
        let warm = |ended| WarmUp {
            duration_ms: 8000,
            ended,
            answered_connections: 1024,
            connections: 1024,
            windows: 9,
            rate_per_sec: 1000.0,
        };
        let cause = |ended, fairness: Fairness| {
            let mut r = record("json/node/c1024", 0.95, 10_000, 0);
            r.figures.occupancy = Some(0.45);
            r.figures.warm_up = Some(warm(ended));
            r.figures.fairness = Some(fairness);
            let r = reflag(r);
            (
                r.flags.low_occupancy_cause,
                r.flags.not_steady,
                r.flags.words(),
            )
        };
        let (c, not_steady, words) = cause(WarmUpEnd::TimeLimit, fair);
        assert_eq!(c, Some(LowOccupancyCause::NotSteady));
        assert!(not_steady && words.contains(&"not-steady"), "{words:?}");
        // A warm-up that never settled because the server left connections unanswered.
        let never = Fairness { min: 0, ..fair };
        let (c, not_steady, _) = cause(WarmUpEnd::TimeLimit, never);
        assert_eq!(c, Some(LowOccupancyCause::StarvedConnections));
        assert!(not_steady);
        let (c, not_steady, words) = cause(WarmUpEnd::Steady, starved);
        assert_eq!(c, Some(LowOccupancyCause::StarvedConnections));
        assert!(!not_steady);
        assert!(
            words.contains(&"low-occupancy: starved connections"),
            "{words:?}"
        );
        let (c, _, _) = cause(WarmUpEnd::Steady, fair);
        assert_eq!(c, Some(LowOccupancyCause::IdleConnections));
        // No warm-up asked for is not a warm-up that failed.
        let (_, not_steady, _) = cause(WarmUpEnd::Off, fair);
        assert!(!not_steady);
    }

    #[test]
    fn a_record_below_a_thousand_requests_is_flagged_few_requests() {
        let r = record("hash/node/r98k", 9.0, 27, 0);
        assert!(r.flags.few_requests, "{:?}", r.flags);
        assert!(r.flags.words().contains(&"few-requests"));
        let r = record("hash/actix/r98k", 200.0, 1_000, 0);
        assert!(!r.flags.few_requests);
    }
}
