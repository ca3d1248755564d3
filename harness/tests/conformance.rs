//! HTTP/1.1 conformance of every catalog target, probed on raw sockets as a client library
//! would never misbehave but real clients do (issue 18; RFC 9110 and RFC 9112): HEAD on every
//! GET route, a request without Host or with an invalid Host value, `OPTIONS *`, HTTP/1.0 with and without keep-alive, `Connection:
//! close`, `Expect: 100-continue`, chunked request bodies, and 16 pipelined requests whose
//! distinct answers must come back in order.
//!
//! One trial per target runs every probe and lists each failure by probe; a missing toolchain
//! is an ignored trial (see `common`). A partial target (catalog `workloads`) is probed on the
//! routes it serves: POST probes on none of them pass with nothing to probe.

mod common;

#[path = "common/http1.rs"]
mod http1;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::Arguments;
use sha2::{Digest, Sha256};
use stampede_harness::badinput::chunked;
use stampede_harness::build::ensure_built;
use stampede_harness::catalog::{Catalog, Target};
use stampede_harness::cpus::CpuSplit;
use stampede_harness::process::{RunningServer, ServerConfig};
use stampede_harness::vectors::{load_vectors, spec_dir};
use stampede_harness::workload::WorkloadSpec;

use http1::{Answer, Wire};

/// How long a server may take to close a connection it was asked to close.
const CLOSE_WAIT: Duration = Duration::from_secs(3);
/// How long a client waits for `100 Continue` (curl waits one second, then sends anyway).
const CONTINUE_WAIT: Duration = Duration::from_secs(1);

type Probe = fn(SocketAddr, &Served) -> Result<(), String>;

/// The target under probe and the routes it serves.
struct Served {
    target: Target,
    spec: WorkloadSpec,
}

impl Served {
    /// True when the target must answer requests to `path`.
    fn path(&self, path: &str) -> bool {
        self.spec.serves_path(&self.target, path)
    }

    /// A GET route with a fixed text answer: /plaintext, or /healthz for a target that does
    /// not serve plaintext.
    fn text_route(&self) -> (&'static str, &'static str) {
        if self.path("/plaintext") {
            ("/plaintext", "Hello, World!")
        } else {
            ("/healthz", "ok")
        }
    }
}

const PROBES: &[(&str, Probe)] = &[
    ("head-on-every-get-route", head_on_every_get_route),
    ("missing-host", missing_host),
    ("invalid-host-values", invalid_host_values),
    ("options-asterisk", options_asterisk),
    ("http10-without-keep-alive", http10_without_keep_alive),
    ("http10-with-keep-alive", http10_with_keep_alive),
    ("connection-close", connection_close),
    ("expect-100-continue", expect_100_continue),
    (
        "expect-100-continue-oversized",
        expect_100_continue_oversized,
    ),
    ("chunked-request-bodies", chunked_request_bodies),
    ("sixteen-pipelined-requests", sixteen_pipelined_requests),
];

fn main() {
    let args = Arguments::from_args();
    let catalog = Catalog::discover().expect("the workspace catalog loads");
    let check: common::Check = Arc::new(run_probes);
    let trials = common::per_target(&catalog, "answers_the_http11_conformance_probes", &check);
    libtest_mimic::run(&args, trials).exit();
}

fn run_probes(catalog: &Catalog, name: &str) -> Result<(), String> {
    let target = catalog.target(name).map_err(|e| e.to_string())?;
    ensure_built(catalog, target).map_err(|e| e.to_string())?;
    let split = CpuSplit::resolve(None, None).map_err(|e| e.to_string())?;
    let server = RunningServer::start(catalog, target, &ServerConfig::for_cpus(split.server))
        .map_err(|e| e.to_string())?;
    let spec = WorkloadSpec::load(&spec_dir(catalog.root())).map_err(|e| e.to_string())?;
    let served = Served {
        target: target.clone(),
        spec,
    };
    let failures: Vec<String> = PROBES
        .iter()
        .filter_map(|(probe, run)| {
            run(server.addr(), &served)
                .err()
                .map(|e| format!("`{name}` {probe}: {e}"))
        })
        .collect();
    server.stop();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

// ---- expected answers, computed here, independent of every target ----

fn chained_sha256_hex(body: &[u8], rounds: u32) -> String {
    let mut digest = Sha256::digest(body);
    for _ in 1..rounds {
        digest = Sha256::digest(digest);
    }
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An order body with `id` and its answer's `total_cents`.
fn order(id: u64) -> (String, u64) {
    let (qty, price) = (id % 7 + 1, 100 + id * 3);
    let body =
        format!(r#"{{"id":{id},"items":[{{"sku":"p{id}","qty":{qty},"price_cents":{price}}}]}}"#);
    (body, qty * price)
}

fn expect_order(answer: &Answer, id: u64, total: u64) -> Result<(), String> {
    let json: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("order {id}: not JSON ({e}): {:?}", answer.text()))?;
    let want = serde_json::json!({"id": id, "item_count": 1, "total_cents": total});
    if answer.status == 200 && json == want {
        Ok(())
    } else {
        Err(format!(
            "order {id}: expected 200 {want}, got {} {json}",
            answer.status
        ))
    }
}

fn expect_text(answer: &Answer, what: &str, want: &str) -> Result<(), String> {
    if answer.status == 200 && answer.body == want.as_bytes() {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected 200 {want:?}, got {} {:?}",
            answer.status,
            answer.text()
        ))
    }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: probe\r\n\r\n")
}

fn post(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: probe\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

// ---- the probes ----

/// One path per GET route of the contract: each route's first success vector in
/// spec/vectors.json, so a GET workload added there is probed without an edit here.
fn get_routes(served: &Served) -> Result<Vec<String>, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let vectors = load_vectors(&spec_dir(&root)).map_err(|e| e.to_string())?;
    let mut routes = BTreeSet::new();
    Ok(vectors
        .into_iter()
        .filter(|v| v.request.method == "GET" && v.expect.status == 200)
        .filter(|v| served.path(&v.request.path))
        .filter(|v| routes.insert(v.request.path.split('?').next().map(str::to_owned)))
        .map(|v| v.request.path)
        .collect())
}

/// RFC 9110 section 9.3.2: HEAD is GET without the body; the same status and headers,
/// Content-Length included. The next answer on the connection must follow the head at once.
fn head_on_every_get_route(addr: SocketAddr, served: &Served) -> Result<(), String> {
    let mut wire = Wire::connect(addr)?;
    let paths = get_routes(served)?;
    if paths.len() < 2 {
        return Err(format!(
            "spec/vectors.json has too few GET routes: {paths:?}"
        ));
    }
    for path in &paths {
        wire.send(get(path).as_bytes())?;
        let full = wire.read_answer(false)?;
        wire.send(format!("HEAD {path} HTTP/1.1\r\nHost: probe\r\n\r\n").as_bytes())?;
        let head = wire.read_answer(true)?;
        if head.status != 200 {
            return Err(format!("HEAD {path}: expected 200, got {}", head.status));
        }
        let comparable = |a: &Answer| {
            let mut headers: Vec<_> = a
                .headers
                .iter()
                .filter(|(n, _)| n != "date")
                .cloned()
                .collect();
            headers.sort();
            headers
        };
        if comparable(&head) != comparable(&full) {
            return Err(format!(
                "HEAD {path}: headers differ from GET's (Date aside):\n  GET  {:?}\n  HEAD {:?}",
                comparable(&full),
                comparable(&head)
            ));
        }
        let length = full.body.len().to_string();
        if head.header("content-length") != Some(length.as_str()) {
            return Err(format!(
                "HEAD {path}: expected Content-Length {length}, got {:?}",
                head.header("content-length")
            ));
        }
    }
    // Had a HEAD answer carried a body, this answer would not parse.
    let (path, text) = served.text_route();
    wire.send(get(path).as_bytes())?;
    expect_text(&wire.read_answer(false)?, "GET after HEAD", text)
}

/// RFC 9112 section 3.2: a server must answer 400 to an HTTP/1.1 request without Host.
fn missing_host(addr: SocketAddr, served: &Served) -> Result<(), String> {
    let mut wire = Wire::connect(addr)?;
    let (path, _) = served.text_route();
    wire.send(format!("GET {path} HTTP/1.1\r\n\r\n").as_bytes())?;
    let answer = wire.read_answer(false)?;
    if answer.status == 400 {
        Ok(())
    } else {
        Err(format!(
            "expected 400, got {} {:?}",
            answer.status,
            answer.text()
        ))
    }
}

/// RFC 9112 section 3.2: a single Host with an invalid value gets 400 (issue 31), and a valid
/// one with a port is answered. Go's net/http answers the first three itself while parsing;
/// `x:http` passes its byte check and reaches the target's own code.
fn invalid_host_values(addr: SocketAddr, served: &Served) -> Result<(), String> {
    let (path, text) = served.text_route();
    for host in ["user@host", "host/path", "a, b", "x:http", "[::1"] {
        let mut wire = Wire::connect(addr)?;
        wire.send(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())?;
        let answer = wire.read_answer(false)?;
        if answer.status != 400 {
            return Err(format!(
                "Host: {host}: expected 400, got {} {:?}",
                answer.status,
                answer.text()
            ));
        }
    }
    let mut wire = Wire::connect(addr)?;
    wire.send(format!("GET {path} HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").as_bytes())?;
    expect_text(&wire.read_answer(false)?, "Host: [::1]:8080", text)
}

/// RFC 9110 section 9.3.7: `OPTIONS *` asks about the server, not a resource: 200 with
/// `Allow` and the server's name (CONTRACT.md), not the router's 404.
fn options_asterisk(addr: SocketAddr, served: &Served) -> Result<(), String> {
    let name = served.target.name.as_str();
    let mut wire = Wire::connect(addr)?;
    wire.send(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")?;
    let answer = wire.read_answer(false)?;
    let allow = answer.header("allow");
    let server = answer.header("server");
    if answer.status == 200 && allow == Some("GET, HEAD, POST") && server == Some(name) {
        Ok(())
    } else {
        Err(format!(
            "expected 200 with Allow: GET, HEAD, POST and Server: {name}, got {} with Allow \
             {allow:?} and Server {server:?}",
            answer.status
        ))
    }
}

/// An HTTP/1.0 request without keep-alive gets its answer and then the connection closes.
fn http10_without_keep_alive(addr: SocketAddr, served: &Served) -> Result<(), String> {
    answered_then_closed(addr, served, "HTTP/1.0\r\n")
}

/// Sends a GET of the text route with `rest` after the path (version and headers), expects
/// its answer, then the connection to close.
fn answered_then_closed(addr: SocketAddr, served: &Served, rest: &str) -> Result<(), String> {
    let mut wire = Wire::connect(addr)?;
    let (path, text) = served.text_route();
    wire.send(format!("GET {path} {rest}\r\n").as_bytes())?;
    expect_text(&wire.read_answer(false)?, "GET", text)?;
    if wire.closes_within(CLOSE_WAIT)? {
        Ok(())
    } else {
        Err(format!(
            "the connection stayed open {CLOSE_WAIT:?} after the answer"
        ))
    }
}

/// HTTP/1.0 with `Connection: keep-alive`: the answer says keep-alive (a 1.0 client closes
/// otherwise) and a second request on the connection is answered.
fn http10_with_keep_alive(addr: SocketAddr, served: &Served) -> Result<(), String> {
    let mut wire = Wire::connect(addr)?;
    let (path, text) = served.text_route();
    let request = format!("GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let request = request.as_bytes();
    wire.send(request)?;
    let first = wire.read_answer(false)?;
    expect_text(&first, "first GET", text)?;
    let says_keep_alive = first
        .header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("keep-alive"));
    if !says_keep_alive {
        return Err(format!(
            "the answer lacks Connection: keep-alive (got {:?})",
            first.header("connection")
        ));
    }
    wire.send(request)?;
    expect_text(&wire.read_answer(false)?, "second GET", text)
}

/// RFC 9112 section 9.6: after answering a request with `Connection: close` the server closes.
fn connection_close(addr: SocketAddr, served: &Served) -> Result<(), String> {
    answered_then_closed(
        addr,
        served,
        "HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n",
    )
}

/// RFC 9110 section 10.1.1: a client that sends `Expect: 100-continue` waits for `100
/// Continue` before its body; the target must send it, then answer the request.
fn expect_100_continue(addr: SocketAddr, served: &Served) -> Result<(), String> {
    let paths = ["/hash?rounds=2", "/hash/offload?rounds=2"];
    for path in paths.into_iter().filter(|p| served.path(p)) {
        let mut wire = Wire::connect(addr)?;
        let body = "expect-continue";
        wire.send(
            format!(
                "POST {path} HTTP/1.1\r\nHost: probe\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )?;
        match wire.head_within(CONTINUE_WAIT)? {
            Some((100, _)) => {}
            Some((status, _)) => {
                return Err(format!("POST {path}: expected 100 Continue, got {status}"));
            }
            None => {
                return Err(format!(
                    "POST {path}: no 100 Continue within {CONTINUE_WAIT:?}"
                ));
            }
        }
        wire.send(body.as_bytes())?;
        let want = chained_sha256_hex(body.as_bytes(), 2);
        expect_text(&wire.read_answer(false)?, &format!("POST {path}"), &want)?;
    }
    Ok(())
}

/// A client that announces a body over 64 KiB and waits for `100 Continue` gets the 413 at
/// once, or `100 Continue` and, after sending the body, a 413 it can read.
fn expect_100_continue_oversized(addr: SocketAddr, served: &Served) -> Result<(), String> {
    const SIZE: usize = 70_000;
    if !served.path("/hash") {
        return Ok(());
    }
    let mut wire = Wire::connect(addr)?;
    wire.send(
        format!(
            "POST /hash?rounds=1 HTTP/1.1\r\nHost: probe\r\nContent-Length: {SIZE}\r\nExpect: 100-continue\r\n\r\n"
        )
        .as_bytes(),
    )?;
    match wire.head_within(CONTINUE_WAIT)? {
        Some((413, _)) => Ok(()),
        Some((100, _)) => {
            wire.send(&vec![b'a'; SIZE])?;
            let answer = wire.read_answer(false)?;
            if answer.status != 413 {
                return Err(format!(
                    "after 100 Continue and the body: expected 413, got {}",
                    answer.status
                ));
            }
            if wire.resets_within(CONTINUE_WAIT)? {
                return Err(
                    "after 100 Continue, the body and the 413, the connection was \
                            reset: the target invited a body it did not read"
                        .into(),
                );
            }
            Ok(())
        }
        Some((status, _)) => Err(format!("expected 413 or 100 Continue, got {status}")),
        None => Err(format!("no answer within {CONTINUE_WAIT:?}")),
    }
}

/// Bodies in chunked transfer coding, in several chunks, on every POST route.
fn chunked_request_bodies(addr: SocketAddr, served: &Served) -> Result<(), String> {
    let mut wire = Wire::connect(addr)?;
    let head = |path: &str| {
        format!("POST {path} HTTP/1.1\r\nHost: probe\r\nTransfer-Encoding: chunked\r\n\r\n")
    };
    if served.path("/json/order") {
        let (body, total) = order(41);
        let mut request = head("/json/order").into_bytes();
        request.extend(chunked(body.as_bytes(), 7));
        wire.send(&request)?;
        expect_order(&wire.read_answer(false)?, 41, total)?;
    }
    let payload: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let paths = ["/hash?rounds=3", "/hash/offload?rounds=3"];
    for path in paths.into_iter().filter(|p| served.path(p)) {
        let mut request = head(path).into_bytes();
        request.extend(chunked(&payload, 1024));
        wire.send(&request)?;
        let want = chained_sha256_hex(&payload, 3);
        expect_text(&wire.read_answer(false)?, &format!("POST {path}"), &want)?;
    }
    Ok(())
}

/// 16 requests in one write, GETs and POSTs to every route it serves, each with its own
/// answer; the answers must come back in request order.
fn sixteen_pipelined_requests(addr: SocketAddr, served: &Served) -> Result<(), String> {
    enum Want {
        Text(String),
        Order(u64, u64),
        Status200,
    }
    let mut wire = Wire::connect(addr)?;
    let mut batch = String::new();
    let mut wants = Vec::new();
    // The routes in turn, those it does not serve left out, until there are 16 requests.
    for i in 0..256u32 {
        if wants.len() == 16 {
            break;
        }
        match i % 4 {
            0 => {
                let (path, want) = match (i / 4) % 4 {
                    0 => ("/healthz", Want::Text("ok".into())),
                    1 => ("/plaintext", Want::Text("Hello, World!".into())),
                    2 => ("/json", Want::Status200),
                    _ => ("/json/doc", Want::Status200),
                };
                if !served.path(path) {
                    continue;
                }
                batch.push_str(&get(path));
                wants.push((format!("GET {path}"), want));
            }
            1 if !served.path("/json/order") => {}
            1 => {
                let (body, total) = order(u64::from(i));
                batch.push_str(&post("/json/order", &body));
                wants.push((
                    format!("POST /json/order id {i}"),
                    Want::Order(u64::from(i), total),
                ));
            }
            2 | 3 => {
                let path = if i % 4 == 2 { "/hash" } else { "/hash/offload" };
                if !served.path(path) {
                    continue;
                }
                let body = format!("pipelined request {i}");
                let rounds = i + 1;
                batch.push_str(&post(&format!("{path}?rounds={rounds}"), &body));
                let want = chained_sha256_hex(body.as_bytes(), rounds);
                wants.push((format!("POST {path}?rounds={rounds}"), Want::Text(want)));
            }
            _ => unreachable!("i % 4 is below 4"),
        }
    }
    wire.send(batch.as_bytes())?;
    for (n, (what, want)) in wants.iter().enumerate() {
        let answer = wire
            .read_answer(false)
            .map_err(|e| format!("answer {} ({what}): {e}", n + 1))?;
        let checked = match want {
            Want::Text(text) => expect_text(&answer, what, text),
            Want::Order(id, total) => expect_order(&answer, *id, *total),
            Want::Status200 if answer.status == 200 => Ok(()),
            Want::Status200 => Err(format!("{what}: expected 200, got {}", answer.status)),
        };
        checked.map_err(|e| format!("answer {} out of order or wrong: {e}", n + 1))?;
    }
    Ok(())
}
