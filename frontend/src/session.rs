//! Who is signed in: the session, shared with every page through [`SessionContext`].
//!
//! The app asks `GET /api/v1/session` once, when the first page that depends on it
//! opens (never on the customer's page or the emailed links). Portal pages show only
//! with a session; without one the person is sent to `/sign-in?next=<where they
//! were>`. When any call that needs the session is refused with `401` (it expired, or
//! the user was deactivated), the transport tells [`SessionContext`], and the same
//! redirect happens with a notice on the sign-in page.

use crate::api;
use crate::nav::{current_address, query_param, use_location};
use crate::reactive::effect;
use api_types::{Session, UserSummary};
use domain::UserId;
use leptos::{prelude::*, task::spawn_local};

/// What the portal knows about the session.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionState {
    /// Still asking the API.
    Unknown,
    /// The API could not be asked (network, server trouble); worth another try.
    Unavailable(String),
    SignedIn(Box<Session>),
    SignedOut(SignedOutBecause),
}

/// Why nobody is signed in: it decides where the sign-in page leads and what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedOutBecause {
    /// Nobody was signed in when the app asked.
    NotSignedIn,
    /// The person chose Sign out: the next sign-in starts at the company list.
    SignedOut,
    /// The API refused a call with `401`: "Your session has ended. Sign in again."
    Ended,
}

/// The session, for every page: `expect_context::<SessionContext>()`.
///
/// Pages inside the portal frame render only while someone is signed in, so there
/// [`SessionContext::user_id_untracked`] and friends are always `Some`.
#[derive(Debug, Clone, Copy)]
pub struct SessionContext {
    state: RwSignal<SessionState>,
    /// Whether `GET /session` was asked yet: only pages that depend on the session ask
    /// (the customer's page and the emailed links never do).
    asked: StoredValue<bool>,
}

#[allow(
    dead_code,
    reason = "the API pages read the session through; not every reader has landed yet"
)]
impl SessionContext {
    fn new() -> Self {
        Self {
            state: RwSignal::new(SessionState::Unknown),
            asked: StoredValue::new(false),
        }
    }

    /// The whole state (reactive).
    pub fn state(&self) -> SessionState {
        self.state.get()
    }

    /// True while someone is signed in (reactive).
    pub fn is_signed_in(&self) -> bool {
        self.state
            .with(|state| matches!(state, SessionState::SignedIn(_)))
    }

    /// The signed-in session, if any (reactive).
    pub fn session(&self) -> Option<Session> {
        self.state.with(|state| match state {
            SessionState::SignedIn(session) => Some((**session).clone()),
            _ => None,
        })
    }

    /// The signed-in user, if any (reactive).
    pub fn user(&self) -> Option<UserSummary> {
        self.state.with(|state| match state {
            SessionState::SignedIn(session) => Some(session.user.clone()),
            _ => None,
        })
    }

    /// The signed-in user's id (reactive): the "my companies" filter.
    pub fn user_id(&self) -> Option<UserId> {
        self.state.with(signed_in_user_id)
    }

    /// The signed-in user's id, read once without subscribing.
    pub fn user_id_untracked(&self) -> Option<UserId> {
        self.state.with_untracked(signed_in_user_id)
    }

    /// Someone signed in (the sign-in page, an invitation or a password reset answered
    /// a session): later calls send its CSRF token.
    pub fn signed_in(&self, session: Session) {
        note_ended(false);
        api::set_csrf_token(Some(session.csrf_token.clone()));
        self.state.set(SessionState::SignedIn(Box::new(session)));
    }

    /// The session is over, for `because`; the redirect follows from the state.
    pub fn signed_out(&self, because: SignedOutBecause) {
        match because {
            SignedOutBecause::Ended => note_ended(true),
            SignedOutBecause::SignedOut => note_ended(false),
            // Said by the sign-in page's own app after another's ended the session.
            SignedOutBecause::NotSignedIn => {}
        }
        api::set_csrf_token(None);
        forget_hint();
        self.state.set(SessionState::SignedOut(because));
    }

    /// Asks the API who is signed in.
    pub fn load(&self) {
        self.asked.set_value(true);
        if !has_hint() {
            // No session was started in this browser, or it ended: nobody is signed in,
            // known without a `401` (which the browser would log as an error).
            self.signed_out(SignedOutBecause::NotSignedIn);
            return;
        }
        let state = self.state;
        state.set(SessionState::Unknown);
        let context = *self;
        spawn_local(async move {
            match api::get_session().await {
                Ok(Some(session)) => context.signed_in(session),
                Ok(None) => context.signed_out(SignedOutBecause::NotSignedIn),
                Err(err) => state.set(SessionState::Unavailable(err.message())),
            }
        });
    }

    /// Signs out on the server, then here.
    pub async fn sign_out(&self) -> Result<(), api::ApiError> {
        api::sign_out().await?;
        self.signed_out(SignedOutBecause::SignedOut);
        Ok(())
    }

    /// True while the state says why the last session ended on its own, here or in
    /// another app of the portal (the admin pages' app sends the person to the portal's
    /// sign-in page with a page load).
    pub fn ended(&self) -> bool {
        self.state
            .with(|state| matches!(state, SessionState::SignedOut(SignedOutBecause::Ended)))
            || session_storage()
                .and_then(|storage| storage.get_item(ENDED_KEY).ok().flatten())
                .is_some()
    }
}

/// Where the tab keeps, across page loads, that its last session ended on its own (not
/// a secret): until the next sign-in or sign-out.
const ENDED_KEY: &str = "spendlens_session_ended";

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn note_ended(ended: bool) {
    if let Some(storage) = session_storage() {
        let _ = if ended {
            storage.set_item(ENDED_KEY, "1")
        } else {
            storage.remove_item(ENDED_KEY)
        };
    }
}

#[allow(dead_code, reason = "see `SessionContext::user_id`")]
fn signed_in_user_id(state: &SessionState) -> Option<UserId> {
    match state {
        SessionState::SignedIn(session) => Some(session.user.id),
        _ => None,
    }
}

/// The cookie the API sets beside the `HttpOnly` session cookie, readable here: `1`
/// while a session may exist (it carries no secret).
const HINT_COOKIE: &str = "spendlens_signed_in";

fn html_document() -> Option<web_sys::HtmlDocument> {
    use wasm_bindgen::JsCast;
    leptos::prelude::document().dyn_into().ok()
}

/// Whether the API's hint says a session may exist.
fn has_hint() -> bool {
    let cookies = html_document().and_then(|document| document.cookie().ok());
    cookies.is_some_and(|cookies| {
        cookies
            .split(';')
            .any(|cookie| cookie.trim() == format!("{HINT_COOKIE}=1"))
    })
}

/// Removes the hint once the session is known to be over, so the next visit does not ask.
fn forget_hint() {
    if let Some(document) = html_document() {
        let _ = document.set_cookie(&format!("{HINT_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax"));
    }
}

/// Provides [`SessionContext`] to the whole app.
pub fn provide_session() {
    provide_context(SessionContext::new());
}

/// Keeps the routes in step with the session: asks who is signed in when a page
/// depends on it, sends portal pages without one to the sign-in page, and the sign-in
/// page with one on to `next`. Rendered once.
#[component]
pub fn SessionKeeper() -> impl IntoView {
    let context = expect_context::<SessionContext>();
    api::on_session_ended(move || {
        let ended = context.state.try_with_untracked(|state| {
            matches!(state, SessionState::SignedIn(_) | SessionState::Unknown)
        });
        if ended == Some(true) {
            context.signed_out(SignedOutBecause::Ended);
        }
    });

    let location = use_location();
    effect(move || {
        let path = location.path();
        let state = context.state.get();
        if !context.asked.get_value() && (path == SIGN_IN || needs_session(&path)) {
            context.load();
            return;
        }
        let target = match state {
            SessionState::SignedOut(because) if needs_session(&path) => {
                Some(sign_in_path(because, current_address()))
            }
            SessionState::SignedIn(_) if path == SIGN_IN => Some(
                query_param("next")
                    .and_then(|next| safe_next(&next).map(str::to_owned))
                    .unwrap_or_else(|| "/".to_owned()),
            ),
            _ => None,
        };
        if let Some(target) = target {
            location.navigate(&target, true);
        }
    });
}

/// The sign-in page, leading back to `here` unless the person chose to sign out (or
/// `here` is the company list, where every sign-in leads anyway).
fn sign_in_path(because: SignedOutBecause, here: String) -> String {
    if because == SignedOutBecause::SignedOut || here == "/" {
        SIGN_IN.to_owned()
    } else {
        format!(
            "{SIGN_IN}?next={}",
            String::from(js_sys::encode_uri_component(&here))
        )
    }
}

pub const SIGN_IN: &str = "/sign-in";

/// Pages anyone may open: signing in, the emailed links, the customer's page.
fn needs_session(path: &str) -> bool {
    !(path == SIGN_IN
        || path == "/forgot-password"
        || ["/invitations/", "/reset-password/", "/connect/"]
            .iter()
            .any(|prefix| path.starts_with(prefix)))
}

/// `next` when it is a path of this site (`/…`), never another site's address
/// (`//host`, `/\host`, a scheme) nor a control character.
pub fn safe_next(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let same_site = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(char::is_control);
    same_site.then_some(next)
}
