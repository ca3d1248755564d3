//! What a count produced, as JSON: one file per target and workload under
//! `target/stampede/icount/`, for the summary to show beside server CPU per request.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::evidence::{read_json_dir, write_atomically};

/// Version of the record's layout; readers skip records of another version. 2: the fields
/// `schema`, `commit` and `recorded_at` took the result record's names (`schema_version`,
/// `git_commit`, `time`).
pub const RECORD_SCHEMA: u32 = 2;
/// The oldest layout still read: version 1's fields are read under their old names.
const OLDEST_READ: u32 = 1;

/// One repetition: one fresh server process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Repetition {
    /// Requests of the warm-up phase (not counted).
    pub warmup_requests: u64,
    /// Requests of the measured phase.
    pub measured_requests: u64,
    /// User-space instructions of the measured phase, all server processes together.
    pub instructions: u64,
    /// `instructions / measured_requests`.
    pub instructions_per_request: f64,
}

/// User-space instructions per request of one target and workload, over k repetitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IcountRecord {
    /// [`RECORD_SCHEMA`].
    #[serde(alias = "schema")]
    pub schema_version: u32,
    /// Target name.
    pub target: String,
    /// Workload name, e.g. `hash:1000`.
    pub workload: String,
    /// Median over the repetitions of instructions per request.
    pub instructions_per_request: f64,
    /// (max - min) / median over the repetitions, in percent.
    pub spread_pct: f64,
    /// Every repetition, in the order run.
    pub repetitions: Vec<Repetition>,
    /// The counting tool and its version, e.g. `callgrind (valgrind-3.19.0)`.
    pub tool: String,
    /// The catalog's determinism settings the server ran with (environment, then arguments).
    pub settings: String,
    /// Commit of the workspace measured (`-dirty` when it had changes).
    #[serde(alias = "commit")]
    pub git_commit: String,
    /// When the count finished (RFC 3339, UTC).
    #[serde(alias = "recorded_at")]
    pub time: String,
}

/// A record for tests here and in the integration tests: one process per figure of
/// `per_request` (1,000 measured requests each) under callgrind, commit `abc1234`, 2026-01-01.
#[cfg(any(test, feature = "test-support"))]
pub fn fixture(target: &str, workload: &str, per_request: &[f64]) -> IcountRecord {
    IcountRecord {
        schema_version: RECORD_SCHEMA,
        target: target.into(),
        workload: workload.into(),
        instructions_per_request: super::spread::median(per_request).unwrap_or_default(),
        spread_pct: super::spread::spread_pct(per_request).unwrap_or_default(),
        repetitions: per_request
            .iter()
            .map(|&f| Repetition {
                warmup_requests: 200,
                measured_requests: 1000,
                instructions: (f * 1000.0) as u64,
                instructions_per_request: f,
            })
            .collect(),
        tool: "callgrind (valgrind-3.19.0)".into(),
        settings: String::new(),
        git_commit: "abc1234".into(),
        time: "2026-01-01T00:00:00Z".into(),
    }
}

/// What user-space instruction counts leave out, for reports that show them.
pub const BLIND_SPOTS: &str = "User-space instructions counted by Valgrind: deterministic, but \
    blind to kernel work and system calls, lock contention, cache and memory stalls and \
    multi-core scaling, which the duet and CPU time see.";

impl IcountRecord {
    /// The record's file name: `<target>__<workload>.json` (`:` becomes `-`).
    pub fn file_name(&self) -> String {
        file_name(&self.target, &self.workload)
    }

    /// Writes the record into `dir` (created if missing), atomically; returns its path.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_atomically(dir, &self.file_name(), (text + "\n").as_bytes())
    }
}

/// `<target>__<workload>.json` with `:` replaced by `-`.
pub fn file_name(target: &str, workload: &str) -> String {
    format!("{target}__{}.json", workload.replace(':', "-"))
}

/// Where `stampede icount` writes its records under a workspace's `target/stampede`.
pub fn records_dir(work_dir: &Path) -> PathBuf {
    work_dir.join("icount")
}

/// Every record of a layout this build reads in `dir`, sorted by target then workload; files
/// that cannot be read or are of another layout are named in the second list.
pub fn read_records(dir: &Path) -> (Vec<IcountRecord>, Vec<String>) {
    let (all, mut skipped) = read_json_dir::<IcountRecord>(dir);
    let (mut records, other): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|r| (OLDEST_READ..=RECORD_SCHEMA).contains(&r.schema_version));
    skipped.extend(other.iter().map(|r| {
        format!(
            "{}: layout {} is newer than this stampede reads",
            r.file_name(),
            r.schema_version
        )
    }));
    records.sort_by(|a, b| (&a.target, &a.workload).cmp(&(&b.target, &b.workload)));
    (records, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(target: &str, workload: &str) -> IcountRecord {
        fixture(target, workload, &[17_062.0])
    }

    #[test]
    fn records_round_trip_through_their_files_sorted_and_foreign_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let b = record("nethttp", "hash:1000");
        let a = record("actix", "plaintext");
        assert_eq!(
            b.write_to(dir.path()).unwrap().file_name().unwrap(),
            "nethttp__hash-1000.json"
        );
        a.write_to(dir.path()).unwrap();
        std::fs::write(dir.path().join("other.json"), "{}").unwrap();
        let (records, skipped) = read_records(dir.path());
        assert_eq!(records, [a, b]);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].contains("other.json"), "{skipped:?}");
    }

    #[test]
    fn a_record_of_the_first_layout_still_loads_under_the_new_field_names() {
        let dir = tempfile::tempdir().unwrap();
        let old = r#"{"schema": 1, "target": "actix", "workload": "plaintext",
            "instructions_per_request": 17062.0, "spread_pct": 0.0, "repetitions": [],
            "tool": "callgrind (valgrind-3.19.0)", "settings": "", "commit": "abc1234-dirty",
            "recorded_at": "2026-01-01T00:00:00Z"}"#;
        std::fs::write(dir.path().join("actix__plaintext.json"), old).unwrap();
        let (records, skipped) = read_records(dir.path());
        assert!(skipped.is_empty(), "{skipped:?}");
        let r = &records[0];
        assert_eq!(
            (r.schema_version, r.git_commit.as_str(), r.time.as_str()),
            (1, "abc1234-dirty", "2026-01-01T00:00:00Z")
        );
    }
}
