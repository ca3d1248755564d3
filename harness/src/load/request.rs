//! Requests rendered to bytes once, before any load, with the answer the contract demands.

use std::net::SocketAddr;
use std::time::Duration;

use super::check::ExpectedBody;

/// A pre-rendered HTTP/1.1 request, the status that counts as success and what a correct
/// answer's body is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestTemplate {
    /// The exact bytes written to the socket.
    pub bytes: Vec<u8>,
    /// The status a correct answer has.
    pub expected_status: u16,
    /// The body a correct answer has, checked under load.
    pub answer: ExpectedBody,
    /// A correct answer takes at least this long (`/sleep?ms=N`).
    pub not_before: Option<Duration>,
}

impl RequestTemplate {
    /// Renders `method path` for `addr`, with extra headers and an optional body
    /// (Content-Length is added when a body is given).
    pub fn new(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Self {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        Self {
            bytes,
            expected_status: 200,
            answer: ExpectedBody::Unchecked,
            not_before: None,
        }
    }

    /// `GET path`.
    pub fn get(addr: SocketAddr, path: &str) -> Self {
        Self::new(addr, "GET", path, &[], None)
    }

    /// The same request expecting another status.
    pub fn expecting(mut self, status: u16) -> Self {
        self.expected_status = status;
        self
    }

    /// The same request whose answer is checked against `answer`.
    pub fn answered(mut self, answer: ExpectedBody) -> Self {
        self.answer = answer;
        self
    }

    /// The same request, whose answer must not come sooner than `min`.
    pub fn not_before(mut self, min: Duration) -> Self {
        self.not_before = Some(min);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_has_host_and_no_body_framing() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let r = RequestTemplate::get(addr, "/plaintext");
        assert_eq!(
            r.bytes,
            b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n".to_vec()
        );
        assert_eq!(r.expected_status, 200);
    }

    #[test]
    fn a_post_carries_its_headers_length_and_body() {
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let r = RequestTemplate::new(
            addr,
            "POST",
            "/json/order",
            &[("Content-Type", "application/json")],
            Some(b"{}"),
        );
        let text = String::from_utf8(r.bytes).unwrap();
        assert!(text.ends_with("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
    }
}
