//! One benchmark: a continuous closed-loop stream that Criterion samples, then the open-loop
//! runs (tails, the mixed probe) on the same connections, then the record with its evidence.
//!
//! A benchmark whose server died, whose stream stalled or whose requests fail fails loudly: the
//! closure panics with a [`BenchFailure`] (caught around Criterion's call), so Criterion never
//! receives a made-up duration and never stores an estimate for it.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use criterion::BenchmarkId;
use criterion::measurement::WallTime;
use stampede_harness::benchmark_id::BenchmarkId as Id;
use stampede_harness::database::DatabaseMeter;
use stampede_harness::evidence;
use stampede_harness::evidence::{INVALID_ERROR_RATIO, OpenLoopRun, ResultRecord, RunMode};
use stampede_harness::load::{LoadClient, LoadPlan};
use stampede_harness::sampling::SampledStream;
use stampede_harness::session::{LoadSetup, Measurement, VerifiedServer};
use stampede_harness::steady::{self, SteadyRule};

use stampede_harness::workload::{BenchCase, Sampling};

use crate::last_sample::LastSample;
use crate::runner::Bench;

/// Unmeasured load before Criterion's own warm-up, until the stream is steady (every connection
/// answered, two windows' rates within 10%: see `stampede_harness::steady`) and at most this
/// long: fills connection pools, JITs and caches, lets a Node cluster hand every connection to
/// a worker, and gives a first capacity estimate to size the measurement. Light runs settle in
/// 0.2-0.5 s and a Node cluster at 1,024 connections in 0.6-1.5 s; the runs that reached 8 s
/// (Node at 98k hash rounds, 7 requests/s) never settled anyway, so 5 s is the limit. Quick
/// mode, a smoke run within 4 minutes, waits at most 0.5 s (most light runs settle in 0.15 s
/// there) and says when that was not enough.
const LONGEST_WARM_UP: Duration = Duration::from_secs(5);
const QUICK_LONGEST_WARM_UP: Duration = Duration::from_millis(500);
/// Warm-up windows here last at least 50 ms, not `stampede load`'s 100: at 100 ms a light run's
/// warm-up took 0.35-0.4 s, mostly in windows, 30 s of the run over its 230 benchmarks. A window
/// still lasts until as many requests completed as are in flight, which is what keeps slow
/// connections and slow requests in view; 50 ms of a light stream hold thousands of answers.
const SHORTEST_WARM_UP_WINDOW: Duration = Duration::from_millis(50);
/// Upper bound on one benchmark's stream, far above any Criterion run the bench configures.
const STREAM_LIMIT: Duration = Duration::from_secs(600);
/// A record of a light group should hold at least this many requests per connection, so that
/// every connection contributes many requests (c1024: 30,720); the measurement time grows to
/// get them, up to [`LONGEST_MEASUREMENT`]. Both fit the run in its 12-minute budget: at 50 per
/// connection and up to 8 s, the database groups alone took 6.5 minutes (a 20-row update at
/// 600-1,500 requests/s spent 8 s per record); at 3 s those records still hold 1,800-4,500
/// requests (7-18 per connection), enough for a p99.
const REQUESTS_PER_CONNECTION: f64 = 30.0;
const LONGEST_MEASUREMENT: Duration = Duration::from_secs(3);
/// The same for heavy groups, whose requests take milliseconds (hash, mixed, queries) or whose
/// connections are many and wait (sleep at c10000): at 50 per connection they ran into the 8 s
/// limit, a minute per group and target, without changing what the record shows; 2 s (from 3)
/// keeps 10 samples of every heavy record and 40 s of the run's budget.
const HEAVY_REQUESTS_PER_CONNECTION: f64 = 10.0;
const HEAVY_LONGEST_MEASUREMENT: Duration = Duration::from_secs(2);
/// Every record should hold enough requests for a p99 with 10 samples beyond it, whatever the
/// connection count; where the longest measurement cannot buy them (the 98k-round hash: 110-170
/// requests/s in Rust and Go, 3-6 in Node), the record is flagged `few-requests` and its p99
/// shown as n/a. A longer limit (4 s) bought none of them a p99 and cost 40 s of a full run.
const REQUESTS_PER_RECORD: f64 = 1_000.0;
/// A mixed-probe answer later than this counts as a timeout (wrk's limit is 2 s). Node, whose
/// event loop reads up to 32 requests from one busy connection before it looks at the next,
/// answered the probe's last requests ~30 s after the run: answers too few for a p99 anyway,
/// at the cost of a minute of the bench's budget. A stall that long shows as timeouts.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Errors fail a benchmark once there are this many and they exceed the invalid ratio.
const ERRORS_TO_FAIL: u64 = 10;

/// The panic payload that fails one benchmark; main's panic hook keeps it quiet.
#[derive(Debug)]
pub(crate) struct BenchFailure(pub(crate) String);

fn fail_now(message: String) -> ! {
    std::panic::panic_any(BenchFailure(message))
}

impl Bench {
    /// Measures `case` on `verified` as benchmark `id`, writes its record, and prints its
    /// evidence line.
    pub(crate) fn measure(
        &self,
        group: &mut criterion::BenchmarkGroup<'_, WallTime>,
        bench_id: BenchmarkId,
        id: &Id,
        verified: &mut VerifiedServer,
        case: &BenchCase,
        sampling: Sampling,
    ) -> Result<(), String> {
        let at = |e: &dyn std::fmt::Display| format!("{id}: {e}");
        let idle_pss = verified.idle_pss();
        let client_cpus = self.split().client.clone();
        let mut client = verified
            .connect(&case.workload, case.connections, &client_cpus)
            .map_err(|e| at(&e))?;
        let mut background_client = match &case.background {
            Some(bg) => Some(
                verified
                    .connect(&bg.workload, bg.connections, &client_cpus)
                    .map_err(|e| at(&e))?,
            ),
            None => None,
        };
        let background = match background_client.as_mut() {
            Some(c) => Some(
                c.stream(&LoadPlan::stream(STREAM_LIMIT))
                    .map_err(|e| at(&e))?,
            ),
            None => None,
        };
        let measured = self.measured_windows(sampling);
        let rule = SteadyRule {
            min_window: SHORTEST_WARM_UP_WINDOW,
            ..SteadyRule::at_most(if self.quick() {
                QUICK_LONGEST_WARM_UP
            } else {
                LONGEST_WARM_UP
            })
        };
        let began = steady::prime(&mut client, rule.max).map_err(|e| at(&e))?;
        let plan = LoadPlan::stream(STREAM_LIMIT).with_pipeline(case.pipeline);
        let mut run = SampledStream::start(
            &mut client,
            &plan,
            Some(verified.server.probe()),
            Some(client_cpus.clone()),
            measured,
        )
        .map_err(|e| at(&e))?;
        if let Some(bg) = &background {
            run = run.with_companion(bg.counter());
        }
        let database = verified.database_for(&case.workload).map_err(|e| at(&e))?;
        if let Some(link) = &database {
            let meter = DatabaseMeter::start(link).map_err(|e| at(&e))?;
            run = run.with_database(meter);
        }
        let warm_up = run.settle_since(rule, began);
        if !warm_up.settled() {
            println!("    {id}: {}", warm_up.describe());
        }
        group.measurement_time(self.measurement_time(
            sampling,
            case.connections,
            warm_up.rate_per_sec,
        ));
        let criterion_warm_up = criterion_warm_up(
            warm_up.rate_per_sec,
            case.connections * case.pipeline.max(1),
        );
        group.warm_up_time(criterion_warm_up);
        let server = &mut verified.server;
        // A full run ends the stream at Criterion's last sample, so that its analysis and plots
        // run on idle CPUs (last_sample.rs); quick mode, which plans samples its own way and
        // draws no plots, ends it after Criterion returns.
        let mut last_sample = (!self.quick()).then(|| LastSample::new(measured, criterion_warm_up));
        let mut stream = Some(run);
        let mut ended = None;
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            group.bench_function(bench_id, |b| {
                b.iter_custom(|iters| {
                    let Some(run) = stream.as_mut() else {
                        fail_now(format!(
                            "{id}: Criterion sampled again after what looked like its last \
                             sample; please report this with your Criterion version"
                        ))
                    };
                    let elapsed = run.window(iters).unwrap_or_else(|e| fail_now(at(&e)));
                    if let Err(e) = server.check_alive() {
                        fail_now(at(&e));
                    }
                    let (done, failed) = run.progress();
                    if failed >= ERRORS_TO_FAIL && failed as f64 > INVALID_ERROR_RATIO * done as f64
                    {
                        fail_now(format!("{id}: {failed} of {done} requests failed"));
                    }
                    if last_sample
                        .as_mut()
                        .is_some_and(|w| w.is_last(iters, elapsed))
                    {
                        ended = stream.take().map(|run| run.finish(measured));
                    }
                    elapsed
                });
            });
        }));
        if let Err(payload) = outcome {
            let why = match payload.downcast::<BenchFailure>() {
                Ok(failure) => failure.0,
                Err(other) => std::panic::resume_unwind(other),
            };
            let kinds = stream
                .take()
                .and_then(|run| run.abandon().ok())
                .map(|all| all.errors_in_words())
                .unwrap_or_default();
            drop(background);
            verified.server.check_alive().map_err(|e| at(&e))?;
            return Err(if kinds.is_empty() {
                why
            } else {
                format!("{why} ({kinds})")
            });
        }
        let measured = ended
            .or_else(|| stream.take().map(|run| run.finish(measured)))
            .ok_or_else(|| format!("{id}: the stream ended without its record"))?
            .map_err(|e| at(&e))?;
        // Its borrow of the connections ends here, before the tails use them.
        drop(stream);
        let mut open_loop = Vec::new();
        // Quick mode skips the probe as it skips the tails: a quarter of its samples gave no
        // p99, and under Node's blocked event loop its last answers came ~15 s after the run.
        if let Some(bg) = case.background.as_ref().filter(|_| !self.quick()) {
            let mut plan = LoadPlan::duration(Duration::from_secs_f64(bg.probe_seconds))
                .with_rate(bg.probe_rate_per_sec);
            plan.request_timeout = PROBE_TIMEOUT;
            let mut probe = verified
                .connect(&case.workload, bg.probe_connections, &client_cpus)
                .map_err(|e| at(&e))?;
            let sample = probe.run(&plan).map_err(|e| at(&e))?;
            open_loop.push(evidence::open_loop_run(
                "probe",
                None,
                bg.probe_rate_per_sec,
                &sample,
            ));
        }
        let capacity_per_sec = measured.sample.requests_per_sec();
        open_loop.extend(self.tails(&mut client, id, case, capacity_per_sec)?);
        let mut timeline = None;
        if let Some(soak) = &case.soak
            && let Some((run, soaked)) =
                self.soak(verified, &mut client, id, case, soak, capacity_per_sec)?
        {
            open_loop.push(run);
            timeline = Some(soaked);
        }
        let background_sample = match background {
            Some(stream) => Some(stream.finish().map_err(|e| at(&e))?),
            None => None,
        };
        drop(client);
        verified.server.check_alive().map_err(|e| at(&e))?;
        let load = LoadSetup {
            client_cpus,
            connections: case.connections,
            rate_per_sec: None,
            pipeline: case.pipeline,
            body_seed: case.workload.has_bodies().then_some(verified.body_seed),
        };
        let database_evidence = database.zip(measured.database).and_then(|(link, usage)| {
            let in_flight = (case.connections * case.pipeline.max(1)) as u64;
            verified.database_evidence(
                &case.workload,
                &link,
                &usage,
                measured.sample.requests,
                in_flight,
            )
        });
        let measurement = Measurement {
            sample: measured.sample,
            usage: measured.usage,
            server_cores: verified.server.config().cpus.len(),
            idle_pss,
            background_requests: measured.companion_completions,
            warm_up: Some(warm_up),
            database: database_evidence,
            timeline,
        };
        let record = verified.result_record(self.context(), id, &measurement, &load, open_loop);
        println!("{}", evidence_line(&record));
        if let Some(bg) = background_sample {
            let all = bg.everything(Duration::ZERO);
            println!(
                "    background: {} requests, errors {}",
                all.requests,
                all.errors()
            );
        }
        let dir = self.results_dir();
        record
            .write_to(&dir)
            .map_err(|e| format!("{id}: cannot write its result to {}: {e}", dir.display()))?;
        self.keep_in_history(&record);
        if record.flags.invalid {
            return Err(format!(
                "{id}: invalid ({} errors: {}){}",
                record.errors,
                record.errors_in_words(),
                record
                    .figures
                    .wrong_answer_example
                    .as_ref()
                    .map(|w| format!("; wrong answer: {w}"))
                    .unwrap_or_default()
            ));
        }
        Ok(())
    }

    /// The open-loop runs spec/workloads.toml asks for this benchmark (its group's `tails`):
    /// at fractions of the capacity just measured and at the common rate, each below that
    /// capacity. None in quick mode.
    fn tails(
        &self,
        client: &mut LoadClient,
        id: &Id,
        case: &BenchCase,
        capacity_per_sec: f64,
    ) -> Result<Vec<OpenLoopRun>, String> {
        let spec = self.spec();
        let params = &spec.open_loop;
        let Some(tail) = &case.tail else {
            return Ok(Vec::new());
        };
        if self.quick() || capacity_per_sec <= 0.0 {
            return Ok(Vec::new());
        }
        let mut rates: Vec<(String, Option<f64>, f64)> = tail
            .fractions
            .iter()
            .map(|&f| {
                (
                    format!("{:.0}% of capacity", f * 100.0),
                    Some(f),
                    f * capacity_per_sec,
                )
            })
            .collect();
        rates.push(("common rate".into(), None, tail.common_rate_per_sec));
        let mut runs = Vec::new();
        for (label, fraction, rate) in rates {
            if rate >= capacity_per_sec {
                println!(
                    "    open loop: {label} @ {rate:.0}/s skipped: above the {capacity_per_sec:.0}/s \
                     this target served in the closed loop"
                );
                continue;
            }
            let seconds = params.seconds_at(rate);
            let plan = LoadPlan::duration(Duration::from_secs_f64(seconds)).with_rate(rate);
            let sample = client
                .run(&plan)
                .map_err(|e| format!("{id}: {label}: {e}"))?;
            runs.push(evidence::open_loop_run(&label, fraction, rate, &sample));
        }
        Ok(runs)
    }

    /// How long Criterion measures a benchmark over `connections` at about `rate_per_sec`: the
    /// configured time, longer when that would leave fewer requests per connection than its
    /// sampling asks for.
    fn measurement_time(
        &self,
        sampling: Sampling,
        connections: usize,
        rate_per_sec: f64,
    ) -> Duration {
        let base = self.base_measurement_time();
        if self.quick() || rate_per_sec <= 0.0 {
            return base;
        }
        let (per_connection, longest) = match sampling {
            Sampling::Light => (REQUESTS_PER_CONNECTION, LONGEST_MEASUREMENT),
            Sampling::Heavy => (HEAVY_REQUESTS_PER_CONNECTION, HEAVY_LONGEST_MEASUREMENT),
        };
        let needed = (per_connection * connections as f64).max(REQUESTS_PER_RECORD) / rate_per_sec;
        // Criterion's linear sampling spends about its measurement time in the samples.
        Duration::from_secs_f64((needed * 1.2).max(base.as_secs_f64())).min(longest.max(base))
    }
}

/// Criterion's warm-up for a stream answering about `rate_per_sec` with `in_flight` requests
/// out: it only times iterations for Criterion's sampling plan (the load is steady already),
/// which takes about 1,000 answers, within 50-300 ms, and where answers come in waves (each
/// connection's turn: `in_flight` / rate), two waves, up to 1 s. A fixed 300 ms (0.45 s per
/// benchmark with Criterion's doubling overshoot) cost a minute of a full run on streams that
/// answer 1,000 in a few milliseconds; a fixed 50 ms timed a 20-row update (1,300 answers/s) at
/// 88 ms per iteration, 130 times its real cost, and 300 ms timed Node's (600/s over 256
/// connections, in waves ~0.4 s apart) at one wave: 30 iterations planned, 0.1 s of samples.
/// A stall longer than the warm-up in its first call still misleads Criterion; the record then
/// holds few requests and says so (`few-requests`).
fn criterion_warm_up(rate_per_sec: f64, in_flight: usize) -> Duration {
    const ANSWERS: f64 = 1_000.0;
    if rate_per_sec <= 0.0 {
        return Duration::from_millis(300);
    }
    let answers = (ANSWERS / rate_per_sec).clamp(0.05, 0.3);
    let waves = (2.0 * in_flight as f64 / rate_per_sec).min(1.0);
    Duration::from_secs_f64(answers.max(waves))
}

/// The calls of Criterion's that are samples, counted back from the last: two in quick mode
/// (its last two runs), else the group's sample size.
pub(crate) fn measured_windows(mode: RunMode, sampling: Sampling, light_samples: usize) -> usize {
    match (mode, sampling) {
        (RunMode::Quick, _) => 2,
        (_, Sampling::Heavy) => crate::runner::HEAVY_SAMPLES,
        (_, Sampling::Light) => light_samples,
    }
}

fn evidence_line(record: &ResultRecord) -> String {
    let flags = record.flags.words();
    let errors = record.errors_in_words();
    let tail = record
        .figures
        .open_loop
        .iter()
        .map(|run| {
            let p99 = run
                .percentiles
                .iter()
                .find(|p| (p.quantile - 0.99).abs() < 1e-9)
                .and_then(|p| p.us)
                .map_or_else(|| "n/a".to_owned(), |v| format!("{v} us"));
            let errors = if run.errors > 0 {
                format!(" ({} errors)", run.errors)
            } else {
                String::new()
            };
            format!(
                "{} @ {:.0}/s p99 {p99}{errors}",
                run.label, run.rate_per_sec
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "  {}: {:.0} req/s, mean {:.0} us (p50 {}, p99 {}), occupancy {}, errors {}{}, cpu_busy server {:.2} client {:.2}{}{}",
        record.id,
        record.figures.requests_per_sec,
        record.figures.latency_us.mean,
        record.figures.latency_us.p50,
        record.figures.latency_us.p99,
        record
            .figures
            .occupancy
            .map_or_else(|| "n/a".to_owned(), |o| format!("{o:.2}")),
        record.errors,
        if errors.is_empty() {
            String::new()
        } else {
            format!(" ({errors})")
        },
        record.figures.server.cpu_busy,
        record.figures.client.cpu_busy,
        if tail.is_empty() {
            String::new()
        } else {
            format!("\n    open loop: {tail}")
        },
        if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join("; "))
        },
    ) + &record
        .figures
        .database
        .as_ref()
        .map(|database| format!("\n    {}", database.describe()))
        .unwrap_or_default()
}
