//! The bad-input table (`spec/bad-inputs.json`): raw-socket abuse that HTTP clients cannot
//! send — garbage request lines, headers cut off, bodies shorter than announced or over the
//! limit, a slow client. Each case must get an acceptable answer, the answer must name the
//! server unless the table says the framework writes it, and the target must stay healthy.

mod check;
mod client;

use std::path::Path;

use serde::Deserialize;

use crate::vectors::SpecError;

pub use check::check_all;
pub use client::{Answer, Conversation, converse, play};
pub(crate) use client::{final_answer, parse_status};

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
}
