//! stampede harness: the pieces between a catalog entry and a number with its evidence.
//!
//! Modules follow the data path: [`catalog`] (targets as data) -> [`build`] -> [`process`]
//! (a `RunningServer` guard) -> [`verify`] against [`vectors`] -> [`load`] (the driver) ->
//! [`metrics`] (server CPU and memory) -> [`session`] (all of it for one target).

pub mod badinput;
pub mod build;
pub mod catalog;
mod child_setup;
pub mod compare;
pub mod cpus;
pub mod icount;
pub mod limits;
pub mod load;
pub mod metrics;
pub mod mock;
pub mod process;
pub mod report;
pub mod results;
pub mod session;
pub mod summary;
pub mod text;
pub mod vectors;
pub mod verify;
pub mod workload;

/// A run whose server CPU was busy less than this share is flagged client-bound: something
/// other than the server (usually the load client) limited it.
pub const CLIENT_BOUND_BELOW: f64 = 0.9;
