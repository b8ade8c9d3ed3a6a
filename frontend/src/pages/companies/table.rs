//! The list itself: the bar of bulk actions, the sortable header and the rows.

use std::time::Duration;

use api_types::CompanySort;
use leptos::prelude::*;

use super::{
    row::{CompanyRowView, RowActions},
    selection::{BulkBar, BulkBarView, SelectPage, Selection},
};
use crate::live_status::CompanyRow;
use crate::reactive::effect;

/// Rows drawn in one task of the browser: a page of rows drawn at once was one long
/// task (hundreds of milliseconds on a slow phone) in which a tap waits. The table's
/// frame is drawn with the answer; the rows follow one at a time, each in a task of its
/// own (the first also compiles the row's code: docs/benchmarks.md, "Lighthouse").
const ROWS_PER_TASK: usize = 1;

#[component]
pub(super) fn CompaniesTable(
    rows: RwSignal<Vec<CompanyRow>>,
    selection: Selection,
    bulk_bar: BulkBar,
    row_actions: RowActions,
    sort: RwSignal<CompanySort>,
    /// The list is being loaded again.
    busy: Signal<bool>,
) -> impl IntoView {
    let drawn = RwSignal::new(0);
    effect(move || {
        if drawn.get() < rows.with(Vec::len) {
            set_timeout(
                move || {
                    let _ = drawn.try_update(|drawn| *drawn += ROWS_PER_TASK);
                },
                Duration::ZERO,
            );
        }
    });
    view! {
        <div class="table-card">
            <BulkBarView bar=bulk_bar />
            <table class="table" aria-labelledby="companies-title" aria-busy=move || busy.get().to_string()>
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
                        each=move || rows.with(|rows| rows.iter().take(drawn.get()).cloned().collect::<Vec<_>>())
                        key=|row| (row.generation, row.company.id)
                        children=move |row| view! { <CompanyRowView row actions=row_actions selection rows /> }
                    />
                </tbody>
            </table>
        </div>
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
