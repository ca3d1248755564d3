//! `stampede serve TARGET --metrics ADDR` answers Prometheus scrapes, and the server's CPU
//! counter grows while it serves load.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use stampede_harness::cpus::CpuSet;
use stampede_harness::exposition::scrape::scrape;
use stampede_harness::load::{LoadClient, LoadPlan, RequestTemplate};

#[test]
fn a_served_target_exposes_a_cpu_counter_that_grows_under_load() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stampede"))
        .args(["serve", "actix", "--cpus", "0", "--metrics", "127.0.0.1:0"])
        .args(["--exit-after", "120s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut base, mut metrics) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("listening on ") {
            base = Some(url.trim().to_owned());
        }
        if let Some(url) = line.strip_prefix("metrics at ") {
            metrics = Some(url.trim().to_owned());
            break;
        }
    }
    let (base, metrics) = (
        base.unwrap(),
        metrics.expect("serve printed its metrics URL"),
    );
    let before = scrape(&metrics).unwrap();
    let addr: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let mix = vec![RequestTemplate::get(addr, "/plaintext")];
    let cpus = CpuSet::allowed().unwrap();
    let mut client = LoadClient::connect(addr, 4, &cpus, mix).unwrap();
    let sample = client.run(&LoadPlan::requests(20_000)).unwrap();
    drop(client);
    let after = scrape(&metrics).unwrap();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let _ = child.wait();
    assert_eq!(sample.errors(), 0);
    let cpu = "stampede_server_cpu_seconds_total";
    assert!(after[cpu] > before[cpu], "{before:?} -> {after:?}");
    assert!(after["stampede_server_memory_pss_bytes"] > 0.0, "{after:?}");
    assert!(after["stampede_server_threads"] >= 1.0, "{after:?}");
    assert!(after["stampede_server_open_fds"] >= 1.0, "{after:?}");
    assert_eq!(after["stampede_server_cores"], 1.0);
}
