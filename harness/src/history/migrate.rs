//! Schema versions of the history database, kept in SQLite's `user_version`. Opening a database
//! of an older version upgrades it step by step, each step in its own transaction; a database
//! of a newer version, or a file that is not a stampede history, is refused and left untouched.
//!
//! Every record keeps its full JSON, so a column added later is backfilled from it: that is how
//! fields the harness adds to records later become queryable without losing old runs.

use rusqlite::{Connection, Transaction, params};
use serde_json::Value;

use super::metric::{Metric, flags_of};

/// `PRAGMA application_id` of a stampede history ("STMP").
pub(crate) const APPLICATION_ID: i64 = 0x5354_4d50;

/// One schema step.
struct Migration {
    /// The version after this step.
    version: i64,
    apply: fn(&Transaction<'_>) -> rusqlite::Result<()>,
}

/// Every step in order; a step is never edited once released, only followed by a new one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        apply: v1_runs_and_records,
    },
    Migration {
        version: 2,
        apply: v2_cost_memory_flags_versions,
    },
    Migration {
        version: 3,
        apply: v3_instructions,
    },
];

/// The version this build writes.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Why a database cannot be brought to the latest version.
#[derive(Debug)]
pub(crate) enum MigrateError {
    /// Written by a newer stampede.
    Newer(i64),
    /// Has tables or an application id that are not ours.
    Foreign,
    /// SQLite failed.
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Sql(err)
    }
}

/// Brings `conn` to the latest version; returns the version it had.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64, MigrateError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if found > latest_version() {
        return Err(MigrateError::Newer(found));
    }
    if found == 0 {
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        if tables > 0 || (app_id != 0 && app_id != APPLICATION_ID) {
            return Err(MigrateError::Foreign);
        }
    } else if app_id != APPLICATION_ID {
        return Err(MigrateError::Foreign);
    }
    for step in MIGRATIONS.iter().filter(|m| m.version > found) {
        let tx = conn.transaction()?;
        (step.apply)(&tx)?;
        tx.pragma_update(None, "user_version", step.version)?;
        tx.commit()?;
    }
    Ok(found)
}

/// The first schema: runs, and one row per record with its JSON and the headline figures.
fn v1_runs_and_records(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.execute_batch(V1_SQL)
}

/// The v1 schema exactly as released; tests build old databases from it.
pub(crate) const V1_SQL: &str = "
CREATE TABLE runs (
    run_id      TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    source      TEXT NOT NULL,
    mode        TEXT NOT NULL,
    git_commit  TEXT NOT NULL,
    dirty       INTEGER NOT NULL,
    branch      TEXT,
    meta_json   TEXT NOT NULL
);
CREATE TABLE records (
    run_id            TEXT NOT NULL REFERENCES runs(run_id),
    bench_id          TEXT NOT NULL,
    time              TEXT NOT NULL,
    fingerprint       TEXT NOT NULL,
    fingerprint_json  TEXT NOT NULL,
    requests_per_sec  REAL,
    p99_us            REAL,
    record_json       TEXT NOT NULL,
    PRIMARY KEY (run_id, bench_id)
);
";

/// Server CPU per request, memory, flags, toolchain and framework as columns, backfilled from
/// each record's JSON; an index for reading one benchmark's series in time order.
fn v2_cost_memory_flags_versions(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "
        ALTER TABLE records ADD COLUMN cpu_us_per_request REAL;
        ALTER TABLE records ADD COLUMN mem_bytes REAL;
        ALTER TABLE records ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE records ADD COLUMN toolchain TEXT;
        ALTER TABLE records ADD COLUMN framework TEXT;
        CREATE INDEX records_by_bench ON records (bench_id, time);
        ",
    )?;
    let mut update = tx.prepare(
        "UPDATE records SET cpu_us_per_request = ?1, mem_bytes = ?2, flags = ?3,
                toolchain = ?4, framework = ?5 WHERE rowid = ?6",
    )?;
    for (rowid, record) in stored_records(tx)? {
        let text = |k: &str| record.get(k).and_then(Value::as_str).map(str::to_owned);
        update.execute(params![
            Metric::CpuUs.extract(&record),
            Metric::Mem.extract(&record),
            serde_json::to_string(&flags_of(&record)).unwrap_or_else(|_| "[]".into()),
            text("toolchain"),
            text("framework"),
            rowid
        ])?;
    }
    Ok(())
}

/// Instructions per request of `stampede icount` records as a column, backfilled.
fn v3_instructions(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("ALTER TABLE records ADD COLUMN instructions_per_request REAL;")?;
    let mut update =
        tx.prepare("UPDATE records SET instructions_per_request = ?1 WHERE rowid = ?2")?;
    for (rowid, record) in stored_records(tx)? {
        update.execute(params![Metric::Instructions.extract(&record), rowid])?;
    }
    Ok(())
}

/// Every stored record's JSON by rowid, for backfilling a new column. A row whose JSON does not
/// parse reads as null, so it keeps empty columns rather than failing the upgrade.
fn stored_records(tx: &Transaction<'_>) -> rusqlite::Result<Vec<(i64, Value)>> {
    let mut select = tx.prepare("SELECT rowid, record_json FROM records")?;
    let rows = select
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .map(|(rowid, json)| (rowid, serde_json::from_str(&json).unwrap_or(Value::Null)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_reaches_the_latest_version_and_is_marked_as_ours() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), 0);
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let app: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!((version, app), (latest_version(), APPLICATION_ID));
        assert_eq!(
            migrate(&mut conn).unwrap(),
            latest_version(),
            "second open: no step"
        );
    }

    #[test]
    fn a_version_one_database_built_by_hand_is_upgraded_with_every_later_column_backfilled() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1_SQL).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO runs VALUES ('r1', '2026-01-01T00:00:00Z', 'bench', 'quick', 'abc', 0, 'main', '{}')",
            [],
        )
        .unwrap();
        let record = r#"{"id":"json/actix/c64","requests_per_sec":1000.0,"latency_us":{"p99":800},
            "server":{"cpu_us_per_request":12.5,"peak_rss_bytes":4096},"client_bound":true,
            "instructions_per_request":16613.5,
            "toolchain":"cargo 1.95","framework":"actix-web 4.11.0"}"#;
        conn.execute(
            "INSERT INTO records VALUES ('r1', 'json/actix/c64', '2026-01-01T00:00:01Z', 'fp', '{}', 1000.0, 800.0, ?1)",
            [record],
        )
        .unwrap();

        assert_eq!(migrate(&mut conn).unwrap(), 1);

        let row: (f64, f64, f64, String, String, String, f64) = conn
            .query_row(
                "SELECT requests_per_sec, cpu_us_per_request, mem_bytes, flags, toolchain, framework,
                        instructions_per_request
                 FROM records WHERE run_id = 'r1'",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!((row.0, row.6), (1000.0, 16613.5));
        assert_eq!((row.1, row.2), (12.5, 4096.0));
        assert_eq!(row.3, r#"["client-bound"]"#);
        assert_eq!(
            (row.4.as_str(), row.5.as_str()),
            ("cargo 1.95", "actix-web 4.11.0")
        );
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, latest_version());
    }

    #[test]
    fn a_database_from_a_newer_stampede_is_refused_and_left_as_it_was() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        assert!(
            matches!(migrate(&mut conn), Err(MigrateError::Newer(v)) if v == latest_version() + 1)
        );
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, latest_version() + 1);
    }

    #[test]
    fn a_database_with_someone_elses_tables_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE invoices (id INTEGER)")
            .unwrap();
        assert!(matches!(migrate(&mut conn), Err(MigrateError::Foreign)));
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1);
    }
}
