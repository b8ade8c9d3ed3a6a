//! Moving between pages without reloading the app: the path in the address bar as a
//! signal, same-site links followed in place, and navigation from code.
//!
//! Every plain left click on an `<a>` to this site, anywhere in the document, is
//! followed in place: no link needs a special component. The browser keeps the rest: a
//! click with a modifier key or another button, a link with `target`, `download` or
//! `rel="external"`, a link to another site, a link to a fragment of the page being
//! shown (the skip link, which moves focus), and a link to a page of another app (the
//! customer's pages under `/connect/`, the admin pages under `/admin/`: the server sends
//! each its own), which the app says when it provides the location. Navigation from code
//! to another app's page loads that page too. Back and forward update the path.
//!
//! Rationale: leptos_router did this and much more the app doesn't use (route
//! matching, nested routes, forms, query mutation): this module took 13.5 KB off the
//! brotli-compressed wasm (docs/benchmarks.md).

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{HtmlAnchorElement, MouseEvent, UrlSearchParams};

/// The current path (`/companies/12`, still percent-encoded); the rest of the address
/// is read from the browser when needed. Provided by [`provide_location`].
#[derive(Debug, Clone, Copy)]
pub struct Location {
    path: RwSignal<String>,
    /// Whether this app shows the page at a path; the browser loads the others.
    shows: fn(&str) -> bool,
}

impl Location {
    /// The path, tracked: whatever reads it runs again when a navigation changes it.
    pub fn path(self) -> String {
        self.path.get()
    }

    /// Goes to `to` (a path on this site, with any query and fragment): a new history
    /// entry, or one in place of the current one with `replace`, then the top of the
    /// page (or the element the fragment names), as a followed link would.
    pub fn navigate(self, to: &str, replace: bool) {
        let window = window();
        let path = to.split(['?', '#']).next().unwrap_or_default();
        if !(self.shows)(path) {
            // Another app's page: the browser loads it.
            let location = window.location();
            let _ = if replace {
                location.replace(to)
            } else {
                location.assign(to)
            };
            return;
        }
        let Ok(history) = window.history() else {
            return;
        };
        let state = wasm_bindgen::JsValue::NULL;
        let changed = if replace {
            history.replace_state_with_url(&state, "", Some(to))
        } else {
            history.push_state_with_url(&state, "", Some(to))
        };
        if changed.is_err() {
            return;
        }
        self.sync();
        let target = address_part(web_sys::Location::hash)
            .get(1..)
            .filter(|id| !id.is_empty())
            .and_then(|id| document().get_element_by_id(id));
        match target {
            Some(element) => element.scroll_into_view(),
            None => window.scroll_to_with_x_and_y(0.0, 0.0),
        }
    }

    /// Takes the path from the address bar, telling readers only when it changed.
    fn sync(self) {
        let path = address_part(web_sys::Location::pathname);
        if self.path.with_untracked(|current| *current != path) {
            self.path.set(path);
        }
    }
}

/// The [`Location`] provided by [`provide_location`].
pub fn use_location() -> Location {
    expect_context()
}

/// Provides [`Location`] to the app and starts following links and back/forward.
/// `shows` says which paths the app shows itself; a link or a navigation to any other
/// loads that page.
pub fn provide_location(shows: fn(&str) -> bool) {
    let location = Location {
        path: RwSignal::new(address_part(web_sys::Location::pathname)),
        shows,
    };
    provide_context(location);
    let window = window();
    let on_popstate = Closure::<dyn Fn()>::new(move || location.sync()).into_js_value();
    let on_click = Closure::<dyn Fn(MouseEvent)>::new(move |event: MouseEvent| {
        if let Some(to) = followed_in_place(&event, shows) {
            event.prevent_default();
            location.navigate(&to, false);
        }
    })
    .into_js_value();
    for (name, listener) in [("popstate", on_popstate), ("click", on_click)] {
        let _ = window.add_event_listener_with_callback(name, listener.unchecked_ref());
    }
}

/// Where a click leads when the app should follow it itself: a plain left click on a
/// link to another page of this site that the app `shows`.
fn followed_in_place(event: &MouseEvent, shows: fn(&str) -> bool) -> Option<String> {
    if event.default_prevented()
        || event.button() != 0
        || event.meta_key()
        || event.alt_key()
        || event.ctrl_key()
        || event.shift_key()
    {
        return None;
    }
    let link = event
        .target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("a[href]")
        .ok()??
        .dyn_into::<HtmlAnchorElement>()
        .ok()?;
    let rel = link.rel();
    if !link.target().is_empty()
        || link.has_attribute("download")
        || rel.split_ascii_whitespace().any(|rel| rel == "external")
        || link.origin() != address_part(web_sys::Location::origin)
    {
        return None;
    }
    let (path, search, hash) = (link.pathname(), link.search(), link.hash());
    // Another app's page, which the server sends for its address.
    if !shows(&path) {
        return None;
    }
    let same_page = path == address_part(web_sys::Location::pathname)
        && search == address_part(web_sys::Location::search);
    if same_page && !hash.is_empty() {
        return None;
    }
    Some(format!("{path}{search}{hash}"))
}

/// The address of the current page from its path on (path, query, fragment), as a
/// sign-in's `next` takes it.
pub fn current_address() -> String {
    [
        web_sys::Location::pathname,
        web_sys::Location::search,
        web_sys::Location::hash,
    ]
    .map(address_part)
    .concat()
}

/// The value of `name` in the current address's query, decoded.
pub fn query_param(name: &str) -> Option<String> {
    UrlSearchParams::new_with_str(&address_part(web_sys::Location::search))
        .ok()?
        .get(name)
}

/// One part of the address in the address bar; empty if the browser won't say.
fn address_part(part: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>) -> String {
    part(&window().location()).unwrap_or_default()
}

/// A segment of a path, percent-decoded (as it was when it is not valid encoding).
pub fn path_segment(segment: &str) -> String {
    js_sys::decode_uri_component(segment)
        .map(String::from)
        .unwrap_or_else(|_| segment.to_owned())
}
