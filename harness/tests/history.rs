//! The results history end to end on files: append, read back, analyse, import, render, and
//! refuse what is not ours.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;

use serde_json::{Value, json};
use stampede_harness::benchmark_id::BenchmarkId;
use stampede_harness::evidence::{Commit, Machine, Run, RunMode};
use stampede_harness::history::icount::record as icount_record;
use stampede_harness::history::import::import_dir;
use stampede_harness::history::page::write_page;
use stampede_harness::history::trend::{TrendSettings, analyse, change_points_besides, id_filter};
use stampede_harness::history::{History, HistoryError, KeptRun, Metric, Source};
use stampede_harness::icount::record::fixture;

fn run(n: usize, commit: &str) -> KeptRun {
    let run = Run {
        id: format!("run-{n:03}"),
        started_at: format!("2026-11-22T10:{n:02}:00Z"),
        mode: RunMode::Quick,
        commit: Commit::parse(commit),
        branch: Some("main".into()),
        machine: Machine {
            cpu_model: "Test CPU".into(),
            cores: 2,
            kernel: "6.1.0".into(),
        },
        toolchains: Default::default(),
    };
    KeptRun::new(run, Source::Bench, "0", "1")
}

/// A record shaped like `results::ResultRecord`, plus fields newer records may carry.
fn record(id: &str, n: usize, requests_per_sec: f64) -> Value {
    let target = id
        .parse::<BenchmarkId>()
        .map_or("x".into(), |id| id.target().to_owned());
    json!({
        "id": id, "workload": "plaintext", "target": target, "param": "c64",
        "language": "Rust", "framework": "actix-web 4.11.0", "toolchain": "cargo 1.95.0",
        "requests": 100_000, "errors": 0, "errors_by_kind": {},
        "requests_per_sec": requests_per_sec,
        "latency_us": {"p50": 500, "p90": 800, "p99": 1200, "p999": 2000, "max": 3000, "mean": 550.5},
        "server": {"cpu_busy": 0.97, "cpu_us_per_request": 9.5, "peak_rss_bytes": 8_388_608, "cores": 1},
        "client_bound": false, "invalid": false,
        "setup": {"server_cpus": "0", "client_cpus": "1", "workers": 1, "offload_threads": 1,
                  "connections": 64, "rate_per_sec": null},
        "machine": {"cpu_model": "Test CPU", "cores": 2, "kernel": "6.1.0"},
        "time": format!("2026-11-22T10:{n:02}:30Z"),
        "occupancy": 0.99
    })
}

/// Six runs at commit `aaaa`, six at `bbbb`; actix slows by 10% at `bbbb`, axum does not.
fn twelve_runs(history: &History) {
    let wobble = [0.004, -0.003, 0.001, -0.005, 0.002, 0.0];
    for n in 0..12 {
        let commit = if n < 6 { "aaaa" } else { "bbbb" };
        let actix = if n < 6 { 100_000.0 } else { 90_000.0 } * (1.0 + wobble[n % 6]);
        let axum = 95_000.0 * (1.0 + wobble[(n + 2) % 6]);
        history
            .append(
                &run(n, commit),
                &[
                    record("plaintext/actix/c64", n, actix),
                    record("plaintext/axum/c64", n, axum),
                ],
            )
            .unwrap();
    }
}

#[test]
fn a_slowdown_at_one_commit_is_a_change_point_at_that_commit_for_that_target_only() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite")).unwrap();
    twelve_runs(&history);
    let filter = id_filter("plaintext").unwrap();
    let report = analyse(
        history.points(Metric::RequestsPerSec).unwrap(),
        Some(&filter),
        Metric::RequestsPerSec,
        &TrendSettings::default(),
    );
    let ids: Vec<&str> = report.trends.iter().map(|t| t.bench_id.as_str()).collect();
    assert_eq!(ids, ["plaintext/actix/c64", "plaintext/axum/c64"]);
    let actix = &report.trends[0];
    assert_eq!(actix.runs.len(), 12);
    let commits: Vec<&str> = actix
        .change_points
        .iter()
        .map(|c| c.commit.as_str())
        .collect();
    assert_eq!(commits, ["bbbb"]);
    assert!(report.trends[1].change_points.is_empty());
    assert!(report.apart.is_empty());
}

/// Bench runs of the same commits swing by more than the step; the instruction counts of the
/// same commits hold within 0.05%. Without `--metric`, the table is of requests/s and the
/// change the counts see is listed beside it.
#[test]
fn a_step_only_the_instruction_counts_see_is_listed_beside_the_requests_per_sec_table() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite")).unwrap();
    let speed = [
        1.0, 1.3, 0.95, 1.25, 1.0, 1.3, 1.28, 0.97, 1.3, 1.0, 1.26, 0.98,
    ];
    for (n, s) in speed.into_iter().enumerate() {
        let (commit, per_request) = if n < 6 {
            ("aaaa", 16613.0)
        } else {
            ("bbbb", 26500.0)
        };
        let bench = record("plaintext/actix/c64", n, 140_000.0 / s);
        history.append(&run(n, commit), &[bench]).unwrap();
        let wobble = 1.0 + 0.0002 * (n % 3) as f64;
        let count = fixture("actix", "plaintext", &[per_request * wobble; 3]);
        let mut counts = run(100 + n, commit);
        counts.run.mode = RunMode::Icount;
        history
            .append(&counts, &[icount_record(&count).unwrap()])
            .unwrap();
    }
    let settings = TrendSettings::default();
    let table = analyse(
        history.points(Metric::RequestsPerSec).unwrap(),
        None,
        Metric::RequestsPerSec,
        &settings,
    );
    let ids: Vec<&str> = table.trends.iter().map(|t| t.bench_id.as_str()).collect();
    assert_eq!(
        ids,
        ["plaintext/actix/c64"],
        "no icount line in a requests/s table"
    );
    assert!(
        table.trends[0].change_points.is_empty(),
        "inside the speed swings"
    );

    let besides = change_points_besides(&history, None, Metric::RequestsPerSec, &settings).unwrap();
    let found: Vec<(Metric, &str, &str)> = besides
        .iter()
        .map(|b| (b.metric, b.bench_id.as_str(), b.change.commit.as_str()))
        .collect();
    assert_eq!(
        found,
        [(Metric::Instructions, "plaintext/actix/icount", "bbbb")]
    );
    assert!(besides[0].change.relative_change > 0.5);
}

#[test]
fn a_record_is_kept_whole_so_fields_added_later_are_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite")).unwrap();
    let original = record("json/gin/c64", 1, 50_000.0);
    history
        .append(&run(1, "cccc"), std::slice::from_ref(&original))
        .unwrap();
    let stored = history.record_json("run-001", "json/gin/c64").unwrap();
    assert_eq!(stored, Some(original));
    let points = history.points(Metric::Mem).unwrap();
    assert_eq!(points[0].value, Some(8_388_608.0));
    assert_eq!(points[0].branch.as_deref(), Some("main"));
}

#[test]
fn a_stored_mode_this_build_does_not_know_reads_back_as_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    let history = History::open(&path).unwrap();
    history
        .append(&run(1, "cccc"), &[record("json/gin/c64", 1, 50_000.0)])
        .unwrap();
    // `history import --mode` once stored any word.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE runs SET mode = 'nightly'", [])
        .unwrap();
    let points = history.points(Metric::RequestsPerSec).unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].mode, RunMode::Unknown);
}

#[test]
fn a_record_naming_its_own_run_and_mode_is_stored_under_them() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite")).unwrap();
    let mut writer = run(1, "cccc");
    writer.run.mode = RunMode::Full;
    let mut stated = record("json/gin/c64", 1, 50_000.0);
    stated["run_id"] = json!("20261122T100000Z-42-007");
    stated["mode"] = json!("quick");
    stated["git_commit"] = json!("dddd-dirty");
    history.append(&writer, &[stated]).unwrap();
    let point = &history.points(Metric::RequestsPerSec).unwrap()[0];
    assert_eq!(point.run_id, "20261122T100000Z-42-007");
    assert_eq!(point.mode, RunMode::Quick);
    assert_eq!(point.commit, Commit::parse("dddd-dirty"));
    assert_eq!(point.branch.as_deref(), Some("main"));
}

#[test]
fn reopening_a_history_keeps_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folder/h.sqlite");
    twelve_runs(&History::open(&path).unwrap());
    let again = History::open(&path).unwrap();
    assert_eq!(again.counts().unwrap(), (24, 12));
}

fn write_results(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (n, id) in ["plaintext/actix/c64", "json/actix/c64"].iter().enumerate() {
        let mut r = record(id, n, 1000.0 + n as f64);
        r["git_commit"] = json!("0123456789abcdef");
        std::fs::write(
            dir.join(id.parse::<BenchmarkId>().unwrap().file_name()),
            r.to_string(),
        )
        .unwrap();
    }
    std::fs::write(dir.join("notes.json"), r#"{"hello": 1}"#).unwrap();
    std::fs::write(dir.join("broken.json"), "{").unwrap();
    let two_parts = record("json/actix", 2, 1000.0);
    std::fs::write(dir.join("two-parts.json"), two_parts.to_string()).unwrap();
}

#[test]
fn importing_a_results_folder_twice_adds_its_records_once() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    write_results(&results);
    let history = History::open(&dir.path().join("h.sqlite")).unwrap();
    let first = import_dir(&history, &results, RunMode::Quick).unwrap();
    assert_eq!((first.files, first.added, first.already_present), (2, 2, 0));
    assert_eq!(first.skipped.len(), 3, "{:?}", first.skipped);
    let refused = first.skipped.iter().find(|s| s.contains("two-parts.json"));
    assert!(
        refused.is_some_and(|s| s.contains("\"json/actix\"")),
        "{refused:?}"
    );
    let second = import_dir(&history, &results, RunMode::Quick).unwrap();
    assert_eq!((second.added, second.already_present), (0, 2));
    let points = history.points(Metric::RequestsPerSec).unwrap();
    assert_eq!(points.len(), 2);
    assert!(
        points
            .iter()
            .all(|p| p.mode == RunMode::Quick && p.commit == Commit::parse("0123456789abcdef"))
    );
    assert!(import_dir(&history, &dir.path().join("missing"), RunMode::Quick).is_err());
}

#[test]
fn the_trend_page_has_a_section_per_figure_and_a_chart_per_benchmark_naming_the_change_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    let history = History::open(&path).unwrap();
    twelve_runs(&history);
    for n in 0..12 {
        let (commit, per_request) = if n < 6 {
            ("aaaa", 16613.0)
        } else {
            ("bbbb", 29222.0)
        };
        let mut counts = run(100 + n, commit);
        counts.run.mode = RunMode::Icount;
        let count = fixture("actix", "plaintext", &[per_request; 3]);
        history
            .append(&counts, &[icount_record(&count).unwrap()])
            .unwrap();
    }
    let reports: Vec<_> = [Metric::RequestsPerSec, Metric::Instructions]
        .into_iter()
        .map(|m| {
            analyse(
                history.points(m).unwrap(),
                None,
                m,
                &TrendSettings::default(),
            )
        })
        .collect();
    let page = write_page(&reports, &path, 0.01, &dir.path().join("report")).unwrap();
    let html = std::fs::read_to_string(page).unwrap();
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("<h2>requests_per_sec in req/s (higher is better)</h2>"));
    assert!(html.contains("<h2>instructions in instructions/request (lower is better)</h2>"));
    assert!(html.contains("plaintext/actix/c64") && html.contains("plaintext/axum/c64"));
    assert!(
        html.contains("change point -10.0% at bbbb (after aaaa)"),
        "{html}"
    );
    assert!(html.contains("change point +75.9% at bbbb (after aaaa)"));
    assert!(html.contains("href=\"index.html\""));
}

#[test]
fn a_history_from_a_newer_stampede_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    twelve_runs(&History::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let err = History::open(&path).unwrap_err();
    assert!(
        matches!(err, HistoryError::Newer { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("update stampede"));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 24);
}

#[test]
fn a_file_that_is_not_a_history_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sqlite");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(200)).unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = History::open(&path).unwrap_err();
    assert!(matches!(err, HistoryError::NotOurs { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
