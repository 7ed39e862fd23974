//! Files one can read in one sitting: no source file of `src/` has more than
//! [`MAX_FILE_LINES`] lines of non-test code, no file of `src/`, `tests/` or `benches/` more
//! than that many lines in all (test files included), and no function outside tests more
//! than [`MAX_FN_LINES`] lines (the aim is about 500 and about 80; these are the ceilings of
//! "about"). A file or function that grows past them is split by meaning, as the README's
//! Development section describes. Read from the source text, as rustfmt lays it out.

use std::path::Path;

use super::layering::{non_test_code, rust_files, source_files};

/// Most lines of non-test code in one file.
const MAX_FILE_LINES: usize = 600;
/// Most lines of one function, from its `fn` line to its closing brace.
const MAX_FN_LINES: usize = 100;

/// Every function of `code` as `(line, name, lines)`: a line that declares a function with a
/// body, up to the first later line that is its indentation followed by `}` (rustfmt's
/// closing brace). Declarations without a body and bodies on one line are skipped.
fn functions(code: &str) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let Some(name) = declared_fn(body) else {
            continue;
        };
        let one_line = line.trim_end().ends_with('}') && line.contains('{');
        if line.trim_end().ends_with(';') || one_line {
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
            found.push((i + 1, name, end + 2));
        }
    }
    found
}

/// The name of the function `line` (trimmed) declares, if it declares one.
fn declared_fn(line: &str) -> Option<String> {
    let mut rest = line;
    // `pub`, `pub(crate)`, `pub(in path)`, …
    if let Some(scoped) = rest.strip_prefix("pub(") {
        rest = scoped.split_once(") ").map_or(rest, |(_, after)| after);
    }
    for prefix in ["pub ", "const ", "async ", "unsafe "] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    let name: String = rest
        .strip_prefix("fn ")?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[test]
fn source_files_and_functions_stay_readable_in_one_sitting() {
    let files = source_files();
    assert!(files.len() > 100, "only {} source files found", files.len());
    let mut too_long = Vec::new();
    let mut functions_seen = 0;
    for (rel, text) in &files {
        let code = non_test_code(text);
        let lines = code.lines().count();
        if lines > MAX_FILE_LINES {
            too_long.push(format!("{}: {lines} lines", rel.display()));
        }
        for (at, name, n) in functions(code) {
            functions_seen += 1;
            if n > MAX_FN_LINES {
                too_long.push(format!("{}:{at}: fn {name} is {n} lines", rel.display()));
            }
        }
    }
    assert!(
        functions_seen > 1000,
        "only {functions_seen} functions found"
    );
    assert!(
        too_long.is_empty(),
        "over {MAX_FILE_LINES} lines a file or {MAX_FN_LINES} a function:\n{}",
        too_long.join("\n")
    );
}

#[test]
fn every_file_tests_included_stays_readable_in_one_sitting() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = 0;
    let mut too_long = Vec::new();
    for dir in ["src", "tests", "benches"] {
        for file in rust_files(&root.join(dir)) {
            files += 1;
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_FILE_LINES {
                let rel = file.strip_prefix(root).unwrap();
                too_long.push(format!("{}: {lines} lines", rel.display()));
            }
        }
    }
    assert!(files > 300, "only {files} files found");
    assert!(
        too_long.is_empty(),
        "over {MAX_FILE_LINES} lines in all:\n{}",
        too_long.join("\n")
    );
}

#[test]
fn functions_are_measured_from_fn_to_the_closing_brace() {
    let code = "\
pub(crate) fn outer(x: u8) -> u8 {
    let inner = |y: u8| {
        y + 1
    };
    inner(x)
}

impl T {
    fn empty() {}

    pub async fn method(&self)
    where
        Self: Sized,
    {
        todo!()
    }
}

trait U {
    fn declared(&self);
}

pub(in crate::config) const fn scoped() -> u8 {
    1
}
";
    assert_eq!(
        functions(code),
        vec![
            (1, "outer".to_string(), 6),
            (11, "method".to_string(), 6),
            (23, "scoped".to_string(), 3),
        ]
    );
}
