//! How the commands keep their results in the history (`stampede load --target` as mode `cli`,
//! `compare` as `compare`, `icount` as `icount`), where the history file is, and the trend page
//! `stampede report --history` writes. Keeping is never fatal: the command itself succeeded, so
//! a failure comes back as a [`Kept`] warning to print.

use std::fmt;
use std::path::{Path, PathBuf};

use super::compare::records as compare_records;
use super::icount::record as icount_record;
use super::page::{link_from_summary, write_page};
use super::trend::{TrendSettings, analyse};
use super::{HISTORY_ENV, History, HistoryError, KeptRun, Metric, Recorder, Source};
use crate::benchmark_id::{BenchmarkId, BenchmarkIdError};
use crate::catalog::{Catalog, CatalogError};
use crate::compare::CompareOutput;
use crate::cpus::CpuSplit;
use crate::evidence::{Commit, Run, RunMode, open_loop_run};
use crate::icount::IcountRecord;
use crate::output::with_causes;
use crate::session::{LoadSetup, Measurement, VerifiedServer};
use crate::workload::Workload;

/// Why the history file could not be found or read for a command.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    /// Outside the workspace, with no file named.
    #[error(
        "run inside the stampede workspace, or name the file with --history PATH or STAMPEDE_HISTORY"
    )]
    NoWorkspace(#[source] CatalogError),
    /// The workspace could not be found.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The history failed.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// A record's benchmark ID is not `<group>/<target>/<case>`.
    #[error(transparent)]
    Id(#[from] BenchmarkIdError),
    /// The trend page needs a history, and there is none yet.
    #[error(
        "no history at {}: run `cargo bench` first, or `stampede history import target/stampede/results`",
        path.display()
    )]
    NoHistory {
        /// Where it was looked for.
        path: PathBuf,
    },
}

/// `--history PATH`, else `$STAMPEDE_HISTORY`, else the workspace's target/stampede.
pub fn resolve(explicit: Option<&Path>) -> Result<PathBuf, KeepError> {
    if explicit.is_some() || std::env::var_os(HISTORY_ENV).is_some_and(|v| !v.is_empty()) {
        return Ok(super::history_path(Path::new("."), explicit));
    }
    let catalog = Catalog::discover().map_err(KeepError::NoWorkspace)?;
    Ok(super::history_path(&catalog.work_dir(), None))
}

/// Writes the trend page into `out_dir` and links it from the summary `index_html`: requests/s,
/// and instructions per request when the history holds counts.
pub fn write_trend_page(
    explicit: Option<&Path>,
    out_dir: &Path,
    index_html: &Path,
) -> Result<PathBuf, KeepError> {
    let path = resolve(explicit)?;
    if !path.exists() {
        return Err(KeepError::NoHistory { path });
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

/// What keeping a command's results came to, as the line the command prints on stderr.
#[derive(Debug)]
pub enum Kept {
    /// Nothing to keep (no server figures, or no records).
    Nothing,
    /// One load result, by benchmark ID.
    Load {
        /// The benchmark ID.
        id: BenchmarkId,
        /// The history file, or why the result is not in it.
        outcome: Result<PathBuf, HistoryError>,
    },
    /// A load result whose benchmark ID cannot be made (a target name with a `/`).
    BadId(BenchmarkIdError),
    /// Several records of one kind ("comparison", "count").
    Records {
        /// How many.
        count: usize,
        /// What one is.
        what: &'static str,
        /// The history file, or why they are not in it.
        outcome: Result<PathBuf, KeepError>,
    },
}

impl fmt::Display for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nothing => Ok(()),
            Self::Load {
                id,
                outcome: Ok(path),
            } => write!(f, "kept in the history: {id} ({})", path.display()),
            Self::Load {
                id,
                outcome: Err(err),
            } => write!(f, "warning: {id} not kept in the history: {err}"),
            Self::BadId(err) => write!(f, "warning: not kept in the history: {err}"),
            Self::Records {
                count,
                what,
                outcome: Ok(path),
            } => write!(
                f,
                "kept in the history: {count} {what}(s) ({})",
                path.display()
            ),
            Self::Records {
                what,
                outcome: Err(err),
                ..
            } => write!(
                f,
                "warning: the {what}s are not kept in the history: {}",
                with_causes(err)
            ),
        }
    }
}

impl Kept {
    /// The line to print on stderr, if any.
    pub fn line(&self) -> Option<String> {
        (!matches!(self, Self::Nothing)).then(|| self.to_string())
    }
}

/// A `stampede load --target` run, as the history keeps it.
#[derive(Debug)]
pub struct LoadRun<'a> {
    /// The workspace.
    pub catalog: &'a Catalog,
    /// `--history PATH`.
    pub explicit: Option<&'a Path>,
    /// The server loaded.
    pub verified: &'a VerifiedServer,
    /// What it was sent.
    pub workload: &'a Workload,
    /// How.
    pub load: &'a LoadSetup,
    /// On which CPUs.
    pub split: &'a CpuSplit,
    /// What was measured.
    pub measurement: &'a Measurement,
}

/// Keeps a `stampede load --target` result in the history (mode `cli`).
pub fn keep_load_result(run: &LoadRun<'_>) -> Kept {
    let LoadRun {
        catalog,
        explicit,
        verified,
        workload,
        load,
        split,
        measurement,
    } = run;
    if measurement.usage.is_none() {
        return Kept::Nothing;
    }
    let id = BenchmarkId::of_load(
        &workload.to_string(),
        &verified.target.name,
        load.connections,
        load.pipeline,
        load.rate_per_sec,
    );
    let id = match id {
        Ok(id) => id,
        Err(err) => return Kept::BadId(err),
    };
    let context = Run::detect_in(catalog, RunMode::Cli);
    let open_loop = load
        .rate_per_sec
        .map(|r| open_loop_run("--rate", None, r, &measurement.sample))
        .into_iter()
        .collect();
    let record = verified.result_record(&context, &id, measurement, load, open_loop);
    let (server, client) = (split.server.to_string(), split.client.to_string());
    let kept = KeptRun::new(context, Source::Load, &server, &client);
    let outcome = Recorder::open(&catalog.work_dir(), *explicit, kept).and_then(|recorder| {
        recorder
            .append(&record)
            .map(|()| recorder.path().to_path_buf())
    });
    Kept::Load { id, outcome }
}

/// Keeps a `stampede compare` run's head side in the history, one record per target and
/// workload (mode `compare`: its series never mix with bench runs). The commit is the head's,
/// or the working tree's.
pub fn keep_compare_result(
    explicit: Option<&Path>,
    head_commit: Option<&str>,
    report: &CompareOutput,
) -> Kept {
    let split = (report.server_cpus.as_str(), report.client_cpus.as_str());
    let kept = compare_records(&report.comparisons, report.connections)
        .map_err(KeepError::from)
        .and_then(|records| {
            let (source, mode) = (Source::Compare, RunMode::Compare);
            keep_records(explicit, source, mode, split, head_commit, &records)
        });
    kept_records(kept, report.comparisons.len(), "comparison")
}

/// Keeps `stampede icount` counts in the history (mode `icount`). The machine is recorded
/// without a CPU split: Valgrind runs a server's threads one at a time, on whichever CPU.
pub fn keep_icount_result(explicit: Option<&Path>, counts: &[IcountRecord]) -> Kept {
    let records: Result<Vec<_>, _> = counts.iter().map(icount_record).collect();
    let kept = records.map_err(KeepError::from).and_then(|records| {
        let (source, mode) = (Source::Icount, RunMode::Icount);
        keep_records(explicit, source, mode, ("-", "-"), None, &records)
    });
    kept_records(kept, counts.len(), "count")
}

/// Appends `records` as one run of this machine in `mode`, written by `source` with the CPU
/// split `(server, client)`, at `commit` if given, else the workspace's.
fn keep_records(
    explicit: Option<&Path>,
    source: Source,
    mode: RunMode,
    (server_cpus, client_cpus): (&str, &str),
    commit: Option<&str>,
    records: &[serde_json::Value],
) -> Result<Option<PathBuf>, KeepError> {
    if records.is_empty() {
        return Ok(None);
    }
    let catalog = Catalog::discover()?;
    let path = super::history_path(&catalog.work_dir(), explicit);
    let mut run = Run::detect_in(&catalog, mode);
    if let Some(commit) = commit {
        run.commit = Commit {
            hash: commit.to_owned(),
            dirty: false,
        };
    }
    let kept = KeptRun::new(run, source, server_cpus, client_cpus);
    History::open(&path)?.append(&kept, records)?;
    Ok(Some(path))
}

fn kept_records(
    kept: Result<Option<PathBuf>, KeepError>,
    count: usize,
    what: &'static str,
) -> Kept {
    match kept {
        Ok(None) => Kept::Nothing,
        Ok(Some(path)) => Kept::Records {
            count,
            what,
            outcome: Ok(path),
        },
        Err(err) => Kept::Records {
            count,
            what,
            outcome: Err(err),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_results_name_the_file_and_a_failure_is_a_warning_with_its_causes() {
        let path = PathBuf::from("/tmp/h.sqlite");
        let kept = Kept::Records {
            count: 3,
            what: "count",
            outcome: Ok(path.clone()),
        };
        assert_eq!(
            kept.line().as_deref(),
            Some("kept in the history: 3 count(s) (/tmp/h.sqlite)")
        );
        let failed = Kept::Records {
            count: 3,
            what: "comparison",
            outcome: Err(KeepError::NoHistory { path }),
        };
        let line = failed.line().unwrap();
        assert!(
            line.starts_with(
                "warning: the comparisons are not kept in the history: no history at /tmp/h.sqlite"
            ),
            "{line}"
        );
        assert_eq!(Kept::Nothing.line(), None);
    }

    #[test]
    fn an_explicit_history_file_is_used_as_given() {
        let path = Path::new("/tmp/somewhere/h.sqlite");
        assert_eq!(resolve(Some(path)).unwrap(), path);
    }
}
