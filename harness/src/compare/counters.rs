//! Whether hardware instruction counters (perf_event_open) could serve as a low-noise second
//! metric here. Most VMs expose no CPU PMU, so the check usually says no, in one line, and the
//! gate goes on with the duet alone; counting instructions is the Valgrind gate's job.

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

/// Core PMUs as sysfs names them (x86, hybrid x86, Arm).
const CORE_PMUS: [&str; 4] = ["cpu", "cpu_core", "cpu_atom", "armv8_pmuv3"];

/// What the check found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CounterCheck {
    /// Whether hardware instruction counters look usable.
    pub available: bool,
    /// One line for the report.
    pub line: String,
}

/// Checks this machine: a core PMU under /sys/bus/event_source/devices and a
/// `perf_event_paranoid` that lets this user count other processes.
pub fn check() -> CounterCheck {
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok());
    // /proc/self belongs to the effective user.
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    check_in(Path::new("/sys/bus/event_source/devices"), paranoid, root)
}

fn check_in(devices: &Path, paranoid: Option<i32>, root: bool) -> CounterCheck {
    let pmu = CORE_PMUS.iter().find(|name| devices.join(name).exists());
    let (available, why) = match (pmu, paranoid) {
        (None, _) => (
            false,
            format!("no CPU PMU under {} (usual in a VM)", devices.display()),
        ),
        (Some(_), None) => (false, "perf events are not supported by this kernel".into()),
        (Some(_), Some(level)) if level > 1 && !root => (
            false,
            format!(
                "kernel.perf_event_paranoid is {level}; counting another process needs 1 or less, or root"
            ),
        ),
        (Some(name), Some(level)) => (true, format!("PMU `{name}`, perf_event_paranoid {level}")),
    };
    let line = if available {
        format!(
            "Hardware instruction counters: available ({why}), not read by the duet; `--metric instructions` counts instructions under Valgrind."
        )
    } else {
        format!(
            "Hardware instruction counters: unavailable — {why}; the verdict rests on the duet alone."
        )
    };
    CounterCheck { available, line }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_pmu_is_unavailable_in_one_line_saying_why() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("software")).unwrap();
        let c = check_in(dir.path(), Some(2), true);
        assert!(!c.available);
        assert!(
            c.line.contains("no CPU PMU") && !c.line.contains('\n'),
            "{}",
            c.line
        );
    }

    #[test]
    fn a_pmu_needs_a_permissive_paranoid_level_or_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("cpu")).unwrap();
        assert!(!check_in(dir.path(), Some(2), false).available);
        assert!(check_in(dir.path(), Some(2), true).available);
        assert!(check_in(dir.path(), Some(1), false).available);
    }
}
