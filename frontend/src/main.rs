//! Spendlens's portal: a Leptos single-page app rendered in the browser, talking to
//! the JSON API of the same origin.
//!
//! Architecture invariant: the wire types come from `api-types` and the vocabulary
//! from `domain`, shared with the server; nothing here redefines them. Only
//! [`api`] speaks HTTP.

mod api;
mod app;
mod clipboard;
mod components;
mod decode;
mod live_status;
mod loader;
mod nav;
mod pages;
mod reactive;
mod session;

fn main() {
    // The static shell of index.html stands in while the wasm loads; the app's first
    // frame takes its place in the same task, so nothing blank is drawn between them.
    if let Some(shell) = leptos::prelude::document().get_element_by_id("shell") {
        shell.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
