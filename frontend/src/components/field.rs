//! A form's text field: its label, the input (or a textarea), an optional hint and the
//! error message. An input with an error is marked `aria-invalid` and described by the
//! message (and always by its hint), so a screen reader reads why it was refused.

use api_types::FieldError;
use leptos::prelude::*;

#[component]
pub fn Field(
    /// The input's id; the hint's and the error's ids are made from it.
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    /// The message shown under the field.
    #[prop(optional, into)]
    error: Signal<Option<String>>,
    /// An error shown elsewhere (the form's alert) that this field shares: its
    /// element's id, and whether it is showing.
    #[prop(optional)]
    shared_error: Option<(&'static str, Signal<bool>)>,
    #[prop(optional)] hint: Option<String>,
    #[prop(default = "text")] input_type: &'static str,
    /// Draws a textarea of this many rows instead of an input.
    #[prop(optional)]
    rows: Option<u32>,
    /// Adds "(optional)" to the label.
    #[prop(optional)]
    optional: bool,
    #[prop(optional)] name: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] minlength: Option<usize>,
    #[prop(optional)] required: bool,
    #[prop(optional)] readonly: bool,
    /// Turns spell checking off (addresses are not words).
    #[prop(optional)]
    no_spellcheck: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let has_hint = hint.is_some();
    let shared_shown = move || shared_error.is_some_and(|(_, shown)| shown.get());
    let invalid = move || (error.with(Option::is_some) || shared_shown()).then_some("true");
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.as_str());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.as_str());
            }
            if let Some((shared_id, _)) = shared_error.filter(|_| shared_shown()) {
                ids.push(shared_id);
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let control = match rows {
        Some(rows) => view! {
            <textarea
                id=id
                class="field__input form__textarea"
                rows=rows
                aria-invalid=invalid
                aria-describedby=described_by
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            ></textarea>
        }
        .into_any(),
        None => view! {
            <input
                id=id
                class="field__input"
                type=input_type
                name=name
                autocomplete=autocomplete
                spellcheck=no_spellcheck.then_some("false")
                minlength=minlength
                required=required
                readonly=readonly
                aria-invalid=invalid
                aria-describedby=described_by
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            />
        }
        .into_any(),
    };
    view! {
        <div class="form__field">
            <label class="field__label" for=id>
                {label}
                {optional.then(|| view! { <span class="form__optional">" (optional)"</span> })}
            </label>
            {control}
            {hint.map(|hint| view! { <p class="form__hint" id=hint_id>{hint}</p> })}
            <FieldMessage id=error_id message=error />
        </div>
    }
}

/// A field's error message, when it has one. Also for fields that are not text: a
/// group of checkboxes, a select.
#[component]
pub fn FieldMessage(#[prop(into)] id: String, message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|message| view! { <p id=id.clone() class="form__error">{message}</p> })
    }
}

/// The server's message for `field` among the errors of its `422` answer.
pub fn error_for(errors: RwSignal<Vec<FieldError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        errors.with(|errors| {
            errors
                .iter()
                .find(|error| error.field == field)
                .map(|error| error.message.clone())
        })
    })
}
