//! What would turn a "not comparable" into a verdict: every reason a claim cannot be judged
//! names the setting, CPU count, run length or rate that would meet it, so a reader knows what
//! to run next instead of only why this run did not do.

use crate::evidence::ResultRecord;
use crate::summary::format::rate;

/// The words that start every remedy, so a reader (and a test) finds them.
pub(crate) const TO_COMPARE: &str = "to compare:";

/// A claim needs `cores` server cores and the run gave fewer.
pub(crate) fn for_cores(cores: usize) -> String {
    let cpus = 2 * cores;
    format!(
        "{TO_COMPARE} run `cargo bench` where it may use at least {cpus} CPUs (the server gets the \
         first half, the client the rest), e.g. `taskset -c 0-{} cargo bench` on a machine with \
         {cpus} cores",
        cpus - 1
    )
}

/// Why a flagged record cannot stand in a claim, with what would clear its flags.
pub(crate) fn for_flagged(r: &ResultRecord) -> String {
    let mut what = Vec::new();
    if r.flags.invalid {
        what.push("fix what its errors by kind say and rerun".to_owned());
    }
    if r.flags.not_steady {
        what.push(
            "its warm-up never settled: rerun, or see how long it takes with `stampede load \
             --warmup 30s`"
                .to_owned(),
        );
    }
    if r.flags.client_bound {
        what.push(client_cpus_needed(r));
    } else if !r.flags.server_bound && !r.flags.invalid {
        what.push(format!(
            "the server's CPU was only {:.2} busy: give it more connections, or find what else \
             limited it (occupancy {})",
            r.figures.server.cpu_busy,
            r.figures
                .occupancy
                .map_or_else(|| "n/a".to_owned(), |o| format!("{o:.2}"))
        ));
    }
    format!("{TO_COMPARE} {}", what.join("; "))
}

/// How many client CPUs a client-bound run would need to leave the server the limit.
fn client_cpus_needed(r: &ResultRecord) -> String {
    let Some(us) = r.figures.client.cpu_us_per_request else {
        return "the client was the limit: give it more CPUs".into();
    };
    // Below 90% busy at the same rate, so that the flag would not be set.
    let needed = r.figures.requests_per_sec * us / 1e6 / 0.9;
    format!(
        "the client was the limit: at {us:.1} client CPU µs/request and {} req/s it needs about \
         {needed:.1} CPUs and had {}; run where the client gets {} (the second half of the \
         CPUs the bench may use)",
        rate(r.figures.requests_per_sec),
        r.figures.client.threads,
        needed.ceil()
    )
}

/// An open-loop percentile with `beyond` samples beyond it, of 10 needed, at `rate_per_sec`.
pub(crate) fn for_samples(q: f64, rate_per_sec: f64, beyond: u64) -> String {
    let needed = (10.0 / (1.0 - q)).ceil();
    let seconds = needed / rate_per_sec.max(f64::MIN_POSITIVE);
    format!(
        "{beyond} samples beyond it, 10 needed; {TO_COMPARE} {needed:.0} answers are needed, \
         which at {}/s take {seconds:.0} s (the open-loop run's seconds in spec/workloads.toml)",
        rate(rate_per_sec)
    )
}

/// An open-loop run that was late on the client side or not sustained by the server.
pub(crate) fn for_open_loop(client_late: bool) -> String {
    match client_late {
        true => format!(
            "{TO_COMPARE} give the client more CPUs, or lower the common rate (the group's \
             `tails` in spec/workloads.toml)"
        ),
        false => format!(
            "{TO_COMPARE} lower the common rate below what both sides sustain (the group's \
             `tails` in spec/workloads.toml)"
        ),
    }
}

/// A workload, target or parameter that has no result in this run.
pub(crate) fn for_missing(filter: &str) -> String {
    format!("{TO_COMPARE} run `cargo bench -- '{filter}'`")
}

/// An open-loop run this result does not have.
pub(crate) fn for_missing_open_loop(filter: &str) -> String {
    format!(
        "{} without --quick (quick mode runs no open loops)",
        for_missing(filter)
    )
}

/// Targets that were skipped for a missing toolchain, or have no result.
pub(crate) fn for_skipped(filter: &str) -> String {
    format!("{TO_COMPARE} install what a skip names, then run `cargo bench -- '{filter}'`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;

    #[test]
    fn a_client_bound_input_says_how_many_client_cpus_the_run_would_need() {
        let mut r = record("json/actix/c64", 200_000.0, 100, 8);
        r.flags.client_bound = true;
        r.figures.client.cpu_busy = 0.97;
        r.figures.client.cpu_us_per_request = Some(9.0);
        let remedy = for_flagged(&r);
        // 200,000 req/s x 9 us = 1.8 CPUs, at most 90% busy: 2.0.
        assert!(remedy.contains("about 2.0 CPUs and had 1"), "{remedy}");
    }

    #[test]
    fn a_percentile_without_samples_says_how_long_a_run_would_give_them() {
        let remedy = for_samples(0.999, 500.0, 3);
        assert!(remedy.contains("10000 answers"), "{remedy}");
        assert!(remedy.contains("take 20 s"), "{remedy}");
    }
}
