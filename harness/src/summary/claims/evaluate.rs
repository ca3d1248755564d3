//! Evaluating claims: pick the parameter, compute each side, check flags, give the verdict.

use std::collections::BTreeSet;

use itertools::Itertools;

use super::growth;
use super::remedy::{self, TO_COMPARE};
use super::{At, Claim, ClaimCheck, ClaimSet, Expect, Metric, Pick, Term, Verdict};
use crate::benchmark_id::{BenchmarkId, group_filter, targets_filter};
use crate::evidence::{PerConnection, ResultRecord, memory_per_connection};
use crate::summary::format::{bytes, ratio};
use crate::summary::table::workers;
use crate::summary::{NotServed, SkippedTarget, served, split_param};

/// Evaluates every claim of `set` against `records`; `skipped` and `not_served` say why a
/// target has no result.
pub fn evaluate(
    set: &ClaimSet,
    records: &[ResultRecord],
    skipped: &[SkippedTarget],
    not_served: &[NotServed],
) -> Vec<ClaimCheck> {
    set.claims
        .iter()
        .map(|claim| {
            let tolerance = claim.tolerance.unwrap_or(set.tolerance);
            let mut check = ClaimCheck {
                id: claim.id.clone(),
                source: claim.source,
                claim: claim.claim.clone(),
                compared: describe(claim, None),
                expect: claim.expect,
                claimed_ratio: claim.claimed_ratio,
                tolerance,
                measured_ratio: None,
                measured: String::new(),
                setup: String::new(),
                verdict: Verdict::NotComparable,
                why: String::new(),
                inputs: Vec::new(),
            };
            let absent = Absent {
                skipped,
                not_served,
            };
            if let Err(why) = measure(claim, records, &absent, &mut check) {
                check.why = why;
            }
            check
        })
        .collect()
}

fn describe(claim: &Claim, at: Option<&str>) -> String {
    let Some(b) = &claim.b else {
        return growth::describe(claim);
    };
    let same = claim.a.workload == b.workload;
    let side = |s: &Term| {
        let targets = match (s.targets.len(), s.pick) {
            (1, _) => s.targets[0].clone(),
            (_, Pick::Largest) => format!("max({})", s.targets.join(", ")),
            (_, Pick::Smallest) => format!("min({})", s.targets.join(", ")),
        };
        match same {
            true => targets,
            false => format!("{targets} on {}", s.workload),
        }
    };
    let place = match same {
        true => format!(" on {}", claim.a.workload),
        false => String::new(),
    };
    let at = at.map(|p| format!(" at {p}")).unwrap_or_default();
    let (a, b) = (side(&claim.a), side(b));
    format!("{}{place}{at}: {a} ÷ {b}", claim.metric.label())
}

/// Fills `check` with the measurement and verdict; `Err(why)` leaves it not comparable.
fn measure(
    claim: &Claim,
    records: &[ResultRecord],
    absent: &Absent<'_>,
    check: &mut ClaimCheck,
) -> Result<(), String> {
    let Some(b) = &claim.b else {
        return growth::measure(claim, records, absent, check);
    };
    let side_a = side_records(&claim.a, records, absent)?;
    let side_b = side_records(b, records, absent)?;
    if let Some(cores) = claim.needs.server_cores {
        let fewest = side_a
            .iter()
            .chain(&side_b)
            .map(|r| r.figures.server.cores)
            .min();
        if let Some(gave) = fewest.filter(|&c| c < cores) {
            return Err(format!(
                "needs >= {cores} server cores; this run gave the server {gave}; {}",
                remedy::for_cores(cores)
            ));
        }
    }
    let common: Vec<String> = common_params(&side_a)
        .intersection(&common_params(&side_b))
        .cloned()
        .collect();
    let numbered = common
        .iter()
        .filter_map(|p| Some((split_param(p).1?, p.clone())));
    let numbered: Vec<(u64, String)> = numbered.sorted().collect();
    let lowest = numbered.first().map(|(_, p)| p.clone());
    let chosen = match &claim.at {
        At::Param(p) if common.contains(p) => Some(p.clone()),
        At::Param(p) => {
            let common = Some(common.join(", ")).filter(|c| !c.is_empty());
            let common = common.as_deref().unwrap_or("none");
            return Err(format!(
                "not run at {p} on both sides (common: {common}); {}",
                remedy::for_missing(&format!("^({}|{})/.*/{p}$", claim.a.workload, b.workload))
            ));
        }
        At::LargestCommon => numbered.last().map(|(_, p)| p.clone()),
        At::SmallestCommon => lowest.clone(),
        At::CpuNearUs(target_us) => nearest_cpu(&common, &side_a, &side_b, *target_us),
    };
    let Some(param) = chosen else {
        return Err(format!(
            "{} and {} share no parameter to compare at; {TO_COMPARE} give both groups a common \
             parameter in spec/workloads.toml",
            claim.a.workload, b.workload
        ));
    };
    // Retention spans start at the fewest connections above one: a single connection measures
    // one round trip's latency, not a server's capacity.
    let above_one = numbered
        .iter()
        .find(|(n, _)| *n > 1)
        .map(|(_, p)| p.clone());
    let base = above_one.or(lowest).unwrap_or_else(|| param.clone());
    let span = match claim.metric {
        Metric::RequestsPerSecRetention if base == param => {
            return Err(format!(
                "needs at least two connection counts on both sides; {}",
                remedy::for_missing(&group_filter(&claim.a.workload))
            ));
        }
        Metric::RequestsPerSecRetention if base != param => format!("{base}→{param}"),
        _ => param.clone(),
    };
    check.compared = describe(claim, Some(&span));
    let (a, used_a) = side_value(claim, &claim.a, &side_a, &base, &param)?;
    let (b, used_b) = side_value(claim, b, &side_b, &base, &param)?;
    let used: Vec<&ResultRecord> = used_a.into_iter().chain(used_b).collect();
    check.inputs = used.iter().map(|r| r.id.to_string()).unique().collect();
    check.setup = setup_text(&used);
    let (show_a, show_b) = (claim.metric.show(a.1), claim.metric.show(b.1));
    check.measured = format!("{} {show_a} ÷ {} {show_b}", a.0, b.0);
    let flagged: Vec<String> = used
        .iter()
        .filter(|r| {
            r.flags.invalid
                || r.flags.not_steady
                || (!r.flags.server_bound && claim.metric.needs_server_bound())
        })
        .map(|r| {
            let words = r.flags.words().join(" and ");
            format!("{} is {words} ({})", r.id, remedy::for_flagged(r))
        })
        .collect();
    if !flagged.is_empty() {
        return Err(format!("flagged input: {}", flagged.join("; ")));
    }
    if b.1 <= 0.0 {
        return Err(format!("{} measured 0; {TO_COMPARE} rerun it", b.0));
    }
    let measured = a.1 / b.1;
    check.measured_ratio = Some(measured);
    (check.verdict, check.why) =
        verdict(claim.expect, claim.claimed_ratio, check.tolerance, measured);
    Ok(())
}

fn verdict(
    expect: Expect,
    claimed: Option<f64>,
    tolerance: f64,
    measured: f64,
) -> (Verdict, String) {
    let side = |above: bool| if above { "above" } else { "below" };
    let wanted = expect == Expect::Above;
    if (measured > 1.0) != wanted || measured == 1.0 {
        let why = format!("{} is not {} 1", ratio(measured), side(wanted));
        return (Verdict::DoesNotHold, why);
    }
    let Some(claimed) = claimed else {
        return (
            Verdict::Holds,
            format!("{} 1, as claimed (no figure given)", side(wanted)),
        );
    };
    let (low, high) = (claimed * (1.0 - tolerance), claimed * (1.0 + tolerance));
    let band = format!("{}–{}", ratio(low), ratio(high));
    let pct = (tolerance * 100.0).round();
    if (low..=high).contains(&measured) {
        return (
            Verdict::Holds,
            format!("within ±{pct}% of the claim ({band})"),
        );
    }
    let how = match (measured > claimed) == wanted {
        true => "stronger",
        false => "weaker",
    };
    let why = format!("right direction but {how} than claimed: outside ±{pct}% ({band})");
    (Verdict::DoesNotHold, why)
}

/// Why targets have no result: a missing toolchain, or a workload they do not serve.
pub(super) struct Absent<'a> {
    skipped: &'a [SkippedTarget],
    not_served: &'a [NotServed],
}

/// The records of a side's workload and targets; `Err` says what is missing.
pub(super) fn side_records<'r>(
    side: &Term,
    records: &'r [ResultRecord],
    absent: &Absent<'_>,
) -> Result<Vec<&'r ResultRecord>, String> {
    let unserved = |t: &String| served::find(absent.not_served, &side.workload, t);
    if side.targets.iter().all(|t| unserved(t).is_some()) {
        let mut lines = side.targets.iter().filter_map(unserved).map(|n| &n.line);
        return Err(format!(
            "{}; {TO_COMPARE} add a handler for `{}` to the target and list it in its catalog \
             entry's `workloads`",
            lines.join("; "),
            side.workload
        ));
    }
    if !records.iter().any(|r| r.workload == side.workload) {
        return Err(format!(
            "{} was not run; {}",
            side.workload,
            remedy::for_missing(&group_filter(&side.workload))
        ));
    }
    let found: Vec<&ResultRecord> = records
        .iter()
        .filter(|r| r.workload == side.workload && side.targets.contains(&r.target))
        .collect();
    if found.is_empty() {
        let reason = |t: &String| match absent.skipped.iter().find(|s| &s.target == t) {
            Some(s) => format!("{t} skipped: {}", s.reason),
            None => match unserved(t) {
                Some(n) => n.line.clone(),
                None => format!("{t} has no {} result", side.workload),
            },
        };
        let filter = targets_filter(&side.workload, &side.targets);
        return Err(format!(
            "{}; {}",
            side.targets.iter().map(reason).join("; "),
            remedy::for_skipped(&filter)
        ));
    }
    Ok(found)
}

/// Parameters every measured target of a side ran.
pub(super) fn common_params(side: &[&ResultRecord]) -> BTreeSet<String> {
    let ran = |t: &str, p: &str| side.iter().any(|r| r.target == t && r.param == p);
    let params = side.iter().map(|r| r.param.clone());
    params
        .filter(|p| side.iter().all(|r| ran(&r.target, p)))
        .collect()
}

fn nearest_cpu(
    common: &[String],
    a: &[&ResultRecord],
    b: &[&ResultRecord],
    target_us: f64,
) -> Option<String> {
    // How far the mean CPU per request at a parameter is from the target, as a factor.
    let distance = |param: &String| {
        let runs = a.iter().chain(b).filter(|r| &r.param == param);
        let cpu = runs
            .filter_map(|r| r.figures.server.cpu_us_per_request)
            .filter(|us| *us > 0.0);
        let (sum, n) = cpu.fold((0.0, 0), |(sum, n), us| (sum + us, n + 1));
        (n > 0).then(|| (sum / f64::from(n) / target_us).ln().abs())
    };
    let distances = common.iter().filter_map(|p| Some((distance(p)?, p)));
    let nearest = distances.min_by(|x, y| x.0.total_cmp(&y.0));
    nearest.map(|(_, p)| p.clone())
}

type Value<'r> = ((String, f64), Vec<&'r ResultRecord>);

/// The side's value (target name and figure) and the records it came from.
fn side_value<'r>(
    claim: &Claim,
    side: &Term,
    records: &[&'r ResultRecord],
    base: &str,
    param: &str,
) -> Result<Value<'r>, String> {
    let at = |target: &str, p: &str| {
        let found = records.iter().find(|r| r.target == target && r.param == p);
        found.copied().ok_or_else(|| {
            let id = BenchmarkId::new(&side.workload, target, p);
            id.map_or_else(
                |err| err.to_string(),
                |id| format!("{id} is missing; {}", remedy::for_missing(&id.filter())),
            )
        })
    };
    let targets = records.iter().map(|r| &r.target).unique();
    let mut values = Vec::new();
    let mut used = Vec::new();
    for target in targets {
        let top = at(target, param)?;
        let value = match claim.metric {
            Metric::PssPerConnectionBytes => {
                let connections = top.setup.connections as f64;
                match memory_per_connection(&top.figures.server, connections) {
                    Some(PerConnection::Bytes(bytes)) => bytes,
                    Some(PerConnection::BelowResolution(resolution)) => {
                        return Err(format!(
                            "{}'s memory per connection is below the resolution of {}/conn; \
                             {TO_COMPARE} compare at more connections, where the growth stands \
                             above the idle readings' noise",
                            top.id,
                            bytes(resolution)
                        ));
                    }
                    None => {
                        return Err(format!(
                            "{} has no idle PSS to measure connections from; {}",
                            top.id,
                            remedy::for_missing(&top.id.filter())
                        ));
                    }
                }
            }
            Metric::RequestsPerSecRetention => {
                let low = at(target, base)?;
                used.push(low);
                top.figures.requests_per_sec / low.figures.requests_per_sec.max(f64::MIN_POSITIVE)
            }
            metric => metric.point(top, claim.open_loop.as_deref())?,
        };
        used.push(top);
        values.push((target.clone(), value));
    }
    let picked = match side.pick {
        Pick::Largest => values.into_iter().max_by(|x, y| x.1.total_cmp(&y.1)),
        Pick::Smallest => values.into_iter().min_by(|x, y| x.1.total_cmp(&y.1)),
    };
    picked.map(|v| (v, used)).ok_or_else(|| {
        let filter = group_filter(&side.workload);
        format!(
            "no {} result; {}",
            side.workload,
            remedy::for_missing(&filter)
        )
    })
}

pub(super) fn setup_text(used: &[&ResultRecord]) -> String {
    let cpus = used.iter().map(|r| {
        let (setup, workers) = (&r.setup, workers(r));
        format!(
            "CPUs server {} / client {}, workers {workers}, offload {}",
            setup.server_cpus, setup.client_cpus, setup.offload_threads
        )
    });
    let versions = used.iter().map(|r| (&r.target, &r.toolchain));
    let versions = versions.map(|(target, toolchain)| format!("{target}: {toolchain}"));
    let (cpus, versions) = (cpus.unique().join(" | "), versions.unique().join(", "));
    format!("{cpus}; {versions}")
}
