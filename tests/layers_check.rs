//! The module graph of a crate, read from its sources: which module names which other with a
//! `crate::`, `super::` or child-module path. The layering rules of `docs/architecture.md` are
//! tested on it: no two modules of a crate import each other (`tests/layers.rs`), and each
//! crate's own layer rules (`haplat-constructs/tests/it/layers.rs`,
//! `haplat-cli/tests/it/layers.rs`).
//!
//! Only code counts: comments (doc links included), string and char literals, and the
//! `#[cfg(test)] mod tests` of a file are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module → the modules its code names (itself excluded).
pub type ModuleGraph = BTreeMap<String, BTreeSet<String>>;

/// The graph between the top-level modules of the crate whose sources are in `src`: a folder
/// module (`service/mod.rs`, `service/task.rs` …) counts as one module, `service`.
pub fn module_graph(src: &Path) -> ModuleGraph {
    let (nested, _) = nested_graph(src, &[]);
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_owned();
    let mut graph = ModuleGraph::new();
    for (module, uses) in nested {
        let from = top(&module);
        let entry = graph.entry(from.clone()).or_default();
        entry.extend(uses.iter().map(|u| top(u)).filter(|u| *u != from));
    }
    graph
}

/// The graph between every module of the crate in `src`, by full path (`plan::params`; the
/// crate root is no node), and the `crate::` paths that name no module. `aliases` maps a first
/// path segment that is not a module (a macro or a re-export of the root) to the module it
/// belongs to, e.g. `("out", "output")`.
pub fn nested_graph(src: &Path, aliases: &[(&str, &str)]) -> (ModuleGraph, Vec<String>) {
    let known = modules(src);
    let mut graph = ModuleGraph::new();
    let mut unresolved = Vec::new();
    for (module, text) in &known {
        let code = code_only(text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text));
        let segments: Vec<String> = module.split("::").map(str::to_owned).collect();
        let parent = &segments[..segments.len() - 1];
        let mut uses = BTreeSet::new();
        for path in paths_after(&code, "crate::") {
            let alias = aliases.iter().find(|(first, _)| Some(*first) == path.first().map(String::as_str));
            match alias.map(|(_, m)| (*m).to_owned()).or_else(|| resolve(&known, &path)) {
                Some(target) => {
                    uses.insert(target);
                }
                None => unresolved.push(format!("{module}: crate::{}", path.join("::"))),
            }
        }
        for path in paths_after(&code, "super::") {
            let full: Vec<String> = parent.iter().cloned().chain(path).collect();
            // `super::Item` is the parent module itself.
            uses.insert(resolve(&known, &full).unwrap_or_else(|| parent.join("::")));
        }
        for line in code.lines() {
            let line = line.trim();
            let decl = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod "));
            if let Some(child) = decl.and_then(|d| d.strip_suffix(';')) {
                uses.insert(format!("{module}::{child}"));
            }
        }
        uses.remove(module);
        uses.remove("");
        graph.insert(module.clone(), uses);
    }
    (graph, unresolved)
}

/// Module path → source text of every module below `src` (`lib.rs` and `main.rs` are the root,
/// not modules; `x/mod.rs` is `x`).
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for file in crate::files_with_extension(src, "rs") {
        let rel = file.strip_prefix(src).expect("a file below src");
        let mut segments: Vec<String> =
            rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let last = segments.pop().expect("a file name");
        let stem = last.strip_suffix(".rs").unwrap_or(&last);
        match stem {
            "lib" | "main" if segments.is_empty() => continue,
            "mod" => {}
            _ => segments.push(stem.to_owned()),
        }
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        out.insert(segments.join("::"), text);
    }
    out
}

/// The longest known module that `segments` (from the root) starts with.
fn resolve(known: &BTreeMap<String, String>, segments: &[String]) -> Option<String> {
    (1..=segments.len()).rev().map(|n| segments[..n].join("::")).find(|m| known.contains_key(m))
}

/// Whether `module` is `layer` or inside it (`ops::deploy` is in `ops`).
pub fn in_layer(module: &str, layer: &str) -> bool {
    module == layer || module.strip_prefix(layer).is_some_and(|rest| rest.starts_with("::"))
}

/// A cycle of `graph` (`a → b → … → a`), if there is one.
pub fn find_cycle(graph: &ModuleGraph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &ModuleGraph,
        state: &mut BTreeMap<String, bool>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), false);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(false) => {
                    let start = stack.iter().position(|n| n == next).expect("on the stack");
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(true) => {}
                None => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_owned(), true);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node)
            && let Some(cycle) = visit(node, graph, &mut state, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

/// The paths after each `prefix` (`crate::`, `super::`) as segments, one per item of a
/// `crate::{a::X, b}` group, skipping `$crate::` of macros and paths inside other paths.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(prefix) {
        let start = from + at;
        from = start + prefix.len();
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c == '$' || c == '_' || c == ':' || c.is_alphanumeric()) {
            continue;
        }
        let rest = &code[from..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let mut depth = 1;
                let mut item = String::new();
                let mut items = Vec::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        ',' if depth == 1 => items.push(std::mem::take(&mut item)),
                        c if depth == 1 => item.push(c),
                        _ => {}
                    }
                }
                items.push(item);
                out.extend(items.iter().map(|i| segments(i.trim())).filter(|s| !s.is_empty()));
            }
            None => {
                let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
                let s = segments(&path);
                if !s.is_empty() {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// `a::b::C` → `["a", "b", "C"]`, stopping at a group or glob; `self` and empty items give none.
fn segments(path: &str) -> Vec<String> {
    let path: String = path.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
    let s: Vec<String> = path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if s.first().is_some_and(|f| f == "self") { Vec::new() } else { s }
}

/// `text` without comments, string and char literals (so doc links and messages do not count).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !prev_is_ident(&chars, i) {
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A char literal ('x' or '\n'); a lifetime ('a) has no closing quote there.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_code_count_and_comments_strings_and_macros_do_not() {
        let code = code_only(
            "use crate::{a::X, b, c::{d, e}};\nuse crate::f;\n// crate::g\n/// [`crate::h`]\nlet s = \"crate::i\";\n$crate::j::k\nlet x = crate::l::m(r#\"crate::n\"#, '\"', 'a');",
        );
        let firsts: BTreeSet<String> = paths_after(&code, "crate::").into_iter().map(|p| p[0].clone()).collect();
        assert_eq!(firsts.into_iter().collect::<Vec<_>>(), ["a", "b", "c", "f", "l"]);
        assert_eq!(paths_after("use super::x::Y;", "super::"), vec![vec!["x".to_owned(), "Y".to_owned()]]);
    }

    #[test]
    fn a_cycle_is_found_and_named() {
        let mut g = ModuleGraph::new();
        g.entry("a".into()).or_default().insert("b".into());
        g.entry("b".into()).or_default().insert("c".into());
        g.entry("c".into()).or_default().insert("a".into());
        assert_eq!(find_cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
        g.get_mut("c").unwrap().clear();
        assert_eq!(find_cycle(&g), None);
    }

    #[test]
    fn layers_contain_their_submodules() {
        assert!(in_layer("ops::deploy", "ops") && in_layer("ops", "ops"));
        assert!(!in_layer("opsx", "ops"));
    }
}
