//! Resource limits: thousands of connections need thousands of file descriptors, and more than
//! one loopback address pair has ports (net.ipv4.ip_local_port_range gives each source address
//! about 28,000). Checks say what to change when the system does not allow a run.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// File descriptors kept free beyond the connections: logs, the runtime, the server's own.
const SPARE_FDS: u64 = 1024;
/// Connections given to one source address: under the default range of ~28,000 ports, with
/// room for ports in TIME_WAIT from earlier runs.
pub const CONNECTIONS_PER_SOURCE: usize = 25_000;

static RAISED: Mutex<u64> = Mutex::new(0);

/// Why a number of connections cannot be opened here, with the fix.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The open-files limit is too low and cannot be raised by this process.
    #[error(
        "{connections} connections need {needed} open files, but the limit is {soft} (hard {hard}); raise it with `ulimit -n {needed}`{privileged}"
    )]
    OpenFiles {
        /// Connections asked for.
        connections: usize,
        /// Files needed.
        needed: u64,
        /// Soft limit now.
        soft: u64,
        /// Hard limit now.
        hard: u64,
        /// What a privileged user can do.
        privileged: String,
    },
    /// One source address cannot hold that many connections to a remote server.
    #[error(
        "{connections} connections to {addr} need more ports than one source address has ({ports}, net.ipv4.ip_local_port_range); use a loopback target (several 127.0.0.x sources are used automatically) or fewer connections"
    )]
    Ports {
        /// Connections asked for.
        connections: usize,
        /// The server.
        addr: SocketAddr,
        /// Ephemeral ports per source address.
        ports: usize,
    },
}

/// Raises this process's RLIMIT_NOFILE so it can hold at least `wanted` files: the soft limit
/// up to the hard one, and, when privileged, the hard limit up to `fs.nr_open`. Children
/// (servers spawned later) inherit it. Best effort: [`check_connections`] reports what is left.
pub fn raise_open_files_to(wanted: u64) {
    let Ok(mut raised) = RAISED.lock() else {
        return;
    };
    if *raised >= wanted {
        return;
    }
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let target = if wanted > hard {
            let ceiling = read_u64("/proc/sys/fs/nr_open").unwrap_or(hard);
            wanted.min(ceiling).max(hard)
        } else {
            hard
        };
        if soft < target && setrlimit(Resource::RLIMIT_NOFILE, target, target).is_err() {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
    *raised = wanted;
}

/// Raises the soft open-files limit to the hard one (the old behaviour, enough for 10,000).
pub fn raise_open_files() {
    raise_open_files_to(0);
}

/// The current soft limit on open files.
pub fn open_files_limit() -> u64 {
    getrlimit(Resource::RLIMIT_NOFILE).map_or(0, |(soft, _)| soft)
}

/// Raises the limits for `connections` to `addr` and returns the source addresses to spread
/// them over (empty: let the kernel choose), or what stops the run and how to fix it.
pub fn check_connections(connections: usize, addr: SocketAddr) -> Result<Vec<IpAddr>, LimitError> {
    let needed = connections as u64 + SPARE_FDS;
    raise_open_files_to(needed);
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or((0, 0));
    if soft < needed {
        let nr_open = read_u64("/proc/sys/fs/nr_open").unwrap_or(0);
        let privileged = if nr_open < needed {
            format!("; as root also `sysctl -w fs.nr_open={needed}` (now {nr_open})")
        } else {
            format!(" (as root, up to fs.nr_open = {nr_open})")
        };
        return Err(LimitError::OpenFiles {
            connections,
            needed,
            soft,
            hard,
            privileged,
        });
    }
    let ports = ephemeral_ports();
    let per_source = CONNECTIONS_PER_SOURCE.min(ports.saturating_sub(1000).max(1));
    if connections <= per_source {
        return Ok(Vec::new());
    }
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => {
            let sources = connections.div_ceil(per_source);
            Ok((0..sources)
                .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i as u8)))
                .collect())
        }
        _ => Err(LimitError::Ports {
            connections,
            addr,
            ports,
        }),
    }
}

/// Ports in net.ipv4.ip_local_port_range.
fn ephemeral_ports() -> usize {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut parts = text.split_whitespace().map(|p| p.parse::<usize>().ok());
            Some(parts.next()??.abs_diff(parts.next()??) + 1)
        })
        .unwrap_or(28_232)
}

fn read_u64(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_connections_to_loopback_spread_over_several_source_addresses() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert!(check_connections(100, addr).unwrap().is_empty());
        let per_source = CONNECTIONS_PER_SOURCE.min(ephemeral_ports() - 1000);
        // Needs no more files than this process may open: only the address plan is checked.
        if open_files_limit() > (3 * per_source) as u64 + SPARE_FDS {
            let sources = check_connections(3 * per_source, addr).unwrap();
            assert_eq!(sources.len(), 3);
            assert_eq!(sources[0], IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
        }
    }

    #[test]
    fn too_many_connections_to_a_remote_server_say_why_and_what_to_do() {
        let addr: SocketAddr = "10.0.0.2:80".parse().unwrap();
        let per_source = CONNECTIONS_PER_SOURCE.min(ephemeral_ports() - 1000);
        match check_connections(per_source + 1, addr) {
            Err(LimitError::Ports { ports, .. }) => assert!(ports > 1000),
            Err(LimitError::OpenFiles { needed, .. }) => assert!(needed > per_source as u64),
            Ok(sources) => panic!("expected an error, got {sources:?}"),
        }
    }
}
