//! One benchmark ID's comparable runs in order, and what changed along them: the latest run
//! against the one before, and the change points placed on the commits where they happened.

use serde::Serialize;

use super::changepoint::{self, Settings};
use crate::evidence::Commit;

/// One run's figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunValue {
    /// The run.
    pub run_id: String,
    /// When its record was written.
    pub time: String,
    /// Commit, with `-dirty` for uncommitted changes.
    pub commit: String,
    /// The figure.
    pub value: f64,
    /// Flags its record raised.
    pub flags: Vec<String>,
    /// Toolchain and framework versions of the target, as recorded.
    pub versions: String,
}

/// The latest run against the one before it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Previous {
    /// The previous run's figure.
    pub value: f64,
    /// Its commit.
    pub commit: String,
    /// latest / previous - 1.
    pub relative_change: f64,
}

/// A change point placed on the commits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommitChange {
    /// Index into [`Trend::runs`](super::trend::Trend::runs) of the first run at the new level.
    pub index: usize,
    /// That run's commit: where the change shows first.
    pub commit: String,
    /// The commit of the run before it.
    pub previous_commit: String,
    /// True when both runs are of the same commit: the machine drifted, the code did not.
    pub within_commit: bool,
    /// Mean after / mean before - 1.
    pub relative_change: f64,
    /// Mean of the segment before.
    pub mean_before: f64,
    /// Mean of the segment after.
    pub mean_after: f64,
    /// Permutation p-value.
    pub p_value: f64,
    /// The toolchain or framework changed between the two runs: `old -> new`.
    pub versions_changed: Option<String>,
}

/// The first 10 characters of a commit, keeping a `-dirty` suffix.
pub fn short(commit: &str) -> String {
    let commit = Commit::parse(commit);
    let hash = commit.hash.chars().take(10).collect();
    Commit { hash, ..commit }.to_string()
}

impl CommitChange {
    /// The change in words, for the page and the terminal: `-10.0% at bbbb (after aaaa), p =
    /// 0.001`, or `... between runs of bbbb (same commit: the machine drifted)`.
    pub fn describe(&self) -> String {
        let change = format!("{:+.1}%", self.relative_change * 100.0);
        let commit = short(&self.commit);
        if self.within_commit {
            return format!("{change} between runs of {commit} (same commit: the machine drifted)");
        }
        let versions = self.versions_changed.as_ref();
        format!(
            "{change} at {commit} (after {}), p = {:.3}{}",
            short(&self.previous_commit),
            self.p_value,
            versions.map_or_else(String::new, |v| format!(", versions {v}"))
        )
    }
}

pub(super) fn previous_of(runs: &[RunValue]) -> Option<Previous> {
    let [.., before, last] = runs else {
        return None;
    };
    Some(Previous {
        value: before.value,
        commit: before.commit.clone(),
        relative_change: if before.value == 0.0 {
            0.0
        } else {
            last.value / before.value - 1.0
        },
    })
}

pub(super) fn change_points_of(runs: &[RunValue], settings: &Settings) -> Vec<CommitChange> {
    let values: Vec<f64> = runs.iter().map(|r| r.value).collect();
    changepoint::detect(&values, settings)
        .into_iter()
        .filter_map(|cp| {
            let (before, after) = (runs.get(cp.index.checked_sub(1)?)?, runs.get(cp.index)?);
            Some(CommitChange {
                index: cp.index,
                commit: after.commit.clone(),
                previous_commit: before.commit.clone(),
                within_commit: after.commit == before.commit,
                relative_change: cp.relative_change(),
                mean_before: cp.mean_before,
                mean_after: cp.mean_after,
                p_value: cp.p_value,
                versions_changed: (before.versions != after.versions)
                    .then(|| format!("{} -> {}", before.versions, after.versions)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_shortened_keeping_the_dirty_mark() {
        assert_eq!(short("0123456789abcdef-dirty"), "0123456789-dirty");
        assert_eq!(short("abc"), "abc");
    }
}
