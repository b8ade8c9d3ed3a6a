//! PostgreSQL's notifications, two channels:
//! - `spendlens_jobs`: low-latency pick-up. `NOTIFY` when a job is queued, `LISTEN` in
//!   workers. Polling stays the fallback (and the only way on SQLite), so a lost
//!   notification only delays a job until the next poll.
//! - `spendlens_statuses`: sent by triggers whenever a polled status changes; `serve`
//!   follows it to keep unchanged status answers in memory
//!   (`crates/server/src/status_cache.rs`). Here a lost notification would be a stale
//!   answer, so a lost connection is reported ([`StatusSignal::Lost`]), never hidden.

use std::{sync::Arc, time::Duration};

use domain::OrganizationId;
use sea_orm::{ConnectionTrait, DbBackend, sqlx::postgres::PgListener};
use tokio::sync::Notify;

use crate::Store;

const CHANNEL: &str = "spendlens_jobs";

impl Store {
    /// Tells listening workers that a job is ready. A no-op on SQLite.
    pub async fn notify_job_queued(&self) {
        if self.backend() == DbBackend::Postgres
            && let Err(err) = self
                .db
                .execute_unprepared(&format!("NOTIFY {CHANNEL}"))
                .await
        {
            // Workers still poll: a lost notification only costs latency.
            tracing::warn!(error = %err, "cannot notify workers");
        }
    }

    /// Wakes `worker` on every job notification, until the task is dropped. Returns at
    /// once on SQLite.
    pub async fn listen_for_jobs(&self, worker: Arc<Notify>) {
        if self.backend() != DbBackend::Postgres {
            return;
        }
        loop {
            let mut listener = self.listener(CHANNEL, Duration::from_secs(2)).await;
            loop {
                match listener.recv().await {
                    Ok(_) => worker.notify_one(),
                    Err(err) => {
                        tracing::warn!(error = %err, "job notifications interrupted; reconnecting");
                        // Jobs queued while disconnected are found by polling.
                        worker.notify_one();
                        break;
                    }
                }
            }
        }
    }
}

impl Store {
    /// A connection listening on `channel` (PostgreSQL), retrying every `pause` until
    /// the database lets it. Whatever the caller does while it waits (poll, answer
    /// from the database) must not depend on notifications.
    async fn listener(&self, channel: &str, pause: Duration) -> PgListener {
        let pool = self.pool.get_postgres_connection_pool().clone();
        loop {
            let listening = async {
                let mut listener = PgListener::connect_with(&pool).await?;
                listener.listen(channel).await?;
                Ok::<_, sea_orm::sqlx::Error>(listener)
            };
            match listening.await {
                Ok(listener) => return listener,
                Err(err) => {
                    tracing::warn!(error = %err, channel, "cannot LISTEN; retrying");
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }
}

/// The channel of the status triggers (migration `m20261201_000013_status_notifications`).
const STATUS_CHANNEL: &str = "spendlens_statuses";

/// What [`Store::listen_for_statuses`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusSignal {
    /// Listening: every committed change from now on is reported.
    Listening,
    /// A committed change may have altered the statuses of this organization's
    /// companies (`None`: of any organization).
    Changed(Option<OrganizationId>),
    /// The connection was lost: changes may have gone unreported until the next
    /// `Listening`.
    Lost,
}

impl Store {
    /// Reports status changes on PostgreSQL to `signal`, reconnecting whenever the
    /// connection is lost, until `signal` returns false. Returns at once on SQLite,
    /// which has no notifications.
    pub async fn listen_for_statuses(&self, mut signal: impl FnMut(StatusSignal) -> bool) {
        if self.backend() != DbBackend::Postgres {
            return;
        }
        loop {
            let mut listener = self.listener(STATUS_CHANNEL, Duration::from_secs(1)).await;
            if !signal(StatusSignal::Listening) {
                return;
            }
            loop {
                // `try_recv`, not `recv`: `recv` reconnects silently, and the changes
                // committed meanwhile would never be reported.
                let changed = match listener.try_recv().await {
                    Ok(Some(notification)) => match notification.payload() {
                        "*" => StatusSignal::Changed(None),
                        payload => match payload.parse() {
                            Ok(organization) => {
                                StatusSignal::Changed(Some(OrganizationId::from_uuid(organization)))
                            }
                            Err(_) => StatusSignal::Changed(None),
                        },
                    },
                    Ok(None) => StatusSignal::Lost,
                    Err(err) => {
                        tracing::warn!(error = %err, "status notifications interrupted; reconnecting");
                        StatusSignal::Lost
                    }
                };
                if !signal(changed) {
                    return;
                }
                if changed == StatusSignal::Lost {
                    break;
                }
            }
        }
    }
}
