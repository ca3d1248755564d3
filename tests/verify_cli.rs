//! `stampede verify` against a target that answers wrongly exits 1 with a diff naming the
//! endpoint, expected and got. The target is a throwaway Python server in a temporary
//! workspace (STAMPEDE_ROOT) that uses the real spec. Without python3 they are reported as
//! ignored with the reason; with STAMPEDE_REQUIRE_TOOLS=1 (CI) they fail.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{python_missing, python_server, python_workspace, repo, stampede_in};
use stampede_harness::run_needing;

fn main() {
    run_needing!(python_missing();
        verify_exits_1_with_a_diff_naming_the_endpoint_for_a_wrong_target,
        verify_replays_only_a_partial_targets_vectors_and_list_names_its_workloads,
    );
}

/// Answers everything with 200 `Hello` and the right Server and Date headers.
fn wrong() -> String {
    python_server(
        &[("Server", "wrong"), ("Content-Type", "text/plain")],
        "Hello",
        "    do_GET = do_POST = do_DELETE = answer\n    def version_string(self):\n        return \"wrong\"",
    )
}

fn verify_exits_1_with_a_diff_naming_the_endpoint_for_a_wrong_target() {
    let root = python_workspace("wrong", &wrong(), "");
    let output = stampede_in(root.path(), &["verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("wrong: FAILED"), "{stdout}");
    assert!(stdout.contains("GET /plaintext"), "{stdout}");
    assert!(
        stdout.contains(r#"expected "Hello, World!", got "Hello""#),
        "{stdout}"
    );
}

/// The two-workload example of docs/adding-a-target.md: `verify` replays only the vectors of
/// its workloads and the ones every target answers (it would fail /json/doc, which it answers
/// 404), and `list` names what it serves.
fn verify_replays_only_a_partial_targets_vectors_and_list_names_its_workloads() {
    let example = std::fs::read_to_string(repo().join("python-targets/example.py")).unwrap();
    let root = python_workspace("example", &example, r#"workloads = ["plaintext", "json"]"#);
    let run = |command: &str| {
        let output = stampede_in(root.path(), &[command]);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert_eq!(output.status.code(), Some(0), "{command}: {stdout}");
        stdout
    };
    let verified = run("verify");
    // `example: ok (N vectors of ALL: plaintext, json and the rules every answer obeys)`
    let counts = verified
        .strip_prefix("example: ok (")
        .and_then(|rest| rest.split_once(": plaintext, json and the rules every answer obeys)"))
        .and_then(|(counts, _)| counts.split_once(" vectors of "))
        .map(|(n, all)| (n.parse::<usize>().unwrap(), all.parse::<usize>().unwrap()));
    let Some((served, all)) = counts else {
        panic!("unexpected verify output: {verified}");
    };
    assert!(served >= 3 && served < all, "{verified}");
    let listed = run("list");
    assert!(listed.contains("serves plaintext, json"), "{listed}");
}
