//! The `stampede load` report: one load run as the CLI's JSON object or as human-readable
//! lines, with the same evidence and flags as a benchmark record.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::evidence::{self, ClientEvidence, OpenLoopRun, ServerEvidence, quantile_name};
use crate::load::LatencyStats;
use crate::session::Measurement;

/// The load client's figures beyond its CPU.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientFigures {
    /// CPU of the client threads.
    #[serde(flatten)]
    pub cpu: ClientEvidence,
    /// Peak resident memory of the harness process (VmHWM), connections included.
    pub peak_rss_bytes: u64,
    /// Connections it held.
    pub connections: usize,
}

/// The `stampede load --json` object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadOutput {
    /// Successful responses.
    pub requests: u64,
    /// Failed attempts.
    pub errors: u64,
    /// Failed attempts by kind.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Wall seconds of the run.
    pub duration_s: f64,
    pub requests_per_sec: f64,
    /// Latency of successful requests (from intended send times in open loop).
    pub latency_us: LatencyStats,
    /// Closed loop: requests/s x mean latency / (connections x pipeline depth) (Little's law).
    pub occupancy: Option<f64>,
    /// Open loop (`--rate`): percentiles with intervals, send lag, late and backlogged sends.
    pub open_loop: Option<OpenLoopRun>,
    /// Answers compared with the contract's.
    pub checked_answers: u64,
    pub wrong_answer_example: Option<String>,
    /// Server figures; absent for `--url`.
    pub server: Option<ServerEvidence>,
    /// The load client's own figures.
    pub client: ClientFigures,
    /// PostgreSQL's figures, for a database workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<crate::evidence::DatabaseEvidence>,
    /// How evenly the server served the connections (two or more).
    pub fairness: Option<crate::load::Fairness>,
    /// The unmeasured load before the run, and why it ended.
    pub warm_up: Option<crate::steady::WarmUp>,
    /// Self-checks that failed, in words (`client-bound`, `INVALID`, ...).
    pub flags: Vec<String>,
    /// `--timeline`: the run per interval; its rows' requests and errors add up to the run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<crate::evidence::Timeline>,
}

impl LoadOutput {
    /// Builds the report of one measurement over `connections` connections, at `rate_per_sec`
    /// for an open loop.
    pub fn of(
        measurement: &Measurement,
        connections: usize,
        pipeline: usize,
        rate_per_sec: Option<f64>,
    ) -> Self {
        let sample = &measurement.sample;
        let open_loop =
            rate_per_sec.map(|rate| evidence::open_loop_run("--rate", None, rate, sample));
        let figures = measurement.figures(
            connections,
            pipeline,
            rate_per_sec,
            open_loop.into_iter().collect(),
        );
        let flags: Vec<String> = figures
            .flags(measurement.usage.is_some())
            .words()
            .into_iter()
            .map(str::to_owned)
            .collect();
        Self {
            requests: figures.requests,
            errors: sample.errors(),
            duration_s: sample.elapsed.as_secs_f64(),
            requests_per_sec: figures.requests_per_sec,
            latency_us: figures.latency_us,
            occupancy: figures.occupancy,
            open_loop: figures.open_loop.into_iter().next(),
            checked_answers: figures.checked_answers,
            wrong_answer_example: figures.wrong_answer_example,
            server: measurement.usage.map(|_| figures.server),
            client: ClientFigures {
                cpu: figures.client,
                peak_rss_bytes: crate::metrics::own_peak_rss_bytes(),
                connections,
            },
            // Shown for an open loop too, unlike a record's, which keeps it for the closed.
            fairness: sample.fairness(),
            warm_up: figures.warm_up,
            flags,
            errors_by_kind: figures.errors_by_kind,
            database: figures.database,
            timeline: figures.timeline,
        }
    }

    /// Human-readable lines, wrk-style.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let l = &self.latency_us;
        let _ = writeln!(
            out,
            "{} requests in {:.2}s: {:.0} req/s",
            self.requests, self.duration_s, self.requests_per_sec
        );
        let _ = writeln!(
            out,
            "latency us: mean {:.0}  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            l.mean, l.p50, l.p90, l.p99, l.p999, l.max
        );
        if let Some(run) = &self.open_loop {
            let tail: Vec<String> = run
                .percentiles
                .iter()
                .map(|p| match (p.us, p.low_us, p.high_us) {
                    (Some(v), Some(lo), Some(hi)) => {
                        format!("p{} {v} [{lo}..{hi}]", quantile_name(p.quantile))
                    }
                    _ => format!("p{} n/a", quantile_name(p.quantile)),
                })
                .collect();
            let _ = writeln!(out, "open loop, 95% intervals: {}", tail.join("  "));
            let lag = &run.send_lag;
            let _ = writeln!(
                out,
                "send lag us: p50 {}  p99 {}; late sends {} of {}, backlogged {}",
                lag.p50_us, lag.p99_us, lag.late_sends, lag.sends, lag.backlogged_sends
            );
        }
        if let Some(warm) = &self.warm_up {
            let _ = writeln!(out, "{}", warm.describe());
        }
        if let Some(o) = self.occupancy {
            let _ = writeln!(out, "occupancy (Little's law): {o:.2}");
        }
        if let Some(f) = &self.fairness {
            let _ = writeln!(
                out,
                "answers per connection: min {}  median {}  max {}; Jain's fairness index {:.3}",
                f.min, f.median, f.max, f.jain_index
            );
        }
        let kinds = crate::load::errors_in_words(&self.errors_by_kind);
        let _ = writeln!(
            out,
            "errors: {}{}",
            self.errors,
            if kinds.is_empty() {
                String::new()
            } else {
                format!(" ({kinds})")
            }
        );
        if self.checked_answers > 0 {
            let _ = writeln!(out, "answers checked: {}", self.checked_answers);
        }
        if let Some(example) = &self.wrong_answer_example {
            let _ = writeln!(out, "wrong answer: {example}");
        }
        let c = &self.client;
        let _ = writeln!(
            out,
            "client: {} connections{}, cpu_busy {:.2} on {} thread(s), {} CPU us/request, peak RSS {:.1} MiB",
            c.connections,
            c.cpu.io.map(|io| format!(" over {io}")).unwrap_or_default(),
            c.cpu.cpu_busy,
            c.cpu.threads,
            per_request(c.cpu.cpu_us_per_request),
            mib(c.peak_rss_bytes)
        );
        if let Some(s) = &self.server {
            let _ = writeln!(
                out,
                "server: cpu_busy {:.2} on {} core(s), {} process(es), {} CPU us/request, peak PSS {:.1} MiB (RSS {:.1} MiB)",
                s.cpu_busy,
                s.cores,
                s.processes,
                per_request(s.cpu_us_per_request),
                mib(s.peak_pss_bytes),
                mib(s.peak_rss_bytes),
            );
        }
        if let Some(database) = &self.database {
            let _ = writeln!(out, "{}", database.describe());
        }
        if !self.flags.is_empty() {
            let _ = writeln!(out, "flags: {}", self.flags.join(", "));
        }
        if let Some(timeline) = &self.timeline {
            let _ = writeln!(
                out,
                "timeline, per {} ms (requests completed in each interval):",
                timeline.interval_ms
            );
            for line in timeline.lines() {
                let _ = writeln!(out, "{line}");
            }
            for line in timeline.over_time.describe() {
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }
}

fn per_request(us: Option<f64>) -> String {
    us.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{ErrorKind, Sample, latency};
    use crate::metrics::{CpuSource, ServerUsage};
    use std::time::Duration;

    fn measurement() -> Measurement {
        let mut sample = Sample::empty();
        for us in [100, 200, 300] {
            latency::record_us(&mut sample.histogram, us);
        }
        sample.errors_by_kind.insert(ErrorKind::Timeout, 2);
        sample.requests = 3000;
        sample.elapsed = Duration::from_secs(3);
        sample.client_cpu = Duration::from_millis(300);
        sample.client_threads = 1;
        Measurement {
            database: None,
            sample,
            usage: Some(ServerUsage {
                cpu_seconds: 1.5,
                wall_seconds: 3.0,
                peak_pss_bytes: 8 * 1024 * 1024,
                peak_rss_bytes: 10 * 1024 * 1024,
                processes: 1,
                cpu_source: CpuSource::Cgroup,
            }),
            server_cores: 1,
            idle_pss: Some(crate::metrics::IdlePss {
                bytes: 4 * 1024 * 1024,
                spread_bytes: 0,
            }),
            background_requests: 0,
            warm_up: None,
            timeline: None,
        }
    }

    #[test]
    fn a_pipelined_run_counts_every_request_a_connection_can_have_in_flight_for_occupancy() {
        let plain = LoadOutput::of(&measurement(), 64, 1, None)
            .occupancy
            .unwrap();
        let piped = LoadOutput::of(&measurement(), 64, 16, None)
            .occupancy
            .unwrap();
        assert!((plain / piped - 16.0).abs() < 1e-9, "{plain} vs {piped}");
    }

    #[test]
    fn the_json_report_has_every_documented_field() {
        let value = serde_json::to_value(LoadOutput::of(&measurement(), 64, 1, None)).unwrap();
        for key in [
            "requests",
            "errors",
            "errors_by_kind",
            "duration_s",
            "requests_per_sec",
            "latency_us",
            "occupancy",
            "server",
            "client",
            "flags",
        ] {
            assert!(value.get(key).is_some(), "missing {key}: {value}");
        }
        for key in ["p50", "p90", "p99", "p999", "max", "mean"] {
            assert!(
                value["latency_us"].get(key).is_some(),
                "missing latency_us.{key}"
            );
        }
        for key in ["cpu_busy", "cpu_us_per_request", "peak_pss_bytes", "cores"] {
            assert!(value["server"].get(key).is_some(), "missing server.{key}");
        }
        for key in [
            "cpu_busy",
            "cpu_us_per_request",
            "threads",
            "io",
            "peak_rss_bytes",
        ] {
            assert!(value["client"].get(key).is_some(), "missing client.{key}");
        }
        assert_eq!(value["errors_by_kind"]["timeout"], 2);
        assert_eq!(value["server"]["cpu_us_per_request"], 500.0);
        assert_eq!(value["server"]["cpu_busy"], 0.5);
        assert_eq!(value["client"]["cpu_us_per_request"], 100.0);
    }

    #[test]
    fn a_half_busy_server_is_flagged_not_server_bound_in_the_text() {
        let text = LoadOutput::of(&measurement(), 64, 1, None).text();
        assert!(text.contains("1000 req/s"), "{text}");
        assert!(text.contains("timeout 2"), "{text}");
        assert!(text.contains("not server-bound"), "{text}");
    }

    #[test]
    fn a_timeline_adds_its_rows_its_verdicts_and_their_flags_to_both_forms() {
        let mut measured = measurement();
        let interval = |requests: u64| {
            let mut interval =
                crate::load::Interval::empty(Duration::ZERO, Duration::from_secs(1), 1);
            interval.requests = requests;
            let _ = interval
                .latency_us
                .record_n(100, u32::try_from(requests).unwrap_or(0));
            interval
        };
        let intervals = [interval(1500), interval(0), interval(1500)];
        let every = Duration::from_secs(1);
        measured.timeline = Some(crate::evidence::Timeline::of(
            every,
            &intervals,
            &[],
            1,
            64.0,
        ));
        let report = LoadOutput::of(&measured, 64, 1, None);
        assert!(
            report.flags.iter().any(|f| f == "stalls"),
            "{:?}",
            report.flags
        );
        let value = serde_json::to_value(&report).unwrap();
        assert_eq!(value["timeline"]["rows"].as_array().map(Vec::len), Some(3));
        assert_eq!(value["timeline"]["over_time"]["stalls"]["count"], 1);
        let text = report.text();
        assert!(text.contains("timeline, per 1000 ms"), "{text}");
        assert!(
            text.contains("stalls (intervals with nothing completed): 1"),
            "{text}"
        );
        // Without one, the JSON has no timeline key at all.
        let plain = serde_json::to_value(LoadOutput::of(&measurement(), 64, 1, None)).unwrap();
        assert!(plain.get("timeline").is_none());
    }
}
