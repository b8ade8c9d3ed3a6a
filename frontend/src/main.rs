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
    leptos::mount::mount_to_body(app::App);
}
