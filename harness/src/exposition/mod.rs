//! Server metrics over HTTP in the Prometheus text format (OpenMetrics), so a server's CPU and
//! memory stay measurable when the load comes from elsewhere (k6 on other machines, a
//! Prometheus server): `stampede serve TARGET --metrics ADDR`.
//!
//! Every scrape reads the server's whole tree afresh through its [`ServerProbe`] (cgroup CPU or
//! /proc ticks, PSS and RSS) plus threads and open file descriptors ([`tree`]); [`listener`] is
//! the tiny HTTP server; [`scrape`] reads an exposition back (tests, tools).

pub mod addr;
pub mod listener;
pub mod scrape;
pub mod tree;

use std::borrow::Cow;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use crate::metrics::{CpuSource, ServerProbe};

pub use listener::MetricsListener;

/// Prefix of every metric name.
pub const PREFIX: &str = "stampede_server";

/// One reading of a server's resources.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServerSnapshot {
    /// CPU seconds of the whole tree since it started, exited threads and processes included.
    pub cpu_seconds: f64,
    /// True when the CPU time comes from the server's cgroup (else /proc ticks).
    pub cpu_from_cgroup: bool,
    /// Summed PSS.
    pub pss_bytes: u64,
    /// Summed RSS (shared pages once per process).
    pub rss_bytes: u64,
    /// Processes of the tree.
    pub processes: usize,
    /// Threads of all its processes.
    pub threads: u64,
    /// Open file descriptors of all its processes (sockets included).
    pub open_fds: u64,
    /// Size of the server's CPU set.
    pub cores: usize,
}

impl ServerSnapshot {
    /// Reads `probe`'s server now; `cores` is the size of its CPU set.
    pub fn read(probe: &ServerProbe, cores: usize) -> Self {
        let pids = probe.pids();
        let memory = crate::metrics::memory::read_memory(&pids);
        let counts = tree::count(&pids);
        Self {
            cpu_seconds: probe.cpu_ns() as f64 / 1e9,
            cpu_from_cgroup: probe.cpu_source() == CpuSource::Cgroup,
            pss_bytes: memory.pss_bytes,
            rss_bytes: memory.rss_bytes,
            processes: pids.len(),
            threads: counts.threads,
            open_fds: counts.open_fds,
            cores,
        }
    }
}

/// Reads a server on every scrape.
#[derive(Debug)]
struct ServerCollector {
    probe: ServerProbe,
    cores: usize,
}

impl Collector for ServerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let now = ServerSnapshot::read(&self.probe, self.cores);
        encode_snapshot(&now, &mut encoder)
    }
}

fn encode_snapshot(
    now: &ServerSnapshot,
    encoder: &mut DescriptorEncoder,
) -> Result<(), std::fmt::Error> {
    let cpu = ConstCounter::new(now.cpu_seconds);
    cpu.encode(encoder.encode_descriptor(
        "cpu",
        "CPU time of the server's whole process tree, exited threads and processes included",
        Some(&Unit::Seconds),
        cpu.metric_type(),
    )?)?;
    let gauges: [(&str, &str, Option<Unit>, u64); 7] = [
        (
            "memory_pss",
            "Summed proportional set size of the server's processes",
            Some(Unit::Bytes),
            now.pss_bytes,
        ),
        (
            "memory_rss",
            "Summed resident set size (shared pages counted once per process)",
            Some(Unit::Bytes),
            now.rss_bytes,
        ),
        (
            "threads",
            "Threads of the server's processes",
            None,
            now.threads,
        ),
        (
            "open_fds",
            "Open file descriptors of the server's processes, sockets included",
            None,
            now.open_fds,
        ),
        (
            "processes",
            "Processes of the server's tree",
            None,
            now.processes as u64,
        ),
        (
            "cores",
            "CPUs the server may run on (its CPU set)",
            None,
            now.cores as u64,
        ),
        (
            "cpu_from_cgroup",
            "1 when the CPU time comes from the server's cgroup, 0 for /proc ticks",
            None,
            u64::from(now.cpu_from_cgroup),
        ),
    ];
    for (name, help, unit, value) in gauges {
        let gauge = ConstGauge::new(value as i64);
        gauge.encode(encoder.encode_descriptor(
            name,
            help,
            unit.as_ref(),
            gauge.metric_type(),
        )?)?;
    }
    Ok(())
}

/// The exposition of one server: a registry labelled with the target's name.
#[derive(Debug)]
pub struct ServerMetrics {
    registry: Registry,
}

impl ServerMetrics {
    /// Metrics of `probe`'s server, labelled `target="<target>"`; `cores` is its CPU set's size.
    pub fn new(target: &str, probe: ServerProbe, cores: usize) -> Self {
        let labels = [(Cow::Borrowed("target"), Cow::Owned(target.to_owned()))];
        let mut registry = Registry::with_prefix_and_labels(PREFIX, labels.into_iter());
        registry.register_collector(Box::new(ServerCollector { probe, cores }));
        Self { registry }
    }

    /// The current values in the OpenMetrics text format.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The Content-Type of [`ServerMetrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::test_support::eventually;

    #[test]
    fn a_busy_process_is_exposed_with_cpu_memory_threads_and_descriptors() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 2000000 ]; do i=$((i+1)); done"])
            .spawn()
            .unwrap();
        let probe = ServerProbe::new(child.id(), None);
        let metrics = ServerMetrics::new("demo", probe.clone(), 1);
        let ran = eventually(Duration::from_secs(10), || probe.cpu_ns() > 0);
        assert!(ran, "no CPU time within 10 s");
        let text = metrics.render().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        let values = scrape::parse(&text);
        let get = |name: &str| {
            values
                .get(name)
                .copied()
                .unwrap_or_else(|| panic!("{name} in {text}"))
        };
        assert!(get("stampede_server_cpu_seconds_total") > 0.0, "{text}");
        assert!(get("stampede_server_memory_pss_bytes") > 0.0, "{text}");
        assert!(get("stampede_server_threads") >= 1.0, "{text}");
        assert!(get("stampede_server_open_fds") >= 1.0, "{text}");
        assert_eq!(get("stampede_server_processes"), 1.0);
        assert_eq!(get("stampede_server_cores"), 1.0);
        assert!(text.contains(r#"target="demo""#), "{text}");
        assert!(
            text.contains("# TYPE stampede_server_cpu_seconds counter"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
