//! Server figures from the scrapes an exported script recorded (`stampede serve --metrics`
//! read before, during and after the load): CPU from the earliest to the latest reading, memory
//! at its peak, idle memory from the earliest reading.

use super::points::Scrape;
use crate::evidence::ServerEvidence;
use crate::metrics::{CpuSource, cpu_busy};

/// What the scrapes say about the server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServerFigures {
    /// The record's server figures.
    pub evidence: ServerEvidence,
    /// False when nothing was scraped: the figures are zeros.
    pub measured: bool,
    /// Most threads seen.
    pub peak_threads: Option<u64>,
    /// Most open file descriptors seen.
    pub peak_open_fds: Option<u64>,
}

impl ServerFigures {
    /// Figures of a server that was not measured: zeros.
    pub fn unmeasured() -> Self {
        Self {
            evidence: ServerEvidence {
                cpu_busy: 0.0,
                cpu_us_per_request: None,
                peak_pss_bytes: 0,
                peak_rss_bytes: 0,
                idle_pss_bytes: None,
                idle_pss_spread_bytes: None,
                processes: 0,
                cores: 0,
                cpu_source: CpuSource::ProcTicks,
            },
            measured: false,
            peak_threads: None,
            peak_open_fds: None,
        }
    }

    /// The figures over `requests` successful requests; `None` without CPU readings.
    pub fn from_scrapes(scrapes: &[Scrape], requests: u64) -> Option<Self> {
        let series = |metric: &str| -> Vec<&Scrape> {
            let mut s: Vec<&Scrape> = scrapes.iter().filter(|s| s.metric == metric).collect();
            s.sort_by_key(|s| s.time_us);
            s
        };
        let max_of = |metric: &str| series(metric).iter().map(|s| s.value as u64).max();
        let cpu = series("stampede_server_cpu_seconds");
        let (first, last) = (cpu.first()?, cpu.last()?);
        let cpu_seconds = (last.value - first.value).max(0.0);
        let wall_seconds = (last.time_us - first.time_us) as f64 / 1e6;
        let cores = max_of("stampede_server_cores").unwrap_or(0) as usize;
        let pss = series("stampede_server_pss_bytes");
        let rss = series("stampede_server_rss_bytes");
        let peak = pss.iter().max_by(|a, b| a.value.total_cmp(&b.value));
        let rss_at_peak = peak
            .and_then(|p| rss.iter().find(|r| r.time_us == p.time_us))
            .map_or(0, |r| r.value as u64);
        let from_cgroup = max_of("stampede_server_cpu_from_cgroup").unwrap_or(0) > 0;
        Some(Self {
            evidence: ServerEvidence {
                cpu_busy: cpu_busy(cpu_seconds, wall_seconds, cores),
                cpu_us_per_request: (requests > 0).then(|| cpu_seconds * 1e6 / requests as f64),
                peak_pss_bytes: peak.map_or(0, |p| p.value as u64),
                peak_rss_bytes: rss_at_peak,
                idle_pss_bytes: pss.first().map(|p| p.value as u64),
                idle_pss_spread_bytes: None,
                processes: max_of("stampede_server_processes").unwrap_or(0) as usize,
                cores,
                cpu_source: if from_cgroup {
                    CpuSource::Cgroup
                } else {
                    CpuSource::ProcTicks
                },
            },
            measured: true,
            peak_threads: max_of("stampede_server_threads"),
            peak_open_fds: max_of("stampede_server_open_fds"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(ms: i64, metric: &str, value: f64) -> Scrape {
        Scrape {
            time_us: ms * 1000,
            phase: String::new(),
            metric: metric.into(),
            value,
        }
    }

    #[test]
    fn cpu_spans_first_to_last_reading_and_memory_is_its_peak_with_rss_of_that_moment() {
        let scrapes = [
            scrape(2000, "stampede_server_cpu_seconds", 3.0),
            scrape(0, "stampede_server_cpu_seconds", 1.0),
            scrape(0, "stampede_server_pss_bytes", 10.0),
            scrape(1000, "stampede_server_pss_bytes", 30.0),
            scrape(1000, "stampede_server_rss_bytes", 40.0),
            scrape(2000, "stampede_server_pss_bytes", 20.0),
            scrape(0, "stampede_server_cores", 2.0),
            scrape(1000, "stampede_server_open_fds", 9.0),
        ];
        let f = ServerFigures::from_scrapes(&scrapes, 1000).unwrap();
        assert!(
            (f.evidence.cpu_busy - 0.5).abs() < 1e-9,
            "2 s of CPU over 2 s on 2 cores"
        );
        assert_eq!(f.evidence.cpu_us_per_request, Some(2000.0));
        assert_eq!(
            (f.evidence.peak_pss_bytes, f.evidence.peak_rss_bytes),
            (30, 40)
        );
        assert_eq!(f.evidence.idle_pss_bytes, Some(10));
        assert_eq!((f.peak_open_fds, f.peak_threads), (Some(9), None));
        assert!(ServerFigures::from_scrapes(&scrapes[2..], 1000).is_none());
    }
}
