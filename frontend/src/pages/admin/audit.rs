//! `/admin/audit`: the audit log, filtered by action, user and dates, and its CSV.

use api_types::{AuditAction, UserSummary};
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::JsValue;

use super::{AdminTable, load_failure};
use crate::reactive::effect;
use crate::{
    api::{self, ApiError, AuditEntry, AuditFilters},
    components::{local_time::LocalTime, notices::Notices},
};

#[component]
pub(super) fn AuditSection() -> impl IntoView {
    let notices = expect_context::<Notices>();
    let filters = RwSignal::new(AuditFilters::default());
    let events = RwSignal::new(None::<Result<Vec<AuditEntry>, ApiError>>);
    let next_cursor = RwSignal::new(None::<String>);
    let loading_more = RwSignal::new(false);
    let users = RwSignal::new(Vec::<UserSummary>::new());
    spawn_local(async move {
        if let Ok(list) = api::list_users().await {
            let _ = users.try_set(list.items);
        }
    });
    // Each change of the filters starts the list again; only the newest answer counts.
    let serial = StoredValue::new(0_u64);
    effect(move || {
        let filters = filters.get();
        serial.update_value(|serial| *serial += 1);
        let mine = serial.get_value();
        spawn_local(async move {
            let page = api::list_audit_events(&filters, None).await;
            if serial.try_get_value() != Some(mine) {
                return;
            }
            let _ =
                next_cursor.try_set(page.as_ref().ok().and_then(|page| page.next_cursor.clone()));
            let _ = events.try_set(Some(page.map(|page| page.items)));
        });
    });
    let load_more = move |_| {
        let Some(cursor) = next_cursor.get_untracked() else {
            return;
        };
        loading_more.set(true);
        let filters = filters.get_untracked();
        spawn_local(async move {
            match api::list_audit_events(&filters, Some(cursor)).await {
                Ok(page) => {
                    next_cursor.set(page.next_cursor);
                    events.update(|events| {
                        if let Some(Ok(events)) = events {
                            events.extend(page.items);
                        }
                    });
                }
                Err(err) => notices.fail(err.message()),
            }
            let _ = loading_more.try_set(false);
        });
    };
    let set_filter = move |apply: fn(&mut AuditFilters, Option<String>), value: String| {
        let value = Some(value).filter(|value| !value.is_empty());
        filters.update(|filters| apply(filters, value));
    };
    let action_options = AuditAction::ALL
        .iter()
        .map(|action| view! { <option value=action.as_str()>{action.as_str()}</option> })
        .collect_view();

    view! {
        <div class="toolbar" role="search" aria-label="Filter the audit log">
            <label class="field">
                <span class="field__label">"Action"</span>
                <select
                    class="field__input"
                    on:change=move |event| set_filter(|f, v| f.action = v.and_then(|v| v.parse().ok()), event_target_value(&event))
                >
                    <option value="">"All actions"</option>
                    {action_options}
                </select>
            </label>
            <label class="field">
                <span class="field__label">"User"</span>
                <select
                    class="field__input"
                    on:change=move |event| set_filter(|f, v| f.actor_id = v, event_target_value(&event))
                >
                    <option value="">"Anyone"</option>
                    {move || {
                        users
                            .get()
                            .into_iter()
                            .map(|user| view! { <option value=user.id.to_string()>{user.name}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            {date_filter("From", move |date| set_filter(|f, v| f.since = v, day_start(&date, 0)))}
            {date_filter("To", move |date| set_filter(|f, v| f.until = v, day_start(&date, 1)))}
            <a
                class="button"
                href=move || filters.with(AuditFilters::csv_href)
                download="audit-log.csv"
            >
                "Export CSV"
            </a>
        </div>
        {move || match events.get() {
            None => view! { <p class="panel panel--quiet" aria-busy="true">"Loading the audit log…"</p> }.into_any(),
            Some(Err(err)) => load_failure("audit log", &err),
            Some(Ok(events)) if events.is_empty() => view! {
                <p class="panel panel--quiet">"No entries match these filters."</p>
            }
                .into_any(),
            Some(Ok(events)) => view! {
                <AdminTable label="Audit log entries" columns=&["When", "Who", "Action", "Target", "Details", "Address"]>
                    {events.into_iter().map(audit_row).collect_view()}
                </AdminTable>
            }
                .into_any(),
        }}
        {move || next_cursor.with(Option::is_some).then(|| view! {
            <div class="load-more">
                <button type="button" class="button" disabled=move || loading_more.get() on:click=load_more>
                    {move || if loading_more.get() { "Loading…" } else { "Load more" }}
                </button>
            </div>
        })}
    }
}

fn audit_row(event: AuditEntry) -> impl IntoView {
    let who = match event.actor_kind.as_str() {
        "api_key" => format!("{} (API key)", event.actor),
        "customer" => format!("{} (customer)", event.actor),
        _ => event.actor,
    };
    view! {
        <tr>
            <td><LocalTime at=event.at /></td>
            <td>{who}</td>
            <td><code>{event.action}</code></td>
            <td>{event.target.unwrap_or_default()}</td>
            <td class="audit-detail">{event.detail}</td>
            <td>{event.ip.unwrap_or_default()}</td>
        </tr>
    }
}

/// A date input of the filters; `changed` gets the chosen date, empty when cleared.
fn date_filter(label: &'static str, changed: impl Fn(String) + 'static) -> impl IntoView {
    view! {
        <label class="field">
            <span class="field__label">{label}</span>
            <input
                type="date"
                class="field__input"
                on:change=move |event| changed(event_target_value(&event))
            />
        </label>
    }
}

/// The start of the local day `date` (`YYYY-MM-DD`, from a date input) plus `days`, as
/// an RFC 3339 instant; empty when the input is.
fn day_start(date: &str, days: u32) -> String {
    if date.is_empty() {
        return String::new();
    }
    // A date-time without an offset is local time to `Date`.
    let day = js_sys::Date::new(&JsValue::from_str(&format!("{date}T00:00")));
    if days > 0 {
        day.set_date(day.get_date() + days);
    }
    if day.get_time().is_nan() {
        return String::new();
    }
    day.to_iso_string().into()
}
