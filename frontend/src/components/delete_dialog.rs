//! ⋮ → Delete company: a confirmation, then `DELETE /companies/{id}`.

use api_types::Company;
use leptos::{prelude::*, task::spawn_local};

use super::dialog::{DialogHandle, ModalDialog};
use crate::api;

const TITLE_ID: &str = "delete-company-title";

#[component]
pub fn DeleteCompanyDialog(
    company: Company,
    /// The company is gone (the dialog is closing).
    on_deleted: Callback<Company>,
    on_closed: Callback<()>,
) -> impl IntoView {
    view! {
        <ModalDialog labelled_by=TITLE_ID on_closed class="dialog--confirm">
            <ConfirmDelete company on_deleted />
        </ModalDialog>
    }
}

#[component]
fn ConfirmDelete(company: Company, on_deleted: Callback<Company>) -> impl IntoView {
    let dialog = expect_context::<DialogHandle>();
    let deleting = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let name = company.name.clone();
    let company = StoredValue::new(company);
    let delete = move |_| {
        deleting.set(true);
        failure.set(None);
        let company = company.get_value();
        spawn_local(async move {
            match api::delete_company(company.id).await {
                Ok(()) => {
                    on_deleted.run(company);
                    dialog.close();
                }
                Err(err) => {
                    let _ = failure.try_set(Some(err.message()));
                    let _ = deleting.try_set(false);
                }
            }
        });
    };
    view! {
        <header class="dialog__header">
            <h2 id=TITLE_ID class="dialog__title" tabindex="-1">
                {format!("Delete {name}?")}
            </h2>
        </header>
        <div class="dialog__body">
            <p>
                {format!(
                    "This removes {name} and all its data: its reports, refresh history and information requests. Links already sent to its contact stop working. This can't be undone.",
                )}
            </p>
            {move || {
                failure
                    .get()
                    .map(|message| {
                        view! {
                            <div class="inline-alert" role="alert">
                                <p class="inline-alert__title">"The company was not deleted."</p>
                                <p>{message}</p>
                            </div>
                        }
                    })
            }}
        </div>
        <footer class="dialog__footer">
            <button type="button" class="button" on:click=move |_| dialog.close()>
                "Cancel"
            </button>
            <button
                type="button"
                class="button button--danger"
                disabled=move || deleting.get()
                on:click=delete
            >
                "Delete company"
            </button>
        </footer>
    }
}
