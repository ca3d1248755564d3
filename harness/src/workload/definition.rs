//! What one workload is once its entry is checked: its request, its parameter, where its
//! answers come from, the commands that run it by default; and the `[open_loop]` settings.

use serde::Deserialize;

use crate::bodies::BodyKind;
use crate::database::DatabaseDemand;

/// Where the answers of a workload without a body come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerSource {
    /// The success vector of exactly this request in spec/vectors.json.
    Vector,
    /// A success vector of the same method and path before `?`: for a parameter that does not
    /// change the answer (`/sleep?ms=N` answers `ok` whatever N).
    Route,
    /// Rows of `World` checked against the table as the harness read it: one object, or an
    /// array of the parameter's count (`/db`, `/queries?queries=N`).
    World,
    /// Rows of `World` with new numbers, checked for their count and range (`/updates`).
    WorldUpdated,
    /// The fortunes page rendered from `Fortune` as the harness read it.
    Fortunes,
}

impl AnswerSource {
    /// True for answers that come from the database, not from spec/vectors.json.
    pub fn from_database(self) -> bool {
        matches!(self, Self::World | Self::WorldUpdated | Self::Fortunes)
    }
}

/// A command that runs a workload when the user names none (`default_for` in the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultFor {
    /// `stampede compare` (the duet): each workload costs minutes of rounds per target.
    Compare,
    /// `stampede icount` and `compare --metric instructions`.
    Icount,
}

/// The workload's one numeric parameter, e.g. the rounds of `hash:19000`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    /// Its name: the placeholder in the path (`{rounds}`) and `NAME[:ROUNDS]` in messages.
    pub name: String,
    /// The value when a workload name gives none (`hash` is `hash:1000`).
    pub default: u32,
    /// How benchmark IDs name a value: `{}` is the number, `{k}` the number in thousands when
    /// it is a whole number of them (`r{k}`: 19000 -> `r19k`, 1500 -> `r1500`). Default: the
    /// parameter's name then the number (`ms10`).
    #[serde(default)]
    pub id: Option<String>,
    /// The parameter is a wait in milliseconds: an answer sooner than that is `too-fast`.
    #[serde(default)]
    pub wait: bool,
}

impl ParamDef {
    /// The ID of `value`: `r19k`, `ms10`.
    pub fn label(&self, value: u32) -> String {
        let thousands = if value >= 1000 && value % 1000 == 0 {
            format!("{}k", value / 1000)
        } else {
            value.to_string()
        };
        match &self.id {
            Some(template) => template
                .replace("{k}", &thousands)
                .replace("{}", &value.to_string()),
            None => format!("{}{value}", self.name),
        }
    }
}

/// One workload: the request each load connection sends and the answer it must get.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadDef {
    /// Its name, as in `stampede load --workload NAME[:PARAM]`.
    pub name: String,
    /// One line: what it measures.
    pub about: String,
    /// HTTP method.
    pub method: String,
    /// Path and query; `{<param name>}` stands for the parameter.
    pub path: String,
    /// Extra request headers, by name.
    pub headers: Vec<(String, String)>,
    /// The parameter, if any.
    pub param: Option<ParamDef>,
    /// The body generator; `None`: no body.
    pub body: Option<BodyKind>,
    /// Where answers come from without a body.
    pub answer: AnswerSource,
    /// The commands that run it when none is named.
    pub default_for: Vec<DefaultFor>,
    /// What it asks of the database per request; `None`: it needs none.
    pub database: Option<DatabaseDemand>,
}

impl WorkloadDef {
    /// The path with `value` in place of the parameter.
    pub fn path_with(&self, value: Option<u32>) -> String {
        match (&self.param, value) {
            (Some(param), Some(value)) => self
                .path
                .replace(&format!("{{{}}}", param.name), &value.to_string()),
            _ => self.path.clone(),
        }
    }

    /// `NAME` or `NAME[:PARAM]`, for lists of known workloads.
    pub fn usage(&self) -> String {
        match &self.param {
            Some(p) => format!("{}[:{}]", self.name, p.name.to_uppercase()),
            None => self.name.clone(),
        }
    }
}

/// `[open_loop]`: how tail-latency runs are sized (which benchmarks get them is each group's
/// `tails`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLoopSettings {
    /// Fractions of each target's own measured capacity.
    pub fractions: Vec<f64>,
    /// Samples each run aims for (10,000 leave 10 beyond p99.9).
    pub samples_goal: u64,
    /// Samples a run aims for when `max_seconds` cannot buy `samples_goal` at its rate: no
    /// p99.9 is within reach then, and running to the limit only narrows the p99's interval
    /// (2,500 leave 25 beyond p99).
    pub p99_samples_goal: u64,
    /// Shortest run.
    pub min_seconds: f64,
    /// Longest run, whatever the samples.
    pub max_seconds: f64,
}

impl OpenLoopSettings {
    /// How long to run at `rate_per_sec` to get the goal of samples, within the bounds: the
    /// p99.9's goal where the bounds allow it, else the p99's.
    pub fn seconds_at(&self, rate_per_sec: f64) -> f64 {
        let rate = rate_per_sec.max(1e-9);
        let for_p999 = self.samples_goal as f64 / rate;
        let seconds = if for_p999 <= self.max_seconds {
            for_p999
        } else {
            self.p99_samples_goal as f64 / rate
        };
        seconds.clamp(self.min_seconds, self.max_seconds)
    }
}
