//! Threads and open file descriptors of a set of processes, from /proc: a server that holds
//! 100,000 connections holds as many descriptors, and a runtime's thread count shows its pools.

/// Threads and descriptors summed over processes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeCounts {
    /// Threads (entries of /proc/PID/task).
    pub threads: u64,
    /// Open file descriptors (entries of /proc/PID/fd).
    pub open_fds: u64,
}

/// Counts threads and descriptors of `pids`; processes that vanished meanwhile count nothing.
pub fn count(pids: &[u32]) -> TreeCounts {
    let entries = |pid: u32, dir: &str| {
        std::fs::read_dir(format!("/proc/{pid}/{dir}")).map_or(0, |d| d.count() as u64)
    };
    pids.iter()
        .fold(TreeCounts::default(), |acc, &pid| TreeCounts {
            threads: acc.threads + entries(pid, "task"),
            open_fds: acc.open_fds + entries(pid, "fd"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_threads_and_descriptors_and_a_missing_one_has_none() {
        let me = count(&[std::process::id()]);
        assert!(me.threads >= 1 && me.open_fds >= 3, "{me:?}");
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        let more = count(&[std::process::id()]);
        assert!(
            more.open_fds > me.open_fds || more.open_fds >= 4,
            "{more:?}"
        );
        drop(file);
        assert_eq!(count(&[u32::MAX]), TreeCounts::default());
    }
}
