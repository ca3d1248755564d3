//! The bad-input table (`spec/bad-inputs.json`): raw-socket abuse that HTTP clients cannot
//! send — garbage request lines, headers cut off, bodies shorter than announced or over the
//! limit, a slow client. Each case must get an acceptable answer, the answer must name the
//! server unless the table says the framework writes it, and the target must stay healthy.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::process::health_ok;
use crate::vectors::SpecError;

/// How long to wait for an answer before calling the connection silent.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// Shorter wait for cases where silence is acceptable.
const SILENCE_TIMEOUT: Duration = Duration::from_secs(1);

/// One thing the client does.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Text to send.
    #[serde(default)]
    pub send: Option<String>,
    /// Bytes to send, in hex.
    #[serde(default)]
    pub send_hex: Option<String>,
    /// Pause between bytes of `send`.
    #[serde(default)]
    pub byte_delay_ms: Option<u64>,
    /// Pause before the next step.
    #[serde(default)]
    pub pause_ms: Option<u64>,
    /// Close the sending side.
    #[serde(default)]
    pub shutdown_write: bool,
    /// A body of `bytes` bytes to send (after the head in `send`).
    #[serde(default)]
    pub body: Option<BodyStep>,
}

/// A generated request body: `bytes` bytes of `a`, plain or in chunks of `chunk_bytes`
/// (chunked transfer coding, last chunk included), written in one go or, like a client on a
/// slower link, in writes of `write_bytes` with `write_delay_ms` between them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyStep {
    /// Payload size.
    pub bytes: usize,
    /// Chunk size; absent for a plain (Content-Length) body.
    #[serde(default)]
    pub chunk_bytes: Option<usize>,
    /// Size of each write; absent: one write.
    #[serde(default)]
    pub write_bytes: Option<usize>,
    /// Pause after each write.
    #[serde(default)]
    pub write_delay_ms: Option<u64>,
}

impl BodyStep {
    /// The bytes on the wire.
    pub fn wire_bytes(&self) -> Vec<u8> {
        let payload = vec![b'a'; self.bytes];
        let Some(size) = self.chunk_bytes.filter(|&n| n > 0) else {
            return payload;
        };
        chunked(&payload, size)
    }
}

/// `body` in HTTP/1.1 chunked transfer coding, in pieces of `size` bytes.
pub fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut wire = Vec::with_capacity(body.len() + body.len() / size * 10 + 16);
    for piece in body.chunks(size) {
        wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        wire.extend_from_slice(piece);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    wire
}

/// Acceptable outcomes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadExpect {
    /// Acceptable status codes.
    pub statuses: Vec<u16>,
    /// A closed connection without an answer is acceptable too.
    #[serde(default)]
    pub or_closed: bool,
    /// No answer at all (the server is waiting for the rest) is acceptable too.
    #[serde(default)]
    pub or_silent: bool,
    /// After the answer the connection must stay open or close cleanly, never be reset (a
    /// reset means the server closed with part of the request unread).
    #[serde(default)]
    pub no_reset: bool,
}

/// One abuse case.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadInputCase {
    /// Unique name.
    pub name: String,
    /// What the client does, in order.
    pub steps: Vec<Step>,
    /// What may come back.
    pub expect: BadExpect,
    /// Targets whose framework writes this answer itself, before the target's code runs, so
    /// it lacks `Server: <target>` (CONTRACT.md, "Answers the framework writes"). Every other
    /// target's answer must name the server; a listed target's must not, so the list stays true.
    #[serde(default)]
    pub framework_answers: Vec<String>,
}

impl BadInputCase {
    /// The path its request line names (`POST /json/order HTTP/1.1` -> `/json/order`); `None`
    /// when the case sends no request line (garbage): such a case concerns every target.
    pub fn request_path(&self) -> Option<&str> {
        let line = self.steps.first()?.send.as_deref()?.lines().next()?;
        let mut words = line.split(' ');
        let (_method, path, version) = (words.next()?, words.next()?, words.next()?);
        (path.starts_with('/') && version.starts_with("HTTP/")).then_some(path)
    }
}

#[derive(Debug, Deserialize)]
struct BadInputFile {
    #[allow(dead_code)]
    version: u32,
    #[allow(dead_code)]
    about: String,
    cases: Vec<BadInputCase>,
}

/// What the server did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It answered with this status.
    Status(u16),
    /// It closed the connection without answering.
    Closed,
    /// It said nothing within the timeout.
    Silent,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status(s) => write!(f, "status {s}"),
            Self::Closed => f.write_str("a closed connection"),
            Self::Silent => f.write_str("no answer"),
        }
    }
}

impl BadExpect {
    /// True when `outcome` is acceptable.
    pub fn accepts(&self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Status(s) => self.statuses.contains(&s),
            Outcome::Closed => self.or_closed,
            Outcome::Silent => self.or_silent,
        }
    }

    fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .statuses
            .iter()
            .map(|s| format!("status {s}"))
            .collect();
        if self.or_closed {
            parts.push("a closed connection".into());
        }
        if self.or_silent {
            parts.push("no answer".into());
        }
        parts.join(" or ")
    }
}

/// Loads `bad-inputs.json` from the spec folder.
pub fn load_bad_inputs(spec_dir: &Path) -> Result<Vec<BadInputCase>, SpecError> {
    let path = spec_dir.join("bad-inputs.json");
    let text = std::fs::read_to_string(&path).map_err(|source| SpecError::Read {
        path: path.clone(),
        source,
    })?;
    let file: BadInputFile =
        serde_json::from_str(&text).map_err(|source| SpecError::Parse { path, source })?;
    Ok(file.cases)
}

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
    fn without_head(outcome: Outcome) -> Self {
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

/// A status answer names the server, except where the table lists the target under
/// `framework_answers` — and there it must not, or the list (and CONTRACT.md) is out of date.
fn server_header_problem(target: &str, case: &BadInputCase, answer: &Answer) -> Option<String> {
    let Outcome::Status(status) = answer.outcome else {
        return None;
    };
    let named = answer.server.as_deref() == Some(target);
    let listed = case.framework_answers.iter().any(|t| t == target);
    match (named, listed) {
        (false, false) => Some(format!(
            "`{target}` {}: answered {status} with Server {:?}, not {target:?}; if the framework \
             writes this answer before the target's code runs, list `{target}` under \
             `framework_answers` of the case in spec/bad-inputs.json and in CONTRACT.md",
            case.name, answer.server
        )),
        (true, true) => Some(format!(
            "`{target}` {}: answered {status} with `Server: {target}`, but spec/bad-inputs.json \
             lists `{target}` under `framework_answers` for this case: remove it there and in \
             CONTRACT.md",
            case.name
        )),
        _ => None,
    }
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

/// Plays every case against `addr`; returns one line per failure (empty when all pass).
/// After each case the target must answer `/healthz`.
pub fn check_all(target: &str, addr: SocketAddr, cases: &[BadInputCase]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        match play(addr, case) {
            Ok(answer) if case.expect.accepts(answer.outcome) => {
                if let Some(problem) = server_header_problem(target, case, &answer) {
                    failures.push(problem);
                }
                if answer.reset_after {
                    failures.push(format!(
                        "`{target}` {}: answered {}, then reset the connection: it closed with \
                         part of the request unread; read or discard the rest first (CONTRACT.md, \
                         \"Errors\")",
                        case.name, answer.outcome
                    ));
                }
            }
            Ok(answer) => failures.push(format!(
                "`{target}` {}: expected {}, got {}",
                case.name,
                case.expect.describe(),
                answer.outcome
            )),
            Err(err) => failures.push(format!(
                "`{target}` {}: the client failed: {err}",
                case.name
            )),
        }
        if !health_ok(addr) {
            failures.push(format!(
                "`{target}` stopped answering GET /healthz after {}",
                case.name
            ));
            break;
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_table_loads_with_a_slow_client_and_a_garbage_line() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let cases = load_bad_inputs(&crate::vectors::spec_dir(&root)).unwrap();
        assert!(cases.iter().any(|c| c.name == "garbage-request-line"));
        assert!(
            cases
                .iter()
                .any(|c| c.steps.iter().any(|s| s.byte_delay_ms.is_some()))
        );
    }

    #[test]
    fn status_lines_parse_and_garbage_does_not() {
        assert_eq!(parse_status(b"HTTP/1.1 400 Bad Request\r\n"), Some(400));
        assert_eq!(parse_status(b"HTTP/1.1 400"), None);
        assert_eq!(parse_status(b"hello\r\n"), None);
    }

    #[test]
    fn expectations_accept_only_what_they_list() {
        let e = BadExpect {
            statuses: vec![400],
            or_closed: true,
            or_silent: false,
            no_reset: false,
        };
        assert!(e.accepts(Outcome::Status(400)));
        assert!(e.accepts(Outcome::Closed));
        assert!(!e.accepts(Outcome::Status(200)));
        assert!(!e.accepts(Outcome::Silent));
        assert_eq!(e.describe(), "status 400 or a closed connection");
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
    fn a_chunked_body_step_frames_every_chunk_and_ends_with_the_last_chunk() {
        let step = BodyStep {
            bytes: 5,
            chunk_bytes: Some(2),
            write_bytes: None,
            write_delay_ms: None,
        };
        assert_eq!(
            step.wire_bytes(),
            b"2\r\naa\r\n2\r\naa\r\n1\r\na\r\n0\r\n\r\n".to_vec()
        );
        let plain = BodyStep {
            bytes: 3,
            chunk_bytes: None,
            write_bytes: None,
            write_delay_ms: None,
        };
        assert_eq!(plain.wire_bytes(), b"aaa".to_vec());
    }

    #[test]
    fn an_answer_must_name_the_server_unless_the_case_lists_the_target() {
        let case = BadInputCase {
            name: "c".into(),
            steps: Vec::new(),
            expect: BadExpect {
                statuses: vec![400],
                or_closed: false,
                or_silent: false,
                no_reset: false,
            },
            framework_answers: vec!["listed".into()],
        };
        let answer = |server: Option<&str>| Answer {
            server: server.map(str::to_owned),
            ..Answer::without_head(Outcome::Status(400))
        };
        assert_eq!(server_header_problem("t", &case, &answer(Some("t"))), None);
        assert!(server_header_problem("t", &case, &answer(None)).is_some());
        assert_eq!(server_header_problem("listed", &case, &answer(None)), None);
        let stale = server_header_problem("listed", &case, &answer(Some("listed")));
        assert!(stale.is_some_and(|m| m.contains("remove it")));
        let closed = Answer::without_head(Outcome::Closed);
        assert_eq!(server_header_problem("t", &case, &closed), None);
    }

    #[test]
    fn hex_decodes_and_rejects_odd_lengths() {
        assert_eq!(decode_hex("00ff").unwrap(), vec![0, 255]);
        assert!(decode_hex("0").is_err());
        assert!(decode_hex("zz").is_err());
    }
}
