//! `cargo bench`: every benchmark group of spec/workloads.toml on every available target,
//! through Criterion. The groups, their cases and IDs are data; this binary has none of its own.
//!
//! Filter like Criterion: `cargo bench -- json/axum`; quick run: `cargo bench -- --quick`.
//! Soak groups (minutes per benchmark) run only when the filter names them: `cargo bench --
//! soak`.
//! Targets whose toolchain is missing are skipped with one line each. A target that fails to
//! build, verify or stay up fails its benchmarks, the others still run, and the exit status is
//! non-zero at the end.

mod filter;
mod last_sample;
mod measure;
mod runner;
mod soak;

use std::process::ExitCode;
use std::time::Duration;

use criterion::Criterion;
use stampede_harness::evidence::RunMode;

fn main() -> ExitCode {
    // Shorter than Criterion's defaults (3 s + 5 s, 100 samples, 100k resamples): every
    // benchmark ID, the database groups included, must fit in 12 minutes on 2 cores. 0.5 s of
    // samples holds 5,000-100,000 requests of a light group; measure.rs lengthens it where a
    // record would hold too few requests per connection, and sizes Criterion's warm-up (50-300
    // ms: the load has run to steady state before it, so it only times iterations). 5,000
    // resamples put the Monte Carlo error of a 95% interval's ends well below its width, and
    // cost a fifth of 20,000 in Criterion's plots (1.2-1.9 s per benchmark at 20,000 while the
    // load still runs). Quick mode samples each benchmark until its estimate settles, at most
    // 0.2 s (at 0.5 s the whole quick run took 4 min 38 s, over its 4-minute budget), and draws
    // no plots: two samples make no picture, and plotting took longer than measuring.
    // Command-line options still override what is not set per benchmark.
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let light_samples = option_value(&args, "--sample-size").unwrap_or(30);
    let measurement_time = option_value(&args, "--measurement-time")
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_millis(if quick { 200 } else { 500 }));
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(50))
        .measurement_time(measurement_time)
        .sample_size(light_samples)
        .nresamples(5_000);
    if quick {
        criterion = criterion.without_plots();
    }
    let mut criterion = criterion.configure_from_args();
    install_quiet_failure_hook();
    let mode = if quick { RunMode::Quick } else { RunMode::Full };
    let mut bench = match runner::Bench::new(mode, light_samples, measurement_time) {
        Ok(bench) => bench,
        Err(err) => {
            eprintln!("Error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let spec = bench.spec();
    for group in spec.groups() {
        bench.run_group(&mut criterion, group);
    }
    criterion.final_summary();
    bench.write_summary();
    bench.finish()
}

/// The value of `--name VALUE` or `--name=VALUE`, parsed.
fn option_value<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let prefix = format!("{name}=");
    args.iter()
        .enumerate()
        .find_map(|(i, a)| {
            if a == name {
                args.get(i + 1).cloned()
            } else {
                a.strip_prefix(&prefix).map(str::to_owned)
            }
        })
        .and_then(|v| v.parse().ok())
}

/// A failed benchmark panics with a [`measure::BenchFailure`] that the runner catches and
/// reports itself; every other panic keeps the default message.
fn install_quiet_failure_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .payload()
            .downcast_ref::<measure::BenchFailure>()
            .is_none()
        {
            default(info);
        }
    }));
}
