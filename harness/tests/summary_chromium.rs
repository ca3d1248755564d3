//! The summary page in headless Chromium: every chart and table rendered without a console
//! error, and the evidence tables fitting a 1,280 px page. Without Chromium both are reported as
//! ignored with the reason in their names, never as passed; with STAMPEDE_REQUIRE_TOOLS=1 (CI)
//! they fail instead.
#![allow(clippy::unwrap_used)]

#[path = "common/summary_fixture.rs"]
mod summary_fixture;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use stampede_harness::run_needing;
use stampede_harness::summary::{Summary, charts, write_summary};
use summary_fixture::fixture;

fn main() {
    let missing = find_chromium()
        .is_none()
        .then(|| "chromium not found on PATH (install: apt-get install chromium)".to_owned());
    run_needing!(missing;
        index_html_renders_in_headless_chromium_with_every_chart_and_table,
        the_evidence_tables_fit_a_1280_px_page_with_rows_one_line_high,
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

fn index_html_renders_in_headless_chromium_with_every_chart_and_table() {
    let chromium = find_chromium().expect("chromium is on PATH");
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

fn the_evidence_tables_fit_a_1280_px_page_with_rows_one_line_high() {
    let chromium = find_chromium().expect("chromium is on PATH");
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
