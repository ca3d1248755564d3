//! What the tests share, behind the `test-support` feature (the harness's own tests and the
//! workspace's enable it): trials for tests that need a tool ([`tools`]), waiting with a deadline
//! ([`wait`]), and PostgreSQL's processes seen from outside ([`postgres`]).

pub mod postgres;
pub mod tools;
pub mod wait;

pub use tools::*;
pub use wait::eventually;
