//! `/companies/:id`: one company — its details, status, refresh history, reports and
//! charts of its data.

use std::time::Duration;

use api_types::{
    Company, CompanyChanges, RefreshJob, RefreshState, ReportList, SupplierChange, UserSummary,
};
use chrono::NaiveDate;
use domain::{CompanyId, DataStatus, RefreshSchedule, ReportKind};
use gloo_timers::future::sleep;
use leptos::{prelude::*, task::spawn_local};

use crate::reactive::{effect, memo};
use crate::{
    api,
    components::{
        charts::{
            AGEING_BUCKETS, BillsData, HorizontalBarChart, ProfitAndLossChart, ProfitAndLossData,
            ReportData, payables_ageing, profit_and_loss_periods, top_suppliers,
        },
        later::{Later, after_paint},
        local_time::{LocalTime, local_date_time},
        notices::Notices,
        request_dialog::RequestInformationDialog,
        upload_form::{UploadForm, UploadTarget},
    },
    loader::Loader,
};

mod entities;

const POLL_INTERVAL: Duration = Duration::from_secs(2);

#[component]
pub fn CompanyPage(
    /// From the address (`/companies/:id`).
    id: String,
) -> impl IntoView {
    match id.parse::<CompanyId>().ok() {
        None => {
            view! { <CompanyNotFound message="This address does not name a company.".to_owned() /> }
                .into_any()
        }
        Some(id) => view! { <CompanyView id /> }.into_any(),
    }
}

#[component]
fn CompanyNotFound(message: String) -> impl IntoView {
    view! {
        <section class="company-page">
            <BackLink />
            <div class="panel panel--error" role="alert">
                <p class="panel__title">"The company could not be shown."</p>
                <p>{message}</p>
            </div>
        </section>
    }
}

#[component]
fn BackLink() -> impl IntoView {
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/">"← All companies"</a>
        </nav>
    }
}

#[component]
fn CompanyView(id: CompanyId) -> impl IntoView {
    let notices = expect_context::<Notices>();
    let company = RwSignal::new(None::<Result<Company, String>>);
    // The cards below the details: their first answers once the details are painted.
    let refreshes = Loader::new(move || async move {
        after_paint().await;
        api::list_refreshes(id).await
    });
    let reports = Loader::new(move || async move {
        after_paint().await;
        api::list_reports(id).await
    });
    let changes = Loader::new(move || async move {
        after_paint().await;
        api::get_changes(id).await
    });

    let load = move || {
        spawn_local(async move {
            let loaded = api::get_company(id).await.map_err(|err| err.message());
            let _ = company.try_set(Some(loaded));
        });
    };
    load();

    // While a refresh is queued or running: fetch the company every 2 s until it is done,
    // then the history and the reports it changed.
    let refreshing = memo(move || {
        company.with(|company| {
            matches!(company, Some(Ok(company)) if company.refresh.as_ref().is_some_and(|job| job.state.is_active()))
        })
    });
    let polling = StoredValue::new(false);
    effect(move || {
        if !refreshing.get() || polling.get_value() {
            return;
        }
        polling.set_value(true);
        spawn_local(async move {
            loop {
                sleep(POLL_INTERVAL).await;
                if company.try_with_untracked(|_| ()).is_none() {
                    // The page is gone.
                    return;
                }
                let Ok(loaded) = api::get_company(id).await else {
                    continue;
                };
                let done = !loaded
                    .refresh
                    .as_ref()
                    .is_some_and(|job| job.state.is_active());
                if company.try_set(Some(Ok(loaded))).is_some() {
                    // The page is gone.
                    return;
                }
                if done {
                    refreshes.refetch();
                    reports.refetch();
                    changes.refetch();
                    let _ = polling.try_update_value(|polling| *polling = false);
                    return;
                }
            }
        });
    });

    let refresh = move |name: String| {
        spawn_local(async move {
            match api::refresh_company(id).await {
                Ok(job) => {
                    company.update(|company| {
                        if let Some(Ok(company)) = company {
                            company.refresh = Some(job);
                        }
                    });
                    refreshes.refetch();
                    notices.confirm(format!("Refresh initiated for {name}"));
                }
                Err(err) => notices.fail(err.message()),
            }
        });
    };
    let requesting = RwSignal::new(false);

    move || match company.get() {
        None => view! { <p class="panel panel--quiet" aria-busy="true">"Loading the company…"</p> }
            .into_any(),
        Some(Err(message)) => view! { <CompanyNotFound message /> }.into_any(),
        Some(Ok(details)) => {
            let name = details.name.clone();
            let uploaded = details.upload.clone();
            let request_dialog = {
                let details = details.clone();
                move || {
                    requesting.get().then(|| {
                        let contact = details.contact.email.clone();
                        view! {
                            <RequestInformationDialog
                                company=details.clone()
                                replaces_pending=details.status == Some(DataStatus::Requested)
                                on_sent=Callback::new(move |()| {
                                    notices.confirm(format!("Information request sent to {contact}"));
                                    load();
                                })
                                on_closed=Callback::new(move |()| requesting.set(false))
                            />
                        }
                    })
                }
            };
            view! {
                <section class="company-page" aria-labelledby="company-title">
                    <BackLink />
                    <div class="page-header">
                        <h1 id="company-title">{name.clone()}</h1>
                        <div class="page-header__actions">
                            // Uploaded data has nothing to be refreshed from.
                            {uploaded.is_none().then(|| view! {
                                <button
                                    type="button"
                                    class="button"
                                    disabled=move || refreshing.get()
                                    on:click={
                                        let name = name.clone();
                                        move |_| {
                                            refresh(name.clone());
                                        }
                                    }
                                >
                                    "Refresh data"
                                </button>
                            })}
                            <button
                                type="button"
                                class="button button--primary"
                                on:click=move |_| requesting.set(true)
                            >
                                {if uploaded.is_some() { "Request a new upload" } else { "Request information" }}
                            </button>
                        </div>
                    </div>
                    <Details company=details.clone() />
                    <entities::Entities company=details.clone() on_changed=Callback::new(move |()| load()) />
                    <section class="panel upload-panel" aria-labelledby="upload-title">
                        <h2 id="upload-title" class="panel__title">"Uploaded data"</h2>
                        {match uploaded.clone() {
                            Some(upload) => view! {
                                <p>
                                    {format!(
                                        "Uploaded by {} from {}: {} suppliers, {} bills, {} bill payments, on ",
                                        upload.uploaded_by.as_deref().unwrap_or("the customer"),
                                        upload.file_name,
                                        upload.suppliers,
                                        upload.bills,
                                        upload.bill_payments,
                                    )}
                                    <LocalTime at=upload.uploaded_at />
                                    ". It is not refreshable: request a new upload for newer figures."
                                </p>
                            }
                                .into_any(),
                            None => view! {
                                <p class="muted">
                                    "If the customer's software can't connect, they can upload a template from their link, or send it to you to upload here."
                                </p>
                            }
                                .into_any(),
                        }}
                        {details.data_types.contains(&domain::DataType::SpendDetail).then(|| view! {
                        <details class="upload-panel__form">
                            <summary>"Upload the customer's data from the template"</summary>
                            <UploadForm
                                target=UploadTarget::Company(id)
                                on_uploaded=move |name: String| {
                                    notices.confirm(format!("Data uploaded for {name}"));
                                    load();
                                    reports.refetch();
                                    changes.refetch();
                                    refreshes.refetch();
                                }
                            />
                        </details>
                        })}
                    </section>
                    <Later>
                        <Reports id reports />
                    </Later>
                    <Later>
                        <Changes changes />
                        <RefreshHistory refreshes />
                    </Later>
                    {request_dialog}
                </section>
            }
            .into_any()
        }
    }
}

#[component]
fn Details(company: Company) -> impl IntoView {
    let (label, modifier) = match company.status {
        None => ("Not requested", "none"),
        Some(status) => (status.label(), status.as_str()),
    };
    let error = company
        .error
        .clone()
        .filter(|_| company.status == Some(DataStatus::Error));
    let running = company.refresh.clone().filter(|job| job.state.is_active());
    let access_lost = error.as_ref().is_some_and(|error| {
        matches!(
            error.code,
            domain::ErrorCode::AccessRevoked | domain::ErrorCode::AccessDenied
        )
    });
    let assignees = assignee_names(&company.assignees).unwrap_or_else(|| "Nobody".to_owned());
    let data_types = company
        .data_types
        .iter()
        .map(|data_type| data_type.label())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <div class="card">
            <h2 class="card__title">"Details"</h2>
            {(!company.description.trim().is_empty())
                .then(|| view! { <p class="card__lead">{company.description.clone()}</p> })}
            <dl class="details">
                <dt>"Status"</dt>
                <dd>
                    <div class="status">
                        <div class="status__line">
                            <span class=format!("badge badge--{modifier}")>{label}</span>
                            {running
                                .map(|job| {
                                    let text = if job.state == RefreshState::Queued {
                                        "Refresh queued"
                                    } else {
                                        "Refreshing…"
                                    };
                                    view! {
                                        <span class="refreshing" role="status">
                                            <span class="spinner" aria-hidden="true"></span>
                                            {text}
                                        </span>
                                    }
                                })}
                        </div>
                        {company
                            .status_updated_at
                            .map(|at| view! { <LocalTime at class="status__time" test_id="status-updated-at" /> })}
                        {error
                            .map(|error| {
                                let message = if error.message.trim().is_empty() {
                                    error.code.default_message().to_owned()
                                } else {
                                    error.message.clone()
                                };
                                view! {
                                    <p class="status__error">{message}</p>
                                    <p class="status__remedy">
                                        {format!("What to do: {}", error.code.remedy().label())}
                                    </p>
                                }
                            })}
                    </div>
                </dd>
                <dt>"Contact"</dt>
                <dd>
                    {company.contact.name.clone()}
                    <br />
                    <a href=format!("mailto:{}", company.contact.email)>{company.contact.email.clone()}</a>
                </dd>
                <dt>"Assigned users"</dt>
                <dd>{assignees}</dd>
                <dt>"Data requested"</dt>
                <dd>{data_types}</dd>
                <dt>"Accounting platform"</dt>
                <dd>
                    {match company.platform.clone() {
                        Some(platform)
                            if matches!(platform.as_str(), "xero" | "quickbooks" | "http") =>
                        {
                            view! { <PlatformConnectionLine company=company.id /> }.into_any()
                        }
                        Some(platform) => platform.into_any(),
                        // Access lost at the platform: the connection says how it stands.
                        None if access_lost => {
                            view! { <PlatformConnectionLine company=company.id /> }.into_any()
                        }
                        None => "Not connected".into_any(),
                    }}
                </dd>
                <dt>"Data updated"</dt>
                <dd>
                    {match company.data_updated_at {
                        Some(at) => view! { <LocalTime at class="status__time" test_id="data-updated-at" /> }.into_any(),
                        None => "Never".into_any(),
                    }}
                    {company.stale.then(|| view! {
                        <span class="stale">"Data out of date: refresh it"</span>
                    })}
                </dd>
                <dt>"Scheduled refresh"</dt>
                <dd>
                    {match company.refresh_schedule {
                        RefreshSchedule::Off => "Off",
                        RefreshSchedule::Weekly => "Every week",
                        RefreshSchedule::Monthly => "Every month",
                    }}
                    {company.next_refresh_at.map(|at| view! {
                        <span class="muted">" · next "<LocalTime at class="status__time" test_id="next-refresh-at" /></span>
                    })}
                </dd>
            </dl>
        </div>
    }
}

#[component]
fn Reports(id: CompanyId, reports: Loader<Result<ReportList, api::ApiError>>) -> impl IntoView {
    view! {
        <div class="card">
            <h2 class="card__title">"Reports"</h2>
            {move || match reports.get() {
                None => view! { <p class="card__hint" aria-busy="true">"Loading reports…"</p> }.into_any(),
                Some(Err(err)) => {
                    view! {
                        <p class="status__error" role="alert">
                            {format!("The reports could not be loaded. {}", err.message())}
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(list)) if list.items.is_empty() => {
                    view! { <p class="card__hint">"No reports yet: they appear once the customer shares data."</p> }
                        .into_any()
                }
                Some(Ok(list)) => {
                    let kinds: Vec<ReportKind> = list.items.iter().map(|report| report.kind).collect();
                    view! {
                        <ul class="report-list">
                            {list
                                .items
                                .into_iter()
                                .map(|report| {
                                    view! {
                                        <li class="report-list__item">
                                            <a href=report.href.clone() download="">
                                                {report.title.clone()}
                                            </a>
                                            <span class="report-list__meta">
                                                {format!("Updated {}", local_date_time(&report.updated_at))}
                                            </span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                        <Charts id kinds />
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

/// The charts the company's reports allow, fetched again whenever the list of reports is.
#[component]
fn Charts(id: CompanyId, kinds: Vec<ReportKind>) -> impl IntoView {
    let has_pnl = kinds.contains(&ReportKind::ProfitAndLoss);
    let has_bills = kinds.contains(&ReportKind::Bills);
    let pnl = Loader::new(move || async move {
        if has_pnl {
            api::get_report::<ReportData<ProfitAndLossData>>(id, ReportKind::ProfitAndLoss)
                .await
                .ok()
                .map(|report| report.data)
        } else {
            None
        }
    });
    let bills = Loader::new(move || async move {
        if has_bills {
            api::get_report::<ReportData<BillsData>>(id, ReportKind::Bills)
                .await
                .ok()
                .map(|report| report.data)
        } else {
            None
        }
    });
    view! {
        <div class="charts">
            {move || {
                pnl.get()
                    .flatten()
                    .map(|report| {
                        let points = profit_and_loss_periods(&report);
                        (!points.is_empty())
                            .then(|| {
                                view! {
                                    <ProfitAndLossChart points currency=report.currency() />
                                }
                            })
                    })
            }}
            {move || {
                bills
                    .get()
                    .flatten()
                    .map(|report| {
                        let currency = report.currency();
                        let suppliers = top_suppliers(&report, 10);
                        let ageing = payables_ageing(&report, today());
                        let ageing_rows = AGEING_BUCKETS
                            .iter()
                            .zip(ageing)
                            .map(|(label, amount)| ((*label).to_owned(), amount))
                            .collect::<Vec<_>>();
                        view! {
                            <HorizontalBarChart
                                title="Top suppliers by spend"
                                rows=suppliers
                                currency=currency.clone()
                            />
                            <HorizontalBarChart
                                title="Accounts payable ageing"
                                rows=ageing_rows
                                currency
                            />
                        }
                    })
            }}
        </div>
    }
}

/// Today in the browser's time zone.
fn today() -> NaiveDate {
    let now = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(
        now.get_full_year() as i32,
        now.get_month() + 1,
        now.get_date(),
    )
    .unwrap_or_default()
}

/// What changed since the refresh before: shown once two refreshes of the spend
/// detail are kept.
#[component]
fn Changes(changes: Loader<Result<CompanyChanges, api::ApiError>>) -> impl IntoView {
    move || {
        let Some(Ok(changes)) = changes.get() else {
            return ().into_any();
        };
        let (Some(since), Some(payables), Some(overdue)) =
            (changes.since, changes.accounts_payable, changes.overdue)
        else {
            return ().into_any();
        };
        let currency = changes.currency.clone().unwrap_or_default();
        let amount = move |value: f64| format!("{currency} {}", thousands(value));
        let signed = {
            let amount = amount.clone();
            move |value: f64| {
                if value > 0.0 {
                    format!("+{}", amount(value))
                } else if value < 0.0 {
                    format!("−{}", amount(-value))
                } else {
                    "no change".to_owned()
                }
            }
        };
        let names = |list: &[SupplierChange]| {
            if list.is_empty() {
                "None".to_owned()
            } else {
                list.iter()
                    .map(|s| s.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        view! {
            <section class="card" aria-labelledby="changes-title">
                <h2 class="card__title" id="changes-title">"What changed since the last refresh"</h2>
                <p class="card__lead">
                    "Since " <LocalTime at=since class="status__time" test_id="changes-since" />
                </p>
                <dl class="details">
                    <dt>"Accounts payable"</dt>
                    <dd>{format!("{} → {} ({})", amount(payables.before), amount(payables.after), signed(payables.change))}</dd>
                    <dt>"Overdue"</dt>
                    <dd>{format!("{} → {} ({})", amount(overdue.before), amount(overdue.after), signed(overdue.change))}</dd>
                    <dt>"New suppliers"</dt>
                    <dd>{names(&changes.new_suppliers)}</dd>
                    <dt>"Suppliers gone"</dt>
                    <dd>{names(&changes.gone_suppliers)}</dd>
                    <dt>"Biggest movers"</dt>
                    <dd>
                        {if changes.biggest_movers.is_empty() {
                            "None".into_any()
                        } else {
                            view! {
                                <ul class="movers">
                                    {changes
                                        .biggest_movers
                                        .iter()
                                        .map(|m| view! {
                                            <li>{format!("{}: {}", m.name, signed(m.outstanding.change))}</li>
                                        })
                                        .collect_view()}
                                </ul>
                            }
                            .into_any()
                        }}
                    </dd>
                </dl>
            </section>
        }
        .into_any()
    }
}

/// `1234567.8` → `1,234,567.80`, with integers only (no float formatting in the wasm).
fn thousands(value: f64) -> String {
    let cents = (value.abs() * 100.0).round() as u64;
    let (whole, fraction) = (cents / 100, cents % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{fraction:02}")
}

#[component]
fn RefreshHistory(refreshes: Loader<Result<Vec<RefreshJob>, api::ApiError>>) -> impl IntoView {
    view! {
        <div class="card">
            <h2 class="card__title" id="refresh-history-title">"Refresh history"</h2>
            {move || match refreshes.get() {
                None => view! { <p class="card__hint" aria-busy="true">"Loading the history…"</p> }.into_any(),
                Some(Err(err)) => {
                    view! {
                        <p class="status__error" role="alert">
                            {format!("The refresh history could not be loaded. {}", err.message())}
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(jobs)) if jobs.is_empty() => {
                    view! { <p class="card__hint">"No refreshes yet."</p> }.into_any()
                }
                Some(Ok(jobs)) => {
                    // Wider than a phone: it scrolls inside a region the keyboard can
                    // focus (to scroll it), never the page.
                    view! {
                        <div class="table-scroll" role="region" aria-label="Refresh history, all columns" tabindex="0">
                        <table class="table table--compact" aria-labelledby="refresh-history-title">
                            <thead>
                                <tr>
                                    <th scope="col">"Requested at"</th>
                                    <th scope="col">"Trigger"</th>
                                    <th scope="col">"State"</th>
                                    <th scope="col">"Attempts"</th>
                                    <th scope="col">"Finished at"</th>
                                    <th scope="col">"Error"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {jobs.into_iter().map(|job| view! { <RefreshRow job /> }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

#[component]
fn RefreshRow(job: RefreshJob) -> impl IntoView {
    // By name, so a trigger added to the API later still shows (as its name).
    let trigger = match job.trigger.as_str() {
        "manual" => "Manual",
        "consent" => "Customer consent",
        "bulk" => "Bulk refresh",
        "schedule" => "Scheduled",
        other => other,
    };
    let state = match job.state {
        RefreshState::Queued => "Queued",
        RefreshState::Running => "Running",
        RefreshState::Succeeded => "Succeeded",
        RefreshState::Failed => "Failed",
        RefreshState::Cancelled => "Cancelled",
    };
    let error = job
        .error
        .map(|error| {
            if error.message.trim().is_empty() {
                error.code.default_message().to_owned()
            } else {
                error.message
            }
        })
        .unwrap_or_else(|| "—".to_owned());
    view! {
        <tr>
            <td>
                <LocalTime at=job.requested_at />
            </td>
            <td>{trigger}</td>
            <td>{state}</td>
            <td>{job.attempts}</td>
            <td>
                {match job.finished_at {
                    Some(at) => view! { <LocalTime at /> }.into_any(),
                    None => "—".into_any(),
                }}
            </td>
            <td>{error}</td>
        </tr>
    }
}

/// The names of a company's assignees, joined; `None` when nobody is assigned.
pub(crate) fn assignee_names(assignees: &[UserSummary]) -> Option<String> {
    (!assignees.is_empty()).then(|| {
        assignees
            .iter()
            .map(|user| user.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// Xero or QuickBooks: which books the company is connected to, and whether the
/// connection works.
#[component]
fn PlatformConnectionLine(company: CompanyId) -> impl IntoView {
    let connection = RwSignal::new(None::<Result<api_types::PlatformConnection, api::ApiError>>);
    effect(move || {
        spawn_local(async move {
            let answer = api::company_connection(company).await;
            let _ = connection.try_set(Some(answer));
        });
    });
    move || match connection.get() {
        None => "…".into_any(),
        Some(Err(_)) => "Connected (details unavailable)".into_any(),
        Some(Ok(connection)) => {
            let state = match connection.state {
                api_types::ConnectionState::Connected => "Connected",
                api_types::ConnectionState::NeedsReconnecting => {
                    "Needs reconnecting: send a new information request"
                }
                api_types::ConnectionState::Disconnected => {
                    "Disconnected at the platform: send a new information request"
                }
            };
            view! {
                <span data-testid="platform-connection">
                    {format!("{} · {}", connection.platform_name, connection.organisation.name)}
                    <br />
                    <span class="connection-state">{state}</span>
                </span>
            }
            .into_any()
        }
    }
}
