//! The library's modules form no import cycle: no module uses a module that
//! (directly or through others) uses it back. Data flows one way, from the
//! netlink codec to the front ends, and a cycle is where that breaks first.
//!
//! The graph is read from the sources: every `use crate::...`, `use
//! super::...` and inline `crate::...` path in a module's non-test code is an
//! edge to the deepest module that path names. A module and its own
//! ancestors or descendants may refer to each other (a `mod.rs` re-exporting
//! its children, a child using its parent's types): those are one unit, not a
//! cycle. Written by hand because the crates that draw module graphs
//! (cargo-modules) build rustc's analysis, far too heavy for a test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path ("ui::app") -> source text without its test code.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&root).unwrap().with_extension("");
        let mut parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
            parts.pop();
        }
        if parts.last().is_some_and(|p| p == "main" || p == "tests") {
            continue; // the binary's entry point, and test-only modules
        }
        let text = std::fs::read_to_string(&file).unwrap();
        modules.insert(parts.join("::"), without_test_code(&text));
    }
    modules
}

/// The text before the first `#[cfg(test)]` that opens a module.
fn without_test_code(text: &str) -> String {
    let mut kept = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// Every path of a use tree: `a::{b, c::{d, e}}` -> a::b, a::c::d, a::c::e.
fn expand(tree: &str) -> Vec<String> {
    // Renames (`x as y`) name the same module; then whitespace means nothing.
    let words: Vec<&str> = tree.split_whitespace().collect();
    let mut kept = String::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "as" {
            // Drop the new name, keep what follows it (`y},` -> `},`).
            if let Some(next) = words.get(i + 1) {
                kept.push_str(next.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_'));
            }
            i += 2;
            continue;
        }
        kept.push_str(words[i]);
        i += 1;
    }
    let tree = kept;
    let (Some(open), Some(close)) = (tree.find('{'), tree.rfind('}')) else {
        return vec![tree.trim_end_matches("::*").to_string()];
    };
    if close < open {
        return Vec::new();
    }
    let prefix = &tree[..open];
    let inner = &tree[open + 1..close];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|item| !item.is_empty())
        .flat_map(expand)
        .map(|path| match path.as_str() {
            "self" => prefix.trim_end_matches("::").to_string(),
            _ => format!("{prefix}{path}"),
        })
        .collect()
}

/// Absolute module paths (without `crate::`) that `module`'s code names.
fn referenced_paths(module: &str, text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    // `use` items start a line (after `pub` or `pub(...)`) and end at `;`.
    let mut statement: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(statement) = &mut statement {
            statement.push_str(trimmed);
        } else {
            let item = trimmed
                .strip_prefix("pub ")
                .or_else(|| trimmed.strip_prefix("pub(crate) "))
                .or_else(|| trimmed.strip_prefix("pub(super) "))
                .unwrap_or(trimmed);
            if let Some(tree) = item.strip_prefix("use ") {
                statement = Some(tree.to_string());
            }
        }
        if let Some(tree) = statement.as_ref().filter(|tree| tree.contains(';')) {
            paths.extend(expand(tree.split(';').next().unwrap_or("")));
            statement = None;
        }
    }
    let inline = text
        .match_indices("crate::")
        .chain(text.match_indices("super::"))
        .filter(|(at, _)| {
            !text[..*at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
        });
    for (at, _) in inline {
        let tail: String = text[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        paths.push(tail);
    }
    let own: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    let resolved: BTreeSet<String> = paths
        .into_iter()
        .filter_map(|path| {
            let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
            match parts.first()? {
                &"crate" => Some(parts[1..].join("::")),
                &"super" | &"self" => {
                    let mut base = own.clone();
                    let mut rest = &parts[..];
                    while let Some(first) = rest.first() {
                        match *first {
                            "super" => {
                                base.pop();
                            }
                            "self" => {}
                            _ => break,
                        }
                        rest = &rest[1..];
                    }
                    base.extend_from_slice(rest);
                    Some(base.join("::"))
                }
                _ => None,
            }
        })
        .collect();
    resolved.into_iter().collect()
}

/// The deepest known module that `path` lies in.
fn module_of(path: &str, known: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|candidate| known.contains(candidate))
}

fn related(a: &str, b: &str) -> bool {
    let inside = |inner: &str, outer: &str| {
        outer.is_empty() || inner == outer || inner.starts_with(&format!("{outer}::"))
    };
    inside(a, b) || inside(b, a)
}

fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, text) in &modules {
        let targets: BTreeSet<String> = referenced_paths(module, text)
            .iter()
            .filter_map(|path| module_of(path, &known))
            .filter(|target| !related(module, target))
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// One cycle through `start`, if there is one (depth-first search).
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn visit(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        node: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(node).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if visit(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    visit(graph, start, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let graph = import_graph();
    assert!(graph.len() > 20, "the sources were found: {graph:?}");
    let cycles: BTreeSet<String> = graph
        .keys()
        .filter_map(|module| cycle_through(&graph, module))
        .map(|cycle| cycle.join(" -> "))
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles between modules:\n  {}",
        cycles.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn the_checker_sees_use_trees_super_paths_and_inline_paths() {
    assert_eq!(
        expand("crate::{a::b, c::{d, e as f}, g::*}"),
        ["crate::a::b", "crate::c::d", "crate::c::e", "crate::g"]
    );
    let text = "use super::text::quote;\nfn f() { crate::store::Store::new(); }\nuse std::io;\n";
    let paths = referenced_paths("decode::generic", text);
    assert_eq!(paths, ["decode::text::quote", "store::Store::new"]);
    let known: BTreeSet<String> = ["decode", "decode::text", "store"].map(String::from).into();
    assert_eq!(
        module_of("decode::text::quote", &known).as_deref(),
        Some("decode::text")
    );
    // A cycle of three is found; a child using its parent is not one.
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycle_through(&graph, "a").unwrap(), ["a", "b", "c", "a"]);
    assert!(cycle_through(&graph, "d").is_none());
    assert!(related("ui::components", "ui::components::traffic"));
    assert!(!related("ui::app", "ui::inject"));
}
