//! What the CLI tests share: a scratch workspace (STAMPEDE_ROOT) holding the real spec and one
//! Python target, and `stampede` run in it.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;
use std::process::{Command, Output};

use stampede_harness::catalog::fixtures::{copy_spec, python_target};
use stampede_harness::test_support::program_missing;

/// This repository's root.
pub(crate) fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Why the Python targets cannot run here, if they cannot.
pub(crate) fn python_missing() -> Option<String> {
    program_missing("python3", &["--version"], "apt-get install python3")
}

/// A scratch workspace with the spec and one Python target `name` running `<name>.py`, whose
/// text is `script`, with `extra` catalog lines (`workloads = ...`, `env = ...`).
pub(crate) fn python_workspace(name: &str, script: &str, extra: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    copy_spec(repo(), root.path()).unwrap();
    let file = format!("{name}.py");
    std::fs::write(root.path().join(&file), script).unwrap();
    std::fs::write(
        root.path().join("targets.toml"),
        python_target(name, &file, extra),
    )
    .unwrap();
    root
}

/// `stampede args` run in the workspace `root`.
pub(crate) fn stampede_in(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stampede"))
        .args(args)
        .env("STAMPEDE_ROOT", root)
        .output()
        .unwrap()
}
