//! Partial targets: a catalog entry may list the workloads it serves (`workloads = ["plaintext",
//! "json"]`; by default it serves them all). Such a target answers the vectors of its
//! workloads' routes and the ones no workload owns (`/healthz`, unknown paths: the rules every
//! answer obeys); every command skips the rest with one line from [`not_served_line`].

use std::collections::BTreeSet;

use itertools::Itertools;

use super::answers::route;
use super::{BenchCase, BenchGroup, WorkloadSpec};
use crate::catalog::Target;
use crate::vectors::Vector;

/// The one line a command prints for what a target does not serve: `example: json-doc not
/// served`. Never an error, never silent.
pub fn not_served_line(target: &str, what: &str) -> String {
    format!("{target}: {what} not served")
}

impl WorkloadSpec {
    /// Checks that every workload `target` lists is one of this spec's; `Err` says which is
    /// not and names the known ones.
    pub fn check_served(&self, target: &Target) -> Result<(), String> {
        let Some(served) = &target.workloads else {
            return Ok(());
        };
        let known = || self.definitions().iter().map(|d| d.name.as_str());
        match served.iter().find(|w| !known().contains(&w.as_str())) {
            None => Ok(()),
            Some(unknown) => Err(format!(
                "`workloads` names `{unknown}`, which is not in spec/workloads.toml; known: {}",
                known().join(", ")
            )),
        }
    }

    /// The vectors `target` must answer: all of them for a target that serves every workload;
    /// otherwise those whose route belongs to a workload it serves, and those whose route no
    /// workload owns (`/healthz`, unknown paths), whose answers every target owes.
    pub fn vectors_for(&self, target: &Target, vectors: &[Vector]) -> Vec<Vector> {
        if target.workloads.is_none() {
            return vectors.to_vec();
        }
        vectors
            .iter()
            .filter(|v| self.serves_path(target, &v.request.path))
            .cloned()
            .collect()
    }

    /// True when `target` must answer requests to `path`: its route belongs to a workload the
    /// target serves, or to none (`/healthz`, unknown paths).
    pub fn serves_path(&self, target: &Target, path: &str) -> bool {
        let owners = self.route_owners(path);
        owners.is_empty() || owners.iter().any(|w| target.serves(w))
    }

    /// The workloads whose request goes to the route (path before `?`) of `path`.
    pub fn route_owners(&self, path: &str) -> Vec<&str> {
        let definitions = self.definitions().iter();
        let owners = definitions.filter(|d| route(&d.path) == route(path));
        owners.map(|d| d.name.as_str()).collect()
    }

    /// Each of `target`'s unserved workloads, in spec order (empty for a full target).
    pub fn unserved(&self, target: &Target) -> Vec<&str> {
        let names = self.definitions().iter().map(|d| d.name.as_str());
        names.filter(|w| !target.serves(w)).collect()
    }
}

impl BenchCase {
    /// The workloads this case loads: the measured one, then any background load.
    pub fn workloads(&self) -> Vec<&str> {
        let background = self.background.iter().map(|b| b.workload.name());
        std::iter::once(self.workload.name())
            .chain(background)
            .unique()
            .collect()
    }

    /// True when `target` serves every workload this case loads.
    pub fn served_by(&self, target: &Target) -> bool {
        self.workloads().iter().all(|w| target.serves(w))
    }
}

impl BenchGroup {
    /// The line for a group that `target` does not fully serve, `None` when it serves every
    /// case: `example: json-doc not served`, or with the workloads it lacks when the group is
    /// named otherwise (`example: mixed not served (needs hash, hash-offload)`).
    pub fn not_served_line(&self, target: &Target) -> Option<String> {
        let lacking: BTreeSet<&str> = self
            .cases
            .iter()
            .flat_map(BenchCase::workloads)
            .filter(|w| !target.serves(w))
            .collect();
        if lacking.is_empty() {
            return None;
        }
        let line = not_served_line(&target.name, &self.name);
        Some(match lacking.iter().exactly_one() {
            Ok(only) if *only == self.name => line,
            _ => format!("{line} (needs {})", lacking.iter().join(", ")),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::catalog::Catalog;
    use crate::catalog::fixtures::shell_target;
    use crate::vectors::{load_vectors, spec_dir};

    use super::*;

    fn repository() -> (WorkloadSpec, Vec<Vector>) {
        let spec = spec_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
        (
            WorkloadSpec::load(&spec).unwrap(),
            load_vectors(&spec).unwrap(),
        )
    }

    fn target(extra: &str) -> Target {
        let text = shell_target("two", r#"["true"]"#, extra);
        let catalog = Catalog::parse(Path::new("/w"), &text).unwrap();
        catalog.target("two").unwrap().clone()
    }

    #[test]
    fn a_target_without_a_workloads_list_answers_every_vector() {
        let (spec, vectors) = repository();
        let full = target("");
        assert_eq!(spec.vectors_for(&full, &vectors).len(), vectors.len());
        assert!(spec.unserved(&full).is_empty());
        assert!(
            spec.groups()
                .iter()
                .all(|g| g.not_served_line(&full).is_none())
        );
    }

    #[test]
    fn a_two_workload_target_answers_its_routes_and_the_rules_every_answer_obeys() {
        let (spec, vectors) = repository();
        let two = target(r#"workloads = ["plaintext", "json"]"#);
        let names: Vec<String> = spec
            .vectors_for(&two, &vectors)
            .into_iter()
            .map(|v| v.name)
            .collect();
        for kept in [
            "healthz",
            "plaintext",
            "json",
            "unknown-path",
            "wrong-method-json",
        ] {
            assert!(names.iter().any(|n| n == kept), "{kept} dropped: {names:?}");
        }
        for dropped in [
            "json-doc",
            "order-single",
            "hash-abc-1",
            "sleep-0",
            "wrong-method-hash",
        ] {
            assert!(!names.iter().any(|n| n == dropped), "{dropped} kept");
        }
        assert_eq!(
            spec.unserved(&two),
            [
                "json-doc",
                "order",
                "hash",
                "hash-offload",
                "sleep",
                "db",
                "queries",
                "fortunes",
                "updates"
            ]
        );
    }

    #[test]
    fn each_unserved_group_gets_one_line_naming_what_it_needs() {
        let (spec, _) = repository();
        let two = target(r#"workloads = ["plaintext", "json"]"#);
        let line = |name: &str| {
            let group = spec.groups().iter().find(|g| g.name == name).unwrap();
            group.not_served_line(&two)
        };
        assert_eq!(line("plaintext"), None);
        assert_eq!(line("plaintext-pipelined"), None);
        assert_eq!(line("json-doc").unwrap(), "two: json-doc not served");
        assert_eq!(
            line("mixed").unwrap(),
            "two: mixed not served (needs hash, hash-offload)"
        );
    }

    #[test]
    fn a_workload_the_spec_does_not_know_is_refused_with_the_known_ones() {
        let (spec, _) = repository();
        let typo = target(r#"workloads = ["plaintext", "jsn"]"#);
        let err = spec.check_served(&typo).unwrap_err();
        assert!(
            err.contains("`jsn`") && err.contains("plaintext, json,"),
            "{err}"
        );
        assert!(spec.check_served(&target("")).is_ok());
    }

    #[test]
    fn bad_input_cases_on_unserved_routes_are_left_out_and_garbage_is_kept() {
        let (spec, _) = repository();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let cases = crate::badinput::load_bad_inputs(&spec_dir(&root)).unwrap();
        let two = target(r#"workloads = ["plaintext", "json"]"#);
        let kept: Vec<&str> = cases
            .iter()
            .filter(|c| c.request_path().is_none_or(|p| spec.serves_path(&two, p)))
            .map(|c| c.name.as_str())
            .collect();
        for name in ["garbage-request-line", "binary-garbage", "missing-host"] {
            assert!(kept.contains(&name), "{name} left out: {kept:?}");
        }
        assert!(
            !kept
                .iter()
                .any(|n| n.starts_with("order-") || n.starts_with("hash-"))
        );
        assert_eq!(cases.len(), kept.len() + 13, "{kept:?}");
    }
}
