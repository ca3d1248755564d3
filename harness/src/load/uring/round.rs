//! One connection on the ring: its socket and buffers, and where it is in its current round
//! (one request, or one pipelined batch, written and answered). Received bytes are parsed and
//! settled here exactly as the epoll path does it, answer by answer.

use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::Instant;

use crate::load::conn::{MIN_READ_BYTES, body_of, parse_response};
use crate::load::settle::{Answered, settle};
use crate::load::slot::Slot;
use crate::load::{ErrorKind, RequestTemplate};

use super::JobContext;

/// Where a connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting to start its next round.
    Idle,
    /// A round's request is out and its answers are coming.
    Busy,
    /// Every answer of the round came; waiting for the last operation to complete.
    Answered,
    /// The round failed; the socket is closed once its operations have completed.
    Failed,
    /// The job is over for this connection.
    Done,
}

/// What a receive brought.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Progress {
    /// The round needs more bytes: receive again.
    More,
    /// Every answer of the round came.
    Answered,
    /// The round failed; its unanswered requests were counted as errors of this kind.
    Failed,
}

/// A connection and its round.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) stream: Option<TcpStream>,
    /// Received bytes of the current round (responses parsed in place).
    buf: Vec<u8>,
    /// A pipelined round's requests, written at once (a single request is sent from its
    /// template).
    out: Vec<u8>,
    pub(super) phase: Phase,
    /// Operations of this connection in flight on the ring.
    pub(super) ops: u8,
    /// Bytes of the round's request(s) sent so far, and in all.
    pub(super) written: usize,
    send_len: usize,
    /// The mix position of the round's first request, how many requests it has, how many were
    /// answered, and where the next answer starts in `buf`.
    first: usize,
    depth: usize,
    got: usize,
    parsed: usize,
    /// When the round was submitted.
    pub(super) start: Instant,
    /// Open loop: when the round was meant to be sent (latency runs from there).
    intended: Option<Instant>,
    /// After a failed reconnect: not before this.
    pub(super) retry_at: Option<Instant>,
    /// The connection must be reopened before its next round.
    close_after: bool,
}

impl Conn {
    pub(super) fn new(stream: Option<TcpStream>, buf: Vec<u8>, now: Instant) -> Self {
        Self {
            stream,
            buf,
            out: Vec::new(),
            phase: Phase::Idle,
            ops: 0,
            written: 0,
            send_len: 0,
            first: 0,
            depth: 0,
            got: 0,
            parsed: 0,
            start: now,
            intended: None,
            retry_at: None,
            close_after: false,
        }
    }

    /// The buffer, for handing the socket back to the epoll path.
    pub(super) fn take_buf(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Gives up the buffers without freeing them: the kernel may still write to them.
    pub(super) fn leak_buffers(&mut self) {
        let _ = std::mem::take(&mut self.buf).leak();
        let _ = std::mem::take(&mut self.out).leak();
    }

    pub(super) fn fd(&self) -> Option<i32> {
        self.stream.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// Prepares a round of `depth` requests from the slot's place in the mix.
    pub(super) fn begin(
        &mut self,
        slot: &mut Slot,
        mix: &[RequestTemplate],
        depth: usize,
        intended: Option<Instant>,
    ) {
        self.intended = intended;
        self.first = slot.next_request;
        self.depth = depth;
        self.got = 0;
        self.parsed = 0;
        self.written = 0;
        self.buf.clear();
        if depth == 1 {
            self.send_len = mix[slot.next_request].bytes.len();
            slot.next_request = (slot.next_request + 1) % mix.len();
        } else {
            self.out.clear();
            for _ in 0..depth {
                self.out.extend_from_slice(&mix[slot.next_request].bytes);
                slot.next_request = (slot.next_request + 1) % mix.len();
            }
            self.send_len = self.out.len();
        }
        self.phase = Phase::Busy;
        self.close_after = false;
    }

    /// The bytes of the round still to send. They stay where they are until the send
    /// completes: the mix is shared and unchanged during a job, `out` is only rewritten by
    /// the next `begin`.
    pub(super) fn unsent<'m>(&'m self, mix: &'m [RequestTemplate]) -> &'m [u8] {
        let all = if self.depth == 1 {
            &mix[self.first].bytes[..]
        } else {
            &self.out[..]
        };
        all.get(self.written..).unwrap_or_default()
    }

    /// Free space for the next receive, growing the buffer first when little is left (it
    /// never moves while a receive is in flight: this is called only to queue one).
    pub(super) fn spare(&mut self) -> (*mut u8, u32) {
        if self.buf.capacity() - self.buf.len() < MIN_READ_BYTES {
            // Doubling keeps large bodies to a few reads.
            self.buf.reserve(self.buf.capacity().max(MIN_READ_BYTES));
        }
        let spare = self.buf.spare_capacity_mut();
        let len = u32::try_from(spare.len()).unwrap_or(u32::MAX);
        (spare.as_mut_ptr().cast::<u8>(), len)
    }

    /// Takes in `n` bytes the kernel wrote into the spare space, and settles every answer they
    /// complete, timed as done at `now`.
    #[allow(unsafe_code)]
    pub(super) fn received(
        &mut self,
        n: usize,
        slot: &mut Slot,
        ctx: &JobContext<'_>,
        now: Instant,
    ) -> Progress {
        let len = self.buf.len() + n;
        if len > self.buf.capacity() {
            return self.fail(ctx, ErrorKind::Io);
        }
        // SAFETY: the completed receive wrote `n` initialised bytes right after `len()`, into
        // the spare capacity `spare` offered, and no other code touched the buffer meanwhile.
        unsafe { self.buf.set_len(len) };
        let mix = &ctx.mix[..];
        loop {
            let (mut info, consumed) = match parse_response(&self.buf[self.parsed..]) {
                Err(kind) => return self.fail(ctx, kind),
                Ok(None) => return Progress::More,
                Ok(Some(parsed)) => parsed,
            };
            // No pipelining: anything after the one response is a protocol error, and the
            // answer does not count (as on the epoll path).
            if self.depth == 1 && consumed != self.buf.len() {
                return self.fail(ctx, ErrorKind::Parse);
            }
            info.body = info.body.start + self.parsed..info.body.end + self.parsed;
            slot.answers += 1;
            let request = &mix[(self.first + self.got) % mix.len()];
            let answered = Answered {
                status: info.status,
                body: &body_of(&self.buf, &info),
                nth: slot.answers,
            };
            let from = self.intended.unwrap_or(self.start);
            let ok = settle(ctx.job, request, answered, self.start, from, now);
            ctx.job.count_success(&mut slot.job_successes, ok);
            self.got += 1;
            self.parsed += consumed;
            if info.close && self.got < self.depth {
                // The server closed in the middle of the batch: the rest is lost.
                return self.fail(ctx, ErrorKind::Io);
            }
            if self.got == self.depth {
                // Bytes after the last answer leave the connection unusable; every request
                // was answered, so there is nothing to count (as on the epoll path).
                self.close_after = info.close || self.parsed != self.buf.len();
                self.phase = Phase::Answered;
                return Progress::Answered;
            }
        }
    }

    /// Fails the round: every unanswered request of it is an error of `kind`.
    pub(super) fn fail(&mut self, ctx: &JobContext<'_>, kind: ErrorKind) -> Progress {
        if self.phase == Phase::Busy || self.phase == Phase::Answered {
            for _ in self.got..self.depth {
                ctx.job.error(kind);
            }
        }
        self.got = self.depth;
        self.phase = Phase::Failed;
        self.close_after = true;
        if self.ops > 0
            && let Some(stream) = &self.stream
        {
            // Ends the operations still in flight (a receive returns 0) so the socket can close.
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        Progress::Failed
    }

    /// Once no operation is in flight: closes the socket when the round asked for it and
    /// makes the connection ready for its next round. True when it became ready.
    pub(super) fn settle_down(&mut self) -> bool {
        if self.ops > 0 || !matches!(self.phase, Phase::Answered | Phase::Failed) {
            return false;
        }
        if self.close_after {
            self.stream = None;
            self.close_after = false;
        }
        self.phase = Phase::Idle;
        true
    }
}
