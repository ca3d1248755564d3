//! `stampede compare`: duet A/B comparison of a base ref and the working tree (or a head ref).
//! Exit status: 0 when nothing regressed, 1 on a regression, 2 on an error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use stampede_harness::catalog::Catalog;
use stampede_harness::compare::markdown::{render_markdown, render_text};
use stampede_harness::compare::worktree::{checkout, resolve_commit};
use stampede_harness::compare::{DuetOptions, Side, Verdict, compare_target};
use stampede_harness::cpus::CpuSplit;
use stampede_harness::session::load_spec;
use stampede_harness::workload::Workload;

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// The base version: any git ref (branch, tag, commit).
    #[arg(long)]
    base: String,
    /// The head version (default: the working tree as it is).
    #[arg(long)]
    head: Option<String>,
    /// Targets to compare (default: every available target).
    #[arg(long, value_delimiter = ',')]
    targets: Vec<String>,
    /// Workloads to compare (default: plaintext,json for the duet; plaintext, json, order and
    /// the smallest hash for instructions).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<Workload>,
    /// Change in percent that counts as a regression (default: 5 for the duet, 0.5 for
    /// instructions).
    #[arg(long)]
    threshold: Option<f64>,
    /// Duet rounds per target and workload.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Load time per round.
    #[arg(long, default_value = "3s", value_parser = super::parse_duration)]
    round_duration: Duration,
    /// Connections per side.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Also write the verdict table as Markdown here (for a PR comment).
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Also write every round as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    // --- instructions metric (issue 19); the duet ignores these ---
    /// What decides: `duet` (requests/s and CPU per request, both versions loaded at once) or
    /// `instructions` (user-space instructions per request under Valgrind; deterministic).
    #[arg(long, value_enum, default_value_t = Metric::Duet)]
    metric: Metric,
    /// With --metric instructions: fresh server processes per side.
    #[arg(long, default_value_t = stampede_harness::icount::DEFAULT_REPETITIONS)]
    repetitions: usize,
}

/// The metric `compare` decides on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Metric {
    /// Duet A/B: requests/s and server CPU per request.
    Duet,
    /// User-space instructions per request under Valgrind.
    Instructions,
}

pub(crate) fn run(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    if args.metric == Metric::Instructions {
        return super::compare_instructions::run(
            &super::compare_instructions::InstructionsCompare {
                base: &args.base,
                head: args.head.as_deref(),
                targets: &args.targets,
                workloads: &args.workloads,
                threshold_pct: args.threshold,
                repetitions: args.repetitions,
                markdown: args.markdown.as_deref(),
                json: args.json.as_deref(),
            },
        );
    }
    let threshold = args.threshold.unwrap_or(5.0);
    let workloads = if args.workloads.is_empty() {
        vec![Workload::Plaintext, Workload::Json]
    } else {
        args.workloads.clone()
    };
    if !(threshold > 0.0 && threshold < 100.0) {
        anyhow::bail!("--threshold must be a percentage between 0 and 100, got {threshold}");
    }
    let head_catalog = Catalog::discover()?;
    let root = head_catalog.root().to_path_buf();
    let base_commit = resolve_commit(&root, &args.base)?;
    let base_dir = checkout(&root, &base_commit)?;
    let base_catalog = Catalog::load(&base_dir)
        .with_context(|| format!("the base {} has no usable catalog", args.base))?;
    let (head_catalog, head_name) = match &args.head {
        Some(reference) => {
            let dir = checkout(&root, &resolve_commit(&root, reference)?)?;
            (Catalog::load(&dir)?, reference.clone())
        }
        None => (head_catalog, "working tree".to_owned()),
    };
    let base = Side {
        label: "base",
        vectors: load_spec(&base_catalog)?,
        catalog: base_catalog,
    };
    let head = Side {
        label: "head",
        vectors: load_spec(&head_catalog)?,
        catalog: head_catalog,
    };
    let split = CpuSplit::resolve(None, None)?;
    let options = DuetOptions {
        rounds: args.rounds,
        round_duration: args.round_duration,
        connections: args.connections,
        threshold: threshold / 100.0,
        server_cpus: split.server,
        client_cpus: split.client,
    };
    let targets = if args.targets.is_empty() {
        head.catalog.names()
    } else {
        args.targets.clone()
    };
    eprintln!(
        "comparing {} ({}) with {head_name}: {} round(s) of {:?} per target and workload, server CPUs {}, client CPUs {}",
        args.base,
        &base_commit[..12.min(base_commit.len())],
        options.rounds,
        options.round_duration,
        options.server_cpus,
        options.client_cpus
    );
    let mut comparisons = Vec::new();
    for target in &targets {
        for workload in &workloads {
            match compare_target(&base, &head, target, *workload, &options) {
                Ok(c) => {
                    eprintln!(
                        "{target} {workload}: {} in {:.0}s",
                        c.verdict.as_str(),
                        c.elapsed_s
                    );
                    comparisons.push(c);
                }
                Err(err) if err.is_skip() => {
                    eprintln!("{err}");
                    break;
                }
                Err(err) => {
                    return Err(err).with_context(|| format!("comparing {target} {workload}"));
                }
            }
        }
    }
    print!("{}", render_text(&comparisons));
    if let Some(path) = &args.markdown {
        let text = render_markdown(&comparisons, &args.base, &head_name, threshold);
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&comparisons)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let regressed = comparisons.iter().any(|c| c.verdict == Verdict::Regressed);
    Ok(if regressed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
