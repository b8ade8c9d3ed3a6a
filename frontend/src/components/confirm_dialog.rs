//! A yes-or-no question before something that can't be taken back: Deactivate a user,
//! Revoke an API key, Delete a company.

use leptos::prelude::*;

use super::dialog::{DialogFooter, DialogHandle, ModalDialog};
use super::failure_alert::FailureAlert;

/// Handed to the confirm button's callback, to end the question either way.
#[derive(Clone, Copy)]
pub struct Confirmation {
    dialog: DialogHandle,
    busy: RwSignal<bool>,
    failure: RwSignal<Option<String>>,
}

impl Confirmation {
    /// Done (or handed on): the dialog closes.
    pub fn close(self) {
        self.dialog.close();
    }

    /// Refused: the dialog stays open with the reason, and the button works again.
    pub fn fail(self, message: String) {
        let _ = self.failure.try_set(Some(message));
        let _ = self.busy.try_set(false);
    }
}

#[component]
pub fn ConfirmDialog(
    /// The id of the dialog's title.
    #[prop(default = "confirm-title")]
    title_id: &'static str,
    title: String,
    text: String,
    /// The confirm button's label.
    confirm: &'static str,
    /// Runs when the person confirms; the button is disabled until it calls
    /// [`Confirmation::close`] or [`Confirmation::fail`].
    on_confirm: Callback<Confirmation>,
    /// Heads the reason given to [`Confirmation::fail`].
    #[prop(optional)]
    failure_title: &'static str,
    on_closed: Callback<()>,
) -> impl IntoView {
    view! {
        <ModalDialog labelled_by=title_id on_closed class="dialog--confirm">
            <ConfirmBody title_id title text confirm on_confirm failure_title />
        </ModalDialog>
    }
}

#[component]
fn ConfirmBody(
    title_id: &'static str,
    title: String,
    text: String,
    confirm: &'static str,
    on_confirm: Callback<Confirmation>,
    failure_title: &'static str,
) -> impl IntoView {
    let dialog = expect_context::<DialogHandle>();
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let confirmed = move |_| {
        busy.set(true);
        failure.set(None);
        on_confirm.run(Confirmation {
            dialog,
            busy,
            failure,
        });
    };
    view! {
        <header class="dialog__header">
            <h2 id=title_id class="dialog__title" tabindex="-1">
                {title}
            </h2>
        </header>
        <div class="dialog__body">
            <p>{text}</p>
            <FailureAlert title=failure_title failure />
        </div>
        <DialogFooter dialog>
            <button
                type="button"
                class="button button--danger"
                disabled=move || busy.get()
                on:click=confirmed
            >
                {confirm}
            </button>
        </DialogFooter>
    }
}
