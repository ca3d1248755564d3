//! The trend page (`history.html` beside the summary's `index.html`): one section per figure
//! followed (requests/s, and instructions per request once `stampede icount` has counted), one
//! small chart per benchmark ID with its latest figure, the change against the previous
//! comparable run and its change points; runs that were not compared listed with the reason.

use std::path::{Path, PathBuf};

use askama::Template;

use super::HistoryError;
use super::chart::trend_svg;
use super::metric::Metric;
use super::trend::{MetricTrends, Trend, short};

/// The page's file name in the report folder.
pub const PAGE_FILE: &str = "history.html";

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>stampede — trends across runs</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1000px;padding:0 1em;color:#222}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(470px,1fr));gap:1em}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em}
.card h3{margin:0 0 .3em;font-size:1em;font-family:ui-monospace,monospace}
.meta{color:#555;font-size:.9em;margin:.2em 0}
.worse{color:#b00020}.better{color:#00702a}
code{font-size:.95em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:.2em .6em;text-align:left}
</style></head><body>
<p><a href="index.html">← summary</a></p>
<h1>Trends across runs</h1>
<p>From <code>{{ source }}</code>. Only runs on the same machine fingerprint and in
the same mode as a benchmark's latest run are compared. Bands: each stable stretch's mean ± 2 sd;
orange rules: change points (E-divisive means, permutation test, p ≤ {{ significance }}).</p>
{% for section in sections %}<h2>{{ section.metric_line }}</h2>
{% if section.cards.is_empty() %}<p>No runs recorded yet: run <code>cargo bench</code>, or
<code>stampede history import target/stampede/results</code>.</p>{% endif %}
<div class="grid">
{% for card in section.cards %}<div class="card" id="{{ card.anchor }}">
<h3>{{ card.bench_id }}</h3>
<p class="meta">latest {{ card.latest }} · {{ card.previous }}</p>
{% for change in card.changes %}<p class="meta {{ change.class }}">{{ change.text }}</p>{% endfor %}
{{ card.svg|safe }}
<p class="meta">{{ card.context }}</p>
</div>{% endfor %}
</div>
{% if !section.apart.is_empty() %}<h3>Not compared</h3>
<table><tr><th>benchmark</th><th>runs</th><th>mode</th><th>machine</th><th>why</th></tr>
{% for a in section.apart %}<tr><td><code>{{ a.bench_id }}</code></td><td>{{ a.runs }}</td><td>{{ a.mode }}</td><td>{{ a.fingerprint_short }}</td><td>{{ a.reason }}</td></tr>
{% endfor %}</table>{% endif %}
{% endfor %}
</body></html>
"#
)]
struct Page<'a> {
    source: String,
    significance: f64,
    sections: Vec<Section<'a>>,
}

struct Section<'a> {
    metric_line: String,
    cards: Vec<Card>,
    apart: &'a [super::trend::Apart],
}

struct Card {
    anchor: String,
    bench_id: String,
    latest: String,
    previous: String,
    changes: Vec<Change>,
    svg: String,
    context: String,
}

struct Change {
    class: &'static str,
    text: String,
}

/// Renders the page, a section per report, read from `source` (shown on the page).
pub fn render(
    reports: &[MetricTrends],
    source: &Path,
    significance: f64,
) -> Result<String, HistoryError> {
    let sections = reports
        .iter()
        .map(|report| {
            let cards = report
                .trends
                .iter()
                .map(|t| card(t, report.metric))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Section {
                metric_line: report.metric.heading(),
                cards,
                apart: &report.apart,
            })
        })
        .collect::<Result<Vec<_>, HistoryError>>()?;
    Page {
        source: source.display().to_string(),
        significance,
        sections,
    }
    .render()
    .map_err(|e| HistoryError::Render(e.to_string()))
}

/// Writes `out_dir/history.html`.
pub fn write_page(
    reports: &[MetricTrends],
    source: &Path,
    significance: f64,
    out_dir: &Path,
) -> Result<PathBuf, HistoryError> {
    let path = out_dir.join(PAGE_FILE);
    let html = render(reports, source, significance)?;
    std::fs::create_dir_all(out_dir)
        .and_then(|()| std::fs::write(&path, html))
        .map_err(|source| HistoryError::WritePage {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// Adds a link to the trend page to the summary's `index.html` (first in its `<nav>`, else
/// right after `<body>`), unless the summary already links it.
pub fn link_from_summary(index_html: &Path) -> Result<(), HistoryError> {
    let write_err = |source| HistoryError::WritePage {
        path: index_html.to_path_buf(),
        source,
    };
    let html = std::fs::read_to_string(index_html).map_err(write_err)?;
    let href = format!("href=\"{PAGE_FILE}\"");
    if html.contains(&href) {
        return Ok(());
    }
    let link = format!("<a {href}>Trends across runs</a>");
    let linked = if let Some(at) = html.find("<nav>") {
        format!("{}<nav>{link}{}", &html[..at], &html[at + "<nav>".len()..])
    } else if let Some(at) = html.find("<body>") {
        let end = at + "<body>".len();
        format!("{}<p>{link}</p>{}", &html[..end], &html[end..])
    } else {
        format!("<p>{link}</p>{html}")
    };
    std::fs::write(index_html, linked).map_err(write_err)
}

fn card(trend: &Trend, metric: Metric) -> Result<Card, HistoryError> {
    let latest = trend.latest().map_or_else(
        || "—".to_owned(),
        |r| format!("{} {}", metric.format(r.value), metric.unit()),
    );
    let previous = match &trend.previous {
        Some(p) => format!(
            "{:+.1}% vs previous run ({})",
            p.relative_change * 100.0,
            short(&p.commit)
        ),
        None => "no previous comparable run".to_owned(),
    };
    let changes = trend
        .change_points
        .iter()
        .map(|c| {
            let worse = (c.relative_change < 0.0) == metric.higher_is_better();
            Change {
                class: if worse { "worse" } else { "better" },
                text: format!("change point {}", c.describe()),
            }
        })
        .collect();
    Ok(Card {
        anchor: trend.bench_id.anchor(),
        bench_id: trend.bench_id.to_string(),
        latest,
        previous,
        changes,
        svg: trend_svg(trend, metric)?,
        context: format!(
            "{} runs, mode {}, machine {} ({}){}",
            trend.runs.len(),
            trend.mode,
            trend.fingerprint_short,
            trend.fingerprint.describe(),
            if trend.left_out > 0 {
                format!(
                    "; {} left out (invalid or without this figure)",
                    trend.left_out
                )
            } else {
                String::new()
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_gets_one_link_to_the_trend_page_in_its_nav() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index.html");
        std::fs::write(
            &index,
            "<html><body><nav><a href=\"#x\">X</a></nav></body></html>",
        )
        .unwrap();
        link_from_summary(&index).unwrap();
        link_from_summary(&index).unwrap();
        let html = std::fs::read_to_string(&index).unwrap();
        assert_eq!(html.matches("href=\"history.html\"").count(), 1);
        assert!(html.contains("<nav><a href=\"history.html\">"));
    }
}
