//! Page-level messages: confirmations in a polite live region (`role="status"`),
//! failures in an assertive one (`role="alert"`).
//!
//! Both regions are always in the document, so assistive technology is already
//! watching them when a message arrives; only their content changes.

use std::time::Duration;

use leptos::prelude::*;

/// How long a confirmation stays before it dismisses itself.
const CONFIRMATION_LIFETIME: Duration = Duration::from_secs(6);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Notice {
    /// Distinguishes two equal texts, so an old timer can't dismiss a newer notice.
    serial: u64,
    text: String,
}

/// The handle pages use to show messages; provided once by the app shell.
#[derive(Debug, Clone, Copy)]
pub struct Notices {
    confirmation: RwSignal<Option<Notice>>,
    failure: RwSignal<Option<Notice>>,
    serial: StoredValue<u64>,
}

impl Notices {
    pub fn new() -> Self {
        Self {
            confirmation: RwSignal::new(None),
            failure: RwSignal::new(None),
            serial: StoredValue::new(0),
        }
    }

    /// Something worked: shown in the status region, dismissed after a few seconds.
    /// An earlier failure message is stale by now and goes.
    pub fn confirm(&self, text: impl Into<String>) {
        let serial = self.next_serial();
        self.failure.set(None);
        self.confirmation.set(Some(Notice {
            serial,
            text: text.into(),
        }));
        let confirmation = self.confirmation;
        set_timeout(
            move || {
                if confirmation
                    .try_get_untracked()
                    .flatten()
                    .is_some_and(|notice| notice.serial == serial)
                {
                    confirmation.set(None);
                }
            },
            CONFIRMATION_LIFETIME,
        );
    }

    /// Something worked, and the message holds something to act on (a link to copy by
    /// hand): shown in the status region until the person closes it.
    pub fn confirm_until_closed(&self, text: impl Into<String>) {
        let serial = self.next_serial();
        self.failure.set(None);
        self.confirmation.set(Some(Notice {
            serial,
            text: text.into(),
        }));
    }

    /// Something failed: shown in the alert region until the person closes it.
    pub fn fail(&self, text: impl Into<String>) {
        let serial = self.next_serial();
        self.failure.set(Some(Notice {
            serial,
            text: text.into(),
        }));
    }

    fn next_serial(&self) -> u64 {
        self.serial.update_value(|serial| *serial += 1);
        self.serial.get_value()
    }
}

impl Default for Notices {
    fn default() -> Self {
        Self::new()
    }
}

/// The two live regions, pinned to the bottom right of the viewport.
#[component]
pub fn NoticeRegions() -> impl IntoView {
    let notices = expect_context::<Notices>();
    // The notice of a slot, as a card of `kind` that empties the slot when closed.
    let shown = |slot: RwSignal<Option<Notice>>, kind: &'static str| {
        move || {
            slot.get().map(|notice| {
                view! {
                    <NoticeCard kind text=notice.text on_close=Callback::new(move |()| slot.set(None)) />
                }
            })
        }
    };
    view! {
        <div class="notices">
            <div role="status" aria-live="polite" aria-atomic="true" class="notice-slot">
                {shown(notices.confirmation, "success")}
            </div>
            <div role="alert" aria-atomic="true" class="notice-slot">
                {shown(notices.failure, "error")}
            </div>
        </div>
    }
}

#[component]
fn NoticeCard(kind: &'static str, text: String, on_close: Callback<()>) -> impl IntoView {
    view! {
        <div class=format!("notice notice--{kind}")>
            <p class="notice__text">{text}</p>
            <button
                type="button"
                class="notice__close"
                aria-label="Dismiss message"
                on:click=move |_| on_close.run(())
            >
                "×"
            </button>
        </div>
    }
}
