//! The top bar's account menu: who is signed in, in which organization and role,
//! the admin pages (for admins), and Sign out.
//!
//! The WAI-ARIA menu button pattern, as the rows' ⋮ menu: the trigger opens a
//! `role="menu"` and focus moves to its first item; arrow keys, Home and End move
//! between items; Escape or a click outside closes it and focus returns to the
//! trigger; Tab closes it and moves on. Who is signed in is shown above the menu
//! (not as menu items: nothing there can be chosen) and describes it.

use api_types::Session;
use domain::Role;
use leptos::{ev::KeyboardEvent, html, prelude::*, task::spawn_local};

use super::popover::{close_on_outside_click, elements_in, focus};
use crate::{pages::admin::AdminSection, session::SessionContext};

const ITEM_SELECTOR: &str = "[role=menuitem]";
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
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let container = NodeRef::<html::Div>::new();
    let trigger = NodeRef::<html::Button>::new();
    let menu = NodeRef::<html::Div>::new();
    close_on_outside_click(container, trigger, open);

    // `step` moves from the focused item: 0 to the first, -1 to the last (from
    // nowhere), +1/-1 to the next/previous, wrapping.
    let move_focus = move |step: isize, absolute: bool| {
        let Some(menu) = menu.get_untracked() else {
            return;
        };
        let items = elements_in(&menu, ITEM_SELECTOR);
        let Some(last) = items.len().checked_sub(1) else {
            return;
        };
        let active = document().active_element();
        let current = items.iter().position(|item| {
            let item: &web_sys::Element = item;
            Some(item) == active.as_ref()
        });
        let index = match (absolute, current) {
            (true, _) | (false, None) => {
                if step < 0 {
                    last
                } else {
                    0
                }
            }
            (false, Some(index)) => {
                let count = items.len() as isize;
                ((index as isize + step).rem_euclid(count)) as usize
            }
        };
        let _ = items[index].focus();
    };
    let open_at = move |step: isize| {
        open.set(true);
        request_animation_frame(move || move_focus(step, true));
    };
    let close_and_return = move || {
        open.set(false);
        focus(trigger);
    };
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

    let on_trigger_keydown = move |event: KeyboardEvent| match event.key().as_str() {
        "ArrowDown" => {
            event.prevent_default();
            open_at(0);
        }
        "ArrowUp" => {
            event.prevent_default();
            open_at(-1);
        }
        "Escape" if open.get_untracked() => {
            event.prevent_default();
            open.set(false);
        }
        _ => {}
    };
    let on_menu_keydown = move |event: KeyboardEvent| {
        let (step, absolute) = match event.key().as_str() {
            "ArrowDown" => (1, false),
            "ArrowUp" => (-1, false),
            "Home" => (0, true),
            "End" => (-1, true),
            "Escape" => {
                event.prevent_default();
                event.stop_propagation();
                close_and_return();
                return;
            }
            "Tab" => {
                open.set(false);
                return;
            }
            _ => return,
        };
        event.prevent_default();
        move_focus(step, absolute);
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
        <div class="usermenu popup" node_ref=container>
            <span class="usermenu__org">{organization.clone()}</span>
            <button
                type="button"
                class="usermenu__trigger"
                node_ref=trigger
                aria-label=label.clone()
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls=move || open.get().then_some(MENU_ID)
                on:click=move |_| if open.get_untracked() { open.set(false) } else { open_at(0) }
                on:keydown=on_trigger_keydown
            >
                <span class="usermenu__avatar" aria-hidden="true">{initials}</span>
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
                        node_ref=menu
                        on:keydown=on_menu_keydown
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
