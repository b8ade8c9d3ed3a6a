//! A modal dialog on the native `<dialog>` element, opened with `showModal()`.
//!
//! The browser makes the rest of the page inert and closes the dialog on Escape; this
//! component adds what the WAI-ARIA dialog pattern asks on top: the dialog is named
//! by its heading, focus moves onto that heading when it opens, and returns to the
//! control that opened it when it closes, however it closes.

use crate::reactive::effect;
use leptos::{html, prelude::*};
use wasm_bindgen::JsCast;

/// What the dialog's content uses to close it; provided to the children.
#[derive(Debug, Clone, Copy)]
pub struct DialogHandle {
    dialog: NodeRef<html::Dialog>,
}

impl DialogHandle {
    /// Closes the dialog; its `on_closed` runs next.
    pub fn close(&self) {
        // Already gone (closed with Escape while a request was in flight): nothing to do.
        if let Some(Some(dialog)) = self.dialog.try_get_untracked() {
            dialog.close();
        }
    }
}

/// A dialog's row of buttons: Cancel, which closes it, then `children`.
#[component]
pub fn DialogFooter(dialog: DialogHandle, children: Children) -> impl IntoView {
    view! {
        <footer class="dialog__footer">
            <button type="button" class="button" on:click=move |_| dialog.close()>
                "Cancel"
            </button>
            {children()}
        </footer>
    }
}

/// Opens as soon as it is mounted. The parent unmounts it in `on_closed`.
#[component]
pub fn ModalDialog(
    /// The id of the heading inside `children` that names the dialog; it takes the
    /// focus when the dialog opens, so give it `tabindex="-1"`.
    labelled_by: &'static str,
    /// Runs once the dialog has closed (Escape, or [`DialogHandle::close`]).
    on_closed: Callback<()>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    // The ⋮ button, usually: focus goes back there on close.
    let opener = StoredValue::new_local(document().active_element());
    provide_context(DialogHandle { dialog });

    effect(move || {
        let Some(element) = dialog.get() else {
            return;
        };
        if !element.open()
            && let Err(err) = element.show_modal()
        {
            leptos::logging::warn!("the dialog could not open: {err:?}");
            return;
        }
        let heading = element
            .query_selector(&format!("#{labelled_by}"))
            .ok()
            .flatten()
            .and_then(|heading| heading.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(heading) = heading {
            let _ = heading.focus();
        }
    });

    let on_close = move |_| {
        let opener = opener
            .try_get_value()
            .flatten()
            .and_then(|opener| opener.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(opener) = opener {
            let _ = opener.focus();
        }
        on_closed.run(());
    };

    view! {
        <dialog
            class=format!("dialog {class}")
            node_ref=dialog
            aria-modal="true"
            aria-labelledby=labelled_by
            on:close=on_close
        >
            {children()}
        </dialog>
    }
}
