//! k6 as a distributed load engine: exported scripts pass `k6 inspect` for every workload of
//! spec/workloads.toml, and two k6 instances (execution segments 0:1/2 and 1/2:1) against one
//! loopback server import as one result whose request count is the sum of both instances' own
//! counts. Without k6 on PATH they are reported as ignored with the reason; with
//! STAMPEDE_REQUIRE_TOOLS=1 (CI) they fail.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use stampede_harness::evidence::{Commit, Machine, ResultRecord, Run, RunMode};
use stampede_harness::exposition::{MetricsListener, ServerMetrics};
use stampede_harness::k6::{ExportPlan, ImportOptions, Imported, import_files, script};
use stampede_harness::metrics::ServerProbe;
use stampede_harness::mock::{MockBehavior, MockServer};
use stampede_harness::run_needing;
use stampede_harness::test_support::program_missing;
use stampede_harness::vectors::{Vector, load_vectors, spec_dir};
use stampede_harness::workload::WorkloadSpec;

/// Each k6 run is bounded: 2 s of load plus its graceful stop.
const K6_TIME_LIMIT: Duration = Duration::from_secs(90);

fn main() {
    let missing = program_missing(
        "k6",
        &["version"],
        "go install go.k6.io/k6@v1.8.1, then add $(go env GOPATH)/bin to PATH",
    );
    run_needing!(missing;
        exported_scripts_of_every_workload_pass_k6_inspect,
        two_k6_instances_import_as_one_result_with_the_sum_of_their_requests,
        a_server_that_answers_wrong_fails_the_k6_thresholds_and_imports_invalid,
    );
}

fn vectors() -> Vec<Vector> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    load_vectors(&spec_dir(&root)).unwrap()
}

fn plan(workload: &str, url: &str) -> ExportPlan {
    ExportPlan {
        workload: workload.parse().unwrap(),
        url: url.into(),
        connections: 4,
        rate_per_sec: None,
        duration: Duration::from_secs(2),
        body_seed: 11,
        metrics_url: None,
    }
}

fn wait_bounded(mut child: Child, what: &str) -> std::process::Output {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > K6_TIME_LIMIT {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{what} ran over {K6_TIME_LIMIT:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn exported_scripts_of_every_workload_pass_k6_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = vectors();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workloads = WorkloadSpec::load(&spec_dir(&root)).unwrap().at_defaults();
    assert!(!workloads.is_empty());
    for workload in workloads {
        let workload = workload.to_string();
        for rate in [None, Some(100.0), Some(12.5)] {
            let mut plan = plan(&workload, "http://127.0.0.1:8080");
            plan.rate_per_sec = rate;
            plan.metrics_url = rate.map(|_| "http://127.0.0.1:9464/metrics".into());
            let path = dir
                .path()
                .join(format!("{}.js", workload.replace(':', "-")));
            std::fs::write(&path, script(&plan, &vectors).unwrap()).unwrap();
            let child = Command::new("k6")
                .arg("inspect")
                .arg(&path)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let output = wait_bounded(child, "k6 inspect");
            assert!(
                output.status.success(),
                "{workload} rate {rate:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let options: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            let executor = &options["scenarios"]["load"]["executor"];
            let want = if rate.is_some() {
                "constant-arrival-rate"
            } else {
                "constant-vus"
            };
            assert_eq!(executor, want, "{workload}: {options}");
        }
    }
}

/// Runs one k6 instance of `script` for `segment`, writing its points and summary.
fn instance(
    script: &Path,
    segment: &str,
    dir: &Path,
    name: &str,
    env: &[String],
) -> (Child, PathBuf, PathBuf) {
    let points = dir.join(format!("{name}.json"));
    let summary = dir.join(format!("{name}-summary.json"));
    let child = Command::new("k6")
        .args(["run", "--quiet", "--no-color"])
        .args(["--execution-segment", segment])
        .args(["--execution-segment-sequence", sequence(segment)])
        .arg("--out")
        .arg(format!("json={}", points.display()))
        .arg("--summary-export")
        .arg(&summary)
        .args(env.iter().flat_map(|e| ["-e", e.as_str()]))
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, points, summary)
}

fn sequence(segment: &str) -> &'static str {
    if segment == "0:1" { "0,1" } else { "0,1/2,1" }
}

/// `http_reqs{scenario:load}`'s count in a k6 summary export: k6's own count, not ours.
fn summary_http_reqs(path: &Path) -> u64 {
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    summary["metrics"]["http_reqs{scenario:load}"]["count"]
        .as_f64()
        .unwrap_or_else(|| panic!("no load http_reqs in {summary}")) as u64
}

fn two_k6_instances_import_as_one_result_with_the_sum_of_their_requests() {
    let server = MockServer::start(MockBehavior::default()).unwrap();
    let metrics = MetricsListener::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        ServerMetrics::new("mock", ServerProbe::new(std::process::id(), None), 1),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The script names no server that answers: the instances are pointed at the mock through
    // the environment, as on other machines or under the k6-operator.
    let mut plan = plan("plaintext", "http://127.0.0.1:9");
    plan.metrics_url = Some("http://127.0.0.1:9/metrics".into());
    let script_path = dir.path().join("plaintext.js");
    std::fs::write(&script_path, script(&plan, &vectors()).unwrap()).unwrap();
    let env = [
        format!("BASE_URL={}", server.base_url()),
        format!("METRICS_URL={}", metrics.url()),
    ];

    let (first, points_a, summary_a) = instance(&script_path, "0:1/2", dir.path(), "a", &env);
    let (second, points_b, summary_b) = instance(&script_path, "1/2:1", dir.path(), "b", &env);
    for (child, name) in [(first, "instance 0:1/2"), (second, "instance 1/2:1")] {
        let output = wait_bounded(child, name);
        assert!(
            output.status.success(),
            "{name} failed (a threshold?): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let (count_a, count_b) = (summary_http_reqs(&summary_a), summary_http_reqs(&summary_b));
    assert!(count_a > 0 && count_b > 0, "{count_a} {count_b}");

    let imported = import_files(&[points_a, points_b]).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let record = record_of(&imported, Some(metrics.url()));
    let engine = record.engine.clone().unwrap();
    assert_eq!(engine.instances, 2);
    assert_eq!(engine.http_reqs, count_a + count_b);
    assert_eq!(record.figures.requests + record.errors, count_a + count_b);
    assert_eq!(record.errors, 0, "{:?}", record.figures.errors_by_kind);
    assert_eq!(imported.load.durations.len(), count_a + count_b);
    assert!(record.figures.checked_answers > 0);
    assert_eq!(record.id, "plaintext/mock@k6x2/c4");
    assert!(!record.flags.invalid, "{record:?}");
    assert_eq!(
        engine.server_metrics.as_deref(),
        Some(metrics.url().as_str())
    );
    assert!(
        record.figures.server.cpu_us_per_request.is_some(),
        "{:?}",
        record.figures.server
    );
    assert!(server.requests_served() >= count_a + count_b);
}

/// The record of an import of the mock target, as `stampede import-k6` makes it.
fn record_of(imported: &Imported, metrics_url: Option<String>) -> ResultRecord {
    let context = Run {
        id: "test".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        mode: RunMode::Cli,
        commit: Commit::parse("test"),
        branch: None,
        machine: Machine::detect(),
        toolchains: Default::default(),
    };
    let options = ImportOptions {
        target: "mock".into(),
        metrics_url,
    };
    imported.record(&options, &context, None).unwrap()
}

fn a_server_that_answers_wrong_fails_the_k6_thresholds_and_imports_invalid() {
    let server = MockServer::start(MockBehavior {
        plaintext_body: "Hello, cache!".into(),
        ..MockBehavior::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script_path = dir.path().join("plaintext.js");
    let plan = plan("plaintext", &server.base_url());
    std::fs::write(&script_path, script(&plan, &vectors()).unwrap()).unwrap();
    let (child, points, _) = instance(&script_path, "0:1", dir.path(), "wrong", &[]);
    let output = wait_bounded(child, "k6 against a wrong server");
    // k6 exits 99 when a threshold is crossed.
    assert_eq!(
        output.status.code(),
        Some(99),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let imported = import_files(&[points]).unwrap();
    let record = record_of(&imported, None);
    assert!(record.flags.invalid);
    assert!(
        record.figures.errors_by_kind["wrong-answer"] > 0,
        "{:?}",
        record.figures.errors_by_kind
    );
    let example = record.figures.wrong_answer_example.unwrap();
    assert!(example.contains("Hello, cache!"), "{example}");
}
