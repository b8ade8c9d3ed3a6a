//! Spendlens's web app: a Leptos single-page app rendered in the browser, talking to
//! the JSON API of the same origin. Three binaries start it:
//! - `frontend` (`src/main.rs`), the portal: every page but the customer's and the
//!   admin pages, which it has too with the `customer-pages-in-portal` and
//!   `admin-pages-in-portal` features (what `trunk serve` builds);
//! - `customer` (`src/bin/customer.rs`), only the customer's pages under `/connect/`:
//!   the page a client opens from the bank's email, on a phone as often as not, loads
//!   a third of the portal's code (`crates/web-build` builds every binary; the server
//!   sends its page for `/connect/…`);
//! - `admin` (`src/bin/admin.rs`), only the admin pages under `/admin/`, in the
//!   portal's frame: the portal, which every relationship manager loads, goes without
//!   them (the `admin-pages-in-portal` feature puts them back, for `trunk serve`).
//!
//! Architecture invariant: the wire types come from `api-types` and the vocabulary
//! from `domain`, shared with the server; nothing here redefines them. Only
//! [`api`] speaks HTTP.

mod api;
mod app;
mod clipboard;
mod components;
mod customer;
mod decode;
mod live_status;
mod loader;
mod nav;
mod pages;
mod reactive;
mod session;

/// Starts the portal: every page.
pub fn start_portal() {
    remove_shell();
    leptos::mount::mount_to_body(app::App);
}

/// Starts the admin pages' app: the pages under `/admin/` only, in the portal's frame.
pub fn start_admin() {
    remove_shell();
    leptos::mount::mount_to_body(app::AdminApp);
}

/// Starts the customer's app: the pages under `/connect/` only.
pub fn start_customer() {
    remove_shell();
    leptos::mount::mount_to_body(customer::CustomerApp);
}

/// The static shell of index.html stands in while the wasm loads; the app's first
/// frame takes its place in the same task, so nothing blank is drawn between them.
fn remove_shell() {
    if let Some(shell) = leptos::prelude::document().get_element_by_id("shell") {
        shell.remove();
    }
}
