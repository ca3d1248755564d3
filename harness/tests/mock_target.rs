//! Load and verify logic against the in-process mock target: no Go, Node or release build.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;
use std::time::Duration;

use stampede_harness::cpus::CpuSet;
use stampede_harness::load::{
    ErrorKind, IoBackend, IoChoice, LoadClient, LoadPlan, RequestTemplate,
};
use stampede_harness::mock::{MockBehavior, MockServer};
use stampede_harness::vectors::{Vector, load_vectors, spec_dir};
use stampede_harness::verify::{VerifyError, verify};
use stampede_harness::workload::Workload;

fn mock(behavior: MockBehavior) -> MockServer {
    MockServer::start(behavior).expect("mock starts")
}

fn client(server: &MockServer, connections: usize) -> LoadClient {
    client_on(server, connections, IoChoice::Epoll)
}

fn client_on(server: &MockServer, connections: usize, io: IoChoice) -> LoadClient {
    let mix = vec![RequestTemplate::get(server.addr(), "/plaintext")];
    LoadClient::connect_with(
        server.addr(),
        connections,
        &CpuSet::allowed().unwrap(),
        mix,
        io,
    )
    .unwrap()
}

/// The I/O backends this machine runs: epoll always, io_uring where the kernel allows it (the
/// closed-loop tests below run on each).
fn backends() -> Vec<(IoChoice, IoBackend)> {
    let mut all = vec![(IoChoice::Epoll, IoBackend::Epoll)];
    match IoChoice::Uring.resolve() {
        Ok(backend) => all.push((IoChoice::Uring, backend)),
        Err(why) => eprintln!("io_uring cases skipped: {why}"),
    }
    all
}

/// The spec's vectors for the endpoints the mock implements.
fn mock_vectors() -> Vec<Vector> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    load_vectors(&spec_dir(&root))
        .unwrap()
        .into_iter()
        .filter(|v| ["healthz", "plaintext", "json", "unknown-path"].contains(&v.name.as_str()))
        .collect()
}

#[test]
fn a_counted_run_sends_exactly_the_requested_number_over_all_connections() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior::default());
        let mut load = client_on(&server, 16, io);
        let sample = load.run(&LoadPlan::requests(2_000)).unwrap();
        assert_eq!(sample.requests, 2_000, "{backend}");
        assert_eq!(sample.errors(), 0, "{backend}");
        assert_eq!(server.requests_served(), 2_000, "{backend}");
        assert_eq!(sample.histogram.len(), 2_000, "{backend}");
        assert_eq!(sample.io, backend);
    }
}

#[test]
fn every_connection_counts_its_own_successes_and_errors_are_not_among_them() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior {
            fail_every: Some(10),
            ..MockBehavior::default()
        });
        let mut load = client_on(&server, 4, io);
        let sample = load
            .run(&LoadPlan::duration(std::time::Duration::from_millis(300)))
            .unwrap();
        assert_eq!(sample.per_connection.len(), 4);
        assert_eq!(sample.per_connection.iter().sum::<u64>(), sample.requests);
        assert!(sample.errors() > 0, "{backend}");
        let fairness = sample.fairness().unwrap();
        assert!(fairness.min > 0, "{backend}: {:?}", sample.per_connection);
        assert!(fairness.jain_index > 0.5, "{backend}: {fairness:?}");
    }
}

#[test]
fn connections_stay_open_across_runs_like_criterion_iterations() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior::default());
        let mut load = client_on(&server, 4, io);
        for iters in [1, 2, 4, 8, 100] {
            let sample = load.run(&LoadPlan::requests(iters)).unwrap();
            assert_eq!(sample.requests, iters, "{backend}");
        }
        assert_eq!(server.requests_served(), 115, "{backend}");
        assert_eq!(server.connections_accepted(), 4, "{backend}");
    }
}

#[test]
fn a_timed_run_stops_by_itself_and_reports_a_rate() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior::default());
        let mut load = client_on(&server, 8, io);
        let sample = load
            .run(&LoadPlan::duration(Duration::from_millis(300)))
            .unwrap();
        assert!(sample.requests > 0, "{backend}");
        assert!(sample.elapsed >= Duration::from_millis(300), "{backend}");
        assert!(sample.requests_per_sec() > 0.0, "{backend}");
    }
}

#[test]
fn error_responses_are_counted_by_kind_and_not_as_requests() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior {
            fail_every: Some(10),
            ..MockBehavior::default()
        });
        let mut load = client_on(&server, 4, io);
        let sample = load.run(&LoadPlan::requests(1_000)).unwrap();
        let status = sample.errors_by_kind.get(&ErrorKind::Status);
        assert_eq!(status, Some(&100), "{backend}");
        assert_eq!(sample.requests, 900, "{backend}");
        assert!((sample.error_ratio() - 0.1).abs() < 1e-9);
    }
}

#[test]
fn a_request_past_its_timeout_is_a_timeout_error_and_its_connection_is_reopened() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior {
            stall: Some((5, Duration::from_millis(400))),
            ..MockBehavior::default()
        });
        let mut load = client_on(&server, 1, io);
        let plan = LoadPlan {
            request_timeout: Duration::from_millis(60),
            ..LoadPlan::requests(20)
        };
        let sample = load.run(&plan).unwrap();
        let timeouts = sample.errors_by_kind.get(&ErrorKind::Timeout);
        assert_eq!(timeouts, Some(&1), "{backend}: {:?}", sample.errors_by_kind);
        assert_eq!(sample.requests, 19, "{backend}");
        assert_eq!(server.connections_accepted(), 2, "{backend}");
    }
}

#[test]
fn a_server_that_goes_away_yields_counted_errors_and_the_run_still_ends() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior::default());
        let mut load = client_on(&server, 2, io);
        drop(server);
        let sample = load.run(&LoadPlan::requests(20)).unwrap();
        assert_eq!(sample.requests, 0, "{backend}");
        assert_eq!(sample.errors(), 20, "{backend}");
        let kinds: Vec<_> = sample.errors_by_kind.keys().collect();
        assert!(
            kinds
                .iter()
                .all(|k| matches!(k, ErrorKind::Io | ErrorKind::Connect)),
            "{backend}: {kinds:?}"
        );
    }
}

#[test]
fn connecting_to_nothing_is_an_error_that_names_the_address() {
    let port = stampede_harness::process::free_port(std::net::Ipv4Addr::LOCALHOST).unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mix = vec![RequestTemplate::get(addr, "/")];
    let err = LoadClient::connect(addr, 3, &CpuSet::allowed().unwrap(), mix).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&addr.to_string()) && text.contains("0 of 3"),
        "{text}"
    );
}

#[test]
fn open_loop_latency_includes_a_stall_that_closed_loop_hides() {
    for (io, backend) in backends() {
        // One connection; the 50th request stalls 200 ms. Closed loop: one slow request out of 400,
        // so p99 stays low. Open loop at 1,000 req/s: every request scheduled during the stall is
        // measured from its intended send time, so the stall shows up in p99 (coordinated omission).
        let stall = Some((50, Duration::from_millis(200)));
        let closed_server = mock(MockBehavior {
            stall,
            ..MockBehavior::default()
        });
        let closed = client_on(&closed_server, 1, io)
            .run(&LoadPlan::requests(400))
            .unwrap();
        let open_server = mock(MockBehavior {
            stall,
            ..MockBehavior::default()
        });
        let open = client_on(&open_server, 1, io)
            .run(&LoadPlan::requests(400).with_rate(1_000.0))
            .unwrap();
        let (closed, open) = (closed.latency(), open.latency());
        assert!(closed.max >= 200_000, "closed max {closed:?}");
        assert!(
            closed.p99 < 100_000,
            "closed p99 hides the stall: {closed:?}"
        );
        assert!(
            open.p99 >= 150_000,
            "{backend}: open p99 shows the stall: {open:?}"
        );
    }
}

#[test]
fn open_loop_sends_held_up_by_a_stalled_server_are_backlogged_not_client_lateness() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior {
            stall: Some((5, Duration::from_millis(100))),
            ..MockBehavior::default()
        });
        let sample = client_on(&server, 1, io)
            .run(&LoadPlan::requests(100).with_rate(1_000.0))
            .unwrap();
        // The one connection waited 100 ms for the 5th answer: the ~100 sends due meanwhile
        // could not leave on time, and that wait is the server's.
        assert!(
            sample.backlogged_sends >= 50,
            "{backend}: {}",
            sample.backlogged_sends
        );
        assert!(sample.send_lag.len() + sample.backlogged_sends >= 99);
    }
}

#[test]
fn a_correct_mock_passes_verification_of_its_endpoints() {
    let server = mock(MockBehavior::default());
    let vectors = mock_vectors();
    assert_eq!(vectors.len(), 4);
    assert_eq!(verify("mock", &server.base_url(), &vectors).unwrap(), 4);
}

#[test]
fn a_wrong_body_fails_verification_naming_target_endpoint_expected_and_got() {
    let server = mock(MockBehavior {
        plaintext_body: "Hello".into(),
        ..MockBehavior::default()
    });
    let err = verify("mock", &server.base_url(), &mock_vectors()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`mock`"), "{text}");
    assert!(text.contains("GET /plaintext"), "{text}");
    assert!(
        text.contains("\"Hello, World!\"") && text.contains("got \"Hello\""),
        "{text}"
    );
    let VerifyError::Mismatches { mismatches, .. } = err else {
        panic!("expected mismatches");
    };
    assert_eq!(mismatches.len(), 1);
}

#[test]
fn a_wrong_server_header_fails_verification() {
    let server = mock(MockBehavior {
        server_name: "impostor".into(),
        ..MockBehavior::default()
    });
    let text = verify("mock", &server.base_url(), &mock_vectors())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("Server") && text.contains("impostor"),
        "{text}"
    );
}

#[test]
fn pipelined_requests_are_answered_in_order_with_every_answer_checked_and_counted() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior::default());
        let vectors = mock_vectors();
        let addr = server.addr();
        let mix = ["plaintext", "json"]
            .iter()
            .flat_map(|w| w.parse::<Workload>().unwrap().requests(addr, &vectors))
            .collect();
        let cpus = CpuSet::allowed().unwrap();
        let mut load = LoadClient::connect_with(addr, 4, &cpus, mix, io).unwrap();
        let sample = load
            .run(&LoadPlan::requests(1_000).with_pipeline(16))
            .unwrap();
        assert_eq!(
            sample.requests, 1_000,
            "{backend}: {:?}",
            sample.errors_by_kind
        );
        assert_eq!(server.requests_served(), 1_000, "{backend}");
        assert_eq!(sample.histogram.len(), 1_000, "{backend}");
        // /plaintext answers are compared every time; a swapped order would be wrong answers.
        assert!(sample.checked_answers >= 500, "{}", sample.checked_answers);
        assert_eq!(sample.io, backend);
    }
}

#[test]
fn a_wrong_answer_under_load_is_its_own_error_kind_with_an_example() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior {
            plaintext_body: "Hello".into(),
            ..MockBehavior::default()
        });
        let vectors = mock_vectors();
        let plaintext: Workload = "plaintext".parse().unwrap();
        let mix = plaintext.requests(server.addr(), &vectors);
        let cpus = CpuSet::allowed().unwrap();
        let mut load = LoadClient::connect_with(server.addr(), 2, &cpus, mix, io).unwrap();
        let sample = load.run(&LoadPlan::requests(100)).unwrap();
        assert_eq!(
            sample.errors_by_kind.get(&ErrorKind::WrongAnswer),
            Some(&100),
            "{backend}"
        );
        let example = sample.wrong_answer_example.unwrap();
        assert!(
            example
                .starts_with("GET /plaintext HTTP/1.1: expected \"Hello, World!\", got \"Hello\""),
            "{backend}: {example}"
        );
    }
}

#[test]
fn open_and_closed_loops_take_turns_on_the_same_connections_of_every_backend() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior::default());
        let mut load = client_on(&server, 2, io);
        let open = load
            .run(&LoadPlan::requests(50).with_rate(2_000.0))
            .unwrap();
        assert_eq!((open.requests, open.io), (50, backend));
        // Every send was on time or backlogged, and each was timed from its intended time.
        assert_eq!(open.send_lag.len() + open.backlogged_sends, 50, "{backend}");
        let closed = load.run(&LoadPlan::requests(50)).unwrap();
        assert_eq!((closed.requests, closed.io), (50, backend));
        assert_eq!(server.connections_accepted(), 2, "{backend}");
    }
}

#[test]
fn pipelining_in_an_open_loop_is_refused_with_the_reason() {
    let server = mock(MockBehavior::default());
    let err = client(&server, 1)
        .run(&LoadPlan::requests(10).with_rate(100.0).with_pipeline(4))
        .unwrap_err();
    assert!(err.to_string().contains("closed-loop method"), "{err}");
}

#[test]
fn a_stream_keeps_every_backend_busy_between_windows_and_its_samples_name_the_backend() {
    for (io, backend) in backends() {
        let server = mock(MockBehavior::default());
        let mut load = client_on(&server, 4, io);
        let mut stream = load
            .stream(&LoadPlan::stream(Duration::from_secs(60)).with_pipeline(2))
            .unwrap();
        let first = stream.window(400).unwrap();
        let second = stream.window(400).unwrap();
        let tallies = stream.finish().unwrap();
        let window = tallies.windows(second.number, second.number, second.elapsed);
        assert!(window.requests >= 400, "{backend}: {}", window.requests);
        assert_eq!(window.io, backend);
        let both = tallies.windows(first.number, second.number, Duration::from_secs(1));
        assert!(both.requests >= 800, "{backend}: {}", both.requests);
        // Nothing is lost when the stream finishes: every request the server answered was
        // counted, in a window, a gap or the tail.
        let all = tallies.everything(Duration::from_secs(1));
        assert_eq!(
            all.requests + all.errors(),
            server.requests_served(),
            "{backend}"
        );
    }
}
