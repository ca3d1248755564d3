//! The framework-free half of spec/CONTRACT.md: the typed `/json/doc` document, the
//! `/json/order` request and answer, the chained SHA-256 of `/hash`, query parsing and the
//! body limits. The Go and Node targets implement the same in their own languages.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Largest accepted request body (64 KiB); one byte more is answered 413.
pub const BODY_LIMIT: usize = 65_536;
/// Bytes of an oversized body read and discarded before its 413, so a client still sending
/// is not reset; a body announced larger is answered at once and the connection closed.
pub const DRAIN_LIMIT: usize = 1 << 20;
/// `/hash?rounds=N` accepts N in 1..=MAX_ROUNDS.
pub const MAX_ROUNDS: u32 = 1_000_000;
/// `/sleep?ms=N` accepts N in 0..=MAX_SLEEP_MS.
pub const MAX_SLEEP_MS: u32 = 10_000;
/// `/queries` and `/updates` answer at most this many rows (TechEmpower's bound).
pub const MAX_QUERIES: usize = 500;

/// The body of `GET /json`.
#[derive(Debug, Serialize)]
pub struct Message {
    pub message: &'static str,
}

/// The document of `GET /json/doc` (spec/json-doc.json), built as a typed value per request.
#[derive(Debug, Serialize)]
pub struct Doc {
    id: u64,
    name: &'static str,
    active: bool,
    score: f64,
    tags: Vec<&'static str>,
    owner: Owner,
    items: Vec<DocItem>,
    meta: Meta,
}

#[derive(Debug, Serialize)]
struct Owner {
    id: u64,
    login: &'static str,
    email: &'static str,
    verified: bool,
    followers: u64,
}

#[derive(Debug, Serialize)]
struct DocItem {
    sku: &'static str,
    title: &'static str,
    qty: u32,
    price_cents: u64,
    in_stock: bool,
}

#[derive(Debug, Serialize)]
struct Meta {
    version: u32,
    created: &'static str,
    ratio: f64,
    region: &'static str,
    note: &'static str,
}

const fn item(
    sku: &'static str,
    title: &'static str,
    qty: u32,
    price_cents: u64,
    in_stock: bool,
) -> DocItem {
    DocItem {
        sku,
        title,
        qty,
        price_cents,
        in_stock,
    }
}

impl Doc {
    /// Builds a fresh document; called once per request.
    pub fn build() -> Self {
        Self {
            id: 1001,
            name: "stampede reference document",
            active: true,
            score: 98.5,
            tags: vec!["rust", "go", "node", "http", "json", "benchmark"],
            owner: Owner {
                id: 42,
                login: "octocat",
                email: "octocat@example.com",
                verified: true,
                followers: 1024,
            },
            items: vec![
                item("A-100", "Widget", 2, 1999, true),
                item("B-220", "Gadget", 1, 4550, false),
                item("C-310", "Sprocket", 12, 125, true),
                item("D-404", "Flange", 3, 899, true),
                item("E-505", "Gizmo", 7, 2500, false),
                item("F-606", "Doohickey", 5, 75, true),
                item("G-707", "Thingamajig", 4, 3200, true),
                item("H-808", "Whatsit", 9, 640, false),
            ],
            meta: Meta {
                version: 3,
                created: "2026-01-01T00:00:00Z",
                ratio: 0.25,
                region: "eu-west",
                note: "built and serialised per request",
            },
        }
    }
}

/// The body of `POST /json/order`. Unknown fields are ignored; anything else off-shape fails.
#[derive(Debug, Deserialize)]
pub struct Order {
    id: u64,
    items: Vec<OrderItem>,
}

#[derive(Debug, Deserialize)]
struct OrderItem {
    #[expect(dead_code, reason = "validated as a string, never read")]
    sku: String,
    qty: u32,
    price_cents: u64,
}

/// The answer of `POST /json/order`.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct OrderSummary {
    id: u64,
    item_count: usize,
    total_cents: u64,
}

/// Parses an order from raw body bytes and totals it. `None` (answer 400) when the body is not
/// an order or the total does not fit in a u64.
pub fn summarise_order(body: &[u8]) -> Option<OrderSummary> {
    let order: Order = serde_json::from_slice(body).ok()?;
    let total_cents = order.items.iter().try_fold(0u64, |sum, item| {
        u64::from(item.qty)
            .checked_mul(item.price_cents)
            .and_then(|line| sum.checked_add(line))
    })?;
    Some(OrderSummary {
        id: order.id,
        item_count: order.items.len(),
        total_cents,
    })
}

/// h1 = SHA-256(body); h(k+1) = SHA-256(32 raw bytes of h(k)); returns lowercase hex of
/// h(rounds). `rounds` is at least 1 (checked by [`parse_rounds`]).
pub fn chained_sha256_hex(body: &[u8], rounds: u32) -> String {
    let mut digest = Sha256::digest(body);
    for _ in 1..rounds {
        digest = Sha256::digest(digest);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// The raw value of the first `key=value` pair named `key` in a query string (no decoding:
/// every accepted value is plain digits).
fn query_value<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (name == key).then_some(value)
    })
}

/// A query parameter made only of ASCII digits whose value lies in `min..=max`.
fn bounded_param(query: Option<&str>, key: &str, min: u32, max: u32) -> Option<u32> {
    let value = query_value(query?, key)?;
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = value.parse().ok()?;
    (min..=max).contains(&n).then_some(n)
}

/// `rounds` of `/hash` and `/hash/offload`: 1..=1,000,000, else `None` (answer 400).
pub fn parse_rounds(query: Option<&str>) -> Option<u32> {
    bounded_param(query, "rounds", 1, MAX_ROUNDS)
}

/// `ms` of `/sleep`: 0..=10,000, else `None` (answer 400).
pub fn parse_sleep_ms(query: Option<&str>) -> Option<u32> {
    bounded_param(query, "ms", 0, MAX_SLEEP_MS)
}

/// `queries` of `/queries` and `/updates`, clamped as TechEmpower does rather than refused:
/// missing, empty, not a whole number or below 1 is 1; above 500 is 500.
pub fn parse_queries(query: Option<&str>) -> usize {
    let value = query.and_then(|query| query_value(query, "queries"));
    match value {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            // All digits but too long for a usize is far above the bound too.
            digits
                .parse::<usize>()
                .map_or(MAX_QUERIES, |n| n.clamp(1, MAX_QUERIES))
        }
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_in_range_are_accepted() {
        assert_eq!(parse_rounds(Some("rounds=1")), Some(1));
        assert_eq!(parse_rounds(Some("rounds=1000000")), Some(1_000_000));
        assert_eq!(parse_rounds(Some("x=9&rounds=42&rounds=7")), Some(42));
    }

    #[test]
    fn rounds_above_one_million_are_rejected() {
        assert_eq!(parse_rounds(Some("rounds=1000001")), None);
        assert_eq!(parse_rounds(Some("rounds=99999999999999999999999")), None);
    }

    #[test]
    fn missing_zero_negative_or_non_numeric_rounds_are_rejected() {
        for query in [
            None,
            Some(""),
            Some("rounds"),
            Some("rounds="),
            Some("round=1"),
        ] {
            assert_eq!(parse_rounds(query), None, "{query:?}");
        }
        for query in [
            "rounds=0",
            "rounds=-1",
            "rounds=ten",
            "rounds=+5",
            "rounds=1.0",
            "rounds= 1",
        ] {
            assert_eq!(parse_rounds(Some(query)), None, "{query}");
        }
    }

    #[test]
    fn sleep_accepts_zero_to_ten_seconds_only() {
        assert_eq!(parse_sleep_ms(Some("ms=0")), Some(0));
        assert_eq!(parse_sleep_ms(Some("ms=10000")), Some(10_000));
        assert_eq!(parse_sleep_ms(Some("ms=10001")), None);
        assert_eq!(parse_sleep_ms(Some("ms=-5")), None);
        assert_eq!(parse_sleep_ms(None), None);
    }

    #[test]
    fn queries_from_1_to_500_are_taken_as_given() {
        assert_eq!(parse_queries(Some("queries=1")), 1);
        assert_eq!(parse_queries(Some("queries=20")), 20);
        assert_eq!(parse_queries(Some("x=3&queries=500&queries=7")), 500);
    }

    #[test]
    fn missing_empty_non_numeric_or_zero_queries_mean_one() {
        for query in [
            None,
            Some(""),
            Some("queries"),
            Some("queries="),
            Some("query=20"),
            Some("queries=foo"),
            Some("queries=0"),
            Some("queries=-5"),
            Some("queries=2.5"),
            Some("queries=+3"),
        ] {
            assert_eq!(parse_queries(query), 1, "{query:?}");
        }
    }

    #[test]
    fn queries_above_500_mean_500() {
        assert_eq!(parse_queries(Some("queries=501")), 500);
        assert_eq!(parse_queries(Some("queries=99999999999999999999999")), 500);
    }

    #[test]
    fn chained_hash_matches_the_python_vectors() {
        assert_eq!(
            chained_sha256_hex(b"abc", 2),
            "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358"
        );
        assert_eq!(
            chained_sha256_hex(b"stampede", 1000),
            "057cd804964c80fdedef0b80484c7138a3ff7e8fccd18d51bb0fd518dc1ec63f"
        );
    }

    #[test]
    fn order_total_is_the_sum_of_quantity_times_price() {
        let body = br#"{"id":77,"extra":true,"items":[{"sku":"A","qty":2,"price_cents":1999},
            {"sku":"B","qty":1,"price_cents":4550},{"sku":"C","qty":0,"price_cents":899}]}"#;
        let summary = summarise_order(body).expect("a valid order");
        assert_eq!(
            summary,
            OrderSummary {
                id: 77,
                item_count: 3,
                total_cents: 8548
            }
        );
    }

    #[test]
    fn order_total_over_u64_is_rejected() {
        let body = br#"{"id":1,"items":[{"sku":"A","qty":4294967295,"price_cents":18446744073709551615}]}"#;
        assert_eq!(summarise_order(body), None);
    }

    #[test]
    fn off_shape_orders_are_rejected() {
        for body in [
            &br#"{"id": 1, "items": ["#[..],
            b"",
            br#"{"id":1}"#,
            br#"{"id":"1","items":[]}"#,
            br#"{"id":1,"items":{}}"#,
            br#"{"id":1,"items":[{"sku":"A","qty":-1,"price_cents":1}]}"#,
            br#"{"id":1,"items":[{"sku":"A","qty":4294967296,"price_cents":1}]}"#,
            br#"{"id":1,"items":[{"sku":"A","qty":1,"price_cents":1.5}]}"#,
        ] {
            assert_eq!(
                summarise_order(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn document_serialises_to_the_spec_file() {
        let ours: serde_json::Value =
            serde_json::to_value(Doc::build()).expect("the document serialises");
        let spec: serde_json::Value =
            serde_json::from_str(include_str!("../../../spec/json-doc.json"))
                .expect("spec/json-doc.json is JSON");
        assert_eq!(ours, spec);
    }
}
