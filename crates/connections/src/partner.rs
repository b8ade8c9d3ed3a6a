//! The data partner (the `http` provider's upstream): connecting a company through it.
//!
//! The contract is `docs/upstream-http-provider.md`. The customer picks their software
//! among the partner's enabled integrations ([`Partner::integrations`]); the company is
//! created at the partner once (a reconnection reuses it), a connection to that software
//! is created, and the customer goes to the partner's link page
//! ([`Partner::start`]). The consent link stays unused while the partner says
//! `PendingAuth`; [`Partner::follow`] — from the page the partner sends the customer
//! back to, and from a worker's sweep ([`Partner::follow_pending`]) for customers who
//! never come back — uses it up once the partner says `Linked`, queuing the first
//! fetch in the same transaction.
//!
//! The API key is sent as `Authorization: Basic …` and never appears in an error or a
//! log line; the link token only travels in the URL the customer's browser is sent to.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use domain::{CompanyId, ErrorCode};
use providers::{FetchError, UpstreamCompanies, UpstreamIdFuture};
use reqwest::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use store::{ConsentRefused, ConsentView, PartnerLinkState, PendingPartnerLink, RequestStatus};
use tokio::sync::Mutex;

/// How long the list of integrations is reused before it is asked for again.
const INTEGRATIONS_TTL: Duration = Duration::from_secs(600);
/// The largest answer read from the partner's platform API (a runaway upstream).
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Pages of integrations read at most.
const MAX_INTEGRATION_PAGES: u32 = 20;
/// The custom redirect parameter the partner substitutes in its redirect URL.
pub const LINK_PARAMETER: &str = "spendlens_link";

/// How to reach the partner.
#[derive(Clone)]
pub struct PartnerSettings {
    pub base_url: String,
    /// Sent as `Authorization: Basic <api_key>`.
    pub api_key: String,
}

impl std::fmt::Debug for PartnerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &"[redacted]")
            .finish()
    }
}

/// Accounting software the partner can connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// The partner's `platformKey`.
    pub key: String,
    pub name: String,
}

/// Where a customer's linking stands after [`Partner::follow`].
#[derive(Debug)]
pub enum PartnerProgress {
    /// Linked: the link is used up and the first fetch queued (`first_job`), now or by
    /// an earlier call.
    Linked {
        view: Box<ConsentView>,
        platform_name: String,
        first_job: bool,
    },
    /// The partner still waits for the customer.
    Pending {
        view: Box<ConsentView>,
        platform_name: String,
    },
}

/// Why connecting through the partner failed. Messages are for the customer and name no
/// secret.
#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error("That accounting software is not offered here.")]
    UnknownIntegration,
    #[error(
        "Our data partner did not complete the connection ({0}). Open the link in your email and try again."
    )]
    Upstream(String),
    #[error(
        "This connection attempt is not known. Open the link in your email and choose your software again."
    )]
    NotStarted,
    #[error(transparent)]
    Link(ConsentRefused),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<ConsentRefused> for PartnerError {
    fn from(refused: ConsentRefused) -> Self {
        match refused {
            ConsentRefused::Database(err) => PartnerError::Database(err),
            other => PartnerError::Link(other),
        }
    }
}

/// The data partner, configured.
#[derive(Clone)]
pub struct Partner {
    inner: Arc<Inner>,
}

struct Inner {
    store: store::Store,
    settings: PartnerSettings,
    http: reqwest::Client,
    integrations: Mutex<Option<(Instant, Arc<Vec<Integration>>)>>,
}

#[derive(Deserialize)]
struct Page<T> {
    results: Vec<T>,
    #[serde(rename = "_links", default)]
    links: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntegrationBody {
    key: String,
    name: String,
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    source_type: Option<String>,
}

#[derive(Deserialize)]
struct CompanyBody {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionBody {
    id: String,
    #[serde(default)]
    platform_name: Option<String>,
    #[serde(default)]
    link_url: Option<String>,
    status: String,
}

#[derive(Serialize)]
struct NewCompany<'a> {
    name: &'a str,
    description: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewConnection<'a> {
    platform_key: &'a str,
}

/// An id the partner answered, checked before it goes into a URL path or the database.
fn upstream_id(id: String) -> Result<String, PartnerError> {
    let valid = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(id)
    } else {
        Err(PartnerError::Upstream("an id that is not one".to_owned()))
    }
}

/// A name the partner answered that can be shown and stored: one line of text, at most
/// 200 bytes (a NUL or other control character is refused, as PostgreSQL would).
fn shown_name(name: &str) -> bool {
    !name.trim().is_empty() && name.len() <= 200 && !name.chars().any(char::is_control)
}

impl Partner {
    pub fn new(store: store::Store, settings: PartnerSettings) -> Result<Self, reqwest::Error> {
        // reqwest is built without a TLS provider of its own (the root Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                settings,
                http,
                integrations: Mutex::new(None),
            }),
        })
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.inner.settings.base_url.trim_end_matches('/')
        )
    }

    /// Sends a request to the partner and reads its JSON answer: `Ok(None)` for a 404.
    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<T>, PartnerError> {
        let response = request
            .header(
                header::AUTHORIZATION,
                format!("Basic {}", self.inner.settings.api_key),
            )
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| {
                PartnerError::Upstream(if e.is_timeout() {
                    "no answer in time".to_owned()
                } else {
                    "it could not be reached".to_owned()
                })
            })?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(PartnerError::Upstream("an answer too large".to_owned()));
        }
        let body = response
            .bytes()
            .await
            .map_err(|_| PartnerError::Upstream("an answer cut short".to_owned()))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(PartnerError::Upstream("an answer too large".to_owned()));
        }
        if !status.is_success() {
            // Its correlation id helps the partner's support; nothing else is echoed.
            let correlation = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("correlationId")?.as_str().map(str::to_owned))
                .filter(|id| {
                    id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            return Err(PartnerError::Upstream(match correlation {
                Some(id) => format!("HTTP {}, correlation id {id}", status.as_u16()),
                None => format!("HTTP {}", status.as_u16()),
            }));
        }
        serde_json::from_slice(&body).map(Some).map_err(|_| {
            PartnerError::Upstream("an answer that is not what it documents".to_owned())
        })
    }

    /// The accounting software the partner can connect now (enabled, of the accounting
    /// kind), asked for at most every ten minutes.
    pub async fn integrations(&self) -> Result<Arc<Vec<Integration>>, PartnerError> {
        let mut cached = self.inner.integrations.lock().await;
        if let Some((at, list)) = cached.as_ref()
            && at.elapsed() < INTEGRATIONS_TTL
        {
            return Ok(list.clone());
        }
        let mut list = Vec::new();
        for page in 1..=MAX_INTEGRATION_PAGES {
            let url = self.url(&format!(
                "/config/integrations?page={page}&pageSize=100&query=enabled%3Dtrue"
            ));
            let body: Page<IntegrationBody> = self
                .call(self.inner.http.get(url))
                .await?
                .ok_or_else(|| PartnerError::Upstream("HTTP 404".to_owned()))?;
            let count = body.results.len();
            list.extend(
                body.results
                    .into_iter()
                    .filter(|i| i.enabled && i.source_type.as_deref() == Some("Accounting"))
                    .filter(|i| upstream_id(i.key.clone()).is_ok() && shown_name(&i.name))
                    .map(|i| Integration {
                        key: i.key,
                        name: i.name.trim().to_owned(),
                    }),
            );
            let next = body.links.as_ref().and_then(|l| l.get("next")).is_some();
            if count < 100 || !next {
                break;
            }
        }
        let list = Arc::new(list);
        *cached = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// Sends the customer behind `view` to link `integration_key` at the partner:
    /// answers the URL of the partner's link page, which brings them back to
    /// `/connect/{link_token}/done`.
    pub async fn start(
        &self,
        view: &ConsentView,
        integration_key: &str,
        link_token: &str,
    ) -> Result<String, PartnerError> {
        let integrations = self.integrations().await?;
        let integration = integrations
            .iter()
            .find(|i| i.key == integration_key)
            .ok_or(PartnerError::UnknownIntegration)?;
        let company = CompanyId::from_uuid(view.company.id);
        let known = self.inner.store.partner_link(company).await?;
        let mut upstream_company = match known {
            Some(link) => link.upstream_company_id,
            None => self.create_company(view).await?,
        };
        let connection = match self
            .create_connection(&upstream_company, integration)
            .await?
        {
            Some(connection) => connection,
            None => {
                // The partner no longer knows the company (deleted there): a new one.
                upstream_company = self.create_company(view).await?;
                self.create_connection(&upstream_company, integration)
                    .await?
                    .ok_or_else(|| PartnerError::Upstream("HTTP 404".to_owned()))?
            }
        };
        let mut link = connection
            .link_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| PartnerError::Upstream("no link page".to_owned()))?;
        link.query_pairs_mut()
            .append_pair(LINK_PARAMETER, link_token);
        self.inner
            .store
            .begin_partner_link(
                &view.request,
                PendingPartnerLink {
                    upstream_company_id: upstream_company,
                    upstream_connection_id: upstream_id(connection.id)?,
                    integration_key: integration.key.clone(),
                    platform_name: connection
                        .platform_name
                        .filter(|n| shown_name(n))
                        .unwrap_or_else(|| integration.name.clone()),
                },
            )
            .await?;
        Ok(link.to_string())
    }

    async fn create_company(&self, view: &ConsentView) -> Result<String, PartnerError> {
        let body: CompanyBody = self
            .call(
                self.inner
                    .http
                    .post(self.url("/companies"))
                    .json(&NewCompany {
                        name: &view.company.name,
                        description: format!("Spendlens company {}", view.company.id),
                    }),
            )
            .await?
            .ok_or_else(|| PartnerError::Upstream("HTTP 404".to_owned()))?;
        upstream_id(body.id)
    }

    async fn create_connection(
        &self,
        upstream_company: &str,
        integration: &Integration,
    ) -> Result<Option<ConnectionBody>, PartnerError> {
        self.call(
            self.inner
                .http
                .post(self.url(&format!("/companies/{upstream_company}/connections")))
                .json(&NewConnection {
                    platform_key: &integration.key,
                }),
        )
        .await
    }

    /// Asks the partner about the connection the customer behind `token_hash` is
    /// linking, and grants the request once it is `Linked`.
    pub async fn follow(&self, token_hash: &str) -> Result<PartnerProgress, PartnerError> {
        let store = &self.inner.store;
        let view = store
            .consent_view(token_hash)
            .await?
            .ok_or(PartnerError::Link(ConsentRefused::NotFound))?;
        let company = CompanyId::from_uuid(view.company.id);
        let link = store
            .partner_link(company)
            .await?
            .ok_or(PartnerError::NotStarted)?;
        let platform_name = link.platform_name.clone().unwrap_or_default();
        if view.request.status == RequestStatus::Granted
            && link.state == PartnerLinkState::Linked
            && view.company.platform.as_deref() == Some(store::PARTNER_PLATFORM)
        {
            // Already linked (the sweep, or an earlier visit of the page).
            return Ok(PartnerProgress::Linked {
                view: Box::new(view),
                platform_name,
                first_job: false,
            });
        }
        // Says why the link cannot be used, if it cannot.
        let view = store.usable_consent(token_hash).await?;
        let connection_id = match (
            &link.state,
            link.information_request_id,
            &link.upstream_connection_id,
        ) {
            (PartnerLinkState::Pending, Some(request), Some(id)) if request == view.request.id => {
                id.clone()
            }
            _ => return Err(PartnerError::NotStarted),
        };
        let connection: ConnectionBody = self
            .call(self.inner.http.get(self.url(&format!(
                "/companies/{}/connections/{connection_id}",
                link.upstream_company_id
            ))))
            .await?
            .ok_or_else(|| PartnerError::Upstream("the connection is gone".to_owned()))?;
        match connection.status.as_str() {
            "Linked" => match store.grant_partner_consent(token_hash).await {
                Ok((view, job)) => Ok(PartnerProgress::Linked {
                    view: Box::new(view),
                    platform_name,
                    first_job: job.is_some(),
                }),
                // Another process granted it a moment ago.
                Err(ConsentRefused::Used { .. }) => Box::pin(self.follow(token_hash)).await,
                Err(other) => Err(other.into()),
            },
            "PendingAuth" => {
                store
                    .partner_link_checked(link.id, PartnerLinkState::Pending)
                    .await?;
                Ok(PartnerProgress::Pending {
                    view: Box::new(view),
                    platform_name,
                })
            }
            other => {
                store
                    .partner_link_checked(link.id, PartnerLinkState::Failed)
                    .await?;
                Err(PartnerError::Upstream(match other {
                    "Deauthorized" => "access was withdrawn".to_owned(),
                    "Unlinked" => "the connection was removed".to_owned(),
                    _ => "an unknown connection status".to_owned(),
                }))
            }
        }
    }

    /// The customer cancelled at the partner's page: the request is declined, as Exit
    /// without granting is, and the company shows `customer_declined`.
    pub async fn cancelled(&self, token_hash: &str) -> Result<ConsentView, PartnerError> {
        let view = self.inner.store.decline_consent(token_hash).await?;
        if let Some(link) = self
            .inner
            .store
            .partner_link(CompanyId::from_uuid(view.company.id))
            .await?
        {
            self.inner
                .store
                .partner_link_checked(link.id, PartnerLinkState::Failed)
                .await?;
        }
        Ok(view)
    }

    /// The sweep: asks the partner about up to `limit` links still pending (each at
    /// most once a minute) and grants the linked ones. Answers how many it granted with
    /// a first job queued.
    pub async fn follow_pending(&self, limit: u64) -> Result<usize, sea_orm::DbErr> {
        let before = self.inner.store.now() - chrono::TimeDelta::minutes(1);
        let due = self
            .inner
            .store
            .partner_links_to_follow(before, limit)
            .await?;
        let mut queued = 0;
        for (link, token_hash) in due {
            match self.follow(&token_hash).await {
                Ok(PartnerProgress::Linked { first_job, .. }) => queued += usize::from(first_job),
                Ok(PartnerProgress::Pending { .. }) => {}
                Err(PartnerError::Database(err)) => return Err(err),
                Err(err) => {
                    tracing::warn!(partner_link = %link.id, error = %err, "following a data partner connection failed");
                }
            }
        }
        Ok(queued)
    }
}

impl UpstreamCompanies for Partner {
    fn upstream_id(&self, company: CompanyId) -> UpstreamIdFuture<'_> {
        Box::pin(async move {
            match self.inner.store.partner_link(company).await {
                Ok(Some(link)) => Ok(link.upstream_company_id),
                Ok(None) => Err(FetchError::permanent(
                    ErrorCode::AccessRevoked,
                    "This company was never connected through our data partner. Send a new information request.",
                )),
                Err(err) => {
                    tracing::error!(error = %err, "reading a company's partner link failed");
                    Err(FetchError::transient(
                        ErrorCode::ProviderUnavailable,
                        "The company's connection could not be read. It will be tried again.",
                    ))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{shown_name, upstream_id};

    #[test]
    fn what_the_partner_answers_is_checked_before_it_is_shown_or_stored() {
        assert!(shown_name("Sage Accounting"));
        for bad in [
            "",
            "  ",
            "Sage\0Accounting",
            "Sage\nAccounting",
            &"x".repeat(201),
        ] {
            assert!(!shown_name(bad), "{bad:?}");
        }
        assert!(upstream_id("8a210b68-6988-11ed-a1eb-0242ac120002".to_owned()).is_ok());
        for bad in ["", "../companies", "a\0b", "a b", &"x".repeat(129)] {
            assert!(upstream_id(bad.to_owned()).is_err(), "{bad:?}");
        }
    }
}
