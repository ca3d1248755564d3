//! A merged k6 import as a result record: the same constructor and flag rules as stampede's own
//! records, with k6's counts in the open-loop summary (dropped iterations as late sends) and
//! the server figures the script scraped.

use super::K6Error;
use super::import::{ImportOptions, Imported, ServerDescription};
use super::server::ServerFigures;
use crate::benchmark_id::BenchmarkId;
use crate::evidence::{
    self, Benchmark, ClientEvidence, Figures, LoadEngine, Machine, OpenLoopCounts, OpenLoopRun,
    ResultRecord, Run, SendLag, Setup,
};
use crate::load::LatencyStats;
use crate::workload::Workload;

/// The engine's name in records.
pub const ENGINE: &str = "k6";

impl Imported {
    /// The record of this import, flags set.
    pub fn record(
        &self,
        options: &ImportOptions,
        run: &Run,
        server: Option<&ServerDescription>,
    ) -> Result<ResultRecord, K6Error> {
        let workload: Option<Workload> = self.run.workload.parse().ok();
        let connections = self.run.connections.unwrap_or(0);
        let rate: Option<f64> = self.run.rate.as_deref().and_then(|r| r.parse().ok());
        let errors_by_kind = self.errors_by_kind();
        let errors: u64 = errors_by_kind.values().sum();
        let requests = self.load.http_reqs.saturating_sub(errors);
        let wall = self.wall_seconds();
        let requests_per_sec = if wall > 0.0 {
            requests as f64 / wall
        } else {
            0.0
        };
        let latency = LatencyStats::of(&self.load.durations);
        if let Some(url) = &options.metrics_url
            && (self.scrapes.is_empty() || &self.run.metrics_url != url)
        {
            return Err(K6Error::NoServerMetrics { url: url.clone() });
        }
        let figures = ServerFigures::from_scrapes(&self.scrapes, requests)
            .unwrap_or_else(ServerFigures::unmeasured);
        let family = workload
            .as_ref()
            .map_or_else(|| self.run.workload.clone(), |w| w.name().to_owned());
        let target = format!("{}@{ENGINE}x{}", options.target, self.instances());
        let label = workload.and_then(|w| w.param_label());
        let id = BenchmarkId::of_k6(&family, &target, label, connections, rate)?;
        let param = id.case().to_owned();
        let benchmark = Benchmark {
            id,
            workload: family,
            target,
            param,
            language: server.map_or_else(|| "unknown".into(), |s| s.language.clone()),
            framework: server.map_or_else(|| "unknown".into(), |s| s.framework.clone()),
            toolchain: "unknown (server not built here)".into(),
        };
        let figures_of_load = Figures {
            database: None,
            timeline: None,
            requests,
            occupancy: evidence::occupancy(
                rate,
                requests,
                requests_per_sec,
                latency.mean,
                connections,
            ),
            requests_per_sec,
            latency_us: latency,
            server: figures.evidence,
            client: ClientEvidence {
                cpu_busy: 0.0,
                cpu_us_per_request: None,
                threads: 0,
                io: None,
            },
            open_loop: rate
                .map(|rate| self.open_loop_run(rate, requests, errors, requests_per_sec))
                .into_iter()
                .collect(),
            checked_answers: self.load.checks.get("answer").map_or(0, |c| c.0 + c.1),
            wrong_answer_example: self.wrong_answer_example.clone(),
            warm_up: None,
            fairness: None,
            errors_by_kind,
        };
        let setup = Setup {
            server_cpus: "remote".into(),
            client_cpus: format!("{ENGINE} x{}", self.instances()),
            workers: None,
            offload_threads: 0,
            connections,
            rate_per_sec: rate,
            pipeline: 1,
            body_seed: self.run.seed,
        };
        let engine = LoadEngine {
            name: ENGINE.into(),
            instances: self.instances(),
            http_reqs: self.load.http_reqs,
            failed_requests: self.failed_requests(),
            failed_checks: self.load.checks.values().map(|c| c.1).sum(),
            dropped_iterations: self.load.dropped_iterations,
            server_metrics: figures
                .measured
                .then(|| self.run.metrics_url.clone())
                .filter(|u| !u.is_empty()),
            peak_threads: figures.peak_threads,
            peak_open_fds: figures.peak_open_fds,
        };
        let machine = self.machine(run, figures.evidence.cores);
        Ok(ResultRecord::new(
            benchmark,
            run,
            figures_of_load,
            setup,
            machine,
            Some(engine),
        ))
    }

    /// A server on loopback ran on the importing machine; any other is described as remote.
    fn machine(&self, run: &Run, server_cores: usize) -> Machine {
        let authority = self
            .run
            .url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("");
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.split(':').next().unwrap_or(""),
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            return run.machine.clone();
        }
        Machine {
            cpu_model: format!("remote server {host}"),
            cores: server_cores,
            kernel: "unknown".into(),
        }
    }

    /// k6's constant-arrival-rate run: an iteration k6 could not start on time is a late send,
    /// and, as the server's delay held it back, a held-back one.
    fn open_loop_run(&self, rate: f64, requests: u64, errors: u64, achieved: f64) -> OpenLoopRun {
        let send_lag = SendLag {
            p50_us: 0,
            p99_us: 0,
            late_sends: self.load.dropped_iterations,
            backlogged_sends: 0,
            sends: self.load.iterations + self.load.dropped_iterations,
        };
        evidence::open_loop_summary(
            &format!("{ENGINE} constant-arrival-rate"),
            None,
            rate,
            OpenLoopCounts {
                latency_us: &self.load.durations,
                requests,
                errors,
                achieved_per_sec: achieved,
                send_lag,
                held_back_sends: self.load.dropped_iterations,
            },
        )
    }
}
