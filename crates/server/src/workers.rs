//! The three background workers — refreshes, emails, webhooks and notifications — started
//! and stopped the same way by `serve` (in process) and `spendlens worker`.

use std::{sync::Arc, time::Duration};

use mail::{MailConfig, MailWorker, Transport};
use outbox::{OutboxConfig, OutboxWorker};
use refresh::{Providers, Worker, WorkerConfig};
use store::Store;
use tokio::{
    sync::{Notify, watch},
    task::JoinHandle,
};

/// How long a stopping refresh worker lets its running jobs finish before it puts the
/// rest back in the queue.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// What the workers need besides the store, the providers and the mail transport.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub refresh: WorkerConfig,
    pub mail: MailConfig,
    /// Its `public_url` is the base of the links in notification emails (none without it).
    pub outbox: OutboxConfig,
}

/// The running workers: their wakers for this process's handlers, and their stop.
/// Dropped without [`Workers::stop`], they are told to stop without being waited for.
pub struct Workers {
    pub refresh_waker: Arc<Notify>,
    pub mail_waker: Arc<Notify>,
    pub outbox_waker: Arc<Notify>,
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

/// Starts the refresh, mail and outbox workers on the current runtime.
pub fn spawn_workers(
    store: &Store,
    providers: Providers,
    transport: Transport,
    settings: WorkerSettings,
) -> anyhow::Result<Workers> {
    let mail = Arc::new(MailWorker::new(store.clone(), transport, settings.mail));
    let outbox =
        Arc::new(OutboxWorker::new(store.clone(), settings.outbox)?.with_mail_waker(mail.waker()));
    let refresh = Arc::new(Worker::new(store.clone(), providers, settings.refresh));
    let (stop, stopped) = watch::channel(false);
    Ok(Workers {
        refresh_waker: refresh.waker(),
        mail_waker: mail.waker(),
        outbox_waker: outbox.waker(),
        stop,
        handles: vec![
            tokio::spawn(refresh.run(stopped.clone(), SHUTDOWN_GRACE)),
            tokio::spawn(mail.run(stopped.clone())),
            tokio::spawn(outbox.run(stopped)),
        ],
    })
}

/// Every ten minutes: renews the refresh tokens of connections nobody refreshed for a
/// while (before the platform lets them die unused), and removes authorizations
/// customers never finished. Safe in any number of processes: each refresh takes the
/// connection's lease.
pub fn spawn_keep_alive(connector: connections::Connector) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match connector.keep_alive(100).await {
                Ok(0) => {}
                Ok(renewed) => tracing::info!(renewed, "connections kept alive"),
                Err(err) => tracing::warn!(error = %err, "keep-alive sweep failed"),
            }
            if let Err(err) = connector.prune_authorizations().await {
                tracing::warn!(error = %err, "pruning authorizations failed");
            }
        }
    })
}

/// Follows the data partner's connections customers left pending (they closed the
/// partner's page before coming back), every minute in each worker process; linking
/// one queues its first fetch.
pub fn spawn_partner_follow(partner: connections::Partner) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match partner.follow_pending(100).await {
                Ok(0) => {}
                Ok(linked) => tracing::info!(linked, "data partner connections linked"),
                Err(err) => {
                    tracing::warn!(error = %err, "following data partner connections failed")
                }
            }
        }
    })
}

impl Workers {
    /// Tells the workers to stop and waits until they have (running refreshes get
    /// [`SHUTDOWN_GRACE`]). Fails if one of them panicked.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        for handle in std::mem::take(&mut self.handles) {
            handle.await?;
        }
        Ok(())
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
