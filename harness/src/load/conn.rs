//! One keep-alive HTTP/1.1 connection: write a prepared request, read exactly one response.
//!
//! Lean on purpose (the load client must cost the machine less than the server it measures):
//! requests are pre-rendered bytes, responses are parsed in place with httparse, bodies are
//! skipped by Content-Length or chunk sizes, and the read buffer is reused.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::ErrorKind;

/// Initial read buffer: enough for the contract's small responses (plaintext is ~140 bytes);
/// grows for larger ones and pipelined batches. Kept small because 100,000 connections each
/// hold one (1 KB made the client ~2.2-2.6 KB per connection at 8,000 connections, over the
/// 2 KB goal).
const INITIAL_BUFFER_BYTES: usize = 512;
/// Least free space offered to each read.
pub(crate) const MIN_READ_BYTES: usize = 512;
const MAX_HEADERS: usize = 64;

/// The parts of a response the load driver needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseInfo {
    /// Status code.
    pub status: u16,
    /// True when the server asked to close the connection.
    pub close: bool,
    /// Where the body lies in the response bytes (chunk framing included when chunked).
    pub body: std::ops::Range<usize>,
    /// The body is chunked.
    pub chunked: bool,
}

/// A connected socket with its read buffer.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    /// Opens a TCP connection with Nagle off.
    pub async fn open(addr: SocketAddr) -> Result<Self, ErrorKind> {
        Self::open_from(addr, None).await
    }

    /// Opens a TCP connection from `source` (any port), or from where the kernel chooses.
    pub async fn open_from(addr: SocketAddr, source: Option<IpAddr>) -> Result<Self, ErrorKind> {
        let stream = match source {
            None => TcpStream::connect(addr).await,
            Some(ip) => {
                let socket = match ip {
                    IpAddr::V4(_) => TcpSocket::new_v4(),
                    IpAddr::V6(_) => TcpSocket::new_v6(),
                }
                .map_err(|_| ErrorKind::Connect)?;
                socket
                    .bind(SocketAddr::new(ip, 0))
                    .map_err(|_| ErrorKind::Connect)?;
                socket.connect(addr).await
            }
        }
        .map_err(|_| ErrorKind::Connect)?;
        stream.set_nodelay(true).map_err(|_| ErrorKind::Connect)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(INITIAL_BUFFER_BYTES),
        })
    }

    /// The body of the last response, de-chunked when it was chunked.
    pub fn body(&self, info: &ResponseInfo) -> std::borrow::Cow<'_, [u8]> {
        body_of(&self.buf, info)
    }

    /// The socket, off tokio's reactor and in blocking mode (io_uring waits for it itself),
    /// and the read buffer, so the io_uring backend can drive the connection.
    pub(crate) fn into_parts(self) -> std::io::Result<(std::net::TcpStream, Vec<u8>)> {
        let stream = self.stream.into_std()?;
        stream.set_nonblocking(false)?;
        Ok((stream, self.buf))
    }

    /// The connection back from [`Connection::into_parts`]; call with a tokio runtime entered.
    pub(crate) fn from_parts(stream: std::net::TcpStream, buf: Vec<u8>) -> std::io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(Self {
            stream: TcpStream::from_std(stream)?,
            buf,
        })
    }

    /// Sends `request` and reads one whole response.
    pub async fn round_trip(&mut self, request: &[u8]) -> Result<ResponseInfo, ErrorKind> {
        self.stream
            .write_all(request)
            .await
            .map_err(|_| ErrorKind::Io)?;
        self.buf.clear();
        loop {
            if let Some((info, consumed)) = parse_response(&self.buf)? {
                // No pipelining: anything after one response would be a protocol error.
                if consumed != self.buf.len() {
                    return Err(ErrorKind::Parse);
                }
                return Ok(info);
            }
            self.fill().await?;
        }
    }

    /// Pipelining: sends `batch` (`count` requests in one write) and reads their `count`
    /// responses in order into `out`, each with the moment it was complete. On an error, `out`
    /// holds the responses that came before it.
    pub async fn pipeline(
        &mut self,
        batch: &[u8],
        count: usize,
        out: &mut Vec<(ResponseInfo, Instant)>,
    ) -> Result<(), ErrorKind> {
        out.clear();
        self.stream
            .write_all(batch)
            .await
            .map_err(|_| ErrorKind::Io)?;
        self.buf.clear();
        let mut offset = 0;
        while out.len() < count {
            match parse_response(&self.buf[offset..])? {
                Some((mut info, consumed)) => {
                    info.body = info.body.start + offset..info.body.end + offset;
                    let close = info.close;
                    out.push((info, Instant::now()));
                    offset += consumed;
                    if close && out.len() < count {
                        // The server closed in the middle of the batch: the rest is lost.
                        return Err(ErrorKind::Io);
                    }
                }
                None => self.fill().await?,
            }
        }
        if offset != self.buf.len() {
            return Err(ErrorKind::Parse);
        }
        Ok(())
    }

    async fn fill(&mut self) -> Result<(), ErrorKind> {
        if self.buf.capacity() - self.buf.len() < MIN_READ_BYTES {
            // Doubling keeps large bodies to a few reads.
            self.buf.reserve(self.buf.capacity().max(MIN_READ_BYTES));
        }
        let n = self
            .stream
            .read_buf(&mut self.buf)
            .await
            .map_err(|_| ErrorKind::Io)?;
        if n == 0 {
            return Err(ErrorKind::Io);
        }
        Ok(())
    }
}

/// The body of a response parsed from `buf`, de-chunked when it was chunked.
pub(crate) fn body_of<'b>(buf: &'b [u8], info: &ResponseInfo) -> std::borrow::Cow<'b, [u8]> {
    let raw = buf.get(info.body.clone()).unwrap_or_default();
    if info.chunked {
        std::borrow::Cow::Owned(dechunk(raw))
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

/// Parses one response from the start of `buf`. `Ok(None)`: more bytes are needed;
/// `Ok(Some((info, consumed)))`: the response ends at `consumed`.
pub fn parse_response(buf: &[u8]) -> Result<Option<(ResponseInfo, usize)>, ErrorKind> {
    // Uninitialised header slots: filling 64 empty headers (2 KB) before every parse was a
    // visible share of a pipelined client's time.
    let mut headers =
        [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut headers,
    );
    let head_len = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(ErrorKind::Parse),
    };
    let status = response.code.ok_or(ErrorKind::Parse)?;
    let mut content_length = None;
    let mut chunked = false;
    let mut close = response.version == Some(0);
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).map_err(|_| ErrorKind::Parse)?;
            content_length = Some(text.trim().parse::<usize>().map_err(|_| ErrorKind::Parse)?);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = contains_token(header.value, b"chunked");
        } else if header.name.eq_ignore_ascii_case("connection") {
            close = contains_token(header.value, b"close");
        }
    }
    let body = &buf[head_len..];
    let body_len = if chunked {
        match chunked_length(body)? {
            Some(n) => n,
            None => return Ok(None),
        }
    } else if let Some(n) = content_length {
        if body.len() < n {
            return Ok(None);
        }
        n
    } else if status == 204 || status == 304 || (100..200).contains(&status) {
        0
    } else {
        // A body delimited by closing the connection cannot be used with keep-alive.
        return Err(ErrorKind::Parse);
    };
    let info = ResponseInfo {
        status,
        close,
        body: head_len..head_len + body_len,
        chunked,
    };
    Ok(Some((info, head_len + body_len)))
}

/// The data of a complete chunked body (framing, extensions and trailers dropped).
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(body.len());
    while let Some(line_end) = find_crlf(body) {
        let line = &body[..line_end];
        let size_text = line.split(|&b| b == b';').next().unwrap_or(line);
        let size = std::str::from_utf8(size_text)
            .ok()
            .and_then(|t| usize::from_str_radix(t.trim(), 16).ok())
            .unwrap_or(0);
        body = &body[line_end + 2..];
        if size == 0 || body.len() < size {
            break;
        }
        data.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or_default();
    }
    data
}

fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

/// Length of a complete chunked body at the start of `body`, or `None` if incomplete.
fn chunked_length(body: &[u8]) -> Result<Option<usize>, ErrorKind> {
    let mut pos = 0;
    loop {
        let Some(line_end) = find_crlf(&body[pos..]) else {
            return Ok(None);
        };
        let line = &body[pos..pos + line_end];
        let size_text = line.split(|&b| b == b';').next().unwrap_or(line);
        let size_text = std::str::from_utf8(size_text).map_err(|_| ErrorKind::Parse)?;
        let size = usize::from_str_radix(size_text.trim(), 16).map_err(|_| ErrorKind::Parse)?;
        pos += line_end + 2;
        if size == 0 {
            // Trailers end with an empty line.
            loop {
                let Some(end) = find_crlf(&body[pos..]) else {
                    return Ok(None);
                };
                pos += end + 2;
                if end == 0 {
                    return Ok(Some(pos));
                }
            }
        }
        if body.len() < pos + size + 2 {
            return Ok(None);
        }
        pos += size + 2;
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_length_response_is_complete_only_with_its_whole_body() {
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(parse_response(&full[..full.len() - 1]).unwrap(), None);
        let (info, used) = parse_response(full).unwrap().unwrap();
        assert_eq!((info.status, info.close, used), (200, false, full.len()));
        assert_eq!(&full[info.body], b"hello");
    }

    #[test]
    fn chunked_bodies_with_trailers_are_measured_exactly() {
        let full = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n";
        for cut in 40..full.len() {
            assert_eq!(parse_response(&full[..cut]).unwrap(), None, "cut at {cut}");
        }
        let (info, used) = parse_response(full).unwrap().unwrap();
        assert_eq!(used, full.len());
        assert!(info.chunked);
        assert_eq!(dechunk(&full[info.body]), b"hello!");
    }

    #[test]
    fn connection_close_and_http_1_0_mark_the_connection_for_reopening() {
        let close =
            b"HTTP/1.1 404 Not Found\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n";
        let (info, _) = parse_response(close).unwrap().unwrap();
        assert_eq!((info.status, info.close), (404, true));
        let old = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        assert!(parse_response(old).unwrap().unwrap().0.close);
    }

    #[test]
    fn garbage_and_unframed_bodies_are_parse_errors() {
        assert_eq!(
            parse_response(b"NOT HTTP AT ALL\r\n\r\n"),
            Err(ErrorKind::Parse)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n\r\nbody"),
            Err(ErrorKind::Parse)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
            Err(ErrorKind::Parse)
        );
    }
}
