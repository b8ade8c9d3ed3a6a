//! Scheduled refreshes: companies whose `next_refresh_at` has come get a refresh job,
//! and their schedule moves on.

use chrono::{DateTime, Utc};
use domain::{CompanyId, OrganizationId, RefreshSchedule, RefreshTrigger};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, OnConflict},
};

use crate::{
    Store,
    entities::{companies, refresh_jobs},
    jobs::new_job,
};

impl Store {
    /// Queues a refresh (trigger `schedule`) of up to `limit` companies whose scheduled
    /// run is due at `at`, and moves each schedule to its next run. Returns how many
    /// jobs were queued.
    ///
    /// Any number of workers may sweep at once: each due run is taken by exactly one
    /// conditional update, in the same transaction as its job. A company already
    /// refreshing keeps its job; one without access (never granted, or revoked) just
    /// moves on to its next run.
    pub async fn queue_scheduled_refreshes(
        &self,
        at: DateTime<Utc>,
        limit: u64,
    ) -> Result<u64, sea_orm::DbErr> {
        let due = companies::Entity::find()
            .filter(companies::Column::NextRefreshAt.lte(at))
            .order_by_asc(companies::Column::NextRefreshAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut queued = 0;
        for company in due {
            let Some(due_at) = company.next_refresh_at else {
                continue;
            };
            let schedule: RefreshSchedule = company.refresh_schedule.parse().unwrap_or_default();
            let txn = self.db.begin().await?;
            let taken = companies::Entity::update_many()
                .col_expr(
                    companies::Column::NextRefreshAt,
                    Expr::val(schedule.next_after(due_at, at)),
                )
                .filter(companies::Column::Id.eq(company.id))
                .filter(companies::Column::NextRefreshAt.eq(due_at))
                .exec(&txn)
                .await?;
            if taken.rows_affected != 1 {
                // Another worker took this run.
                continue;
            }
            if company.platform.is_some() {
                // The unique partial index turns this into a no-op when a refresh is
                // already queued or running.
                let inserted = refresh_jobs::Entity::insert(new_job(
                    OrganizationId::from_uuid(company.organization_id),
                    CompanyId::from_uuid(company.id),
                    RefreshTrigger::Schedule,
                    None,
                    self.now(),
                ))
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await?;
                queued += inserted;
            }
            txn.commit().await?;
        }
        if queued > 0 {
            self.notify_job_queued().await;
        }
        Ok(queued)
    }
}
