//! Import: result files written before the history existed (`target/stampede/results/*.json`,
//! or copies of such folders, e.g. CI artifacts) become runs in the history. Importing the
//! same files twice adds nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::HistoryError;
use super::db::History;
use super::run::{KeptRun, Source};
use crate::benchmark_id::BenchmarkId;
use crate::evidence::RunMode;

/// Folders deeper than this below the given one are not searched.
const MAX_DEPTH: usize = 4;

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Result files read.
    pub files: usize,
    /// Records added.
    pub added: usize,
    /// Records that were already in the history.
    pub already_present: usize,
    /// Files that are not result records, each with why.
    pub skipped: Vec<String>,
}

/// Imports every result record under `dir`. Records that do not state their mode are stored
/// with `mode` (records from before modes were recorded: say `quick` or `full` if you know).
pub fn import_dir(
    history: &History,
    dir: &Path,
    mode: RunMode,
) -> Result<ImportCounts, HistoryError> {
    if !dir.is_dir() {
        return Err(HistoryError::ImportDir {
            path: dir.to_path_buf(),
        });
    }
    let mut files = Vec::new();
    collect_json(dir, 0, &mut files);
    files.sort();
    let mut summary = ImportCounts::default();
    let mut runs: BTreeMap<String, (KeptRun, Vec<Value>)> = BTreeMap::new();
    for path in files {
        let record = match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).map_err(|e| e.to_string()))
        {
            Ok(record) => record,
            Err(why) => {
                summary.skipped.push(format!("{}: {why}", path.display()));
                continue;
            }
        };
        let id = record.get("id").and_then(Value::as_str);
        if let Some(Err(err)) = id.map(str::parse::<BenchmarkId>) {
            summary.skipped.push(format!("{}: {err}", path.display()));
            continue;
        }
        if id.is_none()
            || record
                .get("requests_per_sec")
                .and_then(Value::as_f64)
                .is_none()
        {
            summary.skipped.push(format!(
                "{}: not a result record (no id or requests_per_sec)",
                path.display()
            ));
            continue;
        }
        summary.files += 1;
        let kept = KeptRun::of_record(&record, Source::Import, mode);
        runs.entry(kept.run.id.clone())
            .or_insert_with(|| (kept, Vec::new()))
            .1
            .push(record);
    }
    for (kept, records) in runs.values() {
        let added = history.append_new(kept, records)?;
        summary.added += added;
        summary.already_present += records.len() - added;
    }
    Ok(summary)
}

fn collect_json(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        // Hidden files are the results writer's temporaries.
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() && depth < MAX_DEPTH {
            collect_json(&path, depth + 1, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}
