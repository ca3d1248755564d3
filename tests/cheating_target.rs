//! Targets that pass verification and then cheat are caught by `stampede load`:
//!
//! - one answering `/hash` from a cache keyed by path and query (tests/fixtures/cheater.py,
//!   forwarding to the real actix target until then): the varied bodies get the cached digest,
//!   the sampled checks report wrong answers, and the result is invalid;
//! - one answering `/db` from the World rows it has seen (tests/fixtures/db_cheater.py, which
//!   starts the real nethttp target itself and forwards to it until then): every answer is
//!   right, and the statement counts alone show the shortfall and make the result invalid. The
//!   nethttp process it started does not outlive it.
//!
//! Without python3 (or, for the second, PostgreSQL or Go) a test is reported as ignored with the
//! reason; with STAMPEDE_REQUIRE_TOOLS=1 (CI) it fails.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::time::Duration;

use common::{python_missing, python_workspace, repo, stampede_in};
use stampede_harness::catalog::{Availability, Catalog};
use stampede_harness::cpus::CpuSet;
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{load_spec, prepare, start_verified};
use stampede_harness::test_support::{eventually, postgres_missing, run, trial_of};

/// The real target the database cheater starts and forwards to.
const UPSTREAM: &str = "nethttp";

fn main() {
    // The cheating targets are Python scripts.
    let python = python_missing();
    let with_database = python
        .clone()
        .or_else(postgres_missing)
        .or_else(upstream_missing);
    run(vec![
        trial_of(
            python,
            "a_target_that_caches_hash_answers_after_verification_is_reported_with_wrong_answers",
            a_target_that_caches_hash_answers_after_verification_is_reported_with_wrong_answers,
        ),
        trial_of(
            with_database,
            "a_target_that_serves_db_rows_it_has_seen_after_verification_is_invalid_by_its_query_count",
            a_target_that_serves_db_rows_it_has_seen_after_verification_is_invalid_by_its_query_count,
        ),
    ]);
}

/// Why the upstream target's toolchain cannot run here, if it cannot.
fn upstream_missing() -> Option<String> {
    let catalog = Catalog::load(repo()).unwrap();
    match catalog.availability(catalog.target(UPSTREAM).unwrap()) {
        Availability::Skipped { reason } => Some(reason),
        Availability::Available { .. } => None,
    }
}

fn a_target_that_caches_hash_answers_after_verification_is_reported_with_wrong_answers() {
    let catalog = Catalog::load(repo()).unwrap();
    let vectors = load_spec(&catalog).unwrap();
    let config = ServerConfig::for_cpus(CpuSet::allowed().unwrap());
    let actix = start_verified(&catalog, "actix", &config, vectors.clone()).unwrap();
    let hash_vectors = vectors
        .iter()
        .filter(|v| v.request.path.starts_with("/hash"))
        .count();

    let cheater = std::fs::read_to_string(repo().join("tests/fixtures/cheater.py")).unwrap();
    let upstream = actix.server.addr();
    let root = python_workspace(
        "cheater",
        &cheater,
        &format!(r#"env = {{ UPSTREAM = "{upstream}", CHEAT_AFTER_HASH = "{hash_vectors}" }}"#),
    );
    let load = "load --target cheater --workload hash:1000 -c 4 -d 2s --warmup 500ms --json";
    let output = stampede_in(root.path(), &load.split(' ').collect::<Vec<_>>());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let wrong = report["errors_by_kind"]["wrong-answer"].as_u64().unwrap();
    assert!(wrong > 0, "{report}");
    assert!(
        report["flags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("INVALID")),
        "{report}"
    );
    let example = report["wrong_answer_example"].as_str().unwrap();
    assert!(example.starts_with("POST /hash?rounds=1000"), "{example}");
    drop(actix);
}

fn a_target_that_serves_db_rows_it_has_seen_after_verification_is_invalid_by_its_query_count() {
    let catalog = Catalog::load(repo()).unwrap();
    prepare(&catalog, UPSTREAM).unwrap();
    let start = &catalog.target(UPSTREAM).unwrap().start;
    let argv: Vec<String> = start.iter().map(|a| catalog.expand(a)).collect();
    let scratch = tempfile::tempdir().unwrap();
    let pid_file = scratch.path().join("upstream.pid");
    let cheater = std::fs::read_to_string(repo().join("tests/fixtures/db_cheater.py")).unwrap();
    let root = python_workspace(
        "db-cheater",
        &cheater,
        &format!(
            r#"env = {{ UPSTREAM_ARGV = '{}', UPSTREAM_PID_FILE = "{}" }}"#,
            serde_json::to_string(&argv).unwrap(),
            pid_file.display()
        ),
    );
    let load = "load --target db-cheater --workload db -c 4 -d 2s --warmup 500ms --json";
    let output = stampede_in(root.path(), &load.split(' ').collect::<Vec<_>>());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        report["errors_by_kind"]["wrong-answer"], 0,
        "the cached rows are right: only the counts can tell: {report}"
    );
    assert!(report["checked_answers"].as_u64().unwrap() > 0, "{report}");
    assert!(
        report["flags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("INVALID")),
        "{report}"
    );
    let database = &report["database"];
    assert!(
        database["queries_per_request"].as_f64().unwrap() < 0.5,
        "{database}"
    );
    let shortfall = database["shortfall"].as_str().unwrap_or_default();
    assert!(shortfall.contains("queries per request"), "{database}");

    let upstream: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let running = || {
        let stat = std::fs::read_to_string(format!("/proc/{upstream}/stat")).unwrap_or_default();
        // Running unless gone or a zombie: "pid (comm) state ...".
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next());
        state.is_some_and(|s| s != "Z")
    };
    assert!(
        eventually(Duration::from_secs(10), || !running()),
        "the cheater's upstream {UPSTREAM} (pid {upstream}) outlived it"
    );
}
