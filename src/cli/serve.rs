//! `stampede serve TARGET`: build, start, verify, then run until SIGINT or SIGTERM.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::{CpuSet, CpuSplit};
use stampede_harness::database::for_run::start_if_needed;
use stampede_harness::exposition::addr::parse_metrics_addr;
use stampede_harness::exposition::{MetricsListener, ServerMetrics};
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{load_spec, start_verified};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The target to serve.
    target: String,
    /// CPUs for the server (default: the first half of the allowed CPUs); WORKERS is its size.
    #[arg(long, value_parser = super::parse_cpus)]
    cpus: Option<CpuSet>,
    /// Stop by itself after this long (e.g. 30s) instead of waiting for a signal.
    #[arg(long, value_parser = super::parse_duration)]
    exit_after: Option<Duration>,
    /// Expose the server tree's CPU, memory, threads and descriptors in the Prometheus text
    /// format at http://ADDR/metrics (ADDR: PORT for 127.0.0.1:PORT, or HOST:PORT).
    #[arg(long, value_name = "ADDR", value_parser = metrics_addr)]
    metrics: Option<SocketAddr>,
    /// Also start the harness's PostgreSQL (seeded, private, stopped with the server) and give
    /// it to the server as DATABASE_URL, with DB_POOL_SIZE connections: the database routes
    /// (/db, /queries, /fortunes, /updates) then answer, and their cases are verified.
    #[arg(long)]
    database: bool,
    /// DB_POOL_SIZE with --database.
    #[arg(long, default_value_t = stampede_harness::database::link::DEFAULT_POOL_SIZE, requires = "database")]
    db_pool_size: usize,
    /// Test hook: panic after this long, to check that a panic leaves no server behind.
    #[arg(long, hide = true, value_parser = super::parse_duration)]
    panic_after: Option<Duration>,
}

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    // Registered first: a signal during the build or start is kept and acted on below.
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
    let catalog = Catalog::discover()?;
    let split = CpuSplit::resolve(args.cpus.clone(), None)?;
    let database = start_if_needed(&catalog, args.database, &split)?;
    let link = database.as_ref().map(|db| db.link(args.db_pool_size));
    if let Some(link) = &link {
        println!(
            "PostgreSQL at {} (DB_POOL_SIZE {})",
            link.url, link.pool_size
        );
    }
    let config = ServerConfig::for_cpus(split.server.clone()).with_database(link);
    let verified = start_verified(&catalog, &args.target, &config, load_spec(&catalog)?)?;
    let server = &verified.server;
    println!("listening on {}", server.base_url());
    println!(
        "pid {} (cpus {}, WORKERS {}, OFFLOAD_THREADS {}, log {})",
        server.pid(),
        config.cpus,
        config.workers,
        config.offload_threads,
        server.log_path().display()
    );
    let _listener = match args.metrics {
        Some(addr) => {
            if !addr.ip().is_loopback() {
                eprintln!(
                    "warning: metrics on {addr} are reachable from other hosts; they show the server's resource use, nothing more"
                );
            }
            let metrics = ServerMetrics::new(&args.target, server.probe(), config.cpus.len());
            let listener = MetricsListener::start(addr, metrics)?;
            println!("metrics at {}", listener.url());
            Some(listener)
        }
        None => None,
    };
    std::io::stdout().flush().ok();
    let why = wait_for_end(&mut signals, args);
    verified.server.stop();
    eprintln!("stopped {}: {why}", args.target);
    Ok(ExitCode::SUCCESS)
}

/// Blocks until SIGINT/SIGTERM or `--exit-after`; panics at `--panic-after`.
fn wait_for_end(signals: &mut Signals, args: &ServeArgs) -> String {
    let started = Instant::now();
    loop {
        if let Some(why) = super::stop_reason(signals, started, args.exit_after) {
            return why;
        }
        if args.panic_after.is_some_and(|d| started.elapsed() >= d) {
            panic!("--panic-after reached (test hook)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `--metrics` for clap.
fn metrics_addr(text: &str) -> Result<SocketAddr, String> {
    parse_metrics_addr(text).map_err(|e| e.to_string())
}
