//! Benchmark IDs, `<group>/<target>/<case>` (`json/actix/c64`, `hash/axum/r19k`,
//! `plaintext/node@k6x2/c64-rate500`): built, printed, parsed and turned into a file name here
//! and nowhere else, as Criterion's `BenchmarkId` is for its benchmarks. The group is a
//! workload family (the Criterion group), the target a catalog name, the case what was run.
//!
//! Every form of the case part is built here too, so a reader finds them side by side:
//! - the bench: a group's `id` template from `spec/workloads.toml` ([`case_from_template`]);
//! - `stampede load` and `stampede compare`: `c64`, `c64-p16`, `c64-r500` ([`BenchmarkId::of_load`]);
//! - `stampede import-k6`: `r1k-c64`, `c64-rate500` ([`BenchmarkId::of_k6`]);
//! - `stampede icount`: `icount` ([`BenchmarkId::of_icount`]).
//!
//! In JSON an ID is its text, so records, the history and snapshots read the same as before.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The separator of an ID's parts, which no part may contain.
const SEPARATOR: char = '/';

/// The case of an instruction count, and the mode its history series are kept under.
pub const ICOUNT_CASE: &str = "icount";

/// One benchmark's name, `<group>/<target>/<case>`. Ordered as its text is, so sorting IDs
/// sorts as sorting their strings did.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BenchmarkId {
    /// The whole ID as printed.
    text: String,
    /// Where the target starts in `text` (after the first separator).
    target_at: usize,
    /// Where the case starts in `text` (after the second separator).
    case_at: usize,
}

/// An ID that is not `<group>/<target>/<case>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "benchmark ID {id:?} {problem}; expected <group>/<target>/<case>, three non-empty parts \
     without '/', e.g. json/actix/c64"
)]
pub struct BenchmarkIdError {
    /// The ID as given (or as its parts would print).
    pub id: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl BenchmarkId {
    /// The ID of `case` of `group` on `target`; refused when a part is empty or holds a '/',
    /// since it would not read back as the same three parts.
    pub fn new(group: &str, target: &str, case: &str) -> Result<Self, BenchmarkIdError> {
        format!("{group}{SEPARATOR}{target}{SEPARATOR}{case}").parse()
    }

    /// A run of `stampede load` or `stampede compare`: `c<connections>`, then `-p<depth>` when
    /// pipelined (another benchmark, never a point of the unpipelined series, as TechEmpower
    /// counts it) and `-r<rate>` for an open loop.
    pub fn of_load(
        workload: &str,
        target: &str,
        connections: usize,
        pipeline: usize,
        rate_per_sec: Option<f64>,
    ) -> Result<Self, BenchmarkIdError> {
        let depth = if pipeline > 1 {
            format!("-p{pipeline}")
        } else {
            String::new()
        };
        let rate = rate_per_sec.map_or_else(String::new, |r| format!("-r{r}"));
        Self::new(workload, target, &format!("c{connections}{depth}{rate}"))
    }

    /// A k6 run: the workload's parameter label when it has one, `c<VUs>`, and `rate<rate>`
    /// for an open loop, joined by `-` (`r1k-c64`, `c64-rate500`).
    pub fn of_k6(
        family: &str,
        target: &str,
        param_label: Option<String>,
        connections: usize,
        rate_per_sec: Option<f64>,
    ) -> Result<Self, BenchmarkIdError> {
        let mut parts = Vec::new();
        parts.extend(param_label);
        parts.push(format!("c{connections}"));
        parts.extend(rate_per_sec.map(|rate| format!("rate{rate}")));
        Self::new(family, target, &parts.join("-"))
    }

    /// An instruction count of `workload` on `target`: case [`ICOUNT_CASE`].
    pub fn of_icount(workload: &str, target: &str) -> Result<Self, BenchmarkIdError> {
        Self::new(workload, target, ICOUNT_CASE)
    }

    /// The group: the workload family, e.g. `json`.
    pub fn group(&self) -> &str {
        &self.text[..self.target_at - 1]
    }

    /// The target's catalog name, e.g. `actix`.
    pub fn target(&self) -> &str {
        &self.text[self.target_at..self.case_at - 1]
    }

    /// The case, e.g. `c64` or `r19k`.
    pub fn case(&self) -> &str {
        &self.text[self.case_at..]
    }

    /// The ID as text, e.g. `json/actix/c64`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The name of the ID's result file: separators become `__` (`json__actix__c64.json`).
    pub fn file_name(&self) -> String {
        format!("{}.json", self.text.replace(SEPARATOR, "__"))
    }

    /// The folder of the benchmark's report under Criterion's output folder (`target/criterion`):
    /// one level per part, as Criterion lays out group, function and parameter.
    pub fn criterion_dir(&self, criterion_root: &Path) -> PathBuf {
        criterion_root
            .join(self.group())
            .join(self.target())
            .join(self.case())
    }

    /// An HTML anchor for the ID: separators become `-` (`json-actix-c64`).
    pub fn anchor(&self) -> String {
        self.text.replace(SEPARATOR, "-")
    }

    /// A Criterion filter that runs this benchmark and no other: `^json/actix/c64$`.
    pub fn filter(&self) -> String {
        format!("^{}$", self.text)
    }
}

/// A Criterion filter that runs every benchmark of `group`: `^json/`.
pub fn group_filter(group: &str) -> String {
    format!("^{group}{SEPARATOR}")
}

/// A Criterion filter that runs every benchmark of `group` on `targets`: `^json/(actix|gin)/`.
pub fn targets_filter(group: &str, targets: &[String]) -> String {
    format!("^{group}{SEPARATOR}({}){SEPARATOR}", targets.join("|"))
}

/// The case of a bench group's benchmark: its `id` template (`c{connections}`, `{param}`,
/// `{background}`) with the swept values put in.
pub fn case_from_template(
    template: &str,
    connections: usize,
    param_label: &str,
    background: &str,
) -> String {
    template
        .replace("{connections}", &connections.to_string())
        .replace("{param}", param_label)
        .replace("{background}", background)
}

/// Whether `case` can be the last part of an ID: non-empty and without the separator.
pub fn is_valid_case(case: &str) -> bool {
    !case.is_empty() && !case.contains(SEPARATOR)
}

impl fmt::Display for BenchmarkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`, so a width (`{id:<30}`) lines IDs up in tables.
        f.pad(&self.text)
    }
}

impl FromStr for BenchmarkId {
    type Err = BenchmarkIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = |problem| BenchmarkIdError {
            id: text.to_owned(),
            problem,
        };
        let parts: Vec<&str> = text.split(SEPARATOR).collect();
        let [group, target, case] = parts[..] else {
            return Err(refuse("does not have three parts"));
        };
        if [group, target, case].iter().any(|part| part.is_empty()) {
            return Err(refuse("has an empty part"));
        }
        Ok(Self {
            text: text.to_owned(),
            target_at: group.len() + 1,
            case_at: group.len() + target.len() + 2,
        })
    }
}

impl Serialize for BenchmarkId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for BenchmarkId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for BenchmarkId {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        String::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // The same schema as a string, so the record schema is unchanged by the type.
        String::json_schema(generator)
    }
}

impl PartialEq<str> for BenchmarkId {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for BenchmarkId {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> BenchmarkId {
        text.parse().unwrap()
    }

    #[test]
    fn every_form_of_id_reads_back_as_the_id_it_was_printed_from() {
        let built = [
            BenchmarkId::new("json", "actix", "c64").unwrap(),
            BenchmarkId::new(
                "hash",
                "axum",
                &case_from_template("{param}", 64, "r19k", ""),
            )
            .unwrap(),
            BenchmarkId::new(
                "mixed",
                "gin",
                &case_from_template("{background}", 64, "", "hash-inline"),
            )
            .unwrap(),
            BenchmarkId::of_load("plaintext", "node-cluster", 1024, 16, None).unwrap(),
            BenchmarkId::of_load("json", "actix", 64, 1, Some(98000.0)).unwrap(),
            BenchmarkId::of_k6("hash", "actix@k6x2", Some("r1k".into()), 64, Some(500.0)).unwrap(),
            BenchmarkId::of_icount("hash:1000", "actix").unwrap(),
        ];
        let printed: Vec<String> = built.iter().map(ToString::to_string).collect();
        assert_eq!(
            printed,
            [
                "json/actix/c64",
                "hash/axum/r19k",
                "mixed/gin/hash-inline",
                "plaintext/node-cluster/c1024-p16",
                "json/actix/c64-r98000",
                "hash/actix@k6x2/r1k-c64-rate500",
                "hash:1000/actix/icount",
            ]
        );
        for (built, text) in built.iter().zip(&printed) {
            assert_eq!(&id(text), built);
        }
    }

    #[test]
    fn a_load_case_names_connections_then_pipelining_then_rate() {
        let case = |pipeline, rate| {
            let id = BenchmarkId::of_load("json", "actix", 64, pipeline, rate).unwrap();
            id.case().to_owned()
        };
        assert_eq!(case(1, None), "c64");
        assert_eq!(case(16, None), "c64-p16");
        assert_eq!(case(1, Some(500.0)), "c64-r500");
        assert_eq!(case(16, Some(2.5)), "c64-p16-r2.5");
    }

    #[test]
    fn a_k6_case_names_work_size_vus_and_rate() {
        let case = |workload: &str, connections, rate| {
            let label = workload
                .parse::<crate::workload::Workload>()
                .unwrap()
                .param_label();
            let id = BenchmarkId::of_k6("w", "t@k6x1", label, connections, rate).unwrap();
            id.case().to_owned()
        };
        assert_eq!(case("hash:1000", 64, None), "r1k-c64");
        assert_eq!(case("sleep:10", 8, Some(50.0)), "ms10-c8-rate50");
        assert_eq!(case("json", 64, Some(500.0)), "c64-rate500");
    }

    #[test]
    fn an_id_gives_back_its_group_target_and_case() {
        let parsed = id("plaintext-pipelined/node-cluster/c1024");
        assert_eq!(parsed.group(), "plaintext-pipelined");
        assert_eq!(parsed.target(), "node-cluster");
        assert_eq!(parsed.case(), "c1024");
    }

    #[test]
    fn an_id_that_is_not_three_non_empty_parts_is_refused_with_the_expected_form() {
        for bad in [
            "json/actix",
            "json/actix/c64/x",
            "json//c64",
            "/actix/c64",
            "",
        ] {
            let err = bad.parse::<BenchmarkId>().unwrap_err();
            assert_eq!(err.id, bad);
            let message = err.to_string();
            assert!(message.contains(&format!("{bad:?}")), "{message}");
            assert!(message.contains("<group>/<target>/<case>"), "{message}");
        }
    }

    #[test]
    fn a_part_holding_a_slash_is_refused_rather_than_printed_as_another_id() {
        let err = BenchmarkId::new("json", "a/b", "c64").unwrap_err();
        assert_eq!(err.id, "json/a/b/c64");
        assert!(!is_valid_case("a/b") && !is_valid_case("") && is_valid_case("c64"));
    }

    #[test]
    fn the_file_name_and_anchor_replace_the_separators_and_criterion_nests_the_parts() {
        assert_eq!(id("json/actix/c64").file_name(), "json__actix__c64.json");
        assert_eq!(id("json/actix/c64").anchor(), "json-actix-c64");
        let dir = id("json/actix/c64").criterion_dir(Path::new("target/criterion"));
        assert_eq!(dir, Path::new("target/criterion/json/actix/c64"));
    }

    #[test]
    fn filters_select_one_benchmark_a_group_or_a_group_on_some_targets() {
        assert_eq!(id("json/actix/c64").filter(), "^json/actix/c64$");
        assert_eq!(group_filter("json"), "^json/");
        let targets = ["actix".to_owned(), "gin".to_owned()];
        assert_eq!(targets_filter("json", &targets), "^json/(actix|gin)/");
    }

    #[test]
    fn in_json_an_id_is_its_text_and_a_malformed_one_is_refused() {
        let parsed = id("json/actix/c64");
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            r#""json/actix/c64""#
        );
        let back: BenchmarkId = serde_json::from_str(r#""json/actix/c64""#).unwrap();
        assert_eq!(back, parsed);
        let err = serde_json::from_str::<BenchmarkId>(r#""json/actix""#).unwrap_err();
        assert!(err.to_string().contains("json/actix"), "{err}");
    }

    #[test]
    fn ids_sort_as_their_text_does() {
        let mut ids = vec![id("json/a/c1"), id("json-x/a/c1")];
        ids.sort();
        assert_eq!(ids, [id("json-x/a/c1"), id("json/a/c1")]);
    }

    #[test]
    fn a_width_pads_the_printed_id() {
        assert_eq!(format!("{:<16}|", id("json/a/c1")), "json/a/c1       |");
    }
}
