//! The house stays in order: within each crate, the top-level modules depend on
//! each other one way only (a `use crate::…` that closes a cycle fails here and
//! names the cycle), and gRPC codes are chosen in one place per crate — no
//! `Status::` is built outside a crate's `error.rs` and the access layer.
//!
//! The test reads the source, not the compiled crate: an edge is any
//! `crate::<module>` path in a module's code (comments and `#[cfg(test)] mod tests`
//! at the end of a file do not count).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The source folder of every crate in the workspace.
const CRATES: [&str; 6] = [
    "src",
    "proto/src",
    "server/src",
    "migrations/src",
    "node/src",
    "gateway/src",
];

/// Files that may build a `tonic::Status` themselves: each crate's error type,
/// the access layer (each server's gatekeeper) and the server crate's layers,
/// which answer a refused or shed call before any service sees it.
const STATUS_BUILDERS: [&str; 5] = [
    "node/src/error.rs",
    "gateway/src/error.rs",
    "node/src/access.rs",
    "gateway/src/access.rs",
    "server/src/",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its trailing unit tests.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier_at(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The top-level modules that `code` names after `crate::`, including every item
/// of a `crate::{a, b::c}` group.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        // `passage_crate::` or `my_crate::` are other names.
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_ascii_alphanumeric() || c == '_') => {
                        named.insert(identifier_at(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = identifier_at(rest);
            if !name.is_empty() {
                named.insert(name);
            }
        }
    }
    named
}

/// Each top-level module of the crate at `src`, with the modules it uses.
fn module_edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let uses = edges.entry(module.clone()).or_default();
        for used in crate_paths(&code) {
            if used != module {
                uses.insert(used);
            }
        }
    }
    edges
}

/// A cycle among the modules, if there is one, as the path that closes it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            let mut cycle = path[start..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for used in edges.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(used, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for module in edges.keys() {
        if let Some(cycle) = visit(module, edges, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let mut cycles = Vec::new();
    for krate in CRATES {
        let src = root().join(krate);
        if let Some(cycle) = find_cycle(&module_edges(&src)) {
            cycles.push(format!("{krate}: {}", cycle.join(" -> ")));
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other (let the dependency point one way):\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_cycle_check_finds_a_cycle_and_reads_grouped_imports() {
    let code = "use crate::{error::{Error, Result}, store};\nlet x = crate::rules::load();";
    assert_eq!(
        crate_paths(code),
        ["error", "rules", "store"].map(String::from).into()
    );
    assert!(crate_paths("use passage_crate::x;").is_empty());
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges
        .entry("service".into())
        .or_default()
        .insert("federation".into());
    edges
        .entry("federation".into())
        .or_default()
        .insert("context".into());
    assert_eq!(find_cycle(&edges), None);
    edges
        .entry("context".into())
        .or_default()
        .insert("service".into());
    let cycle = find_cycle(&edges).expect("a cycle");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4);
}

#[test]
fn grpc_codes_are_chosen_only_in_error_types_and_the_access_layer() {
    let constructors = [
        "Status::new(",
        "Status::with_",
        "Status::ok(",
        "Status::cancelled(",
        "Status::unknown(",
        "Status::invalid_argument(",
        "Status::deadline_exceeded(",
        "Status::not_found(",
        "Status::already_exists(",
        "Status::permission_denied(",
        "Status::resource_exhausted(",
        "Status::failed_precondition(",
        "Status::aborted(",
        "Status::out_of_range(",
        "Status::unimplemented(",
        "Status::internal(",
        "Status::unavailable(",
        "Status::data_loss(",
        "Status::unauthenticated(",
    ];
    let mut found = Vec::new();
    for krate in CRATES {
        let mut files = Vec::new();
        rust_files(&root().join(krate), &mut files);
        for file in files {
            let relative = file
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if STATUS_BUILDERS
                .iter()
                .any(|allowed| relative.starts_with(allowed))
            {
                continue;
            }
            let code = code_of(&std::fs::read_to_string(&file).unwrap());
            for line in code.lines() {
                if constructors.iter().any(|c| builds(line, c)) {
                    found.push(format!("{relative}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a gRPC status built outside error.rs and the access layer (add an error variant):\n{}",
        found.join("\n")
    );
}

/// Whether `line` calls `constructor` of `Status` itself (not of `CaseStatus`).
fn builds(line: &str, constructor: &str) -> bool {
    line.match_indices(constructor).any(|(at, _)| {
        !line[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}
