//! A cgroup v2 of the server's own, for CPU accounting: `cpu.stat`'s `usage_usec` counts every
//! thread and process that was ever in the group, including those that exited during the run
//! (offload pools, Go and Node helper threads, reaped workers), which live-thread sums lose.
//!
//! Needs a writable cgroup v2 hierarchy (root, or a delegated subtree). Without one, the harness
//! falls back to /proc ticks and records says so.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A cgroup made for one server; removed on drop once empty.
#[derive(Debug)]
pub struct ServerCgroup {
    dir: PathBuf,
}

impl ServerCgroup {
    /// Creates `<our cgroup>/stampede-<label>` in the cgroup v2 hierarchy. `None` when there is
    /// no writable v2 hierarchy.
    pub fn create(label: &str) -> Option<Self> {
        let base = own_cgroup_dir()?;
        remove_stale_siblings(&base);
        let dir = base.join(format!("stampede-{label}"));
        std::fs::create_dir(&dir).ok()?;
        // A group that cannot report CPU is of no use.
        if read_usage_usec(&dir).is_none() {
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        Some(Self { dir })
    }

    /// `cgroup.procs`, opened for writing before a fork so the child can join with one write.
    pub fn procs_file(&self) -> std::io::Result<File> {
        OpenOptions::new()
            .write(true)
            .open(self.dir.join("cgroup.procs"))
    }

    /// Moves `pid` (and all its threads) into the group.
    pub fn adopt(&self, pid: u32) -> std::io::Result<()> {
        std::fs::write(self.dir.join("cgroup.procs"), pid.to_string())
    }

    /// The group's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// CPU nanoseconds used by everything that ever ran in the group.
    pub fn cpu_ns(&self) -> Option<u64> {
        read_usage_usec(&self.dir).map(|us| us * 1000)
    }

    /// Pids now in the group.
    pub fn pids(&self) -> Vec<u32> {
        read_procs(&self.dir)
    }
}

impl Drop for ServerCgroup {
    fn drop(&mut self) {
        // Processes leave the group as they are reaped; wait briefly for the last ones.
        let deadline = Instant::now() + Duration::from_millis(500);
        while std::fs::remove_dir(&self.dir).is_err() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Pids listed in a group's `cgroup.procs`.
pub(crate) fn read_procs(dir: &Path) -> Vec<u32> {
    std::fs::read_to_string(dir.join("cgroup.procs"))
        .map(|text| text.lines().filter_map(|l| l.trim().parse().ok()).collect())
        .unwrap_or_default()
}

/// `usage_usec` of a group's `cpu.stat`.
pub(crate) fn read_usage_usec(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(dir.join("cpu.stat")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("usage_usec "))
        .and_then(|v| v.trim().parse().ok())
}

/// Our own cgroup's folder in the v2 hierarchy, if it is mounted and writable.
fn own_cgroup_dir() -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = cgroup2_mount(&mountinfo)?;
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let relative = own.lines().find_map(|l| l.strip_prefix("0::"))?.trim();
    let dir = mount.join(relative.trim_start_matches('/'));
    let probe = dir.join("cgroup.procs");
    let writable = OpenOptions::new().write(true).open(&probe).is_ok();
    writable.then_some(dir)
}

/// Where the cgroup2 filesystem is mounted, from /proc/self/mountinfo text.
pub fn cgroup2_mount(mountinfo: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let fstype = right.split_whitespace().next()?;
        if fstype == "cgroup2" {
            Some(PathBuf::from(left.split_whitespace().nth(4)?))
        } else {
            None
        }
    })
}

/// Groups left by a harness that was killed before it could remove them: empty ones go.
fn remove_stale_siblings(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("stampede-") {
            // Fails (and is meant to) while the group still has processes.
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cgroup2_mount_is_found_among_v1_mounts() {
        let text = "35 25 0:30 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n\
                    44 25 0:39 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
        assert_eq!(
            cgroup2_mount(text),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
        assert_eq!(
            cgroup2_mount("35 25 0:30 / /x rw - cgroup cgroup rw\n"),
            None
        );
    }
}
