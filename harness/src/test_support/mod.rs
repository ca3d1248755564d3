//! What the tests share, behind the `test-support` feature (the harness's own tests and the
//! workspace's enable it): trials for tests that need a tool ([`tools`]), waiting with a deadline
//! ([`wait`]), PostgreSQL's processes seen from outside ([`postgres`]), one cluster shared by a
//! test binary's trials ([`shared_database`]), and a catalog of the mock process
//! ([`mock_targets_toml`]).

mod mock_catalog;
pub mod postgres;
pub mod shared_database;
pub mod tools;
pub mod wait;

pub use mock_catalog::mock_targets_toml;
pub use shared_database::{SharedDatabase, postgres_missing};
pub use tools::*;
pub use wait::eventually;
