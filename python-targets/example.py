"""A stampede target in Python's standard library that serves two workloads: plaintext and json.

Its catalog entry says `workloads = ["plaintext", "json"]`, so `stampede verify example` replays
only their vectors (and the ones every target answers: /healthz, unknown paths), and the
benchmarks skip the other workloads with one line each. spec/CONTRACT.md is the rule book.
"""

import json
import os
import re
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = "example"  # also the Server header
# A Host value is one uri-host[:port] (RFC 9112 section 3.2): an IP literal or a reg-name, then
# an optional port of digits.
HOST = re.compile(r"(\[[0-9A-Za-z\-._~!$&'()*+,;=:]+\]|([0-9A-Za-z\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(:[0-9]*)?")

# route -> (content type, function that makes the body per request)
ROUTES = {
    "/healthz": ("text/plain", lambda: b"ok"),
    "/plaintext": ("text/plain", lambda: b"Hello, World!"),
    "/json": ("application/json", lambda: json.dumps({"message": "Hello, World!"}).encode()),
}


def setting(name, default, largest):
    """An environment value by the contract's rules: ASCII digits, 1..=largest; else exit 2."""
    value = os.environ.get(name, "")
    if value == "":
        if default is None:
            fail(f"{name} is not set (expected a whole number from 1 to {largest})")
        return default
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= largest):
        fail(f'{name}="{value}" is not a whole number from 1 to {largest}')
    return int(value)


def fail(text):
    print(f"{NAME}: {text}", file=sys.stderr)
    sys.exit(2)


class LineReader:
    """The request stream, remembering the last line read: a header block cut off by the
    client ends in b"" instead of a blank line, and must be answered 400, not served."""

    def __init__(self, stream):
        self.stream = stream
        self.last_line = b""

    def readline(self, limit=-1):
        self.last_line = self.stream.readline(limit)
        return self.last_line

    def __getattr__(self, name):
        return getattr(self.stream, name)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # one write per answer, flushed after each request

    def setup(self):
        super().setup()
        self.rfile = LineReader(self.rfile)

    def version_string(self):
        return NAME

    def log_message(self, *args):
        pass  # no logging per request

    def parse_request(self):
        if not super().parse_request():
            return False
        if self.rfile.last_line not in (b"\r\n", b"\n"):
            self.send_error(400, "headers cut off")
            return False
        hosts = self.headers.get_all("Host", [])
        if self.request_version == "HTTP/1.1" and len(hosts) != 1:
            self.send_error(400, "HTTP/1.1 needs exactly one Host header")
            return False
        if not all(HOST.fullmatch(host) for host in hosts):
            self.send_error(400, "a Host value is not uri-host[:port]")
            return False
        return True

    def answer(self):
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True  # a body we do not read: close after the answer
        else:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        if self.command == "OPTIONS" and path == "*":  # about the server (RFC 9110 section 9.3.7)
            self.send_response(200)
            self.send_header("Allow", "GET, HEAD, POST")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if path not in ROUTES:
            return self.send(404, "text/plain", b"not found")
        if self.command not in ("GET", "HEAD"):
            return self.send(405, "text/plain", b"method not allowed")
        content_type, body = ROUTES[path]
        self.send(200, content_type, body())

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = answer

    def send(self, status, content_type, body):
        self.send_response(status)  # with Server and Date
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.request_version == "HTTP/1.0":
            self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the listen backlog: benchmarks open up to 1,024 connections at once
    daemon_threads = True


def main():
    host = os.environ.get("HOST") or "127.0.0.1"
    port = setting("PORT", None, 65535)
    # One process whose GIL runs one thread at a time: WORKERS and OFFLOAD_THREADS are checked
    # by the contract's rules but do not apply (the catalog says so).
    setting("WORKERS", os.cpu_count(), 4096)
    setting("OFFLOAD_THREADS", os.cpu_count(), 4096)
    Server.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        server = Server((host, port), Handler)
    except OSError as err:
        print(f"{NAME}: cannot listen on {host}:{port}: {err}", file=sys.stderr)
        sys.exit(1)
    server.serve_forever()  # SIGTERM's default action ends the process at once


if __name__ == "__main__":
    main()
