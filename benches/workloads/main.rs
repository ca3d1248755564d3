//! `cargo bench`: every workload on every available target, through Criterion.
//!
//! Filter like Criterion: `cargo bench -- json/axum`; quick run: `cargo bench -- --quick`.
//! Targets whose toolchain is missing are skipped with one line each. A target that fails to
//! build, verify or stay up fails its benchmarks, the others still run, and the exit status is
//! non-zero at the end.

mod cpu;
mod documents;
mod filter;
mod http;
mod runner;
mod waiting;

use std::process::ExitCode;
use std::time::Duration;

use criterion::Criterion;

fn main() -> ExitCode {
    // Shorter than Criterion's defaults (3 s + 5 s, 100 samples, 100k resamples): 138 benchmark
    // IDs must fit in 15 minutes on 2 cores (measured: 1 s + 3 s + 100k came to about 18).
    // Command-line options still override these (e.g. --measurement-time 5).
    // Quick mode samples each benchmark until its estimate settles, at most the measurement
    // time: 1 s keeps the whole quick run within 3 minutes.
    let quick = std::env::args().any(|a| a == "--quick");
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(if quick { 1 } else { 2 }))
        .sample_size(30)
        .nresamples(20_000)
        .configure_from_args();
    let mut bench = match runner::Bench::new(quick) {
        Ok(bench) => bench,
        Err(err) => {
            eprintln!("Error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    http::plaintext(&mut bench, &mut criterion);
    http::json(&mut bench, &mut criterion);
    documents::json_doc(&mut bench, &mut criterion);
    documents::order(&mut bench, &mut criterion);
    cpu::hash(&mut bench, &mut criterion);
    cpu::hash_offload(&mut bench, &mut criterion);
    cpu::mixed(&mut bench, &mut criterion);
    waiting::sleep(&mut bench, &mut criterion);
    criterion.final_summary();
    bench.write_summary();
    bench.finish()
}
