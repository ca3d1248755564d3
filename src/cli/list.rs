//! `stampede list`: every target, available or why not.

use std::process::ExitCode;

use stampede_harness::catalog::{Availability, Catalog};

pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let catalog = Catalog::discover()?;
    for target in catalog.targets() {
        let state = match catalog.availability(target) {
            Availability::Available { toolchain_version } => {
                format!("available ({toolchain_version})")
            }
            Availability::Skipped { reason } => format!("skipped — {reason}"),
        };
        let workers = if target.workers_apply() {
            String::new()
        } else {
            format!("; WORKERS {}", target.workers)
        };
        println!(
            "{}: {state} — {} / {}{workers}",
            target.name, target.language, target.framework
        );
    }
    Ok(ExitCode::SUCCESS)
}
