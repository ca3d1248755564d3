//! Tests of the claims check.

use super::*;
use crate::evidence::fixtures::{record, records};
use crate::summary::SkippedTarget;
use crate::summary::assert_has;

/// One claim from "metric at a-side b-side expect [claimed ratio][; TOML lines of the claim]".
fn ratio_claim(spec: &str) -> ClaimSet {
    let (spec, extra) = spec.split_once("; ").unwrap_or((spec, ""));
    let (metric, at, a, b, expect, claimed) = match spec.split(' ').collect::<Vec<_>>()[..] {
        [metric, at, a, b, expect] => (metric, at, a, b, expect, String::new()),
        [metric, at, a, b, expect, ratio] => {
            (metric, at, a, b, expect, format!("claimed_ratio = {ratio}"))
        }
        _ => panic!("bad claim spec {spec:?}"),
    };
    // `workload/a,b:smallest`: targets a and b, the smaller value of the two.
    let side = |s: &str| {
        let (s, pick) = s.split_once(':').unwrap_or((s, "largest"));
        let (workload, targets) = s.split_once('/').unwrap();
        let targets = targets.replace(',', "\", \"");
        format!("{{ workload = \"{workload}\", targets = [\"{targets}\"], pick = \"{pick}\" }}")
    };
    let text = format!(
        "tolerance = 0.25\n[[claims]]\nid = \"x\"\nsource = 1\nclaim = \"c\"\nmetric = \"{metric}\"\n\
         at = \"{at}\"\na = {}\nb = {}\nexpect = \"{expect}\"\n{claimed}\n{extra}\n",
        side(a),
        side(b)
    );
    ClaimSet::parse(&text).unwrap()
}

fn one(set: &ClaimSet, records: &[ResultRecord]) -> ClaimCheck {
    evaluate(set, records, &[], &[]).remove(0)
}

/// [`one`], asserted to hold with a measured ratio of `ratio`.
fn holding(set: &ClaimSet, records: &[ResultRecord], ratio: f64) -> ClaimCheck {
    let check = one(set, records);
    assert_eq!(check.verdict, Verdict::Holds, "{}", check.why);
    let measured = check.measured_ratio.unwrap();
    assert!((measured - ratio).abs() < 1e-9, "{measured} vs {ratio}");
    check
}

#[test]
fn the_builtin_claims_parse_and_cover_the_eight_published_claims_and_the_payment_gateways() {
    let set = ClaimSet::builtin().unwrap();
    let sources: BTreeSet<u32> = set.claims.iter().map(|c| c.source).collect();
    assert_eq!(sources, (1..=9).collect());
    assert!((set.tolerance - 0.25).abs() < 1e-9);
}

#[test]
fn a_ratio_on_the_claimed_side_within_tolerance_holds() {
    let set = ratio_claim("requests_per_sec largest-common json/actix json/gin above 1.35");
    let records = records(
        "json/actix/c64=100 json/actix/c256=1300 json/gin/c64=100 \
         json/gin/c256=1000",
    );
    let check = holding(&set, &records, 1.3);
    assert_eq!(check.inputs, ["json/actix/c256", "json/gin/c256"]);
    assert_has(&check.compared, "at c256");
    assert_has(&check.setup, "CPUs server 0 / client 1, workers 1");
}

#[test]
fn the_wrong_side_of_one_or_a_much_stronger_ratio_does_not_hold() {
    let set = ratio_claim("requests_per_sec c64 json/actix json/gin above 1.35");
    let slower = records("json/actix/c64=90 json/gin/c64=100");
    let check = one(&set, &slower);
    assert_eq!(check.verdict, Verdict::DoesNotHold);
    assert_has(&check.why, "not above 1");
    let much_faster = records("json/actix/c64=300 json/gin/c64=100");
    let check = one(&set, &much_faster);
    assert_eq!(check.verdict, Verdict::DoesNotHold);
    assert_has(&check.why, "stronger than claimed");
}

#[test]
fn a_workload_that_was_not_run_makes_the_claim_not_comparable_and_says_so() {
    let set =
        ratio_claim("requests_per_sec largest-common hash-offload/axum hash-offload/nethttp above");
    let check = one(&set, &[record("json/axum/c64", 1.0, 1, 1)]);
    assert_eq!(check.verdict, Verdict::NotComparable);
    assert_eq!(
        check.why,
        "hash-offload was not run; to compare: run `cargo bench -- '^hash-offload/'`"
    );
    assert_eq!(check.measured_text(), "—");
}

#[test]
fn a_skipped_target_gives_its_skip_reason() {
    let set = ratio_claim("requests_per_sec largest-common json/actix json/gin above");
    let skipped = [SkippedTarget {
        target: "gin".into(),
        reason: "go not found on PATH".into(),
    }];
    let check = evaluate(&set, &[record("json/actix/c64", 1.0, 1, 1)], &skipped, &[]).remove(0);
    assert_eq!(check.verdict, Verdict::NotComparable);
    assert_eq!(
        check.why,
        "gin skipped: go not found on PATH; to compare: install what a skip names, then run \
         `cargo bench -- '^json/(gin)/'`"
    );
}

#[test]
fn a_client_bound_input_is_not_comparable_for_throughput_but_counts_for_memory() {
    let mut bound = record("json/gin/c64", 100.0, 1, 8);
    bound.flags.client_bound = true;
    bound.flags.server_bound = false;
    let records = [record("json/actix/c64", 130.0, 1, 4), bound];
    let rps = ratio_claim("requests_per_sec largest-common json/actix json/gin above");
    let check = one(&rps, &records);
    assert_eq!(check.verdict, Verdict::NotComparable);
    assert_has(
        &check.why,
        "flagged input: json/gin/c64 is client-bound (to compare: ",
    );
    assert_has(&check.why, "the client was the limit");
    let rss = ratio_claim("peak_pss_bytes largest-common json/actix json/gin below 0.5");
    assert_eq!(one(&rss, &records).verdict, Verdict::Holds);
    let mut broken = records[1].clone();
    broken.flags.invalid = true;
    let check = one(&rss, &[records[0].clone(), broken]);
    assert_eq!(check.verdict, Verdict::NotComparable);
}

#[test]
fn cpu_near_picks_the_work_size_closest_to_the_claimed_task_length() {
    let set = ratio_claim("requests_per_sec cpu-near-us:2000 hash/axum hash-offload/axum below");
    // record() sets CPU per request to 1e6 / rps µs: 1000 req/s = 1 ms, 400 = 2.5 ms, 100 = 10 ms.
    let records = records(
        "hash/axum/r1000=1000 hash/axum/r5000=400 hash/axum/r20000=100 \
         hash-offload/axum/r1000=1000 hash-offload/axum/r5000=400 \
         hash-offload/axum/r20000=100",
    );
    let check = one(&set, &records);
    assert_has(&check.compared, "at r5000");
    assert_has(&check.compared, "axum on hash ÷ axum on hash-offload");
}

#[test]
fn memory_per_connection_is_peak_pss_above_the_idle_server_over_the_connections() {
    let set =
        ratio_claim("pss_per_connection_bytes largest-common sleep/axum sleep/nethttp below 0.38");
    let mut records = vec![
        record("sleep/axum/c100", 1.0, 1, 10),
        record("sleep/axum/c10000", 1.0, 1, 10),
        record("sleep/nethttp/c100", 1.0, 1, 10),
        record("sleep/nethttp/c10000", 1.0, 1, 10),
    ];
    for (r, per_connection) in records.iter_mut().zip([800, 800, 2100, 2100]) {
        let idle = 5_000_000;
        r.figures.server.idle_pss_bytes = Some(idle);
        r.figures.server.peak_pss_bytes = idle + per_connection * r.setup.connections as u64;
        // Sleeping servers are idle by design: memory claims still count.
        r.flags.client_bound = true;
        r.flags.server_bound = false;
    }
    let check = holding(&set, &records, 0.8 / 2.1);
    assert_has(&check.measured, "800 B/conn");
    assert_has(&check.compared, "at c10000");
}

#[test]
fn a_claim_that_needs_parallel_server_cores_is_not_comparable_on_one() {
    let set = ratio_claim(
        "requests_per_sec largest-common hash/axum hash-offload/axum below; needs = { server_cores = 2 }",
    );
    let records = records("hash/axum/r19k=100 hash-offload/axum/r19k=100");
    let check = one(&set, &records);
    assert_eq!(check.verdict, Verdict::NotComparable);
    assert_has(
        &check.why,
        "needs >= 2 server cores; this run gave the server 1; to compare: run `cargo bench` where \
         it may use at least 4 CPUs",
    );
    let mut two_cores = records.clone();
    for r in &mut two_cores {
        r.figures.server.cores = 2;
    }
    let check = one(&set, &two_cores);
    assert_ne!(check.verdict, Verdict::NotComparable, "{}", check.why);
}

#[test]
fn latency_comes_from_the_open_loop_and_a_thin_tail_is_not_comparable() {
    let set = ratio_claim("p99_us largest-common json-doc/actix json-doc/gin below 0.78");
    let mut records = [
        record("json-doc/actix/c64", 1000.0, 80, 1),
        record("json-doc/gin/c64", 1000.0, 100, 1),
    ];
    // The closed-loop figures say otherwise; only the open loop counts.
    records[0].figures.latency_us.p99 = 1_000_000;
    holding(&set, &records, 0.8);
    let p99 = &mut records[1].figures.open_loop[0].percentiles[2];
    p99.us = None;
    p99.samples_beyond = 4;
    let check = one(&set, &records);
    assert_eq!(check.verdict, Verdict::NotComparable);
    assert_has(&check.why, "n/a: 4 samples beyond");
    records[1].figures.open_loop.clear();
    let check = one(&set, &records);
    assert_has(&check.why, "no open-loop run at common rate");
}

#[test]
fn retention_compares_how_much_throughput_each_side_keeps_as_connections_grow() {
    let set = ratio_claim("requests_per_sec_retention largest-common json/node json/nethttp below");
    let records = records(
        "json/node/c16=1000 json/node/c1024=500 json/nethttp/c16=1000 \
         json/nethttp/c1024=900",
    );
    holding(&set, &records, 0.5 / 0.9);
    let single = &records[..1];
    assert_eq!(one(&set, single).verdict, Verdict::NotComparable);
}

#[test]
fn retention_starts_above_one_connection_which_is_always_latency_bound() {
    let set = ratio_claim("requests_per_sec_retention largest-common json/node json/nethttp below");
    let mut records = records(
        "json/node/c1=10 json/node/c16=1000 json/node/c1024=500 \
         json/nethttp/c1=10 json/nethttp/c16=1000 json/nethttp/c1024=900",
    );
    for r in records.iter_mut().filter(|r| r.param == "c1") {
        r.figures.server.cpu_busy = 0.4;
        r.flags.server_bound = false;
    }
    let check = one(&set, &records);
    assert_eq!(check.verdict, Verdict::Holds, "{}", check.why);
    assert_has(&check.compared, "c16→c1024");
}

#[test]
fn a_side_with_several_targets_picks_the_smallest_when_asked() {
    let set = ratio_claim("p50_us largest-common json/actix,axum:smallest json/nethttp below");
    let records = [
        record("json/actix/c64", 1.0, 300, 1),
        record("json/axum/c64", 1.0, 200, 1),
        record("json/nethttp/c64", 1.0, 400, 1),
    ];
    let check = one(&set, &records);
    let measured = &check.measured;
    assert!(measured.starts_with("axum 200 µs"), "{measured}");
    assert_has(&check.compared, "min(actix, axum)");
}

#[test]
fn a_claimed_ratio_on_the_wrong_side_of_expect_is_rejected_when_loading() {
    let text = "tolerance = 0.25\n[[claims]]\nid = \"x\"\nsource = 1\nclaim = \"c\"\n\
                metric = \"p99_us\"\na = { workload = \"j\", targets = [\"a\"] }\n\
                b = { workload = \"j\", targets = [\"b\"] }\nexpect = \"above\"\nclaimed_ratio = 0.5\n";
    let err = ClaimSet::parse(text).unwrap_err();
    assert_has(&err, "claim x");
}

#[test]
fn a_claim_on_a_workload_its_target_does_not_serve_is_not_comparable_with_that_reason() {
    let set = ratio_claim("requests_per_sec largest-common json-doc/actix json-doc/example above");
    let not_served = [crate::summary::NotServed {
        target: "example".into(),
        workload: "json-doc".into(),
        line: "example: json-doc not served".into(),
    }];
    let records = [record("json-doc/actix/c64", 1.0, 1, 1)];
    let check = evaluate(&set, &records, &[], &not_served).remove(0);
    assert_eq!(check.verdict, Verdict::NotComparable);
    assert_has(
        &check.why,
        "example: json-doc not served; to compare: add a handler",
    );
    // A side of several targets still picks among those that serve it.
    let set =
        ratio_claim("requests_per_sec largest-common json-doc/actix json-doc/gin,example above");
    let records = [
        record("json-doc/actix/c64", 2.0, 1, 1),
        record("json-doc/gin/c64", 1.0, 1, 1),
    ];
    let check = evaluate(&set, &records, &[], &not_served).remove(0);
    assert_eq!(check.measured_ratio, Some(2.0));
}

/// A claim that the memory of `targets` on soak stays stable.
fn stable_claim(targets: &str) -> ClaimSet {
    let targets = targets.replace(',', "\", \"");
    ClaimSet::parse(&format!(
        "tolerance = 0.25\n[[claims]]\nid = \"t\"\nsource = 2\nclaim = \"c\"\n\
         metric = \"memory_growth\"\na = {{ workload = \"soak\", targets = [\"{targets}\"] }}\n\
         expect = \"stable\"\n"
    ))
    .unwrap()
}

/// A soak record of `target` whose PSS is `pss_mib(n)` after interval `n` of 120.
fn soaked(target: &str, pss_mib: fn(usize) -> f64) -> ResultRecord {
    let mut r = record(&format!("soak/{target}/c64"), 1000.0, 100, 8);
    let timeline = crate::evidence::fixtures::timeline(120, pss_mib, &[]);
    r.figures.timeline = Some(timeline);
    r.flags = r.figures.flags(true);
    r
}

#[test]
fn memory_that_stays_flat_on_every_target_holds_and_one_that_grows_does_not() {
    let set = stable_claim("nethttp,gin");
    let flat = [soaked("nethttp", |_| 8.0), soaked("gin", |_| 9.0)];
    let check = one(&set, &flat);
    assert_eq!(check.verdict, Verdict::Holds, "{}", check.why);
    assert_eq!(check.claimed_text(), "stable");
    assert_eq!(check.measured_ratio, None);
    assert_has(&check.measured, "gin +0 B/min");
    assert_has(&check.compared, "memory growth");
    assert_eq!(check.inputs, ["soak/nethttp/c64", "soak/gin/c64"]);
    // 3 MiB a minute on gin.
    let leaking = [
        soaked("nethttp", |_| 8.0),
        soaked("gin", |n| 9.0 + n as f64 / 20.0),
    ];
    let check = one(&set, &leaking);
    assert_eq!(check.verdict, Verdict::DoesNotHold);
    assert_has(&check.why, "gin grows");
    assert_has(&check.measured, "grows");
}

#[test]
fn a_memory_claim_without_a_soak_run_is_not_comparable_and_names_the_command() {
    let set = stable_claim("actix,axum");
    let check = one(&set, &records("json/actix/c64 json/axum/c64"));
    assert_eq!(check.verdict, Verdict::NotComparable);
    assert_eq!(
        check.why,
        "soak was not run; to compare: run `cargo bench -- '^soak/'`"
    );
    // A soak record whose run is too short for a verdict.
    let mut short = record("soak/actix/c64", 1000.0, 100, 8);
    short.figures.timeline = Some(crate::evidence::fixtures::timeline(10, |_| 4.0, &[]));
    let check = one(&set, &[short]);
    assert_eq!(check.verdict, Verdict::NotComparable);
    assert_has(&check.why, "too short to judge its memory (10 intervals");
    assert_has(&check.why, "STAMPEDE_SOAK_MINUTES=30");
}

#[test]
fn a_memory_claim_must_be_stable_with_one_side_and_a_ratio_claim_must_have_two() {
    let text = |extra: &str| {
        format!(
            "tolerance = 0.25\n[[claims]]\nid = \"t\"\nsource = 2\nclaim = \"c\"\n\
             metric = \"memory_growth\"\na = {{ workload = \"soak\", targets = [\"a\"] }}\n{extra}\n"
        )
    };
    let err = ClaimSet::parse(&text("expect = \"below\"")).unwrap_err();
    assert_has(&err, "goes with expect = \"stable\"");
    let two_sides = "expect = \"stable\"\nb = { workload = \"soak\", targets = [\"b\"] }";
    assert_has(&ClaimSet::parse(&text(two_sides)).unwrap_err(), "no `b`");
    let err = ClaimSet::parse(
        "tolerance = 0.25\n[[claims]]\nid = \"t\"\nsource = 1\nclaim = \"c\"\n\
         metric = \"requests_per_sec\"\na = { workload = \"j\", targets = [\"a\"] }\n\
         expect = \"above\"\n",
    )
    .unwrap_err();
    assert_has(&err, "a ratio claim needs `b`");
    let near = text("expect = \"stable\"\nat = \"cpu-near-us:2000\"");
    assert_has(&ClaimSet::parse(&near).unwrap_err(), "does not apply");
}

#[test]
fn peak_memory_over_a_long_run_counts_the_timeline_s_intervals() {
    let set = ratio_claim("peak_pss_bytes largest-common soak/node soak/actix above");
    // The closed loop's peak is 8 MiB on both; node's PSS reached 60 MiB during its soak.
    let records = [soaked("node", |_| 60.0), soaked("actix", |_| 4.0)];
    let check = one(&set, &records);
    assert_eq!(check.verdict, Verdict::Holds, "{}", check.why);
    assert!((check.measured_ratio.unwrap() - 7.5).abs() < 0.01);
}
