//! stampede reference target `actix`: actix-web 4, serving every endpoint of spec/CONTRACT.md.
//!
//! Run it (the harness does the same with a free port):
//!
//! ```text
//! cargo build --release -p stampede-actix --target-dir target/stampede/build/cargo
//! PORT=8080 WORKERS=2 OFFLOAD_THREADS=2 target/stampede/build/cargo/release/stampede-actix
//! ```
//!
//! `HOST` (default 127.0.0.1) and `PORT` (required) give the address; `WORKERS` sets the number
//! of actix workers (one single-threaded runtime each) and `OFFLOAD_THREADS` the total of their
//! blocking pools (`worker_max_blocking_threads` = OFFLOAD_THREADS / WORKERS, rounded up;
//! `/hash/offload` runs there through
//! `web::block`); both default to the available parallelism. SIGTERM drains in-flight requests
//! for up to one second (`shutdown_timeout(1)`), SIGINT stops at once.
//! No per-request logging; start-up errors go to stderr with a non-zero exit status.

use std::any::Any;
use std::io;
use std::process::ExitCode;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Extensions, ServiceResponse};
use actix_web::http::header::ContentType;
use actix_web::http::{ConnectionType, KeepAlive, StatusCode};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers};
use actix_web::rt::net::TcpStream;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, Route, guard, web};
use serde::Serialize;

use stampede_contract::config::{BACKLOG, Config};
use stampede_contract::contract::{
    BODY_LIMIT, Doc, Message, chained_sha256_hex, parse_rounds, parse_sleep_ms, summarise_order,
};

/// A client that stops in the middle of its request head is cut off after this long.
const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("stampede-actix: {err}");
            return ExitCode::FAILURE;
        }
    };
    match actix_web::rt::System::new().block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("stampede-actix: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Binds `HOST:PORT` and serves until a signal stops the server (actix handles the signals).
async fn serve(config: Config) -> io::Result<()> {
    let target = format!("{}:{}", config.host, config.port);
    HttpServer::new(|| {
        App::new()
            .wrap(ErrorHandlers::new().handler(StatusCode::PAYLOAD_TOO_LARGE, close_connection))
            .wrap(DefaultHeaders::new().add(("Server", "actix")))
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .configure(routes)
    })
    .workers(config.workers)
    // actix's blocking pool is per worker: split OFFLOAD_THREADS across workers so the total
    // matches the other runtimes' single pool.
    .worker_max_blocking_threads(config.offload_threads.div_ceil(config.workers).max(1))
    .backlog(BACKLOG)
    // Idle keep-alive connections stay open (actix's default closes them after 5 s).
    .keep_alive(KeepAlive::Os)
    .client_request_timeout(REQUEST_HEAD_TIMEOUT)
    .shutdown_timeout(1)
    .on_connect(set_nodelay)
    .bind((config.host.as_str(), config.port))
    .map_err(|err| io::Error::new(err.kind(), format!("cannot listen on {target}: {err}")))?
    .run()
    .await
}

/// Best effort TCP_NODELAY, as Go and Node set by default.
fn set_nodelay(connection: &dyn Any, _: &mut Extensions) {
    if let Some(tcp) = connection.downcast_ref::<TcpStream>() {
        let _ = tcp.set_nodelay(true);
    }
}

/// A 413 leaves the rest of the body unread, so say `Connection: close` and close after it
/// (otherwise actix keeps the connection and drops it later, unannounced).
fn close_connection<B>(
    mut response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    response
        .response_mut()
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    Ok(ErrorHandlerResponse::Response(
        response.map_into_left_body(),
    ))
}

/// Every route of the contract. A resource answers 405 to a method it has no route for; the
/// app's default service answers 404 to unknown paths. `DefaultHeaders` covers both.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(get().to(|| async { text("ok") })))
        .service(web::resource("/plaintext").route(get().to(|| async { text("Hello, World!") })))
        .service(web::resource("/json").route(get().to(hello_json)))
        .service(web::resource("/json/doc").route(get().to(doc_json)))
        .service(web::resource("/json/order").route(web::post().to(order)))
        .service(web::resource("/hash").route(web::post().to(hash_inline)))
        .service(web::resource("/hash/offload").route(web::post().to(hash_offload)))
        .service(web::resource("/sleep").route(get().to(sleep)));
}

/// GET, and HEAD like every other target's router (actix's `web::get()` alone answers HEAD 405).
fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// 200 `text/plain; charset=utf-8`.
fn text(body: impl MessageBody + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body(body)
}

/// Serialises `value` per request; `application/json`.
fn json<T: Serialize>(value: &T) -> HttpResponse {
    match serde_json::to_vec(value) {
        Ok(body) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(body),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn hello_json() -> HttpResponse {
    json(&Message {
        message: "Hello, World!",
    })
}

async fn doc_json() -> HttpResponse {
    json(&Doc::build())
}

/// Raw bytes, not `web::Json<T>`: every malformed or mistyped body is 400 and no
/// `Content-Type` is required. Bodies over 64 KiB are 413 from `PayloadConfig`.
async fn order(body: web::Bytes) -> HttpResponse {
    match summarise_order(&body) {
        Some(summary) => json(&summary),
        None => HttpResponse::BadRequest().finish(),
    }
}

/// Chained SHA-256 on the worker thread that handles the request.
async fn hash_inline(request: HttpRequest, body: web::Bytes) -> HttpResponse {
    match parse_rounds(Some(request.query_string())) {
        Some(rounds) => text(chained_sha256_hex(&body, rounds)),
        None => HttpResponse::BadRequest().finish(),
    }
}

/// The same hash on the worker's blocking pool (`OFFLOAD_THREADS` threads at most).
async fn hash_offload(request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let Some(rounds) = parse_rounds(Some(request.query_string())) else {
        return HttpResponse::BadRequest().finish();
    };
    match web::block(move || chained_sha256_hex(&body, rounds)).await {
        Ok(hex) => text(hex),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// Waits on actix's (tokio's) timer, holding no thread.
async fn sleep(request: HttpRequest) -> HttpResponse {
    match parse_sleep_ms(Some(request.query_string())) {
        Some(ms) => {
            actix_web::rt::time::sleep(Duration::from_millis(u64::from(ms))).await;
            text("ok")
        }
        None => HttpResponse::BadRequest().finish(),
    }
}
