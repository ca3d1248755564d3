//! A run as a time series: per fixed interval what completed, how fast, what failed, and what
//! the server and the client used. Whole-run figures average away a heap that grows, a
//! collector that stalls every 2 s or a server that stops answering after a burst; a row per
//! interval keeps them. The rows are the whole run cut in pieces, so their requests and
//! errors add up to the run's exactly.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::OverTime;
use crate::load::Interval;
use crate::load::latency::Percentile;
use crate::metrics::memory::peak_in;
use crate::metrics::{MemoryReading, cpu_busy};

/// A run's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Timeline {
    /// The interval's length; the last row may be shorter (it ends with the run).
    pub interval_ms: u64,
    pub rows: Vec<TimelineRow>,
    /// Memory growth, latency drift and stalls, judged from the rows' intervals.
    pub over_time: OverTime,
}

/// One interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TimelineRow {
    /// When it began, from the measured run's start.
    pub from_start_ms: u64,
    pub length_ms: u64,
    /// Successful responses completed in it.
    pub requests: u64,
    /// Failed attempts ended in it.
    pub errors: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Latency of the requests completed in it: none when none did, and no p99 with fewer
    /// than 10 samples beyond it (an interval of 100 ms at 2,000 requests/s has 2).
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub max_us: Option<u64>,
    /// Open loop: the 99th percentile of how late sends left (the client's own error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_lag_p99_us: Option<u64>,
    /// CPU of the client threads / (length x client threads).
    pub client_cpu_busy: f64,
    /// The server's CPU / (length x server cores), and its highest memory reading in the
    /// interval (the sampler reads every 100 ms); absent for a server at a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerInterval>,
}

/// The server during one interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ServerInterval {
    pub cpu_busy: f64,
    pub pss_bytes: u64,
    pub rss_bytes: u64,
}

/// The server's meters at a boundary between intervals: its CPU counter read there, and the
/// highest memory reading of the interval that ends there (the start: the first reading).
#[derive(Clone, Copy, Debug)]
pub struct ServerReading {
    pub at: Instant,
    pub cpu_ns: u64,
    pub memory: MemoryReading,
}

impl ServerReading {
    /// Joins the CPU counter read at each boundary with the memory sampler's timed readings.
    pub fn at_boundaries(
        cpu_at: &[(Instant, u64)],
        memory: &[(Instant, MemoryReading)],
    ) -> Vec<Self> {
        cpu_at
            .iter()
            .enumerate()
            .map(|(n, &(at, cpu_ns))| {
                let from = n.checked_sub(1).map_or(at, |previous| cpu_at[previous].0);
                ServerReading {
                    at,
                    cpu_ns,
                    memory: peak_in(memory, from, at),
                }
            })
            .collect()
    }
}

impl Timeline {
    /// The rows of `intervals` of `every`, with the server's readings at their boundaries
    /// (the run's start first, then one per interval's end) when it was watched, and the
    /// verdicts over them; `due_per_interval` as [`OverTime::of`] takes it.
    pub fn of(
        every: Duration,
        intervals: &[Interval],
        server: &[ServerReading],
        server_cores: usize,
        due_per_interval: f64,
    ) -> Self {
        let pss: Vec<(f64, u64)> = match server.first() {
            Some(start) => server[1..]
                .iter()
                .map(|r| {
                    let t = r.at.saturating_duration_since(start.at).as_secs_f64();
                    (t, r.memory.pss_bytes)
                })
                .collect(),
            None => Vec::new(),
        };
        let rows = intervals
            .iter()
            .enumerate()
            .map(|(n, interval)| {
                let latency = &interval.latency_us;
                let median = (!latency.is_empty()).then(|| latency.value_at_quantile(0.5));
                let server = match (server.get(n), server.get(n + 1)) {
                    (Some(from), Some(to)) => Some(ServerInterval {
                        cpu_busy: cpu_busy(
                            to.cpu_ns.saturating_sub(from.cpu_ns) as f64 / 1e9,
                            to.at.saturating_duration_since(from.at).as_secs_f64(),
                            server_cores,
                        ),
                        pss_bytes: to.memory.pss_bytes,
                        rss_bytes: to.memory.rss_bytes,
                    }),
                    _ => None,
                };
                TimelineRow {
                    from_start_ms: millis(interval.from_start),
                    length_ms: millis(interval.length),
                    requests: interval.requests,
                    errors: interval.errors(),
                    errors_by_kind: interval
                        .errors_by_kind
                        .iter()
                        .map(|(kind, n)| (kind.as_str().to_owned(), *n))
                        .collect(),
                    p50_us: median,
                    p99_us: Percentile::of(latency, 0.99).us,
                    max_us: (!latency.is_empty()).then(|| latency.max()),
                    send_lag_p99_us: interval.send_lag_p99_us,
                    client_cpu_busy: interval.client_cpu_busy(),
                    server,
                }
            })
            .collect();
        Self {
            interval_ms: millis(every),
            rows,
            over_time: OverTime::of(intervals, &pss, due_per_interval),
        }
    }

    /// One line per interval, for a terminal: what a progress line would have said, kept.
    pub fn lines(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|row| {
                let per_sec = if row.length_ms == 0 {
                    0.0
                } else {
                    row.requests as f64 * 1000.0 / row.length_ms as f64
                };
                let us = |v: Option<u64>| v.map_or_else(|| "n/a".to_owned(), |v| v.to_string());
                let server = row.server.map_or_else(String::new, |s| {
                    format!(
                        "  server cpu {:>3.0}% pss {:>7.1} MiB",
                        s.cpu_busy * 100.0,
                        s.pss_bytes as f64 / (1024.0 * 1024.0)
                    )
                });
                format!(
                    "{:>8.1}s {:>9.0} req/s  errors {:>5}  p50 {:>7} p99 {:>7} max {:>7} us  client cpu {:>3.0}%{server}",
                    row.from_start_ms as f64 / 1000.0,
                    per_sec,
                    row.errors,
                    us(row.p50_us),
                    us(row.p99_us),
                    us(row.max_us),
                    row.client_cpu_busy * 100.0,
                )
            })
            .collect()
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::ErrorKind;

    fn interval(from_s: u64, requests: u64, timeouts: u64) -> Interval {
        let mut interval = Interval::empty(Duration::from_secs(from_s), Duration::from_secs(1), 1);
        interval.requests = requests;
        for us in 1..=requests {
            let _ = interval.latency_us.record(us * 10);
        }
        if timeouts > 0 {
            interval.errors_by_kind.insert(ErrorKind::Timeout, timeouts);
        }
        interval.client_cpu = Duration::from_millis(250);
        interval
    }

    fn reading(start: Instant, at_s: u64, cpu_ms: u64, pss_mib: u64) -> ServerReading {
        ServerReading {
            at: start + Duration::from_secs(at_s),
            cpu_ns: cpu_ms * 1_000_000,
            memory: MemoryReading {
                pss_bytes: pss_mib << 20,
                rss_bytes: (pss_mib + 1) << 20,
                processes: 1,
            },
        }
    }

    #[test]
    fn each_row_has_its_interval_s_counts_and_the_server_between_its_boundaries() {
        let start = Instant::now();
        let intervals = [interval(0, 1000, 0), interval(1, 0, 3)];
        let server = [
            reading(start, 0, 0, 10),
            reading(start, 1, 500, 11),
            reading(start, 2, 1500, 12),
        ];
        let timeline = Timeline::of(Duration::from_secs(1), &intervals, &server, 2, 1.0);
        let [busy, stalled] = timeline.rows.as_slice() else {
            panic!("two rows: {timeline:?}");
        };
        assert_eq!((busy.requests, busy.errors), (1000, 0));
        // An interval's histogram keeps 2 significant digits.
        assert!(
            busy.max_us.is_some_and(|us| us.abs_diff(10_000) <= 100),
            "{busy:?}"
        );
        assert!(busy.p99_us.is_some());
        assert!((busy.client_cpu_busy - 0.25).abs() < 1e-9);
        let server = busy.server.expect("watched");
        assert!((server.cpu_busy - 0.25).abs() < 1e-9, "{server:?}");
        assert_eq!(server.pss_bytes, 11 << 20);
        // An interval with nothing completed has no latency, and says what failed.
        assert_eq!(
            (stalled.p50_us, stalled.p99_us, stalled.max_us),
            (None, None, None)
        );
        assert_eq!(stalled.errors_by_kind.get("timeout"), Some(&3));
        assert!((stalled.server.expect("watched").cpu_busy - 0.5).abs() < 1e-9);
        assert_eq!(timeline.lines().len(), 2);
        assert!(
            timeline.lines()[1].contains("n/a"),
            "{}",
            timeline.lines()[1]
        );
    }

    #[test]
    fn each_boundary_takes_the_highest_memory_reading_of_the_interval_it_closes() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let memory = |pss: u64| MemoryReading {
            pss_bytes: pss,
            rss_bytes: pss,
            processes: 1,
        };
        let sampled = [
            (at(0), memory(5)),
            (at(400), memory(9)),
            (at(800), memory(7)),
        ];
        let cpu_at = [(at(0), 0), (at(500), 10), (at(1000), 20)];
        let readings = ServerReading::at_boundaries(&cpu_at, &sampled);
        let pss: Vec<u64> = readings.iter().map(|r| r.memory.pss_bytes).collect();
        assert_eq!(pss, [5, 9, 7]);
    }

    #[test]
    fn rows_without_server_readings_have_no_server_part() {
        let timeline = Timeline::of(Duration::from_secs(1), &[interval(0, 5, 0)], &[], 0, 1.0);
        assert_eq!(timeline.rows[0].server, None);
        let json = serde_json::to_value(&timeline).expect("serializes");
        assert!(json["rows"][0].get("server").is_none(), "{json}");
    }
}
