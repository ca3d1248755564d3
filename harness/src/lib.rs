//! stampede harness: the pieces between a catalog entry and a number with its evidence.
//!
//! Modules follow the data path: [`catalog`] (targets as data) -> [`build`] -> [`process`]
//! (a `RunningServer` guard) -> [`verify`] against [`vectors`] -> [`load`] (the driver) ->
//! [`metrics`] (server CPU and memory) -> [`session`] (all of it for one target) ->
//! [`evidence`] (one record per benchmark) -> [`summary`] (the page, with the claims check);
//! [`database`] is the PostgreSQL cluster a run starts beside the servers, like a target;
//! [`load_output`] is what `stampede load` prints, [`compare`] the duet A/B; every report a
//! command prints or writes goes through [`output`] (one `Render` trait, one `Format` enum).

pub mod badinput;
pub mod benchmark_id;
pub mod bodies;
pub mod build;
pub mod catalog;
mod child_setup;
pub mod compare;
pub mod cpus;
pub mod database;
pub mod evidence;
pub mod exposition;
pub mod history;
pub mod icount;
pub mod k6;
pub mod limits;
pub mod load;
pub mod load_output;
pub mod load_request;
pub mod metrics;
#[cfg(any(test, feature = "test-support"))]
pub mod mock;
pub mod output;
pub mod process;
pub mod sampling;
pub mod session;
pub mod steady;
pub mod strictness;
pub mod summary;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
pub mod text;
pub mod vectors;
pub mod verify;
pub mod verify_database;
pub mod verify_targets;
pub mod workload;
