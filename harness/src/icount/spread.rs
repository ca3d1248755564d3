//! The figure of k repetitions: their median, and their spread as (max - min) / median.
//! Instruction counts are nearly deterministic, so the full range (not a standard deviation)
//! is the honest measure of what another run may give.

/// Median of the values; `None` when empty or when one is not finite.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

/// (max - min) / median in percent; 0 for one value, `None` when there is no median or it is 0.
pub fn spread_pct(values: &[f64]) -> Option<f64> {
    let m = median(values)?;
    if m == 0.0 {
        return None;
    }
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    let min = values.iter().copied().fold(f64::MAX, f64::min);
    Some((max - min) / m * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_is_the_whole_range_over_the_median() {
        let v = [17_061.0, 17_063.0, 17_062.0];
        assert_eq!(median(&v), Some(17_062.0));
        let s = spread_pct(&v).unwrap();
        assert!((s - 2.0 / 17_062.0 * 100.0).abs() < 1e-12, "{s}");
        assert_eq!(spread_pct(&[5.0]), Some(0.0));
        assert_eq!(median(&[1.0, 4.0]), Some(2.5));
    }

    #[test]
    fn nothing_or_broken_values_give_no_figure() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
        assert_eq!(spread_pct(&[0.0, 0.0]), None);
    }
}
