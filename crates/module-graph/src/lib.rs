//! Which top-level modules of a crate use which, read from its sources, and the import
//! cycles among them. The store's and the server's tests use it to check
//! ARCHITECTURE.md's rule that their modules import one another without cycles (a
//! module two others need sits below both).
//!
//! It reads text, not the compiler's view: a module is a file `src/{name}.rs` or a
//! directory `src/{name}/` (read as one module) declared in `lib.rs`; a use is a
//! `crate::name` path outside `//` comments, or a name `lib.rs` re-exports from a module
//! (`crate::NewEmail` is a use of `emails` when `lib.rs` says `pub use emails::NewEmail`).

use std::{
    collections::{BTreeMap, BTreeSet},
    ops::Index,
    path::Path,
};

/// The top-level modules of a crate and the modules each uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleGraph {
    uses: BTreeMap<String, BTreeSet<String>>,
}

impl ModuleGraph {
    /// Reads the crate whose sources are in `src`, leaving out the modules named in
    /// `skip` (leaves without code, or the check itself).
    ///
    /// # Panics
    /// When a source cannot be read: the check cannot be made.
    pub fn read(src: &Path, skip: &[&str]) -> Self {
        let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs is readable");
        let modules: BTreeSet<String> = declared_modules(&lib)
            .into_iter()
            .filter(|module| !skip.contains(&module.as_str()))
            .collect();
        let names = reexports(&lib, &modules);
        let uses = modules
            .iter()
            .map(|module| {
                let mut used = uses(&code(&source(src, module)), &modules, &names);
                used.remove(module);
                (module.clone(), used)
            })
            .collect();
        Self { uses }
    }

    /// Makes `from` use `to` (a test that a cycle would be found).
    pub fn add_use(&mut self, from: &str, to: &str) {
        self.uses
            .entry(from.to_owned())
            .or_default()
            .insert(to.to_owned());
    }

    /// Every cycle, one per module it goes through, as `a -> b -> a`.
    pub fn cycles(&self) -> Vec<String> {
        self.uses
            .keys()
            .filter_map(|module| self.cycle_through(module))
            .map(|cycle| cycle.join(" -> "))
            .collect()
    }

    /// A cycle through `from`, as the path of modules, if there is one.
    pub fn cycle_through(&self, from: &str) -> Option<Vec<String>> {
        let mut stack = vec![vec![from.to_owned()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let last = path.last().expect("a path is never empty");
            for next in self.uses.get(last).into_iter().flatten() {
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
}

impl Index<&str> for ModuleGraph {
    type Output = BTreeSet<String>;

    /// The modules `module` uses.
    fn index(&self, module: &str) -> &Self::Output {
        &self.uses[module]
    }
}

/// The modules `lib.rs` declares (`mod x;`, `pub mod x;`).
fn declared_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|line| {
            let name = line
                .strip_prefix("mod ")
                .or_else(|| line.strip_prefix("pub mod "))?;
            name.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// The names `lib.rs` re-exports, with the module each comes from.
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

/// The code of a module: its file, or every file of its directory.
fn source(src: &Path, module: &str) -> String {
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        return std::fs::read_to_string(file).expect("a module's file is readable");
    }
    let mut files: Vec<_> = std::fs::read_dir(src.join(module))
        .expect("a module is a file or a directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("a module's file is readable"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `source` without its `//` comments (doc comments included): an intra-doc link may
/// point anywhere.
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
fn uses(
    code: &str,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn modules() -> BTreeSet<String> {
        ["jobs", "reports", "emails", "audit"]
            .map(str::to_owned)
            .into()
    }

    #[test]
    fn paths_lists_bare_names_and_reexports_are_uses() {
        let names = reexports(
            "pub use audit::{AuditRecord, Actor as AuditActor};",
            &modules(),
        );
        let code = code(
            "use crate::{jobs, reports::Stored, AuditActor};\n\
             fn f() { crate::emails::queued(); }",
        );
        assert_eq!(
            uses(&code, &modules(), &names),
            modules(),
            "a bare name after another, a path in a list, a re-export, a path"
        );
    }

    #[test]
    fn comments_are_not_uses_but_urls_in_strings_are_code() {
        let code = code(
            "/// See [`crate::jobs`].\n\
             const URL: &str = \"https://x\"; fn f() { crate::reports::g(); }",
        );
        let used = uses(&code, &modules(), &BTreeMap::new());
        assert_eq!(used, BTreeSet::from(["reports".to_owned()]));
    }

    #[test]
    fn a_cycle_is_found_and_a_chain_is_not() {
        let mut graph = ModuleGraph {
            uses: BTreeMap::new(),
        };
        graph.add_use("jobs", "reports");
        graph.add_use("reports", "emails");
        assert!(graph.cycles().is_empty());
        graph.add_use("emails", "jobs");
        assert_eq!(
            graph.cycle_through("jobs"),
            Some(
                ["jobs", "reports", "emails", "jobs"]
                    .map(str::to_owned)
                    .to_vec()
            )
        );
    }
}
