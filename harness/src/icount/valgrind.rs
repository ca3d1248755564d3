//! Valgrind itself: finding it, wrapping a server's command line in callgrind, and steering the
//! running tool through `vgdb` (the channel `callgrind_control` uses).
//!
//! Why callgrind and not cachegrind: a server's startup (~7M instructions for actix, ~700M for
//! Node) and its warm-up dwarf the measured phase, and Valgrind 3.19's cachegrind can only count
//! a whole process, so every repetition would need two full runs to difference. Callgrind starts
//! with instrumentation off (startup runs several times faster), then has its counters zeroed
//! and dumped at the phase boundaries while the server sits idle, so one process serves every
//! workload and the count holds the measured requests only.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::IcountError;
use super::counters::parse_dump_total;

/// The line shown when Valgrind is missing.
pub const INSTALL_HINT: &str =
    "install it with your package manager, e.g. `sudo apt-get install valgrind`";

/// How [`run_bounded`] reports a command that exited with status 1, before its stdout.
const VGDB_LIST_STATUS: &str = "exit status: 1; stdout: ";

/// How long `vgdb` may take for one command before the run is abandoned.
const VGDB_TIMEOUT: Duration = Duration::from_secs(60);

/// An installed Valgrind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Valgrind {
    /// `valgrind --version`, e.g. `valgrind-3.19.0`.
    pub version: String,
}

impl Valgrind {
    /// Finds `valgrind` and `vgdb` on PATH.
    pub fn detect() -> Result<Self, IcountError> {
        let missing = |what: &str| IcountError::ValgrindMissing {
            what: what.to_owned(),
        };
        let output = Command::new("valgrind")
            .arg("--version")
            .output()
            .map_err(|_| missing("valgrind not found on PATH"))?;
        if !output.status.success() {
            return Err(missing("`valgrind --version` failed"));
        }
        Command::new("vgdb")
            .arg("--help")
            .output()
            .map_err(|_| missing("vgdb (part of Valgrind) not found on PATH"))?;
        Ok(Self {
            version: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        })
    }
}

/// One counted server's Valgrind session: the folder holding its vgdb channel and its dumps.
#[derive(Debug)]
pub struct Callgrind {
    dir: PathBuf,
    /// Valgrind names its vgdb channel after the HOST variable it saw; vgdb must see the same.
    host: String,
}

impl Callgrind {
    /// A session whose files live in `dir` (created empty); `host` is the server's HOST.
    pub fn new(dir: PathBuf, host: Ipv4Addr) -> Result<Self, IcountError> {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|source| IcountError::Io {
            what: format!("creating {}", dir.display()),
            source,
        })?;
        Ok(Self {
            dir,
            host: host.to_string(),
        })
    }

    /// The server's argv run under callgrind: instrumentation off until told, every child
    /// process (a Node cluster's workers) traced too, Valgrind's own messages in a log file.
    pub fn wrap(&self, argv: &[String]) -> Vec<String> {
        let file = |name: &str| self.dir.join(name).to_string_lossy().into_owned();
        let mut wrapped = vec![
            "valgrind".to_owned(),
            "--tool=callgrind".to_owned(),
            "--instr-atstart=no".to_owned(),
            "--trace-children=yes".to_owned(),
            "--vgdb=yes".to_owned(),
            format!("--vgdb-prefix={}", file("vgdb")),
            format!("--callgrind-out-file={}", file("callgrind.out.%p")),
            format!("--log-file={}", file("valgrind.%p.log")),
        ];
        wrapped.extend(argv.iter().cloned());
        wrapped
    }

    /// Pids of the processes running under this session (a cluster has several).
    pub fn pids(&self) -> Result<Vec<u32>, IcountError> {
        // `vgdb -l` exits with 1 even when it lists processes: its output is the answer.
        let text = match self.vgdb(None, &["-l"]) {
            Ok(text) => text,
            Err(IcountError::Tool { why, .. }) if why.starts_with(VGDB_LIST_STATUS) => {
                why[VGDB_LIST_STATUS.len()..].to_owned()
            }
            Err(other) => return Err(other),
        };
        Ok(parse_vgdb_list(&text))
    }

    /// Switches `pid`'s instrumentation on (the first time this flushes Valgrind's code cache)
    /// and zeroes its counters, in one vgdb call.
    pub fn start_counting(&self, pid: u32) -> Result<(), IcountError> {
        self.vgdb(Some(pid), &["instrumentation", "on", "-c", "zero"])
            .map(drop)
    }

    /// Instructions counted in `pid` since the last zero or dump, from the per-thread counters
    /// of `status internal` (cheap: nothing is written), then zeroed when asked (one vgdb call
    /// for both: each call costs ~0.1 s). Threads that already exited are not listed, so this
    /// serves estimates; [`Callgrind::status_and_dump`] gives the exact figure.
    pub fn live_total(&self, pid: u32, then_zero: bool) -> Result<u64, IcountError> {
        let args: &[&str] = if then_zero {
            &["status", "internal", "-c", "zero"]
        } else {
            &["status", "internal"]
        };
        let text = self.vgdb(Some(pid), args)?;
        super::counters::parse_status_total(&text).ok_or_else(|| IcountError::Tool {
            what: format!("callgrind status of pid {pid}"),
            why: format!("no `events-N:` lines in {text:?}"),
        })
    }

    /// Reads `pid`'s per-thread status, then dumps its counters (which also zeroes them), in
    /// one vgdb call; returns the status text and the instructions in the dump: everything
    /// since the last zero or dump, threads that exited included.
    pub fn status_and_dump(&self, pid: u32) -> Result<(String, u64), IcountError> {
        let status = self.vgdb(Some(pid), &["status", "internal", "-c", "dump"])?;
        let path = self.latest_dump(pid)?;
        let text = std::fs::read_to_string(&path).map_err(|source| IcountError::Io {
            what: format!("reading {}", path.display()),
            source,
        })?;
        let total = parse_dump_total(&text).ok_or_else(|| IcountError::Tool {
            what: format!("callgrind dump {}", path.display()),
            why: "no `summary:` or `totals:` line".into(),
        })?;
        // Dumps can be large; only the total is kept.
        let _ = std::fs::remove_file(&path);
        Ok((status, total))
    }

    fn latest_dump(&self, pid: u32) -> Result<PathBuf, IcountError> {
        let prefix = format!("callgrind.out.{pid}.");
        let entries = std::fs::read_dir(&self.dir).map_err(|source| IcountError::Io {
            what: format!("listing {}", self.dir.display()),
            source,
        })?;
        entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let part: u64 = name.strip_prefix(&prefix)?.parse().ok()?;
                Some((part, e.path()))
            })
            .max_by_key(|(part, _)| *part)
            .map(|(_, path)| path)
            .ok_or_else(|| IcountError::Tool {
                what: format!("callgrind dump of pid {pid}"),
                why: format!("no {prefix}N file in {}", self.dir.display()),
            })
    }

    /// Valgrind's own log lines (its errors name what went wrong inside the tool).
    pub fn log_tail(&self) -> String {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return String::new();
        };
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("valgrind."))
            .map(|e| crate::text::file_tail(&e.path(), 40))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn vgdb(&self, pid: Option<u32>, args: &[&str]) -> Result<String, IcountError> {
        let mut command = Command::new("vgdb");
        command
            .arg(format!(
                "--vgdb-prefix={}",
                self.dir.join("vgdb").to_string_lossy()
            ))
            // An idle server sits in a system call: vgdb then wakes it with ptrace after this
            // long instead of waiting for it to run on its own.
            .arg("--max-invoke-ms=1")
            .env("HOST", &self.host);
        if let Some(pid) = pid {
            command.arg(format!("--pid={pid}"));
        }
        command.args(args);
        let what = format!("vgdb {}", args.join(" "));
        run_bounded(&mut command, VGDB_TIMEOUT).map_err(|why| IcountError::Tool { what, why })
    }

    /// The session's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Callgrind {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `command` to completion within `limit`; its stdout, or why it failed. The output is
/// read while the command runs (a full pipe would otherwise stall it).
fn run_bounded(command: &mut Command, limit: Duration) -> Result<String, String> {
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run it: {e}"))?;
    let pid = i32::try_from(child.id())
        .ok()
        .map(nix::unistd::Pid::from_raw);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(limit) {
        Ok(result) => result.map_err(|e| e.to_string())?,
        Err(_) => {
            // The waiting thread reaps it once killed.
            if let Some(pid) = pid {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            }
            return Err(format!("no answer within {limit:?}"));
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    match output.status.code() {
        Some(0) => Ok(stdout),
        Some(1) if !stdout.is_empty() => Err(format!("{VGDB_LIST_STATUS}{stdout}")),
        _ => Err(format!(
            "{}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}

/// Pids from `vgdb -l` lines such as `use --pid=8346 for /usr/bin/valgrind.bin ...`.
pub fn parse_vgdb_list(text: &str) -> Vec<u32> {
    let mut pids: Vec<u32> = text
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("use --pid=")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// The settings a counted run adds, for its record: the catalog's `icount.env`, `args` and
/// uncounted threads.
pub fn settings_label(
    env: &BTreeMap<String, String>,
    args: &[String],
    uncounted: &[String],
) -> String {
    let mut parts: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.extend(args.iter().cloned());
    if !uncounted.is_empty() {
        parts.push(format!("(threads in {} not counted)", uncounted.join(", ")));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vgdb_listings_give_every_pid_once_in_order() {
        let text = "use --pid=8346 for /usr/bin/valgrind.bin --tool=callgrind node a.js\n\
                    use --pid=812 for /usr/bin/valgrind.bin --tool=callgrind node a.js\n\
                    some other line\nuse --pid=812 for x\n";
        assert_eq!(parse_vgdb_list(text), [812, 8346]);
        assert!(parse_vgdb_list("").is_empty());
    }

    #[test]
    fn the_wrapper_counts_children_and_keeps_the_servers_argv_last() {
        let dir = std::env::temp_dir().join(format!("stampede-wrap-{}", std::process::id()));
        let session = Callgrind::new(dir.clone(), Ipv4Addr::LOCALHOST).unwrap();
        let argv = session.wrap(&["node".to_owned(), "server.js".to_owned()]);
        assert_eq!(argv[0], "valgrind");
        assert!(argv.contains(&"--tool=callgrind".to_owned()));
        assert!(argv.contains(&"--instr-atstart=no".to_owned()));
        assert!(argv.contains(&"--trace-children=yes".to_owned()));
        assert!(
            argv.iter()
                .any(|a| a.starts_with("--vgdb-prefix=") && a.contains(&*dir.to_string_lossy()))
        );
        assert_eq!(&argv[argv.len() - 2..], ["node", "server.js"]);
        drop(session);
        assert!(!dir.exists(), "the session folder is removed with it");
    }

    #[test]
    fn settings_read_as_environment_then_arguments_then_uncounted_threads() {
        let env = BTreeMap::from([("GOGC".to_owned(), "off".to_owned())]);
        assert_eq!(
            settings_label(&env, &["--predictable".to_owned()], &[]),
            "GOGC=off --predictable"
        );
        assert_eq!(
            settings_label(&env, &[], &["runtime.sysmon".to_owned()]),
            "GOGC=off (threads in runtime.sysmon not counted)"
        );
    }
}
