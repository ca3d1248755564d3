//! Durations on the command line: `5s`, `500ms`, `2m`, or plain seconds.

use std::time::Duration;

/// Parses `500ms`, `5s`, `1.5s`, `2m` or `10` (seconds).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit_seconds) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("bad duration {text:?}: use e.g. 500ms, 5s or 2m"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "bad duration {text:?}: must be zero or more, e.g. 5s"
        ));
    }
    Ok(Duration::from_secs_f64(value * unit_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_milliseconds_seconds_minutes_and_bare_numbers() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
    }

    #[test]
    fn nonsense_and_negative_durations_are_refused_with_an_example() {
        for bad in ["", "fast", "-1s", "5h"] {
            assert!(parse_duration(bad).unwrap_err().contains("5s"), "{bad}");
        }
    }
}
