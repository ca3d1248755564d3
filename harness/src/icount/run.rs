//! Counting one target: verify it as usual, then k fresh server processes under callgrind, each
//! serving every workload in turn (warm-up, then the measured phase between zeroed and dumped
//! counters).

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::SystemTime;

use super::counters::{PhaseCount, per_request};
use super::phase::{Client, Pacing, Watched, planned_requests, send};
use super::record::{IcountRecord, RECORD_SCHEMA, Repetition};
use super::script::{SCRIPT_SEED, Script};
use super::spread::{median, spread_pct};
use super::valgrind::{Callgrind, Valgrind, settings_label};
use super::{IcountError, IcountOptions};
use crate::catalog::{Catalog, Target};
use crate::process::{RunningServer, ServerConfig};
use crate::results::{git_commit, rfc3339_utc};
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
/// Script cycles of the warm-up's first part, which prices a request.
const PROBE_CYCLES: u64 = 10;

/// Counts `name` under every workload, `options.repetitions` times; one record per workload.
pub fn count_target(
    catalog: &Catalog,
    vectors: &Arc<Vec<Vector>>,
    name: &str,
    workloads: &[Workload],
    valgrind: &Valgrind,
    options: &IcountOptions,
) -> Result<Vec<IcountRecord>, IcountError> {
    // Build and check the answers once, at full speed; counted runs then only restart it.
    let normal = ServerConfig::for_cpus(options.server_cpus.clone());
    start_verified(catalog, name, &normal, Arc::clone(vectors))?
        .server
        .stop();
    let target = catalog.target(name).map_err(SessionError::from)?;
    let mut by_workload: Vec<Vec<Repetition>> = vec![Vec::new(); workloads.len()];
    for repetition in 0..options.repetitions {
        let counted = count_once(catalog, vectors, target, workloads, options, repetition)?;
        for (all, one) in by_workload.iter_mut().zip(counted) {
            all.push(one);
        }
    }
    let commit = git_commit(catalog.root());
    let recorded_at = rfc3339_utc(SystemTime::now());
    let settings = settings_label(&target.icount.env, &target.icount.args);
    Ok(workloads
        .iter()
        .zip(by_workload)
        .map(|(workload, repetitions)| {
            let values: Vec<f64> = repetitions
                .iter()
                .map(|r| r.instructions_per_request)
                .collect();
            IcountRecord {
                schema: RECORD_SCHEMA,
                target: name.to_owned(),
                workload: workload.to_string(),
                instructions_per_request: median(&values).unwrap_or(f64::NAN),
                spread_pct: spread_pct(&values).unwrap_or(f64::NAN),
                repetitions,
                tool: format!("callgrind ({})", valgrind.version),
                settings: settings.clone(),
                commit: commit.clone(),
                recorded_at: recorded_at.clone(),
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
    let dir = catalog
        .work_dir()
        .join("icount")
        .join("sessions")
        .join(format!(
            "{}-{}-{repetition}",
            target.name,
            std::process::id()
        ));
    let callgrind = Callgrind::new(dir, host)?;
    let config = ServerConfig {
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
        let repetition =
            count_workload(&mut server, &callgrind, target, *workload, vectors, options)?;
        server
            .check_alive()
            .map_err(|e| IcountError::Session(SessionError::from(e)))?;
        out.push(repetition);
    }
    server.stop();
    Ok(out)
}

fn count_workload(
    server: &mut RunningServer,
    callgrind: &Callgrind,
    target: &Target,
    workload: Workload,
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
    let cycle = script.cycle_len();
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
    let send_some = |client: &mut Client, script: &mut Script, count: u64, pacing: Pacing| {
        send(client, script, count, pacing, &watched, &workload_name)
    };
    watched.start_counting()?;
    // Warm-up: a probe of a few cycles prices a (cold) request, which caps the rest.
    let probe = planned_requests(
        warmup_max.min(PROBE_CYCLES * cycle as u64),
        u64::MAX,
        0.0,
        cycle,
    );
    send_some(&mut client, &mut script, probe, Pacing::BackToBack)?;
    let cold_cost = watched.live_total(false)? as f64 / probe as f64;
    let warmup_requests = planned_requests(warmup_max, warmup_budget, cold_cost, cycle).max(probe);
    send_some(
        &mut client,
        &mut script,
        warmup_requests - probe,
        Pacing::BackToBack,
    )?;
    // The warm-up's average prices the measured requests; counting restarts from zero here.
    let warm_cost = watched.live_total(true)? as f64 / warmup_requests as f64;
    let measured_requests = planned_requests(measured_max, MEASURED_INSTRUCTIONS, warm_cost, cycle);
    send_some(
        &mut client,
        &mut script,
        measured_requests,
        Pacing::IntoIdleServer,
    )?;
    watched.wait_idle()?;
    let mut counts = Vec::with_capacity(pids.len());
    for pid in &pids {
        counts.push(PhaseCount {
            start: 0,
            end: callgrind.dump_total(*pid)?,
        });
    }
    let per = per_request(&counts, measured_requests).map_err(|source| IcountError::Count {
        target: target.name.clone(),
        workload: workload_name.clone(),
        source,
    })?;
    Ok(Repetition {
        warmup_requests,
        measured_requests,
        instructions: counts.iter().map(|c| c.end - c.start).sum(),
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
