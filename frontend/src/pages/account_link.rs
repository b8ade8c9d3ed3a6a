//! `/invitations/:token` and `/reset-password/:token`: the links of the account emails.
//! The token in the path is the only credential. The page says whose account it is,
//! lets the person choose a password (and, when invited, their name), and signs them
//! in with the session the API answers.

use api_types::{AccountLinkInfo, ProblemKind};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

use super::sign_in::{AuthFrame, AuthHeading, AuthSubmit};
use crate::nav::use_location;
use crate::reactive::effect;
use crate::{
    api::{self, AccountLink, ApiError},
    components::field::Field,
    session::{SIGN_IN, SessionContext},
};

/// The API's rule for passwords (`domain::PASSWORD_LENGTH`), said before it is broken.
const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Loading,
    Ready(AccountLinkInfo),
    /// The link can't be used.
    Failed(LinkFailure),
    /// Spendlens could not be reached: nothing is known to be wrong with the link.
    Unavailable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkFailure {
    Expired,
    Used,
    Invalid,
}

impl LinkFailure {
    fn from_error(err: &ApiError) -> Option<Self> {
        match err.problem_kind() {
            Some(ProblemKind::AccountLinkExpired) => Some(LinkFailure::Expired),
            Some(ProblemKind::AccountLinkUsed) => Some(LinkFailure::Used),
            Some(ProblemKind::AccountLinkNotFound) => Some(LinkFailure::Invalid),
            _ => None,
        }
    }

    fn title(self) -> &'static str {
        match self {
            LinkFailure::Expired => "This link has expired",
            LinkFailure::Used => "This link has already been used",
            LinkFailure::Invalid => "This link is not valid",
        }
    }

    /// What happened, and what to do about it.
    fn explanation(self, link: AccountLink) -> &'static str {
        match (self, link) {
            (LinkFailure::Expired, AccountLink::Invitation) => {
                "Invitations work for 7 days. Ask your organization's admin to invite you again."
            }
            (LinkFailure::Expired, AccountLink::PasswordReset) => {
                "Password reset links work for 60 minutes. Ask for a new link below."
            }
            (LinkFailure::Used, AccountLink::Invitation) => {
                "Your password was already chosen with this invitation. Sign in with it, or reset it if you have forgotten it."
            }
            (LinkFailure::Used, AccountLink::PasswordReset) => {
                "A new password was already chosen with this link. Sign in with it, or ask for a new link if you have forgotten it."
            }
            (LinkFailure::Invalid, AccountLink::Invitation) => {
                "The address may be incomplete: check that you opened the whole link from the email. If it still does not work, ask your organization's admin to invite you again."
            }
            (LinkFailure::Invalid, AccountLink::PasswordReset) => {
                "The address may be incomplete: check that you opened the whole link from the email, or ask for a new link below."
            }
        }
    }
}

#[component]
pub fn InvitationPage(token: String) -> impl IntoView {
    view! { <AccountLinkPage link=AccountLink::Invitation token /> }
}

#[component]
pub fn ResetPasswordPage(token: String) -> impl IntoView {
    view! { <AccountLinkPage link=AccountLink::PasswordReset token /> }
}

fn choose_title(link: AccountLink) -> &'static str {
    match link {
        AccountLink::Invitation => "Choose your password",
        AccountLink::PasswordReset => "Choose a new password",
    }
}

#[component]
fn AccountLinkPage(link: AccountLink, token: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let stage = RwSignal::new(Stage::Loading);

    let load = move || {
        let token = token.get_value();
        stage.set(Stage::Loading);
        spawn_local(async move {
            let next = match api::account_link(link, &token).await {
                Ok(info) => Stage::Ready(info),
                Err(err) => stage_for_error(&err),
            };
            let _ = stage.try_set(next);
        });
    };
    // Once, when the page opens: another token is another page.
    effect(load);

    let title = Signal::derive(move || {
        stage
            .with(|stage| match stage {
                Stage::Failed(failure) => failure.title(),
                Stage::Unavailable(_) => "This page is unavailable",
                _ => choose_title(link),
            })
            .to_owned()
    });
    view! {
        <AuthFrame title>
            {move || match stage.get() {
                Stage::Loading => view! {
                    <div class="customer__loading" aria-busy="true">
                        <span class="spinner" aria-hidden="true"></span>
                        <p>"Checking your link…"</p>
                    </div>
                }
                    .into_any(),
                Stage::Ready(info) => view! {
                    <PasswordForm link info token=token.get_value() stage />
                }
                    .into_any(),
                Stage::Failed(failure) => view! { <FailedLink link failure /> }.into_any(),
                Stage::Unavailable(message) => view! {
                    <AuthHeading text="This page is unavailable right now".to_owned() />
                    <p class="auth__lead">{message}</p>
                    <p class="auth__lead">"Your link is still fine. Please try again in a moment."</p>
                    <button type="button" class="button button--primary" on:click=move |_| load()>
                        "Try again"
                    </button>
                }
                    .into_any(),
            }}
        </AuthFrame>
    }
}

fn stage_for_error(err: &ApiError) -> Stage {
    match LinkFailure::from_error(err) {
        Some(failure) => Stage::Failed(failure),
        None => Stage::Unavailable(err.message()),
    }
}

#[component]
fn FailedLink(link: AccountLink, failure: LinkFailure) -> impl IntoView {
    let new_reset_link = link == AccountLink::PasswordReset || failure == LinkFailure::Used;
    view! {
        <AuthHeading text=failure.title().to_owned() />
        <p class="auth__lead">{failure.explanation(link)}</p>
        <p class="auth__actions">
            {new_reset_link.then(|| view! {
                <a href="/forgot-password" class="button button--primary">
                    "Ask for a new link"
                </a>
            })}
            <a href=SIGN_IN class="button">"Go to sign in"</a>
        </p>
    }
}

/// Field-level refusals, from the page's own checks or the API's `errors`.
#[derive(Debug, Clone, Default, PartialEq)]
struct FieldErrors {
    name: Option<String>,
    password: Option<String>,
    confirm: Option<String>,
}

#[component]
fn PasswordForm(
    link: AccountLink,
    info: AccountLinkInfo,
    token: String,
    stage: RwSignal<Stage>,
) -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let location = use_location();
    let AccountLinkInfo {
        email,
        name: invited_name,
        organization,
        ..
    } = info;
    let invitation = link == AccountLink::Invitation;
    let name = RwSignal::new(invited_name);
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::default());
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let token = StoredValue::new(token);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let chosen = password.get_untracked();
        let mut found = FieldErrors::default();
        if chosen.chars().count() < MIN_PASSWORD_CHARS {
            found.password = Some(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
        } else if confirm.with_untracked(|confirm| *confirm != chosen) {
            found.confirm = Some("The passwords don't match.".to_owned());
        }
        let new_name = invitation
            .then(|| name.get_untracked().trim().to_owned())
            .filter(|name| !name.is_empty());
        failure.set(None);
        let first_invalid = if found.password.is_some() {
            Some("account-password")
        } else if found.confirm.is_some() {
            Some("account-confirm")
        } else {
            None
        };
        errors.set(found);
        if let Some(id) = first_invalid {
            focus_field(id);
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::set_password(link, &token.get_value(), chosen, new_name).await {
                Ok(signed_in) => {
                    session.signed_in(signed_in);
                    location.navigate("/", false);
                }
                Err(err) => {
                    if let Some(failure) = LinkFailure::from_error(&err) {
                        let _ = stage.try_set(Stage::Failed(failure));
                        return;
                    }
                    let mut refused = FieldErrors::default();
                    for field in err.field_errors() {
                        let message = Some(capitalized(&field.message));
                        match field.field.as_str() {
                            "name" => refused.name = message,
                            "password" => refused.password = message,
                            _ => {}
                        }
                    }
                    if refused == FieldErrors::default() {
                        let _ = failure.try_set(Some(err.message()));
                    } else {
                        focus_field(if refused.name.is_some() {
                            "account-name"
                        } else {
                            "account-password"
                        });
                    }
                    let _ = errors.try_set(refused);
                    let _ = busy.try_set(false);
                }
            }
        });
    };

    let lead = if invitation {
        format!(
            "Welcome to {} on Spendlens. Choose a password to finish setting up your account.",
            organization.name
        )
    } else {
        format!(
            "Choose a new password for your {} account on Spendlens. You'll be signed in with it.",
            organization.name
        )
    };
    let error_of =
        move |pick: fn(&FieldErrors) -> Option<String>| Signal::derive(move || errors.with(pick));
    let name_error = error_of(|errors| errors.name.clone());
    let password_error = error_of(|errors| errors.password.clone());
    let confirm_error = error_of(|errors| errors.confirm.clone());
    let password_label = if invitation {
        "Password"
    } else {
        "New password"
    };
    view! {
        <div class="org">
            <span class="org__monogram" aria-hidden="true">
                {organization.name.chars().next().map(String::from).unwrap_or_default()}
            </span>
            <span class="org__name">{organization.name.clone()}</span>
        </div>
        <AuthHeading text=choose_title(link).to_owned() />
        <p class="auth__lead">{lead}</p>
        <form class="auth__form" novalidate=true on:submit=submit>
            <Field
                id="account-email"
                label="Email"
                value=RwSignal::new(email)
                input_type="email"
                name="username"
                autocomplete="username"
                readonly=true
            />
            {invitation.then(|| view! {
                <Field
                    id="account-name"
                    label="Your name"
                    optional=true
                    value=name
                    error=name_error
                    name="name"
                    autocomplete="name"
                />
            })}
            <Field
                id="account-password"
                label=password_label
                value=password
                error=password_error
                hint=format!("At least {MIN_PASSWORD_CHARS} characters. A few unrelated words make a strong one.")
                input_type="password"
                name="password"
                autocomplete="new-password"
                minlength=MIN_PASSWORD_CHARS
                required=true
            />
            <Field
                id="account-confirm"
                label="Confirm password"
                value=confirm
                error=confirm_error
                input_type="password"
                name="confirm"
                autocomplete="new-password"
                required=true
            />
            <AuthSubmit failure busy label="Save password and sign in" busy_label="Saving…" />
        </form>
    }
}

/// Moves focus to the refused field, so the person lands on what to fix and hears its
/// error (the field is described by it).
/// It waits a frame, so the field's error is drawn first.
fn focus_field(id: &'static str) {
    request_animation_frame(move || {
        let element = document().get_element_by_id(id).and_then(|element| {
            wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(element).ok()
        });
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
}

/// "must be at least 12 characters" → "Must be at least 12 characters." (the API's
/// field messages are phrases). ASCII only: the messages are the API's English.
fn capitalized(message: &str) -> String {
    let mut text = message.trim().to_owned();
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}
