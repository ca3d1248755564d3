//! Verdicts on a run's timeline, each with the interval that makes it more than a hunch:
//! whether the server's memory grows, whether latency drifts, and whether the server stalled.
//!
//! Memory is judged over the run's last two thirds (the first third holds warm-up growth:
//! pools, JIT code, caches). Readings a second apart are not independent (a heap grows in
//! steps, a collector saws), so the slope is fitted to the means of ten consecutive blocks,
//! and its interval uses the blocks' degrees of freedom, not the readings'.

use hdrhistogram::Histogram;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::load::Interval;
use crate::load::latency::{Percentile, new_histogram};

/// A slope whose interval excludes zero but stays below this is called stable: a server
/// whose PSS grows 128 KiB a minute needs 8 hours to grow 64 MiB.
pub const GROWTH_FLOOR_BYTES_PER_MIN: f64 = 128.0 * 1024.0;
/// Nor is growth that adds less than this over the judged span: a short run turns a few pages
/// into a steep slope per minute.
pub const GROWTH_FLOOR_BYTES: f64 = 1024.0 * 1024.0;
/// Latency drifts when the last third's p99 is above the first third's, intervals apart, by
/// at least this factor.
pub const DRIFT_FLOOR_RATIO: f64 = 1.1;
/// Blocks the memory readings are averaged into before the slope is fitted.
const BLOCKS: usize = 10;
/// Fewest memory readings in the judged two thirds for a verdict.
const FEWEST_READINGS: usize = 2 * BLOCKS;

/// What the timeline says about the run as a whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OverTime {
    pub memory: MemoryGrowth,
    pub latency: LatencyDrift,
    pub stalls: Stalls,
}

/// The server's PSS over the run's last two thirds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MemoryGrowth {
    /// `grows`, `stable`, or `n/a` (too few readings: a run of at least 30 intervals has them).
    pub verdict: String,
    /// Least-squares slope of the block means, bytes per minute, with its 95% interval.
    pub slope_bytes_per_min: Option<f64>,
    pub low_bytes_per_min: Option<f64>,
    pub high_bytes_per_min: Option<f64>,
}

/// p99 of the run's last third against its first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LatencyDrift {
    /// `drifts`, `steady`, or `n/a` (a third holds too few requests for a p99).
    pub verdict: String,
    pub first_third: Percentile,
    pub last_third: Percentile,
}

/// Intervals in which nothing completed although requests were due.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Stalls {
    pub count: usize,
    /// The longest run of such intervals back to back, in ms.
    pub longest_ms: u64,
}

impl OverTime {
    /// The verdicts on `intervals`, with `pss_bytes` the server's PSS at each interval's end
    /// (empty when not watched). `due_per_interval`: how many requests each interval should
    /// complete at least (a closed loop: its connections; an open loop: its rate times the
    /// interval), below 1 for a load too sparse to call an empty interval a stall.
    pub fn of(intervals: &[Interval], pss_bytes: &[(f64, u64)], due_per_interval: f64) -> Self {
        Self {
            memory: memory_growth(pss_bytes),
            latency: latency_drift(intervals),
            stalls: stalls(intervals, due_per_interval),
        }
    }

    /// The three verdicts in words, one line each.
    pub fn describe(&self) -> Vec<String> {
        let mib = |bytes: f64| bytes / (1024.0 * 1024.0);
        let memory = match (
            self.memory.slope_bytes_per_min,
            self.memory.low_bytes_per_min,
            self.memory.high_bytes_per_min,
        ) {
            (Some(slope), Some(low), Some(high)) => format!(
                "memory over the last two thirds: {} ({:+.3} MiB/min, 95% interval {:+.3}..{:+.3})",
                self.memory.verdict,
                mib(slope),
                mib(low),
                mib(high)
            ),
            _ => "memory: n/a (a server's memory needs at least 30 intervals to judge)".into(),
        };
        let p99 = |p: &Percentile| match (p.us, p.low_us, p.high_us) {
            (Some(v), Some(lo), Some(hi)) => format!("{v} us [{lo}..{hi}]"),
            _ => "n/a".into(),
        };
        let latency = format!(
            "p99 first third {}, last third {}: {}",
            p99(&self.latency.first_third),
            p99(&self.latency.last_third),
            self.latency.verdict
        );
        let stalls = format!(
            "stalls (intervals with nothing completed): {}, longest {} ms",
            self.stalls.count, self.stalls.longest_ms
        );
        vec![memory, latency, stalls]
    }

    /// The flags it raises: `memory-grows`, `latency-drifts`, `stalls`.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.memory.verdict == "grows" {
            flags.push("memory-grows");
        }
        if self.latency.verdict == "drifts" {
            flags.push("latency-drifts");
        }
        if self.stalls.count > 0 {
            flags.push("stalls");
        }
        flags
    }
}

/// `readings`: (seconds from the run's start, PSS bytes).
fn memory_growth(readings: &[(f64, u64)]) -> MemoryGrowth {
    let judged = &readings[readings.len() / 3..];
    let none = MemoryGrowth {
        verdict: "n/a".into(),
        slope_bytes_per_min: None,
        low_bytes_per_min: None,
        high_bytes_per_min: None,
    };
    if judged.len() < FEWEST_READINGS {
        return none;
    }
    let per_block = judged.len() / BLOCKS;
    let points: Vec<(f64, f64)> = judged
        .chunks(per_block)
        .take(BLOCKS)
        .map(|block| {
            let n = block.len() as f64;
            let t = block.iter().map(|r| r.0).sum::<f64>() / n;
            let pss = block.iter().map(|r| r.1 as f64).sum::<f64>() / n;
            (t, pss)
        })
        .collect();
    let Some((slope, se)) = least_squares(&points) else {
        return none;
    };
    let half = t_975(points.len() - 2) * se;
    let (slope, low, high) = (slope * 60.0, (slope - half) * 60.0, (slope + half) * 60.0);
    let span_min = (points[points.len() - 1].0 - points[0].0) / 60.0;
    let grows =
        low > 0.0 && slope > GROWTH_FLOOR_BYTES_PER_MIN && slope * span_min > GROWTH_FLOOR_BYTES;
    MemoryGrowth {
        verdict: if grows { "grows" } else { "stable" }.into(),
        slope_bytes_per_min: Some(slope),
        low_bytes_per_min: Some(low),
        high_bytes_per_min: Some(high),
    }
}

/// Slope of y over x and its standard error; `None` for fewer than 3 points or one x.
fn least_squares(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 3 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let residuals: f64 = points
        .iter()
        .map(|p| (p.1 - intercept - slope * p.0).powi(2))
        .sum();
    Some((slope, (residuals / (n - 2.0) / sxx).sqrt()))
}

/// Student's t at 97.5% for `df` degrees of freedom (two-sided 95%).
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 10] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    ];
    match df {
        0 => f64::INFINITY,
        1..=10 => TABLE[df - 1],
        11..=20 => 2.086,
        21..=40 => 2.021,
        _ => 1.96,
    }
}

fn latency_drift(intervals: &[Interval]) -> LatencyDrift {
    let third = intervals.len() / 3;
    let merged = |part: &[Interval]| {
        let mut histogram: Histogram<u64> = new_histogram();
        for interval in part {
            add_into(&mut histogram, &interval.latency_us);
        }
        Percentile::of(&histogram, 0.99)
    };
    let first_third = merged(&intervals[..third]);
    let last_third = merged(&intervals[intervals.len() - third..]);
    let verdict = match (
        first_third.high_us,
        last_third.low_us,
        first_third.us,
        last_third.us,
    ) {
        (Some(first_high), Some(last_low), Some(first), Some(last)) => {
            if last_low > first_high && last as f64 >= DRIFT_FLOOR_RATIO * first as f64 {
                "drifts"
            } else {
                "steady"
            }
        }
        _ => "n/a",
    };
    LatencyDrift {
        verdict: verdict.into(),
        first_third,
        last_third,
    }
}

/// An interval counts as a stall only when requests were due in it and the run's median
/// request took less than half of it: where requests take longer (a 2 s sleep, watched per
/// second), answers come in waves with empty intervals between them by design.
fn stalls(intervals: &[Interval], due_per_interval: f64) -> Stalls {
    let mut stalls = Stalls {
        count: 0,
        longest_ms: 0,
    };
    let mut all: Histogram<u64> = new_histogram();
    for interval in intervals {
        add_into(&mut all, &interval.latency_us);
    }
    let median_us = all.value_at_quantile(0.5) as f64;
    let shortest_us = intervals
        .iter()
        .map(|i| i.length.as_secs_f64() * 1e6)
        .fold(f64::INFINITY, f64::min);
    if due_per_interval < 1.0 || 2.0 * median_us >= shortest_us {
        return stalls;
    }
    let mut current_ms = 0;
    for interval in intervals {
        if interval.requests + interval.errors() == 0 {
            stalls.count += 1;
            current_ms += u64::try_from(interval.length.as_millis()).unwrap_or(u64::MAX);
            stalls.longest_ms = stalls.longest_ms.max(current_ms);
        } else {
            current_ms = 0;
        }
    }
    stalls
}

/// Adds an interval's small histogram into a full one.
fn add_into(all: &mut Histogram<u64>, part: &Histogram<u32>) {
    for value in part.iter_recorded() {
        let _ = all.record_n(value.value_iterated_to(), u64::from(value.count_at_value()));
    }
}

#[cfg(test)]
#[path = "over_time_tests.rs"]
mod tests;
