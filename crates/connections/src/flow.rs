//! The authorization code flow: from a consent link to a stored connection.

use chrono::TimeDelta;
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{ConsentRefused, ConsentView, NewConnection, entities::oauth_authorizations};
use uuid::Uuid;

use crate::{Connector, OAuthPlatform, context, tokens::TokenSet};

/// How long a customer has on the platform's pages, and then to choose an organisation.
const AUTHORIZATION_TTL: TimeDelta = TimeDelta::minutes(30);

/// What the platform sent back to the callback.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    /// QuickBooks: the company the customer chose.
    #[serde(rename = "realmId")]
    pub realm_id: Option<String>,
}

/// An organisation the customer authorized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    pub name: String,
}

/// Where the callback leaves the customer.
#[derive(Debug)]
pub enum CallbackOutcome {
    /// Connected; the first fetch is queued.
    Connected {
        view: Box<ConsentView>,
        tenant: Tenant,
        first_job: bool,
    },
    /// The customer refused at the platform; the company shows `customer_declined`.
    Declined { view: Box<ConsentView> },
    /// Several organisations were authorized: the customer chooses with `choice`, a
    /// single-use key (not a secret of the platform's).
    Choose { choice: String },
}

/// A choice in progress.
#[derive(Debug)]
pub struct ChoiceView {
    pub view: ConsentView,
    pub platform: OAuthPlatform,
    pub tenants: Vec<Tenant>,
}

/// Why a step of the flow failed. Messages are for the customer and name no secret.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0} is not offered here")]
    NotConfigured(OAuthPlatform),
    #[error(
        "This connection attempt is unknown or was already finished. Open the link in your email again."
    )]
    UnknownState,
    #[error(transparent)]
    Link(ConsentRefused),
    #[error(
        "{platform} did not complete the connection ({reason}). Open the link in your email and try again."
    )]
    Platform {
        platform: OAuthPlatform,
        reason: String,
    },
    #[error("{0} authorized no organisation. Open the link in your email and try again.")]
    NoOrganisation(OAuthPlatform),
    #[error("That organisation was not among those you authorized.")]
    UnknownTenant,
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error("A stored secret could not be opened: {0}")]
    Vault(#[from] vault::VaultError),
}

impl From<ConsentRefused> for ConnectError {
    fn from(refused: ConsentRefused) -> Self {
        match refused {
            ConsentRefused::Database(err) => ConnectError::Database(err),
            other => ConnectError::Link(other),
        }
    }
}

fn hash(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Connector {
    /// Starts the flow for the customer behind `view`: answers the platform's authorize
    /// URL for their browser to follow.
    pub async fn authorize(
        &self,
        view: &ConsentView,
        platform: OAuthPlatform,
    ) -> Result<String, ConnectError> {
        let settings = self
            .settings(platform)
            .ok_or(ConnectError::NotConfigured(platform))?;
        let client = settings.client().map_err(|e| platform_error(platform, e))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for scope in platform.scopes() {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        let (url, state) = request.url();
        let id = Uuid::new_v4();
        let now = self.inner.store.now();
        self.inner
            .store
            .begin_authorization(oauth_authorizations::Model {
                id,
                organization_id: view.organization.id,
                information_request_id: view.request.id,
                platform: platform.id().to_owned(),
                state_hash: hash(state.secret()),
                pkce_verifier: self.inner.keys.seal(
                    verifier.secret(),
                    &context("oauth_authorizations.pkce_verifier", id),
                ),
                tokens: None,
                tenants: None,
                // Never past the link's own expiry.
                expires_at: (now + AUTHORIZATION_TTL).min(view.request.expires_at),
                created_at: now,
            })
            .await?;
        Ok(url.to_string())
    }

    /// The platform sent the customer back.
    pub async fn callback(
        &self,
        platform: OAuthPlatform,
        query: CallbackQuery,
    ) -> Result<CallbackOutcome, ConnectError> {
        let settings = self
            .settings(platform)
            .ok_or(ConnectError::NotConfigured(platform))?;
        let state = query.state.as_deref().ok_or(ConnectError::UnknownState)?;
        let (authorization, link) = self
            .inner
            .store
            .authorization(&hash(state))
            .await?
            .filter(|(a, _)| a.platform == platform.id() && a.tokens.is_none())
            .ok_or(ConnectError::UnknownState)?;
        if authorization.expires_at <= self.inner.store.now() {
            self.inner
                .store
                .take_authorization(authorization.id)
                .await?;
            return Err(ConnectError::UnknownState);
        }
        // The link must still be usable; it says why not otherwise.
        self.inner.store.usable_consent(&link).await?;
        if let Some(error) = query.error.as_deref() {
            if !self
                .inner
                .store
                .take_authorization(authorization.id)
                .await?
            {
                return Err(ConnectError::UnknownState);
            }
            if error == "access_denied" {
                let view = self.inner.store.decline_consent(&link).await?;
                return Ok(CallbackOutcome::Declined {
                    view: Box::new(view),
                });
            }
            return Err(ConnectError::Platform {
                platform,
                reason: describe_oauth_error(error).to_owned(),
            });
        }
        let code = query.code.ok_or(ConnectError::Platform {
            platform,
            reason: "no authorization code came back".to_owned(),
        })?;
        let verifier = self.inner.keys.open(
            &authorization.pkce_verifier,
            &context("oauth_authorizations.pkce_verifier", authorization.id),
        )?;
        // The code is exchanged once: whoever removes the authorization first.
        let client = settings.client().map_err(|e| platform_error(platform, e))?;
        let http = self.http_client();
        let answer = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
            .request_async(&http)
            .await
            .map_err(|e| ConnectError::Platform {
                platform,
                reason: crate::tokens::describe_token_error(&e),
            })?;
        let tokens = TokenSet::from_answer(&answer, self.inner.store.now()).ok_or_else(|| {
            ConnectError::Platform {
                platform,
                reason: "no refresh token was issued".to_owned(),
            }
        })?;
        let tenants = self
            .tenants(platform, &tokens, query.realm_id.as_deref())
            .await?;
        match tenants.as_slice() {
            [] => {
                self.inner
                    .store
                    .take_authorization(authorization.id)
                    .await?;
                Err(ConnectError::NoOrganisation(platform))
            }
            [tenant] => {
                if !self
                    .inner
                    .store
                    .take_authorization(authorization.id)
                    .await?
                {
                    return Err(ConnectError::UnknownState);
                }
                self.connect(&link, platform, tenant.clone(), tokens, Vec::new())
                    .await
            }
            _ => {
                let choice = CsrfToken::new_random().secret().to_owned();
                let choice_hash = hash(&choice);
                let held = self.inner.store.hold_authorization(
                    authorization.id,
                    &choice_hash,
                    self.inner.keys.seal(
                        &tokens.to_json(),
                        &context("oauth_authorizations.tokens", authorization.id),
                    ),
                    serde_json::to_string(&tenants).unwrap_or_else(|_| "[]".to_owned()),
                    self.inner.store.now() + AUTHORIZATION_TTL,
                );
                if !held.await? {
                    return Err(ConnectError::UnknownState);
                }
                Ok(CallbackOutcome::Choose { choice })
            }
        }
    }

    /// The organisations a choice offers.
    pub async fn choices(&self, choice: &str) -> Result<ChoiceView, ConnectError> {
        let (authorization, link) = self.held(choice).await?;
        let view = self.inner.store.usable_consent(&link).await?;
        Ok(ChoiceView {
            view,
            platform: OAuthPlatform::from_id(&authorization.platform)
                .ok_or(ConnectError::UnknownState)?,
            tenants: held_tenants(&authorization),
        })
    }

    /// The customer chose which organisation this company is, and which others of the
    /// same authorization (`also`) are other entities of its group: each becomes an
    /// entity, named after its organisation, connected through the same tokens.
    pub async fn choose(
        &self,
        choice: &str,
        tenant_id: &str,
        also: &[String],
    ) -> Result<CallbackOutcome, ConnectError> {
        let (authorization, link) = self.held(choice).await?;
        let platform =
            OAuthPlatform::from_id(&authorization.platform).ok_or(ConnectError::UnknownState)?;
        let offered = held_tenants(&authorization);
        let find = |id: &str| {
            offered
                .iter()
                .find(|t| t.id == id)
                .cloned()
                .ok_or(ConnectError::UnknownTenant)
        };
        let tenant = find(tenant_id)?;
        let mut others = Vec::new();
        for id in also {
            let other = find(id)?;
            if other.id != tenant.id && !others.iter().any(|o: &Tenant| o.id == other.id) {
                others.push(other);
            }
        }
        let sealed = authorization
            .tokens
            .as_deref()
            .ok_or(ConnectError::UnknownState)?;
        let tokens = TokenSet::from_json(&self.inner.keys.open(
            sealed,
            &context("oauth_authorizations.tokens", authorization.id),
        )?)
        .ok_or(ConnectError::UnknownState)?;
        if !self
            .inner
            .store
            .take_authorization(authorization.id)
            .await?
        {
            return Err(ConnectError::UnknownState);
        }
        self.connect(&link, platform, tenant, tokens, others).await
    }

    async fn held(
        &self,
        choice: &str,
    ) -> Result<(oauth_authorizations::Model, String), ConnectError> {
        let (authorization, link) = self
            .inner
            .store
            .authorization(&hash(choice))
            .await?
            .filter(|(a, _)| a.tokens.is_some())
            .ok_or(ConnectError::UnknownState)?;
        if authorization.expires_at <= self.inner.store.now() {
            self.inner
                .store
                .take_authorization(authorization.id)
                .await?;
            return Err(ConnectError::UnknownState);
        }
        Ok((authorization, link))
    }

    /// Stores the connection, uses the link up and queues the first fetch; `others`
    /// become entities of the group, connected through the same tokens (sealed for
    /// their shared authorization, `connections.grant_id`).
    async fn connect(
        &self,
        link: &str,
        platform: OAuthPlatform,
        tenant: Tenant,
        tokens: TokenSet,
        others: Vec<Tenant>,
    ) -> Result<CallbackOutcome, ConnectError> {
        let grant_id = (!others.is_empty()).then(Uuid::new_v4);
        let connection = |tenant: &Tenant| {
            let id = Uuid::new_v4();
            let key = grant_id.unwrap_or(id);
            NewConnection {
                id,
                platform: platform.id().to_owned(),
                tenant_id: tenant.id.clone(),
                tenant_name: tenant.name.clone(),
                access_token: self.inner.keys.seal(
                    &tokens.access_token,
                    &context("connections.access_token", key),
                ),
                refresh_token: self.inner.keys.seal(
                    &tokens.refresh_token,
                    &context("connections.refresh_token", key),
                ),
                access_expires_at: tokens.access_expires_at,
                grant_id,
            }
        };
        let main = connection(&tenant);
        let entities = others
            .iter()
            .map(|other| (entity_name(other), connection(other)))
            .collect();
        let (view, job) = self
            .inner
            .store
            .grant_consent_with_entities(link, platform.id(), main, entities)
            .await?;
        Ok(CallbackOutcome::Connected {
            view: Box::new(view),
            tenant,
            first_job: job.is_some(),
        })
    }

    /// The organisations this authorization covers.
    async fn tenants(
        &self,
        platform: OAuthPlatform,
        tokens: &TokenSet,
        realm_id: Option<&str>,
    ) -> Result<Vec<Tenant>, ConnectError> {
        let settings = self
            .settings(platform)
            .ok_or(ConnectError::NotConfigured(platform))?;
        let unreadable = |what: &str| ConnectError::Platform {
            platform,
            reason: format!("its list of organisations could not be read ({what})"),
        };
        match platform {
            OAuthPlatform::Xero => {
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct XeroConnection {
                    tenant_id: String,
                    tenant_name: Option<String>,
                    tenant_type: Option<String>,
                    auth_event_id: Option<String>,
                }
                let response = self
                    .inner
                    .http
                    .get(settings.api("/connections"))
                    .bearer_auth(&tokens.access_token)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .send()
                    .await
                    .map_err(|_| unreadable("no answer"))?;
                if !response.status().is_success() {
                    return Err(unreadable(&format!("HTTP {}", response.status().as_u16())));
                }
                let connections: Vec<XeroConnection> =
                    response.json().await.map_err(|_| unreadable("not JSON"))?;
                // Only the organisations of this authorization (Xero lists every
                // connection the user ever made to the app).
                let event = tokens.auth_event_id.as_deref();
                Ok(connections
                    .into_iter()
                    .filter(|c| c.tenant_type.as_deref().is_none_or(|t| t == "ORGANISATION"))
                    .filter(|c| event.is_none() || c.auth_event_id.as_deref() == event)
                    .map(|c| Tenant {
                        name: c.tenant_name.unwrap_or_else(|| c.tenant_id.clone()),
                        id: c.tenant_id,
                    })
                    .collect())
            }
            OAuthPlatform::QuickBooks => {
                let realm = realm_id.ok_or_else(|| unreadable("no company id came back"))?;
                let name = self.quickbooks_company_name(settings, tokens, realm).await;
                Ok(vec![Tenant {
                    id: realm.to_owned(),
                    name: name.unwrap_or_else(|| format!("QuickBooks company {realm}")),
                }])
            }
        }
    }

    /// QuickBooks's `CompanyInfo`: the company's name as QuickBooks knows it.
    async fn quickbooks_company_name(
        &self,
        settings: &crate::PlatformSettings,
        tokens: &TokenSet,
        realm: &str,
    ) -> Option<String> {
        if !realm.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let response = self
            .inner
            .http
            .get(settings.api(&format!(
                "/v3/company/{realm}/companyinfo/{realm}?minorversion=75"
            )))
            .bearer_auth(&tokens.access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .ok()?;
        let body: serde_json::Value = response.error_for_status().ok()?.json().await.ok()?;
        body.pointer("/CompanyInfo/CompanyName")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    }
}

fn held_tenants(authorization: &oauth_authorizations::Model) -> Vec<Tenant> {
    authorization
        .tenants
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

fn platform_error(platform: OAuthPlatform, _: url::ParseError) -> ConnectError {
    ConnectError::Platform {
        platform,
        reason: "its address in the settings is not a URL".to_owned(),
    }
}

/// RFC 6749 §4.1.2.1's error codes, in words.
fn describe_oauth_error(code: &str) -> &'static str {
    match code {
        "invalid_scope" => "the permissions asked for were refused",
        "unauthorized_client" | "invalid_client" => "the app is not registered correctly",
        "server_error" | "temporarily_unavailable" => "the platform had a problem",
        _ => "the platform reported an error",
    }
}

/// A company name from an organisation's: one line, at most 200 characters (the rules of
/// `domain::CompanyName`), its id when nothing of the name is left.
fn entity_name(tenant: &Tenant) -> String {
    let line: String = tenant
        .name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let name: String = line.trim().chars().take(200).collect();
    match domain::CompanyName::parse(name.trim()) {
        Ok(name) => name.into(),
        Err(_) => format!(
            "Organisation {}",
            tenant.id.chars().take(100).collect::<String>()
        ),
    }
}
