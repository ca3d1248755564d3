//! Where a workload's expected answers come from, and the check that spec/vectors.json holds a
//! success vector for every workload's request: `stampede verify` replays every vector on every
//! target before any load, so a target without a handler for a workload fails there, naming it.

use super::definition::{AnswerSource, WorkloadDef};
use super::spec::WorkloadSpec;
use crate::load::check::ExpectedBody;
use crate::vectors::Vector;

/// The path before its query.
pub(super) fn route(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// The answer a success vector gives, when it says one.
fn answer_of(vector: &Vector) -> Option<ExpectedBody> {
    match (&vector.expect.body, &vector.expect.json) {
        (Some(body), _) => Some(ExpectedBody::Exact(body.clone().into_bytes())),
        (None, Some(json)) => Some(ExpectedBody::json(json.clone())),
        (None, None) => None,
    }
}

fn success<'a>(
    vectors: &'a [Vector],
    method: &'a str,
    matches: impl Fn(&str) -> bool + 'a,
) -> impl Iterator<Item = &'a Vector> + 'a {
    vectors.iter().filter(move |v| {
        v.expect.status == 200 && v.request.method == method && matches(&v.request.path)
    })
}

/// The answer to `definition`'s request at `path` (parameter filled in), for a workload
/// without a body: from the vectors, as its `answer` says.
pub(super) fn vector_answer(
    definition: &WorkloadDef,
    path: &str,
    vectors: &[Vector],
) -> Option<ExpectedBody> {
    let method = definition.method.as_str();
    match definition.answer {
        AnswerSource::Vector => success(vectors, method, |p| p == path).find_map(answer_of),
        AnswerSource::Route => {
            success(vectors, method, |p| route(p) == route(path)).find_map(answer_of)
        }
        // Read from the database when a load connects (crate::session).
        AnswerSource::World | AnswerSource::WorldUpdated | AnswerSource::Fortunes => None,
    }
}

impl WorkloadSpec {
    /// What spec/vectors.json lacks for these workloads, one line per workload: every
    /// workload's method and route need a success vector (so verify exercises every target's
    /// handler for it), and a workload whose answers come from the vectors needs one that
    /// states the answer. Empty when nothing is missing.
    pub fn unanswered(&self, vectors: &[Vector]) -> Vec<String> {
        let mut missing = Vec::new();
        // A database workload's answers depend on the rows, so verify has cases of its own for
        // them (crate::verify_database) instead of vectors.
        for definition in self.definitions().iter().filter(|d| d.database.is_none()) {
            let path = definition.path_with(definition.param.as_ref().map(|p| p.default));
            let method = definition.method.as_str();
            let fix = "add one to spec/gen_vectors.py and run `python3 spec/gen_vectors.py`";
            if success(vectors, method, |p| route(p) == route(&path))
                .next()
                .is_none()
            {
                missing.push(format!(
                    "workload `{}`: spec/vectors.json has no success (200) vector for {method} {}: {fix}, so `stampede verify` checks every target's handler before any load",
                    definition.name,
                    route(&path)
                ));
            } else if definition.body.is_none()
                && vector_answer(definition, &path, vectors).is_none()
            {
                let which = match definition.answer {
                    AnswerSource::Route => format!("{method} {}", route(&path)),
                    _ => format!("{method} {path}"),
                };
                missing.push(format!(
                    "workload `{}` takes its answer from spec/vectors.json, which has no success vector with a body or json for {which}: {fix}",
                    definition.name
                ));
            }
        }
        missing
    }
}
