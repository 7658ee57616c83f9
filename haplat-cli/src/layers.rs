//! The crate's layering, checked on its source (docs/architecture.md, haplat-cli): the import
//! graph between modules has no cycle (no two modules import each other, a leaf never imports
//! its parent), commands import no other command, only commands use the operations, and only
//! the operations touch the SDK. A module's edges are its `crate::`, `super::` and child-module
//! paths outside comments and its `#[cfg(test)]` module, and its `mod` declarations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`plan::params`; the root is not a node) → source text.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(name);
                walk(&path, &p, out);
            } else if let Some(stem) = name.strip_suffix(".rs") {
                let mut p = prefix.to_vec();
                match stem {
                    // The root only declares; this checker is no part of the layers.
                    "lib" | "main" | "layers" if prefix.is_empty() => continue,
                    "mod" => {}
                    _ => p.push(stem.to_owned()),
                }
                out.insert(p.join("::"), std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &[], &mut out);
    out
}

/// The code of a module: without comments and without its test module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The paths that follow `prefix` (`crate::`, `super::`…) in `code`, as segments.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        let segments: Vec<String> = path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
        if !segments.is_empty() {
            out.push(segments);
        }
    }
    out
}

/// The longest known module that `segments` (from the root) starts with.
fn resolve(known: &BTreeMap<String, String>, segments: &[String]) -> Option<String> {
    (1..=segments.len()).rev().map(|n| segments[..n].join("::")).find(|m| known.contains_key(m))
}

/// Module → the modules it uses; unresolved `crate::` paths are reported.
fn graph() -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let known = modules();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unresolved = Vec::new();
    for (module, text) in &known {
        let code = code(text);
        let segments: Vec<String> = module.split("::").map(str::to_owned).collect();
        let parent = &segments[..segments.len() - 1];
        let mut uses = BTreeSet::new();
        for path in paths_after(&code, "crate::") {
            let target = match path.first().map(String::as_str) {
                // The macros of `output` and the root's re-exports of `error`.
                Some("out" | "outln" | "err" | "errln") => Some("output".to_owned()),
                Some("Error" | "exit") => Some("error".to_owned()),
                _ => resolve(&known, &path),
            };
            match target {
                Some(t) => {
                    uses.insert(t);
                }
                None => unresolved.push(format!("{module}: crate::{}", path.join("::"))),
            }
        }
        for path in paths_after(&code, "super::") {
            let full: Vec<String> = parent.iter().cloned().chain(path).collect();
            // `super::` alone (or `super::Item`) is the parent module itself.
            match resolve(&known, &full) {
                Some(t) => uses.insert(t),
                None => uses.insert(parent.join("::")),
            };
        }
        // Child modules: declared (`mod x;`) and used by their bare name (`x::Item`).
        for line in code.lines() {
            let line = line.trim();
            let decl = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod "));
            if let Some(child) = decl.and_then(|d| d.strip_suffix(';')) {
                uses.insert(format!("{module}::{child}"));
            }
        }
        uses.remove(module);
        uses.remove("");
        edges.insert(module.clone(), uses);
    }
    (edges, unresolved)
}

/// A cycle of the graph, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut c = stack[i..].to_vec();
            c.push(node.to_owned());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut done, &mut Vec::new()))
}

fn in_layer(module: &str, layer: &str) -> bool {
    module == layer || module.starts_with(&format!("{layer}::"))
}

#[test]
fn every_crate_path_names_a_module() {
    let (_, unresolved) = graph();
    assert!(unresolved.is_empty(), "paths to no module: {unresolved:#?}");
}

#[test]
fn no_two_modules_import_each_other() {
    let (edges, _) = graph();
    assert!(edges.len() > 20, "the source was read: {edges:#?}");
    assert_eq!(cycle(&edges), None, "a cycle in the import graph");
}

#[test]
fn commands_import_no_other_command_and_call_operations() {
    let (edges, _) = graph();
    for (module, uses) in edges.iter().filter(|(m, _)| m.starts_with("commands::") && *m != "commands::args") {
        let others: Vec<&String> = uses.iter().filter(|u| in_layer(u, "commands") && *u != "commands::args").collect();
        assert!(others.is_empty(), "{module} imports {others:?}");
        assert!(uses.iter().any(|u| in_layer(u, "ops")), "{module} calls no operation: {uses:?}");
        let below: Vec<&String> =
            uses.iter().filter(|u| !["ops", "commands::args", "error"].iter().any(|l| in_layer(u, l))).collect();
        assert!(below.is_empty(), "{module} reaches past the operations: {below:?}");
    }
}

#[test]
fn layers_point_down_only() {
    let (edges, _) = graph();
    for (module, uses) in &edges {
        for u in uses {
            if in_layer(u, "commands") {
                assert!(in_layer(module, "commands"), "{module} uses {u}: nothing uses the command line");
            }
            if in_layer(u, "ops") {
                assert!(
                    in_layer(module, "commands") || in_layer(module, "ops"),
                    "{module} uses {u}: only commands call operations"
                );
            }
            if module.starts_with("ops::") && in_layer(u, "ops") {
                assert!(u == "ops::input", "{module} uses {u}: operations do not call each other");
            }
            if u == "sdk" {
                assert!(module.starts_with("ops::"), "{module} uses the SDK: only operations connect to AWS");
            }
        }
    }
}

#[test]
fn the_checker_sees_cycles_and_parents() {
    let edges = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(cycle(&edges), Some(vec!["a".into(), "b".into(), "a".into()]));
    let code = "use super::x;\nuse crate::plan::params::{A};\n// crate::nope\nfoo::crate::not";
    assert_eq!(paths_after(&code_of(code), "crate::"), vec![vec!["plan", "params"]]);
    assert_eq!(paths_after(code, "super::"), vec![vec!["x"]]);
}

fn code_of(text: &str) -> String {
    code(text)
}
