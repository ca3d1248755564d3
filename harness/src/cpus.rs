//! CPU sets: parsing `0,2-3` lists, reading what this process may use, and splitting the allowed
//! CPUs between server and client so neither steals the other's cycles.

use std::fmt;

use nix::sched::{CpuSet as NixCpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

/// Errors about CPU lists and affinity.
#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    /// The list could not be parsed.
    #[error("bad CPU list {list:?}: {why} (expected e.g. `0`, `0,2` or `0-3`)")]
    BadList {
        /// The text given.
        list: String,
        /// What is wrong with it.
        why: String,
    },
    /// The operating system refused to report or set affinity.
    #[error("CPU affinity: {0}")]
    Affinity(#[from] nix::Error),
}

/// An ordered set of CPU ids.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CpuSet(Vec<usize>);

impl CpuSet {
    /// A set from ids; duplicates are removed and the ids sorted.
    pub fn new(mut ids: Vec<usize>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        Self(ids)
    }

    /// Parses a list such as `0`, `0,2` or `1-3,6`.
    pub fn parse(list: &str) -> Result<Self, CpuError> {
        let bad = |why: &str| CpuError::BadList {
            list: list.to_owned(),
            why: why.to_owned(),
        };
        let mut ids = Vec::new();
        for part in list.split(',').map(str::trim) {
            if part.is_empty() {
                return Err(bad("empty element"));
            }
            let number = |s: &str| s.trim().parse::<usize>().map_err(|_| bad("not a number"));
            match part.split_once('-') {
                Some((lo, hi)) => {
                    let (lo, hi) = (number(lo)?, number(hi)?);
                    if lo > hi {
                        return Err(bad("range goes backwards"));
                    }
                    ids.extend(lo..=hi);
                }
                None => ids.push(number(part)?),
            }
        }
        if ids.len() > NixCpuSet::count() {
            return Err(bad("more CPUs than the kernel supports"));
        }
        Ok(Self::new(ids))
    }

    /// The CPUs this process is allowed to run on.
    pub fn allowed() -> Result<Self, CpuError> {
        let set = sched_getaffinity(Pid::from_raw(0))?;
        let ids = (0..NixCpuSet::count())
            .filter(|&i| set.is_set(i).unwrap_or(false))
            .collect();
        Ok(Self::new(ids))
    }

    /// The ids, ascending.
    pub fn ids(&self) -> &[usize] {
        &self.0
    }

    /// Number of CPUs in the set.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the set holds no CPU.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Pins the calling thread (or, before exec, the process) to this set.
    pub fn pin_current_thread(&self) -> Result<(), CpuError> {
        sched_setaffinity(Pid::from_raw(0), &self.to_nix()?)?;
        Ok(())
    }

    pub(crate) fn to_nix(&self) -> Result<NixCpuSet, CpuError> {
        let mut set = NixCpuSet::new();
        for &id in &self.0 {
            set.set(id)?;
        }
        Ok(set)
    }
}

impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self.0.iter().map(usize::to_string).collect();
        f.write_str(&text.join(","))
    }
}

/// Which CPUs the server and the load client get.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CpuSplit {
    /// CPUs the server process tree is pinned to; `WORKERS` is its size.
    pub server: CpuSet,
    /// CPUs the load client's threads are pinned to.
    pub client: CpuSet,
}

impl CpuSplit {
    /// The default split: the server gets the first half of `allowed` (rounded up), the client
    /// the rest. With a single CPU both share it (and results will say so).
    pub fn halves(allowed: &CpuSet) -> Self {
        let ids = allowed.ids();
        if ids.len() < 2 {
            return Self {
                server: allowed.clone(),
                client: allowed.clone(),
            };
        }
        let cut = ids.len().div_ceil(2);
        Self {
            server: CpuSet::new(ids[..cut].to_vec()),
            client: CpuSet::new(ids[cut..].to_vec()),
        }
    }

    /// The default split of the CPUs this process may use, with optional overrides.
    pub fn resolve(server: Option<CpuSet>, client: Option<CpuSet>) -> Result<Self, CpuError> {
        let default = Self::halves(&CpuSet::allowed()?);
        Ok(Self {
            server: server.unwrap_or(default.server),
            client: client.unwrap_or(default.client),
        })
    }

    /// True when server and client share at least one CPU.
    pub fn overlaps(&self) -> bool {
        self.server
            .ids()
            .iter()
            .any(|id| self.client.ids().contains(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_with_ranges_and_duplicates_parse_sorted() {
        let set = CpuSet::parse("3,0-2, 2").unwrap();
        assert_eq!(set.ids(), &[0, 1, 2, 3]);
        assert_eq!(set.to_string(), "0,1,2,3");
    }

    #[test]
    fn malformed_lists_are_rejected_with_the_list_in_the_message() {
        for bad in ["", "a", "3-1", "1,,2", "-1"] {
            let err = CpuSet::parse(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn two_cpus_split_into_server_zero_and_client_one() {
        let split = CpuSplit::halves(&CpuSet::new(vec![0, 1]));
        assert_eq!(split.server.ids(), &[0]);
        assert_eq!(split.client.ids(), &[1]);
        assert!(!split.overlaps());
    }

    #[test]
    fn odd_counts_give_the_server_the_larger_half() {
        let split = CpuSplit::halves(&CpuSet::new(vec![0, 1, 2]));
        assert_eq!(split.server.ids(), &[0, 1]);
        assert_eq!(split.client.ids(), &[2]);
    }

    #[test]
    fn a_single_cpu_is_shared_and_reported_as_overlapping() {
        let split = CpuSplit::halves(&CpuSet::new(vec![5]));
        assert_eq!(split.server, split.client);
        assert!(split.overlaps());
    }
}
