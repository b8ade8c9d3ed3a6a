//! A row's ⋮ menu, following the WAI-ARIA menu button pattern.
//!
//! The trigger opens a `role="menu"` of `role="menuitem"` entries; Enter or Space
//! activates one. The keyboard and closing are [`Popup`]'s.

use leptos::prelude::*;

use super::popover::{MENU_ITEMS, Popup, PopupKind};
use crate::reactive::memo;

/// One entry of the menu. The list is built by the page, so entries can be added
/// (request information, copy link, edit, delete) without touching the pattern.
#[derive(Clone)]
pub struct MenuAction {
    pub label: &'static str,
    pub on_select: Callback<()>,
}

#[component]
pub fn ActionsMenu(
    /// Names the trigger: "Actions for {company_name}".
    company_name: String,
    /// A document-unique id for the menu element.
    menu_id: String,
    actions: Vec<MenuAction>,
) -> impl IntoView {
    let popup = Popup::new(PopupKind::Menu, MENU_ITEMS);
    let open = popup.open;
    let shown = memo(move || open.get());

    let label = format!("Actions for {company_name}");
    let controls = {
        let menu_id = menu_id.clone();
        move || open.get().then(|| menu_id.clone())
    };
    view! {
        <div class="popup" node_ref=popup.container on:keydown=move |event| popup.on_keydown(event)>
            <button
                type="button"
                class="icon-button icon-button--kebab"
                node_ref=popup.trigger
                aria-label=label.clone()
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls=controls
                on:click=move |_| popup.toggle()
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
                    node_ref=popup.panel
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
                                        popup.close_and_return();
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
