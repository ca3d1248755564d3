//! README's layout table and glossary against the harness's modules: a public module without a
//! row, a row naming no module, or a glossary entry citing a type or module that is gone fails
//! here, so neither can drift from the code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The `a::b` or `a::b::Type` paths cited in the `## Glossary` section.
fn glossary_paths(readme: &str) -> Vec<String> {
    let section: Vec<&str> = readme
        .lines()
        .skip_while(|line| !line.starts_with("## Glossary"))
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .collect();
    section
        .join("\n")
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| span.contains("::") && !span.contains(' '))
        .map(str::to_owned)
        .collect()
}

/// Glossary paths that name no module, or a type its module does not declare.
fn dangling_paths(modules: &[Module], src: &Path, paths: &[String]) -> Vec<String> {
    paths
        .iter()
        .filter(|path| {
            let (module, last) = path.rsplit_once("::").unwrap_or(("", path));
            if last.starts_with(char::is_lowercase) {
                return !modules.iter().any(|m| &m.path == *path);
            }
            // The module's file, or any file of its folder (a type re-exported from a child).
            let dir = src.join(module.replace("::", "/"));
            let mut files = vec![dir.with_extension("rs")];
            if let Ok(entries) = std::fs::read_dir(&dir) {
                files.extend(entries.flatten().map(|e| e.path()));
            }
            !files.iter().any(|file| {
                let text = std::fs::read_to_string(file).unwrap_or_default();
                ["struct", "enum", "type", "trait"]
                    .iter()
                    .any(|kind| text.contains(&format!("pub {kind} {last} ")))
            })
        })
        .cloned()
        .collect()
}

/// A module of the harness, as `parent::child` from the crate root, and whether it is reachable
/// from outside (it and every module above it `pub`).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Module {
    path: String,
    public: bool,
}

/// Every module declared in the file `file` of module `prefix` and below, following `mod x;`
/// into `x.rs` or `x/mod.rs`. Test modules (`mod tests`) are left out.
fn modules_in(file: &Path, prefix: &str, public: bool, found: &mut Vec<Module>) {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let children_dir = match file.file_name().and_then(|n| n.to_str()) {
        Some("lib.rs" | "mod.rs") => file.parent().map(Path::to_path_buf),
        _ => file
            .parent()
            .map(|p| p.join(file.file_stem().unwrap_or_default())),
    }
    .unwrap_or_default();
    for line in text.lines() {
        let Some((is_pub, name, inline)) = declaration(line) else {
            continue;
        };
        if name == "tests" {
            continue;
        }
        let path = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}::{name}")
        };
        let reachable = public && is_pub;
        found.push(Module {
            path: path.clone(),
            public: reachable,
        });
        if !inline {
            let flat = children_dir.join(format!("{name}.rs"));
            let nested = children_dir.join(name).join("mod.rs");
            let child: PathBuf = if flat.is_file() { flat } else { nested };
            modules_in(&child, &path, reachable, found);
        }
    }
}

/// `pub mod x;` -> (true, "x", false); `mod x {` -> (false, "x", true); other lines -> None.
/// `pub(crate) mod` counts as not public.
fn declaration(line: &str) -> Option<(bool, &str, bool)> {
    let trimmed = line.trim_start();
    let (is_pub, rest) = match trimmed.strip_prefix("pub ") {
        Some(rest) => (true, rest),
        None => match trimmed.strip_prefix("pub(crate) ") {
            Some(rest) => (false, rest),
            None => (false, trimmed),
        },
    };
    let rest = rest.strip_prefix("mod ")?;
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    let (name, after) = rest.split_at(end);
    match after.trim() {
        ";" => Some((is_pub, name, false)),
        "{" => Some((is_pub, name, true)),
        _ => None,
    }
}

/// The first cells of the harness-module table: the table after the line that starts with
/// "Harness modules" in README's `## Layout` section.
fn table_rows(readme: &str) -> Vec<String> {
    readme
        .lines()
        .skip_while(|line| !line.starts_with("## Layout"))
        .skip_while(|line| !line.starts_with("Harness modules"))
        .skip(1)
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cell = line.trim_start_matches('|').split('|').next()?.trim();
            Some(cell.strip_prefix('`')?.strip_suffix('`')?.to_owned())
        })
        .collect()
}

/// Public modules without a row.
fn missing_rows(modules: &[Module], rows: &[String]) -> Vec<String> {
    let rows: BTreeSet<&str> = rows.iter().map(String::as_str).collect();
    modules
        .iter()
        .filter(|m| m.public && !rows.contains(m.path.as_str()))
        .map(|m| m.path.clone())
        .collect()
}

/// Rows that name no module, public or not.
fn stale_rows(modules: &[Module], rows: &[String]) -> Vec<String> {
    rows.iter()
        .filter(|row| !modules.iter().any(|m| &m.path == *row))
        .cloned()
        .collect()
}

fn harness_modules() -> Vec<Module> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let mut found = Vec::new();
    modules_in(&lib, "", true, &mut found);
    found
}

fn readme_rows() -> Vec<String> {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    table_rows(&std::fs::read_to_string(&readme).expect("README.md at the workspace root"))
}

#[test]
fn every_public_module_of_the_harness_has_a_row_in_the_readme_layout_table() {
    let modules = harness_modules();
    assert!(
        modules
            .iter()
            .any(|m| m.path == "history::trend" && m.public),
        "the walk must reach nested modules: {modules:?}"
    );
    let missing = missing_rows(&modules, &readme_rows());
    assert!(
        missing.is_empty(),
        "README.md's layout table (## Layout, \"Harness modules\") has no row for: {}; add \
         `| `module` | what it holds |` rows",
        missing.join(", ")
    );
}

#[test]
fn every_row_of_the_readme_layout_table_names_a_module_of_the_harness() {
    let stale = stale_rows(&harness_modules(), &readme_rows());
    assert!(
        stale.is_empty(),
        "README.md's layout table names modules the harness does not have: {}; rename or \
         remove those rows",
        stale.join(", ")
    );
}

#[test]
fn every_type_and_module_the_glossary_cites_exists() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let readme = std::fs::read_to_string(src.join("../../README.md")).expect("README.md");
    let paths = glossary_paths(&readme);
    assert!(
        paths.iter().any(|p| p == "catalog::Target"),
        "the glossary cites its types: {paths:?}"
    );
    let dangling = dangling_paths(&harness_modules(), &src, &paths);
    assert!(
        dangling.is_empty(),
        "README.md's glossary cites what the harness no longer has: {}; follow the rename",
        dangling.join(", ")
    );
}

#[test]
fn a_public_module_without_a_row_is_reported_and_a_private_one_is_not() {
    let readme = "## Layout\n\nHarness modules, in order:\n\n| module | what |\n| --- | --- \
                  |\n| `a` | the a |\n\n## Next\n";
    let module = |path: &str, public| Module {
        path: path.into(),
        public,
    };
    let modules = [module("a", true), module("a::b", true), module("c", false)];
    let rows = table_rows(readme);
    assert_eq!(rows, ["a"]);
    assert_eq!(missing_rows(&modules, &rows), ["a::b"]);
    assert_eq!(
        stale_rows(&modules[..1], &["a".into(), "gone".into()]),
        ["gone"]
    );
}

#[test]
fn a_glossary_path_to_a_gone_type_or_module_is_reported() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let readme =
        "## Glossary\n\n| `catalog::Target` | `catalog::Gone`, `no::where` |\n\n## Layout\n";
    let paths = glossary_paths(readme);
    assert_eq!(paths, ["catalog::Target", "catalog::Gone", "no::where"]);
    let dangling = dangling_paths(&harness_modules(), &src, &paths);
    assert_eq!(dangling, ["catalog::Gone", "no::where"]);
}

#[test]
fn declarations_are_told_apart_by_visibility_and_form() {
    assert_eq!(declaration("pub mod trend;"), Some((true, "trend", false)));
    assert_eq!(
        declaration("    pub mod fixtures {"),
        Some((true, "fixtures", true))
    );
    assert_eq!(
        declaration("pub(crate) mod pacer;"),
        Some((false, "pacer", false))
    );
    assert_eq!(declaration("mod series;"), Some((false, "series", false)));
    assert_eq!(declaration("// pub mod trend;"), None);
    assert_eq!(declaration("use crate::history::trend;"), None);
}
