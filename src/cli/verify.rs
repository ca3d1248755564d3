//! `stampede verify [TARGET..]`: a line per target, `ok` or what failed.

use std::process::ExitCode;

use stampede_harness::catalog::Catalog;
use stampede_harness::cpus::CpuSplit;
use stampede_harness::process::ServerConfig;
use stampede_harness::session::{load_spec, start_verified};

pub(crate) fn run(names: &[String]) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::discover()?;
    let vectors = load_spec(&catalog)?;
    let names = if names.is_empty() {
        catalog.names()
    } else {
        names.to_vec()
    };
    let config = ServerConfig::for_cpus(CpuSplit::resolve(None, None)?.server);
    let mut failed = false;
    for name in &names {
        match start_verified(&catalog, name, &config, vectors.clone()) {
            Ok(verified) => {
                let served = match &verified.target.workloads {
                    None => String::new(),
                    Some(served) => format!(
                        " of {}: {} and the rules every answer obeys",
                        vectors.len(),
                        served.join(", ")
                    ),
                };
                println!("{name}: ok ({} vectors{served})", verified.verified_vectors);
                verified.server.stop();
            }
            Err(err) if err.is_skip() => println!("{err}"),
            Err(err) => {
                failed = true;
                println!("{name}: FAILED\n{err}");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
