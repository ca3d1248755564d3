//! A catalog whose one target, `mock`, is the `stampede-mock` process, for tests that need the
//! server to be a real process (CPU of exited threads, memory, the catalog path).

/// `targets.toml` text with one target `mock` started by `start` (the `stampede-mock` binary,
/// which a test binary gets from `env!("CARGO_BIN_EXE_stampede-mock")`, possibly behind `env`).
pub fn mock_targets_toml(start: &[&str]) -> String {
    let start = start
        .iter()
        .map(|arg| format!("{arg:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "[toolchains.none]\ncommand = \"true\"\nversion_args = []\nhint = \"\"\n\n\
         [[targets]]\nname = \"mock\"\nlanguage = \"Rust\"\nframework = \"mock\"\n\
         toolchain = \"none\"\nworkers = \"does not apply: a test mock\"\n\
         start = [{start}]\n"
    )
}
