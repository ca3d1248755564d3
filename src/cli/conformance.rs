//! `stampede conformance [TARGET..] [--url URL..]`: plays the RFC 9110/9112 probe table
//! (spec/rfc-probes.json) against targets (all catalog targets by default) or running servers,
//! prints pass / lenient / fail per RFC level and every failure with its section, and writes
//! one JSON record per target under target/stampede/conformance/. Exit status 1 when a probe
//! that tests a target's own code fails; the frameworks' failures are reported, not fatal.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSplit;
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{Verify, load_spec, prepare};
use stampede_harness::strictness::record::{StrictnessRecord, records_dir, text_table};
use stampede_harness::strictness::run::record_target;
use stampede_harness::strictness::{Probe, load_probes};
use stampede_harness::vectors::spec_dir;

#[derive(Debug, Args)]
pub(crate) struct ConformanceArgs {
    /// Catalog targets to build, start and probe (default: all, unless --url is given).
    targets: Vec<String>,
    /// A running server to probe instead (http://HOST:PORT; repeatable). Its answers are
    /// scored, but whose code decides them is unknown: owners are shown as the table has them.
    #[arg(long)]
    url: Vec<String>,
    /// Where the JSON records go [default: target/stampede/conformance].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &ConformanceArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::discover()?;
    let probes = load_probes(&spec_dir(catalog.root()))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| records_dir(&catalog.work_dir()));
    let mut records = Vec::new();
    let mut failed = false;
    for url in &args.url {
        let addr = url_addr(url)?;
        let name = addr.to_string();
        records.push(record_target(
            &name,
            "unknown",
            catalog.root(),
            addr,
            &probes,
        ));
    }
    let names = match (args.targets.is_empty(), args.url.is_empty()) {
        (true, true) => catalog.names(),
        _ => args.targets.clone(),
    };
    for name in &names {
        match probe_catalog_target(&catalog, name, &probes) {
            Ok(record) => records.push(record),
            Err(err) => {
                let skip = err
                    .downcast_ref::<stampede_harness::session::SessionError>()
                    .is_some_and(stampede_harness::session::SessionError::is_skip);
                failed |= !skip;
                println!("{err:#}");
            }
        }
    }
    for record in &records {
        let path = record.write_to(&out).with_context(|| {
            format!(
                "cannot write the record of {} into {}",
                record.target,
                out.display()
            )
        })?;
        eprintln!("wrote {}", path.display());
    }
    print!("{}", text_table(&records));
    println!(
        "\nCounts of {} probes (spec/rfc-probes.json); \"ours\" counts failures of a target's own \
         code, which fail this command.",
        probes.len()
    );
    failed |= records
        .iter()
        .any(|r| r.own_failures() > 0 || r.stopped.is_some());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Builds and starts `name` (checked for readiness, not against the vectors) and probes it.
fn probe_catalog_target(
    catalog: &Catalog,
    name: &str,
    probes: &[Probe],
) -> anyhow::Result<StrictnessRecord> {
    let config = ServerConfig::for_cpus(CpuSplit::resolve(None, None)?.server);
    let prepared = prepare(catalog, name)?;
    let started = prepared.start(catalog, &config, load_spec(catalog)?, Verify::ReadyOnly)?;
    let record = record_target(
        name,
        &started.framework,
        catalog.root(),
        started.server.addr(),
        probes,
    );
    started.server.stop();
    Ok(record)
}

/// `http://HOST:PORT[/...]` -> the first address it resolves to (plain HTTP only: the probes
/// are raw HTTP/1.1 bytes).
fn url_addr(url: &str) -> anyhow::Result<SocketAddr> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("--url {url}: give a plain http:// URL (the probes are raw HTTP/1.1, not TLS)");
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    authority
        .to_socket_addrs()
        .with_context(|| format!("--url {url}: cannot resolve {authority}"))?
        .next()
        .with_context(|| format!("--url {url}: {authority} has no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gives_its_address_and_port_80_when_none_is_named() {
        assert_eq!(
            url_addr("http://127.0.0.1:8080/plaintext").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(url_addr("http://127.0.0.1").unwrap().port(), 80);
        let err = url_addr("https://127.0.0.1:8443").unwrap_err();
        assert!(err.to_string().contains("plain http://"), "{err}");
    }
}
