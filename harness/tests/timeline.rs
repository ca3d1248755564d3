//! A run's timeline against the mock target: the intervals are the run cut in pieces, so their
//! counts add up to the whole run's, in a closed and in an open loop, and against a URL a line
//! shows as each interval ends; the memory verdict catches a mock process that leaks per
//! request, and neither the same process without the leak nor actix under the same load.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSet;
use stampede_harness::evidence::{MemoryGrowth, Timeline};
use stampede_harness::load::{LoadClient, LoadPlan, RequestTemplate, TimedRun};
use stampede_harness::mock::{MockBehavior, MockServer};
use stampede_harness::process::{RunningServer, ServerConfig};
use stampede_harness::session::{TimelineAsk, load_spec, run_watched, start_verified};
use stampede_harness::test_support::mock_targets_toml;

fn failing_mock() -> MockServer {
    MockServer::start(MockBehavior {
        fail_every: Some(7),
        ..MockBehavior::default()
    })
    .expect("mock starts")
}

fn client(server: &MockServer, connections: usize) -> LoadClient {
    let mix = vec![RequestTemplate::get(server.addr(), "/plaintext")];
    let cpus = CpuSet::allowed().unwrap();
    LoadClient::connect(server.addr(), connections, &cpus, mix).unwrap()
}

fn timed(plan: &LoadPlan, every: Duration) -> (TimedRun, Vec<u64>) {
    let server = failing_mock();
    let mut client = client(&server, 4);
    let mut boundaries = Vec::new();
    let run = client
        .run_with_timeline(plan, every, &mut |b| boundaries.push(b.number))
        .unwrap();
    (run, boundaries)
}

fn assert_adds_up(run: &TimedRun, boundaries: &[u64]) {
    let intervals = &run.intervals;
    let mut errors = BTreeMap::new();
    for interval in intervals {
        for (kind, n) in &interval.errors_by_kind {
            *errors.entry(kind.as_str().to_owned()).or_insert(0) += n;
        }
    }
    let mut whole_errors = run.whole.errors_by_kind_named();
    whole_errors.retain(|_, n| *n > 0);
    assert!(
        run.whole.requests > 0 && !whole_errors.is_empty(),
        "{:?}",
        run.whole
    );
    let requests: u64 = intervals.iter().map(|i| i.requests).sum();
    assert_eq!(requests, run.whole.requests);
    assert_eq!(errors, whole_errors);
    let latencies: u64 = intervals.iter().map(|i| i.latency_us.len()).sum();
    assert_eq!(latencies, run.whole.histogram.len());
    // The caller hears of the start (0), then of each interval's end, the last one included.
    let n = intervals.len() as u64;
    assert!(n >= 1);
    assert_eq!(boundaries, (0..=n).collect::<Vec<_>>());
    let starts: Vec<Duration> = intervals.iter().map(|i| i.from_start).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
}

#[test]
fn a_closed_loop_timeline_adds_up_to_the_whole_run() {
    let (run, boundaries) = timed(
        &LoadPlan::duration(Duration::from_millis(600)),
        Duration::from_millis(100),
    );
    assert_adds_up(&run, &boundaries);
    // No interval outlasts the run's own end by a sliver of its own.
    assert!(run.intervals.len() <= 6, "{}", run.intervals.len());
}

#[test]
fn an_open_loop_timeline_adds_up_and_keeps_the_send_lag_of_each_interval() {
    let plan = LoadPlan::duration(Duration::from_millis(500)).with_rate(4_000.0);
    let (run, boundaries) = timed(&plan, Duration::from_millis(100));
    assert_adds_up(&run, &boundaries);
    let due = plan.due_per_interval(4, Duration::from_millis(100));
    assert!((due - 400.0).abs() < 1e-9, "{due}");
    let timeline = Timeline::of(Duration::from_millis(100), &run.intervals, &[], 0, due);
    assert_eq!(timeline.rows.len(), run.intervals.len());
    assert!(timeline.rows.iter().any(|r| r.send_lag_p99_us.is_some()));
    assert!(timeline.rows.iter().all(|r| r.server.is_none()));
    let rows: u64 = timeline.rows.iter().map(|r| r.requests + r.errors).sum();
    assert_eq!(rows, run.whole.requests + run.whole.errors());
}

#[test]
fn a_timeline_of_no_length_or_of_too_many_intervals_is_refused() {
    let server = failing_mock();
    let mut client = client(&server, 1);
    let plan = LoadPlan::duration(Duration::from_millis(50));
    let err = client
        .run_with_timeline(&plan, Duration::ZERO, &mut |_| {})
        .unwrap_err();
    assert!(err.to_string().contains("interval above zero"), "{err}");
    let long = LoadPlan::duration(Duration::from_secs(3_600));
    let err = client
        .run_with_timeline(&long, Duration::from_millis(100), &mut |_| {})
        .unwrap_err();
    assert!(err.to_string().contains("at most 3600 intervals"), "{err}");
}

/// The mock as a process of its own, keeping `leak_bytes` per request.
fn mock_process(leak_bytes: usize) -> (RunningServer, CpuSet) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mock_bin = env!("CARGO_BIN_EXE_stampede-mock");
    let leak = format!("MOCK_LEAK_BYTES={leak_bytes}");
    let text = mock_targets_toml(&["env", &leak, mock_bin]);
    let catalog = Catalog::parse(&root, &text).unwrap();
    let target = catalog.target("mock").unwrap().clone();
    let cpus = CpuSet::allowed().unwrap();
    let config = ServerConfig::for_cpus(cpus.clone());
    (
        RunningServer::start(&catalog, &target, &config).unwrap(),
        cpus,
    )
}

/// The memory verdict of a 4-second open loop at 1,000 requests/s on `server`, watched per
/// 100 ms, after a short unmeasured run that lets the allocator settle.
fn memory_verdict_of(server: &RunningServer, cpus: &CpuSet) -> MemoryGrowth {
    let mix = vec![RequestTemplate::get(server.addr(), "/plaintext")];
    let mut client = LoadClient::connect(server.addr(), 8, cpus, mix).unwrap();
    client
        .run(&LoadPlan::duration(Duration::from_millis(500)))
        .unwrap();
    let plan = LoadPlan::duration(Duration::from_secs(4)).with_rate(1_000.0);
    let mut lines = 0;
    let mut count = |_: &str| lines += 1;
    let ask = TimelineAsk {
        every: Duration::from_millis(100),
        live: Some(&mut count),
    };
    let watched = run_watched(&mut client, &plan, &server.probe(), cpus, 1, Some(ask));
    // A line as each interval ended, the last one (the run's end) included.
    assert_eq!(lines, watched.timeline.as_ref().map_or(0, |t| t.rows.len()));
    watched.timeline.unwrap().over_time.memory
}

/// [`memory_verdict_of`] the mock as a process keeping `leak_bytes` per request.
fn memory_verdict(leak_bytes: usize) -> String {
    let (server, cpus) = mock_process(leak_bytes);
    let memory = memory_verdict_of(&server, &cpus);
    eprintln!("leak {leak_bytes} B/request: {memory:?}");
    memory.verdict
}

#[test]
fn a_server_that_leaks_per_request_is_caught_and_the_same_server_without_the_leak_is_not() {
    assert_eq!(memory_verdict(16 * 1024), "grows");
    assert_eq!(memory_verdict(0), "stable");
}

#[test]
fn a_reference_target_loaded_as_the_leaking_mock_is_judged_stable() {
    // actix: Rust is always here (the workspace is built with it), so this never skips.
    let catalog = Catalog::discover().unwrap();
    let vectors = load_spec(&catalog).unwrap();
    let cpus = CpuSet::allowed().unwrap();
    let config = ServerConfig::for_cpus(cpus.clone());
    let actix = start_verified(&catalog, "actix", &config, vectors).unwrap();
    let memory = memory_verdict_of(&actix.server, &cpus);
    assert_eq!(memory.verdict, "stable", "{memory:?}");
}

#[test]
fn a_timed_run_against_a_url_shows_a_line_per_interval_without_server_figures() {
    use stampede_harness::load_request::{LoadRequest, LoadTarget};
    let server = failing_mock();
    let request = LoadRequest {
        target: LoadTarget::Url(format!("http://{}/plaintext", server.addr())),
        connections: 2,
        duration: Duration::from_millis(500),
        warmup: Duration::ZERO,
        rate_per_sec: Some(2_000.0),
        pipeline: 1,
        client_cpus: None,
        server_cpus: None,
        io: None,
        answer_checks: true,
        db_pool_size: 1,
        history: None,
        timeline: Some(Duration::from_millis(100)),
    };
    let mut lines = Vec::new();
    let measured = request
        .measure(&mut |line| lines.push(line.to_owned()))
        .unwrap();
    let rows = measured.timeline.unwrap().rows.len();
    assert!(rows >= 4, "{rows}");
    assert_eq!(lines.len(), rows, "{lines:#?}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("finished/s") && !l.contains("server")),
        "{lines:#?}"
    );
    assert!(lines[0].trim_start().starts_with("0.0s"), "{}", lines[0]);
}
