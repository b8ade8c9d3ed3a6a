//! The application shell and routes.
//!
//! Three audiences, three layouts: the relationship managers' portal (top bar with the
//! account menu, page-wide message regions; only with a session), the pages before
//! signing in (`/sign-in`, `/forgot-password`, the invitation and password reset
//! links: one card), and the customer's `/connect/:token` page, which stands alone.

use leptos::prelude::*;
use leptos_router::{
    components::{A, Outlet, ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    components::{
        icons::BrandMark,
        notices::{NoticeRegions, Notices},
        user_menu::UserMenu,
    },
    pages::{
        account_link::{InvitationPage, ResetPasswordPage},
        companies::CompaniesPage,
        company::CompanyPage,
        connect::ConnectPage,
        not_found::NotFoundPage,
        sign_in::{ForgotPasswordPage, SessionPending, SignInPage},
    },
    session::{SessionContext, SessionKeeper, provide_session},
};

#[component]
pub fn App() -> impl IntoView {
    provide_context(Notices::new());
    provide_session();
    view! {
        <Router>
            <SessionKeeper />
            <Routes fallback=|| view! { <PortalShell><NotFoundPage /></PortalShell> }>
                <Route path=path!("/connect/:token") view=ConnectPage />
                <Route path=path!("/sign-in") view=SignInPage />
                <Route path=path!("/forgot-password") view=ForgotPasswordPage />
                <Route path=path!("/invitations/:token") view=InvitationPage />
                <Route path=path!("/reset-password/:token") view=ResetPasswordPage />
                <ParentRoute path=path!("") view=PortalLayout>
                    <Route path=path!("") view=CompaniesPage />
                    <Route path=path!("/companies/:id") view=CompanyPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The portal's pages, in the portal's frame, once someone is signed in. Until the
/// session is known the page stays quiet; without one the session keeper sends the
/// person to the sign-in page.
#[component]
fn PortalLayout() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let signed_in = Memo::new(move |_| session.is_signed_in());
    move || {
        if signed_in.get() {
            view! {
                <PortalShell>
                    <Outlet />
                </PortalShell>
            }
            .into_any()
        } else {
            view! { <SessionPending /> }.into_any()
        }
    }
}

/// The relationship managers' frame: skip link, top bar, the page, message regions.
#[component]
fn PortalShell(children: Children) -> impl IntoView {
    let session = expect_context::<SessionContext>();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <div class="topbar__inner">
                <A href="/" attr:class="brand">
                    <BrandMark />
                    <span class="brand__name">"Spendlens"</span>
                </A>
                <span class="topbar__tagline">"Relationship Manager Portal"</span>
                {move || session.session().map(|session| view! { <UserMenu session /> })}
            </div>
        </header>
        <main id="main" class="page" tabindex="-1">
            {children()}
        </main>
        <NoticeRegions />
    }
}
