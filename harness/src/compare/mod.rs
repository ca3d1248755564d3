//! `stampede compare`: duet A/B comparison of two versions of the same targets.

pub mod decide;
