//! However `stampede serve` ends — normally, by panic, SIGINT, SIGTERM or SIGKILL — no process
//! of the server's tree outlives it. Uses `node-cluster` (a primary and worker processes) when
//! Node is installed, else `actix` (with STAMPEDE_REQUIRE_TOOLS=1, as on CI, a missing Node is a
//! failure).
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use stampede_harness::test_support::{program_missing, tools_required};

fn target() -> &'static str {
    match program_missing("node", &["--version"], "Node.js >= 18 from nodejs.org") {
        None => "node-cluster",
        Some(why) => {
            assert!(!tools_required(), "{why}");
            "actix"
        }
    }
}

/// Starts `stampede serve` and returns it with the server's pid (its process group).
fn serve(extra: &[&str]) -> (Child, u32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stampede"))
        .args(["serve", target(), "--cpus", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("pid ") {
            let pid = rest.split_whitespace().next().unwrap().parse().unwrap();
            return (child, pid);
        }
    }
    let output = child.wait_with_output().unwrap();
    panic!(
        "serve ended before printing a pid: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Pids whose process group is `group` (or which are `group`).
fn members_of(group: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // fields[0] is the state; a zombie has already exited.
            fields.first() != Some(&"Z")
                && (fields.get(2) == Some(&group.to_string().as_str()) || *pid == group)
        })
        .collect()
}

fn assert_tree_gone(group: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if members_of(group).is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "processes of the server's tree are still running: {:?}",
        members_of(group)
    );
}

fn end_with(signal: Signal) {
    let (mut child, group) = serve(&[]);
    assert!(
        !members_of(group).is_empty(),
        "the server should be running"
    );
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
    child.wait().unwrap();
    assert_tree_gone(group);
}

#[test]
fn ctrl_c_leaves_no_server_process() {
    end_with(Signal::SIGINT);
}

#[test]
fn sigterm_leaves_no_server_process() {
    end_with(Signal::SIGTERM);
}

#[test]
fn sigkill_of_the_harness_leaves_no_server_process() {
    end_with(Signal::SIGKILL);
}

#[test]
fn a_normal_end_leaves_no_server_process() {
    let (mut child, group) = serve(&["--exit-after", "1s"]);
    assert!(child.wait().unwrap().success());
    assert_tree_gone(group);
}

#[test]
fn a_panic_in_the_harness_leaves_no_server_process() {
    let (mut child, group) = serve(&["--panic-after", "1s"]);
    assert!(!child.wait().unwrap().success());
    assert_tree_gone(group);
}
