//! A run as the history keeps it: [`KeptRun`], the run itself ([`Run`]: id, start, mode, commit,
//! branch, machine, toolchains: the type records use) with the command that wrote it and the CPU
//! split, made from a new run or from a record that states the same fields. Stored in the
//! `runs` table under the field names the history has always used.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::fingerprint::Fingerprint;
use crate::evidence::{Commit, Run, RunMode, compact_time};

/// The command that wrote a run into the history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `cargo bench`.
    Bench,
    /// `stampede load --target`.
    Load,
    /// `stampede compare`, its head side.
    Compare,
    /// `stampede icount`.
    Icount,
    /// `stampede history import`: result files written earlier.
    Import,
}

impl Source {
    /// The name stored in the history's `source` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bench => "bench",
            Self::Load => "load",
            Self::Compare => "compare",
            Self::Icount => "icount",
            Self::Import => "import",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run in the history: what every record it appends shares.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptRun {
    /// The run: id, start, mode, commit, branch and machine. A record's own `machine` field
    /// takes precedence for that record's fingerprint.
    pub run: Run,
    /// What wrote it.
    pub source: Source,
    /// Server CPU set, e.g. "0"; a record's own `setup.server_cpus` takes precedence.
    pub server_cpus: String,
    /// Client CPU set, e.g. "1"; a record's own `setup.client_cpus` takes precedence.
    pub client_cpus: String,
}

impl KeptRun {
    /// `run` as the history keeps it: written by `source`, measured with the given CPU split.
    pub fn new(run: Run, source: Source, server_cpus: &str, client_cpus: &str) -> Self {
        Self {
            run,
            source,
            server_cpus: server_cpus.to_owned(),
            client_cpus: client_cpus.to_owned(),
        }
    }

    /// The run's machine with its CPU split: what its records are compared on unless they
    /// state their own.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_machine(&self.run.machine, &self.server_cpus, &self.client_cpus)
    }

    /// The run a record describes itself, for records read back from files: its `run_id`,
    /// `mode`, `git_commit`, `time`, `branch`, `machine` and `setup` fields when present. A
    /// record without a `run_id` gets one derived from its commit and time, so importing twice
    /// adds nothing; one without a mode gets `default_mode`, one with a mode this build does
    /// not know gets [`RunMode::Unknown`].
    pub fn of_record(record: &Value, source: Source, default_mode: RunMode) -> Self {
        let text = |key: &str| record.get(key).and_then(Value::as_str).map(str::to_owned);
        let time = text("time").unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
        let commit = Commit::parse(&text("git_commit").unwrap_or_else(|| "unknown".into()));
        let id = text("run_id").unwrap_or_else(|| {
            let short = Commit {
                hash: commit.hash.chars().take(12).collect(),
                dirty: commit.dirty,
            };
            format!("import-{short}-{}", compact_time(&time))
        });
        let fingerprint = Fingerprint::of_record(record, &Fingerprint::unknown());
        Self {
            run: Run {
                id,
                started_at: time,
                mode: text("mode").map_or(default_mode, |m| RunMode::from_stored(&m)),
                commit,
                branch: text("branch"),
                machine: fingerprint.machine,
                toolchains: BTreeMap::new(),
            },
            source,
            server_cpus: fingerprint.server_cpus,
            client_cpus: fingerprint.client_cpus,
        }
    }

    /// This run as `record` states it: its own `run_id`, `mode` and `git_commit` take
    /// precedence (a record written by the runner knows its run best); the rest stays.
    pub fn as_stated_by(&self, record: &Value) -> Self {
        let text = |key: &str| record.get(key).and_then(Value::as_str);
        let mut kept = self.clone();
        if let Some(id) = text("run_id") {
            kept.run.id = id.to_owned();
        }
        if let Some(mode) = text("mode") {
            kept.run.mode = RunMode::from_stored(mode);
        }
        if let Some(commit) = text("git_commit") {
            kept.run.commit = Commit::parse(commit);
        }
        kept
    }
}

/// The `runs` table's `meta_json`, field for field as the history has always written it: the
/// commit as `git_commit` without `-dirty` and `dirty`, the machine and split as `fingerprint`.
#[derive(Serialize)]
struct Stored<'a> {
    run_id: &'a str,
    started_at: &'a str,
    source: Source,
    mode: RunMode,
    git_commit: &'a str,
    dirty: bool,
    branch: Option<&'a str>,
    fingerprint: Fingerprint,
    /// Absent in runs stored before runs knew their toolchains, and in imported ones.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    toolchains: &'a BTreeMap<String, String>,
}

impl Serialize for KeptRun {
    fn serialize<S: Serializer>(&self, to: S) -> Result<S::Ok, S::Error> {
        Stored {
            run_id: &self.run.id,
            started_at: &self.run.started_at,
            source: self.source,
            mode: self.run.mode,
            git_commit: &self.run.commit.hash,
            dirty: self.run.commit.dirty,
            branch: self.run.branch.as_deref(),
            fingerprint: self.fingerprint(),
            toolchains: &self.run.toolchains,
        }
        .serialize(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_without_run_fields_gets_a_stable_run_id_from_commit_and_time() {
        let record =
            json!({"git_commit": "0123456789abcdef0123-dirty", "time": "2026-11-22T13:45:00Z"});
        let a = KeptRun::of_record(&record, Source::Import, RunMode::Unknown);
        let b = KeptRun::of_record(&record, Source::Import, RunMode::Unknown);
        assert_eq!(a.run.id, "import-0123456789ab-dirty-20261122T134500Z");
        assert_eq!(a, b);
        assert!(a.run.commit.dirty);
        assert_eq!(a.run.commit.hash, "0123456789abcdef0123");
        assert_eq!(a.run.mode, RunMode::Unknown);
        let tagged = json!({"run_id": "r1", "mode": "quick", "git_commit": "abc"});
        let kept = KeptRun::of_record(&tagged, Source::Import, RunMode::Unknown);
        assert_eq!(
            (kept.run.id.as_str(), kept.run.mode),
            ("r1", RunMode::Quick)
        );
        assert_eq!(kept.run.commit.to_string(), "abc");
        let old = json!({"run_id": "r2", "mode": "nightly", "git_commit": "abc"});
        let kept = KeptRun::of_record(&old, Source::Import, RunMode::Full);
        assert_eq!(
            kept.run.mode,
            RunMode::Unknown,
            "a mode this build does not know"
        );
    }

    #[test]
    fn a_record_that_names_its_run_and_mode_overrides_the_writer_s_guess() {
        let writer =
            KeptRun::of_record(&json!({"git_commit": "abc"}), Source::Bench, RunMode::Full);
        let stated = writer
            .as_stated_by(&json!({"run_id": "r9", "mode": "quick", "git_commit": "def-dirty"}));
        assert_eq!(
            (stated.run.id.as_str(), stated.run.mode),
            ("r9", RunMode::Quick)
        );
        assert_eq!(stated.run.commit, Commit::parse("def-dirty"));
        assert_eq!(stated.source, Source::Bench);
        assert_eq!(writer.as_stated_by(&json!({"id": "x"})), writer);
    }

    #[test]
    fn a_record_s_machine_and_split_become_the_run_s_fingerprint() {
        let record = json!({
            "machine": {"cpu_model": "X", "cores": 2, "kernel": "6"},
            "setup": {"server_cpus": "0", "client_cpus": "1"}
        });
        let kept = KeptRun::of_record(&record, Source::Import, RunMode::Full);
        assert_eq!(
            kept.fingerprint(),
            Fingerprint::of_record(&record, &Fingerprint::unknown())
        );
        assert_eq!(kept.run.machine.cpu_model, "X");
    }

    #[test]
    fn a_run_row_keeps_its_stored_field_names_in_their_order() {
        let record = json!({
            "git_commit": "abc-dirty", "run_id": "r1", "time": "2026-11-22T13:45:00Z",
            "branch": "main", "machine": {"cpu_model": "X", "cores": 2, "kernel": "6"},
            "setup": {"server_cpus": "0", "client_cpus": "1"}
        });
        let kept = KeptRun::of_record(&record, Source::Import, RunMode::Full);
        assert_eq!(
            serde_json::to_string(&kept).unwrap(),
            r#"{"run_id":"r1","started_at":"2026-11-22T13:45:00Z","source":"import","mode":"full","git_commit":"abc","dirty":true,"branch":"main","fingerprint":{"cpu_model":"X","cores":2,"kernel":"6","server_cpus":"0","client_cpus":"1"}}"#
        );
    }
}
