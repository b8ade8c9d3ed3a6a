//! Work that can wait: a part of a page drawn in a task of its own, after the task that
//! draws the rest ([`Later`]), and requests that start once the page's first frame has
//! been painted ([`after_paint`]).
//!
//! Rationale: a page drawn in one task is one long task of the browser's main thread, in
//! which a tap waits (hundreds of milliseconds on a slow phone: docs/benchmarks.md,
//! "Lighthouse"). What the person reads first is drawn first; the cards below it follow,
//! and so do the requests only they need.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

/// How long after drawing a frame the browser has shown it, in milliseconds, with room
/// to spare. Chromium's trace of the company page shows the frame with the company's
/// details 33 ms after it was drawn (its largest contentful paint); requests started
/// sooner could end before it, and Lighthouse then counts them in the page's LCP
/// (docs/benchmarks.md, "Lighthouse", session 18).
const SHOWN_AFTER: i32 = 50;

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

/// Resolves once what the current task drew is on the screen: [`SHOWN_AFTER`] after the
/// frame after next (the next frame draws it; the browser shows a drawn frame a few
/// frames later). A request the page's first paint does not need (a card's list below
/// the company's details, the bell's notifications) starts after it, so the first paint
/// waits for none of it, and its answer is not drawn in the same frame.
pub async fn after_paint() {
    let painted = js_sys::Promise::new(&mut |resolve, _| {
        let next_task = Closure::once_into_js({
            let resolve = resolve.clone();
            move || {
                let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
                    resolve.unchecked_ref(),
                    SHOWN_AFTER,
                );
            }
        });
        let second_frame = Closure::once_into_js(move || {
            let _ = window().request_animation_frame(next_task.unchecked_ref());
        });
        if window()
            .request_animation_frame(second_frame.unchecked_ref())
            .is_err()
        {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(painted).await;
}
