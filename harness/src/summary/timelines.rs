//! The charts of records that carry a timeline (soak runs): requests/s, p99 and the server's
//! PSS against minutes from the start, one line per target, intervals with nothing completed
//! marked; each beside a table of the verdict it bears on, with its interval.

use itertools::Itertools;

use super::charts::{Chart, DataTable, Plot, Point, Series, Unit, XAxis};
use super::format::{bytes, rate, signed_bytes};
use super::table::with_interval;
use super::{Summary, WorkloadSummary};
use crate::evidence::{
    DRIFT_FLOOR_RATIO, GROWTH_FLOOR_BYTES, GROWTH_FLOOR_BYTES_PER_MIN, ResultRecord, Timeline,
    TimelineRow,
};

/// Points per line at most: a 30-minute run has 1,800 intervals, and a page of six such lines
/// per chart, each point a mark, grows to megabytes without showing more.
const MOST_POINTS: usize = 240;

/// The name of the time axis.
pub(super) const MINUTES: &str = "minutes from the start";

/// Consecutive intervals drawn as one point: their rate, the worst p99 among them, the highest
/// PSS, and whether any of them completed nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Span {
    minute: f64,
    per_sec: f64,
    p99_us: Option<u64>,
    pss_bytes: Option<u64>,
    empty: bool,
}

/// `stalled`: the verdict counted stalls, so intervals with nothing finished are marked (it
/// leaves out waves of slow requests, whose empty intervals are no stall).
fn spans(rows: &[TimelineRow], stalled: bool) -> Vec<Span> {
    let size = rows.len().div_ceil(MOST_POINTS).max(1);
    let spans = rows.chunks(size).map(|chunk| {
        let length_ms: u64 = chunk.iter().map(|r| r.length_ms).sum();
        let requests: u64 = chunk.iter().map(|r| r.requests).sum();
        let middle = chunk[0].from_start_ms as f64 + length_ms as f64 / 2.0;
        Span {
            minute: middle / 60_000.0,
            per_sec: requests as f64 * 1000.0 / length_ms.max(1) as f64,
            p99_us: chunk.iter().filter_map(|r| r.p99_us).max(),
            pss_bytes: chunk
                .iter()
                .filter_map(|r| r.server)
                .map(|s| s.pss_bytes)
                .max(),
            empty: stalled && chunk.iter().any(|r| r.requests + r.errors == 0),
        }
    });
    spans.collect()
}

/// The timeline charts of `w` for `param`: none when no record of it has a timeline.
pub(super) fn charts(summary: &Summary, w: &WorkloadSummary, param: &str, id: &str) -> Vec<Chart> {
    let timed: Vec<(&ResultRecord, &Timeline)> = w
        .records
        .iter()
        .filter(|r| r.param == param)
        .filter_map(|r| Some((r, r.figures.timeline.as_ref()?)))
        .collect();
    if timed.is_empty() {
        return Vec::new();
    }
    let line = |y: &dyn Fn(&Span) -> Option<f64>| -> Vec<Series> {
        let series = timed.iter().map(|(r, timeline)| {
            let stalled = timeline.over_time.stalls.count > 0;
            let points = spans(&timeline.rows, stalled)
                .into_iter()
                .filter_map(|s| Some(Point::new(s.minute, y(&s)?, s.empty)));
            Series {
                target: r.target.clone(),
                color: summary.target_index(&r.target),
                points: points.collect(),
            }
        });
        series.collect()
    };
    let chart = |suffix: &str, title: &str, unit, series, note: &str, table| {
        let mut plot = Plot::new(XAxis::Time(MINUTES.into()), unit, series);
        if unit == Unit::Micros {
            let (low, high) = plot.y_extent();
            plot.y_log = low > 0.0 && high / low >= 10.0;
        }
        Chart {
            id: format!("{id}-timeline-{param}-{suffix}"),
            title: format!("{} {param} — {title}", w.name),
            note: note.into(),
            plot,
            table,
        }
    };
    let rows = |cells: &dyn Fn(&ResultRecord, &Timeline) -> Vec<String>| {
        timed.iter().map(|(r, t)| cells(r, t)).collect()
    };
    let table = |columns: &[&str], rows| DataTable {
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        rows,
    };
    let grouped = timed
        .iter()
        .map(|(_, t)| t.rows.len().div_ceil(MOST_POINTS).max(1))
        .max()
        .unwrap_or(1);
    let per_point = match grouped {
        1 => "one point per interval".to_owned(),
        n => format!("one point per {n} intervals (their rate, worst p99, highest PSS)"),
    };
    let marks = "hollow marks: an interval in which nothing completed";
    vec![
        chart(
            "rps",
            "requests/s over the run",
            Unit::PerSecond,
            line(&|s| Some(s.per_sec)),
            &format!(
                "The open loop's completions per second at a fixed rate: a flat line is a \
                 server that kept up from the first minute to the last; {per_point}; {marks}."
            ),
            table(
                &[
                    "target",
                    "rate asked",
                    "intervals",
                    "stalls",
                    "longest stall",
                ],
                rows(&|r, t| {
                    let asked = r.figures.open_loop.last().map(|run| run.rate_per_sec);
                    vec![
                        r.target.clone(),
                        asked.map_or_else(|| "—".into(), |v| format!("{}/s", rate(v))),
                        t.rows.len().to_string(),
                        t.over_time.stalls.count.to_string(),
                        format!("{} ms", t.over_time.stalls.longest_ms),
                    ]
                }),
            ),
        ),
        chart(
            "p99",
            "p99 latency per interval",
            Unit::Micros,
            line(&|s| s.p99_us.map(|us| us as f64)),
            &format!(
                "Latency from each request's intended send time; `drifts` when the last \
                 third's p99 is at least {DRIFT_FLOOR_RATIO} times the first third's and their \
                 95% intervals do not overlap; {per_point}."
            ),
            table(
                &["target", "first third p99", "last third p99", "verdict"],
                rows(&|r, t| {
                    let drift = &t.over_time.latency;
                    vec![
                        r.target.clone(),
                        with_interval(&drift.first_third),
                        with_interval(&drift.last_third),
                        drift.verdict.clone(),
                    ]
                }),
            ),
        ),
        chart(
            "pss",
            "server memory (PSS) over the run",
            Unit::Bytes,
            line(&|s| s.pss_bytes.map(|b| b as f64)),
            &format!(
                "The slope is fitted over the run's last two thirds to ten block means; \
                 `grows` when its 95% interval excludes zero, it is above {}/min and it adds \
                 more than {}; {per_point}.",
                bytes(GROWTH_FLOOR_BYTES_PER_MIN),
                bytes(GROWTH_FLOOR_BYTES)
            ),
            table(
                &["target", "slope per minute [95% interval]", "verdict"],
                rows(&|r, t| {
                    let memory = &t.over_time.memory;
                    let slope = match (
                        memory.slope_bytes_per_min,
                        memory.low_bytes_per_min,
                        memory.high_bytes_per_min,
                    ) {
                        (Some(s), Some(l), Some(h)) => {
                            format!(
                                "{} [{}–{}]",
                                signed_bytes(s),
                                signed_bytes(l),
                                signed_bytes(h)
                            )
                        }
                        _ => "n/a".into(),
                    };
                    vec![r.target.clone(), slope, memory.verdict.clone()]
                }),
            ),
        ),
    ]
}

/// Every parameter of `w` whose records carry a timeline, in the workload's order.
pub(super) fn timed_params(w: &WorkloadSummary) -> Vec<String> {
    let timed = |p: &&String| {
        w.records
            .iter()
            .any(|r| &r.param == *p && r.figures.timeline.is_some())
    };
    w.params.iter().filter(timed).cloned().collect_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixtures::{record, timeline};

    fn soak(
        target: &str,
        rows: usize,
        pss_mib: fn(usize) -> f64,
        stalled: &[usize],
    ) -> ResultRecord {
        let mut r = record(&format!("soak/{target}/c64"), 20_000.0, 100, 60);
        r.figures.timeline = Some(timeline(rows, pss_mib, stalled));
        r.flags = r.figures.flags(true);
        r
    }

    fn soak_charts(records: Vec<ResultRecord>) -> Vec<Chart> {
        let s = Summary::of(records);
        let w = &s.sections[0].workloads[0];
        charts(&s, w, "c64", "w-soak")
    }

    #[test]
    fn a_soak_gets_rate_p99_and_memory_over_minutes_one_line_per_target() {
        let charts = soak_charts(vec![
            soak("actix", 120, |_| 4.0, &[]),
            soak("node", 120, |n| 60.0 + n as f64 / 10.0, &[90]),
        ]);
        let ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "w-soak-timeline-c64-rps",
                "w-soak-timeline-c64-p99",
                "w-soak-timeline-c64-pss"
            ]
        );
        let rps = &charts[0];
        assert_eq!(rps.plot.x, XAxis::Time(MINUTES.into()));
        assert_eq!(rps.plot.series.len(), 2);
        let node = &rps.plot.series[1];
        assert_eq!(node.points.len(), 120);
        // The stalled interval is drawn at zero and marked; the others at 1,000/s.
        let marked: Vec<&Point> = node.points.iter().filter(|p| p.flagged).collect();
        assert_eq!(marked.len(), 1);
        assert_eq!(marked[0].y, 0.0);
        assert!((node.points[0].x - 0.5 / 60.0).abs() < 1e-9);
        assert_eq!(rps.table.rows[1][3], "1");
        let pss = &charts[2];
        assert_eq!(pss.table.rows[0][2], "stable");
        assert_eq!(pss.table.rows[1][2], "grows");
        assert!(
            pss.table.rows[1][1].starts_with('+'),
            "{:?}",
            pss.table.rows[1]
        );
        let p99 = &charts[1];
        assert_eq!(p99.table.rows[0][3], "steady");
        assert!(
            p99.table.rows[0][1].contains(" ms ["),
            "{:?}",
            p99.table.rows[0]
        );
    }

    #[test]
    fn a_long_run_is_drawn_with_at_most_240_points_keeping_the_worst_of_each_span() {
        let charts = soak_charts(vec![soak(
            "gin",
            1800,
            |n| 8.0 + n as f64 / 1800.0,
            &[1000],
        )]);
        let rps = &charts[0].plot.series[0].points;
        assert!(rps.len() <= MOST_POINTS, "{}", rps.len());
        assert_eq!(rps.iter().filter(|p| p.flagged).count(), 1);
        let pss = &charts[2].plot.series[0].points;
        let last = pss.last().map(|p| p.y).unwrap_or_default();
        assert!(
            (last - 9.0 * 1024.0 * 1024.0).abs() < 1024.0 * 1024.0 / 100.0,
            "{last}"
        );
        assert!(
            charts[0].note.contains("one point per 8 intervals"),
            "{}",
            charts[0].note
        );
    }

    #[test]
    fn records_without_a_timeline_get_no_timeline_chart() {
        let s = Summary::of(vec![record("json/actix/c64", 1000.0, 100, 8)]);
        let w = &s.sections[0].workloads[0];
        assert!(charts(&s, w, "c64", "w-json").is_empty());
        assert!(timed_params(w).is_empty());
    }
}
