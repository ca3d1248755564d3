//! `stampede history`: import a results folder, then one line per benchmark ID, as text and as
//! JSON; and a history that does not exist yet is a hint, not an error.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;
use std::process::{Command, Output};

use stampede_harness::benchmark_id::BenchmarkId;

fn stampede(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stampede"))
        .args(args)
        .env_remove("STAMPEDE_HISTORY")
        .output()
        .unwrap()
}

fn write_result(dir: &Path, id: &str, n: u32, requests_per_sec: f64, commit: &str) {
    let record = serde_json::json!({
        "id": id, "requests_per_sec": requests_per_sec,
        "latency_us": {"p99": 900}, "server": {"cpu_us_per_request": 10.0, "peak_rss_bytes": 1},
        "machine": {"cpu_model": "Test CPU", "cores": 2, "kernel": "6.1.0"},
        "setup": {"server_cpus": "0", "client_cpus": "1"},
        "git_commit": commit, "time": format!("2026-11-22T10:00:{n:02}Z"),
    });
    let name = format!("{n}-{}", id.parse::<BenchmarkId>().unwrap().file_name());
    std::fs::write(dir.join(name), record.to_string()).unwrap();
}

#[test]
fn history_lists_imported_results_with_their_change_point_and_commit() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    std::fs::create_dir(&results).unwrap();
    let wobble = [0.2, -0.1, 0.3, -0.2, 0.0, 0.1];
    for n in 0..12u32 {
        let (commit, level) = if n < 6 {
            ("aaaa", 100.0)
        } else {
            ("bbbb", 80.0)
        };
        write_result(
            &results,
            "plaintext/actix/c64",
            n,
            level + wobble[n as usize % 6],
            commit,
        );
    }
    let db = dir.path().join("h.sqlite");
    let db = db.to_str().unwrap();
    let import = stampede(&[
        "history",
        "import",
        results.to_str().unwrap(),
        "--mode",
        "quick",
        "--history",
        db,
    ]);
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert!(String::from_utf8_lossy(&import.stdout).contains("12 record(s) added"));

    let text = stampede(&["history", "plaintext", "--history", db]);
    let text = String::from_utf8_lossy(&text.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("plaintext/actix/c64"))
        .unwrap();
    assert!(line.contains("quick") && line.contains("  12 "), "{line}");
    assert!(line.contains("-20.0% at bbbb (after aaaa)"), "{line}");

    let json = stampede(&["history", "--history", db, "--json", "--metric", "cpu_us"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["metric"], "cpu_us");
    assert_eq!(report["trends"][0]["runs"].as_array().unwrap().len(), 12);
}

#[test]
fn history_without_a_file_yet_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.sqlite");
    let out = stampede(&["history", "--history", db.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("run `cargo bench`"));
    assert!(!db.exists(), "reading does not create the file");
}
