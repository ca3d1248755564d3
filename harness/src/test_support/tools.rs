//! A test that needs a tool (Chromium, Python, k6, PostgreSQL, a toolchain, a network
//! namespace) is reported as ignored with the reason in its name when the tool is missing, never
//! as passed; with [`REQUIRE_ENV`] set to `1` (as `.ci/run` does, where every tool is installed)
//! it fails instead, naming the tool and how to install it.

use std::process::{Command, Stdio};

use libtest_mimic::{Failed, Trial};

/// With this set to `1` (as on CI), a test whose tool is missing fails instead of being
/// reported as ignored.
pub const REQUIRE_ENV: &str = "STAMPEDE_REQUIRE_TOOLS";

/// True when [`REQUIRE_ENV`] asks for every tool.
pub fn tools_required() -> bool {
    std::env::var_os(REQUIRE_ENV).is_some_and(|v| v == "1")
}

/// The trial `name` running `test`, or, when `missing` gives a reason, one reported as ignored
/// with the reason in its name (a failure with the reason under [`REQUIRE_ENV`]).
pub fn trial_needing(
    missing: Option<String>,
    name: &str,
    test: impl FnOnce() -> Result<(), Failed> + Send + 'static,
) -> Trial {
    match missing {
        // Run anyway (`--include-ignored`), it fails with the reason rather than pass.
        Some(reason) if !tools_required() => {
            let label = format!("{name} (skipped: {reason})");
            Trial::test(label, move || Err(Failed::from(reason))).with_ignored_flag(true)
        }
        Some(reason) => Trial::test(name, move || {
            Err(Failed::from(format!(
                "{reason}; {REQUIRE_ENV}=1 requires every tool"
            )))
        }),
        None => Trial::test(name, test),
    }
}

/// The trial `name` running a test that panics on failure, as a `#[test]` function does.
pub fn trial_of(missing: Option<String>, name: &str, test: fn()) -> Trial {
    trial_needing(missing, name, move || {
        test();
        Ok(())
    })
}

/// `None` when `program args` runs, else why not and how to install it: `install` is the
/// command or hint, e.g. `apt-get install chromium`.
pub fn program_missing(program: &str, args: &[&str], install: &str) -> Option<String> {
    let ran = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match ran {
        Ok(_) => None,
        Err(_) => Some(format!("{program} not found on PATH (install: {install})")),
    }
}

/// The named test functions (each `fn()`, panicking on failure) as libtest-mimic trials, all
/// needing what `missing` (an `Option<String>`, see [`trial_needing`]) says is absent:
/// `trials_needing!(missing; first_test, second_test)`.
#[macro_export]
macro_rules! trials_needing {
    ($missing:expr; $($test:ident),+ $(,)?) => {{
        let missing: Option<String> = $missing;
        vec![$(
            $crate::test_support::trial_of(missing.clone(), stringify!($test), $test)
        ),+]
    }};
}

/// [`trials_needing!`] run as a test file's whole `main`: runs them with the command line's
/// arguments and exits with their verdict.
#[macro_export]
macro_rules! run_needing {
    ($($args:tt)+) => {
        $crate::test_support::run($crate::trials_needing!($($args)+))
    };
}

/// Runs `trials` with the command line's arguments and exits with their verdict.
pub fn run(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&libtest_mimic::Arguments::from_args(), trials).exit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_is_named_with_its_install_command_and_a_present_one_is_not() {
        assert_eq!(
            program_missing("sh", &["-c", "true"], "apt-get install dash"),
            None
        );
        assert_eq!(
            program_missing("stampede-no-such-tool-x9", &[], "apt-get install x9").as_deref(),
            Some("stampede-no-such-tool-x9 not found on PATH (install: apt-get install x9)")
        );
    }

    #[test]
    fn a_trial_whose_tool_is_missing_is_ignored_with_the_reason_in_its_name() {
        // The CI switch, when set for this process, turns the skip into a failure instead.
        let trial = trial_needing(Some("x9 not found".into()), "t", || Ok(()));
        if tools_required() {
            assert_eq!(trial.name(), "t");
            assert!(!trial.has_ignored_flag());
        } else {
            assert_eq!(trial.name(), "t (skipped: x9 not found)");
            assert!(trial.has_ignored_flag());
        }
        let present = trial_needing(None, "t", || Ok(()));
        assert_eq!(present.name(), "t");
        assert!(!present.has_ignored_flag());
    }
}
