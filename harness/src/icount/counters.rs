//! Reading callgrind's counters, and turning the counts at phase boundaries into instructions
//! per request.

/// Instructions in a callgrind dump: its `summary:` (or `totals:`) line.
pub fn parse_dump_total(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let value = line
            .strip_prefix("summary:")
            .or_else(|| line.strip_prefix("totals:"))?;
        value.split_whitespace().next()?.parse().ok()
    })
}

/// The sum of the per-thread `events-N: COUNT` lines of `status internal`; `None` without any.
/// (Per-function lines read `events-N-M:` and are not summed.)
pub fn parse_status_total(text: &str) -> Option<u64> {
    let mut total = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("events-") else {
            continue;
        };
        let Some((thread, value)) = rest.split_once(':') else {
            continue;
        };
        if thread.is_empty() || !thread.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // With one event (Ir) the value is one number; the first one is Ir in any case.
        if let Some(count) = value
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
        {
            total = Some(total.unwrap_or(0) + count);
        }
    }
    total
}

/// Instructions of the threads whose call stack (as `status internal` lists it) holds one of
/// `functions`: time-driven runtime threads the catalog leaves out of the count.
pub fn uncounted_threads_total(status: &str, functions: &[String]) -> u64 {
    if functions.is_empty() {
        return 0;
    }
    let mut events: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    let mut marked: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix("events-") {
            if let Some((thread, value)) = rest.split_once(':') {
                if thread.bytes().all(|b| b.is_ascii_digit()) {
                    let count = value.split_whitespace().next().and_then(|v| v.parse().ok());
                    events.insert(thread, count.unwrap_or(0));
                }
            }
        } else if let Some(rest) = line.strip_prefix("function-") {
            // `function-THREAD-FRAME: NAME`
            if let Some((ids, name)) = rest.split_once(':') {
                let thread = ids.split('-').next().unwrap_or("");
                if functions.iter().any(|f| f == name.trim()) {
                    marked.insert(thread);
                }
            }
        }
    }
    marked.iter().filter_map(|t| events.get(t)).sum()
}

/// What one process counted over a phase: the counter when the phase began and when it ended.
/// With callgrind's zero-then-dump the start is 0; two cumulative readings work the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseCount {
    /// Counter at the start boundary.
    pub start: u64,
    /// Counter at the end boundary.
    pub end: u64,
    /// Instructions of the phase in threads left out of the count.
    pub uncounted: u64,
}

/// Why a phase's counts cannot give a figure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CountError {
    /// No request was measured.
    #[error("the measured phase holds no request")]
    NoRequests,
    /// A counter went backwards (or uncounted threads exceed the whole): it was reset inside
    /// the phase.
    #[error("a counter went backwards ({start} -> {end}); it was reset during the phase")]
    Backwards {
        /// Start reading.
        start: u64,
        /// End reading.
        end: u64,
    },
}

/// Instructions per request of a phase: every process's difference between its boundaries,
/// less its uncounted threads, summed (a Node cluster's primary and workers all serve the
/// requests), over the requests.
pub fn per_request(counts: &[PhaseCount], requests: u64) -> Result<f64, CountError> {
    if requests == 0 {
        return Err(CountError::NoRequests);
    }
    let mut total: u64 = 0;
    for c in counts {
        if c.end < c.start.saturating_add(c.uncounted) {
            return Err(CountError::Backwards {
                start: c.start.saturating_add(c.uncounted),
                end: c.end,
            });
        }
        total += c.end - c.start - c.uncounted;
    }
    Ok(total as f64 / requests as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_total_is_read_from_its_summary_or_totals_line() {
        let dump = "version: 1\ncreator: callgrind-3.19.0\npid: 3937\nevents: Ir\nsummary: 133594961\n\nfn=(1) x\n1 2\ntotals: 133594961\n";
        assert_eq!(parse_dump_total(dump), Some(133_594_961));
        assert_eq!(parse_dump_total("events: Ir\ntotals: 42\n"), Some(42));
        assert_eq!(parse_dump_total("events: Ir\n"), None);
    }

    #[test]
    fn status_totals_sum_the_threads_and_skip_per_function_lines() {
        let status = "instrumentation: on\nevents: Ir\nthreads: 1 2 6\nevents-1: 0\nframes-1: 0\n\
                      events-2: 8493\nframes-2: 1\nfunction-2-0: runtime.sysmon\nevents-2-0: 72\n\
                      events-6: 132237\n";
        assert_eq!(parse_status_total(status), Some(8493 + 132_237));
        assert_eq!(parse_status_total("instrumentation: on\n"), None);
    }

    #[test]
    fn threads_running_a_named_function_are_summed_for_leaving_out() {
        let status = "events: Ir\nthreads: 1 2 6\nevents-1: 0\nframes-1: 0\n\
                      events-2: 8493\nframes-2: 2\nfunction-2-0: runtime.sysmon\ncalls-2-0: 5\n\
                      events-2-0: 72\nfunction-2-1: runtime.usleep.abi0\n\
                      events-6: 132237\nframes-6: 1\nfunction-6-0: net/http.(*conn).serve\n";
        let sysmon = ["runtime.sysmon".to_owned()];
        assert_eq!(uncounted_threads_total(status, &sysmon), 8493);
        assert_eq!(uncounted_threads_total(status, &[]), 0);
        assert_eq!(uncounted_threads_total(status, &["nothing".to_owned()]), 0);
    }

    #[test]
    fn per_request_differences_each_process_and_sums_them() {
        // A cluster: the primary counted 1,000 and the worker 2,999,000 over 1,000 requests.
        let counts = [
            PhaseCount {
                start: 5_000,
                end: 6_000,
                uncounted: 0,
            },
            PhaseCount {
                start: 1_000,
                end: 3_000_000,
                uncounted: 0,
            },
        ];
        assert_eq!(per_request(&counts, 1_000), Ok(3_000.0));
        // Zeroed at the start boundary: the end reading is the whole phase.
        let zeroed = [PhaseCount {
            start: 0,
            end: 17_062_500,
            uncounted: 0,
        }];
        assert_eq!(per_request(&zeroed, 1_000), Ok(17_062.5));
        // A Go server whose sysmon thread ran 250,000 of them.
        let without_sysmon = [PhaseCount {
            start: 0,
            end: 46_250_000,
            uncounted: 250_000,
        }];
        assert_eq!(per_request(&without_sysmon, 1_000), Ok(46_000.0));
    }

    #[test]
    fn a_phase_without_requests_or_with_a_reset_counter_gives_no_figure() {
        let one = [PhaseCount {
            start: 0,
            end: 10,
            uncounted: 0,
        }];
        assert_eq!(per_request(&one, 0), Err(CountError::NoRequests));
        let reset = [PhaseCount {
            start: 10,
            end: 3,
            uncounted: 0,
        }];
        assert!(matches!(
            per_request(&reset, 5),
            Err(CountError::Backwards { start: 10, end: 3 })
        ));
    }
}
