//! ⋮ → Delete company: a confirmation, then `DELETE /companies/{id}`.

use api_types::Company;
use leptos::{prelude::*, task::spawn_local};

use super::confirm_dialog::{ConfirmDialog, Confirmation};
use crate::api;

#[component]
pub fn DeleteCompanyDialog(
    company: Company,
    /// The company is gone (the dialog is closing).
    on_deleted: Callback<Company>,
    on_closed: Callback<()>,
) -> impl IntoView {
    let name = company.name.clone();
    let company = StoredValue::new(company);
    let delete = Callback::new(move |confirmation: Confirmation| {
        let company = company.get_value();
        spawn_local(async move {
            match api::delete_company(company.id).await {
                Ok(()) => {
                    on_deleted.run(company);
                    confirmation.close();
                }
                Err(err) => confirmation.fail(err.message()),
            }
        });
    });
    view! {
        <ConfirmDialog
            title_id="delete-company-title"
            title=format!("Delete {name}?")
            text=format!(
                "This removes {name} and all its data: its reports, refresh history and information requests. Links already sent to its contact stop working. This can't be undone.",
            )
            confirm="Delete company"
            on_confirm=delete
            failure_title="The company was not deleted."
            on_closed
        />
    }
}
