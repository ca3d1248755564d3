//! Where a result comes from: the run that measured it (id, start, mode, commit with its dirty
//! state, branch), the machine it ran on, and the RFC 3339 time stamps records carry.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::SystemTime;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::Catalog;

/// The machine a result was measured on.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[schemars(deny_unknown_fields)]
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

    /// A machine nothing is known about (records from before machines were kept).
    pub fn unknown() -> Self {
        Self {
            cpu_model: "unknown".into(),
            cores: 0,
            kernel: "unknown".into(),
        }
    }
}

/// How the numbers of a run were taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RunMode {
    /// `cargo bench` with Criterion's defaults as the bench sets them.
    Full,
    /// `cargo bench -- --quick`: short, for smoke runs, not for publishing.
    Quick,
    /// A `stampede` command (`load`, `compare`).
    Cli,
    /// `stampede compare`'s head side as the history keeps it: its series never mix with
    /// bench runs. Never a record's mode, so not in the record schema.
    #[schemars(skip)]
    Compare,
    /// `stampede icount`'s counts as the history keeps them: instruction counts form series
    /// of their own. Never a record's mode, so not in the record schema.
    #[schemars(skip)]
    Icount,
    /// Not recorded: history imports of records from before modes were kept, or a stored
    /// mode this build does not know. Never a record's mode, so not in the record schema.
    #[schemars(skip)]
    Unknown,
}

impl RunMode {
    /// Every mode, in declaration order.
    pub const ALL: [Self; 6] = [
        Self::Full,
        Self::Quick,
        Self::Cli,
        Self::Compare,
        Self::Icount,
        Self::Unknown,
    ];

    /// The mode's name in reports, records and the history.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Quick => "quick",
            Self::Cli => "cli",
            Self::Compare => "compare",
            Self::Icount => "icount",
            Self::Unknown => "unknown",
        }
    }

    /// A mode as stored by any earlier stampede: a name this build does not know (an old
    /// `history import --mode` accepted any word) reads as [`RunMode::Unknown`].
    pub fn from_stored(stored: &str) -> Self {
        stored.parse().unwrap_or(Self::Unknown)
    }
}

/// By name, as the history ordered modes when they were strings: lists grouped by mode keep
/// their order.
impl Ord for RunMode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for RunMode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for RunMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mode name that is none of [`RunMode::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode {0:?}; use one of full, quick, cli, compare, icount or unknown")]
pub struct UnknownRunMode(pub String);

impl FromStr for RunMode {
    type Err = UnknownRunMode;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.as_str() == name)
            .ok_or_else(|| UnknownRunMode(name.to_owned()))
    }
}

/// A commit of the workspace and whether the working tree had uncommitted changes. Stored as
/// one string, `<hash>` or `<hash>-dirty`, in records and the history alike.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct Commit {
    /// `git rev-parse HEAD`, or `unknown` outside a repository.
    pub hash: String,
    /// The working tree had uncommitted changes.
    pub dirty: bool,
}

/// What a stored commit appends for uncommitted changes.
const DIRTY_SUFFIX: &str = "-dirty";

impl Commit {
    /// The commit of the workspace at `root`; `unknown` when git cannot tell.
    pub fn detect(root: &Path) -> Self {
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
            Some(hash) => Self {
                hash,
                dirty: run(&["status", "--porcelain", "--untracked-files=no"])
                    .is_some_and(|s| !s.is_empty()),
            },
            None => Self::parse("unknown"),
        }
    }

    /// `abc-dirty` -> `abc`, dirty; `abc` -> `abc`, clean.
    pub fn parse(stored: &str) -> Self {
        match stored.strip_suffix(DIRTY_SUFFIX) {
            Some(hash) => Self {
                hash: hash.to_owned(),
                dirty: true,
            },
            None => Self {
                hash: stored.to_owned(),
                dirty: false,
            },
        }
    }
}

impl fmt::Display for Commit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = if self.dirty { DIRTY_SUFFIX } else { "" };
        write!(f, "{}{suffix}", self.hash)
    }
}

impl From<String> for Commit {
    fn from(stored: String) -> Self {
        Self::parse(&stored)
    }
}

impl From<Commit> for String {
    fn from(commit: Commit) -> Self {
        commit.to_string()
    }
}

impl JsonSchema for Commit {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        String::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }

    fn inline_schema() -> bool {
        true
    }
}

/// One invocation (`cargo bench`, `stampede load`, `stampede compare`, an import): what every
/// record it writes shares, so a summary never mixes runs without saying so.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Unique per invocation: [`run_id`] of its start.
    pub id: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// How the run took its numbers.
    pub mode: RunMode,
    /// The commit of the workspace.
    pub commit: Commit,
    /// The branch checked out, when there is one.
    pub branch: Option<String>,
    /// The machine it ran on.
    pub machine: Machine,
    /// The version line of each catalog toolchain found on the machine, by toolchain name
    /// (`go` -> `go version go1.26.0 linux/amd64`), run once per run; what each record of the
    /// run names as its target's toolchain. Empty for runs read back from stored records.
    pub toolchains: BTreeMap<String, String>,
}

impl Run {
    /// A new run of the workspace at `root`, starting now, on this machine.
    pub fn detect(root: &Path, mode: RunMode) -> Self {
        let now = SystemTime::now();
        Self {
            id: run_id(now),
            started_at: rfc3339_utc(now),
            mode,
            commit: Commit::detect(root),
            branch: git_branch(root),
            machine: Machine::detect(),
            toolchains: BTreeMap::new(),
        }
    }

    /// A new run of the catalog's workspace, with the version of each of its toolchains.
    pub fn detect_in(catalog: &Catalog, mode: RunMode) -> Self {
        Self {
            toolchains: catalog.toolchain_versions(),
            ..Self::detect(catalog.root(), mode)
        }
    }
}

/// `20261122T134500Z-4242-123`: the start to the second, the process id and the milliseconds,
/// unique on one machine.
pub fn run_id(now: SystemTime) -> String {
    let millis = OffsetDateTime::from(now).millisecond();
    format!(
        "{}-{}-{millis:03}",
        compact_time(&rfc3339_utc(now)),
        std::process::id()
    )
}

/// `2026-11-22T13:45:00Z` -> `20261122T134500Z`.
pub fn compact_time(time: &str) -> String {
    time.chars().filter(|c| !matches!(c, '-' | ':')).collect()
}

/// `time` as RFC 3339 in UTC to the second, e.g. `2026-11-22T13:45:00Z`.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let t = OffsetDateTime::from(time);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The branch checked out at `root`; `None` for a detached HEAD (CI checkouts, compare
/// worktrees).
pub fn git_branch(root: &Path) -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--abbrev-ref", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let branch = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!branch.is_empty() && branch != "HEAD").then_some(branch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn times_format_as_rfc3339_utc() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_354_200);
        assert_eq!(rfc3339_utc(t), "2026-11-22T13:30:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_utc(leap), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn a_run_id_is_the_compact_start_the_process_and_the_milliseconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_354_200_042);
        let id = run_id(t);
        assert_eq!(id, format!("20261122T133000Z-{}-042", std::process::id()));
    }

    #[test]
    fn a_commit_is_stored_as_one_string_with_its_dirty_state_as_a_suffix() {
        let dirty = Commit::parse("abc-dirty");
        assert_eq!((dirty.hash.as_str(), dirty.dirty), ("abc", true));
        assert_eq!(dirty.to_string(), "abc-dirty");
        assert_eq!(serde_json::to_value(&dirty).unwrap(), "abc-dirty");
        let clean: Commit = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(clean, Commit::parse("abc"));
        assert!(!clean.dirty);
    }

    #[test]
    fn a_mode_reads_back_from_its_stored_name_and_an_unknown_name_reads_as_unknown() {
        for mode in RunMode::ALL {
            assert_eq!(mode.as_str().parse::<RunMode>(), Ok(mode));
            assert_eq!(serde_json::to_value(mode).unwrap(), mode.as_str());
            assert_eq!(RunMode::from_stored(&mode.to_string()), mode);
        }
        assert_eq!(RunMode::from_stored("nightly"), RunMode::Unknown);
        assert!("nightly".parse::<RunMode>().is_err());
    }
}
