//! A fake of the data partner: an accounting-data API in the public shape of Codat's
//! Platform and Accounting APIs, as `docs/upstream-http-provider.md` uses it. Spendlens
//! creates a company there, a connection to the customer's accounting software, sends the
//! customer to the connection's hosted link, and reads the company's data once the
//! connection is `Linked`.
//!
//! Sources, all public:
//! - Codat's OpenAPI documents (github.com/codatio/oas, `Codat-Platform.yaml` and
//!   `Codat-Lending.yaml`): `Company`, `Connection`, `Integration`, `PagingInfo` (`page`
//!   from 1, `pageSize` 100 by default and at most 5,000, `_links` `self`/`current`/
//!   `next`/`previous`), `ErrorMessage` (`statusCode`, `service`, `error`,
//!   `correlationId`, `validation`, `canBeRetried`, `detailedErrorCode`), the `Conflict`
//!   answer ("The data set has not been requested", also "still syncing"), the
//!   suppliers, bills, bill payments, profit and loss and balance sheet shapes and
//!   examples (reports newest first, amounts as numbers, dates `2023-03-31T00:00:00`).
//! - docs.codat.io (github.com/codatio/codat-docs): `using-the-api/authentication`
//!   (`Authorization: Basic <the API key, base64>`), `…/paging`, `…/errors` (409: the
//!   data set has not been requested or has not finished syncing), `…/rate-limits`
//!   (1,000 × (1 + active connected companies) requests a day, reset at 00:00 UTC; 10
//!   requests in flight per connected company; 1,000 a minute per IP address; `429` with
//!   `Retry-After`; `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset`
//!   on every answer), `core-concepts/companies` (forbidden characters are removed from
//!   company names), `core-concepts/connections` (the four statuses; data already read
//!   stays readable after `Deauthorized` or `Unlinked`), `auth-flow/customize/
//!   set-up-redirects` (the redirect URL's reserved and custom `{parameters}`, custom ones
//!   taken from the link URL's query and empty when missing; status codes 200, 201
//!   (already linked), 403 with "User cancelled"), and `integrations/{accounting,
//!   banking}/overview` (platform keys).
//!
//! Where the documentation is silent the fake says so in a comment and picks a reading.
//! One API key; companies are created by the client, each with deterministic books
//! ([`Books`]) seeded by its id.

mod api;
mod data;
mod link;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::books::{Books, derived_uuid};
use crate::faults::Faults;
use crate::limits::{InFlight, Window};
use crate::{Clock, Fault, FaultTarget, Running};

/// One piece of software the partner can connect (`GET /config/integrations`).
#[derive(Clone, Debug)]
pub struct Integration {
    /// Codat's four-letter platform key, e.g. `gbol` for Xero.
    pub key: String,
    pub name: String,
    /// `Accounting`, `Banking`, `Commerce`, …
    pub source_type: String,
    /// Offered to customers at all (the client's portal setting).
    pub enabled: bool,
    /// Software installed on the customer's computer (QuickBooks Desktop, Sage 50).
    pub is_offline_connector: bool,
}

impl Integration {
    /// An enabled, online integration.
    pub fn new(key: &str, name: &str, source_type: &str) -> Self {
        Self {
            key: key.to_owned(),
            name: name.to_owned(),
            source_type: source_type.to_owned(),
            enabled: true,
            is_offline_connector: false,
        }
    }

    /// Codat's id of the integration, stable per key.
    pub fn integration_id(&self) -> Uuid {
        derived_uuid(&[b"partner-integration", self.key.as_bytes()])
    }

    /// Codat's id of the data source behind the integration, stable per key.
    pub fn source_id(&self) -> Uuid {
        derived_uuid(&[b"partner-source", self.key.as_bytes()])
    }
}

/// The integrations a client typically has: six accounting packages (keys from Codat's
/// platform key lists), an offline one switched off, and two banking sources, so that a
/// client has to filter on `enabled` and `sourceType`.
pub fn default_integrations() -> Vec<Integration> {
    let offline = Integration {
        enabled: false,
        is_offline_connector: true,
        ..Integration::new("pqsw", "QuickBooks Desktop", "Accounting")
    };
    vec![
        Integration::new("tgff", "Sage Accounting", "Accounting"),
        Integration::new("fbrh", "FreeAgent", "Accounting"),
        Integration::new("pbbf", "Exact (UK)", "Accounting"),
        Integration::new("gbol", "Xero", "Accounting"),
        Integration::new("qhyg", "QuickBooks Online", "Accounting"),
        Integration::new("pdvj", "MYOB Business", "Accounting"),
        offline,
        Integration::new("suuo", "Plaid", "Banking"),
        Integration::new("upvr", "TrueLayer", "Banking"),
    ]
}

/// Codat's documented limits; tests shrink them.
#[derive(Clone, Copy, Debug)]
pub struct PartnerLimits {
    /// Requests a UTC day are `per_day_base × (1 + companies with a linked connection)`
    /// (Codat: 1,000).
    pub per_day_base: u32,
    /// Requests per `minute` (Codat: 1,000 a minute from one IP address; the fake has
    /// one client, so one window).
    pub per_minute: u32,
    pub minute: Duration,
    /// Requests in flight per company with a linked connection, at least one company's
    /// worth (Codat: 10).
    pub concurrent_per_company: u32,
}

impl Default for PartnerLimits {
    fn default() -> Self {
        Self {
            per_day_base: 1000,
            per_minute: 1000,
            minute: Duration::from_secs(60),
            concurrent_per_company: 10,
        }
    }
}

#[derive(Clone, Debug)]
pub struct PartnerConfig {
    /// The client's API key; requests send `Authorization: Basic <base64 of it>`.
    pub api_key: String,
    /// The hosted link's redirect URL as set in the partner's portal, with `{…}`
    /// parameters: reserved ones (`{statusCode}`, `{connectionId}`, `{companyId}`,
    /// `{errorMessage}`, …) and custom ones taken from the link URL's query (Spendlens:
    /// `{spendlens_link}`).
    pub redirect_url: String,
    /// The client's name, shown on the hosted link.
    pub client_name: String,
    pub integrations: Vec<Integration>,
    pub limits: PartnerLimits,
    /// How long after a connection is first linked its data is still syncing (`409`).
    pub first_sync: Duration,
    /// Codat documents no maximum for a company name; the fake refuses longer names
    /// (Spendlens's own limit).
    pub max_company_name_chars: usize,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl PartnerConfig {
    /// A client with Codat's documented limits, the [`default_integrations`] and data
    /// ready as soon as a connection is linked.
    pub fn new(api_key: &str, redirect_url: &str) -> Self {
        Self {
            api_key: api_key.to_owned(),
            redirect_url: redirect_url.to_owned(),
            client_name: "Spendlens".to_owned(),
            integrations: default_integrations(),
            limits: PartnerLimits::default(),
            first_sync: Duration::ZERO,
            max_company_name_chars: 200,
            port: 0,
        }
    }
}

/// Codat's data connection statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum ConnectionStatus {
    /// Created; the customer has not finished the hosted link.
    PendingAuth,
    Linked,
    /// The client gave up its access.
    Unlinked,
    /// The customer revoked access, or it expired.
    Deauthorized,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::PendingAuth => "PendingAuth",
            ConnectionStatus::Linked => "Linked",
            ConnectionStatus::Unlinked => "Unlinked",
            ConnectionStatus::Deauthorized => "Deauthorized",
        }
    }
}

/// A company as a test sees it.
#[derive(Clone, Debug)]
pub struct Company {
    pub id: Uuid,
    /// As stored: forbidden characters removed.
    pub name: String,
    pub description: String,
    pub connections: Vec<Connection>,
}

#[derive(Clone, Debug)]
pub struct Connection {
    pub id: Uuid,
    pub platform_key: String,
    pub platform_name: String,
    pub status: ConnectionStatus,
    pub link_url: String,
}

/// What happened, for tests to assert on.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PartnerCounters {
    pub companies_created: u64,
    pub connections_created: u64,
    /// "Authorize" on a hosted link (or [`FakePartner::link_connection`]).
    pub links_authorized: u64,
    /// "Cancel" on a hosted link.
    pub links_cancelled: u64,
    /// API requests (not the hosted link's pages), whatever their answer.
    pub requests: u64,
    /// Requests per endpoint, e.g. `"GET data/bills"`, `"POST companies"`, `"link"`.
    pub calls: BTreeMap<String, u64>,
    /// `401` answers.
    pub unauthorized: u64,
    /// `429` answers.
    pub rate_limited: u64,
    /// The most API requests ever in flight at once.
    pub max_in_flight: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct ConnectionRecord {
    pub(crate) id: Uuid,
    /// Index into the config's integrations.
    pub(crate) integration: usize,
    pub(crate) status: ConnectionStatus,
    pub(crate) created: DateTime<Utc>,
    /// The first time it was linked: data syncs from then.
    pub(crate) first_linked: Option<DateTime<Utc>>,
    pub(crate) last_sync: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub(crate) struct CompanyRecord {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) created: DateTime<Utc>,
    pub(crate) books: Arc<Books>,
    pub(crate) connections: Vec<ConnectionRecord>,
}

impl CompanyRecord {
    /// Counts towards Codat's limits as an "active connected company".
    pub(crate) fn is_connected(&self) -> bool {
        self.connections
            .iter()
            .any(|c| c.status == ConnectionStatus::Linked)
    }
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) companies: Vec<CompanyRecord>,
    pub(crate) minute: Window,
    /// Requests on one UTC day.
    pub(crate) day: (NaiveDate, u32),
    pub(crate) in_flight: InFlight,
    pub(crate) counters: PartnerCounters,
}

impl State {
    pub(crate) fn count_call(&mut self, endpoint: &str) {
        *self.counters.calls.entry(endpoint.to_owned()).or_default() += 1;
    }

    pub(crate) fn company(&self, id: Uuid) -> Option<&CompanyRecord> {
        self.companies.iter().find(|c| c.id == id)
    }

    pub(crate) fn company_mut(&mut self, id: Uuid) -> Option<&mut CompanyRecord> {
        self.companies.iter_mut().find(|c| c.id == id)
    }
}

pub(crate) struct Shared {
    pub(crate) config: PartnerConfig,
    pub(crate) clock: Clock,
    pub(crate) faults: Faults,
    pub(crate) state: Mutex<State>,
    /// Set once the server is bound: link URLs are absolute.
    pub(crate) base_url: Mutex<String>,
}

impl Shared {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("partner state lock")
    }

    pub(crate) fn base_url(&self) -> String {
        self.base_url.lock().expect("partner base url lock").clone()
    }

    pub(crate) fn link_url(&self, company: Uuid, connection: Uuid) -> String {
        format!(
            "{}/companies/{company}/connections/{connection}/start",
            self.base_url()
        )
    }

    /// Links `connection` as if the customer authorized it; `None` if there is no such
    /// connection, else whether it was linked already.
    pub(crate) fn link(&self, company: Uuid, connection: Uuid) -> Option<bool> {
        let now = self.clock.now();
        let mut state = self.lock();
        let record = state
            .company_mut(company)?
            .connections
            .iter_mut()
            .find(|c| c.id == connection)?;
        let was_linked = record.status == ConnectionStatus::Linked;
        record.status = ConnectionStatus::Linked;
        record.first_linked.get_or_insert(now);
        record.last_sync = Some(now);
        state.counters.links_authorized += 1;
        Some(was_linked)
    }

    /// Sets every connection of the company to `status`; false if there is no such
    /// company.
    pub(crate) fn set_status(&self, company: Uuid, status: ConnectionStatus) -> bool {
        let now = self.clock.now();
        let mut state = self.lock();
        let Some(company) = state.company_mut(company) else {
            return false;
        };
        for connection in &mut company.connections {
            connection.status = status;
            if status == ConnectionStatus::Linked {
                connection.first_linked.get_or_insert(now);
                connection.last_sync = Some(now);
            }
        }
        true
    }

    fn connection_view(&self, company: Uuid, record: &ConnectionRecord) -> Connection {
        let integration = &self.config.integrations[record.integration];
        Connection {
            id: record.id,
            platform_key: integration.key.clone(),
            platform_name: integration.name.clone(),
            status: record.status,
            link_url: self.link_url(company, record.id),
        }
    }
}

/// A running fake data partner. Dropping it stops the server.
pub struct FakePartner {
    running: Running,
    shared: Arc<Shared>,
}

impl FakePartner {
    /// Starts the fake on 127.0.0.1 on the current tokio runtime, with no companies.
    pub fn start(config: PartnerConfig) -> std::io::Result<Self> {
        let clock = Clock::new();
        let today = clock.now().date_naive();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                companies: Vec::new(),
                minute: Window::new(config.limits.per_minute, config.limits.minute),
                day: (today, 0),
                in_flight: InFlight::default(),
                counters: PartnerCounters::default(),
            }),
            config,
            clock,
            faults: Faults::default(),
            base_url: Mutex::new(String::new()),
        });
        let data = web::Data::from(shared.clone());
        let running = Running::spawn(shared.config.port, move |listener| {
            Ok(HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .configure(api::routes)
                    .configure(data::routes)
                    .configure(link::routes)
            })
            .workers(2)
            .disable_signals()
            .listen(listener)?
            .run())
        })?;
        *shared.base_url.lock().expect("partner base url lock") = running.base_url().to_owned();
        Ok(Self { running, shared })
    }

    /// `SPENDLENS_HTTP_BASE_URL`: `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        self.running.base_url()
    }

    /// `SPENDLENS_HTTP_API_KEY`: the API key base64-encoded, as it goes after `Basic `.
    pub fn encoded_api_key(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.shared.config.api_key)
    }

    pub fn config(&self) -> &PartnerConfig {
        &self.shared.config
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    pub fn counters(&self) -> PartnerCounters {
        self.shared.lock().counters.clone()
    }

    /// The next `times` API requests fail with `fault` ([`FaultTarget::Api`]; the
    /// partner has no token endpoint).
    pub fn inject(&self, target: FaultTarget, fault: Fault, times: usize) {
        self.shared.faults.push(target, fault, times);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Sets every connection of the company to `status` (`Deauthorized`: the customer
    /// revoked access at their software). False if there is no such company.
    pub fn set_connection_status(&self, company_id: Uuid, status: ConnectionStatus) -> bool {
        self.shared.set_status(company_id, status)
    }

    /// Links the connection as "Authorize" on its hosted link does, without a browser.
    /// False if there is no such connection.
    pub fn link_connection(&self, company_id: Uuid, connection_id: Uuid) -> bool {
        self.shared.link(company_id, connection_id).is_some()
    }

    /// Every company created so far, oldest first.
    pub fn companies(&self) -> Vec<Company> {
        let state = self.shared.lock();
        state
            .companies
            .iter()
            .map(|company| Company {
                id: company.id,
                name: company.name.clone(),
                description: company.description.clone(),
                connections: company
                    .connections
                    .iter()
                    .map(|c| self.shared.connection_view(company.id, c))
                    .collect(),
            })
            .collect()
    }

    /// The books behind the company's data.
    pub fn books(&self, company_id: Uuid) -> Option<Arc<Books>> {
        self.shared
            .lock()
            .company(company_id)
            .map(|c| c.books.clone())
    }

    /// Stops the server and waits until it has.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}
