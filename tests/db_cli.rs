//! `stampede db start|stop|url`: start prints a URL that `url` repeats and that answers, and
//! however `start` ends — `stampede db stop`, Ctrl-C, SIGTERM, by itself, or SIGKILL — no
//! PostgreSQL process outlives it; `db ceiling` measures the kept cluster.
//!
//! The trials share the state file under target/stampede/postgres/, so they run one at a time.
//! Without PostgreSQL they are reported as ignored, with the reason in their names; with
//! STAMPEDE_REQUIRE_TOOLS=1 (CI) they fail instead.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;

use libtest_mimic::{Arguments, Trial};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use stampede_harness::database::Installation;
use stampede_harness::metrics::ServerProbe;
use stampede_harness::test_support::postgres::assert_postgres_gone;
use stampede_harness::test_support::trial_needing;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn main() {
    let args = Arguments::from_args();
    let missing = Installation::find().err().map(|e| e.to_string());
    let tests: [(&str, fn()); 5] = [
        (
            "db_start_prints_a_url_that_db_url_repeats_and_db_stop_leaves_no_postgresql_process",
            db_start_prints_a_url_that_db_url_repeats_and_db_stop_leaves_no_postgresql_process,
        ),
        (
            "ctrl_c_or_sigterm_of_db_start_leaves_no_postgresql_process",
            ctrl_c_or_sigterm_of_db_start_leaves_no_postgresql_process,
        ),
        (
            "a_normal_end_of_db_start_leaves_no_postgresql_process",
            a_normal_end_of_db_start_leaves_no_postgresql_process,
        ),
        (
            "sigkill_of_db_start_leaves_no_postgresql_process_and_no_url",
            sigkill_of_db_start_leaves_no_postgresql_process_and_no_url,
        ),
        (
            "db_ceiling_reads_from_the_kept_cluster_on_its_cpus_and_prints_json",
            db_ceiling_reads_from_the_kept_cluster_on_its_cpus_and_prints_json,
        ),
    ];
    let trials: Vec<Trial> = tests
        .into_iter()
        .map(|(name, test)| {
            trial_needing(missing.clone(), name, move || {
                let _turn = ONE_AT_A_TIME
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                test();
                Ok(())
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn stampede(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stampede"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `stampede db start` and returns it with its URL and the cluster's processes.
fn db_start() -> (Child, String, Vec<u32>) {
    db_start_for("120s")
}

/// [`db_start`] that ends by itself after `exit_after`.
fn db_start_for(exit_after: &str) -> (Child, String, Vec<u32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stampede"))
        .args(["db", "start", "--exit-after", exit_after])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some((_, u)) = line.split_once(" ready at ") {
            url = Some(u.to_owned());
        }
        if let Some(rest) = line.strip_prefix("pid ") {
            let pid: u32 = rest.split_whitespace().next().unwrap().parse().unwrap();
            let tree = ServerProbe::new(pid, None).pids();
            return (child, url.expect("the URL comes before the pid"), tree);
        }
    }
    let status = child.wait().unwrap();
    panic!("db start ended ({status}) before printing its pid");
}

fn db_start_prints_a_url_that_db_url_repeats_and_db_stop_leaves_no_postgresql_process() {
    let (mut child, url, pids) = db_start();
    assert!(
        url.starts_with("postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:"),
        "{url}"
    );
    assert!(pids.len() >= 3, "server and helpers: {pids:?}");
    let printed = stampede(&["db", "url"]);
    assert!(printed.status.success());
    assert_eq!(String::from_utf8_lossy(&printed.stdout).trim(), url);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows: i64 = client
        .query_one("SELECT count(*) FROM World", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 10_000);
    let second = stampede(&["db", "start"]);
    assert!(!second.status.success(), "a second start is refused");
    assert!(String::from_utf8_lossy(&second.stderr).contains("already running"));
    let stopped = stampede(&["db", "stop"]);
    assert!(
        stopped.status.success(),
        "{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    assert!(child.wait().unwrap().success());
    assert_postgres_gone(&pids);
    drop(client);
}

fn ctrl_c_or_sigterm_of_db_start_leaves_no_postgresql_process() {
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        let (mut child, _, pids) = db_start();
        kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
        assert!(child.wait().unwrap().success(), "{signal}");
        assert_postgres_gone(&pids);
    }
}

fn a_normal_end_of_db_start_leaves_no_postgresql_process() {
    let (mut child, _, pids) = db_start_for("3s");
    assert!(pids.len() >= 3, "server and helpers: {pids:?}");
    assert!(child.wait().unwrap().success());
    assert_postgres_gone(&pids);
}

fn sigkill_of_db_start_leaves_no_postgresql_process_and_no_url() {
    let (mut child, _, pids) = db_start();
    kill(
        Pid::from_raw(i32::try_from(child.id()).unwrap()),
        Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
    assert_postgres_gone(&pids);
    let printed = stampede(&["db", "url"]);
    assert!(!printed.status.success());
    assert!(String::from_utf8_lossy(&printed.stderr).contains("no cluster is running"));
}

fn db_ceiling_reads_from_the_kept_cluster_on_its_cpus_and_prints_json() {
    let (mut child, _, pids) = db_start();
    let args = [
        "db",
        "ceiling",
        "--json",
        "--duration",
        "1s",
        "--connections",
        "4",
    ];
    let measured = stampede(&args);
    let stderr = String::from_utf8_lossy(&measured.stderr);
    assert!(measured.status.success(), "{stderr}");
    assert!(
        !stderr.contains("starting one"),
        "the kept cluster is used: {stderr}"
    );
    let ceiling: serde_json::Value = serde_json::from_slice(&measured.stdout).unwrap();
    assert_eq!(ceiling["connections"], 4);
    assert!(ceiling["reads"].as_u64().unwrap() > 0, "{ceiling}");
    assert!(
        ceiling["database_cpus"].is_string(),
        "from the state file: {ceiling}"
    );
    assert!(stampede(&["db", "stop"]).status.success());
    assert!(child.wait().unwrap().success());
    assert_postgres_gone(&pids);
}
