//! A target that passes verification and then answers `/hash` from a cache keyed by path and
//! query (tests/fixtures/cheater.py, forwarding to the real actix target until then) is caught
//! by `stampede load`: the varied bodies get the cached digest, the sampled checks report
//! wrong answers, and the result is invalid. Without python3 it is reported as ignored with the
//! reason; with STAMPEDE_REQUIRE_TOOLS=1 (CI) it fails.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{python_missing, python_workspace, repo, stampede_in};
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSet;
use stampede_harness::process::ServerConfig;
use stampede_harness::run_needing;
use stampede_harness::session::{load_spec, start_verified};

fn main() {
    // The cheating target is a Python script.
    run_needing!(python_missing();
        a_target_that_caches_hash_answers_after_verification_is_reported_with_wrong_answers
    );
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
