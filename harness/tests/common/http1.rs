//! Just enough of an HTTP/1.x client on a raw socket to probe conformance: write bytes as
//! given, read answers one at a time (Content-Length, chunked, or until close).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long any one read may wait.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A status and its headers (lowercase names, in order).
pub(crate) type Head = (u16, Vec<(String, String)>);

/// One answer as read from the wire.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// Status code.
    pub(crate) status: u16,
    /// Header names (lowercase) and values, in order.
    pub(crate) headers: Vec<(String, String)>,
    /// The body (empty for a HEAD answer).
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// The first value of `name` (any case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A connection and the bytes read but not yet consumed.
#[derive(Debug)]
pub(crate) struct Wire {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Wire {
    /// Connects to `addr`.
    pub(crate) fn connect(addr: SocketAddr) -> Result<Self, String> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
            .map_err(|e| format!("cannot connect: {e}"))?;
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(READ_TIMEOUT)))
            .and_then(|()| stream.set_nodelay(true))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            stream,
            pending: Vec::new(),
        })
    }

    /// Writes `bytes` in one call.
    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream
            .write_all(bytes)
            .map_err(|e| format!("sending failed: {e}"))
    }

    /// Reads more bytes; `Ok(false)` at end of stream.
    fn fill(&mut self) -> Result<bool, String> {
        self.fill_io().map_err(|e| format!("reading failed: {e}"))
    }

    fn fill_io(&mut self) -> std::io::Result<bool> {
        let mut buf = [0u8; 16384];
        let n = self.stream.read(&mut buf)?;
        self.pending.extend_from_slice(&buf[..n]);
        Ok(n > 0)
    }

    /// Reads one answer head, interim (1xx) ones included. `None` at a clean end of stream.
    pub(crate) fn read_head(&mut self) -> Result<Option<Head>, String> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&self.pending) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = response.code.unwrap_or(0);
                    let headers = response
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_ascii_lowercase(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect();
                    self.pending.drain(..len);
                    return Ok(Some((status, headers)));
                }
                Ok(httparse::Status::Partial) => {}
                Err(e) => {
                    return Err(format!(
                        "not an HTTP answer ({e}): {:?}",
                        String::from_utf8_lossy(&self.pending[..self.pending.len().min(120)])
                    ));
                }
            }
            if !self.fill()? {
                return if self.pending.is_empty() {
                    Ok(None)
                } else {
                    Err("the connection closed in the middle of an answer head".into())
                };
            }
        }
    }

    /// Reads the next final answer (skipping `100 Continue` and the like); `head_only` for the
    /// answer to a HEAD request, which has no body whatever its headers say.
    pub(crate) fn read_answer(&mut self, head_only: bool) -> Result<Answer, String> {
        let (status, headers) = loop {
            match self.read_head()? {
                None => return Err("the connection closed before an answer".into()),
                Some((status, _)) if (100..200).contains(&status) => {}
                Some(head) => break head,
            }
        };
        let mut answer = Answer {
            status,
            headers,
            body: Vec::new(),
        };
        if head_only || status == 204 || status == 304 {
            return Ok(answer);
        }
        let chunked = answer
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        if chunked {
            answer.body = self.read_chunked()?;
        } else if let Some(length) = answer.header("content-length") {
            let length: usize = length
                .trim()
                .parse()
                .map_err(|_| format!("bad Content-Length {length:?}"))?;
            while self.pending.len() < length {
                if !self.fill()? {
                    return Err("the connection closed in the middle of a body".into());
                }
            }
            answer.body = self.pending.drain(..length).collect();
        } else {
            while self.fill()? {}
            answer.body = std::mem::take(&mut self.pending);
        }
        Ok(answer)
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line()?;
            let size_text = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| format!("bad chunk size line {line:?}"))?;
            if size == 0 {
                // Trailers, then the empty line.
                while !self.read_line()?.is_empty() {}
                return Ok(body);
            }
            while self.pending.len() < size + 2 {
                if !self.fill()? {
                    return Err("the connection closed in the middle of a chunk".into());
                }
            }
            body.extend_from_slice(&self.pending[..size]);
            self.pending.drain(..size + 2);
        }
    }

    fn read_line(&mut self) -> Result<String, String> {
        loop {
            if let Some(end) = self.pending.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.pending[..end]).into_owned();
                self.pending.drain(..end + 2);
                return Ok(line);
            }
            if !self.fill()? {
                return Err("the connection closed in the middle of a line".into());
            }
        }
    }

    /// True when the server closes the connection (end of stream or reset) before `wait`
    /// passes, with nothing more sent.
    pub(crate) fn closes_within(&mut self, wait: Duration) -> Result<bool, String> {
        if !self.pending.is_empty() {
            return Err(format!(
                "unexpected bytes after the answer: {:?}",
                String::from_utf8_lossy(&self.pending[..self.pending.len().min(80)])
            ));
        }
        self.stream
            .set_read_timeout(Some(wait))
            .map_err(|e| e.to_string())?;
        let mut buf = [0u8; 256];
        let closed = match self.stream.read(&mut buf) {
            Ok(0) => true,
            Ok(n) => {
                return Err(format!(
                    "unexpected bytes after the answer: {:?}",
                    String::from_utf8_lossy(&buf[..n])
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => true,
            Err(_) => false,
        };
        self.stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .map_err(|e| e.to_string())?;
        Ok(closed)
    }

    /// True when the server resets the connection within `wait` (a clean close, or
    /// silence, is false): a reset means it closed with part of the request unread.
    pub(crate) fn resets_within(&mut self, wait: Duration) -> Result<bool, String> {
        self.stream
            .set_read_timeout(Some(wait))
            .map_err(|e| e.to_string())?;
        let mut buf = [0u8; 256];
        let reset = loop {
            match self.stream.read(&mut buf) {
                Ok(0) => break false,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
                Err(_) => break false,
            }
        };
        self.stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .map_err(|e| e.to_string())?;
        Ok(reset)
    }

    /// Waits up to `wait` for an interim or final head; `None` if nothing came.
    pub(crate) fn head_within(&mut self, wait: Duration) -> Result<Option<Head>, String> {
        if self.pending.is_empty() {
            self.stream
                .set_read_timeout(Some(wait))
                .map_err(|e| e.to_string())?;
            let filled = self.fill_io();
            self.stream
                .set_read_timeout(Some(READ_TIMEOUT))
                .map_err(|e| e.to_string())?;
            match filled {
                Ok(true) => {}
                Ok(false) => return Err("the connection closed before an answer".into()),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(format!("reading failed: {e}")),
            }
        }
        self.read_head()
    }
}
