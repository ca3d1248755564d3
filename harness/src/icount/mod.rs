//! `stampede icount`: user-space instructions per request of a whole server, counted under
//! Valgrind — a figure that does not move with the machine's load, for gating pull requests
//! where wall time drowns in noise (measured here: 0.01-0.2% spread where the duet needs
//! minutes to see 5%).
//!
//! Each target runs with WORKERS=1 and OFFLOAD_THREADS=1 under callgrind (see [`valgrind`] for
//! why callgrind), with its catalog entry's `icount` settings that make the runtime
//! deterministic. Our own client sends a fixed, seeded script ([`script`]) over one keep-alive
//! connection, one request at a time and each into an idle server ([`idle`]): a warm-up, then
//! a measured phase between zeroed and dumped counters ([`phase`], [`counters`]). k fresh
//! processes give k figures; the record ([`record`]) holds their median and spread.
//!
//! Blind spots: kernel work and system calls, lock contention, cache and memory stalls,
//! multi-core scaling. It complements the duet; it does not replace it.

pub mod batch;
pub mod counters;
pub mod idle;
pub mod jobs;
pub mod phase;
pub mod record;
pub mod run;
pub mod script;
pub mod sides;
pub mod spread;
pub mod table;
pub mod valgrind;

use std::time::Duration;

pub use counters::CountError;
pub use record::{BLIND_SPOTS, IcountRecord, Repetition, read_records, records_dir};
pub use run::count_target;
pub use valgrind::{INSTALL_HINT, Valgrind};

use crate::cpus::CpuSet;
use crate::session::SessionError;

/// Repetitions (fresh server processes) when none are asked for.
pub const DEFAULT_REPETITIONS: usize = 3;
/// How long a server under Valgrind may take to answer `/healthz` (Node needs ~10 s on a busy
/// machine; a normal start is allowed 30 s).
pub const READY_TIMEOUT: Duration = Duration::from_secs(180);

/// How to count.
#[derive(Clone, Debug)]
pub struct IcountOptions {
    /// Fresh server processes per target.
    pub repetitions: usize,
    /// CPUs the server is pinned to (Valgrind runs its threads one at a time anyway); with
    /// several jobs, each job's own CPU.
    pub server_cpus: CpuSet,
    /// Warm-up requests per workload, overriding the catalog.
    pub warmup_requests: Option<u64>,
    /// Measured requests per workload, overriding the catalog.
    pub measured_requests: Option<u64>,
    /// How long the server under Valgrind may take to become ready.
    pub ready_timeout: Duration,
    /// The run's PostgreSQL, for database workloads: its own instructions are not counted,
    /// only the server's (its driver and pool included).
    pub database: Option<crate::database::DatabaseLink>,
}

impl IcountOptions {
    /// The defaults on the given server CPUs.
    pub fn new(server_cpus: CpuSet) -> Self {
        Self {
            repetitions: DEFAULT_REPETITIONS,
            server_cpus,
            warmup_requests: None,
            measured_requests: None,
            ready_timeout: READY_TIMEOUT,
            database: None,
        }
    }
}

/// Errors of a count, each naming the target or the tool and what to do.
#[derive(Debug, thiserror::Error)]
pub enum IcountError {
    /// Valgrind is not installed.
    #[error("{what}: stampede icount counts instructions under Valgrind; {INSTALL_HINT}")]
    ValgrindMissing {
        /// What was not found.
        what: String,
    },
    /// Building, starting or verifying the target failed, or its toolchain is missing.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// Valgrind or vgdb did not do what was asked.
    #[error("{what}: {why}")]
    Tool {
        /// The step.
        what: String,
        /// What went wrong.
        why: String,
    },
    /// A file of the count could not be written or read.
    #[error("{what}: {source}")]
    Io {
        /// The step.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A request failed: a counted phase must be all correct answers.
    #[error("`{target}` {workload} under Valgrind: {why}")]
    Request {
        /// The target.
        target: String,
        /// The workload.
        workload: String,
        /// What failed.
        why: String,
    },
    /// The server kept a thread running between requests.
    #[error(
        "`{target}` under Valgrind never had all its threads asleep within {waited:?} of an answer; \
         a thread that keeps running makes the count depend on timing (check its icount settings in targets.toml)"
    )]
    NeverIdle {
        /// The target.
        target: String,
        /// How long the harness waited.
        waited: Duration,
    },
    /// The server's processes disappeared.
    #[error("`{target}` under Valgrind went away during the count: {why}")]
    ServerGone {
        /// The target.
        target: String,
        /// What /proc said.
        why: String,
    },
    /// The counters gave no figure.
    #[error("`{target}` {workload}: {source}")]
    Count {
        /// The target.
        target: String,
        /// The workload.
        workload: String,
        /// Why.
        source: CountError,
    },
}

impl IcountError {
    /// True for a missing toolchain, which callers report and step over.
    pub fn is_skip(&self) -> bool {
        matches!(self, Self::Session(e) if e.is_skip())
    }

    /// A failed start under Valgrind, with Valgrind's own last log lines appended.
    fn with_valgrind_log(self, callgrind: &valgrind::Callgrind) -> Self {
        let log = callgrind.log_tail();
        if log.trim().is_empty() {
            return self;
        }
        Self::Tool {
            what: self.to_string(),
            why: format!("Valgrind's log:\n{log}"),
        }
    }
}
