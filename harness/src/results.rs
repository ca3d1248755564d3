//! Results: one JSON file per benchmark ID, written the moment it finishes
//! (`target/stampede/results/<id>.json`), so a later failure never loses earlier results.
//! Each carries its evidence: errors by kind, server CPU and memory, the CPU sets and pool
//! sizes, toolchain, machine and commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::CLIENT_BOUND_BELOW;
use crate::report::LatencyUs;

/// A run with more errors than this share of attempts is invalid.
pub const INVALID_ERROR_RATIO: f64 = 0.001;

/// The machine a result was measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// Online CPUs.
    pub cores: usize,
    /// Kernel release.
    pub kernel: String,
}

impl Machine {
    /// Reads this machine's description.
    pub fn detect() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        Self {
            cpu_model,
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            kernel,
        }
    }
}

/// What every result of one run shares: the machine and the commit.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// The machine.
    pub machine: Machine,
    /// The commit of the workspace.
    pub git_commit: String,
}

impl RunContext {
    /// Reads the machine and the commit of the workspace at `root`.
    pub fn detect(root: &Path) -> Self {
        Self {
            machine: Machine::detect(),
            git_commit: git_commit(root),
        }
    }
}

/// How the server and client were set up for a result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// Server CPU set, e.g. "0".
    pub server_cpus: String,
    /// Client CPU set, e.g. "1".
    pub client_cpus: String,
    /// WORKERS given to the server (`None` when it does not apply).
    pub workers: Option<usize>,
    /// OFFLOAD_THREADS given to the server.
    pub offload_threads: usize,
    /// Load connections.
    pub connections: usize,
    /// Constant rate, for open-loop runs.
    pub rate_per_sec: Option<f64>,
}

/// Server-side figures of a result.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerEvidence {
    /// Server CPU seconds / (wall seconds x server cores).
    pub cpu_busy: f64,
    /// Server CPU microseconds per successful request.
    pub cpu_us_per_request: Option<f64>,
    /// Highest summed RSS of the server tree.
    pub peak_rss_bytes: u64,
    /// Server cores.
    pub cores: usize,
}

/// One benchmark ID's result with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    /// `<workload>/<target>/<param>`.
    pub id: String,
    /// Workload family (the Criterion group).
    pub workload: String,
    /// Target name.
    pub target: String,
    /// The parameter part of the id, e.g. `c64`.
    pub param: String,
    /// Language and framework from the catalog.
    pub language: String,
    /// Framework and mode from the catalog.
    pub framework: String,
    /// Toolchain version line (`go version ...`, `cargo ...`, `v20...`).
    pub toolchain: String,
    /// Successful responses.
    pub requests: u64,
    /// Failed attempts.
    pub errors: u64,
    /// Failed attempts by kind.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Successful responses per second of timed load.
    pub requests_per_sec: f64,
    /// Latency percentiles, microseconds.
    pub latency_us: LatencyUs,
    /// Server figures.
    pub server: ServerEvidence,
    /// True when server cpu_busy was below 0.9: something else limited the run.
    pub client_bound: bool,
    /// True when errors exceeded 0.1% of attempts: not a valid measurement.
    pub invalid: bool,
    /// CPU sets, pools and connections.
    pub setup: Setup,
    /// The machine.
    pub machine: Machine,
    /// `git rev-parse HEAD`, with `-dirty` for uncommitted changes.
    pub git_commit: String,
    /// When the result was written (RFC 3339, UTC).
    pub time: String,
}

impl ResultRecord {
    /// Sets the `client_bound` and `invalid` flags from the figures.
    pub fn with_flags(mut self) -> Self {
        self.client_bound = self.server.cpu_busy < CLIENT_BOUND_BELOW;
        let attempts = self.requests + self.errors;
        self.invalid = attempts == 0 || self.errors as f64 / attempts as f64 > INVALID_ERROR_RATIO;
        self
    }

    /// The file name for this id: slashes become `__`.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.id.replace('/', "__"))
    }

    /// Writes `dir/<id>.json` (atomically: a temporary file then a rename).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(self.file_name());
        let tmp = dir.join(format!(".{}.tmp", self.file_name()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// Reads every result in `dir`, sorted by id; unreadable files are returned as errors beside.
pub fn read_all(dir: &Path) -> (Vec<ResultRecord>, Vec<String>) {
    let (mut records, mut problems) = (Vec::new(), Vec::new());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (records, problems);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        match std::fs::read(&path).map(|bytes| serde_json::from_slice::<ResultRecord>(&bytes)) {
            Ok(Ok(record)) => records.push(record),
            Ok(Err(err)) => problems.push(format!("{}: {err}", path.display())),
            Err(err) => problems.push(format!("{}: {err}", path.display())),
        }
    }
    records.sort_by(|a, b| a.id.cmp(&b.id));
    (records, problems)
}

/// The commit of the workspace at `root`, `-dirty` when it has uncommitted changes.
pub fn git_commit(root: &Path) -> String {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(commit) => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}-dirty")
            } else {
                commit
            }
        }
        None => "unknown".into(),
    }
}

/// `time` as RFC 3339 in UTC, e.g. `2026-11-22T13:45:00Z`.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm), valid for dates after 1970.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The summary's fixture record with these figures, flags recomputed.
    fn record(id: &str, cpu_busy: f64, requests: u64, errors: u64) -> ResultRecord {
        let mut r = crate::summary::fixtures::record(id, 1000.0, 100, 8);
        r.server.cpu_busy = cpu_busy;
        r.requests = requests;
        r.errors = errors;
        r.with_flags()
    }

    #[test]
    fn low_server_cpu_flags_client_bound_and_errors_above_a_thousandth_flag_invalid() {
        assert!(!record("json/actix/c64", 0.95, 10_000, 10).client_bound);
        assert!(record("json/actix/c64", 0.85, 10_000, 0).client_bound);
        assert!(!record("json/actix/c64", 0.95, 10_000, 10).invalid);
        assert!(record("json/actix/c64", 0.95, 10_000, 11).invalid);
        assert!(record("json/actix/c64", 0.95, 0, 0).invalid);
    }

    #[test]
    fn results_are_written_one_file_per_id_and_read_back_sorted() {
        let dir = tempfile::tempdir().unwrap();
        record("json/b/c1", 1.0, 1, 0).write_to(dir.path()).unwrap();
        let path = record("json/a/c1", 1.0, 1, 0).write_to(dir.path()).unwrap();
        assert!(path.ends_with("json__a__c1.json"));
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        let (records, problems) = read_all(dir.path());
        let ids: Vec<_> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["json/a/c1", "json/b/c1"]);
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn times_format_as_rfc3339_utc() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_354_200);
        assert_eq!(rfc3339_utc(t), "2026-11-22T13:30:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_utc(leap), "2000-02-29T00:00:00Z");
    }
}
