//! Process settings from the environment (spec/CONTRACT.md, "Process").
//! The actix and axum targets carry identical copies of this file.

use std::num::NonZeroUsize;

/// Listen backlog; the kernel clamps it to `net.core.somaxconn`.
pub const BACKLOG: u32 = 4096;

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
        let host = var("HOST")
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "127.0.0.1".to_owned());
        let port = match var("PORT") {
            None => return Err("PORT is not set (expected a TCP port, 1..=65535)".to_owned()),
            Some(raw) => match raw.trim().parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(format!("PORT={raw:?} is not a TCP port (1..=65535)")),
            },
        };
        let default = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let count = |name: &str| match var(name).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name}={raw:?} is not a positive integer")),
            },
        };
        Ok(Self {
            host,
            port,
            workers: count("WORKERS")?,
            offload_threads: count("OFFLOAD_THREADS")?,
        })
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
    fn missing_or_invalid_port_is_an_error() {
        assert!(config(&[]).is_err());
        for port in ["", "0", "65536", "http", "-1"] {
            assert!(config(&[("PORT", port)]).is_err(), "{port}");
        }
    }

    #[test]
    fn workers_and_offload_threads_must_be_positive() {
        let c = config(&[("PORT", "1"), ("WORKERS", "3"), ("OFFLOAD_THREADS", "5")])
            .expect("valid settings");
        assert_eq!((c.workers, c.offload_threads), (3, 5));
        assert!(config(&[("PORT", "1"), ("WORKERS", "0")]).is_err());
        assert!(config(&[("PORT", "1"), ("OFFLOAD_THREADS", "two")]).is_err());
    }
}
