//! Keeps the listed rows current while refreshes run, without reloading the list.
//!
//! While any row has a refresh queued or running, [`poll_pending_statuses`] asks
//! `/company-statuses` for those rows only, every two seconds, with `If-None-Match`.
//! It stops when nothing is pending, waits while the tab is hidden, and backs off
//! (2 s, 4 s, 8 s … 30 s) while the server can't be reached. When a row's status
//! changes (Error → Available, say) it tells the page, which recounts the statuses.

use std::time::Duration;

use api_types::{Company, CompanyStatus, CompanyStatusList};
use domain::CompanyId;
use gloo_timers::future::sleep;
use leptos::{prelude::*, task::spawn_local};
use web_sys::VisibilityState;

use crate::api::{self, Conditional};
use crate::reactive::{effect, memo};

const POLL_INTERVAL: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often a hidden tab checks whether it is visible again.
const HIDDEN_RECHECK: Duration = Duration::from_secs(1);

/// A listed company: what the list said, plus the part that changes while it is shown.
#[derive(Debug, Clone)]
pub struct CompanyRow {
    /// As listed. Its status fields are stale once `live` has been updated.
    pub company: Company,
    pub live: ArcRwSignal<CompanyStatus>,
    /// Which load of the list this row came from, so a reload renders fresh rows.
    pub generation: u64,
}

impl CompanyRow {
    pub fn new(company: Company, generation: u64) -> Self {
        Self {
            live: ArcRwSignal::new(status_of(&company)),
            company,
            generation,
        }
    }

    /// Shows `company` (this row's company, fetched again) as it is now.
    pub fn show(&self, company: &Company) {
        let status = status_of(company);
        if self.live.with_untracked(|live| *live != status) {
            self.live.set(status);
        }
    }
}

fn status_of(company: &Company) -> CompanyStatus {
    CompanyStatus {
        id: company.id,
        status: company.status,
        status_updated_at: company.status_updated_at,
        error: company.error.clone(),
        refresh: company.refresh.clone(),
    }
}

fn is_pending(status: &CompanyStatus) -> bool {
    status
        .refresh
        .as_ref()
        .is_some_and(|job| job.state.is_active())
}

/// Starts polling whenever a row of `rows` becomes pending; sets `unreachable` while
/// polls fail for want of a server. `on_status_change` runs after a poll that changed
/// the status (not only the refresh or the time) of at least one row.
pub fn poll_pending_statuses(
    rows: RwSignal<Vec<CompanyRow>>,
    unreachable: RwSignal<bool>,
    on_status_change: Callback<()>,
) {
    let pending = memo(move || {
        rows.with(|rows| {
            rows.iter()
                .filter(|row| row.live.with(is_pending))
                .map(|row| row.company.id)
                .collect::<Vec<_>>()
        })
    });
    let polling = StoredValue::new(false);
    effect(move || {
        if pending.with(Vec::is_empty) || polling.get_value() {
            return;
        }
        polling.set_value(true);
        spawn_local(async move {
            poll_until_settled(pending, rows, unreachable, on_status_change).await;
            let _ = polling.try_update_value(|polling| *polling = false);
        });
    });
}

async fn poll_until_settled(
    pending: Memo<Vec<CompanyId>>,
    rows: RwSignal<Vec<CompanyRow>>,
    unreachable: RwSignal<bool>,
    on_status_change: Callback<()>,
) {
    let mut interval = POLL_INTERVAL;
    let mut wait = interval;
    // The ETag answers one question: the same ids in the same order.
    let mut validator: Option<(Vec<CompanyId>, String)> = None;
    loop {
        sleep(wait).await;
        // `None`: the page is gone, and the signals with it.
        let Some(ids) = pending.try_get_untracked() else {
            return;
        };
        if ids.is_empty() {
            let _ = unreachable.try_set(false);
            return;
        }
        if document().visibility_state() == VisibilityState::Hidden {
            wait = HIDDEN_RECHECK;
            continue;
        }
        let etag = validator
            .as_ref()
            .filter(|(asked, _)| *asked == ids)
            .map(|(_, etag)| etag.as_str());
        match api::company_statuses(&ids, etag).await {
            Ok(answer) => {
                if let Conditional::Modified { value, etag } = answer {
                    if apply(rows, &ids, &value) {
                        on_status_change.run(());
                    }
                    validator = etag.map(|etag| (ids, etag));
                }
                interval = POLL_INTERVAL;
                let _ = unreachable.try_set(false);
            }
            Err(err) => {
                interval = (interval * 2).min(MAX_BACKOFF);
                if err.is_unreachable() {
                    let _ = unreachable.try_set(true);
                } else {
                    leptos::logging::warn!("status poll failed: {}", err.message());
                }
            }
        }
        wait = interval;
    }
}

/// Asks the server once for the statuses of `ids` and shows them in their rows, so
/// rows whose refresh was started elsewhere (a bulk refresh) show it running; the
/// poller then follows them. Returns whether any row's status changed.
pub async fn show_current_statuses(
    rows: RwSignal<Vec<CompanyRow>>,
    ids: Vec<CompanyId>,
) -> Result<bool, api::ApiError> {
    let mut changed = false;
    // The endpoint takes at most 200 ids.
    for chunk in ids.chunks(200) {
        if let Conditional::Modified { value, .. } = api::company_statuses(chunk, None).await? {
            changed |= apply(rows, chunk, &value);
        }
    }
    Ok(changed)
}

/// Writes the polled statuses into their rows; only rows that changed redraw. Returns
/// whether the status of any row changed.
fn apply(rows: RwSignal<Vec<CompanyRow>>, asked: &[CompanyId], answer: &CompanyStatusList) -> bool {
    let mut status_changed = false;
    // `None`: the page is gone.
    let _ = rows.try_with_untracked(|rows| {
        for row in rows.iter().filter(|row| asked.contains(&row.company.id)) {
            match answer
                .items
                .iter()
                .find(|status| status.id == row.company.id)
            {
                Some(status) => {
                    if row.live.with_untracked(|live| live != status) {
                        status_changed |=
                            row.live.with_untracked(|live| live.status != status.status);
                        row.live.set(status.clone());
                    }
                }
                // Unknown to the server now (deleted elsewhere): stop waiting for it.
                None => row.live.update(|live| live.refresh = None),
            }
        }
    });
    status_changed
}
