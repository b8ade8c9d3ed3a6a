//! What every popup shares (a row's ⋮ menu and reports panel, the top bar's account
//! menu and bell): opening from its trigger, closing on a click outside, and the
//! keyboard.
//!
//! The keyboard follows the WAI-ARIA menu button pattern: ArrowDown or ArrowUp on the
//! trigger opens the popup at its first or last entry; inside, the arrow keys move
//! between the entries (wrapping), Home and End go to the first and last; Escape
//! closes it and focus returns to the trigger. Tab closes a menu (its items are out of
//! the tab order, so Tab leaves it) and moves through a panel's links and buttons.

use leptos::{
    ev::{self, KeyboardEvent},
    html,
    prelude::*,
};
use wasm_bindgen::JsCast;

/// The entries of a `role="menu"`.
pub const MENU_ITEMS: &str = "[role=menuitem]";

/// Where focus goes among the popup's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    First,
    Last,
    Next,
    Previous,
}

/// Which of the two shapes a popup has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopupKind {
    /// A `role="menu"` of `tabindex="-1"` items: opening it by a click focuses the
    /// first item, and Tab closes it.
    Menu,
    /// A panel of links and buttons in the tab order: a click opens it and leaves
    /// focus on the trigger, and Tab moves through it.
    Panel,
}

/// One popup's state and behaviour. Put `node_ref`s on the elements and
/// [`Popup::on_keydown`] on the container.
#[derive(Clone, Copy)]
pub struct Popup {
    pub open: RwSignal<bool>,
    /// Holds the trigger and the panel: a click outside it closes the popup.
    pub container: NodeRef<html::Div>,
    pub trigger: NodeRef<html::Button>,
    /// The element holding the entries.
    pub panel: NodeRef<html::Div>,
    kind: PopupKind,
    /// Selects the entries inside `panel` that the arrow keys move between.
    entries: &'static str,
    /// Runs each time the popup opens (to load what it shows).
    on_open: Option<Callback<()>>,
}

impl Popup {
    /// A closed popup; a click outside its container closes it from now on.
    pub fn new(kind: PopupKind, entries: &'static str) -> Self {
        let popup = Self {
            open: RwSignal::new(false),
            container: NodeRef::new(),
            trigger: NodeRef::new(),
            panel: NodeRef::new(),
            kind,
            entries,
            on_open: None,
        };
        close_on_outside_click(popup.container, popup.trigger, popup.open);
        popup
    }

    /// Runs `on_open` each time the popup opens.
    pub fn with_on_open(self, on_open: Callback<()>) -> Self {
        Self {
            on_open: Some(on_open),
            ..self
        }
    }

    /// Escape closes the popup wherever focus is, not only inside it: the bell's
    /// "Mark all as read" disables itself, and focus leaves the panel.
    pub fn close_on_escape_anywhere(self) {
        let open = self.open;
        let trigger = self.trigger;
        let handle = window_event_listener(ev::keydown, move |event: KeyboardEvent| {
            if event.key() == "Escape" && open.try_get_untracked().unwrap_or(false) {
                event.prevent_default();
                open.set(false);
                focus(trigger);
            }
        });
        on_cleanup(move || handle.remove());
    }

    /// The trigger's click: opens the popup, or closes it.
    pub fn toggle(&self) {
        if self.open.get_untracked() {
            self.open.set(false);
        } else if self.kind == PopupKind::Menu {
            self.open_at(Target::First);
        } else {
            self.show();
        }
    }

    /// The container's keydown: the trigger's keys and the popup's.
    pub fn on_keydown(&self, event: KeyboardEvent) {
        let in_panel = match (self.panel.get_untracked(), event.target()) {
            (Some(panel), Some(target)) => target
                .dyn_into::<web_sys::Node>()
                .is_ok_and(|target| panel.contains(Some(&target))),
            _ => false,
        };
        let target = match (event.key().as_str(), in_panel) {
            ("Escape", _) if self.open.get_untracked() => {
                event.prevent_default();
                event.stop_propagation();
                self.open.set(false);
                focus(self.trigger);
                return;
            }
            ("Tab", true) => {
                if self.kind == PopupKind::Menu {
                    self.open.set(false);
                }
                return;
            }
            ("ArrowDown", false) => {
                event.prevent_default();
                self.open_at(Target::First);
                return;
            }
            ("ArrowUp", false) => {
                event.prevent_default();
                self.open_at(Target::Last);
                return;
            }
            ("ArrowDown", true) => Target::Next,
            ("ArrowUp", true) => Target::Previous,
            ("Home", true) => Target::First,
            ("End", true) => Target::Last,
            _ => return,
        };
        event.prevent_default();
        self.move_focus(target);
    }

    /// Closes the popup and gives the focus back to its trigger (after choosing an item).
    pub fn close_and_return(&self) {
        self.open.set(false);
        focus(self.trigger);
    }

    fn show(&self) {
        if !self.open.get_untracked() {
            self.open.set(true);
            if let Some(on_open) = self.on_open {
                on_open.run(());
            }
        }
    }

    fn open_at(&self, target: Target) {
        self.show();
        let popup = *self;
        // The panel is mounted by the time the next frame is drawn.
        request_animation_frame(move || popup.move_focus(target));
    }

    fn move_focus(&self, target: Target) {
        let Some(panel) = self.panel.get_untracked() else {
            return;
        };
        let entries = elements_in(&panel, self.entries);
        let Some(last) = entries.len().checked_sub(1) else {
            return;
        };
        let active = document().active_element();
        let current = entries.iter().position(|entry| {
            let entry: &web_sys::Element = entry;
            Some(entry) == active.as_ref()
        });
        let index = match (target, current) {
            (Target::First, _) | (Target::Next, None) => 0,
            (Target::Last, _) | (Target::Previous, None) => last,
            (Target::Next, Some(index)) => {
                if index == last {
                    0
                } else {
                    index + 1
                }
            }
            (Target::Previous, Some(index)) => {
                if index == 0 {
                    last
                } else {
                    index - 1
                }
            }
        };
        let _ = entries[index].focus();
    }
}

/// Closes `open` when a click lands outside `container`. If that click left focus
/// nowhere in particular (or inside the closed popup), focus goes back to `trigger`,
/// so keyboard users keep their place; a click on another control keeps its focus.
fn close_on_outside_click(
    container: NodeRef<html::Div>,
    trigger: NodeRef<html::Button>,
    open: RwSignal<bool>,
) {
    let handle = window_event_listener(ev::click, move |event| {
        if !open.try_get_untracked().unwrap_or(false) {
            return;
        }
        let Some(container) = container.get_untracked() else {
            return;
        };
        let target = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Node>().ok());
        if target.is_some_and(|target| container.contains(Some(&target))) {
            return;
        }
        open.set(false);
        let body: Option<web_sys::Element> = document().body().map(Into::into);
        let focus_is_lost = match document().active_element() {
            None => true,
            Some(active) => Some(&active) == body.as_ref() || container.contains(Some(&active)),
        };
        if focus_is_lost {
            focus(trigger);
        }
    });
    on_cleanup(move || handle.remove());
}

/// Focuses the element behind `node_ref`, if it is mounted.
fn focus(node_ref: NodeRef<html::Button>) {
    if let Some(element) = node_ref.get_untracked() {
        let _ = element.focus();
    }
}

/// The elements inside `container` matching `selector`, in document order.
fn elements_in(container: &web_sys::Element, selector: &str) -> Vec<web_sys::HtmlElement> {
    let Ok(nodes) = container.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..nodes.length())
        .filter_map(|index| nodes.item(index))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}
