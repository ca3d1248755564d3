//! `stampede conformance` against a target whose own code answers 200 to everything (a
//! throwaway Python server in a temporary workspace with the real probe table): the table
//! shows it, every failure is listed with its RFC section and owner, the record is written, and
//! the failures of its own code (the Host rule) make the exit status 1. Without python3 it is
//! reported as ignored with the reason; with STAMPEDE_REQUIRE_TOOLS=1 (CI) it fails.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{python_missing, python_server, python_workspace, stampede_in};
use stampede_harness::run_needing;

fn main() {
    run_needing!(python_missing();
        a_target_whose_own_code_breaks_the_host_rule_is_listed_with_the_section_and_fails
    );
}

/// Answers every GET and POST with 200, whatever its Host.
fn lax() -> String {
    python_server(&[], "ok", "    do_GET = do_POST = answer")
}

fn a_target_whose_own_code_breaks_the_host_rule_is_listed_with_the_section_and_fails() {
    let root = python_workspace("lax", &lax(), "");
    let output = stampede_in(root.path(), &["conformance"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("pass lenient fail"), "{stdout}");
    assert!(
        stdout.contains("MUST   host-with-userinfo (RFC 9112 §3.2, ours): got status 200"),
        "{stdout}"
    );
    let record = root.path().join("target/stampede/conformance/lax.json");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(record).unwrap()).unwrap();
    assert_eq!(record["target"], "lax");
    assert!(record["probes"].as_array().unwrap().len() > 50);
}
