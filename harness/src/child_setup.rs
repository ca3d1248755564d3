//! The one place with `unsafe`: settings applied in the child between fork and exec.
#![allow(unsafe_code)]

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::sched::sched_setaffinity;
use nix::sys::signal::Signal;
use nix::unistd::{Gid, Pid, Uid, getpid, getppid, setgid, setgroups, setuid};

use crate::cpus::CpuSet;

/// Makes the child get SIGKILL when the spawning thread dies (so a SIGKILLed harness leaves no
/// server behind) and pins it, and so every process and thread it creates, to `cpus`. With
/// `cgroup_procs` (a cgroup's `cgroup.procs` opened for writing) the child joins that cgroup
/// before exec, so not one of its threads or children runs outside it.
pub(crate) fn die_with_parent_on_cpus(
    command: &mut Command,
    cpus: &CpuSet,
    cgroup_procs: Option<File>,
) {
    die_with_parent_as(command, cpus, cgroup_procs, None);
}

/// A user and group to run a child as (PostgreSQL refuses to run as root).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Credentials {
    /// The user.
    pub(crate) uid: Uid,
    /// Its primary group, also its only group.
    pub(crate) gid: Gid,
}

/// [`die_with_parent_on_cpus`], and with `user` the child drops to that user and group (and no
/// supplementary groups) first. The order matters: the cgroup is joined while still privileged
/// (its folder belongs to root), and the parent-death signal is set after the credentials change,
/// because the kernel clears it on a change of credentials.
pub(crate) fn die_with_parent_as(
    command: &mut Command,
    cpus: &CpuSet,
    cgroup_procs: Option<File>,
    user: Option<Credentials>,
) {
    let affinity = cpus.to_nix().ok().filter(|_| !cpus.is_empty());
    let parent = getpid();
    // SAFETY: the closure runs in the forked child before exec. It only makes async-signal-safe
    // system calls (write, setgroups, setgid, setuid, prctl, getppid, sched_setaffinity) on
    // values prepared before the fork, and neither allocates nor takes locks. The forked child
    // has one thread, so the set*id calls change the whole process, as std's own `uid()` does.
    unsafe {
        command.pre_exec(move || {
            if let Some(procs) = &cgroup_procs {
                // "0" means the writing process. A failure leaves the child outside the group;
                // the parent checks membership after the spawn and falls back to /proc.
                let _ = nix::unistd::write(procs, b"0");
            }
            if let Some(user) = &user {
                setgroups(&[user.gid]).map_err(std::io::Error::from)?;
                setgid(user.gid).map_err(std::io::Error::from)?;
                setuid(user.uid).map_err(std::io::Error::from)?;
            }
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)?;
            // The parent may have died before prctl took effect: then no signal would come.
            if getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(nix::libc::ESRCH));
            }
            if let Some(set) = &affinity {
                sched_setaffinity(Pid::from_raw(0), set).map_err(std::io::Error::from)?;
            }
            Ok(())
        });
    }
}
