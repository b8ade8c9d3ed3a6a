//! What the OAuth platforms' providers (Xero, QuickBooks Online) share: one GET of a
//! JSON answer with the company's bearer token, paced per tenant, retried a bounded
//! number of times, with one token refresh after a `401`, and a bounded body.
//!
//! Each platform says how its failures read through a [`Dialect`]; this module decides
//! what to do about them. Tokens go into the `Authorization` header and nowhere else:
//! no error message, log line or `Debug` output here contains one.

use std::{sync::Arc, time::Duration};

use domain::{CompanyId, ErrorCode};
use reqwest::{RequestBuilder, StatusCode, Url, header};
use serde_json::Value;

use crate::{AccessGrant, Credentials, FetchError, Retry, TenantPacer};

/// Limits of one provider's requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_body_bytes: usize,
    pub request_retries: u32,
    pub max_retry_after: Duration,
}

/// How one platform's answers read.
pub(crate) trait Dialect: Send + Sync {
    /// The platform's name in messages for a relationship manager ("Xero").
    fn name(&self) -> &'static str;

    /// Adds the platform's own headers (e.g. Xero's `xero-tenant-id`).
    fn decorate(&self, request: RequestBuilder, grant: &AccessGrant) -> RequestBuilder {
        let _ = grant;
        request
    }

    /// What an answer other than 2xx means.
    fn refusal(&self, status: StatusCode, headers: &header::HeaderMap, body: &[u8]) -> Refusal;

    /// A 2xx answer that still carries an error (QuickBooks can answer a `Fault` with
    /// 200).
    fn refusal_in_body(&self, headers: &header::HeaderMap, body: &Value) -> Option<Refusal> {
        let _ = (headers, body);
        None
    }

    /// How long to wait before the next request, from any answer's headers (e.g. when
    /// few calls are left in a rate-limit window).
    fn pause_after(&self, headers: &header::HeaderMap) -> Option<Duration> {
        let _ = headers;
        None
    }
}

/// Why a request did not answer data.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// `401`: the access token was refused. The first time in a fetch, the credentials
    /// are told and the request goes again with the new token.
    TokenRejected,
    /// Anything else. `retry_here` says whether trying the same request again within
    /// this attempt can help (after `retry_after`, or a short backoff).
    Failed {
        error: FetchError,
        retry_after: Option<Duration>,
        retry_here: bool,
    },
}

impl Refusal {
    /// A failure not worth repeating within the attempt.
    pub(crate) fn stop(error: FetchError) -> Self {
        Refusal::Failed {
            error,
            retry_after: None,
            retry_here: false,
        }
    }

    /// A failure the same request may get past after a wait.
    pub(crate) fn again(error: FetchError, retry_after: Option<Duration>) -> Self {
        Refusal::Failed {
            error,
            retry_after,
            retry_here: true,
        }
    }
}

/// The HTTP client and what every request of one provider needs.
#[derive(Clone)]
pub(crate) struct ApiClient {
    http: reqwest::Client,
    credentials: Arc<dyn Credentials>,
    pacer: Option<Arc<dyn TenantPacer>>,
    limits: Limits,
}

impl ApiClient {
    pub(crate) fn new(
        timeout: Duration,
        credentials: Arc<dyn Credentials>,
        limits: Limits,
    ) -> Result<Self, reqwest::Error> {
        // reqwest is built without a TLS provider of its own (the root Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            credentials,
            pacer: None,
            limits,
        })
    }

    pub(crate) fn set_pacer(&mut self, pacer: Arc<dyn TenantPacer>) {
        self.pacer = Some(pacer);
    }

    /// Starts one fetch for `company` with its current access grant.
    pub(crate) async fn session<'a>(
        &'a self,
        dialect: &'a dyn Dialect,
        company: CompanyId,
    ) -> Result<Session<'a>, FetchError> {
        let grant = self.credentials.grant(company).await?;
        Ok(Session {
            client: self,
            dialect,
            company,
            grant,
            refreshed: false,
            pause: None,
        })
    }
}

/// One fetch's requests: the grant in use, whether it was already refreshed once, and
/// the wait the last answer asked for.
pub(crate) struct Session<'a> {
    client: &'a ApiClient,
    dialect: &'a dyn Dialect,
    company: CompanyId,
    grant: AccessGrant,
    refreshed: bool,
    pause: Option<Duration>,
}

impl Session<'_> {
    /// Xero's tenant id or QuickBooks's realm id of the company's books.
    pub(crate) fn tenant(&self) -> &str {
        &self.grant.tenant_id
    }

    /// GETs `url` and parses its JSON, retrying what can be retried.
    pub(crate) async fn get_json(&mut self, url: &Url) -> Result<Value, FetchError> {
        let limits = self.client.limits;
        let mut attempt = 0u32;
        loop {
            let refusal = match self.get_once(url).await {
                Ok(value) => return Ok(value),
                Err(refusal) => refusal,
            };
            match refusal {
                Refusal::TokenRejected if !self.refreshed => {
                    self.refreshed = true;
                    self.grant = self
                        .client
                        .credentials
                        .rejected(self.company, &self.grant)
                        .await?;
                }
                Refusal::TokenRejected => {
                    return Err(FetchError::permanent(
                        ErrorCode::AccessRevoked,
                        format!(
                            "{} refused the connection's access even after it was renewed: the customer may have disconnected Spendlens. Send a new information request.",
                            self.dialect.name()
                        ),
                    ));
                }
                Refusal::Failed {
                    error,
                    retry_after,
                    retry_here,
                } => {
                    attempt += 1;
                    if !retry_here
                        || error.retry == Retry::Permanent
                        || attempt > limits.request_retries
                    {
                        return Err(error);
                    }
                    let wait =
                        retry_after.unwrap_or_else(|| Duration::from_millis(200 << attempt.min(6)));
                    if wait > limits.max_retry_after {
                        return Err(error);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn get_once(&mut self, url: &Url) -> Result<Value, Refusal> {
        let name = self.dialect.name();
        if let Some(wait) = self.pause.take() {
            tokio::time::sleep(wait).await;
        }
        if let Some(pacer) = &self.client.pacer {
            pacer.wait_turn(&self.grant.tenant_id).await;
        }
        let request = self
            .client
            .http
            .get(url.clone())
            .bearer_auth(&self.grant.access_token)
            .header(header::ACCEPT, "application/json");
        let response = self
            .dialect
            .decorate(request, &self.grant)
            .send()
            .await
            .map_err(|e| Refusal::again(unreachable(name, &e), None))?;
        let status = response.status();
        let headers = response.headers().clone();
        self.pause = self.dialect.pause_after(&headers);
        let limit = self.client.limits.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Refusal::stop(too_large(name, limit)));
        }
        let body = read_limited(name, response, limit).await?;
        if !status.is_success() {
            return Err(self.dialect.refusal(status, &headers, &body));
        }
        let value: Value = serde_json::from_slice(&body).map_err(|_| {
            Refusal::again(
                FetchError::transient(
                    ErrorCode::InvalidData,
                    format!("{name} answered with data that is not valid JSON. Try Refresh data again later."),
                ),
                None,
            )
        })?;
        match self.dialect.refusal_in_body(&headers, &value) {
            Some(refusal) => Err(refusal),
            None => Ok(value),
        }
    }
}

fn unreachable(name: &str, e: &reqwest::Error) -> FetchError {
    let code = if e.is_timeout() {
        ErrorCode::TimedOut
    } else {
        ErrorCode::ProviderUnavailable
    };
    FetchError::transient(
        code,
        format!(
            "{name} could not be reached ({}). Try Refresh data again later.",
            describe(e)
        ),
    )
}

fn too_large(name: &str, limit: usize) -> FetchError {
    FetchError::permanent(
        ErrorCode::InvalidData,
        format!(
            "{name} sent more than {} MB in one answer; it was not stored.",
            limit / (1024 * 1024)
        ),
    )
}

async fn read_limited(
    name: &str,
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Refusal> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(Refusal::stop(too_large(name, limit)));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                let code = if e.is_timeout() {
                    ErrorCode::TimedOut
                } else {
                    ErrorCode::ProviderUnavailable
                };
                return Err(Refusal::again(
                    FetchError::transient(
                        code,
                        format!(
                            "{name}'s answer was cut off ({}). Try Refresh data again later.",
                            describe(&e)
                        ),
                    ),
                    None,
                ));
            }
        }
    }
}

/// A reqwest error in a few fixed words: its own text can hold the URL.
fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    }
}

/// `Retry-After` in whole seconds (both platforms send seconds, not dates).
pub(crate) fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// An `api_url` joined with `path` (no trailing slash needed on either side).
pub(crate) fn endpoint(api_url: &str, path: &str) -> Result<Url, FetchError> {
    Url::parse(&format!(
        "{}/{}",
        api_url.trim_end_matches('/'),
        path.trim_start_matches('/')
    ))
    .map_err(|_| {
        FetchError::permanent(
            ErrorCode::ProviderUnavailable,
            "The accounting platform's API address is not configured correctly on this server.",
        )
    })
}

/// The shared shape errors: what was missing, as a person can report it.
pub(crate) fn unreadable(name: &str, what: &str) -> FetchError {
    FetchError::transient(
        ErrorCode::InvalidData,
        format!("{name}'s {what} could not be read. Try Refresh data again later."),
    )
}

/// Stops a paged list that does not end.
pub(crate) fn endless(name: &str, what: &str, pages: u32) -> FetchError {
    FetchError::permanent(
        ErrorCode::InvalidData,
        format!("{name}'s list of {what} did not end after {pages} pages; it was not stored."),
    )
}

/// Rounds to cents, so sums of amounts read as the platform wrote them.
pub(crate) fn money(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// An amount a report writes as text (`"1234.56"`, `""` for nothing).
pub(crate) fn report_amount(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return Some(0.0);
    }
    text.replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// `{total, accounts: [{name, value}]}`, the stored shape of a report section.
#[derive(Debug, Default, Clone)]
pub(crate) struct Section {
    pub total: Option<f64>,
    pub accounts: Vec<(String, f64)>,
}

impl Section {
    /// The platform's total, or the sum of the accounts when it gave none.
    pub(crate) fn total(&self) -> f64 {
        self.total
            .unwrap_or_else(|| money(self.accounts.iter().map(|(_, v)| v).sum()))
    }

    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({
            "total": money(self.total()),
            "accounts": self
                .accounts
                .iter()
                .map(|(name, value)| serde_json::json!({"name": name, "value": money(*value)}))
                .collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_amounts_read_as_written_and_nothing_else() {
        assert_eq!(report_amount("1234.56"), Some(1234.56));
        assert_eq!(report_amount("-0.05"), Some(-0.05));
        assert_eq!(report_amount(""), Some(0.0));
        assert_eq!(report_amount("1,234.50"), Some(1234.5));
        assert_eq!(report_amount("n/a"), None);
        assert_eq!(report_amount("NaN"), None);
    }

    #[test]
    fn a_section_without_a_total_adds_up_its_accounts() {
        let section = Section {
            total: None,
            accounts: vec![("Rent".into(), 0.1), ("Power".into(), 0.2)],
        };
        assert_eq!(section.to_json()["total"], 0.3);
    }
}
