//! What the Rust reference targets share: the environment they read ([`config`]), the
//! contract's framework-independent parts ([`contract`]: the ~1 KB document, order parsing,
//! chained SHA-256, query parameters, body limits), the Host rule and the answer to `OPTIONS *`
//! ([`host`]), body collection under those limits ([`body`]), the bound on the offload queue
//! ([`offload`]), and for the database routes the sqlx pool and its queries ([`database`]) and
//! the fortunes page ([`fortunes`]). Routing and HTTP I/O stay in each target, so the benchmark
//! compares frameworks, not copies of this code; both use the one driver the same way. See
//! spec/CONTRACT.md.

pub mod body;
pub mod config;
pub mod contract;
pub mod database;
pub mod fortunes;
pub mod host;
pub mod offload;
