//! k6 execution segments (`0:1/2`, `1/2:1`, `0.25:0.5`): whether the imported instances cover
//! the whole test exactly once, so a forgotten or doubled file is noticed.

/// A segment's bounds as fractions of the test.
pub fn parse(segment: &str) -> Option<(f64, f64)> {
    let (from, to) = segment.split_once(':')?;
    let (from, to) = (fraction(from)?, fraction(to)?);
    ((0.0..=1.0).contains(&from) && from < to && to <= 1.0 + 1e-9).then_some((from, to))
}

fn fraction(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Some(pct) = text.strip_suffix('%') {
        return pct.parse::<f64>().ok().map(|p| p / 100.0);
    }
    match text.split_once('/') {
        Some((num, den)) => {
            let (num, den): (f64, f64) = (num.parse().ok()?, den.parse().ok()?);
            (den != 0.0).then(|| num / den)
        }
        None => text.parse().ok(),
    }
}

/// Why `segments` do not tile 0..1 exactly once, if they do not. Unparseable segments are
/// named.
pub fn coverage_problem(segments: &[&str]) -> Option<String> {
    let mut bounds = Vec::new();
    for segment in segments {
        match parse(segment) {
            Some(b) => bounds.push(b),
            None => return Some(format!("execution segment {segment:?} is not FROM:TO")),
        }
    }
    bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut at = 0.0;
    for (from, to) in &bounds {
        if (from - at).abs() > 1e-9 {
            return Some(if *from > at {
                format!("no instance ran the segment {at}:{from} (a file is missing?)")
            } else {
                format!("the segment around {from} was run twice (a file passed twice?)")
            });
        }
        at = *to;
    }
    ((at - 1.0).abs() > 1e-9)
        .then(|| format!("no instance ran the segment {at}:1 (a file is missing?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_parse_as_fractions_decimals_or_percentages() {
        assert_eq!(parse("0:1/2"), Some((0.0, 0.5)));
        assert_eq!(parse("1/2:1"), Some((0.5, 1.0)));
        assert_eq!(parse("0.25:50%"), Some((0.25, 0.5)));
        assert_eq!(parse("1:0"), None);
        assert_eq!(parse("half"), None);
    }

    #[test]
    fn halves_cover_the_test_and_a_missing_or_doubled_half_is_named() {
        assert_eq!(coverage_problem(&["1/2:1", "0:1/2"]), None);
        assert_eq!(coverage_problem(&["0:1"]), None);
        assert!(coverage_problem(&["0:1/2"]).unwrap().contains("missing"));
        assert!(
            coverage_problem(&["0:1/2", "0:1/2", "1/2:1"])
                .unwrap()
                .contains("twice")
        );
        assert!(
            coverage_problem(&["0:1/3", "1/2:1"])
                .unwrap()
                .contains("missing")
        );
    }
}
