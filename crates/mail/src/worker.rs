//! Sends queued emails, retrying with backoff.

use std::{sync::Arc, time::Duration};

use rand::Rng;
use store::{ClaimedEmail, Store};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::Transport;

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// Attempts before an email is given up.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles, with jitter, up to an hour
    /// (`domain::retry_delay`).
    pub retry_base: Duration,
    pub poll_interval: Duration,
    pub lease: Duration,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            retry_base: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(120),
        }
    }
}

/// What happened to one claimed email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    Sent,
    Retrying(String),
    Failed(String),
    LeaseLost,
}

pub struct MailWorker {
    store: Store,
    transport: Transport,
    config: MailConfig,
    owner: String,
    wake: Arc<Notify>,
}

impl MailWorker {
    pub fn new(store: Store, transport: Transport, config: MailConfig) -> Self {
        Self {
            store,
            transport,
            config,
            owner: format!("mail:{}:{}", std::process::id(), Uuid::now_v7().simple()),
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Sends one due email, if any. Tests call this to drain the queue.
    pub async fn run_once(&self) -> anyhow::Result<Option<(Uuid, EmailOutcome)>> {
        let lease = chrono::Duration::from_std(self.config.lease)?;
        let Some(email) = self.store.claim_next_email(&self.owner, lease).await? else {
            return Ok(None);
        };
        let outcome = self.deliver(&email).await?;
        Ok(Some((email.id, outcome)))
    }

    async fn deliver(&self, email: &ClaimedEmail) -> anyhow::Result<EmailOutcome> {
        let outcome = match self.transport.send(email).await {
            Ok(()) => {
                if self.store.email_sent(email.id, &self.owner).await? {
                    EmailOutcome::Sent
                } else {
                    EmailOutcome::LeaseLost
                }
            }
            Err(error) => {
                let attempts = u32::try_from(email.attempts).unwrap_or(u32::MAX);
                if error.permanent || attempts >= self.config.max_attempts {
                    if self
                        .store
                        .email_failed(email, &self.owner, &error.message)
                        .await?
                    {
                        EmailOutcome::Failed(error.message)
                    } else {
                        EmailOutcome::LeaseLost
                    }
                } else {
                    let delay =
                        domain::retry_delay(self.config.retry_base, attempts, rand::rng().random());
                    let run_at = self.store.now() + chrono::Duration::from_std(delay)?;
                    if self
                        .store
                        .email_retry(email.id, &self.owner, run_at, &error.message)
                        .await?
                    {
                        EmailOutcome::Retrying(error.message)
                    } else {
                        EmailOutcome::LeaseLost
                    }
                }
            }
        };
        match &outcome {
            EmailOutcome::Sent => tracing::info!(email = %email.id, "email sent"),
            EmailOutcome::Retrying(error) => {
                tracing::warn!(email = %email.id, attempt = email.attempts, error = %error, "email not sent; will retry")
            }
            EmailOutcome::Failed(error) => {
                tracing::error!(email = %email.id, error = %error, "email given up")
            }
            EmailOutcome::LeaseLost => {}
        }
        Ok(outcome)
    }

    /// Sends emails until `shutdown` turns true.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(outbox = self.transport.is_outbox(), "mail worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let mut busy = false;
            match self.run_once().await {
                Ok(Some(_)) => busy = true,
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(error = format!("{err:#}"), "mail worker error; retrying")
                }
            }
            if busy {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("mail worker stopped");
    }
}
