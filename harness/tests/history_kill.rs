//! A run killed with SIGKILL while it appends to the history leaves a database that opens,
//! passes SQLite's integrity check and holds every record the run had committed.
//!
//! The writer is this test binary itself, started again with only the ignored
//! `child_appends_records_until_killed` test selected.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;
use stampede_harness::evidence::{Commit, Machine, Run, RunMode};
use stampede_harness::history::trend::{TrendSettings, analyse};
use stampede_harness::history::{History, KeptRun, Metric, Source};

const CHILD_ENV: &str = "STAMPEDE_HISTORY_KILL_TEST_FILE";
/// The parent kills the writer once it has reported this many commits.
const KILL_AFTER: u64 = 150;

fn kept_run() -> KeptRun {
    let run = Run {
        id: "killed-run".into(),
        started_at: "2026-11-22T10:00:00Z".into(),
        mode: RunMode::Quick,
        commit: Commit::parse("abc"),
        branch: None,
        machine: Machine {
            cpu_model: "Test CPU".into(),
            cores: 2,
            kernel: "6.1.0".into(),
        },
        toolchains: Default::default(),
    };
    KeptRun::new(run, Source::Bench, "0", "1")
}

#[test]
#[ignore = "the writer half of a_run_killed_with_sigkill_leaves_a_readable_history"]
fn child_appends_records_until_killed() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let history = History::open(Path::new(&path)).unwrap();
    let kept = kept_run();
    let started = Instant::now();
    // Bounded even if nobody kills it.
    for i in 0..100_000u64 {
        let record = json!({
            "id": format!("plaintext/actix/c{i}"),
            "requests_per_sec": 1000.0 + i as f64,
            "time": format!("2026-11-22T10:00:00.{i:06}Z"),
            "padding": "x".repeat(2000),
        });
        history.append(&kept, &[record]).unwrap();
        let mut out = std::io::stdout().lock();
        writeln!(out, "committed {i}").unwrap();
        out.flush().unwrap();
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
}

#[test]
fn a_run_killed_with_sigkill_leaves_a_readable_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_appends_records_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut last_committed = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            let n: u64 = n.parse().unwrap();
            last_committed = Some(n);
            if n >= KILL_AFTER {
                break;
            }
        }
    }
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    kill(pid, Signal::SIGKILL).unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the writer was killed, not finished");
    let last_committed = last_committed.expect("the writer committed records before the kill");
    assert!(last_committed >= KILL_AFTER);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    let history = History::open(&path).unwrap();
    let (records, runs) = history.counts().unwrap();
    assert!(
        records > last_committed,
        "{records} records, {last_committed} reported committed"
    );
    assert_eq!(runs, 1);
    let report = analyse(
        history.points(Metric::RequestsPerSec).unwrap(),
        None,
        Metric::RequestsPerSec,
        &TrendSettings::default(),
    );
    assert_eq!(report.trends.len() as u64, records);
}
