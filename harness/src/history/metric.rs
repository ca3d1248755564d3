//! The figures a history follows, read from a record's JSON by field name so that records of
//! any version work: a field a record lacks is simply absent from that record's point.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

/// A figure followed across runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Successful responses per second.
    RequestsPerSec,
    /// 99th percentile latency, microseconds.
    P99,
    /// Server CPU microseconds per request.
    CpuUs,
    /// Peak server memory, bytes (PSS when the record has it, else RSS).
    Mem,
    /// User-space instructions per request counted under Valgrind (`stampede icount`): the
    /// same code gives the same count within ~0.05%, where CPU time on a shared machine
    /// swings 10-25% between identical runs.
    Instructions,
}

impl Metric {
    /// Every metric, in the order the CLI lists them.
    pub const ALL: [Self; 5] = [
        Self::RequestsPerSec,
        Self::P99,
        Self::CpuUs,
        Self::Mem,
        Self::Instructions,
    ];

    /// The name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::RequestsPerSec => "requests_per_sec",
            Self::P99 => "p99",
            Self::CpuUs => "cpu_us",
            Self::Mem => "mem",
            Self::Instructions => "instructions",
        }
    }

    /// The column of the `records` table holding it.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::RequestsPerSec => "requests_per_sec",
            Self::P99 => "p99_us",
            Self::CpuUs => "cpu_us_per_request",
            Self::Mem => "mem_bytes",
            Self::Instructions => "instructions_per_request",
        }
    }

    /// Where a record keeps it, as JSON pointers; the first present wins. PSS names come first
    /// so that records which carry PSS are followed by it (summing RSS over a process tree
    /// double-counts shared pages).
    pub fn pointers(self) -> &'static [&'static str] {
        match self {
            Self::RequestsPerSec => &["/requests_per_sec"],
            Self::P99 => &["/latency_us/p99"],
            Self::CpuUs => &["/server/cpu_us_per_request"],
            Self::Mem => &[
                "/server/peak_pss_bytes",
                "/server/pss_bytes",
                "/server/memory/peak_pss_bytes",
                "/server/peak_rss_bytes",
            ],
            Self::Instructions => &["/instructions_per_request"],
        }
    }

    /// The figure in `record`, if it has it.
    pub fn extract(self, record: &Value) -> Option<f64> {
        self.pointers()
            .iter()
            .find_map(|p| record.pointer(p).and_then(Value::as_f64))
            .filter(|v| v.is_finite())
    }

    /// True when a larger value is an improvement.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Self::RequestsPerSec)
    }

    /// `req/s in req/s (higher is better)`: what the figures of a trend are.
    pub fn heading(self) -> String {
        let better = if self.higher_is_better() {
            "higher"
        } else {
            "lower"
        };
        format!("{} in {} ({better} is better)", self.name(), self.unit())
    }

    /// Unit for people.
    pub fn unit(self) -> &'static str {
        match self {
            Self::RequestsPerSec => "req/s",
            Self::P99 => "us",
            Self::CpuUs => "CPU us/request",
            Self::Mem => "MiB",
            Self::Instructions => "instructions/request",
        }
    }

    /// `value` in the unit of [`Metric::unit`], rounded for people.
    pub fn format(self, value: f64) -> String {
        match self {
            Self::RequestsPerSec | Self::P99 | Self::Instructions => format!("{value:.0}"),
            Self::CpuUs => format!("{value:.2}"),
            Self::Mem => format!("{:.1}", value / (1024.0 * 1024.0)),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                format!("unknown metric {text:?}; use one of {}", names.join(", "))
            })
    }
}

/// Boolean fields of a record that warn about its figure. (`server_bound` is the good case and
/// is not one of them.)
const WARNING_FIELDS: [(&str, &str); 9] = [
    ("client_bound", "client-bound"),
    ("low_occupancy", "low-occupancy"),
    ("not_steady", "not-steady"),
    ("few_requests", "few-requests"),
    ("client_late", "client-late"),
    ("invalid", "invalid"),
    ("memory_grows", "memory-grows"),
    ("latency_drifts", "latency-drifts"),
    ("stalls", "stalls"),
];

/// The warnings a record raises: its warning booleans, and whatever a record lists under
/// `flags` (an array of names, or an object of booleans).
pub fn flags_of(record: &Value) -> Vec<String> {
    let mut flags = Vec::new();
    for (field, name) in WARNING_FIELDS {
        if record.get(field).and_then(Value::as_bool) == Some(true) {
            flags.push(name.to_owned());
        }
    }
    match record.get("flags") {
        Some(Value::Array(items)) => {
            flags.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        Some(Value::Object(map)) => {
            flags.extend(
                map.iter()
                    .filter(|(_, v)| v.as_bool() == Some(true))
                    .map(|(k, _)| k.replace('_', "-")),
            );
        }
        _ => {}
    }
    flags.sort();
    flags.dedup();
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metrics_are_read_by_field_name_and_absent_fields_give_none() {
        let record = json!({
            "requests_per_sec": 1234.5,
            "latency_us": {"p99": 900, "mean": 300.0},
            "server": {"cpu_us_per_request": null, "peak_rss_bytes": 2_097_152}
        });
        assert_eq!(Metric::RequestsPerSec.extract(&record), Some(1234.5));
        assert_eq!(Metric::P99.extract(&record), Some(900.0));
        assert_eq!(Metric::CpuUs.extract(&record), None);
        assert_eq!(Metric::Mem.extract(&record), Some(2_097_152.0));
        assert_eq!(Metric::Mem.format(2_097_152.0), "2.0");
    }

    #[test]
    fn memory_prefers_pss_over_rss_when_a_record_has_both() {
        let record = json!({"server": {"peak_rss_bytes": 300, "peak_pss_bytes": 200}});
        assert_eq!(Metric::Mem.extract(&record), Some(200.0));
    }

    #[test]
    fn metric_names_parse_and_unknown_ones_list_the_choices() {
        assert_eq!("cpu_us".parse::<Metric>(), Ok(Metric::CpuUs));
        let err = "rps".parse::<Metric>().unwrap_err();
        assert!(
            err.contains("requests_per_sec, p99, cpu_us, mem, instructions"),
            "{err}"
        );
    }

    #[test]
    fn instruction_counts_are_read_from_icount_records() {
        let record = json!({"id": "plaintext/actix/icount", "instructions_per_request": 16613.2});
        assert_eq!(Metric::Instructions.extract(&record), Some(16613.2));
        assert_eq!(Metric::Instructions.format(16613.2), "16613");
        assert_eq!(
            Metric::Instructions.extract(&json!({"requests_per_sec": 1.0})),
            None
        );
    }

    #[test]
    fn flags_come_from_booleans_and_from_a_newer_flags_field() {
        let record = json!({"client_bound": true, "invalid": false, "server_bound": true,
                            "flags": ["noisy-neighbour"]});
        assert_eq!(flags_of(&record), ["client-bound", "noisy-neighbour"]);
        let record = json!({"low_occupancy": true, "client_late": true});
        assert_eq!(flags_of(&record), ["client-late", "low-occupancy"]);
        let record = json!({"flags": {"client_saturated": true, "overlap": false}});
        assert_eq!(flags_of(&record), ["client-saturated"]);
        // A soak record's verdicts on its timeline.
        let record = json!({"memory_grows": true, "stalls": true, "latency_drifts": false});
        assert_eq!(flags_of(&record), ["memory-grows", "stalls"]);
    }
}
