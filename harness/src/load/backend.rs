//! Which system interface the load client's sockets go through: tokio's epoll reactor (one
//! read and one write call per request, plus an epoll round), or io_uring (the sends and
//! receives of every ready connection of a client thread queued and submitted in one call).
//! The choice is the client's, made once when it connects, and every record says which one ran.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The I/O path a run's requests went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IoBackend {
    /// tokio's epoll reactor: a task per connection, a read and a write call per request.
    Epoll,
    /// io_uring: one ring per client thread; the sends and receives of all its ready
    /// connections go to the kernel in one submission per batch.
    Uring,
}

impl IoBackend {
    /// The backend's name in reports and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Epoll => "epoll",
            Self::Uring => "uring",
        }
    }
}

impl std::fmt::Display for IoBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the user asked for: a backend, or the fastest one this kernel allows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IoChoice {
    /// io_uring when the kernel allows it, epoll otherwise.
    #[default]
    Auto,
    /// epoll, always.
    Epoll,
    /// io_uring, or an error that says why it is unavailable.
    Uring,
}

impl std::str::FromStr for IoChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "auto" => Ok(Self::Auto),
            "epoll" => Ok(Self::Epoll),
            "uring" | "io_uring" | "io-uring" => Ok(Self::Uring),
            other => Err(format!(
                "unknown I/O backend {other:?}: use epoll, uring or auto"
            )),
        }
    }
}

impl IoChoice {
    /// The choice named by `STAMPEDE_IO` (epoll, uring or auto), else `Auto`: how benches and
    /// tests that do not take options pick a backend.
    pub fn from_env() -> Result<Self, String> {
        std::env::var("STAMPEDE_IO").map_or(Ok(Self::Auto), |text| {
            text.parse().map_err(|e| format!("STAMPEDE_IO: {e}"))
        })
    }

    /// The backend this choice means on this machine; an explicit `Uring` that the kernel
    /// refuses is an error whose text says why and what to change.
    pub fn resolve(self) -> Result<IoBackend, String> {
        match self {
            Self::Epoll => Ok(IoBackend::Epoll),
            Self::Auto => Ok(match super::uring::available() {
                Ok(()) => IoBackend::Uring,
                Err(_) => IoBackend::Epoll,
            }),
            Self::Uring => super::uring::available()
                .map(|()| IoBackend::Uring)
                .map_err(|why| {
                    format!(
                        "io_uring is not available ({why}); load with --io epoll, or allow it \
                     with `sysctl kernel.io_uring_disabled=0`"
                    )
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_by_name_and_unknown_names_say_what_is_allowed() {
        assert_eq!("epoll".parse(), Ok(IoChoice::Epoll));
        assert_eq!("io_uring".parse(), Ok(IoChoice::Uring));
        assert_eq!("auto".parse(), Ok(IoChoice::Auto));
        let err = "kqueue".parse::<IoChoice>().unwrap_err();
        assert!(err.contains("epoll, uring or auto"), "{err}");
    }

    #[test]
    fn epoll_is_always_available_and_auto_picks_uring_exactly_when_it_works() {
        assert_eq!(IoChoice::Epoll.resolve(), Ok(IoBackend::Epoll));
        let auto = IoChoice::Auto.resolve().unwrap();
        match super::super::uring::available() {
            Ok(()) => assert_eq!(auto, IoBackend::Uring),
            Err(why) => {
                assert_eq!(auto, IoBackend::Epoll);
                assert!(IoChoice::Uring.resolve().unwrap_err().contains(&why));
            }
        }
    }
}
