//! The outbox worker: fans recorded events out (a webhook delivery per subscribed
//! endpoint, a notification for the person who caused the event, and its email when
//! they want one), then sends the deliveries that are due, retrying on the Standard
//! Webhooks schedule.
//!
//! Architecture invariants:
//! - Events are written by the store in the transaction of the change they record;
//!   this worker only reads them, so a change and its event commit or vanish together.
//! - Deliveries are leased jobs (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so any number
//!   of workers in any number of processes send each attempt once; an attempt's result
//!   is recorded by the lease holder only.
//! - Every request leaves through [`webhooks::Sender`] (SSRF guard, no redirects,
//!   timeout, capped answer).

mod notifications;

use std::{sync::Arc, time::Duration};

use store::{AttemptOutcome, AttemptRecord, ClaimedDelivery, DisablePolicy, Dispatched, Store};
use tokio::sync::Notify;
use uuid::Uuid;
use webhooks::{Message, RetrySchedule, Secret, Sender, SenderConfig};

pub use notifications::compose;

/// How the outbox worker behaves.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// How often an idle worker looks for events and due deliveries.
    pub poll_interval: Duration,
    /// How long a claimed event or delivery stays this worker's.
    pub lease: Duration,
    /// Deliveries sent at once.
    pub concurrency: u32,
    /// When failed deliveries are tried again.
    pub schedule: RetrySchedule,
    /// When an endpoint that keeps failing is disabled.
    pub disable: DisablePolicy,
    pub sender: SenderConfig,
    /// Events (and their delivery logs) are kept this long.
    pub retention: Duration,
    /// The `From` of notification emails.
    pub mail_from: String,
    /// The portal's address, for links in notification emails.
    pub public_url: Option<String>,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            concurrency: 8,
            schedule: RetrySchedule::standard(),
            disable: DisablePolicy {
                failed_deliveries: 10,
                failing_for: chrono::Duration::days(5),
            },
            sender: SenderConfig::default(),
            retention: Duration::from_secs(30 * 24 * 3600),
            mail_from: "Spendlens <no-reply@spendlens.localhost>".to_owned(),
            public_url: None,
        }
    }
}

/// What happened to one claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// A 2xx answer.
    Delivered,
    /// Failed; tried again later.
    Retrying(String),
    /// Failed for good (the last attempt, or 410 Gone).
    Failed(String),
    /// Not sent: its endpoint is disabled.
    Skipped,
    /// Another worker holds the delivery now.
    LeaseLost,
}

pub struct OutboxWorker {
    store: Store,
    sender: Sender,
    config: OutboxConfig,
    owner: String,
    wake: Arc<Notify>,
    mail_wake: Option<Arc<Notify>>,
}

impl OutboxWorker {
    pub fn new(store: Store, config: OutboxConfig) -> anyhow::Result<Self> {
        let sender = Sender::new(config.sender.clone())
            .map_err(|e| anyhow::anyhow!("cannot set up the webhook sender: {e}"))?;
        Ok(Self {
            store,
            sender,
            config,
            owner: format!("outbox:{}:{}", std::process::id(), Uuid::now_v7().simple()),
            wake: Arc::new(Notify::new()),
            mail_wake: None,
        })
    }

    /// Wakes the mail worker when a notification email was queued.
    pub fn with_mail_waker(mut self, mail: Arc<Notify>) -> Self {
        self.mail_wake = Some(mail);
        self
    }

    /// A handle that wakes the worker at once, instead of at its next poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::seconds(60))
    }

    /// Fans out up to 100 recorded events. Tests call this to drain the outbox.
    pub async fn dispatch_once(&self) -> anyhow::Result<Dispatched> {
        let mail_from = self.config.mail_from.clone();
        let public_url = self.config.public_url.clone();
        let dispatched = self
            .store
            .dispatch_events(&self.owner, self.lease(), 100, |pending| {
                compose(pending, &mail_from, public_url.as_deref())
            })
            .await?;
        if dispatched.notifications > 0
            && let Some(mail) = &self.mail_wake
        {
            mail.notify_one();
        }
        Ok(dispatched)
    }

    /// Sends the deliveries that are due, up to `concurrency` at once. Tests call this.
    pub async fn deliver_once(&self) -> anyhow::Result<Vec<(Uuid, DeliveryOutcome)>> {
        let claimed = self
            .store
            .claim_webhook_deliveries(&self.owner, self.lease(), self.config.concurrency)
            .await?;
        let results =
            futures::future::join_all(claimed.iter().map(|delivery| self.deliver(delivery))).await;
        claimed
            .iter()
            .zip(results)
            .map(|(claimed, outcome)| Ok((claimed.delivery.id, outcome?)))
            .collect()
    }

    /// Dispatches and delivers until there is nothing due. Tests call this.
    pub async fn drain(&self) -> anyhow::Result<Vec<(Uuid, DeliveryOutcome)>> {
        let mut outcomes = Vec::new();
        loop {
            let dispatched = self.dispatch_once().await?;
            let delivered = self.deliver_once().await?;
            if dispatched.events == 0 && delivered.is_empty() {
                return Ok(outcomes);
            }
            outcomes.extend(delivered);
        }
    }

    async fn deliver(&self, claimed: &ClaimedDelivery) -> anyhow::Result<DeliveryOutcome> {
        let endpoint = &claimed.endpoint;
        if !endpoint.enabled {
            let reason = format!(
                "Not sent: the endpoint is disabled ({}).",
                endpoint
                    .disabled_reason
                    .as_deref()
                    .unwrap_or("no reason given")
                    .trim_end_matches('.')
            );
            return Ok(
                if self
                    .store
                    .abandon_webhook_delivery(claimed, &self.owner, &reason)
                    .await?
                {
                    DeliveryOutcome::Skipped
                } else {
                    DeliveryOutcome::LeaseLost
                },
            );
        }
        let now = self.store.now();
        let mut secrets = vec![Secret::parse(&endpoint.secret)?];
        if let (Some(previous), Some(until)) = (
            &endpoint.previous_secret,
            endpoint.previous_secret_expires_at,
        ) && until > now
        {
            secrets.push(Secret::parse(previous)?);
        }
        let sent = self
            .sender
            .send(&Message {
                url: &endpoint.url,
                id: &claimed.message_id,
                timestamp: now.timestamp(),
                body: &claimed.payload,
                secrets: &secrets,
            })
            .await;
        let attempt = u32::try_from(claimed.delivery.attempts).unwrap_or(u32::MAX);
        let error = sent.error.clone().or_else(|| {
            sent.status
                .filter(|_| !sent.delivered())
                .map(|s| format!("The endpoint answered HTTP {s}."))
        });
        let outcome = if sent.delivered() {
            AttemptOutcome::Delivered
        } else if sent.gone() {
            AttemptOutcome::Gone
        } else {
            match self.config.schedule.delay_after(attempt) {
                Some(delay) => {
                    AttemptOutcome::RetryAt(self.store.now() + chrono::Duration::from_std(delay)?)
                }
                None => AttemptOutcome::GaveUp,
            }
        };
        let recorded = self
            .store
            .record_webhook_attempt(
                claimed,
                &self.owner,
                AttemptRecord {
                    at: self.store.now(),
                    url: endpoint.url.clone(),
                    response_status: sent.status,
                    duration_ms: i64::try_from(sent.duration.as_millis()).unwrap_or(i64::MAX),
                    error: sent.error.clone(),
                    response_body: sent.body.clone(),
                },
                outcome,
                self.config.disable,
            )
            .await?;
        if !recorded.held {
            return Ok(DeliveryOutcome::LeaseLost);
        }
        let delivery = claimed.delivery.id;
        if let Some(reason) = &recorded.disabled {
            tracing::warn!(endpoint = %endpoint.id, %reason, "webhook endpoint disabled");
        }
        let error = error.unwrap_or_default();
        Ok(match outcome {
            AttemptOutcome::Delivered => {
                tracing::info!(%delivery, event = %claimed.delivery.event_type, "webhook delivered");
                DeliveryOutcome::Delivered
            }
            AttemptOutcome::RetryAt(at) => {
                tracing::warn!(%delivery, attempt, %error, retry_at = %at, "webhook not delivered; will retry");
                DeliveryOutcome::Retrying(error)
            }
            AttemptOutcome::Gone | AttemptOutcome::GaveUp => {
                tracing::error!(%delivery, attempt, %error, "webhook given up");
                DeliveryOutcome::Failed(error)
            }
        })
    }

    /// Deletes events (and their delivery logs) past the retention.
    pub async fn prune(&self) -> anyhow::Result<u64> {
        let before = self.store.now() - chrono::Duration::from_std(self.config.retention)?;
        Ok(self.store.prune_events(before).await?)
    }

    /// Dispatches events and sends deliveries until `shutdown` turns true. An attempt in
    /// flight finishes first (at most the sender's timeout).
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(
            allow_private = self.config.sender.allow_private,
            "outbox worker started"
        );
        let mut last_prune: Option<std::time::Instant> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if last_prune.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
                last_prune = Some(std::time::Instant::now());
                match self.prune().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(events = n, "old events and delivery logs deleted"),
                    Err(err) => tracing::warn!(error = format!("{err:#}"), "cannot prune events"),
                }
            }
            let mut busy = false;
            match self.dispatch_once().await {
                Ok(dispatched) => busy |= dispatched.events > 0,
                Err(err) => tracing::warn!(error = format!("{err:#}"), "cannot dispatch events"),
            }
            match self.deliver_once().await {
                Ok(delivered) => busy |= !delivered.is_empty(),
                Err(err) => tracing::warn!(error = format!("{err:#}"), "cannot send webhooks"),
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
        tracing::info!("outbox worker stopped");
    }
}
