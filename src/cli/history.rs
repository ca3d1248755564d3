//! `stampede history`: one line per benchmark ID from the results history — latest figure,
//! change against the previous comparable run, change points with their commits — and
//! `stampede history import DIR`. Also the small hooks other commands use to keep their
//! results in the history.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use stampede_harness::benchmark_id::BenchmarkId;
use stampede_harness::catalog::Catalog;
use stampede_harness::compare::CompareReport;
use stampede_harness::cpus::CpuSplit;
use stampede_harness::evidence::{Commit, Run, RunMode};
use stampede_harness::history::compare::{COMPARE_MODE, records as compare_records};
use stampede_harness::history::icount::{ICOUNT_MODE, record as icount_record};
use stampede_harness::history::import::import_dir;
use stampede_harness::history::page::{link_from_summary, write_page};
use stampede_harness::history::trend::short;
use stampede_harness::history::trend::{
    MetricChange, TrendReport, TrendSettings, analyse, change_points_besides, id_filter,
};
use stampede_harness::history::{
    Fingerprint, HISTORY_ENV, History, Metric, Recorder, RunMeta, history_path,
};
use stampede_harness::icount::IcountRecord;
use stampede_harness::session::{LoadSetup, Measurement, VerifiedServer};
use stampede_harness::workload::Workload;

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
        mode: String,
    },
}

pub(crate) fn run(args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let path = resolve(args.history.as_deref())?;
    if let Some(HistoryCommand::Import { dir, mode }) = &args.command {
        let history = History::open(&path)?;
        let summary = import_dir(&history, dir, mode)?;
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
    let history = History::open(&path)?;
    let metric = args.metric.unwrap_or(Metric::RequestsPerSec);
    let settings = TrendSettings::default();
    let report = analyse(history.points(metric)?, filter.as_ref(), metric, &settings);
    let besides = args
        .metric
        .is_none()
        .then(|| change_points_besides(&history, filter.as_ref(), metric, &settings))
        .transpose()?;
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("history".into(), path.display().to_string().into());
            if let Some(besides) = &besides {
                map.insert("other_change_points".into(), serde_json::to_value(besides)?);
            }
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", render_text(&report, &path));
        if let Some(besides) = &besides {
            print!("{}", render_besides(besides, metric));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--history PATH`, else `$STAMPEDE_HISTORY`, else the workspace's target/stampede.
pub(crate) fn resolve(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if explicit.is_some() || std::env::var_os(HISTORY_ENV).is_some_and(|v| !v.is_empty()) {
        return Ok(history_path(Path::new("."), explicit));
    }
    let catalog = Catalog::discover().context(
        "run inside the stampede workspace, or name the file with --history PATH or STAMPEDE_HISTORY",
    )?;
    Ok(history_path(&catalog.work_dir(), None))
}

fn render_text(report: &TrendReport, path: &Path) -> String {
    let metric = report.metric;
    let mut out = String::new();
    let _ = writeln!(out, "{}, from {}", metric.heading(), path.display());
    if report.trends.is_empty() {
        let _ = writeln!(out, "no recorded runs match");
        return out;
    }
    let width = report
        .trends
        .iter()
        .map(|t| t.bench_id.as_str().len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        out,
        "\n{:width$}  {:7} {:8} {:>4} {:>10}  {:24} change points",
        "bench id", "mode", "machine", "runs", "latest", "vs previous run"
    );
    let mut machines = std::collections::BTreeMap::new();
    for t in &report.trends {
        machines.insert(t.fingerprint_short.clone(), t.fingerprint.describe());
        let latest = t
            .latest()
            .map_or_else(|| "-".into(), |r| metric.format(r.value));
        let previous = t.previous.as_ref().map_or_else(
            || "-".to_owned(),
            |p| format!("{:+.1}% ({})", p.relative_change * 100.0, short(&p.commit)),
        );
        let changes: Vec<String> = t.change_points.iter().map(|c| c.describe()).collect();
        let _ = writeln!(
            out,
            "{:width$}  {:7} {:8} {:>4} {:>10}  {:24} {}{}",
            t.bench_id,
            t.mode,
            t.fingerprint_short,
            t.runs.len(),
            latest,
            previous,
            if changes.is_empty() {
                "none".to_owned()
            } else {
                changes.join("; ")
            },
            if t.left_out > 0 {
                format!(
                    "  [{} left out: invalid or without this figure]",
                    t.left_out
                )
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(out, "\nmachines:");
    for (short_name, description) in machines {
        let _ = writeln!(out, "  {short_name}  {description}");
    }
    if !report.apart.is_empty() {
        let _ = writeln!(
            out,
            "\nnot compared (another machine or mode than the benchmark's latest run):"
        );
        for a in &report.apart {
            let _ = writeln!(
                out,
                "  {:width$}  {} run(s), mode {}, machine {}: {}",
                a.bench_id, a.runs, a.mode, a.fingerprint_short, a.reason
            );
        }
    }
    out
}

/// The change points of the figures the table does not show, one line each.
fn render_besides(besides: &[MetricChange], shown: Metric) -> String {
    let others: Vec<&str> = Metric::ALL
        .iter()
        .filter(|m| **m != shown)
        .map(|m| m.name())
        .collect();
    if besides.is_empty() {
        return format!("\nno change points in {} either\n", others.join(", "));
    }
    let mut out = format!(
        "\nchange points in the other figures ({}; --metric NAME shows one's table):\n",
        others.join(", ")
    );
    let width = besides
        .iter()
        .map(|b| b.bench_id.as_str().len())
        .max()
        .unwrap_or(8);
    for b in besides {
        let _ = writeln!(
            out,
            "  {:12} {:width$}  {}",
            b.metric.name(),
            b.bench_id,
            b.change.describe()
        );
    }
    out
}

/// Writes the trend page into `out_dir` and links it from the summary `index_html`: requests/s,
/// and instructions per request when the history holds counts.
pub(crate) fn write_trend_page(
    explicit: Option<&Path>,
    out_dir: &Path,
    index_html: &Path,
) -> anyhow::Result<PathBuf> {
    let path = resolve(explicit)?;
    if !path.exists() {
        anyhow::bail!(
            "no history at {}: run `cargo bench` first, or `stampede history import target/stampede/results`",
            path.display()
        );
    }
    let history = History::open(&path)?;
    let settings = TrendSettings::default();
    let mut reports = Vec::new();
    for metric in [Metric::RequestsPerSec, Metric::Instructions] {
        let report = analyse(history.points(metric)?, None, metric, &settings);
        if reports.is_empty() || !report.trends.is_empty() {
            reports.push(report);
        }
    }
    let page = write_page(&reports, &path, settings.changepoint.significance, out_dir)?;
    link_from_summary(index_html)?;
    Ok(page)
}

/// Keeps a `stampede load --target` result in the history (mode `cli`). A failure is only a
/// warning: the load itself succeeded.
pub(crate) fn keep_load_result(
    catalog: &Catalog,
    explicit: Option<&Path>,
    verified: &VerifiedServer,
    workload: &Workload,
    load: &LoadSetup,
    split: &CpuSplit,
    measurement: &Measurement,
) {
    if measurement.usage.is_none() {
        return;
    }
    let (name, connections) = (workload.to_string(), load.connections);
    let id = BenchmarkId::of_load(
        &name,
        &verified.target.name,
        connections,
        load.pipeline,
        load.rate_per_sec,
    );
    let id = match id {
        Ok(id) => id,
        Err(err) => return eprintln!("warning: not kept in the history: {err}"),
    };
    let context = Run::detect(catalog.root(), RunMode::Cli);
    let open_loop = load
        .rate_per_sec
        .map(|r| stampede_harness::evidence::open_loop_run("--rate", None, r, &measurement.sample))
        .into_iter()
        .collect();
    let record = verified.result_record(&context, &id, measurement, load, open_loop);
    let (server, client) = (split.server.to_string(), split.client.to_string());
    let meta = RunMeta::of_run(&context, "load", &server, &client);
    let kept = Recorder::open(&catalog.work_dir(), explicit, meta)
        .and_then(|recorder| recorder.append(&record).map(|()| recorder));
    match kept {
        Ok(recorder) => eprintln!("kept in the history: {id} ({})", recorder.path().display()),
        Err(err) => eprintln!("warning: {id} not kept in the history: {err}"),
    }
}

/// Keeps a `stampede compare` run's head side in the history, one record per target and
/// workload (mode `compare`: its series never mix with bench runs). The commit is the head's,
/// or the working tree's. A failure is only a warning: the comparison itself succeeded.
pub(crate) fn keep_compare_result(
    explicit: Option<&Path>,
    head_commit: Option<&str>,
    report: &CompareReport,
) {
    let fingerprint = Fingerprint::detect(&report.server_cpus, &report.client_cpus);
    let kept = compare_records(&report.comparisons, report.connections)
        .map_err(anyhow::Error::from)
        .and_then(|records| {
            keep_records(explicit, COMPARE_MODE, fingerprint, head_commit, &records)
        });
    say_kept(kept, report.comparisons.len(), "comparison");
}

/// Keeps `stampede icount` counts in the history (mode `icount`). The machine is recorded
/// without a CPU split: Valgrind runs a server's threads one at a time, on whichever CPU.
pub(crate) fn keep_icount_result(explicit: Option<&Path>, counts: &[IcountRecord]) {
    let records: Result<Vec<_>, _> = counts.iter().map(icount_record).collect();
    let fingerprint = Fingerprint::detect("-", "-");
    let kept = records
        .map_err(anyhow::Error::from)
        .and_then(|records| keep_records(explicit, ICOUNT_MODE, fingerprint, None, &records));
    say_kept(kept, counts.len(), "count");
}

/// Appends `records` as one run written by `source` (also its mode), at `commit` if given,
/// else the workspace's.
fn keep_records(
    explicit: Option<&Path>,
    source: &str,
    fingerprint: Fingerprint,
    commit: Option<&str>,
    records: &[serde_json::Value],
) -> anyhow::Result<Option<PathBuf>> {
    if records.is_empty() {
        return Ok(None);
    }
    let catalog = Catalog::discover()?;
    let path = history_path(&catalog.work_dir(), explicit);
    let mut meta = RunMeta::detect(catalog.root(), source, source, fingerprint);
    if let Some(commit) = commit {
        meta.commit = Commit {
            hash: commit.to_owned(),
            dirty: false,
        };
    }
    History::open(&path)?.append(&meta, records)?;
    Ok(Some(path))
}

fn say_kept(kept: anyhow::Result<Option<PathBuf>>, count: usize, what: &str) {
    match kept {
        Ok(Some(path)) => eprintln!(
            "kept in the history: {count} {what}(s) ({})",
            path.display()
        ),
        Ok(None) => {}
        Err(err) => eprintln!("warning: the {what}s are not kept in the history: {err:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use stampede_harness::history::trend::CommitChange;

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
            Some(HistoryCommand::Import { ref dir, ref mode }) if dir == Path::new("some/dir") && mode == "quick"
        ));
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

    #[test]
    fn the_other_figures_change_points_are_one_line_each_or_a_line_saying_there_are_none() {
        let none = render_besides(&[], Metric::RequestsPerSec);
        assert_eq!(
            none,
            "\nno change points in p99, cpu_us, mem, instructions either\n"
        );
        let change = CommitChange {
            index: 6,
            commit: "bbbbbbbbbbbb".into(),
            previous_commit: "aaaaaaaaaaaa".into(),
            within_commit: false,
            relative_change: 0.759,
            mean_before: 16613.0,
            mean_after: 29222.0,
            p_value: 0.005,
            versions_changed: None,
        };
        let found = render_besides(
            &[MetricChange {
                metric: Metric::Instructions,
                bench_id: "plaintext/actix/icount".parse().unwrap(),
                change,
            }],
            Metric::RequestsPerSec,
        );
        assert!(
            found.contains(
                "  instructions plaintext/actix/icount  +75.9% at bbbbbbbbbb (after aaaaaaaaaa), p = 0.005"
            ),
            "{found}"
        );
    }
}
