//! The Strictness column beside each target's name and the list of failed MUST probes: the
//! records `stampede conformance` and `cargo bench` write next to the results folders
//! (`<dir>/../conformance`), the newest per target. Shown only when there are records, so a
//! summary without them looks as it did.

use std::path::PathBuf;

use crate::strictness::record::{StrictnessRecord, read_records, records_dir};
use crate::strictness::{Level, Owner, Verdict};

/// The records next to the results folders, the newest per target.
pub fn gather(results_dirs: &[PathBuf]) -> Vec<StrictnessRecord> {
    let mut newest: Vec<StrictnessRecord> = Vec::new();
    let dirs = results_dirs
        .iter()
        .filter_map(|dir| dir.parent().map(records_dir));
    for record in dirs.flat_map(|dir| read_records(&dir)) {
        match newest.iter_mut().find(|r| r.target == record.target) {
            Some(kept) if kept.time < record.time => *kept = record,
            Some(_) => {}
            None => newest.push(record),
        }
    }
    newest
}

/// One failed MUST probe of one target, as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedProbe {
    pub target: String,
    pub probe: String,
    pub rfc: String,
    /// `framework` or `ours`.
    pub owner: &'static str,
    /// What the target did, and what passes.
    pub observed: String,
}

/// What the page shows of the records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StrictnessView {
    records: Vec<StrictnessRecord>,
    /// Every failed MUST probe, target by target in report order.
    pub failures: Vec<FailedProbe>,
    /// The sentence above the list.
    pub note: String,
}

impl StrictnessView {
    /// The view of the records of the summary's targets, `order` (a server probed by `--url`,
    /// or a target with no result here, is not shown).
    pub fn new(records: &[StrictnessRecord], order: &[&str]) -> Self {
        let key = |r: &StrictnessRecord| order.iter().position(|t| *t == r.target);
        let mut records: Vec<StrictnessRecord> = records
            .iter()
            .filter(|r| key(r).is_some())
            .cloned()
            .collect();
        records.sort_by_key(key);
        let failures = records
            .iter()
            .flat_map(|r| {
                r.probes
                    .iter()
                    .filter(|p| p.level == Level::Must && p.verdict == Verdict::Fail)
                    .map(|p| FailedProbe {
                        target: r.target.clone(),
                        probe: p.name.clone(),
                        rfc: p.rfc.clone(),
                        owner: match p.owner {
                            Owner::Framework => "framework",
                            Owner::Target => "ours",
                        },
                        observed: format!("got {}; passes with {}", p.observed, p.expected),
                    })
            })
            .collect();
        let probes = records.iter().map(|r| r.probes.len()).max().unwrap_or(0);
        let note = format!(
            "Strictness: the {probes} raw-socket probes of spec/rfc-probes.json (RFC 9110/9112), \
             counted as passed (a lenient answer the RFC allows counts as passed) of played, per \
             RFC level; `stampede conformance` prints every probe. \"framework\" marks a \
             behaviour of the HTTP library's parser, before any code of the target runs; \"ours\" \
             one of the target's own code."
        );
        Self {
            records,
            failures,
            note,
        }
    }

    /// True when there is something to show.
    pub fn shown(&self) -> bool {
        !self.records.is_empty()
    }

    /// The cell beside `target`'s name: `MUST 51/56 · SHOULD 14/17`, or `—` when not probed.
    pub fn cell(&self, target: &str) -> String {
        self.records
            .iter()
            .find(|r| r.target == target)
            .map_or_else(|| "—".into(), StrictnessRecord::cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strictness::record::fixtures::{record, result};

    fn records() -> Vec<StrictnessRecord> {
        vec![
            record(
                "nethttp",
                vec![
                    result(
                        "cl-te-smuggled-request",
                        Level::Must,
                        Verdict::Fail,
                        Owner::Framework,
                    ),
                    result(
                        "chunk-bare-lf",
                        Level::Should,
                        Verdict::Fail,
                        Owner::Framework,
                    ),
                ],
            ),
            record(
                "actix",
                vec![result(
                    "host-with-path",
                    Level::Must,
                    Verdict::Fail,
                    Owner::Target,
                )],
            ),
        ]
    }

    #[test]
    fn failed_must_probes_are_listed_in_report_order_with_their_owner_and_should_ones_are_not() {
        let view = StrictnessView::new(&records(), &["actix", "nethttp", "gin"]);
        let listed: Vec<(&str, &str, &str)> = view
            .failures
            .iter()
            .map(|f| (f.target.as_str(), f.probe.as_str(), f.owner))
            .collect();
        assert_eq!(
            listed,
            [
                ("actix", "host-with-path", "ours"),
                ("nethttp", "cl-te-smuggled-request", "framework")
            ]
        );
        assert_eq!(view.cell("nethttp"), "MUST 0/1 · SHOULD 0/1");
        assert_eq!(view.cell("gin"), "—");
        let elsewhere = StrictnessView::new(&records(), &["axum"]);
        assert!(
            !elsewhere.shown(),
            "records of targets not in the summary are not shown"
        );
    }

    #[test]
    fn the_newest_record_of_a_target_is_kept_across_results_folders() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        for (dir, day, probes) in [(&a, 2, 1), (&b, 1, 2)] {
            let mut r = record(
                "gin",
                vec![result("p", Level::Must, Verdict::Pass, Owner::Framework); probes],
            );
            r.time = format!("2026-01-0{day}T00:00:00Z");
            r.write_to(&records_dir(dir)).unwrap();
        }
        let kept = gather(&[a.join("results"), b.join("results")]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].probes.len(), 1);
        assert!(!StrictnessView::default().shown());
    }
}
