//! Precise waits for the open loop. tokio's timer wheel has 1 ms granularity, so waiting for an
//! intended send time with `sleep_until` adds up to a millisecond to every open-loop latency
//! (measured here: p50 ~1 ms where oha saw ~0.1 ms). One timerfd per client thread (a kernel
//! hrtimer) wakes the thread shortly before the earliest due send, and a yield loop covers the
//! last few microseconds without blocking the thread's other connections.

use std::cell::{Cell, RefCell};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::future::Future;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;
use tokio::sync::Notify;

/// How long before a due time the timerfd fires; the rest is covered by yielding. Wake-ups of
/// an idle core take a few to a few tens of microseconds.
const SPIN_BEFORE: Duration = Duration::from_micros(60);

/// A precise timer for the tasks of one client thread. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Pacer {
    shared: Rc<Shared>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer")
            .field("waiting", &self.shared.queue.borrow().len())
            .finish()
    }
}

struct Shared {
    queue: RefCell<BinaryHeap<Reverse<Entry>>>,
    next_seq: Cell<u64>,
    rearm: Notify,
}

struct Entry {
    at: Instant,
    seq: u64,
    slot: Rc<Slot>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
struct Slot {
    fired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Pacer {
    /// Creates the thread's timer and spawns its driver on `local`. Call with the thread's
    /// runtime entered (the timerfd registers with its reactor).
    #[allow(unsafe_code)]
    pub(crate) fn start(local: &tokio::task::LocalSet) -> std::io::Result<Self> {
        let timer = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )
        .map_err(std::io::Error::from)?;
        // SAFETY: the AsyncFd takes ownership of the TimerFd, whose OwnedFd stays open for as
        // long as the registration exists and is closed only after it is deregistered.
        let fd = unsafe { AsyncFd::register(Fd(timer)) }.map_err(std::io::Error::from)?;
        let shared = Rc::new(Shared {
            queue: RefCell::new(BinaryHeap::new()),
            next_seq: Cell::new(0),
            rearm: Notify::new(),
        });
        local.spawn_local(drive(Rc::clone(&shared), fd));
        Ok(Self { shared })
    }

    /// Waits until `at`, to within tens of microseconds on an idle core.
    pub(crate) fn until(&self, at: Instant) -> Until {
        Until {
            at,
            shared: Rc::clone(&self.shared),
            slot: None,
        }
    }
}

/// The future of [`Pacer::until`].
pub(crate) struct Until {
    at: Instant,
    shared: Rc<Shared>,
    slot: Option<Rc<Slot>>,
}

impl Future for Until {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.slot.as_ref().is_some_and(|s| s.fired.get()) || Instant::now() >= self.at {
            return Poll::Ready(());
        }
        if let Some(slot) = &self.slot {
            *slot.waker.borrow_mut() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let slot = Rc::new(Slot::default());
        *slot.waker.borrow_mut() = Some(cx.waker().clone());
        let earliest = self.shared.queue.borrow().peek().map(|e| e.0.at);
        let seq = self.shared.next_seq.get();
        self.shared.next_seq.set(seq + 1);
        self.shared.queue.borrow_mut().push(Reverse(Entry {
            at: self.at,
            seq,
            slot: Rc::clone(&slot),
        }));
        if earliest.is_none_or(|e| self.at < e) {
            self.shared.rearm.notify_one();
        }
        self.slot = Some(slot);
        Poll::Pending
    }
}

async fn drive(shared: Rc<Shared>, fd: AsyncFd<Fd>) {
    loop {
        let next = shared.queue.borrow().peek().map(|e| e.0.at);
        let Some(at) = next else {
            shared.rearm.notified().await;
            continue;
        };
        let now = Instant::now();
        if at <= now + SPIN_BEFORE {
            while Instant::now() < at {
                tokio::task::yield_now().await;
            }
            fire_due(&shared, Instant::now());
            continue;
        }
        let wait = at - SPIN_BEFORE - now;
        let armed = fd
            .get_ref()
            .0
            .set(
                Expiration::OneShot(TimeSpec::from_duration(wait)),
                TimerSetTimeFlags::empty(),
            )
            .is_ok();
        if !armed {
            // Should not happen; a coarse sleep keeps the loop alive rather than spinning.
            tokio::time::sleep(wait).await;
            continue;
        }
        tokio::select! {
            ready = fd.readable() => {
                if let Ok(mut guard) = ready {
                    let mut expirations = [0u8; 8];
                    let _ = guard.try_io(|f| {
                        nix::unistd::read(f.get_ref().0.as_fd(), &mut expirations)
                            .map_err(std::io::Error::from)
                    });
                }
            }
            () = shared.rearm.notified() => {}
        }
    }
}

fn fire_due(shared: &Shared, now: Instant) {
    let mut queue = shared.queue.borrow_mut();
    while queue.peek().is_some_and(|e| e.0.at <= now) {
        if let Some(Reverse(entry)) = queue.pop() {
            entry.slot.fired.set(true);
            if let Some(waker) = entry.slot.waker.borrow_mut().take() {
                waker.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_end_at_their_time_and_in_order_of_time() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        let pacer = {
            let _entered = runtime.enter();
            Pacer::start(&local).unwrap()
        };
        let woke: Rc<RefCell<Vec<(u32, Duration)>>> = Rc::default();
        let start = Instant::now();
        local.block_on(&runtime, async {
            let mut tasks = Vec::new();
            for (id, ms) in [(3u32, 9u64), (1, 2), (2, 5)] {
                let (pacer, woke) = (pacer.clone(), Rc::clone(&woke));
                tasks.push(tokio::task::spawn_local(async move {
                    let at = start + Duration::from_millis(ms);
                    pacer.until(at).await;
                    woke.borrow_mut().push((id, Instant::now() - start));
                    assert!(Instant::now() >= at);
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        });
        let order: Vec<u32> = woke.borrow().iter().map(|w| w.0).collect();
        assert_eq!(order, [1, 2, 3]);
    }
}
