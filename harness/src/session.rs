//! Session: everything between a target's name and a measurement with its evidence —
//! availability, build, start, verify, then load runs watched by the resource monitor.

use std::sync::Arc;

use crate::build::{BuildError, ensure_built};
use crate::catalog::{Availability, Catalog, CatalogError, Target};
use crate::cpus::CpuSet;
use crate::load::{LoadClient, LoadError, RunPlan, Sample};
use crate::metrics::{ResourceMonitor, ServerUsage};
use crate::process::{ProcessError, RunningServer, ServerConfig};
use crate::results::{ResultRecord, RunContext, ServerEvidence, Setup, rfc3339_utc};
use crate::vectors::{SpecError, Vector, load_vectors, spec_dir};
use crate::verify::{VerifyError, verify};
use crate::workload::Workload;

/// Errors of a session, each naming the target.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The catalog is broken or the target unknown.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The spec could not be read.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The target's toolchain is missing: not a failure, a skip.
    #[error("{target}: skipped — {reason}")]
    Skipped {
        /// The target.
        target: String,
        /// Why, with what to install.
        reason: String,
    },
    /// The build failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Starting, or the server died.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The target answered wrongly.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The load client failed.
    #[error("loading `{target}`: {source}")]
    Load {
        /// The target.
        target: String,
        /// What failed.
        source: LoadError,
    },
}

impl SessionError {
    /// True for a missing toolchain, which callers report and step over.
    pub fn is_skip(&self) -> bool {
        matches!(self, Self::Skipped { .. })
    }
}

/// A target that is running and answered every spec vector correctly.
#[derive(Debug)]
pub struct VerifiedServer {
    /// The process guard.
    pub server: RunningServer,
    /// The catalog entry.
    pub target: Target,
    /// The toolchain's version line.
    pub toolchain_version: String,
    /// The framework with its exact version when the catalog says where to find it.
    pub framework: String,
    /// The vectors it passed (also the source of request bodies).
    pub vectors: Arc<Vec<Vector>>,
}

/// Loads the spec vectors of the catalog's workspace.
pub fn load_spec(catalog: &Catalog) -> Result<Arc<Vec<Vector>>, SessionError> {
    Ok(Arc::new(load_vectors(&spec_dir(catalog.root()))?))
}

/// Checks the toolchain, builds, starts and verifies `name`.
pub fn start_verified(
    catalog: &Catalog,
    name: &str,
    config: &ServerConfig,
    vectors: Arc<Vec<Vector>>,
) -> Result<VerifiedServer, SessionError> {
    let target = catalog.target(name)?.clone();
    let toolchain_version = match catalog.availability(&target) {
        Availability::Available { toolchain_version } => toolchain_version,
        Availability::Skipped { reason } => {
            return Err(SessionError::Skipped {
                target: target.name,
                reason,
            });
        }
    };
    ensure_built(catalog, &target)?;
    let server = RunningServer::start(catalog, &target, config)?;
    verify(&target.name, &server.base_url(), &vectors)?;
    Ok(VerifiedServer {
        server,
        framework: catalog.framework_label(&target),
        target,
        toolchain_version,
        vectors,
    })
}

impl VerifiedServer {
    /// Opens `connections` load connections for `workload` from `client_cpus`.
    pub fn connect(
        &self,
        workload: Workload,
        connections: usize,
        client_cpus: &CpuSet,
    ) -> Result<LoadClient, SessionError> {
        let mix = workload.requests(self.server.addr(), &self.vectors);
        LoadClient::connect(self.server.addr(), connections, client_cpus, mix).map_err(|source| {
            SessionError::Load {
                target: self.target.name.clone(),
                source,
            }
        })
    }

    /// Runs `plan` while watching the server's process tree; fails if the server died.
    pub fn measure(
        &mut self,
        client: &mut LoadClient,
        plan: &RunPlan,
    ) -> Result<Measurement, SessionError> {
        let monitor = ResourceMonitor::start(self.server.pid());
        let sample = client.run(plan);
        let usage = monitor.finish();
        self.server.check_alive()?;
        let sample = sample.map_err(|source| SessionError::Load {
            target: self.target.name.clone(),
            source,
        })?;
        Ok(Measurement {
            sample,
            usage: Some(usage),
            server_cores: self.server.config().cpus.len(),
        })
    }
}

/// The client side of a benchmark, for its record.
#[derive(Clone, Debug)]
pub struct LoadSetup {
    /// CPUs of the load client.
    pub client_cpus: CpuSet,
    /// Connections.
    pub connections: usize,
    /// Constant rate for open-loop runs.
    pub rate_per_sec: Option<f64>,
}

impl VerifiedServer {
    /// The evidence record of one benchmark of this server, flags set.
    pub fn result_record(
        &self,
        context: &RunContext,
        id: &str,
        sample: &Sample,
        usage: &ServerUsage,
        load: &LoadSetup,
    ) -> ResultRecord {
        let config = self.server.config();
        let mut parts = id.splitn(3, '/');
        let (workload, _, param) = (
            parts.next().unwrap_or(""),
            parts.next(),
            parts.next().unwrap_or(""),
        );
        let measurement = Measurement {
            sample: sample.clone(),
            usage: Some(*usage),
            server_cores: config.cpus.len(),
        };
        ResultRecord {
            id: id.to_owned(),
            workload: workload.to_owned(),
            target: self.target.name.clone(),
            param: param.to_owned(),
            language: self.target.language.clone(),
            framework: self.framework.clone(),
            toolchain: self.toolchain_version.clone(),
            requests: sample.requests,
            errors: sample.errors(),
            errors_by_kind: sample.errors_by_kind_named(),
            requests_per_sec: sample.requests_per_sec(),
            latency_us: sample.latency().into(),
            server: ServerEvidence {
                cpu_busy: usage.cpu_busy(config.cpus.len()),
                cpu_us_per_request: measurement.cpu_us_per_request(),
                peak_rss_bytes: usage.peak_rss_bytes,
                cores: config.cpus.len(),
            },
            client_bound: false,
            invalid: false,
            setup: Setup {
                server_cpus: config.cpus.to_string(),
                client_cpus: load.client_cpus.to_string(),
                workers: self.target.workers_apply().then_some(config.workers),
                offload_threads: config.offload_threads,
                connections: load.connections,
                rate_per_sec: load.rate_per_sec,
            },
            machine: context.machine.clone(),
            git_commit: context.git_commit.clone(),
            time: rfc3339_utc(std::time::SystemTime::now()),
        }
        .with_flags()
    }
}

/// A load sample with the server's resource usage, when the server is ours to watch.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// What the client saw.
    pub sample: Sample,
    /// What the server's process tree used; `None` for a server at a URL.
    pub usage: Option<ServerUsage>,
    /// Size of the server CPU set.
    pub server_cores: usize,
}

impl Measurement {
    /// Server CPU seconds / (wall seconds x server cores).
    pub fn cpu_busy(&self) -> Option<f64> {
        self.usage.map(|u| u.cpu_busy(self.server_cores))
    }

    /// Server CPU microseconds per successful request.
    pub fn cpu_us_per_request(&self) -> Option<f64> {
        let usage = self.usage?;
        (self.sample.requests > 0).then(|| usage.cpu_seconds * 1e6 / self.sample.requests as f64)
    }
}
