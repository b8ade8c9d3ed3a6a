//! `/`: the organization's companies, their data status, reports and actions.

mod group;
mod row;

pub(crate) use row::platform_label;
mod selection;
mod table;
mod toolbar;

use api_types::{
    BatchFilter, Company, CompanyCounts, CompanyCountsQuery, CompanyListQuery, CompanySort,
    Delivery, InformationRequest, NewRefreshBatch, RefreshBatch, RefreshCompanies, RefreshFilter,
    StatusFilter,
};
use domain::{CompanyId, DataStatus, Role};
use leptos::{prelude::*, task::spawn_local};

use crate::reactive::{effect, memo};
use crate::{
    api, clipboard,
    components::{
        bulk_refresh::{
            BulkRefresh, BulkRefreshPanel, companies as count_of, follow_batch, progress_text,
        },
        company_form::{AfterSave, CompanyFormDialog},
        delete_dialog::DeleteCompanyDialog,
        notices::Notices,
        request_dialog::RequestInformationDialog,
    },
    live_status::{CompanyRow, poll_pending_statuses, show_current_statuses},
    loader::Loader,
    session::SessionContext,
};
use row::RowActions;
use selection::{BulkBar, Selection};
use table::CompaniesTable;
use toolbar::{ListFilters, Toolbar};

#[component]
pub fn CompaniesPage() -> impl IntoView {
    let notices = expect_context::<Notices>();
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
    let filters = ListFilters {
        search: RwSignal::new(String::new()),
        status: RwSignal::new(None::<StatusFilter>),
        assignee,
        sort: RwSignal::new(CompanySort::NameAsc),
    };
    let ListFilters {
        status: status_filter,
        sort,
        ..
    } = filters;

    let companies = Loader::new(move || {
        let query = CompanyListQuery {
            q: filters.q(),
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
            q: filters.q(),
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
            q: filters.q_untracked(),
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
                // An entity removed from its expanded group: the group's row changes.
                if company.parent.is_some() {
                    companies.refetch();
                }
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
                q: filters.q_untracked(),
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

    let is_filtered = move || filters.q().is_some() || status_filter.get().is_some();
    let busy = Signal::derive(move || companies.loading());
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
            <Toolbar filters counts users me=me.map(|(id, _)| id) />
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
                view! { <CompaniesTable rows selection bulk_bar row_actions sort busy /> }
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
