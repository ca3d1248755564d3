//! `stampede list`: every target, available or why not, and the workloads it serves.

use std::io::Write as _;
use std::process::ExitCode;

use stampede_harness::catalog::{Availability, Catalog};

pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let catalog = Catalog::discover()?;
    let mut out = std::io::stdout().lock();
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
        let line = writeln!(
            out,
            "{}: {state} — {} / {}{workers} — serves {}",
            target.name,
            target.language,
            catalog.framework_label(target),
            target.workloads_label()
        );
        // `stampede list | head -2` closes the pipe early: that ends the listing, no more.
        if let Err(err) = line {
            if err.kind() == std::io::ErrorKind::BrokenPipe {
                break;
            }
            return Err(err.into());
        }
    }
    Ok(ExitCode::SUCCESS)
}
