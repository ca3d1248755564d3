//! spec/workloads.toml as written, before anything is resolved: the raw `[[workloads]]`
//! entries with their `[[workloads.groups]]`, and the checks that turn an entry into a
//! [`WorkloadDef`] (names, path placeholders, where answers come from).

use serde::Deserialize;

use super::definition::{AnswerSource, DefaultFor, OpenLoopSettings, ParamDef, WorkloadDef};
use super::groups::Sampling;
use crate::bodies::BodyKind;
use crate::database::DatabaseDemand;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SpecFile {
    pub(super) open_loop: OpenLoopSettings,
    pub(super) workloads: Vec<WorkloadEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WorkloadEntry {
    pub(super) name: String,
    about: String,
    method: String,
    path: String,
    #[serde(default)]
    headers: toml::Table,
    #[serde(default)]
    param: Option<ParamDef>,
    #[serde(default)]
    body: Option<BodyKind>,
    #[serde(default)]
    answer: Option<AnswerSource>,
    #[serde(default)]
    default_for: Vec<DefaultFor>,
    #[serde(default)]
    database: Option<DatabaseDemand>,
    #[serde(default)]
    groups: Vec<GroupEntry>,
}

/// One Criterion group as written; [`BenchGroup`](super::BenchGroup) is it resolved into cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupEntry {
    pub(super) name: String,
    /// The measured workload, `NAME[:PARAM]`; default: the entry it sits in.
    #[serde(default)]
    pub(super) workload: Option<String>,
    #[serde(default)]
    pub(super) sampling: Sampling,
    pub(super) connections: Vec<usize>,
    /// Parameter values; default: the workload's own.
    #[serde(default)]
    pub(super) params: Option<Vec<u32>>,
    #[serde(default = "one")]
    pub(super) pipeline: usize,
    /// The case part of benchmark IDs.
    #[serde(default = "connections_id")]
    pub(super) id: String,
    #[serde(default)]
    pub(super) background: Option<BackgroundEntry>,
    #[serde(default)]
    pub(super) tails: Vec<TailEntry>,
    #[serde(default)]
    pub(super) soak: Option<SoakEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SoakEntry {
    pub(super) fraction: f64,
    pub(super) minutes: f64,
    #[serde(default = "one_second")]
    pub(super) timeline_ms: u64,
}

fn one_second() -> u64 {
    1000
}

fn one() -> usize {
    1
}

fn connections_id() -> String {
    "c{connections}".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BackgroundEntry {
    pub(super) connections: usize,
    pub(super) loads: Vec<BackgroundLoad>,
    pub(super) probe: ProbeEntry,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BackgroundLoad {
    pub(super) id: String,
    pub(super) workload: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProbeEntry {
    pub(super) connections: usize,
    pub(super) rate_per_sec: f64,
    pub(super) seconds: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TailEntry {
    pub(super) id: String,
    pub(super) common_rate_per_sec: f64,
    #[serde(default)]
    pub(super) fractions: Option<Vec<f64>>,
}

/// The entry's workload, checked, and its groups (resolved once every workload is known).
pub(super) fn definition(entry: WorkloadEntry) -> Result<(WorkloadDef, Vec<GroupEntry>), String> {
    let WorkloadEntry {
        name,
        about,
        method,
        path,
        headers,
        param,
        body,
        answer,
        default_for,
        database,
        groups,
    } = entry;
    if name.is_empty() || name.contains(['/', ':', ',', ' ']) {
        return Err("a name must be non-empty, without '/', ':', ',' or spaces (IDs and `NAME:PARAM` split on them)".into());
    }
    if !path.starts_with('/') {
        return Err(format!("path {path:?} must start with '/'"));
    }
    let placeholders: Vec<&str> = path
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(inside, _)| inside))
        .collect();
    match (&param, placeholders.as_slice()) {
        (None, []) => {}
        (Some(p), [one]) if *one == p.name => {}
        (Some(p), _) => {
            return Err(format!(
                "path {path:?} must hold `{{{}}}` once, where the parameter goes",
                p.name
            ));
        }
        (None, _) => {
            return Err(format!(
                "path {path:?} has a placeholder but the workload has no `param`"
            ));
        }
    }
    if let Some(template) = param.as_ref().and_then(|p| p.id.as_ref())
        && !template.contains("{}")
        && !template.contains("{k}")
    {
        return Err(format!(
            "param id {template:?} must hold `{{}}` or `{{k}}`, where the number goes"
        ));
    }
    let answer = match (body, answer) {
        (Some(kind), None) => {
            if kind.needs_param() && param.is_none() {
                return Err(format!(
                    "body {kind:?} needs a `param` (its answers depend on it)"
                ));
            }
            AnswerSource::Vector
        }
        (Some(_), Some(_)) => {
            return Err(
                "give `body` (answers come from its generator) or `answer`, not both".into(),
            );
        }
        (None, answer) => answer.unwrap_or(AnswerSource::Vector),
    };
    if answer.from_database() != database.is_some() {
        return Err("answers from the database (answer = \"world\", \"world-updated\" or \"fortunes\") and a `database` demand go together: give both or neither".into());
    }
    if body.is_none() && answer == AnswerSource::Vector && param.is_some() {
        return Err("with a `param` and no body the answer cannot be one fixed vector: use answer = \"route\" when the parameter does not change the answer, or a body generator".into());
    }
    let headers = headers
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(v) => Ok((k, v)),
            other => Err(format!("header {k} must be a string, got {other}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let definition = WorkloadDef {
        name,
        about,
        method,
        path,
        headers,
        param,
        body,
        answer,
        default_for,
        database,
    };
    Ok((definition, groups))
}
