//! History: every run's records kept in one SQLite file (`target/stampede/history.sqlite`, or
//! `--history PATH` / `$STAMPEDE_HISTORY` to share one), followed per benchmark ID across
//! commits, with change points found by E-divisive means.
//!
//! Data path: a run's records (any JSON with an `id`; the full JSON is kept, the figures the
//! history follows are extracted by field name) -> [`History::append`] ([`db`], schema in
//! [`migrate`]) -> [`History::points`] -> [`trend::analyse`] (comparable runs by
//! [`fingerprint`], change points by [`changepoint`]) -> the CLI table or the trend page
//! ([`page`], charts in [`chart`]).
//!
//! For a caller that writes records, the whole API is:
//!
//! ```text
//! let run = KeptRun::new(Run::detect(root, RunMode::Quick), Source::Bench, "0", "1");
//! let recorder = Recorder::open(&work_dir, None, run)?;
//! recorder.append(&record)?;            // one transaction per record
//! ```

pub mod changepoint;
pub mod chart;
pub mod compare;
pub mod db;
pub mod fingerprint;
pub mod icount;
pub mod import;
pub mod keep;
pub mod metric;
mod migrate;
pub mod page;
pub mod run;
mod series;
pub mod text;
pub mod trend;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use db::{HISTORY_ENV, History, Point, history_path};
pub use fingerprint::Fingerprint;
pub use metric::Metric;
pub use run::{KeptRun, Source};

/// Errors of the history, each naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The folder for the file could not be made.
    #[error("cannot create {}: {source}; pass --history PATH (or set STAMPEDE_HISTORY) to a writable place", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("history {}: {source}; if the file is damaged, move it aside and run `stampede history import target/stampede/results`", path.display())]
    Sql {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// Written by a newer stampede: not touched.
    #[error("history {} has schema version {found}, newer than this stampede knows ({known}); update stampede, or pass --history PATH to use another file", path.display())]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// Not a stampede history: not touched.
    #[error("{} is not a stampede history database; it was left untouched: pass --history PATH (or set STAMPEDE_HISTORY) to another file", path.display())]
    NotOurs {
        /// The file.
        path: PathBuf,
    },
    /// A record could not be read or written as JSON.
    #[error("history: {0}")]
    Json(String),
    /// The import folder does not exist.
    #[error("cannot import {}: not a folder; give the folder of result files, e.g. target/stampede/results", path.display())]
    ImportDir {
        /// The path given.
        path: PathBuf,
    },
    /// The benchmark ID filter is not a regular expression.
    #[error(
        "the filter {pattern:?} is not a regular expression ({why}); use e.g. '^plaintext/' or 'json/actix'"
    )]
    Filter {
        /// The filter given.
        pattern: String,
        /// Why.
        why: String,
    },
    /// The trend page could not be written.
    #[error("cannot write the trend page {}: {source}; check that the folder is writable or pass --out DIR", path.display())]
    WritePage {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The page template failed (a bug).
    #[error("cannot render the trend page: {0}; this is a bug in stampede, please report it")]
    Render(String),
}

/// A run's writer: the history file and the run every record it appends belongs to.
#[derive(Debug)]
pub struct Recorder {
    history: History,
    run: KeptRun,
}

impl Recorder {
    /// Opens the history for `run`: `explicit`, else `$STAMPEDE_HISTORY`, else
    /// `work_dir/history.sqlite`.
    pub fn open(
        work_dir: &Path,
        explicit: Option<&Path>,
        run: KeptRun,
    ) -> Result<Self, HistoryError> {
        Ok(Self {
            history: History::open(&history_path(work_dir, explicit))?,
            run,
        })
    }

    /// Appends one record (a `ResultRecord` or anything serialising to a JSON object with an
    /// `id`) in its own transaction.
    pub fn append<T: Serialize>(&self, record: &T) -> Result<(), HistoryError> {
        let value = serde_json::to_value(record).map_err(|e| HistoryError::Json(e.to_string()))?;
        self.history.append(&self.run, &[value]).map(|_| ())
    }

    /// The run.
    pub fn run(&self) -> &KeptRun {
        &self.run
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        self.history.path()
    }
}
