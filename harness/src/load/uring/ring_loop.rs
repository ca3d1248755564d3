//! The load loop on a ring: start a round on every ready connection (a send and a receive
//! queued each), submit them all and wait for the first completion in one `io_uring_enter`,
//! handle every completion that is there, repeat. A connection whose answers are all in starts
//! its next round in the same batch as the others, so the kernel is entered once per batch,
//! not once or twice per request. In an open loop a ready connection is scheduled instead
//! ([`Pacing`]) and its round starts at its intended time.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use io_uring::{IoUring, opcode, squeue, types};

use super::pacing::Pacing;
use super::round::{Conn, Phase, Progress};
use super::{JobContext, Slots};
use crate::load::conn::Connection;
use crate::load::job::EPOCH_TICK;
use crate::load::settle::note_send;
use crate::load::slot::{RECONNECT_PAUSE, Slot};
use crate::load::{ErrorKind, LoadPlan};

/// The low bit of an operation's user data: which operation; the rest: the connection.
const SEND: u64 = 0;
const RECV: u64 = 1;
/// `IORING_RECVSEND_POLL_FIRST` (Linux 5.19; older kernels ignore it): a receive waits for
/// data before trying, instead of trying at once on a socket whose answer cannot be there yet
/// (the request was queued with it) and failing. Saves a `tcp_recvmsg` per request.
const RECV_POLL_FIRST: u16 = 1;
/// A registered file's number is the connection's position; -1 empties the entry.
const NO_FILE: i32 = -1;

/// Runs one job over `slots` on `ring`; the slots' connections go back to the epoll path's
/// form afterwards, so the next job can run on either.
pub(crate) fn run_job(ring: &mut IoUring, slots: &mut Slots, ctx: &JobContext<'_>) {
    let shared = &ctx.job.shared;
    let pacing = Pacing::new(
        shared.plan.rate_per_sec,
        shared.started,
        shared.total_connections,
        slots.len(),
    );
    if pacing.is_some() {
        // The ring's waits end at the due sends only if the kernel does not add its default
        // 50 us of timer slack to them.
        let _ = nix::sys::prctl::set_timerslack(1);
    }
    let now = Instant::now();
    let mut conns: Vec<Conn> = slots
        .iter_mut()
        .map(|slot| match slot.conn.take().map(Connection::into_parts) {
            Some(Ok((stream, buf))) => Conn::new(Some(stream), buf, now),
            Some(Err(_)) | None => Conn::new(None, Vec::new(), now),
        })
        .collect();
    // Registered files spare the kernel a file lookup per operation; the table is emptied
    // after the job so it holds no socket the epoll path may close.
    let fds: Vec<i32> = conns.iter().map(|c| c.fd().unwrap_or(NO_FILE)).collect();
    let fixed = ring.submitter().register_files_update(0, &fds).is_ok();
    let mut ring_loop = RingLoop {
        ring,
        ready: (0..conns.len()).collect(),
        waiting: Vec::new(),
        started: Vec::new(),
        submitted_early: Vec::new(),
        done: Vec::with_capacity(conns.len()),
        in_flight: 0,
        fixed,
    };
    ring_loop.run(&mut conns, slots, ctx, pacing);
    if fixed {
        let _ = ring_loop
            .ring
            .submitter()
            .register_files_update(0, &vec![NO_FILE; fds.len()]);
    }
    let _entered = ctx.runtime.enter();
    for (conn, slot) in conns.iter_mut().zip(slots.iter_mut()) {
        let buf = conn.take_buf();
        slot.conn = conn
            .stream
            .take()
            .and_then(|stream| Connection::from_parts(stream, buf).ok());
    }
}

struct RingLoop<'r> {
    ring: &'r mut IoUring,
    /// Connections to start a round on.
    ready: Vec<usize>,
    /// Connections waiting to reconnect.
    waiting: Vec<usize>,
    /// Connections whose round was queued in this batch (their start time is set at submit).
    started: Vec<usize>,
    /// Connections of this batch whose round went to the kernel early, when the queue filled,
    /// and when: timed from then, or a round would be timed from after its own write.
    submitted_early: Vec<(usize, Instant)>,
    /// Completions of this batch: user data and result.
    done: Vec<(u64, i32)>,
    /// Operations queued or in flight.
    in_flight: usize,
    /// Operations name the connection's registered file (its position), not its descriptor.
    fixed: bool,
}

impl RingLoop<'_> {
    fn run(
        &mut self,
        conns: &mut [Conn],
        slots: &mut Slots,
        ctx: &JobContext<'_>,
        mut pacing: Option<Pacing>,
    ) {
        let plan = &ctx.job.shared.plan;
        let depth = plan.pipeline.max(1);
        let mut next_tick = Instant::now() + EPOCH_TICK;
        let mut last_stall = Instant::now();
        loop {
            let now = Instant::now();
            for pos in std::mem::take(&mut self.ready) {
                let (conn, slot) = (&mut conns[pos], &mut slots[pos]);
                // Fewer than `depth` when a counted run's budget is nearly spent.
                let allowed = ctx.job.shared.allowed(now, depth);
                if allowed == 0 {
                    conn.phase = Phase::Done;
                } else if let Some(pacing) = pacing.as_mut() {
                    pacing.schedule(pos, slot.index, now);
                } else {
                    self.start(pos, conn, slot, ctx, now, allowed, None);
                }
            }
            if let Some(pacing) = pacing.as_mut() {
                loop {
                    let sent = Instant::now();
                    let Some((pos, at, free_at)) = pacing.pop_due(sent) else {
                        break;
                    };
                    note_send(ctx.job, at, free_at, sent);
                    self.start(
                        pos,
                        &mut conns[pos],
                        &mut slots[pos],
                        ctx,
                        sent,
                        1,
                        Some(at),
                    );
                }
            }
            let sent_at = Instant::now();
            for pos in self.started.drain(..) {
                conns[pos].start = sent_at;
            }
            for (pos, at) in self.submitted_early.drain(..) {
                conns[pos].start = at;
            }
            if self.in_flight == 0
                && self.waiting.is_empty()
                && pacing.as_ref().is_none_or(Pacing::is_empty)
            {
                // Every connection is done: none has a round, a send or a reconnect pending.
                break;
            }
            let most = if self.waiting.is_empty() {
                EPOCH_TICK
            } else {
                RECONNECT_PAUSE
            };
            let most = pacing
                .as_ref()
                .map_or(most, |p| p.wait_at_most(Instant::now(), most));
            if !self.wait(most) {
                abandon(conns, ctx);
                return;
            }
            let now = Instant::now();
            self.done
                .extend(self.ring.completion().map(|c| (c.user_data(), c.result())));
            for (data, result) in std::mem::take(&mut self.done) {
                let pos = usize::try_from(data >> 1).unwrap_or(usize::MAX);
                let (Some(conn), Some(slot)) = (conns.get_mut(pos), slots.get_mut(pos)) else {
                    continue;
                };
                self.in_flight -= 1;
                conn.ops -= 1;
                self.complete(pos, data & 1, result, conn, slot, ctx, now);
                if conn.settle_down() {
                    self.ready.push(pos);
                    if conn.stream.is_none() {
                        self.register(pos, NO_FILE);
                    }
                }
            }
            if now >= next_tick {
                next_tick = now + EPOCH_TICK;
                self.tick(conns, ctx, plan, now, &mut last_stall);
            }
            if !self.waiting.is_empty() {
                self.retry_due(conns, now);
            }
        }
    }

    /// Starts connection `pos`'s next round of `depth` requests (timed from `intended` in an
    /// open loop), reconnecting first if needed.
    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        pos: usize,
        conn: &mut Conn,
        slot: &mut Slot,
        ctx: &JobContext<'_>,
        now: Instant,
        depth: usize,
        intended: Option<Instant>,
    ) {
        if conn.stream.is_none() {
            match reopen(ctx, slot.index) {
                Ok((stream, buf)) => {
                    *conn = Conn::new(Some(stream), buf, now);
                    self.register(pos, conn.fd().unwrap_or(NO_FILE));
                }
                Err(kind) => {
                    ctx.job.error(kind);
                    conn.retry_at = Some(now + RECONNECT_PAUSE);
                    self.waiting.push(pos);
                    return;
                }
            }
        }
        let Some(fd) = conn.fd() else {
            return;
        };
        conn.begin(slot, &ctx.mix[..], depth, intended);
        // Listed before its operations are queued: one that fills the queue submits it.
        self.started.push(pos);
        self.push_send(pos, fd, conn, &ctx.mix[..]);
        self.push_recv(pos, fd, conn);
    }

    #[allow(clippy::too_many_arguments)]
    fn complete(
        &mut self,
        pos: usize,
        op: u64,
        result: i32,
        conn: &mut Conn,
        slot: &mut Slot,
        ctx: &JobContext<'_>,
        now: Instant,
    ) {
        if conn.phase != Phase::Busy {
            // A late completion of a failed or finished round: nothing to count.
            return;
        }
        let Some(fd) = conn.fd() else {
            return;
        };
        let Ok(n) = usize::try_from(result) else {
            conn.fail(ctx, ErrorKind::Io);
            return;
        };
        if op == SEND {
            conn.written += n;
            if n == 0 {
                conn.fail(ctx, ErrorKind::Io);
            } else if !conn.unsent(&ctx.mix[..]).is_empty() {
                self.push_send(pos, fd, conn, &ctx.mix[..]);
            }
            return;
        }
        if n == 0 {
            // The server closed the connection before the round's last answer.
            conn.fail(ctx, ErrorKind::Io);
            return;
        }
        if conn.received(n, slot, ctx, now) == Progress::More {
            self.push_recv(pos, fd, conn);
        }
    }

    /// Hands over the epoch's counts, simulates a client stall when the plan asks for one, and
    /// fails rounds that outlived the request timeout.
    fn tick(
        &mut self,
        conns: &mut [Conn],
        ctx: &JobContext<'_>,
        plan: &LoadPlan,
        now: Instant,
        last_stall: &mut Instant,
    ) {
        drop(ctx.job.tally());
        if let Some((period, length)) = plan.client_stall
            && last_stall.elapsed() >= period
        {
            // Deliberately blocks the whole thread: that is the stall being simulated.
            std::thread::sleep(length);
            *last_stall = Instant::now();
        }
        for (pos, conn) in conns.iter_mut().enumerate() {
            if conn.phase == Phase::Busy && now.duration_since(conn.start) > plan.request_timeout {
                conn.fail(ctx, ErrorKind::Timeout);
                if conn.settle_down() {
                    self.ready.push(pos);
                }
            }
        }
    }

    /// Makes the connections whose reconnect pause is over ready again.
    fn retry_due(&mut self, conns: &mut [Conn], now: Instant) {
        let mut still = Vec::new();
        for pos in self.waiting.drain(..) {
            if conns[pos].retry_at.is_some_and(|at| at > now) {
                still.push(pos);
            } else {
                conns[pos].retry_at = None;
                self.ready.push(pos);
            }
        }
        self.waiting = still;
    }

    /// Submits what is queued and waits for a completion, at most `timeout`. False when the
    /// ring itself failed.
    fn wait(&mut self, timeout: Duration) -> bool {
        let ts = types::Timespec::from(timeout);
        let args = types::SubmitArgs::new().timespec(&ts);
        match self.ring.submitter().submit_with_args(1, &args) {
            Ok(_) => true,
            Err(e) => matches!(
                e.raw_os_error(),
                Some(nix::libc::ETIME | nix::libc::EINTR | nix::libc::EBUSY | nix::libc::EAGAIN)
            ),
        }
    }

    /// Points registered file `pos` at `fd` (or empties it), so a closed socket is not kept
    /// open by the table and a reopened one is found.
    fn register(&mut self, pos: usize, fd: i32) {
        if self.fixed {
            let offset = u32::try_from(pos).unwrap_or(u32::MAX);
            self.fixed = self
                .ring
                .submitter()
                .register_files_update(offset, &[fd])
                .is_ok();
        }
    }

    fn push_send(
        &mut self,
        pos: usize,
        fd: i32,
        conn: &mut Conn,
        mix: &[crate::load::RequestTemplate],
    ) {
        let bytes = conn.unsent(mix);
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let entry = if self.fixed {
            opcode::Send::new(fixed(pos), bytes.as_ptr(), len)
                .flags(nix::libc::MSG_NOSIGNAL)
                .build()
        } else {
            opcode::Send::new(types::Fd(fd), bytes.as_ptr(), len)
                .flags(nix::libc::MSG_NOSIGNAL)
                .build()
        };
        self.push(entry.user_data(((pos as u64) << 1) | SEND));
        conn.ops += 1;
    }

    fn push_recv(&mut self, pos: usize, fd: i32, conn: &mut Conn) {
        let (ptr, len) = conn.spare();
        let entry = if self.fixed {
            opcode::Recv::new(fixed(pos), ptr, len)
                .ioprio(RECV_POLL_FIRST)
                .build()
        } else {
            opcode::Recv::new(types::Fd(fd), ptr, len)
                .ioprio(RECV_POLL_FIRST)
                .build()
        };
        self.push(entry.user_data(((pos as u64) << 1) | RECV));
        conn.ops += 1;
    }

    /// Queues `entry`, submitting what is queued first when the queue is full.
    #[allow(unsafe_code)]
    fn push(&mut self, entry: squeue::Entry) {
        loop {
            // SAFETY: the buffers an entry points to outlive its operation: a connection's
            // receive space and pipelined requests are not touched until its completions are
            // in (see `Conn::spare`, `Conn::unsent`), the mix outlives the job, and the job does
            // not end while an operation is in flight (or leaks the buffers, see `abandon`).
            if unsafe { self.ring.submission().push(&entry) }.is_ok() {
                self.in_flight += 1;
                return;
            }
            // The rounds queued so far are written now, not when the batch is submitted.
            let now = Instant::now();
            self.submitted_early
                .extend(self.started.drain(..).map(|pos| (pos, now)));
            let _ = self.ring.submit();
        }
    }
}

/// The registered file of the connection at `pos`.
fn fixed(pos: usize) -> types::Fixed {
    types::Fixed(u32::try_from(pos).unwrap_or(u32::MAX))
}

/// Opens connection `index` again, through the thread's runtime, and takes it off tokio.
fn reopen(ctx: &JobContext<'_>, index: usize) -> Result<(TcpStream, Vec<u8>), ErrorKind> {
    let conn = ctx.runtime.block_on(ctx.destination.open(index))?;
    conn.into_parts().map_err(|_| ErrorKind::Connect)
}

/// The ring failed (it should not): every round in progress is an I/O error, and the
/// connections are closed. The kernel may still own their buffers, so they are leaked rather
/// than freed under it.
fn abandon(conns: &mut [Conn], ctx: &JobContext<'_>) {
    for conn in conns.iter_mut() {
        if conn.phase == Phase::Busy {
            conn.fail(ctx, ErrorKind::Io);
        }
        if conn.ops > 0 {
            conn.leak_buffers();
        }
        conn.stream = None;
        conn.phase = Phase::Done;
    }
}
