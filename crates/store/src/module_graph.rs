//! ARCHITECTURE.md's rule for this crate's modules, checked: they import one another
//! without cycles, so each has a place below the modules that use it.

use std::collections::{BTreeMap, BTreeSet};

const SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The modules of the crate (one file each, `entities/` aside), from `lib.rs`.
fn modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|line| {
            let name = line
                .strip_prefix("mod ")
                .or_else(|| line.strip_prefix("pub mod "))?;
            name.strip_suffix(';').map(str::to_owned)
        })
        // Entities are leaves (no queries); this module is the check itself.
        .filter(|name| name != "entities" && name != "module_graph")
        .collect()
}

/// The names `lib.rs` re-exports, with the module each comes from: `crate::NewEmail`
/// is a use of `emails`.
fn reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for item in lib.split("pub use ").skip(1) {
        let item = &item[..item.find(';').unwrap_or(item.len())];
        let Some((module, rest)) = item.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        for name in rest.split(|c: char| "{},".contains(c) || c.is_whitespace()) {
            if !name.is_empty() && name != "as" {
                names.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    names
}

/// The modules `source` uses through `crate::…` paths, `use crate::{…}` lists included.
fn uses(
    source: &str,
    modules: &BTreeSet<String>,
    names: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut note = |segment: &str| {
        if modules.contains(segment) {
            used.insert(segment.to_owned());
        } else if let Some(module) = names.get(segment) {
            used.insert(module.clone());
        }
    };
    for (at, _) in source.match_indices("crate::") {
        let rest = &source[at + "crate::".len()..];
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
    let names = reexports(&lib, &modules);
    modules
        .iter()
        .map(|module| {
            let source = std::fs::read_to_string(format!("{SOURCES}/{module}.rs")).unwrap();
            let mut used = uses(&source, &modules, &names);
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
    // Spot checks that the reader sees each kind of use: a path, a list, a re-export.
    assert!(graph["jobs"].contains("company_status"), "{graph:?}");
    assert!(graph["jobs"].contains("reports"), "{graph:?}");
    assert!(graph["dispatch"].contains("emails"), "{graph:?}");
    assert!(
        graph["jobs"].contains("audit"),
        "AuditRecord is audit's: {graph:?}"
    );
    // A name right after another in a list (`Store, AuditRecord`) counts too.
    let lib = std::fs::read_to_string(format!("{SOURCES}/lib.rs")).unwrap();
    let modules = modules(&lib);
    let names = reexports(&lib, &modules);
    let used = uses("use crate::{jobs, reports, emails::x};", &modules, &names);
    assert_eq!(used.len(), 3, "{used:?}");
}

#[test]
fn store_modules_import_each_other_without_cycles() {
    let graph = graph();
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|module| cycle_through(&graph, module))
        .map(|cycle| cycle.join(" -> "))
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles in crates/store/src: {cycles:#?}"
    );
}

#[test]
fn a_cycle_would_be_found() {
    let mut graph = graph();
    // jobs uses reports; reports using jobs back would close a loop.
    assert!(graph["jobs"].contains("reports"));
    graph.get_mut("reports").unwrap().insert("jobs".to_owned());
    assert!(cycle_through(&graph, "reports").is_some());
}
