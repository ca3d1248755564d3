//! From stored points to one trend per benchmark ID: the runs comparable with the latest one
//! (same machine fingerprint and mode), the change against the previous comparable run, and
//! the change points with the commits where they happened. Runs that are not comparable are
//! listed apart with the reason.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Serialize;

use super::HistoryError;
use super::changepoint::Settings;
use super::db::{History, Point};
use super::fingerprint::Fingerprint;
use super::metric::Metric;
pub use super::series::{CommitChange, Previous, RunValue, short};
use super::series::{change_points_of, previous_of};
use crate::benchmark_id::BenchmarkId;
use crate::evidence::RunMode;

/// How much history is analysed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrendSettings {
    /// Only the most recent comparable runs are searched for change points (as Otava does):
    /// a change long ago says nothing about today, and the search is quadratic.
    pub window: usize,
    /// The detector's settings.
    pub changepoint: Settings,
}

impl Default for TrendSettings {
    fn default() -> Self {
        Self {
            window: 100,
            changepoint: Settings::default(),
        }
    }
}

/// Every trend of one metric.
#[derive(Clone, Debug, Serialize)]
pub struct MetricTrends {
    /// The figure followed.
    pub metric: Metric,
    /// Its unit.
    pub unit: &'static str,
    /// True when larger is better.
    pub higher_is_better: bool,
    /// One per benchmark ID, sorted by ID.
    pub trends: Vec<Trend>,
    /// Runs of those IDs that were not compared, grouped by machine and mode.
    pub apart: Vec<Apart>,
}

/// One benchmark ID's comparable series.
#[derive(Clone, Debug, Serialize)]
pub struct Trend {
    /// Benchmark ID.
    pub bench_id: BenchmarkId,
    /// Mode of every run in the series.
    pub mode: RunMode,
    /// Machine of every run in the series.
    pub fingerprint: Fingerprint,
    /// Short name of the machine.
    pub fingerprint_short: String,
    /// The comparable runs analysed, oldest first; the last is the latest.
    pub runs: Vec<RunValue>,
    /// Change of the latest against the one before it.
    pub previous: Option<Previous>,
    /// Change points, oldest first.
    pub change_points: Vec<CommitChange>,
    /// Comparable runs left out: flagged invalid, or without this figure.
    pub left_out: usize,
}

impl Trend {
    /// The latest comparable run.
    pub fn latest(&self) -> Option<&RunValue> {
        self.runs.last()
    }
}

/// Runs of a benchmark ID on another machine or in another mode than its latest run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Apart {
    /// Benchmark ID.
    pub bench_id: BenchmarkId,
    /// Their mode.
    pub mode: RunMode,
    /// Short name of their machine.
    pub fingerprint_short: String,
    /// How many runs.
    pub runs: usize,
    /// Why they are not compared: each difference, theirs vs the latest run's.
    pub reason: String,
}

/// A benchmark ID filter from the command line: a regular expression, as for `cargo bench`.
pub fn id_filter(pattern: &str) -> Result<Regex, HistoryError> {
    Regex::new(pattern).map_err(|e| HistoryError::Filter {
        pattern: pattern.to_owned(),
        why: e.to_string(),
    })
}

/// The trends of every benchmark ID that `filter` matches (all when `None`).
pub fn analyse(
    points: Vec<Point>,
    filter: Option<&Regex>,
    metric: Metric,
    settings: &TrendSettings,
) -> MetricTrends {
    let mut by_id: BTreeMap<BenchmarkId, Vec<Point>> = BTreeMap::new();
    for point in points {
        if filter.is_none_or(|f| f.is_match(point.bench_id.as_str())) {
            by_id.entry(point.bench_id.clone()).or_default().push(point);
        }
    }
    let mut found = MetricTrends {
        metric,
        unit: metric.unit(),
        higher_is_better: metric.higher_is_better(),
        trends: Vec::new(),
        apart: Vec::new(),
    };
    for (bench_id, points) in by_id {
        // An ID that never had this figure (an icount series has no requests/s) is not a trend
        // of it.
        if points.iter().all(|p| p.value.is_none()) {
            continue;
        }
        let Some(latest) = points.last() else {
            continue;
        };
        let (reference, mode) = (latest.fingerprint.clone(), latest.mode);
        let mut others: BTreeMap<(RunMode, Fingerprint), usize> = BTreeMap::new();
        let mut runs = Vec::new();
        let mut left_out = 0;
        for point in points {
            if point.fingerprint != reference || point.mode != mode {
                *others.entry((point.mode, point.fingerprint)).or_default() += 1;
                continue;
            }
            match point.value {
                Some(value) if !point.flags.iter().any(|f| f == "invalid") => runs.push(RunValue {
                    run_id: point.run_id,
                    time: point.time,
                    commit: point.commit.to_string(),
                    value,
                    flags: point.flags,
                    versions: versions_of(point.toolchain.as_deref(), point.framework.as_deref()),
                }),
                _ => left_out += 1,
            }
        }
        for ((their_mode, fingerprint), count) in others {
            let mut reasons = Vec::new();
            if their_mode != mode {
                reasons.push(format!("mode {their_mode} vs {mode}"));
            }
            reasons.extend(fingerprint.differences(&reference));
            found.apart.push(Apart {
                bench_id: bench_id.clone(),
                mode: their_mode,
                fingerprint_short: fingerprint.short(),
                runs: count,
                reason: reasons.join("; "),
            });
        }
        let skip = runs.len().saturating_sub(settings.window);
        runs.drain(..skip);
        found.trends.push(Trend {
            previous: previous_of(&runs),
            change_points: change_points_of(&runs, &settings.changepoint),
            fingerprint_short: reference.short(),
            bench_id,
            mode,
            fingerprint: reference,
            runs,
            left_out,
        });
    }
    found
}

/// A change point in one metric's trend, as listed beside another metric's table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricChange {
    /// The figure that changed.
    pub metric: Metric,
    /// Its benchmark ID.
    pub bench_id: BenchmarkId,
    /// Where and how much.
    pub change: CommitChange,
}

/// Every change point of every metric except `shown`, by metric then benchmark ID: a table
/// shows one figure, and a change that only another figure sees (a server that burns more
/// CPU per request while the client still limits requests/s) must not go unseen.
pub fn change_points_besides(
    history: &History,
    filter: Option<&Regex>,
    shown: Metric,
    settings: &TrendSettings,
) -> Result<Vec<MetricChange>, HistoryError> {
    let mut found = Vec::new();
    for metric in Metric::ALL.into_iter().filter(|m| *m != shown) {
        for trend in analyse(history.points(metric)?, filter, metric, settings).trends {
            found.extend(trend.change_points.into_iter().map(|change| MetricChange {
                metric,
                bench_id: trend.bench_id.clone(),
                change,
            }));
        }
    }
    Ok(found)
}

fn versions_of(toolchain: Option<&str>, framework: Option<&str>) -> String {
    [framework, toolchain]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Commit;

    fn machine(kernel: &str) -> Fingerprint {
        Fingerprint {
            machine: crate::evidence::Machine {
                cpu_model: "cpu".into(),
                cores: 2,
                kernel: kernel.into(),
            },
            server_cpus: "0".into(),
            client_cpus: "1".into(),
        }
    }

    fn point(id: &str, i: usize, commit: &str, value: f64, kernel: &str, mode: &str) -> Point {
        Point {
            bench_id: id.parse().unwrap(),
            run_id: format!("run{i}"),
            time: format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60),
            commit: Commit::parse(commit),
            branch: None,
            mode: mode.parse().unwrap(),
            source: "bench".into(),
            fingerprint: machine(kernel),
            value: Some(value),
            flags: Vec::new(),
            toolchain: Some("go1.22".into()),
            framework: Some("gin 1.10.0".into()),
        }
    }

    /// Six runs at commit `a` near 100, six at `b` near 90, with a small deterministic wobble.
    fn stepped(id: &str) -> Vec<Point> {
        let wobble = [0.4, -0.3, 0.1, -0.5, 0.2, 0.0];
        (0..12)
            .map(|i| {
                let (commit, level) = if i < 6 { ("a", 100.0) } else { ("b", 90.0) };
                point(id, i, commit, level + wobble[i % 6], "6.1", "quick")
            })
            .collect()
    }

    #[test]
    fn a_step_between_two_commits_is_placed_at_the_second_commit() {
        let found = analyse(
            stepped("plaintext/actix/c64"),
            None,
            Metric::RequestsPerSec,
            &TrendSettings::default(),
        );
        let trend = &found.trends[0];
        assert_eq!(trend.runs.len(), 12);
        assert_eq!(trend.change_points.len(), 1);
        let cp = &trend.change_points[0];
        assert_eq!(
            (cp.commit.as_str(), cp.previous_commit.as_str()),
            ("b", "a")
        );
        assert!(!cp.within_commit);
        assert_eq!(cp.versions_changed, None);
        assert!(cp.relative_change < -0.09 && cp.relative_change > -0.11);
        let previous = trend.previous.as_ref().unwrap();
        assert_eq!(previous.commit, "b");
    }

    #[test]
    fn a_change_point_where_the_toolchain_changed_says_so() {
        let mut points = stepped("json/gin/c64");
        for p in &mut points[6..] {
            p.toolchain = Some("go1.23".into());
        }
        let found = analyse(
            points,
            None,
            Metric::RequestsPerSec,
            &TrendSettings::default(),
        );
        let cp = &found.trends[0].change_points[0];
        assert_eq!(
            cp.versions_changed.as_deref(),
            Some("gin 1.10.0, go1.22 -> gin 1.10.0, go1.23")
        );
    }

    #[test]
    fn runs_on_another_kernel_or_mode_are_listed_apart_with_the_reason() {
        let mut points = vec![
            point("json/gin/c64", 0, "a", 50.0, "6.0", "quick"),
            point("json/gin/c64", 1, "a", 51.0, "6.1", "full"),
        ];
        points.extend((2..6).map(|i| point("json/gin/c64", i, "a", 60.0, "6.1", "quick")));
        let found = analyse(
            points,
            None,
            Metric::RequestsPerSec,
            &TrendSettings::default(),
        );
        assert_eq!(found.trends[0].runs.len(), 4);
        let reasons: Vec<&str> = found.apart.iter().map(|a| a.reason.as_str()).collect();
        assert_eq!(reasons, ["mode full vs quick", "kernel 6.0 vs 6.1"]);
    }

    #[test]
    fn the_filter_selects_ids_and_invalid_or_missing_figures_are_left_out() {
        let mut points = stepped("plaintext/actix/c64");
        points.extend(stepped("json/actix/c64"));
        points[3].flags = vec!["invalid".into()];
        points[4].value = None;
        let filter = Regex::new("^plaintext/").unwrap();
        let found = analyse(
            points,
            Some(&filter),
            Metric::RequestsPerSec,
            &TrendSettings::default(),
        );
        assert_eq!(found.trends.len(), 1);
        assert_eq!(found.trends[0].runs.len(), 10);
        assert_eq!(found.trends[0].left_out, 2);
    }

    #[test]
    fn an_id_that_never_had_the_figure_is_not_listed() {
        let mut points = stepped("plaintext/actix/icount");
        for p in &mut points {
            p.value = None;
        }
        let found = analyse(
            points,
            None,
            Metric::RequestsPerSec,
            &TrendSettings::default(),
        );
        assert!(found.trends.is_empty() && found.apart.is_empty());
    }

    #[test]
    fn only_the_most_recent_window_of_runs_is_analysed() {
        let settings = TrendSettings {
            window: 5,
            ..TrendSettings::default()
        };
        let found = analyse(
            stepped("plaintext/axum/c1"),
            None,
            Metric::RequestsPerSec,
            &settings,
        );
        assert_eq!(found.trends[0].runs.len(), 5);
        assert_eq!(found.trends[0].runs[0].run_id, "run7");
    }
}
