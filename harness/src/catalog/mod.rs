//! The catalog: targets are data, read from `targets.toml` at the workspace root. Adding a server
//! is one entry there and one folder; no harness code changes.

#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
mod target;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

pub use target::{BuildSpec, IcountSpec, Target, Toolchain, VersionSource};

/// The catalog file's name, at the workspace root.
pub const CATALOG_FILE: &str = "targets.toml";

/// Errors reading or querying the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("cannot read the catalog {path}: {source}")]
    Read {
        /// The catalog path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("invalid catalog {path}: {source}")]
    Parse {
        /// The catalog path.
        path: PathBuf,
        /// The parse error, with line and column.
        source: Box<toml::de::Error>,
    },
    /// A target is inconsistent.
    #[error("catalog target `{target}`: {why}")]
    Invalid {
        /// The target's name.
        target: String,
        /// What is wrong and how to fix it.
        why: String,
    },
    /// No target has that name.
    #[error("no target named `{name}` in the catalog; known targets: {known}")]
    UnknownTarget {
        /// The name asked for.
        name: String,
        /// The names the catalog has, comma-separated.
        known: String,
    },
    /// No `targets.toml` was found.
    #[error(
        "no {CATALOG_FILE} found in {start} or its parents; run stampede from the workspace or set STAMPEDE_ROOT"
    )]
    NotFound {
        /// Where the search started.
        start: PathBuf,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    toolchains: BTreeMap<String, Toolchain>,
    targets: Vec<Target>,
}

/// Whether a target can run on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Its toolchain was found; the version line it printed.
    Available {
        /// First line of the toolchain's version output.
        toolchain_version: String,
    },
    /// Its toolchain is missing; the line to show the user.
    Skipped {
        /// e.g. `go not found on PATH (install Go >= 1.22)`.
        reason: String,
    },
}

/// The parsed catalog, anchored at the workspace root.
#[derive(Clone, Debug)]
pub struct Catalog {
    root: PathBuf,
    toolchains: BTreeMap<String, Toolchain>,
    targets: Vec<Target>,
}

impl Catalog {
    /// Finds the workspace root (STAMPEDE_ROOT, else the nearest folder holding `targets.toml`
    /// from the current directory up, else this source tree) and loads its catalog.
    pub fn discover() -> Result<Self, CatalogError> {
        Self::load(&find_root()?)
    }

    /// Loads `targets.toml` from `root`.
    pub fn load(root: &Path) -> Result<Self, CatalogError> {
        let path = root.join(CATALOG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Read {
            path: path.clone(),
            source,
        })?;
        Self::parse(root, &text).map_err(|err| match err {
            CatalogError::Parse { source, .. } => CatalogError::Parse { path, source },
            other => other,
        })
    }

    /// Parses catalog text; `root` anchors placeholders.
    pub fn parse(root: &Path, text: &str) -> Result<Self, CatalogError> {
        let file: CatalogFile = toml::from_str(text).map_err(|source| CatalogError::Parse {
            path: root.join(CATALOG_FILE),
            source: Box::new(source),
        })?;
        let mut seen = std::collections::BTreeSet::new();
        for target in &file.targets {
            let invalid = |why: String| CatalogError::Invalid {
                target: target.name.clone(),
                why,
            };
            if !seen.insert(target.name.as_str()) {
                return Err(invalid(
                    "the name is used twice; names must be unique".into(),
                ));
            }
            if !file.toolchains.contains_key(&target.toolchain) {
                return Err(invalid(format!(
                    "toolchain `{}` is not defined; add [toolchains.{}]",
                    target.toolchain, target.toolchain
                )));
            }
            if target.start.is_empty() {
                return Err(invalid("`start` is empty; give the server's argv".into()));
            }
            if target.workloads.as_ref().is_some_and(Vec::is_empty) {
                return Err(invalid(
                    "`workloads` is empty; list the workloads it serves, or leave it out to \
                     serve them all"
                        .into(),
                ));
            }
            if let Some(build) = &target.build {
                if build.command.is_empty() {
                    return Err(invalid("`build.command` is empty".into()));
                }
                if !build.inputs.is_empty() && build.output.is_none() {
                    return Err(invalid("`build.inputs` needs `build.output`".into()));
                }
            }
        }
        Ok(Self {
            root: root.to_path_buf(),
            toolchains: file.toolchains,
            targets: file.targets,
        })
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where builds, logs and results go: `target/stampede` under the root.
    pub fn work_dir(&self) -> PathBuf {
        self.root.join("target").join("stampede")
    }

    /// All targets in catalog order.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// The target with this name.
    pub fn target(&self, name: &str) -> Result<&Target, CatalogError> {
        self.targets
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| CatalogError::UnknownTarget {
                name: name.to_owned(),
                known: self.names().join(", "),
            })
    }

    /// Target names in catalog order.
    pub fn names(&self) -> Vec<String> {
        self.targets.iter().map(|t| t.name.clone()).collect()
    }

    /// The toolchain of a target (always present: checked at parse time).
    pub fn toolchain(&self, target: &Target) -> Option<&Toolchain> {
        self.toolchains.get(&target.toolchain)
    }

    /// The version line of each toolchain found on this machine, by name; a toolchain whose
    /// command cannot be run is left out.
    pub fn toolchain_versions(&self) -> BTreeMap<String, String> {
        self.toolchains
            .iter()
            .filter_map(|(name, toolchain)| Some((name.clone(), toolchain_version(toolchain)?)))
            .collect()
    }

    /// Whether the target's toolchain is on this machine.
    pub fn availability(&self, target: &Target) -> Availability {
        let Some(toolchain) = self.toolchain(target) else {
            return Availability::Skipped {
                reason: format!("toolchain `{}` is not in the catalog", target.toolchain),
            };
        };
        match toolchain_version(toolchain) {
            Some(version) => Availability::Available {
                toolchain_version: version,
            },
            None => Availability::Skipped {
                reason: format!(
                    "{} not found on PATH ({})",
                    toolchain.command, toolchain.hint
                ),
            },
        }
    }

    /// The framework as reports show it: the catalog's text, plus the exact version from the
    /// target's `framework_version` source when it is found (e.g. `actix-web 4 (4.12.1)`).
    pub fn framework_label(&self, target: &Target) -> String {
        let version = target
            .framework_version
            .as_ref()
            .and_then(|source| self.locked_version(&source.file, &source.regex));
        match version {
            Some(v) => format!("{} ({v})", target.framework),
            None => target.framework.clone(),
        }
    }

    /// The database driver as reports show it, with its locked version when found
    /// (`sqlx 0.8.6`); `None` for a target whose entry names none.
    pub fn driver_label(&self, target: &Target) -> Option<String> {
        let driver = target.database_driver.as_ref()?;
        Some(match self.locked_version(&driver.file, &driver.regex) {
            Some(v) => format!("{} {v}", driver.name),
            None => driver.name.clone(),
        })
    }

    /// The first group of `regex` in `file` (relative to the root): a version from a lock file.
    fn locked_version(&self, file: &str, regex: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.path(file)).ok()?;
        let re = regex::Regex::new(regex).ok()?;
        Some(re.captures(&text)?.get(1)?.as_str().to_owned())
    }

    /// Replaces `{root}` and `{build_dir}` in a catalog string.
    pub fn expand(&self, text: &str) -> String {
        let build_dir = self.work_dir().join("build");
        text.replace("{root}", &self.root.to_string_lossy())
            .replace("{build_dir}", &build_dir.to_string_lossy())
    }

    /// The target's start command, placeholders expanded, in its `cwd` (else the root), and
    /// its words for messages; the caller adds the environment.
    pub fn start_command(&self, target: &Target) -> (Command, String) {
        let argv: Vec<String> = target.start.iter().map(|a| self.expand(a)).collect();
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]).current_dir(
            target
                .cwd
                .as_deref()
                .map_or_else(|| self.root.clone(), |c| self.path(c)),
        );
        (command, argv.join(" "))
    }

    /// A path from the catalog: placeholders expanded, relative paths taken from the root.
    pub fn path(&self, text: &str) -> PathBuf {
        let expanded = PathBuf::from(self.expand(text));
        if expanded.is_absolute() {
            expanded
        } else {
            self.root.join(expanded)
        }
    }
}

/// Runs the toolchain's version command; `None` when it cannot be run.
fn toolchain_version(toolchain: &Toolchain) -> Option<String> {
    let output = Command::new(&toolchain.command)
        .args(&toolchain.version_args)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Some(text.lines().next().unwrap_or("").trim().to_owned())
}

fn find_root() -> Result<PathBuf, CatalogError> {
    if let Some(root) = std::env::var_os("STAMPEDE_ROOT") {
        return Ok(PathBuf::from(root));
    }
    let start = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if let Some(found) = start.ancestors().find(|d| d.join(CATALOG_FILE).is_file()) {
        return Ok(found.to_path_buf());
    }
    let source_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if source_root.join(CATALOG_FILE).is_file() {
        return Ok(source_root);
    }
    Err(CatalogError::NotFound { start })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
        [toolchains.sh]
        command = "sh"
        version_args = ["-c", "echo sh 1.0"]
        hint = "install a shell"

        [toolchains.nope]
        command = "definitely-not-a-real-toolchain-x9"
        version_args = ["--version"]
        hint = "install Nope >= 2"

        [[targets]]
        name = "a"
        language = "Shell"
        framework = "none"
        toolchain = "sh"
        workers = "applies"
        start = ["{build_dir}/a", "--root", "{root}"]

        [[targets]]
        name = "b"
        language = "Nope"
        framework = "none"
        toolchain = "nope"
        workers = "does not apply: one loop"
        build = { command = ["make"], inputs = ["src"], output = "{build_dir}/b" }
        start = ["b"]
    "#;

    #[test]
    fn a_run_names_each_toolchain_found_with_its_version_line_and_leaves_out_a_missing_one() {
        let catalog = Catalog::parse(Path::new("/nonexistent"), SMALL).unwrap();
        let run = crate::evidence::Run::detect_in(&catalog, crate::evidence::RunMode::Cli);
        let found: Vec<(&str, &str)> = run
            .toolchains
            .iter()
            .map(|(name, version)| (name.as_str(), version.as_str()))
            .collect();
        assert_eq!(found, [("sh", "sh 1.0")]);
    }

    #[test]
    fn the_repository_catalog_names_six_reference_targets_serving_everything_and_the_example() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let catalog = Catalog::load(&root).unwrap();
        assert_eq!(
            catalog.names(),
            [
                "actix",
                "axum",
                "nethttp",
                "gin",
                "node",
                "node-cluster",
                "example"
            ]
        );
        let (reference, example) = catalog.targets().split_at(6);
        assert!(reference.iter().all(|t| t.workloads.is_none()));
        assert_eq!(example[0].workloads_label(), "plaintext, json");
        assert!(example[0].serves("json") && !example[0].serves("json-doc"));
    }

    #[test]
    fn an_empty_workloads_list_is_refused_with_the_fix() {
        let text = SMALL.replace("start = [\"b\"]", "start = [\"b\"]\n        workloads = []");
        let err = Catalog::parse(Path::new("/w"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`b`") && err.contains("leave it out"), "{err}");
    }

    #[test]
    fn placeholders_expand_to_root_and_build_dir() {
        let catalog = Catalog::parse(Path::new("/w"), SMALL).unwrap();
        let a = catalog.target("a").unwrap();
        assert_eq!(catalog.expand(&a.start[0]), "/w/target/stampede/build/a");
        assert_eq!(catalog.expand(&a.start[2]), "/w");
        assert!(a.workers_apply());
        assert!(!catalog.target("b").unwrap().workers_apply());
    }

    #[test]
    fn a_missing_toolchain_makes_the_target_skipped_with_the_hint() {
        let catalog = Catalog::parse(Path::new("/w"), SMALL).unwrap();
        let b = catalog.target("b").unwrap();
        assert_eq!(
            catalog.availability(b),
            Availability::Skipped {
                reason: "definitely-not-a-real-toolchain-x9 not found on PATH (install Nope >= 2)"
                    .into()
            }
        );
        let a = catalog.target("a").unwrap();
        assert_eq!(
            catalog.availability(a),
            Availability::Available {
                toolchain_version: "sh 1.0".into()
            }
        );
    }

    #[test]
    fn database_drivers_carry_the_locked_version_of_the_repository_targets() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let catalog = Catalog::load(&root).unwrap();
        for (name, prefix) in [
            ("actix", "sqlx 0."),
            ("axum", "sqlx 0."),
            ("nethttp", "pgx 5."),
            ("gin", "pgx 5."),
            ("node", "pg 8."),
            ("node-cluster", "pg 8."),
        ] {
            let label = catalog.driver_label(catalog.target(name).unwrap()).unwrap();
            assert!(label.starts_with(prefix), "{name}: {label}");
        }
        assert_eq!(
            catalog.driver_label(catalog.target("example").unwrap()),
            None
        );
    }

    #[test]
    fn framework_labels_carry_the_locked_version_of_the_repository_targets() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let catalog = Catalog::load(&root).unwrap();
        for (name, prefix) in [
            ("actix", "actix-web 4 (4."),
            ("axum", "axum 0.8 on tokio (0.8."),
            ("gin", "gin (release mode, gin.New) (1."),
        ] {
            let label = catalog.framework_label(catalog.target(name).unwrap());
            assert!(label.starts_with(prefix), "{name}: {label}");
        }
        let node = catalog.target("node").unwrap();
        assert_eq!(catalog.framework_label(node), node.framework);
    }

    #[test]
    fn icount_settings_parse_and_default_to_none() {
        let text = SMALL.replace(
            "start = [\"b\"]",
            "start = [\"b\"]\n        icount = { env = { GOGC = \"off\" }, args = [\"--predictable\"], warmup_requests = 5000, warmup_instructions = 1_000, measured_requests = 300 }",
        );
        let catalog = Catalog::parse(Path::new("/w"), &text).unwrap();
        let b = &catalog.target("b").unwrap().icount;
        assert_eq!(b.env.get("GOGC").map(String::as_str), Some("off"));
        assert_eq!(b.args, ["--predictable"]);
        assert_eq!(
            (
                b.warmup_requests,
                b.warmup_instructions,
                b.measured_requests
            ),
            (Some(5000), Some(1_000), Some(300))
        );
        let a = &catalog.target("a").unwrap().icount;
        assert!(a.env.is_empty() && a.args.is_empty() && a.warmup_requests.is_none());
        let typo = text.replace("warmup_requests", "warmup_request");
        let err = Catalog::parse(Path::new("/w"), &typo)
            .unwrap_err()
            .to_string();
        assert!(err.contains("warmup_request"), "{err}");
    }

    #[test]
    fn an_unknown_target_name_lists_the_known_ones() {
        let catalog = Catalog::parse(Path::new("/w"), SMALL).unwrap();
        let err = catalog.target("zzz").unwrap_err().to_string();
        assert!(err.contains("`zzz`") && err.contains("a, b"), "{err}");
    }

    #[test]
    fn an_undefined_toolchain_is_a_parse_error_naming_the_target() {
        let text = SMALL.replace("toolchain = \"sh\"", "toolchain = \"missing\"");
        let err = Catalog::parse(Path::new("/w"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`a`") && err.contains("[toolchains.missing]"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_names_and_unknown_fields_are_rejected() {
        let dup = format!("{SMALL}\n{}", &SMALL[SMALL.find("[[targets]]").unwrap()..]);
        assert!(Catalog::parse(Path::new("/w"), &dup).is_err());
        let typo = SMALL.replace(
            "framework = \"none\"\n        toolchain = \"sh\"",
            "framwork = \"x\"\n        toolchain = \"sh\"",
        );
        let err = Catalog::parse(Path::new("/w"), &typo)
            .unwrap_err()
            .to_string();
        assert!(err.contains("framwork"), "{err}");
    }
}
