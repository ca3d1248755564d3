//! What `stampede load` was asked, and how it is carried out: a catalog target built, started,
//! verified, warmed up, measured and kept in the history, or a running server's URL loaded
//! as it is. [`crate::load_output::LoadOutput`] is what it prints.

use std::path::PathBuf;
use std::time::Duration;

use crate::catalog::{Catalog, CatalogError};
use crate::cpus::{CpuError, CpuSet, CpuSplit};
use crate::evidence::Timeline;
use crate::history::keep::{LoadRun, keep_load_result};
use crate::load::url::{UrlError, parse_http_url};
use crate::load::{Boundary, IoChoice, LoadClient, LoadError, LoadPlan, RequestTemplate};
use crate::load_output::LoadOutput;
use crate::output::{Format, Render, RenderError, json_line, unsupported};
use crate::process::ServerConfig;
use crate::session::{
    LoadSetup, Measurement, SessionError, TimelineAsk, load_spec, progress_line, start_verified,
};
use crate::steady::{self, SteadyRule, WarmUp};
use crate::workload::Workload;

/// Where the load goes.
#[derive(Clone, Debug)]
pub enum LoadTarget {
    /// A catalog target, started and verified here, sent `workload`.
    Catalog {
        /// Its name.
        name: String,
        /// What to send.
        workload: Workload,
    },
    /// A running server (GET, not verified).
    Url(String),
}

/// Everything `stampede load` was asked.
#[derive(Clone, Debug)]
pub struct LoadRequest {
    /// Where the load goes.
    pub target: LoadTarget,
    /// Keep-alive connections.
    pub connections: usize,
    /// How long to measure.
    pub duration: Duration,
    /// Longest warm-up before the measurement (zero: none).
    pub warmup: Duration,
    /// Constant total rate in requests/s (open loop), if any.
    pub rate_per_sec: Option<f64>,
    /// Requests each connection writes at once (HTTP/1.1 pipelining).
    pub pipeline: usize,
    /// The client's CPUs (default: the split's, or every allowed CPU for a URL).
    pub client_cpus: Option<CpuSet>,
    /// The server's CPUs (default: the split's).
    pub server_cpus: Option<CpuSet>,
    /// The client's I/O path (default: io_uring when the kernel allows it).
    pub io: Option<IoChoice>,
    /// Whether answers are compared with the contract under load.
    pub answer_checks: bool,
    /// `DB_POOL_SIZE` for a database workload (the server's connections in total).
    pub db_pool_size: usize,
    /// `--history PATH` for a catalog target's result.
    pub history: Option<PathBuf>,
    /// `--timeline`: the run counted per interval of this length too.
    pub timeline: Option<Duration>,
}

/// Why the load could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoadRequestError {
    /// The plan contradicts itself (e.g. a rate with pipelining).
    #[error("{0}")]
    Plan(String),
    /// The workspace.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The CPU split.
    #[error(transparent)]
    Cpus(#[from] CpuError),
    /// Starting, verifying or measuring the target.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// Loading a URL.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Starting the harness's PostgreSQL for a database workload.
    #[error(transparent)]
    Database(#[from] crate::database::DatabaseError),
    /// The URL.
    #[error(transparent)]
    Url(#[from] UrlError),
}

impl LoadRequest {
    /// The measured run's plan.
    pub fn plan(&self) -> LoadPlan {
        let plan = LoadPlan::duration(self.duration).with_pipeline(self.pipeline);
        match self.rate_per_sec {
            Some(rate) => plan.with_rate(rate),
            None => plan,
        }
    }

    /// Carries the load out; `notes` gets the lines to show on stderr as they come (a CPU
    /// overlap, the history's line).
    pub fn measure(&self, notes: &mut dyn FnMut(&str)) -> Result<Measurement, LoadRequestError> {
        if let Some(problem) = self.plan().problem() {
            return Err(LoadRequestError::Plan(problem));
        }
        match &self.target {
            LoadTarget::Catalog { name, workload } => self.load_target(name, workload, notes),
            LoadTarget::Url(url) => self.load_url(url, notes),
        }
    }

    /// Warms `client` up to steady state with the measured run's load, at most `warmup`.
    fn warm_up(&self, client: &mut LoadClient) -> Result<WarmUp, LoadError> {
        if self.warmup.is_zero() {
            return Ok(WarmUp::off(client.connections()));
        }
        steady::warm_up(client, &self.plan(), SteadyRule::at_most(self.warmup))
    }

    fn load_target(
        &self,
        name: &str,
        workload: &Workload,
        notes: &mut dyn FnMut(&str),
    ) -> Result<Measurement, LoadRequestError> {
        let catalog = Catalog::discover()?;
        let split = CpuSplit::resolve(self.server_cpus.clone(), self.client_cpus.clone())?;
        if split.overlaps() {
            notes(&format!(
                "warning: server CPUs {} and client CPUs {} overlap; the client steals server time",
                split.server, split.client
            ));
        }
        let database = crate::database::for_run::start_if_needed(
            &catalog,
            workload.definition().database.is_some(),
            &split,
        )?;
        let link = database.as_ref().map(|db| db.link(self.db_pool_size));
        let config = ServerConfig::for_cpus(split.server.clone()).with_database(link);
        // Raised before the server starts, so it inherits a limit that holds every connection too.
        crate::limits::raise_open_files_to(self.connections as u64 + 1024);
        let mut verified = start_verified(&catalog, name, &config, load_spec(&catalog)?)?;
        verified.check_answers = self.answer_checks;
        verified.io = self.io;
        let idle_pss = verified.idle_pss();
        let mut client = verified.connect(workload, self.connections, &split.client)?;
        let warm_up = self
            .warm_up(&mut client)
            .map_err(|e| verified.load_error(e))?;
        let mut measurement = verified.measure_timed(
            &mut client,
            workload,
            &self.plan(),
            &split.client,
            self.timeline.map(|every| TimelineAsk {
                every,
                live: Some(&mut *notes),
            }),
        )?;
        measurement.idle_pss = idle_pss;
        measurement.warm_up = Some(warm_up);
        drop(client);
        // Kept in the results history as a `cli`-mode run.
        let load = LoadSetup {
            client_cpus: split.client.clone(),
            connections: self.connections,
            rate_per_sec: self.rate_per_sec,
            pipeline: self.pipeline,
            body_seed: workload.has_bodies().then_some(verified.body_seed),
        };
        let kept = keep_load_result(&LoadRun {
            catalog: &catalog,
            explicit: self.history.as_deref(),
            verified: &verified,
            workload,
            load: &load,
            split: &split,
            measurement: &measurement,
        });
        if let Some(line) = kept.line() {
            notes(&line);
        }
        verified.server.stop();
        Ok(measurement)
    }

    fn load_url(
        &self,
        url: &str,
        notes: &mut dyn FnMut(&str),
    ) -> Result<Measurement, LoadRequestError> {
        let (addr, path) = parse_http_url(url)?;
        let cpus = match &self.client_cpus {
            Some(cpus) => cpus.clone(),
            None => CpuSet::allowed()?,
        };
        let mix = vec![RequestTemplate::get(addr, &path)];
        let mut client = match self.io {
            Some(io) => LoadClient::connect_with(addr, self.connections, &cpus, mix, io)?,
            None => LoadClient::connect(addr, self.connections, &cpus, mix)?,
        };
        let warm_up = self.warm_up(&mut client)?;
        let (sample, timeline) = match self.timeline {
            None => (client.run(&self.plan())?, None),
            Some(every) => {
                let plan = self.plan();
                // As each interval ends, the client's own counts: a server at a URL has no
                // meters of ours.
                let mut passed: Vec<Boundary> = Vec::new();
                let timed = client.run_with_timeline(&plan, every, &mut |boundary| {
                    passed.push(*boundary);
                    if let [.., before, now] = passed.as_slice() {
                        notes(&progress_line(before, now, passed[0].at, None));
                    }
                })?;
                let due = plan.due_per_interval(client.connections(), every);
                let timeline = Timeline::of(every, &timed.intervals, &[], 0, due);
                (timed.whole, Some(timeline))
            }
        };
        Ok(Measurement {
            sample,
            usage: None,
            server_cores: 0,
            idle_pss: None,
            background_requests: 0,
            warm_up: Some(warm_up),
            database: None,
            timeline,
        })
    }
}

/// `stampede load`: wrk-style lines, or one line of JSON.
impl Render for LoadOutput {
    const NAME: &'static str = "the load report";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(self.text()),
            Format::Json => json_line::<Self, _>(self),
            other => Err(unsupported::<Self>(other)),
        }
    }
}
