//! The shape of the code, checked: layers with one direction, and functions that fit on a
//! screen. Reads `src/` as text, so it needs no build of its own.
//!
//! - The **edge** is `src/http/`, every area's `handlers.rs`, `src/routes.rs`, `src/lib.rs`
//!   (the application), `src/main.rs` and the binary's `src/bench/`. Everything else in `src/`
//!   is the **core**.
//! - The core never names actix-web or actix-http, the HTTP layer, the application state, the
//!   route table or a `handlers` module (declaring `pub mod handlers;` is how the tree is
//!   built, and is allowed).
//! - `src/http/` depends on the foundation only (errors, ids, money, pages, the store, time,
//!   URLs), never on an area.
//! - No function is longer than 80 lines, but for the route table, which is data.

use std::path::{Path, PathBuf};

const MAX_FUNCTION_LINES: usize = 80;
/// Functions that are data tables, exempt from the length rule: (file, function).
const DATA_TABLES: [(&str, &str); 1] = [("src/routes.rs", "endpoints")];
/// What `src/http/` may depend on.
const FOUNDATION: [&str; 8] = [
    "error", "ids", "money", "paging", "store", "time", "urls", "config",
];

struct Source {
    /// Relative to the crate root, with `/` separators.
    path: String,
    text: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("src"), &mut files);
    let sources: Vec<Source> = files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            let path = file
                .strip_prefix(root)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
                .to_string_lossy()
                .replace('\\', "/");
            Source { path, text }
        })
        .collect();
    assert!(
        sources.len() > 50,
        "only {} source files found",
        sources.len()
    );
    sources
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

fn is_edge(path: &str) -> bool {
    path.starts_with("src/http/")
        || path.starts_with("src/bench/")
        || path.ends_with("/handlers.rs")
        || ["src/routes.rs", "src/lib.rs", "src/main.rs"].contains(&path)
}

/// The lines of a file that are code, comments and string-free enough to read for paths:
/// line comments are dropped, so a comment may mention the edge.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let code = line.split("//").next().unwrap_or("").trim();
        (!code.is_empty()).then_some((i + 1, code))
    })
}

/// What a core line may not name, with why.
fn edge_reference(code: &str) -> Option<&'static str> {
    let forbidden = [
        ("actix_web", "actix-web"),
        ("actix_http", "actix-http"),
        ("crate::http", "the HTTP layer"),
        ("crate::AppState", "the application state"),
        ("crate::routes", "the route table"),
        ("handlers::", "a handlers module"),
    ];
    if code.starts_with("use ") && code.contains("handlers") {
        return Some("a handlers module");
    }
    forbidden
        .iter()
        .find(|(pattern, _)| code.contains(pattern))
        .map(|(_, why)| *why)
}

#[test]
fn the_core_never_reaches_the_edge() {
    let sources = sources();
    let core: Vec<&Source> = sources.iter().filter(|s| !is_edge(&s.path)).collect();
    assert!(core.len() > 40, "only {} core files", core.len());
    let mut found = Vec::new();
    for source in core {
        for (line, code) in code_lines(&source.text) {
            if let Some(why) = edge_reference(code) {
                found.push(format!("{}:{line}: names {why}: {code}", source.path));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the core imports the edge:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_http_layer_depends_on_the_foundation_only() {
    let sources = sources();
    let http: Vec<&Source> = sources
        .iter()
        .filter(|s| s.path.starts_with("src/http/"))
        .collect();
    assert!(http.len() > 5, "only {} files in src/http", http.len());
    let mut found = Vec::new();
    for source in http {
        for (line, code) in code_lines(&source.text) {
            for (at, _) in code.match_indices("crate::") {
                let module: String = code[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let allowed = FOUNDATION.contains(&module.as_str())
                    || module.is_empty()
                    // `crate::http::…` and macros exported at the crate root.
                    || module == "http"
                    || module.ends_with('!');
                if !allowed {
                    found.push(format!("{}:{line}: crate::{module}", source.path));
                }
            }
            if code.starts_with("use crate::{") {
                found.push(format!(
                    "{}:{line}: a grouped import to check: {code}",
                    source.path
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "src/http depends on an area:\n{}",
        found.join("\n")
    );
}

/// `(name, first line, length)` of every function in `text` with a body.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = function_name(line) else {
            continue;
        };
        if line.trim_end().ends_with(';') {
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let closing = format!("{indent}}}");
        let end = lines[i + 1..]
            .iter()
            .position(|l| l.starts_with(&closing))
            .map_or(lines.len(), |offset| i + 1 + offset);
        found.push((name, i + 1, end - i + 1));
    }
    found
}

fn function_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().peekable();
    while let Some(word) = words.next() {
        match word {
            "pub" | "pub(crate)" | "pub(super)" | "async" | "const" | "unsafe" => continue,
            "fn" => {
                let name: String = words
                    .next()?
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                return Some(name);
            }
            _ => return None,
        }
    }
    None
}

#[test]
fn no_function_is_longer_than_a_screen() {
    let mut found = Vec::new();
    let mut counted = 0;
    for source in sources() {
        for (name, line, length) in functions(&source.text) {
            counted += 1;
            let table = DATA_TABLES.contains(&(source.path.as_str(), name.as_str()));
            if length > MAX_FUNCTION_LINES && !table {
                found.push(format!("{}:{line}: {name} has {length} lines", source.path));
            }
        }
    }
    assert!(counted > 500, "only {counted} functions found");
    assert!(
        found.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checks_catch_what_they_look_for() {
    assert_eq!(edge_reference("use actix_web::web;"), Some("actix-web"));
    assert_eq!(
        edge_reference("use crate::http::ApiError;"),
        Some("the HTTP layer")
    );
    assert_eq!(
        edge_reference("use super::handlers::Included;"),
        Some("a handlers module")
    );
    assert_eq!(edge_reference("pub mod handlers;"), None);
    let long = format!("fn long() {{\n{}}}\n", "    let x = 1;\n".repeat(90));
    assert_eq!(functions(&long), vec![("long".to_string(), 1, 92)]);
    let nested = "impl A {\n    pub async fn f(&self) {\n        g();\n    }\n}\n";
    assert_eq!(functions(nested), vec![("f".to_string(), 2, 3)]);
}
