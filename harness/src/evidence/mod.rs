//! Evidence: the record of one benchmark ([`ResultRecord`], one JSON file per benchmark ID,
//! written the moment it finishes) with the self-checks that would expose its own bias, and the
//! conversions from what the client counted and the server used into those figures.

mod convert;
pub mod fixtures;
mod record;

pub use convert::*;
pub use record::*;
