//! The top bar's bell: how many of the signed-in person's notifications are unread (a
//! refresh they triggered finished or failed, a customer answered their request), and
//! the newest of them in a panel with "Mark all as read".
//!
//! The count is polled every few seconds while the tab is visible (one cheap request);
//! the panel reloads when it opens. The keyboard and closing are [`Popup`]'s; Escape
//! closes it wherever focus is.

use std::time::Duration;

use api_types::Notification;
use gloo_timers::future::sleep;
use leptos::{prelude::*, task::spawn_local};
use web_sys::VisibilityState;

use super::{
    later::after_paint,
    local_time::LocalTime,
    popover::{Popup, PopupKind},
};
use crate::api;

const POLL: Duration = Duration::from_secs(5);
const PANEL_ID: &str = "notifications-panel";

#[component]
pub fn NotificationBell() -> impl IntoView {
    let unread = RwSignal::new(0_u64);
    let items = RwSignal::new(None::<Result<Vec<Notification>, String>>);
    let load = move || {
        spawn_local(async move {
            match api::notifications().await {
                Ok(page) => {
                    let _ = unread.try_set(page.unread_count);
                    let _ = items.try_set(Some(Ok(page.items)));
                }
                Err(err) => {
                    let _ = items.try_set(Some(Err(err.message())));
                }
            }
        });
    };
    // Once the page's first frame is painted (components/later.rs).
    spawn_local(async move {
        after_paint().await;
        load();
    });
    // Poll while mounted; a hidden tab waits for the next turn.
    spawn_local(async move {
        loop {
            sleep(POLL).await;
            if unread.try_get_untracked().is_none() {
                return;
            }
            if document().visibility_state() != VisibilityState::Hidden {
                load();
            }
        }
    });

    let mark_all = move |_| {
        let newest = items
            .get_untracked()
            .and_then(Result::ok)
            .and_then(|list| list.first().map(|n| n.created_at));
        spawn_local(async move {
            if let Ok(marked) = api::mark_notifications_read(newest).await {
                let _ = unread.try_set(marked.unread_count);
                load();
            }
        });
    };
    let popup = Popup::new(PopupKind::Panel, "button:not(:disabled), a[href]")
        .with_on_open(Callback::new(move |()| load()));
    popup.close_on_escape_anywhere();
    let open = popup.open;
    let label = move || match unread.get() {
        0 => "Notifications".to_owned(),
        n => format!("Notifications, {n} unread"),
    };

    view! {
        <div class="bell popup" node_ref=popup.container on:keydown=move |event| popup.on_keydown(event)>
            <button
                type="button"
                class="bell__trigger"
                node_ref=popup.trigger
                aria-label=label
                aria-expanded=move || open.get().to_string()
                aria-controls=move || open.get().then_some(PANEL_ID)
                on:click=move |_| popup.toggle()
            >
                <svg class="bell__icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                    <path
                        d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
                        fill="currentColor"
                    />
                </svg>
                {move || (unread.get() > 0).then(|| view! {
                    <span class="bell__count" aria-hidden="true">{unread.get().to_string()}</span>
                })}
            </button>
            {move || open.get().then(|| view! {
                <div
                    class="popup__panel bell__panel"
                    id=PANEL_ID
                    role="region"
                    aria-label="Notifications"
                    node_ref=popup.panel
                >
                    <div class="bell__head">
                        <p class="bell__heading">"Notifications"</p>
                        <button
                            type="button"
                            class="button button--ghost"
                            disabled=move || unread.get() == 0
                            on:click=mark_all
                        >
                            "Mark all as read"
                        </button>
                    </div>
                    {move || match items.get() {
                        None => view! { <p class="bell__hint">"Loading…"</p> }.into_any(),
                        Some(Err(message)) => view! { <p class="bell__hint" role="alert">{message}</p> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => {
                            view! { <p class="bell__hint">"Nothing yet: you hear here when a refresh you started ends or a customer answers your request."</p> }.into_any()
                        }
                        Some(Ok(list)) => view! {
                            <ul class="bell__list">
                                {list
                                    .into_iter()
                                    .map(|n| {
                                        let class = if n.read_at.is_none() { "bell__item bell__item--unread" } else { "bell__item" };
                                        let title = match n.company_id {
                                            Some(id) => view! {
                                                <a href=format!("/companies/{id}") on:click=move |_| open.set(false)>{n.title}</a>
                                            }.into_any(),
                                            None => view! { <span>{n.title}</span> }.into_any(),
                                        };
                                        view! {
                                            <li class=class>
                                                <p class="bell__title">{title}</p>
                                                <p class="bell__message">{n.message}</p>
                                                <LocalTime at=n.created_at class="bell__time" />
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }.into_any(),
                    }}
                </div>
            })}
        </div>
    }
}
