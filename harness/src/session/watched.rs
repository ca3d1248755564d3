//! One load run while the server is watched: its CPU and memory over the run, and, when asked,
//! a timeline whose server columns come from the same meters.

use std::time::{Duration, Instant};

use crate::cpus::CpuSet;
use crate::evidence::{ServerReading, Timeline};
use crate::load::{LoadClient, LoadError, LoadPlan, Sample};
use crate::metrics::{ResourceMonitor, ServerProbe, ServerUsage};

/// What a watched run gives.
#[derive(Debug)]
pub struct WatchedRun {
    pub sample: Result<Sample, LoadError>,
    pub usage: ServerUsage,
    /// Per interval of `timeline_every`, when asked and the run succeeded.
    pub timeline: Option<Timeline>,
}

/// Runs `plan` on `client` while watching the server behind `probe` (on `server_cores`
/// CPUs); the memory sampler runs on `sampler_cpus` (the client's), never on the server's.
pub fn run_watched(
    client: &mut LoadClient,
    plan: &LoadPlan,
    probe: &ServerProbe,
    sampler_cpus: &CpuSet,
    server_cores: usize,
    timeline_every: Option<Duration>,
) -> WatchedRun {
    let monitor = ResourceMonitor::start(probe, Some(sampler_cpus.clone()));
    // Only the CPU counter is read at each boundary; memory comes from the monitor's sampler
    // (a Node cluster's PSS takes milliseconds to read).
    let mut cpu_at = Vec::new();
    let run = match timeline_every {
        None => client.run(plan).map(|whole| (whole, Vec::new())),
        Some(every) => client
            .run_with_timeline(plan, every, &mut |_| {
                cpu_at.push((Instant::now(), probe.cpu_ns()));
            })
            .map(|timed| (timed.whole, timed.intervals)),
    };
    let (usage, memory) = monitor.finish_with_memory();
    let readings = ServerReading::at_boundaries(&cpu_at, &memory);
    let (sample, timeline) = match run {
        Ok((whole, intervals)) => {
            let timeline = timeline_every.map(|every| {
                let due = plan.due_per_interval(client.connections(), every);
                Timeline::of(every, &intervals, &readings, server_cores, due)
            });
            (Ok(whole), timeline)
        }
        Err(e) => (Err(e), None),
    };
    WatchedRun {
        sample,
        usage,
        timeline,
    }
}
