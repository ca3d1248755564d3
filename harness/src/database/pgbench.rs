//! Reading pgbench's report: its version, transactions per second without the initial
//! connection time, mean latency and the transactions done, as PostgreSQL 14 and later print
//! them (13's "excluding connections establishing" tps too).

/// The figures of pgbench's report.
#[derive(Clone, Debug, PartialEq)]
pub struct PgbenchReport {
    /// From its first line, `pgbench (15.18 (Debian ...))`; `unknown` when absent.
    pub version: String,
    /// Transactions per second without the initial connection time.
    pub tps: f64,
    /// Mean latency, milliseconds.
    pub latency_avg_ms: f64,
    /// Transactions processed.
    pub transactions: u64,
}

impl PgbenchReport {
    /// Reads pgbench's standard output (PostgreSQL 14 and later; 13's "excluding connections
    /// establishing" tps too). `Err` says what is missing or wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value = |prefix: &str| {
            text.lines()
                .find_map(|line| line.trim().strip_prefix(prefix))
                .map(str::trim)
        };
        let number = |prefix: &str| -> Result<f64, String> {
            let found = value(prefix).ok_or_else(|| format!("has no `{prefix}` line"))?;
            let first = found.split_whitespace().next().unwrap_or_default();
            first
                .parse::<f64>()
                .map_err(|_| format!("has an unreadable `{prefix}` line: {found:?}"))
        };
        let tps = text
            .lines()
            .filter_map(|line| line.trim().strip_prefix("tps = "))
            .find(|rest| {
                rest.contains("without initial connection time")
                    || rest.contains("excluding connections establishing")
            })
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .ok_or("has no `tps = N (without initial connection time)` line")?;
        let transactions = number("number of transactions actually processed:")?;
        let transactions = transactions.round() as u64;
        if transactions == 0 {
            return Err("shows no read done".to_owned());
        }
        if let Ok(failed) = number("number of failed transactions:")
            && failed > 0.0
        {
            return Err(format!("shows {failed} failed reads"));
        }
        let version = value("pgbench (")
            .and_then(|rest| rest.split([' ', ',', ')']).next())
            .filter(|v| !v.is_empty())
            .unwrap_or("unknown")
            .to_owned();
        Ok(Self {
            version,
            tps,
            latency_avg_ms: number("latency average =")?,
            transactions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured on this machine: pgbench 15.18 against the harness's cluster, 16 connections.
    const PGBENCH_15: &str = "pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: -
scaling factor: 1
query mode: prepared
number of clients: 16
number of threads: 1
maximum number of tries: 1
duration: 3 s
number of transactions actually processed: 61941
number of failed transactions: 0 (0.000%)
latency average = 0.733 ms
initial connection time = 186.279 ms
tps = 21817.501693 (without initial connection time)
";

    #[test]
    fn the_reads_per_second_latency_and_version_are_read_from_pgbench_15s_report() {
        let report = PgbenchReport::parse(PGBENCH_15).unwrap();
        assert_eq!(
            report,
            PgbenchReport {
                version: "15.18".to_owned(),
                tps: 21817.501693,
                latency_avg_ms: 0.733,
                transactions: 61941,
            }
        );
    }

    #[test]
    fn pgbench_13s_tps_excluding_connections_is_taken_over_the_one_including_them() {
        let old = PGBENCH_15
            .replace(
                "tps = 21817.501693 (without initial connection time)",
                "tps = 20000.0 (including connections establishing)\n\
                 tps = 21000.5 (excluding connections establishing)",
            )
            .replace("pgbench (15.18 (Debian 15.18-0+deb12u1))\n", "");
        let report = PgbenchReport::parse(&old).unwrap();
        assert_eq!(report.tps, 21000.5);
        assert_eq!(report.version, "unknown");
    }

    #[test]
    fn a_report_without_its_tps_line_is_unreadable_and_says_which_line() {
        let cut = PGBENCH_15.replace("tps = 21817.501693 (without initial connection time)", "");
        let why = PgbenchReport::parse(&cut).unwrap_err();
        assert!(why.contains("without initial connection time"), "{why}");
    }

    #[test]
    fn a_report_with_failed_reads_is_not_a_ceiling() {
        let failed = PGBENCH_15.replace(
            "number of failed transactions: 0 (0.000%)",
            "number of failed transactions: 12 (0.019%)",
        );
        let why = PgbenchReport::parse(&failed).unwrap_err();
        assert!(why.contains("12 failed reads"), "{why}");
    }
}
