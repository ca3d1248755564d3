//! Counting several servers at once. Valgrind runs a server's threads one at a time, so a
//! counted server keeps one CPU busy however many it is given: with one job per CPU, two CPUs
//! count two targets in the time of one. Instruction counts do not depend on the neighbour.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::cpus::CpuSet;

/// One single-CPU set per job, from the CPUs this process may use: at most `jobs` of them
/// (all when `jobs` is 0).
pub fn job_cpus(allowed: &CpuSet, jobs: usize) -> Vec<CpuSet> {
    let take = if jobs == 0 {
        allowed.len()
    } else {
        jobs.min(allowed.len())
    };
    let sets: Vec<CpuSet> = allowed
        .ids()
        .iter()
        .take(take)
        .map(|id| CpuSet::new(vec![*id]))
        .collect();
    if sets.is_empty() {
        vec![allowed.clone()]
    } else {
        sets
    }
}

/// Runs `work(item, cpus)` for every item on one thread per CPU set, each thread taking the next
/// item when done; calls `done` as each finishes; returns the results in the items' order.
pub fn run_on_cpus<T, R, W, D>(items: &[T], cpus: &[CpuSet], work: W, done: D) -> Vec<R>
where
    T: Sync,
    R: Send,
    W: Fn(&T, &CpuSet) -> R + Sync,
    D: Fn(&T, &R) + Sync,
{
    let queue = Mutex::new((0..items.len()).collect::<VecDeque<usize>>());
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for set in cpus.iter().take(items.len().max(1)) {
            let (queue, results, work, done) = (&queue, &results, &work, &done);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(index) = next else { break };
                    let result = work(&items[index], set);
                    done(&items[index], &result);
                    if let Ok(mut all) = results.lock() {
                        all[index] = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .map(|all| all.into_iter().flatten().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_job_gets_one_cpu_of_the_allowed_ones() {
        let allowed = CpuSet::new(vec![2, 3, 5]);
        let two = job_cpus(&allowed, 2);
        assert_eq!(two, [CpuSet::new(vec![2]), CpuSet::new(vec![3])]);
        assert_eq!(job_cpus(&allowed, 0).len(), 3);
        assert_eq!(job_cpus(&allowed, 9).len(), 3);
    }

    #[test]
    fn every_item_is_worked_once_and_results_keep_the_items_order() {
        let items: Vec<u32> = (0..17).collect();
        let cpus = [CpuSet::new(vec![0]), CpuSet::new(vec![1])];
        let seen = Mutex::new(Vec::new());
        let results = run_on_cpus(
            &items,
            &cpus,
            |i, set| (*i * 10, set.ids()[0]),
            |i, _| seen.lock().unwrap().push(*i),
        );
        assert_eq!(
            results.iter().map(|r| r.0).collect::<Vec<_>>(),
            items.iter().map(|i| i * 10).collect::<Vec<_>>()
        );
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, items);
    }
}
