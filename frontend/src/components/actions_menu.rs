//! A row's ⋮ menu, following the WAI-ARIA menu button pattern.
//!
//! The trigger opens a `role="menu"`; arrow keys, Home and End move between the
//! `role="menuitem"` entries, Enter or Space activates one, Escape or a click outside
//! closes the menu and returns focus to the trigger. Tab closes it and moves on.

use leptos::{ev::KeyboardEvent, html, prelude::*};

use super::popover::{close_on_outside_click, elements_in, focus};
use crate::reactive::memo;

/// One entry of the menu. The list is built by the page, so entries can be added
/// (request information, copy link, edit, delete) without touching the pattern.
#[derive(Clone)]
pub struct MenuAction {
    pub label: &'static str,
    pub on_select: Callback<()>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    First,
    Last,
    Next,
    Previous,
}

const ITEM_SELECTOR: &str = "[role=menuitem]";

#[component]
pub fn ActionsMenu(
    /// Names the trigger: "Actions for {company_name}".
    company_name: String,
    /// A document-unique id for the menu element.
    menu_id: String,
    actions: Vec<MenuAction>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let shown = memo(move || open.get());
    let container = NodeRef::<html::Div>::new();
    let trigger = NodeRef::<html::Button>::new();
    let menu = NodeRef::<html::Div>::new();
    close_on_outside_click(container, trigger, open);

    let move_focus = move |target: Target| {
        let Some(menu) = menu.get_untracked() else {
            return;
        };
        let items = elements_in(&menu, ITEM_SELECTOR);
        if items.is_empty() {
            return;
        }
        let last = items.len() - 1;
        let active = document().active_element();
        let current = items.iter().position(|item| {
            let item: &web_sys::Element = item;
            Some(item) == active.as_ref()
        });
        let index = match (target, current) {
            (Target::First, _) | (Target::Next, None) => 0,
            (Target::Last, _) | (Target::Previous, None) => last,
            (Target::Next, Some(index)) => {
                if index == last {
                    0
                } else {
                    index + 1
                }
            }
            (Target::Previous, Some(index)) => {
                if index == 0 {
                    last
                } else {
                    index - 1
                }
            }
        };
        let _ = items[index].focus();
    };
    let open_at = move |target: Target| {
        open.set(true);
        // The menu is mounted by the time the next frame is drawn.
        request_animation_frame(move || move_focus(target));
    };
    let close_and_return = move || {
        open.set(false);
        focus(trigger);
    };

    let on_trigger_click = move |_| {
        if open.get_untracked() {
            open.set(false);
        } else {
            open_at(Target::First);
        }
    };
    let on_trigger_keydown = move |event: KeyboardEvent| match event.key().as_str() {
        "ArrowDown" => {
            event.prevent_default();
            open_at(Target::First);
        }
        "ArrowUp" => {
            event.prevent_default();
            open_at(Target::Last);
        }
        "Escape" if open.get_untracked() => {
            event.prevent_default();
            open.set(false);
        }
        _ => {}
    };
    let on_menu_keydown = move |event: KeyboardEvent| {
        let target = match event.key().as_str() {
            "ArrowDown" => Target::Next,
            "ArrowUp" => Target::Previous,
            "Home" => Target::First,
            "End" => Target::Last,
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
        move_focus(target);
    };

    let label = format!("Actions for {company_name}");
    let controls = {
        let menu_id = menu_id.clone();
        move || open.get().then(|| menu_id.clone())
    };
    view! {
        <div class="popup" node_ref=container>
            <button
                type="button"
                class="icon-button icon-button--kebab"
                node_ref=trigger
                aria-label=label.clone()
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls=controls
                on:click=on_trigger_click
                on:keydown=on_trigger_keydown
            >
                <span aria-hidden="true">"⋮"</span>
            </button>
            // A memo, not `<Show>`: redrawn only when it opens or closes, in less wasm.
            {move || shown.get().then(|| view! {
                <div
                    class="popup__panel menu"
                    role="menu"
                    id=menu_id.clone()
                    aria-label=label.clone()
                    node_ref=menu
                    on:keydown=on_menu_keydown
                >
                    {actions
                        .iter()
                        .map(|action| {
                            let on_select = action.on_select;
                            view! {
                                <button
                                    type="button"
                                    class="menu__item"
                                    role="menuitem"
                                    tabindex="-1"
                                    on:click=move |_| {
                                        close_and_return();
                                        on_select.run(());
                                    }
                                >
                                    {action.label}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
            })}
        </div>
    }
}
