//! `/`: the organization's companies, their data status, reports and actions.

use std::time::Duration;

use api_types::{CompanyListQuery, Delivery, InformationRequest, StatusFilter};
use domain::{CompanyId, DataStatus, DataType};
use leptos::{prelude::*, task::spawn_local};

use crate::{
    api, clipboard,
    components::{
        actions_menu::{ActionsMenu, MenuAction},
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

    let companies = LocalResource::new(move || {
        let query = CompanyListQuery {
            q: Some(search.get()).filter(|q| !q.trim().is_empty()),
            status: status_filter.get(),
            ..CompanyListQuery::default()
        };
        async move { api::list_companies(&query).await }
    });

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
    let row_actions = RowActions {
        refresh: on_refresh,
        request_information: on_request_information,
        copy_link: on_copy_link,
    };

    let on_search = leptos::prelude::debounce(SEARCH_DELAY, move |text: String| search.set(text));
    let on_search = StoredValue::new_local(on_search);
    let is_filtered = move || !search.get().trim().is_empty() || status_filter.get().is_some();
    let busy = move || companies.with(Option::is_none);

    view! {
        <section class="companies" aria-labelledby="companies-title">
            <div class="page-header">
                <h1 id="companies-title">"Companies"</h1>
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
                        <option value="">"All statuses"</option>
                        <option value="not_requested">"Not requested"</option>
                        <option value="requested">"Requested"</option>
                        <option value="available">"Available"</option>
                        <option value="error">"Error"</option>
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
                                    <th scope="col">"Company"</th>
                                    <th scope="col">"Data requested"</th>
                                    <th scope="col">"Status"</th>
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
        </section>
    }
}

/// What the ⋮ menu of a row can do; the page owns the doing.
#[derive(Clone, Copy)]
struct RowActions {
    refresh: Callback<CompanyRow>,
    request_information: Callback<CompanyRow>,
    copy_link: Callback<CompanyRow>,
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
    ];
    view! {
        <tr>
            <td>
                <div class="company">
                    <span class="company__name">{company.name.clone()}</span>
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
