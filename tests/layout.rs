//! The modules of `src/` import one another one way only: data flows from loading to
//! writing, and a module never reaches back to one that uses it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src/` with the top-level modules it names as `crate::name`
/// (a folder module's files count as that module).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.expect("src/ can be read");
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&src).expect("below src/");
        let first = rel.components().next().expect("a file name");
        let module = Path::new(first.as_os_str())
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("source reads");
        let used = graph.entry(module.clone()).or_default();
        used.extend(
            crate_names(&text)
                .into_iter()
                .filter(|name| *name != module),
        );
    }
    graph
}

/// The modules a file names: `crate::a::…` and each of `crate::{a, b::…}`.
fn crate_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let inner = match rest.strip_prefix('{') {
            Some(group) => &group[..group.find('}').unwrap_or(group.len())],
            None => rest,
        };
        for item in inner.split(',') {
            let name: String = item
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
            if !rest.starts_with('{') {
                break;
            }
        }
    }
    names
}

/// A cycle in the graph, as the modules along it, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            let mut found = path[start..].to_vec();
            found.push(module.to_string());
            return Some(found);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(module.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports();
    assert!(graph.contains_key("render") && graph.contains_key("search"));
    if let Some(found) = cycle(&graph) {
        panic!(
            "modules import each other in a circle: {}",
            found.join(" -> ")
        );
    }
}

#[test]
fn a_circle_of_imports_is_found() {
    let mut graph = BTreeMap::new();
    graph.insert(
        "render".to_string(),
        crate_names("use crate::publish::json_ld;"),
    );
    graph.insert(
        "publish".to_string(),
        crate_names("use crate::{diagnostics::Diagnostic, render};"),
    );
    graph.insert("diagnostics".to_string(), BTreeSet::new());
    assert_eq!(
        cycle(&graph),
        Some(vec![
            "publish".to_string(),
            "render".to_string(),
            "publish".to_string()
        ])
    );
    graph.insert(
        "publish".to_string(),
        crate_names("use crate::diagnostics;"),
    );
    assert_eq!(cycle(&graph), None);
}
