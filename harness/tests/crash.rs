//! A target that dies during a run is reported with its name, exit status and the last 20 lines
//! of its stderr; nothing of it is left running.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;
use std::time::Duration;

use stampede_harness::catalog::Catalog;
use stampede_harness::catalog::fixtures::{python_target, shell_target};
use stampede_harness::cpus::CpuSet;
use stampede_harness::load::{LoadClient, LoadPlan, RequestTemplate};
use stampede_harness::process::{ProcessError, RunningServer, ServerConfig};

/// Answers every GET with 200 `ok` over keep-alive, writes 30 numbered lines to stderr, and
/// exits with status 3 on its fifth `/plaintext` request.
const CRASHER: &str = r#"
import os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
for i in range(1, 31):
    print(f"crasher stderr line {i}", file=sys.stderr, flush=True)
served = 0
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        global served
        if self.path == "/plaintext":
            served += 1
        if served == 5:
            print("crasher: giving up now", file=sys.stderr, flush=True)
            os._exit(3)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client hanging up early is not worth a traceback here
QuietServer((os.environ["HOST"], int(os.environ["PORT"])), Handler).serve_forever()
"#;

fn crasher_catalog(dir: &Path) -> Catalog {
    std::fs::write(dir.join("crasher.py"), CRASHER).unwrap();
    Catalog::parse(dir, &python_target("crasher", "crasher.py", "")).unwrap()
}

#[test]
fn a_target_dying_mid_run_is_reported_with_its_exit_status_and_stderr_tail() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = crasher_catalog(dir.path());
    let target = catalog.target("crasher").unwrap();
    let config = ServerConfig::for_cpus(CpuSet::allowed().unwrap());
    let mut server = RunningServer::start(&catalog, target, &config).unwrap();
    let mix = vec![RequestTemplate::get(server.addr(), "/plaintext")];
    let mut client =
        LoadClient::connect(server.addr(), 1, &CpuSet::allowed().unwrap(), mix).unwrap();
    let sample = client.run(&LoadPlan::requests(50)).unwrap();
    assert!(
        sample.errors() > 0,
        "the run should see the crash as errors"
    );
    let mut err = server.check_alive();
    for _ in 0..100 {
        if err.is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        err = server.check_alive();
    }
    let err = err.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ProcessError::Exited { .. }), "{text}");
    assert!(text.contains("`crasher`"), "{text}");
    assert!(text.contains("exit status: 3"), "{text}");
    assert!(text.contains("crasher: giving up now"), "{text}");
    assert!(text.contains("crasher stderr line 30"), "{text}");
    assert!(text.contains("crasher stderr line 12"), "{text}");
    assert!(
        !text.contains("crasher stderr line 11\n"),
        "only the last 20 lines: {text}"
    );
}

#[test]
fn a_target_that_never_gets_ready_fails_with_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let start = r#"["sh", "-c", "echo 'cannot bind: address in use' >&2; exit 7"]"#;
    let catalog = Catalog::parse(dir.path(), &shell_target("broken", start, "")).unwrap();
    let config = ServerConfig::for_cpus(CpuSet::allowed().unwrap());
    let err =
        RunningServer::start(&catalog, catalog.target("broken").unwrap(), &config).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`broken`") && text.contains("exit status: 7"),
        "{text}"
    );
    assert!(text.contains("cannot bind: address in use"), "{text}");
}
