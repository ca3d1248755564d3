//! What the database did for a record: statements and rows per request against what the
//! workload requires (a server below it answered from a cache or skipped queries: INVALID), and
//! PostgreSQL's CPU beside the server's (a run PostgreSQL saturated is `db-bound`: its
//! throughput is the database's, not the framework's).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::flags::BUSY_AT_LEAST;
use crate::cpus::CpuSet;
use crate::database::demand::{PerRequest, not_judged, shortfall};
use crate::database::{DatabaseLink, DatabaseUsage};
use crate::metrics::{CpuSource, cpu_busy};

/// PostgreSQL's figures over a record's measured windows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DatabaseEvidence {
    /// Statements of the targets' role per successful request (`pg_stat_statements`; data
    /// statements only).
    pub queries_per_request: f64,
    /// Rows those statements returned or changed, per request.
    pub rows_per_request: f64,
    /// Rows changed by `UPDATE`s, per request.
    pub rows_written_per_request: f64,
    /// The least the workload requires of a correct server (its spec entry's `database`).
    pub required_queries_per_request: f64,
    /// ... and of rows.
    pub required_rows_per_request: f64,
    /// Why the record falls below the requirement: it is then INVALID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<String>,
    /// Why the counts were not compared with the requirement (a span of too few requests for
    /// those in flight), when they were not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_judged: Option<String>,
    /// PostgreSQL CPU microseconds per successful request, all its processes.
    pub cpu_us_per_request: Option<f64>,
    /// PostgreSQL CPU seconds / (wall seconds x its cores).
    pub cpu_busy: f64,
    /// Its CPU set.
    pub cpus: String,
    /// It ran on the server's CPUs (a machine with fewer than 3): its CPU and the server's
    /// share them.
    pub shares_server_cpus: bool,
    /// `DB_POOL_SIZE`: the server's database connections in total.
    pub pool_size: usize,
    /// Most connections of the targets' role open at once (`pg_stat_activity`, sampled).
    pub peak_connections: Option<u64>,
    /// Most of them running a statement at once.
    pub peak_active_connections: Option<u64>,
    /// Where its CPU time was read from.
    pub cpu_source: CpuSource,
    /// The server's driver with its locked version (`sqlx 0.8.6`), when its catalog entry
    /// names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
}

impl DatabaseEvidence {
    /// The evidence of `usage` over `requests` successful requests.
    pub fn new(
        usage: &DatabaseUsage,
        link: &DatabaseLink,
        driver: Option<String>,
        server_cpus: &CpuSet,
        required: PerRequest,
        requests: u64,
        in_flight: u64,
    ) -> Self {
        let per = |count: u64| {
            if requests == 0 {
                0.0
            } else {
                count as f64 / requests as f64
            }
        };
        let measured = PerRequest {
            queries: per(usage.statements.calls),
            rows: per(usage.statements.rows),
        };
        Self {
            queries_per_request: measured.queries,
            rows_per_request: measured.rows,
            rows_written_per_request: per(usage.statements.rows_written),
            required_queries_per_request: required.queries,
            required_rows_per_request: required.rows,
            shortfall: shortfall(required, measured, in_flight, requests),
            not_judged: not_judged(in_flight, requests),
            cpu_us_per_request: (requests > 0).then(|| usage.cpu_seconds * 1e6 / requests as f64),
            cpu_busy: cpu_busy(usage.cpu_seconds, usage.wall_seconds, link.cpus.len()),
            cpus: link.cpus.to_string(),
            shares_server_cpus: link
                .cpus
                .ids()
                .iter()
                .any(|c| server_cpus.ids().contains(c)),
            pool_size: link.pool_size,
            peak_connections: usage.peak_connections.map(|(open, _)| open),
            peak_active_connections: usage.peak_connections.map(|(_, active)| active),
            cpu_source: usage.cpu_source,
            driver,
        }
    }

    /// One line for evidence lines and `stampede load`.
    pub fn describe(&self) -> String {
        let peak = match (self.peak_connections, self.peak_active_connections) {
            (Some(open), Some(active)) => format!("{open} open at most ({active} active)"),
            _ => "connections not sampled".to_owned(),
        };
        let shared = if self.shares_server_cpus {
            ", shared with the server"
        } else {
            ""
        };
        let judged = if self.not_judged.is_some() {
            ", not judged: too few requests for those in flight"
        } else {
            ""
        };
        format!(
            "database: {:.2} queries and {:.2} rows per request (requires {:.2} and {:.2}{judged}); PostgreSQL cpu_busy {:.2} on CPUs {}{shared}, {} CPU us/request; pool {}, {peak}",
            self.queries_per_request,
            self.rows_per_request,
            self.required_queries_per_request,
            self.required_rows_per_request,
            self.cpu_busy,
            self.cpus,
            self.cpu_us_per_request
                .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}")),
            self.pool_size,
        )
    }

    /// PostgreSQL, not the server, was what saturated: on CPUs of its own, they were at least
    /// 90% busy; on CPUs it shares with the server, those were at least 90% busy between the
    /// two and PostgreSQL used more of them than the server did.
    pub fn db_bound(&self, server_cpu_busy: f64) -> bool {
        if self.shares_server_cpus {
            self.cpu_busy + server_cpu_busy >= BUSY_AT_LEAST && self.cpu_busy > server_cpu_busy
        } else {
            self.cpu_busy >= BUSY_AT_LEAST
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(cpu_busy: f64, shares: bool) -> DatabaseEvidence {
        DatabaseEvidence {
            queries_per_request: 1.0,
            rows_per_request: 1.0,
            rows_written_per_request: 0.0,
            required_queries_per_request: 1.0,
            required_rows_per_request: 1.0,
            shortfall: None,
            not_judged: None,
            cpu_us_per_request: Some(30.0),
            cpu_busy,
            cpus: "0".into(),
            shares_server_cpus: shares,
            pool_size: 16,
            peak_connections: Some(16),
            peak_active_connections: Some(9),
            cpu_source: CpuSource::Cgroup,
            driver: None,
        }
    }

    #[test]
    fn on_shared_cpus_the_database_is_the_bound_only_when_it_took_the_larger_share() {
        assert!(evidence(0.6, true).db_bound(0.38));
        assert!(!evidence(0.4, true).db_bound(0.58), "the server's");
        assert!(!evidence(0.5, true).db_bound(0.2), "not saturated");
    }

    #[test]
    fn on_cpus_of_its_own_the_database_is_the_bound_when_they_were_busy() {
        assert!(evidence(0.95, false).db_bound(0.99));
        assert!(!evidence(0.5, false).db_bound(0.2));
    }
}
