//! ARCHITECTURE.md's rule for this crate's modules, checked: they import one another
//! without cycles, so each has a place below the modules that use it.

use std::path::Path;

use module_graph::ModuleGraph;

fn graph() -> ModuleGraph {
    // Entities are leaves (no queries); this module is the check itself.
    ModuleGraph::read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &["entities", "module_graph"],
    )
}

#[test]
fn store_modules_import_each_other_without_cycles() {
    let graph = graph();
    // The reader sees this crate's kinds of use: a path, a list, a re-export.
    assert!(graph["jobs"].contains("company_status"), "{graph:?}");
    assert!(graph["dispatch"].contains("emails"), "{graph:?}");
    assert!(
        graph["jobs"].contains("audit"),
        "AuditRecord is audit's: {graph:?}"
    );
    let cycles = graph.cycles();
    assert!(
        cycles.is_empty(),
        "import cycles in crates/store/src: {cycles:#?}"
    );
}

#[test]
fn a_cycle_in_the_store_would_be_found() {
    let mut graph = graph();
    // jobs uses reports; reports using jobs back would close a loop.
    assert!(graph["jobs"].contains("reports"));
    graph.add_use("reports", "jobs");
    assert!(graph.cycle_through("reports").is_some());
}
