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
        view! {
            <div class="status">
                <div class="status__line">
                    <span class=format!("badge badge--{modifier}")>{label}</span>
                    {refresh.filter(|job| job.state.is_active()).map(|job| view! { <RefreshIndicator job /> })}
                </div>
                {status_updated_at
                    .map(|at| view! { <LocalTime at class="status__time" test_id="status-updated-at" /> })}
                {error_message.map(|message| view! { <p class="status__error">{message}</p> })}
            </div>
        }
    }
}

#[component]
fn RefreshIndicator(job: RefreshJob) -> impl IntoView {
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
}
