//! Claims check: the published claims (`spec/claims.toml`) as ratios between two sides of our
//! results, or for claims about time as each target's verdict over a soak run, each evaluated
//! on this machine to holds / does not hold / not comparable, with why.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SummaryError;
use super::format::{bytes, latency, rate, ratio};
use crate::evidence::{ResultRecord, quantile_name};
use crate::load::latency::Percentile;

mod evaluate;
mod growth;
mod remedy;

pub use evaluate::evaluate;

/// Where the claims live, relative to the workspace root.
pub const CLAIMS_FILE: &str = "spec/claims.toml";

/// The claims built into the binary, for when the workspace's file cannot be found.
const BUILTIN: &str = include_str!("../../../../spec/claims.toml");

/// All claims with the default tolerance.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSet {
    /// A measured ratio within this share of the claimed ratio holds (0.25 = ±25%).
    pub tolerance: f64,
    /// The claims, in report order.
    #[serde(default)]
    pub claims: Vec<Claim>,
}

/// One claim reduced to a ratio `a / b` of one metric, or to a verdict on each target of `a`
/// over time (`memory_growth`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Short id, e.g. `1a`.
    pub id: String,
    /// Number of the claim in `seed-claims.md`.
    pub source: u32,
    pub claim: String,
    pub metric: Metric,
    /// Which parameter (connections, rounds) to compare at.
    #[serde(default)]
    pub at: At,
    /// The numerator; for `memory_growth`, the targets judged.
    pub a: Term,
    /// The denominator; none for `memory_growth`, which judges each target of `a` alone.
    pub b: Option<Term>,
    /// Which side of 1 the claim puts `a / b`; `stable` for `memory_growth`.
    pub expect: Expect,
    /// The ratio the claim states, if it states one.
    pub claimed_ratio: Option<f64>,
    /// Overrides the set's tolerance.
    pub tolerance: Option<f64>,
    /// Latency metrics: which open-loop run of each record to read (`common rate`,
    /// `80% of capacity`, ...): tails come from open loops, never from closed ones.
    pub open_loop: Option<String>,
    /// What a run must offer for the claim to be comparable at all.
    #[serde(default)]
    pub needs: Needs,
}

/// Preconditions of a claim: when a run does not meet them, the verdict is "not comparable"
/// with the reason, not "does not hold".
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Needs {
    /// Fewest server cores: offloading or event-loop blocking changes nothing on one core,
    /// where the same core does the work either way.
    pub server_cores: Option<usize>,
}

/// A side of a ratio: targets on one workload.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub workload: String,
    /// Targets; with several, `pick` chooses among those measured.
    pub targets: Vec<String>,
    /// With several targets: take the largest or smallest value.
    #[serde(default)]
    pub pick: Pick,
}

/// How a side with several targets becomes one value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    #[default]
    Largest,
    Smallest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Successful requests per second.
    RequestsPerSec,
    P50Us,
    P99Us,
    P999Us,
    MeanUs,
    /// Peak PSS of the server's processes.
    PeakPssBytes,
    /// PSS per connection: (peak PSS at N connections - idle PSS) / N.
    PssPerConnectionBytes,
    /// Requests/s at the largest common parameter over that at the smallest.
    RequestsPerSecRetention,
    /// The verdict of a soak run's timeline on the server's PSS: `stable` or `grows`, from the
    /// slope over the run's last two thirds and its interval. Not a ratio: `expect = "stable"`
    /// and no `b`.
    MemoryGrowth,
}

impl Metric {
    fn label(self) -> &'static str {
        match self {
            Self::RequestsPerSec => "req/s",
            Self::P50Us => "p50 latency",
            Self::P99Us => "p99 latency",
            Self::P999Us => "p99.9 latency",
            Self::MeanUs => "mean latency",
            Self::PeakPssBytes => "peak PSS",
            Self::PssPerConnectionBytes => "PSS per connection",
            Self::RequestsPerSecRetention => "req/s kept as connections grow",
            Self::MemoryGrowth => "memory growth over the run's last two thirds",
        }
    }

    /// Throughput compares capacities: only server-bound runs count. Memory does not depend
    /// on who limited the throughput. Latency comes from open loops, checked on their own.
    fn needs_server_bound(self) -> bool {
        matches!(self, Self::RequestsPerSec | Self::RequestsPerSecRetention)
    }

    /// The quantile an open-loop latency metric reads; `None` for the mean and non-latency.
    fn quantile(self) -> Option<f64> {
        match self {
            Self::P50Us => Some(0.5),
            Self::P99Us => Some(0.99),
            Self::P999Us => Some(0.999),
            _ => None,
        }
    }

    fn is_latency(self) -> bool {
        self.quantile().is_some() || self == Self::MeanUs
    }

    fn show(self, value: f64) -> String {
        match self {
            Self::RequestsPerSec => format!("{} req/s", rate(value)),
            Self::PeakPssBytes => bytes(value),
            Self::PssPerConnectionBytes => format!("{}/conn", bytes(value)),
            Self::RequestsPerSecRetention => format!("{:.0}%", value * 100.0),
            Self::MemoryGrowth => format!("{}/min", bytes(value)),
            _ => latency(value),
        }
    }

    /// The metric's value in one record; latency from the open-loop run `open_loop`.
    fn point(self, r: &ResultRecord, open_loop: Option<&str>) -> Result<f64, String> {
        if !self.is_latency() {
            return Ok(match self {
                Self::PeakPssBytes | Self::PssPerConnectionBytes => peak_pss_bytes(r) as f64,
                _ => r.figures.requests_per_sec,
            });
        }
        let label = open_loop.unwrap_or("common rate");
        let run = r.figures.open_loop.iter().find(|run| run.label == label);
        let run = run.ok_or_else(|| {
            let filter = r.id.filter();
            let remedy = remedy::for_missing_open_loop(&filter);
            format!("{} has no open-loop run at {label}; {remedy}", r.id)
        })?;
        if run.client_late || !run.sustained {
            let why = match run.client_late {
                true => "client-late",
                false => "not sustained by the server",
            };
            let remedy = remedy::for_open_loop(run.client_late);
            return Err(format!(
                "{}'s open loop at {label} was {why}; {remedy}",
                r.id
            ));
        }
        let Some(q) = self.quantile() else {
            return Ok(run.mean_us);
        };
        let (id, name) = (&r.id, quantile_name(q));
        let named = |p: &&Percentile| quantile_name(p.quantile) == name;
        let p = run.percentiles.iter().find(named);
        let p =
            p.ok_or_else(|| format!("{id} lacks p{name}; {}", remedy::for_missing(id.as_str())))?;
        let beyond = p.samples_beyond;
        let na = || {
            let remedy = remedy::for_samples(q, run.rate_per_sec, beyond);
            format!("{id}'s p{name} at {label} is n/a: {remedy}")
        };
        p.us.map(|us| us as f64).ok_or_else(na)
    }
}

/// The highest PSS of a record's server: in its measured windows, or in its timeline's
/// intervals (a soak's minutes), whichever is higher.
fn peak_pss_bytes(r: &ResultRecord) -> u64 {
    let rows = r.figures.timeline.iter().flat_map(|t| &t.rows);
    let over_time = rows.filter_map(|row| row.server).map(|s| s.pss_bytes);
    over_time.fold(r.figures.server.peak_pss_bytes, u64::max)
}

/// Which side of 1 a claim puts its ratio, or, for a claim about time, that the figure does
/// not grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// `a / b > 1`.
    Above,
    /// `a / b < 1`.
    Below,
    /// `memory_growth`: every target of `a` judged `stable` over a soak run.
    Stable,
}

/// The parameter a claim is compared at; written as text in the TOML.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub enum At {
    /// `largest-common`: the largest number both sides ran.
    #[default]
    LargestCommon,
    /// `smallest-common`: the smallest number both sides ran.
    SmallestCommon,
    /// `cpu-near-us:N`: the common parameter whose server CPU per request is nearest N µs.
    CpuNearUs(f64),
    /// Any other text: exactly this parameter, e.g. `c512`.
    Param(String),
}

impl TryFrom<String> for At {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Ok(match text.as_str() {
            "largest-common" => Self::LargestCommon,
            "smallest-common" => Self::SmallestCommon,
            _ => match text.strip_prefix("cpu-near-us:") {
                Some(n) => Self::CpuNearUs(n.parse().map_err(|_| format!("bad `at` {text:?}"))?),
                None => Self::Param(text),
            },
        })
    }
}

/// The outcome of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub enum Verdict {
    /// Same side of 1 and within tolerance.
    #[serde(rename = "holds")]
    Holds,
    /// Other side of 1, or outside tolerance.
    #[serde(rename = "does not hold")]
    DoesNotHold,
    /// Missing or flagged inputs.
    #[serde(rename = "not comparable")]
    NotComparable,
}

impl Verdict {
    /// The verdict as the report prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holds => "holds",
            Self::DoesNotHold => "does not hold",
            Self::NotComparable => "not comparable",
        }
    }
}

/// One claim evaluated against the results.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ClaimCheck {
    pub id: String,
    /// Number in `seed-claims.md`.
    pub source: u32,
    pub claim: String,
    /// What was compared, e.g. `req/s on json-doc at c512: actix ÷ gin`.
    pub compared: String,
    /// Which side of 1 the claim puts the ratio, or `stable`.
    pub expect: Expect,
    /// The claimed ratio, if any.
    pub claimed_ratio: Option<f64>,
    pub tolerance: f64,
    /// The measured ratio, when comparable (none for a claim about time).
    pub measured_ratio: Option<f64>,
    /// The two measured values, with units; for a claim about time, each target's slope.
    pub measured: String,
    /// CPU sets, workers and versions of the inputs.
    pub setup: String,
    pub verdict: Verdict,
    pub why: String,
    /// Ids of the results used.
    pub inputs: Vec<String>,
}

impl ClaimCheck {
    /// The claimed figure as text: `1.35×`, or `above 1` when the claim gives no number.
    pub fn claimed_text(&self) -> String {
        match (self.claimed_ratio, self.expect) {
            (Some(r), _) => ratio(r),
            (None, Expect::Above) => "above 1".into(),
            (None, Expect::Below) => "below 1".into(),
            (None, Expect::Stable) => "stable".into(),
        }
    }

    /// The measured ratio as text, `—` when not comparable.
    pub fn measured_text(&self) -> String {
        self.measured_ratio.map_or_else(|| "—".into(), ratio)
    }
}

impl ClaimSet {
    pub fn load(path: &Path) -> Result<Self, SummaryError> {
        let read = std::fs::read_to_string(path);
        let text = read.map_err(|source| SummaryError::ReadClaims {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_file(&text, path)
    }

    pub fn builtin() -> Result<Self, SummaryError> {
        Self::parse_file(BUILTIN, Path::new(CLAIMS_FILE))
    }

    fn parse_file(text: &str, path: &Path) -> Result<Self, SummaryError> {
        let path = path.to_path_buf();
        Self::parse(text).map_err(|why| SummaryError::ParseClaims { path, why })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let set: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut ids = BTreeSet::new();
        for c in &set.claims {
            let bad = |why: &str| Err(format!("claim {}: {why}", c.id));
            if !ids.insert(c.id.as_str()) {
                return bad("the id is used twice");
            }
            let growth = c.metric == Metric::MemoryGrowth;
            if growth != (c.expect == Expect::Stable) {
                return bad("`memory_growth` goes with expect = \"stable\", and only it");
            }
            if growth && (c.b.is_some() || c.claimed_ratio.is_some()) {
                return bad("`memory_growth` judges the targets of `a` alone: no `b`, no ratio");
            }
            if growth && matches!(c.at, At::CpuNearUs(_)) {
                return bad("`cpu-near-us` does not apply to `memory_growth`");
            }
            if !growth && c.b.is_none() {
                return bad("a ratio claim needs `b`, its denominator");
            }
            if c.a.targets.is_empty() || c.b.as_ref().is_some_and(|b| b.targets.is_empty()) {
                return bad("each side needs at least one target");
            }
            let above = |r: f64| (r > 1.0) == (c.expect == Expect::Above);
            if c.claimed_ratio.is_some_and(|r| r <= 0.0 || !above(r)) {
                return bad("claimed_ratio must be positive and on the `expect` side of 1");
            }
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests;
