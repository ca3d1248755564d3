//! One k6 instance's `--out json` file (NDJSON: a `Metric` line declares a metric, a `Point`
//! line is one sample with its time, value and tags), reduced while it streams past to what a
//! result needs: every load request's duration in an HDR histogram, counts, and the server
//! scrapes the exported script recorded.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;
use serde::Deserialize;

use super::K6Error;
use crate::load::latency::{new_histogram, record_us};

/// The scenario the exported script loads in; points of other scenarios (the metrics scraper)
/// and of setup and teardown are not load.
pub const LOAD_SCENARIO: &str = "load";

/// What a `stampede_info` point says about the run (one per instance, from `setup()`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunTags {
    /// Workload name, e.g. `hash:1000`.
    pub workload: String,
    /// Body seed.
    pub seed: Option<u64>,
    /// VUs of the whole test.
    pub connections: Option<usize>,
    /// Constant rate of the whole test, open loop.
    pub rate: Option<String>,
    /// The scenario's duration, e.g. `30s`.
    pub duration: String,
    /// This instance's execution segment, e.g. `1/2:1`.
    pub segment: String,
    /// The metrics endpoint the script scraped, if any.
    pub metrics_url: String,
    /// The server's base URL the instance loaded.
    pub url: String,
}

/// One reading of a server metric by the script.
#[derive(Clone, Debug, PartialEq)]
pub struct Scrape {
    /// Unix time of the reading, microseconds.
    pub time_us: i64,
    /// `before`, `during` or `after`.
    pub phase: String,
    /// The k6 metric, e.g. `stampede_server_cpu_seconds`.
    pub metric: String,
    /// Its value.
    pub value: f64,
}

/// What the load requests of one k6 instance, or of several merged, add up to.
#[derive(Clone, Debug)]
pub struct LoadCounts {
    /// Durations of load requests whose status was the expected one, microseconds.
    pub durations: Histogram<u64>,
    /// Load requests sent (`http_reqs`).
    pub http_reqs: u64,
    /// Load requests k6 counted as failed (`http_req_failed`), by our error kind.
    pub failed_by_kind: BTreeMap<String, u64>,
    /// Checks by the script's `stampede_check` tag: (passed, failed).
    pub checks: BTreeMap<String, (u64, u64)>,
    /// Iterations an open loop could not start in time (`dropped_iterations`).
    pub dropped_iterations: u64,
    /// Load iterations that ran.
    pub iterations: u64,
}

impl Default for LoadCounts {
    fn default() -> Self {
        Self {
            durations: new_histogram(),
            http_reqs: 0,
            failed_by_kind: BTreeMap::new(),
            checks: BTreeMap::new(),
            dropped_iterations: 0,
            iterations: 0,
        }
    }
}

impl LoadCounts {
    /// Adds another instance's counts to these.
    pub fn add(&mut self, other: Self) {
        // Same bounds and precision on both sides: adding cannot fail.
        let _ = self.durations.add(&other.durations);
        self.http_reqs += other.http_reqs;
        for (kind, n) in other.failed_by_kind {
            *self.failed_by_kind.entry(kind).or_default() += n;
        }
        for (kind, (passed, failed)) in other.checks {
            let entry = self.checks.entry(kind).or_default();
            entry.0 += passed;
            entry.1 += failed;
        }
        self.dropped_iterations += other.dropped_iterations;
        self.iterations += other.iterations;
    }
}

/// Everything one file contributes.
#[derive(Clone, Debug)]
pub struct InstanceOutput {
    /// The file read.
    pub path: PathBuf,
    /// What its load requests add up to.
    pub load: LoadCounts,
    /// Earliest start and latest end of a load request, unix microseconds.
    pub span_us: Option<(i64, i64)>,
    /// The run's tags, when the script was exported by stampede.
    pub run: Option<RunTags>,
    /// Server readings.
    pub scrapes: Vec<Scrape>,
    /// The first wrong answer the script described.
    pub wrong_answer_example: Option<String>,
    /// Failed reads of the metrics endpoint.
    pub scrape_failures: u64,
    /// Lines that were not k6 JSON output.
    pub bad_lines: u64,
    /// Point lines read.
    pub points: u64,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    metric: Cow<'a, str>,
    #[serde(borrow)]
    data: Data<'a>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(default, borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default, borrow)]
    tags: Option<Tags<'a>>,
}

/// The tags the import reads; k6 adds more, which are ignored.
#[derive(Default, Deserialize)]
struct Tags<'a> {
    #[serde(default, borrow)]
    scenario: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    expected_response: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    error_code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    stampede_check: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    phase: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    example: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    workload: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    seed: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    connections: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    rate: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    duration: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    segment: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    metrics_url: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    url: Option<Cow<'a, str>>,
}

impl InstanceOutput {
    fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            load: LoadCounts::default(),
            span_us: None,
            run: None,
            scrapes: Vec::new(),
            wrong_answer_example: None,
            scrape_failures: 0,
            bad_lines: 0,
            points: 0,
        }
    }

    /// Reads a k6 `--out json` file (`.gz` files must be unpacked first).
    pub fn read(path: &Path) -> Result<Self, K6Error> {
        let file = std::fs::File::open(path).map_err(|error| K6Error::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Self::parse(path, std::io::BufReader::new(file))
    }

    /// Reads k6 NDJSON from `reader`; `path` names it in messages.
    pub fn parse(path: &Path, reader: impl BufRead) -> Result<Self, K6Error> {
        let mut out = Self::new(path);
        for line in reader.lines() {
            let line = line.map_err(|error| K6Error::Read {
                path: path.to_path_buf(),
                error,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Line>(&line) {
                Ok(parsed) if parsed.kind == "Point" => out.add_point(&parsed),
                Ok(_) => {}
                Err(_) => out.bad_lines += 1,
            }
        }
        if out.points == 0 {
            return Err(K6Error::NoPoints {
                path: path.to_path_buf(),
            });
        }
        Ok(out)
    }

    fn add_point(&mut self, line: &Line) {
        self.points += 1;
        let data = &line.data;
        let empty = Tags::default();
        let tags = data.tags.as_ref().unwrap_or(&empty);
        let value = data.value.unwrap_or(0.0);
        let time_us = data.time.as_deref().and_then(parse_time_us);
        let is_load = tags.scenario.as_deref() == Some(LOAD_SCENARIO);
        match line.metric.as_ref() {
            "http_req_duration" if is_load => {
                if let Some(end) = time_us {
                    let start = end - (value * 1000.0) as i64;
                    self.span_us = Some(match self.span_us {
                        Some((a, b)) => (a.min(start), b.max(end)),
                        None => (start, end),
                    });
                }
                if tags.expected_response.as_deref() != Some("false") {
                    record_us(&mut self.load.durations, (value * 1000.0).round() as u64);
                }
            }
            "http_reqs" if is_load => self.load.http_reqs += value as u64,
            "http_req_failed" if is_load && value > 0.0 => {
                let kind = error_kind(tags.status.as_deref(), tags.error_code.as_deref());
                *self.load.failed_by_kind.entry(kind.to_owned()).or_default() += 1;
            }
            "checks" if is_load => {
                let name = tags.stampede_check.as_deref().unwrap_or("other");
                let entry = self.load.checks.entry(name.to_owned()).or_default();
                if value > 0.0 {
                    entry.0 += 1;
                } else {
                    entry.1 += 1;
                }
            }
            "dropped_iterations" if is_load => self.load.dropped_iterations += value as u64,
            "iterations" if is_load => self.load.iterations += value as u64,
            "stampede_wrong_answers" if self.wrong_answer_example.is_none() => {
                self.wrong_answer_example = tags.example.as_deref().map(str::to_owned);
            }
            "stampede_scrape_failures" => self.scrape_failures += value as u64,
            "stampede_info" => self.run = Some(run_tags(tags)),
            metric if metric.starts_with("stampede_server_") => {
                if let Some(time_us) = time_us {
                    self.scrapes.push(Scrape {
                        time_us,
                        phase: tags.phase.as_deref().unwrap_or("").to_owned(),
                        metric: metric.to_owned(),
                        value,
                    });
                }
            }
            _ => {}
        }
    }
}

fn run_tags(tags: &Tags) -> RunTags {
    let text = |t: &Option<Cow<str>>| t.as_deref().unwrap_or("").to_owned();
    RunTags {
        workload: text(&tags.workload),
        seed: tags.seed.as_deref().and_then(|s| s.parse().ok()),
        connections: tags.connections.as_deref().and_then(|s| s.parse().ok()),
        rate: tags
            .rate
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        duration: text(&tags.duration),
        segment: text(&tags.segment),
        metrics_url: text(&tags.metrics_url),
        url: text(&tags.url),
    }
}

/// Our error kind of a failed k6 request: status 0 means no response, and k6's error code says
/// why (1050 request timeout, 1211 dial timeout, 12xx dial errors, the rest input/output).
pub fn error_kind(status: Option<&str>, error_code: Option<&str>) -> &'static str {
    if status.is_some_and(|s| s != "0") {
        return "status";
    }
    match error_code.and_then(|c| c.parse::<u32>().ok()) {
        Some(1050 | 1211) => "timeout",
        Some(1210..=1299) => "connect",
        _ => "io",
    }
}

/// Unix microseconds of an RFC 3339 time as k6 writes it (`2026-05-02T10:00:00.123456789+02:00`).
pub fn parse_time_us(text: &str) -> Option<i64> {
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> InstanceOutput {
        InstanceOutput::parse(Path::new("test.json"), text.as_bytes()).unwrap()
    }

    #[test]
    fn rfc3339_times_with_offsets_and_nanoseconds_become_unix_microseconds() {
        assert_eq!(parse_time_us("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(
            parse_time_us("1970-01-01T02:00:01.000002500+02:00"),
            Some(1_000_002)
        );
        assert_eq!(parse_time_us("yesterday"), None);
    }

    #[test]
    fn failed_requests_map_to_our_error_kinds() {
        assert_eq!(error_kind(Some("500"), None), "status");
        assert_eq!(error_kind(Some("0"), Some("1050")), "timeout");
        assert_eq!(error_kind(Some("0"), Some("1212")), "connect");
        assert_eq!(error_kind(Some("0"), Some("1000")), "io");
        assert_eq!(error_kind(None, None), "io");
    }

    #[test]
    fn only_load_points_count_and_unexpected_statuses_stay_out_of_the_histogram() {
        let text = r#"{"type":"Metric","data":{"type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}
{"type":"Point","data":{"time":"2026-05-02T10:00:00.001Z","value":1.5,"tags":{"scenario":"load","expected_response":"true","status":"200"}},"metric":"http_req_duration"}
{"type":"Point","data":{"time":"2026-05-02T10:00:00.002Z","value":9.0,"tags":{"scenario":"load","expected_response":"false","status":"500"}},"metric":"http_req_duration"}
{"type":"Point","data":{"time":"2026-05-02T10:00:00.002Z","value":1,"tags":{"scenario":"load","status":"500"}},"metric":"http_req_failed"}
{"type":"Point","data":{"time":"2026-05-02T10:00:00.003Z","value":0,"tags":{"scenario":"load","status":"200"}},"metric":"http_req_failed"}
{"type":"Point","data":{"time":"2026-05-02T10:00:00.003Z","value":2,"tags":{"scenario":"load"}},"metric":"http_reqs"}
{"type":"Point","data":{"time":"2026-05-02T10:00:00.003Z","value":1,"tags":{"stampede":"scrape"}},"metric":"http_reqs"}
{"type":"Point","data":{"time":"2026-05-02T10:00:00.003Z","value":0,"tags":{"scenario":"load","stampede_check":"answer"}},"metric":"checks"}
{"type":"Point","data":{"time":"2026-05-02T10:00:00.003Z","value":1,"tags":{"scenario":"load","stampede_check":"answer"}},"metric":"checks"}
not json
{"type":"Point","data":{"time":"2026-05-02T10:00:00.004Z","value":3,"tags":null},"metric":"vus"}
"#;
        let out = parse(text);
        assert_eq!(out.load.http_reqs, 2);
        assert_eq!(out.load.durations.len(), 1);
        assert_eq!(out.load.durations.max(), 1500);
        assert_eq!(out.load.failed_by_kind.get("status"), Some(&1));
        assert_eq!(out.load.checks.get("answer"), Some(&(1, 1)));
        assert_eq!(out.bad_lines, 1);
        let (start, end) = out.span_us.unwrap();
        assert_eq!(
            end - start,
            9000,
            "from the earliest start to the latest end"
        );
    }

    #[test]
    fn a_file_without_points_is_refused() {
        let err = InstanceOutput::parse(Path::new("empty.json"), &b"\n"[..]).unwrap_err();
        assert!(err.to_string().contains("--out json"), "{err}");
    }
}
