//! `stampede compare`: duet A/B comparison of two versions of the same targets, for gating pull
//! requests on a noisy machine.

pub mod decide;
pub mod duet;
pub mod instructions;
pub mod markdown;
pub mod worktree;

pub use decide::{Decision, Verdict};
pub use duet::{Comparison, DuetOptions, Side, compare_target};
