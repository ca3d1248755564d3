//! `stampede icount` from start to end: the catalog's targets counted at once, each on its own
//! CPU, each target's records written and handed on (to the history) as soon as it is done, so
//! a later failure loses nothing. The table goes out a piece at a time as [`TableRows`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::jobs::{job_cpus, run_on_cpus};
use super::records_dir;
use super::table::TableRows;
use super::{BLIND_SPOTS, IcountError, IcountOptions, IcountRecord, Valgrind, count_target};
use crate::catalog::{Catalog, CatalogError};
use crate::cpus::{CpuError, CpuSet, CpuSplit};
use crate::output::with_causes;
use crate::session::{SessionError, load_spec};
use crate::vectors::spec_dir;
use crate::workload::{DefaultFor, Workload, WorkloadSpec, WorkloadSpecError};

/// What `stampede icount` was asked.
#[derive(Clone, Debug)]
pub struct IcountRequest {
    /// Targets (empty: every target in the catalog).
    pub targets: Vec<String>,
    /// Workloads (empty: the spec's defaults for icount).
    pub workloads: Vec<Workload>,
    /// Fresh server processes per target.
    pub repetitions: usize,
    /// Warm-up requests per workload (default: the catalog entry's).
    pub warmup: Option<u64>,
    /// Measured requests per workload (default: the catalog entry's).
    pub requests: Option<u64>,
    /// Servers counted at once (0: one per allowed CPU).
    pub jobs: usize,
}

/// Why the counting could not start.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The harness's PostgreSQL, for a database workload, did not start.
    #[error(transparent)]
    Database(#[from] crate::database::DatabaseError),
    /// `--repetitions 0`.
    #[error("--repetitions must be at least 1")]
    Repetitions,
    /// Valgrind is missing.
    #[error(transparent)]
    Icount(#[from] IcountError),
    /// The workspace.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The allowed CPUs.
    #[error(transparent)]
    Cpus(#[from] CpuError),
    /// The spec's workloads.
    #[error(transparent)]
    Workloads(#[from] WorkloadSpecError),
    /// The spec's vectors.
    #[error(transparent)]
    Spec(#[from] SessionError),
}

/// Why one target has no counts.
#[derive(Debug, thiserror::Error)]
enum TargetError {
    #[error("counting {name}")]
    Count {
        name: String,
        source: Box<IcountError>,
    },
    #[error("writing into {}", dir.display())]
    Write {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// A target's records, handed on as soon as it is done (to keep them in the history); the
/// answer is a line to note, if any.
pub type Counted<'a> = dyn Fn(&[IcountRecord]) -> Option<String> + Sync + 'a;

/// Counts every target asked for; `table` gets each piece of the table as it comes, `note`
/// each line of progress, `counted` each target's records. Returns how many targets failed
/// (each told to `note` as an `Error:` line).
pub fn count_catalog(
    request: &IcountRequest,
    table: &(dyn Fn(TableRows<'_>) + Sync),
    note: &(dyn Fn(&str) + Sync),
    counted: &Counted<'_>,
) -> Result<usize, BatchError> {
    let catalog = Catalog::discover()?;
    let valgrind = Valgrind::detect()?;
    if request.repetitions == 0 {
        return Err(BatchError::Repetitions);
    }
    let cpus = job_cpus(&CpuSet::allowed()?, request.jobs);
    let mut options = IcountOptions::new(cpus[0].clone());
    options.repetitions = request.repetitions;
    options.warmup_requests = request.warmup;
    options.measured_requests = request.requests;
    let workloads = if request.workloads.is_empty() {
        WorkloadSpec::load(&spec_dir(catalog.root()))?.defaults_for(DefaultFor::Icount)
    } else {
        request.workloads.clone()
    };
    let database = crate::database::for_run::start_if_needed(
        &catalog,
        workloads.iter().any(|w| w.definition().database.is_some()),
        &CpuSplit::resolve(None, None)?,
    )?;
    options.database = database
        .as_ref()
        .map(|db| db.link(crate::database::link::DEFAULT_POOL_SIZE));
    let vectors = load_spec(&catalog)?;
    let targets = if request.targets.is_empty() {
        catalog.names()
    } else {
        request.targets.clone()
    };
    let out_dir = records_dir(&catalog.work_dir());
    note(&format!(
        "counting user-space instructions per request under {} (callgrind): {} process(es) per target, {} at a time",
        valgrind.version,
        options.repetitions,
        cpus.len()
    ));
    table(TableRows::Heading);
    let started = Instant::now();
    let results = run_on_cpus(
        &targets,
        &cpus,
        |name, set| -> Result<Option<Vec<IcountRecord>>, TargetError> {
            let mut options = options.clone();
            options.server_cpus = set.clone();
            let target_started = Instant::now();
            if let Ok(target) = catalog.target(name) {
                for workload in workloads.iter().filter(|w| !target.serves(w.name())) {
                    table(TableRows::NotServed {
                        target: name,
                        workload: workload.name(),
                    });
                }
            }
            match count_target(&catalog, &vectors, name, &workloads, &valgrind, &options) {
                Ok(records) => {
                    write_records(&records, &out_dir)?;
                    let seconds = target_started.elapsed().as_secs_f64();
                    note(&format!("{name}: {seconds:.0} s"));
                    Ok(Some(records))
                }
                Err(err) if err.is_skip() => {
                    table(TableRows::Skipped(&err.to_string()));
                    Ok(None)
                }
                Err(source) => Err(TargetError::Count {
                    name: name.clone(),
                    source: Box::new(source),
                }),
            }
        },
        |_, result| match result {
            Ok(Some(records)) => {
                table(TableRows::Counted(records));
                if let Some(line) = counted(records) {
                    note(&line);
                }
            }
            Ok(None) => {}
            Err(err) => note(&format!("Error: {}", with_causes(err))),
        },
    );
    let failed = results.iter().filter(|r| r.is_err()).count();
    if failed > 0 {
        note(&format!("{failed} target(s) failed; see the errors above"));
    } else {
        note(&format!(
            "done in {:.0} s; records in {}\n{BLIND_SPOTS}",
            started.elapsed().as_secs_f64(),
            out_dir.display()
        ));
    }
    Ok(failed)
}

fn write_records(records: &[IcountRecord], dir: &Path) -> Result<(), TargetError> {
    for record in records {
        record.write_to(dir).map_err(|source| TargetError::Write {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}
