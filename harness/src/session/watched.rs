//! One load run while the server is watched: its CPU and memory over the run, and, when asked,
//! a timeline whose server columns come from the same meters.

use std::time::{Duration, Instant};

use crate::cpus::CpuSet;
use crate::evidence::{ServerReading, Timeline};
use crate::load::{Boundary, LoadClient, LoadError, LoadPlan, Sample};
use crate::metrics::{ResourceMonitor, ServerProbe, ServerUsage, cpu_busy};

/// What a watched run gives.
#[derive(Debug)]
pub struct WatchedRun {
    pub sample: Result<Sample, LoadError>,
    pub usage: ServerUsage,
    /// Per interval of `timeline_every`, when asked and the run succeeded.
    pub timeline: Option<Timeline>,
}

/// A timeline asked of a watched run: its interval, and where to show a short line as each
/// interval ends (what finished per second, what failed, the server's CPU), before the rows
/// with their percentiles exist.
pub struct TimelineAsk<'a> {
    pub every: Duration,
    pub live: Option<&'a mut dyn FnMut(&str)>,
}

impl std::fmt::Debug for TimelineAsk<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimelineAsk")
            .field("every", &self.every)
            .field("live", &self.live.is_some())
            .finish()
    }
}

/// Runs `plan` on `client` while watching the server behind `probe` (on `server_cores`
/// CPUs); the memory sampler runs on `sampler_cpus` (the client's), never on the server's.
pub fn run_watched(
    client: &mut LoadClient,
    plan: &LoadPlan,
    probe: &ServerProbe,
    sampler_cpus: &CpuSet,
    server_cores: usize,
    timeline: Option<TimelineAsk<'_>>,
) -> WatchedRun {
    let monitor = ResourceMonitor::start(probe, Some(sampler_cpus.clone()));
    let every = timeline.as_ref().map(|ask| ask.every);
    // Only the CPU counter is read at each boundary; memory comes from the monitor's sampler
    // (a Node cluster's PSS takes milliseconds to read).
    let mut passed: Vec<(Boundary, u64)> = Vec::new();
    let run = match timeline {
        None => client.run(plan).map(|whole| (whole, Vec::new())),
        Some(TimelineAsk { every, mut live }) => client
            .run_with_timeline(plan, every, &mut |boundary| {
                passed.push((*boundary, probe.cpu_ns()));
                if let (Some(show), [.., before, now]) = (live.as_mut(), passed.as_slice()) {
                    let cpu = cpu_busy(
                        now.1.saturating_sub(before.1) as f64 / 1e9,
                        now.0
                            .at
                            .saturating_duration_since(before.0.at)
                            .as_secs_f64(),
                        server_cores,
                    );
                    show(&progress_line(&before.0, &now.0, passed[0].0.at, Some(cpu)));
                }
            })
            .map(|timed| (timed.whole, timed.intervals)),
    };
    let (usage, memory) = monitor.finish_with_memory();
    let cpu_at: Vec<(Instant, u64)> = passed.iter().map(|(b, cpu)| (b.at, *cpu)).collect();
    let readings = ServerReading::at_boundaries(&cpu_at, &memory);
    let (sample, timeline) = match run {
        Ok((whole, intervals)) => {
            let timeline = every.map(|every| {
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

/// The line shown as an interval ends, stamped with its start as the rows are: attempts
/// finished and failed from the client's counters, and the server's CPU busy when it is
/// watched; the percentiles come with the rows after the run.
pub fn progress_line(
    before: &Boundary,
    now: &Boundary,
    started: Instant,
    server_cpu_busy: Option<f64>,
) -> String {
    let seconds = now.at.saturating_duration_since(before.at).as_secs_f64();
    let finished = now.finished.saturating_sub(before.finished);
    let failed = now.failed.saturating_sub(before.failed);
    let server = server_cpu_busy.map_or_else(String::new, |busy| {
        format!("  server cpu {:>3.0}%", busy * 100.0)
    });
    format!(
        "{:>8.1}s {:>9.0} finished/s  failed {failed:>5}{server}",
        before.at.saturating_duration_since(started).as_secs_f64(),
        if seconds > 0.0 {
            finished as f64 / seconds
        } else {
            0.0
        },
    )
}
