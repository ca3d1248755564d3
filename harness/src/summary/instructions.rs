//! User-space instructions per request from `stampede icount`, shown beside server CPU per
//! request. Counts are per request whatever the connection count, so every result of the
//! counted target and workload shows the same figure; pipelined and mixed families were not
//! counted and show none.

use std::path::PathBuf;

use crate::evidence::ResultRecord;
use crate::icount::{BLIND_SPOTS, IcountRecord, read_records, records_dir};

use super::format::thousands;

/// The counts next to the results folders (`<dir>/../icount`, where `stampede icount` writes
/// them beside `target/stampede/results`), the newest per target and workload.
pub fn gather(results_dirs: &[PathBuf]) -> Vec<IcountRecord> {
    let mut newest: Vec<IcountRecord> = Vec::new();
    let dirs = results_dirs
        .iter()
        .filter_map(|dir| dir.parent().map(records_dir));
    for record in dirs.flat_map(|dir| read_records(&dir).0) {
        match newest
            .iter_mut()
            .find(|r| r.target == record.target && r.workload == record.workload)
        {
            Some(kept) if kept.time < record.time => *kept = record,
            Some(_) => {}
            None => newest.push(record),
        }
    }
    newest
}

/// The count of `record`'s target and workload: the same family name, and for a parametrised
/// count (`hash:1000`) the same number in the result's parameter (`r1k`).
pub fn matching<'a>(record: &ResultRecord, counts: &'a [IcountRecord]) -> Option<&'a IcountRecord> {
    counts.iter().find(|c| {
        let (name, value) = match c.workload.split_once(':') {
            Some((name, value)) => (name, value.parse::<u64>().ok()),
            None => (c.workload.as_str(), None),
        };
        c.target == record.target
            && name == record.workload
            && value.is_none_or(|v| super::split_param(&record.param).1 == Some(v))
    })
}

/// The table cell: `16,421 ±0.02%`, or `—` when this result's workload was not counted.
pub fn cell(record: &ResultRecord, counts: &[IcountRecord]) -> String {
    matching(record, counts).map_or_else(
        || "—".into(),
        |c| {
            format!(
                "{} ±{:.2}%",
                thousands(c.instructions_per_request.round() as u64),
                c.spread_pct
            )
        },
    )
}

/// The sentence under the tables saying where the counts come from and what they cannot see.
pub fn note(counts: &[IcountRecord]) -> Option<String> {
    let first = counts.first()?;
    let mut commits: Vec<&str> = counts.iter().map(|c| c.git_commit.as_str()).collect();
    commits.dedup();
    Some(format!(
        "Instructions: user-space instructions per request counted by `stampede icount` under \
         {}, over one connection with WORKERS=1: the median of {} processes ± their spread \
         (commit {}). {}",
        first.tool,
        first.repetitions.len(),
        commits.join(", "),
        BLIND_SPOTS
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures;
    use crate::icount::record::fixture;

    fn count(target: &str, workload: &str, per_request: f64) -> IcountRecord {
        let mut count = fixture(target, workload, &[per_request]);
        count.spread_pct = 0.02;
        count
    }

    fn result(id: &str) -> ResultRecord {
        fixtures::record(id, 1000.0, 100, 10)
    }

    #[test]
    fn a_result_shows_the_count_of_its_target_and_family_at_any_connection_count() {
        let counts = [
            count("actix", "plaintext", 16_420.6),
            count("axum", "plaintext", 18_078.0),
        ];
        assert_eq!(
            cell(&result("plaintext/actix/c1024"), &counts),
            "16,421 ±0.02%"
        );
        assert_eq!(
            cell(&result("plaintext-pipelined/actix/c256"), &counts),
            "—"
        );
    }

    #[test]
    fn a_parametrised_count_matches_only_the_result_with_its_number() {
        let counts = [count("actix", "hash:1000", 3.6e6)];
        let matches = |id: &str| matching(&result(id), &counts).is_some();
        assert!(matches("hash/actix/r1k"));
        assert!(!matches("hash/actix/r19k"));
        assert!(!matches("hash-offload/actix/r1k"));
    }

    #[test]
    fn the_newest_count_of_a_target_and_workload_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        for (dir, day, n) in [(&a, 2, 2.0), (&b, 1, 1.0)] {
            let mut count = count("actix", "json", n);
            count.time = format!("2026-01-0{day}T00:00:00Z");
            count.write_to(&records_dir(dir)).unwrap();
        }
        let kept = gather(&[a.join("results"), b.join("results")]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].instructions_per_request, 2.0);
        assert!(note(&kept).unwrap().contains("blind to kernel work"));
        assert!(note(&[]).is_none());
    }
}
