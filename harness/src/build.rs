//! Build: runs a target's build command once per run, and not at all while its output is newer
//! than its inputs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::catalog::{BuildSpec, Catalog, Target};

/// Errors building a target.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The build command could not be started.
    #[error("building `{target}`: cannot run {command:?}: {source}")]
    Spawn {
        /// The target.
        target: String,
        /// The command.
        command: String,
        /// Why it did not start.
        source: std::io::Error,
    },
    /// The build command failed.
    #[error("building `{target}` failed ({status}); last lines of its output:\n{output_tail}")]
    Failed {
        /// The target.
        target: String,
        /// Exit status.
        status: std::process::ExitStatus,
        /// The end of stdout+stderr.
        output_tail: String,
    },
}

/// What `ensure_built` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildOutcome {
    /// The target has no build step.
    NothingToBuild,
    /// Already built earlier in this run.
    AlreadyBuiltThisRun,
    /// The output is newer than every input.
    UpToDate,
    /// The build command ran and succeeded.
    Built,
}

static BUILT_THIS_RUN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Builds `target` unless it was built earlier in this process or is up to date.
pub fn ensure_built(catalog: &Catalog, target: &Target) -> Result<BuildOutcome, BuildError> {
    let Some(spec) = &target.build else {
        return Ok(BuildOutcome::NothingToBuild);
    };
    let key = format!("{}::{}", catalog.root().display(), target.name);
    if built_set().contains(&key) {
        return Ok(BuildOutcome::AlreadyBuiltThisRun);
    }
    let outcome = if is_up_to_date(catalog, spec) {
        BuildOutcome::UpToDate
    } else {
        run_build(catalog, target, spec)?;
        BuildOutcome::Built
    };
    built_set().insert(key);
    Ok(outcome)
}

fn built_set() -> std::sync::MutexGuard<'static, BTreeSet<String>> {
    BUILT_THIS_RUN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn run_build(catalog: &Catalog, target: &Target, spec: &BuildSpec) -> Result<(), BuildError> {
    let argv: Vec<String> = spec.command.iter().map(|a| catalog.expand(a)).collect();
    let cwd = spec
        .cwd
        .as_deref()
        .map_or_else(|| catalog.root().to_path_buf(), |c| catalog.path(c));
    if let Some(output) = &spec.output
        && let Some(parent) = catalog.path(output).parent()
    {
        let _ = std::fs::create_dir_all(parent);
    }
    let mut command = Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .current_dir(cwd)
        .envs(&spec.env)
        .stdin(Stdio::null());
    // A build outlives nothing: it ends with the harness, like a server (no CPU pinning).
    crate::child_setup::die_with_parent_on_cpus(
        &mut command,
        &crate::cpus::CpuSet::new(vec![]),
        None,
    );
    let output = command.output().map_err(|source| BuildError::Spawn {
        target: target.name.clone(),
        command: argv.join(" "),
        source,
    })?;
    if !output.status.success() {
        return Err(BuildError::Failed {
            target: target.name.clone(),
            status: output.status,
            output_tail: crate::text::output_tail(&output, 30),
        });
    }
    Ok(())
}

/// True when the spec names inputs and an output, and the output is newer than all inputs.
fn is_up_to_date(catalog: &Catalog, spec: &BuildSpec) -> bool {
    let Some(output) = &spec.output else {
        return false;
    };
    if spec.inputs.is_empty() {
        return false;
    }
    let Some(built_at) = modified(&catalog.path(output)) else {
        return false;
    };
    spec.inputs
        .iter()
        .map(|input| newest_modification(&catalog.path(input)))
        .all(|newest| newest.is_some_and(|t| t <= built_at))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

/// The newest modification time of a file, or of anything below a folder.
fn newest_modification(path: &Path) -> Option<SystemTime> {
    let mut newest = modified(path)?;
    let mut stack: Vec<PathBuf> = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let entry_path = entry.path();
            if let Some(time) = modified(&entry_path) {
                newest = newest.max(time);
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry_path);
            }
        }
    }
    Some(newest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog_in(dir: &Path, build: &str) -> Catalog {
        let text =
            crate::catalog::fixtures::shell_target("t", r#"["true"]"#, &format!("build = {build}"));
        Catalog::parse(dir, &text).unwrap()
    }

    #[test]
    fn a_build_runs_once_then_is_skipped_while_its_output_is_newer_than_its_inputs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.txt"), "x").unwrap();
        let build = r#"{ command = ["sh", "-c", "echo built >> count && touch out"], inputs = ["src"], output = "out" }"#;
        let catalog = catalog_in(dir.path(), build);
        let target = catalog.target("t").unwrap();
        assert_eq!(ensure_built(&catalog, target).unwrap(), BuildOutcome::Built);
        assert_eq!(
            ensure_built(&catalog, target).unwrap(),
            BuildOutcome::AlreadyBuiltThisRun
        );
        assert!(is_up_to_date(&catalog, target.build.as_ref().unwrap()));
        let count = std::fs::read_to_string(dir.path().join("count")).unwrap();
        assert_eq!(count.lines().count(), 1);
    }

    #[test]
    fn a_source_newer_than_the_output_needs_a_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("out"), "old").unwrap();
        let old = SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(dir.path().join("out"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        std::fs::write(dir.path().join("src/new.txt"), "x").unwrap();
        let build = r#"{ command = ["true"], inputs = ["src"], output = "out" }"#;
        let catalog = catalog_in(dir.path(), build);
        let spec = catalog.target("t").unwrap().build.clone().unwrap();
        assert!(!is_up_to_date(&catalog, &spec));
    }

    #[test]
    fn a_failing_build_reports_the_target_and_its_output_tail() {
        let dir = tempfile::tempdir().unwrap();
        let build = r#"{ command = ["sh", "-c", "echo compile error here >&2; exit 3"] }"#;
        let catalog = catalog_in(dir.path(), build);
        let err = ensure_built(&catalog, catalog.target("t").unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`t`") && err.contains("compile error here"),
            "{err}"
        );
    }
}
