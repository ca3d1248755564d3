//! What the CLI tests share: a scratch workspace (STAMPEDE_ROOT) holding the real spec and one
//! Python target, a throwaway Python server to be that target, and `stampede` run in it.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;
use std::process::{Command, Output};

use stampede_harness::catalog::fixtures::{copy_spec, python_target};
use stampede_harness::test_support::program_missing;

/// This repository's root.
pub(crate) fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Why the Python targets cannot run here, if they cannot.
pub(crate) fn python_missing() -> Option<String> {
    program_missing("python3", &["--version"], "apt-get install python3")
}

/// A scratch workspace with the spec and one Python target `name` running `<name>.py`, whose
/// text is `script`, with `extra` catalog lines (`workloads = ...`, `env = ...`).
pub(crate) fn python_workspace(name: &str, script: &str, extra: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    copy_spec(repo(), root.path()).unwrap();
    let file = format!("{name}.py");
    std::fs::write(root.path().join(&file), script).unwrap();
    std::fs::write(
        root.path().join("targets.toml"),
        python_target(name, &file, extra),
    )
    .unwrap();
    root
}

/// `stampede args` run in the workspace `root`.
pub(crate) fn stampede_in(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stampede"))
        .args(args)
        .env("STAMPEDE_ROOT", root)
        .output()
        .unwrap()
}

/// A throwaway Python server (the contract's HOST and PORT) that reads each request's body and
/// answers 200 with `headers`, a Content-Length and `body`; `handler` lines (4 spaces in) say
/// which methods get that answer (`do_GET = answer`) and may override more of the handler.
#[allow(dead_code)] // the cheating target brings its own script
pub(crate) fn python_server(headers: &[(&str, &str)], body: &str, handler: &str) -> String {
    let headers: String = headers
        .iter()
        .map(|(name, value)| format!("        self.send_header(\"{name}\", \"{value}\")\n"))
        .collect();
    let length = body.len();
    format!(
        r#"
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
{headers}        self.send_header("Content-Length", "{length}")
        self.end_headers()
        self.wfile.write(b"{body}")
{handler}
    def log_message(self, *args):
        pass
ThreadingHTTPServer((os.environ["HOST"], int(os.environ["PORT"])), Handler).serve_forever()
"#
    )
}
