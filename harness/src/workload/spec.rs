//! spec/workloads.toml read and checked into one [`WorkloadSpec`]: every workload, every
//! benchmark group and the `[open_loop]` settings. Everything is checked on load, so a typo
//! fails naming its entry instead of quietly measuring something else.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::definition::{DefaultFor, OpenLoopSettings, WorkloadDef};
use super::entries::{SpecFile, definition};
use super::groups::BenchGroup;
use super::{Workload, WorkloadError};
use crate::benchmark_id::{BenchmarkId, BenchmarkIdError};

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
