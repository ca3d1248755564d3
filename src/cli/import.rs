//! `stampede import k6 FILE...`: one result record from the `--out json` files of a k6 test's
//! instances, written beside stampede's own results so `stampede report` shows both.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use stampede_harness::k6::imported::{K6ImportRequest, import_k6};

#[derive(Debug, Subcommand)]
pub(crate) enum ImportEngine {
    /// k6 `--out json=FILE` files, one per instance (execution segment) of one test.
    K6(K6ImportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct K6ImportArgs {
    /// The instances' NDJSON files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Require server figures scraped from this metrics endpoint (the script records them when
    /// exported with --metrics URL or run with -e METRICS_URL=URL).
    #[arg(long, value_name = "URL")]
    metrics: Option<String>,
    /// The server's name in the record (a catalog target's name adds its language and
    /// framework); the record's target reads `<NAME>@k6x<instances>`.
    #[arg(long, default_value = "remote")]
    target: String,
    /// Print the record as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// Folder to write the record into [default: target/stampede/results].
    #[arg(long, value_name = "DIR")]
    results: Option<PathBuf>,
}

pub(crate) fn run(engine: &ImportEngine) -> anyhow::Result<ExitCode> {
    let ImportEngine::K6(args) = engine;
    let request = K6ImportRequest {
        files: args.files.clone(),
        metrics_url: args.metrics.clone(),
        target: args.target.clone(),
        results: args.results.clone(),
    };
    let run = import_k6(&request, &mut |warning| eprintln!("warning: {warning}"))?;
    super::print_report(&run, args.json)?;
    eprintln!(
        "wrote {} (show it beside other runs with `stampede report --all-runs`)",
        run.path.display()
    );
    Ok(ExitCode::SUCCESS)
}
