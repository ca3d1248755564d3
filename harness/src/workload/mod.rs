//! Workloads: what each load request is, and the benchmark groups that measure it. Both are
//! data in spec/workloads.toml ([`WorkloadSpec`]); a [`Workload`] is one of its entries with its
//! parameter, parsed from `NAME[:PARAM]` (`hash:19000`). Adding a workload is a spec entry plus
//! a handler per target language (docs/adding-a-workload.md); nothing here names one.

mod answers;
mod definition;
mod entries;
mod groups;
mod served;
mod spec;

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;

pub use definition::{AnswerSource, DefaultFor, OpenLoopSettings, ParamDef, WorkloadDef};
pub use groups::{Background, BenchCase, BenchGroup, Sampling, Soak, Tail};
pub use served::not_served_line;
pub use spec::{WorkloadSpec, WorkloadSpecError};

use crate::database::Snapshot;
use crate::database::world::{MAX_ROWS_PER_REQUEST, RowCount};
use crate::load::RequestTemplate;
use crate::load::check::ExpectedBody;
use crate::vectors::Vector;

/// The body seed of [`Workload::requests`]: fixed, so both sides of a comparison send the same
/// bodies. Benchmarks draw a new seed per run and record it.
pub const DEFAULT_BODY_SEED: u64 = 0x5eed;

/// A workload name that does not parse against the spec.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// No workload of that name.
    #[error("unknown workload {text:?}; known: {known} (spec/workloads.toml)")]
    Unknown {
        /// What was given.
        text: String,
        /// The known workloads, `NAME[:PARAM]`.
        known: String,
    },
    /// A parameter where none is taken, or one that is not a number.
    #[error("workload {text:?}: {why}; known: {known} (spec/workloads.toml)")]
    Param {
        /// What was given.
        text: String,
        /// What is wrong.
        why: String,
        /// The known workloads.
        known: String,
    },
    /// The repository's workloads file could not be read.
    #[error("cannot parse workload names: {0}")]
    Spec(String),
}

/// One workload of the spec with its parameter: what a load connection sends.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    definition: Arc<WorkloadDef>,
    /// Always set when the definition has a parameter (its default when none was given).
    param: Option<u32>,
}

/// Parses against the repository's spec/workloads.toml (STAMPEDE_ROOT, else the workspace of
/// the current directory), read once per process; [`WorkloadSpec::workload`] parses against
/// any other.
impl FromStr for Workload {
    type Err = WorkloadError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        spec::repository()
            .map_err(WorkloadError::Spec)?
            .workload(text)
    }
}

/// `NAME`, or `NAME:PARAM` for a workload with a parameter: what [`FromStr`] reads back.
impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.param {
            Some(value) => write!(f, "{}:{value}", self.definition.name),
            None => f.write_str(&self.definition.name),
        }
    }
}

impl Workload {
    /// The workload's name, without its parameter.
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// The parameter's value, when the workload has one.
    pub fn param(&self) -> Option<u32> {
        self.param
    }

    /// Its spec entry.
    pub fn definition(&self) -> &WorkloadDef {
        &self.definition
    }

    /// The same workload at another parameter value (`None` keeps the current one).
    pub fn with_param(&self, param: Option<u32>) -> Self {
        Self {
            definition: Arc::clone(&self.definition),
            param: self.definition.param.as_ref().and(param.or(self.param)),
        }
    }

    /// How benchmark IDs name the parameter (`r19k`, `ms10`); `None` without one.
    pub fn param_label(&self) -> Option<String> {
        let def = self.definition.param.as_ref()?;
        Some(def.label(self.param?))
    }

    /// The request path with the parameter filled in.
    pub fn path(&self) -> String {
        self.definition.path_with(self.param)
    }

    /// The answer a database workload's request must get, checked against `snapshot`; `None`
    /// for a workload whose answers do not come from the database.
    pub fn database_answer(&self, snapshot: &Snapshot) -> Option<ExpectedBody> {
        // The contract clamps the row count to 1..=500; a workload without a parameter
        // answers one bare object.
        let count = match self.param {
            Some(n) => RowCount::Array(n.clamp(1, MAX_ROWS_PER_REQUEST)),
            None => RowCount::Object,
        };
        match self.definition.answer {
            AnswerSource::World => Some(ExpectedBody::World {
                table: Arc::clone(&snapshot.world),
                count,
            }),
            AnswerSource::WorldUpdated => Some(ExpectedBody::WorldShape(count)),
            AnswerSource::Fortunes => Some(ExpectedBody::Fortunes(Arc::clone(&snapshot.fortunes))),
            AnswerSource::Vector | AnswerSource::Route => None,
        }
    }

    /// True for workloads that send bodies from a seeded pool.
    pub fn has_bodies(&self) -> bool {
        self.definition.body.is_some()
    }

    /// The requests a load connection cycles through, each with the answer the contract
    /// demands, with the pool of bodies drawn from [`DEFAULT_BODY_SEED`].
    pub fn requests(&self, addr: SocketAddr, vectors: &[Vector]) -> Vec<RequestTemplate> {
        self.requests_seeded(addr, vectors, DEFAULT_BODY_SEED)
    }

    /// The requests a load connection cycles through. Without a body, one request whose answer
    /// comes from the spec's vectors; with one, a pool of distinct bodies drawn from `seed`
    /// by the workload's generator ([`crate::bodies`]), so a target cannot answer from a memo
    /// table.
    pub fn requests_seeded(
        &self,
        addr: SocketAddr,
        vectors: &[Vector],
        seed: u64,
    ) -> Vec<RequestTemplate> {
        let def = &self.definition;
        let path = self.path();
        let headers = spec::header_pairs(def);
        let Some(kind) = def.body else {
            let mut template = RequestTemplate::new(addr, &def.method, &path, &headers, None);
            if let Some(answer) = answers::vector_answer(def, &path, vectors) {
                template = template.answered(answer);
            }
            if let (Some(p), Some(ms)) = (&def.param, self.param)
                && p.wait
            {
                template = template.not_before(std::time::Duration::from_millis(u64::from(ms)));
            }
            return vec![template];
        };
        kind.generate(seed, self.param)
            .into_iter()
            .map(|body| {
                RequestTemplate::new(addr, &def.method, &path, &headers, Some(&body.bytes))
                    .answered(body.answer)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
