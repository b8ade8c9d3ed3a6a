//! Bulk refresh: one batch follows the refresh jobs of many companies. A company
//! already refreshing joins the batch with its running job instead of getting a second.

use domain::{CompanyId, OrganizationId, RefreshState, RefreshTrigger};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set, sea_query::Query,
};
use uuid::Uuid;

use crate::{
    RefreshRefused, Store,
    entities::{refresh_batch_jobs, refresh_batches, refresh_jobs},
    now,
};

/// Why a company of a batch got no job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// The customer has not granted access: send an information request instead.
    NoAccess,
    /// No such company in the organization.
    NotFound,
}

/// How far a batch's jobs are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchProgress {
    pub total: u64,
    pub queued: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub cancelled: u64,
}

impl Store {
    /// Queues a refresh of each company (or joins its active one) under a new batch.
    pub async fn create_refresh_batch(
        &self,
        organization: OrganizationId,
        companies: &[CompanyId],
    ) -> Result<(refresh_batches::Model, Vec<(CompanyId, Skipped)>), sea_orm::DbErr> {
        let batch = refresh_batches::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization.as_uuid()),
            created_at: Set(now()),
        }
        .insert(&self.db)
        .await?;
        let mut skipped = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for company in companies {
            if !seen.insert(*company) {
                continue;
            }
            match self
                .request_refresh(organization, *company, RefreshTrigger::Manual, None)
                .await
            {
                Ok((job, _)) => {
                    refresh_batch_jobs::ActiveModel {
                        batch_id: Set(batch.id),
                        job_id: Set(job.id),
                    }
                    .insert(&self.db)
                    .await?;
                }
                Err(RefreshRefused::NoAccess) => skipped.push((*company, Skipped::NoAccess)),
                Err(RefreshRefused::NotFound) => skipped.push((*company, Skipped::NotFound)),
                Err(RefreshRefused::Database(err)) => return Err(err),
            }
        }
        Ok((batch, skipped))
    }

    /// A batch of the organization with its progress.
    pub async fn refresh_batch(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<(refresh_batches::Model, BatchProgress)>, sea_orm::DbErr> {
        let Some(batch) = refresh_batches::Entity::find_by_id(id)
            .filter(refresh_batches::Column::OrganizationId.eq(organization.as_uuid()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let rows: Vec<(String, i64)> = refresh_jobs::Entity::find()
            .select_only()
            .column(refresh_jobs::Column::State)
            .column_as(refresh_jobs::Column::Id.count(), "count")
            .filter(
                refresh_jobs::Column::Id.in_subquery(
                    Query::select()
                        .column(refresh_batch_jobs::Column::JobId)
                        .from(refresh_batch_jobs::Entity)
                        .and_where(refresh_batch_jobs::Column::BatchId.eq(batch.id))
                        .to_owned(),
                ),
            )
            .group_by(refresh_jobs::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut progress = BatchProgress::default();
        for (state, count) in rows {
            let count = u64::try_from(count).unwrap_or(0);
            progress.total += count;
            match state.parse::<RefreshState>() {
                Ok(RefreshState::Queued) => progress.queued += count,
                Ok(RefreshState::Running) => progress.running += count,
                Ok(RefreshState::Succeeded) => progress.succeeded += count,
                Ok(RefreshState::Failed) => progress.failed += count,
                Ok(RefreshState::Cancelled) | Err(_) => progress.cancelled += count,
            }
        }
        Ok(Some((batch, progress)))
    }
}
