//! PostgreSQL's processes seen from outside, for the tests that a cluster leaves none behind.

use std::time::Duration;

use super::eventually;

/// Those of `pids` that are still PostgreSQL processes (not zombies).
pub fn postgres_left(pids: &[u32]) -> Vec<u32> {
    pids.iter()
        .copied()
        .filter(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].split_whitespace().next());
            comm.trim() == "postgres" && state != Some("Z")
        })
        .collect()
}

/// Panics unless every one of `pids` has ended (or is no PostgreSQL process) within 10 s.
pub fn assert_postgres_gone(pids: &[u32]) {
    eventually(Duration::from_secs(10), || postgres_left(pids).is_empty());
    assert_eq!(
        postgres_left(pids),
        Vec::<u32>::new(),
        "PostgreSQL processes left running"
    );
}
