//! Counting one target: verify it as usual, then k fresh server processes under callgrind, each
//! serving every workload in turn (warm-up, then the measured phase between zeroed and dumped
//! counters).

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::counters::{PhaseCount, per_request, uncounted_threads_total};
use super::phase::{Client, Pacing, Watched, planned_requests, send};
use super::record::{IcountRecord, RECORD_SCHEMA, Repetition};
use super::script::{SCRIPT_SEED, Script};
use super::spread::{median, spread_pct};
use super::valgrind::{Callgrind, Valgrind, settings_label};
use super::{IcountError, IcountOptions};
use crate::catalog::{Catalog, Target};
use crate::evidence::{Commit, rfc3339_utc};
use crate::process::{RunningServer, ServerConfig};
use crate::session::{SessionError, start_verified};
use crate::vectors::Vector;
use crate::workload::Workload;

/// Requests of each warm-up when the catalog gives none.
pub const DEFAULT_WARMUP_REQUESTS: u64 = 200;
/// Instructions after which a warm-up may end when the catalog gives none.
pub const DEFAULT_WARMUP_INSTRUCTIONS: u64 = 200_000_000;
/// Requests of each measured phase when the catalog gives none.
pub const DEFAULT_MEASURED_REQUESTS: u64 = 1000;
/// Instructions after which a measured phase may end: beyond this, more requests only cost time
/// (a few hundred thousand requests' worth of a cheap workload, a few dozen of `hash`).
pub const MEASURED_INSTRUCTIONS: u64 = 100_000_000;
/// Requests the measured phase gets at least (fewer when the catalog asks for fewer).
const MIN_MEASURED_REQUESTS: u64 = 20;
/// Requests of the warm-up's first chunk.
const PROBE_REQUESTS: u64 = 10;
/// Two warm-up chunks this close in cost per request mean the server has settled.
const SETTLED: f64 = 0.005;
/// Only chunks of at least this share of the warm-up's request count may end it early.
const SETTLE_SHARE: f64 = 0.125;

/// Counts `name` under every workload it serves, `options.repetitions` times; one record per
/// workload. The caller tells the user about the ones it does not serve
/// ([`crate::workload::not_served_line`]).
pub fn count_target(
    catalog: &Catalog,
    vectors: &Arc<Vec<Vector>>,
    name: &str,
    workloads: &[Workload],
    valgrind: &Valgrind,
    options: &IcountOptions,
) -> Result<Vec<IcountRecord>, IcountError> {
    // Build and check the answers once, at full speed; counted runs then only restart it.
    let normal =
        ServerConfig::for_cpus(options.server_cpus.clone()).with_database(options.database.clone());
    start_verified(catalog, name, &normal, Arc::clone(vectors))?
        .server
        .stop();
    let target = catalog.target(name).map_err(SessionError::from)?;
    let served: Vec<Workload> = workloads
        .iter()
        .filter(|w| target.serves(w.name()))
        .cloned()
        .collect();
    let workloads = served.as_slice();
    let mut by_workload: Vec<Vec<Repetition>> = vec![Vec::new(); workloads.len()];
    for repetition in 0..options.repetitions {
        let counted = count_once(catalog, vectors, target, workloads, options, repetition)?;
        for (all, one) in by_workload.iter_mut().zip(counted) {
            all.push(one);
        }
    }
    let commit = Commit::detect(catalog.root()).to_string();
    let recorded_at = rfc3339_utc(SystemTime::now());
    let settings = settings_label(
        &target.icount.env,
        &target.icount.args,
        &target.icount.uncounted_threads,
    );
    Ok(workloads
        .iter()
        .zip(by_workload)
        .map(|(workload, repetitions)| {
            let values: Vec<f64> = repetitions
                .iter()
                .map(|r| r.instructions_per_request)
                .collect();
            IcountRecord {
                schema_version: RECORD_SCHEMA,
                target: name.to_owned(),
                workload: workload.to_string(),
                instructions_per_request: median(&values).unwrap_or(f64::NAN),
                spread_pct: spread_pct(&values).unwrap_or(f64::NAN),
                repetitions,
                tool: format!("callgrind ({})", valgrind.version),
                settings: settings.clone(),
                git_commit: commit.clone(),
                time: recorded_at.clone(),
            }
        })
        .collect())
}

/// The catalog entry as the counted run starts it: under callgrind, with the entry's
/// determinism settings (arguments right after the program, extra environment).
fn counted_target(target: &Target, callgrind: &Callgrind) -> Target {
    let mut argv = target.start.clone();
    argv.splice(1..1, target.icount.args.iter().cloned());
    let mut counted = target.clone();
    counted.start = callgrind.wrap(&argv);
    counted.env.extend(
        target
            .icount
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    counted
}

/// One server process under callgrind serving every workload; one repetition per workload.
fn count_once(
    catalog: &Catalog,
    vectors: &[Vector],
    target: &Target,
    workloads: &[Workload],
    options: &IcountOptions,
    repetition: usize,
) -> Result<Vec<Repetition>, IcountError> {
    let host = Ipv4Addr::LOCALHOST;
    // Unique per server: base and head of one target may be counted at once from one process.
    static SESSIONS: AtomicU64 = AtomicU64::new(0);
    let dir = catalog
        .work_dir()
        .join("icount")
        .join("sessions")
        .join(format!(
            "{}-{}-{repetition}-{}",
            target.name,
            std::process::id(),
            SESSIONS.fetch_add(1, Ordering::Relaxed)
        ));
    let callgrind = Callgrind::new(dir, host)?;
    let config = ServerConfig {
        database: options.database.clone(),
        cpus: options.server_cpus.clone(),
        workers: 1,
        offload_threads: 1,
        host,
        ready_timeout: options.ready_timeout,
    };
    let mut server = RunningServer::start(catalog, &counted_target(target, &callgrind), &config)
        .map_err(|e| IcountError::Session(SessionError::from(e)))
        .map_err(|e| e.with_valgrind_log(&callgrind))?;
    let pids = callgrind.pids()?;
    if pids.is_empty() {
        return Err(IcountError::Tool {
            what: format!("`{}` under callgrind", target.name),
            why: format!(
                "vgdb lists no process in {}; {}",
                callgrind.dir().display(),
                callgrind.log_tail()
            ),
        });
    }
    let mut out = Vec::with_capacity(workloads.len());
    for workload in workloads {
        let counted = count_workload(&mut server, &callgrind, target, workload, vectors, options);
        // A server that died under Valgrind (the tool itself may have failed an assertion on
        // a runtime's signals) is explained by Valgrind's log, not by the server's.
        if let Err(died) = server.check_alive() {
            let err = counted
                .err()
                .unwrap_or(IcountError::Session(SessionError::from(died)));
            return Err(err.with_valgrind_log(&callgrind));
        }
        out.push(counted?);
    }
    server.stop();
    Ok(out)
}

/// How a warm-up went.
#[derive(Clone, Copy, Debug)]
struct WarmUp {
    requests: u64,
    last_cost_per_request: f64,
}

/// Warms up in chunks that double from a few requests, pricing each chunk on its own
/// (counters are read and zeroed after each), until the catalog's request count is reached,
/// the instruction budget is spent, or a large chunk (at least [`SETTLE_SHARE`] of the count)
/// costs the same per request as the one before (within [`SETTLED`]: JIT tiers and caches have
/// settled; smaller chunks can agree by chance between two JIT compilations).
fn warm_up(
    client: &mut Client,
    script: &mut Script,
    watched: &Watched<'_>,
    workload: &str,
    max_requests: u64,
    budget_instructions: u64,
) -> Result<WarmUp, IcountError> {
    let mut chunk = max_requests.clamp(1, PROBE_REQUESTS);
    let mut sent = 0u64;
    let mut spent = 0u64;
    let mut previous: Option<f64> = None;
    loop {
        send(client, script, chunk, Pacing::BackToBack, watched, workload)?;
        let counted = watched.live_total(true)?;
        let cost = counted as f64 / chunk as f64;
        sent += chunk;
        spent = spent.saturating_add(counted);
        let large = chunk as f64 >= SETTLE_SHARE * max_requests as f64;
        let settled = large && previous.is_some_and(|p| (cost - p).abs() <= SETTLED * p);
        if settled || sent >= max_requests || spent >= budget_instructions {
            return Ok(WarmUp {
                requests: sent,
                last_cost_per_request: cost,
            });
        }
        previous = Some(cost);
        let affordable = planned_requests(max_requests - sent, budget_instructions - spent, cost);
        chunk = (chunk * 2).min(affordable);
    }
}

fn count_workload(
    server: &mut RunningServer,
    callgrind: &Callgrind,
    target: &Target,
    workload: &Workload,
    vectors: &[Vector],
    options: &IcountOptions,
) -> Result<Repetition, IcountError> {
    let workload_name = workload.to_string();
    let request_error = |why: String| IcountError::Request {
        target: target.name.clone(),
        workload: workload_name.clone(),
        why,
    };
    let mut script = Script::new(workload.requests(server.addr(), vectors), SCRIPT_SEED);
    let mut client = Client::open(server.addr()).map_err(request_error)?;
    // A cluster's workers may appear late; ask again for every workload.
    let pids = callgrind.pids()?;
    let watched = Watched {
        target: &target.name,
        callgrind,
        pids: &pids,
    };
    let warmup_max = options
        .warmup_requests
        .or(target.icount.warmup_requests)
        .unwrap_or(DEFAULT_WARMUP_REQUESTS);
    let warmup_budget = target
        .icount
        .warmup_instructions
        .unwrap_or(DEFAULT_WARMUP_INSTRUCTIONS);
    let measured_max = options
        .measured_requests
        .or(target.icount.measured_requests)
        .unwrap_or(DEFAULT_MEASURED_REQUESTS);
    watched.start_counting()?;
    let warmup = warm_up(
        &mut client,
        &mut script,
        &watched,
        &workload_name,
        warmup_max,
        warmup_budget,
    )?;
    // Counting restarts from zero here: the last warm-up chunk zeroed the counters.
    // At least a few dozen requests: a runtime's collector runs every so many requests, and
    // a window of two either holds a collection or not.
    let measured_requests = planned_requests(
        measured_max,
        MEASURED_INSTRUCTIONS,
        warmup.last_cost_per_request,
    )
    .max(measured_max.clamp(1, MIN_MEASURED_REQUESTS));
    send(
        &mut client,
        &mut script,
        measured_requests,
        Pacing::IntoIdleServer,
        &watched,
        &workload_name,
    )?;
    watched.wait_idle()?;
    let mut counts = Vec::with_capacity(pids.len());
    for pid in &pids {
        let (status, total) = callgrind.status_and_dump(*pid)?;
        counts.push(PhaseCount {
            start: 0,
            end: total,
            uncounted: uncounted_threads_total(&status, &target.icount.uncounted_threads),
        });
    }
    let per = per_request(&counts, measured_requests).map_err(|source| IcountError::Count {
        target: target.name.clone(),
        workload: workload_name.clone(),
        source,
    })?;
    Ok(Repetition {
        warmup_requests: warmup.requests,
        measured_requests,
        instructions: counts.iter().map(|c| c.end - c.start - c.uncounted).sum(),
        instructions_per_request: per,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_counted_command_puts_runtime_flags_after_the_program_and_adds_the_environment() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let catalog = Catalog::load(&root).unwrap();
        let mut node = catalog.target("node").unwrap().clone();
        node.icount.args = vec!["--predictable".into()];
        node.icount.env.insert("STAMPEDE_TEST".into(), "1".into());
        let dir = std::env::temp_dir().join(format!("stampede-counted-{}", std::process::id()));
        let callgrind = Callgrind::new(dir, Ipv4Addr::LOCALHOST).unwrap();
        let counted = counted_target(&node, &callgrind);
        assert_eq!(counted.start[0], "valgrind");
        let program = counted.start.iter().position(|a| a == "node").unwrap();
        assert_eq!(counted.start[program + 1], "--predictable");
        assert!(counted.start[program + 2].ends_with("server.js"));
        assert_eq!(
            counted.env.get("STAMPEDE_TEST").map(String::as_str),
            Some("1")
        );
    }
}
