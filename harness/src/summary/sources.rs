//! Where a summary's results come from: one or more results folders (a `cargo bench` run's, or
//! one per CI shard), the runs picked in each, merged into one list.

use std::path::PathBuf;

use itertools::Itertools;

use crate::evidence::{ResultRecord, read_all};

/// Which runs' results a summary shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunSelection {
    /// The newest run of each folder (the default): never a silent mix of runs, or of quick
    /// and full ones.
    Latest,
    /// Every result in the folders, each run named in the report.
    All,
}

/// The results of several folders, merged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gathered {
    pub records: Vec<ResultRecord>,
    /// Files that could not be read.
    pub problems: Vec<String>,
    /// Results left out: of older runs, or repeated by a newer result of the same benchmark on
    /// the same machine in another folder.
    pub left_out: usize,
}

/// Reads every folder, keeps the runs `selection` asks for in each, and merges them. A
/// benchmark measured on the same machine in two folders keeps its newer result.
pub fn gather(dirs: &[PathBuf], selection: RunSelection) -> Gathered {
    let mut gathered = Gathered::default();
    for dir in dirs {
        let (records, problems) = read_all(dir);
        let (kept, left_out) = select_runs(records, selection);
        gathered.records.extend(kept);
        gathered.problems.extend(problems);
        gathered.left_out += left_out;
    }
    // A benchmark repeated on one machine keeps its newest result; the others keep the order
    // of the folders, so machine 1 is the first folder's.
    let newest = |r: &ResultRecord| {
        !gathered.records.iter().any(|o| {
            o.id == r.id && o.machine == r.machine && (&o.time, &o.run_id) > (&r.time, &r.run_id)
        })
    };
    let total = gathered.records.len();
    let kept = gathered.records.iter().filter(|r| newest(r));
    let kept: Vec<ResultRecord> = kept.unique_by(|r| (&r.id, &r.machine)).cloned().collect();
    gathered.left_out += total - kept.len();
    gathered.records = kept;
    gathered
}

/// Keeps the results of the runs `selection` asks for; returns them and how many were left out.
pub fn select_runs(
    records: Vec<ResultRecord>,
    selection: RunSelection,
) -> (Vec<ResultRecord>, usize) {
    if selection == RunSelection::All {
        return (records, 0);
    }
    // Run ids start with their UTC start time, so the largest is the newest.
    let Some(latest) = records.iter().map(|r| r.run_id.clone()).max() else {
        return (records, 0);
    };
    let (kept, older): (Vec<_>, Vec<_>) = records.into_iter().partition(|r| r.run_id == latest);
    (kept, older.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;

    /// Writes each (folder, id, day, CPU model) result into one of two folders; a day is a run.
    fn folders(results: &[(usize, &str, u32, &str)]) -> (tempfile::TempDir, Vec<PathBuf>) {
        let root = tempfile::tempdir().unwrap();
        let dirs: Vec<PathBuf> = (0..2).map(|i| root.path().join(i.to_string())).collect();
        for &(folder, id, day, cpu) in results {
            let mut r = record(id, 100.0, 10, 8);
            r.run_id = format!("202601{day:02}T000000Z-{day}");
            r.time = format!("2026-01-{day:02}T00:00:00Z");
            r.machine.cpu_model = cpu.into();
            r.write_to(&dirs[folder]).unwrap();
        }
        (root, dirs)
    }

    #[test]
    fn each_folder_contributes_its_newest_run_and_a_repeat_on_the_same_machine_keeps_the_newer() {
        let (_root, dirs) = folders(&[
            (0, "json/actix/c64", 1, "X"),
            (0, "json/axum/c64", 2, "X"),
            (1, "json/axum/c64", 3, "X"),
            (1, "json/gin/c64", 3, "X"),
        ]);
        let latest = gather(&dirs, RunSelection::Latest);
        let shown = latest
            .records
            .iter()
            .map(|r| (r.id.as_str(), r.time.as_str()));
        let shown: Vec<(&str, &str)> = shown.collect();
        let day3 = "2026-01-03T00:00:00Z";
        assert_eq!(shown, [("json/axum/c64", day3), ("json/gin/c64", day3)]);
        assert_eq!(latest.left_out, 2, "the older actix run, the older axum");
        let all = gather(&dirs, RunSelection::All);
        assert_eq!((all.records.len(), all.left_out), (3, 1));
    }

    #[test]
    fn the_same_benchmark_on_two_machines_is_kept_twice() {
        let (_root, dirs) =
            folders(&[(0, "json/actix/c64", 1, "X"), (1, "json/actix/c64", 2, "Y")]);
        let gathered = gather(&dirs, RunSelection::Latest);
        assert_eq!((gathered.records.len(), gathered.left_out), (2, 0));
    }
}
