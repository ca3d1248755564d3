//! The summary fixture shared by the report tests (summary_report.rs, summary_chromium.rs):
//! fixed records of six targets, one skipped, one instruction count, in the report's order.

use std::path::{Path, PathBuf};

use stampede_harness::evidence::ResultRecord;
use stampede_harness::evidence::fixtures::{open_loop_run, record};
use stampede_harness::icount::IcountRecord;
use stampede_harness::icount::record;
use stampede_harness::summary::claims::ClaimSet;
use stampede_harness::summary::order::ReportOrder;
use stampede_harness::summary::{SkippedTarget, Summary};

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fixture result; the workloads with tails get two open-loop runs, as the benches make them.
pub(crate) fn result(id: &str, rps: f64, p50_us: u64, pss_mib: u64) -> ResultRecord {
    let mut r = record(id, rps, p50_us, pss_mib);
    r.open_loop.clear();
    if ["json-doc", "json", "hash-offload"].contains(&r.workload.as_str()) {
        let mut capacity = open_loop_run("80% of capacity", rps * 0.8, p50_us * 2);
        capacity.fraction_of_capacity = Some(0.8);
        r.open_loop = vec![capacity, open_loop_run("common rate", 500.0, p50_us)];
    }
    r
}

pub(crate) fn client_bound(mut r: ResultRecord, cpu_busy: f64) -> ResultRecord {
    r.server.cpu_busy = cpu_busy;
    r.client.cpu_busy = 0.97;
    r.client_bound = true;
    r.server_bound = false;
    r
}

pub(crate) fn records() -> Vec<ResultRecord> {
    let mut invalid = result("json/node/c256", 9_000.0, 28_000, 60);
    invalid.errors = 120;
    invalid.errors_by_kind.insert("timeout".into(), 120);
    invalid.invalid = true;
    // Memory per connection = (peak PSS - idle PSS) / connections: 900 B and 2,300 B.
    let sleep_big = |id: &str, per_connection: u64, pss_mib: u64| {
        let mut r = result(id, 95_000.0, 10_500, pss_mib);
        r.server.idle_pss_bytes = Some(r.server.peak_pss_bytes);
        r.server.peak_pss_bytes += per_connection * 1000;
        client_bound(r, 0.3)
    };
    vec![
        client_bound(result("plaintext/nethttp/c64", 30_000.0, 2_000, 12), 0.62),
        result("json/actix/c16", 48_000.0, 330, 8),
        result("json/actix/c256", 46_000.0, 5_500, 10),
        result("json/axum/c16", 45_000.0, 350, 7),
        result("json/axum/c256", 44_000.0, 5_800, 9),
        result("json/nethttp/c16", 33_000.0, 480, 13),
        result("json/nethttp/c256", 32_000.0, 8_000, 15),
        result("json/node/c16", 16_000.0, 1_000, 55),
        invalid,
        result("json-doc/actix/c64", 30_000.0, 2_100, 9),
        result("json-doc/actix/c256", 29_000.0, 8_800, 11),
        result("json-doc/gin/c64", 21_000.0, 3_000, 15),
        result("json-doc/gin/c256", 20_500.0, 12_500, 17),
        result("hash/axum/r5000", 400.0, 150_000, 10),
        result("hash/nethttp/r5000", 420.0, 140_000, 13),
        result("hash-offload/axum/r5000", 480.0, 130_000, 11),
        result("hash-offload/nethttp/r5000", 450.0, 140_000, 14),
        client_bound(result("sleep/axum/c100", 9_500.0, 10_500, 9), 0.1),
        client_bound(result("sleep/nethttp/c100", 9_500.0, 10_500, 14), 0.1),
        sleep_big("sleep/axum/c1000", 900, 9),
        sleep_big("sleep/nethttp/c1000", 2_300, 14),
    ]
}

pub(crate) fn order() -> ReportOrder {
    let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
    ReportOrder {
        targets: names(&["actix", "axum", "nethttp", "gin", "node", "node-cluster"]),
        workloads: names(&[
            "plaintext",
            "json",
            "json-doc",
            "hash",
            "hash-offload",
            "sleep",
        ]),
    }
}

pub(crate) fn fixture() -> Summary {
    let skipped = vec![SkippedTarget {
        target: "node-cluster".into(),
        reason: "node not found on PATH (install Node.js >= 18)".into(),
    }];
    let claims = ClaimSet::load(&root().join("spec/claims.toml")).unwrap();
    let mut summary = Summary::build(records(), skipped, &claims, &order());
    summary.instructions = vec![instructions("actix", "json", 16_959.4)];
    summary
}

/// What `stampede icount` wrote for one target and workload: three processes, 1,000 requests.
pub(crate) fn instructions(target: &str, workload: &str, per_request: f64) -> IcountRecord {
    let mut count = record::fixture(target, workload, &[per_request; 3]);
    count.spread_pct = 0.03;
    count
}
