//! The load client as its caller sees it: a pool of client threads, one per client CPU, pinned,
//! each owning its share of the connections (wrk's model: no work stealing, no locks on the hot
//! path). Connections stay open between runs, so a benchmark pays for connection setup once, and
//! a [`Stream`] can keep them busy while windows are timed inside it. Each run or stream is a
//! job handed to every thread, whose reports are gathered here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::backend::{IoBackend, IoChoice};
use super::job::{Event, Job, JobShared};
use super::slot::Destination;
use super::stream::Stream;
use super::tally::Tally;
use super::timeline::{Boundary, MOST_INTERVALS, TimedRun, TimelineBuilder};
use super::worker::worker_main;
use super::{LoadEnd, LoadError, LoadPlan, RequestTemplate, Sample};
use crate::cpus::CpuSet;

/// Open connections to one server, ready to run plans.
#[derive(Debug)]
pub struct LoadClient {
    workers: Vec<Worker>,
    connections: usize,
    io: IoBackend,
}

/// One client thread, and where its jobs are sent (dropped to end the thread).
#[derive(Debug)]
struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

/// A timeline's interval and who hears of each boundary.
type Ticks<'a> = (Duration, &'a mut dyn FnMut(&Boundary));

/// A job handed to the client threads: what they share, their reports, and window ends.
type Launched = (
    Arc<JobShared>,
    mpsc::Receiver<Event>,
    mpsc::Receiver<Instant>,
);

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
            let destination = Destination {
                addr,
                sources: Arc::clone(&sources),
            };
            let thread = std::thread::Builder::new()
                .name(format!("stampede-load-{t}"))
                .spawn(move || worker_main(cpu, destination, indexes, mix, jobs_rx, ready, io))
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
    pub fn run(&mut self, plan: &LoadPlan) -> Result<Sample, LoadError> {
        Ok(self.run_timed(plan, None)?.whole)
    }

    /// Runs `plan` like [`run`](Self::run), and also counts it per interval of `every`,
    /// calling `at_boundary` when an interval ends (its number from 1, with the attempts
    /// finished so far) and when the run starts (number 0), to read the server's meters there.
    pub fn run_with_timeline(
        &mut self,
        plan: &LoadPlan,
        every: Duration,
        at_boundary: &mut dyn FnMut(&Boundary),
    ) -> Result<TimedRun, LoadError> {
        if every.is_zero() {
            return Err(LoadError::Plan(
                "a timeline needs an interval above zero".into(),
            ));
        }
        if let LoadEnd::Duration(length) = plan.stop
            && length.as_secs_f64() / every.as_secs_f64() > MOST_INTERVALS as f64
        {
            return Err(LoadError::Plan(format!(
                "a timeline holds at most {MOST_INTERVALS} intervals: over {length:?}, use \
                 intervals of at least {:?}",
                length / u32::try_from(MOST_INTERVALS).unwrap_or(u32::MAX)
            )));
        }
        self.run_timed(plan, Some((every, at_boundary)))
    }

    fn run_timed(
        &mut self,
        plan: &LoadPlan,
        mut ticks: Option<Ticks<'_>>,
    ) -> Result<TimedRun, LoadError> {
        if plan.stop == LoadEnd::Finish {
            return Err(LoadError::Plan(
                "a plan that stops when finished needs `LoadClient::stream`".into(),
            ));
        }
        let threads = self.workers.len();
        let (shared, events, _window_ends) = self.launch(plan)?;
        let mut timeline = ticks.as_mut().map(|(every, at_boundary)| {
            // Interval n counts in epoch 2n - 1: every epoch a window, so an attempt that ends
            // on a boundary is counted in the interval it ends in (job.rs).
            shared.epoch.store(1, Ordering::SeqCst);
            at_boundary(&Boundary::now(0, &shared));
            TimelineBuilder::new(shared.started, *every, plan, threads)
        });
        let mut total = Tally::new(0);
        let mut per_connection = vec![0; self.connections];
        let mut done = 0;
        while done < threads {
            let event = match timeline.as_ref().and_then(TimelineBuilder::next_boundary) {
                Some(at) => match events.recv_timeout(at.saturating_duration_since(Instant::now()))
                {
                    Ok(event) => Ok(event),
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if let (Some(timeline), Some((_, at_boundary))) =
                            (timeline.as_mut(), ticks.as_mut())
                        {
                            let ended = timeline.tick();
                            shared.epoch.store(2 * ended + 1, Ordering::SeqCst);
                            at_boundary(&Boundary::now(ended, &shared));
                        }
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => Err(()),
                },
                None => events.recv().map_err(|_| ()),
            };
            match event {
                Ok(Event::Tally(tally)) => {
                    if let Some(timeline) = timeline.as_mut() {
                        timeline.absorb(&tally);
                    }
                    total.merge(&tally);
                }
                Ok(Event::Done(counts)) => {
                    done += 1;
                    for (index, n) in counts {
                        if let Some(slot) = per_connection.get_mut(index) {
                            *slot = n;
                        }
                    }
                }
                Err(()) => {
                    return Err(LoadError::Client(
                        "a client thread died during the run".into(),
                    ));
                }
            }
        }
        let mut whole = total.into_sample(shared.started.elapsed(), threads);
        whole.per_connection = per_connection;
        whole.io = self.io;
        let intervals = match (timeline, ticks.as_mut()) {
            (Some(timeline), Some((_, at_boundary))) => {
                let intervals = timeline.finish();
                at_boundary(&Boundary::now(intervals.len() as u64, &shared));
                intervals
            }
            _ => Vec::new(),
        };
        Ok(TimedRun { whole, intervals })
    }

    /// Starts `plan` (closed loop, [`LoadEnd::Finish`]) and returns at once: the load keeps
    /// running until the stream is finished or dropped, while the caller times windows in it.
    pub fn stream(&mut self, plan: &LoadPlan) -> Result<Stream<'_>, LoadError> {
        if plan.stop != LoadEnd::Finish || plan.rate_per_sec.is_some() {
            return Err(LoadError::Plan(
                "a stream is a closed loop that stops when finished".into(),
            ));
        }
        let (shared, events, window_ends) = self.launch(plan)?;
        Ok(Stream::new(self, shared, events, window_ends))
    }

    /// Hands `plan` to every client thread as one job; stops it again if a thread is gone.
    fn launch(&mut self, plan: &LoadPlan) -> Result<Launched, LoadError> {
        if let Some(problem) = plan.problem() {
            return Err(LoadError::Plan(problem));
        }
        let shared = Arc::new(JobShared::new(plan, self.connections));
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

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::time::Duration;

    use super::*;

    /// A client of one connection to a listener that never answers (the kernel accepts it).
    fn idle_client() -> (TcpListener, LoadClient) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mix = vec![RequestTemplate::get(addr, "/")];
        let client =
            LoadClient::connect_with(addr, 1, &CpuSet::new(vec![]), mix, IoChoice::Epoll).unwrap();
        (listener, client)
    }

    #[test]
    fn a_client_needs_a_connection_and_a_request() {
        let addr = "127.0.0.1:9".parse().unwrap();
        let mix = vec![RequestTemplate::get(addr, "/")];
        let none = LoadClient::connect_with(addr, 0, &CpuSet::new(vec![]), mix, IoChoice::Epoll);
        assert!(matches!(none, Err(LoadError::Plan(_))));
        let empty =
            LoadClient::connect_with(addr, 1, &CpuSet::new(vec![]), vec![], IoChoice::Epoll);
        assert!(matches!(empty, Err(LoadError::Plan(_))));
    }

    #[test]
    fn a_client_with_one_connection_has_one_thread_on_the_backend_asked_for() {
        let (_listener, client) = idle_client();
        assert_eq!((client.connections(), client.threads()), (1, 1));
        assert_eq!(client.io(), IoBackend::Epoll);
    }

    #[test]
    fn a_plan_that_stops_when_finished_is_streamed_not_run() {
        let (_listener, mut client) = idle_client();
        let forever = LoadPlan::stream(Duration::from_secs(60));
        assert!(matches!(client.run(&forever), Err(LoadError::Plan(_))));
        let counted = LoadPlan::requests(1);
        assert!(matches!(client.stream(&counted), Err(LoadError::Plan(_))));
        let paced = forever.with_rate(100.0);
        assert!(matches!(client.stream(&paced), Err(LoadError::Plan(_))));
    }

    #[test]
    fn a_plan_with_a_problem_is_refused_before_any_thread_starts_it() {
        let (_listener, mut client) = idle_client();
        let plan = LoadPlan::requests(1).with_pipeline(0);
        assert!(matches!(client.run(&plan), Err(LoadError::Plan(_))));
    }
}
