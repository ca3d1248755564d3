//! Every catalog target, started through the harness, answers every spec vector and survives
//! the bad-input table (spec/bad-inputs.json).
//!
//! Two trials per target. A target whose toolchain is missing is reported as ignored, with the
//! reason in its name, never as passed. With STAMPEDE_REQUIRE_ALL_TARGETS=1 (CI) a missing
//! toolchain is a failure instead.

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use stampede_harness::badinput::{BadInputCase, check_all, load_bad_inputs};
use stampede_harness::catalog::{Availability, Catalog};
use stampede_harness::cpus::CpuSplit;
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{load_spec, start_verified};
use stampede_harness::vectors::{Vector, spec_dir};

fn main() {
    let args = Arguments::from_args();
    let catalog = Catalog::discover().expect("the workspace catalog loads");
    let vectors = load_spec(&catalog).expect("the spec vectors load");
    let bad_inputs =
        Arc::new(load_bad_inputs(&spec_dir(catalog.root())).expect("the bad-input table loads"));
    let require_all = std::env::var_os("STAMPEDE_REQUIRE_ALL_TARGETS").is_some_and(|v| v == "1");
    let mut trials = Vec::new();
    for target in catalog.targets() {
        for check in [Check::SpecVectors, Check::BadInputs] {
            let name = format!("{}::{}", target.name, check.name());
            let trial = match catalog.availability(target) {
                Availability::Skipped { reason } if !require_all => {
                    let label = format!("{name} (skipped: {reason})");
                    Trial::test(label, || Ok(())).with_ignored_flag(true)
                }
                Availability::Skipped { reason } => {
                    Trial::test(name, move || Err(Failed::from(reason)))
                }
                Availability::Available { .. } => {
                    let (catalog, vectors) = (catalog.clone(), Arc::clone(&vectors));
                    let (bad, target) = (Arc::clone(&bad_inputs), target.name.clone());
                    Trial::test(name, move || {
                        run_check(check, &catalog, &target, vectors, &bad)
                    })
                }
            };
            trials.push(trial);
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

#[derive(Clone, Copy)]
enum Check {
    SpecVectors,
    BadInputs,
}

impl Check {
    fn name(self) -> &'static str {
        match self {
            Self::SpecVectors => "answers_every_spec_vector",
            Self::BadInputs => "survives_the_bad_input_table",
        }
    }
}

/// Starts the target (which replays every spec vector first) and, for the bad-input check,
/// plays the table against it.
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
    if let Check::BadInputs = check {
        let failures = check_all(target, verified.server.addr(), bad_inputs);
        if !failures.is_empty() {
            return Err(Failed::from(failures.join("\n")));
        }
    }
    verified.server.stop();
    Ok(())
}
