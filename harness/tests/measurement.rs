//! The measurement self-checks against mock targets: records hold only measured windows, a
//! blocked client is caught, and server CPU counts threads that exited mid-run. The open loop's
//! timing against a known delay is in the root package's `tests/load_timing.rs`.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;
use std::time::{Duration, Instant};

use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSet;
use stampede_harness::evidence;
use stampede_harness::load::{LoadClient, LoadPlan, RequestTemplate};
use stampede_harness::mock::{MockBehavior, MockServer};
use stampede_harness::process::{RunningServer, ServerConfig};
use stampede_harness::sampling::SampledStream;
use stampede_harness::steady::{self, SteadyRule, WarmUpEnd};
use stampede_harness::test_support::mock_targets_toml;

/// The tests here measure time; run one at a time so they do not take each other's CPU.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn mock(behavior: MockBehavior) -> MockServer {
    MockServer::start(behavior).expect("mock starts")
}

fn client(addr: std::net::SocketAddr, connections: usize, path: &str) -> LoadClient {
    let mix = vec![RequestTemplate::get(addr, path)];
    LoadClient::connect(addr, connections, &CpuSet::allowed().unwrap(), mix).unwrap()
}

#[test]
fn a_record_holds_the_measured_windows_and_none_of_the_warm_up() {
    let _serial = serial();
    let server = mock(MockBehavior::default());
    let connections = 8;
    let mut load = client(server.addr(), connections, "/plaintext");
    let measured = 5;
    let plan = LoadPlan::stream(Duration::from_secs(60));
    let mut run = SampledStream::start(&mut load, &plan, None, None, measured).unwrap();
    // Criterion's pattern: warm-up calls doubling from 1, then the samples.
    for iters in [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048] {
        run.window(iters).unwrap();
    }
    let served_before_samples = server.requests_served();
    for k in 1..=measured as u64 {
        run.window(300 * k).unwrap();
    }
    let served_after_samples = server.requests_served();
    let record = run.finish(measured).unwrap();
    let served_in_samples = served_after_samples - served_before_samples;
    let sample = &record.sample;
    assert_eq!(record.windows, measured);
    // The record holds the windows and the gaps between them, never what came before the first
    // or after the last. The server's count also holds the moments before the first window and
    // after the last, which grow when this thread is descheduled, so it bounds the record from
    // above; the windows' own completions bound it from below. Window edges cut through
    // requests in flight: at most one per connection at each edge.
    let slack = 2 * connections as u64;
    let in_windows: u64 = (1..=measured as u64).map(|k| 300 * k).sum();
    assert!(
        sample.requests + slack >= in_windows,
        "record {} below the windows' {in_windows} completions",
        sample.requests
    );
    assert!(
        sample.requests <= served_in_samples + slack,
        "record {} above the {served_in_samples} served in the samples: the warm-up's \
         {served_before_samples} requests leaked in",
        sample.requests
    );
    assert_eq!(sample.histogram.len(), sample.requests);
    assert_eq!(sample.errors(), 0);
}

/// Warms a stream of 8 connections to a mock whose n-th connection waits n x 100 ms for its
/// first answer (a start-up transient), under `rule`, then measures 5 windows of 200
/// completions: the warm-up and the slowest answer of the record, in microseconds.
fn measured_after_a_start_up_transient(
    rule: SteadyRule,
) -> (stampede_harness::steady::WarmUp, u64) {
    let server = mock(MockBehavior {
        slow_start: Some(Duration::from_millis(100)),
        ..MockBehavior::default()
    });
    let mut load = client(server.addr(), 8, "/plaintext");
    let plan = LoadPlan::stream(Duration::from_secs(60));
    let mut run = SampledStream::start(&mut load, &plan, None, None, 5).unwrap();
    let warm_up = run.settle(rule);
    for _ in 0..5 {
        run.window(200).unwrap();
    }
    let measured = run.finish(5).unwrap();
    (warm_up, measured.sample.latency().max)
}

#[test]
fn the_measured_windows_begin_after_a_start_up_transient() {
    let _serial = serial();
    let (warm_up, slowest_us) =
        measured_after_a_start_up_transient(SteadyRule::at_most(Duration::from_secs(20)));
    assert_eq!(warm_up.ended, WarmUpEnd::Steady, "{warm_up:?}");
    assert_eq!(warm_up.answered_connections, 8);
    // The 8th connection's first answer came 800 ms after its first request, and the warm-up
    // waited for it.
    assert!(warm_up.duration_ms >= 800, "{warm_up:?}");
    assert!(
        slowest_us < 100_000,
        "a transient answer ({slowest_us} us) is in the record"
    );
}

#[test]
fn a_warm_up_first_sends_one_request_per_connection_and_waits_for_every_answer() {
    let _serial = serial();
    let server = mock(MockBehavior {
        slow_start: Some(Duration::from_millis(100)),
        ..MockBehavior::default()
    });
    let mut load = client(server.addr(), 8, "/plaintext");
    let began = steady::prime(&mut load, Duration::from_secs(20)).unwrap();
    // The 8th connection's first answer comes 800 ms after its first request; the priming
    // waited for it with one request on each connection and no more (it never loaded the
    // server while connections were still being taken over).
    assert!(began.elapsed() >= Duration::from_millis(800));
    assert_eq!(server.requests_served(), 8);
    let plan = LoadPlan::stream(Duration::from_secs(60)).with_pipeline(16);
    let mut run = SampledStream::start(&mut load, &plan, None, None, 2).unwrap();
    let warm_up = run.settle_since(SteadyRule::at_most(Duration::from_secs(20)), began);
    assert_eq!(warm_up.ended, WarmUpEnd::Steady, "{warm_up:?}");
    assert_eq!(warm_up.answered_connections, 8);
    // The warm-up's length counts the priming.
    assert!(warm_up.duration_ms >= 800, "{warm_up:?}");
    run.window(100).unwrap();
}

#[test]
fn a_warm_up_whose_limit_the_priming_spent_still_measures_one_window_of_its_own_load() {
    let _serial = serial();
    let server = mock(MockBehavior {
        slow_start: Some(Duration::from_millis(100)),
        ..MockBehavior::default()
    });
    let mut load = client(server.addr(), 8, "/plaintext");
    // The 8th connection's first answer takes 800 ms: a 300 ms limit ends inside the priming.
    let limit = Duration::from_millis(300);
    let began = steady::prime(&mut load, limit).unwrap();
    assert!(began.elapsed() >= limit);
    let plan = LoadPlan::stream(Duration::from_secs(60)).with_pipeline(16);
    let mut run = SampledStream::start(&mut load, &plan, None, None, 2).unwrap();
    let warm_up = run.settle_since(SteadyRule::at_most(limit), began);
    assert_eq!(warm_up.ended, WarmUpEnd::TimeLimit, "{warm_up:?}");
    // Not a window of nothing: a rate to size the measurement, and the connections answered.
    assert_eq!(warm_up.windows, 1, "{warm_up:?}");
    assert!(warm_up.rate_per_sec > 0.0, "{warm_up:?}");
    assert!(warm_up.answered_connections > 0, "{warm_up:?}");
    run.window(100).unwrap();
}

#[test]
fn a_fixed_short_warm_up_leaves_the_transient_in_the_record_and_says_so() {
    let _serial = serial();
    // The old bench's way: a fixed warm-up far shorter than the transient.
    let (warm_up, slowest_us) =
        measured_after_a_start_up_transient(SteadyRule::at_most(Duration::from_millis(50)));
    assert_eq!(warm_up.ended, WarmUpEnd::TimeLimit, "{warm_up:?}");
    assert!(warm_up.answered_connections < 8, "{warm_up:?}");
    assert!(
        slowest_us >= 100_000,
        "the record ({slowest_us} us at most) missed the transient it was measured in"
    );
}

#[test]
fn a_window_waits_for_exactly_its_completions_in_a_running_stream() {
    let _serial = serial();
    let server = mock(MockBehavior::default());
    let mut load = client(server.addr(), 4, "/plaintext");
    let mut stream = load
        .stream(&LoadPlan::stream(Duration::from_secs(60)))
        .unwrap();
    let (before, _) = stream.progress();
    let window = stream.window(500).unwrap();
    let (after, _) = stream.progress();
    assert!(after - before >= 500, "{before} -> {after}");
    assert!(window.elapsed > Duration::ZERO && window.closed >= window.opened);
    let tallies = stream.finish().unwrap();
    let sample = tallies.windows(window.number, window.number, window.elapsed);
    assert!(sample.requests >= 500, "{}", sample.requests);
    // The load kept running after the window and before finish: more than the window.
    let all = tallies.everything(Duration::from_secs(1));
    assert!(all.requests > sample.requests);
}

#[test]
fn a_blocked_client_is_flagged_client_late() {
    let _serial = serial();
    let server = mock(MockBehavior::default());
    let mut load = client(server.addr(), 4, "/plaintext");
    let mut plan = LoadPlan::duration(Duration::from_millis(1200)).with_rate(1000.0);
    plan.client_stall = Some((Duration::from_millis(100), Duration::from_millis(8)));
    let sample = load.run(&plan).unwrap();
    let run = evidence::open_loop_run("stalled", None, 1000.0, &sample);
    assert!(run.client_late, "{:?}", run.send_lag);
    assert!(sample.late_sends > 0);
}

#[test]
fn server_cpu_includes_threads_that_exited_during_the_run() {
    let _serial = serial();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mock_bin = env!("CARGO_BIN_EXE_stampede-mock");
    let text = mock_targets_toml(&[mock_bin]);
    let catalog = Catalog::parse(&root, &text).unwrap();
    let target = catalog.target("mock").unwrap().clone();
    let config = ServerConfig::for_cpus(CpuSet::allowed().unwrap());
    let server = RunningServer::start(&catalog, &target, &config).unwrap();
    let probe = server.probe();
    let mut load = client(server.addr(), 1, "/burn?ms=40&threads=2");
    let before_ns = probe.cpu_ns();
    let started = Instant::now();
    let sample = load.run(&LoadPlan::requests(5)).unwrap();
    let used_ns = probe.cpu_ns() - before_ns;
    assert_eq!(sample.requests, 5);
    // 5 requests x 2 threads x 40 ms, each thread gone by the time the answer came.
    let burnt_ns = 400_000_000.0;
    let overhead_ns = 20_000_000.0 + started.elapsed().as_nanos() as f64 * 0.02;
    assert!(
        (used_ns as f64) >= burnt_ns * 0.9 && (used_ns as f64) <= burnt_ns * 1.1 + overhead_ns,
        "server CPU {used_ns} ns for {burnt_ns} ns burnt in exited threads ({:?})",
        probe.cpu_source()
    );
}
