//! The customer's app: the pages under `/connect/`, and nothing of the portal (no
//! session, no top bar, no in-place navigation: every link the customer follows, to
//! the accounting platform and back, loads a page).

use leptos::prelude::*;

use crate::pages::connect::{ConnectRoute, IncompleteLinkPage};

#[component]
pub fn CustomerApp() -> impl IntoView {
    let path = window().location().pathname().unwrap_or_default();
    match ConnectRoute::of(&path) {
        Some(route) => route.page(),
        // The server sends this app only for `/connect/…`: an address under it that is
        // none of its pages is a link cut short.
        None => view! { <IncompleteLinkPage /> }.into_any(),
    }
}
