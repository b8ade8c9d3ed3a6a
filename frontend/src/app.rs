//! The application shell: top bar, routes, and the page-wide message regions.

use leptos::prelude::*;
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

use crate::{
    components::{
        icons::BrandMark,
        notices::{NoticeRegions, Notices},
    },
    pages::{companies::CompaniesPage, not_found::NotFoundPage},
};

#[component]
pub fn App() -> impl IntoView {
    provide_context(Notices::new());
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <div class="topbar__inner">
                    <A href="/" attr:class="brand">
                        <BrandMark />
                        <span class="brand__name">"Spendlens"</span>
                    </A>
                    <span class="topbar__tagline">"Relationship Manager Portal"</span>
                </div>
            </header>
            <main id="main" class="page" tabindex="-1">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/") view=CompaniesPage />
                </Routes>
            </main>
            <NoticeRegions />
        </Router>
    }
}
