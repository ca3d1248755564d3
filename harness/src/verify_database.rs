//! Verify for the database workloads: TechEmpower's cases for `/db`, `/queries`, `/fortunes`
//! and `/updates` (toolset/test_types/{db,query,fortune,update} in FrameworkBenchmarks),
//! checked against the tables as the harness reads them. Their answers are random rows, so they
//! cannot be vectors in spec/vectors.json; the routes come from spec/workloads.toml (every
//! workload with a `database` demand), the cases from the parameter's rule in CONTRACT.md.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use reqwest::blocking::Client;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;

use crate::database::world::{MAX_ROWS_PER_REQUEST, RowCount, WorldTable, check_shape};
use crate::database::{DatabaseLink, Snapshot};
use crate::verify::{Mismatch, VerifyError, check_headers, content_type_matches};
use crate::workload::{AnswerSource, WorkloadDef, WorkloadSpec};

/// The `queries` values TechEmpower's verifier sends, and the rows each must give: a missing,
/// empty, zero or non-numeric value is 1, above 500 is 500.
const PARAM_CASES: [(Option<&str>, u32); 6] = [
    (None, 1),
    (Some(""), 1),
    (Some("0"), 1),
    (Some("foo"), 1),
    (Some("20"), 20),
    (Some("501"), MAX_ROWS_PER_REQUEST),
];
/// An `/updates` answer of 500 rows must have changed at least this share of its distinct rows
/// in the table (TechEmpower: 90%; a new random number equals the old one once in 10,000).
const CHANGED_AT_LEAST: f64 = 0.9;

#[derive(Deserialize)]
struct Row {
    id: i64,
    #[serde(rename = "randomNumber")]
    random_number: i64,
}

/// Plays the database cases of every workload `serves` accepts against `base_url`, checking
/// answers against `link`'s tables. Returns the number of cases that passed.
pub fn verify_database(
    target: &str,
    base_url: &str,
    spec: &WorkloadSpec,
    link: &DatabaseLink,
    serves: impl Fn(&str) -> bool,
) -> Result<usize, VerifyError> {
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(VerifyError::Client)?;
    let mut mismatches = Vec::new();
    let mut total = 0;
    for definition in spec
        .definitions()
        .iter()
        .filter(|d| d.database.is_some() && serves(&d.name))
    {
        for (path, count) in cases(definition) {
            total += 1;
            let outcome = play(&client, target, base_url, definition, &path, count, link);
            if let Err(detail) = outcome {
                mismatches.push(Mismatch {
                    vector: format!("database: {}", definition.name),
                    endpoint: format!("GET {path}"),
                    detail,
                });
            }
        }
    }
    if mismatches.is_empty() {
        Ok(total)
    } else {
        Err(VerifyError::Mismatches {
            target: target.to_owned(),
            total,
            mismatches,
        })
    }
}

/// The paths to request for `definition` and the rows each answer must hold.
fn cases(definition: &WorkloadDef) -> Vec<(String, RowCount)> {
    let Some(param) = &definition.param else {
        return vec![(definition.path.clone(), RowCount::Object)];
    };
    let placeholder = format!("{{{}}}", param.name);
    PARAM_CASES
        .iter()
        .map(|(value, rows)| {
            let path = match value {
                Some(value) => definition.path.replace(&placeholder, value),
                // Missing: the path before the query.
                None => definition
                    .path
                    .split('?')
                    .next()
                    .unwrap_or(&definition.path)
                    .to_owned(),
            };
            (path, RowCount::Array(*rows))
        })
        .collect()
}

fn play(
    client: &Client,
    target: &str,
    base_url: &str,
    definition: &WorkloadDef,
    path: &str,
    count: RowCount,
    link: &DatabaseLink,
) -> Result<(), String> {
    let before = Snapshot::read(link).map_err(|e| e.to_string())?;
    let sent_at = SystemTime::now();
    let response = client
        .get(format!("{base_url}{path}"))
        .send()
        .map_err(|e| format!("request failed: {e}"))?;
    check_headers(target, &response, sent_at..=SystemTime::now())?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .bytes()
        .map_err(|e| format!("reading the body failed: {e}"))?;
    if status != 200 {
        return Err(format!(
            "status: expected 200, got {status} (body {:?})",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    let media_type = match definition.answer {
        AnswerSource::Fortunes => "text/html",
        _ => "application/json",
    };
    // TechEmpower's fortunes must say their charset; a JSON answer may.
    let type_ok = content_type.as_deref().is_some_and(|got| {
        content_type_matches(media_type, got)
            && (media_type != "text/html" || got.to_ascii_lowercase().contains("charset=utf-8"))
    });
    if !type_ok {
        return Err(format!(
            "Content-Type: expected {media_type}{}, got {content_type:?}",
            if media_type == "text/html" {
                "; charset=utf-8"
            } else {
                ", optionally with \"; charset=utf-8\""
            }
        ));
    }
    match definition.answer {
        AnswerSource::World => before.world.check(&body, count),
        AnswerSource::Fortunes => before.fortunes.check(&body),
        AnswerSource::WorldUpdated => {
            check_shape(&body, count)?;
            let after = Snapshot::read(link).map_err(|e| e.to_string())?;
            check_written(&body, &before.world, &after.world)
        }
        AnswerSource::Vector | AnswerSource::Route => Ok(()),
    }
}

/// Every row an `/updates` answer shows is in the table with that number afterwards, and at
/// least 90% of them changed.
fn check_written(body: &[u8], before: &WorldTable, after: &WorldTable) -> Result<(), String> {
    let rows: Vec<Row> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    // An id drawn twice is written once: its last number is the one that must stand.
    let last: BTreeMap<i64, i64> = rows.iter().map(|r| (r.id, r.random_number)).collect();
    let mut changed = 0;
    for (&id, &number) in &last {
        let now = after.get(id).map(i64::from);
        if now != Some(number) {
            return Err(format!(
                "row {id} was answered with randomNumber {number}, but World holds {now:?} after the request: the update was not written"
            ));
        }
        if before.get(id).map(i64::from) != now {
            changed += 1;
        }
    }
    if (changed as f64) < CHANGED_AT_LEAST * last.len() as f64 {
        return Err(format!(
            "only {changed} of {} rows changed in World (TechEmpower requires 90%)",
            last.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_cases_are_techempowers_with_the_clamped_row_counts() {
        let spec = crate::workload::WorkloadSpec::load(&crate::vectors::spec_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        ))
        .unwrap();
        let definition = |name: &str| {
            spec.definitions()
                .iter()
                .find(|d| d.name == name)
                .unwrap()
                .clone()
        };
        let queries = &definition("queries");
        let paths: Vec<(String, RowCount)> = cases(queries);
        assert_eq!(paths[0], ("/queries".into(), RowCount::Array(1)));
        assert!(paths.contains(&("/queries?queries=foo".into(), RowCount::Array(1))));
        assert!(paths.contains(&("/queries?queries=501".into(), RowCount::Array(500))));
        assert_eq!(cases(&definition("db")), [("/db".into(), RowCount::Object)]);
    }

    #[test]
    fn an_update_that_was_not_written_or_changed_too_few_rows_fails() {
        let before = WorldTable::from_rows([(1, 10), (2, 20)]);
        let written = WorldTable::from_rows([(1, 11), (2, 21)]);
        let body = br#"[{"id":1,"randomNumber":11},{"id":2,"randomNumber":21}]"#;
        assert_eq!(check_written(body, &before, &written), Ok(()));
        let not_written = check_written(body, &before, &before).unwrap_err();
        assert!(not_written.contains("not written"), "{not_written}");
        let same = br#"[{"id":1,"randomNumber":10},{"id":2,"randomNumber":20}]"#;
        let unchanged = check_written(same, &before, &before).unwrap_err();
        assert!(unchanged.contains("only 0 of 2"), "{unchanged}");
    }
}
