//! `report.md`: the summary's tables in Markdown, for a PR comment or a README, from
//! `harness/templates/report.md`. Deterministic: everything comes from the results, nothing
//! from the clock.

use askama::Template;

use super::charts::{Chart, XAxis};
use super::view::Page;
use super::{Summary, SummaryError};

#[derive(Template)]
#[template(path = "report.md")]
struct Report<'a> {
    page: Page<'a>,
}

impl Report<'_> {
    /// Whether a chart's table goes into Markdown: not when its figures are already columns of
    /// the evidence table; memory per connection, latency by percentile and the verdicts of a
    /// timeline are not.
    fn has_table(&self, chart: &Chart) -> bool {
        matches!(chart.plot.x, XAxis::Nines | XAxis::Time(_)) || chart.id.ends_with("conn-memory")
    }
}

pub fn render(summary: &Summary) -> Result<String, SummaryError> {
    let page = Page::new(summary);
    super::rendered("report.md", Report { page }.render())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::ResultRecord;
    use crate::evidence::fixtures::record;
    use crate::summary::SkippedTarget;
    use crate::summary::assert_has;
    use crate::summary::claims::ClaimSet;
    use crate::summary::order::ReportOrder;

    fn render_records(records: Vec<ResultRecord>, skipped: Vec<SkippedTarget>) -> String {
        let order = ReportOrder::default();
        render(&Summary::build(
            records,
            skipped,
            &ClaimSet::default(),
            &order,
        ))
        .unwrap()
    }

    #[test]
    fn every_result_row_names_its_cpu_sets_workers_and_flags() {
        let mut slow = record("json/nethttp/c64", 100.0, 50, 10);
        slow.flags.server_bound = false;
        slow.figures.server.cpu_busy = 0.5;
        let skipped = vec![SkippedTarget {
            target: "node".into(),
            reason: "node not found on PATH".into(),
        }];
        let records = vec![record("json/actix/c64", 1000.0, 50, 10), slow];
        let md = render_records(records, skipped);
        // Checks, CPUs and workers stand next to the target's name; the flags with their
        // figures in the details below.
        assert_has(&md, "| actix | ok | 0 / 1 | 1 | c64 | 1,000 | 50 µs |");
        assert_has(&md, "| nethttp | not server-bound | 0 / 1 | 1 | c64 |");
        assert_has(&md, "not server-bound (server CPU 0.50)");
        assert_has(&md, "| node | skipped: node not found on PATH | — |");
        assert_has(&md, "| actix | c64 | 100 µs |");
        let ends = md.ends_with(".\n") || md.ends_with("|\n");
        assert!(ends, "one final newline");
    }

    #[test]
    fn pipes_in_text_do_not_break_the_table() {
        let mut r = record("json/actix/c64", 1.0, 1, 1);
        r.toolchain = "a|b".into();
        let md = render_records(vec![r], Vec::new());
        assert!(md.contains("a\\|b"));
    }
}
