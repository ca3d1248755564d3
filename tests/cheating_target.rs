//! A target that passes verification and then answers `/hash` from a cache keyed by path and
//! query (tests/fixtures/cheater.py, forwarding to the real actix target until then) is caught
//! by `stampede load`: the varied bodies get the cached digest, the sampled checks report
//! wrong answers, and the result is invalid. Without python3 it is reported as ignored with the
//! reason; with STAMPEDE_REQUIRE_TOOLS=1 (CI) it fails.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;

use stampede_harness::catalog::Catalog;
use stampede_harness::catalog::fixtures::{copy_spec, python_target};
use stampede_harness::cpus::CpuSet;
use stampede_harness::process::ServerConfig;
use stampede_harness::run_needing;
use stampede_harness::session::{load_spec, start_verified};
use stampede_harness::test_support::program_missing;

fn main() {
    // The cheating target is a Python script.
    let missing = program_missing("python3", &["--version"], "apt-get install python3");
    run_needing!(missing;
        a_target_that_caches_hash_answers_after_verification_is_reported_with_wrong_answers
    );
}

fn a_target_that_caches_hash_answers_after_verification_is_reported_with_wrong_answers() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let catalog = Catalog::load(repo).unwrap();
    let vectors = load_spec(&catalog).unwrap();
    let config = ServerConfig::for_cpus(CpuSet::allowed().unwrap());
    let actix = start_verified(&catalog, "actix", &config, vectors.clone()).unwrap();
    let hash_vectors = vectors
        .iter()
        .filter(|v| v.request.path.starts_with("/hash"))
        .count();

    let root = tempfile::tempdir().unwrap();
    copy_spec(repo, root.path()).unwrap();
    std::fs::copy(
        repo.join("tests/fixtures/cheater.py"),
        root.path().join("cheater.py"),
    )
    .unwrap();
    std::fs::write(
        root.path().join("targets.toml"),
        python_target(
            "cheater",
            "cheater.py",
            &format!(
                r#"env = {{ UPSTREAM = "{}", CHEAT_AFTER_HASH = "{hash_vectors}" }}"#,
                actix.server.addr()
            ),
        ),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_stampede"))
        .args(["load", "--target", "cheater", "--workload", "hash:1000"])
        .args(["-c", "4", "-d", "2s", "--warmup", "500ms", "--json"])
        .env("STAMPEDE_ROOT", root.path())
        .output()
        .unwrap();
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
