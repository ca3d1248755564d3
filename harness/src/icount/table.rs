//! `stampede icount`'s table, rendered a piece at a time as the targets finish (so a later
//! failure loses no row): the heading, then for each target its rows, or the line that says
//! why it has none.

use super::IcountRecord;
use crate::output::{Format, Render, RenderError, unsupported};
use crate::workload::not_served_line;

/// One piece of the table, in the order the run comes to it.
#[derive(Clone, Copy, Debug)]
pub enum TableRows<'a> {
    /// The heading, before any target.
    Heading,
    /// A workload asked for that the target does not serve.
    NotServed {
        /// The target.
        target: &'a str,
        /// The workload's name.
        workload: &'a str,
    },
    /// A target that cannot be counted here (its toolchain is missing): the reason.
    Skipped(&'a str),
    /// A counted target's records, a row each.
    Counted(&'a [IcountRecord]),
}

impl Render for TableRows<'_> {
    const NAME: &'static str = "the instruction count table";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        if format != Format::Text {
            return Err(unsupported::<Self>(format));
        }
        let lines = match *self {
            Self::Heading => vec![heading()],
            Self::NotServed { target, workload } => vec![not_served_line(target, workload)],
            Self::Skipped(reason) => vec![reason.to_owned()],
            Self::Counted(records) => records.iter().map(row).collect(),
        };
        Ok(lines.iter().map(|line| format!("{line}\n")).collect())
    }
}

/// The table's heading.
fn heading() -> String {
    format!(
        "{:<14} {:<12} {:>14} {:>9}  {:<24} {}",
        "target", "workload", "instr/request", "spread", "range", "requests (warm-up + measured)"
    )
}

/// One record's row: the median, the spread and range over the processes, the requests.
fn row(record: &IcountRecord) -> String {
    let values: Vec<f64> = record
        .repetitions
        .iter()
        .map(|r| r.instructions_per_request)
        .collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let requests = record.repetitions.first().map_or(String::new(), |r| {
        format!("{} + {}", r.warmup_requests, r.measured_requests)
    });
    format!(
        "{:<14} {:<12} {:>14.1} {:>8.3}%  {:<24} {requests} x{}",
        record.target,
        record.workload,
        record.instructions_per_request,
        record.spread_pct,
        format!("{min:.1} .. {max:.1}"),
        record.repetitions.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(rows: TableRows<'_>) -> String {
        rows.render(Format::Text).unwrap()
    }

    #[test]
    fn a_row_shows_the_median_spread_range_and_requests_under_the_heading() {
        let record = crate::icount::record::fixture("actix", "plaintext", &[100.0, 102.0, 101.0]);
        let row = text(TableRows::Counted(std::slice::from_ref(&record)));
        assert!(row.starts_with("actix          plaintext    "), "{row}");
        assert!(row.contains("100.0 .. 102.0"), "{row}");
        assert!(row.ends_with(" x3\n"), "{row}");
        assert!(text(TableRows::Heading).starts_with("target         workload"));
    }

    #[test]
    fn the_table_is_the_heading_then_a_row_per_record_and_a_line_per_workload_not_served() {
        let records = [
            crate::icount::record::fixture("actix", "plaintext", &[100.0, 102.0, 101.0]),
            crate::icount::record::fixture("actix", "json", &[250.5, 250.0]),
        ];
        let not_served = TableRows::NotServed {
            target: "go-std",
            workload: "hash",
        };
        let table = [TableRows::Heading, not_served, TableRows::Counted(&records)]
            .into_iter()
            .map(text)
            .collect::<String>();
        insta::assert_snapshot!(table);
    }

    #[test]
    fn the_table_has_only_a_text_form() {
        let err = TableRows::Heading.render(Format::Json).unwrap_err();
        assert!(err.to_string().contains("no json output"), "{err}");
    }
}
