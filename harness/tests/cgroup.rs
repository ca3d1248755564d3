//! A child moved into a server cgroup has its CPU time counted after it exits: what the cgroup
//! CPU source is for. Without a writable cgroup v2 hierarchy it is reported as ignored with the
//! reason; with STAMPEDE_REQUIRE_TOOLS=1 (CI) it fails.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use stampede_harness::metrics::cgroup::ServerCgroup;
use stampede_harness::run_needing;

fn label() -> String {
    format!("test-{}", std::process::id())
}

fn main() {
    // A group made and removed at once: can this machine make one?
    let missing = ServerCgroup::create(&label()).is_none().then(|| {
        "no writable cgroup v2 hierarchy here (run as root with cgroup2 mounted read-write, \
         or in a delegated subtree)"
            .to_owned()
    });
    run_needing!(missing; a_child_moved_into_a_server_cgroup_has_its_cpu_counted_after_it_exits);
}

fn a_child_moved_into_a_server_cgroup_has_its_cpu_counted_after_it_exits() {
    let group = ServerCgroup::create(&label()).unwrap();
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            "read x; i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    group.adopt(child.id()).unwrap();
    assert_eq!(group.pids(), vec![child.id()]);
    drop(child.stdin.take());
    child.wait().unwrap();
    assert!(group.pids().is_empty());
    assert!(group.cpu_ns().unwrap() > 1_000_000, "{:?}", group.cpu_ns());
}
