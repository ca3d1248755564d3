//! An in-process mock target, so verify and load logic can be tested without Go, Node or a
//! release build. It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) to answer
//! `/healthz`, `/plaintext` and `/json`, and can be told to misbehave.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

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
}

impl Default for MockBehavior {
    fn default() -> Self {
        Self {
            server_name: "mock".into(),
            plaintext_body: "Hello, World!".into(),
            stall: None,
            fail_every: None,
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
}

impl MockServer {
    /// Starts the mock on a free loopback port with its own thread and runtime.
    pub fn start(behavior: MockBehavior) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (shutdown, mut stop) = oneshot::channel();
        let requests = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&requests);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let behavior = Arc::new(behavior);
        let thread = std::thread::Builder::new()
            .name("stampede-mock".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(std_listener) else {
                        return;
                    };
                    loop {
                        tokio::select! {
                            _ = &mut stop => break,
                            accepted = listener.accept() => {
                                if let Ok((stream, _)) = accepted {
                                    let (b, c) = (Arc::clone(&behavior), Arc::clone(&counter));
                                    tokio::spawn(serve_connection(stream, b, c));
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
        let n = count.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some((nth, pause)) = behavior.stall
            && n == nth
        {
            tokio::time::sleep(pause).await;
        }
        let response = respond(&behavior, &method, &path, n);
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

fn respond(behavior: &MockBehavior, method: &str, path: &str, n: u64) -> Vec<u8> {
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
