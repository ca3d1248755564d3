//! What both I/O backends do with what happened on the wire: one whole answer judged against
//! the contract and counted, and one open-loop send's punctuality noted.

use std::time::{Duration, Instant};

use super::check;
use super::job::ThreadJob;
use super::latency::record_us;
use super::{ErrorKind, RequestTemplate};

/// An open-loop send whose connection was free, leaving this much after its intended time,
/// counts as late: the client could not keep its schedule.
const LATE_AFTER: Duration = Duration::from_millis(1);

/// What came back for one request.
pub(crate) struct Answered<'b> {
    pub(crate) status: u16,
    pub(crate) body: &'b [u8],
    /// The connection's answer count, for sampling checks.
    pub(crate) nth: u64,
}

/// One whole answer: the status, the time a sleep must take and (when its turn comes) the body
/// are checked against the contract; a right one is timed from `from` (the write, or the
/// intended send time in open loop) to `done`.
pub(crate) fn settle(
    job: &ThreadJob,
    request: &RequestTemplate,
    answer: Answered<'_>,
    written: Instant,
    from: Instant,
    done: Instant,
) -> bool {
    if answer.status != request.expected_status {
        job.error(ErrorKind::Status);
        return false;
    }
    if check::too_fast(done - written, request.not_before) {
        job.error(ErrorKind::TooFast);
        return false;
    }
    let checked = match request.answer.check(answer.body, answer.nth) {
        Some(Err(what)) => {
            job.wrong_answer(request, what);
            return false;
        }
        checked => checked.is_some(),
    };
    let latency_us = u64::try_from(done.duration_since(from).as_micros()).unwrap_or(u64::MAX);
    job.finish_attempt(|tally| {
        tally.success(latency_us);
        tally.checked_answers += u64::from(checked);
    });
    true
}

/// Records how an open-loop send kept its schedule: a connection that was free before the
/// intended time measures the client's own lag; one that was still busy is backlogged.
pub(crate) fn note_send(job: &ThreadJob, intended: Instant, free_at: Instant, sent: Instant) {
    let mut tally = job.tally();
    if free_at <= intended {
        let lag = sent.saturating_duration_since(intended);
        record_us(
            &mut tally.send_lag,
            u64::try_from(lag.as_micros()).unwrap_or(u64::MAX),
        );
        if lag > LATE_AFTER {
            tally.late_sends += 1;
        }
    } else {
        tally.backlogged_sends += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::load::LoadPlan;
    use crate::load::check::ExpectedBody;
    use crate::load::job::test_job;

    fn get(path: &str) -> RequestTemplate {
        RequestTemplate::get("127.0.0.1:9".parse().unwrap(), path)
    }

    fn answer(status: u16, body: &[u8]) -> Answered<'_> {
        Answered {
            status,
            body,
            nth: 1,
        }
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_right_answer_is_a_success_timed_from_the_intended_send() {
        let (job, _, _) = test_job(&LoadPlan::requests(10), 1);
        let intended = Instant::now();
        let written = intended + 3 * MS;
        let ok = settle(
            &job,
            &get("/"),
            answer(200, b""),
            written,
            intended,
            intended + 5 * MS,
        );
        assert!(ok);
        let tally = job.tally();
        assert_eq!(tally.requests, 1);
        assert!(tally.histogram.equivalent(tally.histogram.max(), 5_000));
        assert_eq!(
            tally.checked_answers, 0,
            "an unchecked answer is not counted as checked"
        );
    }

    #[test]
    fn an_unexpected_status_is_a_status_error() {
        let (job, _, _) = test_job(&LoadPlan::requests(10), 1);
        let t = Instant::now();
        assert!(!settle(&job, &get("/"), answer(404, b""), t, t, t + MS));
        let tally = job.tally();
        assert_eq!(
            (tally.requests, tally.errors[ErrorKind::Status.index()]),
            (0, 1)
        );
        assert_eq!(job.shared.completed.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_sleep_answered_sooner_than_its_length_is_too_fast() {
        let (job, _, _) = test_job(&LoadPlan::requests(10), 1);
        let request = get("/sleep?ms=50").not_before(50 * MS);
        let t = Instant::now();
        assert!(!settle(&job, &request, answer(200, b""), t, t, t + 10 * MS));
        assert!(settle(&job, &request, answer(200, b""), t, t, t + 50 * MS));
        let tally = job.tally();
        assert_eq!(
            (tally.requests, tally.errors[ErrorKind::TooFast.index()]),
            (1, 1)
        );
    }

    #[test]
    fn a_checked_body_that_differs_is_a_wrong_answer() {
        let (job, _, _) = test_job(&LoadPlan::requests(10), 1);
        let request = get("/").answered(ExpectedBody::Exact(b"hello".to_vec()));
        let t = Instant::now();
        assert!(settle(&job, &request, answer(200, b"hello"), t, t, t));
        assert!(!settle(&job, &request, answer(200, b"nope"), t, t, t));
        let tally = job.tally();
        assert_eq!(tally.requests, 1);
        assert_eq!(tally.checked_answers, 2);
        assert_eq!(tally.errors[ErrorKind::WrongAnswer.index()], 1);
    }

    #[test]
    fn a_free_connection_sending_over_a_millisecond_late_is_a_late_send() {
        let (job, _, _) = test_job(&LoadPlan::requests(10), 1);
        let intended = Instant::now();
        note_send(&job, intended, intended - MS, intended + MS / 2);
        note_send(&job, intended, intended, intended + 2 * MS);
        let tally = job.tally();
        assert_eq!((tally.late_sends, tally.backlogged_sends), (1, 0));
        assert_eq!(tally.send_lag.len(), 2);
    }

    #[test]
    fn a_connection_still_busy_at_the_intended_time_is_backlogged_not_late() {
        let (job, _, _) = test_job(&LoadPlan::requests(10), 1);
        let intended = Instant::now();
        note_send(&job, intended, intended + MS, intended + 5 * MS);
        let tally = job.tally();
        assert_eq!((tally.late_sends, tally.backlogged_sends), (0, 1));
        assert_eq!(
            tally.send_lag.len(),
            0,
            "a backlog is not the client's own lag"
        );
    }
}
