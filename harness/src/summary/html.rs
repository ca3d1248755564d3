//! `index.html`: one self-contained page — inline CSS and SVG, no script, no network. The
//! markup is `harness/templates/summary.html`; this module gathers what it shows.

use std::collections::BTreeMap;
use std::path::Path;

use askama::Template;

use super::charts::Chart;
use super::claims::ClaimCheck;
use super::table::{COLUMNS, DETAIL_COLUMNS, Row};

/// The column of [`COLUMNS`] that holds a row's checks.
const CHECKS: usize = 1;
use super::view::Page;
use super::{Summary, SummaryError, plot};

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
        let workloads = summary.sections.iter().flat_map(|s| &s.workloads);
        let by_id = workloads.flat_map(|w| &w.records).filter_map(|r| {
            let dir = r.id.criterion_dir(criterion_dir);
            let href = link(&dir.join("report").join("index.html"))?;
            Some((r.id.to_string(), href))
        });
        Self {
            index,
            by_id: by_id.collect(),
        }
    }
}

/// `to` relative to the folder `from`, with `/` separators.
fn relative(from: &Path, to: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let path = pathdiff::diff_paths(absolute(to), absolute(from)).unwrap_or_default();
    path.to_string_lossy().into_owned()
}

#[derive(Template)]
#[template(path = "summary.html")]
struct Html<'a> {
    page: Page<'a>,
    links: &'a CriterionLinks,
}

impl Html<'_> {
    fn verdict_class(&self, check: &ClaimCheck) -> String {
        check.verdict.as_str().replace(' ', "-")
    }

    fn row_class(&self, row: &Row) -> &'static str {
        match (row.absent, row.flagged) {
            (true, _) if row.not_served => "not-served",
            (true, _) => "skipped",
            (false, true) => "flagged",
            _ => "",
        }
    }

    fn cell_class(&self, row: &Row, column: &usize) -> &'static str {
        match *column {
            CHECKS if row.invalid => "flag invalid",
            CHECKS if row.flagged => "flag",
            i if COLUMNS[i].1 => "num",
            _ => "",
        }
    }

    fn detail_class(&self, row: &Row, column: &usize) -> &'static str {
        match *column {
            i if i + 1 == DETAIL_COLUMNS.len() && row.invalid => "flag invalid",
            i if i + 1 == DETAIL_COLUMNS.len() => "flag",
            i if DETAIL_COLUMNS[i].1 => "num",
            _ => "",
        }
    }

    fn link(&self, row: &Row) -> Option<&str> {
        self.links.by_id.get(row.id.as_ref()?).map(String::as_str)
    }

    fn svg(&self, chart: &Chart) -> Result<String, SummaryError> {
        plot::svg(chart)
    }
}

pub fn render(summary: &Summary, links: &CriterionLinks) -> Result<String, SummaryError> {
    let page = Page::new(summary);
    super::rendered("index.html", Html { page, links }.render())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::records;

    #[test]
    fn relative_links_climb_out_of_the_report_folder() {
        let href = relative(
            Path::new("/w/target/stampede/report"),
            Path::new("/w/target/criterion/report/index.html"),
        );
        assert_eq!(href, "../../criterion/report/index.html");
    }

    #[test]
    fn a_result_with_a_criterion_page_links_to_it_from_its_row() {
        let summary = Summary::of(records("json/actix/c64=10 json/gin/c64=9"));
        let links = CriterionLinks {
            index: Some("../criterion/report/index.html".into()),
            by_id: [("json/actix/c64".into(), "../criterion/a.html".into())].into(),
        };
        let page = render(&summary, &links).unwrap();
        assert!(page.contains("<th>Criterion</th>"));
        assert!(page.contains(r#"<a href="../criterion/a.html">Criterion</a>"#));
        assert_eq!(page.matches(">Criterion</a>").count(), 1, "gin has no page");
        assert!(page.contains(r#"<a href="../criterion/report/index.html">Criterion report</a>"#));
    }

    #[test]
    fn every_chart_is_an_inline_svg_beside_its_table_and_nothing_is_fetched() {
        let summary = Summary::of(records(
            "json/actix/c64=10 json/actix/c256=20 hash/a<b/r5000",
        ));
        let page = render(&summary, &CriterionLinks::default()).unwrap();
        let sections = Page::new(&summary).sections;
        let workloads = sections.iter().flat_map(|s| &s.workloads);
        let charts: usize = workloads.map(|w| w.charts.len()).sum();
        assert_eq!(page.matches("<svg").count(), charts);
        assert_eq!(page.matches("<table class=\"data\"").count(), charts);
        for id in "w-json-rps w-json-sweep w-hash-rps w-json-table claims-table".split(' ') {
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        let escaped = page.contains("a&#60;b") || page.contains("a&lt;b");
        assert!(escaped, "names are escaped");
        let without_svg_namespace = page.replace("http://www.w3.org/2000/svg", "");
        for remote in ["<script", "http://", "https://", "src="] {
            assert!(!without_svg_namespace.contains(remote), "{remote}");
        }
    }
}
