//! The application shell and routes.
//!
//! Three audiences, three layouts: the relationship managers' portal (top bar with the
//! account menu, page-wide message regions; only with a session), the pages before
//! signing in (`/sign-in`, `/forgot-password`, the invitation and password reset
//! links: one card), and the customer's `/connect/:token` page, which stands alone.

use leptos::{either::Either, prelude::*};

use crate::nav::{path_segment, provide_location, use_location};
use crate::reactive::memo;
use crate::{
    components::{
        icons::BrandMark,
        later::Later,
        notices::{NoticeRegions, Notices},
        notification_bell::NotificationBell,
        user_menu::UserMenu,
    },
    pages::{
        account_link::{InvitationPage, ResetPasswordPage},
        admin::{AdminPage, AdminSection},
        companies::CompaniesPage,
        company::CompanyPage,
        not_found::NotFoundPage,
        sign_in::{ForgotPasswordPage, SessionPending, SignInPage},
    },
    session::{SessionContext, SessionKeeper, provide_session},
};

#[component]
pub fn App() -> impl IntoView {
    provide_context(Notices::new());
    provide_session();
    provide_location(portal_shows);
    view! {
        <SessionKeeper />
        <Pages />
    }
}

/// The admin pages' app (`/admin/…`): the portal's frame with those pages only. Every
/// other page, the company list included, is the portal's, which the browser loads.
#[component]
pub fn AdminApp() -> impl IntoView {
    provide_context(Notices::new());
    provide_session();
    provide_location(is_admin_path);
    let location = use_location();
    let page = Memo::new(move |_| match Route::of(&location.path()) {
        Route::Portal(page) => page,
        _ => PortalPage::NotFound,
    });
    view! {
        <SessionKeeper />
        <PortalLayout page render=admin_page />
    }
}

/// The admin pages' addresses: `/admin` and everything under it. The server sends them
/// the admin app's page (`admin.html`) when the build has one.
pub fn is_admin_path(path: &str) -> bool {
    path.strip_prefix("/admin")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The paths the portal's app shows itself: all but the other apps' (the customer's
/// pages and the admin pages), unless it was built with them.
fn portal_shows(path: &str) -> bool {
    (cfg!(feature = "customer-pages-in-portal") || !path.starts_with("/connect/"))
        && (cfg!(feature = "admin-pages-in-portal") || !is_admin_path(path))
}

/// A page of the portal's app.
fn portal_page(page: PortalPage) -> AnyView {
    match page {
        PortalPage::Companies => view! { <CompaniesPage /> }.into_any(),
        PortalPage::Company(id) => view! { <CompanyPage id /> }.into_any(),
        #[cfg(feature = "admin-pages-in-portal")]
        PortalPage::Admin(section) => view! { <AdminPage section /> }.into_any(),
        // Not shown here: the browser loads the admin app's page (`portal_shows`).
        #[cfg(not(feature = "admin-pages-in-portal"))]
        PortalPage::Admin(_) => view! { <NotFoundPage /> }.into_any(),
        PortalPage::NotFound => view! { <NotFoundPage /> }.into_any(),
    }
}

/// A page of the admin app.
fn admin_page(page: PortalPage) -> AnyView {
    match page {
        PortalPage::Admin(section) => view! { <AdminPage section /> }.into_any(),
        _ => view! { <NotFoundPage /> }.into_any(),
    }
}

/// Which page an address shows.
///
/// Rationale: a dozen paths, matched by hand. leptos_router's `<Routes>` matcher is
/// generic over the whole tuple of routes and cost about 50 KB of wasm; the rest of
/// leptos_router gave way to [`crate::nav`] later (docs/benchmarks.md).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    /// `/connect/…`: the customer's pages, when the portal has them (the
    /// `customer-pages-in-portal` feature, `trunk serve`); else the server sends them
    /// their own app, and the portal would say "not found".
    #[cfg(feature = "customer-pages-in-portal")]
    Connect(crate::pages::connect::ConnectRoute),
    SignIn,
    ForgotPassword,
    /// `/invitations/:token`
    Invitation(String),
    /// `/reset-password/:token`
    ResetPassword(String),
    /// Everything else needs a session and shows in the portal's frame.
    Portal(PortalPage),
}

/// The pages inside the portal's frame.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PortalPage {
    Companies,
    /// `/companies/:id` (the page says so when the id is not one).
    Company(String),
    /// `/admin/users`, `/admin/api-keys`, `/admin/audit`.
    Admin(AdminSection),
    NotFound,
}

impl Route {
    fn of(path: &str) -> Self {
        #[cfg(feature = "customer-pages-in-portal")]
        if let Some(connect) = crate::pages::connect::ConnectRoute::of(path) {
            return Route::Connect(connect);
        }
        let mut segments = path.strip_prefix('/').unwrap_or(path).split('/');
        let first = segments.next().unwrap_or_default();
        let second = segments.next().filter(|segment| !segment.is_empty());
        let rest = segments.next().is_some_and(|segment| !segment.is_empty());
        let param = path_segment;
        match (first, second, rest) {
            ("", None, false) => Route::Portal(PortalPage::Companies),
            ("sign-in", None, false) => Route::SignIn,
            ("forgot-password", None, false) => Route::ForgotPassword,
            ("invitations", Some(token), false) => Route::Invitation(param(token)),
            ("reset-password", Some(token), false) => Route::ResetPassword(param(token)),
            ("companies", Some(id), false) => Route::Portal(PortalPage::Company(param(id))),
            ("admin", section, false) => Route::Portal(
                AdminSection::at(section).map_or(PortalPage::NotFound, PortalPage::Admin),
            ),
            _ => Route::Portal(PortalPage::NotFound),
        }
    }
}

/// The page for the address: changes only when the route does, so the portal's frame
/// stays while its pages change.
#[component]
fn Pages() -> impl IntoView {
    let location = use_location();
    // Two memos over the path, each the only source of its view: the frame (which area,
    // with the portal's pages folded into one) and the portal's page. A view that read
    // one memo derived from the other missed changes (the derived one's recomputation
    // cleared the other before the view looked).
    let area = memo(move || match Route::of(&location.path()) {
        Route::Portal(_) => Route::Portal(PortalPage::NotFound),
        other => other,
    });
    let portal_page_at =
        Memo::new(
            move |previous: Option<&PortalPage>| match Route::of(&location.path()) {
                Route::Portal(page) => page,
                _ => previous.cloned().unwrap_or(PortalPage::NotFound),
            },
        );
    let flip = StoredValue::new(false);
    move || {
        let page = match area.get() {
            #[cfg(feature = "customer-pages-in-portal")]
            Route::Connect(route) => route.page(),
            Route::SignIn => view! { <SignInPage /> }.into_any(),
            Route::ForgotPassword => view! { <ForgotPasswordPage /> }.into_any(),
            Route::Invitation(token) => view! { <InvitationPage token /> }.into_any(),
            Route::ResetPassword(token) => view! { <ResetPasswordPage token /> }.into_any(),
            Route::Portal(_) => {
                view! { <PortalLayout page=portal_page_at render=portal_page /> }.into_any()
            }
        };
        fresh(flip, page)
    }
}

/// `page`, so that it replaces the page before it instead of updating it in place.
///
/// Rationale: an `AnyView` updates the one before it in place when both hold the same
/// type, and with `erase_components` two pages often do (the sign-in and forgot-password
/// pages are both an `AuthFrame`; two companies are both a `CompanyPage`). Pages read
/// their props once, so each new page is built afresh: alternating the side of an
/// `Either` makes it a new view.
fn fresh(flip: StoredValue<bool>, page: AnyView) -> Either<AnyView, AnyView> {
    flip.update_value(|flip| *flip = !*flip);
    if flip.get_value() {
        Either::Left(page)
    } else {
        Either::Right(page)
    }
}

/// The portal's pages, in the portal's frame, once someone is signed in. Until the
/// session is known the frame shows with a spinner (as index.html's shell did before
/// the app mounted); without a session the session keeper sends the person to the
/// sign-in page.
#[component]
fn PortalLayout(page: Memo<PortalPage>, render: fn(PortalPage) -> AnyView) -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let signed_in = memo(move || session.is_signed_in());
    let flip = StoredValue::new(false);
    let frame_flip = StoredValue::new(false);
    move || {
        // The signed-in frame replaces the waiting one (new elements) rather than
        // updating it in place: the page arrives as new content, in one frame. (On a
        // phone the top bar is taller once its menus are in: style.css could give it
        // that height from the start.)
        let frame = if signed_in.get() {
            view! {
                <PortalShell signed_in=true>
                    // The page in the next task: the frame and the page were one long task.
                    <Later>
                        {move || fresh(flip, render(page.get()))}
                    </Later>
                </PortalShell>
            }
            .into_any()
        } else {
            view! {
                <PortalShell signed_in=false>
                    <SessionPending />
                </PortalShell>
            }
            .into_any()
        };
        fresh(frame_flip, frame)
    }
}

/// The relationship managers' frame: skip link, top bar, the page, message regions.
/// With `signed_in`, the top bar has the bell and the user's menu.
#[component]
fn PortalShell(signed_in: bool, children: Children) -> impl IntoView {
    let session = expect_context::<SessionContext>();
    // Redrawn only when the session itself changes, not on every write of the state.
    // The waiting frame never has them: in the task the session arrives it would draw
    // them too (and the bell would fetch its notifications) just before it is replaced.
    let signed_in = memo(move || if signed_in { session.session() } else { None });
    let location = use_location();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <div class="topbar__inner">
                // Marked as the current page on the company list, as leptos_router's `<A>` did.
                <a
                    href="/"
                    class="brand"
                    aria-current=move || (location.path() == "/").then_some("page")
                >
                    <BrandMark />
                    <span class="brand__name">"Spendlens"</span>
                </a>
                <span class="topbar__tagline">"Relationship Manager Portal"</span>
                // In a task of their own, after the frame (components/later.rs).
                {move || signed_in.get().map(|session| view! {
                    <Later>
                        <NotificationBell />
                        <UserMenu session=session.clone() />
                    </Later>
                })}
            </div>
        </header>
        <main id="main" class="page" tabindex="-1">
            {children()}
        </main>
        <NoticeRegions />
    }
}
