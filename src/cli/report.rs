//! `stampede report`: the cross-runtime summary (HTML, Markdown, JSON) from the results the
//! benches wrote, with the published claims checked against them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use stampede_harness::catalog::Catalog;
use stampede_harness::history::keep::write_trend_page;
use stampede_harness::summary::{RunSelection, write_from_results};

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Folder of result files; repeat it to merge folders (one per CI shard, say): results from
    /// different machines are shown per machine, never ranked together
    /// [default: target/stampede/results].
    #[arg(long, value_name = "DIR")]
    results: Vec<PathBuf>,
    /// Folder to write index.html, report.md and results.json [default: target/stampede/report].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Show the results of every run in the folders (each run is named in the report), not only
    /// each folder's newest run.
    #[arg(long)]
    all_runs: bool,
    /// Also write history.html, trends across runs linked from the summary, from this history
    /// file [default: $STAMPEDE_HISTORY, else target/stampede/history.sqlite].
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    history: Option<Option<PathBuf>>,
}

pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::discover()?;
    let work_dir = catalog.work_dir();
    let results = if args.results.is_empty() {
        vec![work_dir.join("results")]
    } else {
        args.results.clone()
    };
    let out = args.out.clone().unwrap_or_else(|| work_dir.join("report"));
    let criterion = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| catalog.root().join("target"), PathBuf::from)
        .join("criterion");
    let selection = if args.all_runs {
        RunSelection::All
    } else {
        RunSelection::Latest
    };
    let paths = write_from_results(&results, &out, Some(&criterion), selection)?;
    for path in [&paths.html, &paths.markdown, &paths.json] {
        println!("{}", path.display());
    }
    if let Some(history) = &args.history {
        let page = write_trend_page(history.as_deref(), &out, &paths.html)?;
        println!("{}", page.display());
    }
    Ok(ExitCode::SUCCESS)
}
