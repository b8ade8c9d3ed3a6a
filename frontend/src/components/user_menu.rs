//! The top bar's account menu: who is signed in, in which organization and role,
//! the admin pages (for admins), and Sign out.
//!
//! The WAI-ARIA menu button pattern, as the rows' ⋮ menu (the keyboard and closing are
//! [`Popup`]'s). Who is signed in is shown above the menu (not as menu items: nothing
//! there can be chosen) and describes it.

use api_types::Session;
use domain::Role;
use leptos::{prelude::*, task::spawn_local};

use super::popover::{MENU_ITEMS, Popup, PopupKind};
use crate::{pages::admin::AdminSection, session::SessionContext};

const MENU_ID: &str = "account-menu";

/// How a role reads to a person.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => "Admin",
        Role::RelationshipManager => "Relationship manager",
    }
}

#[component]
pub fn UserMenu(session: Session) -> impl IntoView {
    let context = expect_context::<SessionContext>();
    let Session {
        user, organization, ..
    } = session;
    let popup = Popup::new(PopupKind::Menu, MENU_ITEMS);
    let open = popup.open;
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let sign_out = move || {
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            if let Err(err) = context.sign_out().await {
                let _ = failure.try_set(Some(err.message()));
                let _ = busy.try_set(false);
                let _ = open.try_set(true);
            }
        });
    };

    let name = user.name;
    let initials = initials(&name);
    let label = format!("{name}: account");
    let role = role_label(user.role);
    // Only admins get the admin pages' links (anyone else would find "Admins only").
    let is_admin = user.role == Role::Admin;
    let email = user.email;
    let organization = organization.name;
    view! {
        <div
            class="usermenu popup"
            node_ref=popup.container
            on:keydown=move |event| popup.on_keydown(event)
        >
            <span class="usermenu__org">{organization.clone()}</span>
            <button
                type="button"
                class="usermenu__trigger"
                node_ref=popup.trigger
                aria-label=label.clone()
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls=move || open.get().then_some(MENU_ID)
                on:click=move |_| popup.toggle()
            >
                // The initials are drawn from the attribute by style.css: decoration, not
                // text, so the button's visible text is the name its label starts with.
                <span class="usermenu__avatar" aria-hidden="true" data-initials=initials></span>
                <span class="usermenu__name">{name.clone()}</span>
                <span class="usermenu__chevron" aria-hidden="true">"▾"</span>
            </button>
            {move || open.get().then(|| view! {
                <div class="popup__panel usermenu__panel">
                    <div class="usermenu__who" id="account-menu-who">
                        <p class="usermenu__who-name">{name.clone()}</p>
                        <p class="usermenu__who-email">{email.clone()}</p>
                        <p class="usermenu__who-role">
                            {format!("{role} · {organization}")}
                        </p>
                    </div>
                    {move || failure.get().map(|message| view! {
                        <p class="usermenu__error" role="alert">{message}</p>
                    })}
                    <div
                        class="menu usermenu__menu"
                        role="menu"
                        id=MENU_ID
                        aria-label=label.clone()
                        aria-describedby="account-menu-who"
                        node_ref=popup.panel
                    >
                        {is_admin.then(|| {
                            AdminSection::ALL
                                .into_iter()
                                .map(|section| view! {
                                    <a
                                        class="menu__item"
                                        role="menuitem"
                                        tabindex="-1"
                                        href=section.path()
                                        on:click=move |_| open.set(false)
                                    >
                                        {section.title()}
                                    </a>
                                })
                                .collect_view()
                        })}
                        <button
                            type="button"
                            class="menu__item"
                            role="menuitem"
                            tabindex="-1"
                            aria-disabled=move || busy.get().then_some("true")
                            on:click=move |_| {
                                if !busy.get_untracked() {
                                    sign_out();
                                }
                            }
                        >
                            {move || if busy.get() { "Signing out…" } else { "Sign out" }}
                        </button>
                    </div>
                </div>
            })}
        </div>
    }
}

/// Up to two initials ("AM" for "Alex Morgan"), upper-cased by the browser: Rust's
/// Unicode case tables would add about 20 KB of wasm.
fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .collect();
    js_sys::JsString::from(letters).to_upper_case().into()
}
