//! The io_uring backend of the load driver: closed loops (pipelined or not) and open loops.
//!
//! One ring per client thread, holding all of that thread's connections. Every connection that
//! is ready for its next request gets a send and a receive queued; one `io_uring_enter` then
//! submits the whole batch and waits for the first completion, and everything that completed
//! meanwhile is handled before the next enter. The bytes that come back are fed to the same
//! response parser, answer checks and tally as the epoll path ([`super::settle::settle`]), so
//! only the way bytes move differs.
//!
//! Why the `io-uring` crate (tokio-rs's low-level binding) and not a runtime built on io_uring
//! (tokio-uring, monoio, compio): the driver already is one pinned thread per client CPU that
//! owns its connections and parses synchronously; what it lacks is exactly "queue the I/O of
//! every ready connection, enter the kernel once". The runtimes put a task, a future and a
//! waker around every operation (the per-request cost we are removing), tokio-uring waits for
//! its ring through tokio's epoll (still an epoll round per wake-up), and monoio and compio
//! would replace tokio in the driver rather than sit beside it as a fallback. The low-level
//! crate leaves the batching to us, which is the point.

mod pacing;
mod ring_loop;
mod round;

use std::io;
use std::sync::Arc;

use io_uring::{IoUring, opcode};

use super::RequestTemplate;
use super::job::ThreadJob;
use super::slot::{Destination, Slot};

pub(crate) use ring_loop::run_job;

/// Completions the ring can hold per connection: a send and a receive in flight each.
const OPS_PER_CONNECTION: usize = 2;
/// Largest submission queue: a larger batch is submitted in parts.
const MAX_SQ_ENTRIES: usize = 4096;
/// Largest completion queue the kernel allows (`IORING_MAX_CQ_ENTRIES`); past it, the kernel
/// keeps overflowing completions aside (`IORING_FEAT_NODROP`) and they are read later.
const MAX_CQ_ENTRIES: usize = 65_536;

/// Whether this kernel lets the load client use io_uring, and if not, why: the sysctl
/// `kernel.io_uring_disabled`, a failing `io_uring_setup` (seccomp, containers), or a kernel
/// too old for what the backend needs (send/recv opcodes, waits with a timeout).
pub(crate) fn available() -> Result<(), String> {
    if let Ok(text) = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        && text.trim() == "2"
    {
        return Err("kernel.io_uring_disabled = 2".into());
    }
    let ring = IoUring::new(8).map_err(|e| format!("io_uring_setup failed: {e}"))?;
    if !ring.params().is_feature_ext_arg() || !ring.params().is_feature_nodrop() {
        return Err("this kernel's io_uring lacks waits with a timeout (needs Linux 5.11)".into());
    }
    let mut probe = io_uring::Probe::new();
    ring.submitter()
        .register_probe(&mut probe)
        .map_err(|e| format!("io_uring probe failed: {e}"))?;
    if !(probe.is_supported(opcode::Send::CODE) && probe.is_supported(opcode::Recv::CODE)) {
        return Err("this kernel's io_uring has no send/recv (needs Linux 5.6)".into());
    }
    Ok(())
}

/// A ring for a thread with `connections` connections. Deferred task work (Linux 6.1) makes
/// the kernel finish receives only when the thread enters it to wait, so completions arrive
/// in batches instead of interrupting the thread; older kernels get a plain ring.
pub(crate) fn new_ring(connections: usize) -> io::Result<IoUring> {
    let ops = (connections.max(1) * OPS_PER_CONNECTION).next_power_of_two();
    let sq = ops.clamp(64, MAX_SQ_ENTRIES) as u32;
    let cq = ops.clamp(128, MAX_CQ_ENTRIES) as u32;
    let deferred = IoUring::builder()
        .setup_cqsize(cq)
        .setup_single_issuer()
        .setup_defer_taskrun()
        .build(sq);
    let ring = match deferred {
        Ok(ring) => ring,
        Err(_) => IoUring::builder().setup_cqsize(cq).build(sq)?,
    };
    // A table of registered files, one per connection (the loop falls back to plain
    // descriptors when the kernel refuses it).
    let _ = ring
        .submitter()
        .register_files_sparse(u32::try_from(connections.max(1)).unwrap_or(u32::MAX));
    Ok(ring)
}

/// What a job on the ring needs from the thread that runs it.
pub(crate) struct JobContext<'a> {
    pub(crate) job: &'a ThreadJob,
    pub(crate) mix: &'a Arc<Vec<RequestTemplate>>,
    pub(crate) destination: &'a Destination,
    pub(crate) runtime: &'a tokio::runtime::Runtime,
}

impl std::fmt::Debug for JobContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext").finish_non_exhaustive()
    }
}

/// The slots a job runs over, by position in the thread's list.
pub(crate) type Slots = Vec<Slot>;
