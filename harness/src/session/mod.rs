//! Session: everything between a target's name and a measurement with its evidence —
//! availability, build, start, verify, then load runs watched by the resource monitor.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::benchmark_id::BenchmarkId;
use crate::build::{BuildError, ensure_built};
use crate::catalog::{Availability, Catalog, CatalogError, Target};
use crate::cpus::CpuSet;
use crate::database::{DatabaseError, DatabaseWatch, Snapshot};
use crate::evidence::{
    self, Benchmark, DatabaseEvidence, Figures, OpenLoopRun, ResultRecord, Run, Setup, Timeline,
};
use crate::load::{LoadClient, LoadError, LoadPlan, Sample};
use crate::metrics::{CpuSource, IdlePss, ServerUsage};
use crate::process::{ProcessError, RunningServer, ServerConfig};
use crate::steady::WarmUp;
use crate::vectors::{SpecError, Vector, load_vectors, spec_dir};
use crate::verify::{VerifyError, verify};
use crate::verify_database::verify_database;

mod database;
mod watched;
use crate::workload::{Workload, WorkloadSpec, WorkloadSpecError, not_served_line};
pub use watched::{TimelineAsk, WatchedRun, progress_line, run_watched};

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
    /// spec/workloads.toml could not be read (a partial target's vectors depend on it).
    #[error(transparent)]
    Workloads(#[from] WorkloadSpecError),
    /// The target does not serve the workload (its catalog entry's `workloads`): not a
    /// failure, a skip.
    #[error("{}", not_served_line(target, workload))]
    NotServed {
        /// The target.
        target: String,
        /// The workload it does not serve.
        workload: String,
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
    /// A database workload on a server started without the harness's PostgreSQL.
    #[error(
        "`{target}` was started without a database, and workload `{workload}` needs one: the harness starts PostgreSQL for database workloads (`stampede db start` and DATABASE_URL for `serve`)"
    )]
    NoDatabase {
        /// The target.
        target: String,
        /// The workload.
        workload: String,
    },
    /// The harness's PostgreSQL failed while serving this target.
    #[error("`{target}`: {cause}")]
    Database {
        /// The target.
        target: String,
        /// What failed.
        cause: DatabaseError,
    },
    /// The load client failed. (`cause`, not `source`: the message already says it, and a
    /// source would make error chains print it twice.)
    #[error("loading `{target}`: {cause}")]
    Load {
        /// The target.
        target: String,
        /// What failed.
        cause: LoadError,
    },
}

impl SessionError {
    /// True for a missing toolchain or an unserved workload, which callers report with one
    /// line and step over.
    pub fn is_skip(&self) -> bool {
        matches!(self, Self::Skipped { .. } | Self::NotServed { .. })
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
    /// Its database driver with its locked version, when the catalog names one.
    pub database_driver: Option<String>,
    /// The spec's vectors (the source of expected answers; it passed those of the workloads it
    /// serves).
    pub vectors: Arc<Vec<Vector>>,
    /// How many vectors it answered at its start (those of the workloads it serves); 0 when
    /// only its readiness was checked.
    pub verified_vectors: usize,
    /// How many database cases ([`verify_database`]) it passed at this start; 0 without a
    /// database, or when they passed at an earlier start of the run.
    pub database_cases: usize,
    /// Seed of the request-body pools of this session's load ([`crate::bodies::run_seed`]).
    pub body_seed: u64,
    /// Check answers under load (on by default; off only to measure what checking costs).
    pub check_answers: bool,
    /// The load client's I/O backend (default: `STAMPEDE_IO`, else the fastest available).
    pub io: Option<crate::load::IoChoice>,
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
    prepare(catalog, name)?.start(catalog, config, vectors, Verify::Vectors)
}

/// A target whose toolchain is present and whose server is built: the part of a session a run
/// needs once per target, however often it starts the server.
#[derive(Clone, Debug)]
pub struct PreparedTarget {
    target: Target,
    toolchain_version: String,
    framework: String,
    /// The workloads spec, read only for a partial target: which vectors it must answer.
    partial: Option<Arc<WorkloadSpec>>,
    database_driver: Option<String>,
    /// Its database routes passed [`verify_database`] at a start of this run: a later start
    /// with a database checks only readiness, as with [`Verify::ReadyOnly`].
    database_verified: Arc<AtomicBool>,
}

/// What a start checks before the server is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Every spec vector (`stampede verify`).
    Vectors,
    /// Only that it answers `/healthz`: for a later start of the same binary in one run, whose
    /// vectors passed at its first start. Load runs still check every answer they get.
    ReadyOnly,
}

/// Checks the toolchain of `name` and builds its server.
pub fn prepare(catalog: &Catalog, name: &str) -> Result<PreparedTarget, SessionError> {
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
    let partial = match target.workloads {
        None => None,
        Some(_) => {
            let spec = WorkloadSpec::load(&spec_dir(catalog.root()))?;
            spec.check_served(&target)
                .map_err(|why| CatalogError::Invalid {
                    target: target.name.clone(),
                    why,
                })?;
            Some(Arc::new(spec))
        }
    };
    ensure_built(catalog, &target)?;
    Ok(PreparedTarget {
        framework: catalog.framework_label(&target),
        database_driver: catalog.driver_label(&target),
        target,
        toolchain_version,
        partial,
        database_verified: Arc::default(),
    })
}

impl PreparedTarget {
    /// Starts a fresh server process and checks it as `verify` says.
    pub fn start(
        &self,
        catalog: &Catalog,
        config: &ServerConfig,
        vectors: Arc<Vec<Vector>>,
        verify_with: Verify,
    ) -> Result<VerifiedServer, SessionError> {
        let server = RunningServer::start(catalog, &self.target, config)?;
        let mut verified_vectors = 0;
        let mut database_cases = 0;
        if verify_with == Verify::Vectors {
            verified_vectors = match &self.partial {
                None => verify(&self.target.name, &server.base_url(), &vectors)?,
                Some(spec) => {
                    let served = spec.vectors_for(&self.target, &vectors);
                    verify(&self.target.name, &server.base_url(), &served)?
                }
            };
        }
        // Then the database cases, at the first start that has a database whatever
        // `verify_with`: a run verifies a target's vectors at its first start, usually before any
        // database group. After the vectors, so a target that fails those is told so first.
        if let Some(link) = &config.database
            && !self.database_verified.load(Ordering::Relaxed)
        {
            let spec = WorkloadSpec::load(&spec_dir(catalog.root()))?;
            database_cases = verify_database(
                &self.target.name,
                &server.base_url(),
                &spec,
                link,
                |workload| self.target.serves(workload),
            )?;
            self.database_verified.store(true, Ordering::Relaxed);
        }
        Ok(VerifiedServer {
            server,
            framework: self.framework.clone(),
            database_driver: self.database_driver.clone(),
            target: self.target.clone(),
            toolchain_version: self.toolchain_version.clone(),
            vectors,
            verified_vectors,
            database_cases,
            body_seed: crate::bodies::run_seed(),
            check_answers: true,
            io: None,
        })
    }
}

impl VerifiedServer {
    /// Opens `connections` load connections for `workload` from `client_cpus`.
    pub fn connect(
        &self,
        workload: &Workload,
        connections: usize,
        client_cpus: &CpuSet,
    ) -> Result<LoadClient, SessionError> {
        if !self.target.serves(workload.name()) {
            return Err(SessionError::NotServed {
                target: self.target.name.clone(),
                workload: workload.name().to_owned(),
            });
        }
        let mut mix = workload.requests_seeded(self.server.addr(), &self.vectors, self.body_seed);
        // A database workload's answers are checked against the tables as they are now: after
        // an updates run, not as seeded.
        if let Some(link) = self.database_for(workload)? {
            let snapshot = Snapshot::read(&link).map_err(|e| self.database_error(e))?;
            for request in &mut mix {
                if let Some(answer) = workload.database_answer(&snapshot) {
                    request.answer = answer;
                }
            }
        }
        if !self.check_answers {
            for request in &mut mix {
                request.answer = crate::load::check::ExpectedBody::Unchecked;
            }
        }
        let opened = match self.io {
            Some(io) => {
                LoadClient::connect_with(self.server.addr(), connections, client_cpus, mix, io)
            }
            None => LoadClient::connect(self.server.addr(), connections, client_cpus, mix),
        };
        opened.map_err(|source| SessionError::Load {
            target: self.target.name.clone(),
            cause: source,
        })
    }

    /// The server's PSS now, from a few readings: taken idle, before any load connection, it is
    /// the baseline that per-connection memory is measured from, and its spread the noise.
    pub fn idle_pss(&self) -> Option<IdlePss> {
        IdlePss::read(&self.server.probe())
    }

    /// Runs `plan` while watching the server; fails if the server died. The memory sampler
    /// runs on `sampler_cpus` (the client's), never on the server's.
    pub fn measure(
        &mut self,
        client: &mut LoadClient,
        workload: &Workload,
        plan: &LoadPlan,
        sampler_cpus: &CpuSet,
    ) -> Result<Measurement, SessionError> {
        self.measure_timed(client, workload, plan, sampler_cpus, None)
    }

    /// [`measure`](Self::measure), with the timeline asked for, if any.
    pub fn measure_timed(
        &mut self,
        client: &mut LoadClient,
        workload: &Workload,
        plan: &LoadPlan,
        sampler_cpus: &CpuSet,
        timeline: Option<TimelineAsk<'_>>,
    ) -> Result<Measurement, SessionError> {
        let link = self.database_for(workload)?;
        let watch = match &link {
            Some(link) => Some(DatabaseWatch::start(link).map_err(|e| self.database_error(e))?),
            None => None,
        };
        let server_cores = self.server.config().cpus.len();
        let watched = run_watched(
            client,
            plan,
            &self.server.probe(),
            sampler_cpus,
            server_cores,
            timeline,
        );
        let (sample, usage, timeline) = (watched.sample, watched.usage, watched.timeline);
        let database_usage = match watch {
            Some(watch) => Some(watch.finish().map_err(|e| self.database_error(e))?),
            None => None,
        };
        self.server.check_alive()?;
        let sample = sample.map_err(|cause| SessionError::Load {
            target: self.target.name.clone(),
            cause,
        })?;
        let database = link.zip(database_usage).and_then(|(link, usage)| {
            let in_flight = (client.connections() * plan.pipeline.max(1)) as u64;
            self.database_evidence(workload, &link, &usage, sample.requests, in_flight)
        });
        Ok(Measurement {
            sample,
            usage: Some(usage),
            server_cores,
            idle_pss: None,
            background_requests: 0,
            warm_up: None,
            database,
            timeline,
        })
    }

    /// Wraps an error of this server's load client.
    pub fn load_error(&self, cause: LoadError) -> SessionError {
        SessionError::Load {
            target: self.target.name.clone(),
            cause,
        }
    }
}

/// The client side of a benchmark, for its record.
#[derive(Clone, Debug)]
pub struct LoadSetup {
    /// CPUs of the load client.
    pub client_cpus: CpuSet,
    /// Connections.
    pub connections: usize,
    /// Constant rate when the record's own run was an open loop.
    pub rate_per_sec: Option<f64>,
    /// Requests per write (pipelining); 1 without.
    pub pipeline: usize,
    /// Seed of the request-body pool.
    pub body_seed: Option<u64>,
}

impl VerifiedServer {
    /// The evidence record of one benchmark of this server, flags set. `open_loop` holds the
    /// fixed-rate runs made beside the measurement (tails, probes).
    pub fn result_record(
        &self,
        run: &Run,
        id: &BenchmarkId,
        measurement: &Measurement,
        load: &LoadSetup,
        open_loop: Vec<OpenLoopRun>,
    ) -> ResultRecord {
        let config = self.server.config();
        let (workload, param) = (id.group(), id.case());
        let benchmark = Benchmark {
            id: id.clone(),
            workload: workload.to_owned(),
            target: self.target.name.clone(),
            param: param.to_owned(),
            language: self.target.language.clone(),
            framework: self.framework.clone(),
            // The run's detection, made once; a target prepared outside a run has its own.
            toolchain: run
                .toolchains
                .get(&self.target.toolchain)
                .unwrap_or(&self.toolchain_version)
                .clone(),
        };
        let figures = measurement.figures(
            load.connections,
            load.pipeline,
            load.rate_per_sec,
            open_loop,
        );
        let setup = Setup {
            server_cpus: config.cpus.to_string(),
            client_cpus: load.client_cpus.to_string(),
            workers: self.target.workers_apply().then_some(config.workers),
            offload_threads: config.offload_threads,
            connections: load.connections,
            rate_per_sec: load.rate_per_sec,
            pipeline: load.pipeline,
            body_seed: load.body_seed,
        };
        ResultRecord::new(benchmark, run, figures, setup, run.machine.clone(), None)
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
    /// The server's PSS before any load connection.
    pub idle_pss: Option<IdlePss>,
    /// Requests a background load made the server serve in the same span (the mixed probe's
    /// hashing connections): server CPU per request divides by these too.
    pub background_requests: u64,
    /// The unmeasured load before it; `None` when the caller kept no account of one.
    pub warm_up: Option<WarmUp>,
    /// PostgreSQL over the same span, for a database workload.
    pub database: Option<DatabaseEvidence>,
    /// The run per fixed interval, when one was asked for.
    pub timeline: Option<Timeline>,
}

impl Measurement {
    /// The figures of this measurement over `connections` x `pipeline` in-flight slots, an
    /// open loop when `rate_per_sec` is set; `open_loop` holds the fixed-rate runs made beside
    /// it. A server that was not watched has zeros for its figures.
    pub fn figures(
        &self,
        connections: usize,
        pipeline: usize,
        rate_per_sec: Option<f64>,
        open_loop: Vec<OpenLoopRun>,
    ) -> Figures {
        let sample = &self.sample;
        let usage = self.usage.unwrap_or(ServerUsage {
            cpu_seconds: 0.0,
            wall_seconds: 0.0,
            peak_pss_bytes: 0,
            peak_rss_bytes: 0,
            processes: 0,
            cpu_source: CpuSource::ProcTicks,
        });
        Figures {
            requests: sample.requests,
            errors_by_kind: sample.errors_by_kind_named(),
            requests_per_sec: sample.requests_per_sec(),
            latency_us: sample.latency(),
            occupancy: evidence::sample_occupancy(
                sample,
                rate_per_sec,
                connections * pipeline.max(1),
            ),
            server: evidence::server_evidence(
                &usage,
                sample.requests + self.background_requests,
                self.server_cores,
                self.idle_pss,
            ),
            client: evidence::client_evidence(sample),
            open_loop,
            checked_answers: sample.checked_answers,
            wrong_answer_example: sample.wrong_answer_example.clone(),
            warm_up: self.warm_up,
            fairness: rate_per_sec.is_none().then(|| sample.fairness()).flatten(),
            database: self.database.clone(),
            timeline: self.timeline.clone(),
        }
    }
}
