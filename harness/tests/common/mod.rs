//! What the per-target test files share: one libtest-mimic trial per catalog target and check.
//! A target whose toolchain is missing is reported as ignored, with the reason in its name,
//! never as passed; with STAMPEDE_REQUIRE_ALL_TARGETS=1 (CI) it is a failure instead.

use std::sync::Arc;

use libtest_mimic::{Failed, Trial};
use stampede_harness::catalog::{Availability, Catalog};

/// A check run against one target: `Err` carries the failure text.
pub(crate) type Check = Arc<dyn Fn(&Catalog, &str) -> Result<(), String> + Send + Sync>;

/// One trial named `<target>::<check_name>` per catalog target.
pub(crate) fn per_target(catalog: &Catalog, check_name: &str, check: &Check) -> Vec<Trial> {
    let require_all = std::env::var_os("STAMPEDE_REQUIRE_ALL_TARGETS").is_some_and(|v| v == "1");
    catalog
        .targets()
        .iter()
        .map(|target| {
            let name = format!("{}::{check_name}", target.name);
            match catalog.availability(target) {
                Availability::Skipped { reason } if !require_all => {
                    Trial::test(format!("{name} (skipped: {reason})"), || Ok(()))
                        .with_ignored_flag(true)
                }
                Availability::Skipped { reason } => {
                    Trial::test(name, move || Err(Failed::from(reason)))
                }
                Availability::Available { .. } => {
                    let (catalog, check) = (catalog.clone(), Arc::clone(check));
                    let target = target.name.clone();
                    Trial::test(name, move || check(&catalog, &target).map_err(Failed::from))
                }
            }
        })
        .collect()
}
