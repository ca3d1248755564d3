//! docs/adding-a-target.md walks through `example`, a two-workload target in Python. Its two
//! blocks (the catalog entry and the server) must be exactly what the repository runs; and a
//! target built from the page's own text, in a scratch workspace, passes `verify` on the vectors
//! of the workloads it serves and answers both under load, while every other workload is
//! refused as not served (a skip, never a failure).
//!
//! Without python3 the build-and-load test is reported as ignored with the reason; with
//! STAMPEDE_REQUIRE_TOOLS=1 (CI) it fails instead.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use stampede_harness::catalog::fixtures::copy_spec;
use stampede_harness::catalog::{Availability, Catalog};
use stampede_harness::cpus::CpuSplit;
use stampede_harness::load::LoadPlan;
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{load_spec, start_verified};
use stampede_harness::test_support::{program_missing, run};
use stampede_harness::trials_needing;
use stampede_harness::workload::WorkloadSpec;

fn main() {
    let python = program_missing("python3", &["--version"], "apt-get install python3");
    let mut trials = trials_needing!(None; the_walk_through_quotes_the_example_target_exactly);
    trials.extend(trials_needing!(python;
        the_example_built_from_the_page_verifies_and_serves_its_two_workloads_under_load
    ));
    run(trials);
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap()
}

/// The body of the page's first fenced block after `heading` in language `lang`.
fn block(doc: &str, heading: &str, lang: &str) -> String {
    let after = &doc[doc
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"))..];
    let open = format!("```{lang}\n");
    let start = after
        .find(&open)
        .unwrap_or_else(|| panic!("no {lang} block"))
        + open.len();
    let end = after[start..].find("\n```\n").unwrap();
    after[start..start + end + 1].to_owned()
}

/// The page's catalog entry, split into its toolchain part and its target part.
fn catalog_blocks(doc: &str) -> (String, String) {
    let entry = block(doc, "### The catalog entry", "toml");
    let at = entry.find("[[targets]]").unwrap();
    (entry[..at].trim().to_owned(), entry[at..].trim().to_owned())
}

fn the_walk_through_quotes_the_example_target_exactly() {
    let doc = read("docs/adding-a-target.md");
    let server = block(&doc, "### The server", "python");
    assert!(
        server == read("python-targets/example.py"),
        "the server block of docs/adding-a-target.md differs from python-targets/example.py; \
         copy the file into the page"
    );
    let (toolchain, target) = catalog_blocks(&doc);
    let catalog = read("targets.toml");
    for part in [toolchain, target] {
        assert!(
            catalog.contains(&part),
            "targets.toml does not hold the page's block verbatim:\n{part}"
        );
    }
}

fn the_example_built_from_the_page_verifies_and_serves_its_two_workloads_under_load() {
    let doc = read("docs/adding-a-target.md");
    let root = tempfile::tempdir().unwrap();
    let (toolchain, target) = catalog_blocks(&doc);
    std::fs::write(
        root.path().join("targets.toml"),
        format!("{toolchain}\n\n{target}\n"),
    )
    .unwrap();
    std::fs::create_dir_all(root.path().join("python-targets")).unwrap();
    std::fs::write(
        root.path().join("python-targets/example.py"),
        block(&doc, "### The server", "python"),
    )
    .unwrap();
    copy_spec(&repo(), root.path()).unwrap();

    let catalog = Catalog::load(root.path()).unwrap();
    let example = catalog.target("example").unwrap();
    if let Availability::Skipped { reason } = catalog.availability(example) {
        panic!("example: {reason}");
    }
    let vectors = load_spec(&catalog).unwrap();
    let split = CpuSplit::resolve(None, None).unwrap();
    let config = ServerConfig::for_cpus(split.server.clone());
    let verified = start_verified(&catalog, "example", &config, Arc::clone(&vectors)).unwrap();
    // Its workloads' vectors and the ones no workload owns; nothing of the others.
    assert!(
        (3..vectors.len()).contains(&verified.verified_vectors),
        "{} of {} vectors",
        verified.verified_vectors,
        vectors.len()
    );

    let spec = WorkloadSpec::load(&root.path().join("spec")).unwrap();
    for workload in spec.at_defaults() {
        let connected = verified.connect(&workload, 2, &split.client);
        if !["plaintext", "json"].contains(&workload.name()) {
            let err = connected.err().unwrap();
            assert!(err.is_skip(), "{err}");
            assert_eq!(
                err.to_string(),
                format!("example: {} not served", workload.name())
            );
            continue;
        }
        let sample = connected.unwrap().run(&LoadPlan::requests(128)).unwrap();
        assert_eq!(
            sample.requests, 128,
            "{workload}: {:?}",
            sample.errors_by_kind
        );
        assert_eq!(sample.errors(), 0, "{workload}");
        // Exact answers are checked every time, JSON ones on a sample.
        assert!(sample.checked_answers > 0, "{workload}: no answer checked");
    }
    verified.server.stop();
}
