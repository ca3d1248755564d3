//! Number and text formatting shared by the renderers.

use itertools::Itertools;

/// Escapes text for a Markdown table cell: a pipe would end the cell, a newline the row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MarkdownCell;

impl askama::filters::Escaper for MarkdownCell {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut out: W, text: &str) -> std::fmt::Result {
        out.write_str(&text.replace('|', "\\|").replace('\n', " "))
    }
}

/// An integer with thousands separators: `142,857`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let groups = digits.as_bytes().rchunks(3).rev();
    let groups = groups.map(|g| std::str::from_utf8(g).unwrap_or_default());
    groups.format(",").to_string()
}

/// Requests per second: whole numbers from 100 up, one decimal below.
pub(crate) fn rate(per_sec: f64) -> String {
    match per_sec {
        100.0.. => thousands(per_sec.round() as u64),
        _ => format!("{per_sec:.1}"),
    }
}

/// A latency in microseconds as µs, ms or s with three significant figures.
pub(crate) fn latency(us: f64) -> String {
    match us {
        ..1000.0 => format!("{us:.0} µs"),
        ..1e6 => format!("{} ms", significant(us / 1000.0)),
        _ => format!("{} s", significant(us / 1e6)),
    }
}

/// Bytes as B, KiB, MiB or GiB.
pub(crate) fn bytes(n: f64) -> String {
    // Powers of two divide exactly: one division is as good as three.
    let unit = (1..=3).rev().find(|&u| n.abs() >= 1024f64.powi(u));
    match unit {
        None => format!("{n:.0} B"),
        Some(u) => {
            let name = ["KiB", "MiB", "GiB"][u as usize - 1];
            format!("{} {name}", significant(n / 1024f64.powi(u)))
        }
    }
}

/// A change in bytes with its sign: `+1.2 MiB`, `−512 KiB`.
pub(crate) fn signed_bytes(n: f64) -> String {
    let sign = if n < 0.0 { "−" } else { "+" };
    format!("{sign}{}", bytes(n.abs()))
}

/// Three significant figures, without trailing zeros past the point.
pub(crate) fn significant(value: f64) -> String {
    let decimals = match value.abs() {
        100.0.. => 0,
        10.0.. => 1,
        _ => 2,
    };
    format!("{value:.decimals$}")
}

/// A ratio with two decimals: `1.35×`.
pub(crate) fn ratio(value: f64) -> String {
    format!("{value:.2}×")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_with_units_and_separators() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(rate(142_857.4), "142,857");
        assert_eq!(rate(12.34), "12.3");
        assert_eq!(latency(850.0), "850 µs");
        assert_eq!(latency(18_000.0), "18.0 ms");
        assert_eq!(latency(2_500_000.0), "2.50 s");
        assert_eq!(bytes(8.0 * 1024.0 * 1024.0), "8.00 MiB");
        assert_eq!(bytes(800.0), "800 B");
        assert_eq!(ratio(1.3456), "1.35×");
    }
}
