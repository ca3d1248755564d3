//! The bench's Criterion-compatible filter (benches with `harness = false` cannot hold tests).

#[path = "../benches/workloads/filter.rs"]
#[allow(dead_code, unreachable_pub)]
mod filter;

use filter::IdFilter;

fn filter(args: &[&str]) -> IdFilter {
    IdFilter::from_args(
        std::iter::once("bench")
            .chain(args.iter().copied())
            .map(String::from),
    )
}

#[test]
fn a_plain_filter_is_a_pattern_over_benchmark_ids() {
    let f = filter(&["--bench", "json/axum"]);
    assert!(f.runs("json/axum/c64"));
    assert!(!f.runs("json/actix/c64"));
}

#[test]
fn values_of_criterion_options_are_not_taken_for_the_filter() {
    let f = filter(&["--bench", "--save-baseline", "main", "--sample-size", "10"]);
    assert!(f.runs("plaintext/gin/c1"));
    let f = filter(&["--baseline", "main", "plaintext"]);
    assert!(f.runs("plaintext/gin/c1") && !f.runs("json/gin/c1"));
}

#[test]
fn no_filter_runs_everything_and_list_mode_starts_nothing() {
    assert!(filter(&["--bench"]).runs("anything"));
    assert!(!filter(&["--list"]).runs("json/axum/c1"));
}

#[test]
fn exact_mode_matches_only_the_whole_id() {
    let f = filter(&["--exact", "json/axum/c1"]);
    assert!(f.runs("json/axum/c1"));
    assert!(!f.runs("json/axum/c16"));
}

#[test]
fn a_target_kept_out_of_the_default_run_is_brought_in_only_by_a_filter_that_names_it() {
    assert!(!filter(&["--bench"]).names("example"));
    assert!(!filter(&["--bench", "json"]).names("example"));
    assert!(filter(&["--bench", "/example/"]).names("example"));
    assert!(filter(&["--bench", "^json/(actix|example)/"]).names("example"));
    assert!(filter(&["--exact", "json/example/c1"]).names("example"));
    assert!(!filter(&["--list"]).names("example"));
}

#[test]
fn a_group_kept_out_of_the_default_run_is_brought_in_only_by_a_filter_that_names_it() {
    assert!(!filter(&["--bench"]).asks_for_group("soak"));
    assert!(!filter(&["--bench", "json"]).asks_for_group("soak"));
    assert!(filter(&["--bench", "soak"]).asks_for_group("soak"));
    assert!(filter(&["--bench", "^soak/actix"]).asks_for_group("soak"));
    assert!(filter(&["--exact", "soak/gin/c64"]).asks_for_group("soak"));
    assert!(!filter(&["--exact", "json/gin/c64"]).asks_for_group("soak"));
    assert!(filter(&["--list"]).asks_for_group("soak"));
}
