//! Adding a workload touches only spec and handler files (docs/adding-a-workload.md). A toy
//! workload, `burn` — a GET of the mock target's existing `/burn` handler, with a parameter, a
//! heavy group and a tail run — is added to a copy of spec/ (one [[workloads]] entry and its
//! success vector) and then parsed, listed with its benchmark IDs, verified and loaded through
//! the calls `cargo bench` and `stampede load` make. No Rust code names it. A toy the target
//! has no handler for is refused by verify, before any load.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;
use std::sync::Arc;

use stampede_harness::benchmark_id::BenchmarkId;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSet;
use stampede_harness::evidence::{Run, RunMode};
use stampede_harness::load::LoadPlan;
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{LoadSetup, start_verified};
use stampede_harness::test_support::mock_targets_toml;
use stampede_harness::vectors::{Vector, load_vectors, spec_dir};
use stampede_harness::workload::{Sampling, WorkloadSpec};

/// The whole workload: its request, its answer, its parameter and its benchmark group.
const TOY_ENTRY: &str = r#"
[[workloads]]
name = "burn"
about = "toy: each request waits for a helper thread that burns MS of CPU"
method = "GET"
path = "/burn?ms={ms}&threads=1"
param = { name = "ms", default = 1, id = "burn{}ms", wait = true }
answer = "route"

  [[workloads.groups]]
  name = "burn"
  sampling = "heavy"
  connections = [2]
  params = [1, 3]
  id = "{param}"
  tails = [{ id = "burn3ms", common_rate_per_sec = 100 }]
"#;

/// Its success vector: what `verify` checks every target's handler with.
const TOY_VECTOR: &str = r#"{"name": "burn-1",
  "request": {"method": "GET", "path": "/burn?ms=1&threads=1"},
  "expect": {"status": 200, "content_type": "text/plain", "body": "burnt"}}"#;

/// A toy the mock has no handler for: its spec entry and success vector are complete, so only
/// a target can be at fault.
const TEAPOT_ENTRY: &str = r#"
[[workloads]]
name = "teapot"
about = "toy: a route no target serves"
method = "GET"
path = "/teapot"
"#;

const TEAPOT_VECTOR: &str = r#"{"name": "teapot",
  "request": {"method": "GET", "path": "/teapot"},
  "expect": {"status": 200, "content_type": "text/plain", "body": "short and stout"}}"#;

/// The vectors the mock has handlers for, plus the toy vectors named in `toys`.
fn mock_vectors(root: &Path, toys: &[&str]) -> Vec<Vector> {
    let handled = ["healthz", "plaintext", "json", "unknown-path"];
    load_vectors(&spec_dir(root))
        .unwrap()
        .into_iter()
        .filter(|v| handled.contains(&v.name.as_str()) || toys.contains(&v.name.as_str()))
        .collect()
}

/// The toy `burn` workload, with its vector when `with_vector`.
fn fixture(with_vector: bool) -> tempfile::TempDir {
    workspace(TOY_ENTRY, with_vector.then_some(TOY_VECTOR))
}

/// A workspace whose spec/ is a copy of the repository's plus a toy workload `entry` (and its
/// `vector`), and whose catalog holds one target: the mock, as a process.
fn workspace(entry: &str, vector: Option<&str>) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let repo_spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let spec = root.path().join("spec");
    std::fs::create_dir(&spec).unwrap();
    for file in std::fs::read_dir(&repo_spec).unwrap() {
        let file = file.unwrap().path();
        if file.is_file() {
            std::fs::copy(&file, spec.join(file.file_name().unwrap())).unwrap();
        }
    }
    let workloads = std::fs::read_to_string(spec.join("workloads.toml")).unwrap();
    std::fs::write(spec.join("workloads.toml"), workloads + entry).unwrap();
    if let Some(vector) = vector {
        let path = spec.join("vectors.json");
        let mut file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let vector: serde_json::Value = serde_json::from_str(vector).unwrap();
        file["vectors"].as_array_mut().unwrap().push(vector);
        std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    }
    let mock_bin = env!("CARGO_BIN_EXE_stampede-mock");
    std::fs::write(
        root.path().join("targets.toml"),
        mock_targets_toml(&[mock_bin]),
    )
    .unwrap();
    root
}

#[test]
fn a_toy_workload_in_a_spec_copy_is_parsed_and_listed_as_benchmarks_with_no_code() {
    let root = fixture(true);
    let catalog = Catalog::load(root.path()).unwrap();
    let spec = WorkloadSpec::load(&spec_dir(root.path())).unwrap();
    let toy = spec.workload("burn:7").unwrap();
    assert_eq!(toy.to_string(), "burn:7");
    assert_eq!(toy.path(), "/burn?ms=7&threads=1");
    assert_eq!(spec.workload("burn").unwrap().param(), Some(1));
    // Last in the file, so last in runs and in the summary's order.
    assert_eq!(spec.group_names().last().map(String::as_str), Some("burn"));
    let group = spec.groups().last().unwrap();
    assert_eq!(group.sampling, Sampling::Heavy);
    assert!(group.cases[1].tail.is_some() && group.cases[0].tail.is_none());
    let ids = spec.benchmark_ids(&catalog.names()).unwrap();
    let toy_ids: Vec<&BenchmarkId> = ids.iter().filter(|id| id.group() == "burn").collect();
    assert_eq!(toy_ids, ["burn/mock/burn1ms", "burn/mock/burn3ms"]);
    // Every other benchmark is still there.
    assert!(ids.iter().any(|id| id == "mixed/mock/hash-inline"));
}

#[test]
fn a_toy_workload_without_a_success_vector_is_refused_naming_what_to_add() {
    let without = fixture(false);
    let spec = WorkloadSpec::load(&spec_dir(without.path())).unwrap();
    let missing = spec.unanswered(&load_vectors(&spec_dir(without.path())).unwrap());
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("`burn`") && missing[0].contains("GET /burn"),
        "{}",
        missing[0]
    );

    let with = fixture(true);
    let spec = WorkloadSpec::load(&spec_dir(with.path())).unwrap();
    let missing = spec.unanswered(&load_vectors(&spec_dir(with.path())).unwrap());
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn a_toy_workload_is_verified_and_loaded_on_a_target_process_with_every_answer_checked() {
    let root = fixture(true);
    let catalog = Catalog::load(root.path()).unwrap();
    let spec = WorkloadSpec::load(&spec_dir(root.path())).unwrap();
    // The vectors the mock has handlers for, the toy's among them: verify replays them all.
    let vectors = mock_vectors(root.path(), &["burn-1"]);
    assert_eq!(vectors.len(), 5);
    let cpus = CpuSet::allowed().unwrap();
    let mut verified = start_verified(
        &catalog,
        "mock",
        &ServerConfig::for_cpus(cpus.clone()),
        Arc::new(vectors),
    )
    .unwrap();
    let group = spec.groups().iter().find(|g| g.name == "burn").unwrap();
    for case in &group.cases {
        let mut client = verified
            .connect(&case.workload, case.connections, &cpus)
            .unwrap();
        let measured = verified
            .measure(&mut client, &case.workload, &LoadPlan::requests(20), &cpus)
            .unwrap();
        let sample = &measured.sample;
        assert_eq!(
            sample.requests, 20,
            "{}: {:?}",
            case.id, sample.errors_by_kind
        );
        assert_eq!(sample.errors(), 0, "{}", case.id);
        // Exact answers are compared every time (and none came sooner than MS: no too-fast).
        assert_eq!(sample.checked_answers, 20, "{}", case.id);
        let ms = u64::from(case.workload.param().unwrap());
        assert!(
            sample.histogram.min() >= ms * 1000,
            "{}: {:?}",
            case.id,
            sample.latency()
        );
        // The record names the toolchain as its run detected it, once for every target.
        let mut run = Run::detect_in(&catalog, RunMode::Cli);
        assert_eq!(run.toolchains.keys().collect::<Vec<_>>(), ["none"]);
        run.toolchains
            .insert("none".into(), "none 1.0, as the run saw it".into());
        let load = LoadSetup {
            client_cpus: cpus.clone(),
            connections: case.connections,
            rate_per_sec: None,
            pipeline: 1,
            body_seed: None,
        };
        let id = BenchmarkId::new("burn", "mock", &case.id).unwrap();
        let record = verified.result_record(&run, &id, &measured, &load, Vec::new());
        assert_eq!(record.toolchain, "none 1.0, as the run saw it");
    }
    verified.server.stop();
}

#[test]
fn a_target_without_a_handler_for_a_spec_workload_is_refused_before_any_load() {
    let root = workspace(TEAPOT_ENTRY, Some(TEAPOT_VECTOR));
    let catalog = Catalog::load(root.path()).unwrap();
    let spec = WorkloadSpec::load(&spec_dir(root.path())).unwrap();
    let all = load_vectors(&spec_dir(root.path())).unwrap();
    assert!(
        spec.unanswered(&all).is_empty(),
        "the spec side is complete"
    );
    let vectors = mock_vectors(root.path(), &["teapot"]);
    assert_eq!(vectors.len(), 5);
    let refused = start_verified(
        &catalog,
        "mock",
        &ServerConfig::for_cpus(CpuSet::allowed().unwrap()),
        Arc::new(vectors),
    );
    let Err(err) = refused else {
        panic!("the mock has no /teapot handler, yet it passed verification");
    };
    let err = err.to_string();
    assert!(err.contains("`mock`") && err.contains("/teapot"), "{err}");
}
