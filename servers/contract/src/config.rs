//! Process settings from the environment (spec/CONTRACT.md, "Process" and "Database
//! endpoints"). The Go targets
//! (go-targets/internal/contract/config.go) and the Node targets (node-targets/config.js) apply
//! the same rules with the same error texts; harness/tests/config.rs checks all of them.

use std::num::NonZeroUsize;

/// Listen backlog; the kernel clamps it to `net.core.somaxconn`.
pub const BACKLOG: u32 = 4096;
/// Exit status of a target started with a bad environment.
pub const EXIT_BAD_CONFIG: u8 = 2;
/// Upper bound of `WORKERS`, `OFFLOAD_THREADS` and `DB_POOL_SIZE`.
pub const MAX_COUNT: u64 = 4096;
/// `DB_POOL_SIZE` when unset or empty: the same for every target, so no runtime wins by
/// opening more connections.
pub const DEFAULT_DB_POOL_SIZE: usize = 16;

/// Where to listen, how many threads to run and which database to use.
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
    /// `DATABASE_URL`; `None` when unset or empty (the database routes then answer 503). Not
    /// checked here: a bad URL is not a start-up failure, its requests answer 500.
    pub database_url: Option<String>,
    /// `DB_POOL_SIZE`: the server's database connections in total, default
    /// [`DEFAULT_DB_POOL_SIZE`].
    pub db_pool_size: usize,
}

impl Config {
    /// Reads `HOST`, `PORT`, `WORKERS`, `OFFLOAD_THREADS`, `DATABASE_URL` and `DB_POOL_SIZE`;
    /// the error says which one is wrong.
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
        let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let count = |name: &str, default: usize| match set(name) {
            None => Ok(default),
            Some(raw) => whole_number(&raw, MAX_COUNT).ok_or_else(|| {
                format!("{name}={raw:?} is not a whole number from 1 to {MAX_COUNT}")
            }),
        };
        Ok(Self {
            host,
            port,
            workers: count("WORKERS", cpus)?,
            offload_threads: count("OFFLOAD_THREADS", cpus)?,
            database_url: set("DATABASE_URL"),
            db_pool_size: count("DB_POOL_SIZE", DEFAULT_DB_POOL_SIZE)?,
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

    #[test]
    fn the_database_is_unset_and_its_pool_holds_16_connections_by_default() {
        let c = config(&[("PORT", "1"), ("DATABASE_URL", ""), ("DB_POOL_SIZE", "")])
            .expect("empty values are the defaults");
        assert_eq!((c.database_url, c.db_pool_size), (None, 16));
    }

    #[test]
    fn the_database_url_is_taken_as_given_and_the_pool_size_up_to_4096() {
        let url = "postgres://u:p@127.0.0.1:5432/hello_world";
        let c = config(&[
            ("PORT", "1"),
            ("DATABASE_URL", url),
            ("DB_POOL_SIZE", "4096"),
        ])
        .expect("valid settings");
        assert_eq!(
            (c.database_url.as_deref(), c.db_pool_size),
            (Some(url), 4096)
        );
    }

    #[test]
    fn a_bad_pool_size_is_refused_like_workers() {
        for value in ["0", "4097", "-4", "sixteen", " 16"] {
            assert_eq!(
                config(&[("PORT", "1"), ("DB_POOL_SIZE", value)]).unwrap_err(),
                format!("DB_POOL_SIZE=\"{value}\" is not a whole number from 1 to 4096")
            );
        }
    }
}
