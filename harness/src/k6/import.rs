//! Several k6 instances' outputs merged into one result record: every request's duration into
//! one HDR histogram (percentiles of instances cannot be averaged), counts summed, dropped
//! iterations reported as an open loop's late sends, and the server scrapes the script recorded
//! turned into server CPU per request and memory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::K6Error;
use super::points::{InstanceOutput, LoadCounts, RunTags, Scrape};
use super::segment;

/// How to label an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// The server's name in the record (a catalog target's name fills in its language and
    /// framework); the record's target is `<name>@k6x<instances>`.
    pub target: String,
    /// Require server metrics scraped from this endpoint.
    pub metrics_url: Option<String>,
}

/// The catalog's description of the server, when it names a catalog target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerDescription {
    /// Language.
    pub language: String,
    /// Framework and mode.
    pub framework: String,
}

/// All instances of one test, merged.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The files, in the order given.
    pub files: Vec<PathBuf>,
    /// What the load requests of every instance add up to.
    pub load: LoadCounts,
    /// Earliest request start to latest end, unix microseconds.
    pub span_us: (i64, i64),
    /// The run as the script described it.
    pub run: RunTags,
    /// Server readings of every instance.
    pub scrapes: Vec<Scrape>,
    /// The first wrong answer described.
    pub wrong_answer_example: Option<String>,
    /// What a reader should know: missing segments, unreadable lines, failed scrapes.
    pub warnings: Vec<String>,
}

/// Reads and merges the files of one test.
pub fn import_files(paths: &[PathBuf]) -> Result<Imported, K6Error> {
    let outputs = paths
        .iter()
        .map(|p| InstanceOutput::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    merge(outputs)
}

/// Merges instances' outputs; refuses outputs of different tests.
pub fn merge(outputs: Vec<InstanceOutput>) -> Result<Imported, K6Error> {
    let mut warnings = Vec::new();
    let runs: Vec<&RunTags> = outputs.iter().filter_map(|o| o.run.as_ref()).collect();
    let run = runs.first().map(|r| (*r).clone()).unwrap_or_default();
    for other in &runs {
        if (&other.workload, other.seed, other.connections, &other.rate)
            != (&run.workload, run.seed, run.connections, &run.rate)
        {
            return Err(K6Error::Mixed(format!(
                "one file ran {} (seed {:?}, {:?} VUs, rate {:?}), another {} (seed {:?}, {:?} VUs, rate {:?})",
                run.workload,
                run.seed,
                run.connections,
                run.rate,
                other.workload,
                other.seed,
                other.connections,
                other.rate
            )));
        }
    }
    if runs.len() < outputs.len() {
        warnings.push(format!(
            "{} of {} files lack the stampede_info point: were they written by a script from `stampede export k6`?",
            outputs.len() - runs.len(),
            outputs.len()
        ));
    }
    let segments: Vec<&str> = runs.iter().map(|r| r.segment.as_str()).collect();
    if runs.len() == outputs.len()
        && let Some(problem) = segment::coverage_problem(&segments)
    {
        warnings.push(problem);
    }
    let mut merged = Imported {
        files: outputs.iter().map(|o| o.path.clone()).collect(),
        load: LoadCounts::default(),
        span_us: (i64::MAX, i64::MIN),
        run,
        scrapes: Vec::new(),
        wrong_answer_example: None,
        warnings,
    };
    for output in outputs {
        merged.load.add(output.load);
        if let Some((start, end)) = output.span_us {
            merged.span_us = (merged.span_us.0.min(start), merged.span_us.1.max(end));
        }
        merged.scrapes.extend(output.scrapes);
        if merged.wrong_answer_example.is_none() {
            merged.wrong_answer_example = output.wrong_answer_example;
        }
        if output.bad_lines > 0 {
            merged.warnings.push(format!(
                "{}: {} lines were not k6 JSON output and were skipped",
                output.path.display(),
                output.bad_lines
            ));
        }
        if output.scrape_failures > 0 {
            merged.warnings.push(format!(
                "{}: {} reads of the metrics endpoint failed",
                output.path.display(),
                output.scrape_failures
            ));
        }
    }
    if merged.load.http_reqs == 0 {
        return Err(K6Error::NoRequests);
    }
    Ok(merged)
}

impl Imported {
    /// Instances merged.
    pub fn instances(&self) -> usize {
        self.files.len()
    }

    /// Failed requests, all kinds.
    pub fn failed_requests(&self) -> u64 {
        self.load.failed_by_kind.values().sum()
    }

    /// Failed checks of `kind` (`answer`, `too-fast`).
    pub fn failed_checks(&self, kind: &str) -> u64 {
        self.load.checks.get(kind).map_or(0, |c| c.1)
    }

    /// Our error kinds: failed requests, wrong answers and answers sooner than asked.
    pub fn errors_by_kind(&self) -> BTreeMap<String, u64> {
        let mut kinds = self.load.failed_by_kind.clone();
        for (check, kind) in [("answer", "wrong-answer"), ("too-fast", "too-fast")] {
            let failed = self.failed_checks(check);
            if failed > 0 {
                *kinds.entry(kind.to_owned()).or_default() += failed;
            }
        }
        kinds
    }

    /// Wall seconds from the first request's start to the last one's end.
    pub fn wall_seconds(&self) -> f64 {
        (self.span_us.1 - self.span_us.0).max(0) as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Commit, Machine, Run, RunMode};
    use crate::load::LatencyStats;
    use std::path::Path;

    fn instance(name: &str, text: &str) -> InstanceOutput {
        InstanceOutput::parse(Path::new(name), text.as_bytes()).unwrap()
    }

    fn point(metric: &str, ms: &str, value: f64, tags: &str) -> String {
        format!(
            r#"{{"type":"Point","data":{{"time":"2026-05-02T10:00:00.{ms}Z","value":{value},"tags":{{{tags}}}}},"metric":"{metric}"}}"#
        )
    }

    fn info(segment: &str) -> String {
        point(
            "stampede_info",
            "000",
            1.0,
            &format!(
                r#""workload":"json","seed":"7","connections":"4","rate":"","duration":"1s","segment":"{segment}","metrics_url":"","url":"http://127.0.0.1:1""#
            ),
        )
    }

    /// One instance whose `n` requests took `ms` each.
    fn requests(segment: &str, n: usize, ms: f64) -> String {
        let mut lines = vec![info(segment)];
        for i in 0..n {
            let at = format!("{:03}", 100 + i);
            lines.push(point(
                "http_req_duration",
                &at,
                ms,
                r#""scenario":"load","expected_response":"true""#,
            ));
            lines.push(point("http_reqs", &at, 1.0, r#""scenario":"load""#));
        }
        lines.join("\n")
    }

    fn context() -> Run {
        Run {
            id: "20260502T100000Z-1-000".into(),
            started_at: "2026-05-02T10:00:00Z".into(),
            mode: RunMode::Cli,
            commit: Commit::parse("abc"),
            branch: None,
            machine: Machine {
                cpu_model: "Test CPU".into(),
                cores: 2,
                kernel: "6.1".into(),
            },
            toolchains: Default::default(),
        }
    }

    fn options() -> ImportOptions {
        ImportOptions {
            target: "actix".into(),
            metrics_url: None,
        }
    }

    #[test]
    fn instances_merge_into_one_histogram_not_an_average_of_their_percentiles() {
        // 90 fast requests on one instance, 10 slow ones on the other: the merged p50 is fast
        // and p99 slow; averaging the instances' medians would give neither.
        let merged = merge(vec![
            instance("a.json", &requests("0:1/2", 90, 1.0)),
            instance("b.json", &requests("1/2:1", 10, 100.0)),
        ])
        .unwrap();
        assert_eq!(merged.load.http_reqs, 100);
        assert_eq!(merged.load.durations.len(), 100);
        let summary = LatencyStats::of(&merged.load.durations);
        assert_eq!(summary.p50, 1000);
        assert!(summary.p99 >= 99_000, "{summary:?}");
        assert!(merged.warnings.is_empty(), "{:?}", merged.warnings);
        let record = merged.record(&options(), &context(), None).unwrap();
        assert_eq!(record.id, "json/actix@k6x2/c4");
        assert_eq!(record.figures.requests, 100);
        let engine = record.engine.unwrap();
        assert_eq!((engine.instances, engine.server_metrics), (2, None));
        assert_eq!(record.machine, context().machine, "loopback: this machine");
    }

    #[test]
    fn a_missing_instance_is_warned_about_and_different_tests_are_refused() {
        let merged = merge(vec![instance("a.json", &requests("0:1/2", 5, 1.0))]).unwrap();
        assert!(
            merged.warnings[0].contains("missing"),
            "{:?}",
            merged.warnings
        );
        let other = requests("1/2:1", 5, 1.0).replace(r#""seed":"7""#, r#""seed":"8""#);
        let err = merge(vec![
            instance("a.json", &requests("0:1/2", 5, 1.0)),
            instance("b.json", &other),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("not one test"), "{err}");
    }

    #[test]
    fn wrong_answers_and_failed_requests_are_errors_by_kind_and_make_the_record_invalid() {
        let mut text = requests("0:1", 20, 1.0);
        text.push('\n');
        text.push_str(&point(
            "checks",
            "200",
            0.0,
            r#""scenario":"load","stampede_check":"answer""#,
        ));
        text.push('\n');
        text.push_str(&point(
            "http_req_failed",
            "200",
            1.0,
            r#""scenario":"load","status":"0","error_code":"1050""#,
        ));
        let merged = merge(vec![instance("a.json", &text)]).unwrap();
        let record = merged.record(&options(), &context(), None).unwrap();
        assert_eq!(record.figures.errors_by_kind.get("wrong-answer"), Some(&1));
        assert_eq!(record.figures.errors_by_kind.get("timeout"), Some(&1));
        assert_eq!((record.figures.requests, record.errors), (18, 2));
        assert!(record.flags.invalid);
    }

    #[test]
    fn server_scrapes_give_cpu_per_request_and_peak_memory() {
        let mut text = requests("0:1", 10, 1.0);
        for (ms, phase, cpu, pss) in [
            ("050", "before", 1.0, 100.0),
            ("500", "during", 1.2, 300.0),
            ("900", "after", 1.5, 200.0),
        ] {
            text.push('\n');
            let tags = format!(r#""phase":"{phase}""#);
            text.push_str(&point("stampede_server_cpu_seconds", ms, cpu, &tags));
            text.push('\n');
            text.push_str(&point("stampede_server_pss_bytes", ms, pss, &tags));
            text.push('\n');
            text.push_str(&point("stampede_server_cores", ms, 1.0, &tags));
        }
        let text = text.replace(
            r#""metrics_url":"""#,
            r#""metrics_url":"http://127.0.0.1:9/metrics""#,
        );
        let merged = merge(vec![instance("a.json", &text)]).unwrap();
        let with = ImportOptions {
            metrics_url: Some("http://127.0.0.1:9/metrics".into()),
            ..options()
        };
        let record = merged.record(&with, &context(), None).unwrap();
        let cpu_us = record.figures.server.cpu_us_per_request.unwrap();
        assert!(
            (cpu_us - 50_000.0).abs() < 1.0,
            "0.5 s over 10 requests: {cpu_us}"
        );
        assert_eq!(record.figures.server.peak_pss_bytes, 300);
        assert_eq!(record.figures.server.idle_pss_bytes, Some(100));
        assert!((record.figures.server.cpu_busy - 0.5 / 0.85).abs() < 1e-6);
        let elsewhere = ImportOptions {
            metrics_url: Some("http://10.1.1.1:9/metrics".into()),
            ..options()
        };
        let err = merged.record(&elsewhere, &context(), None).unwrap_err();
        assert!(err.to_string().contains("-e METRICS_URL="), "{err}");
    }

    #[test]
    fn an_open_loop_reports_dropped_iterations_as_late_sends() {
        let mut text = requests("0:1", 10, 1.0).replace(r#""rate":"""#, r#""rate":"100""#);
        text.push('\n');
        text.push_str(&point("iterations", "300", 10.0, r#""scenario":"load""#));
        text.push('\n');
        text.push_str(&point(
            "dropped_iterations",
            "300",
            5.0,
            r#""scenario":"load""#,
        ));
        let record = merge(vec![instance("a.json", &text)])
            .unwrap()
            .record(&options(), &context(), None)
            .unwrap();
        let run = &record.figures.open_loop[0];
        assert_eq!((run.send_lag.late_sends, run.send_lag.sends), (5, 15));
        assert!(run.client_late && !run.sustained && record.flags.client_late);
        assert_eq!(record.param, "c4-rate100");
        assert_eq!(record.figures.occupancy, None);
    }
}
