//! `stampede compare`'s output flags, as README documents them: `--export-json FILE` and
//! `--export-markdown FILE` write files, `--json` only switches what is printed. Parsing is all
//! these need, so nothing is built or loaded.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::process::{Command, Output};

fn stampede(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stampede"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn compare_help_documents_the_export_flags_with_a_file_and_json_without_one() {
    let output = stampede(&["compare", "--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{help}");
    assert!(help.contains("--export-json <FILE>"), "{help}");
    assert!(help.contains("--export-markdown <FILE>"), "{help}");
    let json = help
        .lines()
        .find(|line| line.trim_start().starts_with("--json"));
    assert_eq!(json.map(str::trim), Some("--json"), "{help}");
}

#[test]
fn compare_refuses_the_old_json_file_spelling_instead_of_misreading_it() {
    let output = stampede(&["compare", "--base", "main", "--json", "run.json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unexpected argument 'run.json'"),
        "{stderr}"
    );
}
