//! Tokens: what an answer of the token endpoint holds, and their refresh by one
//! process at a time.

use std::{future::Future, pin::Pin, time::Duration};

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use domain::{CompanyId, ErrorCode};
use oauth2::{
    AsyncHttpClient, HttpRequest, HttpResponse, RefreshToken, RequestTokenError, TokenResponse,
    basic::{BasicErrorResponseType, BasicTokenResponse},
};
use providers::{AccessGrant, Credentials, FetchError, GrantFuture};
use serde::{Deserialize, Serialize};
use store::{ConnectionState, RefreshedTokens, entities::connections};

use crate::{Connector, OAuthPlatform, context};

/// Token refreshes that may fail in a row before they stop and the connection needs
/// reconnecting (with backoff between them: 1, 2, 4, 8 minutes…).
pub const MAX_REFRESH_FAILURES: i32 = 6;

/// How long a refresh may hold its lease.
const LEASE: TimeDelta = TimeDelta::seconds(30);

/// How long a caller waits for another process's refresh before giving up this attempt.
const WAIT_FOR_OTHER: Duration = Duration::from_secs(20);

/// The tokens of one authorization. `Debug` is not derived: it would show them.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: DateTime<Utc>,
    /// Xero: the access token's `authentication_event_id` claim, which names the
    /// organisations this authorization connected.
    pub auth_event_id: Option<String>,
}

impl TokenSet {
    /// `None` without a refresh token (then the connection could not outlive the hour).
    pub fn from_answer(answer: &BasicTokenResponse, now: DateTime<Utc>) -> Option<Self> {
        let access_token = answer.access_token().secret().to_owned();
        Some(Self {
            auth_event_id: jwt_claim(&access_token, "authentication_event_id"),
            refresh_token: answer.refresh_token()?.secret().to_owned(),
            access_expires_at: now
                + answer
                    .expires_in()
                    .and_then(|d| TimeDelta::from_std(d).ok())
                    .unwrap_or(TimeDelta::minutes(30)),
            access_token,
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// A claim of a JWT's payload, read without checking the signature: only used to
/// filter what the platform itself answered.
fn jwt_claim(token: &str, claim: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get(claim)?.as_str().map(str::to_owned)
}

/// The token endpoint's failure, in words that name no secret (oauth2's own parse
/// error carries the body, which may hold tokens: it is never shown).
pub(crate) fn describe_token_error<E: std::error::Error>(
    error: &RequestTokenError<E, oauth2::basic::BasicErrorResponse>,
) -> String {
    match error {
        RequestTokenError::ServerResponse(response) => {
            format!("the platform answered `{}`", response.error().as_ref())
        }
        RequestTokenError::Request(_) => "the platform could not be reached".to_owned(),
        RequestTokenError::Parse(_, _) => "the platform's answer could not be read".to_owned(),
        RequestTokenError::Other(_) => "the platform's answer was unexpected".to_owned(),
    }
}

/// reqwest as `oauth2`'s HTTP client (oauth2's own integration is for an older reqwest).
pub(crate) struct OAuthHttp(reqwest::Client);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct HttpFailure(&'static str);

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = HttpFailure;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpFailure>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|_| HttpFailure("the request could not be built"))?;
            let response = self.0.execute(request).await.map_err(|e| {
                HttpFailure(if e.is_timeout() {
                    "timed out"
                } else {
                    "no answer"
                })
            })?;
            let mut builder = http::Response::builder().status(response.status().as_u16());
            for (name, value) in response.headers() {
                builder = builder.header(name.as_str(), value.as_bytes());
            }
            // Token answers are small; a larger one is not a token answer.
            let body = response
                .bytes()
                .await
                .map_err(|_| HttpFailure("the answer was cut off"))?;
            if body.len() > 64 * 1024 {
                return Err(HttpFailure("the answer was too large"));
            }
            builder
                .body(body.to_vec())
                .map_err(|_| HttpFailure("the answer could not be read"))
        })
    }
}

impl Connector {
    pub(crate) fn http_client(&self) -> OAuthHttp {
        OAuthHttp(self.inner.http.clone())
    }

    fn open_grant(&self, connection: &connections::Model) -> Result<AccessGrant, FetchError> {
        let token = self
            .inner
            .keys
            .open(
                &connection.access_token,
                &context("connections.access_token", connection.token_key()),
            )
            .map_err(vault_failure)?;
        Ok(AccessGrant {
            access_token: token.to_string(),
            tenant_id: connection.tenant_id.clone(),
        })
    }

    async fn load(&self, company: CompanyId) -> Result<connections::Model, FetchError> {
        let connection = self
            .inner
            .store
            .platform_connection(company)
            .await
            .map_err(database_failure)?
            .ok_or_else(|| {
                FetchError::permanent(
                    ErrorCode::AccessRevoked,
                    "The company has no connection to its accounting platform. Send a new information request.",
                )
            })?;
        match connection.state {
            ConnectionState::Connected => Ok(connection),
            ConnectionState::Disconnected => Err(revoked()),
            ConnectionState::NeedsReconnecting => Err(FetchError::permanent(
                ErrorCode::AccessRevoked,
                "The connection to the accounting platform stopped working: its tokens could not be renewed. Send a new information request to reconnect the company.",
            )),
        }
    }

    /// A valid access token for `company`, refreshing it first when it expires within
    /// the platform's margin (or `force`).
    async fn current_grant(
        &self,
        company: CompanyId,
        force_past: Option<&str>,
    ) -> Result<AccessGrant, FetchError> {
        let started = tokio::time::Instant::now();
        loop {
            let connection = self.load(company).await?;
            let platform = OAuthPlatform::from_id(&connection.platform).ok_or_else(|| {
                FetchError::permanent(ErrorCode::NotSupported, "The platform is not configured.")
            })?;
            let now = self.inner.store.now();
            let grant = self.open_grant(&connection)?;
            let stale = force_past.is_some_and(|rejected| rejected == grant.access_token);
            if !stale && connection.access_expires_at > now + platform.refresh_margin() {
                return Ok(grant);
            }
            if let Some(retry_at) = connection.refresh_retry_at.filter(|at| *at > now) {
                return Err(FetchError::transient(
                    ErrorCode::ProviderUnavailable,
                    format!(
                        "The accounting platform did not renew the connection's access; it will be tried again after {} UTC.",
                        retry_at.format("%-d %B %Y %H:%M")
                    ),
                ));
            }
            if self.try_refresh(platform, &connection).await? {
                continue;
            }
            // Another process holds the refresh: wait for its result.
            if started.elapsed() > WAIT_FOR_OTHER {
                return Err(FetchError::transient(
                    ErrorCode::ProviderUnavailable,
                    "The connection's access is being renewed by another worker. The refresh will be retried.",
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Refreshes `connection`'s tokens if this process wins the lease. True when the
    /// caller should read the connection again (refreshed, by us or just before us).
    async fn try_refresh(
        &self,
        platform: OAuthPlatform,
        read: &connections::Model,
    ) -> Result<bool, FetchError> {
        let store = &self.inner.store;
        let owner = &self.inner.owner;
        // Entities sharing one authorization (several Xero organisations picked at once)
        // refresh its tokens under its first row's lease, and the new tokens go to every
        // row of it (`Store::store_refreshed_tokens`): the platform rotates them for all.
        let leader = store
            .refresh_leader(read)
            .await
            .map_err(database_failure)?
            .ok_or_else(revoked)?;
        if !store
            .lease_connection_refresh(leader.id, owner, store.now() + LEASE)
            .await
            .map_err(database_failure)?
        {
            return Ok(false);
        }
        // Someone may have refreshed between our read and our lease.
        let Some(connection) = store
            .connection_by_id(leader.id)
            .await
            .map_err(database_failure)?
        else {
            return Err(revoked());
        };
        if connection.refresh_token != read.refresh_token {
            store
                .record_refresh_released(connection.id, owner)
                .await
                .map_err(database_failure)?;
            return Ok(true);
        }
        match self.refresh(platform, &connection).await {
            Ok(tokens) => {
                // Committed before the new access token is used: a crash now loses
                // nothing, as the old refresh token is dead.
                store
                    .store_refreshed_tokens(connection.id, owner, tokens)
                    .await
                    .map_err(database_failure)?;
                Ok(true)
            }
            Err(failure) => {
                let failures = connection.refresh_failures + 1;
                let (state, retry_at, error) = match failure {
                    RefreshFailure::Revoked => (ConnectionState::Disconnected, None, revoked()),
                    RefreshFailure::Transient(reason) if failures >= MAX_REFRESH_FAILURES => (
                        ConnectionState::NeedsReconnecting,
                        None,
                        FetchError::permanent(
                            ErrorCode::AccessRevoked,
                            format!(
                                "The accounting platform did not renew the connection's access {failures} times in a row ({reason}). Send a new information request to reconnect the company."
                            ),
                        ),
                    ),
                    RefreshFailure::Transient(reason) => {
                        let wait = TimeDelta::minutes(1 << (failures - 1).clamp(0, 10));
                        let retry_at = store.now() + wait;
                        (
                            ConnectionState::Connected,
                            Some(retry_at),
                            FetchError::transient(
                                ErrorCode::ProviderUnavailable,
                                format!(
                                    "The accounting platform did not renew the connection's access ({reason}); it will be tried again after {} UTC.",
                                    retry_at.format("%-d %B %Y %H:%M")
                                ),
                            ),
                        )
                    }
                };
                tracing::warn!(
                    connection = %connection.id,
                    platform = %platform,
                    failures,
                    "token refresh failed"
                );
                store
                    .record_refresh_failure(connection.id, owner, retry_at, state)
                    .await
                    .map_err(database_failure)?;
                Err(error)
            }
        }
    }

    async fn refresh(
        &self,
        platform: OAuthPlatform,
        connection: &connections::Model,
    ) -> Result<RefreshedTokens, RefreshFailure> {
        let settings = self.settings(platform).ok_or_else(|| {
            RefreshFailure::Transient("the platform is not configured".to_owned())
        })?;
        let client = settings
            .client()
            .map_err(|_| RefreshFailure::Transient("its address is not a URL".to_owned()))?;
        let refresh_token = self
            .inner
            .keys
            .open(
                &connection.refresh_token,
                &context("connections.refresh_token", connection.token_key()),
            )
            .map_err(|e| RefreshFailure::Transient(e.to_string()))?;
        let answer = client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_string()))
            .request_async(&self.http_client())
            .await
            .map_err(|e| match &e {
                RequestTokenError::ServerResponse(r)
                    if *r.error() == BasicErrorResponseType::InvalidGrant =>
                {
                    RefreshFailure::Revoked
                }
                _ => RefreshFailure::Transient(describe_token_error(&e)),
            })?;
        let now = self.inner.store.now();
        let access_token = answer.access_token().secret().to_owned();
        // A platform that does not rotate answers no refresh token: the old one lives on.
        let refresh_token = answer
            .refresh_token()
            .map(|t| t.secret().to_owned())
            .unwrap_or_else(|| refresh_token.to_string());
        Ok(RefreshedTokens {
            access_token: self.inner.keys.seal(
                &access_token,
                &context("connections.access_token", connection.token_key()),
            ),
            refresh_token: self.inner.keys.seal(
                &refresh_token,
                &context("connections.refresh_token", connection.token_key()),
            ),
            access_expires_at: now
                + answer
                    .expires_in()
                    .and_then(|d| TimeDelta::from_std(d).ok())
                    .unwrap_or(TimeDelta::minutes(30)),
        })
    }

    /// Renews the refresh tokens of connections nobody used for a while, before the
    /// platform lets them die (at most `limit`). Returns how many were renewed.
    pub async fn keep_alive(&self, limit: u64) -> Result<usize, sea_orm::DbErr> {
        let now = self.inner.store.now();
        let mut renewed = 0;
        for platform in OAuthPlatform::ALL {
            let due = self
                .inner
                .store
                .connections_to_keep_alive(now - platform.keep_alive_after(), limit)
                .await?;
            for connection in due.iter().filter(|c| c.platform == platform.id()) {
                if let Ok(true) = self.try_refresh(platform, connection).await {
                    renewed += 1;
                }
            }
        }
        Ok(renewed)
    }

    /// Seals every stored token again under the active key. Returns how many rows
    /// changed.
    pub async fn rotate_keys(&self) -> Result<usize, crate::ConnectError> {
        let store = &self.inner.store;
        let keys = &self.inner.keys;
        let mut changed = 0;
        let mut after = None;
        loop {
            let page = store.connections_page(after, 200).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for connection in &page {
                if !keys.needs_rotation(&connection.access_token)
                    && !keys.needs_rotation(&connection.refresh_token)
                {
                    continue;
                }
                let access = keys.reseal(
                    &connection.access_token,
                    &context("connections.access_token", connection.token_key()),
                )?;
                let refresh = keys.reseal(
                    &connection.refresh_token,
                    &context("connections.refresh_token", connection.token_key()),
                )?;
                if store.reseal_connection(connection, access, refresh).await? {
                    changed += 1;
                }
            }
        }
        for authorization in store.authorizations().await? {
            let verifier = keys.reseal(
                &authorization.pkce_verifier,
                &context("oauth_authorizations.pkce_verifier", authorization.id),
            )?;
            let tokens = match &authorization.tokens {
                Some(sealed) => Some(keys.reseal(
                    sealed,
                    &context("oauth_authorizations.tokens", authorization.id),
                )?),
                None => None,
            };
            if store
                .reseal_authorization(&authorization, verifier, tokens)
                .await?
            {
                changed += 1;
            }
        }
        Ok(changed)
    }
}

enum RefreshFailure {
    /// `invalid_grant`: the customer disconnected the app, or the token died unused.
    Revoked,
    Transient(String),
}

fn revoked() -> FetchError {
    FetchError::permanent(
        ErrorCode::AccessRevoked,
        ErrorCode::AccessRevoked.default_message(),
    )
}

fn database_failure(err: sea_orm::DbErr) -> FetchError {
    tracing::warn!(error = %err, "connection unavailable");
    FetchError::transient(
        ErrorCode::ProviderUnavailable,
        "The connection's details could not be read. The refresh will be retried.",
    )
}

fn vault_failure(err: vault::VaultError) -> FetchError {
    tracing::error!(error = %err, "a connection's tokens could not be opened");
    FetchError::permanent(
        ErrorCode::AccessRevoked,
        "The connection's stored access could not be opened (the encryption key changed). Send a new information request to reconnect the company.",
    )
}

impl Credentials for Connector {
    fn grant(&self, company: CompanyId) -> GrantFuture<'_> {
        Box::pin(self.current_grant(company, None))
    }

    fn rejected<'a>(&'a self, company: CompanyId, rejected: &'a AccessGrant) -> GrantFuture<'a> {
        Box::pin(self.current_grant(company, Some(&rejected.access_token)))
    }
}
