//! A fake of QuickBooks Online: Intuit's OAuth 2.0 (authorize at `appcenter.intuit.com/
//! connect/oauth2`, one company per grant, `realmId` in the callback; tokens at
//! `oauth.platform.intuit.com/oauth2/v1/tokens/bearer` with HTTP Basic client auth) and
//! the Accounting API under `/v3/company/{realmId}`.
//!
//! Sources, all public:
//! - developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/
//!   oauth-2.0 (authorize parameters, `state` required, `realmId` on the redirect, the token
//!   answer with `expires_in` 3600 and `x_refresh_token_expires_in`, refresh token rotation:
//!   "always use the latest refresh token", 100-day refresh tokens, `invalid_grant`,
//!   revocation at `developer.api.intuit.com/v2/oauth2/tokens/revoke` with a JSON
//!   `{"token": …}` body), and the Intuit SDK docs in github.com/intuit/
//!   QuickBooks-V3-PHP-SDK (`authorization.rst`) and IntuitDeveloper/OAuth2-Dotnet_UsingSDK
//!   (`docs/help/Tokens.md`: access tokens one hour, refresh tokens 100 days).
//! - The query language and paging (`select * from Bill STARTPOSITION 1 MAXRESULTS
//!   100`, at most 1,000 a page, `QueryResponse` with `startPosition` and `maxResults`,
//!   `select count(*)` answering `totalCount`): developer.intuit.com/app/developer/qbo/docs/
//!   learn/explore-the-quickbooks-online-api/data-queries; the `Vendor`, `Bill`,
//!   `BillPayment` and `Preferences` (its `CurrencyPrefs` only) entities:
//!   …/api/accounting/all-entities/{vendor,bill,billpayment,preferences}.
//! - Reports (`reports/ProfitAndLoss`, `reports/BalanceSheet` with `start_date`,
//!   `end_date`, `summarize_column_by=Month`; `Header`, `Columns.Column[]` with
//!   `MetaData`, `Rows.Row[]` of `type` `Section` (with `Header`, `Rows`, `Summary`,
//!   `group`) and `Data` (`ColData`)): …/api/accounting/report-entities/profitandloss and
//!   …/balancesheet.
//! - Errors and limits: the `Fault` envelope (`Error[]` with `Message`, `Detail`, `code`;
//!   `type`), 401 `AuthenticationFailed` (code 3200), 403 `ApplicationAuthorizationFailed`
//!   (3100), 429 `ThrottleExceeded` (3001): …/docs/develop/troubleshooting/error-codes;
//!   500 requests a minute and 10 in flight per company and app: Intuit's developer blog,
//!   blogs.intuit.com/2016/08/08/idg-concurrent-api-use-changes-coming-soon. Intuit does
//!   not document a `Retry-After` header, so the fake sends none.
//!
//! Like the real service, it answers JSON only when asked (`Accept: application/json`);
//! it has no XML, so other requests get `406`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use chrono::{DateTime, FixedOffset, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::books::{
    AccountClass, BalanceSheet, Books, Cents, InvoiceKind, ProfitAndLoss, cents_json, derived_uuid,
    format_cents, month_end, month_start,
};
use crate::faults::{FaultRequest, Faults};
use crate::limits::{InFlight, Window};
use crate::oauth::{
    Form, bearer, client_credentials, escape_html, pkce_s256_matches, random_token, with_query,
};
use crate::{Clock, Fault, FaultTarget, Running};

/// One QuickBooks Online company (realm).
#[derive(Clone, Debug)]
pub struct Company {
    pub realm_id: String,
    pub name: String,
    pub currency: String,
}

impl Company {
    /// A company whose realm id (16 digits, like Intuit's) is derived from its name.
    pub fn new(name: &str, currency: &str) -> Self {
        let id = derived_uuid(&[b"qbo-realm", name.as_bytes()]).as_u128();
        Self {
            realm_id: format!(
                "{}",
                9_130_000_000_000_000u64 + (id % 1_000_000_000_000_000) as u64
            ),
            name: name.to_owned(),
            currency: currency.to_owned(),
        }
    }
}

/// Intuit's documented throttles, per company and app; tests shrink them.
#[derive(Clone, Copy, Debug)]
pub struct QuickBooksLimits {
    pub concurrent: u32,
    pub per_minute: u32,
    pub minute: Duration,
}

impl Default for QuickBooksLimits {
    fn default() -> Self {
        Self {
            concurrent: 10,
            per_minute: 500,
            minute: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Debug)]
pub struct QuickBooksConfig {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub app_name: String,
    pub companies: Vec<Company>,
    /// Intuit: one hour.
    pub access_token_lifetime: Duration,
    /// Intuit: 100 days, renewed by each refresh.
    pub refresh_token_lifetime: Duration,
    /// Intuit: an authorization code is valid for 5 minutes.
    pub code_lifetime: Duration,
    pub limits: QuickBooksLimits,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl QuickBooksConfig {
    /// An app with Intuit's documented lifetimes and limits, and two US companies.
    pub fn new(client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
            app_name: "Spendlens".to_owned(),
            companies: vec![
                Company::new("Craig's Design and Landscaping Services", "USD"),
                Company::new("Maple Leaf Hardware Inc.", "CAD"),
            ],
            access_token_lifetime: Duration::from_secs(3600),
            refresh_token_lifetime: Duration::from_secs(100 * 24 * 60 * 60),
            code_lifetime: Duration::from_secs(5 * 60),
            limits: QuickBooksLimits::default(),
            port: 0,
        }
    }
}

/// What happened, for tests to assert on.
#[derive(Clone, Debug, Default, Serialize)]
pub struct QuickBooksCounters {
    pub authorization_codes: u64,
    pub code_exchanges: u64,
    pub token_refreshes: u64,
    pub token_errors: u64,
    /// Requests per endpoint (`"query:Bill"`, `"reports/ProfitAndLoss"`, `"token"`, …).
    pub calls: BTreeMap<String, u64>,
    pub max_in_flight: u32,
    pub rate_limited: u64,
}

#[derive(Clone, Debug)]
struct PendingAuthorization {
    redirect_uri: String,
    scope: String,
    state: String,
    code_challenge: Option<String>,
    created: DateTime<Utc>,
}

#[derive(Clone, Debug)]
struct AuthorizationCode {
    request: PendingAuthorization,
    realm_id: String,
    issued: DateTime<Utc>,
}

#[derive(Clone, Debug)]
struct Grant {
    realm_id: String,
    scope: String,
    revoked: bool,
}

#[derive(Clone, Debug)]
struct RefreshToken {
    grant: usize,
    expires: DateTime<Utc>,
    used: bool,
}

#[derive(Debug)]
struct RealmLimits {
    minute: Window,
    in_flight: InFlight,
}

#[derive(Debug, Default)]
struct State {
    pending: HashMap<String, PendingAuthorization>,
    codes: HashMap<String, AuthorizationCode>,
    grants: Vec<Grant>,
    access_tokens: HashMap<String, (usize, DateTime<Utc>)>,
    refresh_tokens: HashMap<String, RefreshToken>,
    realm_limits: HashMap<String, RealmLimits>,
    counters: QuickBooksCounters,
}

impl State {
    fn count_call(&mut self, endpoint: &str) {
        *self.counters.calls.entry(endpoint.to_owned()).or_default() += 1;
    }
}

struct Shared {
    config: QuickBooksConfig,
    clock: Clock,
    faults: Faults,
    books: HashMap<String, Books>,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("quickbooks state lock")
    }

    fn company(&self, realm_id: &str) -> Option<&Company> {
        self.config
            .companies
            .iter()
            .find(|c| c.realm_id == realm_id)
    }
}

/// A running fake QuickBooks Online. Dropping it stops the server.
pub struct FakeQuickBooks {
    running: Running,
    shared: Arc<Shared>,
}

impl FakeQuickBooks {
    /// Starts the fake on 127.0.0.1 on the current tokio runtime.
    pub fn start(config: QuickBooksConfig) -> std::io::Result<Self> {
        let clock = Clock::new();
        let today = clock.now().date_naive();
        let books = config
            .companies
            .iter()
            .map(|c| {
                let books = Books::generate(&c.realm_id, &c.name, &c.currency, today);
                (c.realm_id.clone(), books)
            })
            .collect();
        let shared = Arc::new(Shared {
            config,
            clock,
            faults: Faults::default(),
            books,
            state: Mutex::new(State::default()),
        });
        let data = web::Data::from(shared.clone());
        let running = Running::spawn(shared.config.port, move |listener| {
            Ok(
                HttpServer::new(move || App::new().app_data(data.clone()).configure(routes))
                    .workers(2)
                    .disable_signals()
                    .listen(listener)?
                    .run(),
            )
        })?;
        Ok(Self { running, shared })
    }

    /// The API base (`/v3/company/{realmId}/…`).
    pub fn base_url(&self) -> &str {
        self.running.base_url()
    }

    /// `SPENDLENS_QUICKBOOKS_AUTHORIZE_URL`.
    pub fn authorize_url(&self) -> String {
        format!("{}/connect/oauth2", self.base_url())
    }

    /// `SPENDLENS_QUICKBOOKS_TOKEN_URL`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v1/tokens/bearer", self.base_url())
    }

    pub fn revocation_url(&self) -> String {
        format!("{}/v2/oauth2/tokens/revoke", self.base_url())
    }

    pub fn config(&self) -> &QuickBooksConfig {
        &self.shared.config
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    pub fn companies(&self) -> &[Company] {
        &self.shared.config.companies
    }

    pub fn books(&self, realm_id: &str) -> Option<&Books> {
        self.shared.books.get(realm_id)
    }

    pub fn counters(&self) -> QuickBooksCounters {
        self.shared.lock().counters.clone()
    }

    pub fn inject(&self, target: FaultTarget, fault: Fault, times: usize) {
        self.shared.faults.push(target, fault, times);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// As if every company disconnected the app.
    pub fn revoke_all_tokens(&self) {
        for grant in &mut self.shared.lock().grants {
            grant.revoked = true;
        }
    }

    pub fn expire_access_tokens(&self) {
        let now = self.shared.clock.now();
        for (_, expires) in self.shared.lock().access_tokens.values_mut() {
            *expires = (*expires).min(now);
        }
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/connect/oauth2", web::get().to(authorize))
        .route("/connect/oauth2", web::post().to(consent))
        .route("/oauth2/v1/tokens/bearer", web::post().to(token))
        .route("/v2/oauth2/tokens/revoke", web::post().to(revoke))
        .route("/oauth2/v1/tokens/revoke", web::post().to(revoke))
        .route("/v3/company/{realm}/query", web::get().to(query))
        .route("/v3/company/{realm}/query", web::post().to(query))
        .route(
            "/v3/company/{realm}/reports/{report}",
            web::get().to(report),
        )
        .route(
            "/v3/company/{realm}/companyinfo/{id}",
            web::get().to(company_info),
        )
        .route("/_fake/faults", web::post().to(admin_fault))
        .route("/_fake/revoke-all", web::post().to(admin_revoke_all))
        .route("/_fake/expire-access-tokens", web::post().to(admin_expire))
        .route("/_fake/clock/advance", web::post().to(admin_advance))
        .route("/_fake/counters", web::get().to(admin_counters))
        .route("/_fake/books/{realm}", web::get().to(admin_books));
}

const KNOWN_SCOPES: &[&str] = &[
    "com.intuit.quickbooks.accounting",
    "com.intuit.quickbooks.payment",
    "openid",
    "profile",
    "email",
    "phone",
    "address",
];

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;background:#f4f5f8;color:#393a3d;margin:0}}\
         main{{max-width:32rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:.5rem}}\
         fieldset{{border:1px solid #ccd;border-radius:.25rem;margin:1rem 0}}\
         label{{display:block;padding:.5rem 0;min-height:2rem}}\
         button{{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;min-height:2.75rem}}\
         .connect{{background:#2ca01c;color:#fff;border:0;border-radius:.25rem}}\
         .error{{color:#b00020}}</style></head><body><main>{body}</main></body></html>"
    )
}

fn error_page(message: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type(ContentType::html())
        .body(page(
            "Intuit | Error",
            &format!(
                "<h1>Something went wrong</h1><p class=\"error\">{}</p>",
                escape_html(message)
            ),
        ))
}

fn redirect(location: String) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `GET /connect/oauth2`: client and redirect URI checked first (an error page), then
/// the rest (errors back to the app); then the company picker.
async fn authorize(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let query = Form::parse(request.query_string().as_bytes());
    let config = &shared.config;
    if query.get("client_id") != Some(config.client_id.as_str()) {
        return error_page("The client_id is not valid.");
    }
    let Some(redirect_uri) = query
        .get("redirect_uri")
        .filter(|uri| config.redirect_uris.iter().any(|r| r == uri))
    else {
        return error_page("The redirect_uri is not one of the app's redirect URIs.");
    };
    let back = |error: &str| {
        let mut params = vec![("error", error)];
        if let Some(state) = query.get("state") {
            params.push(("state", state));
        }
        redirect(with_query(redirect_uri, &params))
    };
    if query.get("response_type") != Some("code") {
        return back("unsupported_response_type");
    }
    // Intuit requires `state`.
    let Some(state) = query.get("state") else {
        return back("invalid_request");
    };
    let scope = query.get("scope").unwrap_or_default();
    if scope.is_empty() || scope.split_whitespace().any(|s| !KNOWN_SCOPES.contains(&s)) {
        return back("invalid_scope");
    }
    let code_challenge = query.get("code_challenge");
    if code_challenge.is_some() && query.get("code_challenge_method") != Some("S256") {
        return back("invalid_request");
    }
    let id = random_token("", 16);
    shared.lock().pending.insert(
        id.clone(),
        PendingAuthorization {
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.to_owned(),
            state: state.to_owned(),
            code_challenge: code_challenge.map(str::to_owned),
            created: shared.clock.now(),
        },
    );
    picker(&shared, &id, None)
}

fn picker(shared: &Shared, id: &str, error: Option<&str>) -> HttpResponse {
    let companies: String = shared
        .config
        .companies
        .iter()
        .map(|c| {
            format!(
                "<label><input type=\"radio\" name=\"realm\" value=\"{}\"> {}</label>",
                c.realm_id,
                escape_html(&c.name)
            )
        })
        .collect();
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape_html(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Connect {app} to QuickBooks</h1>\
         <p>Signed in as demo@intuit.example (fake QuickBooks Online on loopback).</p>{error}\
         <form method=\"post\" action=\"/connect/oauth2\">\
         <input type=\"hidden\" name=\"request\" value=\"{id}\">\
         <fieldset><legend>Select a company</legend>{companies}</fieldset>\
         <button type=\"submit\" class=\"connect\" name=\"decision\" value=\"connect\">Connect</button>\
         <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></form>",
        app = escape_html(&shared.config.app_name),
    );
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page("Intuit | Connect", &body))
}

/// The picker's answer: one company and "Connect", or "Cancel".
async fn consent(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let form = Form::parse(&body);
    let now = shared.clock.now();
    let Some(id) = form.get("request") else {
        return error_page("The authorization request is missing.");
    };
    let Some(pending) = shared
        .lock()
        .pending
        .get(id)
        .filter(|p| p.created + chrono::Duration::minutes(30) > now)
        .cloned()
    else {
        return error_page("This authorization request has expired or was already answered.");
    };
    if form.get("decision") != Some("connect") {
        shared.lock().pending.remove(id);
        return redirect(with_query(
            &pending.redirect_uri,
            &[("error", "access_denied"), ("state", &pending.state)],
        ));
    }
    let Some(realm) = form.get("realm").filter(|r| shared.company(r).is_some()) else {
        return picker(&shared, id, Some("Select a company to connect."));
    };
    let code = random_token("AB11", 24);
    let mut state = shared.lock();
    state.pending.remove(id);
    state.codes.insert(
        code.clone(),
        AuthorizationCode {
            request: pending.clone(),
            realm_id: realm.to_owned(),
            issued: now,
        },
    );
    state.counters.authorization_codes += 1;
    redirect(with_query(
        &pending.redirect_uri,
        &[
            ("code", &code),
            ("state", &pending.state),
            ("realmId", realm),
        ],
    ))
}

fn oauth_error(status: StatusCode, error: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": error }))
}

fn basic_client(request: &HttpRequest, shared: &Shared) -> bool {
    // Intuit takes the client's credentials as HTTP Basic only.
    request.headers().contains_key(header::AUTHORIZATION)
        && client_credentials(request, &Form::default()).is_some_and(|(id, secret)| {
            id == shared.config.client_id && secret == shared.config.client_secret
        })
}

fn issue(shared: &Shared, state: &mut State, grant: usize) -> Value {
    let now = shared.clock.now();
    let config = &shared.config;
    let access = random_token("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..", 48);
    let refresh = random_token("RT1-", 32);
    let to = |d: Duration| chrono::Duration::from_std(d).expect("lifetime");
    state.access_tokens.insert(
        access.clone(),
        (grant, now + to(config.access_token_lifetime)),
    );
    state.refresh_tokens.insert(
        refresh.clone(),
        RefreshToken {
            grant,
            expires: now + to(config.refresh_token_lifetime),
            used: false,
        },
    );
    let mut answer = json!({
        "token_type": "bearer",
        "expires_in": config.access_token_lifetime.as_secs(),
        "refresh_token": refresh,
        "x_refresh_token_expires_in": config.refresh_token_lifetime.as_secs(),
        "access_token": access,
    });
    if state.grants[grant]
        .scope
        .split_whitespace()
        .any(|s| s == "openid")
    {
        let encode =
            |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        answer["id_token"] = json!(format!(
            "{}.{}.{}",
            encode(json!({"alg": "RS256", "kid": "fake"})),
            encode(json!({
                "iss": "https://oauth.platform.intuit.com/op/v1",
                "aud": [config.client_id],
                "realmid": state.grants[grant].realm_id,
                "sub": "fake-user",
                "iat": now.timestamp(),
                "exp": now.timestamp() + 3600,
            })),
            random_token("", 32)
        ));
    }
    answer
}

/// `POST /oauth2/v1/tokens/bearer`.
async fn token(request: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().count_call("token");
    let answer = match shared.faults.take(FaultTarget::Token) {
        Some(Fault::Status { status }) => HttpResponse::build(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        )
        .json(json!({ "error": "server_error" })),
        Some(Fault::MalformedJson) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body("{\"token_type\":\"bearer\",\"expires_in\":"),
        Some(Fault::Slow { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            token_answer(&request, &body, &shared)
        }
        None => token_answer(&request, &body, &shared),
    };
    if answer.status() != StatusCode::OK {
        shared.lock().counters.token_errors += 1;
    }
    answer
}

fn token_answer(request: &HttpRequest, body: &[u8], shared: &Shared) -> HttpResponse {
    if !basic_client(request, shared) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let form = Form::parse(body);
    let now = shared.clock.now();
    let invalid_grant = || oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let mut state = shared.lock();
    match form.get("grant_type") {
        Some("authorization_code") => {
            let Some(code) = form.get("code").and_then(|c| state.codes.remove(c)) else {
                return invalid_grant();
            };
            let lifetime =
                chrono::Duration::from_std(shared.config.code_lifetime).expect("lifetime");
            if code.issued + lifetime < now
                || form.get("redirect_uri") != Some(code.request.redirect_uri.as_str())
            {
                return invalid_grant();
            }
            if let Some(challenge) = &code.request.code_challenge
                && !form
                    .get("code_verifier")
                    .is_some_and(|v| pkce_s256_matches(v, challenge))
            {
                return invalid_grant();
            }
            state.grants.push(Grant {
                realm_id: code.realm_id,
                scope: code.request.scope,
                revoked: false,
            });
            let grant = state.grants.len() - 1;
            state.counters.code_exchanges += 1;
            HttpResponse::Ok().json(issue(shared, &mut state, grant))
        }
        Some("refresh_token") => {
            let Some(presented) = form.get("refresh_token") else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
            };
            let Some(token) = state.refresh_tokens.get(presented).cloned() else {
                return invalid_grant();
            };
            if token.used || token.expires <= now || state.grants[token.grant].revoked {
                return invalid_grant();
            }
            state
                .refresh_tokens
                .get_mut(presented)
                .expect("present")
                .used = true;
            state.counters.token_refreshes += 1;
            HttpResponse::Ok().json(issue(shared, &mut state, token.grant))
        }
        Some(_) => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        None => oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
    }
}

/// `POST /v2/oauth2/tokens/revoke` `{"token": …}` (an access or refresh token): the
/// company is disconnected.
async fn revoke(request: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().count_call("revoke");
    if !basic_client(&request, &shared) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    // JSON as documented; a form body is taken too.
    let token = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned))
        .or_else(|| Form::parse(&body).get("token").map(str::to_owned));
    let Some(token) = token else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let mut state = shared.lock();
    let grant = state
        .refresh_tokens
        .get(&token)
        .map(|t| t.grant)
        .or_else(|| state.access_tokens.get(&token).map(|(g, _)| *g));
    match grant {
        Some(grant) => {
            state.grants[grant].revoked = true;
            HttpResponse::Ok().finish()
        }
        None => oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
    }
}

fn qbo_time(now: DateTime<Utc>) -> String {
    let pacific = FixedOffset::west_opt(8 * 3600).expect("offset");
    now.with_timezone(&pacific)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

fn fault(
    status: StatusCode,
    kind: &str,
    message: &str,
    code: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "Fault": {
            "Error": [{ "Message": message, "Detail": detail, "code": code }],
            "type": kind,
        },
        "time": qbo_time(now),
    }))
}

struct RealmGuard<'a> {
    shared: &'a Shared,
    realm: String,
}

impl Drop for RealmGuard<'_> {
    fn drop(&mut self) {
        if let Some(limits) = self.shared.lock().realm_limits.get_mut(&self.realm) {
            limits.in_flight.leave();
        }
    }
}

/// Authentication, the realm, the throttles and faults; then `render`.
async fn api_call(
    request: &HttpRequest,
    shared: &Shared,
    realm: &str,
    endpoint: &str,
    render: impl FnOnce(&Books, &Form, DateTime<Utc>) -> Result<Value, HttpResponse>,
) -> HttpResponse {
    shared.lock().count_call(endpoint);
    let now = shared.clock.now();
    let unauthorized = || {
        fault(
            StatusCode::UNAUTHORIZED,
            "AUTHENTICATION",
            "message=AuthenticationFailed; errorCode=003200; statusCode=401",
            "3200",
            "Token expired or invalid",
            now,
        )
    };
    let grant = {
        let state = shared.lock();
        let token = bearer(request).and_then(|t| state.access_tokens.get(&t).cloned());
        match token {
            Some((grant, expires)) if expires > now && !state.grants[grant].revoked => {
                state.grants[grant].clone()
            }
            _ => return unauthorized(),
        }
    };
    if grant.realm_id != realm || shared.company(realm).is_none() {
        return fault(
            StatusCode::FORBIDDEN,
            "AUTHORIZATION",
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            "3100",
            "The token does not authorize this company.",
            now,
        );
    }
    let limits = shared.config.limits;
    let guard = {
        let mut state = shared.lock();
        let state = &mut *state;
        let realm_limits = state
            .realm_limits
            .entry(realm.to_owned())
            .or_insert_with(|| RealmLimits {
                minute: Window::new(limits.per_minute, limits.minute),
                in_flight: InFlight::default(),
            });
        if realm_limits.in_flight.now >= limits.concurrent
            || realm_limits.minute.remaining(now) == 0
        {
            state.counters.rate_limited += 1;
            return fault(
                StatusCode::TOO_MANY_REQUESTS,
                "SERVICE",
                "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "3001",
                "The request limit was reached.",
                now,
            );
        }
        realm_limits.minute.record(now);
        realm_limits.in_flight.enter();
        state.counters.max_in_flight = state.counters.max_in_flight.max(realm_limits.in_flight.now);
        RealmGuard {
            shared,
            realm: realm.to_owned(),
        }
    };
    let answer = match shared.faults.take(FaultTarget::Api) {
        Some(Fault::Status { status }) => fault(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "SERVICE",
            &format!(
                "message=An application error has occurred while processing your request; errorCode=010000; statusCode={status}"
            ),
            "10000",
            "System Failure Error: An unexpected error occurred.",
            now,
        ),
        Some(Fault::MalformedJson) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body("{\"QueryResponse\":{\"Bill\":[{\"Id\":"),
        other => {
            if let Some(Fault::Slow { millis }) = other {
                tokio::time::sleep(Duration::from_millis(millis)).await;
            }
            let wants_json = request
                .headers()
                .get(header::ACCEPT)
                .and_then(|a| a.to_str().ok())
                .is_some_and(|a| a.contains("application/json"));
            if !wants_json {
                HttpResponse::NotAcceptable()
                    .content_type(ContentType::plaintext())
                    .body("The fake answers JSON only: send Accept: application/json.")
            } else {
                let form = Form::parse(request.query_string().as_bytes());
                match render(&shared.books[realm], &form, shared.clock.now()) {
                    Ok(body) => HttpResponse::Ok().json(body),
                    Err(answer) => answer,
                }
            }
        }
    };
    drop(guard);
    answer
}

fn validation_fault(detail: &str, now: DateTime<Utc>) -> HttpResponse {
    fault(
        StatusCode::BAD_REQUEST,
        "ValidationFault",
        "message=Error parsing query; errorCode=004000; statusCode=400",
        "4000",
        &format!("QueryParserError: {detail}"),
        now,
    )
}

/// `GET /v3/company/{realm}/query?query=…` (or the query as a POST body).
async fn query(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let realm = path.into_inner();
    let form = Form::parse(request.query_string().as_bytes());
    let text = form
        .get("query")
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    let endpoint = format!("query:{}", entity_of(&text).unwrap_or("?"));
    api_call(&request, &shared, &realm, &endpoint, |books, _, now| {
        run_query(books, &text, now)
    })
    .await
}

fn entity_of(query: &str) -> Option<&str> {
    let words: Vec<&str> = query.split_whitespace().collect();
    let at = words.iter().position(|w| w.eq_ignore_ascii_case("from"))?;
    words.get(at + 1).copied()
}

/// `select * | count(*) from Entity [where Field = 'value' [and …]] [orderby …]
/// [startposition N] [maxresults M]`.
fn run_query(books: &Books, text: &str, now: DateTime<Utc>) -> Result<Value, HttpResponse> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let keyword = |name: &str| words.iter().position(|w| w.eq_ignore_ascii_case(name));
    if words
        .first()
        .is_none_or(|w| !w.eq_ignore_ascii_case("select"))
    {
        return Err(validation_fault("a query starts with select", now));
    }
    let count = words
        .get(1)
        .is_some_and(|w| w.eq_ignore_ascii_case("count(*)"));
    let entity = entity_of(text).ok_or_else(|| validation_fault("no from clause", now))?;
    let number_after = |name: &str, default: usize| -> Result<usize, HttpResponse> {
        match keyword(name) {
            Some(at) => words
                .get(at + 1)
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| validation_fault(&format!("{name} needs a number"), now)),
            None => Ok(default),
        }
    };
    let start = number_after("startposition", 1)?.max(1);
    let max = number_after("maxresults", 100)?;
    if max > 1000 {
        return Err(validation_fault("MAXRESULTS must be at most 1000", now));
    }
    let items: Vec<Value> = match entity.to_ascii_lowercase().as_str() {
        "vendor" => books
            .contacts
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_supplier)
            .map(|(i, _)| vendor_json(books, i))
            .collect(),
        "bill" => books
            .invoices
            .iter()
            .enumerate()
            .filter(|(_, inv)| inv.kind == InvoiceKind::Payable)
            .map(|(i, _)| bill_json(books, i))
            .collect(),
        "billpayment" => books
            .payments
            .iter()
            .filter(|p| books.invoices[p.invoice].kind == InvoiceKind::Payable)
            .map(|p| bill_payment_json(books, p))
            .collect(),
        "preferences" => vec![preferences_json(books)],
        _ => {
            return Err(validation_fault(
                &format!("the fake does not serve {entity}"),
                now,
            ));
        }
    };
    let items = match keyword("where") {
        Some(at) => {
            let end = ["orderby", "startposition", "maxresults"]
                .iter()
                .filter_map(|k| keyword(k))
                .filter(|k| *k > at)
                .min()
                .unwrap_or(words.len());
            let condition = words[at + 1..end].join(" ");
            let clauses =
                parse_conditions(&condition).ok_or_else(|| validation_fault(&condition, now))?;
            items
                .into_iter()
                .filter(|item| {
                    clauses.iter().all(|(path, value)| {
                        let found = path.split('.').try_fold(item, |v, k| v.get(k));
                        match found {
                            Some(Value::String(s)) => s == value,
                            Some(other) => other.to_string().as_str() == value.as_str(),
                            None => false,
                        }
                    })
                })
                .collect()
        }
        None => items,
    };
    let name = match entity.to_ascii_lowercase().as_str() {
        "vendor" => "Vendor",
        "bill" => "Bill",
        "preferences" => "Preferences",
        _ => "BillPayment",
    };
    let response = if count {
        json!({ "totalCount": items.len() })
    } else {
        let page: Vec<Value> = items.into_iter().skip(start - 1).take(max).collect();
        if page.is_empty() {
            json!({})
        } else {
            json!({ name: page.clone(), "startPosition": start, "maxResults": page.len() })
        }
    };
    Ok(json!({ "QueryResponse": response, "time": qbo_time(now) }))
}

/// `Field = 'value' AND Other = true` → `[("Field", "value"), ("Other", "true")]`.
fn parse_conditions(text: &str) -> Option<Vec<(String, String)>> {
    let normalised = text.replace(" and ", " AND ");
    normalised
        .split(" AND ")
        .map(|clause| {
            let (field, value) = clause.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(value);
            Some((field.trim().to_owned(), value.to_owned()))
        })
        .collect()
}

/// The company's `Preferences`, reduced to the currency settings (the home currency
/// amounts without a currency of their own are in).
fn preferences_json(books: &Books) -> Value {
    json!({
        "Id": "1",
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": false,
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": true,
            "HomeCurrency": { "value": books.base_currency },
        },
        "MetaData": metadata(crate::books::at_noon(books.first_month), crate::books::at_noon(books.first_month)),
    })
}

fn vendor_id(books: &Books, contact: usize) -> String {
    (books.contacts[contact].number + 50).to_string()
}

fn currency_ref(code: &str) -> Value {
    let name = match code {
        "USD" => "United States Dollar",
        "CAD" => "Canadian Dollar",
        "GBP" => "British Pound Sterling",
        "EUR" => "Euro",
        "AUD" => "Australian Dollar",
        "NZD" => "New Zealand Dollar",
        other => other,
    };
    json!({ "value": code, "name": name })
}

fn term_id(days: u32) -> &'static str {
    match days {
        0..=15 => "2",
        16..=30 => "3",
        _ => "4",
    }
}

fn metadata(created: DateTime<Utc>, updated: DateTime<Utc>) -> Value {
    json!({ "CreateTime": qbo_time(created), "LastUpdatedTime": qbo_time(updated) })
}

fn vendor_json(books: &Books, index: usize) -> Value {
    let contact = &books.contacts[index];
    let balance: Cents = books
        .invoices
        .iter()
        .filter(|inv| inv.contact == index)
        .map(|inv| inv.amount_due())
        .sum();
    json!({
        "Id": vendor_id(books, index),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": false,
        "DisplayName": contact.name,
        "CompanyName": contact.name,
        "PrintOnCheckName": contact.name,
        "Active": true,
        "Vendor1099": false,
        "Balance": cents_json(balance),
        "CurrencyRef": currency_ref(&contact.currency),
        "PrimaryEmailAddr": { "Address": contact.email },
        "TermRef": { "value": term_id(contact.payment_terms_days) },
        "MetaData": metadata(contact.updated, contact.updated),
    })
}

fn bill_id(books: &Books, index: usize) -> String {
    (1000 + books.invoices[index].number).to_string()
}

fn payment_id(payment: &crate::books::Payment) -> String {
    (5000 + payment.number).to_string()
}

fn bill_json(books: &Books, index: usize) -> Value {
    let bill = &books.invoices[index];
    let lines: Vec<Value> = bill
        .lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            let account = &books.accounts[line.account];
            json!({
                "Id": (n + 1).to_string(),
                "LineNum": n + 1,
                "Description": line.description,
                "Amount": cents_json(line.amount),
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": { "value": account.code, "name": account.name },
                    "BillableStatus": "NotBillable",
                    "TaxCodeRef": { "value": if bill.tax == 0 { "NON" } else { "TAX" } },
                },
            })
        })
        .collect();
    let linked: Vec<Value> = bill
        .payments
        .iter()
        .map(|p| json!({ "TxnId": payment_id(&books.payments[*p]), "TxnType": "BillPayment" }))
        .collect();
    let mut value = json!({
        "Id": bill_id(books, index),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": false,
        "DocNumber": bill.doc_number,
        "TxnDate": bill.date.to_string(),
        "DueDate": bill.due_date.to_string(),
        "CurrencyRef": currency_ref(&bill.currency),
        "VendorRef": { "value": vendor_id(books, bill.contact), "name": books.contacts[bill.contact].name },
        "APAccountRef": { "value": "33", "name": "Accounts Payable (A/P)" },
        "SalesTermRef": { "value": term_id(books.contacts[bill.contact].payment_terms_days) },
        "TotalAmt": cents_json(bill.total),
        "Balance": cents_json(bill.amount_due()),
        "Line": lines,
        "LinkedTxn": linked,
        "MetaData": metadata(bill.updated.min(crate::books::at_noon(bill.date)), bill.updated),
    });
    if bill.tax != 0 {
        value["TxnTaxDetail"] = json!({ "TotalTax": cents_json(bill.tax) });
    }
    if bill.currency != books.base_currency {
        value["ExchangeRate"] = json!(bill.rate);
    }
    value
}

fn bill_payment_json(books: &Books, payment: &crate::books::Payment) -> Value {
    let bill = &books.invoices[payment.invoice];
    let index = payment.invoice;
    let by_card = payment.number.is_multiple_of(4);
    let mut value = json!({
        "Id": payment_id(payment),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": false,
        "TxnDate": payment.date.to_string(),
        "TotalAmt": cents_json(payment.amount),
        "CurrencyRef": currency_ref(&bill.currency),
        "VendorRef": { "value": vendor_id(books, bill.contact), "name": books.contacts[bill.contact].name },
        "PrivateNote": payment.reference,
        "Line": [{
            "Amount": cents_json(payment.amount),
            "LinkedTxn": [{ "TxnId": bill_id(books, index), "TxnType": "Bill" }],
        }],
        "MetaData": metadata(payment.updated, payment.updated),
    });
    if by_card {
        value["PayType"] = json!("CreditCard");
        value["CreditCardPayment"] =
            json!({ "CCAccountRef": { "value": "41", "name": "Mastercard" } });
    } else {
        value["PayType"] = json!("Check");
        value["CheckPayment"] = json!({
            "BankAccountRef": { "value": "35", "name": "Checking" },
            "PrintStatus": "NotSet",
        });
    }
    if bill.currency != books.base_currency {
        value["ExchangeRate"] = json!(bill.rate);
    }
    value
}

/// `GET /v3/company/{realm}/companyinfo/{realm}`.
async fn company_info(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let (realm, id) = path.into_inner();
    let company = shared.company(&realm).cloned().filter(|_| id == realm);
    api_call(&request, &shared, &realm, "companyinfo", move |books, _, now| {
        let company = company.ok_or_else(|| {
            fault(StatusCode::BAD_REQUEST, "ValidationFault", "message=Object Not Found; errorCode=610; statusCode=400", "610", "Object Not Found", now)
        })?;
        Ok(json!({
            "CompanyInfo": {
                "Id": "1",
                "SyncToken": "3",
                "domain": "QBO",
                "sparse": false,
                "CompanyName": company.name,
                "LegalName": company.name,
                "Country": if company.currency == "CAD" { "CA" } else { "US" },
                "FiscalYearStartMonth": "January",
                "CompanyStartDate": books.first_month.to_string(),
                "MetaData": metadata(crate::books::at_noon(books.first_month), crate::books::at_noon(books.first_month)),
            },
            "time": qbo_time(now),
        }))
    })
    .await
}

/// `GET /v3/company/{realm}/reports/{ProfitAndLoss|BalanceSheet}`.
async fn report(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let (realm, name) = path.into_inner();
    let endpoint = format!("reports/{name}");
    api_call(
        &request,
        &shared,
        &realm,
        &endpoint,
        move |books, query, now| {
            let date = |key: &str| -> Result<Option<NaiveDate>, HttpResponse> {
                query
                    .get(key)
                    .map(|v| {
                        NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                            fault(
                                StatusCode::BAD_REQUEST,
                                "ValidationFault",
                                "message=Invalid date; errorCode=2010; statusCode=400",
                                "2010",
                                &format!("{key} must be yyyy-MM-dd"),
                                now,
                            )
                        })
                    })
                    .transpose()
            };
            let today = now.date_naive();
            let year_start = today
                .with_month(1)
                .and_then(|d| d.with_day(1))
                .expect("1 January");
            let (start, end) = (
                date("start_date")?.unwrap_or(year_start),
                date("end_date")?.unwrap_or(today),
            );
            let by_month = match query.get("summarize_column_by").unwrap_or("Total") {
                "Month" => true,
                "Total" => false,
                other => {
                    return Err(fault(
                        StatusCode::BAD_REQUEST,
                        "ValidationFault",
                        "message=Invalid parameter; errorCode=2010; statusCode=400",
                        "2010",
                        &format!("summarize_column_by {other} is not served by the fake"),
                        now,
                    ));
                }
            };
            match name.as_str() {
                "ProfitAndLoss" => Ok(profit_and_loss(books, start, end, by_month, now)),
                "BalanceSheet" => Ok(balance_sheet(books, start, end, by_month, now)),
                _ => Err(fault(
                    StatusCode::BAD_REQUEST,
                    "ValidationFault",
                    "message=Invalid report; errorCode=2010; statusCode=400",
                    "2010",
                    "The fake serves ProfitAndLoss and BalanceSheet",
                    now,
                )),
            }
        },
    )
    .await
}

use chrono::Datelike as _;

/// Month columns `(start, end)` covering `start..=end`.
fn months(start: NaiveDate, end: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut columns = Vec::new();
    let mut month = month_start(start);
    while month <= end {
        columns.push((month.max(start), month_end(month).min(end)));
        month = month + Months::new(1);
    }
    columns
}

fn report_header(
    books: &Books,
    name: &str,
    start: NaiveDate,
    end: NaiveDate,
    by_month: bool,
    now: DateTime<Utc>,
) -> Value {
    json!({
        "Time": qbo_time(now),
        "ReportName": name,
        "ReportBasis": "Accrual",
        "StartPeriod": start.to_string(),
        "EndPeriod": end.to_string(),
        "SummarizeColumnsBy": if by_month { "Month" } else { "Total" },
        "Currency": books.base_currency,
        "Option": [
            { "Name": "AccountingStandard", "Value": "GAAP" },
            { "Name": "NoReportData", "Value": "false" },
        ],
    })
}

fn columns(periods: &[(NaiveDate, NaiveDate)], by_month: bool, total: bool) -> Value {
    let mut list = vec![json!({
        "ColTitle": "", "ColType": "Account",
        "MetaData": [{ "Name": "ColKey", "Value": "account" }],
    })];
    if by_month {
        for (start, end) in periods {
            let title = start.format("%b %Y").to_string();
            list.push(json!({
                "ColTitle": title, "ColType": "Money",
                "MetaData": [
                    { "Name": "StartDate", "Value": start.to_string() },
                    { "Name": "EndDate", "Value": end.to_string() },
                    { "Name": "ColKey", "Value": title },
                ],
            }));
        }
    }
    if total || !by_month {
        list.push(json!({
            "ColTitle": "Total", "ColType": "Money",
            "MetaData": [{ "Name": "ColKey", "Value": "total" }],
        }));
    }
    json!({ "Column": list })
}

fn col_data(label: &str, id: Option<&str>, values: &[Cents]) -> Value {
    let mut cells = vec![match id {
        Some(id) => json!({ "value": label, "id": id }),
        None => json!({ "value": label }),
    }];
    cells.extend(values.iter().map(|v| json!({ "value": format_cents(*v) })));
    json!(cells)
}

fn data_row(label: &str, id: &str, values: &[Cents]) -> Value {
    json!({ "ColData": col_data(label, Some(id), values), "type": "Data" })
}

fn section(
    title: Option<&str>,
    rows: Vec<Value>,
    summary: (&str, &[Cents]),
    group: &str,
    width: usize,
) -> Value {
    let mut value = json!({
        "Summary": { "ColData": col_data(summary.0, None, summary.1) },
        "type": "Section",
        "group": group,
    });
    if let Some(title) = title {
        let mut header = vec![json!({ "value": title })];
        header.extend((0..width).map(|_| json!({ "value": "" })));
        value["Header"] = json!({ "ColData": header });
        value["Rows"] = json!({ "Row": rows });
    }
    value
}

fn profit_and_loss(
    books: &Books,
    start: NaiveDate,
    end: NaiveDate,
    by_month: bool,
    now: DateTime<Utc>,
) -> Value {
    let periods = months(start, end);
    let mut figures: Vec<ProfitAndLoss> = if by_month {
        periods
            .iter()
            .map(|(s, e)| books.profit_and_loss(*s, *e))
            .collect()
    } else {
        Vec::new()
    };
    figures.push(books.profit_and_loss(start, end));
    let width = figures.len();
    let series =
        |f: &dyn Fn(&ProfitAndLoss) -> Cents| -> Vec<Cents> { figures.iter().map(f).collect() };
    let class_rows = |class: AccountClass| -> Vec<Value> {
        books
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.class == class)
            .map(|(i, a)| data_row(a.name, a.code, &series(&|p| p.lines[i].1)))
            .collect()
    };
    let rows = vec![
        section(
            Some("Income"),
            class_rows(AccountClass::Revenue),
            ("Total Income", &series(&|p| p.income(books))),
            "Income",
            width,
        ),
        section(
            Some("Cost of Goods Sold"),
            class_rows(AccountClass::CostOfSales),
            (
                "Total Cost of Goods Sold",
                &series(&|p| p.cost_of_sales(books)),
            ),
            "COGS",
            width,
        ),
        section(
            None,
            vec![],
            ("Gross Profit", &series(&|p| p.gross_profit(books))),
            "GrossProfit",
            width,
        ),
        section(
            Some("Expenses"),
            class_rows(AccountClass::Expense),
            ("Total Expenses", &series(&|p| p.operating_expenses(books))),
            "Expenses",
            width,
        ),
        section(
            None,
            vec![],
            ("Net Operating Income", &series(&|p| p.net_profit(books))),
            "NetOperatingIncome",
            width,
        ),
        section(
            None,
            vec![],
            ("Net Income", &series(&|p| p.net_profit(books))),
            "NetIncome",
            width,
        ),
    ];
    json!({
        "Header": report_header(books, "ProfitAndLoss", start, end, by_month, now),
        "Columns": columns(&periods, by_month, true),
        "Rows": { "Row": rows },
    })
}

fn balance_sheet(
    books: &Books,
    start: NaiveDate,
    end: NaiveDate,
    by_month: bool,
    now: DateTime<Utc>,
) -> Value {
    let periods = months(start, end);
    let sheets: Vec<BalanceSheet> = if by_month {
        periods
            .iter()
            .map(|(_, e)| books.balance_sheet(*e))
            .collect()
    } else {
        vec![books.balance_sheet(end)]
    };
    let width = sheets.len();
    let series = |f: fn(&BalanceSheet) -> Cents| -> Vec<Cents> { sheets.iter().map(f).collect() };
    let tax = if books.base_currency == "CAD" {
        "GST/HST Payable"
    } else {
        "Sales Tax Payable"
    };
    let current_assets = section(
        Some("Current Assets"),
        vec![
            section(
                Some("Bank Accounts"),
                vec![data_row("Checking", "35", &series(|s| s.bank))],
                ("Total Bank Accounts", &series(|s| s.bank)),
                "BankAccounts",
                width,
            ),
            section(
                Some("Accounts Receivable"),
                vec![data_row(
                    "Accounts Receivable (A/R)",
                    "84",
                    &series(|s| s.accounts_receivable),
                )],
                (
                    "Total Accounts Receivable",
                    &series(|s| s.accounts_receivable),
                ),
                "AR",
                width,
            ),
        ],
        (
            "Total Current Assets",
            &series(|s| s.bank + s.accounts_receivable),
        ),
        "CurrentAssets",
        width,
    );
    let fixed = section(
        Some("Fixed Assets"),
        vec![data_row(
            "Office Equipment",
            "37",
            &series(|s| s.fixed_assets),
        )],
        ("Total Fixed Assets", &series(|s| s.fixed_assets)),
        "FixedAssets",
        width,
    );
    let liabilities = section(
        Some("Liabilities"),
        vec![section(
            Some("Current Liabilities"),
            vec![
                section(
                    Some("Accounts Payable"),
                    vec![data_row(
                        "Accounts Payable (A/P)",
                        "33",
                        &series(|s| s.accounts_payable),
                    )],
                    ("Total Accounts Payable", &series(|s| s.accounts_payable)),
                    "AP",
                    width,
                ),
                section(
                    Some("Other Current Liabilities"),
                    vec![data_row(tax, "89", &series(|s| s.sales_tax))],
                    ("Total Other Current Liabilities", &series(|s| s.sales_tax)),
                    "OtherCurrentLiabilities",
                    width,
                ),
            ],
            (
                "Total Current Liabilities",
                &series(|s| s.total_liabilities),
            ),
            "CurrentLiabilities",
            width,
        )],
        ("Total Liabilities", &series(|s| s.total_liabilities)),
        "Liabilities",
        width,
    );
    let equity = section(
        Some("Equity"),
        vec![
            data_row("Retained Earnings", "2", &series(|s| s.retained_earnings)),
            json!({ "ColData": col_data("Net Income", None, &series(|s| s.current_year_earnings)), "type": "Data" }),
        ],
        ("Total Equity", &series(|s| s.total_equity)),
        "Equity",
        width,
    );
    let rows = vec![
        section(
            Some("ASSETS"),
            vec![current_assets, fixed],
            ("TOTAL ASSETS", &series(|s| s.total_assets)),
            "TotalAssets",
            width,
        ),
        section(
            Some("LIABILITIES AND EQUITY"),
            vec![liabilities, equity],
            (
                "TOTAL LIABILITIES AND EQUITY",
                &series(|s| s.total_liabilities + s.total_equity),
            ),
            "TotalLiabilitiesAndEquity",
            width,
        ),
    ];
    json!({
        "Header": report_header(books, "BalanceSheet", start, end, by_month, now),
        "Columns": columns(&periods, by_month, false),
        "Rows": { "Row": rows },
    })
}

async fn admin_fault(shared: web::Data<Shared>, body: web::Json<FaultRequest>) -> HttpResponse {
    shared.faults.push_request(body.into_inner());
    HttpResponse::NoContent().finish()
}

async fn admin_revoke_all(shared: web::Data<Shared>) -> HttpResponse {
    for grant in &mut shared.lock().grants {
        grant.revoked = true;
    }
    HttpResponse::NoContent().finish()
}

async fn admin_expire(shared: web::Data<Shared>) -> HttpResponse {
    let now = shared.clock.now();
    for (_, expires) in shared.lock().access_tokens.values_mut() {
        *expires = (*expires).min(now);
    }
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn admin_advance(shared: web::Data<Shared>, body: web::Json<Advance>) -> HttpResponse {
    shared.clock.advance(Duration::from_secs(body.seconds));
    HttpResponse::NoContent().finish()
}

async fn admin_counters(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(shared.lock().counters.clone())
}

async fn admin_books(realm: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    match shared.books.get(realm.as_str()) {
        Some(books) => HttpResponse::Ok().json(crate::books::summary(books)),
        None => HttpResponse::NotFound().finish(),
    }
}
