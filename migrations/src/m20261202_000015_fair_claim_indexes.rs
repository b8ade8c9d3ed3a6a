//! The fair claim of refresh jobs (store `queue.rs`): it finds the organizations with
//! queued jobs by a skip scan, takes each one's oldest due job, and counts each one's
//! running jobs. These partial indexes make each of those one short index probe, so the
//! claim costs the same with 20 or 100,000 jobs queued.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX refresh_jobs_queued_organization_idx \
             ON refresh_jobs (organization_id, run_at) WHERE state = 'queued'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX refresh_jobs_running_organization_idx \
             ON refresh_jobs (organization_id) WHERE state = 'running'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX refresh_jobs_queued_organization_idx")
            .await?;
        db.execute_unprepared("DROP INDEX refresh_jobs_running_organization_idx")
            .await?;
        Ok(())
    }
}
