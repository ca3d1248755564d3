//! The k6 output parser on real, recorded k6 output (harness/tests/fixtures/k6/README.md says
//! how it was made): counts found by the parser equal those found by scanning the raw lines.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use stampede_harness::evidence::{Commit, Machine, Run, RunMode};
use stampede_harness::k6::{ImportOptions, import_files};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/k6")
        .join(name)
}

/// Points of `metric` in the load scenario whose line also contains every one of `also`.
fn raw_points(path: &Path, metric: &str, also: &[&str]) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| l.contains(&format!(r#""metric":"{metric}""#)))
        .filter(|l| l.contains(r#""type":"Point""#) && l.contains(r#""scenario":"load""#))
        .filter(|l| also.iter().all(|a| l.contains(a)))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn context() -> Run {
    Run {
        id: "fixture".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        mode: RunMode::Cli,
        commit: Commit::parse("fixture"),
        branch: None,
        machine: Machine::detect(),
        toolchains: Default::default(),
    }
}

#[test]
fn two_recorded_instances_merge_into_one_order_result_with_server_figures() {
    let files = [fixture("order-0-half.json"), fixture("order-half-1.json")];
    let imported = import_files(&files).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let sent: usize = files
        .iter()
        .map(|f| raw_points(f, "http_reqs", &[]).len())
        .sum();
    let answered: usize = files
        .iter()
        .map(|f| raw_points(f, "http_req_duration", &[r#""expected_response":"true""#]).len())
        .sum();
    assert!(sent > 0);
    assert_eq!(imported.load.http_reqs, sent as u64);
    assert_eq!(imported.load.durations.len(), answered as u64);
    let options = ImportOptions {
        target: "actix".into(),
        metrics_url: Some("http://127.0.0.1:9464/metrics".into()),
    };
    let record = imported.record(&options, &context(), None).unwrap();
    assert_eq!(record.id, "order/actix@k6x2/c2");
    assert_eq!(record.setup.body_seed, Some(3));
    assert_eq!(record.errors, 0, "{:?}", record.figures.errors_by_kind);
    assert!(record.figures.checked_answers > 0);
    assert!(
        record
            .figures
            .server
            .cpu_us_per_request
            .is_some_and(|us| us > 0.0),
        "{:?}",
        record.figures.server
    );
    assert!(record.figures.server.peak_pss_bytes > 0);
    let engine = record.engine.unwrap();
    assert!(engine.peak_open_fds.is_some_and(|fds| fds > 0));
    // The durations are k6's milliseconds in microseconds: the slowest point is the maximum.
    let slowest_ms = files
        .iter()
        .flat_map(|f| raw_points(f, "http_req_duration", &[r#""expected_response":"true""#]))
        .map(|p| p["data"]["value"].as_f64().unwrap())
        .fold(0.0, f64::max);
    let max_us = record.figures.latency_us.max as f64;
    assert!(
        (max_us - slowest_ms * 1000.0).abs() <= slowest_ms,
        "{max_us} vs {slowest_ms} ms"
    );
}

#[test]
fn a_recorded_open_loop_that_fell_behind_reports_its_dropped_iterations() {
    let file = fixture("sleep-open-loop.json");
    let dropped: f64 = raw_points(&file, "dropped_iterations", &[])
        .iter()
        .map(|p| p["data"]["value"].as_f64().unwrap())
        .sum();
    assert!(dropped > 0.0);
    let imported = import_files(std::slice::from_ref(&file)).unwrap();
    assert_eq!(imported.load.dropped_iterations, dropped as u64);
    let options = ImportOptions {
        target: "actix".into(),
        metrics_url: None,
    };
    let record = imported.record(&options, &context(), None).unwrap();
    let run = &record.figures.open_loop[0];
    assert_eq!(run.rate_per_sec, 100.0);
    assert_eq!(run.send_lag.late_sends, dropped as u64);
    assert!(!run.sustained && record.flags.client_late, "{run:?}");
    assert_eq!(record.engine.unwrap().server_metrics, None);
    assert_eq!(record.param, "ms50-c2-rate100");
}
