//! What a target and the harness's readings need of a running cluster, cheap to clone into a
//! server's configuration: the URL a target connects to with its pool size, the socket the
//! harness reads counts over, and the probe of PostgreSQL's CPU time.

use std::path::PathBuf;
use std::time::Duration;

use postgres::{Client, NoTls};

use super::{DatabaseError, SUPERUSER};
use crate::cpus::CpuSet;
use crate::metrics::ServerProbe;

/// The default of `DB_POOL_SIZE`: the database connections of one server, in total. Equal for
/// every target so that no runtime wins by opening more; 16 keeps PostgreSQL's backends
/// (each a process) few enough for the 2 CPUs they share with the server here.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// A running cluster as servers and readings see it.
#[derive(Clone, Debug)]
pub struct DatabaseLink {
    /// `DATABASE_URL` for a target.
    pub url: String,
    /// The port of its TCP listener and its socket.
    pub port: u16,
    /// The folder of its private socket.
    pub socket_dir: PathBuf,
    /// PostgreSQL's CPU time and memory.
    pub probe: ServerProbe,
    /// The CPUs it runs on.
    pub cpus: CpuSet,
    /// `DB_POOL_SIZE` for a target.
    pub pool_size: usize,
}

impl DatabaseLink {
    /// The superuser over the private socket, in `database`: the harness's own readings, which
    /// the counts of the targets' role leave out.
    pub fn connect_superuser(&self, database: &str) -> Result<Client, DatabaseError> {
        postgres::Config::new()
            .host_path(&self.socket_dir)
            .port(self.port)
            .user(SUPERUSER)
            .dbname(database)
            .connect_timeout(Duration::from_secs(2))
            .connect(NoTls)
            .map_err(|source| {
                let what = format!("connecting as {SUPERUSER} to {database} over the socket");
                DatabaseError::query(what, source)
            })
    }
}
