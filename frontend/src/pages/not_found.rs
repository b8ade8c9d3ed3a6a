//! Every path no route matches.

use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="not-found" aria-labelledby="not-found-title">
            <p class="not-found__code">"404"</p>
            <h1 id="not-found-title">"Page not found"</h1>
            <p>"The page you asked for does not exist, or it has moved."</p>
            <a href="/" class="button button--primary">
                "Go to companies"
            </a>
        </section>
    }
}
