//! Runs one Criterion group over every catalog target: each target is built, started and
//! verified once per group, connections are opened once per benchmark ID, and only
//! `iter_custom`'s requests are timed. After each benchmark, one line of evidence.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSplit;
use stampede_harness::history::{Fingerprint, Recorder, RunMeta};
use stampede_harness::load::{LoadClient, RunPlan, Sample};
use stampede_harness::metrics::TreeMeter;
use stampede_harness::process::ServerConfig;
use stampede_harness::results::{ResultRecord, RunContext};
use stampede_harness::session::{LoadSetup, VerifiedServer, load_spec, start_verified};
use stampede_harness::summary::write_report;
use stampede_harness::vectors::Vector;
use stampede_harness::vectors::spec_dir;
use stampede_harness::workload::{Workload, WorkloadParams};

use crate::filter::IdFilter;

/// One benchmark of a group: what to send over how many connections, optionally while a
/// background load runs (the `mixed` probe).
#[derive(Clone, Debug)]
pub(crate) struct Case {
    /// The parameter part of the ID, e.g. `c64` or `r5000`.
    pub(crate) label: String,
    /// What the measured connections send.
    pub(crate) workload: Workload,
    /// How many measured connections.
    pub(crate) connections: usize,
    /// Load kept running during the measurement, unmeasured.
    pub(crate) background: Option<Background>,
}

/// An unmeasured load that runs while a case is measured.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Background {
    /// What the background connections send.
    pub(crate) workload: Workload,
    /// How many background connections.
    pub(crate) connections: usize,
    /// Rate of the probe run whose percentiles are recorded, requests/s.
    pub(crate) probe_rate_per_sec: f64,
}

impl Case {
    /// A plain case labelled `c<connections>`.
    pub(crate) fn connections(workload: Workload, connections: usize) -> Self {
        Self {
            label: format!("c{connections}"),
            workload,
            connections,
            background: None,
        }
    }
}

/// How Criterion samples a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sampling {
    /// Criterion's linear sampling with the bench's sample size: for requests of microseconds.
    Light,
    /// Ten samples of equal size: for requests of milliseconds (CPU work, sleeping, probes),
    /// where linear sampling would need hundreds of slow requests per benchmark.
    Heavy,
}

/// State shared by every group of one `cargo bench` run.
pub(crate) struct Bench {
    catalog: Catalog,
    vectors: Arc<Vec<Vector>>,
    split: CpuSplit,
    filter: IdFilter,
    context: RunContext,
    params: WorkloadParams,
    /// How long the mixed probe runs at its fixed rate for the recorded percentiles.
    probe_duration: Duration,
    failures: Vec<String>,
    skips_reported: BTreeSet<String>,
    /// The results history (issue 15); `None` when it cannot be opened (warned once).
    history: Option<Recorder>,
}

impl Bench {
    /// `quick`: Criterion's `--quick` was given; fixed-length extras are shortened too.
    pub(crate) fn new(quick: bool) -> anyhow::Result<Self> {
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
        // History hook (issue 15): one run per `cargo bench`, each record appended as it ends.
        let history = (!matches!(filter, IdFilter::ListOnly))
            .then(|| {
                let mode = if quick { "quick" } else { "full" };
                let machine =
                    Fingerprint::detect(&split.server.to_string(), &split.client.to_string());
                let meta = RunMeta::detect(catalog.root(), "bench", mode, machine);
                Recorder::open(&catalog.work_dir(), None, meta)
                    .map_err(|e| eprintln!("warning: this run is not kept in the history: {e}"))
                    .ok()
            })
            .flatten();
        Ok(Self {
            params: WorkloadParams::load(&spec_dir(catalog.root()))?,
            probe_duration: Duration::from_secs(if quick { 1 } else { 2 }),
            context: RunContext::detect(catalog.root()),
            catalog,
            vectors,
            split,
            filter,
            failures: Vec::new(),
            skips_reported: BTreeSet::new(),
            history,
        })
    }

    /// The parameters in spec/workloads.toml.
    pub(crate) fn params(&self) -> &WorkloadParams {
        &self.params
    }

    /// Benchmarks every case on every target, as Criterion group `group`.
    pub(crate) fn run_group(
        &mut self,
        criterion: &mut Criterion,
        group: &str,
        cases: &[Case],
        sampling: Sampling,
    ) {
        let mut criterion_group = criterion.benchmark_group(group);
        criterion_group.throughput(Throughput::Elements(1));
        if sampling == Sampling::Heavy {
            criterion_group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10);
        }
        let targets = self.catalog.targets().to_vec();
        for target in &targets {
            let ids: Vec<(String, &Case)> = cases
                .iter()
                .map(|case| (format!("{group}/{}/{}", target.name, case.label), case))
                .collect();
            if matches!(self.filter, IdFilter::ListOnly) {
                for (_, case) in &ids {
                    let bench_id = BenchmarkId::new(&target.name, &case.label);
                    criterion_group.bench_function(bench_id, |b| b.iter(|| ()));
                }
                continue;
            }
            if !ids.iter().any(|(id, _)| self.filter.runs(id)) {
                continue;
            }
            let config = ServerConfig::for_cpus(self.split.server.clone());
            let mut verified =
                match start_verified(&self.catalog, &target.name, &config, self.vectors.clone()) {
                    Ok(verified) => verified,
                    Err(err) if err.is_skip() => {
                        if self.skips_reported.insert(target.name.clone()) {
                            println!("{err}");
                        }
                        continue;
                    }
                    Err(err) => {
                        self.fail(format!("{group}/{}: {err}", target.name));
                        continue;
                    }
                };
            for (id, case) in ids.iter().filter(|(id, _)| self.filter.runs(id)) {
                let bench_id = BenchmarkId::new(&target.name, &case.label);
                if let Err(err) =
                    self.measure(&mut criterion_group, bench_id, id, &mut verified, case)
                {
                    self.fail(err);
                    break;
                }
            }
            verified.server.stop();
        }
        criterion_group.finish();
    }

    fn measure(
        &self,
        group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
        bench_id: BenchmarkId,
        id: &str,
        verified: &mut VerifiedServer,
        case: &Case,
    ) -> Result<(), String> {
        let mut client = verified
            .connect(case.workload, case.connections, &self.split.client)
            .map_err(|e| format!("{id}: {e}"))?;
        let background = match &case.background {
            Some(bg) => Some(BackgroundLoad::start(
                verified
                    .connect(bg.workload, bg.connections, &self.split.client)
                    .map_err(|e| format!("{id}: {e}"))?,
            )),
            None => None,
        };
        let mut meter = TreeMeter::new(verified.server.pid());
        let mut total = Sample::empty();
        let mut load_error = None;
        let server = &mut verified.server;
        group.bench_function(bench_id, |b| {
            b.iter_custom(|iters| {
                // Once the server is gone or the client failed, answer at once: the benchmark
                // has failed and Criterion only needs to finish its loop.
                if load_error.is_some() {
                    return Duration::from_nanos(iters.max(1));
                }
                match meter.around(|| client.run(&RunPlan::requests(iters))) {
                    Ok(sample) => {
                        if sample.errors() > 0
                            && let Err(err) = server.check_alive()
                        {
                            load_error = Some(err.to_string());
                        }
                        total.absorb(&sample);
                        sample.elapsed
                    }
                    Err(err) => {
                        load_error.get_or_insert(err.to_string());
                        Duration::from_nanos(1)
                    }
                }
            });
        });
        // The mixed probe's recorded percentiles come from a fixed low rate, not closed loop.
        let mut rate_per_sec = None;
        if let (Some(bg), None) = (&case.background, &load_error) {
            let plan = RunPlan::duration(self.probe_duration).with_rate(bg.probe_rate_per_sec);
            match meter.around(|| client.run(&plan)) {
                Ok(sample) => total = sample,
                Err(err) => load_error = Some(err.to_string()),
            }
            rate_per_sec = Some(bg.probe_rate_per_sec);
        }
        drop(client);
        let background_summary = background.map(BackgroundLoad::stop);
        // A dead server explains a failed run best: its exit status and stderr tail first.
        verified
            .server
            .check_alive()
            .map_err(|e| format!("{id}: {e}"))?;
        if let Some(err) = load_error {
            return Err(format!("{id}: {err}"));
        }
        if let Some(Err(err)) = &background_summary {
            return Err(format!("{id}: background load failed: {err}"));
        }
        let load = LoadSetup {
            client_cpus: self.split.client.clone(),
            connections: case.connections,
            rate_per_sec,
        };
        let record = verified.result_record(&self.context, id, &total, &meter.usage(), &load);
        println!("{}", evidence_line(&record));
        if let Some(Ok(bg)) = background_summary {
            println!(
                "    background: {:.0} req/s, errors {}",
                bg.requests_per_sec(),
                bg.errors()
            );
        }
        let dir = self.catalog.work_dir().join("results");
        record
            .write_to(&dir)
            .map_err(|e| format!("{id}: cannot write its result to {}: {e}", dir.display()))?;
        // History hook (issue 15).
        if let Some(Err(err)) = self.history.as_ref().map(|h| h.append(&record)) {
            eprintln!("warning: {id} not kept in the history: {err}");
        }
        Ok(())
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
        match write_report(
            &work.join("results"),
            &work.join("report"),
            Some(&criterion),
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

/// A load client looping in its own thread until stopped.
struct BackgroundLoad {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Result<Sample, String>>,
}

impl BackgroundLoad {
    fn start(mut client: LoadClient) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut total = Sample::empty();
            while !flag.load(Ordering::Relaxed) {
                let sample = client
                    .run(&RunPlan::duration(Duration::from_millis(200)))
                    .map_err(|e| e.to_string())?;
                total.absorb(&sample);
            }
            Ok(total)
        });
        Self { stop, thread }
    }

    fn stop(self) -> Result<Sample, String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| "background thread panicked".to_owned())?
    }
}

fn evidence_line(record: &ResultRecord) -> String {
    let mut flags = Vec::new();
    if record.client_bound {
        flags.push("client-bound");
    }
    if record.invalid {
        flags.push("INVALID: errors above 0.1%");
    }
    let errors: Vec<String> = record
        .errors_by_kind
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    format!(
        "  {}: {:.0} req/s, p50 {} us, p99 {} us, errors {}{}, server cpu_busy {:.2}{}",
        record.id,
        record.requests_per_sec,
        record.latency_us.p50,
        record.latency_us.p99,
        record.errors,
        if errors.is_empty() {
            String::new()
        } else {
            format!(" ({})", errors.join(", "))
        },
        record.server.cpu_busy,
        if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join("; "))
        }
    )
}
