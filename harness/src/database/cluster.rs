//! `RunningDatabase`: the `postgres` server process of one run's cluster, from `initdb` to reap.
//!
//! Started directly (not daemonised by `pg_ctl`) so the harness owns the process: in a process
//! group of its own, with the parent-death signal set after dropping to the cluster's user, on
//! the given CPUs, in a cgroup of its own for CPU accounting as the servers have. Readiness is a
//! real connection over the private socket, polled with a deadline. Dropping the guard stops the
//! server (fast shutdown, then immediate, then SIGKILL), kills whatever of it is left, and
//! removes the run's folder; the log stays in `target/stampede/logs/`.
//!
//! PostgreSQL's helpers and backends each start a session of their own (setsid), so they are
//! outside the server's process group; they exit by themselves when the server dies (each
//! watches for it), and the guard kills any left in the cgroup.
//!
//! As for servers, the parent-death signal fires when the *thread* that started the cluster
//! exits: start it from a thread that outlives it.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use postgres::{Client, NoTls};

use super::account::RunAs;
use super::folder::{ClusterFolder, SETTINGS_FILE};
use super::install::Installation;
use super::link::DatabaseLink;
use super::{DATABASE, DatabaseError, LOG_TAIL_LINES, PASSWORD, ROLE};
use crate::catalog::Catalog;
use crate::cpus::CpuSet;
use crate::metrics::ServerProbe;
use crate::metrics::cgroup::ServerCgroup;
use crate::metrics::procfs::{all_processes, tree_of};
use crate::process::{probe_of, stop_in_steps};

/// How long a fast shutdown (SIGINT: end sessions, checkpoint) may take before an immediate one.
pub const FAST_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long an immediate shutdown (SIGQUIT) may take before SIGKILL.
pub const IMMEDIATE_SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How to run the cluster.
#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    /// CPUs every PostgreSQL process is pinned to.
    pub cpus: CpuSet,
    /// How long to wait for the first connection.
    pub ready_timeout: Duration,
}

impl DatabaseConfig {
    /// PostgreSQL on `cpus`, 30 s to get ready.
    pub fn for_cpus(cpus: CpuSet) -> Self {
        Self {
            cpus,
            ready_timeout: Duration::from_secs(30),
        }
    }
}

/// A started, seeded, ready cluster. Dropping it stops the server and removes its folder.
#[derive(Debug)]
pub struct RunningDatabase {
    child: Option<Child>,
    port: u16,
    folder: ClusterFolder,
    log_path: PathBuf,
    cgroup: Option<ServerCgroup>,
    install: Installation,
    run_as: RunAs,
    cpus: CpuSet,
}

impl RunningDatabase {
    /// Starts the workspace's cluster: folders under its `target/stampede/`, settings and data
    /// from its `spec/postgres/`.
    pub fn start(catalog: &Catalog, config: &DatabaseConfig) -> Result<Self, DatabaseError> {
        let spec = crate::vectors::spec_dir(catalog.root());
        Self::start_in(&catalog.work_dir(), &spec, config)
    }

    /// Finds PostgreSQL, makes a fresh cluster in `work_dir/postgres/`, starts it, waits until
    /// it accepts connections, and loads `spec_dir`'s seed scripts.
    pub fn start_in(
        work_dir: &Path,
        spec_dir: &Path,
        config: &DatabaseConfig,
    ) -> Result<Self, DatabaseError> {
        let install = Installation::find()?;
        install.check_pg_stat_statements()?;
        let run_as = RunAs::decide()?;
        let folder = ClusterFolder::create(work_dir, &run_as)?;
        if let Some(line) = run_as.notice(&folder.root) {
            eprintln!("{line}");
        }
        // The guard exists from here on, so a failure below still removes the folder.
        let mut database = Self {
            child: None,
            port: 0,
            folder,
            log_path: PathBuf::new(),
            cgroup: None,
            install,
            run_as,
            cpus: config.cpus.clone(),
        };
        database.folder.init(
            &database.install,
            &database.run_as,
            &config.cpus,
            &spec_dir.join(SETTINGS_FILE),
        )?;
        // The port is taken just before the server binds it: a port found free before initdb's
        // seconds may be someone else's by then.
        let port = crate::process::free_port(Ipv4Addr::LOCALHOST).map_err(|source| {
            DatabaseError::Setup {
                what: "finding a free port on",
                path: PathBuf::from("127.0.0.1"),
                cause: source,
            }
        })?;
        let log_dir = work_dir.join("logs");
        database.port = port;
        database.log_path = log_dir.join(format!("postgres-{port}.log"));
        database.spawn(&log_dir, &config.cpus)?;
        database.wait_ready(config.ready_timeout)?;
        let folder = &database.folder;
        super::seed::load(
            &database.install,
            &folder.socket,
            port,
            spec_dir,
            &config.cpus,
        )?;
        database.reset_statement_counts()?;
        Ok(database)
    }

    fn spawn(&mut self, log_dir: &Path, cpus: &CpuSet) -> Result<(), DatabaseError> {
        let setup = |what: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |cause| DatabaseError::Setup { what, path, cause }
        };
        std::fs::create_dir_all(log_dir).map_err(setup("creating the log folder", log_dir))?;
        let log = std::fs::File::create(&self.log_path)
            .map_err(setup("creating the log file", &self.log_path))?;
        let log_for_stdout = log
            .try_clone()
            .map_err(setup("opening the log file", &self.log_path))?;
        let program = self.install.program("postgres");
        let mut command = std::process::Command::new(&program);
        command
            .arg("-D")
            .arg(&self.folder.data)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-p",
                &self.port.to_string(),
            ])
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.folder.socket.display()
            ))
            .current_dir(&self.folder.root)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(log_for_stdout)
            .stderr(log)
            .process_group(0);
        self.cgroup = ServerCgroup::create(&format!("postgres-{}", self.port));
        let procs = self.cgroup.as_ref().and_then(|g| g.procs_file().ok());
        crate::child_setup::die_with_parent_as(
            &mut command,
            cpus,
            procs,
            self.run_as.credentials(),
        );
        let child = command
            .spawn()
            .map_err(|source| DatabaseError::Spawn { program, source })?;
        if self
            .cgroup
            .as_ref()
            .is_some_and(|g| !g.pids().contains(&child.id()))
        {
            self.cgroup = None;
        }
        self.child = Some(child);
        Ok(())
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), DatabaseError> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            self.check_alive()?;
            if self.connect_superuser("postgres").is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(DatabaseError::NotReady {
            waited: started.elapsed(),
            log: self.log_path.display().to_string(),
            log_tail: self.log_tail(),
        })
    }

    /// `postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:PORT/hello_world`: what a target
    /// (or `psql`) connects to.
    pub fn url(&self) -> String {
        format!(
            "postgres://{ROLE}:{PASSWORD}@127.0.0.1:{}/{DATABASE}",
            self.port
        )
    }

    /// The TCP address it listens on (loopback).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Pid of the server (the postmaster), also its process-group id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// A handle for reading PostgreSQL's CPU time and memory from any thread: its cgroup when
    /// it has one, else the postmaster's process tree.
    pub fn probe(&self) -> ServerProbe {
        probe_of(self.child.as_ref(), self.cgroup.as_ref())
    }

    /// The installation it runs from.
    pub fn installation(&self) -> &Installation {
        &self.install
    }

    /// The user its processes run as.
    pub fn run_as(&self) -> &RunAs {
        &self.run_as
    }

    /// PGDATA.
    pub fn data_dir(&self) -> &Path {
        &self.folder.data
    }

    /// The folder of its Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.folder.socket
    }

    /// The server's log (stdout and stderr).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        crate::text::file_tail(&self.log_path, LOG_TAIL_LINES)
    }

    /// The targets' role over TCP with its password, as a target connects.
    pub fn connect(&self) -> Result<Client, DatabaseError> {
        Client::connect(&self.url(), NoTls).map_err(|source| {
            DatabaseError::query(format!("connecting as {ROLE} to {}", self.addr()), source)
        })
    }

    /// The superuser over the private socket, in `database`.
    pub fn connect_superuser(&self, database: &str) -> Result<Client, DatabaseError> {
        self.link(1).connect_superuser(database)
    }

    /// What a target and the harness's readings need of this cluster, for servers given pools
    /// of `pool_size` connections.
    pub fn link(&self, pool_size: usize) -> DatabaseLink {
        DatabaseLink {
            url: self.url(),
            port: self.port,
            socket_dir: self.folder.socket.clone(),
            probe: self.probe(),
            cpus: self.cpus.clone(),
            pool_size,
        }
    }

    /// The CPUs its processes run on.
    pub fn cpus(&self) -> &CpuSet {
        &self.cpus
    }

    /// Empties `pg_stat_statements`, so counts start from the run's first request (the seed
    /// scripts' statements are not counted).
    pub fn reset_statement_counts(&self) -> Result<(), DatabaseError> {
        let mut client = self.connect_superuser(DATABASE)?;
        client
            .simple_query("SELECT pg_stat_statements_reset()")
            .map_err(|source| DatabaseError::query("resetting pg_stat_statements", source))?;
        Ok(())
    }

    /// `Ok` while the server runs; the exit error (status and log tail) once it has exited.
    pub fn check_alive(&mut self) -> Result<(), DatabaseError> {
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        match child.try_wait() {
            Ok(Some(status)) => Err(DatabaseError::Exited {
                status,
                log: self.log_path.display().to_string(),
                log_tail: self.log_tail(),
            }),
            _ => Ok(()),
        }
    }

    /// Stops the server and removes the run's folder; returns the server's exit status.
    pub fn stop(mut self) -> Option<ExitStatus> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Option<ExitStatus> {
        let status = self.child.take().and_then(|child| self.shut_down(child));
        self.cgroup = None;
        self.folder.remove();
        status
    }

    /// Fast shutdown, then immediate, then SIGKILL; then SIGKILL to whatever of it is left.
    fn shut_down(&self, child: Child) -> Option<ExitStatus> {
        let pid = Pid::from_raw(i32::try_from(child.id()).ok()?);
        let tree: Vec<u32> = tree_of(child.id(), &all_processes())
            .iter()
            .map(|p| p.pid)
            .collect();
        let steps = [
            (Signal::SIGINT, FAST_SHUTDOWN_GRACE),
            (Signal::SIGQUIT, IMMEDIATE_SHUTDOWN_GRACE),
        ];
        let status = stop_in_steps(child, &steps, |signal| {
            let _ = kill(pid, signal);
        });
        let leftovers = match &self.cgroup {
            Some(group) => group.pids(),
            None => tree.into_iter().filter(|p| is_postgres(*p)).collect(),
        };
        for leftover in leftovers {
            if let Ok(raw) = i32::try_from(leftover) {
                let _ = kill(Pid::from_raw(raw), Signal::SIGKILL);
            }
        }
        status
    }
}

impl Drop for RunningDatabase {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// True when `pid` is (still) a PostgreSQL process, not one that reused its number.
fn is_postgres(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres")
}
