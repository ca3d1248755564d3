//! What the Rust reference targets share: the environment they read ([`config`]) and the
//! contract's framework-independent parts ([`contract`]: the ~1 KB document, order parsing,
//! chained SHA-256, query parameters). Routing and I/O stay in each target, so the benchmark
//! compares frameworks, not copies of this code. See spec/CONTRACT.md.

pub mod config;
pub mod contract;
