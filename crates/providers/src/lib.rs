//! Where a company's data comes from once its customer granted access.
//!
//! A [`Provider`] fetches one data type of one company and answers the reports it
//! yields, or a [`FetchError`] that says whether trying again can help. The built-in
//! [`SandboxProvider`] makes deterministic synthetic books, so the whole journey works
//! with no account anywhere; [`HttpProvider`] reads a data partner's API, and
//! [`XeroProvider`] and [`QuickBooksProvider`] read the platforms themselves with the
//! access token a company's connection holds ([`Credentials`]). All of them answer the
//! same report shapes.
//!
//! Architecture invariant: providers know nothing of the database or the queue; the
//! worker (crate `refresh`) decides what to do with their answers.

mod http;
mod oauth_http;
mod quickbooks;
mod sandbox;
mod xero;

use std::{future::Future, pin::Pin};

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataType, ErrorCode, ReportKind, StatusError};

pub use http::{HttpConfig, HttpProvider};
pub use quickbooks::{QuickBooksApiConfig, QuickBooksProvider};
pub use sandbox::{SandboxBooks, SandboxConfig, SandboxProvider};
pub use xero::{XeroApiConfig, XeroProvider};

/// What to fetch.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    pub company: CompanyId,
    pub company_name: String,
    pub data_type: DataType,
    /// The moment the data should describe (normally now).
    pub as_of: DateTime<Utc>,
}

/// One report, as fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedReport {
    pub kind: ReportKind,
    pub payload: serde_json::Value,
}

/// Whether trying again later can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Timeouts, connection errors, 5xx, rate limits: try again with backoff.
    Transient,
    /// Access revoked or denied, data not supported: trying again cannot help.
    Permanent,
}

/// A failed fetch, with the code and message the company will show if it is final.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct FetchError {
    pub retry: Retry,
    pub code: ErrorCode,
    pub message: String,
    /// The platform allows no new attempt sooner than this (a daily limit reached):
    /// the next attempt waits at least this long.
    pub retry_after: Option<std::time::Duration>,
}

impl FetchError {
    pub fn transient(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            retry: Retry::Transient,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn permanent(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            retry: Retry::Permanent,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The next attempt waits at least `wait` (the platform said so).
    #[must_use]
    pub fn retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    pub fn status_error(&self) -> StatusError {
        StatusError {
            code: self.code,
            message: self.message.clone(),
        }
    }
}

pub type FetchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<FetchedReport>, FetchError>> + Send + 'a>>;

/// Paces requests to an upstream across every process that calls it (a rate limit
/// shared through the database, in production). `wait_turn` returns when one more
/// request may be sent now.
pub trait Pacer: Send + Sync {
    fn wait_turn(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// An access token for one company's connection to an OAuth platform, valid now.
///
/// `Debug` does not show the token: it must never reach a log.
#[derive(Clone)]
pub struct AccessGrant {
    /// Sent as `Authorization: Bearer …`.
    pub access_token: String,
    /// The platform's id of the books this company is: Xero's tenant id
    /// (`xero-tenant-id`), QuickBooks's realm id (`/v3/company/{realmId}`).
    pub tenant_id: String,
}

impl std::fmt::Debug for AccessGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessGrant")
            .field("access_token", &"[redacted]")
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

pub type GrantFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessGrant, FetchError>> + Send + 'a>>;

/// Where an OAuth platform's provider gets a company's access token. The implementation
/// (crate `connections`) keeps tokens encrypted in the database and refreshes them, one
/// process at a time, shortly before they expire.
pub trait Credentials: Send + Sync {
    /// A token valid for at least the next few minutes. A connection that can no longer
    /// be used fails with a permanent `access_revoked`.
    fn grant(&self, company: CompanyId) -> GrantFuture<'_>;

    /// The platform answered 401 to `rejected`: the next [`Credentials::grant`] refreshes
    /// the token first (unless another process already did).
    fn rejected<'a>(&'a self, company: CompanyId, rejected: &'a AccessGrant) -> GrantFuture<'a>;
}

/// Paces requests per tenant of a platform across every process (Xero's limits are per
/// organisation; QuickBooks's per company).
pub trait TenantPacer: Send + Sync {
    fn wait_turn<'a>(&'a self, tenant: &'a str) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

pub type UpstreamIdFuture<'a> =
    Pin<Box<dyn Future<Output = Result<String, FetchError>> + Send + 'a>>;

/// Where the `http` provider finds a company's id at the data partner: the partner's
/// own id, made when the customer first connected (never Spendlens's id).
pub trait UpstreamCompanies: Send + Sync {
    /// The company's id at the partner. A company never connected there fails with a
    /// permanent `access_revoked`.
    fn upstream_id(&self, company: CompanyId) -> UpstreamIdFuture<'_>;
}

/// A source of accounting data.
pub trait Provider: Send + Sync {
    /// The platform name stored on a company's connection (e.g. `sandbox`).
    fn platform(&self) -> &'static str;

    /// Fetches every report of `request.data_type`.
    fn fetch(&self, request: FetchRequest) -> FetchFuture<'_>;
}
