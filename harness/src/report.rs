//! Report: one load run rendered as the CLI's JSON object or as human-readable lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::load::LatencySummary;
use crate::session::Measurement;

/// Latency percentiles in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyUs {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Highest.
    pub max: u64,
}

impl From<LatencySummary> for LatencyUs {
    fn from(l: LatencySummary) -> Self {
        Self {
            p50: l.p50,
            p90: l.p90,
            p99: l.p99,
            p999: l.p999,
            max: l.max,
        }
    }
}

/// What the server used, when the harness started it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerFigures {
    /// Server CPU seconds / (wall seconds x cores).
    pub cpu_busy: f64,
    /// Server CPU microseconds per successful request.
    pub cpu_us_per_request: Option<f64>,
    /// Highest summed RSS of the server's process tree during the run.
    pub peak_rss_bytes: u64,
    /// Size of the server CPU set.
    pub cores: usize,
    /// Most processes seen in the server's tree (a Node cluster's primary and workers).
    pub processes: usize,
}

/// The `stampede load --json` object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Successful responses.
    pub requests: u64,
    /// Failed attempts.
    pub errors: u64,
    /// Failed attempts by kind (connect, io, timeout, parse, status).
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Wall seconds of the run.
    pub duration_s: f64,
    /// Successful responses per second.
    pub requests_per_sec: f64,
    /// Latency of successful requests.
    pub latency_us: LatencyUs,
    /// Open loop: sends that started late (0 in closed loop).
    pub late_sends: u64,
    /// Server figures; absent for `--url`.
    pub server: Option<ServerFigures>,
    /// The load client's own figures.
    pub client: ClientFigures,
}

/// What the load client itself used.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientFigures {
    /// Peak resident memory of the harness process (VmHWM), connections included.
    pub peak_rss_bytes: u64,
    /// Connections it held.
    pub connections: usize,
    /// Client CPU seconds / (wall seconds x client threads).
    pub cpu_busy: f64,
    /// Client CPU microseconds per successful request.
    pub cpu_us_per_request: Option<f64>,
    /// Client threads (one per client CPU).
    pub threads: usize,
}

impl LoadReport {
    /// Builds the report of one measurement made over `connections` connections.
    pub fn of(measurement: &Measurement, connections: usize) -> Self {
        let sample = &measurement.sample;
        Self {
            requests: sample.requests,
            errors: sample.errors(),
            errors_by_kind: sample.errors_by_kind_named(),
            duration_s: sample.elapsed.as_secs_f64(),
            requests_per_sec: sample.requests_per_sec(),
            latency_us: sample.latency().into(),
            late_sends: sample.late_sends,
            server: measurement.usage.map(|usage| ServerFigures {
                cpu_busy: usage.cpu_busy(measurement.server_cores),
                cpu_us_per_request: measurement.cpu_us_per_request(),
                peak_rss_bytes: usage.peak_rss_bytes,
                cores: measurement.server_cores,
                processes: usage.processes,
            }),
            client: ClientFigures {
                peak_rss_bytes: crate::metrics::own_peak_rss_bytes(),
                connections,
                cpu_busy: sample.client_cpu_busy(),
                cpu_us_per_request: sample.client_cpu_us_per_request(),
                threads: sample.client_threads,
            },
        }
    }

    /// Human-readable lines, wrk-style.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let l = &self.latency_us;
        let _ = writeln!(
            out,
            "{} requests in {:.2}s: {:.0} req/s",
            self.requests, self.duration_s, self.requests_per_sec
        );
        let _ = writeln!(
            out,
            "latency us: p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            l.p50, l.p90, l.p99, l.p999, l.max
        );
        let kinds: Vec<String> = self
            .errors_by_kind
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let _ = writeln!(
            out,
            "errors: {}{}",
            self.errors,
            if kinds.is_empty() {
                String::new()
            } else {
                format!(" ({})", kinds.join(", "))
            }
        );
        let client_per_request = self
            .client
            .cpu_us_per_request
            .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"));
        let _ = writeln!(
            out,
            "client: {} connections, cpu_busy {:.2} on {} thread(s), {client_per_request} CPU us/request, peak RSS {:.1} MiB",
            self.client.connections,
            self.client.cpu_busy,
            self.client.threads,
            self.client.peak_rss_bytes as f64 / (1024.0 * 1024.0)
        );
        if self.late_sends > 0 {
            let _ = writeln!(out, "late sends (open loop): {}", self.late_sends);
        }
        if let Some(s) = &self.server {
            let per_request = s
                .cpu_us_per_request
                .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"));
            let _ = writeln!(
                out,
                "server: cpu_busy {:.2} on {} core(s), {} process(es), {per_request} CPU us/request, peak RSS {:.1} MiB",
                s.cpu_busy,
                s.cores,
                s.processes,
                s.peak_rss_bytes as f64 / (1024.0 * 1024.0)
            );
            if s.cpu_busy < crate::CLIENT_BOUND_BELOW {
                let _ = writeln!(
                    out,
                    "note: server CPU below {:.0}% busy: the client or something else limited this run (client-bound)",
                    crate::CLIENT_BOUND_BELOW * 100.0
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{ErrorKind, Sample, latency};
    use crate::metrics::ServerUsage;
    use std::time::Duration;

    fn measurement() -> Measurement {
        let mut histogram = latency::new_histogram();
        for us in [100, 200, 300] {
            latency::record_us(&mut histogram, us);
        }
        let mut errors = BTreeMap::new();
        errors.insert(ErrorKind::Timeout, 2);
        Measurement {
            sample: Sample {
                requests: 3000,
                errors_by_kind: errors,
                elapsed: Duration::from_secs(3),
                histogram,
                late_sends: 0,
                client_cpu: Duration::from_millis(300),
                client_threads: 1,
            },
            usage: Some(ServerUsage {
                cpu_seconds: 1.5,
                wall_seconds: 3.0,
                peak_rss_bytes: 10 * 1024 * 1024,
                processes: 1,
            }),
            server_cores: 1,
        }
    }

    #[test]
    fn the_json_report_has_every_documented_field() {
        let value = serde_json::to_value(LoadReport::of(&measurement(), 64)).unwrap();
        for key in [
            "requests",
            "errors",
            "errors_by_kind",
            "duration_s",
            "requests_per_sec",
            "latency_us",
            "server",
            "client",
        ] {
            assert!(value.get(key).is_some(), "missing {key}: {value}");
        }
        for key in ["p50", "p90", "p99", "p999", "max"] {
            assert!(
                value["latency_us"].get(key).is_some(),
                "missing latency_us.{key}"
            );
        }
        for key in ["cpu_busy", "cpu_us_per_request", "peak_rss_bytes", "cores"] {
            assert!(value["server"].get(key).is_some(), "missing server.{key}");
        }
        assert_eq!(value["errors_by_kind"]["timeout"], 2);
        assert_eq!(value["server"]["cpu_us_per_request"], 500.0);
        assert_eq!(value["server"]["cpu_busy"], 0.5);
    }

    #[test]
    fn a_half_busy_server_is_called_client_bound_in_the_text() {
        let text = LoadReport::of(&measurement(), 64).to_text();
        assert!(text.contains("1000 req/s"), "{text}");
        assert!(text.contains("timeout 2"), "{text}");
        assert!(text.contains("client-bound"), "{text}");
    }
}
