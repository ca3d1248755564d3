//! Where a summary's results come from: one or more results folders (a `cargo bench` run's, or
//! one per CI shard), the runs picked in each, merged into one list.

use std::path::PathBuf;

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
    /// The results shown.
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
    let mut kept: Vec<ResultRecord> = Vec::with_capacity(total);
    for record in &gathered.records {
        let seen = kept
            .iter()
            .any(|k| k.id == record.id && k.machine == record.machine);
        if newest(record) && !seen {
            kept.push(record.clone());
        }
    }
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
    let total = records.len();
    let kept: Vec<ResultRecord> = records.into_iter().filter(|r| r.run_id == latest).collect();
    let left_out = total - kept.len();
    (kept, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;

    fn write(dir: &std::path::Path, id: &str, run_id: &str, time: &str, cpu: &str) {
        let mut r = record(id, 100.0, 10, 8);
        r.run_id = run_id.into();
        r.time = time.into();
        r.machine.cpu_model = cpu.into();
        r.write_to(dir).unwrap();
    }

    #[test]
    fn each_folder_contributes_its_newest_run_and_a_repeat_on_the_same_machine_keeps_the_newer() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write(
            a.path(),
            "json/actix/c64",
            "20260101T0000Z-1",
            "2026-01-01T00:00:00Z",
            "X",
        );
        write(
            a.path(),
            "json/axum/c64",
            "20260102T0000Z-2",
            "2026-01-02T00:00:00Z",
            "X",
        );
        write(
            b.path(),
            "json/axum/c64",
            "20260103T0000Z-3",
            "2026-01-03T00:00:00Z",
            "X",
        );
        write(
            b.path(),
            "json/gin/c64",
            "20260103T0000Z-3",
            "2026-01-03T00:00:00Z",
            "X",
        );
        let dirs = [a.path().to_path_buf(), b.path().to_path_buf()];

        let latest = gather(&dirs, RunSelection::Latest);
        let shown: Vec<(&str, &str)> = latest
            .records
            .iter()
            .map(|r| (r.id.as_str(), r.run_id.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("json/axum/c64", "20260103T0000Z-3"),
                ("json/gin/c64", "20260103T0000Z-3")
            ]
        );
        assert_eq!(
            latest.left_out, 2,
            "the older actix run and the older axum result"
        );

        let all = gather(&dirs, RunSelection::All);
        assert_eq!(all.records.len(), 3);
        assert_eq!(all.left_out, 1);
    }

    #[test]
    fn the_same_benchmark_on_two_machines_is_kept_twice() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write(
            a.path(),
            "json/actix/c64",
            "20260101T0000Z-1",
            "2026-01-01T00:00:00Z",
            "X",
        );
        write(
            b.path(),
            "json/actix/c64",
            "20260102T0000Z-2",
            "2026-01-02T00:00:00Z",
            "Y",
        );
        let gathered = gather(
            &[a.path().to_path_buf(), b.path().to_path_buf()],
            RunSelection::Latest,
        );
        assert_eq!(gathered.records.len(), 2);
        assert_eq!(gathered.left_out, 0);
    }
}
