//! What `index.html` and `report.md` show, gathered once in page order: each template lays the
//! same sections, claims, charts and evidence rows out in its own markup.

use itertools::Itertools;

use super::charts::{self, Chart};
use super::claims::ClaimCheck;
use super::table::{self, Cell, Row};
use super::{SkippedTarget, Summary, TargetInfo, WorkloadSummary, workload_title};

pub(super) struct Page<'a> {
    pub(super) provenance: String,
    pub(super) unranked: Option<String>,
    pub(super) flags_legend: &'static str,
    pub(super) instructions_note: Option<String>,
    pub(super) columns: &'static [(&'static str, bool, Cell)],
    pub(super) detail_columns: &'static [(&'static str, bool, Cell)],
    pub(super) database_columns: Vec<&'static str>,
    pub(super) targets: &'a [TargetInfo],
    /// Some target names a database driver: the targets' table gets that column.
    pub(super) drivers_shown: bool,
    pub(super) skipped: &'a [SkippedTarget],
    /// Per partial target, the workloads it does not serve (none: nothing is shown).
    pub(super) not_served: Vec<String>,
    pub(super) sections: Vec<SectionView<'a>>,
    pub(super) problems: &'a [String],
    /// The Strictness column and the failed MUST probes, shown only with records.
    pub(super) strictness: super::strictness::StrictnessView,
}

/// One machine's results; with one machine, `heading`, `prefix` and `machine` are empty.
pub(super) struct SectionView<'a> {
    pub(super) heading: Option<String>,
    /// Of the section's element ids: `m2-`.
    pub(super) prefix: String,
    /// After a workload's name in the page's navigation: ` (machine 2)`.
    pub(super) machine: String,
    pub(super) tolerance_pct: String,
    pub(super) claims: &'a [ClaimCheck],
    pub(super) workloads: Vec<WorkloadView>,
}

pub(super) struct WorkloadView {
    pub(super) anchor: String,
    pub(super) title: String,
    pub(super) charts: Vec<Chart>,
    pub(super) rows: Vec<Row>,
    /// PostgreSQL's figures per record; empty for a workload without a database.
    pub(super) database_rows: Vec<Vec<String>>,
    pub(super) versions: String,
    /// The database's ceiling and each target's fraction of it (the `db` workload only).
    pub(super) ceiling: Vec<String>,
}

impl<'a> Page<'a> {
    pub(super) fn new(summary: &'a Summary) -> Self {
        let several = summary.sections.len() > 1;
        let sections = summary.sections.iter().map(|section| {
            let n = section.machine + 1;
            let (prefix, machine) = match several {
                true => (format!("m{n}-"), format!(" (machine {n})")),
                false => (String::new(), String::new()),
            };
            let tolerance = section.claims.first().map_or(0.0, |c| c.tolerance);
            let workloads = section.workloads.iter().map(|w| WorkloadView {
                anchor: charts::anchor(summary, section, &w.name),
                title: workload_title(w),
                charts: charts::workload_charts(summary, section, w),
                rows: table::rows(summary, section, w),
                database_rows: super::database::rows(w),
                versions: versions(summary, w),
                ceiling: super::ceiling::notes(w, &summary.database_ceilings),
            });
            SectionView {
                heading: several.then(|| summary.machine_label(section.machine)),
                prefix,
                machine,
                tolerance_pct: format!("{:.0}", tolerance * 100.0),
                claims: &section.claims,
                workloads: workloads.collect(),
            }
        });
        Self {
            provenance: table::provenance(summary),
            unranked: summary.unranked_reason(),
            flags_legend: table::FLAGS_LEGEND,
            instructions_note: super::instructions::note(&summary.instructions),
            columns: &table::COLUMNS,
            detail_columns: &table::DETAIL_COLUMNS,
            database_columns: super::database::COLUMNS.iter().map(|c| c.0).collect(),
            targets: &summary.targets,
            drivers_shown: summary.targets.iter().any(|t| t.database_driver.is_some()),
            skipped: &summary.skipped,
            not_served: super::served::lines(&summary.not_served),
            sections: sections.collect(),
            problems: &summary.problems,
            strictness: super::strictness::StrictnessView::new(
                &summary.strictness,
                &summary
                    .targets
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

/// The toolchains behind a workload's results: `actix rustc 1.85, gin go1.22`.
fn versions(summary: &Summary, w: &WorkloadSummary) -> String {
    let infos = w
        .targets
        .iter()
        .filter_map(|t| summary.targets.iter().find(|i| &i.name == t));
    infos
        .map(|t| format!("{} {}", t.name, t.toolchains.join("; ")))
        .join(", ")
}
