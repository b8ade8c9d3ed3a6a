//! The application shell and routes.
//!
//! Two audiences, two layouts: the relationship managers' portal (top bar, page-wide
//! message regions) and the customer's `/connect/:token` page, which stands alone.

use leptos::prelude::*;
use leptos_router::{
    components::{A, Outlet, ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    components::{
        icons::BrandMark,
        notices::{NoticeRegions, Notices},
    },
    pages::{
        companies::CompaniesPage, company::CompanyPage, connect::ConnectPage,
        not_found::NotFoundPage,
    },
};

#[component]
pub fn App() -> impl IntoView {
    provide_context(Notices::new());
    view! {
        <Router>
            <Routes fallback=|| view! { <PortalShell><NotFoundPage /></PortalShell> }>
                <Route path=path!("/connect/:token") view=ConnectPage />
                <ParentRoute path=path!("") view=PortalLayout>
                    <Route path=path!("") view=CompaniesPage />
                    <Route path=path!("/companies/:id") view=CompanyPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The portal's pages, in the portal's frame.
#[component]
fn PortalLayout() -> impl IntoView {
    view! {
        <PortalShell>
            <Outlet />
        </PortalShell>
    }
}

/// The relationship managers' frame: skip link, top bar, the page, message regions.
#[component]
fn PortalShell(children: Children) -> impl IntoView {
    view! {
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
            {children()}
        </main>
        <NoticeRegions />
    }
}
