//! ⋮ → Request information: the email the contact will receive, previewed, then sent.

use api_types::{Company, Delivery, EmailPreview};
use leptos::{prelude::*, task::spawn_local};

use super::dialog::{DialogFooter, DialogHandle, ModalDialog};
use super::failure_alert::FailureAlert;
use crate::api;

const TITLE_ID: &str = "request-information-title";

#[component]
pub fn RequestInformationDialog(
    company: Company,
    /// The company has a request waiting on the customer, whose link a new one replaces.
    replaces_pending: bool,
    /// The request was sent (the dialog is closing).
    on_sent: Callback<()>,
    /// The dialog has closed, sent or not.
    on_closed: Callback<()>,
) -> impl IntoView {
    view! {
        <ModalDialog labelled_by=TITLE_ID on_closed class="dialog--email">
            <RequestInformation company replaces_pending on_sent />
        </ModalDialog>
    }
}

#[component]
fn RequestInformation(
    company: Company,
    replaces_pending: bool,
    on_sent: Callback<()>,
) -> impl IntoView {
    let dialog = expect_context::<DialogHandle>();
    let id = company.id;
    let preview = RwSignal::new(None::<Result<EmailPreview, String>>);
    let sending = RwSignal::new(false);
    let send_error = RwSignal::new(None::<String>);

    let load = move || {
        preview.set(None);
        spawn_local(async move {
            let loaded = api::preview_information_request(id)
                .await
                .map_err(|err| err.message());
            // The dialog may have closed meanwhile.
            let _ = preview.try_set(Some(loaded));
        });
    };
    load();

    let send = move |_| {
        sending.set(true);
        send_error.set(None);
        spawn_local(async move {
            match api::request_information(id, Delivery::Email).await {
                Ok(_) => {
                    on_sent.run(());
                    dialog.close();
                }
                Err(err) => {
                    let _ = send_error.try_set(Some(err.message()));
                    let _ = sending.try_set(false);
                }
            }
        });
    };
    let ready = move || preview.with(|preview| matches!(preview, Some(Ok(_))));

    view! {
        <header class="dialog__header">
            <h2 id=TITLE_ID class="dialog__title" tabindex="-1">
                {format!("Request information from {}", company.name)}
            </h2>
            <p class="dialog__lead">
                "This email asks the contact to share the requested data. Nothing is sent until you choose Send request."
            </p>
        </header>
        <div class="dialog__body">
            {move || match preview.get() {
                None => {
                    view! { <p class="dialog__hint" aria-busy="true">"Preparing the email…"</p> }
                        .into_any()
                }
                Some(Err(message)) => {
                    view! {
                        <div class="inline-alert" role="alert">
                            <p class="inline-alert__title">"The email could not be prepared."</p>
                            <p>{message}</p>
                            <button type="button" class="button" on:click=move |_| load()>
                                "Try again"
                            </button>
                        </div>
                    }
                        .into_any()
                }
                Some(Ok(email)) => view! { <EmailView email /> }.into_any(),
            }}
            {replaces_pending
                .then(|| {
                    view! {
                        <p class="dialog__note">
                            "A request is already waiting on this customer. Sending a new one replaces it: the earlier link stops working."
                        </p>
                    }
                })}
            <FailureAlert title="The request was not sent." failure=send_error />
        </div>
        <DialogFooter dialog>
            <button
                type="button"
                class="button button--primary"
                disabled=move || !ready() || sending.get()
                on:click=send
            >
                "Send request"
            </button>
        </DialogFooter>
    }
}

#[component]
fn EmailView(email: EmailPreview) -> impl IntoView {
    view! {
        <dl class="email-meta">
            <dt>"From"</dt>
            <dd>{email.from}</dd>
            <dt>"To"</dt>
            <dd data-testid="email-to">{email.to}</dd>
            <dt>"Subject"</dt>
            <dd data-testid="email-subject">{email.subject}</dd>
        </dl>
        <div class="email-body" role="region" aria-label="Email message" tabindex="0">
            {email.text}
        </div>
    }
}
