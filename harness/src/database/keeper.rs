//! The cluster `stampede db start` keeps by hand for `serve` and `load`: started, announced
//! in a small state file (`target/stampede/postgres/running.json`) for `db url` and `db stop`
//! to find, and stopped when the keeper is told to.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;

use super::{DatabaseConfig, DatabaseError, RunAs, RunningDatabase};
use crate::catalog::Catalog;
use crate::cpus::{CpuError, CpuSet, CpuSplit};

/// How long `stop` waits for the keeper to shut the cluster down.
pub const STOP_WAIT: Duration = Duration::from_secs(20);

/// Errors of the kept cluster, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    /// No keeper runs.
    #[error("no cluster is running: start one with `stampede db start`")]
    NotRunning,
    /// A keeper runs already.
    #[error("a cluster is already running at {url} (pid {pid}): stop it with `stampede db stop`")]
    AlreadyRunning {
        /// Its URL.
        url: String,
        /// The keeper's pid.
        pid: u32,
    },
    /// The state file is not JSON.
    #[error("reading {}", path.display())]
    ReadState {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// The state file lacks the pid or URL.
    #[error("{} is not a state file of `stampede db start`", path.display())]
    NotState {
        /// The file.
        path: PathBuf,
    },
    /// The state file could not be written.
    #[error("writing {}", path.display())]
    WriteState {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The keeper's pid does not fit a signal's.
    #[error("pid out of range")]
    PidRange(#[source] std::num::TryFromIntError),
    /// The keeper could not be signalled.
    #[error("signalling pid {pid}")]
    Signal {
        /// The keeper's pid.
        pid: u32,
        /// Why.
        source: nix::Error,
    },
    /// The keeper did not stop in time.
    #[error("`stampede db start` (pid {pid}) did not stop within {STOP_WAIT:?}")]
    StopTimeout {
        /// The keeper's pid.
        pid: u32,
    },
    /// The cluster failed.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// The CPU split.
    #[error(transparent)]
    Cpus(#[from] CpuError),
}

/// The state file under the workspace's `work_dir`.
pub fn state_file(work_dir: &Path) -> PathBuf {
    work_dir.join("postgres").join("running.json")
}

/// A cluster started for `stampede db start`, announced in its state file.
#[derive(Debug)]
pub struct KeptCluster {
    db: RunningDatabase,
    state: PathBuf,
    cpus: CpuSet,
}

impl KeptCluster {
    /// Starts a fresh, seeded cluster on `cpus` (default: the server's) unless one is kept
    /// already, and writes the state file.
    pub fn start(
        catalog: &Catalog,
        state: &Path,
        cpus: Option<CpuSet>,
    ) -> Result<Self, KeeperError> {
        if let Ok((pid, url)) = running(state) {
            return Err(KeeperError::AlreadyRunning { url, pid });
        }
        let cpus = match cpus {
            Some(cpus) => cpus,
            None => CpuSplit::resolve(None, None)?.server,
        };
        let db = RunningDatabase::start(catalog, &DatabaseConfig::for_cpus(cpus.clone()))?;
        let record = json!({
            "pid": std::process::id(),
            "url": db.url(),
            "postgres_pid": db.pid(),
            "cpus": cpus.to_string(),
        });
        std::fs::write(state, record.to_string()).map_err(|source| KeeperError::WriteState {
            path: state.to_path_buf(),
            source,
        })?;
        Ok(Self {
            db,
            state: state.to_path_buf(),
            cpus,
        })
    }

    /// What `db start` prints: the version and URL, then the pid, CPUs, user and files.
    pub fn describe(&self) -> String {
        let db = &self.db;
        let user = match db.run_as() {
            RunAs::Current => "the current user".to_owned(),
            RunAs::User { name, .. } => name.clone(),
        };
        format!(
            "PostgreSQL {} ready at {}\npid {} (cpus {}, user {user}, data {}, log {})",
            db.installation().version(),
            db.url(),
            db.pid(),
            self.cpus,
            db.data_dir().display(),
            db.log_path().display()
        )
    }

    /// Keeps the cluster until `stop_reason` gives a reason (polled every 20 ms), then stops it
    /// and removes the state file; the reason is returned. A cluster that dies is an error.
    pub fn keep_until(
        mut self,
        mut stop_reason: impl FnMut() -> Option<String>,
    ) -> Result<String, KeeperError> {
        let why = loop {
            if let Some(why) = stop_reason() {
                break why;
            }
            if let Err(err) = self.db.check_alive() {
                let _ = std::fs::remove_file(&self.state);
                return Err(err.into());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.db.stop();
        let _ = std::fs::remove_file(&self.state);
        Ok(why)
    }
}

/// The pid of the `stampede db start` that keeps the cluster, and its URL.
pub fn running(state: &Path) -> Result<(u32, String), KeeperError> {
    let text = std::fs::read_to_string(state).map_err(|_| KeeperError::NotRunning)?;
    let record: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| KeeperError::ReadState {
            path: state.to_path_buf(),
            source,
        })?;
    let pid = record["pid"].as_u64().and_then(|p| u32::try_from(p).ok());
    let url = record["url"].as_str().map(str::to_owned);
    let (Some(pid), Some(url)) = (pid, url) else {
        return Err(KeeperError::NotState {
            path: state.to_path_buf(),
        });
    };
    // A start that was SIGKILLed leaves its file; its pid is gone (or now someone else's).
    if !is_stampede(pid) {
        return Err(KeeperError::NotRunning);
    }
    Ok((pid, url))
}

fn is_stampede(pid: u32) -> bool {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let mine = std::env::current_exe().unwrap_or_default();
    exe == mine || exe.file_name() == Some(std::ffi::OsStr::new("stampede"))
}

/// Tells the keeper to stop (SIGTERM) and waits up to [`STOP_WAIT`]; returns the cluster's URL.
pub fn stop_kept(state: &Path) -> Result<String, KeeperError> {
    let (pid, url) = running(state)?;
    let raw = i32::try_from(pid).map_err(KeeperError::PidRange)?;
    kill(Pid::from_raw(raw), Signal::SIGTERM)
        .map_err(|source| KeeperError::Signal { pid, source })?;
    let deadline = Instant::now() + STOP_WAIT;
    while Instant::now() < deadline {
        if !PathBuf::from(format!("/proc/{pid}")).exists() || !is_stampede(pid) {
            return Ok(url);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(KeeperError::StopTimeout { pid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_state_file_no_cluster_is_running() {
        let dir = std::env::temp_dir().join(format!("stampede-keeper-{}", std::process::id()));
        let err = running(&dir.join("running.json")).unwrap_err();
        assert!(matches!(err, KeeperError::NotRunning), "{err}");
    }

    #[test]
    fn a_state_file_without_pid_and_url_is_named_as_not_ours() {
        let dir = std::env::temp_dir().join(format!("stampede-keeper-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let state = dir.join("running.json");
        std::fs::write(&state, r#"{"pid": "x"}"#).unwrap();
        let err = running(&state).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is not a state file of `stampede db start`")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
