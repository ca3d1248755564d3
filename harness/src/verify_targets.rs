//! `stampede verify` from start to end: each catalog target built, started and checked against
//! every spec vector it serves, a line each: `ok` with how many vectors, or what failed.

use crate::catalog::{Catalog, CatalogError};
use crate::cpus::{CpuError, CpuSplit};
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
}

/// Verifies `names` (empty: every target), giving `print` one line per target (a failure's
/// line carries the whole error below it). Returns whether a target failed; a missing
/// toolchain is reported, not a failure.
pub fn verify_targets(
    names: &[String],
    print: &mut dyn FnMut(&str),
) -> Result<bool, VerifyTargetsError> {
    let catalog = Catalog::discover()?;
    let vectors = load_spec(&catalog)?;
    let names = if names.is_empty() {
        catalog.names()
    } else {
        names.to_vec()
    };
    let config = ServerConfig::for_cpus(CpuSplit::resolve(None, None)?.server);
    let mut failed = false;
    for name in &names {
        match start_verified(&catalog, name, &config, vectors.clone()) {
            Ok(verified) => {
                print(&ok_line(name, &verified, vectors.len()));
                verified.server.stop();
            }
            Err(err) if err.is_skip() => print(&err.to_string()),
            Err(err) => {
                failed = true;
                print(&format!("{name}: FAILED\n{err}"));
            }
        }
    }
    Ok(failed)
}

/// `NAME: ok (N vectors)`, or with the workloads a partial target serves, of how many.
fn ok_line(name: &str, verified: &VerifiedServer, all_vectors: usize) -> String {
    let served = match &verified.target.workloads {
        None => String::new(),
        Some(served) => format!(
            " of {all_vectors}: {} and the rules every answer obeys",
            served.join(", ")
        ),
    };
    format!("{name}: ok ({} vectors{served})", verified.verified_vectors)
}
