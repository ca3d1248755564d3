//! One job (a run or a stream) as the client threads see it: what every connection shares
//! across threads (the budget, the stop flag, the attempt count and the epoch of the open
//! window), and what one thread counts and reports while the job runs.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::time::{ClockId, clock_gettime};

use super::pacer::Pacer;
use super::tally::Tally;
use super::{ErrorKind, LoadEnd, LoadPlan, RequestTemplate};

/// How often an idle client thread looks for an epoch change, so its CPU time and counts land
/// in the right window even when none of its requests finish.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(20);

/// What a client thread reports while a job runs.
#[derive(Debug)]
pub(crate) enum Event {
    /// The counts of one epoch (a thread may send several per epoch; they are merged).
    Tally(Box<Tally>),
    /// The thread finished the job: every connection stopped. Carries how many answers with the
    /// right status each of its connections got during the job, by connection index.
    Done(Vec<(usize, u64)>),
}

/// A job as handed to one client thread: what the threads share, where to report, and where
/// to say that the open window has ended.
pub(crate) struct Job {
    pub(crate) shared: Arc<JobShared>,
    pub(crate) events: mpsc::Sender<Event>,
    pub(crate) window_ends: mpsc::Sender<Instant>,
}

/// What every connection task of one job shares, across threads.
#[derive(Debug)]
pub(crate) struct JobShared {
    pub(crate) plan: LoadPlan,
    pub(crate) started: Instant,
    end_by: Instant,
    remaining: AtomicI64,
    pub(crate) total_connections: usize,
    /// Set to end a stream.
    pub(crate) stop: AtomicBool,
    /// Finished attempts (successes and errors) since the job started.
    pub(crate) completed: AtomicU64,
    /// Failed attempts since the job started.
    pub(crate) failed: AtomicU64,
    /// Connections that have had a whole answer in this job (pipelined: a whole batch): a
    /// warm-up is not over while some connection still waits for its first.
    pub(crate) answered_connections: AtomicU64,
    /// The epoch finished attempts are counted in.
    pub(crate) epoch: AtomicU64,
    /// The attempt count at which the open window ends; `u64::MAX` when none is open.
    pub(crate) window_end: AtomicU64,
}

impl JobShared {
    /// A job of `plan` over `total_connections` connections, starting now: it ends at the
    /// plan's duration or time limit, and a counted run has its count as budget.
    pub(crate) fn new(plan: &LoadPlan, total_connections: usize) -> Self {
        let started = Instant::now();
        let end_by = match plan.stop {
            LoadEnd::Duration(d) => started + d.min(plan.time_limit),
            LoadEnd::Requests(_) | LoadEnd::Finish => started + plan.time_limit,
        };
        let remaining = match plan.stop {
            LoadEnd::Requests(n) => i64::try_from(n).unwrap_or(i64::MAX),
            LoadEnd::Duration(_) | LoadEnd::Finish => i64::MAX,
        };
        Self {
            plan: *plan,
            started,
            end_by,
            remaining: AtomicI64::new(remaining),
            total_connections,
            stop: AtomicBool::new(false),
            completed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            answered_connections: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            window_end: AtomicU64::new(u64::MAX),
        }
    }

    /// How many of `attempts` the connection may make now: none once the job is over, fewer
    /// when a counted run's budget is nearly spent.
    pub(crate) fn allowed(&self, now: Instant, attempts: usize) -> usize {
        if self.stop.load(Ordering::Relaxed) || now >= self.end_by {
            return 0;
        }
        let wanted = i64::try_from(attempts).unwrap_or(1);
        let left = self.remaining.fetch_sub(wanted, Ordering::Relaxed);
        usize::try_from(left.clamp(0, wanted)).unwrap_or(0)
    }
}

/// The state of one client thread during one job.
pub(crate) struct ThreadJob {
    pub(crate) shared: Arc<JobShared>,
    tally: RefCell<Tally>,
    cpu_mark: Cell<Duration>,
    events: mpsc::Sender<Event>,
    window_ends: mpsc::Sender<Instant>,
    pub(crate) pacer: Option<Pacer>,
}

impl ThreadJob {
    /// The calling thread's part of `job`, counting from the job's current epoch and from the
    /// thread's CPU time now; `pacer` times open-loop sends (epoll backend only).
    pub(crate) fn new(job: Job, pacer: Option<Pacer>) -> Self {
        Self {
            tally: RefCell::new(Tally::new(job.shared.epoch.load(Ordering::Relaxed))),
            cpu_mark: Cell::new(thread_cpu()),
            shared: job.shared,
            events: job.events,
            window_ends: job.window_ends,
            pacer,
        }
    }

    /// Ends the thread's part: hands over the last counts, then reports `counts` (each
    /// connection's successes in the job, by index) as done.
    pub(crate) fn end(&self, counts: Vec<(usize, u64)>) {
        let last = self.tally.replace(Tally::new(u64::MAX));
        self.hand_over(last);
        let _ = self.events.send(Event::Done(counts));
    }

    /// The tally of the current epoch, handing over the previous epoch's counts first.
    pub(crate) fn tally(&self) -> std::cell::RefMut<'_, Tally> {
        self.tally_in(self.shared.epoch.load(Ordering::Relaxed))
    }

    fn tally_in(&self, epoch: u64) -> std::cell::RefMut<'_, Tally> {
        let mut tally = self.tally.borrow_mut();
        if tally.epoch != epoch {
            let done = std::mem::replace(&mut *tally, Tally::new(epoch));
            self.hand_over(done);
        }
        tally
    }

    fn hand_over(&self, mut done: Tally) {
        let now = thread_cpu();
        done.cpu = now.saturating_sub(self.cpu_mark.replace(now));
        let _ = self.events.send(Event::Tally(Box::new(done)));
    }

    /// Counts one finished attempt, closing the open window when it was the last one, and lets
    /// `record` put it in the tally of its epoch. A window's tally holds at least the attempts
    /// that closed it: the stream moves the epoch to the window and then reads the count, so an
    /// attempt counted after that read sees the window in the epoch it reads after counting; and
    /// one that closes or precedes the window's end read the window's epoch before counting.
    /// The sequentially consistent order of the epoch and the count is what makes both hold.
    pub(crate) fn finish_attempt(&self, record: impl FnOnce(&mut Tally)) {
        let before = self.shared.epoch.load(Ordering::SeqCst);
        let n = self.shared.completed.fetch_add(1, Ordering::SeqCst) + 1;
        let after = self.shared.epoch.load(Ordering::SeqCst);
        let in_window = |epoch: u64| epoch % 2 == 1;
        let epoch = if in_window(after) || !in_window(before) {
            after
        } else {
            before
        };
        record(&mut self.tally_in(epoch));
        let end = self.shared.window_end.load(Ordering::Relaxed);
        if n >= end
            && self
                .shared
                .window_end
                .compare_exchange(end, u64::MAX, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            let _ = self.window_ends.send(Instant::now());
        }
    }

    /// Counts a success of a connection's (`job_successes`: its successes in this job), and
    /// the connection as answered the moment they make a whole round (one request, or one
    /// pipelined batch): a warm-up is not over while some connection still waits for its first.
    pub(crate) fn count_success(&self, job_successes: &mut u64, ok: bool) {
        if !ok {
            return;
        }
        *job_successes += 1;
        if *job_successes == self.shared.plan.pipeline.max(1) as u64 {
            self.shared
                .answered_connections
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a failed attempt of `kind`.
    pub(crate) fn error(&self, kind: ErrorKind) {
        self.shared.failed.fetch_add(1, Ordering::Relaxed);
        self.finish_attempt(|tally| tally.error(kind));
    }

    /// Counts a wrong answer to `request`, keeping the first one's request line and `what`
    /// was wrong as the example a record shows.
    pub(crate) fn wrong_answer(&self, request: &RequestTemplate, what: String) {
        {
            let mut tally = self.tally();
            tally.checked_answers += 1;
            if tally.wrong_answer_example.is_none() {
                let line = request
                    .bytes
                    .split(|&b| b == b'\r')
                    .next()
                    .unwrap_or_default();
                tally.wrong_answer_example =
                    Some(format!("{}: {what}", String::from_utf8_lossy(line)));
            }
        }
        self.error(ErrorKind::WrongAnswer);
    }
}

/// CPU time of the calling thread (user + system), from the kernel's per-thread clock.
pub(crate) fn thread_cpu() -> Duration {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(Duration::ZERO, Duration::from)
}

/// A thread's part of a job of `plan` over `connections` connections, with the receiving ends
/// of its reports and window ends, for tests of what a thread counts.
#[cfg(test)]
pub(crate) fn test_job(
    plan: &LoadPlan,
    connections: usize,
) -> (ThreadJob, mpsc::Receiver<Event>, mpsc::Receiver<Instant>) {
    let (events, events_rx) = mpsc::channel();
    let (window_ends, ends_rx) = mpsc::channel();
    let job = Job {
        shared: Arc::new(JobShared::new(plan, connections)),
        events,
        window_ends,
    };
    (ThreadJob::new(job, None), events_rx, ends_rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tally a thread handed over, merged by epoch, in the order first seen.
    fn handed_over(events: &mpsc::Receiver<Event>) -> Vec<Tally> {
        let mut tallies: Vec<Tally> = Vec::new();
        for event in events.try_iter() {
            if let Event::Tally(tally) = event {
                match tallies.iter_mut().find(|t| t.epoch == tally.epoch) {
                    Some(known) => known.merge(&tally),
                    None => tallies.push(*tally),
                }
            }
        }
        tallies
    }

    #[test]
    fn a_counted_run_hands_out_no_more_attempts_than_its_budget() {
        let shared = JobShared::new(&LoadPlan::requests(5), 1);
        let now = Instant::now();
        assert_eq!(shared.allowed(now, 2), 2);
        assert_eq!(shared.allowed(now, 2), 2);
        assert_eq!(shared.allowed(now, 2), 1, "one attempt is left of five");
        assert_eq!(shared.allowed(now, 1), 0);
    }

    #[test]
    fn a_stopped_or_overdue_job_allows_no_attempt() {
        let plan = LoadPlan::duration(Duration::from_secs(10));
        let shared = JobShared::new(&plan, 1);
        assert_eq!(shared.allowed(Instant::now(), 4), 4);
        assert_eq!(
            shared.allowed(shared.started + Duration::from_secs(10), 1),
            0
        );
        shared.stop.store(true, Ordering::Relaxed);
        assert_eq!(shared.allowed(Instant::now(), 1), 0);
    }

    #[test]
    fn an_attempt_after_the_epoch_moved_is_counted_in_the_new_epoch() {
        let (job, events, _) = test_job(&LoadPlan::stream(Duration::from_secs(60)), 1);
        job.finish_attempt(|tally| tally.success(10));
        job.shared.epoch.store(1, Ordering::SeqCst);
        job.error(ErrorKind::Io);
        job.end(Vec::new());
        let tallies = handed_over(&events);
        let by_epoch: Vec<_> = tallies
            .iter()
            .map(|t| (t.epoch, t.requests, t.errors.iter().sum::<u64>()))
            .collect();
        assert_eq!(by_epoch, [(0, 1, 0), (1, 0, 1)]);
        assert_eq!(job.shared.completed.load(Ordering::SeqCst), 2);
        assert_eq!(job.shared.failed.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_attempt_that_reaches_the_windows_end_closes_it_once() {
        let (job, _events, window_ends) = test_job(&LoadPlan::stream(Duration::from_secs(60)), 1);
        job.shared.window_end.store(2, Ordering::SeqCst);
        job.finish_attempt(|_| {});
        assert!(
            window_ends.try_recv().is_err(),
            "one attempt of two is not the end"
        );
        job.finish_attempt(|_| {});
        assert!(window_ends.try_recv().is_ok());
        job.finish_attempt(|_| {});
        assert!(
            window_ends.try_recv().is_err(),
            "a closed window does not end again"
        );
        assert_eq!(job.shared.window_end.load(Ordering::SeqCst), u64::MAX);
    }

    #[test]
    fn a_connection_counts_as_answered_once_it_has_a_whole_batch_of_successes() {
        let plan = LoadPlan::stream(Duration::from_secs(60)).with_pipeline(3);
        let (job, _, _) = test_job(&plan, 1);
        let mut successes = 0;
        let answered = || job.shared.answered_connections.load(Ordering::Relaxed);
        job.count_success(&mut successes, true);
        job.count_success(&mut successes, false);
        job.count_success(&mut successes, true);
        assert_eq!(
            (successes, answered()),
            (2, 0),
            "a failure is not a success"
        );
        job.count_success(&mut successes, true);
        assert_eq!((successes, answered()), (3, 1));
        for _ in 0..3 {
            job.count_success(&mut successes, true);
        }
        assert_eq!(answered(), 1, "a connection is answered once per job");
    }

    #[test]
    fn a_wrong_answer_is_an_error_whose_example_names_the_first_request_line() {
        let (job, events, _) = test_job(&LoadPlan::requests(10), 1);
        let addr = "127.0.0.1:9".parse().unwrap();
        job.wrong_answer(&RequestTemplate::get(addr, "/a"), "got x".into());
        job.wrong_answer(&RequestTemplate::get(addr, "/b"), "got y".into());
        job.end(Vec::new());
        let tally = &handed_over(&events)[0];
        assert_eq!(tally.errors[ErrorKind::WrongAnswer.index()], 2);
        assert_eq!(tally.checked_answers, 2);
        assert_eq!(
            tally.wrong_answer_example.as_deref(),
            Some("GET /a HTTP/1.1: got x")
        );
    }

    #[test]
    fn a_thread_ends_by_reporting_its_connections_successes_last() {
        let (job, events, _) = test_job(&LoadPlan::requests(10), 2);
        job.end(vec![(0, 3), (1, 4)]);
        let events: Vec<_> = events.try_iter().collect();
        assert!(matches!(events.last(), Some(Event::Done(counts)) if counts == &[(0, 3), (1, 4)]));
    }
}
