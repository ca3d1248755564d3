//! The base side of a comparison: a git worktree of the base commit under
//! `target/stampede/worktrees/<commit>`, reused while it exists.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Errors preparing a version to compare.
#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    /// git could not be run.
    #[error("cannot run git in {dir}: {source}")]
    Git {
        /// Where.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// git refused.
    #[error("`git {args}` failed in {dir}: {stderr}")]
    Failed {
        /// The arguments.
        args: String,
        /// Where.
        dir: PathBuf,
        /// What git said.
        stderr: String,
    },
}

fn git(dir: &Path, args: &[&str]) -> Result<String, WorktreeError> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|source| WorktreeError::Git {
            dir: dir.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        return Err(WorktreeError::Failed {
            args: args.join(" "),
            dir: dir.to_path_buf(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The full commit id `reference` names in the repository at `root`.
pub fn resolve_commit(root: &Path, reference: &str) -> Result<String, WorktreeError> {
    git(
        root,
        &["rev-parse", "--verify", &format!("{reference}^{{commit}}")],
    )
}

/// A checkout of `commit` under `root/target/stampede/worktrees/`, created if missing.
pub fn checkout(root: &Path, commit: &str) -> Result<PathBuf, WorktreeError> {
    let dir = root
        .join("target")
        .join("stampede")
        .join("worktrees")
        .join(commit);
    if dir.join(".git").exists() && git(&dir, &["rev-parse", "HEAD"]).is_ok_and(|h| h == commit) {
        return Ok(dir);
    }
    // A half-made or foreign folder is removed; git forgets worktrees whose folder is gone.
    if dir.exists() {
        let _ = git(
            root,
            &["worktree", "remove", "--force", &dir.to_string_lossy()],
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = git(root, &["worktree", "prune"]);
    git(
        root,
        &[
            "worktree",
            "add",
            "--detach",
            "--force",
            &dir.to_string_lossy(),
            commit,
        ],
    )?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| git(dir.path(), args).unwrap();
        run(&["init", "-q"]);
        run(&["config", "user.email", "t@example.com"]);
        run(&["config", "user.name", "t"]);
        std::fs::write(dir.path().join("f"), "one").unwrap();
        run(&["add", "f"]);
        run(&["commit", "-qm", "one"]);
        dir
    }

    #[test]
    fn a_base_commit_is_checked_out_once_and_then_reused() {
        let repo = repo();
        let commit = resolve_commit(repo.path(), "HEAD").unwrap();
        std::fs::write(repo.path().join("f"), "changed in the working tree").unwrap();
        let dir = checkout(repo.path(), &commit).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "one");
        std::fs::write(dir.join("marker"), "kept").unwrap();
        let again = checkout(repo.path(), &commit).unwrap();
        assert_eq!(again, dir);
        assert!(again.join("marker").exists());
    }

    #[test]
    fn an_unknown_reference_is_an_error_naming_it() {
        let repo = repo();
        let err = resolve_commit(repo.path(), "no-such-branch")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no-such-branch"), "{err}");
    }
}
