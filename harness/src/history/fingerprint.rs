//! What makes two runs comparable: the machine they ran on (CPU model, cores, kernel, the
//! server/client CPU split) and the mode. And what a run is: [`RunMeta`], filled from the
//! run's context or from a record that carries the same fields.

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::evidence::{Machine, git_commit, rfc3339_utc};

/// The machine side of comparability. Two results are compared only when every field matches.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint {
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// Online CPUs.
    pub cores: usize,
    /// Kernel release.
    pub kernel: String,
    /// Server CPU set, e.g. "0".
    pub server_cpus: String,
    /// Client CPU set, e.g. "1".
    pub client_cpus: String,
}

impl Fingerprint {
    /// A machine nothing is known about (records from before fingerprints were kept).
    pub fn unknown() -> Self {
        Self {
            cpu_model: "unknown".into(),
            cores: 0,
            kernel: "unknown".into(),
            server_cpus: "unknown".into(),
            client_cpus: "unknown".into(),
        }
    }

    /// This machine with the given CPU split.
    pub fn detect(server_cpus: &str, client_cpus: &str) -> Self {
        Self::of_machine(&Machine::detect(), server_cpus, client_cpus)
    }

    /// A described machine with the given CPU split.
    pub fn of_machine(machine: &Machine, server_cpus: &str, client_cpus: &str) -> Self {
        Self {
            cpu_model: machine.cpu_model.clone(),
            cores: machine.cores,
            kernel: machine.kernel.clone(),
            server_cpus: server_cpus.to_owned(),
            client_cpus: client_cpus.to_owned(),
        }
    }

    /// The fingerprint a record states (`machine.*`, `setup.server_cpus`, `setup.client_cpus`);
    /// fields it lacks come from `fallback`.
    pub fn of_record(record: &Value, fallback: &Self) -> Self {
        let text = |pointer: &str, default: &str| {
            record
                .pointer(pointer)
                .and_then(Value::as_str)
                .map_or_else(|| default.to_owned(), str::to_owned)
        };
        Self {
            cpu_model: text("/machine/cpu_model", &fallback.cpu_model),
            cores: record
                .pointer("/machine/cores")
                .and_then(Value::as_u64)
                .map_or(fallback.cores, |c| c as usize),
            kernel: text("/machine/kernel", &fallback.kernel),
            server_cpus: text("/setup/server_cpus", &fallback.server_cpus),
            client_cpus: text("/setup/client_cpus", &fallback.client_cpus),
        }
    }

    /// A short stable name, 8 hex digits of a hash over every field.
    pub fn short(&self) -> String {
        let mut hash: u32 = 0x811c_9dc5;
        for byte in self.key().bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        format!("{hash:08x}")
    }

    /// The canonical text the database compares on.
    pub fn key(&self) -> String {
        format!(
            "cpu={};cores={};kernel={};server={};client={}",
            self.cpu_model, self.cores, self.kernel, self.server_cpus, self.client_cpus
        )
    }

    /// One line for people, e.g. `AMD EPYC 7B13, 2 cores, kernel 6.1.0, server CPUs 0 / client 1`.
    pub fn describe(&self) -> String {
        format!(
            "{}, {} cores, kernel {}, server CPUs {} / client {}",
            self.cpu_model, self.cores, self.kernel, self.server_cpus, self.client_cpus
        )
    }

    /// What differs from `other`, one phrase per field (`kernel 6.1 vs 6.2`); empty when the
    /// two are comparable.
    pub fn differences(&self, other: &Self) -> Vec<String> {
        let mut out = Vec::new();
        if self.cpu_model != other.cpu_model {
            out.push(format!("CPU {} vs {}", self.cpu_model, other.cpu_model));
        }
        if self.cores != other.cores {
            out.push(format!("{} vs {} cores", self.cores, other.cores));
        }
        if self.kernel != other.kernel {
            out.push(format!("kernel {} vs {}", self.kernel, other.kernel));
        }
        if self.server_cpus != other.server_cpus || self.client_cpus != other.client_cpus {
            out.push(format!(
                "CPU split server {} / client {} vs server {} / client {}",
                self.server_cpus, self.client_cpus, other.server_cpus, other.client_cpus
            ));
        }
        out
    }
}

/// One invocation of `cargo bench`, `stampede load` or `stampede compare`: what every record it
/// writes shares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// Unique per invocation.
    pub run_id: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// What wrote it: `bench`, `load`, `compare` or `import`.
    pub source: String,
    /// How it measured: `quick`, `full`, `cli`, `compare`, or `unknown` for old imports.
    /// Only runs of the same mode are compared.
    pub mode: String,
    /// `git rev-parse HEAD`, without the `-dirty` suffix.
    pub git_commit: String,
    /// The working tree had uncommitted changes.
    pub dirty: bool,
    /// The branch checked out, when there is one.
    pub branch: Option<String>,
    /// The machine and CPU split; a record's own `machine` and `setup` fields take precedence.
    pub fingerprint: Fingerprint,
}

impl RunMeta {
    /// A new run of the workspace at `root`, starting now, on this machine.
    pub fn detect(root: &Path, source: &str, mode: &str, fingerprint: Fingerprint) -> Self {
        let now = SystemTime::now();
        let (git_commit, dirty) = split_dirty(&git_commit(root));
        Self {
            run_id: new_run_id(now),
            started_at: rfc3339_utc(now),
            source: source.to_owned(),
            mode: mode.to_owned(),
            git_commit,
            dirty,
            branch: git_branch(root),
            fingerprint,
        }
    }

    /// The run a record describes itself, for records read back from files: its `run_id`,
    /// `mode`, `git_commit`, `time`, `machine` and `setup` fields when present. A record without
    /// a `run_id` gets one derived from its commit and time, so importing twice adds nothing.
    pub fn of_record(record: &Value, source: &str, default_mode: &str) -> Self {
        let text = |key: &str| record.get(key).and_then(Value::as_str).map(str::to_owned);
        let time = text("time").unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
        let (git_commit, dirty) =
            split_dirty(&text("git_commit").unwrap_or_else(|| "unknown".into()));
        let run_id = text("run_id").unwrap_or_else(|| {
            let short = &git_commit[..git_commit.len().min(12)];
            format!(
                "import-{short}{}-{}",
                if dirty { "-dirty" } else { "" },
                compact(&time)
            )
        });
        Self {
            run_id,
            started_at: time,
            source: source.to_owned(),
            mode: text("mode").unwrap_or_else(|| default_mode.to_owned()),
            git_commit,
            dirty,
            branch: text("branch"),
            fingerprint: Fingerprint::of_record(record, &Fingerprint::unknown()),
        }
    }

    /// This run as `record` states it: its own `run_id`, `mode` and `git_commit` take
    /// precedence (a record written by the runner knows its run best); the rest stays.
    pub fn as_stated_by(&self, record: &Value) -> Self {
        let text = |key: &str| record.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut meta = self.clone();
        if let Some(run_id) = text("run_id") {
            meta.run_id = run_id;
        }
        if let Some(mode) = text("mode") {
            meta.mode = mode;
        }
        if let Some(commit) = text("git_commit") {
            (meta.git_commit, meta.dirty) = split_dirty(&commit);
        }
        meta
    }

    /// The commit as stored in results: `-dirty` appended for uncommitted changes.
    pub fn commit_label(&self) -> String {
        if self.dirty {
            format!("{}-dirty", self.git_commit)
        } else {
            self.git_commit.clone()
        }
    }
}

/// `abc-dirty` -> (`abc`, true).
fn split_dirty(commit: &str) -> (String, bool) {
    match commit.strip_suffix("-dirty") {
        Some(clean) => (clean.to_owned(), true),
        None => (commit.to_owned(), false),
    }
}

/// `20261122T134500Z-4242`: the start time and the process id, unique on one machine.
fn new_run_id(now: SystemTime) -> String {
    format!("{}-{}", compact(&rfc3339_utc(now)), std::process::id())
}

/// `2026-11-22T13:45:00Z` -> `20261122T134500Z`.
fn compact(time: &str) -> String {
    time.chars().filter(|c| !matches!(c, '-' | ':')).collect()
}

fn git_branch(root: &Path) -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--abbrev-ref", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let branch = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    // A detached HEAD (CI checkouts, compare worktrees) has no branch.
    (!branch.is_empty() && branch != "HEAD").then_some(branch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn machine() -> Fingerprint {
        Fingerprint {
            cpu_model: "AMD EPYC 7B13".into(),
            cores: 2,
            kernel: "6.1.0".into(),
            server_cpus: "0".into(),
            client_cpus: "1".into(),
        }
    }

    #[test]
    fn identical_machines_match_and_share_a_short_name() {
        let (a, b) = (machine(), machine());
        assert!(a.differences(&b).is_empty());
        assert_eq!(a.short(), b.short());
        assert_eq!(a.short().len(), 8);
    }

    #[test]
    fn each_differing_field_is_named_as_a_reason() {
        let a = machine();
        let mut b = machine();
        b.kernel = "6.2.0".into();
        assert_eq!(a.differences(&b), ["kernel 6.1.0 vs 6.2.0"]);
        assert_ne!(a.short(), b.short());
        b.cores = 4;
        b.server_cpus = "0-1".into();
        b.client_cpus = "2-3".into();
        let reasons = a.differences(&b);
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].contains("2 vs 4 cores"));
        assert!(reasons[2].contains("server 0 / client 1 vs server 0-1 / client 2-3"));
    }

    #[test]
    fn a_record_overrides_the_fallback_only_where_it_states_a_field() {
        let record = json!({
            "machine": {"cpu_model": "Intel Xeon", "cores": 8},
            "setup": {"server_cpus": "0-3"}
        });
        let fp = Fingerprint::of_record(&record, &machine());
        assert_eq!(fp.cpu_model, "Intel Xeon");
        assert_eq!(fp.cores, 8);
        assert_eq!(fp.kernel, "6.1.0");
        assert_eq!(fp.server_cpus, "0-3");
        assert_eq!(fp.client_cpus, "1");
    }

    #[test]
    fn a_record_without_run_fields_gets_a_stable_run_id_from_commit_and_time() {
        let record =
            json!({"git_commit": "0123456789abcdef0123-dirty", "time": "2026-11-22T13:45:00Z"});
        let a = RunMeta::of_record(&record, "import", "unknown");
        let b = RunMeta::of_record(&record, "import", "unknown");
        assert_eq!(a.run_id, "import-0123456789ab-dirty-20261122T134500Z");
        assert_eq!(a, b);
        assert!(a.dirty);
        assert_eq!(a.git_commit, "0123456789abcdef0123");
        assert_eq!(a.mode, "unknown");
        let tagged = json!({"run_id": "r1", "mode": "quick", "git_commit": "abc"});
        let meta = RunMeta::of_record(&tagged, "import", "unknown");
        assert_eq!((meta.run_id.as_str(), meta.mode.as_str()), ("r1", "quick"));
        assert_eq!(meta.commit_label(), "abc");
    }

    #[test]
    fn a_record_that_names_its_run_and_mode_overrides_the_writer_s_guess() {
        let writer = RunMeta::of_record(&json!({"git_commit": "abc"}), "bench", "full");
        let stated = writer
            .as_stated_by(&json!({"run_id": "r9", "mode": "quick", "git_commit": "def-dirty"}));
        assert_eq!(
            (stated.run_id.as_str(), stated.mode.as_str()),
            ("r9", "quick")
        );
        assert_eq!((stated.git_commit.as_str(), stated.dirty), ("def", true));
        assert_eq!(stated.source, "bench");
        assert_eq!(writer.as_stated_by(&json!({"id": "x"})), writer);
    }
}
