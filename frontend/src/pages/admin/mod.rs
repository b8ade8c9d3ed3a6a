//! `/admin/users`, `/admin/api-keys` and `/admin/audit`: the organization's people,
//! its API keys and its audit log. Admins only.
//!
//! The account menu links here only for admins. Anyone else who opens one of these
//! addresses sees an "Admins only" page, and so does an admin whose role was taken
//! away meanwhile (the API answers `403`).

mod api_keys;
mod audit;
mod users;

use domain::Role;
use leptos::prelude::*;

use crate::{api::ApiError, session::SessionContext};
use api_keys::ApiKeysSection;
use audit::AuditSection;
use users::UsersSection;

/// An admin page's table, labelled by the page's title: `columns` head it, `actions`
/// adds a last column for the rows' buttons (its heading only for screen readers).
///
/// A table wider than the screen scrolls inside its card; the card is a labelled,
/// focusable region so that the keyboard can scroll it too (the audit log's rows hold
/// nothing else to focus).
#[component]
fn AdminTable(
    /// Names the scrolling region (the table itself is named by the page's title).
    label: &'static str,
    columns: &'static [&'static str],
    #[prop(optional)] actions: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-card" role="region" aria-label=label tabindex="0">
            <table class="table" aria-labelledby="admin-title">
                <thead>
                    <tr>
                        {columns.iter().map(|column| view! { <th scope="col">{*column}</th> }).collect_view()}
                        {actions.then(|| view! {
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        })}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// The three admin pages, in the order of their tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminSection {
    Users,
    ApiKeys,
    Audit,
}

impl AdminSection {
    pub const ALL: [AdminSection; 3] = [
        AdminSection::Users,
        AdminSection::ApiKeys,
        AdminSection::Audit,
    ];

    pub fn path(self) -> &'static str {
        match self {
            AdminSection::Users => "/admin/users",
            AdminSection::ApiKeys => "/admin/api-keys",
            AdminSection::Audit => "/admin/audit",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            AdminSection::Users => "Users",
            AdminSection::ApiKeys => "API keys",
            AdminSection::Audit => "Audit log",
        }
    }

    /// The section at `segment` of `/admin/{segment}` (`/admin` alone is Users).
    pub fn at(segment: Option<&str>) -> Option<Self> {
        match segment {
            None | Some("users") => Some(AdminSection::Users),
            Some("api-keys") => Some(AdminSection::ApiKeys),
            Some("audit") => Some(AdminSection::Audit),
            Some(_) => None,
        }
    }
}

#[component]
pub fn AdminPage(section: AdminSection) -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let is_admin = session.user().is_some_and(|user| user.role == Role::Admin);
    if !is_admin {
        return view! { <AdminsOnly /> }.into_any();
    }
    let tabs = AdminSection::ALL
        .into_iter()
        .map(|tab| {
            view! {
                <a
                    class="admin-tabs__tab"
                    href=tab.path()
                    aria-current=(tab == section).then_some("page")
                >
                    {tab.title()}
                </a>
            }
        })
        .collect_view();
    view! {
        <section class="admin" aria-labelledby="admin-title">
            <div class="page-header">
                <h1 id="admin-title">{section.title()}</h1>
            </div>
            <nav class="admin-tabs" aria-label="Administration">{tabs}</nav>
            {match section {
                AdminSection::Users => view! { <UsersSection /> }.into_any(),
                AdminSection::ApiKeys => view! { <ApiKeysSection /> }.into_any(),
                AdminSection::Audit => view! { <AuditSection /> }.into_any(),
            }}
        </section>
    }
    .into_any()
}

/// What a relationship manager sees at an admin address.
#[component]
fn AdminsOnly() -> impl IntoView {
    view! {
        <section class="not-found" aria-labelledby="admins-only-title">
            <h1 id="admins-only-title">"Admins only"</h1>
            <p>
                "Users, API keys and the audit log are managed by your organization's admins. Ask an admin if something needs to change."
            </p>
            <a href="/" class="button button--primary">
                "Go to companies"
            </a>
        </section>
    }
}

/// A section's list could not be loaded: "Admins only" for a `403`, else why.
fn load_failure(what: &'static str, err: &ApiError) -> AnyView {
    if err.status() == Some(403) {
        return view! { <AdminsOnly /> }.into_any();
    }
    view! {
        <div class="panel panel--error" role="alert">
            <p class="panel__title">{format!("The {what} could not be loaded.")}</p>
            <p>{err.message()}</p>
        </div>
    }
    .into_any()
}
