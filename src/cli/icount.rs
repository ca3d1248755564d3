//! `stampede icount`: user-space instructions per request under Valgrind, with their spread
//! over k fresh server processes. Exit status 2 when Valgrind is missing or a count fails.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSet;
use stampede_harness::icount::jobs::{job_cpus, run_on_cpus};
use stampede_harness::icount::{
    BLIND_SPOTS, IcountOptions, IcountRecord, Valgrind, count_target, records_dir,
};
use stampede_harness::session::load_spec;
use stampede_harness::vectors::spec_dir;
use stampede_harness::workload::{DefaultFor, Workload, WorkloadSpec, not_served_line};

#[derive(Debug, Args)]
pub(crate) struct IcountArgs {
    /// Targets to count (default: every target in the catalog).
    #[arg(long, value_delimiter = ',')]
    pub(crate) targets: Vec<String>,
    /// Workloads (default: those with `default_for = ["icount"]` in spec/workloads.toml:
    /// plaintext, json, order and hash at its smallest size).
    #[arg(long, value_delimiter = ',')]
    pub(crate) workloads: Vec<Workload>,
    /// Fresh server processes per target; the spread is taken over them.
    #[arg(long, default_value_t = stampede_harness::icount::DEFAULT_REPETITIONS)]
    pub(crate) repetitions: usize,
    /// Warm-up requests per workload (default: the target's catalog entry).
    #[arg(long)]
    pub(crate) warmup: Option<u64>,
    /// Measured requests per workload (default: the target's catalog entry).
    #[arg(long)]
    pub(crate) requests: Option<u64>,
    /// Servers counted at once, each on its own CPU (default: one per allowed CPU).
    #[arg(long, default_value_t = 0)]
    pub(crate) jobs: usize,
    /// The history file the counts are kept in [default: $STAMPEDE_HISTORY, else
    /// target/stampede/history.sqlite].
    #[arg(long, value_name = "PATH")]
    pub(crate) history: Option<PathBuf>,
}

impl IcountArgs {
    /// Options and workloads for `catalog`, checking Valgrind first.
    pub(crate) fn resolve(
        &self,
        catalog: &Catalog,
    ) -> anyhow::Result<(Valgrind, IcountOptions, Vec<CpuSet>, Vec<Workload>)> {
        let valgrind = Valgrind::detect()?;
        if self.repetitions == 0 {
            anyhow::bail!("--repetitions must be at least 1");
        }
        let cpus = job_cpus(&CpuSet::allowed()?, self.jobs);
        let mut options = IcountOptions::new(cpus[0].clone());
        options.repetitions = self.repetitions;
        options.warmup_requests = self.warmup;
        options.measured_requests = self.requests;
        let workloads = if self.workloads.is_empty() {
            WorkloadSpec::load(&spec_dir(catalog.root()))?.defaults_for(DefaultFor::Icount)
        } else {
            self.workloads.clone()
        };
        Ok((valgrind, options, cpus, workloads))
    }
}

pub(crate) fn run(args: &IcountArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::discover()?;
    let (valgrind, options, cpus, workloads) = args.resolve(&catalog)?;
    let vectors = load_spec(&catalog)?;
    let targets = if args.targets.is_empty() {
        catalog.names()
    } else {
        args.targets.clone()
    };
    let out_dir = records_dir(&catalog.work_dir());
    eprintln!(
        "counting user-space instructions per request under {} (callgrind): {} process(es) per target, {} at a time",
        valgrind.version,
        options.repetitions,
        cpus.len()
    );
    println!("{}", header());
    let started = Instant::now();
    // Each target's records are written as soon as it is done: a later failure loses nothing.
    let results = run_on_cpus(
        &targets,
        &cpus,
        |name, set| -> anyhow::Result<Option<Vec<IcountRecord>>> {
            let mut options = options.clone();
            options.server_cpus = set.clone();
            let target_started = Instant::now();
            if let Ok(target) = catalog.target(name) {
                for workload in workloads.iter().filter(|w| !target.serves(w.name())) {
                    println!("{}", not_served_line(name, workload.name()));
                }
            }
            match count_target(&catalog, &vectors, name, &workloads, &valgrind, &options) {
                Ok(records) => {
                    for record in &records {
                        record
                            .write_to(&out_dir)
                            .with_context(|| format!("writing into {}", out_dir.display()))?;
                    }
                    eprintln!("{name}: {:.0} s", target_started.elapsed().as_secs_f64());
                    Ok(Some(records))
                }
                Err(err) if err.is_skip() => {
                    println!("{err}");
                    Ok(None)
                }
                Err(err) => Err(err).with_context(|| format!("counting {name}")),
            }
        },
        |_, result| match result {
            Ok(Some(records)) => {
                for record in records {
                    println!("{}", line(record));
                }
                super::history::keep_icount_result(args.history.as_deref(), records);
            }
            Ok(None) => {}
            Err(err) => eprintln!("Error: {err:#}"),
        },
    );
    let failed = results.iter().filter(|r| r.is_err()).count();
    if failed > 0 {
        eprintln!("{failed} target(s) failed; see the errors above");
        return Ok(ExitCode::from(2));
    }
    eprintln!(
        "done in {:.0} s; records in {}\n{BLIND_SPOTS}",
        started.elapsed().as_secs_f64(),
        out_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn header() -> String {
    format!(
        "{:<14} {:<12} {:>14} {:>9}  {:<24} {}",
        "target", "workload", "instr/request", "spread", "range", "requests (warm-up + measured)"
    )
}

fn line(record: &IcountRecord) -> String {
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
