//! spec/vectors.json is generated: regenerating it with spec/gen_vectors.py must give the
//! committed file, so nobody edits the vectors by hand and forgets the generator. Without
//! python3 it is reported as ignored with the reason; with STAMPEDE_REQUIRE_TOOLS=1 (CI) it fails.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use stampede_harness::run_needing;
use stampede_harness::test_support::program_missing;

fn main() {
    let missing = program_missing("python3", &["--version"], "apt-get install python3");
    run_needing!(missing; the_committed_vectors_are_what_gen_vectors_py_writes);
}

fn the_committed_vectors_are_what_gen_vectors_py_writes() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    // The generator writes beside itself, so run a copy in a scratch folder.
    let scratch = tempfile::tempdir().unwrap();
    let script = scratch.path().join("gen_vectors.py");
    std::fs::copy(spec.join("gen_vectors.py"), &script).unwrap();
    let run = Command::new("python3").arg(&script).output().unwrap();
    assert!(
        run.status.success(),
        "gen_vectors.py failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let generated = std::fs::read_to_string(scratch.path().join("vectors.json")).unwrap();
    let committed = std::fs::read_to_string(spec.join("vectors.json")).unwrap();
    assert!(
        generated == committed,
        "spec/vectors.json differs from what spec/gen_vectors.py writes: change the generator, \
         then run `python3 spec/gen_vectors.py` and commit both"
    );
}
