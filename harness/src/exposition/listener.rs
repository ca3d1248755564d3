//! A tiny HTTP/1.1 listener for `GET /metrics`: one thread, one request per connection, so a
//! scrape costs the server under test nothing but the reading itself. It runs on the client's
//! side of the CPU split when the caller pins it there.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{CONTENT_TYPE, ServerMetrics};

/// How often the accept loop looks at its stop flag.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// A scraper gets this long to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest request head read.
const MAX_HEAD_BYTES: usize = 8192;

/// The listener could not start.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot listen for metrics on {addr}: {error}; pick another port, e.g. --metrics 127.0.0.1:9465"
)]
pub struct ListenError {
    /// The address asked for.
    pub addr: SocketAddr,
    /// Why (in the message, so not also a source: it would print twice).
    pub error: std::io::Error,
}

/// Serves `/metrics` until dropped.
#[derive(Debug)]
pub struct MetricsListener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsListener {
    /// Listens on `addr` (port 0: any free port) and serves `metrics`.
    pub fn start(addr: SocketAddr, metrics: ServerMetrics) -> Result<Self, ListenError> {
        let fail = |error| ListenError { addr, error };
        let listener = TcpListener::bind(addr).map_err(fail)?;
        listener.set_nonblocking(true).map_err(fail)?;
        let addr = listener.local_addr().map_err(fail)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("stampede-metrics".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => answer(stream, &metrics),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(POLL_EVERY);
                        }
                        Err(_) => std::thread::sleep(POLL_EVERY),
                    }
                }
            })
            .map_err(fail)?;
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/metrics`.
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }
}

impl Drop for MetricsListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one request; a scraper that sends nothing usable gets a 400 or nothing.
fn answer(mut stream: TcpStream, metrics: &ServerMetrics) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let (method, path) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {
                break (
                    request.method.unwrap_or("").to_owned(),
                    request.path.unwrap_or("").to_owned(),
                );
            }
            Ok(httparse::Status::Partial) if head.len() < MAX_HEAD_BYTES => {}
            _ => {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "text/plain",
                    "bad request\n",
                );
                return;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    };
    let path = path.split('?').next().unwrap_or("");
    match (method.as_str(), path) {
        ("GET", "/metrics") => match metrics.render() {
            Ok(text) => respond(&mut stream, "200 OK", CONTENT_TYPE, &text),
            Err(_) => respond(
                &mut stream,
                "500 Internal Server Error",
                "text/plain",
                "cannot encode\n",
            ),
        },
        (_, "/metrics") => respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            "GET only\n",
        ),
        _ => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            "metrics are at /metrics\n",
        ),
    }
}

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::ServerProbe;

    #[test]
    fn a_scrape_of_slash_metrics_answers_and_other_paths_do_not() {
        let metrics = ServerMetrics::new("me", ServerProbe::new(std::process::id(), None), 1);
        let listener =
            MetricsListener::start(SocketAddr::from(([127, 0, 0, 1], 0)), metrics).unwrap();
        let values = super::super::scrape::scrape(&listener.url()).unwrap();
        assert!(
            values["stampede_server_cpu_seconds_total"] > 0.0,
            "{values:?}"
        );
        let other = format!("http://{}/", listener.addr());
        let err = super::super::scrape::scrape(&other).unwrap_err();
        assert!(err.to_string().contains("404"), "{err}");
    }
}
