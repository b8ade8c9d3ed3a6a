//! Ticking rows for a bulk refresh: the selection, the header's checkbox and the bar
//! above the table (how many are ticked, "all matching", Refresh selected).

use domain::CompanyId;
use leptos::{html, prelude::*};

use crate::components::bulk_refresh::companies as count_of;
use crate::live_status::CompanyRow;
use crate::reactive::memo;

/// Which companies are ticked for a bulk refresh: some listed rows by id, or every
/// company matching the list's filters (listed or not).
#[derive(Clone, Copy)]
pub(super) struct Selection {
    pub ids: RwSignal<Vec<CompanyId>>,
    pub all_matching: RwSignal<bool>,
}

impl Selection {
    pub fn new() -> Self {
        Self {
            ids: RwSignal::new(Vec::new()),
            all_matching: RwSignal::new(false),
        }
    }

    pub fn contains(&self, id: CompanyId) -> bool {
        self.all_matching.get() || self.ids.with(|ids| ids.contains(&id))
    }

    /// Ticks or unticks one row. Unticking one of "all matching" leaves the other
    /// listed rows ticked.
    pub fn set(&self, id: CompanyId, ticked: bool, rows: RwSignal<Vec<CompanyRow>>) {
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

    pub fn clear(&self) {
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
pub(super) fn SelectPage(selection: Selection, rows: RwSignal<Vec<CompanyRow>>) -> impl IntoView {
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
pub(super) struct BulkBar {
    pub selection: Selection,
    pub rows: RwSignal<Vec<CompanyRow>>,
    /// How many companies match the list's filters, once counted.
    pub matching: Signal<Option<u64>>,
    /// A batch is being created.
    pub starting: RwSignal<bool>,
    pub on_refresh: Callback<()>,
}

/// How many are ticked, the offer to tick every matching company, and Refresh selected.
#[component]
pub(super) fn BulkBarView(bar: BulkBar) -> impl IntoView {
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
