//! Every catalog target, started through the harness, answers every spec vector, answers every
//! workload of spec/workloads.toml under load with its answers checked, and survives the
//! bad-input table (spec/bad-inputs.json). A workload added to the spec without a handler in
//! some target fails here, naming the target and the workload.
//!
//! A partial target (catalog `workloads`) is checked on the workloads it serves: its vectors,
//! its workloads under load, and the bad-input cases whose request goes to a route it serves
//! or to none.
//!
//! Three trials per target. A target whose toolchain is missing is reported as ignored, with the
//! reason in its name, never as passed. With STAMPEDE_REQUIRE_TOOLS=1 (CI) a missing
//! toolchain is a failure instead.

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed};
use stampede_harness::badinput::{BadInputCase, check_all, load_bad_inputs};
use stampede_harness::catalog::{Availability, Catalog};
use stampede_harness::cpus::CpuSet;
use stampede_harness::cpus::CpuSplit;
use stampede_harness::load::{LoadPlan, Sample};
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{VerifiedServer, load_spec, start_verified};
use stampede_harness::test_support::trial_needing;
use stampede_harness::vectors::{Vector, spec_dir};
use stampede_harness::workload::{Workload, WorkloadSpec};

fn main() {
    let args = Arguments::from_args();
    let catalog = Catalog::discover().expect("the workspace catalog loads");
    let vectors = load_spec(&catalog).expect("the spec vectors load");
    let bad_inputs =
        Arc::new(load_bad_inputs(&spec_dir(catalog.root())).expect("the bad-input table loads"));
    let mut trials = Vec::new();
    for target in catalog.targets() {
        for check in [Check::SpecVectors, Check::Workloads, Check::BadInputs] {
            let name = format!("{}::{}", target.name, check.name());
            let missing = match catalog.availability(target) {
                Availability::Skipped { reason } => Some(reason),
                Availability::Available { .. } => None,
            };
            let (catalog, vectors) = (catalog.clone(), Arc::clone(&vectors));
            let (bad, target) = (Arc::clone(&bad_inputs), target.name.clone());
            let trial = trial_needing(missing, &name, move || {
                run_check(check, &catalog, &target, vectors, &bad)
            });
            trials.push(trial);
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

#[derive(Clone, Copy)]
enum Check {
    SpecVectors,
    Workloads,
    BadInputs,
}

impl Check {
    fn name(self) -> &'static str {
        match self {
            Self::SpecVectors => "answers_every_spec_vector",
            Self::Workloads => "answers_every_workload_under_load",
            Self::BadInputs => "survives_the_bad_input_table",
        }
    }
}

/// Starts the target (which replays every spec vector first) and, for the workload and
/// bad-input checks, loads every workload or plays the table against it.
fn run_check(
    check: Check,
    catalog: &Catalog,
    target: &str,
    vectors: Arc<Vec<Vector>>,
    bad_inputs: &[BadInputCase],
) -> Result<(), Failed> {
    let split = CpuSplit::resolve(None, None).map_err(|e| Failed::from(e.to_string()))?;
    let config = ServerConfig::for_cpus(split.server);
    let verified = start_verified(catalog, target, &config, vectors)
        .map_err(|e| Failed::from(e.to_string()))?;
    let spec =
        WorkloadSpec::load(&spec_dir(catalog.root())).map_err(|e| Failed::from(e.to_string()))?;
    if let Check::Workloads = check {
        let mut failures = Vec::new();
        let served = spec.at_defaults().into_iter();
        for workload in served.filter(|w| verified.target.serves(w.name())) {
            match load_briefly(&verified, &workload, &split.client) {
                Ok(sample) if sample.errors() == 0 && sample.checked_answers > 0 => {}
                Ok(sample) => failures.push(format!(
                    "{target} {workload}: {} errors ({}), {} answers checked{}",
                    sample.errors(),
                    sample.errors_in_words(),
                    sample.checked_answers,
                    sample
                        .wrong_answer_example
                        .map(|w| format!("; {w}"))
                        .unwrap_or_default()
                )),
                Err(e) => failures.push(format!("{target} {workload}: {e}")),
            }
        }
        if !failures.is_empty() {
            return Err(Failed::from(failures.join("\n")));
        }
    }
    if let Check::BadInputs = check {
        let served: Vec<BadInputCase> = bad_inputs
            .iter()
            .filter(|c| {
                let path = c.request_path();
                path.is_none_or(|p| spec.serves_path(&verified.target, p))
            })
            .cloned()
            .collect();
        let failures = check_all(target, verified.server.addr(), &served);
        if !failures.is_empty() {
            return Err(Failed::from(failures.join("\n")));
        }
    }
    verified.server.stop();
    Ok(())
}

/// 128 requests of `workload` over 2 connections: enough for every answer kind to be checked
/// at least once (a new hash digest is computed every 64th request).
fn load_briefly(
    verified: &VerifiedServer,
    workload: &Workload,
    cpus: &CpuSet,
) -> Result<Sample, String> {
    let mut client = verified
        .connect(workload, 2, cpus)
        .map_err(|e| e.to_string())?;
    client
        .run(&LoadPlan::requests(128))
        .map_err(|e| e.to_string())
}
