//! `stampede history`: one line per benchmark ID from the results history — latest figure,
//! change against the previous comparable run, change points with their commits — and
//! `stampede history import DIR`. The table is `history::text`, the keeping `history::keep`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use stampede_harness::evidence::RunMode;
use stampede_harness::history::import::import_dir;
use stampede_harness::history::keep::resolve;
use stampede_harness::history::text::HistoryView;
use stampede_harness::history::trend::id_filter;
use stampede_harness::history::{History, Metric};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct HistoryArgs {
    #[command(subcommand)]
    command: Option<HistoryCommand>,
    /// Regular expression over benchmark IDs, e.g. `plaintext` or `^json/(actix|gin)/`.
    filter: Option<String>,
    /// The figure to follow: requests_per_sec, p99, cpu_us, mem or instructions (per request,
    /// from `stampede icount`) [default: requests_per_sec, with the change points of every other
    /// figure listed below the table].
    #[arg(long)]
    metric: Option<Metric>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// The history file [default: $STAMPEDE_HISTORY, else target/stampede/history.sqlite].
    #[arg(long, value_name = "PATH", global = true)]
    history: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum HistoryCommand {
    /// Load result files written earlier (e.g. target/stampede/results) into the history.
    Import {
        /// A folder of result files (searched a few levels deep).
        dir: PathBuf,
        /// Mode to store for records that do not state one (quick or full, if you know).
        #[arg(long, default_value = "unknown")]
        mode: RunMode,
    },
}

pub(crate) fn run(args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let path = resolve(args.history.as_deref())?;
    if let Some(HistoryCommand::Import { dir, mode }) = &args.command {
        let history = History::open(&path)?;
        let summary = import_dir(&history, dir, *mode)?;
        for skipped in &summary.skipped {
            eprintln!("skipped {skipped}");
        }
        println!(
            "{}: {} result file(s) read, {} record(s) added, {} already there",
            path.display(),
            summary.files,
            summary.added,
            summary.already_present
        );
        return Ok(ExitCode::SUCCESS);
    }
    let filter = args.filter.as_deref().map(id_filter).transpose()?;
    if !path.exists() {
        println!(
            "no history at {} yet: run `cargo bench`, or `stampede history import target/stampede/results`",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let view = HistoryView::read(&path, filter.as_ref(), args.metric)?;
    super::print_report(&view, args.json)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: HistoryArgs,
    }

    #[test]
    fn import_is_a_subcommand_and_any_other_word_is_a_filter() {
        let cli =
            Cli::try_parse_from(["history", "import", "some/dir", "--mode", "quick"]).unwrap();
        assert!(matches!(
            cli.args.command,
            Some(HistoryCommand::Import { ref dir, ref mode }) if dir == std::path::Path::new("some/dir") && *mode == RunMode::Quick
        ));
        assert!(Cli::try_parse_from(["history", "import", "d", "--mode", "nightly"]).is_err());
        let cli =
            Cli::try_parse_from(["history", "plaintext", "--metric", "cpu_us", "--json"]).unwrap();
        assert_eq!(cli.args.filter.as_deref(), Some("plaintext"));
        assert_eq!(cli.args.metric, Some(Metric::CpuUs));
        assert!(cli.args.json && cli.args.command.is_none());
        assert!(Cli::try_parse_from(["history", "--metric", "rps"]).is_err());
        let cli = Cli::try_parse_from(["history", "plaintext"]).unwrap();
        assert_eq!(
            cli.args.metric, None,
            "no metric: requests/s plus the others' changes"
        );
    }
}
