//! Steady state before measuring. A warm-up lasts until every connection has had a whole answer
//! (pipelined: a whole batch) and the completion rates of two consecutive windows agree within
//! a tolerance, bounded by a maximum; the record says how long it took and why it ended.
//!
//! A fixed warm-up is not enough: after Criterion's 300 ms a Node cluster at 1,024 connections
//! had not yet answered many connections once (they were still being handed from the primary
//! to the worker), so the measured windows saw the fast early completions while the slow first
//! ones were pending: latency an order of magnitude low, occupancy 0.15-0.45.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::load::{LoadClient, LoadError, LoadPlan, Stream};

/// How often a warm-up window looks at the completion count.
const POLL: Duration = Duration::from_millis(10);
/// The longest first window of a stream whose warm-up limit was already spent (by a priming
/// that outlasted it): the stream still gets one window, so the warm-up reports a rate and
/// the connections its own load answered, not zeros; bounded for a stalled server.
const LONGEST_FIRST_WINDOW: Duration = Duration::from_secs(1);

/// When a warm-up may end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SteadyRule {
    /// A window lasts at least this long, and until every connection could have finished one
    /// request (pipelined: one batch) at the window's rate: as many completions as requests in
    /// flight, so one window sees the slow connections as well as the fast.
    pub min_window: Duration,
    /// Two consecutive windows agree when their completion rates differ by at most this share
    /// of the larger.
    pub tolerance: f64,
    /// The warm-up ends here even when not steady; the record then says so.
    pub max: Duration,
}

impl SteadyRule {
    /// Windows of at least 100 ms agreeing within 10%, for at most `max`.
    pub fn at_most(max: Duration) -> Self {
        Self {
            min_window: Duration::from_millis(100),
            tolerance: 0.10,
            max,
        }
    }

    /// Whether two consecutive windows' rates agree.
    pub fn agree(&self, earlier_per_sec: f64, later_per_sec: f64) -> bool {
        let larger = earlier_per_sec.max(later_per_sec);
        larger > 0.0 && (earlier_per_sec - later_per_sec).abs() <= self.tolerance * larger
    }
}

/// Why a warm-up ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WarmUpEnd {
    /// Every connection had an answer and two consecutive windows agreed.
    Steady,
    /// The maximum came first: the measurement may be in a start-up transient.
    TimeLimit,
    /// No warm-up was asked for.
    Off,
}

impl WarmUpEnd {
    /// The end's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Steady => "steady",
            Self::TimeLimit => "time-limit",
            Self::Off => "off",
        }
    }
}

/// The unmeasured load before a measurement, as it went.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WarmUp {
    /// How long it lasted, milliseconds.
    pub duration_ms: u64,
    /// Why it ended.
    pub ended: WarmUpEnd,
    /// Connections that had a whole answer (pipelined: a whole batch) by its end.
    pub answered_connections: usize,
    /// All connections.
    pub connections: usize,
    /// Windows it took.
    pub windows: u32,
    /// Completions per second in its last window: a first estimate of capacity.
    pub rate_per_sec: f64,
}

impl WarmUp {
    /// No warm-up over `connections`.
    pub fn off(connections: usize) -> Self {
        Self {
            duration_ms: 0,
            ended: WarmUpEnd::Off,
            answered_connections: 0,
            connections,
            windows: 0,
            rate_per_sec: 0.0,
        }
    }

    /// True when the load reached steady state before the measurement.
    pub fn settled(&self) -> bool {
        self.ended == WarmUpEnd::Steady
    }

    /// One line for terminals: `warm-up 420 ms, steady after 4 windows`.
    pub fn describe(&self) -> String {
        match self.ended {
            WarmUpEnd::Steady => format!(
                "warm-up {} ms, steady after {} windows",
                self.duration_ms, self.windows
            ),
            WarmUpEnd::TimeLimit => format!(
                "warm-up {} ms, NOT steady at its limit ({} of {} connections answered)",
                self.duration_ms, self.answered_connections, self.connections
            ),
            WarmUpEnd::Off => "no warm-up".to_owned(),
        }
    }
}

/// Tracks the windows of a warm-up against a rule.
#[derive(Debug)]
struct Judge {
    rule: SteadyRule,
    started: Instant,
    previous_per_sec: Option<f64>,
    windows: u32,
    last_per_sec: f64,
}

impl Judge {
    fn since(rule: SteadyRule, started: Instant) -> Self {
        Self {
            rule,
            started,
            previous_per_sec: None,
            windows: 0,
            last_per_sec: 0.0,
        }
    }

    fn over(&self) -> bool {
        self.started.elapsed() >= self.rule.max
    }

    /// Counts a window at `per_sec` that began with `all_answered`; true when steady.
    fn window(&mut self, per_sec: f64, all_answered: bool) -> bool {
        self.windows += 1;
        self.last_per_sec = per_sec;
        if !all_answered {
            self.previous_per_sec = None;
            return false;
        }
        let steady = self
            .previous_per_sec
            .is_some_and(|earlier| self.rule.agree(earlier, per_sec));
        self.previous_per_sec = Some(per_sec);
        steady
    }

    fn end(&self, ended: WarmUpEnd, answered: usize, connections: usize) -> WarmUp {
        WarmUp {
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            ended,
            answered_connections: answered.min(connections),
            connections,
            windows: self.windows,
            rate_per_sec: self.last_per_sec,
        }
    }
}

/// Before a warm-up, sends one request on every connection and waits until each has had its
/// answer; returns when the warm-up began, which its limit counts from.
///
/// A Node cluster's primary hands each new connection to a worker and waits for the worker to
/// take it, one at a time; a worker busy with the connections it already has takes them
/// slowly. At 1,024 connections under full load 898 of them had had an answer after 10 s
/// (pipelined 16 deep: 300 to 700), and the record measured the hand-over, not the server. One
/// request per connection leaves the worker idle enough to take them all at once.
pub fn prime(client: &mut LoadClient, max: Duration) -> Result<Instant, LoadError> {
    let began = Instant::now();
    let mut plan = LoadPlan::requests(client.connections() as u64);
    // Every connection's one request goes out at once and uses the whole count, so none sends
    // a second; the run ends when each is answered (or times out).
    plan.time_limit = max;
    client.run(&plan)?;
    Ok(began)
}

/// Warms a running closed-loop `stream` of `depth` requests per write until it is steady or
/// `rule.max` has passed since `began` (see [`prime`]). The stream keeps running: the caller
/// measures right after.
pub fn settle(stream: &Stream<'_>, depth: usize, rule: SteadyRule, began: Instant) -> WarmUp {
    let mut judge = Judge::since(rule, began);
    let (_, connections) = stream.answered_connections();
    let in_flight = (connections * depth.max(1)) as u64;
    loop {
        let all_answered = stream.answered_connections().0 >= connections;
        let (from, _) = stream.progress();
        let opened = Instant::now();
        let mut done = 0;
        // Only a limit spent before the stream began (by the priming) extends the first window;
        // a limit that ends inside it ends it, as always.
        let spent = judge.windows == 0 && judge.over();
        while !judge.over() || (spent && opened.elapsed() < LONGEST_FIRST_WINDOW) {
            std::thread::sleep(POLL);
            done = stream.progress().0 - from;
            if opened.elapsed() >= rule.min_window && done >= in_flight {
                break;
            }
        }
        let per_sec = done as f64 / opened.elapsed().as_secs_f64().max(1e-9);
        let steady = judge.window(per_sec, all_answered);
        let answered = stream.answered_connections().0;
        if steady {
            return judge.end(WarmUpEnd::Steady, answered, connections);
        }
        if judge.over() {
            return judge.end(WarmUpEnd::TimeLimit, answered, connections);
        }
    }
}

/// Warms `client` with `plan`'s load (closed or open loop, pipelined or not) until steady or
/// `rule.max`, before a measured run of the same plan. A closed loop runs one stream, which
/// drains at the end; an open loop runs at the plan's rate in windows of its own (a schedule
/// cannot pause), each long enough for every connection to send once.
pub fn warm_up(
    client: &mut LoadClient,
    plan: &LoadPlan,
    rule: SteadyRule,
) -> Result<WarmUp, LoadError> {
    let depth = plan.pipeline.max(1);
    let Some(rate) = plan.rate_per_sec else {
        let began = prime(client, rule.max)?;
        let stream_plan = LoadPlan::stream(rule.max + Duration::from_secs(60)).with_pipeline(depth);
        let stream = client.stream(&stream_plan)?;
        let warm = settle(&stream, depth, rule, began);
        stream.finish()?;
        return Ok(warm);
    };
    let connections = client.connections();
    let window = rule
        .min_window
        .max(Duration::from_secs_f64(connections as f64 / rate.max(1e-9)));
    let mut judge = Judge::since(rule, Instant::now());
    let mut answered = BTreeSet::new();
    loop {
        let all_answered = answered.len() >= connections;
        let left = rule.max.saturating_sub(judge.started.elapsed());
        let chunk = LoadPlan {
            stop: crate::load::LoadEnd::Duration(window.min(left).max(POLL)),
            ..*plan
        };
        let sample = client.run(&chunk)?;
        answered.extend(
            sample
                .per_connection
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, _)| i),
        );
        let steady = judge.window(sample.requests_per_sec(), all_answered);
        if steady {
            return Ok(judge.end(WarmUpEnd::Steady, answered.len(), connections));
        }
        if judge.over() {
            return Ok(judge.end(WarmUpEnd::TimeLimit, answered.len(), connections));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_agree_within_the_tolerance_of_the_larger_and_never_at_zero() {
        let rule = SteadyRule::at_most(Duration::from_secs(1));
        assert!(rule.agree(1000.0, 1090.0));
        assert!(rule.agree(1090.0, 1000.0));
        assert!(!rule.agree(1000.0, 1200.0));
        assert!(!rule.agree(0.0, 0.0));
    }

    #[test]
    fn a_judge_is_steady_only_after_two_agreeing_windows_that_began_with_every_connection_answered()
    {
        let mut judge = Judge::since(SteadyRule::at_most(Duration::from_secs(10)), Instant::now());
        assert!(!judge.window(1000.0, false));
        // Agrees with the window before, but that one began before every connection answered.
        assert!(!judge.window(1000.0, true));
        assert!(!judge.window(1500.0, true));
        assert!(judge.window(1450.0, true));
        assert_eq!(judge.windows, 4);
        assert_eq!(judge.last_per_sec, 1450.0);
    }

    #[test]
    fn a_warm_up_that_hit_its_limit_says_so_in_words() {
        let warm = WarmUp {
            duration_ms: 5000,
            ended: WarmUpEnd::TimeLimit,
            answered_connections: 700,
            connections: 1024,
            windows: 9,
            rate_per_sec: 12.0,
        };
        assert!(!warm.settled());
        assert!(
            warm.describe().contains("NOT steady"),
            "{}",
            warm.describe()
        );
        assert!(
            warm.describe().contains("700 of 1024"),
            "{}",
            warm.describe()
        );
    }
}
