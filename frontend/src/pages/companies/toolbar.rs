//! The bar above the list: search, the status filter with the counts per status, the
//! users filter and the order.

use std::time::Duration;

use api_types::{CompanyCounts, CompanySort, StatusFilter, UserSummary};
use domain::UserId;
use leptos::prelude::*;

use crate::api::{parse_sort, parse_status_filter, sort_name};

/// How long typing pauses before the list is searched.
const SEARCH_DELAY: Duration = Duration::from_millis(300);

/// What the list shows: the toolbar sets it, the page lists by it.
#[derive(Clone, Copy)]
pub(super) struct ListFilters {
    pub search: RwSignal<String>,
    pub status: RwSignal<Option<StatusFilter>>,
    pub assignee: RwSignal<Option<UserId>>,
    pub sort: RwSignal<CompanySort>,
}

impl ListFilters {
    /// The search text, unless it is blank.
    pub fn q(&self) -> Option<String> {
        Some(self.search.get()).filter(|q| !q.trim().is_empty())
    }

    pub fn q_untracked(&self) -> Option<String> {
        Some(self.search.get_untracked()).filter(|q| !q.trim().is_empty())
    }
}

#[component]
pub(super) fn Toolbar(
    filters: ListFilters,
    counts: Signal<Option<CompanyCounts>>,
    /// The organization's users, for the users filter.
    users: Signal<Vec<UserSummary>>,
    /// Who is signed in: "(you)" in the users filter.
    me: Option<UserId>,
) -> impl IntoView {
    let ListFilters {
        search,
        status: status_filter,
        assignee,
        sort,
    } = filters;
    let on_search = leptos::prelude::debounce(SEARCH_DELAY, move |text: String| search.set(text));
    let on_search = StoredValue::new_local(on_search);
    view! {
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
                                let name = if me == Some(user.id) {
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
