//! One company's row: its details, status, reports and ⋮ menu.

use domain::DataType;
use leptos::prelude::*;

use super::group::{EntityRows, Group, GroupStatus};
use super::selection::Selection;
use crate::components::{
    actions_menu::{ActionsMenu, MenuAction},
    notices::Notices,
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
    let item = |label, action| menu_item(&row, label, action);
    // Uploaded data has nothing to be refreshed from: the customer uploads again.
    let uploaded = company.upload.is_some();
    let group = Group::new(company);
    let refresh = match group {
        // A group's Refresh data refreshes every entity.
        Some(group) => MenuAction {
            label: "Refresh data",
            on_select: Callback::new(move |()| group.refresh(expect_context::<Notices>())),
        },
        None if uploaded => item("Request a new upload", actions.request_information),
        None => item("Refresh data", actions.refresh),
    };
    let row_actions = actions;
    let actions = vec![
        refresh,
        item("Request information", actions.request_information),
        item("Copy link", actions.copy_link),
        item("Edit company details", actions.edit),
        item("Delete company", actions.delete),
    ];
    let company_href = format!("/companies/{}", company.id);
    let company_name = company.name.clone();
    let toggle = group.map(|group| {
        let count = company.group.as_ref().map_or(0, |g| g.entities);
        let controls = format!("entities-{}", company.id);
        view! {
            <button
                type="button"
                class="group-toggle"
                aria-expanded=move || group.expanded.get().to_string()
                aria-controls=controls
                on:click=move |_| group.toggle()
            >
                <span class="group-toggle__arrow" aria-hidden="true">
                    {move || if group.expanded.get() { "▾" } else { "▸" }}
                </span>
                {format!("Group of {count} entities")}
            </button>
        }
    });
    let status = match group {
        Some(group) => view! { <GroupStatus group /> }.into_any(),
        None => view! { <StatusCell status=row.live.clone() /> }.into_any(),
    };
    let entity_rows = group.map(|group| {
        move || {
            group
                .expanded
                .get()
                .then(|| view! { <EntityRows group actions=row_actions /> })
        }
    });
    view! {
        <tr class:group-row=group.is_some() id=group.map(|_| format!("entities-{}", company.id))>
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
                    {toggle}
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
                {status}
                {uploaded.then(|| view! {
                    <span class="status__uploaded" title="Uploaded from the template: not refreshable">
                        "Uploaded"
                    </span>
                })}
            </td>
            <td>
                <ReportsMenu company_id=company.id company_name=company.name.clone() group=group.is_some() />
            </td>
            <td class="table__actions">
                <ActionsMenu
                    company_name=company.name.clone()
                    menu_id=format!("actions-{}", company.id)
                    actions
                />
            </td>
        </tr>
        {entity_rows}
    }
}

/// One entity of an expanded group (its own books first), with its own status,
/// reports and ⋮.
#[component]
pub(super) fn EntityRow(
    row: CompanyRow,
    actions: RowActions,
    /// The group's own books rather than one of its entities.
    own_books: bool,
    group_name: String,
) -> impl IntoView {
    let company = row.company.clone();
    let item = |label, action| menu_item(&row, label, action);
    let uploaded = company.upload.is_some();
    let mut menu = vec![
        if uploaded {
            item("Request a new upload", actions.request_information)
        } else {
            item("Refresh data", actions.refresh)
        },
        item("Request information", actions.request_information),
        item("Copy link", actions.copy_link),
    ];
    if !own_books {
        menu.push(item("Remove entity", actions.delete));
    }
    let name = if own_books {
        format!("{} (own books)", company.name)
    } else {
        company.name.clone()
    };
    view! {
        <tr class="entity-row" data-testid="entity-row">
            <td class="table__select entity-row__none"></td>
            <td>
                <div class="company company--entity">
                    <span class="entity-row__branch" aria-hidden="true">"↳"</span>
                    <a href=format!("/companies/{}", company.id) class="company__name">
                        {name.clone()}
                    </a>
                    <span class="visually-hidden">{format!(", entity of {group_name}")}</span>
                </div>
            </td>
            <td class="entity-row__none"></td>
            <td class="entity-row__none"></td>
            <td data-label="Platform">
                <span class="muted">{company.platform.as_deref().map(|p| platform_label(p).to_owned())}</span>
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
                <ReportsMenu company_id=company.id company_name=name.clone() />
            </td>
            <td class="table__actions">
                <ActionsMenu company_name=name menu_id=format!("actions-{}", company.id) actions=menu />
            </td>
        </tr>
    }
}

/// A ⋮ menu entry that runs `action` on `row`.
fn menu_item(row: &CompanyRow, label: &'static str, action: Callback<CompanyRow>) -> MenuAction {
    let row = row.clone();
    MenuAction {
        label,
        on_select: Callback::new(move |()| action.run(row.clone())),
    }
}

/// A platform id as people name it.
pub(crate) fn platform_label(platform: &str) -> &str {
    match platform {
        "sandbox" => "Sandbox",
        "xero" => "Xero",
        "quickbooks" => "QuickBooks Online",
        "http" => "Through the data partner",
        "upload" => "Uploaded template",
        other => other,
    }
}
