//! The module layering holds: a stage depends only on the stages to its left, so no module
//! imports a module that imports it back. Read from the source text of `src/`: every
//! `crate::<module>` that non-test code names is an edge between top-level modules (test
//! modules and test files may reach across, e.g. to build a whole pipeline).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every file of `src/` that is not a test file, as its path under `src/` and its text.
pub(crate) fn source_files() -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&src)
        .into_iter()
        .filter_map(|file| {
            let rel = file.strip_prefix(&src).unwrap().to_path_buf();
            let name = rel.file_name().unwrap().to_str().unwrap();
            let is_test_file = name == "tests.rs"
                || name.ends_with("_tests.rs")
                || name.ends_with("proptests.rs")
                || rel.components().any(|c| c.as_os_str() == "tests");
            (!is_test_file).then(|| (rel, std::fs::read_to_string(&file).unwrap()))
        })
        .collect()
}

/// Top-level module → the top-level modules its non-test code names.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in source_files() {
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let deps = graph.entry(top.clone()).or_default();
        for used in crate_paths(non_test_code(&text)) {
            if used != top {
                deps.insert(used);
            }
        }
    }
    graph
}

pub(crate) fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The text before the file's inline `#[cfg(test)] mod … {` (test modules close a file).
pub(crate) fn non_test_code(text: &str) -> &str {
    let mut at = 0;
    while let Some(i) = text[at..].find("#[cfg(test)]") {
        let start = at + i;
        let rest = text[start + "#[cfg(test)]".len()..].trim_start();
        if let Some(decl) = rest.strip_prefix("mod ") {
            let end = decl.find(['{', ';']).unwrap_or(decl.len());
            if decl[end..].starts_with('{') {
                return &text[..start];
            }
        }
        at = start + 1;
    }
    text
}

/// The top-level modules named as `crate::<module>` outside comments.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let name: String = rest[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                used.insert(name);
            }
            rest = &rest[i + 7..];
        }
    }
    used
}

#[test]
fn serve_does_not_import_app_and_config_does_not_import_serve() {
    let graph = module_graph();
    for (from, to) in [("serve", "app"), ("config", "serve"), ("notify", "app")] {
        assert!(
            !graph.get(from).is_some_and(|d| d.contains(to)),
            "{from} imports {to}: {:?}",
            graph.get(from)
        );
    }
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let graph = module_graph();
    assert!(graph.contains_key("app") && graph.contains_key("serve"));
    // Depth-first search for a cycle, reported as its path.
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(i) = path.iter().position(|n| *n == node) {
            return Some(format!("{} -> {node}", path[i..].join(" -> ")));
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {cycle}\n{graph:#?}");
        }
    }
}

#[test]
fn the_reader_sees_imports_and_skips_tests_and_comments() {
    let code = "use crate::window::Store;\n// crate::app in a comment\nfn f() { crate::time::now(); }\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod more {\n use crate::app::Pipeline;\n}\n";
    let used = crate_paths(non_test_code(code));
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        ["time", "window"],
        "{code}"
    );
}
