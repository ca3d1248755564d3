//! One small SVG chart per trend (plotters, SVG backend): the figure of each comparable run in
//! order, labelled by commit; a band per stable segment (between change points) at its mean
//! ± 2 standard deviations, where its runs are expected to lie; change points as orange rules.

use plotters::prelude::*;

use super::HistoryError;
use super::metric::Metric;
use super::trend::Trend;

const WIDTH: u32 = 460;
const HEIGHT: u32 = 200;
const LINE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const CHANGE: RGBColor = RGBColor(0xD5, 0x5E, 0x00);

/// The chart of `trend` as an SVG document.
pub fn trend_svg(trend: &Trend, metric: Metric) -> Result<String, HistoryError> {
    let mut svg = String::new();
    draw(trend, metric, &mut svg).map_err(|e| HistoryError::Render(e.to_string()))?;
    Ok(svg)
}

/// `(start, end, mean, standard deviation)` of each run between change points.
fn segments(trend: &Trend) -> Vec<(usize, usize, f64, f64)> {
    let mut cuts: Vec<usize> = trend.change_points.iter().map(|c| c.index).collect();
    cuts.insert(0, 0);
    cuts.push(trend.runs.len());
    cuts.windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| {
            let values: Vec<f64> = trend.runs[w[0]..w[1]].iter().map(|r| r.value).collect();
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let var = if values.len() > 1 {
                values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
            } else {
                0.0
            };
            (w[0], w[1], mean, var.sqrt())
        })
        .collect()
}

fn draw(
    trend: &Trend,
    metric: Metric,
    svg: &mut String,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let n = trend.runs.len();
    let segments = segments(trend);
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in &trend.runs {
        low = low.min(r.value);
        high = high.max(r.value);
    }
    for (_, _, mean, sd) in &segments {
        low = low.min(mean - 2.0 * sd);
        high = high.max(mean + 2.0 * sd);
    }
    if !low.is_finite() {
        (low, high) = (0.0, 1.0);
    }
    let pad = ((high - low) * 0.1).max(high.abs() * 0.01).max(1e-9);
    let (low, high) = ((low - pad).max(0.0), high + pad);
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let commits: Vec<String> = trend
        .runs
        .iter()
        .map(|r| r.commit.chars().take(7).collect())
        .collect();
    let label_x = |x: &f64| {
        let i = x.round();
        if (x - i).abs() > 0.01 || i < 0.0 {
            return String::new();
        }
        commits.get(i as usize).cloned().unwrap_or_default()
    };
    let label_y = |y: &f64| metric.format(*y);
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(22)
        .y_label_area_size(52)
        .build_cartesian_2d(-0.5f64..(n.max(1) as f64 - 0.5), low..high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.clamp(1, 6))
        .y_labels(4)
        .x_label_formatter(&label_x)
        .y_label_formatter(&label_y)
        .label_style(("sans-serif", 10))
        .light_line_style(WHITE)
        .draw()?;
    for (start, end, mean, sd) in &segments {
        let (x0, x1) = (*start as f64 - 0.4, *end as f64 - 0.6);
        chart.draw_series(std::iter::once(Polygon::new(
            vec![
                (x0, mean - 2.0 * sd),
                (x1, mean - 2.0 * sd),
                (x1, mean + 2.0 * sd),
                (x0, mean + 2.0 * sd),
            ],
            LINE.mix(0.15),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x0, *mean), (x1, *mean)],
            LINE.mix(0.5),
        )))?;
    }
    for cp in &trend.change_points {
        let x = cp.index as f64 - 0.5;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, low), (x, high)],
            CHANGE.stroke_width(2),
        )))?;
    }
    chart.draw_series(LineSeries::new(
        trend
            .runs
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64, r.value)),
        LINE,
    ))?;
    // Flagged runs (client-bound and the like) are drawn hollow.
    chart.draw_series(trend.runs.iter().enumerate().map(|(i, r)| {
        let style = if r.flags.is_empty() {
            LINE.filled()
        } else {
            LINE.stroke_width(1)
        };
        Circle::new((i as f64, r.value), 3, style)
    }))?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Fingerprint;
    use crate::history::trend::{CommitChange, RunValue};

    fn trend() -> Trend {
        let runs = (0..8)
            .map(|i| RunValue {
                run_id: format!("r{i}"),
                time: String::new(),
                commit: if i < 4 {
                    "aaaaaaa111".into()
                } else {
                    "bbbbbbb222".into()
                },
                value: if i < 4 {
                    100.0 + i as f64
                } else {
                    80.0 + i as f64
                },
                flags: if i == 2 {
                    vec!["client-bound".into()]
                } else {
                    Vec::new()
                },
                versions: String::new(),
            })
            .collect();
        Trend {
            bench_id: "plaintext/actix/c64".parse().unwrap(),
            mode: crate::evidence::RunMode::Quick,
            fingerprint: Fingerprint {
                machine: crate::evidence::Machine {
                    cpu_model: "cpu".into(),
                    cores: 2,
                    kernel: "6".into(),
                },
                server_cpus: "0".into(),
                client_cpus: "1".into(),
            },
            fingerprint_short: "00000000".into(),
            runs,
            previous: None,
            change_points: vec![CommitChange {
                index: 4,
                commit: "bbbbbbb222".into(),
                previous_commit: "aaaaaaa111".into(),
                within_commit: false,
                relative_change: -0.2,
                mean_before: 101.5,
                mean_after: 85.5,
                p_value: 0.005,
                versions_changed: None,
            }],
            left_out: 0,
        }
    }

    #[test]
    fn a_trend_chart_is_an_svg_with_commit_labels_a_band_per_segment_and_the_change_rule() {
        let svg = trend_svg(&trend(), Metric::RequestsPerSec).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert!(svg.contains("aaaaaaa") && svg.contains("bbbbbbb"));
        assert_eq!(svg.matches("<polygon").count(), 2, "one band per segment");
        assert!(svg.contains("#D55E00"), "the change point rule is drawn");
        assert_eq!(segments(&trend()).len(), 2);
    }

    #[test]
    fn a_single_run_still_draws() {
        let mut t = trend();
        t.runs.truncate(1);
        t.change_points.clear();
        assert!(trend_svg(&t, Metric::P99).unwrap().contains("</svg>"));
    }
}
