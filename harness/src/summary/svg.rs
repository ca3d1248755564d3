//! Hand-written inline SVG charts: grouped bars and lines, with axes, legend and tooltips.
//! No scripts and no external resources: the page stays self-contained and offline.

use std::fmt::Write as _;

use super::format::escape;

const WIDTH: f64 = 580.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 62.0;

/// Colour-blind-safe palette (Okabe-Ito), indexed by target.
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#777777", "#F0E442",
];

/// The colour of the target at `index` in report order.
pub fn color(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// One bar's value.
#[derive(Clone, Debug, PartialEq)]
pub struct BarValue {
    /// The figure.
    pub value: f64,
    /// Drawn pale and marked `!` (client-bound or invalid).
    pub flagged: bool,
    /// Tooltip text after the figure, e.g. `(client-bound)`.
    pub note: String,
}

/// A named, coloured series (one target).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Fill and stroke colour.
    pub color: &'static str,
}

/// Bars grouped by parameter, one bar per series in each group.
#[derive(Clone, Debug)]
pub struct BarChart {
    /// Element id.
    pub id: String,
    /// Title drawn at the top.
    pub title: String,
    /// Group labels, e.g. `c64`.
    pub groups: Vec<String>,
    /// Series in legend order.
    pub series: Vec<Series>,
    /// `values[group][series]`; `None` draws nothing.
    pub values: Vec<Vec<Option<BarValue>>>,
    /// Formats a figure for axis, labels and tooltips.
    pub format: fn(f64) -> String,
}

/// One point of a line.
#[derive(Clone, Debug, PartialEq)]
pub struct LinePoint {
    /// X value (connections, rounds).
    pub x: u64,
    /// Y value.
    pub y: f64,
    /// Drawn hollow (client-bound or invalid).
    pub flagged: bool,
}

/// Lines of Y against a swept X; the X axis is logarithmic when X spans 8× or more.
#[derive(Clone, Debug)]
pub struct LineChart {
    /// Element id.
    pub id: String,
    /// Title drawn at the top.
    pub title: String,
    /// What X is, e.g. `connections`.
    pub x_label: String,
    /// Series with their points, in legend order.
    pub series: Vec<(Series, Vec<LinePoint>)>,
    /// Formats a Y figure.
    pub format: fn(f64) -> String,
}

fn open(out: &mut String, id: &str, title: &str) {
    let (id, title) = (escape(id), escape(title));
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{title}"><title>{title}</title>"#
    );
    let _ = write!(
        out,
        r#"<text x="{LEFT}" y="20" class="chart-title">{title}</text>"#
    );
}

/// A "nice" step (1, 2 or 5 × 10^k) giving about four intervals up to `max`.
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let rough = max / 4.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude)
}

/// Draws the Y grid and labels; returns the axis top value.
fn y_axis(out: &mut String, max: f64, format: fn(f64) -> String) -> f64 {
    let step = nice_step(max);
    let top = (max / step).ceil().max(1.0) * step;
    let ticks = (top / step).round() as usize;
    for i in 0..=ticks {
        let value = step * i as f64;
        let y = y_pos(value, top);
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" class="grid"/><text x="{lx}" y="{ty:.1}" class="tick" text-anchor="end">{label}</text>"#,
            x2 = WIDTH - RIGHT,
            lx = LEFT - 6.0,
            ty = y + 4.0,
            label = if i == 0 {
                "0".to_owned()
            } else {
                escape(&format(value))
            },
        );
    }
    top
}

fn y_pos(value: f64, top: f64) -> f64 {
    let plot = HEIGHT - TOP - BOTTOM;
    HEIGHT - BOTTOM - value / top * plot
}

fn legend(out: &mut String, series: &[Series]) {
    let mut x = LEFT;
    let y = HEIGHT - 14.0;
    for s in series {
        let name = escape(&s.name);
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{ry}" width="12" height="12" fill="{c}"/><text x="{tx:.1}" y="{y}" class="legend">{name}</text>"#,
            ry = y - 10.0,
            c = s.color,
            tx = x + 16.0,
        );
        x += 28.0 + 7.5 * s.name.chars().count() as f64;
    }
}

/// Renders a grouped bar chart.
pub fn bar_chart(chart: &BarChart) -> String {
    let mut out = String::new();
    open(&mut out, &chart.id, &chart.title);
    let max = chart
        .values
        .iter()
        .flatten()
        .flatten()
        .map(|b| b.value)
        .fold(0.0, f64::max);
    let top = y_axis(&mut out, max, chart.format);
    let groups = chart.groups.len().max(1) as f64;
    let group_width = (WIDTH - LEFT - RIGHT) / groups;
    let bar_width = group_width * 0.8 / chart.series.len().max(1) as f64;
    let base = HEIGHT - BOTTOM;
    for (g, label) in chart.groups.iter().enumerate() {
        let gx = LEFT + group_width * g as f64;
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y}" class="tick" text-anchor="middle">{label}</text>"#,
            x = gx + group_width / 2.0,
            y = base + 16.0,
            label = escape(label),
        );
        let row = chart.values.get(g).map(Vec::as_slice).unwrap_or_default();
        for (s, bar) in row.iter().enumerate() {
            let (Some(bar), Some(series)) = (bar, chart.series.get(s)) else {
                continue;
            };
            let x = gx + group_width * 0.1 + bar_width * s as f64;
            let y = y_pos(bar.value, top);
            let figure = (chart.format)(bar.value);
            let tip = escape(&format!("{} {label}: {figure} {}", series.name, bar.note));
            let class = if bar.flagged { "bar flagged" } else { "bar" };
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{c}" stroke="{c}" class="{class}"><title>{tip}</title></rect>"#,
                w = (bar_width - 2.0).max(1.0),
                h = (base - y).max(0.5),
                c = series.color,
            );
            let cx = x + bar_width / 2.0 - 1.0;
            if bar.flagged {
                let _ = write!(
                    out,
                    r#"<text x="{cx:.1}" y="{ty:.1}" class="flag-mark" text-anchor="middle">!</text>"#,
                    ty = y - 4.0,
                );
            } else if bar_width >= 40.0 {
                let _ = write!(
                    out,
                    r#"<text x="{cx:.1}" y="{ty:.1}" class="value" text-anchor="middle">{f}</text>"#,
                    ty = y - 4.0,
                    f = escape(&figure),
                );
            }
        }
    }
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" x2="{x2}" y1="{base}" y2="{base}" class="axis"/>"#,
        x2 = WIDTH - RIGHT
    );
    legend(&mut out, &chart.series);
    out.push_str("</svg>");
    out
}

/// Renders a line chart.
pub fn line_chart(chart: &LineChart) -> String {
    let mut out = String::new();
    open(&mut out, &chart.id, &chart.title);
    let points = chart.series.iter().flat_map(|(_, p)| p);
    let max_y = points.clone().map(|p| p.y).fold(0.0, f64::max);
    let mut xs: Vec<u64> = points.map(|p| p.x).collect();
    xs.sort_unstable();
    xs.dedup();
    let (min_x, max_x) = (
        xs.first().copied().unwrap_or(0) as f64,
        xs.last().copied().unwrap_or(1) as f64,
    );
    let log = min_x > 0.0 && max_x / min_x >= 8.0;
    let (left, right) = (LEFT + 20.0, WIDTH - RIGHT - 20.0);
    let x_pos = |x: u64| {
        let x = x as f64;
        let share = if max_x <= min_x {
            0.5
        } else if log {
            (x.ln() - min_x.ln()) / (max_x.ln() - min_x.ln())
        } else {
            (x - min_x) / (max_x - min_x)
        };
        left + share * (right - left)
    };
    let top = y_axis(&mut out, max_y, chart.format);
    let base = HEIGHT - BOTTOM;
    for x in &xs {
        let _ = write!(
            out,
            r#"<text x="{px:.1}" y="{y}" class="tick" text-anchor="middle">{x}</text>"#,
            px = x_pos(*x),
            y = base + 16.0,
        );
    }
    let scale = if log { ", log scale" } else { "" };
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y}" class="tick" text-anchor="middle">{label}{scale}</text>"#,
        x = (left + right) / 2.0,
        y = base + 32.0,
        label = escape(&chart.x_label),
    );
    for (series, points) in &chart.series {
        let path: Vec<String> = points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x_pos(p.x), y_pos(p.y, top)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{}" class="line"/>"#,
            path.join(" "),
            series.color
        );
        for p in points {
            let fill = if p.flagged { "#ffffff" } else { series.color };
            let note = if p.flagged { " (flagged)" } else { "" };
            let tip = escape(&format!(
                "{} at {} {}: {}{note}",
                series.name,
                p.x,
                chart.x_label,
                (chart.format)(p.y)
            ));
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{fill}" stroke="{}" class="point"><title>{tip}</title></circle>"#,
                x_pos(p.x),
                y_pos(p.y, top),
                series.color
            );
        }
    }
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" x2="{x2}" y1="{base}" y2="{base}" class="axis"/>"#,
        x2 = WIDTH - RIGHT
    );
    let series: Vec<Series> = chart.series.iter().map(|(s, _)| s.clone()).collect();
    legend(&mut out, &series);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: f64) -> String {
        format!("{v}")
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(100.0), 50.0);
        assert_eq!(nice_step(7.0), 2.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    #[test]
    fn a_bar_chart_draws_one_rect_per_value_and_escapes_names() {
        let bar = |value, flagged| {
            Some(BarValue {
                value,
                flagged,
                note: String::new(),
            })
        };
        let chart = BarChart {
            id: "c".into(),
            title: "req/s <json>".into(),
            groups: vec!["c64".into()],
            series: vec![
                Series {
                    name: "a&b".into(),
                    color: color(0),
                },
                Series {
                    name: "z".into(),
                    color: color(1),
                },
            ],
            values: vec![vec![bar(10.0, false), bar(5.0, true)]],
            format: plain,
        };
        let svg = bar_chart(&chart);
        assert_eq!(svg.matches(r#"class="bar"#).count(), 2);
        assert_eq!(svg.matches("flag-mark").count(), 1);
        assert!(svg.contains("req/s &lt;json&gt;") && svg.contains("a&amp;b"));
        assert!(!svg.contains("<json>"));
    }

    #[test]
    fn a_line_chart_over_a_wide_range_uses_a_log_axis_and_hollow_flagged_points() {
        let points = vec![
            LinePoint {
                x: 1,
                y: 5.0,
                flagged: true,
            },
            LinePoint {
                x: 1000,
                y: 9.0,
                flagged: false,
            },
        ];
        let chart = LineChart {
            id: "l".into(),
            title: "t".into(),
            x_label: "connections".into(),
            series: vec![(
                Series {
                    name: "a".into(),
                    color: color(0),
                },
                points,
            )],
            format: plain,
        };
        let svg = line_chart(&chart);
        assert!(svg.contains("log scale"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains(r##"fill="#ffffff""##));
    }
}
