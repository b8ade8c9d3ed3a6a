//! A typed client of API v1 for the tests, as `frontend/src/api.rs` is for the web app:
//! each method builds its request from the `api_types` wire types, and an answer decodes
//! into them, or, for an error, into the RFC 9457 [`Problem`]. Tests that check the wire
//! itself (the OpenAPI document, headers, files, leaked secrets) read raw answers.

use std::marker::PhantomData;

use api_types::{
    AccountLinkInfo, ApiKeyList, AuditEventPage, AuditQuery, Company, CompanyChanges,
    CompanyCounts, CompanyCountsQuery, CompanyListQuery, CompanyPage, CompanyStatusList,
    CompanyUpdate, ConsentGrant, ConsentOutcome, ConsentRequest, CreatedApiKey,
    CreatedWebhookEndpoint, EmailPreview, EntityLink, Health, InformationRequest,
    InvitationAcceptance, MarkNotificationsRead, NewApiKey, NewCompany, NewEntity,
    NewInformationRequest, NewPassword, NewRefreshBatch, NewUser, NewWebhookEndpoint, Notification,
    NotificationPage, NotificationPreferences, NotificationQuery, NotificationsMarked,
    PasswordResetRequest, Problem, Readiness, RefreshBatch, RefreshJob, ReportDocument, ReportList,
    ReportQuery, ReportSnapshotList, Session, SignIn, UnreadCount, UploadOutcome, UserList,
    UserSummary, UserUpdate, WebhookDelivery, WebhookDeliveryPage, WebhookEndpoint,
    WebhookEndpointList, WebhookEndpointUpdate,
};
use domain::{CompanyId, RefreshJobId, ReportKind, UserId};
use reqwest::{Method, RequestBuilder, Response};
use serde::{Serialize, de::DeserializeOwned};

use crate::helpers::{SignedIn, TestApp};

/// Who a request is sent as.
#[derive(Clone)]
enum Caller {
    /// The test organization's API key (a relationship manager's rights).
    SuiteKey,
    /// Another API key.
    Key(String),
    /// A signed-in person: the cookie, and the CSRF token on changes.
    Person(SignedIn),
    /// No credentials.
    Nobody,
}

/// The API as one caller sees it.
pub struct Api<'a> {
    app: &'a TestApp,
    caller: Caller,
}

impl TestApp {
    /// The API through the test organization's API key.
    pub fn api(&self) -> Api<'_> {
        self.api_for(Caller::SuiteKey)
    }

    /// The API as a signed-in person.
    pub fn api_as(&self, user: &SignedIn) -> Api<'_> {
        self.api_for(Caller::Person(user.clone()))
    }

    /// The API through another API key.
    pub fn api_with_key(&self, key: &str) -> Api<'_> {
        self.api_for(Caller::Key(key.to_owned()))
    }

    /// The API without credentials (sign-in, links, the customer's consent).
    pub fn public_api(&self) -> Api<'_> {
        self.api_for(Caller::Nobody)
    }

    fn api_for(&self, caller: Caller) -> Api<'_> {
        Api { app: self, caller }
    }
}

/// The token at the end of a link (`…/connect/{token}`, `…/invitations/{token}`).
pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// `ids` as the API takes them in a query (`ID1,ID2`).
fn joined(ids: &[CompanyId]) -> String {
    ids.iter()
        .map(CompanyId::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `path` with `query` (a query struct of `api_types`) as its query string.
fn with_query(path: &str, query: &impl Serialize) -> String {
    let mut url = reqwest::Url::parse("http://query.invalid").unwrap();
    {
        let mut pairs = url.query_pairs_mut();
        let fields = serde_json::to_value(query).unwrap();
        for (name, value) in fields.as_object().expect("a query struct") {
            match value {
                serde_json::Value::Null => {}
                serde_json::Value::String(text) => {
                    pairs.append_pair(name, text);
                }
                other => {
                    pairs.append_pair(name, &other.to_string());
                }
            }
        }
    }
    match url.query() {
        Some(query) if !query.is_empty() => format!("{path}?{query}"),
        _ => path.to_owned(),
    }
}

impl Api<'_> {
    /// A request to `path`, as this caller, answered with a `T`.
    pub fn request<T>(&self, method: Method, path: &str) -> Call<T> {
        let url = self.app.url(path);
        let what = format!("{method} {path}");
        let request = match &self.caller {
            Caller::SuiteKey => self.app.client.request(method, url),
            Caller::Key(key) => self.app.anonymous().request(method, url).bearer_auth(key),
            Caller::Person(user) => self.app.as_user(user, method, path),
            Caller::Nobody => self.app.anonymous().request(method, url),
        };
        Call {
            request,
            what,
            answer: PhantomData,
        }
    }

    pub fn get<T>(&self, path: &str) -> Call<T> {
        self.request(Method::GET, path)
    }

    /// A POST with `body` as JSON (a wire type, or a deliberately wrong `json!`).
    pub fn post<T>(&self, path: &str, body: &impl Serialize) -> Call<T> {
        self.request(Method::POST, path).json(body)
    }

    pub fn patch<T>(&self, path: &str, body: &impl Serialize) -> Call<T> {
        self.request(Method::PATCH, path).json(body)
    }

    pub fn delete(&self, path: &str) -> Call<()> {
        self.request(Method::DELETE, path)
    }

    // Companies.

    pub fn create_company(&self, company: &NewCompany) -> Call<Company> {
        self.post("/api/v1/companies", company)
    }

    pub fn company(&self, id: CompanyId) -> Call<Company> {
        self.get(&format!("/api/v1/companies/{id}"))
    }

    pub fn companies(&self, query: &CompanyListQuery) -> Call<CompanyPage> {
        self.get(&with_query("/api/v1/companies", query))
    }

    pub fn update_company(&self, id: CompanyId, update: &CompanyUpdate) -> Call<Company> {
        self.patch(&format!("/api/v1/companies/{id}"), update)
    }

    pub fn delete_company(&self, id: CompanyId) -> Call<()> {
        self.delete(&format!("/api/v1/companies/{id}"))
    }

    pub fn company_counts(&self, query: &CompanyCountsQuery) -> Call<CompanyCounts> {
        self.get(&with_query("/api/v1/company-counts", query))
    }

    /// The status poll: `GET /company-statuses?ids=…`.
    pub fn company_statuses(&self, ids: &[CompanyId]) -> Call<CompanyStatusList> {
        self.get(&format!("/api/v1/company-statuses?ids={}", joined(ids)))
    }

    pub fn changes(&self, id: CompanyId) -> Call<CompanyChanges> {
        self.get(&format!("/api/v1/companies/{id}/changes"))
    }

    pub fn users(&self) -> Call<UserList> {
        self.get("/api/v1/users")
    }

    // Refreshes.

    /// ⋮ → Refresh data.
    pub fn refresh(&self, id: CompanyId) -> Call<RefreshJob> {
        self.request(Method::POST, &format!("/api/v1/companies/{id}/refresh"))
    }

    pub fn refresh_job(&self, id: RefreshJobId) -> Call<RefreshJob> {
        self.get(&format!("/api/v1/refreshes/{id}"))
    }

    /// A company's refreshes, newest first.
    pub fn refreshes(&self, id: CompanyId) -> Call<Vec<RefreshJob>> {
        self.get(&format!("/api/v1/companies/{id}/refreshes"))
    }

    pub fn create_refresh_batch(&self, batch: &NewRefreshBatch) -> Call<RefreshBatch> {
        self.post("/api/v1/refresh-batches", batch)
    }

    pub fn refresh_batch(&self, id: &domain::RefreshBatchId) -> Call<RefreshBatch> {
        self.get(&format!("/api/v1/refresh-batches/{id}"))
    }

    // Reports.

    pub fn reports(&self, id: CompanyId) -> Call<ReportList> {
        self.get(&format!("/api/v1/companies/{id}/reports"))
    }

    /// A report as JSON (or, with `format`, a file: read it with [`Call::send`]).
    pub fn report(
        &self,
        id: CompanyId,
        kind: ReportKind,
        query: &ReportQuery,
    ) -> Call<ReportDocument> {
        let path = format!("/api/v1/companies/{id}/reports/{kind}");
        self.get(&with_query(&path, query))
    }

    pub fn report_snapshots(&self, id: CompanyId, kind: ReportKind) -> Call<ReportSnapshotList> {
        self.get(&format!("/api/v1/companies/{id}/reports/{kind}/snapshots"))
    }

    /// A report or snapshot by the `href` the API listed it with.
    pub fn download(&self, href: &str) -> Call<ReportDocument> {
        self.get(href)
    }

    // Information requests and the customer's consent.

    pub fn request_information(
        &self,
        id: CompanyId,
        request: &NewInformationRequest,
    ) -> Call<InformationRequest> {
        self.post(
            &format!("/api/v1/companies/{id}/information-requests"),
            request,
        )
    }

    pub fn preview_information_request(&self, id: CompanyId) -> Call<EmailPreview> {
        let preview = NewInformationRequest {
            preview: true,
            ..NewInformationRequest::default()
        };
        self.post(
            &format!("/api/v1/companies/{id}/information-requests"),
            &preview,
        )
    }

    pub fn consent(&self, token: &str) -> Call<ConsentRequest> {
        self.get(&format!("/api/v1/consent/{token}"))
    }

    pub fn grant_consent(&self, token: &str, platform: &str) -> Call<ConsentOutcome> {
        let grant = ConsentGrant {
            platform: platform.to_owned(),
        };
        self.post(&format!("/api/v1/consent/{token}/grant"), &grant)
    }

    /// Back from the data partner's link page with its `statuscode`.
    pub fn return_from_partner(&self, token: &str, status_code: u16) -> Call<ConsentOutcome> {
        self.post(
            &format!("/api/v1/consent/{token}/return"),
            &api_types::ConsentReturn { status_code },
        )
    }

    /// The customer uploads `files` (one workbook, or the three CSV files) through the link.
    pub fn upload_through_link(
        &self,
        token: &str,
        files: &[(&str, Vec<u8>)],
    ) -> Call<UploadOutcome> {
        self.request(Method::POST, &format!("/api/v1/consent/{token}/upload"))
            .files(files)
    }

    /// A user uploads `files` for the company.
    pub fn upload_for_company(&self, id: CompanyId, files: &[(&str, Vec<u8>)]) -> Call<Company> {
        self.request(Method::POST, &format!("/api/v1/companies/{id}/upload"))
            .files(files)
    }

    /// The customer adds an entity of their group through the link.
    pub fn add_consent_entity(&self, token: &str, name: &str) -> Call<EntityLink> {
        let entity = NewEntity {
            name: name.to_owned(),
        };
        self.post(&format!("/api/v1/consent/{token}/entities"), &entity)
    }

    // Client groups.

    pub fn entities(&self, group: CompanyId) -> Call<Vec<Company>> {
        self.get(&format!("/api/v1/companies/{group}/entities"))
    }

    pub fn consolidated_report(
        &self,
        group: CompanyId,
        query: &api_types::ConsolidatedQuery,
    ) -> Call<serde_json::Value> {
        let path = format!("/api/v1/companies/{group}/consolidated-report");
        self.get(&with_query(&path, query))
    }

    pub fn add_entity(&self, group: CompanyId, name: &str) -> Call<Company> {
        let entity = NewEntity {
            name: name.to_owned(),
        };
        self.post(&format!("/api/v1/companies/{group}/entities"), &entity)
    }

    pub fn decline_consent(&self, token: &str) -> Call<ConsentOutcome> {
        self.request(Method::POST, &format!("/api/v1/consent/{token}/decline"))
    }

    // Accounts: sessions, users, invitations, password resets, API keys, the audit log.

    pub fn sign_in(&self, email: &str, password: &str) -> Call<Session> {
        let credentials = SignIn {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        self.post("/api/v1/session", &credentials)
    }

    pub fn session(&self) -> Call<Session> {
        self.get("/api/v1/session")
    }

    pub fn sign_out(&self) -> Call<()> {
        self.delete("/api/v1/session")
    }

    pub fn invite_user(&self, user: &NewUser) -> Call<UserSummary> {
        self.post("/api/v1/users", user)
    }

    pub fn update_user(&self, id: UserId, update: &UserUpdate) -> Call<UserSummary> {
        self.patch(&format!("/api/v1/users/{id}"), update)
    }

    pub fn invitation(&self, token: &str) -> Call<AccountLinkInfo> {
        self.get(&format!("/api/v1/invitations/{token}"))
    }

    pub fn accept_invitation(
        &self,
        token: &str,
        acceptance: &InvitationAcceptance,
    ) -> Call<Session> {
        self.post(&format!("/api/v1/invitations/{token}"), acceptance)
    }

    pub fn request_password_reset(&self, email: &str) -> Call<()> {
        let request = PasswordResetRequest {
            email: email.to_owned(),
        };
        self.post("/api/v1/password-resets", &request)
    }

    pub fn password_reset(&self, token: &str) -> Call<AccountLinkInfo> {
        self.get(&format!("/api/v1/password-resets/{token}"))
    }

    pub fn reset_password(&self, token: &str, password: &str) -> Call<Session> {
        let password = NewPassword {
            password: password.to_owned(),
        };
        self.post(&format!("/api/v1/password-resets/{token}"), &password)
    }

    pub fn api_keys(&self) -> Call<ApiKeyList> {
        self.get("/api/v1/api-keys")
    }

    pub fn create_api_key(&self, name: &str) -> Call<CreatedApiKey> {
        let key = NewApiKey {
            name: name.to_owned(),
        };
        self.post("/api/v1/api-keys", &key)
    }

    pub fn revoke_api_key(&self, id: &domain::ApiKeyId) -> Call<()> {
        self.delete(&format!("/api/v1/api-keys/{id}"))
    }

    pub fn audit_events(&self, query: &AuditQuery) -> Call<AuditEventPage> {
        self.get(&with_query("/api/v1/audit-events", query))
    }

    // Webhooks.

    pub fn webhook_endpoints(&self) -> Call<WebhookEndpointList> {
        self.get("/api/v1/webhook-endpoints")
    }

    pub fn create_webhook_endpoint(
        &self,
        endpoint: &NewWebhookEndpoint,
    ) -> Call<CreatedWebhookEndpoint> {
        self.post("/api/v1/webhook-endpoints", endpoint)
    }

    pub fn webhook_endpoint(&self, id: &domain::WebhookEndpointId) -> Call<WebhookEndpoint> {
        self.get(&format!("/api/v1/webhook-endpoints/{id}"))
    }

    pub fn update_webhook_endpoint(
        &self,
        id: &domain::WebhookEndpointId,
        update: &WebhookEndpointUpdate,
    ) -> Call<WebhookEndpoint> {
        self.patch(&format!("/api/v1/webhook-endpoints/{id}"), update)
    }

    pub fn rotate_webhook_secret(
        &self,
        id: &domain::WebhookEndpointId,
    ) -> Call<api_types::RotatedWebhookSecret> {
        self.request(
            Method::POST,
            &format!("/api/v1/webhook-endpoints/{id}/rotate-secret"),
        )
    }

    pub fn webhook_deliveries(&self, id: &domain::WebhookEndpointId) -> Call<WebhookDeliveryPage> {
        self.get(&format!("/api/v1/webhook-endpoints/{id}/deliveries"))
    }

    pub fn replay_webhook_delivery(
        &self,
        endpoint: &domain::WebhookEndpointId,
        delivery: &domain::WebhookDeliveryId,
    ) -> Call<WebhookDelivery> {
        self.request(
            Method::POST,
            &format!("/api/v1/webhook-endpoints/{endpoint}/deliveries/{delivery}/replay"),
        )
    }

    // Notifications.

    pub fn notifications(&self, query: &NotificationQuery) -> Call<NotificationPage> {
        self.get(&with_query("/api/v1/notifications", query))
    }

    pub fn unread_count(&self) -> Call<UnreadCount> {
        self.get("/api/v1/notifications/unread-count")
    }

    pub fn mark_notification_read(&self, id: &domain::NotificationId) -> Call<Notification> {
        self.request(Method::POST, &format!("/api/v1/notifications/{id}/read"))
    }

    pub fn mark_notifications_read(
        &self,
        until: &MarkNotificationsRead,
    ) -> Call<NotificationsMarked> {
        self.post("/api/v1/notifications/read", until)
    }

    pub fn notification_preferences(&self) -> Call<NotificationPreferences> {
        self.get("/api/v1/notification-preferences")
    }

    pub fn set_notification_preferences(
        &self,
        preferences: &NotificationPreferences,
    ) -> Call<NotificationPreferences> {
        self.request(Method::PUT, "/api/v1/notification-preferences")
            .json(preferences)
    }

    // Operations.

    pub fn health(&self) -> Call<Health> {
        self.get("/healthz")
    }

    pub fn readiness(&self) -> Call<Readiness> {
        self.get("/readyz")
    }
}

/// What a problem says, for tests to search.
pub trait Says {
    /// The problem's `detail` (empty without one).
    fn detail_text(&self) -> &str;
}

impl Says for Problem {
    fn detail_text(&self) -> &str {
        self.detail.as_deref().unwrap_or_default()
    }
}

/// Checks `response` is an RFC 9457 problem with `status`, and decodes it.
pub async fn assert_problem(response: Response, status: u16) -> Problem {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    assert_eq!(actual, status, "{body}");
    assert_eq!(content_type, "application/problem+json", "{body}");
    let problem: Problem = serde_json::from_str(&body).expect("a problem body");
    assert_eq!(problem.status, status);
    assert!(problem.problem_type.starts_with("https://"), "{body}");
    assert!(!problem.title.is_empty(), "{body}");
    problem
}

/// A request not sent yet, whose successful answer is a `T`.
#[must_use = "a call does nothing until it is sent"]
pub struct Call<T> {
    request: RequestBuilder,
    /// The method and path, for failure messages.
    what: String,
    answer: PhantomData<fn() -> T>,
}

impl<T> Call<T> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    fn json(mut self, body: &impl Serialize) -> Self {
        self.request = self.request.json(body);
        self
    }

    /// Sends these files as a `multipart/form-data` body, each a part named `file`.
    pub fn files(mut self, files: &[(&str, Vec<u8>)]) -> Self {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        self.request = self.request.multipart(form);
        self
    }
}

impl<T: DeserializeOwned> Call<T> {
    /// Sends it, whatever the answer.
    pub async fn send(self) -> Answer<T> {
        let response = self.request.send().await.expect("the request is sent");
        Answer {
            response,
            what: self.what,
            answer: PhantomData,
        }
    }

    /// Sends it and decodes a successful (2xx) answer.
    pub async fn ok(self) -> T {
        self.send().await.ok().await
    }

    /// Sends it, checks the answer's status is `status`, and decodes it.
    pub async fn expect(self, status: u16) -> T {
        self.send().await.expect(status).await
    }

    /// Sends it and checks the answer is a problem with `status`.
    pub async fn problem(self, status: u16) -> Problem {
        self.send().await.problem(status).await
    }
}

/// An answer, to check and decode.
pub struct Answer<T> {
    response: Response,
    what: String,
    answer: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Answer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.response.status())
    }
}

impl<T: DeserializeOwned> Answer<T> {
    pub fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    /// A header of the answer; panics when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("{}: no {name} header", self.what))
            .to_str()
            .unwrap()
    }

    /// The value of a cookie the answer sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.response
            .cookies()
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    }

    /// Every `Set-Cookie` header of the answer, as sent.
    pub fn set_cookies(&self) -> Vec<String> {
        self.response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect()
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.response.headers().contains_key(name)
    }

    /// The body as it came, for checks of the wire itself.
    pub async fn text(self) -> String {
        self.response.text().await.unwrap()
    }

    /// The body of a file download.
    pub async fn bytes(self) -> Vec<u8> {
        self.response.bytes().await.unwrap().to_vec()
    }

    /// Decodes a successful (2xx) answer.
    pub async fn ok(self) -> T {
        let status = self.status();
        assert!(
            (200..300).contains(&status),
            "{}: {status} {}",
            self.what,
            self.response.text().await.unwrap()
        );
        self.decode().await
    }

    /// Checks the status is `status` and decodes the answer.
    pub async fn expect(self, status: u16) -> T {
        let actual = self.status();
        if actual != status {
            let body = self.response.text().await.unwrap();
            panic!("{}: expected {status}, got {actual} {body}", self.what);
        }
        self.decode().await
    }

    /// Checks the answer is an RFC 9457 problem with `status`, and decodes it.
    pub async fn problem(self, status: u16) -> Problem {
        assert_problem(self.response, status).await
    }

    async fn decode(self) -> T {
        let bytes = self.response.bytes().await.unwrap();
        // An empty answer (204, 202) is `()`, which JSON spells `null`.
        let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        serde_json::from_slice(body).unwrap_or_else(|e| {
            panic!(
                "{}: the answer is not a {}: {e}: {}",
                self.what,
                std::any::type_name::<T>(),
                String::from_utf8_lossy(body)
            )
        })
    }
}
