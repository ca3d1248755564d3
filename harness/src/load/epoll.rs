//! The epoll backend: one tokio task per connection on the thread's single-threaded runtime,
//! each writing a round (one request, or a pipelined batch in one write) and reading its
//! answers in order, until the job allows no more attempts.

use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::job::{EPOCH_TICK, ThreadJob};
use super::settle::{Answered, note_send, settle};
use super::slot::{Destination, RECONNECT_PAUSE, Slot};
use super::{ErrorKind, RequestTemplate};

/// Runs one job over `slots` (taken out and put back in order): a task per connection, and a
/// ticker that hands over an idle thread's counts when the epoch moves and simulates stalls.
pub(crate) async fn run_job(
    slots: &mut Vec<Slot>,
    job: &Rc<ThreadJob>,
    mix: &Arc<Vec<RequestTemplate>>,
    destination: &Destination,
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
            tokio::task::spawn_local(drive(
                slot,
                Rc::clone(job),
                Arc::clone(mix),
                destination.clone(),
            ))
        })
        .collect();
    for handle in handles {
        if let Ok(slot) = handle.await {
            slots.push(slot);
        }
    }
    ticker.abort();
}

/// One connection's loop for one job. Every round is a pipeline, of one request when the plan
/// does not pipeline (or its budget has one attempt left). A round of one costs what
/// `Connection::round_trip` did: its request is written straight from the mix (only a batch
/// is copied into one buffer), its answer goes into a vector allocated once per connection
/// and job, and its completion time is the only clock read after the write. The one rule
/// that differs by depth: bytes after the answer to a single request make that answer a
/// parse error, as `round_trip` and the io_uring backend have it, where a batch keeps its
/// answers.
async fn drive(
    mut slot: Slot,
    job: Rc<ThreadJob>,
    mix: Arc<Vec<RequestTemplate>>,
    destination: Destination,
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
            match destination.open(slot.index).await {
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
        let first = slot.next_request;
        slot.next_request = (first + depth) % mix.len();
        let bytes: &[u8] = if depth == 1 {
            &mix[first].bytes
        } else {
            batch.clear();
            for i in 0..depth {
                batch.extend_from_slice(&mix[(first + i) % mix.len()].bytes);
            }
            &batch
        };
        let start = Instant::now();
        let outcome = tokio::time::timeout(
            plan.request_timeout,
            conn.pipeline(bytes, depth, &mut answers),
        )
        .await;
        let failed = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(kind)) => Some(kind),
            Err(_elapsed) => Some(ErrorKind::Timeout),
        };
        if failed.is_some() && depth == 1 {
            // A round of one fails whole: `pipeline` fails a full round only for bytes after
            // its last answer, which with one request make the answer a parse error.
            answers.clear();
        }
        // The round ended with its last answer, or now when it failed.
        now = match (failed, answers.last()) {
            (None, Some(&(_, done))) => done,
            _ => Instant::now(),
        };
        // Open loop never pipelines (`LoadPlan::problem`), so a batch is timed from its write.
        let from = intended.unwrap_or(start);
        for (i, (info, done)) in answers.iter().enumerate() {
            slot.answers += 1;
            let answered = Answered {
                status: info.status,
                body: &conn.body(info),
                nth: slot.answers,
            };
            let request = &mix[(first + i) % mix.len()];
            let ok = settle(&job, request, answered, start, from, *done);
            job.count_success(&mut slot.job_successes, ok);
        }
        if let Some(kind) = failed {
            // Every request of the round without an answer failed with it.
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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::load::LoadPlan;
    use crate::load::job::test_job;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    const OK_THEN_CLOSE: &[u8] =
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";

    /// What a scripted server does on one connection: read this many requests, then write
    /// these bytes.
    type Step = (usize, Vec<u8>);

    fn replies(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    /// A loopback server that plays `script[n]` on its `n`-th connection, then holds the
    /// connection open until the client closes it. Its task ends with the number of
    /// connections it accepted once it has accepted them all.
    async fn scripted(script: Vec<Vec<Step>>) -> (SocketAddr, tokio::task::JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let connections = script.len();
            for steps in script {
                let (mut socket, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let (mut buf, mut seen) = (Vec::new(), 0);
                    for (requests, reply) in steps {
                        let mut chunk = [0; 4096];
                        while ends_of_heads(&buf) < seen + requests {
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        seen += requests;
                        if socket.write_all(&reply).await.is_err() {
                            return;
                        }
                    }
                    let mut rest = Vec::new();
                    let _ = socket.read_to_end(&mut rest).await;
                });
            }
            connections
        });
        (addr, server)
    }

    fn ends_of_heads(bytes: &[u8]) -> usize {
        bytes.windows(4).filter(|w| w == b"\r\n\r\n").count()
    }

    /// Drives one connection to `addr` through `plan` and returns what it counted: the
    /// successes, the errors by kind and the connection's answer count.
    async fn drive_one(addr: SocketAddr, plan: &LoadPlan) -> (u64, Vec<(ErrorKind, u64)>, u64) {
        let (job, _, _) = test_job(plan, 1);
        let job = Rc::new(job);
        let mix = Arc::new(vec![RequestTemplate::get(addr, "/")]);
        let destination = Destination {
            addr,
            sources: Arc::new(Vec::new()),
        };
        let slot = drive(
            Slot::new(0, None, mix.len()),
            Rc::clone(&job),
            mix,
            destination,
        )
        .await;
        let tally = job.tally();
        let errors = ErrorKind::ALL
            .into_iter()
            .map(|kind| (kind, tally.errors[kind.index()]))
            .filter(|&(_, n)| n > 0)
            .collect();
        (tally.requests, errors, slot.answers)
    }

    async fn accepted(server: tokio::task::JoinHandle<usize>) -> usize {
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("the client opened every connection the script expects")
            .unwrap()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn single_requests_are_answered_one_by_one_on_one_connection() {
        let (addr, server) = scripted(vec![vec![(1, OK.to_vec()); 3]]).await;
        let counted = drive_one(addr, &LoadPlan::requests(3)).await;
        assert_eq!(counted, (3, vec![], 3));
        assert_eq!(accepted(server).await, 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bytes_after_the_answer_to_a_single_request_are_a_parse_error_and_reopen() {
        let (addr, server) = scripted(vec![
            vec![(1, replies(&[OK, b"junk"]))],
            vec![(1, OK.to_vec())],
        ])
        .await;
        let counted = drive_one(addr, &LoadPlan::requests(2)).await;
        assert_eq!(
            counted,
            (1, vec![(ErrorKind::Parse, 1)], 1),
            "the answer followed by junk does not count"
        );
        assert_eq!(accepted(server).await, 2);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bytes_after_a_whole_batch_keep_its_answers_and_reopen() {
        let (addr, server) = scripted(vec![
            vec![(2, replies(&[OK, OK, b"junk"]))],
            vec![(2, replies(&[OK, OK]))],
        ])
        .await;
        let plan = LoadPlan::requests(4).with_pipeline(2);
        assert_eq!(drive_one(addr, &plan).await, (4, vec![], 4));
        assert_eq!(accepted(server).await, 2);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_close_in_the_middle_of_a_batch_fails_its_unanswered_requests_as_io() {
        let (addr, server) = scripted(vec![vec![(3, OK_THEN_CLOSE.to_vec())]]).await;
        let plan = LoadPlan::requests(3).with_pipeline(3);
        assert_eq!(
            drive_one(addr, &plan).await,
            (1, vec![(ErrorKind::Io, 2)], 1)
        );
        assert_eq!(accepted(server).await, 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_answer_that_asks_to_close_makes_the_next_request_reopen() {
        let (addr, server) = scripted(vec![
            vec![(1, OK_THEN_CLOSE.to_vec())],
            vec![(1, OK.to_vec())],
        ])
        .await;
        assert_eq!(
            drive_one(addr, &LoadPlan::requests(2)).await,
            (2, vec![], 2)
        );
        assert_eq!(accepted(server).await, 2);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_last_attempts_of_a_budget_go_out_as_a_shorter_batch() {
        let (addr, server) = scripted(vec![vec![(2, replies(&[OK, OK])), (1, OK.to_vec())]]).await;
        let plan = LoadPlan::requests(3).with_pipeline(2);
        assert_eq!(drive_one(addr, &plan).await, (3, vec![], 3));
        assert_eq!(accepted(server).await, 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_unanswered_batch_times_out_request_by_request() {
        let (addr, server) = scripted(vec![vec![]]).await;
        let mut plan = LoadPlan::requests(2).with_pipeline(2);
        plan.request_timeout = Duration::from_millis(50);
        assert_eq!(
            drive_one(addr, &plan).await,
            (0, vec![(ErrorKind::Timeout, 2)], 0)
        );
        assert_eq!(accepted(server).await, 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_server_that_refuses_connections_makes_connect_errors() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        assert_eq!(
            drive_one(addr, &LoadPlan::requests(2)).await,
            (0, vec![(ErrorKind::Connect, 2)], 0)
        );
    }
}
