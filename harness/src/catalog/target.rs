//! One catalog entry: a target (how it is built, started and counted) and the toolchain it
//! needs; [`Catalog`](super::Catalog) checks entries against each other.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A toolchain a target needs (cargo, go, node...).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toolchain {
    /// The executable looked up on PATH.
    pub command: String,
    /// Arguments that make it print its version.
    pub version_args: Vec<String>,
    /// What to do when it is missing.
    pub hint: String,
}

/// How a target is built.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildSpec {
    /// The build command (argv), with placeholders.
    pub command: Vec<String>,
    /// Working directory relative to the root (default: the root).
    #[serde(default)]
    pub cwd: Option<String>,
    /// Files or folders whose change requires a rebuild; empty when the build command is its own
    /// up-to-date check (cargo).
    #[serde(default)]
    pub inputs: Vec<String>,
    /// The file the build produces; with `inputs`, the build is skipped while it is newer.
    #[serde(default)]
    pub output: Option<String>,
    /// Extra environment for the build.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// Where a target's exact framework version is written down (a lock file or go.mod).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionSource {
    /// The file, relative to the root.
    pub file: String,
    /// A regular expression whose first group is the version.
    pub regex: String,
}

/// A database driver's name and where its exact version is found (a lock file).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriverSource {
    /// As reports show it, e.g. `sqlx`.
    pub name: String,
    /// The file, relative to the root.
    pub file: String,
    /// A regular expression whose first group is the version.
    pub regex: String,
}

/// How `stampede icount` runs a target so that its instruction count per request is stable:
/// runtime settings that remove time- and randomness-driven work, and how long to warm up.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcountSpec {
    /// Extra environment for the counted server (e.g. Go's GODEBUG), on top of `env`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Arguments inserted right after the start command's program: runtime flags such as V8's
    /// `--predictable`, or the server's own options.
    #[serde(default)]
    pub args: Vec<String>,
    /// Functions that mark a thread as time-driven (e.g. Go's `runtime.sysmon`, which wakes every
    /// 10 ms however many requests there are): threads whose call stack holds one are left out
    /// of the count.
    #[serde(default)]
    pub uncounted_threads: Vec<String>,
    /// Requests sent per workload before counting starts (JIT tiers, caches, pools).
    #[serde(default)]
    pub warmup_requests: Option<u64>,
    /// Instructions after which the warm-up may end early (heavy requests warm up sooner).
    #[serde(default)]
    pub warmup_instructions: Option<u64>,
    /// Requests counted per workload.
    #[serde(default)]
    pub measured_requests: Option<u64>,
}

/// One server under test.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Name; also the `Server` header the target sends.
    pub name: String,
    /// Programming language, for reports.
    pub language: String,
    /// Framework and mode, for reports.
    pub framework: String,
    /// Key of the toolchain it needs.
    pub toolchain: String,
    /// "applies", or a sentence saying why WORKERS does not apply.
    pub workers: String,
    /// How to build it, if it needs building.
    #[serde(default)]
    pub build: Option<BuildSpec>,
    /// argv that starts the server, with placeholders.
    pub start: Vec<String>,
    /// Working directory of the server relative to the root.
    #[serde(default)]
    pub cwd: Option<String>,
    /// Extra environment for the server.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Where the exact framework version is found, for reports.
    #[serde(default)]
    pub framework_version: Option<VersionSource>,
    /// The database driver of its database routes, and where its locked version is found.
    #[serde(default)]
    pub database_driver: Option<DriverSource>,
    /// Settings for counting instructions under Valgrind (`stampede icount`).
    #[serde(default)]
    pub icount: IcountSpec,
    /// The workloads of spec/workloads.toml it serves; `None` (the default) serves them all.
    /// A partial target is verified on those workloads' vectors and the rules every answer
    /// obeys, and every command skips the other workloads with one line.
    #[serde(default)]
    pub workloads: Option<Vec<String>>,
    /// False keeps it out of a `cargo bench` whose filter does not name it: a demonstration
    /// (`example`) should not spend the reference run's time budget.
    #[serde(default = "benched_by_default")]
    pub in_default_bench: bool,
}

fn benched_by_default() -> bool {
    true
}

impl Target {
    /// True when the target honours `WORKERS`.
    pub fn workers_apply(&self) -> bool {
        self.workers == "applies"
    }

    /// True when the target serves workload `name` (every target serves every workload
    /// unless its entry lists them).
    pub fn serves(&self, name: &str) -> bool {
        self.workloads
            .as_ref()
            .is_none_or(|served| served.iter().any(|w| w == name))
    }

    /// The workloads it serves, as `stampede list` shows them: `all`, or the list.
    pub fn workloads_label(&self) -> String {
        match &self.workloads {
            None => "all workloads".into(),
            Some(served) => served.join(", "),
        }
    }
}
