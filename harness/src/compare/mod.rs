//! `stampede compare`: duet A/B comparison of two versions of the same targets, for gating pull
//! requests on a noisy machine. The data path: `worktree` (the base checkout) -> `pace` (closed
//! loop, or one rate for every side) -> `duet` (one round) -> `screen` (which rounds to trust) -> `sequential` (rounds until decided) ->
//! `family` (Holm over the run, α over the looks) -> `decide` (one comparison) -> `run` (the
//! record) -> `markdown` (the reports; `coverage` their footer: what the gate could see).

pub mod counters;
pub mod coverage;
pub mod decide;
pub mod duet;
pub mod duet_run;
pub mod family;
pub mod instructions;
pub mod instructions_run;
pub mod markdown;
pub mod pace;
pub mod run;
pub mod screen;
pub mod sequential;
#[cfg(test)]
mod test_reports;
pub mod versions;
pub mod worktree;

pub use decide::{Decision, Verdict};
pub use duet::{RoundSetup, Side};
pub use run::{CompareOutput, Comparison, Names, RunSpec, RunVerdict, compare};
