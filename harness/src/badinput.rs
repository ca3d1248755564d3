//! The bad-input table (`spec/bad-inputs.json`): raw-socket abuse that HTTP clients cannot
//! send — garbage request lines, headers cut off, bodies shorter than announced, a slow
//! client. Each case must get an acceptable answer, and the target must stay healthy.

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

/// Plays `case` on a fresh connection and reports what the server did.
pub fn play(addr: SocketAddr, case: &BadInputCase) -> std::io::Result<Outcome> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_nodelay(true)?;
    for step in &case.steps {
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
        if let Some(ms) = step.pause_ms {
            std::thread::sleep(Duration::from_millis(ms));
        }
        if step.shutdown_write {
            stream.shutdown(Shutdown::Write)?;
        }
    }
    let timeout = if case.expect.or_silent {
        SILENCE_TIMEOUT
    } else {
        ANSWER_TIMEOUT
    };
    stream.set_read_timeout(Some(timeout))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(parse_status(&head).map_or(Outcome::Closed, Outcome::Status)),
            Ok(n) => {
                head.extend_from_slice(&buf[..n]);
                if let Some(status) = parse_status(&head) {
                    return Ok(Outcome::Status(status));
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(Outcome::Silent);
            }
            // A reset is the server closing on us.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Ok(Outcome::Closed);
            }
            Err(e) => return Err(e),
        }
    }
}

fn parse_status(head: &[u8]) -> Option<u16> {
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

/// Plays every case against `addr`; returns one line per failure (empty when all pass).
/// After each case the target must answer `/healthz`.
pub fn check_all(target: &str, addr: SocketAddr, cases: &[BadInputCase]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        match play(addr, case) {
            Ok(outcome) if case.expect.accepts(outcome) => {}
            Ok(outcome) => failures.push(format!(
                "`{target}` {}: expected {}, got {outcome}",
                case.name,
                case.expect.describe()
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
        };
        assert!(e.accepts(Outcome::Status(400)));
        assert!(e.accepts(Outcome::Closed));
        assert!(!e.accepts(Outcome::Status(200)));
        assert!(!e.accepts(Outcome::Silent));
        assert_eq!(e.describe(), "status 400 or a closed connection");
    }

    #[test]
    fn hex_decodes_and_rejects_odd_lengths() {
        assert_eq!(decode_hex("00ff").unwrap(), vec![0, 255]);
        assert!(decode_hex("0").is_err());
        assert!(decode_hex("zz").is_err());
    }
}
