//! Runs one Criterion group over every catalog target: each target is built, started and
//! verified once per group, connections are opened once per benchmark ID, and only
//! `iter_custom`'s requests are timed. After each benchmark, one line of evidence.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSplit;
use stampede_harness::load::{RunPlan, Sample};
use stampede_harness::metrics::TreeMeter;
use stampede_harness::process::ServerConfig;
use stampede_harness::results::{ResultRecord, RunContext};
use stampede_harness::session::{LoadSetup, VerifiedServer, load_spec, start_verified};
use stampede_harness::vectors::Vector;
use stampede_harness::workload::Workload;

use crate::filter::IdFilter;

/// State shared by every group of one `cargo bench` run.
pub(crate) struct Bench {
    catalog: Catalog,
    vectors: Arc<Vec<Vector>>,
    split: CpuSplit,
    filter: IdFilter,
    context: RunContext,
    failures: Vec<String>,
    skips_reported: BTreeSet<String>,
}

impl Bench {
    pub(crate) fn new() -> anyhow::Result<Self> {
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
        Ok(Self {
            context: RunContext::detect(catalog.root()),
            catalog,
            vectors,
            split,
            filter: IdFilter::from_args(std::env::args()),
            failures: Vec::new(),
            skips_reported: BTreeSet::new(),
        })
    }

    /// Benchmarks `workload` on every target at each connection count, as group `group`.
    pub(crate) fn run_group(
        &mut self,
        criterion: &mut Criterion,
        group: &str,
        workload: Workload,
        connections: &[usize],
    ) {
        let mut criterion_group = criterion.benchmark_group(group);
        criterion_group.throughput(Throughput::Elements(1));
        let targets = self.catalog.targets().to_vec();
        for target in &targets {
            let ids: Vec<(String, usize)> = connections
                .iter()
                .map(|c| (format!("{group}/{}/c{c}", target.name), *c))
                .collect();
            if matches!(self.filter, IdFilter::ListOnly) {
                for (_, c) in &ids {
                    criterion_group
                        .bench_function(BenchmarkId::new(&target.name, format!("c{c}")), |b| {
                            b.iter(|| ())
                        });
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
            for (id, c) in ids.iter().filter(|(id, _)| self.filter.runs(id)) {
                let bench_id = BenchmarkId::new(&target.name, format!("c{c}"));
                if let Err(err) = self.measure(
                    &mut criterion_group,
                    bench_id,
                    id,
                    &mut verified,
                    workload,
                    *c,
                ) {
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
        workload: Workload,
        connections: usize,
    ) -> Result<(), String> {
        let mut client = verified
            .connect(workload, connections, &self.split.client)
            .map_err(|e| format!("{id}: {e}"))?;
        let mut meter = TreeMeter::new(verified.server.pid());
        let mut total = Sample::empty();
        let mut load_error = None;
        group.bench_function(bench_id, |b| {
            b.iter_custom(
                |iters| match meter.around(|| client.run(&RunPlan::requests(iters))) {
                    Ok(sample) => {
                        total.absorb(&sample);
                        sample.elapsed
                    }
                    Err(err) => {
                        load_error.get_or_insert(err.to_string());
                        Duration::from_nanos(1)
                    }
                },
            );
        });
        drop(client);
        if let Some(err) = load_error {
            return Err(format!("{id}: load client failed: {err}"));
        }
        verified
            .server
            .check_alive()
            .map_err(|e| format!("{id}: {e}"))?;
        let load = LoadSetup {
            client_cpus: self.split.client.clone(),
            connections,
            rate_per_sec: None,
        };
        let record = verified.result_record(&self.context, id, &total, &meter.usage(), &load);
        println!("{}", evidence_line(&record));
        let dir = self.catalog.work_dir().join("results");
        record
            .write_to(&dir)
            .map_err(|e| format!("{id}: cannot write its result to {}: {e}", dir.display()))?;
        Ok(())
    }

    fn fail(&mut self, message: String) {
        eprintln!("FAILED {message}");
        self.failures.push(message);
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
