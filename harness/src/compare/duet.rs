//! Duet rounds: base and head (and with a null control, a second copy of base) run at the same
//! time on the same server CPU set, loaded by equal clients that share the client CPU set (closed
//! loop, its rate set by the servers or by busy clients, or one open-loop rate: `pace`), so
//! whatever else the machine does hits every side alike (Bulej et al., "Duet Benchmarking", arXiv 2001.05811). Each round restarts the
//! servers in ABBA order and records what each side served, the CPU it got, and how busy the
//! clients were.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::pace::{Pace, Paced, after_calibration};
use crate::catalog::{Catalog, Target};
use crate::cpus::CpuSet;
use crate::load::{LoadClient, LoadError, LoadPlan, Sample};
use crate::metrics::TreeMeter;
use crate::process::{RunningServer, ServerConfig};
use crate::session::{SessionError, start_verified};
use crate::steady::{self, SteadyRule, WarmUp};
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

/// How each round runs.
#[derive(Clone, Debug)]
pub struct RoundSetup {
    /// Load time per round.
    pub duration: Duration,
    /// Connections per side.
    pub connections: usize,
    /// CPUs every server shares.
    pub server_cpus: CpuSet,
    /// CPUs every client shares.
    pub client_cpus: CpuSet,
    /// Also run a second base server: the null control.
    pub null_control: bool,
    /// The run's PostgreSQL, for a database workload: every server is given it.
    pub database: Option<crate::database::DatabaseLink>,
    /// Closed loop, paced, or decided by a calibration round.
    pub pace: Pace,
}

/// What one side did in one round.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SideFigures {
    /// Successful requests per second.
    pub rps: f64,
    /// Server CPU microseconds per request (whole process tree).
    pub cpu_us_per_request: f64,
    /// Server CPU time / (wall time x server cores): the share of the server set it got.
    pub cpu_busy: f64,
    /// Failed requests.
    pub errors: u64,
    /// Failed / attempted.
    pub error_ratio: f64,
    /// The load before this side's measured run: until steady, at most the round's duration.
    pub warm_up: Option<WarmUp>,
}

/// What one round measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RoundFigures {
    /// Whether head started (and was connected) before base this round.
    pub head_first: bool,
    /// The base server.
    pub base: SideFigures,
    /// The head server.
    pub head: SideFigures,
    /// The second base server, with a null control.
    pub control: Option<SideFigures>,
    /// All clients' CPU time / (wall time x client cores): near 1, the clients limited the run.
    pub client_cpu_busy: f64,
    /// Who set the rate when the servers did not (the clients, or `--pace RATE`): req/s is then
    /// not the servers' and CPU per request decides alone.
    pub paced: Option<Paced>,
}

impl RoundFigures {
    /// Head/base ratio of requests/s.
    pub fn throughput_ratio(&self) -> f64 {
        self.head.rps / self.base.rps
    }

    /// Head/base ratio of CPU per request.
    pub fn cpu_ratio(&self) -> f64 {
        self.head.cpu_us_per_request / self.base.cpu_us_per_request
    }

    /// Control/base ratio of requests/s (base against itself).
    pub fn null_throughput_ratio(&self) -> Option<f64> {
        self.control.map(|c| c.rps / self.base.rps)
    }

    /// Control/base ratio of CPU per request.
    pub fn null_cpu_ratio(&self) -> Option<f64> {
        self.control
            .map(|c| c.cpu_us_per_request / self.base.cpu_us_per_request)
    }

    /// Every side that ran.
    pub fn sides(&self) -> impl Iterator<Item = &SideFigures> {
        [&self.base, &self.head]
            .into_iter()
            .chain(self.control.as_ref())
    }
}

/// `entry` started from a private copy of its executable when that is a file built under the
/// catalog's root, so no two sides share code pages: otherwise base and the null control (or
/// base and head in an A/A run) would share the page cache's copy of one binary and its cache
/// lines while head ran alone, which cost head 3-4% CPU per request here. An executable found
/// on PATH (node) is shared by every side alike and stays as it is; a copy that cannot be made
/// leaves the entry as it is too.
fn private_copy(catalog: &Catalog, entry: &Target, label: &str) -> Target {
    let mut entry = entry.clone();
    let Some(first) = entry.start.first() else {
        return entry;
    };
    let path = std::path::PathBuf::from(catalog.expand(first));
    if !(path.is_absolute() && path.is_file() && path.starts_with(catalog.root())) {
        return entry;
    }
    let Some(name) = path.file_name() else {
        return entry;
    };
    let copy = path.with_file_name(format!("{}-compare-{label}", name.to_string_lossy()));
    // Written afresh each run: the build may have replaced the original.
    let _ = std::fs::remove_file(&copy);
    if std::fs::copy(&path, &copy).is_ok() {
        entry.start[0] = copy.to_string_lossy().into_owned();
    }
    entry
}

/// ABBA: rounds 0 and 3 of every four start base first, rounds 1 and 2 head first, so a start
/// order effect and a linear drift both cancel over each block.
pub fn head_first(round: usize) -> bool {
    matches!(round % 4, 1 | 2)
}

/// One target x workload, ready for rounds.
#[derive(Debug)]
pub struct Duet<'a> {
    base: &'a Side,
    head: &'a Side,
    target: String,
    workload: Workload,
    setup: RoundSetup,
    config: ServerConfig,
    head_entry: Target,
    control_entry: Option<Target>,
    paced: Option<Paced>,
}

impl<'a> Duet<'a> {
    /// Builds and verifies `target` on both sides once; rounds then only restart servers. With
    /// `Pace::Auto`, one closed-loop round (not counted) decides who sets the rounds' rate.
    pub fn prepare(
        base: &'a Side,
        head: &'a Side,
        target: &str,
        workload: Workload,
        setup: &RoundSetup,
    ) -> Result<Self, SessionError> {
        let config =
            ServerConfig::for_cpus(setup.server_cpus.clone()).with_database(setup.database.clone());
        for side in [base, head] {
            start_verified(&side.catalog, target, &config, Arc::clone(&side.vectors))?
                .server
                .stop();
        }
        let head_entry = private_copy(&head.catalog, head.catalog.target(target)?, "head");
        let control_entry = setup
            .null_control
            .then(|| {
                base.catalog
                    .target(target)
                    .map(|e| private_copy(&base.catalog, e, "control"))
            })
            .transpose()?;
        let mut duet = Self {
            base,
            head,
            target: target.to_owned(),
            workload,
            setup: setup.clone(),
            config,
            head_entry,
            control_entry,
            paced: None,
        };
        duet.paced = match setup.pace {
            Pace::Closed => None,
            Pace::Rate(rate_per_sec) => Some(Paced::Rate { rate_per_sec }),
            // Not counted: it only says who sets the rate.
            Pace::Auto => after_calibration(&duet.round(0)?),
        };
        Ok(duet)
    }

    /// Whether something other than the servers sets the rounds' rate, and what.
    pub fn paced(&self) -> Option<Paced> {
        self.paced
    }

    /// Runs round number `round` (its number sets the start order).
    pub fn round(&self, round: usize) -> Result<RoundFigures, SessionError> {
        let head_first = head_first(round);
        // The control stands where head would: last when base goes first and vice versa,
        // so base/head and base/control see the same order effects.
        let mut order: Vec<&Side> = if head_first {
            vec![self.head, self.base]
        } else {
            vec![self.base, self.head]
        };
        if self.setup.null_control {
            if head_first {
                order.insert(0, self.base);
            } else {
                order.push(self.base);
            }
        }
        let base_entry = self.base.catalog.target(&self.target)?;
        let mut servers = Vec::with_capacity(order.len());
        for (i, side) in order.iter().enumerate() {
            // In start order: base is at either end, head in the middle (or second of two).
            let is_control = order.len() == 3 && i == if head_first { 0 } else { 2 };
            let entry = if std::ptr::eq(*side, self.head) && !is_control {
                &self.head_entry
            } else if is_control {
                self.control_entry.as_ref().unwrap_or(base_entry)
            } else {
                base_entry
            };
            servers.push(RunningServer::start(&side.catalog, entry, &self.config)?);
        }
        let load_error = |cause| SessionError::Load {
            target: self.target.clone(),
            cause,
        };
        let mut clients = Vec::with_capacity(order.len());
        for (side, server) in order.iter().zip(&servers) {
            let mix = self.workload.requests(server.addr(), &side.vectors);
            let client = LoadClient::connect(
                server.addr(),
                self.setup.connections,
                &self.setup.client_cpus,
                mix,
            )
            .map_err(load_error)?;
            clients.push(client);
        }
        let plan = match self.paced.and_then(|p| p.rate_per_sec()) {
            Some(rate) => LoadPlan::duration(self.setup.duration).with_rate(rate),
            None => LoadPlan::duration(self.setup.duration),
        };
        let rule = SteadyRule::at_most(self.setup.duration);
        let mut meters: Vec<TreeMeter> =
            servers.iter().map(|s| TreeMeter::new(&s.probe())).collect();
        // Every side warms up to steady state at the same time, then all measure together: a
        // freshly started server's first requests (JIT, pools, a cluster handing over
        // connections) are no part of either side's figures.
        let warmed = std::sync::Barrier::new(clients.len());
        let outcomes: Vec<Result<(WarmUp, Sample), LoadError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = clients
                .iter_mut()
                .zip(meters.iter_mut())
                .map(|(client, meter)| {
                    let warmed = &warmed;
                    scope.spawn(move || {
                        let warm_up = steady::warm_up(client, &plan, rule);
                        warmed.wait();
                        let warm_up = warm_up?;
                        meter.around(|| client.run(&plan)).map(|s| (warm_up, s))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(LoadError::Client("load thread panicked".into())))
                })
                .collect()
        });
        for server in &mut servers {
            server.check_alive()?;
        }
        drop(clients);
        // Stopped side by side: each may wait for its own shutdown, and rounds are many.
        std::thread::scope(|scope| {
            for server in servers {
                scope.spawn(move || server.stop());
            }
        });
        let server_cores = self.setup.server_cpus.len().max(1);
        let client_cores = self.setup.client_cpus.len().max(1);
        let (mut client_cpu_s, mut wall_s) = (0.0, 0.0f64);
        let mut figures = Vec::with_capacity(order.len());
        for (outcome, meter) in outcomes.into_iter().zip(&meters) {
            let (warm_up, sample) = outcome.map_err(load_error)?;
            let usage = meter.usage();
            client_cpu_s += sample.client_cpu.as_secs_f64();
            wall_s = wall_s.max(sample.elapsed.as_secs_f64());
            figures.push(SideFigures {
                rps: sample.requests_per_sec(),
                cpu_us_per_request: usage.cpu_seconds * 1e6 / sample.requests.max(1) as f64,
                cpu_busy: usage.cpu_busy(server_cores),
                errors: sample.errors(),
                error_ratio: sample.error_ratio(),
                warm_up: Some(warm_up),
            });
        }
        // Back from start order to base, head, control.
        let (base, head, control) = match (head_first, figures.as_slice()) {
            (false, [b, h]) => (*b, *h, None),
            (true, [h, b]) => (*b, *h, None),
            (false, [b, h, c]) => (*b, *h, Some(*c)),
            (true, [c, h, b]) => (*b, *h, Some(*c)),
            _ => {
                return Err(load_error(LoadError::Client(
                    "a duet round lost track of its sides".into(),
                )));
            }
        };
        Ok(RoundFigures {
            head_first,
            base,
            head,
            control,
            client_cpu_busy: crate::metrics::cpu_busy(client_cpu_s, wall_s, client_cores),
            paced: self.paced,
        })
    }

    /// The target's name.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The workload.
    pub fn workload(&self) -> Workload {
        self.workload.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fixtures::shell_target;

    fn catalog_starting(dir: &std::path::Path, start: &str) -> Catalog {
        let start = format!(r#"["{start}", "--flag"]"#);
        Catalog::parse(dir, &shell_target("t", &start, "")).unwrap()
    }

    #[test]
    fn head_and_control_run_from_their_own_copy_of_a_built_executable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server"), "#!/bin/sh\n").unwrap();
        let catalog = catalog_starting(dir.path(), "{root}/server");
        let entry = catalog.target("t").unwrap();
        let copy = private_copy(&catalog, entry, "control");
        let copied = std::path::PathBuf::from(&copy.start[0]);
        assert_eq!(copied, dir.path().join("server-compare-control"));
        assert_eq!(std::fs::read(&copied).unwrap(), b"#!/bin/sh\n");
        assert_eq!(copy.start[1], "--flag");
        // The original entry is untouched: base keeps running the original file.
        assert_eq!(entry.start[0], "{root}/server");
    }

    #[test]
    fn an_executable_from_path_is_shared_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = catalog_starting(dir.path(), "node");
        let entry = catalog.target("t").unwrap();
        assert_eq!(private_copy(&catalog, entry, "head").start[0], "node");
    }

    #[test]
    fn rounds_follow_abba_so_each_block_of_four_is_balanced() {
        let order: Vec<bool> = (0..8).map(head_first).collect();
        assert_eq!(order, [false, true, true, false, false, true, true, false]);
    }

    #[test]
    fn ratios_are_head_over_base_and_control_over_base() {
        let side = |rps, cpu| SideFigures {
            rps,
            cpu_us_per_request: cpu,
            cpu_busy: 0.33,
            errors: 0,
            error_ratio: 0.0,
            warm_up: None,
        };
        let round = RoundFigures {
            head_first: false,
            base: side(1000.0, 10.0),
            head: side(900.0, 11.0),
            control: Some(side(1010.0, 9.9)),
            client_cpu_busy: 0.5,
            paced: None,
        };
        assert!((round.throughput_ratio() - 0.9).abs() < 1e-12);
        assert!((round.cpu_ratio() - 1.1).abs() < 1e-12);
        assert_eq!(round.null_throughput_ratio(), Some(1.01));
        assert_eq!(round.sides().count(), 3);
    }
}
