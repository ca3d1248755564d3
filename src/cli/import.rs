//! `stampede import k6 FILE...`: one result record from the `--out json` files of a k6 test's
//! instances, written beside stampede's own results so `stampede report` shows both.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use stampede_harness::catalog::Catalog;
use stampede_harness::evidence::{Run, RunMode};
use stampede_harness::k6::import::ServerDescription;
use stampede_harness::k6::{ImportOptions, import_files};

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
    let imported = import_files(&args.files)?;
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    let catalog = Catalog::discover().ok();
    let root = catalog
        .as_ref()
        .map_or_else(|| PathBuf::from("."), |c| c.root().to_path_buf());
    let server = catalog.as_ref().and_then(|c| {
        let target = c.target(&args.target).ok()?;
        Some(ServerDescription {
            language: target.language.clone(),
            framework: c.framework_label(target),
        })
    });
    let options = ImportOptions {
        target: args.target.clone(),
        metrics_url: args.metrics.clone(),
    };
    let context = Run::detect(&root, RunMode::Cli);
    let record = imported.record(&options, &context, server.as_ref())?;
    let dir = args.results.clone().unwrap_or_else(|| match &catalog {
        Some(c) => c.work_dir().join("results"),
        None => PathBuf::from("target/stampede/results"),
    });
    let path = record
        .write_to(&dir)
        .with_context(|| format!("cannot write the record into {}", dir.display()))?;
    if args.json {
        println!("{}", serde_json::to_string(&record)?);
    } else {
        let l = &record.latency_us;
        println!(
            "{}: {} requests from {} k6 instance(s), {:.0} req/s, {} errors, p50 {} us, p99 {} us, max {} us",
            record.id,
            record.requests,
            imported.instances(),
            record.requests_per_sec,
            record.errors,
            l.p50,
            l.p99,
            l.max
        );
        if let Some(cpu_us) = record.server.cpu_us_per_request {
            println!(
                "server: {cpu_us:.1} CPU us/request, cpu_busy {:.2}, peak PSS {} KiB",
                record.server.cpu_busy,
                record.server.peak_pss_bytes / 1024
            );
        } else {
            println!(
                "server: not measured (export with --metrics URL to attach its CPU and memory)"
            );
        }
        let flags = record.flags.words();
        if !flags.is_empty() {
            println!("flags: {}", flags.join(", "));
        }
    }
    eprintln!(
        "wrote {} (show it beside other runs with `stampede report --all-runs`)",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
