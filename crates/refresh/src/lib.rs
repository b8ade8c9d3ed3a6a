//! The refresh worker: claims queued refresh jobs, fetches each requested data type
//! from the company's provider, and records the outcome. Its sweeps also queue due
//! scheduled refreshes, reap overdue jobs, and expire the consent links (the way to a
//! company's first refresh) that nobody used in time.
//!
//! Architecture invariants:
//! - The database is the only thing workers share. Any number of workers, in any
//!   number of processes, may run against one database; a job is run by the holder of
//!   its lease, and a worker that dies loses its lease when it expires.
//! - A job's outcome (reports, company status, job state) is written in one
//!   transaction by the store. A failure never touches the last good reports.

use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc, time::Duration};

use domain::{ErrorCode, RefreshJobId, StatusError};
use providers::{FetchError, FetchRequest, Pacer, Provider, Retry, TenantPacer};
use rand::Rng;
use store::{ClaimedJob, FinishError, RateLimit, Store, StoredReport};
use tokio::{
    sync::{Notify, OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
};

/// How a worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a claimed job stays ours without a heartbeat.
    pub lease: Duration,
    /// How often to look for work when nobody says there is some.
    pub poll_interval: Duration,
    /// How many jobs this worker fetches at once: its upstream calls in flight. A job
    /// gives its slot back as soon as its fetch is over; up to as many again may then be
    /// recording their outcome in the database. The worker also holds up to half as
    /// many claimed jobs waiting for a slot, so that a freed slot starts its next fetch
    /// at once instead of after a claim's round trip.
    pub concurrency: usize,
    /// Attempts before a transient failure becomes final.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles, with jitter (`domain::retry_delay`).
    pub retry_base: Duration,
    /// How long a single attempt may take before it counts as timed out.
    pub attempt_timeout: Duration,
    /// The watchdog's limit on one attempt, for when the worker's own timeout cannot
    /// act (a hung process whose heartbeat goes on): past it the job is retried or failed.
    pub deadline: Duration,
    /// How often the worker sweeps for due scheduled refreshes and overdue jobs.
    pub maintenance_interval: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            concurrency: 8,
            max_attempts: 3,
            retry_base: Duration::from_secs(2),
            attempt_timeout: Duration::from_secs(120),
            deadline: Duration::from_secs(300),
            maintenance_interval: Duration::from_secs(15),
        }
    }
}

/// Providers by the platform name stored on a company's connection.
#[derive(Clone, Default)]
pub struct Providers(HashMap<&'static str, Arc<dyn Provider>>);

impl Providers {
    pub fn with(mut self, provider: impl Provider + 'static) -> Self {
        self.0.insert(provider.platform(), Arc::new(provider));
        self
    }

    pub fn with_arc(mut self, provider: Arc<dyn Provider>) -> Self {
        self.0.insert(provider.platform(), provider);
        self
    }

    pub fn get(&self, platform: &str) -> Option<Arc<dyn Provider>> {
        self.0.get(platform).cloned()
    }

    pub fn platforms(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.0.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

/// What one maintenance sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// Overdue jobs retried or failed.
    pub reaped: usize,
    /// Scheduled refreshes queued.
    pub scheduled: u64,
}

/// A [`Pacer`] shared through the database: every process calling the upstream takes
/// tokens from one bucket, so a bulk refresh on many workers stays within its rate.
pub struct DatabasePacer {
    store: Store,
    key: String,
    limit: RateLimit,
}

impl DatabasePacer {
    pub fn new(store: Store, key: impl Into<String>, limit: RateLimit) -> Self {
        Self {
            store,
            key: key.into(),
            limit,
        }
    }
}

impl Pacer for DatabasePacer {
    fn wait_turn(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            loop {
                match self.store.take_token(&self.key, self.limit).await {
                    Ok(None) => return,
                    Ok(Some(wait)) => {
                        // Jitter keeps waiting workers from retrying in lockstep.
                        let jitter = rand::rng().random_range(0.0..0.5);
                        tokio::time::sleep(wait.mul_f64(1.0 + jitter)).await;
                    }
                    Err(err) => {
                        // The fetch itself will meet the same database trouble; do not
                        // hold it up here.
                        tracing::warn!(error = %err, key = %self.key, "rate limit unavailable");
                        return;
                    }
                }
            }
        })
    }
}

/// A [`TenantPacer`] shared through the database: one bucket per tenant of a platform
/// (`{prefix}:{tenant}`), and one for the whole app when the platform limits that too.
pub struct DatabaseTenantPacer {
    store: Store,
    prefix: String,
    per_tenant: RateLimit,
    per_app: Option<RateLimit>,
}

impl DatabaseTenantPacer {
    pub fn new(
        store: Store,
        prefix: impl Into<String>,
        per_tenant: RateLimit,
        per_app: Option<RateLimit>,
    ) -> Self {
        Self {
            store,
            prefix: prefix.into(),
            per_tenant,
            per_app,
        }
    }
}

impl TenantPacer for DatabaseTenantPacer {
    fn wait_turn<'a>(&'a self, tenant: &'a str) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            let tenant_key = format!("{}:{tenant}", self.prefix);
            DatabasePacer::new(self.store.clone(), tenant_key, self.per_tenant)
                .wait_turn()
                .await;
            if let Some(limit) = self.per_app {
                DatabasePacer::new(self.store.clone(), format!("{}:app", self.prefix), limit)
                    .wait_turn()
                    .await;
            }
        })
    }
}

/// A claimed job's place in the worker until its fetch is over: it waits for one of the
/// fetch slots (`fetching`), and dropping it makes room for the loop to claim another.
struct Slot {
    held: Option<OwnedSemaphorePermit>,
    fetching: Arc<Semaphore>,
    freed: Arc<Notify>,
}

impl Slot {
    /// Waits for a fetch slot; the upstream call runs while the returned permit lives.
    async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        self.fetching.clone().acquire_owned().await.ok()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // The room is free before the loop looks.
        drop(self.held.take());
        self.freed.notify_one();
    }
}

/// What happened to one claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Failed for good; the company shows this error.
    Failed(StatusError),
    /// A transient failure: queued again to run later.
    Retrying(StatusError),
    /// Another worker holds the job now, or the company is gone.
    LeaseLost,
}

pub struct Worker {
    store: Store,
    providers: Providers,
    config: WorkerConfig,
    owner: String,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(store: Store, providers: Providers, config: WorkerConfig) -> Self {
        let owner = format!(
            "{}:{}:{}",
            hostname(),
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        );
        Self {
            store,
            providers,
            config,
            owner,
            wake: Arc::new(Notify::new()),
        }
    }

    /// A handle that wakes the worker at once (after an in-process enqueue), instead of
    /// at its next poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Claims and runs one job. `None` when there was nothing to do. Tests call this to
    /// drain the queue deterministically.
    pub async fn run_once(&self) -> anyhow::Result<Option<(RefreshJobId, Outcome)>> {
        let Some(claimed) = self.claim().await? else {
            return Ok(None);
        };
        let id = claimed.id();
        let outcome = self.execute_in(claimed, None).await?;
        Ok(Some((id, outcome)))
    }

    /// The periodic sweep every worker runs: queues the scheduled refreshes that are due,
    /// and retries or fails jobs that overran their deadline or lost their worker on the
    /// last attempt. Safe to run in any number of workers at once.
    pub async fn maintain(&self) -> anyhow::Result<Maintenance> {
        let at = self.store.now();
        let reaped = self
            .store
            .reap_overdue_jobs(
                at,
                chrono::Duration::from_std(self.config.deadline)?,
                self.config.max_attempts,
            )
            .await?;
        for job in &reaped {
            tracing::warn!(?job, "watchdog: refresh job overran or was abandoned");
        }
        let scheduled = self.store.queue_scheduled_refreshes(at, 500).await?;
        if scheduled > 0 {
            tracing::info!(scheduled, "scheduled refreshes queued");
        }
        Ok(Maintenance {
            reaped: reaped.len(),
            scheduled,
        })
    }

    /// Expires pending consent links past their expiry, at most 100 a call: their
    /// companies show `link_expired`. A link opened late is refused by the consent
    /// handler itself; this is for the ones nobody opened. Safe to run in any number of
    /// workers at once.
    pub async fn expire_links(&self) -> anyhow::Result<usize> {
        let expired = self.store.expire_information_requests(100).await?;
        if expired > 0 {
            tracing::info!(expired, "information request links expired");
        }
        Ok(expired)
    }

    /// Runs jobs until `shutdown` turns true: stops claiming, lets running jobs finish
    /// for up to `grace`, then puts the rest back in the queue.
    pub async fn run(
        self: Arc<Self>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
        grace: Duration,
    ) {
        tracing::info!(owner = %self.owner, concurrency = self.config.concurrency, "refresh worker started");
        // PostgreSQL: NOTIFY wakes the loop at once; polling remains the fallback.
        let listening = {
            let store = self.store.clone();
            let wake = self.wake.clone();
            tokio::spawn(async move { store.listen_for_jobs(wake).await })
        };
        let mut running: JoinSet<()> = JoinSet::new();
        let mut held: HashMap<tokio::task::Id, RefreshJobId> = HashMap::new();
        // Fetch slots, so a job's database write does not hold up the next fetch, and
        // room for claimed jobs until their fetch is over: the slots and half as many
        // again, waiting, so a freed slot does not wait for the next claim.
        let concurrency = self.config.concurrency.max(1);
        let fetching = Arc::new(Semaphore::new(concurrency));
        let waiting = concurrency.div_ceil(2);
        let room = Arc::new(Semaphore::new(concurrency + waiting));
        let slot_freed = Arc::new(Notify::new());
        let max_tasks = concurrency.saturating_mul(2) + waiting;
        let mut next_maintenance = tokio::time::Instant::now();
        let mut next_link_sweep = next_maintenance;
        loop {
            if *shutdown.borrow() {
                break;
            }
            // Once a poll: an unopened link shows expired within a poll of its time.
            let now = tokio::time::Instant::now();
            if now >= next_link_sweep {
                next_link_sweep = now + self.config.poll_interval;
                if let Err(err) = self.expire_links().await {
                    tracing::warn!(
                        error = format!("{err:#}"),
                        "cannot expire information requests"
                    );
                }
            }
            if tokio::time::Instant::now() >= next_maintenance {
                next_maintenance += self.config.maintenance_interval;
                if let Err(err) = self.maintain().await {
                    tracing::warn!(
                        error = format!("{err:#}"),
                        "maintenance sweep failed; retrying"
                    );
                }
            }
            while let Some(done) = running.try_join_next_with_id() {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(err) => err.id(),
                };
                held.remove(&id);
            }
            let mut claimed_any = false;
            let free = room
                .available_permits()
                .min(max_tasks.saturating_sub(running.len()));
            if free > 0 {
                // Every free slot in one statement, not one claim per round trip.
                let asked = std::time::Instant::now();
                match self.claim_many(free).await {
                    Ok(claimed) => {
                        tracing::debug!(
                            free,
                            claimed = claimed.len(),
                            claim_ms = asked.elapsed().as_millis() as u64,
                            "claimed"
                        );
                        claimed_any = !claimed.is_empty();
                        for claimed in claimed {
                            let job = claimed.id();
                            let worker = self.clone();
                            let slot = Slot {
                                held: room.clone().try_acquire_owned().ok(),
                                fetching: fetching.clone(),
                                freed: slot_freed.clone(),
                            };
                            let handle = running.spawn(async move {
                                if let Err(err) = worker.execute_in(claimed, Some(slot)).await {
                                    tracing::error!(job = %job, error = format!("{err:#}"), "refresh job could not be recorded");
                                }
                            });
                            held.insert(handle.id(), job);
                        }
                    }
                    Err(err) => {
                        tracing::warn!(
                            error = format!("{err:#}"),
                            "cannot claim refresh jobs; retrying"
                        );
                    }
                }
            }
            let full = room.available_permits() == 0 || running.len() >= max_tasks;
            if claimed_any && !full {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = slot_freed.notified(), if room.available_permits() == 0 => {}
                Some(_) = running.join_next(), if running.len() >= max_tasks => {}
                _ = shutdown.changed() => {}
            }
        }
        listening.abort();
        tracing::info!(running = running.len(), "refresh worker stopping");
        let finished = tokio::time::timeout(grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            running.abort_all();
            for job in held.values() {
                if let Err(err) = self
                    .store
                    .release_job(*job, &self.owner, self.store.now(), None)
                    .await
                {
                    tracing::warn!(job = %job, error = %err, "cannot release job; its lease will expire");
                }
            }
        }
        tracing::info!("refresh worker stopped");
    }

    async fn claim_many(&self, free: usize) -> anyhow::Result<Vec<ClaimedJob>> {
        let lease = chrono::Duration::from_std(self.config.lease)?;
        Ok(self
            .store
            .claim_next_jobs(
                &self.owner,
                lease,
                self.config.max_attempts,
                u32::try_from(free).unwrap_or(u32::MAX),
            )
            .await?)
    }

    async fn claim(&self) -> anyhow::Result<Option<ClaimedJob>> {
        let lease = chrono::Duration::from_std(self.config.lease)?;
        Ok(self
            .store
            .claim_next_job(&self.owner, lease, self.config.max_attempts)
            .await?)
    }

    /// Runs a claimed job: fetches in a slot of `slot`'s (given back as soon as the fetch
    /// is over), then records the outcome.
    async fn execute_in(&self, claimed: ClaimedJob, slot: Option<Slot>) -> anyhow::Result<Outcome> {
        let id = claimed.id();
        let heartbeat = self.heartbeat(id);
        let turn = match &slot {
            Some(slot) => slot.turn().await,
            None => None,
        };
        let started = std::time::Instant::now();
        let fetched = tokio::time::timeout(self.config.attempt_timeout, self.fetch_all(&claimed))
            .await
            .unwrap_or_else(|_| {
                Err(FetchError::transient(
                    ErrorCode::TimedOut,
                    ErrorCode::TimedOut.default_message(),
                ))
            });
        drop(turn);
        drop(slot);
        heartbeat.abort();
        let fetch_ms = started.elapsed().as_millis() as u64;
        let outcome = match fetched {
            Ok(reports) => match self
                .store
                .finish_job_succeeded(&claimed, &self.owner, reports)
                .await
            {
                Ok(_) => Outcome::Succeeded,
                Err(FinishError::LeaseLost) => Outcome::LeaseLost,
                Err(FinishError::Database(err)) => return Err(err.into()),
            },
            Err(error) => self.record_failure(&claimed, error).await?,
        };
        tracing::info!(
            job = %id,
            company = %claimed.company.id,
            attempt = claimed.job.attempts,
            elapsed_ms = started.elapsed().as_millis() as u64,
            fetch_ms,
            outcome = ?outcome,
            "refresh job done"
        );
        Ok(outcome)
    }

    async fn record_failure(
        &self,
        claimed: &ClaimedJob,
        error: FetchError,
    ) -> anyhow::Result<Outcome> {
        let status_error = error.status_error();
        let attempts = u32::try_from(claimed.job.attempts).unwrap_or(u32::MAX);
        if error.retry == Retry::Transient && attempts < self.config.max_attempts {
            let backoff =
                domain::retry_delay(self.config.retry_base, attempts, rand::rng().random());
            // A platform's own wait (its daily limit) is honoured, not retried into.
            let delay = error.retry_after.map_or(backoff, |wait| wait.max(backoff));
            let run_at = self.store.now() + chrono::Duration::from_std(delay)?;
            let released = self
                .store
                .release_job(claimed.id(), &self.owner, run_at, Some(&status_error))
                .await?;
            return Ok(if released {
                Outcome::Retrying(status_error)
            } else {
                Outcome::LeaseLost
            });
        }
        match self
            .store
            .finish_job_failed(claimed, &self.owner, status_error.clone())
            .await
        {
            Ok(()) => Ok(Outcome::Failed(status_error)),
            Err(FinishError::LeaseLost) => Ok(Outcome::LeaseLost),
            Err(FinishError::Database(err)) => Err(err.into()),
        }
    }

    /// Fetches every requested data type; the first failure ends the attempt.
    async fn fetch_all(&self, claimed: &ClaimedJob) -> Result<Vec<StoredReport>, FetchError> {
        let platform = claimed.company.platform.as_deref().unwrap_or_default();
        let provider = self.providers.get(platform).ok_or_else(|| {
            FetchError::permanent(
                ErrorCode::NotSupported,
                format!("The accounting platform \"{platform}\" is not configured on this server."),
            )
        })?;
        let as_of = self.store.now();
        let mut stored = Vec::new();
        for data_type in claimed.data_types() {
            let reports = provider
                .fetch(FetchRequest {
                    company: domain::CompanyId::from_uuid(claimed.company.id),
                    company_name: claimed.company.name.clone(),
                    data_type,
                    as_of,
                })
                .await?;
            stored.extend(reports.into_iter().map(|r| StoredReport {
                kind: r.kind,
                payload: r.payload,
            }));
        }
        Ok(stored)
    }

    /// Keeps the lease of a running job alive until aborted.
    fn heartbeat(&self, job: RefreshJobId) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        let owner = self.owner.clone();
        let lease = self.config.lease;
        tokio::spawn(async move {
            let Ok(chrono_lease) = chrono::Duration::from_std(lease) else {
                return;
            };
            loop {
                tokio::time::sleep(lease / 3).await;
                match store.extend_lease(job, &owner, chrono_lease).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(err) => tracing::warn!(job = %job, error = %err, "lease heartbeat failed"),
                }
            }
        })
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "worker".to_owned())
}
