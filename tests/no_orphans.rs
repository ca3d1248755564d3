//! However `stampede serve` ends — normally, by panic, SIGINT, SIGTERM or SIGKILL — no process
//! of the server's tree outlives it. Uses `node-cluster` (a primary and worker processes) when
//! Node is installed, else `actix` (with STAMPEDE_REQUIRE_TOOLS=1, as on CI, a missing Node is a
//! failure).
//!
//! Likewise, however `stampede load` of a database workload ends — normally, SIGINT, SIGTERM or
//! SIGKILL — neither the server nor any process of the PostgreSQL cluster it started (the
//! server, its helpers, the target's backends) outlives it. Without PostgreSQL or Go those
//! trials are reported as ignored, with the reason in their names (failures on CI).
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use stampede_harness::catalog::{Availability, Catalog};
use stampede_harness::metrics::ServerProbe;
use stampede_harness::test_support::postgres::assert_postgres_gone;
use stampede_harness::test_support::{
    eventually, postgres_missing, program_missing, run, tools_required,
};
use stampede_harness::trials_needing;

/// The target of the database loads: `stampede load --target nethttp --workload db`.
const DB_TARGET: &str = "nethttp";

fn main() {
    let mut trials = trials_needing!(None;
        ctrl_c_leaves_no_server_process,
        sigterm_leaves_no_server_process,
        sigkill_of_the_harness_leaves_no_server_process,
        a_normal_end_leaves_no_server_process,
        a_panic_in_the_harness_leaves_no_server_process,
    );
    trials.extend(
        trials_needing!(postgres_missing().or_else(db_target_missing);
            a_normal_end_of_a_database_load_leaves_no_postgresql_or_server_process,
            ctrl_c_or_sigterm_of_a_database_load_leaves_no_postgresql_or_server_process,
            sigkill_of_a_database_load_leaves_no_postgresql_or_server_process,
        ),
    );
    run(trials)
}

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

fn ctrl_c_leaves_no_server_process() {
    end_with(Signal::SIGINT);
}

fn sigterm_leaves_no_server_process() {
    end_with(Signal::SIGTERM);
}

fn sigkill_of_the_harness_leaves_no_server_process() {
    end_with(Signal::SIGKILL);
}

fn a_normal_end_leaves_no_server_process() {
    let (mut child, group) = serve(&["--exit-after", "1s"]);
    assert!(child.wait().unwrap().success());
    assert_tree_gone(group);
}

fn a_panic_in_the_harness_leaves_no_server_process() {
    let (mut child, group) = serve(&["--panic-after", "1s"]);
    assert!(!child.wait().unwrap().success());
    assert_tree_gone(group);
}

/// Why the database loads' target cannot be built here, if it cannot.
fn db_target_missing() -> Option<String> {
    let catalog = Catalog::discover().unwrap();
    match catalog.availability(catalog.target(DB_TARGET).unwrap()) {
        Availability::Skipped { reason } => Some(reason),
        Availability::Available { .. } => None,
    }
}

/// The command name, state and parent of `pid`, from /proc/PID/stat.
fn stat_of(pid: u32) -> Option<(String, String, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let comm = stat[stat.find('(')? + 1..stat.rfind(')')?].to_owned();
    let mut rest = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = rest.next()?.to_owned();
    Some((comm, state, rest.next()?.parse().ok()?))
}

/// Live (not zombie) children of `parent`, with their command names.
fn children_of(parent: u32) -> Vec<(u32, String)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let (comm, state, ppid) = stat_of(pid)?;
            (ppid == parent && state != "Z").then_some((pid, comm))
        })
        .collect()
}

/// A backend serving the targets' role: the server reached the database.
fn serves_the_role(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| c.starts_with(b"postgres: benchmarkdbuser"))
}

/// `stampede load` of a database workload, and every process it was seen to run: the server
/// (its process group) and PostgreSQL's (the postmaster, its helpers and backends).
struct DatabaseLoad {
    harness: Child,
    server: Option<u32>,
    postgres: BTreeSet<u32>,
    _history: tempfile::TempDir,
}

impl DatabaseLoad {
    /// Starts the load for `duration`, measured without warm-up, with a history of its own.
    fn start(duration: &str) -> Self {
        let history = tempfile::tempdir().unwrap();
        let harness = Command::new(env!("CARGO_BIN_EXE_stampede"))
            .args(["load", "--target", DB_TARGET, "--workload", "db", "-c", "4"])
            .args(["-d", duration, "--warmup", "0s", "--history"])
            .arg(history.path().join("history.sqlite"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Self {
            harness,
            server: None,
            postgres: BTreeSet::new(),
            _history: history,
        }
    }

    /// Adds what runs now to what was seen; true once the server has a backend of its own.
    fn look(&mut self) -> bool {
        let children = children_of(self.harness.id());
        if let Some((pid, _)) = children.iter().find(|(_, comm)| comm == DB_TARGET) {
            self.server = Some(*pid);
        }
        let mut connected = false;
        for (postmaster, _) in children.iter().filter(|(_, comm)| comm == "postgres") {
            for pid in ServerProbe::new(*postmaster, None).pids() {
                connected |= serves_the_role(pid);
                self.postgres.insert(pid);
            }
        }
        connected && self.server.is_some()
    }

    /// Waits (bounded: a first build of the target takes a while) until the server is connected
    /// to PostgreSQL.
    fn until_connected(mut self) -> Self {
        let connected = eventually(Duration::from_secs(180), || self.look());
        assert!(
            connected,
            "the load should reach the database: {:?}",
            self.server
        );
        self
    }

    /// Neither the server's tree nor a PostgreSQL process seen is left.
    fn assert_all_gone(&self) {
        assert_tree_gone(self.server.unwrap());
        let postgres: Vec<u32> = self.postgres.iter().copied().collect();
        assert!(
            postgres.len() >= 4,
            "postmaster, helpers and a backend: {postgres:?}"
        );
        assert_postgres_gone(&postgres);
    }
}

fn a_normal_end_of_a_database_load_leaves_no_postgresql_or_server_process() {
    let mut load = DatabaseLoad::start("2s").until_connected();
    // Every backend of the measured run too, until the harness ends.
    while load.harness.try_wait().unwrap().is_none() {
        load.look();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(load.harness.wait().unwrap().success());
    load.assert_all_gone();
}

fn ctrl_c_or_sigterm_of_a_database_load_leaves_no_postgresql_or_server_process() {
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        end_database_load_with(signal);
    }
}

fn sigkill_of_a_database_load_leaves_no_postgresql_or_server_process() {
    end_database_load_with(Signal::SIGKILL);
}

fn end_database_load_with(signal: Signal) {
    let mut load = DatabaseLoad::start("60s").until_connected();
    load.look();
    kill(Pid::from_raw(load.harness.id() as i32), signal).unwrap();
    assert!(!load.harness.wait().unwrap().success(), "{signal} ends it");
    load.assert_all_gone();
}
