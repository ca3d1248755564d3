//! Filling a fresh cluster from the seeded scripts in `spec/postgres/`, with the installation's
//! own `psql`: the scripts run exactly as a user (or TechEmpower's image) would run them by
//! hand, with psql's statement-by-statement handling (`CREATE DATABASE` cannot run inside the
//! one transaction a multi-statement query over the protocol would be).

use std::path::Path;
use std::process::{Command, Stdio};

use super::install::Installation;
use super::{DATABASE, DatabaseError, SUPERUSER};
use crate::cpus::CpuSet;

/// The role and database, run in `postgres`.
pub const CREATE_DATABASE_SCRIPT: &str = "postgres/create-database.sql";
/// Tables, rows and the extension, run in `hello_world`.
pub const CREATE_SCRIPT: &str = "postgres/create.sql";

/// Runs both scripts of `spec_dir` as the superuser over the private socket.
pub(crate) fn load(
    install: &Installation,
    socket_dir: &Path,
    port: u16,
    spec_dir: &Path,
    cpus: &CpuSet,
) -> Result<(), DatabaseError> {
    let steps = [
        ("postgres", spec_dir.join(CREATE_DATABASE_SCRIPT)),
        (DATABASE, spec_dir.join(CREATE_SCRIPT)),
    ];
    for (database, script) in steps {
        run_psql(install, socket_dir, port, database, &script, cpus)?;
    }
    Ok(())
}

fn run_psql(
    install: &Installation,
    socket_dir: &Path,
    port: u16,
    database: &str,
    script: &Path,
    cpus: &CpuSet,
) -> Result<(), DatabaseError> {
    let psql = install.program("psql");
    let mut command = Command::new(&psql);
    command
        // -X: no ~/.psqlrc; stop at the first error, quietly.
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
        .arg(socket_dir)
        .args([
            "-p",
            &port.to_string(),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-f",
        ])
        .arg(script)
        .env_clear()
        .stdin(Stdio::null());
    // A client, so it runs as the harness's user: the private socket lets root in too.
    crate::child_setup::die_with_parent_on_cpus(&mut command, cpus, None);
    let output = command.output().map_err(|source| DatabaseError::Spawn {
        program: psql.clone(),
        source,
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(DatabaseError::Failed {
        step: format!("psql -d {database} -f {}", script.display()),
        status: output.status,
        output_tail: crate::text::output_tail(&output, 20),
    })
}
