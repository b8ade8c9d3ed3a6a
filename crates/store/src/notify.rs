//! Low-latency pick-up on PostgreSQL: `NOTIFY` when a job is queued, `LISTEN` in
//! workers. Polling stays the fallback (and the only way on SQLite), so a lost
//! notification only delays a job until the next poll.

use std::{sync::Arc, time::Duration};

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
        let pool = self.pool.get_postgres_connection_pool().clone();
        loop {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(listener) => listener,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot LISTEN for jobs; polling meanwhile");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
            };
            if let Err(err) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %err, "cannot LISTEN for jobs; polling meanwhile");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
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
