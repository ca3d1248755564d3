//! What a database workload must ask of PostgreSQL per request (its spec entry's `database`),
//! and the check of a measured record against it: a server that caches rows or skips queries
//! shows fewer statements or rows per request than its workload requires, and its record is
//! invalid. Measured, not reviewed.

use serde::Deserialize;

/// The least a correct server does per request: `queries + queries_per_param x N` statements
/// and `rows + rows_per_param x N` rows, N the workload's parameter (`/queries?queries=N`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseDemand {
    /// Statements per request, whatever the parameter.
    #[serde(default)]
    pub queries: f64,
    /// Statements per request per unit of the parameter.
    #[serde(default)]
    pub queries_per_param: f64,
    /// Rows (read, or written) per request, whatever the parameter.
    #[serde(default)]
    pub rows: f64,
    /// Rows per request per unit of the parameter.
    #[serde(default)]
    pub rows_per_param: f64,
    /// The workload changes rows: its answers cannot be checked against the table as read at
    /// the start, and the read-only workloads after it see the table it left.
    #[serde(default)]
    pub writes: bool,
}

/// Statements and rows per request, required or measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerRequest {
    /// Statements.
    pub queries: f64,
    /// Rows.
    pub rows: f64,
}

impl DatabaseDemand {
    /// What a request at parameter `param` requires.
    pub fn required(&self, param: Option<u32>) -> PerRequest {
        let n = f64::from(param.unwrap_or(0));
        PerRequest {
            queries: self.queries + self.queries_per_param * n,
            rows: self.rows + self.rows_per_param * n,
        }
    }
}

/// Why a span's counts cannot be judged, or `None` when they can. The counts are read at the
/// span's edges while `in_flight` requests are under way, so up to that many of the span's
/// `requests` may have made their statements before it: a span of fewer than twice as many
/// requests (a slow workload in a short or quick run: Node's pool answers 20-row updates in
/// waves of hundreds) could read short through no fault of the server's.
pub fn not_judged(in_flight: u64, requests: u64) -> Option<String> {
    (requests < 2 * in_flight).then(|| {
        format!(
            "the measured span completed {requests} requests, fewer than twice the {in_flight} in flight: its statement counts cannot be told apart from its edges'"
        )
    })
}

/// Why a measured record falls short of its workload, or `None` when it does not (or cannot be
/// judged: [`not_judged`]). The slack is the share of the span's `requests` that were in flight
/// at its start (at most half, since the span holds at least twice as many), plus 0.5%. A cache
/// that answers without a query reads near 0 and is caught.
pub fn shortfall(
    required: PerRequest,
    measured: PerRequest,
    in_flight: u64,
    requests: u64,
) -> Option<String> {
    if not_judged(in_flight, requests).is_some() {
        return None;
    }
    let edges = in_flight as f64 / requests.max(1) as f64;
    let at_least = 1.0 - edges - 0.005;
    let mut short = Vec::new();
    if measured.queries < required.queries * at_least {
        short.push(format!(
            "{:.2} queries per request where the workload requires {:.2}",
            measured.queries, required.queries
        ));
    }
    if measured.rows < required.rows * at_least {
        short.push(format!(
            "{:.2} rows per request where the workload requires {:.2}",
            measured.rows, required.rows
        ));
    }
    (!short.is_empty()).then(|| {
        format!(
            "{} (pg_stat_statements over the measured window): rows served from a cache or queries skipped",
            short.join(" and ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_requirement_grows_with_the_parameter() {
        let queries = DatabaseDemand {
            queries_per_param: 1.0,
            rows_per_param: 1.0,
            ..DatabaseDemand::default()
        };
        assert_eq!(
            queries.required(Some(20)),
            PerRequest {
                queries: 20.0,
                rows: 20.0
            }
        );
    }

    #[test]
    fn a_server_that_skips_queries_falls_short_and_one_that_does_them_does_not() {
        let required = PerRequest {
            queries: 1.0,
            rows: 1.0,
        };
        let cached = PerRequest {
            queries: 0.02,
            rows: 0.02,
        };
        let why = shortfall(required, cached, 16, 10_000).unwrap();
        assert!(why.contains("0.02 queries per request"), "{why}");
        let honest = PerRequest {
            queries: 0.997,
            rows: 1.0,
        };
        assert_eq!(shortfall(required, honest, 0, 10_000), None, "0.5% slack");
        let edges = PerRequest {
            queries: 0.975,
            rows: 0.975,
        };
        assert!(shortfall(required, edges, 16, 10_000).is_some());
        assert_eq!(
            shortfall(required, edges, 256, 10_000),
            None,
            "256 requests in flight over 10,000"
        );
        let skipped = PerRequest {
            queries: 0.45,
            rows: 0.45,
        };
        assert!(
            shortfall(required, skipped, 5_000, 10_000).is_some(),
            "the slack is at most half"
        );
        assert_eq!(shortfall(required, cached, 256, 300), None);
        assert!(not_judged(256, 300).unwrap().contains("300 requests"));
        assert_eq!(not_judged(256, 512), None);
    }
}
