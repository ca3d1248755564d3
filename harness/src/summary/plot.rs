//! Drawing a [`Chart`] as inline SVG with plotters. Both axes are plain numbers on the drawing:
//! a log axis is drawn as log10 of its values, with ticks labelled in the values themselves.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;

use super::SummaryError;
use super::charts::{Chart, MAX_NINES, Plot, Point, Unit, XAxis, nines};
use crate::evidence::quantile_name;

const SIZE: (u32, u32) = (560, 300);

/// Colour-blind-safe palette (Okabe-Ito), indexed by target in report order.
const PALETTE: [u32; 8] = [
    0x0072B2, 0xE69F00, 0x009E73, 0xCC79A7, 0x56B4E9, 0xD55E00, 0x777777, 0xF0E442,
];

pub(crate) fn svg(chart: &Chart) -> Result<String, SummaryError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        draw(&root, &chart.plot).map_err(|why| SummaryError::Render {
            what: format!("chart {}", chart.id),
            why,
        })?;
    }
    Ok(out)
}

/// An axis as drawn: range and labelled ticks in drawing coordinates (log10 of the values on
/// a log axis), the ticks being the only grid lines and labels.
#[derive(Clone)]
struct Axis {
    range: std::ops::Range<f64>,
    ticks: Vec<(f64, String)>,
    log: bool,
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = (value - self.range.start) / (self.range.end - self.range.start);
        limit.0 + (share * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let light = hint.weight().allow_light_points();
        let ticks = self.ticks.iter().map(|(x, _)| *x);
        ticks.filter(|_| !light).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

impl Axis {
    fn label(&self, at: f64) -> String {
        let tick = self.ticks.iter().find(|(x, _)| (x - at).abs() < 1e-9);
        tick.map(|(_, label)| label.clone()).unwrap_or_default()
    }

    /// Where a value is drawn.
    fn at(&self, value: f64) -> f64 {
        if self.log && value > 0.0 {
            value.log10()
        } else {
            value
        }
    }
}

fn x_axis(plot: &Plot) -> Axis {
    let (range, ticks, log) = match &plot.x {
        XAxis::Groups(groups) => {
            let ticks = groups
                .iter()
                .enumerate()
                .map(|(i, g)| (i as f64 + 0.5, g.clone()));
            (0.0..groups.len().max(1) as f64, ticks.collect(), false)
        }
        XAxis::Numbers(_) => {
            let xs = plot.xs();
            let low = xs.first().copied().unwrap_or(1.0);
            let high = xs.last().copied().unwrap_or(1.0);
            let log = low > 0.0 && high / low >= 8.0;
            let at = |x: f64| if log { x.log10() } else { x };
            let pad = ((at(high) - at(low)) * 0.06).max(0.5);
            let ticks = xs.iter().map(|x| (at(*x), format!("{x}"))).collect();
            (at(low) - pad..at(high) + pad, ticks, log)
        }
        XAxis::Time(_) => {
            let high = plot
                .xs()
                .last()
                .copied()
                .unwrap_or(1.0)
                .max(f64::MIN_POSITIVE);
            let step = nice_step(high / 6.0, false);
            let ticks = (0..)
                .map(|i| step * f64::from(i))
                .take_while(|v| *v <= high + step / 2.0)
                .map(|v| (v, minutes(v)));
            (0.0..high * 1.02, ticks.collect(), false)
        }
        XAxis::Nines => {
            let quantiles = [0.5, 0.9, 0.99, 0.999, 0.9999];
            let ticks = quantiles.map(|q| (nines(q), format!("{}%", quantile_name(q))));
            let ticks = ticks.into_iter().chain([(MAX_NINES, "max".to_owned())]);
            (nines(0.5) - 0.2..MAX_NINES + 0.2, ticks.collect(), false)
        }
    };
    Axis { range, ticks, log }
}

fn y_axis(plot: &Plot) -> Axis {
    let (low, high) = plot.y_extent();
    let low = low.min(high);
    let format = |v: f64| plot.unit.format(v);
    if plot.y_log && low > 0.0 {
        let (bottom, top) = (
            low.log10().floor() as i32,
            (high * 3.0).log10().ceil() as i32,
        );
        let values = (bottom..=top).flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * 10f64.powf(d.into())));
        let values = values.filter(|v| (low / 1.5..=high * 3.0).contains(v));
        return Axis {
            range: (low / 1.5).log10()..(high * 3.0).log10(),
            ticks: values.map(|v| (v.log10(), format(v))).collect(),
            log: true,
        };
    }
    // Linear from zero (or the lowest negative value), with room above for the legend.
    let floor = low.min(0.0);
    let step = nice_step((high - floor) * 1.35 / 5.0, plot.unit == Unit::Bytes);
    let top = ((high * 1.35) / step).ceil().max(1.0) * step;
    let bottom = (floor / step).floor() * step;
    let ticks = (0..)
        .map(|i| bottom + step * f64::from(i))
        .take_while(|v| *v <= top + step / 2.0)
        .map(|v| (v, if v == 0.0 { "0".into() } else { format(v) }))
        .collect();
    Axis {
        range: bottom..top,
        ticks,
        log: false,
    }
}

/// A tick of the time axis: `2`, `0.5`, `0.25` (steps are 1, 2 or 5 times a power of ten, so
/// two decimals hold every tick of a run longer than a few seconds).
fn minutes(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A "nice" step at least `rough`: 1, 2 or 5 times a power of ten, counted in KiB, MiB or GiB
/// for `binary` figures so that ticks read 2 MiB, not 1.91 MiB.
fn nice_step(rough: f64, binary: bool) -> f64 {
    if rough <= 0.0 || !rough.is_finite() {
        return 1.0;
    }
    if binary && rough >= 1024.0 {
        let unit = 1024f64.powf(rough.log(1024.0).floor());
        return nice_step(rough / unit, false) * unit;
    }
    let magnitude = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, plot: &Plot) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let fail = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(fail)?;
    let (x, y) = (x_axis(plot), y_axis(plot));
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x.clone(), y.clone())
        .map_err(fail)?;
    let x_label = |v: &f64| x.label(*v);
    let y_label = |v: &f64| y.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 12))
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.1));
    match &plot.x {
        XAxis::Groups(_) => mesh.disable_x_mesh(),
        XAxis::Numbers(label) if x.log => mesh.x_desc(format!("{label} (log scale)")),
        XAxis::Numbers(label) | XAxis::Time(label) => mesh.x_desc(label),
        XAxis::Nines => mesh.x_desc("percentile"),
    };
    mesh.draw().map_err(fail)?;
    // Bars share 80% of their group, and stay narrow when there are few.
    let width = (0.8 / plot.series.len().max(1) as f64).min(0.25);
    let offset = 0.5 - width * plot.series.len() as f64 / 2.0;
    for (s, series) in plot.series.iter().enumerate() {
        let [_, r, g, b] = PALETTE[series.color % PALETTE.len()].to_be_bytes();
        let color = RGBColor(r, g, b);
        let style = |flagged| match flagged {
            true => color.stroke_width(2),
            false => color.filled(),
        };
        let anno = if let XAxis::Groups(_) = plot.x {
            let base = y.range.start.max(y.at(0.0).min(y.range.end));
            chart.draw_series(series.points.iter().map(|p| {
                let left = p.x + offset + width * s as f64;
                Rectangle::new(
                    [(left, base), (left + width * 0.9, y.at(p.y))],
                    style(p.flagged),
                )
            }))
        } else {
            let at = |p: &Point| (x.at(p.x), y.at(p.y));
            let path = series.points.iter().map(at);
            chart
                .draw_series(LineSeries::new(path, color.stroke_width(2)))
                .map_err(fail)?;
            // Over time, a line of hundreds of points needs no marks but the flagged ones.
            let over_time = matches!(plot.x, XAxis::Time(_));
            let marks = series.points.iter().filter(|p| !over_time || p.flagged);
            chart.draw_series(marks.map(|p| Circle::new(at(p), 4, style(p.flagged))))
        }
        .map_err(fail)?;
        anno.label(series.target.clone()).legend(move |(lx, ly)| {
            Rectangle::new([(lx, ly - 5), (lx + 12, ly + 5)], color.filled())
        });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.2))
        .draw()
        .map_err(fail)?;
    root.present().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::assert_has;
    use crate::summary::charts::{DataTable, Point, Series};

    /// The drawing of one series `a<b` of `(x, y, flagged)` points.
    fn draw(x: XAxis, y_log: bool, points: &[(f64, f64, bool)]) -> String {
        let points = points
            .iter()
            .map(|&(x, y, flagged)| Point::new(x, y, flagged));
        let series = Series {
            target: "a<b".into(),
            color: 0,
            points: points.collect(),
        };
        let mut plot = Plot::new(x, Unit::Micros, vec![series]);
        plot.y_log = y_log;
        let chart = Chart {
            id: "c".into(),
            title: "t".into(),
            note: String::new(),
            plot,
            table: DataTable::default(),
        };
        svg(&chart).unwrap()
    }

    /// plotters writes each label on a line of its own inside `<text>`.
    fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!(">\n{text}\n<"))
    }

    #[test]
    fn time_ticks_read_as_round_minutes() {
        let labels: Vec<String> = [0.0, 0.1 * 3.0, 2.0, 0.25].map(minutes).to_vec();
        assert_eq!(labels, ["0", "0.3", "2", "0.25"]);
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(40.0, false), 50.0);
        assert_eq!(nice_step(1.5, false), 2.0);
        assert_eq!(nice_step(0.0, false), 1.0);
        assert_eq!(
            nice_step(3.0 * 1024.0 * 1024.0, true),
            5.0 * 1024.0 * 1024.0
        );
    }

    #[test]
    fn bars_draw_one_rectangle_per_value_hollow_when_flagged_and_escape_names() {
        let groups = XAxis::Groups(vec!["c64".into(), "c256".into()]);
        let svg = draw(groups, false, &[(0.0, 10.0, false), (1.0, 5.0, true)]);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(has_text(&svg, "c64") && has_text(&svg, "c256"), "{svg}");
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"));
        // Legend swatch plus two bars, one of them hollow.
        assert!(svg.matches("<rect").count() >= 3, "{svg}");
        assert!(svg.contains(r#"fill="none""#), "{svg}");
    }

    #[test]
    fn a_percentile_plot_labels_the_nines_and_the_maximum_on_a_log_latency_axis() {
        let points = [
            (nines(0.5), 100.0),
            (nines(0.99), 1000.0),
            (MAX_NINES, 20_000.0),
        ];
        let svg = draw(XAxis::Nines, true, &points.map(|(x, y)| (x, y, false)));
        for label in "50%|99%|99.9%|max|100 µs|10.0 ms|percentile".split('|') {
            assert!(has_text(&svg, label), "{label}: {svg}");
        }
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn a_wide_sweep_of_connections_is_drawn_on_a_log_axis() {
        let connections = XAxis::Numbers("connections".into());
        let svg = draw(
            connections,
            false,
            &[(1.0, 10.0, false), (1024.0, 20.0, false)],
        );
        assert_has(&svg, "connections (log scale)");
        assert!(has_text(&svg, "1024"), "{svg}");
    }
}
