//! One `stampede compare` run: prepare every target x workload, drive the sequential duet
//! rounds, and gather what the reports need into one serialisable record.

use std::time::Instant;

use serde::Serialize;

use super::counters::{self, CounterCheck};
use super::decide::Verdict;
use super::duet::{Duet, RoundSetup, Side};
use super::pace::Paced;
use super::sequential::{PairOutcome, RoundsEnd, SequentialOptions, run_sequence};
use crate::session::SessionError;
use crate::workload::{Workload, not_served_line};

/// One target x workload in the report.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Target name.
    pub target: String,
    /// Workload name.
    pub workload: String,
    /// Who set the rounds' rate when the servers did not (CPU per request decides alone).
    pub paced: Option<Paced>,
    /// Its rounds, decisions and verdict.
    #[serde(flatten)]
    pub outcome: PairOutcome,
}

impl Comparison {
    /// Median base requests/s over the kept rounds.
    pub fn base_rps(&self) -> f64 {
        self.kept_median(|r| r.figures.base.rps)
    }

    /// Median head requests/s over the kept rounds.
    pub fn head_rps(&self) -> f64 {
        self.kept_median(|r| r.figures.head.rps)
    }

    /// Median base CPU us per request over the kept rounds.
    pub fn base_cpu_us(&self) -> f64 {
        self.kept_median(|r| r.figures.base.cpu_us_per_request)
    }

    /// Median head CPU us per request over the kept rounds.
    pub fn head_cpu_us(&self) -> f64 {
        self.kept_median(|r| r.figures.head.cpu_us_per_request)
    }

    fn kept_median(&self, f: impl Fn(&super::sequential::RoundRecord) -> f64) -> f64 {
        let values: Vec<f64> = self
            .outcome
            .rounds
            .iter()
            .filter(|r| r.screening.discarded.is_none())
            .map(f)
            .collect();
        super::decide::median(&values).unwrap_or(f64::NAN)
    }
}

/// The run's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunVerdict {
    /// At least one comparison regressed and the null control was quiet: exit 1.
    Regressed,
    /// Every comparison was decided and none regressed: exit 0.
    NoRegression,
    /// Something could not be decided, or the null control moved: exit 0, not a failure.
    Inconclusive,
}

impl RunVerdict {
    /// The process exit status for this verdict.
    pub fn exit_status(self) -> u8 {
        match self {
            Self::Regressed => 1,
            Self::NoRegression | Self::Inconclusive => 0,
        }
    }
}

/// Everything one run found, as `--export-json` writes it (and `--json` prints it).
#[derive(Clone, Debug, Serialize)]
pub struct CompareOutput {
    /// The base as given, and its commit.
    pub base: String,
    /// Full commit id of the base.
    pub base_commit: String,
    /// The head as given ("working tree" when none).
    pub head: String,
    /// Threshold in percent.
    pub threshold_pct: f64,
    /// How the rounds were decided and stopped.
    pub sequential: SequentialOptions,
    /// Load time per round in seconds.
    pub round_duration_s: f64,
    /// Connections per side.
    pub connections: usize,
    /// CPUs the servers shared.
    pub server_cpus: String,
    /// CPUs the clients shared.
    pub client_cpus: String,
    /// Comparisons in the family: per target x workload, req/s and CPU per request, or CPU per
    /// request alone when paced.
    pub family_size: usize,
    /// One per target x workload compared.
    pub comparisons: Vec<Comparison>,
    /// Targets skipped, with the reason.
    pub skipped: Vec<String>,
    /// Looks taken.
    pub looks_used: usize,
    /// Why the rounds stopped.
    pub stop: RoundsEnd,
    /// Whether hardware instruction counters were usable.
    pub counters: CounterCheck,
    /// The run's verdict.
    pub verdict: RunVerdict,
    /// Why the run is inconclusive, when a reason other than noise applies.
    pub reason: Option<String>,
    /// The exit status the CLI returns.
    pub exit_status: u8,
    /// Seconds of rounds (after building and verifying).
    pub rounds_elapsed_s: f64,
}

/// What to compare and how.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Targets, in order.
    pub targets: Vec<String>,
    /// Workloads, in order.
    pub workloads: Vec<Workload>,
    /// How each round runs.
    pub setup: RoundSetup,
    /// How the rounds are decided and stopped.
    pub sequential: SequentialOptions,
}

/// Names for the report: the base as given, its commit, and the head as given.
#[derive(Clone, Debug)]
pub struct Names {
    /// The base reference as given.
    pub base: String,
    /// Its full commit id.
    pub base_commit: String,
    /// The head reference as given, or "working tree".
    pub head: String,
}

impl RunSpec {
    /// The line `stampede compare` starts with: what is compared with what, and how.
    pub fn describe(&self, names: &Names) -> String {
        let schedule = &self.sequential.schedule;
        format!(
            "comparing {} ({}) with {}: {} rounds first, +{} per look up to {} (max {:?}), {:?} each; server CPUs {}, client CPUs {}{}",
            names.base,
            &names.base_commit[..12.min(names.base_commit.len())],
            names.head,
            schedule.initial_rounds,
            schedule.step_rounds,
            schedule.max_rounds,
            self.sequential.max_time,
            self.setup.duration,
            self.setup.server_cpus,
            self.setup.client_cpus,
            if self.setup.null_control {
                "; with a null control"
            } else {
                ""
            }
        )
    }
}

/// Runs the comparison. `progress` gets one line per event worth telling the user.
pub fn compare(
    base: &Side,
    head: &Side,
    names: Names,
    spec: &RunSpec,
    mut progress: impl FnMut(&str),
) -> Result<CompareOutput, SessionError> {
    let mut duets = Vec::new();
    let mut skipped = Vec::new();
    'targets: for target in &spec.targets {
        for workload in &spec.workloads {
            // A partial target: one line for each workload the head's catalog says it does
            // not serve, and on to the next workload.
            let serves = head
                .catalog
                .target(target)
                .map(|t| t.serves(workload.name()));
            if serves.is_ok_and(|served| !served) {
                let line = not_served_line(target, workload.name());
                progress(&line);
                skipped.push(line);
                continue;
            }
            match Duet::prepare(base, head, target, workload.clone(), &spec.setup) {
                Ok(duet) => {
                    if let Some(paced) = duet.paced() {
                        progress(&format!("{target} {workload}: {}", paced.describe()));
                    }
                    duets.push(duet);
                }
                Err(err) if err.is_skip() => {
                    progress(&err.to_string());
                    skipped.push(err.to_string());
                    continue 'targets;
                }
                Err(err) => return Err(err),
            }
        }
    }
    let started = Instant::now();
    let outcome = run_sequence(
        duets.len(),
        &spec.sequential,
        |pair, round| {
            let duet = &duets[pair];
            let figures = duet.round(round)?;
            let throughput = match figures.paced.and_then(|p| p.rate_per_sec()) {
                // Paced: what each side served of the rate (short of 1, it fell behind).
                Some(rate) => format!(
                    "served/paced base {:.3} head {:.3}",
                    figures.base.rps / rate,
                    figures.head.rps / rate
                ),
                None => format!("head/base req/s {:.3}", figures.throughput_ratio()),
            };
            progress(&format!(
                "{} {} round {}: {throughput}, CPU/request {:.3}, clients {:.0}% busy{}",
                duet.target(),
                duet.workload(),
                round + 1,
                figures.cpu_ratio(),
                figures.client_cpu_busy * 100.0,
                match figures.paced {
                    Some(_) => figures.null_cpu_ratio().map_or(String::new(), |r| format!(
                        ", null control CPU/request {r:.3}"
                    )),
                    None => figures
                        .null_throughput_ratio()
                        .map_or(String::new(), |r| format!(", null control req/s {r:.3}")),
                },
            ));
            Ok::<_, SessionError>(figures)
        },
        || started.elapsed(),
    )?;
    let comparisons: Vec<Comparison> = duets
        .iter()
        .zip(outcome.pairs)
        .map(|(duet, outcome)| Comparison {
            target: duet.target().to_owned(),
            workload: duet.workload().to_string(),
            paced: duet.paced(),
            outcome,
        })
        .collect();
    let family_size = comparisons
        .iter()
        .map(|c| if c.paced.is_some() { 1 } else { 2 })
        .sum();
    let (verdict, reason) = run_verdict(&comparisons, outcome.stop);
    Ok(CompareOutput {
        base: names.base,
        base_commit: names.base_commit,
        head: names.head,
        threshold_pct: spec.sequential.threshold * 100.0,
        sequential: spec.sequential,
        round_duration_s: spec.setup.duration.as_secs_f64(),
        connections: spec.setup.connections,
        server_cpus: spec.setup.server_cpus.to_string(),
        client_cpus: spec.setup.client_cpus.to_string(),
        family_size,
        comparisons,
        skipped,
        looks_used: outcome.looks_used,
        stop: outcome.stop,
        counters: counters::check(),
        verdict,
        reason,
        exit_status: verdict.exit_status(),
        rounds_elapsed_s: started.elapsed().as_secs_f64(),
    })
}

/// The run's verdict: a null control that moved makes everything inconclusive; otherwise any
/// regression fails the run.
pub fn run_verdict(comparisons: &[Comparison], stop: RoundsEnd) -> (RunVerdict, Option<String>) {
    let moved: Vec<String> = comparisons
        .iter()
        .filter(|c| {
            c.outcome.null_control.is_some_and(|n| {
                n.throughput.verdict.is_alarm() || n.cpu_per_request.verdict.is_alarm()
            })
        })
        .map(|c| format!("{} {}", c.target, c.workload))
        .collect();
    if !moved.is_empty() {
        return (
            RunVerdict::Inconclusive,
            Some(format!(
                "the null control (base against itself) moved beyond the threshold in {}: the machine was too noisy to trust this run",
                moved.join(", ")
            )),
        );
    }
    if comparisons
        .iter()
        .any(|c| c.outcome.verdict == Verdict::Regressed)
    {
        return (RunVerdict::Regressed, None);
    }
    let open: Vec<String> = comparisons
        .iter()
        .filter(|c| c.outcome.verdict == Verdict::Inconclusive)
        .map(|c| {
            match c
                .outcome
                .throughput_note
                .as_ref()
                .or(c.outcome.cpu_note.as_ref())
            {
                Some(note) => format!("{} {} ({note})", c.target, c.workload),
                None => format!("{} {}", c.target, c.workload),
            }
        })
        .collect();
    if comparisons.is_empty() {
        return (
            RunVerdict::Inconclusive,
            Some("nothing was compared".into()),
        );
    }
    if open.is_empty() {
        return (RunVerdict::NoRegression, None);
    }
    let why = match stop {
        RoundsEnd::TimeCap => "the time cap (--max-time) came first",
        RoundsEnd::MaxRounds | RoundsEnd::AllDecided => {
            "the planned rounds (--max-rounds) were spent"
        }
    };
    (
        RunVerdict::Inconclusive,
        Some(format!("undecided: {}; {why}", open.join(", "))),
    )
}
