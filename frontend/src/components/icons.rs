//! Inline SVG icons: no icon font, no extra request. All are decorative
//! (`aria-hidden`); the control that holds one carries the accessible name.

use leptos::prelude::*;

#[component]
pub fn DownloadIcon() -> impl IntoView {
    view! {
        <svg
            class="icon"
            viewBox="0 0 24 24"
            width="18"
            height="18"
            aria-hidden="true"
            focusable="false"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
        >
            <path d="M12 4v11" />
            <path d="m7 10 5 5 5-5" />
            <path d="M5 20h14" />
        </svg>
    }
}

#[component]
pub fn BrandMark() -> impl IntoView {
    view! {
        <svg class="brand__mark" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <circle cx="14" cy="14" r="6.5" fill="none" stroke="#fff" stroke-width="2.5" />
            <path d="m19 19 6 6" stroke="#fff" stroke-width="2.5" stroke-linecap="round" />
        </svg>
    }
}
