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

/// `at` as a date and time in the browser's locale and time zone, to the minute
/// (for example "Nov 26, 2026, 09:42 AM").
pub fn local_date_time(at: &DateTime<Utc>) -> String {
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
    js_date(at).to_locale_string("default", &options).into()
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
