//! The alert a form or dialog shows, in place, when what it sent was refused.

use leptos::prelude::*;

#[component]
pub fn FailureAlert(
    /// What did not happen, e.g. "The company was not saved."
    title: &'static str,
    /// The refusal's message; nothing is shown while it is `None`.
    failure: RwSignal<Option<String>>,
    /// A last line of advice under the message.
    #[prop(optional)]
    note: Option<&'static str>,
) -> impl IntoView {
    move || {
        failure.get().map(|message| {
            view! {
                <div class="inline-alert" role="alert">
                    <p class="inline-alert__title">{title}</p>
                    <p>{message}</p>
                    {note.map(|note| view! { <p>{note}</p> })}
                </div>
            }
        })
    }
}
