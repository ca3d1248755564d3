//! What each chart of a workload shows, as data: its series and the table printed beside it.
//! Drawing is `plot`'s business; this module decides what is worth a chart.

use std::collections::BTreeSet;

use super::format::{bytes, latency, rate};
use super::table::with_interval;
use super::{Section, Summary, WorkloadSummary, split_param};
use crate::evidence::{OpenLoopRun, ResultRecord, quantile_name};

/// Where the slowest answer sits on the percentile axis: right of 99.99%.
pub const MAX_NINES: f64 = 4.6;

/// A chart with the figures it plots.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Element id, unique on the page.
    pub id: String,
    /// What it shows.
    pub title: String,
    /// How to read it.
    pub note: String,
    /// The points.
    pub plot: Plot,
    /// The same figures as text.
    pub table: DataTable,
}

/// A table of figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataTable {
    /// Column headings.
    pub columns: Vec<String>,
    /// One row per target.
    pub rows: Vec<Vec<String>>,
}

/// The points of a chart and how its axes map them.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The horizontal axis.
    pub x: XAxis,
    /// What the vertical axis measures.
    pub unit: Unit,
    /// Vertical values spanning ten times or more are drawn on a log scale.
    pub y_log: bool,
    /// One series per target.
    pub series: Vec<Series>,
}

/// The horizontal axis.
#[derive(Clone, Debug, PartialEq)]
pub enum XAxis {
    /// Bars grouped by these labels; a point's `x` is its group's index.
    Groups(Vec<String>),
    /// A measured number such as connections; log scale when it spans 8 times or more.
    Numbers(String),
    /// Percentiles on a "nines" scale: `x` = -log10(1 - quantile), so 50%, 90%, 99%, 99.9%
    /// are evenly spaced, as in HdrHistogram's plots; [`MAX_NINES`] is the maximum.
    Nines,
}

/// What a vertical axis measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Requests per second.
    PerSecond,
    /// Microseconds.
    Micros,
    /// Bytes.
    Bytes,
}

impl Unit {
    /// A value as axis labels and tables show it.
    pub fn format(self, value: f64) -> String {
        match self {
            Self::PerSecond => {
                if value >= 1e6 {
                    format!("{:.1}M", value / 1e6)
                } else if value >= 1e4 {
                    format!("{:.0}k", value / 1e3)
                } else {
                    rate(value)
                }
            }
            Self::Micros => latency(value),
            Self::Bytes => bytes(value),
        }
    }
}

/// One target's points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Target name (the legend).
    pub target: String,
    /// Index of the target in report order, for its colour.
    pub color: usize,
    /// The points, in ascending `x`.
    pub points: Vec<Point>,
}

/// One plotted value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Horizontal position (see [`XAxis`]).
    pub x: f64,
    /// The value.
    pub y: f64,
    /// Drawn hollow: the result behind it is flagged.
    pub flagged: bool,
}

/// `x` of a quantile on the nines axis.
pub fn nines(quantile: f64) -> f64 {
    -(1.0 - quantile).max(1e-9).log10()
}

/// The element id of a workload's section of the page.
pub fn anchor(summary: &Summary, section: &Section, workload: &str) -> String {
    let safe: String = workload
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if summary.sections.len() > 1 {
        format!("m{}-w-{safe}", section.machine + 1)
    } else {
        format!("w-{safe}")
    }
}

const FLAG_NOTE: &str = "Hollow marks: the result is flagged (see its row in the table below).";

/// Every chart of a workload, in page order.
pub fn workload_charts(summary: &Summary, section: &Section, w: &WorkloadSummary) -> Vec<Chart> {
    let id = anchor(summary, section, &w.name);
    let by_target = |metric: &dyn Fn(&ResultRecord) -> Option<f64>| -> Vec<Series> {
        w.targets
            .iter()
            .map(|t| Series {
                target: t.clone(),
                color: summary.target_index(t),
                points: w
                    .params
                    .iter()
                    .enumerate()
                    .filter_map(|(g, p)| {
                        let r = w.records.iter().find(|r| &r.param == p && &r.target == t)?;
                        Some(Point {
                            x: g as f64,
                            y: metric(r)?,
                            flagged: !r.flags().words().is_empty(),
                        })
                    })
                    .collect(),
            })
            .collect()
    };
    let bars = |suffix: &str, title: &str, unit: Unit, series: Vec<Series>| {
        let plot = Plot {
            x: XAxis::Groups(w.params.clone()),
            unit,
            y_log: false,
            series,
        };
        let table = table_by_x(&plot, "target", &w.params);
        Chart {
            id: format!("{id}-{suffix}"),
            title: format!("{} — {title}", w.name),
            note: FLAG_NOTE.into(),
            plot,
            table,
        }
    };
    let mut charts = vec![bars(
        "rps",
        "requests/s (higher is better)",
        Unit::PerSecond,
        by_target(&|r| Some(r.requests_per_sec)),
    )];
    let cpu = by_target(&|r| r.server.cpu_us_per_request);
    if cpu.iter().any(|s| !s.points.is_empty()) {
        charts.push(bars(
            "cpu",
            "server CPU per request (lower is better)",
            Unit::Micros,
            cpu,
        ));
    }
    let pss =
        by_target(&|r| (r.server.peak_pss_bytes > 0).then_some(r.server.peak_pss_bytes as f64));
    if pss.iter().any(|s| !s.points.is_empty()) {
        charts.push(bars(
            "pss",
            "peak server memory, PSS (lower is better)",
            Unit::Bytes,
            pss,
        ));
    }
    charts.extend(sweep_charts(summary, w, &id));
    charts.extend(percentile_charts(summary, w, &id));
    charts
}

/// Requests/s, and memory per connection, against the swept number.
fn sweep_charts(summary: &Summary, w: &WorkloadSummary, id: &str) -> Vec<Chart> {
    let Some(sweep) = &w.sweep else {
        return Vec::new();
    };
    let swept = |metric: &dyn Fn(&ResultRecord, u64) -> Option<f64>| -> Vec<Series> {
        w.targets
            .iter()
            .map(|t| {
                let mut points: Vec<Point> = w
                    .records
                    .iter()
                    .filter(|r| &r.target == t)
                    .filter_map(|r| match split_param(&r.param) {
                        (p, Some(x)) if p == sweep.prefix => Some(Point {
                            x: x as f64,
                            y: metric(r, x)?,
                            flagged: !r.flags().words().is_empty(),
                        }),
                        _ => None,
                    })
                    .collect();
                points.sort_by(|a, b| a.x.total_cmp(&b.x));
                Series {
                    target: t.clone(),
                    color: summary.target_index(t),
                    points,
                }
            })
            .collect()
    };
    let line = |suffix: &str, title: String, note: String, unit: Unit, series: Vec<Series>| {
        let plot = Plot {
            x: XAxis::Numbers(sweep.axis.clone()),
            unit,
            y_log: false,
            series,
        };
        let xs: BTreeSet<u64> = plot
            .series
            .iter()
            .flat_map(|s| &s.points)
            .map(|p| p.x as u64)
            .collect();
        let labels: Vec<String> = xs.iter().map(u64::to_string).collect();
        let table = table_by_x(&plot, &sweep.axis, &labels);
        Chart {
            id: format!("{id}-{suffix}"),
            title: format!("{} — {title}", w.name),
            note,
            plot,
            table,
        }
    };
    let mut charts = vec![line(
        "sweep",
        format!("requests/s against {}", sweep.axis),
        FLAG_NOTE.into(),
        Unit::PerSecond,
        swept(&|r, _| Some(r.requests_per_sec)),
    )];
    if sweep.axis == "connections" {
        let per_connection = swept(&|r, connections| {
            let idle = r.server.idle_pss_bytes?;
            Some((r.server.peak_pss_bytes as f64 - idle as f64) / connections.max(1) as f64)
        });
        if per_connection.iter().any(|s| !s.points.is_empty()) {
            charts.push(line(
                "conn-memory",
                "server memory per connection against connections".into(),
                "(peak PSS under load − PSS idle before any connection) / connections: what \
                 one more connection costs the server. Hollow marks: flagged results."
                    .into(),
                Unit::Bytes,
                per_connection,
            ));
        }
    }
    charts
}

/// One latency-by-percentile chart per parameter and open-loop run label.
fn percentile_charts(summary: &Summary, w: &WorkloadSummary, id: &str) -> Vec<Chart> {
    let mut charts = Vec::new();
    for param in &w.params {
        let records: Vec<&ResultRecord> = w.records.iter().filter(|r| &r.param == param).collect();
        let labels = super::build::distinct(
            records
                .iter()
                .flat_map(|r| &r.open_loop)
                .map(|run| run.label.clone()),
        );
        for (n, label) in labels.iter().enumerate() {
            let runs: Vec<(&ResultRecord, &OpenLoopRun)> = records
                .iter()
                .filter_map(|r| Some((*r, r.open_loop.iter().find(|run| &run.label == label)?)))
                .collect();
            charts.push(percentile_chart(summary, w, param, label, &runs, id, n));
        }
    }
    charts
}

fn percentile_chart(
    summary: &Summary,
    w: &WorkloadSummary,
    param: &str,
    label: &str,
    runs: &[(&ResultRecord, &OpenLoopRun)],
    id: &str,
    n: usize,
) -> Chart {
    let series: Vec<Series> = runs
        .iter()
        .map(|(r, run)| {
            let flagged = run.client_late || !run.sustained;
            let mut points: Vec<Point> = run
                .percentiles
                .iter()
                .filter_map(|p| {
                    Some(Point {
                        x: nines(p.quantile),
                        y: p.us? as f64,
                        flagged,
                    })
                })
                .collect();
            points.extend(run.max_us.map(|us| Point {
                x: MAX_NINES,
                y: us as f64,
                flagged,
            }));
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            Series {
                target: r.target.clone(),
                color: summary.target_index(&r.target),
                points,
            }
        })
        .collect();
    let ys = series.iter().flat_map(|s| &s.points).map(|p| p.y);
    let (low, high) = ys.fold((f64::MAX, 0.0_f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let quantiles: Vec<f64> = {
        let mut qs: Vec<f64> = runs
            .iter()
            .flat_map(|(_, run)| run.percentiles.iter().map(|p| p.quantile))
            .collect();
        qs.sort_by(f64::total_cmp);
        qs.dedup();
        qs
    };
    let mut columns = vec!["target".to_owned(), "rate".to_owned()];
    columns.extend(quantiles.iter().map(|q| format!("p{}", quantile_name(*q))));
    columns.push("max".into());
    let rows = runs
        .iter()
        .map(|(r, run)| {
            let mut row = vec![r.target.clone(), format!("{}/s", rate(run.rate_per_sec))];
            row.extend(quantiles.iter().map(|q| {
                run.percentiles
                    .iter()
                    .find(|p| p.quantile == *q)
                    .map_or_else(|| "—".into(), with_interval)
            }));
            row.push(
                run.max_us
                    .map_or_else(|| "—".into(), |us| latency(us as f64)),
            );
            if run.client_late || !run.sustained {
                row[0] = format!(
                    "{} ({})",
                    r.target,
                    if run.client_late {
                        "client-late"
                    } else {
                        "not sustained"
                    }
                );
            }
            row
        })
        .collect();
    let rates = super::build::distinct(runs.iter().map(|(_, run)| rate(run.rate_per_sec)));
    let at = match rates.as_slice() {
        [one] => format!("{label}, {one}/s"),
        _ => label.to_owned(),
    };
    Chart {
        id: format!("{id}-latency-{param}-{n}"),
        title: format!(
            "{} {param} — latency by percentile, open loop at {at}",
            w.name
        ),
        note: "Latency from each request's intended send time (no coordinated omission); \
               intervals are 95%; n/a: fewer than 10 samples beyond that percentile. Hollow \
               marks: the client fell behind or the server did not sustain the rate."
            .into(),
        plot: Plot {
            x: XAxis::Nines,
            unit: Unit::Micros,
            y_log: low > 0.0 && high / low >= 10.0,
            series,
        },
        table: DataTable { columns, rows },
    }
}

/// A table with one row per series and one column per `x` label.
fn table_by_x(plot: &Plot, corner: &str, labels: &[String]) -> DataTable {
    let mut columns = vec![corner.to_owned()];
    columns.extend(labels.iter().cloned());
    let position = |label: &String, index: usize| match &plot.x {
        XAxis::Groups(_) => index as f64,
        _ => label.parse::<f64>().unwrap_or(f64::NAN),
    };
    let rows = plot
        .series
        .iter()
        .map(|s| {
            let mut row = vec![s.target.clone()];
            row.extend(labels.iter().enumerate().map(|(i, label)| {
                let x = position(label, i);
                match s.points.iter().find(|p| p.x == x) {
                    Some(p) if p.flagged => format!("{} (flagged)", plot.unit.format(p.y)),
                    Some(p) => plot.unit.format(p.y),
                    None => "—".into(),
                }
            }));
            row
        })
        .collect();
    DataTable { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;
    use crate::summary::claims::ClaimSet;
    use crate::summary::order::ReportOrder;

    fn summary(records: Vec<ResultRecord>) -> Summary {
        Summary::build(
            records,
            Vec::new(),
            &ClaimSet::default(),
            &ReportOrder::default(),
        )
    }

    fn charts(s: &Summary, workload: &str) -> Vec<Chart> {
        let section = &s.sections[0];
        let w = section
            .workloads
            .iter()
            .find(|w| w.name == workload)
            .unwrap();
        workload_charts(s, section, w)
    }

    #[test]
    fn the_nines_axis_spaces_50_90_99_and_99_9_percent_evenly() {
        let xs: Vec<f64> = [0.9, 0.99, 0.999, 0.9999].map(nines).to_vec();
        for (x, want) in xs.iter().zip([1.0, 2.0, 3.0, 4.0]) {
            assert!((x - want).abs() < 1e-9, "{xs:?}");
        }
        assert!((nines(0.5) - std::f64::consts::LOG10_2).abs() < 1e-9);
        assert!(MAX_NINES > nines(0.9999));
    }

    #[test]
    fn a_swept_workload_gets_throughput_cpu_memory_sweep_per_connection_and_percentile_charts() {
        let s = summary(vec![
            record("json/actix/c16", 1000.0, 100, 8),
            record("json/actix/c256", 900.0, 1000, 16),
            record("json/gin/c16", 800.0, 200, 12),
        ]);
        let ids: Vec<String> = charts(&s, "json").into_iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [
                "w-json-rps",
                "w-json-cpu",
                "w-json-pss",
                "w-json-sweep",
                "w-json-conn-memory",
                "w-json-latency-c16-0",
                "w-json-latency-c256-0"
            ]
        );
    }

    #[test]
    fn memory_per_connection_is_the_growth_over_idle_divided_by_connections() {
        let mut r = record("sleep/actix/c1000", 100.0, 10_000, 8);
        r.server.idle_pss_bytes = Some(4 << 20);
        r.server.peak_pss_bytes = (4 << 20) + 2_000 * 1000;
        let s = summary(vec![r, record("sleep/actix/c100", 100.0, 10_000, 8)]);
        let chart = charts(&s, "sleep")
            .into_iter()
            .find(|c| c.id.ends_with("conn-memory"))
            .unwrap();
        let thousand = chart.plot.series[0].points.iter().find(|p| p.x == 1000.0);
        assert_eq!(thousand.map(|p| p.y), Some(2000.0));
        assert_eq!(chart.table.columns, ["connections", "100", "1000"]);
        assert_eq!(chart.table.rows[0][2], "1.95 KiB");
    }

    #[test]
    fn a_percentile_line_runs_from_p50_to_the_maximum_and_leaves_out_what_is_na() {
        let mut r = record("json/actix/c64", 1000.0, 100, 8);
        r.open_loop[0].percentiles[3].us = None;
        let s = summary(vec![r]);
        let chart = charts(&s, "json")
            .into_iter()
            .find(|c| c.plot.x == XAxis::Nines)
            .unwrap();
        let xs: Vec<f64> = chart.plot.series[0].points.iter().map(|p| p.x).collect();
        assert_eq!(xs.len(), 4, "p50, p90, p99 and max: {xs:?}");
        assert_eq!(xs.last(), Some(&MAX_NINES));
        assert!(chart.plot.y_log, "p50 100 µs to max 5 ms spans 50 times");
        assert_eq!(
            chart.table.columns,
            ["target", "rate", "p50", "p90", "p99", "p99.9", "max"]
        );
        assert_eq!(chart.table.rows[0][5], "n/a");
        assert!(
            chart.title.contains("common rate, 500/s"),
            "{}",
            chart.title
        );
    }

    #[test]
    fn flagged_results_are_marked_in_the_chart_and_named_in_its_table() {
        let mut r = record("json/actix/c64", 1000.0, 100, 8);
        r.client_bound = true;
        let s = summary(vec![r]);
        let rps = charts(&s, "json").remove(0);
        assert!(rps.plot.series[0].points[0].flagged);
        assert_eq!(rps.table.rows[0][1], "1,000 (flagged)");
    }
}
