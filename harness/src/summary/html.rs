//! `index.html`: one self-contained page — inline CSS and SVG, no script, no network — with
//! per workload bar charts of requests/s and p99, a sweep line chart, and the full table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, Path};

use super::format::{escape, latency, rate};
use super::markdown::{COLUMNS, FLAGS_LEGEND, cells, missing_text, provenance};
use super::svg::{self, BarChart, BarValue, LineChart, LinePoint, Series};
use super::{Summary, WorkloadSummary, flags};

/// Links from the page to Criterion's own reports, relative to the page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CriterionLinks {
    /// Criterion's `report/index.html`, if it exists.
    pub index: Option<String>,
    /// Each benchmark id's Criterion page, where it exists.
    pub by_id: BTreeMap<String, String>,
}

impl CriterionLinks {
    /// Finds the Criterion pages under `criterion_dir` for the page written in `out_dir`.
    pub fn find(summary: &Summary, criterion_dir: &Path, out_dir: &Path) -> Self {
        let link = |file: &Path| file.is_file().then(|| relative(out_dir, file));
        let index = link(&criterion_dir.join("report").join("index.html"));
        let by_id = summary
            .workloads
            .iter()
            .flat_map(|w| &w.records)
            .filter_map(|r| {
                let page = criterion_dir
                    .join(&r.workload)
                    .join(&r.target)
                    .join(&r.param)
                    .join("report")
                    .join("index.html");
                link(&page).map(|href| (r.id.clone(), href))
            })
            .collect();
        Self { index, by_id }
    }
}

fn normal(path: &Path) -> Vec<Component<'_>> {
    path.components()
        .filter(|c| *c != Component::CurDir)
        .collect()
}

/// `to` relative to the folder `from`, with `/` separators.
fn relative(from: &Path, to: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (absolute(from), absolute(to));
    let (from, to) = (normal(&from), normal(&to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;padding:0 20px 40px;color:#222}
h1{margin:24px 0 4px}h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
nav a{margin-right:12px}.legend-text{color:#555}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.flagged td{background:#fff8e1}tr.skipped td{color:#888;background:#f7f7f7}
.flag{color:#8a5a00;font-weight:600}.flag.invalid{color:#b00020}
.verdict{font-weight:700;white-space:nowrap}.holds{color:#1b7a1b}.does-not-hold{color:#b00020}.not-comparable{color:#777}
.charts{display:flex;flex-wrap:wrap;gap:8px}svg.chart{max-width:100%;height:auto;border:1px solid #eee}
.chart-title{font-size:14px;font-weight:600}.tick,.legend{font-size:11px;fill:#444}.value{font-size:10px;fill:#333}
.grid{stroke:#eee}.axis{stroke:#888}.line{stroke-width:2}.bar.flagged{fill-opacity:.35;stroke-dasharray:3 2}
.flag-mark{font-size:13px;font-weight:700;fill:#b00020}.small{color:#666;font-size:12px}
";

/// Renders `index.html`.
pub fn render(summary: &Summary, links: &CriterionLinks) -> String {
    let mut out = String::from("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(
        out,
        "<title>stampede summary</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        out,
        "<h1>stampede summary</h1><p>{}</p><p class=\"legend-text\">Flags — {}</p>",
        escape(&provenance(summary).replace('`', "")),
        escape(FLAGS_LEGEND)
    );
    out.push_str("<nav><a href=\"#versions\">Versions</a><a href=\"#claims\">Claims</a>");
    for w in &summary.workloads {
        let _ = write!(
            out,
            "<a href=\"#{}\">{}</a>",
            anchor(&w.name),
            escape(&w.name)
        );
    }
    if let Some(index) = &links.index {
        let _ = write!(out, "<a href=\"{}\">Criterion report</a>", escape(index));
    }
    out.push_str("</nav>");
    versions(&mut out, summary);
    claims(&mut out, summary);
    for w in &summary.workloads {
        workload(&mut out, summary, w, links);
    }
    if !summary.problems.is_empty() {
        out.push_str("<h2>Unreadable result files</h2><ul>");
        for p in &summary.problems {
            let _ = write!(out, "<li>{}</li>", escape(p));
        }
        out.push_str("</ul>");
    }
    out.push_str("</body></html>\n");
    out
}

fn anchor(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("w-{safe}")
}

fn row(out: &mut String, cells: &[String], class: &str) {
    let _ = write!(out, "<tr class=\"{class}\">");
    for cell in cells {
        let _ = write!(out, "<td>{}</td>", escape(cell));
    }
    out.push_str("</tr>");
}

fn head(out: &mut String, id: &str, columns: &[&str]) {
    let _ = write!(
        out,
        "<div class=\"scroll\"><table id=\"{}\"><thead><tr>",
        escape(id)
    );
    for c in columns {
        let _ = write!(out, "<th>{}</th>", escape(c));
    }
    out.push_str("</tr></thead><tbody>");
}

fn versions(out: &mut String, summary: &Summary) {
    out.push_str("<section id=\"versions\"><h2>Targets and versions</h2>");
    head(
        out,
        "versions-table",
        &["target", "language", "framework", "toolchain"],
    );
    for t in &summary.targets {
        let cells =
            [&t.name, &t.language, &t.framework, &t.toolchains.join("; ")].map(|s| s.to_string());
        row(out, &cells, "");
    }
    for s in &summary.skipped {
        let cells = [
            s.target.clone(),
            "—".into(),
            "—".into(),
            format!("skipped: {}", s.reason),
        ];
        row(out, &cells, "skipped");
    }
    out.push_str("</tbody></table></div></section>");
}

fn claims(out: &mut String, summary: &Summary) {
    out.push_str("<section id=\"claims\"><h2>Claims check</h2>");
    out.push_str(
        "<p class=\"small\">Published claims re-measured as ratios on this machine; the posts \
         used other hardware, so only ratios compare.</p>",
    );
    let columns = [
        "claim", "compared", "claimed", "measured", "verdict", "why", "setup",
    ];
    head(out, "claims-table", &columns);
    for c in &summary.claims {
        let class = c.verdict.as_str().replace(' ', "-");
        let _ = write!(
            out,
            "<tr><td><b>{}.</b> {}</td><td>{}</td><td class=\"num\">{}</td><td><b>{}</b><br><span class=\"small\">{}</span></td><td class=\"verdict {class}\">{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
            escape(&c.id),
            escape(&c.claim),
            escape(&c.compared),
            escape(&c.claimed_text()),
            escape(&c.measured_text()),
            escape(&c.measured),
            c.verdict.as_str(),
            escape(&c.why),
            escape(&c.setup),
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn series(summary: &Summary, w: &WorkloadSummary) -> Vec<Series> {
    w.targets
        .iter()
        .map(|t| Series {
            name: t.clone(),
            color: svg::color(summary.target_index(t)),
        })
        .collect()
}

fn bars(
    summary: &Summary,
    w: &WorkloadSummary,
    id: &str,
    title: &str,
    metric: fn(&super::ResultRecord) -> f64,
    format: fn(f64) -> String,
) -> String {
    let values = w
        .params
        .iter()
        .map(|p| {
            w.targets
                .iter()
                .map(|t| {
                    let r = w.records.iter().find(|r| &r.param == p && &r.target == t)?;
                    let flags = flags(r);
                    Some(BarValue {
                        value: metric(r),
                        flagged: !flags.is_empty(),
                        note: if flags.is_empty() {
                            String::new()
                        } else {
                            format!("({})", flags.join(", "))
                        },
                    })
                })
                .collect()
        })
        .collect();
    svg::bar_chart(&BarChart {
        id: id.to_owned(),
        title: title.to_owned(),
        groups: w.params.clone(),
        series: series(summary, w),
        values,
        format,
    })
}

fn compact_rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        rate(v)
    }
}

fn workload(out: &mut String, summary: &Summary, w: &WorkloadSummary, links: &CriterionLinks) {
    let id = anchor(&w.name);
    let name = escape(&super::workload_title(w));
    let _ = write!(
        out,
        "<section id=\"{id}\" class=\"workload\"><h2>{name}</h2><div class=\"charts\">"
    );
    let rps_title = format!("{} — requests/s (higher is better)", w.name);
    out.push_str(&bars(
        summary,
        w,
        &format!("{id}-rps"),
        &rps_title,
        |r| r.requests_per_sec,
        compact_rate,
    ));
    let p99_title = format!("{} — p99 latency (lower is better)", w.name);
    out.push_str(&bars(
        summary,
        w,
        &format!("{id}-p99"),
        &p99_title,
        |r| r.latency_us.p99 as f64,
        latency,
    ));
    if let Some(sweep) = &w.sweep {
        let colors = series(summary, w);
        let chart = LineChart {
            id: format!("{id}-sweep"),
            title: format!("{} — requests/s against {}", w.name, sweep.axis),
            x_label: sweep.axis.clone(),
            series: sweep
                .series
                .iter()
                .filter_map(|s| {
                    let color = colors.iter().find(|c| c.name == s.target)?.clone();
                    let points = s
                        .points
                        .iter()
                        .map(|p| LinePoint {
                            x: p.x,
                            y: p.requests_per_sec,
                            flagged: p.flagged,
                        })
                        .collect();
                    Some((color, points))
                })
                .collect(),
            format: compact_rate,
        };
        out.push_str(&svg::line_chart(&chart));
    }
    out.push_str("</div>");
    let linked = !links.by_id.is_empty();
    let mut columns = COLUMNS.to_vec();
    if linked {
        columns.push("Criterion");
    }
    head(out, &format!("{id}-table"), &columns);
    for r in &w.records {
        let flagged = !flags(r).is_empty();
        let _ = write!(
            out,
            "<tr class=\"{}\">",
            if flagged { "flagged" } else { "" }
        );
        let cells = cells(r);
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            let class = match i {
                0 | 1 | 12 | 13 => "",
                i if i == last && r.invalid => "flag invalid",
                i if i == last => "flag",
                _ => "num",
            };
            let _ = write!(out, "<td class=\"{class}\">{}</td>", escape(cell));
        }
        match links.by_id.get(&r.id) {
            Some(href) => {
                let _ = write!(out, "<td><a href=\"{}\">Criterion</a></td>", escape(href));
            }
            None if linked => out.push_str("<td></td>"),
            None => {}
        }
        out.push_str("</tr>");
    }
    for target in &w.missing {
        let mut cells = vec![target.clone()];
        cells.extend(std::iter::repeat_n("—".to_owned(), COLUMNS.len() - 2));
        cells.push(missing_text(summary, target));
        if linked {
            cells.push(String::new());
        }
        row(out, &cells, "skipped");
    }
    let _ = write!(out, "</tbody></table></div></section>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;
    use crate::summary::claims::ClaimSet;

    #[test]
    fn relative_links_climb_out_of_the_report_folder() {
        let href = relative(
            Path::new("/w/target/stampede/report"),
            Path::new("/w/target/criterion/report/index.html"),
        );
        assert_eq!(href, "../../criterion/report/index.html");
    }

    #[test]
    fn each_workload_gets_two_bar_charts_a_sweep_when_swept_and_a_table() {
        let records = vec![
            record("json/actix/c64", 10.0, 1, 1),
            record("json/actix/c256", 20.0, 1, 1),
            record("hash/actix/r5000", 1.0, 1, 1),
        ];
        let summary = Summary::build(records, Vec::new(), &ClaimSet::default(), Vec::new());
        let page = render(&summary, &CriterionLinks::default());
        assert_eq!(page.matches("<svg").count(), 5);
        for id in [
            "w-json-rps",
            "w-json-p99",
            "w-json-sweep",
            "w-hash-rps",
            "w-hash-p99",
            "w-json-table",
            "claims-table",
        ] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        let without_svg_namespace = page.replace("http://www.w3.org/2000/svg", "");
        for remote in ["<script", "http://", "https://", "src="] {
            assert!(!without_svg_namespace.contains(remote), "{remote}");
        }
    }
}
