//! stampede harness
