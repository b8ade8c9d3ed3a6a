//! The Status column: a badge with words, when it last changed, why it failed, and
//! whether a refresh is under way.

use api_types::{CompanyStatus, RefreshJob, RefreshState};
use domain::DataStatus;
use leptos::prelude::*;

use super::local_time::LocalTime;

#[component]
pub fn StatusCell(status: ArcRwSignal<CompanyStatus>) -> impl IntoView {
    move || {
        let CompanyStatus {
            status,
            status_updated_at,
            error,
            refresh,
            ..
        } = status.get();
        let (label, modifier) = match status {
            None => ("Not requested", "none"),
            Some(status) => (status.label(), status.as_str()),
        };
        let error_message = error
            .filter(|_| status == Some(DataStatus::Error))
            .map(|error| {
                if error.message.trim().is_empty() {
                    error.code.default_message().to_owned()
                } else {
                    error.message
                }
            });
        let refresh = refresh.filter(|job| job.state.is_active());
        let waiting_note = refresh
            .as_ref()
            .and_then(waiting)
            .map(|(_, error)| error.message);
        view! {
            <div class="status">
                <div class="status__line">
                    <span class=format!("badge badge--{modifier}")>{label}</span>
                    {refresh.map(|job| view! { <RefreshIndicator job /> })}
                </div>
                {status_updated_at
                    .map(|at| view! { <LocalTime at class="status__time" test_id="status-updated-at" /> })}
                {error_message.map(|message| view! { <p class="status__error">{message}</p> })}
                {waiting_note.map(|message| view! { <p class="status__note">{message}</p> })}
            </div>
        }
    }
}

/// A queued retry that waits — backing off, or for the platform's daily limit — with
/// when it runs and why the last attempt did not finish.
fn waiting(job: &RefreshJob) -> Option<(chrono::DateTime<chrono::Utc>, api_types::StatusError)> {
    if job.state != RefreshState::Queued || job.attempts == 0 {
        return None;
    }
    job.run_at.zip(job.error.clone())
}

#[component]
fn RefreshIndicator(job: RefreshJob) -> impl IntoView {
    if let Some((run_at, _)) = waiting(&job) {
        return view! {
            <span class="refreshing refreshing--waiting" data-testid="refresh-waiting">
                "Refresh waiting · runs " <LocalTime at=run_at />
            </span>
        }
        .into_any();
    }
    let text = match job.state {
        RefreshState::Queued => "Refresh queued",
        _ => "Refreshing…",
    };
    view! {
        <span class="refreshing">
            <span class="spinner" aria-hidden="true"></span>
            {text}
        </span>
    }
    .into_any()
}
