//! One PostgreSQL cluster for a whole test binary, started on first use and stopped when the
//! binary's trials are over: starting one costs seconds (`initdb` and the seed), too much for
//! every trial.
//!
//! The cluster is started and dropped by a thread of its own: the parent-death signal follows
//! the thread that started it, and a trial's thread ends with the trial.

use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::JoinHandle;

use crate::database::{DatabaseError, DatabaseLink, Installation, RunningDatabase};

/// Why a test needing PostgreSQL cannot run here (no installation, or no
/// `pg_stat_statements`), for [`super::trial_needing`].
pub fn postgres_missing() -> Option<String> {
    Installation::find()
        .and_then(|found| found.check_pg_stat_statements())
        .err()
        .map(|e| e.to_string())
}

/// A cluster shared by the trials of a test binary; `static` so every trial sees the same one.
#[derive(Debug)]
pub struct SharedDatabase {
    started: OnceLock<Result<Keeper, String>>,
    /// Trials using the cluster take turns: an updates load rewrites rows that another
    /// trial's checks compare with, and the statement counts are the targets' role's, whoever
    /// made them.
    turn: Mutex<()>,
}

#[derive(Debug)]
struct Keeper {
    link: DatabaseLink,
    stop: Mutex<Option<(mpsc::Sender<()>, JoinHandle<()>)>>,
}

impl Default for SharedDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl SharedDatabase {
    /// None started yet.
    pub const fn new() -> Self {
        Self {
            started: OnceLock::new(),
            turn: Mutex::new(()),
        }
    }

    /// The cluster's link and this trial's turn with it, starting it with `start` on first
    /// use; `Err` with the reason when it could not start (then every later call says so too).
    pub fn take_turn(
        &self,
        start: impl FnOnce() -> Result<RunningDatabase, DatabaseError> + Send + 'static,
        pool_size: usize,
    ) -> Result<(DatabaseLink, MutexGuard<'_, ()>), String> {
        let turn = self.turn.lock().unwrap_or_else(PoisonError::into_inner);
        let keeper = self.started.get_or_init(|| Keeper::start(start, pool_size));
        keeper
            .as_ref()
            .map(|k| (k.link.clone(), turn))
            .map_err(Clone::clone)
    }

    /// Stops the cluster, when one was started, and waits until it has: call it after the
    /// trials, before the binary exits (an exit skips destructors; the parent-death signal
    /// would still end the cluster, but without removing its folder).
    pub fn stop(&self) {
        let Some(Ok(keeper)) = self.started.get() else {
            return;
        };
        let taken = keeper
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((stop, thread)) = taken {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}

impl Keeper {
    fn start(
        start: impl FnOnce() -> Result<RunningDatabase, DatabaseError> + Send + 'static,
        pool_size: usize,
    ) -> Result<Self, String> {
        let (link_tx, link_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("shared-postgres".into())
            .spawn(move || match start() {
                Ok(db) => {
                    let _ = link_tx.send(Ok(db.link(pool_size)));
                    // Until `stop` (or its sender is gone): then the drop stops the cluster.
                    let _ = stop_rx.recv();
                    drop(db);
                }
                Err(e) => {
                    let _ = link_tx.send(Err(e.to_string()));
                }
            })
            .map_err(|e| format!("starting the PostgreSQL keeper thread: {e}"))?;
        let link = link_rx
            .recv()
            .map_err(|_| "the PostgreSQL keeper thread ended without a word".to_owned())??;
        Ok(Self {
            link,
            stop: Mutex::new(Some((stop_tx, thread))),
        })
    }
}
