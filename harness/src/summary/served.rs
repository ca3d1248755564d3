//! Workloads a partial target does not serve (its catalog entry's `workloads`): the summary
//! shows "not served" in their cells, distinct from "skipped" (toolchain missing) and from a
//! result that failed, and a claim that needs one is not comparable, with this reason.

use itertools::Itertools;

use crate::catalog::Catalog;
use crate::vectors::spec_dir;
use crate::workload::{WorkloadSpec, not_served_line};

/// A benchmark group (a summary workload) that a target does not serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotServed {
    pub target: String,
    /// The group, as results name their workload (`json-doc`, `mixed`).
    pub workload: String,
    /// The line every command prints for it: `example: json-doc not served`.
    pub line: String,
}

/// The cell text of a target's row in a workload it does not serve.
pub const NOT_SERVED: &str = "not served";

/// Every (target, group) of the catalog that a partial target does not serve; empty when every
/// target serves everything or the workloads file cannot be read (the summary then says
/// "skipped: no result" as before).
pub fn not_served(catalog: &Catalog) -> Vec<NotServed> {
    if catalog.targets().iter().all(|t| t.workloads.is_none()) {
        return Vec::new();
    }
    let Ok(spec) = WorkloadSpec::load(&spec_dir(catalog.root())) else {
        return Vec::new();
    };
    let pairs = catalog.targets().iter().flat_map(|target| {
        let groups = spec.groups().iter();
        groups.filter_map(move |group| {
            Some(NotServed {
                target: target.name.clone(),
                workload: group.name.clone(),
                line: group.not_served_line(target)?,
            })
        })
    });
    pairs.collect()
}

/// The entry for `target` in `workload`, if it does not serve it.
pub fn find<'a>(list: &'a [NotServed], workload: &str, target: &str) -> Option<&'a NotServed> {
    list.iter()
        .find(|n| n.workload == workload && n.target == target)
}

/// One line per partial target under the targets table: `example: json-doc, order not served`.
pub fn lines(list: &[NotServed]) -> Vec<String> {
    let by_target = list.iter().chunk_by(|n| &n.target);
    let lines = by_target.into_iter().map(|(target, entries)| {
        let workloads = entries.map(|n| n.workload.as_str()).join(", ");
        not_served_line(target, &workloads)
    });
    lines.collect()
}
