//! Process settings from the environment (spec/CONTRACT.md, "Process"). The Go targets
//! (go-targets/internal/contract/config.go) and the Node targets (node-targets/config.js) apply
//! the same rules with the same error texts; harness/tests/config.rs checks all of them.

use std::num::NonZeroUsize;

/// Listen backlog; the kernel clamps it to `net.core.somaxconn`.
pub const BACKLOG: u32 = 4096;
/// Exit status of a target started with a bad environment.
pub const EXIT_BAD_CONFIG: u8 = 2;
/// Upper bound of `WORKERS` and `OFFLOAD_THREADS`.
pub const MAX_COUNT: u64 = 4096;

/// Where to listen and how many threads to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// `HOST`, default `127.0.0.1`.
    pub host: String,
    /// `PORT`, required.
    pub port: u16,
    /// `WORKERS`, default: available parallelism.
    pub workers: usize,
    /// `OFFLOAD_THREADS`, default: available parallelism.
    pub offload_threads: usize,
}

impl Config {
    /// Reads `HOST`, `PORT`, `WORKERS` and `OFFLOAD_THREADS`; the error says which one is wrong.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let host = set("HOST").unwrap_or_else(|| "127.0.0.1".to_owned());
        let port = match set("PORT") {
            None => {
                return Err("PORT is not set (expected a whole number from 1 to 65535)".to_owned());
            }
            Some(raw) => whole_number(&raw, u64::from(u16::MAX))
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| format!("PORT={raw:?} is not a whole number from 1 to 65535"))?,
        };
        // The CPUs this process may run on (its affinity mask), as Go's NumCPU and Node's
        // availableParallelism count them.
        let default = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let count = |name: &str| match set(name) {
            None => Ok(default),
            Some(raw) => whole_number(&raw, MAX_COUNT).ok_or_else(|| {
                format!("{name}={raw:?} is not a whole number from 1 to {MAX_COUNT}")
            }),
        };
        Ok(Self {
            host,
            port,
            workers: count("WORKERS")?,
            offload_threads: count("OFFLOAD_THREADS")?,
        })
    }
}

/// ASCII digits only (no sign, space or fraction) with a value in `1..=max`.
fn whole_number(raw: &str, max: u64) -> Option<usize> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = raw.parse().ok()?;
    if (1..=max).contains(&n) {
        usize::try_from(n).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn port_alone_gives_loopback_and_defaults() {
        let c = config(&[("PORT", "8080")]).expect("PORT is enough");
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 8080));
        assert!(c.workers >= 1 && c.offload_threads >= 1);
    }

    #[test]
    fn empty_values_mean_the_defaults() {
        let c = config(&[("PORT", "1"), ("HOST", ""), ("WORKERS", "")]).expect("valid");
        assert_eq!(c.host, "127.0.0.1");
        assert!(c.workers >= 1);
    }

    #[test]
    fn a_missing_or_invalid_port_gets_the_shared_text() {
        let unset = "PORT is not set (expected a whole number from 1 to 65535)";
        assert_eq!(config(&[]).unwrap_err(), unset);
        assert_eq!(config(&[("PORT", "")]).unwrap_err(), unset);
        for port in [
            "0",
            "65536",
            "http",
            "-1",
            "+80",
            " 80",
            "99999999999999999999999",
        ] {
            assert_eq!(
                config(&[("PORT", port)]).unwrap_err(),
                format!("PORT=\"{port}\" is not a whole number from 1 to 65535")
            );
        }
    }

    #[test]
    fn workers_and_offload_threads_are_whole_numbers_up_to_4096() {
        let c = config(&[("PORT", "1"), ("WORKERS", "3"), ("OFFLOAD_THREADS", "4096")])
            .expect("valid settings");
        assert_eq!((c.workers, c.offload_threads), (3, 4096));
        for (name, value) in [
            ("WORKERS", "0"),
            ("WORKERS", "4097"),
            ("OFFLOAD_THREADS", "two"),
            ("OFFLOAD_THREADS", "1.5"),
        ] {
            assert_eq!(
                config(&[("PORT", "1"), (name, value)]).unwrap_err(),
                format!("{name}=\"{value}\" is not a whole number from 1 to 4096")
            );
        }
    }
}
