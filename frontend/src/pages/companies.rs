//! `/`: the organization's companies, their data status, reports and actions.

use std::time::Duration;

use api_types::{
    BatchFilter, Company, CompanyCounts, CompanyCountsQuery, CompanyListQuery, CompanySort,
    Delivery, InformationRequest, NewRefreshBatch, RefreshBatch, RefreshCompanies, RefreshFilter,
    StatusFilter, UserSummary,
};
use domain::{CompanyId, DataStatus, DataType, Role, UserId};
use leptos::{html, prelude::*, task::spawn_local};

use crate::reactive::{effect, memo};
use crate::{
    api::{self, parse_sort, parse_status_filter, sort_name},
    clipboard,
    components::{
        actions_menu::{ActionsMenu, MenuAction},
        bulk_refresh::{
            BulkRefresh, BulkRefreshPanel, companies as count_of, follow_batch, progress_text,
        },
        company_form::{AfterSave, CompanyFormDialog},
        delete_dialog::DeleteCompanyDialog,
        notices::Notices,
        reports_menu::ReportsMenu,
        request_dialog::RequestInformationDialog,
        status::StatusCell,
    },
    live_status::{CompanyRow, poll_pending_statuses, show_current_statuses},
    loader::Loader,
    session::SessionContext,
};

/// How long typing pauses before the list is searched.
const SEARCH_DELAY: Duration = Duration::from_millis(300);

#[component]
pub fn CompaniesPage() -> impl IntoView {
    let notices = expect_context::<Notices>();
    let search = RwSignal::new(String::new());
    let status_filter = RwSignal::new(None::<StatusFilter>);
    // Relationship managers start on their own companies; admins (who usually have no
    // portfolio) on everyone's. The users filter switches either way.
    let session = use_context::<SessionContext>();
    let me = session
        .and_then(|s| s.user())
        .map(|user| (user.id, user.role));
    let assignee = RwSignal::new(
        me.filter(|(_, role)| *role == Role::RelationshipManager)
            .map(|(id, _)| id),
    );
    let sort = RwSignal::new(CompanySort::NameAsc);

    let companies = Loader::new(move || {
        let query = CompanyListQuery {
            q: Some(search.get()).filter(|q| !q.trim().is_empty()),
            status: status_filter.get(),
            assignee: assignee.get(),
            sort: Some(sort.get()),
            ..CompanyListQuery::default()
        };
        async move { api::list_companies(&query).await }
    });
    let users_resource = Loader::new(|| async { api::list_users().await });
    let users = Signal::derive(move || {
        users_resource
            .get()
            .and_then(Result::ok)
            .map(|list| list.items)
            .unwrap_or_default()
    });
    effect(move || {
        if let Some(Err(err)) = users_resource.get() {
            leptos::logging::warn!("the users could not be loaded: {}", err.message());
        }
    });
    let counts = Loader::new(move || {
        let query = CompanyCountsQuery {
            q: Some(search.get()).filter(|q| !q.trim().is_empty()),
            assignee: assignee.get(),
        };
        async move { api::company_counts(&query).await.ok() }
    });
    let counts_resource = counts;
    // The last counts known: a recount (after a status change) replaces them when it
    // answers, instead of blanking the toolbar while it runs.
    let known_counts = RwSignal::new(None::<CompanyCounts>);
    effect(move || {
        if let Some(Some(counts)) = counts_resource.get() {
            known_counts.set(Some(counts));
        }
    });
    let counts: Signal<Option<CompanyCounts>> = known_counts.into();

    let rows = RwSignal::new(Vec::<CompanyRow>::new());
    let selection = Selection::new();
    let next_cursor = RwSignal::new(None::<CompanyId>);
    let load_failure = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let generation = StoredValue::new(0_u64);
    effect(move || {
        let Some(result) = companies.get() else {
            return;
        };
        match result {
            Ok(page) => {
                generation.update_value(|generation| *generation += 1);
                let generation = generation.get_value();
                let listed: Vec<CompanyRow> = page
                    .items
                    .into_iter()
                    .map(|company| CompanyRow::new(company, generation))
                    .collect();
                // A new search, filter or order: keep the ticked rows still listed; "all
                // matching" named the old filters, so it goes.
                selection.all_matching.set(false);
                selection.ids.update(|ids| {
                    ids.retain(|id| listed.iter().any(|row| row.company.id == *id));
                });
                rows.set(listed);
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

    let counts_refetch = Callback::new(move |()| counts_resource.refetch());
    let unreachable = RwSignal::new(false);
    // A row changing status (Error → Available, say) changes the counts: ask for them
    // again, and only them.
    poll_pending_statuses(rows, unreachable, counts_refetch);

    // Plain tasks rather than `Action`s: nothing here needs an action's value or
    // version, and each `Action` type costs its share of wasm.
    let on_refresh = Callback::new(move |row: CompanyRow| {
        spawn_local(async move {
            match api::refresh_company(row.company.id).await {
                Ok(job) => {
                    row.live.update(|live| live.refresh = Some(job));
                    notices.confirm(format!("Refresh initiated for {}", row.company.name));
                }
                Err(err) => notices.fail(err.message()),
            }
        });
    });

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
    let on_copy_link = Callback::new(move |row: CompanyRow| {
        spawn_local(async move {
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
        });
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
                selection
                    .ids
                    .update(|ids| ids.retain(|id| *id != company.id));
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

    // Bulk: the ticked rows, or every company matching the filters → one refresh batch.
    let matching = Signal::derive(move || {
        counts.get().map(|counts| match status_filter.get() {
            None => counts.total,
            Some(StatusFilter::NotRequested) => counts.not_requested,
            Some(StatusFilter::Requested) => counts.requested,
            Some(StatusFilter::Available) => counts.available,
            Some(StatusFilter::Error) => counts.error,
        })
    });
    let bulk = RwSignal::new(None::<BulkRefresh>);
    let on_bulk_done = Callback::new(move |progress: RefreshBatch| {
        notices.confirm(format!(
            "Bulk refresh finished: {}",
            progress_text(&progress)
        ));
        // Companies beyond the listed page may have changed status too.
        counts_refetch.run(());
    });
    let starting = RwSignal::new(false);
    let refresh_selected = move || {
        let all_matching = selection.all_matching.get_untracked();
        let listed: Vec<CompanyId> =
            rows.with_untracked(|rows| rows.iter().map(|row| row.company.id).collect());
        let (request, shown) = if all_matching {
            let filter = BatchFilter {
                q: Some(search.get_untracked()).filter(|q| !q.trim().is_empty()),
                status: status_filter.get_untracked(),
                assignee: assignee.get_untracked(),
            };
            (NewRefreshBatch::Filter(RefreshFilter { filter }), listed)
        } else {
            let ids = selection.ids.get_untracked();
            (
                NewRefreshBatch::Companies(RefreshCompanies {
                    company_ids: ids.clone(),
                }),
                ids,
            )
        };
        starting.set(true);
        spawn_local(async move {
            let created = api::create_refresh_batch(&request).await;
            starting.set(false);
            let created = match created {
                Ok(created) => created,
                Err(err) => {
                    notices.fail(err.message());
                    return;
                }
            };
            selection.clear();
            if created.total > 0 {
                notices.confirm(format!("Refresh initiated for {}", count_of(created.total)));
            }
            let done = created.done;
            let skipped: Vec<CompanyId> = created.skipped.iter().map(|s| s.company_id).collect();
            bulk.set(Some(BulkRefresh::new(created.clone())));
            if done {
                if created.total > 0 {
                    on_bulk_done.run(created);
                }
            } else {
                follow_batch(bulk, unreachable, on_bulk_done);
            }
            // The listed rows show their refresh running; the live poller follows them.
            let refreshing: Vec<CompanyId> = shown
                .into_iter()
                .filter(|id| !skipped.contains(id))
                .collect();
            if !refreshing.is_empty() {
                match show_current_statuses(rows, refreshing).await {
                    Ok(true) => counts_refetch.run(()),
                    Ok(false) => {}
                    Err(err) => {
                        leptos::logging::warn!(
                            "the rows' statuses could not be loaded: {}",
                            err.message()
                        );
                    }
                }
            }
        });
    };
    let bulk_bar = BulkBar {
        selection,
        rows,
        matching,
        starting,
        on_refresh: Callback::new(move |()| refresh_selected()),
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
    let busy = move || companies.loading();
    let no_rows = memo(move || rows.with(Vec::is_empty));
    let has_more = memo(move || next_cursor.with(Option::is_some));

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
            {move || {
                unreachable.get().then(|| view! {
                    <div class="banner banner--warning" role="alert">
                        "Can't reach Spendlens. Retrying…"
                    </div>
                })
            }}
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
                                    let name = if me.is_some_and(|(id, _)| id == user.id) {
                                        format!("{} (you)", user.name)
                                    } else {
                                        user.name
                                    };
                                    view! {
                                        <option value=user.id.to_string() selected=selected>{name}</option>
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
                        prop:value=move || sort_name(sort.get())
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
            <BulkRefreshPanel shown=bulk />
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
                if no_rows.get() {
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
                        <BulkBarView bar=bulk_bar />
                        <table class="table" aria-labelledby="companies-title" aria-busy=move || busy().to_string()>
                            <thead>
                                <tr>
                                    <th scope="col" class="table__select">
                                        <SelectPage selection rows />
                                    </th>
                                    <SortHeader
                                        label="Company"
                                        ascending=CompanySort::NameAsc
                                        descending=CompanySort::NameDesc
                                        sort
                                    />
                                    <th scope="col">"Contact"</th>
                                    <th scope="col">"Assigned to"</th>
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
                                    children=move |row| view! { <CompanyRowView row actions=row_actions selection rows /> }
                                />
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
            {move || has_more.get().then(|| view! {
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
            })}
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
fn CompanyRowView(
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
            <td>
                <div class="contact">
                    <span class="contact__name">{company.contact.name.clone()}</span>
                    <a class="contact__email" href=format!("mailto:{}", company.contact.email)>
                        {company.contact.email.clone()}
                    </a>
                </div>
            </td>
            <td>
                {if company.assignees.is_empty() {
                    view! { <span class="muted">"Nobody"</span> }.into_any()
                } else {
                    company
                        .assignees
                        .iter()
                        .map(|user| user.name.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                        .into_any()
                }}
            </td>
            <td>
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

/// Which companies are ticked for a bulk refresh: some listed rows by id, or every
/// company matching the list's filters (listed or not).
#[derive(Clone, Copy)]
struct Selection {
    ids: RwSignal<Vec<CompanyId>>,
    all_matching: RwSignal<bool>,
}

impl Selection {
    fn new() -> Self {
        Self {
            ids: RwSignal::new(Vec::new()),
            all_matching: RwSignal::new(false),
        }
    }

    fn contains(&self, id: CompanyId) -> bool {
        self.all_matching.get() || self.ids.with(|ids| ids.contains(&id))
    }

    /// Ticks or unticks one row. Unticking one of "all matching" leaves the other
    /// listed rows ticked.
    fn set(&self, id: CompanyId, ticked: bool, rows: RwSignal<Vec<CompanyRow>>) {
        if self.all_matching.get_untracked() {
            if ticked {
                return;
            }
            self.all_matching.set(false);
            self.ids.set(rows.with_untracked(|rows| {
                rows.iter()
                    .map(|row| row.company.id)
                    .filter(|listed| *listed != id)
                    .collect()
            }));
            return;
        }
        self.ids.update(|ids| {
            ids.retain(|ticked| *ticked != id);
            if ticked {
                ids.push(id);
            }
        });
    }

    fn clear(&self) {
        self.all_matching.set(false);
        self.ids.update(Vec::clear);
    }
}

/// Whether every listed row is ticked (and there is at least one).
fn page_selected(selection: Selection, rows: RwSignal<Vec<CompanyRow>>) -> bool {
    if selection.all_matching.get() {
        return rows.with(|rows| !rows.is_empty());
    }
    selection.ids.with(|ids| {
        rows.with(|rows| !rows.is_empty() && rows.iter().all(|row| ids.contains(&row.company.id)))
    })
}

/// The header's checkbox: ticks every listed row, or none; mixed while some are.
#[component]
fn SelectPage(selection: Selection, rows: RwSignal<Vec<CompanyRow>>) -> impl IntoView {
    let all = memo(move || page_selected(selection, rows));
    let some = move || !all.get() && selection.ids.with(|ids| !ids.is_empty());
    view! {
        <input
            type="checkbox"
            class="checkbox"
            aria-label="Select all on this page"
            prop:checked=move || all.get()
            prop:indeterminate=some
            on:change=move |event| {
                if event_target_checked(&event) {
                    selection
                        .ids
                        .set(rows.with_untracked(|rows| rows.iter().map(|row| row.company.id).collect()));
                } else {
                    selection.clear();
                }
            }
        />
    }
}

/// What the bar above the table needs from the page.
#[derive(Clone, Copy)]
struct BulkBar {
    selection: Selection,
    rows: RwSignal<Vec<CompanyRow>>,
    /// How many companies match the list's filters, once counted.
    matching: Signal<Option<u64>>,
    /// A batch is being created.
    starting: RwSignal<bool>,
    on_refresh: Callback<()>,
}

/// How many are ticked, the offer to tick every matching company, and Refresh selected.
#[component]
fn BulkBarView(bar: BulkBar) -> impl IntoView {
    let BulkBar {
        selection,
        rows,
        matching,
        starting,
        on_refresh,
    } = bar;
    let refresh_button = NodeRef::<html::Button>::new();
    let page_selected = memo(move || page_selected(selection, rows));
    let listed = move || rows.with(Vec::len) as u64;
    let selected_count = move || {
        if selection.all_matching.get() {
            matching.get().unwrap_or_else(listed)
        } else {
            selection.ids.with(Vec::len) as u64
        }
    };
    // Only worth offering when more companies match than are listed.
    let offer = move || {
        if !page_selected.get() || selection.all_matching.get() {
            return None;
        }
        matching.get().filter(|matching| *matching > listed())
    };
    let summary = move || {
        let count = selected_count();
        if selection.all_matching.get() {
            format!("All {} matching the filters are selected.", count_of(count))
        } else if offer().is_some() {
            format!("All {} on this page are selected.", count_of(count))
        } else if count == 0 {
            "Select companies to refresh their data together.".to_owned()
        } else {
            format!("{} selected.", count_of(count))
        }
    };
    let nothing_selected = move || selected_count() == 0;
    let something_selected = memo(move || !nothing_selected());
    view! {
        <div class="bulk-bar" role="group" aria-label="Bulk actions">
            <p class="bulk-bar__summary" aria-live="polite">
                {summary}
            </p>
            {move || {
                offer()
                    .map(|matching| {
                        view! {
                            <button
                                type="button"
                                class="button button--link"
                                on:click=move |_| {
                                    selection.all_matching.set(true);
                                    // The offer goes; keep the keyboard user's place.
                                    if let Some(button) = refresh_button.get_untracked() {
                                        let _ = button.focus();
                                    }
                                }
                            >
                                {format!("Select all {matching} matching companies")}
                            </button>
                        }
                    })
            }}
            <div class="bulk-bar__actions">
                {move || something_selected.get().then(|| view! {
                    <button
                        type="button"
                        class="button button--quiet"
                        on:click=move |_| {
                            selection.clear();
                            if let Some(button) = refresh_button.get_untracked() {
                                let _ = button.focus();
                            }
                        }
                    >
                        "Clear selection"
                    </button>
                })}
                // aria-disabled, not disabled: the button keeps the focus when the
                // selection empties after a batch starts.
                <button
                    type="button"
                    class="button button--primary"
                    node_ref=refresh_button
                    aria-disabled=move || (nothing_selected() || starting.get()).to_string()
                    on:click=move |_| {
                        if !nothing_selected() && !starting.get_untracked() {
                            on_refresh.run(());
                        }
                    }
                >
                    "Refresh selected"
                </button>
            </div>
        </div>
    }
}
