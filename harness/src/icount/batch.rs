//! `stampede icount` from start to end: the catalog's targets counted at once, each on its own
//! CPU, each target's records written and handed on (to the history) as soon as it is done, so
//! a later failure loses nothing. The table it prints is [`header`] then one [`line`] per record.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::jobs::{job_cpus, run_on_cpus};
use super::records_dir;
use super::{BLIND_SPOTS, IcountError, IcountOptions, IcountRecord, Valgrind, count_target};
use crate::catalog::{Catalog, CatalogError};
use crate::cpus::{CpuError, CpuSet};
use crate::output::{LineKind, with_causes};
use crate::session::{SessionError, load_spec};
use crate::vectors::spec_dir;
use crate::workload::{DefaultFor, Workload, WorkloadSpec, WorkloadSpecError, not_served_line};

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

/// Counts every target asked for; `print` gets each line as it comes, `counted` each target's
/// records. Returns how many targets failed (each told to `print` as an `Error:` note).
pub fn count_catalog(
    request: &IcountRequest,
    print: &(dyn Fn(LineKind, &str) + Sync),
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
    let vectors = load_spec(&catalog)?;
    let targets = if request.targets.is_empty() {
        catalog.names()
    } else {
        request.targets.clone()
    };
    let out_dir = records_dir(&catalog.work_dir());
    print(
        LineKind::Note,
        &format!(
            "counting user-space instructions per request under {} (callgrind): {} process(es) per target, {} at a time",
            valgrind.version,
            options.repetitions,
            cpus.len()
        ),
    );
    print(LineKind::Result, &header());
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
                    print(LineKind::Result, &not_served_line(name, workload.name()));
                }
            }
            match count_target(&catalog, &vectors, name, &workloads, &valgrind, &options) {
                Ok(records) => {
                    write_records(&records, &out_dir)?;
                    let seconds = target_started.elapsed().as_secs_f64();
                    print(LineKind::Note, &format!("{name}: {seconds:.0} s"));
                    Ok(Some(records))
                }
                Err(err) if err.is_skip() => {
                    print(LineKind::Result, &err.to_string());
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
                for record in records {
                    print(LineKind::Result, &line(record));
                }
                if let Some(line) = counted(records) {
                    print(LineKind::Note, &line);
                }
            }
            Ok(None) => {}
            Err(err) => print(LineKind::Note, &format!("Error: {}", with_causes(err))),
        },
    );
    let failed = results.iter().filter(|r| r.is_err()).count();
    if failed > 0 {
        print(
            LineKind::Note,
            &format!("{failed} target(s) failed; see the errors above"),
        );
    } else {
        print(
            LineKind::Note,
            &format!(
                "done in {:.0} s; records in {}\n{BLIND_SPOTS}",
                started.elapsed().as_secs_f64(),
                out_dir.display()
            ),
        );
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

/// The table's heading.
pub fn header() -> String {
    format!(
        "{:<14} {:<12} {:>14} {:>9}  {:<24} {}",
        "target", "workload", "instr/request", "spread", "range", "requests (warm-up + measured)"
    )
}

/// One record's row: the median, the spread and range over the processes, the requests.
pub fn line(record: &IcountRecord) -> String {
    let values: Vec<f64> = record
        .repetitions
        .iter()
        .map(|r| r.instructions_per_request)
        .collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let requests = record.repetitions.first().map_or(String::new(), |r| {
        format!("{} + {}", r.warmup_requests, r.measured_requests)
    });
    format!(
        "{:<14} {:<12} {:>14.1} {:>8.3}%  {:<24} {requests} x{}",
        record.target,
        record.workload,
        record.instructions_per_request,
        record.spread_pct,
        format!("{min:.1} .. {max:.1}"),
        record.repetitions.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_shows_the_median_spread_range_and_requests_under_the_heading() {
        let record = crate::icount::record::fixture("actix", "plaintext", &[100.0, 102.0, 101.0]);
        let row = line(&record);
        assert!(row.starts_with("actix          plaintext    "), "{row}");
        assert!(row.contains("100.0 .. 102.0"), "{row}");
        assert!(row.ends_with(" x3"), "{row}");
        assert!(header().starts_with("target         workload"));
    }

    #[test]
    fn the_table_is_the_heading_then_a_row_per_record_and_a_line_per_workload_not_served() {
        let records = [
            crate::icount::record::fixture("actix", "plaintext", &[100.0, 102.0, 101.0]),
            crate::icount::record::fixture("actix", "json", &[250.5, 250.0]),
        ];
        let mut table = format!("{}\n", header());
        table.push_str(&format!("{}\n", not_served_line("go-std", "hash")));
        for record in &records {
            table.push_str(&format!("{}\n", line(record)));
        }
        insta::assert_snapshot!(table);
    }
}
