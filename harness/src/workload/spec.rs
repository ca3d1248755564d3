//! spec/workloads.toml as written: one `[[workloads]]` entry per workload (its request, where
//! its answers come from, its parameter, its benchmark groups) and the `[open_loop]` settings.
//! Everything is checked on load, so a typo fails naming its entry instead of quietly
//! measuring something else.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::groups::{BenchGroup, Sampling};
use super::{Workload, WorkloadError};
use crate::benchmark_id::{BenchmarkId, BenchmarkIdError};
use crate::bodies::BodyKind;

/// What is wrong with a workloads file.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadSpecError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not the TOML it should be (unknown or missing keys included).
    #[error("{path} is not a valid workloads file: {why}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML error, with its line.
        why: String,
    },
    /// An entry contradicts itself or another.
    #[error("{path}: {entry}: {why}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The workload or group at fault.
        entry: String,
        /// What is wrong and how to fix it.
        why: String,
    },
}

/// Where the answers of a workload without a body come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerSource {
    /// The success vector of exactly this request in spec/vectors.json.
    Vector,
    /// A success vector of the same method and path before `?`: for a parameter that does not
    /// change the answer (`/sleep?ms=N` answers `ok` whatever N).
    Route,
}

/// A command that runs a workload when the user names none (`default_for` in the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultFor {
    /// `stampede compare` (the duet): each workload costs minutes of rounds per target.
    Compare,
    /// `stampede icount` and `compare --metric instructions`.
    Icount,
}

/// The workload's one numeric parameter, e.g. the rounds of `hash:19000`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    /// Its name: the placeholder in the path (`{rounds}`) and `NAME[:ROUNDS]` in messages.
    pub name: String,
    /// The value when a workload name gives none (`hash` is `hash:1000`).
    pub default: u32,
    /// How benchmark IDs name a value: `{}` is the number, `{k}` the number in thousands when
    /// it is a whole number of them (`r{k}`: 19000 -> `r19k`, 1500 -> `r1500`). Default: the
    /// parameter's name then the number (`ms10`).
    #[serde(default)]
    pub id: Option<String>,
    /// The parameter is a wait in milliseconds: an answer sooner than that is `too-fast`.
    #[serde(default)]
    pub wait: bool,
}

impl ParamDef {
    /// The ID of `value`: `r19k`, `ms10`.
    pub fn label(&self, value: u32) -> String {
        let thousands = if value >= 1000 && value % 1000 == 0 {
            format!("{}k", value / 1000)
        } else {
            value.to_string()
        };
        match &self.id {
            Some(template) => template
                .replace("{k}", &thousands)
                .replace("{}", &value.to_string()),
            None => format!("{}{value}", self.name),
        }
    }
}

/// One workload: the request each load connection sends and the answer it must get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadDef {
    /// Its name, as in `stampede load --workload NAME[:PARAM]`.
    pub name: String,
    /// One line: what it measures.
    pub about: String,
    /// HTTP method.
    pub method: String,
    /// Path and query; `{<param name>}` stands for the parameter.
    pub path: String,
    /// Extra request headers, by name.
    pub headers: Vec<(String, String)>,
    /// The parameter, if any.
    pub param: Option<ParamDef>,
    /// The body generator; `None`: no body.
    pub body: Option<BodyKind>,
    /// Where answers come from without a body.
    pub answer: AnswerSource,
    /// The commands that run it when none is named.
    pub default_for: Vec<DefaultFor>,
}

impl WorkloadDef {
    /// The path with `value` in place of the parameter.
    pub fn path_with(&self, value: Option<u32>) -> String {
        match (&self.param, value) {
            (Some(param), Some(value)) => self
                .path
                .replace(&format!("{{{}}}", param.name), &value.to_string()),
            _ => self.path.clone(),
        }
    }

    /// `NAME` or `NAME[:PARAM]`, for lists of known workloads.
    pub fn usage(&self) -> String {
        match &self.param {
            Some(p) => format!("{}[:{}]", self.name, p.name.to_uppercase()),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    open_loop: OpenLoopSettings,
    workloads: Vec<WorkloadEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadEntry {
    name: String,
    about: String,
    method: String,
    path: String,
    #[serde(default)]
    headers: toml::Table,
    #[serde(default)]
    param: Option<ParamDef>,
    #[serde(default)]
    body: Option<BodyKind>,
    #[serde(default)]
    answer: Option<AnswerSource>,
    #[serde(default)]
    default_for: Vec<DefaultFor>,
    #[serde(default)]
    groups: Vec<GroupEntry>,
}

/// One Criterion group as written; [`BenchGroup`] is it resolved into cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupEntry {
    pub(super) name: String,
    /// The measured workload, `NAME[:PARAM]`; default: the entry it sits in.
    #[serde(default)]
    pub(super) workload: Option<String>,
    #[serde(default)]
    pub(super) sampling: Sampling,
    pub(super) connections: Vec<usize>,
    /// Parameter values; default: the workload's own.
    #[serde(default)]
    pub(super) params: Option<Vec<u32>>,
    #[serde(default = "one")]
    pub(super) pipeline: usize,
    /// The case part of benchmark IDs.
    #[serde(default = "connections_id")]
    pub(super) id: String,
    #[serde(default)]
    pub(super) background: Option<BackgroundEntry>,
    #[serde(default)]
    pub(super) tails: Vec<TailEntry>,
}

fn one() -> usize {
    1
}

fn connections_id() -> String {
    "c{connections}".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BackgroundEntry {
    pub(super) connections: usize,
    pub(super) loads: Vec<BackgroundLoad>,
    pub(super) probe: ProbeEntry,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BackgroundLoad {
    pub(super) id: String,
    pub(super) workload: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProbeEntry {
    pub(super) connections: usize,
    pub(super) rate_per_sec: f64,
    pub(super) seconds: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TailEntry {
    pub(super) id: String,
    pub(super) common_rate_per_sec: f64,
    #[serde(default)]
    pub(super) fractions: Option<Vec<f64>>,
}

/// `[open_loop]`: how tail-latency runs are sized (which benchmarks get them is each group's
/// `tails`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLoopSettings {
    /// Fractions of each target's own measured capacity.
    pub fractions: Vec<f64>,
    /// Samples each run aims for (10,000 leave 10 beyond p99.9).
    pub target_samples: u64,
    /// Shortest run.
    pub min_seconds: f64,
    /// Longest run, whatever the samples.
    pub max_seconds: f64,
}

impl OpenLoopSettings {
    /// How long to run at `rate_per_sec` to get the target samples, within the bounds.
    pub fn seconds_at(&self, rate_per_sec: f64) -> f64 {
        (self.target_samples as f64 / rate_per_sec.max(1e-9))
            .clamp(self.min_seconds, self.max_seconds)
    }
}

/// Every workload and benchmark group of a spec folder: the one definition all Rust code
/// iterates (bench runner, `stampede load`, compare, k6 export, report order).
#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    path: PathBuf,
    definitions: Vec<Arc<WorkloadDef>>,
    groups: Vec<BenchGroup>,
    /// Open-loop run sizing.
    pub open_loop: OpenLoopSettings,
}

impl WorkloadSpec {
    /// Reads and checks `workloads.toml` in `spec_dir`.
    pub fn load(spec_dir: &Path) -> Result<Self, WorkloadSpecError> {
        let path = spec_dir.join("workloads.toml");
        let text = std::fs::read_to_string(&path).map_err(|source| WorkloadSpecError::Read {
            path: path.clone(),
            source,
        })?;
        Self::parse(&text, &path)
    }

    /// Parses and checks workloads-file text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, WorkloadSpecError> {
        let file: SpecFile = toml::from_str(text).map_err(|e| WorkloadSpecError::Parse {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
        let invalid = |entry: &str, why: String| WorkloadSpecError::Invalid {
            path: path.to_owned(),
            entry: entry.to_owned(),
            why,
        };
        let mut spec = Self {
            path: path.to_owned(),
            definitions: Vec::new(),
            groups: Vec::new(),
            open_loop: file.open_loop,
        };
        let mut entries_groups = Vec::new();
        for entry in file.workloads {
            let context = format!("workload `{}`", entry.name);
            if spec.definitions.iter().any(|d| d.name == entry.name) {
                return Err(invalid(&context, "a second entry of this name".into()));
            }
            let (definition, groups) = definition(entry).map_err(|why| invalid(&context, why))?;
            spec.definitions.push(Arc::new(definition));
            entries_groups.push((spec.definitions.len() - 1, groups));
        }
        for (index, groups) in entries_groups {
            for group in groups {
                let context = format!("group `{}`", group.name);
                if spec.groups.iter().any(|g| g.name == group.name) {
                    return Err(invalid(&context, "a second group of this name".into()));
                }
                let owner = spec.definitions[index].name.clone();
                let resolved = BenchGroup::resolve(&spec, &owner, group)
                    .map_err(|why| invalid(&context, why))?;
                spec.groups.push(resolved);
            }
        }
        Ok(spec)
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every workload, in file order.
    pub fn definitions(&self) -> &[Arc<WorkloadDef>] {
        &self.definitions
    }

    /// Every benchmark group, in file order: the order benches run them and reports show them.
    pub fn groups(&self) -> &[BenchGroup] {
        &self.groups
    }

    /// Group names in run and report order.
    pub fn group_names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.name.clone()).collect()
    }

    /// Every benchmark ID of these groups over `targets`, in the order the bench runs them;
    /// refused when a target's name holds a '/'.
    pub fn benchmark_ids(&self, targets: &[String]) -> Result<Vec<BenchmarkId>, BenchmarkIdError> {
        self.groups
            .iter()
            .flat_map(|group| {
                targets.iter().flat_map(move |target| {
                    group
                        .cases
                        .iter()
                        .map(move |case| group.benchmark_id(target, case))
                })
            })
            .collect()
    }

    /// Every workload at its default parameter, in file order.
    pub fn at_defaults(&self) -> Vec<Workload> {
        self.definitions
            .iter()
            .map(|definition| Workload {
                definition: Arc::clone(definition),
                param: definition.param.as_ref().map(|p| p.default),
            })
            .collect()
    }

    /// The workloads `command` runs when none is named, in file order, each at the smallest
    /// parameter its benchmark groups measure (its default without one): the cheapest request
    /// that exercises the handler, as larger sizes mostly repeat the same loop.
    pub fn defaults_for(&self, command: DefaultFor) -> Vec<Workload> {
        self.at_defaults()
            .into_iter()
            .filter(|w| w.definition.default_for.contains(&command))
            .map(|w| {
                let smallest = self
                    .groups
                    .iter()
                    .flat_map(|g| &g.cases)
                    .filter(|case| case.workload.name() == w.name())
                    .filter_map(|case| case.workload.param())
                    .min();
                w.with_param(smallest)
            })
            .collect()
    }

    /// `NAME[:PARAM]` against these workloads, e.g. `hash:19000` or `plaintext`.
    pub fn workload(&self, text: &str) -> Result<Workload, WorkloadError> {
        let (name, value) = match text.split_once(':') {
            Some((name, value)) => (name, Some(value)),
            None => (text, None),
        };
        let known = || self.known();
        let definition = self
            .definitions
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| WorkloadError::Unknown {
                text: text.to_owned(),
                known: known(),
            })?;
        let param = match (&definition.param, value) {
            (None, None) => None,
            (Some(param), None) => Some(param.default),
            (None, Some(_)) => {
                return Err(WorkloadError::Param {
                    text: text.to_owned(),
                    why: format!("`{name}` takes no parameter"),
                    known: known(),
                });
            }
            (Some(param), Some(value)) => {
                Some(value.parse().map_err(|_| WorkloadError::Param {
                    text: text.to_owned(),
                    why: format!(
                        "{} must be a whole number, e.g. {name}:{}",
                        param.name.to_uppercase(),
                        param.default
                    ),
                    known: known(),
                })?)
            }
        };
        Ok(Workload {
            definition: Arc::clone(definition),
            param,
        })
    }

    /// `plaintext, json, hash[:ROUNDS], ...`.
    fn known(&self) -> String {
        self.definitions
            .iter()
            .map(|d| d.usage())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The entry's workload, checked, and its groups (resolved once every workload is known).
fn definition(entry: WorkloadEntry) -> Result<(WorkloadDef, Vec<GroupEntry>), String> {
    let WorkloadEntry {
        name,
        about,
        method,
        path,
        headers,
        param,
        body,
        answer,
        default_for,
        groups,
    } = entry;
    if name.is_empty() || name.contains(['/', ':', ',', ' ']) {
        return Err("a name must be non-empty, without '/', ':', ',' or spaces (IDs and `NAME:PARAM` split on them)".into());
    }
    if !path.starts_with('/') {
        return Err(format!("path {path:?} must start with '/'"));
    }
    let placeholders: Vec<&str> = path
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(inside, _)| inside))
        .collect();
    match (&param, placeholders.as_slice()) {
        (None, []) => {}
        (Some(p), [one]) if *one == p.name => {}
        (Some(p), _) => {
            return Err(format!(
                "path {path:?} must hold `{{{}}}` once, where the parameter goes",
                p.name
            ));
        }
        (None, _) => {
            return Err(format!(
                "path {path:?} has a placeholder but the workload has no `param`"
            ));
        }
    }
    if let Some(template) = param.as_ref().and_then(|p| p.id.as_ref())
        && !template.contains("{}")
        && !template.contains("{k}")
    {
        return Err(format!(
            "param id {template:?} must hold `{{}}` or `{{k}}`, where the number goes"
        ));
    }
    let answer = match (body, answer) {
        (Some(kind), None) => {
            if kind.needs_param() && param.is_none() {
                return Err(format!(
                    "body {kind:?} needs a `param` (its answers depend on it)"
                ));
            }
            AnswerSource::Vector
        }
        (Some(_), Some(_)) => {
            return Err(
                "give `body` (answers come from its generator) or `answer`, not both".into(),
            );
        }
        (None, answer) => answer.unwrap_or(AnswerSource::Vector),
    };
    if body.is_none() && answer == AnswerSource::Vector && param.is_some() {
        return Err("with a `param` and no body the answer cannot be one fixed vector: use answer = \"route\" when the parameter does not change the answer, or a body generator".into());
    }
    let headers = headers
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(v) => Ok((k, v)),
            other => Err(format!("header {k} must be a string, got {other}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let definition = WorkloadDef {
        name,
        about,
        method,
        path,
        headers,
        param,
        body,
        answer,
        default_for,
    };
    Ok((definition, groups))
}

/// The repository's spec folder (STAMPEDE_ROOT, else the workspace found from the current
/// directory, else this source tree), read once per process.
pub(super) fn repository() -> Result<Arc<WorkloadSpec>, String> {
    static REPOSITORY: std::sync::OnceLock<Result<Arc<WorkloadSpec>, String>> =
        std::sync::OnceLock::new();
    REPOSITORY
        .get_or_init(|| {
            let catalog = crate::catalog::Catalog::discover().map_err(|e| e.to_string())?;
            WorkloadSpec::load(&crate::vectors::spec_dir(catalog.root()))
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
}

/// Headers as the request renderer takes them.
pub(super) fn header_pairs(definition: &WorkloadDef) -> Vec<(&str, &str)> {
    definition
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
