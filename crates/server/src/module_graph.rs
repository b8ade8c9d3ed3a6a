//! ARCHITECTURE.md's rule for this library's modules, checked: they import one another
//! without cycles, so each has a place below the modules that use it. `routes/` counts
//! as one module (its `mod.rs` mounts every handler file, and nothing below may use
//! them). Comments are skipped: an intra-doc link may point anywhere.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

const SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The library's top-level modules, from `lib.rs`.
fn modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|line| {
            let name = line
                .strip_prefix("mod ")
                .or_else(|| line.strip_prefix("pub mod "))?;
            name.strip_suffix(';').map(str::to_owned)
        })
        .filter(|name| name != "module_graph")
        .collect()
}

/// The code of a module: its file, or every file of its directory.
fn source(module: &str) -> String {
    let file = format!("{SOURCES}/{module}.rs");
    if Path::new(&file).exists() {
        return std::fs::read_to_string(file).unwrap();
    }
    let mut files: Vec<_> = std::fs::read_dir(format!("{SOURCES}/{module}"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `source` without its `//` comments (doc comments included).
fn code(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            // `//` inside a string ("https://…") is code.
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules `code` uses through `crate::…` paths, `use crate::{…}` lists included.
fn uses(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut note = |segment: &str| {
        if modules.contains(segment) {
            used.insert(segment.to_owned());
        }
    };
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            // The first segment of every item at the top level of the list.
            let mut depth = 0;
            let mut item_start = true;
            let mut segment = String::new();
            for c in list.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        // A bare name (`secrets,`) ends at the comma.
                        if !segment.is_empty() {
                            note(&segment);
                            segment.clear();
                        }
                        item_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 && item_start {
                    if c.is_alphanumeric() || c == '_' {
                        segment.push(c);
                    } else if !segment.is_empty() {
                        note(&segment);
                        segment.clear();
                        item_start = false;
                    }
                }
            }
            if !segment.is_empty() {
                note(&segment);
            }
        } else {
            let segment: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            note(&segment);
        }
    }
    used
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let lib = std::fs::read_to_string(format!("{SOURCES}/lib.rs")).unwrap();
    let modules = modules(&lib);
    modules
        .iter()
        .map(|module| {
            let mut used = uses(&code(&source(module)), &modules);
            used.remove(module);
            (module.clone(), used)
        })
        .collect()
}

/// A cycle through `from`, as the path of modules, if there is one.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in &graph[last] {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn the_graph_is_read_from_the_sources() {
    let graph = graph();
    // Spot checks that the reader sees each kind of use: a path, a list, a directory.
    assert!(graph["openapi"].contains("routes"), "{graph:?}");
    assert!(graph["auth"].contains("state"), "{graph:?}");
    assert!(graph["auth"].contains("secrets"), "{graph:?}");
    // A bare name after another bare name in a list.
    assert!(graph["startup"].contains("openapi"), "{graph:?}");
    assert!(graph["routes"].contains("views"), "{graph:?}");
    // Only from a doc comment: not an import.
    assert!(!graph["fallback"].contains("error"), "{graph:?}");
}

#[test]
fn server_modules_import_each_other_without_cycles() {
    let graph = graph();
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|module| cycle_through(&graph, module))
        .map(|cycle| cycle.join(" -> "))
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles in crates/server/src: {cycles:#?}"
    );
}

#[test]
fn a_cycle_would_be_found() {
    let mut graph = graph();
    // state uses metrics; metrics using state back would close a loop.
    assert!(graph["state"].contains("metrics"));
    graph.get_mut("metrics").unwrap().insert("state".to_owned());
    assert!(cycle_through(&graph, "metrics").is_some());
}
