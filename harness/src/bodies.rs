//! Request bodies for the POST workloads: a large pool drawn from a seeded generator at run
//! start, each with the contract's answer, so that no two consecutive requests on a connection
//! repeat and a target that memoises answers cannot win. The seed goes into every record, and
//! the same seed gives the same bodies (ChaCha8: a stream that does not change between
//! versions of the crate).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::load::check::ExpectedBody;

/// Bodies in a pool: far more than any cache keyed by a few requests would hold, and a power
/// of two, so every connection's walk through the pool visits all of it.
pub const POOL_SIZE: usize = 1024;
/// Length of a `/hash` body: printable random bytes.
pub const HASH_BODY_BYTES: usize = 64;

/// A named body generator: what a workload's `body = "..."` in spec/workloads.toml picks. A
/// new kind of body is a new variant here (the one place a workload may need harness code); a
/// workload that reuses a kind, or sends no body, needs none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyKind {
    /// Printable random bytes answered by their chained SHA-256 over the workload's parameter
    /// (the rounds): [`hash_bodies`].
    Hash,
    /// Orders answered by their item count and total: [`order_bodies`].
    Order,
}

impl BodyKind {
    /// True when the answers depend on the workload's parameter, which must then exist.
    pub fn needs_param(self) -> bool {
        matches!(self, Self::Hash)
    }

    /// The pool for `seed`; `param` is the workload's parameter (required by
    /// [`Self::needs_param`] kinds, which spec loading enforces).
    pub fn generate(self, seed: u64, param: Option<u32>) -> Vec<Body> {
        match self {
            Self::Hash => hash_bodies(seed, param.unwrap_or(1)),
            Self::Order => order_bodies(seed),
        }
    }
}

/// One request body and the answer the contract gives for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    /// The bytes sent.
    pub bytes: Vec<u8>,
    /// The correct answer's body.
    pub answer: ExpectedBody,
}

/// A seed for a new run: different every run unless `STAMPEDE_SEED` fixes it for a rerun.
pub fn run_seed() -> u64 {
    if let Some(seed) = std::env::var("STAMPEDE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return seed;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    now ^ (u64::from(std::process::id()) << 32)
}

/// `/hash?rounds=N` bodies with their chained digests (computed when first checked).
pub fn hash_bodies(seed: u64, rounds: u32) -> Vec<Body> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..POOL_SIZE)
        .map(|_| {
            let bytes: Vec<u8> = (0..HASH_BODY_BYTES)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
                .collect();
            let answer = ExpectedBody::hash_chain(&bytes, rounds);
            Body { bytes, answer }
        })
        .collect()
}

/// `/json/order` bodies: distinct orders of 1 to 8 items with their totals.
pub fn order_bodies(seed: u64) -> Vec<Body> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6f72_6465_7273);
    (0..POOL_SIZE)
        .map(|n| {
            let id: u64 = rng.random();
            let count = rng.random_range(1..=8);
            let items: Vec<serde_json::Value> = (0..count)
                .map(|i| {
                    json!({
                        "sku": format!("SKU-{n}-{i}-{:04x}", rng.random::<u16>()),
                        "qty": rng.random_range(1..=1000u32),
                        "price_cents": rng.random_range(1..=1_000_000u64),
                    })
                })
                .collect();
            let total: u64 = items
                .iter()
                .map(|i| i["qty"].as_u64().unwrap_or(0) * i["price_cents"].as_u64().unwrap_or(0))
                .sum();
            let bytes =
                serde_json::to_vec(&json!({ "id": id, "items": items })).unwrap_or_default();
            let answer =
                ExpectedBody::json(json!({ "id": id, "item_count": count, "total_cents": total }));
            Body { bytes, answer }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_pool_holds_distinct_bodies_and_the_same_seed_gives_the_same_pool() {
        for pool in [hash_bodies(7, 10), order_bodies(7)] {
            let distinct: BTreeSet<&Vec<u8>> = pool.iter().map(|b| &b.bytes).collect();
            assert_eq!(distinct.len(), POOL_SIZE);
        }
        assert_eq!(hash_bodies(7, 10), hash_bodies(7, 10));
        assert_ne!(hash_bodies(7, 10)[0].bytes, hash_bodies(8, 10)[0].bytes);
        assert_eq!(order_bodies(7), order_bodies(7));
    }

    #[test]
    fn an_order_answer_is_its_item_count_and_total() {
        let body = &order_bodies(1)[0];
        let order: serde_json::Value = serde_json::from_slice(&body.bytes).unwrap();
        let items = order["items"].as_array().unwrap();
        let total: u64 = items
            .iter()
            .map(|i| i["qty"].as_u64().unwrap() * i["price_cents"].as_u64().unwrap())
            .sum();
        let want = json!({"id": order["id"], "item_count": items.len(), "total_cents": total});
        let canonical = serde_json::to_vec(&want).unwrap();
        assert_eq!(body.answer.check(&canonical, 1), Some(Ok(())));
    }
}
