//! The two versions a compare measures (duet or instructions), each checked out with its
//! catalog and spec vectors: the base commit, and the head commit or the working tree.

use std::path::PathBuf;

use super::Side;
use super::worktree::{WorktreeError, checkout, resolve_commit};
use crate::catalog::{Catalog, CatalogError};
use crate::session::{SessionError, load_spec};
use crate::vectors::spec_dir;
use crate::workload::{DefaultFor, Workload, WorkloadSpec, WorkloadSpecError};

/// What a compare was asked to measure, either metric: the two refs, the targets and workloads
/// (empty: the defaults) and the threshold (`None`: the metric's default).
#[derive(Clone, Copy, Debug)]
pub struct Selection<'a> {
    /// The base ref.
    pub base: &'a str,
    /// The head ref; `None` for the working tree.
    pub head: Option<&'a str>,
    /// Targets (empty: every target of the head's catalog).
    pub targets: &'a [String],
    /// Workloads (empty: the spec's defaults for the metric).
    pub workloads: &'a [Workload],
    /// `--threshold`, in percent.
    pub threshold_pct: Option<f64>,
}

/// Why the versions could not be checked out.
#[derive(Debug, thiserror::Error)]
pub enum VersionsError {
    /// The working tree's catalog.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The base's catalog.
    #[error("the base {base} has no usable catalog")]
    BaseCatalog {
        /// The base as named.
        base: String,
        /// Why.
        source: CatalogError,
    },
    /// A ref or checkout.
    #[error(transparent)]
    Worktree(#[from] WorktreeError),
    /// A side's spec vectors.
    #[error(transparent)]
    Spec(#[from] SessionError),
    /// The working tree's workloads.
    #[error(transparent)]
    Workloads(#[from] WorkloadSpecError),
}

/// The base and head, checked out.
#[derive(Debug)]
pub struct Versions {
    /// The base side.
    pub base: Side,
    /// The head side.
    pub head: Side,
    /// The base's commit.
    pub base_commit: String,
    /// The head as the user named it, or `working tree`.
    pub head_name: String,
    /// The head's commit when it was named; `None` for the working tree.
    pub head_commit: Option<String>,
    /// The working tree's root, whose spec names the default workloads.
    root: PathBuf,
}

impl Versions {
    /// Checks out `base` and `head` (`None`: the working tree as it is).
    pub fn check_out(base: &str, head: Option<&str>) -> Result<Self, VersionsError> {
        let head_catalog = Catalog::discover()?;
        let root = head_catalog.root().to_path_buf();
        let base_commit = resolve_commit(&root, base)?;
        let base_catalog = Catalog::load(&checkout(&root, &base_commit)?).map_err(|source| {
            VersionsError::BaseCatalog {
                base: base.to_owned(),
                source,
            }
        })?;
        let (head_catalog, head_name, head_commit) = match head {
            Some(reference) => {
                let commit = resolve_commit(&root, reference)?;
                let dir = checkout(&root, &commit)?;
                (Catalog::load(&dir)?, reference.to_owned(), Some(commit))
            }
            None => (head_catalog, "working tree".to_owned(), None),
        };
        let side = |label, catalog: Catalog| -> Result<Side, VersionsError> {
            let vectors = load_spec(&catalog)?;
            Ok(Side {
                label,
                catalog,
                vectors,
            })
        };
        Ok(Self {
            base: side("base", base_catalog)?,
            head: side("head", head_catalog)?,
            base_commit,
            head_name,
            head_commit,
            root,
        })
    }

    /// The base commit shortened to 12 characters, as the progress lines show it.
    pub fn base_short(&self) -> &str {
        &self.base_commit[..12.min(self.base_commit.len())]
    }

    /// Checks out the versions `selection` names, with its targets and workloads or the
    /// defaults for `purpose`.
    pub fn select(
        selection: &Selection<'_>,
        purpose: DefaultFor,
    ) -> Result<(Self, Vec<String>, Vec<Workload>), VersionsError> {
        let versions = Self::check_out(selection.base, selection.head)?;
        let (targets, workloads) =
            versions.defaults(selection.targets, selection.workloads, purpose)?;
        Ok((versions, targets, workloads))
    }

    /// The targets and workloads asked for, or by default every target of the head's catalog and
    /// the working tree's default workloads for `purpose`.
    pub fn defaults(
        &self,
        targets: &[String],
        workloads: &[Workload],
        purpose: DefaultFor,
    ) -> Result<(Vec<String>, Vec<Workload>), VersionsError> {
        let targets = if targets.is_empty() {
            self.head.catalog.names()
        } else {
            targets.to_vec()
        };
        let workloads = if workloads.is_empty() {
            // The working tree's spec, which also parses named workloads and builds the requests.
            WorkloadSpec::load(&spec_dir(&self.root))?.defaults_for(purpose)
        } else {
            workloads.to_vec()
        };
        Ok((targets, workloads))
    }
}
