//! The history file: SQLite in WAL mode, one transaction per [`History::append`], so a run
//! killed at any moment leaves every record it had appended readable.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Type;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
use serde::Serialize;
use serde_json::Value;

use super::HistoryError;
use super::fingerprint::Fingerprint;
use super::metric::{Metric, flags_of};
use super::migrate::{MigrateError, latest_version, migrate};
use super::run::KeptRun;
use crate::benchmark_id::{BenchmarkId, BenchmarkIdError};
use crate::evidence::{Commit, RunMode};

/// Environment variable naming a history file to share across checkouts.
pub const HISTORY_ENV: &str = "STAMPEDE_HISTORY";

/// The history file to use: `explicit` (a `--history PATH`), else `$STAMPEDE_HISTORY`, else
/// `history.sqlite` in the work folder (`target/stampede`).
pub fn history_path(work_dir: &Path, explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os(HISTORY_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| work_dir.join("history.sqlite"))
}

/// An open history database.
#[derive(Debug)]
pub struct History {
    conn: Connection,
    path: PathBuf,
}

/// One record of one run, with the figure asked for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    /// Benchmark ID.
    pub bench_id: BenchmarkId,
    /// The run that wrote it.
    pub run_id: String,
    /// When the record was written (RFC 3339).
    pub time: String,
    /// The commit and whether uncommitted changes were present (columns `git_commit`,
    /// `dirty`).
    pub commit: Commit,
    /// Branch, when known.
    pub branch: Option<String>,
    /// The run's mode; a name this build does not know reads as `unknown`.
    pub mode: RunMode,
    /// What wrote it (`bench`, `load`, ...).
    pub source: String,
    /// Machine and CPU split.
    pub fingerprint: Fingerprint,
    /// The figure; `None` when the record lacks it.
    pub value: Option<f64>,
    /// Flags the record raised.
    pub flags: Vec<String>,
    /// The target's toolchain version line, when recorded.
    pub toolchain: Option<String>,
    /// The framework with its version, when recorded.
    pub framework: Option<String>,
}

impl History {
    /// Opens (creating it and its folder if needed) and upgrades the database at `path`.
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let sql = |source| HistoryError::Sql {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        // Another checkout may be appending to the same shared file.
        conn.busy_timeout(Duration::from_secs(10)).map_err(sql)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|source| match source {
                rusqlite::Error::SqliteFailure(e, _)
                    if e.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    HistoryError::NotOurs {
                        path: path.to_path_buf(),
                    }
                }
                other => sql(other),
            })?;
        if !mode.eq_ignore_ascii_case("wal") {
            // Some file systems cannot hold WAL; rollback journaling is still crash-safe.
            conn.pragma_update(None, "journal_mode", "DELETE")
                .map_err(sql)?;
        }
        // With WAL, NORMAL loses nothing when the process dies; only a power cut may drop
        // the last commits.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        migrate(&mut conn).map_err(|err| match err {
            MigrateError::Newer(found) => HistoryError::Newer {
                path: path.to_path_buf(),
                found,
                known: latest_version(),
            },
            MigrateError::Foreign => HistoryError::NotOurs {
                path: path.to_path_buf(),
            },
            MigrateError::Sql(source) => sql(source),
        })?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds `records` (any JSON objects with an `id`, e.g. serialised `ResultRecord`s) to the
    /// run `kept`, in one transaction. A record already stored for the same run and ID is
    /// replaced. Returns how many were written.
    pub fn append(&self, kept: &KeptRun, records: &[Value]) -> Result<usize, HistoryError> {
        self.write(kept, records, Conflict::Replace)
    }

    /// Like [`History::append`] but keeps rows already stored: for imports, which may be
    /// repeated.
    pub(crate) fn append_new(
        &self,
        kept: &KeptRun,
        records: &[Value],
    ) -> Result<usize, HistoryError> {
        self.write(kept, records, Conflict::Keep)
    }

    fn write(
        &self,
        kept: &KeptRun,
        records: &[Value],
        conflict: Conflict,
    ) -> Result<usize, HistoryError> {
        let sql = |source| HistoryError::Sql {
            path: self.path.clone(),
            source,
        };
        let verb = match conflict {
            Conflict::Replace => "INSERT OR REPLACE",
            Conflict::Keep => "INSERT OR IGNORE",
        };
        // `&self` so callers can keep a shared handle; the transaction is still exclusive to
        // this connection. IMMEDIATE takes the write lock up front, so a writer sharing the file
        // waits (busy timeout) instead of failing on a stale snapshot.
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(sql)?;
        let mut written = 0;
        {
            let mut insert_run = tx
                .prepare(
                    "INSERT OR IGNORE INTO runs (run_id, started_at, source, mode, git_commit, dirty, branch, meta_json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sql)?;
            let mut insert = tx
                .prepare(&format!(
                    "{verb} INTO records (run_id, bench_id, time, fingerprint, fingerprint_json,
                        requests_per_sec, p99_us, cpu_us_per_request, mem_bytes, flags, toolchain,
                        framework, record_json, instructions_per_request)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
                ))
                .map_err(sql)?;
            for record in records {
                let text = |k: &str| record.get(k).and_then(Value::as_str).map(str::to_owned);
                let bench_id = text("id").ok_or_else(|| {
                    HistoryError::Json("a record without an `id` field cannot be kept".into())
                })?;
                let bench_id: BenchmarkId = bench_id
                    .parse()
                    .map_err(|e: BenchmarkIdError| HistoryError::Json(e.to_string()))?;
                let stated = kept.as_stated_by(record);
                let run = &stated.run;
                insert_run
                    .execute(params![
                        run.id,
                        run.started_at,
                        stated.source.as_str(),
                        run.mode.as_str(),
                        run.commit.hash,
                        run.commit.dirty,
                        run.branch,
                        to_json(&stated)?
                    ])
                    .map_err(sql)?;
                let fingerprint = Fingerprint::of_record(record, &kept.fingerprint());
                written += insert
                    .execute(params![
                        run.id,
                        bench_id.as_str(),
                        text("time").unwrap_or_else(|| kept.run.started_at.clone()),
                        fingerprint.key(),
                        to_json(&fingerprint)?,
                        Metric::RequestsPerSec.extract(record),
                        Metric::P99.extract(record),
                        Metric::CpuUs.extract(record),
                        Metric::Mem.extract(record),
                        to_json(&flags_of(record))?,
                        text("toolchain"),
                        text("framework"),
                        record.to_string(),
                        Metric::Instructions.extract(record),
                    ])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        Ok(written)
    }

    /// Every stored record with `metric`, oldest first.
    pub fn points(&self, metric: Metric) -> Result<Vec<Point>, HistoryError> {
        let sql = |source| HistoryError::Sql {
            path: self.path.clone(),
            source,
        };
        let mut select = self
            .conn
            .prepare(&format!(
                "SELECT r.bench_id, r.run_id, r.time, u.git_commit, u.dirty, u.branch, u.mode,
                        u.source, r.fingerprint_json, r.{}, r.flags, r.toolchain, r.framework
                 FROM records r JOIN runs u ON u.run_id = r.run_id
                 ORDER BY r.time, r.rowid",
                metric.column()
            ))
            .map_err(sql)?;
        let rows = select
            .query_map([], |r| {
                let fingerprint_json: String = r.get(8)?;
                let flags_json: String = r.get(10)?;
                Ok((
                    Point {
                        bench_id: r.get::<_, String>(0)?.parse().map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e))
                        })?,
                        run_id: r.get(1)?,
                        time: r.get(2)?,
                        commit: Commit {
                            hash: r.get(3)?,
                            dirty: r.get(4)?,
                        },
                        branch: r.get(5)?,
                        mode: RunMode::from_stored(&r.get::<_, String>(6)?),
                        source: r.get(7)?,
                        fingerprint: Fingerprint::unknown(),
                        value: r.get(9)?,
                        flags: Vec::new(),
                        toolchain: r.get(11)?,
                        framework: r.get(12)?,
                    },
                    fingerprint_json,
                    flags_json,
                ))
            })
            .map_err(sql)?;
        let mut points = Vec::new();
        for row in rows {
            let (mut point, fingerprint_json, flags_json) = row.map_err(sql)?;
            point.fingerprint =
                serde_json::from_str(&fingerprint_json).unwrap_or_else(|_| Fingerprint::unknown());
            point.flags = serde_json::from_str(&flags_json).unwrap_or_default();
            points.push(point);
        }
        Ok(points)
    }

    /// How many records and runs are stored.
    pub fn counts(&self) -> Result<(u64, u64), HistoryError> {
        let sql = |source| HistoryError::Sql {
            path: self.path.clone(),
            source,
        };
        let records: i64 = self
            .conn
            .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
            .map_err(sql)?;
        let runs: i64 = self
            .conn
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .map_err(sql)?;
        Ok((records.max(0) as u64, runs.max(0) as u64))
    }

    /// The stored JSON of one record, as written.
    pub fn record_json(&self, run_id: &str, bench_id: &str) -> Result<Option<Value>, HistoryError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT record_json FROM records WHERE run_id = ?1 AND bench_id = ?2",
                params![run_id, bench_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|source| HistoryError::Sql {
                path: self.path.clone(),
                source,
            })?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, HistoryError> {
    serde_json::to_string(value).map_err(|e| HistoryError::Json(e.to_string()))
}

#[derive(Clone, Copy)]
enum Conflict {
    Replace,
    Keep,
}
