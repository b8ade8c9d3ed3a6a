//! A bulk refresh in progress: a progress bar fed by `GET /refresh-batches/{id}`.
//!
//! [`follow_batch`] polls the batch until no job of it is queued or running, pausing
//! while the tab is hidden and backing off while the server can't be reached. The rows
//! themselves are kept current by the list's live-status poller, not by this module.

use std::time::Duration;

use api_types::{RefreshBatch, SkipReason, SkippedCompany};
use gloo_timers::future::sleep;
use leptos::{prelude::*, task::spawn_local};
use web_sys::VisibilityState;

use crate::api;
use crate::reactive::memo;

const POLL_INTERVAL: Duration = Duration::from_millis(1500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often a hidden tab checks whether it is visible again.
const HIDDEN_RECHECK: Duration = Duration::from_secs(1);

/// The batch being shown: its latest progress, and the companies it left out (only the
/// answer that created the batch lists them: the first 100, and how many in all).
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRefresh {
    pub progress: RefreshBatch,
    pub skipped: Vec<SkippedCompany>,
    pub skipped_count: u64,
}

impl BulkRefresh {
    pub fn new(created: RefreshBatch) -> Self {
        Self {
            skipped: created.skipped.clone(),
            skipped_count: created.skipped_count,
            progress: created,
        }
    }
}

/// Polls the batch in `shown` until it is done, then runs `on_done` with its final
/// progress. Stops early when the page is gone or another batch is shown instead.
pub fn follow_batch(
    shown: RwSignal<Option<BulkRefresh>>,
    unreachable: RwSignal<bool>,
    on_done: Callback<RefreshBatch>,
) {
    let Some(Some(id)) =
        shown.try_with_untracked(|shown| shown.as_ref().map(|bulk| bulk.progress.id))
    else {
        return;
    };
    spawn_local(async move {
        let mut interval = POLL_INTERVAL;
        let mut wait = interval;
        loop {
            sleep(wait).await;
            let still_shown = shown
                .try_with_untracked(|shown| shown.as_ref().is_some_and(|b| b.progress.id == id));
            if still_shown != Some(true) {
                return;
            }
            if document().visibility_state() == VisibilityState::Hidden {
                wait = HIDDEN_RECHECK;
                continue;
            }
            match api::get_refresh_batch(id).await {
                Ok(progress) => {
                    let done = progress.done;
                    let _ = shown.try_update(|shown| {
                        if let Some(bulk) = shown.as_mut().filter(|b| b.progress.id == id) {
                            bulk.progress = progress.clone();
                        }
                    });
                    let _ = unreachable.try_set(false);
                    if done {
                        on_done.run(progress);
                        return;
                    }
                    interval = POLL_INTERVAL;
                }
                Err(err) => {
                    interval = (interval * 2).min(MAX_BACKOFF);
                    if err.is_unreachable() {
                        let _ = unreachable.try_set(true);
                    } else {
                        leptos::logging::warn!("bulk refresh poll failed: {}", err.message());
                    }
                }
            }
            wait = interval;
        }
    });
}

/// "3 companies", "1 company".
pub fn companies(count: u64) -> String {
    if count == 1 {
        "1 company".to_owned()
    } else {
        format!("{count} companies")
    }
}

/// "12 of 40 refreshed, 1 failed": the words beside (and behind) the progress bar.
pub fn progress_text(progress: &RefreshBatch) -> String {
    let mut text = format!("{} of {} refreshed", progress.succeeded, progress.total);
    if progress.failed > 0 {
        text.push_str(&format!(", {} failed", progress.failed));
    }
    if progress.cancelled > 0 {
        text.push_str(&format!(", {} cancelled", progress.cancelled));
    }
    text
}

/// Why companies got no refresh, one sentence per reason. `skipped` lists the first
/// ones; `skipped_count` says how many in all.
fn skipped_text(skipped: &[SkippedCompany], skipped_count: u64) -> Vec<String> {
    let count = |reason: SkipReason| skipped.iter().filter(|s| s.reason == reason).count() as u64;
    let listed = skipped.len() as u64;
    let mut no_access = count(SkipReason::NoAccess);
    let not_found = count(SkipReason::NotFound);
    let uploaded = count(SkipReason::Uploaded);
    let mut other = 0;
    // Those past the list: for the reason the whole list gives, if it gives one.
    let unlisted = skipped_count.saturating_sub(listed);
    if not_found == 0 && uploaded == 0 {
        no_access += unlisted;
    } else {
        other += unlisted;
    }
    let mut lines = Vec::new();
    if no_access > 0 {
        lines.push(format!(
            "{} not refreshed: the customer has not granted access yet. Send an information request instead.",
            companies(no_access)
        ));
    }
    if uploaded > 0 {
        lines.push(format!(
            "{} not refreshed: the data was uploaded by the customer and cannot be refreshed. Request a new upload instead.",
            companies(uploaded)
        ));
    }
    if not_found > 0 {
        lines.push(format!(
            "{} not refreshed: deleted in the meantime.",
            companies(not_found)
        ));
    }
    if other > 0 {
        lines.push(format!("{} could not be refreshed.", companies(other)));
    }
    lines
}

/// What the panel shows of a batch, worked out once per poll.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    total: u64,
    finished: u64,
    done: bool,
    text: String,
    skipped: Vec<String>,
}

impl Shown {
    fn of(bulk: &BulkRefresh) -> Self {
        let progress = &bulk.progress;
        Self {
            total: progress.total,
            finished: (progress.succeeded + progress.failed + progress.cancelled)
                .min(progress.total),
            done: progress.done,
            text: progress_text(progress),
            skipped: skipped_text(&bulk.skipped, bulk.skipped_count),
        }
    }

    fn title(&self) -> String {
        if self.total == 0 {
            "No refresh started".to_owned()
        } else if self.done {
            "Bulk refresh finished".to_owned()
        } else {
            format!("Refreshing {}", companies(self.total))
        }
    }
}

/// The panel of the batch in `shown`, while there is one. Dismissable once done.
///
/// One closure draws the whole panel, again only when what it shows changes (the
/// memo): a few polls per batch, and far less wasm than a closure per attribute.
#[component]
pub fn BulkRefreshPanel(shown: RwSignal<Option<BulkRefresh>>) -> impl IntoView {
    let state = memo(move || shown.with(|shown| shown.as_ref().map(Shown::of)));
    move || {
        state.get().map(|state| {
            let percent = (state.finished * 100).checked_div(state.total).unwrap_or(100);
            view! {
                <section class="bulk-progress" aria-labelledby="bulk-progress-title">
                    <div class="bulk-progress__header">
                        <h2 class="bulk-progress__title" id="bulk-progress-title">
                            {state.title()}
                        </h2>
                        {state
                            .done
                            .then(|| {
                                view! {
                                    <button
                                        type="button"
                                        class="button button--quiet"
                                        on:click=move |_| shown.set(None)
                                    >
                                        "Dismiss"
                                    </button>
                                }
                            })}
                    </div>
                    {(state.total > 0)
                        .then(|| {
                            view! {
                                <div
                                    class=if state.done { "progress progress--done" } else { "progress" }
                                    role="progressbar"
                                    aria-label="Bulk refresh progress"
                                    aria-valuemin="0"
                                    aria-valuemax=state.total.to_string()
                                    aria-valuenow=state.finished.to_string()
                                    aria-valuetext=state.text.clone()
                                >
                                    <div class="progress__bar" style:width=format!("{percent}%")></div>
                                </div>
                                <p class="bulk-progress__text">{state.text.clone()}</p>
                            }
                        })}
                    <ul class="bulk-progress__skipped">
                        {state
                            .skipped
                            .into_iter()
                            .map(|line| view! { <li>{line}</li> })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    }
}
