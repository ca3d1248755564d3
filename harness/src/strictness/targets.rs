//! `stampede conformance` from start to end: the probe table played against running servers
//! (`--url`) and catalog targets (built and started here, checked for readiness only), one
//! record per target written under target/stampede/conformance/.

use std::path::PathBuf;

use super::record::{StrictnessRecord, records_dir, text};
use super::run::record_target;
use super::{Probe, load_probes};
use crate::catalog::{Catalog, CatalogError};
use crate::cpus::{CpuError, CpuSplit};
use crate::load::url::{UrlError, parse_http_url};
use crate::output::{Format, LineKind, Render, RenderError, unsupported, with_causes};
use crate::process::ServerConfig;
use crate::session::{SessionError, Verify, load_spec, prepare};
use crate::vectors::{SpecError, spec_dir};

/// What `stampede conformance` was asked.
#[derive(Clone, Debug, Default)]
pub struct ConformanceRequest {
    /// Catalog targets (empty: all of them, unless `urls` are given).
    pub targets: Vec<String>,
    /// Running servers, `http://HOST:PORT`.
    pub urls: Vec<String>,
    /// Where the records go (default: target/stampede/conformance).
    pub out: Option<PathBuf>,
}

/// Why the probing could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConformanceError {
    /// The workspace.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The probe table.
    #[error(transparent)]
    Probes(#[from] SpecError),
    /// A `--url`.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// A record could not be written.
    #[error("cannot write the record of {target} into {}", dir.display())]
    Write {
        /// The target.
        target: String,
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Why one catalog target could not be probed.
#[derive(Debug, thiserror::Error)]
enum TargetError {
    #[error(transparent)]
    Cpus(#[from] CpuError),
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// The records of one run, and whether a target failed to start (not a missing toolchain).
#[derive(Debug)]
pub struct ConformanceRun {
    /// One per target probed, URLs first.
    pub records: Vec<StrictnessRecord>,
    /// How many probes the table holds.
    pub probes: usize,
    /// A target could not be built or started.
    pub start_failed: bool,
}

impl ConformanceRun {
    /// Whether the command fails: a target did not start, a probe of a target's own code
    /// failed, or the probing stopped early.
    pub fn failed(&self) -> bool {
        self.start_failed
            || self
                .records
                .iter()
                .any(|r| r.own_failures() > 0 || r.stopped.is_some())
    }

    /// The table, then what its counts mean.
    pub fn text(&self) -> String {
        format!(
            "{}\nCounts of {} probes (spec/rfc-probes.json); \"ours\" counts failures of a target's own \
             code, which fail this command.\n",
            text(&self.records),
            self.probes
        )
    }
}

/// Probes every URL and target asked for; `print` gets a line per target that could not start
/// (a result) and per record written (a note).
pub fn probe_all(
    request: &ConformanceRequest,
    print: &mut dyn FnMut(LineKind, &str),
) -> Result<ConformanceRun, ConformanceError> {
    let catalog = Catalog::discover()?;
    let probes = load_probes(&spec_dir(catalog.root()))?;
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| records_dir(&catalog.work_dir()));
    let mut records = Vec::new();
    let mut start_failed = false;
    for url in &request.urls {
        let (addr, _) = parse_http_url(url)?;
        let name = addr.to_string();
        records.push(record_target(
            &name,
            "unknown",
            catalog.root(),
            addr,
            &probes,
        ));
    }
    let names = match (request.targets.is_empty(), request.urls.is_empty()) {
        (true, true) => catalog.names(),
        _ => request.targets.clone(),
    };
    for name in &names {
        match probe_catalog_target(&catalog, name, &probes) {
            Ok(record) => records.push(record),
            Err(err) => {
                start_failed |= !matches!(&err, TargetError::Session(e) if e.is_skip());
                print(LineKind::Result, &with_causes(&err));
            }
        }
    }
    for record in &records {
        let path = record
            .write_to(&out)
            .map_err(|source| ConformanceError::Write {
                target: record.target.clone(),
                dir: out.clone(),
                source,
            })?;
        print(LineKind::Note, &format!("wrote {}", path.display()));
    }
    Ok(ConformanceRun {
        records,
        probes: probes.len(),
        start_failed,
    })
}

/// Builds and starts `name` (checked for readiness, not against the vectors) and probes it.
fn probe_catalog_target(
    catalog: &Catalog,
    name: &str,
    probes: &[Probe],
) -> Result<StrictnessRecord, TargetError> {
    let config = ServerConfig::for_cpus(CpuSplit::resolve(None, None)?.server);
    let prepared = prepare(catalog, name)?;
    let started = prepared.start(catalog, &config, load_spec(catalog)?, Verify::ReadyOnly)?;
    let record = record_target(
        name,
        &started.framework,
        catalog.root(),
        started.server.addr(),
        probes,
    );
    started.server.stop();
    Ok(record)
}

/// `stampede conformance`: pass / lenient / fail per RFC level, then every failure.
impl Render for ConformanceRun {
    const NAME: &'static str = "the conformance table";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(self.text()),
            other => Err(unsupported::<Self>(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_without_targets_passes_and_its_text_says_what_the_counts_are() {
        let run = ConformanceRun {
            records: Vec::new(),
            probes: 7,
            start_failed: false,
        };
        assert!(!run.failed());
        assert!(
            run.text().contains("\nCounts of 7 probes"),
            "{}",
            run.text()
        );
        let run = ConformanceRun {
            start_failed: true,
            ..run
        };
        assert!(
            run.failed(),
            "a target that did not start fails the command"
        );
    }
}
