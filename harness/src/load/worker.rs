//! One client thread: pinned to its CPU, it opens its share of the connections once, then runs
//! each job it is handed over them with the chosen I/O backend (epoll through a
//! single-threaded tokio runtime, or io_uring) and reports what happened.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc;

use tokio::task::LocalSet;

use super::RequestTemplate;
use super::backend::IoBackend;
use super::job::{Job, ThreadJob};
use super::pacer::Pacer;
use super::slot::{Destination, Slot};
use crate::cpus::CpuSet;

/// Connections opened at once per thread while setting up, so accept backlogs do not overflow.
const CONNECT_BATCH: usize = 256;

/// Where a thread says it is ready: how many of its connections opened, and the first error.
type Ready = mpsc::Sender<(usize, Option<String>)>;

/// The body of a client thread: connections `indexes` to `destination`, cycling through `mix`,
/// running every job that arrives on `jobs` until the client is dropped.
pub(crate) fn worker_main(
    cpu: Option<usize>,
    destination: Destination,
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
    let (mut slots, error) = local.block_on(&runtime, open_all(&destination, indexes, mix.len()));
    let opened = slots.iter().filter(|s| s.conn.is_some()).count();
    let _ = ready.send((opened, error));
    drop(ready);
    let mut pacer = None;
    while let Ok(job) = jobs.recv() {
        if job.shared.plan.rate_per_sec.is_some() && pacer.is_none() && ring.is_none() {
            let _entered = runtime.enter();
            pacer = Pacer::start(&local).ok();
        }
        let thread_job = Rc::new(ThreadJob::new(job, pacer.clone()));
        for slot in &mut slots {
            slot.job_successes = 0;
        }
        match ring.as_mut() {
            Some(ring) => {
                let ctx = super::uring::JobContext {
                    job: &thread_job,
                    mix: &mix,
                    destination: &destination,
                    runtime: &runtime,
                };
                super::uring::run_job(ring, &mut slots, &ctx);
            }
            None => local.block_on(
                &runtime,
                super::epoll::run_job(&mut slots, &thread_job, &mix, &destination),
            ),
        }
        thread_job.end(slots.iter().map(|s| (s.index, s.job_successes)).collect());
    }
}

async fn open_all(
    destination: &Destination,
    indexes: Vec<usize>,
    mix_len: usize,
) -> (Vec<Slot>, Option<String>) {
    let mut slots = Vec::with_capacity(indexes.len());
    let mut first_error = None;
    for batch in indexes.chunks(CONNECT_BATCH) {
        let mut set = tokio::task::JoinSet::new();
        for &index in batch {
            let destination = destination.clone();
            set.spawn_local(async move { (index, destination.open(index).await) });
        }
        while let Some(joined) = set.join_next().await {
            let Ok((index, opened)) = joined else {
                continue;
            };
            if let Err(kind) = &opened {
                first_error.get_or_insert_with(|| format!("{} error", kind.as_str()));
            }
            slots.push(Slot::new(index, opened.ok(), mix_len));
        }
    }
    slots.sort_by_key(|s| s.index);
    (slots, first_error)
}
