//! The cluster's folder: `target/stampede/postgres/<harness pid>-<n>/` with `data/` (made by
//! `initdb`) and `socket/` (the private Unix socket), owned by the cluster's user; under the
//! temporary folder instead when that user cannot reach the workspace.
//!
//! A fresh cluster every run, never reused: a run of the updates workload rewrites `World`, and
//! checking that an old folder still holds exactly the seeded rows would cost about what
//! `initdb` and the seed script cost (a few seconds). Folders left by a harness that was killed
//! are removed by the next start, once their harness is gone.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use super::account::RunAs;
use super::install::Installation;
use super::{DatabaseError, SUPERUSER};
use crate::cpus::CpuSet;

/// Clusters made by this process so far.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// The settings file under `spec/`, written over the cluster's `postgresql.conf`.
pub const SETTINGS_FILE: &str = "postgres/postgresql.conf";

/// One run's folders.
#[derive(Clone, Debug)]
pub(crate) struct ClusterFolder {
    /// `<work_dir>/postgres/<pid>-<n>`.
    pub(crate) root: PathBuf,
    /// PGDATA.
    pub(crate) data: PathBuf,
    /// `unix_socket_directories`.
    pub(crate) socket: PathBuf,
}

impl ClusterFolder {
    /// Makes the run folder and its socket folder, owned by `run_as`, after removing what killed
    /// harnesses left. `n` counts the clusters this process made, so tests may run several.
    pub(crate) fn create(work_dir: &Path, run_as: &RunAs) -> Result<Self, DatabaseError> {
        let mut base = work_dir.join("postgres");
        // A root harness in a workspace the postgres user cannot reach (a clone under /root)
        // keeps its cluster in the temporary folder instead, and says so.
        if let Err(unreachable) = run_as.check_reachable(&base.join("run")) {
            let fallback = std::env::temp_dir().join("stampede-postgres");
            eprintln!("{unreachable}; using {} instead", fallback.display());
            base = fallback;
        }
        std::fs::create_dir_all(&base).map_err(setup("creating the folder", &base))?;
        remove_stale(&base);
        let tag = format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let root = base.join(&tag);
        let mut socket = root.join("socket");
        // A Unix socket's path holds at most 107 bytes: a deep workspace gets it under /tmp.
        if socket.as_os_str().len() + "/.s.PGSQL.65535".len() > 107 {
            socket = std::env::temp_dir().join(format!("stampede-pg-{tag}"));
        }
        let folder = Self {
            data: root.join("data"),
            socket,
            root,
        };
        run_as.check_reachable(&folder.root)?;
        for dir in [&folder.root, &folder.socket] {
            std::fs::create_dir_all(dir).map_err(setup("creating the folder", dir))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(setup("making the folder private", dir))?;
            run_as.give(dir)?;
        }
        Ok(folder)
    }

    /// Runs `initdb` (as the cluster's user, dying with the harness) and writes the spec's
    /// settings over the generated `postgresql.conf`.
    pub(crate) fn init(
        &self,
        install: &Installation,
        run_as: &RunAs,
        cpus: &CpuSet,
        settings: &Path,
    ) -> Result<(), DatabaseError> {
        let mut command = Command::new(install.program("initdb"));
        command
            .arg("--pgdata")
            .arg(&self.data)
            .args([
                "--username",
                SUPERUSER,
                // The C locale sorts and compares by bytes the same on every machine; UTF-8
                // for the Japanese fortune.
                "--encoding=UTF8",
                "--locale=C",
                // Only the cluster's user (and root) can reach the private socket; TCP needs the
                // role's password.
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                // Non-durable like the server's settings: nothing is worth an fsync here.
                "--no-sync",
            ])
            .current_dir(&self.root)
            .env_clear()
            .stdin(Stdio::null());
        crate::child_setup::die_with_parent_as(&mut command, cpus, None, run_as.credentials());
        let output = command.output().map_err(|source| DatabaseError::Spawn {
            program: install.program("initdb"),
            source,
        })?;
        if !output.status.success() {
            return Err(DatabaseError::Failed {
                step: "initdb".to_owned(),
                status: output.status,
                output_tail: crate::text::output_tail(&output, 20),
            });
        }
        let conf = self.data.join("postgresql.conf");
        std::fs::copy(settings, &conf).map_err(setup("writing the settings", &conf))?;
        run_as.give(&conf)
    }

    /// Removes the whole run folder (the server must have stopped).
    pub(crate) fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.root);
        let _ = std::fs::remove_dir_all(&self.socket);
    }
}

/// Removes `<pid>-<n>` folders whose harness process no longer exists.
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn setup(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DatabaseError {
    let path = path.to_path_buf();
    move |cause| DatabaseError::Setup { what, path, cause }
}
