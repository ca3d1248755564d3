//! What the database did during one measured window: statements and rows of the targets' role
//! (`pg_stat_statements` read before and after), PostgreSQL's CPU time (its cgroup), and the
//! most connections the targets held (`pg_stat_activity`, sampled). The harness reads all of it
//! as the superuser, whose own statements the counts leave out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::Client;

use super::link::DatabaseLink;
use super::{DATABASE, DatabaseError, ROLE};
use crate::metrics::CpuSource;

/// How often the connections in use are sampled.
const CONNECTIONS_EVERY: Duration = Duration::from_millis(50);

/// Data statements only: a driver's `SET`, `BEGIN` or `DEALLOCATE` is not a query a request
/// asked for.
const TOTALS: &str = "SELECT coalesce(sum(s.calls), 0)::bigint, coalesce(sum(s.rows), 0)::bigint, \
     coalesce(sum(s.rows) FILTER (WHERE s.query ~* '^\\s*update'), 0)::bigint \
     FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid \
     WHERE r.rolname = $1 AND s.query ~* '^\\s*(select|update|insert|delete|with)\\M'";

const CONNECTIONS: &str = "SELECT count(*), count(*) FILTER (WHERE state = 'active') \
     FROM pg_stat_activity WHERE usename = $1";

/// Totals of the targets' statements at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatementTotals {
    /// Executions.
    pub calls: u64,
    /// Rows returned or changed.
    pub rows: u64,
    /// Rows changed by `UPDATE`s.
    pub rows_written: u64,
}

impl StatementTotals {
    /// Reads them.
    pub fn read(client: &mut Client) -> Result<Self, DatabaseError> {
        let row = client
            .query_one(TOTALS, &[&ROLE])
            .map_err(|source| DatabaseError::query("reading pg_stat_statements", source))?;
        let count = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
        Ok(Self {
            calls: count(0),
            rows: count(1),
            rows_written: count(2),
        })
    }

    fn since(self, before: Self) -> Self {
        Self {
            calls: self.calls.saturating_sub(before.calls),
            rows: self.rows.saturating_sub(before.rows),
            rows_written: self.rows_written.saturating_sub(before.rows_written),
        }
    }
}

/// The statement totals and PostgreSQL's CPU clock at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatabaseReading {
    /// The targets' statements so far.
    pub statements: StatementTotals,
    /// PostgreSQL's CPU nanoseconds so far.
    pub cpu_ns: u64,
}

/// What PostgreSQL did in one span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DatabaseUsage {
    /// The targets' statements and rows in the span.
    pub statements: StatementTotals,
    /// PostgreSQL's CPU seconds, all its processes.
    pub cpu_seconds: f64,
    /// The span's wall seconds.
    pub wall_seconds: f64,
    /// Where the CPU time was read from.
    pub cpu_source: CpuSource,
    /// Most connections of the targets' role seen open, and most of them running a statement;
    /// `None` when the sampler could not connect.
    pub peak_connections: Option<(u64, u64)>,
}

impl DatabaseUsage {
    /// The usage between two readings `wall_seconds` apart.
    pub fn between(
        first: DatabaseReading,
        last: DatabaseReading,
        wall_seconds: f64,
        link: &DatabaseLink,
        peak_connections: Option<(u64, u64)>,
    ) -> Self {
        Self {
            statements: last.statements.since(first.statements),
            cpu_seconds: last.cpu_ns.saturating_sub(first.cpu_ns) as f64 / 1e9,
            wall_seconds,
            cpu_source: link.probe.cpu_source(),
            peak_connections,
        }
    }
}

/// The connection sampler's stop flag and thread, which returns the peaks it saw.
type Sampler = (Arc<AtomicBool>, JoinHandle<Option<(u64, u64)>>);

/// Takes readings over one connection of its own, and samples the connections the targets
/// hold from another, until finished.
pub struct DatabaseMeter {
    link: DatabaseLink,
    client: Client,
    sampler: Option<Sampler>,
}

impl std::fmt::Debug for DatabaseMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseMeter")
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

impl DatabaseMeter {
    /// Connects and starts sampling connections.
    pub fn start(link: &DatabaseLink) -> Result<Self, DatabaseError> {
        let client = link.connect_superuser(DATABASE)?;
        let sampler = link.connect_superuser(DATABASE).ok().map(|sampling| {
            let stop = Arc::new(AtomicBool::new(false));
            let handle = std::thread::spawn({
                let stop = Arc::clone(&stop);
                move || sample_connections(sampling, &stop)
            });
            (stop, handle)
        });
        Ok(Self {
            link: link.clone(),
            client,
            sampler,
        })
    }

    /// The cluster it reads.
    pub fn link(&self) -> &DatabaseLink {
        &self.link
    }

    /// The totals and CPU clock now.
    pub fn reading(&mut self) -> Result<DatabaseReading, DatabaseError> {
        let cpu_ns = self.link.probe.cpu_ns();
        Ok(DatabaseReading {
            statements: StatementTotals::read(&mut self.client)?,
            cpu_ns,
        })
    }

    /// Stops sampling: the most connections seen open and active since the start.
    pub fn finish(mut self) -> Option<(u64, u64)> {
        let (stop, handle) = self.sampler.take()?;
        stop.store(true, Ordering::Relaxed);
        handle.join().ok().flatten()
    }
}

impl Drop for DatabaseMeter {
    fn drop(&mut self) {
        if let Some((stop, _)) = &self.sampler {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

/// Readings around one span: [`DatabaseMeter`] with a reading at each end.
#[derive(Debug)]
pub struct DatabaseWatch {
    meter: DatabaseMeter,
    first: DatabaseReading,
    started: Instant,
}

impl DatabaseWatch {
    /// Takes the first reading.
    pub fn start(link: &DatabaseLink) -> Result<Self, DatabaseError> {
        let mut meter = DatabaseMeter::start(link)?;
        let first = meter.reading()?;
        Ok(Self {
            meter,
            first,
            started: Instant::now(),
        })
    }

    /// Takes the last reading.
    pub fn finish(mut self) -> Result<DatabaseUsage, DatabaseError> {
        let wall_seconds = self.started.elapsed().as_secs_f64();
        let last = self.meter.reading()?;
        let link = self.meter.link().clone();
        let peak = self.meter.finish();
        Ok(DatabaseUsage::between(
            self.first,
            last,
            wall_seconds,
            &link,
            peak,
        ))
    }
}

fn sample_connections(mut client: Client, stop: &AtomicBool) -> Option<(u64, u64)> {
    let mut peak: Option<(u64, u64)> = None;
    while !stop.load(Ordering::Relaxed) {
        let row = client.query_one(CONNECTIONS, &[&ROLE]).ok()?;
        let open = u64::try_from(row.get::<_, i64>(0)).unwrap_or(0);
        let active = u64::try_from(row.get::<_, i64>(1)).unwrap_or(0);
        let (top_open, top_active) = peak.unwrap_or((0, 0));
        peak = Some((top_open.max(open), top_active.max(active)));
        std::thread::sleep(CONNECTIONS_EVERY);
    }
    peak
}
