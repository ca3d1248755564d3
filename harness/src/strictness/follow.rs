//! What follows a first answer on a connection: a close, a second answer (the bytes after the
//! first message were read as another request: the desync the RFC's "then close" prevents), or
//! nothing. The first answer's body is skipped by its own framing.

use std::io::Read;
use std::time::Duration;

use crate::badinput::{Conversation, final_answer, parse_status};

use super::After;

/// How the first answer's body ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
    /// No length: the body runs to the close.
    UntilClose,
}

fn framing(conversation: &Conversation) -> Framing {
    let answer = &conversation.answer;
    let chunked = answer
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return Framing::Chunked;
    }
    match answer.header("content-length").map(|v| v.trim().parse()) {
        Some(Ok(length)) => Framing::Length(length),
        _ => Framing::UntilClose,
    }
}

/// Length of a complete chunked body at the start of `bytes`, trailers included.
fn chunked_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let line_end = at + bytes[at..].windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&bytes[at..line_end]).ok()?;
        let size = line.split(';').next()?.trim();
        let size = usize::from_str_radix(size, 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            // Trailer lines up to an empty one.
            loop {
                let end = at + bytes[at..].windows(2).position(|w| w == b"\r\n")?;
                let empty = end == at;
                at = end + 2;
                if empty {
                    return Some(at);
                }
            }
        }
        at = at.checked_add(size)?.checked_add(2)?;
        if at > bytes.len() {
            return None;
        }
    }
}

/// Where the first answer ends in `received`, once it has all come.
fn answer_end(framing: Framing, received: &[u8], head_end: usize) -> Option<usize> {
    match framing {
        Framing::Length(n) => Some(head_end + n).filter(|&end| end <= received.len()),
        Framing::Chunked => chunked_len(&received[head_end..]).map(|n| head_end + n),
        Framing::UntilClose => None,
    }
}

/// Reads after the first answer until the server closes, answers again, or stays quiet for
/// `wait`. A connection without a first answer's head has nothing after it: `Closed`.
pub fn what_follows(conversation: &mut Conversation, wait: Duration) -> std::io::Result<After> {
    let head_end = conversation.answer.head_end;
    if head_end == 0 {
        return Ok(After::Closed);
    }
    let framing = framing(conversation);
    conversation.stream.set_read_timeout(Some(wait))?;
    let mut buf = [0u8; 4096];
    loop {
        let received = &conversation.received;
        let next = answer_end(framing, received, head_end).map(|end| &received[end..]);
        if let Some(answer) = next.and_then(final_answer) {
            if let crate::badinput::Outcome::Status(status) = answer.outcome {
                return Ok(After::Answered(status));
            }
        }
        let partial_status = || next.and_then(parse_status);
        match conversation.stream.read(&mut buf) {
            Ok(0) => return Ok(partial_status().map_or(After::Closed, After::Answered)),
            Ok(n) => conversation.received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Ok(partial_status().map_or(After::Closed, After::Answered));
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(partial_status().map_or(After::Open, After::Answered));
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpListener;

    use super::*;
    use crate::badinput::{Step, converse};

    /// A one-connection server that reads the request, writes `reply`, then closes or not.
    fn server(reply: &'static [u8], close: bool) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            stream.write_all(reply).unwrap();
            if !close {
                std::thread::sleep(Duration::from_millis(800));
            }
        });
        addr
    }

    fn after(reply: &'static [u8], close: bool) -> After {
        let step = Step {
            send: Some("GET / HTTP/1.1\r\nHost: x\r\n\r\n".into()),
            ..Step::default()
        };
        let addr = server(reply, close);
        let mut conversation = converse(addr, &[step], Duration::from_secs(2)).unwrap();
        what_follows(&mut conversation, Duration::from_millis(300)).unwrap()
    }

    #[test]
    fn a_second_answer_after_the_first_body_is_seen_as_the_next_bytes_answered() {
        let two = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(after(two, true), After::Answered(404));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
        assert_eq!(after(chunked, false), After::Answered(200));
    }

    #[test]
    fn a_close_after_the_answer_and_a_connection_left_open_are_told_apart() {
        let one = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad";
        assert_eq!(after(one, true), After::Closed);
        assert_eq!(after(one, false), After::Open);
        // No length: the body runs to the close, which is then what follows.
        assert_eq!(
            after(b"HTTP/1.1 400 Bad Request\r\n\r\nbad", true),
            After::Closed
        );
    }

    #[test]
    fn a_chunked_body_ends_after_its_last_chunk_and_trailers() {
        assert_eq!(chunked_len(b"3\r\nabc\r\n0\r\n\r\nHTTP"), Some(13));
        assert_eq!(chunked_len(b"3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"), Some(23));
        assert_eq!(chunked_len(b"3\r\nabc\r\n0\r\n"), None);
        assert_eq!(chunked_len(b"zz\r\n"), None);
    }

    #[test]
    fn a_length_framed_answer_ends_only_once_its_body_has_come() {
        assert_eq!(answer_end(Framing::Length(5), b"headhello", 4), Some(9));
        assert_eq!(answer_end(Framing::Length(5), b"headhel", 4), None);
        assert_eq!(answer_end(Framing::UntilClose, b"headhello", 4), None);
    }
}
