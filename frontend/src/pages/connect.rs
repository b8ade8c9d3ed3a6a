//! `/connect/:token`: the page the customer of the bank opens from the information
//! request. No sign-in, no portal chrome: one calm card that says who is asking for
//! what, lets the customer pick their accounting platform, and grant access or leave.
//!
//! The token in the path is the only credential; every call is scoped to it.

use api_types::{ConsentEntity, ConsentRequest, ProblemKind, RequestedData};
use leptos::{html, prelude::*, task::spawn_local};

use crate::reactive::effect;
use crate::{
    api::{self, ApiError},
    components::{
        failure_alert::FailureAlert,
        field::Field,
        local_time::LocalTime,
        upload_form::{UploadForm, UploadTarget},
    },
    nav::path_segment,
};

/// Where the customer is in the journey.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Loading,
    Consent(ConsentRequest),
    Granted {
        organization: String,
    },
    Declined {
        organization: String,
    },
    /// The customer uploaded the filled-in template instead of connecting.
    Uploaded {
        organization: String,
    },
    /// The link can't be used: expired, used, replaced, or never valid.
    LinkFailed {
        failure: LinkFailure,
        detail: Option<String>,
        /// Known when the link worked a moment ago (it failed on grant or decline).
        organization: Option<String>,
    },
    /// Spendlens could not be reached, or failed: nothing is wrong with the link.
    Unavailable {
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkFailure {
    Expired,
    Used,
    Superseded,
    Invalid,
}

impl LinkFailure {
    fn title(self) -> &'static str {
        match self {
            LinkFailure::Expired => "This link has expired",
            LinkFailure::Used => "This link has already been used",
            LinkFailure::Superseded => "This link has been replaced",
            LinkFailure::Invalid => "This link is not valid",
        }
    }

    fn explanation(self) -> &'static str {
        match self {
            LinkFailure::Expired => {
                "Links to share data work for a limited time, and this one has run out."
            }
            LinkFailure::Used => {
                "Access was already granted or declined with this link, so it can't be used again."
            }
            LinkFailure::Superseded => {
                "A newer request was sent after this one, and only the newest link works."
            }
            LinkFailure::Invalid => {
                "The address may be incomplete. Check that you opened the whole link from the email."
            }
        }
    }
}

/// What a failed link's page says: the server's explanation (without a first
/// sentence that only repeats the heading), and the next step, unless the
/// explanation already gives it.
fn link_failure_text(
    failure: LinkFailure,
    detail: Option<String>,
    organization: Option<&str>,
) -> (String, Option<String>) {
    let explanation = detail
        .map(|detail| {
            let repeat = format!("{}.", failure.title());
            match detail.strip_prefix(&repeat).map(str::trim) {
                Some(rest) if !rest.is_empty() => rest.to_owned(),
                _ => detail,
            }
        })
        .unwrap_or_else(|| failure.explanation().to_owned());
    // ASCII is enough to find the ASCII phrases below, and Rust's Unicode case tables
    // (about 20 KB of wasm) stay out.
    let lower = explanation.to_ascii_lowercase();
    if lower.contains("new link") || lower.contains("new one") {
        return (explanation, None);
    }
    let who = organization.map_or_else(
        || "your relationship manager".to_owned(),
        |organization| format!("{organization} or your relationship manager"),
    );
    let next = match failure {
        LinkFailure::Superseded => {
            format!("If you can't find the newer link, ask {who} for a new link.")
        }
        _ => format!("Ask {who} for a new link."),
    };
    (explanation, Some(next))
}

/// How the page reads a failed call: a problem with the link itself, or Spendlens
/// having trouble (worth trying again).
fn stage_for_error(err: &ApiError, organization: Option<String>) -> Stage {
    let failure = match err.problem_kind() {
        Some(ProblemKind::LinkExpired) => LinkFailure::Expired,
        Some(ProblemKind::LinkUsed) => LinkFailure::Used,
        Some(ProblemKind::LinkSuperseded) => LinkFailure::Superseded,
        Some(ProblemKind::LinkNotFound) => LinkFailure::Invalid,
        _ if is_server_trouble(err) => {
            return Stage::Unavailable {
                message: err.message(),
            };
        }
        _ => LinkFailure::Invalid,
    };
    Stage::LinkFailed {
        failure,
        detail: err.problem_detail().map(str::to_owned),
        organization,
    }
}

fn is_server_trouble(err: &ApiError) -> bool {
    match err {
        ApiError::Network(_) => true,
        ApiError::Problem(problem) => problem.status >= 500,
        ApiError::Unexpected { status, .. } => *status >= 500 || *status == 0,
    }
}

/// A failure on grant or decline that ends the journey (the link stopped working
/// meanwhile), as opposed to one worth retrying on the same screen.
fn ends_the_link(err: &ApiError) -> bool {
    matches!(
        err.problem_kind(),
        Some(
            ProblemKind::LinkExpired
                | ProblemKind::LinkUsed
                | ProblemKind::LinkSuperseded
                | ProblemKind::LinkNotFound
        )
    )
}

#[component]
pub fn ConnectPage(
    /// From the address (`/connect/:token`).
    token: String,
) -> impl IntoView {
    let token = StoredValue::new(token);
    let stage = RwSignal::new(Stage::Loading);

    let load = move || {
        let token = token.get_value();
        stage.set(Stage::Loading);
        spawn_local(async move {
            let next = match api::consent_request(&token).await {
                Ok(request) => Stage::Consent(request),
                Err(err) => stage_for_error(&err, None),
            };
            let _ = stage.try_set(next);
        });
    };
    // Once, when the page opens: another token is another page.
    effect(load);

    // The tab's title follows the page, for the customer juggling tabs.
    effect(move || {
        let title = stage.with(|stage| match stage {
            Stage::Loading => "Share your accounting data".to_owned(),
            Stage::Consent(request) => format!("{} asks for access", request.organization_name),
            Stage::Granted { .. } | Stage::Uploaded { .. } => "Thank you".to_owned(),
            Stage::Declined { .. } => "No data was shared".to_owned(),
            Stage::LinkFailed { failure, .. } => failure.title().to_owned(),
            Stage::Unavailable { .. } => "This page is unavailable".to_owned(),
        });
        document().set_title(&title);
    });
    on_cleanup(|| document().set_title("Spendlens"));

    view! {
        <CustomerCard>
            {move || match stage.get() {
                Stage::Loading => {
                    view! {
                        <div class="customer__loading" aria-busy="true">
                            <span class="spinner" aria-hidden="true"></span>
                            <p>"Loading your request…"</p>
                        </div>
                    }
                        .into_any()
                }
                Stage::Consent(request) => {
                    view! { <ConsentScreen request token=token.get_value() stage /> }
                        .into_any()
                }
                Stage::Granted { organization } => {
                    view! {
                        <Outcome tone="success" title="Thank you".to_owned() organization=Some(organization.clone())>
                            <p>
                                {format!(
                                    "{organization} can now see the requested data. Your accounting data is being shared in the background; there is nothing more for you to do."
                                )}
                            </p>
                            <AddEntity token=token.get_value() />
                            <p class="customer__next">"Otherwise, you can close this page."</p>
                        </Outcome>
                    }
                        .into_any()
                }
                Stage::Uploaded { organization } => {
                    view! {
                        <Outcome tone="success" title="Thank you".to_owned() organization=Some(organization.clone())>
                            <p>
                                {format!(
                                    "{organization} can now see the data you uploaded. Nothing connects to your software, so when your figures change, {organization} will ask you for a new upload."
                                )}
                            </p>
                            <AddEntity token=token.get_value() />
                            <p class="customer__next">"Otherwise, you can close this page."</p>
                        </Outcome>
                    }
                        .into_any()
                }
                Stage::Declined { organization } => {
                    view! {
                        <Outcome tone="neutral" title="No data was shared".to_owned() organization=Some(organization.clone())>
                            <p>
                                {format!(
                                    "You left without granting access, so {organization} can't see any of your accounting data."
                                )}
                            </p>
                            <p class="customer__next">
                                {format!(
                                    "If you change your mind, ask {organization} for a new link. You can close this page."
                                )}
                            </p>
                        </Outcome>
                    }
                        .into_any()
                }
                Stage::LinkFailed { failure, detail, organization } => {
                    view! { <LinkFailed failure detail organization /> }.into_any()
                }
                Stage::Unavailable { message } => {
                    view! {
                        <Outcome tone="warning" title="This page is unavailable right now".to_owned() organization=None>
                            <p>{message}</p>
                            <p class="customer__next">"Your link is still fine. Please try again in a moment."</p>
                            <button type="button" class="button button--primary" on:click=move |_| load()>
                                "Try again"
                            </button>
                        </Outcome>
                    }
                        .into_any()
                }
            }}
        </CustomerCard>
    }
}

/// What a link that can't be used says, and what to do next.
#[component]
fn LinkFailed(
    failure: LinkFailure,
    detail: Option<String>,
    organization: Option<String>,
) -> impl IntoView {
    let (explanation, next) = link_failure_text(failure, detail, organization.as_deref());
    view! {
        <Outcome tone="warning" title=failure.title().to_owned() organization>
            <p>{explanation}</p>
            {next.map(|next| view! { <p class="customer__next">{next}</p> })}
        </Outcome>
    }
}

/// An address under `/connect/` that is none of the customer's pages, in the customer's
/// own app (which has no portal page to say "not found" in): a link cut short.
#[component]
pub fn IncompleteLinkPage() -> impl IntoView {
    let failure = LinkFailure::Invalid;
    document().set_title(failure.title());
    view! {
        <CustomerCard>
            <LinkFailed failure detail=None organization=None />
        </CustomerCard>
    }
}

#[component]
fn ConsentScreen(request: ConsentRequest, token: String, stage: RwSignal<Stage>) -> impl IntoView {
    let ConsentRequest {
        organization_name,
        company_name,
        contact_name,
        requested_data,
        platforms,
        expires_at,
        group_name,
        entities,
    } = request;
    let platform = RwSignal::new(platforms.first().map(|platform| platform.id.clone()));
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let organization = StoredValue::new(organization_name.clone());

    let finish = move |answer: Result<String, ApiError>, granted: bool| match answer {
        Ok(organization) => {
            let _ = stage.try_set(if granted {
                Stage::Granted { organization }
            } else {
                Stage::Declined { organization }
            });
        }
        Err(err) if ends_the_link(&err) => {
            let _ = stage.try_set(stage_for_error(&err, Some(organization.get_value())));
        }
        Err(err) => {
            let _ = failure.try_set(Some(err.message()));
            let _ = busy.try_set(false);
        }
    };
    let grant = move |_| {
        let Some(chosen) = platform.get_untracked() else {
            return;
        };
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            match api::grant_consent(&token.get_value(), chosen).await {
                // Xero, QuickBooks: on to the platform's own page; it sends the
                // customer back to a `/connect/…` result page.
                Ok(api_types::ConsentOutcome {
                    redirect_url: Some(url),
                    ..
                }) => {
                    if window().location().set_href(&url).is_err() {
                        finish(
                            Err(ApiError::Network(
                                "the platform's page could not be opened".to_owned(),
                            )),
                            true,
                        );
                    }
                }
                answer => finish(answer.map(|outcome| outcome.organization_name), true),
            }
        });
    };
    let decline = move |_| {
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            let answer = api::decline_consent(&token.get_value())
                .await
                .map(|outcome| outcome.organization_name);
            finish(answer, false);
        });
    };

    let has_platforms = !platforms.is_empty();
    let upload_note = format!(
        "Send {organization_name} your supplier and bill data from a template instead. It is checked before anything is stored, and it is not updated automatically: {organization_name} will ask you for a new upload when they need newer figures."
    );
    // The template holds spend detail only.
    let uploadable = requested_data
        .iter()
        .any(|data| data.data_type == domain::DataType::SpendDetail);
    view! {
        <article class="consent" aria-labelledby="consent-title" aria-busy=move || busy.get().to_string()>
            <OrganizationMark name=organization_name.clone() />
            <h1 id="consent-title" class="customer__title">
                {format!(
                    "{organization_name} is asking for access to {company_name}'s accounting data"
                )}
            </h1>
            {group_name.map(|group| view! {
                <p class="consent__group">{format!("One of the companies of {group}")}</p>
            })}
            {(entities.len() > 1).then(|| view! { <GroupEntities entities /> })}
            <p class="consent__greeting">
                {format!(
                    "Hello {contact_name}. {organization_name} would like to see the data below from your accounting software. Nothing is shared until you choose Grant access."
                )}
            </p>

            <section class="consent__section" aria-labelledby="shared-title">
                <h2 id="shared-title" class="consent__heading">
                    {format!("What {organization_name} will see")}
                </h2>
                <ul class="shared-list">
                    {requested_data
                        .into_iter()
                        .map(|data| view! { <SharedItem data /> })
                        .collect_view()}
                </ul>
                <p class="consent__fine">
                    {format!(
                        "Only this data is shared. {organization_name} may fetch it again later to keep it up to date."
                    )}
                </p>
            </section>

            <fieldset class="platforms" role="radiogroup" aria-labelledby="platform-legend">
                <legend id="platform-legend" class="consent__heading">
                    "Accounting platform"
                </legend>
                <p class="platforms__hint">"Choose the software your company keeps its accounts in."</p>
                {platforms
                    .into_iter()
                    .map(|option| {
                        view! {
                            <RadioOption group="platform" id=option.id label=option.name chosen=platform busy />
                        }
                    })
                    .collect_view()}
                {(!has_platforms)
                    .then(|| {
                        view! {
                            <p class="platforms__hint">
                                "No accounting platform can be connected right now. Please try again later."
                            </p>
                        }
                    })}
            </fieldset>

            {uploadable.then(|| view! {
                <details class="consent__upload">
                    <summary>"My software isn't listed"</summary>
                    <p class="consent__fine">{upload_note}</p>
                    <UploadForm
                        target=UploadTarget::Link(token.get_value())
                        on_uploaded=move |organization: String| {
                            let _ = stage.try_set(Stage::Uploaded { organization });
                        }
                    />
                </details>
            })}

            <p class="consent__expiry">
                "This link works until " <LocalTime at=expires_at /> "."
            </p>

            <FailureAlert title="That didn't work." failure note="Nothing has changed. Please try again." />

            <div class="consent__actions">
                <button
                    type="button"
                    class="button button--primary button--large"
                    disabled=move || busy.get() || platform.with(Option::is_none)
                    on:click=grant
                >
                    "Grant access"
                </button>
                <button
                    type="button"
                    class="button button--quiet button--large"
                    disabled=move || busy.get()
                    on:click=decline
                >
                    "Exit without granting"
                </button>
            </div>
            <p class="consent__fine">
                {format!(
                    "If you exit, nothing is shared and {organization_name} is told you did not grant access."
                )}
            </p>
        </article>
    }
}

/// The group's companies on the consent page, each with whether it is connected: the
/// customer connects one after another through the same request.
#[component]
fn GroupEntities(entities: Vec<ConsentEntity>) -> impl IntoView {
    view! {
        <section class="consent__section" aria-labelledby="group-title">
            <h2 id="group-title" class="consent__heading">"Your group's companies"</h2>
            <ul class="group-list">
                {entities
                    .into_iter()
                    .map(|entity| {
                        let state = match (&entity.connected_with, entity.current) {
                            (_, true) => "This page".to_owned(),
                            (Some(with), false) => format!("Connected: {with}"),
                            (None, false) => "Not connected yet".to_owned(),
                        };
                        view! {
                            <li class="group-list__item" aria-current=entity.current.then_some("true")>
                                <span class="group-list__name">{entity.name}</span>
                                <span class="group-list__state">{state}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// "Another company of your group?": names the next entity and goes on with its own
/// link (the same request, the same expiry), to connect it or upload its template.
#[component]
fn AddEntity(token: String) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let entity = name.get_untracked().trim().to_owned();
        if entity.is_empty() {
            failure.set(Some("Enter the company's name.".to_owned()));
            return;
        }
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            match api::add_consent_entity(&token.get_value(), entity).await {
                Ok(link) => {
                    let next = format!("/connect/{}", link.token);
                    if window().location().set_href(&next).is_err() {
                        let _ =
                            failure.try_set(Some("The next page could not be opened.".to_owned()));
                        let _ = busy.try_set(false);
                    }
                }
                Err(err) => {
                    let _ = failure.try_set(Some(err.message()));
                    let _ = busy.try_set(false);
                }
            }
        });
    };
    view! {
        <form class="add-entity" on:submit=submit aria-labelledby="add-entity-title">
            <h2 id="add-entity-title" class="consent__heading">"Another company in your group?"</h2>
            <p class="consent__fine">
                "If your group has other companies with their own books, connect them one after another with this same request."
            </p>
            <div class="add-entity__row">
                <Field id="entity-name" label="Company name" value=name error=failure autocomplete="organization" />
                <button type="submit" class="button button--primary" disabled=move || busy.get()>
                    "Connect another company"
                </button>
            </div>
        </form>
    }
}

#[component]
fn SharedItem(data: RequestedData) -> impl IntoView {
    view! {
        <li class="shared-item">
            <span class="shared-item__check" aria-hidden="true">"✓"</span>
            <div>
                <p class="shared-item__label">{data.label}</p>
                <p class="shared-item__contents">{data.contents.join(", ")}</p>
            </div>
        </li>
    }
}

/// The customer's pages' frame: one calm card, no portal chrome.
#[component]
fn CustomerCard(children: Children) -> impl IntoView {
    view! {
        <div class="customer">
            <main id="main" class="customer__main">
                <div class="customer__card">{children()}</div>
                <p class="customer__footer">"Data sharing powered by Spendlens"</p>
            </main>
        </div>
    }
}

/// A result page: a heading that takes the focus (so it is read out), and its text.
#[component]
fn Outcome(
    /// `success`, `neutral` or `warning`: the colour of the mark above the heading.
    tone: &'static str,
    title: String,
    organization: Option<String>,
    children: Children,
) -> impl IntoView {
    let heading = NodeRef::<html::H1>::new();
    effect(move || {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    let mark = match tone {
        "success" => "✓",
        "warning" => "!",
        _ => "i",
    };
    view! {
        <section class=format!("outcome outcome--{tone}") aria-labelledby="outcome-title">
            {organization.map(|name| view! { <OrganizationMark name /> })}
            <div class="outcome__mark" aria-hidden="true">{mark}</div>
            <h1 id="outcome-title" class="customer__title" tabindex="-1" node_ref=heading>
                {title}
            </h1>
            {children()}
        </section>
    }
}

/// The asking organization's name with a monogram, at the top of the card.
#[component]
fn OrganizationMark(name: String) -> impl IntoView {
    let initial = monogram(&name);
    view! {
        <div class="org">
            <span class="org__monogram" aria-hidden="true">{initial}</span>
            <span class="org__name">{name}</span>
        </div>
    }
}

/// The first letter or digit of `name`, upper-cased ("É" for "élan Bank"). The
/// browser's Unicode tables do it: Rust's would add about 20 KB to the wasm.
fn monogram(name: &str) -> String {
    js_sys::RegExp::new(r"[\p{Alphabetic}\p{N}]", "u")
        .exec(name)
        .and_then(|found| found.get(0).as_string())
        .map(|first| js_sys::JsString::from(first).to_upper_case().into())
        .unwrap_or_default()
}

/// The customer's pages, under `/connect/`: the same routes in the portal's app and in
/// the customer's own (`crate::customer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectRoute {
    /// `/connect/:token`: the consent page.
    Consent(String),
    /// `/connect/connected`, `/connect/declined`, `/connect/problem`: where an OAuth
    /// platform's callback lands the customer (details in the query string).
    Result(ConnectResult),
    /// `/connect/choose/:choice`: which of the organisations authorized is this company.
    Choose(String),
    /// `/connect/:token/done`: back from the data partner's link page.
    PartnerDone(String),
}

impl ConnectRoute {
    /// The page at `path` (still percent-encoded), when it is one of these.
    pub fn of(path: &str) -> Option<Self> {
        let mut segments = path.strip_prefix("/connect/")?.split('/');
        let first = segments.next().filter(|segment| !segment.is_empty())?;
        let second = segments.next().filter(|segment| !segment.is_empty());
        if segments.next().is_some() {
            return None;
        }
        Some(match (first, second) {
            ("choose", Some(choice)) => Self::Choose(path_segment(choice)),
            (token, Some("done")) => Self::PartnerDone(path_segment(token)),
            (result, None) => ConnectResult::at(result)
                .map_or_else(|| Self::Consent(path_segment(result)), Self::Result),
            _ => return None,
        })
    }

    /// The route's page.
    pub fn page(self) -> AnyView {
        match self {
            Self::Consent(token) => view! { <ConnectPage token /> }.into_any(),
            Self::Result(result) => view! { <ConnectResultPage result /> }.into_any(),
            Self::Choose(choice) => view! { <ChoosePage choice /> }.into_any(),
            Self::PartnerDone(token) => view! { <PartnerDonePage token /> }.into_any(),
        }
    }
}

/// Where an OAuth platform's callback sent the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectResult {
    Connected,
    Declined,
    Problem,
}

impl ConnectResult {
    pub fn at(segment: &str) -> Option<Self> {
        match segment {
            "connected" => Some(Self::Connected),
            "declined" => Some(Self::Declined),
            "problem" => Some(Self::Problem),
            _ => None,
        }
    }
}

/// A value of the address's query string.
fn query_value(name: &str) -> Option<String> {
    let search = window().location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|value| !value.is_empty())
}

/// The page after the platform: connected, declined there, or a problem.
#[component]
pub fn ConnectResultPage(result: ConnectResult) -> impl IntoView {
    let organization = query_value("by");
    let asker = organization
        .clone()
        .unwrap_or_else(|| "The organization that asked".to_owned());
    let body = match result {
        ConnectResult::Connected => {
            let books = query_value("organisation").unwrap_or_else(|| "your books".to_owned());
            document().set_title("Connected");
            view! {
                <Outcome tone="success" title="Connected".to_owned() organization>
                    <p>
                        {format!(
                            "{asker} can now see the requested data of {books}. It is being shared in the background; there is nothing more for you to do."
                        )}
                    </p>
                    <p class="customer__next">"You can close this page."</p>
                </Outcome>
            }
            .into_any()
        }
        ConnectResult::Declined => {
            document().set_title("No data was shared");
            view! {
                <Outcome tone="neutral" title="No data was shared".to_owned() organization>
                    <p>{format!("You did not allow access, so {asker} can't see any of your accounting data.")}</p>
                    <p class="customer__next">
                        "If you change your mind, ask for a new link. You can close this page."
                    </p>
                </Outcome>
            }
            .into_any()
        }
        ConnectResult::Problem => {
            document().set_title("The connection was not made");
            let message = query_value("message").unwrap_or_else(|| {
                "The accounting platform did not complete the connection. Open the link in your email and try again.".to_owned()
            });
            view! {
                <Outcome tone="warning" title="The connection was not made".to_owned() organization=None>
                    <p>{message}</p>
                </Outcome>
            }
            .into_any()
        }
    };
    on_cleanup(|| document().set_title("Spendlens"));
    view! { <CustomerCard>{body}</CustomerCard> }
}

/// How often, and how many times, the done page asks whether the data partner has
/// confirmed the connection.
const PARTNER_POLL: std::time::Duration = std::time::Duration::from_secs(3);
const PARTNER_POLLS: u32 = 20;

/// Where the done page stands.
#[derive(Debug, Clone, PartialEq)]
enum PartnerStage {
    Waiting {
        software: Option<String>,
        gave_up: bool,
    },
    Connected {
        organization: String,
        software: String,
    },
    Declined {
        organization: String,
    },
    Failed {
        message: String,
    },
}

/// `/connect/:token/done`: where the data partner sends the customer back, with its
/// `statuscode`. Asks Spendlens (which asks the partner) until the connection is
/// linked; it also finishes in the background if the customer closes the page.
#[component]
pub fn PartnerDonePage(token: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let stage = RwSignal::new(PartnerStage::Waiting {
        software: None,
        gave_up: false,
    });
    let status_code = query_value("statuscode")
        .and_then(|code| code.parse::<u16>().ok())
        .unwrap_or(200);
    effect(move || {
        spawn_local(async move {
            for _ in 0..PARTNER_POLLS {
                let next = match api::return_from_partner(&token.get_value(), status_code).await {
                    Ok(outcome) => match outcome.status {
                        api_types::InformationRequestStatus::Granted => PartnerStage::Connected {
                            organization: outcome.organization_name,
                            software: outcome
                                .connected_organisation
                                .unwrap_or_else(|| "your accounting software".to_owned()),
                        },
                        api_types::InformationRequestStatus::Declined => PartnerStage::Declined {
                            organization: outcome.organization_name,
                        },
                        _ => PartnerStage::Waiting {
                            software: outcome.connected_organisation,
                            gave_up: false,
                        },
                    },
                    Err(err) => PartnerStage::Failed {
                        message: err.message(),
                    },
                };
                let waiting = matches!(next, PartnerStage::Waiting { .. });
                if stage.try_set(next).is_some() || !waiting {
                    return;
                }
                gloo_timers::future::sleep(PARTNER_POLL).await;
            }
            let _ = stage.try_update(|stage| {
                if let PartnerStage::Waiting { gave_up, .. } = stage {
                    *gave_up = true;
                }
            });
        });
    });
    effect(move || {
        let title = stage.with(|stage| match stage {
            PartnerStage::Waiting { .. } => "Finishing the connection",
            PartnerStage::Connected { .. } => "Connected",
            PartnerStage::Declined { .. } => "No data was shared",
            PartnerStage::Failed { .. } => "The connection was not made",
        });
        document().set_title(title);
    });
    on_cleanup(|| document().set_title("Spendlens"));
    let body = move || {
        match stage.get() {
        PartnerStage::Waiting { software, gave_up } => {
            let software = software.unwrap_or_else(|| "your accounting software".to_owned());
            let text = if gave_up {
                format!("Our data partner has not confirmed the connection to {software} yet. It will finish in the background; there is nothing more for you to do, and you can close this page.")
            } else {
                format!("Our data partner is confirming the connection to {software}. This takes a few seconds.")
            };
            view! {
                <div class="customer__loading" aria-busy=(!gave_up).to_string() role="status">
                    {(!gave_up).then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                    <h1 class="customer__title">"Finishing the connection"</h1>
                    <p>{text}</p>
                </div>
            }
            .into_any()
        }
        PartnerStage::Connected { organization, software } => view! {
            <Outcome tone="success" title="Connected".to_owned() organization=Some(organization.clone())>
                <p>
                    {format!(
                        "{organization} can now see the requested data from {software}. It is being shared in the background; there is nothing more for you to do."
                    )}
                </p>
                <p class="customer__next">"You can close this page."</p>
            </Outcome>
        }
        .into_any(),
        PartnerStage::Declined { organization } => view! {
            <Outcome tone="neutral" title="No data was shared".to_owned() organization=Some(organization.clone())>
                <p>{format!("You did not allow access, so {organization} can't see any of your accounting data.")}</p>
                <p class="customer__next">"If you change your mind, ask for a new link. You can close this page."</p>
            </Outcome>
        }
        .into_any(),
        PartnerStage::Failed { message } => view! {
            <Outcome tone="warning" title="The connection was not made".to_owned() organization=None>
                <p>{message}</p>
            </Outcome>
        }
        .into_any(),
    }
    };
    view! { <CustomerCard>{body}</CustomerCard> }
}

/// The customer authorized several organisations at once: which one is this company?
/// Nothing is picked for them.
#[component]
pub fn ChoosePage(choice: String) -> impl IntoView {
    let choice = StoredValue::new(choice);
    let loaded = RwSignal::new(None::<Result<api_types::OrganisationChoice, ApiError>>);
    let chosen = RwSignal::new(None::<String>);
    // Other organisations of the same authorization that are other entities of the group.
    let others = RwSignal::new(Vec::<String>::new());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<(api_types::ConsentOutcome, usize)>);
    effect(move || {
        spawn_local(async move {
            let answer = api::organisation_choice(&choice.get_value()).await;
            let _ = loaded.try_set(Some(answer));
        });
    });
    document().set_title("Choose your organisation");
    on_cleanup(|| document().set_title("Spendlens"));
    let connect = move |_| {
        let Some(organisation) = chosen.get_untracked() else {
            return;
        };
        let also: Vec<String> = others
            .get_untracked()
            .into_iter()
            .filter(|id| *id != organisation)
            .collect();
        let count = also.len();
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            match api::choose_organisation(&choice.get_value(), organisation, also).await {
                Ok(outcome) => {
                    let _ = done.try_set(Some((outcome, count)));
                }
                Err(err) => {
                    let _ = failure.try_set(Some(err.message()));
                    let _ = busy.try_set(false);
                }
            }
        });
    };
    let body = move || {
        if let Some((outcome, entities)) = done.get() {
            let mut books = outcome
                .connected_organisation
                .unwrap_or_else(|| "your books".to_owned());
            match entities {
                0 => {}
                1 => books.push_str(" and of one other company of your group"),
                n => books.push_str(&format!(" and of {n} other companies of your group")),
            }
            return view! {
                <Outcome tone="success" title="Connected".to_owned() organization=Some(outcome.organization_name.clone())>
                    <p>
                        {format!(
                            "{} can now see the requested data of {books}. There is nothing more for you to do.",
                            outcome.organization_name
                        )}
                    </p>
                    <p class="customer__next">"You can close this page."</p>
                </Outcome>
            }
            .into_any();
        }
        match loaded.get() {
            None => view! {
                <div class="customer__loading" aria-busy="true">
                    <span class="spinner" aria-hidden="true"></span>
                    <p>"Loading…"</p>
                </div>
            }
            .into_any(),
            Some(Err(err)) => view! {
                <Outcome tone="warning" title="This choice is no longer available".to_owned() organization=None>
                    <p>{err.message()}</p>
                    <p class="customer__next">"Open the link in your email and connect again."</p>
                </Outcome>
            }
            .into_any(),
            Some(Ok(offer)) => view! {
                <article class="consent" aria-labelledby="choose-title" aria-busy=move || busy.get().to_string()>
                    <OrganizationMark name=offer.organization_name.clone() />
                    <h1 id="choose-title" class="customer__title">
                        {format!("Which organisation is {}?", offer.company_name)}
                    </h1>
                    <p class="consent__greeting">
                        {format!(
                            "You allowed access to more than one organisation in {}. Choose the one whose books {} asked for. Only the organisations you choose here are shared.",
                            offer.platform_name, offer.organization_name
                        )}
                    </p>
                    <fieldset class="platforms" role="radiogroup" aria-labelledby="organisation-legend">
                        <legend id="organisation-legend" class="consent__heading">"Organisation"</legend>
                        {offer
                            .organisations
                            .clone()
                            .into_iter()
                            .map(|organisation| {
                                view! {
                                    <RadioOption group="organisation" id=organisation.id label=organisation.name chosen busy />
                                }
                            })
                            .collect_view()}
                    </fieldset>
                    <OtherEntities organisations=offer.organisations.clone() chosen others busy />
                    <FailureAlert title="That didn't work." failure note="Nothing has changed. Please try again." />
                    <div class="consent__actions">
                        <button
                            type="button"
                            class="button button--primary button--large"
                            disabled=move || busy.get() || chosen.with(Option::is_none)
                            on:click=connect
                        >
                            "Connect this organisation"
                        </button>
                    </div>
                </article>
            }
            .into_any(),
        }
    };
    view! { <CustomerCard>{body}</CustomerCard> }
}

/// "Other companies of your group": the organisations besides the chosen one that are
/// other entities of the same group, each connected as its own company through the same
/// authorization.
#[component]
fn OtherEntities(
    organisations: Vec<api_types::PlatformOrganisation>,
    chosen: RwSignal<Option<String>>,
    others: RwSignal<Vec<String>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <fieldset class="platforms other-entities" aria-describedby="other-entities-hint">
            <legend class="consent__heading">"Other companies of your group"</legend>
            <p id="other-entities-hint" class="platforms__hint">
                "If some of the other organisations are companies of the same group, tick them: each is shared as a company of its own."
            </p>
            {organisations
                .into_iter()
                .map(|organisation| {
                    let id = organisation.id.clone();
                    let is_chosen = {
                        let id = id.clone();
                        move || chosen.with(|c| c.as_deref() == Some(id.as_str()))
                    };
                    let ticked = {
                        let id = id.clone();
                        move || others.with(|o| o.contains(&id))
                    };
                    let input_id = format!("other-{id}");
                    view! {
                        <label class="other-entities__option">
                            <input
                                type="checkbox"
                                class="checkbox"
                                id=input_id
                                prop:checked=ticked
                                disabled={
                                    let is_chosen = is_chosen.clone();
                                    move || busy.get() || is_chosen()
                                }
                                on:change=move |event| {
                                    let on = event_target_checked(&event);
                                    let id = id.clone();
                                    others.update(|o| {
                                        o.retain(|x| *x != id);
                                        if on {
                                            o.push(id);
                                        }
                                    });
                                }
                            />
                            <span>{organisation.name}</span>
                            {move || is_chosen().then(|| view! { <span class="muted">" (this company)"</span> })}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// One choice of a radio group whose value lives in `chosen`; platforms get their mark.
#[component]
fn RadioOption(
    group: &'static str,
    id: String,
    label: String,
    chosen: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let checked = {
        let id = id.clone();
        move || chosen.with(|c| c.as_deref() == Some(id.as_str()))
    };
    let mark = (group == "platform")
        .then(|| platform_mark(&id, &label))
        .flatten();
    view! {
        <label class="platform">
            <input
                type="radio"
                name=group
                value=id.clone()
                prop:checked=checked
                disabled=move || busy.get()
                autocomplete="off"
                on:change=move |_| chosen.set(Some(id.clone()))
            />
            {mark}
            <span class="platform__name">{label}</span>
        </label>
    }
}

/// A platform's mark, drawn here (no image from anyone's CDN): its colour and initials;
/// software reached through the data partner gets its initial on a neutral disc.
fn platform_mark(id: &str, label: &str) -> Option<impl IntoView + use<>> {
    let (fill, text) = match id {
        "xero" => ("#13b5ea", "x".to_owned()),
        "quickbooks" => ("#2ca01c", "qb".to_owned()),
        partner if partner.starts_with("http:") => ("#5b6472", monogram(label)),
        _ => return None,
    };
    Some(view! {
        <svg class="platform__mark" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
            <circle cx="12" cy="12" r="12" fill=fill />
            <text x="12" y="16.5" text-anchor="middle" font-size="12" font-weight="700" fill="#ffffff">{text}</text>
        </svg>
    })
}
