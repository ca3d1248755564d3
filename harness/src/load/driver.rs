//! The load driver: one OS thread per client CPU, pinned, each running a single-threaded tokio
//! runtime that owns its share of the connections (wrk's model: no work stealing, no locks on
//! the hot path). Connections stay open between runs, so a benchmark pays for connection setup
//! once, and a [`Stream`] can keep them busy while windows are timed inside it.

use std::cell::{Cell, RefCell};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::time::{ClockId, clock_gettime};
use tokio::task::LocalSet;

use super::backend::{IoBackend, IoChoice};
use super::check;
use super::conn::Connection;
use super::latency::record_us;
use super::pacer::Pacer;
use super::stream::Stream;
use super::tally::Tally;
use super::{ErrorKind, LoadError, RequestTemplate, RunPlan, Sample, Stop};
use crate::cpus::CpuSet;

/// Connections opened at once per thread while setting up, so accept backlogs do not overflow.
const CONNECT_BATCH: usize = 256;
/// Pause after a failed reconnect, so a dead server does not make a hot loop.
pub(crate) const RECONNECT_PAUSE: Duration = Duration::from_millis(10);
/// An open-loop send whose connection was free, leaving this much after its intended time,
/// counts as late: the client could not keep its schedule.
const LATE_AFTER: Duration = Duration::from_millis(1);
/// How often an idle client thread looks for an epoch change, so its CPU time and counts land
/// in the right window even when none of its requests finish.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(20);

/// Open connections to one server, ready to run plans.
#[derive(Debug)]
pub struct LoadClient {
    workers: Vec<Worker>,
    connections: usize,
    io: IoBackend,
}

#[derive(Debug)]
struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

/// What a client thread reports while a job runs.
#[derive(Debug)]
pub(crate) enum Event {
    /// The counts of one epoch (a thread may send several per epoch; they are merged).
    Tally(Box<Tally>),
    /// The thread finished the job: every connection stopped. Carries how many answers with the
    /// right status each of its connections got during the job, by connection index.
    Done(Vec<(usize, u64)>),
}

struct Job {
    shared: Arc<JobShared>,
    events: mpsc::Sender<Event>,
    window_ends: mpsc::Sender<Instant>,
}

/// What every connection task of one job shares, across threads.
#[derive(Debug)]
pub(crate) struct JobShared {
    pub(crate) plan: RunPlan,
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
    pacer: Option<Pacer>,
}

impl ThreadJob {
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
    fn finish_attempt(&self, record: impl FnOnce(&mut Tally)) {
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

    pub(crate) fn error(&self, kind: ErrorKind) {
        self.shared.failed.fetch_add(1, Ordering::Relaxed);
        self.finish_attempt(|tally| tally.error(kind));
    }

    fn wrong_answer(&self, request: &RequestTemplate, what: String) {
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

/// A connection's place: its socket (reopened after errors), where it is in the mix, how many
/// answers it has had (for sampling checks), and how many successes in the current job (to
/// show whether the server serves its connections fairly).
pub(crate) struct Slot {
    pub(crate) index: usize,
    pub(crate) conn: Option<Connection>,
    pub(crate) next_request: usize,
    pub(crate) answers: u64,
    pub(crate) job_successes: u64,
}

impl LoadClient {
    /// Opens `connections` keep-alive connections to `addr` from threads pinned to
    /// `client_cpus`. Each connection cycles through `mix`, starting at its own offset. The
    /// I/O backend is `STAMPEDE_IO`'s, else the fastest this kernel allows.
    pub fn connect(
        addr: SocketAddr,
        connections: usize,
        client_cpus: &CpuSet,
        mix: Vec<RequestTemplate>,
    ) -> Result<Self, LoadError> {
        let io = IoChoice::from_env().map_err(LoadError::Io)?;
        Self::connect_with(addr, connections, client_cpus, mix, io)
    }

    /// [`LoadClient::connect`] with the I/O backend chosen by the caller.
    pub fn connect_with(
        addr: SocketAddr,
        connections: usize,
        client_cpus: &CpuSet,
        mix: Vec<RequestTemplate>,
        io: IoChoice,
    ) -> Result<Self, LoadError> {
        if connections == 0 || mix.is_empty() {
            return Err(LoadError::Plan(
                "need at least one connection and one request".into(),
            ));
        }
        let io = io.resolve().map_err(LoadError::Io)?;
        let sources = Arc::new(crate::limits::check_connections(connections, addr)?);
        let mix = Arc::new(mix);
        let cpus: Vec<Option<usize>> = if client_cpus.is_empty() {
            vec![None]
        } else {
            client_cpus.ids().iter().copied().map(Some).collect()
        };
        let threads = cpus.len().min(connections);
        let (ready_tx, ready_rx) = mpsc::channel();
        let mut workers = Vec::with_capacity(threads);
        for (t, cpu) in cpus.into_iter().take(threads).enumerate() {
            let indexes: Vec<usize> = (t..connections).step_by(threads).collect();
            let (jobs_tx, jobs_rx) = mpsc::channel();
            let (mix, ready) = (Arc::clone(&mix), ready_tx.clone());
            let target = Target {
                addr,
                sources: Arc::clone(&sources),
            };
            let thread = std::thread::Builder::new()
                .name(format!("stampede-load-{t}"))
                .spawn(move || worker_main(cpu, target, indexes, mix, jobs_rx, ready, io))
                .map_err(|e| LoadError::Client(format!("cannot start a client thread: {e}")))?;
            workers.push(Worker {
                jobs: Some(jobs_tx),
                thread: Some(thread),
            });
        }
        drop(ready_tx);
        let client = Self {
            workers,
            connections,
            io,
        };
        let (mut opened, mut first_error) = (0, None);
        for _ in 0..threads {
            match ready_rx.recv() {
                Ok((n, err)) => {
                    opened += n;
                    first_error = first_error.or(err);
                }
                Err(_) => first_error = Some("a client thread died while connecting".into()),
            }
        }
        if opened < connections {
            return Err(LoadError::Connect {
                addr,
                wanted: connections,
                opened,
                why: first_error.unwrap_or_else(|| "unknown".into()),
                limit: crate::limits::open_files_limit(),
            });
        }
        Ok(client)
    }

    /// Number of connections.
    pub fn connections(&self) -> usize {
        self.connections
    }

    /// Number of client threads.
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// The client's I/O backend.
    pub fn io(&self) -> IoBackend {
        self.io
    }

    /// Runs `plan` over the open connections and returns what happened.
    pub fn run(&mut self, plan: &RunPlan) -> Result<Sample, LoadError> {
        if plan.stop == Stop::Finish {
            return Err(LoadError::Plan(
                "a plan that stops when finished needs `LoadClient::stream`".into(),
            ));
        }
        let (shared, events, _window_ends) = self.launch(plan)?;
        let mut total = Tally::new(0);
        let mut per_connection = vec![0; self.connections];
        let mut done = 0;
        while done < self.workers.len() {
            match events.recv() {
                Ok(Event::Tally(tally)) => total.merge(&tally),
                Ok(Event::Done(counts)) => {
                    done += 1;
                    for (index, n) in counts {
                        if let Some(slot) = per_connection.get_mut(index) {
                            *slot = n;
                        }
                    }
                }
                Err(_) => {
                    return Err(LoadError::Client(
                        "a client thread died during the run".into(),
                    ));
                }
            }
        }
        let mut sample = total.into_sample(shared.started.elapsed(), self.workers.len());
        sample.per_connection = per_connection;
        sample.io = self.io;
        Ok(sample)
    }

    /// Starts `plan` (closed loop, [`Stop::Finish`]) and returns at once: the load keeps
    /// running until the stream is finished or dropped, while the caller times windows in it.
    pub fn stream(&mut self, plan: &RunPlan) -> Result<Stream<'_>, LoadError> {
        if plan.stop != Stop::Finish || plan.rate_per_sec.is_some() {
            return Err(LoadError::Plan(
                "a stream is a closed loop that stops when finished".into(),
            ));
        }
        let (shared, events, window_ends) = self.launch(plan)?;
        Ok(Stream::new(self, shared, events, window_ends))
    }

    fn launch(&mut self, plan: &RunPlan) -> Result<Launched, LoadError> {
        if let Some(problem) = plan.problem() {
            return Err(LoadError::Plan(problem));
        }
        let started = Instant::now();
        let end_by = match plan.stop {
            Stop::Duration(d) => started + d.min(plan.time_limit),
            Stop::Requests(_) | Stop::Finish => started + plan.time_limit,
        };
        let remaining = match plan.stop {
            Stop::Requests(n) => i64::try_from(n).unwrap_or(i64::MAX),
            Stop::Duration(_) | Stop::Finish => i64::MAX,
        };
        let shared = Arc::new(JobShared {
            plan: *plan,
            started,
            end_by,
            remaining: AtomicI64::new(remaining),
            total_connections: self.connections,
            stop: AtomicBool::new(false),
            completed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            answered_connections: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            window_end: AtomicU64::new(u64::MAX),
        });
        let (events_tx, events_rx) = mpsc::channel();
        let (ends_tx, ends_rx) = mpsc::channel();
        for worker in &self.workers {
            let job = Job {
                shared: Arc::clone(&shared),
                events: events_tx.clone(),
                window_ends: ends_tx.clone(),
            };
            let sent = worker
                .jobs
                .as_ref()
                .is_some_and(|jobs| jobs.send(job).is_ok());
            if !sent {
                shared.stop.store(true, Ordering::Relaxed);
                return Err(LoadError::Client("a client thread has stopped".into()));
            }
        }
        Ok((shared, events_rx, ends_rx))
    }
}

impl Drop for LoadClient {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            worker.jobs.take();
        }
        for worker in &mut self.workers {
            if let Some(thread) = worker.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

type Ready = mpsc::Sender<(usize, Option<String>)>;

/// Where a client thread's connections go, and the source addresses they are spread over.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    addr: SocketAddr,
    sources: Arc<Vec<IpAddr>>,
}

impl Target {
    /// Opens connection number `index`, from its share of the source addresses.
    pub(crate) async fn open(&self, index: usize) -> Result<Connection, ErrorKind> {
        let source = (!self.sources.is_empty()).then(|| self.sources[index % self.sources.len()]);
        Connection::open_from(self.addr, source).await
    }
}

/// A job handed to the client threads: what they share, their reports, and window ends.
type Launched = (
    Arc<JobShared>,
    mpsc::Receiver<Event>,
    mpsc::Receiver<Instant>,
);

/// CPU time of the calling thread (user + system), from the kernel's per-thread clock.
pub(crate) fn thread_cpu() -> Duration {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(Duration::ZERO, Duration::from)
}

fn worker_main(
    cpu: Option<usize>,
    target: Target,
    indexes: Vec<usize>,
    mix: Arc<Vec<RequestTemplate>>,
    jobs: mpsc::Receiver<Job>,
    ready: Ready,
    io: IoBackend,
) {
    if let Some(cpu) = cpu {
        let _ = CpuSet::new(vec![cpu]).pin_current_thread();
    }
    let mut ring = match io {
        IoBackend::Epoll => None,
        IoBackend::Uring => match super::uring::new_ring(indexes.len()) {
            Ok(ring) => Some(ring),
            Err(e) => {
                let _ = ready.send((0, Some(format!("cannot set up io_uring: {e}"))));
                return;
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send((0, Some(format!("cannot build a runtime: {e}"))));
            return;
        }
    };
    let local = LocalSet::new();
    let (mut slots, error) = local.block_on(&runtime, open_all(&target, indexes, mix.len()));
    let opened = slots.iter().filter(|s| s.conn.is_some()).count();
    let _ = ready.send((opened, error));
    drop(ready);
    let mut pacer = None;
    while let Ok(job) = jobs.recv() {
        if job.shared.plan.rate_per_sec.is_some() && pacer.is_none() && ring.is_none() {
            let _entered = runtime.enter();
            pacer = Pacer::start(&local).ok();
        }
        let thread_job = Rc::new(ThreadJob {
            tally: RefCell::new(Tally::new(job.shared.epoch.load(Ordering::Relaxed))),
            cpu_mark: Cell::new(thread_cpu()),
            shared: job.shared,
            events: job.events,
            window_ends: job.window_ends,
            pacer: pacer.clone(),
        });
        for slot in &mut slots {
            slot.job_successes = 0;
        }
        match ring.as_mut() {
            Some(ring) => {
                let ctx = super::uring::JobContext {
                    job: &thread_job,
                    mix: &mix,
                    target: &target,
                    runtime: &runtime,
                };
                super::uring::run_job(ring, &mut slots, &ctx);
            }
            None => local.block_on(&runtime, run_job(&mut slots, &thread_job, &mix, &target)),
        }
        let last = thread_job.tally.replace(Tally::new(u64::MAX));
        thread_job.hand_over(last);
        let counts = slots.iter().map(|s| (s.index, s.job_successes)).collect();
        let _ = thread_job.events.send(Event::Done(counts));
    }
}

async fn open_all(
    target: &Target,
    indexes: Vec<usize>,
    mix_len: usize,
) -> (Vec<Slot>, Option<String>) {
    let mut slots = Vec::with_capacity(indexes.len());
    let mut first_error = None;
    for batch in indexes.chunks(CONNECT_BATCH) {
        let mut set = tokio::task::JoinSet::new();
        for &index in batch {
            let target = target.clone();
            set.spawn_local(async move { (index, target.open(index).await) });
        }
        while let Some(joined) = set.join_next().await {
            let Ok((index, opened)) = joined else {
                continue;
            };
            if let Err(kind) = &opened {
                first_error.get_or_insert_with(|| format!("{} error", kind.as_str()));
            }
            slots.push(Slot {
                index,
                conn: opened.ok(),
                next_request: spread(index, mix_len),
                answers: 0,
                job_successes: 0,
            });
        }
    }
    slots.sort_by_key(|s| s.index);
    (slots, first_error)
}

async fn run_job(
    slots: &mut Vec<Slot>,
    job: &Rc<ThreadJob>,
    mix: &Arc<Vec<RequestTemplate>>,
    target: &Target,
) {
    let ticker = {
        let job = Rc::clone(job);
        tokio::task::spawn_local(async move {
            let mut every = tokio::time::interval(EPOCH_TICK);
            let mut last_stall = Instant::now();
            loop {
                every.tick().await;
                drop(job.tally());
                if let Some((period, length)) = job.shared.plan.client_stall
                    && last_stall.elapsed() >= period
                {
                    // Deliberately blocks the whole thread: that is the stall being simulated.
                    std::thread::sleep(length);
                    last_stall = Instant::now();
                }
            }
        })
    };
    let handles: Vec<_> = slots
        .drain(..)
        .map(|slot| {
            tokio::task::spawn_local(drive(slot, Rc::clone(job), Arc::clone(mix), target.clone()))
        })
        .collect();
    for handle in handles {
        if let Ok(slot) = handle.await {
            slots.push(slot);
        }
    }
    ticker.abort();
}

/// One connection's loop for one job.
async fn drive(
    mut slot: Slot,
    job: Rc<ThreadJob>,
    mix: Arc<Vec<RequestTemplate>>,
    target: Target,
) -> Slot {
    let plan = &job.shared.plan;
    let total = job.shared.total_connections;
    // Open loop: this connection sends every `interval`, staggered by its index.
    let interval = plan
        .rate_per_sec
        .map(|rate| Duration::from_secs_f64(total as f64 / rate));
    let offset = interval.map(|i| i.mul_f64(slot.index as f64 / total as f64));
    let (mut batch, mut answers) = (Vec::new(), Vec::with_capacity(plan.pipeline));
    let mut k: u32 = 0;
    let mut now = Instant::now();
    loop {
        let depth = job.shared.allowed(now, plan.pipeline.max(1));
        if depth == 0 {
            break;
        }
        let intended = match (interval, offset, &job.pacer) {
            (Some(interval), Some(offset), Some(pacer)) => {
                let at = job.shared.started + offset + interval * k;
                k = k.saturating_add(1);
                let free_at = now;
                if at > now {
                    pacer.until(at).await;
                }
                note_send(&job, at, free_at, Instant::now());
                Some(at)
            }
            _ => None,
        };
        if slot.conn.is_none() {
            match target.open(slot.index).await {
                Ok(conn) => slot.conn = Some(conn),
                Err(kind) => {
                    job.error(kind);
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    now = Instant::now();
                    continue;
                }
            }
        }
        let Some(conn) = slot.conn.as_mut() else {
            continue;
        };
        if depth == 1 {
            let request = &mix[slot.next_request];
            slot.next_request = (slot.next_request + 1) % mix.len();
            let start = Instant::now();
            let outcome =
                tokio::time::timeout(plan.request_timeout, conn.round_trip(&request.bytes)).await;
            now = Instant::now();
            match outcome {
                Ok(Ok(info)) => {
                    slot.answers += 1;
                    let answered = Answered {
                        status: info.status,
                        body: &conn.body(&info),
                        nth: slot.answers,
                    };
                    let ok = settle(
                        &job,
                        request,
                        answered,
                        start,
                        intended.unwrap_or(start),
                        now,
                    );
                    job.count_success(&mut slot.job_successes, ok);
                    if info.close {
                        slot.conn = None;
                    }
                }
                Ok(Err(kind)) => {
                    job.error(kind);
                    slot.conn = None;
                }
                Err(_elapsed) => {
                    job.error(ErrorKind::Timeout);
                    slot.conn = None;
                }
            }
            continue;
        }
        let first = slot.next_request;
        batch.clear();
        for _ in 0..depth {
            batch.extend_from_slice(&mix[slot.next_request].bytes);
            slot.next_request = (slot.next_request + 1) % mix.len();
        }
        let start = Instant::now();
        let outcome = tokio::time::timeout(
            plan.request_timeout,
            conn.pipeline(&batch, depth, &mut answers),
        )
        .await;
        now = Instant::now();
        for (i, (info, at)) in answers.iter().enumerate() {
            slot.answers += 1;
            let answered = Answered {
                status: info.status,
                body: &conn.body(info),
                nth: slot.answers,
            };
            let ok = settle(
                &job,
                &mix[(first + i) % mix.len()],
                answered,
                start,
                start,
                *at,
            );
            job.count_success(&mut slot.job_successes, ok);
        }
        let failed = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(kind)) => Some(kind),
            Err(_elapsed) => Some(ErrorKind::Timeout),
        };
        if let Some(kind) = failed {
            // Every request of the batch without an answer failed with the batch.
            for _ in answers.len()..depth {
                job.error(kind);
            }
            slot.conn = None;
        } else if answers.last().is_some_and(|(info, _)| info.close) {
            slot.conn = None;
        }
    }
    slot
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

/// What came back for one request.
pub(crate) struct Answered<'b> {
    pub(crate) status: u16,
    pub(crate) body: &'b [u8],
    /// The connection's answer count, for sampling checks.
    pub(crate) nth: u64,
}

/// Where connection `index` starts in a mix of `len` requests: spread over the whole mix, so
/// that with a pool of bodies the connections do not send the same ones at the same time.
fn spread(index: usize, len: usize) -> usize {
    // A large odd stride visits every position of any mix length that is a power of two, and
    // scatters the others well enough.
    index.wrapping_mul(2_654_435_761) % len
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
