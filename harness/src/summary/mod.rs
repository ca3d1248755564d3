//! Summary: every result of a run side by side — per workload and target, with its evidence —
//! and the published claims checked against it. Written three ways under
//! `target/stampede/report/`: [`html`] (`index.html`, inline SVG charts, works offline),
//! [`markdown`] (`report.md`) and [`json`] (`results.json`, schema in
//! `spec/results.schema.json`).
//!
//! Data path: result files -> [`Summary::build`] (grouped, sorted, sweeps picked) with
//! [`claims::evaluate`] -> renderers. [`write_report`] does all of it for the benches and the CLI.

mod build;
pub mod claims;
mod format;
pub mod html;
pub mod json;
pub mod markdown;
pub mod svg;

use std::path::{Path, PathBuf};

use crate::catalog::{Availability, Catalog};
use crate::evidence::{Machine, ResultRecord, RunMode, read_all};

use self::claims::{ClaimCheck, ClaimSet};

/// Errors of building or writing the summary; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// The results folder holds no readable result.
    #[error("no results in {}: run `cargo bench` first{}", dir.display(), problems_note(.problems))]
    NoResults {
        /// The folder read.
        dir: PathBuf,
        /// Files that could not be read, if any.
        problems: Vec<String>,
    },
    /// The claims file could not be read.
    #[error("cannot read the claims {}: {source}; restore it with `git checkout spec/claims.toml`", path.display())]
    ReadClaims {
        /// The claims file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The claims file is not valid.
    #[error("the claims {} are not valid: {why}; fix the file (its header explains the fields)", path.display())]
    ParseClaims {
        /// The claims file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The JSON document could not be serialised (a bug).
    #[error("cannot serialise results.json: {source}; this is a bug in stampede, please report it")]
    Serialize {
        /// Why.
        source: serde_json::Error,
    },
    /// An output file could not be written.
    #[error("cannot write {}: {source}; check that the folder is writable or pass --out DIR", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn problems_note(problems: &[String]) -> String {
    if problems.is_empty() {
        String::new()
    } else {
        format!(" ({} unreadable: {})", problems.len(), problems.join("; "))
    }
}

/// A target with no results because it could not run here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedTarget {
    /// The target.
    pub target: String,
    /// Why, e.g. `go not found on PATH (install Go >= 1.22)`.
    pub reason: String,
}

impl SkippedTarget {
    /// Parses a bench's skip line, `<target>: skipped — <reason>`.
    pub fn parse_line(line: &str) -> Option<Self> {
        let (target, reason) = line.trim().split_once(": skipped")?;
        let reason = reason.trim_start_matches([' ', '—', '-']).trim();
        (!target.is_empty()).then(|| Self {
            target: target.to_owned(),
            reason: reason.to_owned(),
        })
    }
}

/// A target as the results describe it.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetInfo {
    /// Target name.
    pub name: String,
    /// Language.
    pub language: String,
    /// Framework and mode.
    pub framework: String,
    /// Every toolchain version line its results name (normally one).
    pub toolchains: Vec<String>,
}

/// One point of a sweep: a target's requests/s at one parameter value.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// The swept number, e.g. connections.
    pub x: u64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// True when the result is client-bound or invalid.
    pub flagged: bool,
}

/// One target's line in a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSeries {
    /// Target name.
    pub target: String,
    /// Points in ascending `x`.
    pub points: Vec<SweepPoint>,
}

/// Requests/s against a swept parameter (connections, usually) for every target.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// The parameter's prefix, e.g. `c` in `c64`.
    pub prefix: String,
    /// What the axis shows, e.g. `connections`.
    pub axis: String,
    /// One series per target with at least one point.
    pub series: Vec<SweepSeries>,
}

/// Every result of one workload family.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSummary {
    /// Workload family, e.g. `json`.
    pub name: String,
    /// Targets with results, in report order.
    pub targets: Vec<String>,
    /// Parameters present, in numeric order.
    pub params: Vec<String>,
    /// Results sorted by parameter, then target.
    pub records: Vec<ResultRecord>,
    /// Known targets with no result here: skipped, failed or filtered out.
    pub missing: Vec<String>,
    /// The sweep for the line chart, when a parameter takes two or more values.
    pub sweep: Option<Sweep>,
}

/// One invocation whose results a summary shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RunInfo {
    /// The run's id.
    pub run_id: String,
    /// How it measured.
    pub mode: RunMode,
    /// How many of its results are shown.
    pub results: usize,
}

/// Which runs' results a summary shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunSelection {
    /// Only the newest run's (the default): never a silent mix of runs or of quick and full.
    Latest,
    /// Every result in the folder, each run named in the report.
    All,
}

/// Keeps the results of the runs `selection` asks for; returns them and how many were left out.
pub fn select_runs(
    records: Vec<ResultRecord>,
    selection: RunSelection,
) -> (Vec<ResultRecord>, usize) {
    if selection == RunSelection::All {
        return (records, 0);
    }
    // Run ids start with their UTC start time, so the largest is the newest.
    let Some(latest) = records.iter().map(|r| r.run_id.clone()).max() else {
        return (records, 0);
    };
    let total = records.len();
    let kept: Vec<ResultRecord> = records.into_iter().filter(|r| r.run_id == latest).collect();
    let left_out = total - kept.len();
    (kept, left_out)
}

/// All results of a run, grouped for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The runs shown, oldest first (one unless `--all-runs`).
    pub runs: Vec<RunInfo>,
    /// Results of other runs in the folder that are not shown.
    pub left_out: usize,
    /// Workloads in a fixed order (known families first, then by name).
    pub workloads: Vec<WorkloadSummary>,
    /// Every target seen, in report order.
    pub targets: Vec<TargetInfo>,
    /// Distinct machines the results name (normally one).
    pub machines: Vec<Machine>,
    /// Distinct commits the results name.
    pub git_commits: Vec<String>,
    /// Earliest and latest result time.
    pub time_range: Option<(String, String)>,
    /// Targets that could not run here.
    pub skipped: Vec<SkippedTarget>,
    /// The claims check.
    pub claims: Vec<ClaimCheck>,
    /// Result files that could not be read.
    pub problems: Vec<String>,
}

/// Splits a parameter into its prefix and trailing number: `hash-c16` -> (`hash-c`, 16);
/// a `k` suffix counts thousands, as in hash rounds: `r19k` -> (`r`, 19000).
pub fn split_param(param: &str) -> (&str, Option<u64>) {
    let (body, scale) = match param.strip_suffix('k') {
        Some(body) => (body, 1000),
        None => (param, 1),
    };
    let digits = body.len() - body.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return (param, None);
    }
    let (prefix, number) = body.split_at(body.len() - digits);
    (prefix, number.parse::<u64>().ok().map(|n| n * scale))
}

/// A workload's heading: its name, and how its load differs when it does (pipelining is
/// TechEmpower's plaintext method, whose rankings differ from unpipelined ones).
pub fn workload_title(workload: &WorkloadSummary) -> String {
    let depth = workload
        .records
        .iter()
        .map(|r| r.setup.pipeline)
        .max()
        .unwrap_or(1);
    if depth > 1 {
        format!(
            "{} — TFB method (HTTP/1.1 pipelining, {depth} requests per write)",
            workload.name
        )
    } else {
        workload.name.clone()
    }
}

/// The flags of a result in words: `INVALID`, `client-bound`, `not server-bound`, ...
pub fn flags(record: &ResultRecord) -> Vec<&'static str> {
    record.flags().words()
}

/// The three files a report writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportPaths {
    /// `index.html`.
    pub html: PathBuf,
    /// `report.md`.
    pub markdown: PathBuf,
    /// `results.json`.
    pub json: PathBuf,
}

/// Reads the results in `results_dir` of the runs `selection` names, checks the claims and
/// writes `index.html`, `report.md` and `results.json` into `out_dir`. Targets of the catalog with no result and a missing
/// toolchain are listed as skipped; `criterion_dir` (usually `target/criterion`) adds links to
/// Criterion's pages where they exist.
pub fn write_report(
    results_dir: &Path,
    out_dir: &Path,
    criterion_dir: Option<&Path>,
    selection: RunSelection,
) -> Result<ReportPaths, SummaryError> {
    let (records, problems) = read_all(results_dir);
    let (records, left_out) = select_runs(records, selection);
    if records.is_empty() {
        return Err(SummaryError::NoResults {
            dir: results_dir.to_path_buf(),
            problems,
        });
    }
    let catalog = Catalog::discover().ok();
    let claims = match &catalog {
        Some(catalog) if catalog.root().join(claims::CLAIMS_FILE).is_file() => {
            ClaimSet::load(&catalog.root().join(claims::CLAIMS_FILE))?
        }
        _ => ClaimSet::builtin()?,
    };
    let skipped = catalog
        .as_ref()
        .map(|c| skipped_targets(c, &records))
        .unwrap_or_default();
    let mut summary = Summary::build(records, skipped, &claims, problems);
    summary.left_out = left_out;
    write_summary(&summary, out_dir, criterion_dir)
}

/// Catalog targets with no result whose toolchain is missing here.
pub fn skipped_targets(catalog: &Catalog, records: &[ResultRecord]) -> Vec<SkippedTarget> {
    catalog
        .targets()
        .iter()
        .filter(|t| !records.iter().any(|r| r.target == t.name))
        .filter_map(|t| match catalog.availability(t) {
            Availability::Skipped { reason } => Some(SkippedTarget {
                target: t.name.clone(),
                reason,
            }),
            Availability::Available { .. } => None,
        })
        .collect()
}

/// Writes the three renderings of `summary` into `out_dir`.
pub fn write_summary(
    summary: &Summary,
    out_dir: &Path,
    criterion_dir: Option<&Path>,
) -> Result<ReportPaths, SummaryError> {
    let write = |name: &str, text: String| -> Result<PathBuf, SummaryError> {
        let path = out_dir.join(name);
        std::fs::create_dir_all(out_dir)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|source| SummaryError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(path)
    };
    let links = criterion_dir
        .map(|dir| html::CriterionLinks::find(summary, dir, out_dir))
        .unwrap_or_default();
    Ok(ReportPaths {
        html: write("index.html", html::render(summary, &links))?,
        markdown: write("report.md", markdown::render(summary))?,
        json: write("results.json", json::render(summary, &links)?)?,
    })
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_split_into_prefix_and_trailing_number() {
        assert_eq!(split_param("c64"), ("c", Some(64)));
        assert_eq!(split_param("hash-c16"), ("hash-c", Some(16)));
        assert_eq!(split_param("warm"), ("warm", None));
        assert_eq!(split_param("r19k"), ("r", Some(19_000)));
        assert_eq!(split_param("work"), ("work", None));
    }

    #[test]
    fn skip_lines_from_the_bench_parse_into_target_and_reason() {
        let line = "gin: skipped — go not found on PATH (install Go >= 1.22)";
        let skipped = SkippedTarget::parse_line(line).unwrap();
        assert_eq!(skipped.target, "gin");
        assert_eq!(skipped.reason, "go not found on PATH (install Go >= 1.22)");
        assert_eq!(SkippedTarget::parse_line("json/actix/c64: 1 req/s"), None);
    }

    #[test]
    fn no_results_tells_the_user_to_run_the_benches() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_report(
            dir.path(),
            &dir.path().join("out"),
            None,
            RunSelection::Latest,
        )
        .unwrap_err();
        assert!(err.to_string().contains("run `cargo bench` first"), "{err}");
    }
}
