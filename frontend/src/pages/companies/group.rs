//! A group's row in the list (issue #21): its entities rolled up in the Status column
//! (the worst status, with counts), expanded in place below it, and ⋮ → Refresh data
//! for all of them — one batch, one job per entity, its progress on the row.

use std::time::Duration;

use api_types::{Company, GroupSummary, NewRefreshBatch, RefreshBatch, RefreshCompanies};
use domain::CompanyId;
use gloo_timers::future::sleep;
use leptos::{prelude::*, task::spawn_local};

use super::row::{EntityRow, RowActions};
use crate::api;
use crate::components::{bulk_refresh::progress_text, local_time::LocalTime, notices::Notices};
use crate::live_status::{CompanyRow, poll_pending_statuses};

const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// What a group's row keeps beside the listed company.
#[derive(Clone, Copy)]
pub(super) struct Group {
    pub id: CompanyId,
    name: StoredValue<String>,
    pub expanded: RwSignal<bool>,
    summary: RwSignal<GroupSummary>,
    /// The group's own books first, then its entities; loaded when first expanded.
    members: RwSignal<Option<Vec<CompanyRow>>>,
    /// The group refresh under way (or just finished).
    progress: RwSignal<Option<RefreshBatch>>,
}

impl Group {
    /// `None` for a company without entities.
    pub fn new(company: &Company) -> Option<Self> {
        let summary = company.group.clone()?;
        Some(Self {
            id: company.id,
            name: StoredValue::new(company.name.clone()),
            expanded: RwSignal::new(false),
            summary: RwSignal::new(summary),
            members: RwSignal::new(None),
            progress: RwSignal::new(None),
        })
    }

    pub fn toggle(self) {
        let expand = !self.expanded.get_untracked();
        self.expanded.set(expand);
        if expand && self.members.with_untracked(Option::is_none) {
            spawn_local(async move {
                if let Err(err) = self.load().await {
                    expect_context::<Notices>().fail(err);
                }
            });
        }
    }

    /// Fetches the group (its roll-up) and its entities again.
    async fn load(self) -> Result<(), String> {
        let group = api::get_company(self.id).await.map_err(|e| e.message())?;
        let entities = api::list_entities(self.id).await.map_err(|e| e.message())?;
        if let Some(summary) = group.group.clone() {
            let _ = self.summary.try_set(summary);
        }
        let mut members = vec![CompanyRow::new(group, 0)];
        members.extend(
            entities
                .into_iter()
                .map(|entity| CompanyRow::new(entity, 0)),
        );
        let _ = self.members.try_set(Some(members));
        Ok(())
    }

    /// ⋮ → Refresh data: every entity of the group, as one batch; the uploaded ones
    /// are skipped (not refreshable) and named.
    pub fn refresh(self, notices: Notices) {
        spawn_local(async move {
            let batch = NewRefreshBatch::Companies(RefreshCompanies {
                company_ids: vec![self.id],
            });
            let created = match api::create_refresh_batch(&batch).await {
                Ok(created) => created,
                Err(err) => return notices.fail(err.message()),
            };
            let _ = self.load().await;
            let name = self.name.get_value();
            let skipped: Vec<String> = self.members.with_untracked(|members| {
                created
                    .skipped
                    .iter()
                    .filter_map(|s| {
                        members
                            .as_ref()?
                            .iter()
                            .find(|m| m.company.id == s.company_id)
                    })
                    .map(|m| m.company.name.clone())
                    .collect()
            });
            let mut text = format!(
                "Refresh initiated for {name}: {} {}",
                created.total,
                if created.total == 1 {
                    "entity"
                } else {
                    "entities"
                }
            );
            if !skipped.is_empty() {
                text.push_str(&format!(
                    "; not refreshable (uploaded): {}",
                    skipped.join(", ")
                ));
            }
            notices.confirm(text);
            let _ = self.progress.try_set(Some(created.clone()));
            let mut progress = created;
            while !progress.done {
                sleep(POLL_INTERVAL).await;
                if self.progress.try_get_untracked().is_none() {
                    return; // the row is gone
                }
                match api::get_refresh_batch(progress.id).await {
                    Ok(now) => {
                        progress = now;
                        let _ = self.progress.try_set(Some(progress.clone()));
                    }
                    Err(err) => leptos::logging::warn!("group refresh poll: {}", err.message()),
                }
            }
            let _ = self.load().await;
            notices.confirm(format!(
                "Refresh of {name} finished: {}",
                progress_text(&progress)
            ));
        });
    }
}

/// The Status column of a group: the worst of its entities' statuses, how many are in
/// each, the latest update, and the group refresh's progress.
#[component]
pub(super) fn GroupStatus(group: Group) -> impl IntoView {
    move || {
        let summary = group.summary.get();
        let (label, modifier) = match summary.status {
            None => ("Not requested", "none"),
            Some(status) => (status.label(), status.as_str()),
        };
        let total = summary.entities;
        let counts = [
            (summary.error, "in Error"),
            (summary.requested, "requested"),
            (summary.not_requested, "not requested"),
            (summary.available, "available"),
        ];
        let breakdown = if counts.iter().filter(|(n, _)| *n > 0).count() == 1 {
            format!("all {total} entities")
        } else {
            counts
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, words)| format!("{n} of {total} {words}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let running = group
            .progress
            .get()
            .filter(|p| !p.done)
            .map(|p| {
                format!(
                    "Refreshing group · {} of {} done",
                    p.succeeded + p.failed + p.cancelled,
                    p.total
                )
            })
            .or_else(|| {
                (summary.refreshing > 0)
                    .then(|| format!("{} of {total} refreshing", summary.refreshing))
            });
        view! {
            <div class="status" data-testid="group-status">
                <div class="status__line">
                    <span class=format!("badge badge--{modifier}")>{label}</span>
                    <span class="status__breakdown">{breakdown}</span>
                </div>
                {summary
                    .updated_at
                    .map(|at| view! { <LocalTime at class="status__time" /> })}
                {running.map(|text| view! {
                    <span class="refreshing" role="status">
                        <span class="spinner" aria-hidden="true"></span>
                        {text}
                    </span>
                })}
            </div>
        }
    }
}

/// The group's entities, below its row while it is expanded: its own books first.
/// Each keeps its own ⋮ and reports; their refreshes are followed as the list's are.
#[component]
pub(super) fn EntityRows(group: Group, actions: RowActions) -> impl IntoView {
    let rows = RwSignal::new(Vec::<CompanyRow>::new());
    effect_sync(group, rows);
    let unreachable = RwSignal::new(false);
    poll_pending_statuses(
        rows,
        unreachable,
        Callback::new(move |()| {
            spawn_local(async move {
                if let Ok(company) = api::get_company(group.id).await
                    && let Some(summary) = company.group
                {
                    let _ = group.summary.try_set(summary);
                }
            });
        }),
    );
    let group_name = group.name.get_value();
    move || {
        if group.members.with(Option::is_none) {
            return view! {
                <tr class="entity-row">
                    <td colspan="8" class="muted" aria-busy="true">"Loading the entities…"</td>
                </tr>
            }
            .into_any();
        }
        let group_name = group_name.clone();
        view! {
            <For
                each=move || rows.get()
                key=|row| row.company.id
                children=move |row| {
                    let own_books = row.company.id == group.id;
                    view! { <EntityRow row actions own_books group_name=group_name.clone() /> }
                }
            />
        }
        .into_any()
    }
}

/// Mirrors the loaded members into the rows the poller follows.
fn effect_sync(group: Group, rows: RwSignal<Vec<CompanyRow>>) {
    crate::reactive::effect(move || {
        if let Some(members) = group.members.get() {
            rows.set(members);
        }
    });
}
