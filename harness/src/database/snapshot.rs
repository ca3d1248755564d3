//! The benchmark tables as the harness read them when a load connected: what database answers
//! are checked against.

use std::sync::Arc;

use super::fortunes::FortunesPage;
use super::link::DatabaseLink;
use super::world::WorldTable;
use super::{DATABASE, DatabaseError};

/// `World` and the page `Fortune` makes, read at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// `World`.
    pub world: Arc<WorldTable>,
    /// The fortunes page.
    pub fortunes: Arc<FortunesPage>,
}

impl Snapshot {
    /// Reads both tables as the superuser (10,012 rows: milliseconds, outside timed code).
    pub fn read(link: &DatabaseLink) -> Result<Self, DatabaseError> {
        let mut client = link.connect_superuser(DATABASE)?;
        Ok(Self {
            world: Arc::new(WorldTable::read(&mut client)?),
            fortunes: Arc::new(FortunesPage::read(&mut client)?),
        })
    }
}
