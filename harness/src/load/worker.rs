//! One client thread: pinned to its CPU, it opens its share of the connections once, then runs
//! each job it is handed over them with the chosen I/O backend (epoll through a
//! single-threaded tokio runtime, or io_uring) and reports what happened.

use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use tokio::task::LocalSet;

use super::backend::IoBackend;
use super::conn::Connection;
use super::job::{Job, ThreadJob};
use super::pacer::Pacer;
use super::{ErrorKind, RequestTemplate};
use crate::cpus::CpuSet;

/// Connections opened at once per thread while setting up, so accept backlogs do not overflow.
const CONNECT_BATCH: usize = 256;
/// Pause after a failed reconnect, so a dead server does not make a hot loop.
pub(crate) const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// Where a thread says it is ready: how many of its connections opened, and the first error.
pub(crate) type Ready = mpsc::Sender<(usize, Option<String>)>;

/// Where a client thread's connections go, and the source addresses they are spread over.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    pub(crate) sources: Arc<Vec<IpAddr>>,
}

impl Target {
    /// Opens connection number `index`, from its share of the source addresses.
    pub(crate) async fn open(&self, index: usize) -> Result<Connection, ErrorKind> {
        let source = (!self.sources.is_empty()).then(|| self.sources[index % self.sources.len()]);
        Connection::open_from(self.addr, source).await
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

impl Slot {
    /// Connection `index`'s place in a mix of `mix_len` requests, with `conn` if it opened.
    pub(crate) fn new(index: usize, conn: Option<Connection>, mix_len: usize) -> Self {
        Self {
            index,
            conn,
            next_request: spread(index, mix_len),
            answers: 0,
            job_successes: 0,
        }
    }
}

/// The body of a client thread: connections `indexes` to `target`, cycling through `mix`,
/// running every job that arrives on `jobs` until the client is dropped.
pub(crate) fn worker_main(
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
        let thread_job = Rc::new(ThreadJob::new(job, pacer.clone()));
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
            None => local.block_on(
                &runtime,
                super::epoll::run_job(&mut slots, &thread_job, &mix, &target),
            ),
        }
        thread_job.end(slots.iter().map(|s| (s.index, s.job_successes)).collect());
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
            slots.push(Slot::new(index, opened.ok(), mix_len));
        }
    }
    slots.sort_by_key(|s| s.index);
    (slots, first_error)
}

/// Where connection `index` starts in a mix of `len` requests: spread over the whole mix, so
/// that with a pool of bodies the connections do not send the same ones at the same time.
fn spread(index: usize, len: usize) -> usize {
    // A large odd stride visits every position of any mix length that is a power of two, and
    // scatters the others well enough.
    index.wrapping_mul(2_654_435_761) % len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_start_at_every_place_of_a_power_of_two_mix() {
        for len in [1, 2, 8, 64] {
            let mut starts: Vec<usize> = (0..len).map(|index| spread(index, len)).collect();
            starts.sort_unstable();
            assert_eq!(starts, (0..len).collect::<Vec<_>>(), "mix of {len}");
        }
    }

    #[test]
    fn neighbouring_connections_do_not_start_on_neighbouring_requests() {
        let starts: Vec<usize> = (0..4).map(|index| spread(index, 1024)).collect();
        assert!(
            starts.windows(2).all(|w| w[0].abs_diff(w[1]) > 1),
            "{starts:?}"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_connection_spreads_over_the_source_addresses_by_its_index() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sources = vec!["127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap()];
        let target = Target {
            addr: listener.local_addr().unwrap(),
            sources: Arc::new(sources),
        };
        let mut seen = Vec::new();
        for index in 0..3 {
            let _conn = target.open(index).await.unwrap();
            let (_, peer) = listener.accept().await.unwrap();
            seen.push(peer.ip().to_string());
        }
        assert_eq!(seen, ["127.0.0.2", "127.0.0.3", "127.0.0.2"]);
    }
}
