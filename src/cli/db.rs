//! `stampede db start|stop|url`: the harness's PostgreSQL cluster by hand, for `serve` and
//! `load`. `start` keeps the cluster until Ctrl-C, SIGTERM or `stampede db stop`, and leaves a
//! small state file (`target/stampede/postgres/running.json`) for `url` and `stop` to find it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Subcommand;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::{CpuSet, CpuSplit};
use stampede_harness::database::{DatabaseConfig, RunAs, RunningDatabase};

/// How long `stop` waits for `start` to shut the cluster down.
const STOP_WAIT: Duration = Duration::from_secs(20);

#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Start a fresh, seeded cluster, print its URL, and keep it until Ctrl-C or SIGTERM.
    Start {
        /// CPUs for PostgreSQL (default: the server's, the first half of the allowed CPUs).
        #[arg(long, value_parser = super::parse_cpus)]
        cpus: Option<CpuSet>,
        /// Stop by itself after this long (e.g. 30s) instead of waiting for a signal.
        #[arg(long, value_parser = super::parse_duration)]
        exit_after: Option<Duration>,
    },
    /// Stop the cluster that `stampede db start` keeps.
    Stop,
    /// Print the URL of the running cluster (for DATABASE_URL=$(stampede db url)).
    Url,
}

pub(crate) fn run(command: &DbCommand) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::discover()?;
    let state = catalog.work_dir().join("postgres").join("running.json");
    match command {
        DbCommand::Start { cpus, exit_after } => start(&catalog, &state, cpus.clone(), *exit_after),
        DbCommand::Url => {
            let (_, url) = running(&state)?;
            println!("{url}");
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Stop => stop(&state),
    }
}

fn start(
    catalog: &Catalog,
    state: &Path,
    cpus: Option<CpuSet>,
    exit_after: Option<Duration>,
) -> anyhow::Result<ExitCode> {
    // Registered first: a signal during the start is kept and acted on below.
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
    if let Ok((pid, url)) = running(state) {
        bail!("a cluster is already running at {url} (pid {pid}): stop it with `stampede db stop`");
    }
    let cpus = match cpus {
        Some(cpus) => cpus,
        None => CpuSplit::resolve(None, None)?.server,
    };
    let mut db = RunningDatabase::start(catalog, &DatabaseConfig::for_cpus(cpus.clone()))?;
    let record = json!({ "pid": std::process::id(), "url": db.url(), "postgres_pid": db.pid() });
    std::fs::write(state, record.to_string())
        .with_context(|| format!("writing {}", state.display()))?;
    let user = match db.run_as() {
        RunAs::Current => "the current user".to_owned(),
        RunAs::User { name, .. } => name.clone(),
    };
    println!(
        "PostgreSQL {} ready at {}",
        db.installation().version(),
        db.url()
    );
    println!(
        "pid {} (cpus {cpus}, user {user}, data {}, log {})",
        db.pid(),
        db.data_dir().display(),
        db.log_path().display()
    );
    std::io::stdout().flush().ok();
    let started = Instant::now();
    let why = loop {
        if let Some(signal) = signals.pending().next() {
            break format!("signal {signal}");
        }
        if exit_after.is_some_and(|d| started.elapsed() >= d) {
            break "--exit-after reached".to_owned();
        }
        if let Err(err) = db.check_alive() {
            let _ = std::fs::remove_file(state);
            return Err(err.into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    db.stop();
    let _ = std::fs::remove_file(state);
    eprintln!("stopped PostgreSQL: {why}");
    Ok(ExitCode::SUCCESS)
}

/// The pid of the `stampede db start` that keeps the cluster, and its URL.
fn running(state: &Path) -> anyhow::Result<(u32, String)> {
    let none = || anyhow::anyhow!("no cluster is running: start one with `stampede db start`");
    let text = std::fs::read_to_string(state).map_err(|_| none())?;
    let record: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("reading {}", state.display()))?;
    let pid = record["pid"].as_u64().and_then(|p| u32::try_from(p).ok());
    let url = record["url"].as_str().map(str::to_owned);
    let (Some(pid), Some(url)) = (pid, url) else {
        bail!(
            "{} is not a state file of `stampede db start`",
            state.display()
        );
    };
    // A start that was SIGKILLed leaves its file; its pid is gone (or now someone else's).
    if !is_stampede(pid) {
        return Err(none());
    }
    Ok((pid, url))
}

fn is_stampede(pid: u32) -> bool {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let mine = std::env::current_exe().unwrap_or_default();
    exe == mine || exe.file_name() == Some(std::ffi::OsStr::new("stampede"))
}

fn stop(state: &Path) -> anyhow::Result<ExitCode> {
    let (pid, url) = running(state)?;
    let raw = i32::try_from(pid).context("pid out of range")?;
    kill(Pid::from_raw(raw), Signal::SIGTERM).with_context(|| format!("signalling pid {pid}"))?;
    let deadline = Instant::now() + STOP_WAIT;
    while Instant::now() < deadline {
        if !PathBuf::from(format!("/proc/{pid}")).exists() || !is_stampede(pid) {
            println!("stopped the cluster at {url}");
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("`stampede db start` (pid {pid}) did not stop within {STOP_WAIT:?}")
}
