//! k6 as a second load engine, for load from several machines (execution segments, the
//! k6-operator) or more connections than one client has ports: [`export`] writes a k6 script
//! that sends our workload's exact requests and checks its answers as our client does;
//! [`points`] reads each instance's `--out json` file; [`import`] merges the instances (one HDR
//! histogram of every request, never averaged percentiles) and [`record`] makes the merge one
//! result record.

pub mod export;
pub mod exported;
pub mod import;
pub mod imported;
pub mod points;
pub mod record;
pub mod segment;
pub mod server;

use std::path::PathBuf;

pub use export::{ExportPlan, script};
pub use import::{ImportOptions, Imported, import_files};
pub use points::{InstanceOutput, LoadCounts};

/// What can go wrong exporting or importing; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum K6Error {
    /// The export's options do not make a runnable test.
    #[error("cannot export a k6 script: {0}")]
    Plan(String),
    /// A request template could not be expressed in k6 (a bug in a workload).
    #[error("cannot express a request in k6: {0}; this is a bug in stampede, please report it")]
    Template(String),
    /// A k6 output file could not be read.
    #[error("cannot read k6 output {}: {error}; pass the files k6 wrote with --out json=FILE", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why (in the message, so not also a source: it would print twice).
        error: std::io::Error,
    },
    /// A file held no k6 points.
    #[error("{} holds no k6 points: run k6 with --out json=FILE and pass that FILE (unpack .gz files first)", path.display())]
    NoPoints {
        /// The file.
        path: PathBuf,
    },
    /// The files were not written by one test.
    #[error("the k6 files are not one test: {0}; import each test's instance files separately")]
    Mixed(String),
    /// Nothing was measured.
    #[error(
        "the k6 files hold no load requests (scenario `load`): export the script with `stampede export k6` and run it"
    )]
    NoRequests,
    /// The server metrics asked for are not in the files.
    #[error(
        "the k6 files hold no server metrics from {url}: export with `--metrics {url}` or run k6 with `-e METRICS_URL={url}`, with `stampede serve TARGET --metrics ADDR` running"
    )]
    NoServerMetrics {
        /// The endpoint asked for.
        url: String,
    },
    /// The run's workload or target cannot name a benchmark.
    #[error("the k6 files give no benchmark ID: {0}")]
    Id(#[from] crate::benchmark_id::BenchmarkIdError),
}
