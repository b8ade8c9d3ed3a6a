//! What every handler shares: the store, the settings handlers read, the in-process
//! workers' wakers, the rate limiter, caches and metrics.

use std::sync::Arc;

use store::Store;
use tokio::sync::Notify;

use crate::{
    config::AuthSettings,
    downloads::Downloads,
    key_cache::KeyCache,
    metrics,
    rate_limit::CallerLimits,
    status_cache::{self, StatusCache},
    views,
};

/// What handlers share.
pub struct AppState {
    pub store: Store,
    /// Wakes the in-process worker after an enqueue; `None` with `--no-worker`.
    pub waker: Option<Arc<Notify>>,
    /// Wakes the in-process mail worker after an email is queued.
    pub mail_waker: Option<Arc<Notify>>,
    /// Wakes the in-process outbox worker after a webhook delivery is queued.
    pub outbox_waker: Option<Arc<Notify>>,
    /// Webhook endpoints may be on private, loopback and link-local addresses
    /// (`SPENDLENS_WEBHOOKS_ALLOW_PRIVATE`).
    pub webhooks_allow_private: bool,
    pub public_url: String,
    pub mail_from: String,
    pub link_ttl: chrono::Duration,
    /// Log the links of emails: they go to a local outbox (no SMTP server) of the
    /// embedded default on loopback. Never otherwise: a link is a credential.
    pub log_outbox_links: bool,
    /// The platforms a customer can connect (the configured providers).
    pub platforms: Vec<&'static str>,
    /// Xero and QuickBooks Online, when configured.
    pub connector: Option<connections::Connector>,
    /// The data partner, when the `http` provider is configured.
    pub partner: Option<connections::Partner>,
    /// Data older than this is flagged `stale`.
    pub stale_after: chrono::Duration,
    /// The most refreshes one organization may have queued.
    pub max_queued_refreshes: u64,
    pub auth: AuthSettings,
    /// When set, `/metrics` requires it as a bearer token.
    pub metrics_token: Option<String>,
    /// Requests per minute per caller.
    pub limits: Arc<CallerLimits>,
    /// Report downloads and audit exports being made now, bounded.
    pub downloads: Downloads,
    pub metrics: Arc<metrics::Metrics>,
    /// API keys found valid in the last few seconds.
    pub keys: KeyCache,
    /// Unchanged answers of the status poll (PostgreSQL).
    pub statuses: Arc<StatusCache>,
    /// Follows the database's status notifications for `statuses`.
    pub _status_listener: status_cache::Listening,
}

impl AppState {
    /// Appends to the audit log through `store` — the request's scoped store, so the
    /// entry commits with the change it records. The change stands even if this fails;
    /// the failure is logged as an error for operators.
    pub async fn audit(&self, store: &Store, record: store::AuditRecord) {
        let action = record.action;
        if let Err(err) = store.record_audit(record).await {
            tracing::error!(action = action.as_str(), error = %err, "cannot write the audit log");
        }
    }

    pub fn freshness(&self) -> views::Freshness {
        views::Freshness {
            max_age: self.stale_after,
            now: self.store.now(),
        }
    }

    pub fn wake_workers(&self) {
        if let Some(waker) = &self.waker {
            waker.notify_one();
        }
    }

    pub fn wake_mail(&self) {
        if let Some(waker) = &self.mail_waker {
            waker.notify_one();
        }
    }

    pub fn wake_outbox(&self) {
        if let Some(waker) = &self.outbox_waker {
            waker.notify_one();
        }
    }
}
