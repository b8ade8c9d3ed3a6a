//! Figures for operators (`/metrics`), read from the rows themselves so that they are
//! the same whichever process is asked: jobs by state, the age of the oldest due job,
//! refresh outcomes by platform, emails by state.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    Store,
    entities::{
        companies,
        outgoing_emails::{self, EmailState},
        refresh_jobs::{self, JobState},
    },
};

/// What `/metrics` reports about the queues.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueStats {
    /// Refresh jobs per state.
    pub jobs: Vec<(JobState, i64)>,
    /// Seconds the oldest due queued refresh job has waited (0 when none).
    pub oldest_due_seconds: f64,
    /// Finished refresh jobs per (platform, state).
    pub outcomes: Vec<(String, JobState, i64)>,
    /// Emails per state.
    pub emails: Vec<(EmailState, i64)>,
}

/// What `/readyz` reports about the refresh queue: two cheap probes over indexes,
/// whatever the length of the queue or of the history.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueueHealth {
    /// When the oldest due queued job was due.
    pub oldest_due: Option<DateTime<Utc>>,
    /// Running jobs whose worker holds a live lease.
    pub running: u64,
    /// Running jobs whose lease has expired.
    pub expired_leases: u64,
}

impl Store {
    pub async fn queue_health(&self, at: DateTime<Utc>) -> Result<QueueHealth, sea_orm::DbErr> {
        // `refresh_jobs_state_run_at_idx`: the first entry of `queued` is the answer.
        let oldest_due: Option<DateTime<Utc>> = refresh_jobs::Entity::find()
            .select_only()
            .column(refresh_jobs::Column::RunAt)
            .filter(refresh_jobs::Column::State.eq(JobState::Queued))
            .filter(refresh_jobs::Column::RunAt.lte(at))
            .order_by_asc(refresh_jobs::Column::RunAt)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await?;
        // `refresh_jobs_running_lease_idx`: only the running jobs, as many as the
        // workers' slots.
        let leases: Vec<DateTime<Utc>> = refresh_jobs::Entity::find()
            .select_only()
            .column(refresh_jobs::Column::LeaseExpiresAt)
            .filter(refresh_jobs::Column::State.eq(JobState::Running))
            .filter(refresh_jobs::Column::LeaseExpiresAt.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        let expired_leases = leases.iter().filter(|&&lease| lease < at).count() as u64;
        Ok(QueueHealth {
            oldest_due,
            running: leases.len() as u64 - expired_leases,
            expired_leases,
        })
    }

    pub async fn queue_stats(&self, at: DateTime<Utc>) -> Result<QueueStats, sea_orm::DbErr> {
        let jobs: Vec<(JobState, i64)> = refresh_jobs::Entity::find()
            .select_only()
            .column(refresh_jobs::Column::State)
            .column_as(refresh_jobs::Column::Id.count(), "n")
            .group_by(refresh_jobs::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        let oldest: Option<DateTime<Utc>> = refresh_jobs::Entity::find()
            .select_only()
            .column_as(refresh_jobs::Column::RunAt.min(), "oldest")
            .filter(refresh_jobs::Column::State.eq(JobState::Queued))
            .filter(refresh_jobs::Column::RunAt.lte(at))
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(&self.db)
            .await?
            .flatten();
        let outcomes: Vec<(Option<String>, JobState, i64)> = refresh_jobs::Entity::find()
            .select_only()
            .column(companies::Column::Platform)
            .column(refresh_jobs::Column::State)
            .column_as(refresh_jobs::Column::Id.count(), "n")
            .join(
                sea_orm::JoinType::InnerJoin,
                refresh_jobs::Entity::belongs_to(companies::Entity)
                    .from(refresh_jobs::Column::CompanyId)
                    .to(companies::Column::Id)
                    .into(),
            )
            .filter(refresh_jobs::Column::State.is_in([
                JobState::Succeeded,
                JobState::Failed,
                JobState::Cancelled,
            ]))
            .group_by(companies::Column::Platform)
            .group_by(refresh_jobs::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        let emails: Vec<(EmailState, i64)> = outgoing_emails::Entity::find()
            .select_only()
            .column(outgoing_emails::Column::State)
            .column_as(outgoing_emails::Column::Id.count(), "n")
            .group_by(outgoing_emails::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(QueueStats {
            jobs,
            oldest_due_seconds: oldest
                .map(|t| (at - t).num_milliseconds().max(0) as f64 / 1000.0)
                .unwrap_or(0.0),
            outcomes: outcomes
                .into_iter()
                .map(|(platform, state, n)| {
                    (platform.unwrap_or_else(|| "none".to_owned()), state, n)
                })
                .collect(),
            emails,
        })
    }
}
