//! The summary from fixed records: its schemas derived and committed, results.json and a record
//! file valid against them, report.md and the page's HTML as insta snapshots, flags in all three
//! outputs, two machines never ranked together, the Strictness column once conformance has
//! run, and index.html in headless Chromium.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use stampede_harness::evidence::fixtures::{open_loop_run, record};
use stampede_harness::evidence::{ResultRecord, record_schema};
use stampede_harness::icount::IcountRecord;
use stampede_harness::icount::record;
use stampede_harness::strictness::record::{RECORD_SCHEMA, StrictnessRecord};
use stampede_harness::strictness::run::ProbeResult;
use stampede_harness::strictness::{Level, Owner, Verdict};
use stampede_harness::summary::claims::ClaimSet;
use stampede_harness::summary::html::CriterionLinks;
use stampede_harness::summary::order::ReportOrder;
use stampede_harness::summary::{
    RunSelection, SkippedTarget, Summary, charts, html, json, markdown, write_from_results,
    write_summary,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fixture result; the workloads with tails get two open-loop runs, as the benches make them.
fn result(id: &str, rps: f64, p50_us: u64, pss_mib: u64) -> ResultRecord {
    let mut r = record(id, rps, p50_us, pss_mib);
    r.open_loop.clear();
    if ["json-doc", "json", "hash-offload"].contains(&r.workload.as_str()) {
        let mut capacity = open_loop_run("80% of capacity", rps * 0.8, p50_us * 2);
        capacity.fraction_of_capacity = Some(0.8);
        r.open_loop = vec![capacity, open_loop_run("common rate", 500.0, p50_us)];
    }
    r
}

fn client_bound(mut r: ResultRecord, cpu_busy: f64) -> ResultRecord {
    r.server.cpu_busy = cpu_busy;
    r.client.cpu_busy = 0.97;
    r.flags.client_bound = true;
    r.flags.server_bound = false;
    r
}

fn records() -> Vec<ResultRecord> {
    let mut invalid = result("json/node/c256", 9_000.0, 28_000, 60);
    invalid.errors = 120;
    invalid.errors_by_kind.insert("timeout".into(), 120);
    invalid.flags.invalid = true;
    // Memory per connection = (peak PSS - idle PSS) / connections: 900 B and 2,300 B.
    let sleep_big = |id: &str, per_connection: u64, pss_mib: u64| {
        let mut r = result(id, 95_000.0, 10_500, pss_mib);
        r.server.idle_pss_bytes = Some(r.server.peak_pss_bytes);
        r.server.peak_pss_bytes += per_connection * 1000;
        client_bound(r, 0.3)
    };
    vec![
        client_bound(result("plaintext/nethttp/c64", 30_000.0, 2_000, 12), 0.62),
        result("json/actix/c16", 48_000.0, 330, 8),
        result("json/actix/c256", 46_000.0, 5_500, 10),
        result("json/axum/c16", 45_000.0, 350, 7),
        result("json/axum/c256", 44_000.0, 5_800, 9),
        result("json/nethttp/c16", 33_000.0, 480, 13),
        result("json/nethttp/c256", 32_000.0, 8_000, 15),
        result("json/node/c16", 16_000.0, 1_000, 55),
        invalid,
        result("json-doc/actix/c64", 30_000.0, 2_100, 9),
        result("json-doc/actix/c256", 29_000.0, 8_800, 11),
        result("json-doc/gin/c64", 21_000.0, 3_000, 15),
        result("json-doc/gin/c256", 20_500.0, 12_500, 17),
        result("hash/axum/r5000", 400.0, 150_000, 10),
        result("hash/nethttp/r5000", 420.0, 140_000, 13),
        result("hash-offload/axum/r5000", 480.0, 130_000, 11),
        result("hash-offload/nethttp/r5000", 450.0, 140_000, 14),
        client_bound(result("sleep/axum/c100", 9_500.0, 10_500, 9), 0.1),
        client_bound(result("sleep/nethttp/c100", 9_500.0, 10_500, 14), 0.1),
        sleep_big("sleep/axum/c1000", 900, 9),
        sleep_big("sleep/nethttp/c1000", 2_300, 14),
    ]
}

fn order() -> ReportOrder {
    let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
    ReportOrder {
        targets: names(&["actix", "axum", "nethttp", "gin", "node", "node-cluster"]),
        workloads: names(&[
            "plaintext",
            "json",
            "json-doc",
            "hash",
            "hash-offload",
            "sleep",
        ]),
    }
}

fn fixture() -> Summary {
    let skipped = vec![SkippedTarget {
        target: "node-cluster".into(),
        reason: "node not found on PATH (install Node.js >= 18)".into(),
    }];
    let claims = ClaimSet::load(&root().join("spec/claims.toml")).unwrap();
    let mut summary = Summary::build(records(), skipped, &claims, &order());
    summary.instructions = vec![instructions("actix", "json", 16_959.4)];
    summary
}

/// What `stampede icount` wrote for one target and workload: three processes, 1,000 requests.
fn instructions(target: &str, workload: &str, per_request: f64) -> IcountRecord {
    let mut count = record::fixture(target, workload, &[per_request; 3]);
    count.spread_pct = 0.03;
    count
}

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

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs `command` to completion, killing it after `limit`; returns (stdout, stderr).
fn run_with_limit(command: &mut Command, limit: Duration) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    (read(&out), read(&err))
}

/// The fixture's summary, written as a page into a fresh folder: the summary, the folder (kept
/// alive by the caller) and the page's path.
fn fixture_page() -> (Summary, tempfile::TempDir, PathBuf) {
    let summary = fixture();
    let dir = tempfile::tempdir().unwrap();
    let paths = write_summary(&summary, &dir.path().join("report"), None).unwrap();
    (summary, dir, paths.html)
}

/// The DOM of `page` after headless Chromium loaded it (a profile under `dir`), and its stderr.
fn dump_dom(chromium: &Path, dir: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let profile = format!("--user-data-dir={}", dir.join("profile").display());
    let url = format!("file://{}", page.display());
    let mut command = Command::new(chromium);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    command
        .args(extra)
        .args([profile.as_str(), "--dump-dom", url.as_str()]);
    run_with_limit(&mut command, Duration::from_secs(90))
}

#[test]
fn index_html_renders_in_headless_chromium_with_every_chart_and_table() {
    let Some(chromium) = find_chromium() else {
        println!("skipped: chromium not installed (apt-get install chromium)");
        return;
    };
    let (summary, dir, html) = fixture_page();
    let (dom, stderr) = dump_dom(
        &chromium,
        dir.path(),
        &html,
        &["--enable-logging=stderr", "--v=0"],
    );
    // The page has no script, so any console line (an error, a failed resource) is a fault.
    let console_errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("Uncaught") || l.contains(":CONSOLE"))
        .collect();
    assert!(
        console_errors.is_empty(),
        "console errors:\n{}",
        console_errors.join("\n")
    );
    assert!(
        dom.contains("<title>stampede summary</title>"),
        "no page in the DOM; stderr:\n{stderr}"
    );

    let section = &summary.sections[0];
    let mut expected = 0;
    for w in &section.workloads {
        for chart in charts::workload_charts(&summary, section, w) {
            expected += 1;
            // The figure holds a drawn SVG (axes, marks) and the table of its figures.
            let start = dom
                .find(&format!("<figure class=\"chart\" id=\"{}\"", chart.id))
                .unwrap_or_else(|| panic!("{} missing from the rendered DOM", chart.id));
            let figure = &dom[start..start + dom[start..].find("</figure>").unwrap()];
            assert!(
                figure.contains("<svg") && figure.contains("<line"),
                "{}",
                chart.id
            );
            assert!(figure.contains("<table class=\"data\""), "{}", chart.id);
        }
        let table = format!(
            "id=\"{}-table\"",
            charts::anchor(&summary, section, &w.name)
        );
        assert!(dom.contains(&table), "{table}");
    }
    assert_eq!(
        dom.matches("<svg").count(),
        expected,
        "every chart is an inline <svg>"
    );
    for id in [
        "w-json-latency-c256-1",
        "w-json-cpu",
        "w-json-pss",
        "w-sleep-conn-memory",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(dom.contains("id=\"claims-table\"") && dom.contains("id=\"versions-table\""));
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

/// What the injected script reports for the page at 1,280 px: the evidence tables wider than
/// their place, and the rows taller than one line.
const LAYOUT_PROBE: &str = r#"<script>
const over = [], tall = [];
for (const t of document.querySelectorAll('table.evidence[id$="-table"]')) {
  const box = t.parentElement;
  if (box.scrollWidth > box.clientWidth + 1 || t.getBoundingClientRect().right > window.innerWidth) over.push(t.id);
  for (const tr of t.querySelectorAll('tbody tr')) {
    const td = tr.querySelector('td');
    const line = parseFloat(getComputedStyle(td).fontSize) * 1.6 + 8;
    if (tr.getBoundingClientRect().height > line) tall.push(t.id + ':' + td.textContent);
  }
}
document.body.setAttribute('data-layout', JSON.stringify({width: window.innerWidth, over, tall}));
</script></body>"#;

#[test]
fn the_evidence_tables_fit_a_1280_px_page_with_rows_one_line_high() {
    let Some(chromium) = find_chromium() else {
        println!("skipped: chromium not installed (apt-get install chromium)");
        return;
    };
    let (_, dir, html) = fixture_page();
    let page = std::fs::read_to_string(&html).unwrap();
    let probed = dir.path().join("probed.html");
    std::fs::write(&probed, page.replace("</body>", LAYOUT_PROBE)).unwrap();
    let (dom, stderr) = dump_dom(&chromium, dir.path(), &probed, &["--window-size=1280,900"]);
    let start = dom
        .find("data-layout=\"")
        .unwrap_or_else(|| panic!("the probe did not run; stderr:\n{stderr}"))
        + "data-layout=\"".len();
    let json = dom[start..start + dom[start..].find('"').unwrap()].replace("&quot;", "\"");
    let layout: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(layout["width"], 1280, "{layout}");
    assert_eq!(
        layout["over"],
        serde_json::json!([]),
        "wider than the page: {layout}"
    );
    assert_eq!(
        layout["tall"],
        serde_json::json!([]),
        "rows over one line: {layout}"
    );
}

/// A record of `stampede conformance` for `target`: one MUST probe passed, one failed.
fn strictness(target: &str, failed_owner: Owner) -> StrictnessRecord {
    let probe = |name: &str, verdict: Verdict, owner: Owner| ProbeResult {
        name: name.into(),
        group: "transfer-encoding".into(),
        level: Level::Must,
        rfc: "RFC 9112 §6.1".into(),
        verdict,
        owner,
        observed: "status 200, then answered the next bytes with 200".into(),
        expected: "200 or 400 or a close, then close".into(),
    };
    StrictnessRecord {
        schema_version: RECORD_SCHEMA,
        target: target.into(),
        framework: "fw".into(),
        git_commit: "abc1234".into(),
        time: "2026-01-01T00:00:00Z".into(),
        probes: vec![
            probe("host-missing", Verdict::Pass, Owner::Target),
            probe("cl-te-smuggled-request", Verdict::Fail, failed_owner),
        ],
        stopped: None,
    }
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
