//! The summary report from fixed records: results.json against its schema, report.md against a
//! committed snapshot, flags in all three outputs, and index.html in headless Chromium.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use stampede_harness::evidence::{
    ClientEvidence, Machine, OpenLoopRun, ResultRecord, RunMode, SCHEMA_VERSION, SendLag,
    ServerEvidence, Setup,
};
use stampede_harness::load::LatencySummary;
use stampede_harness::load::latency::Percentile;
use stampede_harness::metrics::CpuSource;
use stampede_harness::summary::claims::ClaimSet;
use stampede_harness::summary::html::CriterionLinks;
use stampede_harness::summary::{SkippedTarget, Summary, json, markdown, write_summary};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A result with fixed time, commit and machine; `rps` and `p50_us` drive the other figures.
fn record(id: &str, rps: f64, p50_us: u64, rss_mib: u64) -> ResultRecord {
    let parts: Vec<&str> = id.split('/').collect();
    let (workload, target, param) = (parts[0], parts[1], parts[2]);
    let (language, framework, toolchain) = match target {
        "actix" => ("Rust", "actix-web 4", "cargo 1.95.0"),
        "axum" => ("Rust", "axum 0.8 on tokio", "cargo 1.95.0"),
        "nethttp" => ("Go", "net/http", "go version go1.23.4 linux/amd64"),
        "gin" => (
            "Go",
            "gin (release mode, gin.New)",
            "go version go1.23.4 linux/amd64",
        ),
        _ => ("JavaScript", "node:http, one process", "v20.19.2"),
    };
    let number: usize = param
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap();
    let requests = (rps * 10.0) as u64;
    ResultRecord {
        schema_version: SCHEMA_VERSION,
        id: id.into(),
        workload: workload.into(),
        target: target.into(),
        param: param.into(),
        language: language.into(),
        framework: framework.into(),
        toolchain: toolchain.into(),
        run_id: "20260502T100000Z-42-000".into(),
        mode: RunMode::Full,
        requests,
        errors: 0,
        errors_by_kind: BTreeMap::new(),
        requests_per_sec: rps,
        latency_us: LatencySummary {
            p50: p50_us,
            p90: p50_us * 2,
            p99: p50_us * 4,
            p999: p50_us * 8,
            max: p50_us * 20,
            mean: (p50_us * 2) as f64,
        },
        occupancy: Some(0.98),
        server: ServerEvidence {
            cpu_busy: 0.97,
            cpu_us_per_request: Some((1e6 / rps * 10.0).round() / 10.0),
            peak_pss_bytes: rss_mib << 20,
            peak_rss_bytes: (rss_mib + 2) << 20,
            idle_pss_bytes: Some(rss_mib << 19),
            processes: 1,
            cores: 1,
            cpu_source: CpuSource::Cgroup,
        },
        client: ClientEvidence {
            cpu_busy: 0.6,
            cpu_us_per_request: Some((0.6e6 / rps * 10.0).round() / 10.0),
            threads: 1,
        },
        open_loop: if ["json-doc", "json", "hash-offload"].contains(&workload) {
            vec![
                open_loop_run("80% of capacity", Some(0.8), rps * 0.8, p50_us * 2),
                open_loop_run("common rate", None, 500.0, p50_us),
            ]
        } else {
            Vec::new()
        },
        checked_answers: requests / 64,
        wrong_answer_example: None,
        client_bound: false,
        server_bound: true,
        low_occupancy: false,
        client_late: false,
        invalid: false,
        setup: Setup {
            server_cpus: "0".into(),
            client_cpus: "1".into(),
            workers: (target != "node").then_some(1),
            offload_threads: 1,
            connections: if param.starts_with('c') { number } else { 64 },
            rate_per_sec: None,
            pipeline: 1,
            body_seed: None,
        },
        machine: Machine {
            cpu_model: "Test CPU @ 3.0GHz".into(),
            cores: 2,
            kernel: "6.1.0-test".into(),
        },
        git_commit: "0123abc".into(),
        time: "2026-05-02T10:00:00Z".into(),
    }
}

/// An open-loop run: percentiles 1x, 2x, 4x and 8x `p50_us` from 20,000 samples, so p99.9 has
/// 20 samples beyond it.
fn open_loop_run(label: &str, fraction: Option<f64>, rate: f64, p50_us: u64) -> OpenLoopRun {
    let percentile = |quantile: f64, us: u64| Percentile {
        quantile,
        us: Some(us),
        low_us: Some(us - us / 10),
        high_us: Some(us + us / 10),
        samples_beyond: (20_000.0 * (1.0 - quantile)) as u64,
    };
    OpenLoopRun {
        label: label.into(),
        fraction_of_capacity: fraction,
        rate_per_sec: rate,
        achieved_per_sec: rate,
        requests: 20_000,
        errors: 0,
        mean_us: (p50_us * 3 / 2) as f64,
        percentiles: vec![
            percentile(0.5, p50_us),
            percentile(0.9, p50_us * 2),
            percentile(0.99, p50_us * 4),
            percentile(0.999, p50_us * 8),
        ],
        send_lag: SendLag {
            p50_us: 8,
            p99_us: 40,
            late_sends: 0,
            backlogged_sends: 0,
            sends: 20_000,
        },
        client_late: false,
        sustained: true,
    }
}

fn client_bound(mut r: ResultRecord, cpu_busy: f64) -> ResultRecord {
    r.server.cpu_busy = cpu_busy;
    r.client.cpu_busy = 0.97;
    r.client_bound = true;
    r.server_bound = false;
    r
}

fn fixture() -> Summary {
    let mut invalid = record("json/node/c256", 9_000.0, 28_000, 60);
    invalid.errors = 120;
    invalid.errors_by_kind.insert("timeout".into(), 120);
    invalid.invalid = true;
    let mut sleep_big = vec![
        record("sleep/axum/c1000", 95_000.0, 10_500, 9),
        record("sleep/nethttp/c1000", 95_000.0, 10_500, 14),
    ];
    // Memory per connection = (peak PSS - idle PSS) / connections: 900 B and 2,300 B.
    for (r, per_connection) in sleep_big.iter_mut().zip([900, 2_300]) {
        r.server.idle_pss_bytes = Some(r.server.peak_pss_bytes);
        r.server.peak_pss_bytes += per_connection * 1000;
    }
    let records = vec![
        client_bound(record("plaintext/nethttp/c64", 30_000.0, 2_000, 12), 0.62),
        record("json/actix/c16", 48_000.0, 330, 8),
        record("json/actix/c256", 46_000.0, 5_500, 10),
        record("json/axum/c16", 45_000.0, 350, 7),
        record("json/axum/c256", 44_000.0, 5_800, 9),
        record("json/nethttp/c16", 33_000.0, 480, 13),
        record("json/nethttp/c256", 32_000.0, 8_000, 15),
        record("json/node/c16", 16_000.0, 1_000, 55),
        invalid,
        record("json-doc/actix/c64", 30_000.0, 2_100, 9),
        record("json-doc/actix/c256", 29_000.0, 8_800, 11),
        record("json-doc/gin/c64", 21_000.0, 3_000, 15),
        record("json-doc/gin/c256", 20_500.0, 12_500, 17),
        record("hash/axum/r5000", 400.0, 150_000, 10),
        record("hash/nethttp/r5000", 420.0, 140_000, 13),
        record("hash-offload/axum/r5000", 480.0, 130_000, 11),
        record("hash-offload/nethttp/r5000", 450.0, 140_000, 14),
        client_bound(record("sleep/axum/c100", 9_500.0, 10_500, 9), 0.1),
        client_bound(record("sleep/nethttp/c100", 9_500.0, 10_500, 14), 0.1),
        client_bound(sleep_big.remove(0), 0.3),
        client_bound(sleep_big.remove(0), 0.3),
    ];
    let skipped = vec![SkippedTarget {
        target: "node-cluster".into(),
        reason: "node not found on PATH (install Node.js >= 18)".into(),
    }];
    let claims = ClaimSet::load(&root().join("spec/claims.toml")).unwrap();
    Summary::build(records, skipped, &claims, Vec::new())
}

// --- A validator for the subset of JSON Schema that spec/results.schema.json uses. ---

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_u64() || value.is_i64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("schema uses unsupported type {other}"),
    }
}

const KNOWN_KEYWORDS: [&str; 11] = [
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "title",
    "description",
    "type",
    "required",
    "properties",
    "additionalProperties",
    "items",
];

fn validate(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = schema.as_object().unwrap();
    for key in schema.keys() {
        assert!(
            KNOWN_KEYWORDS.contains(&key.as_str()) || key == "enum",
            "schema keyword {key} at {at} is not supported by this test's validator"
        );
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/$defs/").unwrap();
        return validate(root, &root["$defs"][name], value, at, errors);
    }
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => panic!("bad type at {at}"),
        };
        if !names.iter().any(|n| type_matches(n, value)) {
            errors.push(format!("{at}: expected {names:?}, found {value}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !object.contains_key(name.as_str().unwrap()) {
                errors.push(format!("{at}: missing required {name}"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, item) in object {
            let path = format!("{at}.{key}");
            match (
                properties.and_then(|p| p.get(key)),
                schema.get("additionalProperties"),
            ) {
                (Some(sub), _) => validate(root, sub, item, &path, errors),
                (None, Some(Value::Bool(false))) => {
                    errors.push(format!("{path}: not in the schema"))
                }
                (None, Some(sub @ Value::Object(_))) => validate(root, sub, item, &path, errors),
                (None, _) => {}
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, item) in list.iter().enumerate() {
            validate(root, items, item, &format!("{at}[{i}]"), errors);
        }
    }
}

fn schema_errors(document: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("spec/results.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let mut errors = Vec::new();
    validate(&schema, &schema, document, "$", &mut errors);
    errors
}

#[test]
fn results_json_matches_its_hand_written_schema() {
    let text = json::render(&fixture(), &CriterionLinks::default()).unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    let errors = schema_errors(&document);
    assert!(
        errors.is_empty(),
        "results.json breaks spec/results.schema.json:\n{}",
        errors.join("\n")
    );
    assert_eq!(document["schema_version"], json::SCHEMA_VERSION);

    // The validator is not vacuous: a broken document is caught.
    let mut broken = document.clone();
    broken["workloads"][0]["results"][0]["setup"]["server_cpus"] = Value::from(0);
    broken["claims"][0]
        .as_object_mut()
        .unwrap()
        .remove("verdict");
    broken["claims"][1]["verdict"] = Value::from("maybe");
    broken["extra"] = Value::from(1);
    let errors = schema_errors(&broken);
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

fn line_diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            out.push_str(&format!(
                "line {}:\n- {}\n+ {}\n",
                i + 1,
                x.unwrap_or(&""),
                y.unwrap_or(&"")
            ));
        }
    }
    out
}

#[test]
fn report_md_matches_the_committed_snapshot() {
    let actual = markdown::render(&fixture());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/report.md");
    let new_path = path.with_extension("md.new");
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        let _ = std::fs::remove_file(&new_path);
        return;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&new_path, &actual).unwrap();
    panic!(
        "report.md differs from {}:\n{}\nwrote {}; if the change is intended, rename it over the snapshot",
        path.display(),
        line_diff(&expected, &actual),
        new_path.display()
    );
}

#[test]
fn client_bound_and_invalid_results_are_flagged_in_all_three_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_summary(&fixture(), dir.path(), None).unwrap();
    let md = std::fs::read_to_string(&paths.markdown).unwrap();
    let html = std::fs::read_to_string(&paths.html).unwrap();
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

    assert!(html.contains("client-bound (client CPU 0.97)"));
    assert!(html.contains("<td class=\"flag invalid\">INVALID (errors 0.13%)</td>"));
    assert!(html.contains("<tr class=\"flagged\">") && html.contains("<tr class=\"skipped\">"));

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

#[test]
fn index_html_renders_in_headless_chromium_with_every_chart_and_table() {
    let Some(chromium) = find_chromium() else {
        println!("skipped: chromium not installed (apt-get install chromium)");
        return;
    };
    let summary = fixture();
    let dir = tempfile::tempdir().unwrap();
    let paths = write_summary(&summary, &dir.path().join("report"), None).unwrap();
    let profile = dir.path().join("profile");
    let url = format!("file://{}", paths.html.display());
    let (dom, stderr) = run_with_limit(
        Command::new(&chromium).args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &url,
        ]),
        Duration::from_secs(90),
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

    let mut charts = 0;
    for w in &summary.workloads {
        let anchor: String = w
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let mut ids = vec![
            format!("w-{anchor}-rps"),
            format!("w-{anchor}-p99"),
            format!("w-{anchor}-table"),
        ];
        if w.sweep.is_some() {
            ids.push(format!("w-{anchor}-sweep"));
        }
        charts += ids.len() - 1;
        for id in ids {
            assert!(
                dom.contains(&format!("id=\"{id}\"")),
                "{id} missing from the rendered DOM"
            );
        }
    }
    assert_eq!(
        dom.matches("<svg").count(),
        charts,
        "every chart is an inline <svg>"
    );
    assert_eq!(
        dom.matches("<table").count(),
        summary.workloads.len() + 2,
        "versions, claims and one per workload"
    );
    assert!(dom.contains("id=\"claims-table\"") && dom.contains("id=\"versions-table\""));
}
