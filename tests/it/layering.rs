//! The module layering, checked on the source text: no module imports a module that imports
//! it back. `serve` and `notify` read the pipeline through `serve::read::ReadSide`, never
//! through `app`; `config` does not import the server. Add a rule to [`RULES`] to keep
//! another one.

use std::path::{Path, PathBuf};

/// (directory under the crate root, text no file in it may contain).
const RULES: &[(&str, &str)] = &[
    ("src/serve", "crate::app"),
    ("src/notify", "crate::app"),
    ("src/config", "crate::serve"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut violations = Vec::new();
    for (dir, forbidden) in RULES {
        let mut files = Vec::new();
        rust_files(&root.join(dir), &mut files);
        assert!(!files.is_empty(), "{dir} has no Rust file: update the rule");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.contains(forbidden) {
                    let shown = file.strip_prefix(root).unwrap_or(&file).display();
                    violations.push(format!("{shown}:{}: {forbidden}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering broken:\n{}",
        violations.join("\n")
    );
}
