//! What each chart of a workload shows, as data: its series and the table printed beside it.
//! Drawing is `plot`'s business; this module decides what is worth a chart.

use itertools::Itertools;

use super::format::{bytes, latency, rate};
use super::table::{or_dash, with_interval};
use super::timelines;
use super::{Section, Summary, WorkloadSummary, split_param};
use crate::evidence::{
    OpenLoopRun, PerConnection, ResultRecord, memory_per_connection, quantile_name,
};

/// Where the slowest answer sits on the percentile axis: right of 99.99%.
pub const MAX_NINES: f64 = 4.6;

/// A chart with the figures it plots; `note` says how to read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Element id, unique on the page.
    pub id: String,
    pub title: String,
    pub note: String,
    pub plot: Plot,
    /// The same figures as text.
    pub table: DataTable,
}

/// A table of figures, one row per target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The points of a chart and how its axes map them.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    pub x: XAxis,
    pub unit: Unit,
    /// Vertical values spanning ten times or more are drawn on a log scale.
    pub y_log: bool,
    /// One series per target.
    pub series: Vec<Series>,
}

impl Plot {
    /// A plot on a linear vertical axis.
    pub fn new(x: XAxis, unit: Unit, series: Vec<Series>) -> Self {
        let y_log = false;
        Self {
            x,
            unit,
            y_log,
            series,
        }
    }

    /// Every `x` of the points, ascending, once each.
    pub fn xs(&self) -> Vec<f64> {
        let xs = self.series.iter().flat_map(|s| &s.points).map(|p| p.x);
        xs.sorted_by(f64::total_cmp).dedup().collect()
    }

    /// The lowest `y` and the highest (zero when all are below).
    pub fn y_extent(&self) -> (f64, f64) {
        let ys = self.series.iter().flat_map(|s| &s.points).map(|p| p.y);
        ys.fold((f64::MAX, 0.0_f64), |(low, high), y| {
            (low.min(y), high.max(y))
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum XAxis {
    /// Bars grouped by these labels; a point's `x` is its group's index.
    Groups(Vec<String>),
    /// A measured number such as connections; log scale when it spans 8 times or more.
    Numbers(String),
    /// Time from a run's start, in minutes: linear, ticks at round steps.
    Time(String),
    /// Percentiles on a "nines" scale: `x` = -log10(1 - quantile), so 50%, 90%, 99%, 99.9%
    /// are evenly spaced, as in HdrHistogram's plots; [`MAX_NINES`] is the maximum.
    Nines,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    PerSecond,
    Micros,
    Bytes,
}

impl Unit {
    /// A value as axis labels and tables show it.
    pub fn format(self, value: f64) -> String {
        match self {
            Self::PerSecond if value >= 1e6 => format!("{:.1}M", value / 1e6),
            Self::PerSecond if value >= 1e4 => format!("{:.0}k", value / 1e3),
            Self::PerSecond => rate(value),
            Self::Micros => latency(value),
            Self::Bytes => bytes(value),
        }
    }
}

/// One target's points, in ascending `x`; `color` is the target's index in report order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub target: String,
    pub color: usize,
    pub points: Vec<Point>,
}

/// One plotted value, drawn hollow when the result behind it is flagged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub flagged: bool,
}

impl Point {
    pub fn new(x: f64, y: f64, flagged: bool) -> Self {
        Self { x, y, flagged }
    }
}

/// `x` of a quantile on the nines axis.
pub fn nines(quantile: f64) -> f64 {
    -(1.0 - quantile).max(1e-9).log10()
}

/// The element id of a workload's section of the page.
pub fn anchor(summary: &Summary, section: &Section, workload: &str) -> String {
    let safe = workload.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    if summary.sections.len() > 1 {
        format!("m{}-w-{safe}", section.machine + 1)
    } else {
        format!("w-{safe}")
    }
}

const FLAG_NOTE: &str = "Hollow marks: the result is flagged (see its row in the table below).";

/// Every chart of a workload, in page order: requests/s, server CPU per request and peak PSS
/// per parameter; requests/s and memory per connection against the swept number; latency by
/// percentile for each open-loop run.
pub fn workload_charts(summary: &Summary, section: &Section, w: &WorkloadSummary) -> Vec<Chart> {
    let id = anchor(summary, section, &w.name);
    let group = |r: &ResultRecord| w.params.iter().position(|p| *p == r.param);
    let group = |r: &ResultRecord| group(r).map(|g| g as f64);
    let swept = |r: &ResultRecord| match (&w.sweep, split_param(&r.param)) {
        (Some(sweep), (prefix, Some(x))) if prefix == sweep.prefix => Some(x as f64),
        _ => None,
    };
    let per_connection = |r: &ResultRecord| memory_per_connection(&r.figures.server, swept(r)?);
    let below_resolution = w
        .records
        .iter()
        .filter(|r| matches!(per_connection(r), Some(PerConnection::BelowResolution(_))))
        .count();
    let per_connection = |r: &ResultRecord| match per_connection(r)? {
        PerConnection::Bytes(bytes) => Some(bytes),
        PerConnection::BelowResolution(_) => None,
    };
    let mut charts = Vec::new();
    let mut add = |suffix: &str, title: String, note: &str, x, unit, series: Vec<Series>| {
        if series.iter().any(|s| !s.points.is_empty()) {
            let plot = Plot::new(x, unit, series);
            charts.push(Chart {
                id: format!("{id}-{suffix}"),
                title: format!("{} — {title}", w.name),
                note: note.into(),
                table: table_by_x(&plot),
                plot,
            });
        }
    };
    let groups = || XAxis::Groups(w.params.clone());
    add(
        "rps",
        "requests/s (higher is better)".into(),
        FLAG_NOTE,
        groups(),
        Unit::PerSecond,
        series(summary, w, group, |r| Some(r.figures.requests_per_sec)),
    );
    add(
        "cpu",
        "server CPU per request (lower is better)".into(),
        FLAG_NOTE,
        groups(),
        Unit::Micros,
        series(summary, w, group, |r| r.figures.server.cpu_us_per_request),
    );
    add(
        "pss",
        "peak server memory, PSS (lower is better)".into(),
        FLAG_NOTE,
        groups(),
        Unit::Bytes,
        series(summary, w, group, |r| {
            Some(r.figures.server.peak_pss_bytes as f64).filter(|b| *b > 0.0)
        }),
    );
    if let Some(sweep) = &w.sweep {
        let numbers = || XAxis::Numbers(sweep.axis.clone());
        add(
            "sweep",
            format!("requests/s against {}", sweep.axis),
            FLAG_NOTE,
            numbers(),
            Unit::PerSecond,
            series(summary, w, swept, |r| Some(r.figures.requests_per_sec)),
        );
        if sweep.axis == "connections" {
            add(
                "conn-memory",
                "server memory per connection against connections".into(),
                &format!(
                    "(peak PSS under load − PSS idle before any connection) / connections: what \
                     one more connection costs the server. Growth below the resolution (the \
                     spread of the idle readings, at least 256 KiB) is noise, not a figure: \
                     results left out for it: {below_resolution}. Hollow marks: flagged results."
                ),
                numbers(),
                Unit::Bytes,
                series(summary, w, swept, per_connection),
            );
        }
    }
    for param in timelines::timed_params(w) {
        charts.extend(timelines::charts(summary, w, &param, &id));
    }
    for param in &w.params {
        let records: Vec<&ResultRecord> = w.records.iter().filter(|r| &r.param == param).collect();
        let labels = records
            .iter()
            .flat_map(|r| &r.figures.open_loop)
            .map(|run| &run.label);
        for (n, label) in labels.unique().enumerate() {
            let runs: Vec<(&ResultRecord, &OpenLoopRun)> = records
                .iter()
                .filter_map(|r| {
                    Some((
                        *r,
                        r.figures.open_loop.iter().find(|run| &run.label == label)?,
                    ))
                })
                .collect();
            let mut chart = percentile_chart(summary, &runs);
            chart.id = format!("{id}-latency-{param}-{n}");
            chart.title = format!("{} {param} — {}", w.name, chart.title);
            charts.push(chart);
        }
    }
    charts
}

/// One series per target of `w`: `x` and `y` of each of its results that has both.
fn series(
    summary: &Summary,
    w: &WorkloadSummary,
    x: impl Fn(&ResultRecord) -> Option<f64>,
    y: impl Fn(&ResultRecord) -> Option<f64>,
) -> Vec<Series> {
    let point = |r: &ResultRecord| Some(Point::new(x(r)?, y(r)?, !r.flags.words().is_empty()));
    let series = w.targets.iter().map(|t| {
        let points = w
            .records
            .iter()
            .filter(|r| &r.target == t)
            .filter_map(point);
        Series {
            target: t.clone(),
            color: summary.target_index(t),
            points: points.sorted_by(|a, b| a.x.total_cmp(&b.x)).collect(),
        }
    });
    series.collect()
}

/// Latency by percentile of one open-loop run of each target, up to its maximum.
fn percentile_chart(summary: &Summary, runs: &[(&ResultRecord, &OpenLoopRun)]) -> Chart {
    let series = runs.iter().map(|(r, run)| {
        let quantiles = run.percentiles.iter();
        let quantiles = quantiles.filter_map(|p| Some((nines(p.quantile), p.us?)));
        let points = quantiles.chain(run.max_us.map(|us| (MAX_NINES, us)));
        let flagged = run.client_late || !run.sustained;
        let point = |(x, us): (f64, u64)| Point::new(x, us as f64, flagged);
        Series {
            target: r.target.clone(),
            color: summary.target_index(&r.target),
            points: points.map(point).collect(),
        }
    });
    let mut plot = Plot::new(XAxis::Nines, Unit::Micros, series.collect());
    let (low, high) = plot.y_extent();
    plot.y_log = low > 0.0 && high / low >= 10.0;
    let quantiles = runs.iter().flat_map(|(_, run)| &run.percentiles);
    let quantiles = quantiles.map(|p| p.quantile).sorted_by(f64::total_cmp);
    let quantiles: Vec<f64> = quantiles.dedup().collect();
    let names = quantiles.iter().map(|q| format!("p{}", quantile_name(*q)));
    let columns = ["target".into(), "rate".into()].into_iter().chain(names);
    let rows = runs.iter().map(|(r, run)| {
        let target = match (run.client_late, run.sustained) {
            (true, _) => format!("{} (client-late)", r.target),
            (false, false) => format!("{} (not sustained)", r.target),
            _ => r.target.clone(),
        };
        let at = |q: &f64| run.percentiles.iter().find(|p| p.quantile == *q);
        let figures = quantiles.iter().map(|q| or_dash(at(q).map(with_interval)));
        let max = or_dash(run.max_us.map(|us| latency(us as f64)));
        let first = [target, format!("{}/s", rate(run.rate_per_sec))];
        first.into_iter().chain(figures).chain([max]).collect()
    });
    let label = runs.first().map_or("", |(_, run)| run.label.as_str());
    let rates = runs.iter().map(|(_, run)| rate(run.rate_per_sec));
    let rates: Vec<String> = rates.unique().collect();
    let at = match rates.as_slice() {
        [one] => format!("{label}, {one}/s"),
        _ => label.to_owned(),
    };
    Chart {
        id: String::new(),
        title: format!("latency by percentile, open loop at {at}"),
        note: "Latency from each request's intended send time (no coordinated omission); \
               intervals are 95%; n/a: fewer than 10 samples beyond that percentile. Hollow \
               marks: the client fell behind or the server did not sustain the rate."
            .into(),
        plot,
        table: DataTable {
            columns: columns.chain(["max".into()]).collect(),
            rows: rows.collect(),
        },
    }
}

/// A table with one row per series and one column per `x` of the plot.
fn table_by_x(plot: &Plot) -> DataTable {
    let xs = plot.xs();
    let (corner, label): (&str, Box<dyn Fn(f64) -> String>) = match &plot.x {
        XAxis::Groups(groups) => (
            "target",
            Box::new(|x| groups.get(x as usize).cloned().unwrap_or_default()),
        ),
        XAxis::Numbers(axis) | XAxis::Time(axis) => (axis, Box::new(|x| x.to_string())),
        XAxis::Nines => ("target", Box::new(|x| format!("{x:.2}"))),
    };
    let columns = std::iter::once(corner.to_owned()).chain(xs.iter().map(|x| label(*x)));
    let rows = plot.series.iter().map(|s| {
        let cell = |x: &f64| match s.points.iter().find(|p| p.x == *x) {
            Some(p) if p.flagged => format!("{} (flagged)", plot.unit.format(p.y)),
            Some(p) => plot.unit.format(p.y),
            None => "—".into(),
        };
        std::iter::once(s.target.clone())
            .chain(xs.iter().map(cell))
            .collect()
    });
    DataTable {
        columns: columns.collect(),
        rows: rows.collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::record;
    use crate::summary::assert_has;

    /// The charts of `workload` in the summary of `records`.
    fn charts(records: Vec<ResultRecord>, workload: &str) -> Vec<Chart> {
        let s = Summary::of(records);
        let section = &s.sections[0];
        let w = section.workloads.iter().find(|w| w.name == workload);
        workload_charts(&s, section, w.unwrap())
    }

    /// The chart of `workload` whose id contains `id`.
    fn chart(records: Vec<ResultRecord>, workload: &str, id: &str) -> Chart {
        let found = charts(records, workload)
            .into_iter()
            .find(|c| c.id.contains(id));
        found.unwrap()
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
        let records = vec![
            record("json/actix/c16", 1000.0, 100, 8),
            record("json/actix/c256", 900.0, 1000, 16),
            record("json/gin/c16", 800.0, 200, 12),
        ];
        let ids: Vec<String> = charts(records, "json").into_iter().map(|c| c.id).collect();
        let want = "rps cpu pss sweep conn-memory latency-c16-0 latency-c256-0".split(' ');
        assert_eq!(
            ids,
            want.map(|id| format!("w-json-{id}")).collect::<Vec<_>>()
        );
    }

    #[test]
    fn memory_per_connection_is_the_growth_over_idle_divided_by_connections() {
        let mut r = record("sleep/actix/c1000", 100.0, 10_000, 8);
        r.figures.server.idle_pss_bytes = Some(4 << 20);
        r.figures.server.peak_pss_bytes = (4 << 20) + 2_000 * 1000;
        let records = vec![r, record("sleep/actix/c100", 100.0, 10_000, 8)];
        let chart = chart(records, "sleep", "conn-memory");
        let thousand = chart.plot.series[0].points.iter().find(|p| p.x == 1000.0);
        assert_eq!(thousand.map(|p| p.y), Some(2000.0));
        assert_eq!(chart.table.columns, ["connections", "100", "1000"]);
        assert_eq!(chart.table.rows[0][2], "1.95 KiB");
    }

    #[test]
    fn memory_growth_below_the_idle_resolution_is_left_out_of_the_chart_and_counted_in_its_note() {
        // One connection, and PSS under load 84 KiB below idle: noise, not a figure.
        let mut noise = record("sleep/actix/c1", 100.0, 10_000, 8);
        noise.figures.server.idle_pss_bytes = Some(4 << 20);
        noise.figures.server.peak_pss_bytes = (4 << 20) - 84 * 1024;
        // Ten thousand connections, 20 MB above idle: well above any resolution.
        let mut real = record("sleep/actix/c10000", 100.0, 10_000, 8);
        real.figures.server.idle_pss_bytes = Some(4 << 20);
        real.figures.server.idle_pss_spread_bytes = Some(512 * 1024);
        real.figures.server.peak_pss_bytes = (4 << 20) + 20_000_000;
        let chart = chart(vec![noise, real], "sleep", "conn-memory");
        let xs: Vec<f64> = chart.plot.series[0].points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [10_000.0]);
        assert!(chart.plot.series[0].points.iter().all(|p| p.y > 0.0));
        assert_has(&chart.note, "results left out for it: 1");
    }

    #[test]
    fn a_percentile_line_runs_from_p50_to_the_maximum_and_leaves_out_what_is_na() {
        let mut r = record("json/actix/c64", 1000.0, 100, 8);
        r.figures.open_loop[0].percentiles[3].us = None;
        let chart = chart(vec![r], "json", "latency");
        assert_eq!(chart.plot.x, XAxis::Nines);
        let xs: Vec<f64> = chart.plot.series[0].points.iter().map(|p| p.x).collect();
        assert_eq!(xs.len(), 4, "p50, p90, p99 and max: {xs:?}");
        assert_eq!(xs.last(), Some(&MAX_NINES));
        assert!(chart.plot.y_log, "p50 100 µs to max 5 ms spans 50 times");
        assert_eq!(
            chart.table.columns,
            ["target", "rate", "p50", "p90", "p99", "p99.9", "max"]
        );
        assert_eq!(chart.table.rows[0][5], "n/a");
        assert_has(&chart.title, "common rate, 500/s");
    }

    #[test]
    fn flagged_results_are_marked_in_the_chart_and_named_in_its_table() {
        let mut r = record("json/actix/c64", 1000.0, 100, 8);
        r.flags.client_bound = true;
        let rps = chart(vec![r], "json", "rps");
        assert!(rps.plot.series[0].points[0].flagged);
        assert_eq!(rps.table.rows[0][1], "1,000 (flagged)");
    }
}
