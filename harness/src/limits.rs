//! Resource limits: thousands of connections need thousands of file descriptors.

use std::sync::Once;

use nix::sys::resource::{Resource, getrlimit, setrlimit};

static RAISED: Once = Once::new();

/// Raises this process's soft RLIMIT_NOFILE to its hard limit, once. Children inherit it.
/// Failure is ignored: the limit then stays as it was and connection errors will say so.
pub fn raise_open_files() {
    RAISED.call_once(|| {
        if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
            && soft < hard
        {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    });
}

/// The current soft limit on open files.
pub fn open_files_limit() -> u64 {
    getrlimit(Resource::RLIMIT_NOFILE).map_or(0, |(soft, _)| soft)
}
