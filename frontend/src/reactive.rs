//! One copy of leptos's generic reactive machinery for the whole app, where a copy per
//! closure would do the same.
//!
//! Rationale: `Effect::new` is generic over its closure, and each call instantiates the
//! effect's whole async loop (about 800 bytes of wasm) for that closure. Boxed behind
//! one closure type, every effect shares one instance (docs/benchmarks.md).

use leptos::prelude::*;

/// `Effect::new(move |_| run())`: runs `run` now and again whenever a signal it read
/// changes, until its owner is disposed.
pub fn effect(run: impl FnMut() + 'static) {
    let mut run: Box<dyn FnMut()> = Box::new(run);
    Effect::new(move |_: Option<()>| run());
}
