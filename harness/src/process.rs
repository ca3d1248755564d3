//! Process: `RunningServer` owns a target's process tree from spawn to reap.
//!
//! The child runs in its own process group, pinned to the server CPU set, with a parent-death
//! signal so that it dies with the harness even when the harness is SIGKILLed. Readiness is
//! polled on `/healthz` with a deadline; dropping the guard stops the whole group (SIGTERM,
//! 2 s grace, SIGKILL, reap).
//!
//! The parent-death signal fires when the *thread* that spawned the child exits: spawn from a
//! thread that outlives the server (the main thread in the CLI and benches, the test's thread
//! in tests).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use crate::catalog::{Catalog, Target};
use crate::cpus::CpuSet;
use crate::database::DatabaseLink;
use crate::metrics::ServerProbe;
use crate::metrics::cgroup::ServerCgroup;

/// Lines of stderr quoted in errors.
pub const STDERR_TAIL_LINES: usize = 20;
/// How long a target has to exit after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(2);

/// Errors starting, watching or stopping a target.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Setup around the spawn failed (port, log file, ...).
    #[error("starting `{target}`: {what}: {source}")]
    Setup {
        /// The target.
        target: String,
        /// The step that failed.
        what: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The server command could not be executed.
    #[error(
        "starting `{target}`: cannot run {command:?}: {source} (was it built? try `stampede verify {target}`)"
    )]
    Spawn {
        /// The target.
        target: String,
        /// The command line.
        command: String,
        /// Why exec failed.
        source: std::io::Error,
    },
    /// The server did not answer `/healthz` in time.
    #[error(
        "`{target}` did not answer GET /healthz with 200 within {waited:?}; last lines of its stderr ({log}):\n{stderr_tail}"
    )]
    NotReady {
        /// The target.
        target: String,
        /// How long the harness waited.
        waited: Duration,
        /// Log file path.
        log: String,
        /// End of the log.
        stderr_tail: String,
    },
    /// The server exited on its own.
    #[error(
        "`{target}` exited with {status}; last {STDERR_TAIL_LINES} lines of its stderr ({log}):\n{stderr_tail}"
    )]
    Exited {
        /// The target.
        target: String,
        /// Its exit status.
        status: ExitStatus,
        /// Log file path.
        log: String,
        /// End of the log.
        stderr_tail: String,
    },
}

/// How to run a target: CPUs and pool sizes.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// CPUs the server's process tree is pinned to.
    pub cpus: CpuSet,
    /// `WORKERS`: request-handling threads or processes.
    pub workers: usize,
    /// `OFFLOAD_THREADS`: size of the offload pool.
    pub offload_threads: usize,
    /// `HOST` to bind.
    pub host: Ipv4Addr,
    /// How long to wait for `/healthz`.
    pub ready_timeout: Duration,
    /// The harness's PostgreSQL, given as `DATABASE_URL` and `DB_POOL_SIZE`; `None`: neither is
    /// set and the database routes answer 503.
    pub database: Option<DatabaseLink>,
}

impl ServerConfig {
    /// The default: WORKERS and OFFLOAD_THREADS equal to the size of the CPU set, loopback.
    pub fn for_cpus(cpus: CpuSet) -> Self {
        let n = cpus.len().max(1);
        Self {
            cpus,
            workers: n,
            offload_threads: n,
            host: Ipv4Addr::LOCALHOST,
            ready_timeout: Duration::from_secs(30),
            database: None,
        }
    }

    /// The same, with the database given to the server.
    pub fn with_database(mut self, link: Option<DatabaseLink>) -> Self {
        self.database = link;
        self
    }
}

/// A started, ready target. Dropping it stops the whole process group.
#[derive(Debug)]
pub struct RunningServer {
    target: String,
    child: Option<Child>,
    addr: SocketAddr,
    log_path: PathBuf,
    config: ServerConfig,
    /// The server's own cgroup, for complete CPU accounting; `None` where none can be made.
    cgroup: Option<ServerCgroup>,
}

impl RunningServer {
    /// Spawns `target` as the catalog says and waits until `/healthz` answers 200.
    pub fn start(
        catalog: &Catalog,
        target: &Target,
        config: &ServerConfig,
    ) -> Result<Self, ProcessError> {
        let setup = |what: &'static str| {
            let name = target.name.clone();
            move |source| ProcessError::Setup {
                target: name,
                what,
                source,
            }
        };
        crate::limits::raise_open_files();
        let port = free_port(config.host).map_err(setup("finding a free port"))?;
        let log_dir = catalog.work_dir().join("logs");
        std::fs::create_dir_all(&log_dir).map_err(setup("creating the log folder"))?;
        let log_path = log_dir.join(format!("{}-{port}.log", target.name));
        let log = std::fs::File::create(&log_path).map_err(setup("creating the log file"))?;
        let log_for_stdout = log.try_clone().map_err(setup("opening the log file"))?;

        let (mut command, command_text) = catalog.start_command(target);
        command
            .env("HOST", config.host.to_string())
            .env("PORT", port.to_string())
            .env("WORKERS", config.workers.to_string())
            .env("OFFLOAD_THREADS", config.offload_threads.to_string())
            .envs(&target.env)
            .stdin(Stdio::null())
            .stdout(log_for_stdout)
            .stderr(log)
            .process_group(0);
        // Never inherited: a target sees a database only when the harness gives it one.
        command
            .env_remove("DATABASE_URL")
            .env_remove("DB_POOL_SIZE");
        if let Some(database) = &config.database {
            command
                .env("DATABASE_URL", &database.url)
                .env("DB_POOL_SIZE", database.pool_size.to_string());
        }
        let mut cgroup = ServerCgroup::create(&format!("{}-{port}", target.name));
        let procs = cgroup.as_ref().and_then(|g| g.procs_file().ok());
        crate::child_setup::die_with_parent_on_cpus(&mut command, &config.cpus, procs);
        let child = command.spawn().map_err(|source| ProcessError::Spawn {
            target: target.name.clone(),
            command: command_text,
            source,
        })?;
        if cgroup
            .as_ref()
            .is_some_and(|g| !g.pids().contains(&child.id()))
        {
            cgroup = None;
        }
        let mut server = Self {
            target: target.name.clone(),
            child: Some(child),
            addr: SocketAddr::from((config.host, port)),
            log_path,
            config: config.clone(),
            cgroup,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// The target's name.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// `http://HOST:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Pid of the server's main process (also its process-group id).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// A handle for reading the server's CPU time and memory from any thread.
    pub fn probe(&self) -> ServerProbe {
        probe_of(self.child.as_ref(), self.cgroup.as_ref())
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Path of the captured stdout/stderr.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log_path
    }

    /// Last lines of the server's stderr.
    pub fn stderr_tail(&self) -> String {
        crate::text::file_tail(&self.log_path, STDERR_TAIL_LINES)
    }

    /// `Ok` while the server runs; the exit error (status and stderr tail) once it has exited.
    pub fn check_alive(&mut self) -> Result<(), ProcessError> {
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        match child.try_wait() {
            Ok(Some(status)) => Err(self.exited(status)),
            _ => Ok(()),
        }
    }

    fn exited(&self, status: ExitStatus) -> ProcessError {
        ProcessError::Exited {
            target: self.target.clone(),
            status,
            log: self.log_path.display().to_string(),
            stderr_tail: self.stderr_tail(),
        }
    }

    fn wait_ready(&mut self) -> Result<(), ProcessError> {
        let started = Instant::now();
        let deadline = started + self.config.ready_timeout;
        while Instant::now() < deadline {
            self.check_alive()?;
            if health_ok(self.addr) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(ProcessError::NotReady {
            target: self.target.clone(),
            waited: started.elapsed(),
            log: self.log_path.display().to_string(),
            stderr_tail: self.stderr_tail(),
        })
    }

    /// Stops the process group: SIGTERM, up to 2 s grace, then SIGKILL; reaps the child.
    /// Returns the exit status of the main process.
    pub fn stop(mut self) -> Option<ExitStatus> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Option<ExitStatus> {
        let child = self.child.take()?;
        let group = Pid::from_raw(i32::try_from(child.id()).ok()?);
        let status = stop_in_steps(child, &[(Signal::SIGTERM, STOP_GRACE)], |signal| {
            let _ = killpg(group, signal);
        });
        // Whatever is left of the group (workers that outlived the leader) is killed.
        let _ = killpg(group, Signal::SIGKILL);
        status
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// A handle for reading the CPU time and memory of a child the harness started: from its
/// cgroup when it has one, else from its process tree.
pub(crate) fn probe_of(child: Option<&Child>, cgroup: Option<&ServerCgroup>) -> ServerProbe {
    ServerProbe::new(
        child.map_or(0, Child::id),
        cgroup.map(|g| g.dir().to_path_buf()),
    )
}

/// Stops `child` in steps: each signal (sent by `send`, to the child or its group), then up to
/// its grace period for the child to exit; SIGKILL and a reap when no step worked. Returns the
/// child's exit status (`None` when it cannot be reaped).
pub(crate) fn stop_in_steps(
    mut child: Child,
    steps: &[(Signal, Duration)],
    send: impl Fn(Signal),
) -> Option<ExitStatus> {
    let pid = Pid::from_raw(i32::try_from(child.id()).ok()?);
    for &(signal, grace) in steps {
        send(signal);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = kill(pid, Signal::SIGKILL);
    child.wait().ok()
}

/// A port the OS reports free on `host` right now. For an address this namespace does not have
/// (a server in a network namespace of its own), a port free on any local address is taken.
pub fn free_port(host: Ipv4Addr) -> std::io::Result<u16> {
    let listener = match TcpListener::bind((host, 0)) {
        Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
            TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))?
        }
        other => other?,
    };
    Ok(listener.local_addr()?.port())
}

/// One `GET /healthz` with `Connection: close`; true on a 200.
pub fn health_ok(addr: SocketAddr) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: stampede\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200"))
    };
    attempt().unwrap_or(false)
}
