//! What makes two runs comparable: the machine they ran on ([`Machine`] with the server/client
//! CPU split) and the mode.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::evidence::Machine;

/// The machine side of comparability. Two results are compared only when every field matches.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint {
    /// CPU model, cores and kernel.
    #[serde(flatten)]
    pub machine: Machine,
    /// Server CPU set, e.g. "0".
    pub server_cpus: String,
    /// Client CPU set, e.g. "1".
    pub client_cpus: String,
}

impl Fingerprint {
    /// A machine nothing is known about (records from before fingerprints were kept).
    pub fn unknown() -> Self {
        Self {
            machine: Machine::unknown(),
            server_cpus: "unknown".into(),
            client_cpus: "unknown".into(),
        }
    }

    /// A described machine with the given CPU split.
    pub fn of_machine(machine: &Machine, server_cpus: &str, client_cpus: &str) -> Self {
        Self {
            machine: machine.clone(),
            server_cpus: server_cpus.to_owned(),
            client_cpus: client_cpus.to_owned(),
        }
    }

    /// The fingerprint a record states (`machine.*`, `setup.server_cpus`, `setup.client_cpus`);
    /// fields it lacks come from `fallback`.
    pub fn of_record(record: &Value, fallback: &Self) -> Self {
        let text = |pointer: &str, default: &str| {
            record
                .pointer(pointer)
                .and_then(Value::as_str)
                .map_or_else(|| default.to_owned(), str::to_owned)
        };
        let known = &fallback.machine;
        Self {
            machine: Machine {
                cpu_model: text("/machine/cpu_model", &known.cpu_model),
                cores: record
                    .pointer("/machine/cores")
                    .and_then(Value::as_u64)
                    .map_or(known.cores, |c| c as usize),
                kernel: text("/machine/kernel", &known.kernel),
            },
            server_cpus: text("/setup/server_cpus", &fallback.server_cpus),
            client_cpus: text("/setup/client_cpus", &fallback.client_cpus),
        }
    }

    /// A short stable name, 8 hex digits of a hash over every field.
    pub fn short(&self) -> String {
        let mut hash: u32 = 0x811c_9dc5;
        for byte in self.key().bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        format!("{hash:08x}")
    }

    /// The canonical text the database compares on.
    pub fn key(&self) -> String {
        let m = &self.machine;
        format!(
            "cpu={};cores={};kernel={};server={};client={}",
            m.cpu_model, m.cores, m.kernel, self.server_cpus, self.client_cpus
        )
    }

    /// One line for people, e.g. `AMD EPYC 7B13, 2 cores, kernel 6.1.0, server CPUs 0 / client 1`.
    pub fn describe(&self) -> String {
        let m = &self.machine;
        format!(
            "{}, {} cores, kernel {}, server CPUs {} / client {}",
            m.cpu_model, m.cores, m.kernel, self.server_cpus, self.client_cpus
        )
    }

    /// What differs from `other`, one phrase per field (`kernel 6.1 vs 6.2`); empty when the
    /// two are comparable.
    pub fn differences(&self, other: &Self) -> Vec<String> {
        let mut out = Vec::new();
        let (a, b) = (&self.machine, &other.machine);
        if a.cpu_model != b.cpu_model {
            out.push(format!("CPU {} vs {}", a.cpu_model, b.cpu_model));
        }
        if a.cores != b.cores {
            out.push(format!("{} vs {} cores", a.cores, b.cores));
        }
        if a.kernel != b.kernel {
            out.push(format!("kernel {} vs {}", a.kernel, b.kernel));
        }
        if self.server_cpus != other.server_cpus || self.client_cpus != other.client_cpus {
            out.push(format!(
                "CPU split server {} / client {} vs server {} / client {}",
                self.server_cpus, self.client_cpus, other.server_cpus, other.client_cpus
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn machine() -> Fingerprint {
        Fingerprint {
            machine: Machine {
                cpu_model: "AMD EPYC 7B13".into(),
                cores: 2,
                kernel: "6.1.0".into(),
            },
            server_cpus: "0".into(),
            client_cpus: "1".into(),
        }
    }

    #[test]
    fn identical_machines_match_and_share_a_short_name() {
        let (a, b) = (machine(), machine());
        assert!(a.differences(&b).is_empty());
        assert_eq!(a.short(), b.short());
        assert_eq!(a.short().len(), 8);
    }

    #[test]
    fn each_differing_field_is_named_as_a_reason() {
        let a = machine();
        let mut b = machine();
        b.machine.kernel = "6.2.0".into();
        assert_eq!(a.differences(&b), ["kernel 6.1.0 vs 6.2.0"]);
        assert_ne!(a.short(), b.short());
        b.machine.cores = 4;
        b.server_cpus = "0-1".into();
        b.client_cpus = "2-3".into();
        let reasons = a.differences(&b);
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].contains("2 vs 4 cores"));
        assert!(reasons[2].contains("server 0 / client 1 vs server 0-1 / client 2-3"));
    }

    #[test]
    fn a_record_overrides_the_fallback_only_where_it_states_a_field() {
        let record = json!({
            "machine": {"cpu_model": "Intel Xeon", "cores": 8},
            "setup": {"server_cpus": "0-3"}
        });
        let fp = Fingerprint::of_record(&record, &machine());
        assert_eq!(fp.machine.cpu_model, "Intel Xeon");
        assert_eq!(fp.machine.cores, 8);
        assert_eq!(fp.machine.kernel, "6.1.0");
        assert_eq!(fp.server_cpus, "0-3");
        assert_eq!(fp.client_cpus, "1");
    }
}
