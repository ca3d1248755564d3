//! The database side of a verified server: the cluster a workload needs, and the evidence of
//! what PostgreSQL did for it.

use super::{SessionError, VerifiedServer};
use crate::database::{DatabaseError, DatabaseLink, DatabaseUsage};
use crate::evidence::DatabaseEvidence;
use crate::workload::Workload;

impl VerifiedServer {
    /// The database `workload` needs, when it needs one: `Err` when it does and this server was
    /// started without one.
    pub fn database_for(&self, workload: &Workload) -> Result<Option<DatabaseLink>, SessionError> {
        if workload.definition().database.is_none() {
            return Ok(None);
        }
        match &self.server.config().database {
            Some(link) => Ok(Some(link.clone())),
            None => Err(SessionError::NoDatabase {
                target: self.target.name.clone(),
                workload: workload.to_string(),
            }),
        }
    }

    /// The evidence of PostgreSQL's `usage` for `requests` of `workload`, `in_flight` requests
    /// at a time at most (connections x pipeline depth); `None` for a workload without a
    /// database.
    pub fn database_evidence(
        &self,
        workload: &Workload,
        link: &DatabaseLink,
        usage: &DatabaseUsage,
        requests: u64,
        in_flight: u64,
    ) -> Option<DatabaseEvidence> {
        let demand = workload.definition().database.as_ref()?;
        Some(DatabaseEvidence::new(
            usage,
            link,
            self.database_driver.clone(),
            &self.server.config().cpus,
            demand.required(workload.param()),
            requests,
            in_flight,
        ))
    }

    /// Wraps an error of the harness's PostgreSQL, naming this server.
    pub fn database_error(&self, cause: DatabaseError) -> SessionError {
        SessionError::Database {
            target: self.target.name.clone(),
            cause,
        }
    }
}
