//! Which user the cluster runs as. PostgreSQL refuses to run as root, so a root harness runs
//! `initdb` and `postgres` as the unprivileged `postgres` user that the package creates (the
//! credentials are dropped in the forked child, see `child_setup`), and hands it the cluster's
//! folder. Anyone else runs it as themselves.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::unistd::{Gid, Uid, User};

use super::DatabaseError;
use crate::child_setup::Credentials;

/// The user a root harness runs PostgreSQL as.
pub const SERVICE_USER: &str = "postgres";

/// Who runs the cluster's processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunAs {
    /// The harness's own user (not root).
    Current,
    /// Another, unprivileged user, because the harness is root.
    User {
        /// Its name.
        name: String,
        /// Its id.
        uid: u32,
        /// Its primary group.
        gid: u32,
    },
}

impl RunAs {
    /// `Current` unless the harness is root; then the `postgres` user, which must exist.
    pub fn decide() -> Result<Self, DatabaseError> {
        if !Uid::effective().is_root() {
            return Ok(Self::Current);
        }
        let user = User::from_name(SERVICE_USER)
            .ok()
            .flatten()
            .ok_or(DatabaseError::NoServiceUser)?;
        Ok(Self::User {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        })
    }

    /// The credentials to drop to in the child, if any.
    pub(crate) fn credentials(&self) -> Option<Credentials> {
        match self {
            Self::Current => None,
            Self::User { uid, gid, .. } => Some(Credentials {
                uid: Uid::from_raw(*uid),
                gid: Gid::from_raw(*gid),
            }),
        }
    }

    /// The uid the cluster's processes have.
    pub fn uid(&self) -> u32 {
        match self {
            Self::Current => Uid::effective().as_raw(),
            Self::User { uid, .. } => *uid,
        }
    }

    /// Makes `path` belong to the cluster's user (nothing to do for `Current`).
    pub fn give(&self, path: &Path) -> Result<(), DatabaseError> {
        let Self::User { uid, gid, .. } = self else {
            return Ok(());
        };
        std::os::unix::fs::chown(path, Some(*uid), Some(*gid)).map_err(|source| {
            DatabaseError::Setup {
                what: "handing the folder to the postgres user",
                path: path.to_path_buf(),
                cause: source,
            }
        })
    }

    /// `Err` naming the first folder above `path` the cluster's user cannot pass through (no
    /// search permission for it as owner, group or other), so it could not reach its data.
    pub fn check_reachable(&self, path: &Path) -> Result<(), DatabaseError> {
        let Self::User { name, uid, gid } = self else {
            return Ok(());
        };
        for folder in path.ancestors().skip(1) {
            let Ok(meta) = std::fs::metadata(folder) else {
                continue;
            };
            let search_bit = if meta.uid() == *uid {
                0o100
            } else if meta.gid() == *gid {
                0o010
            } else {
                0o001
            };
            if meta.mode() & search_bit == 0 {
                return Err(DatabaseError::Unreachable {
                    user: name.clone(),
                    folder: folder.to_path_buf(),
                });
            }
        }
        Ok(())
    }

    /// The one line a root harness prints, or `None`.
    pub fn notice(&self, folder: &Path) -> Option<String> {
        match self {
            Self::Current => None,
            Self::User { name, uid, .. } => Some(format!(
                "PostgreSQL refuses to run as root: running it as user `{name}` (uid {uid}), which owns {}",
                folder.display()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_folder_without_search_permission_for_the_user_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let closed = dir.path().join("closed");
        let inner = closed.join("run");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
        let stranger = RunAs::User {
            name: "nobody-here".into(),
            uid: 65_000,
            gid: 65_000,
        };
        let err = stranger.check_reachable(&inner.join("data")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("nobody-here") && text.contains(&closed.display().to_string()),
            "{text}"
        );
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o711)).unwrap();
        stranger.check_reachable(&inner.join("data")).unwrap();
    }

    #[test]
    fn the_harness_own_user_needs_no_folder_handed_over() {
        assert_eq!(RunAs::Current.credentials(), None);
        assert_eq!(RunAs::Current.notice(Path::new("/x")), None);
        assert_eq!(RunAs::Current.uid(), Uid::effective().as_raw());
    }
}
