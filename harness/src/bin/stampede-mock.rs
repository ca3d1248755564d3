//! The mock target as a process of its own, obeying the contract's process rules: it listens on
//! `HOST:PORT` from the environment and exits cleanly on SIGTERM or SIGINT. `MOCK_DELAY_US`
//! delays every answer; `MOCK_LEAK_BYTES` keeps that many bytes per request, never freed. Tests use it where the server must be a real process: CPU time of
//! threads that exit mid-run, memory, the catalog path.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use nix::sys::signal::{SigSet, Signal};
use stampede_harness::mock::{MockBehavior, MockServer};

fn main() -> ExitCode {
    let host: IpAddr = match std::env::var("HOST").map(|h| h.parse()) {
        Ok(Ok(ip)) => ip,
        Ok(Err(_)) => {
            eprintln!("stampede-mock: HOST must be an IP address");
            return ExitCode::from(2);
        }
        Err(_) => IpAddr::from([127, 0, 0, 1]),
    };
    let Some(port) = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse::<u16>().ok())
    else {
        eprintln!("stampede-mock: PORT must be set to a port number");
        return ExitCode::from(2);
    };
    let delay = std::env::var("MOCK_DELAY_US")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_micros);
    // Blocked before any thread starts, so every thread inherits the mask and only the
    // sigwait below receives them.
    let mut signals = SigSet::empty();
    signals.add(Signal::SIGTERM);
    signals.add(Signal::SIGINT);
    if signals.thread_block().is_err() {
        eprintln!("stampede-mock: cannot block signals");
        return ExitCode::from(2);
    }
    let leak_bytes_per_request = std::env::var("MOCK_LEAK_BYTES")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let behavior = MockBehavior {
        server_name: std::env::var("MOCK_SERVER_NAME").unwrap_or_else(|_| "mock".into()),
        delay,
        leak_bytes_per_request,
        ..MockBehavior::default()
    };
    let server = match MockServer::start_on(SocketAddr::new(host, port), behavior) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("stampede-mock: cannot listen on {host}:{port}: {e}");
            return ExitCode::from(1);
        }
    };
    let _ = signals.wait();
    drop(server);
    ExitCode::SUCCESS
}
