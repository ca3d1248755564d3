//! The summary fixture shared by the report tests (summary_report.rs, summary_chromium.rs):
//! fixed records of six targets, one skipped, one instruction count, in the report's order.

use std::path::{Path, PathBuf};

use stampede_harness::evidence::ResultRecord;
use stampede_harness::evidence::fixtures::{open_loop_run, record, timeline};
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
    r.figures.open_loop.clear();
    if ["json-doc", "json", "hash-offload"].contains(&r.workload.as_str()) {
        let mut capacity = open_loop_run("80% of capacity", rps * 0.8, p50_us * 2);
        capacity.fraction_of_capacity = Some(0.8);
        r.figures.open_loop = vec![capacity, open_loop_run("common rate", 500.0, p50_us)];
    }
    r
}

pub(crate) fn client_bound(mut r: ResultRecord, cpu_busy: f64) -> ResultRecord {
    r.figures.server.cpu_busy = cpu_busy;
    r.figures.client.cpu_busy = 0.97;
    r.flags.client_bound = true;
    r.flags.server_bound = false;
    r
}

/// The fixture's results in order: id, requests/s, p50 µs, peak PSS MiB, then what sets it apart:
/// `client-bound=<server CPU busy>`, `invalid` (120 timeouts), or `per-connection=<bytes>` (an
/// idle baseline, client-bound at 0.3) for the memory-per-connection chart, or `soak=flat` /
/// `soak=grows` (a 2-minute timeline whose PSS stays put or grows 3 MiB a minute, with one
/// stalled second) for the charts over time and the claims about memory.
const RESULTS: &str = "
    plaintext/nethttp/c64 30000 2000 12 client-bound=0.62
    json/actix/c16 48000 330 8
    json/actix/c256 46000 5500 10
    json/axum/c16 45000 350 7
    json/axum/c256 44000 5800 9
    json/nethttp/c16 33000 480 13
    json/nethttp/c256 32000 8000 15
    json/node/c16 16000 1000 55
    json/node/c256 9000 28000 60 invalid
    soak/actix/c64 40000 300 4 soak=flat
    soak/node/c64 15000 900 60 soak=grows
    json-doc/actix/c64 30000 2100 9
    json-doc/actix/c256 29000 8800 11
    json-doc/gin/c64 21000 3000 15
    json-doc/gin/c256 20500 12500 17
    hash/axum/r5000 400 150000 10
    hash/nethttp/r5000 420 140000 13
    hash-offload/axum/r5000 480 130000 11
    hash-offload/nethttp/r5000 450 140000 14
    sleep/axum/c100 9500 10500 9 client-bound=0.1
    sleep/nethttp/c100 9500 10500 14 client-bound=0.1
    sleep/axum/c1000 95000 10500 9 per-connection=900
    sleep/nethttp/c1000 95000 10500 14 per-connection=2300
";

pub(crate) fn records() -> Vec<ResultRecord> {
    RESULTS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(row)
        .collect()
}

/// One line of [`RESULTS`] as a record.
fn row(line: &str) -> ResultRecord {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let number = |i: usize| fields[i].parse::<u64>().unwrap();
    let mut r = result(fields[0], number(1) as f64, number(2), number(3));
    match fields.get(4).map(|f| f.split_once('=').unwrap_or((f, ""))) {
        None => r,
        Some(("client-bound", busy)) => client_bound(r, busy.parse().unwrap()),
        Some(("invalid", _)) => {
            r.errors = 120;
            r.figures.errors_by_kind.insert("timeout".into(), 120);
            r.flags.invalid = true;
            r
        }
        // Memory per connection = (peak PSS - idle PSS) / connections.
        Some(("per-connection", bytes)) => {
            r.figures.server.idle_pss_bytes = Some(r.figures.server.peak_pss_bytes);
            r.figures.server.peak_pss_bytes += bytes.parse::<u64>().unwrap() * 1000;
            client_bound(r, 0.3)
        }
        Some(("soak", how)) => {
            let rate = r.figures.requests_per_sec / 2.0;
            let mut soak = open_loop_run("soak at 50% of capacity", rate, number(2));
            soak.fraction_of_capacity = Some(0.5);
            r.figures.open_loop = vec![soak];
            let base = r.figures.server.peak_pss_bytes as f64 / (1024.0 * 1024.0);
            r.figures.timeline = Some(match how {
                "grows" => timeline(120, move |n| base + n as f64 / 20.0, &[80]),
                _ => timeline(120, move |_| base, &[]),
            });
            r.flags = r
                .flags
                .with_over_time(r.figures.timeline.as_ref().map(|t| &t.over_time));
            r
        }
        Some(other) => panic!("unknown fixture mark {other:?}"),
    }
}

pub(crate) fn order() -> ReportOrder {
    let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
    ReportOrder {
        targets: names(&["actix", "axum", "nethttp", "gin", "node", "node-cluster"]),
        workloads: names(&[
            "plaintext",
            "json",
            "soak",
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
