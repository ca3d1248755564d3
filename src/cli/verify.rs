//! `stampede verify [TARGET..]`: a line per target, `ok` or what failed.

use std::process::ExitCode;

use stampede_harness::verify_targets::verify_targets;

pub(crate) fn run(names: &[String]) -> anyhow::Result<ExitCode> {
    let failed = verify_targets(names, &mut |verdict| super::print_part(verdict))?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
