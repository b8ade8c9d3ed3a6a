//! Timestamps: RFC 3339 UTC on the wire, the browser's local time zone on screen.
//!
//! The browser's `Date` does the formatting, so chrono's formatting code stays out
//! of the wasm.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

fn js_date(at: &DateTime<Utc>) -> js_sys::Date {
    // Milliseconds since the epoch fit an f64 exactly for any date this app shows.
    js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64))
}

/// The options of [`local_date_time`]: to the minute, the month by name.
fn date_time_options() -> js_sys::Object {
    let options = js_sys::Object::new();
    for (key, value) in [
        ("year", "numeric"),
        ("month", "short"),
        ("day", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
    ] {
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    options
}

thread_local! {
    /// The browser's formatter for [`local_date_time`], made once.
    ///
    /// Rationale: `Date.toLocaleString` with options builds a new `Intl.DateTimeFormat`
    /// on every call; with a time on each row that was a sixth of the company list's
    /// first render (docs/benchmarks.md, "Lighthouse").
    static DATE_TIME_FORMAT: js_sys::Function = js_sys::Intl::DateTimeFormat::new(
        &js_sys::Array::of1(&"default".into()),
        &date_time_options(),
    )
    .format();
}

/// `at` as a date and time in the browser's locale and time zone, to the minute
/// (for example "Nov 26, 2026, 09:42 AM").
pub fn local_date_time(at: &DateTime<Utc>) -> String {
    let date = js_date(at);
    DATE_TIME_FORMAT
        .with(|format| format.call1(&JsValue::NULL, &date))
        .ok()
        .and_then(|text| text.as_string())
        // What the formatter is a faster way to: `toLocaleString` with the same options.
        .unwrap_or_else(|| {
            date.to_locale_string("default", &date_time_options())
                .into()
        })
}

/// A `<time>` element: the local date and time as text, the exact instant (UTC, to
/// the millisecond) in `datetime`.
#[component]
pub fn LocalTime(
    at: DateTime<Utc>,
    #[prop(optional, into)] class: Option<&'static str>,
    #[prop(optional, into)] test_id: Option<&'static str>,
) -> impl IntoView {
    view! {
        <time class=class data-testid=test_id datetime=String::from(js_date(&at).to_iso_string())>
            {local_date_time(&at)}
        </time>
    }
}
