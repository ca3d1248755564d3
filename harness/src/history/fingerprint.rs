//! What makes two runs comparable: the machine they ran on ([`Machine`] with the server/client
//! CPU split) and the mode. And a run as the history keeps it: [`RunMeta`], the run's identity
//! ([`crate::evidence::Run`]'s id, start, commit and branch) with what wrote it, filled from a
//! new run or from a record that carries the same fields.

use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::evidence::{
    Commit, Machine, Run, RunMode, compact_time, git_branch, rfc3339_utc, run_id,
};

/// The machine side of comparability. Two results are compared only when every field matches.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint {
    /// CPU model, cores and kernel.
    #[serde(flatten)]
    pub machine: Machine,
    /// Server CPU set, e.g. "0".
    pub server_cpus: String,
    /// Client CPU set, e.g. "1".
    pub client_cpus: String,
}

impl Fingerprint {
    /// A machine nothing is known about (records from before fingerprints were kept).
    pub fn unknown() -> Self {
        Self {
            machine: Machine::unknown(),
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
            machine: machine.clone(),
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
        let known = &fallback.machine;
        Self {
            machine: Machine {
                cpu_model: text("/machine/cpu_model", &known.cpu_model),
                cores: record
                    .pointer("/machine/cores")
                    .and_then(Value::as_u64)
                    .map_or(known.cores, |c| c as usize),
                kernel: text("/machine/kernel", &known.kernel),
            },
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
        let m = &self.machine;
        format!(
            "cpu={};cores={};kernel={};server={};client={}",
            m.cpu_model, m.cores, m.kernel, self.server_cpus, self.client_cpus
        )
    }

    /// One line for people, e.g. `AMD EPYC 7B13, 2 cores, kernel 6.1.0, server CPUs 0 / client 1`.
    pub fn describe(&self) -> String {
        let m = &self.machine;
        format!(
            "{}, {} cores, kernel {}, server CPUs {} / client {}",
            m.cpu_model, m.cores, m.kernel, self.server_cpus, self.client_cpus
        )
    }

    /// What differs from `other`, one phrase per field (`kernel 6.1 vs 6.2`); empty when the
    /// two are comparable.
    pub fn differences(&self, other: &Self) -> Vec<String> {
        let mut out = Vec::new();
        let (a, b) = (&self.machine, &other.machine);
        if a.cpu_model != b.cpu_model {
            out.push(format!("CPU {} vs {}", a.cpu_model, b.cpu_model));
        }
        if a.cores != b.cores {
            out.push(format!("{} vs {} cores", a.cores, b.cores));
        }
        if a.kernel != b.kernel {
            out.push(format!("kernel {} vs {}", a.kernel, b.kernel));
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
    /// How it measured. Only runs of the same mode are compared.
    pub mode: RunMode,
    /// The commit, stored as `git_commit` (without `-dirty`) and `dirty`.
    #[serde(flatten, with = "stored_commit")]
    pub commit: Commit,
    /// The branch checked out, when there is one.
    pub branch: Option<String>,
    /// The machine and CPU split; a record's own `machine` and `setup` fields take precedence.
    pub fingerprint: Fingerprint,
}

impl RunMeta {
    /// A new run of the workspace at `root`, starting now, on this machine.
    pub fn detect(root: &Path, source: &str, mode: RunMode, fingerprint: Fingerprint) -> Self {
        let now = SystemTime::now();
        Self {
            run_id: run_id(now),
            started_at: rfc3339_utc(now),
            source: source.to_owned(),
            mode,
            commit: Commit::detect(root),
            branch: git_branch(root),
            fingerprint,
        }
    }

    /// `run` as the history keeps it: written by `source`, its machine with the CPU split.
    pub fn of_run(run: &Run, source: &str, server_cpus: &str, client_cpus: &str) -> Self {
        Self {
            run_id: run.id.clone(),
            started_at: run.started_at.clone(),
            source: source.to_owned(),
            mode: run.mode,
            commit: run.commit.clone(),
            branch: run.branch.clone(),
            fingerprint: Fingerprint::of_machine(&run.machine, server_cpus, client_cpus),
        }
    }

    /// The run a record describes itself, for records read back from files: its `run_id`,
    /// `mode`, `git_commit`, `time`, `machine` and `setup` fields when present. A record without
    /// a `run_id` gets one derived from its commit and time, so importing twice adds nothing.
    pub fn of_record(record: &Value, source: &str, default_mode: RunMode) -> Self {
        let text = |key: &str| record.get(key).and_then(Value::as_str).map(str::to_owned);
        let time = text("time").unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
        let commit = Commit::parse(&text("git_commit").unwrap_or_else(|| "unknown".into()));
        let run_id = text("run_id").unwrap_or_else(|| {
            let short = Commit {
                hash: commit.hash.chars().take(12).collect(),
                dirty: commit.dirty,
            };
            format!("import-{short}-{}", compact_time(&time))
        });
        Self {
            run_id,
            started_at: time,
            source: source.to_owned(),
            mode: text("mode").map_or(default_mode, |m| RunMode::from_stored(&m)),
            commit,
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
            meta.mode = RunMode::from_stored(&mode);
        }
        if let Some(commit) = text("git_commit") {
            meta.commit = Commit::parse(&commit);
        }
        meta
    }
}

/// A commit in the history's run rows: `git_commit` without the suffix, and `dirty`.
mod stored_commit {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::evidence::Commit;

    #[derive(Serialize, Deserialize)]
    struct Stored<S> {
        git_commit: S,
        dirty: bool,
    }

    pub(super) fn serialize<Z: Serializer>(commit: &Commit, to: Z) -> Result<Z::Ok, Z::Error> {
        Stored {
            git_commit: &commit.hash,
            dirty: commit.dirty,
        }
        .serialize(to)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Commit, D::Error> {
        let stored = Stored::<String>::deserialize(from)?;
        Ok(Commit {
            hash: stored.git_commit,
            dirty: stored.dirty,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn machine() -> Fingerprint {
        Fingerprint {
            machine: Machine {
                cpu_model: "AMD EPYC 7B13".into(),
                cores: 2,
                kernel: "6.1.0".into(),
            },
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
        b.machine.kernel = "6.2.0".into();
        assert_eq!(a.differences(&b), ["kernel 6.1.0 vs 6.2.0"]);
        assert_ne!(a.short(), b.short());
        b.machine.cores = 4;
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
        assert_eq!(fp.machine.cpu_model, "Intel Xeon");
        assert_eq!(fp.machine.cores, 8);
        assert_eq!(fp.machine.kernel, "6.1.0");
        assert_eq!(fp.server_cpus, "0-3");
        assert_eq!(fp.client_cpus, "1");
    }

    #[test]
    fn a_record_without_run_fields_gets_a_stable_run_id_from_commit_and_time() {
        let record =
            json!({"git_commit": "0123456789abcdef0123-dirty", "time": "2026-11-22T13:45:00Z"});
        let a = RunMeta::of_record(&record, "import", RunMode::Unknown);
        let b = RunMeta::of_record(&record, "import", RunMode::Unknown);
        assert_eq!(a.run_id, "import-0123456789ab-dirty-20261122T134500Z");
        assert_eq!(a, b);
        assert!(a.commit.dirty);
        assert_eq!(a.commit.hash, "0123456789abcdef0123");
        assert_eq!(a.mode, RunMode::Unknown);
        let tagged = json!({"run_id": "r1", "mode": "quick", "git_commit": "abc"});
        let meta = RunMeta::of_record(&tagged, "import", RunMode::Unknown);
        assert_eq!((meta.run_id.as_str(), meta.mode.as_str()), ("r1", "quick"));
        assert_eq!(meta.commit.to_string(), "abc");
        let old = json!({"run_id": "r2", "mode": "nightly", "git_commit": "abc"});
        let meta = RunMeta::of_record(&old, "import", RunMode::Full);
        assert_eq!(
            meta.mode,
            RunMode::Unknown,
            "a mode this build does not know"
        );
    }

    #[test]
    fn a_record_that_names_its_run_and_mode_overrides_the_writer_s_guess() {
        let writer = RunMeta::of_record(&json!({"git_commit": "abc"}), "bench", RunMode::Full);
        let stated = writer
            .as_stated_by(&json!({"run_id": "r9", "mode": "quick", "git_commit": "def-dirty"}));
        assert_eq!(
            (stated.run_id.as_str(), stated.mode.as_str()),
            ("r9", "quick")
        );
        assert_eq!(stated.commit, Commit::parse("def-dirty"));
        assert_eq!(stated.source, "bench");
        assert_eq!(writer.as_stated_by(&json!({"id": "x"})), writer);
    }

    #[test]
    fn a_run_row_keeps_its_stored_field_names() {
        let meta = RunMeta::of_record(&json!({"git_commit": "abc-dirty"}), "import", RunMode::Full);
        let stored = serde_json::to_value(&meta).unwrap();
        assert_eq!(
            (&stored["git_commit"], &stored["dirty"]),
            (&json!("abc"), &json!(true))
        );
        assert_eq!(stored["fingerprint"]["cpu_model"], "unknown");
        let back: RunMeta = serde_json::from_value(stored).unwrap();
        assert_eq!(back, meta);
    }
}
