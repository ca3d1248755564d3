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
//! `web::block`); both default to the available parallelism. `DATABASE_URL` and `DB_POOL_SIZE`
//! (default 16) give the database routes one sqlx pool shared by all workers (see `serve`);
//! without `DATABASE_URL` those routes answer 503. SIGTERM drains in-flight requests
//! for up to one second (`shutdown_timeout(1)`), SIGINT stops at once.
//! No per-request logging; a bad environment exits with status 2 and start-up errors with 1,
//! each with one line on stderr.

use std::any::Any;
use std::io;
use std::process::ExitCode;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentType};
use actix_web::http::{KeepAlive, Method, StatusCode, Version};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::rt::net::TcpStream;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, Route, guard, web};
use futures_util::StreamExt;
use serde::Serialize;

use stampede_contract::body::{BodyCollector, TooLarge};
use stampede_contract::config::{BACKLOG, Config, EXIT_BAD_CONFIG};
use stampede_contract::contract::{
    Doc, Message, chained_sha256_hex, parse_queries, parse_rounds, parse_sleep_ms, summarise_order,
};
use stampede_contract::database::{Database, DbError};
use stampede_contract::fortunes::render_fortunes;
use stampede_contract::host::{ALLOW, valid_host};
use stampede_contract::offload::OffloadQueue;

/// A client that stops in the middle of its request head is cut off after this long.
const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("actix: {err}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    match actix_web::rt::System::new().block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("actix: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Binds `HOST:PORT` and serves until a signal stops the server (actix handles the signals).
async fn serve(config: Config) -> io::Result<()> {
    let target = format!("{}:{}", config.host, config.port);
    // One bound for all workers' blocking pools together.
    let offload = web::Data::from(OffloadQueue::new(config.offload_threads));
    // One pool for all workers, so the server holds DB_POOL_SIZE connections in total, as the
    // contract asks, not that many per worker. Each connection's socket belongs to the worker
    // runtime that opened it, whose I/O driver wakes whichever worker uses it later; that is
    // how a PgPool made in main is shared by actix's workers.
    let database = web::Data::new(Database::new(
        config.database_url.as_deref(),
        config.db_pool_size,
    ));
    HttpServer::new(move || {
        App::new()
            .wrap(from_fn(guard))
            .wrap(DefaultHeaders::new().add(("Server", "actix")))
            .app_data(offload.clone())
            .app_data(database.clone())
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

/// What no route answers, inside `DefaultHeaders` so that the answers name the server:
/// an HTTP/1.1 request without exactly one Host, or with an invalid Host value, gets 400 (RFC
/// 9112 section 3.2; actix-http accepts all of them), and `OPTIONS *` gets 200 with `Allow`
/// (RFC 9110 section 9.3.7; the router would answer 404).
async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<impl MessageBody>> {
    let answer = if request.version() == Version::HTTP_11 && !one_valid_host(request.headers()) {
        Some(HttpResponse::BadRequest().force_close().finish())
    } else if request.method() == Method::OPTIONS && request.uri().path() == "*" {
        Some(
            HttpResponse::Ok()
                .insert_header((header::ALLOW, ALLOW))
                .finish(),
        )
    } else {
        None
    };
    match answer {
        Some(answer) => Ok(request.into_response(answer).map_into_right_body()),
        None => next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

fn one_valid_host(headers: &header::HeaderMap) -> bool {
    let mut hosts = headers.get_all(header::HOST);
    match (hosts.next(), hosts.next()) {
        (Some(host), None) => valid_host(host.as_bytes()),
        _ => false,
    }
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
        .service(web::resource("/sleep").route(get().to(sleep)))
        .service(web::resource("/db").route(get().to(db)))
        .service(web::resource("/queries").route(get().to(queries)))
        .service(web::resource("/fortunes").route(get().to(fortunes)))
        .service(web::resource("/updates").route(get().to(updates)));
}

/// GET and HEAD (RFC 9110 section 9.1 asks a general-purpose server for both); actix's
/// `web::get()` alone answers HEAD with 405. actix-http sends a HEAD answer's headers,
/// Content-Length included, without its body.
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

/// The request body under the contract's limits (see `BodyCollector`), read from the raw
/// payload rather than `web::Bytes`, whose `PayloadConfig` limit answers 413 without reading
/// the rest: a client still sending would then be reset before it reads the answer.
async fn read_body(
    request: &HttpRequest,
    mut payload: web::Payload,
) -> Result<Vec<u8>, HttpResponse> {
    let content_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // actix-http answers `Expect: 100-continue` itself before any handler runs (HttpServer
    // has no hook for it), so the body is on its way: drain it like any other.
    let expects_continue = false;
    let mut body = BodyCollector::start(content_length, expects_continue).map_err(too_large)?;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| HttpResponse::BadRequest().finish())?;
        body.push(&chunk).map_err(too_large)?;
    }
    body.finish().map_err(too_large)
}

fn too_large(verdict: TooLarge) -> HttpResponse {
    let mut answer = HttpResponse::PayloadTooLarge();
    if verdict.close {
        answer.force_close();
    }
    answer.finish()
}

/// Raw bytes, not `web::Json<T>`: every malformed or mistyped body is 400 and no
/// `Content-Type` is required.
async fn order(request: HttpRequest, payload: web::Payload) -> HttpResponse {
    let body = match read_body(&request, payload).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    match summarise_order(&body) {
        Some(summary) => json(&summary),
        None => HttpResponse::BadRequest().finish(),
    }
}

/// Chained SHA-256 on the worker thread that handles the request.
/// The body is read before the query is judged, so that a 400 leaves nothing unread (actix
/// would close the connection under a client that reuses it).
async fn hash_inline(request: HttpRequest, payload: web::Payload) -> HttpResponse {
    let body = match read_body(&request, payload).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    match parse_rounds(Some(request.query_string())) {
        Some(rounds) => text(chained_sha256_hex(&body, rounds)),
        None => HttpResponse::BadRequest().finish(),
    }
}

/// The same hash on the worker's blocking pool (`OFFLOAD_THREADS` threads in all workers
/// together, at most `QUEUE_LIMIT` jobs waiting).
async fn hash_offload(
    request: HttpRequest,
    payload: web::Payload,
    offload: web::Data<OffloadQueue>,
) -> HttpResponse {
    let body = match read_body(&request, payload).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let Some(rounds) = parse_rounds(Some(request.query_string())) else {
        return HttpResponse::BadRequest().finish();
    };
    let Some(admitted) = offload.into_inner().try_admit() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let job = move || {
        let hex = chained_sha256_hex(&body, rounds);
        drop(admitted);
        hex
    };
    match web::block(job).await {
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

/// 503 `DATABASE_URL is not set`, or 500 for a bad URL or a failed query.
fn db_error(err: &DbError) -> HttpResponse {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type(ContentType::plaintext())
        .body(err.body())
}

/// One random row of `World`.
async fn db(database: web::Data<Database>) -> HttpResponse {
    match database.world().await {
        Ok(row) => json(&row),
        Err(err) => db_error(&err),
    }
}

/// `queries` random rows of `World`, one query each.
async fn queries(request: HttpRequest, database: web::Data<Database>) -> HttpResponse {
    match database
        .worlds(parse_queries(Some(request.query_string())))
        .await
    {
        Ok(rows) => json(&rows),
        Err(err) => db_error(&err),
    }
}

/// Every fortune plus one, sorted, as an HTML table (`text/html; charset=utf-8`).
async fn fortunes(database: web::Data<Database>) -> HttpResponse {
    match database.fortunes().await {
        Ok(rows) => match render_fortunes(rows) {
            Ok(page) => HttpResponse::Ok()
                .content_type(ContentType::html())
                .body(page),
            Err(_) => HttpResponse::InternalServerError().finish(),
        },
        Err(err) => db_error(&err),
    }
}

/// `queries` random rows of `World` given new random numbers, written before the answer.
async fn updates(request: HttpRequest, database: web::Data<Database>) -> HttpResponse {
    match database
        .update_worlds(parse_queries(Some(request.query_string())))
        .await
    {
        Ok(rows) => json(&rows),
        Err(err) => db_error(&err),
    }
}
