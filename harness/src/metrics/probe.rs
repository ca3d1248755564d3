//! A handle on one running server's resources that any thread may read: CPU time of the whole
//! tree (from its cgroup when it has one, else /proc ticks) and memory of its processes.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::cgroup::{read_procs, read_usage_usec};
use super::memory::{MemoryReading, read_memory};
use super::procfs::{all_processes, tree_cpu_ns, tree_of};

/// Where a server's CPU time was read from.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CpuSource {
    /// cgroup v2 `cpu.stat` usage_usec: every thread and process, exited ones included.
    #[default]
    Cgroup,
    /// Sum of /proc/PID/stat utime+stime+cutime+cstime over the process tree: exited threads
    /// included, 10 ms ticks.
    ProcTicks,
}

/// What to read for one server.
#[derive(Clone, Debug)]
pub struct ServerProbe {
    root: u32,
    cgroup_dir: Option<PathBuf>,
}

impl ServerProbe {
    /// A probe of the tree rooted at `root`, through its cgroup folder when it has one.
    pub fn new(root: u32, cgroup_dir: Option<PathBuf>) -> Self {
        Self { root, cgroup_dir }
    }

    /// The tree's root pid.
    pub fn root(&self) -> u32 {
        self.root
    }

    /// Where [`Self::cpu_ns`] reads from.
    pub fn cpu_source(&self) -> CpuSource {
        if self.cgroup_dir.is_some() {
            CpuSource::Cgroup
        } else {
            CpuSource::ProcTicks
        }
    }

    /// CPU nanoseconds the server has used since it started, exited threads and processes
    /// included.
    pub fn cpu_ns(&self) -> u64 {
        if let Some(dir) = &self.cgroup_dir
            && let Some(us) = read_usage_usec(dir)
        {
            return us * 1000;
        }
        tree_cpu_ns(&tree_of(self.root, &all_processes()))
    }

    /// The server's processes now.
    pub fn pids(&self) -> Vec<u32> {
        if let Some(dir) = &self.cgroup_dir {
            let pids = read_procs(dir);
            if !pids.is_empty() {
                return pids;
            }
        }
        tree_of(self.root, &all_processes())
            .iter()
            .map(|p| p.pid)
            .collect()
    }

    /// PSS and RSS summed over the server's processes now.
    pub fn memory(&self) -> MemoryReading {
        read_memory(&self.pids())
    }
}
