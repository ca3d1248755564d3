//! PostgreSQL as a managed component, like a target: one private cluster per run, started from
//! the system's installation ([`install`]), as an unprivileged user when the harness is root
//! ([`account`]), in a fresh folder under `target/stampede/postgres/` ([`folder`]), with the
//! settings and the seeded TechEmpower data of `spec/postgres/` ([`seed`]), and owned by a
//! [`RunningDatabase`] guard ([`cluster`]) that stops it however the harness ends.
//!
//! The harness's own client is the `postgres` crate (rust-postgres, synchronous): readiness
//! polling, counts, and later the `pg_stat_statements` and `pg_stat_activity` readings taken
//! around every measured window. Spawning `psql` for those would put a process start (and its
//! CPU) into each reading, on the CPUs being measured; the crate keeps one connection open and
//! is the maintained stack under tokio-postgres. `psql` still loads the seed scripts, once per
//! run, because that is how a person would run them by hand.

pub mod account;
pub mod ceiling;
pub mod cluster;
pub mod demand;
pub mod folder;
pub mod for_run;
pub mod fortunes;
pub mod install;
pub mod keeper;
pub mod link;
pub mod pgbench;
pub mod seed;
pub mod snapshot;
pub mod watch;
pub mod world;

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

pub use account::RunAs;
pub use cluster::{DatabaseConfig, RunningDatabase};
pub use demand::DatabaseDemand;
pub use install::Installation;
pub use link::DatabaseLink;
pub use snapshot::Snapshot;
pub use watch::{DatabaseMeter, DatabaseReading, DatabaseUsage, DatabaseWatch};

/// The cluster's superuser, made by `initdb`; it logs in over the private socket only.
pub const SUPERUSER: &str = "postgres";
/// The role the targets log in as (TechEmpower's).
pub const ROLE: &str = "benchmarkdbuser";
/// Its password (TechEmpower's).
pub const PASSWORD: &str = "benchmarkdbpass";
/// The database holding World and Fortune (TechEmpower's).
pub const DATABASE: &str = "hello_world";
/// Lines of the server's log quoted in errors.
pub const LOG_TAIL_LINES: usize = 20;

/// Errors finding, starting, filling or querying the cluster.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// No usable installation.
    #[error("PostgreSQL >= 15 not found ({looked}): {hint}", hint = install::INSTALL_HINT)]
    NotInstalled {
        /// What was looked at and why each was refused.
        looked: String,
    },
    /// The server is there but not its contrib extension.
    #[error(
        "PostgreSQL's pg_stat_statements extension is missing ({library} not found): install it with `apt-get install postgresql-contrib`"
    )]
    NoPgStatStatements {
        /// Where the library was expected.
        library: PathBuf,
    },
    /// Root, and no user to drop to.
    #[error(
        "PostgreSQL refuses to run as root and there is no `postgres` user to run it as: install the `postgresql` package (it creates that user), add one with `useradd --system postgres`, or run stampede as a non-root user"
    )]
    NoServiceUser,
    /// The cluster's user cannot reach its folder.
    #[error(
        "PostgreSQL runs as `{user}`, who cannot pass through {folder}: allow it with `chmod o+x {folder}` or keep the workspace where others can reach it",
        folder = folder.display()
    )]
    Unreachable {
        /// The cluster's user.
        user: String,
        /// The first folder it cannot search.
        folder: PathBuf,
    },
    /// A file or folder step failed.
    // `cause`, not `source`: the message says it, and a source would print it twice in a chain.
    #[error("PostgreSQL: {what} {}: {cause}", path.display())]
    Setup {
        /// The step.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// A program could not be run.
    #[error("PostgreSQL: cannot run {}: {source}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// Why exec failed.
        source: std::io::Error,
    },
    /// `initdb` or `psql` failed.
    #[error("PostgreSQL: `{step}` failed with {status}:\n{output_tail}")]
    Failed {
        /// The command.
        step: String,
        /// Its exit status.
        status: ExitStatus,
        /// The end of its output.
        output_tail: String,
    },
    /// The server did not accept connections in time.
    #[error(
        "PostgreSQL did not accept connections within {waited:?}; last lines of its log ({log}):\n{log_tail}"
    )]
    NotReady {
        /// How long the harness waited.
        waited: Duration,
        /// The log file.
        log: String,
        /// The end of the log.
        log_tail: String,
    },
    /// The server exited on its own.
    #[error("PostgreSQL exited with {status}; last lines of its log ({log}):\n{log_tail}")]
    Exited {
        /// Its exit status.
        status: ExitStatus,
        /// The log file.
        log: String,
        /// The end of the log.
        log_tail: String,
    },
    /// A query or connection failed.
    #[error("PostgreSQL: {what}: {detail}")]
    Query {
        /// What was being done.
        what: String,
        /// The server's message, or the client's error with its cause.
        detail: String,
        /// The client's error.
        source: postgres::Error,
    },
}

impl DatabaseError {
    /// A [`DatabaseError::Query`] whose text carries the server's own message: the client's
    /// `Display` says only "db error".
    pub fn query(what: impl Into<String>, source: postgres::Error) -> Self {
        let detail = match source.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => match std::error::Error::source(&source) {
                Some(cause) => format!("{source}: {cause}"),
                None => source.to_string(),
            },
        };
        Self::Query {
            what: what.into(),
            detail,
            source,
        }
    }
}
