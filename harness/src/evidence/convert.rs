//! Evidence from measurements: the conversions from what the client counted and what the
//! server used into the figures records and reports carry, in one place.

use hdrhistogram::Histogram;

use super::flags::sustained;
use super::record::{ClientEvidence, OpenLoopRun, SendLag, ServerEvidence};
use crate::load::Sample;
use crate::load::latency::Percentile;
use crate::metrics::memory::growth_resolution_bytes;
use crate::metrics::{IdlePss, ServerUsage};

/// Quantiles every open-loop run reports.
pub const OPEN_LOOP_QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

/// The server's figures over a span in which it served `requests_served` requests (the
/// measured ones plus any background load).
pub fn server_evidence(
    usage: &ServerUsage,
    requests_served: u64,
    cores: usize,
    idle_pss: Option<IdlePss>,
) -> ServerEvidence {
    ServerEvidence {
        cpu_busy: usage.cpu_busy(cores),
        cpu_us_per_request: (requests_served > 0)
            .then(|| usage.cpu_seconds * 1e6 / requests_served as f64),
        peak_pss_bytes: usage.peak_pss_bytes,
        peak_rss_bytes: usage.peak_rss_bytes,
        idle_pss_bytes: idle_pss.map(|i| i.bytes),
        idle_pss_spread_bytes: idle_pss.map(|i| i.spread_bytes),
        processes: usage.processes,
        cores,
        cpu_source: usage.cpu_source,
    }
}

/// The client's own figures over a sample.
pub fn client_evidence(sample: &Sample) -> ClientEvidence {
    ClientEvidence {
        cpu_busy: sample.client_cpu_busy(),
        cpu_us_per_request: sample.client_cpu_us_per_request(),
        threads: sample.client_threads,
        io: Some(sample.io),
    }
}

/// Little's law for a closed loop: requests/s x mean latency / the requests that can be in
/// flight (`in_flight_slots`: connections x pipeline depth, so a pipelined run is ~1 when full,
/// not ~depth). `None` for an open loop (`rate_per_sec` set), which keeps no slots full.
pub fn occupancy(
    rate_per_sec: Option<f64>,
    requests: u64,
    requests_per_sec: f64,
    mean_latency_us: f64,
    in_flight_slots: usize,
) -> Option<f64> {
    (rate_per_sec.is_none() && in_flight_slots > 0 && requests > 0)
        .then(|| requests_per_sec * (mean_latency_us / 1e6) / in_flight_slots as f64)
}

/// [`occupancy`] of a sample of stampede's client.
pub fn sample_occupancy(
    sample: &Sample,
    rate_per_sec: Option<f64>,
    in_flight_slots: usize,
) -> Option<f64> {
    occupancy(
        rate_per_sec,
        sample.requests,
        sample.requests_per_sec(),
        sample.latency().mean,
        in_flight_slots,
    )
}

/// Server memory per connection: what one more connection costs the server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PerConnection {
    /// (peak PSS under load - PSS idle) / connections, in bytes.
    Bytes(f64),
    /// The growth over idle was below what the idle readings tell apart from noise; this is
    /// that resolution per connection, in bytes.
    BelowResolution(f64),
}

/// Memory per connection of `server` over `connections`; `None` without an idle baseline.
/// A growth below the resolution (the idle readings' spread, at least 256 KiB) is never shown
/// as a figure: at one connection it once read -84 KiB.
pub fn memory_per_connection(server: &ServerEvidence, connections: f64) -> Option<PerConnection> {
    let idle = server.idle_pss_bytes?;
    let connections = connections.max(1.0);
    let growth = server.peak_pss_bytes as f64 - idle as f64;
    let resolution = growth_resolution_bytes(server.idle_pss_spread_bytes) as f64;
    Some(if growth < resolution {
        PerConnection::BelowResolution(resolution / connections)
    } else {
        PerConnection::Bytes(growth / connections)
    })
}

/// How an open-loop sample kept its schedule.
pub fn send_lag(sample: &Sample) -> SendLag {
    let lag = &sample.send_lag;
    SendLag {
        p50_us: if lag.is_empty() {
            0
        } else {
            lag.value_at_quantile(0.5)
        },
        p99_us: if lag.is_empty() {
            0
        } else {
            lag.value_at_quantile(0.99)
        },
        late_sends: sample.late_sends,
        backlogged_sends: sample.backlogged_sends,
        sends: lag.len() + sample.backlogged_sends,
    }
}

/// What an open loop measured, from whichever client ran it.
#[derive(Clone, Copy, Debug)]
pub struct OpenLoopCounts<'a> {
    /// Latency from intended send times, microseconds.
    pub latency_us: &'a Histogram<u64>,
    /// Successful responses.
    pub requests: u64,
    /// Failed attempts.
    pub errors: u64,
    /// Successful responses per second achieved.
    pub achieved_per_sec: f64,
    /// How the client kept its schedule.
    pub send_lag: SendLag,
    /// Sends the server's delay held back (stampede: backlogged; k6: dropped iterations).
    pub held_back_sends: u64,
}

/// The one summary of an open-loop run at `rate_per_sec`: percentiles with intervals, and
/// whether the client kept its schedule and the server kept up.
pub fn open_loop_summary(
    label: &str,
    fraction_of_capacity: Option<f64>,
    rate_per_sec: f64,
    counts: OpenLoopCounts<'_>,
) -> OpenLoopRun {
    let histogram = counts.latency_us;
    let lag = counts.send_lag;
    OpenLoopRun {
        label: label.to_owned(),
        fraction_of_capacity,
        rate_per_sec,
        achieved_per_sec: counts.achieved_per_sec,
        requests: counts.requests,
        errors: counts.errors,
        mean_us: histogram.mean(),
        percentiles: OPEN_LOOP_QUANTILES
            .iter()
            .map(|&q| Percentile::of(histogram, q))
            .collect(),
        max_us: (!histogram.is_empty()).then(|| histogram.max()),
        client_late: lag.client_late(),
        sustained: sustained(
            counts.achieved_per_sec,
            rate_per_sec,
            counts.held_back_sends,
            lag.sends,
        ),
        send_lag: lag,
    }
}

/// An open-loop sample of stampede's client at `rate_per_sec` as a record's run.
pub fn open_loop_run(
    label: &str,
    fraction_of_capacity: Option<f64>,
    rate_per_sec: f64,
    sample: &Sample,
) -> OpenLoopRun {
    let lag = send_lag(sample);
    open_loop_summary(
        label,
        fraction_of_capacity,
        rate_per_sec,
        OpenLoopCounts {
            latency_us: &sample.histogram,
            requests: sample.requests,
            errors: sample.errors(),
            achieved_per_sec: sample.requests_per_sec(),
            held_back_sends: lag.backlogged_sends,
            send_lag: lag,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::latency::record_us;
    use std::time::Duration;

    #[test]
    fn a_closed_loop_with_every_connection_busy_has_occupancy_one() {
        let mut sample = Sample::empty();
        // 16 connections, 1 ms each, for 1 s: 16,000 requests.
        for _ in 0..16_000 {
            record_us(&mut sample.histogram, 1000);
        }
        sample.requests = 16_000;
        sample.elapsed = Duration::from_secs(1);
        let o = sample_occupancy(&sample, None, 16).unwrap();
        assert!((o - 1.0).abs() < 0.01, "{o}");
        assert!((sample_occupancy(&sample, None, 32).unwrap() - 0.5).abs() < 0.01);
        assert_eq!(
            sample_occupancy(&sample, Some(100.0), 16),
            None,
            "an open loop"
        );
    }

    #[test]
    fn an_open_loop_run_that_fell_behind_is_not_sustained() {
        let mut sample = Sample::empty();
        for _ in 0..800 {
            record_us(&mut sample.histogram, 100);
            record_us(&mut sample.send_lag, 5);
        }
        sample.requests = 800;
        sample.elapsed = Duration::from_secs(1);
        let run = open_loop_run("80% of capacity", Some(0.8), 1000.0, &sample);
        assert!(!run.sustained && !run.client_late, "{run:?}");
        assert_eq!(run.percentiles.len(), 4);
        assert_eq!(run.percentiles[0].us, Some(100));
        assert_eq!(
            run.percentiles[3].us, None,
            "800 samples leave < 10 beyond p99.9"
        );
    }
}
