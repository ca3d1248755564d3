//! A mock target, so verify and load logic can be tested without Go, Node or a release build:
//! in-process ([`MockServer`]) or as a process of its own (the `stampede-mock` binary, for
//! tests of process-level accounting). It speaks just enough HTTP/1.1 (keep-alive,
//! Content-Length bodies) to answer `/healthz`, `/plaintext`, `/json` and `/burn`, and can be
//! told to misbehave.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::LocalSet;

use crate::load::pacer::Pacer;

/// How the mock answers.
#[derive(Clone, Debug)]
pub struct MockBehavior {
    /// Value of the `Server` header.
    pub server_name: String,
    /// Body of `/plaintext` (the contract says `Hello, World!`).
    pub plaintext_body: String,
    /// Stall the n-th request (counting from 1, across connections) for this long.
    pub stall: Option<(u64, Duration)>,
    /// Answer every n-th request with a 500 instead.
    pub fail_every: Option<u64>,
    /// Answer every request this long after it arrived (a precise timer, not tokio's 1 ms
    /// wheel), without blocking other connections.
    pub delay: Option<Duration>,
    /// A start-up transient: the n-th connection accepted (from 1) waits n times this long for
    /// its first answer, as connections handed one at a time from a Node cluster's primary to
    /// its worker do; every later answer is prompt.
    pub slow_start: Option<Duration>,
    /// Bytes kept and never freed per request answered: a leak for the timeline's memory
    /// verdict to catch (0: none).
    pub leak_bytes_per_request: usize,
}

impl Default for MockBehavior {
    fn default() -> Self {
        Self {
            server_name: "mock".into(),
            plaintext_body: "Hello, World!".into(),
            stall: None,
            fail_every: None,
            delay: None,
            slow_start: None,
            leak_bytes_per_request: 0,
        }
    }
}

/// A running mock server on 127.0.0.1; stopped on drop.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    requests: Arc<AtomicU64>,
    accepted: Arc<AtomicU64>,
}

impl MockServer {
    /// Starts the mock on a free loopback port with its own thread and runtime.
    pub fn start(behavior: MockBehavior) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), behavior)
    }

    /// Starts the mock on `addr` (port 0: any free port).
    pub fn start_on(addr: SocketAddr, behavior: MockBehavior) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (shutdown, mut stop) = oneshot::channel();
        let requests = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&requests);
        let accepted = Arc::new(AtomicU64::new(0));
        let accepts = Arc::clone(&accepted);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let behavior = Arc::new(behavior);
        let thread = std::thread::Builder::new()
            .name("stampede-mock".into())
            .spawn(move || {
                let local = LocalSet::new();
                let pacer = {
                    let _entered = runtime.enter();
                    Pacer::start(&local).ok()
                };
                local.block_on(&runtime, async move {
                    let Ok(listener) = TcpListener::from_std(std_listener) else {
                        return;
                    };
                    let mut accepted_connections: u32 = 0;
                    loop {
                        tokio::select! {
                            _ = &mut stop => break,
                            accepted = listener.accept() => {
                                if let Ok((stream, _)) = accepted {
                                    accepts.fetch_add(1, Ordering::Relaxed);
                                    accepted_connections = accepted_connections.saturating_add(1);
                                    let first_answer_after = behavior
                                        .slow_start
                                        .map(|step| step * accepted_connections);
                                    let (b, c) = (Arc::clone(&behavior), Arc::clone(&counter));
                                    tokio::task::spawn_local(serve_connection(
                                        stream,
                                        b,
                                        c,
                                        pacer.clone(),
                                        first_answer_after,
                                    ));
                                }
                            }
                        }
                    }
                });
            })?;
        Ok(Self {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
            requests,
            accepted,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests answered so far.
    pub fn requests_served(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Connections accepted so far (a client that reconnects shows here).
    pub fn connections_accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve_connection(
    mut stream: TcpStream,
    behavior: Arc<MockBehavior>,
    count: Arc<AtomicU64>,
    pacer: Option<Pacer>,
    mut first_answer_after: Option<Duration>,
) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(4096);
    loop {
        let (method, path, consumed) = loop {
            match parse_request(&buf) {
                Ok(Some(parsed)) => break parsed,
                Ok(None) => {}
                Err(()) => return,
            }
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        buf.drain(..consumed);
        let arrived = Instant::now();
        let n = count.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some((nth, pause)) = behavior.stall
            && n == nth
        {
            tokio::time::sleep(pause).await;
        }
        if let Some(wait) = first_answer_after.take() {
            tokio::time::sleep_until((arrived + wait).into()).await;
        }
        if let (Some(delay), Some(pacer)) = (behavior.delay, &pacer) {
            pacer.until(arrived + delay).await;
        }
        let response = match burn_request(&method, &path) {
            Some((ms, threads)) => {
                burn_in_threads(ms, threads).await;
                render(&behavior, 200, "text/plain", "burnt")
            }
            None => respond(&behavior, &method, &path, n),
        };
        if stream.write_all(&response).await.is_err() {
            return;
        }
    }
}

/// Method, path and total length of one complete request at the start of `buf`.
fn parse_request(buf: &[u8]) -> Result<Option<(String, String, usize)>, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let head = match request.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(()),
    };
    let body_len = request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| {
            std::str::from_utf8(h.value)
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        })
        .unwrap_or(0);
    if buf.len() < head + body_len {
        return Ok(None);
    }
    let method = request.method.unwrap_or("").to_owned();
    let path = request.path.unwrap_or("").to_owned();
    Ok(Some((method, path, head + body_len)))
}

/// `GET /burn?ms=N&threads=T`: the answer waits for T threads that each burn N ms of CPU and
/// exit, as an offload pool's or a runtime's helper threads would.
fn burn_request(method: &str, path: &str) -> Option<(u64, u64)> {
    let query = path.strip_prefix("/burn?").filter(|_| method == "GET")?;
    let (mut ms, mut threads) = (None, 1);
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("ms", v)) => ms = v.parse().ok(),
            Some(("threads", v)) => threads = v.parse().ok()?,
            _ => {}
        }
    }
    Some((ms?, threads))
}

async fn burn_in_threads(ms: u64, threads: u64) {
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let burners: Vec<_> = (0..threads)
            .map(|_| std::thread::spawn(move || burn_cpu(Duration::from_millis(ms))))
            .collect();
        for burner in burners {
            let _ = burner.join();
        }
        let _ = done_tx.send(());
    });
    let _ = done_rx.await;
}

/// Spins until this thread has used `cpu` of CPU time.
fn burn_cpu(cpu: Duration) {
    let clock = || {
        nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
            .map_or(Duration::ZERO, Duration::from)
    };
    let start = clock();
    let mut x: u64 = 1;
    while clock().saturating_sub(start) < cpu {
        for _ in 0..1000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
    }
}

fn respond(behavior: &MockBehavior, method: &str, path: &str, n: u64) -> Vec<u8> {
    if behavior.leak_bytes_per_request > 0 {
        // Written, so that the pages are resident and show in PSS.
        let kept: &'static mut [u8] =
            Box::leak(vec![0x5a; behavior.leak_bytes_per_request].into_boxed_slice());
        std::hint::black_box(kept);
    }
    if behavior
        .fail_every
        .is_some_and(|every| every > 0 && n % every == 0)
    {
        return render(behavior, 500, "text/plain", "injected failure");
    }
    let known = ["/healthz", "/plaintext", "/json"];
    match (method, path) {
        ("GET", "/healthz") => render(behavior, 200, "text/plain", "ok"),
        ("GET", "/plaintext") => render(behavior, 200, "text/plain", &behavior.plaintext_body),
        ("GET", "/json") => render(
            behavior,
            200,
            "application/json",
            r#"{"message":"Hello, World!"}"#,
        ),
        (_, p) if known.contains(&p) => render(behavior, 405, "text/plain", "method not allowed"),
        _ => render(behavior, 404, "text/plain", "not found"),
    }
}

fn render(behavior: &MockBehavior, status: u16, content_type: &str, body: &str) -> Vec<u8> {
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    format!(
        "HTTP/1.1 {status} X\r\nServer: {}\r\nDate: {date}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        behavior.server_name,
        body.len()
    )
    .into_bytes()
}
