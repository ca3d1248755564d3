//! What `stampede history` prints: one line per benchmark ID (latest figure, change against the
//! previous comparable run, change points with their commits) and the change points of the
//! figures the table does not show; as text or as one JSON object
//! (through [`crate::output::Render`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use regex::Regex;

use super::trend::{
    MetricChange, MetricTrends, TrendSettings, analyse, change_points_besides, short,
};
use super::{History, HistoryError, Metric};
use crate::output::{Format, Render, RenderError, json_pretty, unsupported};

/// A trend table read from the history file at `path`, with the other figures' change points
/// when the table shows the default figure.
#[derive(Clone, Debug)]
pub struct HistoryView {
    /// The table's figure, per benchmark ID.
    pub report: MetricTrends,
    /// The history file read.
    pub path: PathBuf,
    /// Change points of every other figure; `None` when one figure was asked for.
    pub besides: Option<Vec<MetricChange>>,
}

impl HistoryView {
    /// Reads the table of `metric` from the history at `path`, for the benchmark IDs `filter`
    /// matches; with no metric asked for, requests/s and every other figure's change points.
    pub fn read(
        path: &Path,
        filter: Option<&Regex>,
        metric: Option<Metric>,
    ) -> Result<Self, HistoryError> {
        let history = History::open(path)?;
        let shown = metric.unwrap_or(Metric::RequestsPerSec);
        let settings = TrendSettings::default();
        let report = analyse(history.points(shown)?, filter, shown, &settings);
        let besides = metric
            .is_none()
            .then(|| change_points_besides(&history, filter, shown, &settings))
            .transpose()?;
        Ok(Self {
            report,
            path: path.to_path_buf(),
            besides,
        })
    }

    /// The table, then the other figures' change points.
    pub fn text(&self) -> String {
        let mut out = trends_text(&self.report, &self.path);
        if let Some(besides) = &self.besides {
            out.push_str(&besides_text(besides, self.report.metric));
        }
        out
    }

    /// The report as JSON, with the file read and the other figures' change points.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        let mut value = serde_json::to_value(&self.report)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("history".into(), self.path.display().to_string().into());
            if let Some(besides) = &self.besides {
                map.insert("other_change_points".into(), serde_json::to_value(besides)?);
            }
        }
        Ok(value)
    }
}

fn trends_text(report: &MetricTrends, path: &Path) -> String {
    let metric = report.metric;
    let mut out = String::new();
    let _ = writeln!(out, "{}, from {}", metric.heading(), path.display());
    if report.trends.is_empty() {
        let _ = writeln!(out, "no recorded runs match");
        return out;
    }
    let width = report
        .trends
        .iter()
        .map(|t| t.bench_id.as_str().len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        out,
        "\n{:width$}  {:7} {:8} {:>4} {:>10}  {:24} change points",
        "bench id", "mode", "machine", "runs", "latest", "vs previous run"
    );
    let mut machines = std::collections::BTreeMap::new();
    for t in &report.trends {
        machines.insert(t.fingerprint_short.clone(), t.fingerprint.describe());
        let latest = t
            .latest()
            .map_or_else(|| "-".into(), |r| metric.format(r.value));
        let previous = t.previous.as_ref().map_or_else(
            || "-".to_owned(),
            |p| format!("{:+.1}% ({})", p.relative_change * 100.0, short(&p.commit)),
        );
        let changes: Vec<String> = t.change_points.iter().map(|c| c.describe()).collect();
        let _ = writeln!(
            out,
            "{:width$}  {:7} {:8} {:>4} {:>10}  {:24} {}{}",
            t.bench_id,
            t.mode,
            t.fingerprint_short,
            t.runs.len(),
            latest,
            previous,
            if changes.is_empty() {
                "none".to_owned()
            } else {
                changes.join("; ")
            },
            if t.left_out > 0 {
                format!(
                    "  [{} left out: invalid or without this figure]",
                    t.left_out
                )
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(out, "\nmachines:");
    for (short_name, description) in machines {
        let _ = writeln!(out, "  {short_name}  {description}");
    }
    if !report.apart.is_empty() {
        let _ = writeln!(
            out,
            "\nnot compared (another machine or mode than the benchmark's latest run):"
        );
        for a in &report.apart {
            let _ = writeln!(
                out,
                "  {:width$}  {} run(s), mode {}, machine {}: {}",
                a.bench_id, a.runs, a.mode, a.fingerprint_short, a.reason
            );
        }
    }
    out
}

/// The change points of the figures the table does not show, one line each.
fn besides_text(besides: &[MetricChange], shown: Metric) -> String {
    let others: Vec<&str> = Metric::ALL
        .iter()
        .filter(|m| **m != shown)
        .map(|m| m.name())
        .collect();
    if besides.is_empty() {
        return format!("\nno change points in {} either\n", others.join(", "));
    }
    let mut out = format!(
        "\nchange points in the other figures ({}; --metric NAME shows one's table):\n",
        others.join(", ")
    );
    let width = besides
        .iter()
        .map(|b| b.bench_id.as_str().len())
        .max()
        .unwrap_or(8);
    for b in besides {
        let _ = writeln!(
            out,
            "  {:12} {:width$}  {}",
            b.metric.name(),
            b.bench_id,
            b.change.describe()
        );
    }
    out
}

/// `stampede history`: the trend table, or one JSON object.
impl Render for HistoryView {
    const NAME: &'static str = "the history";

    fn render(&self, format: Format) -> Result<String, RenderError> {
        match format {
            Format::Text => Ok(self.text()),
            Format::Json => {
                let value = self.json().map_err(|source| RenderError::Json {
                    report: Self::NAME,
                    source,
                })?;
                json_pretty::<Self, _>(&value)
            }
            other => Err(unsupported::<Self>(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::trend::CommitChange;

    #[test]
    fn the_other_figures_change_points_are_one_line_each_or_a_line_saying_there_are_none() {
        let none = besides_text(&[], Metric::RequestsPerSec);
        assert_eq!(
            none,
            "\nno change points in p99, cpu_us, mem, instructions either\n"
        );
        let change = CommitChange {
            index: 6,
            commit: "bbbbbbbbbbbb".into(),
            previous_commit: "aaaaaaaaaaaa".into(),
            within_commit: false,
            relative_change: 0.759,
            mean_before: 16613.0,
            mean_after: 29222.0,
            p_value: 0.005,
            versions_changed: None,
        };
        let found = besides_text(
            &[MetricChange {
                metric: Metric::Instructions,
                bench_id: "plaintext/actix/icount".parse().unwrap(),
                change,
            }],
            Metric::RequestsPerSec,
        );
        assert!(
            found.contains(
                "  instructions plaintext/actix/icount  +75.9% at bbbbbbbbbb (after aaaaaaaaaa), p = 0.005"
            ),
            "{found}"
        );
    }
}
