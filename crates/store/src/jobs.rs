//! The refresh job queue and the reports a finished job writes.
//!
//! A job row is the whole truth about a refresh: the API inserts it, a worker claims it
//! with a lease, and the worker's final transaction writes the reports, moves the
//! company's status and finishes the job together. A unique partial index keeps at
//! most one queued or running job per company.

use chrono::{DateTime, Duration, Utc};
use domain::{
    AuditAction, CompanyId, DataType, ErrorCode, OrganizationId, RefreshJobId, RefreshTrigger,
    StatusError, StatusEvent, UserId,
};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait, UpdateMany,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    AuditActor, AuditRecord, Store,
    companies::{requested_types, stored_error},
    company_status::{apply_event, apply_event_from},
    entities::{
        companies,
        refresh_jobs::{self, ACTIVE_STATES, JobState},
    },
    queue::{Queue, claim_statement},
    reports::{StoredReport, add_snapshots},
    sql::{is_foreign_key_violation, is_unique_violation},
};

/// The refresh queue: workers claim jobs (the claim also sets `started_at`; the
/// workers' `max_attempts` is set per claim).
const REFRESH_JOBS: Queue = Queue {
    table: "refresh_jobs",
    queued_state: JobState::Queued.as_str(),
    active_state: JobState::Running.as_str(),
    stamps_start: true,
    max_attempts: None,
    fair_by: Some("organization_id"),
};

/// Why a refresh cannot be queued.
#[derive(Debug, thiserror::Error)]
pub enum RefreshRefused {
    #[error("no such company")]
    NotFound,
    /// Nothing to fetch from: the customer has not granted access (or it was lost).
    #[error("the customer has not granted access to their data")]
    NoAccess,
    /// The data was uploaded from the template: nothing to fetch it from. A new upload
    /// (through a new information request) replaces it.
    #[error("the company's data was uploaded by the customer; it cannot be refreshed")]
    Uploaded,
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// A job a worker holds the lease of, with the company it refreshes.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub job: refresh_jobs::Model,
    pub company: companies::Model,
}

impl ClaimedJob {
    pub fn id(&self) -> RefreshJobId {
        RefreshJobId::from_uuid(self.job.id)
    }

    pub fn data_types(&self) -> Vec<DataType> {
        requested_types(&self.company)
    }
}

/// Why a worker could not record a job's outcome.
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    /// The lease expired and another worker took the job, or the company was deleted.
    #[error("the job is no longer held by this worker")]
    LeaseLost,
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// What the watchdog did to a job that overran or was abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverdueJob {
    /// Queued again (it had attempts left).
    Retried(RefreshJobId),
    /// Failed with `timed_out`; the company shows the error.
    Failed(RefreshJobId),
}

pub fn job_error(job: &refresh_jobs::Model) -> Option<StatusError> {
    stored_error(job.error_code.as_deref(), job.error_message.as_deref())
}

impl Store {
    /// Queues a refresh of the company, or returns the one already queued or running.
    /// The bool is true when this call created the job.
    ///
    /// The insert is a single statement guarded by the unique partial index, so any
    /// number of concurrent callers on any number of replicas end up with one job.
    pub async fn request_refresh(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        trigger: RefreshTrigger,
        requested_by: Option<UserId>,
    ) -> Result<(refresh_jobs::Model, bool), RefreshRefused> {
        // A job can finish between a failed insert and the re-read: try again then.
        for _ in 0..5 {
            let row = self
                .company_row(organization, company)
                .await?
                .ok_or(RefreshRefused::NotFound)?;
            match row.platform.as_deref() {
                None => return Err(RefreshRefused::NoAccess),
                Some(crate::UPLOAD_PLATFORM) => return Err(RefreshRefused::Uploaded),
                Some(_) => {}
            }
            if let Some(job) = self.active_job(company).await? {
                return Ok((job, false));
            }
            let inserted = self
                .insert_guarded(new_job(
                    organization,
                    company,
                    trigger,
                    requested_by,
                    self.now(),
                ))
                .await;
            match inserted {
                Ok(job) => {
                    self.notify_job_queued().await;
                    return Ok((job, true));
                }
                Err(err) if is_unique_violation(&err) => continue,
                // The company was deleted since it was read.
                Err(err) if is_foreign_key_violation(&err) => return Err(RefreshRefused::NotFound),
                Err(err) => return Err(err.into()),
            }
        }
        Err(RefreshRefused::Database(sea_orm::DbErr::Custom(
            "the company's refresh kept changing state; try again".into(),
        )))
    }

    async fn active_job(
        &self,
        company: CompanyId,
    ) -> Result<Option<refresh_jobs::Model>, sea_orm::DbErr> {
        refresh_jobs::Entity::find()
            .filter(refresh_jobs::Column::CompanyId.eq(company.as_uuid()))
            .filter(refresh_jobs::Column::State.is_in(ACTIVE_STATES))
            .one(&self.db)
            .await
    }

    /// One refresh job of the organization.
    pub async fn refresh_job(
        &self,
        organization: OrganizationId,
        id: RefreshJobId,
    ) -> Result<Option<refresh_jobs::Model>, sea_orm::DbErr> {
        refresh_jobs::Entity::find_by_id(id.as_uuid())
            .filter(refresh_jobs::Column::OrganizationId.eq(organization.as_uuid()))
            .one(&self.db)
            .await
    }

    /// The company's refreshes, newest first.
    pub async fn refresh_history(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        limit: u64,
    ) -> Result<Vec<refresh_jobs::Model>, sea_orm::DbErr> {
        use sea_orm::QuerySelect;
        refresh_jobs::Entity::find()
            .filter(refresh_jobs::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(refresh_jobs::Column::CompanyId.eq(company.as_uuid()))
            .order_by_desc(refresh_jobs::Column::RequestedAt)
            .limit(limit)
            .all(&self.db)
            .await
    }

    /// Claims the oldest runnable job for `owner` until `lease` from now: a queued job
    /// whose time has come, or a running one whose worker's lease expired (the worker
    /// died). Returns `None` when there is nothing to do.
    ///
    /// A job whose worker died on its last allowed attempt (`max_attempts`) is not taken
    /// over: [`Store::reap_overdue_jobs`] fails it.
    pub async fn claim_next_job(
        &self,
        owner: &str,
        lease: Duration,
        max_attempts: u32,
    ) -> Result<Option<ClaimedJob>, sea_orm::DbErr> {
        Ok(self
            .claim_next_jobs(owner, lease, max_attempts, 1)
            .await?
            .into_iter()
            .next())
    }

    /// Claims up to `limit` runnable jobs in one statement (as [`Store::claim_next_job`]),
    /// so a worker with many free slots fills them in one round trip.
    pub async fn claim_next_jobs(
        &self,
        owner: &str,
        lease: Duration,
        max_attempts: u32,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, sea_orm::DbErr> {
        let at = self.now();
        let expires = at + lease;
        let statement = claim_statement(
            self.backend(),
            &Queue {
                max_attempts: Some(i32::try_from(max_attempts).unwrap_or(i32::MAX)),
                ..REFRESH_JOBS
            },
            owner,
            at,
            expires,
            limit,
        );
        // The claim and the read of its companies commit together: when the read fails
        // (the pool or the database is in trouble), the jobs stay queued instead of
        // waiting a whole lease for a holder that never got them.
        let txn = self.db.begin().await?;
        let mut jobs = refresh_jobs::Entity::find()
            .from_raw_sql(statement)
            .all(&txn)
            .await?;
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        jobs.sort_by_key(|job| job.run_at);
        let mut companies: std::collections::HashMap<Uuid, companies::Model> =
            companies::Entity::find()
                .filter(companies::Column::Id.is_in(jobs.iter().map(|j| j.company_id)))
                .all(&txn)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
        txn.commit().await?;
        // A company deleted since the claim takes its jobs with it (cascade).
        Ok(jobs
            .into_iter()
            .filter_map(|job| {
                let company = companies.remove(&job.company_id)?;
                Some(ClaimedJob { job, company })
            })
            .collect())
    }

    /// Extends the lease of a job this worker holds. False when it no longer holds it.
    pub async fn extend_lease(
        &self,
        job: RefreshJobId,
        owner: &str,
        lease: Duration,
    ) -> Result<bool, sea_orm::DbErr> {
        let result = refresh_jobs::Entity::update_many()
            .col_expr(
                refresh_jobs::Column::LeaseExpiresAt,
                Expr::val(self.now() + lease),
            )
            .filter(refresh_jobs::Column::Id.eq(job.as_uuid()))
            .filter(refresh_jobs::Column::State.eq(JobState::Running))
            .filter(refresh_jobs::Column::LeaseOwner.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Records a successful fetch in one transaction: the job succeeds, each report is
    /// replaced with its own `updated_at`, and the company becomes `available`.
    pub async fn finish_job_succeeded(
        &self,
        claimed: &ClaimedJob,
        owner: &str,
        fetched: Vec<StoredReport>,
    ) -> Result<DateTime<Utc>, FinishError> {
        let at = self.now();
        let txn = self.db.begin().await?;
        if !finish(&txn, claimed.job.id, owner, JobState::Succeeded, None, at).await? {
            return Err(FinishError::LeaseLost);
        }
        add_snapshots(&txn, claimed.company.id, fetched, at, self.report_retention).await?;
        apply_event_from(
            &txn,
            &claimed.company,
            StatusEvent::RefreshSucceeded,
            at,
            |company| company.data_updated_at = Set(Some(at)),
        )
        .await?;
        crate::audit::append(
            &txn,
            refresh_outcome(claimed, AuditAction::RefreshSucceeded, None),
            at,
        )
        .await?;
        crate::events::refresh_finished(&txn, &claimed.job, Some(&claimed.company.name), None, at)
            .await?;
        txn.commit().await?;
        Ok(at)
    }

    /// Records a failed fetch in one transaction: the job fails with `error`, and the
    /// company shows it. The company's reports are left as they were.
    pub async fn finish_job_failed(
        &self,
        claimed: &ClaimedJob,
        owner: &str,
        error: StatusError,
    ) -> Result<(), FinishError> {
        let at = self.now();
        let txn = self.db.begin().await?;
        if !finish(
            &txn,
            claimed.job.id,
            owner,
            JobState::Failed,
            Some(&error),
            at,
        )
        .await?
        {
            return Err(FinishError::LeaseLost);
        }
        let access_lost = matches!(
            error.code,
            ErrorCode::AccessRevoked | ErrorCode::AccessDenied
        );
        crate::audit::append(
            &txn,
            refresh_outcome(claimed, AuditAction::RefreshFailed, Some(&error)),
            at,
        )
        .await?;
        crate::events::refresh_finished(
            &txn,
            &claimed.job,
            Some(&claimed.company.name),
            Some(&error),
            at,
        )
        .await?;
        apply_event_from(
            &txn,
            &claimed.company,
            StatusEvent::RefreshFailed(error),
            at,
            |_| {},
        )
        .await?;
        if access_lost {
            // Nothing can be fetched any more: the next step is a new information request,
            // and a refresh is refused until the customer grants access again.
            companies::Entity::update_many()
                .col_expr(companies::Column::Platform, Expr::val(None::<String>))
                .filter(companies::Column::Id.eq(claimed.company.id))
                .exec(&txn)
                .await?;
            // A connection through the data partner says so too (its visible state).
            crate::partner::mark_lost(&txn, claimed.company.id, at).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// The watchdog: finds running jobs that will not finish by themselves — running past
    /// `deadline` since their start (a worker hung while its heartbeat goes on), or
    /// abandoned by a worker that died on their last allowed attempt — and retries them
    /// (attempts left) or fails them, so that no company shows a refresh running forever.
    /// Each is decided by a conditional update on the lease it had, so a worker finishing
    /// at the same moment wins or loses cleanly. Returns what was done.
    pub async fn reap_overdue_jobs(
        &self,
        at: DateTime<Utc>,
        deadline: Duration,
        max_attempts: u32,
    ) -> Result<Vec<OverdueJob>, sea_orm::DbErr> {
        use sea_orm::Condition;
        let max_attempts = i32::try_from(max_attempts).unwrap_or(i32::MAX);
        let candidates = refresh_jobs::Entity::find()
            .filter(refresh_jobs::Column::State.eq(JobState::Running))
            .filter(
                Condition::any()
                    .add(refresh_jobs::Column::StartedAt.lt(at - deadline))
                    .add(
                        Condition::all()
                            .add(refresh_jobs::Column::LeaseExpiresAt.lt(at))
                            .add(refresh_jobs::Column::Attempts.gte(max_attempts)),
                    ),
            )
            .all(&self.db)
            .await?;
        let mut reaped = Vec::new();
        for job in candidates {
            let Some(owner) = job.lease_owner.clone() else {
                continue;
            };
            let id = RefreshJobId::from_uuid(job.id);
            let overran = job.started_at.is_some_and(|s| s < at - deadline);
            let error = StatusError {
                code: ErrorCode::TimedOut,
                message: if overran {
                    ErrorCode::TimedOut.default_message().to_owned()
                } else {
                    "The refresh was interrupted and could not finish. Try Refresh data again."
                        .to_owned()
                },
            };
            if overran && job.attempts < max_attempts {
                if self.release_job(id, &owner, at, Some(&error)).await? {
                    reaped.push(OverdueJob::Retried(id));
                }
                continue;
            }
            let txn = self.db.begin().await?;
            if !finish(&txn, job.id, &owner, JobState::Failed, Some(&error), at).await? {
                continue;
            }
            crate::audit::append(
                &txn,
                AuditRecord {
                    organization: OrganizationId::from_uuid(job.organization_id),
                    actor: AuditActor::System,
                    action: AuditAction::RefreshFailed,
                    company: Some(CompanyId::from_uuid(job.company_id)),
                    target: None,
                    ip: None,
                    detail: Some(serde_json::json!({
                        "refresh_id": job.id,
                        "attempt": job.attempts,
                        "error": error.code.as_str(),
                        "by": "watchdog",
                    })),
                },
                self.now(),
            )
            .await?;
            crate::events::refresh_finished(&txn, &job, None, Some(&error), at).await?;
            apply_event(&txn, job.company_id, StatusEvent::RefreshFailed(error), at).await?;
            txn.commit().await?;
            reaped.push(OverdueJob::Failed(id));
        }
        Ok(reaped)
    }

    /// Puts a job this worker holds back in the queue to run at `run_at` (a transient
    /// failure, or the worker shutting down).
    pub async fn release_job(
        &self,
        job: RefreshJobId,
        owner: &str,
        run_at: DateTime<Utc>,
        error: Option<&StatusError>,
    ) -> Result<bool, sea_orm::DbErr> {
        let result = held_job_update(job.as_uuid(), owner, JobState::Queued, error)
            .col_expr(refresh_jobs::Column::RunAt, Expr::val(run_at))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}

/// The audit entry a worker writes with a job's outcome, in the same transaction.
fn refresh_outcome(
    claimed: &ClaimedJob,
    action: AuditAction,
    error: Option<&StatusError>,
) -> AuditRecord {
    AuditRecord {
        organization: OrganizationId::from_uuid(claimed.company.organization_id),
        actor: AuditActor::System,
        action,
        company: Some(CompanyId::from_uuid(claimed.company.id)),
        target: None,
        ip: None,
        detail: Some(serde_json::json!({
            "refresh_id": claimed.job.id,
            "attempt": claimed.job.attempts,
            "error": error.map(|e| e.code.as_str()),
        })),
    }
}

/// A queued refresh job, to insert.
pub(crate) fn new_job(
    organization: OrganizationId,
    company: CompanyId,
    trigger: RefreshTrigger,
    requested_by: Option<UserId>,
    at: DateTime<Utc>,
) -> refresh_jobs::ActiveModel {
    refresh_jobs::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization.as_uuid()),
        company_id: Set(company.as_uuid()),
        state: Set(JobState::Queued),
        trigger: Set(trigger.as_str().to_owned()),
        requested_by: Set(requested_by.map(|u| u.as_uuid())),
        requested_at: Set(at),
        run_at: Set(at),
        started_at: Set(None),
        finished_at: Set(None),
        attempts: Set(0),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        // A bulk job is made for a batch; any other job is marked when it joins one.
        batched: Set(trigger == RefreshTrigger::Bulk),
    }
}

/// An update of a running job `owner` holds: moves it to `state` with `error` (or
/// none) and gives the lease up. It changes nothing once another worker holds the job.
fn held_job_update(
    job: Uuid,
    owner: &str,
    state: JobState,
    error: Option<&StatusError>,
) -> UpdateMany<refresh_jobs::Entity> {
    refresh_jobs::Entity::update_many()
        .col_expr(refresh_jobs::Column::State, Expr::val(state))
        .col_expr(refresh_jobs::Column::LeaseOwner, Expr::val(None::<String>))
        .col_expr(
            refresh_jobs::Column::LeaseExpiresAt,
            Expr::val(None::<DateTime<Utc>>),
        )
        .col_expr(
            refresh_jobs::Column::ErrorCode,
            Expr::val(error.map(|e| e.code.as_str())),
        )
        .col_expr(
            refresh_jobs::Column::ErrorMessage,
            Expr::val(error.map(|e| e.message.clone())),
        )
        .filter(refresh_jobs::Column::Id.eq(job))
        .filter(refresh_jobs::Column::State.eq(JobState::Running))
        .filter(refresh_jobs::Column::LeaseOwner.eq(owner))
}

/// Moves a running job held by `owner` to its final state. False when not held.
async fn finish(
    txn: &impl sea_orm::ConnectionTrait,
    job: Uuid,
    owner: &str,
    state: JobState,
    error: Option<&StatusError>,
    at: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let result = held_job_update(job, owner, state, error)
        .col_expr(refresh_jobs::Column::FinishedAt, Expr::val(at))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}
