//! `report.md`: the summary's tables in Markdown, for a PR comment or a README, from
//! `harness/templates/report.md`. Deterministic: everything comes from the results, nothing
//! from the clock.

use askama::Template;

use super::charts::{self, DataTable, XAxis};
use super::format::md_cell;
use super::table::{self, COLUMNS, FLAGS_LEGEND};
use super::{Summary, SummaryError, workload_title};

#[derive(Template)]
#[template(path = "report.md")]
struct Report {
    provenance: String,
    unranked: Option<String>,
    flags_legend: &'static str,
    instructions_note: Option<String>,
    targets: Vec<Vec<String>>,
    sections: Vec<SectionView>,
    problems: Vec<String>,
}

struct SectionView {
    heading: Option<String>,
    tolerance_pct: String,
    claims: Vec<Vec<String>>,
    workloads: Vec<WorkloadView>,
}

struct WorkloadView {
    title: String,
    columns: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    versions: String,
    tables: Vec<TableView>,
}

struct TableView {
    title: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn cells(row: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    row.into_iter().map(|c| md_cell(c.as_ref())).collect()
}

/// The chart tables worth a place in Markdown: those that are not already columns of the
/// evidence table (memory per connection, latency by percentile).
fn extra_tables(
    summary: &Summary,
    section: &super::Section,
    w: &super::WorkloadSummary,
) -> Vec<TableView> {
    charts::workload_charts(summary, section, w)
        .into_iter()
        .filter(|c| c.plot.x == XAxis::Nines || c.id.ends_with("conn-memory"))
        .map(|c| {
            let DataTable { columns, rows } = c.table;
            TableView {
                title: md_cell(&c.title),
                columns: cells(columns),
                rows: rows.into_iter().map(cells).collect(),
            }
        })
        .collect()
}

/// Renders `report.md`.
pub fn render(summary: &Summary) -> Result<String, SummaryError> {
    let several = summary.sections.len() > 1;
    let sections = summary
        .sections
        .iter()
        .map(|section| SectionView {
            heading: several.then(|| md_cell(&summary.machine_label(section.machine))),
            tolerance_pct: format!(
                "{:.0}",
                section.claims.first().map_or(0.0, |c| c.tolerance * 100.0)
            ),
            claims: section
                .claims
                .iter()
                .map(|c| {
                    let measured = if c.measured.is_empty() {
                        c.measured_text()
                    } else {
                        format!("{} ({})", c.measured_text(), c.measured)
                    };
                    cells([
                        format!("{}. {}", c.id, c.claim),
                        c.compared.clone(),
                        c.claimed_text(),
                        measured,
                        format!("**{}**", c.verdict.as_str()),
                        c.why.clone(),
                        c.setup.clone(),
                    ])
                })
                .collect(),
            workloads: section
                .workloads
                .iter()
                .map(|w| WorkloadView {
                    title: md_cell(&workload_title(w)),
                    columns: COLUMNS.iter().map(|c| c.0).collect(),
                    rows: table::rows(summary, section, w)
                        .into_iter()
                        .map(|row| cells(row.cells))
                        .collect(),
                    versions: md_cell(
                        &w.targets
                            .iter()
                            .filter_map(|t| summary.targets.iter().find(|i| &i.name == t))
                            .map(|t| format!("{} {}", t.name, t.toolchains.join("; ")))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    tables: extra_tables(summary, section, w),
                })
                .collect(),
        })
        .collect();
    let report = Report {
        provenance: table::provenance(summary),
        unranked: summary.unranked_reason(),
        flags_legend: FLAGS_LEGEND,
        instructions_note: super::instructions::note(&summary.instructions).map(|n| md_cell(&n)),
        targets: summary
            .targets
            .iter()
            .map(|t| {
                cells([
                    t.name.clone(),
                    t.language.clone(),
                    t.framework.clone(),
                    t.toolchains.join("; "),
                ])
            })
            .chain(summary.skipped.iter().map(|s| {
                cells([
                    s.target.clone(),
                    "—".into(),
                    "—".into(),
                    format!("skipped: {}", s.reason),
                ])
            }))
            .collect(),
        sections,
        problems: summary.problems.iter().map(|p| md_cell(p)).collect(),
    };
    super::rendered("report.md", report.render())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;
    use crate::summary::SkippedTarget;
    use crate::summary::assert_has;
    use crate::summary::claims::ClaimSet;
    use crate::summary::order::ReportOrder;

    fn render_records(
        records: Vec<crate::evidence::ResultRecord>,
        skipped: Vec<SkippedTarget>,
    ) -> String {
        let summary = Summary::build(
            records,
            skipped,
            &ClaimSet::default(),
            &ReportOrder::default(),
        );
        render(&summary).unwrap()
    }

    #[test]
    fn every_result_row_names_its_cpu_sets_workers_and_flags() {
        let mut slow = record("json/nethttp/c64", 100.0, 50, 10);
        slow.server_bound = false;
        slow.server.cpu_busy = 0.5;
        let skipped = vec![SkippedTarget {
            target: "node".into(),
            reason: "node not found on PATH".into(),
        }];
        let md = render_records(
            vec![record("json/actix/c64", 1000.0, 50, 10), slow],
            skipped,
        );
        assert_has(&md, "| actix | c64 | 1,000 | 100 µs | 50 µs |");
        assert_has(&md, "not server-bound (server CPU 0.50)");
        assert!(md.contains("| node | — |") && md.contains("skipped: node not found on PATH"));
        assert_has(&md, "| 0 | 1 | 1 | 1 |");
        assert!(
            md.ends_with(".\n") || md.ends_with("|\n"),
            "one final newline"
        );
    }

    #[test]
    fn pipes_in_text_do_not_break_the_table() {
        let mut r = record("json/actix/c64", 1.0, 1, 1);
        r.toolchain = "a|b".into();
        let md = render_records(vec![r], Vec::new());
        assert!(md.contains("a\\|b"));
    }
}
