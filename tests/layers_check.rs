//! The module graph of a crate, read from its sources: which top-level module names which other
//! with a `crate::` path. The layering rules of `docs/architecture.md` (no two modules of a
//! crate import each other, commands import no other command) are tested on it by
//! `tests/layers.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules its code names through `crate::…` (itself excluded).
pub type ModuleGraph = BTreeMap<String, BTreeSet<String>>;

/// The graph of the crate whose sources are in `src` (`lib.rs` and `main.rs` are the root, not
/// modules). A folder module (`service/mod.rs`, `service/task.rs` …) counts as one module.
pub fn module_graph(src: &Path) -> ModuleGraph {
    let mut graph = ModuleGraph::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).expect("a file below src");
        let first = rel.components().next().expect("a relative path").as_os_str().to_string_lossy().into_owned();
        let module = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let used = crate_paths(&code_only(&text));
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(used.into_iter().filter(|m| *m != module));
    }
    graph
}

/// The modules that `file` names through `super::x` or `crate::<parent>::x` when it is a file of
/// the folder module `parent` (e.g. `commands/deploy.rs` naming `commands::diff`).
pub fn sibling_uses(file: &Path, parent: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let code = code_only(&text);
    let mut found = BTreeSet::new();
    for prefix in ["super::".to_owned(), format!("crate::{parent}::")] {
        found.extend(names_after(&code, &prefix));
    }
    found
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

/// Every `.rs` file below `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The top-level names after each `crate::` (including every name of a `crate::{a, b::c}` group),
/// skipping `$crate::` of macros.
fn crate_paths(code: &str) -> BTreeSet<String> {
    names_after(code, "crate::")
}

fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(prefix) {
        let start = from + at;
        from = start + prefix.len();
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c == '$' || c == '_' || c.is_alphanumeric()) {
            continue;
        }
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            let mut name = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        if !name.is_empty() {
                            names.insert(std::mem::take(&mut name));
                        }
                        item_start = true;
                    }
                    c if depth == 1 && item_start && (c.is_alphanumeric() || c == '_') => name.push(c),
                    _ if depth == 1 && item_start && !name.is_empty() => {
                        names.insert(std::mem::take(&mut name));
                        item_start = false;
                    }
                    _ => {}
                }
            }
            if !name.is_empty() {
                names.insert(name);
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names.retain(|n| n.chars().next().is_some_and(|c| c.is_lowercase()) && n != "self");
    names
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
        let names: Vec<String> = crate_paths(&code).into_iter().collect();
        assert_eq!(names, ["a", "b", "c", "f", "l"]);
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
}
