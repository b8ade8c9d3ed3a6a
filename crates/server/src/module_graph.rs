//! ARCHITECTURE.md's rule for this library's modules, checked: they import one another
//! without cycles, so each has a place below the modules that use it. `routes/` counts
//! as one module (its `mod.rs` mounts every handler file, and nothing below may use
//! them).

use std::path::Path;

use module_graph::ModuleGraph;

fn graph() -> ModuleGraph {
    ModuleGraph::read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &["module_graph"],
    )
}

#[test]
fn server_modules_import_each_other_without_cycles() {
    let graph = graph();
    // The reader sees this crate's kinds of use: a path, a list, a directory.
    assert!(graph["openapi"].contains("routes"), "{graph:?}");
    assert!(graph["auth"].contains("secrets"), "{graph:?}");
    assert!(graph["routes"].contains("views"), "{graph:?}");
    // Only from a doc comment: not an import.
    assert!(!graph["fallback"].contains("error"), "{graph:?}");
    let cycles = graph.cycles();
    assert!(
        cycles.is_empty(),
        "import cycles in crates/server/src: {cycles:#?}"
    );
}

#[test]
fn a_cycle_in_the_server_would_be_found() {
    let mut graph = graph();
    // state uses metrics; metrics using state back would close a loop.
    assert!(graph["state"].contains("metrics"));
    graph.add_use("metrics", "state");
    assert!(graph.cycle_through("metrics").is_some());
}
