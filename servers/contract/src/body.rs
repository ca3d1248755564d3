//! Collecting a request body under the contract's limits (spec/CONTRACT.md, "Errors"): at most
//! [`BODY_LIMIT`] bytes are kept; a larger body is answered 413, but only after the rest of it,
//! up to [`DRAIN_LIMIT`] bytes in all, has been read and discarded, so a client still sending
//! is not reset before it can read the answer. Each target feeds its framework's body stream
//! through a [`BodyCollector`].

use crate::contract::{BODY_LIMIT, DRAIN_LIMIT};

/// A body over [`BODY_LIMIT`]: answer 413, closing the connection when `close` is set (the
/// rest of the body was not read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    /// Close the connection after the answer.
    pub close: bool,
}

/// Keeps the first [`BODY_LIMIT`] bytes of a body and counts the rest.
#[derive(Debug)]
pub struct BodyCollector {
    kept: Vec<u8>,
    size: usize,
}

impl BodyCollector {
    /// Starts a body whose request announced `content_length`. A body announced larger than
    /// [`DRAIN_LIMIT`], or larger than [`BODY_LIMIT`] by a client waiting for `100 Continue`
    /// (it sends nothing unless told to), is refused at once.
    pub fn start(content_length: Option<u64>, expects_continue: bool) -> Result<Self, TooLarge> {
        let announced = content_length.unwrap_or(0);
        let over = |limit: usize| announced > u64::try_from(limit).unwrap_or(u64::MAX);
        if over(DRAIN_LIMIT) || (expects_continue && over(BODY_LIMIT)) {
            return Err(TooLarge { close: true });
        }
        let capacity = usize::try_from(announced).map_or(BODY_LIMIT, |n| n.min(BODY_LIMIT));
        Ok(Self {
            kept: Vec::with_capacity(capacity),
            size: 0,
        })
    }

    /// Takes the next piece; an error once the body passes [`DRAIN_LIMIT`] (stop reading).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), TooLarge> {
        self.size = self.size.saturating_add(chunk.len());
        if self.size <= BODY_LIMIT {
            self.kept.extend_from_slice(chunk);
        } else if self.size > DRAIN_LIMIT {
            return Err(TooLarge { close: true });
        }
        Ok(())
    }

    /// The whole body, or 413 (on an open connection: all of it was read).
    pub fn finish(self) -> Result<Vec<u8>, TooLarge> {
        if self.size > BODY_LIMIT {
            Err(TooLarge { close: false })
        } else {
            Ok(self.kept)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(pieces: &[usize]) -> Result<Vec<u8>, TooLarge> {
        let mut body = BodyCollector::start(None, false)?;
        for &n in pieces {
            body.push(&vec![b'a'; n])?;
        }
        body.finish()
    }

    #[test]
    fn a_body_at_the_limit_is_kept_whole() {
        assert_eq!(
            collect(&[BODY_LIMIT - 1, 1]).map(|b| b.len()),
            Ok(BODY_LIMIT)
        );
    }

    #[test]
    fn an_oversized_body_is_read_to_the_end_then_refused_on_an_open_connection() {
        assert_eq!(
            collect(&[BODY_LIMIT, 1, DRAIN_LIMIT - BODY_LIMIT - 1]),
            Err(TooLarge { close: false })
        );
    }

    #[test]
    fn a_body_past_the_drain_limit_stops_the_reading_and_closes() {
        assert_eq!(collect(&[DRAIN_LIMIT, 1]), Err(TooLarge { close: true }));
    }

    #[test]
    fn a_huge_announced_body_or_one_awaiting_continue_is_refused_before_reading() {
        let huge = u64::try_from(DRAIN_LIMIT).unwrap_or(u64::MAX) + 1;
        assert_eq!(
            BodyCollector::start(Some(huge), false).map(|_| ()),
            Err(TooLarge { close: true })
        );
        let over = u64::try_from(BODY_LIMIT).unwrap_or(u64::MAX) + 1;
        assert_eq!(
            BodyCollector::start(Some(over), true).map(|_| ()),
            Err(TooLarge { close: true })
        );
        assert!(BodyCollector::start(Some(over), false).is_ok());
    }
}
