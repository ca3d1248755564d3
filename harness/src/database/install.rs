//! Finding the system's PostgreSQL: the folder holding `initdb`, `postgres` and `psql` of one
//! installation, version 15 or newer.
//!
//! `PATH` first (a symlink such as `/usr/local/bin/initdb` is followed to its real folder, so the
//! three programs come from the same installation), then Debian's `/usr/lib/postgresql/<major>/bin`,
//! newest first: Debian's package puts only client wrappers on `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::DatabaseError;

/// The oldest major version the harness runs: 15 has `pg_stat_statements` 1.10 and the
/// `pg_read_all_stats` role as used here, and is what Debian 12 ships.
pub const MIN_MAJOR: u32 = 15;
/// Debian's folder of versioned installations.
pub const DEBIAN_ROOT: &str = "/usr/lib/postgresql";
/// What to install where none is found.
pub const INSTALL_HINT: &str = "install it with `apt-get install postgresql` (Debian, Ubuntu; \
     the server, psql and the pg_stat_statements extension) or your system's PostgreSQL >= 15 \
     packages";

/// One PostgreSQL installation's programs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installation {
    bin_dir: PathBuf,
    major: u32,
    version: String,
}

impl Installation {
    /// The first installation of version >= 15 on `PATH` or under `/usr/lib/postgresql`.
    pub fn find() -> Result<Self, DatabaseError> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path_dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
        Self::find_in(&path_dirs, Path::new(DEBIAN_ROOT))
    }

    /// [`Self::find`] over given `PATH` folders and Debian root, for tests.
    pub fn find_in(path_dirs: &[PathBuf], debian_root: &Path) -> Result<Self, DatabaseError> {
        let mut rejected = Vec::new();
        for bin_dir in candidates(path_dirs, debian_root) {
            match Self::at(&bin_dir) {
                Ok(found) if found.major >= MIN_MAJOR => return Ok(found),
                Ok(old) => rejected.push(format!("{} is {}", bin_dir.display(), old.version)),
                Err(why) => rejected.push(format!("{}: {why}", bin_dir.display())),
            }
        }
        Err(DatabaseError::NotInstalled {
            looked: if rejected.is_empty() {
                format!(
                    "no initdb on PATH or under {}/<version>/bin",
                    debian_root.display()
                )
            } else {
                rejected.join("; ")
            },
        })
    }

    /// The installation in `bin_dir`, whatever its version; `Err` says what is missing.
    fn at(bin_dir: &Path) -> Result<Self, String> {
        for program in ["initdb", "postgres", "psql"] {
            if !bin_dir.join(program).is_file() {
                return Err(format!("no `{program}` beside initdb"));
            }
        }
        let output = Command::new(bin_dir.join("postgres"))
            .arg("--version")
            .output()
            .map_err(|e| format!("cannot run postgres --version: {e}"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let (major, version) =
            parse_version(&text).ok_or_else(|| format!("unreadable version {:?}", text.trim()))?;
        Ok(Self {
            bin_dir: bin_dir.to_path_buf(),
            major,
            version,
        })
    }

    /// The folder of the programs.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The major version (15, 16, ...).
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The full version as `postgres --version` prints it, e.g. `15.18`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A program of this installation (`initdb`, `postgres`, `psql`, `pgbench`, ...).
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// `Err` naming the package when `pg_stat_statements` is not installed. Asks `pg_config`
    /// of the same folder where the library is; without `pg_config` it cannot tell and says yes.
    pub fn check_pg_stat_statements(&self) -> Result<(), DatabaseError> {
        let Ok(output) = Command::new(self.program("pg_config"))
            .arg("--pkglibdir")
            .output()
        else {
            return Ok(());
        };
        let lib_dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        let library = lib_dir.join("pg_stat_statements.so");
        if !output.status.success() || library.is_file() {
            return Ok(());
        }
        Err(DatabaseError::NoPgStatStatements { library })
    }
}

/// Folders to try, in order: each `PATH` folder with an `initdb`, resolved to the folder of the
/// real file, then `<debian_root>/<major>/bin`, highest major first. No duplicates.
fn candidates(path_dirs: &[PathBuf], debian_root: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for dir in path_dirs {
        let initdb = dir.join("initdb");
        if initdb.is_file()
            && let Some(real_dir) = std::fs::canonicalize(&initdb)
                .ok()
                .and_then(|real| real.parent().map(Path::to_path_buf))
            && !found.contains(&real_dir)
        {
            found.push(real_dir);
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir(debian_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    versioned.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    for (_, bin) in versioned {
        let bin = std::fs::canonicalize(&bin).unwrap_or(bin);
        if !found.contains(&bin) {
            found.push(bin);
        }
    }
    found
}

/// `(major, version)` from `postgres --version` output such as
/// `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` or `postgres (PostgreSQL) 17beta1`.
pub fn parse_version(text: &str) -> Option<(u32, String)> {
    let version = text.split_whitespace().nth(2)?;
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    Some((digits.parse().ok()?, version.to_owned()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn versions_are_read_from_postgres_version_output() {
        let debian = "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n";
        assert_eq!(parse_version(debian), Some((15, "15.18".to_owned())));
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17beta1"),
            Some((17, "17beta1".to_owned()))
        );
        assert_eq!(parse_version("postgres: command not found"), None);
    }

    /// A fake installation whose `postgres --version` prints `version`.
    fn fake_install(bin: &Path, version: &str) {
        std::fs::create_dir_all(bin).unwrap();
        for program in ["initdb", "psql"] {
            std::fs::write(bin.join(program), "").unwrap();
        }
        let script = format!("#!/bin/sh\necho 'postgres (PostgreSQL) {version}'\n");
        std::fs::write(bin.join("postgres"), script).unwrap();
        let mut mode = std::fs::metadata(bin.join("postgres"))
            .unwrap()
            .permissions();
        mode.set_mode(0o755);
        std::fs::set_permissions(bin.join("postgres"), mode).unwrap();
    }

    #[test]
    fn a_missing_postgresql_is_an_error_that_says_what_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let err = Installation::find_in(&[dir.path().to_path_buf()], &dir.path().join("none"))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("apt-get install postgresql"), "{text}");
        assert!(text.contains("no initdb on PATH"), "{text}");
    }

    #[test]
    fn the_newest_debian_installation_of_at_least_version_15_is_chosen_over_an_old_one_on_path() {
        let dir = tempfile::tempdir().unwrap();
        let on_path = dir.path().join("usr-bin");
        fake_install(&on_path, "14.11");
        let debian = dir.path().join("lib-postgresql");
        fake_install(&debian.join("15").join("bin"), "15.18");
        fake_install(&debian.join("16").join("bin"), "16.4");
        let found = Installation::find_in(std::slice::from_ref(&on_path), &debian).unwrap();
        assert_eq!(found.major(), 16);
        assert_eq!(found.version(), "16.4");
        assert!(found.bin_dir().ends_with("16/bin"), "{found:?}");
    }

    #[test]
    fn an_installation_older_than_15_alone_is_refused_with_its_version() {
        let dir = tempfile::tempdir().unwrap();
        fake_install(&dir.path().join("bin"), "13.9");
        let err =
            Installation::find_in(&[dir.path().join("bin")], &dir.path().join("none")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("13.9") && text.contains(">= 15"), "{text}");
    }
}
