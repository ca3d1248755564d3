//! One-target catalogs for tests, here and in the integration tests: the fields every target
//! needs, written once.

use std::path::Path;

/// A catalog text of one Shell target `name` started by `start` (a TOML array), with
/// `extra` lines of the target (`build = ...`, `env = ...`).
pub fn shell_target(name: &str, start: &str, extra: &str) -> String {
    let toolchain = r#"command = "sh"
        version_args = ["-c", "echo sh 1.0"]
        hint = "a shell""#;
    one_target(("sh", toolchain, "Shell", "applies"), name, start, extra)
}

/// A catalog text of one Python target `name` that runs `{root}/<script>` with `python3`
/// (one process: workers do not apply).
pub fn python_target(name: &str, script: &str, extra: &str) -> String {
    let toolchain = r#"command = "python3"
        version_args = ["--version"]
        hint = "install Python 3""#;
    let start = format!(r#"["python3", "{{root}}/{script}"]"#);
    one_target(
        ("python", toolchain, "Python", "does not apply"),
        name,
        &start,
        extra,
    )
}

fn one_target(
    (toolchain, entry, language, workers): (&str, &str, &str, &str),
    name: &str,
    start: &str,
    extra: &str,
) -> String {
    format!(
        r#"
        [toolchains.{toolchain}]
        {entry}
        [[targets]]
        name = "{name}"
        language = "{language}"
        framework = "none"
        toolchain = "{toolchain}"
        workers = "{workers}"
        start = {start}
        {extra}
        "#
    )
}

/// Copies the spec files a workspace runs on (vectors, bodies, bad inputs, workloads, and
/// PostgreSQL's settings and seed) from the repository `repo` into `root/spec`: a throwaway
/// workspace that checks its targets as the real one does.
pub fn copy_spec(repo: &Path, root: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(root.join("spec/postgres"))?;
    for file in [
        "vectors.json",
        "json-doc.json",
        "bad-inputs.json",
        "rfc-probes.json",
        "workloads.toml",
        "postgres/postgresql.conf",
        "postgres/create-database.sql",
        "postgres/create.sql",
    ] {
        std::fs::copy(repo.join("spec").join(file), root.join("spec").join(file))?;
    }
    Ok(())
}
