//! A part of a page drawn in a task of its own, after the task that draws the rest.
//!
//! Rationale: a page drawn in one task is one long task of the browser's main thread, in
//! which a tap waits (hundreds of milliseconds on a slow phone: docs/benchmarks.md,
//! "Lighthouse"). What the person reads first is drawn first; the cards below it follow.

use std::time::Duration;

use leptos::prelude::*;

#[component]
pub fn Later(children: ChildrenFn) -> impl IntoView {
    let ready = RwSignal::new(false);
    set_timeout(
        move || {
            // The page may be gone by then.
            let _ = ready.try_set(true);
        },
        Duration::ZERO,
    );
    move || ready.get().then(|| children())
}
