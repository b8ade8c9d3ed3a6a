//! The typed client of the Spendlens JSON API (`/api/v1`, same origin).
//!
//! Owns every HTTP call the portal makes and the translation of answers into
//! [`api_types`] values or an [`ApiError`]. Components never see a status code or a
//! header, except the `ETag` handshake of [`company_statuses`], which the poller owns.

use std::{cell::RefCell, rc::Rc};

use api_types::{
    AccountLinkInfo, InvitationAcceptance, NewPassword, PasswordResetRequest, Session, SignIn,
};
use api_types::{
    ApiKeyList, AuditAction, CreatedApiKey, NewApiKey, NewUser, UserSummary, UserUpdate,
};
use api_types::{
    Company, CompanyCounts, CompanyCountsQuery, CompanyListQuery, CompanyPage, CompanySort,
    CompanyStatusList, CompanyUpdate, ConsentGrant, ConsentOutcome, ConsentRequest, ConsentReturn,
    Delivery, EmailPreview, EntityLink, FieldError, InformationRequest, NewCompany, NewEntity,
    NewInformationRequest, NewRefreshBatch, OrganisationChoice, OrganisationChosen, Problem,
    ProblemKind, RefreshBatch, RefreshJob, ReportList, StatusFilter, UserList,
};
use chrono::{DateTime, Utc};
use domain::{ApiKeyId, CompanyId, RefreshBatchId, ReportKind, UserId};
use gloo_net::http::{Request, RequestBuilder};
use serde::{
    Deserialize, Serialize,
    de::{DeserializeOwned, MapAccess, SeqAccess, Visitor},
};
use web_sys::RequestCache;

use crate::decode;

const API_BASE: &str = "/api/v1";

/// Why a call failed, in a form the portal can show to a person.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer at all: the server is down, the network is gone, the request was cut.
    Network(String),
    /// The API answered with an RFC 9457 problem (`application/problem+json`).
    Problem(Box<Problem>),
    /// The API answered something this client cannot read.
    Unexpected { status: u16, detail: String },
}

impl ApiError {
    /// The sentence to show: the problem's `detail`, else its `title`.
    pub fn message(&self) -> String {
        match self {
            ApiError::Network(_) => {
                "Can't reach Spendlens. Check your connection and try again.".to_owned()
            }
            ApiError::Problem(problem) => problem
                .detail
                .clone()
                .filter(|detail| !detail.trim().is_empty())
                .unwrap_or_else(|| problem.title.clone()),
            ApiError::Unexpected { status, detail } => {
                format!("Spendlens answered unexpectedly (HTTP {status}): {detail}")
            }
        }
    }

    /// The kind of problem, when the API answered a problem of its own.
    pub fn problem_kind(&self) -> Option<ProblemKind> {
        match self {
            ApiError::Problem(problem) => problem.kind(),
            _ => None,
        }
    }

    /// The refused fields of a request body (`errors[]` of the problem), if any.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::Problem(problem) => &problem.errors,
            _ => &[],
        }
    }

    /// What is wrong with an uploaded file (`upload_problems[]` of the problem), if any.
    pub fn upload_problems(&self) -> &[api_types::UploadProblem] {
        match self {
            ApiError::Problem(problem) => &problem.upload_problems,
            _ => &[],
        }
    }

    /// The problem's `detail`, if it has one worth showing.
    pub fn problem_detail(&self) -> Option<&str> {
        match self {
            ApiError::Problem(problem) => problem
                .detail
                .as_deref()
                .filter(|detail| !detail.trim().is_empty()),
            _ => None,
        }
    }

    /// True when the server could not be reached, or a gateway in front of it said so:
    /// worth retrying later rather than reporting as a refusal.
    pub fn is_unreachable(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            ApiError::Problem(problem) => matches!(problem.status, 502..=504),
            ApiError::Unexpected { status, .. } => matches!(status, 502..=504),
        }
    }
}

/// The answer to a conditional `GET` (`If-None-Match`).
#[derive(Debug, Clone, PartialEq)]
pub enum Conditional<T> {
    /// `304 Not Modified`: what the caller holds is current.
    NotModified,
    /// A new representation, with the `ETag` to send next time.
    Modified { value: T, etag: Option<String> },
}

/// `GET /companies`: one page of the organization's companies.
pub async fn list_companies(query: &CompanyListQuery) -> Result<CompanyPage, ApiError> {
    let mut params: Vec<(&str, String)> = Vec::new();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        params.push(("q", q.to_owned()));
    }
    if let Some(status) = &query.status {
        params.push(("status", status_filter_name(*status).to_owned()));
    }
    if let Some(assignee) = &query.assignee {
        params.push(("assignee", assignee.to_string()));
    }
    if let Some(sort) = &query.sort {
        params.push(("sort", sort_name(*sort).to_owned()));
    }
    if let Some(cursor) = &query.cursor {
        params.push(("cursor", cursor.to_string()));
    }
    if let Some(limit) = query.limit {
        params.push(("limit", limit.to_string()));
    }
    let request = Request::get(&format!("{API_BASE}/companies")).query(params);
    call(request).await
}

/// `GET /notifications`: the signed-in person's newest notifications and the unread count.
pub async fn notifications() -> Result<api_types::NotificationPage, ApiError> {
    call(Request::get(&format!("{API_BASE}/notifications")).query([("limit", "10")])).await
}

/// `POST /notifications/read`: everything up to `until` (the newest shown) is read.
pub async fn mark_notifications_read(
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<api_types::NotificationsMarked, ApiError> {
    call_json(
        Request::post(&format!("{API_BASE}/notifications/read")),
        &api_types::MarkNotificationsRead { until },
    )
    .await
}

/// `GET /users`: the organization's users, by name.
pub async fn list_users() -> Result<UserList, ApiError> {
    let request = Request::get(&format!("{API_BASE}/users"));
    call(request).await
}

/// `POST /users` (admins): invites a user; the answer is the user, invitation pending.
pub async fn invite_user(user: &NewUser) -> Result<UserSummary, ApiError> {
    call_json(Request::post(&format!("{API_BASE}/users")), user).await
}

/// `PATCH /users/{id}` (admins): a new role, or (de)activation.
pub async fn update_user(id: UserId, update: &UserUpdate) -> Result<UserSummary, ApiError> {
    call_json(Request::patch(&format!("{API_BASE}/users/{id}")), update).await
}

/// `GET /api-keys` (admins): the organization's keys, without their secrets.
pub async fn list_api_keys() -> Result<ApiKeyList, ApiError> {
    call(Request::get(&format!("{API_BASE}/api-keys"))).await
}

/// `POST /api-keys` (admins): a new key, with its secret this once.
pub async fn create_api_key(key: &NewApiKey) -> Result<CreatedApiKey, ApiError> {
    call_json(Request::post(&format!("{API_BASE}/api-keys")), key).await
}

/// `DELETE /api-keys/{id}` (admins): the key stops working at once.
pub async fn revoke_api_key(id: ApiKeyId) -> Result<(), ApiError> {
    let request = Request::delete(&format!("{API_BASE}/api-keys/{id}"));
    exchange(accept_json(request).build()).await.map(|_| ())
}

/// The audit log's filters, as the query string takes them (`since` and `until` are
/// RFC 3339 instants, written by the browser's `Date`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilters {
    pub action: Option<AuditAction>,
    pub actor_id: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

impl AuditFilters {
    fn params(&self) -> Vec<(&'static str, String)> {
        [
            (
                "action",
                self.action.map(|action| action.as_str().to_owned()),
            ),
            ("actor_id", self.actor_id.clone()),
            ("since", self.since.clone()),
            ("until", self.until.clone()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
        .collect()
    }

    /// `GET /audit-events?format=csv&…`: every matching entry as a CSV file, for a
    /// download link (the session cookie goes with it).
    pub fn csv_href(&self) -> String {
        let mut href = format!("{API_BASE}/audit-events?format=csv");
        for (name, value) in self.params() {
            href.push('&');
            href.push_str(name);
            href.push('=');
            href.push_str(&String::from(js_sys::encode_uri_component(&value)));
        }
        href
    }
}

/// A page of the audit log (`api_types::AuditEventPage`), as the audit table shows it.
///
/// Rationale: the one read model not taken from `api_types`. `AuditEvent::detail` is a
/// `serde_json::Value`, whose reader (a general JSON tree in a `BTreeMap`) cost about
/// 12 KB of wasm for one column of text; here the detail is read straight into that
/// text (docs/benchmarks.md). Fields the table does not show are skipped.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AuditEntries {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// One entry of the audit log: the fields of `api_types::AuditEvent` the table shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AuditEntry {
    #[serde(deserialize_with = "api_types::timestamp::deserialize")]
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    /// `detail` as "key: value" pairs (`role: admin`), without JSON punctuation; only
    /// its text, number and true/false values.
    #[serde(default, deserialize_with = "detail_text")]
    pub detail: String,
}

fn detail_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    deserializer.deserialize_any(DetailText)
}

/// Reads an audit entry's `detail` object as its text; anything else is no text.
struct DetailText;

impl<'de> Visitor<'de> for DetailText {
    type Value = String;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<String, A::Error> {
        let mut pairs = Vec::new();
        while let Some(key) = fields.next_key::<String>()? {
            if let Scalar(Some(value)) = fields.next_value()? {
                pairs.push(format!("{key}: {value}"));
            }
        }
        Ok(pairs.join(", "))
    }

    fn visit_unit<E>(self) -> Result<String, E> {
        Ok(String::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Ok(String::new())
    }

    fn visit_str<E>(self, _: &str) -> Result<String, E> {
        Ok(String::new())
    }

    fn visit_bool<E>(self, _: bool) -> Result<String, E> {
        Ok(String::new())
    }

    fn visit_u64<E>(self, _: u64) -> Result<String, E> {
        Ok(String::new())
    }

    fn visit_i64<E>(self, _: i64) -> Result<String, E> {
        Ok(String::new())
    }

    fn visit_f64<E>(self, _: f64) -> Result<String, E> {
        Ok(String::new())
    }
}

/// A detail's value as text when it is a string, a number or true/false; `None` for a
/// nested list or object, or null.
struct Scalar(Option<String>);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a value")
    }

    fn visit_str<E>(self, text: &str) -> Result<Scalar, E> {
        Ok(Scalar(Some(text.to_owned())))
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Scalar, E> {
        Ok(Scalar(Some(flag.to_string())))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Scalar, E> {
        Ok(Scalar(Some(number.to_string())))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Scalar, E> {
        Ok(Scalar(Some(number.to_string())))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Scalar, E> {
        // The browser writes the number: Rust's float formatting is kept out of the wasm.
        Ok(Scalar(
            js_sys::Number::from(number)
                .to_string_with_radix(10)
                .ok()
                .map(String::from),
        ))
    }

    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
        Ok(Scalar(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
        Ok(Scalar(None))
    }
}

/// `GET /audit-events` (admins): a page of the audit log, newest first; `cursor` is
/// the previous page's `next_cursor`.
pub async fn list_audit_events(
    filters: &AuditFilters,
    cursor: Option<String>,
) -> Result<AuditEntries, ApiError> {
    let mut params = filters.params();
    if let Some(cursor) = cursor {
        params.push(("cursor", cursor));
    }
    call(Request::get(&format!("{API_BASE}/audit-events")).query(params)).await
}

/// `GET /company-counts`: how many companies are in each status, for the same search
/// and assignee as the list.
pub async fn company_counts(query: &CompanyCountsQuery) -> Result<CompanyCounts, ApiError> {
    let mut params: Vec<(&str, String)> = Vec::new();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        params.push(("q", q.to_owned()));
    }
    if let Some(assignee) = &query.assignee {
        params.push(("assignee", assignee.to_string()));
    }
    let request = Request::get(&format!("{API_BASE}/company-counts")).query(params);
    call(request).await
}

/// `GET /companies/{id}`: one company, as it is now.
/// `GET /companies/{id}/connection`: its Xero or QuickBooks connection (404: none).
pub async fn company_connection(id: CompanyId) -> Result<api_types::PlatformConnection, ApiError> {
    call(Request::get(&format!(
        "{API_BASE}/companies/{id}/connection"
    )))
    .await
}

pub async fn get_company(id: CompanyId) -> Result<Company, ApiError> {
    let request = Request::get(&format!("{API_BASE}/companies/{id}"));
    call(request).await
}

/// `POST /companies/{id}/information-requests` with `preview`: the email as it would be
/// sent. Nothing is sent and nothing changes.
pub async fn preview_information_request(id: CompanyId) -> Result<EmailPreview, ApiError> {
    let body = NewInformationRequest {
        preview: true,
        delivery: Delivery::Email,
    };
    let request = Request::post(&format!("{API_BASE}/companies/{id}/information-requests"));
    call_json(request, &body).await
}

/// `POST /companies/{id}/information-requests`: email the contact (`Delivery::Email`) or
/// only create the link (`Delivery::Link`, answered in `link`). Either way the company
/// becomes Requested and any earlier link stops working.
pub async fn request_information(
    id: CompanyId,
    delivery: Delivery,
) -> Result<InformationRequest, ApiError> {
    let body = NewInformationRequest {
        preview: false,
        delivery,
    };
    let request = Request::post(&format!("{API_BASE}/companies/{id}/information-requests"));
    call_json(request, &body).await
}

/// `POST /companies`: adds a company (Not requested).
pub async fn create_company(company: &NewCompany) -> Result<Company, ApiError> {
    let request = Request::post(&format!("{API_BASE}/companies"));
    call_json(request, company).await
}

/// `PATCH /companies/{id}`: changes the fields set in `update`.
pub async fn update_company(id: CompanyId, update: &CompanyUpdate) -> Result<Company, ApiError> {
    let request = Request::patch(&format!("{API_BASE}/companies/{id}"));
    call_json(request, update).await
}

/// `DELETE /companies/{id}`: removes the company and all its data.
pub async fn delete_company(id: CompanyId) -> Result<(), ApiError> {
    let request = Request::delete(&format!("{API_BASE}/companies/{id}"));
    exchange(accept_json(request).build()).await.map(|_| ())
}

/// `GET /companies/{id}/changes`: what changed since the refresh before.
pub async fn get_changes(id: CompanyId) -> Result<api_types::CompanyChanges, ApiError> {
    let request = Request::get(&format!("{API_BASE}/companies/{id}/changes"));
    call(request).await
}

/// `GET /companies/{id}/refreshes`: the company's refreshes, newest first.
pub async fn list_refreshes(id: CompanyId) -> Result<Vec<RefreshJob>, ApiError> {
    let request = Request::get(&format!("{API_BASE}/companies/{id}/refreshes"));
    call(request).await
}

/// `GET /companies/{id}/reports/{kind}`: one report, read as `T` (the fields of it
/// the caller needs; the rest of the answer is skipped).
pub async fn get_report<T: DeserializeOwned>(
    id: CompanyId,
    kind: ReportKind,
) -> Result<T, ApiError> {
    let request = Request::get(&format!(
        "{API_BASE}/companies/{id}/reports/{}",
        kind.as_str()
    ));
    call(request).await
}

/// `GET /consent/{token}`: what the customer is asked to share, and with whom.
pub async fn consent_request(token: &str) -> Result<ConsentRequest, ApiError> {
    let request = Request::get(&consent_url(token, ""));
    call(request).await
}

/// `POST /consent/{token}/grant`: the customer grants access through `platform`.
pub async fn grant_consent(token: &str, platform: String) -> Result<ConsentOutcome, ApiError> {
    let request = Request::post(&consent_url(token, "/grant"));
    call_json(request, &ConsentGrant { platform }).await
}

/// `POST /consent/{token}/entities`: the customer adds another entity of their group;
/// the answer's token is the new entity's link, the page to go on with.
pub async fn add_consent_entity(token: &str, name: String) -> Result<EntityLink, ApiError> {
    let request = Request::post(&consent_url(token, "/entities"));
    call_json(request, &NewEntity { name }).await
}

/// `GET /companies/{id}/entities`: a group's entities (not its own books), by name.
pub async fn list_entities(id: CompanyId) -> Result<Vec<Company>, ApiError> {
    let request =
        Request::get(&format!("{API_BASE}/companies/{id}/entities")).cache(RequestCache::NoStore);
    call(request).await
}

/// `POST /companies/{id}/entities`: adds a legal entity to the group (Not requested).
pub async fn add_entity(id: CompanyId, name: String) -> Result<Company, ApiError> {
    let request = Request::post(&format!("{API_BASE}/companies/{id}/entities"));
    call_json(request, &NewEntity { name }).await
}

/// `POST /consent/{token}/decline`: the customer leaves without granting access.
pub async fn decline_consent(token: &str) -> Result<ConsentOutcome, ApiError> {
    let request = Request::post(&consent_url(token, "/decline"));
    call(request).await
}

/// `POST /consent/{token}/return`: back from the data partner's link page, which said
/// how it went (`statuscode`).
pub async fn return_from_partner(
    token: &str,
    status_code: u16,
) -> Result<ConsentOutcome, ApiError> {
    let request = Request::post(&consent_url(token, "/return"));
    call_json(request, &ConsentReturn { status_code }).await
}

/// `GET /oauth/choices/{choice}`: the organisations a platform authorized at once.
pub async fn organisation_choice(choice: &str) -> Result<OrganisationChoice, ApiError> {
    let choice = String::from(js_sys::encode_uri_component(choice));
    call(Request::get(&format!("{API_BASE}/oauth/choices/{choice}"))).await
}

/// `POST /oauth/choices/{choice}`: this company is `organisation_id`, and each of
/// `other_entities` another entity of its group.
pub async fn choose_organisation(
    choice: &str,
    organisation_id: String,
    other_entities: Vec<String>,
) -> Result<ConsentOutcome, ApiError> {
    let choice = String::from(js_sys::encode_uri_component(choice));
    let request = Request::post(&format!("{API_BASE}/oauth/choices/{choice}"));
    let chosen = OrganisationChosen {
        organisation_id,
        other_entities,
    };
    call_json(request, &chosen).await
}

/// `POST /consent/{token}/upload`: the customer uploads the filled-in template (the
/// form's files) instead of connecting a platform.
pub async fn upload_through_link(
    token: &str,
    dates: api_types::DateOrder,
    form: web_sys::FormData,
) -> Result<api_types::UploadOutcome, ApiError> {
    let url = format!("{}?dates={}", consent_url(token, "/upload"), dates.as_str());
    decode(&exchange(accept_json(Request::post(&url)).body(form)).await?)
}

/// `POST /companies/{id}/upload`: a user uploads the customer's filled-in template.
pub async fn upload_for_company(
    id: CompanyId,
    dates: api_types::DateOrder,
    form: web_sys::FormData,
) -> Result<Company, ApiError> {
    let url = format!("{API_BASE}/companies/{id}/upload?dates={}", dates.as_str());
    decode(&exchange(accept_json(Request::post(&url)).body(form)).await?)
}

/// Where a file of the upload template is downloaded.
pub fn upload_template_href(file: &str, dates: api_types::DateOrder) -> String {
    format!("{API_BASE}/upload-template/{file}?dates={}", dates.as_str())
}

/// The token comes from the address bar: encoded, it stays one path segment.
fn consent_url(token: &str, action: &str) -> String {
    let token = String::from(js_sys::encode_uri_component(token));
    format!("{API_BASE}/consent/{token}{action}")
}

/// `POST /companies/{id}/refresh`: queue a background refresh of the requested data.
pub async fn refresh_company(id: CompanyId) -> Result<RefreshJob, ApiError> {
    let request = Request::post(&format!("{API_BASE}/companies/{id}/refresh"));
    call(request).await
}

/// `POST /refresh-batches`: refresh many companies at once, listed or by the list's
/// filters. The answer names the companies that got no refresh (`skipped`).
pub async fn create_refresh_batch(batch: &NewRefreshBatch) -> Result<RefreshBatch, ApiError> {
    let request = Request::post(&format!("{API_BASE}/refresh-batches"));
    call_json(request, batch).await
}

/// `GET /refresh-batches/{id}`: how far a bulk refresh is.
pub async fn get_refresh_batch(id: RefreshBatchId) -> Result<RefreshBatch, ApiError> {
    let request =
        Request::get(&format!("{API_BASE}/refresh-batches/{id}")).cache(RequestCache::NoStore);
    call(request).await
}

/// `GET /companies/{id}/reports`: the company's reports, each with its own update time.
pub async fn list_reports(id: CompanyId) -> Result<ReportList, ApiError> {
    let request = Request::get(&format!("{API_BASE}/companies/{id}/reports"));
    call(request).await
}

/// `GET /company-statuses?ids=…`: the live part of some companies, for polling.
///
/// With `etag`, asks `If-None-Match` and returns [`Conditional::NotModified`] on `304`.
pub async fn company_statuses(
    ids: &[CompanyId],
    etag: Option<&str>,
) -> Result<Conditional<CompanyStatusList>, ApiError> {
    let ids = ids
        .iter()
        .map(CompanyId::to_string)
        .collect::<Vec<_>>()
        .join(",");
    // An explicit validator makes the browser pass the 304 through instead of
    // answering from its own cache; without one, `no-cache` still revalidates.
    let mut request = Request::get(&format!("{API_BASE}/company-statuses"))
        .query([("ids", ids)])
        .cache(RequestCache::NoCache);
    if let Some(etag) = etag {
        request = request.header("If-None-Match", etag);
    }
    let answer = exchange(accept_json(request).build()).await?;
    if answer.status == 304 {
        return Ok(Conditional::NotModified);
    }
    let value = decode(&answer)?;
    Ok(Conditional::Modified {
        value,
        etag: answer.etag,
    })
}

/// An answer of the API: a 2xx or a 304, with its body read.
struct Answer {
    status: u16,
    etag: Option<String>,
    body: String,
}

/// A refusal, with the wait the API asked for (`Retry-After`, in seconds) on a `429`.
struct Refusal {
    error: ApiError,
    retry_after: Option<u64>,
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        refusal.error
    }
}

/// What a `401` means for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnUnauthorized {
    /// The call needs a session: a `401` means it ended (expired, signed out
    /// elsewhere, user deactivated), and the session hook is told.
    EndSession,
    /// The `401` is the answer itself (wrong password, nobody signed in yet).
    Answer,
}

thread_local! {
    /// The signed-in session's CSRF token, sent as `X-CSRF-Token` with every call.
    static CSRF_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Told when a call that needs a session is refused with `401`.
    static ON_SESSION_ENDED: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Sets (or, with `None`, forgets) the CSRF token every later call sends.
pub fn set_csrf_token(token: Option<String>) {
    CSRF_TOKEN.with(|csrf| *csrf.borrow_mut() = token);
}

/// Registers what happens when the API says the session has ended (`401` on a call
/// that needs one). The app shell registers it once.
pub fn on_session_ended(hook: impl Fn() + 'static) {
    ON_SESSION_ENDED.with(|slot| *slot.borrow_mut() = Some(Rc::new(hook)));
}

// The transport is written once, for every call: only `decode` is generic, so each
// answer type adds a JSON reader to the wasm and nothing else.

fn accept_json(request: RequestBuilder) -> RequestBuilder {
    let request = request.header("Accept", "application/json");
    match CSRF_TOKEN.with(|csrf| csrf.borrow().clone()) {
        Some(token) => request.header("X-CSRF-Token", &token),
        None => request,
    }
}

/// `GET`-like calls: no body; the answer read as `T`.
async fn call<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, ApiError> {
    decode(&exchange(accept_json(request).build()).await?)
}

/// Calls with a JSON body; the answer read as `T`.
async fn call_json<B: Serialize, T: DeserializeOwned>(
    request: RequestBuilder,
    body: &B,
) -> Result<T, ApiError> {
    decode(&exchange(accept_json(request).json(body)).await?)
}

/// Sends a call that needs a session and reads the answer's body; any answer but a
/// 2xx or a 304 is turned into an [`ApiError`].
async fn exchange(request: Result<Request, gloo_net::Error>) -> Result<Answer, ApiError> {
    Ok(exchange_with(request, OnUnauthorized::EndSession).await?)
}

async fn exchange_with(
    request: Result<Request, gloo_net::Error>,
    on_unauthorized: OnUnauthorized,
) -> Result<Answer, Refusal> {
    let request = request.map_err(|err| Refusal {
        error: ApiError::Unexpected {
            status: 0,
            detail: transport_error(err),
        },
        retry_after: None,
    })?;
    let response = match take_preload(&request) {
        Some(preloaded) => preloaded.await,
        None => request.send().await.map_err(|err| Refusal {
            error: ApiError::Network(transport_error(err)),
            retry_after: None,
        }),
    }?;
    read_answer(response, on_unauthorized).await
}

/// The answer `index.html` already asked for this `GET` while the wasm was downloading
/// (`window.spendlensPreloads`, promises of `fetch` by path and query), taken once: the
/// session, the company a company page shows, and the request of a consent page. `None`
/// when it asked for none.
fn take_preload(
    request: &Request,
) -> Option<impl Future<Output = Result<gloo_net::http::Response, Refusal>> + use<>> {
    use wasm_bindgen::JsCast;
    if request.method() != gloo_net::http::Method::GET {
        return None;
    }
    let url = request.url();
    let path = &url[url.find(API_BASE)?..];
    let window: wasm_bindgen::JsValue = web_sys::window()?.into();
    let preloads = js_sys::Reflect::get(&window, &"spendlensPreloads".into()).ok()?;
    let key = wasm_bindgen::JsValue::from_str(path);
    let promise = js_sys::Reflect::get(&preloads, &key)
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    let _ = js_sys::Reflect::delete_property(preloads.unchecked_ref::<js_sys::Object>(), &key);
    Some(async move {
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .and_then(|response| response.dyn_into::<web_sys::Response>())
            .map(gloo_net::http::Response::from)
            .map_err(|_| Refusal {
                error: ApiError::Network("TypeError: Failed to fetch".to_owned()),
                retry_after: None,
            })
    })
}

/// An answer's status, ETag and body; any answer but a 2xx or a 304 is a [`Refusal`].
async fn read_answer(
    response: gloo_net::http::Response,
    on_unauthorized: OnUnauthorized,
) -> Result<Answer, Refusal> {
    let status = response.status();
    let headers = response.headers();
    let etag = headers.get("etag");
    if status == 304 {
        return Ok(Answer {
            status,
            etag,
            body: String::new(),
        });
    }
    let body = response.text().await;
    if !response.ok() {
        if status == 401 && on_unauthorized == OnUnauthorized::EndSession {
            session_ended();
        }
        return Err(Refusal {
            error: problem(status, response.status_text(), &body.unwrap_or_default()),
            retry_after: headers
                .get("retry-after")
                .and_then(|wait| wait.trim().parse().ok()),
        });
    }
    let body = body.map_err(|err| Refusal {
        error: ApiError::Unexpected {
            status,
            detail: transport_error(err),
        },
        retry_after: None,
    })?;
    Ok(Answer { status, etag, body })
}

/// What went wrong on the way, in the browser's words (`TypeError: Failed to fetch`).
///
/// Rationale: not gloo-net's `Display`, which would bring serde_json's error texts
/// into the wasm for a request body that cannot fail to be written.
fn transport_error(err: gloo_net::Error) -> String {
    match err {
        gloo_net::Error::JsError(err) if err.message.is_empty() => err.name,
        gloo_net::Error::JsError(err) => format!("{}: {}", err.name, err.message),
        gloo_net::Error::GlooError(message) => message,
        gloo_net::Error::SerdeError(_) => "the request could not be written".to_owned(),
    }
}

fn session_ended() {
    // Cloned out first: the hook may register another one or set the token.
    let hook = ON_SESSION_ENDED.with(|slot| slot.borrow().clone());
    set_csrf_token(None);
    if let Some(hook) = hook {
        hook();
    }
}

fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T, ApiError> {
    decode::from_json(&answer.body).map_err(|err| ApiError::Unexpected {
        status: answer.status,
        detail: err.to_string(),
    })
}

/// The problem in a refusal's body, or what can be said without one.
fn problem(status: u16, status_text: String, body: &str) -> ApiError {
    match decode::from_json::<Problem>(body) {
        Ok(problem) => ApiError::Problem(Box::new(problem)),
        Err(_) => ApiError::Unexpected {
            status,
            detail: if status_text.is_empty() {
                "no details".to_owned()
            } else {
                status_text
            },
        },
    }
}

/// A status filter's name in query strings, as `StatusFilter` has it in JSON.
///
/// Spelt out rather than asked of serde: serialising into a `serde_json::Value` only to
/// read a string back would put a JSON serializer into the wasm for two enums.
pub fn status_filter_name(status: StatusFilter) -> &'static str {
    match status {
        StatusFilter::NotRequested => "not_requested",
        StatusFilter::Requested => "requested",
        StatusFilter::Available => "available",
        StatusFilter::Error => "error",
    }
}

/// The `status` query value back as a filter; anything else is "all statuses".
pub fn parse_status_filter(value: &str) -> Option<StatusFilter> {
    [
        StatusFilter::NotRequested,
        StatusFilter::Requested,
        StatusFilter::Available,
        StatusFilter::Error,
    ]
    .into_iter()
    .find(|status| status_filter_name(*status) == value)
}

/// A sort order's name in query strings, as `CompanySort` has it in JSON.
pub fn sort_name(sort: CompanySort) -> &'static str {
    match sort {
        CompanySort::NameAsc => "name",
        CompanySort::NameDesc => "-name",
        CompanySort::StatusAsc => "status",
        CompanySort::StatusDesc => "-status",
        CompanySort::StatusUpdatedAtAsc => "status_updated_at",
        CompanySort::StatusUpdatedAtDesc => "-status_updated_at",
    }
}

/// The `sort` query value back as an order; anything else is the default, by name.
pub fn parse_sort(value: &str) -> CompanySort {
    [
        CompanySort::NameDesc,
        CompanySort::StatusAsc,
        CompanySort::StatusDesc,
        CompanySort::StatusUpdatedAtAsc,
        CompanySort::StatusUpdatedAtDesc,
    ]
    .into_iter()
    .find(|sort| sort_name(*sort) == value)
    .unwrap_or_default()
}

// Signing in and out, and the account links of emails (invitations, password resets).
// These calls need no session, so a `401` is their answer, not the end of one.

/// Why signing in failed, with the wait the API asked for after too many attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct SignInRefusal {
    pub error: ApiError,
    /// Seconds to wait before trying again (`429 Too Many Requests`).
    pub retry_after: Option<u64>,
}

/// `GET /session`: the signed-in session, or `None` when nobody is signed in.
pub async fn get_session() -> Result<Option<Session>, ApiError> {
    let request = accept_json(Request::get(&format!("{API_BASE}/session")))
        .cache(RequestCache::NoStore)
        .build();
    match exchange_with(request, OnUnauthorized::Answer).await {
        Ok(answer) => decode(&answer).map(Some),
        Err(refusal) if refusal.error.status() == Some(401) => Ok(None),
        Err(refusal) => Err(refusal.error),
    }
}

/// `POST /session`: signs in with email and password; the answer sets the session
/// cookie.
pub async fn sign_in(credentials: &SignIn) -> Result<Session, SignInRefusal> {
    let request = accept_json(Request::post(&format!("{API_BASE}/session"))).json(credentials);
    let answer = exchange_with(request, OnUnauthorized::Answer)
        .await
        .map_err(|refusal| SignInRefusal {
            error: refusal.error,
            retry_after: refusal.retry_after,
        })?;
    decode(&answer).map_err(|error| SignInRefusal {
        error,
        retry_after: None,
    })
}

/// `DELETE /session`: signs out. A session that had already ended counts as signed
/// out.
pub async fn sign_out() -> Result<(), ApiError> {
    let request = accept_json(Request::delete(&format!("{API_BASE}/session"))).build();
    match exchange_with(request, OnUnauthorized::Answer).await {
        Ok(_) => Ok(()),
        Err(refusal) if refusal.error.status() == Some(401) => Ok(()),
        Err(refusal) => Err(refusal.error),
    }
}

/// `POST /password-resets`: emails a reset link if the address belongs to a user
/// (the answer is the same either way).
pub async fn request_password_reset(email: String) -> Result<(), ApiError> {
    let request = accept_json(Request::post(&format!("{API_BASE}/password-resets")))
        .json(&PasswordResetRequest { email });
    exchange_with(request, OnUnauthorized::Answer)
        .await
        .map(|_| ())
        .map_err(ApiError::from)
}

/// Which kind of emailed link a page serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountLink {
    /// `/invitations/{token}`: a new user chooses a password.
    Invitation,
    /// `/reset-password/{token}`: a user chooses a new password.
    PasswordReset,
}

impl AccountLink {
    fn url(self, token: &str) -> String {
        let token = String::from(js_sys::encode_uri_component(token));
        let collection = match self {
            AccountLink::Invitation => "invitations",
            AccountLink::PasswordReset => "password-resets",
        };
        format!("{API_BASE}/{collection}/{token}")
    }
}

/// `GET /invitations/{token}` or `GET /password-resets/{token}`: whose account the
/// link is for, in which organization.
pub async fn account_link(link: AccountLink, token: &str) -> Result<AccountLinkInfo, ApiError> {
    let request = accept_json(Request::get(&link.url(token)))
        .cache(RequestCache::NoStore)
        .build();
    decode(&exchange_with(request, OnUnauthorized::Answer).await?)
}

/// `POST /invitations/{token}` (with the name, if given) or `POST
/// /password-resets/{token}`: sets the password; the answer is a signed-in session.
pub async fn set_password(
    link: AccountLink,
    token: &str,
    password: String,
    name: Option<String>,
) -> Result<Session, ApiError> {
    let request = accept_json(Request::post(&link.url(token)));
    let request = match link {
        AccountLink::Invitation => request.json(&InvitationAcceptance { password, name }),
        AccountLink::PasswordReset => request.json(&NewPassword { password }),
    };
    decode(&exchange_with(request, OnUnauthorized::Answer).await?)
}

impl ApiError {
    /// The HTTP status the API refused with, if it answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Network(_) => None,
            ApiError::Problem(problem) => Some(problem.status),
            ApiError::Unexpected { status: 0, .. } => None,
            ApiError::Unexpected { status, .. } => Some(*status),
        }
    }
}
