//! The database table of a workload whose records carry PostgreSQL's figures: what each target
//! asked of the database per request against what the workload requires, and what PostgreSQL
//! spent beside the server. Shown under the evidence table only for such workloads.

use super::WorkloadSummary;
use super::format::rate;
use super::table::or_dash;
use crate::evidence::{DatabaseEvidence, ResultRecord};

type DatabaseCell = fn(&ResultRecord, &DatabaseEvidence) -> String;

/// One column a line: its name and its cell.
pub(super) const COLUMNS: [(&str, DatabaseCell); 11] = [
    ("target", |r, _| r.target.clone()),
    ("driver", |_, d| or_dash(d.driver.clone())),
    ("param", |r, _| r.param.clone()),
    ("req/s", |r, _| rate(r.figures.requests_per_sec)),
    ("queries/req (required)", |_, d| {
        format!(
            "{:.2} ({:.2}){}",
            d.queries_per_request,
            d.required_queries_per_request,
            if d.shortfall.is_some() {
                " SHORT"
            } else if d.not_judged.is_some() {
                " not judged"
            } else {
                ""
            }
        )
    }),
    ("rows/req (required)", |_, d| {
        format!(
            "{:.2} ({:.2})",
            d.rows_per_request, d.required_rows_per_request
        )
    }),
    ("server CPU µs/req", |r, _| {
        or_dash(
            r.figures
                .server
                .cpu_us_per_request
                .map(|us| format!("{us:.1}")),
        )
    }),
    ("PostgreSQL CPU µs/req", |_, d| {
        or_dash(d.cpu_us_per_request.map(|us| format!("{us:.1}")))
    }),
    ("PostgreSQL CPU busy", |_, d| {
        format!(
            "{:.2} on {}{}",
            d.cpu_busy,
            d.cpus,
            if d.shares_server_cpus {
                " (shared)"
            } else {
                ""
            }
        )
    }),
    ("pool", |_, d| d.pool_size.to_string()),
    ("connections peak (active)", |_, d| {
        match (d.peak_connections, d.peak_active_connections) {
            (Some(open), Some(active)) => format!("{open} ({active})"),
            _ => "—".into(),
        }
    }),
];

/// The rows of `workload`'s records that carry PostgreSQL's figures; empty for a workload
/// without a database.
pub(super) fn rows(workload: &WorkloadSummary) -> Vec<Vec<String>> {
    workload
        .records
        .iter()
        .filter_map(|r| {
            let database = r.figures.database.as_ref()?;
            Some(COLUMNS.iter().map(|c| c.1(r, database)).collect())
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::database::demand::PerRequest;
    use crate::metrics::CpuSource;

    pub(in crate::summary) fn evidence(queries: f64) -> DatabaseEvidence {
        let required = PerRequest {
            queries: 1.0,
            rows: 1.0,
        };
        DatabaseEvidence {
            queries_per_request: queries,
            rows_per_request: queries,
            rows_written_per_request: 0.0,
            required_queries_per_request: 1.0,
            required_rows_per_request: 1.0,
            shortfall: crate::database::demand::shortfall(
                required,
                PerRequest {
                    queries,
                    rows: queries,
                },
                16,
                10_000,
            ),
            not_judged: None,
            cpu_us_per_request: Some(21.8),
            cpu_busy: 0.41,
            cpus: "0".into(),
            shares_server_cpus: true,
            pool_size: 16,
            peak_connections: Some(16),
            peak_active_connections: Some(11),
            cpu_source: CpuSource::Cgroup,
            driver: None,
        }
    }

    #[test]
    fn only_records_with_the_databases_figures_get_a_row_and_a_short_one_says_so() {
        let mut honest = crate::evidence::fixtures::record("db/nethttp/c16", 18_957.0, 700, 17);
        honest.figures.database = Some(evidence(1.0));
        let mut cached = crate::evidence::fixtures::record("db/cheater/c16", 40_000.0, 300, 17);
        cached.figures.database = Some(evidence(0.02));
        let plain = crate::evidence::fixtures::record("db/other/c16", 1.0, 1, 1);
        let workload = WorkloadSummary {
            name: "db".into(),
            targets: vec![],
            params: vec![],
            records: vec![honest, cached, plain],
            missing: vec![],
            sweep: None,
        };
        let rows = rows(&workload);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0][4], "1.00 (1.00)");
        assert_eq!(rows[0][8], "0.41 on 0 (shared)");
        assert_eq!(rows[1][4], "0.02 (1.00) SHORT");
    }
}
