//! PostgreSQL as a managed component: the harness's cluster starts, holds TechEmpower's tables
//! with the same seeded rows every run, lets the targets' role read every statement's counts,
//! and leaves no PostgreSQL process behind after a stop, a drop, or SIGKILL of its owner.
//!
//! Without PostgreSQL every trial is reported as ignored, with the reason in its name, never as
//! passed; with STAMPEDE_REQUIRE_TOOLS=1 (CI) they fail instead.
//!
//! The SIGKILL trial's owner is this test binary itself, started again with
//! `STAMPEDE_PG_OWNER_TEST=<folder>`: it starts a cluster, opens a connection, prints the
//! cluster's processes and waits (bounded) to be killed.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use stampede_harness::cpus::CpuSet;
use stampede_harness::database::{
    DATABASE, DatabaseConfig, DatabaseError, Installation, ROLE, RunAs, RunningDatabase,
};
use stampede_harness::metrics::cgroup::ServerCgroup;
use stampede_harness::metrics::{CpuSource, ServerProbe};
use stampede_harness::run_needing;
use stampede_harness::test_support::postgres::{assert_postgres_gone, postgres_left};

const OWNER_ENV: &str = "STAMPEDE_PG_OWNER_TEST";

fn main() {
    if let Some(work_dir) = std::env::var_os(OWNER_ENV) {
        own_a_cluster_until_killed(Path::new(&work_dir));
        return;
    }
    let missing = Installation::find().err().map(|e| e.to_string());
    run_needing!(missing;
        a_workspace_the_cluster_user_cannot_reach_gets_its_cluster_in_the_temporary_folder,
        a_cluster_that_cannot_start_fails_with_the_end_of_its_log,
        a_started_cluster_holds_techempowers_tables_and_settings,
        every_run_starts_from_the_same_seeded_rows,
        the_role_reads_every_statements_counts_but_cannot_reset_them,
        stopping_or_dropping_the_cluster_leaves_no_postgresql_process_or_folder,
        sigkill_of_the_owning_process_leaves_no_postgresql_process,
    );
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn work_dir() -> PathBuf {
    root().join("target/stampede")
}

fn spec_dir() -> PathBuf {
    root().join("spec")
}

fn start() -> RunningDatabase {
    let config = DatabaseConfig::for_cpus(CpuSet::allowed().unwrap());
    RunningDatabase::start_in(&work_dir(), &spec_dir(), &config).unwrap()
}

fn a_cluster_that_cannot_start_fails_with_the_end_of_its_log() {
    let spec = tempfile::tempdir().unwrap();
    std::fs::create_dir(spec.path().join("postgres")).unwrap();
    let settings = std::fs::read_to_string(spec_dir().join("postgres/postgresql.conf")).unwrap();
    let broken = settings.replace("max_connections = 2000", "max_connections = many");
    std::fs::write(spec.path().join("postgres/postgresql.conf"), broken).unwrap();
    let config = DatabaseConfig::for_cpus(CpuSet::allowed().unwrap());
    let err = RunningDatabase::start_in(&work_dir(), spec.path(), &config).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, DatabaseError::Exited { .. }),
        "should exit while awaited: {text}"
    );
    assert!(
        text.contains("max_connections") && text.contains("many"),
        "{text}"
    );
    assert!(text.contains("target/stampede/logs/postgres-"), "{text}");
}

fn a_workspace_the_cluster_user_cannot_reach_gets_its_cluster_in_the_temporary_folder() {
    use std::os::unix::fs::PermissionsExt;
    // A private folder (as /root is): only the harness's own user may pass.
    let private = tempfile::tempdir().unwrap();
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let work = private.path().join("target/stampede");
    let config = DatabaseConfig::for_cpus(CpuSet::allowed().unwrap());
    let db = RunningDatabase::start_in(&work, &spec_dir(), &config).unwrap();
    let rows = count(&mut db.connect().unwrap(), "World");
    assert_eq!(rows, 10_000);
    let in_tmp = db
        .data_dir()
        .starts_with(std::env::temp_dir().join("stampede-postgres"));
    let in_work = db.data_dir().starts_with(&work);
    match db.run_as() {
        RunAs::User { .. } => assert!(in_tmp, "{}", db.data_dir().display()),
        RunAs::Current => assert!(in_work, "{}", db.data_dir().display()),
    }
}

fn count(client: &mut postgres::Client, table: &str) -> i64 {
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

fn a_started_cluster_holds_techempowers_tables_and_settings() {
    let db = start();
    let url = db.url();
    assert!(
        url.starts_with("postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:")
            && url.ends_with("/hello_world"),
        "{url}"
    );
    let mut client = db.connect().unwrap();
    for table in ["World", "\"World\""] {
        assert_eq!(count(&mut client, table), 10_000, "{table}");
        let row = client
            .query_one(
                &format!(
                    "SELECT min(id), max(id), min(randomNumber), max(randomNumber) FROM {table}"
                ),
                &[],
            )
            .unwrap();
        let (min_id, max_id): (i32, i32) = (row.get(0), row.get(1));
        let (min_n, max_n): (i32, i32) = (row.get(2), row.get(3));
        assert_eq!((min_id, max_id), (1, 10_000), "{table}");
        assert!(min_n >= 1 && max_n <= 10_000, "{table}: {min_n}..{max_n}");
    }
    for table in ["Fortune", "\"Fortune\""] {
        assert_eq!(count(&mut client, table), 12, "{table}");
        let messages: Vec<String> = client
            .query(&format!("SELECT message FROM {table} ORDER BY id"), &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(
            messages[10],
            "<script>alert(\"This should not be displayed in a browser alert box.\");</script>"
        );
        assert_eq!(messages[11], "フレームワークのベンチマーク");
    }
    let settings = std::fs::read_to_string(spec_dir().join("postgres/postgresql.conf")).unwrap();
    for name in ["fsync", "synchronous_commit", "full_page_writes"] {
        let row = client.query_one(&format!("SHOW {name}"), &[]).unwrap();
        assert_eq!(row.get::<_, String>(0), "off", "{name}");
    }
    let max: String = client
        .query_one("SHOW max_connections", &[])
        .unwrap()
        .get(0);
    assert!(
        settings.contains(&format!("max_connections = {max}\n")),
        "max_connections {max} is not the spec file's"
    );
    let preload: String = db
        .connect_superuser(DATABASE)
        .unwrap()
        .query_one("SHOW shared_preload_libraries", &[])
        .unwrap()
        .get(0);
    assert_eq!(preload, "pg_stat_statements");
    assert_runs_as_the_cluster_user(&db);
    assert_every_process_is_in_its_own_cgroup(&db);
}

/// Where this machine lets the harness make cgroups (as it does for servers), every process of
/// the cluster, backends included, is in the cluster's own, and its CPU time is read there.
fn assert_every_process_is_in_its_own_cgroup(db: &RunningDatabase) {
    let label = format!("pg-probe-{}", std::process::id());
    if ServerCgroup::create(&label).is_none() {
        eprintln!("no writable cgroup v2 hierarchy here: CPU comes from /proc ticks");
        assert_eq!(db.probe().cpu_source(), CpuSource::ProcTicks);
        return;
    }
    assert_eq!(db.probe().cpu_source(), CpuSource::Cgroup);
    assert!(db.probe().cpu_ns() > 0);
    let group = format!("/stampede-postgres-{}", db.addr().port());
    for pid in cluster_pids(db) {
        // A backend that ended after the listing has no cgroup file left to check.
        let Ok(lines) = std::fs::read_to_string(format!("/proc/{pid}/cgroup")) else {
            continue;
        };
        let cgroup = lines
            .lines()
            .find_map(|l| l.strip_prefix("0::"))
            .unwrap_or("");
        assert!(
            cgroup.ends_with(&group),
            "process {pid} is in {cgroup:?}, not {group}"
        );
    }
}

/// As root the server runs as `postgres` and owns its data; otherwise as the harness's user.
fn assert_runs_as_the_cluster_user(db: &RunningDatabase) {
    use std::os::unix::fs::MetadataExt;
    let status = std::fs::read_to_string(format!("/proc/{}/status", db.pid())).unwrap();
    let real_uid: u32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(real_uid, db.run_as().uid());
    assert_eq!(std::fs::metadata(db.data_dir()).unwrap().uid(), real_uid);
    if nix::unistd::Uid::effective().is_root() {
        assert!(matches!(db.run_as(), RunAs::User { name, .. } if name == "postgres"));
        assert_ne!(real_uid, 0);
    }
}

/// Park and Miller's minimal standard generator from seed 1, as spec/postgres/create.sql
/// documents it, computed here on its own: draw n (1-based) as 1 + x(n) mod 10000.
fn seeded_draws(count: usize) -> Vec<i32> {
    let mut x: i64 = 1;
    (0..count)
        .map(|_| {
            x = 48_271 * x % 2_147_483_647;
            i32::try_from(1 + x % 10_000).unwrap()
        })
        .collect()
}

fn every_run_starts_from_the_same_seeded_rows() {
    let expected = seeded_draws(20_000);
    let distinct: std::collections::BTreeSet<i32> = expected.iter().copied().collect();
    assert!(
        distinct.len() > 5_000,
        "the draws should spread over 1..10000"
    );
    for run in 0..2 {
        let db = start();
        let mut client = db.connect().unwrap();
        for (table, draws) in [
            ("World", &expected[..10_000]),
            ("\"World\"", &expected[10_000..]),
        ] {
            let rows: Vec<i32> = client
                .query(
                    &format!("SELECT randomNumber FROM {table} ORDER BY id"),
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            assert_eq!(rows, draws, "run {run}, {table}");
        }
        // As the updates workload does: the next run must not see it.
        client
            .execute("UPDATE World SET randomNumber = 0 WHERE id = 1", &[])
            .unwrap();
    }
}

fn the_role_reads_every_statements_counts_but_cannot_reset_them() {
    let db = start();
    let mut admin = db.connect_superuser(DATABASE).unwrap();
    admin
        .simple_query("SELECT count(*) FROM Fortune WHERE id > 7")
        .unwrap();
    let mut role = db.connect().unwrap();
    let rows = role
        .query(
            "SELECT s.query, s.calls FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid \
             WHERE r.rolname = 'postgres' AND s.query LIKE '%FROM Fortune WHERE id >%'",
            &[],
        )
        .unwrap();
    assert_eq!(
        rows.len(),
        1,
        "the superuser's statement should be listed once"
    );
    let text: String = rows[0].get(0);
    let calls: i64 = rows[0].get(1);
    assert!(text.contains("Fortune"), "readable text, got {text:?}");
    assert_eq!(calls, 1);
    let reset = role.simple_query("SELECT pg_stat_statements_reset()");
    let err = reset
        .unwrap_err()
        .as_db_error()
        .unwrap()
        .message()
        .to_owned();
    assert!(err.contains("permission denied"), "{err}");
    let own: i64 = role
        .query_one(
            "SELECT count(*) FROM pg_roles WHERE rolname = $1 AND NOT rolsuper",
            &[&ROLE],
        )
        .unwrap()
        .get(0);
    assert_eq!(own, 1, "{ROLE} exists and is not a superuser");
}

/// Pids of the cluster now: the server and every descendant (helpers, backends).
fn cluster_pids(db: &RunningDatabase) -> Vec<u32> {
    ServerProbe::new(db.pid(), None).pids()
}

fn stopping_or_dropping_the_cluster_leaves_no_postgresql_process_or_folder() {
    for stop in [true, false] {
        let db = start();
        // An open session: a backend process beside the server's helpers.
        let client = db.connect().unwrap();
        let pids = cluster_pids(&db);
        assert!(pids.len() >= 4, "server, helpers and a backend: {pids:?}");
        let folder = db.data_dir().parent().unwrap().to_path_buf();
        assert!(folder.is_dir());
        if stop {
            assert!(
                db.stop().is_some_and(|s| s.success()),
                "a clean fast shutdown"
            );
        } else {
            drop(db);
        }
        assert_postgres_gone(&pids);
        assert!(!folder.exists(), "{} is left", folder.display());
        drop(client);
    }
}

/// The child half of the SIGKILL trial.
fn own_a_cluster_until_killed(work_dir: &Path) {
    let config = DatabaseConfig::for_cpus(CpuSet::allowed().unwrap());
    let db = RunningDatabase::start_in(work_dir, &spec_dir(), &config).unwrap();
    let _client = db.connect().unwrap();
    let pids: Vec<String> = cluster_pids(&db).iter().map(u32::to_string).collect();
    println!("pids {}", pids.join(" "));
    // Bounded even if nobody kills it.
    std::thread::sleep(Duration::from_secs(60));
}

fn sigkill_of_the_owning_process_leaves_no_postgresql_process() {
    let mut owner = Command::new(std::env::current_exe().unwrap())
        .env(OWNER_ENV, work_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(owner.stdout.take().unwrap());
    let mut pids = Vec::new();
    for line in stdout.lines() {
        if let Some(rest) = line.unwrap().strip_prefix("pids ") {
            pids = rest
                .split_whitespace()
                .map(|p| p.parse().unwrap())
                .collect();
            break;
        }
    }
    assert!(
        pids.len() >= 4,
        "the owner should report its cluster: {pids:?}"
    );
    assert_eq!(
        postgres_left(&pids).len(),
        pids.len(),
        "the cluster runs before the kill"
    );
    kill(
        Pid::from_raw(i32::try_from(owner.id()).unwrap()),
        Signal::SIGKILL,
    )
    .unwrap();
    owner.wait().unwrap();
    assert_postgres_gone(&pids);
}
