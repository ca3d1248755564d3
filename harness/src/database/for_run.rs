//! One cluster per run, started only when a workload of the run needs it, on CPUs chosen beside
//! the server's and the client's.

use super::{DatabaseConfig, DatabaseError, RunningDatabase};
use crate::catalog::Catalog;
use crate::cpus::{CpuSet, CpuSplit};

/// PostgreSQL's CPUs for a run split as `split`: the allowed CPUs neither side has, when there
/// are any (a machine of 3 or more); else the server's, which it then shares (every record
/// says so), never the client's, whose busy share is the client-bound check.
pub fn cpus_beside(split: &CpuSplit, allowed: &CpuSet) -> CpuSet {
    let free: Vec<usize> = allowed
        .ids()
        .iter()
        .copied()
        .filter(|id| !split.server.ids().contains(id) && !split.client.ids().contains(id))
        .collect();
    if free.is_empty() {
        split.server.clone()
    } else {
        CpuSet::new(free)
    }
}

/// Starts the workspace's cluster when `needed`, on [`cpus_beside`] the split. Start it from a
/// thread that outlives it (the parent-death signal follows the starting thread).
pub fn start_if_needed(
    catalog: &Catalog,
    needed: bool,
    split: &CpuSplit,
) -> Result<Option<RunningDatabase>, DatabaseError> {
    if !needed {
        return Ok(None);
    }
    let allowed = CpuSet::allowed().unwrap_or_else(|_| split.server.clone());
    let config = DatabaseConfig::for_cpus(cpus_beside(split, &allowed));
    RunningDatabase::start(catalog, &config).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[usize]) -> CpuSet {
        CpuSet::new(ids.to_vec())
    }

    #[test]
    fn on_two_cpus_the_database_shares_the_servers_and_never_the_clients() {
        let split = CpuSplit {
            server: set(&[0]),
            client: set(&[1]),
        };
        assert_eq!(cpus_beside(&split, &set(&[0, 1])), set(&[0]));
    }

    #[test]
    fn cpus_neither_side_has_go_to_the_database() {
        let split = CpuSplit {
            server: set(&[0, 1]),
            client: set(&[2]),
        };
        assert_eq!(cpus_beside(&split, &set(&[0, 1, 2, 3])), set(&[3]));
    }
}
