//! Waiting until a server is idle: every thread of every process asleep in the kernel.
//!
//! Why: a server that is still finishing the last response when the next request arrives reads
//! it without blocking, one that already went back to epoll blocks and is woken — two code
//! paths with different instruction counts, chosen by timing. Under Valgrind the server runs
//! some fifty times slower than the client, so without this wait the choice varies from request
//! to request with the machine's load. Sending each request only into an idle server makes
//! every request take the same path. Valgrind runs one guest thread at a time and releases its
//! lock only inside blocking system calls, so "all threads sleeping" means no guest code runs.

use std::time::{Duration, Instant};

/// Pause between two looks at /proc.
const POLL_EVERY: Duration = Duration::from_micros(50);

/// The state letter of a `/proc/PID/task/TID/stat` text (the field after the command name,
/// which may itself hold spaces and parentheses).
pub fn state_of(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// True for a thread that is not running and will not run until something wakes it: sleeping
/// (S), in uninterruptible wait (D), parked (P, I), or already exited (Z, X).
pub fn is_asleep(state: char) -> bool {
    matches!(state, 'S' | 'D' | 'I' | 'P' | 'Z' | 'X')
}

/// Whether every thread of every process in `pids` sleeps; `Err` when a process is gone.
pub fn all_asleep(pids: &[u32]) -> std::io::Result<bool> {
    for pid in pids {
        for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
            let Ok(task) = task else { continue };
            // A thread may exit between the listing and the read: then it no longer runs.
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            if !state_of(&stat).is_some_and(is_asleep) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Waits until [`all_asleep`], for at most `limit`. `Ok(false)` when the limit passed first.
pub fn wait_until_asleep(pids: &[u32], limit: Duration) -> std::io::Result<bool> {
    let deadline = Instant::now() + limit;
    loop {
        if all_asleep(pids)? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(POLL_EVERY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_read_after_the_last_parenthesis_of_the_name() {
        assert_eq!(state_of("42 (node) S 1 42 42 0 -1"), Some('S'));
        assert_eq!(state_of("7 (we (ird) name) R 1 7"), Some('R'));
        assert_eq!(state_of("no name here"), None);
    }

    #[test]
    fn running_and_stopped_threads_are_not_asleep() {
        for s in ['S', 'D', 'Z'] {
            assert!(is_asleep(s), "{s}");
        }
        for s in ['R', 't', 'T'] {
            assert!(!is_asleep(s), "{s}");
        }
    }

    #[test]
    fn a_sleeping_child_is_seen_asleep_and_a_missing_process_is_an_error() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id();
        assert!(wait_until_asleep(&[pid], Duration::from_secs(5)).unwrap());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(all_asleep(&[pid]).is_err());
    }
}
