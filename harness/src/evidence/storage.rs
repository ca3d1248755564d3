//! Record files: one per benchmark ID in a results folder, written atomically (a temporary
//! file in the same folder, then a rename) so a reader never sees half a record.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::record::ResultRecord;

impl ResultRecord {
    /// The file name for this id: slashes become `__`.
    pub fn file_name(&self) -> String {
        self.id.file_name()
    }

    /// Writes `dir/<id>.json` atomically.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<PathBuf> {
        write_atomically(dir, &self.file_name(), &serde_json::to_vec_pretty(self)?)
    }
}

/// Writes `bytes` to `dir/name` (the folder created if missing): first to a hidden temporary
/// file beside it, then renamed over, so a crash leaves the old file or the new one, never a
/// torn one. Readers skip the hidden temporaries (their extension is not `json`).
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Every `*.json` file in `dir` read as a `T`, in no particular order; the files that could not
/// be read or parsed are named beside, with why. A missing folder holds nothing.
pub fn read_json_dir<T: DeserializeOwned>(dir: &Path) -> (Vec<T>, Vec<String>) {
    let (mut records, mut problems) = (Vec::new(), Vec::new());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (records, problems);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        match std::fs::read(&path).map(|bytes| serde_json::from_slice::<T>(&bytes)) {
            Ok(Ok(record)) => records.push(record),
            Ok(Err(err)) => problems.push(format!("{}: {err}", path.display())),
            Err(err) => problems.push(format!("{}: {err}", path.display())),
        }
    }
    (records, problems)
}

/// Reads every result in `dir`, sorted by id; unreadable files are returned as errors beside.
pub fn read_all(dir: &Path) -> (Vec<ResultRecord>, Vec<String>) {
    let (mut records, problems) = read_json_dir::<ResultRecord>(dir);
    records.sort_by(|a, b| a.id.cmp(&b.id));
    (records, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> ResultRecord {
        super::super::fixtures::record(id, 1.0, 1, 1)
    }

    #[test]
    fn results_are_written_one_file_per_id_and_read_back_sorted() {
        let dir = tempfile::tempdir().unwrap();
        record("json/b/c1").write_to(dir.path()).unwrap();
        let path = record("json/a/c1").write_to(dir.path()).unwrap();
        assert!(path.ends_with("json__a__c1.json"));
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        let (records, problems) = read_all(dir.path());
        let ids: Vec<_> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["json/a/c1", "json/b/c1"]);
        assert_eq!(problems.len(), 1);
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0, "the temporary files were renamed");
    }

    #[test]
    fn a_record_reads_back_equal_to_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let written = record("json/a/c64");
        written.write_to(dir.path()).unwrap();
        assert_eq!(read_all(dir.path()).0, [written]);
    }
}
