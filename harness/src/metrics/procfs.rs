//! Process trees from /proc: who belongs to a server, and their CPU ticks when no cgroup is
//! available.

use std::collections::{BTreeMap, BTreeSet};

/// One process as /proc/PID/stat shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    /// Process id.
    pub pid: u32,
    /// Parent's process id.
    pub ppid: u32,
    /// Process group id.
    pub pgrp: u32,
    /// User + system CPU time of the process, in clock ticks. The kernel folds the time of
    /// threads that have exited into it, unlike per-thread schedstat.
    pub own_ticks: u64,
    /// User + system CPU time of its reaped children, in clock ticks.
    pub children_ticks: u64,
    /// Resident set size in pages.
    pub rss_pages: u64,
}

/// Parses the text of /proc/PID/stat. The command name may hold spaces and parentheses, so
/// fields are counted from the last `)`.
pub fn parse_proc_stat(text: &str) -> Option<ProcStat> {
    let pid = text.split_whitespace().next()?.parse().ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); field N is fields[N - 3].
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(ProcStat {
        pid,
        ppid: u32::try_from(field(4)?).ok()?,
        pgrp: u32::try_from(field(5)?).ok()?,
        own_ticks: field(14)? + field(15)?,
        children_ticks: field(16)? + field(17)?,
        rss_pages: field(24)?,
    })
}

/// Every process /proc shows now.
pub fn all_processes() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|text| parse_proc_stat(&text))
        .collect()
}

/// The processes of the tree rooted at `root`: its process group plus every descendant.
pub fn tree_of(root: u32, processes: &[ProcStat]) -> Vec<ProcStat> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for p in processes {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut members: BTreeSet<u32> = processes
        .iter()
        .filter(|p| p.pgrp == root)
        .map(|p| p.pid)
        .collect();
    let mut visited = BTreeSet::new();
    let mut stack: Vec<u32> = members.iter().copied().chain([root]).collect();
    while let Some(pid) = stack.pop() {
        if visited.insert(pid) {
            members.insert(pid);
            stack.extend(children.get(&pid).into_iter().flatten());
        }
    }
    processes
        .iter()
        .filter(|p| members.contains(&p.pid))
        .copied()
        .collect()
}

/// CPU nanoseconds of a tree from /proc/PID/stat ticks: each process's own time (exited threads
/// included) plus its reaped children's. Coarse (one tick is 10 ms), so only a fallback.
pub fn tree_cpu_ns(members: &[ProcStat]) -> u64 {
    let tick_ns = 1e9 / ticks_per_second();
    members
        .iter()
        .map(|p| ((p.own_ticks + p.children_ticks) as f64 * tick_ns) as u64)
        .sum()
}

fn ticks_per_second() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100.0, |v| v as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(pid: u32, ppid: u32, pgrp: u32) -> ProcStat {
        ProcStat {
            pid,
            ppid,
            pgrp,
            own_ticks: 1,
            children_ticks: 0,
            rss_pages: 1,
        }
    }

    #[test]
    fn a_stat_line_with_spaces_and_parentheses_in_the_name_parses() {
        let line = "4242 (node (worker) x) S 4000 4242 4242 0 -1 4194560 100 0 0 0 \
                    150 50 7 3 20 0 11 0 12345 1000000 2560 18446744073709551615";
        let s = parse_proc_stat(line).unwrap();
        assert_eq!((s.pid, s.ppid, s.pgrp), (4242, 4000, 4242));
        assert_eq!((s.own_ticks, s.children_ticks), (150 + 50, 7 + 3));
        assert_eq!(s.rss_pages, 2560);
    }

    #[test]
    fn the_tree_holds_the_group_and_all_descendants_but_not_strangers() {
        let procs = [
            stat(10, 1, 10),
            stat(11, 10, 10),
            stat(12, 11, 99), // a grandchild that moved to another group
            stat(13, 1, 10),  // reparented group member (its parent died)
            stat(20, 1, 20),  // a stranger
        ];
        let mut pids: Vec<u32> = tree_of(10, &procs).iter().map(|p| p.pid).collect();
        pids.sort_unstable();
        assert_eq!(pids, [10, 11, 12, 13]);
    }
}
