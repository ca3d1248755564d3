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
//! `spawn_blocking`); both default to the available parallelism. `DATABASE_URL` and
//! `DB_POOL_SIZE` (default 16) give the database routes one sqlx pool, shared by all worker
//! threads; without `DATABASE_URL` those routes answer 503. SIGTERM or SIGINT stops
//! accepting, lets in-flight requests finish for up to one second, then exits.
//! No per-request logging; a bad environment exits with status 2 and start-up errors with 1,
//! each with one line on stderr.

use std::future::{IntoFuture, poll_fn};
use std::io;
use std::net::ToSocketAddrs;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use serde::Serialize;
use tokio::net::{TcpListener, TcpSocket};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use stampede_contract::body::{BodyCollector, TooLarge};
use stampede_contract::config::{BACKLOG, Config, EXIT_BAD_CONFIG};
use stampede_contract::contract::{
    Doc, Message, chained_sha256_hex, parse_queries, parse_rounds, parse_sleep_ms, summarise_order,
};
use stampede_contract::database::{Database, DbError};
use stampede_contract::fortunes::render_fortunes;
use stampede_contract::host::{ALLOW, valid_host};
use stampede_contract::offload::OffloadQueue;

/// How long in-flight requests may run after SIGTERM/SIGINT before the process exits anyway.
const GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("axum: {err}");
            return ExitCode::from(EXIT_BAD_CONFIG);
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
            eprintln!("axum: cannot start the tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(serve(&config));
    // A blocking hash still running cannot be cancelled; do not wait for it past the deadline.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("axum: {err}");
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
    let app = app(Arc::new(Shared {
        offload: OffloadQueue::new(config.offload_threads),
        database: Database::new(config.database_url.as_deref(), config.db_pool_size),
    }));
    let server = axum::serve(listener, app).with_graceful_shutdown(stopped(stop_rx.clone()));
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

/// What the handlers share: the offload bound and the one database pool of the server.
#[derive(Debug)]
struct Shared {
    offload: Arc<OffloadQueue>,
    database: Database,
}

/// Every route of the contract. Unknown paths fall through to axum's 404 and a known path with
/// another method gets the method router's 405 (a GET route answers HEAD too, and hyper sends
/// no body for it); all of them pass through the layers below.
fn app(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/plaintext", get(|| async { "Hello, World!" }))
        .route("/json", get(hello_json))
        .route("/json/doc", get(doc_json))
        .route("/json/order", post(order))
        .route("/hash", post(hash_inline))
        .route("/hash/offload", post(hash_offload))
        .route("/sleep", get(sleep))
        .route("/db", get(db))
        .route("/queries", get(queries))
        .route("/fortunes", get(fortunes))
        .route("/updates", get(updates))
        .with_state(shared)
        .layer(middleware::from_fn(guard))
        .layer(middleware::map_response(server_header))
}

/// `Server: axum` on every response, errors included (hyper adds `Date` itself).
async fn server_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::SERVER, HeaderValue::from_static("axum"));
    response
}

/// What no route answers: an HTTP/1.1 request without exactly one Host, or with an invalid
/// Host value, gets 400 (RFC 9112 section 3.2; hyper accepts all of them), and `OPTIONS *` gets
/// 200 with `Allow` (RFC 9110 section 9.3.7; the router would answer 404).
async fn guard(request: Request, next: Next) -> Response {
    if request.version() == Version::HTTP_11 && !one_valid_host(request.headers()) {
        return (StatusCode::BAD_REQUEST, [(header::CONNECTION, "close")]).into_response();
    }
    if request.method() == Method::OPTIONS && request.uri().path() == "*" {
        return (StatusCode::OK, [(header::ALLOW, ALLOW)]).into_response();
    }
    next.run(request).await
}

fn one_valid_host(headers: &HeaderMap) -> bool {
    let mut hosts = headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(host), None) => valid_host(host.as_bytes()),
        _ => false,
    }
}

/// The request body under the contract's limits (see `BodyCollector`), read frame by frame:
/// axum's `DefaultBodyLimit` answers 413 without reading the rest, and a client still sending
/// would then be reset before it reads the answer.
async fn read_body(headers: &HeaderMap, mut body: Body) -> Result<Vec<u8>, Response> {
    let content_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let expects_continue = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let mut collected =
        BodyCollector::start(content_length, expects_continue).map_err(too_large)?;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
        if let Some(data) = frame.data_ref() {
            collected.push(data).map_err(too_large)?;
        }
    }
    collected.finish().map_err(too_large)
}

fn too_large(verdict: TooLarge) -> Response {
    if verdict.close {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CONNECTION, "close")],
        )
            .into_response()
    } else {
        StatusCode::PAYLOAD_TOO_LARGE.into_response()
    }
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
async fn order(headers: HeaderMap, body: Body) -> Response {
    let body = match read_body(&headers, body).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    match summarise_order(&body) {
        Some(summary) => json(&summary),
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// Chained SHA-256 on the worker thread that handles the request.
/// The body is read before the query is judged, so that a 400 leaves nothing unread (hyper
/// would close the connection under a client that reuses it).
async fn hash_inline(RawQuery(query): RawQuery, headers: HeaderMap, body: Body) -> Response {
    let body = match read_body(&headers, body).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    match parse_rounds(query.as_deref()) {
        Some(rounds) => chained_sha256_hex(&body, rounds).into_response(),
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// The same hash on tokio's blocking pool (`OFFLOAD_THREADS` threads, at most `QUEUE_LIMIT`
/// jobs waiting).
async fn hash_offload(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match read_body(&headers, body).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let Some(rounds) = parse_rounds(query.as_deref()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(admitted) = shared.offload.try_admit() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let job = move || {
        let hex = chained_sha256_hex(&body, rounds);
        drop(admitted);
        hex
    };
    match tokio::task::spawn_blocking(job).await {
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

/// 503 `DATABASE_URL is not set`, or 500 for a bad URL or a failed query.
fn db_error(err: &DbError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, err.body()).into_response()
}

/// One random row of `World`.
async fn db(State(shared): State<Arc<Shared>>) -> Response {
    match shared.database.world().await {
        Ok(row) => json(&row),
        Err(err) => db_error(&err),
    }
}

/// `queries` random rows of `World`, one query each.
async fn queries(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    match shared
        .database
        .worlds(parse_queries(query.as_deref()))
        .await
    {
        Ok(rows) => json(&rows),
        Err(err) => db_error(&err),
    }
}

/// Every fortune plus one, sorted, as an HTML table (`text/html; charset=utf-8`).
async fn fortunes(State(shared): State<Arc<Shared>>) -> Response {
    match shared.database.fortunes().await {
        Ok(rows) => match render_fortunes(rows) {
            Ok(page) => Html(page).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Err(err) => db_error(&err),
    }
}

/// `queries` random rows of `World` given new random numbers, written before the answer.
async fn updates(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    match shared
        .database
        .update_worlds(parse_queries(query.as_deref()))
        .await
    {
        Ok(rows) => json(&rows),
        Err(err) => db_error(&err),
    }
}
