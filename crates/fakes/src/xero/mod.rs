//! A fake of Xero: its identity service (OAuth 2.0 authorization code flow with PKCE,
//! tokens, connections) and the parts of the Accounting API Spendlens reads.
//!
//! Sources, all public:
//! - OAuth 2.0 authorization code flow, PKCE, scopes, token and refresh answers, token
//!   lifetimes (access 30 minutes; refresh tokens rotate on use and expire after 60 days
//!   unused), revocation: developer.xero.com/documentation/guides/oauth2/auth-flow,
//!   …/oauth2/pkce-flow, …/oauth2/scopes, …/oauth2/token-types and the OAuth 2.0 FAQ; the
//!   30-minute grace period in which a rotated refresh token may be used again is from
//!   Xero staff's answer on community.xero.com/developer/discussion/105714701.
//! - `/connections` (and `DELETE /connections/{id}`), `authEventId`, tenant fields:
//!   `xero-identity.yaml` in github.com/XeroAPI/Xero-OpenAPI (version 16.1.0).
//! - The Accounting API paths, parameters and answer shapes (`Reports/ProfitAndLoss`,
//!   `Reports/BalanceSheet`, `Organisation`, `Accounts`, `Contacts`, `Invoices`,
//!   `Payments`; the envelope `Id`,
//!   `Status`, `ProviderName`, `DateTimeUTC`, `pagination`; `/Date(…)/` dates; the
//!   `xero-tenant-id` header; the report rows `Header`/`Section`/`Row`/`SummaryRow`):
//!   `xero_accounting.yaml` in the same repository, and
//!   developer.xero.com/documentation/api/accounting/{invoices,contacts,payments,reports,
//!   organisation,accounts}.
//! - Rate limits (per organisation: 5 calls in flight, 60 a minute, 5,000 a day; per
//!   app: 10,000 a minute; `X-DayLimit-Remaining`, `X-MinLimit-Remaining`,
//!   `X-AppMinLimit-Remaining` on every answer; `429` with `Retry-After` and
//!   `X-Rate-Limit-Problem`): developer.xero.com/documentation/guides/oauth2/limits and
//!   developer.xero.com/faq/limits.
//! - Error answers (`401` `{"Type":null,"Title":"Unauthorized","Status":401,"Detail":
//!   "TokenExpired: …"}`, `403` for a tenant not connected, `invalid_grant`):
//!   developer.xero.com/documentation/guides/oauth2/troubleshooting and
//!   developer.xero.com/documentation/api/accounting/responsecodes.
//!
//! Where the documentation is silent the fake says so in a comment and picks the strict
//! reading. It has one signed-in user (`demo@xero.example`), so every grant of an app
//! shares that user's connections, as on Xero.

mod api;
mod auth;
mod reports;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::books::{Books, derived_uuid};
use crate::faults::Faults;
use crate::limits::{InFlight, Window};
use crate::{Clock, Fault, FaultTarget, Running};

/// One Xero organisation (tenant) the fake's user can connect.
#[derive(Clone, Debug)]
pub struct Organisation {
    pub tenant_id: Uuid,
    pub name: String,
    pub base_currency: String,
}

impl Organisation {
    /// An organisation whose tenant id is derived from its name.
    pub fn new(name: &str, base_currency: &str) -> Self {
        Self {
            tenant_id: derived_uuid(&[b"xero-tenant", name.as_bytes()]),
            name: name.to_owned(),
            base_currency: base_currency.to_owned(),
        }
    }
}

/// Xero's documented limits; tests shrink them.
#[derive(Clone, Copy, Debug)]
pub struct XeroLimits {
    /// Calls in progress at once, per organisation.
    pub concurrent: u32,
    /// Calls per `minute`, per organisation.
    pub per_minute: u32,
    /// Calls per `day`, per organisation.
    pub per_day: u32,
    /// Calls per `minute` across all organisations, per app.
    pub app_per_minute: u32,
    pub minute: Duration,
    pub day: Duration,
}

impl Default for XeroLimits {
    fn default() -> Self {
        Self {
            concurrent: 5,
            per_minute: 60,
            per_day: 5000,
            app_per_minute: 10_000,
            minute: Duration::from_secs(60),
            day: Duration::from_secs(24 * 60 * 60),
        }
    }
}

#[derive(Clone, Debug)]
pub struct XeroConfig {
    /// The registered app's credentials.
    pub client_id: String,
    pub client_secret: String,
    /// The app's registered redirect URIs; `redirect_uri` must be one of them exactly.
    pub redirect_uris: Vec<String>,
    /// The app's name, shown on the consent page and answered as `ProviderName`.
    pub app_name: String,
    pub organisations: Vec<Organisation>,
    /// Xero: 30 minutes.
    pub access_token_lifetime: Duration,
    /// Xero: a refresh token not used for 60 days expires.
    pub refresh_token_lifetime: Duration,
    /// How long a refresh token already used still works again (Xero: 30 minutes; zero
    /// for strict rotation).
    pub refresh_token_grace: Duration,
    /// How long an authorization code can be exchanged (Xero: 5 minutes).
    pub code_lifetime: Duration,
    pub limits: XeroLimits,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl XeroConfig {
    /// An app with Xero's documented lifetimes and limits, and three organisations (one
    /// in pounds, one in New Zealand dollars, one in Australian dollars).
    pub fn new(client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
            app_name: "Spendlens".to_owned(),
            organisations: vec![
                Organisation::new("Demo Company (UK)", "GBP"),
                Organisation::new("Kiwi Coffee Roasters Ltd", "NZD"),
                Organisation::new("Harbour Bridge Traders Pty Ltd", "AUD"),
            ],
            access_token_lifetime: Duration::from_secs(30 * 60),
            refresh_token_lifetime: Duration::from_secs(60 * 24 * 60 * 60),
            refresh_token_grace: Duration::from_secs(30 * 60),
            code_lifetime: Duration::from_secs(5 * 60),
            limits: XeroLimits::default(),
            port: 0,
        }
    }
}

/// What happened, for tests to assert on.
#[derive(Clone, Debug, Default, Serialize)]
pub struct XeroCounters {
    /// Codes issued by the consent page.
    pub authorization_codes: u64,
    /// Successful `authorization_code` exchanges.
    pub code_exchanges: u64,
    /// Successful `refresh_token` grants.
    pub token_refreshes: u64,
    /// Token endpoint answers other than 200.
    pub token_errors: u64,
    /// Requests per endpoint, e.g. `"Invoices"`, `"connections"`, `"token"`.
    pub calls: BTreeMap<String, u64>,
    /// The most calls ever in flight at once for one organisation.
    pub max_in_flight: u32,
    /// `429` answers, in all.
    pub rate_limited: u64,
    /// `429` answers by `X-Rate-Limit-Problem` (`minute`, `daily`, `concurrent`,
    /// `appminute`).
    pub rate_limited_by: BTreeMap<String, u64>,
}

#[derive(Clone, Debug)]
pub(crate) struct Connection {
    pub(crate) id: Uuid,
    pub(crate) client_id: String,
    pub(crate) tenant_id: Uuid,
    pub(crate) auth_event_id: Uuid,
    pub(crate) created: DateTime<Utc>,
    pub(crate) updated: DateTime<Utc>,
}

/// An authorization request shown on the consent page, waiting for the user.
#[derive(Clone, Debug)]
pub(crate) struct PendingAuthorization {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) state: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) created: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub(crate) struct AuthorizationCode {
    pub(crate) request: PendingAuthorization,
    pub(crate) auth_event_id: Uuid,
    pub(crate) issued: DateTime<Utc>,
}

/// What one authorization granted: its tokens all point here.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    pub(crate) scope: String,
    pub(crate) auth_event_id: Uuid,
    pub(crate) revoked: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct AccessToken {
    pub(crate) grant: Uuid,
    pub(crate) expires: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub(crate) struct RefreshToken {
    pub(crate) grant: Uuid,
    pub(crate) expires: DateTime<Utc>,
    /// The token that replaced this one, and when.
    pub(crate) rotated: Option<(String, DateTime<Utc>)>,
}

#[derive(Debug)]
pub(crate) struct TenantLimits {
    pub(crate) minute: Window,
    pub(crate) day: Window,
    pub(crate) in_flight: InFlight,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) pending: HashMap<String, PendingAuthorization>,
    pub(crate) codes: HashMap<String, AuthorizationCode>,
    pub(crate) grants: HashMap<Uuid, Grant>,
    pub(crate) access_tokens: HashMap<String, AccessToken>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    /// The user's connections, across apps.
    pub(crate) connections: Vec<Connection>,
    pub(crate) tenant_limits: HashMap<Uuid, TenantLimits>,
    pub(crate) app_minute: Window,
    pub(crate) counters: XeroCounters,
}

impl State {
    fn new(limits: &XeroLimits) -> Self {
        Self {
            pending: HashMap::new(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            connections: Vec::new(),
            tenant_limits: HashMap::new(),
            app_minute: Window::new(limits.app_per_minute, limits.minute),
            counters: XeroCounters::default(),
        }
    }

    pub(crate) fn count_call(&mut self, endpoint: &str) {
        *self.counters.calls.entry(endpoint.to_owned()).or_default() += 1;
    }
}

pub(crate) struct Shared {
    pub(crate) config: XeroConfig,
    pub(crate) clock: Clock,
    pub(crate) faults: Faults,
    pub(crate) books: HashMap<Uuid, Books>,
    pub(crate) state: Mutex<State>,
}

impl Shared {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("xero state lock")
    }

    pub(crate) fn organisation(&self, tenant_id: Uuid) -> Option<&Organisation> {
        self.config
            .organisations
            .iter()
            .find(|organisation| organisation.tenant_id == tenant_id)
    }
}

/// A running fake Xero. Dropping it stops the server.
pub struct FakeXero {
    running: Running,
    shared: Arc<Shared>,
}

impl FakeXero {
    /// Starts the fake on 127.0.0.1 on the current tokio runtime, with books made as of
    /// today (by the fake's clock).
    pub fn start(config: XeroConfig) -> std::io::Result<Self> {
        let clock = Clock::new();
        let today = clock.now().date_naive();
        let books = config
            .organisations
            .iter()
            .map(|organisation| {
                let books = Books::generate(
                    &organisation.tenant_id.to_string(),
                    &organisation.name,
                    &organisation.base_currency,
                    today,
                );
                (organisation.tenant_id, books)
            })
            .collect();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(&config.limits)),
            config,
            clock,
            faults: Faults::default(),
            books,
        });
        let data = web::Data::from(shared.clone());
        let running = Running::spawn(shared.config.port, move |listener| {
            Ok(HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .configure(auth::routes)
                    .configure(api::routes)
            })
            .workers(2)
            .disable_signals()
            .listen(listener)?
            .run())
        })?;
        Ok(Self { running, shared })
    }

    /// `http://127.0.0.1:<port>`: the API base (`/connections`, `/api.xro/2.0/…`).
    pub fn base_url(&self) -> &str {
        self.running.base_url()
    }

    /// `SPENDLENS_XERO_AUTHORIZE_URL`.
    pub fn authorize_url(&self) -> String {
        format!("{}/identity/connect/authorize", self.base_url())
    }

    /// `SPENDLENS_XERO_TOKEN_URL`.
    pub fn token_url(&self) -> String {
        format!("{}/connect/token", self.base_url())
    }

    pub fn revocation_url(&self) -> String {
        format!("{}/connect/revocation", self.base_url())
    }

    pub fn config(&self) -> &XeroConfig {
        &self.shared.config
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    pub fn organisations(&self) -> &[Organisation] {
        &self.shared.config.organisations
    }

    /// The books behind `tenant_id`'s answers.
    pub fn books(&self, tenant_id: Uuid) -> Option<&Books> {
        self.shared.books.get(&tenant_id)
    }

    pub fn counters(&self) -> XeroCounters {
        self.shared.lock().counters.clone()
    }

    /// The next `times` calls to `target` fail with `fault`.
    pub fn inject(&self, target: FaultTarget, fault: Fault, times: usize) {
        self.shared.faults.push(target, fault, times);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// As if the user disconnected the app everywhere: every grant is revoked (refresh
    /// answers `invalid_grant`, access tokens are refused) and its connections removed.
    pub fn revoke_all_tokens(&self) {
        auth::revoke_all(&self.shared);
    }

    /// Every access token issued so far expires now.
    pub fn expire_access_tokens(&self) {
        let now = self.shared.clock.now();
        for token in self.shared.lock().access_tokens.values_mut() {
            token.expires = token.expires.min(now);
        }
    }

    /// Forgets the calls counted against the rate limits (not the counters).
    pub fn reset_limits(&self) {
        let mut state = self.shared.lock();
        state
            .tenant_limits
            .retain(|_, limits| limits.in_flight.now > 0);
        state.app_minute = Window::new(
            self.shared.config.limits.app_per_minute,
            self.shared.config.limits.minute,
        );
    }

    /// Stops the server and waits until it has.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}
