//! `stampede conformance [TARGET..] [--url URL..]`: plays the RFC 9110/9112 probe table
//! (spec/rfc-probes.json) against targets (all catalog targets by default) or running servers,
//! prints pass / lenient / fail per RFC level and every failure with its section, and writes
//! one JSON record per target under target/stampede/conformance/. Exit status 1 when a probe
//! that tests a target's own code fails; the frameworks' failures are reported, not fatal.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use stampede_harness::output::{Format, Render as _};
use stampede_harness::strictness::targets::{ConformanceRequest, probe_all};

#[derive(Debug, Args)]
pub(crate) struct ConformanceArgs {
    /// Catalog targets to build, start and probe (default: all, unless --url is given).
    targets: Vec<String>,
    /// A running server to probe instead (http://HOST:PORT; repeatable). Its answers are
    /// scored, but whose code decides them is unknown: owners are shown as the table has them.
    #[arg(long)]
    url: Vec<String>,
    /// Where the JSON records go [default: target/stampede/conformance].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &ConformanceArgs) -> anyhow::Result<ExitCode> {
    let request = ConformanceRequest {
        targets: args.targets.clone(),
        urls: args.url.clone(),
        out: args.out.clone(),
    };
    let run = probe_all(&request, &mut super::print_line)?;
    print!("{}", run.render(Format::Text)?);
    Ok(if run.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
