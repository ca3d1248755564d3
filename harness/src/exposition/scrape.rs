//! Reading an exposition back: the first sample of each metric name, as the exported k6 script
//! does too.

use std::collections::BTreeMap;
use std::time::Duration;

/// A scrape that failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot scrape {url}: {why}; is `stampede serve TARGET --metrics ADDR` running there?")]
pub struct ScrapeError {
    /// The endpoint.
    pub url: String,
    /// What went wrong.
    pub why: String,
}

/// Samples by metric name (the first sample of each name; labels ignored).
pub fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut values = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (name_and_labels, rest) = match line.find('}') {
            Some(end) => (&line[..=end], &line[end + 1..]),
            None => match line.split_once(' ') {
                Some((name, rest)) => (name, rest),
                None => continue,
            },
        };
        let name = name_and_labels.split('{').next().unwrap_or("");
        let value = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok());
        if let Some(value) = value {
            values.entry(name.to_owned()).or_insert(value);
        }
    }
    values
}

/// GETs `url` and parses it.
pub fn scrape(url: &str) -> Result<BTreeMap<String, f64>, ScrapeError> {
    let fail = |why: String| ScrapeError {
        url: url.to_owned(),
        why,
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let response = client.get(url).send().map_err(|e| fail(e.to_string()))?;
    if !response.status().is_success() {
        return Err(fail(format!("status {}", response.status())));
    }
    let text = response.text().map_err(|e| fail(e.to_string()))?;
    Ok(parse(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_parse_with_or_without_labels_and_comments_are_skipped() {
        let text =
            "# HELP a_total help\n# TYPE a counter\na_total{target=\"x y\"} 1.5\nb 7\nb 8\n# EOF\n";
        let values = parse(text);
        assert_eq!(values.get("a_total"), Some(&1.5));
        assert_eq!(values.get("b"), Some(&7.0), "the first sample of a name");
        assert_eq!(values.len(), 2);
    }
}
