//! The database's own ceiling: the most single-row reads per second this cluster serves here,
//! measured by PostgreSQL's own `pgbench` with the query the targets make for `/db`, over as many
//! connections as a target's pool, from the load client's CPUs (as our HTTP load runs), while
//! PostgreSQL stays on its own. A target's `/db` requests/s as a fraction of it says whether the
//! framework or the database is what a user is looking at.
//!
//! pgbench logs in as the targets' role, so its statements count in `pg_stat_statements` as a
//! target's do: it must never run during a measured window. The benches run it once, right
//! after the cluster starts and before any group, then reset the counts.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::install::Installation;
use super::link::DatabaseLink;
use super::pgbench::PgbenchReport;
use crate::cpus::CpuSet;
use crate::metrics::procfs::{parse_proc_stat, tree_cpu_ns};
use crate::metrics::{ServerProbe, cpu_busy};
use crate::output::{Format, Render, RenderError, json_pretty, unsupported};

/// pgbench's script: TechEmpower's single query, one random World row, as the targets make it.
pub const SCRIPT: &str =
    "\\set id random(1, 10000)\nSELECT id, randomnumber FROM world WHERE id = :id;\n";
/// How long pgbench reads: long enough for a steady figure, short enough to run every time.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(3);
/// What pgbench may take beyond its duration (connecting, ending) before it is killed.
pub const OVERRUN_GRACE: Duration = Duration::from_secs(30);
/// How often pgbench's CPU time is read while it runs: the last reading misses at most this
/// much of its life, a few percent of [`DEFAULT_DURATION`].
pub const CPU_EVERY: Duration = Duration::from_millis(100);
/// pgbench this busy set the figure itself: it is then a floor of the ceiling. The records'
/// client-bound threshold (`evidence::BUSY_AT_LEAST`, not imported: evidence reads this module).
pub const CLIENT_BUSY_AT_LEAST: f64 = 0.9;
/// Lines of pgbench's output quoted in errors.
pub const OUTPUT_TAIL_LINES: usize = 20;
/// The ceiling's file, under the workspace's `target/stampede/` (beside `results/`, whose
/// readers expect result records only).
pub const CEILING_FILE: &str = "database/ceiling.json";

/// Errors of measuring the ceiling, each naming what failed.
#[derive(Debug, thiserror::Error)]
pub enum CeilingError {
    /// pgbench could not be started.
    #[error(
        "cannot run pgbench ({}): {source}; it comes with the PostgreSQL server (`apt-get install postgresql` on Debian)",
        program.display()
    )]
    Spawn {
        /// The program.
        program: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// pgbench ended with an error.
    #[error("pgbench failed with {status}:\n{output_tail}")]
    Failed {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The end of its output.
        output_tail: String,
    },
    /// pgbench ran past its duration and was killed.
    #[error("pgbench did not end within {waited:?} and was killed")]
    Overran {
        /// How long it was given.
        waited: Duration,
    },
    /// Its output lacks a figure, or shows failed reads.
    #[error("pgbench's output {why}:\n{output_tail}")]
    Unreadable {
        /// What is wrong with it.
        why: String,
        /// The end of its output.
        output_tail: String,
    },
    /// The counts could not be emptied after pgbench.
    #[error("emptying pg_stat_statements after pgbench: {0}")]
    Reset(#[source] super::DatabaseError),
    /// The ceiling's file could not be written or read.
    #[error("{what} {}: {source}", path.display())]
    File {
        /// The step.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The most single-row reads per second the cluster served, as pgbench measured it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ceiling {
    /// pgbench's `tps` without initial connection time: each transaction is one read.
    pub reads_per_sec: f64,
    /// pgbench's mean latency of one read, in milliseconds.
    pub latency_avg_ms: f64,
    /// Reads done.
    pub reads: u64,
    /// pgbench's CPU seconds / its wall seconds (one thread): at [`CLIENT_BUSY_AT_LEAST`] or more
    /// the client, not the database, set the figure, which is then a floor of the ceiling.
    #[serde(default)]
    pub client_cpu_busy: Option<f64>,
    /// PostgreSQL's CPU seconds / (wall seconds x its cores) while pgbench ran, connecting
    /// included; when the harness started it (not for a kept cluster).
    #[serde(default)]
    pub database_cpu_busy: Option<f64>,
    /// pgbench's connections: a target's pool size.
    pub connections: usize,
    /// How long pgbench read.
    pub seconds: f64,
    /// pgbench's version, e.g. `15.18`.
    pub pgbench_version: String,
    /// The CPUs pgbench ran on (the load client's).
    pub cpus: String,
    /// The CPUs PostgreSQL ran on, when known.
    pub database_cpus: Option<String>,
    /// The benchmark run it was measured in; none from `stampede db ceiling`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
}

impl Ceiling {
    /// The one line the benches and `stampede db ceiling` print.
    pub fn line(&self) -> String {
        let busy = match self.database_cpu_busy {
            Some(busy) => format!(" (cpu_busy {busy:.2})"),
            None => String::new(),
        };
        let database = match &self.database_cpus {
            Some(cpus) => format!("PostgreSQL on CPUs {cpus}{busy}"),
            None => "PostgreSQL on its own CPUs".to_owned(),
        };
        let client = match self.client_cpu_busy {
            Some(busy) if busy >= CLIENT_BUSY_AT_LEAST => {
                format!(" (cpu_busy {busy:.2}: client-bound, a floor of the ceiling)")
            }
            Some(busy) => format!(" (cpu_busy {busy:.2})"),
            None => String::new(),
        };
        format!(
            "pgbench ceiling: {:.0} single-row reads/s over {} connections ({:.0} s, mean {:.3} ms; \
             pgbench {} on CPUs {}{client}, {database})",
            self.reads_per_sec,
            self.connections,
            self.seconds,
            self.latency_avg_ms,
            self.pgbench_version,
            self.cpus
        )
    }

    /// Writes it to `work_dir`'s [`CEILING_FILE`], replacing the last one.
    pub fn write_to(&self, work_dir: &Path) -> Result<PathBuf, CeilingError> {
        let path = work_dir.join(CEILING_FILE);
        let file = |what| {
            let path = path.clone();
            move |source| CeilingError::File { what, path, source }
        };
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::from);
        let dir = path.parent().unwrap_or(work_dir);
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, text? + "\n"))
            .map_err(file("writing"))?;
        Ok(path)
    }

    /// The ceiling last written to `work_dir`; `None` when there is none or it is unreadable.
    pub fn read_from(work_dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(work_dir.join(CEILING_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// `stampede db ceiling`: its line, or the ceiling as JSON.
impl Render for Ceiling {
    const NAME: &'static str = "the database ceiling";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(self.line() + "\n"),
            Format::Json => json_pretty::<Self, _>(self),
            other => Err(unsupported::<Self>(other)),
        }
    }
}

/// One pgbench run.
#[derive(Clone, Debug)]
pub struct CeilingPlan {
    /// The cluster as the targets reach it (their role, over TCP).
    pub url: String,
    /// pgbench's connections.
    pub connections: usize,
    /// How long it reads (`-T`, whole seconds, at least 1).
    pub duration: Duration,
    /// The CPUs pgbench runs on: the load client's.
    pub client_cpus: CpuSet,
    /// The CPUs PostgreSQL runs on, for the record.
    pub database_cpus: Option<CpuSet>,
    /// PostgreSQL's CPU time, when the harness started it: whether the database was busy.
    pub database_probe: Option<ServerProbe>,
}

impl CeilingPlan {
    /// The cluster of `link`, over as many connections as its pools, for [`DEFAULT_DURATION`].
    pub fn for_link(link: &DatabaseLink, client_cpus: CpuSet) -> Self {
        Self {
            url: link.url.clone(),
            connections: link.pool_size,
            duration: DEFAULT_DURATION,
            client_cpus,
            database_cpus: Some(link.cpus.clone()),
            database_probe: Some(link.probe.clone()),
        }
    }

    /// pgbench's arguments: no vacuum (there are no pgbench tables), prepared statements as
    /// the targets' drivers use, one thread (one client CPU), the script on stdin.
    pub fn args(&self) -> Vec<String> {
        let seconds = self.duration.as_secs().max(1);
        let args = [
            "-n",
            "-M",
            "prepared",
            "-c",
            &self.connections.max(1).to_string(),
            "-j",
            "1",
            "-T",
            &seconds.to_string(),
            "-f",
            "-",
            &self.url,
        ];
        args.iter().map(|a| (*a).to_owned()).collect()
    }

    /// Runs pgbench as planned and reads its figures.
    pub fn measure(&self, pgbench: &Path) -> Result<Ceiling, CeilingError> {
        let database_before = self.database_probe.as_ref().map(ServerProbe::cpu_ns);
        let started = Instant::now();
        let (output, client_cpu_busy) = self.run(pgbench)?;
        let wall_seconds = started.elapsed().as_secs_f64();
        let cores = self.database_cpus.as_ref().map_or(1, CpuSet::len);
        let database_cpu_busy =
            self.database_probe
                .as_ref()
                .zip(database_before)
                .map(|(probe, before)| {
                    let seconds = probe.cpu_ns().saturating_sub(before) as f64 / 1e9;
                    cpu_busy(seconds, wall_seconds, cores)
                });
        let text = String::from_utf8_lossy(&output.stdout);
        let tail = || crate::text::output_tail(&output, OUTPUT_TAIL_LINES);
        if !output.status.success() {
            return Err(CeilingError::Failed {
                status: output.status,
                output_tail: tail(),
            });
        }
        let report = PgbenchReport::parse(&text).map_err(|why| CeilingError::Unreadable {
            why,
            output_tail: tail(),
        })?;
        Ok(Ceiling {
            reads_per_sec: report.tps,
            latency_avg_ms: report.latency_avg_ms,
            reads: report.transactions,
            client_cpu_busy,
            database_cpu_busy,
            connections: self.connections,
            seconds: self.duration.as_secs().max(1) as f64,
            pgbench_version: report.version,
            cpus: self.client_cpus.to_string(),
            database_cpus: self.database_cpus.as_ref().map(ToString::to_string),
            run_id: None,
        })
    }

    /// Spawns pgbench on the client's CPUs, feeds it the script, and waits a bounded time,
    /// sampling its CPU time meanwhile; returns its output and its CPU busy share.
    fn run(&self, pgbench: &Path) -> Result<(Output, Option<f64>), CeilingError> {
        let mut command = Command::new(pgbench);
        command
            .args(self.args())
            // No PGHOST, PGPASSFILE or ~/.psqlrc of the user's: the URL says everything.
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        crate::child_setup::die_with_parent_on_cpus(&mut command, &self.client_cpus, None);
        let spawn_error = |source| CeilingError::Spawn {
            program: pgbench.to_path_buf(),
            source,
        };
        let mut child = command.spawn().map_err(spawn_error)?;
        // The script is far smaller than a pipe's buffer: this write cannot block.
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(SCRIPT.as_bytes()).map_err(spawn_error)?;
        }
        let raw_pid = child.id();
        let started = Instant::now();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || sender.send(child.wait_with_output()));
        let waited = self.duration + OVERRUN_GRACE;
        // pgbench runs one thread: its own CPU time, read until it ends, over the wall time.
        let mut busy = None;
        let output = loop {
            match receiver.recv_timeout(CPU_EVERY) {
                Ok(output) => break output,
                Err(mpsc::RecvTimeoutError::Timeout) if started.elapsed() < waited => {
                    let stat = std::fs::read_to_string(format!("/proc/{raw_pid}/stat"));
                    if let Some(stat) = stat.ok().and_then(|t| parse_proc_stat(&t)) {
                        let cpu_seconds = tree_cpu_ns(&[stat]) as f64 / 1e9;
                        busy = Some(cpu_busy(cpu_seconds, started.elapsed().as_secs_f64(), 1));
                    }
                }
                Err(_) => {
                    if let Ok(pid) = i32::try_from(raw_pid) {
                        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                    }
                    return Err(CeilingError::Overran { waited });
                }
            }
        };
        Ok((output.map_err(spawn_error)?, busy))
    }
}

/// The ceiling of a run's fresh cluster, measured before any group over `pool_size`
/// connections from `client_cpus`, kept in `work_dir` for the summary as `run_id`'s; then the
/// statement counts are emptied again, so pgbench's reads are never a target's.
pub fn measure_before_groups(
    db: &super::RunningDatabase,
    pool_size: usize,
    client_cpus: &CpuSet,
    run_id: &str,
    work_dir: &Path,
) -> Result<Ceiling, CeilingError> {
    let plan = CeilingPlan::for_link(&db.link(pool_size), client_cpus.clone());
    let measured = plan.measure(&pgbench_program(Some(db.installation())));
    db.reset_statement_counts().map_err(CeilingError::Reset)?;
    let ceiling = Ceiling {
        run_id: Some(run_id.to_owned()),
        ..measured?
    };
    ceiling.write_to(work_dir)?;
    Ok(ceiling)
}

/// pgbench from `install`'s folder, else the one on `PATH`.
pub fn pgbench_program(install: Option<&Installation>) -> PathBuf {
    install
        .map(|i| i.program("pgbench"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("pgbench"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_is_client_bound_where_a_records_client_is() {
        assert_eq!(CLIENT_BUSY_AT_LEAST, crate::evidence::BUSY_AT_LEAST);
    }

    #[test]
    fn pgbench_is_asked_for_prepared_reads_from_one_thread_for_whole_seconds() {
        let plan = CeilingPlan {
            url: "postgres://u:p@127.0.0.1:5432/hello_world".to_owned(),
            connections: 16,
            duration: Duration::from_millis(3500),
            client_cpus: CpuSet::new(vec![1]),
            database_cpus: None,
            database_probe: None,
        };
        let args = plan.args().join(" ");
        assert_eq!(
            args,
            "-n -M prepared -c 16 -j 1 -T 3 -f - postgres://u:p@127.0.0.1:5432/hello_world"
        );
    }

    #[test]
    fn a_missing_pgbench_is_an_error_naming_the_program_and_the_package() {
        let plan = CeilingPlan {
            url: "postgres://u:p@127.0.0.1:1/x".to_owned(),
            connections: 1,
            duration: Duration::from_secs(1),
            client_cpus: CpuSet::new(Vec::new()),
            database_cpus: None,
            database_probe: None,
        };
        let err = plan
            .measure(Path::new("/nonexistent/stampede-pgbench"))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/nonexistent/stampede-pgbench"), "{text}");
        assert!(text.contains("apt-get install"), "{text}");
    }

    #[test]
    fn a_ceiling_written_is_read_back_and_its_line_names_reads_connections_and_cpus() {
        let dir = tempfile::tempdir().unwrap();
        let ceiling = Ceiling {
            reads_per_sec: 21817.5,
            latency_avg_ms: 0.733,
            reads: 61941,
            client_cpu_busy: Some(0.36),
            database_cpu_busy: Some(0.98),
            connections: 16,
            seconds: 3.0,
            pgbench_version: "15.18".to_owned(),
            cpus: "1".to_owned(),
            database_cpus: Some("0".to_owned()),
            run_id: Some("20261207T000000Z-1".to_owned()),
        };
        let path = ceiling.write_to(dir.path()).unwrap();
        assert!(path.ends_with("database/ceiling.json"));
        assert_eq!(Ceiling::read_from(dir.path()), Some(ceiling.clone()));
        assert_eq!(
            ceiling.line(),
            "pgbench ceiling: 21818 single-row reads/s over 16 connections (3 s, mean 0.733 ms; \
             pgbench 15.18 on CPUs 1 (cpu_busy 0.36), PostgreSQL on CPUs 0 (cpu_busy 0.98))"
        );
        let busy = Ceiling {
            client_cpu_busy: Some(0.95),
            ..ceiling
        };
        assert!(
            busy.line()
                .contains("(cpu_busy 0.95: client-bound, a floor of the ceiling)")
        );
    }
}
