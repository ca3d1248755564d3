//! Test records with round figures, shared by the summary's unit tests.

use std::collections::BTreeMap;

use super::split_param;
use crate::report::LatencyUs;
use crate::results::{Machine, ResultRecord, ServerEvidence, Setup};

/// A result with round figures; `rps` requests/s, p99 = 10 x p50.
pub(crate) fn record(id: &str, rps: f64, p50_us: u64, rss_mib: u64) -> ResultRecord {
    let mut parts = id.split('/').map(str::to_owned);
    let (workload, target, param) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let connections = split_param(&param).1.unwrap_or(1) as usize;
    ResultRecord {
        id: id.into(),
        language: if target.starts_with('a') {
            "Rust"
        } else {
            "Go"
        }
        .into(),
        framework: format!("{target} framework"),
        toolchain: "tool 1.0".into(),
        workload,
        target,
        param,
        requests: (rps * 10.0) as u64,
        errors: 0,
        errors_by_kind: BTreeMap::new(),
        requests_per_sec: rps,
        latency_us: LatencyUs {
            p50: p50_us,
            p90: p50_us * 2,
            p99: p50_us * 10,
            p999: p50_us * 20,
            max: p50_us * 50,
        },
        server: ServerEvidence {
            cpu_busy: 0.98,
            cpu_us_per_request: Some(1e6 / rps),
            peak_rss_bytes: rss_mib << 20,
            cores: 1,
        },
        client_bound: false,
        invalid: false,
        setup: Setup {
            server_cpus: "0".into(),
            client_cpus: "1".into(),
            workers: Some(1),
            offload_threads: 1,
            connections,
            rate_per_sec: None,
        },
        machine: Machine {
            cpu_model: "Test CPU".into(),
            cores: 2,
            kernel: "6.1".into(),
        },
        git_commit: "abc123".into(),
        time: "2026-01-01T00:00:00Z".into(),
    }
}
