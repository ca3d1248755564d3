//! `compare` (the duet) from start to end: base and head checked out, the rounds run and
//! decided (the CLI keeps the head side in the history). Its twin for instructions is
//! [`super::instructions_run`].

use std::time::Duration;

use super::family::{FAMILY_ALPHA, Schedule};
use super::pace::Pace;
use super::sequential::SequentialOptions;
use super::versions::{Selection, Versions, VersionsError};
use super::{CompareOutput, Names, RoundSetup, RunSpec, compare};
use crate::cpus::{CpuError, CpuSplit};
use crate::output::{Format, Render, RenderError, json_pretty, unsupported};
use crate::session::SessionError;
use crate::workload::DefaultFor;

/// The duet's threshold in percent when none is given.
pub const DUET_THRESHOLD_PCT: f64 = 5.0;

/// What to compare, as `stampede compare` was asked.
#[derive(Debug)]
pub struct DuetRequest<'a> {
    /// The refs, targets, workloads and threshold.
    pub selection: Selection<'a>,
    /// Looks and rounds.
    pub schedule: Schedule,
    /// No new rounds past this.
    pub max_time: Duration,
    /// Load time per round.
    pub round_duration: Duration,
    /// Connections per side.
    pub connections: usize,
    /// Whether rounds carry a null control.
    pub null_control: bool,
    /// Closed loop, paced, or decided by a calibration round.
    pub pace: Pace,
}

/// Why the duet could not run.
#[derive(Debug, thiserror::Error)]
pub enum DuetError {
    /// The flags do not make a sequence.
    #[error(transparent)]
    Sequential(#[from] SequentialError),
    /// A checkout failed.
    #[error(transparent)]
    Versions(#[from] VersionsError),
    /// The CPU split.
    #[error(transparent)]
    Cpus(#[from] CpuError),
    /// A round failed.
    #[error("comparing")]
    Compare(#[source] SessionError),
    /// The harness's PostgreSQL, for a database workload, did not start.
    #[error(transparent)]
    Database(#[from] crate::database::DatabaseError),
}

/// Why `compare`'s flags do not make a sequence.
#[derive(Debug, thiserror::Error)]
pub enum SequentialError {
    /// `--threshold` out of range.
    #[error("--threshold must be a percentage between 0 and 100, got {0}")]
    Threshold(f64),
    /// Too few rounds, no step, or a last look before the first.
    #[error(
        "need --rounds >= 4, --step-rounds >= 1 and --max-rounds >= --rounds (got {}, {}, {})",
        .0.initial_rounds, .0.step_rounds, .0.max_rounds
    )]
    Schedule(Schedule),
}

/// The options `compare`'s flags give, at the family's α; `threshold_pct` in percent.
fn sequential_options(
    schedule: Schedule,
    threshold_pct: f64,
    max_time: Duration,
    null_control: bool,
) -> Result<SequentialOptions, SequentialError> {
    if !(threshold_pct > 0.0 && threshold_pct < 100.0) {
        return Err(SequentialError::Threshold(threshold_pct));
    }
    let Schedule {
        initial_rounds,
        step_rounds,
        max_rounds,
    } = schedule;
    if initial_rounds < 4 || step_rounds == 0 || max_rounds < initial_rounds {
        return Err(SequentialError::Schedule(schedule));
    }
    Ok(SequentialOptions {
        schedule,
        threshold: threshold_pct / 100.0,
        alpha: FAMILY_ALPHA,
        max_time,
        null_control,
    })
}

/// Runs the duet; `progress` gets the opening line and one line per event. The head's commit
/// (when it was named) is in the report's names for the caller that keeps it in the history.
pub fn compare_duet(
    request: &DuetRequest<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<(CompareOutput, Option<String>), DuetError> {
    let sequential = sequential_options(
        request.schedule,
        request
            .selection
            .threshold_pct
            .unwrap_or(DUET_THRESHOLD_PCT),
        request.max_time,
        request.null_control,
    )?;
    let (versions, targets, workloads) = Versions::select(&request.selection, DefaultFor::Compare)?;
    let split = CpuSplit::resolve(None, None)?;
    // One cluster for both sides (and the control): the same rows and the same PostgreSQL, as
    // the same CPUs and client; each server gets a pool of the same size.
    let needs_database = workloads.iter().any(|w| w.definition().database.is_some());
    let database =
        crate::database::for_run::start_if_needed(&versions.head.catalog, needs_database, &split)?;
    let spec = RunSpec {
        targets,
        workloads,
        setup: RoundSetup {
            duration: request.round_duration,
            connections: request.connections,
            server_cpus: split.server,
            client_cpus: split.client,
            null_control: request.null_control,
            database: database
                .as_ref()
                .map(|db| db.link(crate::database::link::DEFAULT_POOL_SIZE)),
            pace: request.pace,
        },
        sequential,
    };
    let names = Names {
        base: request.selection.base.to_owned(),
        base_commit: versions.base_commit.clone(),
        head: versions.head_name.clone(),
    };
    progress(&spec.describe(&names));
    let report = compare(&versions.base, &versions.head, names, &spec, |line| {
        progress(line)
    })
    .map_err(DuetError::Compare)?;
    Ok((report, versions.head_commit))
}

/// `stampede compare` (duet): the verdict table, the PR comment, every round as JSON.
impl Render for CompareOutput {
    const NAME: &'static str = "the comparison";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(super::markdown::text(self)),
            Format::Markdown => Ok(super::markdown::markdown(self)),
            Format::Json => json_pretty::<Self, _>(self),
            Format::Html => Err(unsupported::<Self>(format)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_rounds_are_refused_before_any_checkout() {
        let request = DuetRequest {
            selection: Selection {
                base: "no-such-ref",
                head: None,
                targets: &[],
                workloads: &[],
                threshold_pct: None,
            },
            schedule: Schedule {
                initial_rounds: 2,
                step_rounds: 8,
                max_rounds: 28,
            },
            max_time: Duration::from_secs(60),
            round_duration: Duration::from_secs(1),
            connections: 4,
            null_control: false,
            pace: Pace::Auto,
        };
        let err = compare_duet(&request, &mut |_| {}).unwrap_err();
        assert!(
            err.to_string().starts_with("need --rounds >= 4")
                && err.to_string().contains("(got 2, 8, 28)"),
            "{err}"
        );
    }
}
