//! Add company (toolbar) and ⋮ → Edit company details: one form, in a modal dialog.
//!
//! The server validates; its 422 problem's `errors[] {field, message}` are shown beside
//! the fields they name, and each refused input is marked `aria-invalid` and described
//! by its message.

use api_types::{Company, CompanyUpdate, FieldError, NewCompany, UserSummary};
use domain::{DataType, RefreshSchedule, UserId};
use leptos::{prelude::*, task::spawn_local};

use super::{
    dialog::{DialogFooter, DialogHandle, ModalDialog},
    failure_alert::FailureAlert,
    field::{Field, FieldMessage, error_for},
};
use crate::api;
use crate::reactive::memo;

const TITLE_ID: &str = "company-form-title";

/// What the person chose to do once the company is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterSave {
    /// Close the dialog.
    Close,
    /// Open the Request information dialog for the company.
    PreviewRequest,
}

#[component]
pub fn CompanyFormDialog(
    /// `None` to add a company, `Some` to edit this one.
    editing: Option<Company>,
    /// The organization's users, to assign.
    users: Signal<Vec<UserSummary>>,
    /// The company was saved (the dialog is closing).
    on_saved: Callback<(Company, AfterSave)>,
    on_closed: Callback<()>,
) -> impl IntoView {
    view! {
        <ModalDialog labelled_by=TITLE_ID on_closed class="dialog--form">
            <CompanyForm editing users on_saved />
        </ModalDialog>
    }
}

#[component]
fn CompanyForm(
    editing: Option<Company>,
    users: Signal<Vec<UserSummary>>,
    on_saved: Callback<(Company, AfterSave)>,
) -> impl IntoView {
    let dialog = expect_context::<DialogHandle>();
    let editing_id = editing.as_ref().map(|company| company.id);
    let title = match &editing {
        None => "Add company".to_owned(),
        Some(company) => format!("Edit {}", company.name),
    };
    let name = RwSignal::new(editing.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let description = RwSignal::new(
        editing
            .as_ref()
            .map(|c| c.description.clone())
            .unwrap_or_default(),
    );
    let contact_name = RwSignal::new(
        editing
            .as_ref()
            .map(|c| c.contact.name.clone())
            .unwrap_or_default(),
    );
    let contact_email = RwSignal::new(
        editing
            .as_ref()
            .map(|c| c.contact.email.clone())
            .unwrap_or_default(),
    );
    let assignees = RwSignal::new(
        editing
            .as_ref()
            .map(|c| c.assignees.iter().map(|user| user.id).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    // The users to choose from: the organization's, plus any assignee not among them.
    let known_assignees = editing
        .as_ref()
        .map(|c| c.assignees.clone())
        .unwrap_or_default();
    let choices = memo(move || {
        let mut all = users.get();
        for user in &known_assignees {
            if !all.iter().any(|known| known.id == user.id) {
                all.push(user.clone());
            }
        }
        all
    });
    let data_types = RwSignal::new(
        editing
            .as_ref()
            .map(|c| c.data_types.clone())
            .unwrap_or_else(|| vec![DataType::Financials, DataType::SpendDetail]),
    );
    let original_schedule = editing
        .as_ref()
        .map_or(RefreshSchedule::Off, |c| c.refresh_schedule);
    let schedule = RwSignal::new(original_schedule);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);

    let save = move |after: AfterSave| {
        saving.set(true);
        failure.set(None);
        let chosen_types: Vec<DataType> = [DataType::Financials, DataType::SpendDetail]
            .into_iter()
            .filter(|data_type| data_types.with_untracked(|types| types.contains(data_type)))
            .collect();
        let name = name.get_untracked();
        let description = description.get_untracked();
        let contact_name = contact_name.get_untracked();
        let contact_email = contact_email.get_untracked();
        let assignee_ids = assignees.get_untracked();
        let chosen_schedule = schedule.get_untracked();
        let schedule_changed = chosen_schedule != original_schedule;
        spawn_local(async move {
            let saved = match editing_id {
                None => {
                    api::create_company(&NewCompany {
                        name,
                        description,
                        contact_name,
                        contact_email,
                        assignee_ids,
                        data_types: chosen_types,
                        refresh_schedule: Some(chosen_schedule),
                    })
                    .await
                }
                Some(id) => {
                    api::update_company(
                        id,
                        &CompanyUpdate {
                            name: Some(name),
                            description: Some(description),
                            contact_name: Some(contact_name),
                            contact_email: Some(contact_email),
                            assignee_ids: Some(assignee_ids),
                            data_types: Some(chosen_types),
                            // Only a change restarts the schedule's clock.
                            refresh_schedule: schedule_changed.then_some(chosen_schedule),
                        },
                    )
                    .await
                }
            };
            match saved {
                Ok(company) => {
                    on_saved.run((company, after));
                    dialog.close();
                }
                Err(err) => {
                    let fields = err.field_errors().to_vec();
                    if fields.is_empty() {
                        let _ = failure.try_set(Some(err.message()));
                    } else {
                        let _ = failure.try_set(Some(
                            "Some details need attention. Check the highlighted fields.".to_owned(),
                        ));
                    }
                    let _ = errors.try_set(fields);
                    let _ = saving.try_set(false);
                }
            }
        });
    };

    let save_button = move |label: &'static str, class: &'static str, after: AfterSave| {
        view! {
            <button
                type="button"
                class=class
                disabled=move || saving.get()
                on:click=move |_| save(after)
            >
                {label}
            </button>
        }
    };

    view! {
        <header class="dialog__header">
            <h2 id=TITLE_ID class="dialog__title" tabindex="-1">
                {title}
            </h2>
            <p class="dialog__lead">
                {if editing_id.is_none() {
                    "The company starts as Not requested. You can ask its contact for data now or later."
                } else {
                    "Changes apply to the next information request and refresh."
                }}
            </p>
        </header>
        <form
            class="dialog__body form"
            novalidate=true
            on:submit=move |event| {
                event.prevent_default();
                save(AfterSave::Close);
            }
        >
            <Field id="company-name" label="Company name" value=name error=error_for(errors, "name") />
            <Field
                id="company-description"
                label="Description"
                optional=true
                rows=3
                value=description
                error=error_for(errors, "description")
            />
            <Field
                id="company-contact-name"
                label="Contact name"
                value=contact_name
                error=error_for(errors, "contact_name")
            />
            <Field
                id="company-contact-email"
                label="Contact email"
                value=contact_email
                error=error_for(errors, "contact_email")
                input_type="email"
            />
            <fieldset
                class="form__group"
                aria-describedby=move || error_for(errors, "assignee_ids").get().is_some().then_some("company-assignees-error")
            >
                <legend class="field__label">"Assigned users"</legend>
                {move || {
                    let choices = choices.get();
                    if choices.is_empty() {
                        return view! { <p class="form__hint">"No users to assign."</p> }.into_any();
                    }
                    choices
                        .into_iter()
                        .map(|user| {
                            view! { <Choice user assignees /> }
                        })
                        .collect_view()
                        .into_any()
                }}
                <FieldMessage id="company-assignees-error" message=error_for(errors, "assignee_ids") />
            </fieldset>
            <fieldset
                class="form__group"
                aria-describedby=move || error_for(errors, "data_types").get().is_some().then_some("company-data-types-error")
            >
                <legend class="field__label">"Data to request"</legend>
                {[DataType::Financials, DataType::SpendDetail]
                    .into_iter()
                    .map(|data_type| {
                        view! {
                            <label class="form__check">
                                <input
                                    type="checkbox"
                                    prop:checked=move || data_types.with(|types| types.contains(&data_type))
                                    on:change=move |event| {
                                        let checked = event_target_checked(&event);
                                        data_types
                                            .update(|types| {
                                                types.retain(|known| *known != data_type);
                                                if checked {
                                                    types.push(data_type);
                                                }
                                            });
                                    }
                                />
                                {data_type.label()}
                            </label>
                        }
                    })
                    .collect_view()}
                <FieldMessage id="company-data-types-error" message=error_for(errors, "data_types") />
            </fieldset>
            <label class="field">
                <span class="field__label">"Scheduled refresh"</span>
                <select
                    class="field__input"
                    prop:value=move || schedule.get().as_str()
                    on:change=move |event| {
                        if let Ok(chosen) = event_target_value(&event).parse::<RefreshSchedule>() {
                            schedule.set(chosen);
                        }
                    }
                >
                    <option value="off">"Off: only when someone chooses Refresh data"</option>
                    <option value="weekly">"Every week"</option>
                    <option value="monthly">"Every month"</option>
                </select>
                <FieldMessage id="company-refresh-schedule-error" message=error_for(errors, "refresh_schedule") />
            </label>
            <FailureAlert title="The company was not saved." failure />
        </form>
        <DialogFooter dialog>
            {if editing_id.is_none() {
                (
                    save_button("Save without sending", "button", AfterSave::Close),
                    save_button(
                        "Save and preview request",
                        "button button--primary",
                        AfterSave::PreviewRequest,
                    ),
                )
                    .into_any()
            } else {
                save_button("Save changes", "button button--primary", AfterSave::Close).into_any()
            }}
        </DialogFooter>
    }
}

#[component]
fn Choice(user: UserSummary, assignees: RwSignal<Vec<UserId>>) -> impl IntoView {
    let id = user.id;
    view! {
        <label class="form__check">
            <input
                type="checkbox"
                prop:checked=move || assignees.with(|ids| ids.contains(&id))
                on:change=move |event| {
                    let checked = event_target_checked(&event);
                    assignees
                        .update(|ids| {
                            ids.retain(|known| *known != id);
                            if checked {
                                ids.push(id);
                            }
                        });
                }
            />
            {user.name}
            <span class="form__hint">{format!(" {}", user.email)}</span>
        </label>
    }
}
