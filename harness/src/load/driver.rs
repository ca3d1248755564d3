//! The load driver: one OS thread per client CPU, pinned, each running a single-threaded tokio
//! runtime that owns its share of the connections (wrk's model: no work stealing, no locks on
//! the hot path). Connections stay open between runs, so Criterion's `iter_custom` can time
//! `iters` requests without paying for connection setup.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use nix::time::{ClockId, clock_gettime};
use tokio::task::LocalSet;

use super::conn::Connection;
use super::latency::{new_histogram, record_us};
use super::{ErrorKind, LoadError, RequestTemplate, RunPlan, Sample, Stop};
use crate::cpus::CpuSet;

/// Connections opened at once per thread while setting up, so accept backlogs do not overflow.
const CONNECT_BATCH: usize = 256;
/// Pause after a failed reconnect, so a dead server does not make a hot loop.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);
/// An open-loop send this much after its intended time counts as late.
const LATE_AFTER: Duration = Duration::from_millis(1);

/// Open connections to one server, ready to run plans.
#[derive(Debug)]
pub struct LoadClient {
    workers: Vec<Worker>,
    connections: usize,
}

#[derive(Debug)]
struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

struct Job {
    plan: Arc<JobPlan>,
    reply: mpsc::Sender<WorkerResult>,
}

/// What every connection task of one run shares.
#[derive(Debug)]
struct JobPlan {
    plan: RunPlan,
    started: Instant,
    end_by: Instant,
    remaining: AtomicI64,
    total_connections: usize,
}

/// What one client thread counted during a run.
#[derive(Debug)]
struct WorkerResult {
    requests: u64,
    errors: [u64; 5],
    late_sends: u64,
    histogram: Histogram<u64>,
    cpu: Duration,
}

impl Default for WorkerResult {
    fn default() -> Self {
        Self {
            requests: 0,
            errors: [0; 5],
            late_sends: 0,
            histogram: new_histogram(),
            cpu: Duration::ZERO,
        }
    }
}

/// A connection's place: its socket (reopened after errors) and where it is in the mix.
struct Slot {
    index: usize,
    conn: Option<Connection>,
    next_request: usize,
}

impl LoadClient {
    /// Opens `connections` keep-alive connections to `addr` from threads pinned to
    /// `client_cpus`. Each connection cycles through `mix`, starting at its own offset.
    pub fn connect(
        addr: SocketAddr,
        connections: usize,
        client_cpus: &CpuSet,
        mix: Vec<RequestTemplate>,
    ) -> Result<Self, LoadError> {
        if connections == 0 || mix.is_empty() {
            return Err(LoadError::Plan(
                "need at least one connection and one request".into(),
            ));
        }
        crate::limits::raise_open_files();
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
            let thread = std::thread::Builder::new()
                .name(format!("stampede-load-{t}"))
                .spawn(move || worker_main(cpu, addr, indexes, mix, jobs_rx, ready))
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

    /// Runs `plan` over the open connections and returns what happened.
    pub fn run(&mut self, plan: &RunPlan) -> Result<Sample, LoadError> {
        if let Some(rate) = plan.rate_per_sec
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(LoadError::Plan(format!(
                "rate must be positive, got {rate}"
            )));
        }
        let started = Instant::now();
        let end_by = match plan.stop {
            Stop::Duration(d) => started + d.min(plan.time_limit),
            Stop::Requests(_) => started + plan.time_limit,
        };
        let remaining = match plan.stop {
            Stop::Requests(n) => i64::try_from(n).unwrap_or(i64::MAX),
            Stop::Duration(_) => i64::MAX,
        };
        let shared = Arc::new(JobPlan {
            plan: *plan,
            started,
            end_by,
            remaining: AtomicI64::new(remaining),
            total_connections: self.connections,
        });
        let (reply_tx, reply_rx) = mpsc::channel();
        for worker in &self.workers {
            let job = Job {
                plan: Arc::clone(&shared),
                reply: reply_tx.clone(),
            };
            let sent = worker
                .jobs
                .as_ref()
                .is_some_and(|jobs| jobs.send(job).is_ok());
            if !sent {
                return Err(LoadError::Client("a client thread has stopped".into()));
            }
        }
        drop(reply_tx);
        let mut sample = Sample::empty();
        for _ in 0..self.workers.len() {
            let result = reply_rx
                .recv()
                .map_err(|_| LoadError::Client("a client thread died during the run".into()))?;
            sample.requests += result.requests;
            sample.late_sends += result.late_sends;
            sample.client_cpu += result.cpu;
            sample.client_threads += 1;
            let _ = sample.histogram.add(&result.histogram);
            for kind in ErrorKind::ALL {
                let n = result.errors[kind.index()];
                if n > 0 {
                    *sample.errors_by_kind.entry(kind).or_default() += n;
                }
            }
        }
        sample.elapsed = started.elapsed();
        Ok(sample)
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

/// CPU time of the calling thread (user + system), from the kernel's per-thread clock.
fn thread_cpu() -> Duration {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(Duration::ZERO, Duration::from)
}

fn worker_main(
    cpu: Option<usize>,
    addr: SocketAddr,
    indexes: Vec<usize>,
    mix: Arc<Vec<RequestTemplate>>,
    jobs: mpsc::Receiver<Job>,
    ready: Ready,
) {
    if let Some(cpu) = cpu {
        let _ = CpuSet::new(vec![cpu]).pin_current_thread();
    }
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
    let (mut slots, error) = local.block_on(&runtime, open_all(addr, indexes, mix.len()));
    let opened = slots.iter().filter(|s| s.conn.is_some()).count();
    let _ = ready.send((opened, error));
    drop(ready);
    while let Ok(job) = jobs.recv() {
        let cpu_before = thread_cpu();
        let mut result = local.block_on(&runtime, run_job(&mut slots, &job.plan, &mix, addr));
        result.cpu = thread_cpu().saturating_sub(cpu_before);
        let _ = job.reply.send(result);
    }
}

async fn open_all(
    addr: SocketAddr,
    indexes: Vec<usize>,
    mix_len: usize,
) -> (Vec<Slot>, Option<String>) {
    let mut slots = Vec::with_capacity(indexes.len());
    let mut first_error = None;
    for batch in indexes.chunks(CONNECT_BATCH) {
        let mut set = tokio::task::JoinSet::new();
        for &index in batch {
            set.spawn_local(async move { (index, Connection::open(addr).await) });
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
                next_request: index % mix_len,
            });
        }
    }
    slots.sort_by_key(|s| s.index);
    (slots, first_error)
}

async fn run_job(
    slots: &mut Vec<Slot>,
    plan: &Arc<JobPlan>,
    mix: &Arc<Vec<RequestTemplate>>,
    addr: SocketAddr,
) -> WorkerResult {
    let tally = Rc::new(RefCell::new(WorkerResult::default()));
    let handles: Vec<_> = slots
        .drain(..)
        .map(|slot| {
            let (plan, mix, tally) = (Arc::clone(plan), Arc::clone(mix), Rc::clone(&tally));
            tokio::task::spawn_local(drive(slot, plan, mix, tally, addr))
        })
        .collect();
    for handle in handles {
        if let Ok(slot) = handle.await {
            slots.push(slot);
        }
    }
    // Every task has ended, so this is the last reference.
    Rc::try_unwrap(tally).map_or_else(
        |shared| shared.replace(WorkerResult::default()),
        RefCell::into_inner,
    )
}

/// One connection's loop for one run.
async fn drive(
    mut slot: Slot,
    job: Arc<JobPlan>,
    mix: Arc<Vec<RequestTemplate>>,
    tally: Rc<RefCell<WorkerResult>>,
    addr: SocketAddr,
) -> Slot {
    // Open loop: this connection sends every `interval`, staggered by its index.
    let interval = job
        .plan
        .rate_per_sec
        .map(|rate| Duration::from_secs_f64(job.total_connections as f64 / rate));
    let offset = interval.map(|i| i.mul_f64(slot.index as f64 / job.total_connections as f64));
    let mut k: u32 = 0;
    let mut now = Instant::now();
    loop {
        if now >= job.end_by || job.remaining.fetch_sub(1, Ordering::Relaxed) <= 0 {
            break;
        }
        let intended = match (interval, offset) {
            (Some(interval), Some(offset)) => {
                let at = job.started + offset + interval * k;
                k = k.saturating_add(1);
                if at > now {
                    tokio::time::sleep_until(at.into()).await;
                } else if now - at > LATE_AFTER {
                    tally.borrow_mut().late_sends += 1;
                }
                Some(at)
            }
            _ => None,
        };
        if slot.conn.is_none() {
            match Connection::open(addr).await {
                Ok(conn) => slot.conn = Some(conn),
                Err(kind) => {
                    tally.borrow_mut().errors[kind.index()] += 1;
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    now = Instant::now();
                    continue;
                }
            }
        }
        let Some(conn) = slot.conn.as_mut() else {
            continue;
        };
        let request = &mix[slot.next_request];
        slot.next_request = (slot.next_request + 1) % mix.len();
        let start = Instant::now();
        let outcome =
            tokio::time::timeout(job.plan.request_timeout, conn.round_trip(&request.bytes)).await;
        now = Instant::now();
        let mut tally = tally.borrow_mut();
        match outcome {
            Ok(Ok(info)) => {
                if info.status == request.expected_status {
                    tally.requests += 1;
                    let from = intended.unwrap_or(start);
                    let latency_us =
                        u64::try_from(now.duration_since(from).as_micros()).unwrap_or(u64::MAX);
                    record_us(&mut tally.histogram, latency_us);
                } else {
                    tally.errors[ErrorKind::Status.index()] += 1;
                }
                if info.close {
                    slot.conn = None;
                }
            }
            Ok(Err(kind)) => {
                tally.errors[kind.index()] += 1;
                slot.conn = None;
            }
            Err(_elapsed) => {
                tally.errors[ErrorKind::Timeout.index()] += 1;
                slot.conn = None;
            }
        }
    }
    slot
}
