//! Every catalog target reads HOST, PORT, WORKERS and OFFLOAD_THREADS (and, when it serves the
//! database routes, DB_POOL_SIZE) by the same rules
//! (spec/CONTRACT.md, "Process"): started with a bad value, each one exits with status 2 and
//! prints exactly `<target>: <the shared text>` on stderr.
//!
//! One trial per target; a missing toolchain is an ignored trial (see `common`).

mod common;

use std::io::Read;
use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use libtest_mimic::Arguments;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use stampede_harness::build::ensure_built;
use stampede_harness::catalog::Catalog;
use stampede_harness::process::free_port;

/// How long a target may take to refuse its environment.
const EXIT_DEADLINE: Duration = Duration::from_secs(10);
/// The exit status every target uses for a bad environment.
const EXIT_BAD_CONFIG: i32 = 2;

/// The variables the harness sets; each case starts from none of them.
const VARIABLES: [&str; 6] = [
    "HOST",
    "PORT",
    "WORKERS",
    "OFFLOAD_THREADS",
    "DATABASE_URL",
    "DB_POOL_SIZE",
];
/// A workload every target with database routes serves: [`DATABASE_CASES`] apply to those.
const DATABASE_WORKLOAD: &str = "db";

/// A bad environment (PORT is a free port where not given) and the text it must produce.
struct Case {
    env: &'static [(&'static str, &'static str)],
    message: &'static str,
}

const CASES: &[Case] = &[
    Case {
        env: &[("PORT", "")],
        message: "PORT is not set (expected a whole number from 1 to 65535)",
    },
    Case {
        env: &[("PORT", "0")],
        message: "PORT=\"0\" is not a whole number from 1 to 65535",
    },
    Case {
        env: &[("PORT", "65536")],
        message: "PORT=\"65536\" is not a whole number from 1 to 65535",
    },
    Case {
        env: &[("PORT", "http")],
        message: "PORT=\"http\" is not a whole number from 1 to 65535",
    },
    Case {
        env: &[("WORKERS", "0")],
        message: "WORKERS=\"0\" is not a whole number from 1 to 4096",
    },
    Case {
        env: &[("WORKERS", "+2")],
        message: "WORKERS=\"+2\" is not a whole number from 1 to 4096",
    },
    Case {
        env: &[("OFFLOAD_THREADS", "two")],
        message: "OFFLOAD_THREADS=\"two\" is not a whole number from 1 to 4096",
    },
    Case {
        env: &[("OFFLOAD_THREADS", "4097")],
        message: "OFFLOAD_THREADS=\"4097\" is not a whole number from 1 to 4096",
    },
];

/// `DB_POOL_SIZE`, refused like `WORKERS` by every target that serves the database routes.
const DATABASE_CASES: &[Case] = &[
    Case {
        env: &[("DB_POOL_SIZE", "0")],
        message: "DB_POOL_SIZE=\"0\" is not a whole number from 1 to 4096",
    },
    Case {
        env: &[("DB_POOL_SIZE", " 3")],
        message: "DB_POOL_SIZE=\" 3\" is not a whole number from 1 to 4096",
    },
];

fn main() {
    let args = Arguments::from_args();
    let catalog = Catalog::discover().expect("the workspace catalog loads");
    let check: common::Check = Arc::new(refuses_bad_environments);
    let trials = common::per_target(
        &catalog,
        "refuses_a_bad_environment_with_the_shared_text_and_status",
        &check,
    );
    libtest_mimic::run(&args, trials).exit();
}

fn refuses_bad_environments(catalog: &Catalog, name: &str) -> Result<(), String> {
    let target = catalog.target(name).map_err(|e| e.to_string())?;
    ensure_built(catalog, target).map_err(|e| e.to_string())?;
    let database = if target.serves(DATABASE_WORKLOAD) {
        DATABASE_CASES
    } else {
        &[]
    };
    let failures: Vec<String> = CASES
        .iter()
        .chain(database)
        .filter_map(|case| check_case(catalog, name, case).err())
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// Starts the target with `case`'s environment and checks its exit status and stderr.
fn check_case(catalog: &Catalog, name: &str, case: &Case) -> Result<(), String> {
    let target = catalog.target(name).map_err(|e| e.to_string())?;
    let port = free_port(Ipv4Addr::LOCALHOST).map_err(|e| e.to_string())?;
    let (mut command, argv) = catalog.start_command(target);
    command
        .envs(&target.env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0);
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    command.env("PORT", port.to_string());
    for (key, value) in case.env {
        command.env(key, value);
    }
    let setting = case
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = command
        .spawn()
        .map_err(|e| format!("`{name}` with {setting}: cannot start `{argv}`: {e}"))?;
    let deadline = Instant::now() + EXIT_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            }
            let _ = child.wait();
            return Err(format!(
                "`{name}` with {setting}: still running after {EXIT_DEADLINE:?}; it must refuse the value and exit with status {EXIT_BAD_CONFIG}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let want = format!("{name}: {}\n", case.message);
    if status.code() == Some(EXIT_BAD_CONFIG) && stderr == want {
        Ok(())
    } else {
        Err(format!(
            "`{name}` with {setting}: expected exit status {EXIT_BAD_CONFIG} and stderr {want:?}, got {status} and {stderr:?}"
        ))
    }
}
