//! Waiting for a condition with a deadline instead of a fixed sleep.

use std::time::{Duration, Instant};

/// Polls `condition` every 10 ms until it holds (true) or `limit` passes (false): for a test
/// that waits for something to happen, where a fixed sleep would be too short on a loaded
/// machine and too long on an idle one.
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_that_comes_true_is_seen_and_one_that_never_does_times_out() {
        let mut calls = 0;
        assert!(eventually(Duration::from_secs(10), || {
            calls += 1;
            calls == 3
        }));
        assert_eq!(calls, 3);
        assert!(!eventually(Duration::ZERO, || false));
    }
}
