//! The request script: a fixed, seeded order of the workload's requests (one, or a pool of
//! seeded bodies), repeated. Base and head, and every repetition, send exactly the same bytes
//! in the same order, so phases of equal length cover the same requests.

use crate::load::RequestTemplate;

/// Seed of every script ("STAMPEDE" in ASCII).
pub const SCRIPT_SEED: u64 = 0x5354_414d_5045_4445;

/// A cycle of requests in a seeded order.
#[derive(Clone, Debug)]
pub struct Script {
    cycle: Vec<RequestTemplate>,
    next: usize,
}

impl Script {
    /// The templates shuffled with `seed` (Fisher-Yates on SplitMix64); empty stays empty.
    pub fn new(mut templates: Vec<RequestTemplate>, seed: u64) -> Self {
        let mut state = seed;
        for i in (1..templates.len()).rev() {
            let j = (split_mix64(&mut state) % (i as u64 + 1)) as usize;
            templates.swap(i, j);
        }
        Self {
            cycle: templates,
            next: 0,
        }
    }

    /// The next request; `None` only for an empty script.
    pub fn next_request(&mut self) -> Option<&RequestTemplate> {
        if self.cycle.is_empty() {
            return None;
        }
        let index = self.next % self.cycle.len();
        self.next += 1;
        self.cycle.get(index)
    }
}

/// SplitMix64: a small, well-mixed generator; enough for a fixed shuffle.
fn split_mix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn templates(n: usize) -> Vec<RequestTemplate> {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        (0..n)
            .map(|i| RequestTemplate::get(addr, &format!("/r{i}")))
            .collect()
    }

    fn paths(script: &mut Script, n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|_| script.next_request().unwrap().bytes.clone())
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_order_and_another_seed_another() {
        let a = paths(&mut Script::new(templates(8), SCRIPT_SEED), 8);
        let b = paths(&mut Script::new(templates(8), SCRIPT_SEED), 8);
        let c = paths(&mut Script::new(templates(8), 1), 8);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn every_cycle_sends_each_request_once() {
        let mut script = Script::new(templates(5), SCRIPT_SEED);
        let first = paths(&mut script, 5);
        let second = paths(&mut script, 5);
        assert_eq!(first, second);
        let mut sorted = first.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 5);
    }

    #[test]
    fn an_empty_script_has_nothing_to_send() {
        assert!(
            Script::new(Vec::new(), SCRIPT_SEED)
                .next_request()
                .is_none()
        );
    }
}
