//! Report order, from data: targets in catalog order (`targets.toml`), workloads in the order of
//! the benchmark groups in `spec/workloads.toml`. Names neither lists are shown after, by name.

use crate::catalog::Catalog;
use crate::vectors::spec_dir;
use crate::workload::WorkloadSpec;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportOrder {
    /// Target names, first shown first.
    pub targets: Vec<String>,
    /// Workload families, first shown first.
    pub workloads: Vec<String>,
}

impl ReportOrder {
    /// The order of the catalog and its spec; without a catalog, everything by name. The second
    /// value says what fell back to names and why.
    pub fn discover(catalog: Option<&Catalog>) -> (Self, Option<String>) {
        let Some(catalog) = catalog else {
            return (Self::default(), None);
        };
        let targets = catalog.targets().iter().map(|t| t.name.clone()).collect();
        let (workloads, problem) = match WorkloadSpec::load(&spec_dir(catalog.root())) {
            Ok(spec) => (spec.group_names(), None),
            Err(err) => (
                Vec::new(),
                Some(format!("workloads are shown by name: {err}")),
            ),
        };
        (Self { targets, workloads }, problem)
    }

    pub fn target_key(&self, name: &str) -> (usize, String) {
        key(&self.targets, name)
    }

    pub fn workload_key(&self, name: &str) -> (usize, String) {
        key(&self.workloads, name)
    }
}

fn key(list: &[String], name: &str) -> (usize, String) {
    let rank = list.iter().position(|n| n == name).unwrap_or(list.len());
    (rank, name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_orders_targets_as_its_catalog_and_workloads_as_its_spec() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let catalog = Catalog::load(&root).unwrap();
        let (order, problem) = ReportOrder::discover(Some(&catalog));
        assert_eq!(problem, None);
        let catalog_names: Vec<String> = catalog.targets().iter().map(|t| t.name.clone()).collect();
        assert_eq!(order.targets, catalog_names);
        let spec = WorkloadSpec::load(&spec_dir(&root)).unwrap();
        assert_eq!(order.workloads, spec.group_names());
        assert!(order.workload_key("plaintext") < order.workload_key("json"));
        assert!(order.workload_key("json") < order.workload_key("a-new-one"));
        assert!(order.workload_key("a-new-one") < order.workload_key("b-new-one"));
    }
}
