//! A soak run: after a benchmark's closed loop has measured the target's capacity, minutes of
//! open loop at a fixed fraction of it, kept as the record's timeline. A leak, a collector
//! that stalls or latency that creeps up shows only over time, and only at a load that is the
//! same at the first minute and the last.

use std::time::Duration;

use stampede_harness::benchmark_id::BenchmarkId as Id;
use stampede_harness::evidence::{self, OpenLoopRun, Timeline};
use stampede_harness::load::{LoadClient, LoadPlan};
use stampede_harness::session::{TimelineAsk, VerifiedServer};
use stampede_harness::workload::{BenchCase, Soak};

use crate::runner::Bench;

/// Overrides every soak group's length, in minutes: the posts' runs lasted 30.
const MINUTES_VARIABLE: &str = "STAMPEDE_SOAK_MINUTES";
/// A line of progress at most this often: a second's line for 30 minutes is 1,800 lines.
const PROGRESS_EVERY: Duration = Duration::from_secs(60);

impl Bench {
    /// The soak of `case` on `verified` at its fraction of `capacity_per_sec`: the open-loop
    /// run and its timeline; `None` in quick mode, whose budget holds no minutes.
    pub(crate) fn soak(
        &self,
        verified: &mut VerifiedServer,
        client: &mut LoadClient,
        id: &Id,
        case: &BenchCase,
        soak: &Soak,
        capacity_per_sec: f64,
    ) -> Result<Option<(OpenLoopRun, Timeline)>, String> {
        if self.quick() {
            println!("    {id}: no soak in quick mode");
            return Ok(None);
        }
        if capacity_per_sec <= 0.0 {
            return Err(format!(
                "{id}: the closed loop measured no capacity to soak at"
            ));
        }
        let length = soak_length(soak.length).map_err(|e| format!("{id}: {e}"))?;
        let rate = soak.fraction * capacity_per_sec;
        let label = format!("soak at {:.0}% of capacity", soak.fraction * 100.0);
        println!(
            "    {id}: {label}, {rate:.0}/s for {:.1} min (a line a minute)",
            length.as_secs_f64() / 60.0
        );
        let plan = LoadPlan::duration(length).with_rate(rate);
        let lines_between = (PROGRESS_EVERY.as_secs_f64() / soak.every.as_secs_f64())
            .round()
            .max(1.0) as u64;
        let mut seen = 0_u64;
        let mut show = |line: &str| {
            seen += 1;
            if seen % lines_between == 0 {
                println!("    {line}");
            }
        };
        let ask = TimelineAsk {
            every: soak.every,
            live: Some(&mut show),
        };
        let client_cpus = self.split().client.clone();
        let measurement = verified
            .measure_timed(client, &case.workload, &plan, &client_cpus, Some(ask))
            .map_err(|e| format!("{id}: {label}: {e}"))?;
        let timeline = measurement
            .timeline
            .ok_or_else(|| format!("{id}: {label}: the run ended without its timeline"))?;
        for line in timeline.over_time.describe() {
            println!("    {line}");
        }
        let run = evidence::open_loop_run(&label, Some(soak.fraction), rate, &measurement.sample);
        Ok(Some((run, timeline)))
    }
}

/// The group's length, or [`MINUTES_VARIABLE`]'s when set.
fn soak_length(configured: Duration) -> Result<Duration, String> {
    let Ok(text) = std::env::var(MINUTES_VARIABLE) else {
        return Ok(configured);
    };
    match text.trim().parse::<f64>() {
        Ok(minutes) if minutes > 0.0 => Duration::try_from_secs_f64(minutes * 60.0)
            .map_err(|e| format!("{MINUTES_VARIABLE}={text:?}: {e}")),
        _ => Err(format!(
            "{MINUTES_VARIABLE}={text:?} is not a number of minutes above 0 (e.g. 30 or 0.5)"
        )),
    }
}
