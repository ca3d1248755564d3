//! The database's ceiling under the `db` results: the pgbench figure `cargo bench` measured right
//! after starting PostgreSQL (`target/stampede/database/ceiling.json`, beside the results
//! folder), and each target's `/db` requests/s as a fraction of it. Only results of the run the
//! ceiling was measured in are compared with it; shown only when there is such a ceiling, so a
//! summary without one looks as it did.

use std::path::PathBuf;

use itertools::Itertools;

use super::WorkloadSummary;
use super::format::rate;
use crate::database::ceiling::{CLIENT_BUSY_AT_LEAST, Ceiling};

/// The workload whose requests are the ceiling's reads: one World row each.
pub const WORKLOAD: &str = "db";

/// The ceilings kept next to the results folders (`<dir>/../database/ceiling.json`), one per
/// run.
pub fn gather(results_dirs: &[PathBuf]) -> Vec<Ceiling> {
    let ceilings = results_dirs
        .iter()
        .filter_map(|dir| Ceiling::read_from(dir.parent()?));
    ceilings
        .filter(|c| c.run_id.is_some())
        .unique_by(|c| c.run_id.clone())
        .collect()
}

/// The lines under `workload`'s table, one per ceiling of a run among its closed-loop results:
/// `Ceiling: pgbench N single-row reads/s over P connections ...; each target's /db as a
/// fraction of it: actix 0.52 (c16), ...`. None for other workloads.
pub fn notes(workload: &WorkloadSummary, ceilings: &[Ceiling]) -> Vec<String> {
    if workload.name != WORKLOAD {
        return Vec::new();
    }
    ceilings
        .iter()
        .filter_map(|ceiling| note(workload, ceiling))
        .collect()
}

fn note(workload: &WorkloadSummary, ceiling: &Ceiling) -> Option<String> {
    let measured = |r: &&crate::evidence::ResultRecord| {
        Some(&r.run_id) == ceiling.run_id.as_ref() && r.setup.rate_per_sec.is_none()
    };
    let records: Vec<_> = workload.records.iter().filter(measured).collect();
    if records.is_empty() || ceiling.reads_per_sec <= 0.0 {
        return None;
    }
    let per_target = workload.targets.iter().filter_map(|target| {
        let fractions = records.iter().filter(|r| &r.target == target).map(|r| {
            let fraction = r.figures.requests_per_sec / ceiling.reads_per_sec;
            let invalid = if r.flags.invalid { ", INVALID" } else { "" };
            format!("{fraction:.2} ({}{invalid})", r.param)
        });
        let fractions: Vec<String> = fractions.collect();
        (!fractions.is_empty()).then(|| format!("{target} {}", fractions.join(", ")))
    });
    let busy = ceiling
        .database_cpu_busy
        .map(|b| format!(" at cpu_busy {b:.2}"));
    let database = match &ceiling.database_cpus {
        Some(cpus) => format!("PostgreSQL on CPUs {cpus}{}", busy.unwrap_or_default()),
        None => "PostgreSQL on its own CPUs".to_owned(),
    };
    let floor = match ceiling.client_cpu_busy {
        Some(busy) if busy >= CLIENT_BUSY_AT_LEAST => {
            format!(" (pgbench was client-bound at cpu_busy {busy:.2}: a floor of the ceiling)")
        }
        _ => String::new(),
    };
    Some(format!(
        "Ceiling: pgbench {} single-row reads/s over {} connections{floor}, the same query as /db \
         measured in the same run before any group ({:.0} s; pgbench {} on the client's CPUs \
         {}, {database}); each target's /db requests/s as a fraction of it: {}.",
        rate(ceiling.reads_per_sec),
        ceiling.connections,
        ceiling.seconds,
        ceiling.pgbench_version,
        ceiling.cpus,
        per_target.format("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;

    fn ceiling(run_id: &str) -> Ceiling {
        Ceiling {
            reads_per_sec: 20_000.0,
            latency_avg_ms: 0.8,
            reads: 60_000,
            client_cpu_busy: Some(0.4),
            database_cpu_busy: Some(0.98),
            connections: 16,
            seconds: 3.0,
            pgbench_version: "15.18".to_owned(),
            cpus: "1".to_owned(),
            database_cpus: Some("0".to_owned()),
            run_id: Some(run_id.to_owned()),
        }
    }

    fn db_workload(run_id: &str) -> WorkloadSummary {
        let mut records = Vec::new();
        for (id, per_sec) in [
            ("db/actix/c16", 10_000.0),
            ("db/actix/c256", 12_000.0),
            ("db/nethttp/c256", 8_000.0),
            ("db/nethttp/c256-tail", 2_000.0),
        ] {
            let mut r = record(id, per_sec, 100, 10);
            r.run_id = run_id.to_owned();
            if id.ends_with("tail") {
                r.setup.rate_per_sec = Some(2_000.0);
            }
            records.push(r);
        }
        records[2].flags.invalid = true;
        WorkloadSummary {
            name: "db".to_owned(),
            targets: vec!["actix".to_owned(), "nethttp".to_owned()],
            params: vec!["c16".to_owned(), "c256".to_owned()],
            records,
            missing: Vec::new(),
            sweep: None,
        }
    }

    #[test]
    fn each_closed_loop_db_result_of_the_ceilings_run_is_shown_as_a_fraction_of_it() {
        let notes = notes(&db_workload("run-1"), &[ceiling("run-1")]);
        assert_eq!(notes.len(), 1);
        let note = &notes[0];
        assert!(
            note.starts_with("Ceiling: pgbench 20,000 single-row reads/s over 16 connections"),
            "{note}"
        );
        assert!(!note.contains("client-bound"), "{note}");
        assert!(
            note.ends_with(
                "as a fraction of it: actix 0.50 (c16), 0.60 (c256); nethttp 0.40 (c256, INVALID)."
            ),
            "{note}"
        );
    }

    #[test]
    fn a_client_bound_ceiling_is_called_a_floor() {
        let busy = Ceiling {
            client_cpu_busy: Some(0.97),
            ..ceiling("run-1")
        };
        let note = &notes(&db_workload("run-1"), &[busy])[0];
        assert!(
            note.contains(
                "over 16 connections (pgbench was client-bound at cpu_busy 0.97: a floor"
            ),
            "{note}"
        );
    }

    #[test]
    fn a_ceiling_of_another_run_or_another_workload_shows_nothing() {
        assert!(notes(&db_workload("run-2"), &[ceiling("run-1")]).is_empty());
        let mut fortunes = db_workload("run-1");
        fortunes.name = "fortunes".to_owned();
        assert!(notes(&fortunes, &[ceiling("run-1")]).is_empty());
    }

    #[test]
    fn the_page_and_the_markdown_show_the_ceiling_under_db_and_nowhere_else() {
        use crate::summary::claims::ClaimSet;
        use crate::summary::order::ReportOrder;
        let mut records = db_workload("run-1").records;
        let mut json = record("json/actix/c16", 50_000.0, 100, 10);
        json.run_id = "run-1".to_owned();
        records.push(json);
        let order = ReportOrder::default();
        let mut summary =
            super::super::Summary::build(records, Vec::new(), &ClaimSet::default(), &order);
        let without = super::super::markdown::render(&summary).unwrap();
        summary.database_ceilings = vec![ceiling("run-1")];
        let markdown = super::super::markdown::render(&summary).unwrap();
        let links = super::super::html::CriterionLinks::default();
        let html = super::super::html::render(&summary, &links).unwrap();
        for page in [&markdown, &html] {
            assert_eq!(page.matches("Ceiling: pgbench 20,000").count(), 1, "{page}");
        }
        let line = markdown
            .lines()
            .find(|l| l.starts_with("Ceiling:"))
            .unwrap();
        assert_eq!(markdown.replace(&format!("\n\n{line}"), ""), without);
    }

    #[test]
    fn the_ceiling_beside_a_results_folder_is_gathered_and_one_without_a_run_is_not() {
        let root = tempfile::tempdir().unwrap();
        ceiling("run-1").write_to(root.path()).unwrap();
        let results = root.path().join("results");
        assert_eq!(gather(std::slice::from_ref(&results)), [ceiling("run-1")]);
        let mut by_hand = ceiling("run-1");
        by_hand.run_id = None;
        by_hand.write_to(root.path()).unwrap();
        assert!(gather(&[results]).is_empty());
    }
}
