//! `/`: the organization's companies, their data status, reports and actions.

use std::time::Duration;

use api_types::{
    Company, CompanyCounts, CompanyCountsQuery, CompanyListQuery, CompanySort, Delivery,
    InformationRequest, StatusFilter, UserSummary,
};
use domain::{CompanyId, DataStatus, DataType, UserId};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

use crate::{
    api, clipboard,
    components::{
        actions_menu::{ActionsMenu, MenuAction},
        company_form::{AfterSave, CompanyFormDialog},
        delete_dialog::DeleteCompanyDialog,
        notices::Notices,
        reports_menu::ReportsMenu,
        request_dialog::RequestInformationDialog,
        status::StatusCell,
    },
    live_status::{CompanyRow, poll_pending_statuses},
};

/// How long typing pauses before the list is searched.
const SEARCH_DELAY: Duration = Duration::from_millis(300);

#[component]
pub fn CompaniesPage() -> impl IntoView {
    let notices = expect_context::<Notices>();
    let search = RwSignal::new(String::new());
    let status_filter = RwSignal::new(None::<StatusFilter>);
    let assignee = RwSignal::new(None::<UserId>);
    let sort = RwSignal::new(CompanySort::NameAsc);

    let companies = LocalResource::new(move || {
        let query = CompanyListQuery {
            q: Some(search.get()).filter(|q| !q.trim().is_empty()),
            status: status_filter.get(),
            assignee: assignee.get(),
            sort: Some(sort.get()),
            ..CompanyListQuery::default()
        };
        async move { api::list_companies(&query).await }
    });
    let users_resource = LocalResource::new(|| async { api::list_users().await });
    let users = Signal::derive(move || {
        users_resource
            .get()
            .and_then(Result::ok)
            .map(|list| list.items)
            .unwrap_or_default()
    });
    Effect::new(move |_| {
        if let Some(Err(err)) = users_resource.get() {
            leptos::logging::warn!("the users could not be loaded: {}", err.message());
        }
    });
    let counts = LocalResource::new(move || {
        let query = CompanyCountsQuery {
            q: Some(search.get()).filter(|q| !q.trim().is_empty()),
            assignee: assignee.get(),
        };
        async move { api::company_counts(&query).await.ok() }
    });
    let counts_resource = counts;
    let counts = Signal::derive(move || counts_resource.get().flatten());

    let rows = RwSignal::new(Vec::<CompanyRow>::new());
    let next_cursor = RwSignal::new(None::<CompanyId>);
    let load_failure = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let generation = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let Some(result) = companies.get() else {
            return;
        };
        match result {
            Ok(page) => {
                generation.update_value(|generation| *generation += 1);
                let generation = generation.get_value();
                rows.set(
                    page.items
                        .into_iter()
                        .map(|company| CompanyRow::new(company, generation))
                        .collect(),
                );
                next_cursor.set(page.next_cursor);
                load_failure.set(None);
            }
            Err(err) => load_failure.set(Some(err.message())),
        }
        loaded.set(true);
    });

    let loading_more = RwSignal::new(false);
    let load_more = move |_| {
        let Some(cursor) = next_cursor.get_untracked() else {
            return;
        };
        let query = CompanyListQuery {
            q: Some(search.get_untracked()).filter(|q| !q.trim().is_empty()),
            status: status_filter.get_untracked(),
            assignee: assignee.get_untracked(),
            sort: Some(sort.get_untracked()),
            cursor: Some(cursor),
            ..CompanyListQuery::default()
        };
        loading_more.set(true);
        spawn_local(async move {
            match api::list_companies(&query).await {
                Ok(page) => {
                    let generation = generation.get_value();
                    rows.update(|rows| {
                        rows.extend(
                            page.items
                                .into_iter()
                                .map(|company| CompanyRow::new(company, generation)),
                        );
                    });
                    next_cursor.set(page.next_cursor);
                }
                Err(err) => notices.fail(err.message()),
            }
            loading_more.set(false);
        });
    };

    let unreachable = RwSignal::new(false);
    poll_pending_statuses(rows, unreachable);

    let refresh = Action::new_local(move |row: &CompanyRow| {
        let row = row.clone();
        async move {
            match api::refresh_company(row.company.id).await {
                Ok(job) => {
                    row.live.update(|live| live.refresh = Some(job));
                    notices.confirm(format!("Refresh initiated for {}", row.company.name));
                }
                Err(err) => notices.fail(err.message()),
            }
        }
    });
    let on_refresh = Callback::new(move |row: CompanyRow| {
        refresh.dispatch_local(row);
    });

    let counts_refetch = Callback::new(move |()| counts_resource.refetch());

    // ⋮ → Request information: the dialog for this row, while it is open.
    let requesting = RwSignal::new(None::<CompanyRow>);
    let on_request_information = Callback::new(move |row: CompanyRow| requesting.set(Some(row)));
    let request_dialog = move || {
        requesting.get().map(|row| {
            let replaces_pending = row
                .live
                .with_untracked(|live| live.status == Some(DataStatus::Requested));
            let on_sent = Callback::new({
                let row = row.clone();
                move |()| {
                    notices.confirm(format!(
                        "Information request sent to {}",
                        row.company.contact.email
                    ));
                    spawn_local(show_requested(row.clone(), None));
                    let listed = rows.with_untracked(|rows| {
                        rows.iter()
                            .any(|listed| listed.company.id == row.company.id)
                    });
                    if !listed {
                        companies.refetch();
                    }
                    counts_refetch.run(());
                }
            });
            view! {
                <RequestInformationDialog
                    company=row.company.clone()
                    replaces_pending
                    on_sent
                    on_closed=Callback::new(move |()| requesting.set(None))
                />
            }
        })
    };

    // ⋮ → Copy link: a link for the RM to pass on, without an email.
    let copy_link = Action::new_local(move |row: &CompanyRow| {
        let row = row.clone();
        async move {
            let request = match api::request_information(row.company.id, Delivery::Link).await {
                Ok(request) => request,
                Err(err) => {
                    notices.fail(err.message());
                    return;
                }
            };
            match request.link.as_deref() {
                None => notices.fail(format!(
                    "Spendlens created the request for {} but did not answer its link. Try Copy link again.",
                    row.company.name
                )),
                Some(link) => match clipboard::copy_text(link).await {
                    Ok(()) => notices.confirm(format!("Link copied for {}", row.company.name)),
                    Err(err) => {
                        leptos::logging::warn!("copying the link failed: {err}");
                        notices.confirm_until_closed(format!(
                            "Link created for {}. It could not be copied automatically; copy it from here: {link}",
                            row.company.name
                        ));
                    }
                },
            }
            show_requested(row, Some(request)).await;
        }
    });
    let on_copy_link = Callback::new(move |row: CompanyRow| {
        copy_link.dispatch_local(row);
    });

    // Add company (toolbar) and ⋮ → Edit company details: the form, while it is open.
    let form = RwSignal::new(None::<Option<Company>>);
    let on_edit = Callback::new(move |row: CompanyRow| form.set(Some(Some(row.company))));
    let company_form = move || {
        form.get().map(|editing| {
            let adding = editing.is_none();
            let on_saved = Callback::new(move |(company, after): (Company, AfterSave)| {
                if adding {
                    notices.confirm(format!("{} added", company.name));
                } else {
                    notices.confirm(format!("{} updated", company.name));
                }
                companies.refetch();
                counts_refetch.run(());
                if after == AfterSave::PreviewRequest {
                    let generation = generation.get_value();
                    // The form's dialog closes first; then this one opens.
                    request_animation_frame(move || {
                        requesting.set(Some(CompanyRow::new(company, generation)));
                    });
                }
            });
            view! {
                <CompanyFormDialog
                    editing
                    users
                    on_saved
                    on_closed=Callback::new(move |()| form.set(None))
                />
            }
        })
    };

    // ⋮ → Delete company: the confirmation, while it is open.
    let deleting = RwSignal::new(None::<CompanyRow>);
    let on_delete = Callback::new(move |row: CompanyRow| deleting.set(Some(row)));
    let delete_dialog = move || {
        deleting.get().map(|row| {
            let on_deleted = Callback::new(move |company: Company| {
                rows.update(|rows| rows.retain(|row| row.company.id != company.id));
                notices.confirm(format!("{} deleted", company.name));
                counts_refetch.run(());
            });
            view! {
                <DeleteCompanyDialog
                    company=row.company
                    on_deleted
                    on_closed=Callback::new(move |()| deleting.set(None))
                />
            }
        })
    };

    let row_actions = RowActions {
        refresh: on_refresh,
        request_information: on_request_information,
        copy_link: on_copy_link,
        edit: on_edit,
        delete: on_delete,
    };

    let on_search = leptos::prelude::debounce(SEARCH_DELAY, move |text: String| search.set(text));
    let on_search = StoredValue::new_local(on_search);
    let is_filtered = move || !search.get().trim().is_empty() || status_filter.get().is_some();
    let busy = move || companies.with(Option::is_none);

    view! {
        <section class="companies" aria-labelledby="companies-title">
            <div class="page-header">
                <h1 id="companies-title">"Companies"</h1>
                <div class="page-header__actions">
                    <button
                        type="button"
                        class="button button--primary"
                        on:click=move |_| form.set(Some(None))
                    >
                        "Add company"
                    </button>
                </div>
            </div>
            <Show when=move || unreachable.get()>
                <div class="banner banner--warning" role="alert">
                    "Can't reach Spendlens. Retrying…"
                </div>
            </Show>
            <div class="toolbar" role="search">
                <label class="field">
                    <span class="field__label">"Search"</span>
                    <input
                        type="search"
                        class="field__input"
                        placeholder="Company or contact"
                        on:input=move |event| {
                            let text = event_target_value(&event);
                            on_search.update_value(|on_search| on_search(text));
                        }
                    />
                </label>
                <label class="field">
                    <span class="field__label">"Status"</span>
                    <select
                        class="field__input"
                        on:change=move |event| status_filter.set(parse_status_filter(&event_target_value(&event)))
                    >
                        <option value="">{move || with_count("All statuses", counts.get().map(|c| c.total))}</option>
                        <option value="not_requested">{move || with_count("Not requested", counts.get().map(|c| c.not_requested))}</option>
                        <option value="requested">{move || with_count("Requested", counts.get().map(|c| c.requested))}</option>
                        <option value="available">{move || with_count("Available", counts.get().map(|c| c.available))}</option>
                        <option value="error">{move || with_count("Error", counts.get().map(|c| c.error))}</option>
                    </select>
                </label>
                <StatusCounts counts />
                <label class="field">
                    <span class="field__label">"Assigned to"</span>
                    <select
                        class="field__input"
                        on:change=move |event| assignee.set(event_target_value(&event).parse::<UserId>().ok())
                    >
                        <option value="">"All users"</option>
                        {move || {
                            users
                                .get()
                                .into_iter()
                                .map(|user: UserSummary| {
                                    let selected = assignee.get_untracked() == Some(user.id);
                                    view! {
                                        <option value=user.id.to_string() selected=selected>{user.name}</option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                </label>
                <label class="field">
                    <span class="field__label">"Sort by"</span>
                    <select
                        class="field__input"
                        prop:value=move || sort_value(sort.get())
                        on:change=move |event| sort.set(parse_sort(&event_target_value(&event)))
                    >
                        <option value="name">"Company, A to Z"</option>
                        <option value="-name">"Company, Z to A"</option>
                        <option value="status">"Status"</option>
                        <option value="-status">"Status, reversed"</option>
                        <option value="-status_updated_at">"Last updated, newest first"</option>
                        <option value="status_updated_at">"Last updated, oldest first"</option>
                    </select>
                </label>
            </div>
            {move || {
                if let Some(message) = load_failure.get() {
                    return view! {
                        <div class="panel panel--error" role="alert">
                            <p class="panel__title">"The companies could not be loaded."</p>
                            <p>{message}</p>
                            <button type="button" class="button" on:click=move |_| companies.refetch()>
                                "Try again"
                            </button>
                        </div>
                    }
                        .into_any();
                }
                if !loaded.get() {
                    return view! { <p class="panel panel--quiet" aria-busy="true">"Loading companies…"</p> }
                        .into_any();
                }
                if rows.with(Vec::is_empty) {
                    return view! {
                        <div class="panel panel--quiet">
                            <p class="panel__title">"No companies match"</p>
                            <p>
                                {if is_filtered() {
                                    "Try another search or status."
                                } else {
                                    "Companies your organization adds appear here."
                                }}
                            </p>
                        </div>
                    }
                        .into_any();
                }
                view! {
                    <div class="table-card">
                        <table class="table" aria-labelledby="companies-title" aria-busy=move || busy().to_string()>
                            <thead>
                                <tr>
                                    <SortHeader
                                        label="Company"
                                        ascending=CompanySort::NameAsc
                                        descending=CompanySort::NameDesc
                                        sort
                                    />
                                    <th scope="col">"Data requested"</th>
                                    <SortHeader
                                        label="Status"
                                        ascending=CompanySort::StatusAsc
                                        descending=CompanySort::StatusDesc
                                        sort
                                    />
                                    <th scope="col" class="table__reports">"Reports"</th>
                                    <th scope="col" class="table__actions">
                                        <span class="visually-hidden">"Actions"</span>
                                    </th>
                                </tr>
                            </thead>
                            <tbody>
                                <For
                                    each=move || rows.get()
                                    key=|row| (row.generation, row.company.id)
                                    children=move |row| view! { <CompanyRowView row actions=row_actions /> }
                                />
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
            <Show when=move || next_cursor.with(Option::is_some)>
                <div class="load-more">
                    <button
                        type="button"
                        class="button"
                        disabled=move || loading_more.get()
                        on:click=load_more
                    >
                        {move || if loading_more.get() { "Loading…" } else { "Load more" }}
                    </button>
                </div>
            </Show>
            {request_dialog}
            {company_form}
            {delete_dialog}
        </section>
    }
}

/// What the ⋮ menu of a row can do; the page owns the doing.
#[derive(Clone, Copy)]
struct RowActions {
    refresh: Callback<CompanyRow>,
    request_information: Callback<CompanyRow>,
    copy_link: Callback<CompanyRow>,
    edit: Callback<CompanyRow>,
    delete: Callback<CompanyRow>,
}

/// After an information request: shows the row as the server has it now (Requested).
/// If the company can't be fetched, shows what the request implies.
async fn show_requested(row: CompanyRow, request: Option<InformationRequest>) {
    match api::get_company(row.company.id).await {
        Ok(company) => row.show(&company),
        Err(err) => {
            leptos::logging::warn!("reloading {} failed: {}", row.company.name, err.message());
            let at = request.map(|request| request.created_at);
            row.live.update(|live| {
                live.status = Some(DataStatus::Requested);
                live.error = None;
                if at.is_some() {
                    live.status_updated_at = at;
                }
            });
        }
    }
}

#[component]
fn CompanyRowView(row: CompanyRow, actions: RowActions) -> impl IntoView {
    let company = &row.company;
    let item = |label: &'static str, action: Callback<CompanyRow>| MenuAction {
        label,
        on_select: Callback::new({
            let row = row.clone();
            move |()| action.run(row.clone())
        }),
    };
    let actions = vec![
        item("Refresh data", actions.refresh),
        item("Request information", actions.request_information),
        item("Copy link", actions.copy_link),
        item("Edit company details", actions.edit),
        item("Delete company", actions.delete),
    ];
    let company_href = format!("/companies/{}", company.id);
    let company_name = company.name.clone();
    view! {
        <tr>
            <td>
                <div class="company">
                    <A href=company_href attr:class="company__name">
                        {company_name}
                    </A>
                    <span class="company__contact">{company.contact.name.clone()}</span>
                </div>
            </td>
            <td>
                <ul class="tags">
                    {company
                        .data_types
                        .iter()
                        .map(|data_type: &DataType| view! { <li class="tag">{data_type.label()}</li> })
                        .collect_view()}
                </ul>
            </td>
            <td>
                <StatusCell status=row.live.clone() />
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

fn parse_status_filter(value: &str) -> Option<StatusFilter> {
    match value {
        "not_requested" => Some(StatusFilter::NotRequested),
        "requested" => Some(StatusFilter::Requested),
        "available" => Some(StatusFilter::Available),
        "error" => Some(StatusFilter::Error),
        _ => None,
    }
}

fn with_count(label: &str, count: Option<u64>) -> String {
    match count {
        Some(count) => format!("{label} ({count})"),
        None => label.to_owned(),
    }
}

/// The count per status, beside the status filter.
#[component]
fn StatusCounts(counts: Signal<Option<CompanyCounts>>) -> impl IntoView {
    move || {
        counts.get().map(|counts| {
            let items = [
                ("Not requested", "none", counts.not_requested),
                ("Requested", "requested", counts.requested),
                ("Available", "available", counts.available),
                ("Error", "error", counts.error),
            ];
            view! {
                <ul class="status-counts" aria-label="Companies per status">
                    {items
                        .into_iter()
                        .map(|(label, modifier, count)| {
                            view! {
                                <li class=format!("status-counts__item badge badge--{modifier}")>
                                    {format!("{label}: {count}")}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
        })
    }
}

/// A column header that sorts the list: ascending first, then descending.
#[component]
fn SortHeader(
    label: &'static str,
    ascending: CompanySort,
    descending: CompanySort,
    sort: RwSignal<CompanySort>,
) -> impl IntoView {
    let aria_sort = move || {
        let current = sort.get();
        if current == ascending {
            "ascending"
        } else if current == descending {
            "descending"
        } else {
            "none"
        }
    };
    let arrow = move || match aria_sort() {
        "ascending" => "▲",
        "descending" => "▼",
        _ => "↕",
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <button
                type="button"
                class="sort-button"
                on:click=move |_| {
                    sort.set(if sort.get_untracked() == ascending { descending } else { ascending });
                }
            >
                {label}
                <span class="sort-button__arrow" aria-hidden="true">{arrow}</span>
            </button>
        </th>
    }
}

fn sort_value(sort: CompanySort) -> &'static str {
    match sort {
        CompanySort::NameAsc => "name",
        CompanySort::NameDesc => "-name",
        CompanySort::StatusAsc => "status",
        CompanySort::StatusDesc => "-status",
        CompanySort::StatusUpdatedAtAsc => "status_updated_at",
        CompanySort::StatusUpdatedAtDesc => "-status_updated_at",
    }
}

fn parse_sort(value: &str) -> CompanySort {
    match value {
        "-name" => CompanySort::NameDesc,
        "status" => CompanySort::StatusAsc,
        "-status" => CompanySort::StatusDesc,
        "status_updated_at" => CompanySort::StatusUpdatedAtAsc,
        "-status_updated_at" => CompanySort::StatusUpdatedAtDesc,
        _ => CompanySort::NameAsc,
    }
}
