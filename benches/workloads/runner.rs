//! Runs one benchmark group of spec/workloads.toml over every catalog target, as one Criterion
//! group: each target is started once per group (built, verified against every spec vector and
//! probed with the RFC table of spec/rfc-probes.json at its first start in the run),
//! connections are opened once per benchmark ID and kept busy by one continuous stream (see
//! measure.rs). After each benchmark, one line of evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use stampede_harness::benchmark_id::BenchmarkId as Id;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSplit;
use stampede_harness::database::ceiling::measure_before_groups;
use stampede_harness::database::for_run::start_if_needed;
use stampede_harness::database::link::DEFAULT_POOL_SIZE;
use stampede_harness::database::{DatabaseLink, RunningDatabase};
use stampede_harness::evidence::{Run, RunMode};
use stampede_harness::history::{KeptRun, Recorder, Source};
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{
    PreparedTarget, SessionError, VerifiedServer, Verify, load_spec, prepare,
};
use stampede_harness::strictness::record::records_dir;
use stampede_harness::strictness::run::record_target;
use stampede_harness::strictness::{Probe, load_probes};
use stampede_harness::summary::{RunSelection, write_from_results};
use stampede_harness::vectors::Vector;
use stampede_harness::vectors::spec_dir;
use stampede_harness::workload::{BenchCase, BenchGroup, Sampling, WorkloadSpec};

use crate::filter::IdFilter;

/// Samples of a heavy group.
pub(crate) const HEAVY_SAMPLES: usize = 10;

/// State shared by every group of one `cargo bench` run.
pub(crate) struct Bench {
    catalog: Catalog,
    vectors: Arc<Vec<Vector>>,
    /// The RFC probe table, played once per target per run (the summary's Strictness column).
    probes: Vec<Probe>,
    split: CpuSplit,
    filter: IdFilter,
    context: Run,
    spec: Arc<WorkloadSpec>,
    /// Samples of a light group (Criterion's sample size).
    light_samples: usize,
    /// Criterion's measurement time before any per-benchmark lengthening.
    measurement_time: Duration,
    failures: Vec<String>,
    /// Lines already printed for skipped targets and unserved groups: each once per run.
    skips_reported: BTreeSet<String>,
    /// Targets built and verified earlier in this run: later groups start them afresh but do
    /// not replay the spec vectors (Node takes seconds on the large hash vectors).
    verified: BTreeMap<String, PreparedTarget>,
    /// The results history; `None` when it cannot be opened (warned once).
    history: Option<Recorder>,
    /// The run's PostgreSQL, started for the first database group and kept to the end; the
    /// reason it could not start, said once, after which database groups are skipped.
    database: Result<Option<RunningDatabase>, String>,
}

impl Bench {
    /// `mode`: quick or full (Criterion's `--quick`); fixed-length extras are shortened in
    /// quick mode. `light_samples` and `measurement_time` are what Criterion was configured with.
    pub(crate) fn new(
        mode: RunMode,
        light_samples: usize,
        measurement_time: Duration,
    ) -> anyhow::Result<Self> {
        let catalog = Catalog::discover()?;
        let vectors = load_spec(&catalog)?;
        let split = CpuSplit::resolve(None, None)?;
        println!(
            "stampede: server CPUs {}, client CPUs {}{}",
            split.server,
            split.client,
            if split.overlaps() {
                " (overlapping: results will be flagged)"
            } else {
                ""
            }
        );
        let filter = IdFilter::from_args(std::env::args());
        let run = Run::detect_in(&catalog, mode);
        // One history run per `cargo bench`, the same run as its records', each record
        // appended as it ends.
        let history = (!matches!(filter, IdFilter::ListOnly))
            .then(|| {
                let (server, client) = (split.server.to_string(), split.client.to_string());
                let kept = KeptRun::new(run.clone(), Source::Bench, &server, &client);
                Recorder::open(&catalog.work_dir(), None, kept)
                    .map_err(|e| eprintln!("warning: this run is not kept in the history: {e}"))
                    .ok()
            })
            .flatten();
        let spec = WorkloadSpec::load(&spec_dir(catalog.root()))?;
        let probes = load_probes(&spec_dir(catalog.root()))?;
        // Every workload's request must be one `verify` checks on every target first.
        let unanswered = spec.unanswered(&vectors);
        if !unanswered.is_empty() {
            anyhow::bail!("{}", unanswered.join("\n"));
        }
        Ok(Self {
            spec: Arc::new(spec),
            light_samples,
            measurement_time,
            history,
            context: run,
            catalog,
            vectors,
            probes,
            split,
            filter,
            failures: Vec::new(),
            skips_reported: BTreeSet::new(),
            verified: BTreeMap::new(),
            database: Ok(None),
        })
    }

    /// The workloads and groups of spec/workloads.toml.
    pub(crate) fn spec(&self) -> Arc<WorkloadSpec> {
        Arc::clone(&self.spec)
    }

    /// Server and client CPUs.
    pub(crate) fn split(&self) -> &CpuSplit {
        &self.split
    }

    /// The run's id, mode, machine and commit.
    pub(crate) fn context(&self) -> &Run {
        &self.context
    }

    /// Criterion's `--quick`.
    pub(crate) fn quick(&self) -> bool {
        self.context.mode == RunMode::Quick
    }

    /// Where records go.
    pub(crate) fn results_dir(&self) -> PathBuf {
        self.catalog.work_dir().join("results")
    }

    /// Appends a finished record to the results history, warning when it cannot.
    pub(crate) fn keep_in_history(&self, record: &stampede_harness::evidence::ResultRecord) {
        if let Some(Err(err)) = self.history.as_ref().map(|h| h.append(record)) {
            eprintln!("warning: {} not kept in the history: {err}", record.id);
        }
    }

    /// The measurement time Criterion was configured with.
    pub(crate) fn base_measurement_time(&self) -> Duration {
        self.measurement_time
    }

    /// How many of Criterion's last calls are samples for a group sampled as `sampling`.
    pub(crate) fn measured_windows(&self, sampling: Sampling) -> usize {
        crate::measure::measured_windows(self.context.mode, sampling, self.light_samples)
    }

    /// Benchmarks every case of `group` on every target.
    pub(crate) fn run_group(&mut self, criterion: &mut Criterion, group: &BenchGroup) {
        if group.on_request && !self.filter.asks_for_group(&group.name) {
            println!(
                "{}: minutes per benchmark, so not in the default run; `cargo bench -- {}` runs it",
                group.name, group.name
            );
            return;
        }
        let sampling = group.sampling;
        let mut criterion_group = criterion.benchmark_group(&group.name);
        criterion_group.throughput(Throughput::Elements(1));
        if sampling == Sampling::Heavy {
            criterion_group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(HEAVY_SAMPLES);
        }
        let targets = self.catalog.targets().to_vec();
        for target in &targets {
            // A partial target runs the cases of the workloads it serves; the rest of the
            // group is one line (once per run), never a failure.
            let ids: Result<Vec<(Id, &BenchCase)>, _> = group
                .cases
                .iter()
                .filter(|case| case.served_by(target))
                .map(|case| group.benchmark_id(&target.name, case).map(|id| (id, case)))
                .collect();
            let ids = match ids {
                Ok(ids) => ids,
                Err(err) => {
                    self.fail(err.to_string());
                    continue;
                }
            };
            let unserved = group.cases.iter().filter(|case| !case.served_by(target));
            let mut unserved_ids =
                unserved.filter_map(|case| group.benchmark_id(&target.name, case).ok());
            if unserved_ids.any(|id| self.filter.runs(id.as_str()))
                && let Some(line) = group.not_served_line(target)
                && self.skips_reported.insert(line.clone())
            {
                println!("{line}");
            }
            if matches!(self.filter, IdFilter::ListOnly) {
                for (id, _) in &ids {
                    let bench_id = BenchmarkId::new(id.target(), id.case());
                    criterion_group.bench_function(bench_id, |b| b.iter(|| ()));
                }
                continue;
            }
            if !ids.iter().any(|(id, _)| self.filter.runs(id.as_str())) {
                continue;
            }
            if !target.in_default_bench && !self.filter.names(&target.name) {
                if self
                    .skips_reported
                    .insert(format!("{} not named", target.name))
                {
                    println!(
                        "{}: not in the default run (in_default_bench = false in targets.toml); \
                         `cargo bench -- /{}/` runs it",
                        target.name, target.name
                    );
                }
                continue;
            }
            let database = match self.database_for(group) {
                Ok(link) => link,
                Err(line) => {
                    if self.skips_reported.insert(line.clone()) {
                        println!("{line}");
                    }
                    break;
                }
            };
            let mut verified = match self.start(&target.name, database) {
                Ok(verified) => verified,
                Err(err) if err.is_skip() => {
                    if self.skips_reported.insert(target.name.clone()) {
                        println!("{err}");
                    }
                    continue;
                }
                Err(err) => {
                    self.fail(format!("{}/{}: {err}", group.name, target.name));
                    continue;
                }
            };
            for (id, case) in ids.iter().filter(|(id, _)| self.filter.runs(id.as_str())) {
                let bench_id = BenchmarkId::new(id.target(), id.case());
                if let Err(err) = self.measure(
                    &mut criterion_group,
                    bench_id,
                    id,
                    &mut verified,
                    case,
                    sampling,
                ) {
                    self.fail(err);
                    break;
                }
            }
            verified.server.stop();
        }
        criterion_group.finish();
    }

    /// The database `group` needs, started the first time one does: `Ok(None)` for a group
    /// without one, `Err` with the one line to print when PostgreSQL cannot be had (the group
    /// is skipped, never silently).
    fn database_for(&mut self, group: &BenchGroup) -> Result<Option<DatabaseLink>, String> {
        let needs = group
            .cases
            .iter()
            .any(|case| case.workload.definition().database.is_some());
        if !needs {
            return Ok(None);
        }
        if matches!(self.database, Ok(None)) {
            self.database = start_if_needed(&self.catalog, true, &self.split)
                .map_err(|e| format!("database groups skipped: {e}"));
            if let Ok(Some(db)) = &self.database {
                println!(
                    "stampede: PostgreSQL {} on CPUs {} for the database groups",
                    db.installation().version(),
                    db.cpus()
                );
                // Before any group: pgbench's reads count as the targets' role's.
                let work = self.catalog.work_dir();
                let (client, run) = (&self.split.client, &self.context.id);
                match measure_before_groups(db, DEFAULT_POOL_SIZE, client, run, &work) {
                    Ok(ceiling) => println!("stampede: {}", ceiling.line()),
                    Err(err) => eprintln!("warning: no database ceiling in this run: {err}"),
                }
            }
        }
        match &self.database {
            Ok(Some(db)) => Ok(Some(db.link(DEFAULT_POOL_SIZE))),
            Ok(None) => Ok(None),
            Err(line) => Err(format!("{}: {line}", group.name)),
        }
    }

    /// A fresh server process of `name` for one group: built and verified against every spec
    /// vector the first time in this run, checked for readiness after that; given `database`.
    fn start(
        &mut self,
        name: &str,
        database: Option<DatabaseLink>,
    ) -> Result<VerifiedServer, SessionError> {
        let config = ServerConfig::for_cpus(self.split.server.clone()).with_database(database);
        let vectors = Arc::clone(&self.vectors);
        if let Some(prepared) = self.verified.get(name) {
            return prepared.start(&self.catalog, &config, vectors, Verify::ReadyOnly);
        }
        let prepared = prepare(&self.catalog, name)?;
        let verified = prepared.start(&self.catalog, &config, vectors, Verify::Vectors)?;
        self.record_strictness(name, &verified);
        self.verified.insert(name.to_owned(), prepared);
        Ok(verified)
    }

    /// Plays the RFC probe table against the freshly verified server, once per target per run
    /// (a few seconds), and writes the record the summary's Strictness column reads. A failure
    /// of the target's own code is reported here; the frameworks' failures are in the summary.
    fn record_strictness(&self, name: &str, verified: &VerifiedServer) {
        let root = self.catalog.root();
        let addr = verified.server.addr();
        let record = record_target(name, &verified.framework, root, addr, &self.probes);
        let own = record.own_failures();
        println!("stampede conformance {name}: {}", record.cell());
        if own > 0 || record.stopped.is_some() {
            eprintln!(
                "warning: {name} fails {own} probe(s) of its own code; run `stampede \
                 conformance {name}` for the list"
            );
        }
        if let Err(err) = record.write_to(&records_dir(&self.catalog.work_dir())) {
            eprintln!("warning: the strictness record of {name} is not kept: {err}");
        }
    }

    fn fail(&mut self, message: String) {
        eprintln!("FAILED {message}");
        self.failures.push(message);
    }

    /// Writes the cross-runtime summary of every result so far (a failure to write it is a
    /// warning: the results themselves are already on disk).
    pub(crate) fn write_summary(&self) {
        if matches!(self.filter, IdFilter::ListOnly) {
            return;
        }
        let work = self.catalog.work_dir();
        let criterion = self.catalog.root().join("target").join("criterion");
        match write_from_results(
            &[work.join("results")],
            &work.join("report"),
            Some(&criterion),
            RunSelection::Latest,
        ) {
            Ok(paths) => println!(
                "stampede summary: {}\n                  {}\n                  {}",
                paths.html.display(),
                paths.markdown.display(),
                paths.json.display()
            ),
            Err(err) => eprintln!("warning: no summary report: {err}"),
        }
    }

    /// Lists failures and turns them into the process's exit status.
    pub(crate) fn finish(self) -> ExitCode {
        if self.failures.is_empty() {
            return ExitCode::SUCCESS;
        }
        eprintln!("\n{} benchmark(s) failed:", self.failures.len());
        for failure in &self.failures {
            eprintln!("- {failure}");
        }
        ExitCode::FAILURE
    }
}
