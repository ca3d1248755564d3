//! Duet rounds: base and head run at the same time on the same server CPU set, loaded by equal
//! closed-loop clients, so whatever else the machine does hits both (Bulej et al., "Duet
//! Benchmarking", arXiv 2001.05811). Each round restarts both servers, alternating which starts
//! and which is loaded first, and records head/base ratios.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::decide::{Better, Decision, Verdict, decide};
use crate::catalog::Catalog;
use crate::cpus::CpuSet;
use crate::evidence::INVALID_ERROR_RATIO;
use crate::load::{LoadClient, RunPlan, Sample};
use crate::metrics::TreeMeter;
use crate::process::{RunningServer, ServerConfig};
use crate::session::{SessionError, start_verified};
use crate::vectors::Vector;
use crate::workload::Workload;

/// One version of the workspace.
#[derive(Clone, Debug)]
pub struct Side {
    /// "base" or "head".
    pub label: &'static str,
    /// Its catalog (rooted at its checkout).
    pub catalog: Catalog,
    /// Its spec vectors.
    pub vectors: Arc<Vec<Vector>>,
}

/// How to compare.
#[derive(Clone, Debug)]
pub struct DuetOptions {
    /// Rounds per target x workload.
    pub rounds: usize,
    /// Load time per round.
    pub round_duration: Duration,
    /// Connections per side.
    pub connections: usize,
    /// Relative change that matters, e.g. 0.05.
    pub threshold: f64,
    /// CPUs both servers share.
    pub server_cpus: CpuSet,
    /// CPUs both clients share.
    pub client_cpus: CpuSet,
}

/// What one round measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RoundFigures {
    /// Base requests/s.
    pub base_rps: f64,
    /// Head requests/s.
    pub head_rps: f64,
    /// Base server CPU us per request.
    pub base_cpu_us: f64,
    /// Head server CPU us per request.
    pub head_cpu_us: f64,
    /// Errors on either side.
    pub errors: u64,
    /// Error share of attempts, the larger of the two sides.
    pub error_ratio: f64,
}

/// The comparison of one target x workload.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Target name.
    pub target: String,
    /// Workload name.
    pub workload: String,
    /// Every round.
    pub rounds: Vec<RoundFigures>,
    /// Requests/s, head over base (higher is better).
    pub throughput: Decision,
    /// Server CPU us per request, head over base (lower is better).
    pub cpu_per_request: Decision,
    /// The combined verdict.
    pub verdict: Verdict,
    /// Why the verdict is inconclusive, when a reason other than noise applies.
    pub note: Option<String>,
    /// Wall time of the comparison.
    pub elapsed_s: f64,
}

impl Comparison {
    /// Median base requests/s over the rounds.
    pub fn base_rps(&self) -> f64 {
        super::decide::median(&self.rounds.iter().map(|r| r.base_rps).collect::<Vec<_>>())
            .unwrap_or(0.0)
    }

    /// Median head requests/s over the rounds.
    pub fn head_rps(&self) -> f64 {
        super::decide::median(&self.rounds.iter().map(|r| r.head_rps).collect::<Vec<_>>())
            .unwrap_or(0.0)
    }
}

/// Regressed if either metric regressed; improved if either improved and none regressed;
/// unchanged only if both are.
pub fn combine(a: Verdict, b: Verdict) -> Verdict {
    use Verdict::{Improved, Inconclusive, Regressed, Unchanged};
    match (a, b) {
        (Regressed, _) | (_, Regressed) => Regressed,
        (Improved, _) | (_, Improved) => Improved,
        (Unchanged, Unchanged) => Unchanged,
        _ => Inconclusive,
    }
}

/// Compares `target` under `workload` between `base` and `head`.
pub fn compare_target(
    base: &Side,
    head: &Side,
    target: &str,
    workload: Workload,
    options: &DuetOptions,
) -> Result<Comparison, SessionError> {
    let started = Instant::now();
    let config = ServerConfig::for_cpus(options.server_cpus.clone());
    // Build and verify each side once; rounds then only restart.
    for side in [base, head] {
        start_verified(&side.catalog, target, &config, Arc::clone(&side.vectors))?
            .server
            .stop();
    }
    let mut rounds = Vec::with_capacity(options.rounds);
    for round in 0..options.rounds {
        let head_first = round % 2 == 1;
        rounds.push(one_round(
            base, head, target, workload, options, &config, head_first,
        )?);
    }
    let ratios = |f: fn(&RoundFigures) -> f64| rounds.iter().map(f).collect::<Vec<_>>();
    let throughput = decide(
        &ratios(|r| r.head_rps / r.base_rps),
        options.threshold,
        Better::Higher,
    );
    let cpu_per_request = decide(
        &ratios(|r| r.head_cpu_us / r.base_cpu_us),
        options.threshold,
        Better::Lower,
    );
    let worst_errors = rounds.iter().map(|r| r.error_ratio).fold(0.0, f64::max);
    let (verdict, note) = if worst_errors > INVALID_ERROR_RATIO {
        (
            Verdict::Inconclusive,
            Some(format!(
                "errors on up to {:.2}% of requests in a round",
                worst_errors * 100.0
            )),
        )
    } else {
        (combine(throughput.verdict, cpu_per_request.verdict), None)
    };
    Ok(Comparison {
        target: target.to_owned(),
        workload: workload.to_string(),
        rounds,
        throughput,
        cpu_per_request,
        verdict,
        note,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

fn one_round(
    base: &Side,
    head: &Side,
    target: &str,
    workload: Workload,
    options: &DuetOptions,
    config: &ServerConfig,
    head_first: bool,
) -> Result<RoundFigures, SessionError> {
    let order: [&Side; 2] = if head_first {
        [head, base]
    } else {
        [base, head]
    };
    let mut servers = Vec::with_capacity(2);
    for side in order {
        let entry = side.catalog.target(target)?;
        servers.push(RunningServer::start(&side.catalog, entry, config)?);
    }
    let mut clients = Vec::with_capacity(2);
    for (side, server) in order.iter().zip(&servers) {
        let mix = workload.requests(server.addr(), &side.vectors);
        let client = LoadClient::connect(
            server.addr(),
            options.connections,
            &options.client_cpus,
            mix,
        )
        .map_err(|source| SessionError::Load {
            target: target.to_owned(),
            source,
        })?;
        clients.push(client);
    }
    let plan = RunPlan::duration(options.round_duration);
    let mut meters: Vec<TreeMeter> = servers.iter().map(|s| TreeMeter::new(&s.probe())).collect();
    let outcomes: Vec<Result<Sample, crate::load::LoadError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = clients
            .iter_mut()
            .zip(meters.iter_mut())
            .map(|(client, meter)| scope.spawn(move || meter.around(|| client.run(&plan))))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(crate::load::LoadError::Client(
                        "load thread panicked".into(),
                    ))
                })
            })
            .collect()
    });
    for server in &mut servers {
        server.check_alive()?;
    }
    drop(clients);
    let mut figures = Vec::with_capacity(2);
    for (outcome, meter) in outcomes.into_iter().zip(&meters) {
        let sample = outcome.map_err(|source| SessionError::Load {
            target: target.to_owned(),
            source,
        })?;
        let cpu_us = meter.usage().cpu_seconds * 1e6 / sample.requests.max(1) as f64;
        figures.push((
            sample.requests_per_sec(),
            cpu_us,
            sample.errors(),
            sample.error_ratio(),
        ));
    }
    for server in servers {
        server.stop();
    }
    let (b, h) = if head_first {
        (figures[1], figures[0])
    } else {
        (figures[0], figures[1])
    };
    Ok(RoundFigures {
        base_rps: b.0,
        head_rps: h.0,
        base_cpu_us: b.1,
        head_cpu_us: h.1,
        errors: b.2 + h.2,
        error_ratio: b.3.max(h.3),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_regression_wins_and_unchanged_needs_both() {
        use Verdict::*;
        assert_eq!(combine(Regressed, Improved), Regressed);
        assert_eq!(combine(Unchanged, Regressed), Regressed);
        assert_eq!(combine(Improved, Unchanged), Improved);
        assert_eq!(combine(Unchanged, Unchanged), Unchanged);
        assert_eq!(combine(Unchanged, Inconclusive), Inconclusive);
    }
}
