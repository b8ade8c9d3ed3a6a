//! One company's row: its details, status, reports and ⋮ menu.

use domain::DataType;
use leptos::prelude::*;

use super::selection::Selection;
use crate::components::{
    actions_menu::{ActionsMenu, MenuAction},
    reports_menu::ReportsMenu,
    status::StatusCell,
};
use crate::live_status::CompanyRow;
use crate::pages::company::assignee_names;

/// What the ⋮ menu of a row can do; the page owns the doing.
#[derive(Clone, Copy)]
pub(super) struct RowActions {
    pub refresh: Callback<CompanyRow>,
    pub request_information: Callback<CompanyRow>,
    pub copy_link: Callback<CompanyRow>,
    pub edit: Callback<CompanyRow>,
    pub delete: Callback<CompanyRow>,
}

#[component]
pub(super) fn CompanyRowView(
    row: CompanyRow,
    actions: RowActions,
    selection: Selection,
    rows: RwSignal<Vec<CompanyRow>>,
) -> impl IntoView {
    let company = &row.company;
    let id = company.id;
    let item = |label: &'static str, action: Callback<CompanyRow>| MenuAction {
        label,
        on_select: Callback::new({
            let row = row.clone();
            move |()| action.run(row.clone())
        }),
    };
    // Uploaded data has nothing to be refreshed from: the customer uploads again.
    let uploaded = company.upload.is_some();
    let actions = vec![
        if uploaded {
            item("Request a new upload", actions.request_information)
        } else {
            item("Refresh data", actions.refresh)
        },
        item("Request information", actions.request_information),
        item("Copy link", actions.copy_link),
        item("Edit company details", actions.edit),
        item("Delete company", actions.delete),
    ];
    let company_href = format!("/companies/{}", company.id);
    let company_name = company.name.clone();
    view! {
        <tr>
            <td class="table__select">
                <input
                    type="checkbox"
                    class="checkbox"
                    aria-label=format!("Select {}", company.name)
                    prop:checked=move || selection.contains(id)
                    on:change=move |event| selection.set(id, event_target_checked(&event), rows)
                />
            </td>
            <td>
                <div class="company">
                    <a href=company_href class="company__name">
                        {company_name}
                    </a>
                </div>
            </td>
            // The labels head these cells when the list is a list of cards (a phone's
            // width, style.css); the table's column headers do it otherwise.
            <td data-label="Contact">
                <div class="contact">
                    <span class="contact__name">{company.contact.name.clone()}</span>
                    <a class="contact__email" href=format!("mailto:{}", company.contact.email)>
                        {company.contact.email.clone()}
                    </a>
                </div>
            </td>
            <td data-label="Assigned to">
                {match assignee_names(&company.assignees) {
                    Some(names) => names.into_any(),
                    None => view! { <span class="muted">"Nobody"</span> }.into_any(),
                }}
            </td>
            <td data-label="Data requested">
                <ul class="tags">
                    {company
                        .data_types
                        .iter()
                        .map(|data_type: &DataType| view! { <li class="tag">{data_type.label()}</li> })
                        .collect_view()}
                </ul>
                {company.stale.then(|| view! {
                    <span class="stale" title="The data is older than the organization's freshness limit">
                        "Data out of date"
                    </span>
                })}
            </td>
            <td>
                <StatusCell status=row.live.clone() />
                {uploaded.then(|| view! {
                    <span class="status__uploaded" title="Uploaded from the template: not refreshable">
                        "Uploaded"
                    </span>
                })}
            </td>
            <td>
                <ReportsMenu company_id=company.id company_name=company.name.clone() />
            </td>
            <td class="table__actions">
                <ActionsMenu
                    company_name=company.name.clone()
                    menu_id=format!("actions-{}", company.id)
                    actions
                />
            </td>
        </tr>
    }
}
