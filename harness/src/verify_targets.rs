//! `stampede verify` from start to end: each catalog target built, started and checked against
//! every spec vector it serves, a [`Verdict`] each: `ok` with how many vectors, or what failed.

use crate::catalog::{Catalog, CatalogError};
use crate::cpus::{CpuError, CpuSplit};
use crate::database::for_run::start_if_needed;
use crate::database::install::INSTALL_HINT;
use crate::database::link::DEFAULT_POOL_SIZE;
use crate::database::{DatabaseError, Installation};
use crate::output::{Format, Render, RenderError, unsupported};
use crate::process::ServerConfig;
use crate::session::{SessionError, VerifiedServer, load_spec, start_verified};

/// Why the targets could not be verified at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyTargetsError {
    /// The workspace.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The spec vectors.
    #[error(transparent)]
    Spec(#[from] SessionError),
    /// The server's CPUs.
    #[error(transparent)]
    Cpus(#[from] CpuError),
    /// Starting the harness's PostgreSQL for the database cases.
    #[error(transparent)]
    Database(#[from] DatabaseError),
}

/// How one target's verification ended: a line of `stampede verify`, given as it comes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It answered every vector it serves correctly.
    Ok {
        /// The target.
        name: String,
        /// Vectors it answered.
        vectors: usize,
        /// Database cases it answered (0 without PostgreSQL).
        database_cases: usize,
        /// The workloads of a partial target, with how many vectors the spec has in all;
        /// `None` for a target that serves them all.
        partial: Option<(Vec<String>, usize)>,
    },
    /// It cannot run here (a missing toolchain) or serves none of it: the reason.
    Skipped(String),
    /// It failed: the whole error, which spans lines.
    Failed {
        /// The target.
        name: String,
        /// What failed.
        error: String,
    },
}

impl Verdict {
    /// True for a failure (a skip is not one).
    pub fn failed(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }
}

impl Render for Verdict {
    const NAME: &'static str = "a target's verification";

    /// `NAME: ok (N vectors)`, with the workloads a partial target serves, of how many;
    /// `NAME: FAILED` and the error below it; or the reason of a skip.
    fn render(&self, format: Format) -> Result<String, RenderError> {
        if format != Format::Text {
            return Err(unsupported::<Self>(format));
        }
        Ok(match self {
            Self::Ok {
                name,
                vectors,
                database_cases,
                partial,
            } => {
                let served = match partial {
                    None => String::new(),
                    Some((served, all_vectors)) => format!(
                        " of {all_vectors}: {} and the rules every answer obeys",
                        served.join(", ")
                    ),
                };
                let database = match database_cases {
                    0 => String::new(),
                    n => format!(", {n} database cases"),
                };
                format!("{name}: ok ({vectors} vectors{served}{database})\n")
            }
            Self::Skipped(reason) => format!("{reason}\n"),
            Self::Failed { name, error } => format!("{name}: FAILED\n{error}\n"),
        })
    }
}

/// Verifies `names` (empty: every target), giving `report` each target's verdict as it comes.
/// Returns whether a target failed; a missing toolchain is reported, not a failure.
pub fn verify_targets(
    names: &[String],
    report: &mut dyn FnMut(&Verdict),
) -> Result<bool, VerifyTargetsError> {
    let catalog = Catalog::discover()?;
    let vectors = load_spec(&catalog)?;
    let names = if names.is_empty() {
        catalog.names()
    } else {
        names.to_vec()
    };
    let split = CpuSplit::resolve(None, None)?;
    // The database routes' cases need the harness's PostgreSQL: without it they are skipped
    // with one line, never passed.
    let database = if Installation::find().is_ok() {
        start_if_needed(&catalog, true, &split)?
    } else {
        report(&Verdict::Skipped(format!(
            "database cases skipped: PostgreSQL not found: {INSTALL_HINT}"
        )));
        None
    };
    let link = database.as_ref().map(|db| db.link(DEFAULT_POOL_SIZE));
    let config = ServerConfig::for_cpus(split.server).with_database(link);
    let mut failed = false;
    for name in &names {
        let verdict = match start_verified(&catalog, name, &config, vectors.clone()) {
            Ok(verified) => {
                let verdict = ok(name, &verified, vectors.len());
                verified.server.stop();
                verdict
            }
            Err(err) if err.is_skip() => Verdict::Skipped(err.to_string()),
            Err(err) => Verdict::Failed {
                name: name.clone(),
                error: err.to_string(),
            },
        };
        failed |= verdict.failed();
        report(&verdict);
    }
    Ok(failed)
}

fn ok(name: &str, verified: &VerifiedServer, all_vectors: usize) -> Verdict {
    Verdict::Ok {
        name: name.to_owned(),
        vectors: verified.verified_vectors,
        database_cases: verified.database_cases,
        partial: verified
            .target
            .workloads
            .clone()
            .map(|served| (served, all_vectors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_verdict_is_a_line_and_a_failure_carries_its_error_below() {
        let verdicts = [
            Verdict::Ok {
                name: "actix".into(),
                vectors: 40,
                database_cases: 22,
                partial: None,
            },
            Verdict::Ok {
                name: "example".into(),
                vectors: 12,
                database_cases: 0,
                partial: Some((vec!["plaintext".into(), "json".into()], 40)),
            },
            Verdict::Skipped("go-std: skipped: go not found".into()),
            Verdict::Failed {
                name: "wrong".into(),
                error: "GET /plaintext: body\n  expected \"Hello, World!\", got \"Hello\"".into(),
            },
        ];
        let text: String = verdicts
            .iter()
            .map(|v| v.render(Format::Text).unwrap())
            .collect();
        insta::assert_snapshot!(text);
        assert!(verdicts[3].failed() && !verdicts[2].failed());
    }
}
