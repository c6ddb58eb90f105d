//! The workspace's shape: its top level, each crate's files, and the layering.
//!
//! The layering is the design's backbone: the four leaf crates depend on no
//! sibling, `callback` only on `stackswitch` and `syscall-accounting`, and
//! `facade` on all five. An edge outside this table fails CI.

use crate::json::{self, Json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The facade composes every library crate: these edges are allowed and required.
const FACADE_DEPS: &[&str] = &[
    "stackswitch",
    "syscall-accounting",
    "callback",
    "ptrcheck",
    "directives",
];

/// Sibling dependencies each workspace package may have (any kind: normal, build, dev).
pub const ALLOWED: &[(&str, &[&str])] = &[
    ("stackswitch", &[]),
    ("syscall-accounting", &[]),
    ("ptrcheck", &[]),
    ("directives", &[]),
    ("callback", &["stackswitch", "syscall-accounting"]),
    ("facade", FACADE_DEPS),
    ("xtask", &[]),
];

/// Edges that must exist.
pub const REQUIRED: &[(&str, &[&str])] = &[("facade", FACADE_DEPS)];

/// Entries allowed at the top level besides the package folders.
const TOP_LEVEL_EXTRA: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "LICENSE",
    "LICENSE-MIT",
    "LICENSE-APACHE",
    ".ci",
    ".cargo",
    "rustfmt.toml",
    ".rustfmt.toml",
    "clippy.toml",
    ".gitignore",
];

/// Checks the whole layout and returns one message per problem.
pub fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    match workspace_graph(root) {
        Ok(graph) => problems.extend(check_graph(&graph)),
        Err(e) => problems.push(e),
    }
    problems.extend(check_top_level(root));
    for (name, _) in ALLOWED.iter().filter(|(n, _)| *n != "xtask") {
        problems.extend(check_crate_files(root, name));
    }
    problems
}

/// Package name → sibling package names it depends on, from `cargo metadata`.
pub fn workspace_graph(root: &Path) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    graph_from_metadata(&metadata_text(root)?)
}

/// The workspace's `cargo metadata --no-deps`, parsed.
pub fn metadata(root: &Path) -> Result<Json, String> {
    json::parse(&metadata_text(root)?)
}

/// The text of `cargo metadata --no-deps` for the workspace at `root`.
fn metadata_text(root: &Path) -> Result<String, String> {
    let out = Command::new("cargo")
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let out = if out.status.success() {
        out
    } else {
        // --offline fails before the registry index is cached; retry online.
        Command::new("cargo")
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(root)
            .output()
            .map_err(|e| format!("cannot run cargo metadata: {e}"))?
    };
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn graph_from_metadata(text: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let meta = json::parse(text)?;
    let packages = meta.get("packages").map(Json::as_array).unwrap_or_default();
    let names: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p.get("name").and_then(Json::as_str).map(str::to_string))
        .collect();
    let mut graph = BTreeMap::new();
    for p in packages {
        let Some(name) = p.get("name").and_then(Json::as_str) else {
            continue;
        };
        let deps = p
            .get("dependencies")
            .map(Json::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(|d| d.get("name").and_then(Json::as_str))
            .filter(|d| names.contains(*d))
            .map(str::to_string)
            .collect();
        graph.insert(name.to_string(), deps);
    }
    Ok(graph)
}

fn check_graph(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    for (pkg, deps) in graph {
        let Some(ok) = allowed.get(pkg.as_str()) else {
            problems.push(format!("layering: unexpected workspace package `{pkg}`"));
            continue;
        };
        for d in deps {
            if !ok.contains(&d.as_str()) {
                problems.push(format!(
                    "layering: `{pkg}` depends on `{d}`, which the layering forbids (allowed: {})",
                    if ok.is_empty() {
                        "no sibling".to_string()
                    } else {
                        ok.join(", ")
                    }
                ));
            }
        }
    }
    for (name, _) in ALLOWED {
        if !graph.contains_key(*name) {
            problems.push(format!("layering: workspace package `{name}` is missing"));
        }
    }
    for (pkg, needs) in REQUIRED {
        for n in *needs {
            if graph.get(*pkg).is_some_and(|d| !d.contains(*n)) {
                problems.push(format!("layering: `{pkg}` must depend on `{n}`"));
            }
        }
    }
    problems
}

fn check_top_level(root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return vec![format!("cannot read {}", root.display())];
    };
    let packages: BTreeSet<&str> = ALLOWED.iter().map(|(n, _)| *n).collect();
    let mut problems = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == ".git" || name == "target" || packages.contains(name.as_str()) {
            continue;
        }
        if !TOP_LEVEL_EXTRA.contains(&name.as_str()) && is_tracked(root, &name) {
            problems.push(format!(
                "layout: `{name}` does not belong at the top level of the workspace"
            ));
        }
    }
    problems
}

fn is_tracked(root: &Path, name: &str) -> bool {
    Command::new("git")
        .args(["ls-files", "--error-unmatch", name])
        .current_dir(root)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn check_crate_files(root: &Path, name: &str) -> Vec<String> {
    let dir = root.join(name);
    let mut problems = Vec::new();
    for f in ["README.md", "CHANGELOG.md"] {
        if !dir.join(f).is_file() {
            problems.push(format!("layout: {name}/{f} is missing"));
        }
    }
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let own_version = manifest.lines().any(|l| {
        l.trim_start().starts_with("version") && l.contains('"') && !l.contains("workspace")
    });
    if !own_version {
        problems.push(format!(
            "layout: {name}/Cargo.toml must carry its own `version = \"...\"`"
        ));
    }
    let has_example = std::fs::read_dir(dir.join("examples"))
        .map(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "rs") || e.path().is_dir())
        })
        .unwrap_or(false);
    if !has_example {
        problems.push(format!("layout: {name}/examples/ has no example program"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(edges: &[(&str, &[&str])]) -> String {
        let pkgs: Vec<String> = edges
            .iter()
            .map(|(n, deps)| {
                let deps: Vec<String> = deps
                    .iter()
                    .map(|d| format!(r#"{{"name":"{d}","kind":null}}"#))
                    .collect();
                format!(r#"{{"name":"{n}","dependencies":[{}]}}"#, deps.join(","))
            })
            .collect();
        format!(r#"{{"packages":[{}]}}"#, pkgs.join(","))
    }

    #[test]
    fn the_intended_layering_passes() {
        let g = graph_from_metadata(&meta(ALLOWED)).unwrap();
        assert_eq!(check_graph(&g), Vec::<String>::new());
    }

    #[test]
    fn a_forbidden_edge_fails() {
        let mut edges = ALLOWED.to_vec();
        edges[2] = ("ptrcheck", &["stackswitch"]);
        let g = graph_from_metadata(&meta(&edges)).unwrap();
        let problems = check_graph(&g);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("`ptrcheck` depends on `stackswitch`"));
    }

    #[test]
    fn a_missing_facade_edge_fails() {
        let mut edges = ALLOWED.to_vec();
        edges[5] = ("facade", &["stackswitch"]);
        let g = graph_from_metadata(&meta(&edges)).unwrap();
        assert!(
            check_graph(&g)
                .iter()
                .any(|p| p.contains("must depend on `ptrcheck`"))
        );
    }
}
