//! `/sign-in` and `/forgot-password`: one calm card each, without the portal's frame.
//!
//! Signing in hands the session to [`SessionContext`]; the session keeper then goes on
//! to `next` (a path of this site) or the company list.

use api_types::{PasswordResetRequest, SignIn};
use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};

use crate::reactive::{effect, memo};
use crate::{
    api::{self, SignInRefusal},
    components::{field::Field, icons::BrandMark},
    session::{SIGN_IN, SessionContext, SessionState},
};

/// The frame of the pages people see before they are signed in: the brand, and one
/// card. `title` becomes the tab's title.
#[component]
pub fn AuthFrame(title: Signal<String>, children: Children) -> impl IntoView {
    effect(move || document().set_title(&format!("{} · Spendlens", title.get())));
    on_cleanup(|| document().set_title("Spendlens"));
    view! {
        <div class="customer auth">
            <main id="main" class="customer__main auth__main">
                <p class="auth__brand">
                    <BrandMark />
                    <span class="brand__name">"Spendlens"</span>
                    <span class="auth__tagline">"Relationship Manager Portal"</span>
                </p>
                <div class="customer__card auth__card">{children()}</div>
            </main>
        </div>
    }
}

/// The end of an auth form: the alert slot for `failure` (`alert_id` is what the
/// fields' `shared_error` names) and the submit button, which says `busy_label` while
/// the form is sent.
#[component]
pub fn AuthSubmit(
    #[prop(optional)] alert_id: Option<&'static str>,
    failure: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    label: &'static str,
    busy_label: &'static str,
) -> impl IntoView {
    view! {
        <div class="auth__alert-slot" role="alert" id=alert_id>
            {move || failure.get().map(|message| view! {
                <div class="inline-alert">
                    <p>{message}</p>
                </div>
            })}
        </div>
        <button
            type="submit"
            class="button button--primary button--large auth__submit"
            disabled=move || busy.get()
        >
            {move || if busy.get() { busy_label } else { label }}
        </button>
    }
}

/// A heading that takes the focus when it appears, so a screen reader reads where
/// the person has arrived.
#[component]
pub fn AuthHeading(text: String) -> impl IntoView {
    let heading = NodeRef::<html::H1>::new();
    effect(move || {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    view! {
        <h1 class="customer__title auth__title" tabindex="-1" node_ref=heading>
            {text}
        </h1>
    }
}

/// The quiet state while the portal asks who is signed in, or the way out when it
/// could not ask.
#[component]
pub fn SessionPending() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    view! {
        {move || match session.state() {
            SessionState::Unavailable(message) => view! {
                <div class="session-pending">
                    <div class="inline-alert" role="alert">
                        <p class="inline-alert__title">"Spendlens can't be reached right now."</p>
                        <p>{message}</p>
                        <button type="button" class="button" on:click=move |_| session.load()>
                            "Try again"
                        </button>
                    </div>
                </div>
            }
                .into_any(),
            _ => view! {
                <div class="session-pending" aria-busy="true">
                    <span class="spinner" aria-hidden="true"></span>
                    <span class="visually-hidden">"Loading…"</span>
                </div>
            }
                .into_any(),
        }}
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let known = memo(move || {
        matches!(
            session.state(),
            SessionState::SignedOut(_) | SessionState::Unavailable(_)
        )
    });
    view! {
        <AuthFrame title=Signal::derive(|| "Sign in".to_owned())>
            {move || if known.get() {
                view! { <SignInForm /> }.into_any()
            } else {
                view! { <SessionPending /> }.into_any()
            }}
        </AuthFrame>
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let ended = session.ended();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let failed = Signal::derive(move || failure.with(Option::is_some));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let credentials = SignIn {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        if credentials.email.is_empty() || credentials.password.is_empty() {
            failure.set(Some(
                "Enter your email address and your password.".to_owned(),
            ));
            return;
        }
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            match api::sign_in(&credentials).await {
                Ok(signed_in) => session.signed_in(signed_in),
                Err(refusal) => {
                    let _ = failure.try_set(Some(sign_in_failure(&refusal)));
                    let _ = busy.try_set(false);
                }
            }
        });
    };

    view! {
        <AuthHeading text="Sign in".to_owned() />
        <p class="auth__lead">"Sign in to see your client companies and their data."</p>
        {ended.then(|| view! {
            <div class="auth__notice" role="status">
                <p>"Your session has ended. Sign in again."</p>
            </div>
        })}
        <form class="auth__form" novalidate=true on:submit=submit>
            <Field
                id="sign-in-email"
                label="Email"
                value=email
                shared_error=("sign-in-error", failed)
                input_type="email"
                name="email"
                autocomplete="username"
                no_spellcheck=true
                required=true
            />
            <Field
                id="sign-in-password"
                label="Password"
                value=password
                shared_error=("sign-in-error", failed)
                input_type="password"
                name="password"
                autocomplete="current-password"
                required=true
            />
            <AuthSubmit alert_id="sign-in-error" failure busy label="Sign in" busy_label="Signing in…" />
        </form>
        <p class="auth__aside">
            <a href="/forgot-password">"Forgot your password?"</a>
        </p>
    }
}

/// What the sign-in card says when the API refused: its own words, or, after too
/// many attempts, how long to wait (the API's `Retry-After`).
fn sign_in_failure(refusal: &SignInRefusal) -> String {
    match (refusal.error.status(), refusal.retry_after) {
        (Some(429), Some(seconds)) => format!(
            "Too many sign-in attempts for this email address. Try again {}, or reset your password.",
            wait(seconds)
        ),
        _ => refusal.error.message(),
    }
}

/// "in 45 seconds", "in 2 minutes".
fn wait(seconds: u64) -> String {
    match seconds {
        0..=1 => "in a second".to_owned(),
        2..=59 => format!("in {seconds} seconds"),
        60..=119 => "in a minute".to_owned(),
        _ => format!("in {} minutes", seconds.div_ceil(60)),
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let failed = Signal::derive(move || failure.with(Option::is_some));
    let sent_to = RwSignal::new(None::<String>);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let request = PasswordResetRequest {
            email: email.get_untracked().trim().to_owned(),
        };
        if request.email.is_empty() {
            failure.set(Some("Enter the email address you sign in with.".to_owned()));
            return;
        }
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            let address = request.email.clone();
            match api::request_password_reset(request.email).await {
                Ok(()) => {
                    let _ = sent_to.try_set(Some(address));
                }
                Err(err) => {
                    let _ = failure.try_set(Some(err.message()));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    let title = Signal::derive(move || {
        if sent_to.with(Option::is_some) {
            "Check your email".to_owned()
        } else {
            "Reset your password".to_owned()
        }
    });
    view! {
        <AuthFrame title>
            {move || match sent_to.get() {
                Some(address) => view! {
                    <AuthHeading text="Check your email".to_owned() />
                    <p class="auth__lead">
                        {format!(
                            "If {address} belongs to a Spendlens user, we've sent a link to choose a new password. It works for 60 minutes."
                        )}
                    </p>
                    <p class="auth__lead">
                        "Nothing arrived? Check your spam folder, or ask your organization's admin."
                    </p>
                    <p class="auth__aside">
                        <a href=SIGN_IN>"Back to sign in"</a>
                    </p>
                }
                    .into_any(),
                None => view! {
                    <AuthHeading text="Reset your password".to_owned() />
                    <p class="auth__lead">
                        "Enter the email address you sign in with, and we'll email you a link to choose a new password."
                    </p>
                    <form class="auth__form" novalidate=true on:submit=submit>
                        <Field
                            id="reset-email"
                            label="Email"
                            value=email
                            shared_error=("reset-error", failed)
                            input_type="email"
                            name="email"
                            autocomplete="email"
                            no_spellcheck=true
                            required=true
                        />
                        <AuthSubmit alert_id="reset-error" failure busy label="Send reset link" busy_label="Sending…" />
                    </form>
                    <p class="auth__aside">
                        <a href=SIGN_IN>"Back to sign in"</a>
                    </p>
                }
                    .into_any(),
            }}
        </AuthFrame>
    }
}
