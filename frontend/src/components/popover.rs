//! What the row's menus share: closing on a click outside, and moving focus.

use leptos::{ev, html, prelude::*};
use wasm_bindgen::JsCast;

/// Closes `open` when a click lands outside `container`. If that click left focus
/// nowhere in particular (or inside the closed popup), focus goes back to `trigger`,
/// so keyboard users keep their place; a click on another control keeps its focus.
pub fn close_on_outside_click(
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
pub fn focus(node_ref: NodeRef<html::Button>) {
    if let Some(element) = node_ref.get_untracked() {
        let _ = element.focus();
    }
}

/// The elements inside `container` matching `selector`, in document order.
pub fn elements_in(container: &web_sys::Element, selector: &str) -> Vec<web_sys::HtmlElement> {
    let Ok(nodes) = container.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..nodes.length())
        .filter_map(|index| nodes.item(index))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}
