//! Summary: every result of a run side by side — per workload and target, with its evidence
//! and charts — and the published claims checked against it. Written three ways under
//! `target/stampede/report/`: [`html`] (`index.html`, one self-contained page that works
//! offline), [`markdown`] (`report.md`) and [`json`] (`results.json`, whose schema
//! `spec/results.schema.json` is derived from its types).
//!
//! Data path: result folders -> [`sources`] (runs selected, folders merged) ->
//! [`Summary::build`] (grouped per machine, in [`order`], claims evaluated) -> [`charts`] (what
//! each chart shows, as data) -> `plot` (SVG by plotters) -> the renderers, whose markup lives
//! in `harness/templates/`. [`write_from_results`] does all of it for the benches and the CLI.

mod build;
pub mod ceiling;
pub mod charts;
pub mod claims;
mod database;
mod format;
pub mod html;
pub mod instructions;
pub mod json;
pub mod markdown;
pub mod order;
mod plot;
pub mod served;
pub mod sources;
pub mod strictness;
mod table;
mod timelines;
mod view;

use std::path::{Path, PathBuf};

use itertools::Itertools;

use crate::catalog::{Availability, Catalog};
use crate::evidence::{Machine, ResultRecord, RunMode};
use crate::icount::IcountRecord;
use crate::output::{Format, Render, RenderError, unsupported};

use self::claims::{ClaimCheck, ClaimSet};
use self::order::ReportOrder;
pub use self::served::NotServed;
pub use self::sources::RunSelection;

/// Errors of building or writing the summary; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("no results in {}: run `cargo bench` first{}", folders(.dirs), problems_note(.problems))]
    NoResults {
        dirs: Vec<PathBuf>,
        problems: Vec<String>,
    },
    #[error("cannot read the claims {}: {source}; restore it with `git checkout spec/claims.toml`", path.display())]
    ReadClaims {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the claims {} are not valid: {why}; fix the file (its header explains the fields)", path.display())]
    ParseClaims { path: PathBuf, why: String },
    #[error("cannot render {what}: {why}; this is a bug in stampede, please report it")]
    Render { what: String, why: String },
    #[error("cannot write {}: {source}; check that the folder is writable or pass --out DIR", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A rendered document ending in one newline, or why it could not be rendered.
fn rendered<E: std::fmt::Display>(
    what: &str,
    text: Result<String, E>,
) -> Result<String, SummaryError> {
    let why = |e: E| e.to_string();
    let text = text.map_err(why).map_err(|why| SummaryError::Render {
        what: what.into(),
        why,
    })?;
    Ok(text.trim_end_matches('\n').to_owned() + "\n")
}

fn folders(dirs: &[PathBuf]) -> String {
    dirs.iter().map(|d| d.display()).join(", ")
}

fn problems_note(problems: &[String]) -> String {
    match problems.len() {
        0 => String::new(),
        n => format!(" ({n} unreadable: {})", problems.join("; ")),
    }
}

/// A target with no results here, and why (e.g. `go not found on PATH (install Go >= 1.22)`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct SkippedTarget {
    pub target: String,
    pub reason: String,
}

/// A target as its results describe it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct TargetInfo {
    pub name: String,
    pub language: String,
    /// Framework and mode, with the locked version when known.
    pub framework: String,
    /// Every toolchain version line its results name (normally one).
    pub toolchains: Vec<String>,
    /// The driver of its database routes with its locked version, from its database records;
    /// `None` without any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_driver: Option<String>,
}

/// The parameter a workload's results sweep, e.g. connections in `c16`..`c1024`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Sweep {
    /// What the axis shows, e.g. `connections`.
    pub axis: String,
    /// The parameter's prefix, e.g. `c` in `c64`.
    pub prefix: String,
}

/// Every result of one workload family on one machine.
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
    /// Known targets with no result here: skipped, failed, filtered out or measured elsewhere.
    pub missing: Vec<String>,
    /// Set when a parameter takes two or more values: the line charts' axis.
    pub sweep: Option<Sweep>,
}

/// The results of one machine: ranked among themselves only.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Index into [`Summary::machines`].
    pub machine: usize,
    /// Workloads in report order.
    pub workloads: Vec<WorkloadSummary>,
    pub claims: Vec<ClaimCheck>,
    /// Why targets have no result on this machine: skipped here, or measured on another one.
    pub absent: Vec<SkippedTarget>,
    /// Workloads partial targets do not serve (catalog `workloads`).
    pub not_served: Vec<NotServed>,
}

/// One invocation whose results a summary shows, with how many of them it shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RunInfo {
    pub run_id: String,
    pub mode: RunMode,
    pub results: usize,
}

/// Earliest and latest result time (RFC 3339).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TimeRange {
    pub first: String,
    pub last: String,
}

/// All results shown, grouped for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The runs shown, oldest first (one per results folder unless `--all-runs`).
    pub runs: Vec<RunInfo>,
    /// Results of other runs in the folders that are not shown.
    pub left_out: usize,
    /// Every target seen, in report order.
    pub targets: Vec<TargetInfo>,
    /// Distinct machine fingerprints (CPU model, cores, kernel), first seen first.
    pub machines: Vec<Machine>,
    /// One section per machine, in the order of `machines`.
    pub sections: Vec<Section>,
    pub git_commits: Vec<String>,
    pub time_range: Option<TimeRange>,
    /// Targets that could not run here.
    pub skipped: Vec<SkippedTarget>,
    /// Workloads partial targets do not serve (catalog `workloads`).
    pub not_served: Vec<NotServed>,
    /// Result files that could not be read, and inputs that fell back to defaults.
    pub problems: Vec<String>,
    /// Instruction counts of `stampede icount`, shown beside server CPU per request.
    pub instructions: Vec<IcountRecord>,
    /// Probe results of `stampede conformance`, the newest per target: the Strictness column.
    pub strictness: Vec<crate::strictness::record::StrictnessRecord>,
    /// The pgbench ceilings of the runs shown, under the `db` results.
    pub database_ceilings: Vec<crate::database::ceiling::Ceiling>,
}

impl Summary {
    /// Why the sections are not ranked against each other, when there are several.
    pub fn unranked_reason(&self) -> Option<String> {
        if self.machines.len() < 2 {
            return None;
        }
        let names = (0..self.machines.len()).map(|i| self.machine_label(i));
        Some(format!(
            "Not ranked across machines: these results come from {} machines with different \
             fingerprints ({}). CPU model, core count and kernel change every figure, so each \
             machine's results are shown and compared on their own, never side by side.",
            self.machines.len(),
            names.format("; ")
        ))
    }

    /// `machine 2 (CPU, 4 cores, Linux 6.1)`.
    pub fn machine_label(&self, index: usize) -> String {
        match self.machines.get(index) {
            Some(m) => format!("machine {} ({})", index + 1, machine_text(m)),
            None => format!("machine {}", index + 1),
        }
    }
}

pub fn machine_text(m: &Machine) -> String {
    format!("{}, {} cores, Linux {}", m.cpu_model, m.cores, m.kernel)
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

/// Fails, showing `text`, unless it contains `part`.
/// `stampede report` and the benches: index.html, report.md and results.json.
impl Render for SummaryPage<'_> {
    const NAME: &'static str = "the summary";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Err(unsupported::<Self>(format)),
            other => self
                .document(other)
                .map_err(|e| RenderError::Failed(Box::new(e))),
        }
    }
}

#[cfg(test)]
#[track_caller]
pub(crate) fn assert_has(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in:\n{text}");
}

/// The three files a summary writes: `index.html`, `report.md`, `results.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryPaths {
    pub html: PathBuf,
    pub markdown: PathBuf,
    pub json: PathBuf,
}

/// Reads the results in `results_dirs` (the runs `selection` names in each), checks the claims
/// and writes `index.html`, `report.md` and `results.json` into `out_dir`. Targets of the
/// catalog with no result and a missing toolchain are listed as skipped; `criterion_dir`
/// (usually `target/criterion`) adds links to Criterion's pages where they exist.
pub fn write_from_results(
    results_dirs: &[PathBuf],
    out_dir: &Path,
    criterion_dir: Option<&Path>,
    selection: RunSelection,
) -> Result<SummaryPaths, SummaryError> {
    let gathered = sources::gather(results_dirs, selection);
    if gathered.records.is_empty() {
        return Err(SummaryError::NoResults {
            dirs: results_dirs.to_vec(),
            problems: gathered.problems,
        });
    }
    let catalog = Catalog::discover().ok();
    let file = catalog.as_ref().map(|c| c.root().join(claims::CLAIMS_FILE));
    let claims = match file.filter(|f| f.is_file()) {
        Some(file) => ClaimSet::load(&file)?,
        None => ClaimSet::builtin()?,
    };
    let (order, order_problem) = ReportOrder::discover(catalog.as_ref());
    let skipped = catalog
        .as_ref()
        .map(|c| skipped_targets(c, &gathered.records))
        .unwrap_or_default();
    let not_served = catalog.as_ref().map(served::not_served).unwrap_or_default();
    let mut summary =
        Summary::build_serving(gathered.records, skipped, not_served, &claims, &order);
    summary.left_out = gathered.left_out;
    summary.problems = gathered.problems;
    summary.problems.extend(order_problem);
    summary.instructions = instructions::gather(results_dirs);
    summary.strictness = strictness::gather(results_dirs);
    summary.database_ceilings = ceiling::gather(results_dirs);
    write_summary(&summary, out_dir, criterion_dir)
}

/// Catalog targets with no result whose toolchain is missing here.
pub fn skipped_targets(catalog: &Catalog, records: &[ResultRecord]) -> Vec<SkippedTarget> {
    let absent = catalog.targets().iter();
    let absent = absent.filter(|t| !records.iter().any(|r| r.target == t.name));
    let skipped = absent.filter_map(|t| match catalog.availability(t) {
        Availability::Skipped { reason } => Some((t.name.clone(), reason)),
        Availability::Available { .. } => None,
    });
    skipped
        .map(|(target, reason)| SkippedTarget { target, reason })
        .collect()
}

pub fn write_summary(
    summary: &Summary,
    out_dir: &Path,
    criterion_dir: Option<&Path>,
) -> Result<SummaryPaths, SummaryError> {
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
    let page = SummaryPage {
        summary,
        links: &links,
    };
    let render = |format| page.document(format);
    Ok(SummaryPaths {
        html: write("index.html", render(Format::Html)?)?,
        markdown: write("report.md", render(Format::Markdown)?)?,
        json: write("results.json", render(Format::Json)?)?,
    })
}

/// The summary with its links to Criterion's pages: the page, report.md and results.json
/// (through [`crate::output::Render`]).
#[derive(Clone, Copy, Debug)]
pub struct SummaryPage<'a> {
    /// The summary.
    pub summary: &'a Summary,
    /// Links to Criterion's reports.
    pub links: &'a html::CriterionLinks,
}

impl SummaryPage<'_> {
    /// The summary's document in `format` (HTML, Markdown or JSON), with its own errors.
    pub fn document(&self, format: Format) -> Result<String, SummaryError> {
        match format {
            Format::Html => html::render(self.summary, self.links),
            Format::Markdown => markdown::render(self.summary),
            Format::Json => json::render(self.summary, self.links),
            Format::Text => Err(SummaryError::Render {
                what: "the summary as text".into(),
                why: "it has no text form".into(),
            }),
        }
    }
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
    fn no_results_tells_the_user_to_run_the_benches() {
        let dir = tempfile::tempdir().unwrap();
        let (dirs, out) = ([dir.path().to_path_buf()], dir.path().join("out"));
        let err = write_from_results(&dirs, &out, None, RunSelection::Latest).unwrap_err();
        assert!(err.to_string().contains("run `cargo bench` first"), "{err}");
    }
}
