//! What the per-target test files share: one libtest-mimic trial per catalog target and check.
//! A target whose toolchain is missing is reported as ignored, with the reason in its name,
//! never as passed; with STAMPEDE_REQUIRE_TOOLS=1 (CI) it is a failure instead.

use std::sync::Arc;

use libtest_mimic::{Failed, Trial};
use stampede_harness::catalog::{Availability, Catalog};
use stampede_harness::test_support::trial_needing;

/// A check run against one target: `Err` carries the failure text.
pub(crate) type Check = Arc<dyn Fn(&Catalog, &str) -> Result<(), String> + Send + Sync>;

/// One trial named `<target>::<check_name>` per catalog target.
pub(crate) fn per_target(catalog: &Catalog, check_name: &str, check: &Check) -> Vec<Trial> {
    catalog
        .targets()
        .iter()
        .map(|target| {
            let name = format!("{}::{check_name}", target.name);
            let (catalog, check) = (catalog.clone(), Arc::clone(check));
            let missing = match catalog.availability(target) {
                Availability::Skipped { reason } => Some(reason),
                Availability::Available { .. } => None,
            };
            let target = target.name.clone();
            trial_needing(missing, &name, move || {
                check(&catalog, &target).map_err(Failed::from)
            })
        })
        .collect()
}
