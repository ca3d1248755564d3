//! `index.html`: one self-contained page — inline CSS and SVG, no script, no network. The
//! markup is `harness/templates/summary.html`; this module gathers what it shows.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use askama::Template;

use super::charts::{self, DataTable};
use super::claims::ClaimCheck;
use super::table::{self, COLUMNS, FLAGS_LEGEND};
use super::{Section, SkippedTarget, Summary, SummaryError, TargetInfo, plot, workload_title};

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
            .sections
            .iter()
            .flat_map(|s| &s.workloads)
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

#[derive(Template)]
#[template(path = "summary.html")]
struct Page<'a> {
    provenance: String,
    unranked: Option<String>,
    flags_legend: &'static str,
    criterion_index: Option<&'a str>,
    nav: Vec<(String, String)>,
    targets: &'a [TargetInfo],
    skipped: &'a [SkippedTarget],
    sections: Vec<SectionView<'a>>,
    problems: &'a [String],
}

impl Page<'_> {
    fn verdict_class(&self, check: &ClaimCheck) -> String {
        check.verdict.as_str().replace(' ', "-")
    }
}

struct SectionView<'a> {
    heading: Option<String>,
    prefix: String,
    claims: &'a [ClaimCheck],
    workloads: Vec<WorkloadView>,
}

struct WorkloadView {
    anchor: String,
    title: String,
    charts: Vec<ChartView>,
    columns: Vec<(&'static str, bool)>,
    rows: Vec<RowView>,
}

struct ChartView {
    id: String,
    title: String,
    note: String,
    svg: String,
    table: DataTable,
}

struct RowView {
    class: &'static str,
    cells: Vec<(String, &'static str)>,
    link: Option<Option<String>>,
}

/// Renders `index.html`.
pub fn render(summary: &Summary, links: &CriterionLinks) -> Result<String, SummaryError> {
    let several = summary.sections.len() > 1;
    let mut nav = Vec::new();
    let mut sections = Vec::new();
    for section in &summary.sections {
        let prefix = if several {
            format!("m{}-", section.machine + 1)
        } else {
            String::new()
        };
        let workloads = section
            .workloads
            .iter()
            .map(|w| workload(summary, section, w, links))
            .collect::<Result<Vec<_>, _>>()?;
        nav.extend(workloads.iter().map(|w| {
            let name = if several {
                format!("{} (machine {})", w.title, section.machine + 1)
            } else {
                w.title.clone()
            };
            (w.anchor.clone(), name)
        }));
        sections.push(SectionView {
            heading: several.then(|| summary.machine_label(section.machine)),
            prefix,
            claims: &section.claims,
            workloads,
        });
    }
    let page = Page {
        provenance: table::provenance(summary),
        unranked: summary.unranked_reason(),
        flags_legend: FLAGS_LEGEND,
        criterion_index: links.index.as_deref(),
        nav,
        targets: &summary.targets,
        skipped: &summary.skipped,
        sections,
        problems: &summary.problems,
    };
    super::rendered("index.html", page.render())
}

fn workload(
    summary: &Summary,
    section: &Section,
    w: &super::WorkloadSummary,
    links: &CriterionLinks,
) -> Result<WorkloadView, SummaryError> {
    let charts = charts::workload_charts(summary, section, w)
        .into_iter()
        .map(|chart| {
            Ok(ChartView {
                svg: plot::svg(&chart)?,
                id: chart.id,
                title: chart.title,
                note: chart.note,
                table: chart.table,
            })
        })
        .collect::<Result<Vec<_>, SummaryError>>()?;
    let linked = !links.by_id.is_empty();
    let mut columns = COLUMNS.to_vec();
    if linked {
        columns.push(("Criterion", false));
    }
    let rows = table::rows(section, w)
        .into_iter()
        .map(|row| {
            let last = row.cells.len() - 1;
            let cells = row
                .cells
                .into_iter()
                .enumerate()
                .map(|(i, cell)| {
                    let class = match i {
                        i if i == last && row.invalid => "flag invalid",
                        i if i == last => "flag",
                        i if COLUMNS[i].1 => "num",
                        _ => "",
                    };
                    (cell, class)
                })
                .collect();
            RowView {
                class: if row.absent {
                    "skipped"
                } else if row.flagged {
                    "flagged"
                } else {
                    ""
                },
                cells,
                link: linked.then(|| row.id.and_then(|id| links.by_id.get(&id).cloned())),
            }
        })
        .collect();
    Ok(WorkloadView {
        anchor: charts::anchor(summary, section, &w.name),
        title: workload_title(w),
        charts,
        columns,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;
    use crate::summary::claims::ClaimSet;
    use crate::summary::order::ReportOrder;

    #[test]
    fn relative_links_climb_out_of_the_report_folder() {
        let href = relative(
            Path::new("/w/target/stampede/report"),
            Path::new("/w/target/criterion/report/index.html"),
        );
        assert_eq!(href, "../../criterion/report/index.html");
    }

    #[test]
    fn every_chart_is_an_inline_svg_beside_its_table_and_nothing_is_fetched() {
        let records = vec![
            record("json/actix/c64", 10.0, 1, 1),
            record("json/actix/c256", 20.0, 1, 1),
            record("hash/a<b/r5000", 1.0, 1, 1),
        ];
        let summary = Summary::build(
            records,
            Vec::new(),
            &ClaimSet::default(),
            &ReportOrder::default(),
        );
        let page = render(&summary, &CriterionLinks::default()).unwrap();
        let charts: usize = summary
            .sections
            .iter()
            .flat_map(|s| s.workloads.iter().map(move |w| (s, w)))
            .map(|(s, w)| charts::workload_charts(&summary, s, w).len())
            .sum();
        assert_eq!(page.matches("<svg").count(), charts);
        assert_eq!(page.matches("<table class=\"data\"").count(), charts);
        for id in [
            "w-json-rps",
            "w-json-sweep",
            "w-hash-rps",
            "w-json-table",
            "claims-table",
        ] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(
            page.contains("a&#60;b") || page.contains("a&lt;b"),
            "names are escaped"
        );
        let without_svg_namespace = page.replace("http://www.w3.org/2000/svg", "");
        for remote in ["<script", "http://", "https://", "src="] {
            assert!(!without_svg_namespace.contains(remote), "{remote}");
        }
    }
}
