//! One copy of leptos's generic reactive machinery for the whole app, where a copy per
//! closure would do the same.
//!
//! Rationale: `Effect::new` and `Memo::new` are generic over their closure, and each
//! call instantiates leptos's code for that closure (for an effect, its whole async
//! loop: about 800 bytes of wasm). Boxed behind one closure type, every effect shares
//! one instance, and every memo one per value type (docs/benchmarks.md).

use leptos::prelude::*;

/// `Effect::new(move |_| run())`: runs `run` now and again whenever a signal it read
/// changes, until its owner is disposed.
pub fn effect(run: impl FnMut() + 'static) {
    let mut run: Box<dyn FnMut()> = Box::new(run);
    Effect::new(move |_: Option<()>| run());
}

/// `Memo::new(move |_| compute())`: the memo's wrapper closure is instantiated once per
/// value type instead of once per closure.
pub fn memo<T>(compute: impl Fn() -> T + Send + Sync + 'static) -> Memo<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let compute: Box<dyn Fn() -> T + Send + Sync> = Box::new(compute);
    Memo::new(move |_| compute())
}
