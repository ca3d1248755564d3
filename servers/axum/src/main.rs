//! stampede reference target `axum`: axum 0.8 on hyper 1 and a hand-built tokio runtime,
//! serving every endpoint of spec/CONTRACT.md.
//!
//! Run it (the harness does the same with a free port):
//!
//! ```text
//! cargo build --release -p stampede-axum --target-dir target/stampede/build/cargo
//! PORT=8080 WORKERS=2 OFFLOAD_THREADS=2 target/stampede/build/cargo/release/stampede-axum
//! ```
//!
//! `HOST` (default 127.0.0.1) and `PORT` (required) give the address; `WORKERS` sets tokio's
//! worker threads and `OFFLOAD_THREADS` its blocking pool (`/hash/offload` runs there through
//! `spawn_blocking`); both default to the available parallelism. SIGTERM or SIGINT stops
//! accepting, lets in-flight requests finish for up to one second, then exits.
//! No per-request logging; start-up errors go to stderr with a non-zero exit status.

use std::future::IntoFuture;
use std::io;
use std::net::ToSocketAddrs;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use serde::Serialize;
use tokio::net::{TcpListener, TcpSocket};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use stampede_contract::config::{BACKLOG, Config};
use stampede_contract::contract::{
    BODY_LIMIT, Doc, Message, chained_sha256_hex, parse_rounds, parse_sleep_ms, summarise_order,
};

/// How long in-flight requests may run after SIGTERM/SIGINT before the process exits anyway.
const GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("stampede-axum: {err}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers)
        .max_blocking_threads(config.offload_threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("stampede-axum: cannot start the tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(serve(&config));
    // A blocking hash still running cannot be cancelled; do not wait for it past the deadline.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("stampede-axum: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Listens, serves until SIGTERM/SIGINT, then drains for at most [`GRACE`].
async fn serve(config: &Config) -> io::Result<()> {
    let listener = bind(config)?.tap_io(|tcp| {
        // Best effort: a socket that refuses TCP_NODELAY still serves correctly.
        let _ = tcp.set_nodelay(true);
    });
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = sigint.recv() => {}
        }
        stop_tx.send_replace(true);
    });
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        // An error means the sender is gone, which also means: stop.
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let server = axum::serve(listener, app()).with_graceful_shutdown(stopped(stop_rx.clone()));
    let deadline = async {
        stopped(stop_rx).await;
        tokio::time::sleep(GRACE).await;
    };
    tokio::select! {
        result = server.into_future() => result,
        () = deadline => Ok(()),
    }
}

/// Binds `HOST:PORT` with a deep accept backlog (tokio's `TcpListener::bind` uses 1024).
fn bind(config: &Config) -> io::Result<TcpListener> {
    let target = format!("{}:{}", config.host, config.port);
    let context =
        |err: io::Error| io::Error::new(err.kind(), format!("cannot listen on {target}: {err}"));
    let addr = (config.host.as_str(), config.port)
        .to_socket_addrs()
        .map_err(context)?
        .next()
        .ok_or_else(|| context(io::Error::new(io::ErrorKind::NotFound, "no address")))?;
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(context)?;
    socket.set_reuseaddr(true).map_err(context)?;
    socket.bind(addr).map_err(context)?;
    socket.listen(BACKLOG).map_err(context)
}

/// Every route of the contract. Unknown paths fall through to axum's 404 and a known path with
/// another method gets the method router's 405; both pass through the layers below.
fn app() -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/plaintext", get(|| async { "Hello, World!" }))
        .route("/json", get(hello_json))
        .route("/json/doc", get(doc_json))
        .route("/json/order", post(order))
        .route("/hash", post(hash_inline))
        .route("/hash/offload", post(hash_offload))
        .route("/sleep", get(sleep))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(reject_oversized))
        .layer(middleware::map_response(server_header))
}

/// `Server: axum` on every response, errors included (hyper adds `Date` itself). A 413 leaves
/// the rest of the body unread and hyper closes the connection after it: say so.
async fn server_header(mut response: Response) -> Response {
    let close = response.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let headers = response.headers_mut();
    headers.insert(header::SERVER, HeaderValue::from_static("axum"));
    if close {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// 413 at once when `Content-Length` announces more than 64 KiB, without waiting for a body;
/// chunked bodies are cut off at the same size by [`DefaultBodyLimit`].
async fn reject_oversized(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|len| len > BODY_LIMIT as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    next.run(request).await
}

/// Serialises `value` per request; `application/json`.
fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn hello_json() -> Response {
    json(&Message {
        message: "Hello, World!",
    })
}

async fn doc_json() -> Response {
    json(&Doc::build())
}

/// Raw bytes, not `Json<T>`: every malformed or mistyped body is 400 and no `Content-Type`
/// is required.
async fn order(body: Bytes) -> Response {
    match summarise_order(&body) {
        Some(summary) => json(&summary),
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// Chained SHA-256 on the worker thread that handles the request.
async fn hash_inline(RawQuery(query): RawQuery, body: Bytes) -> Response {
    match parse_rounds(query.as_deref()) {
        Some(rounds) => chained_sha256_hex(&body, rounds).into_response(),
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// The same hash on tokio's blocking pool (`OFFLOAD_THREADS` threads at most).
async fn hash_offload(RawQuery(query): RawQuery, body: Bytes) -> Response {
    let Some(rounds) = parse_rounds(query.as_deref()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match tokio::task::spawn_blocking(move || chained_sha256_hex(&body, rounds)).await {
        Ok(hex) => hex.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Waits on tokio's timer, holding no thread.
async fn sleep(RawQuery(query): RawQuery) -> Response {
    match parse_sleep_ms(query.as_deref()) {
        Some(ms) => {
            tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
            "ok".into_response()
        }
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}
