//! Every catalog target, started through the harness, answers every spec vector.
//!
//! One trial per target. A target whose toolchain is missing is reported as ignored, with the
//! reason in its name, never as passed. With STAMPEDE_REQUIRE_ALL_TARGETS=1 (CI) a missing
//! toolchain is a failure instead.

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use stampede_harness::catalog::{Availability, Catalog};
use stampede_harness::cpus::CpuSplit;
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{load_spec, start_verified};

fn main() {
    let args = Arguments::from_args();
    let catalog = Catalog::discover().expect("the workspace catalog loads");
    let vectors = load_spec(&catalog).expect("the spec vectors load");
    let require_all = std::env::var_os("STAMPEDE_REQUIRE_ALL_TARGETS").is_some_and(|v| v == "1");
    let mut trials = Vec::new();
    for target in catalog.targets() {
        let name = format!("{}::answers_every_spec_vector", target.name);
        match catalog.availability(target) {
            Availability::Skipped { reason } if !require_all => {
                let label = format!("{name} (skipped: {reason})");
                trials.push(Trial::test(label, || Ok(())).with_ignored_flag(true));
            }
            Availability::Skipped { reason } => {
                trials.push(Trial::test(name, move || Err(Failed::from(reason))));
            }
            Availability::Available { .. } => {
                let (catalog, vectors, target) =
                    (catalog.clone(), Arc::clone(&vectors), target.name.clone());
                trials.push(Trial::test(name, move || {
                    answers_every_vector(&catalog, &target, vectors)
                }));
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn answers_every_vector(
    catalog: &Catalog,
    target: &str,
    vectors: Arc<Vec<stampede_harness::vectors::Vector>>,
) -> Result<(), Failed> {
    let split = CpuSplit::resolve(None, None).map_err(|e| Failed::from(e.to_string()))?;
    let verified = start_verified(
        catalog,
        target,
        &ServerConfig::for_cpus(split.server),
        vectors,
    )
    .map_err(|e| Failed::from(e.to_string()))?;
    verified.server.stop();
    Ok(())
}
