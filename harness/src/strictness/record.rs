//! A target's probe results as one JSON file, `target/stampede/conformance/<target>.json`,
//! written by `stampede conformance` and by `cargo bench`, read by the summary; and the text
//! table the command prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::evidence::{read_json_dir, write_atomically};

use super::run::ProbeResult;
use super::{Level, Owner, Verdict};

/// Schema of [`StrictnessRecord`]; records of another schema are not read. 2: the fields
/// `schema`, `commit` and `recorded_at` took the result record's names (`schema_version`,
/// `git_commit`, `time`).
pub const RECORD_SCHEMA: u32 = 2;
/// The oldest schema still read: version 1's fields are read under their old names.
const OLDEST_READ: u32 = 1;

/// One target's results against the whole table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrictnessRecord {
    /// [`RECORD_SCHEMA`].
    #[serde(alias = "schema")]
    pub schema_version: u32,
    /// Catalog name, or the URL's host and port for `--url`.
    pub target: String,
    /// Framework with its version when known.
    pub framework: String,
    /// Commit of the workspace.
    #[serde(alias = "commit")]
    pub git_commit: String,
    /// RFC 3339 UTC.
    #[serde(alias = "recorded_at")]
    pub time: String,
    /// One per probe played, in table order.
    pub probes: Vec<ProbeResult>,
    /// Set when the target stopped answering and later probes did not run.
    pub stopped: Option<String>,
}

/// Pass, lenient and fail counts of one RFC level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub lenient: usize,
    pub fail: usize,
}

impl Counts {
    /// `39/41` (passes of all played), lenient and failed said apart elsewhere.
    pub fn total(self) -> usize {
        self.pass + self.lenient + self.fail
    }
}

impl StrictnessRecord {
    /// Counts at `level`.
    pub fn counts(&self, level: Level) -> Counts {
        let mut counts = Counts::default();
        for probe in self.probes.iter().filter(|p| p.level == level) {
            match probe.verdict {
                Verdict::Pass => counts.pass += 1,
                Verdict::Lenient => counts.lenient += 1,
                Verdict::Fail => counts.fail += 1,
            }
        }
        counts
    }

    /// Failed probes, MUST first.
    pub fn failures(&self) -> Vec<&ProbeResult> {
        let mut failed: Vec<&ProbeResult> = self
            .probes
            .iter()
            .filter(|p| p.verdict == Verdict::Fail)
            .collect();
        failed.sort_by_key(|p| p.level);
        failed
    }

    /// Failed probes whose behaviour is the target's own code.
    pub fn own_failures(&self) -> usize {
        let failures = self.failures().into_iter();
        failures.filter(|p| p.owner == Owner::Target).count()
    }

    /// The summary's cell: `MUST 38/41 · SHOULD 12/17 (3 lenient)`.
    pub fn cell(&self) -> String {
        let (must, should) = (self.counts(Level::Must), self.counts(Level::Should));
        let lenient = must.lenient + should.lenient;
        let mut text = format!(
            "MUST {}/{} · SHOULD {}/{}",
            must.pass + must.lenient,
            must.total(),
            should.pass + should.lenient,
            should.total()
        );
        if lenient > 0 {
            let _ = write!(text, " ({lenient} lenient)");
        }
        if self.stopped.is_some() {
            text.push_str(" (stopped early)");
        }
        text
    }

    /// `<dir>/<target>.json`, the name made safe for a file.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let safe: String = self
            .target
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_atomically(dir, &format!("{safe}.json"), (text + "\n").as_bytes())
    }
}

/// Where records go under a workspace's `target/stampede`.
pub fn records_dir(work_dir: &Path) -> PathBuf {
    work_dir.join("conformance")
}

/// Every readable record of a layout this build reads in `dir`, sorted by target.
pub fn read_records(dir: &Path) -> Vec<StrictnessRecord> {
    let mut records: Vec<StrictnessRecord> = read_json_dir::<StrictnessRecord>(dir)
        .0
        .into_iter()
        .filter(|r| (OLDEST_READ..=RECORD_SCHEMA).contains(&r.schema_version))
        .collect();
    records.sort_by(|a, b| a.target.cmp(&b.target));
    records
}

/// The table `stampede conformance` prints: per target, pass / lenient / fail at each level and
/// how many failures are the target's own code; then every failure with its RFC section.
pub(crate) fn text(records: &[StrictnessRecord]) -> String {
    let width = records
        .iter()
        .map(|r| r.target.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "{:width$}  {:>19}  {:>19}  {:>4}\n{:width$}  {:>19}  {:>19}  {:>4}\n",
        "", "MUST", "SHOULD", "ours", "target", "pass lenient fail", "pass lenient fail", "fail"
    );
    for record in records {
        let (must, should) = (record.counts(Level::Must), record.counts(Level::Should));
        let _ = writeln!(
            out,
            "{:width$}  {:>4} {:>7} {:>6}  {:>4} {:>7} {:>6}  {:>4}",
            record.target,
            must.pass,
            must.lenient,
            must.fail,
            should.pass,
            should.lenient,
            should.fail,
            record.own_failures()
        );
    }
    for record in records {
        let failures = record.failures();
        if failures.is_empty() && record.stopped.is_none() {
            continue;
        }
        let _ = writeln!(out, "\n{} failed:", record.target);
        for p in failures {
            let owner = match p.owner {
                Owner::Framework => "framework",
                Owner::Target => "ours",
            };
            let _ = writeln!(
                out,
                "  {:6} {} ({}, {owner}): got {}; passes with {}",
                p.level.as_str(),
                p.name,
                p.rfc,
                p.observed,
                p.expected
            );
        }
        if let Some(why) = &record.stopped {
            let _ = writeln!(out, "  {why}");
        }
    }
    out
}

/// Strictness records for tests, here and in the integration tests.
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures {
    use super::*;

    /// A probe result: `(name, level, verdict, owner)`.
    pub fn result(name: &str, level: Level, verdict: Verdict, owner: Owner) -> ProbeResult {
        ProbeResult {
            name: name.into(),
            group: "transfer-encoding".into(),
            level,
            rfc: "RFC 9112 §6.1".into(),
            verdict,
            owner,
            observed: "status 200, then answered the next bytes with 200".into(),
            expected: "200 or 400 or a close, then close".into(),
        }
    }

    /// A record of `target`'s `probes`, commit `abc1234`, 2026-01-01.
    pub fn record(target: &str, probes: Vec<ProbeResult>) -> StrictnessRecord {
        StrictnessRecord {
            schema_version: RECORD_SCHEMA,
            target: target.into(),
            framework: "fw".into(),
            git_commit: "abc1234".into(),
            time: "2026-01-01T00:00:00Z".into(),
            probes,
            stopped: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{record, result};
    use super::*;

    fn sample() -> StrictnessRecord {
        record(
            "actix",
            vec![
                result(
                    "cl-te-smuggle",
                    Level::Must,
                    Verdict::Fail,
                    Owner::Framework,
                ),
                result("obs-fold", Level::Must, Verdict::Lenient, Owner::Framework),
                result("host-userinfo", Level::Must, Verdict::Pass, Owner::Target),
                result("chunk-bare-lf", Level::Should, Verdict::Fail, Owner::Target),
            ],
        )
    }

    #[test]
    fn counts_split_by_level_and_the_cell_counts_lenient_as_allowed() {
        let record = sample();
        let must = record.counts(Level::Must);
        assert_eq!((must.pass, must.lenient, must.fail), (1, 1, 1));
        assert_eq!(record.cell(), "MUST 2/3 · SHOULD 0/1 (1 lenient)");
        assert_eq!(record.own_failures(), 1);
    }

    #[test]
    fn the_table_lists_each_failure_with_its_section_and_owner_must_first() {
        let text = text(&[sample()]);
        let must = text
            .find("MUST   cl-te-smuggle (RFC 9112 §6.1, framework)")
            .unwrap();
        let should = text
            .find("SHOULD chunk-bare-lf (RFC 9112 §6.1, ours)")
            .unwrap();
        assert!(must < should, "{text}");
        assert!(!text.contains("obs-fold"), "{text}");
    }

    #[test]
    fn records_round_trip_through_their_folder_and_other_schemas_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        sample().write_to(dir.path()).unwrap();
        let mut old = record("gin", Vec::new());
        old.schema_version = 0;
        old.write_to(dir.path()).unwrap();
        assert_eq!(read_records(dir.path()), vec![sample()]);
    }

    #[test]
    fn a_record_of_the_first_schema_still_loads_under_the_new_field_names() {
        let dir = tempfile::tempdir().unwrap();
        let old = r#"{"schema": 1, "target": "gin", "framework": "fw", "commit": "abc1234",
            "recorded_at": "2026-01-01T00:00:00Z", "probes": [], "stopped": null}"#;
        std::fs::write(dir.path().join("gin.json"), old).unwrap();
        let records = read_records(dir.path());
        assert_eq!(
            (records[0].git_commit.as_str(), records[0].time.as_str()),
            ("abc1234", "2026-01-01T00:00:00Z")
        );
    }
}
