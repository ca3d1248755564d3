//! The summary from fixed records: its schemas derived and committed, results.json and a record
//! file valid against them, report.md and the page's HTML as insta snapshots, flags in all three
//! outputs, two machines never ranked together, and the Strictness column once conformance has
//! run. The page in headless Chromium is summary_chromium.rs.
#![allow(clippy::unwrap_used)]

#[path = "common/summary_fixture.rs"]
mod summary_fixture;

use serde_json::Value;
use stampede_harness::evidence::record_schema;
use stampede_harness::strictness::record::StrictnessRecord;
use stampede_harness::strictness::record::fixtures::{record, result as probe};
use stampede_harness::strictness::{Level, Owner, Verdict};
use stampede_harness::summary::claims::ClaimSet;
use stampede_harness::summary::html::CriterionLinks;
use stampede_harness::summary::{
    RunSelection, SkippedTarget, Summary, html, json, markdown, write_from_results, write_summary,
};
use summary_fixture::{fixture, order, records, result, root};

/// Compares a derived schema with its committed file; `STAMPEDE_BLESS=1` rewrites the file.
fn assert_committed(schema: &Value, file: &str) {
    let path = root().join(file);
    let derived = serde_json::to_string_pretty(schema).unwrap() + "\n";
    if std::env::var_os("STAMPEDE_BLESS").is_some() {
        std::fs::write(&path, &derived).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == derived,
        "{file} differs from the schema derived from the Rust types; if the change is \
         intended, run `STAMPEDE_BLESS=1 cargo test -p stampede-harness --test summary_report` \
         and commit the file"
    );
}

fn schema_errors(schema: &Value, document: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).unwrap();
    validator
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn the_committed_schemas_are_the_ones_derived_from_the_types() {
    assert_committed(&json::schema(), "spec/results.schema.json");
    assert_committed(&record_schema(), "spec/record.schema.json");
}

#[test]
fn results_json_is_valid_against_its_schema_and_a_broken_one_is_not() {
    let text = json::render(&fixture(), &CriterionLinks::default()).unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    let schema = json::schema();
    let errors = schema_errors(&schema, &document);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(document["schema_version"], json::SCHEMA_VERSION);

    let mut broken = document.clone();
    broken["workloads"][0]["results"][0]["setup"]["server_cpus"] = Value::from(0);
    broken["claims"][0]
        .as_object_mut()
        .unwrap()
        .remove("verdict");
    broken["claims"][1]["verdict"] = Value::from("maybe");
    broken["extra"] = Value::from(1);
    let errors = schema_errors(&schema, &broken);
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn a_written_record_file_is_valid_against_the_record_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = result("json/actix/c16", 48_000.0, 330, 8)
        .write_to(dir.path())
        .unwrap();
    let written: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let errors = schema_errors(&record_schema(), &written);
    assert!(errors.is_empty(), "{errors:#?}");
    // A soak record, with its timeline and the flags it sets.
    let mut soak = result("soak/node/c64", 20_000.0, 330, 60);
    let rows = stampede_harness::evidence::fixtures::timeline(60, |n| 60.0 + n as f64, &[50]);
    soak.figures.timeline = Some(rows);
    soak.flags = soak.figures.flags(true);
    let written = serde_json::to_value(&soak).unwrap();
    assert_eq!(
        (written["memory_grows"].clone(), written["stalls"].clone()),
        (Value::from(true), Value::from(true))
    );
    let errors = schema_errors(&record_schema(), &written);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn report_md_matches_its_snapshot() {
    insta::assert_snapshot!("report_md", markdown::render(&fixture()).unwrap());
}

/// The page with the style sheet and every chart's drawing cut out: the markup and the figures
/// beside each chart are what a reviewer reads; the drawings have tests of their own.
fn normalised(page: &str) -> String {
    let svg = regex::Regex::new(r"(?s)<svg [^>]*>.*?</svg>").unwrap();
    let style = regex::Regex::new(r"(?s)<style>.*?</style>").unwrap();
    let page = style.replace(page, "<style>…</style>");
    svg.replace_all(&page, "<svg>…</svg>").into_owned()
}

#[test]
fn index_html_matches_its_snapshot_with_drawings_cut() {
    let page = html::render(&fixture(), &CriterionLinks::default()).unwrap();
    if let Some(p) = std::env::var_os("DUMP_PAGE") {
        std::fs::write(p, &page).unwrap();
    }
    insta::assert_snapshot!("index_html", normalised(&page));
}

#[test]
fn client_bound_and_invalid_results_are_flagged_in_all_three_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_summary(&fixture(), dir.path(), None).unwrap();
    let md = std::fs::read_to_string(&paths.markdown).unwrap();
    let page = std::fs::read_to_string(&paths.html).unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&paths.json).unwrap()).unwrap();

    let md_row = |target: &str, param: &str| {
        let start = format!("| {target} | {param} |");
        md.lines()
            .find(|l| l.starts_with(&start))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(md_row("nethttp", "c64").contains("client-bound (client CPU 0.97)"));
    assert!(md_row("node", "c256").contains("INVALID (errors 0.13%)"));
    assert!(md.contains("| node-cluster | — |") && md.contains("skipped: node not found on PATH"));

    assert!(page.contains("client-bound (client CPU 0.97)"));
    assert!(page.contains("<td class=\"flag invalid\">INVALID (errors 0.13%)</td>"));
    assert!(page.contains("<tr class=\"flagged\">") && page.contains("<tr class=\"skipped\">"));

    let result = |id: &str| {
        doc["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|w| w["results"].as_array().unwrap())
            .find(|&r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        result("plaintext/nethttp/c64")["flags"],
        serde_json::json!(["client-bound"])
    );
    assert_eq!(
        result("json/node/c256")["flags"],
        serde_json::json!(["INVALID"])
    );
    assert_eq!(result("json/actix/c16")["flags"], serde_json::json!([]));
    assert_eq!(doc["skipped"][0]["target"], "node-cluster");
    // The invalid node run makes claim 8 (Node's throughput trend) not comparable, and says why.
    let claim8 = doc["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "8")
        .unwrap();
    assert_eq!(claim8["verdict"], "not comparable");
    assert!(
        claim8["why"]
            .as_str()
            .unwrap()
            .contains("json/node/c256 is INVALID"),
        "{claim8}"
    );
}

#[test]
fn results_folders_from_two_machines_are_shown_apart_unranked_with_the_reason() {
    let (a, b, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    for r in records().into_iter().filter(|r| r.workload == "json") {
        let mut other = r.clone();
        other.machine.cpu_model = "Other CPU @ 2.0GHz".into();
        other.machine.cores = 64;
        other.run_id = "20260503T100000Z-7-000".into();
        r.write_to(a.path()).unwrap();
        other.write_to(b.path()).unwrap();
    }
    let dirs = [a.path().to_path_buf(), b.path().to_path_buf()];
    let paths = write_from_results(&dirs, out.path(), None, RunSelection::Latest).unwrap();
    let page = std::fs::read_to_string(&paths.html).unwrap();
    let md = std::fs::read_to_string(&paths.markdown).unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&paths.json).unwrap()).unwrap();

    for text in [&page, &md] {
        assert!(text.contains("Not ranked across machines"), "{text}");
        assert!(text.contains("machine 1 (Test CPU, 2 cores, Linux 6.1)"));
        assert!(text.contains("machine 2 (Other CPU @ 2.0GHz, 64 cores, Linux 6.1)"));
    }
    // Each machine's json results get their own charts: no chart mixes the two.
    assert!(page.contains("id=\"m1-w-json-rps\"") && page.contains("id=\"m2-w-json-rps\""));
    let machines: Vec<u64> = doc["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["machine"].as_u64().unwrap())
        .collect();
    assert_eq!(machines, [0, 1]);
    assert!(
        doc["unranked_reason"]
            .as_str()
            .unwrap()
            .contains("64 cores")
    );
}

#[test]
fn every_claim_that_is_not_comparable_says_what_would_make_it_comparable() {
    let summary = fixture();
    let checks: Vec<_> = summary.sections.iter().flat_map(|s| &s.claims).collect();
    let not_comparable: Vec<_> = checks
        .iter()
        .filter(|c| c.verdict.as_str() == "not comparable")
        .collect();
    assert!(!not_comparable.is_empty(), "the fixture has none to check");
    for check in not_comparable {
        assert!(
            check.why.contains("to compare:"),
            "claim {} gives no remedy: {}",
            check.id,
            check.why
        );
    }
}

/// A record of `stampede conformance` for `target`: one MUST probe passed, one failed.
fn strictness(target: &str, failed_owner: Owner) -> StrictnessRecord {
    record(
        target,
        vec![
            probe("host-missing", Level::Must, Verdict::Pass, Owner::Target),
            probe(
                "cl-te-smuggled-request",
                Level::Must,
                Verdict::Fail,
                failed_owner,
            ),
        ],
    )
}

#[test]
fn the_strictness_column_and_the_failed_must_probes_show_once_conformance_has_run() {
    let mut summary = fixture();
    let plain = markdown::render(&summary).unwrap();
    assert!(!plain.contains("strictness"), "no records, no column");
    summary.strictness = vec![
        strictness("actix", Owner::Framework),
        strictness("node", Owner::Target),
    ];
    let md = markdown::render(&summary).unwrap();
    assert!(md.contains("| target | strictness | language |"), "{md}");
    assert!(
        md.contains("| actix | MUST 1/2 · SHOULD 0/0 | Rust |"),
        "{md}"
    );
    assert!(md.contains("| nethttp | — | Go |"), "{md}");
    assert!(md.contains(
        "| actix | cl-te-smuggled-request | RFC 9112 §6.1 | framework | got status 200, then \
         answered the next bytes with 200; passes with 200 or 400 or a close, then close |"
    ));
    assert!(md.contains("| node | cl-te-smuggled-request | RFC 9112 §6.1 | ours |"));
    let page = html::render(&summary, &CriterionLinks::default()).unwrap();
    assert!(page.contains("<th>strictness</th>") && page.contains("id=\"strictness-table\""));
    assert!(page.contains("<td>actix</td><td>MUST 1/2 · SHOULD 0/0</td>"));
}

/// A partial target (catalog `workloads = ["plaintext", "json"]`) in the tables: "not served"
/// where it does not serve the workload, distinct from "skipped" (toolchain missing) and from a
/// target with no result for another reason; a claim on that workload is not comparable.
#[test]
fn a_workload_a_target_does_not_serve_shows_not_served_distinct_from_skipped() {
    use stampede_harness::summary::NotServed;
    let records = vec![
        result("json/example/c16", 9_000.0, 1_700, 20),
        result("json-doc/actix/c64", 30_000.0, 2_100, 9),
        result("json-doc/gin/c64", 21_000.0, 3_000, 15),
        result("json-doc/axum/c64", 28_000.0, 2_200, 8),
        result("json/axum/c16", 45_000.0, 350, 7),
    ];
    let skipped = vec![SkippedTarget {
        target: "node".into(),
        reason: "node not found on PATH (install Node.js >= 18)".into(),
    }];
    let not_served = vec![NotServed {
        target: "example".into(),
        workload: "json-doc".into(),
        line: "example: json-doc not served".into(),
    }];
    let claims = ClaimSet::parse(
        "tolerance = 0.25\n[[claims]]\nid = \"x\"\nsource = 1\nclaim = \"c\"\n\
         metric = \"requests_per_sec\"\na = { workload = \"json-doc\", targets = [\"actix\"] }\n\
         b = { workload = \"json-doc\", targets = [\"example\"] }\nexpect = \"above\"\n",
    )
    .unwrap();
    let mut order = order();
    order.targets.push("example".into());
    let summary = Summary::build_serving(records, skipped, not_served, &claims, &order);
    let md = markdown::render(&summary).unwrap();
    let section = |heading: &str| {
        let start = md.find(&format!("\n## {heading}\n")).unwrap();
        let rest = &md[start + 1..];
        // The section up to the next one or its first chart table.
        let end = [rest[3..].find("\n## "), rest.find("\n### ").map(|e| e - 3)]
            .into_iter()
            .flatten()
            .min()
            .map_or(rest.len(), |e| e + 3);
        rest[..end].to_owned()
    };
    let tables = [
        section("Targets and versions"),
        section("Claims check"),
        section("json-doc"),
    ]
    .join("\n");
    insta::assert_snapshot!("not_served_md", tables);
    assert!(tables.contains("| example |") && tables.contains("| not served |"));
    assert!(tables.contains("skipped: node not found on PATH"));
    assert!(tables.contains("example: json-doc not served"));
    let page = html::render(&summary, &CriterionLinks::default()).unwrap();
    assert!(
        page.contains("<tr class=\"not-served\">"),
        "no not-served row"
    );
}
