//! The database's ceiling against a real cluster: pgbench reads World with the targets' query
//! over a pool's connections, its reads count as the targets' role's (which is why the benches
//! measure it before any group), and the run's measurement empties those counts again and keeps
//! the ceiling for the summary.
//!
//! Without PostgreSQL every trial is reported as ignored, with the reason in its name, never as
//! passed; with STAMPEDE_REQUIRE_TOOLS=1 (CI) they fail instead.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::time::Duration;

use stampede_harness::cpus::CpuSet;
use stampede_harness::database::ceiling::{
    Ceiling, CeilingPlan, measure_before_groups, pgbench_program,
};
use stampede_harness::database::watch::StatementTotals;
use stampede_harness::database::{DATABASE, DatabaseConfig, Installation, RunningDatabase};
use stampede_harness::run_needing;

fn main() {
    let missing = match Installation::find() {
        Err(err) => Some(err.to_string()),
        Ok(install) if !pgbench_program(Some(&install)).is_file() => {
            Some(format!("no pgbench in {}", install.bin_dir().display()))
        }
        Ok(_) => None,
    };
    run_needing!(missing;
        pgbench_reads_world_over_the_pools_connections_and_its_reads_count_as_the_targets_role,
        the_runs_ceiling_is_kept_for_the_summary_and_leaves_no_statement_counted,
    );
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn start() -> RunningDatabase {
    let config = DatabaseConfig::for_cpus(CpuSet::allowed().unwrap());
    let work = root().join("target/stampede");
    RunningDatabase::start_in(&work, &root().join("spec"), &config).unwrap()
}

fn role_totals(db: &RunningDatabase) -> StatementTotals {
    StatementTotals::read(&mut db.connect_superuser(DATABASE).unwrap()).unwrap()
}

fn pgbench_reads_world_over_the_pools_connections_and_its_reads_count_as_the_targets_role() {
    let db = start();
    let mut plan = CeilingPlan::for_link(&db.link(4), CpuSet::allowed().unwrap());
    plan.duration = Duration::from_secs(1);
    let ceiling = plan
        .measure(&pgbench_program(Some(db.installation())))
        .unwrap();
    assert_eq!(ceiling.connections, 4);
    assert!(
        ceiling.reads > 0 && ceiling.reads_per_sec > 0.0,
        "{ceiling:?}"
    );
    assert_eq!(ceiling.pgbench_version, db.installation().version());
    assert_eq!(ceiling.database_cpus, Some(db.cpus().to_string()));
    let busy = ceiling.client_cpu_busy.unwrap();
    assert!(busy > 0.0 && busy < 1.5, "one thread's share: {busy}");
    assert!(ceiling.database_cpu_busy.unwrap() > 0.0, "{ceiling:?}");
    let counted = role_totals(&db);
    assert!(
        counted.calls >= ceiling.reads && counted.rows >= ceiling.reads,
        "one row per read, each counted: {counted:?} for {ceiling:?}"
    );
}

fn the_runs_ceiling_is_kept_for_the_summary_and_leaves_no_statement_counted() {
    let db = start();
    let work = tempfile::tempdir().unwrap();
    let client = CpuSet::allowed().unwrap();
    let ceiling = measure_before_groups(&db, 2, &client, "run-1", work.path()).unwrap();
    assert_eq!(ceiling.run_id.as_deref(), Some("run-1"));
    assert_eq!(Ceiling::read_from(work.path()), Some(ceiling));
    assert_eq!(role_totals(&db), StatementTotals::default());
}
