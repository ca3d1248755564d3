//! Answers checked under load: a target that passes verification and then answers from a
//! cache, a shortcut or a bug must not post a number. A sample of answers (every one when the
//! check is a byte comparison) is compared with the contract's; a wrong one is its own error
//! kind and makes the record invalid.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::database::fortunes::FortunesPage;
use crate::database::world::{RowCount, WorldTable, check_shape};

/// A hash answer whose expected digest is not known yet costs the client the server's own
/// SHA-256 work; it is computed on every n-th answer of a connection, n = rounds / this
/// (between 1 and [`COMPUTE_AT_MOST_EVERY`]), so checking costs the client about 1/20 of a
/// request's server work at most (~0.05 us per round here), and once a body's digest is known
/// every answer for it is checked for free.
const ROUNDS_PER_COMPUTE_STEP: u32 = 1000;
/// ... and at least one answer in this many computes a digest, however large the work.
const COMPUTE_AT_MOST_EVERY: u64 = 64;
/// JSON answers that are not byte-identical to our canonical form are parsed and compared on
/// every this-many-th request.
const PARSE_EVERY: u64 = 8;
/// Longest answer quoted in a wrong-answer example.
const QUOTE_BYTES: usize = 120;

/// What a correct answer's body is.
#[derive(Debug)]
pub enum ExpectedBody {
    /// Not checked.
    Unchecked,
    /// Exactly these bytes.
    Exact(Vec<u8>),
    /// JSON equal to this value; `canonical` (its compact form) is compared byte for byte first.
    Json {
        /// The expected value.
        value: serde_json::Value,
        /// `value` serialised compactly.
        canonical: Vec<u8>,
    },
    /// Lowercase hex of the chained SHA-256 of the request body over `rounds` rounds, computed
    /// the first time it is needed.
    HashChain {
        /// Rounds.
        rounds: u32,
        /// The request body.
        body: Vec<u8>,
        /// The digest once computed.
        digest: OnceLock<String>,
    },
    /// Rows of `World` whose numbers are the table's as the harness read it (`/db`, `/queries`).
    World {
        /// The table.
        table: Arc<WorldTable>,
        /// One object or an array of N.
        count: RowCount,
    },
    /// Rows of `World` in range, their numbers the server's own (`/updates`).
    WorldShape(RowCount),
    /// The fortunes page, compared after normalising.
    Fortunes(Arc<FortunesPage>),
}

impl Clone for ExpectedBody {
    fn clone(&self) -> Self {
        match self {
            Self::Unchecked => Self::Unchecked,
            Self::Exact(bytes) => Self::Exact(bytes.clone()),
            Self::Json { value, canonical } => Self::Json {
                value: value.clone(),
                canonical: canonical.clone(),
            },
            Self::HashChain {
                rounds,
                body,
                digest,
            } => Self::HashChain {
                rounds: *rounds,
                body: body.clone(),
                digest: digest.clone(),
            },
            Self::World { table, count } => Self::World {
                table: Arc::clone(table),
                count: *count,
            },
            Self::WorldShape(count) => Self::WorldShape(*count),
            Self::Fortunes(page) => Self::Fortunes(Arc::clone(page)),
        }
    }
}

impl PartialEq for ExpectedBody {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Unchecked, Self::Unchecked) => true,
            (Self::Exact(a), Self::Exact(b)) => a == b,
            (Self::Json { value: a, .. }, Self::Json { value: b, .. }) => a == b,
            (
                Self::HashChain {
                    rounds: ra,
                    body: ba,
                    ..
                },
                Self::HashChain {
                    rounds: rb,
                    body: bb,
                    ..
                },
            ) => ra == rb && ba == bb,
            (
                Self::World {
                    table: a,
                    count: ca,
                },
                Self::World {
                    table: b,
                    count: cb,
                },
            ) => a == b && ca == cb,
            (Self::WorldShape(a), Self::WorldShape(b)) => a == b,
            (Self::Fortunes(a), Self::Fortunes(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for ExpectedBody {}

impl ExpectedBody {
    /// The JSON answer `value`.
    pub fn json(value: serde_json::Value) -> Self {
        let canonical = serde_json::to_vec(&value).unwrap_or_default();
        Self::Json { value, canonical }
    }

    /// The `/hash` answer for `body` over `rounds`.
    pub fn hash_chain(body: &[u8], rounds: u32) -> Self {
        Self::HashChain {
            rounds,
            body: body.to_vec(),
            digest: OnceLock::new(),
        }
    }

    /// Compares `got` with the expected answer, for the connection's `nth` request. `None`:
    /// not checked this time; `Some(Ok(()))`: right; `Some(Err(what))`: wrong, described.
    pub fn check(&self, got: &[u8], nth: u64) -> Option<Result<(), String>> {
        match self {
            Self::Unchecked => None,
            Self::Exact(want) => Some(compare(want, got)),
            Self::Json { value, canonical } => {
                if got == canonical.as_slice() {
                    return Some(Ok(()));
                }
                if nth % PARSE_EVERY != 0 {
                    return None;
                }
                Some(match serde_json::from_slice::<serde_json::Value>(got) {
                    Ok(parsed) if &parsed == value => Ok(()),
                    _ => Err(format!(
                        "expected JSON equal to {}, got {}",
                        quote(canonical),
                        quote(got)
                    )),
                })
            }
            Self::HashChain {
                rounds,
                body,
                digest,
            } => {
                let every =
                    u64::from(*rounds / ROUNDS_PER_COMPUTE_STEP).clamp(1, COMPUTE_AT_MOST_EVERY);
                let want = match digest.get() {
                    Some(known) => known,
                    // The first answer of a connection always checks: a slow target still gets
                    // checked in a short run.
                    None if nth % every == 1 % every => {
                        digest.get_or_init(|| chained_sha256_hex(body, *rounds))
                    }
                    None => return None,
                };
                Some(compare(want.as_bytes(), got))
            }
            // Parsing rows or normalising a page costs more than a byte comparison: the first
            // answer of a connection and every PARSE_EVERY-th after it are checked.
            Self::World { .. } | Self::WorldShape(_) | Self::Fortunes(_)
                if nth % PARSE_EVERY != 1 % PARSE_EVERY =>
            {
                None
            }
            Self::World { table, count } => Some(table.check(got, *count)),
            Self::WorldShape(count) => Some(check_shape(got, *count)),
            Self::Fortunes(page) => Some(if got == page.bytes() {
                Ok(())
            } else {
                page.check(got)
            }),
        }
    }
}

fn compare(want: &[u8], got: &[u8]) -> Result<(), String> {
    if want == got {
        Ok(())
    } else {
        Err(format!("expected {}, got {}", quote(want), quote(got)))
    }
}

fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(QUOTE_BYTES)]);
    let more = if bytes.len() > QUOTE_BYTES { "..." } else { "" };
    format!("{text:?}{more}")
}

/// The contract's `/hash` answer: h1 = SHA-256(body), h(k+1) = SHA-256(h(k)), lowercase hex.
pub fn chained_sha256_hex(body: &[u8], rounds: u32) -> String {
    let mut digest = Sha256::digest(body);
    for _ in 1..rounds {
        digest = Sha256::digest(digest);
    }
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A `/sleep?ms=N` answer must take at least N ms from the moment its request was written.
pub fn too_fast(elapsed: Duration, at_least: Option<Duration>) -> bool {
    at_least.is_some_and(|min| elapsed < min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chained_hash_matches_a_published_vector() {
        // spec/vectors.json: POST /hash?rounds=1 with body "stampede" (Python hashlib).
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let vectors = crate::vectors::load_vectors(&crate::vectors::spec_dir(&root)).unwrap();
        let mut checked = 0;
        for v in vectors
            .iter()
            .filter(|v| v.request.path.starts_with("/hash?rounds=") && v.expect.status == 200)
        {
            let rounds: u32 = v.request.path["/hash?rounds=".len()..].parse().unwrap();
            let want = v.expect.body.as_deref().unwrap();
            assert_eq!(chained_sha256_hex(&v.request.body_bytes(), rounds), want);
            checked += 1;
        }
        assert!(checked >= 2, "{checked}");
    }

    #[test]
    fn a_cached_digest_is_caught_and_described() {
        let answer = ExpectedBody::hash_chain(b"one body", 3);
        let wrong = chained_sha256_hex(b"another body", 3);
        let verdict = answer.check(wrong.as_bytes(), 2).unwrap().unwrap_err();
        assert!(verdict.starts_with("expected \""), "{verdict}");
        let right = chained_sha256_hex(b"one body", 3);
        assert_eq!(answer.check(right.as_bytes(), 3), Some(Ok(())), "known now");
    }

    #[test]
    fn costly_digests_are_computed_on_every_nth_answer_and_on_a_connections_first() {
        let answer = ExpectedBody::hash_chain(b"body", 19_000);
        let right = chained_sha256_hex(b"body", 19_000);
        assert_eq!(answer.check(right.as_bytes(), 2), None, "every 19th only");
        assert_eq!(
            answer.check(right.as_bytes(), 1),
            Some(Ok(())),
            "first answer"
        );
        assert_eq!(answer.check(right.as_bytes(), 2), Some(Ok(())), "known now");
        let big = ExpectedBody::hash_chain(b"body", 64_000);
        assert_eq!(big.check(b"x", 64), None);
        assert!(big.check(b"x", 65).is_some(), "at least one in 64");
    }

    #[test]
    fn json_answers_may_differ_in_key_order_but_not_in_values() {
        let answer =
            ExpectedBody::json(serde_json::json!({"id": 7, "item_count": 1, "total_cents": 20}));
        assert_eq!(
            answer.check(br#"{"id":7,"item_count":1,"total_cents":20}"#, 1),
            Some(Ok(()))
        );
        let reordered = br#"{"total_cents": 20, "id": 7, "item_count": 1}"#;
        assert_eq!(answer.check(reordered, 1), None, "parsed on every 8th only");
        assert_eq!(answer.check(reordered, 8), Some(Ok(())));
        let wrong = br#"{"id":7,"item_count":1,"total_cents":21}"#;
        assert!(answer.check(wrong, 16).unwrap().is_err());
    }

    #[test]
    fn a_sleep_answered_early_is_too_fast() {
        let ten = Some(Duration::from_millis(10));
        assert!(too_fast(Duration::from_millis(9), ten));
        assert!(!too_fast(Duration::from_millis(10), ten));
        assert!(!too_fast(Duration::ZERO, None));
    }
}
