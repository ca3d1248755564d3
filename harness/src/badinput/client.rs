//! The raw-socket client of the bad-input table: plays a case's steps on a fresh connection,
//! byte by byte or in slow writes when asked, and reads back the first final answer, a close
//! or silence.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use super::{BadInputCase, Outcome, Step};

/// How long to wait for an answer before calling the connection silent.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// Shorter wait for cases where silence is acceptable.
const SILENCE_TIMEOUT: Duration = Duration::from_secs(1);

/// What came back: the outcome and, with a status, the answer's head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// What the server did.
    pub outcome: Outcome,
    /// Its `Server` header.
    pub server: Option<String>,
    /// The connection was reset after the answer (looked for only when the case asks).
    pub reset_after: bool,
    /// Every header of the final answer, names lowercased (empty without a head).
    pub headers: Vec<(String, String)>,
    /// Where the final answer's head ends in [`Conversation::received`] (0 without a head).
    pub head_end: usize,
}

impl Answer {
    pub(super) fn without_head(outcome: Outcome) -> Self {
        Self {
            outcome,
            server: None,
            reset_after: false,
            headers: Vec::new(),
            head_end: 0,
        }
    }

    /// The value of header `name` (lowercase), if the answer has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.as_str())
    }
}

/// One exchange on a fresh connection: what was sent, the first final answer, and the
/// connection, still open, for callers that look at what follows.
#[derive(Debug)]
pub struct Conversation {
    /// The connection.
    pub stream: TcpStream,
    /// The first final answer (or a close, or silence).
    pub answer: Answer,
    /// Every byte received so far, interim answers included.
    pub received: Vec<u8>,
}

/// Plays `case` on a fresh connection and reports what the server did. An interim answer
/// (`100 Continue`) is skipped; the final one counts.
pub fn play(addr: SocketAddr, case: &BadInputCase) -> std::io::Result<Answer> {
    let timeout = if case.expect.or_silent {
        SILENCE_TIMEOUT
    } else {
        ANSWER_TIMEOUT
    };
    let mut conversation = converse(addr, &case.steps, timeout)?;
    let mut answer = conversation.answer;
    if case.expect.no_reset && answer.head_end > 0 {
        answer.reset_after = reset_follows(&mut conversation.stream)?;
    }
    Ok(answer)
}

/// Sends `steps` on a fresh connection and reads until the first final answer's head, a
/// close, or `timeout` of silence.
pub fn converse(
    addr: SocketAddr,
    steps: &[Step],
    timeout: Duration,
) -> std::io::Result<Conversation> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_nodelay(true)?;
    // A target that stops reading must not hang the client: a write that cannot finish
    // within the answer timeout fails the case.
    stream.set_write_timeout(Some(ANSWER_TIMEOUT))?;
    for (index, step) in steps.iter().enumerate() {
        send_step(&mut stream, step).map_err(|e| explain_send_error(index, &e))?;
    }
    stream.set_read_timeout(Some(timeout))?;
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let answer = loop {
        if let Some(answer) = final_answer(&received) {
            break answer;
        }
        match stream.read(&mut buf) {
            Ok(0) => {
                let outcome = parse_status(&received).map_or(Outcome::Closed, Outcome::Status);
                break Answer::without_head(outcome);
            }
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break Answer::without_head(Outcome::Silent);
            }
            // A reset is the server closing on us.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                let outcome = parse_status(&received).map_or(Outcome::Closed, Outcome::Status);
                break Answer::without_head(outcome);
            }
            Err(e) => return Err(e),
        }
    };
    Ok(Conversation {
        stream,
        answer,
        received,
    })
}

/// Reads what follows an answer until the connection closes or stays quiet for
/// [`SILENCE_TIMEOUT`]; true if it is reset instead.
fn reset_follows(stream: &mut TcpStream) -> std::io::Result<bool> {
    stream.set_read_timeout(Some(SILENCE_TIMEOUT))?;
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(false),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(true),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(false);
            }
            Err(e) => return Err(e),
        }
    }
}

pub(crate) fn send_step(stream: &mut TcpStream, step: &Step) -> std::io::Result<()> {
    let bytes = match (&step.send, &step.send_hex) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(hex)) => decode_hex(hex)?,
        (None, None) => Vec::new(),
    };
    match step.byte_delay_ms {
        Some(ms) => {
            for byte in &bytes {
                stream.write_all(std::slice::from_ref(byte))?;
                std::thread::sleep(Duration::from_millis(ms));
            }
        }
        None if !bytes.is_empty() => stream.write_all(&bytes)?,
        None => {}
    }
    if let Some(body) = &step.body {
        let wire = body.wire_bytes();
        let size = body
            .write_bytes
            .filter(|&n| n > 0)
            .unwrap_or(wire.len().max(1));
        for piece in wire.chunks(size) {
            stream.write_all(piece)?;
            if let Some(ms) = body.write_delay_ms {
                std::thread::sleep(Duration::from_millis(ms));
            }
        }
    }
    if let Some(ms) = step.pause_ms {
        std::thread::sleep(Duration::from_millis(ms));
    }
    if step.shutdown_write {
        stream.shutdown(Shutdown::Write)?;
    }
    Ok(())
}

/// Names what a failed send means for the contract.
fn explain_send_error(step: usize, err: &std::io::Error) -> std::io::Error {
    use std::io::ErrorKind::{BrokenPipe, ConnectionReset, TimedOut, WouldBlock};
    let meaning = match err.kind() {
        BrokenPipe | ConnectionReset => {
            "the target closed the connection while the client was still sending; it must \
             read (or discard) the rest of the request first (CONTRACT.md, \"Errors\")"
        }
        TimedOut | WouldBlock => {
            "the target stopped reading while the client was still sending; it must read (or \
             discard) the rest of the request (CONTRACT.md, \"Errors\")"
        }
        _ => "the client could not send",
    };
    std::io::Error::new(err.kind(), format!("step {}: {meaning} ({err})", step + 1))
}

/// The first non-interim answer in `received`, once its head is complete.
pub(crate) fn final_answer(received: &[u8]) -> Option<Answer> {
    let mut offset = 0;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(&received[offset..]) {
            Ok(httparse::Status::Complete(n)) => n,
            _ => return None,
        };
        offset += head_len;
        let status = response.code?;
        if (100..200).contains(&status) {
            continue;
        }
        let headers: Vec<(String, String)> = response
            .headers
            .iter()
            .map(|h| {
                let value = String::from_utf8_lossy(h.value).into_owned();
                (h.name.to_ascii_lowercase(), value)
            })
            .collect();
        let server = headers
            .iter()
            .find(|(name, _)| name == "server")
            .map(|(_, value)| value.clone());
        return Some(Answer {
            outcome: Outcome::Status(status),
            server,
            reset_after: false,
            headers,
            head_end: offset,
        });
    }
}

pub(crate) fn parse_status(head: &[u8]) -> Option<u16> {
    let line_end = head.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

fn decode_hex(hex: &str) -> std::io::Result<Vec<u8>> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad hex {hex:?}"));
    if hex.len() % 2 != 0 {
        return Err(bad());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_parse_and_garbage_does_not() {
        assert_eq!(parse_status(b"HTTP/1.1 400 Bad Request\r\n"), Some(400));
        assert_eq!(parse_status(b"HTTP/1.1 400"), None);
        assert_eq!(parse_status(b"hello\r\n"), None);
    }

    #[test]
    fn an_interim_continue_is_skipped_and_the_final_head_gives_status_and_server() {
        let wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 413 Payload Too Large\r\nServer: x\r\nContent-Length: 0\r\n\r\n";
        let answer = final_answer(wire).expect("a final answer");
        assert_eq!(answer.outcome, Outcome::Status(413));
        assert_eq!(answer.server.as_deref(), Some("x"));
        assert_eq!(final_answer(b"HTTP/1.1 100 Continue\r\n\r\n"), None);
        assert_eq!(final_answer(b"HTTP/1.1 400 Bad Request\r\nServer"), None);
    }

    #[test]
    fn hex_decodes_and_rejects_odd_lengths() {
        assert_eq!(decode_hex("00ff").unwrap(), vec![0, 255]);
        assert!(decode_hex("0").is_err());
        assert!(decode_hex("zz").is_err());
    }
}
