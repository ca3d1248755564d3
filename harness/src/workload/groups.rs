//! Benchmark groups: each `[[workloads.groups]]` entry resolved into the cases the bench
//! measures, one per benchmark ID `<group>/<target>/<case id>`. The bench runner iterates these
//! and nothing else, so a new group needs no bench code.

use std::time::Duration;

use serde::Deserialize;

use super::Workload;
use super::entries::GroupEntry;
use super::spec::WorkloadSpec;
use crate::benchmark_id::{self, BenchmarkId, BenchmarkIdError};
use crate::load::MOST_INTERVALS;

/// How Criterion samples a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampling {
    /// Criterion's linear sampling with the bench's sample size: for requests of microseconds.
    #[default]
    Light,
    /// Ten samples of equal size: for requests of milliseconds (CPU work, sleeping, probes),
    /// where linear sampling would need hundreds of slow requests per benchmark.
    Heavy,
}

/// One Criterion group: its cases run on every target.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchGroup {
    /// The group's name: the first part of its benchmark IDs, and a section of the summary.
    pub name: String,
    /// How Criterion samples it.
    pub sampling: Sampling,
    /// Its benchmarks, in run order.
    pub cases: Vec<BenchCase>,
    /// A soak group: minutes per benchmark, so the bench runs it only when its filter names
    /// the group (`cargo bench -- soak`).
    pub on_request: bool,
}

/// One benchmark of a group: what to send over how many connections, optionally while a
/// background load runs (the `mixed` probe).
#[derive(Clone, Debug, PartialEq)]
pub struct BenchCase {
    /// The last part of the benchmark ID, e.g. `c64` or `r19k`.
    pub id: String,
    /// What the measured connections send.
    pub workload: Workload,
    /// How many measured connections.
    pub connections: usize,
    /// Requests per write (HTTP/1.1 pipelining); 1 without.
    pub pipeline: usize,
    /// Load kept running during the measurement, unmeasured.
    pub background: Option<Background>,
    /// Open-loop tail runs after the measurement (none in quick mode).
    pub tail: Option<Tail>,
    /// A long open-loop run after the measurement, kept as a timeline (none in quick mode).
    pub soak: Option<Soak>,
}

/// An unmeasured load that runs while a case is measured, and the open-loop probe recorded
/// beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Background {
    /// What the background connections send.
    pub workload: Workload,
    /// How many background connections.
    pub connections: usize,
    /// Connections of the probe run whose percentiles are recorded.
    pub probe_connections: usize,
    /// Rate of that run, requests/s.
    pub probe_rate_per_sec: f64,
    /// Length of that run (none in quick mode, which skips it as it skips the tails).
    pub probe_seconds: f64,
}

/// The open-loop runs of one case: at fractions of the target's measured capacity, and at one
/// rate common to all targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Tail {
    /// Fractions of the capacity just measured.
    pub fractions: Vec<f64>,
    /// One rate every target should sustain, for comparisons across targets.
    pub common_rate_per_sec: f64,
}

/// A soak run: minutes at a fixed open-loop rate, a fraction of the target's capacity just
/// measured, so the load is the same at the first minute and the last; its timeline's verdicts
/// say whether memory grew, latency drifted or the server stalled.
#[derive(Clone, Debug, PartialEq)]
pub struct Soak {
    /// Of the capacity just measured.
    pub fraction: f64,
    pub length: Duration,
    /// The timeline's interval.
    pub every: Duration,
}

impl BenchGroup {
    /// `<group>/<target>/<case id>`; refused when `target`'s name holds a '/'.
    pub fn benchmark_id(
        &self,
        target: &str,
        case: &BenchCase,
    ) -> Result<BenchmarkId, BenchmarkIdError> {
        BenchmarkId::new(&self.name, target, &case.id)
    }

    /// Resolves `entry`, a group of workload `owner`, against the workloads of `spec`.
    pub(super) fn resolve(
        spec: &WorkloadSpec,
        owner: &str,
        entry: GroupEntry,
    ) -> Result<Self, String> {
        if entry.name.is_empty() || entry.name.contains(['/', ' ']) {
            return Err("a group name must be non-empty, without '/' or spaces".into());
        }
        let measured = spec
            .workload(entry.workload.as_deref().unwrap_or(owner))
            .map_err(|e| e.to_string())?;
        if entry.connections.is_empty() || entry.connections.contains(&0) {
            return Err("`connections` must list at least one count, each 1 or more".into());
        }
        if entry.pipeline == 0 {
            return Err("`pipeline` must be 1 (no pipelining) or more".into());
        }
        let params: Vec<Option<u32>> = match (&entry.params, measured.param()) {
            (None, default) => vec![default],
            (Some(_), None) => {
                return Err(format!(
                    "`params` given, but workload `{}` takes no parameter",
                    measured.name()
                ));
            }
            (Some(list), Some(_)) if list.is_empty() => {
                return Err("`params` must list at least one value".into());
            }
            (Some(list), Some(_)) => list.iter().copied().map(Some).collect(),
        };
        let backgrounds: Vec<Option<(String, Background)>> = match &entry.background {
            None => vec![None],
            Some(bg) => {
                if bg.loads.is_empty() || bg.connections == 0 || bg.probe.connections == 0 {
                    return Err("`background` needs loads and at least one connection for them and for the probe".into());
                }
                if !(positive(bg.probe.rate_per_sec) && positive(bg.probe.seconds)) {
                    return Err("the background probe needs a positive rate and length".into());
                }
                bg.loads
                    .iter()
                    .map(|load| {
                        let workload = spec.workload(&load.workload).map_err(|e| e.to_string())?;
                        Ok(Some((
                            load.id.clone(),
                            Background {
                                workload,
                                connections: bg.connections,
                                probe_connections: bg.probe.connections,
                                probe_rate_per_sec: bg.probe.rate_per_sec,
                                probe_seconds: bg.probe.seconds,
                            },
                        )))
                    })
                    .collect::<Result<_, String>>()?
            }
        };
        check_id_template(&entry.id, &entry, measured.param().is_some())?;
        let mut cases = Vec::new();
        for &param in &params {
            let workload = measured.with_param(param);
            for background in &backgrounds {
                for &connections in &entry.connections {
                    let id = benchmark_id::case_from_template(
                        &entry.id,
                        connections,
                        &workload.param_label().unwrap_or_default(),
                        background.as_ref().map_or("", |(id, _)| id.as_str()),
                    );
                    if !benchmark_id::is_valid_case(&id)
                        || cases.iter().any(|c: &BenchCase| c.id == id)
                    {
                        return Err(format!(
                            "id {:?} gives {id:?} twice, empty or with '/': name every swept value in it",
                            entry.id
                        ));
                    }
                    cases.push(BenchCase {
                        id,
                        workload: workload.clone(),
                        connections,
                        pipeline: entry.pipeline,
                        background: background.as_ref().map(|(_, bg)| bg.clone()),
                        tail: None,
                        soak: None,
                    });
                }
            }
        }
        for tail in &entry.tails {
            let case = cases
                .iter_mut()
                .find(|c| c.id == tail.id)
                .ok_or_else(|| format!("tail {:?} is not a case of this group", tail.id))?;
            if !positive(tail.common_rate_per_sec) {
                return Err(format!("tail {:?} needs a positive common rate", tail.id));
            }
            case.tail = Some(Tail {
                fractions: tail
                    .fractions
                    .clone()
                    .unwrap_or_else(|| spec.open_loop.fractions.clone()),
                common_rate_per_sec: tail.common_rate_per_sec,
            });
        }
        if let Some(soak) = &entry.soak {
            if !(positive(soak.fraction) && soak.fraction < 1.0) {
                return Err("`soak.fraction` must be above 0 and below 1 (of the capacity)".into());
            }
            if !positive(soak.minutes) || soak.timeline_ms == 0 {
                return Err("`soak` needs positive `minutes` and `timeline_ms`".into());
            }
            let length = Duration::try_from_secs_f64(soak.minutes * 60.0)
                .map_err(|e| format!("`soak.minutes` {}: {e}", soak.minutes))?;
            let every = Duration::from_millis(soak.timeline_ms);
            if length.as_millis() / every.as_millis() > MOST_INTERVALS as u128 {
                return Err(format!(
                    "`soak`: {} minutes at {} ms a row is over the {MOST_INTERVALS} rows a \
                     timeline holds; lengthen `timeline_ms`",
                    soak.minutes, soak.timeline_ms
                ));
            }
            let soak = Soak {
                fraction: soak.fraction,
                length,
                every,
            };
            for case in &mut cases {
                case.soak = Some(soak.clone());
            }
        }
        Ok(Self {
            name: entry.name,
            sampling: entry.sampling,
            on_request: entry.soak.is_some(),
            cases,
        })
    }
}

/// A rate or length that can be used: finite and above zero (NaN included in the refusal).
fn positive(value: f64) -> bool {
    value.is_finite() && value > 0.0
}

/// Every swept dimension must be named in the ID template, or two cases would share an ID;
/// only known placeholders may appear.
fn check_id_template(template: &str, entry: &GroupEntry, has_param: bool) -> Result<(), String> {
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            return Err(format!("id {template:?} has an unclosed '{{'"));
        };
        let name = &rest[start + 1..start + len];
        let allowed = match name {
            "connections" => true,
            "param" => has_param,
            "background" => entry.background.is_some(),
            _ => false,
        };
        if !allowed {
            return Err(format!(
                "id {template:?}: `{{{name}}}` is not one of {{connections}}, {{param}} (with a parameter), {{background}} (with a background)"
            ));
        }
        rest = &rest[start + len + 1..];
    }
    Ok(())
}
