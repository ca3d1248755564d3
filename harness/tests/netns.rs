//! A target running inside a network namespace, reached over a veth pair, is started, verified
//! and loaded across the veth — the same path a server on another host takes. The test makes
//! its own namespace and removes it. Where namespaces cannot be made (no `ip`, not root) or no
//! target's toolchain is installed it is reported as ignored with the reason; with
//! STAMPEDE_REQUIRE_TOOLS=1 (CI) it fails instead.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::net::Ipv4Addr;
use std::process::Command;

use stampede_harness::catalog::{Availability, Catalog, Target};
use stampede_harness::cpus::CpuSet;
use stampede_harness::load::{LoadClient, LoadPlan, RequestTemplate};
use stampede_harness::process::{RunningServer, ServerConfig};
use stampede_harness::run_needing;
use stampede_harness::session::load_spec;
use stampede_harness::verify::verify;

/// A namespace with a veth pair: host side 10.231.N.1, namespace side 10.231.N.2.
struct TestHost {
    name: String,
    host_if: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl TestHost {
    fn create(subnet: u8) -> Result<Self, String> {
        let id = std::process::id();
        let host = Self {
            name: format!("stampede-t{id}"),
            host_if: format!("stv{id}h"),
        };
        let ns_if = format!("stv{id}n");
        ip(&["netns", "add", &host.name])?;
        let (host_addr, ns_addr) = (
            format!("10.231.{subnet}.1/24"),
            format!("10.231.{subnet}.2/24"),
        );
        let setup = || -> Result<(), String> {
            ip(&[
                "link",
                "add",
                &host.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &ns_if,
            ])?;
            ip(&["link", "set", &ns_if, "netns", &host.name])?;
            ip(&["addr", "add", &host_addr, "dev", &host.host_if])?;
            ip(&["link", "set", &host.host_if, "up"])?;
            ip(&["-n", &host.name, "addr", "add", &ns_addr, "dev", &ns_if])?;
            ip(&["-n", &host.name, "link", "set", &ns_if, "up"])?;
            ip(&["-n", &host.name, "link", "set", "lo", "up"])
        };
        // On failure `host` is dropped here, which removes what was made.
        setup().map(|()| host)
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        let _ = ip(&["link", "del", &self.host_if]);
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// The subnet of this process's namespace: 10.231.N.0/24.
fn subnet() -> u8 {
    u8::try_from(std::process::id() % 200 + 20).unwrap()
}

/// The first of these targets whose toolchain is installed.
fn installed_target(catalog: &Catalog) -> Option<&Target> {
    ["node", "nethttp", "actix"]
        .iter()
        .filter_map(|n| catalog.target(n).ok())
        .find(|t| matches!(catalog.availability(t), Availability::Available { .. }))
}

fn main() {
    let catalog = Catalog::discover().unwrap();
    let missing = if installed_target(&catalog).is_none() {
        Some("no target with an installed toolchain (install Node.js, Go or Rust)".to_owned())
    } else {
        // A namespace made and removed at once: can this machine make one?
        TestHost::create(subnet()).err().map(|why| {
            format!("cannot make a network namespace here ({why}; needs root and iproute2: apt-get install iproute2)")
        })
    };
    run_needing!(missing; a_target_in_a_network_namespace_is_verified_and_loaded_across_a_veth_pair);
}

fn a_target_in_a_network_namespace_is_verified_and_loaded_across_a_veth_pair() {
    let catalog = Catalog::discover().unwrap();
    let target = installed_target(&catalog).unwrap();
    let subnet = subnet();
    let host = TestHost::create(subnet).unwrap();
    stampede_harness::build::ensure_built(&catalog, target).unwrap();
    // The same target, started inside the namespace, listening on the namespace's address.
    let mut inside = target.clone();
    inside.start = ["ip", "netns", "exec", &host.name]
        .iter()
        .map(|s| (*s).to_owned())
        .chain(target.start.iter().cloned())
        .collect();
    let mut config = ServerConfig::for_cpus(CpuSet::allowed().unwrap());
    config.host = Ipv4Addr::new(10, 231, subnet, 2);
    let server = RunningServer::start(&catalog, &inside, &config).unwrap();
    assert_eq!(server.addr().ip(), config.host);
    verify(
        &target.name,
        &server.base_url(),
        &load_spec(&catalog).unwrap(),
    )
    .unwrap();
    let mix = vec![RequestTemplate::get(server.addr(), "/plaintext")];
    let mut client =
        LoadClient::connect(server.addr(), 8, &CpuSet::allowed().unwrap(), mix).unwrap();
    let sample = client.run(&LoadPlan::requests(2_000)).unwrap();
    assert_eq!((sample.requests, sample.errors()), (2_000, 0));
    drop(client);
    server.stop();
    drop(host);
}
