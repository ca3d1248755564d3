//! Evidence: the record of one benchmark ([`ResultRecord`], one JSON file per benchmark ID,
//! written the moment it finishes) with the self-checks that would expose its own bias, and the
//! conversions from what the client counted and the server used into those figures.
//!
//! Rooms: `record` (the types and their one constructor), `flags` (the self-check rules),
//! `provenance` (run, commit, machine, time), `database` (PostgreSQL's figures), `storage` (files), `convert` (figures from
//! samples and usage).

mod convert;
mod database;
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
mod flags;
mod over_time;
mod provenance;
mod record;
mod storage;
mod timeline;

pub use convert::*;
pub use database::DatabaseEvidence;
pub use flags::*;
pub use over_time::{
    DRIFT_FLOOR_RATIO, GROWTH_FLOOR_BYTES, GROWTH_FLOOR_BYTES_PER_MIN, LatencyDrift, MemoryGrowth,
    OverTime, Stalls,
};
pub use provenance::*;
pub use record::*;
pub use storage::*;
pub use timeline::{ServerInterval, ServerReading, Timeline, TimelineRow};

/// The JSON Schema of one record file, derived from [`ResultRecord`]; committed as
/// `spec/record.schema.json`.
pub fn record_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(ResultRecord).to_value();
    if let Some(object) = schema.as_object_mut() {
        let title = "stampede result record (target/stampede/results/<id>.json)";
        object.insert("title".into(), title.into());
        object.insert("$id".into(), "stampede/record.schema.json".into());
    }
    schema
}
