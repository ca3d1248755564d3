//! Every catalog target, started through the harness, answers every spec vector, answers every
//! workload of spec/workloads.toml under load with its answers checked, and survives the
//! bad-input table (spec/bad-inputs.json). A workload added to the spec without a handler in
//! some target fails here, naming the target and the workload.
//!
//! A partial target (catalog `workloads`) is checked on the workloads it serves: its vectors,
//! its workloads under load, and the bad-input cases whose request goes to a route it serves
//! or to none.
//!
//! The database workloads (those with a `database` entry) get a trial of their own, against one
//! PostgreSQL cluster the trials share and take turns with: the target, started with it, passes
//! the database cases, and under load every answer checked is right and the statements it ran
//! per request are at least what the workload requires.
//!
//! Four trials per target. A target whose toolchain is missing, or a database trial without
//! PostgreSQL, is reported as ignored, with the reason in its name, never as passed. With
//! STAMPEDE_REQUIRE_TOOLS=1 (CI) a missing tool is a failure instead.

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed};
use stampede_harness::badinput::{BadInputCase, check_all, load_bad_inputs};
use stampede_harness::catalog::{Availability, Catalog};
use stampede_harness::cpus::CpuSet;
use stampede_harness::cpus::CpuSplit;
use stampede_harness::database::link::DEFAULT_POOL_SIZE;
use stampede_harness::database::{DatabaseConfig, RunningDatabase, for_run};
use stampede_harness::load::{LoadPlan, Sample};
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{VerifiedServer, load_spec, start_verified};
use stampede_harness::test_support::{SharedDatabase, postgres_missing, trial_needing};
use stampede_harness::vectors::{Vector, spec_dir};
use stampede_harness::workload::{Workload, WorkloadSpec};

/// The cluster of the database trials, started by the first of them.
static DATABASE: SharedDatabase = SharedDatabase::new();

/// Queries per request of the parameterised database workloads under load: more than one, so a
/// server running one query for all rows falls short.
const DATABASE_PARAM: u32 = 5;

fn main() {
    let args = Arguments::from_args();
    let no_postgres = postgres_missing();
    let catalog = Catalog::discover().expect("the workspace catalog loads");
    let vectors = load_spec(&catalog).expect("the spec vectors load");
    let bad_inputs =
        Arc::new(load_bad_inputs(&spec_dir(catalog.root())).expect("the bad-input table loads"));
    let mut trials = Vec::new();
    for target in catalog.targets() {
        let checks = [
            Check::SpecVectors,
            Check::Workloads,
            Check::BadInputs,
            Check::DatabaseWorkloads,
        ];
        for check in checks {
            let name = format!("{}::{}", target.name, check.name());
            let missing = match catalog.availability(target) {
                Availability::Skipped { reason } => Some(reason),
                Availability::Available { .. } if check == Check::DatabaseWorkloads => {
                    no_postgres.clone()
                }
                Availability::Available { .. } => None,
            };
            let (catalog, vectors) = (catalog.clone(), Arc::clone(&vectors));
            let (bad, target) = (Arc::clone(&bad_inputs), target.name.clone());
            let trial = trial_needing(missing, &name, move || {
                run_check(check, &catalog, &target, vectors, &bad)
            });
            trials.push(trial);
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    DATABASE.stop();
    conclusion.exit();
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    SpecVectors,
    Workloads,
    BadInputs,
    DatabaseWorkloads,
}

impl Check {
    fn name(self) -> &'static str {
        match self {
            Self::SpecVectors => "answers_every_spec_vector",
            Self::Workloads => "answers_every_workload_under_load",
            Self::BadInputs => "survives_the_bad_input_table",
            Self::DatabaseWorkloads => "answers_every_database_workload_under_load",
        }
    }
}

/// Starts the target (which replays every spec vector first) and, for the workload and
/// bad-input checks, loads every workload or plays the table against it.
fn run_check(
    check: Check,
    catalog: &Catalog,
    target: &str,
    vectors: Arc<Vec<Vector>>,
    bad_inputs: &[BadInputCase],
) -> Result<(), Failed> {
    if let Check::DatabaseWorkloads = check {
        return run_database_workloads(catalog, target, vectors);
    }
    let split = CpuSplit::resolve(None, None).map_err(|e| Failed::from(e.to_string()))?;
    let config = ServerConfig::for_cpus(split.server);
    let verified = start_verified(catalog, target, &config, vectors)
        .map_err(|e| Failed::from(e.to_string()))?;
    let spec =
        WorkloadSpec::load(&spec_dir(catalog.root())).map_err(|e| Failed::from(e.to_string()))?;
    if let Check::Workloads = check {
        let mut failures = Vec::new();
        // The database workloads have a trial of their own: this server has no database.
        let served = spec.at_defaults().into_iter();
        let served = served.filter(|w| w.definition().database.is_none());
        for workload in served.filter(|w| verified.target.serves(w.name())) {
            match load_briefly(&verified, &workload, &split.client) {
                Ok(sample) if sample.errors() == 0 && sample.checked_answers > 0 => {}
                Ok(sample) => failures.push(format!(
                    "{target} {workload}: {} errors ({}), {} answers checked{}",
                    sample.errors(),
                    sample.errors_in_words(),
                    sample.checked_answers,
                    sample
                        .wrong_answer_example
                        .map(|w| format!("; {w}"))
                        .unwrap_or_default()
                )),
                Err(e) => failures.push(format!("{target} {workload}: {e}")),
            }
        }
        if !failures.is_empty() {
            return Err(Failed::from(failures.join("\n")));
        }
    }
    if let Check::BadInputs = check {
        let served: Vec<BadInputCase> = bad_inputs
            .iter()
            .filter(|c| {
                let path = c.request_path();
                path.is_none_or(|p| spec.serves_path(&verified.target, p))
            })
            .cloned()
            .collect();
        let failures = check_all(target, verified.server.addr(), &served);
        if !failures.is_empty() {
            return Err(Failed::from(failures.join("\n")));
        }
    }
    verified.server.stop();
    Ok(())
}

/// 128 requests of `workload` over 2 connections: enough for every answer kind to be checked
/// at least once (a new hash digest is computed every 64th request).
fn load_briefly(
    verified: &VerifiedServer,
    workload: &Workload,
    cpus: &CpuSet,
) -> Result<Sample, String> {
    let mut client = verified
        .connect(workload, 2, cpus)
        .map_err(|e| e.to_string())?;
    client
        .run(&LoadPlan::requests(128))
        .map_err(|e| e.to_string())
}

/// Starts the target with the shared cluster (which runs the database cases first) and loads
/// every database workload it serves, each measured as a record is, with PostgreSQL watched.
fn run_database_workloads(
    catalog: &Catalog,
    target: &str,
    vectors: Arc<Vec<Vector>>,
) -> Result<(), Failed> {
    let fail = |e: &dyn std::fmt::Display| Failed::from(format!("{target}: {e}"));
    let spec = WorkloadSpec::load(&spec_dir(catalog.root())).map_err(|e| fail(&e))?;
    let served = catalog.target(target).map_err(|e| fail(&e))?;
    let workloads: Vec<Workload> = spec
        .at_defaults()
        .into_iter()
        .filter(|w| w.definition().database.is_some() && served.serves(w.name()))
        .map(|w| match w.param() {
            Some(_) => w.with_param(Some(DATABASE_PARAM)),
            None => w,
        })
        .collect();
    if workloads.is_empty() {
        // A partial target without database routes: nothing to start a cluster for.
        return Ok(());
    }
    let split = CpuSplit::resolve(None, None).map_err(|e| fail(&e))?;
    let (for_cluster, started_by) = (split.clone(), catalog.clone());
    let (link, _turn) = DATABASE
        .take_turn(
            move || {
                let allowed = CpuSet::allowed().unwrap_or_else(|_| for_cluster.server.clone());
                let cpus = for_run::cpus_beside(&for_cluster, &allowed);
                RunningDatabase::start(&started_by, &DatabaseConfig::for_cpus(cpus))
            },
            DEFAULT_POOL_SIZE,
        )
        .map_err(|e| fail(&e))?;
    let config = ServerConfig::for_cpus(split.server.clone()).with_database(Some(link));
    let mut verified = start_verified(catalog, target, &config, vectors).map_err(|e| fail(&e))?;
    let mut failures = Vec::new();
    for workload in &workloads {
        match measure_briefly(&mut verified, workload, &split.client) {
            Ok(()) => {}
            Err(e) => failures.push(format!("{target} {workload}: {e}")),
        }
    }
    verified.server.stop();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failed::from(failures.join("\n")))
    }
}

/// 128 requests of a database `workload` over 2 connections, measured with PostgreSQL's
/// counts: `Err` says what was wrong (errors, nothing checked, statements short).
fn measure_briefly(
    verified: &mut VerifiedServer,
    workload: &Workload,
    cpus: &CpuSet,
) -> Result<(), String> {
    let mut client = verified
        .connect(workload, 2, cpus)
        .map_err(|e| e.to_string())?;
    let measurement = verified
        .measure(&mut client, workload, &LoadPlan::requests(128), cpus)
        .map_err(|e| e.to_string())?;
    let sample = &measurement.sample;
    if sample.errors() > 0 || sample.checked_answers == 0 {
        return Err(format!(
            "{} errors ({}), {} answers checked{}",
            sample.errors(),
            sample.errors_in_words(),
            sample.checked_answers,
            sample
                .wrong_answer_example
                .as_ref()
                .map(|w| format!("; {w}"))
                .unwrap_or_default()
        ));
    }
    match &measurement.database {
        None => Err("no database evidence".to_owned()),
        Some(database) => match &database.shortfall {
            Some(shortfall) => Err(format!("short of the requirement: {shortfall}")),
            None => Ok(()),
        },
    }
}
